"""CloudFormation through boto3: templates (YAML short forms, JSON), parameters, conditions,
intrinsics, the Stack API, change sets, exports/imports, rollbacks, nested stacks, wait
conditions, restarts. Resource types: AWS::CloudFormation::WaitConditionHandle /
WaitCondition / Stack (the engine's own) and Ferry::Test::Resource (a test-only type the
server offers with FERRY_CFN_TEST_TYPES=1: Name, Value, Replace, FailCreate, FailUpdate,
FailDelete, SleepMs)."""
import http.server
import json
import os
import signal
import sys
import threading
import time

import botocore
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from ferrytest import Ferry, stackset_roles  # noqa: E402

T = "Ferry::Test::Resource"


def start_with_test_types(f, **env):
    return f.start(env={"FERRY_CFN_TEST_TYPES": "1", **env})


def restart(f, sig):
    f.stop(sig)
    start_with_test_types(f)


@pytest.fixture(scope="module")
def fx():
    f = start_with_test_types(Ferry())
    f.init()
    yield f
    f.close()


@pytest.fixture(scope="module")
def cfn(fx):
    return fx.client("cloudformation", "dev", region="us-east-1")


_n = [0]


def uniq(p="s"):
    _n[0] += 1
    return f"{p}{_n[0]}-{os.getpid()}"


