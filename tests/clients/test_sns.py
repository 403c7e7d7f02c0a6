"""SNS through Debian's boto3 1.26 (query protocol): topics, FIFO topics, attributes,
permissions, tags, subscriptions to SQS queues and HTTP endpoints (with the confirmation
flow and signatures verified against the certificate ferry serves), filter policies,
raw delivery, retries and dead-letter queues, cross-account delivery through topic and
queue policies, and every error on the way."""
import base64
import http.server
import json
import threading
import time
import urllib.parse
import urllib.request

import boto3
import botocore
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from ferrytest import acct, raises


# --- helpers (test_sns_cli.py imports some) --------------------------------------------

def err(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def queue_for(ferry, profile, name, topic_arn=None, region=None):
    """A queue whose policy lets SNS deliver from topic_arn (None: no policy)."""
    sqs = ferry.client("sqs", profile, region=region)
    url = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"} if name.endswith(".fifo") else {})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if topic_arn:
        allow_sns(sqs, url, arn, topic_arn)
    return sqs, url, arn


def allow_sns(sqs, url, qarn, topic_arns):
    if isinstance(topic_arns, str):
        topic_arns = [topic_arns]
    pol = {"Version": "2012-10-17", "Statement": [{
        "Sid": "sns", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage", "Resource": qarn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic_arns}}}]}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(pol)})


def receive(sqs, url, n=1, timeout=5.0, attrs=True):
    got = []
    deadline = time.time() + timeout
    while len(got) < n and time.time() < deadline:
        wait = max(0, min(1, int(deadline - time.time())))
        kw = {"MessageAttributeNames": ["All"]} if attrs else {}
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait, **kw)
        for m in r.get("Messages", []):
            got.append(m)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        if not wait and not r.get("Messages"):
            time.sleep(0.05)
    return got


def nothing_arrives(sqs, url, seconds=0.6):
    return receive(sqs, url, n=1, timeout=seconds) == []


_certs = {}


def verify_signature(env):
    """Checks an SNS envelope's signature as AWS's SDKs do, with the served certificate."""
    url = env["SigningCertURL"]
    if url not in _certs:
        _certs[url] = x509.load_pem_x509_certificate(urllib.request.urlopen(url, timeout=5).read())
    if env["Type"] == "Notification":
        keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    text = "".join(f"{k}\n{env[k]}\n" for k in keys if k in env)
    h = hashes.SHA1() if env["SignatureVersion"] == "1" else hashes.SHA256()
    _certs[url].public_key().verify(base64.b64decode(env["Signature"]), text.encode(), padding.PKCS1v15(), h)


class Endpoint:
    """A small HTTP server that records what SNS POSTs and answers with `status`."""

    def __init__(self):
        self.requests = []
        self.status = 200
        self.cond = threading.Condition()
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                with outer.cond:
                    outer.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    outer.cond.notify_all()
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, n, timeout=5.0, kind=None):
        deadline = time.time() + timeout
        with self.cond:
            while True:
                got = [r for r in self.requests if kind is None or r[1].get("x-amz-sns-message-type") == kind]
                if len(got) >= n or time.time() >= deadline:
                    return got
                self.cond.wait(max(0.01, deadline - time.time()))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def sns(ferry):
    return ferry.client("sns", "dev", region="us-east-1")


@pytest.fixture
def endpoint():
    e = Endpoint()
    yield e
    e.close()


def confirm_http(ferry, endpoint, path="/"):
    """Fetches the SubscribeURL of the confirmation POSTed to path, as an endpoint does."""
    reqs = [r for r in endpoint.wait(1, kind="SubscriptionConfirmation") if r[0] == path]
    assert reqs, endpoint.requests
    env = json.loads(reqs[-1][2])
    verify_signature(env)
    with urllib.request.urlopen(env["SubscribeURL"], timeout=5) as r:
        body = r.read().decode()
    assert "<SubscriptionArn>" in body
    return env


# --- topics ----------------------------------------------------------------------------

def test_create_topic_is_idempotent_and_has_aws_attributes(ferry, sns):
    me = acct(ferry, "dev")
    arn = sns.create_topic(Name="orders")["TopicArn"]
    assert arn == f"arn:aws:sns:us-east-1:{me}:orders"
    assert sns.create_topic(Name="orders")["TopicArn"] == arn
    a = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert a["TopicArn"] == arn and a["Owner"] == me and a["DisplayName"] == ""
    assert (a["SubscriptionsConfirmed"], a["SubscriptionsPending"], a["SubscriptionsDeleted"]) == ("0", "0", "0")
    pol = json.loads(a["Policy"])
    assert pol["Id"] == "__default_policy_ID" and pol["Version"] == "2008-10-17"
    st = pol["Statement"][0]
    assert st["Principal"] == {"AWS": "*"} and st["Resource"] == arn
    assert st["Condition"] == {"StringEquals": {"AWS:SourceOwner": me}}
    assert "SNS:Publish" in st["Action"] and "SNS:Subscribe" in st["Action"]
    edp = json.loads(a["EffectiveDeliveryPolicy"])
    assert edp["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 3
    assert "FifoTopic" not in a
    # same name, other attributes: refused; other regions and accounts are other topics
    raises(sns.create_topic, "InvalidParameter",
           "Invalid parameter: Attributes Reason: Topic already exists with different attributes",
           Name="orders", Attributes={"DisplayName": "other"})
    assert ferry.client("sns", "dev", region="eu-west-1").create_topic(Name="orders")["TopicArn"] == \
        f"arn:aws:sns:eu-west-1:{me}:orders"
    qa = acct(ferry, "qa")
    assert ferry.client("sns", "qa").create_topic(Name="orders")["TopicArn"] == f"arn:aws:sns:us-east-1:{qa}:orders"
    # attributes and tags at creation
    t = sns.create_topic(Name="with-attrs", Attributes={"DisplayName": "Orders", "KmsMasterKeyId": "alias/aws/sns"},
                         Tags=[{"Key": "team", "Value": "booking"}])["TopicArn"]
    a = sns.get_topic_attributes(TopicArn=t)["Attributes"]
    assert a["DisplayName"] == "Orders" and a["KmsMasterKeyId"] == "alias/aws/sns"
    assert sns.list_tags_for_resource(ResourceArn=t)["Tags"] == [{"Key": "team", "Value": "booking"}]
    raises(sns.create_topic, "InvalidParameter", "Invalid parameter: Tags Reason: Topic already exists with different tags",
           Name="with-attrs", Tags=[{"Key": "team", "Value": "airmiles"}])


def test_topic_name_rules(sns):
    for bad in ["", "has space", "x" * 257, "dot.ted", "bad.fifo"]:
        raises(sns.create_topic, "InvalidParameter", "Invalid parameter: Topic Name", Name=bad)
    raises(sns.create_topic, "InvalidParameter",
           "Invalid parameter: Fifo Topic names must end with .fifo and must be made up of only uppercase and "
           "lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.",
           Name="notfifo", Attributes={"FifoTopic": "true"})
    raises(sns.create_topic, "InvalidParameter", Name="t", Attributes={"Bogus": "1"})
    assert sns.create_topic(Name="A_b-9" * 10)["TopicArn"].endswith(":" + "A_b-9" * 10)


def test_list_topics_pages_by_100(ferry):
    c = ferry.client("sns", "prod", region="ap-south-1")
    for i in range(105):
        c.create_topic(Name=f"t{i:03d}")
    p1 = c.list_topics()
    assert len(p1["Topics"]) == 100 and p1["NextToken"]
    p2 = c.list_topics(NextToken=p1["NextToken"])
    assert len(p2["Topics"]) == 5 and "NextToken" not in p2
    names = [t["TopicArn"].rsplit(":", 1)[1] for t in p1["Topics"] + p2["Topics"]]
    assert sorted(names) == [f"t{i:03d}" for i in range(105)]
    pages = list(c.get_paginator("list_topics").paginate())
    assert sum(len(p["Topics"]) for p in pages) == 105
    raises(c.list_topics, "InvalidParameter", NextToken="garbage")


def test_delete_topic(ferry, sns):
    arn = sns.create_topic(Name="short-lived")["TopicArn"]
    _, _, qarn = queue_for(ferry, "dev", "short-lived-q", arn)
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"]
    sns.delete_topic(TopicArn=arn)
    raises(sns.get_topic_attributes, "NotFound", "Topic does not exist", 404, TopicArn=arn)
    raises(sns.get_subscription_attributes, "NotFound", "Subscription does not exist", 404, SubscriptionArn=sub)
    assert all(s["SubscriptionArn"] != sub for s in sns.list_subscriptions()["Subscriptions"])
    sns.delete_topic(TopicArn=arn)  # AWS: deleting a missing topic is not an error
    raises(sns.delete_topic, "InvalidParameter", "Invalid parameter: TopicArn", TopicArn="not-an-arn")
    raises(sns.publish, "NotFound", "Topic does not exist", 404, TopicArn=arn, Message="x")


def test_set_topic_attributes(sns):
    arn = sns.create_topic(Name="settable")["TopicArn"]
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Settable")
    dp = {"http": {"defaultHealthyRetryPolicy": {"numRetries": 5, "minDelayTarget": 2, "maxDelayTarget": 4},
                   "disableSubscriptionOverrides": False}}
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(dp))
    sns.set_topic_attributes(TopicArn=arn, AttributeName="SignatureVersion", AttributeValue="2")
    sns.set_topic_attributes(TopicArn=arn, AttributeName="TracingConfig", AttributeValue="Active")
    sns.set_topic_attributes(TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue="alias/k")
    a = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert a["DisplayName"] == "Settable" and json.loads(a["DeliveryPolicy"]) == dp
    assert a["SignatureVersion"] == "2" and a["TracingConfig"] == "Active" and a["KmsMasterKeyId"] == "alias/k"
    assert json.loads(a["EffectiveDeliveryPolicy"])["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 5
    bad = {"http": {"defaultHealthyRetryPolicy": {"numRetries": 101}}}
    raises(sns.set_topic_attributes, "InvalidParameter",
           "Invalid parameter: DeliveryPolicy: http.defaultHealthyRetryPolicy.numRetries must be less than or equal to 100",
           TopicArn=arn, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(bad))
    raises(sns.set_topic_attributes, "InvalidParameter", "Invalid parameter: AttributeName",
           TopicArn=arn, AttributeName="Nope", AttributeValue="1")
    raises(sns.set_topic_attributes, "InvalidParameter",
           TopicArn=arn, AttributeName="FifoTopic", AttributeValue="true")
    raises(sns.set_topic_attributes, "InvalidParameter",
           TopicArn=arn, AttributeName="ContentBasedDeduplication", AttributeValue="true")
    raises(sns.set_topic_attributes, "InvalidParameter", TopicArn=arn, AttributeName="SignatureVersion",
           AttributeValue="3")
    m = raises(sns.set_topic_attributes, "InvalidParameter", TopicArn=arn, AttributeName="Policy",
               AttributeValue="{not json")
    assert m.startswith("Invalid parameter: Policy Error:")
    raises(sns.set_topic_attributes, "NotFound", "Topic does not exist", TopicArn=arn + "-gone",
           AttributeName="DisplayName", AttributeValue="x")
    # an empty value removes an optional attribute
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="")
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"] == ""


def test_tags(sns):
    arn = sns.create_topic(Name="tagged")["TopicArn"]
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "3"}])
    assert sorted((t["Key"], t["Value"]) for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]) == \
        [("a", "3"), ("b", "2")]
    sns.untag_resource(ResourceArn=arn, TagKeys=["a", "missing"])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    raises(sns.tag_resource, "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded",
           ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    raises(sns.list_tags_for_resource, "ResourceNotFound", "Resource does not exist", 404,
           ResourceArn=arn + "-nope")
    raises(sns.tag_resource, "InvalidParameter", ResourceArn=arn, Tags=[{"Key": "aws:x", "Value": "v"}])


# --- subscriptions and delivery to SQS --------------------------------------------------

def test_sqs_subscription_delivers_a_signed_envelope(ferry, sns):
    me = acct(ferry, "dev")
    arn = sns.create_topic(Name="envelopes")["TopicArn"]
    sqs, url, qarn = queue_for(ferry, "dev", "envelopes-q", arn)
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"]
    assert sub.startswith(arn + ":")
    # the same endpoint again is the same subscription
    assert sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"] == sub
    r = sns.publish(TopicArn=arn, Message="booked", Subject="Booking",
                    MessageAttributes={"kind": {"DataType": "String", "StringValue": "flight"},
                                       "miles": {"DataType": "Number", "StringValue": "1200"},
                                       "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
                                       "tags": {"DataType": "String.Array", "StringValue": "[\"a\", 1]"}})
    assert set(r) == {"MessageId", "ResponseMetadata"}
    (m,) = receive(sqs, url)
    env = json.loads(m["Body"])
    assert env["Type"] == "Notification" and env["MessageId"] == r["MessageId"]
    assert env["TopicArn"] == arn and env["Subject"] == "Booking" and env["Message"] == "booked"
    assert env["SignatureVersion"] == "1" and env["Timestamp"].endswith("Z") and len(env["Timestamp"]) == 24
    assert env["SigningCertURL"] == ferry.endpoint + "/_ferry/sns/cert.pem"
    assert env["MessageAttributes"] == {"kind": {"Type": "String", "Value": "flight"},
                                        "miles": {"Type": "Number", "Value": "1200"},
                                        "blob": {"Type": "Binary", "Value": "AAE="},
                                        "tags": {"Type": "String.Array", "Value": "[\"a\", 1]"}}
    verify_signature(env)
    assert "MessageAttributes" not in m  # not raw: attributes live in the envelope
    # the subscription, as the lists and its attributes show it
    a = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert a["Protocol"] == "sqs" and a["Endpoint"] == qarn and a["Owner"] == me and a["TopicArn"] == arn
    assert a["PendingConfirmation"] == "false" and a["RawMessageDelivery"] == "false"
    assert a["ConfirmationWasAuthenticated"] == "true"
    s = {"SubscriptionArn": sub, "Owner": me, "Protocol": "sqs", "Endpoint": qarn, "TopicArn": arn}
    assert s in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert s in sns.list_subscriptions()["Subscriptions"]
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["SubscriptionsConfirmed"] == "1"
    # the UnsubscribeURL ends the subscription
    with urllib.request.urlopen(env["UnsubscribeURL"], timeout=5) as resp:
        assert b"UnsubscribeResponse" in resp.read()
    raises(sns.get_subscription_attributes, "NotFound", "Subscription does not exist", SubscriptionArn=sub)
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["SubscriptionsDeleted"] == "1"


def test_subscription_attributes_and_unsubscribe(ferry, sns):
    arn = sns.create_topic(Name="subattrs")["TopicArn"]
    _, _, qarn = queue_for(ferry, "dev", "subattrs-q", arn)
    _, _, dlq = queue_for(ferry, "dev", "subattrs-dlq", arn)
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn, ReturnSubscriptionArn=True,
                        Attributes={"RawMessageDelivery": "true", "FilterPolicy": '{"a":["1"]}'})["SubscriptionArn"]
    a = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert a["RawMessageDelivery"] == "true" and json.loads(a["FilterPolicy"]) == {"a": ["1"]}
    assert a["FilterPolicyScope"] == "MessageAttributes"
    raises(sns.subscribe, "InvalidParameter",
           "Invalid parameter: Attributes Reason: Subscription already exists with different attributes",
           TopicArn=arn, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "false"})
    rp = json.dumps({"deadLetterTargetArn": dlq})
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RedrivePolicy", AttributeValue=rp)
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="MessageBody")
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="False")
    a = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert a["RedrivePolicy"] == rp and a["FilterPolicyScope"] == "MessageBody" and a["RawMessageDelivery"] == "false"
    raises(sns.set_subscription_attributes, "InvalidParameter", "Invalid parameter: AttributeName",
           SubscriptionArn=sub, AttributeName="Nope", AttributeValue="x")
    raises(sns.set_subscription_attributes, "InvalidParameter",
           "Invalid parameter: RawMessageDelivery: Invalid value [maybe]. Must be true or false.",
           SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="maybe")
    raises(sns.set_subscription_attributes, "InvalidParameter",
           "Invalid parameter: FilterPolicyScope: Invalid value [Everything]. Please use either MessageBody or MessageAttributes",
           SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="Everything")
    raises(sns.set_subscription_attributes, "InvalidParameter", "Invalid parameter: RedrivePolicy: failed to parse JSON.",
           SubscriptionArn=sub, AttributeName="RedrivePolicy", AttributeValue="{")
    raises(sns.set_subscription_attributes, "InvalidParameter",
           "Invalid parameter: RedrivePolicy: deadLetterTargetArn is missing",
           SubscriptionArn=sub, AttributeName="RedrivePolicy", AttributeValue="{}")
    raises(sns.set_subscription_attributes, "InvalidParameter",
           SubscriptionArn=sub, AttributeName="DeliveryPolicy", AttributeValue='{"healthyRetryPolicy":{"numRetries":-1}}')
    raises(sns.get_subscription_attributes, "InvalidParameter", "Invalid parameter: SubscriptionArn",
           SubscriptionArn="arn:aws:sns:us-east-1:123")
    # another account can neither read nor end it
    other = ferry.client("sns", "qa")
    raises(other.get_subscription_attributes, "AuthorizationError", status=403, SubscriptionArn=sub)
    raises(other.unsubscribe, "AuthorizationError", status=403, SubscriptionArn=sub)
    sns.unsubscribe(SubscriptionArn=sub)
    sns.unsubscribe(SubscriptionArn=sub)  # twice is fine
    assert sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"] == []
    raises(sns.set_subscription_attributes, "NotFound", "Subscription does not exist",
           SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true")


def test_subscribe_errors(ferry, sns):
    arn = sns.create_topic(Name="suberrs")["TopicArn"]
    raises(sns.subscribe, "InvalidParameter", "Invalid parameter: Amazon SNS does not support this protocol string: ftp",
           TopicArn=arn, Protocol="ftp", Endpoint="ftp://x")
    raises(sns.subscribe, "InvalidParameter", "Invalid parameter: SQS endpoint ARN",
           TopicArn=arn, Protocol="sqs", Endpoint="https://sqs/q")
    raises(sns.subscribe, "InvalidParameter", "Invalid parameter: Endpoint must match the specified protocol",
           TopicArn=arn, Protocol="https", Endpoint="http://example.com")
    raises(sns.subscribe, "InvalidParameter", "Invalid parameter: Email address",
           TopicArn=arn, Protocol="email", Endpoint="nobody")
    raises(sns.subscribe, "InvalidParameter", "Invalid parameter: Lambda endpoint ARN",
           TopicArn=arn, Protocol="lambda", Endpoint="fn")
    raises(sns.subscribe, "InvalidParameter",
           "Invalid parameter: Attributes Reason: Delivery protocol [email] does not support raw message delivery.",
           TopicArn=arn, Protocol="email", Endpoint="a@example.com", Attributes={"RawMessageDelivery": "true"})
    raises(sns.subscribe, "NotFound", "Topic does not exist", TopicArn=arn + "x", Protocol="sqs",
           Endpoint="arn:aws:sqs:us-east-1:123456789012:q")
    raises(sns.subscribe, "InvalidParameter",
           "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics",
           TopicArn=arn, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:123456789012:q.fifo")
    # email and email-json wait for a human; sms is confirmed at once
    pend = sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="ops@example.com")
    assert pend["SubscriptionArn"] == "pending confirmation"
    full = sns.subscribe(TopicArn=arn, Protocol="email-json", Endpoint="ops@example.com", ReturnSubscriptionArn=True)
    assert full["SubscriptionArn"].startswith(arn + ":")
    assert sns.get_subscription_attributes(SubscriptionArn=full["SubscriptionArn"])["Attributes"]["PendingConfirmation"] == "true"
    sms = sns.subscribe(TopicArn=arn, Protocol="sms", Endpoint="+15555550100")["SubscriptionArn"]
    assert sms.startswith(arn + ":")
    lam = sns.subscribe(TopicArn=arn, Protocol="lambda",
                        Endpoint=f"arn:aws:lambda:us-east-1:{acct(ferry, 'dev')}:function:f")["SubscriptionArn"]
    assert lam.startswith(arn + ":")
    subs = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert sorted(s["SubscriptionArn"] for s in subs if s["Protocol"].startswith("email")) == \
        ["PendingConfirmation", "PendingConfirmation"]
    a = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert (a["SubscriptionsConfirmed"], a["SubscriptionsPending"]) == ("2", "2")
    raises(sns.confirm_subscription, "InvalidParameter", "Invalid parameter: Invalid token", TopicArn=arn, Token="nope")


def test_raw_delivery_to_sqs_carries_attributes(ferry, sns):
    arn = sns.create_topic(Name="raw")["TopicArn"]
    sqs, url, qarn = queue_for(ferry, "dev", "raw-q", arn)
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    sns.publish(TopicArn=arn, Message='{"booking": 7}',
                MessageAttributes={"kind": {"DataType": "String", "StringValue": "flight"},
                                   "n": {"DataType": "Number", "StringValue": "3"},
                                   "b": {"DataType": "Binary", "BinaryValue": b"\xff"}})
    (m,) = receive(sqs, url)
    assert m["Body"] == '{"booking": 7}'
    assert m["MessageAttributes"] == {"kind": {"StringValue": "flight", "DataType": "String"},
                                      "n": {"StringValue": "3", "DataType": "Number"},
                                      "b": {"BinaryValue": b"\xff", "DataType": "Binary"}}


def test_message_structure_json(ferry, sns):
    arn = sns.create_topic(Name="structured")["TopicArn"]
    sqs, url, qarn = queue_for(ferry, "dev", "structured-q", arn)
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn)
    sns.publish(TopicArn=arn, MessageStructure="json", Message=json.dumps({"default": "d", "sqs": "for queues"}))
    sns.publish(TopicArn=arn, MessageStructure="json", Message=json.dumps({"default": "only default"}))
    bodies = sorted(json.loads(m["Body"])["Message"] for m in receive(sqs, url, 2))
    assert bodies == ["for queues", "only default"]
    raises(sns.publish, "InvalidParameter", "Invalid parameter: Message Structure - No default entry in JSON message body",
           TopicArn=arn, MessageStructure="json", Message='{"sqs": "x"}')
    raises(sns.publish, "InvalidParameter", "Invalid parameter: Message Structure - JSON message body failed to parse",
           TopicArn=arn, MessageStructure="json", Message="not json")


