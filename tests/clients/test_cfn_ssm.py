"""CloudFormation and Parameter Store through boto3: the AWS::SSM::Parameter provider,
dynamic references ({{resolve:ssm:...}}, {{resolve:ssm-secure:...}}) resolved as the stack
and never stored resolved, and AWS::SSM::Parameter::Value<...> parameter types with their
ResolvedValue."""
import json

import pytest
from botocore.exceptions import ClientError
from test_cfn_providers import PROFILE, REGION, Stacks, out


@pytest.fixture(scope="module")
def stacks(ferry):
    return Stacks(ferry)


@pytest.fixture(scope="module")
def ssm(ferry):
    return ferry.client("ssm", PROFILE, region=REGION)


def test_parameter_provider(stacks, ssm):
    def tpl(value, name="/cfn/named", tags=None):
        return {"Resources": {
            "Named": {"Type": "AWS::SSM::Parameter",
                      "Properties": {"Name": name, "Type": "String", "Value": value,
                                     "Description": "d", "Tags": tags or {"env": "dev"}}},
            "Unnamed": {"Type": "AWS::SSM::Parameter",
                        "Properties": {"Type": "StringList", "Value": "a,b"}}},
            "Outputs": out(("Ref", {"Ref": "Named"}), ("Type", {"Fn::GetAtt": ["Named", "Type"]}),
                           ("Value", {"Fn::GetAtt": ["Named", "Value"]}),
                           ("Unnamed", {"Ref": "Unnamed"}),
                           ("UnnamedValue", {"Fn::GetAtt": ["Unnamed", "Value"]}))}
    s = stacks.deploy("ssm-params", tpl("v1"))
    assert s["Out"]["Ref"] == "/cfn/named" and s["Out"]["Type"] == "String" and s["Out"]["Value"] == "v1"
    assert s["Out"]["Unnamed"].startswith("CFN-Unnamed-") and s["Out"]["UnnamedValue"] == "a,b"
    p = ssm.get_parameter(Name="/cfn/named")["Parameter"]
    assert p["Value"] == "v1" and p["Version"] == 1
    tags = {t["Key"]: t["Value"] for t in
            ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/cfn/named")["TagList"]}
    assert tags["env"] == "dev" and tags["team"] == "core" and tags["aws:cloudformation:stack-name"] == "ssm-params"
    # an update in place is a new version; tags follow the template
    s = stacks.deploy("ssm-params", tpl("v2", tags={"env": "qa"}), update=True)
    p = ssm.get_parameter(Name="/cfn/named")["Parameter"]
    assert p["Value"] == "v2" and p["Version"] == 2 and s["Out"]["Value"] == "v2"
    tags = {t["Key"]: t["Value"] for t in
            ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/cfn/named")["TagList"]}
    assert tags["env"] == "qa"
    # a new name replaces it
    stacks.deploy("ssm-params", tpl("v2", name="/cfn/renamed"), update=True)
    with pytest.raises(ClientError):
        ssm.get_parameter(Name="/cfn/named")
    assert ssm.get_parameter(Name="/cfn/renamed")["Parameter"]["Value"] == "v2"
    unnamed = s["Out"]["Unnamed"]
    stacks.delete(s)
    for n in ("/cfn/renamed", unnamed):
        with pytest.raises(ClientError):
            ssm.get_parameter(Name=n)


def test_parameter_provider_refuses_what_aws_refuses(stacks, ssm):
    ssm.put_parameter(Name="/cfn/taken", Value="x", Type="String")
    stacks.deploy("ssm-taken", {"Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {
        "Name": "/cfn/taken", "Type": "String", "Value": "y"}}}}, status="ROLLBACK_COMPLETE")
    assert "already exists" in " ".join(stacks.failures("ssm-taken"))
    assert ssm.get_parameter(Name="/cfn/taken")["Parameter"]["Value"] == "x"  # not taken over
    stacks.deploy("ssm-secure-type", {"Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {
        "Type": "SecureString", "Value": "y"}}}}, status="ROLLBACK_COMPLETE")


