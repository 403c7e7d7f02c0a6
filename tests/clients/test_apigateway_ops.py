"""API Gateway REST APIs, operating them: resource policies evaluated on the data plane
(anonymous callers, aws:SourceIp, explicit denies, IAM callers across accounts, Lambda
authorizers), gateway responses (the control plane, AWS's defaults, customized error answers
from the deployment), throttling (stage and method settings, usage plan limits per key: 429
THROTTLED), access logs to CloudWatch Logs, and a RestApi's BodyS3Location in
CloudFormation."""
import json
import time
import urllib.request

import pytest
from ferrytest import acct, raises

REGION = "us-east-1"


@pytest.fixture(scope="module")
def apigw(ferry):
    return ferry.client("apigateway", "dev")


def root_of(apigw, api):
    return next(r["id"] for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == "/")


def call(ferry, api, stage_path, method="GET", headers=None):
    h = dict(headers or {})
    h["Host"] = f"{api}.execute-api.localhost:{ferry.port}"
    req = urllib.request.Request(ferry.endpoint + stage_path, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def signed(ferry, creds, api, stage_path, method="GET"):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    host = f"{api}.execute-api.localhost:{ferry.port}"
    req = AWSRequest(method=method, url=f"http://{host}{stage_path}", headers={"Host": host})
    SigV4Auth(creds, "execute-api", REGION).add_auth(req)
    return call(ferry, api, stage_path, method=method, headers=dict(req.headers.items()))


def mock_api(apigw, name, auth="NONE", policy=None, paths=("ping",)):
    kw = {"policy": json.dumps(policy)} if policy else {}
    api = apigw.create_rest_api(name=name, **kw)["id"]
    root = root_of(apigw, api)
    for p in paths:
        r = apigw.create_resource(restApiId=api, parentId=root, pathPart=p)["id"]
        for verb in ("GET", "POST"):
            apigw.put_method(restApiId=api, resourceId=r, httpMethod=verb, authorizationType=auth)
            apigw.put_integration(restApiId=api, resourceId=r, httpMethod=verb, type="MOCK",
                                  requestTemplates={"application/json": '{"statusCode": 200}'})
            apigw.put_integration_response(restApiId=api, resourceId=r, httpMethod=verb,
                                           statusCode="200",
                                           responseTemplates={"application/json": '{"ok": 1}'})
    return api


def stmt(effect, resource, principal="*", cond=None):
    s = {"Effect": effect, "Principal": principal, "Action": "execute-api:Invoke",
         "Resource": resource}
    if cond:
        s["Condition"] = cond
    return s


def policy(*stmts):
    return {"Version": "2012-10-17", "Statement": list(stmts)}


# ---- resource policies ----

def test_resource_policy_anonymous_and_source_ip(ferry, apigw):
    # "execute-api:/" is short for the API's own ARN, expanded when stored
    pol = policy(stmt("Allow", "execute-api:/*"),
                 stmt("Deny", "execute-api:/*/POST/ping"),
                 stmt("Deny", "execute-api:/*/GET/ping", cond={"NotIpAddress": {
                     "aws:SourceIp": ["10.9.9.0/24"]}}))
    api = mock_api(apigw, "pol", policy=pol, paths=("ping", "open"))
    account = acct(ferry, "dev")
    stored = json.loads(apigw.get_rest_api(restApiId=api)["policy"])
    assert stored["Statement"][0]["Resource"] == f"arn:aws:execute-api:{REGION}:{account}:{api}/*"
    apigw.create_deployment(restApiId=api, stageName="s")
    assert call(ferry, api, "/s/open")[0] == 200
    arn = f"arn:aws:execute-api:{REGION}:{account}:{api}/s/POST/ping"
    st, h, body = call(ferry, api, "/s/ping", method="POST")
    assert (st, json.loads(body)) == (403, {"Message": f"User: anonymous is not authorized to perform: "
                                                       f"execute-api:Invoke on resource: {arn} with an explicit deny"})
    assert h["x-amzn-ErrorType"] == "AccessDeniedException"
    # the caller (127.0.0.1) is outside 10.9.9.0/24: denied by the condition
    assert call(ferry, api, "/s/ping")[0] == 403
    # a policy that allows nothing for the path: implicitly denied
    apigw.update_rest_api(restApiId=api, patchOperations=[{"op": "replace", "path": "/policy", "value": json.dumps(
        policy(stmt("Allow", "execute-api:/*/GET/open", cond={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}})))}])
    assert call(ferry, api, "/s/ping", method="POST")[0] == 403  # not deployed yet: still the old one
    apigw.create_deployment(restApiId=api, stageName="s")
    st, _, body = call(ferry, api, "/s/ping")
    assert st == 403 and json.loads(body)["Message"].endswith(f"{api}/s/GET/ping")
    assert call(ferry, api, "/s/open")[0] == 200
    # removed: everyone is let in again
    apigw.update_rest_api(restApiId=api, patchOperations=[{"op": "remove", "path": "/policy"}])
    apigw.create_deployment(restApiId=api, stageName="s")
    assert call(ferry, api, "/s/ping", method="POST")[0] == 200
    raises(apigw.create_rest_api, "BadRequestException", status=400, name="x", policy="{not json")


