"""DynamoDB Streams through boto3: enabling and disabling a table's stream (AWS's refusals),
the records of every kind of write for each view type (none for a write that changes
nothing; TTL deletions made by the service), the Streams API (ListStreams, DescribeStream,
shard iterators of each type, GetRecords paging, expired and trimmed iterators), Lambda
event source mappings on a stream (the event, order, the role check, retries with
bisection and the on-failure destination), and CloudFormation (a table's StreamArn feeding
a mapping). Functions send each event they get to a sink queue; the tests read the sink."""
import json
import signal
import time

import pytest
from ferrytest import Ferry, raises, zipped

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
ALLOW = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["sqs:*", "logs:*", "dynamodb:*"], "Resource": "*"}]}
HANDLER = {"index.py": """
import json, os
import boto3
sqs = boto3.client("sqs")

def handler(event, context):
    sqs.send_message(QueueUrl=os.environ["SINK"], MessageBody=json.dumps(event))
    if any("boom" in json.dumps(r["dynamodb"].get("NewImage", {})) for r in event["Records"]):
        raise RuntimeError("boom")
    return {"batchItemFailures": []}
"""}
VIEWS = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]


ENV = {"FERRY_ESM_POLL_SECONDS": "1", "FERRY_DYNAMODB_TTL_INTERVAL": "0.3",
       "FERRY_DYNAMODB_STREAMS_ITERATOR_SECONDS": "3"}


@pytest.fixture(scope="module")
def ferry():
    f = Ferry().start(env=ENV)
    f.init()
    yield f
    f.close()


@pytest.fixture(scope="module")
def ddb(ferry):
    return ferry.client("dynamodb", "dev")


@pytest.fixture(scope="module")
def streams(ferry):
    return ferry.client("dynamodbstreams", "dev")


@pytest.fixture(scope="module")
def sqs(ferry):
    return ferry.client("sqs", "dev")


@pytest.fixture(scope="module")
def lam(ferry):
    return ferry.client("lambda", "dev")


def table(ddb, name, view=None, range_=False):
    ks = [{"AttributeName": "pk", "KeyType": "HASH"}]
    ad = [{"AttributeName": "pk", "AttributeType": "S"}]
    if range_:
        ks.append({"AttributeName": "sk", "KeyType": "RANGE"})
        ad.append({"AttributeName": "sk", "AttributeType": "N"})
    kw = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": view}} if view else {}
    return ddb.create_table(TableName=name, KeySchema=ks, AttributeDefinitions=ad,
                            BillingMode="PAY_PER_REQUEST", **kw)["TableDescription"]


def shard_of(streams, arn):
    return streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]


def read_all(streams, arn, kind="TRIM_HORIZON", **kw):
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_of(streams, arn),
                                    ShardIteratorType=kind, **kw)["ShardIterator"]
    return streams.get_records(ShardIterator=it)["Records"]


def S(v):
    return {"S": v}


