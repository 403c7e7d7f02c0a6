"""Secrets Manager rotation with a real Lambda rotation function, written the way AWS's
rotation templates are (boto3 inside: describe_secret, get_secret_value, put_secret_value
with AWSPENDING, update_secret_version_stage to move AWSCURRENT), invoked by
secretsmanager.amazonaws.com through the function's policy: rotating immediately and the
stages after, RotateSecret's validation, a step that fails (AWSPENDING stays, the next
RotateSecret is refused until it is cleared, the next scheduled window reattempts it), a
finishSecret that does not move AWSCURRENT, a retry with the same ClientRequestToken,
CancelRotateSecret, a schedule firing (FERRY_SM_ROTATION_CLOCK_OFFSET), a rotation a kill -9
interrupted going on after the restart, AWS::SecretsManager::RotationSchedule, and awscli."""
import json
import signal
import time
import uuid

import pytest
from ferrytest import Ferry, code, raises, zipped

SEAMS = {"FERRY_SM_ROTATION_INTERVAL": "1"}

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
ROLE_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["secretsmanager:*", "kms:*"], "Resource": "*"}]}

# As AWS's rotation templates: each step checks the version's stages first, and may run again.
ROTATOR = r'''
import json
import os
import time

import boto3


def handler(event, context):
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    sm = boto3.client("secretsmanager")
    metadata = sm.describe_secret(SecretId=arn)
    if not metadata["RotationEnabled"]:
        raise ValueError("Secret %s is not enabled for rotation" % arn)
    versions = metadata["VersionIdsToStages"]
    if token not in versions:
        raise ValueError("Secret version %s has no stage for rotation of secret %s." % (token, arn))
    if "AWSCURRENT" in versions[token]:
        return
    if "AWSPENDING" not in versions[token]:
        raise ValueError("Secret version %s not set as AWSPENDING for rotation of secret %s." % (token, arn))
    if os.environ.get("FAIL_AT") == step:
        raise ValueError("the database refused the new password")
    if os.environ.get("SLOW_AT") == step:
        time.sleep(float(os.environ.get("SLOW_SECONDS", "3")))
    if step == "createSecret":
        current = json.loads(sm.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"])
        try:
            sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        except sm.exceptions.ResourceNotFoundException:
            current["password"] = sm.get_random_password(ExcludeCharacters="/@\"'\\")["RandomPassword"]
            sm.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=json.dumps(current),
                                VersionStages=["AWSPENDING"])
    elif step == "setSecret":
        pass  # the protected service would take the new password here
    elif step == "testSecret":
        json.loads(sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")["SecretString"])
    elif step == "finishSecret":
        if os.environ.get("LAZY"):
            return
        current_version = None
        for version, stages in metadata["VersionIdsToStages"].items():
            if "AWSCURRENT" in stages:
                if version == token:
                    return
                current_version = version
                break
        sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token,
                                       RemoveFromVersionId=current_version)
    else:
        raise ValueError("Invalid step parameter")
'''

FUNCTIONS = {"rotator": {}, "failing": {"FAIL_AT": "setSecret"}, "lazy": {"LAZY": "1"},
             "slow": {"SLOW_AT": "setSecret"}, "unallowed": {}}


def make_functions(f):
    iam = f.client("iam", "dev")
    role = iam.create_role(RoleName="rotation", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName="rotation", PolicyName="secrets", PolicyDocument=json.dumps(ROLE_POLICY))
    lam = f.client("lambda", "dev")
    arns = {}
    for name, env in FUNCTIONS.items():
        arns[name] = lam.create_function(
            FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler", Timeout=30,
            Code={"ZipFile": zipped({"index.py": ROTATOR})},
            Environment={"Variables": env})["FunctionArn"]
        if name != "unallowed":
            lam.add_permission(FunctionName=name, StatementId="secretsmanager", Action="lambda:InvokeFunction",
                               Principal="secretsmanager.amazonaws.com")
    for name in FUNCTIONS:
        lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    return arns