def test_dynamic_references(stacks, ssm, ferry):
    ssm.put_parameter(Name="/cfg/host", Value="db1", Type="String")
    ssm.put_parameter(Name="/cfg/host", Value="db2", Overwrite=True)
    key = ferry.client("kms", PROFILE, region=REGION).create_key()["KeyMetadata"]["KeyId"]
    ssm.put_parameter(Name="/cfg/password", Value="S3cret-pass!", Type="SecureString", KeyId=key)
    tpl = {"Resources": {
        "Latest": {"Type": "AWS::SSM::Parameter",
                   "Properties": {"Type": "String", "Value": "host={{resolve:ssm:/cfg/host}};"}},
        "First": {"Type": "AWS::SSM::Parameter",
                  "Properties": {"Type": "String", "Value": {"Fn::Sub": "{{resolve:ssm:/cfg/host:1}}"}}},
        "User": {"Type": "AWS::IAM::User",
                 "Properties": {"LoginProfile": {"Password": "{{resolve:ssm-secure:/cfg/password}}"}}}},
        "Outputs": out(("Latest", {"Fn::GetAtt": ["Latest", "Value"]}),
                       ("First", {"Fn::GetAtt": ["First", "Value"]}))}
    s = stacks.deploy("ssm-dynref", tpl)
    assert s["Out"] == {"Latest": "host=db2;", "First": "db1"}
    # the stack keeps the reference, never the secure value
    cfn = stacks.cfn
    body = cfn.get_template(StackName="ssm-dynref")["TemplateBody"]
    events = json.dumps(cfn.describe_stack_events(StackName="ssm-dynref")["StackEvents"], default=str)
    assert "S3cret-pass!" not in json.dumps(body) and "S3cret-pass!" not in events
    # a missing parameter fails the resource as AWS words it
    s = stacks.deploy("ssm-dynref-missing", {"Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {
        "Type": "String", "Value": "{{resolve:ssm:/cfg/none}}"}}}}, status="ROLLBACK_COMPLETE")
    assert "Parameters: [ssm:/cfg/none] cannot be found." in " ".join(stacks.failures("ssm-dynref-missing"))
    # ssm-secure only where AWS resolves it
    with pytest.raises(ClientError) as e:
        cfn.create_stack(StackName="ssm-secure-where", TemplateBody=json.dumps({"Resources": {"P": {
            "Type": "AWS::SSM::Parameter", "Properties": {
                "Type": "String", "Value": "{{resolve:ssm-secure:/cfg/password}}"}}}}))
    assert e.value.response["Error"]["Code"] == "ValidationError"
    assert e.value.response["Error"]["Message"] == \
        "SSM Secure reference is not supported in: [AWS::SSM::Parameter/Properties/Value]"


def test_ssm_parameter_types(stacks, ssm):
    ssm.put_parameter(Name="/types/subnets", Value="subnet-1,subnet-2", Type="StringList")
    ssm.put_parameter(Name="/types/size", Value="t3.micro", Type="String")
    tpl = {"Parameters": {
        "Ami": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
                "Default": "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2"},
        "Subnets": {"Type": "AWS::SSM::Parameter::Value<List<String>>", "Default": "/types/subnets"},
        "Size": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/types/size"}},
        "Resources": {"P": {"Type": "AWS::SSM::Parameter",
                            "Properties": {"Type": "String", "Value": {"Fn::Select": [1, {"Ref": "Subnets"}]}}}},
        "Outputs": out(("Ami", {"Ref": "Ami"}), ("Size", {"Ref": "Size"}),
                       ("Second", {"Fn::GetAtt": ["P", "Value"]}))}
    s = stacks.deploy("ssm-types", tpl)
    ami = ssm.get_parameter(Name="/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2")["Parameter"]["Value"]
    assert s["Out"] == {"Ami": ami, "Size": "t3.micro", "Second": "subnet-2"}
    ps = {p["ParameterKey"]: p for p in s["Parameters"]}
    assert ps["Size"]["ParameterValue"] == "/types/size" and ps["Size"]["ResolvedValue"] == "t3.micro"
    assert ps["Subnets"]["ResolvedValue"] == "subnet-1,subnet-2"
    with pytest.raises(ClientError) as e:
        stacks.cfn.create_stack(StackName="ssm-types-missing", TemplateBody=json.dumps(tpl),
                                Parameters=[{"ParameterKey": "Size", "ParameterValue": "/types/none"}])
    assert e.value.response["Error"]["Code"] == "ValidationError"
    assert "Unable to fetch parameters [/types/none]" in e.value.response["Error"]["Message"]
    ssm.put_parameter(Name="/types/secure", Value="x", Type="SecureString")
    with pytest.raises(ClientError) as e:
        stacks.cfn.create_stack(StackName="ssm-types-secure", TemplateBody=json.dumps(tpl),
                                Parameters=[{"ParameterKey": "Size", "ParameterValue": "/types/secure"}])
    assert e.value.response["Error"]["Message"] == \
        "Parameters [/types/secure] referenced by template have types not supported by CloudFormation."


