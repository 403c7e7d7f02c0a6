"""API Gateway REST APIs, request validation: models (JSON Schema draft 4, the Empty and
Error models every API starts with, references between models), request validators, the
methods naming them, and the data plane's answers: 400 BAD_REQUEST_PARAMETERS for missing
required parameters, 400 BAD_REQUEST_BODY for a body its model refuses (with
$context.error.validationErrorString in gateway responses)."""
import json

import pytest
from ferrytest import raises
from test_apigateway_ops import call, root_of

PET = {"$schema": "http://json-schema.org/draft-04/schema#", "title": "Pet", "type": "object",
       "required": ["type", "price"], "additionalProperties": False,
       "properties": {"type": {"type": "string", "enum": ["dog", "cat", "fish"]},
                      "price": {"type": "number", "minimum": 25, "maximum": 500},
                      "name": {"type": "string", "minLength": 1, "maxLength": 20,
                               "pattern": "^[A-Za-z ]+$"},
                      "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3}}}


@pytest.fixture(scope="module")
def apigw(ferry):
    return ferry.client("apigateway", "dev")


def mock_method(apigw, api, res, verb, **kw):
    apigw.put_method(restApiId=api, resourceId=res, httpMethod=verb, authorizationType="NONE", **kw)
    apigw.put_integration(restApiId=api, resourceId=res, httpMethod=verb, type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_integration_response(restApiId=api, resourceId=res, httpMethod=verb, statusCode="200",
                                   responseTemplates={"application/json": '{"ok": 1}'})


def send(ferry, api, path, method="GET", body=None, headers=None):
    h = dict(headers or {})
    if body is not None:
        h.setdefault("Content-Type", "application/json")
    import urllib.request
    req = urllib.request.Request(ferry.endpoint + path, method=method,
                                 data=body.encode() if isinstance(body, str) else body,
                                 headers={**h, "Host": f"{api}.execute-api.localhost:{ferry.port}"})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.headers, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, json.loads(e.read() or b"null")


def raw(ferry, api, path, body):
    import urllib.request
    req = urllib.request.Request(ferry.endpoint + path, method="POST", data=body.encode(), headers={
        "Content-Type": "application/json", "Host": f"{api}.execute-api.localhost:{ferry.port}"})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_models_and_validators_control_plane(apigw):
    api = apigw.create_rest_api(name="models")["id"]
    # AWS: every new API has the Empty and Error models
    names = {m["name"]: m for m in apigw.get_models(restApiId=api)["items"]}
    assert set(names) == {"Empty", "Error"} and names["Empty"]["contentType"] == "application/json"
    assert json.loads(names["Empty"]["schema"])["type"] == "object"
    m = apigw.create_model(restApiId=api, name="Pet", contentType="application/json",
                           schema=json.dumps(PET), description="a pet")
    assert m["name"] == "Pet" and m["id"] and json.loads(m["schema"]) == PET
    assert apigw.get_model(restApiId=api, modelName="Pet")["description"] == "a pet"
    raises(apigw.create_model, "ConflictException", "Model name already exists for this REST API",
           status=409, restApiId=api, name="Pet", contentType="application/json", schema="{}")
    raises(apigw.create_model, "BadRequestException", status=400, restApiId=api, name="bad-name",
           contentType="application/json", schema="{}")
    msg = raises(apigw.create_model, "BadRequestException", status=400, restApiId=api, name="Broken",
                 contentType="application/json", schema='{"type": "text"}')
    assert msg.startswith("Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema")
    raises(apigw.create_model, "BadRequestException", status=400, restApiId=api, name="NotJson",
           contentType="application/json", schema="{type")
    raises(apigw.create_model, "BadRequestException", status=400, restApiId=api, name="Dangling",
           contentType="application/json",
           schema=json.dumps({"$ref": f"https://apigateway.amazonaws.com/restapis/{api}/models/Nope"}))
    raises(apigw.get_model, "NotFoundException", "Invalid model name specified: Nope", status=404,
           restApiId=api, modelName="Nope")
    u = apigw.update_model(restApiId=api, modelName="Pet", patchOperations=[
        {"op": "replace", "path": "/description", "value": "pets"}])
    assert u["description"] == "pets"
    raises(apigw.update_model, "BadRequestException", status=400, restApiId=api, modelName="Pet",
           patchOperations=[{"op": "replace", "path": "/schema", "value": '{"minimum": "x"}'}])
    # validators
    v = apigw.create_request_validator(restApiId=api, name="both", validateRequestBody=True,
                                       validateRequestParameters=True)
    assert v["validateRequestBody"] is True and v["validateRequestParameters"] is True
    got = apigw.get_request_validator(restApiId=api, requestValidatorId=v["id"])
    got.pop("ResponseMetadata")
    assert got == {k: v[k] for k in ("id", "name", "validateRequestBody", "validateRequestParameters")}
    v2 = apigw.update_request_validator(restApiId=api, requestValidatorId=v["id"], patchOperations=[
        {"op": "replace", "path": "/validateRequestBody", "value": "false"},
        {"op": "replace", "path": "/name", "value": "params"}])
    assert v2["validateRequestBody"] is False and v2["name"] == "params"
    assert [x["id"] for x in apigw.get_request_validators(restApiId=api)["items"]] == [v["id"]]
    # methods must name validators and models that exist
    res = apigw.create_resource(restApiId=api, parentId=root_of(apigw, api), pathPart="pets")["id"]
    raises(apigw.put_method, "BadRequestException", "Invalid Request Validator identifier specified",
           status=400, restApiId=api, resourceId=res, httpMethod="POST", authorizationType="NONE",
           requestValidatorId="nope")
    raises(apigw.put_method, "BadRequestException", status=400, restApiId=api, resourceId=res,
           httpMethod="POST", authorizationType="NONE", requestModels={"application/json": "Nope"})
    raises(apigw.put_method, "BadRequestException", status=400, restApiId=api, resourceId=res,
           httpMethod="POST", authorizationType="NONE", requestParameters={"method.request.body.x": True})
    apigw.put_method(restApiId=api, resourceId=res, httpMethod="POST", authorizationType="NONE",
                     requestValidatorId=v["id"], requestModels={"application/json": "Pet"})
    msg = raises(apigw.delete_model, "BadRequestException", status=400, restApiId=api, modelName="Pet")
    assert msg == "Cannot delete model 'Pet', is referenced in method request: /pets/POST"
    # the method's models and parameters patched ('/' escaped as ~1)
    m = apigw.update_method(restApiId=api, resourceId=res, httpMethod="POST", patchOperations=[
        {"op": "remove", "path": "/requestModels/application~1json"},
        {"op": "add", "path": "/requestModels/application~1xml", "value": "Empty"},
        {"op": "add", "path": "/requestParameters/method.request.querystring.q", "value": "true"}])
    assert m["requestModels"] == {"application/xml": "Empty"}
    assert m["requestParameters"] == {"method.request.querystring.q": True}
    apigw.delete_model(restApiId=api, modelName="Pet")
    apigw.delete_request_validator(restApiId=api, requestValidatorId=v["id"])
    raises(apigw.get_request_validator, "NotFoundException", status=404, restApiId=api,
           requestValidatorId=v["id"])


def test_required_parameters(ferry, apigw):
    api = apigw.create_rest_api(name="params")["id"]
    params = apigw.create_request_validator(restApiId=api, name="params-only",
                                            validateRequestParameters=True)["id"]
    res = apigw.create_resource(restApiId=api, parentId=root_of(apigw, api), pathPart="items")["id"]
    mock_method(apigw, api, res, "GET", requestValidatorId=params, requestParameters={
        "method.request.querystring.q": True, "method.request.header.x-trace": True,
        "method.request.querystring.optional": False})
    # the same requirements without a validator are not checked
    mock_method(apigw, api, res, "DELETE", requestParameters={"method.request.querystring.q": True})
    apigw.create_deployment(restApiId=api, stageName="s")
    st, h, body = send(ferry, api, "/s/items")
    assert (st, body) == (400, {"message": "Missing required request parameters: [q, x-trace]"})
    assert h["x-amzn-ErrorType"] == "BadRequestException"
    # blank counts as missing
    st, _, body = send(ferry, api, "/s/items?q=", headers={"X-Trace": "1"})
    assert (st, body) == (400, {"message": "Missing required request parameters: [q]"})
    assert send(ferry, api, "/s/items?q=a", headers={"X-Trace": "1"})[:3:2] == (200, {"ok": 1})
    assert send(ferry, api, "/s/items", method="DELETE")[0] == 200


def test_body_against_model(ferry, apigw):
    api = apigw.create_rest_api(name="bodies")["id"]
    apigw.create_model(restApiId=api, name="Pet", contentType="application/json", schema=json.dumps(PET))
    # a model referring to another, used for any content type
    apigw.create_model(restApiId=api, name="Pets", contentType="application/json", schema=json.dumps(
        {"type": "array", "minItems": 1,
         "items": {"$ref": f"https://apigateway.amazonaws.com/restapis/{api}/models/Pet"}}))
    body_only = apigw.create_request_validator(restApiId=api, name="body",
                                               validateRequestBody=True)["id"]
    root = root_of(apigw, api)
    pet = apigw.create_resource(restApiId=api, parentId=root, pathPart="pet")["id"]
    pets = apigw.create_resource(restApiId=api, parentId=root, pathPart="pets")["id"]
    mock_method(apigw, api, pet, "POST", requestValidatorId=body_only,
                requestModels={"application/json": "Pet"})
    mock_method(apigw, api, pets, "POST", requestValidatorId=body_only,
                requestModels={"$default": "Pets"})
    apigw.create_deployment(restApiId=api, stageName="s")
    good = {"type": "dog", "price": 30, "name": "Rex"}
    assert send(ferry, api, "/s/pet", "POST", json.dumps(good))[0] == 200
    for bad in ({"type": "dog"}, {"type": "bird", "price": 30}, {"type": "dog", "price": 1000},
                {"type": "dog", "price": "30"}, {"type": "dog", "price": 30, "name": "R2D2"},
                {"type": "dog", "price": 30, "extra": 1}, [good], "not json"):
        text = bad if isinstance(bad, str) else json.dumps(bad)
        st, h, body = send(ferry, api, "/s/pet", "POST", text)
        assert (st, body) == (400, {"message": "Invalid request body"}), bad
        assert h["x-amzn-ErrorType"] == "BadRequestException"
    # an empty body is an empty object to the model
    assert send(ferry, api, "/s/pet", "POST", "")[0] == 400
    # no model for the content type: not checked
    assert send(ferry, api, "/s/pet", "POST", "<pet/>", headers={"Content-Type": "application/xml"})[0] == 200
    # $default serves every content type; Pets refers to Pet
    assert send(ferry, api, "/s/pets", "POST", json.dumps([good]), headers={"Content-Type": "text/plain"})[0] == 200
    assert send(ferry, api, "/s/pets", "POST", json.dumps([good, {"price": 30}]))[0] == 400
    # the report, through a customized gateway response (as AWS, the text as it stands)
    apigw.put_gateway_response(restApiId=api, responseType="BAD_REQUEST_BODY", responseTemplates={
        "application/json": "$context.error.messageString: $context.error.validationErrorString"})
    apigw.create_deployment(restApiId=api, stageName="s")
    st, text = raw(ferry, api, "/s/pet", json.dumps({"type": "cat", "price": 1, "extra": 1}))
    assert st == 400 and text.startswith('"Invalid request body": [')
    low = "numeric instance is lower than the required minimum (minimum: 25, found: 1)"
    extra = 'object instance has properties which are not allowed by the schema: ["extra"]'
    assert text[len('"Invalid request body": '):] in (f"[{low}, {extra}]", f"[{extra}, {low}]")
    assert raw(ferry, api, "/s/pet", "{}") == (
        400, '"Invalid request body": [object has missing required properties (["price","type"])]')
    # changes to models are served once deployed
    apigw.update_model(restApiId=api, modelName="Pet", patchOperations=[
        {"op": "replace", "path": "/schema", "value": json.dumps({"type": "object"})}])
    assert raw(ferry, api, "/s/pet", "{}")[0] == 400
    apigw.create_deployment(restApiId=api, stageName="s")
    assert raw(ferry, api, "/s/pet", "{}")[0] == 200


def test_test_invoke_validates_and_cli(ferry, apigw):
    api = apigw.create_rest_api(name="validate-cli")["id"]
    out = ferry.aws("apigateway", "create-request-validator", "--rest-api-id", api, "--name", "all",
                    "--validate-request-body", "--validate-request-parameters", profile="dev").json
    assert out["validateRequestBody"] is True and out["validateRequestParameters"] is True
    res = apigw.create_resource(restApiId=api, parentId=root_of(apigw, api), pathPart="x")["id"]
    mock_method(apigw, api, res, "POST", requestValidatorId=out["id"],
                requestParameters={"method.request.header.x-id": True},
                requestModels={"application/json": "Error"})
    t = apigw.test_invoke_method(restApiId=api, resourceId=res, httpMethod="POST", body="[]",
                                 headers={"x-id": "1"})
    assert t["status"] == 400 and json.loads(t["body"]) == {"message": "Invalid request body"}
    t = apigw.test_invoke_method(restApiId=api, resourceId=res, httpMethod="POST", body="{}")
    assert json.loads(t["body"]) == {"message": "Missing required request parameters: [x-id]"}
    t = apigw.test_invoke_method(restApiId=api, resourceId=res, httpMethod="POST",
                                 body='{"message": "m"}', headers={"x-id": "1"})
    assert t["status"] == 200


def test_cloudformation_models_validators_and_account(ferry):
    from test_cfn_providers import PROFILE, REGION, Stacks
    stacks = Stacks(ferry)
    role_trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    tpl = {"Resources": {
        "LogsRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": role_trust}},
        "Account": {"Type": "AWS::ApiGateway::Account",
                    "Properties": {"CloudWatchRoleArn": {"Fn::GetAtt": ["LogsRole", "Arn"]}}},
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "cfn-validation"}},
        "PetModel": {"Type": "AWS::ApiGateway::Model", "Properties": {
            "RestApiId": {"Ref": "Api"}, "Name": "Pet", "ContentType": "application/json", "Schema": PET}},
        "Validator": {"Type": "AWS::ApiGateway::RequestValidator", "Properties": {
            "RestApiId": {"Ref": "Api"}, "Name": "all", "ValidateRequestBody": True,
            "ValidateRequestParameters": True}},
        "Pets": {"Type": "AWS::ApiGateway::Resource", "Properties": {
            "RestApiId": {"Ref": "Api"}, "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
            "PathPart": "pets"}},
        "Post": {"Type": "AWS::ApiGateway::Method", "Properties": {
            "RestApiId": {"Ref": "Api"}, "ResourceId": {"Ref": "Pets"}, "HttpMethod": "POST",
            "AuthorizationType": "NONE", "RequestValidatorId": {"Ref": "Validator"},
            "RequestModels": {"application/json": {"Ref": "PetModel"}},
            "RequestParameters": {"method.request.header.x-shop": True},
            "Integration": {"Type": "MOCK", "RequestTemplates": {"application/json": '{"statusCode": 200}'},
                            "IntegrationResponses": [{"StatusCode": "200"}]},
            "MethodResponses": [{"StatusCode": "200"}]}},
        "Dep": {"Type": "AWS::ApiGateway::Deployment", "DependsOn": ["Post", "Account"], "Properties": {
            "RestApiId": {"Ref": "Api"}, "StageName": "live",
            "StageDescription": {"LoggingLevel": "ERROR"}}}},
        "Outputs": {"Api": {"Value": {"Ref": "Api"}}, "Validator": {"Value": {"Ref": "Validator"}}}}
    st = stacks.deploy("apigw-validation", tpl)
    api = st["Out"]["Api"]
    apigw = ferry.client("apigateway", PROFILE, region=REGION)
    v = apigw.get_request_validator(restApiId=api, requestValidatorId=st["Out"]["Validator"])
    assert v["validateRequestBody"] is True and v["name"] == "all"
    assert json.loads(apigw.get_model(restApiId=api, modelName="Pet")["schema"]) == PET
    assert ":role/" in apigw.get_account()["cloudwatchRoleArn"]
    st_, _, body = send(ferry, api, "/live/pets", "POST", json.dumps({"type": "dog", "price": 30}))
    assert (st_, body) == (400, {"message": "Missing required request parameters: [x-shop]"})
    assert send(ferry, api, "/live/pets", "POST", "{}", headers={"x-shop": "a"})[0] == 400
    assert send(ferry, api, "/live/pets", "POST", json.dumps({"type": "dog", "price": 30}),
                headers={"x-shop": "a"})[0] == 200
    # a changed schema is updated in place
    tpl["Resources"]["PetModel"]["Properties"]["Schema"] = {"type": "object"}
    stacks.deploy("apigw-validation", tpl, update=True)
    assert json.loads(apigw.get_model(restApiId=api, modelName="Pet")["schema"]) == {"type": "object"}
    stacks.delete(st)


