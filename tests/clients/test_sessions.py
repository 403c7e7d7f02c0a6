"""One way to become a role: STS AssumeRole, CloudFormation's RoleARN and a StackSet's
administration and execution roles are decided by the same trust evaluation and appear
alike in CloudTrail (an sts:AssumeRole event naming the role), allowed or refused; the
ones CloudFormation makes name it as invokedBy and source, as AWS shows them. The
organization's access roles are made through IAM's operations, in the member's trail."""
import json
import os
import sys
import time

import botocore
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from ferrytest import Ferry  # noqa: E402

CFN = "cloudformation.amazonaws.com"
HANDLE = "Resources:\n  H:\n    Type: AWS::CloudFormation::WaitConditionHandle\n"
QUEUE = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(principal):
    return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


@pytest.fixture(scope="module")
def fx():
    f = Ferry().start()
    f.init()
    yield f
    f.close()


@pytest.fixture(scope="module")
def ids(fx):
    return {p: fx.client("sts", p).get_caller_identity()["Account"]
            for p in ("management", "tools", "dev")}


@pytest.fixture(scope="module")
def roles(fx, ids):
    """In dev: Deployer (trusts tools), CfnExec (trusts CloudFormation, administrator),
    Nobody (trusts only prod); the StackSet roles of management -> dev."""
    iam = fx.client("iam", "dev")
    iam.create_role(RoleName="Deployer", AssumeRolePolicyDocument=trust({"AWS": ids["tools"]}))
    iam.create_role(RoleName="CfnExec", AssumeRolePolicyDocument=trust({"Service": CFN}))
    iam.attach_role_policy(RoleName="CfnExec", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.create_role(RoleName="Nobody", AssumeRolePolicyDocument=trust({"AWS": "arn:aws:iam::999999999999:root"}))
    iam.create_role(RoleName="AWSCloudFormationStackSetExecutionRole",
                    AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{ids['management']}:root"}))
    iam.attach_role_policy(RoleName="AWSCloudFormationStackSetExecutionRole",
                           PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    miam = fx.client("iam", "management")
    miam.create_role(RoleName="AWSCloudFormationStackSetAdministrationRole",
                     AssumeRolePolicyDocument=trust({"Service": CFN}))
    miam.put_role_policy(RoleName="AWSCloudFormationStackSetAdministrationRole", PolicyName="exec",
                         PolicyDocument=doc({"Effect": "Allow", "Action": "sts:AssumeRole",
                                             "Resource": "arn:aws:iam::*:role/*"}))
    return {n: f"arn:aws:iam::{ids['dev']}:role/{n}"
            for n in ("Deployer", "CfnExec", "Nobody", "AWSCloudFormationStackSetExecutionRole")}


def trail(fx, profile, name="AssumeRole"):
    ev = fx.client("cloudtrail", profile, region="us-east-1").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}], MaxResults=50)["Events"]
    return [json.loads(e["CloudTrailEvent"]) for e in ev]


def about(events, role_arn, refused):
    return [e for e in events if ("errorCode" in e) == refused and
            (role_arn in e.get("errorMessage", "") or
             any(r["ResourceName"] == role_arn for r in e.get("resources", [])))]


def stack_set(fx, name, exec_role):
    cfn = fx.client("cloudformation", "management", region="us-east-1")
    cfn.create_stack_set(StackSetName=name, TemplateBody=HANDLE, ExecutionRoleName=exec_role)
    dev = fx.client("sts", "dev").get_caller_identity()["Account"]
    op = cfn.create_stack_instances(StackSetName=name, Accounts=[dev], Regions=["us-east-1"])["OperationId"]
    deadline = time.time() + 20
    while time.time() < deadline:
        o = cfn.describe_stack_set_operation(StackSetName=name, OperationId=op)["StackSetOperation"]
        if o["Status"] not in ("RUNNING", "QUEUED"):
            return o["Status"]
        time.sleep(0.05)
    raise AssertionError("stack set operation still running")


