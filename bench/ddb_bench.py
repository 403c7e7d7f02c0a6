#!/usr/bin/python3
"""DynamoDB benchmark: signed PutItem and GetItem (one small item, the same key) replayed by
wrk at 64 connections, and a Query answering 100 items (of a 10,000-item table) at 1
connection, against ferry and, in the same run, moto_server (the peer issue 12 names) where
installed. ferry's CPU per request is printed too: on a shared machine it moves less than
requests/s do. Prints a markdown section."""
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
from ferrytest import Ferry  # noqa: E402
from server_bench import DURATION, rss_kb, start_moto, wrk, wrk_script  # noqa: E402

T = "DynamoDB_20120810."


def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def fill(ddb):
    ddb.create_table(TableName="bench", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "N"}])
    for h in range(100):
        for b in range(0, 100, 25):
            ddb.batch_write_item(RequestItems={"bench": [
                {"PutRequest": {"Item": {"pk": {"S": f"h{h}"}, "sk": {"N": str(i)},
                                         "v": {"S": "x" * 100}}}} for i in range(b, b + 25)]})


def run(tmp, port, akid, secret, pid=None):
    """The three rows against a server: (name, conns, rps, p50, p99, non2xx, cpu µs/request)."""
    item = {"TableName": "bench", "Item": {"pk": {"S": "w"}, "sk": {"N": "1"},
                                           "v": {"S": "x" * 100}, "n": {"N": "12.5"}}}
    get = {"TableName": "bench", "Key": {"pk": {"S": "h1"}, "sk": {"N": "1"}}}
    query = {"TableName": "bench", "KeyConditionExpression": "pk = :h",
             "ExpressionAttributeValues": {":h": {"S": "h7"}}}
    rows = []
    for name, op, body, conns in (("PutItem", "PutItem", item, 64), ("GetItem", "GetItem", get, 64),
                                  ("Query, 100 items", "Query", query, 1)):
        script = wrk_script(tmp, port, akid, secret, service="dynamodb",
                            body=json.dumps(body, separators=(",", ":")), target=T + op)
        c0 = cpu_seconds(pid) if pid else 0
        rps, p50, p99, non2xx = wrk(port, script, conns)
        cpu = (cpu_seconds(pid) - c0) / (rps * float(DURATION)) * 1e6 if pid and rps else None
        rows.append((name, conns, rps, p50, p99, non2xx, cpu))
    return rows


def moto_rows(tmp):
    import boto3
    p, port = start_moto()
    if not p:
        return None
    try:
        akid, secret = "AKIAIOSFODNN7EXAMPLE", "x" * 40
        fill(boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                          aws_access_key_id=akid, aws_secret_access_key=secret))
        return run(tmp, port, akid, secret)
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait()


def main():
    tmp = tempfile.mkdtemp(prefix="ferry-ddb-bench-")
    f = Ferry(extra=["--log-level", "error"] + os.environ.get("FERRY_ARGS", "").split()).start()
    f.init()
    akid, secret = f.keys("dev")
    fill(f.client("dynamodb", "dev"))
    rows = run(tmp, f.port, akid, secret, f.proc.pid)
    rss = rss_kb(f.proc.pid)
    f.close()
    moto = moto_rows(tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    load = os.getloadavg()[0]
    print(f"#### DynamoDB ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node()}, "
          f"{os.cpu_count()} cores, {platform.machine()}, wrk {DURATION}s per row, "
          f"load average {load:.1f} after)\n")
    print("| server | workload | connections | requests/s | p50 | p99 | ferry CPU µs/request |")
    print("|---|---|---|---|---|---|---|")
    for server, rs in (("ferry", rows), ("moto_server", moto or [])):
        for name, conns, rps, p50, p99, non2xx, cpu in rs:
            print(f"| {server} | {name}{' (non-2xx!)' if non2xx else ''} | {conns} | {rps:,.0f} | "
                  f"{p50} | {p99} | {'-' if cpu is None else f'{cpu:.0f}'} |")
    print(f"\n- ferry's RSS after the runs: {rss / 1024:.1f} MB (10,000 items of about 110 bytes)")
    if moto:
        print("- ferry / moto_server: " + ", ".join(
            f"{a[0]} {a[2] / b[2]:.1f}x" for a, b in zip(rows, moto) if b[2]))


if __name__ == "__main__":
    main()
