"""S3 through boto3 and Debian's awscli (rest-xml): buckets in one namespace, objects streamed
in and out of the blob store (ranges, conditions, checksums, aws-chunked uploads signed chunk by
chunk), multipart uploads, server-side encryption at rest (SSE-S3 and SSE-KMS), bucket policies
across accounts, presigned URLs and the high-level `aws s3` commands."""
import base64
import datetime
import hashlib
import hmac
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from ferrytest import acct, code, status, stored_blobs


@pytest.fixture(scope="module")
def s3(ferry):
    return ferry.client("s3", "tools")


@pytest.fixture(scope="module")
def bucket(s3):
    s3.create_bucket(Bucket="tools-artifacts")
    return "tools-artifacts"


def aws(ferry, *args, profile="tools", check=True):
    r = subprocess.run(["aws", "--endpoint-url", ferry.endpoint, "--profile", profile] + list(args),
                       capture_output=True, text=True, env=ferry.env())
    if check:
        assert r.returncode == 0, r.stderr
    return r


# --- buckets ---------------------------------------------------------------------------------
def test_bucket_namespace_and_errors(ferry, s3):
    for bad in ("ab", "Upper", "a..b", "192.168.1.1", "-lead", "x" * 64, "xn--punycode"):
        with pytest.raises(ClientError) as e:
            s3.create_bucket(Bucket=bad)
        assert code(e) == "InvalidBucketName", bad
    s3.create_bucket(Bucket="ns-test-1")
    s3.create_bucket(Bucket="ns-test-1")  # us-east-1 keeps the legacy 200 for its owner
    dev_s3 = ferry.client("s3", "dev")
    with pytest.raises(ClientError) as e:
        dev_s3.create_bucket(Bucket="ns-test-1")
    assert code(e) == "BucketAlreadyExists" and status(e) == 409
    west = ferry.client("s3", "tools", region="us-west-2")
    west.create_bucket(Bucket="ns-west", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    with pytest.raises(ClientError) as e:
        west.create_bucket(Bucket="ns-west", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    assert code(e) == "BucketAlreadyOwnedByYou"
    with pytest.raises(ClientError) as e:
        west.create_bucket(Bucket="ns-west-2")
    assert code(e) == "IllegalLocationConstraintException"
    assert s3.get_bucket_location(Bucket="ns-west")["LocationConstraint"] == "us-west-2"
    assert s3.get_bucket_location(Bucket="ns-test-1")["LocationConstraint"] is None
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert "ns-test-1" in names and "ns-west" in names
    assert "ns-test-1" not in [b["Name"] for b in dev_s3.list_buckets()["Buckets"]]
    s3.head_bucket(Bucket="ns-test-1")
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket="no-such-bucket-here")
    assert status(e) == 404
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="no-such-bucket-here", Key="k")
    assert code(e) == "NoSuchBucket"
    s3.put_object(Bucket="ns-test-1", Key="k", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket="ns-test-1")
    assert code(e) == "BucketNotEmpty" and status(e) == 409
    s3.delete_object(Bucket="ns-test-1", Key="k")
    s3.delete_bucket(Bucket="ns-test-1")
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket="ns-test-1")
    assert status(e) == 404


# --- objects ---------------------------------------------------------------------------------
def test_put_get_head_metadata_and_ranges(s3, bucket):
    body = os.urandom(100_000)
    md5 = hashlib.md5(body).hexdigest()
    r = s3.put_object(Bucket=bucket, Key="dir/obj.bin", Body=body, ContentType="application/x-test",
                      Metadata={"team": "platform"}, CacheControl="max-age=60")
    assert r["ETag"] == f'"{md5}"' and r["ServerSideEncryption"] == "AES256"
    g = s3.get_object(Bucket=bucket, Key="dir/obj.bin")
    assert g["Body"].read() == body
    assert g["ContentType"] == "application/x-test" and g["Metadata"] == {"team": "platform"}
    assert g["CacheControl"] == "max-age=60" and g["ContentLength"] == len(body)
    assert g["ETag"] == f'"{md5}"' and g["ServerSideEncryption"] == "AES256"
    h = s3.head_object(Bucket=bucket, Key="dir/obj.bin")
    assert h["ContentLength"] == len(body) and h["AcceptRanges"] == "bytes"
    for rng, want in (("bytes=10-19", body[10:20]), ("bytes=99990-", body[99990:]),
                      ("bytes=-5", body[-5:]), ("bytes=65530-65545", body[65530:65546])):
        g = s3.get_object(Bucket=bucket, Key="dir/obj.bin", Range=rng)
        assert g["Body"].read() == want, rng
        assert g["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert g["ContentRange"].endswith(f"/{len(body)}")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="dir/obj.bin", Range="bytes=200000-")
    assert code(e) == "InvalidRange" and status(e) == 416
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="dir/missing")
    assert code(e) == "NoSuchKey" and status(e) == 404
    # response overrides
    g = s3.get_object(Bucket=bucket, Key="dir/obj.bin", ResponseContentType="text/plain")
    assert g["ContentType"] == "text/plain"
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert s3.get_object(Bucket=bucket, Key="empty")["Body"].read() == b""
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x")
    assert code(e) == "KeyTooLongError"


