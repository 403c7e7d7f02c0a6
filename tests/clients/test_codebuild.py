"""CodeBuild through boto3 (json 1.1): projects, and builds that really run their buildspec
as host processes: phases and their statuses, one shell session, exported variables,
PARAMETER_STORE and SECRETS_MANAGER variables, the service role's credentials served to the
`aws` CLI inside (container credentials provider) with ferry's endpoint, CodeCommit
sources, logs in CloudWatch Logs, StopBuild, timeouts (FERRY_CODEBUILD_MINUTE), YAML
errors, EventBridge events."""
import json
import time

import pytest
from ferrytest import Ferry, acct, raises, zipped

REGION = "us-east-1"
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"},
     "Action": "sts:AssumeRole"}]}
ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@pytest.fixture(scope="module")
def ferry():
    # a minute of timeoutInMinutes lasts 0.4 s: timeouts in tests take seconds
    f = Ferry().start(env={"FERRY_CODEBUILD_MINUTE": "0.4"})
    try:
        f.init()
        yield f
    finally:
        f.close()


@pytest.fixture(scope="module")
def cb(ferry):
    return ferry.client("codebuild", "tools", region=REGION)


@pytest.fixture(scope="module")
def role(ferry):
    iam = ferry.client("iam", "tools")
    arn = iam.create_role(RoleName="cb-service", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName="cb-service", PolicyName="all", PolicyDocument=json.dumps(ALL))
    return arn


def project(cb, role, name, buildspec, **kw):
    src = kw.pop("source", {"type": "NO_SOURCE", "buildspec": buildspec})
    return cb.create_project(name=name, source=src, artifacts={"type": "NO_ARTIFACTS"},
                             environment={"type": "LINUX_CONTAINER", "computeType": "BUILD_GENERAL1_SMALL",
                                          "image": "aws/codebuild/standard:7.0",
                                          **kw.pop("environment", {})},
                             serviceRole=role, **kw)["project"]