def err(fn, *a, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(*a, **kw)
    return e.value.response["Error"]


def wait(cfn, name, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        s = cfn.describe_stacks(StackName=name)["Stacks"][0]
        if not s["StackStatus"].endswith("_IN_PROGRESS") or s["StackStatus"] == "REVIEW_IN_PROGRESS":
            return s
        time.sleep(0.05)
    raise AssertionError(f"stack {name} still {s['StackStatus']}")


def events(cfn, name):
    return cfn.describe_stack_events(StackName=name)["StackEvents"][::-1]


def outputs(stack):
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def create(cfn, body, name=None, **kw):
    name = name or uniq()
    cfn.create_stack(StackName=name, TemplateBody=body, **kw)
    return name, wait(cfn, name)


INTRINSICS = """
AWSTemplateFormatVersion: '2010-09-09'
Description: every short form
Parameters:
  Env:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Nums:
    Type: List<Number>
    Default: "1,2,3"
  Names:
    Type: CommaDelimitedList
    Default: "a, b ,c"
  Secret:
    Type: String
    NoEcho: true
    Default: hunter2
  Vpc:
    Type: AWS::EC2::VPC::Id
    Default: vpc-123
Mappings:
  RegionMap:
    us-east-1: {Ami: ami-east, Size: 2}
    eu-west-1: {Ami: ami-west, Size: 3}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsDev, !Equals [a, a]]
  Either: !Or [!Condition IsProd, !Equals [!Select [0, !Ref Names], a]]
Resources:
  Handle:
    Type: AWS::CloudFormation::WaitConditionHandle
  A:
    Type: Ferry::Test::Resource
    Properties:
      Value: !Sub "${Env}-${AWS::Region}-${AWS::AccountId}"
  B:
    Type: Ferry::Test::Resource
    Condition: IsProd
    Properties:
      Value: only-prod
  C:
    Type: Ferry::Test::Resource
    Properties:
      Value: !GetAtt [A, Value]
      Extra: !If [IsProd, !Ref B, !Ref "AWS::NoValue"]
Outputs:
  Sub: {Value: !Sub "${A.Value}/${AWS::StackName}"}
  SubMap: {Value: !Sub ["${x}-${Env}-${!Literal}", {x: !FindInMap [RegionMap, !Ref "AWS::Region", Ami]}]}
  Join: {Value: !Join [":", [!Ref Env, !Join ["", [x, y]], !Select [1, !Ref Nums]]]}
  Split: {Value: !Select [2, !Split [",", "p,q,r"]]}
  Names: {Value: !Join ["|", !Ref Names]}
  If: {Value: !If [IsProd, yes, no]}
  Map: {Value: !FindInMap [RegionMap, us-east-1, Size]}
  B64: {Value: !Base64 "hello"}
  Cidr: {Value: !Join [",", !Cidr ["10.0.0.0/16", 3, 8]]}
  AZ: {Value: !Select [0, !GetAZs ""]}
  AZs: {Value: !Join [",", !GetAZs us-west-2]}
  Part: {Value: !Sub "${AWS::Partition}/${AWS::URLSuffix}"}
  Both: {Value: !If [Both, both, notboth]}
  Either: {Value: !If [Either, either, neither]}
  Vpc: {Value: !Ref Vpc}
  Handle: {Value: !Ref Handle}
  Long: {Value: {"Fn::Join": ["-", [{"Ref": "Env"}, {"Fn::GetAtt": ["A", "Name"]}]]}}
  ProdOnly:
    Condition: IsProd
    Value: !Ref B
"""


def test_short_forms_and_intrinsics(cfn, fx):
    name, s = create(cfn, INTRINSICS)
    assert s["StackStatus"] == "CREATE_COMPLETE", events(cfn, name)
    acct = fx.aws("sts", "get-caller-identity", profile="dev").json["Account"]
    o = outputs(s)
    assert o["Sub"] == f"dev-us-east-1-{acct}/{name}"
    assert o["SubMap"] == "ami-east-dev-${Literal}"
    assert o["Join"] == "dev:xy:2"
    assert o["Split"] == "r"
    assert o["Names"] == "a|b|c"
    assert o["If"] == "no"
    assert o["Map"] == "2"
    assert o["B64"] == "aGVsbG8="
    assert o["Cidr"] == "10.0.0.0/24,10.0.1.0/24,10.0.2.0/24"
    assert o["AZ"] == "us-east-1a"
    assert o["AZs"] == "us-west-2a,us-west-2b,us-west-2c"
    assert o["Part"] == "aws/amazonaws.com"
    assert o["Both"] == "both" and o["Either"] == "either"
    assert o["Vpc"] == "vpc-123"
    assert o["Handle"].startswith("https://cloudformation-waitcondition-us-east-1.s3.amazonaws.com/")
    assert o["Long"].startswith(f"dev-{name}-A-")
    assert "ProdOnly" not in o
    assert s["Description"] == "every short form"
    params = {p["ParameterKey"]: p["ParameterValue"] for p in s["Parameters"]}
    assert params["Secret"] == "****" and params["Env"] == "dev"
    res = {r["LogicalResourceId"]: r for r in cfn.describe_stack_resources(StackName=name)["StackResources"]}
    assert set(res) == {"Handle", "A", "C"}
    assert all(r["ResourceStatus"] == "CREATE_COMPLETE" for r in res.values())
    # conditions flip with the parameter: B is created, C gets Extra
    cfn.update_stack(StackName=name, UsePreviousTemplate=True,
                     Parameters=[{"ParameterKey": "Env", "ParameterValue": "prod"}])
    s = wait(cfn, name)
    assert s["StackStatus"] == "UPDATE_COMPLETE", events(cfn, name)
    o = outputs(s)
    assert o["If"] == "yes"
    assert o["ProdOnly"].startswith(f"{name}-B-")
    assert {r["LogicalResourceId"] for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]} == {"Handle", "A", "B", "C"}


def test_numbers_keep_the_text_the_template_gave(cfn):
    # AWS passes a number on as the template wrote it: 0.1, not 0.10000000000000001 (the
    # parameter value and Fn::Join), and 1234567.5, not 1.23457e+06 (DefaultValue)
    body = json.dumps({
        "Parameters": {"Big": {"Type": "Number", "Default": 1234567.5},
                       "Small": {"Type": "Number", "Default": 0.1, "AllowedValues": [0.1, 2.5]}},
        "Resources": {"R": {"Type": T, "Properties": {
            "Value": {"Fn::Join": [",", [{"Ref": "Small"}, 0.25, {"Ref": "Big"}]]}}}},
        "Outputs": {"V": {"Value": {"Fn::GetAtt": ["R", "Value"]}}, "N": {"Value": 1234567.5}},
    })
    ps = {p["ParameterKey"]: p["DefaultValue"] for p in cfn.validate_template(TemplateBody=body)["Parameters"]}
    assert ps == {"Big": "1234567.5", "Small": "0.1"}
    ts = cfn.get_template_summary(TemplateBody=body)
    small = [p for p in ts["Parameters"] if p["ParameterKey"] == "Small"][0]
    assert small["ParameterConstraints"]["AllowedValues"] == ["0.1", "2.5"]
    name, s = create(cfn, body)
    assert s["StackStatus"] == "CREATE_COMPLETE", events(cfn, name)
    assert outputs(s) == {"V": "0.1,0.25,1234567.5", "N": "1234567.5"}


def test_json_template_and_template_apis(cfn):
    body = json.dumps({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "json one",
        "Parameters": {"Size": {"Type": "Number", "Default": 5, "MinValue": 1, "MaxValue": 10,
                                "Description": "how many"},
                       "Pw": {"Type": "String", "NoEcho": True, "AllowedValues": ["x", "y"], "Default": "x"}},
        "Resources": {"R": {"Type": T, "Properties": {"Value": {"Ref": "Size"}}},
                      "Role": {"Type": "AWS::IAM::Role", "Condition": "Never",
                               "Properties": {"AssumeRolePolicyDocument": {}}}},
        "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
        "Outputs": {"V": {"Value": {"Fn::GetAtt": ["R", "Value"]}, "Description": "the value"}},
    })
    v = cfn.validate_template(TemplateBody=body)
    assert v["Description"] == "json one"
    assert v["Capabilities"] == ["CAPABILITY_IAM"]
    assert v["CapabilitiesReason"] == "The following resource(s) require capabilities: [AWS::IAM::Role]"
    ps = {p["ParameterKey"]: p for p in v["Parameters"]}
    assert ps["Size"]["DefaultValue"] == "5" and ps["Size"]["Description"] == "how many"
    assert ps["Pw"]["NoEcho"] is True
    ts = cfn.get_template_summary(TemplateBody=body)
    assert ts["ResourceTypes"] == [T, "AWS::IAM::Role"]
    assert {p["ParameterKey"]: p["ParameterType"] for p in ts["Parameters"]} == {"Size": "Number", "Pw": "String"}
    assert [p for p in ts["Parameters"] if p["ParameterKey"] == "Pw"][0]["ParameterConstraints"]["AllowedValues"] == ["x", "y"]
    e = err(cfn.create_stack, StackName=uniq(), TemplateBody=body)
    assert e["Code"] == "InsufficientCapabilitiesException"
    assert e["Message"] == "Requires capabilities : [CAPABILITY_IAM]"
    name, s = create(cfn, body, Capabilities=["CAPABILITY_IAM"])
    assert s["StackStatus"] == "CREATE_COMPLETE"
    assert outputs(s) == {"V": "5"}
    assert s["Outputs"][0]["Description"] == "the value"
    t = cfn.get_template(StackName=name)
    assert t["StagesAvailable"] == ["Original", "Processed"]
    body_back = t["TemplateBody"]
    assert (json.loads(body_back) if isinstance(body_back, str) else body_back)["Description"] == "json one"
    ts = cfn.get_template_summary(StackName=name)
    assert ts["Description"] == "json one"
    d = cfn.describe_stack_resource(StackName=name, LogicalResourceId="R")["StackResourceDetail"]
    assert d["ResourceType"] == T and d["ResourceStatus"] == "CREATE_COMPLETE" and d["PhysicalResourceId"]
    assert d["StackName"] == name
    e = err(cfn.describe_stack_resource, StackName=name, LogicalResourceId="Nope")
    assert e["Code"] == "ValidationError" and e["Message"] == f"Resource Nope does not exist for stack {name}"
    by_phys = cfn.describe_stack_resources(PhysicalResourceId=d["PhysicalResourceId"])["StackResources"]
    assert by_phys[0]["StackName"] == name


NAMED_ROLE = """
Resources:
  R:
    Type: AWS::IAM::Role
    Properties:
      RoleName: my-role
      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}
"""


def test_named_iam_capability(cfn):
    e = err(cfn.create_stack, StackName=uniq(), TemplateBody=NAMED_ROLE, Capabilities=["CAPABILITY_IAM"])
    assert e["Code"] == "InsufficientCapabilitiesException"
    assert e["Message"] == "Requires capabilities : [CAPABILITY_NAMED_IAM]"
    v = cfn.validate_template(TemplateBody=NAMED_ROLE)
    assert v["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    e = err(cfn.create_stack, StackName=uniq(), TemplateBody=NAMED_ROLE, Capabilities=["CAPABILITY_FOO"])
    assert e["Code"] == "ValidationError"


@pytest.mark.parametrize("body,code,msg", [
    ("Resources:\n  A: {Type: x\n  B: [", "ValidationError", "Template format error: YAML not well-formed. (line 3, column"),
    ('{"Resources": {"A": }}', "ValidationError", "Template format error: JSON not well-formed. (line 1, column"),
    ("Resources:\n  A:\n    Type: Ferry::Test::Resource\n    Properties: {Value: !Foo x}\n", "ValidationError",
     "Template error: Encountered unsupported function: Fn::Foo Supported functions are: [Fn::Base64"),
    ("Resources:\n  A:\n    Type: Ferry::Test::Resource\n    Properties: {Value: !Join [only-one]}\n", "ValidationError",
     "Template error: every Fn::Join object requires two parameters"),
    ("Resources:\n  A:\n    Type: Ferry::Test::Resource\n    Properties: {Value: !Ref Missing}\n", "ValidationError",
     "Template format error: Unresolved resource dependencies [Missing] in the Resources block of the template"),
    ("Resources:\n  A:\n    Type: Ferry::Test::Resource\nOutputs:\n  O: {Value: !Ref Gone}\n", "ValidationError",
     "Template format error: Unresolved resource dependencies [Gone] in the Outputs block of the template"),
    ("Resources:\n  A:\n    Type: Ferry::Test::Resource\n    Properties: {Value: !GetAtt Nope.Arn}\n", "ValidationError",
     "Template error: instance of Fn::GetAtt references undefined resource Nope"),
    ("Resources:\n  A:\n    Type: Ferry::Test::Resource\n    Properties: {Value: !Ref B}\n"
     "  B:\n    Type: Ferry::Test::Resource\n    Properties: {Value: !GetAtt A.Value}\n"
     "  C:\n    Type: Ferry::Test::Resource\n    DependsOn: B\n", "ValidationError",
     "Circular dependency between resources: [A, B]"),
    ("Resources:\n  A:\n    Type: AWS::Foo::Bar\n  B:\n    Type: AWS::Nope::Nope\n", "ValidationError",
     "Template format error: Unrecognized resource types: [AWS::Foo::Bar, AWS::Nope::Nope]"),
    ("Description: nothing\n", "ValidationError", "Template format error: At least one Resources member must be defined."),
    ("Resources:\n  A: {Properties: {}}\n", "ValidationError", "Every Resources object must contain a Type member."),
    ("Resources:\n  A: {Type: Ferry::Test::Resource, Bogus: 1}\n", "ValidationError", "Invalid template resource property 'Bogus'"),
    ("Foo: 1\nResources:\n  A: {Type: Ferry::Test::Resource}\n", "ValidationError",
     "Template format error: Invalid template property or properties [Foo]"),
    ("Resources:\n  A:\n    Type: Ferry::Test::Resource\n    Properties: {Value: !Select [5, [a, b]]}\n", "ValidationError",
     "Template error: Fn::Select cannot select nonexistent value at index 5"),
    ("Resources:\n  A:\n    Type: Ferry::Test::Resource\n    Properties: {Value: !FindInMap [M, x, y]}\n", "ValidationError",
     "Template error: Unable to get mapping for M::x::y"),
    ("Resources:\n  A:\n    Type: Ferry::Test::Resource\n    Properties: {Value: !If [Nope, a, b]}\n", "ValidationError",
     "Template error: unresolved condition dependency Nope in Fn::If"),
])
def test_template_errors(cfn, body, code, msg):
    for fn in (lambda: cfn.create_stack(StackName=uniq(), TemplateBody=body),
               lambda: cfn.validate_template(TemplateBody=body)):
        if "Unrecognized resource types" in msg and fn.__code__.co_names.count("validate_template"):
            continue
        e = err(fn)
        assert e["Code"] == code
        assert msg in e["Message"], e["Message"]


def test_template_size_and_source(cfn):
    big = "Resources:\n  A: {Type: AWS::CloudFormation::WaitConditionHandle}\n" + "#" * 51200
    e = err(cfn.create_stack, StackName=uniq(), TemplateBody=big)
    assert e["Code"] == "ValidationError" and "51200" in e["Message"]
    e = err(cfn.create_stack, StackName=uniq())
    assert e["Message"] == "Either Template URL or Template Body must be specified."
    e = err(cfn.create_stack, StackName="1bad", TemplateBody="Resources: {}")
    assert "Member must satisfy regular expression pattern" in e["Message"]


PARAMS = """
Parameters:
  Str: {Type: String, AllowedPattern: "[a-z]+", MinLength: 2, MaxLength: 5}
  Num: {Type: Number, MinValue: 1, MaxValue: 10, Default: 3}
  Pick: {Type: String, AllowedValues: [red, blue], Default: red}
  Described: {Type: String, AllowedPattern: "x+", ConstraintDescription: "must be only x", Default: x}
  Ssm: {Type: "AWS::SSM::Parameter::Value<String>", Default: /not/there}
Resources:
  A: {Type: AWS::CloudFormation::WaitConditionHandle}
"""
NOSSM = PARAMS.replace('  Ssm: {Type: "AWS::SSM::Parameter::Value<String>", Default: /not/there}\n', "")


@pytest.mark.parametrize("params,msg", [
    ({}, "Parameters: [Str] must have values"),
    ({"Str": "abc", "Nope": "1"}, "Parameters: [Nope] do not exist in the template"),
    ({"Str": "ABC"}, "Parameter 'Str' must match pattern [a-z]+"),
    ({"Str": "a"}, "Parameter 'Str' must contain at least 2 characters"),
    ({"Str": "abcdef"}, "Parameter 'Str' must contain at most 5 characters"),
    ({"Str": "abc", "Num": "x"}, "Parameter 'Num' must be a number."),
    ({"Str": "abc", "Num": "0"}, "Parameter 'Num' must be a number not less than 1"),
    ({"Str": "abc", "Num": "11"}, "Parameter 'Num' must be a number not greater than 10"),
    ({"Str": "abc", "Pick": "green"}, "Parameter 'Pick' must be one of AllowedValues"),
    ({"Str": "abc", "Described": "y"}, "Parameter 'Described' failed to satisfy constraint: must be only x"),
])
def test_parameter_constraints(cfn, params, msg):
    e = err(cfn.create_stack, StackName=uniq(), TemplateBody=NOSSM,
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()])
    assert e["Code"] == "ValidationError"
    assert e["Message"] == msg


def test_ssm_parameter_type_without_ssm(cfn):
    e = err(cfn.create_stack, StackName=uniq(), TemplateBody=PARAMS,
            Parameters=[{"ParameterKey": "Str", "ParameterValue": "abc"}])
    assert e["Message"] == "Unable to fetch parameters [/not/there] from parameter store for this account."


def test_describe_missing_and_delete_missing(cfn):
    e = err(cfn.describe_stacks, StackName="ghost")
    assert e["Code"] == "ValidationError" and e["Message"] == "Stack with id ghost does not exist"
    cfn.delete_stack(StackName="ghost")  # AWS: succeeds silently
    e = err(cfn.describe_stack_events, StackName="ghost")
    assert e["Message"] == "Stack with id ghost does not exist"
    e = err(cfn.update_stack, StackName="ghost", UsePreviousTemplate=True)
    assert e["Message"] == "Stack with id ghost does not exist"


SIMPLE = """
Parameters:
  V: {Type: String, Default: one}
Resources:
  A:
    Type: Ferry::Test::Resource
    Properties: {Value: !Ref V}
  B:
    Type: Ferry::Test::Resource
    DeletionPolicy: Retain
    Properties: {Value: !GetAtt A.Value, Replace: !Ref V}
Outputs:
  A: {Value: !Ref A}
  B: {Value: !Ref B}
"""


def test_create_returns_at_once_then_lifecycle(cfn, fx):
    name = uniq()
    slow = SIMPLE.replace("Properties: {Value: !Ref V}", "Properties: {Value: !Ref V, SleepMs: 300}")
    sid = cfn.create_stack(StackName=name, TemplateBody=slow, Tags=[{"Key": "team", "Value": "red"}])["StackId"]
    assert sid.startswith(f"arn:aws:cloudformation:us-east-1:") and f":stack/{name}/" in sid
    sums = cfn.list_stacks()["StackSummaries"]
    assert [x for x in sums if x["StackId"] == sid][0]["StackStatus"] == "CREATE_IN_PROGRESS"
    e = err(cfn.create_stack, StackName=name, TemplateBody=SIMPLE)
    assert e["Code"] == "AlreadyExistsException" and e["Message"] == f"Stack [{name}] already exists"
    e = err(cfn.update_stack, StackName=name, TemplateBody=SIMPLE)
    assert e["Message"] == f"Stack:{sid} is in CREATE_IN_PROGRESS state and can not be updated."
    s = wait(cfn, name)
    assert s["StackStatus"] == "CREATE_COMPLETE" and s["Tags"] == [{"Key": "team", "Value": "red"}]
    assert cfn.describe_stacks(StackName=sid)["Stacks"][0]["StackName"] == name
    first = outputs(s)
    # no change
    e = err(cfn.update_stack, StackName=name, TemplateBody=slow)
    assert e["Code"] == "ValidationError" and e["Message"] == "No updates are to be performed."
    # in place (A) and replacement (B: Replace changes)
    cfn.update_stack(StackName=name, TemplateBody=SIMPLE, Parameters=[{"ParameterKey": "V", "ParameterValue": "two"}])
    s = wait(cfn, name)
    assert s["StackStatus"] == "UPDATE_COMPLETE", events(cfn, name)
    o = outputs(s)
    assert o["A"] == first["A"] and o["B"] != first["B"]
    ev = [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason", "")) for e in events(cfn, name)]
    assert ("B", "UPDATE_IN_PROGRESS", "Requested update requires the creation of a new physical resource; hence creating one.") in ev
    assert (name, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "") in ev
    assert ("B", "DELETE_COMPLETE", "") in ev
    # delete: B is retained
    cfn.delete_stack(StackName=name)
    s = cfn.describe_stacks(StackName=sid)["Stacks"][0]
    assert s["StackStatus"] == "DELETE_COMPLETE" and "DeletionTime" in s
    ev = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events(cfn, sid)]
    assert ("B", "DELETE_SKIPPED") in ev and ("A", "DELETE_COMPLETE") in ev
    e = err(cfn.describe_stacks, StackName=name)
    assert e["Message"] == f"Stack with id {name} does not exist"
    assert sid not in [x["StackId"] for x in cfn.describe_stacks()["Stacks"]]
    deleted = cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]
    assert sid in [x["StackId"] for x in deleted]
    # the name is free again
    name2, s2 = create(cfn, SIMPLE, name=name)
    assert s2["StackId"] != sid