def test_publish_errors(ferry, sns):
    arn = sns.create_topic(Name="pub-errors")["TopicArn"]
    raises(sns.publish, "InvalidParameter", "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter",
           Message="x")
    big = "x" * (256 * 1024 + 1)
    raises(sns.publish, "InvalidParameter", "Invalid parameter: Message too long", TopicArn=arn, Message=big)
    assert sns.publish(TopicArn=arn, Message="x" * (256 * 1024))["MessageId"]
    raises(sns.publish, "InvalidParameter", "Invalid parameter: Message too long", TopicArn=arn,
           Message="x" * (256 * 1024 - 3), MessageAttributes={"a": {"DataType": "String", "StringValue": "v"}})
    raises(sns.publish, "InvalidParameter", "Invalid parameter: Empty message", TopicArn=arn, Message="")
    raises(sns.publish, "InvalidParameter", "Invalid parameter: Subject", TopicArn=arn, Message="m", Subject="s" * 100)
    raises(sns.publish, "InvalidParameter", "Invalid parameter: Subject", TopicArn=arn, Message="m", Subject="a\nb")
    raises(sns.publish, "ParameterValueInvalid",
           "The message attribute 'a' has an invalid message attribute type, the set of supported type prefixes is "
           "Binary, Number, and String.",
           TopicArn=arn, Message="m", MessageAttributes={"a": {"DataType": "Text", "StringValue": "v"}})
    raises(sns.publish, "ParameterValueInvalid",
           "The message attribute 'a' must contain non-empty message attribute value for message attribute type 'String'.",
           TopicArn=arn, Message="m", MessageAttributes={"a": {"DataType": "String", "StringValue": ""}})
    raises(sns.publish, "ParameterValueInvalid", "Could not cast message attribute 'a' value to number.",
           TopicArn=arn, Message="m", MessageAttributes={"a": {"DataType": "Number", "StringValue": "ten"}})
    raises(sns.publish, "ParameterValueInvalid", TopicArn=arn, Message="m",
           MessageAttributes={"a": {"DataType": "String.Array", "StringValue": "{}"}})
    raises(sns.publish, "InvalidParameter",
           "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter "
           "that is not valid for this topic type",
           TopicArn=arn, Message="m", MessageDeduplicationId="d")
    raises(sns.publish, "NotFound", "Topic does not exist", 404, TopicArn=arn + "-none", Message="m")
    raises(sns.publish, "InvalidParameter", "Invalid parameter: TopicArn", TopicArn="arn:aws:sqs:us-east-1:1:q", Message="m")
    # a topic is reached through its own region
    raises(ferry.client("sns", "dev", region="eu-west-1").publish, "InvalidParameter", "Invalid parameter: TopicArn",
           TopicArn=arn, Message="m")
    # TargetArn naming a topic publishes to it; a push endpoint ferry does not have is NotFound
    assert sns.publish(TargetArn=arn, Message="m")["MessageId"]
    raises(sns.publish, "NotFound", "Endpoint does not exist",
           TargetArn="arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/0000", Message="m")
    # SMS: an account in the SMS sandbox texts only verified numbers (test_sns_push.py)
    raises(sns.publish, "AuthorizationError", status=403, PhoneNumber="+15555550100", Message="hi")


