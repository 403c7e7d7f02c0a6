"""Lambda asynchronous invocation (engine/lambda_async.c, svc/lambda/async.c): Event
invocations queued durably before the 202 and run after a kill -9 and restart, AWS's
retries after function errors, the maximum event age, the EventInvokeConfig API and its
validation, OnSuccess/OnFailure destinations with AWS's invocation record, the function's
DeadLetterConfig with AWS's message attributes, throttled events kept until they age out,
a destination in another account through its policy, and SNS subscriptions and S3 notifications
going through the same queue, and CloudFormation's AWS::Lambda::EventInvokeConfig. The functions write to SQS so the tests can watch them; the
server runs with FERRY_LAMBDA_ASYNC_TIME_SCALE=0.01 (AWS's minute between retries: 0.6 s)."""
import json
import signal
import time

import pytest
from ferrytest import Ferry, raises, zipped

SCALE = {"FERRY_LAMBDA_ASYNC_TIME_SCALE": "0.01"}

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
# the execution role sends to the queues and topics (the function's own writes, its
# destinations and dead-letter queue: AWS uses the role's permissions for all of them)
SEND = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
    "sqs:SendMessage", "sns:Publish", "lambda:InvokeFunction"]}]}

CODE = {"index.py": """import json, os, time
import boto3

sqs = boto3.client("sqs")


def handler(event, context):
    if isinstance(event, dict) and event.get("sleep"):
        time.sleep(event["sleep"])
    sqs.send_message(QueueUrl=os.environ["OUT"],
                     MessageBody=json.dumps({"event": event, "rid": context.aws_request_id}))
    if isinstance(event, dict) and event.get("fail"):
        raise ValueError("asked to fail")
    return {"ok": event.get("n") if isinstance(event, dict) else None}
"""}


@pytest.fixture(scope="module")
def fx():
    f = Ferry().start(env=SCALE)
    f.init()
    yield f
    f.close()


@pytest.fixture(scope="module")
def lam(fx):
    return fx.client("lambda", "dev")


@pytest.fixture(scope="module")
def sqs(fx):
    return fx.client("sqs", "dev")


@pytest.fixture(scope="module")
def role(fx):
    iam = fx.client("iam", "dev")
    arn = iam.create_role(RoleName="async-run", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName="async-run", PolicyName="send", PolicyDocument=json.dumps(SEND))
    return arn


def queue(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def function(lam, role, sqs, name, **kw):
    out, _ = queue(sqs, name + "-out")
    arn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler",
                              Code={"ZipFile": zipped(CODE)}, Environment={"Variables": {"OUT": out}},
                              Timeout=30, **kw)["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    return arn, out


def receive(sqs, url, n, seconds=20, attrs=False):
    got = []
    deadline = time.time() + seconds
    while len(got) < n and time.time() < deadline:
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                MessageAttributeNames=["All"] if attrs else [])
        for m in r.get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            got.append(m if attrs else json.loads(m["Body"]))
    return got


def test_event_runs_the_function(lam, role, sqs):
    _, out = function(lam, role, sqs, "plain")
    r = lam.invoke(FunctionName="plain", InvocationType="Event", Payload=b'{"n": 1}')
    assert r["StatusCode"] == 202
    rid = r["ResponseMetadata"]["RequestId"]
    [m] = receive(sqs, out, 1)
    # AWS: the invocation's request id is the Invoke's
    assert m == {"event": {"n": 1}, "rid": rid}


def test_accepted_events_survive_kill9(fx, lam, role, sqs):
    _, out = function(lam, role, sqs, "slow")
    for n in range(3):
        assert lam.invoke(FunctionName="slow", InvocationType="Event",
                          Payload=json.dumps({"n": n, "sleep": 1.5}).encode())["StatusCode"] == 202
    time.sleep(0.3)  # the first ones are running, none has finished
    fx.stop(signal.SIGKILL)
    fx.start(env=SCALE)
    got = receive(fx.client("sqs", "dev"), out, 3, seconds=30)
    assert sorted(m["event"]["n"] for m in got) == [0, 1, 2]


