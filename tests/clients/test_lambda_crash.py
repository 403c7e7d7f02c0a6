"""Functions that fail and a ferry that dies (and the runtime loops' logging and error
documents): a runtime that exits during init answers
Runtime.ExitError with its output in the log tail; a runtime that never calls /next is
timed out and its environment (processes included) discarded; a client that disconnects
while its RequestResponse Invoke is parked leaves the server serving and nothing parked;
`kill -9` of ferry leaves no function process behind (those in the function's process group
and one it started in a session of its own die with it)."""
import base64
import json
import os
import re
import signal
import socket
import time

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest
from ferrytest import Ferry, raises, zipped

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
EXITS = {"bootstrap": ("#!/bin/sh\necho 'about to crash'\nexit 3\n", 0o100755)}
NEVER_NEXT = {"bootstrap": ("#!/bin/sh\necho \"pid=$$\"\nexec sleep 300\n", 0o100755)}
SLOW = {"index.py": "import time\n\ndef handler(event, context):\n"
                    "    time.sleep(event.get('sleep', 0))\n    return 'done'\n"}
LOGS = {"index.py": "import logging\nlogging.getLogger().setLevel(logging.INFO)\n\n"
                    "def handler(event, context):\n    logging.info('through logging')\n"
                    "    try:\n        raise KeyError('k')\n    except KeyError:\n"
                    "        logging.exception('caught')\n    raise ValueError('boom')\n"}
NODE_FAILS = {"index.js": "exports.handler = async (event) => {\n"
                         "  if (event.fail) throw new TypeError('asked to fail');\n"
                         "  return {ok: event.n};\n};\n"}
NODE_BROKEN = {"index.js": "exports.handler = async (event) => {\n"}
BIG = {"index.py": "def handler(event, context):\n    return 'x' * 6291556\n"}
RAPI = {"index.py": "import os\n\ndef handler(event, context):\n"
                   "    return os.environ['AWS_LAMBDA_RUNTIME_API']\n"}
SPAWNS = {"index.py": "import os, subprocess\n\ndef handler(event, context):\n"
                      "    kid = subprocess.Popen(['sleep', '300'])\n"
                      "    own = subprocess.Popen(['sleep', '301'], start_new_session=True)\n"
                      "    return {'me': os.getpid(), 'kid': kid.pid, 'own': own.pid}\n"}


def alive(pid):
    try:
        st = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return st != "Z"


def wait_gone(pids, timeout=5):
    deadline = time.time() + timeout
    while any(alive(p) for p in pids) and time.time() < deadline:
        time.sleep(0.02)
    return [p for p in pids if alive(p)]


def tail(r):
    return base64.b64decode(r.get("LogResult", "")).decode()


def make(f, name, runtime, files, handler="index.handler", timeout=3):
    lam = f.client("lambda", "dev")
    iam = f.client("iam", "dev")
    try:
        role = iam.get_role(RoleName="crash")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="crash", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    lam.create_function(FunctionName=name, Runtime=runtime, Role=role, Handler=handler,
                        Timeout=timeout, Code={"ZipFile": zipped(files)})
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})
    return lam


@pytest.fixture(scope="module")
def lam(ferry):
    make(ferry, "exits", "provided.al2023", EXITS)
    make(ferry, "never-next", "provided.al2023", NEVER_NEXT, timeout=1)
    make(ferry, "big", "python3.12", BIG)
    make(ferry, "logs", "python3.12", LOGS)
    make(ferry, "node-fails", "nodejs20.x", NODE_FAILS)
    make(ferry, "node-broken", "nodejs20.x", NODE_BROKEN)
    return make(ferry, "slow", "python3.12", SLOW)


def test_runtime_exiting_on_init_is_runtime_exit_error_with_log(lam):
    r = lam.invoke(FunctionName="exits", Payload=b"{}", LogType="Tail")
    assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled"
    doc = json.loads(r["Payload"].read())
    rid = r["ResponseMetadata"]["RequestId"]
    assert doc == {"errorType": "Runtime.ExitError",
                   "errorMessage": f"RequestId: {rid} Error: Runtime exited with error: exit status 3"}
    log = tail(r)
    assert "about to crash" in log and "Runtime.ExitError" in log
    # and again: a new environment each time, the same answer
    r = lam.invoke(FunctionName="exits", Payload=b"{}")
    assert json.loads(r["Payload"].read())["errorType"] == "Runtime.ExitError"


def test_runtime_never_calling_next_is_timed_out_and_discarded(lam):
    r = lam.invoke(FunctionName="never-next", Payload=b"{}", LogType="Tail")
    assert r["FunctionError"] == "Unhandled"
    msg = json.loads(r["Payload"].read())["errorMessage"]
    assert msg.endswith(f"{r['ResponseMetadata']['RequestId']} Task timed out after 1.00 seconds")
    pid = int(re.search(r"pid=(\d+)", tail(r)).group(1))
    assert wait_gone([pid]) == []
    # the next invocation gets a new environment (a new process), timed out the same way
    r = lam.invoke(FunctionName="never-next", Payload=b"{}", LogType="Tail")
    assert "Task timed out after 1.00 seconds" in json.loads(r["Payload"].read())["errorMessage"]
    pid2 = int(re.search(r"pid=(\d+)", tail(r)).group(1))
    assert pid2 != pid and wait_gone([pid2]) == []