def test_publish_batch(ferry, sns):
    arn = sns.create_topic(Name="batch")["TopicArn"]
    sqs, url, qarn = queue_for(ferry, "dev", "batch-q", arn)
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    r = sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[
        {"Id": "one", "Message": "1"},
        {"Id": "two", "Message": "2", "MessageAttributes": {"a": {"DataType": "Number", "StringValue": "x"}}},
        {"Id": "three", "Message": "3", "Subject": "s"}])
    assert sorted(s["Id"] for s in r["Successful"]) == ["one", "three"]
    assert r["Failed"] == [{"Id": "two", "Code": "ParameterValueInvalid",
                            "Message": "Could not cast message attribute 'a' value to number.", "SenderFault": True}]
    assert sorted(m["Body"] for m in receive(sqs, url, 2)) == ["1", "3"]
    raises(sns.publish_batch, "EmptyBatchRequest", "The batch request doesn't contain any entries.",
           TopicArn=arn, PublishBatchRequestEntries=[])
    raises(sns.publish_batch, "TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.",
           TopicArn=arn, PublishBatchRequestEntries=[{"Id": f"i{i}", "Message": "m"} for i in range(11)])
    raises(sns.publish_batch, "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.",
           TopicArn=arn, PublishBatchRequestEntries=[{"Id": "a", "Message": "m"}, {"Id": "a", "Message": "n"}])
    raises(sns.publish_batch, "InvalidBatchEntryId",
           "The Id of a batch entry in a batch request doesn't abide by the specification.",
           TopicArn=arn, PublishBatchRequestEntries=[{"Id": "no spaces", "Message": "m"}])
    raises(sns.publish_batch, "BatchRequestTooLong", "The length of all the messages put together is more than the limit.",
           TopicArn=arn, PublishBatchRequestEntries=[{"Id": f"i{i}", "Message": "x" * 30000} for i in range(10)])
    raises(sns.publish_batch, "NotFound", "Topic does not exist", TopicArn=arn + "-none",
           PublishBatchRequestEntries=[{"Id": "a", "Message": "m"}])