@pytest.fixture(scope="module")
def fy():
    f = Ferry().start(env=SEAMS)
    f.init()
    f.fns = make_functions(f)
    yield f
    f.close()


@pytest.fixture(scope="module")
def sm(fy):
    return fy.client("secretsmanager", "dev")


def new_secret(sm, password="old-password"):
    name = "db-" + uuid.uuid4().hex[:8]
    arn = sm.create_secret(Name=name, SecretString=json.dumps({"username": "app", "password": password}))["ARN"]
    return arn


def wait(pred, timeout=30):
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v:
            return v
        assert time.time() < deadline, "timed out"
        time.sleep(0.1)


def raw_describe(f, arn):
    """DescribeSecret as JSON: Debian's botocore (1.29) predates NextRotationDate and drops it."""
    import botocore.auth
    import botocore.awsrequest
    creds = f.session("dev").get_credentials()
    req = botocore.awsrequest.AWSRequest(
        method="POST", url=f.endpoint + "/", data=json.dumps({"SecretId": arn}),
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.DescribeSecret"})
    botocore.auth.SigV4Auth(creds, "secretsmanager", "us-east-1").add_auth(req)
    status, _, body = f.http("POST", "/", body=req.data.encode(), headers=dict(req.headers))
    assert status == 200, body
    return json.loads(body)


def stages(sm, arn):
    return sm.describe_secret(SecretId=arn)["VersionIdsToStages"]


def rotated(sm, arn, token):
    """token's version is AWSCURRENT and the rotation has ended (its date recorded after the
    function's finishSecret moved the label)."""
    d = sm.describe_secret(SecretId=arn)
    return d["VersionIdsToStages"].get(token) == ["AWSCURRENT"] and "LastRotatedDate" in d


def rotated_once(sm, arn, old):
    d = sm.describe_secret(SecretId=arn)
    return d["VersionIdsToStages"].get(old) == ["AWSPREVIOUS"] and "LastRotatedDate" in d


def pending_written(sm, arn):
    try:
        return sm.get_secret_value(SecretId=arn, VersionStage="AWSPENDING")
    except sm.exceptions.ResourceNotFoundException:
        return None


def rotation_event(f, arn, name, timeout=30):
    """The CloudTrail event (RotationSucceeded or RotationFailed) of arn's rotation."""
    ct = f.client("cloudtrail", "dev")

    def look():
        evs = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}])["Events"]
        return [e for e in evs if arn in json.dumps(e.get("Resources", [])) + e.get("CloudTrailEvent", "")]
    return wait(look, timeout)


def test_rotate_immediately_runs_the_four_steps(fy, sm):
    arn = new_secret(sm)
    old = sm.get_secret_value(SecretId=arn)["VersionId"]
    r = sm.rotate_secret(SecretId=arn, RotationLambdaARN=fy.fns["rotator"],
                         RotationRules={"AutomaticallyAfterDays": 30})
    token = r["VersionId"]
    assert r["ARN"] == arn
    wait(lambda: rotated(sm, arn, token))
    assert stages(sm, arn) == {token: ["AWSCURRENT"], old: ["AWSPREVIOUS"]}
    new = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])
    assert new["username"] == "app" and new["password"] != "old-password"
    prev = json.loads(sm.get_secret_value(SecretId=arn, VersionStage="AWSPREVIOUS")["SecretString"])
    assert prev["password"] == "old-password"
    d = sm.describe_secret(SecretId=arn)
    assert d["RotationEnabled"] is True and d["RotationLambdaARN"] == fy.fns["rotator"]
    assert d["RotationRules"] == {"AutomaticallyAfterDays": 30}
    last, nxt = d["LastRotatedDate"].timestamp(), raw_describe(fy, arn)["NextRotationDate"]
    # the window is the UTC day 30 days after the last rotation
    assert nxt % 86400 == 0 and 29 * 86400 < nxt - last <= 30 * 86400
    listed = [s for s in sm.list_secrets()["SecretList"] if s["ARN"] == arn][0]
    assert listed["RotationEnabled"] is True and "LastRotatedDate" in listed
    rotation_event(fy, arn, "RotationSucceeded")
    # rotating again uses the configuration kept: no ARN needed, the stages move on
    t2 = sm.rotate_secret(SecretId=arn, ClientRequestToken="t" * 40)["VersionId"]
    assert t2 == "t" * 40
    wait(lambda: rotated(sm, arn, t2))
    assert stages(sm, arn) == {t2: ["AWSCURRENT"], token: ["AWSPREVIOUS"]}