def test_create_failure_rolls_back(cfn):
    body = SIMPLE.replace("Properties: {Value: !GetAtt A.Value, Replace: !Ref V}",
                          "Properties: {Value: !GetAtt A.Value, FailCreate: 'quota exceeded for B'}")
    name, s = create(cfn, body)
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    ev = [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason", "")) for e in events(cfn, name)]
    assert ("B", "CREATE_FAILED", "quota exceeded for B") in ev
    assert (name, "ROLLBACK_IN_PROGRESS",
            "The following resource(s) failed to create: [B]. Rollback requested by user.") in ev
    assert ("A", "DELETE_COMPLETE", "") in ev
    assert ev[-1][:2] == (name, "ROLLBACK_COMPLETE")
    e = err(cfn.update_stack, StackName=name, TemplateBody=SIMPLE)
    assert "ROLLBACK_COMPLETE state and can not be updated" in e["Message"]
    # DisableRollback keeps what was made; OnFailure=DELETE removes the stack
    name, s = create(cfn, body, DisableRollback=True)
    assert s["StackStatus"] == "CREATE_FAILED"
    assert s["StackStatusReason"] == "The following resource(s) failed to create: [B]. "
    res = {r["LogicalResourceId"]: r["ResourceStatus"] for r in cfn.describe_stack_resources(StackName=name)["StackResources"]}
    assert res == {"A": "CREATE_COMPLETE", "B": "CREATE_FAILED"}
    name = uniq()
    sid = cfn.create_stack(StackName=name, TemplateBody=body, OnFailure="DELETE")["StackId"]
    deadline = time.time() + 10
    while cfn.describe_stacks(StackName=sid)["Stacks"][0]["StackStatus"] != "DELETE_COMPLETE":
        assert time.time() < deadline
        time.sleep(0.05)
    e = err(cfn.create_stack, StackName=uniq(), TemplateBody=body, OnFailure="DELETE", DisableRollback=True)
    assert e["Message"] == "You cannot specify both DisableRollback and OnFailure."


def test_update_failure_rolls_back(cfn):
    name, s = create(cfn, SIMPLE)
    before = outputs(s)
    bad = SIMPLE.replace("Properties: {Value: !Ref V}", "Properties: {Value: !Ref V, FailUpdate: 'nope'}")
    cfn.update_stack(StackName=name, TemplateBody=bad, Parameters=[{"ParameterKey": "V", "ParameterValue": "x"}])
    s = wait(cfn, name)
    assert s["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE", events(cfn, name)
    assert outputs(s) == before
    ev = [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason", "")) for e in events(cfn, name)]
    assert ("A", "UPDATE_FAILED", "nope") in ev
    assert (name, "UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to update: [A]. ") in ev
    assert (name, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "") in ev
    params = {p["ParameterKey"]: p["ParameterValue"] for p in s["Parameters"]}
    assert params == {"V": "one"}
    assert cfn.get_template(StackName=name)["TemplateBody"] == SIMPLE
    # still updatable afterwards
    cfn.update_stack(StackName=name, TemplateBody=SIMPLE, Parameters=[{"ParameterKey": "V", "ParameterValue": "y"}])
    assert wait(cfn, name)["StackStatus"] == "UPDATE_COMPLETE"


def test_update_rollback_failed_and_continue(cfn):
    body = """
Resources:
  A:
    Type: Ferry::Test::Resource
    Properties: {Value: "1", FailUpdate: "rollback cannot restore me"}
  B:
    Type: Ferry::Test::Resource
    DependsOn: A
    Properties: {Value: "1"}
"""
    name, s = create(cfn, body)
    upd = body.replace('{Value: "1", FailUpdate: "rollback cannot restore me"}', '{Value: "2"}') \
              .replace('Properties: {Value: "1"}\n', 'Properties: {Value: "2", FailUpdate: "b fails"}\n')
    cfn.update_stack(StackName=name, TemplateBody=upd)
    s = wait(cfn, name)
    assert s["StackStatus"] == "UPDATE_ROLLBACK_FAILED", events(cfn, name)
    e = err(cfn.update_stack, StackName=name, TemplateBody=body)
    assert "UPDATE_ROLLBACK_FAILED state and can not be updated" in e["Message"]
    cfn.continue_update_rollback(StackName=name, ResourcesToSkip=["A"])
    s = wait(cfn, name)
    assert s["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE", events(cfn, name)
    e = err(cfn.continue_update_rollback, StackName=name)
    assert "can not continue update rollback" in e["Message"]


def test_cancel_update(cfn):
    body = "Resources:\n  A:\n    Type: Ferry::Test::Resource\n    Properties: {Value: '1'}\n"
    name, _ = create(cfn, body)
    e = err(cfn.cancel_update_stack, StackName=name)
    assert e["Message"] == "CancelUpdateStack cannot be called from current stack status"
    slow = body + ("  B:\n    Type: Ferry::Test::Resource\n    DependsOn: A\n    Properties: {Value: '1'}\n")
    slow = slow.replace("{Value: '1'}\n", "{Value: '2', SleepMs: 400}\n", 1)
    cfn.update_stack(StackName=name, TemplateBody=slow)
    time.sleep(0.1)
    cfn.cancel_update_stack(StackName=name)
    s = wait(cfn, name)
    assert s["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE", events(cfn, name)
    assert [r["LogicalResourceId"] for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]] == ["A"]


def test_termination_protection_and_policy(cfn):
    name, s = create(cfn, SIMPLE, EnableTerminationProtection=True)
    assert s["EnableTerminationProtection"] is True
    e = err(cfn.delete_stack, StackName=name)
    assert e["Message"] == f"Stack [{name}] cannot be deleted while TerminationProtection is enabled"
    cfn.update_termination_protection(StackName=name, EnableTerminationProtection=False)
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["EnableTerminationProtection"] is False
    assert "StackPolicyBody" not in cfn.get_stack_policy(StackName=name)
    pol = json.dumps({"Statement": [{"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}]})
    cfn.set_stack_policy(StackName=name, StackPolicyBody=pol)
    assert cfn.get_stack_policy(StackName=name)["StackPolicyBody"] == pol
    e = err(cfn.set_stack_policy, StackName=name, StackPolicyBody="{not json")
    assert e["Code"] == "ValidationError"
    cfn.delete_stack(StackName=name)
    assert err(cfn.describe_stacks, StackName=name)["Code"] == "ValidationError"


EXPORTER = """
Parameters:
  V: {Type: String, Default: v1}
  Keep: {Type: String, Default: "yes"}
Conditions:
  KeepIt: !Equals [!Ref Keep, "yes"]
Resources:
  A:
    Type: Ferry::Test::Resource
    Properties: {Value: !Ref V}
Outputs:
  Out:
    Condition: KeepIt
    Value: !GetAtt A.Value
    Export: {Name: !Sub "${AWS::StackName}-Out"}
"""
IMPORTER = """
Parameters:
  From: {Type: String}
Resources:
  B:
    Type: Ferry::Test::Resource
    Properties: {Value: !ImportValue {"Fn::Sub": "${From}-Out"}}
Outputs:
  Got: {Value: !GetAtt B.Value}
"""


def test_exports_and_imports(cfn):
    exp, s = create(cfn, EXPORTER)
    assert {"Name": f"{exp}-Out", "Value": "v1", "ExportingStackId": s["StackId"]} in cfn.list_exports()["Exports"]
    e = err(cfn.list_imports, ExportName=f"{exp}-Out")
    assert e["Message"] == f"Export '{exp}-Out' is not imported by any stack."
    imp, s2 = create(cfn, IMPORTER, Parameters=[{"ParameterKey": "From", "ParameterValue": exp}])
    assert s2["StackStatus"] == "CREATE_COMPLETE", events(cfn, imp)
    assert outputs(s2) == {"Got": "v1"}
    assert cfn.list_imports(ExportName=f"{exp}-Out")["Imports"] == [imp]
    # a second exporter of the same name fails
    dup, s3 = create(cfn, EXPORTER.replace("${AWS::StackName}-Out", exp + "-Out"))
    assert s3["StackStatus"] == "ROLLBACK_COMPLETE"
    assert f"Export with name {exp}-Out is already exported by stack {exp}" in s3.get("StackStatusReason", "") or \
        any(f"Export with name {exp}-Out is already exported by stack {exp}" in e.get("ResourceStatusReason", "")
            for e in events(cfn, dup))
    # in use: the value cannot change, the export cannot go, the stack cannot be deleted
    cfn.update_stack(StackName=exp, TemplateBody=EXPORTER, Parameters=[{"ParameterKey": "V", "ParameterValue": "v2"}])
    s = wait(cfn, exp)
    assert s["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert any(f"Cannot update export {exp}-Out as it is in use by {imp}" in e.get("ResourceStatusReason", "")
               for e in events(cfn, exp))
    cfn.update_stack(StackName=exp, TemplateBody=EXPORTER, Parameters=[{"ParameterKey": "Keep", "ParameterValue": "no"}])
    s = wait(cfn, exp)
    assert s["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert any(f"Export {exp}-Out cannot be deleted as it is in use by {imp}" in e.get("ResourceStatusReason", "")
               for e in events(cfn, exp))
    cfn.delete_stack(StackName=exp)
    s = wait(cfn, exp)
    assert s["StackStatus"] == "DELETE_FAILED"
    assert s["StackStatusReason"] == f"Export {exp}-Out cannot be deleted as it is in use by {imp}"
    # after the importer goes, so can the exporter
    cfn.delete_stack(StackName=imp)
    wait(cfn, s2["StackId"])
    cfn.delete_stack(StackName=exp)
    wait(cfn, s["StackId"])
    assert f"{exp}-Out" not in [x["Name"] for x in cfn.list_exports()["Exports"]]
    # a missing export fails the create
    name, s = create(cfn, IMPORTER, Parameters=[{"ParameterKey": "From", "ParameterValue": "nobody"}])
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    assert any("No export named nobody-Out found." in e.get("ResourceStatusReason", "") for e in events(cfn, name))


def test_exports_are_per_account_and_region(fx, cfn):
    exp, s = create(cfn, EXPORTER)
    other = fx.client("cloudformation", "dev", region="eu-west-1")
    assert f"{exp}-Out" not in [x["Name"] for x in other.list_exports()["Exports"]]
    qa = fx.client("cloudformation", "qa", region="us-east-1")
    assert f"{exp}-Out" not in [x["Name"] for x in qa.list_exports()["Exports"]]
    assert err(qa.describe_stacks, StackName=exp)["Message"] == f"Stack with id {exp} does not exist"


CS1 = """
Parameters:
  V: {Type: String, Default: one}
Resources:
  Keep:
    Type: Ferry::Test::Resource
    Properties: {Value: same}
  InPlace:
    Type: Ferry::Test::Resource
    Properties: {Value: !Ref V}
  Replaced:
    Type: Ferry::Test::Resource
    Properties: {Value: x, Replace: !Ref V}
  Gone:
    Type: AWS::CloudFormation::WaitConditionHandle
"""
CS2 = CS1.replace("  Gone:\n    Type: AWS::CloudFormation::WaitConditionHandle\n",
                  "  New:\n    Type: AWS::CloudFormation::WaitConditionHandle\n")


def test_change_sets(cfn):
    name = uniq()
    r = cfn.create_change_set(StackName=name, ChangeSetName="first", ChangeSetType="CREATE", TemplateBody=CS1)
    assert r["Id"].startswith("arn:aws:cloudformation:us-east-1:") and ":changeSet/first/" in r["Id"]
    s = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert s["StackStatus"] == "REVIEW_IN_PROGRESS"
    cs = cfn.describe_change_set(ChangeSetName="first", StackName=name)
    assert cs["Status"] == "CREATE_COMPLETE" and cs["ExecutionStatus"] == "AVAILABLE"
    assert sorted((c["ResourceChange"]["LogicalResourceId"], c["ResourceChange"]["Action"]) for c in cs["Changes"]) == \
        [("Gone", "Add"), ("InPlace", "Add"), ("Keep", "Add"), ("Replaced", "Add")]
    assert cfn.describe_change_set(ChangeSetName=r["Id"])["ChangeSetName"] == "first"
    e = err(cfn.create_change_set, StackName=name, ChangeSetName="first", ChangeSetType="CREATE", TemplateBody=CS1)
    assert e["Code"] == "AlreadyExistsException"
    cfn.execute_change_set(ChangeSetName="first", StackName=name)
    s = wait(cfn, name)
    assert s["StackStatus"] == "CREATE_COMPLETE" and s["ChangeSetId"] == r["Id"]
    assert cfn.describe_change_set(ChangeSetName=r["Id"])["ExecutionStatus"] == "EXECUTE_COMPLETE"
    e = err(cfn.execute_change_set, ChangeSetName=r["Id"])
    assert e["Code"] == "InvalidChangeSetStatus"
    # an update with every kind of change
    r2 = cfn.create_change_set(StackName=name, ChangeSetName="second", TemplateBody=CS2,
                               Parameters=[{"ParameterKey": "V", "ParameterValue": "two"}], Description="d")
    cs = cfn.describe_change_set(ChangeSetName="second", StackName=name)
    assert cs["Description"] == "d" and cs["Parameters"] == [{"ParameterKey": "V", "ParameterValue": "two"}]
    ch = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in cs["Changes"]}
    assert set(ch) == {"InPlace", "Replaced", "Gone", "New"}
    assert ch["InPlace"]["Action"] == "Modify" and ch["InPlace"]["Replacement"] == "False"
    assert ch["InPlace"]["Scope"] == ["Properties"]
    d = ch["InPlace"]["Details"][0]
    assert d["Target"] == {"Attribute": "Properties", "Name": "Value", "RequiresRecreation": "Never"}
    assert d["Evaluation"] == "Static" and d["ChangeSource"] == "ParameterReference"
    assert ch["Replaced"]["Replacement"] == "True"
    assert ch["Replaced"]["Details"][0]["Target"]["RequiresRecreation"] == "Always"
    assert ch["Gone"]["Action"] == "Remove" and ch["New"]["Action"] == "Add"
    assert ch["InPlace"]["PhysicalResourceId"]
    sums = cfn.list_change_sets(StackName=name)["Summaries"]
    assert [x["ChangeSetName"] for x in sums if x["ChangeSetName"] == "second"] == ["second"]
    # an empty change set fails with AWS's words
    cfn.create_change_set(StackName=name, ChangeSetName="empty", TemplateBody=CS1)
    cs = cfn.describe_change_set(ChangeSetName="empty", StackName=name)
    assert cs["Status"] == "FAILED" and cs["ExecutionStatus"] == "UNAVAILABLE"
    assert cs["StatusReason"] == ("The submitted information didn't contain changes. "
                                  "Submit different information to create a change set.")
    e = err(cfn.execute_change_set, ChangeSetName="empty", StackName=name)
    assert e["Code"] == "InvalidChangeSetStatus"
    cfn.delete_change_set(ChangeSetName="empty", StackName=name)
    e = err(cfn.describe_change_set, ChangeSetName="empty", StackName=name)
    assert e["Code"] == "ChangeSetNotFound" and e["Message"] == "ChangeSet [empty] does not exist"
    assert e and err(cfn.delete_change_set, ChangeSetName="empty", StackName=name)["Code"] == "ChangeSetNotFound"
    e = err(cfn.create_change_set, StackName="ghost", ChangeSetName="x", TemplateBody=CS1)
    assert e["Message"] == "Stack [ghost] does not exist"
    e = err(cfn.create_change_set, StackName=name, ChangeSetName="x", ChangeSetType="CREATE", TemplateBody=CS1)
    assert e["Message"] == f"Stack [{name}] already exists and cannot be created again with the changeSet [x]."
    assert cfn.get_template(StackName=name, ChangeSetName="second")["TemplateBody"] == CS2
    cfn.execute_change_set(ChangeSetName="second", StackName=name)
    s = wait(cfn, name)
    assert s["StackStatus"] == "UPDATE_COMPLETE", events(cfn, name)
    assert {r["LogicalResourceId"] for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]} == \
        {"Keep", "InPlace", "Replaced", "New"}
    assert err(cfn.describe_change_set, ChangeSetName="first", StackName=name)["Code"] == "ChangeSetNotFound"


def test_wait_condition_and_signal(cfn):
    body = """
Resources:
  H: {Type: AWS::CloudFormation::WaitConditionHandle}
  W:
    Type: AWS::CloudFormation::WaitCondition
    Properties: {Handle: !Ref H, Timeout: "30", Count: "2"}
  After:
    Type: Ferry::Test::Resource
    Properties: {Value: !GetAtt W.Data}
Outputs:
  Data: {Value: !GetAtt W.Data}
"""
    name = uniq()
    cfn.create_stack(StackName=name, TemplateBody=body)
    deadline = time.time() + 5
    while True:
        res = {r["LogicalResourceId"]: r["ResourceStatus"]
               for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]}
        if res.get("W") == "CREATE_IN_PROGRESS":
            break
        assert time.time() < deadline
        time.sleep(0.02)
    e = err(cfn.signal_resource, StackName=name, LogicalResourceId="H", UniqueId="x", Status="SUCCESS")
    assert "can not be signaled" in e["Message"]
    cfn.signal_resource(StackName=name, LogicalResourceId="W", UniqueId="i-1", Status="SUCCESS")
    cfn.signal_resource(StackName=name, LogicalResourceId="W", UniqueId="i-2", Status="SUCCESS")
    s = wait(cfn, name)
    assert s["StackStatus"] == "CREATE_COMPLETE", events(cfn, name)
    assert json.loads(outputs(s)["Data"]) == {"i-1": None, "i-2": None}
    # a failure signal and a timeout fail the stack
    name = uniq()
    cfn.create_stack(StackName=name, TemplateBody=body)
    while {r["LogicalResourceId"]: r["ResourceStatus"] for r in
           cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]}.get("W") != "CREATE_IN_PROGRESS":
        time.sleep(0.02)
    cfn.signal_resource(StackName=name, LogicalResourceId="W", UniqueId="i-9", Status="FAILURE")
    s = wait(cfn, name)
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    assert any("WaitCondition received failed message" in e.get("ResourceStatusReason", "") for e in events(cfn, name))
    name, s = create(cfn, body.replace('Timeout: "30"', 'Timeout: "1"'))
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    assert any("WaitCondition timed out. Received 0 conditions when expecting 2" == e.get("ResourceStatusReason")
               for e in events(cfn, name))


class _Templates(http.server.BaseHTTPRequestHandler):
    bodies = {}

    def do_GET(self):
        b = self.bodies.get(self.path)
        self.send_response(200 if b else 404)
        self.end_headers()
        if b:
            self.wfile.write(b.encode())

    def log_message(self, *a):
        pass


@pytest.fixture(scope="module")
def templates():
    srv = http.server.HTTPServer(("127.0.0.1", 0), _Templates)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_port}", _Templates.bodies
    srv.shutdown()


CHILD = """
Parameters:
  In: {Type: String}
Resources:
  R:
    Type: Ferry::Test::Resource
    Properties: {Value: !Sub "child-${In}"}
Outputs:
  Out: {Value: !GetAtt R.Value}
"""


def test_nested_stacks_and_template_url(cfn, templates):
    base, bodies = templates
    bodies["/child.yaml"] = CHILD
    bodies["/bad.yaml"] = CHILD.replace("{Value: !Sub \"child-${In}\"}", "{Value: x, FailCreate: inner}")
    parent = f"""
Parameters:
  P: {{Type: String, Default: a}}
Resources:
  Child:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: {base}/child.yaml
      Parameters: {{In: !Ref P}}
Outputs:
  FromChild: {{Value: !GetAtt Child.Outputs.Out}}
  ChildId: {{Value: !Ref Child}}
"""
    bodies["/parent.yaml"] = parent
    name = uniq()
    cfn.create_stack(StackName=name, TemplateURL=f"{base}/parent.yaml")
    s = wait(cfn, name)
    assert s["StackStatus"] == "CREATE_COMPLETE", events(cfn, name)
    o = outputs(s)
    assert o["FromChild"] == "child-a"
    child = cfn.describe_stacks(StackName=o["ChildId"])["Stacks"][0]
    assert child["ParentId"] == s["StackId"] and child["RootId"] == s["StackId"]
    assert child["StackName"].startswith(f"{name}-Child-")
    cfn.update_stack(StackName=name, UsePreviousTemplate=True, Parameters=[{"ParameterKey": "P", "ParameterValue": "b"}])
    s = wait(cfn, name)
    assert s["StackStatus"] == "UPDATE_COMPLETE", events(cfn, name)
    assert outputs(s)["FromChild"] == "child-b"
    e = err(cfn.update_termination_protection, StackName=o["ChildId"], EnableTerminationProtection=True)
    assert "nested stacks" in e["Message"]
    cfn.delete_stack(StackName=name)
    s = cfn.describe_stacks(StackName=s["StackId"])["Stacks"][0]
    assert s["StackStatus"] == "DELETE_COMPLETE"
    assert cfn.describe_stacks(StackName=o["ChildId"])["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    # a failing child fails its parent with the child's reason
    name, s = create(cfn, parent.replace("child.yaml", "bad.yaml"))
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    assert any("was not successfully created" in e.get("ResourceStatusReason", "") for e in events(cfn, name))
    e = err(cfn.create_stack, StackName=uniq(), TemplateURL=f"{base}/missing.yaml")
    assert e["Code"] == "ValidationError"
    e = err(cfn.create_stack, StackName=uniq(), TemplateURL="file:///etc/passwd")
    assert e["Code"] == "ValidationError"


class _Slow(http.server.BaseHTTPRequestHandler):
    """Answers every GET after DELAY seconds; counts the requests begun and answered."""
    DELAY = 4.0
    lock = threading.Lock()
    begun = 0
    answered = 0

    def do_GET(self):
        with _Slow.lock:
            _Slow.begun += 1
        time.sleep(self.DELAY)
        body = b"Resources:\n  R:\n    Type: Ferry::Test::Resource\n    Properties: {Value: slow}\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        with _Slow.lock:
            _Slow.answered += 1

    def log_message(self, *a):
        pass


def test_slow_template_url_blocks_no_writer(fx):
    """No network I/O under the store's write lock: while three CreateStack calls wait on a
    TemplateURL that answers after 4 s, another account's SendMessage completes well before
    any of those fetches answers (on a server fetching inside the transaction it waits for
    the first to finish). A fetch still holds its worker thread: the server gets enough that
    one is idle to accept SendMessage's new connection."""
    if not _sqs_ready(fx):
        pytest.skip("SQS is not implemented in this build")
    f = start_with_test_types(Ferry(extra=("--threads", "8")))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        f.init()
        url = f.client("sqs", "qa", region="us-east-1").create_queue(QueueName=uniq("nolock"))["QueueUrl"]
        _Slow.begun = _Slow.answered = 0
        names = [uniq("slowurl") for _ in range(3)]
        done = {}

        def create_one(n):
            c = f.client("cloudformation", "dev", region="us-east-1")
            done[n] = c.create_stack(StackName=n, TemplateURL=f"http://127.0.0.1:{srv.server_port}/t.yaml")

        threads = [threading.Thread(target=create_one, args=(n,)) for n in names]
        for t in threads:
            t.start()
        sqs = f.client("sqs", "qa", region="us-east-1")
        deadline = time.time() + 10
        # every fetch in flight: a worker that took a CreateStack but had not begun its fetch
        # could still accept SendMessage's connection, then block (the HTTP server's doing,
        # not the store's)
        while _Slow.begun < 3:
            assert time.time() < deadline
            time.sleep(0.01)
        t0 = time.time()
        sqs.send_message(QueueUrl=url, MessageBody="while fetching")
        took = time.time() - t0
        assert took < _Slow.DELAY / 2, f"SendMessage waited {took:.1f} s for a TemplateURL fetch"
        for t in threads:
            t.join(30)
        assert sorted(done) == sorted(names)
        cfn = f.client("cloudformation", "dev", region="us-east-1")
        for n in names:
            assert wait(cfn, n)["StackStatus"] == "CREATE_COMPLETE", events(cfn, n)
    finally:
        srv.shutdown()
        srv.server_close()
        f.close()


def test_describe_waits_through_unrelated_wakes(fx, cfn):
    """DescribeStacks of a busy stack parks until the stack settles, even while other keys are
    being notified (SQS sends here): an unrelated wake racing the park must not answer early."""
    sqs = fx.client("sqs", "dev", region="us-east-1")
    url = sqs.create_queue(QueueName=uniq("wake"))["QueueUrl"]
    stop = threading.Event()

    def hammer():
        c = fx.client("sqs", "dev", region="us-east-1")
        while not stop.is_set():
            c.send_message(QueueUrl=url, MessageBody="x")

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        names = [uniq() for _ in range(15)]
        for i, name in enumerate(names):  # staggered, so that every describe parks
            ms = 150 * (i + 1)
            cfn.create_stack(StackName=name, TemplateBody=f"Resources:\n  W: {{Type: {T}, Properties: {{SleepMs: {ms}}}}}\n")
        for name in names:
            assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    finally:
        stop.set()
        for t in threads:
            t.join()


def test_pagination_and_events_order(cfn):
    name, _ = create(cfn, SIMPLE)
    ev = cfn.describe_stack_events(StackName=name)["StackEvents"]
    assert ev[0]["ResourceStatus"] == "CREATE_COMPLETE" and ev[0]["LogicalResourceId"] == name
    assert ev[-1]["ResourceStatus"] == "CREATE_IN_PROGRESS" and ev[-1]["ResourceStatusReason"] == "User Initiated"
    assert all(e["StackName"] == name and e["EventId"] for e in ev)
    p = cfn.get_paginator("list_stacks")
    seen = [x["StackName"] for page in p.paginate() for x in page["StackSummaries"]]
    assert name in seen


def test_authorization_cross_account_denied(fx, cfn):
    name, s = create(cfn, SIMPLE)
    qa = fx.client("cloudformation", "qa", region="us-east-1")
    # another account cannot see or touch the stack by id
    assert err(qa.describe_stacks, StackName=s["StackId"])["Code"] in ("ValidationError", "AccessDenied")
    assert err(qa.update_termination_protection, StackName=s["StackId"],
               EnableTerminationProtection=True)["Code"] in ("ValidationError", "AccessDenied")


def _iam_ready(fx):
    try:
        fx.client("iam", "dev").list_roles()
        return True
    except Exception:
        return False


def test_role_arn(fx, cfn):
    if not _iam_ready(fx):
        pytest.skip("IAM is not implemented in this build")
    iam = fx.client("iam", "dev")
    acct = fx.aws("sts", "get-caller-identity", profile="dev").json["Account"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName=uniq("cfnrole"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    name, s = create(cfn, SIMPLE, RoleARN=role["Arn"])
    assert s["StackStatus"] == "CREATE_COMPLETE" and s["RoleARN"] == role["Arn"]
    bad = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": acct}, "Action": "sts:AssumeRole"}]}
    role2 = iam.create_role(RoleName=uniq("notcfn"), AssumeRolePolicyDocument=json.dumps(bad))["Role"]
    e = err(cfn.create_stack, StackName=uniq(), TemplateBody=SIMPLE, RoleARN=role2["Arn"])
    assert e["Message"] == f"Role {role2['Arn']} is invalid or cannot be assumed"
    e = err(cfn.create_stack, StackName=uniq(), TemplateBody=SIMPLE, RoleARN=f"arn:aws:iam::{acct}:role/none")
    assert e["Message"] == f"Role arn:aws:iam::{acct}:role/none is invalid or cannot be assumed"


def test_kill9_mid_deploy_rolls_back(fx, cfn):
    body = """
Resources:
  A:
    Type: Ferry::Test::Resource
    Properties: {Value: a}
  W:
    Type: AWS::CloudFormation::WaitCondition
    DependsOn: A
    Properties: {Timeout: "60"}
"""
    name = uniq()
    sid = cfn.create_stack(StackName=name, TemplateBody=body)["StackId"]
    deadline = time.time() + 5
    while {r["LogicalResourceId"]: r["ResourceStatus"] for r in
           cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]}.get("W") != "CREATE_IN_PROGRESS":
        assert time.time() < deadline
        time.sleep(0.02)
    restart(fx, signal.SIGKILL)
    c2 = fx.client("cloudformation", "dev", region="us-east-1")
    s = wait(c2, sid)
    assert s["StackStatus"] == "ROLLBACK_COMPLETE", events(c2, sid)
    res = {r["LogicalResourceId"]: r["ResourceStatus"] for r in c2.describe_stack_resources(StackName=sid)["StackResources"]}
    assert res["A"] == "DELETE_COMPLETE"
    assert any(e.get("ResourceStatusReason", "").startswith("Resource handler was interrupted by a server restart")
               for e in events(c2, sid))


def test_graceful_restart_resumes(fx):
    cfn = fx.client("cloudformation", "dev", region="us-east-1")
    body = "Resources:\n" + "".join(
        f"  R{i}:\n    Type: Ferry::Test::Resource\n    {'DependsOn: R%d' % (i - 1) if i else ''}\n"
        f"    Properties: {{Value: v, SleepMs: 150}}\n" for i in range(6))
    name = uniq()
    sid = cfn.create_stack(StackName=name, TemplateBody=body)["StackId"]
    time.sleep(0.3)
    restart(fx, signal.SIGTERM)
    cfn = fx.client("cloudformation", "dev", region="us-east-1")
    s = wait(cfn, sid)
    assert s["StackStatus"] == "CREATE_COMPLETE", events(cfn, sid)
    assert len(cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]) == 6


SS_TPL = """
Parameters:
  V: {Type: String, Default: one}
Resources:
  R:
    Type: Ferry::Test::Resource
    Properties: {Value: !Sub "${V}-${AWS::AccountId}-${AWS::Region}"}
Outputs:
  V: {Value: !GetAtt R.Value}
"""


def _op_done(cfn, name, opid, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        op = cfn.describe_stack_set_operation(StackSetName=name, OperationId=opid)["StackSetOperation"]
        if op["Status"] not in ("RUNNING", "QUEUED"):
            return op
        time.sleep(0.05)
    raise AssertionError(f"operation {opid} still running")


def test_stack_sets(fx):
    if not _iam_ready(fx):
        pytest.skip("IAM is not implemented in this build")
    stackset_roles(fx, "management", ["dev", "qa"])
    acct = {p: fx.aws("sts", "get-caller-identity", profile=p).json["Account"] for p in ("dev", "qa", "prod")}
    cfn = fx.client("cloudformation", "management", region="us-east-1")
    sid = cfn.create_stack_set(StackSetName="base", TemplateBody=SS_TPL, Description="baseline")["StackSetId"]
    assert sid.startswith("base:")
    e = err(cfn.create_stack_set, StackSetName="base", TemplateBody=SS_TPL)
    assert e["Code"] == "NameAlreadyExistsException"
    d = cfn.describe_stack_set(StackSetName="base")["StackSet"]
    assert d["Status"] == "ACTIVE" and d["Description"] == "baseline" and d["PermissionModel"] == "SELF_MANAGED"
    assert d["AdministrationRoleARN"].endswith(":role/AWSCloudFormationStackSetAdministrationRole")
    assert "base" in [s["StackSetName"] for s in cfn.list_stack_sets()["Summaries"]]
    regions = ["us-east-1", "eu-west-1"]
    opid = cfn.create_stack_instances(StackSetName="base", Accounts=[acct["dev"], acct["qa"]], Regions=regions,
                                      OperationPreferences={"MaxConcurrentCount": 2})["OperationId"]
    op = _op_done(cfn, "base", opid)
    res = cfn.list_stack_set_operation_results(StackSetName="base", OperationId=opid)["Summaries"]
    assert op["Status"] == "SUCCEEDED", res
    assert op["Action"] == "CREATE" and len(res) == 4 and all(r["Status"] == "SUCCEEDED" for r in res)
    inst = cfn.list_stack_instances(StackSetName="base")["Summaries"]
    assert sorted((i["Account"], i["Region"], i["Status"]) for i in inst) == sorted(
        (acct[p], r, "CURRENT") for p in ("dev", "qa") for r in regions)
    one = cfn.describe_stack_instance(StackSetName="base", StackInstanceAccount=acct["qa"],
                                      StackInstanceRegion="eu-west-1")["StackInstance"]
    qa_cfn = fx.client("cloudformation", "qa", region="eu-west-1")
    s = qa_cfn.describe_stacks(StackName=one["StackId"])["Stacks"][0]
    assert s["StackName"].startswith("StackSet-base-") and s["StackStatus"] == "CREATE_COMPLETE"
    assert outputs(s)["V"] == f"one-{acct['qa']}-eu-west-1"
    e = err(cfn.describe_stack_instance, StackSetName="base", StackInstanceAccount=acct["prod"],
            StackInstanceRegion="us-east-1")
    assert e["Code"] == "StackInstanceNotFoundException"
    # an account without the execution role fails, beyond the tolerance
    opid2 = cfn.create_stack_instances(StackSetName="base", Accounts=[acct["prod"]], Regions=["us-east-1"])["OperationId"]
    op = _op_done(cfn, "base", opid2)
    assert op["Status"] == "FAILED"
    r = cfn.list_stack_set_operation_results(StackSetName="base", OperationId=opid2)["Summaries"][0]
    assert r["Status"] == "FAILED"
    assert r["StatusReason"] == (f"Account {acct['prod']} should have 'AWSCloudFormationStackSetExecutionRole' role "
                                 "with trust relationship to Role 'AWSCloudFormationStackSetAdministrationRole'.")
    # update every instance
    opid3 = cfn.update_stack_set(StackSetName="base", UsePreviousTemplate=True,
                                 Parameters=[{"ParameterKey": "V", "ParameterValue": "two"}],
                                 Accounts=[acct["dev"], acct["qa"]], Regions=regions,
                                 OperationPreferences={"MaxConcurrentCount": 4, "FailureToleranceCount": 1})["OperationId"]
    assert _op_done(cfn, "base", opid3)["Status"] == "SUCCEEDED"
    s = qa_cfn.describe_stacks(StackName=one["StackId"])["Stacks"][0]
    assert outputs(s)["V"] == f"two-{acct['qa']}-eu-west-1"
    ops = cfn.list_stack_set_operations(StackSetName="base")["Summaries"]
    assert [o["OperationId"] for o in ops][:1] == [opid3] and len(ops) == 3
    e = err(cfn.delete_stack_set, StackSetName="base")
    assert e["Code"] == "StackSetNotEmptyException"
    opid4 = cfn.delete_stack_instances(StackSetName="base", Accounts=[acct["dev"], acct["qa"], acct["prod"]],
                                       Regions=["us-east-1", "eu-west-1"], RetainStacks=False,
                                       OperationPreferences={"MaxConcurrentCount": 6})["OperationId"]
    op = _op_done(cfn, "base", opid4)
    assert cfn.list_stack_instances(StackSetName="base")["Summaries"] == [], op
    assert qa_cfn.describe_stacks(StackName=one["StackId"])["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    cfn.delete_stack_set(StackSetName="base")
    e = err(cfn.describe_stack_set, StackSetName="base")
    assert e["Code"] == "StackSetNotFoundException" and e["Message"] == "StackSet base not found"
    e = err(cfn.describe_stack_set_operation, StackSetName="nope", OperationId="x")
    assert e["Code"] == "StackSetNotFoundException"


def _sqs_ready(fx):
    try:
        fx.client("sqs", "dev", region="us-east-1").list_queues()
        return True
    except Exception:
        return False


QUEUE = """
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties: {VisibilityTimeout: 45}
Outputs:
  Url: {Value: !Ref Q}
  Arn: {Value: !GetAtt Q.Arn}
"""


def test_role_arn_acts_as_the_role(fx, cfn):
    """The stack's provider calls are made by a session of RoleARN: without sqs permissions
    the queue cannot be made; with them it can."""
    if not (_iam_ready(fx) and _sqs_ready(fx)):
        pytest.skip("IAM or SQS is not implemented in this build")
    iam = fx.client("iam", "dev")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "cloudformation.amazonaws.com"}}]}
    rname = uniq("deployer")
    role = iam.create_role(RoleName=rname, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    name, s = create(cfn, QUEUE, RoleARN=role["Arn"])
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    why = [e.get("ResourceStatusReason", "") for e in events(cfn, name) if e["ResourceStatus"] == "CREATE_FAILED"][0]
    assert f"assumed-role/{rname}/AWSCloudFormation" in why and "sqs:CreateQueue" in why, why
    iam.put_role_policy(RoleName=rname, PolicyName="sqs", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}))
    name, s = create(cfn, QUEUE, RoleARN=role["Arn"])
    assert s["StackStatus"] == "CREATE_COMPLETE", events(cfn, name)
    url = outputs(s)["Url"]
    sqs = fx.client("sqs", "dev", region="us-east-1")
    assert url in sqs.list_queues().get("QueueUrls", [])
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "45"
    # an in-place update goes through the role too, and so does the delete
    cfn.update_stack(StackName=name, TemplateBody=QUEUE.replace("45", "50"), RoleARN=role["Arn"])
    assert wait(cfn, name)["StackStatus"] == "UPDATE_COMPLETE"
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]["VisibilityTimeout"] == "50"
    cfn.delete_stack(StackName=name)
    wait(cfn, s["StackId"])
    assert url not in sqs.list_queues().get("QueueUrls", [])


