"""Organizations beyond accounts, OUs and SCPs, through real clients: tags, trusted access,
delegated administrators, create-account status, OU update/delete, the resource policy,
closing and removing accounts, effective management policies, the organization's own
deletion rules, and durability of one of them across kill -9."""
import json
import signal

import boto3
import pytest
from ferrytest import acct, message, raises

TAG = "TAG_POLICY"


def new_account(ferry, org, name):
    """A member account made by CreateAccount and a session in it (through its
    OrganizationAccountAccessRole)."""
    st = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
    st = org.describe_create_account_status(CreateAccountRequestId=st["Id"])["CreateAccountStatus"]
    assert st["State"] == "SUCCEEDED"
    aid = st["AccountId"]
    creds = ferry.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{aid}:role/OrganizationAccountAccessRole",
        RoleSessionName="test")["Credentials"]
    sess = boto3.session.Session(aws_access_key_id=creds["AccessKeyId"],
                                 aws_secret_access_key=creds["SecretAccessKey"],
                                 aws_session_token=creds["SessionToken"],
                                 region_name=org.meta.region_name)
    return aid, sess


def test_tags_on_every_kind(ferry, org, root):
    dev = acct(ferry, "dev")
    ou = org.create_organizational_unit(ParentId=root, Name="Tagged",
                                        Tags=[{"Key": "team", "Value": "a"}])["OrganizationalUnit"]
    assert "Tags" not in ou
    pol = org.create_policy(Name="tp", Description="", Type="SERVICE_CONTROL_POLICY",
                            Content=json.dumps({"Version": "2012-10-17", "Statement": [
                                {"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
                            Tags=[{"Key": "k", "Value": "v"}])["Policy"]["PolicySummary"]
    assert org.list_tags_for_resource(ResourceId=ou["Id"])["Tags"] == [{"Key": "team", "Value": "a"}]
    assert org.list_tags_for_resource(ResourceId=pol["Id"])["Tags"] == [{"Key": "k", "Value": "v"}]
    for rid in (root, dev, ou["Id"], pol["Id"]):
        org.tag_resource(ResourceId=rid, Tags=[{"Key": "env", "Value": "x"}, {"Key": "o", "Value": "1"}])
        org.tag_resource(ResourceId=rid, Tags=[{"Key": "env", "Value": "y"}])
        org.untag_resource(ResourceId=rid, TagKeys=["o"])
        tags = {t["Key"]: t["Value"] for t in org.list_tags_for_resource(ResourceId=rid)["Tags"]}
        assert tags["env"] == "y" and "o" not in tags
    # views do not carry them
    assert "Tags" not in org.describe_account(AccountId=dev)["Account"]
    assert "Tags" not in org.list_roots()["Roots"][0]
    with pytest.raises(org.exceptions.TargetNotFoundException):
        org.tag_resource(ResourceId="ou-zzzz-zzzzzzzz", Tags=[{"Key": "a", "Value": "b"}])
    with pytest.raises(org.exceptions.TargetNotFoundException):
        org.list_tags_for_resource(ResourceId="p-zzzzzzzz")
    with pytest.raises(org.exceptions.TargetNotFoundException):
        org.list_tags_for_resource(ResourceId="111111111111")
    with pytest.raises(org.exceptions.InvalidInputException):
        org.list_tags_for_resource(ResourceId="nonsense")
    with pytest.raises(org.exceptions.ConstraintViolationException):
        org.tag_resource(ResourceId=dev, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    raises(ferry.client("organizations", "dev").list_tags_for_resource, "AccessDeniedException",
           ResourceId=dev)


def test_trusted_service_access(org):
    for sp in ("ram.amazonaws.com", "member.org.stacksets.cloudformation.amazonaws.com"):
        org.enable_aws_service_access(ServicePrincipal=sp)
    org.enable_aws_service_access(ServicePrincipal="ram.amazonaws.com")  # again: no change
    got = org.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    assert sorted(s["ServicePrincipal"] for s in got) == [
        "member.org.stacksets.cloudformation.amazonaws.com", "ram.amazonaws.com"]
    assert all("DateEnabled" in s for s in got)
    org.disable_aws_service_access(ServicePrincipal="ram.amazonaws.com")
    got = org.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    assert [s["ServicePrincipal"] for s in got] == ["member.org.stacksets.cloudformation.amazonaws.com"]
    with pytest.raises(org.exceptions.InvalidInputException):
        org.enable_aws_service_access(ServicePrincipal="not-a-service")


def test_delegated_administrators(ferry, org):
    dev, prod = acct(ferry, "dev"), acct(ferry, "prod")
    org.register_delegated_administrator(AccountId=dev, ServicePrincipal="config.amazonaws.com")
    org.register_delegated_administrator(AccountId=dev, ServicePrincipal="guardduty.amazonaws.com")
    org.register_delegated_administrator(AccountId=prod, ServicePrincipal="config.amazonaws.com")
    admins = org.list_delegated_administrators()["DelegatedAdministrators"]
    assert sorted(a["Id"] for a in admins) == sorted([dev, prod])
    assert all("DelegationEnabledDate" in a and a["Status"] == "ACTIVE" for a in admins)
    only = org.list_delegated_administrators(ServicePrincipal="guardduty.amazonaws.com")
    assert [a["Id"] for a in only["DelegatedAdministrators"]] == [dev]
    svcs = org.list_delegated_services_for_account(AccountId=dev)["DelegatedServices"]
    assert sorted(s["ServicePrincipal"] for s in svcs) == ["config.amazonaws.com", "guardduty.amazonaws.com"]
    with pytest.raises(org.exceptions.AccountAlreadyRegisteredException):
        org.register_delegated_administrator(AccountId=dev, ServicePrincipal="config.amazonaws.com")
    with pytest.raises(org.exceptions.ConstraintViolationException):
        org.register_delegated_administrator(AccountId=acct(ferry, "management"),
                                             ServicePrincipal="config.amazonaws.com")
    with pytest.raises(org.exceptions.AccountNotFoundException):
        org.register_delegated_administrator(AccountId="111111111111", ServicePrincipal="config.amazonaws.com")
    org.deregister_delegated_administrator(AccountId=prod, ServicePrincipal="config.amazonaws.com")
    with pytest.raises(org.exceptions.AccountNotRegisteredException):
        org.deregister_delegated_administrator(AccountId=prod, ServicePrincipal="config.amazonaws.com")
    with pytest.raises(org.exceptions.AccountNotRegisteredException):
        org.list_delegated_services_for_account(AccountId=prod)


def test_create_account_status_listing(org):
    st = org.create_account(AccountName="listed", Email="listed@example.com")["CreateAccountStatus"]
    dup = org.create_account(AccountName="listed2", Email="listed@example.com")["CreateAccountStatus"]
    ok = org.list_create_account_status(States=["SUCCEEDED"])["CreateAccountStatuses"]
    failed = org.list_create_account_status(States=["FAILED"])["CreateAccountStatuses"]
    assert st["Id"] in {s["Id"] for s in ok} and dup["Id"] not in {s["Id"] for s in ok}
    assert [s["FailureReason"] for s in failed if s["Id"] == dup["Id"]] == ["EMAIL_ALREADY_EXISTS"]
    assert len(org.list_create_account_status()["CreateAccountStatuses"]) >= 2
    with pytest.raises(org.exceptions.CreateAccountStatusNotFoundException):
        org.describe_create_account_status(CreateAccountRequestId="car-" + "0" * 32)


def test_ou_update_and_delete(ferry, org, root):
    a = org.create_organizational_unit(ParentId=root, Name="Alpha")["OrganizationalUnit"]
    org.create_organizational_unit(ParentId=root, Name="Beta")
    r = org.update_organizational_unit(OrganizationalUnitId=a["Id"], Name="Gamma")
    assert r["OrganizationalUnit"]["Name"] == "Gamma" and r["OrganizationalUnit"]["Id"] == a["Id"]
    assert org.describe_organizational_unit(OrganizationalUnitId=a["Id"])["OrganizationalUnit"]["Name"] == "Gamma"
    with pytest.raises(org.exceptions.DuplicateOrganizationalUnitException):
        org.update_organizational_unit(OrganizationalUnitId=a["Id"], Name="Beta")
    with pytest.raises(org.exceptions.OrganizationalUnitNotFoundException):
        org.update_organizational_unit(OrganizationalUnitId="ou-zzzz-zzzzzzzz", Name="X")
    child = org.create_organizational_unit(ParentId=a["Id"], Name="Child")["OrganizationalUnit"]
    with pytest.raises(org.exceptions.OrganizationalUnitNotEmptyException):
        org.delete_organizational_unit(OrganizationalUnitId=a["Id"])
    tools = acct(ferry, "tools")
    parent = org.list_parents(ChildId=tools)["Parents"][0]["Id"]
    org.move_account(AccountId=tools, SourceParentId=parent, DestinationParentId=child["Id"])
    with pytest.raises(org.exceptions.OrganizationalUnitNotEmptyException):
        org.delete_organizational_unit(OrganizationalUnitId=child["Id"])
    org.move_account(AccountId=tools, SourceParentId=child["Id"], DestinationParentId=parent)
    org.delete_organizational_unit(OrganizationalUnitId=child["Id"])
    org.delete_organizational_unit(OrganizationalUnitId=a["Id"])
    with pytest.raises(org.exceptions.OrganizationalUnitNotFoundException):
        org.delete_organizational_unit(OrganizationalUnitId=a["Id"])


def test_resource_policy(ferry, org):
    with pytest.raises(org.exceptions.ResourcePolicyNotFoundException):
        org.describe_resource_policy()
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct(ferry, 'dev')}:root"},
        "Action": "organizations:DescribeOrganization", "Resource": "*"}]})
    rp = org.put_resource_policy(Content=doc)["ResourcePolicy"]
    assert rp["ResourcePolicySummary"]["Id"].startswith("rp-")
    assert ":resourcepolicy/o-" in rp["ResourcePolicySummary"]["Arn"]
    again = org.put_resource_policy(Content=doc)["ResourcePolicy"]
    assert again["ResourcePolicySummary"] == rp["ResourcePolicySummary"]
    # members of the organization may read it
    got = ferry.client("organizations", "dev").describe_resource_policy()["ResourcePolicy"]
    assert json.loads(got["Content"]) == json.loads(doc)
    with pytest.raises(org.exceptions.MalformedPolicyDocumentException):
        org.put_resource_policy(Content='{"Version": "2012-10-17", "Statement": []')
    raises(ferry.client("organizations", "dev").delete_resource_policy, "AccessDeniedException")
    org.delete_resource_policy()
    with pytest.raises(org.exceptions.ResourcePolicyNotFoundException):
        org.delete_resource_policy()