def wait(cb, build_id, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        b = cb.batch_get_builds(ids=[build_id])["builds"][0]
        if b["buildComplete"]:
            return b
        time.sleep(0.1)
    raise AssertionError("build did not complete: " + json.dumps(b, default=str))


def phases(b):
    return {p["phaseType"]: p for p in b["phases"]}


def log_text(ferry, b, want, timeout=10):
    logs = ferry.client("logs", "tools", region=REGION)
    deadline = time.time() + timeout
    text = ""
    while time.time() < deadline:
        try:
            ev = logs.get_log_events(logGroupName=b["logs"]["groupName"],
                                     logStreamName=b["logs"]["streamName"], startFromHead=True)["events"]
            text = "\n".join(e["message"] for e in ev)
            if want in text:
                return text
        except logs.exceptions.ResourceNotFoundException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{want!r} not in logs:\n{text}")


SPEC_OK = """version: 0.2
env:
  variables:
    GREETING: hello
  exported-variables:
    - OUT_DIR
    - GREETING
phases:
  install:
    runtime-versions:
      python: 3.11
    commands:
      - mkdir -p sub && cd sub
      - export OUT_DIR=$(pwd)
  build:
    commands:
      - echo "in $(basename $OUT_DIR) $GREETING build $CODEBUILD_BUILD_NUMBER"
      - test "$(pwd)" = "$OUT_DIR"
      - echo "id=$CODEBUILD_BUILD_ID region=$AWS_REGION/$AWS_DEFAULT_REGION by=$CODEBUILD_INITIATOR"
  post_build:
    commands:
      - echo done
"""


def test_projects(ferry, cb, role):
    tools = acct(ferry, "tools")
    p = project(cb, role, "proj-a", SPEC_OK, description="first", tags=[{"key": "team", "value": "a"}])
    assert p["arn"] == f"arn:aws:codebuild:{REGION}:{tools}:project/proj-a"
    assert p["timeoutInMinutes"] == 60 and p["queuedTimeoutInMinutes"] == 480
    assert p["serviceRole"] == role and p["tags"] == [{"key": "team", "value": "a"}]
    raises(cb.create_project, "ResourceAlreadyExistsException",
           f"Project already exists: arn:aws:codebuild:{REGION}:{tools}:project/proj-a",
           name="proj-a", source={"type": "NO_SOURCE", "buildspec": SPEC_OK},
           artifacts={"type": "NO_ARTIFACTS"},
           environment={"type": "LINUX_CONTAINER", "computeType": "BUILD_GENERAL1_SMALL", "image": "x"},
           serviceRole=role)
    raises(cb.create_project, "InvalidInputException", name="nosrc", source={"type": "NO_SOURCE"},
           artifacts={"type": "NO_ARTIFACTS"},
           environment={"type": "LINUX_CONTAINER", "computeType": "BUILD_GENERAL1_SMALL", "image": "x"},
           serviceRole=role)
    raises(cb.create_project, "InvalidInputException", name="nos3", source={"type": "NO_SOURCE", "buildspec": SPEC_OK},
           artifacts={"type": "S3"},
           environment={"type": "LINUX_CONTAINER", "computeType": "BUILD_GENERAL1_SMALL", "image": "x"},
           serviceRole=role)
    project(cb, role, "proj-b", SPEC_OK, timeoutInMinutes=10)
    assert cb.list_projects()["projects"] == ["proj-a", "proj-b"]
    assert cb.list_projects(sortBy="NAME", sortOrder="DESCENDING")["projects"] == ["proj-b", "proj-a"]
    got = cb.batch_get_projects(names=["proj-a", p["arn"], "nope"])
    assert [x["name"] for x in got["projects"]] == ["proj-a", "proj-a"]
    assert got["projectsNotFound"] == ["nope"]
    u = cb.update_project(name="proj-b", description="second", timeoutInMinutes=20)["project"]
    assert u["description"] == "second" and u["timeoutInMinutes"] == 20
    raises(cb.update_project, "ResourceNotFoundException",
           f"Project cannot be found: arn:aws:codebuild:{REGION}:{tools}:project/nope", name="nope")
    raises(cb.start_build, "ResourceNotFoundException", projectName="nope")
    cb.delete_project(name="proj-b")
    assert cb.list_projects()["projects"] == ["proj-a"]


def test_build_phases_one_shell_exported(ferry, cb, role):
    tools = acct(ferry, "tools")
    project(cb, role, "ok", SPEC_OK)
    b = cb.start_build(projectName="ok")["build"]
    assert b["buildStatus"] == "IN_PROGRESS" and b["buildNumber"] == 1
    assert b["id"].startswith("ok:") and b["arn"] == f"arn:aws:codebuild:{REGION}:{tools}:build/{b['id']}"
    assert [p["phaseType"] for p in b["phases"]][:1] == ["SUBMITTED"]
    b = wait(cb, b["id"])
    assert b["buildStatus"] == "SUCCEEDED", json.dumps(b["phases"], default=str)
    assert b["currentPhase"] == "COMPLETED"
    assert [p["phaseType"] for p in b["phases"]] == [
        "SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD", "BUILD",
        "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED"]
    for p in b["phases"][:-1]:
        assert p["phaseStatus"] == "SUCCEEDED" and "durationInSeconds" in p and "endTime" in p
    exported = {v["name"]: v["value"] for v in b["exportedEnvironmentVariables"]}
    assert exported["GREETING"] == "hello" and exported["OUT_DIR"].endswith("/sub")
    assert b["initiator"] == "OrganizationAccountAccessRole/ferry" or b["initiator"]
    assert b["logs"]["groupName"] == "/aws/codebuild/ok"
    assert b["logs"]["streamName"] == b["id"].split(":")[1]
    text = log_text(ferry, b, "Phase complete: POST_BUILD State: SUCCEEDED")
    assert "in sub hello build 1" in text
    assert f"id={b['id']} region={REGION}/{REGION}" in text
    assert "Running command mkdir -p sub && cd sub" in text
    assert "[Container] " in text and "Entering phase BUILD" in text
    b2 = cb.start_build(projectName="ok")["build"]
    assert b2["buildNumber"] == 2
    wait(cb, b2["id"])
    assert cb.list_builds_for_project(projectName="ok")["ids"] == [b2["id"], b["id"]]
    assert cb.list_builds_for_project(projectName="ok", sortOrder="ASCENDING")["ids"] == [b["id"], b2["id"]]
    assert b["id"] in cb.list_builds()["ids"]
    d = cb.batch_delete_builds(ids=[b2["id"], "ok:nope"])
    assert d["buildsDeleted"] == [b2["id"]]
    assert d["buildsNotDeleted"][0]["id"] == "ok:nope"


def test_role_credentials_and_endpoint_inside(ferry, cb, role):
    s3 = ferry.client("s3", "tools", region=REGION)
    s3.create_bucket(Bucket="cb-out")
    spec = """version: 0.2
phases:
  build:
    commands:
      - aws sts get-caller-identity --query Arn --output text
      - echo payload > f.txt
      - aws s3 cp f.txt s3://cb-out/from-build.txt
"""
    project(cb, role, "creds", spec)
    b = wait(cb, cb.start_build(projectName="creds")["build"]["id"], timeout=60)
    assert b["buildStatus"] == "SUCCEEDED", json.dumps(b["phases"], default=str)
    assert s3.get_object(Bucket="cb-out", Key="from-build.txt")["Body"].read() == b"payload\n"
    uuid = b["id"].split(":")[1]
    text = log_text(ferry, b, "assumed-role/cb-service/")
    assert f"assumed-role/cb-service/AWSCodeBuild-{uuid}" in text
    assert "AWS_CONTAINER_AUTHORIZATION_TOKEN" not in text


def test_parameter_store_and_secrets(ferry, cb, role):
    ssm = ferry.client("ssm", "tools", region=REGION)
    ssm.put_parameter(Name="/cb/plain", Value="pval", Type="String")
    ssm.put_parameter(Name="/cb/secure", Value="sval", Type="SecureString")
    sm = ferry.client("secretsmanager", "tools", region=REGION)
    sm.create_secret(Name="cb-secret", SecretString=json.dumps({"user": "u1", "pw": "p1"}))
    spec = """version: 0.2
env:
  parameter-store:
    FROM_SPEC: /cb/secure
  secrets-manager:
    PW: cb-secret:pw
phases:
  build:
    commands:
      - test "$FROM_SPEC" = sval
      - test "$FROM_PROJECT" = pval
      - test "$PW" = p1
      - test "$(echo "$WHOLE" | tr -d ' ')" = '{"user":"u1","pw":"p1"}'
      - test "$OVER" = overridden
"""
    project(cb, role, "params", spec, environment={"environmentVariables": [
        {"name": "FROM_PROJECT", "value": "/cb/plain", "type": "PARAMETER_STORE"},
        {"name": "WHOLE", "value": "cb-secret", "type": "SECRETS_MANAGER"},
        {"name": "OVER", "value": "project", "type": "PLAINTEXT"}]})
    b = wait(cb, cb.start_build(projectName="params", environmentVariablesOverride=[
        {"name": "OVER", "value": "overridden", "type": "PLAINTEXT"}])["build"]["id"])
    assert b["buildStatus"] == "SUCCEEDED", json.dumps(b["phases"], default=str)
    # a parameter that is not there fails the build where AWS fails it
    b = wait(cb, cb.start_build(projectName="params", environmentVariablesOverride=[
        {"name": "FROM_PROJECT", "value": "/cb/missing", "type": "PARAMETER_STORE"}])["build"]["id"])
    assert b["buildStatus"] == "FAILED"
    ds = phases(b)["DOWNLOAD_SOURCE"]
    assert ds["phaseStatus"] == "FAILED"
    assert ds["contexts"][0]["statusCode"] == "Decrypted Variables Error"
    assert "BUILD" not in phases(b)


def test_failing_command(ferry, cb, role):
    spec = """version: 0.2
phases:
  build:
    commands:
      - echo before
      - "false"
      - echo never
    finally:
      - echo finally-ran
  post_build:
    commands:
      - echo post-ran
"""
    project(cb, role, "fails", spec)
    b = wait(cb, cb.start_build(projectName="fails")["build"]["id"])
    assert b["buildStatus"] == "FAILED"
    ph = phases(b)
    assert ph["BUILD"]["phaseStatus"] == "FAILED"
    assert ph["BUILD"]["contexts"] == [{"statusCode": "COMMAND_EXECUTION_ERROR",
                                        "message": "Error while executing command: false. Reason: exit status 1"}]
    assert ph["POST_BUILD"]["phaseStatus"] == "SUCCEEDED"
    text = log_text(ferry, b, "post-ran")
    assert "finally-ran" in text and "never" not in text
    assert "Command did not exit successfully false exit status 1" in text
    assert "Phase complete: BUILD State: FAILED" in text
    # a failed INSTALL goes straight to FINALIZING
    project(cb, role, "fails-install", "version: 0.2\nphases:\n  install:\n    commands:\n      - exit 3\n"
            "  build:\n    commands:\n      - echo no\n")
    b = wait(cb, cb.start_build(projectName="fails-install")["build"]["id"])
    assert b["buildStatus"] == "FAILED"
    assert [p["phaseType"] for p in b["phases"]][-4:] == ["DOWNLOAD_SOURCE", "INSTALL", "FINALIZING", "COMPLETED"]


def test_bad_buildspec(ferry, cb, role):
    project(cb, role, "bad-yaml", "version: 0.2\nphases: [unclosed\n")
    b = wait(cb, cb.start_build(projectName="bad-yaml")["build"]["id"])
    assert b["buildStatus"] == "FAILED"
    ds = phases(b)["DOWNLOAD_SOURCE"]
    assert ds["phaseStatus"] == "FAILED" and ds["contexts"][0]["statusCode"] == "YAML_FILE_ERROR"
    b = wait(cb, cb.start_build(projectName="bad-yaml",
                                buildspecOverride="version: 0.9\nphases: {}\n")["build"]["id"])
    ds = phases(b)["DOWNLOAD_SOURCE"]
    assert ds["contexts"][0] == {"statusCode": "YAML_FILE_ERROR",
                                 "message": "Invalid buildspec version: 0.9"}
    assert b["source"]["buildspec"] == "version: 0.9\nphases: {}\n"


def test_stop_and_timeout(ferry, cb, role):
    project(cb, role, "sleeper", "version: 0.2\nphases:\n  build:\n    commands:\n"
            "      - echo sleeping\n      - (sleep 60; echo orphan) & sleep 60\n")
    b = cb.start_build(projectName="sleeper")["build"]
    deadline = time.time() + 10
    while time.time() < deadline and cb.batch_get_builds(ids=[b["id"]])["builds"][0]["currentPhase"] != "BUILD":
        time.sleep(0.1)
    t0 = time.time()
    cb.stop_build(id=b["id"])
    b = wait(cb, b["id"], timeout=10)
    assert time.time() - t0 < 5
    assert b["buildStatus"] == "STOPPED" and phases(b)["BUILD"]["phaseStatus"] == "STOPPED"
    # 5 minutes of 0.4 s: two seconds
    b = wait(cb, cb.start_build(projectName="sleeper", timeoutInMinutesOverride=5)["build"]["id"])
    assert b["buildStatus"] == "TIMED_OUT" and b["timeoutInMinutes"] == 5
    assert phases(b)["BUILD"]["phaseStatus"] == "TIMED_OUT"
    assert phases(b)["BUILD"]["contexts"][0]["statusCode"] == "BUILD_TIMED_OUT"


def test_codecommit_source(ferry, cb, role):
    cc = ferry.client("codecommit", "tools", region=REGION)
    cc.create_repository(repositoryName="cb-src")
    spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - cat hello.txt\n      - test -f lib/x.py\n"
    c1 = cc.put_file(repositoryName="cb-src", branchName="main", filePath="buildspec.yml",
                     fileContent=spec.encode())["commitId"]
    cc.put_file(repositoryName="cb-src", branchName="main", filePath="lib/x.py", fileContent=b"x = 1\n",
                parentCommitId=c1)
    c3 = cc.put_file(repositoryName="cb-src", branchName="main", filePath="hello.txt",
                     fileContent=b"hello from codecommit\n",
                     parentCommitId=cc.get_branch(repositoryName="cb-src", branchName="main")["branch"]["commitId"])["commitId"]
    project(cb, role, "from-cc", None, source={
        "type": "CODECOMMIT",
        "location": f"https://git-codecommit.{REGION}.amazonaws.com/v1/repos/cb-src"})
    b = wait(cb, cb.start_build(projectName="from-cc", sourceVersion="main")["build"]["id"])
    assert b["buildStatus"] == "SUCCEEDED", json.dumps(b["phases"], default=str)
    assert b["resolvedSourceVersion"] == c3 and b["sourceVersion"] == "main"
    assert "hello from codecommit" in log_text(ferry, b, "hello from codecommit")
    # an older commit has no hello.txt
    b = wait(cb, cb.start_build(projectName="from-cc", sourceVersion=c1)["build"]["id"])
    assert b["buildStatus"] == "FAILED" and b["resolvedSourceVersion"] == c1
    b = wait(cb, cb.start_build(projectName="from-cc", sourceVersion="nope")["build"]["id"])
    assert phases(b)["DOWNLOAD_SOURCE"]["phaseStatus"] == "FAILED"
    # a secondary source, at CODEBUILD_SRC_DIR_<sourceIdentifier>, at the version asked
    b = wait(cb, cb.start_build(
        projectName="from-cc", sourceVersion="main",
        buildspecOverride="version: 0.2\nphases:\n  build:\n    commands:\n"
                          "      - test -f $CODEBUILD_SRC_DIR_other/buildspec.yml\n"
                          "      - test ! -f $CODEBUILD_SRC_DIR_other/hello.txt\n",
        secondarySourcesOverride=[{"type": "CODECOMMIT", "sourceIdentifier": "other",
                                   "location": cc.get_repository(repositoryName="cb-src")["repositoryMetadata"]["cloneUrlHttp"]}],
        secondarySourcesVersionOverride=[{"sourceIdentifier": "other", "sourceVersion": c1}])["build"]["id"])
    assert b["buildStatus"] == "SUCCEEDED", json.dumps(b["phases"], default=str)


def events_queue(sqs, name):
    """A queue (url, arn) EventBridge may send to."""
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": arn}]})})
    return url, arn


def test_events_to_sqs(ferry, cb, role):
    sqs = ferry.client("sqs", "tools", region=REGION)
    ev = ferry.client("events", "tools", region=REGION)
    q, qarn = events_queue(sqs, "cb-events")
    ev.put_rule(Name="cb-state", EventPattern=json.dumps({
        "source": ["aws.codebuild"], "detail-type": ["CodeBuild Build State Change"],
        "detail": {"build-status": ["SUCCEEDED", "FAILED"], "project-name": ["evented"]}}))
    ev.put_targets(Rule="cb-state", Targets=[{"Id": "q", "Arn": qarn}])
    pq, parn = events_queue(sqs, "cb-phases")
    ev.put_rule(Name="cb-phase", EventPattern=json.dumps({
        "source": ["aws.codebuild"], "detail-type": ["CodeBuild Build Phase Change"],
        "detail": {"project-name": ["evented"]}}))
    ev.put_targets(Rule="cb-phase", Targets=[{"Id": "q", "Arn": parn}])
    project(cb, role, "evented", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo ok\n")
    b = wait(cb, cb.start_build(projectName="evented")["build"]["id"])
    deadline = time.time() + 10
    while time.time() < deadline:
        m = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=1).get("Messages")
        if m:
            e = json.loads(m[0]["Body"])
            assert e["detail-type"] == "CodeBuild Build State Change" and e["source"] == "aws.codebuild"
            assert e["detail"]["build-status"] == "SUCCEEDED"
            assert e["detail"]["build-id"] == b["arn"] and e["resources"] == [b["arn"]]
            assert e["detail"]["additional-information"]["build-complete"] is True
            break
    else:
        raise AssertionError("no event")
    # every phase's end, BUILD's among them
    got = []
    deadline = time.time() + 10
    while time.time() < deadline and "BUILD" not in [g["completed-phase"] for g in got]:
        for m in sqs.receive_message(QueueUrl=pq, WaitTimeSeconds=1, MaxNumberOfMessages=10).get("Messages", []):
            got.append(json.loads(m["Body"])["detail"])
    ph = [g for g in got if g["completed-phase"] == "BUILD"][0]
    assert ph["completed-phase-status"] == "SUCCEEDED" and ph["build-id"] == b["arn"]
    assert ph["project-name"] == "evented" and "completed-phase-duration-seconds" in ph


def test_events_rule_starts_build(ferry, cb, role):
    iam = ferry.client("iam", "tools")
    ev = ferry.client("events", "tools", region=REGION)
    ev_role = iam.create_role(RoleName="ev-start", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName="ev-start", PolicyName="start", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "codebuild:StartBuild", "Resource": "*"}]}))
    p = project(cb, role, "by-rule", "version: 0.2\nenv:\n  exported-variables: [WHO]\nphases:\n"
                "  build:\n    commands:\n      - echo $WHO\n")
    ev.put_rule(Name="start-it", EventPattern=json.dumps({"source": ["my.app"]}))
    ev.put_targets(Rule="start-it", Targets=[{
        "Id": "cb", "Arn": p["arn"], "RoleArn": ev_role,
        "Input": json.dumps({"environmentVariablesOverride": [{"name": "WHO", "value": "rule", "type": "PLAINTEXT"}]})}])
    ev.put_events(Entries=[{"Source": "my.app", "DetailType": "x", "Detail": "{}"}])
    deadline = time.time() + 10
    while time.time() < deadline and not cb.list_builds_for_project(projectName="by-rule")["ids"]:
        time.sleep(0.1)
    ids = cb.list_builds_for_project(projectName="by-rule")["ids"]
    assert len(ids) == 1
    b = wait(cb, ids[0])
    assert b["buildStatus"] == "SUCCEEDED"
    assert b["exportedEnvironmentVariables"] == [{"name": "WHO", "value": "rule"}]
    assert b["initiator"] == "ev-start/EventBridge"