def test_resource_policy_iam_across_accounts(ferry, apigw):
    dev, qa = acct(ferry, "dev"), acct(ferry, "qa")
    api = mock_api(apigw, "iam-pol", auth="AWS_IAM")
    apigw.create_deployment(restApiId=api, stageName="s")
    qa_creds = ferry.session("qa").get_credentials()
    # no resource policy: another account's caller is refused
    st, _, body = signed(ferry, qa_creds, api, "/s/ping")
    assert st == 403 and "is not authorized to perform: execute-api:Invoke" in json.loads(body)["Message"]
    # the resource policy names the account: its root (whose identity allows all) gets in
    pol = policy(stmt("Allow", "execute-api:/s/GET/*", principal={"AWS": f"arn:aws:iam::{qa}:root"}))
    apigw.update_rest_api(restApiId=api, patchOperations=[
        {"op": "replace", "path": "/policy", "value": json.dumps(pol)}])
    apigw.create_deployment(restApiId=api, stageName="s")
    assert signed(ferry, qa_creds, api, "/s/ping")[0] == 200
    assert signed(ferry, qa_creds, api, "/s/ping", method="POST")[0] == 403
    # cross-account needs both sides: a qa user whose own policy does not allow it is refused
    user = ferry.user_client("sts", "qa", "apigw-nobody", policy(
        {"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"}))
    st, _, body = signed(ferry, user._request_signer._credentials, api, "/s/ping")
    assert st == 403 and json.loads(body)["Message"].startswith(
        f"User: arn:aws:iam::{qa}:user/apigw-nobody is not authorized")
    # the owner's account: its identity suffices
    assert signed(ferry, ferry.session("dev").get_credentials(), api, "/s/ping")[0] == 200
    # an explicit deny in the resource policy wins over every allow
    pol["Statement"].append(stmt("Deny", "execute-api:/s/GET/ping", principal={"AWS": f"arn:aws:iam::{dev}:root"}))
    apigw.update_rest_api(restApiId=api, patchOperations=[
        {"op": "replace", "path": "/policy", "value": json.dumps(pol)}])
    apigw.create_deployment(restApiId=api, stageName="s")
    st, _, body = signed(ferry, ferry.session("dev").get_credentials(), api, "/s/ping")
    assert st == 403 and json.loads(body)["Message"].endswith("with an explicit deny")


def test_resource_policy_from_openapi(ferry, apigw):
    spec = {"openapi": "3.0.1", "info": {"title": "imported-pol"},
            "x-amazon-apigateway-policy": policy(stmt("Allow", "execute-api:/*/GET/*")),
            "paths": {"/a": {"get": {"x-amazon-apigateway-integration": {
                "type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'},
                "responses": {"default": {"statusCode": "200"}}}},
                "post": {"x-amazon-apigateway-integration": {
                    "type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'},
                    "responses": {"default": {"statusCode": "200"}}}}}}}
    api = apigw.import_rest_api(body=json.dumps(spec).encode())["id"]
    assert f":{api}/*/GET/*" in apigw.get_rest_api(restApiId=api)["policy"]
    apigw.create_deployment(restApiId=api, stageName="v")
    assert call(ferry, api, "/v/a")[0] == 200
    assert call(ferry, api, "/v/a", method="POST")[0] == 403


# ---- gateway responses ----

def test_gateway_responses_control_plane(apigw):
    api = mock_api(apigw, "gr")
    items = apigw.get_gateway_responses(restApiId=api, limit=500)["items"]
    types = {i["responseType"]: i for i in items}
    assert len(types) == 21 and all(i["defaultResponse"] for i in items)
    assert types["UNAUTHORIZED"]["statusCode"] == "401" and "statusCode" not in types["DEFAULT_4XX"]
    assert types["THROTTLED"]["responseTemplates"] == {
        "application/json": '{"message":$context.error.messageString}'}
    g = apigw.put_gateway_response(restApiId=api, responseType="MISSING_AUTHENTICATION_TOKEN",
                                   statusCode="404",
                                   responseParameters={"gatewayresponse.header.X-Why": "'nope'"},
                                   responseTemplates={"application/json": '{"err": "$context.error.responseType"}'})
    assert g["statusCode"] == "404" and g["defaultResponse"] is False
    got = apigw.get_gateway_response(restApiId=api, responseType="MISSING_AUTHENTICATION_TOKEN")
    assert got["responseParameters"] == {"gatewayresponse.header.X-Why": "'nope'"}
    u = apigw.update_gateway_response(restApiId=api, responseType="MISSING_AUTHENTICATION_TOKEN", patchOperations=[
        {"op": "replace", "path": "/statusCode", "value": "410"},
        {"op": "add", "path": "/responseTemplates/text~1plain", "value": "gone"}])
    assert u["statusCode"] == "410" and u["responseTemplates"]["text/plain"] == "gone"
    apigw.delete_gateway_response(restApiId=api, responseType="MISSING_AUTHENTICATION_TOKEN")
    assert apigw.get_gateway_response(restApiId=api, responseType="MISSING_AUTHENTICATION_TOKEN")["defaultResponse"]
    raises(apigw.delete_gateway_response, "NotFoundException", status=404, restApiId=api,
           responseType="MISSING_AUTHENTICATION_TOKEN")
    raises(apigw.put_gateway_response, "BadRequestException", status=400, restApiId=api,
           responseType="DEFAULT_4XX", responseParameters={"method.response.header.X": "'a'"})


