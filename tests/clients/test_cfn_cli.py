"""CloudFormation through Debian's awscli 2.9: `cloudformation deploy` (change set CREATE /
UPDATE, empty change sets with and without --no-fail-on-empty-changeset), waiters,
describe-stacks --query, create-change-set / execute-change-set, validate-template,
delete-stack."""
import json
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from test_cfn import start_with_test_types  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from ferrytest import Ferry  # noqa: E402


@pytest.fixture(scope="module")
def fx():
    f = start_with_test_types(Ferry())
    f.init()
    yield f
    f.close()


TPL = """
AWSTemplateFormatVersion: '2010-09-09'
Description: cli
Parameters:
  Color: {Type: String, Default: red}
Resources:
  Thing:
    Type: Ferry::Test::Resource
    Properties: {Value: !Ref Color}
  Handle:
    Type: AWS::CloudFormation::WaitConditionHandle
Outputs:
  Color: {Value: !GetAtt Thing.Value, Export: {Name: !Sub "${AWS::StackName}-Color"}}
  Thing: {Value: !Ref Thing}
"""


def deploy(fx, *args, profile="dev", check=True):
    """`aws cloudformation deploy` prints text, not JSON."""
    import subprocess
    from ferrytest import AWS_BIN
    cmd = [AWS_BIN, "--endpoint-url", fx.endpoint, "--profile", profile, "cloudformation", "deploy"]
    r = subprocess.run(cmd + list(args), capture_output=True, text=True, env=fx.env())
    if check and r.returncode != 0:
        raise AssertionError(f"deploy failed: {r.stderr}")
    return r


@pytest.fixture
def tpl(tmp_path):
    def write(body, name="t.yaml"):
        p = tmp_path / name
        p.write_text(body)
        return str(p)
    return write


def test_deploy_create_update_and_empty(fx, tpl):
    path = tpl(TPL)
    t0 = time.time()
    r = deploy(fx, "--stack-name", "clistack", "--template-file", path, profile="dev")
    assert "Successfully created/updated stack - clistack" in r.stdout
    # the stack waiter never sleeps its 30 s delay (the first poll sees the final state);
    # a bound well under 30 s, not a timing target, so a loaded machine does not fail it
    assert time.time() - t0 < 25
    r = fx.aws("cloudformation", "describe-stacks", "--stack-name=clistack",
               "--query=Stacks[0].Outputs[?OutputKey=='Color'].OutputValue", profile="dev")
    assert r.json == ["red"]
    # the same again: an empty change set
    r = deploy(fx, "--fail-on-empty-changeset", "--stack-name", "clistack", "--template-file", path,
               profile="dev", check=False)
    assert r.returncode == 255
    assert "No changes to deploy. Stack clistack is up to date" in r.stderr
    r = deploy(fx, "--no-fail-on-empty-changeset", "--stack-name", "clistack",
               "--template-file", path, profile="dev")
    assert r.returncode == 0 and "No changes to deploy. Stack clistack is up to date" in r.stdout
    # an update through --parameter-overrides
    r = deploy(fx, "--stack-name", "clistack", "--template-file", path,
               "--parameter-overrides", "Color=blue", "--tags", "team=web", profile="dev")
    assert r.returncode == 0
    s = fx.aws("cloudformation", "describe-stacks", "--stack-name", "clistack", profile="dev").json["Stacks"][0]
    assert s["StackStatus"] == "UPDATE_COMPLETE"
    assert {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}["Color"] == "blue"
    assert s["Tags"] == [{"Key": "team", "Value": "web"}]
    exports = fx.aws("cloudformation", "list-exports", "--query", "Exports[].Name", profile="dev").json
    assert "clistack-Color" in exports


def test_deploy_failure_exits_nonzero(fx, tpl):
    bad = tpl(TPL.replace("Properties: {Value: !Ref Color}", "Properties: {Value: !Ref Color, FailCreate: broken}"),
              "bad.yaml")
    r = deploy(fx, "--stack-name", "clibad", "--template-file", bad, profile="dev",
               check=False)
    assert r.returncode != 0
    assert "Failed to create/update the stack" in r.stderr
    s = fx.aws("cloudformation", "describe-stacks", "--stack-name", "clibad", profile="dev").json["Stacks"][0]
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    ev = fx.aws("cloudformation", "describe-stack-events", "--stack-name", "clibad",
                "--query", "StackEvents[?ResourceStatus=='CREATE_FAILED'].ResourceStatusReason",
                profile="dev").json
    assert ev == ["broken"]


def test_deploy_needs_capabilities(fx, tpl):
    body = """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}
"""
    r = deploy(fx, "--stack-name", "clicaps", "--template-file", tpl(body, "r.yaml"),
               profile="dev", check=False)
    assert r.returncode != 0
    assert "Requires capabilities : [CAPABILITY_IAM]" in r.stderr


