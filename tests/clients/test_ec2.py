"""EC2 networking as records through boto3 and awscli (the ec2 query protocol): each
account's default VPC per region, VPCs, subnets, route tables and routes, internet and NAT
gateways, Elastic IPs, security groups and rules, VPC endpoints, availability zones, tags,
the Describe* filters and pages, AWS's error codes, and subnets shared through RAM."""
import pytest
from ferrytest import acct, raises

REGION = "us-east-1"


@pytest.fixture(scope="module")
def ec2(ferry):
    return ferry.client("ec2", "dev", region=REGION)


def test_default_vpc(ferry, ec2):
    dev = acct(ferry, "dev")
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    assert len(vpcs) == 1
    v = vpcs[0]
    assert v["CidrBlock"] == "172.31.0.0/16" and v["IsDefault"] is True
    assert v["OwnerId"] == dev and v["State"] == "available" and v["VpcId"].startswith("vpc-")
    subnets = ec2.describe_subnets(
        Filters=[{"Name": "vpc-id", "Values": [v["VpcId"]]}])["Subnets"]
    assert sorted(s["AvailabilityZone"] for s in subnets) == ["us-east-1a", "us-east-1b",
                                                                "us-east-1c"]
    assert {s["CidrBlock"] for s in subnets} == {"172.31.0.0/20", "172.31.16.0/20",
                                                  "172.31.32.0/20"}
    assert all(s["DefaultForAz"] and s["MapPublicIpOnLaunch"] for s in subnets)
    assert subnets[0]["AvailableIpAddressCount"] == 4091
    sgs = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [v["VpcId"]]},
                 {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
    assert len(sgs) == 1 and sgs[0]["IpPermissionsEgress"][0]["IpRanges"] == [
        {"CidrIp": "0.0.0.0/0"}]
    igws = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [v["VpcId"]]}])["InternetGateways"]
    assert len(igws) == 1
    rtbs = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [v["VpcId"]]},
                 {"Name": "association.main", "Values": ["true"]}])["RouteTables"]
    assert len(rtbs) == 1
    routes = {r["DestinationCidrBlock"]: r["GatewayId"] for r in rtbs[0]["Routes"]}
    assert routes == {"172.31.0.0/16": "local", "0.0.0.0/0": igws[0]["InternetGatewayId"]}
    # another region has its own
    west = ferry.client("ec2", "dev", region="us-west-2")
    wv = west.describe_vpcs()["Vpcs"]
    assert len(wv) == 1 and wv[0]["VpcId"] != v["VpcId"]
    assert west.describe_subnets()["Subnets"][0]["AvailabilityZone"].startswith("us-west-2")


def test_availability_zones(ec2):
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    assert [z["ZoneName"] for z in zones] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert zones[0]["ZoneId"] == "use1-az1" and zones[0]["State"] == "available"
    one = ec2.describe_availability_zones(
        Filters=[{"Name": "zone-name", "Values": ["us-east-1b"]}])["AvailabilityZones"]
    assert [z["ZoneName"] for z in one] == ["us-east-1b"]
    raises(ec2.describe_availability_zones, "InvalidParameterValue",
           ZoneNames=["us-east-1z"])


