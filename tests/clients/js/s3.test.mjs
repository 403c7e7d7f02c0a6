// AWS SDK for JavaScript v3 against ferry's S3 (rest-xml). Current SDKs send their bodies
// aws-chunked with a CRC32 trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER over http) and check
// the checksums S3 answers: both directions are exercised here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH + "/");
const {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand,
  ListObjectsV2Command, DeleteObjectCommand, CreateMultipartUploadCommand, UploadPartCommand,
  CompleteMultipartUploadCommand, CopyObjectCommand, DeleteObjectsCommand,
} = require("@aws-sdk/client-s3");

const keys = JSON.parse(process.env.FERRY_KEYS);
const cfg = (profile, extra = {}) => ({
  endpoint: process.env.FERRY_ENDPOINT, region: "us-east-1", forcePathStyle: true,
  credentials: { accessKeyId: keys[profile][0], secretAccessKey: keys[profile][1] }, ...extra,
});
const s3 = new S3Client(cfg("tools"));
const bucket = "js-artifacts";
const bytes = async (out) => Buffer.from(await out.Body.transformToByteArray());

test("create a bucket, put and get with the SDK's default checksums", async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const body = randomBytes(200 * 1024);
  const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "a/b.bin", Body: body, Metadata: { k: "v" } }));
  assert.equal(put.ETag, `"${createHash("md5").update(body).digest("hex")}"`);
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "a/b.bin", ChecksumMode: "ENABLED" }));
  assert.deepEqual(await bytes(got), body);
  assert.equal(got.Metadata.k, "v");
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "a/b.bin" }));
  assert.equal(head.ContentLength, body.length);
});

test("each checksum algorithm the SDK offers is verified and answered", async () => {
  for (const alg of ["CRC32", "CRC32C", "SHA1", "SHA256"]) {
    const body = Buffer.from(`checksummed with ${alg}`);
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `ck/${alg}`, Body: body, ChecksumAlgorithm: alg }));
    assert.ok(put[`Checksum${alg}`], alg);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `ck/${alg}`, ChecksumMode: "ENABLED" }));
    assert.equal(got[`Checksum${alg}`], put[`Checksum${alg}`]);
    assert.deepEqual(await bytes(got), body);
  }
});

test("ranges, listings, copy and batch delete", async () => {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "ck/SHA1", Range: "bytes=0-9" }));
  assert.equal((await bytes(got)).toString(), "checksumme");
  await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "copied", CopySource: `${bucket}/ck/SHA1` }));
  const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: "/" }));
  assert.deepEqual(list.CommonPrefixes.map((p) => p.Prefix), ["a/", "ck/"]);
  assert.deepEqual(list.Contents.map((o) => o.Key), ["copied"]);
  const del = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: "copied" }, { Key: "ck/SHA1" }] } }));
  assert.equal(del.Deleted.length, 2);
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "ck/CRC32" }));
});

test("multipart upload", async () => {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "mpu" }));
  const p1 = randomBytes(5 * 1024 * 1024), p2 = randomBytes(100);
  const e1 = (await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "mpu", UploadId, PartNumber: 1, Body: p1 }))).ETag;
  const e2 = (await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "mpu", UploadId, PartNumber: 2, Body: p2 }))).ETag;
  const done = await s3.send(new CompleteMultipartUploadCommand({
    Bucket: bucket, Key: "mpu", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1 }, { PartNumber: 2, ETag: e2 }] },
  }));
  assert.match(done.ETag, /-2"$/);
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "mpu" }));
  assert.deepEqual(await bytes(got), Buffer.concat([p1, p2]));
});

test("conditional writes: If-Match and If-None-Match on PutObject, CompleteMultipartUpload and CopyObject", async () => {
  const v1 = (await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "cw", Body: "v1" }))).ETag;
  const failed = (e) => e.name === "PreconditionFailed" && e.$metadata.httpStatusCode === 412;
  // If-Match: replaces only the object with that ETag
  await assert.rejects(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "cw", Body: "v2", IfMatch: '"0123"' })), failed);
  const v2 = (await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "cw", Body: "v2", IfMatch: v1 }))).ETag;
  assert.notEqual(v2, v1);
  await assert.rejects(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "cw-none", Body: "x", IfMatch: v1 })),
    (e) => e.name === "NoSuchKey");
  // If-None-Match "*": creates only
  await assert.rejects(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "cw", Body: "v3", IfNoneMatch: "*" })), failed);
  assert.equal((await bytes(await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "cw" })))).toString(), "v2");
  const mpu = async (cond) => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "cw" }));
    const ETag = (await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "cw", UploadId, PartNumber: 1, Body: "mp" }))).ETag;
    return s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "cw", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] }, ...cond }));
  };
  await assert.rejects(mpu({ IfNoneMatch: "*" }), failed);
  await assert.rejects(mpu({ IfMatch: v1 }), failed);
  assert.match((await mpu({ IfMatch: v2 })).ETag, /-1"$/);
  assert.equal((await bytes(await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "cw" })))).toString(), "mp");
  // CopyObject: the same conditions on its destination
  const copy = (Key, cond) => s3.send(new CopyObjectCommand({ Bucket: bucket, Key, CopySource: `${bucket}/cw`, ...cond }));
  await assert.rejects(copy("cw-none", { IfMatch: v1 }), (e) => e.name === "NoSuchKey");
  await copy("cw-copy", { IfNoneMatch: "*" });
  // (a completed multipart upload's object, copied: its parts are shared)
  assert.equal((await bytes(await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "cw-copy" })))).toString(), "mp");
  await assert.rejects(copy("cw-copy", { IfNoneMatch: "*" }), failed);
  await assert.rejects(copy("cw-copy", { IfMatch: v1 }), failed);
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "cw-copy" }));
  await copy("cw-copy", { IfMatch: head.ETag, MetadataDirective: "REPLACE", Metadata: { again: "1" } });
  assert.equal((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "cw-copy" }))).Metadata.again, "1");
});

test("errors come back as S3 words them", async () => {
  await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "missing" })), (e) => e.name === "NoSuchKey");
  await assert.rejects(s3.send(new GetObjectCommand({ Bucket: "no-such-js-bucket", Key: "k" })), (e) => e.name === "NoSuchBucket");
  const dev = new S3Client(cfg("dev"));
  await assert.rejects(dev.send(new GetObjectCommand({ Bucket: bucket, Key: "a/b.bin" })), (e) => e.name === "AccessDenied");
});
