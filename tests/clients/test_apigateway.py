"""API Gateway REST APIs (v1): the control plane through boto3 and the aws CLI (APIs,
resources, methods, integrations, responses, deployments snapshotting the API, stages with
variables, tags, AWS's errors), and the data plane serving deployed stages at both URL forms
(API_ID.execute-api.localhost and /_ferry/execute-api/API_ID): Lambda proxy integrations
(the REST proxy event, response mapping, 502 on malformed output, 500 without the
function's permission), MOCK integrations, AWS_IAM authorization, import from Swagger and
CloudFormation stacks."""
import base64
import json
import urllib.request

import pytest
from ferrytest import acct, raises, zipped

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


@pytest.fixture(scope="module")
def apigw(ferry):
    return ferry.client("apigateway", "dev")


def root_of(apigw, api):
    return next(r["id"] for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == "/")


def test_rest_api_lifecycle(apigw, ferry):
    a = apigw.create_rest_api(name="one", description="first", tags={"team": "x"})
    assert len(a["id"]) == 10 and a["id"].isalnum() and a["id"].islower() or a["id"].isdigit()
    assert a["name"] == "one" and a["apiKeySource"] == "HEADER"  # (rootResourceId: newer botocore)
    assert a["endpointConfiguration"] == {"types": ["EDGE"]}
    got = apigw.get_rest_api(restApiId=a["id"])
    assert got["description"] == "first" and got["tags"] == {"team": "x"}
    assert a["id"] in [x["id"] for x in apigw.get_rest_apis()["items"]]
    up = apigw.update_rest_api(restApiId=a["id"], patchOperations=[
        {"op": "replace", "path": "/name", "value": "two"},
        {"op": "replace", "path": "/description", "value": "second"}])
    assert up["name"] == "two" and up["description"] == "second"
    up = apigw.update_rest_api(restApiId=a["id"], patchOperations=[
        {"op": "add", "path": "/binaryMediaTypes/image~1png"},
        {"op": "add", "path": "/binaryMediaTypes/application~1pdf"}])
    assert sorted(up["binaryMediaTypes"]) == ["application/pdf", "image/png"]
    up = apigw.update_rest_api(restApiId=a["id"], patchOperations=[
        {"op": "remove", "path": "/binaryMediaTypes/image~1png"}])
    assert up["binaryMediaTypes"] == ["application/pdf"]
    res = apigw.get_resources(restApiId=a["id"])["items"]
    assert [r["path"] for r in res] == ["/"] and "parentId" not in res[0]
    apigw.delete_rest_api(restApiId=a["id"])
    raises(apigw.get_rest_api, "NotFoundException",
           f"Invalid API identifier specified {acct(ferry, 'dev')}:{a['id']}", 404, restApiId=a["id"])
    raises(apigw.delete_rest_api, "NotFoundException", status=404, restApiId=a["id"])