def test_vpc_lifecycle_and_errors(ec2):
    v = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "main"}]}])["Vpc"]
    vid = v["VpcId"]
    assert v["CidrBlock"] == "10.0.0.0/16" and v["IsDefault"] is False
    assert v["Tags"] == [{"Key": "Name", "Value": "main"}]
    got = ec2.describe_vpcs(VpcIds=[vid])["Vpcs"]
    assert [x["VpcId"] for x in got] == [vid]
    named = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["ma*"]}])["Vpcs"]
    assert [x["VpcId"] for x in named] == [vid]
    assert ec2.describe_vpcs(Filters=[{"Name": "tag-key", "Values": ["Name"]},
                                      {"Name": "cidr", "Values": ["10.0.0.0/16"]}])["Vpcs"]
    raises(ec2.create_vpc, "InvalidVpc.Range", "The CIDR '10.0.0.0/8' is invalid.",
           CidrBlock="10.0.0.0/8")
    raises(ec2.create_vpc, "InvalidParameterValue", CidrBlock="10.0.0.1/16")
    raises(ec2.describe_vpcs, "InvalidVpcID.NotFound",
           "The vpc ID 'vpc-00000000000000000' does not exist", VpcIds=["vpc-00000000000000000"])
    raises(ec2.describe_vpcs, "InvalidParameterValue", "The filter 'nope' is invalid",
           Filters=[{"Name": "nope", "Values": ["x"]}])
    # attributes: DNS support is on by default, hostnames off (for a VPC not the default)
    assert ec2.describe_vpc_attribute(VpcId=vid, Attribute="enableDnsSupport")[
        "EnableDnsSupport"]["Value"] is True
    assert ec2.describe_vpc_attribute(VpcId=vid, Attribute="enableDnsHostnames")[
        "EnableDnsHostnames"]["Value"] is False
    ec2.modify_vpc_attribute(VpcId=vid, EnableDnsHostnames={"Value": True})
    assert ec2.describe_vpc_attribute(VpcId=vid, Attribute="enableDnsHostnames")[
        "EnableDnsHostnames"]["Value"] is True
    # a subnet keeps it
    s = ec2.create_subnet(VpcId=vid, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1b")
    raises(ec2.delete_vpc, "DependencyViolation",
           f"The vpc '{vid}' has dependencies and cannot be deleted.", VpcId=vid)
    ec2.delete_subnet(SubnetId=s["Subnet"]["SubnetId"])
    ec2.delete_vpc(VpcId=vid)
    raises(ec2.delete_vpc, "InvalidVpcID.NotFound", VpcId=vid)
    raises(ec2.delete_vpc, "MissingParameter", VpcId="")


def test_subnets(ec2):
    vid = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_subnet(VpcId=vid, CidrBlock="10.1.0.0/24", AvailabilityZone="us-east-1a")[
        "Subnet"]
    assert a["VpcId"] == vid and a["AvailabilityZoneId"] == "use1-az1"
    assert a["AvailableIpAddressCount"] == 251 and a["State"] == "available"
    assert a["SubnetArn"].endswith(":subnet/" + a["SubnetId"])
    b = ec2.create_subnet(VpcId=vid, CidrBlock="10.1.1.0/24", AvailabilityZoneId="use1-az2")[
        "Subnet"]
    assert b["AvailabilityZone"] == "us-east-1b"
    raises(ec2.create_subnet, "InvalidSubnet.Conflict",
           "The CIDR '10.1.0.128/25' conflicts with another subnet",
           VpcId=vid, CidrBlock="10.1.0.128/25")
    raises(ec2.create_subnet, "InvalidSubnet.Range", "The CIDR '10.2.0.0/24' is invalid.",
           VpcId=vid, CidrBlock="10.2.0.0/24")
    raises(ec2.create_subnet, "InvalidVpcID.NotFound", VpcId="vpc-1234", CidrBlock="10.1.2.0/24")
    raises(ec2.create_subnet, "InvalidParameterValue", VpcId=vid, CidrBlock="10.1.2.0/24",
           AvailabilityZone="us-east-1q")
    ids = ec2.describe_subnets(SubnetIds=[a["SubnetId"], b["SubnetId"]])["Subnets"]
    assert {x["SubnetId"] for x in ids} == {a["SubnetId"], b["SubnetId"]}
    f = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vid]},
                                      {"Name": "availability-zone", "Values": ["us-east-1b"]}])
    assert [x["SubnetId"] for x in f["Subnets"]] == [b["SubnetId"]]
    f = ec2.describe_subnets(Filters=[{"Name": "cidr-block", "Values": ["10.1.0.0/24"]}])
    assert [x["SubnetId"] for x in f["Subnets"]] == [a["SubnetId"]]
    ec2.modify_subnet_attribute(SubnetId=a["SubnetId"], MapPublicIpOnLaunch={"Value": True})
    assert ec2.describe_subnets(SubnetIds=[a["SubnetId"]])["Subnets"][0]["MapPublicIpOnLaunch"]
    # pages
    ec2.create_subnet(VpcId=vid, CidrBlock="10.1.2.0/24")
    p1 = ec2.describe_subnets(MaxResults=5)
    assert len(p1["Subnets"]) == 5 and p1["NextToken"]
    p2 = ec2.describe_subnets(MaxResults=5, NextToken=p1["NextToken"])
    assert len(p2["Subnets"]) == 0 or p2["Subnets"][0]["SubnetId"] != p1["Subnets"][0]["SubnetId"]
    total = len(ec2.describe_subnets()["Subnets"])
    assert len(p1["Subnets"]) + len(p2["Subnets"]) == min(total, 10)
    pag = ec2.get_paginator("describe_subnets")
    assert sum(len(p["Subnets"]) for p in pag.paginate(PaginationConfig={"PageSize": 5})) == total


