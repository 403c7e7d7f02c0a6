// AWS SDK for JavaScript v3 against ferry's Cloud Map (json 1.1): namespaces and their
// operations, services, instances, custom health, DiscoverInstances (with the SDK's host
// prefix off: disableHostPrefix), InstancesRevision, errors with their extra members.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH + "/");
const {
  ServiceDiscoveryClient, CreateHttpNamespaceCommand, GetOperationCommand, GetNamespaceCommand,
  ListNamespacesCommand, CreateServiceCommand, RegisterInstanceCommand, DiscoverInstancesCommand,
  DiscoverInstancesRevisionCommand, UpdateInstanceCustomHealthStatusCommand,
  DeregisterInstanceCommand, DeleteServiceCommand, DeleteNamespaceCommand, ListInstancesCommand,
  NamespaceAlreadyExists, ServiceNotFound,
} = require("@aws-sdk/client-servicediscovery");

const keys = JSON.parse(process.env.FERRY_KEYS);
const cfg = (profile, extra = {}) => ({
  endpoint: process.env.FERRY_ENDPOINT, region: "us-east-1",
  credentials: { accessKeyId: keys[profile][0], secretAccessKey: keys[profile][1] }, ...extra,
});
const sd = new ServiceDiscoveryClient(cfg("qa"));
const data = new ServiceDiscoveryClient(cfg("qa", { disableHostPrefix: true }));

async function done(id) {
  for (let i = 0; i < 200; i++) {
    const o = (await sd.send(new GetOperationCommand({ OperationId: id }))).Operation;
    if (o.Status !== "SUBMITTED" && o.Status !== "PENDING") return o;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("operation did not finish");
}

test("namespaces, services, instances and discovery", async () => {
  const op = (await sd.send(new CreateHttpNamespaceCommand({ Name: "js-ns", CreatorRequestId: "js-1" }))).OperationId;
  const first = (await sd.send(new GetOperationCommand({ OperationId: op }))).Operation;
  assert.ok(["SUBMITTED", "PENDING"].includes(first.Status));
  assert.ok(first.CreateDate instanceof Date);
  const o = await done(op);
  assert.equal(o.Status, "SUCCESS");
  const nsid = o.Targets.NAMESPACE;
  const ns = (await sd.send(new GetNamespaceCommand({ Id: nsid }))).Namespace;
  assert.equal(ns.Type, "HTTP");
  assert.equal(ns.Properties.HttpProperties.HttpName, "js-ns");
  const err = await sd.send(new CreateHttpNamespaceCommand({ Name: "js-ns", CreatorRequestId: "js-2" })).catch((e) => e);
  assert.ok(err instanceof NamespaceAlreadyExists);
  assert.equal(err.NamespaceId, nsid);
  const listed = await sd.send(new ListNamespacesCommand({ Filters: [{ Name: "NAME", Values: ["js-ns"] }] }));
  assert.deepEqual(listed.Namespaces.map((n) => n.Id), [nsid]);

  const svc = (await sd.send(new CreateServiceCommand({
    Name: "api", NamespaceId: nsid, HealthCheckCustomConfig: { FailureThreshold: 1 },
  }))).Service;
  for (const [id, ip] of [["a", "10.0.0.1"], ["b", "10.0.0.2"]])
    await sd.send(new RegisterInstanceCommand({
      ServiceId: svc.Id, InstanceId: id, Attributes: { AWS_INSTANCE_IPV4: ip, AWS_INSTANCE_PORT: "80" },
    }));
  const r = await data.send(new DiscoverInstancesCommand({ NamespaceName: "js-ns", ServiceName: "api" }));
  assert.deepEqual(r.Instances.map((i) => i.InstanceId).sort(), ["a", "b"]);
  assert.equal(typeof r.InstancesRevision, "number");
  const rev = (await data.send(new DiscoverInstancesRevisionCommand({ NamespaceName: "js-ns", ServiceName: "api" }))).InstancesRevision;
  assert.equal(rev, r.InstancesRevision);
  await sd.send(new UpdateInstanceCustomHealthStatusCommand({ ServiceId: svc.Id, InstanceId: "a", Status: "UNHEALTHY" }));
  const h = await data.send(new DiscoverInstancesCommand({ NamespaceName: "js-ns", ServiceName: "api", HealthStatus: "HEALTHY" }));
  assert.deepEqual(h.Instances.map((i) => i.InstanceId), ["b"]);
  assert.ok(h.InstancesRevision > rev);

  // (with the host prefix on, the JS SDK puts "data-" before the endpoint's host name
  // itself, and data-127.0.0.1 does not resolve: disableHostPrefix is the way for it)
  await assert.rejects(data.send(new DiscoverInstancesCommand({ NamespaceName: "js-ns", ServiceName: "none" })),
    (e) => e instanceof ServiceNotFound && e.$metadata.httpStatusCode === 400);
  for (const id of ["a", "b"])
    await done((await sd.send(new DeregisterInstanceCommand({ ServiceId: svc.Id, InstanceId: id }))).OperationId);
  assert.deepEqual((await sd.send(new ListInstancesCommand({ ServiceId: svc.Id }))).Instances, []);
  await sd.send(new DeleteServiceCommand({ Id: svc.Id }));
  assert.equal((await done((await sd.send(new DeleteNamespaceCommand({ Id: nsid }))).OperationId)).Status, "SUCCESS");
});