def test_enable_disable_and_describe(ddb, streams):
    d = table(ddb, "plain")
    assert "LatestStreamArn" not in d and "StreamSpecification" not in d
    raises(ddb.update_table, "ValidationException", "Table has no stream to disable: TableName: plain",
           TableName="plain", StreamSpecification={"StreamEnabled": False})
    t = ddb.update_table(TableName="plain", StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})["TableDescription"]
    arn, label = t["LatestStreamArn"], t["LatestStreamLabel"]
    assert arn == f"{t['TableArn']}/stream/{label}" and len(label) == 23 and label[10] == "T"
    assert t["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    # AWS: an enabled stream's view type never changes, and a stream is enabled once
    raises(ddb.update_table, "ValidationException", "Table already has an enabled stream: TableName: plain",
           TableName="plain", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    raises(ddb.update_table, "ValidationException",
           "One or more parameter values were invalid: If stream is being disabled, then "
           "UpdateViewType must not be specified",
           TableName="plain", StreamSpecification={"StreamEnabled": False, "StreamViewType": "KEYS_ONLY"})
    raises(ddb.create_table, "ValidationException", TableName="bad",
           KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
           BillingMode="PAY_PER_REQUEST", StreamSpecification={"StreamEnabled": True})
    sd = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert sd["StreamStatus"] == "ENABLED" and sd["StreamViewType"] == "KEYS_ONLY"
    assert sd["TableName"] == "plain" and sd["KeySchema"] == t["KeySchema"] and sd["StreamLabel"] == label
    [sh] = sd["Shards"]
    assert sh["ShardId"].startswith("shardId-") and "EndingSequenceNumber" not in sh["SequenceNumberRange"]
    ddb.put_item(TableName="plain", Item={"pk": S("a")})
    ddb.update_table(TableName="plain", StreamSpecification={"StreamEnabled": False})
    t = ddb.describe_table(TableName="plain")["Table"]
    assert t["LatestStreamArn"] == arn and "StreamSpecification" not in t
    sd = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    rng = sd["Shards"][0]["SequenceNumberRange"]
    assert sd["StreamStatus"] == "DISABLED" and rng["EndingSequenceNumber"] >= rng["StartingSequenceNumber"]
    ddb.put_item(TableName="plain", Item={"pk": S("b")})  # no stream: no record
    [rec] = read_all(streams, arn)
    assert rec["dynamodb"]["Keys"] == {"pk": S("a")} and rec["dynamodb"]["SequenceNumber"] == rng["EndingSequenceNumber"]
    # a closed shard read to its end has no next iterator
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=sh["ShardId"], ShardIteratorType="LATEST")["ShardIterator"]
    assert "NextShardIterator" not in streams.get_records(ShardIterator=it)
    time.sleep(0.002)
    t2 = ddb.update_table(TableName="plain", StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"]
    assert t2["LatestStreamArn"] != arn
    ls = streams.list_streams(TableName="plain")["Streams"]
    assert [s["StreamArn"] for s in ls] == [arn, t2["LatestStreamArn"]]
    assert ls[0] == {"StreamArn": arn, "TableName": "plain", "StreamLabel": label}
    page = streams.list_streams(Limit=1)
    assert len(page["Streams"]) == 1 and page["LastEvaluatedStreamArn"] == page["Streams"][0]["StreamArn"]
    rest = streams.list_streams(ExclusiveStartStreamArn=page["LastEvaluatedStreamArn"])["Streams"]
    assert page["Streams"][0] not in rest and len(rest) >= 1
    raises(streams.describe_stream, "ResourceNotFoundException", StreamArn=arn[:-3] + "999")
    raises(streams.list_streams, "ResourceNotFoundException", TableName="nope")


@pytest.mark.parametrize("view", VIEWS)
def test_records_of_every_write(ddb, streams, view):
    name = f"rec-{view.lower().replace('_', '-')}"
    arn = table(ddb, name, view, range_=True)["LatestStreamArn"]
    k1 = {"pk": S("a"), "sk": {"N": "1"}}
    ddb.put_item(TableName=name, Item={**k1, "v": S("one")})
    ddb.put_item(TableName=name, Item={**k1, "v": S("one")})  # unchanged: no record
    ddb.update_item(TableName=name, Key=k1, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": S("two")})
    ddb.update_item(TableName=name, Key=k1, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": S("two")})  # unchanged
    ddb.delete_item(TableName=name, Key=k1)
    ddb.delete_item(TableName=name, Key=k1)  # nothing to delete
    ddb.batch_write_item(RequestItems={name: [
        {"PutRequest": {"Item": {"pk": S("b"), "sk": {"N": "2"}}}},
        {"PutRequest": {"Item": {"pk": S("c"), "sk": {"N": "3"}}}}]})
    ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": name, "Key": {"pk": S("b"), "sk": {"N": "2"}},
                    "UpdateExpression": "SET n = :n", "ExpressionAttributeValues": {":n": {"N": "5"}}}},
        {"Delete": {"TableName": name, "Key": {"pk": S("c"), "sk": {"N": "3"}}}}])
    ddb.execute_statement(Statement=f"INSERT INTO \"{name}\" VALUE {{'pk': 'd', 'sk': 4}}")
    recs = read_all(streams, arn)
    assert [r["eventName"] for r in recs] == ["INSERT", "MODIFY", "REMOVE", "INSERT", "INSERT",
                                              "MODIFY", "REMOVE", "INSERT"]
    seqs = [r["dynamodb"]["SequenceNumber"] for r in recs]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and all(len(s) >= 21 for s in seqs)
    region = ddb.meta.region_name
    for r in recs:
        assert r["eventVersion"] == "1.1" and r["eventSource"] == "aws:dynamodb"
        assert r["awsRegion"] == region and r["eventID"] and "userIdentity" not in r
        d = r["dynamodb"]
        assert d["StreamViewType"] == view and d["SizeBytes"] > 0 and d["ApproximateCreationDateTime"]
        assert set(d["Keys"]) == {"pk", "sk"}
        new = view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") and r["eventName"] != "REMOVE"
        old = view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES") and r["eventName"] != "INSERT"
        assert ("NewImage" in d) == new and ("OldImage" in d) == old, (view, r)
    if view == "NEW_AND_OLD_IMAGES":
        assert recs[1]["dynamodb"]["OldImage"]["v"] == S("one")
        assert recs[1]["dynamodb"]["NewImage"]["v"] == S("two")
        assert recs[5]["dynamodb"]["NewImage"]["n"] == {"N": "5"}


