#!/usr/bin/python3
"""ferry on PostgreSQL, one and two nodes (issue 15's figures): requests/s per operation on
one node, SQLite vs PostgreSQL (signed requests replayed by wrk); two nodes vs one on one
PostgreSQL; how long a write on one node takes to hold on the other (an access key
deactivated, a queue attribute changed: the time from the writing reply to the first
answer of the other node that shows it, asked back to back with one pre-signed request);
a long poll on one node woken by a send on the other. PostgreSQL is a throwaway cluster
(tests/pgcluster.sh) on the same machine. Prints a markdown section."""
import http.client
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "clients"))
from ferrytest import Ferry, PgCluster, queue_for_topic  # noqa: E402
from server_bench import signed_request, wrk_parse  # noqa: E402

DURATION = os.environ.get("BENCH_SECONDS", "5")
CONNS = 16
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "40"))


def signed(port, akid, secret, service, body, target=None):
    """(headers, body) of a signed POST to port (server_bench's signing)."""
    return dict(signed_request(port, akid, secret, service, body, target,
                          "application/x-amz-json-1.0").headers.items()), body


def wrk_lua(tmp, name, headers, body):
    lua = ["wrk.method = \"POST\"", "wrk.body = " + json.dumps(body)]
    for k, v in headers.items():
        lua.append(f'wrk.headers["{k}"] = "{v}"')
    path = os.path.join(tmp, name + ".lua")
    open(path, "w").write("\n".join(lua) + "\n")
    return path


def wrk_many(targets, conns):
    """Runs one wrk per (port, script) at once; the sum of requests/s and the first's p50/p99."""
    procs = [subprocess.Popen(["wrk", "-t", "1", "-c", str(conns), "-d", DURATION + "s",
                               "--latency", "-s", s, f"http://127.0.0.1:{p}/"],
                              stdout=subprocess.PIPE, text=True) for p, s in targets]
    res = [wrk_parse(p.communicate()[0]) for p in procs]
    return sum(r[0] for r in res), res[0][1], res[0][2], any(r[3] for r in res)


