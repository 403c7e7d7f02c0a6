"""Seed 000's Challenge 1 end to end: the tools account's pipeline (examples/seed000/pipeline)
deploys Booking into the booking account and Airmiles into the airmiles account. Each
service account's administrator deploys account-roles.yaml, the tools account deploys
tools.yaml, an engineer `git push`es the two SAM applications and their buildspec with the
`aws codecommit credential-helper`; the push starts the pipeline (EventBridge), CodeBuild
runs `aws cloudformation package`, and each app is deployed by CHANGE_SET_REPLACE then
CHANGE_SET_EXECUTE as the account's cross-account role, with artifacts under the tools
account's KMS key. Then curl: POST /bookings in booking, GET /airmiles/{id} in airmiles
(subscribed across accounts). Without the key policy's grant to booking, the deploy fails
with AccessDenied; a second push changes Airmiles and the pipeline redeploys it."""
import json
import os
import shutil
import subprocess
import time

import pytest

from ferrytest import AWS_BIN, FERRY_BIN, Ferry, curl, git_env
from ferrytest import pipeline_action_error as error_of
from ferrytest import pipeline_next_execution as next_execution
from ferrytest import pipeline_wait as wait_execution
from ferrytest import run_ok as run

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
SEED = os.path.join(ROOT, "examples", "seed000")
PIPE = os.path.join(SEED, "pipeline")
REGION = "us-east-1"
BOOKING = {"first_name": "Ana", "last_name": "Silva", "from_airport": "SYD", "to_airport": "MEL",
           "departure_date": "2027-01-01", "return_date": "2027-01-05", "age_group": "adult",
           "booking_class": "business"}


@pytest.fixture(scope="module")
def org():
    with open(os.path.join(SEED, "org.yaml")) as f:
        config = f.read()
    f = Ferry(config=config).start(env={"FERRY_PIPELINE_INTERVAL": "0.1"})
    f.init()
    yield f
    f.close()


def deploy(org, profile, name, template, **params):
    run([AWS_BIN, "--endpoint-url", org.endpoint, "--region", REGION, "--profile", profile,
         "cloudformation", "deploy", "--stack-name", name, "--template-file",
         os.path.join(PIPE, template), "--capabilities", "CAPABILITY_NAMED_IAM",
         "--parameter-overrides", *[f"{k}={v}" for k, v in params.items()]], org.env())
    return outputs(org, profile, name)


def outputs(org, profile, stack):
    s = org.client("cloudformation", profile, region=REGION).describe_stacks(StackName=stack)
    return {o["OutputKey"]: o["OutputValue"] for o in s["Stacks"][0].get("Outputs", [])}


def book_and_read_miles(org, port, timeout=60):
    bapi = f"http://{outputs(org, 'booking', 'booking-lambda')['BookingApiId']}.execute-api.localhost:{port}/Prod"
    aapi = f"http://{outputs(org, 'airmiles', 'airmiles-lambda')['AirmilesApiId']}.execute-api.localhost:{port}/Prod"
    code, body = curl("-X", "POST", f"{bapi}/bookings", "-H", "Content-Type: application/json",
                      "-d", json.dumps(BOOKING))
    assert code == 201, body
    number = json.loads(body)["booking_number"]
    deadline = time.time() + timeout
    while True:
        code, body = curl(f"{aapi}/airmiles/{number}")
        if code == 200:
            return number, json.loads(body)
        assert code == 404 and time.time() < deadline, (code, body)
        time.sleep(0.2)