def test_fifo_topic_orders_and_deduplicates(ferry, sns):
    arn = sns.create_topic(Name="trades.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    a = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert a["FifoTopic"] == "true" and a["ContentBasedDeduplication"] == "false"
    sqs, url, qarn = queue_for(ferry, "dev", "trades.fifo", arn)
    raises(sns.subscribe, "InvalidParameter", TopicArn=arn, Protocol="https", Endpoint="https://example.com")
    raises(sns.subscribe, "InvalidParameter",
           "Invalid parameter: Invalid parameter: Endpoint Reason: Please use FIFO SQS queue",
           TopicArn=arn, Protocol="sqs", Endpoint=qarn[:-5])
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    raises(sns.publish, "InvalidParameter", "Invalid parameter: The MessageGroupId parameter is required for FIFO topics",
           TopicArn=arn, Message="m")
    raises(sns.publish, "InvalidParameter",
           "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or "
           "MessageDeduplicationId provided explicitly",
           TopicArn=arn, Message="m", MessageGroupId="g")
    seqs = []
    for i in range(20):
        r = sns.publish(TopicArn=arn, Message=f"m{i}", MessageGroupId=f"g{i % 2}", MessageDeduplicationId=f"d{i}")
        seqs.append(int(r["SequenceNumber"]))
    assert seqs == sorted(seqs) and len(set(seqs)) == 20
    dup = sns.publish(TopicArn=arn, Message="m0 again", MessageGroupId="g0", MessageDeduplicationId="d0")
    assert int(dup["SequenceNumber"]) == seqs[0]
    got = receive(sqs, url, 20, attrs=False)
    assert len(got) == 20
    for g in ("g0", "g1"):
        order = [int(m["Body"][1:]) for m in got if int(m["Body"][1:]) % 2 == (g == "g1")]
        assert order == sorted(order)
    assert nothing_arrives(sqs, url, 0.5)  # the duplicate was not delivered
    sns.set_topic_attributes(TopicArn=arn, AttributeName="ContentBasedDeduplication", AttributeValue="true")
    r1 = sns.publish(TopicArn=arn, Message="same", MessageGroupId="g")
    r2 = sns.publish(TopicArn=arn, Message="same", MessageGroupId="g")
    assert r1["MessageId"] == r2["MessageId"]
    r = sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[
        {"Id": "a", "Message": "b1", "MessageGroupId": "g"}, {"Id": "b", "Message": "b2", "MessageGroupId": "g"}])
    assert all("SequenceNumber" in s for s in r["Successful"])
    # many publishes (the deduplication records are swept every 256)
    busy = sns.create_topic(Name="busy.fifo", Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    for b in range(27):
        r = sns.publish_batch(TopicArn=busy, PublishBatchRequestEntries=[
            {"Id": f"e{i}", "Message": f"{b}-{i}", "MessageGroupId": "g"} for i in range(10)])
        assert len(r["Successful"]) == 10


# --- filter policies --------------------------------------------------------------------

FILTERS = {
    "exact": ({"sport": ["rugby", "tennis"]}, "MessageAttributes"),
    "prefix": ({"sport": [{"prefix": "bas"}]}, "MessageAttributes"),
    "suffix": ({"sport": [{"suffix": "ball"}]}, "MessageAttributes"),
    "ignorecase": ({"sport": [{"equals-ignore-case": "RUGBY"}]}, "MessageAttributes"),
    "anythingbut": ({"sport": [{"anything-but": ["rugby", "baseball"]}]}, "MessageAttributes"),
    "abprefix": ({"sport": [{"anything-but": {"prefix": "bas"}}]}, "MessageAttributes"),
    "numeric": ({"price": [{"numeric": [">", 10, "<=", 100]}]}, "MessageAttributes"),
    "numexact": ({"price": [50]}, "MessageAttributes"),
    "exists": ({"vip": [{"exists": True}]}, "MessageAttributes"),
    "notexists": ({"vip": [{"exists": False}]}, "MessageAttributes"),
    "cidr": ({"ip": [{"cidr": "10.0.0.0/24"}]}, "MessageAttributes"),
    "or": ({"$or": [{"sport": ["golf"]}, {"price": [{"numeric": ["<", 0]}]}]}, "MessageAttributes"),
    "and": ({"sport": ["rugby"], "price": [{"numeric": [">=", 100]}]}, "MessageAttributes"),
    "body": ({"order": {"kind": ["flight"], "miles": [{"numeric": [">", 1000]}]}}, "MessageBody"),
}

MESSAGES = [  # (name, attributes, body) -> the filters that take it
    ("rugby", {"sport": ("String", "rugby"), "price": ("Number", "150")}, "{}",
     {"exact", "ignorecase", "abprefix", "notexists", "and"}),
    ("basketball", {"sport": ("String", "basketball"), "price": ("Number", "50")}, "{}",
     {"prefix", "suffix", "anythingbut", "numeric", "numexact", "notexists"}),
    ("array", {"sport": ("String.Array", '["tennis", "golf"]'), "vip": ("String", "yes")}, "{}",
     {"exact", "anythingbut", "abprefix", "exists", "or"}),
    ("ip", {"ip": ("String", "10.0.0.7"), "price": ("Number", "-1")}, "{}", {"cidr", "notexists", "or"}),
    ("body", {}, json.dumps({"order": {"kind": "flight", "miles": 1500}}), {"notexists", "body"}),
    ("body-low", {}, json.dumps({"order": {"kind": "flight", "miles": 10}}), {"notexists"}),
]


def test_filter_policies_of_every_operator(ferry, sns):
    arn = sns.create_topic(Name="filtered")["TopicArn"]
    queues = {}
    for name, (policy, scope) in FILTERS.items():
        sqs, url, qarn = queue_for(ferry, "dev", f"filter-{name}", arn)
        sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn, Attributes={
            "RawMessageDelivery": "true", "FilterPolicy": json.dumps(policy), "FilterPolicyScope": scope})
        queues[name] = url
    for name, attrs, body, _ in MESSAGES:
        ma = {k: {"DataType": t, "StringValue": v} for k, (t, v) in attrs.items()}
        sns.publish(TopicArn=arn, Message=body if body != "{}" else json.dumps({"name": name}), MessageAttributes=ma)
    # a last message every filter takes, so each queue's end is known
    sns.publish(TopicArn=arn, Message=json.dumps({"name": "end", "order": {"kind": "flight", "miles": 5000}}),
                MessageAttributes={"sport": {"DataType": "String", "StringValue": "rugby"},
                                   "price": {"DataType": "Number", "StringValue": "100"},
                                   "vip": {"DataType": "String", "StringValue": "x"},
                                   "ip": {"DataType": "String", "StringValue": "10.0.0.1"}})
    ends = {"exact", "ignorecase", "abprefix", "numeric", "exists", "cidr", "and", "body"}
    sqs = ferry.client("sqs", "dev")
    for fname, url in queues.items():
        want = {m[0] for m in MESSAGES if fname in m[3]}
        n = len(want) + (fname in ends)
        got = receive(sqs, url, n, attrs=False)
        names = set()
        for m in got:
            b = json.loads(m["Body"])
            names.add(b.get("name") or ("body" if b["order"]["miles"] == 1500 else "body-low"))
        assert names == want | ({"end"} if fname in ends else set()), (fname, names)
    # changing the policy takes effect for the next publish
    sub = [s for s in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
           if s["Endpoint"].endswith(":filter-exact")][0]["SubscriptionArn"]
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                    AttributeValue=json.dumps({"sport": ["polo"]}))
    sns.publish(TopicArn=arn, Message=json.dumps({"name": "polo"}),
                MessageAttributes={"sport": {"DataType": "String", "StringValue": "polo"}})
    assert [json.loads(m["Body"])["name"] for m in receive(sqs, queues["exact"], 1)] == ["polo"]


