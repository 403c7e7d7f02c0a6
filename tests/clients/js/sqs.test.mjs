// AWS SDK for JavaScript v3 against ferry's SQS: the json 1.0 protocol (awsQueryCompatible).
// The SDK checks MD5OfBody / MD5OfMessageBody itself; the attribute digests are checked here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH + "/");
const sqsmod = require("@aws-sdk/client-sqs");
const {
  SQSClient, CreateQueueCommand, GetQueueUrlCommand, ListQueuesCommand, DeleteQueueCommand,
  GetQueueAttributesCommand, SetQueueAttributesCommand, SendMessageCommand, SendMessageBatchCommand,
  ReceiveMessageCommand, DeleteMessageCommand, DeleteMessageBatchCommand, ChangeMessageVisibilityCommand,
  ChangeMessageVisibilityBatchCommand, PurgeQueueCommand, TagQueueCommand, UntagQueueCommand,
  ListQueueTagsCommand, AddPermissionCommand, RemovePermissionCommand, ListDeadLetterSourceQueuesCommand,
  StartMessageMoveTaskCommand, ListMessageMoveTasksCommand, CancelMessageMoveTaskCommand,
} = sqsmod;
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");

const keys = JSON.parse(process.env.FERRY_KEYS);
const cfg = (profile, region = "us-east-1") => ({
  endpoint: process.env.FERRY_ENDPOINT, region,
  credentials: { accessKeyId: keys[profile][0], secretAccessKey: keys[profile][1] },
});
const dev = new SQSClient(cfg("dev"));
const account = async (p) => (await new STSClient(cfg(p)).send(new GetCallerIdentityCommand({}))).Account;
const arnOf = async (url) => (await dev.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))).Attributes.QueueArn;
const md5 = (b) => createHash("md5").update(b).digest("hex");

// AWS's digest of message attributes
function md5Attrs(attrs) {
  const parts = [];
  const len = (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
  for (const name of Object.keys(attrs).sort()) {
    const a = attrs[name];
    const n = Buffer.from(name), t = Buffer.from(a.DataType);
    parts.push(len(n.length), n, len(t.length), t);
    if (a.BinaryValue !== undefined) {
      const v = Buffer.from(a.BinaryValue);
      parts.push(Buffer.from([2]), len(v.length), v);
    } else {
      const v = Buffer.from(a.StringValue);
      parts.push(Buffer.from([1]), len(v.length), v);
    }
  }
  return md5(Buffer.concat(parts));
}

async function rejects(p, name, check) {
  await assert.rejects(p, (e) => {
    assert.equal(e.name, name, `${e.name}: ${e.message}`);
    if (check) check(e);
    return true;
  });
}

test("queues: create, url, list, attributes, delete", async () => {
  const acct = await account("dev");
  const { QueueUrl } = await dev.send(new CreateQueueCommand({ QueueName: "js-q", Attributes: { VisibilityTimeout: "12" }, tags: { a: "b" } }));
  assert.equal(QueueUrl, `${process.env.FERRY_ENDPOINT}/${acct}/js-q`);
  assert.equal((await dev.send(new GetQueueUrlCommand({ QueueName: "js-q" }))).QueueUrl, QueueUrl);
  assert.equal((await dev.send(new CreateQueueCommand({ QueueName: "js-q", Attributes: { VisibilityTimeout: "12" } }))).QueueUrl, QueueUrl);
  await rejects(dev.send(new CreateQueueCommand({ QueueName: "js-q", Attributes: { VisibilityTimeout: "13" } })), "QueueNameExists",
    (e) => assert.equal(e.Error?.Code ?? e.Code, "QueueAlreadyExists"));
  const l = await dev.send(new ListQueuesCommand({ QueueNamePrefix: "js-", MaxResults: 1 }));
  assert.equal(l.QueueUrls.length, 1);
  const a = (await dev.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }))).Attributes;
  assert.equal(a.VisibilityTimeout, "12");
  assert.equal(a.ApproximateNumberOfMessages, "0");
  await dev.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { DelaySeconds: "3" } }));
  await rejects(dev.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { DelaySeconds: "901" } })), "InvalidAttributeValue");
  await rejects(dev.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["Nope"] })), "InvalidAttributeName");
  assert.deepEqual((await dev.send(new ListQueueTagsCommand({ QueueUrl }))).Tags, { a: "b" });
  await dev.send(new TagQueueCommand({ QueueUrl, Tags: { c: "d" } }));
  await dev.send(new UntagQueueCommand({ QueueUrl, TagKeys: ["a"] }));
  assert.deepEqual((await dev.send(new ListQueueTagsCommand({ QueueUrl }))).Tags, { c: "d" });
  await dev.send(new DeleteQueueCommand({ QueueUrl }));
  await rejects(dev.send(new GetQueueUrlCommand({ QueueName: "js-q" })), "QueueDoesNotExist", (e) => {
    assert.equal(e.$metadata.httpStatusCode, 400);
    assert.equal(e.Error?.Code ?? e.Code, "AWS.SimpleQueueService.NonExistentQueue");
    assert.equal(e.message, "The specified queue does not exist.");
    // the modelled exception class, from the fully qualified __type (issue 16)
    assert.ok(e instanceof sqsmod.QueueDoesNotExist, e.constructor.name);
  });
});

