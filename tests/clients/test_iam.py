"""IAM through boto3 (Debian's 1.26): users, access keys, groups, roles, managed policies and
their versions, attachments, inline policies, boundaries, instance profiles, account
authorization details, simulation, every error AWS gives, and the policy engine wired to
real calls (a user's policies decide what its keys may do)."""
import json
import time

import boto3
import botocore
import botocore.config
import pytest

ALLOW_ALL = json.dumps({"Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
ALLOW_S3 = json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
AWS_POLICY = "arn:aws:iam::aws:policy/"


def trust(principal="arn:aws:iam::123456789012:root"):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]})


def err(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def raises(fn, code, status=None, msg=None, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        fn(**kw)
    c, m, s = err(ei)
    assert c == code, (c, m)
    if status:
        assert s == status, (s, m)
    if msg:
        assert msg in m, m
    return m


@pytest.fixture(scope="module")
def iam(ferry):
    return ferry.client("iam", "dev", region="us-east-1")


@pytest.fixture(scope="module")
def raw(ferry):
    """No client-side validation: what the server says about out-of-range input."""
    return ferry.client("iam", "dev", config=botocore.config.Config(parameter_validation=False))


@pytest.fixture(scope="module")
def acct(ferry):
    return ferry.client("sts", "dev").get_caller_identity()["Account"]


def user_client(ferry, service, key, region="us-east-1"):
    return boto3.client(service, region_name=region, endpoint_url=ferry.endpoint,
                        aws_access_key_id=key["AccessKeyId"],
                        aws_secret_access_key=key["SecretAccessKey"])


def new_user(iam, name):
    iam.create_user(UserName=name)
    return iam.create_access_key(UserName=name)["AccessKey"]


def eventually(fn):
    """Keys are read on every request: no delay is expected, but tolerate a retry."""
    for _ in range(20):
        try:
            return fn()
        except botocore.exceptions.ClientError:
            time.sleep(0.05)
    return fn()


# --- roles ---------------------------------------------------------------------------

def test_role_lifecycle(iam, acct):
    r = iam.create_role(RoleName="Deployer", Path="/ci/", AssumeRolePolicyDocument=trust(),
                        Description="deploys", MaxSessionDuration=7200,
                        Tags=[{"Key": "team", "Value": "platform"}])["Role"]
    assert r["Arn"] == f"arn:aws:iam::{acct}:role/ci/Deployer"
    assert r["RoleId"].startswith("AROA") and len(r["RoleId"]) == 21
    assert r["Path"] == "/ci/" and r["MaxSessionDuration"] == 7200
    assert r["AssumeRolePolicyDocument"] == json.loads(trust())  # botocore URL-decodes
    g = iam.get_role(RoleName="deployer")["Role"]  # names are case-insensitive
    assert g["RoleName"] == "Deployer" and g["Description"] == "deploys"
    assert g["Tags"] == [{"Key": "team", "Value": "platform"}]
    assert "Deployer" in [x["RoleName"] for x in iam.list_roles()["Roles"]]
    assert [x["RoleName"] for x in iam.list_roles(PathPrefix="/ci/")["Roles"]] == ["Deployer"]
    assert iam.list_roles(PathPrefix="/nope/")["Roles"] == []
    iam.update_role(RoleName="Deployer", Description="new", MaxSessionDuration=43200)
    g = iam.get_role(RoleName="Deployer")["Role"]
    assert g["Description"] == "new" and g["MaxSessionDuration"] == 43200
    assert iam.update_role_description(RoleName="Deployer", Description="d2")["Role"]["Description"] == "d2"
    iam.update_assume_role_policy(RoleName="Deployer", PolicyDocument=trust("arn:aws:iam::111111111111:root"))
    doc = iam.get_role(RoleName="Deployer")["Role"]["AssumeRolePolicyDocument"]
    assert doc["Statement"][0]["Principal"]["AWS"] == "arn:aws:iam::111111111111:root"
    iam.tag_role(RoleName="Deployer", Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "x"}])
    tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName="Deployer")["Tags"]}
    assert tags == {"team": "x", "env": "dev"}
    iam.untag_role(RoleName="Deployer", TagKeys=["team"])
    assert iam.list_role_tags(RoleName="Deployer")["Tags"] == [{"Key": "env", "Value": "dev"}]
    iam.delete_role(RoleName="Deployer")
    raises(iam.get_role, "NoSuchEntity", 404, "The role with name Deployer cannot be found.",
           RoleName="Deployer")


def test_role_errors(iam, raw):
    iam.create_role(RoleName="Dup", AssumeRolePolicyDocument=trust())
    raises(iam.create_role, "EntityAlreadyExists", 409, "Role with name DUP already exists.",
           RoleName="DUP", AssumeRolePolicyDocument=trust())
    raises(iam.create_role, "ValidationError", 400, "regular expression pattern: [\\w+=,.@-]+",
           RoleName="bad name", AssumeRolePolicyDocument=trust())
    raises(iam.create_role, "ValidationError", 400, "length less than or equal to 64",
           RoleName="r" * 65, AssumeRolePolicyDocument=trust())
    raises(raw.create_role, "ValidationError", 400, "greater than or equal to 3600",
           RoleName="short", AssumeRolePolicyDocument=trust(), MaxSessionDuration=3599)
    raises(iam.create_role, "ValidationError", 400, "less than or equal to 43200",
           RoleName="long", AssumeRolePolicyDocument=trust(), MaxSessionDuration=43201)
    raises(iam.create_role, "ValidationError", 400, "at 'path'",
           RoleName="badpath", AssumeRolePolicyDocument=trust(), Path="nope")
    raises(iam.create_role, "MalformedPolicyDocument", 400, RoleName="badtrust",
           AssumeRolePolicyDocument="{not json")
    # a trust policy needs a Principal
    raises(iam.create_role, "MalformedPolicyDocument", 400, RoleName="noprin",
           AssumeRolePolicyDocument=ALLOW_ALL)
    big = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{i:012d}:root" for i in range(80)]},
         "Action": "sts:AssumeRole"}]})
    raises(iam.create_role, "LimitExceeded", 409, "Cannot exceed quota for ACLSizePerRole: 2048",
           RoleName="bigtrust", AssumeRolePolicyDocument=big)
    raises(raw.update_role, "ValidationError", 400, RoleName="Dup", MaxSessionDuration=100)
    raises(raw.create_role, "ValidationError", 400, "length greater than or equal to 1",
           RoleName="", AssumeRolePolicyDocument=trust())
    raises(raw.list_roles, "ValidationError", 400, "greater than or equal to 1", MaxItems=0)
    raises(iam.update_role, "NoSuchEntity", 404, RoleName="ghost")
    raises(iam.update_assume_role_policy, "MalformedPolicyDocument", 400, RoleName="Dup",
           PolicyDocument="[]")
    raises(iam.delete_role, "NoSuchEntity", 404, RoleName="ghost")
    raises(iam.tag_role, "InvalidInput", 400, "Duplicate tag keys", RoleName="Dup",
           Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])
    # AWS validates the request against the model first: 51 tags in one call break its
    # tagListType (max 50); the quota counts the tags the role already has
    raises(iam.tag_role, "ValidationError", 400, "at 'tags' failed to satisfy constraint: Member must "
           "have length less than or equal to 50", RoleName="Dup",
           Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    iam.tag_role(RoleName="Dup", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(30)])
    raises(iam.tag_role, "LimitExceeded", 409, RoleName="Dup",
           Tags=[{"Key": f"n{i}", "Value": "v"} for i in range(21)])
    raises(iam.list_role_tags, "NoSuchEntity", 404, RoleName="ghost")
    iam.delete_role(RoleName="Dup")


