"""Organizations policies through real clients: SCP types on the root, policy documents,
attachments to the root, OUs and accounts, and SCPs enforced on every call of the member
accounts (never the management account). Each test builds what it needs on one
organization; tests that enable SCPs disable them again."""
import json

import botocore
import pytest
from ferrytest import code, message

SCP = "SERVICE_CONTROL_POLICY"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


DENY_DESCRIBE = doc({"Effect": "Deny", "Action": "organizations:DescribeOrganization",
                     "Resource": "*"})


def ident(ferry, profile):
    return ferry.client("sts", profile).get_caller_identity()


def test_enable_attaches_full_access_everywhere(ferry, org, root, scps):
    r = org.list_roots()["Roots"][0]
    assert r["PolicyTypes"] == [{"Type": SCP, "Status": "ENABLED"}]
    dev = ident(ferry, "dev")["Account"]
    for target in (root, dev):
        pols = org.list_policies_for_target(TargetId=target, Filter=SCP)["Policies"]
        assert [p["Id"] for p in pols] == ["p-FullAWSAccess"]
        assert pols[0]["AwsManaged"] is True and pols[0]["Name"] == "FullAWSAccess"
    # a new OU and a new account start with FullAWSAccess too
    ou = org.create_organizational_unit(ParentId=root, Name="Fresh")["OrganizationalUnit"]
    assert [p["Id"] for p in org.list_policies_for_target(TargetId=ou["Id"], Filter=SCP)["Policies"]] \
        == ["p-FullAWSAccess"]
    targets = org.list_targets_for_policy(PolicyId="p-FullAWSAccess")["Targets"]
    types = {t["TargetId"]: t["Type"] for t in targets}
    assert types[root] == "ROOT" and types[dev] == "ACCOUNT" and types[ou["Id"]] == "ORGANIZATIONAL_UNIT"
    full = org.describe_policy(PolicyId="p-FullAWSAccess")["Policy"]
    assert json.loads(full["Content"])["Statement"][0]["Action"] == "*"
    with pytest.raises(org.exceptions.PolicyTypeAlreadyEnabledException):
        org.enable_policy_type(RootId=root, PolicyType=SCP)


def test_policy_type_errors(org, root):
    with pytest.raises(org.exceptions.RootNotFoundException):
        org.enable_policy_type(RootId="r-zzzz", PolicyType=SCP)
    with pytest.raises(org.exceptions.InvalidInputException):
        org.enable_policy_type(RootId="not-a-root", PolicyType=SCP)
    with pytest.raises(org.exceptions.InvalidInputException) as e:
        org.enable_policy_type(RootId=root, PolicyType="NOT_A_TYPE")
    assert "invalid policy type" in message(e)
    with pytest.raises(org.exceptions.PolicyTypeNotEnabledException):
        org.disable_policy_type(RootId=root, PolicyType=SCP)


