"""STS federation through boto3: AssumeRoleWithWebIdentity as GitHub Actions uses it (an
unsigned request carrying an OIDC ID token, RS256-signed by a key the test generates and
serves from a local JWKS endpoint), with AWS's refusals: unknown issuer, wrong audience,
expired or forged tokens, trust conditions on :sub."""
import base64
import http.server
import json
import threading
import time

import boto3
import botocore
import botocore.config
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from ferrytest import acct, raises

TP = "6938fd4d98bab03faadb97b34396831e3780aea1"
REPO = "repo:octo-org/octo-repo:ref:refs/heads/main"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def uint(n):
    return b64u(n.to_bytes((n.bit_length() + 7) // 8, "big"))


class Issuer:
    """An OIDC issuer on 127.0.0.1: discovery document, JWKS, and tokens it signs."""

    def __init__(self, path=""):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pub = self.key.public_key().public_numbers()
        self.jwks = {"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
                               "n": uint(pub.n), "e": uint(pub.e)}]}
        self.hits = 0
        issuer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                issuer.hits += 1
                path = self.path[len(issuer.path):]
                if path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": issuer.url + "/keys"}
                elif path == "/keys":
                    body = issuer.jwks
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.path = path
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}{path}"
        # the provider: loopback test issuers are registered without their port
        self.provider_url = "https://127.0.0.1" + path
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def token(self, key=None, kid="k1", **claims):
        now = int(time.time())
        c = {"iss": self.url, "aud": "sts.amazonaws.com", "sub": REPO,
             "repository": "octo-org/octo-repo", "ref": "refs/heads/main",
             "iat": now, "nbf": now - 5, "exp": now + 300}
        c.update(claims)
        c = {k: v for k, v in c.items() if v is not None}
        head = b64u(json.dumps({"alg": "RS256", "typ": "JWT", "kid": kid}).encode())
        body = b64u(json.dumps(c).encode())
        sig = (key or self.key).sign(f"{head}.{body}".encode(), padding.PKCS1v15(),
                                     hashes.SHA256())
        return f"{head}.{body}.{b64u(sig)}"


@pytest.fixture(scope="module")
def idp():
    i = Issuer("/gh")
    yield i
    i.srv.shutdown()


@pytest.fixture(scope="module")
def setup(ferry, idp):
    iam = ferry.client("iam", "dev")
    host = idp.provider_url[len("https://"):]
    prov = iam.create_open_id_connect_provider(
        Url=idp.provider_url, ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=[TP])["OpenIDConnectProviderArn"]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": prov},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{host}:aud": "sts.amazonaws.com"},
                      "StringLike": {f"{host}:sub": "repo:octo-org/octo-repo:*"}}}]}
    role = iam.create_role(RoleName="gha-deploy",
                           AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName="gha-deploy", PolicyName="sqs", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"}]}))
    return {"provider": prov, "role": role, "host": host}


@pytest.fixture(scope="module")
def sts(ferry):
    """An unsigned client, as the AWS SDKs send AssumeRoleWithWebIdentity."""
    return boto3.client("sts", region_name="us-east-1", endpoint_url=ferry.endpoint,
                        config=botocore.config.Config(signature_version=botocore.UNSIGNED))


def test_github_actions_style_assume(ferry, idp, setup, sts):
    r = sts.assume_role_with_web_identity(RoleArn=setup["role"], RoleSessionName="gha-run-1",
                                          WebIdentityToken=idp.token(), DurationSeconds=900)
    a = acct(ferry, "dev")
    assert r["SubjectFromWebIdentityToken"] == REPO
    assert r["Audience"] == "sts.amazonaws.com"
    assert r["Provider"] == idp.url
    assert r["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{a}:assumed-role/gha-deploy/gha-run-1"
    assert r["AssumedRoleUser"]["AssumedRoleId"].startswith("AROA")
    cr = r["Credentials"]
    assert cr["AccessKeyId"].startswith("ASIA")
    kw = dict(region_name="us-east-1", endpoint_url=ferry.endpoint,
              aws_access_key_id=cr["AccessKeyId"], aws_secret_access_key=cr["SecretAccessKey"],
              aws_session_token=cr["SessionToken"])
    me = boto3.client("sts", **kw).get_caller_identity()
    assert me["Arn"] == r["AssumedRoleUser"]["Arn"]
    boto3.client("sqs", **kw).list_queues()  # the role's policy allows it
    with pytest.raises(botocore.exceptions.ClientError) as e:
        boto3.client("sqs", **kw).create_queue(QueueName="nope")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    # a session policy narrows it
    r2 = sts.assume_role_with_web_identity(
        RoleArn=setup["role"], RoleSessionName="narrow", WebIdentityToken=idp.token(),
        Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "sqs:*", "Resource": "*"}]}))
    assert "PackedPolicySize" in r2
    c2 = r2["Credentials"]
    with pytest.raises(botocore.exceptions.ClientError):
        boto3.client("sqs", region_name="us-east-1", endpoint_url=ferry.endpoint,
                     aws_access_key_id=c2["AccessKeyId"],
                     aws_secret_access_key=c2["SecretAccessKey"],
                     aws_session_token=c2["SessionToken"]).list_queues()