def test_close_account_refuses_its_credentials(ferry, org):
    aid, sess = new_account(ferry, org, "closing")
    member = sess.client("sts", endpoint_url=ferry.endpoint)
    assert member.get_caller_identity()["Account"] == aid
    org.close_account(AccountId=aid)
    assert org.describe_account(AccountId=aid)["Account"]["Status"] == "SUSPENDED"
    raises(sess.client("s3", endpoint_url=ferry.endpoint).list_buckets, "InvalidClientTokenId",
           status=403)
    with pytest.raises(org.exceptions.AccountAlreadyClosedException):
        org.close_account(AccountId=aid)
    with pytest.raises(org.exceptions.ConstraintViolationException):
        org.close_account(AccountId=acct(ferry, "management"))
    with pytest.raises(org.exceptions.AccountNotFoundException):
        org.close_account(AccountId="111111111111")


def test_remove_and_leave(ferry, org):
    aid, sess = new_account(ferry, org, "leaving")
    org.register_delegated_administrator(AccountId=aid, ServicePrincipal="config.amazonaws.com")
    org.remove_account_from_organization(AccountId=aid)
    assert aid not in {a["Id"] for a in org.list_accounts()["Accounts"]}
    assert aid not in {a["Id"] for a in org.list_delegated_administrators()["DelegatedAdministrators"]}
    # standalone now: its credentials still work, Organizations says it is in none
    assert sess.client("sts", endpoint_url=ferry.endpoint).get_caller_identity()["Account"] == aid
    mine = sess.client("organizations", endpoint_url=ferry.endpoint)
    with pytest.raises(mine.exceptions.AWSOrganizationsNotInUseException):
        mine.describe_organization()
    with pytest.raises(org.exceptions.AccountNotFoundException):
        org.remove_account_from_organization(AccountId=aid)
    with pytest.raises(org.exceptions.MasterCannotLeaveOrganizationException):
        org.remove_account_from_organization(AccountId=acct(ferry, "management"))
    with pytest.raises(org.exceptions.MasterCannotLeaveOrganizationException):
        org.leave_organization()
    aid2, sess2 = new_account(ferry, org, "quitter")
    sess2.client("organizations", endpoint_url=ferry.endpoint).leave_organization()
    assert aid2 not in {a["Id"] for a in org.list_accounts()["Accounts"]}