def test_kill9_with_real_resources_leaves_none(fx):
    if not _sqs_ready(fx):
        pytest.skip("SQS is not implemented in this build")
    cfn = fx.client("cloudformation", "dev", region="us-east-1")
    body = """
Resources:
  Q:
    Type: AWS::SQS::Queue
  W:
    Type: AWS::CloudFormation::WaitCondition
    DependsOn: Q
    Properties: {Timeout: "60"}
"""
    name = uniq()
    sid = cfn.create_stack(StackName=name, TemplateBody=body)["StackId"]
    deadline = time.time() + 5
    while {r["LogicalResourceId"]: r["ResourceStatus"] for r in
           cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]}.get("W") != "CREATE_IN_PROGRESS":
        assert time.time() < deadline
        time.sleep(0.02)
    q = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Q")["StackResourceDetail"]["PhysicalResourceId"]
    sqs = fx.client("sqs", "dev", region="us-east-1")
    assert q in sqs.list_queues().get("QueueUrls", [])
    restart(fx, signal.SIGKILL)
    cfn = fx.client("cloudformation", "dev", region="us-east-1")
    assert wait(cfn, sid)["StackStatus"] == "ROLLBACK_COMPLETE"
    sqs = fx.client("sqs", "dev", region="us-east-1")
    assert q not in sqs.list_queues().get("QueueUrls", [])


