"""ferry's web console (/_ferry/console/): its assets as served (types, gzip, ETag, CSP), and
the console driven in Debian's headless Chromium (tests/clients/console/browser.mjs): sign in,
switch role into a member account, approve a manual approval and watch the execution go green,
reject the next one, retry a failed stage and read its CodeBuild action's log, a function's
invocations and a build's phases, find a refused AssumeRole in the trail and simulate it, IAM's
principals, send/peek/receive messages and redrive a dead-letter queue, a StackSet's grid,
and AccessDenied for a principal without permissions. One server and one browser for all of
it. Screenshots of each page go to $FERRY_CONSOLE_SHOTS (default: a temporary directory)."""
import gzip
import json
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest
from ferrytest import acct, stackset_roles, zipped

HERE = os.path.dirname(__file__)
NPM = os.path.abspath(os.path.join(HERE, "..", "..", "tools", "npm"))
CHROMIUM = "/usr/bin/chromium"
REGION = "us-east-1"


def uniq(p):
    return f"{p}-{uuid.uuid4().hex[:8]}"


def get(ferry, path, **headers):
    return ferry.http("GET", "/_ferry/console" + path, headers=headers)


def test_assets_served_from_the_binary(ferry):
    status, h, body = get(ferry, "/", **{"Accept-Encoding": "identity"})
    assert status == 200 and h["Content-Type"] == "text/html; charset=utf-8"
    assert b'<script type="module" src="app.js">' in body and b"<script>" not in body
    csp = h["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp
    assert h["X-Content-Type-Options"] == "nosniff"

    status, h, js = get(ferry, "/app.js", **{"Accept-Encoding": "gzip, deflate"})
    assert status == 200 and h["Content-Type"] == "text/javascript; charset=utf-8"
    assert h["Content-Encoding"] == "gzip" and h["Vary"] == "Accept-Encoding"
    plain = gzip.decompress(js)
    status, h2, raw = get(ferry, "/app.js")  # no Accept-Encoding: the bytes as they are
    assert status == 200 and "Content-Encoding" not in h2 and raw == plain
    assert h["ETag"] != h2["ETag"]
    # nothing is fetched from elsewhere at run time
    assert b"https://cdn" not in plain and b"unpkg.com" not in plain

    status, h, css = get(ferry, "/app.css", **{"Accept-Encoding": "gzip;q=0, identity"})
    assert status == 200 and h["Content-Type"] == "text/css; charset=utf-8"
    assert "Content-Encoding" not in h and b"{" in css

    # revalidation: 304 while unchanged
    status, h3, body = get(ferry, "/app.css", **{"If-None-Match": h["ETag"]})
    assert status == 304 and body == b"" and h3["Cache-Control"] == "no-cache"

    status, h, _ = ferry.http("GET", "/_ferry/console")
    assert status == 200  # urllib followed the redirect to the slash
    assert get(ferry, "/secrets.txt")[0] == 404
    assert get(ferry, "/../health")[0] == 404
    assert ferry.http("POST", "/_ferry/console/", body=b"x")[0] == 405


def pipeline_in_tools(ferry, tools):
    """A pipeline in the tools account: an S3 source, then a manual approval."""
    s3 = ferry.client("s3", "tools", region=REGION)
    bucket = uniq("console-src")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="src.zip", Body=zipped({"README": "hello"}))
    iam = ferry.client("iam", "tools")
    role = iam.create_role(RoleName=uniq("cp-service"), AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "codepipeline.amazonaws.com"}}]}))["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    name = uniq("console-pipe")
    ferry.client("codepipeline", "tools", region=REGION).create_pipeline(pipeline={
        "name": name, "roleArn": role["Arn"], "artifactStore": {"type": "S3", "location": bucket},
        "stages": [
            {"name": "Source", "actions": [{
                "name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                "configuration": {"S3Bucket": bucket, "S3ObjectKey": "src.zip", "PollForSourceChanges": "false"},
                "outputArtifacts": [{"name": "Src"}]}]},
            {"name": "Approve", "actions": [{
                "name": "Approve", "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
                "configuration": {"CustomData": "Ship it?"}}]}]})
    return name


def service_role(ferry, profile, service):
    iam = ferry.client("iam", profile)
    role = iam.create_role(RoleName=uniq(service.split(".")[0]), AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": service}}]}))["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="all", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    return role["Arn"]


BUILDSPEC = """version: 0.2
phases:
  build:
    commands:
      - echo "built by the console test"
"""


def build_pipeline_in_tools(ferry):
    """A pipeline whose S3 source is missing (its first execution fails at Source, to be
    retried once the object exists), then a CodeBuild action. Returns (pipeline, project,
    bucket, key)."""
    s3 = ferry.client("s3", "tools", region=REGION)
    bucket, key = uniq("console-build-src"), "src.zip"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    project = uniq("console-project")
    ferry.client("codebuild", "tools", region=REGION).create_project(
        name=project, source={"type": "CODEPIPELINE", "buildspec": BUILDSPEC},
        artifacts={"type": "CODEPIPELINE"}, serviceRole=service_role(ferry, "tools", "codebuild.amazonaws.com"),
        environment={"type": "LINUX_CONTAINER", "computeType": "BUILD_GENERAL1_SMALL",
                     "image": "aws/codebuild/standard:7.0"})
    name = uniq("console-build")
    ferry.client("codepipeline", "tools", region=REGION).create_pipeline(pipeline={
        "name": name, "roleArn": service_role(ferry, "tools", "codepipeline.amazonaws.com"),
        "artifactStore": {"type": "S3", "location": bucket},
        "stages": [
            {"name": "Source", "actions": [{
                "name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                "configuration": {"S3Bucket": bucket, "S3ObjectKey": key, "PollForSourceChanges": "false"},
                "outputArtifacts": [{"name": "Src"}]}]},
            {"name": "Build", "actions": [{
                "name": "Build", "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
                "configuration": {"ProjectName": project}, "inputArtifacts": [{"name": "Src"}]}]}]})
    return name, project, bucket, key


def function_in_tools(ferry):
    """A Lambda function invoked once: its invocation and log line for the console."""
    lam = ferry.client("lambda", "tools", region=REGION)
    name = uniq("console-fn")
    lam.create_function(FunctionName=name, Runtime="python3.12", Handler="index.handler",
                        Role=service_role(ferry, "tools", "lambda.amazonaws.com"),
                        Code={"ZipFile": zipped({"index.py": "def handler(event, context):\n"
                                                             "    print('hello from the console function')\n"
                                                             "    return event\n"})})
    assert lam.invoke(FunctionName=name, Payload=b'{"n": 1}')["StatusCode"] == 200
    return name


SS_TEMPLATE = json.dumps({"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}})


def stack_set_from_management(ferry, accounts):
    """A StackSet of the management account with instances in accounts x two regions."""
    import time
    stackset_roles(ferry, "management", accounts)
    ids = [acct(ferry, p) for p in accounts]
    cfn = ferry.client("cloudformation", "management", region=REGION)
    name = uniq("console-baseline")
    cfn.create_stack_set(StackSetName=name, TemplateBody=SS_TEMPLATE, Description="baseline for the console")
    op = cfn.create_stack_instances(StackSetName=name, Accounts=ids, Regions=[REGION, "eu-west-1"],
                                    OperationPreferences={"MaxConcurrentCount": 4})["OperationId"]
    for _ in range(400):
        if cfn.describe_stack_set_operation(StackSetName=name, OperationId=op)["StackSetOperation"]["Status"] \
                not in ("RUNNING", "QUEUED"):
            break
        time.sleep(0.05)
    return name, ids


def user_with_key(ferry, profile, name, policy=None):
    iam = ferry.client("iam", profile)
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return [k["AccessKeyId"], k["SecretAccessKey"]]


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed (tools/deps.sh)")
def test_console_in_chromium(ferry):
    import boto3
    import time
    t0 = time.time()
    tools, mgmt = acct(ferry, "tools"), acct(ferry, "management")
    pipeline = pipeline_in_tools(ferry, tools)
    # SCPs: FullAWSAccess everywhere once enabled, and one of ours on tools; an empty OU
    org = ferry.client("organizations", "management")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    scp = org.create_policy(Name="DenyLeavingTheOrg", Description="no way out", Type="SERVICE_CONTROL_POLICY",
                            Content=json.dumps({"Version": "2012-10-17", "Statement": [
                                {"Effect": "Deny", "Action": "organizations:LeaveOrganization",
                                 "Resource": "*"}]}))["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=scp, TargetId=tools)
    org.create_organizational_unit(ParentId=root, Name="Sandbox")
    # a user of tools may call AssumeRole, but the role's trust policy names only management;
    # its own policy denies it queues (the trail names that statement)
    intruder = uniq("intruder")
    ik = user_with_key(ferry, "tools", intruder, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"},
        {"Sid": "NoQueues", "Effect": "Deny", "Action": "sqs:CreateQueue", "Resource": "*"}]})
    sts = boto3.client("sts", endpoint_url=ferry.endpoint, region_name=REGION,
                       aws_access_key_id=ik[0], aws_secret_access_key=ik[1])
    with pytest.raises(Exception) as e:
        sts.assume_role(RoleArn=f"arn:aws:iam::{tools}:role/OrganizationAccountAccessRole",
                        RoleSessionName="sneaky")
    assert "AccessDenied" in str(e.value)
    with pytest.raises(Exception) as e:
        boto3.client("sqs", endpoint_url=ferry.endpoint, region_name=REGION, aws_access_key_id=ik[0],
                     aws_secret_access_key=ik[1]).create_queue(QueueName="intruders")
    assert "explicit deny in an identity-based policy" in str(e.value)
    nobody = user_with_key(ferry, "tools", uniq("nobody"))
    # messaging and a stack to look at: a queue with a message, a topic sending to it from dev
    sqs = ferry.client("sqs", "tools", region=REGION)
    dlq = sqs.create_queue(QueueName="console-orders-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    # receives of peeks count: a high maxReceiveCount keeps the console's messages here
    qurl = sqs.create_queue(QueueName="console-orders", Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "10"})})["QueueUrl"]
    sqs.send_message(QueueUrl=qurl, MessageBody="one")
    sqs.send_message(QueueUrl=dlq, MessageBody="dead letter")
    qarn = sqs.get_queue_attributes(QueueUrl=qurl, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = ferry.client("sns", "tools", region=REGION).create_topic(Name="console-events")["TopicArn"]
    ferry.client("sns", "tools", region=REGION).subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    cfn = ferry.client("cloudformation", "tools", region=REGION)
    cfn.create_stack(StackName="console-stack", TemplateBody=json.dumps({
        "Resources": {"Inbox": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "console-inbox"}}},
        "Outputs": {"InboxUrl": {"Value": {"Ref": "Inbox"}}}}))
    cfn.get_waiter("stack_create_complete").wait(StackName="console-stack",
                                                  WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})

    build_pipeline, project, build_bucket, build_key = build_pipeline_in_tools(ferry)
    function = function_in_tools(ferry)
    stack_set, ss_accounts = stack_set_from_management(ferry, ["tools", "dev"])

    print(f"setup {time.time() - t0:.1f}s")
    shots = os.environ.get("FERRY_CONSOLE_SHOTS") or tempfile.mkdtemp(prefix="ferry-console-")
    setup = {"mgmt": list(ferry.keys("management")), "mgmt_account": mgmt, "tools": tools,
             "pipeline": pipeline, "intruder": intruder, "nobody": nobody,
             "tools_keys": list(ferry.keys("tools")), "build_pipeline": build_pipeline, "project": project,
             "build_bucket": build_bucket, "build_key": build_key, "source_zip": zipped({"README": "hi"}).hex(),
             "function": function, "stack_set": stack_set, "stack_set_accounts": ss_accounts}
    env = dict(ferry.env(), FERRY_ENDPOINT=ferry.endpoint, CONSOLE_SETUP=json.dumps(setup),
               CONSOLE_SHOTS=shots, CHROMIUM=CHROMIUM, NODE_PATH=os.path.join(NPM, "node_modules"))
    r = subprocess.run(["node", os.path.join(HERE, "console", "browser.mjs")], capture_output=True,
                       text=True, env=env, timeout=120, cwd=NPM)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-6000:]
    figures = json.loads(r.stdout.strip().splitlines()[-1])
    print(f"console screenshots in {shots}; figures: {figures}; steps:\n{r.stderr}")
    assert len([f for f in os.listdir(shots) if f.endswith(".png")]) >= 22
    if not os.environ.get("FERRY_CONSOLE_SHOTS"):
        shutil.rmtree(shots, ignore_errors=True)
