"""More of CodePipeline through boto3: the S3 deploy action (extracted or as the zip, into
another account's bucket), manual approvals that time out, RollbackStage, custom action
types worked through PollForJobs, and GetPipeline of older versions. Reuses the fixtures
and helpers of test_codepipeline.py."""
import io
import json
import signal
import time
import zipfile

import pytest
from ferrytest import Ferry, raises
from test_codepipeline import (REGION, action_state, approval, cp, decl, env,  # noqa: F401 (fixtures)
                               latest, pending_token, put_source, s3_source, uniq, wait, wait_exec)

SEAMS = {"FERRY_PIPELINE_INTERVAL": "0.1", "FERRY_PIPELINE_APPROVAL_TIMEOUT": "3"}


@pytest.fixture(scope="module")
def fx():
    f = Ferry().start(env=SEAMS)
    f.init()
    yield f
    f.close()


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


# ---- RollbackStage ----

def raw(fx, op, body, profile="tools"):
    """A CodePipeline call as JSON (Debian's botocore predates RollbackStage and V2 members)."""
    from test_codepipeline import raw as cp_raw
    return cp_raw(fx, profile, op, body)


def site_zip(fx, bucket, key):
    body = fx.client("s3", "tools", region=REGION).get_object(Bucket=bucket, Key=key)["Body"].read()
    return zipfile.ZipFile(io.BytesIO(body)).read("index.html").decode()


def test_rollback_stage(fx, env, cp):
    site = uniq("site")
    fx.client("s3", "tools", region=REGION).create_bucket(Bucket=site)
    key = uniq("web") + ".zip"
    put_source(fx, env, key, {"index.html": "v1"})
    name = uniq("rollback")
    p = decl(env, [s3_source(env, key), {"name": "Deploy", "actions": [
        s3_deploy("Site", {"BucketName": site, "Extract": "false", "ObjectKey": "site.zip"})]}], name)
    p["pipelineType"] = "V2"
    assert "__error" not in raw(fx, "CreatePipeline", {"pipeline": p})
    x1 = latest(cp, name)
    assert wait_exec(cp, name, x1)["status"] == "Succeeded"
    put_source(fx, env, key, {"index.html": "v2"})
    x2 = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    assert wait_exec(cp, name, x2)["status"] == "Succeeded"
    assert site_zip(fx, site, "site.zip") == "v2"
    # the Deploy stage rolled back to the first execution's artifacts
    xr = raw(fx, "RollbackStage", {"pipelineName": name, "stageName": "Deploy",
                                   "targetPipelineExecutionId": x1})["pipelineExecutionId"]
    assert wait_exec(cp, name, xr)["status"] == "Succeeded"
    assert site_zip(fx, site, "site.zip") == "v1"
    got = raw(fx, "GetPipelineExecution", {"pipelineName": name, "pipelineExecutionId": xr})["pipelineExecution"]
    assert got["executionType"] == "ROLLBACK"
    assert got["rollbackMetadata"] == {"rollbackTargetPipelineExecutionId": x1}
    assert got["trigger"]["triggerType"] == "ManualRollback"
    assert got["artifactRevisions"][0]["revisionId"] == cp.get_pipeline_execution(
        pipelineName=name, pipelineExecutionId=x1)["pipelineExecution"]["artifactRevisions"][0]["revisionId"]
    sums = {s["pipelineExecutionId"]: s for s in
            raw(fx, "ListPipelineExecutions", {"pipelineName": name})["pipelineExecutionSummaries"]}
    assert sums[xr]["executionType"] == "ROLLBACK" and sums[x2]["executionType"] == "STANDARD"
    # only the Deploy stage ran in the rollback
    acts = cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": xr})["actionExecutionDetails"]
    assert [a["actionName"] for a in acts] == ["Site"]

    def err(body):
        return raw(fx, "RollbackStage", dict({"pipelineName": name, "stageName": "Deploy"}, **body))["__error"]
    e = err({"targetPipelineExecutionId": "00000000-0000-0000-0000-000000000000"})
    assert e["__type"].endswith("PipelineExecutionNotFoundException")
    e = err({"targetPipelineExecutionId": xr})
    assert e["__type"].endswith("UnableToRollbackStageException") and "rollback execution" in e["message"]
    e = raw(fx, "RollbackStage", {"pipelineName": name, "stageName": "Source", "targetPipelineExecutionId": x1})["__error"]
    assert e["__type"].endswith("UnableToRollbackStageException") and "source stage" in e["message"]
    e = raw(fx, "RollbackStage", {"pipelineName": name, "stageName": "Nope", "targetPipelineExecutionId": x1})["__error"]
    assert e["__type"].endswith("StageNotFoundException")


