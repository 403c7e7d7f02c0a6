"""Functions that use the AWS SDKs inside, unchanged: a Python function with boto3 and a Node
function with the JavaScript SDK v3 (the runtime's own, as AWS's nodejs runtimes carry it:
FERRY_FN_NODE_MODULES) send to an SQS queue in another account as their execution role,
allowed by the role's policy and the queue's policy together; without the queue's grant the
same send is refused (the function fails with the SDK's AccessDenied)."""
import base64
import json
import os
import shutil
import stat
import tempfile

import pytest
from ferrytest import Ferry, acct, zipped

NODE_MODULES = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "tools", "npm",
                                            "node_modules"))
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}

PY = {"index.py": "import json\nimport boto3\n\nsqs = boto3.client('sqs')\n\n"
                  "def handler(event, context):\n"
                  "    r = sqs.send_message(QueueUrl=event['url'],\n"
                  "                         MessageBody=json.dumps({'from': 'python'}))\n"
                  "    return {'id': r['MessageId']}\n"}
NODE = {"index.js": "const { SQSClient, SendMessageCommand } = require('@aws-sdk/client-sqs');\n"
                    "const sqs = new SQSClient({});\n"
                    "exports.handler = async (event) => {\n"
                    "  const r = await sqs.send(new SendMessageCommand({\n"
                    "    QueueUrl: event.url, MessageBody: JSON.stringify({ from: 'node' }) }));\n"
                    "  return { id: r.MessageId };\n};\n"}


def reachable_by_others(path):
    """Whether a uid of no group of ours may reach path (ferry run as root runs functions as
    uids of their own): every directory on the way searchable by others."""
    p = path
    while True:
        if not os.stat(p).st_mode & stat.S_IXOTH:
            return False
        parent = os.path.dirname(p)
        if parent == p:
            return True
        p = parent


@pytest.fixture(scope="module")
def node_modules():
    if os.geteuid() != 0 or reachable_by_others(NODE_MODULES):
        yield NODE_MODULES
        return
    # a checkout under /root: offer the functions a copy they can read (the SDK v3 packages,
    # not the v2 models the build reads)
    tmp = tempfile.mkdtemp(prefix="ferry-sdk-")
    os.chmod(tmp, 0o755)
    dst = os.path.join(tmp, "node_modules")
    shutil.copytree(NODE_MODULES, dst, symlinks=True, ignore=shutil.ignore_patterns("aws-sdk"))
    yield dst
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def ferry(node_modules):
    f = Ferry().start(env={"FERRY_FN_NODE_MODULES": node_modules})
    f.init()
    yield f
    f.close()


@pytest.fixture(scope="module")
def setup(ferry):
    dev, qa = acct(ferry, "dev"), acct(ferry, "qa")
    iam = ferry.client("iam", "dev")
    role = iam.create_role(RoleName="sdk-inside", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    qarn = f"arn:aws:sqs:us-east-1:{qa}:inbox"
    iam.put_role_policy(RoleName="sdk-inside", PolicyName="send", PolicyDocument=json.dumps(
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": qarn}]}))
    sqs = ferry.client("sqs", "qa")
    url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    lam = ferry.client("lambda", "dev")
    for name, runtime, files in (("py-sdk", "python3.12", PY), ("node-sdk", "nodejs20.x", NODE)):
        lam.create_function(FunctionName=name, Runtime=runtime, Role=role, Handler="index.handler",
                            Code={"ZipFile": zipped(files)}, Timeout=30)
        lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return {"dev": dev, "qa": qa, "role": role, "url": url, "qarn": qarn, "sqs": sqs, "lam": lam}


def invoke(lam, name, url):
    r = lam.invoke(FunctionName=name, Payload=json.dumps({"url": url}).encode(), LogType="Tail")
    return r, json.loads(r["Payload"].read()), base64.b64decode(r["LogResult"]).decode()


def received(sqs, url):
    bodies = []
    for _ in range(10):
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        for m in got:
            bodies.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        if not got:
            break
    return bodies


@pytest.mark.parametrize("name", ["py-sdk", "node-sdk"])
def test_refused_without_the_queues_grant(setup, name):
    r, out, log = invoke(setup["lam"], name, setup["url"])
    assert r.get("FunctionError") == "Unhandled", (out, log)
    assert "AccessDenied" in json.dumps(out) + log, (out, log)
    assert received(setup["sqs"], setup["url"]) == []


@pytest.mark.parametrize("name,lang", [("py-sdk", "python"), ("node-sdk", "node")])
def test_sends_across_accounts_through_the_queue_policy(setup, name, lang):
    setup["sqs"].set_queue_attributes(QueueUrl=setup["url"], Attributes={"Policy": json.dumps(
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"AWS": setup["role"]},
                        "Action": "sqs:SendMessage", "Resource": setup["qarn"]}]})})
    r, out, log = invoke(setup["lam"], name, setup["url"])
    assert "FunctionError" not in r, (out, log)
    assert out["id"]
    assert received(setup["sqs"], setup["url"]) == [{"from": lang}]
