"""AWS RAM through boto3 and the aws CLI (rest-json): resource shares of meshes (and subnets,
checked in EC2), invitations inside the organization while sharing with it is off and to
accounts outside it, automatic acceptance inside the organization once the management
account enables sharing (accounts, the organization, an OU), associations, tags, client
tokens, AWS's managed permissions, the errors as AWS words them, AWS::RAM::ResourceShare,
and shares surviving kill -9."""
import json
import os
import signal
import subprocess

import boto3
import pytest
from ferrytest import AWS_BIN, acct, raises, stack_wait

REGION = "us-east-1"
ORG_ONLY = ("The resource you are attempting to share can only be shared within your AWS "
            "Organization. This error may also occur if you have not enabled sharing with "
            "your AWS organization, or that onboarding process is still in progress.")


@pytest.fixture(scope="module")
def ram(ferry):
    return {p: ferry.client("ram", p, region=REGION)
            for p in ("management", "tools", "dev", "qa", "prod")}


@pytest.fixture(scope="module")
def ids(ferry):
    return {p: acct(ferry, p) for p in ("management", "tools", "dev", "qa", "prod")}


def mesh(account, name):
    return f"arn:aws:appmesh:{REGION}:{account}:mesh/{name}"


def received(client, arn=None):
    """The resource ARNs other accounts share with client's account (in the share arn)."""
    kw = {"resourceShareArns": [arn]} if arn else {}
    return [x["arn"] for x in client.list_resources(resourceOwner="OTHER-ACCOUNTS",
                                                    **kw)["resources"]]


def own_share(client, arn):
    return client.get_resource_shares(resourceOwner="SELF",
                                      resourceShareArns=[arn])["resourceShares"][0]


def create_stack(cfn, name, body, account2):
    cfn.create_stack(StackName=name, TemplateBody=body,
                     Parameters=[{"ParameterKey": "Account2AccountId", "ParameterValue": account2}])
    return stack_wait(cfn, name)


def assocs(client, arn, kind):
    return {a["associatedEntity"]: a for a in client.get_resource_share_associations(
        associationType=kind, resourceShareArns=[arn])["resourceShareAssociations"]}


# --- before sharing with the organization is enabled: invitations -----------------------

