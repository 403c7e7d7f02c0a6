// AWS SDK for JavaScript v3 against ferry's CloudWatch Logs (json 1.1): groups, streams,
// events, filter patterns, logGroupIdentifier (name or ARN, another account's refused),
// tags by ARN, paginators, errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH + "/");
const {
  CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand,
  GetLogEventsCommand, FilterLogEventsCommand, DescribeLogGroupsCommand,
  DescribeLogStreamsCommand, TagResourceCommand, ListTagsForResourceCommand,
  PutRetentionPolicyCommand, paginateFilterLogEvents,
} = require("@aws-sdk/client-cloudwatch-logs");

const keys = JSON.parse(process.env.FERRY_KEYS);
const cfg = (profile, region = "us-east-1") => ({
  endpoint: process.env.FERRY_ENDPOINT, region,
  credentials: { accessKeyId: keys[profile][0], secretAccessKey: keys[profile][1] },
});
const logs = new CloudWatchLogsClient(cfg("dev"));
const qa = new CloudWatchLogsClient(cfg("qa"));

test("groups, streams, events and filters", async () => {
  await logs.send(new CreateLogGroupCommand({ logGroupName: "/js/app", tags: { team: "js" } }));
  await assert.rejects(logs.send(new CreateLogGroupCommand({ logGroupName: "/js/app" })),
    (e) => e.name === "ResourceAlreadyExistsException" && e.$metadata.httpStatusCode === 400);
  const g = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "/js/" }))).logGroups[0];
  assert.match(g.arn, /^arn:aws:logs:us-east-1:\d{12}:log-group:\/js\/app:\*$/);
  assert.equal(g.logGroupArn, g.arn.slice(0, -2));
  await logs.send(new CreateLogStreamCommand({ logGroupName: "/js/app", logStreamName: "one" }));
  const t = Date.now() - 10000;
  const put = await logs.send(new PutLogEventsCommand({
    logGroupName: "/js/app", logStreamName: "one",
    logEvents: Array.from({ length: 30 }, (_, i) => ({ timestamp: t + i, message: i % 2 ? `odd ${i}` : `{"n": ${i}}` })),
  }));
  assert.equal(put.rejectedLogEventsInfo, undefined);
  // by ARN, as logGroupIdentifier
  const byArn = await logs.send(new GetLogEventsCommand({
    logGroupIdentifier: g.logGroupArn, logStreamName: "one", startFromHead: true, limit: 5 }));
  assert.deepEqual(byArn.events.map((e) => e.message), ["{\"n\": 0}", "odd 1", "{\"n\": 2}", "odd 3", "{\"n\": 4}"]);
  assert.match(byArn.nextForwardToken, /^f\//);
  assert.match(byArn.nextBackwardToken, /^b\//);
  const f = await logs.send(new FilterLogEventsCommand({ logGroupName: "/js/app", filterPattern: "{ $.n >= 26 }" }));
  assert.deepEqual(f.events.map((e) => e.message), ["{\"n\": 26}", "{\"n\": 28}"]);
  assert.equal(f.events[0].logStreamName, "one");
  let n = 0;
  for await (const page of paginateFilterLogEvents({ client: logs, pageSize: 4 }, { logGroupName: "/js/app", filterPattern: "odd" })) {
    n += page.events.length;
    assert.ok(page.events.length <= 4);
  }
  assert.equal(n, 15);
  await assert.rejects(logs.send(new FilterLogEventsCommand({ logGroupName: "/js/app", logGroupIdentifier: g.logGroupArn })),
    (e) => e.name === "InvalidParameterException");
  await assert.rejects(logs.send(new FilterLogEventsCommand({ logGroupName: "/js/app", filterPattern: "{ $.n >" })),
    (e) => e.name === "InvalidParameterException" && e.message === "Invalid filter pattern");
  const s = (await logs.send(new DescribeLogStreamsCommand({ logGroupIdentifier: g.logGroupArn }))).logStreams;
  assert.deepEqual(s.map((x) => x.logStreamName), ["one"]);
  assert.equal(s[0].lastEventTimestamp, t + 29);
});

test("tags, retention and other accounts", async () => {
  await logs.send(new CreateLogGroupCommand({ logGroupName: "/js/tags" }));
  const arn = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "/js/tags" }))).logGroups[0].logGroupArn;
  await logs.send(new TagResourceCommand({ resourceArn: arn, tags: { a: "1" } }));
  assert.deepEqual((await logs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, { a: "1" });
  await assert.rejects(logs.send(new PutRetentionPolicyCommand({ logGroupName: "/js/tags", retentionInDays: 6 })),
    (e) => e.name === "InvalidParameterException");
  await logs.send(new PutRetentionPolicyCommand({ logGroupName: "/js/tags", retentionInDays: 1096 }));
  for (const cmd of [new ListTagsForResourceCommand({ resourceArn: arn }),
    new FilterLogEventsCommand({ logGroupIdentifier: arn }),
    new DescribeLogStreamsCommand({ logGroupIdentifier: arn })]) {
    await assert.rejects(qa.send(cmd), (e) => e.name === "AccessDeniedException");
  }
  await assert.rejects(logs.send(new GetLogEventsCommand({ logGroupName: "/js/none", logStreamName: "x" })),
    (e) => e.name === "ResourceNotFoundException");
});
