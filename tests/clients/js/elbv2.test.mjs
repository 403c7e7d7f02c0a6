// AWS SDK for JavaScript v3 against ferry's Elastic Load Balancing v2 (query protocol): a
// load balancer, target groups, a weighted listener, rules, targets, attributes, tags, and
// AWS's errors as the SDK's exception classes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH + "/");
const {
  ElasticLoadBalancingV2Client, CreateLoadBalancerCommand, DescribeLoadBalancersCommand,
  DeleteLoadBalancerCommand, CreateTargetGroupCommand, DescribeTargetGroupsCommand,
  DeleteTargetGroupCommand, CreateListenerCommand, DescribeListenersCommand, CreateRuleCommand,
  DescribeRulesCommand, RegisterTargetsCommand, DescribeTargetHealthCommand,
  ModifyLoadBalancerAttributesCommand, AddTagsCommand, DescribeTagsCommand,
  DuplicateLoadBalancerNameException, LoadBalancerNotFoundException, PriorityInUseException,
  TargetGroupNotFoundException, ResourceInUseException,
} = require("@aws-sdk/client-elastic-load-balancing-v2");

const { EC2Client, DescribeSubnetsCommand } = require("@aws-sdk/client-ec2");

const keys = JSON.parse(process.env.FERRY_KEYS);
const cfg = {
  endpoint: process.env.FERRY_ENDPOINT, region: "us-east-1",
  credentials: { accessKeyId: keys.dev[0], secretAccessKey: keys.dev[1] },
};
const elb = new ElasticLoadBalancingV2Client(cfg);
// the dev account's default VPC and two of its subnets
const subnets = (await new EC2Client(cfg).send(new DescribeSubnetsCommand({}))).Subnets;
const SUBNETS = subnets.slice(0, 2).map((s) => s.SubnetId);
const VPC = subnets[0].VpcId;

test("load balancer, target groups, weighted listener and rules", async () => {
  const [lb] = (await elb.send(new CreateLoadBalancerCommand({ Name: "js-alb", Subnets: SUBNETS }))).LoadBalancers;
  assert.match(lb.DNSName, /^js-alb-\d{10}\.us-east-1\.elb\.amazonaws\.com$/);
  assert.equal(lb.State.Code, "provisioning");
  assert.ok(lb.CreatedTime instanceof Date);
  await assert.rejects(elb.send(new CreateLoadBalancerCommand({ Name: "js-alb", Subnets: SUBNETS, Scheme: "internal" })),
    (e) => e instanceof DuplicateLoadBalancerNameException);
  await assert.rejects(elb.send(new DescribeLoadBalancersCommand({ Names: ["nope"] })),
    (e) => e instanceof LoadBalancerNotFoundException && e.$metadata.httpStatusCode === 400);
  const desc = await elb.send(new DescribeLoadBalancersCommand({ Names: ["js-alb"] }));
  assert.equal(desc.LoadBalancers[0].State.Code, "active");

  const tg = async (Name) => (await elb.send(new CreateTargetGroupCommand({
    Name, Protocol: "HTTP", Port: 8080, VpcId: VPC, TargetType: "ip", HealthCheckPath: "/health" }))).TargetGroups[0];
  const a = await tg("js-a"), b = await tg("js-b");
  assert.equal(a.HealthCheckPath, "/health");
  await elb.send(new RegisterTargetsCommand({ TargetGroupArn: a.TargetGroupArn, Targets: [{ Id: "127.0.0.1", Port: 9 }] }));
  const th = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: a.TargetGroupArn }));
  assert.equal(th.TargetHealthDescriptions[0].TargetHealth.State, "unused");

  const [ls] = (await elb.send(new CreateListenerCommand({
    LoadBalancerArn: lb.LoadBalancerArn, Protocol: "HTTP", Port: 80,
    DefaultActions: [{ Type: "forward", ForwardConfig: { TargetGroups: [
      { TargetGroupArn: a.TargetGroupArn, Weight: 90 }, { TargetGroupArn: b.TargetGroupArn, Weight: 10 }] } }] }))).Listeners;
  assert.deepEqual(ls.DefaultActions[0].ForwardConfig.TargetGroups.map((g) => g.Weight), [90, 10]);
  const got = await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
  assert.equal(got.Listeners.length, 1);
  const inUse = await elb.send(new DescribeTargetGroupsCommand({ Names: ["js-a"] }));
  assert.deepEqual(inUse.TargetGroups[0].LoadBalancerArns, [lb.LoadBalancerArn]);
  await assert.rejects(elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: a.TargetGroupArn })),
    (e) => e instanceof ResourceInUseException);

  await elb.send(new CreateRuleCommand({ ListenerArn: ls.ListenerArn, Priority: 1,
    Conditions: [{ Field: "host-header", HostHeaderConfig: { Values: ["b.example.com"] } }],
    Actions: [{ Type: "forward", TargetGroupArn: b.TargetGroupArn }] }));
  await assert.rejects(elb.send(new CreateRuleCommand({ ListenerArn: ls.ListenerArn, Priority: 1,
    Conditions: [{ Field: "path-pattern", Values: ["/x"] }],
    Actions: [{ Type: "forward", TargetGroupArn: b.TargetGroupArn }] })),
  (e) => e instanceof PriorityInUseException);
  await assert.rejects(elb.send(new CreateRuleCommand({ ListenerArn: ls.ListenerArn, Priority: 2,
    Conditions: [{ Field: "path-pattern", Values: ["/x"] }],
    Actions: [{ Type: "forward", TargetGroupArn: b.TargetGroupArn + "0" }] })),
  (e) => e instanceof TargetGroupNotFoundException);
  const rules = await elb.send(new DescribeRulesCommand({ ListenerArn: ls.ListenerArn }));
  assert.deepEqual(rules.Rules.map((r) => r.Priority), ["1", "default"]);

  const attrs = await elb.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn,
    Attributes: [{ Key: "idle_timeout.timeout_seconds", Value: "90" }] }));
  assert.ok(attrs.Attributes.some((x) => x.Key === "idle_timeout.timeout_seconds" && x.Value === "90"));
  await elb.send(new AddTagsCommand({ ResourceArns: [lb.LoadBalancerArn], Tags: [{ Key: "k", Value: "v" }] }));
  const tags = await elb.send(new DescribeTagsCommand({ ResourceArns: [lb.LoadBalancerArn] }));
  assert.deepEqual(tags.TagDescriptions[0].Tags, [{ Key: "k", Value: "v" }]);

  await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
  await elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: a.TargetGroupArn }));
  await elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: b.TargetGroupArn }));
});
