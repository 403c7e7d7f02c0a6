"""CloudFormation and Lambda through boto3: AWS::Lambda::Function (inline Code.ZipFile with
AWS's cfnresponse / cfn-response module beside it, S3 code, updates in place, tags,
reserved concurrency), Permission, Version, Alias, LayerVersion and LayerVersionPermission,
and what a stack's deletion leaves (nothing)."""
import io
import json
import zipfile

import pytest
from botocore.exceptions import ClientError
from test_cfn_providers import PROFILE, REGION, Stacks, out

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


@pytest.fixture(scope="module")
def stacks(ferry):
    return Stacks(ferry)


@pytest.fixture(scope="module")
def lam(ferry):
    return ferry.client("lambda", PROFILE, region=REGION)


def role_resource():
    return {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST}}


def test_function_permission_version_alias(stacks, lam, ferry):
    def tpl(timeout, src="def handler(e, c):\n    return 1\n", tags=None):
        return {"Resources": {
            "Role": role_resource(),
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
                "Runtime": "python3.12", "Handler": "index.handler", "Timeout": timeout,
                "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Code": {"ZipFile": src},
                "Environment": {"Variables": {"STAGE": "dev"}},
                "ReservedConcurrentExecutions": 5, "Tags": tags or [{"Key": "app", "Value": "a"}]}},
            "NodeFn": {"Type": "AWS::Lambda::Function", "Properties": {
                "FunctionName": "cfn-node", "Runtime": "nodejs20.x", "Handler": "index.handler",
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Code": {"ZipFile": "exports.handler = async () => 1;\n"}}},
            "Perm": {"Type": "AWS::Lambda::Permission", "Properties": {
                "FunctionName": {"Ref": "Fn"}, "Action": "lambda:InvokeFunction",
                "Principal": "sns.amazonaws.com", "SourceAccount": {"Ref": "AWS::AccountId"}}},
            "V1": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Fn"}}},
            "Live": {"Type": "AWS::Lambda::Alias", "Properties": {
                "FunctionName": {"Ref": "Fn"}, "Name": "live",
                "FunctionVersion": {"Fn::GetAtt": ["V1", "Version"]}}}},
            "Outputs": out(("Ref", {"Ref": "Fn"}), ("Arn", {"Fn::GetAtt": ["Fn", "Arn"]}),
                           ("Version", {"Ref": "V1"}), ("VersionNumber", {"Fn::GetAtt": ["V1", "Version"]}),
                           ("Alias", {"Ref": "Live"}))}
    s = stacks.deploy("lambda-fns", tpl(10))
    name = s["Out"]["Ref"]
    assert name.startswith("lambda-fns-Fn-")
    assert s["Out"]["Arn"].endswith(":function:" + name)
    assert s["Out"]["Version"] == s["Out"]["Arn"] + ":1" and s["Out"]["VersionNumber"] == "1"
    assert s["Out"]["Alias"] == s["Out"]["Arn"] + ":live"
    cfg = lam.get_function_configuration(FunctionName=name)
    assert cfg["Timeout"] == 10 and cfg["Environment"]["Variables"] == {"STAGE": "dev"}
    f = lam.get_function(FunctionName=name)
    assert f["Concurrency"] == {"ReservedConcurrentExecutions": 5}
    assert f["Tags"]["app"] == "a" and f["Tags"]["aws:cloudformation:stack-name"] == "lambda-fns"
    pol = json.loads(lam.get_policy(FunctionName=name)["Policy"])
    assert pol["Statement"][0]["Principal"] == {"Service": "sns.amazonaws.com"}
    assert lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "1"
    assert lam.get_function_configuration(FunctionName="cfn-node")["Runtime"] == "nodejs20.x"
    # in place: configuration, code and tags
    sha = cfg["CodeSha256"]
    s = stacks.deploy("lambda-fns", tpl(20, src="def handler(e, c):\n    return 2\n",
                                        tags=[{"Key": "app", "Value": "b"}]), update=True)
    cfg = lam.get_function_configuration(FunctionName=name)
    assert s["Out"]["Ref"] == name and cfg["Timeout"] == 20 and cfg["CodeSha256"] != sha
    assert lam.list_tags(Resource=cfg["FunctionArn"])["Tags"]["app"] == "b"
    stacks.delete(s)
    for n in (name, "cfn-node"):
        with pytest.raises(ClientError) as e:
            lam.get_function(FunctionName=n)
        assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_inline_code_carries_the_response_module(stacks, lam, ferry):
    """The package of inline code holds index.py and AWS's cfnresponse.py (read back from the
    function's code directory is the engine's business; the size tells them apart)."""
    s = stacks.deploy("lambda-inline", {"Resources": {
        "Role": role_resource(),
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
            "FunctionName": "inline", "Runtime": "python3.12", "Handler": "index.handler",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Code": {"ZipFile": "x = 1\n"}}}}})
    size = lam.get_function_configuration(FunctionName="inline")["CodeSize"]
    assert size > 600  # index.py alone would be about 120 bytes zipped
    stacks.delete(s)


def test_s3_code_and_layers(stacks, lam, ferry):
    s3 = ferry.client("s3", PROFILE, region=REGION)
    s3.create_bucket(Bucket="cfn-lambda-code")
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("python/lib.py", "X = 1\n")
    s3.put_object(Bucket="cfn-lambda-code", Key="layer.zip", Body=b.getvalue())
    qa = ferry.client("sts", "qa").get_caller_identity()["Account"]
    s = stacks.deploy("lambda-layers", {"Resources": {
        "Role": role_resource(),
        "Layer": {"Type": "AWS::Lambda::LayerVersion", "Properties": {
            "LayerName": "cfn-layer", "CompatibleRuntimes": ["python3.12"],
            "Content": {"S3Bucket": "cfn-lambda-code", "S3Key": "layer.zip"}}},
        "Share": {"Type": "AWS::Lambda::LayerVersionPermission", "Properties": {
            "LayerVersionArn": {"Ref": "Layer"}, "Action": "lambda:GetLayerVersion", "Principal": qa}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
            "Runtime": "python3.12", "Handler": "lib.handler", "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Code": {"S3Bucket": "cfn-lambda-code", "S3Key": "layer.zip"}, "Layers": [{"Ref": "Layer"}]}}},
        "Outputs": out(("Layer", {"Ref": "Layer"}), ("Fn", {"Ref": "Fn"}))})
    arn = s["Out"]["Layer"]
    assert arn.endswith(":layer:cfn-layer:1")
    pol = json.loads(lam.get_layer_version_policy(LayerName="cfn-layer", VersionNumber=1)["Policy"])
    assert pol["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{qa}:root"}
    assert lam.get_function_configuration(FunctionName=s["Out"]["Fn"])["Layers"][0]["Arn"] == arn
    stacks.delete(s)
    with pytest.raises(ClientError):
        lam.get_layer_version(LayerName="cfn-layer", VersionNumber=1)
