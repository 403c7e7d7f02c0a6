"""Durability of SNS deliveries: publishers keep publishing while the server is killed
with SIGKILL; after a restart every publish that was acknowledged reaches the subscribed
queues (at least once), none is lost. Also: a clean SIGTERM stop with deliveries still
pending (an endpoint that is down) resumes them after the restart."""
import json
import signal
import threading
import time

import botocore
import pytest

from ferrytest import Ferry
from test_sns import Endpoint, allow_sns, receive


@pytest.fixture
def server():
    f = Ferry().start()
    f.init()
    yield f
    f.close()


def sqs_available(f):
    try:
        f.client("sqs", "dev").list_queues()
        return True
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"] not in ("NotImplemented", "UnknownService", "InvalidAction")


def queue(f, profile, name, topic):
    sqs = f.client("sqs", profile)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    allow_sns(sqs, url, arn, topic)
    return arn


def drain(f, profile, name, want, timeout=30.0):
    """Message numbers found in the queue until `want` are all there (or the time is up)."""
    sqs = f.client("sqs", profile)
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    seen, copies = set(), 0
    deadline = time.time() + timeout
    while not want <= seen and time.time() < deadline:
        for m in receive(sqs, url, 1000, timeout=1.0, attrs=False):
            seen.add(int(json.loads(m["Body"])["Message"]))
            copies += 1
    return seen, copies


def test_kill9_under_load_loses_no_acknowledged_publish(server):
    f = server
    if not sqs_available(f):
        pytest.skip("SQS is not registered in this build: nothing to deliver to")
    sns = f.client("sns", "dev")
    topic = sns.create_topic(Name="durable")["TopicArn"]
    qa_topic_policy = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    qa = f.client("sts", "qa").get_caller_identity()["Account"]
    qa_topic_policy["Statement"].append({"Effect": "Allow", "Principal": {"AWS": qa}, "Action": "sns:Subscribe",
                                        "Resource": topic})
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(qa_topic_policy))
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue(f, "dev", "durable-dev", topic))
    f.client("sns", "qa").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue(f, "qa", "durable-qa", topic))

    acked, lock, stop = set(), threading.Lock(), threading.Event()
    counter = iter(range(10**9))

    def publisher():
        c = f.client("sns", "dev", config=botocore.config.Config(retries={"max_attempts": 1},
                                                                 connect_timeout=2, read_timeout=5))
        while not stop.is_set():
            with lock:
                n = next(counter)
            try:
                c.publish(TopicArn=topic, Message=str(n))
            except Exception:
                continue  # the server is gone: this one was not acknowledged
            with lock:
                acked.add(n)

    threads = [threading.Thread(target=publisher) for _ in range(4)]
    for t in threads:
        t.start()
    deadline = time.time() + 20
    while len(acked) < 300 and time.time() < deadline:
        time.sleep(0.05)
    f.stop(signal.SIGKILL)  # mid-way: publishes and deliveries in flight
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join()
    assert len(acked) >= 50, "too few publishes before the kill"
    f.start()
    resumed = [l for l in open(f.log).read().splitlines() if "resuming" in l]
    print(f"acknowledged {len(acked)} publishes before the kill; {resumed}")
    for profile, name in (("dev", "durable-dev"), ("qa", "durable-qa")):
        seen, copies = drain(f, profile, name, acked)
        missing = acked - seen
        assert not missing, f"{name}: {len(missing)} acknowledged publishes lost, e.g. {sorted(missing)[:10]}"
        assert copies >= len(acked)


def test_pending_http_deliveries_resume_after_restart(server):
    f = server
    sns = f.client("sns", "dev")
    topic = sns.create_topic(Name="resumed")["TopicArn"]
    ep = Endpoint()
    try:
        sub = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=ep.url, ReturnSubscriptionArn=True)["SubscriptionArn"]
        ((_, _, body),) = ep.wait(1, kind="SubscriptionConfirmation")
        sns.confirm_subscription(TopicArn=topic, Token=json.loads(body)["Token"])
        # the endpoint fails; the policy keeps retrying every second
        sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(
            {"healthyRetryPolicy": {"numRetries": 100, "minDelayTarget": 1, "maxDelayTarget": 1}}))
        ep.status = 500
        sns.publish(TopicArn=topic, Message="survives restarts")
        ep.wait(1, kind="Notification")
        f.stop(signal.SIGTERM)
        assert f.proc.returncode == 0
        ep.status = 200
        n = len(ep.requests)
        f.start()
        deadline = time.time() + 10
        while time.time() < deadline and not any(
                r[1].get("x-amz-sns-message-type") == "Notification" for r in ep.requests[n:]):
            time.sleep(0.05)
        later = [json.loads(r[2])["Message"] for r in ep.requests[n:] if r[1].get("x-amz-sns-message-type") == "Notification"]
        assert "survives restarts" in later
    finally:
        ep.close()
