"""API Gateway REST APIs: Lambda authorizers (CreateAuthorizer ... DeleteAuthorizer, AWS's
errors, methods of authorization type CUSTOM) and what the data plane does with them: TOKEN
and REQUEST authorizers invoked as API Gateway (the function's policy, or the authorizer's
credentials role), their IAM policy evaluated against the method ARN, principalId and
context handed to the integration, answers cached by identity, and AWS's 401/403/500. Then
API keys and usage plans: the control plane, methods requiring a key (x-api-key) of a plan
naming their stage (or the key a Lambda authorizer answers), the quota enforced (429) and
counted durably (across a kill -9); OpenAPI imports, CloudFormation and SAM Auth."""
import datetime
import json
import signal
import urllib.request

import pytest
from ferrytest import acct, raises, zipped

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}

AUTHZ = {"index.py": """import json, uuid

def handler(event, context):
    if event["type"] == "TOKEN":
        tok = event["authorizationToken"]
    else:
        tok = event["headers"].get("x-token", "")
    if tok == "unauth":
        raise Exception("Unauthorized")
    if tok == "boom":
        raise ValueError("boom")
    if tok == "bad":
        return {"nope": 1}
    arn = event["methodArn"]
    resource = arn.rsplit("/", 2)[0] + "/POST/*" if tok == "other" else arn
    ctx = {"k": "v", "n": 1, "b": True, "nonce": str(uuid.uuid4()), "type": event["type"],
           "arn": arn}
    if event["type"] == "REQUEST":
        ctx["q"] = event["queryStringParameters"]["q"]
        ctx["color"] = event["stageVariables"]["color"]
    out = {"principalId": "user-" + tok,
           "policyDocument": {"Version": "2012-10-17", "Statement": [
               {"Action": "execute-api:Invoke", "Effect": "Deny" if tok == "deny" else "Allow",
                "Resource": resource}]},
           "context": ctx}
    if tok.startswith("key-"):
        out["usageIdentifierKey"] = tok[4:]
    return out
"""}

ECHO = {"index.py": """import json

def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}
"""}


@pytest.fixture(scope="module")
def apigw(ferry):
    return ferry.client("apigateway", "dev")


