"""CodePipeline's engine goes on when the work an action waits for ends, not at its next
poll: with the poll pushed out of reach (FERRY_PIPELINE_INTERVAL an hour), a pipeline whose
CodeBuild build and CloudFormation stack operations (a create, an update, a delete) each
make an action wait still runs to Succeeded, because the builds and stacks engines' end
notifications wake it. No timing is asserted: without the wake the execution would sit
waiting for an hour. Reuses the fixtures and helpers of test_codepipeline.py."""
import pytest
from ferrytest import Ferry
from test_codepipeline import (REGION, TOPIC_TEMPLATE, build_project, build_then_deploy,  # noqa: F401
                               cp, decl, env, latest, put_source, s3_source, uniq, wait_exec)


@pytest.fixture(scope="module")
def fx():
    f = Ferry().start(env={"FERRY_PIPELINE_INTERVAL": "3600"})
    f.init()
    yield f
    f.close()


def test_build_and_stacks_wake_the_execution(fx, env, cp):
    project = build_project(fx, env)
    key = uniq("src") + ".zip"
    put_source(fx, env, key, {"template.yaml": TOPIC_TEMPLATE, "stamp.txt": "1"})
    stack = uniq("woken")
    name = uniq("wake")
    cp.create_pipeline(pipeline=decl(env, [s3_source(env, key), *build_then_deploy(env, project, stack)], name))
    x = wait_exec(cp, name, latest(cp, name), timeout=90)
    assert x["status"] == "Succeeded", x  # the build and the stack's create each woke it
    cfn = fx.client("cloudformation", "dev", region=REGION)
    outs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]}
    assert outs["Commit"] == "built-1"
    # an update
    put_source(fx, env, key, {"template.yaml": TOPIC_TEMPLATE, "stamp.txt": "2"})
    xid = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    assert wait_exec(cp, name, xid, timeout=90)["status"] == "Succeeded"
    outs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]}
    assert outs["Commit"] == "built-2"
    # a delete
    p = cp.get_pipeline(name=name)["pipeline"]
    p["stages"][2]["actions"][0]["configuration"]["ActionMode"] = "DELETE_ONLY"
    cp.update_pipeline(pipeline=p)
    xid = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    assert wait_exec(cp, name, xid, timeout=90)["status"] == "Succeeded"
    assert not [s for s in cfn.list_stacks()["StackSummaries"]
                if s["StackName"] == stack and s["StackStatus"] != "DELETE_COMPLETE"]