def test_gateway_responses_served(ferry, apigw):
    api = mock_api(apigw, "gr-served", policy=policy(stmt("Allow", "execute-api:/*/GET/*")))
    apigw.put_gateway_response(
        restApiId=api, responseType="DEFAULT_4XX",
        responseParameters={"gatewayresponse.header.Access-Control-Allow-Origin": "'*'",
                            "gatewayresponse.header.X-Agent": "method.request.header.x-agent"},
        responseTemplates={"application/json": '{"error": $context.error.messageString, '
                                               '"type": "$context.error.responseType", '
                                               '"stage": "$context.stage"}'})
    apigw.put_gateway_response(restApiId=api, responseType="MISSING_AUTHENTICATION_TOKEN", statusCode="404",
                               responseTemplates={"application/json": '{"missing": "$context.error.message"}'})
    # not deployed yet: AWS's defaults
    apigw.create_deployment(restApiId=api, stageName="s")
    assert json.loads(call(ferry, api, "/s/nowhere")[2]) == {"missing": "Missing Authentication Token"}
    st, h, body = call(ferry, api, "/s/nowhere")
    assert st == 404 and h["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    # ACCESS_DENIED is not customized: DEFAULT_4XX shapes it
    st, h, body = call(ferry, api, "/s/ping", method="POST", headers={"X-Agent": "tester"})
    assert st == 403 and h["Access-Control-Allow-Origin"] == "*" and h["X-Agent"] == "tester"
    b = json.loads(body)
    assert b["type"] == "ACCESS_DENIED" and b["stage"] == "s" and "execute-api:Invoke" in b["error"]
    # an OpenAPI import brings them too
    spec = {"swagger": "2.0", "info": {"title": "gr-import"}, "paths": {},
            "x-amazon-apigateway-gateway-responses": {
                "UNAUTHORIZED": {"statusCode": 401, "responseTemplates": {"application/json": '{"who": "nobody"}'}}}}
    api2 = apigw.import_rest_api(body=json.dumps(spec).encode())["id"]
    g = apigw.get_gateway_response(restApiId=api2, responseType="UNAUTHORIZED")
    assert g["statusCode"] == "401" and g["responseTemplates"] == {"application/json": '{"who": "nobody"}'}


# ---- throttling ----

def test_stage_and_method_throttling(ferry, apigw):
    api = mock_api(apigw, "throttled", paths=("ping", "free"))
    apigw.create_deployment(restApiId=api, stageName="s")
    s = apigw.update_stage(restApiId=api, stageName="s", patchOperations=[
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "1000"},
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "1000"},
        {"op": "replace", "path": "/~1ping/GET/throttling/rateLimit", "value": "0.01"},
        {"op": "replace", "path": "/~1ping/GET/throttling/burstLimit", "value": "2"}])
    ms = s["methodSettings"]
    assert ms["~1ping/GET"]["throttlingBurstLimit"] == 2 and ms["~1ping/GET"]["throttlingRateLimit"] == 0.01
    assert ms["*/*"]["throttlingRateLimit"] == 1000.0 and ms["*/*"]["loggingLevel"] == "OFF"
    assert [call(ferry, api, "/s/ping")[0] for _ in range(3)] == [200, 200, 429]
    st, h, body = call(ferry, api, "/s/ping")
    assert (st, json.loads(body)) == (429, {"message": "Too Many Requests"})
    assert h["x-amzn-ErrorType"] == "TooManyRequestsException"
    # other methods have the stage's limits
    assert all(call(ferry, api, "/s/free")[0] == 200 for _ in range(5))
    assert call(ferry, api, "/s/ping", method="POST")[0] == 200
    raises(apigw.update_stage, "BadRequestException", status=400, restApiId=api, stageName="s",
           patchOperations=[{"op": "replace", "path": "/*/*/throttling/speed", "value": "1"}])
    s = apigw.update_stage(restApiId=api, stageName="s",
                           patchOperations=[{"op": "remove", "path": "/~1ping/GET"}])
    assert "~1ping/GET" not in s["methodSettings"]