@pytest.fixture(scope="module")
def fns(ferry):
    lam = ferry.client("lambda", "dev")
    role = ferry.client("iam", "dev").create_role(
        RoleName="authz-fn", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    arns = {}
    for name, code in (("authz", AUTHZ), ("authz-private", AUTHZ), ("echo", ECHO)):
        arns[name] = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                                         Handler="index.handler",
                                         Code={"ZipFile": zipped(code)})["FunctionArn"]
    for name in arns:
        lam.get_waiter("function_active_v2").wait(FunctionName=name,
                                                  WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    account = acct(ferry, "dev")
    for name in ("authz", "echo"):
        lam.add_permission(FunctionName=name, StatementId="apigw", Action="lambda:InvokeFunction",
                           Principal="apigateway.amazonaws.com",
                           SourceArn=f"arn:aws:execute-api:us-east-1:{account}:*")
    return arns


def uri(fn_arn):
    return f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{fn_arn}/invocations"


def call(ferry, api, path, headers=None):
    h = dict(headers or {})
    h["Host"] = f"{api}.execute-api.localhost:{ferry.port}"
    req = urllib.request.Request(ferry.endpoint + path, method="GET", headers=h)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def root_of(apigw, api):
    return next(r["id"] for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == "/")


def test_authorizer_control_plane(apigw, fns):
    api = apigw.create_rest_api(name="authz-cp")["id"]
    a = apigw.create_authorizer(restApiId=api, name="tok", type="TOKEN",
                                authorizerUri=uri(fns["authz"]),
                                identitySource="method.request.header.Authorization",
                                identityValidationExpression="^[a-z]+$")
    assert a["type"] == "TOKEN" and a["name"] == "tok" and a["authorizerResultTtlInSeconds"] == 300
    assert apigw.get_authorizer(restApiId=api, authorizerId=a["id"])["identitySource"] == \
        "method.request.header.Authorization"
    r = apigw.create_authorizer(restApiId=api, name="req", type="REQUEST",
                                authorizerUri=uri(fns["authz"]), authorizerResultTtlInSeconds=0,
                                identitySource="method.request.header.x, method.request.querystring.q")
    assert sorted(x["name"] for x in apigw.get_authorizers(restApiId=api)["items"]) == ["req", "tok"]
    u = apigw.update_authorizer(restApiId=api, authorizerId=a["id"], patchOperations=[
        {"op": "replace", "path": "/authorizerResultTtlInSeconds", "value": "60"},
        {"op": "replace", "path": "/name", "value": "tok2"}])
    assert u["authorizerResultTtlInSeconds"] == 60 and u["name"] == "tok2"
    raises(apigw.create_authorizer, "BadRequestException",
           "Invalid token source expression: method.request.querystring.q. The source must be a "
           "method request header, matching 'method.request.header.[a-zA-Z0-9._-]+'.",
           restApiId=api, name="x", type="TOKEN", authorizerUri=uri(fns["authz"]),
           identitySource="method.request.querystring.q")
    raises(apigw.create_authorizer, "BadRequestException", restApiId=api, name="x",
           type="REQUEST", authorizerUri=uri(fns["authz"]), identitySource="body.x")
    raises(apigw.create_authorizer, "BadRequestException", restApiId=api, name="x", type="TOKEN",
           identitySource="method.request.header.A")
    raises(apigw.update_authorizer, "BadRequestException", restApiId=api, authorizerId=a["id"],
           patchOperations=[{"op": "replace", "path": "/authorizerResultTtlInSeconds",
                             "value": "3601"}])
    raises(apigw.get_authorizer, "NotFoundException", "Invalid Authorizer identifier specified",
           restApiId=api, authorizerId="nope")
    root = root_of(apigw, api)
    raises(apigw.put_method, "BadRequestException",
           "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or "
           "COGNITO_USER_POOLS requires a valid authorizer.",
           restApiId=api, resourceId=root, httpMethod="GET", authorizationType="CUSTOM",
           authorizerId="nope")
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="CUSTOM",
                     authorizerId=r["id"])
    raises(apigw.delete_authorizer, "ConflictException", restApiId=api, authorizerId=r["id"])
    apigw.delete_authorizer(restApiId=api, authorizerId=a["id"])
    assert [x["name"] for x in apigw.get_authorizers(restApiId=api)["items"]] == ["req"]


