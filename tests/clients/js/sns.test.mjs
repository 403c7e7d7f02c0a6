// AWS SDK for JavaScript v3 against ferry's SNS (query protocol): topics, attributes, tags,
// permissions, subscriptions delivering to SQS queues and to an HTTP endpoint served here
// (signatures checked with node:crypto against the certificate ferry serves), filter
// policies, batches, FIFO, and the errors as the SDK's exception classes.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createVerify, X509Certificate } from "node:crypto";
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH + "/");
const {
  SNSClient, CreateTopicCommand, DeleteTopicCommand, ListTopicsCommand, GetTopicAttributesCommand,
  SetTopicAttributesCommand, SubscribeCommand, ConfirmSubscriptionCommand, UnsubscribeCommand,
  ListSubscriptionsCommand, ListSubscriptionsByTopicCommand, GetSubscriptionAttributesCommand,
  SetSubscriptionAttributesCommand, PublishCommand, PublishBatchCommand, AddPermissionCommand,
  RemovePermissionCommand, TagResourceCommand, UntagResourceCommand, ListTagsForResourceCommand,
  paginateListTopics,
} = require("@aws-sdk/client-sns");
const {
  SQSClient, CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand,
  ReceiveMessageCommand, DeleteMessageCommand,
} = require("@aws-sdk/client-sqs");
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");

const keys = JSON.parse(process.env.FERRY_KEYS);
const cfg = (profile, region = "us-east-1") => ({
  endpoint: process.env.FERRY_ENDPOINT, region,
  credentials: { accessKeyId: keys[profile][0], secretAccessKey: keys[profile][1] },
});
const sns = new SNSClient(cfg("dev"));
const sqs = new SQSClient(cfg("dev"));
const account = async (p) => (await new STSClient(cfg(p)).send(new GetCallerIdentityCommand({}))).Account;

async function queueFor(name, topicArn, client = sqs) {
  const { QueueUrl } = await client.send(new CreateQueueCommand({
    QueueName: name, Attributes: name.endsWith(".fifo") ? { FifoQueue: "true" } : {} }));
  const arn = (await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes.QueueArn;
  await client.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: JSON.stringify({
    Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "sns.amazonaws.com" },
      Action: "sqs:SendMessage", Resource: arn, Condition: { ArnEquals: { "aws:SourceArn": topicArn } } }] }) } }));
  return { url: QueueUrl, arn };
}

async function receive(url, n, client = sqs, timeoutMs = 5000) {
  const got = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < n && Date.now() < deadline) {
    const r = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1, MessageAttributeNames: ["All"] }));
    for (const m of r.Messages ?? []) {
      got.push(m);
      await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  return got;
}

const certs = new Map();
async function verify(env) {
  if (!certs.has(env.SigningCertURL)) {
    certs.set(env.SigningCertURL, new X509Certificate(await (await fetch(env.SigningCertURL)).text()));
  }
  const fields = env.Type === "Notification"
    ? ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    : ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"];
  const text = fields.filter((k) => k in env).map((k) => `${k}\n${env[k]}\n`).join("");
  const v = createVerify(env.SignatureVersion === "1" ? "RSA-SHA1" : "RSA-SHA256");
  v.update(text);
  return v.verify(certs.get(env.SigningCertURL).publicKey, env.Signature, "base64");
}

// an HTTP endpoint that records what SNS posts
const posts = [];
let waiters = [];
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => { body += c; });
  req.on("end", () => {
    posts.push({ headers: req.headers, body });
    waiters = waiters.filter((w) => !w());
    res.writeHead(200).end();
  });
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const hookUrl = `http://127.0.0.1:${server.address().port}/hook`;
after(() => server.close());

function waitPosts(type, n, timeoutMs = 5000) {
  const pick = () => posts.filter((p) => p.headers["x-amz-sns-message-type"] === type);
  return new Promise((resolve) => {
    const check = () => { if (pick().length >= n) { resolve(pick()); return true; } return false; };
    if (check()) return;
    waiters.push(check);
    setTimeout(() => resolve(pick()), timeoutMs);
  });
}

