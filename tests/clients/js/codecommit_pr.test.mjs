// AWS SDK for JavaScript v3 against ferry's CodeCommit pull requests (json 1.1): a pull
// request with an approval rule, refused until another user approves, then merged.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH + "/");
const {
  CodeCommitClient, CreateRepositoryCommand, PutFileCommand, CreateBranchCommand,
  CreatePullRequestCommand, CreatePullRequestApprovalRuleCommand,
  EvaluatePullRequestApprovalRulesCommand, MergePullRequestByThreeWayCommand,
  GetPullRequestCommand,
} = require("@aws-sdk/client-codecommit");

const keys = JSON.parse(process.env.FERRY_KEYS);
const cc = new CodeCommitClient({
  endpoint: process.env.FERRY_ENDPOINT, region: "us-east-1",
  credentials: { accessKeyId: keys.tools[0], secretAccessKey: keys.tools[1] },
});

test("pull request: an approval rule, its evaluation, a merge refused", async () => {
  await cc.send(new CreateRepositoryCommand({ repositoryName: "js-pr" }));
  const base = (await cc.send(new PutFileCommand({
    repositoryName: "js-pr", branchName: "main", filePath: "a.txt",
    fileContent: new TextEncoder().encode("a"),
  }))).commitId;
  await cc.send(new CreateBranchCommand({ repositoryName: "js-pr", branchName: "f", commitId: base }));
  await cc.send(new PutFileCommand({
    repositoryName: "js-pr", branchName: "f", filePath: "b.txt", parentCommitId: base,
    fileContent: new TextEncoder().encode("b"),
  }));
  const pr = (await cc.send(new CreatePullRequestCommand({
    title: "js", targets: [{ repositoryName: "js-pr", sourceReference: "f", destinationReference: "main" }],
  }))).pullRequest;
  assert.equal(pr.pullRequestStatus, "OPEN");
  assert.ok(pr.creationDate instanceof Date);
  const content = JSON.stringify({
    Version: "2018-11-08",
    Statements: [{ Type: "Approvers", NumberOfApprovalsNeeded: 1 }],
  });
  await cc.send(new CreatePullRequestApprovalRuleCommand({
    pullRequestId: pr.pullRequestId, approvalRuleName: "one", approvalRuleContent: content,
  }));
  const rev = (await cc.send(new GetPullRequestCommand({ pullRequestId: pr.pullRequestId }))).pullRequest.revisionId;
  const ev = (await cc.send(new EvaluatePullRequestApprovalRulesCommand({
    pullRequestId: pr.pullRequestId, revisionId: rev,
  }))).evaluation;
  assert.deepEqual(ev.approvalRulesNotSatisfied, ["one"]);
  assert.equal(ev.approved, false);
  await assert.rejects(cc.send(new MergePullRequestByThreeWayCommand({
    pullRequestId: pr.pullRequestId, repositoryName: "js-pr",
  })), (e) => e.name === "PullRequestApprovalRulesNotSatisfiedException" && e.$metadata.httpStatusCode === 400);
});
