"""SQS event source mappings (boto3, one awscli case): the API (states, listing, AWS's
validation and the execution role check) and the pollers: AWS's SQS event, batch size,
batching window, partial batch responses, failures returned to the queue and moved to its
dead-letter queue by SQS's redrive policy, filters (filtered-out messages are deleted),
disable/enable, delete, and a batch in flight at kill -9 delivered again after the restart.

The function sends each event it gets to a sink queue; the tests read the sink."""
import hashlib
import json
import signal
import time

import pytest
from ferrytest import Ferry, code, message, zipped

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
ALLOW = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["sqs:*", "logs:*"], "Resource": "*"}]}

HANDLER = {"index.py": """
import json, os, time
import boto3
sqs = boto3.client("sqs")

def handler(event, context):
    sqs.send_message(QueueUrl=os.environ["SINK"], MessageBody=json.dumps(event))
    bodies = [r["body"] for r in event["Records"]]
    if "slow" in bodies:
        time.sleep(1)
    if "boom" in bodies:
        raise RuntimeError("boom")
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]}
                                  for r in event["Records"] if r["body"] == "bad"]}
"""}


@pytest.fixture(scope="module")
def ferry():
    f = Ferry().start(env={"FERRY_ESM_POLL_SECONDS": "1"})
    f.init()
    yield f
    f.close()


@pytest.fixture(scope="module")
def lam(ferry):
    return ferry.client("lambda", "dev")


@pytest.fixture(scope="module")
def sqs(ferry):
    return ferry.client("sqs", "dev")


@pytest.fixture(scope="module")
def roles(ferry):
    iam = ferry.client("iam", "dev")
    ok = iam.create_role(RoleName="esm-fn", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName="esm-fn", PolicyName="sqs", PolicyDocument=json.dumps(ALLOW))
    bare = iam.create_role(RoleName="esm-bare", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    return ok, bare


@pytest.fixture(scope="module")
def sink(sqs):
    return sqs.create_queue(QueueName="sink")["QueueUrl"]


@pytest.fixture(scope="module", autouse=True)
def functions(lam, roles, sink):
    for name, role in (("worker", roles[0]), ("bare", roles[1])):
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler",
                            Timeout=3, Code={"ZipFile": zipped(HANDLER)},
                            Environment={"Variables": {"SINK": sink}})
        lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})


def queue(sqs, name, visibility=3, dlq=None, receives=2):
    attrs = {"VisibilityTimeout": str(visibility)}
    if dlq:
        arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        attrs["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": receives})
    url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def events(sqs, sink, want, timeout=15):
    """The events the function got, until `want` records came (or nothing more does)."""
    got, deadline = [], time.time() + timeout
    while sum(len(e["Records"]) for e in got) < want and time.time() < deadline:
        r = sqs.receive_message(QueueUrl=sink, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in r.get("Messages", []):
            got.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=sink, ReceiptHandle=m["ReceiptHandle"])
    return got


def records(evs):
    return [r for e in evs for r in e["Records"]]


def counts(sqs, url):
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])


def drained(sqs, url, timeout=10):
    deadline = time.time() + timeout
    while counts(sqs, url) != (0, 0):
        assert time.time() < deadline, counts(sqs, url)
        time.sleep(0.1)
    return True