test("topics: create, list, attributes, tags, permissions, delete", async () => {
  const me = await account("dev");
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "js-topic", Attributes: { DisplayName: "JS" },
    Tags: [{ Key: "sdk", Value: "v3" }] }));
  assert.equal(TopicArn, `arn:aws:sns:us-east-1:${me}:js-topic`);
  const all = [];
  for await (const page of paginateListTopics({ client: sns }, {})) all.push(...page.Topics);
  assert.ok(all.some((t) => t.TopicArn === TopicArn));
  await sns.send(new SetTopicAttributesCommand({ TopicArn, AttributeName: "DisplayName", AttributeValue: "JS2" }));
  const a = (await sns.send(new GetTopicAttributesCommand({ TopicArn }))).Attributes;
  assert.equal(a.DisplayName, "JS2");
  assert.equal(JSON.parse(a.Policy).Statement[0].Condition.StringEquals["AWS:SourceOwner"], me);
  await sns.send(new TagResourceCommand({ ResourceArn: TopicArn, Tags: [{ Key: "team", Value: "x" }] }));
  await sns.send(new UntagResourceCommand({ ResourceArn: TopicArn, TagKeys: ["sdk"] }));
  assert.deepEqual((await sns.send(new ListTagsForResourceCommand({ ResourceArn: TopicArn }))).Tags, [{ Key: "team", Value: "x" }]);
  const qa = new SNSClient(cfg("qa"));
  await assert.rejects(qa.send(new PublishCommand({ TopicArn, Message: "x" })),
    (e) => e.name === "AuthorizationErrorException" && e.$metadata.httpStatusCode === 403);
  await sns.send(new AddPermissionCommand({ TopicArn, Label: "qa", AWSAccountId: [await account("qa")], ActionName: ["Publish"] }));
  assert.ok((await qa.send(new PublishCommand({ TopicArn, Message: "x" }))).MessageId);
  await sns.send(new RemovePermissionCommand({ TopicArn, Label: "qa" }));
  await assert.rejects(qa.send(new PublishCommand({ TopicArn, Message: "x" })), (e) => e.name === "AuthorizationErrorException");
  await assert.rejects(sns.send(new CreateTopicCommand({ Name: "js-topic", Attributes: { DisplayName: "other" } })),
    (e) => e.name === "InvalidParameterException" &&
      e.message === "Invalid parameter: Attributes Reason: Topic already exists with different attributes");
  await sns.send(new DeleteTopicCommand({ TopicArn }));
  await assert.rejects(sns.send(new GetTopicAttributesCommand({ TopicArn })),
    (e) => e.name === "NotFoundException" && e.message === "Topic does not exist" && e.$metadata.httpStatusCode === 404);
  await assert.rejects(sns.send(new ListTagsForResourceCommand({ ResourceArn: TopicArn })),
    (e) => e.name === "ResourceNotFoundException");
});

test("SQS delivery: envelope, raw, filter policy, batch", async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "js-deliver" }));
  const env = await queueFor("js-env", TopicArn);
  const raw = await queueFor("js-raw", TopicArn);
  const s1 = await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: env.arn }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: raw.arn, ReturnSubscriptionArn: true,
    Attributes: { RawMessageDelivery: "true", FilterPolicy: JSON.stringify({ price: [{ numeric: [">", 100] }] }) } }));
  const subs = (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }))).Subscriptions;
  assert.equal(subs.length, 2);
  assert.ok((await sns.send(new ListSubscriptionsCommand({}))).Subscriptions.some((s) => s.SubscriptionArn === s1.SubscriptionArn));
  const p = await sns.send(new PublishCommand({ TopicArn, Message: "cheap", Subject: "S",
    MessageAttributes: { price: { DataType: "Number", StringValue: "5" } } }));
  const b = await sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: [
    { Id: "a", Message: "dear", MessageAttributes: { price: { DataType: "Number", StringValue: "500" } } },
    { Id: "b", Message: "bad", MessageAttributes: { price: { DataType: "Number", StringValue: "five" } } }] }));
  assert.deepEqual(b.Successful.map((s) => s.Id), ["a"]);
  assert.equal(b.Failed[0].Code, "ParameterValueInvalid");
  const envs = (await receive(env.url, 2)).map((m) => JSON.parse(m.Body));
  assert.deepEqual(envs.map((e) => e.Message).sort(), ["cheap", "dear"]);
  const cheap = envs.find((e) => e.Message === "cheap");
  assert.equal(cheap.MessageId, p.MessageId);
  assert.equal(cheap.Subject, "S");
  assert.deepEqual(cheap.MessageAttributes, { price: { Type: "Number", Value: "5" } });
  for (const e of envs) assert.ok(await verify(e));
  const raws = await receive(raw.url, 1);
  assert.deepEqual(raws.map((m) => m.Body), ["dear"]);
  assert.equal(raws[0].MessageAttributes.price.StringValue, "500");
  const a = (await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: s1.SubscriptionArn }))).Attributes;
  assert.equal(a.Protocol, "sqs");
  await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: s1.SubscriptionArn,
    AttributeName: "FilterPolicy", AttributeValue: JSON.stringify({ kind: [{ prefix: "fl" }] }) }));
  await assert.rejects(sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: s1.SubscriptionArn,
    AttributeName: "FilterPolicy", AttributeValue: JSON.stringify({ a: [1], b: [1], c: [1], d: [1], e: [1], f: [1] }) })),
    (e) => e.name === "InvalidParameterException" &&
      e.message === "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys");
  await sns.send(new UnsubscribeCommand({ SubscriptionArn: s1.SubscriptionArn }));
  await assert.rejects(sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: s1.SubscriptionArn })),
    (e) => e.name === "NotFoundException");
});

