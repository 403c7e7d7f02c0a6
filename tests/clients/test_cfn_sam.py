"""The SAM transform (Transform: AWS::Serverless-2016-10-31) through boto3 and Debian's awscli
(`cloudformation package` + `deploy`): the expanded resources and their logical ids, the
Original and Processed templates, CAPABILITY_AUTO_EXPAND, Globals, policy templates, SNS and
SQS events that run the function, SimpleTable, LayerVersion, AutoPublishAlias, the API,
schedule and stream events' expansion, and SAM's errors."""
import json
import os
import subprocess
import time

import pytest
from botocore.exceptions import ClientError
from ferrytest import AWS_BIN, code, message
from test_cfn_providers import PROFILE, REGION, Stacks

CAPS = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]


@pytest.fixture(scope="module")
def stacks(ferry):
    return Stacks(ferry)


@pytest.fixture(scope="module")
def cfn(ferry):
    return ferry.client("cloudformation", PROFILE, region=REGION)


def wait_for_log(ferry, group, pattern, seconds=30):
    logs = ferry.client("logs", PROFILE, region=REGION)
    deadline = time.time() + seconds
    while True:
        try:
            ev = logs.filter_log_events(logGroupName=group, filterPattern=pattern)["events"]
            if ev:
                return ev
        except ClientError as e:
            if code_of(e) != "ResourceNotFoundException":
                raise
        assert time.time() < deadline, f"no {pattern} in {group}"
        time.sleep(0.1)


def code_of(e):
    return e.response["Error"]["Code"]


def outputs(s):
    return {o["OutputKey"]: o["OutputValue"] for o in s.get("Outputs", [])}


def logical_ids(cfn, name):
    return {r["LogicalResourceId"]: r["ResourceType"]
            for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]}


SNS_APP = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: notifier
Globals:
  Function:
    Runtime: python3.12
    Timeout: 10
    Environment: {Variables: {STAGE: prod}}
    Tags: {team: core}
Resources:
  Topic: {Type: AWS::SNS::Topic}
  Table:
    Type: AWS::Serverless::SimpleTable
  Notify:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      MemorySize: 256
      InlineCode: |
        def handler(event, context):
            print("sam-sns", event["Records"][0]["Sns"]["Message"])
      Environment: {Variables: {TABLE: !Ref Table}}
      Policies:
        - AmazonSQSReadOnlyAccess
        - DynamoDBCrudPolicy: {TableName: !Ref Table}
        - Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "*"}]
      Events:
        Sub:
          Type: SNS
          Properties: {Topic: !Ref Topic}
Outputs:
  Fn: {Value: !Ref Notify}
  Topic: {Value: !Ref Topic}
  Table: {Value: !Ref Table}