def test_usage_plan_throttle_per_key(ferry, apigw):
    api = apigw.create_rest_api(name="keyed-throttle")["id"]
    r = apigw.create_resource(restApiId=api, parentId=root_of(apigw, api), pathPart="k")["id"]
    apigw.put_method(restApiId=api, resourceId=r, httpMethod="GET", authorizationType="NONE", apiKeyRequired=True)
    apigw.put_integration(restApiId=api, resourceId=r, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_integration_response(restApiId=api, resourceId=r, httpMethod="GET", statusCode="200")
    apigw.create_deployment(restApiId=api, stageName="s")
    plan = apigw.create_usage_plan(name="tp", apiStages=[{"apiId": api, "stage": "s"}],
                                   throttle={"burstLimit": 2, "rateLimit": 0.01})["id"]
    keys = []
    for i in range(2):
        k = apigw.create_api_key(name=f"tk{i}", enabled=True)
        apigw.create_usage_plan_key(usagePlanId=plan, keyId=k["id"], keyType="API_KEY")
        keys.append(k["value"])
    got = [call(ferry, api, "/s/k", headers={"x-api-key": keys[0]})[0] for _ in range(3)]
    assert got == [200, 200, 429]
    # each key has its own bucket
    assert call(ferry, api, "/s/k", headers={"x-api-key": keys[1]})[0] == 200
    # a throttled request is not counted against the quota
    usage = apigw.get_usage(usagePlanId=plan, startDate=time.strftime("%Y-%m-%d"),
                            endDate=time.strftime("%Y-%m-%d"))
    assert sum(d[0] for v in usage["items"].values() for d in v) == 3


# ---- access logs ----

def test_access_logs(ferry, apigw):
    logs = ferry.client("logs", "dev")
    logs.create_log_group(logGroupName="/apigw/access")
    account = acct(ferry, "dev")
    group_arn = f"arn:aws:logs:{REGION}:{account}:log-group:/apigw/access"
    api = mock_api(apigw, "logged")
    apigw.create_deployment(restApiId=api, stageName="s")
    fmt = ('{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","method":"$context.httpMethod",'
           '"path":"$context.path","resourcePath":"$context.resourcePath","status":"$context.status",'
           '"len":"$context.responseLength","err":"$context.error.responseType","none":"$context.nothing.here"}')
    raises(apigw.update_stage, "BadRequestException", status=400, restApiId=api, stageName="s", patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": group_arn},
        {"op": "replace", "path": "/accessLogSettings/format", "value": "$context.httpMethod"}])
    raises(apigw.update_stage, "BadRequestException", status=400, restApiId=api, stageName="s", patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": "arn:aws:s3:::bucket"},
        {"op": "replace", "path": "/accessLogSettings/format", "value": fmt}])
    s = apigw.update_stage(restApiId=api, stageName="s", patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": group_arn},
        {"op": "replace", "path": "/accessLogSettings/format", "value": fmt}])
    assert s["accessLogSettings"] == {"destinationArn": group_arn, "format": fmt}
    _, h1, _ = call(ferry, api, "/s/ping")
    _, h2, _ = call(ferry, api, "/s/missing")
    lines = []
    for _ in range(100):
        ev = logs.filter_log_events(logGroupName="/apigw/access")["events"]
        lines = [json.loads(e["message"]) for e in ev]
        if len(lines) >= 2:
            break
        time.sleep(0.05)
    by_id = {x["requestId"]: x for x in lines}
    ok, miss = by_id[h1["x-amzn-RequestId"]], by_id[h2["x-amzn-RequestId"]]
    assert ok == {"requestId": h1["x-amzn-RequestId"], "ip": "127.0.0.1", "method": "GET", "path": "/s/ping",
                  "resourcePath": "/ping", "status": "200", "len": "9", "err": "-", "none": "-"}
    assert miss["status"] == "403" and miss["err"] == "MISSING_AUTHENTICATION_TOKEN"
    assert miss["resourcePath"] == "-"
    # CLF-style formats are written as they stand
    apigw.update_stage(restApiId=api, stageName="s", patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/format",
         "value": '$context.identity.sourceIp - - [$context.requestTime] "$context.httpMethod $context.resourcePath '
                  '$context.protocol" $context.status $context.responseLength $context.requestId'}])
    _, h3, _ = call(ferry, api, "/s/ping")
    for _ in range(100):
        ev = [e["message"] for e in logs.filter_log_events(logGroupName="/apigw/access")["events"]
              if e["message"].endswith(h3["x-amzn-RequestId"])]
        if ev:
            break
        time.sleep(0.05)
    assert ev and ev[0].startswith("127.0.0.1 - - [") and '"GET /ping HTTP/1.1" 200 9 ' in ev[0]
    s = apigw.update_stage(restApiId=api, stageName="s",
                           patchOperations=[{"op": "remove", "path": "/accessLogSettings"}])
    assert "accessLogSettings" not in s


# ---- CloudFormation ----

def test_cloudformation_body_s3_location_and_settings(ferry, apigw):
    from test_cfn_providers import PROFILE, Stacks
    stacks = Stacks(ferry)
    s3 = ferry.client("s3", PROFILE, region=REGION)
    s3.create_bucket(Bucket="apigw-defs")
    spec = {"openapi": "3.0.1", "info": {"title": "from-s3"},
            "x-amazon-apigateway-policy": policy(stmt("Allow", "execute-api:/*/GET/*")),
            "paths": {"/hi": {m: {"x-amazon-apigateway-integration": {
                "type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'},
                "responses": {"default": {"statusCode": "200",
                                          "responseTemplates": {"application/json": '{"hi": 1}'}}}}}
                for m in ("get", "post")}}}
    etag = s3.put_object(Bucket="apigw-defs", Key="api.json", Body=json.dumps(spec).encode())["ETag"]
    account = acct(ferry, PROFILE)
    ferry.client("logs", PROFILE, region=REGION).create_log_group(logGroupName="cfn-access")
    tpl = {"Resources": {
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {
            "BodyS3Location": {"Bucket": "apigw-defs", "Key": "api.json", "ETag": etag.strip('"')}}},
        "Missing": {"Type": "AWS::ApiGateway::GatewayResponse", "Properties": {
            "RestApiId": {"Ref": "Api"}, "ResponseType": "MISSING_AUTHENTICATION_TOKEN",
            "StatusCode": "404", "ResponseTemplates": {"application/json": '{"where": "$context.path"}'}}},
        "Dep": {"Type": "AWS::ApiGateway::Deployment", "DependsOn": ["Missing"], "Properties": {
            "RestApiId": {"Ref": "Api"}}},
        "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {
            "RestApiId": {"Ref": "Api"}, "DeploymentId": {"Ref": "Dep"}, "StageName": "live",
            "AccessLogSetting": {"DestinationArn": f"arn:aws:logs:{REGION}:{account}:log-group:cfn-access",
                                 "Format": "$context.requestId $context.status"},
            "MethodSettings": [{"ResourcePath": "/hi", "HttpMethod": "GET",
                                "ThrottlingBurstLimit": 1, "ThrottlingRateLimit": 0.01}]}}},
        "Outputs": {"Api": {"Value": {"Ref": "Api"}}}}
    st = stacks.deploy("apigw-s3", tpl)
    api = st["Out"]["Api"]
    api_client = ferry.client("apigateway", PROFILE, region=REGION)
    assert api_client.get_rest_api(restApiId=api)["name"] == "from-s3"
    stage = api_client.get_stage(restApiId=api, stageName="live")
    assert stage["methodSettings"]["~1hi/GET"]["throttlingBurstLimit"] == 1
    assert stage["accessLogSettings"]["format"] == "$context.requestId $context.status"
    assert [call(ferry, api, "/live/hi")[0] for _ in range(2)] == [200, 429]
    assert call(ferry, api, "/live/hi", method="POST")[0] == 403  # the policy from the document
    st_, _, body = call(ferry, api, "/live/nope")
    assert (st_, json.loads(body)) == (404, {"where": "/live/nope"})
    # a wrong ETag fails the resource
    tpl["Resources"]["Api"]["Properties"]["BodyS3Location"]["ETag"] = "0" * 32
    del tpl["Resources"]["Stage"], tpl["Resources"]["Dep"], tpl["Resources"]["Missing"]
    bad = stacks.deploy("apigw-s3-bad", tpl, status="ROLLBACK_COMPLETE")
    assert any("ETag" in f for f in stacks.failures(bad["StackId"]))
    stacks.delete(st)


