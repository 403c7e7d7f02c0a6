"""More of CodePipeline through boto3: the S3 deploy action (extracted or as the zip, into
another account's bucket), manual approvals that time out, RollbackStage, custom action
types worked through PollForJobs, and GetPipeline of older versions. Reuses the fixtures
and helpers of test_codepipeline.py."""
import json
import subprocess

from ferrytest import raises
import signal

import pytest
from ferrytest import Ferry
from test_codepipeline import (REGION, Env, action_state, approval, decl, latest, pending_token,
                               put_source, s3_source, uniq, wait, wait_exec)

SEAMS = {"FERRY_PIPELINE_INTERVAL": "0.1", "FERRY_PIPELINE_APPROVAL_TIMEOUT": "3"}


@pytest.fixture(scope="module")
def fx():
    f = Ferry().start(env=SEAMS)
    f.init()
    yield f
    f.close()


@pytest.fixture(scope="module")
def env(fx):
    return Env(fx)


@pytest.fixture(scope="module")
def cp(fx):
    return fx.client("codepipeline", "tools", region=REGION)


def s3_deploy(name, cfg, art="SourceOut", run_order=1):
    return {"name": name, "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "S3", "version": "1"},
            "configuration": cfg, "inputArtifacts": [{"name": art}], "runOrder": run_order}


# ---- S3 deploy ----

def test_s3_deploy_validation(env, cp):
    def bad(cfg):
        return decl(env, [s3_source(env, "x.zip"), {"name": "Deploy", "actions": [s3_deploy("Site", cfg)]}])
    raises(lambda: cp.create_pipeline(pipeline=bad({"Extract": "true"})), "InvalidActionDeclarationException",
           "Action configuration for action 'Site' is missing required configuration 'BucketName'")
    raises(lambda: cp.create_pipeline(pipeline=bad({"BucketName": "b"})), "InvalidActionDeclarationException",
           "Action configuration for action 'Site' is missing required configuration 'Extract'")
    raises(lambda: cp.create_pipeline(pipeline=bad({"BucketName": "b", "Extract": "false"})),
           "InvalidActionDeclarationException",
           "Action configuration for action 'Site' is missing required configuration 'ObjectKey'")
    raises(lambda: cp.create_pipeline(pipeline=bad({"BucketName": "b", "Extract": "maybe"})),
           "InvalidActionDeclarationException")
    two = bad({"BucketName": "b", "Extract": "true"})
    two["stages"][1]["actions"][0]["inputArtifacts"] = []
    raises(lambda: cp.create_pipeline(pipeline=two), "InvalidActionDeclarationException",
           "Action Site declares 0 input artifacts which is less than the minimum count (1)")


def test_s3_deploy_extracted_and_zipped_across_accounts(fx, env, cp):
    ds3 = fx.client("s3", "dev", region=REGION)
    site = uniq("site")
    ds3.create_bucket(Bucket=site)
    # the dev account's bucket lets the tools account write, as AWS's cross-account deploy needs
    ds3.put_bucket_policy(Bucket=site, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{env.tools}:root"},
         "Action": ["s3:PutObject", "s3:PutObjectAcl"], "Resource": f"arn:aws:s3:::{site}/*"}]}))
    key = uniq("web") + ".zip"
    files = {"index.html": "<h1>hi</h1>", "css/site.css": "body{}"}
    put_source(fx, env, key, files)
    name = uniq("s3deploy")
    cp.create_pipeline(pipeline=decl(env, [s3_source(env, key), {"name": "Deploy", "actions": [
        s3_deploy("Site", {"BucketName": site, "Extract": "true", "ObjectKey": "v1",
                           "CacheControl": "public, max-age=60", "CannedACL": "bucket-owner-full-control"}),
        s3_deploy("Archive", {"BucketName": site, "Extract": "false", "ObjectKey": "archive/site.zip",
                              "KMSEncryptionKeyARN": env.key}, run_order=2)]}], name))
    x = wait_exec(cp, name, latest(cp, name))
    assert x["status"] == "Succeeded", x
    assert ds3.get_object(Bucket=site, Key="v1/index.html")["Body"].read() == b"<h1>hi</h1>"
    h = ds3.head_object(Bucket=site, Key="v1/css/site.css")
    assert h["CacheControl"] == "public, max-age=60"
    z = ds3.head_object(Bucket=site, Key="archive/site.zip")
    assert z["ServerSideEncryption"] == "aws:kms"
    # a bucket that does not let the tools account in fails the action with S3's error
    closed = uniq("closed")
    ds3.create_bucket(Bucket=closed)
    name2 = uniq("s3denied")
    cp.create_pipeline(pipeline=decl(env, [s3_source(env, key), {"name": "Deploy", "actions": [
        s3_deploy("Site", {"BucketName": closed, "Extract": "true"})]}], name2))
    x = wait_exec(cp, name2, latest(cp, name2))
    assert x["status"] == "Failed"
    le = action_state(cp.get_pipeline_state(name=name2), "Deploy", "Site")
    assert le["status"] == "Failed" and le["errorDetails"]["code"] == "AccessDenied", le


# ---- approval timeout ----

def test_approval_times_out_after_kill9(fx, env, cp):
    key = uniq("src") + ".zip"
    put_source(fx, env, key, {"a.txt": "a"})
    name = uniq("expiring")
    cp.create_pipeline(pipeline=decl(env, [s3_source(env, key), approval(env)], name))
    wait(cp, name, pending_token())
    xid = latest(cp, name)
    # the deadline is stored with the action: a restart does not start it again
    fx.stop(signal.SIGKILL)
    fx.start(env=SEAMS)
    cp2 = fx.client("codepipeline", "tools", region=REGION)
    x = wait_exec(cp2, name, xid, timeout=15)
    assert x["status"] == "Failed"
    le = action_state(cp2.get_pipeline_state(name=name), "Approve")
    assert le["status"] == "Failed" and "expired" in le["errorDetails"]["message"], le
    assert le["summary"] == "Approval expired"