"""


def test_sns_function_table_globals_and_policies(ferry, stacks, cfn):
    # AWS: CreateStack straight from a template with a Transform needs the capability
    with pytest.raises(ClientError) as e:
        cfn.create_stack(StackName="sam-sns", TemplateBody=SNS_APP, Capabilities=["CAPABILITY_IAM"])
    assert code(e) == "InsufficientCapabilitiesException"
    assert message(e) == "Requires capabilities : [CAPABILITY_AUTO_EXPAND]"
    # and the IAM role it generates needs CAPABILITY_IAM
    with pytest.raises(ClientError) as e:
        cfn.create_stack(StackName="sam-sns", TemplateBody=SNS_APP,
                         Capabilities=["CAPABILITY_AUTO_EXPAND"])
    assert message(e) == "Requires capabilities : [CAPABILITY_IAM]"
    cfn.create_stack(StackName="sam-sns", TemplateBody=SNS_APP, Capabilities=CAPS)
    s = stacks.wait("sam-sns")
    assert s["StackStatus"] == "CREATE_COMPLETE", stacks.failures("sam-sns")
    assert s["Description"] == "notifier"
    out = outputs(s)
    assert logical_ids(cfn, "sam-sns") == {
        "Topic": "AWS::SNS::Topic", "Table": "AWS::DynamoDB::Table",
        "Notify": "AWS::Lambda::Function", "NotifyRole": "AWS::IAM::Role",
        "NotifySub": "AWS::SNS::Subscription", "NotifySubPermission": "AWS::Lambda::Permission"}
    # the templates: as sent, and after the transform
    orig = cfn.get_template(StackName="sam-sns")
    assert orig["StagesAvailable"] == ["Original", "Processed"]
    assert "Transform: AWS::Serverless-2016-10-31" in orig["TemplateBody"]
    proc = cfn.get_template(StackName="sam-sns", TemplateStage="Processed")["TemplateBody"]
    assert "Transform" not in proc and "Globals" not in proc
    fn = proc["Resources"]["Notify"]
    assert fn["Type"] == "AWS::Lambda::Function"
    assert fn["Properties"]["Role"] == {"Fn::GetAtt": ["NotifyRole", "Arn"]}
    assert fn["Properties"]["Tags"] == [{"Key": "lambda:createdBy", "Value": "SAM"},
                                        {"Key": "team", "Value": "core"}]
    # Globals: maps merge, the function's scalars win
    lam = ferry.client("lambda", PROFILE, region=REGION)
    cfg = lam.get_function_configuration(FunctionName=out["Fn"])
    assert cfg["Environment"]["Variables"] == {"STAGE": "prod", "TABLE": out["Table"]}
    assert cfg["Timeout"] == 10 and cfg["MemorySize"] == 256 and cfg["Runtime"] == "python3.12"
    tags = lam.list_tags(Resource=cfg["FunctionArn"])["Tags"]
    assert tags["lambda:createdBy"] == "SAM" and tags["team"] == "core"
    # the role: basic execution, the managed policy by name, a template and a statement
    iam = ferry.client("iam", PROFILE)
    role = cfg["Role"].split("/")[-1]
    arns = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]}
    assert arns == {"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                    "arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"}
    assert sorted(iam.list_role_policies(RoleName=role)["PolicyNames"]) == [
        "NotifyRolePolicy1", "NotifyRolePolicy2"]
    doc = iam.get_role_policy(RoleName=role, PolicyName="NotifyRolePolicy1")["PolicyDocument"]
    acct = s["StackId"].split(":")[4]
    table_arn = f"arn:aws:dynamodb:{REGION}:{acct}:table/{out['Table']}"
    assert doc["Statement"][0]["Resource"] == [table_arn, table_arn + "/index/*"]
    assert "dynamodb:PutItem" in doc["Statement"][0]["Action"]
    # SimpleTable: key id (String), on demand
    t = ferry.client("dynamodb", PROFILE, region=REGION).describe_table(TableName=out["Table"])["Table"]
    assert t["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    # the SNS event runs the function
    ferry.client("sns", PROFILE, region=REGION).publish(TopicArn=out["Topic"], Message="hello-sam")
    wait_for_log(ferry, f"/aws/lambda/{out['Fn']}", '"sam-sns hello-sam"')
    stacks.delete(s)


def test_sns_event_on_another_accounts_topic(ferry, stacks, cfn):
    """Seed 000's Airmiles as SAM: the function subscribes to the booking account's topic,
    whose policy lets the airmiles account subscribe; the permission names that topic."""
    from ferrytest import acct
    sns_prod = ferry.client("sns", "prod", region=REGION)
    topic = sns_prod.create_topic(Name="bookings")["TopicArn"]
    sns_prod.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct(ferry, PROFILE)}:root"},
            "Action": "sns:Subscribe", "Resource": topic}]}))
    body = json.dumps({
        "Transform": "AWS::Serverless-2016-10-31",
        "Parameters": {"BookingTopicArn": {"Type": "String"}},
        "Resources": {"Airmiles": {"Type": "AWS::Serverless::Function", "Properties": {
            "Runtime": "python3.12", "Handler": "index.handler",
            "InlineCode": "def handler(e, c):\n    print('miles', e['Records'][0]['Sns']['Message'])\n",
            "Events": {"Booked": {"Type": "SNS", "Properties": {
                "Topic": {"Ref": "BookingTopicArn"}}}}}}},
        "Outputs": {"Fn": {"Value": {"Ref": "Airmiles"}}}})
    cfn.create_stack(StackName="sam-airmiles", TemplateBody=body, Capabilities=CAPS,
                     Parameters=[{"ParameterKey": "BookingTopicArn", "ParameterValue": topic}])
    s = stacks.wait("sam-airmiles")
    assert s["StackStatus"] == "CREATE_COMPLETE", stacks.failures("sam-airmiles")
    fn = outputs(s)["Fn"]
    lam = ferry.client("lambda", PROFILE, region=REGION)
    pol = json.loads(lam.get_policy(FunctionName=fn)["Policy"])["Statement"][0]
    assert pol["Principal"] == {"Service": "sns.amazonaws.com"}
    assert pol["Condition"]["ArnLike"]["AWS:SourceArn"] == topic
    sns_prod.publish(TopicArn=topic, Message="booking-42")
    wait_for_log(ferry, f"/aws/lambda/{fn}", '"miles booking-42"')
    stacks.delete(s)


def aws(ferry, *args, check=True, env=None):
    cmd = [AWS_BIN, "--endpoint-url", ferry.endpoint, "--profile", PROFILE]
    r = subprocess.run(cmd + list(args), capture_output=True, text=True, env=env or ferry.env())
    if check and r.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed: {r.stderr}")
    return r


SQS_APP = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Queue: {Type: AWS::SQS::Queue}
  Deps:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layer/, CompatibleRuntimes: [python3.12], RetentionPolicy: Delete}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Layers: [!Ref Deps]
      AutoPublishAlias: live
      DeploymentPreference: {Type: AllAtOnce}
      Policies:
        - SQSPollerPolicy: {QueueName: !GetAtt Queue.QueueName}
      Events:
        Jobs: {Type: SQS, Properties: {Queue: !GetAtt Queue.Arn, BatchSize: 1}}
Outputs:
  Fn: {Value: !Ref Worker}
  Queue: {Value: !Ref Queue}
  Layer: {Value: !Ref Deps}
"""