def test_invitations_inside_the_organization(ram, ids):
    tools, dev, qa = ram["tools"], ram["dev"], ram["qa"]
    m = mesh(ids["tools"], "inv-mesh")
    # AWS: without sharing enabled, an account of the organization is invited
    raises(tools.create_resource_share, "OperationNotPermittedException", ORG_ONLY,
           name="closed", resourceArns=[m], principals=[ids["dev"]],
           allowExternalPrincipals=False)
    r = tools.create_resource_share(name="inv", resourceArns=[m],
                                    principals=[ids["dev"], ids["qa"]])
    share = r["resourceShare"]
    arn = share["resourceShareArn"]
    assert arn.startswith(f"arn:aws:ram:{REGION}:{ids['tools']}:resource-share/")
    assert share["status"] == "ACTIVE" and share["owningAccountId"] == ids["tools"]
    assert share["allowExternalPrincipals"] is True and share["featureSet"] == "STANDARD"
    pr = assocs(tools, arn, "PRINCIPAL")
    assert {k: (v["status"], v["external"]) for k, v in pr.items()} == {
        ids["dev"]: ("ASSOCIATING", False), ids["qa"]: ("ASSOCIATING", False)}
    assert assocs(tools, arn, "RESOURCE")[m]["status"] == "ASSOCIATED"
    # pending: not shared yet
    assert dev.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"] == []
    assert received(dev) == []
    inv = dev.get_resource_share_invitations(resourceShareArns=[arn])
    inv = inv["resourceShareInvitations"]
    assert len(inv) == 1 and inv[0]["status"] == "PENDING"
    assert inv[0]["senderAccountId"] == ids["tools"] and inv[0]["receiverAccountId"] == ids["dev"]
    assert inv[0]["resourceShareName"] == "inv" and inv[0]["resourceShareArn"] == arn
    pending = dev.list_pending_invitation_resources(
        resourceShareInvitationArn=inv[0]["resourceShareInvitationArn"])["resources"]
    assert [(x["arn"], x["type"], x["resourceShareArn"]) for x in pending] == [
        (m, "appmesh:Mesh", arn)]
    # the invitation is the receiver's alone
    raises(qa.accept_resource_share_invitation, "ResourceShareInvitationArnNotFoundException",
           resourceShareInvitationArn=inv[0]["resourceShareInvitationArn"])
    a = dev.accept_resource_share_invitation(
        resourceShareInvitationArn=inv[0]["resourceShareInvitationArn"])
    assert a["resourceShareInvitation"]["status"] == "ACCEPTED"
    raises(dev.accept_resource_share_invitation,
           "ResourceShareInvitationAlreadyAcceptedException",
           resourceShareInvitationArn=inv[0]["resourceShareInvitationArn"])
    assert assocs(tools, arn, "PRINCIPAL")[ids["dev"]]["status"] == "ASSOCIATED"
    got = dev.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"]
    assert [s["resourceShareArn"] for s in got] == [arn]
    res = dev.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"]
    assert [(x["arn"], x["type"], x["status"]) for x in res] == [(m, "appmesh:Mesh", "AVAILABLE")]
    assert dev.list_resources(resourceOwner="OTHER-ACCOUNTS",
                              principal=ids["tools"])["resources"] != []
    assert dev.list_resources(resourceOwner="OTHER-ACCOUNTS",
                              principal=ids["qa"])["resources"] == []
    # qa rejects: it never gets the mesh; the owner sees the association go
    qinv = qa.get_resource_share_invitations()["resourceShareInvitations"][0]
    rj = qa.reject_resource_share_invitation(
        resourceShareInvitationArn=qinv["resourceShareInvitationArn"])
    assert rj["resourceShareInvitation"]["status"] == "REJECTED"
    raises(qa.accept_resource_share_invitation, "ResourceShareInvitationAlreadyRejectedException",
           resourceShareInvitationArn=qinv["resourceShareInvitationArn"])
    assert qa.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"] == []
    raises(qa.list_pending_invitation_resources,
           "ResourceShareInvitationAlreadyRejectedException",
           resourceShareInvitationArn=qinv["resourceShareInvitationArn"])
    assert assocs(tools, arn, "PRINCIPAL")[ids["qa"]]["status"] == "DISASSOCIATED"
    # SELF listings of the owner
    own = tools.list_principals(resourceOwner="SELF", resourceShareArns=[arn])["principals"]
    assert [p["id"] for p in own] == [ids["dev"]]
    assert tools.list_resources(resourceOwner="SELF", principal=ids["dev"])["resources"][0]["arn"] == m
    other = dev.list_principals(resourceOwner="OTHER-ACCOUNTS")["principals"]
    assert [(p["id"], p["resourceShareArn"]) for p in other] == [(ids["dev"], arn)]
    raises(dev.accept_resource_share_invitation, "MalformedArnException",
           resourceShareInvitationArn="not-an-arn")


