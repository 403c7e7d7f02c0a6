"""API Gateway HTTP APIs (apigatewayv2): the control plane through boto3 (APIs, quick create,
routes, integrations, stages, deployments, authorizers, CORS, tags, AWS's errors) and the
APIs served at API_ID.execute-api.localhost:PORT and /_ferry/execute-api/API_ID/...: Lambda
proxy integrations with payload format 2.0 (the event, path parameters, route selection,
plain JSON results, base64 bodies, cookies, the function's policy deciding) and 1.0 (the
REST APIs' event with HTTP APIs' differences, its response mapping), HTTP_PROXY
integrations, CORS preflights, JWT authorizers against a key set this test serves, and Lambda (REQUEST)
authorizers in both payload formats, simple and IAM policy answers, cached by identity."""
import base64
import http.client
import http.server
import json
import threading
import time

import pytest
from ferrytest import acct, raises, zipped

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}

FN = {"index.py": """import base64, json, time

def handler(event, context):
    p = event.get('rawPath') or event['path']  # 2.0, else 1.0
    if p.endswith('/slow'):
        time.sleep(1)
    if p.endswith('/plain'):
        return {'hello': 'world'}
    if p.endswith('/bin'):
        return {'statusCode': 201, 'headers': {'content-type': 'application/octet-stream'},
                'body': base64.b64encode(b'\\x00\\x01\\xff').decode(), 'isBase64Encoded': True}
    if p.endswith('/cookie'):
        return {'statusCode': 200, 'cookies': ['a=1', 'b=2; Path=/'], 'body': 'ok',
                'headers': {'content-type': 'text/plain'}}
    if p.endswith('/fail'):
        raise ValueError('boom')
    return {'statusCode': 200, 'headers': {'content-type': 'application/json', 'x-custom': 'yes'},
            'body': json.dumps(event)}
"""}


@pytest.fixture(scope="module")
def gw(ferry):
    return ferry.client("apigatewayv2", "dev", region="us-east-1")


