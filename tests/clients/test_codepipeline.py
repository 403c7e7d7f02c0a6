"""CodePipeline through boto3 (json 1.1): pipeline validation with AWS's errors; executions
that run for real: an S3 source, a manual approval (SNS notification, PutApprovalResult) and
a CloudFormation deploy into another account through an action role assumed by the
pipeline's service role, with KMS-encrypted artifacts; a CodeCommit source whose variables
are resolved into a later action's configuration; a Lambda invoke action reporting through
PutJobSuccessResult with output variables; a CodeBuild action that packages the source
between it and the deploy, its exported variables becoming output variables; and an
execution that survives kill -9."""
import io
import json
import os
import signal
import subprocess
import time
import uuid
import zipfile

import pytest
from ferrytest import FERRY_BIN, Ferry, acct, raises

REGION = "us-east-1"
TOPIC_TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Commit:
    Type: String
    Default: none
Resources:
  Topic:
    Type: AWS::SNS::Topic
Outputs:
  TopicArn:
    Value: !Ref Topic
  Commit:
    Value: !Ref Commit
"""


@pytest.fixture(scope="module")
def fx():
    f = Ferry().start(env={"FERRY_PIPELINE_INTERVAL": "0.1"})
    f.init()
    yield f
    f.close()


def uniq(p="cp"):
    return f"{p}-{uuid.uuid4().hex[:8]}"


def zipped(files):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        for k, v in files.items():
            z.writestr(k, v)
    return b.getvalue()


def trust(principal):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


def allow(*stmts):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": a, "Resource": r} for a, r in stmts]})


class Env:
    """The tools account's artifact bucket, key, topic and service role; the dev account's
    deploy role and CloudFormation role."""

    def __init__(self, f):
        self.f = f
        self.tools, self.dev = acct(f, "tools"), acct(f, "dev")
        s3 = f.client("s3", "tools", region=REGION)
        self.bucket = uniq("artifacts")
        s3.create_bucket(Bucket=self.bucket)
        s3.put_bucket_versioning(Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"})
        kms = f.client("kms", "tools", region=REGION)
        policy = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{self.tools}:root"}, "Action": "kms:*", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{self.dev}:root"},
             "Action": ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:Encrypt"], "Resource": "*"}]}
        self.key = kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"]
        s3.put_bucket_policy(Bucket=self.bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{self.dev}:root"},
             "Action": ["s3:GetObject", "s3:PutObject", "s3:GetObjectVersion"], "Resource": f"arn:aws:s3:::{self.bucket}/*"}]}))
        self.topic = f.client("sns", "tools", region=REGION).create_topic(Name=uniq("approvals"))["TopicArn"]
        iam = f.client("iam", "tools")
        self.service_role = iam.create_role(RoleName=uniq("cp-service"),
                                            AssumeRolePolicyDocument=trust({"Service": "codepipeline.amazonaws.com"}))["Role"]["Arn"]
        iam.put_role_policy(RoleName=self.service_role.split("/")[-1], PolicyName="p", PolicyDocument=allow(
            ("sts:AssumeRole", "*"), ("s3:*", "*"), ("kms:*", "*"), ("sns:*", "*"), ("codecommit:*", "*"),
            ("cloudformation:*", "*"), ("iam:PassRole", "*"), ("lambda:InvokeFunction", "*")))
        diam = f.client("iam", "dev")
        self.cfn_role = diam.create_role(RoleName=uniq("cfn-exec"),
                                         AssumeRolePolicyDocument=trust({"Service": "cloudformation.amazonaws.com"}))["Role"]["Arn"]
        diam.put_role_policy(RoleName=self.cfn_role.split("/")[-1], PolicyName="p", PolicyDocument=allow(("sns:*", "*")))
        self.deploy_role = self.dev_role(("kms:Decrypt", "*"), ("kms:GenerateDataKey", "*"))
        self.nokms_role = self.dev_role()

    def dev_role(self, *extra):
        diam = self.f.client("iam", "dev")
        arn = diam.create_role(RoleName=uniq("cp-deploy"),
                               AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{self.tools}:root"}))["Role"]["Arn"]
        diam.put_role_policy(RoleName=arn.split("/")[-1], PolicyName="p", PolicyDocument=allow(
            ("s3:*", "*"), ("cloudformation:*", "*"), ("iam:PassRole", self.cfn_role), *extra))
        return arn

    def store(self, kms=True):
        s = {"type": "S3", "location": self.bucket}
        if kms:
            s["encryptionKey"] = {"id": self.key, "type": "KMS"}
        return s


@pytest.fixture(scope="module")
def env(fx):
    return Env(fx)


@pytest.fixture(scope="module")
def cp(fx):
    return fx.client("codepipeline", "tools", region=REGION)


def s3_source(env, key):
    return {"name": "Source", "actions": [{
        "name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
        "configuration": {"S3Bucket": env.bucket, "S3ObjectKey": key, "PollForSourceChanges": "false"},
        "outputArtifacts": [{"name": "SourceOut"}]}]}


def approval(env, name="Approve"):
    return {"name": name, "actions": [{
        "name": "Approve", "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
        "configuration": {"NotificationArn": env.topic, "CustomData": "Deploy #{codepipeline.PipelineExecutionId}?",
                          "ExternalEntityLink": "https://example.com/change"}}]}


def deploy(env, stack, role, extra=None):
    cfg = {"ActionMode": "CREATE_UPDATE", "StackName": stack, "TemplatePath": "SourceOut::template.yaml",
           "RoleArn": env.cfn_role, "Capabilities": "CAPABILITY_IAM"}
    cfg.update(extra or {})
    return {"name": "Deploy", "actions": [{
        "name": "Deploy", "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "CloudFormation", "version": "1"},
        "configuration": cfg, "inputArtifacts": [{"name": "SourceOut"}], "roleArn": role, "region": REGION}]}


def wait(cp, name, pred, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        st = cp.get_pipeline_state(name=name)
        got = pred(st)
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(json.dumps(cp.get_pipeline_state(name=name), default=str, indent=1))


def action_state(st, stage, action="Approve"):
    for s in st["stageStates"]:
        if s["stageName"] == stage:
            for a in s["actionStates"]:
                if a["actionName"] == action:
                    return a.get("latestExecution")
    return None


def pending_token(stage="Approve"):
    def pred(st):
        le = action_state(st, stage)
        return le and le["status"] == "InProgress" and le.get("token")
    return pred


def wait_exec(cp, name, xid, statuses=("Succeeded", "Failed", "Stopped"), timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        x = cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=xid)["pipelineExecution"]
        if x["status"] in statuses:
            return x
        time.sleep(0.1)
    raise AssertionError(json.dumps(cp.get_pipeline_state(name=name), default=str, indent=1))


def latest(cp, name):
    return cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"][0]["pipelineExecutionId"]


def put_source(fx, env, key, files):
    fx.client("s3", "tools", region=REGION).put_object(Bucket=env.bucket, Key=key, Body=zipped(files))


# ---- validation ----

def decl(env, stages, name=None):
    return {"name": name or uniq(), "roleArn": env.service_role, "artifactStore": env.store(), "stages": stages}


def test_validation_errors(env, cp):
    one = decl(env, [s3_source(env, "x.zip")])
    raises(lambda: cp.create_pipeline(pipeline=one), "InvalidStructureException",
           "Pipeline has only 1 stage(s). There should be a minimum of 2 stages.")
    bad = decl(env, [s3_source(env, "x.zip"), approval(env)])
    bad["stages"][1]["actions"][0]["actionTypeId"]["provider"] = "Nope"
    raises(lambda: cp.create_pipeline(pipeline=bad), "InvalidActionDeclarationException",
           "ActionType (Category: 'Approval', Provider: 'Nope', Owner: 'AWS', Version: '1') in action 'Approve' "
           "is not available in region 'US_EAST_1'")
    missing = decl(env, [s3_source(env, "x.zip"), deploy(env, "s", env.deploy_role)])
    missing["stages"][1]["actions"][0]["inputArtifacts"] = [{"name": "Other"}]
    raises(lambda: cp.create_pipeline(pipeline=missing), "InvalidStructureException",
           "Input Artifact Bundle Other in action 'Deploy' is not declared as an output artifact in any of the "
           "actions preceding it")
    dup = decl(env, [s3_source(env, "x.zip"), approval(env), approval(env)])
    raises(lambda: cp.create_pipeline(pipeline=dup), "InvalidStructureException")
    order = decl(env, [s3_source(env, "x.zip"), approval(env)])
    order["stages"][1]["actions"][0]["runOrder"] = 1000
    raises(lambda: cp.create_pipeline(pipeline=order), "ValidationException")
    src2 = decl(env, [s3_source(env, "x.zip"), s3_source(env, "y.zip")])
    src2["stages"][1]["name"] = "Again"
    raises(lambda: cp.create_pipeline(pipeline=src2), "InvalidStructureException")
    raises(lambda: cp.get_pipeline(name="nope"), "PipelineNotFoundException")
    raises(lambda: cp.start_pipeline_execution(name="nope"), "PipelineNotFoundException")
    assert all(p["name"] != one["name"] for p in cp.list_pipelines()["pipelines"])


# ---- S3 source -> approval -> CloudFormation in another account ----

def test_cross_account_deploy_approved_and_rejected(fx, env, cp):
    key = uniq("src") + ".zip"
    put_source(fx, env, key, {"template.yaml": TOPIC_TEMPLATE})
    sqs = fx.client("sqs", "tools", region=REGION)
    qurl = sqs.create_queue(QueueName=uniq("approvals"))["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=qurl, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=qurl, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": qarn}]})})
    fx.client("sns", "tools", region=REGION).subscribe(TopicArn=env.topic, Protocol="sqs", Endpoint=qarn,
                                                        Attributes={"RawMessageDelivery": "true"})
    stack = uniq("booking")
    name = uniq("booking-pipeline-long-name")
    p = decl(env, [s3_source(env, key), approval(env), deploy(env, stack, env.deploy_role)], name)
    got = cp.create_pipeline(pipeline=p, tags=[{"key": "team", "value": "booking"}])["pipeline"]
    assert got["version"] == 1
    meta = cp.get_pipeline(name=name)["metadata"]
    assert meta["pipelineArn"] == f"arn:aws:codepipeline:{REGION}:{env.tools}:{name}"
    token = wait(cp, name, pending_token())
    xid = latest(cp, name)
    # the approval's notification, as AWS words it
    msgs = sqs.receive_message(QueueUrl=qurl, WaitTimeSeconds=5)["Messages"]
    m = json.loads(msgs[0]["Body"])
    assert m["approval"]["pipelineName"] == name and m["approval"]["token"] == token
    assert m["approval"]["customData"] == f"Deploy {xid}?"
    assert m["approval"]["externalEntityLink"] == "https://example.com/change"
    # the source artifact is a zip in the artifact store, under the name cut at 20, SSE-KMS
    acts = cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": xid})["actionExecutionDetails"]
    src = [a for a in acts if a["actionName"] == "Source"][0]
    loc = src["output"]["outputArtifacts"][0]["s3location"]
    assert loc["bucket"] == env.bucket and loc["key"].startswith(name[:20] + "/SourceOut/")
    head = fx.client("s3", "tools", region=REGION).head_object(Bucket=env.bucket, Key=loc["key"])
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == env.key
    assert src["output"]["outputVariables"]["ObjectKey"] == key
    raises(lambda: cp.put_approval_result(pipelineName=name, stageName="Approve", actionName="Approve",
                                          result={"summary": "x", "status": "Approved"}, token=str(uuid.uuid4())),
           "InvalidApprovalTokenException")
    cp.put_approval_result(pipelineName=name, stageName="Approve", actionName="Approve",
                           result={"summary": "ship it", "status": "Approved"}, token=token)
    x = wait_exec(cp, name, xid)
    assert x["status"] == "Succeeded", cp.get_pipeline_state(name=name)
    # the stack is in the dev account, made by CloudFormation as the dev role
    s = fx.client("cloudformation", "dev", region=REGION).describe_stacks(StackName=stack)["Stacks"][0]
    assert s["StackStatus"] == "CREATE_COMPLETE" and s["RoleARN"] == env.cfn_role
    dep = [a for a in cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": xid})[
        "actionExecutionDetails"] if a["actionName"] == "Deploy"][0]
    assert dep["output"]["outputVariables"]["TopicArn"].startswith(f"arn:aws:sns:{REGION}:{env.dev}:")
    assert dep["input"]["roleArn"] == env.deploy_role
    # rejected: the execution fails, later stages do not run
    x2 = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    token = wait(cp, name, lambda st: st["stageStates"][1].get("latestExecution", {}).get(
        "pipelineExecutionId") == x2 and pending_token()(st))
    cp.put_approval_result(pipelineName=name, stageName="Approve", actionName="Approve",
                           result={"summary": "no", "status": "Rejected"}, token=token)
    assert wait_exec(cp, name, x2)["status"] == "Failed"
    st = cp.get_pipeline_state(name=name)
    assert st["stageStates"][1]["latestExecution"] == {"pipelineExecutionId": x2, "status": "Failed"}
    assert st["stageStates"][2]["latestExecution"]["pipelineExecutionId"] == xid
    assert cp.list_tags_for_resource(resourceArn=meta["pipelineArn"])["tags"] == [{"key": "team", "value": "booking"}]


def test_change_set_replace_then_execute(fx, env, cp):
    """Seed 000's DeployToTest: CHANGE_SET_REPLACE then CHANGE_SET_EXECUTE in the workload
    account, with a template configuration and Fn::GetArtifactAtt in the overrides."""
    key = uniq("src") + ".zip"
    put_source(fx, env, key, {"template.yaml": TOPIC_TEMPLATE,
                              "config.json": json.dumps({"Parameters": {"Commit": "from-config"}})})
    stack, name = uniq("cs"), uniq("changeset")
    cs = deploy(env, stack, env.deploy_role, {"ActionMode": "CHANGE_SET_REPLACE", "ChangeSetName": "pipeline-cs",
                                             "TemplateConfiguration": "SourceOut::config.json"})
    cs["actions"][0]["name"] = "Replace"
    ex = deploy(env, stack, env.deploy_role, {"ActionMode": "CHANGE_SET_EXECUTE", "ChangeSetName": "pipeline-cs"})
    ex["actions"][0].update(name="Execute", runOrder=2, inputArtifacts=[])
    del ex["actions"][0]["configuration"]["TemplatePath"]
    cs["actions"].append(ex["actions"][0])
    cp.create_pipeline(pipeline=decl(env, [s3_source(env, key), cs], name))
    xid = latest(cp, name)
    assert wait_exec(cp, name, xid)["status"] == "Succeeded", cp.get_pipeline_state(name=name)
    s = fx.client("cloudformation", "dev", region=REGION).describe_stacks(StackName=stack)["Stacks"][0]
    assert s["StackStatus"] == "CREATE_COMPLETE"
    assert {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}["Commit"] == "from-config"
    # again: the change set is replaced; overrides win over the configuration file
    over = json.dumps({"Commit": {"Fn::GetArtifactAtt": ["SourceOut", "ObjectKey"]}})
    p = cp.get_pipeline(name=name)["pipeline"]
    p["stages"][1]["actions"][0]["configuration"]["ParameterOverrides"] = over
    assert cp.update_pipeline(pipeline=p)["pipeline"]["version"] == 2
    x2 = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    assert wait_exec(cp, name, x2)["status"] == "Succeeded", cp.get_pipeline_state(name=name)
    s = fx.client("cloudformation", "dev", region=REGION).describe_stacks(StackName=stack)["Stacks"][0]
    assert s["StackStatus"] == "UPDATE_COMPLETE"
    assert {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}["Commit"].startswith(name[:20] + "/SourceOut/")

def test_action_role_without_kms_decrypt_fails(fx, env, cp):
    key = uniq("src") + ".zip"
    put_source(fx, env, key, {"template.yaml": TOPIC_TEMPLATE})
    name = uniq("nokms")
    cp.create_pipeline(pipeline=decl(env, [s3_source(env, key), deploy(env, uniq("s"), env.nokms_role)], name))
    xid = latest(cp, name)
    x = wait_exec(cp, name, xid)
    assert x["status"] == "Failed"
    le = action_state(cp.get_pipeline_state(name=name), "Deploy", "Deploy")
    assert le["status"] == "Failed" and le["errorDetails"]["code"] == "AccessDenied", le


# ---- CodeCommit source, variables ----

def test_codecommit_source_variables_resolved(fx, env, cp):
    import base64
    cc = fx.client("codecommit", "tools", region=REGION)
    repo = uniq("repo")
    cc.create_repository(repositoryName=repo)
    commit = cc.put_file(repositoryName=repo, branchName="main", filePath="infra/template.yaml",
                         fileContent=TOPIC_TEMPLATE.encode(), commitMessage="the topic")["commitId"]
    name, stack = uniq("cc"), uniq("ccstack")
    src = {"name": "Source", "actions": [{
        "name": "Checkout", "namespace": "SourceVariables",
        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
        "configuration": {"RepositoryName": repo, "BranchName": "main", "PollForSourceChanges": "false"},
        "outputArtifacts": [{"name": "SourceOut"}]}]}
    dep = deploy(env, stack, None, {"TemplatePath": "SourceOut::infra/template.yaml",
                                    "ParameterOverrides": json.dumps({"Commit": "#{SourceVariables.CommitId}"})})
    del dep["actions"][0]["roleArn"]
    del dep["actions"][0]["configuration"]["RoleArn"]
    # the execution's state changes, on EventBridge
    sqs = fx.client("sqs", "tools", region=REGION)
    qurl = sqs.create_queue(QueueName=uniq("states"))["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=qurl, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=qurl, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": qarn}]})})
    ev = fx.client("events", "tools", region=REGION)
    states = uniq("states")
    ev.put_rule(Name=states, EventPattern=json.dumps({"source": ["aws.codepipeline"], "detail": {"pipeline": [name]}}))
    ev.put_targets(Rule=states, Targets=[{"Id": "q", "Arn": qarn}])
    cp.create_pipeline(pipeline=decl(env, [src, dep], name))
    xid = latest(cp, name)
    assert wait_exec(cp, name, xid)["status"] == "Succeeded", cp.get_pipeline_state(name=name)
    seen, deadline = [], time.time() + 10
    while time.time() < deadline and ("CodePipeline Pipeline Execution State Change", "SUCCEEDED") not in seen:
        for m in sqs.receive_message(QueueUrl=qurl, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            b = json.loads(m["Body"])
            seen.append((b["detail-type"], b["detail"]["state"]))
            assert b["detail"]["execution-id"] == xid and b["resources"] == [cp.get_pipeline(name=name)["metadata"]["pipelineArn"]]
    assert ("CodePipeline Stage Execution State Change", "STARTED") in seen
    assert ("CodePipeline Action Execution State Change", "SUCCEEDED") in seen
    assert ("CodePipeline Pipeline Execution State Change", "SUCCEEDED") in seen
    s = fx.client("cloudformation", "tools", region=REGION).describe_stacks(StackName=stack)["Stacks"][0]
    assert {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}["Commit"] == commit
    acts = {a["actionName"]: a for a in cp.list_action_executions(pipelineName=name)["actionExecutionDetails"]}
    v = acts["Checkout"]["output"]["outputVariables"]
    assert v["CommitId"] == commit and v["BranchName"] == "main" and v["CommitMessage"] == "the topic"
    assert v["RepositoryName"] == repo and v["AuthorDate"]
    assert json.loads(acts["Deploy"]["input"]["resolvedConfiguration"]["ParameterOverrides"]) == {"Commit": commit}
    x = cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=xid)["pipelineExecution"]
    assert x["artifactRevisions"][0]["revisionId"] == commit

    # an EventBridge rule starts the pipeline as its target's role (V1 change detection)
    iam = fx.client("iam", "tools")
    role = iam.create_role(RoleName=uniq("events"), AssumeRolePolicyDocument=trust({"Service": "events.amazonaws.com"}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role.split("/")[-1], PolicyName="p",
                        PolicyDocument=allow(("codepipeline:StartPipelineExecution", "*")))
    ev = fx.client("events", "tools", region=REGION)
    rule = uniq("push")
    rule_arn = ev.put_rule(Name=rule, EventPattern=json.dumps({"source": ["ferry.test"], "detail-type": ["push"]}))["RuleArn"]
    arn = cp.get_pipeline(name=name)["metadata"]["pipelineArn"]
    ev.put_targets(Rule=rule, Targets=[{"Id": "p", "Arn": arn, "RoleArn": role}])
    ev.put_events(Entries=[{"Source": "ferry.test", "DetailType": "push", "Detail": "{}"}])
    deadline = time.time() + 20
    while time.time() < deadline and len(cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"]) < 2:
        time.sleep(0.1)
    runs = cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"]
    # AWS names the rule as the trigger of an execution a rule started
    assert len(runs) == 2 and runs[0]["trigger"] == {"triggerType": "CloudWatchEvent", "triggerDetail": rule_arn}
    # the rule's target role made the call
    evs = fx.client("cloudtrail", "tools", region=REGION).lookup_events(LookupAttributes=[
        {"AttributeKey": "EventName", "AttributeValue": "StartPipelineExecution"}])["Events"]
    assert any(json.loads(e["CloudTrailEvent"])["userIdentity"]["arn"].startswith(
        f"arn:aws:sts::{env.tools}:assumed-role/{role.split('/')[-1]}/") for e in evs)


def test_codecommit_source_with_aws_documented_role(fx, env, cp):
    """The service role AWS documents for a CodeCommit source (GetBranch, GetCommit,
    UploadArchive...) is enough: the archive is CodeCommit's, authorized as
    codecommit:UploadArchive, and keeps a file's bytes and its executable bit."""
    cc = fx.client("codecommit", "tools", region=REGION)
    repo = uniq("repo")
    cc.create_repository(repositoryName=repo)
    blob = bytes(range(256)) * 4
    c1 = cc.put_file(repositoryName=repo, branchName="main", filePath="bin/data.bin", fileContent=blob,
                     commitMessage="binary")["commitId"]
    cc.put_file(repositoryName=repo, branchName="main", filePath="build.sh", fileContent=b"#!/bin/sh\necho hi\n",
                fileMode="EXECUTABLE", parentCommitId=c1, commitMessage="script")
    iam = fx.client("iam", "tools")

    def role(*codecommit):
        arn = iam.create_role(RoleName=uniq("cp-cc"), AssumeRolePolicyDocument=trust(
            {"Service": "codepipeline.amazonaws.com"}))["Role"]["Arn"]
        iam.put_role_policy(RoleName=arn.split("/")[-1], PolicyName="p", PolicyDocument=allow(
            ("s3:*", "*"), ("kms:*", "*"), *[(a, "*") for a in codecommit]))
        return arn

    src = {"name": "Source", "actions": [{
        "name": "Checkout", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
        "configuration": {"RepositoryName": repo, "BranchName": "main", "PollForSourceChanges": "false"},
        "outputArtifacts": [{"name": "SourceOut"}]}]}
    documented = ("codecommit:GetBranch", "codecommit:GetCommit", "codecommit:UploadArchive",
                  "codecommit:GetUploadArchiveStatus", "codecommit:CancelUploadArchive")
    name = uniq("ccrole")
    cp.create_pipeline(pipeline=dict(decl(env, [src, approval(env)], name), roleArn=role(*documented)))
    wait(cp, name, lambda st: action_state(st, "Source", "Checkout") and
         action_state(st, "Source", "Checkout")["status"] != "InProgress")
    assert action_state(cp.get_pipeline_state(name=name), "Source", "Checkout")["status"] == "Succeeded"
    [a] = [a for a in cp.list_action_executions(pipelineName=name)["actionExecutionDetails"]
           if a["actionName"] == "Checkout"]
    loc = a["output"]["outputArtifacts"][0]["s3location"]
    body = fx.client("s3", "tools", region=REGION).get_object(Bucket=loc["bucket"], Key=loc["key"])["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        assert z.read("bin/data.bin") == blob
        assert z.read("build.sh") == b"#!/bin/sh\necho hi\n"
        assert (z.getinfo("build.sh").external_attr >> 16) & 0o777 == 0o755
        assert (z.getinfo("bin/data.bin").external_attr >> 16) & 0o777 == 0o644
    # without UploadArchive, the archive is refused, naming the action
    name = uniq("ccrole")
    cp.create_pipeline(pipeline=dict(decl(env, [src, approval(env)], name),
                                     roleArn=role("codecommit:GetBranch", "codecommit:GetCommit")))
    x = wait_exec(cp, name, latest(cp, name))
    assert x["status"] == "Failed"
    err = action_state(cp.get_pipeline_state(name=name), "Source", "Checkout")["errorDetails"]
    assert err["code"] == "AccessDenied" and "codecommit:UploadArchive" in err["message"], err


# ---- Lambda invoke, the job-worker API ----

FN = {"index.py": """import boto3
def handler(event, context):
    job = event["CodePipeline.job"]
    data = job["data"]
    cp = boto3.client("codepipeline")
    if "continuationToken" not in data:
        cp.put_job_success_result(jobId=job["id"], continuationToken="step2")
        return
    up = data["actionConfiguration"]["configuration"]["UserParameters"]
    cp.put_job_success_result(jobId=job["id"], executionDetails={"summary": "greeted"},
                              outputVariables={"greeting": "hello " + up, "step": data["continuationToken"],
                                               "input": data["inputArtifacts"][0]["location"]["s3Location"]["bucketName"]})
"""}


def test_lambda_invoke_job_output_variables(fx, env, cp):
    iam = fx.client("iam", "tools")
    role = iam.create_role(RoleName=uniq("fn"), AssumeRolePolicyDocument=trust({"Service": "lambda.amazonaws.com"}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role.split("/")[-1], PolicyName="p", PolicyDocument=allow(
        ("codepipeline:PutJobSuccessResult", "*"), ("codepipeline:PutJobFailureResult", "*"), ("logs:*", "*")))
    lam = fx.client("lambda", "tools", region=REGION)
    fn = uniq("greeter")
    lam.create_function(FunctionName=fn, Runtime="python3.12", Role=role, Handler="index.handler",
                        Code={"ZipFile": zipped(FN)}, Timeout=30)
    lam.get_waiter("function_active_v2").wait(FunctionName=fn, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    key = uniq("src") + ".zip"
    put_source(fx, env, key, {"template.yaml": TOPIC_TEMPLATE})
    invoke = {"name": "Invoke", "actions": [{
        "name": "Greet", "namespace": "Greet",
        "actionTypeId": {"category": "Invoke", "owner": "AWS", "provider": "Lambda", "version": "1"},
        "configuration": {"FunctionName": fn, "UserParameters": "world"},
        "inputArtifacts": [{"name": "SourceOut"}]}]}
    gate = approval(env)
    gate["actions"][0]["configuration"]["CustomData"] = "#{Greet.greeting} (#{Greet.step})"
    name = uniq("lambda")
    cp.create_pipeline(pipeline=decl(env, [s3_source(env, key), invoke, gate], name))
    wait(cp, name, pending_token(), timeout=60)
    xid = latest(cp, name)
    acts = {a["actionName"]: a for a in cp.list_action_executions(pipelineName=name)["actionExecutionDetails"]}
    assert acts["Greet"]["status"] == "Succeeded"
    assert acts["Greet"]["output"]["outputVariables"] == {"greeting": "hello world", "step": "step2", "input": env.bucket}
    assert acts["Greet"]["output"]["executionResult"]["externalExecutionSummary"] == "greeted"
    assert acts["Approve"]["input"]["resolvedConfiguration"]["CustomData"] == "hello world (step2)"
    # stop and abandon: the approval is abandoned, the execution stopped
    cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=xid, abandon=True, reason="enough")
    assert wait_exec(cp, name, xid)["status"] == "Stopped"
    assert action_state(cp.get_pipeline_state(name=name), "Approve")["status"] == "Abandoned"
    raises(lambda: cp.put_job_success_result(jobId=str(uuid.uuid4())), "JobNotFoundException")


# ---- execution modes, V2 variables, retries ----

def raw(fx, profile, op, body):
    """A CodePipeline call as JSON (Debian's botocore predates V2 pipelines' members)."""
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    import urllib.error
    import urllib.request
    req = botocore.awsrequest.AWSRequest(method="POST", url=fx.endpoint + "/", data=json.dumps(body), headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"CodePipeline_20150709.{op}"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(*fx.keys(profile)), "codepipeline", REGION).add_auth(req)
    r = urllib.request.Request(req.url, data=req.body, headers=dict(req.headers), method="POST")
    try:
        with urllib.request.urlopen(r) as resp:
            return json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        return {"__error": json.loads(e.read())}


def test_queued_v2_variables(fx, env, cp):
    key = uniq("src") + ".zip"
    put_source(fx, env, key, {"template.yaml": TOPIC_TEMPLATE})
    name = uniq("queued")
    gate = approval(env)
    gate["actions"][0]["configuration"]["CustomData"] = "for #{variables.Who}"
    p = dict(decl(env, [s3_source(env, key), gate], name), pipelineType="V2", executionMode="QUEUED",
             variables=[{"name": "Who", "defaultValue": "nobody"}])
    v1 = dict(p, pipelineType="V1", name=uniq())
    assert raw(fx, "tools", "CreatePipeline", {"pipeline": v1})["__error"]["__type"].endswith("ValidationException")
    got = raw(fx, "tools", "CreatePipeline", {"pipeline": p})["pipeline"]
    assert got["pipelineType"] == "V2" and got["executionMode"] == "QUEUED"
    first = wait(cp, name, pending_token())
    x1 = latest(cp, name)
    bad = raw(fx, "tools", "StartPipelineExecution", {"name": name, "variables": [{"name": "Nope", "value": "x"}]})
    assert bad["__error"]["__type"].endswith("ValidationException")
    x2 = raw(fx, "tools", "StartPipelineExecution", {"name": name, "variables": [{"name": "Who", "value": "alice"}],
                                                     "clientRequestToken": "tok-1"})["pipelineExecutionId"]
    assert raw(fx, "tools", "StartPipelineExecution", {"name": name, "clientRequestToken": "tok-1"})["pipelineExecutionId"] == x2
    ex = raw(fx, "tools", "GetPipelineExecution", {"pipelineName": name, "pipelineExecutionId": x2})["pipelineExecution"]
    assert ex["variables"] == [{"name": "Who", "resolvedValue": "alice"}] and ex["executionMode"] == "QUEUED"
    # the second waits for the first to leave the approval stage
    deadline = time.time() + 5
    while time.time() < deadline:
        acts = cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": x2})["actionExecutionDetails"]
        if any(a["actionName"] == "Source" and a["status"] == "Succeeded" for a in acts):
            break
        time.sleep(0.1)
    time.sleep(0.3)
    assert [a["actionName"] for a in cp.list_action_executions(
        pipelineName=name, filter={"pipelineExecutionId": x2})["actionExecutionDetails"]] == ["Source"]
    cp.put_approval_result(pipelineName=name, stageName="Approve", actionName="Approve",
                           result={"summary": "ok", "status": "Approved"}, token=first)
    assert wait_exec(cp, name, x1)["status"] == "Succeeded"
    second = wait(cp, name, lambda st: pending_token()(st) != first and pending_token()(st))
    acts = cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": x2})["actionExecutionDetails"]
    assert [a for a in acts if a["actionName"] == "Approve"][0]["input"]["resolvedConfiguration"]["CustomData"] == "for alice"
    assert second


def test_superseded_and_retry(fx, env, cp):
    key = uniq("src") + ".zip"
    name = uniq("super")
    # the source object is missing: the first execution fails in Source
    cp.create_pipeline(pipeline=decl(env, [s3_source(env, key), approval(env), approval(env, "Again")], name))
    x1 = latest(cp, name)
    assert wait_exec(cp, name, x1)["status"] == "Failed"
    le = action_state(cp.get_pipeline_state(name=name), "Source", "Source")
    assert le["errorDetails"]["code"] == "NoSuchKey"
    put_source(fx, env, key, {"template.yaml": TOPIC_TEMPLATE})
    assert cp.retry_stage_execution(pipelineName=name, stageName="Source", pipelineExecutionId=x1,
                                    retryMode="FAILED_ACTIONS")["pipelineExecutionId"] == x1
    raises(lambda: cp.retry_stage_execution(pipelineName=name, stageName="Source", pipelineExecutionId=x1,
                                            retryMode="FAILED_ACTIONS"), "StageNotRetryableException")
    token = wait(cp, name, pending_token())
    # a newer execution: the older one is superseded at its next stage boundary
    x2 = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    cp.put_approval_result(pipelineName=name, stageName="Approve", actionName="Approve",
                           result={"summary": "ok", "status": "Approved"}, token=token)
    assert wait_exec(cp, name, x1, ("Superseded", "Succeeded", "Failed"))["status"] == "Superseded"
    wait(cp, name, lambda st: st["stageStates"][1].get("latestExecution", {}).get("pipelineExecutionId") == x2
         and pending_token()(st))
    cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=x2, abandon=True)
    assert wait_exec(cp, name, x2)["status"] == "Stopped"
    raises(lambda: cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=x2),
           "PipelineExecutionNotStoppableException")