def test_policy_crud_and_errors(org):
    p = org.create_policy(Name="NoLeaving", Description="stay", Type=SCP, Content=doc(
        {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}))["Policy"]
    s = p["PolicySummary"]
    assert s["Id"].startswith("p-") and len(s["Id"]) == 10 and s["AwsManaged"] is False
    assert s["Arn"].endswith("/service_control_policy/" + s["Id"])
    assert org.describe_policy(PolicyId=s["Id"])["Policy"]["Content"] == p["Content"]
    with pytest.raises(org.exceptions.DuplicatePolicyException):
        org.create_policy(Name="NoLeaving", Description="", Type=SCP, Content=DENY_DESCRIBE)
    with pytest.raises(org.exceptions.DuplicatePolicyException):
        org.create_policy(Name="FullAWSAccess", Description="", Type=SCP, Content=DENY_DESCRIBE)
    with pytest.raises(org.exceptions.MalformedPolicyDocumentException):
        org.create_policy(Name="bad", Description="", Type=SCP, Content='{"Statement": [')
    with pytest.raises(org.exceptions.MalformedPolicyDocumentException):
        org.create_policy(Name="bad", Description="", Type=SCP, Content=json.dumps(
            {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}))
    with pytest.raises(org.exceptions.ConstraintViolationException):
        big = doc(*[{"Sid": f"S{i}", "Effect": "Deny", "Action": f"s3:GetObject{i}",
                     "Resource": "*"} for i in range(120)])
        org.create_policy(Name="big", Description="", Type=SCP, Content=big)
    with pytest.raises(org.exceptions.InvalidInputException):
        org.create_policy(Name="x", Description="", Type="NOPE", Content=DENY_DESCRIBE)
    with pytest.raises(org.exceptions.InvalidInputException):
        org.create_policy(Name="x" * 129, Description="", Type=SCP, Content=DENY_DESCRIBE)
    # a tag policy is stored as JSON, not read as IAM
    tag = org.create_policy(Name="tags", Description="", Type="TAG_POLICY",
                            Content='{"tags": {"team": {}}}')["Policy"]["PolicySummary"]
    assert [x["Id"] for x in org.list_policies(Filter="TAG_POLICY")["Policies"]] == [tag["Id"]]

    u = org.update_policy(PolicyId=s["Id"], Name="NoLeave", Description="d2")["Policy"]
    assert u["PolicySummary"]["Name"] == "NoLeave" and u["Content"] == p["Content"]
    u = org.update_policy(PolicyId=s["Id"], Content=DENY_DESCRIBE)["Policy"]
    assert u["Content"] == DENY_DESCRIBE and u["PolicySummary"]["Description"] == "d2"
    with pytest.raises(org.exceptions.MalformedPolicyDocumentException):
        org.update_policy(PolicyId=s["Id"], Content='{"Version": "2012-10-17"}')
    with pytest.raises(org.exceptions.InvalidInputException) as e:
        org.update_policy(PolicyId="p-FullAWSAccess", Name="Mine")
    assert "managed by AWS" in message(e)
    with pytest.raises(org.exceptions.InvalidInputException):
        org.delete_policy(PolicyId="p-FullAWSAccess")
    with pytest.raises(org.exceptions.PolicyNotFoundException):
        org.describe_policy(PolicyId="p-00000000")
    with pytest.raises(org.exceptions.InvalidInputException):
        org.describe_policy(PolicyId="nope")

    names = [x["Name"] for x in org.list_policies(Filter=SCP)["Policies"]]
    assert names[0] == "FullAWSAccess" and "NoLeave" in names
    pages = list(org.get_paginator("list_policies").paginate(
        Filter=SCP, PaginationConfig={"PageSize": 1}))
    assert len(pages) == len(names)
    org.delete_policy(PolicyId=s["Id"])
    org.delete_policy(PolicyId=tag["Id"])
    with pytest.raises(org.exceptions.PolicyNotFoundException):
        org.delete_policy(PolicyId=s["Id"])


def test_attach_detach_rules(ferry, org, root, scps):
    dev = ident(ferry, "dev")["Account"]
    p = org.create_policy(Name="DenyDescribe", Description="", Type=SCP,
                          Content=DENY_DESCRIBE)["Policy"]["PolicySummary"]["Id"]
    with pytest.raises(org.exceptions.TargetNotFoundException):
        org.attach_policy(PolicyId=p, TargetId="999999999999")
    with pytest.raises(org.exceptions.TargetNotFoundException):
        org.attach_policy(PolicyId=p, TargetId="ou-zzzz-zzzzzzzz")
    with pytest.raises(org.exceptions.InvalidInputException):
        org.attach_policy(PolicyId=p, TargetId="bogus")
    with pytest.raises(org.exceptions.PolicyNotFoundException):
        org.attach_policy(PolicyId="p-00000000", TargetId=dev)
    org.attach_policy(PolicyId=p, TargetId=dev)
    with pytest.raises(org.exceptions.DuplicatePolicyAttachmentException):
        org.attach_policy(PolicyId=p, TargetId=dev)
    got = {x["Id"] for x in org.list_policies_for_target(TargetId=dev, Filter=SCP)["Policies"]}
    assert got == {"p-FullAWSAccess", p}
    assert [t["TargetId"] for t in org.list_targets_for_policy(PolicyId=p)["Targets"]] == [dev]
    with pytest.raises(org.exceptions.PolicyInUseException):
        org.delete_policy(PolicyId=p)
    org.detach_policy(PolicyId="p-FullAWSAccess", TargetId=dev)
    with pytest.raises(org.exceptions.ConstraintViolationException) as e:
        org.detach_policy(PolicyId=p, TargetId=dev)
    assert "last policy" in message(e)
    with pytest.raises(org.exceptions.PolicyNotAttachedException):
        org.detach_policy(PolicyId="p-FullAWSAccess", TargetId=dev)
    org.attach_policy(PolicyId="p-FullAWSAccess", TargetId=dev)
    org.detach_policy(PolicyId=p, TargetId=dev)
    # at most five SCPs on one target
    extra = [org.create_policy(Name=f"Extra{i}", Description="", Type=SCP,
                               Content=DENY_DESCRIBE)["Policy"]["PolicySummary"]["Id"]
             for i in range(5)]
    for x in extra[:4]:
        org.attach_policy(PolicyId=x, TargetId=dev)
    with pytest.raises(org.exceptions.ConstraintViolationException):
        org.attach_policy(PolicyId=extra[4], TargetId=dev)
    for x in extra[:4]:
        org.detach_policy(PolicyId=x, TargetId=dev)
    for x in extra + [p]:
        org.delete_policy(PolicyId=x)