def test_http_api_access_logs(ferry):
    gw = ferry.client("apigatewayv2", "dev")
    logs = ferry.client("logs", "dev")
    logs.create_log_group(logGroupName="/apigw/v2")
    arn = f"arn:aws:logs:{REGION}:{acct(ferry, 'dev')}:log-group:/apigw/v2"
    api = gw.create_api(Name="v2-logged", ProtocolType="HTTP")["ApiId"]
    fmt = '{"id":"$context.requestId","route":"$context.routeKey","status":"$context.status","err":"$context.error.message"}'
    raises(gw.create_stage, "BadRequestException", status=400, ApiId=api, StageName="$default",
           AccessLogSettings={"DestinationArn": arn, "Format": "$context.status"})
    st = gw.create_stage(ApiId=api, StageName="$default", AutoDeploy=True,
                         AccessLogSettings={"DestinationArn": arn, "Format": fmt})
    assert st["AccessLogSettings"] == {"DestinationArn": arn, "Format": fmt}
    req = urllib.request.Request(f"{ferry.endpoint}/nothing",
                                 headers={"Host": f"{api}.execute-api.localhost:{ferry.port}"})
    try:
        urllib.request.urlopen(req, timeout=10)
    except urllib.error.HTTPError as e:
        assert e.code == 404
        rid = e.headers["apigw-requestid"]
    for _ in range(100):
        ev = logs.filter_log_events(logGroupName="/apigw/v2")["events"]
        if ev:
            break
        time.sleep(0.05)
    assert [json.loads(e["message"]) for e in ev] == [
        {"id": rid, "route": "-", "status": "404", "err": "Not Found"}]
    gw.delete_access_log_settings(ApiId=api, StageName="$default")
    assert "AccessLogSettings" not in gw.get_stage(ApiId=api, StageName="$default")


# ---- TestInvokeMethod, TestInvokeAuthorizer ----

AUTHZ_FN = """def handler(event, context):
    tok = event.get("authorizationToken") or event.get("headers", {}).get("x-token", "")
    if tok == "unauth":
        raise Exception("Unauthorized")
    if tok == "bad":
        return {"nope": 1}
    return {"principalId": "user-" + tok, "context": {"arn": event["methodArn"]},
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}]}}
"""

ECHO_FN = """import json
def handler(event, context):
    return {"statusCode": 201, "headers": {"X-Echo": "1"},
            "body": json.dumps({"path": event["path"], "stage": event["requestContext"]["stage"],
                                "vars": event["stageVariables"], "q": event["queryStringParameters"]})}
"""


def test_test_invoke_method_and_authorizer(ferry, apigw):
    from ferrytest import zipped
    lam = ferry.client("lambda", "dev")
    role = ferry.client("iam", "dev").create_role(RoleName="ti-fn", AssumeRolePolicyDocument=json.dumps(policy(
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})))["Role"]["Arn"]
    arns = {}
    for name, code in (("ti-authz", AUTHZ_FN), ("ti-echo", ECHO_FN)):
        arns[name] = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler",
                                         Code={"ZipFile": zipped({"index.py": code})})["FunctionArn"]
        lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
        lam.add_permission(FunctionName=name, StatementId="apigw", Action="lambda:InvokeFunction",
                           Principal="apigateway.amazonaws.com")
    uri = lambda fn: f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arns[fn]}/invocations"  # noqa: E731
    api = apigw.create_rest_api(name="test-invoke")["id"]
    r = apigw.create_resource(restApiId=api, parentId=root_of(apigw, api), pathPart="{id}")["id"]
    # IAM authorization is not asked of a test invocation
    apigw.put_method(restApiId=api, resourceId=r, httpMethod="GET", authorizationType="AWS_IAM")
    apigw.put_integration(restApiId=api, resourceId=r, httpMethod="GET", type="AWS_PROXY",
                          integrationHttpMethod="POST", uri=uri("ti-echo"))
    out = apigw.test_invoke_method(restApiId=api, resourceId=r, httpMethod="GET",
                                   pathWithQueryString="/42?q=1", stageVariables={"color": "red"})
    assert out["status"] == 201 and out["headers"]["X-Echo"] == "1" and out["multiValueHeaders"]["X-Echo"] == ["1"]
    assert json.loads(out["body"]) == {"path": "/42", "stage": "test-invoke-stage", "vars": {"color": "red"},
                                       "q": {"q": "1"}}
    assert "Method completed with status: 201" in out["log"] and out["latency"] >= 0
    raises(apigw.test_invoke_method, "NotFoundException", status=404, restApiId=api, resourceId=r,
           httpMethod="POST")
    az = apigw.create_authorizer(restApiId=api, name="tok", type="TOKEN", authorizerUri=uri("ti-authz"),
                                 identitySource="method.request.header.Authorization")["id"]
    got = apigw.test_invoke_authorizer(restApiId=api, authorizerId=az, headers={"Authorization": "alice"})
    assert got["clientStatus"] == 0 and got["principalId"] == "user-alice"
    assert json.loads(got["policy"])["Statement"][0]["Resource"].endswith(
        f"{api}/ESTestInvoke-stage/ESTestInvoke-method/ESTestInvoke-resource-path")
    assert apigw.test_invoke_authorizer(restApiId=api, authorizerId=az)["clientStatus"] == 401
    assert apigw.test_invoke_authorizer(restApiId=api, authorizerId=az,
                                        headers={"Authorization": "unauth"})["clientStatus"] == 401
    assert apigw.test_invoke_authorizer(restApiId=api, authorizerId=az,
                                        headers={"Authorization": "bad"})["clientStatus"] == 500
    req = apigw.create_authorizer(restApiId=api, name="req", type="REQUEST", authorizerUri=uri("ti-authz"),
                                  identitySource="method.request.header.X-Token")["id"]
    got = apigw.test_invoke_authorizer(restApiId=api, authorizerId=req, headers={"X-Token": "bob"})
    assert got["clientStatus"] == 0 and got["principalId"] == "user-bob"
    raises(apigw.test_invoke_authorizer, "NotFoundException", status=404, restApiId=api, authorizerId="nope")