def test_event_invoke_config_api(lam, role, sqs):
    arn, _ = function(lam, role, sqs, "cfg")
    latest = arn + ":$LATEST"
    raises(lam.get_function_event_invoke_config, "ResourceNotFoundException",
           f"The function {latest} doesn't have an EventInvokeConfig", FunctionName="cfg")
    raises(lam.update_function_event_invoke_config, "ResourceNotFoundException",
           f"The function {latest} doesn't have an EventInvokeConfig", FunctionName="cfg",
           MaximumRetryAttempts=1)
    _, qarn = queue(sqs, "cfg-dest")
    r = lam.put_function_event_invoke_config(FunctionName="cfg", MaximumRetryAttempts=1,
                                             DestinationConfig={"OnFailure": {"Destination": qarn}})
    assert r["FunctionArn"] == latest and r["MaximumRetryAttempts"] == 1
    assert r["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {"Destination": qarn}}
    assert "MaximumEventAgeInSeconds" not in r and r["LastModified"]
    # Update keeps what it does not name; Put replaces the whole configuration
    r = lam.update_function_event_invoke_config(FunctionName="cfg", MaximumEventAgeInSeconds=300)
    assert r["MaximumRetryAttempts"] == 1 and r["MaximumEventAgeInSeconds"] == 300
    assert r["DestinationConfig"]["OnFailure"] == {"Destination": qarn}
    g = lam.get_function_event_invoke_config(FunctionName="cfg")
    assert g["MaximumEventAgeInSeconds"] == 300 and g["FunctionArn"] == latest
    lam.publish_version(FunctionName="cfg")
    lam.put_function_event_invoke_config(FunctionName="cfg", Qualifier="1", MaximumRetryAttempts=0)
    listed = lam.list_function_event_invoke_configs(FunctionName="cfg")["FunctionEventInvokeConfigs"]
    assert sorted(c["FunctionArn"] for c in listed) == sorted([latest, arn + ":1"])
    raises(lam.put_function_event_invoke_config, "ResourceNotFoundException", FunctionName="cfg",
           Qualifier="7", MaximumRetryAttempts=0)
    raises(lam.put_function_event_invoke_config, "ValidationException", FunctionName="cfg",
           MaximumRetryAttempts=3)
    raises(lam.put_function_event_invoke_config, "ValidationException", FunctionName="cfg",
           MaximumEventAgeInSeconds=21601)
    raises(lam.put_function_event_invoke_config, "InvalidParameterValueException", FunctionName="cfg",
           DestinationConfig={"OnSuccess": {"Destination": "arn:aws:ec2:us-east-1:123456789012:thing"}})
    lam.delete_function_event_invoke_config(FunctionName="cfg", Qualifier="1")
    raises(lam.delete_function_event_invoke_config, "ResourceNotFoundException", FunctionName="cfg",
           Qualifier="1")
    listed = lam.list_function_event_invoke_configs(FunctionName="cfg")["FunctionEventInvokeConfigs"]
    assert [c["FunctionArn"] for c in listed] == [latest]


def test_retries_then_on_failure_record(lam, role, sqs):
    arn, out = function(lam, role, sqs, "flaky")
    ok_url, ok_arn = queue(sqs, "flaky-ok")
    fail_url, fail_arn = queue(sqs, "flaky-failed")
    lam.put_function_event_invoke_config(
        FunctionName="flaky", MaximumRetryAttempts=1,
        DestinationConfig={"OnSuccess": {"Destination": ok_arn}, "OnFailure": {"Destination": fail_arn}})
    r = lam.invoke(FunctionName="flaky", InvocationType="Event", Payload=b'{"n": 5, "fail": true}')
    rid = r["ResponseMetadata"]["RequestId"]
    runs = receive(sqs, out, 2)
    assert [m["event"]["n"] for m in runs] == [5, 5] and {m["rid"] for m in runs} == {rid}
    [rec] = receive(sqs, fail_url, 1)
    assert rec["version"] == "1.0" and rec["timestamp"].endswith("Z")
    assert rec["requestContext"] == {"requestId": rid, "functionArn": arn + ":$LATEST",
                                     "condition": "RetriesExhausted", "approximateInvokeCount": 2}
    assert rec["requestPayload"] == {"n": 5, "fail": True}
    assert rec["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST",
                                      "functionError": "Unhandled"}
    assert rec["responsePayload"]["errorMessage"] == "asked to fail"
    # and a success goes to OnSuccess
    lam.invoke(FunctionName="flaky", InvocationType="Event", Payload=b'{"n": 6}')
    [rec] = receive(sqs, ok_url, 1)
    assert rec["requestContext"]["condition"] == "Success"
    assert rec["requestContext"]["approximateInvokeCount"] == 1
    assert rec["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert rec["responsePayload"] == {"ok": 6}
    assert receive(sqs, fail_url, 1, seconds=1) == []


def test_default_is_two_retries_and_the_dead_letter_queue(lam, role, sqs):
    dlq_url, dlq_arn = queue(sqs, "dead-letters")
    _, out = function(lam, role, sqs, "doomed", DeadLetterConfig={"TargetArn": dlq_arn})
    assert lam.get_function_configuration(FunctionName="doomed")["DeadLetterConfig"] == {"TargetArn": dlq_arn}
    r = lam.invoke(FunctionName="doomed", InvocationType="Event", Payload=b'{"n": 9, "fail": true}')
    rid = r["ResponseMetadata"]["RequestId"]
    assert len(receive(sqs, out, 3)) == 3  # AWS: the first attempt and two retries
    [m] = receive(sqs, dlq_url, 1, attrs=True)
    assert json.loads(m["Body"]) == {"n": 9, "fail": True}
    a = m["MessageAttributes"]
    assert a["RequestID"] == {"StringValue": rid, "DataType": "String"}
    assert a["ErrorCode"] == {"StringValue": "200", "DataType": "Number"}
    assert a["ErrorMessage"] == {"StringValue": "asked to fail", "DataType": "String"}
    assert receive(sqs, out, 1, seconds=1) == []  # no fourth attempt
    raises(lam.update_function_configuration, "InvalidParameterValueException", FunctionName="doomed",
           DeadLetterConfig={"TargetArn": "arn:aws:s3:::a-bucket"})


def test_dead_letter_target_needs_the_roles_permission(fx, lam, role, sqs):
    """AWS checks the execution role may send to the dead-letter target before it takes the
    configuration: by the role's own policies, or by the target's policy across accounts."""
    iam = fx.client("iam", "dev")
    mute = iam.create_role(RoleName="async-mute", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    _, dlq_arn = queue(sqs, "mute-dead-letters")
    raises(lam.create_function, "InvalidParameterValueException",
           "The provided execution role does not have permissions to call SendMessage on SQS",
           FunctionName="mute", Runtime="python3.12", Role=mute, Handler="index.handler",
           Code={"ZipFile": zipped(CODE)}, DeadLetterConfig={"TargetArn": dlq_arn})
    topic = fx.client("sns", "dev").create_topic(Name="mute-dead-letters")["TopicArn"]
    function(lam, role, sqs, "mute2")
    lam.update_function_configuration(FunctionName="mute2", Role=mute)
    raises(lam.update_function_configuration, "InvalidParameterValueException",
           "The provided execution role does not have permissions to call Publish on SNS",
           FunctionName="mute2", DeadLetterConfig={"TargetArn": topic})
    # another account's queue: the role's permission is not enough without the queue's
    qa_sqs = fx.client("sqs", "qa")
    qa_url = qa_sqs.create_queue(QueueName="shared-dead-letters")["QueueUrl"]
    qa_arn = qa_sqs.get_queue_attributes(QueueUrl=qa_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    raises(lam.update_function_configuration, "InvalidParameterValueException",
           FunctionName="doomed", DeadLetterConfig={"TargetArn": qa_arn})
    qa_sqs.set_queue_attributes(QueueUrl=qa_url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": role},
                                                "Action": "sqs:SendMessage", "Resource": qa_arn}]})})
    lam.update_function_configuration(FunctionName="doomed", DeadLetterConfig={"TargetArn": qa_arn})


