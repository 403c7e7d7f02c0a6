"""IAM's access reports and policy readers through boto3 (and one `aws` CLI call): service
last accessed for users, roles, groups and policies (from the uses authorization notes),
the Organizations access report, context keys of policies, and the policies granting a
service."""
import json
import signal
import time

import boto3
import pytest

from ferrytest import Ferry, acct, raises


@pytest.fixture(scope="module")
def iam(ferry):
    return ferry.client("iam", "dev", region="us-east-1")


def doc(actions, cond=None):
    st = {"Effect": "Allow", "Action": actions, "Resource": "*"}
    if cond:
        st["Condition"] = cond
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


def user_keys(iam, name, policy=None):
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
    return iam.create_access_key(UserName=name)["AccessKey"]


def client(ferry, service, k, region="us-east-1", token=None):
    return boto3.client(service, region_name=region, endpoint_url=ferry.endpoint,
                        aws_access_key_id=k["AccessKeyId"],
                        aws_secret_access_key=k["SecretAccessKey"], aws_session_token=token)


def report(iam, arn, **kw):
    job = iam.generate_service_last_accessed_details(Arn=arn, **kw)["JobId"]
    assert len(job) == 36
    r = iam.get_service_last_accessed_details(JobId=job)
    assert r["JobStatus"] == "COMPLETED" and r["JobCompletionDate"] >= r["JobCreationDate"]
    return job, r, {s["ServiceNamespace"]: s for s in r["ServicesLastAccessed"]}


def test_user_services_last_accessed(ferry, iam):
    k = user_keys(iam, "rep-user", doc(["s3:*", "sqs:*", "sns:*"]))
    arn = iam.get_user(UserName="rep-user")["User"]["Arn"]
    client(ferry, "s3", k).list_buckets()
    client(ferry, "sqs", k, region="us-west-2").list_queues()
    job, r, svc = report(iam, arn)
    assert r["JobType"] == "SERVICE_LEVEL"
    assert set(svc) == {"s3", "sqs", "sns"}  # what the policies allow, used or not
    s3 = svc["s3"]
    assert s3["ServiceName"] == "Amazon Simple Storage Service"
    assert s3["LastAuthenticatedEntity"] == arn and s3["LastAuthenticatedRegion"] == "us-east-1"
    assert s3["TotalAuthenticatedEntities"] == 1 and "TrackedActionsLastAccessed" not in s3
    assert svc["sqs"]["LastAuthenticatedRegion"] == "us-west-2"
    assert "LastAuthenticated" not in svc["sns"] and svc["sns"]["TotalAuthenticatedEntities"] == 0
    # pages of one
    p1 = iam.get_service_last_accessed_details(JobId=job, MaxItems=1)
    assert p1["IsTruncated"] and len(p1["ServicesLastAccessed"]) == 1
    p2 = iam.get_service_last_accessed_details(JobId=job, MaxItems=5, Marker=p1["Marker"])
    assert not p2["IsTruncated"] and len(p2["ServicesLastAccessed"]) == 2


def test_user_made_again_starts_clean(ferry, iam):
    k = user_keys(iam, "rep-again", doc(["sqs:*"]))
    client(ferry, "sqs", k).list_queues()
    arn = iam.get_user(UserName="rep-again")["User"]["Arn"]
    assert "LastAuthenticated" in report(iam, arn)[2]["sqs"]
    iam.delete_access_key(UserName="rep-again", AccessKeyId=k["AccessKeyId"])
    iam.delete_user_policy(UserName="rep-again", PolicyName="p")
    iam.delete_user(UserName="rep-again")
    user_keys(iam, "rep-again", doc(["sqs:*"]))
    assert "LastAuthenticated" not in report(iam, arn)[2]["sqs"]