def test_openapi_import_models_and_validators(ferry, apigw):
    mock = {"type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "responses": {"default": {"statusCode": "200"}}}
    spec = {"swagger": "2.0", "info": {"title": "imported-validation"},
            "x-amazon-apigateway-request-validators": {
                "all": {"validateRequestBody": True, "validateRequestParameters": True},
                "params": {"validateRequestBody": False, "validateRequestParameters": True}},
            "x-amazon-apigateway-request-validator": "params",
            "definitions": {
                "Tag": {"type": "string", "maxLength": 3},
                "Pet": {"type": "object", "required": ["name"],
                        "properties": {"name": {"type": "string"},
                                       "tags": {"type": "array", "items": {"$ref": "#/definitions/Tag"}}}}},
            "paths": {"/pets": {
                "get": {"parameters": [{"name": "limit", "in": "query", "required": True, "type": "integer"}],
                        "responses": {"200": {}}, "x-amazon-apigateway-integration": mock},
                "post": {"x-amazon-apigateway-request-validator": "all",
                         "parameters": [{"name": "body", "in": "body", "schema": {"$ref": "#/definitions/Pet"}}],
                         "responses": {"200": {}}, "x-amazon-apigateway-integration": mock}}}}
    api = apigw.import_rest_api(body=json.dumps(spec).encode())["id"]
    models = {m["name"]: m for m in apigw.get_models(restApiId=api)["items"]}
    pet = json.loads(models["Pet"]["schema"])
    assert pet["properties"]["tags"]["items"] == {
        "$ref": f"https://apigateway.amazonaws.com/restapis/{api}/models/Tag"}
    vals = {v["name"]: v for v in apigw.get_request_validators(restApiId=api)["items"]}
    assert set(vals) == {"all", "params"} and vals["params"]["validateRequestBody"] is False
    res = next(r for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == "/pets")
    post = apigw.get_method(restApiId=api, resourceId=res["id"], httpMethod="POST")
    assert post["requestValidatorId"] == vals["all"]["id"] and post["requestModels"] == {"application/json": "Pet"}
    get = apigw.get_method(restApiId=api, resourceId=res["id"], httpMethod="GET")
    assert get["requestValidatorId"] == vals["params"]["id"]
    assert get["requestParameters"] == {"method.request.querystring.limit": True}
    apigw.create_deployment(restApiId=api, stageName="s")
    assert send(ferry, api, "/s/pets")[:3:2] == (400, {"message": "Missing required request parameters: [limit]"})
    assert send(ferry, api, "/s/pets?limit=2")[0] == 200
    assert send(ferry, api, "/s/pets", "POST", json.dumps({"name": "a", "tags": ["long"]}))[0] == 400
    assert send(ferry, api, "/s/pets", "POST", json.dumps({"name": "a", "tags": ["ok"]}))[0] == 200
    # OpenAPI 3: the request body's schema by media type; imported again, the validators are replaced
    spec3 = {"openapi": "3.0.1", "info": {"title": "imported-validation"},
             "x-amazon-apigateway-request-validators": {"all": {"validateRequestBody": True}},
             "components": {"schemas": {"Order": {"type": "object", "required": ["id"]}}},
             "paths": {"/orders": {"post": {
                 "x-amazon-apigateway-request-validator": "all",
                 "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}},
                 "responses": {"200": {}}, "x-amazon-apigateway-integration": mock}}}}
    apigw.put_rest_api(restApiId=api, mode="overwrite", body=json.dumps(spec3).encode())
    assert [v["name"] for v in apigw.get_request_validators(restApiId=api)["items"]].count("all") == 1
    apigw.create_deployment(restApiId=api, stageName="s")
    assert send(ferry, api, "/s/orders", "POST", "{}")[0] == 400
    assert send(ferry, api, "/s/orders", "POST", '{"id": 1}')[0] == 200
    raises(apigw.import_rest_api, "BadRequestException", status=400, body=json.dumps(
        {**spec, "x-amazon-apigateway-request-validator": "nope"}).encode())


def test_sam_models_and_request_validation(ferry):
    """SAM's Api Models and an Api event's RequestModel/RequestParameters: definitions, the
    validator SAM names, and the data plane's 400s before the function runs."""
    from test_cfn_providers import PROFILE, REGION, Stacks
    stacks = Stacks(ferry)
    tpl = {"Transform": "AWS::Serverless-2016-10-31", "Resources": {
        "Shop": {"Type": "AWS::Serverless::Api", "Properties": {
            "StageName": "live", "Models": {"Pet": PET}}},
        "Fn": {"Type": "AWS::Serverless::Function", "Properties": {
            "Runtime": "python3.12", "Handler": "index.handler",
            "InlineCode": "def handler(e, c):\n    return {'statusCode': 201, 'body': e['body']}\n",
            "Events": {"Add": {"Type": "Api", "Properties": {
                "RestApiId": {"Ref": "Shop"}, "Path": "/pets", "Method": "POST",
                "RequestModel": {"Model": "Pet", "Required": True, "ValidateBody": True,
                                 "ValidateParameters": True},
                "RequestParameters": [{"method.request.header.x-shop": {"Required": True}},
                                      "method.request.querystring.note"]}}}}}},
        "Outputs": {"Api": {"Value": {"Ref": "Shop"}}}}
    stacks.cfn.create_stack(StackName="sam-validation", TemplateBody=json.dumps(tpl),
                            Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    st = stacks.wait("sam-validation")
    assert st["StackStatus"] == "CREATE_COMPLETE", stacks.failures("sam-validation")
    api = st["Outputs"][0]["OutputValue"]
    apigw = ferry.client("apigateway", PROFILE, region=REGION)
    assert [v["name"] for v in apigw.get_request_validators(restApiId=api)["items"]] == ["body-and-params"]
    res = next(r for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == "/pets")
    m = apigw.get_method(restApiId=api, resourceId=res["id"], httpMethod="POST")
    assert m["requestModels"] == {"application/json": "pet"}
    assert m["requestParameters"] == {"method.request.header.x-shop": True,
                                      "method.request.querystring.note": False}
    good = json.dumps({"type": "cat", "price": 40})
    assert send(ferry, api, "/live/pets", "POST", good)[:3:2] == (
        400, {"message": "Missing required request parameters: [x-shop]"})
    assert send(ferry, api, "/live/pets", "POST", "{}", headers={"x-shop": "1"})[:3:2] == (
        400, {"message": "Invalid request body"})
    st_, _, body = send(ferry, api, "/live/pets", "POST", good, headers={"x-shop": "1"})
    assert (st_, body) == (201, {"type": "cat", "price": 40})
    stacks.delete(st)