def test_event_older_than_its_maximum_age_is_given_up(lam, role, sqs):
    _, out = function(lam, role, sqs, "aging")
    fail_url, fail_arn = queue(sqs, "aging-failed")
    # 60 s (scaled: 0.6 s) is less than the minute before the first retry
    lam.put_function_event_invoke_config(FunctionName="aging", MaximumEventAgeInSeconds=60,
                                         DestinationConfig={"OnFailure": {"Destination": fail_arn}})
    lam.invoke(FunctionName="aging", InvocationType="Event", Payload=b'{"fail": true}')
    [rec] = receive(sqs, fail_url, 1)
    assert rec["requestContext"]["condition"] == "EventAgeExceeded"
    assert rec["requestContext"]["approximateInvokeCount"] == 1
    assert len(receive(sqs, out, 2, seconds=2)) == 1


def test_sns_subscription_goes_through_the_queue(fx, lam, role, sqs):
    arn, out = function(lam, role, sqs, "from-sns")
    ok_url, ok_arn = queue(sqs, "from-sns-ok")
    lam.put_function_event_invoke_config(FunctionName="from-sns",
                                         DestinationConfig={"OnSuccess": {"Destination": ok_arn}})
    sns = fx.client("sns", "dev")
    topic = sns.create_topic(Name="async-topic")["TopicArn"]
    lam.add_permission(FunctionName="from-sns", StatementId="sns", Action="lambda:InvokeFunction",
                       Principal="sns.amazonaws.com", SourceArn=topic)
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="hello-async")
    [m] = receive(sqs, out, 1)
    assert m["event"]["Records"][0]["Sns"]["TopicArn"] == topic
    # SNS handed the event to the queue: the function's destinations report it
    [rec] = receive(sqs, ok_url, 1)
    assert rec["requestContext"]["condition"] == "Success"
    assert rec["requestPayload"]["Records"][0]["Sns"]["Message"] == "hello-async"