def test_rotate_secret_validation(fy, sm):
    arn = new_secret(sm)
    raises(sm.rotate_secret, "InvalidRequestException",
           "No Lambda rotation function ARN is associated with this secret.", SecretId=arn)
    raises(sm.rotate_secret, "AccessDeniedException",
           "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy "
           "grants access to the principal secretsmanager.amazonaws.com.",
           SecretId=arn, RotationLambdaARN=fy.fns["unallowed"])
    missing = fy.fns["rotator"].replace(":rotator", ":nowhere")
    raises(sm.rotate_secret, "AccessDeniedException", SecretId=arn, RotationLambdaARN=missing)
    for rules in ({"AutomaticallyAfterDays": 7, "ScheduleExpression": "rate(7 days)"},
                  {"ScheduleExpression": "rate(2 hours)"},
                  {"ScheduleExpression": "cron(0 0 * * * *)"},
                  {"ScheduleExpression": "cron(0 16 1,15 * ? *)", "Duration": "25h"},
                  {"ScheduleExpression": "rate(4 hours)", "Duration": "5h"},
                  {"Duration": "2h"}):
        raises(sm.rotate_secret, "InvalidParameterException", SecretId=arn,
               RotationLambdaARN=fy.fns["rotator"], RotationRules=rules)
    # the model's range, checked before the operation as AWS's front end does
    raises(sm.rotate_secret, "ValidationException", SecretId=arn, RotationLambdaARN=fy.fns["rotator"],
           RotationRules={"AutomaticallyAfterDays": 1001})
    raises(sm.rotate_secret, "ResourceNotFoundException", SecretId="no-such-secret",
           RotationLambdaARN=fy.fns["rotator"])
    # nothing of a refused call was kept
    d = sm.describe_secret(SecretId=arn)
    assert d["RotationEnabled"] is False and "RotationLambdaARN" not in d
    sm.delete_secret(SecretId=arn)
    raises(sm.rotate_secret, "InvalidRequestException", SecretId=arn, RotationLambdaARN=fy.fns["rotator"])


def failed_rotation(fy, sm, fn):
    """A new secret whose rotation by fn failed: (ARN, AWSCURRENT's version, the token)."""
    arn = new_secret(sm)
    old = sm.get_secret_value(SecretId=arn)["VersionId"]
    token = sm.rotate_secret(SecretId=arn, RotationLambdaARN=fy.fns[fn])["VersionId"]
    rotation_event(fy, arn, "RotationFailed")
    assert stages(sm, arn) == {old: ["AWSCURRENT"], token: ["AWSPENDING"]}
    return arn, old, token


def test_a_failing_step_leaves_awspending(fy, sm):
    # createSecret ran, setSecret failed: the new value waits under AWSPENDING
    arn, old, token = failed_rotation(fy, sm, "failing")
    assert json.loads(pending_written(sm, arn)["SecretString"])["password"] != "old-password"
    assert json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])["password"] == "old-password"
    raises(sm.rotate_secret, "InvalidRequestException",
           "A previous rotation isn't complete. That rotation will be reattempted.", SecretId=arn)
    # the owner clears AWSPENDING, fixes the function, and rotates
    sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSPENDING", RemoveFromVersionId=token)
    t2 = sm.rotate_secret(SecretId=arn, RotationLambdaARN=fy.fns["rotator"])["VersionId"]
    wait(lambda: rotated(sm, arn, t2))


def test_finish_secret_must_move_awscurrent(fy, sm):
    arn, _, _ = failed_rotation(fy, sm, "lazy")
    assert "LastRotatedDate" not in sm.describe_secret(SecretId=arn)


