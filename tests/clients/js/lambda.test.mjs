// AWS SDK for JavaScript v3 against ferry's Lambda (rest-json): functions from a zip, the
// waiters, configuration (LoggingConfig, which Debian's boto3 does not know), versions and
// aliases, policies, layers, errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import zlib from "node:zlib";
const require = createRequire(process.env.NODE_PATH + "/");
const {
  LambdaClient, CreateFunctionCommand, GetFunctionCommand, GetFunctionConfigurationCommand,
  UpdateFunctionConfigurationCommand, PublishVersionCommand, CreateAliasCommand,
  AddPermissionCommand, GetPolicyCommand, InvokeCommand, PublishLayerVersionCommand,
  ListFunctionsCommand, DeleteFunctionCommand, waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2, PutFunctionEventInvokeConfigCommand,
  GetFunctionEventInvokeConfigCommand, DeleteFunctionEventInvokeConfigCommand,
  CreateEventSourceMappingCommand, GetEventSourceMappingCommand, DeleteEventSourceMappingCommand,
} = require("@aws-sdk/client-lambda");
const { SQSClient, CreateQueueCommand, GetQueueAttributesCommand } = require("@aws-sdk/client-sqs");
const { SignatureV4 } = require("@smithy/signature-v4");
import crypto from "node:crypto";

// The hash SignatureV4 wants: SHA-256, or HMAC-SHA-256 when given a secret.
class Sha256 {
  constructor(secret) { this.h = secret ? crypto.createHmac("sha256", secret) : crypto.createHash("sha256"); }
  update(d) { this.h.update(d); }
  async digest() { return new Uint8Array(this.h.digest()); }
}

const keys = JSON.parse(process.env.FERRY_KEYS);
const cfg = (profile, region = "us-east-1") => ({
  endpoint: process.env.FERRY_ENDPOINT, region,
  credentials: { accessKeyId: keys[profile][0], secretAccessKey: keys[profile][1] },
});
const lambda = new LambdaClient(cfg("dev"));

// A zip of {name: text}, stored (no compression).
function zip(files) {
  const parts = [], central = [];
  let off = 0;
  for (const [name, text] of Object.entries(files)) {
    const n = Buffer.from(name), d = Buffer.from(text), crc = zlib.crc32(d);
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0); h.writeUInt16LE(20, 4); h.writeUInt32LE(crc, 14);
    h.writeUInt32LE(d.length, 18); h.writeUInt32LE(d.length, 22); h.writeUInt16LE(n.length, 26);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0); c.writeUInt16LE(0x031e, 4); c.writeUInt16LE(20, 6);
    c.writeUInt32LE(crc, 16); c.writeUInt32LE(d.length, 20); c.writeUInt32LE(d.length, 24);
    c.writeUInt16LE(n.length, 28); c.writeUInt32LE((0o100644 << 16) >>> 0, 38); c.writeUInt32LE(off, 42);
    parts.push(h, n, d);
    central.push(c, n);
    off += 30 + n.length + d.length;
  }
  const cd = Buffer.concat(central), end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(central.length / 2, 8);
  end.writeUInt16LE(central.length / 2, 10); end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(off, 16);
  return Buffer.concat([...parts, cd, end]);
}

const code = zip({ "index.js": "exports.handler = async (e) => e;\n" });
let role;

// IAM CreateRole by hand (no JS IAM client is pinned): a signed query-protocol POST.
async function createRole(name, trust) {
  const text = await iam({ Action: "CreateRole", RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) });
  return text.match(/<Arn>([^<]+)<\/Arn>/)[1];
}

async function iam(params) {
  const url = new URL(process.env.FERRY_ENDPOINT);
  const body = new URLSearchParams({ Version: "2010-05-08", ...params }).toString();
  const signer = new SignatureV4({ service: "iam", region: "us-east-1", sha256: Sha256,
    credentials: { accessKeyId: keys.dev[0], secretAccessKey: keys.dev[1] } });
  const req = await signer.sign({ method: "POST", protocol: url.protocol, hostname: url.hostname,
    port: Number(url.port), path: "/", body,
    headers: { host: url.host, "content-type": "application/x-www-form-urlencoded" } });
  const r = await fetch(url.origin + "/", { method: "POST", headers: req.headers, body });
  const text = await r.text();
  assert.equal(r.status, 200, text);
  return text;
}

test("create, wait, update, versions, aliases", async () => {
  role = await createRole("js-fn", { Version: "2012-10-17", Statement: [
    { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] });
  const c = await lambda.send(new CreateFunctionCommand({
    FunctionName: "js", Runtime: "nodejs20.x", Role: role, Handler: "index.handler",
    Code: { ZipFile: code }, MemorySize: 256,
  }));
  assert.equal(c.State, "Pending");
  assert.equal(c.LoggingConfig.LogGroup, "/aws/lambda/js");
  assert.equal(c.LoggingConfig.LogFormat, "Text");
  await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 30, minDelay: 1 }, { FunctionName: "js" });
  const u = await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "js", Timeout: 30 }));
  assert.equal(u.LastUpdateStatus, "InProgress");
  await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 30, minDelay: 1 }, { FunctionName: "js" });
  const g = await lambda.send(new GetFunctionCommand({ FunctionName: "js" }));
  assert.equal(g.Configuration.Timeout, 30);
  assert.equal(g.Configuration.MemorySize, 256);
  const v = await lambda.send(new PublishVersionCommand({ FunctionName: "js" }));
  assert.equal(v.Version, "1");
  const a = await lambda.send(new CreateAliasCommand({ FunctionName: "js", Name: "prod", FunctionVersion: "1" }));
  assert.match(a.AliasArn, /:function:js:prod$/);
  const q = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "js:prod" }));
  assert.equal(q.Version, "1");
  const fns = await lambda.send(new ListFunctionsCommand({ FunctionVersion: "ALL" }));
  assert.deepEqual(fns.Functions.map((f) => f.Version).sort(), ["$LATEST", "1"]);
});