def test_filter_policy_errors(ferry, sns):
    arn = sns.create_topic(Name="filter-errors")["TopicArn"]
    _, _, qarn = queue_for(ferry, "dev", "filter-errors-q", arn)
    sub = lambda fp, scope=None: sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn, Attributes=dict(
        {"FilterPolicy": json.dumps(fp) if not isinstance(fp, str) else fp}, **({"FilterPolicyScope": scope} if scope else {})))
    with pytest.raises(botocore.exceptions.ClientError) as ex:
        sub({"a": [str(i) for i in range(151)]})
    assert err(ex)[:2] == ("InvalidParameter", "Invalid parameter: Attributes Reason: FilterPolicy: Filter policy is too complex")
    with pytest.raises(botocore.exceptions.ClientError) as ex:
        sub({k: ["x"] for k in "abcdef"})
    assert err(ex)[1] == "Invalid parameter: Attributes Reason: FilterPolicy: Filter policy can not have more than 5 keys"
    with pytest.raises(botocore.exceptions.ClientError) as ex:
        sub({"a": [{"numeric": [">", 5, "<", 1]}]})
    assert err(ex)[1] == "Invalid parameter: Attributes Reason: FilterPolicy: Bottom must be less than top"
    with pytest.raises(botocore.exceptions.ClientError) as ex:
        sub({"a": {"b": ["x"]}})
    assert err(ex)[1] == "Invalid parameter: Attributes Reason: Filter policy scope MessageAttributes does not support nested filter policy"
    assert sub({"a": {"b": ["x"]}}, "MessageBody")["SubscriptionArn"]
    s = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"][0]["SubscriptionArn"]
    raises(sns.set_subscription_attributes, "InvalidParameter", "Invalid parameter: FilterPolicy: Unrecognized match type wildcard",
           SubscriptionArn=s, AttributeName="FilterPolicy", AttributeValue='{"a":[{"wildcard":"*"}]}')
    raises(sns.set_subscription_attributes, "InvalidParameter",
           "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy",
           SubscriptionArn=s, AttributeName="FilterPolicyScope", AttributeValue="MessageAttributes")
    m = raises(sns.set_subscription_attributes, "InvalidParameter", SubscriptionArn=s, AttributeName="FilterPolicy",
               AttributeValue="{nope")
    assert m.startswith("Invalid parameter: FilterPolicy: failed to parse JSON")