def test_attach_needs_the_type_enabled(org, root):
    p = org.create_policy(Name="Off", Description="", Type=SCP,
                          Content=DENY_DESCRIBE)["Policy"]["PolicySummary"]["Id"]
    with pytest.raises(org.exceptions.PolicyTypeNotEnabledException):
        org.attach_policy(PolicyId=p, TargetId=root)
    org.delete_policy(PolicyId=p)


def test_only_the_management_account_manages_policies(ferry):
    member = ferry.client("organizations", "dev")
    with pytest.raises(member.exceptions.AccessDeniedException):
        member.list_policies(Filter=SCP)
    with pytest.raises(member.exceptions.AccessDeniedException):
        member.create_policy(Name="x", Description="", Type=SCP, Content=DENY_DESCRIBE)


def test_deny_on_an_ou_blocks_members_even_their_root_never_the_management(ferry, org, root, scps):
    qa = ident(ferry, "qa")["Account"]
    ou = org.create_organizational_unit(ParentId=root, Name="Guarded")["OrganizationalUnit"]["Id"]
    org.move_account(AccountId=qa, SourceParentId=root, DestinationParentId=ou)
    p = org.create_policy(Name="GuardDescribe", Description="", Type=SCP,
                          Content=DENY_DESCRIBE)["Policy"]["PolicySummary"]["Id"]
    try:
        org.attach_policy(PolicyId=p, TargetId=ou)
        with pytest.raises(botocore.exceptions.ClientError) as e:
            ferry.client("organizations", "qa").describe_organization()
        assert code(e) == "AccessDeniedException"
        assert message(e) == (f"User: arn:aws:iam::{qa}:root is not authorized to perform: "
                              "organizations:DescribeOrganization with an explicit deny in a "
                              "service control policy")
        # the same through the CLI
        r = ferry.aws("organizations", "describe-organization", profile="qa", check=False)
        assert r.returncode != 0 and "AccessDeniedException" in r.stderr
        # an account outside the OU is not affected
        assert ferry.client("organizations", "dev").describe_organization()["Organization"]
        # SCPs never apply to the management account, even attached to the root
        org.attach_policy(PolicyId=p, TargetId=root)
        assert org.describe_organization()["Organization"]
        with pytest.raises(botocore.exceptions.ClientError):
            ferry.client("organizations", "dev").describe_organization()
        org.detach_policy(PolicyId=p, TargetId=root)
        # GetCallerIdentity needs no permission: an SCP cannot block it
        assert ident(ferry, "qa")["Account"] == qa
    finally:
        org.detach_policy(PolicyId=p, TargetId=ou)
        org.move_account(AccountId=qa, SourceParentId=ou, DestinationParentId=root)
        org.delete_policy(PolicyId=p)
    assert ferry.client("organizations", "qa").describe_organization()["Organization"]


def test_every_level_must_allow(ferry, org, root, scps):
    """An OU whose only SCP allows just STS: the root's FullAWSAccess is not enough."""
    prod = ident(ferry, "prod")["Account"]
    ou = org.create_organizational_unit(ParentId=root, Name="StsOnly")["OrganizationalUnit"]["Id"]
    org.move_account(AccountId=prod, SourceParentId=root, DestinationParentId=ou)
    p = org.create_policy(Name="StsOnly", Description="", Type=SCP, Content=doc(
        {"Effect": "Allow", "Action": "sts:*", "Resource": "*"}))["Policy"]["PolicySummary"]["Id"]
    try:
        org.attach_policy(PolicyId=p, TargetId=ou)
        org.detach_policy(PolicyId="p-FullAWSAccess", TargetId=ou)
        with pytest.raises(botocore.exceptions.ClientError) as e:
            ferry.client("organizations", "prod").describe_organization()
        assert message(e).endswith("because no service control policy allows the "
                                   "organizations:DescribeOrganization action")
        assert ferry.client("sts", "prod").get_access_key_info(
            AccessKeyId=ferry.keys("prod")[0])["Account"] == prod
    finally:
        org.attach_policy(PolicyId="p-FullAWSAccess", TargetId=ou)
        org.detach_policy(PolicyId=p, TargetId=ou)
        org.move_account(AccountId=prod, SourceParentId=ou, DestinationParentId=root)
        org.delete_policy(PolicyId=p)


