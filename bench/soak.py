#!/usr/bin/python3
"""Soak test (issue 9): C clients x M minutes of signed requests across services, as the
probe ran them, against a fresh ferry; reports errors, the server's RSS over time (from
/proc) and the data directory's size over time. Exits non-zero on any error. Not part of
make check.

    bench/soak.py [--clients 64] [--minutes 8] [--sample 10] [--audit-max-events N]
                  [-- extra ferry serve flags]

Each client is a thread with its own boto3 clients in its own account (ferry init makes
an organization of 8 accounts; clients share them round robin), looping over a mix: STS
GetCallerIdentity, IAM writes (CreateUser, PutUserPolicy, DeleteUserPolicy, DeleteUser),
SQS SendMessage / ReceiveMessage / DeleteMessage on its own queue, SNS Publish to its own
topic (an SQS subscription, so deliveries happen too). Without --audit-max-events the
server runs with its defaults (what an operator gets); with it, the trail's bound is
reached within the run and the data directory's plateau is visible.

RSS is "flat" when the last third's maximum is within 10% (and 8 MiB) of the middle
third's; the data directory is "bounded" when it stops growing the same way. Both are
reported; only errors fail the run (a growing data directory is expected until the
trail's bound is reached)."""
import argparse
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
from ferrytest import Ferry  # noqa: E402

ORG = """
management: {name: tools}
accounts:
""" + "".join(f"  - {{name: acct{i}, email: acct{i}@example.com}}\n" for i in range(7))
PROFILES = ["tools"] + [f"acct{i}" for i in range(7)]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except FileNotFoundError:
                pass  # a -wal being reset
    return total


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.errors = []
        self.ready = 0  # clients past their setup (or failed in it)

    def set_up(self):
        with self.lock:
            self.ready += 1

    def ok(self, n=1):
        with self.lock:
            self.requests += n

    def error(self, what):
        with self.lock:
            self.errors.append(what)


def client_loop(f, idx, stop, stats):
    from botocore.config import Config
    cfg = Config(retries={"max_attempts": 1}, connect_timeout=30, read_timeout=60,
                 max_pool_connections=2)
    profile = PROFILES[idx % len(PROFILES)]
    try:
        sts = f.client("sts", profile, region="us-east-1", config=cfg)
        iam = f.client("iam", profile, region="us-east-1", config=cfg)
        sqs = f.client("sqs", profile, region="us-east-1", config=cfg)
        sns = f.client("sns", profile, region="us-east-1", config=cfg)
        q = sqs.create_queue(QueueName=f"soak-{idx}")["QueueUrl"]
        qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        topic = sns.create_topic(Name=f"soak-{idx}")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                      Attributes={"RawMessageDelivery": "true"})
        stats.ok(6)
    except Exception as e:  # noqa: BLE001 - every failure is a reported error
        stats.error(f"client {idx} setup: {e!r}")
        stats.set_up()
        return
    stats.set_up()
    policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}'
    n = 0
    while not stop.is_set():
        n += 1
        step = "?"
        try:
            step = "sts"
            sts.get_caller_identity()
            step = "sqs send"
            sqs.send_message(QueueUrl=q, MessageBody=f"m{n}")
            step = "sns publish"
            sns.publish(TopicArn=topic, Message=f"p{n}")
            step = "sqs receive"
            got = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            msgs = got.get("Messages", [])
            step = "sqs delete"
            for m in msgs:
                sqs.delete_message(QueueUrl=q, ReceiptHandle=m["ReceiptHandle"])
            stats.ok(4 + len(msgs))
            if n % 5 == 0:
                user = f"soak-{idx}-{n}"
                step = "iam writes"
                iam.create_user(UserName=user)
                iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=policy)
                iam.delete_user_policy(UserName=user, PolicyName="p")
                iam.delete_user(UserName=user)
                stats.ok(4)
        except Exception as e:  # noqa: BLE001
            stats.error(f"client {idx} {step}: {e!r}")
            if len(stats.errors) > 100:
                stop.set()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--minutes", type=float, default=8)
    ap.add_argument("--sample", type=float, default=10, help="seconds between samples")
    ap.add_argument("--audit-max-events", type=int, default=None)
    ap.add_argument("extra", nargs="*", help="more ferry serve flags (after --)")
    a = ap.parse_args()
    extra = list(a.extra)
    if a.audit_max_events is not None:
        extra += ["--audit-max-events", str(a.audit_max_events)]
    f = Ferry(config=ORG, extra=extra).start()
    try:
        f.init()
        stats, stop = Stats(), threading.Event()
        threads = [threading.Thread(target=client_loop, args=(f, i, stop, stats), daemon=True)
                   for i in range(a.clients)]
        for t in threads:
            t.start()
        # the clock starts when every client has made its clients, queue and topic (64
        # boto3 sessions take a while on 2 cores): the minutes are all load
        while stats.ready < a.clients and not stop.is_set():
            time.sleep(0.1)
        start = time.time()
        end = start + a.minutes * 60
        samples = []  # (seconds, requests, rss KiB, data dir bytes)
        print(f"soak: {a.clients} clients, {a.minutes} min, ferry {' '.join(extra) or '(defaults)'}",
              flush=True)
        print("| t (s) | requests | req/s | errors | RSS (MiB) | data dir (MiB) |", flush=True)
        print("|---|---|---|---|---|---|", flush=True)
        last_req, last_t = 0, start
        while time.time() < end and not stop.is_set():
            stop.wait(min(a.sample, max(0.0, end - time.time())))
            now = time.time()
            if f.proc.poll() is not None:
                stats.error(f"ferry exited with {f.proc.returncode}")
                break
            s = (now - start, stats.requests, rss_kib(f.proc.pid), dir_bytes(f.data))
            samples.append(s)
            rate = (s[1] - last_req) / max(now - last_t, 1e-9)
            last_req, last_t = s[1], now
            print(f"| {s[0]:.0f} | {s[1]} | {rate:.0f} | {len(stats.errors)} | "
                  f"{s[2] / 1024:.1f} | {s[3] / 2**20:.1f} |", flush=True)
        stop.set()
        for t in threads:
            t.join(90)
        for e in stats.errors[:20]:
            print("error:", e)
        verdicts = []
        if len(samples) >= 3:
            third = len(samples) // 3
            for name, i, slack in (("RSS", 2, 8 * 1024), ("data directory", 3, 8 * 2**20)):
                mid = max(s[i] for s in samples[third:2 * third])
                last = max(s[i] for s in samples[2 * third:])
                flat = last <= mid * 1.10 + slack
                verdicts.append(f"{name}: {'flat' if flat else 'GROWING'} "
                                f"(middle third max {mid}, last third max {last})")
        print(f"\n{stats.requests} requests, {len(stats.errors)} errors in "
              f"{time.time() - start:.0f} s")
        for v in verdicts:
            print(v)
        return 1 if stats.errors else 0
    finally:
        f.close()


if __name__ == "__main__":
    sys.exit(main())