def workloads(f, tmp, tag):
    """(name, wrk script) for each operation measured, against f."""
    akid, secret = f.keys("dev")
    acct = f.client("sts", "dev").get_caller_identity()["Account"]
    sqs = f.client("sqs", "dev")
    url = sqs.create_queue(QueueName="bench")["QueueUrl"]
    sns = f.client("sns", "dev")
    topic = sns.create_topic(Name="bench")["TopicArn"]
    for i in range(2):
        queue_for_topic(sqs, sns, topic, f"fan{i}")
    iam = f.client("iam", "dev")
    role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}}]}))["Role"]["Arn"]
    ddb = f.client("dynamodb", "dev", region="us-east-1")
    ddb.create_table(TableName="bench", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    from urllib.parse import quote
    ops = [
        ("sts:GetCallerIdentity (read)", "sts",
         "Action=GetCallerIdentity&Version=2011-06-15", None),
        ("sqs:SendMessage", "sqs",
         f"Action=SendMessage&QueueUrl={quote(url, safe='')}&MessageBody=hello&Version=2012-11-05", None),
        ("sns:Publish, 2 SQS subscriptions", "sns",
         f"Action=Publish&TopicArn={quote(topic, safe='')}&Message=hello&Version=2010-03-31", None),
        ("sts:AssumeRole (stores a session)", "sts",
         f"Action=AssumeRole&RoleArn={quote(role, safe='')}&RoleSessionName=bench&Version=2011-06-15", None),
        ("dynamodb:PutItem", "dynamodb",
         json.dumps({"TableName": "bench", "Item": {"pk": {"S": "k"}, "v": {"S": "x"}}}),
         "DynamoDB_20120810.PutItem"),
    ]
    out = []
    for i, (name, svc, body, target) in enumerate(ops):
        h, b = signed(f.port, akid, secret, svc, body, target)
        out.append((name, wrk_lua(tmp, f"{tag}{i}", h, b)))
    return out, url


def throughput(tmp, cluster, synced):
    """{op: {store: result}} for one node on SQLite, on PostgreSQL and on PostgreSQL with
    fsync on (synced)."""
    rows = {}
    for kind in ("sqlite", "postgresql", "synced"):
        f = Ferry(extra=["--log-level", "error"])
        if kind != "sqlite":
            f.store_url, f.store_db = (cluster if kind == "postgresql" else synced).create_db()
            f.store_db = None
        else:
            f.store_url = f.store_db = None
        f.start()
        f.init()
        ops, _ = workloads(f, tmp, kind)
        for name, script in ops:
            rows.setdefault(name, {})[kind] = wrk_many([(f.port, script)], CONNS)
        f.close()
    return rows


def two_nodes(cluster):
    a = Ferry(extra=["--log-level", "error", "--node-id", "a"])
    b = Ferry(extra=["--log-level", "error", "--node-id", "b"])
    for f in (a, b):
        f.store_db = None
    a.store_url = b.store_url = cluster.create_db()[0]
    b.data, b.awsdir = a.data, a.awsdir
    a.start()
    a.init()
    b.start()
    return a, b


def replay(port, req):
    c = http.client.HTTPConnection("127.0.0.1", port)

    def ask():
        c.request("POST", "/", body=req[1], headers=req[0])
        r = c.getresponse()
        r.read()
        return r.status
    return ask


def flip_latency(write, ask, want):
    """write() on one node, then ask() the other back to back until it answers want: the
    seconds from write's reply to that answer, and whether the very first answer had it."""
    write()
    t0 = time.perf_counter()
    first = None
    while True:
        st = ask()
        if first is None:
            first = st == want
        if st == want:
            return time.perf_counter() - t0, first
        if time.perf_counter() - t0 > 5:
            return float("inf"), first


def invalidation(a, b):
    iam = a.client("iam", "dev")
    iam.create_user(UserName="flip")
    k = iam.create_access_key(UserName="flip")["AccessKey"]
    ask = replay(b.port, signed(b.port, k["AccessKeyId"], k["SecretAccessKey"], "sts",
                                "Action=GetCallerIdentity&Version=2011-06-15"))
    time.sleep(0.5)
    keys = []
    for i in range(ROUNDS):
        st = "Inactive" if i % 2 == 0 else "Active"
        keys.append(flip_latency(
            lambda: iam.update_access_key(UserName="flip", AccessKeyId=k["AccessKeyId"], Status=st),
            ask, 403 if st == "Inactive" else 200))
    sqs = a.client("sqs", "dev")
    url = sqs.create_queue(QueueName="flip")["QueueUrl"]
    from urllib.parse import quote
    akid, secret = a.keys("dev")
    send = replay(b.port, signed(b.port, akid, secret, "sqs",
                                 f"Action=SendMessage&QueueUrl={quote(url, safe='')}&MessageBody="
                                 + "x" * 2000 + "&Version=2012-11-05"))
    attrs = []
    for i in range(ROUNDS):
        size = "1024" if i % 2 == 0 else "262144"
        attrs.append(flip_latency(
            lambda: sqs.set_queue_attributes(QueueUrl=url, Attributes={"MaximumMessageSize": size}),
            send, 400 if size == "1024" else 200))
    return keys, attrs


def wakes(a, b, n=10):
    sqs_a = a.client("sqs", "dev")
    import botocore.config
    sqs_b = b.client("sqs", "dev", config=botocore.config.Config(read_timeout=60))
    url = sqs_a.create_queue(QueueName="wake")["QueueUrl"]
    out = []
    for _ in range(n):
        got = {}
        t = threading.Thread(target=lambda: got.update(
            r=sqs_b.receive_message(QueueUrl=url, WaitTimeSeconds=20), t=time.perf_counter()))
        t.start()
        while b.health("dev")["parked_polls"] != 1:
            time.sleep(0.01)
        t0 = time.perf_counter()
        sqs_a.send_message(QueueUrl=url, MessageBody="w")
        t.join()
        for m in got["r"].get("Messages", []):
            sqs_b.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        out.append(got["t"] - t0)
    return out


def takeovers(cluster, n=3):
    """Seconds from kill -9 of node a, whose deliveries to a failing HTTP endpoint were
    retrying (every second), to the last of them delivered by node b."""
    import signal
    from test_sns import Endpoint
    out = []
    for _ in range(n):
        a, b = two_nodes(cluster)
        ep = Endpoint()
        try:
            sns = a.client("sns", "dev")
            topic = sns.create_topic(Name="takeover")["TopicArn"]
            retry = {"healthyRetryPolicy": {"minDelayTarget": 1, "maxDelayTarget": 1,
                                            "numRetries": 100, "numNoDelayRetries": 0,
                                            "numMinDelayRetries": 100, "numMaxDelayRetries": 0,
                                            "backoffFunction": "linear"}}
            sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=ep.url + "/hook",
                          Attributes={"DeliveryPolicy": json.dumps(retry)})
            conf = ep.wait(1, kind="SubscriptionConfirmation")
            sns.confirm_subscription(TopicArn=topic, Token=json.loads(conf[-1][2])["Token"])
            ep.status = 500
            for i in range(3):
                sns.publish(TopicArn=topic, Message=f"m{i}")
            ep.wait(3, timeout=30, kind="Notification")
            a.stop(signal.SIGKILL)
            t0 = time.perf_counter()
            with ep.cond:
                ep.status = 200
                seen = len(ep.requests)
            while time.perf_counter() - t0 < 60:
                with ep.cond:
                    got = {json.loads(r[2])["Message"] for r in ep.requests[seen:]
                           if r[1].get("x-amz-sns-message-type") == "Notification"}
                if len(got) == 3:
                    break
                time.sleep(0.01)
            out.append(time.perf_counter() - t0)
        finally:
            ep.close()
            b.close()
            a.close()
    return out