def test_principal_org_paths_in_conditions(ferry, org, root, scps):
    """aws:PrincipalOrgPaths is o-xxx/r-xxx/ou-xxx/ for an account in an OU."""
    tools = ident(ferry, "tools")["Account"]
    o = org.describe_organization()["Organization"]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name="Paths")["OrganizationalUnit"]["Id"]
    org.move_account(AccountId=tools, SourceParentId=root, DestinationParentId=ou)
    p = org.create_policy(Name="ByPath", Description="", Type=SCP, Content=doc(
        {"Effect": "Deny", "Action": "organizations:DescribeOrganization", "Resource": "*",
         "Condition": {"ForAnyValue:StringEquals": {"aws:PrincipalOrgPaths": [f"{o}/{root}/{ou}/"]},
                       "StringEquals": {"aws:PrincipalOrgID": o}}}))["Policy"]["PolicySummary"]["Id"]
    try:
        org.attach_policy(PolicyId=p, TargetId=root)
        with pytest.raises(botocore.exceptions.ClientError):
            ferry.client("organizations", "tools").describe_organization()
        assert ferry.client("organizations", "dev").describe_organization()  # path o/r/ only
    finally:
        org.detach_policy(PolicyId=p, TargetId=root)
        org.move_account(AccountId=tools, SourceParentId=ou, DestinationParentId=root)
        org.delete_policy(PolicyId=p)


def test_disable_detaches_everything(ferry, org, root):
    org.enable_policy_type(RootId=root, PolicyType=SCP)
    dev = ident(ferry, "dev")["Account"]
    p = org.create_policy(Name="Gone", Description="", Type=SCP,
                          Content=DENY_DESCRIBE)["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=p, TargetId=dev)
    r = org.disable_policy_type(RootId=root, PolicyType=SCP)["Root"]
    assert r["PolicyTypes"] == []
    assert org.list_targets_for_policy(PolicyId=p)["Targets"] == []
    assert org.list_policies_for_target(TargetId=dev, Filter=SCP)["Policies"] == []
    assert ferry.client("organizations", "dev").describe_organization()
    org.delete_policy(PolicyId=p)


def test_cli_policy_commands(ferry, tmp_path):
    roots = ferry.aws("organizations", "list-roots").json["Roots"]
    root = roots[0]["Id"]
    ferry.aws("organizations", "enable-policy-type", "--root-id", root,
              "--policy-type", SCP)
    try:
        f = tmp_path / "scp.json"
        f.write_text(DENY_DESCRIBE)
        p = ferry.aws("organizations", "create-policy", "--name", "CliDeny", "--description", "cli",
                      "--type", SCP, "--content", f"file://{f}").json["Policy"]["PolicySummary"]["Id"]
        dev = ferry.aws("sts", "get-caller-identity", profile="dev").json["Account"]
        ferry.aws("organizations", "attach-policy", "--policy-id", p, "--target-id", dev)
        r = ferry.aws("organizations", "list-policies-for-target", "--target-id", dev,
                      "--filter", SCP)
        assert {x["Id"] for x in r.json["Policies"]} == {"p-FullAWSAccess", p}
        r = ferry.aws("organizations", "describe-organization", profile="dev", check=False)
        assert r.returncode != 0 and "explicit deny in a service control policy" in r.stderr
        r = ferry.aws("organizations", "attach-policy", "--policy-id", p, "--target-id", dev,
                      check=False)
        assert "DuplicatePolicyAttachmentException" in r.stderr
        r = ferry.aws("organizations", "delete-policy", "--policy-id", p, check=False)
        assert "PolicyInUseException" in r.stderr
        ferry.aws("organizations", "detach-policy", "--policy-id", p, "--target-id", dev)
        r = ferry.aws("organizations", "list-targets-for-policy", "--policy-id", p)
        assert r.json["Targets"] == []
        assert ferry.aws("organizations", "describe-policy", "--policy-id",
                         p).json["Policy"]["PolicySummary"]["Name"] == "CliDeny"
        ferry.aws("organizations", "update-policy", "--policy-id", p, "--name", "CliDeny2")
        assert "CliDeny2" in {x["Name"] for x in ferry.aws(
            "organizations", "list-policies", "--filter", SCP).json["Policies"]}
        ferry.aws("organizations", "delete-policy", "--policy-id", p)
    finally:
        ferry.aws("organizations", "disable-policy-type", "--root-id", root,
                  "--policy-type", SCP)
