"""CloudFormation's EC2 networking types through the stack engine: a VPC with two subnets,
an internet gateway and its attachment, a route table with a default route and subnet
associations, a NAT gateway with an EIP, security groups with inline and stand-alone
rules, a gateway VPC endpoint; Ref and Fn::GetAtt as AWS documents them; updates in place
and by replacement; everything gone after the stack is deleted."""
import json

import pytest
from ferrytest import stack_wait

REGION = "us-east-1"

TEMPLATE = {
    "Parameters": {"Cidr": {"Type": "String", "Default": "10.20.0.0/16"},
                   "Web": {"Type": "String", "Default": "443"}},
    "Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {
            "CidrBlock": {"Ref": "Cidr"}, "EnableDnsHostnames": True,
            "Tags": [{"Key": "Name", "Value": "cfn-vpc"}]}},
        "SubnetA": {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.20.1.0/24",
            "AvailabilityZone": {"Fn::Select": [0, {"Fn::GetAZs": ""}]},
            "MapPublicIpOnLaunch": True}},
        "SubnetB": {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.20.2.0/24",
            "AvailabilityZone": "us-east-1b"}},
        "Igw": {"Type": "AWS::EC2::InternetGateway"},
        "Attach": {"Type": "AWS::EC2::VPCGatewayAttachment", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Igw"}}},
        "Public": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
        "Default": {"Type": "AWS::EC2::Route", "DependsOn": "Attach", "Properties": {
            "RouteTableId": {"Ref": "Public"}, "DestinationCidrBlock": "0.0.0.0/0",
            "GatewayId": {"Ref": "Igw"}}},
        "AssocA": {"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {
            "RouteTableId": {"Ref": "Public"}, "SubnetId": {"Ref": "SubnetA"}}},
        "Eip": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}},
        "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {
            "SubnetId": {"Ref": "SubnetA"}, "AllocationId": {"Fn::GetAtt": ["Eip", "AllocationId"]}}},
        "Private": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
        "NatRoute": {"Type": "AWS::EC2::Route", "Properties": {
            "RouteTableId": {"Ref": "Private"}, "DestinationCidrBlock": "0.0.0.0/0",
            "NatGatewayId": {"Ref": "Nat"}}},
        "AssocB": {"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {
            "RouteTableId": {"Ref": "Private"}, "SubnetId": {"Ref": "SubnetB"}}},
        "WebSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "web", "VpcId": {"Ref": "Vpc"},
            "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": {"Ref": "Web"},
                                      "ToPort": {"Ref": "Web"}, "CidrIp": "0.0.0.0/0"}]}},
        "AppSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "app", "GroupName": "cfn-app", "VpcId": {"Ref": "Vpc"},
            "SecurityGroupEgress": [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                                     "CidrIp": "10.20.0.0/16"}]}},
        "AppFromWeb": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
            "GroupId": {"Ref": "AppSg"}, "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
            "SourceSecurityGroupId": {"Fn::GetAtt": ["WebSg", "GroupId"]}}},
        "S3Endpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "ServiceName": {"Fn::Sub": "com.amazonaws.${AWS::Region}.s3"},
            "RouteTableIds": [{"Ref": "Private"}]}},
    },
    "Outputs": {
        "VpcId": {"Value": {"Ref": "Vpc"}},
        "VpcCidr": {"Value": {"Fn::GetAtt": ["Vpc", "CidrBlock"]}},
        "DefaultSg": {"Value": {"Fn::GetAtt": ["Vpc", "DefaultSecurityGroup"]}},
        "SubnetAZ": {"Value": {"Fn::GetAtt": ["SubnetA", "AvailabilityZone"]}},
        "Subnets": {"Value": {"Fn::Join": [",", [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}]]}},
        "Route": {"Value": {"Ref": "Default"}},
        "Attach": {"Value": {"Ref": "Attach"}},
        "Eip": {"Value": {"Ref": "Eip"}},
        "WebSgVpc": {"Value": {"Fn::GetAtt": ["WebSg", "VpcId"]}},
        "Endpoint": {"Value": {"Ref": "S3Endpoint"}},
    },
}


@pytest.fixture(scope="module")
def cfn(ferry):
    return ferry.client("cloudformation", "dev", region=REGION)


@pytest.fixture(scope="module")
def ec2(ferry):
    return ferry.client("ec2", "dev", region=REGION)


def outputs(cfn, name):
    s = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in s.get("Outputs", [])}