def test_reset_forgets_uses(open_ferry):
    """POST /_ferry/reset (open mode) empties the store: the uses noted in memory go too."""
    def fresh():
        iam = boto3.client("iam", region_name="us-east-1", endpoint_url=open_ferry.endpoint,
                           aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x")
        k = user_keys(iam, "rep-reset", doc(["sqs:*"]))
        return iam, k, iam.get_user(UserName="rep-reset")["User"]["Arn"]
    iam, k, arn = fresh()
    client(open_ferry, "sqs", k).list_queues()
    assert "LastAuthenticated" in report(iam, arn)[2]["sqs"]
    assert open_ferry.http("POST", "/_ferry/reset")[0] == 200
    iam, _, arn2 = fresh()
    assert arn2 == arn and "LastAuthenticated" not in report(iam, arn)[2]["sqs"]


def test_action_level(ferry, iam):
    k = user_keys(iam, "rep-act", doc(["sqs:*"]))
    arn = iam.get_user(UserName="rep-act")["User"]["Arn"]
    sqs = client(ferry, "sqs", k)
    sqs.create_queue(QueueName="rep-act-q")
    sqs.list_queues()
    _, r, svc = report(iam, arn, Granularity="ACTION_LEVEL")
    assert r["JobType"] == "ACTION_LEVEL"
    tracked = {t["ActionName"]: t for t in svc["sqs"]["TrackedActionsLastAccessed"]}
    assert {"CreateQueue", "ListQueues"} <= set(tracked)
    assert tracked["ListQueues"]["LastAccessedEntity"] == arn
    assert tracked["ListQueues"]["LastAccessedRegion"] == "us-east-1"


def test_role_used_by_its_session(ferry, iam):
    dev = acct(ferry, "dev")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": f"arn:aws:iam::{dev}:root"}}]}
    arn = iam.create_role(RoleName="rep-role", Path="/app/",
                          AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName="rep-role", PolicyName="p", PolicyDocument=doc(["sqs:*", "kms:*"]))
    c = ferry.client("sts", "dev").assume_role(RoleArn=arn, RoleSessionName="s1")["Credentials"]
    client(ferry, "sqs", c, region="eu-west-1", token=c["SessionToken"]).list_queues()
    _, _, svc = report(iam, arn)
    assert set(svc) == {"sqs", "kms"}
    assert svc["sqs"]["LastAuthenticatedEntity"] == arn  # the role, not the session
    assert svc["sqs"]["LastAuthenticatedRegion"] == "eu-west-1"
    assert "LastAuthenticated" not in svc["kms"]


def test_group_with_entities(ferry, iam):
    g = iam.create_group(GroupName="rep-g")["Group"]
    iam.put_group_policy(GroupName="rep-g", PolicyName="gp", PolicyDocument=doc(["s3:List*"]))
    k = user_keys(iam, "rep-gu1")
    user_keys(iam, "rep-gu2")
    for u in ("rep-gu1", "rep-gu2"):
        iam.add_user_to_group(GroupName="rep-g", UserName=u)
    client(ferry, "s3", k).list_buckets()
    job, _, svc = report(iam, g["Arn"])
    assert list(svc) == ["s3"] and svc["s3"]["TotalAuthenticatedEntities"] == 1
    u1 = iam.get_user(UserName="rep-gu1")["User"]
    assert svc["s3"]["LastAuthenticatedEntity"] == u1["Arn"]
    w = iam.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="s3")
    assert w["JobStatus"] == "COMPLETED"
    [e] = w["EntityDetailsList"]
    assert e["EntityInfo"] == {"Arn": u1["Arn"], "Name": "rep-gu1", "Type": "USER",
                               "Id": u1["UserId"], "Path": "/"}
    assert e["LastAuthenticated"]
    none = iam.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="sqs")
    assert none["EntityDetailsList"] == []


def test_managed_policy_report(ferry, iam):
    pol = iam.create_policy(PolicyName="rep-mp", PolicyDocument=doc(["sqs:ListQueues"]))["Policy"]
    k = user_keys(iam, "rep-mpu")
    iam.attach_user_policy(UserName="rep-mpu", PolicyArn=pol["Arn"])
    client(ferry, "sqs", k).list_queues()
    job, _, svc = report(iam, pol["Arn"])
    assert list(svc) == ["sqs"]
    assert svc["sqs"]["LastAuthenticatedEntity"].endswith(":user/rep-mpu")
    w = iam.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="sqs")
    assert [e["EntityInfo"]["Name"] for e in w["EntityDetailsList"]] == ["rep-mpu"]


def test_report_errors(ferry, iam):
    dev = acct(ferry, "dev")
    raises(lambda: iam.get_service_last_accessed_details(JobId="0" * 36), "NoSuchEntity",
           status=404)
    raises(lambda: iam.generate_service_last_accessed_details(
        Arn=f"arn:aws:iam::{dev}:user/nobody"), "NoSuchEntity", status=404)
    raises(lambda: iam.generate_service_last_accessed_details(
        Arn=f"arn:aws:iam::{dev}:policy/nothing"), "NoSuchEntity", status=404)
    raises(lambda: iam.generate_service_last_accessed_details(
        Arn="arn:aws:s3:::some-bucket"), "InvalidInput", status=400)
    raises(lambda: iam.generate_service_last_accessed_details(
        Arn=f"arn:aws:iam::{dev}:user/x", Granularity="BOTH"), "ValidationError", status=400)