# ---- HTTP APIs from OpenAPI ----

def test_http_api_import_and_reimport(ferry, apigw):
    rest = mock_api(apigw, "import-backend")
    apigw.create_deployment(restApiId=rest, stageName="s")
    backend = f"{ferry.endpoint}/_ferry/execute-api/{rest}/s/ping"
    gw = ferry.client("apigatewayv2", "dev")
    spec = {"openapi": "3.0.1", "info": {"title": "imported-http", "version": "7"},
            "x-amazon-apigateway-cors": {"allowOrigins": ["https://a.example"], "maxAge": 60},
            "components": {"securitySchemes": {"jwt": {
                "type": "oauth2", "flows": {},
                "x-amazon-apigateway-authorizer": {
                    "type": "jwt", "jwtConfiguration": {"issuer": "https://issuer.example", "audience": ["x"]},
                    "identitySource": "$request.header.Authorization"}}}},
            "paths": {
                "/ping": {"get": {"operationId": "ping", "x-amazon-apigateway-integration": {
                    "type": "http_proxy", "httpMethod": "GET", "uri": backend, "payloadFormatVersion": "1.0"}}},
                "/secure": {"post": {"security": [{"jwt": ["read"]}], "x-amazon-apigateway-integration": {
                    "type": "http_proxy", "httpMethod": "ANY", "uri": backend}}},
                "/$default": {"x-amazon-apigateway-any-method": {"x-amazon-apigateway-integration": {
                    "type": "http_proxy", "uri": backend}}}}}
    api = gw.import_api(Body=json.dumps(spec))
    assert api["Name"] == "imported-http" and api["Version"] == "7"
    assert api["CorsConfiguration"] == {"AllowOrigins": ["https://a.example"], "MaxAge": 60}
    aid = api["ApiId"]
    routes = {r["RouteKey"]: r for r in gw.get_routes(ApiId=aid)["Items"]}
    assert set(routes) == {"GET /ping", "POST /secure", "$default"}
    assert routes["POST /secure"]["AuthorizationType"] == "JWT" and routes["POST /secure"]["AuthorizationScopes"] == ["read"]
    az = gw.get_authorizers(ApiId=aid)["Items"]
    assert [(a["Name"], a["AuthorizerType"], a["JwtConfiguration"]["Issuer"]) for a in az] == [
        ("jwt", "JWT", "https://issuer.example")]
    integs = gw.get_integrations(ApiId=aid)["Items"]
    assert {i["IntegrationType"] for i in integs} == {"HTTP_PROXY"} and len(integs) == 3
    gw.create_stage(ApiId=aid, StageName="$default", AutoDeploy=True)
    req = urllib.request.Request(f"{ferry.endpoint}/ping", headers={"Host": f"{aid}.execute-api.localhost:{ferry.port}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert json.loads(r.read()) == {"ok": 1}
    # a reimport replaces the routes (and redeploys the auto-deploying stage)
    spec["paths"] = {"/other": spec["paths"]["/ping"]}
    gw.reimport_api(ApiId=aid, Body=json.dumps(spec))
    assert [r["RouteKey"] for r in gw.get_routes(ApiId=aid)["Items"]] == ["GET /other"]
    req = urllib.request.Request(f"{ferry.endpoint}/ping", headers={"Host": f"{aid}.execute-api.localhost:{ferry.port}"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 404
    raises(gw.import_api, "BadRequestException", status=400, Body="not: [openapi")
    raises(gw.import_api, "BadRequestException", status=400, Body=json.dumps(
        {"swagger": "2.0", "info": {"title": "x"}, "paths": {}}))
    raises(gw.reimport_api, "NotFoundException", status=404, ApiId="nope123456", Body=json.dumps(spec))


def test_cloudformation_http_api_body(ferry):
    from test_cfn_providers import PROFILE, Stacks
    stacks = Stacks(ferry)
    gw = ferry.client("apigatewayv2", PROFILE, region=REGION)
    body = {"openapi": "3.0.1", "info": {"title": "cfn-http"}, "paths": {
        "/a": {"get": {"x-amazon-apigateway-integration": {"type": "http_proxy", "uri": "http://127.0.0.1:9/a"}}}}}
    tpl = {"Resources": {"Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Body": body}}},
           "Outputs": {"Api": {"Value": {"Ref": "Api"}}, "Url": {"Value": {"Fn::GetAtt": ["Api", "ApiEndpoint"]}}}}
    st = stacks.deploy("http-body", tpl)
    api = st["Out"]["Api"]
    assert gw.get_api(ApiId=api)["Name"] == "cfn-http" and st["Out"]["Url"].startswith(f"http://{api}.")
    assert [r["RouteKey"] for r in gw.get_routes(ApiId=api)["Items"]] == ["GET /a"]
    body["paths"]["/b"] = body["paths"].pop("/a")
    stacks.deploy("http-body", tpl, update=True)
    assert [r["RouteKey"] for r in gw.get_routes(ApiId=api)["Items"]] == ["GET /b"]
    stacks.delete(st)


def test_sam_http_api_and_definition_uri(ferry):
    """SAM's HttpApi becomes an ApiGatewayV2::Api with a Body (imported), and an Api's
    DefinitionUri a RestApi's BodyS3Location: both deploy and answer."""
    from test_cfn_providers import PROFILE, Stacks
    stacks = Stacks(ferry)
    s3 = ferry.client("s3", PROFILE, region=REGION)
    s3.create_bucket(Bucket="sam-defs")
    spec = {"swagger": "2.0", "info": {"title": "sam-def"}, "paths": {"/m": {"get": {
        "x-amazon-apigateway-integration": {
            "type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "responses": {"default": {"statusCode": "200",
                                      "responseTemplates": {"application/json": '{"m": 1}'}}}}}}}}
    s3.put_object(Bucket="sam-defs", Key="def.json", Body=json.dumps(spec).encode())
    tpl = {"Transform": "AWS::Serverless-2016-10-31", "Resources": {
        "Fn": {"Type": "AWS::Serverless::Function", "Properties": {
            "Runtime": "python3.12", "Handler": "index.handler",
            "InlineCode": "def handler(e, c):\n    return {'statusCode': 200, 'body': e['rawPath']}\n",
            "Events": {"H": {"Type": "HttpApi", "Properties": {"Path": "/h", "Method": "GET"}}}}},
        "Defined": {"Type": "AWS::Serverless::Api", "Properties": {
            "StageName": "v", "DefinitionUri": "s3://sam-defs/def.json"}}},
        "Outputs": {"Http": {"Value": {"Ref": "ServerlessHttpApi"}}, "Rest": {"Value": {"Ref": "Defined"}}}}
    cfn = stacks.cfn
    cfn.create_stack(StackName="sam-http", TemplateBody=json.dumps(tpl),
                     Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    st = stacks.wait("sam-http")
    assert st["StackStatus"] == "CREATE_COMPLETE", stacks.failures("sam-http")
    out = {o["OutputKey"]: o["OutputValue"] for o in st["Outputs"]}
    http, rest = out["Http"], out["Rest"]
    req = urllib.request.Request(f"{ferry.endpoint}/h", headers={"Host": f"{http}.execute-api.localhost:{ferry.port}"})
    with urllib.request.urlopen(req, timeout=20) as r:
        assert r.read() == b"/h"
    assert json.loads(call(ferry, rest, "/v/m")[2]) == {"m": 1}
    stacks.delete(st)


def test_cli_gateway_response_and_test_invoke(ferry, apigw):
    # two aws CLI calls (each costs seconds of start-up); the rest through boto3
    api = mock_api(apigw, "cli-ops")
    ferry.aws("apigateway", "put-gateway-response", "--rest-api-id", api, "--response-type", "THROTTLED",
              "--status-code", "503", "--response-templates", '{"application/json": "{\\"slow\\": true}"}',
              profile="dev")
    th = apigw.get_gateway_response(restApiId=api, responseType="THROTTLED")
    assert th["statusCode"] == "503" and th["defaultResponse"] is False
    apigw.create_deployment(restApiId=api, stageName="s")
    apigw.update_stage(restApiId=api, stageName="s", patchOperations=[
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "1"},
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "0.01"}])
    assert call(ferry, api, "/s/ping")[0] == 200
    st, _, body = call(ferry, api, "/s/ping")
    assert (st, json.loads(body)) == (503, {"slow": True})  # THROTTLED, as customized
    rid = next(r["id"] for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == "/ping")
    out = ferry.aws("apigateway", "test-invoke-method", "--rest-api-id", api, "--resource-id", rid,
                    "--http-method", "GET", "--path-with-query-string", "/ping", profile="dev").json
    assert out["status"] == 200 and json.loads(out["body"]) == {"ok": 1}