def test_change_set_commands_and_waiters(fx, tpl):
    path = tpl(TPL)
    cs = fx.aws("cloudformation", "create-change-set", "--stack-name", "clics", "--change-set-name", "one",
                "--change-set-type", "CREATE", "--template-body", f"file://{path}", profile="dev").json
    fx.aws("cloudformation", "wait", "change-set-create-complete", "--change-set-name", cs["Id"], profile="dev")
    d = fx.aws("cloudformation", "describe-change-set", "--change-set-name", "one", "--stack-name", "clics",
               profile="dev").json
    assert d["Status"] == "CREATE_COMPLETE"
    assert sorted(c["ResourceChange"]["LogicalResourceId"] for c in d["Changes"]) == ["Handle", "Thing"]
    fx.aws("cloudformation", "execute-change-set", "--change-set-name", cs["Id"], profile="dev")
    t0 = time.time()
    fx.aws("cloudformation", "wait", "stack-create-complete", "--stack-name", "clics", profile="dev")
    assert time.time() - t0 < 25  # under the waiter's 30 s delay, as above
    names = fx.aws("cloudformation", "list-change-sets", "--stack-name", "clics",
                   "--query", "Summaries[].ChangeSetName", profile="dev").json
    assert names == ["one"]
    fx.aws("cloudformation", "create-change-set", "--stack-name", "clics", "--change-set-name", "two",
           "--template-body", f"file://{path}", "--parameters", "ParameterKey=Color,ParameterValue=green",
           profile="dev")
    fx.aws("cloudformation", "wait", "change-set-create-complete", "--change-set-name", "two",
           "--stack-name", "clics", profile="dev")
    fx.aws("cloudformation", "execute-change-set", "--change-set-name", "two", "--stack-name", "clics",
           profile="dev")
    fx.aws("cloudformation", "wait", "stack-update-complete", "--stack-name", "clics", profile="dev")
    out = fx.aws("cloudformation", "describe-stacks", "--stack-name", "clics", "--query",
                 "Stacks[0].Outputs[?OutputKey=='Color'].OutputValue", profile="dev")
    assert out.json == ["green"]
    fx.aws("cloudformation", "create-change-set", "--stack-name", "clics", "--change-set-name", "same",
           "--use-previous-template", "--parameters", "ParameterKey=Color,UsePreviousValue=true", profile="dev")
    r = fx.aws("cloudformation", "wait", "change-set-create-complete", "--change-set-name", "same",
               "--stack-name", "clics", profile="dev", check=False)
    assert r.returncode != 0 and "FAILED" in r.stderr
    fx.aws("cloudformation", "delete-change-set", "--change-set-name", "same", "--stack-name", "clics",
           profile="dev")
    fx.aws("cloudformation", "delete-stack", "--stack-name", "clics", profile="dev")
    fx.aws("cloudformation", "wait", "stack-delete-complete", "--stack-name", "clics", profile="dev")


def test_validate_and_summary_cli(fx, tpl):
    path = tpl(TPL)
    v = fx.aws("cloudformation", "validate-template", "--template-body", f"file://{path}", profile="dev").json
    assert v["Description"] == "cli" and v["Parameters"][0]["ParameterKey"] == "Color"
    r = fx.aws("cloudformation", "validate-template", "--template-body", "Resources: [", profile="dev", check=False)
    assert r.returncode == 254 or r.returncode == 255
    assert "Template format error: YAML not well-formed." in r.stderr
    s = fx.aws("cloudformation", "get-template-summary", "--template-body", f"file://{path}", profile="dev").json
    assert s["ResourceTypes"] == ["Ferry::Test::Resource", "AWS::CloudFormation::WaitConditionHandle"]


def test_create_stack_and_wait_cli(fx, tpl):
    path = tpl(TPL)
    sid = fx.aws("cloudformation", "create-stack", "--stack-name", "cliwait", "--template-body", f"file://{path}",
                 "--parameters", "ParameterKey=Color,ParameterValue=teal", profile="dev").json["StackId"]
    fx.aws("cloudformation", "wait", "stack-create-complete", "--stack-name", sid, profile="dev")
    res = fx.aws("cloudformation", "list-stack-resources", "--stack-name", "cliwait",
                 "--query", "StackResourceSummaries[].ResourceStatus", profile="dev").json
    assert res == ["CREATE_COMPLETE", "CREATE_COMPLETE"]
    r = fx.aws("cloudformation", "delete-stack", "--stack-name", "nope", profile="dev")
    assert r.returncode == 0
    r = fx.aws("cloudformation", "describe-stacks", "--stack-name", "nope", profile="dev", check=False)
    assert "Stack with id nope does not exist" in r.stderr