def test_effective_tag_policy(ferry, org, root):
    dev = acct(ferry, "dev")
    with pytest.raises(org.exceptions.EffectivePolicyNotFoundException):
        org.describe_effective_policy(PolicyType=TAG, TargetId=dev)
    org.enable_policy_type(RootId=root, PolicyType=TAG)
    with pytest.raises(org.exceptions.MalformedPolicyDocumentException):
        org.create_policy(Name="bad", Description="", Type=TAG, Content='{"plans": {}}')
    with pytest.raises(org.exceptions.MalformedPolicyDocumentException):
        org.create_policy(Name="bad", Description="", Type=TAG, Content="not json")
    top = org.create_policy(Name="top", Description="", Type=TAG, Content=json.dumps(
        {"tags": {"costcenter": {"tag_key": {"@@assign": "CostCenter"},
                                 "tag_value": {"@@assign": ["100", "200"]}}}}))["Policy"]["PolicySummary"]
    low = org.create_policy(Name="low", Description="", Type=TAG, Content=json.dumps(
        {"tags": {"costcenter": {"tag_value": {"@@append": ["300"]}},
                  "project": {"tag_key": {"@@assign": "Project"}}}}))["Policy"]["PolicySummary"]
    org.attach_policy(PolicyId=top["Id"], TargetId=root)
    org.attach_policy(PolicyId=low["Id"], TargetId=dev)
    eff = org.describe_effective_policy(PolicyType=TAG, TargetId=dev)["EffectivePolicy"]
    assert eff["TargetId"] == dev and eff["PolicyType"] == TAG
    assert json.loads(eff["PolicyContent"]) == {"tags": {
        "costcenter": {"tag_key": "CostCenter", "tag_value": ["100", "200", "300"]},
        "project": {"tag_key": "Project"}}}
    # a member asks for itself, and only for itself
    mine = ferry.client("organizations", "dev").describe_effective_policy(PolicyType=TAG)
    assert mine["EffectivePolicy"]["PolicyContent"] == eff["PolicyContent"]
    raises(ferry.client("organizations", "dev").describe_effective_policy, "AccessDeniedException",
           PolicyType=TAG, TargetId=acct(ferry, "prod"))
    with pytest.raises(org.exceptions.InvalidInputException):
        org.describe_effective_policy(PolicyType=TAG, TargetId=root)
    with pytest.raises(org.exceptions.TargetNotFoundException):
        org.describe_effective_policy(PolicyType=TAG, TargetId="111111111111")
    org.detach_policy(PolicyId=low["Id"], TargetId=dev)
    org.detach_policy(PolicyId=top["Id"], TargetId=root)
    with pytest.raises(org.exceptions.EffectivePolicyNotFoundException):
        org.describe_effective_policy(PolicyType=TAG, TargetId=dev)
    org.disable_policy_type(RootId=root, PolicyType=TAG)