def test_resources_methods_integrations(apigw):
    api = apigw.create_rest_api(name="res")["id"]
    root = root_of(apigw, api)
    users = apigw.create_resource(restApiId=api, parentId=root, pathPart="users")
    assert users["path"] == "/users" and users["parentId"] == root
    uid = apigw.create_resource(restApiId=api, parentId=users["id"], pathPart="{id}")
    assert uid["path"] == "/users/{id}"
    raises(apigw.create_resource, "ConflictException",
           "Another resource with the same parent already has this name: users", 409,
           restApiId=api, parentId=root, pathPart="users")
    raises(apigw.create_resource, "NotFoundException", "Invalid Resource identifier specified", 404,
           restApiId=api, parentId="nope123456", pathPart="x")
    raises(apigw.create_resource, "BadRequestException", status=400,
           restApiId=api, parentId=root, pathPart="a b")
    proxy = apigw.create_resource(restApiId=api, parentId=root, pathPart="{proxy+}")
    raises(apigw.create_resource, "BadRequestException", status=400,
           restApiId=api, parentId=proxy["id"], pathPart="x")

    m = apigw.put_method(restApiId=api, resourceId=uid["id"], httpMethod="GET",
                         authorizationType="NONE", apiKeyRequired=False)
    assert m["httpMethod"] == "GET" and m["authorizationType"] == "NONE" and m["apiKeyRequired"] is False
    raises(apigw.put_method, "ConflictException", "Method already exists for this resource", 409,
           restApiId=api, resourceId=uid["id"], httpMethod="GET", authorizationType="NONE")
    raises(apigw.get_method, "NotFoundException", "Invalid Method identifier specified", 404,
           restApiId=api, resourceId=uid["id"], httpMethod="POST")
    raises(apigw.get_integration, "NotFoundException", "No integration defined for method", 404,
           restApiId=api, resourceId=uid["id"], httpMethod="GET")
    uri = ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
           "arn:aws:lambda:us-east-1:123456789012:function:f/invocations")
    i = apigw.put_integration(restApiId=api, resourceId=uid["id"], httpMethod="GET", type="AWS_PROXY",
                              integrationHttpMethod="POST", uri=uri)
    assert i["type"] == "AWS_PROXY" and i["uri"] == uri and i["httpMethod"] == "POST"
    assert i["timeoutInMillis"] == 29000 and i["passthroughBehavior"] == "WHEN_NO_MATCH"
    raises(apigw.put_integration, "BadRequestException", status=400, restApiId=api,
           resourceId=uid["id"], httpMethod="GET", type="HTTP", integrationHttpMethod="GET", uri="ftp://x")
    apigw.put_method_response(restApiId=api, resourceId=uid["id"], httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api, resourceId=uid["id"], httpMethod="GET",
                                   statusCode="200", responseTemplates={"application/json": ""})
    got = apigw.get_method(restApiId=api, resourceId=uid["id"], httpMethod="GET")
    assert got["methodResponses"] == {"200": {"statusCode": "200"}}
    assert got["methodIntegration"]["integrationResponses"]["200"]["statusCode"] == "200"
    embedded = apigw.get_resources(restApiId=api, embed=["methods"])["items"]
    assert next(r for r in embedded if r["id"] == uid["id"])["resourceMethods"]["GET"]["methodIntegration"]
    plain = apigw.get_resources(restApiId=api)["items"]
    assert next(r for r in plain if r["id"] == uid["id"])["resourceMethods"] == {"GET": {}}
    apigw.delete_integration(restApiId=api, resourceId=uid["id"], httpMethod="GET")
    apigw.delete_method(restApiId=api, resourceId=uid["id"], httpMethod="GET")
    apigw.delete_resource(restApiId=api, resourceId=users["id"])
    paths = sorted(r["path"] for r in apigw.get_resources(restApiId=api)["items"])
    assert paths == ["/", "/{proxy+}"]


def mock_api(apigw, name="mock", body='{"ok": true}'):
    api = apigw.create_rest_api(name=name)["id"]
    root = root_of(apigw, api)
    r = apigw.create_resource(restApiId=api, parentId=root, pathPart="ping")
    apigw.put_method(restApiId=api, resourceId=r["id"], httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=r["id"], httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api, resourceId=r["id"], httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api, resourceId=r["id"], httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": body})
    return api, r["id"]


def test_deployments_and_stages(apigw):
    api = apigw.create_rest_api(name="dep")["id"]
    raises(apigw.create_deployment, "BadRequestException", "The REST API doesn't contain any methods",
           400, restApiId=api, stageName="x")
    api, rid = mock_api(apigw)
    d = apigw.create_deployment(restApiId=api, stageName="prod", description="v1",
                                variables={"color": "blue"})
    assert d["description"] == "v1" and d["apiSummary"] == {"/ping": {"GET": {
        "authorizationType": "NONE", "apiKeyRequired": False}}}
    assert apigw.get_deployment(restApiId=api, deploymentId=d["id"])["id"] == d["id"]
    assert [x["id"] for x in apigw.get_deployments(restApiId=api)["items"]] == [d["id"]]
    s = apigw.get_stage(restApiId=api, stageName="prod")
    assert s["deploymentId"] == d["id"] and s["variables"] == {"color": "blue"}
    raises(apigw.create_stage, "ConflictException", "Stage already exists", 409,
           restApiId=api, stageName="prod", deploymentId=d["id"])
    raises(apigw.get_stage, "NotFoundException", "Invalid Stage identifier specified", 404,
           restApiId=api, stageName="nope")
    apigw.create_stage(restApiId=api, stageName="dev", deploymentId=d["id"], variables={"a": "1"})
    up = apigw.update_stage(restApiId=api, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/variables/b", "value": "2"},
        {"op": "remove", "path": "/variables/a"},
        {"op": "replace", "path": "/description", "value": "dev stage"}])
    assert up["variables"] == {"b": "2"} and up["description"] == "dev stage"
    assert sorted(s["stageName"] for s in apigw.get_stages(restApiId=api)["item"]) == ["dev", "prod"]
    arn = f"arn:aws:apigateway:{apigw.meta.region_name}::/restapis/{api}/stages/dev"
    apigw.tag_resource(resourceArn=arn, tags={"k": "v"})
    assert apigw.get_tags(resourceArn=arn)["tags"] == {"k": "v"}
    raises(apigw.delete_deployment, "BadRequestException", status=400, restApiId=api, deploymentId=d["id"])
    apigw.delete_stage(restApiId=api, stageName="dev")
    raises(apigw.get_deployment, "NotFoundException", "Invalid Deployment identifier specified", 404,
           restApiId=api, deploymentId="zzzzzzzzzz")