def test_conditional_requests(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="cond", Body=b"v1")["ETag"]
    g = s3.get_object(Bucket=bucket, Key="cond", IfMatch=etag)
    assert g["Body"].read() == b"v1"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="cond", IfMatch='"0000"')
    assert status(e) == 412
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="cond", IfNoneMatch=etag)
    assert status(e) == 304
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="cond", IfModifiedSince=future)
    assert status(e) == 304
    past = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="cond", IfUnmodifiedSince=past)
    assert status(e) == 412
    # conditional writes: If-None-Match * creates only
    req = botocore.awsrequest.AWSRequest
    s3.meta.events.register_first("before-sign.s3.PutObject",
                                  lambda request, **kw: request.headers.__setitem__("If-None-Match", "*"),
                                  unique_id="inm")
    try:
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket=bucket, Key="cond", Body=b"v2")
        assert code(e) == "PreconditionFailed" and status(e) == 412
        s3.put_object(Bucket=bucket, Key="cond-new", Body=b"first")
    finally:
        s3.meta.events.unregister("before-sign.s3.PutObject", unique_id="inm")
    assert req and s3.get_object(Bucket=bucket, Key="cond")["Body"].read() == b"v1"


def test_content_md5_and_checksums(s3, bucket):
    body = b"checked bytes"
    good = base64.b64encode(hashlib.md5(body).digest()).decode()
    s3.put_object(Bucket=bucket, Key="md5", Body=body, ContentMD5=good)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="md5-bad", Body=body,
                      ContentMD5=base64.b64encode(hashlib.md5(b"other").digest()).decode())
    assert code(e) == "BadDigest"
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="md5-bad", Body=body, ContentMD5="notbase64!")
    assert code(e) == "InvalidDigest"
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="md5-bad")
    assert status(e) == 404  # nothing of a refused body is stored
    sha = base64.b64encode(hashlib.sha256(body).digest()).decode()
    r = s3.put_object(Bucket=bucket, Key="sha", Body=body, ChecksumSHA256=sha)
    assert r["ChecksumSHA256"] == sha
    h = s3.head_object(Bucket=bucket, Key="sha", ChecksumMode="ENABLED")
    assert h["ChecksumSHA256"] == sha
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="sha-bad", Body=body,
                      ChecksumSHA256=base64.b64encode(hashlib.sha256(b"x").digest()).decode())
    assert code(e) == "BadDigest"


def test_list_objects_prefix_delimiter_pages(s3):
    s3.create_bucket(Bucket="listing")
    keys = sorted([f"logs/2026/{i:02d}.txt" for i in range(7)] + ["logs/a", "readme", "src/x.c",
                                                                   "src/y/z.c", "\u00e9t\u00e9"])
    for k in keys:
        s3.put_object(Bucket="listing", Key=k, Body=k.encode())
    got, token = [], None
    while True:
        kw = {"ContinuationToken": token} if token else {}
        r = s3.list_objects_v2(Bucket="listing", MaxKeys=3, **kw)
        got += [o["Key"] for o in r.get("Contents", [])]
        assert r["KeyCount"] == len(r.get("Contents", []))
        if not r["IsTruncated"]:
            break
        token = r["NextContinuationToken"]
    assert got == keys  # UTF-8 binary order
    r = s3.list_objects_v2(Bucket="listing", Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["logs/", "src/"]
    assert [o["Key"] for o in r["Contents"]] == ["readme", "\u00e9t\u00e9"]
    r = s3.list_objects_v2(Bucket="listing", Prefix="logs/", Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["logs/2026/"]
    assert [o["Key"] for o in r["Contents"]] == ["logs/a"]
    # pages that end on a common prefix go on after it
    seen, token = [], None
    while True:
        kw = {"ContinuationToken": token} if token else {}
        r = s3.list_objects_v2(Bucket="listing", Delimiter="/", MaxKeys=1, **kw)
        seen += [p["Prefix"] for p in r.get("CommonPrefixes", [])] + [o["Key"] for o in r.get("Contents", [])]
        if not r["IsTruncated"]:
            break
        token = r["NextContinuationToken"]
    assert seen == ["logs/", "readme", "src/", "\u00e9t\u00e9"]
    r = s3.list_objects_v2(Bucket="listing", StartAfter="logs/2026/05.txt", MaxKeys=2)
    assert [o["Key"] for o in r["Contents"]] == ["logs/2026/06.txt", "logs/a"]
    # a value that merely contains SigV2's parameter name is not SigV2
    assert "Contents" not in s3.list_objects_v2(Bucket="listing", Prefix="AWSAccessKeyId=x")
    v1 = s3.list_objects(Bucket="listing", Prefix="src/")
    assert [o["Key"] for o in v1["Contents"]] == ["src/x.c", "src/y/z.c"]
    pag = s3.get_paginator("list_objects").paginate(Bucket="listing", PaginationConfig={"PageSize": 4})
    assert [o["Key"] for p in pag for o in p.get("Contents", [])] == keys


def test_copy_and_batch_delete(s3, bucket):
    s3.put_object(Bucket=bucket, Key="orig", Body=b"original", Metadata={"a": "1"})
    r = s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "orig"})
    assert r["CopyObjectResult"]["ETag"] == s3.head_object(Bucket=bucket, Key="orig")["ETag"]
    g = s3.get_object(Bucket=bucket, Key="copy")
    assert g["Body"].read() == b"original" and g["Metadata"] == {"a": "1"}
    s3.copy_object(Bucket=bucket, Key="copy2", CopySource=f"{bucket}/orig",
                   MetadataDirective="REPLACE", Metadata={"b": "2"}, ContentType="text/x")
    h = s3.head_object(Bucket=bucket, Key="copy2")
    assert h["Metadata"] == {"b": "2"} and h["ContentType"] == "text/x"
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="orig", CopySource=f"{bucket}/orig")
    assert code(e) == "InvalidRequest"
    # the source can go: the copy keeps the bytes
    s3.delete_object(Bucket=bucket, Key="orig")
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == b"original"
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "copy"}, {"Key": "copy2"},
                                                             {"Key": "never-was"}]})
    assert sorted(d["Key"] for d in r["Deleted"]) == ["copy", "copy2", "never-was"]
    assert s3.delete_object(Bucket=bucket, Key="never-was")["ResponseMetadata"]["HTTPStatusCode"] == 204