def test_package_and_deploy_sqs_layer_alias(ferry, cfn, tmp_path):
    """`aws cloudformation package` uploads CodeUri / ContentUri directories and rewrites them
    to s3:// URIs; `deploy` makes a change set (with the capability it is given, here not
    AUTO_EXPAND) that lists the expanded resources, and runs it."""
    s3 = ferry.client("s3", PROFILE, region=REGION)
    s3.create_bucket(Bucket="sam-artifacts")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(
        "import helper\n\ndef handler(event, context):\n"
        "    for r in event['Records']:\n        print(helper.tag(r['body']))\n")
    (tmp_path / "layer" / "python").mkdir(parents=True)
    (tmp_path / "layer" / "python" / "helper.py").write_text(
        "def tag(s):\n    return 'sam-sqs ' + s\n")
    (tmp_path / "t.yaml").write_text(SQS_APP)
    packaged = tmp_path / "packaged.yaml"
    # Debian's awscli 2.9 uploads to the real S3 (its package command reads no endpoint from
    # the profile); the awscli on PATH does, as test_s3's package test relies on
    aws(ferry, "cloudformation", "package", "--template-file", str(tmp_path / "t.yaml"),
        "--s3-bucket", "sam-artifacts", "--output-template-file", str(packaged),
        env=ferry.package_env())
    assert "s3://sam-artifacts/" in packaged.read_text()
    r = aws(ferry, "cloudformation", "deploy", "--template-file", str(packaged),
            "--stack-name", "sam-sqs", "--capabilities", "CAPABILITY_IAM")
    assert "Successfully created/updated stack - sam-sqs" in r.stdout
    s = cfn.describe_stacks(StackName="sam-sqs")["Stacks"][0]
    out = outputs(s)
    # the executed change set listed what the transform made
    cs = cfn.describe_change_set(StackName="sam-sqs", ChangeSetName=s["ChangeSetId"])
    added = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"]["ResourceType"]
             for c in cs["Changes"]}
    version = [k for k in added if k.startswith("WorkerVersion")]
    layer = [k for k in added if k.startswith("Deps")]
    assert len(version) == 1 and len(version[0]) == len("WorkerVersion") + 10
    assert len(layer) == 1 and len(layer[0]) == len("Deps") + 10
    assert added == {"Queue": "AWS::SQS::Queue", "Worker": "AWS::Lambda::Function",
                     "WorkerRole": "AWS::IAM::Role", "WorkerAliaslive": "AWS::Lambda::Alias",
                     version[0]: "AWS::Lambda::Version", layer[0]: "AWS::Lambda::LayerVersion",
                     "WorkerJobs": "AWS::Lambda::EventSourceMapping"}
    proc = cfn.get_template(StackName="sam-sqs", ChangeSetName=s["ChangeSetId"],
                            TemplateStage="Processed")["TemplateBody"]
    assert proc["Resources"]["WorkerJobs"]["Properties"]["FunctionName"] == {"Ref": "WorkerAliaslive"}
    assert proc["Resources"]["Worker"]["Properties"]["Layers"] == [{"Ref": layer[0]}]
    assert proc["Resources"]["WorkerAliaslive"]["Metadata"] == {
        "SamDeploymentPreference": {"Type": "AllAtOnce"}}
    code = proc["Resources"]["Worker"]["Properties"]["Code"]
    assert code["S3Bucket"] == "sam-artifacts" and code["S3Key"]
    # the alias, the layer, the poller policy, the mapping on the alias
    lam = ferry.client("lambda", PROFILE, region=REGION)
    assert lam.get_alias(FunctionName=out["Fn"], Name="live")["FunctionVersion"] == "1"
    cfg = lam.get_function_configuration(FunctionName=out["Fn"])
    assert [l["Arn"] for l in cfg["Layers"]] == [out["Layer"]]
    iam = ferry.client("iam", PROFILE)
    role = cfg["Role"].split("/")[-1]
    arns = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]}
    assert "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole" in arns
    doc = iam.get_role_policy(RoleName=role, PolicyName="WorkerRolePolicy0")["PolicyDocument"]
    assert doc["Statement"][0]["Resource"].endswith(":" + out["Queue"].split("/")[-1])
    maps = lam.list_event_source_mappings(FunctionName=out["Fn"] + ":live")["EventSourceMappings"]
    assert len(maps) == 1 and maps[0]["BatchSize"] == 1
    # the SQS event runs the function, with the layer's module
    ferry.client("sqs", PROFILE, region=REGION).send_message(QueueUrl=out["Queue"], MessageBody="job-1")
    wait_for_log(ferry, f"/aws/lambda/{out['Fn']}", '"sam-sqs job-1"')
    # the same again: no changes
    r = aws(ferry, "cloudformation", "deploy", "--template-file", str(packaged),
            "--stack-name", "sam-sqs", "--capabilities", "CAPABILITY_IAM", check=False)
    assert "No changes to deploy. Stack sam-sqs is up to date" in r.stdout + r.stderr
    cfn.delete_stack(StackName="sam-sqs")