test("policy, DryRun and errors", async () => {
  await lambda.send(new AddPermissionCommand({
    FunctionName: "js", StatementId: "s3", Action: "lambda:InvokeFunction",
    Principal: "s3.amazonaws.com", SourceArn: "arn:aws:s3:::bucket",
  }));
  const p = JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: "js" }))).Policy);
  assert.deepEqual(p.Statement[0].Condition, { ArnLike: { "AWS:SourceArn": "arn:aws:s3:::bucket" } });
  const r = await lambda.send(new InvokeCommand({ FunctionName: "js", InvocationType: "DryRun" }));
  assert.equal(r.StatusCode, 204);
  await assert.rejects(lambda.send(new GetFunctionCommand({ FunctionName: "none" })),
    (e) => e.name === "ResourceNotFoundException" && e.$metadata.httpStatusCode === 404);
  await assert.rejects(lambda.send(new CreateFunctionCommand({
    FunctionName: "bad", Runtime: "nodejs20.x", Role: role, Handler: "index.handler",
    Code: { ZipFile: Buffer.from("not a zip") },
  })), (e) => e.name === "InvalidParameterValueException" &&
    e.message === "Could not unzip uploaded file. Please check your file, then try to upload again.");
});

test("asynchronous invocation: EventInvokeConfig and Event", async () => {
  const put = await lambda.send(new PutFunctionEventInvokeConfigCommand({
    FunctionName: "js", MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 120,
  }));
  assert.match(put.FunctionArn, /:function:js:\$LATEST$/);
  assert.ok(put.LastModified instanceof Date);
  const got = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: "js" }));
  assert.equal(got.MaximumEventAgeInSeconds, 120);
  const r = await lambda.send(new InvokeCommand({ FunctionName: "js", InvocationType: "Event", Payload: "{}" }));
  assert.equal(r.StatusCode, 202);
  await lambda.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: "js" }));
  await assert.rejects(lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: "js" })),
    (e) => e.name === "ResourceNotFoundException" && /doesn't have an EventInvokeConfig$/.test(e.message));
});

test("layers", async () => {
  const l = await lambda.send(new PublishLayerVersionCommand({
    LayerName: "js-layer", Content: { ZipFile: zip({ "nodejs/x.js": "1" }) }, CompatibleRuntimes: ["nodejs20.x"],
  }));
  assert.equal(l.Version, 1);
  assert.match(l.LayerVersionArn, /:layer:js-layer:1$/);
  await lambda.send(new DeleteFunctionCommand({ FunctionName: "js" }));
});

test("SQS event source mapping: ScalingConfig (which Debian's boto3 does not know)", async () => {
  const trust = { Version: "2012-10-17", Statement: [
    { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] };
  const esmRole = await createRole("js-esm", trust);
  await iam({ Action: "PutRolePolicy", RoleName: "js-esm", PolicyName: "sqs", PolicyDocument: JSON.stringify(
    { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sqs:*", Resource: "*" }] }) });
  await lambda.send(new CreateFunctionCommand({
    FunctionName: "js-esm", Runtime: "nodejs20.x", Role: esmRole, Handler: "index.handler", Code: { ZipFile: code },
  }));
  const sqs = new SQSClient(cfg("dev"));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "js-esm" }));
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes.QueueArn;
  await assert.rejects(lambda.send(new CreateEventSourceMappingCommand({
    FunctionName: "js-esm", EventSourceArn: arn, ScalingConfig: { MaximumConcurrency: 1 },
  })), (e) => e.name === "ValidationException" && /maximumConcurrency/.test(e.message));
  const m = await lambda.send(new CreateEventSourceMappingCommand({
    FunctionName: "js-esm", EventSourceArn: arn, BatchSize: 20, MaximumBatchingWindowInSeconds: 1,
    ScalingConfig: { MaximumConcurrency: 3 },
  }));
  assert.equal(m.State, "Creating");
  assert.equal(m.ScalingConfig.MaximumConcurrency, 3);
  assert.equal(m.BatchSize, 20);
  const g = await lambda.send(new GetEventSourceMappingCommand({ UUID: m.UUID }));
  assert.equal(g.State, "Enabled");
  assert.ok(g.LastModified instanceof Date);
  const d = await lambda.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
  assert.equal(d.State, "Deleting");
  await lambda.send(new DeleteFunctionCommand({ FunctionName: "js-esm" }));
});