def test_routes_gateways(ec2):
    vid = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vid, CidrBlock="10.3.0.0/24")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vid)
    raises(ec2.attach_internet_gateway, "Resource.AlreadyAssociated",
           InternetGatewayId=igw, VpcId=vid)
    rt = ec2.create_route_table(VpcId=vid)["RouteTable"]
    rtb = rt["RouteTableId"]
    assert rt["Routes"] == [{"DestinationCidrBlock": "10.3.0.0/16", "GatewayId": "local",
                             "Origin": "CreateRouteTable", "State": "active"}]
    assert ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0",
                            GatewayId=igw)["Return"] is True
    raises(ec2.create_route, "RouteAlreadyExists", RouteTableId=rtb,
           DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    raises(ec2.create_route, "InvalidGatewayID.NotFound", RouteTableId=rtb,
           DestinationCidrBlock="1.0.0.0/8", GatewayId="igw-00000000")
    assoc = ec2.associate_route_table(RouteTableId=rtb, SubnetId=sub)["AssociationId"]
    raises(ec2.associate_route_table, "Resource.AlreadyAssociated", RouteTableId=rtb,
           SubnetId=sub)
    f = ec2.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": [sub]}])["RouteTables"]
    assert [t["RouteTableId"] for t in f] == [rtb]
    raises(ec2.delete_route_table, "DependencyViolation", RouteTableId=rtb)
    # NAT gateway with an Elastic IP
    eip = ec2.allocate_address(Domain="vpc")
    assert eip["AllocationId"].startswith("eipalloc-") and eip["PublicIp"]
    nat = ec2.create_nat_gateway(SubnetId=sub, AllocationId=eip["AllocationId"])["NatGateway"]
    assert nat["State"] == "available" and nat["VpcId"] == vid
    assert nat["NatGatewayAddresses"][0]["PublicIp"] == eip["PublicIp"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="10.9.0.0/16",
                     NatGatewayId=nat["NatGatewayId"])
    got = ec2.describe_nat_gateways(NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"]
    assert got[0]["SubnetId"] == sub
    addr = ec2.describe_addresses(AllocationIds=[eip["AllocationId"]])["Addresses"][0]
    assert addr["AssociationId"] and addr["PublicIp"] == eip["PublicIp"]
    raises(ec2.release_address, "InvalidIPAddress.InUse", AllocationId=eip["AllocationId"])
    raises(ec2.delete_subnet, "DependencyViolation", SubnetId=sub)
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    assert ec2.describe_nat_gateways(NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"][0][
        "State"] == "deleted"
    ec2.release_address(AllocationId=eip["AllocationId"])
    raises(ec2.describe_addresses, "InvalidAllocationID.NotFound",
           AllocationIds=[eip["AllocationId"]])
    # tear down
    ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0")
    raises(ec2.delete_route, "InvalidRoute.NotFound", RouteTableId=rtb,
           DestinationCidrBlock="0.0.0.0/0")
    ec2.disassociate_route_table(AssociationId=assoc)
    raises(ec2.disassociate_route_table, "InvalidAssociationID.NotFound", AssociationId=assoc)
    ec2.delete_route_table(RouteTableId=rtb)
    raises(ec2.delete_internet_gateway, "DependencyViolation", InternetGatewayId=igw)
    raises(ec2.detach_internet_gateway, "Gateway.NotAttached", InternetGatewayId=igw,
           VpcId="vpc-1")
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vid)
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    ec2.delete_subnet(SubnetId=sub)
    ec2.delete_vpc(VpcId=vid)


def test_security_groups(ec2):
    vid = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
    web = ec2.create_security_group(GroupName="web", Description="web tier", VpcId=vid)["GroupId"]
    app = ec2.create_security_group(GroupName="app", Description="app tier", VpcId=vid)["GroupId"]
    raises(ec2.create_security_group, "InvalidGroup.Duplicate",
           f"The security group 'web' already exists for VPC '{vid}'",
           GroupName="web", Description="x", VpcId=vid)
    raises(ec2.create_security_group, "InvalidGroup.Reserved", GroupName="default",
           Description="x", VpcId=vid)
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
         "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "https"}]}])
    ec2.authorize_security_group_ingress(GroupId=web, IpProtocol="tcp", FromPort=80, ToPort=80,
                                         CidrIp="10.0.0.0/8")
    ec2.authorize_security_group_ingress(GroupId=app, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
         "UserIdGroupPairs": [{"GroupId": web}]}])
    raises(ec2.authorize_security_group_ingress, "InvalidPermission.Duplicate",
           GroupId=web, IpProtocol="tcp", FromPort=80, ToPort=80, CidrIp="10.0.0.0/8")
    raises(ec2.authorize_security_group_ingress, "InvalidParameterValue",
           GroupId=web, IpProtocol="bogus", FromPort=80, ToPort=80, CidrIp="10.0.0.0/8")
    g = ec2.describe_security_groups(GroupIds=[web])["SecurityGroups"][0]
    perms = {p["FromPort"]: p for p in g["IpPermissions"]}
    assert perms[443]["IpRanges"] == [{"CidrIp": "0.0.0.0/0", "Description": "https"}]
    assert perms[80]["IpRanges"] == [{"CidrIp": "10.0.0.0/8"}]
    found = ec2.describe_security_groups(
        Filters=[{"Name": "ip-permission.from-port", "Values": ["8080"]}])["SecurityGroups"]
    assert [x["GroupId"] for x in found] == [app]
    raises(ec2.delete_security_group, "DependencyViolation", GroupId=web)
    ec2.revoke_security_group_ingress(GroupId=app, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
         "UserIdGroupPairs": [{"GroupId": web}]}])
    raises(ec2.revoke_security_group_ingress, "InvalidPermission.NotFound", GroupId=app,
           IpPermissions=[{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
                           "UserIdGroupPairs": [{"GroupId": web}]}])
    assert ec2.describe_security_groups(GroupIds=[app])["SecurityGroups"][0]["IpPermissions"] == []
    ec2.authorize_security_group_egress(GroupId=app, IpPermissions=[
        {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "10.0.0.2/32"}]}])
    ec2.revoke_security_group_egress(GroupId=app, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    eg = ec2.describe_security_groups(GroupIds=[app])["SecurityGroups"][0]["IpPermissionsEgress"]
    assert [p["IpProtocol"] for p in eg] == ["udp"]
    default = ec2.describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [vid]}, {"Name": "group-name", "Values": ["default"]}])[
        "SecurityGroups"][0]["GroupId"]
    raises(ec2.delete_security_group, "CannotDelete", GroupId=default)
    ec2.delete_security_group(GroupId=app)
    ec2.delete_security_group(GroupId=web)
    raises(ec2.delete_security_group, "InvalidGroup.NotFound", GroupId=web)
    ec2.delete_vpc(VpcId=vid)