def test_cloudformation_project(ferry, cb, role):
    cfn = ferry.client("cloudformation", "tools", region=REGION)
    tpl = {"Resources": {"P": {"Type": "AWS::CodeBuild::Project", "Properties": {
        "Name": "from-cfn", "ServiceRole": role, "TimeoutInMinutes": 15,
        "Source": {"Type": "NO_SOURCE", "BuildSpec": "version: 0.2\nphases:\n  build:\n    commands:\n      - echo cfn\n"},
        "Artifacts": {"Type": "NO_ARTIFACTS"},
        "Environment": {"Type": "LINUX_CONTAINER", "ComputeType": "BUILD_GENERAL1_SMALL",
                        "Image": "aws/codebuild/standard:7.0",
                        "EnvironmentVariables": [{"Name": "A", "Value": "1"}]},
        "Tags": [{"Key": "k", "Value": "v"}]}}},
        "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["P", "Arn"]}}, "Ref": {"Value": {"Ref": "P"}}}}
    cfn.create_stack(StackName="cb-stack", TemplateBody=json.dumps(tpl))
    cfn.get_waiter("stack_create_complete").wait(StackName="cb-stack", WaiterConfig={"Delay": 0.2})
    outs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="cb-stack")["Stacks"][0]["Outputs"]}
    assert outs["Ref"] == "from-cfn" and outs["Arn"].endswith(":project/from-cfn")
    p = cb.batch_get_projects(names=["from-cfn"])["projects"][0]
    assert p["timeoutInMinutes"] == 15 and p["tags"] == [{"key": "k", "value": "v"}]
    assert p["environment"]["environmentVariables"] == [{"name": "A", "value": "1"}]
    b = wait(cb, cb.start_build(projectName="from-cfn")["build"]["id"])
    assert b["buildStatus"] == "SUCCEEDED"
    tpl["Resources"]["P"]["Properties"]["TimeoutInMinutes"] = 25
    cfn.update_stack(StackName="cb-stack", TemplateBody=json.dumps(tpl))
    cfn.get_waiter("stack_update_complete").wait(StackName="cb-stack", WaiterConfig={"Delay": 0.2})
    assert cb.batch_get_projects(names=["from-cfn"])["projects"][0]["timeoutInMinutes"] == 25
    cfn.delete_stack(StackName="cb-stack")
    cfn.get_waiter("stack_delete_complete").wait(StackName="cb-stack", WaiterConfig={"Delay": 0.2})
    assert cb.batch_get_projects(names=["from-cfn"])["projectsNotFound"] == ["from-cfn"]