@pytest.fixture(scope="module")
def fn(ferry):
    lam = ferry.client("lambda", "dev", region="us-east-1")
    role = ferry.client("iam", "dev").create_role(
        RoleName="apigw-fn", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    arn = lam.create_function(FunctionName="web", Runtime="python3.12", Role=role,
                              Handler="index.handler", Code={"ZipFile": zipped(FN)})["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName="web",
                                              WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    account = acct(ferry, "dev")
    lam.add_permission(FunctionName="web", StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:us-east-1:{account}:*")
    return arn


def call(ferry, api, method, path, body=None, headers=None, form="host"):
    """An HTTP request to the API: by its host name or by the /_ferry/execute-api/ path."""
    c = http.client.HTTPConnection("127.0.0.1", ferry.port, timeout=30)
    h = dict(headers or {})
    if form == "host":
        h["Host"] = f"{api}.execute-api.localhost:{ferry.port}"
        url = path
    else:
        url = f"/_ferry/execute-api/{api}{path}"
    c.request(method, url, body=body, headers=h)
    r = c.getresponse()
    out = r.status, r.getheaders(), r.read()
    c.close()
    return out


def hdr(headers, name):
    vals = [v for k, v in headers if k.lower() == name.lower()]
    return vals[0] if len(vals) == 1 else (vals or None)


# ---- control plane ----

def test_api_lifecycle_and_errors(ferry, gw):
    a = gw.create_api(Name="plain", ProtocolType="HTTP", Description="d", Tags={"team": "a"})
    api = a["ApiId"]
    assert len(api) == 10
    assert a["ApiEndpoint"] == f"http://{api}.execute-api.localhost:{ferry.port}"
    assert a["RouteSelectionExpression"] == "${request.method} ${request.path}"
    assert gw.get_api(ApiId=api)["Description"] == "d"
    assert api in [x["ApiId"] for x in gw.get_apis()["Items"]]
    assert gw.update_api(ApiId=api, Name="renamed")["Name"] == "renamed"
    account = acct(ferry, "dev")
    raises(gw.get_api, "NotFoundException",
           f"Invalid API identifier specified {account}:nope000000", status=404,
           ApiId="nope000000")
    raises(gw.create_api, "BadRequestException", Name="x", ProtocolType="GRPC")
    r = gw.create_route(ApiId=api, RouteKey="GET /items/{id}")
    assert r["AuthorizationType"] == "NONE" and r["ApiKeyRequired"] is False
    raises(gw.create_route, "ConflictException", status=409, ApiId=api, RouteKey="GET /items/{id}")
    raises(gw.create_route, "BadRequestException", ApiId=api, RouteKey="FETCH /x")
    raises(gw.get_route, "NotFoundException", ApiId=api, RouteId="zzzzzzz")
    i = gw.create_integration(ApiId=api, IntegrationType="HTTP_PROXY", IntegrationMethod="GET",
                              IntegrationUri="http://127.0.0.1:9/x", PayloadFormatVersion="1.0")
    assert i["TimeoutInMillis"] == 30000 and i["ConnectionType"] == "INTERNET"
    raises(gw.create_integration, "BadRequestException", ApiId=api,
           IntegrationType="AWS_PROXY", IntegrationUri="not-an-arn", PayloadFormatVersion="2.0")
    rr = gw.update_route(ApiId=api, RouteId=r["RouteId"], Target="integrations/" + i["IntegrationId"])
    assert rr["Target"] == "integrations/" + i["IntegrationId"]
    assert [x["RouteKey"] for x in gw.get_routes(ApiId=api)["Items"]] == ["GET /items/{id}"]
    assert len(gw.get_integrations(ApiId=api)["Items"]) == 1
    # a stage without AutoDeploy serves what a deployment captured
    gw.create_stage(ApiId=api, StageName="dev", StageVariables={"v": "1"})
    raises(gw.create_stage, "ConflictException", ApiId=api, StageName="dev")
    d = gw.create_deployment(ApiId=api, StageName="dev", Description="first")
    assert d["DeploymentStatus"] == "DEPLOYED"
    assert gw.get_stage(ApiId=api, StageName="dev")["DeploymentId"] == d["DeploymentId"]
    assert [x["DeploymentId"] for x in gw.get_deployments(ApiId=api)["Items"]] == [d["DeploymentId"]]
    assert gw.update_stage(ApiId=api, StageName="dev", Description="s")["Description"] == "s"
    # tags on the API and on its stage
    arn = f"arn:aws:apigateway:us-east-1::/apis/{api}"
    gw.tag_resource(ResourceArn=arn, Tags={"env": "test"})
    assert gw.get_tags(ResourceArn=arn)["Tags"] == {"team": "a", "env": "test"}
    gw.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert gw.get_tags(ResourceArn=arn)["Tags"] == {"env": "test"}
    gw.tag_resource(ResourceArn=arn + "/stages/dev", Tags={"s": "1"})
    assert gw.get_stage(ApiId=api, StageName="dev")["Tags"] == {"s": "1"}
    # what a route targets stays; the rest goes
    raises(gw.delete_integration, "ConflictException", ApiId=api, IntegrationId=i["IntegrationId"])
    gw.delete_route(ApiId=api, RouteId=r["RouteId"])
    gw.delete_integration(ApiId=api, IntegrationId=i["IntegrationId"])
    gw.delete_stage(ApiId=api, StageName="dev")
    gw.delete_api(ApiId=api)
    raises(gw.get_api, "NotFoundException", ApiId=api)


def test_cors_configuration(gw):
    api = gw.create_api(Name="c", ProtocolType="HTTP",
                        CorsConfiguration={"AllowOrigins": ["https://a.example"]})["ApiId"]
    assert gw.get_api(ApiId=api)["CorsConfiguration"]["AllowOrigins"] == ["https://a.example"]
    gw.delete_cors_configuration(ApiId=api)
    assert "CorsConfiguration" not in gw.get_api(ApiId=api)
    gw.delete_api(ApiId=api)


# ---- data plane: Lambda, payload format 2.0 ----

@pytest.fixture(scope="module")
def quick(gw, fn):
    a = gw.create_api(Name="quick", ProtocolType="HTTP", Target=fn)
    return a["ApiId"]


def test_quick_create_made_its_parts(gw, quick):
    routes = gw.get_routes(ApiId=quick)["Items"]
    assert [r["RouteKey"] for r in routes] == ["$default"]
    assert routes[0]["ApiGatewayManaged"] is True
    integ = gw.get_integrations(ApiId=quick)["Items"][0]
    assert integ["IntegrationType"] == "AWS_PROXY" and integ["PayloadFormatVersion"] == "2.0"
    st = gw.get_stages(ApiId=quick)["Items"]
    assert [s["StageName"] for s in st] == ["$default"] and st[0]["AutoDeploy"] is True


@pytest.mark.parametrize("form", ["host", "path"])
def test_lambda_event_v2(ferry, quick, form):
    s, h, b = call(ferry, quick, "POST", "/some/where?a=1&b=2&a=3", body=b'{"x": 1}',
                   headers={"Content-Type": "application/json", "X-Two": "v",
                            "Cookie": "c1=v1; c2=v2", "User-Agent": "tester"}, form=form)
    assert s == 200, b
    assert hdr(h, "x-custom") == "yes" and hdr(h, "apigw-requestid")
    ev = json.loads(b)
    assert ev["version"] == "2.0" and ev["routeKey"] == "$default"
    assert ev["rawPath"] == "/some/where" and ev["rawQueryString"] == "a=1&b=2&a=3"
    assert ev["queryStringParameters"] == {"a": "1,3", "b": "2"}
    assert ev["cookies"] == ["c1=v1", "c2=v2"] and "cookie" not in ev["headers"]
    assert ev["headers"]["x-two"] == "v"
    assert ev["body"] == '{"x": 1}' and ev["isBase64Encoded"] is False
    rc = ev["requestContext"]
    assert rc["apiId"] == quick and rc["stage"] == "$default" and rc["accountId"] == acct(ferry, "dev")
    assert rc["http"] == {"method": "POST", "path": "/some/where", "protocol": "HTTP/1.1",
                          "sourceIp": "127.0.0.1", "userAgent": "tester"}
    assert rc["routeKey"] == "$default" and rc["requestId"] and rc["timeEpoch"] > 0
    assert "pathParameters" not in ev and "stageVariables" not in ev


def test_plain_json_result_and_errors(ferry, quick):
    s, h, b = call(ferry, quick, "GET", "/plain")
    assert s == 200 and json.loads(b) == {"hello": "world"}
    assert hdr(h, "content-type") == "application/json"
    s, _, b = call(ferry, quick, "GET", "/fail")
    assert s == 500 and json.loads(b) == {"message": "Internal Server Error"}


def test_base64_bodies_and_cookies(ferry, quick):
    s, h, b = call(ferry, quick, "POST", "/bin", body=b"\x00\xfe",
                   headers={"Content-Type": "application/octet-stream"})
    assert s == 201 and b == b"\x00\x01\xff"
    assert hdr(h, "content-type") == "application/octet-stream"
    s, _, b = call(ferry, quick, "POST", "/echo", body=b"\x00\xfe",
                   headers={"Content-Type": "application/octet-stream"})
    ev = json.loads(b)
    assert ev["isBase64Encoded"] is True and base64.b64decode(ev["body"]) == b"\x00\xfe"
    s, h, b = call(ferry, quick, "GET", "/cookie")
    assert s == 200 and b == b"ok"
    assert sorted(hdr(h, "set-cookie")) == ["a=1", "b=2; Path=/"]


def test_routes_path_parameters_and_stages(ferry, gw, fn):
    api = gw.create_api(Name="routes", ProtocolType="HTTP")["ApiId"]
    iid = gw.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn,
                                PayloadFormatVersion="2.0")["IntegrationId"]
    for rk in ("GET /items/{id}", "ANY /items/{id}", "GET /items/special", "ANY /{proxy+}"):
        gw.create_route(ApiId=api, RouteKey=rk, Target="integrations/" + iid)
    gw.create_stage(ApiId=api, StageName="prod", AutoDeploy=True, StageVariables={"color": "blue"})

    def ev(method, path):
        s, _, b = call(ferry, api, method, path)
        assert s == 200, b
        return json.loads(b)

    e = ev("GET", "/prod/items/42")
    assert e["routeKey"] == "GET /items/{id}" and e["pathParameters"] == {"id": "42"}
    assert e["rawPath"] == "/prod/items/42" and e["requestContext"]["stage"] == "prod"
    assert e["stageVariables"] == {"color": "blue"}
    assert ev("DELETE", "/prod/items/42")["routeKey"] == "ANY /items/{id}"
    assert ev("GET", "/prod/items/special")["routeKey"] == "GET /items/special"
    e = ev("GET", "/prod/a/b/c")
    assert e["routeKey"] == "ANY /{proxy+}" and e["pathParameters"] == {"proxy": "a/b/c"}
    # no $default stage: a path naming no stage is not found
    s, _, b = call(ferry, api, "GET", "/items/1")
    assert s == 404 and json.loads(b) == {"message": "Not Found"}
    s, _, b = call(ferry, api, "GET", "/prod/")
    assert s == 404 and json.loads(b) == {"message": "Not Found"}
    # a stage serves its deployment, not later edits
    gw.create_stage(ApiId=api, StageName="frozen")
    s, _, _ = call(ferry, api, "GET", "/frozen/items/1")
    assert s == 404
    gw.create_deployment(ApiId=api, StageName="frozen")
    assert call(ferry, api, "GET", "/frozen/items/1", form="path")[0] == 200
    # AWS: with the default endpoint disabled, every request is refused
    gw.update_api(ApiId=api, DisableExecuteApiEndpoint=True)
    s, _, b = call(ferry, api, "GET", "/prod/items/1")
    assert (s, json.loads(b)) == (403, {"message": "Forbidden"})


def test_lambda_payload_v1(ferry, gw, fn):
    api = gw.create_api(Name="v1", ProtocolType="HTTP")["ApiId"]
    iid = gw.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn,
                                PayloadFormatVersion="1.0")["IntegrationId"]
    gw.create_route(ApiId=api, RouteKey="GET /items/{id}", Target="integrations/" + iid)
    gw.create_route(ApiId=api, RouteKey="$default", Target="integrations/" + iid)
    gw.create_stage(ApiId=api, StageName="prod", AutoDeploy=True, StageVariables={"color": "red"})
    s, h, b = call(ferry, api, "GET", "/prod/items/7?a=1&a=2&b=3",
                   headers={"X-Two": "v", "User-Agent": "tester"})
    assert s == 200, b
    assert hdr(h, "x-custom") == "yes" and hdr(h, "apigw-requestid")
    ev = json.loads(b)
    assert ev["version"] == "1.0" and ev["httpMethod"] == "GET"
    assert ev["resource"] == "/items/{id}" and ev["path"] == "/prod/items/7"
    assert ev["pathParameters"] == {"id": "7"} and ev["stageVariables"] == {"color": "red"}
    assert ev["queryStringParameters"] == {"a": "2", "b": "3"}
    assert ev["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["3"]}
    assert ev["headers"]["x-two"] == "v" and ev["multiValueHeaders"]["x-two"] == ["v"]
    assert ev["body"] is None and ev["isBase64Encoded"] is False
    rc = ev["requestContext"]
    assert rc["apiId"] == api and rc["stage"] == "prod" and rc["accountId"] == acct(ferry, "dev")
    assert rc["httpMethod"] == "GET" and rc["path"] == "/prod/items/7"
    assert rc["resourcePath"] == "/items/{id}" and rc["resourceId"] == "GET /items/{id}"
    assert rc["authorizer"] == {"claims": None, "scopes": None}
    assert rc["identity"]["sourceIp"] == "127.0.0.1" and rc["identity"]["userAgent"] == "tester"
    assert rc["requestId"] and rc["requestTimeEpoch"] > 0 and rc["protocol"] == "HTTP/1.1"
    s, _, b = call(ferry, api, "POST", "/prod/other", body=b'{"k": 1}',
                   headers={"Content-Type": "application/json"})
    ev = json.loads(b)
    assert s == 200 and ev["resource"] == "$default" and ev["body"] == '{"k": 1}'
    assert ev["pathParameters"] is None
    # the 1.0 response: base64 bodies decoded; a result without statusCode is malformed (500)
    s, h, b = call(ferry, api, "GET", "/prod/bin")
    assert s == 201 and b == b"\x00\x01\xff"
    s, _, b = call(ferry, api, "GET", "/prod/plain")
    assert (s, json.loads(b)) == (500, {"message": "Internal Server Error"})


def test_integration_timeout(ferry, gw, fn, quick):
    assert call(ferry, quick, "GET", "/warm")[0] == 200
    api = gw.create_api(Name="slow", ProtocolType="HTTP")["ApiId"]
    iid = gw.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn,
                                PayloadFormatVersion="2.0", TimeoutInMillis=300)["IntegrationId"]
    gw.create_route(ApiId=api, RouteKey="$default", Target="integrations/" + iid)
    gw.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
    s, _, b = call(ferry, api, "GET", "/slow")
    assert (s, json.loads(b)) == (503, {"message": "Service Unavailable"})
    gw.update_integration(ApiId=api, IntegrationId=iid, TimeoutInMillis=29000)
    assert call(ferry, api, "GET", "/plain")[0] == 200


def test_function_policy_decides(ferry, gw, fn):
    lam = ferry.client("lambda", "dev", region="us-east-1")
    role = lam.get_function(FunctionName="web")["Configuration"]["Role"]
    lam.create_function(FunctionName="closed", Runtime="python3.12", Role=role,
                        Handler="index.handler", Code={"ZipFile": zipped(FN)})
    lam.get_waiter("function_active_v2").wait(FunctionName="closed",
                                              WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    arn = fn.replace(":web", ":closed")
    api = gw.create_api(Name="closed", ProtocolType="HTTP", Target=arn)["ApiId"]
    s, _, b = call(ferry, api, "GET", "/x")
    assert s == 500 and json.loads(b) == {"message": "Internal Server Error"}
    lam.add_permission(FunctionName="closed", StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:us-east-1:{acct(ferry, 'dev')}:{api}/*/$default")
    assert call(ferry, api, "GET", "/x")[0] == 200


# ---- data plane: HTTP_PROXY and CORS ----

class Backend(http.server.BaseHTTPRequestHandler):
    def do_any(self):
        if self.path.startswith("/up/slow"):
            time.sleep(1)
        n = int(self.headers.get("content-length") or 0)
        body = json.dumps({"method": self.command, "path": self.path,
                           "body": self.rfile.read(n).decode(),
                           "x": self.headers.get("x-test")}).encode()
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Backend", "1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_any

    def log_message(self, *a):
        pass


@pytest.fixture(scope="module")
def backend():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Backend)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def test_http_proxy(ferry, gw, backend):
    api = gw.create_api(Name="proxy", ProtocolType="HTTP")["ApiId"]
    iid = gw.create_integration(ApiId=api, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY",
                                IntegrationUri=backend + "/up/{proxy}",
                                PayloadFormatVersion="1.0")["IntegrationId"]
    gw.create_route(ApiId=api, RouteKey="ANY /svc/{proxy+}", Target="integrations/" + iid)
    gw.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
    s, h, b = call(ferry, api, "PUT", "/svc/a/b?q=1", body=b"data", headers={"X-Test": "t"})
    assert s == 202 and hdr(h, "x-backend") == "1"
    assert json.loads(b) == {"method": "PUT", "path": "/up/a/b?q=1", "body": "data", "x": "t"}
    gw.update_integration(ApiId=api, IntegrationId=iid, TimeoutInMillis=200)
    s, _, b = call(ferry, api, "GET", "/svc/slow")
    assert (s, json.loads(b)) == (503, {"message": "Service Unavailable"})


def test_cors_preflight_and_headers(ferry, gw, fn):
    api = gw.create_api(Name="cors", ProtocolType="HTTP", Target=fn, CorsConfiguration={
        "AllowOrigins": ["https://a.example"], "AllowMethods": ["GET", "POST"],
        "AllowHeaders": ["authorization"], "ExposeHeaders": ["x-custom"], "MaxAge": 300,
        "AllowCredentials": True})["ApiId"]
    s, h, b = call(ferry, api, "OPTIONS", "/anything", headers={
        "Origin": "https://a.example", "Access-Control-Request-Method": "POST"})
    assert s == 204 and b == b""
    assert hdr(h, "access-control-allow-origin") == "https://a.example"
    assert hdr(h, "access-control-allow-methods") == "GET,POST"
    assert hdr(h, "access-control-allow-headers") == "authorization"
    assert hdr(h, "access-control-max-age") == "300"
    assert hdr(h, "access-control-allow-credentials") == "true"
    s, h, _ = call(ferry, api, "GET", "/plain", headers={"Origin": "https://a.example"})
    assert s == 200 and hdr(h, "access-control-allow-origin") == "https://a.example"
    assert hdr(h, "access-control-expose-headers") == "x-custom"
    s, h, _ = call(ferry, api, "GET", "/plain", headers={"Origin": "https://evil.example"})
    assert s == 200 and hdr(h, "access-control-allow-origin") is None


# ---- JWT authorizers ----

@pytest.fixture(scope="module")
def issuer():
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = key.public_key().public_numbers()

    def b64(n):
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    state = {"fetches": 0}

    class Idp(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if self.path == "/.well-known/openid-configuration":
                doc = {"issuer": base, "jwks_uri": base + "/jwks.json"}
            elif self.path == "/jwks.json":
                state["fetches"] += 1
                doc = {"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
                                 "n": b64(pub.n), "e": b64(pub.e)}]}
            else:
                self.send_response(404)
                self.end_headers()
                return
            body = json.dumps(doc).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Idp)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield {"url": f"http://127.0.0.1:{srv.server_address[1]}", "key": key, "state": state}
    srv.shutdown()


def token(iss, claims, kid="k1"):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    def enc(o):
        return base64.urlsafe_b64encode(json.dumps(o).encode()).rstrip(b"=").decode()
    signed = enc({"alg": "RS256", "typ": "JWT", "kid": kid}) + "." + enc(claims)
    sig = iss["key"].sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signed + "." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()


def test_jwt_authorizer(ferry, gw, fn, issuer):
    api = gw.create_api(Name="jwt", ProtocolType="HTTP")["ApiId"]
    az = gw.create_authorizer(ApiId=api, Name="idp", AuthorizerType="JWT",
                              IdentitySource=["$request.header.Authorization"],
                              JwtConfiguration={"Issuer": issuer["url"], "Audience": ["app"]})
    assert az["AuthorizerType"] == "JWT" and len(az["AuthorizerId"]) == 6
    iid = gw.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn,
                                PayloadFormatVersion="2.0")["IntegrationId"]
    gw.create_route(ApiId=api, RouteKey="GET /me", Target="integrations/" + iid,
                    AuthorizationType="JWT", AuthorizerId=az["AuthorizerId"])
    gw.create_route(ApiId=api, RouteKey="GET /admin", Target="integrations/" + iid,
                    AuthorizationType="JWT", AuthorizerId=az["AuthorizerId"],
                    AuthorizationScopes=["admin"])
    gw.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
    now = int(time.time())
    good = token(issuer, {"iss": issuer["url"], "aud": "app", "sub": "alice", "exp": now + 600,
                          "scope": "read write"})
    s, _, b = call(ferry, api, "GET", "/me", headers={"Authorization": "Bearer " + good})
    assert s == 200, b
    jw = json.loads(b)["requestContext"]["authorizer"]["jwt"]
    assert jw["claims"]["sub"] == "alice" and jw["claims"]["aud"] == "app"
    assert jw["scopes"] == ["read", "write"]
    for bad in (None, "garbage",
                token(issuer, {"iss": issuer["url"], "aud": "other", "exp": now + 600}),
                token(issuer, {"iss": issuer["url"], "aud": "app", "exp": now - 10}),
                token(issuer, {"iss": "http://elsewhere", "aud": "app", "exp": now + 600}),
                token(issuer, {"iss": issuer["url"], "aud": "app", "exp": now + 600}, kid="k2"),
                good[:-4] + "AAAA"):
        s, _, b = call(ferry, api, "GET", "/me", headers={"Authorization": bad} if bad else {})
        assert (s, json.loads(b)) == (401, {"message": "Unauthorized"}), bad
    s, _, b = call(ferry, api, "GET", "/admin", headers={"Authorization": good})
    assert (s, json.loads(b)) == (403, {"message": "Forbidden"})
    admin = token(issuer, {"iss": issuer["url"], "aud": "app", "exp": now + 600, "scope": "admin"})
    assert call(ferry, api, "GET", "/admin", headers={"Authorization": admin})[0] == 200
    assert issuer["state"]["fetches"] == 1  # the key set is cached


AUTHZ = {"index.py": """import uuid

def handler(event, context):
    tok = (event.get("headers") or {}).get("x-token", "")
    if tok == "boom":
        raise ValueError("boom")
    ctx = {"who": tok, "nonce": str(uuid.uuid4()), "ids": event["identitySource"],
           "type": event["type"], "n": 1}
    if event["version"] == "2.0":
        ctx["arn"] = event["routeArn"]
        return {"isAuthorized": tok == "yes", "context": ctx}
    ctx["arn"] = event["methodArn"]
    return {"principalId": tok, "context": ctx, "policyDocument": {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow" if tok == "yes" else "Deny",
                           "Action": "execute-api:Invoke", "Resource": event["methodArn"]}]}}
"""}


def test_lambda_authorizer(ferry, gw, fn):
    lam = ferry.client("lambda", "dev", region="us-east-1")
    role = lam.get_function(FunctionName="web")["Configuration"]["Role"]
    azfn = lam.create_function(FunctionName="httpauthz", Runtime="python3.12", Role=role,
                               Handler="index.handler", Code={"ZipFile": zipped(AUTHZ)})["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName="httpauthz",
                                              WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    account = acct(ferry, "dev")
    lam.add_permission(FunctionName="httpauthz", StatementId="apigw",
                       Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:us-east-1:{account}:*")
    api = gw.create_api(Name="lambda-authz", ProtocolType="HTTP")["ApiId"]
    azuri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{azfn}/invocations"
    raises(gw.create_authorizer, "BadRequestException", ApiId=api, Name="x",
           AuthorizerType="REQUEST", AuthorizerUri=azuri, AuthorizerPayloadFormatVersion="1.0",
           EnableSimpleResponses=True, IdentitySource=["$request.header.X-Token"])
    raises(gw.create_authorizer, "BadRequestException", ApiId=api, Name="x",
           AuthorizerType="REQUEST", AuthorizerUri=azuri, AuthorizerPayloadFormatVersion="2.0",
           IdentitySource=["$request.body.x"])
    simple = gw.create_authorizer(ApiId=api, Name="simple", AuthorizerType="REQUEST",
                                  AuthorizerUri=azuri, AuthorizerPayloadFormatVersion="2.0",
                                  EnableSimpleResponses=True, AuthorizerResultTtlInSeconds=300,
                                  IdentitySource=["$request.header.X-Token"])["AuthorizerId"]
    policy = gw.create_authorizer(ApiId=api, Name="policy", AuthorizerType="REQUEST",
                                  AuthorizerUri=azuri, AuthorizerPayloadFormatVersion="1.0",
                                  IdentitySource=["$request.header.X-Token",
                                                  "$request.querystring.q"])["AuthorizerId"]
    got = gw.get_authorizer(ApiId=api, AuthorizerId=simple)
    assert got["EnableSimpleResponses"] is True and got["AuthorizerPayloadFormatVersion"] == "2.0"
    iid = gw.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn,
                                PayloadFormatVersion="2.0")["IntegrationId"]
    gw.create_route(ApiId=api, RouteKey="GET /simple", Target="integrations/" + iid,
                    AuthorizationType="CUSTOM", AuthorizerId=simple)
    gw.create_route(ApiId=api, RouteKey="GET /policy", Target="integrations/" + iid,
                    AuthorizationType="CUSTOM", AuthorizerId=policy)
    gw.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)

    s, _, b = call(ferry, api, "GET", "/simple", headers={"X-Token": "yes"})
    assert s == 200, b
    lc = json.loads(b)["requestContext"]["authorizer"]["lambda"]
    assert lc["who"] == "yes" and lc["ids"] == ["yes"] and lc["type"] == "REQUEST" and lc["n"] == 1
    assert lc["arn"] == f"arn:aws:execute-api:us-east-1:{account}:{api}/$default/GET/simple"
    again = json.loads(call(ferry, api, "GET", "/simple", headers={"X-Token": "yes"})[2])
    assert again["requestContext"]["authorizer"]["lambda"]["nonce"] == lc["nonce"]  # cached
    for headers, status, msg in (({}, 401, "Unauthorized"), ({"X-Token": "no"}, 403, "Forbidden"),
                                 ({"X-Token": "boom"}, 500, "Internal Server Error")):
        s, _, b = call(ferry, api, "GET", "/simple", headers=headers)
        assert (s, json.loads(b)) == (status, {"message": msg}), headers
    # the IAM policy format (payload 1.0): the document decides for the route's ARN
    s, _, b = call(ferry, api, "GET", "/policy?q=1", headers={"X-Token": "yes"})
    assert s == 200, b
    lc = json.loads(b)["requestContext"]["authorizer"]["lambda"]
    assert lc["ids"] == "yes,1" and lc["arn"].endswith(f"{api}/$default/GET/policy")
    again = json.loads(call(ferry, api, "GET", "/policy?q=1", headers={"X-Token": "yes"})[2])
    assert again["requestContext"]["authorizer"]["lambda"]["nonce"] != lc["nonce"]  # no TTL
    s, _, b = call(ferry, api, "GET", "/policy?q=1", headers={"X-Token": "no"})
    assert (s, json.loads(b)) == (403, {"message": "Forbidden"})
    s, _, b = call(ferry, api, "GET", "/policy", headers={"X-Token": "yes"})
    assert (s, json.loads(b)) == (401, {"message": "Unauthorized"})


# ---- CloudFormation ----

def test_cloudformation_stack_serves(ferry, gw):
    from test_cfn_providers import Stacks, out
    stacks = Stacks(ferry)
    src = ("def handler(event, context):\n"
           "    return {'route': event['routeKey'], 'id': event['pathParameters']['id'],\n"
           "            'stage': event['requestContext']['stage']}\n")

    def tpl(desc):
        return {"Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST}},
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
                "Runtime": "python3.12", "Handler": "index.handler", "Timeout": 30,
                "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Code": {"ZipFile": src}}},
            "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {
                "Name": "cfn-http", "ProtocolType": "HTTP", "Description": desc}},
            "Integ": {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {
                "ApiId": {"Ref": "Api"}, "IntegrationType": "AWS_PROXY",
                "IntegrationUri": {"Fn::GetAtt": ["Fn", "Arn"]}, "PayloadFormatVersion": "2.0"}},
            "Route": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {
                "ApiId": {"Ref": "Api"}, "RouteKey": "GET /things/{id}",
                "Target": {"Fn::Join": ["/", ["integrations", {"Ref": "Integ"}]]}}},
            "Stage": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {
                "ApiId": {"Ref": "Api"}, "StageName": "live", "AutoDeploy": True}},
            "Perm": {"Type": "AWS::Lambda::Permission", "Properties": {
                "FunctionName": {"Ref": "Fn"}, "Action": "lambda:InvokeFunction",
                "Principal": "apigateway.amazonaws.com",
                "SourceArn": {"Fn::Sub": "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*"}}}},
            "Outputs": out(("Id", {"Ref": "Api"}), ("Endpoint", {"Fn::GetAtt": ["Api", "ApiEndpoint"]}),
                           ("Route", {"Ref": "Route"}), ("Stage", {"Ref": "Stage"}))}

    s = stacks.deploy("http-api", tpl("one"))
    api = s["Out"]["Id"]
    assert s["Out"]["Endpoint"] == f"http://{api}.execute-api.localhost:{ferry.port}"
    assert s["Out"]["Stage"] == "live"
    assert gw.get_route(ApiId=api, RouteId=s["Out"]["Route"])["RouteKey"] == "GET /things/{id}"
    st, _, b = call(ferry, api, "GET", "/live/things/7")
    assert st == 200, b
    assert json.loads(b) == {"route": "GET /things/{id}", "id": "7", "stage": "live"}
    s = stacks.deploy("http-api", tpl("two"), update=True)
    assert s["Out"]["Id"] == api and gw.get_api(ApiId=api)["Description"] == "two"
    stacks.delete(s)
    raises(gw.get_api, "NotFoundException", ApiId=api)


def test_cloudformation_lambda_authorizer(ferry, gw, fn):
    from test_cfn_providers import Stacks, out
    stacks = Stacks(ferry)
    azfn = ferry.client("lambda", "dev", region="us-east-1").get_function(
        FunctionName="httpauthz")["Configuration"]["FunctionArn"]  # test_lambda_authorizer's

    def tpl(ttl):
        return {"Resources": {
            "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {
                "Name": "cfn-authz", "ProtocolType": "HTTP"}},
            "Authz": {"Type": "AWS::ApiGatewayV2::Authorizer", "Properties": {
                "ApiId": {"Ref": "Api"}, "Name": "lam", "AuthorizerType": "REQUEST",
                "AuthorizerUri": {"Fn::Sub": f"arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/{azfn}/invocations"},
                "AuthorizerPayloadFormatVersion": "2.0", "EnableSimpleResponses": True,
                "AuthorizerResultTtlInSeconds": ttl, "IdentitySource": ["$request.header.X-Token"]}},
            "Integ": {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {
                "ApiId": {"Ref": "Api"}, "IntegrationType": "AWS_PROXY",
                "IntegrationUri": fn, "PayloadFormatVersion": "2.0"}},
            "Route": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {
                "ApiId": {"Ref": "Api"}, "RouteKey": "GET /x", "AuthorizationType": "CUSTOM",
                "AuthorizerId": {"Ref": "Authz"},
                "Target": {"Fn::Join": ["/", ["integrations", {"Ref": "Integ"}]]}}},
            "Stage": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {
                "ApiId": {"Ref": "Api"}, "StageName": "$default", "AutoDeploy": True}}},
            "Outputs": out(("Id", {"Ref": "Api"}), ("Authz", {"Fn::GetAtt": ["Authz", "AuthorizerId"]}))}

    s = stacks.deploy("http-authz", tpl(0))
    api, az = s["Out"]["Id"], s["Out"]["Authz"]
    assert gw.get_authorizer(ApiId=api, AuthorizerId=az)["AuthorizerType"] == "REQUEST"
    assert call(ferry, api, "GET", "/x", headers={"X-Token": "yes"})[0] == 200
    assert call(ferry, api, "GET", "/x", headers={"X-Token": "no"})[0] == 403
    stacks.deploy("http-authz", tpl(60), update=True)
    assert gw.get_authorizer(ApiId=api, AuthorizerId=az)["AuthorizerResultTtlInSeconds"] == 60
    stacks.delete(s)
    raises(gw.get_api, "NotFoundException", ApiId=api)