def test_errors(ram, ids, ferry):
    tools = ram["tools"]
    raises(tools.create_resource_share, "MalformedArnException", name="x",
           resourceArns=["arn:aws:appmesh"])
    raises(tools.create_resource_share, "MalformedArnException", name="x",
           resourceArns=[f"arn:aws:appmesh:{REGION}:{ids['tools']}:mesh/"])
    # only the owner shares a resource, from its region
    raises(tools.create_resource_share, "UnknownResourceException",
           f"Resource {mesh(ids['dev'], 'theirs')} could not be found.",
           name="x", resourceArns=[mesh(ids["dev"], "theirs")])
    raises(tools.create_resource_share, "UnknownResourceException", name="x",
           resourceArns=[f"arn:aws:appmesh:eu-west-1:{ids['tools']}:mesh/m"])
    # a subnet EC2 does not have
    raises(tools.create_resource_share, "UnknownResourceException", name="x",
           resourceArns=[f"arn:aws:ec2:{REGION}:{ids['tools']}:subnet/subnet-0123456789abcdef0"])
    raises(tools.create_resource_share, "InvalidParameterException",
           "Principal ID o-123random is malformed. Verify the ID and try again.",
           name="x", principals=["o-123random"])
    raises(tools.create_resource_share, "UnknownResourceException",
           "Organization o-zzzzzzzzzz could not be found.", name="x",
           principals=[f"arn:aws:organizations::{ids['management']}:organization/o-zzzzzzzzzz"])
    raises(tools.create_resource_share, "InvalidParameterException", name="x",
           principals=[ids["tools"]])
    raises(tools.get_resource_shares, "ValidationException", resourceOwner="ME")
    raises(tools.get_resource_shares, "MalformedArnException", resourceOwner="SELF",
           resourceShareArns=["arn:aws:sqs:us-east-1:123456789012:q"])
    bad = f"arn:aws:ram:{REGION}:{ids['tools']}:resource-share/00000000-0000-4000-8000-000000000000"
    raises(tools.update_resource_share, "UnknownResourceException",
           f"ResourceShare {bad} could not be found.", resourceShareArn=bad, name="y")
    # another account's share is unknown to the caller
    s = tools.create_resource_share(name="mine")["resourceShare"]["resourceShareArn"]
    raises(ram["dev"].delete_resource_share, "UnknownResourceException", resourceShareArn=s)
    raises(ram["dev"].associate_resource_share, "UnknownResourceException",
           resourceShareArn=s, principals=[ids["qa"]])
    # only the management account enables sharing with the organization
    raises(ram["dev"].enable_sharing_with_aws_organization, "OperationNotPermittedException")
    # client tokens: the same request answers the same; another one with it is refused
    a = tools.create_resource_share(name="tok", clientToken="tok-1")
    b = tools.create_resource_share(name="tok", clientToken="tok-1")
    assert a["resourceShare"]["resourceShareArn"] == b["resourceShare"]["resourceShareArn"]
    assert b["clientToken"] == "tok-1"
    raises(tools.create_resource_share, "IdempotentParameterMismatchException", name="other",
           clientToken="tok-1")
    raises(tools.get_resource_shares, "InvalidNextTokenException", resourceOwner="SELF",
           nextToken="garbage")
    raises(tools.get_permission, "UnknownResourceException",
           permissionArn="arn:aws:ram::aws:permission/AWSRAMDefaultPermissionNope")
    # the CLI sees the same errors
    r = ferry.aws("ram", "get-resource-shares", "--resource-owner", "NOBODY", profile="tools",
                  region=REGION, check=False)
    assert r.returncode != 0 and "ValidationException" in r.stderr


# --- sharing with the organization: no invitations ---------------------------------------