def test_happy_path_event_shape_and_api(lam, sqs, sink):
    # visible again only long after a cold start on a loaded machine: received once
    url, arn = queue(sqs, "orders", visibility=30)
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker")
    assert m["State"] == "Creating" and m["BatchSize"] == 10 and m["MaximumBatchingWindowInSeconds"] == 0
    assert m["EventSourceArn"] == arn and m["FunctionArn"].endswith(":function:worker")
    assert m["StateTransitionReason"] == "USER_INITIATED" and m["LastModified"]
    sqs.send_message(QueueUrl=url, MessageBody='{"order": 1}',
                     MessageAttributes={"color": {"DataType": "String", "StringValue": "blue"},
                                        "raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
    [ev] = events(sqs, sink, 1)
    [r] = ev["Records"]
    assert r["body"] == '{"order": 1}' and r["eventSource"] == "aws:sqs"
    assert r["eventSourceARN"] == arn and r["awsRegion"] == arn.split(":")[3]
    assert r["md5OfBody"] == hashlib.md5(b'{"order": 1}').hexdigest()
    assert {"ApproximateReceiveCount", "SentTimestamp", "SenderId",
            "ApproximateFirstReceiveTimestamp"} <= set(r["attributes"])
    assert r["attributes"]["ApproximateReceiveCount"] == "1"
    assert r["messageAttributes"]["color"] == {"stringValue": "blue", "stringListValues": [],
                                               "binaryListValues": [], "dataType": "String"}
    assert r["messageAttributes"]["raw"]["binaryValue"] == "AAE="
    assert r["messageId"] and r["receiptHandle"]
    assert drained(sqs, url)
    got = lam.get_event_source_mapping(UUID=m["UUID"])
    assert got["State"] == "Enabled" and got["UUID"] == m["UUID"]
    by_fn = lam.list_event_source_mappings(FunctionName="worker")["EventSourceMappings"]
    by_src = lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    assert m["UUID"] in [x["UUID"] for x in by_fn] and [x["UUID"] for x in by_src] == [m["UUID"]]
    assert lam.list_event_source_mappings(EventSourceArn=arn, FunctionName="bare")["EventSourceMappings"] == []
    lam.delete_event_source_mapping(UUID=m["UUID"])


def test_batch_size_and_paging(lam, sqs, sink):
    url, arn = queue(sqs, "batches")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(7)])
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker", BatchSize=3)
    evs = events(sqs, sink, 7)
    assert sorted(r["body"] for r in records(evs)) == sorted(f"m{i}" for i in range(7))
    assert max(len(e["Records"]) for e in evs) <= 3 and len(evs) >= 3
    assert drained(sqs, url)
    other = lam.create_event_source_mapping(EventSourceArn=queue(sqs, "batches2")[1], FunctionName="worker")
    page = lam.list_event_source_mappings(FunctionName="worker", MaxItems=1)
    assert len(page["EventSourceMappings"]) == 1 and page["NextMarker"]
    rest = lam.list_event_source_mappings(FunctionName="worker", Marker=page["NextMarker"])
    assert {x["UUID"] for x in page["EventSourceMappings"] + rest["EventSourceMappings"]} == {m["UUID"], other["UUID"]}
    lam.delete_event_source_mapping(UUID=m["UUID"])
    lam.delete_event_source_mapping(UUID=other["UUID"])


def test_batching_window_gathers_past_ten(lam, sqs, sink):
    url, arn = queue(sqs, "window")
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker", BatchSize=50,
                                        MaximumBatchingWindowInSeconds=2)
    time.sleep(0.3)
    t0 = time.time()
    for k in range(2):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"w{k}{i}"} for i in range(10)])
    evs = events(sqs, sink, 20)
    assert len(records(evs)) == 20
    # the window held the batch open: more than one receive's worth in one invocation
    assert max(len(e["Records"]) for e in evs) > 10
    assert time.time() - t0 >= 1.5
    lam.delete_event_source_mapping(UUID=m["UUID"])


def test_partial_batch_failures(lam, sqs, sink):
    dlq, _ = queue(sqs, "partial-dlq")
    url, arn = queue(sqs, "partial", dlq=dlq, receives=2)
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": b}
                                                  for i, b in enumerate(["ok1", "bad", "ok2"])])
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker",
                                        FunctionResponseTypes=["ReportBatchItemFailures"])
    assert m["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    evs = events(sqs, sink, 4, timeout=20)
    bodies = [r["body"] for r in records(evs)]
    # ok1 and ok2 were deleted after the first invocation; bad came back once more
    assert sorted(bodies) == ["bad", "bad", "ok1", "ok2"], bodies
    again = [r for r in records(evs) if r["body"] == "bad"][-1]
    assert again["attributes"]["ApproximateReceiveCount"] == "2"
    dead = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=10).get("Messages", [])
    assert [d["Body"] for d in dead] == ["bad"]
    lam.delete_event_source_mapping(UUID=m["UUID"])