def test_role_delete_conflicts(iam):
    iam.create_role(RoleName="Busy", AssumeRolePolicyDocument=trust())
    iam.attach_role_policy(RoleName="Busy", PolicyArn=AWS_POLICY + "ReadOnlyAccess")
    raises(iam.delete_role, "DeleteConflict", 409,
           "Cannot delete entity, must detach all policies first.", RoleName="Busy")
    iam.detach_role_policy(RoleName="Busy", PolicyArn=AWS_POLICY + "ReadOnlyAccess")
    iam.put_role_policy(RoleName="Busy", PolicyName="p", PolicyDocument=ALLOW_S3)
    raises(iam.delete_role, "DeleteConflict", 409,
           "Cannot delete entity, must delete policies first.", RoleName="Busy")
    iam.delete_role_policy(RoleName="Busy", PolicyName="p")
    iam.create_instance_profile(InstanceProfileName="BusyProfile")
    iam.add_role_to_instance_profile(InstanceProfileName="BusyProfile", RoleName="Busy")
    raises(iam.delete_role, "DeleteConflict", 409,
           "must remove roles from instance profile first", RoleName="Busy")
    iam.remove_role_from_instance_profile(InstanceProfileName="BusyProfile", RoleName="Busy")
    iam.delete_instance_profile(InstanceProfileName="BusyProfile")
    iam.delete_role(RoleName="Busy")


def test_role_pagination(iam):
    for i in range(5):
        iam.create_role(RoleName=f"page-{i}", Path="/page/", AssumeRolePolicyDocument=trust())
    p1 = iam.list_roles(PathPrefix="/page/", MaxItems=2)
    assert len(p1["Roles"]) == 2 and p1["IsTruncated"] and p1["Marker"]
    names = [r["RoleName"] for r in p1["Roles"]]
    marker = p1["Marker"]
    while marker:
        p = iam.list_roles(PathPrefix="/page/", MaxItems=2, Marker=marker)
        names += [r["RoleName"] for r in p["Roles"]]
        marker = p.get("Marker")
    assert sorted(names) == [f"page-{i}" for i in range(5)]
    paginated = [r["RoleName"] for pg in iam.get_paginator("list_roles").paginate(
        PathPrefix="/page/", PaginationConfig={"PageSize": 3}) for r in pg["Roles"]]
    assert sorted(paginated) == sorted(names)
    raises(iam.list_roles, "ValidationError", 400, MaxItems=1001)
    raises(iam.list_roles, "ValidationError", 400, Marker="garbage")
    for i in range(5):
        iam.delete_role(RoleName=f"page-{i}")


def test_iam_is_global(ferry):
    east = ferry.client("iam", "qa", region="us-east-1")
    west = ferry.client("iam", "qa", region="eu-west-1")
    east.create_role(RoleName="Global", AssumeRolePolicyDocument=trust())
    assert west.get_role(RoleName="Global")["Role"]["RoleName"] == "Global"
    # another account does not see it
    raises(ferry.client("iam", "prod").get_role, "NoSuchEntity", RoleName="Global")
    west.delete_role(RoleName="Global")


# --- users and access keys ----------------------------------------------------------

def test_user_lifecycle(iam, acct):
    u = iam.create_user(UserName="alice", Path="/eng/", Tags=[{"Key": "dept", "Value": "eng"}])["User"]
    assert u["Arn"] == f"arn:aws:iam::{acct}:user/eng/alice"
    assert u["UserId"].startswith("AIDA") and len(u["UserId"]) == 21
    g = iam.get_user(UserName="ALICE")["User"]
    assert g["UserName"] == "alice" and g["Tags"] == [{"Key": "dept", "Value": "eng"}]
    assert [x["UserName"] for x in iam.list_users(PathPrefix="/eng/")["Users"]] == ["alice"]
    iam.tag_user(UserName="alice", Tags=[{"Key": "level", "Value": "3"}])
    assert len(iam.list_user_tags(UserName="alice")["Tags"]) == 2
    iam.untag_user(UserName="alice", TagKeys=["dept"])
    assert iam.list_user_tags(UserName="alice")["Tags"] == [{"Key": "level", "Value": "3"}]
    iam.update_user(UserName="alice", NewUserName="alicia", NewPath="/ops/")
    g = iam.get_user(UserName="alicia")["User"]
    assert g["Arn"] == f"arn:aws:iam::{acct}:user/ops/alicia" and g["UserId"] == u["UserId"]
    raises(iam.get_user, "NoSuchEntity", 404, "The user with name alice cannot be found.",
           UserName="alice")
    iam.delete_user(UserName="alicia")
    assert "alicia" not in [x["UserName"] for x in iam.list_users()["Users"]]


def test_user_errors(iam):
    iam.create_user(UserName="bob")
    raises(iam.create_user, "EntityAlreadyExists", 409, "User with name Bob already exists.",
           UserName="Bob")
    raises(iam.create_user, "ValidationError", 400, "at 'userName'", UserName="bob/x")
    raises(iam.create_user, "ValidationError", 400, UserName="u" * 65)
    raises(iam.update_user, "NoSuchEntity", 404, UserName="nobody", NewUserName="x")
    iam.create_user(UserName="carol")
    raises(iam.update_user, "EntityAlreadyExists", 409, UserName="bob", NewUserName="carol")
    raises(iam.delete_user, "NoSuchEntity", 404, UserName="nobody")
    raises(iam.create_user, "NoSuchEntity", 404, "Scope ARN", UserName="bounded",
           PermissionsBoundary="arn:aws:iam::aws:policy/NoSuchPolicy")
    iam.delete_user(UserName="carol")


def test_get_user_without_name(ferry, iam, acct):
    # the root user sees itself
    me = iam.get_user()["User"]
    assert me["Arn"] == f"arn:aws:iam::{acct}:root" and me["UserId"] == acct
    key = new_user(iam, "selfie")
    iam.attach_user_policy(UserName="selfie", PolicyArn=AWS_POLICY + "IAMReadOnlyAccess")
    mine = user_client(ferry, "iam", key)
    assert eventually(lambda: mine.get_user())["User"]["UserName"] == "selfie"
    assert [k["AccessKeyId"] for k in mine.list_access_keys()["AccessKeyMetadata"]] == [key["AccessKeyId"]]


def test_access_keys(ferry, iam):
    iam.create_user(UserName="keyed")
    k1 = iam.create_access_key(UserName="keyed")["AccessKey"]
    assert k1["AccessKeyId"].startswith("AKIA") and len(k1["SecretAccessKey"]) == 40
    assert k1["Status"] == "Active" and k1["UserName"] == "keyed"
    k2 = iam.create_access_key(UserName="keyed")["AccessKey"]
    raises(iam.create_access_key, "LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2",
           UserName="keyed")
    meta = iam.list_access_keys(UserName="keyed")["AccessKeyMetadata"]
    assert {m["AccessKeyId"] for m in meta} == {k1["AccessKeyId"], k2["AccessKeyId"]}
    assert all("SecretAccessKey" not in m for m in meta)  # the secret is shown once
    # the key works: it signs as the user
    sts = user_client(ferry, "sts", k1)
    who = sts.get_caller_identity()
    assert who["Arn"].endswith(":user/keyed") and who["UserId"].startswith("AIDA")
    # Inactive keys stop authenticating at once
    iam.update_access_key(UserName="keyed", AccessKeyId=k1["AccessKeyId"], Status="Inactive")
    assert {m["AccessKeyId"]: m["Status"] for m in iam.list_access_keys(UserName="keyed")["AccessKeyMetadata"]}[k1["AccessKeyId"]] == "Inactive"
    raises(sts.get_caller_identity, "InvalidClientTokenId", 403)
    iam.update_access_key(UserName="keyed", AccessKeyId=k1["AccessKeyId"], Status="Active")
    assert sts.get_caller_identity()["Arn"].endswith(":user/keyed")
    raises(iam.update_access_key, "ValidationError", 400, "enum value set", UserName="keyed",
           AccessKeyId=k1["AccessKeyId"], Status="Paused")
    raises(iam.update_access_key, "NoSuchEntity", 404, "The Access Key with id AKIAFAKE0000000000 cannot be found.",
           UserName="keyed", AccessKeyId="AKIAFAKE0000000000", Status="Active")
    raises(iam.delete_user, "DeleteConflict", 409, "must delete access keys first", UserName="keyed")
    iam.delete_access_key(UserName="keyed", AccessKeyId=k1["AccessKeyId"])
    raises(sts.get_caller_identity, "InvalidClientTokenId", 403)
    raises(iam.delete_access_key, "NoSuchEntity", 404, UserName="keyed", AccessKeyId=k1["AccessKeyId"])
    iam.delete_access_key(UserName="keyed", AccessKeyId=k2["AccessKeyId"])
    iam.delete_user(UserName="keyed")
    raises(iam.create_access_key, "NoSuchEntity", 404, UserName="keyed")