# --- HTTP endpoints ---------------------------------------------------------------------

def test_http_confirmation_signed_notifications_and_unsubscribe(ferry, sns, endpoint):
    arn = sns.create_topic(Name="webhooks")["TopicArn"]
    r = sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=endpoint.url + "/hook", ReturnSubscriptionArn=True)
    sub = r["SubscriptionArn"]
    ((path, h, body),) = endpoint.wait(1, kind="SubscriptionConfirmation")
    assert path == "/hook" and h["x-amz-sns-topic-arn"] == arn and "x-amz-sns-subscription-arn" not in h
    assert h["user-agent"] == "Amazon Simple Notification Service Agent"
    env = json.loads(body)
    assert env["Type"] == "SubscriptionConfirmation" and env["TopicArn"] == arn and env["Token"]
    assert h["x-amz-sns-message-id"] == env["MessageId"]
    assert "You have chosen to subscribe to the topic" in env["Message"]
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["PendingConfirmation"] == "true"
    # nothing is delivered before the endpoint confirms
    sns.publish(TopicArn=arn, Message="too early")
    confirm_http(ferry, endpoint, "/hook")
    a = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert a["PendingConfirmation"] == "false" and a["ConfirmationWasAuthenticated"] == "false"
    assert json.loads(a["EffectiveDeliveryPolicy"])["healthyRetryPolicy"]["numRetries"] == 3
    # SignatureVersion 1 (SHA1withRSA), then 2 (SHA256withRSA)
    sns.publish(TopicArn=arn, Message="hello", Subject="Greeting",
                MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
    sns.set_topic_attributes(TopicArn=arn, AttributeName="SignatureVersion", AttributeValue="2")
    sns.publish(TopicArn=arn, Message="hello again")
    notes = endpoint.wait(2, kind="Notification")
    assert len(notes) == 2, notes
    envs = [json.loads(b) for _, _, b in notes]
    assert sorted(e["Message"] for e in envs) == ["hello", "hello again"]
    for (p, h, b), e in zip(notes, envs):
        assert h["x-amz-sns-subscription-arn"] == sub and h["x-amz-sns-topic-arn"] == arn
        assert h["x-amz-sns-message-id"] == e["MessageId"]
        assert h["content-type"] == "text/plain; charset=UTF-8"
        verify_signature(e)
    assert {e["Message"]: e["SignatureVersion"] for e in envs} == {"hello": "1", "hello again": "2"}
    # a tampered message does not verify
    bad = dict(envs[0], Message="changed")
    with pytest.raises(Exception):
        verify_signature(bad)
    # raw delivery posts the message itself
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true")
    sns.publish(TopicArn=arn, Message="raw body")
    raw = endpoint.wait(3, kind="Notification")[2]
    assert raw[2] == "raw body" and raw[1]["x-amz-sns-rawdelivery"] == "true"
    # unsubscribing sends an UnsubscribeConfirmation
    sns.unsubscribe(SubscriptionArn=sub)
    ((_, h, body),) = endpoint.wait(1, kind="UnsubscribeConfirmation")
    u = json.loads(body)
    verify_signature(u)
    assert u["Type"] == "UnsubscribeConfirmation" and h["x-amz-sns-subscription-arn"] == sub


def test_http_confirm_with_the_api_and_authenticated_unsubscribe(ferry, sns, endpoint):
    arn = sns.create_topic(Name="webhooks-api")["TopicArn"]
    assert sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=endpoint.url)["SubscriptionArn"] == "pending confirmation"
    ((_, _, body),) = endpoint.wait(1, kind="SubscriptionConfirmation")
    token = json.loads(body)["Token"]
    sub = sns.confirm_subscription(TopicArn=arn, Token=token, AuthenticateOnUnsubscribe="true")["SubscriptionArn"]
    assert sns.confirm_subscription(TopicArn=arn, Token=token)["SubscriptionArn"] == sub
    a = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert a["ConfirmationWasAuthenticated"] == "true"
    sns.publish(TopicArn=arn, Message="m")
    (note,) = endpoint.wait(1, kind="Notification")
    unsub = json.loads(note[2])["UnsubscribeURL"]
    with pytest.raises(urllib.error.HTTPError) as ex:
        urllib.request.urlopen(unsub, timeout=5)
    assert ex.value.code == 403 and b"AuthorizationError" in ex.value.read()
    raises(sns.confirm_subscription, "NotFound", "Topic does not exist", TopicArn=arn + "x", Token=token)
    status, _, body = ferry.http("GET", "/_ferry/sns/confirm?TopicArn=" + urllib.parse.quote(arn) + "&Token=bad")
    assert status == 400 and b"Invalid token" in body


