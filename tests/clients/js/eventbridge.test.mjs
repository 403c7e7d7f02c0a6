// AWS SDK for JavaScript v3 against ferry's EventBridge (json 1.1): a custom bus, a rule with
// an event pattern and an input transformer, PutEvents delivered to an SQS target,
// TestEventPattern, InvalidEventPatternException as a typed exception, paginated rules.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH + "/");
const {
  EventBridgeClient, CreateEventBusCommand, PutRuleCommand, PutTargetsCommand,
  PutEventsCommand, TestEventPatternCommand, DeleteRuleCommand, RemoveTargetsCommand,
  DeleteEventBusCommand, ListRulesCommand, InvalidEventPatternException,
} = require("@aws-sdk/client-eventbridge");
const {
  SQSClient, CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand,
  ReceiveMessageCommand,
} = require("@aws-sdk/client-sqs");

const keys = JSON.parse(process.env.FERRY_KEYS);
const opts = {
  endpoint: process.env.FERRY_ENDPOINT, region: "us-east-1",
  credentials: { accessKeyId: keys.tools[0], secretAccessKey: keys.tools[1] },
};
const ev = new EventBridgeClient(opts);
const sqs = new SQSClient(opts);

test("rules, targets and events", async () => {
  const bus = (await ev.send(new CreateEventBusCommand({ Name: "js-bus" }))).EventBusArn;
  assert.match(bus, /^arn:aws:events:us-east-1:\d{12}:event-bus\/js-bus$/);
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: "js-events" }))).QueueUrl;
  const qarn = (await sqs.send(new GetQueueAttributesCommand({
    QueueUrl: url, AttributeNames: ["QueueArn"] }))).Attributes.QueueArn;
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: JSON.stringify({
    Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "events.amazonaws.com" },
      Action: "sqs:SendMessage", Resource: qarn }] }) } }));
  const pattern = { source: ["js.app"], detail: { ref: [{ prefix: "dev_" }] } };
  const rule = await ev.send(new PutRuleCommand({
    Name: "js-tags", EventBusName: "js-bus", EventPattern: JSON.stringify(pattern) }));
  assert.match(rule.RuleArn, /rule\/js-bus\/js-tags$/);
  const t = await ev.send(new PutTargetsCommand({ Rule: "js-tags", EventBusName: "js-bus", Targets: [{
    Id: "q", Arn: qarn,
    InputTransformer: { InputPathsMap: { ref: "$.detail.ref" }, InputTemplate: '{"tag": <ref>}' } }] }));
  assert.equal(t.FailedEntryCount, 0);
  const put = await ev.send(new PutEventsCommand({ Entries: [
    { EventBusName: "js-bus", Source: "js.app", DetailType: "tag", Detail: '{"ref": "dev_1.0"}' },
    { EventBusName: "js-bus", Source: "js.app", DetailType: "tag", Detail: '{"ref": "qa_1.0"}' },
  ] }));
  assert.equal(put.FailedEntryCount, 0);
  assert.equal(put.Entries.length, 2);
  const got = [];
  const deadline = Date.now() + 10000;
  while (!got.length && Date.now() < deadline) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
    got.push(...(r.Messages || []).map((m) => JSON.parse(m.Body)));
  }
  assert.deepEqual(got, [{ tag: "dev_1.0" }]);
  const ok = await ev.send(new TestEventPatternCommand({ EventPattern: JSON.stringify(pattern),
    Event: JSON.stringify({ id: "1", "detail-type": "tag", source: "js.app", account: "123456789012",
      time: "2024-01-01T00:00:00Z", region: "us-east-1", resources: [], detail: { ref: "dev_2" } }) }));
  assert.equal(ok.Result, true);
  await assert.rejects(ev.send(new PutRuleCommand({ Name: "bad", EventPattern: '{"source": "x"}' })),
    (e) => e instanceof InvalidEventPatternException && e.$metadata.httpStatusCode === 400);
  const listed = await ev.send(new ListRulesCommand({ EventBusName: "js-bus", NamePrefix: "js-" }));
  assert.deepEqual(listed.Rules.map((r) => r.Name), ["js-tags"]);
  await ev.send(new RemoveTargetsCommand({ Rule: "js-tags", EventBusName: "js-bus", Ids: ["q"] }));
  await ev.send(new DeleteRuleCommand({ Name: "js-tags", EventBusName: "js-bus" }));
  await ev.send(new DeleteEventBusCommand({ Name: "js-bus" }));
});