def test_user_delete_conflicts(iam):
    iam.create_user(UserName="sticky")
    iam.put_user_policy(UserName="sticky", PolicyName="p", PolicyDocument=ALLOW_S3)
    raises(iam.delete_user, "DeleteConflict", 409, "must delete policies first", UserName="sticky")
    iam.delete_user_policy(UserName="sticky", PolicyName="p")
    iam.attach_user_policy(UserName="sticky", PolicyArn=AWS_POLICY + "ReadOnlyAccess")
    raises(iam.delete_user, "DeleteConflict", 409, "must detach all policies first", UserName="sticky")
    iam.detach_user_policy(UserName="sticky", PolicyArn=AWS_POLICY + "ReadOnlyAccess")
    iam.create_group(GroupName="stickers")
    iam.add_user_to_group(GroupName="stickers", UserName="sticky")
    raises(iam.delete_user, "DeleteConflict", 409, UserName="sticky")
    iam.remove_user_from_group(GroupName="stickers", UserName="sticky")
    iam.delete_user(UserName="sticky")
    iam.delete_group(GroupName="stickers")


# --- groups -------------------------------------------------------------------------

def test_groups(iam, acct):
    g = iam.create_group(GroupName="devs", Path="/teams/")["Group"]
    assert g["Arn"] == f"arn:aws:iam::{acct}:group/teams/devs" and g["GroupId"].startswith("AGPA")
    raises(iam.create_group, "EntityAlreadyExists", 409, "Group with name DEVS already exists.",
           GroupName="DEVS")
    raises(iam.create_group, "ValidationError", 400, GroupName="bad!")
    iam.create_user(UserName="dana")
    iam.create_user(UserName="eli")
    iam.add_user_to_group(GroupName="devs", UserName="dana")
    iam.add_user_to_group(GroupName="devs", UserName="eli")
    iam.add_user_to_group(GroupName="devs", UserName="eli")  # again: not an error
    got = iam.get_group(GroupName="devs")
    assert got["Group"]["GroupName"] == "devs"
    assert sorted(u["UserName"] for u in got["Users"]) == ["dana", "eli"]
    assert [x["GroupName"] for x in iam.list_groups_for_user(UserName="dana")["Groups"]] == ["devs"]
    assert "devs" in [x["GroupName"] for x in iam.list_groups(PathPrefix="/teams/")["Groups"]]
    raises(iam.add_user_to_group, "NoSuchEntity", 404, "The user with name nobody cannot be found.",
           GroupName="devs", UserName="nobody")
    raises(iam.add_user_to_group, "NoSuchEntity", 404, "The group with name nogroup cannot be found.",
           GroupName="nogroup", UserName="dana")
    raises(iam.delete_group, "DeleteConflict", 409, "must remove users from group first",
           GroupName="devs")
    iam.remove_user_from_group(GroupName="devs", UserName="dana")
    raises(iam.remove_user_from_group, "NoSuchEntity", 404, GroupName="devs", UserName="dana")
    iam.remove_user_from_group(GroupName="devs", UserName="eli")
    iam.put_group_policy(GroupName="devs", PolicyName="gp", PolicyDocument=ALLOW_S3)
    raises(iam.delete_group, "DeleteConflict", 409, "must delete policies first", GroupName="devs")
    iam.delete_group_policy(GroupName="devs", PolicyName="gp")
    iam.attach_group_policy(GroupName="devs", PolicyArn=AWS_POLICY + "ReadOnlyAccess")
    assert iam.list_attached_group_policies(GroupName="devs")["AttachedPolicies"] == [
        {"PolicyName": "ReadOnlyAccess", "PolicyArn": AWS_POLICY + "ReadOnlyAccess"}]
    raises(iam.delete_group, "DeleteConflict", 409, "must detach all policies first", GroupName="devs")
    iam.detach_group_policy(GroupName="devs", PolicyArn=AWS_POLICY + "ReadOnlyAccess")
    iam.delete_group(GroupName="devs")
    raises(iam.get_group, "NoSuchEntity", 404, GroupName="devs")
    raises(iam.list_groups_for_user, "NoSuchEntity", 404, UserName="nobody")
    for u in ("dana", "eli"):
        iam.delete_user(UserName=u)


# --- managed policies ---------------------------------------------------------------

