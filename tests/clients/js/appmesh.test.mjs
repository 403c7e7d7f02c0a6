// AWS SDK for JavaScript v3 against ferry's App Mesh (rest-json): a mesh with two virtual
// nodes behind a router, a weighted route updated in place, list and describe shapes
// (timestamps, versions, owners), AWS's errors, and the proxy's listener for the mesh.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH + "/");
const {
  AppMeshClient, CreateMeshCommand, CreateVirtualNodeCommand, CreateVirtualRouterCommand,
  CreateRouteCommand, UpdateRouteCommand, DescribeRouteCommand, ListRoutesCommand,
  CreateVirtualServiceCommand, DeleteVirtualNodeCommand, DescribeMeshCommand, ListMeshesCommand,
} = require("@aws-sdk/client-app-mesh");

const keys = JSON.parse(process.env.FERRY_KEYS);
const cfg = (profile, region = "us-east-1") => ({
  endpoint: process.env.FERRY_ENDPOINT, region,
  credentials: { accessKeyId: keys[profile][0], secretAccessKey: keys[profile][1] },
});
const node = (port) => ({
  listeners: [{ portMapping: { port, protocol: "http" } }],
  serviceDiscovery: { dns: { hostname: "127.0.0.1" } },
});
const targets = (a, b) => ({
  httpRoute: { match: { prefix: "/" }, action: { weightedTargets: [
    { virtualNode: "js-1", weight: a }, { virtualNode: "js-2", weight: b }] } },
});

test("mesh, nodes, router, weighted route, errors", async () => {
  const am = new AppMeshClient(cfg("qa"));
  const m = (await am.send(new CreateMeshCommand({ meshName: "js-mesh" }))).mesh;
  assert.equal(m.status.status, "ACTIVE");
  assert.ok(m.metadata.createdAt instanceof Date);
  assert.equal(m.metadata.version, 1);
  await am.send(new CreateVirtualNodeCommand({ meshName: "js-mesh", virtualNodeName: "js-1", spec: node(18081) }));
  await am.send(new CreateVirtualNodeCommand({ meshName: "js-mesh", virtualNodeName: "js-2", spec: node(18082) }));
  await am.send(new CreateVirtualRouterCommand({ meshName: "js-mesh", virtualRouterName: "r",
    spec: { listeners: [{ portMapping: { port: 80, protocol: "http" } }] } }));
  const r = (await am.send(new CreateRouteCommand({ meshName: "js-mesh", virtualRouterName: "r",
    routeName: "rt", spec: targets(50, 50) }))).route;
  assert.match(r.metadata.arn, /:mesh\/js-mesh\/virtualRouter\/r\/route\/rt$/);
  const u = (await am.send(new UpdateRouteCommand({ meshName: "js-mesh", virtualRouterName: "r",
    routeName: "rt", spec: targets(20, 80) }))).route;
  assert.equal(u.metadata.version, 2);
  const d = (await am.send(new DescribeRouteCommand({ meshName: "js-mesh", virtualRouterName: "r",
    routeName: "rt" }))).route;
  assert.deepEqual(d.spec.httpRoute.action.weightedTargets.map((t) => t.weight), [20, 80]);
  const list = await am.send(new ListRoutesCommand({ meshName: "js-mesh", virtualRouterName: "r" }));
  assert.deepEqual(list.routes.map((x) => x.routeName), ["rt"]);
  assert.equal(list.routes[0].meshOwner, list.routes[0].resourceOwner);
  assert.ok((await am.send(new ListMeshesCommand({}))).meshes.some((x) => x.meshName === "js-mesh"));

  await assert.rejects(am.send(new UpdateRouteCommand({ meshName: "js-mesh", virtualRouterName: "r",
    routeName: "rt", spec: targets(0, 0) })),
  (e) => e.name === "BadRequestException" && e.$metadata.httpStatusCode === 400);
  await assert.rejects(am.send(new CreateMeshCommand({ meshName: "js-mesh" })),
    (e) => e.name === "ConflictException" && e.$metadata.httpStatusCode === 409);
  await assert.rejects(am.send(new DeleteVirtualNodeCommand({ meshName: "js-mesh", virtualNodeName: "js-1" })),
    (e) => e.name === "ResourceInUseException" && e.$metadata.httpStatusCode === 409);
  await assert.rejects(am.send(new DescribeMeshCommand({ meshName: "nope" })),
    (e) => e.name === "NotFoundException" && e.$metadata.httpStatusCode === 404);

  // the data plane lists the mesh's listener once it has a virtual service to serve
  await am.send(new CreateVirtualServiceCommand({ meshName: "js-mesh", virtualServiceName: "js.local",
    spec: { provider: { virtualRouter: { virtualRouterName: "r" } } } }));
  let ep;
  for (let i = 0; i < 250 && !ep; i++) {
    const body = await (await fetch(process.env.FERRY_ENDPOINT + "/_ferry/mesh")).json();
    ep = body.endpoints.find((e) => e.kind === "mesh" && e.mesh === "js-mesh");
    if (!ep) await new Promise((res) => setTimeout(res, 20));
  }
  assert.ok(ep && ep.port > 0 && ep.address === "127.0.0.1");
});