def test_http_failures_are_retried_then_dead_lettered(ferry, sns, endpoint):
    arn = sns.create_topic(Name="flaky")["TopicArn"]
    sqs, dlq_url, dlq = queue_for(ferry, "dev", "flaky-dlq", arn)
    sub = sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=endpoint.url, ReturnSubscriptionArn=True)["SubscriptionArn"]
    confirm_http(ferry, endpoint)
    policy = {"healthyRetryPolicy": {"numRetries": 2, "numNoDelayRetries": 2, "minDelayTarget": 1, "maxDelayTarget": 1}}
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(policy))
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RedrivePolicy",
                                    AttributeValue=json.dumps({"deadLetterTargetArn": dlq}))
    endpoint.status = 503
    r = sns.publish(TopicArn=arn, Message="will fail")
    (m,) = receive(sqs, dlq_url, 1, timeout=8)
    assert len(endpoint.wait(3, kind="Notification")) == 3  # the attempt and two retries
    env = json.loads(m["Body"])
    assert env["MessageId"] == r["MessageId"] and env["Message"] == "will fail"
    assert m["MessageAttributes"]["ErrorCode"]["StringValue"] == "HTTP 503"
    assert m["MessageAttributes"]["TopicArn"]["StringValue"] == arn
    # a 4xx is the endpoint's refusal: not retried
    endpoint.status = 400
    sns.publish(TopicArn=arn, Message="refused")
    (m,) = receive(sqs, dlq_url, 1, timeout=5)
    assert json.loads(m["Body"])["Message"] == "refused"
    assert len(endpoint.wait(4, kind="Notification")) == 4
    # recovered: delivered again
    endpoint.status = 200
    sns.publish(TopicArn=arn, Message="fine")
    assert json.loads(endpoint.wait(5, kind="Notification")[4][2])["Message"] == "fine"


def test_http_throttle_policy_spaces_deliveries(ferry, sns, endpoint):
    arn = sns.create_topic(Name="throttled")["TopicArn"]
    sub = sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=endpoint.url, ReturnSubscriptionArn=True)["SubscriptionArn"]
    confirm_http(ferry, endpoint)
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(
        {"throttlePolicy": {"maxReceivesPerSecond": 10}, "requestPolicy": {"headerContentType": "application/json"}}))
    t0 = time.time()
    sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[{"Id": f"m{i}", "Message": str(i)} for i in range(6)])
    notes = endpoint.wait(6, kind="Notification")
    assert len(notes) == 6 and time.time() - t0 >= 0.45  # 10 a second: 6 take half a second
    assert all(h["content-type"] == "application/json" for _, h, _ in notes)


def test_refused_sqs_delivery_goes_to_the_dead_letter_queue(ferry, sns):
    """A queue whose policy does not let SNS in refuses the message (a client-side error,
    not retried, AWS says): it goes to the subscription's dead-letter queue."""
    arn = sns.create_topic(Name="refused")["TopicArn"]
    sqs, url, qarn = queue_for(ferry, "dev", "refused-q")  # no policy for SNS
    _, dlq_url, dlq = queue_for(ferry, "dev", "refused-dlq", arn)
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn,
                  Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq})})
    r = sns.publish(TopicArn=arn, Message="nobody home")
    (m,) = receive(sqs, dlq_url, 1)
    assert json.loads(m["Body"])["MessageId"] == r["MessageId"]
    assert m["MessageAttributes"]["ErrorCode"]["StringValue"] == "AccessDenied"
    assert "sqs:SendMessage" in m["MessageAttributes"]["ErrorMessage"]["StringValue"]
    assert nothing_arrives(sqs, url)
    # let SNS in: the next one is delivered
    allow_sns(sqs, url, qarn, arn)
    sns.publish(TopicArn=arn, Message="welcome")
    assert json.loads(receive(sqs, url)[0]["Body"])["Message"] == "welcome"


def test_http_subscription_to_an_unreachable_endpoint_stays_pending(ferry, sns):
    arn = sns.create_topic(Name="nowhere")["TopicArn"]
    sub = sns.subscribe(TopicArn=arn, Protocol="http", Endpoint="http://127.0.0.1:9/", ReturnSubscriptionArn=True)
    sns.publish(TopicArn=arn, Message="x")  # pending: nothing to deliver yet
    assert sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])["Attributes"]["PendingConfirmation"] == "true"


# --- cross-account ----------------------------------------------------------------------