# --- multipart -------------------------------------------------------------------------------
def test_multipart_upload(s3, bucket):
    mpu = s3.create_multipart_upload(Bucket=bucket, Key="big/parts.bin", ContentType="application/zip",
                                     Metadata={"build": "42"})
    uid = mpu["UploadId"]
    p1, p2, p3 = os.urandom(5 << 20), os.urandom(5 << 20), os.urandom(1234)
    e1 = s3.upload_part(Bucket=bucket, Key="big/parts.bin", UploadId=uid, PartNumber=1, Body=p1)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="big/parts.bin", UploadId=uid, PartNumber=2, Body=p2)["ETag"]
    e3 = s3.upload_part(Bucket=bucket, Key="big/parts.bin", UploadId=uid, PartNumber=3, Body=p3)["ETag"]
    parts = s3.list_parts(Bucket=bucket, Key="big/parts.bin", UploadId=uid)["Parts"]
    assert [p["PartNumber"] for p in parts] == [1, 2, 3] and parts[2]["Size"] == 1234
    assert uid in [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]]
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="big/parts.bin", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}]})
    assert code(e) == "InvalidPartOrder"
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="big/parts.bin", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": e2}]})
    assert code(e) == "InvalidPart"
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="big/parts.bin", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 3, "ETag": e3}, {"PartNumber": 4, "ETag": e3}]})
    assert code(e) in ("InvalidPart", "EntityTooSmall")
    r = s3.complete_multipart_upload(Bucket=bucket, Key="big/parts.bin", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}, {"PartNumber": 3, "ETag": e3}]})
    md5s = b"".join(bytes.fromhex(x.strip('"')) for x in (e1, e2, e3))
    assert r["ETag"] == f'"{hashlib.md5(md5s).hexdigest()}-3"'
    whole = p1 + p2 + p3
    g = s3.get_object(Bucket=bucket, Key="big/parts.bin")
    assert g["Body"].read() == whole and g["Metadata"] == {"build": "42"}
    assert g["ContentType"] == "application/zip"
    # a range across the parts' edge
    g = s3.get_object(Bucket=bucket, Key="big/parts.bin", Range=f"bytes={(5 << 20) - 10}-{(5 << 20) + 9}")
    assert g["Body"].read() == whole[(5 << 20) - 10:(5 << 20) + 10]
    # the completed object copied (its parts shared, not its bytes), and the copy read back
    c = s3.copy_object(Bucket=bucket, Key="big/parts-copy.bin", CopySource=f"{bucket}/big/parts.bin")
    assert c["CopyObjectResult"]["ETag"] == r["ETag"]
    assert s3.get_object(Bucket=bucket, Key="big/parts-copy.bin")["Body"].read() == whole
    with pytest.raises(ClientError) as e:
        s3.list_parts(Bucket=bucket, Key="big/parts.bin", UploadId=uid)
    assert code(e) == "NoSuchUpload"
    # abort
    uid2 = s3.create_multipart_upload(Bucket=bucket, Key="big/aborted")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="big/aborted", UploadId=uid2, PartNumber=1, Body=b"x")
    s3.abort_multipart_upload(Bucket=bucket, Key="big/aborted", UploadId=uid2)
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="big/aborted", UploadId=uid2, PartNumber=2, Body=b"y")
    assert code(e) == "NoSuchUpload"
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="big/aborted", UploadId="nope", PartNumber=10001, Body=b"y")
    assert code(e) in ("InvalidArgument", "NoSuchUpload")


# --- encryption at rest ----------------------------------------------------------------------
def blob_files(ferry):
    """the names of the blobs stored: files, and slots of segment files"""
    return stored_blobs(ferry).keys()


def test_object_bytes_are_encrypted_at_rest(ferry, s3, bucket):
    marker = b"PLAINTEXT-MARKER-" * 1000
    s3.put_object(Bucket=bucket, Key="secret.txt", Body=marker)
    mpu = s3.create_multipart_upload(Bucket=bucket, Key="secret-mpu")
    e1 = s3.upload_part(Bucket=bucket, Key="secret-mpu", UploadId=mpu["UploadId"], PartNumber=1,
                        Body=marker)["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="secret-mpu", UploadId=mpu["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}]})
    blobs = stored_blobs(ferry)
    assert len(blobs) >= 2  # the object's slot and the part's
    for name, data in blobs.items():
        assert b"PLAINTEXT-MARKER" not in data, name
        assert os.stat(name.split("#")[0]).st_mode & 0o077 == 0
    assert os.stat(os.path.join(ferry.data, "s3-master.key")).st_mode & 0o077 == 0
    assert s3.get_object(Bucket=bucket, Key="secret.txt")["Body"].read() == marker
    assert s3.get_object(Bucket=bucket, Key="secret-mpu")["Body"].read() == marker