test("FIFO topic to a FIFO queue", async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "js.fifo",
    Attributes: { FifoTopic: "true", ContentBasedDeduplication: "true" } }));
  const q = await queueFor("js-q.fifo", TopicArn);
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: q.arn, Attributes: { RawMessageDelivery: "true" } }));
  const seqs = [];
  for (let i = 0; i < 5; i++) {
    seqs.push((await sns.send(new PublishCommand({ TopicArn, Message: `m${i}`, MessageGroupId: "g" }))).SequenceNumber);
  }
  assert.deepEqual([...seqs].sort(), seqs);
  assert.deepEqual((await receive(q.url, 5)).map((m) => m.Body), ["m0", "m1", "m2", "m3", "m4"]);
  await assert.rejects(sns.send(new PublishCommand({ TopicArn, Message: "m" })),
    (e) => e.name === "InvalidParameterException" &&
      e.message === "Invalid parameter: The MessageGroupId parameter is required for FIFO topics");
});

test("HTTP endpoint: confirmation, signed notifications", async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "js-http", Attributes: { SignatureVersion: "2" } }));
  const r = await sns.send(new SubscribeCommand({ TopicArn, Protocol: "http", Endpoint: hookUrl }));
  assert.equal(r.SubscriptionArn, "pending confirmation");
  const [conf] = await waitPosts("SubscriptionConfirmation", 1);
  const c = JSON.parse(conf.body);
  assert.ok(await verify(c));
  const { SubscriptionArn } = await sns.send(new ConfirmSubscriptionCommand({ TopicArn, Token: c.Token }));
  assert.ok(SubscriptionArn.startsWith(TopicArn + ":"));
  await sns.send(new PublishCommand({ TopicArn, Message: "over http" }));
  const [n] = await waitPosts("Notification", 1);
  const e = JSON.parse(n.body);
  assert.equal(e.Message, "over http");
  assert.equal(e.SignatureVersion, "2");
  assert.equal(n.headers["x-amz-sns-subscription-arn"], SubscriptionArn);
  assert.ok(await verify(e));
  assert.equal(await verify({ ...e, Message: "forged" }), false);
  await assert.rejects(sns.send(new ConfirmSubscriptionCommand({ TopicArn, Token: "nope" })),
    (x) => x.name === "InvalidParameterException");
});

test("publish errors", async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "js-errors" }));
  await assert.rejects(sns.send(new PublishCommand({ TopicArn, Message: "x".repeat(256 * 1024 + 1) })),
    (e) => e.name === "InvalidParameterException" && e.message === "Invalid parameter: Message too long");
  await assert.rejects(sns.send(new PublishCommand({ TopicArn, Message: "m",
    MessageAttributes: { a: { DataType: "Blob", StringValue: "v" } } })),
    (e) => e.name === "InvalidParameterValueException");
  await assert.rejects(sns.send(new PublishCommand({ TopicArn: TopicArn + "x", Message: "m" })),
    (e) => e.name === "NotFoundException");
  await assert.rejects(sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: [] })),
    (e) => e.name === "EmptyBatchRequestException");
  await assert.rejects(sns.send(new SubscribeCommand({ TopicArn, Protocol: "carrier-pigeon", Endpoint: "x" })),
    (e) => e.name === "InvalidParameterException");
});