def test_cancel_rotate_secret(fy, sm):
    arn = new_secret(sm)
    rotate = dict(SecretId=arn, RotationLambdaARN=fy.fns["slow"], ClientRequestToken=str(uuid.uuid4()),
                  RotationRules={"ScheduleExpression": "rate(10 days)"})
    token = sm.rotate_secret(**rotate)["VersionId"]
    # a retry of the same request (its token) is answered as the first, while it runs
    assert sm.rotate_secret(**rotate)["VersionId"] == token == rotate["ClientRequestToken"]
    # before createSecret: the version exists with its label only (the templates check this)
    d = sm.describe_secret(SecretId=arn)
    if d["VersionIdsToStages"].get(token) == ["AWSPENDING"] and not pending_written(sm, arn):
        with pytest.raises(sm.exceptions.ResourceNotFoundException):
            sm.get_secret_value(SecretId=arn, VersionId=token)
    wait(lambda: pending_written(sm, arn))
    # CancelRotateSecret: rotation is off, the rotation in progress stops before its next
    # step, and AWSPENDING stays for the owner to clear
    r = sm.cancel_rotate_secret(SecretId=arn)
    assert r["VersionId"] == token
    d = sm.describe_secret(SecretId=arn)
    assert d["RotationEnabled"] is False and "NextRotationDate" not in raw_describe(fy, arn)
    assert d["RotationLambdaARN"] == fy.fns["slow"]
    time.sleep(3.5)  # the function's setSecret sleeps 3 s; testSecret must not follow
    assert stages(sm, arn)[token] == ["AWSPENDING"]
    assert json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])["password"] == "old-password"


def test_awscli_schedule(fy):
    name = "cli-" + uuid.uuid4().hex[:8]
    fy.aws("secretsmanager", "create-secret", "--name", name, "--secret-string", '{"password": "x"}',
           profile="dev")
    r = fy.aws("secretsmanager", "rotate-secret", "--secret-id", name, "--rotation-lambda-arn",
               fy.fns["rotator"], "--rotation-rules",
               '{"ScheduleExpression": "cron(0 16 1,15 * ? *)", "Duration": "2h"}',
               "--no-rotate-immediately", profile="dev").json
    assert "VersionId" not in r
    d = fy.aws("secretsmanager", "describe-secret", "--secret-id", name, profile="dev").json
    assert d["RotationEnabled"] is True
    assert d["RotationRules"] == {"ScheduleExpression": "cron(0 16 1,15 * ? *)", "Duration": "2h"}
    assert "LastRotatedDate" not in d
    nxt = raw_describe(fy, d["ARN"])["NextRotationDate"]
    assert time.gmtime(nxt).tm_hour == 16 and time.gmtime(nxt).tm_mday in (1, 15)
    r = fy.aws("secretsmanager", "cancel-rotate-secret", "--secret-id", name, profile="dev").json
    assert r["Name"] == name


TEMPLATE = """
Parameters:
  Fn: {Type: String}
  Secret: {Type: String}
  Days: {Type: Number, Default: 30}
Resources:
  Schedule:
    Type: AWS::SecretsManager::RotationSchedule
    Properties:
      SecretId: !Ref Secret
      RotationLambdaARN: !Ref Fn
      RotateImmediatelyOnUpdate: false
      RotationRules:
        AutomaticallyAfterDays: !Ref Days
Outputs:
  Id: {Value: !Ref Schedule}
"""


def stack_done(cfn, name):
    def done():
        s = cfn.describe_stacks(StackName=name)["Stacks"][0]
        return s if not s["StackStatus"].endswith("IN_PROGRESS") else None
    return wait(done, 60)


