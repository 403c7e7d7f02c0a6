#!/usr/bin/python3
"""Issue 12's figures besides PutItem/GetItem/Query (those are ddb_bench.py's), ferry and,
in the same run, moto_server where installed. Prints a markdown section.

- TransactWriteItems of 10 items (ten Puts into one table, no idempotency token): one
  request signed by botocore before the run and replayed by wrk at 1 and at 16 connections;
  transactions/s, items/s, p50/p99, ferry's CPU per transaction.
- Conditional lock contention, Terraform's S3-backend convention: in each round two
  clients, each on a thread of its own, put the same `LockID` with
  `attribute_not_exists(LockID)` at the same moment (a barrier releases them). Exactly one
  must win and the other must get ConditionalCheckFailedException, every round; the row
  says how many rounds held that and the median round time.
- HTTP API → warm Lambda: an HTTP API quick-created on a trivial Python function (payload
  2.0), `GET /` replayed by wrk at 8 and at 1 connection (the path form
  /_ferry/execute-api/API_ID/...), against the same function's signed Invoke replayed
  the same way. ferry's added latency over a direct invoke = the HTTP API p50 minus the
  Invoke p50, at 1 connection.

BENCH_SECONDS (default 8) per wrk row; BENCH_ROUNDS (default 300) lock rounds."""
import json
import os
import platform
import signal
import statistics
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
from ferrytest import Ferry, zipped  # noqa: E402
from fn_bench import PY, TRUST, cpu_ticks, invoke_script, ms  # noqa: E402
from fn_bench import wrk as wrk_path  # noqa: E402
from server_bench import DURATION, start_moto, wrk, wrk_script  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "300"))
TICK_US = 1e6 / os.sysconf("SC_CLK_TCK")


def transact_body():
    return {"TransactItems": [{"Put": {"TableName": "txbench", "Item": {
        "pk": {"S": f"item-{i}"}, "v": {"S": "x" * 100}, "n": {"N": str(i)}}}} for i in range(10)]}


def make_tables(ddb):
    for name, key in (("txbench", "pk"), ("locks", "LockID")):
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}])


def transact_rows(tmp, port, akid, secret, pid=None):
    body = json.dumps(transact_body(), separators=(",", ":"))
    script = wrk_script(tmp, port, akid, secret, service="dynamodb", body=body,
                        target="DynamoDB_20120810.TransactWriteItems")
    rows = []
    for conns in (1, 16):
        c0 = cpu_ticks(pid) if pid else 0
        rps, p50, p99, non2xx = wrk(port, script, conns)
        cpu = (cpu_ticks(pid) - c0) * TICK_US / (rps * float(DURATION)) if pid and rps else None
        rows.append((f"TransactWriteItems, 10 Puts", conns, rps, p50, p99, non2xx, cpu))
    return rows


