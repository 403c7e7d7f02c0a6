"""P01's trigger (seed 001, "Multi-Region Terraform Deployments with AWS CodePipeline"): a
DevOps engineer tags the infra repository in the tools account, `git tag -a
dev_us-east-1/research/1.0 && git push origin --tags`; an EventBridge rule matching tags with
the `dev_` prefix starts a CodeBuild project whose buildspec parses the tag into ENV,
TARGET_DEPLOYMENT_SCOPE and TEAM, takes a DynamoDB LockID lock, assumes InfraBuildRole in the
DEV account with the `aws` CLI to deploy there, and writes research/dev-us-east-1/state.json
into the versioned, KMS-encrypted state bucket. A `qa_` tag starts nothing. The resources
the seed creates with Terraform come from CloudFormation (examples/p01)."""
import json
import os
import time

import pytest

from ferrytest import AWS_BIN, Ferry, git_env
from ferrytest import run_ok as run

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
EX = os.path.join(ROOT, "examples", "p01")

ORG = """
management: {name: tools, email: tools@example.com}
accounts:
  - {name: dev, email: dev@example.com}
region: us-east-1
"""


@pytest.fixture(scope="module")
def org():
    f = Ferry(config=ORG).start()
    f.init()
    yield f
    f.close()


def deploy(org, profile, name, template, **params):
    run([AWS_BIN, "--endpoint-url", org.endpoint, "--region", "us-east-1", "--profile", profile,
         "cloudformation", "deploy", "--stack-name", name, "--template-file",
         os.path.join(EX, template), "--capabilities", "CAPABILITY_NAMED_IAM",
         "--parameter-overrides", *[f"{k}={v}" for k, v in params.items()]], org.env())
    cfn = org.client("cloudformation", profile, region="us-east-1")
    outs = cfn.describe_stacks(StackName=name)["Stacks"][0].get("Outputs", [])
    return {o["OutputKey"]: o["OutputValue"] for o in outs}


def wait_builds(cb, project, n, timeout=120):
    deadline = time.time() + timeout
    while True:
        ids = cb.list_builds_for_project(projectName=project)["ids"]
        builds = cb.batch_get_builds(ids=ids)["builds"] if ids else []
        if len(builds) >= n and all(b["buildStatus"] != "IN_PROGRESS" for b in builds):
            return builds
        assert time.time() < deadline, f"builds of {project}: {builds}"
        time.sleep(0.2)


def test_p01_tag_trigger(org, tmp_path):
    tools_id = org.client("sts", "tools").get_caller_identity()["Account"]
    dev_id = org.client("sts", "dev").get_caller_identity()["Account"]
    deploy(org, "dev", "p01-workload", "workload.yaml", ToolsAccount=tools_id)
    out = deploy(org, "tools", "p01-tools", "tools.yaml", WorkloadAccount=dev_id)
    # a catch-all rule on tags, so the test knows when the qa_ tag's event was delivered
    events = org.client("events", "tools", region="us-east-1")
    sqs = org.client("sqs", "tools", region="us-east-1")
    q = sqs.create_queue(QueueName="tag-events")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    sqs.set_queue_attributes(QueueUrl=q, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": qarn}]})})
    events.put_rule(Name="all-tags", EventPattern=json.dumps({
        "source": ["aws.codecommit"], "detail": {"referenceType": ["tag"]}}))
    events.put_targets(Rule="all-tags", Targets=[{"Id": "q", "Arn": qarn}])

    home = str(tmp_path)
    e = git_env(org, home)
    work = os.path.join(home, "infra")
    run(["git", "clone", out["CloneUrl"], work], e)
    for name in ("buildspec.yml", "main.tf"):
        with open(os.path.join(EX, "infra", name)) as src, open(os.path.join(work, name), "w") as dst:
            dst.write(src.read())
    run(["git", "add", "buildspec.yml", "main.tf"], e, cwd=work)
    run(["git", "commit", "-m", "infra"], e, cwd=work)
    run(["git", "push", "origin", "HEAD:main"], e, cwd=work)
    head = run(["git", "rev-parse", "HEAD"], e, cwd=work).strip()
    # the release: the seed's tag grammar <env>_<region>/<team>/<version>
    run(["git", "tag", "-a", "dev_us-east-1/research/1.0", "-m", "research 1.0 to dev"], e, cwd=work)
    run(["git", "push", "origin", "--tags"], e, cwd=work)

    cb = org.client("codebuild", "tools", region="us-east-1")
    [b] = wait_builds(cb, out["Project"], 1)
    assert b["buildStatus"] == "SUCCEEDED", b
    assert b["resolvedSourceVersion"] == head
    exported = {v["name"]: v["value"] for v in b.get("exportedEnvironmentVariables", [])}
    assert exported == {"ENV": "dev", "TARGET_DEPLOYMENT_SCOPE": "us-east-1", "TEAM": "research"}

    # the state file, in the versioned, KMS-encrypted bucket of the dev environment
    s3 = org.client("s3", "tools", region="us-east-1")
    obj = s3.get_object(Bucket=out["Bucket"], Key="research/dev-us-east-1/state.json")
    assert obj["ServerSideEncryption"] == "aws:kms"
    assert obj["SSEKMSKeyId"] == out["Key"]
    assert obj.get("VersionId") not in (None, "null")
    state = json.loads(obj["Body"].read())
    assert state["env"] == "dev" and state["team"] == "research" and state["version"] == "1.0"
    # deployed by the workload account's role, not the tools account's
    assert state["deployer"] == f"arn:aws:sts::{dev_id}:assumed-role/InfraBuildRole/INFRA_BUILD"
    ssm = org.client("ssm", "dev", region="us-east-1")
    assert ssm.get_parameter(Name="/research/dev/version")["Parameter"]["Value"] == "1.0"
    # the lock was taken and released
    ddb = org.client("dynamodb", "tools", region="us-east-1")
    assert ddb.scan(TableName="p01-tfstate-lock-dev")["Count"] == 0
    logs = org.client("logs", "tools", region="us-east-1")
    lines = [ev["message"] for ev in logs.get_log_events(
        logGroupName=b["logs"]["groupName"], logStreamName=b["logs"]["streamName"])["events"]]
    assert any("tag dev_us-east-1/research/1.0" in m for m in lines), lines

    # a qa_ tag: its event is delivered, and starts no build
    run(["git", "tag", "-a", "qa_us-east-1/research/1.0", "-m", "research 1.0 to qa"], e, cwd=work)
    run(["git", "push", "origin", "--tags"], e, cwd=work)
    deadline = time.time() + 30
    seen = set()
    while "qa_us-east-1/research/1.0" not in seen:
        assert time.time() < deadline, seen
        for m in sqs.receive_message(QueueUrl=q, WaitTimeSeconds=1,
                                     MaxNumberOfMessages=10).get("Messages", []):
            seen.add(json.loads(m["Body"])["detail"]["referenceName"])
    assert len(cb.list_builds_for_project(projectName=out["Project"])["ids"]) == 1
