"""IAM through Debian's awscli 2.9 (`aws iam ...`): every operation family and its errors
as the CLI shows them, policy documents given as file:// and inline JSON, and a user's own
keys driving the CLI."""
import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

import ferrytest as ferry_mod

ALLOW_S3 = {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
AWS_POLICY = "arn:aws:iam::aws:policy/"


def aws(ferry, *args, profile="qa"):
    return ferry.aws("iam", *args, profile=profile).json


def as_key(ferry, key, *args):
    """`aws iam ...` signed with an access key given in the environment."""
    env = ferry.env()
    env.update(AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"],
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    r = subprocess.run([ferry_mod.AWS_BIN, "--endpoint-url", ferry.endpoint, "--output", "json",
                        "iam", *args], capture_output=True, text=True, env=env)
    r.json = json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else None
    return r


def fails(ferry, code, *args, profile="qa", msg=None, key=None):
    r = as_key(ferry, key, *args) if key else ferry.aws("iam", *args, profile=profile, check=False)
    assert r.returncode != 0, r.stdout
    assert f"({code})" in r.stderr, r.stderr
    if msg:
        assert msg in r.stderr, r.stderr
    return r.stderr


SCENARIOS = []


def scenario(fn):
    """Each scenario uses its own names, so they run side by side: awscli starts slowly
    (about a second a command), and four at a time keep this file fast."""
    SCENARIOS.append(fn)
    return fn


@pytest.fixture(scope="module")
def acct(ferry):
    return ferry.aws("sts", "get-caller-identity", profile="qa").json["Account"]


@pytest.fixture(scope="module")
def docs(ferry):
    d = os.path.join(ferry.tmp, "docs")
    os.makedirs(d, exist_ok=True)
    for name, doc in (("trust.json", TRUST), ("s3.json", ALLOW_S3)):
        with open(os.path.join(d, name), "w") as f:
            json.dump(doc, f, indent=2)
    return d


@scenario
def cli_roles(ferry, acct, docs):
    r = aws(ferry, "create-role", "--role-name", "cli-role", "--path", "/cli/",
            "--assume-role-policy-document", f"file://{docs}/trust.json",
            "--max-session-duration", "7200", "--tags", "Key=k,Value=v")["Role"]
    assert r["Arn"] == f"arn:aws:iam::{acct}:role/cli/cli-role"
    g = aws(ferry, "get-role", "--role-name", "cli-role")["Role"]
    assert g["AssumeRolePolicyDocument"] == TRUST and g["MaxSessionDuration"] == 7200
    assert [x["RoleName"] for x in aws(ferry, "list-roles", "--path-prefix", "/cli/")["Roles"]] == ["cli-role"]
    ferry.aws("iam", "update-role", "--role-name", "cli-role", "--description", "d", profile="qa")
    ferry.aws("iam", "update-assume-role-policy", "--role-name", "cli-role", "--policy-document",
              json.dumps(TRUST), profile="qa")
    ferry.aws("iam", "tag-role", "--role-name", "cli-role", "--tags", "Key=a,Value=b", profile="qa")
    assert len(aws(ferry, "list-role-tags", "--role-name", "cli-role")["Tags"]) == 2
    ferry.aws("iam", "untag-role", "--role-name", "cli-role", "--tag-keys", "a", profile="qa")
    fails(ferry, "EntityAlreadyExists", "create-role", "--role-name", "cli-role",
          "--assume-role-policy-document", json.dumps(TRUST), msg="Role with name cli-role already exists.")
    fails(ferry, "MalformedPolicyDocument", "create-role", "--role-name", "cli-bad",
          "--assume-role-policy-document", "{}")
    fails(ferry, "ValidationError", "create-role", "--role-name", "cli bad",
          "--assume-role-policy-document", json.dumps(TRUST))
    fails(ferry, "ValidationError", "update-role", "--role-name", "cli-role",
          "--max-session-duration", "50000")
    fails(ferry, "NoSuchEntity", "get-role", "--role-name", "ghost",
          msg="The role with name ghost cannot be found.")
    # attached and inline policies
    ferry.aws("iam", "attach-role-policy", "--role-name", "cli-role", "--policy-arn",
              AWS_POLICY + "ReadOnlyAccess", profile="qa")
    assert aws(ferry, "list-attached-role-policies", "--role-name", "cli-role")["AttachedPolicies"][0]["PolicyName"] == "ReadOnlyAccess"
    ferry.aws("iam", "put-role-policy", "--role-name", "cli-role", "--policy-name", "s3",
              "--policy-document", f"file://{docs}/s3.json", profile="qa")
    assert aws(ferry, "get-role-policy", "--role-name", "cli-role", "--policy-name", "s3")["PolicyDocument"] == ALLOW_S3
    assert aws(ferry, "list-role-policies", "--role-name", "cli-role")["PolicyNames"] == ["s3"]
    fails(ferry, "DeleteConflict", "delete-role", "--role-name", "cli-role",
          msg="must detach all policies first")
    ferry.aws("iam", "detach-role-policy", "--role-name", "cli-role", "--policy-arn",
              AWS_POLICY + "ReadOnlyAccess", profile="qa")
    fails(ferry, "NoSuchEntity", "detach-role-policy", "--role-name", "cli-role", "--policy-arn",
          AWS_POLICY + "ReadOnlyAccess")
    fails(ferry, "DeleteConflict", "delete-role", "--role-name", "cli-role",
          msg="must delete policies first")
    ferry.aws("iam", "delete-role-policy", "--role-name", "cli-role", "--policy-name", "s3", profile="qa")
    fails(ferry, "NoSuchEntity", "delete-role-policy", "--role-name", "cli-role", "--policy-name", "s3")
    # boundary
    ferry.aws("iam", "put-role-permissions-boundary", "--role-name", "cli-role",
              "--permissions-boundary", AWS_POLICY + "PowerUserAccess", profile="qa")
    assert aws(ferry, "get-role", "--role-name", "cli-role")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"].endswith("PowerUserAccess")
    ferry.aws("iam", "delete-role-permissions-boundary", "--role-name", "cli-role", profile="qa")
    ferry.aws("iam", "delete-role", "--role-name", "cli-role", profile="qa")
    fails(ferry, "NoSuchEntity", "delete-role", "--role-name", "cli-role")


@scenario
def cli_users_keys_groups(ferry, acct, docs):
    u = aws(ferry, "create-user", "--user-name", "cli-user")["User"]
    assert u["Arn"] == f"arn:aws:iam::{acct}:user/cli-user"
    fails(ferry, "EntityAlreadyExists", "create-user", "--user-name", "cli-user")
    k = aws(ferry, "create-access-key", "--user-name", "cli-user")["AccessKey"]
    assert k["SecretAccessKey"] and k["Status"] == "Active"
    meta = aws(ferry, "list-access-keys", "--user-name", "cli-user")["AccessKeyMetadata"]
    assert [m["AccessKeyId"] for m in meta] == [k["AccessKeyId"]]
    ferry.aws("iam", "update-access-key", "--user-name", "cli-user", "--access-key-id",
              k["AccessKeyId"], "--status", "Inactive", profile="qa")
    assert aws(ferry, "list-access-keys", "--user-name", "cli-user")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    aws(ferry, "create-access-key", "--user-name", "cli-user")
    fails(ferry, "LimitExceeded", "create-access-key", "--user-name", "cli-user")
    aws(ferry, "create-group", "--group-name", "cli-group")
    fails(ferry, "EntityAlreadyExists", "create-group", "--group-name", "cli-group")
    ferry.aws("iam", "update-group", "--group-name", "cli-group", "--new-path", "/cli/", profile="qa")
    aws(ferry, "create-login-profile", "--user-name", "cli-user", "--password", "Str0ng-Passw0rd!")
    assert aws(ferry, "get-login-profile", "--user-name", "cli-user")["LoginProfile"]["UserName"] == "cli-user"
    fails(ferry, "PasswordPolicyViolation", "update-login-profile", "--user-name", "cli-user",
          "--password", "short")
    ferry.aws("iam", "delete-login-profile", "--user-name", "cli-user", profile="qa")
    ferry.aws("iam", "add-user-to-group", "--group-name", "cli-group", "--user-name", "cli-user", profile="qa")
    assert aws(ferry, "get-group", "--group-name", "cli-group")["Users"][0]["UserName"] == "cli-user"
    assert aws(ferry, "list-groups-for-user", "--user-name", "cli-user")["Groups"][0]["GroupName"] == "cli-group"
    assert "cli-group" in [g["GroupName"] for g in aws(ferry, "list-groups")["Groups"]]
    ferry.aws("iam", "put-group-policy", "--group-name", "cli-group", "--policy-name", "g",
              "--policy-document", json.dumps(ALLOW_S3), profile="qa")
    assert aws(ferry, "get-group-policy", "--group-name", "cli-group", "--policy-name", "g")["PolicyDocument"] == ALLOW_S3
    assert aws(ferry, "list-group-policies", "--group-name", "cli-group")["PolicyNames"] == ["g"]
    ferry.aws("iam", "attach-group-policy", "--group-name", "cli-group", "--policy-arn",
              AWS_POLICY + "IAMReadOnlyAccess", profile="qa")
    assert len(aws(ferry, "list-attached-group-policies", "--group-name", "cli-group")["AttachedPolicies"]) == 1
    fails(ferry, "DeleteConflict", "delete-group", "--group-name", "cli-group")
    fails(ferry, "DeleteConflict", "delete-user", "--user-name", "cli-user",
          msg="must delete access keys first")
    ferry.aws("iam", "put-user-policy", "--user-name", "cli-user", "--policy-name", "u",
              "--policy-document", json.dumps(ALLOW_S3), profile="qa")
    assert aws(ferry, "list-user-policies", "--user-name", "cli-user")["PolicyNames"] == ["u"]
    assert aws(ferry, "get-user-policy", "--user-name", "cli-user", "--policy-name", "u")["PolicyDocument"] == ALLOW_S3
    ferry.aws("iam", "attach-user-policy", "--user-name", "cli-user", "--policy-arn",
              AWS_POLICY + "ReadOnlyAccess", profile="qa")
    assert len(aws(ferry, "list-attached-user-policies", "--user-name", "cli-user")["AttachedPolicies"]) == 1
    ferry.aws("iam", "put-user-permissions-boundary", "--user-name", "cli-user",
              "--permissions-boundary", AWS_POLICY + "ReadOnlyAccess", profile="qa")
    ferry.aws("iam", "delete-user-permissions-boundary", "--user-name", "cli-user", profile="qa")
    ferry.aws("iam", "tag-user", "--user-name", "cli-user", "--tags", "Key=a,Value=b", profile="qa")
    assert aws(ferry, "list-user-tags", "--user-name", "cli-user")["Tags"] == [{"Key": "a", "Value": "b"}]
    ferry.aws("iam", "untag-user", "--user-name", "cli-user", "--tag-keys", "a", profile="qa")
    ferry.aws("iam", "update-user", "--user-name", "cli-user", "--new-path", "/moved/", profile="qa")
    assert aws(ferry, "get-user", "--user-name", "cli-user")["User"]["Path"] == "/moved/"
    assert "cli-user" in [x["UserName"] for x in aws(ferry, "list-users", "--path-prefix", "/moved/")["Users"]]
    # tear down in AWS's order
    for m in aws(ferry, "list-access-keys", "--user-name", "cli-user")["AccessKeyMetadata"]:
        ferry.aws("iam", "delete-access-key", "--user-name", "cli-user", "--access-key-id",
                  m["AccessKeyId"], profile="qa")
    fails(ferry, "NoSuchEntity", "delete-access-key", "--user-name", "cli-user",
          "--access-key-id", k["AccessKeyId"])
    ferry.aws("iam", "delete-user-policy", "--user-name", "cli-user", "--policy-name", "u", profile="qa")
    ferry.aws("iam", "detach-user-policy", "--user-name", "cli-user", "--policy-arn",
              AWS_POLICY + "ReadOnlyAccess", profile="qa")
    ferry.aws("iam", "remove-user-from-group", "--group-name", "cli-group", "--user-name", "cli-user", profile="qa")
    ferry.aws("iam", "delete-user", "--user-name", "cli-user", profile="qa")
    ferry.aws("iam", "delete-group-policy", "--group-name", "cli-group", "--policy-name", "g", profile="qa")
    ferry.aws("iam", "detach-group-policy", "--group-name", "cli-group", "--policy-arn",
              AWS_POLICY + "IAMReadOnlyAccess", profile="qa")
    ferry.aws("iam", "delete-group", "--group-name", "cli-group", profile="qa")
    fails(ferry, "NoSuchEntity", "get-group", "--group-name", "cli-group")
    fails(ferry, "NoSuchEntity", "get-user", "--user-name", "cli-user")


@scenario
def cli_managed_policies(ferry, acct, docs):
    p = aws(ferry, "create-policy", "--policy-name", "cli-pol", "--policy-document",
            f"file://{docs}/s3.json")["Policy"]
    arn = p["Arn"]
    assert arn == f"arn:aws:iam::{acct}:policy/cli-pol"
    fails(ferry, "EntityAlreadyExists", "create-policy", "--policy-name", "cli-pol",
          "--policy-document", json.dumps(ALLOW_S3))
    fails(ferry, "MalformedPolicyDocument", "create-policy", "--policy-name", "cli-bad",
          "--policy-document", '{"Statement": 5}')
    assert aws(ferry, "get-policy", "--policy-arn", arn)["Policy"]["DefaultVersionId"] == "v1"
    v = aws(ferry, "create-policy-version", "--policy-arn", arn, "--policy-document",
            json.dumps(ALLOW_S3), "--set-as-default")["PolicyVersion"]
    assert v["VersionId"] == "v2" and v["IsDefaultVersion"]
    assert aws(ferry, "get-policy-version", "--policy-arn", arn, "--version-id", "v2")["PolicyVersion"]["Document"] == ALLOW_S3
    assert [x["VersionId"] for x in aws(ferry, "list-policy-versions", "--policy-arn", arn)["Versions"]] == ["v2", "v1"]
    fails(ferry, "DeleteConflict", "delete-policy-version", "--policy-arn", arn, "--version-id", "v2")
    ferry.aws("iam", "set-default-policy-version", "--policy-arn", arn, "--version-id", "v1", profile="qa")
    ferry.aws("iam", "delete-policy-version", "--policy-arn", arn, "--version-id", "v2", profile="qa")
    fails(ferry, "NoSuchEntity", "get-policy-version", "--policy-arn", arn, "--version-id", "v2")
    names = [x["PolicyName"] for x in aws(ferry, "list-policies", "--scope", "Local")["Policies"]]
    assert names == ["cli-pol"]
    # the CLI pages through every AWS managed policy by itself
    aws_names = [x["PolicyName"] for x in aws(ferry, "list-policies", "--scope", "AWS", "--page-size", "3")["Policies"]]
    assert "AdministratorAccess" in aws_names and "AWSCloudTrail_ReadOnlyAccess" in aws_names
    aws(ferry, "create-role", "--role-name", "cli-ent", "--assume-role-policy-document", json.dumps(TRUST))
    ferry.aws("iam", "attach-role-policy", "--role-name", "cli-ent", "--policy-arn", arn, profile="qa")
    assert aws(ferry, "list-entities-for-policy", "--policy-arn", arn)["PolicyRoles"][0]["RoleName"] == "cli-ent"
    assert [x["PolicyName"] for x in aws(ferry, "list-policies", "--only-attached", "--scope", "Local")["Policies"]] == ["cli-pol"]
    fails(ferry, "DeleteConflict", "delete-policy", "--policy-arn", arn)
    ferry.aws("iam", "detach-role-policy", "--role-name", "cli-ent", "--policy-arn", arn, profile="qa")
    ferry.aws("iam", "delete-role", "--role-name", "cli-ent", profile="qa")
    ferry.aws("iam", "delete-policy", "--policy-arn", arn, profile="qa")
    fails(ferry, "NoSuchEntity", "get-policy", "--policy-arn", arn, msg=f"Policy {arn} was not found.")


@scenario
def cli_instance_profiles_and_details(ferry, acct, docs):
    aws(ferry, "create-role", "--role-name", "cli-ec2", "--assume-role-policy-document", json.dumps(TRUST))
    ip = aws(ferry, "create-instance-profile", "--instance-profile-name", "cli-ip")["InstanceProfile"]
    assert ip["InstanceProfileId"].startswith("AIPA")
    ferry.aws("iam", "add-role-to-instance-profile", "--instance-profile-name", "cli-ip",
              "--role-name", "cli-ec2", profile="qa")
    assert aws(ferry, "get-instance-profile", "--instance-profile-name", "cli-ip")["InstanceProfile"]["Roles"][0]["RoleName"] == "cli-ec2"
    assert aws(ferry, "list-instance-profiles-for-role", "--role-name", "cli-ec2")["InstanceProfiles"][0]["InstanceProfileName"] == "cli-ip"
    assert "cli-ip" in [x["InstanceProfileName"] for x in aws(ferry, "list-instance-profiles")["InstanceProfiles"]]
    fails(ferry, "LimitExceeded", "add-role-to-instance-profile", "--instance-profile-name", "cli-ip",
          "--role-name", "cli-ec2")
    fails(ferry, "DeleteConflict", "delete-instance-profile", "--instance-profile-name", "cli-ip")
    d = aws(ferry, "get-account-authorization-details", "--filter", "Role")
    r = {x["RoleName"]: x for x in d["RoleDetailList"]}["cli-ec2"]
    assert r["InstanceProfileList"][0]["InstanceProfileName"] == "cli-ip"
    assert r["AssumeRolePolicyDocument"] == TRUST
    ferry.aws("iam", "remove-role-from-instance-profile", "--instance-profile-name", "cli-ip",
              "--role-name", "cli-ec2", profile="qa")
    ferry.aws("iam", "delete-instance-profile", "--instance-profile-name", "cli-ip", profile="qa")
    fails(ferry, "NoSuchEntity", "get-instance-profile", "--instance-profile-name", "cli-ip")
    ferry.aws("iam", "delete-role", "--role-name", "cli-ec2", profile="qa")


@scenario
def cli_simulation(ferry, acct, docs):
    r = aws(ferry, "simulate-custom-policy", "--policy-input-list", json.dumps(ALLOW_S3),
            "--action-names", "s3:GetObject", "sqs:SendMessage")["EvaluationResults"]
    assert {x["EvalActionName"]: x["EvalDecision"] for x in r} == {
        "s3:GetObject": "allowed", "sqs:SendMessage": "implicitDeny"}
    aws(ferry, "create-user", "--user-name", "cli-sim")
    ferry.aws("iam", "attach-user-policy", "--user-name", "cli-sim", "--policy-arn",
              AWS_POLICY + "AmazonSNSReadOnlyAccess", profile="qa")
    r = aws(ferry, "simulate-principal-policy", "--policy-source-arn",
            f"arn:aws:iam::{acct}:user/cli-sim", "--action-names", "sns:ListTopics", "sns:Publish")
    assert {x["EvalActionName"]: x["EvalDecision"] for x in r["EvaluationResults"]} == {
        "sns:ListTopics": "allowed", "sns:Publish": "implicitDeny"}
    ferry.aws("iam", "detach-user-policy", "--user-name", "cli-sim", "--policy-arn",
              AWS_POLICY + "AmazonSNSReadOnlyAccess", profile="qa")
    ferry.aws("iam", "delete-user", "--user-name", "cli-sim", profile="qa")


@scenario
def cli_with_a_users_own_keys(ferry, acct, docs):
    aws(ferry, "create-user", "--user-name", "cli-keyed")
    k = aws(ferry, "create-access-key", "--user-name", "cli-keyed")["AccessKey"]
    err = fails(ferry, "AccessDenied", "list-roles", key=k)
    assert f"User: arn:aws:iam::{acct}:user/cli-keyed is not authorized to perform: iam:ListRoles" in err
    ferry.aws("iam", "attach-user-policy", "--user-name", "cli-keyed", "--policy-arn",
              AWS_POLICY + "IAMReadOnlyAccess", profile="qa")
    assert isinstance(as_key(ferry, k, "list-roles").json["Roles"], list)
    fails(ferry, "AccessDenied", "create-user", "--user-name", "x", key=k)
    ferry.aws("iam", "update-access-key", "--user-name", "cli-keyed", "--access-key-id",
              k["AccessKeyId"], "--status", "Inactive", profile="qa")
    fails(ferry, "InvalidClientTokenId", "list-roles", key=k)


@pytest.fixture(scope="module")
def ran(ferry, acct, docs):
    with ThreadPoolExecutor(4) as ex:
        futs = {fn.__name__: ex.submit(fn, ferry, acct, docs) for fn in SCENARIOS}
    return {name: f.exception() for name, f in futs.items()}


@pytest.mark.parametrize("name", [fn.__name__ for fn in SCENARIOS])
def test_cli(ran, name):
    if ran[name]:
        raise ran[name]