def _settled_without_orphans(f, sid, prefix):
    """After a restart: the stack ends in a final state, and the queues named after it are
    exactly the live resources it lists (none after a rollback)."""
    cfn = f.client("cloudformation", "dev", region="us-east-1")
    s = wait(cfn, sid, timeout=60)
    assert s["StackStatus"] in ("CREATE_COMPLETE", "ROLLBACK_COMPLETE"), events(cfn, sid)
    sqs = f.client("sqs", "dev", region="us-east-1")
    urls = set()
    for page in sqs.get_paginator("list_queues").paginate(QueueNamePrefix=prefix, MaxResults=1000):
        urls |= set(page.get("QueueUrls", []))
    res = cfn.describe_stack_resources(StackName=sid)["StackResources"]
    live = {r["PhysicalResourceId"] for r in res if r["ResourceStatus"] not in ("DELETE_COMPLETE", "DELETE_SKIPPED")}
    if s["StackStatus"] == "ROLLBACK_COMPLETE":
        assert not urls, f"{len(urls)} queues left behind by the rolled back stack: {sorted(urls)[:3]}"
        assert not live, live
    else:
        assert len(res) == 50 and urls == live
    return s["StackStatus"]


QUEUES50 = "Resources:\n" + "".join(f"  Q{i}:\n    Type: AWS::SQS::Queue\n" for i in range(50))