def test_iterators_and_paging(ddb, streams):
    arn = table(ddb, "iters", "KEYS_ONLY")["LatestStreamArn"]
    sid = shard_of(streams, arn)
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=sid, ShardIteratorType="LATEST")["ShardIterator"]
    for i in range(5):
        ddb.put_item(TableName="iters", Item={"pk": S(f"k{i}")})
    recs = read_all(streams, arn)
    seqs = [r["dynamodb"]["SequenceNumber"] for r in recs]
    assert len(seqs) == 5
    # LATEST taken before the writes sees them all
    assert [r["dynamodb"]["SequenceNumber"] for r in streams.get_records(ShardIterator=latest)["Records"]] == seqs
    at = read_all(streams, arn, "AT_SEQUENCE_NUMBER", SequenceNumber=seqs[2])
    after = read_all(streams, arn, "AFTER_SEQUENCE_NUMBER", SequenceNumber=seqs[2])
    assert [r["dynamodb"]["SequenceNumber"] for r in at] == seqs[2:]
    assert [r["dynamodb"]["SequenceNumber"] for r in after] == seqs[3:]
    # pages of two, each NextShardIterator going on where the last ended
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=sid, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    got = []
    for _ in range(4):
        r = streams.get_records(ShardIterator=it, Limit=2)
        got += [x["dynamodb"]["SequenceNumber"] for x in r["Records"]]
        it = r["NextShardIterator"]  # open shard: always one
    assert got == seqs
    assert streams.get_shard_iterator(StreamArn=arn, ShardId=sid, ShardIteratorType="LATEST")
    raises(streams.get_shard_iterator, "ValidationException", StreamArn=arn, ShardId=sid,
           ShardIteratorType="AT_SEQUENCE_NUMBER")
    raises(streams.get_shard_iterator, "ResourceNotFoundException", StreamArn=arn,
           ShardId="shardId-00000000000000000000-00000000", ShardIteratorType="LATEST")
    raises(streams.get_records, "ValidationException", ShardIterator="x" * 40)
    time.sleep(3.2)  # FERRY_DYNAMODB_STREAMS_ITERATOR_SECONDS
    raises(streams.get_records, "ExpiredIteratorException", ShardIterator=it)