def test_managed_policy_versions(iam, acct):
    p = iam.create_policy(PolicyName="S3All", Path="/app/", PolicyDocument=ALLOW_S3,
                          Description="s3")["Policy"]
    arn = f"arn:aws:iam::{acct}:policy/app/S3All"
    assert p["Arn"] == arn and p["PolicyId"].startswith("ANPA") and p["DefaultVersionId"] == "v1"
    assert p["AttachmentCount"] == 0 and p["IsAttachable"]
    raises(iam.create_policy, "EntityAlreadyExists", 409,
           "A policy called s3all already exists. Duplicate names are not allowed.",
           PolicyName="s3all", PolicyDocument=ALLOW_S3)
    g = iam.get_policy(PolicyArn=arn)["Policy"]
    assert g["PolicyName"] == "S3All" and g["Description"] == "s3"
    v = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert v["Document"] == json.loads(ALLOW_S3) and v["IsDefaultVersion"]
    for i in range(2, 6):
        nv = iam.create_policy_version(PolicyArn=arn, PolicyDocument=ALLOW_ALL,
                                       SetAsDefault=(i == 3))["PolicyVersion"]
        assert nv["VersionId"] == f"v{i}"
    raises(iam.create_policy_version, "LimitExceeded", 409, "up to 5 versions", PolicyArn=arn,
           PolicyDocument=ALLOW_ALL)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    vs = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [x["VersionId"] for x in vs] == ["v5", "v4", "v3", "v2", "v1"]
    assert [x["IsDefaultVersion"] for x in vs] == [False, False, True, False, False]
    raises(iam.delete_policy_version, "DeleteConflict", 409,
           "Cannot delete the default version of a policy.", PolicyArn=arn, VersionId="v3")
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    raises(iam.get_policy_version, "NoSuchEntity", 404, f"Policy {arn} version v3 does not exist",
           PolicyArn=arn, VersionId="v3")
    raises(iam.set_default_policy_version, "NoSuchEntity", 404, PolicyArn=arn, VersionId="v9")
    assert iam.create_policy_version(PolicyArn=arn, PolicyDocument=ALLOW_S3)["PolicyVersion"]["VersionId"] == "v6"
    raises(iam.delete_policy, "DeleteConflict", 409, "more than one version", PolicyArn=arn)
    for vid in ("v2", "v4", "v5", "v6"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=vid)
    iam.create_user(UserName="pol-user")
    iam.attach_user_policy(UserName="pol-user", PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    raises(iam.delete_policy, "DeleteConflict", 409, "Cannot delete a policy attached to entities.",
           PolicyArn=arn)
    iam.detach_user_policy(UserName="pol-user", PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)
    raises(iam.get_policy, "NoSuchEntity", 404, f"Policy {arn} was not found.", PolicyArn=arn)
    iam.delete_user(UserName="pol-user")


def test_managed_policy_errors(iam, acct):
    raises(iam.create_policy, "MalformedPolicyDocument", 400, PolicyName="bad", PolicyDocument="{")
    raises(iam.create_policy, "MalformedPolicyDocument", 400, PolicyName="prin",
           PolicyDocument=trust())  # identity policies have no Principal
    big = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": [f"s3:GetObject{i}" for i in range(400)], "Resource": "*"}]})
    raises(iam.create_policy, "LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144",
           PolicyName="big", PolicyDocument=big)
    raises(iam.create_policy, "ValidationError", 400, PolicyName="a b", PolicyDocument=ALLOW_S3)
    raises(iam.get_policy, "InvalidInput", 400, "ARN nope-not-an-arn-at-all is not valid.", PolicyArn="nope-not-an-arn-at-all")
    raises(iam.get_policy, "NoSuchEntity", 404, PolicyArn=f"arn:aws:iam::{acct}:policy/ghost")
    raises(iam.get_policy_version, "ValidationError", 400, PolicyArn=AWS_POLICY + "ReadOnlyAccess",
           VersionId="1")
    # AWS managed policies are read-only
    raises(iam.create_policy_version, "AccessDenied", 403, PolicyArn=AWS_POLICY + "ReadOnlyAccess",
           PolicyDocument=ALLOW_ALL)
    raises(iam.delete_policy, "AccessDenied", 403, PolicyArn=AWS_POLICY + "AdministratorAccess")


def _doc(*stmts, version="2012-10-17"):
    d = {"Version": version} if version else {}
    d["Statement"] = list(stmts)
    return json.dumps(d)


def test_policy_grammar_is_aws(iam):
    """IAM refuses and accepts what AWS does, with AWS's words (the full table of documents
    is tests/data/iam/eval_cases.json, "parse")."""
    iam.create_role(RoleName="grammar", AssumeRolePolicyDocument=trust())
    iam.create_user(UserName="grammar")
    s3 = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket"}
    refused = [
        (iam.put_role_policy, {"RoleName": "grammar", "PolicyName": "p"},
         _doc(dict(s3, Action="s3:List:Bucket")), "Actions/Condition can contain only one colon."),
        (iam.put_user_policy, {"UserName": "grammar", "PolicyName": "p"},
         _doc(), "Syntax errors in policy."),
        (iam.put_user_policy, {"UserName": "grammar", "PolicyName": "p"},
         _doc(dict(s3, Action="a a:ListBucket")), "Vendor a a is not valid"),
        (iam.put_user_policy, {"UserName": "grammar", "PolicyName": "p"},
         _doc(dict(s3, Effect="allow")), "The policy failed legacy parsing"),
        (iam.create_policy, {"PolicyName": "p"}, _doc(s3, version=None),
         "Policy document must be version 2012-10-17 or greater."),
        (iam.create_policy, {"PolicyName": "p"}, _doc(dict(s3, Resource="arn:aws:iam:::x")),
         'IAM resource path must either be "*", root, or start with user/, federated-user/, '
         "role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, "
         "saml-provider/, oidc-provider/, report/, access-report/."),
        (iam.create_policy, {"PolicyName": "p"}, _doc(dict(s3, Resource="arn:error:s3:::b")),
         'Partition "error" is not valid for resource "arn:error:s3:::b".'),
        (iam.create_role, {"RoleName": "oidc"},
         _doc({"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
               "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/o.example"},
               "Condition": {"StringEquals": {"https://o.example:sub": "x"}}}),
         "Condition can contain only one colon."),
    ]
    for fn, kw, doc, msg in refused:
        key = "AssumeRolePolicyDocument" if fn == iam.create_role else "PolicyDocument"
        got = raises(fn, "MalformedPolicyDocument", 400, **kw, **{key: doc})
        assert got == msg, (doc, got)
    # condition keys are not validated by IAM (Access Analyzer warns about them)
    loose = dict(s3, Condition={"StringEquals": {"SourceIp": "x", "a": "b"}})
    iam.put_role_policy(RoleName="grammar", PolicyName="loose", PolicyDocument=_doc(loose))
    arn = iam.create_policy(PolicyName="grammar-loose", PolicyDocument=_doc(loose))["Policy"]["Arn"]
    # an inline policy may still omit Version (2008-10-17); names after the colon are free text
    iam.put_user_policy(UserName="grammar", PolicyName="old",
                        PolicyDocument=_doc(dict(s3, Action="s3:"), version=None))
    iam.delete_policy(PolicyArn=arn)
    iam.delete_role_policy(RoleName="grammar", PolicyName="loose")
    iam.delete_user_policy(UserName="grammar", PolicyName="old")
    iam.delete_role(RoleName="grammar")
    iam.delete_user(UserName="grammar")


def test_aws_managed_policies(iam):
    names = {p["PolicyName"] for p in iam.get_paginator("list_policies").paginate(Scope="AWS")
             .build_full_result()["Policies"]}
    for n in ["AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess", "IAMFullAccess",
              "IAMReadOnlyAccess", "AmazonSQSFullAccess", "AmazonSQSReadOnlyAccess",
              "AmazonSNSFullAccess", "AmazonSNSReadOnlyAccess", "AWSCloudFormationFullAccess",
              "AWSCloudFormationReadOnlyAccess", "AWSOrganizationsFullAccess",
              "AWSOrganizationsReadOnlyAccess", "AWSCloudTrail_ReadOnlyAccess"]:
        assert n in names
    p = iam.get_policy(PolicyArn=AWS_POLICY + "AdministratorAccess")["Policy"]
    v = iam.get_policy_version(PolicyArn=p["Arn"], VersionId=p["DefaultVersionId"])["PolicyVersion"]
    assert v["Document"]["Statement"][0]["Action"] == ["*"]
    assert iam.list_policies(Scope="Local")["Policies"] == [] or all(
        not x["Arn"].startswith(AWS_POLICY) for x in iam.list_policies(Scope="Local")["Policies"])
    raises(iam.list_policies, "ValidationError", 400, "enum value set", Scope="Mine")


def test_list_policies_only_attached_and_entities(iam, acct):
    iam.create_policy(PolicyName="Used", PolicyDocument=ALLOW_S3)
    iam.create_policy(PolicyName="Unused", PolicyDocument=ALLOW_S3)
    used = f"arn:aws:iam::{acct}:policy/Used"
    iam.create_user(UserName="u-ent")
    iam.create_group(GroupName="g-ent")
    iam.create_role(RoleName="r-ent", AssumeRolePolicyDocument=trust())
    iam.attach_user_policy(UserName="u-ent", PolicyArn=used)
    iam.attach_group_policy(GroupName="g-ent", PolicyArn=used)
    iam.attach_role_policy(RoleName="r-ent", PolicyArn=used)
    iam.attach_role_policy(RoleName="r-ent", PolicyArn=AWS_POLICY + "PowerUserAccess")
    attached = {p["PolicyName"]: p for p in iam.list_policies(OnlyAttached=True)["Policies"]}
    assert "Used" in attached and "Unused" not in attached and "PowerUserAccess" in attached
    assert attached["Used"]["AttachmentCount"] == 3
    local = {p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]}
    assert {"Used", "Unused"} <= local and "PowerUserAccess" not in local
    e = iam.list_entities_for_policy(PolicyArn=used)
    assert [x["UserName"] for x in e["PolicyUsers"]] == ["u-ent"]
    assert [x["GroupName"] for x in e["PolicyGroups"]] == ["g-ent"]
    assert [x["RoleName"] for x in e["PolicyRoles"]] == ["r-ent"]
    assert e["PolicyRoles"][0]["RoleId"].startswith("AROA")
    only_roles = iam.list_entities_for_policy(PolicyArn=used, EntityFilter="Role")
    assert only_roles["PolicyUsers"] == [] and len(only_roles["PolicyRoles"]) == 1
    assert [x["RoleName"] for x in iam.list_entities_for_policy(
        PolicyArn=AWS_POLICY + "PowerUserAccess")["PolicyRoles"]] == ["r-ent"]
    raises(iam.list_entities_for_policy, "NoSuchEntity", 404,
           PolicyArn=f"arn:aws:iam::{acct}:policy/Nope")
    iam.detach_user_policy(UserName="u-ent", PolicyArn=used)
    iam.detach_group_policy(GroupName="g-ent", PolicyArn=used)
    iam.detach_role_policy(RoleName="r-ent", PolicyArn=used)
    iam.detach_role_policy(RoleName="r-ent", PolicyArn=AWS_POLICY + "PowerUserAccess")
    for n in ("Used", "Unused"):
        iam.delete_policy(PolicyArn=f"arn:aws:iam::{acct}:policy/{n}")
    iam.delete_user(UserName="u-ent")
    iam.delete_group(GroupName="g-ent")
    iam.delete_role(RoleName="r-ent")


