"""MFA-authenticated STS sessions through boto3: GetSessionToken and AssumeRole with an MFA
device's code (RFC 6238, computed here), AWS's refusals, aws:MultiFactorAuthPresent and
aws:MultiFactorAuthAge in the request context (absent for long-term keys, false for
sessions without MFA), MFA carried into role sessions, survival of kill -9, and
GetMFADevice (not in Debian's botocore: sent as a signed query request)."""
import json
import signal
import subprocess
import time
import urllib.parse
import xml.etree.ElementTree as ET

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest

from ferrytest import AWS_BIN, acct, raises, totp

ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def now_code(seed):
    return totp(seed, int(time.time()) // 30)


def wrong_code(seed):
    """A code of the device's seed that no step near now gives."""
    step = int(time.time()) // 30
    near = {totp(seed, s) for s in range(step - 4, step + 5)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in near)


def client(ferry, service, creds):
    return boto3.client(service, endpoint_url=ferry.endpoint, region_name="us-east-1",
                        aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds.get("SessionToken"))


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture(scope="module")
def iam(ferry):
    return ferry.client("iam", "dev", region="us-east-1")


@pytest.fixture(scope="module")
def bob(ferry, iam):
    """An IAM user with an enabled virtual MFA device: (long-term creds, serial, seed)."""
    iam.create_user(UserName="bob")
    iam.put_user_policy(UserName="bob", PolicyName="all", PolicyDocument=policy(ALLOW_ALL))
    k = iam.create_access_key(UserName="bob")["AccessKey"]
    d = iam.create_virtual_mfa_device(VirtualMFADeviceName="bob-phone")["VirtualMFADevice"]
    seed = d["Base32StringSeed"].decode()
    step = int(time.time()) // 30
    iam.enable_mfa_device(UserName="bob", SerialNumber=d["SerialNumber"],
                          AuthenticationCode1=totp(seed, step),
                          AuthenticationCode2=totp(seed, step + 1))
    return k, d["SerialNumber"], seed


def test_get_session_token_refusals(ferry, iam, bob):
    k, serial, seed = bob
    sts = client(ferry, "sts", k)
    raises(sts.get_session_token, "AccessDenied",
           "MultiFactorAuthentication failed with invalid MFA one time pass code. ", status=403,
           SerialNumber=serial, TokenCode=wrong_code(seed))
    raises(sts.get_session_token, "AccessDenied",
           "MultiFactorAuthentication failed, must provide both MFA serial number and one time "
           "pass code.", status=403, SerialNumber=serial)
    raises(sts.get_session_token, "ValidationError",
           "1 validation error detected: Value '12a456' at 'tokenCode' failed to satisfy "
           "constraint: Member must satisfy regular expression pattern: [\\d]*", status=400,
           SerialNumber=serial, TokenCode="12a456")
    unable = ("MultiFactorAuthentication failed, unable to validate MFA code.  Please verify "
              "your MFA serial number is valid and associated with this user.")
    raises(sts.get_session_token, "AccessDenied", unable, status=403,
           SerialNumber=serial + "-none", TokenCode=now_code(seed))
    # another user's device, and a device that is not enabled
    iam.create_user(UserName="eve")
    ek = iam.create_access_key(UserName="eve")["AccessKey"]
    raises(client(ferry, "sts", ek).get_session_token, "AccessDenied", unable,
           SerialNumber=serial, TokenCode=now_code(seed))
    spare = iam.create_virtual_mfa_device(VirtualMFADeviceName="spare")["VirtualMFADevice"]
    raises(sts.get_session_token, "AccessDenied", unable,
           SerialNumber=spare["SerialNumber"],
           TokenCode=now_code(spare["Base32StringSeed"].decode()))
    # the account root has no virtual device of its own here
    raises(ferry.client("sts", "dev").get_session_token, "AccessDenied", unable,
           SerialNumber=serial, TokenCode=now_code(seed))


def test_mfa_context_keys(ferry, iam, bob):
    k, serial, seed = bob
    sts = client(ferry, "sts", k)
    plain = sts.get_session_token()["Credentials"]
    mfa = sts.get_session_token(SerialNumber=serial, TokenCode=now_code(seed))["Credentials"]
    lt_iam, plain_iam, mfa_iam = (client(ferry, "iam", c) for c in (k, plain, mfa))

    # AWS's "deny unless MFA": BoolIfExists false blocks long-term keys and plain sessions
    deny = {"Effect": "Deny", "NotAction": ["sts:GetSessionToken"], "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
    iam.put_user_policy(UserName="bob", PolicyName="mfa", PolicyDocument=policy(deny))
    raises(lt_iam.list_users, "AccessDenied", status=403)
    raises(plain_iam.list_users, "AccessDenied", status=403)
    mfa_iam.list_users()

    # Bool false: the key is absent for long-term keys, false for a session without MFA
    deny["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "false"}}
    iam.put_user_policy(UserName="bob", PolicyName="mfa", PolicyDocument=policy(deny))
    lt_iam.list_users()
    raises(plain_iam.list_users, "AccessDenied")
    mfa_iam.list_users()

    # aws:MultiFactorAuthAge: only with MFA, the seconds since it
    deny["Condition"] = {"Null": {"aws:MultiFactorAuthAge": "true"}}
    iam.put_user_policy(UserName="bob", PolicyName="mfa", PolicyDocument=policy(deny))
    raises(plain_iam.list_users, "AccessDenied")
    mfa_iam.list_users()
    deny["Condition"] = {"NumericGreaterThan": {"aws:MultiFactorAuthAge": "300"}}
    iam.put_user_policy(UserName="bob", PolicyName="mfa", PolicyDocument=policy(deny))
    mfa_iam.list_users()
    deny["Condition"] = {"NumericLessThan": {"aws:MultiFactorAuthAge": "0"}}
    iam.put_user_policy(UserName="bob", PolicyName="mfa", PolicyDocument=policy(deny))
    mfa_iam.list_users()
    iam.delete_user_policy(UserName="bob", PolicyName="mfa")


def test_assume_role_with_mfa(ferry, iam, bob):
    k, serial, seed = bob
    account = acct(ferry, "dev")
    trust = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
             "Action": "sts:AssumeRole",
             "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
    arn = iam.create_role(RoleName="guarded", AssumeRolePolicyDocument=policy(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName="guarded", PolicyName="all", PolicyDocument=policy(ALLOW_ALL))
    sts = client(ferry, "sts", k)
    denied = raises(sts.assume_role, "AccessDenied", status=403, RoleArn=arn,
                    RoleSessionName="no-mfa")
    assert "sts:AssumeRole" in denied
    raises(sts.assume_role, "AccessDenied",
           "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
           RoleArn=arn, RoleSessionName="s1", SerialNumber=serial, TokenCode=wrong_code(seed))
    raises(sts.assume_role, "AccessDenied",
           "MultiFactorAuthentication failed, must provide both MFA serial number and one time "
           "pass code.", RoleArn=arn, RoleSessionName="s1", SerialNumber=serial)
    role = sts.assume_role(RoleArn=arn, RoleSessionName="with-mfa", SerialNumber=serial,
                           TokenCode=now_code(seed))["Credentials"]
    # the role session carries the MFA: chaining into the guarded role again passes its trust
    chained = client(ferry, "sts", role).assume_role(RoleArn=arn, RoleSessionName="chained")
    assert chained["AssumedRoleUser"]["Arn"].endswith(":assumed-role/guarded/chained")
    # an MFA session of the user assumes the role without a code of its own
    mfa = sts.get_session_token(SerialNumber=serial, TokenCode=now_code(seed))["Credentials"]
    client(ferry, "sts", mfa).assume_role(RoleArn=arn, RoleSessionName="from-mfa-session")
    # a session without MFA does not
    plain = sts.get_session_token()["Credentials"]
    raises(client(ferry, "sts", plain).assume_role, "AccessDenied", RoleArn=arn,
           RoleSessionName="plain")
    # a role session without MFA gets false in its context, and chains without MFA
    open_trust = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                  "Action": "sts:AssumeRole"}
    oarn = iam.create_role(RoleName="open", AssumeRolePolicyDocument=policy(open_trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName="open", PolicyName="all", PolicyDocument=policy(ALLOW_ALL))
    o = sts.assume_role(RoleArn=oarn, RoleSessionName="o1")["Credentials"]
    raises(client(ferry, "sts", o).assume_role, "AccessDenied", RoleArn=arn, RoleSessionName="x1")

    # kill -9: the sessions keep their MFA
    ferry.stop(signal.SIGKILL)
    ferry.start()
    client(ferry, "sts", chained["Credentials"]).assume_role(RoleArn=arn, RoleSessionName="again")
    client(ferry, "sts", mfa).assume_role(RoleArn=arn, RoleSessionName="after-restart")
    raises(client(ferry, "sts", plain).assume_role, "AccessDenied", RoleArn=arn,
           RoleSessionName="plain")


def query(ferry, creds, action, **params):
    """A signed IAM query request: (HTTP status, XML root)."""
    body = urllib.parse.urlencode({"Action": action, "Version": "2010-05-08", **params})
    req = botocore.awsrequest.AWSRequest(
        method="POST", url=ferry.endpoint + "/", data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(*creds), "iam",
                            "us-east-1").add_auth(req)
    status, _, raw = ferry.http("POST", "/", body.encode(), dict(req.headers))
    root = ET.fromstring(raw)
    for el in root.iter():  # drop the namespace
        el.tag = el.tag.split("}")[-1]
    return status, root


def test_get_mfa_device(ferry, iam, bob):
    k, serial, seed = bob
    admin = ferry.keys("dev")
    status, r = query(ferry, admin, "GetMFADevice", SerialNumber=serial, UserName="bob")
    assert status == 200, ET.tostring(r)
    res = r.find("GetMFADeviceResult")
    assert res.findtext("UserName") == "bob"
    assert res.findtext("SerialNumber") == serial
    assert res.findtext("EnableDate")
    assert res.find("Certifications") is None
    # the user's own, without UserName
    status, r = query(ferry, (k["AccessKeyId"], k["SecretAccessKey"]), "GetMFADevice",
                      SerialNumber=serial)
    assert status == 200 and r.find("GetMFADeviceResult").findtext("UserName") == "bob"
    for params in ({"SerialNumber": serial + "x", "UserName": "bob"},
                   {"SerialNumber": serial, "UserName": "eve"}):
        status, r = query(ferry, admin, "GetMFADevice", **params)
        assert status == 404 and r.find("Error").findtext("Code") == "NoSuchEntity"
    status, r = query(ferry, admin, "GetMFADevice", SerialNumber=serial, UserName="nobody")
    assert status == 404 and r.find("Error").findtext("Code") == "NoSuchEntity"


def test_cli_get_session_token_with_mfa(ferry, bob):
    k, serial, seed = bob
    env = {**ferry.env(), "AWS_ACCESS_KEY_ID": k["AccessKeyId"],
           "AWS_SECRET_ACCESS_KEY": k["SecretAccessKey"], "AWS_DEFAULT_REGION": "us-east-1"}
    env.pop("AWS_PROFILE", None)
    r = subprocess.run([AWS_BIN, "--endpoint-url", ferry.endpoint, "--output", "json", "sts",
                        "get-session-token", "--serial-number", serial, "--token-code",
                        now_code(seed)], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    creds = json.loads(r.stdout)["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and creds["SessionToken"]