def test_rollback_refused_while_stage_runs_or_failed(fx, env, cp):
    key = uniq("src") + ".zip"
    put_source(fx, env, key, {"a.txt": "a"})
    name = uniq("rbbusy")
    p = decl(env, [s3_source(env, key), approval(env)], name)
    p["pipelineType"] = "V2"
    assert "__error" not in raw(fx, "CreatePipeline", {"pipeline": p})
    x1 = latest(cp, name)
    # the first execution's approval expires: a failed stage is no rollback target
    assert wait_exec(cp, name, x1, timeout=15)["status"] == "Failed"
    e = raw(fx, "RollbackStage", {"pipelineName": name, "stageName": "Approve", "targetPipelineExecutionId": x1})["__error"]
    assert e["__type"].endswith("UnableToRollbackStageException") and "did not succeed" in e["message"]
    x2 = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    token = wait(cp, name, pending_token())
    cp.put_approval_result(pipelineName=name, stageName="Approve", actionName="Approve",
                           result={"summary": "ok", "status": "Approved"}, token=token)
    assert wait_exec(cp, name, x2)["status"] == "Succeeded"
    x3 = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    wait(cp, name, pending_token())
    e = raw(fx, "RollbackStage", {"pipelineName": name, "stageName": "Approve", "targetPipelineExecutionId": x2})["__error"]
    assert e["__type"].endswith("UnableToRollbackStageException") and "in progress" in e["message"], e
    cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=x3, abandon=True)


# ---- custom actions ----