def test_attach_errors(iam, acct):
    iam.create_role(RoleName="att", AssumeRolePolicyDocument=trust())
    raises(iam.attach_role_policy, "NoSuchEntity", 404,
           f"Policy arn:aws:iam::{acct}:policy/none does not exist or is not attachable.",
           RoleName="att", PolicyArn=f"arn:aws:iam::{acct}:policy/none")
    raises(iam.attach_role_policy, "InvalidInput", 400, "is not valid", RoleName="att",
           PolicyArn="not-an-arn-but-long-enough")
    raises(iam.attach_role_policy, "NoSuchEntity", 404, "The role with name ghost cannot be found.",
           RoleName="ghost", PolicyArn=AWS_POLICY + "ReadOnlyAccess")
    raises(iam.attach_user_policy, "NoSuchEntity", 404, UserName="ghost",
           PolicyArn=AWS_POLICY + "ReadOnlyAccess")
    raises(iam.detach_role_policy, "NoSuchEntity", 404,
           f"Policy {AWS_POLICY}ReadOnlyAccess was not found.", RoleName="att",
           PolicyArn=AWS_POLICY + "ReadOnlyAccess")
    # policies of another account cannot be attached
    other = ferry_other = None  # noqa: F841
    raises(iam.attach_role_policy, "NoSuchEntity", 404, RoleName="att",
           PolicyArn="arn:aws:iam::123456789012:policy/theirs")
    names = ["AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess", "IAMFullAccess",
             "IAMReadOnlyAccess", "AmazonSQSFullAccess", "AmazonSQSReadOnlyAccess",
             "AmazonSNSFullAccess", "AmazonSNSReadOnlyAccess", "AWSCloudFormationFullAccess",
             "AWSCloudFormationReadOnlyAccess"]
    for n in names[:10]:
        iam.attach_role_policy(RoleName="att", PolicyArn=AWS_POLICY + n)
    raises(iam.attach_role_policy, "LimitExceeded", 409, "Cannot exceed quota for PoliciesPerRole: 10",
           RoleName="att", PolicyArn=AWS_POLICY + names[10])
    listed = iam.list_attached_role_policies(RoleName="att")["AttachedPolicies"]
    assert len(listed) == 10
    page = iam.list_attached_role_policies(RoleName="att", MaxItems=4)
    assert len(page["AttachedPolicies"]) == 4 and page["IsTruncated"]
    for n in names[:10]:
        iam.detach_role_policy(RoleName="att", PolicyArn=AWS_POLICY + n)
    iam.delete_role(RoleName="att")


# --- inline policies ----------------------------------------------------------------

@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_inline_policies(iam, kind):
    name = f"inline-{kind}"
    key = {"user": "UserName", "group": "GroupName", "role": "RoleName"}[kind]
    if kind == "user":
        iam.create_user(UserName=name)
    elif kind == "group":
        iam.create_group(GroupName=name)
    else:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust())
    K = kind.capitalize()
    put = getattr(iam, f"put_{kind}_policy")
    get = getattr(iam, f"get_{kind}_policy")
    lst = getattr(iam, f"list_{kind}_policies")
    dele = getattr(iam, f"delete_{kind}_policy")
    put(**{key: name}, PolicyName="b-pol", PolicyDocument=ALLOW_S3)
    put(**{key: name}, PolicyName="a-pol", PolicyDocument=ALLOW_ALL)
    r = get(**{key: name}, PolicyName="b-pol")
    assert r[key] == name and r["PolicyName"] == "b-pol"
    assert r["PolicyDocument"] == json.loads(ALLOW_S3)  # URL-decoded by botocore
    assert lst(**{key: name})["PolicyNames"] == ["a-pol", "b-pol"]
    put(**{key: name}, PolicyName="b-pol", PolicyDocument=ALLOW_ALL)  # replaces
    assert get(**{key: name}, PolicyName="b-pol")["PolicyDocument"] == json.loads(ALLOW_ALL)
    raises(get, "NoSuchEntity", 404, f"The {kind} policy with name zzz cannot be found.",
           **{key: name}, PolicyName="zzz")
    raises(dele, "NoSuchEntity", 404, **{key: name}, PolicyName="zzz")
    raises(put, "MalformedPolicyDocument", 400, **{key: name}, PolicyName="bad",
           PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}')
    raises(put, "ValidationError", 400, **{key: name}, PolicyName="bad name", PolicyDocument=ALLOW_S3)
    raises(put, "NoSuchEntity", 404, f"The {kind} with name ghost cannot be found.",
           **{key: "ghost"}, PolicyName="p", PolicyDocument=ALLOW_S3)
    quota = {"user": 2048, "group": 5120, "role": 10240}[kind]
    big = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": [f"s3:GetObject{i}" for i in range(quota // 12)], "Resource": "*"}]})
    raises(put, "LimitExceeded", 409, f"Maximum policy size of {quota} bytes exceeded for {kind} {name}",
           **{key: name}, PolicyName="big", PolicyDocument=big)
    dele(**{key: name}, PolicyName="a-pol")
    dele(**{key: name}, PolicyName="b-pol")
    assert lst(**{key: name})["PolicyNames"] == []
    getattr(iam, f"delete_{kind}")(**{key: name})
    assert K


# --- boundaries and instance profiles ----------------------------------------------