@pytest.fixture(scope="module")
def served(ferry, apigw, fns):
    """An API whose resources each use one authorizer: /tok (TOKEN, no cache), /cached (TOKEN,
    cached), /req (REQUEST, cached), /creds (TOKEN through a credentials role), /mock (MOCK
    mapping $context.authorizer)."""
    api = apigw.create_rest_api(name="authz")["id"]
    root = root_of(apigw, api)
    iam = ferry.client("iam", "dev")
    role = iam.create_role(RoleName="apigw-invoker", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
             "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName="apigw-invoker", PolicyName="invoke", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": fns["authz-private"]}]}))
    azs = {
        "tok": dict(type="TOKEN", identitySource="method.request.header.Authorization",
                    identityValidationExpression="[a-z0-9]+", authorizerResultTtlInSeconds=0),
        "cached": dict(type="TOKEN", identitySource="method.request.header.Authorization"),
        "req": dict(type="REQUEST", authorizerResultTtlInSeconds=300,
                    identitySource="method.request.header.X-Token, method.request.querystring.q"),
        "creds": dict(type="TOKEN", identitySource="method.request.header.Authorization",
                      authorizerResultTtlInSeconds=0, authorizerCredentials=role),
        "nocreds": dict(type="TOKEN", identitySource="method.request.header.Authorization",
                        authorizerResultTtlInSeconds=0),
    }
    for name, kw in azs.items():
        fn = fns["authz-private"] if name in ("creds", "nocreds") else fns["authz"]
        az = apigw.create_authorizer(restApiId=api, name=name, authorizerUri=uri(fn), **kw)["id"]
        rid = apigw.create_resource(restApiId=api, parentId=root, pathPart=name)["id"]
        apigw.put_method(restApiId=api, resourceId=rid, httpMethod="GET",
                         authorizationType="CUSTOM", authorizerId=az)
        apigw.put_integration(restApiId=api, resourceId=rid, httpMethod="GET", type="AWS_PROXY",
                              integrationHttpMethod="POST", uri=uri(fns["echo"]))
        if name == "tok":
            tok = az
    rid = apigw.create_resource(restApiId=api, parentId=root, pathPart="mock")["id"]
    apigw.put_method(restApiId=api, resourceId=rid, httpMethod="GET", authorizationType="CUSTOM",
                     authorizerId=tok)
    apigw.put_integration(restApiId=api, resourceId=rid, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api, resourceId=rid, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(
        restApiId=api, resourceId=rid, httpMethod="GET", statusCode="200", responseTemplates={
            "application/json": '{"who": "$context.authorizer.principalId", '
                                '"k": "$context.authorizer.k"}'})
    apigw.create_deployment(restApiId=api, stageName="prod", variables={"color": "green"})
    return api


def test_token_authorizer(ferry, served):
    account = acct(ferry, "dev")
    s, h, b = call(ferry, served, "/prod/tok", {"Authorization": "allow"})
    assert s == 200, b
    ev = json.loads(b)
    az = ev["requestContext"]["authorizer"]
    assert az["principalId"] == "user-allow" and az["k"] == "v" and az["n"] == "1"
    assert az["b"] == "true" and az["type"] == "TOKEN" and "integrationLatency" in az
    assert az["arn"] == f"arn:aws:execute-api:us-east-1:{account}:{served}/prod/GET/tok"
    # refusals, in AWS's words
    for headers, status, body in (
            ({}, 401, {"message": "Unauthorized"}),
            ({"Authorization": "NOT-valid!"}, 401, {"message": "Unauthorized"}),
            ({"Authorization": "unauth"}, 401, {"message": "Unauthorized"}),
            ({"Authorization": "deny"}, 403,
             {"Message": "User is not authorized to access this resource with an explicit deny"}),
            ({"Authorization": "other"}, 403,
             {"Message": "User is not authorized to access this resource"}),
            ({"Authorization": "boom"}, 500, {"message": None}),
            ({"Authorization": "bad"}, 500, {"message": None})):
        s, h, b = call(ferry, served, "/prod/tok", headers)
        assert (s, json.loads(b)) == (status, body), headers
    s, h, _ = call(ferry, served, "/prod/tok", {"Authorization": "boom"})
    assert h["x-amzn-ErrorType"] == "AuthorizerConfigurationException"
    # $context.authorizer in mapping templates
    s, _, b = call(ferry, served, "/prod/mock", {"Authorization": "allow"})
    assert s == 200 and json.loads(b) == {"who": "user-allow", "k": "v"}


def test_cache_by_identity(ferry, served):
    def nonce(path, headers):
        s, _, b = call(ferry, served, path, headers)
        assert s == 200, b
        return json.loads(b)["requestContext"]["authorizer"]["nonce"]

    one = nonce("/prod/cached", {"Authorization": "c1"})
    assert nonce("/prod/cached", {"Authorization": "c1"}) == one
    assert nonce("/prod/cached", {"Authorization": "c2"}) != one
    t1 = nonce("/prod/tok", {"Authorization": "c1"})  # TTL 0: asked every time
    assert nonce("/prod/tok", {"Authorization": "c1"}) != t1


def test_request_authorizer(ferry, served):
    s, _, b = call(ferry, served, "/prod/req?q=1", {"X-Token": "r1"})
    assert s == 200, b
    az = json.loads(b)["requestContext"]["authorizer"]
    assert az["type"] == "REQUEST" and az["q"] == "1" and az["color"] == "green"
    assert az["principalId"] == "user-r1"
    again = json.loads(call(ferry, served, "/prod/req?q=1", {"X-Token": "r1"})[2])
    assert again["requestContext"]["authorizer"]["nonce"] == az["nonce"]
    other = json.loads(call(ferry, served, "/prod/req?q=2", {"X-Token": "r1"})[2])
    assert other["requestContext"]["authorizer"]["nonce"] != az["nonce"]
    # a missing identity source: refused before the function runs
    s, _, b = call(ferry, served, "/prod/req", {"X-Token": "r1"})
    assert (s, json.loads(b)) == (401, {"message": "Unauthorized"})


def test_authorizer_credentials(ferry, served):
    # the function's policy does not name API Gateway: only the credentials role may invoke it
    s, _, b = call(ferry, served, "/prod/creds", {"Authorization": "allow"})
    assert s == 200, b
    assert json.loads(b)["requestContext"]["authorizer"]["principalId"] == "user-allow"
    s, _, b = call(ferry, served, "/prod/nocreds", {"Authorization": "allow"})
    assert (s, json.loads(b)) == (500, {"message": None})


def test_import_authorizers_and_api_keys(ferry, apigw, fns):
    mock = {"type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "responses": {"default": {"statusCode": "200", "responseTemplates": {
                "application/json": '{"who": "$context.authorizer.principalId"}'}}}}
    spec = {"swagger": "2.0", "info": {"title": "imported", "version": "1"},
            "securityDefinitions": {
                "tok": {"type": "apiKey", "name": "Authorization", "in": "header",
                        "x-amazon-apigateway-authtype": "custom",
                        "x-amazon-apigateway-authorizer": {
                            "type": "token", "authorizerUri": uri(fns["authz"]),
                            "authorizerResultTtlInSeconds": 0}},
                "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}},
            "paths": {
                "/who": {"get": {"security": [{"tok": []}], "responses": {"200": {}},
                                 "x-amazon-apigateway-integration": mock}},
                "/keyed": {"get": {"security": [{"api_key": []}], "responses": {"200": {}},
                                   "x-amazon-apigateway-integration": mock}}}}
    api = apigw.import_rest_api(body=json.dumps(spec))["id"]
    azs = apigw.get_authorizers(restApiId=api)["items"]
    assert [(a["name"], a["type"], a["identitySource"]) for a in azs] == \
        [("tok", "TOKEN", "method.request.header.Authorization")]
    res = {r["path"]: r["id"] for r in apigw.get_resources(restApiId=api)["items"]}
    m = apigw.get_method(restApiId=api, resourceId=res["/who"], httpMethod="GET")
    assert m["authorizationType"] == "CUSTOM" and m["authorizerId"] == azs[0]["id"]
    m = apigw.get_method(restApiId=api, resourceId=res["/keyed"], httpMethod="GET")
    assert m["apiKeyRequired"] is True and m["authorizationType"] == "NONE"
    apigw.create_deployment(restApiId=api, stageName="v1")
    s, _, b = call(ferry, api, "/v1/who", {"Authorization": "allow"})
    assert (s, json.loads(b)) == (200, {"who": "user-allow"})
    assert call(ferry, api, "/v1/who")[0] == 401
    assert call(ferry, api, "/v1/keyed")[0] == 403


# ---- API keys and usage plans ----

def test_api_keys(apigw):
    k = apigw.create_api_key(name="alpha", enabled=True, description="d", customerId="c1")
    assert len(k["value"]) == 40 and k["enabled"] is True and k["name"] == "alpha"
    assert "value" not in apigw.get_api_key(apiKey=k["id"])
    assert apigw.get_api_key(apiKey=k["id"], includeValue=True)["value"] == k["value"]
    mine = apigw.create_api_key(name="beta", value="b" * 24)
    assert mine["value"] == "b" * 24 and mine["enabled"] is False
    listed = apigw.get_api_keys(includeValues=True, nameQuery="al")["items"]
    assert [(x["name"], x["value"]) for x in listed] == [("alpha", k["value"])]
    assert {x["name"] for x in apigw.get_api_keys()["items"]} >= {"alpha", "beta"}
    assert all("value" not in x for x in apigw.get_api_keys()["items"])
    raises(apigw.create_api_key, "BadRequestException", name="short", value="tooshort")
    raises(apigw.create_api_key, "ConflictException", name="dup", value="b" * 24)
    u = apigw.update_api_key(apiKey=mine["id"], patchOperations=[
        {"op": "replace", "path": "/enabled", "value": "true"},
        {"op": "replace", "path": "/description", "value": "now on"}])
    assert u["enabled"] is True and u["description"] == "now on"
    apigw.delete_api_key(apiKey=mine["id"])
    raises(apigw.get_api_key, "NotFoundException", "Invalid API Key identifier specified",
           apiKey=mine["id"])


@pytest.fixture(scope="module")
def keyed(apigw):
    """GET /keyed (MOCK) requires an API key; the prod stage is in a plan of 3 a day."""
    api = apigw.create_rest_api(name="keyed")["id"]
    root = root_of(apigw, api)
    rid = apigw.create_resource(restApiId=api, parentId=root, pathPart="keyed")["id"]
    apigw.put_method(restApiId=api, resourceId=rid, httpMethod="GET", authorizationType="NONE",
                     apiKeyRequired=True)
    apigw.put_integration(restApiId=api, resourceId=rid, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api, resourceId=rid, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api, resourceId=rid, httpMethod="GET",
                                   statusCode="200",
                                   responseTemplates={"application/json": '{"ok": true}'})
    apigw.create_deployment(restApiId=api, stageName="prod")
    apigw.create_deployment(restApiId=api, stageName="beta")
    return api


def test_usage_plans_and_quota(ferry, apigw, keyed):
    raises(apigw.create_usage_plan, "BadRequestException", name="bad",
           apiStages=[{"apiId": keyed, "stage": "nope"}])
    plan = apigw.create_usage_plan(name="gold", apiStages=[{"apiId": keyed, "stage": "prod"}],
                                   throttle={"burstLimit": 10, "rateLimit": 5.0},
                                   quota={"limit": 3, "period": "DAY"})
    assert plan["apiStages"] == [{"apiId": keyed, "stage": "prod"}]
    assert plan["quota"] == {"limit": 3, "offset": 0, "period": "DAY"} or \
        plan["quota"] == {"limit": 3, "period": "DAY"}
    key = apigw.create_api_key(name="caller", enabled=True)
    other = apigw.create_api_key(name="outsider", enabled=True)
    forbidden = (403, {"message": "Forbidden"})
    s, _, b = call(ferry, keyed, "/prod/keyed")
    assert (s, json.loads(b)) == forbidden
    s, _, b = call(ferry, keyed, "/prod/keyed", {"x-api-key": key["value"]})
    assert (s, json.loads(b)) == forbidden  # not in the plan yet
    pk = apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert pk == {**pk, "id": key["id"], "type": "API_KEY", "value": key["value"], "name": "caller"}
    raises(apigw.create_usage_plan_key, "ConflictException", usagePlanId=plan["id"],
           keyId=key["id"], keyType="API_KEY")
    assert [x["id"] for x in apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]] == [key["id"]]
    assert [p["id"] for p in apigw.get_usage_plans(keyId=key["id"])["items"]] == [plan["id"]]
    for _ in range(2):
        s, _, b = call(ferry, keyed, "/prod/keyed", {"x-api-key": key["value"]})
        assert (s, json.loads(b)) == (200, {"ok": True})
    s, _, b = call(ferry, keyed, "/beta/keyed", {"x-api-key": key["value"]})
    assert (s, json.loads(b)) == forbidden  # the plan does not name beta
    s, _, b = call(ferry, keyed, "/prod/keyed", {"x-api-key": other["value"]})
    assert (s, json.loads(b)) == forbidden
    # the count survives a kill -9
    ferry.stop(signal.SIGKILL)
    ferry.start()
    s, _, b = call(ferry, keyed, "/prod/keyed", {"x-api-key": key["value"]})
    assert s == 200
    s, h, b = call(ferry, keyed, "/prod/keyed", {"x-api-key": key["value"]})
    assert (s, json.loads(b)) == (429, {"message": "Limit Exceeded"})
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    u = apigw.get_usage(usagePlanId=plan["id"], startDate=today, endDate=today)
    assert u["items"] == {key["id"]: [[3, 0]]} and u["usagePlanId"] == plan["id"]
    # more quota, a disabled key, a key removed from the plan
    apigw.update_usage_plan(usagePlanId=plan["id"], patchOperations=[
        {"op": "replace", "path": "/quota/limit", "value": "10"},
        {"op": "add", "path": "/apiStages", "value": f"{keyed}:beta"}])
    assert call(ferry, keyed, "/beta/keyed", {"x-api-key": key["value"]})[0] == 200
    apigw.update_api_key(apiKey=key["id"], patchOperations=[
        {"op": "replace", "path": "/enabled", "value": "false"}])
    assert call(ferry, keyed, "/prod/keyed", {"x-api-key": key["value"]})[0] == 403
    apigw.update_api_key(apiKey=key["id"], patchOperations=[
        {"op": "replace", "path": "/enabled", "value": "true"}])
    apigw.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
    assert call(ferry, keyed, "/prod/keyed", {"x-api-key": key["value"]})[0] == 403
    apigw.delete_usage_plan(usagePlanId=plan["id"])
    raises(apigw.get_usage_plan, "NotFoundException", "Invalid Usage Plan ID specified",
           usagePlanId=plan["id"])


