"""P08 ("Using DevOps Automation to Deploy Lambda APIs across Accounts and Environments") end
to end: the pre-production account holds the repository, the KMS key and the artifact bucket
shared with production (examples/p08/preprod-resources.yaml); production's administrator
deploys the cross-account role and CloudFormationDeploymentRole with the seed's policies
(prod-roles.yaml); the DevOps engineer pushes the SAM Lambda API and launches the pipeline
with the seed's command and parameters (pipeline.yaml). The execution deploys pre-production,
waits at the manual approval (production has no stack yet), and once approved with
PutApprovalResult deploys production as CloudFormationDeploymentRole. A second push is
rejected at the approval: the execution fails and production keeps the first version."""
import json
import os
import shutil
import time

import pytest

from ferrytest import AWS_BIN, curl, git_env, org_ferry
from ferrytest import run_ok as run

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
SEED = os.path.join(ROOT, "examples", "p08")
REGION = "us-east-2"
PIPELINE = "DevOps-Automation-API"


@pytest.fixture(scope="module")
def org():
    f = org_ferry(os.path.join(SEED, "org.yaml"), env={"FERRY_PIPELINE_INTERVAL": "0.1"})
    yield f
    f.close()


def deploy(org, profile, name, template, capability="CAPABILITY_NAMED_IAM", **params):
    run([AWS_BIN, "--endpoint-url", org.endpoint, "--region", REGION, "--profile", profile,
         "cloudformation", "deploy", "--template-file", os.path.join(SEED, template),
         "--stack-name", name, "--capabilities", capability,
         "--parameter-overrides", *[f"{k}={v}" for k, v in params.items()]], org.env())
    return outputs(org, profile, name)


def outputs(org, profile, stack):
    s = org.client("cloudformation", profile, region=REGION).describe_stacks(StackName=stack)
    return {o["OutputKey"]: o["OutputValue"] for o in s["Stacks"][0].get("Outputs", [])}


def execution(cp, xid):
    return cp.get_pipeline_execution(pipelineName=PIPELINE, pipelineExecutionId=xid)["pipelineExecution"]


def next_execution(cp, before, timeout=60):
    deadline = time.time() + timeout
    while True:
        runs = cp.list_pipeline_executions(pipelineName=PIPELINE)["pipelineExecutionSummaries"]
        if len(runs) > before:
            return runs[0]["pipelineExecutionId"]
        assert time.time() < deadline, runs
        time.sleep(0.1)


def wait_approval(cp, xid, timeout=120):
    """The approval's token once xid waits at it (DeployPreProd done)."""
    deadline = time.time() + timeout
    while True:
        state = cp.get_pipeline_state(name=PIPELINE)
        stage = {s["stageName"]: s for s in state["stageStates"]}["Approval"]
        act = stage["actionStates"][0].get("latestExecution", {})
        if stage.get("latestExecution", {}).get("pipelineExecutionId") == xid and \
                act.get("status") == "InProgress" and act.get("token"):
            return act["token"]
        assert execution(cp, xid)["status"] == "InProgress" and time.time() < deadline, \
            json.dumps(state, default=str)
        time.sleep(0.2)


def wait_done(cp, xid, timeout=120):
    deadline = time.time() + timeout
    while True:
        x = execution(cp, xid)
        if x["status"] not in ("InProgress", "Stopping"):
            return x["status"]
        assert time.time() < deadline, json.dumps(cp.get_pipeline_state(name=PIPELINE), default=str)
        time.sleep(0.2)


def failures(cfn, stack):
    """Why stack's resources failed (the prod deployment role's denials)."""
    return [(v["LogicalResourceId"], v.get("ResourceStatusReason"))
            for v in cfn.describe_stack_events(StackName=stack)["StackEvents"]
            if v["ResourceStatus"].endswith("_FAILED")]


def hello(org, profile, stack):
    api = outputs(org, profile, stack)["ApiId"]
    code, body = curl(f"http://{api}.execute-api.localhost:{org.port}/Prod/hello")
    assert code == 200, body
    return json.loads(body)


