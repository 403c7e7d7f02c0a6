// AWS SDK for JavaScript v3 against ferry's RAM (rest-json): a mesh shared by invitation
// (sharing with the organization is not enabled in this server), accepted by the receiver;
// associations, DeleteResourceShare (query string), AWS managed permissions and errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH + "/");
const {
  RAMClient, CreateResourceShareCommand, GetResourceShareInvitationsCommand,
  AcceptResourceShareInvitationCommand, ListResourcesCommand, GetResourceShareAssociationsCommand,
  DeleteResourceShareCommand, GetResourceSharesCommand, ListPermissionsCommand,
  GetPermissionCommand, paginateGetResourceShares,
} = require("@aws-sdk/client-ram");
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");

const keys = JSON.parse(process.env.FERRY_KEYS);
const cfg = (profile, region = "us-east-1") => ({
  endpoint: process.env.FERRY_ENDPOINT, region,
  credentials: { accessKeyId: keys[profile][0], secretAccessKey: keys[profile][1] },
});
const account = async (p) => (await new STSClient(cfg(p)).send(new GetCallerIdentityCommand({}))).Account;

test("a mesh shared by invitation, accepted, then deleted", async () => {
  const qa = new RAMClient(cfg("qa")), prod = new RAMClient(cfg("prod"));
  const [qaId, prodId] = [await account("qa"), await account("prod")];
  const mesh = `arn:aws:appmesh:us-east-1:${qaId}:mesh/js-mesh`;
  const { resourceShare } = await qa.send(new CreateResourceShareCommand({
    name: "js-share", resourceArns: [mesh], principals: [prodId], clientToken: "js-1",
    tags: [{ key: "sdk", value: "js" }],
  }));
  const arn = resourceShare.resourceShareArn;
  assert.match(arn, new RegExp(`^arn:aws:ram:us-east-1:${qaId}:resource-share/`));
  assert.ok(resourceShare.creationTime instanceof Date);
  const assoc = (await qa.send(new GetResourceShareAssociationsCommand({
    associationType: "PRINCIPAL", resourceShareArns: [arn] }))).resourceShareAssociations;
  assert.deepEqual(assoc.map((a) => [a.associatedEntity, a.status]), [[prodId, "ASSOCIATING"]]);
  const inv = (await prod.send(new GetResourceShareInvitationsCommand({ resourceShareArns: [arn] })))
    .resourceShareInvitations;
  assert.equal(inv.length, 1);
  assert.equal(inv[0].status, "PENDING");
  const acc = await prod.send(new AcceptResourceShareInvitationCommand({
    resourceShareInvitationArn: inv[0].resourceShareInvitationArn }));
  assert.equal(acc.resourceShareInvitation.status, "ACCEPTED");
  const res = (await prod.send(new ListResourcesCommand({ resourceOwner: "OTHER-ACCOUNTS", resourceShareArns: [arn] })))
    .resources;
  assert.deepEqual(res.map((r) => [r.arn, r.type]), [[mesh, "appmesh:Mesh"]]);
  // DeleteResourceShare carries its ARN in the query string
  const del = await qa.send(new DeleteResourceShareCommand({ resourceShareArn: arn, clientToken: "js-del" }));
  assert.equal(del.returnValue, true);
  assert.equal(del.clientToken, "js-del");
  const after = (await qa.send(new GetResourceSharesCommand({ resourceOwner: "SELF", resourceShareArns: [arn] })))
    .resourceShares;
  assert.equal(after[0].status, "DELETED");
  assert.deepEqual((await prod.send(new ListResourcesCommand({
    resourceOwner: "OTHER-ACCOUNTS", resourceShareArns: [arn] }))).resources, []);
});

test("pages, managed permissions and errors", async () => {
  const qa = new RAMClient(cfg("qa"));
  for (let i = 0; i < 3; i++) await qa.send(new CreateResourceShareCommand({ name: `js-page-${i}` }));
  let pages = 0, names = [];
  for await (const page of paginateGetResourceShares({ client: qa, pageSize: 2 }, { resourceOwner: "SELF" })) {
    pages++;
    names.push(...page.resourceShares.map((s) => s.name));
  }
  assert.ok(pages >= 2);
  assert.ok(["js-page-0", "js-page-1", "js-page-2"].every((n) => names.includes(n)));
  const perms = (await qa.send(new ListPermissionsCommand({ permissionType: "AWS_MANAGED" }))).permissions;
  assert.deepEqual(perms.map((p) => p.name).sort(), ["AWSRAMDefaultPermissionAppMesh", "AWSRAMDefaultPermissionSubnet"]);
  assert.ok(perms.every((p) => p.permissionType === "AWS_MANAGED" && p.featureSet === "STANDARD"));
  assert.deepEqual((await qa.send(new ListPermissionsCommand({ permissionType: "CUSTOMER_MANAGED" }))).permissions, []);
  const mesh = (await qa.send(new GetPermissionCommand({
    permissionArn: "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionAppMesh" }))).permission;
  assert.ok(JSON.parse(mesh.permission).Action.includes("appmesh:CreateVirtualNode"));
  await assert.rejects(qa.send(new CreateResourceShareCommand({ name: "x", resourceArns: ["arn:nope"] })),
    (e) => e.name === "MalformedArnException" && e.$metadata.httpStatusCode === 400);
  await assert.rejects(qa.send(new CreateResourceShareCommand({ name: "x", principals: ["o-123random"] })),
    (e) => e.name === "InvalidParameterException" &&
      e.message === "Principal ID o-123random is malformed. Verify the ID and try again.");
  await assert.rejects(qa.send(new AcceptResourceShareInvitationCommand({
    resourceShareInvitationArn: "arn:aws:ram:us-east-1:123456789012:resource-share-invitation/nope" })),
    (e) => e.name === "ResourceShareInvitationArnNotFoundException");
});