def test_errors_return_to_queue_and_redrive_to_dlq(lam, sqs, sink):
    dlq, _ = queue(sqs, "boom-dlq")
    url, arn = queue(sqs, "boom", dlq=dlq, receives=2)
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker")
    sqs.send_message(QueueUrl=url, MessageBody="boom")
    evs = events(sqs, sink, 2, timeout=20)
    assert [r["attributes"]["ApproximateReceiveCount"] for r in records(evs)] == ["1", "2"]
    dead = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=10).get("Messages", [])
    assert [d["Body"] for d in dead] == ["boom"]
    lam.delete_event_source_mapping(UUID=m["UUID"])


def test_filters_deliver_matches_and_delete_the_rest(lam, sqs, sink):
    url, arn = queue(sqs, "filtered")
    m = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="worker",
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"body": {"kind": ["keep"]}})},
                                    {"Pattern": json.dumps({"messageAttributes": {"tag": {"stringValue": ["yes"]}}})}]})
    assert len(m["FilterCriteria"]["Filters"]) == 2
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "drop"}))
    sqs.send_message(QueueUrl=url, MessageBody="plain text")
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "keep"}))
    sqs.send_message(QueueUrl=url, MessageBody="tagged",
                     MessageAttributes={"tag": {"DataType": "String", "StringValue": "yes"}})
    evs = events(sqs, sink, 2)
    assert sorted(r["body"] for r in records(evs)) == sorted([json.dumps({"kind": "keep"}), "tagged"])
    assert drained(sqs, url)  # filtered-out messages are deleted, as AWS does
    assert events(sqs, sink, 1, timeout=1) == []
    lam.delete_event_source_mapping(UUID=m["UUID"])


def test_disable_enable_and_delete(lam, sqs, sink):
    url, arn = queue(sqs, "toggle")
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker", Enabled=False)
    assert lam.get_event_source_mapping(UUID=m["UUID"])["State"] == "Disabled"
    sqs.send_message(QueueUrl=url, MessageBody="while-disabled")
    assert events(sqs, sink, 1, timeout=1.5) == []
    assert counts(sqs, url) == (1, 0)
    u = lam.update_event_source_mapping(UUID=m["UUID"], Enabled=True, BatchSize=5)
    assert u["State"] == "Enabling" and u["BatchSize"] == 5
    assert [r["body"] for r in records(events(sqs, sink, 1))] == ["while-disabled"]
    u = lam.update_event_source_mapping(UUID=m["UUID"], Enabled=False)
    assert u["State"] == "Disabling"
    assert lam.get_event_source_mapping(UUID=m["UUID"])["State"] == "Disabled"
    u = lam.update_event_source_mapping(UUID=m["UUID"], Enabled=True)
    d = lam.delete_event_source_mapping(UUID=m["UUID"])
    assert d["State"] == "Deleting" and d["UUID"] == m["UUID"]
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_event_source_mapping(UUID=m["UUID"])
    sqs.send_message(QueueUrl=url, MessageBody="after-delete")
    assert events(sqs, sink, 1, timeout=1.5) == []
    # a receive the deleted mapping's poller had under way returns the message when its
    # visibility ends (3 s); nothing consumes it
    deadline = time.time() + 8
    while counts(sqs, url) != (1, 0):
        assert time.time() < deadline, counts(sqs, url)
        time.sleep(0.2)
    assert events(sqs, sink, 1, timeout=0.5) == []