def test_p08(org, tmp_path):
    preprod = org.client("sts", "preprod").get_caller_identity()["Account"]
    prod = org.client("sts", "prod").get_caller_identity()["Account"]
    bucket = f"devops-automation-artifacts-{preprod}"
    # step 1, pre-production: repository, KMS key and artifact bucket shared with production
    res = deploy(org, "preprod", "devops-automation-resources", "preprod-resources.yaml",
                 ProductionAccountId=prod, ArtifactBucketName=bucket)
    key = res["ArtifactEncryptionKeyArn"]
    # steps 2 and 3, production: the cross-account role and CloudFormationDeploymentRole
    roles = deploy(org, "prod", "devops-automation-roles", "prod-roles.yaml",
                   PreProductionAccountId=preprod, ArtifactBucketName=bucket,
                   ArtifactEncryptionKeyArn=key)
    assert roles["CloudFormationDeploymentRoleArn"] == f"arn:aws:iam::{prod}:role/CloudFormationDeploymentRole"

    # the engineer pushes the Lambda API and its buildspec
    home = str(tmp_path)
    e = git_env(org, home, profile="preprod")
    e["AWS_DEFAULT_REGION"] = REGION
    work = os.path.join(home, "api")
    run(["git", "clone", res["CloneUrl"], work], e)
    app = os.path.join(SEED, "app")
    shutil.copytree(app, work, dirs_exist_ok=True)
    run(["git", "add", "."], e, cwd=work)
    run(["git", "commit", "-m", "Lambda API v1"], e, cwd=work)
    run(["git", "push", "origin", "HEAD:master"], e, cwd=work)

    # step 4: the seed's launch command (CAPABILITY_IAM); creating the pipeline starts it
    deploy(org, "preprod", "devops-automation-pipeline", "pipeline.yaml", capability="CAPABILITY_IAM",
           ArtifactBucketName=bucket, ArtifactEncryptionKeyArn=key, ProductionAccountId=prod,
           ApplicationRepositoryName=res["ApplicationRepositoryName"], RepositoryBranch="master")
    cp = org.client("codepipeline", "preprod", region=REGION)
    x1 = cp.list_pipeline_executions(pipelineName=PIPELINE)["pipelineExecutionSummaries"][0][
        "pipelineExecutionId"]
    token = wait_approval(cp, x1)
    # pre-production answers; production waits for the approval
    assert hello(org, "preprod", "DevOps-Automation-API-PreProd") == {
        "message": "Hello from preprod", "version": "1"}
    pcf = org.client("cloudformation", "prod", region=REGION)
    assert not [s for s in pcf.list_stacks()["StackSummaries"]
                if s["StackName"].startswith("DevOps-Automation-API")]

    cp.put_approval_result(pipelineName=PIPELINE, stageName="Approval", actionName="ApproveProduction",
                           result={"summary": "pre-production checked", "status": "Approved"},
                           token=token)
    status = wait_done(cp, x1)
    assert status == "Succeeded", failures(pcf, "DevOps-Automation-API-Prod")
    assert hello(org, "prod", "DevOps-Automation-API-Prod") == {
        "message": "Hello from prod", "version": "1"}
    s = pcf.describe_stacks(StackName="DevOps-Automation-API-Prod")["Stacks"][0]
    assert s["StackStatus"] == "CREATE_COMPLETE"
    assert s["RoleARN"] == f"arn:aws:iam::{prod}:role/CloudFormationDeploymentRole"
    fn = org.client("lambda", "prod", region=REGION).get_function(FunctionName="SampleApplication-prod")
    assert fn["Configuration"]["FunctionArn"].split(":")[4] == prod
    # the artifacts and the function code are under the shared key
    s3 = org.client("s3", "preprod", region=REGION)
    for o in s3.list_objects_v2(Bucket=bucket)["Contents"]:
        h = s3.head_object(Bucket=bucket, Key=o["Key"])
        assert h["ServerSideEncryption"] == "aws:kms" and h["SSEKMSKeyId"] == key, o["Key"]

    # a second version is pushed: pre-production gets it, the approver rejects it
    src = os.path.join(work, "src", "index.js")
    with open(src) as f:
        code = f.read()
    with open(src, "w") as f:
        f.write(code.replace('VERSION = "1"', 'VERSION = "2"'))
    run(["git", "commit", "-am", "Lambda API v2"], e, cwd=work)
    n = len(cp.list_pipeline_executions(pipelineName=PIPELINE)["pipelineExecutionSummaries"])
    run(["git", "push", "origin", "HEAD:master"], e, cwd=work)
    x2 = next_execution(cp, n)
    token = wait_approval(cp, x2)
    assert hello(org, "preprod", "DevOps-Automation-API-PreProd")["version"] == "2"
    cp.put_approval_result(pipelineName=PIPELINE, stageName="Approval", actionName="ApproveProduction",
                           result={"summary": "not this one", "status": "Rejected"}, token=token)
    assert wait_done(cp, x2) == "Failed"
    stages = {s["stageName"]: s for s in cp.get_pipeline_state(name=PIPELINE)["stageStates"]}
    assert stages["Approval"]["actionStates"][0]["latestExecution"]["status"] == "Failed"
    assert stages["DeployProd"]["latestExecution"]["pipelineExecutionId"] == x1
    assert hello(org, "prod", "DevOps-Automation-API-Prod") == {
        "message": "Hello from prod", "version": "1"}
    assert pcf.describe_stacks(StackName="DevOps-Automation-API-Prod")["Stacks"][0][
        "StackStatus"] == "CREATE_COMPLETE"
