// AWS SDK for JavaScript v3 against ferry: STS (query), Organizations and CloudTrail (json 1.1).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH + "/");
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");
const { OrganizationsClient, DescribeOrganizationCommand, ListAccountsCommand } = require("@aws-sdk/client-organizations");
const { CloudTrailClient, LookupEventsCommand } = require("@aws-sdk/client-cloudtrail");

const keys = JSON.parse(process.env.FERRY_KEYS);
const cfg = (profile, region = "us-east-1") => ({
  endpoint: process.env.FERRY_ENDPOINT, region,
  credentials: { accessKeyId: keys[profile][0], secretAccessKey: keys[profile][1] },
});

test("GetCallerIdentity per account and region", async () => {
  const a = await new STSClient(cfg("dev", "eu-west-1")).send(new GetCallerIdentityCommand({}));
  const b = await new STSClient(cfg("prod", "us-west-2")).send(new GetCallerIdentityCommand({}));
  assert.match(a.Arn, /^arn:aws:iam::\d{12}:root$/);
  assert.notEqual(a.Account, b.Account);
});

test("Organizations over json 1.1", async () => {
  const org = new OrganizationsClient(cfg("management"));
  const o = await org.send(new DescribeOrganizationCommand({}));
  assert.match(o.Organization.Id, /^o-[a-z0-9]{10}$/);
  const l = await org.send(new ListAccountsCommand({}));
  assert.ok(l.Accounts.length >= 5);
  assert.ok(l.Accounts[0].JoinedTimestamp instanceof Date);
  await assert.rejects(new OrganizationsClient(cfg("dev")).send(new ListAccountsCommand({})),
    (e) => e.name === "AccessDeniedException");
});

test("wrong secret is InvalidSignatureException", async () => {
  const bad = cfg("dev");
  const sk = bad.credentials.secretAccessKey; // a secret that may itself start with "x"
  bad.credentials = { ...bad.credentials, secretAccessKey: (sk[0] === "x" ? "y" : "x") + sk.slice(1) };
  await assert.rejects(new OrganizationsClient(bad).send(new DescribeOrganizationCommand({})),
    (e) => e.name === "InvalidSignatureException");
});

test("CloudTrail LookupEvents", async () => {
  const r = await new CloudTrailClient(cfg("dev", "eu-west-1")).send(new LookupEventsCommand({ MaxResults: 5 }));
  assert.ok(r.Events.length >= 1);
  assert.ok(r.Events[0].EventTime instanceof Date);
});