def test_sse_kms_with_the_aws_managed_key(ferry):
    """aws:kms without a key id: S3 makes the account's AWS managed key (alias/aws/s3) on
    first use, and the object reads back (the key outlives the PUT's wait for its body)."""
    s3 = ferry.client("s3", "qa", region="us-east-1")
    s3.create_bucket(Bucket="managed-key-objects")
    r = s3.put_object(Bucket="managed-key-objects", Key="a", Body=b"first", ServerSideEncryption="aws:kms")
    kms = ferry.client("kms", "qa", region="us-east-1")
    alias = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/aws/s3"]
    assert len(alias) == 1 and r["SSEKMSKeyId"].endswith("/" + alias[0]["TargetKeyId"])
    assert kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyManager"] == "AWS"
    assert s3.get_object(Bucket="managed-key-objects", Key="a")["Body"].read() == b"first"
    # the second object uses the same key
    r2 = s3.put_object(Bucket="managed-key-objects", Key="b", Body=b"second", ServerSideEncryption="aws:kms")
    assert r2["SSEKMSKeyId"] == r["SSEKMSKeyId"]
    assert s3.get_object(Bucket="managed-key-objects", Key="b")["Body"].read() == b"second"


def test_sse_kms_across_accounts_needs_bucket_and_key_policy(ferry, s3):
    """The seeds' artifact store: a tools-account bucket encrypted with a customer key, read by
    a DEV principal only because both the bucket policy and the key policy allow it."""
    tools, dev = acct(ferry, "tools"), acct(ferry, "dev")
    kms = ferry.client("kms", "tools")
    key = kms.create_key(Description="artifact key")["KeyMetadata"]
    s3.create_bucket(Bucket="pipeline-artifacts")
    r = s3.put_object(Bucket="pipeline-artifacts", Key="build/app.zip", Body=b"zip bytes",
                      ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    assert r["ServerSideEncryption"] == "aws:kms" and r["SSEKMSKeyId"] == key["Arn"]
    h = s3.head_object(Bucket="pipeline-artifacts", Key="build/app.zip")
    assert h["ServerSideEncryption"] == "aws:kms" and h["SSEKMSKeyId"] == key["Arn"]
    assert s3.get_object(Bucket="pipeline-artifacts", Key="build/app.zip")["Body"].read() == b"zip bytes"
    dev_s3 = ferry.client("s3", "dev")
    with pytest.raises(ClientError) as e:  # no bucket policy yet
        dev_s3.get_object(Bucket="pipeline-artifacts", Key="build/app.zip")
    assert code(e) == "AccessDenied"
    s3.put_bucket_policy(Bucket="pipeline-artifacts", Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{dev}:root"},
                       "Action": ["s3:GetObject", "s3:ListBucket"],
                       "Resource": ["arn:aws:s3:::pipeline-artifacts",
                                    "arn:aws:s3:::pipeline-artifacts/*"]}]}))
    with pytest.raises(ClientError) as e:  # the bucket allows; the key does not
        dev_s3.get_object(Bucket="pipeline-artifacts", Key="build/app.zip")
    assert code(e) == "AccessDenied" and "kms:Decrypt" in e.value.response["Error"]["Message"]
    pol = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    pol["Statement"].append({"Sid": "dev reads artifacts", "Effect": "Allow",
                             "Principal": {"AWS": f"arn:aws:iam::{dev}:root"},
                             "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"})
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(pol))
    assert dev_s3.get_object(Bucket="pipeline-artifacts", Key="build/app.zip")["Body"].read() == b"zip bytes"
    assert [o["Key"] for o in dev_s3.list_objects_v2(Bucket="pipeline-artifacts")["Contents"]] == ["build/app.zip"]
    with pytest.raises(ClientError) as e:  # GetObject only
        dev_s3.put_object(Bucket="pipeline-artifacts", Key="x", Body=b"x")
    assert code(e) == "AccessDenied"
    pol["Statement"].pop()
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(pol))
    with pytest.raises(ClientError) as e:
        dev_s3.get_object(Bucket="pipeline-artifacts", Key="build/app.zip")
    assert code(e) == "AccessDenied"
    # both accounts' trails show the read
    for profile, who in (("tools", tools), ("dev", dev)):
        ct = ferry.client("cloudtrail", profile)
        deadline = time.time() + 30
        while True:
            evs = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName",
                                                      "AttributeValue": "GetObject"}])["Events"]
            mine = [e for e in evs if e.get("Username") == "root" and
                    any(r.get("ResourceName", "").startswith("arn:aws:s3:::pipeline-artifacts")
                        for r in e.get("Resources", []))]
            if mine or time.time() > deadline:
                break
            time.sleep(0.2)
        assert mine, (profile, who)