def test_tags_and_endpoints(ec2):
    vid = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    rtb = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vid]}])[
        "RouteTables"][0]["RouteTableId"]
    ec2.create_tags(Resources=[vid, rtb], Tags=[{"Key": "env", "Value": "dev"},
                                                {"Key": "team", "Value": "a"}])
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [vid]}])["Tags"]
    assert {(t["Key"], t["Value"], t["ResourceType"]) for t in tags} == {
        ("env", "dev", "vpc"), ("team", "a", "vpc")}
    both = ec2.describe_tags(Filters=[{"Name": "key", "Values": ["env"]}])["Tags"]
    assert {t["ResourceId"] for t in both} >= {vid, rtb}
    ec2.delete_tags(Resources=[vid], Tags=[{"Key": "team"}])
    ec2.delete_tags(Resources=[vid], Tags=[{"Key": "env", "Value": "other"}])  # value differs
    assert ec2.describe_vpcs(VpcIds=[vid])["Vpcs"][0]["Tags"] == [{"Key": "env", "Value": "dev"}]
    raises(ec2.create_tags, "InvalidVpcID.NotFound", Resources=["vpc-0000"],
           Tags=[{"Key": "a", "Value": "b"}])
    raises(ec2.create_tags, "InvalidID", Resources=["nothing-1"], Tags=[{"Key": "a", "Value": "b"}])
    ep = ec2.create_vpc_endpoint(VpcId=vid, ServiceName="com.amazonaws.us-east-1.s3",
                                 RouteTableIds=[rtb])["VpcEndpoint"]
    assert ep["VpcEndpointType"] == "Gateway" and ep["State"] == "available"
    assert ep["RouteTableIds"] == [rtb] and ep["PolicyDocument"]
    raises(ec2.create_vpc_endpoint, "InvalidServiceName", VpcId=vid,
           ServiceName="com.example.nothing")
    got = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vid]}])["VpcEndpoints"]
    assert [e["VpcEndpointId"] for e in got] == [ep["VpcEndpointId"]]
    raises(ec2.delete_vpc, "DependencyViolation", VpcId=vid)
    r = ec2.delete_vpc_endpoints(VpcEndpointIds=[ep["VpcEndpointId"], "vpce-0000"])
    assert [u["ResourceId"] for u in r["Unsuccessful"]] == ["vpce-0000"]
    ec2.delete_vpc(VpcId=vid)


