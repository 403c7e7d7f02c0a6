// AWS SDK for JavaScript v3 against ferry's CodeBuild report groups (json 1.1): create, get,
// list with a paginator, update, errors as typed exceptions, delete.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH + "/");
const {
  CodeBuildClient, CreateReportGroupCommand, BatchGetReportGroupsCommand,
  UpdateReportGroupCommand, DeleteReportGroupCommand, DescribeTestCasesCommand,
  paginateListReportGroups, ResourceAlreadyExistsException, ResourceNotFoundException,
} = require("@aws-sdk/client-codebuild");

const keys = JSON.parse(process.env.FERRY_KEYS);
const cb = new CodeBuildClient({
  endpoint: process.env.FERRY_ENDPOINT, region: "us-east-1",
  credentials: { accessKeyId: keys.tools[0], secretAccessKey: keys.tools[1] },
});

test("report groups", async () => {
  const g = (await cb.send(new CreateReportGroupCommand({
    name: "js-tests", type: "TEST", exportConfig: { exportConfigType: "NO_EXPORT" },
    tags: [{ key: "sdk", value: "js" }],
  }))).reportGroup;
  assert.match(g.arn, /^arn:aws:codebuild:us-east-1:\d{12}:report-group\/js-tests$/);
  assert.ok(g.created instanceof Date);
  await assert.rejects(cb.send(new CreateReportGroupCommand({
    name: "js-tests", type: "TEST", exportConfig: { exportConfigType: "NO_EXPORT" },
  })), (e) => e instanceof ResourceAlreadyExistsException && e.$metadata.httpStatusCode === 400);
  const u = (await cb.send(new UpdateReportGroupCommand({
    arn: g.arn, tags: [{ key: "sdk", value: "v3" }],
  }))).reportGroup;
  assert.deepEqual(u.tags, [{ key: "sdk", value: "v3" }]);
  const got = await cb.send(new BatchGetReportGroupsCommand({ reportGroupArns: [g.arn] }));
  assert.equal(got.reportGroups[0].type, "TEST");
  const arns = [];
  for await (const p of paginateListReportGroups({ client: cb, pageSize: 1 }, { sortBy: "NAME" }))
    arns.push(...p.reportGroups);
  assert.ok(arns.includes(g.arn));
  await assert.rejects(cb.send(new DescribeTestCasesCommand({
    reportArn: g.arn.replace("report-group/", "report/") + ":0000",
  })), (e) => e instanceof ResourceNotFoundException);
  await cb.send(new DeleteReportGroupCommand({ arn: g.arn }));
  const gone = await cb.send(new BatchGetReportGroupsCommand({ reportGroupArns: [g.arn] }));
  assert.deepEqual(gone.reportGroupsNotFound, [g.arn]);
});
