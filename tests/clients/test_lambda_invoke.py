"""Lambda Invoke with functions that run (the functions engine): a Python and a Node function
returning their event, RequestResponse results with X-Amz-Executed-Version and LogType Tail,
an unhandled error's FunctionError and payload, Event (202), weighted aliases answering from
both versions, cross-account Invoke through the function's policy, the
function's output in CloudWatch Logs (START/END/REPORT) when its role may write logs, and
SNS delivering to a function in another account through the function's policy."""
import base64
import json
import time

import pytest
from botocore.exceptions import ClientError
from ferrytest import zipped

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}

PY = {"index.py": "import json\n\ndef handler(event, context):\n"
                  "    print('got', json.dumps(event))\n"
                  "    if isinstance(event, dict) and event.get('fail'):\n"
                  "        raise ValueError('asked to fail')\n"
                  "    return {'event': event, 'version': context.function_version}\n"}
NODE = {"index.js": "exports.handler = async (event, context) => {\n"
                    "  console.log('got', JSON.stringify(event));\n"
                    "  return { event, version: context.functionVersion };\n};\n"}


def code(exc):
    return exc.value.response["Error"]["Code"]


@pytest.fixture(scope="module")
def lam(ferry):
    return ferry.client("lambda", "dev")


@pytest.fixture(scope="module")
def role(ferry):
    iam = ferry.client("iam", "dev")
    return iam.create_role(RoleName="fn-run", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]


@pytest.fixture(scope="module", autouse=True)
def functions(lam, role):
    lam.create_function(FunctionName="py", Runtime="python3.12", Role=role, Handler="index.handler",
                        Code={"ZipFile": zipped(PY)})
    lam.create_function(FunctionName="node", Runtime="nodejs20.x", Role=role, Handler="index.handler",
                        Code={"ZipFile": zipped(NODE)})
    for name in ("py", "node"):
        lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})


@pytest.mark.parametrize("name", ["py", "node"])
def test_request_response_returns_the_event(lam, name):
    r = lam.invoke(FunctionName=name, Payload=json.dumps({"hello": name}).encode(), LogType="Tail")
    assert r["StatusCode"] == 200 and "FunctionError" not in r
    assert r["ExecutedVersion"] == "$LATEST"
    assert json.loads(r["Payload"].read()) == {"event": {"hello": name}, "version": "$LATEST"}
    assert "got" in base64.b64decode(r["LogResult"]).decode()


def test_unhandled_error(lam):
    r = lam.invoke(FunctionName="py", Payload=b'{"fail": true}')
    assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled"
    err = json.loads(r["Payload"].read())
    assert err["errorType"] == "ValueError" and err["errorMessage"] == "asked to fail"


def test_event_is_accepted(lam):
    assert lam.invoke(FunctionName="py", InvocationType="Event", Payload=b"{}")["StatusCode"] == 202


def test_weighted_alias_uses_both_versions(lam):
    lam.publish_version(FunctionName="py")
    # AWS publishes no new version for a description alone: change the environment
    lam.update_function_configuration(FunctionName="py", Environment={"Variables": {"VER": "2"}})
    lam.get_waiter("function_updated_v2").wait(FunctionName="py", WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    lam.publish_version(FunctionName="py")
    lam.create_alias(FunctionName="py", Name="canary", FunctionVersion="1",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
    seen = set()
    for _ in range(60):
        r = lam.invoke(FunctionName="py", Qualifier="canary", Payload=b"{}")
        seen.add(r["ExecutedVersion"])
        assert json.loads(r["Payload"].read())["version"] == r["ExecutedVersion"]
        if seen == {"1", "2"}:
            break
    assert seen == {"1", "2"}


def test_cross_account_invoke_through_the_policy(ferry, lam):
    qa = ferry.client("sts", "qa").get_caller_identity()["Account"]
    arn = lam.get_function_configuration(FunctionName="node")["FunctionArn"]
    qa_lam = ferry.client("lambda", "qa")
    with pytest.raises(ClientError) as e:
        qa_lam.invoke(FunctionName=arn, Payload=b"{}")
    assert code(e) == "AccessDeniedException"
    lam.add_permission(FunctionName="node", StatementId="qa", Action="lambda:InvokeFunction", Principal=qa)
    r = qa_lam.invoke(FunctionName=arn, Payload=b'{"from": "qa"}')
    assert json.loads(r["Payload"].read())["event"] == {"from": "qa"}


LOGS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
    "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]}]}


def wait_for_log(logs, group, pattern, seconds=30):
    for _ in range(seconds * 4):
        try:
            ev = logs.filter_log_events(logGroupName=group, filterPattern=pattern)["events"]
        except ClientError as e:
            if code_of(e) != "ResourceNotFoundException":
                raise
            ev = []
        if ev:
            return ev
        time.sleep(0.25)
    raise AssertionError(f"no {pattern} in {group}")


def code_of(e):
    return e.response["Error"]["Code"]


def test_output_goes_to_cloudwatch_logs_when_the_role_allows(ferry, lam, role):
    iam = ferry.client("iam", "dev")
    # without logs permissions first: its lines are dropped, and the shipper waits before it
    # tries the group again, unless IAM changes, as the policy below does
    lam.invoke(FunctionName="py", Payload=b'{"mark": "dropped-7730"}')
    time.sleep(1.0)
    iam.put_role_policy(RoleName="fn-run", PolicyName="logs", PolicyDocument=json.dumps(LOGS))
    try:
        r = lam.invoke(FunctionName="py", Payload=b'{"mark": "logged-7731"}')
        rid = r["ResponseMetadata"]["HTTPHeaders"].get("x-amz-request-id") or \
            r["ResponseMetadata"]["RequestId"]
        logs = ferry.client("logs", "dev")
        wait_for_log(logs, "/aws/lambda/py", '"logged-7731"')
        report = wait_for_log(logs, "/aws/lambda/py", f'"REPORT RequestId: {rid}"')
        assert "Billed Duration" in report[0]["message"] and "Max Memory Used" in report[0]["message"]
        starts = wait_for_log(logs, "/aws/lambda/py", f'"START RequestId: {rid}"')
        assert starts[0]["logStreamName"].endswith(starts[0]["logStreamName"][-32:])
        assert "[$LATEST]" in starts[0]["logStreamName"]
    finally:
        iam.delete_role_policy(RoleName="fn-run", PolicyName="logs")


def test_sns_delivers_to_a_function_in_another_account(ferry, lam, role):
    iam = ferry.client("iam", "dev")
    iam.put_role_policy(RoleName="fn-run", PolicyName="logs", PolicyDocument=json.dumps(LOGS))
    qa_sns = ferry.client("sns", "qa")
    topic = qa_sns.create_topic(Name="bookings")["TopicArn"]
    fn = lam.get_function_configuration(FunctionName="py")["FunctionArn"]
    lam.add_permission(FunctionName="py", StatementId="from-qa-topic", Action="lambda:InvokeFunction",
                       Principal="sns.amazonaws.com", SourceArn=topic)
    # as in seed 000: the function's account subscribes it to the other account's topic,
    # which the topic policy allows (a subscription made by its own account needs no confirming)
    dev = fn.split(":")[4]
    qa_sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": dev},
                                                "Action": "sns:Subscribe", "Resource": topic}]}))
    ferry.client("sns", "dev").subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn)
    qa_sns.publish(TopicArn=topic, Message="booking-4411")
    ev = wait_for_log(ferry.client("logs", "dev"), "/aws/lambda/py", '"booking-4411"')
    assert "aws:sns" in ev[0]["message"] and topic in ev[0]["message"]