def test_awscli_owner_filter_and_errors(ferry, ec2):
    dev = acct(ferry, "dev")
    r = ferry.aws("ec2", "describe-vpcs", "--filters", f"Name=owner-id,Values={dev}",
                  "--query", "Vpcs[*].VpcId", profile="dev", region=REGION)
    assert r.json and all(v.startswith("vpc-") for v in r.json)
    assert set(r.json) == {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}
    r = ferry.aws("ec2", "describe-vpcs", "--vpc-ids", "vpc-0123", profile="dev", region=REGION,
                  check=False)
    assert r.returncode != 0 and "InvalidVpcID.NotFound" in r.stderr
    r = ferry.aws("ec2", "create-subnet", "--vpc-id", "vpc-0123", "--cidr-block", "10.0.0.0/24",
                  profile="dev", region=REGION, check=False)
    assert "InvalidVpcID.NotFound" in r.stderr


def test_other_accounts_see_nothing(ferry, ec2):
    qa = ferry.client("ec2", "qa", region=REGION)
    mine = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}
    theirs = {v["VpcId"] for v in qa.describe_vpcs()["Vpcs"]}
    assert mine and theirs and not mine & theirs
    raises(qa.describe_vpcs, "InvalidVpcID.NotFound", VpcIds=[sorted(mine)[0]])


def test_durable_after_kill9(ferry, ec2):
    import signal
    vid = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    ferry.stop(signal.SIGKILL)
    ferry.start()
    again = ferry.client("ec2", "dev", region=REGION)
    assert again.describe_vpcs(VpcIds=[vid])["Vpcs"][0]["CidrBlock"] == "10.7.0.0/16"


