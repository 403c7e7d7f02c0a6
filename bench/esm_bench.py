#!/usr/bin/python3
"""SQS → Lambda event source mapping throughput (issue 11): messages/s a mapping delivers to a
trivial Python handler at batch size 10.

BENCH_MESSAGES (default 5,000) messages are sent to a queue first (send_message_batch from
8 threads); then the mapping is created, and the clock runs from its creation until the
queue is empty (ApproximateNumberOfMessages and ...NotVisible both 0, read every 50 ms): every
message received, handed to the function in a batch and deleted. The function returns at
once, so the figure is ferry's cost per batch (receive, event, invoke over the Runtime API,
delete) with the environments the pollers scale out to (MaximumConcurrency, default 5).

Prints a markdown section for bench/RESULTS.md."""
import concurrent.futures
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
from ferrytest import Ferry, zipped  # noqa: E402

N = int(os.environ.get("BENCH_MESSAGES", "5000"))
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
ALLOW = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}


def main():
    f = Ferry().start()
    try:
        f.init()
        iam, lam, sqs = f.client("iam", "dev"), f.client("lambda", "dev"), f.client("sqs", "dev")
        role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        iam.put_role_policy(RoleName="bench", PolicyName="sqs", PolicyDocument=json.dumps(ALLOW))
        lam.create_function(FunctionName="sink", Runtime="python3.12", Role=role, Handler="index.handler",
                            Code={"ZipFile": zipped({"index.py": "def handler(event, context):\n    return None\n"})})
        url = sqs.create_queue(QueueName="bench", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

        def send(k):
            c = f.client("sqs", "dev")
            for i in range(k, N // 10, 8):
                c.send_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(j), "MessageBody": json.dumps({"n": i * 10 + j})} for j in range(10)])
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            list(ex.map(send, range(8)))
        t0 = time.time()
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="sink", BatchSize=10)
        while True:
            a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            if a["ApproximateNumberOfMessages"] == "0" and a["ApproximateNumberOfMessagesNotVisible"] == "0":
                break
            time.sleep(0.05)
        dt = time.time() - t0
    finally:
        f.close()
    load = os.getloadavg()[0]
    print(f"### SQS → Lambda event source mapping ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{platform.node()}, {os.cpu_count()} cores, {platform.machine()}, load average {load:.1f})\n")
    print("| messages | batch size | handler | seconds | messages/s |")
    print("|---|---|---|---|---|")
    print(f"| {N:,} | 10 | Python 3 `return None` | {dt:.2f} | {N / dt:,.0f} |")


if __name__ == "__main__":
    main()