def test_ttl_deletion_record(ddb, streams):
    arn = table(ddb, "ttls", "NEW_AND_OLD_IMAGES")["LatestStreamArn"]
    ddb.update_time_to_live(TableName="ttls", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    ddb.put_item(TableName="ttls", Item={"pk": S("gone"), "exp": {"N": str(int(time.time()) - 10)}})
    deadline = time.time() + 10
    while len(recs := read_all(streams, arn)) < 2 and time.time() < deadline:
        time.sleep(0.2)
    ins, rem = recs
    assert ins["eventName"] == "INSERT" and "userIdentity" not in ins
    assert rem["eventName"] == "REMOVE" and "NewImage" not in rem["dynamodb"]
    assert rem["dynamodb"]["OldImage"]["pk"] == S("gone")
    assert rem["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}


def test_trimmed_records():
    f = Ferry().start(env={"FERRY_DYNAMODB_TTL_INTERVAL": "0.3",
                           "FERRY_DYNAMODB_STREAM_RETENTION_SECONDS": "1"})
    try:
        f.init()
        ddb, streams = f.client("dynamodb", "dev"), f.client("dynamodbstreams", "dev")
        arn = table(ddb, "trim", "KEYS_ONLY")["LatestStreamArn"]
        sid = shard_of(streams, arn)
        ddb.put_item(TableName="trim", Item={"pk": S("old")})
        [r] = read_all(streams, arn)
        seq = r["dynamodb"]["SequenceNumber"]
        at = streams.get_shard_iterator(StreamArn=arn, ShardId=sid, ShardIteratorType="AT_SEQUENCE_NUMBER",
                                        SequenceNumber=seq)["ShardIterator"]
        deadline = time.time() + 10
        while read_all(streams, arn) and time.time() < deadline:
            time.sleep(0.3)
        assert read_all(streams, arn) == []
        raises(streams.get_shard_iterator, "TrimmedDataAccessException", StreamArn=arn, ShardId=sid,
               ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=seq)
        raises(streams.get_records, "TrimmedDataAccessException", ShardIterator=at)
    finally:
        f.close()


# ---- Lambda event source mappings ----

@pytest.fixture(scope="module")
def sink(sqs):
    return sqs.create_queue(QueueName="sink")["QueueUrl"]


@pytest.fixture(scope="module")
def roles(ferry):
    iam = ferry.client("iam", "dev")
    ok = iam.create_role(RoleName="ddb-fn", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName="ddb-fn", PolicyName="all", PolicyDocument=json.dumps(ALLOW))
    bare = iam.create_role(RoleName="ddb-bare", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    return ok, bare


@pytest.fixture(scope="module")
def functions(lam, roles, sink):
    for name, role in (("ddb-worker", roles[0]), ("ddb-bare", roles[1])):
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler",
                            Timeout=5, Code={"ZipFile": zipped(HANDLER)},
                            Environment={"Variables": {"SINK": sink}})
        lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    return True


def events(sqs, sink, want, timeout=15):
    """The records the function got, until `want` came (or nothing more does)."""
    got, deadline = [], time.time() + timeout
    while len(got) < want and time.time() < deadline:
        r = sqs.receive_message(QueueUrl=sink, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in r.get("Messages", []):
            got += json.loads(m["Body"])["Records"]
            sqs.delete_message(QueueUrl=sink, ReceiptHandle=m["ReceiptHandle"])
    return got


def test_mapping_delivers_changes_in_order(ddb, lam, sqs, sink, functions):
    arn = table(ddb, "orders", "NEW_AND_OLD_IMAGES")["LatestStreamArn"]
    ddb.put_item(TableName="orders", Item={"pk": S("before")})  # before a LATEST mapping
    raises(lam.create_event_source_mapping, "InvalidParameterValueException",
           EventSourceArn=arn, FunctionName="ddb-worker")  # StartingPosition is required
    m = raises(lam.create_event_source_mapping, "InvalidParameterValueException",
               EventSourceArn=arn, FunctionName="ddb-bare", StartingPosition="LATEST")
    assert "Cannot access stream" in m
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="ddb-worker",
                                        StartingPosition="LATEST", ParallelizationFactor=2)
    assert m["BatchSize"] == 100 and m["StartingPosition"] == "LATEST" and m["ParallelizationFactor"] == 2
    assert m["MaximumRetryAttempts"] == -1 and m["MaximumRecordAgeInSeconds"] == -1
    assert m["BisectBatchOnFunctionError"] is False and m["DestinationConfig"] == {"OnFailure": {}}
    time.sleep(0.01)
    ddb.put_item(TableName="orders", Item={"pk": S("o1"), "v": {"N": "1"}})
    ddb.update_item(TableName="orders", Key={"pk": S("o1")}, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"N": "2"}})
    ddb.delete_item(TableName="orders", Key={"pk": S("o1")})
    recs = events(sqs, sink, 3)
    assert [r["eventName"] for r in recs] == ["INSERT", "MODIFY", "REMOVE"]
    assert all(r["eventSourceARN"] == arn and r["eventSource"] == "aws:dynamodb" for r in recs)
    assert recs[1]["dynamodb"]["OldImage"]["v"] == {"N": "1"} and recs[1]["dynamodb"]["NewImage"]["v"] == {"N": "2"}
    assert recs[0]["dynamodb"]["Keys"] == {"pk": S("o1")} and recs[0]["eventVersion"] == "1.1"
    lam.delete_event_source_mapping(UUID=m["UUID"])


def test_retries_bisect_and_on_failure(ddb, lam, sqs, sink, functions):
    arn = table(ddb, "bisect", "NEW_IMAGE")["LatestStreamArn"]
    dlq = sqs.create_queue(QueueName="ddb-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for i, v in enumerate(["ok1", "boom", "ok2", "ok3"]):
        ddb.put_item(TableName="bisect", Item={"pk": S(f"k{i}"), "v": S(v)})
    m = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="ddb-worker", StartingPosition="TRIM_HORIZON", BatchSize=4,
        BisectBatchOnFunctionError=True, MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": dlq_arn}})
    assert m["DestinationConfig"] == {"OnFailure": {"Destination": dlq_arn}}
    deadline, msgs = time.time() + 20, []
    while not msgs and time.time() < deadline:
        msgs = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get("Messages", [])
    [msg] = msgs
    f = json.loads(msg["Body"])
    info = f["DDBStreamBatchInfo"]
    assert f["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert f["requestContext"]["functionArn"].endswith(":function:ddb-worker")
    assert f["responseContext"]["functionError"] == "Unhandled" and f["version"] == "1.0"
    assert info["batchSize"] == 1 and info["streamArn"] == arn
    assert info["startSequenceNumber"] == info["endSequenceNumber"] and info["shardId"].startswith("shardId-")
    got = events(sqs, sink, 12, timeout=4)
    ok = {r["dynamodb"]["NewImage"]["v"]["S"] for r in got}
    assert ok == {"ok1", "boom", "ok2", "ok3"}
    lam.delete_event_source_mapping(UUID=m["UUID"])


def test_filters_skip_records(ddb, lam, sqs, sink, functions):
    arn = table(ddb, "filtered", "NEW_IMAGE")["LatestStreamArn"]
    ddb.put_item(TableName="filtered", Item={"pk": S("a")})
    ddb.put_item(TableName="filtered", Item={"pk": S("a"), "v": S("x")})
    ddb.delete_item(TableName="filtered", Key={"pk": S("a")})
    ddb.put_item(TableName="filtered", Item={"pk": S("b")})
    m = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="ddb-worker", StartingPosition="TRIM_HORIZON",
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]})
    got = events(sqs, sink, 3, timeout=4)
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in got] == [("INSERT", "a"), ("INSERT", "b")]
    lam.delete_event_source_mapping(UUID=m["UUID"])