def test_policy_type_documents(org, root):
    for ty, good, bad in (
            ("BACKUP_POLICY", {"plans": {}}, {"tags": {}}),
            ("AISERVICES_OPT_OUT_POLICY", {"services": {"default": {"opt_out_policy": {"@@assign": "optOut"}}}},
             {"plans": {}}),
            ("DECLARATIVE_POLICY_EC2", {"ec2_attributes": {}}, {"services": {}})):
        org.create_policy(Name=f"ok-{ty}", Description="", Type=ty, Content=json.dumps(good))
        with pytest.raises(org.exceptions.MalformedPolicyDocumentException):
            org.create_policy(Name=f"bad-{ty}", Description="", Type=ty, Content=json.dumps(bad))
        r = org.enable_policy_type(RootId=root, PolicyType=ty)["Root"]
        assert {"Type": ty, "Status": "ENABLED"} in r["PolicyTypes"]
        org.disable_policy_type(RootId=root, PolicyType=ty)


def test_organization_wide_answers(ferry, org):
    with pytest.raises(org.exceptions.HandshakeConstraintViolationException) as e:
        org.enable_all_features()
    assert "ORGANIZATION_ALREADY_HAS_ALL_FEATURES" in message(e)
    with pytest.raises(org.exceptions.AccessDeniedException):
        org.create_gov_cloud_account(AccountName="gov", Email="gov@example.com")
    with pytest.raises(org.exceptions.OrganizationNotEmptyException):
        org.delete_organization()
    out = ferry.aws("organizations", "list-aws-service-access-for-organization").json
    assert "EnabledServicePrincipals" in out