def test_organizations_access_report(ferry, iam):
    org = ferry.client("organizations", "management")
    dev = acct(ferry, "dev")
    o = org.describe_organization()["Organization"]["Id"]
    path = [dev]
    child = dev
    while True:
        p = org.list_parents(ChildId=child)["Parents"][0]
        path.insert(0, p["Id"])
        if p["Type"] == "ROOT":
            break
        child = p["Id"]
    entity = "/".join([o] + path)
    k = user_keys(iam, "rep-org", doc(["s3:*"]))
    client(ferry, "s3", k, region="us-west-2").list_buckets()
    mgmt = ferry.client("iam", "management")
    job = mgmt.generate_organizations_access_report(EntityPath=entity)["JobId"]
    r = mgmt.get_organizations_access_report(JobId=job)
    assert r["JobStatus"] == "COMPLETED"
    d = {x["ServiceNamespace"]: x for x in r["AccessDetails"]}
    assert d["s3"]["EntityPath"] == entity and d["s3"]["Region"] == "us-west-2"
    assert d["s3"]["TotalAuthenticatedEntities"] == 1 and d["s3"]["LastAuthenticatedTime"]
    assert d["s3"]["ServiceName"] == "Amazon Simple Storage Service"
    assert r["NumberOfServicesAccessible"] == len(d)
    used = [x for x in d.values() if "LastAuthenticatedTime" in x]
    assert r["NumberOfServicesNotAccessed"] == len(d) - len(used)
    ns = [x["ServiceNamespace"] for x in r["AccessDetails"]]
    assert ns == sorted(ns)
    desc = mgmt.get_organizations_access_report(JobId=job, SortKey="SERVICE_NAMESPACE_DESCENDING")
    assert [x["ServiceNamespace"] for x in desc["AccessDetails"]] == sorted(ns, reverse=True)
    # the root's path (with a trailing slash) covers dev too
    j3 = mgmt.generate_organizations_access_report(EntityPath=f"{o}/{path[0]}/")["JobId"]
    d3 = {x["ServiceNamespace"]: x for x in mgmt.get_organizations_access_report(JobId=j3)["AccessDetails"]}
    assert d3["s3"]["EntityPath"] == entity
    # a path not reaching dev sees none of its uses
    other = "/".join([o, path[0], acct(ferry, "management")])
    j2 = mgmt.generate_organizations_access_report(EntityPath=other)["JobId"]
    d2 = {x["ServiceNamespace"]: x for x in mgmt.get_organizations_access_report(JobId=j2)["AccessDetails"]}
    assert d2["s3"].get("EntityPath") != entity
    # a member account has no access reports
    raises(lambda: iam.generate_organizations_access_report(EntityPath=entity), "AccessDenied",
           status=403)
    raises(lambda: iam.get_organizations_access_report(JobId=job), "AccessDenied", status=403)
    raises(lambda: mgmt.generate_organizations_access_report(EntityPath="o-aaaaaaaaaa/r-bbbb"),
           "InvalidInput", status=400)
    raises(lambda: mgmt.get_organizations_access_report(JobId="1" * 36), "NoSuchEntity",
           status=404)


def test_context_keys_for_custom_policy(ferry, iam):
    p1 = json.dumps({"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Action": "dynamodb:*",
        "Resource": "arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}",
        "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2015-08-16T12:00:00Z"}}}})
    assert iam.get_context_keys_for_custom_policy(PolicyInputList=[p1])["ContextKeyNames"] == [
        "aws:username", "aws:CurrentTime"]
    p2 = doc("s3:ListBucket", {"StringLike": {"s3:prefix": ["home/${aws:userid}/*"]},
                               "Bool": {"AWS:currenttime": "true"}})
    r = iam.get_context_keys_for_custom_policy(PolicyInputList=[p1, p2])["ContextKeyNames"]
    assert r == ["aws:username", "aws:CurrentTime", "s3:prefix", "aws:userid"]
    raises(lambda: iam.get_context_keys_for_custom_policy(PolicyInputList=["{"]), "InvalidInput",
           status=400)