def fdatasync_rate(tmp):
    """fdatasync calls per second on this disk (pg_test_fsync), or None."""
    import glob
    tools = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_test_fsync"))
    if not tools:
        return None
    out = subprocess.run([tools[-1], "-s", "1", "-f", os.path.join(tmp, "fsync.test")],
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.strip().startswith("fdatasync"):
            return float(line.split()[1])
    return None


def ms(v):
    return f"{v * 1000:.1f} ms"


def summary(xs):
    lat = sorted(x[0] for x in xs)
    first = sum(1 for x in xs if x[1])
    return (f"median {ms(statistics.median(lat))}, p90 {ms(lat[int(len(lat) * 0.9) - 1])}, "
            f"max {ms(lat[-1])}; the very next request already saw it {first}/{len(xs)}")


def main():
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed")
    tmp = tempfile.mkdtemp(prefix="ferry-pgbench-")
    if os.environ.get("BENCH_PARTS") == "takeover":
        cluster = PgCluster()
        try:
            tk = takeovers(cluster)
        finally:
            cluster.stop()
        print(f"- SNS deliveries of a node killed -9, delivered by the other node: "
              f"{', '.join(f'{x:.1f} s' for x in tk)} after the kill")
        return
    cluster = PgCluster()
    os.environ["FERRY_PG_FSYNC"] = "on"
    synced = PgCluster()
    del os.environ["FERRY_PG_FSYNC"]
    try:
        thr = throughput(tmp, cluster, synced)
        synced.stop()
        a, b = two_nodes(cluster)
        try:
            ops_a, _ = workloads(a, tmp, "a")
            # node b serves the same account: the same signed requests, its own port
            akid, secret = a.keys("dev")
            send_a = ops_a[1][1]
            body = [l for l in open(send_a) if l.startswith("wrk.body")][0]
            hb, bb = signed(b.port, akid, secret, "sqs", json.loads(body.split("= ", 1)[1]))
            send_b = wrk_lua(tmp, "b1", hb, bb)
            one = wrk_many([(a.port, send_a)], CONNS)
            two = wrk_many([(a.port, send_a), (b.port, send_b)], CONNS // 2)
            keys, attrs = invalidation(a, b)
            wk = wakes(a, b)
        finally:
            b.close()
            a.close()
        tk = takeovers(cluster)
    finally:
        cluster.stop()
        synced.stop()
    fsync = fdatasync_rate(tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    pgv = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"### ferry on PostgreSQL, one and two nodes ({time.strftime('%Y-%m-%d')}, "
          f"{platform.node()}, {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"{pgv}, throwaway cluster on the same machine, fsync off unless said, wrk {DURATION}s "
          f"per row at {CONNS} connections)\n")
    print("| operation | SQLite req/s | PostgreSQL req/s | PG p50 | PG p99 | PostgreSQL fsync on req/s | p50 |")
    print("|---|---|---|---|---|---|---|")
    for name, r in thr.items():
        s, p, y = r["sqlite"], r["postgresql"], r["synced"]
        bad = " (non-2xx answers)" if s[3] or p[3] or y[3] else ""
        print(f"| {name}{bad} | {s[0]:,.0f} | {p[0]:,.0f} | {p[1]} | {p[2]} | {y[0]:,.0f} | {y[1]} |")
    print()
    print(f"- sqs:SendMessage on PostgreSQL, one node at {CONNS} connections: {one[0]:,.0f} req/s; "
          f"two nodes ({CONNS // 2} each, same machine): {two[0]:,.0f} req/s together")
    if fsync:
        print(f"- this disk's fdatasync (pg_test_fsync, one 8 kB write): {fsync:,.0f}/s")
    print(f"- an access key (de)activated on node a, seen by node b: {summary(keys)}")
    print(f"- a queue's MaximumMessageSize changed on node a, enforced by node b: {summary(attrs)}")
    print(f"- a long poll on node b woken by a send on node a (from the send's start to the "
          f"poll's answer): median {ms(statistics.median(wk))}, max {ms(max(wk))}")
    print(f"- SNS deliveries of a node killed -9, delivered by the other node: "
          f"{', '.join(f'{x:.1f} s' for x in tk)} after the kill (target 5 s)")


if __name__ == "__main__":
    main()