def test_kill9_mid_create_leaves_no_orphans():
    """kill -9 while a 50-queue stack is being created: after the restart the stack ends in a
    final state with no queue left that it does not list. First at times (0-300 ms), then
    deterministically right after the Nth queue is made and before the stack records it
    (FERRY_CFN_KILL_AFTER_CREATES), the window that used to leave orphans."""
    f = start_with_test_types(Ferry())
    try:
        f.init()
        if not _sqs_ready(f):
            pytest.skip("SQS is not implemented in this build")
        trials = [("delay", d) for d in (0.0, 0.1, 0.3)] + [("after", n) for n in (1, 9, 30, 50)]
        for kind, v in trials:
            name = uniq("orph")
            if kind == "after":
                f.stop()
                start_with_test_types(f, FERRY_CFN_KILL_AFTER_CREATES=str(v))
            cfn = f.client("cloudformation", "dev", region="us-east-1")
            try:
                sid = cfn.create_stack(StackName=name, TemplateBody=QUEUES50)["StackId"]
            except (botocore.exceptions.EndpointConnectionError,
                    botocore.exceptions.ConnectionClosedError):
                # the engine starts once the stack commits, and may reach its Nth create
                # (and the kill) before the reply is sent: the stack is there, unanswered
                if kind != "after":
                    raise
                sid = None
            if kind == "delay":
                time.sleep(v)
                f.stop(signal.SIGKILL)
            else:
                f.proc.wait(60)  # the server kills itself after the Nth create
                assert f.proc.returncode == -signal.SIGKILL, f.proc.returncode
            start_with_test_types(f)
            if sid is None:
                cfn = f.client("cloudformation", "dev", region="us-east-1")
                sid = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackId"]
            st = _settled_without_orphans(f, sid, name)
            if kind == "after":
                assert st == "ROLLBACK_COMPLETE"
    finally:
        f.close()


