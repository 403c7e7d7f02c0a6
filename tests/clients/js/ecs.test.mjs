// AWS SDK for JavaScript v3 against ferry's ECS (json 1.1, records: no container runs):
// clusters, task definition revisions, a Fargate service scaled and redeployed, tags, and
// AWS's errors as the SDK's exception classes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH + "/");
const {
  ECSClient, CreateClusterCommand, DescribeClustersCommand, DeleteClusterCommand,
  RegisterTaskDefinitionCommand, DescribeTaskDefinitionCommand, ListTaskDefinitionsCommand,
  CreateServiceCommand, UpdateServiceCommand, DescribeServicesCommand, ListServicesCommand,
  DeleteServiceCommand, TagResourceCommand, ListTagsForResourceCommand,
  ClusterNotFoundException, InvalidParameterException, ClientException, ServiceNotFoundException,
} = require("@aws-sdk/client-ecs");

const { EC2Client, DescribeSubnetsCommand } = require("@aws-sdk/client-ec2");

const keys = JSON.parse(process.env.FERRY_KEYS);
const cfg = {
  endpoint: process.env.FERRY_ENDPOINT, region: "us-east-1",
  credentials: { accessKeyId: keys.dev[0], secretAccessKey: keys.dev[1] },
};
const ecs = new ECSClient(cfg);
// a subnet of the dev account's default VPC
const subnet = (await new EC2Client(cfg).send(new DescribeSubnetsCommand({}))).Subnets[0].SubnetId;
const NET = { awsvpcConfiguration: { subnets: [subnet] } };

test("clusters, task definitions and a Fargate service", async () => {
  const { cluster } = await ecs.send(new CreateClusterCommand({ clusterName: "js", tags: [{ key: "a", value: "1" }] }));
  assert.equal(cluster.status, "ACTIVE");
  const d = await ecs.send(new DescribeClustersCommand({ clusters: ["js", "nope"] }));
  assert.equal(d.clusters[0].clusterArn, cluster.clusterArn);
  assert.equal(d.failures[0].reason, "MISSING");

  const reg = (image) => ecs.send(new RegisterTaskDefinitionCommand({
    family: "js-app", networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"], cpu: "256", memory: "512",
    containerDefinitions: [{ name: "app", image, portMappings: [{ containerPort: 8080 }] }] }));
  const t1 = (await reg("python:3.12")).taskDefinition, t2 = (await reg("python:3.13")).taskDefinition;
  assert.deepEqual([t1.revision, t2.revision], [1, 2]);
  assert.ok(t1.registeredAt instanceof Date);
  assert.equal((await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "js-app" }))).taskDefinition.revision, 2);
  assert.equal((await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "js-app" }))).taskDefinitionArns.length, 2);
  await assert.rejects(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "js-app:7" })),
    (e) => e instanceof ClientException);

  const { service } = await ecs.send(new CreateServiceCommand({ cluster: "js", serviceName: "api",
    taskDefinition: "js-app:1", desiredCount: 2, launchType: "FARGATE", networkConfiguration: NET }));
  assert.equal(service.runningCount, 2);
  assert.equal(service.deployments[0].rolloutState, "COMPLETED");
  await assert.rejects(ecs.send(new CreateServiceCommand({ cluster: "nope", serviceName: "x", taskDefinition: "js-app" })),
    (e) => e instanceof ClusterNotFoundException);
  await assert.rejects(ecs.send(new CreateServiceCommand({ cluster: "js", serviceName: "x", taskDefinition: "js-app",
    launchType: "FARGATE" })), (e) => e instanceof InvalidParameterException);
  const up = (await ecs.send(new UpdateServiceCommand({ cluster: "js", service: "api", desiredCount: 4,
    taskDefinition: t2.taskDefinitionArn }))).service;
  assert.equal(up.runningCount, 4);
  assert.equal(up.deployments[0].taskDefinition, t2.taskDefinitionArn);
  await assert.rejects(ecs.send(new UpdateServiceCommand({ cluster: "js", service: "ghost", desiredCount: 1 })),
    (e) => e instanceof ServiceNotFoundException);
  const listed = await ecs.send(new ListServicesCommand({ cluster: "js" }));
  assert.deepEqual(listed.serviceArns, [service.serviceArn]);

  await ecs.send(new TagResourceCommand({ resourceArn: service.serviceArn, tags: [{ key: "t", value: "2" }] }));
  assert.deepEqual((await ecs.send(new ListTagsForResourceCommand({ resourceArn: service.serviceArn }))).tags,
    [{ key: "t", value: "2" }]);

  const del = (await ecs.send(new DeleteServiceCommand({ cluster: "js", service: "api", force: true }))).service;
  assert.equal(del.status, "DRAINING");
  const ds = await ecs.send(new DescribeServicesCommand({ cluster: "js", services: ["api"] }));
  assert.equal(ds.services[0].status, "INACTIVE");
  await ecs.send(new DeleteClusterCommand({ cluster: "js" }));
});