def test_http_api_route_throttling(ferry, apigw):
    rest = mock_api(apigw, "v2-throttle-backend")
    apigw.create_deployment(restApiId=rest, stageName="s")
    gw = ferry.client("apigatewayv2", "dev")
    api = gw.create_api(Name="v2-throttled", ProtocolType="HTTP",
                        Target=f"{ferry.endpoint}/_ferry/execute-api/{rest}/s/ping")["ApiId"]
    gw.update_stage(ApiId=api, StageName="$default",
                    DefaultRouteSettings={"ThrottlingBurstLimit": 1, "ThrottlingRateLimit": 0.01})

    def get():
        req = urllib.request.Request(f"{ferry.endpoint}/x", headers={"Host": f"{api}.execute-api.localhost:{ferry.port}"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
    assert get()[0] == 200
    assert get() == (429, b'{"message":"Too Many Requests"}')
    # a route's own settings come before the stage's (the bucket refills at their rate)
    gw.update_stage(ApiId=api, StageName="$default",
                    RouteSettings={"$default": {"ThrottlingBurstLimit": 5, "ThrottlingRateLimit": 100}})
    time.sleep(0.05)
    assert get()[0] == 200


# ---- account settings, account throttle, execution logs ----

def test_account_settings_and_execution_logs(ferry, apigw):
    acc = apigw.get_account()
    assert acc["throttleSettings"] == {"burstLimit": 5000, "rateLimit": 10000.0}
    assert acc["features"] == ["UsagePlans"] and "cloudwatchRoleArn" not in acc
    api = mock_api(apigw, "exec-logs")
    apigw.create_deployment(restApiId=api, stageName="s")
    # AWS: logging needs the account's CloudWatch Logs role
    raises(apigw.update_stage, "BadRequestException",
           "CloudWatch Logs role ARN must be set in account settings to enable logging", status=400,
           restApiId=api, stageName="s",
           patchOperations=[{"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"}])
    account = acct(ferry, "dev")
    iam = ferry.client("iam", "dev")
    iam.create_role(RoleName="not-for-apigw", AssumeRolePolicyDocument=json.dumps(policy(
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})))
    role = iam.create_role(RoleName="apigw-logs", AssumeRolePolicyDocument=json.dumps(policy(
        {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
         "Action": "sts:AssumeRole"})))["Role"]["Arn"]
    for bad in (f"arn:aws:iam::{account}:role/not-for-apigw", f"arn:aws:iam::{account}:role/none"):
        raises(apigw.update_account, "BadRequestException",
               "The role ARN does not have required permissions set to API Gateway", status=400,
               patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": bad}])
    raises(apigw.update_account, "BadRequestException", status=400,
           patchOperations=[{"op": "replace", "path": "/throttleSettings/rateLimit", "value": "1"}])
    acc = apigw.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}])
    assert acc["cloudwatchRoleArn"] == role and apigw.get_account()["cloudwatchRoleArn"] == role
    raises(apigw.update_stage, "BadRequestException", status=400, restApiId=api, stageName="s",
           patchOperations=[{"op": "replace", "path": "/*/*/logging/loglevel", "value": "DEBUG"}])
    apigw.update_stage(restApiId=api, stageName="s", patchOperations=[
        {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"},
        {"op": "replace", "path": "/*/*/logging/dataTrace", "value": "true"},
        {"op": "replace", "path": "/~1ping/POST/logging/loglevel", "value": "ERROR"},
        {"op": "replace", "path": "/~1ping/POST/logging/dataTrace", "value": "false"}])
    logs = ferry.client("logs", "dev")
    group = f"API-Gateway-Execution-Logs_{api}/s"

    def lines_of(rid, n):
        for _ in range(100):
            try:
                ev = logs.filter_log_events(logGroupName=group)["events"]
            except logs.exceptions.ResourceNotFoundException:
                ev = []
            got = [e["message"] for e in ev if e["message"].startswith(f"({rid}) ")]
            if len(got) >= n:
                return [g[len(rid) + 3:] for g in got]
            time.sleep(0.05)
        return got

    _, h, _ = call(ferry, api, "/s/ping?x=1", headers={"X-Agent": "tester"})
    rid = h["x-amzn-RequestId"]
    got = lines_of(rid, 8)
    assert got[:3] == [f"Extended Request Id: {rid}", f"Starting execution for request: {rid}",
                       "HTTP Method: GET, Resource Path: /ping"]
    assert "Method request query string: {x=1}" in got
    assert any(g.startswith("Method request headers: {") and "x-agent=tester" in g for g in got)
    assert 'Method response body after transformations: {"ok": 1}' in got
    assert got[-2:] == ["Successfully completed execution", "Method completed with status: 200"]
    # ERROR: nothing for a request that succeeds
    _, h, _ = call(ferry, api, "/s/ping", method="POST")
    _, h2, _ = call(ferry, api, "/s/ping?y=2")
    assert lines_of(h2["x-amzn-RequestId"], 8)
    assert lines_of(h["x-amzn-RequestId"], 1) == []
    # the group's stream is AWS-like: a hex name
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert len(streams) == 1 and len(streams[0]["logStreamName"]) == 32


def test_account_throttle():
    from ferrytest import Ferry
    f = Ferry().start(env={"FERRY_APIGW_ACCOUNT_THROTTLE": "0.01:3"})
    try:
        f.init()
        apigw = f.client("apigateway", "dev")
        assert apigw.get_account()["throttleSettings"] == {"burstLimit": 3, "rateLimit": 0.01}
        # the account's bucket is shared by its APIs
        a, b = mock_api(apigw, "acct-a"), mock_api(apigw, "acct-b")
        apigw.create_deployment(restApiId=a, stageName="s")
        apigw.create_deployment(restApiId=b, stageName="s")
        got = [call(f, a, "/s/ping")[0], call(f, b, "/s/ping")[0], call(f, a, "/s/ping")[0]]
        assert got == [200, 200, 200]
        st, h, body = call(f, b, "/s/ping")
        assert (st, json.loads(body)) == (429, {"message": "Too Many Requests"})
        # another account has its own
        qa = f.client("apigateway", "qa")
        c = mock_api(qa, "acct-c")
        qa.create_deployment(restApiId=c, stageName="s")
        assert call(f, c, "/s/ping")[0] == 200
    finally:
        f.close()