# --- signing forms ---------------------------------------------------------------------------
def sign_key(secret, date, region, service):
    k = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def chunked_put(ferry, bucket, key, chunks, tamper=None):
    """A PUT with STREAMING-AWS4-HMAC-SHA256-PAYLOAD, each chunk signed after the one before."""
    akid, secret = ferry.keys("tools")
    now = datetime.datetime.now(datetime.timezone.utc)
    amz, date, region = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d"), "us-east-1"
    total = sum(len(c) for c in chunks)
    body_len = sum(len(f"{len(c):x};chunk-signature=") + 64 + 2 + len(c) + 2 for c in chunks + [b""])
    host = f"127.0.0.1:{ferry.port}"
    headers = {"host": host, "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
               "x-amz-date": amz, "x-amz-decoded-content-length": str(total),
               "content-encoding": "aws-chunked", "content-length": str(body_len)}
    signed = ";".join(sorted(headers))
    canon = "\n".join(["PUT", f"/{bucket}/{key}", "", *[f"{k}:{headers[k]}" for k in sorted(headers)],
                       "", signed, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"])
    scope = f"{date}/{region}/s3/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(canon.encode()).hexdigest()])
    k = sign_key(secret, date, region, "s3")
    seed = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    auth = f"AWS4-HMAC-SHA256 Credential={akid}/{scope}, SignedHeaders={signed}, Signature={seed}"
    prev, body = seed, b""
    empty = hashlib.sha256(b"").hexdigest()
    for i, c in enumerate(chunks + [b""]):
        s = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz, scope, prev, empty, hashlib.sha256(c).hexdigest()])
        prev = hmac.new(k, s.encode(), hashlib.sha256).hexdigest()
        data = tamper(i, c) if tamper else c
        body += f"{len(c):x};chunk-signature={prev}\r\n".encode() + data + b"\r\n"
    req = urllib.request.Request(f"{ferry.endpoint}/{bucket}/{key}", data=body, method="PUT",
                                 headers={**{k: v for k, v in headers.items() if k != "host"},
                                          "Authorization": auth})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_streaming_upload_with_chunk_signatures(ferry, s3, bucket):
    chunks = [os.urandom(64 * 1024), os.urandom(64 * 1024), os.urandom(1000)]
    st, body = chunked_put(ferry, bucket, "chunked.bin", chunks)
    assert st == 200, body
    assert s3.get_object(Bucket=bucket, Key="chunked.bin")["Body"].read() == b"".join(chunks)
    # a chunk changed in flight fails the upload, and nothing of it is stored
    st, body = chunked_put(ferry, bucket, "tampered.bin", chunks,
                           tamper=lambda i, c: c[:-1] + bytes([c[-1] ^ 1]) if i == 1 else c)
    assert st == 403 and b"SignatureDoesNotMatch" in body
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="tampered.bin")
    assert status(e) == 404


def vhost_get(ferry, host, path):
    akid, secret = ferry.keys("tools")
    from botocore.credentials import Credentials
    req = botocore.awsrequest.AWSRequest(method="GET", url=f"http://{host}:{ferry.port}{path}")
    botocore.auth.S3SigV4Auth(Credentials(akid, secret), "s3", "us-east-1").add_auth(req)
    with socket.create_connection(("127.0.0.1", ferry.port)) as s:
        head = f"GET {path} HTTP/1.1\r\nHost: {host}:{ferry.port}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in req.headers.items() if k.lower() != "host")
        s.sendall((head + "Connection: close\r\n\r\n").encode())
        data = b""
        while True:
            got = s.recv(65536)
            if not got:
                break
            data += got
    return data


def test_virtual_hosted_addressing(ferry, s3, bucket):
    s3.put_object(Bucket=bucket, Key="vhost/key.txt", Body=b"by host")
    for host in (f"{bucket}.localhost", f"{bucket}.s3.localhost"):
        data = vhost_get(ferry, host, "/vhost/key.txt")
        assert data.startswith(b"HTTP/1.1 200"), data[:300]
        assert data.endswith(b"by host")


def test_configured_s3_host_suffix():
    from ferrytest import Ferry
    f = Ferry(extra=["--s3-host", "s3.ferry.test"]).start()
    try:
        f.init()
        s3 = f.client("s3", "tools")
        s3.create_bucket(Bucket="suffixed")
        s3.put_object(Bucket="suffixed", Key="k", Body=b"by the configured host")
        data = vhost_get(f, "suffixed.s3.ferry.test", "/k")
        assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"by the configured host")
    finally:
        f.close()


def test_presigned_urls(ferry, s3, bucket):
    s3.put_object(Bucket=bucket, Key="shared.txt", Body=b"presigned read")
    # Debian's botocore presigns with Signature Version 2, which AWS refuses for buckets made
    # since 2020 (as ferry does): SigV4 is asked for
    v2 = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared.txt"})
    if "AWSAccessKeyId=" in v2:
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(v2, timeout=10)
        assert e.value.code == 400 and b"AWS4-HMAC-SHA256" in e.value.read()
    s3 = ferry.client("s3", "tools", config=Config(signature_version="s3v4"))
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared.txt"},
                                    ExpiresIn=300)
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.read() == b"presigned read"
    put = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "uploaded.txt"},
                                    ExpiresIn=300)
    req = urllib.request.Request(put, data=b"via presigned put", method="PUT")
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200
    assert s3.get_object(Bucket=bucket, Key="uploaded.txt")["Body"].read() == b"via presigned put"
    # tampering with the URL, or waiting past its expiry, is refused
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(url.replace("shared.txt", "uploaded.txt"), timeout=10)
    assert e.value.code == 403
    short = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared.txt"},
                                      ExpiresIn=1)
    time.sleep(2.1)
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(short, timeout=10)
    assert e.value.code == 403 and b"expired" in e.value.read()
    week = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared.txt"},
                                     ExpiresIn=604800)
    with urllib.request.urlopen(week, timeout=10) as r:
        assert r.read() == b"presigned read"