def test_s3_notification_goes_through_the_queue(fx, lam, role, sqs):
    arn, out = function(lam, role, sqs, "from-s3")
    s3 = fx.client("s3", "dev")
    s3.create_bucket(Bucket="async-uploads")
    lam.add_permission(FunctionName="from-s3", StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::async-uploads")
    s3.put_bucket_notification_configuration(Bucket="async-uploads", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
    s3.put_object(Bucket="async-uploads", Key="a.txt", Body=b"x")
    [m] = receive(sqs, out, 1)
    assert m["event"]["Records"][0]["s3"]["object"]["key"] == "a.txt"


def test_awscli_put_function_event_invoke_config(fx, lam, role, sqs):
    function(lam, role, sqs, "cli")
    r = fx.aws("lambda", "put-function-event-invoke-config", "--function-name", "cli",
               "--maximum-retry-attempts", "0", "--maximum-event-age-in-seconds", "3600", profile="dev").json
    assert r["MaximumRetryAttempts"] == 0 and r["MaximumEventAgeInSeconds"] == 3600
    p = fx.aws("lambda", "put-function-event-invoke-config", "--function-name", "cli",
               "--maximum-retry-attempts", "5", profile="dev", check=False)
    assert p.returncode != 0 and "ValidationException" in p.stderr


def test_invoke_event_in_the_trail_as_a_write(fx):
    # an Event invocation writes its queue record: CloudTrail records it as a write
    ct = fx.client("cloudtrail", "dev")
    ev = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "Invoke"}])
    assert any(json.loads(e["CloudTrailEvent"]).get("readOnly") is False for e in ev["Events"])



def test_cloudformation_event_invoke_config(fx, lam, role, sqs):
    arn, _ = function(lam, role, sqs, "stacked")
    _, qarn = queue(sqs, "stacked-failed")
    cfn = fx.client("cloudformation", "dev")

    def tpl(retries):
        return json.dumps({"Resources": {"Cfg": {"Type": "AWS::Lambda::EventInvokeConfig", "Properties": {
            "FunctionName": "stacked", "Qualifier": "$LATEST", "MaximumRetryAttempts": retries,
            "DestinationConfig": {"OnFailure": {"Destination": qarn}}}}},
            "Outputs": {"Id": {"Value": {"Ref": "Cfg"}}}})

    wait = {"Delay": 1, "MaxAttempts": 30}
    cfn.create_stack(StackName="eic", TemplateBody=tpl(1))
    cfn.get_waiter("stack_create_complete").wait(StackName="eic", WaiterConfig=wait)
    [o] = cfn.describe_stacks(StackName="eic")["Stacks"][0]["Outputs"]
    assert o["OutputValue"] == arn + ":$LATEST"
    g = lam.get_function_event_invoke_config(FunctionName="stacked")
    assert g["MaximumRetryAttempts"] == 1 and g["DestinationConfig"]["OnFailure"] == {"Destination": qarn}
    cfn.update_stack(StackName="eic", TemplateBody=tpl(0))
    cfn.get_waiter("stack_update_complete").wait(StackName="eic", WaiterConfig=wait)
    assert lam.get_function_event_invoke_config(FunctionName="stacked")["MaximumRetryAttempts"] == 0
    cfn.delete_stack(StackName="eic")
    cfn.get_waiter("stack_delete_complete").wait(StackName="eic", WaiterConfig=wait)
    raises(lam.get_function_event_invoke_config, "ResourceNotFoundException", FunctionName="stacked")


