"""SQS through Debian's boto3 1.26 / botocore 1.29, which speak the query protocol to SQS:
queues, attributes, messages and their MD5s, visibility, long polls, batches, FIFO,
dead-letter queues, permissions and cross-account access, and every error on the way."""
import base64
import hashlib
import json
import struct
import threading
import time
import urllib.parse

import botocore
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest
from botocore.exceptions import ClientError
from ferrytest import acct, code, message as msg, raises


@pytest.fixture(scope="module")
def sqs(ferry):
    return ferry.client("sqs", "dev")


def arn_of(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


# AWS's digest of message attributes (what SDKs recompute and compare)
def md5_attrs(attrs):
    out = b""
    for name in sorted(attrs):
        a = attrs[name]
        out += struct.pack("!I", len(name.encode())) + name.encode()
        out += struct.pack("!I", len(a["DataType"].encode())) + a["DataType"].encode()
        if "BinaryValue" in a:
            v = a["BinaryValue"]
            out += b"\x02" + struct.pack("!I", len(v)) + v
        else:
            v = a["StringValue"].encode()
            out += b"\x01" + struct.pack("!I", len(v)) + v
    return hashlib.md5(out).hexdigest()


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


# ---------------------------------------------------------------- queues

def test_create_url_get_list_delete(ferry, sqs):
    dev = acct(ferry, "dev")
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    assert url == f"{ferry.endpoint}/{dev}/orders"
    assert sqs.get_queue_url(QueueName="orders")["QueueUrl"] == url
    for i in range(3):
        sqs.create_queue(QueueName=f"page-{i}")
    urls = sqs.list_queues(QueueNamePrefix="page-")["QueueUrls"]
    assert urls == [f"{ferry.endpoint}/{dev}/page-{i}" for i in range(3)]
    p1 = sqs.list_queues(QueueNamePrefix="page-", MaxResults=2)
    assert len(p1["QueueUrls"]) == 2 and p1["NextToken"]
    p2 = sqs.list_queues(QueueNamePrefix="page-", MaxResults=2, NextToken=p1["NextToken"])
    assert p2["QueueUrls"] == urls[2:] and "NextToken" not in p2
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="none-such")
    # queues belong to an account and a region
    assert "QueueUrls" not in ferry.client("sqs", "qa").list_queues(QueueNamePrefix="page-")
    assert "QueueUrls" not in ferry.client("sqs", "dev", region="eu-west-1").list_queues(QueueNamePrefix="page-")
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as e:
        sqs.get_queue_url(QueueName="orders")
    assert code(e) == "AWS.SimpleQueueService.NonExistentQueue"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x")
    assert code(e) == "AWS.SimpleQueueService.NonExistentQueue"


def test_create_is_idempotent_with_equal_attributes(sqs):
    a = {"VisibilityTimeout": "45", "DelaySeconds": "2"}
    u1 = sqs.create_queue(QueueName="idem", Attributes=a)["QueueUrl"]
    assert sqs.create_queue(QueueName="idem", Attributes=a)["QueueUrl"] == u1
    assert sqs.create_queue(QueueName="idem")["QueueUrl"] == u1
    assert sqs.create_queue(QueueName="idem", Attributes={"MaximumMessageSize": "1048576"})["QueueUrl"] == u1
    with pytest.raises(sqs.exceptions.QueueNameExists) as e:
        sqs.create_queue(QueueName="idem", Attributes={"VisibilityTimeout": "46"})
    assert code(e) == "QueueAlreadyExists"
    assert msg(e) == "A queue already exists with the same name and a different value for attribute VisibilityTimeout"