def test_permissions_boundaries(iam, acct):
    iam.create_role(RoleName="bounded", AssumeRolePolicyDocument=trust(),
                    PermissionsBoundary=AWS_POLICY + "ReadOnlyAccess")
    b = iam.get_role(RoleName="bounded")["Role"]["PermissionsBoundary"]
    assert b == {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": AWS_POLICY + "ReadOnlyAccess"}
    iam.put_role_permissions_boundary(RoleName="bounded", PermissionsBoundary=AWS_POLICY + "IAMReadOnlyAccess")
    assert iam.get_role(RoleName="bounded")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"].endswith("IAMReadOnlyAccess")
    used = iam.list_policies(OnlyAttached=True, PolicyUsageFilter="PermissionsBoundary")["Policies"]
    assert "IAMReadOnlyAccess" in [p["PolicyName"] for p in used]
    iam.delete_role_permissions_boundary(RoleName="bounded")
    assert "PermissionsBoundary" not in iam.get_role(RoleName="bounded")["Role"]
    iam.create_user(UserName="bounded-user")
    iam.put_user_permissions_boundary(UserName="bounded-user", PermissionsBoundary=AWS_POLICY + "ReadOnlyAccess")
    assert iam.get_user(UserName="bounded-user")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"].endswith("/ReadOnlyAccess")
    iam.delete_user_permissions_boundary(UserName="bounded-user")
    assert "PermissionsBoundary" not in iam.get_user(UserName="bounded-user")["User"]
    raises(iam.put_role_permissions_boundary, "NoSuchEntity", 404,
           f"Scope ARN: arn:aws:iam::{acct}:policy/none does not exist or is not attachable.",
           RoleName="bounded", PermissionsBoundary=f"arn:aws:iam::{acct}:policy/none")
    raises(iam.put_user_permissions_boundary, "NoSuchEntity", 404, UserName="ghost",
           PermissionsBoundary=AWS_POLICY + "ReadOnlyAccess")
    iam.delete_role(RoleName="bounded")
    iam.delete_user(UserName="bounded-user")


def test_instance_profiles(iam, acct):
    p = iam.create_instance_profile(InstanceProfileName="web", Path="/svc/")["InstanceProfile"]
    assert p["Arn"] == f"arn:aws:iam::{acct}:instance-profile/svc/web"
    assert p["InstanceProfileId"].startswith("AIPA") and p["Roles"] == []
    raises(iam.create_instance_profile, "EntityAlreadyExists", 409, "Instance Profile web already exists.",
           InstanceProfileName="web")
    iam.create_role(RoleName="webrole", AssumeRolePolicyDocument=trust())
    iam.create_role(RoleName="webrole2", AssumeRolePolicyDocument=trust())
    iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="webrole")
    raises(iam.add_role_to_instance_profile, "LimitExceeded", 409,
           "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
           InstanceProfileName="web", RoleName="webrole2")
    raises(iam.add_role_to_instance_profile, "NoSuchEntity", 404, InstanceProfileName="web",
           RoleName="ghost")
    g = iam.get_instance_profile(InstanceProfileName="web")["InstanceProfile"]
    assert [r["RoleName"] for r in g["Roles"]] == ["webrole"]
    assert g["Roles"][0]["AssumeRolePolicyDocument"] == json.loads(trust())
    assert [x["InstanceProfileName"] for x in iam.list_instance_profiles_for_role(RoleName="webrole")["InstanceProfiles"]] == ["web"]
    assert iam.list_instance_profiles_for_role(RoleName="webrole2")["InstanceProfiles"] == []
    assert "web" in [x["InstanceProfileName"] for x in iam.list_instance_profiles(PathPrefix="/svc/")["InstanceProfiles"]]
    raises(iam.delete_instance_profile, "DeleteConflict", 409,
           "Cannot delete entity, must remove roles from instance profile first.",
           InstanceProfileName="web")
    iam.remove_role_from_instance_profile(InstanceProfileName="web", RoleName="webrole")
    raises(iam.remove_role_from_instance_profile, "NoSuchEntity", 404, InstanceProfileName="web",
           RoleName="webrole")
    iam.delete_instance_profile(InstanceProfileName="web")
    raises(iam.get_instance_profile, "NoSuchEntity", 404, "Instance Profile web cannot be found.",
           InstanceProfileName="web")
    raises(iam.list_instance_profiles_for_role, "NoSuchEntity", 404, RoleName="ghost")
    iam.delete_role(RoleName="webrole")
    iam.delete_role(RoleName="webrole2")


# --- account authorization details -------------------------------------------------

def test_account_authorization_details(ferry, acct):
    iam = ferry.client("iam", "tools")
    tools = ferry.client("sts", "tools").get_caller_identity()["Account"]
    iam.create_user(UserName="det-user")
    iam.put_user_policy(UserName="det-user", PolicyName="inl", PolicyDocument=ALLOW_S3)
    iam.create_group(GroupName="det-group")
    iam.add_user_to_group(GroupName="det-group", UserName="det-user")
    iam.attach_group_policy(GroupName="det-group", PolicyArn=AWS_POLICY + "IAMReadOnlyAccess")
    iam.create_role(RoleName="det-role", AssumeRolePolicyDocument=trust())
    iam.create_instance_profile(InstanceProfileName="det-prof")
    iam.add_role_to_instance_profile(InstanceProfileName="det-prof", RoleName="det-role")
    iam.create_policy(PolicyName="det-pol", PolicyDocument=ALLOW_S3)
    iam.attach_role_policy(RoleName="det-role", PolicyArn=f"arn:aws:iam::{tools}:policy/det-pol")
    d = iam.get_account_authorization_details()
    u = {x["UserName"]: x for x in d["UserDetailList"]}["det-user"]
    assert u["UserPolicyList"] == [{"PolicyName": "inl", "PolicyDocument": json.loads(ALLOW_S3)}]
    assert u["GroupList"] == ["det-group"]
    g = {x["GroupName"]: x for x in d["GroupDetailList"]}["det-group"]
    assert g["AttachedManagedPolicies"][0]["PolicyName"] == "IAMReadOnlyAccess"
    r = {x["RoleName"]: x for x in d["RoleDetailList"]}["det-role"]
    assert r["AssumeRolePolicyDocument"] == json.loads(trust())
    assert r["InstanceProfileList"][0]["InstanceProfileName"] == "det-prof"
    assert r["AttachedManagedPolicies"][0]["PolicyName"] == "det-pol"
    pols = {p["PolicyName"]: p for p in d["Policies"]}
    assert pols["det-pol"]["PolicyVersionList"][0]["Document"] == json.loads(ALLOW_S3)
    assert pols["det-pol"]["AttachmentCount"] == 1
    assert "IAMReadOnlyAccess" in pols and "AmazonSNSFullAccess" not in pols  # only those in use
    only = iam.get_account_authorization_details(Filter=["Role"])
    assert only["UserDetailList"] == [] and only["Policies"] == [] and only["RoleDetailList"]
    page = iam.get_account_authorization_details(MaxItems=1)
    assert page["IsTruncated"] and page["Marker"]
    full = iam.get_paginator("get_account_authorization_details").paginate(
        PaginationConfig={"PageSize": 2}).build_full_result()
    assert len(full["UserDetailList"]) == len(d["UserDetailList"])
    assert len(full["Policies"]) == len(d["Policies"])
    raises(iam.get_account_authorization_details, "ValidationError", 400, Filter=["Nope"])
    assert acct != tools


# --- simulation ---------------------------------------------------------------------