def test_delete_organization_when_alone():
    from ferrytest import Ferry
    f = Ferry().start()
    try:
        f.init()
        org = f.client("organizations", "management")
        for a in org.list_accounts()["Accounts"]:
            if a["Id"] != acct(f, "management"):
                org.remove_account_from_organization(AccountId=a["Id"])
        org.delete_organization()
        with pytest.raises(org.exceptions.AWSOrganizationsNotInUseException):
            org.describe_organization()
    finally:
        f.close()


def test_kill9_keeps_tags(ferry, org, root):
    org.tag_resource(ResourceId=root, Tags=[{"Key": "durable", "Value": "yes"}])
    ferry.stop(signal.SIGKILL)
    ferry.start()
    org = ferry.client("organizations", "management")
    tags = org.list_tags_for_resource(ResourceId=root)["Tags"]
    assert {"Key": "durable", "Value": "yes"} in tags


def test_handshakes_invite_a_standalone_account(ferry, org, root):
    aid, sess = new_account(ferry, org, "wanderer")
    org.remove_account_from_organization(AccountId=aid)
    mine = sess.client("organizations", endpoint_url=ferry.endpoint)
    h = org.invite_account_to_organization(Target={"Id": aid, "Type": "ACCOUNT"},
                                           Notes="come back")["Handshake"]
    assert h["State"] == "OPEN" and h["Action"] == "INVITE" and h["Id"].startswith("h-")
    assert {"Id": aid, "Type": "ACCOUNT"} in h["Parties"]
    assert {"Value": "come back", "Type": "NOTES"} in h["Resources"]
    with pytest.raises(org.exceptions.DuplicateHandshakeException):
        org.invite_account_to_organization(Target={"Id": aid, "Type": "ACCOUNT"})
    assert [x["Id"] for x in mine.list_handshakes_for_account()["Handshakes"]] == [h["Id"]]
    assert mine.describe_handshake(HandshakeId=h["Id"])["Handshake"]["State"] == "OPEN"
    assert mine.decline_handshake(HandshakeId=h["Id"])["Handshake"]["State"] == "DECLINED"
    with pytest.raises(mine.exceptions.InvalidHandshakeTransitionException):
        mine.accept_handshake(HandshakeId=h["Id"])
    # invited again, by the email it had; a member cannot accept it for it
    h2 = org.invite_account_to_organization(Target={"Id": "wanderer@example.com", "Type": "EMAIL"})["Handshake"]
    raises(ferry.client("organizations", "dev").accept_handshake, "AccessDeniedException",
           HandshakeId=h2["Id"])
    got = mine.accept_handshake(HandshakeId=h2["Id"])["Handshake"]
    assert got["State"] == "ACCEPTED"
    a = org.describe_account(AccountId=aid)["Account"]
    assert a["JoinedMethod"] == "INVITED" and a["Name"] == "wanderer" and a["Status"] == "ACTIVE"
    assert org.list_parents(ChildId=aid)["Parents"][0]["Id"] == root
    assert mine.describe_organization()["Organization"]["Id"] == org.describe_organization()["Organization"]["Id"]
    states = {x["Id"]: x["State"] for x in org.list_handshakes_for_organization()["Handshakes"]}
    assert states[h["Id"]] == "DECLINED" and states[h2["Id"]] == "ACCEPTED"
    # errors: a member already, an unknown id, cancelling what is done, a bad target
    with pytest.raises(org.exceptions.HandshakeConstraintViolationException) as e:
        org.invite_account_to_organization(Target={"Id": aid, "Type": "ACCOUNT"})
    assert "ALREADY_IN_AN_ORGANIZATION" in message(e)
    with pytest.raises(org.exceptions.HandshakeNotFoundException):
        org.describe_handshake(HandshakeId="h-0000000000")
    with pytest.raises(org.exceptions.InvalidHandshakeTransitionException):
        org.cancel_handshake(HandshakeId=h2["Id"])
    with pytest.raises(org.exceptions.InvalidInputException):
        org.invite_account_to_organization(Target={"Id": "12", "Type": "ACCOUNT"})
    # the management account cancels an open one
    org.remove_account_from_organization(AccountId=aid)
    h3 = org.invite_account_to_organization(Target={"Id": aid, "Type": "ACCOUNT"})["Handshake"]
    assert org.cancel_handshake(HandshakeId=h3["Id"])["Handshake"]["State"] == "CANCELED"
    with pytest.raises(mine.exceptions.InvalidHandshakeTransitionException):
        mine.accept_handshake(HandshakeId=h3["Id"])