def test_organization_sharing_accepts_automatically(ferry, ram, ids):
    mg, tools, dev, qa, prod = (ram[p] for p in ("management", "tools", "dev", "qa", "prod"))
    assert mg.enable_sharing_with_aws_organization()["returnValue"] is True
    m = mesh(ids["tools"], "org-mesh")
    arn = tools.create_resource_share(name="org", resourceArns=[m], principals=[ids["dev"]],
                                      allowExternalPrincipals=False,
                                      tags=[{"key": "team", "value": "mesh"}])
    arn = arn["resourceShare"]["resourceShareArn"]
    assert assocs(tools, arn, "PRINCIPAL")[ids["dev"]]["status"] == "ASSOCIATED"
    assert not [i for i in dev.get_resource_share_invitations()["resourceShareInvitations"]
                if i["resourceShareArn"] == arn]
    assert arn in [s["resourceShareArn"] for s in
                   dev.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"]]
    assert received(qa, arn) == []
    # the whole organization
    org = ferry.client("organizations", "management").describe_organization()["Organization"]
    r = tools.associate_resource_share(resourceShareArn=arn, principals=[org["Arn"]])
    assert [(a["associatedEntity"], a["status"]) for a in r["resourceShareAssociations"]] == [
        (org["Arn"], "ASSOCIATING")]
    assert assocs(tools, arn, "PRINCIPAL")[org["Arn"]]["status"] == "ASSOCIATED"
    assert received(qa, arn) == [m]
    tools.disassociate_resource_share(resourceShareArn=arn, principals=[org["Arn"]])
    assert received(qa, arn) == []
    # an OU: prod moves into it and gets the share, qa (outside it) does not
    o = ferry.client("organizations", "management")
    root = o.list_roots()["Roots"][0]["Id"]
    ou = o.create_organizational_unit(ParentId=root, Name="Shared")["OrganizationalUnit"]
    o.move_account(AccountId=ids["prod"], SourceParentId=root, DestinationParentId=ou["Id"])
    tools.associate_resource_share(resourceShareArn=arn, principals=[ou["Arn"]])
    assert received(prod, arn) == [m]
    assert received(qa, arn) == []
    raises(tools.associate_resource_share, "UnknownResourceException",
           resourceShareArn=arn,
           principals=[ou["Arn"].rsplit("/", 1)[0] + "/ou-zzzz-zzzzzzzz"])
    # filters of GetResourceShares
    got = tools.get_resource_shares(resourceOwner="SELF", tagFilters=[
        {"tagKey": "team", "tagValues": ["mesh"]}])["resourceShares"]
    assert [s["resourceShareArn"] for s in got] == [arn]
    assert tools.get_resource_shares(resourceOwner="SELF", name="org")["resourceShares"][0][
        "tags"] == [{"key": "team", "value": "mesh"}]
    perm = "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionAppMesh"
    assert arn in [s["resourceShareArn"] for s in tools.get_resource_shares(
        resourceOwner="SELF", permissionArn=perm)["resourceShares"]]
    p = tools.list_resource_share_permissions(resourceShareArn=arn)["permissions"]
    assert [x["arn"] for x in p] == [perm]


def test_subnets_inside_the_organization(ferry, ram, ids):
    """A shared subnet is EC2's: the participant describes it (and its VPC) with the owner's
    OwnerId while the share holds it, and no longer once it is disassociated."""
    ec2 = ferry.client("ec2", "tools", region=REGION)
    vid = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subs = [ec2.create_subnet(VpcId=vid, CidrBlock=f"10.20.{i}.0/24")["Subnet"]
            for i in (1, 2)]
    arns = [x["SubnetArn"] for x in subs]
    assert arns[0] == f"arn:aws:ec2:{REGION}:{ids['tools']}:subnet/{subs[0]['SubnetId']}"
    tools = ram["tools"]
    # AWS: subnets are not shared by invitation, even when the share allows it
    raises(tools.create_resource_share, "OperationNotPermittedException", ORG_ONLY,
           name="net-out", resourceArns=arns, principals=["999999999999"])
    # another account's subnet is not the caller's to share
    raises(ram["dev"].create_resource_share, "UnknownResourceException", name="theirs",
           resourceArns=arns[:1])
    arn = tools.create_resource_share(name="net", resourceArns=arns, principals=[ids["qa"]])
    arn = arn["resourceShare"]["resourceShareArn"]
    assert sorted(received(ram["qa"], arn)) == sorted(arns)
    qa_ec2 = ferry.client("ec2", "qa", region=REGION)
    seen = qa_ec2.describe_subnets(Filters=[{"Name": "owner-id", "Values": [ids["tools"]]}])
    assert sorted((x["SubnetId"], x["OwnerId"]) for x in seen["Subnets"]) == sorted(
        (x["SubnetId"], ids["tools"]) for x in subs)
    r = ferry.aws("ec2", "describe-vpcs", "--filters", f"Name=owner-id,Values={ids['tools']}",
                  "--query", "Vpcs[*].VpcId", profile="qa", region=REGION)
    assert r.json == [vid]
    # dev was not given them
    assert ferry.client("ec2", "dev", region=REGION).describe_subnets(
        Filters=[{"Name": "owner-id", "Values": [ids["tools"]]}])["Subnets"] == []
    perms = tools.list_resource_share_permissions(resourceShareArn=arn)["permissions"]
    assert [x["name"] for x in perms] == ["AWSRAMDefaultPermissionSubnet"]
    tools.disassociate_resource_share(resourceShareArn=arn, resourceArns=arns[1:])
    seen = qa_ec2.describe_subnets(Filters=[{"Name": "owner-id", "Values": [ids["tools"]]}])
    assert [x["SubnetId"] for x in seen["Subnets"]] == [subs[0]["SubnetId"]]
    tools.delete_resource_share(resourceShareArn=arn)
    assert qa_ec2.describe_subnets(
        Filters=[{"Name": "owner-id", "Values": [ids["tools"]]}])["Subnets"] == []


def test_share_lifecycle(ram, ids):
    tools, dev = ram["tools"], ram["dev"]
    m1, m2 = mesh(ids["tools"], "life-1"), mesh(ids["tools"], "life-2")
    arn = tools.create_resource_share(name="life", resourceArns=[m1],
                                      principals=[ids["dev"]])["resourceShare"]
    assert arn["name"] == "life"
    arn = arn["resourceShareArn"]
    u = tools.update_resource_share(resourceShareArn=arn, name="life2",
                                    allowExternalPrincipals=False)["resourceShare"]
    assert u["name"] == "life2" and u["allowExternalPrincipals"] is False
    r = tools.associate_resource_share(resourceShareArn=arn, resourceArns=[m2])
    assert [(a["associatedEntity"], a["associationType"], a["status"])
            for a in r["resourceShareAssociations"]] == [(m2, "RESOURCE", "ASSOCIATING")]
    assert {a["associatedEntity"]: a["status"] for a in tools.get_resource_share_associations(
        associationType="RESOURCE", resourceArn=m2)["resourceShareAssociations"]} == {
        m2: "ASSOCIATED"}
    raises(tools.get_resource_share_associations, "InvalidParameterException",
           associationType="PRINCIPAL", resourceArn=m2)
    d = tools.disassociate_resource_share(resourceShareArn=arn, resourceArns=[m1])
    assert d["resourceShareAssociations"][0]["status"] == "DISASSOCIATING"
    assert received(dev, arn) == [m2]
    raises(tools.disassociate_resource_share, "UnknownResourceException",
           resourceShareArn=arn, resourceArns=[m1])
    # tags
    tools.tag_resource(resourceShareArn=arn, tags=[{"key": "a", "value": "1"},
                                                   {"key": "b", "value": "2"}])
    tools.untag_resource(resourceShareArn=arn, tagKeys=["a"])
    got = tools.get_resource_shares(resourceOwner="SELF", resourceShareArns=[arn])
    assert got["resourceShares"][0]["tags"] == [{"key": "b", "value": "2"}]
    raises(tools.tag_resource, "TagPolicyViolationException", resourceShareArn=arn,
           tags=[{"key": "aws:x", "value": "1"}])
    # delete: DELETED, nothing shared any more, no more changes
    assert tools.delete_resource_share(resourceShareArn=arn)["returnValue"] is True
    got = tools.get_resource_shares(resourceOwner="SELF", resourceShareArns=[arn])
    assert got["resourceShares"][0]["status"] == "DELETED"
    assert tools.get_resource_shares(resourceOwner="SELF", resourceShareArns=[arn],
                                     resourceShareStatus="ACTIVE")["resourceShares"] == []
    assert received(dev, arn) == []
    raises(tools.associate_resource_share, "InvalidStateTransitionException",
           resourceShareArn=arn, resourceArns=[m1])
    # pages
    for i in range(3):
        tools.create_resource_share(name=f"page-{i}")
    seen, token = [], None
    while True:
        kw = {"nextToken": token} if token else {}
        p = tools.get_resource_shares(resourceOwner="SELF", maxResults=2, **kw)
        seen += p["resourceShares"]
        token = p.get("nextToken")
        assert len(p["resourceShares"]) <= 2
        if not token:
            break
    assert {"page-0", "page-1", "page-2"} <= {s["name"] for s in seen}
    raises(tools.get_resource_shares, "ValidationException", resourceOwner="SELF",
           maxResults=501)


def test_permissions_and_resource_types(ram):
    tools = ram["tools"]
    perms = {p["name"]: p for p in tools.list_permissions()["permissions"]}
    assert set(perms) == {"AWSRAMDefaultPermissionSubnet", "AWSRAMDefaultPermissionAppMesh"}
    s = perms["AWSRAMDefaultPermissionSubnet"]
    assert s["arn"] == "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionSubnet"
    assert s["resourceType"] == "ec2:Subnet" and s["isResourceTypeDefault"] is True
    assert s["version"] == "1" and s["defaultVersion"] is True
    only = tools.list_permissions(resourceType="appmesh:Mesh")["permissions"]
    assert [p["name"] for p in only] == ["AWSRAMDefaultPermissionAppMesh"]
    g = tools.get_permission(permissionArn=s["arn"])["permission"]
    assert "ec2:DescribeSubnets" in json.loads(g["permission"])["Action"]
    types = {t["resourceType"]: t for t in tools.list_resource_types()["resourceTypes"]}
    assert types["ec2:Subnet"]["serviceName"] == "ec2"
    assert types["appmesh:Mesh"]["resourceRegionScope"] == "REGIONAL"


def test_cli(ferry, ids):
    m = mesh(ids["qa"], "cli-mesh")
    r = ferry.aws("ram", "create-resource-share", "--name", "cli", "--resource-arns", m,
                  "--principals", ids["prod"], profile="qa", region=REGION).json
    arn = r["resourceShare"]["resourceShareArn"]
    got = ferry.aws("ram", "list-resources", "--resource-owner", "OTHER-ACCOUNTS",
                    "--resource-share-arns", arn, profile="prod", region=REGION).json
    assert [x["arn"] for x in got["resources"]] == [m]


# --- CloudFormation --------------------------------------------------------------------

SHARE_TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Account2AccountId: {Type: String}
  MeshName: {Type: String, Default: cfn-mesh}
Resources:
  MeshShare:
    Type: AWS::RAM::ResourceShare
    Properties:
      Name: %(name)s
      AllowExternalPrincipals: false
      ResourceArns:
        - !Sub arn:${AWS::Partition}:appmesh:${AWS::Region}:${AWS::AccountId}:mesh/${MeshName}
      Principals: %(principals)s
      Tags: [{Key: purpose, Value: seed004}]
Outputs:
  ShareRef: {Value: !Ref MeshShare}
  ShareArn: {Value: !GetAtt MeshShare.Arn}
"""


def test_cloudformation_resource_share(ferry, ram, ids):
    cfn = ferry.client("cloudformation", "tools", region=REGION)
    body = SHARE_TEMPLATE % {"name": "mesh-share", "principals": "[!Ref Account2AccountId]"}
    s = create_stack(cfn, "ram-share", body, ids["dev"])
    assert s["StackStatus"] == "CREATE_COMPLETE", s
    out = {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}
    arn = out["ShareRef"]
    assert arn == out["ShareArn"] and arn.startswith(f"arn:aws:ram:{REGION}:{ids['tools']}:")
    m = mesh(ids["tools"], "cfn-mesh")
    assert received(ram["dev"], arn) == [m]
    share = own_share(ram["tools"], arn)
    tags = {t["key"]: t["value"] for t in share["tags"]}
    assert tags["purpose"] == "seed004" and tags["aws:cloudformation:logical-id"] == "MeshShare"
    # in place: a new name and principal set
    body = SHARE_TEMPLATE % {"name": "mesh-share-2", "principals": f"['{ids['qa']}']"}
    cfn.update_stack(StackName="ram-share", TemplateBody=body,
                     Parameters=[{"ParameterKey": "Account2AccountId", "UsePreviousValue": True}])
    s = stack_wait(cfn, "ram-share")
    assert s["StackStatus"] == "UPDATE_COMPLETE", s
    assert {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}["ShareRef"] == arn
    share = own_share(ram["tools"], arn)
    assert share["name"] == "mesh-share-2"
    assert received(ram["dev"], arn) == []
    assert received(ram["qa"], arn) == [m]
    # a bad principal fails the stack with RAM's error, and rolls back
    body = SHARE_TEMPLATE % {"name": "bad", "principals": "['o-123random']"}
    s = create_stack(cfn, "ram-bad", body, ids["dev"])
    assert s["StackStatus"] == "ROLLBACK_COMPLETE", s
    ev = cfn.describe_stack_events(StackName="ram-bad")["StackEvents"]
    assert any("Principal ID o-123random is malformed" in (e.get("ResourceStatusReason") or "")
               for e in ev)
    assert not [x for x in ram["tools"].get_resource_shares(
        resourceOwner="SELF", name="bad", resourceShareStatus="ACTIVE")["resourceShares"]]
    cfn.delete_stack(StackName="ram-share")
    assert stack_wait(cfn, "ram-share") is None
    share = own_share(ram["tools"], arn)
    assert share["status"] == "DELETED"


SEED004_REAL = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "seed004-real")

# Step 1's exports, of subnets made through EC2's API (until EC2 has its CloudFormation types)
INFRA_EXPORTS = """
Parameters:
  Vpc: {Type: String}
  Subnets: {Type: CommaDelimitedList}
Resources:
  Nothing: {Type: AWS::CloudFormation::WaitConditionHandle}
Outputs:
  VPC: {Value: !Ref Vpc, Export: {Name: !Sub '${AWS::StackName}-VPC'}}
  PublicSubnet1: {Value: !Select [0, !Ref Subnets], Export: {Name: !Sub '${AWS::StackName}-PublicSubnet1'}}
  PublicSubnet2: {Value: !Select [1, !Ref Subnets], Export: {Name: !Sub '${AWS::StackName}-PublicSubnet2'}}
  PrivateSubnet1: {Value: !Select [2, !Ref Subnets], Export: {Name: !Sub '${AWS::StackName}-PrivateSubnet1'}}
  PrivateSubnet2: {Value: !Select [3, !Ref Subnets], Export: {Name: !Sub '${AWS::StackName}-PrivateSubnet2'}}
"""


def test_seed004_mesh_and_vpc_share(ferry, ram, ids):
    """examples/seed004-real's step 3 with `aws cloudformation deploy`, as the seed runs it
    (sharing with the organization is on): account 2 gets the mesh and describes the subnets
    and their VPC as account 1's."""
    ec2 = ferry.client("ec2", "management", region=REGION)
    vid = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subs = [ec2.create_subnet(VpcId=vid, CidrBlock=f"10.40.{i}.0/24")["Subnet"]["SubnetId"]
            for i in range(4)]
    cfn = ferry.client("cloudformation", "management", region=REGION)
    cfn.create_stack(StackName="appmesh-vpc-subnet-infra", TemplateBody=INFRA_EXPORTS,
                     Parameters=[{"ParameterKey": "Vpc", "ParameterValue": vid},
                                 {"ParameterKey": "Subnets", "ParameterValue": ",".join(subs)}])
    assert stack_wait(cfn, "appmesh-vpc-subnet-infra")["StackStatus"] == "CREATE_COMPLETE"
    # deploy prints text, not JSON: run it as the seed does
    r = subprocess.run(
        [AWS_BIN, "--endpoint-url", ferry.endpoint, "--profile", "management", "--region", REGION,
         "cloudformation", "deploy", "--no-fail-on-empty-changeset", "--stack-name",
         "mesh-and-vpc-share", "--template-file",
         os.path.join(SEED004_REAL, "3_mesh_and_vpc_share.yaml"), "--parameter-overrides",
         f"Account2AccountId={ids['dev']}", "--capabilities", "CAPABILITY_IAM"],
        capture_output=True, text=True, env=ferry.env(), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    out = cfn.describe_stacks(StackName="mesh-and-vpc-share")["Stacks"][0]["Outputs"]
    out = {o["OutputKey"]: o["OutputValue"] for o in out}
    assert out["SharedVpc"] == vid and out["SharedWith"] == ids["dev"]
    dev = ram["dev"]
    assert received(dev, out["MeshShareArn"]) == [mesh(ids["management"], "appmesh-mesh")]
    assert len(received(dev, out["VpcShareArn"])) == 4
    dev_ec2 = ferry.client("ec2", "dev", region=REGION)
    vpcs = dev_ec2.describe_vpcs(Filters=[{"Name": "owner-id", "Values": [ids["management"]]}])
    assert [v["VpcId"] for v in vpcs["Vpcs"]] == [vid]
    seen = dev_ec2.describe_subnets(SubnetIds=subs)["Subnets"]
    assert sorted(x["SubnetId"] for x in seen) == sorted(subs)


# --- outside the organization (open auth: any 12-digit key is that account) --------------

def test_outside_the_organization(open_ferry):
    def client(account):
        return boto3.client("ram", endpoint_url=open_ferry.endpoint, region_name=REGION,
                            aws_access_key_id=account, aws_secret_access_key="x")
    owner, other = client("111111111111"), client("222222222222")
    m = mesh("111111111111", "outside")
    raises(owner.create_resource_share, "OperationNotPermittedException", ORG_ONLY,
           name="no", resourceArns=[m], principals=["222222222222"],
           allowExternalPrincipals=False)
    arn = owner.create_resource_share(name="ext", resourceArns=[m],
                                      principals=["222222222222"])["resourceShare"]
    arn = arn["resourceShareArn"]
    a = assocs(owner, arn, "PRINCIPAL")["222222222222"]
    assert a["status"] == "ASSOCIATING" and a["external"] is True
    inv = other.get_resource_share_invitations()["resourceShareInvitations"]
    assert [i["status"] for i in inv] == ["PENDING"]
    other.accept_resource_share_invitation(
        resourceShareInvitationArn=inv[0]["resourceShareInvitationArn"])
    assert received(other) == [m]
    # subnets are shared only inside an organization
    raises(owner.create_resource_share, "UnknownResourceException", name="sub",
           resourceArns=[f"arn:aws:ec2:{REGION}:111111111111:subnet/subnet-0123456789abcdef0"],
           principals=["222222222222"])
    ec2 = boto3.client("ec2", endpoint_url=open_ferry.endpoint, region_name=REGION,
                       aws_access_key_id="111111111111", aws_secret_access_key="x")
    vid = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vid, CidrBlock="10.30.1.0/24")["Subnet"]["SubnetArn"]
    raises(owner.create_resource_share, "OperationNotPermittedException", ORG_ONLY,
           name="sub", resourceArns=[sub], principals=["222222222222"])
    raises(owner.associate_resource_share, "OperationNotPermittedException", ORG_ONLY,
           resourceShareArn=arn, resourceArns=[sub])
    # the owner deletes the share: the pending invitation of a third account expires
    third = client("333333333333")
    owner.associate_resource_share(resourceShareArn=arn, principals=["333333333333"])
    owner.delete_resource_share(resourceShareArn=arn)
    inv = third.get_resource_share_invitations()["resourceShareInvitations"]
    assert [i["status"] for i in inv] == ["EXPIRED"]
    raises(third.accept_resource_share_invitation, "ResourceShareInvitationExpiredException",
           resourceShareInvitationArn=inv[0]["resourceShareInvitationArn"])
    assert received(other) == []


# --- durability ------------------------------------------------------------------------

def test_share_survives_kill(ferry, ram, ids):
    m = mesh(ids["prod"], "durable")
    arn = ram["prod"].create_resource_share(name="durable", resourceArns=[m],
                                            principals=[ids["dev"]])["resourceShare"]
    arn = arn["resourceShareArn"]
    ferry.stop(signal.SIGKILL)
    ferry.start()
    dev = ferry.client("ram", "dev", region=REGION)
    assert received(dev, arn) == [m]