def test_simulate_custom_policy(iam):
    deny_delete = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]})
    r = iam.simulate_custom_policy(PolicyInputList=[ALLOW_S3, deny_delete],
                                   ActionNames=["s3:GetObject", "s3:DeleteObject", "sqs:SendMessage"],
                                   ResourceArns=["arn:aws:s3:::b/k"])["EvaluationResults"]
    d = {x["EvalActionName"]: x for x in r}
    assert d["s3:GetObject"]["EvalDecision"] == "allowed"
    assert d["s3:GetObject"]["EvalResourceName"] == "arn:aws:s3:::b/k"
    assert d["s3:GetObject"]["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"
    assert d["s3:DeleteObject"]["EvalDecision"] == "explicitDeny"
    assert d["s3:DeleteObject"]["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.2"
    assert d["sqs:SendMessage"]["EvalDecision"] == "implicitDeny"
    # context entries are honoured
    cond = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]})
    ok = iam.simulate_custom_policy(PolicyInputList=[cond], ActionNames=["s3:GetObject"],
                                    ContextEntries=[{"ContextKeyName": "aws:SourceIp",
                                                     "ContextKeyValues": ["10.1.2.3"],
                                                     "ContextKeyType": "ip"}])
    assert ok["EvaluationResults"][0]["EvalDecision"] == "allowed"
    no = iam.simulate_custom_policy(PolicyInputList=[cond], ActionNames=["s3:GetObject"],
                                    ContextEntries=[{"ContextKeyName": "aws:SourceIp",
                                                     "ContextKeyValues": ["192.168.0.1"],
                                                     "ContextKeyType": "ip"}])
    assert no["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    # a permissions boundary limits the policies
    b = iam.simulate_custom_policy(PolicyInputList=[ALLOW_ALL], ActionNames=["sqs:SendMessage", "s3:GetObject"],
                                   PermissionsBoundaryPolicyInputList=[ALLOW_S3])["EvaluationResults"]
    d = {x["EvalActionName"]: x for x in b}
    assert d["s3:GetObject"]["EvalDecision"] == "allowed"
    assert d["sqs:SendMessage"]["EvalDecision"] == "implicitDeny"
    assert d["sqs:SendMessage"]["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"] is False
    # a resource policy naming the caller allows on its own
    rp = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/carl"},
         "Action": "sqs:SendMessage", "Resource": "*"}]})
    r = iam.simulate_custom_policy(PolicyInputList=[ALLOW_S3], ActionNames=["sqs:SendMessage"],
                                   ResourcePolicy=rp, CallerArn="arn:aws:iam::123456789012:user/carl",
                                   ResourceOwner="arn:aws:iam::123456789012:root")["EvaluationResults"]
    assert r[0]["EvalDecision"] == "allowed"
    assert r[0]["MatchedStatements"][0]["SourcePolicyType"] == "resource"
    raises(iam.simulate_custom_policy, "InvalidInput", 400, PolicyInputList=["{"], ActionNames=["s3:GetObject"])
    raises(iam.simulate_custom_policy, "InvalidInput", 400, "CallerArn", PolicyInputList=[ALLOW_S3],
           ActionNames=["sqs:SendMessage"], ResourcePolicy=rp)


def test_simulate_principal_policy(iam, acct):
    iam.create_user(UserName="sim-user")
    iam.attach_user_policy(UserName="sim-user", PolicyArn=AWS_POLICY + "AmazonSQSReadOnlyAccess")
    iam.create_group(GroupName="sim-group")
    iam.add_user_to_group(GroupName="sim-group", UserName="sim-user")
    iam.put_group_policy(GroupName="sim-group", PolicyName="gs3", PolicyDocument=ALLOW_S3)
    arn = f"arn:aws:iam::{acct}:user/sim-user"
    r = iam.simulate_principal_policy(PolicySourceArn=arn,
                                      ActionNames=["sqs:ListQueues", "sqs:SendMessage", "s3:PutObject"])
    d = {x["EvalActionName"]: x for x in r["EvaluationResults"]}
    assert d["sqs:ListQueues"]["EvalDecision"] == "allowed"
    assert d["sqs:ListQueues"]["MatchedStatements"][0]["SourcePolicyId"] == "AmazonSQSReadOnlyAccess"
    assert d["sqs:ListQueues"]["MatchedStatements"][0]["SourcePolicyType"] == "aws-managed"
    assert d["sqs:SendMessage"]["EvalDecision"] == "implicitDeny"
    assert d["s3:PutObject"]["EvalDecision"] == "allowed"  # from the group
    assert d["s3:PutObject"]["MatchedStatements"][0]["SourcePolicyType"] == "group"
    # extra policies and a boundary on top of the principal's
    deny = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]})
    r = iam.simulate_principal_policy(PolicySourceArn=arn, PolicyInputList=[deny],
                                      ActionNames=["s3:PutObject"])
    assert r["EvaluationResults"][0]["EvalDecision"] == "explicitDeny"
    iam.create_role(RoleName="sim-role", AssumeRolePolicyDocument=trust(),
                    PermissionsBoundary=AWS_POLICY + "AmazonSQSReadOnlyAccess")
    iam.attach_role_policy(RoleName="sim-role", PolicyArn=AWS_POLICY + "AdministratorAccess")
    r = iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{acct}:role/sim-role",
                                      ActionNames=["sqs:ListQueues", "iam:CreateUser"],
                                      ResourceArns=["*"])
    d = {x["EvalActionName"]: x["EvalDecision"] for x in r["EvaluationResults"]}
    assert d == {"sqs:ListQueues": "allowed", "iam:CreateUser": "implicitDeny"}
    raises(iam.simulate_principal_policy, "NoSuchEntity", 404,
           PolicySourceArn=f"arn:aws:iam::{acct}:user/ghost", ActionNames=["s3:GetObject"])
    raises(iam.simulate_principal_policy, "InvalidInput", 400,
           PolicySourceArn="arn:aws:s3:::bucket-name-long", ActionNames=["s3:GetObject"])
    iam.remove_user_from_group(GroupName="sim-group", UserName="sim-user")
    iam.delete_group_policy(GroupName="sim-group", PolicyName="gs3")
    iam.delete_group(GroupName="sim-group")
    iam.detach_user_policy(UserName="sim-user", PolicyArn=AWS_POLICY + "AmazonSQSReadOnlyAccess")
    iam.delete_user(UserName="sim-user")


# --- the engine, wired: what a user's keys may do ------------------------------------

def test_user_without_policies_is_denied(ferry, iam, acct):
    key = new_user(iam, "nobody-allowed")
    mine = user_client(ferry, "iam", key)
    m = raises(mine.list_roles, "AccessDenied", 403)
    assert m == (f"User: arn:aws:iam::{acct}:user/nobody-allowed is not authorized to perform: "
                 "iam:ListRoles because no identity-based policy allows the iam:ListRoles action")
    m = raises(mine.get_role, "AccessDenied", 403, RoleName="whatever")
    assert m.startswith(f"User: arn:aws:iam::{acct}:user/nobody-allowed is not authorized to perform: "
                        "iam:GetRole on resource: role whatever because no identity-based policy")
    raises(user_client(ferry, "organizations", key).describe_organization, "AccessDeniedException")
    # GetCallerIdentity needs no permission
    assert user_client(ferry, "sts", key).get_caller_identity()["Arn"].endswith("user/nobody-allowed")


def test_read_only_access_reads_but_does_not_write(ferry, iam):
    key = new_user(iam, "reader")
    iam.attach_user_policy(UserName="reader", PolicyArn=AWS_POLICY + "ReadOnlyAccess")
    mine = user_client(ferry, "iam", key)
    assert isinstance(mine.list_roles()["Roles"], list)
    assert mine.get_user(UserName="reader")["User"]["UserName"] == "reader"
    raises(mine.create_role, "AccessDenied", 403, "iam:CreateRole", RoleName="nope",
           AssumeRolePolicyDocument=trust())
    raises(mine.create_user, "AccessDenied", 403, UserName="nope")
    org = user_client(ferry, "organizations", key)
    assert org.describe_organization()["Organization"]["Id"].startswith("o-")


