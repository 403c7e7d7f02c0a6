"""P13 ("Validate IAM policies in CloudFormation templates using IAM Access Analyzer"): the
seed's stack validate-iam-policy-pipeline (examples/p13/pipeline.yaml) holds the repository
cfn-policy-validator-source-repository and the pipeline IAMPolicyValidatorPipeline, whose
Validation stage runs every IAM policy of template.json through Access Analyzer's
ValidatePolicy (the scenario's own validator, examples/p13/source/validator: cfn-lint and
cfn-policy-validator are not installable here). The seed's template with the misspelled
sqs:ReceiveMessages is pushed: the CfnPolicyValidator action fails with the ERROR finding
INVALID_ACTION in its build log and nothing is deployed. A push with sqs:ReceiveMessage
passes validation and the Deploy stage creates the stack with the template configuration
file's parameters."""
import json
import os
import shutil

import pytest

from ferrytest import AWS_BIN, Ferry, git_env, pipeline_next_execution, pipeline_wait
from ferrytest import run_ok as run

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
EX = os.path.join(ROOT, "examples", "p13")
REGION = "us-east-1"
PIPELINE = "IAMPolicyValidatorPipeline"
STACK = "iam-policy-validated-resources"

ORG = """
management: {name: tools, email: tools@example.com}
region: us-east-1
"""


@pytest.fixture(scope="module")
def org():
    f = Ferry(config=ORG).start(env={"FERRY_PIPELINE_INTERVAL": "0.1"})
    f.init()
    yield f
    f.close()


def build_log(org, cp, xid):
    """The CfnPolicyValidator build's log, found from its action execution."""
    [a] = [a for a in cp.list_action_executions(pipelineName=PIPELINE, filter={"pipelineExecutionId": xid})[
        "actionExecutionDetails"] if a["actionName"] == "CfnPolicyValidator"]
    build_id = a["output"]["executionResult"]["externalExecutionId"]
    [b] = org.client("codebuild", "tools", region=REGION).batch_get_builds(ids=[build_id])["builds"]
    logs = org.client("logs", "tools", region=REGION)
    return a, b, "\n".join(e["message"].rstrip("\n") for e in logs.get_log_events(
        logGroupName=b["logs"]["groupName"], logStreamName=b["logs"]["streamName"], startFromHead=True)["events"])


def findings(log):
    """The validator's report ({BlockingFindings, NonBlockingFindings}) in a build log."""
    assert '"BlockingFindings"' in log, log
    start = log.index('{\n    "BlockingFindings"')
    depth = 0
    for i, ch in enumerate(log[start:], start):
        depth += ch == "{"
        depth -= ch == "}"
        if depth == 0:
            return json.loads(log[start:i + 1])
    raise AssertionError(log)


def test_p13_validation_gate(org, tmp_path):
    cfn = org.client("cloudformation", "tools", region=REGION)
    run([AWS_BIN, "--endpoint-url", org.endpoint, "--region", REGION, "--profile", "tools",
         "cloudformation", "deploy", "--stack-name", "validate-iam-policy-pipeline", "--template-file",
         os.path.join(EX, "pipeline.yaml"), "--capabilities", "CAPABILITY_IAM"], org.env())
    out = {o["OutputKey"]: o["OutputValue"] for o in
           cfn.describe_stacks(StackName="validate-iam-policy-pipeline")["Stacks"][0]["Outputs"]}
    cp = org.client("codepipeline", "tools", region=REGION)
    # "you can ignore the failed results of the first pipeline execution": the repository
    # was empty when the pipeline was created
    [first] = cp.list_pipeline_executions(pipelineName=PIPELINE)["pipelineExecutionSummaries"]
    assert pipeline_wait(cp, PIPELINE, first["pipelineExecutionId"], timeout=30)[0] == "Failed"

    # the seed's template, with the misspelled action, and its configuration file
    home = str(tmp_path)
    e = git_env(org, home, name="Policy Author", email="author@example.com")
    work = os.path.join(home, "src")
    run(["git", "clone", out["CloneUrl"], work], e)
    shutil.copytree(os.path.join(EX, "source"), work, dirs_exist_ok=True)
    run(["git", "add", "."], e, cwd=work)
    run(["git", "commit", "-m", "template with a queue and a role"], e, cwd=work)
    run(["git", "push", "origin", "HEAD:main"], e, cwd=work)
    xid = pipeline_next_execution(cp, PIPELINE, 1, timeout=30)
    status, why = pipeline_wait(cp, PIPELINE, xid, timeout=60)
    assert status == "Failed" and why[:2] == ("Validation", "CfnPolicyValidator"), why
    # the finding is in the build's log, as the seed's "Link to execution details" shows it
    _, build, log = build_log(org, cp, xid)
    assert build["buildStatus"] == "FAILED", build["phases"]
    report = findings(log)
    [bad] = report["BlockingFindings"]
    assert (bad["findingType"], bad["code"], bad["resourceName"], bad["policyName"]) == (
        "ERROR", "INVALID_ACTION", "MyRole", "root"), bad
    assert bad["message"].startswith("The action sqs:ReceiveMessages does not exist."), bad
    # nothing deployed: the Deploy stage never ran
    state = {s["stageName"]: s for s in cp.get_pipeline_state(name=PIPELINE)["stageStates"]}
    assert "latestExecution" not in state["Deploy"], state["Deploy"]
    assert not [s for s in cfn.list_stacks()["StackSummaries"] if s["StackName"] == STACK]

    # "update the template to have the correct spelling, sqs:ReceiveMessage"
    path = os.path.join(work, "template.json")
    with open(path) as fh:
        text = fh.read()
    with open(path, "w") as fh:
        fh.write(text.replace('"sqs:ReceiveMessages"', '"sqs:ReceiveMessage"'))
    run(["git", "commit", "-am", "sqs:ReceiveMessage, the action's name"], e, cwd=work)
    run(["git", "push", "origin", "HEAD:main"], e, cwd=work)
    xid2 = pipeline_next_execution(cp, PIPELINE, 2, timeout=30)
    status, why = pipeline_wait(cp, PIPELINE, xid2, timeout=60)
    assert status == "Succeeded", why
    _, build, log = build_log(org, cp, xid2)
    assert build["buildStatus"] == "SUCCEEDED"
    assert findings(log) == {"BlockingFindings": [], "NonBlockingFindings": []}
    # the stack, with the configuration file's parameters and tags
    s = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    assert s["StackStatus"] == "CREATE_COMPLETE"
    assert {p["ParameterKey"]: p["ParameterValue"] for p in s["Parameters"]} == {"Environment": "prod"}
    assert {"Key": "Application", "Value": "iam-policy-validation"} in s["Tags"]
    outs = {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}
    assert outs["QueueUrl"].endswith("/validated-queue-prod")
    iam = org.client("iam", "tools")
    role = outs["RoleArn"].split("/")[-1]
    doc = iam.get_role_policy(RoleName=role, PolicyName="root")["PolicyDocument"]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    assert doc["Statement"][0]["Action"] == ["sqs:SendMessage", "sqs:ReceiveMessage"]