def test_kill9_mid_nested_create_leaves_no_orphans(templates):
    """kill -9 while a nested stack makes its first queue: after the restart the child rolls
    back (its queue deleted), and the parent's rollback deletes the child it had not yet
    recorded, by the name it announced."""
    base, bodies = templates
    bodies["/kids.yaml"] = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n"
    f = start_with_test_types(Ferry(), FERRY_CFN_KILL_AFTER_CREATES="1")
    try:
        f.init()
        if not _sqs_ready(f):
            pytest.skip("SQS is not implemented in this build")
        name = uniq("nest")
        body = f"Resources:\n  Kid:\n    Type: AWS::CloudFormation::Stack\n    Properties: {{TemplateURL: {base}/kids.yaml}}\n"
        sid = f.client("cloudformation", "dev", region="us-east-1").create_stack(StackName=name, TemplateBody=body)["StackId"]
        f.proc.wait(60)
        assert f.proc.returncode == -signal.SIGKILL, f.proc.returncode
        start_with_test_types(f)
        cfn = f.client("cloudformation", "dev", region="us-east-1")
        st = wait(cfn, sid, timeout=60)["StackStatus"]
        assert st == "ROLLBACK_COMPLETE", [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason")) for e in events(cfn, sid)]
        kids = [s for s in cfn.list_stacks()["StackSummaries"] if s["StackName"].startswith(f"{name}-Kid-")]
        assert kids and all(k["StackStatus"] == "DELETE_COMPLETE" for k in kids), kids
        left = f.client("sqs", "dev", region="us-east-1").list_queues(QueueNamePrefix=name).get("QueueUrls", [])
        assert not left, left
    finally:
        f.close()


def test_kill9_mid_replacement_keeps_the_old_resource():
    """kill -9 right after an update made a replacement queue, before the stack recorded it:
    the update rolls back to the old queue, which is kept, and the replacement is deleted."""
    f = start_with_test_types(Ferry())
    try:
        f.init()
        if not _sqs_ready(f):
            pytest.skip("SQS is not implemented in this build")
        name = uniq("repl")
        body = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: {FifoQueue: %s}\n"
        cfn = f.client("cloudformation", "dev", region="us-east-1")
        cfn.create_stack(StackName=name, TemplateBody=body % "false")
        s = wait(cfn, name)
        assert s["StackStatus"] == "CREATE_COMPLETE"
        old = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Q")["StackResourceDetail"]["PhysicalResourceId"]
        f.stop()
        start_with_test_types(f, FERRY_CFN_KILL_AFTER_CREATES="1")
        f.client("cloudformation", "dev", region="us-east-1").update_stack(StackName=name, TemplateBody=body % "true")
        f.proc.wait(60)
        assert f.proc.returncode == -signal.SIGKILL, f.proc.returncode
        start_with_test_types(f)
        cfn = f.client("cloudformation", "dev", region="us-east-1")
        st = wait(cfn, s["StackId"], timeout=60)["StackStatus"]
        assert st == "UPDATE_ROLLBACK_COMPLETE", [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason")) for e in events(cfn, name)]
        r = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Q")["StackResourceDetail"]
        assert r["PhysicalResourceId"] == old
        urls = f.client("sqs", "dev", region="us-east-1").list_queues(QueueNamePrefix=name).get("QueueUrls", [])
        assert urls == [old], urls
    finally:
        f.close()


def test_kill9_mid_subscribe_leaves_no_subscription():
    """SNS picks a subscription's ARN, so its create announces the topic, protocol and
    endpoint: killed right after Subscribe, the rollback finds and removes the subscription
    on a topic the stack does not own."""
    f = start_with_test_types(Ferry(), FERRY_CFN_KILL_AFTER_CREATES="1")
    try:
        f.init()
        if not _sqs_ready(f):
            pytest.skip("SQS is not implemented in this build")
        sns = f.client("sns", "dev", region="us-east-1")
        topic = sns.create_topic(Name=uniq("subt"))["TopicArn"]
        sqs = f.client("sqs", "dev", region="us-east-1")
        q = sqs.create_queue(QueueName=uniq("subq"))["QueueUrl"]
        qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        body = (f"Resources:\n  S:\n    Type: AWS::SNS::Subscription\n"
                f"    Properties: {{TopicArn: {topic}, Protocol: sqs, Endpoint: {qarn}}}\n")
        name = uniq("sub")
        sid = name
        try:
            sid = f.client("cloudformation", "dev", region="us-east-1").create_stack(
                StackName=name, TemplateBody=body)["StackId"]
        except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionClosedError):
            pass  # committed, then killed after the one create before the reply went out
        f.proc.wait(60)
        assert f.proc.returncode == -signal.SIGKILL, f.proc.returncode
        start_with_test_types(f)
        cfn = f.client("cloudformation", "dev", region="us-east-1")
        assert wait(cfn, sid, timeout=60)["StackStatus"] == "ROLLBACK_COMPLETE", events(cfn, sid)
        subs = f.client("sns", "dev", region="us-east-1").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        assert subs == [], subs
    finally:
        f.close()


def test_notifications_to_sns(fx, cfn):
    try:
        sns = fx.client("sns", "dev", region="us-east-1")
        sns.list_topics()
    except Exception:
        pytest.skip("SNS is not implemented in this build")
    if not _sqs_ready(fx):
        pytest.skip("SQS is not implemented in this build")
    sqs = fx.client("sqs", "dev", region="us-east-1")
    topic = sns.create_topic(Name=uniq("events"))["TopicArn"]
    qurl = sqs.create_queue(QueueName=uniq("events-q"))["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=qurl, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=qurl, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
         "Resource": qarn}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    name, s = create(cfn, SIMPLE, NotificationARNs=[topic])
    assert s["NotificationARNs"] == [topic]
    got = []
    deadline = time.time() + 10
    while time.time() < deadline and not any("ResourceStatus='CREATE_COMPLETE'" in m and f"LogicalResourceId='{name}'" in m
                                              for m in got):
        for m in sqs.receive_message(QueueUrl=qurl, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            body = json.loads(m["Body"])
            got.append(body.get("Message", ""))
    assert any(f"StackName='{name}'" in m and "ResourceStatus='CREATE_COMPLETE'" in m for m in got), got


def test_cross_account_deploy_with_assumed_role(fx):
    """The seeds' pattern: the tools account assumes a deployer role in dev, and deploys there
    with RoleARN naming dev's CloudFormation execution role. PassRole is checked for the
    caller (the deployer session), the execution role makes the resources."""
    if not (_iam_ready(fx) and _sqs_ready(fx)):
        pytest.skip("IAM or SQS is not implemented in this build")
    tools = fx.aws("sts", "get-caller-identity", profile="tools").json["Account"]
    dev = fx.aws("sts", "get-caller-identity", profile="dev").json["Account"]
    iam = fx.client("iam", "dev")
    trust_tools = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                           "Principal": {"AWS": f"arn:aws:iam::{tools}:root"}}]}
    iam.create_role(RoleName="XDeployer", AssumeRolePolicyDocument=json.dumps(trust_tools))
    iam.put_role_policy(RoleName="XDeployer", PolicyName="deploy", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "cloudformation:*", "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{dev}:role/XCfnExec"}]}))
    iam.create_role(RoleName="XNoPass", AssumeRolePolicyDocument=json.dumps(trust_tools))
    iam.put_role_policy(RoleName="XNoPass", PolicyName="deploy", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cloudformation:*", "Resource": "*"}]}))
    cfn_trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                         "Principal": {"Service": "cloudformation.amazonaws.com"}}]}
    iam.create_role(RoleName="XCfnExec", AssumeRolePolicyDocument=json.dumps(cfn_trust))
    iam.put_role_policy(RoleName="XCfnExec", PolicyName="sqs", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}))
    sts = fx.client("sts", "tools")
    try:
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{dev}:role/XDeployer", RoleSessionName="pipeline")["Credentials"]
    except botocore.exceptions.ClientError as e:
        pytest.skip(f"STS AssumeRole is not usable in this build: {e}")
    import boto3
    sess = boto3.session.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                 aws_session_token=creds["SessionToken"], region_name="us-east-1")
    cfn = sess.client("cloudformation", endpoint_url=fx.endpoint)
    name, s = create(cfn, QUEUE, RoleARN=f"arn:aws:iam::{dev}:role/XCfnExec")
    assert s["StackStatus"] == "CREATE_COMPLETE", events(cfn, name)
    assert s["StackId"].split(":")[4] == dev
    url = outputs(s)["Url"]
    assert url in fx.client("sqs", "dev", region="us-east-1").list_queues().get("QueueUrls", [])
    # without the deployer's RoleARN, the deployer session itself lacks sqs permissions
    name2, s2 = create(cfn, QUEUE)
    assert s2["StackStatus"] == "ROLLBACK_COMPLETE"
    # a caller that may not pass the role cannot name it
    c2 = sts.assume_role(RoleArn=f"arn:aws:iam::{dev}:role/XNoPass", RoleSessionName="p2")["Credentials"]
    nopass = boto3.session.Session(aws_access_key_id=c2["AccessKeyId"], aws_secret_access_key=c2["SecretAccessKey"],
                                   aws_session_token=c2["SessionToken"], region_name="us-east-1").client(
        "cloudformation", endpoint_url=fx.endpoint)
    e = err(nopass.create_stack, StackName=uniq(), TemplateBody=QUEUE, RoleARN=f"arn:aws:iam::{dev}:role/XCfnExec")
    assert e["Code"] == "AccessDenied" and "iam:PassRole" in e["Message"], e