def test_payloads_beyond_aws_sizes(lam):
    raises(lam.invoke, "RequestTooLargeException",
           "Request must be smaller than 6291456 bytes for the InvokeFunction operation", 413,
           FunctionName="slow", Payload=b'"' + b"x" * 6291455 + b'"')
    raises(lam.invoke, "RequestTooLargeException",
           "Request must be smaller than 1048576 bytes for the InvokeFunction operation", 413,
           FunctionName="slow", InvocationType="Event", Payload=b'"' + b"x" * 1048575 + b'"')
    r = lam.invoke(FunctionName="big", Payload=b"{}")
    assert r["FunctionError"] == "Unhandled"
    assert json.loads(r["Payload"].read()) == {
        "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge"}


def test_python_logging_and_errors_as_aws_writes_them(lam):
    # the runtime loop sets up AWS's root handler when the function imports logging
    r = lam.invoke(FunctionName="logs", Payload=b"{}", LogType="Tail")
    rid = r["ResponseMetadata"]["RequestId"]
    log = tail(r)
    assert re.search(r"\[INFO\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t" + rid + r"\tthrough logging", log), log
    assert f"[ERROR]\t" in log and "caught" in log and "KeyError: 'k'" in log
    doc = json.loads(r["Payload"].read())
    assert doc["errorType"] == "ValueError" and doc["errorMessage"] == "boom"
    assert doc["requestId"] == rid and any("index.py" in f for f in doc["stackTrace"])


def test_node_errors_and_answers_on_one_connection(lam):
    # errors and answers alternate on the runtime's kept-alive connection
    for n in range(3):
        r = lam.invoke(FunctionName="node-fails", Payload=b'{"fail": true}')
        doc = json.loads(r["Payload"].read())
        assert r["FunctionError"] == "Unhandled"
        assert doc["errorType"] == "TypeError" and doc["errorMessage"] == "asked to fail"
        r = lam.invoke(FunctionName="node-fails", Payload=json.dumps({"n": n}).encode())
        assert "FunctionError" not in r and json.loads(r["Payload"].read()) == {"ok": n}
    r = lam.invoke(FunctionName="node-broken", Payload=b"{}", LogType="Tail")
    assert r["FunctionError"] == "Unhandled"
    doc = json.loads(r["Payload"].read())
    assert doc["errorType"] == "Runtime.UserCodeSyntaxError", (doc, tail(r))


@pytest.mark.skipif(os.geteuid() != 0, reason="functions have uids of their own under a root ferry")
def test_runtime_api_answers_only_its_environment(ferry, lam):
    # the Runtime API asks the kernel whose connection it is: another uid (here the
    # tests') is closed on, the environment's own runtime served, many times over
    make(ferry, "rapi", "python3.12", RAPI)
    for _ in range(20):
        api = json.loads(lam.invoke(FunctionName="rapi", Payload=b"{}")["Payload"].read())
        host, port = api.split(":")
        s = socket.create_connection((host, int(port)))
        try:
            s.sendall(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(10)
            try:
                got = s.recv(100)
            except ConnectionResetError:
                got = b""
            assert got == b""
        finally:
            s.close()


def signed_invoke(f, name, body):
    akid, secret = f.keys("dev")
    path = f"/2015-03-31/functions/{name}/invocations"
    req = botocore.awsrequest.AWSRequest(method="POST", url=f"{f.endpoint}{path}", data=body)
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(akid, secret), "lambda",
                            "us-east-1").add_auth(req)
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{f.port}\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in req.headers.items())
    return head.encode() + b"\r\n" + body


def test_client_disconnecting_while_parked(ferry, lam):
    lam.invoke(FunctionName="slow", Payload=b"{}")  # a warm environment
    for _ in range(5):
        s = socket.create_connection(("127.0.0.1", ferry.port))
        s.sendall(signed_invoke(ferry, "slow", b'{"sleep": 0.5}'))
        ferry.wait_parked(1, profile="dev")
        s.close()
    # the invocations run to their end and nothing stays parked; the server serves on
    deadline = time.time() + 10
    while ferry.health("dev")["parked_polls"] and time.time() < deadline:
        time.sleep(0.05)
    assert ferry.health("dev")["parked_polls"] == 0
    r = lam.invoke(FunctionName="slow", Payload=b"{}")
    assert json.loads(r["Payload"].read()) == "done"
    assert ferry.proc.poll() is None


def test_kill_9_leaves_no_function_process():
    f = Ferry().start()
    try:
        f.init()
        lam = make(f, "spawns", "python3.12", SPAWNS)
        pids = json.loads(lam.invoke(FunctionName="spawns", Payload=b"{}")["Payload"].read())
        assert all(alive(p) for p in pids.values())
        f.proc.send_signal(signal.SIGKILL)
        f.proc.wait()
        # the function's group dies with ferry, and what it started in a session of its own
        assert wait_gone(list(pids.values())) == []
    finally:
        for p in pids.values() if "pids" in dir() else ():
            if alive(p):
                os.kill(p, signal.SIGKILL)
        f.close()