def test_cross_account_topic_and_queue_policies(ferry):
    """Booking (dev) publishes, Airmiles (qa) consumes: the topic policy must let qa
    subscribe, the queue policy must let SNS send from that topic."""
    booking, airmiles = acct(ferry, "dev"), acct(ferry, "qa")
    bsns = ferry.client("sns", "dev")
    asns = ferry.client("sns", "qa")
    topic = bsns.create_topic(Name="bookings")["TopicArn"]
    sqs, url, qarn = queue_for(ferry, "qa", "airmiles-q")
    # without the topic allowing it, qa cannot subscribe nor publish
    m = raises(asns.subscribe, "AuthorizationError", status=403, TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    assert m == (f"User: arn:aws:iam::{airmiles}:root is not authorized to perform: SNS:Subscribe on resource: "
                 f"{topic} because no resource-based policy allows the SNS:Subscribe action")
    raises(asns.publish, "AuthorizationError", TopicArn=topic, Message="x")
    raises(asns.get_topic_attributes, "AuthorizationError", TopicArn=topic)
    pol = json.loads(bsns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    pol["Statement"].append({"Sid": "airmiles", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{airmiles}:root"},
                             "Action": ["sns:Subscribe"], "Resource": topic})
    bsns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(pol))
    sub = asns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"]
    assert sub.startswith(topic + ":")  # the queue's owner subscribed: confirmed at once
    assert any(s["SubscriptionArn"] == sub for s in asns.list_subscriptions()["Subscriptions"])
    assert asns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["Owner"] == airmiles
    raises(asns.publish, "AuthorizationError", TopicArn=topic, Message="x")  # subscribe only
    # the queue has no policy for SNS: nothing arrives
    bsns.publish(TopicArn=topic, Message="lost")
    assert nothing_arrives(sqs, url)
    # the refused delivery is in the trail of the account SNS called for (written in the
    # delivery's own commit)
    trail = ferry.client("cloudtrail", "dev").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "SendMessage"}])["Events"]
    refused = [json.loads(e["CloudTrailEvent"]) for e in trail]
    assert any(r.get("errorCode") == "AccessDenied" and r["userIdentity"].get("invokedBy", r["sourceIPAddress"]) ==
               "sns.amazonaws.com" for r in refused), refused
    allow_sns(sqs, url, qarn, topic)
    bsns.publish(TopicArn=topic, Message="booking 1")
    (m,) = receive(sqs, url)
    env = json.loads(m["Body"])
    assert env["Message"] == "booking 1" and env["TopicArn"] == topic
    verify_signature(env)
    # a policy for another topic does not do
    allow_sns(sqs, url, qarn, topic + "-other")
    bsns.publish(TopicArn=topic, Message="lost again")
    assert nothing_arrives(sqs, url)
    allow_sns(sqs, url, qarn, topic)
    bsns.publish(TopicArn=topic, Message="booking 2")
    assert [json.loads(m["Body"])["Message"] for m in receive(sqs, url)] == ["booking 2"]
    # the topic owner may end it too
    bsns.unsubscribe(SubscriptionArn=sub)
    assert booking != airmiles


def test_topic_owner_subscribing_another_accounts_queue_needs_confirmation(ferry):
    bsns = ferry.client("sns", "dev")
    topic = bsns.create_topic(Name="needs-confirm")["TopicArn"]
    sqs, url, qarn = queue_for(ferry, "prod", "confirm-q", topic)
    r = bsns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, ReturnSubscriptionArn=True)
    assert bsns.get_subscription_attributes(SubscriptionArn=r["SubscriptionArn"])["Attributes"]["PendingConfirmation"] == "true"
    (m,) = receive(sqs, url)
    env = json.loads(m["Body"])
    assert env["Type"] == "SubscriptionConfirmation"
    verify_signature(env)
    psns = ferry.client("sns", "prod")
    assert psns.confirm_subscription(TopicArn=topic, Token=env["Token"])["SubscriptionArn"] == r["SubscriptionArn"]
    bsns.publish(TopicArn=topic, Message="now flowing")
    assert json.loads(receive(sqs, url)[0]["Body"])["Message"] == "now flowing"


def test_add_and_remove_permission(ferry):
    bsns = ferry.client("sns", "dev")
    tsns = ferry.client("sns", "tools")
    topic = bsns.create_topic(Name="shared")["TopicArn"]
    tools = acct(ferry, "tools")
    raises(tsns.publish, "AuthorizationError", TopicArn=topic, Message="x")
    bsns.add_permission(TopicArn=topic, Label="tools-publish", AWSAccountId=[tools], ActionName=["Publish"])
    pol = json.loads(bsns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    st = [s for s in pol["Statement"] if s.get("Sid") == "tools-publish"][0]
    assert st["Principal"] == {"AWS": f"arn:aws:iam::{tools}:root"} and st["Action"] == "SNS:Publish"
    assert tsns.publish(TopicArn=topic, Message="from tools")["MessageId"]
    raises(tsns.subscribe, "AuthorizationError", TopicArn=topic, Protocol="email", Endpoint="a@example.com")
    raises(bsns.add_permission, "InvalidParameter", "Invalid parameter: Statement already exists",
           TopicArn=topic, Label="tools-publish", AWSAccountId=[tools], ActionName=["Publish"])
    raises(bsns.add_permission, "InvalidParameter", "Invalid parameter: Policy statement action out of service scope!",
           TopicArn=topic, Label="x", AWSAccountId=[tools], ActionName=["sqs:SendMessage"])
    raises(bsns.add_permission, "InvalidParameter", "Invalid parameter: AWSAccountId",
           TopicArn=topic, Label="y", AWSAccountId=["12"], ActionName=["Publish"])
    raises(tsns.add_permission, "AuthorizationError", TopicArn=topic, Label="z", AWSAccountId=[tools],
           ActionName=["Publish"])
    bsns.remove_permission(TopicArn=topic, Label="tools-publish")
    raises(tsns.publish, "AuthorizationError", TopicArn=topic, Message="x")


def test_iam_users_are_held_to_their_policies(ferry):
    iam = ferry.client("iam", "dev")
    bsns = ferry.client("sns", "dev")
    topic = bsns.create_topic(Name="iam-guarded")["TopicArn"]
    iam.create_user(UserName="sns-denied")
    iam.put_user_policy(UserName="sns-denied", PolicyName="no-publish", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sns:Publish", "Resource": topic}]}))
    key = iam.create_access_key(UserName="sns-denied")["AccessKey"]
    user = boto3.client("sns", region_name="us-east-1", endpoint_url=ferry.endpoint,
                        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    m = raises(user.publish, "AuthorizationError", status=403, TopicArn=topic, Message="x")
    assert "explicit deny" in m
    # the default topic policy lets the owner account's principals use the topic
    assert user.get_topic_attributes(TopicArn=topic)["Attributes"]["TopicArn"] == topic


def test_calls_are_in_the_audit_trail(ferry, sns):
    arn = sns.create_topic(Name="audited")["TopicArn"]
    sns.publish(TopicArn=arn, Message="x")
    ct = ferry.client("cloudtrail", "dev")
    ev = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "Publish"}])["Events"]
    assert any(e["EventSource"] == "sns.amazonaws.com" and any(r.get("ResourceName") == arn for r in e["Resources"])
               for e in ev)
