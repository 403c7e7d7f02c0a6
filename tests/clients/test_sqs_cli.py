"""SQS through Debian's awscli 2.9 (query protocol): the commands a user types, their output,
and the errors and exit codes they see."""
import hashlib
import json
import time


def acct(ferry, profile):
    return ferry.aws("sts", "get-caller-identity", profile=profile).json["Account"]


def failed(r, code):
    assert r.returncode != 0, r.stdout
    assert f"({code})" in r.stderr, r.stderr
    return r.stderr


def test_queue_lifecycle(ferry):
    dev = acct(ferry, "dev")
    url = ferry.aws("sqs", "create-queue", "--queue-name", "cli-q", "--attributes",
                    "VisibilityTimeout=20,DelaySeconds=0", "--tags", "team=core", profile="dev").json["QueueUrl"]
    assert url == f"{ferry.endpoint}/{dev}/cli-q"
    assert ferry.aws("sqs", "get-queue-url", "--queue-name", "cli-q", profile="dev").json["QueueUrl"] == url
    assert url in ferry.aws("sqs", "list-queues", "--queue-name-prefix", "cli-", profile="dev").json["QueueUrls"]
    a = ferry.aws("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "All", profile="dev").json
    assert a["Attributes"]["VisibilityTimeout"] == "20"
    ferry.aws("sqs", "set-queue-attributes", "--queue-url", url, "--attributes", "VisibilityTimeout=5", profile="dev")
    a = ferry.aws("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "VisibilityTimeout",
                  profile="dev").json
    assert a == {"Attributes": {"VisibilityTimeout": "5"}}
    assert ferry.aws("sqs", "list-queue-tags", "--queue-url", url, profile="dev").json["Tags"] == {"team": "core"}
    ferry.aws("sqs", "tag-queue", "--queue-url", url, "--tags", "env=dev", profile="dev")
    ferry.aws("sqs", "untag-queue", "--queue-url", url, "--tag-keys", "team", profile="dev")
    assert ferry.aws("sqs", "list-queue-tags", "--queue-url", url, profile="dev").json["Tags"] == {"env": "dev"}
    ferry.aws("sqs", "purge-queue", "--queue-url", url, profile="dev")
    ferry.aws("sqs", "delete-queue", "--queue-url", url, profile="dev")
    r = ferry.aws("sqs", "get-queue-url", "--queue-name", "cli-q", profile="dev", check=False)
    err = failed(r, "AWS.SimpleQueueService.NonExistentQueue")
    assert "The specified queue does not exist" in err


def test_messages(ferry, tmp_path):
    url = ferry.aws("sqs", "create-queue", "--queue-name", "cli-msgs", profile="dev").json["QueueUrl"]
    r = ferry.aws("sqs", "send-message", "--queue-url", url, "--message-body", "hello cli",
                  "--message-attributes", json.dumps({"k": {"DataType": "String", "StringValue": "v"}}),
                  profile="dev").json
    assert r["MD5OfMessageBody"] == hashlib.md5(b"hello cli").hexdigest()
    assert len(r["MD5OfMessageAttributes"]) == 32
    m = ferry.aws("sqs", "receive-message", "--queue-url", url, "--message-attribute-names", "All",
                  "--attribute-names", "All", "--wait-time-seconds", "1", profile="dev").json["Messages"][0]
    assert m["Body"] == "hello cli" and m["MessageAttributes"]["k"]["StringValue"] == "v"
    assert m["Attributes"]["ApproximateReceiveCount"] == "1"
    ferry.aws("sqs", "change-message-visibility", "--queue-url", url, "--receipt-handle", m["ReceiptHandle"],
              "--visibility-timeout", "0", profile="dev")
    m = ferry.aws("sqs", "receive-message", "--queue-url", url, profile="dev").json["Messages"][0]
    ferry.aws("sqs", "delete-message", "--queue-url", url, "--receipt-handle", m["ReceiptHandle"], profile="dev")
    r = ferry.aws("sqs", "receive-message", "--queue-url", url, profile="dev")
    assert r.returncode == 0 and not r.stdout.strip()
    r = ferry.aws("sqs", "delete-message", "--queue-url", url, "--receipt-handle", "nonsense", profile="dev", check=False)
    assert 'The input receipt handle "nonsense" is not a valid receipt handle.' in failed(r, "ReceiptHandleIsInvalid")
    big = tmp_path / "big.txt"
    big.write_text("x" * 1048577)
    r = ferry.aws("sqs", "send-message", "--queue-url", url, "--message-body", f"file://{big}", profile="dev", check=False)
    assert "Message must be shorter than 1048576 bytes" in failed(r, "InvalidParameterValue")


def test_batches(ferry):
    url = ferry.aws("sqs", "create-queue", "--queue-name", "cli-batch", profile="dev").json["QueueUrl"]
    entries = [{"Id": f"m{i}", "MessageBody": f"b{i}"} for i in range(3)]
    r = ferry.aws("sqs", "send-message-batch", "--queue-url", url, "--entries", json.dumps(entries), profile="dev").json
    assert sorted(s["Id"] for s in r["Successful"]) == ["m0", "m1", "m2"]
    msgs = ferry.aws("sqs", "receive-message", "--queue-url", url, "--max-number-of-messages", "10",
                     profile="dev").json["Messages"]
    assert len(msgs) == 3
    d = ferry.aws("sqs", "delete-message-batch", "--queue-url", url, "--entries",
                  json.dumps([{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)]),
                  profile="dev").json
    assert len(d["Successful"]) == 3
    r = ferry.aws("sqs", "send-message-batch", "--queue-url", url, "--entries",
                  json.dumps([{"Id": "x", "MessageBody": "1"}, {"Id": "x", "MessageBody": "2"}]), profile="dev", check=False)
    assert "Id x repeated." in failed(r, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct")
    r = ferry.aws("sqs", "send-message-batch", "--queue-url", url, "--entries",
                  json.dumps([{"Id": f"i{i}", "MessageBody": "1"} for i in range(11)]), profile="dev", check=False)
    failed(r, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest")


def test_fifo(ferry):
    url = ferry.aws("sqs", "create-queue", "--queue-name", "cli.fifo", "--attributes",
                    "FifoQueue=true,ContentBasedDeduplication=true", profile="dev").json["QueueUrl"]
    seq = [ferry.aws("sqs", "send-message", "--queue-url", url, "--message-body", f"m{i}", "--message-group-id", "g",
                     profile="dev").json["SequenceNumber"] for i in range(3)]
    assert [int(s) for s in seq] == sorted(int(s) for s in seq)
    msgs = ferry.aws("sqs", "receive-message", "--queue-url", url, "--max-number-of-messages", "10",
                     profile="dev").json["Messages"]
    assert [m["Body"] for m in msgs] == ["m0", "m1", "m2"]
    r = ferry.aws("sqs", "send-message", "--queue-url", url, "--message-body", "x", profile="dev", check=False)
    failed(r, "MissingParameter")


def test_cross_account_and_permissions(ferry):
    qa = acct(ferry, "qa")
    url = ferry.aws("sqs", "create-queue", "--queue-name", "cli-shared", profile="dev").json["QueueUrl"]
    r = ferry.aws("sqs", "send-message", "--queue-url", url, "--message-body", "x", profile="qa", check=False)
    failed(r, "AccessDenied")
    ferry.aws("sqs", "add-permission", "--queue-url", url, "--label", "qa", "--aws-account-ids", qa,
              "--actions", "SendMessage", profile="dev")
    assert ferry.aws("sqs", "send-message", "--queue-url", url, "--message-body", "x", profile="qa").json["MessageId"]
    ferry.aws("sqs", "remove-permission", "--queue-url", url, "--label", "qa", profile="dev")
    r = ferry.aws("sqs", "send-message", "--queue-url", url, "--message-body", "x", profile="qa", check=False)
    failed(r, "AccessDenied")


def test_dead_letter_sources(ferry):
    dlq = ferry.aws("sqs", "create-queue", "--queue-name", "cli-dlq", profile="dev").json["QueueUrl"]
    arn = ferry.aws("sqs", "get-queue-attributes", "--queue-url", dlq, "--attribute-names", "QueueArn",
                    profile="dev").json["Attributes"]["QueueArn"]
    src = ferry.aws("sqs", "create-queue", "--queue-name", "cli-src", "--attributes",
                    json.dumps({"RedrivePolicy": json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": "1"})}),
                    profile="dev").json["QueueUrl"]
    assert ferry.aws("sqs", "list-dead-letter-source-queues", "--queue-url", dlq,
                     profile="dev").json["queueUrls"] == [src]


def test_long_poll_returns_at_deadline(ferry):
    url = ferry.aws("sqs", "create-queue", "--queue-name", "cli-lp", profile="dev").json["QueueUrl"]
    t0 = time.time()
    r = ferry.aws("sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "1", profile="dev")
    assert r.returncode == 0 and time.time() - t0 >= 1