def test_cloudformation_rotation_schedule(fy, sm):
    cfn = fy.client("cloudformation", "dev")
    arn = new_secret(sm)
    old = sm.get_secret_value(SecretId=arn)["VersionId"]
    params = [{"ParameterKey": "Fn", "ParameterValue": fy.fns["rotator"]},
              {"ParameterKey": "Secret", "ParameterValue": arn}]
    cfn.create_stack(StackName="rotation", TemplateBody=TEMPLATE, Parameters=params)
    s = stack_done(cfn, "rotation")
    assert s["StackStatus"] == "CREATE_COMPLETE", s
    assert s["Outputs"][0]["OutputValue"] == arn
    # a new schedule rotates at once
    wait(lambda: rotated_once(sm, arn, old))
    d = sm.describe_secret(SecretId=arn)
    assert d["RotationEnabled"] and d["RotationRules"] == {"AutomaticallyAfterDays": 30}
    last = d["LastRotatedDate"]
    # an update with RotateImmediatelyOnUpdate false changes the rules only
    cfn.update_stack(StackName="rotation", TemplateBody=TEMPLATE,
                     Parameters=params + [{"ParameterKey": "Days", "ParameterValue": "7"}])
    assert stack_done(cfn, "rotation")["StackStatus"] == "UPDATE_COMPLETE"
    d = sm.describe_secret(SecretId=arn)
    assert d["RotationRules"] == {"AutomaticallyAfterDays": 7} and d["LastRotatedDate"] == last
    cfn.delete_stack(StackName="rotation")
    wait(lambda: cfn.describe_stacks(StackName=s["StackId"])["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE", 60)
    assert sm.describe_secret(SecretId=arn)["RotationEnabled"] is False


# --- schedules and restarts: a server whose rotation clock runs a day and a minute ahead ---

@pytest.fixture(scope="module")
def ahead():
    env = {**SEAMS, "FERRY_SM_ROTATION_CLOCK_OFFSET": str(86400 + 60)}
    f = Ferry().start(env=env)
    f.init()
    f.fns = make_functions(f)
    f.seams = env
    yield f
    f.close()


def test_a_due_schedule_rotates(ahead):
    sm = ahead.client("secretsmanager", "dev")
    arn = new_secret(sm)
    old = sm.get_secret_value(SecretId=arn)["VersionId"]
    r = sm.rotate_secret(SecretId=arn, RotationLambdaARN=ahead.fns["rotator"], RotateImmediately=False,
                         RotationRules={"ScheduleExpression": "rate(1 day)"})
    assert "VersionId" not in r
    # the secret is a day old by the rotation clock: its first window is open
    wait(lambda: rotated_once(sm, arn, old))
    d = raw_describe(ahead, arn)
    assert d["LastRotatedDate"] < d["NextRotationDate"]
    assert list(stages(sm, arn).values()).count(["AWSCURRENT"]) == 1


def test_the_next_window_reattempts_a_failed_rotation(ahead):
    sm = ahead.client("secretsmanager", "dev")
    arn = new_secret(sm)
    token = sm.rotate_secret(SecretId=arn, RotationLambdaARN=ahead.fns["failing"])["VersionId"]
    rotation_event(ahead, arn, "RotationFailed")
    # the function fixed (another one), rotation scheduled: its first window is open, and the
    # rotation goes on with the version the failed attempt left under AWSPENDING
    sm.rotate_secret(SecretId=arn, RotationLambdaARN=ahead.fns["rotator"], RotateImmediately=False,
                     RotationRules={"AutomaticallyAfterDays": 1})
    wait(lambda: rotated(sm, arn, token))


def test_a_rotation_interrupted_by_kill_9_goes_on(ahead):
    sm = ahead.client("secretsmanager", "dev")
    arn = new_secret(sm)
    token = sm.rotate_secret(SecretId=arn, RotationLambdaARN=ahead.fns["slow"])["VersionId"]
    wait(lambda: pending_written(sm, arn))  # createSecret done; setSecret sleeps
    ahead.stop(signal.SIGKILL)
    ahead.start(env=ahead.seams)
    sm = ahead.client("secretsmanager", "dev")
    wait(lambda: rotated(sm, arn, token), 60)
    assert "LastRotatedDate" in sm.describe_secret(SecretId=arn)