def test_cli_lists_rest_apis(ferry, apigw):
    api = apigw.create_rest_api(name="cli-api")["id"]
    r = ferry.aws("apigateway", "get-rest-apis", profile="dev")
    assert api in [x["id"] for x in r.json["items"]]


# ---- the data plane ----

ECHO = {"index.py": """import base64, json

def handler(event, context):
    p = event["path"]
    if p.endswith("/malformed"):
        return {"statusCode": 200, "bogus": 1}
    if p.endswith("/fail"):
        raise ValueError("asked to fail")
    if p.endswith("/binary"):
        return {"statusCode": 200, "headers": {"Content-Type": "application/octet-stream"},
                "body": base64.b64encode(bytes([0, 1, 2, 255])).decode(), "isBase64Encoded": True}
    return {"statusCode": 201, "headers": {"X-Echo": "yes"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}, "body": json.dumps(event)}
"""}


def call(ferry, api, stage_path, method="GET", body=None, headers=None, host_form=True):
    """An HTTP request to a deployed stage, at API.execute-api.localhost (Host routing) or at
    the path form; returns (status, headers, body bytes)."""
    h = dict(headers or {})
    if host_form:
        h["Host"] = f"{api}.execute-api.localhost:{ferry.port}"
        url = ferry.endpoint + stage_path
    else:
        url = f"{ferry.endpoint}/_ferry/execute-api/{api}{stage_path}"
    req = urllib.request.Request(url, data=body, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


@pytest.fixture(scope="module")
def lam(ferry):
    return ferry.client("lambda", "dev")


@pytest.fixture(scope="module")
def echo(ferry, lam):
    iam = ferry.client("iam", "dev")
    role = iam.create_role(RoleName="apigw-fn", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    arns = {}
    for name in ("echo", "noperm"):
        arns[name] = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                                         Handler="index.handler", Code={"ZipFile": zipped(ECHO)})["FunctionArn"]
        lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    return arns


def lambda_uri(region, fn_arn):
    return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{fn_arn}/invocations"


def proxy_method(apigw, api, rid, fn_arn, method="ANY", auth="NONE"):
    apigw.put_method(restApiId=api, resourceId=rid, httpMethod=method, authorizationType=auth)
    apigw.put_integration(restApiId=api, resourceId=rid, httpMethod=method, type="AWS_PROXY",
                          integrationHttpMethod="POST", uri=lambda_uri(apigw.meta.region_name, fn_arn))


@pytest.fixture(scope="module")
def proxy_api(ferry, apigw, lam, echo):
    api = apigw.create_rest_api(name="proxy", binaryMediaTypes=["application/octet-stream"])["id"]
    root = root_of(apigw, api)
    items = apigw.create_resource(restApiId=api, parentId=root, pathPart="items")
    item = apigw.create_resource(restApiId=api, parentId=items["id"], pathPart="{id}")
    greedy = apigw.create_resource(restApiId=api, parentId=root, pathPart="{proxy+}")
    np = apigw.create_resource(restApiId=api, parentId=root, pathPart="noperm")
    proxy_method(apigw, api, item["id"], echo["echo"], "GET")
    proxy_method(apigw, api, greedy["id"], echo["echo"])
    proxy_method(apigw, api, np["id"], echo["noperm"], "GET")
    region, account = apigw.meta.region_name, acct(ferry, "dev")
    lam.add_permission(FunctionName="echo", StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:{region}:{account}:{api}/*/*/*")
    apigw.create_deployment(restApiId=api, stageName="prod", variables={"color": "blue"})
    return api


@pytest.mark.parametrize("host_form", [True, False])
def test_lambda_proxy_event(ferry, proxy_api, host_form):
    st, h, body = call(ferry, proxy_api, "/prod/items/42?a=1&a=2&b=x%20y", headers={"X-Test": "v"},
                       host_form=host_form)
    assert st == 201, body
    assert h["X-Echo"] == "yes" and h.get_all("Set-Cookie") == ["a=1", "b=2"]
    ev = json.loads(body)
    assert ev["resource"] == "/items/{id}" and ev["path"] == "/items/42" and ev["httpMethod"] == "GET"
    assert ev["pathParameters"] == {"id": "42"} and ev["stageVariables"] == {"color": "blue"}
    assert ev["queryStringParameters"] == {"a": "2", "b": "x y"}
    assert ev["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x y"]}
    assert ev["headers"]["x-test"] == "v" and ev["multiValueHeaders"]["x-test"] == ["v"]
    assert ev["body"] is None and ev["isBase64Encoded"] is False
    rc = ev["requestContext"]
    assert rc["accountId"] == acct(ferry, "dev") and rc["apiId"] == proxy_api and rc["stage"] == "prod"
    assert rc["resourcePath"] == "/items/{id}" and rc["httpMethod"] == "GET" and rc["path"] == "/prod/items/42"
    assert rc["identity"]["sourceIp"] == "127.0.0.1" and rc["protocol"] == "HTTP/1.1"
    assert rc["requestId"] and rc["resourceId"] and rc["requestTimeEpoch"] > 0 and rc["domainName"]


def test_greedy_path_and_bodies(ferry, proxy_api):
    st, _, body = call(ferry, proxy_api, "/prod/a/b/c", method="POST", body=b'{"k": 1}',
                       headers={"Content-Type": "application/json"})
    ev = json.loads(body)
    assert st == 201 and ev["resource"] == "/{proxy+}" and ev["pathParameters"] == {"proxy": "a/b/c"}
    assert ev["httpMethod"] == "POST" and ev["body"] == '{"k": 1}' and ev["isBase64Encoded"] is False
    st, _, body = call(ferry, proxy_api, "/prod/up", method="PUT", body=bytes([0, 159, 146, 150]),
                       headers={"Content-Type": "application/octet-stream"})
    ev = json.loads(body)
    assert ev["isBase64Encoded"] is True and base64.b64decode(ev["body"]) == bytes([0, 159, 146, 150])
    st, h, body = call(ferry, proxy_api, "/prod/x/binary")
    assert st == 200 and body == bytes([0, 1, 2, 255]) and h["Content-Type"] == "application/octet-stream"


def test_proxy_failures(ferry, proxy_api):
    err = {"message": "Internal server error"}
    st, _, body = call(ferry, proxy_api, "/prod/x/malformed")
    assert (st, json.loads(body)) == (502, err)
    st, _, body = call(ferry, proxy_api, "/prod/x/fail")
    assert (st, json.loads(body)) == (502, err)
    st, _, body = call(ferry, proxy_api, "/prod/noperm")  # no AddPermission for this function
    assert (st, json.loads(body)) == (500, err)
    st, _, body = call(ferry, proxy_api, "/nostage/items/1")
    assert (st, json.loads(body)) == (403, {"message": "Forbidden"})
    st, h, body = call(ferry, proxy_api, "/prod/noperm", method="POST")  # no such method
    assert (st, json.loads(body)) == (403, {"message": "Missing Authentication Token"})
    assert h["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    st, _, body = call(ferry, proxy_api, "/prod")  # the root has no method
    assert (st, json.loads(body)) == (403, {"message": "Missing Authentication Token"})


def test_mock_and_redeploy(ferry, apigw):
    api, rid = mock_api(apigw, "mock2", '{"pong": true}')
    apigw.put_integration_response(restApiId=api, resourceId=rid, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": '{"pong": true}'},
                                   responseParameters={"method.response.header.X-Mock": "'yes'"})
    apigw.create_deployment(restApiId=api, stageName="v1")
    st, h, body = call(ferry, api, "/v1/ping")
    assert st == 200 and json.loads(body) == {"pong": True} and h["X-Mock"] == "yes"
    # a change is not served until deployed again
    root = root_of(apigw, api)
    r = apigw.create_resource(restApiId=api, parentId=root, pathPart="later")
    apigw.put_method(restApiId=api, resourceId=r["id"], httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=r["id"], httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_integration_response(restApiId=api, resourceId=r["id"], httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": '{"later": 1}'})
    assert call(ferry, api, "/v1/later")[0] == 403
    apigw.create_deployment(restApiId=api, stageName="v1")
    st, _, body = call(ferry, api, "/v1/later", host_form=False)
    assert st == 200 and json.loads(body) == {"later": 1}


def signed(ferry, creds, api, stage_path, method="GET", region="us-east-1"):
    """A SigV4 (execute-api) signed request to the host form."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    host = f"{api}.execute-api.localhost:{ferry.port}"
    req = AWSRequest(method=method, url=f"http://{host}{stage_path}", headers={"Host": host})
    SigV4Auth(creds, "execute-api", region).add_auth(req)
    return call(ferry, api, stage_path, method=method, headers=dict(req.headers.items()))


def test_aws_iam_authorization(ferry, apigw):
    api, rid = mock_api(apigw, "iam-api")
    apigw.delete_method(restApiId=api, resourceId=rid, httpMethod="GET")
    apigw.put_method(restApiId=api, resourceId=rid, httpMethod="GET", authorizationType="AWS_IAM")
    apigw.put_integration(restApiId=api, resourceId=rid, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_integration_response(restApiId=api, resourceId=rid, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": '{"signed": true}'})
    apigw.create_deployment(restApiId=api, stageName="s")
    region = apigw.meta.region_name
    st, _, body = call(ferry, api, "/s/ping")
    assert (st, json.loads(body)) == (403, {"message": "Missing Authentication Token"})
    st, _, body = signed(ferry, ferry.session("dev").get_credentials(), api, "/s/ping", region=region)
    assert (st, json.loads(body)) == (200, {"signed": True})
    other = ferry.user_client("sts", "dev", "no-invoke", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "execute-api:Invoke",
         "Resource": f"arn:aws:execute-api:{region}:*:{api}/s/POST/*"}]})
    st, _, body = signed(ferry, other._request_signer._credentials, api, "/s/ping", region=region)
    assert st == 403 and "not authorized to perform: execute-api:Invoke" in json.loads(body)["Message"]


SWAGGER = {
    "swagger": "2.0", "info": {"title": "catalog", "version": "1"}, "basePath": "/Prod",
    "x-amazon-apigateway-binary-media-types": ["image/png"],
    "paths": {
        "/product/create": {"post": {"responses": {"200": {}}, "x-amazon-apigateway-integration": {
            "type": "aws_proxy", "httpMethod": "POST", "uri": "URI"}}},
        "/product/find/{id}": {"get": {"x-amazon-apigateway-integration": {
            "type": "aws_proxy", "httpMethod": "POST", "uri": "URI"}}},
        "/health": {"get": {"responses": {"200": {}}, "x-amazon-apigateway-integration": {
            "type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "responses": {"default": {"statusCode": "200",
                                      "responseTemplates": {"application/json": '{"up": 1}'}}}}}}}}

YAML_SPEC = """openapi: "3.0.1"
info:
  title: catalog-v2
paths:
  /only:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{"statusCode": 200}'
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{"only": true}'
"""


def test_import_swagger_and_put_yaml(ferry, apigw, lam, echo):
    region, account = apigw.meta.region_name, acct(ferry, "dev")
    spec = json.loads(json.dumps(SWAGGER).replace('"URI"', json.dumps(lambda_uri(region, echo["echo"]))))
    a = apigw.import_rest_api(body=json.dumps(spec).encode())
    assert a["name"] == "catalog" and a["binaryMediaTypes"] == ["image/png"]
    api = a["id"]
    paths = sorted(r["path"] for r in apigw.get_resources(restApiId=api)["items"])
    assert paths == ["/", "/health", "/product", "/product/create", "/product/find", "/product/find/{id}"]
    lam.add_permission(FunctionName="echo", StatementId="catalog", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:{region}:{account}:{api}/*/*/*")
    apigw.create_deployment(restApiId=api, stageName="Prod")
    st, _, body = call(ferry, api, "/Prod/product/create", method="POST", body=b'{"id": 1001}')
    assert st == 201 and json.loads(json.loads(body)["body"]) == {"id": 1001}
    st, _, body = call(ferry, api, "/Prod/product/find/1001")
    assert st == 201 and json.loads(body)["pathParameters"] == {"id": "1001"}
    st, _, body = call(ferry, api, "/Prod/health")
    assert (st, json.loads(body)) == (200, {"up": 1})
    up = apigw.put_rest_api(restApiId=api, mode="overwrite", body=YAML_SPEC.encode())
    assert up["name"] == "catalog-v2"
    assert sorted(r["path"] for r in apigw.get_resources(restApiId=api)["items"]) == ["/", "/only"]
    apigw.create_deployment(restApiId=api, stageName="Prod")
    st, _, body = call(ferry, api, "/Prod/only", method="DELETE", host_form=False)
    assert (st, json.loads(body)) == (200, {"only": True})
    raises(apigw.import_rest_api, "BadRequestException", status=400, body=b"{not a spec")
    raises(apigw.import_rest_api, "BadRequestException", status=400, body=b'{"swagger": "1.2"}')


# ---- CloudFormation ----

AIRMILES = ("import json\n\ndef handler(event, context):\n"
            "    return {'statusCode': 200, 'body': json.dumps({'booking': event['pathParameters']['bookingid'],"
            " 'method': event['httpMethod']})}\n")


def cfn_function():
    return {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
            "Runtime": "python3.12", "Handler": "index.handler", "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Code": {"ZipFile": AIRMILES}}},
        "Perm": {"Type": "AWS::Lambda::Permission", "Properties": {
            "FunctionName": {"Ref": "Fn"}, "Action": "lambda:InvokeFunction",
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": {"Fn::Sub": "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*/*/*"}}},
    }


FN_URI = {"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations"}


def test_cloudformation_rest_api_method_deployment(ferry, apigw):
    from test_cfn_providers import Stacks
    stacks = Stacks(ferry)
    tpl = {"Resources": {**cfn_function(),
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "airmiles"}},
        "Airmiles": {"Type": "AWS::ApiGateway::Resource", "Properties": {
            "RestApiId": {"Ref": "Api"}, "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
            "PathPart": "airmiles"}},
        "Booking": {"Type": "AWS::ApiGateway::Resource", "Properties": {
            "RestApiId": {"Ref": "Api"}, "ParentId": {"Ref": "Airmiles"}, "PathPart": "{bookingid}"}},
        "Get": {"Type": "AWS::ApiGateway::Method", "Properties": {
            "RestApiId": {"Ref": "Api"}, "ResourceId": {"Ref": "Booking"}, "HttpMethod": "GET",
            "AuthorizationType": "NONE",
            "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Uri": FN_URI}}},
        "Deployment": {"Type": "AWS::ApiGateway::Deployment", "DependsOn": ["Get"], "Properties": {
            "RestApiId": {"Ref": "Api"}, "StageName": "Prod"}}},
        "Outputs": {"Api": {"Value": {"Ref": "Api"}}, "Root": {"Value": {"Fn::GetAtt": ["Api", "RootResourceId"]}}}}
    s = stacks.deploy("airmiles", tpl)
    api = s["Out"]["Api"]
    assert s["Out"]["Root"] == root_of(apigw, api)
    st, _, body = call(ferry, api, "/Prod/airmiles/b-42")
    assert st == 200 and json.loads(body) == {"booking": "b-42", "method": "GET"}
    stacks.delete(s)
    raises(apigw.get_rest_api, "NotFoundException", status=404, restApiId=api)


def sam_like(paths):
    """What the SAM transform makes of an implicit API: RestApi with a Swagger Body, a
    Deployment with StageName "Stage" and a Prod stage."""
    body = {"swagger": "2.0", "info": {"title": "bookings", "version": "1.0"}, "paths": {
        p: {"x-amazon-apigateway-any-method": {"x-amazon-apigateway-integration": {
            "type": "aws_proxy", "httpMethod": "POST", "uri": FN_URI}}} for p in paths}}
    dep = "ServerlessRestApiDeployment" + str(len(paths))
    return {"Resources": {**cfn_function(),
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": body}},
        dep: {"Type": "AWS::ApiGateway::Deployment", "Properties": {
            "RestApiId": {"Ref": "Api"}, "Description": "RestApi deployment", "StageName": "Stage"}},
        "ServerlessRestApiProdStage": {"Type": "AWS::ApiGateway::Stage", "Properties": {
            "RestApiId": {"Ref": "Api"}, "DeploymentId": {"Ref": dep}, "StageName": "Prod"}}},
        "Outputs": {"Api": {"Value": {"Ref": "Api"}}}}


def test_cloudformation_swagger_body_update(ferry, apigw):
    from test_cfn_providers import Stacks
    stacks = Stacks(ferry)
    s = stacks.deploy("bookings", sam_like(["/airmiles/{bookingid}"]))
    api = s["Out"]["Api"]
    assert apigw.get_rest_api(restApiId=api)["name"] == "bookings"
    st, _, body = call(ferry, api, "/Prod/airmiles/7", method="POST")
    assert st == 200 and json.loads(body) == {"booking": "7", "method": "POST"}
    s = stacks.deploy("bookings", sam_like(["/airmiles/{bookingid}", "/miles/{bookingid}"]), update=True)
    assert s["Out"]["Api"] == api
    st, _, body = call(ferry, api, "/Prod/miles/8", host_form=False)
    assert st == 200 and json.loads(body)["booking"] == "8"
    assert sorted(x["stageName"] for x in apigw.get_stages(restApiId=api)["item"]) == ["Prod", "Stage"]
    assert len(apigw.get_deployments(restApiId=api)["items"]) == 1
    stacks.delete(s)


# ---- HTTP_PROXY and timeouts ----

@pytest.fixture(scope="module")
def backend():
    """A local HTTP endpoint answering with what it was sent (and slowly under /slow)."""
    import http.server
    import threading
    import time

    class H(http.server.BaseHTTPRequestHandler):
        def answer(self):
            if self.path.startswith("/slow"):
                time.sleep(1.5)
            n = int(self.headers.get("Content-Length") or 0)
            body = json.dumps({"method": self.command, "path": self.path,
                               "x-test": self.headers.get("X-Test"),
                               "body": self.rfile.read(n).decode()}).encode()
            try:
                self.send_response(207)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Backend", "1")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass
        do_GET = do_POST = do_PUT = do_DELETE = answer

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def test_http_proxy_and_timeout(ferry, apigw, backend):
    api = apigw.create_rest_api(name="http")["id"]
    root = root_of(apigw, api)
    greedy = apigw.create_resource(restApiId=api, parentId=root, pathPart="{proxy+}")
    apigw.put_method(restApiId=api, resourceId=greedy["id"], httpMethod="ANY", authorizationType="NONE",
                     requestParameters={"method.request.path.proxy": True})
    apigw.put_integration(restApiId=api, resourceId=greedy["id"], httpMethod="ANY", type="HTTP_PROXY",
                          integrationHttpMethod="ANY", uri=backend + "/{proxy}", timeoutInMillis=500,
                          requestParameters={"integration.request.path.proxy": "method.request.path.proxy"})
    apigw.create_deployment(restApiId=api, stageName="live")
    st, h, body = call(ferry, api, "/live/a/b?q=1", method="POST", body=b"hello", headers={"X-Test": "t"})
    assert st == 207 and h["X-Backend"] == "1"
    assert json.loads(body) == {"method": "POST", "path": "/a/b?q=1", "x-test": "t", "body": "hello"}
    st, _, body = call(ferry, api, "/live/slow")
    assert (st, json.loads(body)) == (504, {"message": "Endpoint request timed out"})


SLOW = {"index.py": "import time\n\ndef handler(event, context):\n    time.sleep(1.5)\n"
                    "    return {'statusCode': 200, 'body': 'late'}\n"}


def test_lambda_integration_timeout(ferry, apigw, lam, echo):  # echo: its role
    role = ferry.client("iam", "dev").get_role(RoleName="apigw-fn")["Role"]["Arn"]
    arn = lam.create_function(FunctionName="slow", Runtime="python3.12", Role=role, Timeout=5,
                              Handler="index.handler", Code={"ZipFile": zipped(SLOW)})["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName="slow", WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    api = apigw.create_rest_api(name="slow")["id"]
    root = root_of(apigw, api)
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="AWS_PROXY",
                          integrationHttpMethod="POST", uri=lambda_uri(apigw.meta.region_name, arn),
                          timeoutInMillis=1000)
    lam.add_permission(FunctionName="slow", StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com")
    apigw.create_deployment(restApiId=api, stageName="s")
    st, _, body = call(ferry, api, "/s")
    assert (st, json.loads(body)) == (504, {"message": "Endpoint request timed out"})


def test_mock_mapping_templates(ferry, apigw):
    api = apigw.create_rest_api(name="vtl")["id"]
    root = root_of(apigw, api)
    r = apigw.create_resource(restApiId=api, parentId=root, pathPart="{id}")
    apigw.put_method(restApiId=api, resourceId=r["id"], httpMethod="POST", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=r["id"], httpMethod="POST", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": $input.json(\'$.code\')}'})
    apigw.put_integration_response(restApiId=api, resourceId=r["id"], httpMethod="POST", statusCode="200",
                                   responseTemplates={"application/json": (
                                       '{"id": "$input.params(\'id\')", "q": "$util.escapeJavaScript($input.params(\'q\'))", '
                                       '"stage": "$context.stage", "color": "${stageVariables.color}", '
                                       '"ip": "$context.identity.sourceIp", "rid": "$context.requestId", "x": "$nothing"}')})
    apigw.put_integration_response(restApiId=api, resourceId=r["id"], httpMethod="POST", statusCode="404",
                                   selectionPattern="404", responseTemplates={"application/json": '{"missing": true}'})
    apigw.create_deployment(restApiId=api, stageName="t", variables={"color": "red"})
    st, h, body = call(ferry, api, '/t/42?q=say%20"hi"', method="POST", body=b'{"code": 200}')
    assert st == 200, body
    got = json.loads(body)
    assert got["id"] == "42" and got["q"] == 'say "hi"' and got["stage"] == "t" and got["color"] == "red"
    assert got["ip"] == "127.0.0.1" and got["rid"] == h["x-amzn-RequestId"] and got["x"] == "$nothing"
    st, _, body = call(ferry, api, "/t/42", method="POST", body=b'{"code": 404}')
    assert (st, json.loads(body)) == (404, {"missing": True})


def test_rest_api_collection_arn(ferry):
    """CreateRestApi and GetRestApis are authorized on .../restapis (no slash), the resource
    identity policies name (P08's CloudFormationDeploymentRole)."""
    allow = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["apigateway:POST", "apigateway:GET"],
         "Resource": "arn:aws:apigateway:*::/restapis"}]}
    user = ferry.user_client("apigateway", "dev", "restapis-collection", allow)
    api = user.create_rest_api(name="collection")["id"]
    assert api in [a["id"] for a in user.get_rest_apis()["items"]]
    only_items = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["apigateway:POST", "apigateway:GET"],
         "Resource": "arn:aws:apigateway:*::/restapis/*"}]}
    other = ferry.user_client("apigateway", "dev", "restapis-items", only_items)
    raises(other.create_rest_api, "AccessDeniedException", name="denied")