def test_throttled_events_age_out_to_on_failure_and_dlq(lam, role, sqs):
    _, out = function(lam, role, sqs, "throttled")
    fail_url, fail_arn = queue(sqs, "throttled-failed")
    dlq_url, dlq_arn = queue(sqs, "throttled-dlq")
    lam.put_function_concurrency(FunctionName="throttled", ReservedConcurrentExecutions=0)
    lam.update_function_configuration(FunctionName="throttled", DeadLetterConfig={"TargetArn": dlq_arn})
    lam.get_waiter("function_updated_v2").wait(FunctionName="throttled", WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    lam.put_function_event_invoke_config(FunctionName="throttled", MaximumEventAgeInSeconds=60,
                                         DestinationConfig={"OnFailure": {"Destination": fail_arn}})
    # AWS: throttled events are kept and retried (not counted as retries) until they age out
    assert lam.invoke(FunctionName="throttled", InvocationType="Event", Payload=b'{"n": 3}')["StatusCode"] == 202
    [rec] = receive(sqs, fail_url, 1)
    assert rec["requestContext"]["condition"] == "EventAgeExceeded"
    assert rec["requestContext"]["approximateInvokeCount"] == 0 and "responseContext" not in rec
    [m] = receive(sqs, dlq_url, 1, attrs=True)
    assert m["MessageAttributes"]["ErrorCode"]["StringValue"] == "429"
    assert receive(sqs, out, 1, seconds=1) == []


def test_destination_in_another_account_through_its_policy(fx, lam, role, sqs):
    _, out = function(lam, role, sqs, "crossing")
    qa_sqs = fx.client("sqs", "qa")
    url, qarn = queue(qa_sqs, "from-dev")
    # the configuration is refused while the queue's policy does not allow the role
    raises(lam.put_function_event_invoke_config, "InvalidParameterValueException",
           FunctionName="crossing", DestinationConfig={"OnSuccess": {"Destination": qarn}})
    allow = json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": role},
                                                "Action": "sqs:SendMessage", "Resource": qarn}]})
    qa_sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": allow})
    lam.put_function_event_invoke_config(FunctionName="crossing",
                                         DestinationConfig={"OnSuccess": {"Destination": qarn}})
    # the policy withdrawn afterwards: each delivery is authorized again
    qa_sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    lam.invoke(FunctionName="crossing", InvocationType="Event", Payload=b'{"n": 1}')
    receive(sqs, out, 1)
    assert receive(qa_sqs, url, 1, seconds=2) == []  # the queue's policy does not allow the role
    qa_sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": allow})
    lam.invoke(FunctionName="crossing", InvocationType="Event", Payload=b'{"n": 2}')
    [rec] = receive(qa_sqs, url, 1)
    assert rec["requestPayload"] == {"n": 2} and rec["requestContext"]["condition"] == "Success"


def test_alias_has_its_own_config(lam, role, sqs):
    arn, out = function(lam, role, sqs, "aliased")
    ok_url, ok_arn = queue(sqs, "aliased-ok")
    lam.publish_version(FunctionName="aliased")
    lam.create_alias(FunctionName="aliased", Name="live", FunctionVersion="1")
    lam.put_function_event_invoke_config(FunctionName="aliased", Qualifier="live",
                                         DestinationConfig={"OnSuccess": {"Destination": ok_arn}})
    lam.invoke(FunctionName="aliased", InvocationType="Event", Payload=b'{"n": 1}')  # $LATEST: no config
    lam.invoke(FunctionName="aliased", Qualifier="live", InvocationType="Event", Payload=b'{"n": 2}')
    assert len(receive(sqs, out, 2)) == 2
    [rec] = receive(sqs, ok_url, 1)
    assert rec["requestContext"]["functionArn"] == arn + ":live"
    assert rec["responseContext"]["executedVersion"] == "1" and rec["requestPayload"] == {"n": 2}
    assert receive(sqs, ok_url, 1, seconds=1) == []