def test_client_gone_mid_upload_leaves_nothing(ferry, s3, bucket):
    before = set(blob_files(ferry))
    akid, secret = ferry.keys("tools")
    from botocore.credentials import Credentials
    req = botocore.awsrequest.AWSRequest(method="PUT", url=f"{ferry.endpoint}/{bucket}/half",
                                         headers={"Content-Length": str(10 << 20),
                                                  "x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    botocore.auth.S3SigV4Auth(Credentials(akid, secret), "s3", "us-east-1").add_auth(req)
    s = socket.create_connection(("127.0.0.1", ferry.port))
    head = f"PUT /{bucket}/half HTTP/1.1\r\nHost: 127.0.0.1:{ferry.port}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in req.headers.items() if k.lower() != "host")
    s.sendall((head + "\r\n").encode() + os.urandom(3 << 20))
    time.sleep(0.3)
    s.close()
    deadline = time.time() + 10
    while set(blob_files(ferry)) - before and time.time() < deadline:
        time.sleep(0.1)
    assert not set(blob_files(ferry)) - before
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="half")
    assert status(e) == 404


# --- the aws CLI -----------------------------------------------------------------------------
def test_cli_s3_high_level_commands(ferry, tmp_path):
    aws(ferry, "s3", "mb", "s3://cli-bucket")
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_bytes(b"alpha")
    (src / "sub" / "b.bin").write_bytes(os.urandom(9 << 20))  # multipart in the CLI
    # S3's LastModified has whole seconds, as AWS's: a file written in the second of its
    # upload would look newer than its object to the next sync (as it would against AWS)
    for f in (src / "a.txt", src / "sub" / "b.bin"):
        os.utime(f, (time.time() - 10, time.time() - 10))
    aws(ferry, "s3", "sync", str(src), "s3://cli-bucket/site/")
    out = aws(ferry, "s3", "ls", "--recursive", "s3://cli-bucket/").stdout
    assert "site/a.txt" in out and "site/sub/b.bin" in out
    dst = tmp_path / "dst"
    aws(ferry, "s3", "cp", "--recursive", "s3://cli-bucket/site/", str(dst))
    assert (dst / "sub" / "b.bin").read_bytes() == (src / "sub" / "b.bin").read_bytes()
    # a second sync uploads nothing
    assert "upload:" not in aws(ferry, "s3", "sync", str(src), "s3://cli-bucket/site/").stdout
    url = aws(ferry, "s3", "presign", "s3://cli-bucket/site/a.txt", "--expires-in", "60").stdout.strip()
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.read() == b"alpha"
    aws(ferry, "s3", "rm", "--recursive", "s3://cli-bucket/site/")
    assert aws(ferry, "s3", "ls", "s3://cli-bucket/").stdout.strip() == ""
    aws(ferry, "s3", "rb", "s3://cli-bucket")
    r = aws(ferry, "s3api", "head-bucket", "--bucket", "cli-bucket", check=False)
    assert r.returncode != 0


def test_unnamed_blobs_are_swept():
    """Overwritten, deleted and aborted objects' bytes go once nothing names them (a short
    sweep period and grace here; an hour's grace by default)."""
    from ferrytest import Ferry
    f = Ferry().start(env={"FERRY_BLOB_SWEEP_SECONDS": "0.5", "FERRY_BLOB_SWEEP_GRACE": "3"})
    try:
        f.init()
        s3 = f.client("s3", "tools")
        s3.create_bucket(Bucket="swept")
        s3.put_object(Bucket="swept", Key="keep", Body=b"kept bytes")
        for i in range(3):
            s3.put_object(Bucket="swept", Key="over", Body=b"v%d" % i)
        s3.put_object(Bucket="swept", Key="gone", Body=b"x")
        s3.delete_object(Bucket="swept", Key="gone")
        uid = s3.create_multipart_upload(Bucket="swept", Key="mpu")["UploadId"]
        s3.upload_part(Bucket="swept", Key="mpu", UploadId=uid, PartNumber=1, Body=b"p")
        s3.abort_multipart_upload(Bucket="swept", Key="mpu", UploadId=uid)
        s3.copy_object(Bucket="swept", Key="copy", CopySource="swept/keep")
        deadline = time.time() + 20
        while len(list(blob_files(f))) > 2 and time.time() < deadline:
            time.sleep(0.2)
        assert len(list(blob_files(f))) == 2  # "keep" (shared with "copy") and the last "over"
        assert s3.get_object(Bucket="swept", Key="copy")["Body"].read() == b"kept bytes"
        assert s3.get_object(Bucket="swept", Key="over")["Body"].read() == b"v2"
    finally:
        f.close()


def test_cloudformation_reads_templates_from_s3(ferry, tmp_path):
    """TemplateURL into ferry's S3 (read as the caller), `aws cloudformation package` of a
    nested stack and `deploy --s3-bucket`."""
    s3 = ferry.client("s3", "tools")
    s3.create_bucket(Bucket="cfn-templates")
    tpl = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\nOutputs:\n  Arn:\n    Value: !GetAtt Q.Arn\n"
    s3.put_object(Bucket="cfn-templates", Key="q.yaml", Body=tpl.encode())
    cfn = ferry.client("cloudformation", "tools")
    for i, url in enumerate((f"https://s3.amazonaws.com/cfn-templates/q.yaml",
                             f"https://cfn-templates.s3.us-east-1.amazonaws.com/q.yaml",
                             f"{ferry.endpoint}/cfn-templates/q.yaml")):
        cfn.create_stack(StackName=f"from-s3-{i}", TemplateURL=url)
        cfn.get_waiter("stack_create_complete").wait(StackName=f"from-s3-{i}",
                                                      WaiterConfig={"Delay": 1})
    # another account may not read the tools bucket: its stack cannot use the URL
    with pytest.raises(ClientError) as e:
        ferry.client("cloudformation", "dev").create_stack(
            StackName="not-mine", TemplateURL="https://s3.amazonaws.com/cfn-templates/q.yaml")
    assert code(e) == "ValidationError"
    (tmp_path / "child.yaml").write_text(tpl)
    (tmp_path / "parent.yaml").write_text(
        "Resources:\n  Child:\n    Type: AWS::CloudFormation::Stack\n"
        "    Properties:\n      TemplateURL: child.yaml\n")
    out = tmp_path / "packaged.yaml"
    aws(ferry, "cloudformation", "package", "--template-file", str(tmp_path / "parent.yaml"),
        "--s3-bucket", "cfn-templates", "--output-template-file", str(out))
    assert "cfn-templates" in out.read_text()
    aws(ferry, "cloudformation", "deploy", "--template-file", str(out), "--stack-name", "packaged",
        "--s3-bucket", "cfn-templates", "--force-upload")
    st = cfn.describe_stacks(StackName="packaged")["Stacks"][0]
    assert st["StackStatus"] == "CREATE_COMPLETE"


def test_versioning(s3):
    s3.create_bucket(Bucket="tf-state")
    s3.put_object(Bucket="tf-state", Key="state", Body=b"before versioning")
    s3.put_bucket_versioning(Bucket="tf-state", VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket="tf-state", Key="state", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket="tf-state", Key="state", Body=b"two")["VersionId"]
    assert v1 != v2 and v1 != "null"
    g = s3.get_object(Bucket="tf-state", Key="state")
    assert g["Body"].read() == b"two" and g["VersionId"] == v2
    assert s3.get_object(Bucket="tf-state", Key="state", VersionId=v1)["Body"].read() == b"one"
    assert s3.get_object(Bucket="tf-state", Key="state", VersionId="null")["Body"].read() == b"before versioning"
    vs = s3.list_object_versions(Bucket="tf-state")
    assert [(v["VersionId"], v["IsLatest"]) for v in vs["Versions"]] == [(v2, True), (v1, False), ("null", False)]
    # a delete adds a marker: the key is gone, its versions stay
    d = s3.delete_object(Bucket="tf-state", Key="state")
    assert d["DeleteMarker"] is True and d["VersionId"]
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="tf-state", Key="state")
    assert code(e) == "NoSuchKey"
    assert "Contents" not in s3.list_objects_v2(Bucket="tf-state")
    vs = s3.list_object_versions(Bucket="tf-state")
    assert vs["DeleteMarkers"][0]["IsLatest"] is True and len(vs["Versions"]) == 3
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="tf-state", Key="state", VersionId=d["VersionId"])
    assert status(e) == 405
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="tf-state", Key="state", VersionId="0" * 24)
    assert code(e) == "NoSuchVersion"
    # removing the marker brings the last version back
    s3.delete_object(Bucket="tf-state", Key="state", VersionId=d["VersionId"])
    assert s3.get_object(Bucket="tf-state", Key="state")["Body"].read() == b"two"
    # removing the current version for good makes the one before current
    s3.delete_object(Bucket="tf-state", Key="state", VersionId=v2)
    assert s3.get_object(Bucket="tf-state", Key="state")["Body"].read() == b"one"
    # a copy of an old version
    s3.copy_object(Bucket="tf-state", Key="restored", CopySource={"Bucket": "tf-state", "Key": "state", "VersionId": "null"})
    assert s3.get_object(Bucket="tf-state", Key="restored")["Body"].read() == b"before versioning"
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket="tf-state")
    assert code(e) == "BucketNotEmpty"
    # suspended: new writes are the "null" version, replaced each time
    s3.put_bucket_versioning(Bucket="tf-state", VersioningConfiguration={"Status": "Suspended"})
    assert s3.put_object(Bucket="tf-state", Key="s", Body=b"a").get("VersionId") == "null"
    s3.put_object(Bucket="tf-state", Key="s", Body=b"b")
    vs = s3.list_object_versions(Bucket="tf-state", Prefix="s")
    assert [(v["Key"], v["VersionId"]) for v in vs["Versions"] if v["Key"] == "s"] == [("s", "null")]
    # every version of every key, removed version by version, empties the bucket
    for page in s3.get_paginator("list_object_versions").paginate(Bucket="tf-state"):
        objs = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if objs:
            s3.delete_objects(Bucket="tf-state", Delete={"Objects": objs})
    s3.delete_bucket(Bucket="tf-state")


