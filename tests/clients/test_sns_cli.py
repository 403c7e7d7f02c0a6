"""SNS through Debian's awscli 2.9 (`aws sns ...`): every operation ferry implements,
their errors as the CLI prints them, and a delivery to a queue and an HTTP endpoint."""
import json
import urllib.request

import pytest

from test_sns import Endpoint, acct, allow_sns, receive, verify_signature


def fails(ferry, *args, code, msg=None, profile="dev"):
    r = ferry.aws("sns", *args, profile=profile, check=False)
    assert r.returncode == 254, r.stderr
    assert f"An error occurred ({code}) when calling the " in r.stderr, r.stderr
    if msg:
        assert msg in r.stderr, r.stderr
    return r.stderr


@pytest.fixture
def endpoint():
    e = Endpoint()
    yield e
    e.close()


def test_topics(ferry):
    me = acct(ferry, "dev")
    arn = ferry.aws("sns", "create-topic", "--name", "cli-topic", "--attributes", "DisplayName=Cli",
                    "--tags", "Key=team,Value=cli", profile="dev").json["TopicArn"]
    assert arn == f"arn:aws:sns:us-east-1:{me}:cli-topic"
    sns = ferry.client("sns", "dev")
    assert {"TopicArn": arn} in ferry.aws("sns", "list-topics", profile="dev").json["Topics"]
    ferry.aws("sns", "set-topic-attributes", "--topic-arn", arn, "--attribute-name", "DisplayName",
              "--attribute-value", "Renamed", profile="dev")
    a = ferry.aws("sns", "get-topic-attributes", "--topic-arn", arn, profile="dev").json["Attributes"]
    assert a["DisplayName"] == "Renamed" and a["Owner"] == me
    fails(ferry, "set-topic-attributes", "--topic-arn", arn, "--attribute-name", "Bad", "--attribute-value", "1",
          code="InvalidParameter", msg="Invalid parameter: AttributeName")
    ferry.aws("sns", "tag-resource", "--resource-arn", arn, "--tags", "Key=env,Value=dev", profile="dev")
    assert sorted(t["Key"] for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]) == ["env", "team"]
    ferry.aws("sns", "untag-resource", "--resource-arn", arn, "--tag-keys", "env", profile="dev")
    assert ferry.aws("sns", "list-tags-for-resource", "--resource-arn", arn, profile="dev").json["Tags"] == \
        [{"Key": "team", "Value": "cli"}]
    fails(ferry, "list-tags-for-resource", "--resource-arn", arn + "x", code="ResourceNotFound")
    qa = acct(ferry, "qa")
    ferry.aws("sns", "add-permission", "--topic-arn", arn, "--label", "qa", "--aws-account-id", qa,
              "--action-name", "Publish", profile="dev")
    assert ferry.client("sns", "qa").publish(TopicArn=arn, Message="from qa")["MessageId"]
    ferry.aws("sns", "remove-permission", "--topic-arn", arn, "--label", "qa", profile="dev")
    fails(ferry, "publish", "--topic-arn", arn, "--message", "from qa", profile="qa", code="AuthorizationError",
          msg=f"arn:aws:iam::{qa}:root is not authorized to perform: SNS:Publish")
    ferry.aws("sns", "delete-topic", "--topic-arn", arn, profile="dev")
    fails(ferry, "get-topic-attributes", "--topic-arn", arn, code="NotFound", msg="Topic does not exist")