# ---- CloudFormation ----

def test_cloudformation_pipeline(fx, env, cp):
    cfn = fx.client("cloudformation", "tools", region=REGION)
    key = uniq("src") + ".zip"
    put_source(fx, env, key, {"template.yaml": TOPIC_TEMPLATE})
    tpl = {"Resources": {"P": {"Type": "AWS::CodePipeline::Pipeline", "Properties": {
        "RoleArn": env.service_role,
        "ArtifactStore": {"Type": "S3", "Location": env.bucket},
        "DisableInboundStageTransitions": [{"StageName": "Approve", "Reason": "freeze"}],
        "Stages": [
            {"Name": "Source", "Actions": [{"Name": "Source", "ActionTypeId": {
                "Category": "Source", "Owner": "AWS", "Provider": "S3", "Version": "1"},
                "Configuration": {"S3Bucket": env.bucket, "S3ObjectKey": key},
                "OutputArtifacts": [{"Name": "SourceOut"}]}]},
            {"Name": "Approve", "Actions": [{"Name": "Approve", "ActionTypeId": {
                "Category": "Approval", "Owner": "AWS", "Provider": "Manual", "Version": "1"}}]}],
        "Tags": [{"Key": "k", "Value": "v"}]}}},
        "Outputs": {"Name": {"Value": {"Ref": "P"}}, "Version": {"Value": {"Fn::GetAtt": ["P", "Version"]}}}}
    stack = uniq("pipestack")
    cfn.create_stack(StackName=stack, TemplateBody=json.dumps(tpl))
    cfn.get_waiter("stack_create_complete").wait(StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    out = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]}
    name = out["Name"]
    assert name.startswith(stack + "-P-") and out["Version"] == "1"
    p = cp.get_pipeline(name=name)["pipeline"]
    assert p["stages"][0]["actions"][0]["configuration"] == {"S3Bucket": env.bucket, "S3ObjectKey": key}
    # the source ran; the disabled transition holds the execution before Approve
    st = wait(cp, name, lambda st: st["stageStates"][0].get("latestExecution", {}).get("status") == "Succeeded" and st)
    assert st["stageStates"][1]["inboundTransitionState"]["enabled"] is False
    assert st["stageStates"][1]["inboundTransitionState"]["disabledReason"] == "freeze"
    assert "latestExecution" not in st["stageStates"][1]
    cp.enable_stage_transition(pipelineName=name, stageName="Approve", transitionType="Inbound")
    wait(cp, name, pending_token())
    cfn.delete_stack(StackName=stack)
    cfn.get_waiter("stack_delete_complete").wait(StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    raises(lambda: cp.get_pipeline(name=name), "PipelineNotFoundException")

    # a transition of a stage the pipeline lacks fails the create itself: no pipeline is left
    tpl["Resources"]["P"]["Properties"]["DisableInboundStageTransitions"] = [
        {"StageName": "Nope", "Reason": "freeze"}]
    bad = uniq("pipestack")
    cfn.create_stack(StackName=bad, TemplateBody=json.dumps(tpl))
    try:
        cfn.get_waiter("stack_create_complete").wait(StackName=bad, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    except Exception:
        pass
    evs = cfn.describe_stack_events(StackName=bad)["StackEvents"]
    failed = [e for e in evs if e["LogicalResourceId"] == "P" and e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed and "Stage Nope does not exist" in failed[0]["ResourceStatusReason"], evs
    assert not [p for p in cp.list_pipelines()["pipelines"] if p["name"].startswith(bad)]

# ---- kill -9 ----

def test_execution_survives_kill9(fx, env, cp):
    key = uniq("src") + ".zip"
    put_source(fx, env, key, {"template.yaml": TOPIC_TEMPLATE})
    name = uniq("durable")
    cp.create_pipeline(pipeline=decl(env, [s3_source(env, key), approval(env)], name))
    token = wait(cp, name, pending_token())
    xid = latest(cp, name)
    fx.stop(signal.SIGKILL)
    fx.start(env={"FERRY_PIPELINE_INTERVAL": "0.1"})
    cp2 = fx.client("codepipeline", "tools", region=REGION)
    assert wait(cp2, name, pending_token()) == token
    cp2.put_approval_result(pipelineName=name, stageName="Approve", actionName="Approve",
                            result={"summary": "after restart", "status": "Approved"}, token=token)
    assert wait_exec(cp2, name, xid)["status"] == "Succeeded"
    # the source ran once for this attempt
    acts = cp2.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": xid})["actionExecutionDetails"]
    assert sorted(a["actionName"] for a in acts) == ["Approve", "Source"]
    # killed while an action ran: after the restart it fails, saying so, and is not run again
    fx.stop()
    fx.start(env={"FERRY_PIPELINE_INTERVAL": "0.1", "FERRY_PIPELINE_KILL_IN_ACTION": "1"})
    xk = fx.client("codepipeline", "tools", region=REGION).start_pipeline_execution(name=name)["pipelineExecutionId"]
    fx.proc.wait(20)
    assert fx.proc.returncode == -signal.SIGKILL
    fx.start(env={"FERRY_PIPELINE_INTERVAL": "0.1"})
    cp3 = fx.client("codepipeline", "tools", region=REGION)
    assert wait_exec(cp3, name, xk)["status"] == "Failed"
    acts = cp3.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": xk})["actionExecutionDetails"]
    assert [a["actionName"] for a in acts] == ["Source"] and acts[0]["status"] == "Failed"
    assert "ferry stopped while it ran" in action_state(cp3.get_pipeline_state(name=name), "Source", "Source")[
        "errorDetails"]["message"]


def watch(fx, name, profile="tools"):
    akid, secret = fx.keys(profile)
    env = dict(os.environ, AWS_ACCESS_KEY_ID=akid, AWS_SECRET_ACCESS_KEY=secret, AWS_REGION=REGION)
    env.pop("AWS_SESSION_TOKEN", None)
    return subprocess.run([FERRY_BIN, "pipeline", "watch", name, "--endpoint-url", fx.endpoint,
                           "--interval", "0.1"], env=env, capture_output=True, text=True, timeout=30)


def test_pipeline_watch(fx, env, cp):
    """`ferry pipeline watch` follows an execution stage by stage and exits with its outcome."""
    key = uniq("src") + ".zip"
    put_source(fx, env, key, {"template.yaml": TOPIC_TEMPLATE})
    name = uniq("watched")
    cp.create_pipeline(pipeline=decl(env, [s3_source(env, key), deploy(env, uniq("w"), env.nokms_role)], name))
    r = watch(fx, name)
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"pipeline {name}, execution ")
    assert any("Source" in l and "Succeeded" in l for l in lines)
    assert any("Deploy" in l and "Failed" in l and "kms:Decrypt" in l for l in lines), r.stdout
    assert lines[-1].endswith(": Failed"), r.stdout + r.stderr
    assert watch(fx, "nope").returncode == 2


# ---- Build: CodeBuild between the source and the deploy (seed 000's shape) ----

BUILDSPEC = """version: 0.2
env:
  exported-variables: [STAMP]
phases:
  build:
    commands:
      - STAMP="built-$(cat stamp.txt)"
      - 'sed "s/Default: none/Default: $STAMP/" template.yaml > packaged.yaml'
artifacts:
  files: [packaged.yaml]
"""


def test_codecommit_clone_ref_to_codebuild(fx, env, cp):
    """OutputArtifactFormat CODEBUILD_CLONE_REF: the CodeBuild action's source is a git clone
    of the commit (git metadata and all), made as the project's role with codecommit:GitPull."""
    cc = fx.client("codecommit", "tools", region=REGION)
    repo = uniq("clone")
    cc.create_repository(repositoryName=repo)
    c1 = cc.put_file(repositoryName=repo, branchName="main", filePath="a.txt", fileContent=b"a\n")["commitId"]
    c2 = cc.put_file(repositoryName=repo, branchName="main", filePath="b.txt", fileContent=b"b\n",
                     parentCommitId=c1)["commitId"]
    iam = fx.client("iam", "tools")
    role = iam.create_role(RoleName=uniq("cb"), AssumeRolePolicyDocument=trust(
        {"Service": "codebuild.amazonaws.com"}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role.split("/")[-1], PolicyName="p", PolicyDocument=allow(
        ("s3:*", "*"), ("kms:*", "*"), ("logs:*", "*"), ("codecommit:GitPull", "*")))
    iam.put_role_policy(RoleName=env.service_role.split("/")[-1], PolicyName="codebuild",
                        PolicyDocument=allow(("codebuild:StartBuild", "*"),
                                             ("codebuild:BatchGetBuilds", "*")))
    cb = fx.client("codebuild", "tools", region=REGION)
    project = uniq("gitinfo")
    cb.create_project(name=project, serviceRole=role, artifacts={"type": "CODEPIPELINE"},
                      source={"type": "CODEPIPELINE", "buildspec": """version: 0.2
env:
  exported-variables: [HEAD, COUNT]
phases:
  build:
    commands:
      - HEAD=$(git rev-parse HEAD)
      - COUNT=$(git rev-list --count HEAD)
      - test -f a.txt && test -f b.txt
"""}, environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                   "computeType": "BUILD_GENERAL1_SMALL"})
    src = {"name": "Source", "actions": [{
        "name": "Checkout", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
        "configuration": {"RepositoryName": repo, "BranchName": "main", "PollForSourceChanges": "false",
                          "OutputArtifactFormat": "CODEBUILD_CLONE_REF"},
        "outputArtifacts": [{"name": "SourceOut"}]}]}
    build = {"name": "Build", "actions": [{
        "name": "Info", "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
        "configuration": {"ProjectName": project},
        "inputArtifacts": [{"name": "SourceOut"}], "outputArtifacts": [{"name": "BuildOut"}]}]}
    name = uniq("cloneref")
    cp.create_pipeline(pipeline=decl(env, [src, build], name))
    x = wait_exec(cp, name, latest(cp, name), timeout=90)
    acts = {a["actionName"]: a for a in cp.list_action_executions(pipelineName=name)["actionExecutionDetails"]}
    assert x["status"] == "Succeeded", cp.get_pipeline_state(name=name)
    assert acts["Info"]["output"]["outputVariables"] == {"HEAD": c2, "COUNT": "2"}


def build_project(fx, env):
    """A CodeBuild project running BUILDSPEC as a role of its own; the pipeline's service role
    starts and follows builds, as AWS asks of it."""
    iam = fx.client("iam", "tools")
    role = iam.create_role(RoleName=uniq("cb"), AssumeRolePolicyDocument=trust(
        {"Service": "codebuild.amazonaws.com"}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role.split("/")[-1], PolicyName="p", PolicyDocument=allow(
        ("s3:*", "*"), ("kms:*", "*"), ("logs:*", "*")))
    iam.put_role_policy(RoleName=env.service_role.split("/")[-1], PolicyName="codebuild",
                        PolicyDocument=allow(("codebuild:StartBuild", "*"),
                                             ("codebuild:BatchGetBuilds", "*")))
    project = uniq("package")
    fx.client("codebuild", "tools", region=REGION).create_project(
        name=project, serviceRole=role, source={"type": "CODEPIPELINE", "buildspec": BUILDSPEC},
        artifacts={"type": "CODEPIPELINE"},
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                     "computeType": "BUILD_GENERAL1_SMALL"})
    return project


def build_then_deploy(env, project, stack):
    """The Build stage (project packages SourceOut into BuildOut) and a Deploy of
    BuildOut::packaged.yaml into the dev account as stack."""
    build = {"name": "Build", "actions": [{
        "name": "Package", "namespace": "Build",
        "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
        "configuration": {"ProjectName": project},
        "inputArtifacts": [{"name": "SourceOut"}], "outputArtifacts": [{"name": "BuildOut"}]}]}
    dep = deploy(env, stack, env.deploy_role, {"TemplatePath": "BuildOut::packaged.yaml"})
    dep["actions"][0]["inputArtifacts"] = [{"name": "BuildOut"}]
    return [build, dep]


def test_codebuild_action_between_source_and_deploy(fx, env, cp):
    project = build_project(fx, env)
    cb = fx.client("codebuild", "tools", region=REGION)
    key = uniq("src") + ".zip"
    put_source(fx, env, key, {"template.yaml": TOPIC_TEMPLATE, "stamp.txt": "42"})
    stack = uniq("built")
    name = uniq("build")
    cp.create_pipeline(pipeline=decl(env, [s3_source(env, key), *build_then_deploy(env, project, stack)], name))
    x = wait_exec(cp, name, latest(cp, name), timeout=90)
    acts = {a["actionName"]: a for a in cp.list_action_executions(pipelineName=name)["actionExecutionDetails"]}
    build_id = acts["Package"]["output"]["executionResult"]["externalExecutionId"]
    [b] = cb.batch_get_builds(ids=[build_id])["builds"]
    assert x["status"] == "Succeeded", json.dumps(b["phases"], default=str)
    assert acts["Package"]["output"]["outputVariables"] == {"STAMP": "built-42"}
    assert b["buildStatus"] == "SUCCEEDED" and b["projectName"] == project
    outs = fx.client("cloudformation", "dev", region=REGION).describe_stacks(StackName=stack)[
        "Stacks"][0]["Outputs"]
    assert {o["OutputKey"]: o["OutputValue"] for o in outs}["Commit"] == "built-42"