def test_secretsmanager_references(stacks, ferry):
    sm = ferry.client("secretsmanager", PROFILE, region=REGION)
    try:
        sm.list_secrets()
    except ClientError as e:
        if e.response["ResponseMetadata"]["HTTPStatusCode"] == 501 or "UnknownService" in str(e):
            pytest.skip("the secretsmanager service is not in this build yet")
        raise
    arn = sm.create_secret(Name="cfn/db", SecretString=json.dumps({"user": "admin", "port": 5432}))["ARN"]
    sm.put_secret_value(SecretId="cfn/db", SecretString=json.dumps({"user": "root", "port": 5433}))
    tpl = {"Resources": {
        "User": {"Type": "AWS::SSM::Parameter", "Properties": {
            "Type": "String", "Value": "{{resolve:secretsmanager:cfn/db:SecretString:user}}"}},
        "Old": {"Type": "AWS::SSM::Parameter", "Properties": {
            "Type": "String", "Value": "{{resolve:secretsmanager:%s:SecretString:user:AWSPREVIOUS}}" % arn}},
        "Port": {"Type": "AWS::SSM::Parameter", "Properties": {
            "Type": "String", "Value": "{{resolve:secretsmanager:cfn/db:SecretString:port}}"}},
        "Whole": {"Type": "AWS::SSM::Parameter", "Properties": {
            "Type": "String", "Value": "{{resolve:secretsmanager:cfn/db}}"}}},
        "Outputs": out(*[(k, {"Fn::GetAtt": [k, "Value"]}) for k in ("User", "Old", "Port", "Whole")])}
    s = stacks.deploy("ssm-secretref", tpl)
    assert s["Out"]["User"] == "root" and s["Out"]["Old"] == "admin" and s["Out"]["Port"] == "5433"
    assert json.loads(s["Out"]["Whole"]) == {"user": "root", "port": 5433}
    body = json.dumps(stacks.cfn.get_template(StackName="ssm-secretref")["TemplateBody"])
    assert "root" not in body
    s = stacks.deploy("ssm-secretref-missing", {"Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {
        "Type": "String", "Value": "{{resolve:secretsmanager:cfn/none}}"}}}}, status="ROLLBACK_COMPLETE")
    assert stacks.failures("ssm-secretref-missing")


def test_deploy_with_ssm_types_and_references(ferry, ssm, tmp_path):
    """`aws cloudformation deploy` (change sets) with an SSM parameter type and a reference."""
    ssm.put_parameter(Name="/deploy/env", Value="staging", Type="String")
    tpl = tmp_path / "t.yaml"
    tpl.write_text("Parameters:\n"
                   "  Env: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /deploy/env}\n"
                   "Resources:\n"
                   "  P:\n"
                   "    Type: AWS::SSM::Parameter\n"
                   "    Properties: {Type: String, Value: !Sub '${Env}-{{resolve:ssm:/deploy/env:1}}'}\n"
                   "Outputs:\n"
                   "  V: {Value: !GetAtt P.Value}\n")
    from test_cfn_cli import deploy
    deploy(ferry, "--stack-name", "ssm-deploy", "--template-file", str(tpl), "--region", REGION,
           profile=PROFILE)
    s = ferry.client("cloudformation", PROFILE, region=REGION).describe_stacks(StackName="ssm-deploy")["Stacks"][0]
    assert {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]} == {"V": "staging-staging"}
    assert s["Parameters"][0]["ResolvedValue"] == "staging"