def test_subscriptions_and_publishing(ferry, tmp_path):
    topic = ferry.aws("sns", "create-topic", "--name", "cli-deliver", profile="dev").json["TopicArn"]
    sqs = ferry.client("sqs", "dev")
    url = sqs.create_queue(QueueName="cli-deliver-q")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    allow_sns(sqs, url, qarn, topic)
    sub = ferry.aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", qarn,
                    "--attributes", json.dumps({"RawMessageDelivery": "true", "FilterPolicy": '{"kind":["flight"]}'}),
                    "--return-subscription-arn", profile="dev").json["SubscriptionArn"]
    subs = ferry.aws("sns", "list-subscriptions-by-topic", "--topic-arn", topic, profile="dev").json["Subscriptions"]
    assert [s["SubscriptionArn"] for s in subs] == [sub]
    assert sub in [s["SubscriptionArn"] for s in ferry.aws("sns", "list-subscriptions", profile="dev").json["Subscriptions"]]
    ferry.aws("sns", "set-subscription-attributes", "--subscription-arn", sub, "--attribute-name", "FilterPolicy",
              "--attribute-value", '{"kind":["flight","hotel"]}', profile="dev")
    a = ferry.aws("sns", "get-subscription-attributes", "--subscription-arn", sub, profile="dev").json["Attributes"]
    assert a["RawMessageDelivery"] == "true" and a["FilterPolicy"] == '{"kind":["flight","hotel"]}'
    fails(ferry, "set-subscription-attributes", "--subscription-arn", sub, "--attribute-name", "FilterPolicy",
          "--attribute-value", '{"kind":[{"numeric":[">",5,"<",1]}]}', code="InvalidParameter",
          msg="Invalid parameter: FilterPolicy: Bottom must be less than top")
    ferry.client("sns", "dev").publish(TopicArn=topic, Message="skip me",
                                       MessageAttributes={"kind": {"DataType": "String", "StringValue": "car"}})
    r = ferry.aws("sns", "publish", "--topic-arn", topic, "--message", "hotel 1", "--subject", "S",
                  "--message-attributes", '{"kind":{"DataType":"String","StringValue":"hotel"}}', profile="dev").json
    assert set(r) == {"MessageId"}
    b = ferry.aws("sns", "publish-batch", "--topic-arn", topic, "--publish-batch-request-entries",
                  json.dumps([{"Id": "1", "Message": "flight 1",
                               "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "flight"}}},
                              {"Id": "2", "Message": "no kind"}]), profile="dev").json
    assert sorted(s["Id"] for s in b["Successful"]) == ["1", "2"] and b["Failed"] == []
    assert sorted(m["Body"] for m in receive(sqs, url, 2)) == ["flight 1", "hotel 1"]
    big = tmp_path / "big.txt"
    big.write_text("x" * (256 * 1024 + 1))
    fails(ferry, "publish", "--topic-arn", topic, "--message", f"file://{big}", code="InvalidParameter",
          msg="Invalid parameter: Message too long")
    fails(ferry, "publish", "--topic-arn", topic, "--message", "x", "--message-attributes",
          '{"n":{"DataType":"Number","StringValue":"NaN-ish"}}', code="ParameterValueInvalid")
    fails(ferry, "subscribe", "--topic-arn", topic, "--protocol", "gopher", "--notification-endpoint", "x",
          code="InvalidParameter", msg="does not support this protocol string: gopher")
    ferry.aws("sns", "unsubscribe", "--subscription-arn", sub, profile="dev")
    fails(ferry, "get-subscription-attributes", "--subscription-arn", sub, code="NotFound",
          msg="Subscription does not exist")


def test_http_endpoint_and_confirm_subscription(ferry, endpoint):
    topic = ferry.aws("sns", "create-topic", "--name", "cli-http", profile="dev").json["TopicArn"]
    r = ferry.aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "http", "--notification-endpoint",
                  endpoint.url, profile="dev").json
    assert r["SubscriptionArn"] == "pending confirmation"
    ((_, _, body),) = endpoint.wait(1, kind="SubscriptionConfirmation")
    env = json.loads(body)
    verify_signature(env)
    sub = ferry.aws("sns", "confirm-subscription", "--topic-arn", topic, "--token", env["Token"],
                    profile="dev").json["SubscriptionArn"]
    assert sub.startswith(topic + ":")
    ferry.aws("sns", "publish", "--topic-arn", topic, "--message", "to the web", profile="dev")
    (note,) = endpoint.wait(1, kind="Notification")
    n = json.loads(note[2])
    verify_signature(n)
    assert n["Message"] == "to the web"
    with urllib.request.urlopen(n["SigningCertURL"], timeout=5) as c:
        assert c.read().startswith(b"-----BEGIN CERTIFICATE-----")