test("messages: attributes, MD5s, visibility, delete", async () => {
  const { QueueUrl } = await dev.send(new CreateQueueCommand({ QueueName: "js-msgs" }));
  const attrs = {
    s: { DataType: "String", StringValue: "välue" },
    n: { DataType: "Number", StringValue: "-1.5e3" },
    b: { DataType: "Binary", BinaryValue: new Uint8Array([0, 1, 2, 255]) },
  };
  const sys = { AWSTraceHeader: { DataType: "String", StringValue: "Root=1-abc" } };
  const s = await dev.send(new SendMessageCommand({ QueueUrl, MessageBody: "json body ✓", MessageAttributes: attrs, MessageSystemAttributes: sys }));
  assert.equal(s.MD5OfMessageAttributes, md5Attrs(attrs));
  assert.equal(s.MD5OfMessageSystemAttributes, md5Attrs(sys));
  const r = await dev.send(new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"], VisibilityTimeout: 5 }));
  const m = r.Messages[0];
  assert.equal(m.Body, "json body ✓");
  assert.equal(m.MD5OfMessageAttributes, md5Attrs(attrs));
  assert.deepEqual([...m.MessageAttributes.b.BinaryValue], [0, 1, 2, 255]);
  assert.equal(m.Attributes.AWSTraceHeader, "Root=1-abc");
  assert.equal(m.Attributes.SenderId, await account("dev"));
  await dev.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
  const again = (await dev.send(new ReceiveMessageCommand({ QueueUrl }))).Messages[0];
  assert.equal(again.MessageId, m.MessageId);
  await dev.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: again.ReceiptHandle }));
  assert.equal((await dev.send(new ReceiveMessageCommand({ QueueUrl }))).Messages, undefined);
  await rejects(dev.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: "xyz" })), "ReceiptHandleIsInvalid");
  await rejects(dev.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: again.ReceiptHandle, VisibilityTimeout: 5 })), "InvalidParameterValue");
  await rejects(dev.send(new SendMessageCommand({ QueueUrl, MessageBody: "x".repeat(1048577) })), "InvalidParameterValue",
    (e) => assert.equal(e.message, "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes."));
  await rejects(dev.send(new SendMessageCommand({ QueueUrl, MessageBody: "bad \u0001" })), "InvalidMessageContents");
  await rejects(dev.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 11 })), "InvalidParameterValue");
  await rejects(dev.send(new SendMessageCommand({ QueueUrl: QueueUrl + "-none", MessageBody: "x" })), "QueueDoesNotExist");
});

test("batches and their errors", async () => {
  const { QueueUrl } = await dev.send(new CreateQueueCommand({ QueueName: "js-batch" }));
  const entries = Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `b${i}` }));
  const s = await dev.send(new SendMessageBatchCommand({ QueueUrl, Entries: entries }));
  assert.equal(s.Successful.length, 10);
  let got = [];
  while (got.length < 10) got = got.concat((await dev.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }))).Messages ?? []);
  const v = await dev.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl, Entries: [{ Id: "a", ReceiptHandle: got[0].ReceiptHandle, VisibilityTimeout: 9 }, { Id: "b", ReceiptHandle: "bad", VisibilityTimeout: 9 }] }));
  assert.equal(v.Successful[0].Id, "a");
  assert.equal(v.Failed[0].Code, "ReceiptHandleIsInvalid");
  const d = await dev.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: got.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) }));
  assert.equal(d.Successful.length, 10);
  await rejects(dev.send(new SendMessageBatchCommand({ QueueUrl, Entries: [] })), "EmptyBatchRequest");
  await rejects(dev.send(new SendMessageBatchCommand({ QueueUrl, Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `i${i}`, MessageBody: "x" })) })), "TooManyEntriesInBatchRequest",
    (e) => assert.equal(e.Error?.Code ?? e.Code, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"));
  await rejects(dev.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: [{ Id: "x", ReceiptHandle: "h" }, { Id: "x", ReceiptHandle: "h" }] })), "BatchEntryIdsNotDistinct");
  await rejects(dev.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: "no spaces", MessageBody: "x" }] })), "InvalidBatchEntryId");
  await rejects(dev.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: "a", MessageBody: "x".repeat(600000) }, { Id: "b", MessageBody: "y".repeat(500000) }] })), "BatchRequestTooLong");
  await dev.send(new PurgeQueueCommand({ QueueUrl }));
  await rejects(dev.send(new PurgeQueueCommand({ QueueUrl })), "PurgeQueueInProgress");
});

