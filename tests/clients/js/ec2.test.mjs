// AWS SDK for JavaScript v3 against ferry's EC2 (the ec2 query protocol): the default VPC,
// a VPC with subnets and tags, filters, security group rules, and EC2's error document.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH + "/");
const {
  EC2Client, DescribeVpcsCommand, CreateVpcCommand, CreateSubnetCommand, DescribeSubnetsCommand,
  DescribeAvailabilityZonesCommand, CreateSecurityGroupCommand, AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupsCommand, DeleteVpcCommand, DeleteSubnetCommand, DeleteSecurityGroupCommand,
  CreateTagsCommand, DescribeTagsCommand,
} = require("@aws-sdk/client-ec2");

const keys = JSON.parse(process.env.FERRY_KEYS);
const cfg = (profile, region = "us-east-1") => ({
  endpoint: process.env.FERRY_ENDPOINT, region,
  credentials: { accessKeyId: keys[profile][0], secretAccessKey: keys[profile][1] },
});

test("default VPC and zones", async () => {
  const ec2 = new EC2Client(cfg("prod", "eu-west-1"));
  const vpcs = (await ec2.send(new DescribeVpcsCommand({
    Filters: [{ Name: "is-default", Values: ["true"] }] }))).Vpcs;
  assert.equal(vpcs.length, 1);
  assert.equal(vpcs[0].CidrBlock, "172.31.0.0/16");
  assert.equal(vpcs[0].IsDefault, true);
  const zones = (await ec2.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones;
  assert.deepEqual(zones.map((z) => z.ZoneName), ["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
  assert.equal(zones[0].ZoneId, "euw1-az1");
});

test("VPC, subnets, tags, security groups and errors", async () => {
  const ec2 = new EC2Client(cfg("prod"));
  const vpc = (await ec2.send(new CreateVpcCommand({
    CidrBlock: "10.60.0.0/16",
    TagSpecifications: [{ ResourceType: "vpc", Tags: [{ Key: "Name", Value: "js" }] }] }))).Vpc;
  assert.match(vpc.VpcId, /^vpc-[0-9a-f]{17}$/);
  const sub = (await ec2.send(new CreateSubnetCommand({
    VpcId: vpc.VpcId, CidrBlock: "10.60.1.0/24", AvailabilityZone: "us-east-1c" }))).Subnet;
  assert.equal(sub.AvailabilityZone, "us-east-1c");
  assert.equal(sub.AvailableIpAddressCount, 251);
  const found = (await ec2.send(new DescribeSubnetsCommand({
    Filters: [{ Name: "vpc-id", Values: [vpc.VpcId] }] }))).Subnets;
  assert.deepEqual(found.map((s) => s.SubnetId), [sub.SubnetId]);
  const named = (await ec2.send(new DescribeVpcsCommand({
    Filters: [{ Name: "tag:Name", Values: ["js"] }] }))).Vpcs;
  assert.deepEqual(named.map((v) => v.VpcId), [vpc.VpcId]);
  await ec2.send(new CreateTagsCommand({ Resources: [sub.SubnetId], Tags: [{ Key: "tier", Value: "db" }] }));
  const tags = (await ec2.send(new DescribeTagsCommand({
    Filters: [{ Name: "resource-id", Values: [sub.SubnetId] }] }))).Tags;
  assert.deepEqual(tags.map((t) => [t.Key, t.Value, t.ResourceType]), [["tier", "db", "subnet"]]);

  const sg = (await ec2.send(new CreateSecurityGroupCommand({
    GroupName: "js-web", Description: "web", VpcId: vpc.VpcId }))).GroupId;
  const auth = await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sg, IpPermissions: [
    { IpProtocol: "tcp", FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }));
  assert.equal(auth.Return, true);
  const g = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [sg] }))).SecurityGroups[0];
  assert.equal(g.IpPermissions[0].FromPort, 443);
  assert.deepEqual(g.IpPermissions[0].IpRanges, [{ CidrIp: "0.0.0.0/0" }]);

  await assert.rejects(ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: "10.60.1.0/25" })),
    (e) => e.name === "InvalidSubnet.Conflict" && e.$metadata.httpStatusCode === 400 &&
      /conflicts with another subnet/.test(e.message) && !!e.$metadata.requestId);
  await assert.rejects(ec2.send(new DeleteVpcCommand({ VpcId: vpc.VpcId })),
    (e) => e.name === "DependencyViolation");
  await assert.rejects(ec2.send(new DescribeVpcsCommand({ VpcIds: ["vpc-00000000"] })),
    (e) => e.name === "InvalidVpcID.NotFound" && e.message === "The vpc ID 'vpc-00000000' does not exist");
  await ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg }));
  await ec2.send(new DeleteSubnetCommand({ SubnetId: sub.SubnetId }));
  await ec2.send(new DeleteVpcCommand({ VpcId: vpc.VpcId }));
});