def test_upload_part_copy(s3, bucket):
    """Parts copied from other objects (ranges across a multipart source's parts, and a
    KMS-sealed source) name the bytes where they are."""
    src = os.urandom(6 << 20)
    mpu = s3.create_multipart_upload(Bucket=bucket, Key="src-mpu")
    e1 = s3.upload_part(Bucket=bucket, Key="src-mpu", UploadId=mpu["UploadId"], PartNumber=1,
                        Body=src[:5 << 20])["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="src-mpu", UploadId=mpu["UploadId"], PartNumber=2,
                        Body=src[5 << 20:])["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="src-mpu", UploadId=mpu["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1},
                                                            {"PartNumber": 2, "ETag": e2}]})
    small = b"small object bytes"
    s3.put_object(Bucket=bucket, Key="src-small", Body=small)
    up = s3.create_multipart_upload(Bucket=bucket, Key="assembled")["UploadId"]
    lo, hi = 1000, (5 << 20) + 1000  # 5 MiB across the source's two parts
    p1 = s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=up, PartNumber=1,
                             CopySource={"Bucket": bucket, "Key": "src-mpu"},
                             CopySourceRange=f"bytes={lo}-{hi - 1}")
    whole_first = src[lo:hi]
    p2 = s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=up, PartNumber=2,
                             CopySource=f"{bucket}/src-small")
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=up, PartNumber=3,
                            CopySource=f"{bucket}/src-small", CopySourceRange="bytes=5-1000")
    assert code(e) == "InvalidRange"
    s3.complete_multipart_upload(Bucket=bucket, Key="assembled", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": p1["CopyPartResult"]["ETag"]},
                  {"PartNumber": 2, "ETag": p2["CopyPartResult"]["ETag"]}]})
    got = s3.get_object(Bucket=bucket, Key="assembled")["Body"].read()
    assert got == whole_first + small
    # the sources can go: the assembled object keeps the bytes it names
    s3.delete_object(Bucket=bucket, Key="src-mpu")
    s3.delete_object(Bucket=bucket, Key="src-small")
    assert s3.get_object(Bucket=bucket, Key="assembled", Range="bytes=-5")["Body"].read() == small[-5:]