def test_validation_errors(lam, sqs, ferry):
    _, arn = queue(sqs, "invalid")
    cases = [
        (dict(BatchSize=11), "InvalidParameterValueException",
         "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"),
        (dict(MaximumBatchingWindowInSeconds=301), "ValidationException", None),
        (dict(BatchSize=10001, MaximumBatchingWindowInSeconds=1), "ValidationException", None),
        (dict(FilterCriteria={"Filters": [{"Pattern": "{not json"}]}), "InvalidParameterValueException",
         "Invalid filter pattern definition."),
        (dict(FunctionName="bare"), "InvalidParameterValueException",
         "The function execution role does not have permissions to call ReceiveMessage on SQS"),
        (dict(FunctionName="missing"), "ResourceNotFoundException", None),
        (dict(EventSourceArn="arn:aws:kinesis:us-east-1:123456789012:stream/s"), "InvalidParameterValueException", None),
    ]
    for kw, want, msg in cases:
        args = {"EventSourceArn": arn, "FunctionName": "worker", **kw}
        with pytest.raises(Exception) as e:
            lam.create_event_source_mapping(**args)
        assert code(e) == want, (kw, e.value)
        if msg:
            assert message(e) == msg
    # a queue whose visibility timeout is shorter than the function's timeout
    _, short = queue(sqs, "short-visibility", visibility=1)
    with pytest.raises(Exception) as e:
        lam.create_event_source_mapping(EventSourceArn=short, FunctionName="worker")
    assert message(e) == "Queue visibility timeout: 1 seconds is less than Function timeout: 3 seconds"
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker", Enabled=False)
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker")
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.update_event_source_mapping(UUID=m["UUID"], BatchSize=100)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.delete_event_source_mapping(UUID="00000000-0000-0000-0000-000000000000")
    lam.delete_event_source_mapping(UUID=m["UUID"])
    # authorization: a user without lambda:CreateEventSourceMapping is refused
    c = ferry.user_client("lambda", "dev", "esm-nobody",
                          {"Version": "2012-10-17", "Statement": [
                              {"Effect": "Allow", "Action": "lambda:GetFunction", "Resource": "*"}]})
    with pytest.raises(Exception) as e:
        c.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker")
    assert code(e) == "AccessDeniedException"


def test_awscli_create_and_list(ferry, sqs):
    _, arn = queue(sqs, "cli")
    r = ferry.aws("lambda", "create-event-source-mapping", "--function-name", "worker",
                  "--event-source-arn", arn, "--batch-size", "5", "--no-enabled", profile="dev")
    assert r.json["BatchSize"] == 5 and r.json["State"] == "Creating"
    r = ferry.aws("lambda", "list-event-source-mappings", "--event-source-arn", arn, profile="dev")
    assert [m["State"] for m in r.json["EventSourceMappings"]] == ["Disabled"]


def test_cloudformation_event_source_mapping(ferry, lam, sqs, sink):
    from test_cfn_providers import Stacks, out
    stacks = Stacks(ferry)

    def tpl(batch, enabled=True):
        return {"Resources": {
            "Q": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 5}},
            "Map": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
                "FunctionName": "worker", "EventSourceArn": {"Fn::GetAtt": ["Q", "Arn"]},
                "BatchSize": batch, "Enabled": enabled,
                "FunctionResponseTypes": ["ReportBatchItemFailures"]}}},
            "Outputs": out(("Ref", {"Ref": "Map"}), ("Id", {"Fn::GetAtt": ["Map", "Id"]}),
                           ("Queue", {"Ref": "Q"}))}
    s = stacks.deploy("esm-stack", tpl(4))
    uuid = s["Out"]["Ref"]
    assert s["Out"]["Id"] == uuid
    m = lam.get_event_source_mapping(UUID=uuid)
    assert m["BatchSize"] == 4 and m["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    sqs.send_message(QueueUrl=s["Out"]["Queue"], MessageBody="via-cfn")
    assert [r["body"] for r in records(events(sqs, sink, 1))] == ["via-cfn"]
    s = stacks.deploy("esm-stack", tpl(7, enabled=False), update=True)
    m = lam.get_event_source_mapping(UUID=uuid)
    assert m["BatchSize"] == 7 and m["State"] == "Disabled"
    stacks.delete(s)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_event_source_mapping(UUID=uuid)


def test_kill9_batch_in_flight_is_delivered_again(ferry, lam, sqs, sink):
    url, arn = queue(sqs, "crash", visibility=4)
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker")
    sqs.send_message(QueueUrl=url, MessageBody="slow")
    [first] = records(events(sqs, sink, 1))  # the function has it, and sleeps
    ferry.proc.send_signal(signal.SIGKILL)
    ferry.proc.wait()
    ferry.start(env={"FERRY_ESM_POLL_SECONDS": "1"})
    evs = events(ferry.client("sqs", "dev"), sink, 1, timeout=20)
    again = records(evs)[0]  # (a cold start slower than the visibility may add a third)
    assert again["messageId"] == first["messageId"]
    assert int(again["attributes"]["ApproximateReceiveCount"]) >= 2
    c = ferry.client("sqs", "dev")
    assert drained(c, url, timeout=25)
    ferry.client("lambda", "dev").delete_event_source_mapping(UUID=m["UUID"])