def test_queue_name_rules(sqs):
    for bad in ["", "a" * 81, "has space", "dot.ted", "x.fifo"]:
        with pytest.raises(ClientError) as e:
            sqs.create_queue(QueueName=bad)
        assert code(e) == "InvalidParameterValue", bad
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName="nofifo", Attributes={"FifoQueue": "true"})
    assert code(e) == "InvalidParameterValue" and ".fifo suffix" in msg(e)
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName="std", Attributes={"FifoQueue": "false"})
    assert code(e) == "InvalidAttributeName" and msg(e) == "Unknown Attribute FifoQueue."
    assert sqs.create_queue(QueueName="a" * 75 + ".fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]


def test_attributes(sqs):
    url = sqs.create_queue(QueueName="attrs", Attributes={"MessageRetentionPeriod": "600"})["QueueUrl"]
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert a["VisibilityTimeout"] == "30" and a["DelaySeconds"] == "0"
    assert a["MaximumMessageSize"] == "1048576" and a["MessageRetentionPeriod"] == "600"
    assert a["ReceiveMessageWaitTimeSeconds"] == "0" and a["SqsManagedSseEnabled"] == "true"
    assert a["QueueArn"].startswith("arn:aws:sqs:us-east-1:") and a["QueueArn"].endswith(":attrs")
    assert a["ApproximateNumberOfMessages"] == "0"
    assert a["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert a["ApproximateNumberOfMessagesDelayed"] == "0"
    assert abs(int(a["CreatedTimestamp"]) - time.time()) < 60
    assert "Policy" not in a and "FifoQueue" not in a
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={
        "VisibilityTimeout": "5", "DelaySeconds": "1", "ReceiveMessageWaitTimeSeconds": "2",
        "KmsMasterKeyId": "alias/aws/sqs", "MaximumMessageSize": "1024"})
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout", "KmsMasterKeyId",
                                 "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled", "MaximumMessageSize"])["Attributes"]
    assert a == {"VisibilityTimeout": "5", "KmsMasterKeyId": "alias/aws/sqs",
                 "KmsDataKeyReusePeriodSeconds": "300", "SqsManagedSseEnabled": "false",
                 "MaximumMessageSize": "1024"}
    with pytest.raises(ClientError) as e:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Bogus"])
    assert code(e) == "InvalidAttributeName" and msg(e) == "Unknown Attribute Bogus."
    for name, value in [("VisibilityTimeout", "43201"), ("DelaySeconds", "-1"), ("MessageRetentionPeriod", "59"),
                        ("MaximumMessageSize", "1023"), ("ReceiveMessageWaitTimeSeconds", "21"),
                        ("VisibilityTimeout", "abc"), ("Policy", "{not json")]:
        with pytest.raises(ClientError) as e:
            sqs.set_queue_attributes(QueueUrl=url, Attributes={name: value})
        assert code(e) == "InvalidAttributeValue", (name, value)
        assert msg(e).startswith(f"Invalid value for the parameter {name}.")
    for name in ["QueueArn", "ApproximateNumberOfMessages", "ContentBasedDeduplication", "Nope"]:
        with pytest.raises(ClientError) as e:
            sqs.set_queue_attributes(QueueUrl=url, Attributes={name: "1"})
        assert code(e) == "InvalidAttributeName", name
    # the message size limit is the queue's
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1025)
    assert msg(e) == "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes."


# ---------------------------------------------------------------- messages

