"""STS through real clients: AssumeRole across the organization's accounts (trust policies,
external ids, identity policies, SCPs, session policies and tags, source identity, role
chaining), GetSessionToken, GetAccessKeyInfo, expiry, and the role profiles `ferry init`
writes."""
import datetime
import json
import os
import sqlite3
import subprocess
import time

import boto3
import botocore
import botocore.config
import pytest
from ferrytest import code, message

ACCESS_ROLE = "OrganizationAccountAccessRole"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(principal, **extra):
    s = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    s.update(extra)
    return doc(s)


@pytest.fixture(scope="module")
def ids(ferry):
    return {p: ferry.client("sts", p).get_caller_identity()["Account"]
            for p in ("management", "tools", "dev", "qa", "prod")}


def session_client(ferry, creds, service, region="us-east-1"):
    return boto3.client(service, region_name=region, endpoint_url=ferry.endpoint,
                        aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


def key_client(ferry, akid, secret, service):
    return boto3.client(service, region_name="us-east-1", endpoint_url=ferry.endpoint,
                        aws_access_key_id=akid, aws_secret_access_key=secret)


@pytest.fixture(scope="module")
def deploy(ferry, ids):
    """tools' deploy role in dev: trusts the tools account with an external id."""
    iam = ferry.client("iam", "dev")
    iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=trust(
        f"arn:aws:iam::{ids['tools']}:root",
        Condition={"StringEquals": {"sts:ExternalId": "pipeline-7"}}))
    iam.put_role_policy(RoleName="deploy", PolicyName="read", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["iam:List*", "iam:Get*"], "Resource": "*"}))
    return f"arn:aws:iam::{ids['dev']}:role/deploy"


def test_management_assumes_member_access_role(ferry, ids):
    arn = f"arn:aws:iam::{ids['dev']}:role/{ACCESS_ROLE}"
    sts = ferry.client("sts", "management")
    before = datetime.datetime.now(datetime.timezone.utc)
    r = sts.assume_role(RoleArn=arn, RoleSessionName="ops@example.com")
    c, u = r["Credentials"], r["AssumedRoleUser"]
    assert c["AccessKeyId"].startswith("ASIA") and c["SessionToken"]
    assert 3500 < (c["Expiration"] - before).total_seconds() <= 3601
    assert u["Arn"] == f"arn:aws:sts::{ids['dev']}:assumed-role/{ACCESS_ROLE}/ops@example.com"
    assert u["AssumedRoleId"].startswith("AROA") and u["AssumedRoleId"].endswith(":ops@example.com")
    me = session_client(ferry, c, "sts").get_caller_identity()
    assert me["Arn"] == u["Arn"] and me["UserId"] == u["AssumedRoleId"] and me["Account"] == ids["dev"]
    # AdministratorAccess: the session runs dev's IAM
    iam = session_client(ferry, c, "iam")
    assert ACCESS_ROLE in {x["RoleName"] for x in iam.list_roles()["Roles"]}
    # the audit trail names the session
    ev = ferry.client("cloudtrail", "dev").lookup_events(LookupAttributes=[
        {"AttributeKey": "EventName", "AttributeValue": "ListRoles"}])["Events"]
    assert ev and ev[0]["Username"] == "ops@example.com"


def test_cli_assume_role_and_use_it(ferry, ids, tmp_path):
    arn = f"arn:aws:iam::{ids['qa']}:role/{ACCESS_ROLE}"
    r = ferry.aws("sts", "assume-role", "--role-arn", arn, "--role-session-name", "cli",
                  "--duration-seconds", "900")
    c = r.json["Credentials"]
    env = ferry.env()
    env.update(AWS_ACCESS_KEY_ID=c["AccessKeyId"], AWS_SECRET_ACCESS_KEY=c["SecretAccessKey"],
               AWS_SESSION_TOKEN=c["SessionToken"], AWS_DEFAULT_REGION="us-east-1")
    import subprocess
    out = subprocess.run(["/usr/bin/aws", "--endpoint-url", ferry.endpoint, "sts",
                          "get-caller-identity", "--output", "json"],
                         capture_output=True, text=True, env=env, check=True)
    assert json.loads(out.stdout)["Arn"] == f"arn:aws:sts::{ids['qa']}:assumed-role/{ACCESS_ROLE}/cli"
    r = ferry.aws("sts", "assume-role", "--role-arn", arn, "--role-session-name", "xx",
                  profile="prod", check=False)
    assert r.returncode != 0 and "AccessDenied" in r.stderr


