// AWS SDK for JavaScript v3 against ferry's DynamoDB (json 1.0): tables and waiters, items
// with exact numbers, conditions that fail with the old item, queries, transactions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH + "/");
const {
  DynamoDBClient, CreateTableCommand, DescribeTableCommand, PutItemCommand, GetItemCommand,
  UpdateItemCommand, QueryCommand, TransactWriteItemsCommand, DeleteTableCommand,
  waitUntilTableExists, waitUntilTableNotExists, paginateQuery, PutResourcePolicyCommand,
  GetResourcePolicyCommand, DeleteResourcePolicyCommand,
} = require("@aws-sdk/client-dynamodb");

const keys = JSON.parse(process.env.FERRY_KEYS);
const cfg = (profile, region = "us-east-1") => ({
  endpoint: process.env.FERRY_ENDPOINT, region,
  credentials: { accessKeyId: keys[profile][0], secretAccessKey: keys[profile][1] },
});
const ddb = new DynamoDBClient(cfg("dev"));

test("tables, items, conditions, queries and transactions", async () => {
  const d = (await ddb.send(new CreateTableCommand({
    TableName: "js-orders", BillingMode: "PAY_PER_REQUEST",
    KeySchema: [{ AttributeName: "cust", KeyType: "HASH" }, { AttributeName: "at", KeyType: "RANGE" }],
    AttributeDefinitions: [{ AttributeName: "cust", AttributeType: "S" }, { AttributeName: "at", AttributeType: "N" }],
  }))).TableDescription;
  assert.equal(d.TableStatus, "CREATING");
  await waitUntilTableExists({ client: ddb, maxWaitTime: 20, minDelay: 1 }, { TableName: "js-orders" });
  const t = (await ddb.send(new DescribeTableCommand({ TableName: "js-orders" }))).Table;
  assert.equal(t.TableStatus, "ACTIVE");
  assert.ok(t.CreationDateTime instanceof Date);

  for (let i = 0; i < 12; i++)
    await ddb.send(new PutItemCommand({ TableName: "js-orders",
      Item: { cust: { S: "c1" }, at: { N: String(i * 10) }, total: { N: "0.10" } } }));
  const got = await ddb.send(new GetItemCommand({ TableName: "js-orders", Key: { cust: { S: "c1" }, at: { N: "10" } } }));
  assert.deepEqual(got.Item.total, { N: "0.1" });

  // exact decimal arithmetic: 0.1 + 0.2 is 0.3
  const u = await ddb.send(new UpdateItemCommand({ TableName: "js-orders", Key: { cust: { S: "c1" }, at: { N: "10" } },
    UpdateExpression: "SET total = total + :x", ExpressionAttributeValues: { ":x": { N: "0.2" } }, ReturnValues: "ALL_NEW" }));
  assert.deepEqual(u.Attributes.total, { N: "0.3" });

  // a failed condition hands back the item when asked
  await assert.rejects(ddb.send(new PutItemCommand({ TableName: "js-orders",
    Item: { cust: { S: "c1" }, at: { N: "10" } }, ConditionExpression: "attribute_not_exists(cust)",
    ReturnValuesOnConditionCheckFailure: "ALL_OLD" })),
  (e) => e.name === "ConditionalCheckFailedException" && e.Item.total.N === "0.3" &&
    e.message === "The conditional request failed");

  // queries page through LastEvaluatedKey
  const seen = [];
  for await (const page of paginateQuery({ client: ddb, pageSize: 5 }, { TableName: "js-orders",
    KeyConditionExpression: "cust = :c AND #at >= :from", ExpressionAttributeNames: { "#at": "at" },
    ExpressionAttributeValues: { ":c": { S: "c1" }, ":from": { N: "30" } } }))
    seen.push(...page.Items.map((i) => Number(i.at.N)));
  assert.deepEqual(seen, [30, 40, 50, 60, 70, 80, 90, 100, 110]);
  const back = await ddb.send(new QueryCommand({ TableName: "js-orders", ScanIndexForward: false, Limit: 2,
    KeyConditionExpression: "cust = :c", ExpressionAttributeValues: { ":c": { S: "c1" } } }));
  assert.deepEqual(back.Items.map((i) => i.at.N), ["110", "100"]);
  assert.deepEqual(back.LastEvaluatedKey, { cust: { S: "c1" }, at: { N: "100" } });

  // a cancelled transaction names each item's reason
  await assert.rejects(ddb.send(new TransactWriteItemsCommand({ TransactItems: [
    { Put: { TableName: "js-orders", Item: { cust: { S: "c2" }, at: { N: "1" } } } },
    { ConditionCheck: { TableName: "js-orders", Key: { cust: { S: "c1" }, at: { N: "0" } },
      ConditionExpression: "total > :big", ExpressionAttributeValues: { ":big": { N: "5" } } } },
  ] })), (e) => e.name === "TransactionCanceledException" &&
    e.CancellationReasons.map((r) => r.Code).join() === "None,ConditionalCheckFailed");
  const none = await ddb.send(new GetItemCommand({ TableName: "js-orders", Key: { cust: { S: "c2" }, at: { N: "1" } } }));
  assert.equal(none.Item, undefined);

  await assert.rejects(ddb.send(new DescribeTableCommand({ TableName: "js-none" })),
    (e) => e.name === "ResourceNotFoundException" && e.$metadata.httpStatusCode === 400);
  await ddb.send(new DeleteTableCommand({ TableName: "js-orders" }));
  await waitUntilTableNotExists({ client: ddb, maxWaitTime: 20, minDelay: 1 }, { TableName: "js-orders" });
});

test("a table's resource policy joins every decision on it", async () => {
  await ddb.send(new CreateTableCommand({ TableName: "js-shared", BillingMode: "PAY_PER_REQUEST",
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }] }));
  const arn = (await ddb.send(new DescribeTableCommand({ TableName: "js-shared" }))).Table.TableArn;
  await ddb.send(new PutItemCommand({ TableName: "js-shared", Item: { pk: { S: "1" } } }));
  await assert.rejects(ddb.send(new GetResourcePolicyCommand({ ResourceArn: arn })),
    (e) => e.name === "PolicyNotFoundException");
  const pol = { Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*",
    Action: "dynamodb:GetItem", Resource: arn }] };
  const { RevisionId } = await ddb.send(new PutResourcePolicyCommand({ ResourceArn: arn, Policy: JSON.stringify(pol) }));
  const got = await ddb.send(new GetResourcePolicyCommand({ ResourceArn: arn }));
  assert.equal(got.RevisionId, RevisionId);
  assert.deepEqual(JSON.parse(got.Policy), pol);
  // an explicit deny in the table's policy refuses even the owner's callers
  await assert.rejects(ddb.send(new GetItemCommand({ TableName: "js-shared", Key: { pk: { S: "1" } } })),
    (e) => e.name === "AccessDeniedException");
  await assert.rejects(ddb.send(new PutResourcePolicyCommand({ ResourceArn: arn, Policy: "{}" })),
    (e) => e.name === "ValidationException");
  await assert.rejects(ddb.send(new DeleteResourcePolicyCommand({ ResourceArn: arn, ExpectedRevisionId: "nope" })),
    (e) => e.name === "PolicyNotFoundException");
  await ddb.send(new DeleteResourcePolicyCommand({ ResourceArn: arn, ExpectedRevisionId: RevisionId }));
  const item = await ddb.send(new GetItemCommand({ TableName: "js-shared", Key: { pk: { S: "1" } } }));
  assert.deepEqual(item.Item, { pk: { S: "1" } });
});
