"""The demo is the main job: the seed 000 architecture must run end to end and show what
it claims at each step."""
import os
import re
import subprocess

from ferrytest import FERRY_BIN

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_demo_runs_end_to_end():
    env = dict(os.environ, FERRY_BIN=FERRY_BIN)
    r = subprocess.run(["sh", os.path.join(ROOT, "examples", "demo.sh")], capture_output=True,
                       text=True, env=env, timeout=600)
    out = r.stdout
    assert r.returncode == 0, out[-6000:] + r.stderr[-3000:]
    for step in range(1, 15):
        assert f"== {step}." in out, f"step {step} missing"
    # accounts: three, each the same in two regions
    arns = re.findall(r"^   (?:tools|booking|airmiles) +\S+ +(arn:aws:iam::\d{12}:root)$", out, re.M)
    assert len(arns) == 6 and len(set(arns)) == 3
    # identity: the allowed assume, the explicit deny, the wrong external id, the untrusted account
    assert re.search(r"allowed: arn:aws:sts::\d{12}:assumed-role/ToolsDeployRole/pipeline", out)
    assert "with an explicit deny" in out
    assert len(re.findall(r"refused: .*sts:AssumeRole on resource", out)) == 2
    # stacks: events streamed, both stacks complete
    assert re.search(r"\| BookingTopic +AWS::SNS::Topic +CREATE_COMPLETE", out)
    assert re.search(r"\| BookingSubscription +AWS::SNS::Subscription +CREATE_COMPLETE", out)
    # messaging across accounts, then without and with the queue policy
    assert "airmiles received 3 of 3 bookings" in out
    assert "airmiles received 0 of 1 bookings" in out
    assert "airmiles received 2 of 2 bookings" in out
    # audit trail in the resource owner's account shows the refusals
    assert re.search(r"AssumeRole +AccessDenied", out)
    assert re.search(r"CreateUser +AccessDenied", out)
    # the artifact bucket: readable across accounts only with the bucket and the key policy
    assert re.search(r"at rest: aws:kms\s+arn:aws:kms:", out)
    assert "read: booking service build 42" in out
    assert len(re.findall(r"refused: .*kms:Decrypt", out)) == 2
    assert re.search(r"ArtifactReader/read GetObject +allowed", out)
    # airmiles as a function: invoked by booking's topic across accounts, its logs readable
    assert len(re.findall(r"airmiles: \w+ earns \d+ miles for booking \w+", out)) >= 2
    assert re.search(r"REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration", out)
    assert 'result: {"credited": 1}' in out
    # Booking and Airmiles as SAM applications: HTTP in, DynamoDB, across accounts by SNS
    assert re.search(r"\| ServerlessRestApi +AWS::ApiGateway::RestApi +CREATE_COMPLETE", out)
    assert re.search(r"\| BookingTable +AWS::DynamoDB::Table +CREATE_COMPLETE", out)
    m = re.search(r'\{"booking_number": "(\w+)"\}', out)
    assert m, "no booking number"
    assert re.search(r'\{"booking_number": "%s", "route": "SYD-MEL", "miles": \d+\}' % m.group(1), out)
    assert "(HTTP 404)" in out and '{"message":"Missing Authentication Token"}  (HTTP 403)' in out
    # the tools account's pipeline: a push, the build, change sets in each account, then HTTP
    assert re.search(r"CreateChangeSet +CloudFormation +CHANGE_SET_REPLACE +arn:aws:iam::\d{12}:role/"
                     r"ToolsAcctCodePipelineCloudFormationRole", out)
    assert re.search(r"Source +App +Succeeded +[\d.]+s  Booking and Airmiles\n", out)
    assert re.search(r"DeployAirmiles +DeployChangeSet +Succeeded", out)
    assert re.search(r"execution [\w-]+: Succeeded", out)
    for svc in ("booking", "airmiles"):
        assert re.search(r"\| %s-lambda +CREATE_COMPLETE +arn:aws:iam::\d{12}:role/CloudFormationDeployerRole" % svc, out)
    tail = out[out.index("== 14."):]
    m = re.search(r'\{"booking_number": "(\w+)"\}', tail)
    assert m and re.search(r'\{"booking_number": "%s", "route": "SYD-MEL", "miles": \d+\}' % m.group(1), tail)