test("long poll woken by a send", async () => {
  const { QueueUrl } = await dev.send(new CreateQueueCommand({ QueueName: "js-lp" }));
  const t0 = Date.now();
  const p = dev.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 }));
  await new Promise((r) => setTimeout(r, 300));
  const sentAt = Date.now();
  await new SQSClient(cfg("dev")).send(new SendMessageCommand({ QueueUrl, MessageBody: "ping" }));
  const r = await p;
  assert.equal(r.Messages[0].Body, "ping");
  assert.ok(Date.now() - sentAt < 500, `woke ${Date.now() - sentAt} ms after the send`);
  assert.ok(Date.now() - t0 < 2000);
});

test("FIFO: order, groups, deduplication", async () => {
  const { QueueUrl } = await dev.send(new CreateQueueCommand({ QueueName: "js.fifo", Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true" } }));
  const seqs = [];
  for (const b of ["one", "two", "three"]) seqs.push((await dev.send(new SendMessageCommand({ QueueUrl, MessageBody: b, MessageGroupId: "g" }))).SequenceNumber);
  const dup = await dev.send(new SendMessageCommand({ QueueUrl, MessageBody: "one", MessageGroupId: "g" }));
  assert.equal(dup.SequenceNumber, seqs[0]);
  const r = (await dev.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 2, MessageSystemAttributeNames: ["SequenceNumber", "MessageGroupId"] }))).Messages;
  assert.deepEqual(r.map((m) => m.Body), ["one", "two"]);
  assert.equal(r[0].Attributes.MessageGroupId, "g");
  assert.equal((await dev.send(new ReceiveMessageCommand({ QueueUrl }))).Messages, undefined);
  for (const m of r) await dev.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
  assert.equal((await dev.send(new ReceiveMessageCommand({ QueueUrl }))).Messages[0].Body, "three");
  await rejects(dev.send(new SendMessageCommand({ QueueUrl, MessageBody: "x" })), "MissingParameter");
});

test("dead-letter queue, sources and move tasks", async () => {
  const dlq = (await dev.send(new CreateQueueCommand({ QueueName: "js-dlq" }))).QueueUrl;
  const dlqArn = await arnOf(dlq);
  const src = (await dev.send(new CreateQueueCommand({ QueueName: "js-src", Attributes: { VisibilityTimeout: "0", RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) } }))).QueueUrl;
  assert.deepEqual((await dev.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }))).queueUrls, [src]);
  await dev.send(new SendMessageCommand({ QueueUrl: src, MessageBody: "bad" }));
  assert.equal((await dev.send(new ReceiveMessageCommand({ QueueUrl: src }))).Messages.length, 1);
  assert.equal((await dev.send(new ReceiveMessageCommand({ QueueUrl: src }))).Messages, undefined);
  assert.equal((await dev.send(new ReceiveMessageCommand({ QueueUrl: dlq, VisibilityTimeout: 0 }))).Messages[0].Body, "bad");
  const { TaskHandle } = await dev.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
  assert.ok(TaskHandle);
  const t = (await dev.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }))).Results;
  assert.equal(t[0].Status, "COMPLETED");
  assert.equal(t[0].ApproximateNumberOfMessagesMoved, 1);
  await rejects(dev.send(new CancelMessageMoveTaskCommand({ TaskHandle: "bm9wZQ==" })), "ResourceNotFoundException");
});

test("cross-account: refused without the queue policy, allowed with AddPermission", async () => {
  const { QueueUrl } = await dev.send(new CreateQueueCommand({ QueueName: "js-shared" }));
  const prod = new SQSClient(cfg("prod"));
  // query-compatible: the SDK names unmodeled errors by their query code (x-amzn-query-error)
  await rejects(prod.send(new SendMessageCommand({ QueueUrl, MessageBody: "x" })), "AccessDenied",
    (e) => assert.match(e.message, /because no resource-based policy allows the sqs:SendMessage action/));
  await dev.send(new AddPermissionCommand({ QueueUrl, Label: "prod", AWSAccountIds: [await account("prod")], Actions: ["SendMessage"] }));
  assert.ok((await prod.send(new SendMessageCommand({ QueueUrl, MessageBody: "x" }))).MessageId);
  await dev.send(new RemovePermissionCommand({ QueueUrl, Label: "prod" }));
  await rejects(prod.send(new SendMessageCommand({ QueueUrl, MessageBody: "x" })), "AccessDenied");
});