def test_seed000_pipeline(org, tmp_path):
    tools = org.client("sts", "tools").get_caller_identity()["Account"]
    booking = org.client("sts", "booking").get_caller_identity()["Account"]
    airmiles = org.client("sts", "airmiles").get_caller_identity()["Account"]
    bucket = f"seed000-pipeline-{tools}"
    for svc in ("booking", "airmiles"):
        deploy(org, svc, "seed000-pipeline-roles", "account-roles.yaml", ToolsAccountId=tools,
               ArtifactBucket=bucket)
    out = deploy(org, "tools", "seed000-pipeline", "tools.yaml", BookingAccount=booking,
                 AirmilesAccount=airmiles)
    assert out["ArtifactBucket"] == bucket
    cp = org.client("codepipeline", "tools", region=REGION)
    name = out["Pipeline"]
    # AWS starts a pipeline when it is created: the repository is empty, so its source fails
    status, why = wait_execution(cp, name, cp.list_pipeline_executions(pipelineName=name)[
        "pipelineExecutionSummaries"][0]["pipelineExecutionId"])
    assert status == "Failed" and why[:2] == ("Source", "App"), why

    # the services' teams push the SAM applications and the buildspec
    home = str(tmp_path)
    e = git_env(org, home, name="Booking Team", email="booking@example.com")
    work = os.path.join(home, "services")
    run(["git", "clone", out["CloneUrl"], work], e)
    for f in ("booking.yaml", "airmiles.yaml"):
        shutil.copy(os.path.join(SEED, "sam", f), work)
    for d in ("booking", "airmiles"):
        shutil.copytree(os.path.join(SEED, "sam", d), os.path.join(work, d),
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(os.path.join(PIPE, "buildspec.yml"), work)
    run(["git", "add", "."], e, cwd=work)
    run(["git", "commit", "-m", "Booking and Airmiles"], e, cwd=work)
    n = len(cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"])
    run(["git", "push", "origin", "HEAD:main"], e, cwd=work)
    head = run(["git", "rev-parse", "HEAD"], e, cwd=work).strip()
    xid = next_execution(cp, name, n)
    status, why = wait_execution(cp, name, xid)
    assert status == "Succeeded", why
    x = cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=xid)["pipelineExecution"]
    assert x["artifactRevisions"][0]["revisionId"] == head
    # what the demo shows: one line per action, the commit message's first line on the source's
    akid, secret = org.keys("tools")
    w = subprocess.run([FERRY_BIN, "pipeline", "watch", name, "--execution", xid, "--endpoint-url",
                        org.endpoint], env=dict(os.environ, AWS_ACCESS_KEY_ID=akid, AWS_SECRET_ACCESS_KEY=secret,
                                                AWS_REGION=REGION), capture_output=True, text=True, timeout=30)
    lines = w.stdout.splitlines()
    assert w.returncode == 0 and len(lines) == 8 and all(lines), w.stdout + w.stderr
    assert lines[1].split()[:3] == ["Source", "App", "Succeeded"] and lines[1].endswith("s  Booking and Airmiles")
    assert lines[-1] == f"execution {xid}: Succeeded"
    acts = {(a["stageName"], a["actionName"]): a for a in cp.list_action_executions(
        pipelineName=name, filter={"pipelineExecutionId": xid})["actionExecutionDetails"]}
    assert sorted(acts) == sorted([("Source", "App"), ("Build", "Build"),
                                ("DeployBooking", "CreateChangeSet"), ("DeployBooking", "DeployChangeSet"),
                                ("DeployAirmiles", "CreateChangeSet"), ("DeployAirmiles", "DeployChangeSet")])
    # Airmiles was given the topic the Booking stack made, through the BookingStack namespace
    topic = acts[("DeployBooking", "DeployChangeSet")]["output"]["outputVariables"]["BookingTopicArn"]
    assert topic.startswith(f"arn:aws:sns:{REGION}:{booking}:")
    over = acts[("DeployAirmiles", "CreateChangeSet")]["input"]["resolvedConfiguration"]["ParameterOverrides"]
    assert json.loads(over) == {"BookingTopicArn": topic}
    # each stack is in its own account, made by its deployer role
    for svc, acct in (("booking", booking), ("airmiles", airmiles)):
        s = org.client("cloudformation", svc, region=REGION).describe_stacks(
            StackName=f"{svc}-lambda")["Stacks"][0]
        assert s["StackStatus"] == "CREATE_COMPLETE"
        assert s["RoleARN"] == f"arn:aws:iam::{acct}:role/CloudFormationDeployerRole"
    # the artifacts and the functions' code are under the tools account's key
    s3 = org.client("s3", "tools", region=REGION)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert any(k.startswith(f"{name[:20]}/BuildOutput/") for k in keys), keys
    for k in keys:
        h = s3.head_object(Bucket=bucket, Key=k)
        assert h["ServerSideEncryption"] == "aws:kms" and h["SSEKMSKeyId"] == out["ArtifactKey"], k

    number, miles = book_and_read_miles(org, org.port)
    assert miles == {"booking_number": number, "route": "SYD-MEL", "miles": 1328}

    # Challenge 1's key policy: without its grant to booking, booking's role cannot read
    # the build's artifact and the deploy fails with AccessDenied
    kms = org.client("kms", "tools", region=REGION)
    policy = kms.get_key_policy(KeyId=out["ArtifactKey"], PolicyName="default")["Policy"]
    doc = json.loads(policy)
    doc["Statement"] = [s for s in doc["Statement"] if s.get("Sid") != "BookingDecrypts"]
    kms.put_key_policy(KeyId=out["ArtifactKey"], PolicyName="default", Policy=json.dumps(doc))
    x2 = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    status, why = wait_execution(cp, name, x2)
    assert status == "Failed" and why[:2] == ("DeployBooking", "CreateChangeSet"), why
    err = error_of(cp, name, "DeployBooking", "CreateChangeSet")
    assert err["code"] == "AccessDenied" and "kms:Decrypt" in err["message"], err
    kms.put_key_policy(KeyId=out["ArtifactKey"], PolicyName="default", Policy=policy)

    # a second push: Airmiles doubles the business class factor; the pipeline redeploys it
    app = os.path.join(work, "airmiles", "app.py")
    src = open(app).read()
    assert '"business": 1.5' in src
    with open(app, "w") as f:
        f.write(src.replace('"business": 1.5', '"business": 3.0'))
    run(["git", "commit", "-am", "Airmiles: double miles in business"], e, cwd=work)
    n = len(cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"])
    run(["git", "push", "origin", "HEAD:main"], e, cwd=work)
    x3 = next_execution(cp, name, n)
    status, why = wait_execution(cp, name, x3)
    assert status == "Succeeded", why
    s = org.client("cloudformation", "airmiles", region=REGION).describe_stacks(
        StackName="airmiles-lambda")["Stacks"][0]
    assert s["StackStatus"] == "UPDATE_COMPLETE"
    number, miles = book_and_read_miles(org, org.port)
    assert miles == {"booking_number": number, "route": "SYD-MEL", "miles": 2657}