def test_context_keys_for_principal_policy(ferry, iam):
    user_keys(iam, "rep-ck", doc("s3:*", {"StringEquals": {"s3:x-amz-acl": "private"}}))
    iam.create_group(GroupName="rep-ckg")
    iam.put_group_policy(GroupName="rep-ckg", PolicyName="g",
                         PolicyDocument=doc("ec2:*", {"StringEquals": {"ec2:Region": "us-east-1"}}))
    iam.add_user_to_group(GroupName="rep-ckg", UserName="rep-ck")
    arn = iam.get_user(UserName="rep-ck")["User"]["Arn"]
    extra = doc("sqs:*", {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    r = iam.get_context_keys_for_principal_policy(PolicySourceArn=arn, PolicyInputList=[extra])
    assert r["ContextKeyNames"] == ["s3:x-amz-acl", "ec2:Region", "aws:SourceIp"]
    raises(lambda: iam.get_context_keys_for_principal_policy(
        PolicySourceArn=arn.replace("rep-ck", "nobody")), "NoSuchEntity", status=404)
    raises(lambda: iam.get_context_keys_for_principal_policy(PolicySourceArn="arn:aws:s3:::some-bucket"),
           "InvalidInput", status=400)


def test_policies_granting_service_access(ferry, iam):
    user_keys(iam, "rep-lp", doc(["s3:Get*"]))
    pol = iam.create_policy(PolicyName="rep-lp-sqs", PolicyDocument=doc("sqs:*"))["Policy"]
    iam.attach_user_policy(UserName="rep-lp", PolicyArn=pol["Arn"])
    iam.create_group(GroupName="rep-lpg")
    iam.put_group_policy(GroupName="rep-lpg", PolicyName="gs3", PolicyDocument=doc("*"))
    gpol = iam.create_policy(PolicyName="rep-lp-g", PolicyDocument=doc("s3:*"))["Policy"]
    iam.attach_group_policy(GroupName="rep-lpg", PolicyArn=gpol["Arn"])
    iam.add_user_to_group(GroupName="rep-lpg", UserName="rep-lp")
    arn = iam.get_user(UserName="rep-lp")["User"]["Arn"]
    r = iam.list_policies_granting_service_access(Arn=arn, ServiceNamespaces=["s3", "sqs", "kms"])
    assert r["IsTruncated"] is False
    by = {e["ServiceNamespace"]: e["Policies"] for e in r["PoliciesGrantingServiceAccess"]}
    assert by["s3"] == [
        {"PolicyName": "p", "PolicyType": "INLINE", "EntityType": "USER", "EntityName": "rep-lp"},
        {"PolicyName": "gs3", "PolicyType": "INLINE", "EntityType": "GROUP", "EntityName": "rep-lpg"},
        {"PolicyName": "rep-lp-g", "PolicyType": "MANAGED", "PolicyArn": gpol["Arn"]}]
    assert by["sqs"] == [
        {"PolicyName": "rep-lp-sqs", "PolicyType": "MANAGED", "PolicyArn": pol["Arn"]},
        {"PolicyName": "gs3", "PolicyType": "INLINE", "EntityType": "GROUP", "EntityName": "rep-lpg"}]
    assert [p["PolicyName"] for p in by["kms"]] == ["gs3"]
    raises(lambda: iam.list_policies_granting_service_access(
        Arn=arn.replace("rep-lp", "nobody"), ServiceNamespaces=["s3"]), "NoSuchEntity", status=404)


def test_cli_context_keys(ferry):
    p = doc("s3:*", {"StringEquals": {"aws:PrincipalTag/team": "a"}})
    r = ferry.aws("iam", "get-context-keys-for-custom-policy", "--policy-input-list", p,
                  profile="dev")
    assert r.json["ContextKeyNames"] == ["aws:PrincipalTag/team"]


def test_uses_survive_kill_after_flush():
    f = Ferry().start(env={"FERRY_KEY_LAST_USED_INTERVAL": "0.1"})
    try:
        f.init()
        iam = f.client("iam", "dev", region="us-east-1")
        k = user_keys(iam, "rep-kill", doc(["sqs:*", "s3:*"]))
        client(f, "sqs", k, region="us-west-2").list_queues()
        time.sleep(1)  # ten flush intervals, for a loaded machine
        f.stop(signal.SIGKILL)
        f.start()
        iam = f.client("iam", "dev", region="us-east-1")
        arn = iam.get_user(UserName="rep-kill")["User"]["Arn"]
        _, _, svc = report(iam, arn)
        assert svc["sqs"]["LastAuthenticatedRegion"] == "us-west-2"
        assert svc["sqs"]["LastAuthenticatedEntity"] == arn
        assert "LastAuthenticated" not in svc["s3"]
    finally:
        f.close()
