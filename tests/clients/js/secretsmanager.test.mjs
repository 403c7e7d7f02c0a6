// AWS SDK for JavaScript v3 against ferry's Secrets Manager (json 1.1): values sealed under
// a customer key, binary values, stages, IncludePlannedDeletion and BatchGetSecretValue
// (newer than Debian's botocore), and a cross-account read.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH + "/");
const {
  SecretsManagerClient, CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand,
  DescribeSecretCommand, ListSecretsCommand, DeleteSecretCommand, RestoreSecretCommand,
  BatchGetSecretValueCommand, GetRandomPasswordCommand, PutResourcePolicyCommand,
} = require("@aws-sdk/client-secrets-manager");
const { KMSClient, CreateKeyCommand, GetKeyPolicyCommand, PutKeyPolicyCommand } = require("@aws-sdk/client-kms");
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");

const keys = JSON.parse(process.env.FERRY_KEYS);
const cfg = (profile, region = "us-east-1") => ({
  endpoint: process.env.FERRY_ENDPOINT, region,
  credentials: { accessKeyId: keys[profile][0], secretAccessKey: keys[profile][1] },
});
const sm = new SecretsManagerClient(cfg("dev"));
const account = async (p) => (await new STSClient(cfg(p)).send(new GetCallerIdentityCommand({}))).Account;
const newKey = async (p = "dev") => (await new KMSClient(cfg(p)).send(new CreateKeyCommand({}))).KeyMetadata.Arn;

async function rejects(p, name) {
  await assert.rejects(p, (e) => {
    assert.equal(e.name, name, `${e.name}: ${e.message}`);
    return true;
  });
}

test("create, get, put, binary and stages", async () => {
  const KmsKeyId = await newKey();
  const c = await sm.send(new CreateSecretCommand({ Name: "js/one", SecretString: "v1", KmsKeyId }));
  assert.match(c.ARN, /:secret:js\/one-[A-Za-z0-9]{6}$/);
  assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: c.ARN }))).SecretString, "v1");
  const p = await sm.send(new PutSecretValueCommand({ SecretId: "js/one", SecretString: "v2" }));
  assert.deepEqual(p.VersionStages, ["AWSCURRENT"]);
  const prev = await sm.send(new GetSecretValueCommand({ SecretId: "js/one", VersionStage: "AWSPREVIOUS" }));
  assert.equal(prev.SecretString, "v1");
  assert.equal(prev.VersionId, c.VersionId);
  assert.ok(prev.CreatedDate instanceof Date);
  const bytes = new Uint8Array([0, 1, 2, 250, 255]);
  await sm.send(new CreateSecretCommand({ Name: "js/bin", SecretBinary: bytes, KmsKeyId }));
  const b = await sm.send(new GetSecretValueCommand({ SecretId: "js/bin" }));
  assert.deepEqual(Array.from(b.SecretBinary), Array.from(bytes));
  const d = await sm.send(new DescribeSecretCommand({ SecretId: "js/one" }));
  assert.deepEqual(d.VersionIdsToStages[c.VersionId], ["AWSPREVIOUS"]);
  await rejects(sm.send(new GetSecretValueCommand({ SecretId: "js/none" })), "ResourceNotFoundException");
});

test("planned deletion is listed only when asked, and restored", async () => {
  const KmsKeyId = await newKey();
  await sm.send(new CreateSecretCommand({ Name: "js/del", SecretString: "x", KmsKeyId }));
  const del = await sm.send(new DeleteSecretCommand({ SecretId: "js/del", RecoveryWindowInDays: 7 }));
  assert.ok(del.DeletionDate instanceof Date);
  await rejects(sm.send(new GetSecretValueCommand({ SecretId: "js/del" })), "InvalidRequestException");
  const filters = [{ Key: "name", Values: ["js/del"] }];
  assert.equal((await sm.send(new ListSecretsCommand({ Filters: filters }))).SecretList.length, 0);
  const planned = await sm.send(new ListSecretsCommand({ Filters: filters, IncludePlannedDeletion: true }));
  assert.equal(planned.SecretList.length, 1);
  assert.ok(planned.SecretList[0].DeletedDate instanceof Date);
  await sm.send(new RestoreSecretCommand({ SecretId: "js/del" }));
  assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: "js/del" }))).SecretString, "x");
});

test("BatchGetSecretValue by ids and by filters", async () => {
  const KmsKeyId = await newKey();
  for (const n of ["a", "b", "c"])
    await sm.send(new CreateSecretCommand({ Name: `js/batch/${n}`, SecretString: `val-${n}`, KmsKeyId }));
  const r = await sm.send(new BatchGetSecretValueCommand({ SecretIdList: ["js/batch/a", "js/batch/c", "js/batch/zz"] }));
  assert.deepEqual(r.SecretValues.map((v) => v.SecretString).sort(), ["val-a", "val-c"]);
  assert.equal(r.Errors.length, 1);
  assert.equal(r.Errors[0].SecretId, "js/batch/zz");
  assert.equal(r.Errors[0].ErrorCode, "ResourceNotFoundException");
  const seen = [];
  let NextToken;
  do {
    const page = await sm.send(new BatchGetSecretValueCommand({
      Filters: [{ Key: "name", Values: ["js/batch/"] }], MaxResults: 2, NextToken }));
    seen.push(...page.SecretValues.map((v) => v.SecretString));
    NextToken = page.NextToken;
  } while (NextToken);
  assert.deepEqual(seen.sort(), ["val-a", "val-b", "val-c"]);
  await rejects(sm.send(new BatchGetSecretValueCommand({})), "InvalidParameterException");
});

test("GetRandomPassword", async () => {
  const { RandomPassword } = await sm.send(new GetRandomPasswordCommand({ PasswordLength: 64, ExcludePunctuation: true }));
  assert.match(RandomPassword, /^[A-Za-z0-9]{64}$/);
});

test("a cross-account read needs the secret's policy and the key policy", async () => {
  const tools = new SecretsManagerClient(cfg("tools"));
  const toolsKms = new KMSClient(cfg("tools"));
  const dev = await account("dev");
  const KeyId = await newKey("tools");
  const { ARN } = await tools.send(new CreateSecretCommand({ Name: "js/shared", SecretString: "s", KmsKeyId: KeyId }));
  await rejects(sm.send(new GetSecretValueCommand({ SecretId: ARN })), "AccessDeniedException");
  await tools.send(new PutResourcePolicyCommand({ SecretId: ARN, ResourcePolicy: JSON.stringify({
    Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${dev}:root` },
      Action: "secretsmanager:GetSecretValue", Resource: "*" }] }) }));
  await rejects(sm.send(new GetSecretValueCommand({ SecretId: ARN })), "AccessDeniedException");
  const pol = JSON.parse((await toolsKms.send(new GetKeyPolicyCommand({ KeyId, PolicyName: "default" }))).Policy);
  pol.Statement.push({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${dev}:root` }, Action: "kms:Decrypt", Resource: "*" });
  await toolsKms.send(new PutKeyPolicyCommand({ KeyId, PolicyName: "default", Policy: JSON.stringify(pol) }));
  assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: ARN }))).SecretString, "s");
});