def test_send_receive_delete_with_md5s(ferry, sqs):
    url = sqs.create_queue(QueueName="msgs")["QueueUrl"]
    attrs = {"color": {"DataType": "String", "StringValue": "blue"},
             "count": {"DataType": "Number", "StringValue": "42"},
             "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xffdata"},
             "custom": {"DataType": "String.custom", "StringValue": "ünï"}}
    body = "héllo <world> & \"friends\"\n\ttabs\r"
    trace = {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793"}}
    r = sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attrs, MessageSystemAttributes=trace)
    assert r["MD5OfMessageBody"] == md5(body)
    assert r["MD5OfMessageAttributes"] == md5_attrs(attrs)
    assert r["MD5OfMessageSystemAttributes"] == md5_attrs(trace)
    assert len(r["MessageId"]) == 36 and "SequenceNumber" not in r
    got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], AttributeNames=["All"])["Messages"]
    assert len(got) == 1
    m = got[0]
    assert m["Body"] == body and m["MD5OfBody"] == md5(body) and m["MessageId"] == r["MessageId"]
    assert m["MessageAttributes"] == attrs
    assert m["MD5OfMessageAttributes"] == md5_attrs(attrs)
    sa = m["Attributes"]
    assert sa["SenderId"] == acct(ferry, "dev")
    assert sa["ApproximateReceiveCount"] == "1"
    assert abs(int(sa["SentTimestamp"]) / 1000 - time.time()) < 30
    assert int(sa["ApproximateFirstReceiveTimestamp"]) >= int(sa["SentTimestamp"])
    assert sa["AWSTraceHeader"] == trace["AWSTraceHeader"]["StringValue"]
    assert "MessageGroupId" not in sa
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (a["ApproximateNumberOfMessages"], a["ApproximateNumberOfMessagesNotVisible"]) == ("0", "1")
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])  # AWS: already gone is fine
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (a["ApproximateNumberOfMessages"], a["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_message_attribute_selection(sqs):
    url = sqs.create_queue(QueueName="select")["QueueUrl"]
    attrs = {"app.a": {"DataType": "String", "StringValue": "1"},
             "app.b": {"DataType": "Number", "StringValue": "2"},
             "other": {"DataType": "String", "StringValue": "3"}}
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attrs)
    for names, want in [(["All"], set(attrs)), ([".*"], set(attrs)), (["app.*"], {"app.a", "app.b"}),
                        (["other", "missing"], {"other"}), ([], set())]:
        m = sqs.receive_message(QueueUrl=url, MessageAttributeNames=names, VisibilityTimeout=0)["Messages"][0]
        assert set(m.get("MessageAttributes", {})) == want, names
        if want:  # the digest covers what came back
            assert m["MD5OfMessageAttributes"] == md5_attrs({k: attrs[k] for k in want})
        else:
            assert "MD5OfMessageAttributes" not in m
    m = sqs.receive_message(QueueUrl=url, AttributeNames=["SentTimestamp", "ApproximateReceiveCount"])["Messages"][0]
    assert set(m["Attributes"]) == {"SentTimestamp", "ApproximateReceiveCount"}
    assert m["Attributes"]["ApproximateReceiveCount"] == "6"


def test_message_errors(sqs):
    url = sqs.create_queue(QueueName="errs")["QueueUrl"]
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1048577)
    assert code(e) == "InvalidParameterValue"
    assert msg(e) == "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes."
    # 1 MiB since AWS raised the limit in 2025, received whole
    mid = sqs.send_message(QueueUrl=url, MessageBody="y" * 1048576)["MessageId"]
    got = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert got["MessageId"] == mid and got["Body"] == "y" * 1048576
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got["ReceiptHandle"])
    small = sqs.create_queue(QueueName="errs-small", Attributes={"MaximumMessageSize": "1048576"})["QueueUrl"]
    raises(sqs.set_queue_attributes, "InvalidAttributeValue", QueueUrl=small,
           Attributes={"MaximumMessageSize": "1048577"})
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="bad \x01 char")
    assert code(e) == "InvalidMessageContents" and "#x1" in msg(e)
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=901)
    assert code(e) == "InvalidParameterValue" and "DelaySeconds" in msg(e)
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert code(e) == "InvalidParameterValue"
    bad_attrs = [{"AWS.x": {"DataType": "String", "StringValue": "v"}},
                 {"a": {"DataType": "Text", "StringValue": "v"}},
                 {"a": {"DataType": "Number", "StringValue": "nan-ish"}},
                 {"a": {"DataType": "Binary", "StringValue": "v"}},
                 {f"k{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)}]
    for a in bad_attrs:
        with pytest.raises(ClientError) as e:
            sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=a)
        assert code(e) == "InvalidParameterValue", a
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageSystemAttributes={
            "Other": {"DataType": "String", "StringValue": "v"}})
    assert code(e) == "InvalidParameterValue"
    for kw, text in [({"MaxNumberOfMessages": 11}, "MaxNumberOfMessages"), ({"MaxNumberOfMessages": 0}, "MaxNumberOfMessages"),
                     ({"WaitTimeSeconds": 21}, "WaitTimeSeconds"), ({"VisibilityTimeout": 43201}, "VisibilityTimeout")]:
        with pytest.raises(ClientError) as e:
            sqs.receive_message(QueueUrl=url, **kw)
        assert code(e) == "InvalidParameterValue" and text in msg(e)
    with pytest.raises(ClientError) as e:
        sqs.receive_message(QueueUrl="http://x/not-a-queue-url")
    assert code(e) == "InvalidAddress"


