"""P03 ("Build Health Aware CI/CD Pipelines"): examples/p03/pipeline.yaml, a pipeline whose
aws-health-check stage invokes a Lambda function (examples/p03/health_check.py, boto3 inside)
that asks AWS Health for open issues in the Region. The operator injects an open issue with
`ferry health inject`; the execution the pipeline starts at its creation fails the gate with
"Incident In Progress", and the notification rule's message (the stage, the pipeline, the
failed action and its reason) reaches the SNS topic and the queue subscribed to it. Once
`ferry health close` ends the incident, RetryStageExecution resumes the same execution,
which deploys the template and succeeds."""
import io
import json
import os
import subprocess
import time
import zipfile

import pytest

from ferrytest import FERRY_BIN, Ferry, pipeline_next_execution, pipeline_wait, stack_wait

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
EX = os.path.join(ROOT, "examples", "p03")
REGION = "us-east-1"
PIPELINE = "health-aware-pipeline"
STAGE = "aws-health-check"


@pytest.fixture(scope="module")
def org():
    f = Ferry().start(env={"FERRY_PIPELINE_INTERVAL": "0.1", "FERRY_NOTIFICATIONS_INTERVAL": "0.2"})
    f.init()
    yield f
    f.close()


def zip_of(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for arc, path in files.items():
            z.write(path, arc)
    return buf.getvalue()


def health_cli(org, *args):
    akid, secret = org.keys("management")
    env = dict(os.environ, AWS_ACCESS_KEY_ID=akid, AWS_SECRET_ACCESS_KEY=secret)
    env.pop("AWS_SESSION_TOKEN", None)
    r = subprocess.run([FERRY_BIN, "health", *args, "--endpoint-url", org.endpoint], env=env,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def notifications(sqs, url, want, timeout=20):
    """The notification messages (SNS envelopes opened) the queue received, until want(msgs)."""
    got, deadline = [], time.time() + timeout
    while not want(got):
        assert time.time() < deadline, f"notifications so far: {got}"
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            got.append(json.loads(json.loads(m["Body"])["Message"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return got


def test_health_gate_notification_and_retry(org):
    s3 = org.client("s3", region=REGION)
    cfn = org.client("cloudformation", region=REGION)
    cp = org.client("codepipeline", region=REGION)
    sqs = org.client("sqs", region=REGION)
    csn = org.client("codestar-notifications", region=REGION)
    s3.create_bucket(Bucket="p03-assets")
    s3.put_object(Bucket="p03-assets", Key="health_check.zip",
                  Body=zip_of({"health_check.py": os.path.join(EX, "health_check.py")}))
    s3.put_object(Bucket="p03-assets", Key="source.zip",
                  Body=zip_of({"template.yaml": os.path.join(EX, "source", "template.yaml")}))

    # an incident in the pipeline's Region, and events the gate must not count
    incident = health_cli(org, "inject", "--service", "EC2", "--type-code", "AWS_EC2_OPERATIONAL_ISSUE",
                          "--region", REGION, "--description", "Increased API error rates")
    health_cli(org, "inject", "--service", "EC2", "--type-code", "AWS_EC2_OPERATIONAL_ISSUE",
               "--region", "us-west-2")
    health_cli(org, "inject", "--service", "RDS", "--type-code", "AWS_RDS_MAINTENANCE_SCHEDULED",
               "--category", "scheduledChange", "--status", "upcoming", "--region", REGION)

    with open(os.path.join(EX, "pipeline.yaml")) as f:
        cfn.create_stack(StackName="p03", TemplateBody=f.read(), Capabilities=["CAPABILITY_IAM"],
                         Parameters=[{"ParameterKey": "AssetBucket", "ParameterValue": "p03-assets"},
                                     {"ParameterKey": "CodeKey", "ParameterValue": "health_check.zip"},
                                     {"ParameterKey": "SourceKey", "ParameterValue": "source.zip"}])
    stack = stack_wait(cfn, "p03")
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack
    out = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}

    # the execution started at creation stops at the gate
    xid = pipeline_next_execution(cp, PIPELINE, 0, timeout=30)
    status, why = pipeline_wait(cp, PIPELINE, xid, timeout=40)
    assert status == "Failed" and why == (STAGE, STAGE, "Incident In Progress"), why
    assert not [s for s in cfn.list_stacks()["StackSummaries"] if s["StackName"] == "health-aware-app"]

    # the failure notification, as CodeStar Notifications sends it (FULL detail)
    msgs = notifications(sqs, out["InboxUrl"], lambda g: len(g) >= 2)
    by_type = {m["detailType"]: m for m in msgs}
    stage = by_type["CodePipeline Stage Execution State Change"]
    assert stage["detail"]["pipeline"] == PIPELINE and stage["detail"]["stage"] == STAGE
    assert stage["detail"]["state"] == "FAILED" and stage["detail"]["execution-id"] == xid
    assert stage["notificationRuleArn"] == out["RuleArn"] and stage["source"] == "aws.codepipeline"
    assert stage["additionalAttributes"]["failedActions"] == [
        {"action": STAGE, "additionalInformation": "Incident In Progress"}]
    piped = by_type["CodePipeline Pipeline Execution State Change"]
    assert piped["additionalAttributes"]["failedStage"] == STAGE
    assert piped["resources"] == [f"arn:aws:codepipeline:{REGION}:{stack['StackId'].split(':')[4]}:{PIPELINE}"]
    targets = csn.describe_notification_rule(Arn=out["RuleArn"])["Targets"]
    assert [t["TargetStatus"] for t in targets] == ["ACTIVE"]

    # the incident ends; the operator retries the failed stage of the same execution
    assert health_cli(org, "close", incident["arn"])["statusCode"] == "closed"
    cp.retry_stage_execution(pipelineName=PIPELINE, stageName=STAGE, pipelineExecutionId=xid,
                             retryMode="FAILED_ACTIONS")
    status, why = pipeline_wait(cp, PIPELINE, xid, timeout=40)
    assert status == "Succeeded", why
    assert len(cp.list_pipeline_executions(pipelineName=PIPELINE)["pipelineExecutionSummaries"]) == 1
    app = cfn.describe_stacks(StackName="health-aware-app")["Stacks"][0]
    assert app["StackStatus"] == "CREATE_COMPLETE"
    done = notifications(sqs, out["InboxUrl"],
                         lambda g: any(m["detail"].get("state") == "SUCCEEDED" for m in g))
    assert any(m["detailType"] == "CodePipeline Pipeline Execution State Change" for m in done)

    # the stack's deletion removes the rule with the pipeline (the artifact bucket, not empty,
    # stays, as in AWS)
    cfn.delete_stack(StackName="p03")
    stack_wait(cfn, "p03")
    failed = {e["LogicalResourceId"] for e in cfn.describe_stack_events(StackName="p03")["StackEvents"]
              if e["ResourceStatus"] == "DELETE_FAILED"}
    assert failed <= {"p03", "ArtifactBucket"}, failed
    assert not [r for r in csn.list_notification_rules()["NotificationRules"] if r["Arn"] == out["RuleArn"]]