API_APP = {
    "Transform": "AWS::Serverless-2016-10-31",
    "Globals": {"Function": {"Runtime": "python3.12", "Handler": "index.handler",
                             "InlineCode": "def handler(e, c):\n    return {}\n"},
                "Api": {"Cors": "'*'"}},
    "Resources": {
        "Stream": {"Type": "AWS::DynamoDB::Table", "Properties": {
            "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamViewType": "NEW_IMAGE"}}},
        "Bookings": {"Type": "AWS::Serverless::Api", "Properties": {
            "StageName": "dev", "Variables": {"mode": "test"}}},
        "Get": {"Type": "AWS::Serverless::Function", "Properties": {"Events": {
            "List": {"Type": "Api", "Properties": {"Path": "/bookings/{id}", "Method": "get"}},
            "Create": {"Type": "Api", "Properties": {"Path": "/bookings", "Method": "post",
                                                     "RestApiId": {"Ref": "Bookings"}}},
            "Http": {"Type": "HttpApi", "Properties": {"Path": "/h", "Method": "GET"}},
            "Tick": {"Type": "Schedule", "Properties": {"Schedule": "rate(1 minute)"}},
            "Changes": {"Type": "DynamoDB", "Properties": {
                "Stream": {"Fn::GetAtt": ["Stream", "StreamArn"]},
                "StartingPosition": "LATEST"}}}}}},
    "Outputs": {"Url": {"Value": {"Fn::Sub":
        "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/"}}}}

