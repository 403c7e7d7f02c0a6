// AWS SDK for JavaScript v3 against ferry's CodeBuild (json 1.1): projects, a build whose
// service role cannot be assumed (it fails at PROVISIONING as AWS reports it), errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH + "/");
const {
  CodeBuildClient, CreateProjectCommand, BatchGetProjectsCommand, ListProjectsCommand,
  StartBuildCommand, BatchGetBuildsCommand, ListBuildsForProjectCommand, DeleteProjectCommand,
} = require("@aws-sdk/client-codebuild");

const keys = JSON.parse(process.env.FERRY_KEYS);
const cb = new CodeBuildClient({
  endpoint: process.env.FERRY_ENDPOINT, region: "us-east-1",
  credentials: { accessKeyId: keys.tools[0], secretAccessKey: keys.tools[1] },
});

test("projects and a build that cannot assume its role", async () => {
  const p = (await cb.send(new CreateProjectCommand({
    name: "js-proj", source: { type: "NO_SOURCE", buildspec: "version: 0.2\nphases:\n  build:\n    commands: [echo hi]\n" },
    artifacts: { type: "NO_ARTIFACTS" },
    environment: { type: "LINUX_CONTAINER", computeType: "BUILD_GENERAL1_SMALL", image: "aws/codebuild/standard:7.0" },
    serviceRole: "no-such-role",
  }))).project;
  assert.match(p.arn, /^arn:aws:codebuild:us-east-1:\d{12}:project\/js-proj$/);
  assert.match(p.serviceRole, /:role\/no-such-role$/);
  assert.ok(p.created instanceof Date);
  await assert.rejects(cb.send(new CreateProjectCommand({
    name: "js-proj", source: { type: "NO_SOURCE", buildspec: "version: 0.2" }, artifacts: { type: "NO_ARTIFACTS" },
    environment: { type: "LINUX_CONTAINER", computeType: "BUILD_GENERAL1_SMALL", image: "x" }, serviceRole: "r",
  })), (e) => e.name === "ResourceAlreadyExistsException");
  assert.deepEqual((await cb.send(new ListProjectsCommand({}))).projects, ["js-proj"]);
  const id = (await cb.send(new StartBuildCommand({ projectName: "js-proj" }))).build.id;
  let b;
  for (let i = 0; i < 100; i++) {
    b = (await cb.send(new BatchGetBuildsCommand({ ids: [id] }))).builds[0];
    if (b.buildComplete) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(b.buildStatus, "FAILED");
  const prov = b.phases.find((x) => x.phaseType === "PROVISIONING");
  assert.equal(prov.phaseStatus, "FAILED");
  assert.equal(prov.contexts[0].statusCode, "CLIENT_ERROR");
  assert.match(prov.contexts[0].message, /^CodeBuild is not authorized to perform: sts:AssumeRole on /);
  assert.ok(prov.startTime instanceof Date && prov.endTime instanceof Date);
  assert.deepEqual((await cb.send(new ListBuildsForProjectCommand({ projectName: "js-proj" }))).ids, [id]);
  await assert.rejects(cb.send(new StartBuildCommand({ projectName: "none" })),
    (e) => e.name === "ResourceNotFoundException" && /Project cannot be found/.test(e.message));
  await cb.send(new DeleteProjectCommand({ name: "js-proj" }));
  const g = await cb.send(new BatchGetProjectsCommand({ names: ["js-proj"] }));
  assert.deepEqual(g.projectsNotFound, ["js-proj"]);
});