def test_external_id(ferry, ids, deploy):
    sts = ferry.client("sts", "tools")
    r = sts.assume_role(RoleArn=deploy, RoleSessionName="pipeline", ExternalId="pipeline-7")
    assert session_client(ferry, r["Credentials"], "iam").get_role(RoleName="deploy")
    for ext in ("wrong-id", None):
        kw = {"ExternalId": ext} if ext else {}
        with pytest.raises(botocore.exceptions.ClientError) as e:
            sts.assume_role(RoleArn=deploy, RoleSessionName="pipeline", **kw)
        assert code(e) == "AccessDenied"
        assert message(e) == (f"User: arn:aws:iam::{ids['tools']}:root is not authorized to "
                              f"perform: sts:AssumeRole on resource: {deploy}")


def test_untrusted_account_and_missing_role_look_the_same(ferry, ids, deploy):
    qa = ferry.client("sts", "qa")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        qa.assume_role(RoleArn=deploy, RoleSessionName="xx", ExternalId="pipeline-7")
    assert code(e) == "AccessDenied" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert message(e) == (f"User: arn:aws:iam::{ids['qa']}:root is not authorized to perform: "
                          f"sts:AssumeRole on resource: {deploy}")
    missing = f"arn:aws:iam::{ids['dev']}:role/nope"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ferry.client("sts", "management").assume_role(RoleArn=missing, RoleSessionName="xx")
    assert message(e) == (f"User: arn:aws:iam::{ids['management']}:root is not authorized to "
                          f"perform: sts:AssumeRole on resource: {missing}")