def test_visibility_timeout_and_receipts(sqs):
    url = sqs.create_queue(QueueName="vis", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="v")
    first = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    time.sleep(1.1)  # the visibility timeout ends: it comes back, with a new receipt handle
    again = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
    assert again["MessageId"] == first["MessageId"] and again["ReceiptHandle"] != first["ReceiptHandle"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    # ChangeMessageVisibility 0 makes it visible at once
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"], VisibilityTimeout=0)
    third = sqs.receive_message(QueueUrl=url, VisibilityTimeout=30)["Messages"][0]
    assert third["MessageId"] == first["MessageId"]
    # a message not in flight cannot change
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=third["ReceiptHandle"], VisibilityTimeout=0)
    with pytest.raises(ClientError) as e:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=third["ReceiptHandle"], VisibilityTimeout=10)
    assert code(e) == "InvalidParameterValue" and "not available for visibility timeout change" in msg(e)
    with pytest.raises(ClientError) as e:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=third["ReceiptHandle"], VisibilityTimeout=43201)
    assert code(e) == "InvalidParameterValue"
    # garbage handles are refused; an older handle still deletes (as AWS does)
    for bad in ["garbage", base64.b64encode(b"fr1:nope:1:x").decode()]:
        with pytest.raises(ClientError) as e:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=bad)
        assert code(e) == "ReceiptHandleIsInvalid"
        assert msg(e) == f'The input receipt handle "{bad}" is not a valid receipt handle.'
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert a["ApproximateNumberOfMessages"] == "0" and a["ApproximateNumberOfMessagesNotVisible"] == "0"
    # a handle of another queue is not this queue's
    other = sqs.create_queue(QueueName="vis-other")["QueueUrl"]
    sqs.send_message(QueueUrl=other, MessageBody="o")
    h = sqs.receive_message(QueueUrl=other)["Messages"][0]["ReceiptHandle"]
    with pytest.raises(ClientError) as e:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=h)
    assert code(e) == "ReceiptHandleIsInvalid"


def test_delay(sqs):
    url = sqs.create_queue(QueueName="delay")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])["Attributes"]
    assert a["ApproximateNumberOfMessagesDelayed"] == "1"
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    # a long poll wakes when the delayed message becomes visible
    t0 = time.time()
    m = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"][0]
    assert m["Body"] == "later" and time.time() - t0 < 2


def test_batches(sqs):
    url = sqs.create_queue(QueueName="batch")["QueueUrl"]
    entries = [{"Id": f"e{i}", "MessageBody": f"body {i}",
                "MessageAttributes": {"n": {"DataType": "Number", "StringValue": str(i)}}} for i in range(10)]
    r = sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert not r.get("Failed") and len(r["Successful"]) == 10
    for s in r["Successful"]:
        i = int(s["Id"][1:])
        assert s["MD5OfMessageBody"] == md5(f"body {i}")
        assert s["MD5OfMessageAttributes"] == md5_attrs(entries[i]["MessageAttributes"])
    got = []
    while len(got) < 10:
        got += sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in got) == sorted(f"body {i}" for i in range(10))
    ch = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": "a", "ReceiptHandle": got[0]["ReceiptHandle"], "VisibilityTimeout": 60},
        {"Id": "b", "ReceiptHandle": "junk", "VisibilityTimeout": 60}])
    assert [s["Id"] for s in ch["Successful"]] == ["a"]
    assert ch["Failed"][0]["Id"] == "b" and ch["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    assert ch["Failed"][0]["SenderFault"] is True
    d = sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]}
                                                        for i, m in enumerate(got)])
    assert len(d["Successful"]) == 10 and not d.get("Failed")
    # mixed results: one good entry, one too big
    r = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "ok", "MessageBody": "fine"},
                                                      {"Id": "bad", "MessageBody": "\x02"}])
    assert [s["Id"] for s in r["Successful"]] == ["ok"]
    assert r["Failed"][0]["Code"] == "InvalidMessageContents"
    # request-level errors
    cases = [([], "AWS.SimpleQueueService.EmptyBatchRequest"),
             ([{"Id": f"i{i}", "MessageBody": "x"} for i in range(11)], "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"),
             ([{"Id": "same", "MessageBody": "x"}, {"Id": "same", "MessageBody": "y"}], "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"),
             ([{"Id": "bad id!", "MessageBody": "x"}], "AWS.SimpleQueueService.InvalidBatchEntryId"),
             ([{"Id": "a", "MessageBody": "x" * 600000}, {"Id": "b", "MessageBody": "x" * 500000}],
              "AWS.SimpleQueueService.BatchRequestTooLong")]
    for ents, want in cases:
        with pytest.raises(ClientError) as e:
            sqs.send_message_batch(QueueUrl=url, Entries=ents)
        assert code(e) == want
    with pytest.raises(ClientError) as e:
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": f"i{i}", "MessageBody": "x"} for i in range(11)])
    assert msg(e) == "Maximum number of entries per request are 10. You have sent 11."
    with pytest.raises(sqs.exceptions.EmptyBatchRequest) as e:
        sqs.delete_message_batch(QueueUrl=url, Entries=[])
    assert msg(e) == "There should be at least one DeleteMessageBatchRequestEntry in the request."
    with pytest.raises(sqs.exceptions.BatchEntryIdsNotDistinct) as e:
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
            {"Id": "x", "ReceiptHandle": "h", "VisibilityTimeout": 1}] * 2)
    assert msg(e) == "Id x repeated."


