// AWS SDK for JavaScript v3 against ferry's Route 53 (rest-xml, global): zones, a record
// batch, GetChange, listing with paging, InvalidChangeBatch's message, health checks, tags.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH + "/");
const {
  Route53Client, CreateHostedZoneCommand, GetHostedZoneCommand, ListHostedZonesByNameCommand,
  ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, GetChangeCommand,
  DeleteHostedZoneCommand, CreateHealthCheckCommand, GetHealthCheckCommand,
  ChangeTagsForResourceCommand, ListTagsForResourceCommand,
} = require("@aws-sdk/client-route-53");

const keys = JSON.parse(process.env.FERRY_KEYS);
const r53 = new Route53Client({
  endpoint: process.env.FERRY_ENDPOINT, region: "us-east-1",
  credentials: { accessKeyId: keys.tools[0], secretAccessKey: keys.tools[1] },
});

test("zones, record sets and changes", async () => {
  const made = await r53.send(new CreateHostedZoneCommand({
    Name: "js.example.com", CallerReference: `js-${Date.now()}`,
    HostedZoneConfig: { Comment: "from js" } }));
  const id = made.HostedZone.Id;
  assert.match(id, /^\/hostedzone\/Z[A-Z0-9]+$/);
  assert.equal(made.DelegationSet.NameServers.length, 4);
  const got = await r53.send(new GetHostedZoneCommand({ Id: id }));
  assert.equal(got.HostedZone.Config.Comment, "from js");
  const byName = await r53.send(new ListHostedZonesByNameCommand({ DNSName: "js.example.com" }));
  assert.equal(byName.HostedZones[0].Name, "js.example.com.");
  const ch = await r53.send(new ChangeResourceRecordSetsCommand({
    HostedZoneId: id, ChangeBatch: { Comment: "two", Changes: [
      { Action: "CREATE", ResourceRecordSet: { Name: "a.js.example.com", Type: "A", TTL: 60,
        ResourceRecords: [{ Value: "192.0.2.1" }] } },
      { Action: "CREATE", ResourceRecordSet: { Name: "b.js.example.com", Type: "CNAME", TTL: 60,
        ResourceRecords: [{ Value: "a.js.example.com" }] } },
    ] } }));
  assert.equal(ch.ChangeInfo.Status, "PENDING");
  const c = await r53.send(new GetChangeCommand({ Id: ch.ChangeInfo.Id }));
  assert.equal(c.ChangeInfo.Comment, "two");
  assert.ok(["PENDING", "INSYNC"].includes(c.ChangeInfo.Status));
  const page = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: id, MaxItems: 3 }));
  assert.equal(page.IsTruncated, true);
  assert.deepEqual(page.ResourceRecordSets.map((s) => [s.Name, s.Type]), [
    ["js.example.com.", "NS"], ["js.example.com.", "SOA"], ["a.js.example.com.", "A"]]);
  assert.equal(page.NextRecordName, "b.js.example.com.");
  await assert.rejects(r53.send(new ChangeResourceRecordSetsCommand({
    HostedZoneId: id, ChangeBatch: { Changes: [{ Action: "CREATE", ResourceRecordSet: {
      Name: "a.js.example.com", Type: "A", TTL: 60, ResourceRecords: [{ Value: "192.0.2.1" }] } }] } })),
  (e) => e.name === "InvalidChangeBatch" &&
    e.message.includes("Tried to create resource record set [name='a.js.example.com.', type='A'] but it already exists"));
  await assert.rejects(r53.send(new DeleteHostedZoneCommand({ Id: id })),
    (e) => e.name === "HostedZoneNotEmpty");
  await r53.send(new ChangeTagsForResourceCommand({ ResourceType: "hostedzone",
    ResourceId: id.split("/").pop(), AddTags: [{ Key: "k", Value: "v" }] }));
  const tags = await r53.send(new ListTagsForResourceCommand({ ResourceType: "hostedzone",
    ResourceId: id.split("/").pop() }));
  assert.deepEqual(tags.ResourceTagSet.Tags, [{ Key: "k", Value: "v" }]);
});

test("health checks", async () => {
  const hc = await r53.send(new CreateHealthCheckCommand({ CallerReference: `hc-${Date.now()}`,
    HealthCheckConfig: { Type: "HTTP", IPAddress: "127.0.0.1", Port: 9, ResourcePath: "/" } }));
  const got = await r53.send(new GetHealthCheckCommand({ HealthCheckId: hc.HealthCheck.Id }));
  assert.equal(got.HealthCheck.HealthCheckConfig.FailureThreshold, 3);
  assert.equal(got.HealthCheck.HealthCheckConfig.RequestInterval, 30);
  await assert.rejects(r53.send(new GetHostedZoneCommand({ Id: "ZNOSUCHZONE" })),
    (e) => e.name === "NoSuchHostedZone" && e.$metadata.httpStatusCode === 404);
});
