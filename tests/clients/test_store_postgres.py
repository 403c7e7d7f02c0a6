"""ferry on PostgreSQL (--store postgresql://…): a reply's effect survives kill -9 of the
server, and `ferry store copy` moves a SQLite installation (documents, queues with their
messages in flight, keys, the audit trail) into an empty database that a server then
serves from. Each test runs on a database of the process's throwaway cluster
(tests/pgcluster.sh), whatever FERRY_TEST_STORE says."""
import shutil
import signal
import subprocess

import botocore.config
import botocore.exceptions
import pytest

from ferrytest import FERRY_BIN, Ferry, PgCluster, code, status

pytestmark = pytest.mark.skipif(
    not shutil.which("psql") or subprocess.run(
        "ls /usr/lib/postgresql/*/bin/initdb", shell=True, capture_output=True).returncode,
    reason="PostgreSQL is not installed (tools/deps.sh)")


def on_postgres(f):
    """Puts f (not started) on a fresh database of the cluster."""
    if not f.store_url:
        f.store_url, f.store_db = PgCluster.shared().create_db()
    return f


def test_reply_survives_kill9():
    f = on_postgres(Ferry()).start()
    try:
        f.init()
        assert f.health("management")["store"].startswith("postgresql://")
        iam = f.client("iam", "dev")
        sqs = f.client("sqs", "dev")
        url = sqs.create_queue(QueueName="durable")["QueueUrl"]
        for i in range(20):
            iam.create_user(UserName=f"u{i}")
            sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
        f.stop(signal.SIGKILL)  # right after the last reply
        f.start()
        users = {u["UserName"] for u in f.client("iam", "dev").list_users()["Users"]}
        assert {f"u{i}" for i in range(20)} <= users
        sqs = f.client("sqs", "dev")
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "20"
    finally:
        f.close()


def test_lost_database_answers_503_and_recovers():
    cluster = PgCluster()  # its own: this test stops the server
    f = Ferry()
    f.store_url, f.store_db = cluster.create_db()
    f.store_db = None  # goes with the cluster
    try:
        f.start()
        f.init()
        sqs = f.client("sqs", "dev", config=botocore.config.Config(retries={"max_attempts": 1}))
        sqs.create_queue(QueueName="before")
        cluster.pause()
        for call in (lambda: sqs.create_queue(QueueName="during"), sqs.list_queues):
            with pytest.raises(botocore.exceptions.ClientError) as ei:
                call()
            assert status(ei) == 503 and code(ei) == "ServiceUnavailable"
        cluster.resume()
        sqs.create_queue(QueueName="after")
        names = {u.rsplit("/", 1)[1] for u in sqs.list_queues()["QueueUrls"]}
        assert names == {"before", "after"}
    finally:
        f.close()
        cluster.stop()


def test_store_copy_moves_an_installation():
    src = Ferry()
    src.store_url = src.store_db = None  # SQLite in the data directory
    src.start()
    try:
        src.init()
        iam = src.client("iam", "dev")
        iam.create_user(UserName="carried")
        sqs = src.client("sqs", "dev")
        url = sqs.create_queue(QueueName="carried")["QueueUrl"]
        for i in range(3):
            sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
        inflight = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1,
                                       VisibilityTimeout=600)["Messages"][0]
        kms = src.client("kms", "dev")
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        blob = kms.encrypt(KeyId=key, Plaintext=b"secret")["CiphertextBlob"]
        s3 = src.client("s3", "dev")
        s3.create_bucket(Bucket="carried-bucket")
        s3.put_object(Bucket="carried-bucket", Key="k", Body=b"bytes")
        src.stop()

        dst_url, dst_db = PgCluster.shared().create_db()
        out = subprocess.run([FERRY_BIN, "store", "copy", "--from", src.data, "--to", dst_url],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert "copied" in out.stdout and "audit events" in out.stdout

        # the same data directory (keys, blobs) on the copied store
        src.store_url, src.store_db = dst_url, dst_db
        src.start()
        assert src.health("management")["store"].startswith("postgresql://")
        users = [u["UserName"] for u in src.client("iam", "dev").list_users()["Users"]]
        assert "carried" in users
        sqs = src.client("sqs", "dev")
        attrs = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                          "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        assert attrs["ApproximateNumberOfMessages"] == "2"
        assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1"
        # the message in flight is still deleted by its receipt handle
        sqs.delete_message(QueueUrl=url, ReceiptHandle=inflight["ReceiptHandle"])
        sqs.send_message(QueueUrl=url, MessageBody="after")  # sequences moved past the copy
        bodies = set()
        for _ in range(5):
            for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                         WaitTimeSeconds=1).get("Messages", []):
                bodies.add(m["Body"])
            if len(bodies) == 3:
                break
        assert bodies == {"m0", "m1", "m2", "after"} - {inflight["Body"]}
        kms = src.client("kms", "dev")
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"
        got = src.client("s3", "dev").get_object(Bucket="carried-bucket", Key="k")
        assert got["Body"].read() == b"bytes"
        events = src.client("cloudtrail", "dev").lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}])
        assert any(e["EventName"] == "CreateUser" for e in events["Events"])

        # a database that already holds a store is refused, nothing written
        again = subprocess.run([FERRY_BIN, "store", "copy", "--from", src.data, "--to", dst_url],
                               capture_output=True, text=True)
        assert again.returncode == 1 and "nothing written" in again.stderr
    finally:
        src.close()
