#!/usr/bin/python3
"""DynamoDB benchmark: signed PutItem and GetItem (one small item, the same key) replayed by
wrk at 64 connections, and a Query answering 100 items (of a 10,000-item table) at 1
connection, against ferry. Prints a markdown section."""
import json
import os
import platform
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
from ferrytest import Ferry  # noqa: E402
from server_bench import DURATION, rss_kb, wrk, wrk_script  # noqa: E402

T = "DynamoDB_20120810."


def main():
    tmp = tempfile.mkdtemp(prefix="ferry-ddb-bench-")
    f = Ferry(extra=["--log-level", "error"] + os.environ.get("FERRY_ARGS", "").split()).start()
    f.init()
    akid, secret = f.keys("dev")
    ddb = f.client("dynamodb", "dev")
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
    item = {"TableName": "bench", "Item": {"pk": {"S": "w"}, "sk": {"N": "1"},
                                           "v": {"S": "x" * 100}, "n": {"N": "12.5"}}}
    get = {"TableName": "bench", "Key": {"pk": {"S": "h1"}, "sk": {"N": "1"}}}
    query = {"TableName": "bench", "KeyConditionExpression": "pk = :h",
             "ExpressionAttributeValues": {":h": {"S": "h7"}}}
    rows = []
    for name, op, body, conns in (("PutItem", "PutItem", item, 64), ("GetItem", "GetItem", get, 64),
                                  ("Query, 100 items", "Query", query, 1)):
        script = wrk_script(tmp, f.port, akid, secret, service="dynamodb",
                            body=json.dumps(body, separators=(",", ":")), target=T + op)
        rps, p50, p99, non2xx = wrk(f.port, script, conns)
        rows.append((name, conns, rps, p50, p99, non2xx))
    rss = rss_kb(f.proc.pid)
    f.close()
    print(f"#### DynamoDB ({platform.node()}, {os.cpu_count()} cores, {platform.machine()}, "
          f"wrk {DURATION}s per row)\n")
    print("| workload | connections | requests/s | p50 | p99 |")
    print("|---|---|---|---|---|")
    for name, conns, rps, p50, p99, non2xx in rows:
        print(f"| {name}{' (non-2xx!)' if non2xx else ''} | {conns} | {rps:,.0f} | {p50} | {p99} |")
    print(f"\n- server RSS after the runs: {rss / 1024:.1f} MB (10,000 items of about 110 bytes)")


if __name__ == "__main__":
    main()