FUNCTION = """
Parameters:
  Role: {Type: String}
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: SampleApplication-scoped
      Runtime: python3.12
      Handler: index.handler
      Role: !Ref Role
      Code: {ZipFile: "def handler(e, c): return 1"}
Outputs:
  Arn: {Value: !GetAtt Fn.Arn}
"""


def test_role_arn_scoped_to_lambda_get_function(fx, cfn):
    """A function is created (and its Arn read) by a role granted what AWS's handler needs,
    lambda:CreateFunction and lambda:GetFunction, without lambda:GetFunctionConfiguration
    (P08's CloudFormationDeploymentRole)."""
    if not _iam_ready(fx):
        pytest.skip("IAM is not implemented in this build")
    iam = fx.client("iam", "dev")
    acct = fx.client("sts", "dev").get_caller_identity()["Account"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "cloudformation.amazonaws.com"}}]}
    fn_trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                        "Principal": {"Service": "lambda.amazonaws.com"}}]}
    exec_role = iam.create_role(RoleName=uniq("fnexec"), AssumeRolePolicyDocument=json.dumps(fn_trust))["Role"]
    rname = uniq("scoped")
    role = iam.create_role(RoleName=rname, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName=rname, PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:GetFunction", "lambda:DeleteFunction"],
         "Resource": f"arn:aws:lambda:*:{acct}:function:SampleApplication*"},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]}))
    name, s = create(cfn, FUNCTION, RoleARN=role["Arn"],
                     Parameters=[{"ParameterKey": "Role", "ParameterValue": exec_role["Arn"]}])
    assert s["StackStatus"] == "CREATE_COMPLETE", events(cfn, name)
    assert outputs(s)["Arn"].endswith(f":{acct}:function:SampleApplication-scoped")
    cfn.delete_stack(StackName=name)
    assert wait(cfn, s["StackId"])["StackStatus"] == "DELETE_COMPLETE"
