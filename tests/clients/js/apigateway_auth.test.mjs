// AWS SDK for JavaScript v3 against ferry's API Gateway: REST APIs' Lambda authorizers, API
// keys and usage plans (rest-json, the v1 client), and HTTP APIs' Lambda authorizers (v2).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH + "/");
const {
  APIGatewayClient, CreateRestApiCommand, CreateAuthorizerCommand, GetAuthorizersCommand,
  CreateApiKeyCommand, GetApiKeyCommand, CreateUsagePlanCommand, CreateUsagePlanKeyCommand,
  GetUsagePlanKeysCommand, DeleteAuthorizerCommand,
} = require("@aws-sdk/client-api-gateway");
const {
  ApiGatewayV2Client, CreateApiCommand, CreateAuthorizerCommand: CreateV2AuthorizerCommand,
  GetAuthorizerCommand: GetV2AuthorizerCommand,
} = require("@aws-sdk/client-apigatewayv2");

const keys = JSON.parse(process.env.FERRY_KEYS);
const cfg = (profile, region = "us-east-1") => ({
  endpoint: process.env.FERRY_ENDPOINT, region,
  credentials: { accessKeyId: keys[profile][0], secretAccessKey: keys[profile][1] },
});
const FN = "arn:aws:lambda:us-east-1:123456789012:function:authz";
const URI = `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${FN}/invocations`;

test("REST: authorizers, API keys and usage plans", async () => {
  const gw = new APIGatewayClient(cfg("dev"));
  const api = (await gw.send(new CreateRestApiCommand({ name: "js-auth" }))).id;
  const az = await gw.send(new CreateAuthorizerCommand({
    restApiId: api, name: "tok", type: "TOKEN", authorizerUri: URI,
    identitySource: "method.request.header.Authorization", authorizerResultTtlInSeconds: 60 }));
  assert.equal(az.authorizerResultTtlInSeconds, 60);
  const list = await gw.send(new GetAuthorizersCommand({ restApiId: api }));
  assert.deepEqual(list.items.map((a) => a.name), ["tok"]);
  await assert.rejects(gw.send(new CreateAuthorizerCommand({
    restApiId: api, name: "bad", type: "TOKEN", authorizerUri: URI, identitySource: "x" })),
  (e) => e.name === "BadRequestException" && e.$metadata.httpStatusCode === 400);
  await gw.send(new DeleteAuthorizerCommand({ restApiId: api, authorizerId: az.id }));

  const key = await gw.send(new CreateApiKeyCommand({ name: "js-key", enabled: true }));
  assert.equal(key.value.length, 40);
  const got = await gw.send(new GetApiKeyCommand({ apiKey: key.id, includeValue: true }));
  assert.equal(got.value, key.value);
  assert.equal(got.enabled, true);
  const plan = await gw.send(new CreateUsagePlanCommand({
    name: "js-plan", quota: { limit: 10, period: "DAY" }, throttle: { burstLimit: 2, rateLimit: 1 } }));
  assert.deepEqual(plan.quota, { limit: 10, period: "DAY" });
  const pk = await gw.send(new CreateUsagePlanKeyCommand({ usagePlanId: plan.id, keyId: key.id, keyType: "API_KEY" }));
  assert.equal(pk.type, "API_KEY");
  const pks = await gw.send(new GetUsagePlanKeysCommand({ usagePlanId: plan.id }));
  assert.deepEqual(pks.items.map((k) => k.id), [key.id]);
});

test("HTTP API: a Lambda authorizer", async () => {
  const gw = new ApiGatewayV2Client(cfg("dev"));
  const api = (await gw.send(new CreateApiCommand({ Name: "js-http", ProtocolType: "HTTP" }))).ApiId;
  const az = await gw.send(new CreateV2AuthorizerCommand({
    ApiId: api, Name: "lam", AuthorizerType: "REQUEST", AuthorizerUri: URI,
    AuthorizerPayloadFormatVersion: "2.0", EnableSimpleResponses: true,
    IdentitySource: ["$request.header.X-Token"], AuthorizerResultTtlInSeconds: 30 }));
  const got = await gw.send(new GetV2AuthorizerCommand({ ApiId: api, AuthorizerId: az.AuthorizerId }));
  assert.equal(got.EnableSimpleResponses, true);
  assert.deepEqual(got.IdentitySource, ["$request.header.X-Token"]);
  await assert.rejects(gw.send(new CreateV2AuthorizerCommand({
    ApiId: api, Name: "bad", AuthorizerType: "REQUEST", AuthorizerUri: URI,
    AuthorizerPayloadFormatVersion: "3.0", IdentitySource: ["$request.header.X"] })),
  (e) => e.name === "BadRequestException");
});