def test_long_poll_woken_by_send(ferry, sqs):
    url = sqs.create_queue(QueueName="longpoll")["QueueUrl"]
    result = {}
    parked = ferry.health("dev")["parked_polls"]

    def poll():
        t0 = time.time()
        result["r"] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)
        result["t"] = time.time()
        result["took"] = result["t"] - t0

    th = threading.Thread(target=poll)
    th.start()
    ferry.wait_parked(parked + 1, "dev")  # the poller waits in the server: the send must wake it
    sent_at = time.time()
    ferry_sqs_sender = sqs  # the same client is thread-safe for calls
    ferry_sqs_sender.send_message(QueueUrl=url, MessageBody="wake up")
    th.join(10)
    assert result["r"]["Messages"][0]["Body"] == "wake up"
    assert result["t"] - sent_at < 0.5, result  # woken by the send, not the deadline
    # no message: the poll ends at its deadline, empty
    t0 = time.time()
    r = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    assert "Messages" not in r and 0.9 < time.time() - t0 < 2.5
    # ReceiveMessageWaitTimeSeconds is the default wait
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"ReceiveMessageWaitTimeSeconds": "1"})
    t0 = time.time()
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    assert time.time() - t0 > 0.9


def test_purge(sqs):
    url = sqs.create_queue(QueueName="purge")["QueueUrl"]
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(5)])
    sqs.purge_queue(QueueUrl=url)
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"]["ApproximateNumberOfMessages"] == "0"
    with pytest.raises(sqs.exceptions.PurgeQueueInProgress) as e:
        sqs.purge_queue(QueueUrl=url)
    assert code(e) == "AWS.SimpleQueueService.PurgeQueueInProgress"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert msg(e) == "Only one PurgeQueue operation on purge is allowed every 60 seconds."


def test_tags(sqs):
    url = sqs.create_queue(QueueName="tagged", tags={"team": "core", "env": "dev"})["QueueUrl"]
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "core", "env": "dev"}
    sqs.tag_queue(QueueUrl=url, Tags={"env": "qa", "cost": "42"})
    sqs.untag_queue(QueueUrl=url, TagKeys=["team", "absent"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "qa", "cost": "42"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["env", "cost"])
    assert "Tags" not in sqs.list_queue_tags(QueueUrl=url)
    with pytest.raises(ClientError) as e:
        sqs.tag_queue(QueueUrl=url, Tags={f"k{i}": "v" for i in range(51)})
    assert code(e) == "InvalidParameterValue"


# ---------------------------------------------------------------- FIFO

def test_fifo_order_groups_and_dedup(sqs):
    url = sqs.create_queue(QueueName="jobs.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert a["FifoQueue"] == "true" and a["ContentBasedDeduplication"] == "false"
    assert a["DeduplicationScope"] == "queue" and a["FifoThroughputLimit"] == "perQueue"
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert code(e) == "MissingParameter" and msg(e) == "The request must contain the parameter MessageGroupId."
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    assert code(e) == "InvalidParameterValue"
    assert msg(e) == ("The queue should either have ContentBasedDeduplication enabled or "
                      "MessageDeduplicationId provided explicitly")
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d", DelaySeconds=1)
    assert code(e) == "InvalidParameterValue"
    seqs = []
    for g in ("a", "b"):
        for i in range(3):
            r = sqs.send_message(QueueUrl=url, MessageBody=f"{g}{i}", MessageGroupId=g, MessageDeduplicationId=f"{g}{i}")
            seqs.append(int(r["SequenceNumber"]))
    assert seqs == sorted(seqs) and len(set(seqs)) == 6
    # a duplicate within 5 minutes is accepted, answered with the first one, not delivered again
    first_a0 = sqs.send_message(QueueUrl=url, MessageBody="a0 again", MessageGroupId="a", MessageDeduplicationId="a0")
    assert int(first_a0["SequenceNumber"]) == seqs[0]
    # group a's messages in order; while they are in flight group a gives nothing more
    r1 = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2,
                             AttributeNames=["MessageGroupId", "SequenceNumber", "MessageDeduplicationId"])["Messages"]
    assert [m["Body"] for m in r1] == ["a0", "a1"]
    assert r1[0]["Attributes"]["MessageGroupId"] == "a" and r1[0]["Attributes"]["MessageDeduplicationId"] == "a0"
    assert int(r1[0]["Attributes"]["SequenceNumber"]) == seqs[0]
    r2 = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in r2] == ["b0", "b1", "b2"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    for m in r1:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    r3 = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in r3] == ["a2"]