API_TYPES = {"AWS::ApiGateway::RestApi", "AWS::ApiGateway::Deployment", "AWS::ApiGateway::Stage",
             "AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::Stage", "AWS::Events::Rule"}


def test_api_schedule_and_stream_events_expand(cfn):
    """The expansion of events whose services come with other providers: listed by a change
    set (or, while those types are not registered, named by CloudFormation's refusal)."""
    body = json.dumps(API_APP)
    v = cfn.validate_template(TemplateBody=body)
    assert v["DeclaredTransforms"] == ["AWS::Serverless-2016-10-31"]
    # the role SAM makes for the function needs CAPABILITY_IAM
    assert v["Capabilities"] == ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
    assert v["CapabilitiesReason"] == "The following resource(s) require capabilities: [AWS::IAM::Role]"
    try:
        cfn.create_change_set(StackName="sam-api", ChangeSetName="c1", ChangeSetType="CREATE",
                              TemplateBody=body, Capabilities=["CAPABILITY_IAM"])
    except ClientError as e:
        msg = e.response["Error"]["Message"]
        assert msg.startswith("Template format error: Unrecognized resource types: [")
        assert set(msg[msg.index("[") + 1:-1].split(", ")) <= API_TYPES
        return
    cs = cfn.describe_change_set(StackName="sam-api", ChangeSetName="c1")
    ids = {c["ResourceChange"]["LogicalResourceId"] for c in cs["Changes"]}
    dep = [i for i in ids if i.startswith("ServerlessRestApiDeployment")]
    bdep = [i for i in ids if i.startswith("BookingsDeployment")]
    assert len(dep) == 1 and len(bdep) == 1
    assert ids == {"Stream", "Get", "GetRole", "ServerlessRestApi", dep[0],
                   "ServerlessRestApiProdStage", "Bookings", bdep[0], "BookingsdevStage",
                   "GetListPermissionProd", "GetCreatePermissiondev", "ServerlessHttpApi",
                   "ServerlessHttpApiApiGatewayDefaultStage", "GetHttpPermission", "GetTick",
                   "GetTickPermission", "GetChanges"}
    proc = cfn.get_template(StackName="sam-api", ChangeSetName="c1",
                            TemplateStage="Processed")["TemplateBody"]
    r = proc["Resources"]
    paths = r["ServerlessRestApi"]["Properties"]["Body"]["paths"]
    integ = paths["/bookings/{id}"]["get"]["x-amazon-apigateway-integration"]
    assert integ["type"] == "aws_proxy" and integ["httpMethod"] == "POST"
    assert "options" in paths["/bookings/{id}"]
    assert set(r["Bookings"]["Properties"]["Body"]["paths"]) == {"/bookings"}
    assert r["ServerlessRestApiProdStage"]["Properties"]["StageName"] == "Prod"
    assert r["BookingsdevStage"]["Properties"]["Variables"] == {"mode": "test"}
    assert r["GetListPermissionProd"]["Properties"]["SourceArn"]["Fn::Sub"][0].endswith(
        "${__ApiId__}/${__Stage__}/GET/bookings/*")
    assert r["ServerlessHttpApiApiGatewayDefaultStage"]["Properties"]["StageName"] == "$default"
    assert r["GetTick"]["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    assert r["GetChanges"]["Properties"]["StartingPosition"] == "LATEST"
    cfn.delete_stack(StackName="sam-api")


def test_bad_sam_templates(ferry, cfn, tmp_path):
    def tpl(events=None, fn_type="AWS::Serverless::Function", props=None):
        p = {"Runtime": "python3.12", "Handler": "i.h", "InlineCode": "x"}
        if events:
            p["Events"] = events
        p.update(props or {})
        p = {k: v for k, v in p.items() if v is not None}
        return json.dumps({"Transform": "AWS::Serverless-2016-10-31",
                           "Resources": {"Fn": {"Type": fn_type, "Properties": p}}})
    prefix = ("Transform AWS::Serverless-2016-10-31 failed with: Invalid Serverless Application "
              "Specification document. Number of errors found: ")
    cases = [
        (tpl({"E": {"Type": "Carrier", "Properties": {}}}),
         "1. Resource with id [Fn] is invalid. Event with id [E] is invalid. Resource dict has "
         "missing or invalid value for key Type. Event Type is: Carrier."),
        (tpl(props={"InlineCode": None, "CodeUri": "./src"}),
         "1. Resource with id [Fn] is invalid. 'CodeUri' is not a valid S3 Uri of the form "
         "'s3://bucket/key' with optional versionId query parameter."),
        (tpl(props={"Colour": "red", "InlineCode": None}),
         "1. Resource with id [Fn] is invalid. property Colour not defined for resource of type "
         "AWS::Serverless::Function"),
        (tpl({"A": {"Type": "SQS", "Properties": {}}, "B": {"Type": "S3", "Properties": {
            "Bucket": "b", "Events": "s3:ObjectCreated:*"}}}),
         "2. Resource with id [Fn] is invalid. Event with id [A] is invalid. Missing required "
         "property 'Queue'. Resource with id [Fn] is invalid. Event with id [B] is invalid. S3 "
         "events must reference an S3 bucket in the same template."),
    ]
    for body, want in cases:
        for call in (lambda: cfn.validate_template(TemplateBody=body),
                     lambda: cfn.create_stack(StackName="bad-sam", TemplateBody=body,
                                              Capabilities=CAPS)):
            with pytest.raises(ClientError) as e:
                call()
            assert code(e) == "ValidationError" and message(e) == prefix + want
    # an unknown AWS::Serverless type passes the transform; CloudFormation refuses it
    with pytest.raises(ClientError) as e:
        cfn.create_stack(StackName="bad-sam", TemplateBody=tpl(fn_type="AWS::Serverless::Gizmo"),
                         Capabilities=CAPS)
    assert message(e) == "Template format error: Unrecognized resource types: [AWS::Serverless::Gizmo]"
    with pytest.raises(ClientError) as e:
        cfn.validate_template(TemplateBody=json.dumps({"Transform": "AWS::Include", "Resources": {}}))
    assert message(e) == "No transform named AWS::Include found."
    # a change set the transform refuses is FAILED with its words, as deploy shows them
    bad = tmp_path / "bad.json"
    bad.write_text(cases[0][0])
    r = aws(ferry, "cloudformation", "deploy", "--template-file", str(bad), "--stack-name",
            "bad-sam-cs", check=False)
    assert r.returncode == 255
    assert "Status: FAILED. Reason: " + prefix + cases[0][1] in r.stderr, r.stderr
    cs = cfn.list_change_sets(StackName="bad-sam-cs")["Summaries"]
    assert [(c["Status"], c["ExecutionStatus"]) for c in cs] == [("FAILED", "UNAVAILABLE")]
    assert cfn.describe_stacks(StackName="bad-sam-cs")["Stacks"][0]["StackStatus"] == \
        "REVIEW_IN_PROGRESS"