def test_custom_action_jobs(fx, env, cp):
    prov = uniq("Builder")[:25]
    tid = {"category": "Build", "owner": "Custom", "provider": prov, "version": "1"}
    cp.create_custom_action_type(
        category="Build", provider=prov, version="1",
        configurationProperties=[{"name": "Project", "required": True, "key": True, "secret": False,
                                  "queryable": True, "type": "String"}],
        inputArtifactDetails={"minimumCount": 1, "maximumCount": 1},
        outputArtifactDetails={"minimumCount": 0, "maximumCount": 1})
    custom = fx.aws("codepipeline", "list-action-types", "--action-owner-filter", "Custom",
                    profile="tools", region=REGION).json["actionTypes"]
    assert [t["id"] for t in custom if t["id"]["provider"] == prov] == [tid]
    assert any(t["id"]["provider"] == "CodeBuild" for t in cp.list_action_types()["actionTypes"])
    key = uniq("src") + ".zip"
    put_source(fx, env, key, {"a.txt": "a"})

    def build(cfg):
        return {"name": "Build", "actions": [{"name": "Make", "actionTypeId": tid, "configuration": cfg,
                                              "inputArtifacts": [{"name": "SourceOut"}],
                                              "outputArtifacts": [{"name": "Built"}]}]}
    raises(lambda: cp.create_pipeline(pipeline=decl(env, [s3_source(env, key), build({})])),
           "InvalidActionDeclarationException",
           "Action configuration for action 'Make' is missing required configuration 'Project'")
    name = uniq("custom")
    cp.create_pipeline(pipeline=decl(env, [s3_source(env, key), build({"Project": "web"})], name))
    x1 = latest(cp, name)
    jobs = []
    for _ in range(100):
        jobs = cp.poll_for_jobs(actionTypeId=tid, maxBatchSize=5, queryParam={"Project": "web"})["jobs"]
        if jobs:
            break
        time.sleep(0.1)
    assert len(jobs) == 1
    job = jobs[0]
    assert job["data"]["pipelineContext"]["pipelineName"] == name
    assert job["data"]["actionConfiguration"]["configuration"] == {"Project": "web"}
    assert job["data"]["inputArtifacts"][0]["name"] == "SourceOut"
    # handed out once; another query matches nothing
    assert cp.poll_for_jobs(actionTypeId=tid, queryParam={"Project": "web"})["jobs"] == []
    raises(lambda: cp.acknowledge_job(jobId=job["id"], nonce="wrong"), "InvalidNonceException")
    assert cp.acknowledge_job(jobId=job["id"], nonce=job["nonce"])["status"] == "InProgress"
    assert cp.get_job_details(jobId=job["id"])["jobDetails"]["id"] == job["id"]
    # the worker writes its output artifact with the job's credentials
    c = job["data"]["artifactCredentials"]
    out = job["data"]["outputArtifacts"][0]["location"]["s3Location"]
    import boto3
    boto3.client("s3", endpoint_url=fx.endpoint, region_name=REGION, aws_access_key_id=c["accessKeyId"],
                 aws_secret_access_key=c["secretAccessKey"], aws_session_token=c["sessionToken"]).put_object(
        Bucket=out["bucketName"], Key=out["objectKey"], Body=b"built",
        ServerSideEncryption="aws:kms", SSEKMSKeyId=env.key)
    cp.put_job_success_result(jobId=job["id"], executionDetails={"summary": "built web", "percentComplete": 100})
    assert wait_exec(cp, name, x1)["status"] == "Succeeded"
    acts = cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": x1})["actionExecutionDetails"]
    make = [a for a in acts if a["actionName"] == "Make"][0]
    assert make["output"]["executionResult"]["externalExecutionSummary"] == "built web"
    assert make["output"]["outputArtifacts"][0]["s3location"]["key"] == out["objectKey"]
    # a failure result fails the action and the execution
    x2 = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    for _ in range(100):
        jobs = cp.poll_for_jobs(actionTypeId=tid)["jobs"]
        if jobs:
            break
        time.sleep(0.1)
    cp.put_job_failure_result(jobId=jobs[0]["id"], failureDetails={"type": "JobFailed", "message": "compiler broke"})
    x = wait_exec(cp, name, x2)
    assert x["status"] == "Failed" and x["statusSummary"] == "compiler broke"
    raises(lambda: cp.put_job_success_result(jobId=jobs[0]["id"]), "InvalidJobStateException")
    cp.delete_custom_action_type(category="Build", provider=prov, version="1")
    raises(lambda: cp.poll_for_jobs(actionTypeId=tid), "ActionTypeNotFoundException")
    raises(lambda: cp.delete_custom_action_type(category="Build", provider=prov, version="1"),
           "ActionTypeNotFoundException")


# ---- GetPipeline of older versions ----

def test_get_pipeline_older_versions(fx, env, cp):
    key = uniq("src") + ".zip"
    put_source(fx, env, key, {"a.txt": "a"})
    name = uniq("versions")
    site = {"name": "Deploy", "actions": [s3_deploy("Site", {"BucketName": env.bucket, "Extract": "true"})]}
    p = cp.create_pipeline(pipeline=decl(env, [s3_source(env, key), site], name))["pipeline"]
    p["stages"][1]["actions"][0]["configuration"]["ObjectKey"] = "v2"
    del p["version"]
    assert cp.update_pipeline(pipeline=p)["pipeline"]["version"] == 2
    old = cp.get_pipeline(name=name, version=1)["pipeline"]
    assert old["version"] == 1 and "ObjectKey" not in old["stages"][1]["actions"][0]["configuration"]
    assert cp.get_pipeline(name=name, version=2)["pipeline"]["stages"][1]["actions"][0]["configuration"][
        "ObjectKey"] == "v2"
    raises(lambda: cp.get_pipeline(name=name, version=3), "PipelineVersionNotFoundException")
    # a pipeline made again under the name has no older versions
    cp.delete_pipeline(name=name)
    cp.create_pipeline(pipeline=decl(env, [s3_source(env, key), site], name))
    raises(lambda: cp.get_pipeline(name=name, version=2), "PipelineVersionNotFoundException")