def test_fifo_content_dedup_scope_and_attempt_ids(sqs):
    url = sqs.create_queue(QueueName="cbd.fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true", "DeduplicationScope": "messageGroup",
        "FifoThroughputLimit": "perMessageGroupId"})["QueueUrl"]
    m1 = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g1")
    m2 = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g1")
    m3 = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g2")  # other group: not a duplicate
    assert m1["MessageId"] == m2["MessageId"] != m3["MessageId"]
    r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, ReceiveRequestAttemptId="try-1")["Messages"]
    assert len(r) == 2
    # a retried attempt gets the same messages and receipt handles
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, ReceiveRequestAttemptId="try-1")["Messages"]
    assert [(m["MessageId"], m["ReceiptHandle"]) for m in again] == [(m["MessageId"], m["ReceiptHandle"]) for m in r]
    assert "Messages" not in sqs.receive_message(QueueUrl=url, ReceiveRequestAttemptId="try-2")
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName="bad.fifo", Attributes={"FifoQueue": "true", "FifoThroughputLimit": "perMessageGroupId"})
    assert code(e) == "InvalidAttributeValue"


# ---------------------------------------------------------------- dead-letter queues

def test_dead_letter_queue_and_redrive(ferry, sqs):
    dlq = sqs.create_queue(QueueName="dead")["QueueUrl"]
    dlq_arn = arn_of(sqs, dlq)
    src = sqs.create_queue(QueueName="live", Attributes={
        "VisibilityTimeout": "0",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})})["QueueUrl"]
    src_arn = arn_of(sqs, src)
    rp = json.loads(sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"])
    assert rp == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [src]
    assert sqs.list_dead_letter_source_queues(QueueUrl=src).get("queueUrls", []) == []  # query: no element
    mid = sqs.send_message(QueueUrl=src, MessageBody="poison")["MessageId"]
    for n in (1, 2):
        m = sqs.receive_message(QueueUrl=src, AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
        assert m["Attributes"]["ApproximateReceiveCount"] == str(n)
    # the third receive moves it to the dead-letter queue instead
    assert "Messages" not in sqs.receive_message(QueueUrl=src)
    d = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"], VisibilityTimeout=0)["Messages"][0]
    assert d["MessageId"] == mid and d["Body"] == "poison"
    assert d["Attributes"]["DeadLetterQueueSourceArn"] == src_arn
    # redrive back to the source with a message move task (newer than botocore 1.29's
    # model: sent as a query form by hand, the way such a client would)
    status, _, body = signed_post(ferry, "dev", "/", {"Action": "StartMessageMoveTask", "Version": "2012-11-05",
                                                      "SourceArn": dlq_arn})
    assert status == 200 and b"<StartMessageMoveTaskResult><TaskHandle>" in body, body
    task = body.split(b"<TaskHandle>")[1].split(b"</TaskHandle>")[0].decode()
    assert "Messages" not in sqs.receive_message(QueueUrl=dlq)
    back = sqs.receive_message(QueueUrl=src)["Messages"][0]
    assert back["MessageId"] == mid
    status, _, body = signed_post(ferry, "dev", "/", {"Action": "ListMessageMoveTasks", "SourceArn": dlq_arn,
                                                      "MaxResults": "10"})
    assert status == 200 and b"<ListMessageMoveTasksResultEntry><Status>COMPLETED</Status>" in body, body
    assert b"<ApproximateNumberOfMessagesMoved>1</ApproximateNumberOfMessagesMoved>" in body
    status, _, body = signed_post(ferry, "dev", "/", {"Action": "StartMessageMoveTask", "SourceArn": src_arn})
    assert status == 400 and b"<Code>InvalidParameterValue</Code>" in body
    status, _, body = signed_post(ferry, "dev", "/", {"Action": "CancelMessageMoveTask", "TaskHandle": task})
    assert status == 400 and b"<Code>AWS.SimpleQueueService.UnsupportedOperation</Code>" in body
    # bad redrive policies
    for rp, why in [({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 0}, "maxReceiveCount"),
                    ({"deadLetterTargetArn": dlq_arn.replace("dead", "nope"), "maxReceiveCount": 1}, "does not exist"),
                    ({"maxReceiveCount": 1}, "RedrivePolicy")]:
        with pytest.raises(ClientError) as e:
            sqs.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": json.dumps(rp)})
        assert code(e) == "InvalidParameterValue" and why in msg(e)
    fifo = sqs.create_queue(QueueName="dead.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    with pytest.raises(ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": arn_of(sqs, fifo), "maxReceiveCount": 1})})
    assert "same type" in msg(e)
    # the dead-letter queue's RedriveAllowPolicy decides who may use it
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})})
    other = sqs.create_queue(QueueName="live2")["QueueUrl"]
    with pytest.raises(ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=other, Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})})
    assert code(e) == "InvalidParameterValue"
    sqs.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": ""})
    assert "RedrivePolicy" not in sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["All"])["Attributes"]