def lock_contention(make_client):
    """(rounds with exactly one winner, rounds, median round ms, other outcomes seen)."""
    from botocore.exceptions import ClientError
    clients = [make_client(), make_client()]
    good, times, odd = 0, [], set()
    for r in range(ROUNDS):
        barrier = threading.Barrier(2)
        out = [None, None]

        def take(i):
            barrier.wait()
            try:
                clients[i].put_item(TableName="locks", Item={"LockID": {"S": f"state/{r}"},
                                                             "Who": {"S": str(i)}},
                                    ConditionExpression="attribute_not_exists(LockID)")
                out[i] = "won"
            except ClientError as e:
                out[i] = e.response["Error"]["Code"]
        t0 = time.perf_counter()
        ts = [threading.Thread(target=take, args=(i,)) for i in (0, 1)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        times.append((time.perf_counter() - t0) * 1000)
        if sorted(out) == ["ConditionalCheckFailedException", "won"]:
            good += 1
        else:
            odd.add(tuple(sorted(str(o) for o in out)))
    return good, ROUNDS, statistics.median(times), odd


def http_api_rows(f, tmp):
    akid, secret = f.keys("dev")
    lam = f.client("lambda", "dev")
    role = f.client("iam", "dev").create_role(
        RoleName="bench", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    fn = lam.create_function(FunctionName="api", Runtime="python3.12", Role=role, Handler="index.handler",
                             Code={"ZipFile": zipped(PY)})["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName="api",
                                              WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    api = f.client("apigatewayv2", "dev").create_api(Name="bench", ProtocolType="HTTP", Target=fn)
    lam.add_permission(FunctionName="api", StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:us-east-1:{fn.split(':')[4]}:{api['ApiId']}/*")
    get = os.path.join(tmp, "get.lua")
    open(get, "w").write('wrk.method = "GET"\n')
    path = f"/_ferry/execute-api/{api['ApiId']}/"
    status, _, answer = f.http("GET", path)
    assert status == 200, (status, answer)
    invoke, ipath = invoke_script(tmp, f.port, akid, secret, "api")
    import fn_bench
    d, fn_bench.DURATION = fn_bench.DURATION, "2"
    wrk_path(f.port, get, 8, path)  # warm-up: the environments start
    fn_bench.DURATION = d
    rows = []
    for name, script, p in (("HTTP API GET / → warm Lambda (payload 2.0)", get, path),
                            ("signed Invoke of the same function", invoke, ipath)):
        for conns in (8, 1):
            c0 = cpu_ticks(f.proc.pid)
            rps, total, p50, p99, non2xx = wrk_path(f.port, script, conns, p)
            rows.append((name, conns, rps, p50, p99, non2xx,
                         (cpu_ticks(f.proc.pid) - c0) * TICK_US / max(total, 1)))
    return rows


def moto_part(tmp):
    import boto3
    p, port = start_moto()
    if not p:
        return None, None
    try:
        akid, secret = "AKIAIOSFODNN7EXAMPLE", "x" * 40

        def client():
            return boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                                aws_access_key_id=akid, aws_secret_access_key=secret)
        make_tables(client())
        return transact_rows(tmp, port, akid, secret), lock_contention(client)
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait()


def table(rows, who):
    for r in rows:
        cpu = f"{r[6]:,.0f}" if r[6] is not None else "-"
        print(f"| {who} | {r[0]} | {r[1]} | {r[2]:,.0f} | {r[3]} | {r[4]} | {cpu} |")
        if r[5]:
            print(f"| {who} | (non-2xx answers in the row above) | | | | | |")


def main():
    load0 = os.getloadavg()
    tmp = tempfile.mkdtemp(prefix="ferry-sl-bench-")
    f = Ferry(extra=["--log-level", "error"] + os.environ.get("FERRY_ARGS", "").split()).start()
    f.init()
    try:
        make_tables(f.client("dynamodb", "dev", region="us-east-1"))
        akid, secret = f.keys("dev")
        tx = transact_rows(tmp, f.port, akid, secret, f.proc.pid)
        lock = lock_contention(lambda: f.client("dynamodb", "dev", region="us-east-1"))
        api = http_api_rows(f, tmp)
    finally:
        f.close()
    moto_tx, moto_lock = moto_part(tmp)
    load1 = os.getloadavg()
    print(f"#### Serverless figures ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{platform.node()}, {os.cpu_count()} cores, {platform.machine()}, wrk {DURATION}s per row, "
          f"load average {load0[0]:.1f} before, {load1[0]:.1f} after)\n")
    print("| server | workload | connections | requests/s | p50 | p99 | ferry CPU µs/request |")
    print("|---|---|---|---|---|---|---|")
    table(tx, "ferry")
    if moto_tx:
        table(moto_tx, "moto_server")
    table(api, "ferry")
    print()
    for who, (good, n, med, odd) in (("ferry", lock),) + ((("moto_server", moto_lock),) if moto_lock else ()):
        print(f"- {who}: conditional lock contention, two holders per round: exactly one won in "
              f"{good} of {n} rounds (median round {med:.2f} ms)" + (f"; other outcomes: {sorted(odd)}" if odd else ""))
    for conns in (1, 16):
        t = next(r for r in tx if r[1] == conns)
        print(f"- ferry: TransactWriteItems at {conns} connection(s): {t[2]:,.0f} transactions/s = "
              f"{t[2] * 10:,.0f} items/s")
    h = next(r for r in api if r[1] == 1 and r[0].startswith("HTTP"))
    i = next(r for r in api if r[1] == 1 and r[0].startswith("signed"))
    print(f"- ferry: HTTP API → warm Lambda adds {ms(h[3]) - ms(i[3]):.3f} ms at p50 over a direct signed "
          f"Invoke (1 connection: {h[3]} against {i[3]})")


if __name__ == "__main__":
    main()