def test_network_stack(cfn, ec2):
    cfn.create_stack(StackName="net", TemplateBody=json.dumps(TEMPLATE))
    s = stack_wait(cfn, "net")
    events = cfn.describe_stack_events(StackName="net")["StackEvents"]
    assert s["StackStatus"] == "CREATE_COMPLETE", [
        (e["LogicalResourceId"], e.get("ResourceStatusReason")) for e in events
        if e["ResourceStatus"].endswith("FAILED")]
    o = outputs(cfn, "net")
    vid = o["VpcId"]
    vpc = ec2.describe_vpcs(VpcIds=[vid])["Vpcs"][0]
    assert vpc["CidrBlock"] == o["VpcCidr"] == "10.20.0.0/16"
    tags = {t["Key"]: t["Value"] for t in vpc["Tags"]}
    assert tags["Name"] == "cfn-vpc" and tags["aws:cloudformation:logical-id"] == "Vpc"
    assert ec2.describe_vpc_attribute(VpcId=vid, Attribute="enableDnsHostnames")[
        "EnableDnsHostnames"]["Value"] is True
    dsg = ec2.describe_security_groups(GroupIds=[o["DefaultSg"]])["SecurityGroups"][0]
    assert dsg["GroupName"] == "default" and dsg["VpcId"] == vid
    a, b = o["Subnets"].split(",")
    subs = {x["SubnetId"]: x for x in ec2.describe_subnets(SubnetIds=[a, b])["Subnets"]}
    assert subs[a]["AvailabilityZone"] == o["SubnetAZ"] == "us-east-1a"
    assert subs[a]["MapPublicIpOnLaunch"] is True and subs[b]["CidrBlock"] == "10.20.2.0/24"
    pub = ec2.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": [a]}])["RouteTables"][0]
    igw = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vid]}])["InternetGateways"][0]
    assert {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw["InternetGatewayId"],
            "Origin": "CreateRoute", "State": "active"} in pub["Routes"]
    assert o["Route"] == f"{pub['RouteTableId']}|0.0.0.0/0" and o["Attach"] == f"IGW|{vid}"
    priv = ec2.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": [b]}])["RouteTables"][0]
    nat = ec2.describe_nat_gateways(Filter=[{"Name": "vpc-id", "Values": [vid]}])["NatGateways"][0]
    assert nat["NatGatewayAddresses"][0]["PublicIp"] == o["Eip"]
    assert any(r.get("NatGatewayId") == nat["NatGatewayId"] for r in priv["Routes"])
    sgs = {g["GroupName"]: g for g in ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vid]}])["SecurityGroups"]}
    assert set(sgs) >= {"default", "cfn-app"} and len(sgs) == 3
    web = [g for n, g in sgs.items() if n.startswith("net-WebSg-")][0]
    assert o["WebSgVpc"] == vid
    assert web["IpPermissions"][0]["FromPort"] == 443
    app = sgs["cfn-app"]
    assert [(p["IpProtocol"], p.get("FromPort")) for p in app["IpPermissionsEgress"]] == [
        ("tcp", 5432)]
    assert app["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == web["GroupId"]
    ep = ec2.describe_vpc_endpoints(VpcEndpointIds=[o["Endpoint"]])["VpcEndpoints"][0]
    assert ep["RouteTableIds"] == [priv["RouteTableId"]]


def test_update_in_place_and_replace(cfn, ec2):
    t = json.loads(json.dumps(TEMPLATE))
    t["Resources"]["WebSg"]["Properties"]["SecurityGroupIngress"].append(
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "10.0.0.0/8"})
    t["Resources"]["SubnetB"]["Properties"]["CidrBlock"] = "10.20.3.0/24"  # replaces
    t["Resources"]["Vpc"]["Properties"]["Tags"] = [{"Key": "Name", "Value": "renamed"}]
    before = outputs(cfn, "net")
    cfn.update_stack(StackName="net", TemplateBody=json.dumps(t))
    s = stack_wait(cfn, "net")
    assert s["StackStatus"] == "UPDATE_COMPLETE", s.get("StackStatusReason")
    o = outputs(cfn, "net")
    assert o["VpcId"] == before["VpcId"]
    a, b = o["Subnets"].split(",")
    assert a == before["Subnets"].split(",")[0] and b != before["Subnets"].split(",")[1]
    assert ec2.describe_subnets(SubnetIds=[b])["Subnets"][0]["CidrBlock"] == "10.20.3.0/24"
    assert ec2.describe_subnets(Filters=[{"Name": "subnet-id",
                                          "Values": [before["Subnets"].split(",")[1]]}])[
        "Subnets"] == []
    vpc = ec2.describe_vpcs(VpcIds=[o["VpcId"]])["Vpcs"][0]
    assert {"Key": "Name", "Value": "renamed"} in vpc["Tags"]
    web = ec2.describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [o["VpcId"]]},
        {"Name": "ip-permission.from-port", "Values": ["80"]}])["SecurityGroups"]
    assert len(web) == 1 and {p["FromPort"] for p in web[0]["IpPermissions"]} == {80, 443}


def test_delete_leaves_nothing(cfn, ec2):
    vid = outputs(cfn, "net")["VpcId"]
    cfn.delete_stack(StackName="net")
    assert stack_wait(cfn, "net") is None
    assert ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vid]}])["Vpcs"] == []
    assert ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vid]}])["Subnets"] == []
    assert ec2.describe_addresses()["Addresses"] == []


def test_conflicting_subnet_fails_and_rolls_back(cfn, ec2):
    t = {"Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.30.0.0/16"}},
        "A": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"},
                                                         "CidrBlock": "10.30.0.0/24"}},
        "B": {"Type": "AWS::EC2::Subnet", "DependsOn": "A", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.30.0.0/25"}}}}
    cfn.create_stack(StackName="bad", TemplateBody=json.dumps(t))
    s = stack_wait(cfn, "bad")
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    reasons = [e.get("ResourceStatusReason", "") for e in
               cfn.describe_stack_events(StackName="bad")["StackEvents"]
               if e["LogicalResourceId"] == "B" and e["ResourceStatus"] == "CREATE_FAILED"]
    assert reasons and "conflicts with another subnet" in reasons[0]
    assert ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.30.0.0/16"]}])["Vpcs"] == []