# ---------------------------------------------------------------- access

def test_cross_account_needs_the_queue_policy(ferry, sqs):
    dev, prod = acct(ferry, "dev"), acct(ferry, "prod")
    url = sqs.create_queue(QueueName="shared")["QueueUrl"]
    qarn = arn_of(sqs, url)
    other = ferry.client("sqs", "prod")
    with pytest.raises(ClientError) as e:
        other.send_message(QueueUrl=url, MessageBody="x")
    assert code(e) == "AccessDenied" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert f"arn:aws:iam::{prod}:root" in msg(e) and "sqs:SendMessage" in msg(e)
    with pytest.raises(ClientError) as e:
        other.get_queue_url(QueueName="shared", QueueOwnerAWSAccountId=dev)
    assert code(e) == "AccessDenied"
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{prod}:root"},
        "Action": ["sqs:SendMessage", "sqs:GetQueueUrl"], "Resource": qarn}]}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    assert json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]) == policy
    assert other.get_queue_url(QueueName="shared", QueueOwnerAWSAccountId=dev)["QueueUrl"] == url
    assert other.send_message(QueueUrl=url, MessageBody="from prod")["MessageId"]
    with pytest.raises(ClientError) as e:  # only what the policy allows
        other.receive_message(QueueUrl=url)
    assert code(e) == "AccessDenied"
    m = sqs.receive_message(QueueUrl=url, AttributeNames=["SenderId"])["Messages"][0]
    assert m["Body"] == "from prod" and m["Attributes"]["SenderId"] == prod
    # the same-account owner needs no policy; an unknown queue in another account does not exist
    with pytest.raises(other.exceptions.QueueDoesNotExist):
        other.get_queue_url(QueueName="nope", QueueOwnerAWSAccountId=dev)