def test_token_refusals(ferry, idp, setup, sts):
    role = setup["role"]

    def call(tok, **kw):
        return sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="s1",
                                                 WebIdentityToken=tok, **kw)

    raises(call, "InvalidIdentityToken", status=400, tok="not.a.jwt")
    raises(call, "ExpiredTokenException", status=400,
           tok=idp.token(exp=int(time.time()) - 10, iat=int(time.time()) - 100))
    raises(call, "InvalidIdentityToken", "Missing a required claim: exp", tok=idp.token(exp=None))
    raises(call, "InvalidIdentityToken", tok=idp.token(nbf=int(time.time()) + 3600))
    raises(call, "InvalidIdentityToken", "Incorrect token audience",
           tok=idp.token(aud="someone-else"))
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raises(call, "InvalidIdentityToken", tok=idp.token(key=other))  # forged
    # an array audience naming the client id is fine
    call(idp.token(aud=["x", "sts.amazonaws.com"]))
    # the trust policy's :sub condition
    msg = raises(call, "AccessDenied", status=403, tok=idp.token(sub="repo:evil/repo:ref:x"))
    assert "sts:AssumeRoleWithWebIdentity" in msg
    # an issuer the role's account has not registered
    raises(call, "InvalidIdentityToken", tok=idp.token(iss="https://unknown.example.com"))
    # the provider is registered in dev only: a qa role cannot be reached with it
    qa_role = f"arn:aws:iam::{acct(ferry, 'qa')}:role/OrganizationAccountAccessRole"
    raises(sts.assume_role_with_web_identity, "InvalidIdentityToken", RoleArn=qa_role,
           RoleSessionName="s1", WebIdentityToken=idp.token())
    # a role that does not exist is refused like one that does not trust the token
    raises(sts.assume_role_with_web_identity, "AccessDenied",
           RoleArn=role.replace("gha-deploy", "missing"), RoleSessionName="s1",
           WebIdentityToken=idp.token())
    raises(call, "ValidationError", tok=idp.token(), DurationSeconds=7 * 3600)


def test_issuer_unreachable(ferry, idp, setup, sts):
    dead = Issuer("/dead")
    dead.srv.shutdown()
    dead.srv.server_close()
    iam = ferry.client("iam", "dev")
    prov = iam.create_open_id_connect_provider(Url=dead.provider_url, ClientIDList=["a"],
                                               ThumbprintList=[TP])["OpenIDConnectProviderArn"]
    raises(sts.assume_role_with_web_identity, "IDPCommunicationError", RoleArn=setup["role"],
           RoleSessionName="s1", WebIdentityToken=dead.token(aud="a"))
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=prov)


def test_get_federation_token(ferry):
    a = acct(ferry, "dev")
    iam = ferry.client("iam", "dev")
    iam.create_user(UserName="broker")
    iam.put_user_policy(UserName="broker", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["sts:GetFederationToken", "sqs:ListQueues",
                                           "sqs:CreateQueue"], "Resource": "*"}]}))
    k = iam.create_access_key(UserName="broker")["AccessKey"]
    kw = dict(region_name="us-east-1", endpoint_url=ferry.endpoint)
    sts = boto3.client("sts", aws_access_key_id=k["AccessKeyId"],
                       aws_secret_access_key=k["SecretAccessKey"], **kw)
    r = sts.get_federation_token(Name="alice", DurationSeconds=900, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["sqs:ListQueues", "s3:ListAllMyBuckets"],
             "Resource": "*"}]}))
    assert r["FederatedUser"] == {"FederatedUserId": f"{a}:alice",
                                  "Arn": f"arn:aws:sts::{a}:federated-user/alice"}
    assert r["PackedPolicySize"] > 0
    c = r["Credentials"]
    ck = dict(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
              aws_session_token=c["SessionToken"], **kw)
    assert boto3.client("sts", **ck).get_caller_identity()["Arn"] == r["FederatedUser"]["Arn"]
    sqs = boto3.client("sqs", **ck)
    sqs.list_queues()  # both allow
    with pytest.raises(botocore.exceptions.ClientError) as e:  # the session policy does not
        sqs.create_queue(QueueName="fed-q")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(botocore.exceptions.ClientError) as e:  # the user's policy does not
        boto3.client("s3", **ck).list_buckets()
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    # without a session policy, nothing is allowed
    bare = sts.get_federation_token(Name="bob")["Credentials"]
    with pytest.raises(botocore.exceptions.ClientError):
        boto3.client("sqs", aws_access_key_id=bare["AccessKeyId"],
                     aws_secret_access_key=bare["SecretAccessKey"],
                     aws_session_token=bare["SessionToken"], **kw).list_queues()
    # not from session credentials, not for the root, nor past the model's range
    raises(boto3.client("sts", **ck).get_federation_token, "AccessDenied", Name="carol")
    raises(ferry.client("sts", "dev").get_federation_token, "AccessDenied", Name="carol")
    raises(sts.get_federation_token, "ValidationError", Name="carol", DurationSeconds=129601)
    raises(sts.get_federation_token, "MalformedPolicyDocument", Name="carol", Policy="{}")


def test_only_web_identity_is_unsigned(ferry, idp, setup, sts):
    # every other operation still needs a signature
    raises(sts.get_caller_identity, "MissingAuthenticationToken", status=403)
    # a client that signs anyway (Debian's botocore does) gets the same answer: the token
    # alone decides
    signed = ferry.client("sts", "qa")
    r = signed.assume_role_with_web_identity(RoleArn=setup["role"], RoleSessionName="signed",
                                             WebIdentityToken=idp.token())
    assert r["AssumedRoleUser"]["Arn"].endswith(":assumed-role/gha-deploy/signed")