def test_identity_policies_of_a_user_decide_across_accounts(ferry, ids, deploy):
    iam = ferry.client("iam", "tools")
    iam.create_user(UserName="ci")
    k = iam.create_access_key(UserName="ci")["AccessKey"]
    sts = key_client(ferry, k["AccessKeyId"], k["SecretAccessKey"], "sts")
    time.sleep(0)  # keys are usable at once
    with pytest.raises(botocore.exceptions.ClientError) as e:  # no identity policy yet
        sts.assume_role(RoleArn=deploy, RoleSessionName="ci", ExternalId="pipeline-7")
    assert message(e).startswith(f"User: arn:aws:iam::{ids['tools']}:user/ci is not authorized")
    iam.put_user_policy(UserName="ci", PolicyName="assume", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": deploy}))
    assert sts.assume_role(RoleArn=deploy, RoleSessionName="ci", ExternalId="pipeline-7")
    # an explicit deny in the user's policies wins over both allows
    iam.put_user_policy(UserName="ci", PolicyName="deny", PolicyDocument=doc(
        {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.assume_role(RoleArn=deploy, RoleSessionName="ci", ExternalId="pipeline-7")
    assert code(e) == "AccessDenied"
    iam.delete_user_policy(UserName="ci", PolicyName="deny")


def test_same_account_trust_naming_the_user_is_enough(ferry, ids):
    iam = ferry.client("iam", "prod")
    iam.create_user(UserName="ops")
    k = iam.create_access_key(UserName="ops")["AccessKey"]
    user_arn = f"arn:aws:iam::{ids['prod']}:user/ops"
    iam.create_role(RoleName="by-name", AssumeRolePolicyDocument=trust(user_arn))
    iam.create_role(RoleName="by-account", AssumeRolePolicyDocument=trust(ids["prod"]))
    sts = key_client(ferry, k["AccessKeyId"], k["SecretAccessKey"], "sts")
    assert sts.assume_role(RoleArn=f"arn:aws:iam::{ids['prod']}:role/by-name",
                           RoleSessionName="ss")["AssumedRoleUser"]
    # a trust policy naming only the account needs the user's own allow too
    with pytest.raises(botocore.exceptions.ClientError):
        sts.assume_role(RoleArn=f"arn:aws:iam::{ids['prod']}:role/by-account",
                        RoleSessionName="ss")
    # the account's root is allowed by a trust policy naming the account
    assert ferry.client("sts", "prod").assume_role(
        RoleArn=f"arn:aws:iam::{ids['prod']}:role/by-account", RoleSessionName="ss")


def test_scp_deny_beats_the_trust_policy(ferry, ids, deploy):
    org = ferry.client("organizations", "management")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    p = org.create_policy(Name="NoAssume", Description="", Type="SERVICE_CONTROL_POLICY",
                          Content=doc({"Effect": "Deny", "Action": "sts:AssumeRole",
                                       "Resource": "*"}))["Policy"]["PolicySummary"]["Id"]
    try:
        org.attach_policy(PolicyId=p, TargetId=ids["tools"])
        with pytest.raises(botocore.exceptions.ClientError) as e:
            ferry.client("sts", "tools").assume_role(RoleArn=deploy, RoleSessionName="xx",
                                                     ExternalId="pipeline-7")
        assert code(e) == "AccessDenied"
        # the management account is never limited by SCPs
        org.attach_policy(PolicyId=p, TargetId=root)
        assert ferry.client("sts", "management").assume_role(
            RoleArn=f"arn:aws:iam::{ids['dev']}:role/{ACCESS_ROLE}", RoleSessionName="mgmt")
        org.detach_policy(PolicyId=p, TargetId=root)
    finally:
        org.detach_policy(PolicyId=p, TargetId=ids["tools"])
        org.delete_policy(PolicyId=p)
        org.disable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    assert ferry.client("sts", "tools").assume_role(RoleArn=deploy, RoleSessionName="xx",
                                                    ExternalId="pipeline-7")


def test_input_validation(ferry, ids):
    # botocore checks lengths itself: send what it would refuse all the same
    sts = ferry.client("sts", "management",
                       config=botocore.config.Config(parameter_validation=False))
    arn = f"arn:aws:iam::{ids['dev']}:role/{ACCESS_ROLE}"
    cases = [
        (dict(RoleSessionName="a"), "at 'roleSessionName' failed to satisfy constraint: "
                                    "Member must have length greater than or equal to 2"),
        (dict(RoleSessionName="has space"), "Member must satisfy regular expression pattern: "
                                            "[\\w+=,.@-]*"),
        (dict(RoleSessionName="ok", DurationSeconds=899),
         "Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value "
         "greater than or equal to 900"),
        (dict(RoleSessionName="ok", DurationSeconds=7200),
         "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."),
        (dict(RoleSessionName="ok", ExternalId="x"), "at 'externalId'"),
        (dict(RoleSessionName="ok", Policy="x" * 2049), "at 'policy'"),
        (dict(RoleSessionName="ok", Tags=[{"Key": "k" * 129, "Value": "v"}]),
         "at 'tags.1.member.key' failed to satisfy constraint: Member must have length less "
         "than or equal to 128"),
        # the model does not bound PolicyArns: the handler does, as AWS words it
        (dict(RoleSessionName="ok", PolicyArns=[{"arn": "arn:aws:iam::aws:policy/x"}] * 11),
         "Value at 'policyArns' failed to satisfy constraint: Member must have length less "
         "than or equal to 10"),
    ]
    for kw, want in cases:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            sts.assume_role(RoleArn=arn, **kw)
        assert code(e) == "ValidationError", kw
        if want:
            assert want in message(e), (kw, message(e))
    with pytest.raises(botocore.exceptions.ClientError) as e:  # nor duplicate keys
        sts.assume_role(RoleArn=arn, RoleSessionName="ok",
                        Tags=[{"Key": "k", "Value": "1"}, {"Key": "K", "Value": "2"}])
    assert code(e) == "InvalidParameterValue"
    assert "Duplicate tag keys found" in message(e)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.assume_role(RoleArn=arn, RoleSessionName="ok", Policy='{"Statement": 1}')
    assert code(e) == "MalformedPolicyDocument"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.assume_role(RoleArn="arn:aws:iam::123:bogus/thing", RoleSessionName="ok")
    assert code(e) == "ValidationError"


def test_session_policies_narrow_the_session(ferry, ids):
    dev_iam = ferry.client("iam", "dev")
    pol = dev_iam.create_policy(PolicyName="ListOnly", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}))["Policy"]["Arn"]
    arn = f"arn:aws:iam::{ids['dev']}:role/{ACCESS_ROLE}"
    sts = ferry.client("sts", "management")
    inline = doc({"Effect": "Allow", "Action": ["iam:ListRoles", "iam:ListUsers"], "Resource": "*"})
    r = sts.assume_role(RoleArn=arn, RoleSessionName="narrow", Policy=inline)
    assert 0 < r["PackedPolicySize"] <= 100
    iam = session_client(ferry, r["Credentials"], "iam")
    iam.list_roles()
    iam.list_users()
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.get_role(RoleName=ACCESS_ROLE)
    assert message(e).endswith("because no session policy allows the iam:GetRole action")
    r = sts.assume_role(RoleArn=arn, RoleSessionName="narrower", PolicyArns=[{"arn": pol}])
    iam = session_client(ferry, r["Credentials"], "iam")
    iam.list_roles()
    with pytest.raises(botocore.exceptions.ClientError):
        iam.list_users()


def test_session_tags_transitive_through_chaining(ferry, ids):
    iam = ferry.client("iam", "dev")
    mgmt_root = f"arn:aws:iam::{ids['management']}:root"
    iam.create_role(RoleName="tagged", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": mgmt_root},
         "Action": ["sts:AssumeRole", "sts:TagSession"]}))
    iam.put_role_policy(RoleName="tagged", PolicyName="p", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}))
    tagged = f"arn:aws:iam::{ids['dev']}:role/tagged"
    iam.create_role(RoleName="second", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": tagged},
         "Action": ["sts:AssumeRole", "sts:TagSession"],
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}))
    iam.put_role_policy(RoleName="second", PolicyName="p", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}))
    sts = ferry.client("sts", "management")
    blue = sts.assume_role(RoleArn=tagged, RoleSessionName="bb", Tags=[
        {"Key": "team", "Value": "blue"}], TransitiveTagKeys=["team"])
    session_client(ferry, blue["Credentials"], "iam").list_roles()
    red = sts.assume_role(RoleArn=tagged, RoleSessionName="rr", Tags=[
        {"Key": "team", "Value": "red"}])
    with pytest.raises(botocore.exceptions.ClientError):
        session_client(ferry, red["Credentials"], "iam").list_roles()
    # chaining: the transitive tag goes along, and the chain is capped at one hour
    chained = session_client(ferry, blue["Credentials"], "sts")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        chained.assume_role(RoleArn=f"arn:aws:iam::{ids['dev']}:role/second",
                            RoleSessionName="cc", DurationSeconds=7200)
    assert message(e) == ("The requested DurationSeconds exceeds the 1 hour session limit for "
                          "roles assumed by role chaining.")
    c = chained.assume_role(RoleArn=f"arn:aws:iam::{ids['dev']}:role/second",
                            RoleSessionName="cc")
    session_client(ferry, c["Credentials"], "iam").list_roles()
    assert c["AssumedRoleUser"]["Arn"].endswith(":assumed-role/second/cc")
    # the red session carries no transitive tag: the second trust policy refuses it
    with pytest.raises(botocore.exceptions.ClientError):
        session_client(ferry, red["Credentials"], "sts").assume_role(
            RoleArn=f"arn:aws:iam::{ids['dev']}:role/second", RoleSessionName="cc")
    # tags need sts:TagSession in the trust policy
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.assume_role(RoleArn=f"arn:aws:iam::{ids['dev']}:role/{ACCESS_ROLE}",
                        RoleSessionName="tt", Tags=[{"Key": "team", "Value": "blue"}])
    assert "sts:TagSession" in message(e)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.assume_role(RoleArn=tagged, RoleSessionName="tt", Tags=[{"Key": "a", "Value": "1"}],
                        TransitiveTagKeys=["b"])
    assert code(e) == "InvalidParameterValue"


