"""The stack engine when the store fails under it: a stack status it cannot commit is not
lost and does not fail the stack; the phase is done again until the store takes it. The
server fails its first stack status commits with FERRY_CFN_FAIL_STATUS_COMMITS=N (a test
seam in src/engine/stacks/engine.c)."""
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from ferrytest import Ferry  # noqa: E402

BODY = """
Outputs:
  Out:
    Value: !GetAtt A.Value
    Export: {Name: store-failure-export}
Resources:
  A:
    Type: Ferry::Test::Resource
    Properties: {Value: one}
"""


@pytest.fixture(scope="module")
def cfn():
    f = Ferry().start(env={"FERRY_CFN_TEST_TYPES": "1", "FERRY_CFN_FAIL_STATUS_COMMITS": "3"})
    f.init()
    yield f.client("cloudformation", "dev", region="us-east-1")
    f.close()


def test_status_commit_failures_retry_the_phase(cfn):
    cfn.create_stack(StackName="storefail", TemplateBody=BODY)
    deadline = time.time() + 30
    while time.time() < deadline:
        s = cfn.describe_stacks(StackName="storefail")["Stacks"][0]
        if not s["StackStatus"].endswith("_IN_PROGRESS"):
            break
        time.sleep(0.05)
    # three failed commits of CREATE_COMPLETE, then the fourth: no rollback, no stuck stack
    assert s["StackStatus"] == "CREATE_COMPLETE", s
    assert s["Outputs"][0]["OutputValue"] == "one"
    evs = cfn.describe_stack_events(StackName="storefail")["StackEvents"]
    stack_states = [e["ResourceStatus"] for e in evs if e["LogicalResourceId"] == "storefail"]
    assert stack_states == ["CREATE_COMPLETE", "CREATE_IN_PROGRESS"]
    # the resource was created once: its step was not done again
    res_states = [e["ResourceStatus"] for e in evs if e["LogicalResourceId"] == "A"]
    assert res_states == ["CREATE_COMPLETE", "CREATE_IN_PROGRESS"]
    assert cfn.list_exports()["Exports"][0]["Name"] == "store-failure-export"