def test_shared_subnets_through_ram(ferry, ec2):
    """A participant sees the owner's shared subnet, and its VPC, with the owner's OwnerId:
    the seed's `describe-vpcs --filters Name=owner-id,Values=OWNER` in account 2."""
    dev, qa = acct(ferry, "dev"), acct(ferry, "qa")
    vid = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vid, CidrBlock="10.8.1.0/24")["Subnet"]
    ferry.client("ram", "management", region=REGION).enable_sharing_with_aws_organization()
    ram = ferry.client("ram", "dev", region=REGION)
    ram.create_resource_share(name="net", resourceArns=[sub["SubnetArn"]], principals=[qa])
    qa_ec2 = ferry.client("ec2", "qa", region=REGION)
    seen = qa_ec2.describe_subnets(Filters=[{"Name": "owner-id", "Values": [dev]}])["Subnets"]
    assert [(s["SubnetId"], s["OwnerId"]) for s in seen] == [(sub["SubnetId"], dev)]
    r = ferry.aws("ec2", "describe-vpcs", "--filters", f"Name=owner-id,Values={dev}",
                  "--query", "Vpcs[*].VpcId", profile="qa", region=REGION)
    assert r.json == [vid]
    # the participant's own VPCs are still its own; the owner's others stay hidden
    own = qa_ec2.describe_vpcs()["Vpcs"]
    assert {v["OwnerId"] for v in own} == {dev, qa} and len(own) == 2
    assert qa_ec2.describe_vpcs(VpcIds=[vid])["Vpcs"][0]["OwnerId"] == dev
    # a participant creates its own security groups in the shared VPC (seed 004's step 8);
    # a VPC nobody shared stays unknown to it
    g = qa_ec2.create_security_group(GroupName="mine", Description="d", VpcId=vid)["GroupId"]
    got = qa_ec2.describe_security_groups(GroupIds=[g])["SecurityGroups"][0]
    assert (got["VpcId"], got["OwnerId"]) == (vid, qa)
    hidden = ec2.create_vpc(CidrBlock="10.18.0.0/16")["Vpc"]["VpcId"]
    raises(qa_ec2.create_security_group, "InvalidVpcID.NotFound", GroupName="x", Description="d",
           VpcId=hidden)
    # ELBv2 and ECS ask the same rules: a target group in the shared VPC, not in a hidden one
    qa_elb = ferry.client("elbv2", "qa", region=REGION)
    tg = qa_elb.create_target_group(Name="shared", Protocol="HTTP", Port=80, VpcId=vid)
    raises(qa_elb.create_target_group, "ValidationError", Name="hidden", Protocol="HTTP", Port=80,
           VpcId=hidden)
    qa_elb.delete_target_group(TargetGroupArn=tg["TargetGroups"][0]["TargetGroupArn"])
    # the participant's group keeps the owner's VPC, as AWS's DependencyViolation says
    ec2.delete_subnet(SubnetId=sub["SubnetId"])
    raises(ec2.delete_vpc, "DependencyViolation", VpcId=vid)
    qa_ec2.delete_security_group(GroupId=g)
    ec2.delete_vpc(VpcId=vid)


def test_unauthorized_and_dry_run(ferry, ec2):
    raises(ec2.describe_vpcs, "DryRunOperation",
           "Request would have succeeded, but DryRun flag is set.", status=412, DryRun=True)
    raises(ec2.create_vpc, "DryRunOperation", CidrBlock="10.9.0.0/16", DryRun=True)
    assert ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.9.0.0/16"]}])["Vpcs"] == []
    ro = ferry.user_client("ec2", "dev", "ec2-reader", {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]})
    assert ro.describe_vpcs()["Vpcs"]
    msg = raises(ro.create_vpc, "UnauthorizedOperation", status=403, CidrBlock="10.9.0.0/16")
    assert msg.startswith("You are not authorized to perform this operation.") and \
        "ec2:CreateVpc" in msg
    raises(ro.create_vpc, "UnauthorizedOperation", CidrBlock="10.9.0.0/16", DryRun=True)