def test_source_identity(ferry, ids):
    iam = ferry.client("iam", "qa")
    iam.create_role(RoleName="audited", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ids['management']}:root"},
         "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
         "Condition": {"StringLike": {"sts:SourceIdentity": "*@example.com"}}}))
    arn = f"arn:aws:iam::{ids['qa']}:role/audited"
    sts = ferry.client("sts", "management")
    r = sts.assume_role(RoleArn=arn, RoleSessionName="ss", SourceIdentity="ana@example.com")
    assert r["SourceIdentity"] == "ana@example.com"
    with pytest.raises(botocore.exceptions.ClientError):
        sts.assume_role(RoleArn=arn, RoleSessionName="ss", SourceIdentity="mallory")
    # a trust policy without sts:SetSourceIdentity refuses a source identity
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.assume_role(RoleArn=f"arn:aws:iam::{ids['qa']}:role/{ACCESS_ROLE}",
                        RoleSessionName="ss", SourceIdentity="ana@example.com")
    assert "sts:SetSourceIdentity" in message(e)


def test_get_session_token(ferry, ids):
    sts = ferry.client("sts", "dev")
    r = sts.get_session_token(DurationSeconds=7200)["Credentials"]
    # the root's sessions last at most an hour
    left = (r["Expiration"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 3500 < left <= 3601
    s = session_client(ferry, r, "sts")
    assert s.get_caller_identity()["Arn"] == f"arn:aws:iam::{ids['dev']}:root"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s.get_session_token()
    assert code(e) == "AccessDenied"
    assert message(e) == "Cannot call GetSessionToken with session credentials"
    # an IAM user: 12 hours by default, its own identity
    iam = ferry.client("iam", "dev")
    iam.create_user(UserName="dana")
    k = iam.create_access_key(UserName="dana")["AccessKey"]
    u = key_client(ferry, k["AccessKeyId"], k["SecretAccessKey"], "sts").get_session_token()
    left = (u["Credentials"]["Expiration"] - datetime.datetime.now(datetime.timezone.utc))
    assert 43000 < left.total_seconds() <= 43201
    assert session_client(ferry, u["Credentials"], "sts").get_caller_identity()["Arn"] == \
        f"arn:aws:iam::{ids['dev']}:user/dana"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.get_session_token(DurationSeconds=200000)
    assert code(e) == "ValidationError"
    r = ferry.aws("sts", "get-session-token", "--duration-seconds", "900", profile="qa")
    assert r.json["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_get_access_key_info(ferry, ids):
    sts = ferry.client("sts", "management")
    assert sts.get_access_key_info(AccessKeyId=ferry.keys("dev")[0])["Account"] == ids["dev"]
    r = ferry.aws("sts", "get-access-key-info", "--access-key-id", ferry.keys("prod")[0])
    assert r.json["Account"] == ids["prod"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.get_access_key_info(AccessKeyId="AKIAIOSFODNN7EXAMPLE")
    assert code(e) == "InvalidParameterValue"
    raw = ferry.client("sts", "management",
                       config=botocore.config.Config(parameter_validation=False))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        raw.get_access_key_info(AccessKeyId="short")
    assert code(e) == "ValidationError"


def expire(ferry, akid):
    """Moves a session's expiry into the past, as the passing of time would (with the server
    stopped: it caches keys, and only its own writes tell it they changed)."""
    ferry.stop()
    if ferry.store_url:  # FERRY_TEST_STORE=postgresql
        out = subprocess.run(
            ["psql", "-X", "-At", ferry.store_url, "-c",
             "WITH u AS (UPDATE docs SET doc = jsonb_set(doc::jsonb, '{Expiration}', "
             f"to_jsonb({time.time() - 1}::float8))::text WHERE kind = 'accesskey' "
             f"AND id = '{akid}' RETURNING 1) SELECT count(*) FROM u"],
            check=True, capture_output=True, text=True)
        n = int(out.stdout.split()[0])
    else:
        db = sqlite3.connect(os.path.join(ferry.data, "ferry.db"), timeout=10)
        with db:
            n = db.execute("UPDATE docs SET doc = json_set(doc, '$.Expiration', ?) "
                           "WHERE kind = 'accesskey' AND id = ?",
                           (time.time() - 1, akid)).rowcount
        db.close()
    ferry.start()
    assert n == 1


def test_expired_session_is_refused(ferry, ids):
    r = ferry.client("sts", "management").assume_role(
        RoleArn=f"arn:aws:iam::{ids['prod']}:role/{ACCESS_ROLE}", RoleSessionName="short",
        DurationSeconds=900)["Credentials"]
    s = session_client(ferry, r, "sts")
    assert s.get_caller_identity()["Account"] == ids["prod"]
    expire(ferry, r["AccessKeyId"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s.get_caller_identity()
    assert code(e) == "ExpiredToken"
    assert message(e) == "The security token included in the request is expired"
    # JSON services word it their way
    with pytest.raises(botocore.exceptions.ClientError) as e:
        session_client(ferry, r, "organizations").describe_organization()
    assert code(e) == "ExpiredTokenException"
    env = ferry.env()
    env.update(AWS_ACCESS_KEY_ID=r["AccessKeyId"], AWS_SECRET_ACCESS_KEY=r["SecretAccessKey"],
               AWS_SESSION_TOKEN=r["SessionToken"], AWS_DEFAULT_REGION="us-east-1")
    import subprocess
    out = subprocess.run(["/usr/bin/aws", "--endpoint-url", ferry.endpoint, "sts",
                          "get-caller-identity"], capture_output=True, text=True, env=env)
    assert out.returncode != 0 and "ExpiredToken" in out.stderr


def test_init_role_profiles_through_boto3(ferry, ids):
    """`ferry init` writes <member>-admin profiles (role_arn + source_profile). Debian's
    botocore 1.29 sends the profile's AssumeRole to AWS's own STS endpoint (endpoint_url in
    profiles arrived in botocore 1.31), so its STS client is pointed at ferry here; the rest
    is botocore's real AssumeRoleProvider."""
    import configparser
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(ferry.awsdir, "config"))
    prof = cfg["profile dev-admin"]
    assert prof["role_arn"] == f"arn:aws:iam::{ids['dev']}:role/{ACCESS_ROLE}"
    assert prof["source_profile"] == "management" and prof["endpoint_url"] == ferry.endpoint
    s = ferry.session("dev-admin")
    bs = s._session
    create = bs.create_client

    def to_ferry(service, *a, **kw):
        kw.setdefault("endpoint_url", ferry.endpoint)
        return create(service, *a, **kw)

    bs.create_client = to_ferry
    me = s.client("sts", endpoint_url=ferry.endpoint).get_caller_identity()
    assert me["Arn"].startswith(f"arn:aws:sts::{ids['dev']}:assumed-role/{ACCESS_ROLE}/")
    assert me["Account"] == ids["dev"]


def test_create_account_gives_an_access_role(ferry, ids):
    org = ferry.client("organizations", "management")
    st = org.create_account(Email="vend@example.com", AccountName="vended",
                            RoleName="VendAdmin")["CreateAccountStatus"]
    acct = org.describe_create_account_status(
        CreateAccountRequestId=st["Id"])["CreateAccountStatus"]["AccountId"]
    r = ferry.client("sts", "management").assume_role(
        RoleArn=f"arn:aws:iam::{acct}:role/VendAdmin", RoleSessionName="vend")
    iam = session_client(ferry, r["Credentials"], "iam")
    assert [p["PolicyName"] for p in iam.list_attached_role_policies(
        RoleName="VendAdmin")["AttachedPolicies"]] == ["AdministratorAccess"]
    with pytest.raises(org.exceptions.InvalidInputException):
        org.create_account(Email="bad@example.com", AccountName="bad", RoleName="no spaces")


def test_packed_policy_too_large(ferry, ids):
    iam = ferry.client("iam", "tools")
    iam.create_role(RoleName="packed", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ids['tools']}:root"},
         "Action": ["sts:AssumeRole", "sts:TagSession"]}))
    arn = f"arn:aws:iam::{ids['tools']}:role/packed"
    actions = [f"s3:GetObject{i:03d}" for i in range(80)]
    policy = doc({"Effect": "Allow", "Action": actions, "Resource": "*"})
    assert len(policy) <= 2048
    tags = [{"Key": f"k{i:02d}" + "x" * 100, "Value": "v" * 200} for i in range(10)]
    sts = ferry.client("sts", "tools")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.assume_role(RoleArn=arn, RoleSessionName="big", Policy=policy, Tags=tags)
    assert code(e) == "PackedPolicyTooLarge"
    assert message(e).startswith("Packed size of session policies and tags exceeds the limit by")
    r = sts.assume_role(RoleArn=arn, RoleSessionName="fits", Tags=tags[:2])
    assert 0 < r["PackedPolicySize"] < 100
