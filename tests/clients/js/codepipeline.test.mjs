// AWS SDK for JavaScript v3 against ferry's CodePipeline (json 1.1): a V2 pipeline with
// variables and an execution mode, its execution (which fails: its service role does not
// exist, so CodePipeline cannot assume it), and AWS's structure errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH + "/");
const {
  CodePipelineClient, CreatePipelineCommand, GetPipelineCommand, StartPipelineExecutionCommand,
  GetPipelineExecutionCommand, GetPipelineStateCommand, DeletePipelineCommand, ListPipelinesCommand,
} = require("@aws-sdk/client-codepipeline");
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");

const keys = JSON.parse(process.env.FERRY_KEYS);
const cfg = (profile, region = "us-east-1") => ({
  endpoint: process.env.FERRY_ENDPOINT, region,
  credentials: { accessKeyId: keys[profile][0], secretAccessKey: keys[profile][1] },
});
const cp = new CodePipelineClient(cfg("qa"));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test("V2 pipeline with variables, executed as a role that does not exist", async () => {
  const acct = (await new STSClient(cfg("qa")).send(new GetCallerIdentityCommand({}))).Account;
  const pipeline = {
    name: "js-pipe", roleArn: `arn:aws:iam::${acct}:role/missing`, pipelineType: "V2",
    executionMode: "PARALLEL", variables: [{ name: "Env", defaultValue: "dev" }],
    artifactStore: { type: "S3", location: "js-artifacts" },
    stages: [
      { name: "Source", actions: [{ name: "S", actionTypeId: { category: "Source", owner: "AWS", provider: "S3", version: "1" },
        configuration: { S3Bucket: "js-artifacts", S3ObjectKey: "src.zip" }, outputArtifacts: [{ name: "Out" }] }] },
      { name: "Gate", actions: [{ name: "G", actionTypeId: { category: "Approval", owner: "AWS", provider: "Manual", version: "1" },
        configuration: { CustomData: "#{variables.Env}" } }] },
    ],
  };
  const made = await cp.send(new CreatePipelineCommand({ pipeline }));
  assert.equal(made.pipeline.version, 1);
  const got = await cp.send(new GetPipelineCommand({ name: "js-pipe" }));
  assert.equal(got.pipeline.executionMode, "PARALLEL");
  assert.deepEqual(got.pipeline.variables, [{ name: "Env", defaultValue: "dev" }]);
  assert.ok(got.metadata.created instanceof Date);
  const { pipelineExecutionId } = await cp.send(new StartPipelineExecutionCommand({
    name: "js-pipe", variables: [{ name: "Env", value: "qa" }] }));
  let x;
  for (let i = 0; i < 100; i++) {
    x = (await cp.send(new GetPipelineExecutionCommand({ pipelineName: "js-pipe", pipelineExecutionId }))).pipelineExecution;
    if (x.status !== "InProgress") break;
    await sleep(100);
  }
  assert.equal(x.status, "Failed");
  assert.deepEqual(x.variables, [{ name: "Env", resolvedValue: "qa" }]);
  const st = await cp.send(new GetPipelineStateCommand({ name: "js-pipe" }));
  const le = st.stageStates[0].actionStates[0].latestExecution;
  assert.match(le.errorDetails.message, /not authorized to perform AssumeRole/);
  assert.equal((await cp.send(new ListPipelinesCommand({}))).pipelines[0].pipelineType, "V2");
  await cp.send(new DeletePipelineCommand({ name: "js-pipe" }));
});

test("structure errors", async () => {
  const acct = (await new STSClient(cfg("qa")).send(new GetCallerIdentityCommand({}))).Account;
  await assert.rejects(cp.send(new CreatePipelineCommand({ pipeline: {
    name: "one", roleArn: `arn:aws:iam::${acct}:role/r`, artifactStore: { type: "S3", location: "bucket" },
    stages: [{ name: "S", actions: [{ name: "S", actionTypeId: { category: "Source", owner: "AWS", provider: "S3", version: "1" },
      outputArtifacts: [{ name: "O" }] }] }] } })),
  (e) => e.name === "InvalidStructureException" && /minimum of 2 stages/.test(e.message));
  await assert.rejects(cp.send(new GetPipelineCommand({ name: "none" })), (e) => e.name === "PipelineNotFoundException");
});
