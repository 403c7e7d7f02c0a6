// AWS SDK for JavaScript v3 against ferry's SSM Parameter Store (json 1.1): parameters,
// SecureString through KMS (default and customer keys), paths, history, labels, tags, errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH + "/");
const {
  SSMClient, PutParameterCommand, GetParameterCommand, GetParametersCommand,
  GetParametersByPathCommand, DescribeParametersCommand, DeleteParameterCommand,
  GetParameterHistoryCommand, LabelParameterVersionCommand, AddTagsToResourceCommand,
  ListTagsForResourceCommand, paginateGetParametersByPath,
} = require("@aws-sdk/client-ssm");
const { KMSClient, CreateKeyCommand } = require("@aws-sdk/client-kms");

const keys = JSON.parse(process.env.FERRY_KEYS);
const cfg = (profile, region = "us-east-1") => ({
  endpoint: process.env.FERRY_ENDPOINT, region,
  credentials: { accessKeyId: keys[profile][0], secretAccessKey: keys[profile][1] },
});
const ssm = new SSMClient(cfg("dev"));

test("put, get, versions and selectors", async () => {
  const r = await ssm.send(new PutParameterCommand({ Name: "/js/app/url", Value: "http://a", Type: "String" }));
  assert.equal(r.Version, 1);
  assert.equal(r.Tier, "Standard");
  await ssm.send(new PutParameterCommand({ Name: "/js/app/url", Value: "http://b", Overwrite: true }));
  const p = (await ssm.send(new GetParameterCommand({ Name: "/js/app/url" }))).Parameter;
  assert.equal(p.Value, "http://b");
  assert.equal(p.Version, 2);
  assert.ok(p.LastModifiedDate instanceof Date);
  assert.match(p.ARN, /^arn:aws:ssm:us-east-1:\d{12}:parameter\/js\/app\/url$/);
  const v1 = (await ssm.send(new GetParameterCommand({ Name: "/js/app/url:1" }))).Parameter;
  assert.equal(v1.Value, "http://a");
  assert.equal(v1.Selector, ":1");
  const many = await ssm.send(new GetParametersCommand({ Names: ["/js/app/url", "/js/none"] }));
  assert.deepEqual(many.InvalidParameters, ["/js/none"]);
  await assert.rejects(ssm.send(new GetParameterCommand({ Name: "/js/none" })),
    (e) => e.name === "ParameterNotFound" && e.$metadata.httpStatusCode === 400);
  await assert.rejects(ssm.send(new PutParameterCommand({ Name: "/js/app/url", Value: "x", Type: "String" })),
    (e) => e.name === "ParameterAlreadyExists");
  await assert.rejects(ssm.send(new PutParameterCommand({ Name: "/aws/x", Value: "x", Type: "String" })),
    (e) => e.name === "ValidationException");
});

test("SecureString with the default and a customer key", async () => {
  await ssm.send(new PutParameterCommand({ Name: "/js/secret/a", Value: "s3cr3t", Type: "SecureString" }));
  const key = (await new KMSClient(cfg("dev")).send(new CreateKeyCommand({}))).KeyMetadata;
  await ssm.send(new PutParameterCommand({ Name: "/js/secret/b", Value: "other", Type: "SecureString", KeyId: key.Arn }));
  const enc = (await ssm.send(new GetParameterCommand({ Name: "/js/secret/a" }))).Parameter;
  assert.notEqual(enc.Value, "s3cr3t");
  const page = await ssm.send(new GetParametersByPathCommand({ Path: "/js/secret", WithDecryption: true }));
  assert.deepEqual(page.Parameters.map((p) => [p.Name, p.Value]),
    [["/js/secret/a", "s3cr3t"], ["/js/secret/b", "other"]]);
  const md = (await ssm.send(new DescribeParametersCommand({
    ParameterFilters: [{ Key: "Path", Option: "OneLevel", Values: ["/js/secret"] }] }))).Parameters;
  assert.deepEqual(md.map((m) => m.KeyId), ["alias/aws/ssm", key.Arn]);
});

test("paths, history, labels and tags", async () => {
  for (let i = 0; i < 12; i++)
    await ssm.send(new PutParameterCommand({ Name: `/js/many/p${String(i).padStart(2, "0")}`, Value: `${i}`, Type: "String" }));
  const names = [];
  for await (const page of paginateGetParametersByPath({ client: ssm, pageSize: 5 }, { Path: "/js/many" }))
    names.push(...page.Parameters.map((p) => p.Name));
  assert.equal(names.length, 12);
  assert.equal(names[11], "/js/many/p11");
  const lab = await ssm.send(new LabelParameterVersionCommand({ Name: "/js/app/url", ParameterVersion: 1, Labels: ["old"] }));
  assert.equal(lab.ParameterVersion, 1);
  assert.equal((await ssm.send(new GetParameterCommand({ Name: "/js/app/url:old" }))).Parameter.Value, "http://a");
  const h = (await ssm.send(new GetParameterHistoryCommand({ Name: "/js/app/url" }))).Parameters;
  assert.deepEqual(h.map((v) => [v.Version, v.Labels]), [[1, ["old"]], [2, []]]);
  await ssm.send(new AddTagsToResourceCommand({ ResourceType: "Parameter", ResourceId: "/js/app/url", Tags: [{ Key: "k", Value: "v" }] }));
  const tags = (await ssm.send(new ListTagsForResourceCommand({ ResourceType: "Parameter", ResourceId: "/js/app/url" }))).TagList;
  assert.deepEqual(tags, [{ Key: "k", Value: "v" }]);
  await ssm.send(new DeleteParameterCommand({ Name: "/js/app/url" }));
  await assert.rejects(ssm.send(new DeleteParameterCommand({ Name: "/js/app/url" })), (e) => e.name === "ParameterNotFound");
});