# ---- CloudFormation ----

AUTHZ_SRC = """def handler(event, context):
    tok = event["authorizationToken"]
    return {"principalId": tok, "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": "Allow" if tok == "allow" else "Deny",
         "Resource": event["methodArn"]}]}}
"""


def test_cloudformation_authorizer_key_plan(ferry, apigw):
    from test_cfn_providers import Stacks
    stacks = Stacks(ferry)
    api = {"Ref": "Api"}
    tpl = {"Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
            "Runtime": "python3.12", "Handler": "index.handler",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Code": {"ZipFile": AUTHZ_SRC}}},
        "Perm": {"Type": "AWS::Lambda::Permission", "Properties": {
            "FunctionName": {"Ref": "Fn"}, "Action": "lambda:InvokeFunction",
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": {"Fn::Sub": "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/authorizers/*"}}},
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "guarded"}},
        "Auth": {"Type": "AWS::ApiGateway::Authorizer", "Properties": {
            "RestApiId": api, "Name": "tok", "Type": "TOKEN",
            "IdentitySource": "method.request.header.Authorization",
            "AuthorizerResultTtlInSeconds": 0,
            "AuthorizerUri": {"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations"}}},
        "Get": {"Type": "AWS::ApiGateway::Method", "Properties": {
            "RestApiId": api, "ResourceId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
            "HttpMethod": "GET", "AuthorizationType": "CUSTOM", "AuthorizerId": {"Ref": "Auth"},
            "ApiKeyRequired": True,
            "MethodResponses": [{"StatusCode": "200"}],
            "Integration": {"Type": "MOCK", "RequestTemplates": {"application/json": '{"statusCode": 200}'},
                            "IntegrationResponses": [{"StatusCode": "200", "ResponseTemplates": {
                                "application/json": '{"hi": "$context.authorizer.principalId"}'}}]}}},
        "Deployment": {"Type": "AWS::ApiGateway::Deployment", "DependsOn": ["Get"],
                       "Properties": {"RestApiId": api, "StageName": "Prod"}},
        "Key": {"Type": "AWS::ApiGateway::ApiKey", "Properties": {"Enabled": True}},
        "Plan": {"Type": "AWS::ApiGateway::UsagePlan", "DependsOn": ["Deployment"], "Properties": {
            "UsagePlanName": "basic", "ApiStages": [{"ApiId": api, "Stage": "Prod"}],
            "Quota": {"Limit": 100, "Period": "MONTH"}, "Throttle": {"BurstLimit": 5, "RateLimit": 2}}},
        "PlanKey": {"Type": "AWS::ApiGateway::UsagePlanKey", "Properties": {
            "KeyId": {"Ref": "Key"}, "KeyType": "API_KEY", "UsagePlanId": {"Ref": "Plan"}}}},
        "Outputs": {"Api": {"Value": api}, "Key": {"Value": {"Ref": "Key"}},
                    "KeyId": {"Value": {"Fn::GetAtt": ["Key", "APIKeyId"]}},
                    "Plan": {"Value": {"Ref": "Plan"}}, "Auth": {"Value": {"Fn::GetAtt": ["Auth", "AuthorizerId"]}}}}
    s = stacks.deploy("guarded", tpl)
    out = s["Out"]
    assert out["Key"] == out["KeyId"]
    assert apigw.get_authorizer(restApiId=out["Api"], authorizerId=out["Auth"])["type"] == "TOKEN"
    plan = apigw.get_usage_plan(usagePlanId=out["Plan"])
    assert plan["name"] == "basic" and plan["quota"]["limit"] == 100
    value = apigw.get_api_key(apiKey=out["Key"], includeValue=True)["value"]
    s1, _, b = call(ferry, out["Api"], "/Prod/", {"Authorization": "allow", "x-api-key": value})
    assert (s1, json.loads(b)) == (200, {"hi": "allow"})
    assert call(ferry, out["Api"], "/Prod/", {"Authorization": "allow"})[0] == 403
    assert call(ferry, out["Api"], "/Prod/", {"Authorization": "deny", "x-api-key": value})[0] == 403
    # an update: the plan's quota
    tpl["Resources"]["Plan"]["Properties"]["Quota"]["Limit"] = 200
    stacks.deploy("guarded", tpl, update=True)
    assert apigw.get_usage_plan(usagePlanId=out["Plan"])["quota"]["limit"] == 200
    stacks.delete(s)
    raises(apigw.get_api_key, "NotFoundException", apiKey=out["Key"])
    raises(apigw.get_usage_plan, "NotFoundException", usagePlanId=out["Plan"])


def test_sam_auth_authorizers_and_api_key(ferry, apigw):
    cfn = ferry.client("cloudformation", "dev", region="us-east-1")
    echo = ("import json\n"
            "def handler(event, context):\n"
            "    return {'statusCode': 200, 'body': json.dumps(event['requestContext']['authorizer'])}\n")
    tpl = {"Transform": "AWS::Serverless-2016-10-31", "Resources": {
        "AuthFn": {"Type": "AWS::Serverless::Function", "Properties": {
            "Runtime": "python3.12", "Handler": "index.handler", "InlineCode": AUTHZ_SRC}},
        "Api": {"Type": "AWS::Serverless::Api", "Properties": {
            "StageName": "Prod", "Auth": {"DefaultAuthorizer": "Tok", "Authorizers": {
                "Tok": {"FunctionArn": {"Fn::GetAtt": ["AuthFn", "Arn"]},
                        "Identity": {"ReauthorizeEvery": 0}}}}}},
        "Fn": {"Type": "AWS::Serverless::Function", "Properties": {
            "Runtime": "python3.12", "Handler": "index.handler", "InlineCode": echo,
            "Events": {
                "Hello": {"Type": "Api", "Properties": {"RestApiId": {"Ref": "Api"},
                                                        "Path": "/hello", "Method": "get"}},
                "Open": {"Type": "Api", "Properties": {"RestApiId": {"Ref": "Api"},
                                                       "Path": "/open", "Method": "get",
                                                       "Auth": {"Authorizer": "NONE",
                                                                "ApiKeyRequired": True}}}}}}},
        "Outputs": {"Api": {"Value": {"Ref": "Api"}}}}
    cfn.create_stack(StackName="sam-auth", TemplateBody=json.dumps(tpl),
                     Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    cfn.get_waiter("stack_create_complete").wait(StackName="sam-auth",
                                                 WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    api = cfn.describe_stacks(StackName="sam-auth")["Stacks"][0]["Outputs"][0]["OutputValue"]
    s, _, b = call(ferry, api, "/Prod/hello", {"Authorization": "allow"})
    assert s == 200, b
    assert json.loads(b)["principalId"] == "allow"
    assert call(ferry, api, "/Prod/hello", {"Authorization": "deny"})[0] == 403
    assert call(ferry, api, "/Prod/hello")[0] == 401
    s, _, b = call(ferry, api, "/Prod/open")
    assert (s, json.loads(b)) == (403, {"message": "Forbidden"})  # no key


def test_api_key_from_the_authorizer(ferry, apigw, fns):
    api = apigw.create_rest_api(name="keysrc", apiKeySource="AUTHORIZER")["id"]
    az = apigw.create_authorizer(restApiId=api, name="tok", type="TOKEN",
                                 authorizerUri=uri(fns["authz"]), authorizerResultTtlInSeconds=0,
                                 identitySource="method.request.header.Authorization")["id"]
    root = root_of(apigw, api)
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="CUSTOM",
                     authorizerId=az, apiKeyRequired=True)
    apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="AWS_PROXY",
                          integrationHttpMethod="POST", uri=uri(fns["echo"]))
    apigw.create_deployment(restApiId=api, stageName="live")
    key = apigw.create_api_key(name="from-authz", enabled=True, value="v" * 30)
    plan = apigw.create_usage_plan(name="authz-plan", apiStages=[{"apiId": api, "stage": "live"}])
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert call(ferry, api, "/live/", {"Authorization": "key-" + "v" * 30})[0] == 200
    # the header is not where the key comes from
    s, _, b = call(ferry, api, "/live/", {"Authorization": "key-nope", "x-api-key": "v" * 30})
    assert (s, json.loads(b)) == (403, {"message": "Forbidden"})