def test_acknowledged_objects_survive_kill_9():
    import signal
    from ferrytest import Ferry
    f = Ferry().start()
    try:
        f.init()
        s3 = f.client("s3", "tools")
        s3.create_bucket(Bucket="durable")
        body = os.urandom(3 << 20)
        s3.put_object(Bucket="durable", Key="k", Body=body)
        uid = s3.create_multipart_upload(Bucket="durable", Key="m")["UploadId"]
        e1 = s3.upload_part(Bucket="durable", Key="m", UploadId=uid, PartNumber=1, Body=body)["ETag"]
        s3.complete_multipart_upload(Bucket="durable", Key="m", UploadId=uid,
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}]})
        f.stop(signal.SIGKILL)
        f.start()
        s3 = f.client("s3", "tools")
        assert s3.get_object(Bucket="durable", Key="k")["Body"].read() == body
        assert s3.get_object(Bucket="durable", Key="m")["Body"].read() == body
    finally:
        f.close()


def test_bucket_policy_conditions(ferry, s3):
    """The seeds' artifact buckets refuse unencrypted uploads (s3:x-amz-server-side-encryption)
    and plain-http access (aws:SecureTransport); listing can be held to a prefix (s3:prefix)."""
    tools = acct(ferry, "tools")
    s3.create_bucket(Bucket="guarded")
    s3.put_bucket_policy(Bucket="guarded", Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "DenyUnEncryptedObjectUploads", "Effect": "Deny", "Principal": "*",
             "Action": "s3:PutObject", "Resource": "arn:aws:s3:::guarded/*",
             "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
            {"Sid": "OnlyReportsListed", "Effect": "Deny", "Principal": "*",
             "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::guarded",
             "Condition": {"StringNotLike": {"s3:prefix": "reports/*"}}}]}))
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="guarded", Key="a", Body=b"x")
    assert code(e) == "AccessDenied"
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="guarded", Key="a", Body=b"x", ServerSideEncryption="AES256")
    assert code(e) == "AccessDenied"
    s3.put_object(Bucket="guarded", Key="reports/a", Body=b"x", ServerSideEncryption="aws:kms")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="guarded", Prefix="reports/")["Contents"]] == ["reports/a"]
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket="guarded")
    assert code(e) == "AccessDenied"
    s3.put_bucket_policy(Bucket="guarded", Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*",
                       "Action": "s3:*", "Resource": ["arn:aws:s3:::guarded", "arn:aws:s3:::guarded/*"],
                       "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
    with pytest.raises(ClientError) as e:  # ferry is plain http: refused as AWS would
        s3.get_object(Bucket="guarded", Key="reports/a")
    assert code(e) == "AccessDenied"
    assert tools


def test_wrong_region_is_named_and_followed(ferry, s3, bucket):
    s3.put_object(Bucket=bucket, Key="east.txt", Body=b"in us-east-1")
    west = ferry.client("s3", "tools", region="eu-west-1")
    # the SDK follows AuthorizationHeaderMalformed's <Region> to the bucket's region
    assert west.get_object(Bucket=bucket, Key="east.txt")["Body"].read() == b"in us-east-1"
    assert west.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"


NEW_PY = "/root/.pyenv/shims/python3"


def new_boto3():
    """A current boto3 (1.36+, which sends aws-chunked bodies with CRC32 trailers by default)
    when this machine has one beside Debian's; the test skips otherwise."""
    if not os.path.exists(NEW_PY):
        return None
    r = subprocess.run([NEW_PY, "-c", "import boto3; print(boto3.__version__)"],
                       capture_output=True, text=True)
    if r.returncode:
        return None
    major, minor = (int(x) for x in r.stdout.strip().split(".")[:2])
    return r.stdout.strip() if (major, minor) >= (1, 36) else None


def test_current_boto3_with_default_checksums(ferry):
    if not new_boto3():
        pytest.skip("no current boto3 beside Debian's")
    akid, secret = ferry.keys("tools")
    script = f"""
import boto3, os
from boto3.s3.transfer import TransferConfig
s3 = boto3.client("s3", endpoint_url="{ferry.endpoint}", region_name="us-east-1",
                  aws_access_key_id="{akid}", aws_secret_access_key="{secret}")
s3.create_bucket(Bucket="new-boto3")
body = os.urandom(300_000)
r = s3.put_object(Bucket="new-boto3", Key="k", Body=body)
assert r.get("ChecksumCRC32"), r
g = s3.get_object(Bucket="new-boto3", Key="k", ChecksumMode="ENABLED")
assert g["Body"].read() == body
big = os.urandom(12 << 20)
import io
s3.upload_fileobj(io.BytesIO(big), "new-boto3", "big", Config=TransferConfig(multipart_threshold=5 << 20, multipart_chunksize=5 << 20))
out = io.BytesIO()
s3.download_fileobj("new-boto3", "big", out)
assert out.getvalue() == big
print("ok")
"""
    r = subprocess.run([NEW_PY, "-c", script], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-3000:]