def test_kill9_leaves_no_orphans_and_fails_running_builds(role):
    import signal
    import subprocess
    f = Ferry().start()
    try:
        f.init()
        cb = f.client("codebuild", "tools", region=REGION)
        iam = f.client("iam", "tools")
        r = iam.create_role(RoleName="cb-service", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        # a child in a session of its own, and one that outlives its parent
        project(cb, r, "long", "version: 0.2\nphases:\n  build:\n    commands:\n"
                "      - setsid sleep 3017 &\n      - (sleep 3018 &) ; sleep 3019\n")
        b = cb.start_build(projectName="long")["build"]
        deadline = time.time() + 10
        while time.time() < deadline and subprocess.run(["pgrep", "-f", "sleep 3019"]).returncode:
            time.sleep(0.1)
        assert subprocess.run(["pgrep", "-f", "sleep 3017"]).returncode == 0
        f.stop(signal.SIGKILL)
        deadline = time.time() + 5
        while time.time() < deadline and not subprocess.run(["pgrep", "-f", "sleep 301[789]"]).returncode:
            time.sleep(0.1)
        assert subprocess.run(["pgrep", "-f", "sleep 301[789]"]).returncode == 1
        f.start()
        # on PostgreSQL the restarted server is another node (its id changes with each
        # start): the build is the dead node's, failed once that node's lease runs out
        b = wait(f.client("codebuild", "tools", region=REGION), b["id"])
        assert b["buildStatus"] == "FAILED" and b["buildComplete"]
        ph = phases(b)["BUILD"]
        assert ph["phaseStatus"] == "FAILED"
        msg = ph["contexts"][0]["message"]
        if f.store_url:  # FERRY_TEST_STORE=postgresql
            assert msg.startswith("Build was interrupted: ferry node ") and msg.endswith(
                " stopped while it ran"), msg
        else:
            assert msg == "Build was interrupted: ferry stopped while it ran"
    finally:
        f.close()


def test_artifacts_to_s3(ferry, cb, role):
    s3 = ferry.client("s3", "tools", region=REGION)
    s3.create_bucket(Bucket="cb-artifacts")
    spec = """version: 0.2
phases:
  build:
    commands:
      - mkdir -p out/sub && echo a > out/a.txt && echo b > out/sub/b.txt
artifacts:
  files:
    - '**/*'
  base-directory: out
  name: bundle.zip
"""
    cb.create_project(name="arts", source={"type": "NO_SOURCE", "buildspec": spec},
                      artifacts={"type": "S3", "location": "cb-artifacts", "path": "p",
                                 "namespaceType": "BUILD_ID", "packaging": "ZIP",
                                 "overrideArtifactName": True},
                      environment={"type": "LINUX_CONTAINER", "computeType": "BUILD_GENERAL1_SMALL",
                                   "image": "aws/codebuild/standard:7.0"}, serviceRole=role)
    b = wait(cb, cb.start_build(projectName="arts")["build"]["id"])
    assert b["buildStatus"] == "SUCCEEDED", json.dumps(b["phases"], default=str)
    uuid = b["id"].split(":")[1]
    key = f"p/{uuid}/bundle.zip"
    assert b["artifacts"]["location"] == f"arn:aws:s3:::cb-artifacts/{key}"
    import io
    import zipfile
    z = zipfile.ZipFile(io.BytesIO(s3.get_object(Bucket="cb-artifacts", Key=key)["Body"].read()))
    assert sorted(z.namelist()) == ["a.txt", "sub/b.txt"]


def test_reports_from_junit(ferry, cb, role):
    spec = """version: 0.2
phases:
  build:
    commands:
      - mkdir -p reports
      - echo '<testsuite name="s" tests="2"><testcase name="ok"/><testcase name="bad"><failure/></testcase></testsuite>' > reports/junit.xml
reports:
  unit:
    files: ['junit.xml']
    base-directory: reports
    file-format: JUNITXML
"""
    project(cb, role, "reported", spec)
    b = wait(cb, cb.start_build(projectName="reported")["build"]["id"])
    assert b["buildStatus"] == "SUCCEEDED", json.dumps(b["phases"], default=str)
    groups = cb.list_report_groups()["reportGroups"]
    assert any(g.endswith(":report-group/reported-unit") for g in groups)


def test_s3_source(ferry, cb, role):
    s3 = ferry.client("s3", "tools", region=REGION)
    s3.create_bucket(Bucket="cb-src")
    s3.put_object(Bucket="cb-src", Key="app/src.zip", Body=zipped({
        "buildspec.yml": "version: 0.2\nphases:\n  build:\n    commands:\n      - cat data/in.txt\n",
        "data/in.txt": "from s3 zip\n"}))
    project(cb, role, "from-s3", None, source={"type": "S3", "location": "cb-src/app/src.zip"})
    b = wait(cb, cb.start_build(projectName="from-s3")["build"]["id"])
    assert b["buildStatus"] == "SUCCEEDED", json.dumps(b["phases"], default=str)
    assert "from s3 zip" in log_text(ferry, b, "from s3 zip")
    s3.put_object(Bucket="cb-src", Key="app/bad.zip", Body=b"not a zip")
    b = wait(cb, cb.start_build(projectName="from-s3", sourceLocationOverride="cb-src/app/bad.zip")["build"]["id"])
    ds = phases(b)["DOWNLOAD_SOURCE"]
    assert ds["phaseStatus"] == "FAILED" and ds["contexts"][0]["statusCode"] == "CLIENT_ERROR"


def test_concurrent_build_limit(ferry, cb, role):
    project(cb, role, "limited", "version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 30\n",
            concurrentBuildLimit=1)
    b = cb.start_build(projectName="limited")["build"]
    raises(cb.start_build, "AccountLimitExceededException",
           "Cannot have more than 1 active builds for the project", projectName="limited")
    cb.stop_build(id=b["id"])
    assert wait(cb, b["id"])["buildStatus"] == "STOPPED"
    b = cb.start_build(projectName="limited")["build"]
    cb.update_project(name="limited", concurrentBuildLimit=-1)
    assert "concurrentBuildLimit" not in cb.batch_get_projects(names=["limited"])["projects"][0]
    b2 = cb.start_build(projectName="limited")["build"]
    for x in (b, b2):
        cb.stop_build(id=x["id"])
        assert wait(cb, x["id"])["buildStatus"] == "STOPPED"


def test_credentials_refreshed_and_guarded():
    # sessions of 15 minutes: each request is within the refresh window, and gets new keys
    f = Ferry().start(env={"FERRY_CODEBUILD_SESSION_SECONDS": "900"})
    try:
        f.init()
        cb = f.client("codebuild", "tools", region=REGION)
        iam = f.client("iam", "tools")
        r = iam.create_role(RoleName="cb-service", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        spec = """version: 0.2
env:
  exported-variables: [K1, K2, BAD]
phases:
  build:
    commands:
      - |
        get() { python3 -c 'import json,os,sys,urllib.request as u; q=u.Request(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"], headers={"Authorization": sys.argv[1]}); print(json.load(u.urlopen(q))["AccessKeyId"])' "$1"; }
      - export K1=$(get "$AWS_CONTAINER_AUTHORIZATION_TOKEN") K2=$(get "$AWS_CONTAINER_AUTHORIZATION_TOKEN")
      - export BAD=$(get wrong 2>&1 | grep -o 'HTTP Error [0-9]*')
"""
        project(cb, r, "refresh", spec)
        b = wait(cb, cb.start_build(projectName="refresh")["build"]["id"])
        assert b["buildStatus"] == "SUCCEEDED", json.dumps(b["phases"], default=str)
        v = {x["name"]: x["value"] for x in b["exportedEnvironmentVariables"]}
        assert v["K1"].startswith("ASIA") and v["K2"].startswith("ASIA") and v["K1"] != v["K2"]
        assert v["BAD"] == "HTTP Error 403"
    finally:
        f.close()