def wait_stack(cfn, name):
    deadline = time.time() + 20
    while time.time() < deadline:
        s = cfn.describe_stacks(StackName=name)["Stacks"][0]
        if not s["StackStatus"].endswith("_IN_PROGRESS"):
            return s
        time.sleep(0.05)
    raise AssertionError(f"stack {name} still in progress")


def test_assumptions_appear_alike(fx, ids, roles):
    fx.client("sts", "tools").assume_role(RoleArn=roles["Deployer"], RoleSessionName="deploy")
    cfn = fx.client("cloudformation", "dev", region="us-east-1")
    cfn.create_stack(StackName="withrole", TemplateBody=QUEUE, RoleARN=roles["CfnExec"])
    assert wait_stack(cfn, "withrole")["StackStatus"] == "CREATE_COMPLETE"
    assert stack_set(fx, "alike", "AWSCloudFormationStackSetExecutionRole") == "SUCCEEDED"

    dev = trail(fx, "dev")
    sts, role_arn, ss = (about(dev, roles[n], False) for n in
                         ("Deployer", "CfnExec", "AWSCloudFormationStackSetExecutionRole"))
    assert len(sts) == 1 and len(role_arn) == 1 and len(ss) == 1, dev
    for e in sts + role_arn + ss:  # the same event, whoever assumed
        assert e["eventSource"] == "sts.amazonaws.com" and e["eventName"] == "AssumeRole"
        assert e["readOnly"] is False and e["recipientAccountId"] == ids["dev"]
        assert [r["ResourceType"] for r in e["resources"]] == ["AWS::IAM::Role"]
    # a client: its own identity and address
    (e,) = sts
    assert e["userIdentity"]["arn"] == f"arn:aws:iam::{ids['tools']}:root"
    assert e["sourceIPAddress"] == "127.0.0.1" and "invokedBy" not in e["userIdentity"]
    # CloudFormation for itself (RoleARN) and with the administration role's session
    (e,) = role_arn
    assert e["userIdentity"]["type"] == "AWSService" and e["userIdentity"]["invokedBy"] == CFN
    assert e["sourceIPAddress"] == CFN and e["userAgent"] == CFN
    (e,) = ss
    assert e["userIdentity"]["type"] == "AssumedRole" and e["userIdentity"]["invokedBy"] == CFN
    assert e["userIdentity"]["arn"] == (f"arn:aws:sts::{ids['management']}:assumed-role/"
                                        "AWSCloudFormationStackSetAdministrationRole/"
                                        "AWSCloudFormationStackSetAdministrationRole")
    assert e["sourceIPAddress"] == CFN
    # cross-account assumptions are in the caller's trail too; the administration role's
    # in management's
    mg = trail(fx, "management")
    assert len(about(mg, roles["AWSCloudFormationStackSetExecutionRole"], False)) == 1
    admin = about(mg, f"arn:aws:iam::{ids['management']}:role/AWSCloudFormationStackSetAdministrationRole", False)
    assert len(admin) == 1 and admin[0]["userIdentity"]["invokedBy"] == CFN
    assert len(about(trail(fx, "tools"), roles["Deployer"], False)) == 1
    # what the stack's role session did is CloudFormation's doing, as the role
    (q,) = trail(fx, "dev", "CreateQueue")
    assert q["userIdentity"]["arn"] == f"arn:aws:sts::{ids['dev']}:assumed-role/CfnExec/AWSCloudFormation"
    assert q["userIdentity"]["invokedBy"] == CFN and q["sourceIPAddress"] == CFN