def test_explicit_deny_beats_administrator_access(ferry, iam):
    key = new_user(iam, "admin-but")
    iam.attach_user_policy(UserName="admin-but", PolicyArn=AWS_POLICY + "AdministratorAccess")
    mine = user_client(ferry, "iam", key)
    mine.list_users()
    iam.put_user_policy(UserName="admin-but", PolicyName="no-users", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*"}]}))
    m = raises(mine.list_users, "AccessDenied", 403)
    assert "with an explicit deny in an identity-based policy" in m
    mine.list_roles()


def test_permissions_boundary_limits_administrator_access(ferry, iam):
    key = new_user(iam, "bounded-admin")
    iam.attach_user_policy(UserName="bounded-admin", PolicyArn=AWS_POLICY + "AdministratorAccess")
    iam.put_user_permissions_boundary(UserName="bounded-admin",
                                      PermissionsBoundary=AWS_POLICY + "IAMReadOnlyAccess")
    mine = user_client(ferry, "iam", key)
    mine.list_roles()
    m = raises(mine.create_group, "AccessDenied", 403, GroupName="nope")
    assert "because no permissions boundary allows the iam:CreateGroup action" in m
    raises(user_client(ferry, "organizations", key).describe_organization, "AccessDeniedException")
    iam.delete_user_permissions_boundary(UserName="bounded-admin")
    mine.create_group(GroupName="now-allowed")
    iam.delete_group(GroupName="now-allowed")


def test_group_policy_applies_to_members(ferry, iam, acct):
    key = new_user(iam, "member")
    mine = user_client(ferry, "iam", key)
    raises(mine.list_groups, "AccessDenied", 403)
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn=AWS_POLICY + "IAMReadOnlyAccess")
    iam.add_user_to_group(GroupName="readers", UserName="member")
    assert "readers" in [g["GroupName"] for g in mine.list_groups()["Groups"]]
    iam.put_group_policy(GroupName="readers", PolicyName="tags", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:TagUser",
                                                  "Resource": f"arn:aws:iam::{acct}:user/member"}]}))
    mine.tag_user(UserName="member", Tags=[{"Key": "k", "Value": "v"}])
    raises(mine.tag_user, "AccessDenied", 403, UserName="reader", Tags=[{"Key": "k", "Value": "v"}])
    iam.remove_user_from_group(GroupName="readers", UserName="member")
    raises(mine.list_groups, "AccessDenied", 403)


def test_customer_managed_policy_versions_apply(ferry, iam, acct):
    key = new_user(iam, "versioned")
    p = iam.create_policy(PolicyName="ver-pol", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}))["Policy"]
    iam.attach_user_policy(UserName="versioned", PolicyArn=p["Arn"])
    mine = user_client(ferry, "iam", key)
    mine.list_users()
    raises(mine.list_roles, "AccessDenied", 403)
    iam.create_policy_version(PolicyArn=p["Arn"], SetAsDefault=True, PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]}))
    mine.list_roles()
    raises(mine.list_users, "AccessDenied", 403)
    iam.set_default_policy_version(PolicyArn=p["Arn"], VersionId="v1")
    mine.list_users()


def test_principal_tags_and_policy_variables(ferry, iam, acct):
    key = new_user(iam, "tagged")
    iam.tag_user(UserName="tagged", Tags=[{"Key": "team", "Value": "blue"}])
    iam.put_user_policy(UserName="tagged", PolicyName="abac", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::*:user/${aws:username}"},
            {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}]}))
    mine = user_client(ferry, "iam", key)
    mine.get_user(UserName="tagged")
    raises(mine.get_user, "AccessDenied", 403, UserName="reader")
    mine.list_roles()
    iam.tag_user(UserName="tagged", Tags=[{"Key": "team", "Value": "red"}])
    raises(mine.list_roles, "AccessDenied", 403)


def test_role_sessions_carry_the_roles_policies(ferry, iam, acct):
    """AssumeRole needs permission; the session then has the role's policies, narrowed by a
    session policy, with the role's tags as principal tags."""
    key = new_user(iam, "assumer")
    iam.create_role(RoleName="session-role", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{acct}:root"),
                    Tags=[{"Key": "team", "Value": "blue"}])
    iam.attach_role_policy(RoleName="session-role", PolicyArn=AWS_POLICY + "IAMReadOnlyAccess")
    iam.put_role_policy(RoleName="session-role", PolicyName="abac", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:CreateGroup", "Resource": "*",
                                                  "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}]}))
    role_arn = f"arn:aws:iam::{acct}:role/session-role"
    sts = user_client(ferry, "sts", key)
    m = raises(sts.assume_role, "AccessDenied", 403, RoleArn=role_arn, RoleSessionName="s1")
    assert f"user/assumer is not authorized to perform: sts:AssumeRole on resource: {role_arn}" in m
    iam.put_user_policy(UserName="assumer", PolicyName="assume", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}]}))
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="s1")["Credentials"]

    def session_client(c):
        return boto3.client("iam", region_name="us-east-1", endpoint_url=ferry.endpoint,
                            aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                            aws_session_token=c["SessionToken"])
    as_role = session_client(creds)
    as_role.list_roles()
    as_role.create_group(GroupName="made-by-session")  # allowed through the role's tag
    m = raises(as_role.create_user, "AccessDenied", 403, UserName="nope")
    assert f"arn:aws:sts::{acct}:assumed-role/session-role/s1 is not authorized to perform: iam:CreateUser" in m
    # a session policy narrows the session to its intersection with the role's policies
    narrow = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]})
    limited = session_client(sts.assume_role(RoleArn=role_arn, RoleSessionName="s2", Policy=narrow)["Credentials"])
    limited.list_roles()
    m = raises(limited.list_users, "AccessDenied", 403)
    assert "because no session policy allows the iam:ListUsers action" in m
    # changing the role changes its sessions at once
    iam.detach_role_policy(RoleName="session-role", PolicyArn=AWS_POLICY + "IAMReadOnlyAccess")
    raises(as_role.list_roles, "AccessDenied", 403)
    iam.delete_group(GroupName="made-by-session")


def test_login_profiles(iam, raw):
    iam.create_user(UserName="console")
    lp = iam.create_login_profile(UserName="console", Password="Str0ng-Passw0rd!",
                                  PasswordResetRequired=True)["LoginProfile"]
    assert lp["UserName"] == "console" and lp["PasswordResetRequired"] is True
    assert "Password" not in lp
    raises(iam.create_login_profile, "EntityAlreadyExists", 409,
           "Login Profile for user console already exists.", UserName="console", Password="An0ther-one!")
    assert iam.get_login_profile(UserName="console")["LoginProfile"]["PasswordResetRequired"] is True
    iam.update_login_profile(UserName="console", PasswordResetRequired=False)
    assert iam.get_login_profile(UserName="console")["LoginProfile"]["PasswordResetRequired"] is False
    raises(iam.update_login_profile, "PasswordPolicyViolation", 400, UserName="console", Password="short")
    raises(iam.delete_user, "DeleteConflict", 409, "must delete login profile first", UserName="console")
    iam.delete_login_profile(UserName="console")
    raises(iam.get_login_profile, "NoSuchEntity", 404, "Login Profile for User console cannot be found.",
           UserName="console")
    raises(iam.delete_login_profile, "NoSuchEntity", 404, UserName="console")
    raises(iam.create_login_profile, "PasswordPolicyViolation", 400, UserName="console", Password="abcdefg")
    iam.delete_user(UserName="console")


def test_update_group_renames_and_keeps_members(ferry, iam, acct):
    key = new_user(iam, "renamed-member")
    iam.create_group(GroupName="old-name")
    iam.attach_group_policy(GroupName="old-name", PolicyArn=AWS_POLICY + "IAMReadOnlyAccess")
    iam.add_user_to_group(GroupName="old-name", UserName="renamed-member")
    iam.create_group(GroupName="taken")
    raises(iam.update_group, "EntityAlreadyExists", 409, GroupName="old-name", NewGroupName="TAKEN")
    iam.update_group(GroupName="old-name", NewGroupName="new-name", NewPath="/teams/")
    g = iam.get_group(GroupName="new-name")
    assert g["Group"]["Arn"] == f"arn:aws:iam::{acct}:group/teams/new-name"
    assert [u["UserName"] for u in g["Users"]] == ["renamed-member"]
    assert [x["GroupName"] for x in iam.list_groups_for_user(UserName="renamed-member")["Groups"]] == ["new-name"]
    raises(iam.get_group, "NoSuchEntity", 404, GroupName="old-name")
    user_client(ferry, "iam", key).list_roles()  # the group's policy still applies
    raises(iam.update_group, "NoSuchEntity", 404, GroupName="old-name", NewGroupName="x")
    iam.delete_group(GroupName="taken")