def test_cloudformation_table_stream_and_mapping(ferry, ddb, sqs, sink, roles, functions):
    cfn = ferry.client("cloudformation", "dev")
    tpl = {"Resources": {
        "Tab": {"Type": "AWS::DynamoDB::Table", "Properties": {
            "TableName": "cfn-tab", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "StreamSpecification": {"StreamViewType": "NEW_IMAGE"}}},
        "Map": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
            "EventSourceArn": {"Fn::GetAtt": ["Tab", "StreamArn"]}, "FunctionName": "ddb-worker",
            "StartingPosition": "TRIM_HORIZON", "BatchSize": 5, "MaximumRetryAttempts": 2}}},
        "Outputs": {"Stream": {"Value": {"Fn::GetAtt": ["Tab", "StreamArn"]}}, "Map": {"Value": {"Ref": "Map"}}}}
    cfn.create_stack(StackName="ddb-streams", TemplateBody=json.dumps(tpl))
    deadline = time.time() + 30
    while (s := cfn.describe_stacks(StackName="ddb-streams")["Stacks"][0])["StackStatus"].endswith("IN_PROGRESS"):
        assert time.time() < deadline
        time.sleep(0.2)
    assert s["StackStatus"] == "CREATE_COMPLETE", s
    out = {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}
    assert out["Stream"] == ddb.describe_table(TableName="cfn-tab")["Table"]["LatestStreamArn"]
    lam = ferry.client("lambda", "dev")
    m = lam.get_event_source_mapping(UUID=out["Map"])
    assert m["EventSourceArn"] == out["Stream"] and m["MaximumRetryAttempts"] == 2 and m["BatchSize"] == 5
    ddb.put_item(TableName="cfn-tab", Item={"pk": S("from-cfn")})
    [r] = events(sqs, sink, 1)
    assert r["dynamodb"]["NewImage"] == {"pk": S("from-cfn")} and r["eventSourceARN"] == out["Stream"]
    cfn.delete_stack(StackName="ddb-streams")


def test_kill9_keeps_records_and_checkpoint(ferry, ddb, sqs, sink, functions):
    """Last: restarts the server. A record exists exactly when its write does, and a batch
    done before the crash is not delivered again."""
    arn = table(ddb, "crash", "NEW_IMAGE")["LatestStreamArn"]
    lam = ferry.client("lambda", "dev")
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="ddb-worker",
                                        StartingPosition="TRIM_HORIZON")
    ddb.put_item(TableName="crash", Item={"pk": S("before")})
    [r] = events(sqs, sink, 1)
    assert r["dynamodb"]["Keys"] == {"pk": S("before")}
    time.sleep(0.3)  # the checkpoint is stored once the invocation returned
    ferry.proc.send_signal(signal.SIGKILL)
    ferry.proc.wait()
    ferry.start(env=ENV)
    ddb2, sqs2 = ferry.client("dynamodb", "dev"), ferry.client("sqs", "dev")
    ddb2.put_item(TableName="crash", Item={"pk": S("after")})
    got = events(sqs2, sink, 2, timeout=6)
    assert [x["dynamodb"]["Keys"]["pk"]["S"] for x in got] == ["after"]
    recs = read_all(ferry.client("dynamodbstreams", "dev"), arn)
    assert [x["dynamodb"]["Keys"]["pk"]["S"] for x in recs] == ["before", "after"]
    ferry.client("lambda", "dev").delete_event_source_mapping(UUID=m["UUID"])