def test_refusals_appear_alike(fx, ids, roles):
    nobody = roles["Nobody"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fx.client("sts", "tools").assume_role(RoleArn=nobody, RoleSessionName="deploy")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    cfn = fx.client("cloudformation", "dev", region="us-east-1")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfn.create_stack(StackName="refused", TemplateBody=HANDLE, RoleARN=nobody)
    assert e.value.response["Error"]["Message"] == f"Role {nobody} is invalid or cannot be assumed"
    assert stack_set(fx, "refused", "Nobody") == "FAILED"

    deadline = time.time() + 5
    while True:  # a refusal inside another call's transaction is recorded just after it
        refused = about(trail(fx, "dev"), nobody, True)
        if len(refused) == 3 or time.time() > deadline:
            break
        time.sleep(0.05)
    assert len(refused) == 3, refused
    who = sorted(r["userIdentity"].get("invokedBy", r["userIdentity"]["arn"]) for r in refused)
    assert who == sorted([f"arn:aws:iam::{ids['tools']}:root", CFN, CFN])
    for r in refused:
        assert r["eventName"] == "AssumeRole" and r["eventSource"] == "sts.amazonaws.com"
        assert r["errorCode"] == "AccessDenied"
        assert r["errorMessage"].endswith(f" is not authorized to perform: sts:AssumeRole on resource: {nobody}")
    # nothing was minted for them: the refused stack does not exist
    with pytest.raises(botocore.exceptions.ClientError):
        cfn.describe_stacks(StackName="refused")


def test_access_roles_are_made_through_iam(fx, ids):
    """ferry init and CreateAccount make OrganizationAccountAccessRole with IAM's own
    operations, on behalf of Organizations, recorded in the member's trail."""
    for name in ("CreateRole", "AttachRolePolicy"):
        (e,) = [x for x in trail(fx, "dev", name)
                if x["userIdentity"].get("invokedBy") == "organizations.amazonaws.com"]
        assert e["userIdentity"]["arn"] == f"arn:aws:iam::{ids['dev']}:root" and "errorCode" not in e
    org = fx.client("organizations", "management")
    st = org.create_account(Email="new@example.com", AccountName="new")["CreateAccountStatus"]
    acct = org.describe_create_account_status(CreateAccountRequestId=st["Id"])["CreateAccountStatus"]["AccountId"]
    creds = fx.client("sts", "management").assume_role(
        RoleArn=f"arn:aws:iam::{acct}:role/OrganizationAccountAccessRole", RoleSessionName="look")["Credentials"]
    ct = fx.session("management", "us-east-1").client(
        "cloudtrail", endpoint_url=fx.endpoint, aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    made = [json.loads(e["CloudTrailEvent"]) for e in ct.lookup_events(LookupAttributes=[
        {"AttributeKey": "EventName", "AttributeValue": "CreateRole"}])["Events"]]
    assert [e["userIdentity"].get("invokedBy") for e in made] == ["organizations.amazonaws.com"]


def test_scps_do_not_stop_organizations_making_the_access_role(fx):
    """AWS: SCPs do not restrict what Organizations itself does in a member account; a
    guardrail denying IAM changes does not stop CreateAccount giving the access role."""
    org = fx.client("organizations", "management")
    root = org.list_roots()["Roots"][0]["Id"]
    if not any(t["Type"] == "SERVICE_CONTROL_POLICY" and t["Status"] == "ENABLED"
               for t in org.list_roots()["Roots"][0].get("PolicyTypes", [])):
        org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    p = org.create_policy(Name="NoIAM", Description="", Type="SERVICE_CONTROL_POLICY", Content=doc(
        {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}))["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=p, TargetId=root)
    try:
        st = org.create_account(Email="guarded@example.com", AccountName="guarded")["CreateAccountStatus"]
        done = org.describe_create_account_status(CreateAccountRequestId=st["Id"])["CreateAccountStatus"]
        assert done["State"] == "SUCCEEDED", done
        # and the guardrail holds for the account's own principals
        creds = fx.client("sts", "management").assume_role(
            RoleArn=f"arn:aws:iam::{done['AccountId']}:role/OrganizationAccountAccessRole",
            RoleSessionName="look")["Credentials"]
        iam = fx.session("management", "us-east-1").client(
            "iam", endpoint_url=fx.endpoint, aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
        with pytest.raises(botocore.exceptions.ClientError) as e:
            iam.create_role(RoleName="x", AssumeRolePolicyDocument=trust({"Service": CFN}))
        assert e.value.response["Error"]["Code"] == "AccessDenied"
    finally:
        org.detach_policy(PolicyId=p, TargetId=root)