def test_add_and_remove_permission(ferry, sqs):
    qa = acct(ferry, "qa")
    url = sqs.create_queue(QueueName="perm")["QueueUrl"]
    other = ferry.client("sqs", "qa")
    with pytest.raises(ClientError):
        other.send_message(QueueUrl=url, MessageBody="x")
    sqs.add_permission(QueueUrl=url, Label="qa-send", AWSAccountIds=[qa], Actions=["SendMessage", "ReceiveMessage"])
    pol = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    st = pol["Statement"][0]
    assert st["Sid"] == "qa-send" and st["Principal"] == {"AWS": f"arn:aws:iam::{qa}:root"}
    assert st["Action"] == ["SQS:SendMessage", "SQS:ReceiveMessage"]
    assert other.send_message(QueueUrl=url, MessageBody="hi")["MessageId"]
    assert other.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "hi"
    with pytest.raises(ClientError) as e:
        sqs.add_permission(QueueUrl=url, Label="qa-send", AWSAccountIds=[qa], Actions=["SendMessage"])
    assert code(e) == "InvalidParameterValue" and "Already exists" in msg(e)
    with pytest.raises(ClientError) as e:
        sqs.add_permission(QueueUrl=url, Label="x", AWSAccountIds=[qa], Actions=["CreateQueue"])
    assert code(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:  # only the owner changes permissions
        other.add_permission(QueueUrl=url, Label="y", AWSAccountIds=[qa], Actions=["SendMessage"])
    assert code(e) == "AccessDenied"
    sqs.remove_permission(QueueUrl=url, Label="qa-send")
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    with pytest.raises(ClientError) as e:
        other.send_message(QueueUrl=url, MessageBody="x")
    assert code(e) == "AccessDenied"
    with pytest.raises(ClientError) as e:
        sqs.remove_permission(QueueUrl=url, Label="qa-send")
    assert code(e) == "InvalidParameterValue"


# ---------------------------------------------------------------- wire

def signed_post(ferry, profile, path, form):
    akid, secret = ferry.keys(profile)
    body = urllib.parse.urlencode(form)
    req = botocore.awsrequest.AWSRequest(method="POST", url=ferry.endpoint + path, data=body,
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(akid, secret), "sqs", "us-east-1").add_auth(req)
    p = req.prepare()
    return ferry.http("POST", path, body=body.encode(), headers=dict(p.headers))


def test_query_posted_to_the_queue_url(ferry, sqs):
    dev = acct(ferry, "dev")
    url = sqs.create_queue(QueueName="bypath")["QueueUrl"]
    status, headers, body = signed_post(ferry, "dev", f"/{dev}/bypath",
                                        {"Action": "SendMessage", "Version": "2012-11-05", "MessageBody": "via path"})
    assert status == 200, body
    assert b"<SendMessageResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><SendMessageResult>" in body
    assert f"<MD5OfMessageBody>{md5('via path')}</MD5OfMessageBody>".encode() in body
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "via path"
    status, headers, body = signed_post(ferry, "dev", f"/{dev}/missing",
                                        {"Action": "GetQueueAttributes", "Version": "2012-11-05"})
    assert status == 400
    assert b"<Code>AWS.SimpleQueueService.NonExistentQueue</Code>" in body
    assert b"<Type>Sender</Type>" in body


def test_audit_trail_records_sqs_calls(ferry, sqs):
    url = sqs.create_queue(QueueName="audited")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    ev = ferry.client("cloudtrail", "dev").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "SendMessage"}])["Events"]
    assert ev and ev[0]["EventSource"] == "sqs.amazonaws.com"


# ---------------------------------------------------------------- durability (restarts the server: last)

def test_sigterm_answers_parked_long_polls(ferry):
    import signal
    sqs = ferry.client("sqs", "dev")
    url = sqs.create_queue(QueueName="shutdown")["QueueUrl"]
    out = {}

    def poll():
        t0 = time.time()
        try:
            out["r"] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)
        except Exception as e:  # noqa: BLE001 - the connection may close as the server stops
            out["r"] = e
        out["took"] = time.time() - t0

    parked = ferry.health("dev")["parked_polls"]
    th = threading.Thread(target=poll)
    th.start()
    ferry.wait_parked(parked + 1, "dev")
    t0 = time.time()
    ferry.stop(signal.SIGTERM)
    th.join(15)
    assert ferry.proc.returncode == 0 and time.time() - t0 < 5
    assert out["took"] < 10
    ferry.start()


def test_kill9_keeps_sent_messages(ferry):
    import signal
    sqs = ferry.client("sqs", "dev")
    url = sqs.create_queue(QueueName="durable", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    sent = {sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")["MessageId"] for i in range(20)}
    for i in range(3):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(k), "MessageBody": f"b{i}{k}"} for k in range(10)])
    inflight = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5)["Messages"]
    ferry.stop(signal.SIGKILL)
    ferry.start()
    sqs = ferry.client("sqs", "dev")
    time.sleep(1.1)  # the in-flight ones come back after their visibility timeout
    got = {}
    while True:
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30).get("Messages", [])
        if not r:
            break
        got.update({m["MessageId"]: m for m in r})
    assert len(got) == 50 and sent <= set(got)
    assert {m["MessageId"] for m in inflight} <= set(got)
