"""Conformance (issue 16): answers that were silently wrong, and errors as AWS sends them."""
import json
import re

import pytest

from ferrytest import acct, raises, stack_wait, zipped

TRUST_ROOT = lambda account, part="aws": json.dumps({  # noqa: E731
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:{part}:iam::{account}:root"},
                   "Action": "sts:AssumeRole"}]})


def test_master_account_arn_carries_the_whole_account_id(ferry):
    org = ferry.client("organizations").describe_organization()["Organization"]
    mid, oid = org["MasterAccountId"], org["Id"]
    assert org["MasterAccountArn"] == f"arn:aws:organizations::{mid}:account/{oid}/{mid}"
    assert re.fullmatch(rf"arn:aws:organizations::{mid}:organization/o-[a-z0-9]{{10}}", org["Arn"])
    # every account's ARN, the management one's included
    for a in ferry.client("organizations").list_accounts()["Accounts"]:
        assert a["Arn"] == f"arn:aws:organizations::{mid}:account/{oid}/{a['Id']}"


def test_a_long_role_path_is_not_cut_in_the_session(ferry):
    """IAM paths run to 512 characters: the role ARN a session carries is whole."""
    iam, me = ferry.client("iam"), acct(ferry, "management")
    path = "/" + "/".join(["p" * 60] * 8) + "/"
    arn = iam.create_role(RoleName="longpath", Path=path,
                          AssumeRolePolicyDocument=TRUST_ROOT(me))["Role"]["Arn"]
    assert arn == f"arn:aws:iam::{me}:role{path}longpath"
    c = ferry.client("sts").assume_role(RoleArn=arn, RoleSessionName="ss")["Credentials"]
    import boto3
    s3c = boto3.client("iam", endpoint_url=ferry.endpoint, region_name="us-east-1",
                       aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                       aws_session_token=c["SessionToken"])
    # the refusal names the session; the role ARN behind it was whole (it was authorized)
    msg = raises(s3c.list_users, "AccessDenied")
    assert "assumed-role/longpath/ss" in msg


@pytest.mark.parametrize("region,part", [("cn-north-1", "aws-cn"), ("cn-northwest-1", "aws-cn"),
                                         ("us-gov-west-1", "aws-us-gov")])
def test_partition_follows_the_region(ferry, region, part):
    me = acct(ferry, "management")
    who = ferry.client("sts", region=region).get_caller_identity()
    assert who["Arn"].startswith(f"arn:{part}:"), who
    sqs = ferry.client("sqs", region=region)
    url = sqs.create_queue(QueueName="parted")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert qarn == f"arn:{part}:sqs:{region}:{me}:parted"
    tarn = ferry.client("sns", region=region).create_topic(Name="parted")["TopicArn"]
    assert tarn == f"arn:{part}:sns:{region}:{me}:parted"
    # IAM is global: its ARNs carry the partition of the endpoint called
    iam = ferry.client("iam", region=region)
    rarn = iam.create_role(RoleName=f"parted-{region}",
                           AssumeRolePolicyDocument=TRUST_ROOT(me, part))["Role"]["Arn"]
    assert rarn == f"arn:{part}:iam::{me}:role/parted-{region}"
    sess = ferry.client("sts", region=region).assume_role(RoleArn=rarn, RoleSessionName="ss")
    assert sess["AssumedRoleUser"]["Arn"] == f"arn:{part}:sts::{me}:assumed-role/parted-{region}/ss"
    # and the services added since: EventBridge, CodeCommit, API Gateway
    rule = ferry.client("events", region=region).put_rule(Name="parted", ScheduleExpression="rate(1 day)")
    assert rule["RuleArn"] == f"arn:{part}:events:{region}:{me}:rule/parted"
    repo = ferry.client("codecommit", region=region).create_repository(repositoryName="parted")
    assert repo["repositoryMetadata"]["Arn"] == f"arn:{part}:codecommit:{region}:{me}:parted"
    api = ferry.client("apigatewayv2", region=region).create_api(Name="parted", ProtocolType="HTTP")
    tags = ferry.client("apigatewayv2", region=region).get_tags(
        ResourceArn=f"arn:{part}:apigateway:{region}::/apis/{api['ApiId']}")
    assert tags["Tags"] == {}


def test_a_role_of_another_partition_cannot_be_assumed(ferry):
    me = acct(ferry, "management")
    rarn = ferry.client("iam", region="cn-north-1").create_role(
        RoleName="cn-only", AssumeRolePolicyDocument=TRUST_ROOT(me, "aws-cn"))["Role"]["Arn"]
    # from the aws partition, the aws-cn role is out of reach: AccessDenied, as AWS answers
    msg = raises(ferry.client("sts", region="us-east-1").assume_role, "AccessDenied",
                 RoleArn=rarn, RoleSessionName="ss")
    assert msg == (f"User: arn:aws:iam::{me}:root is not authorized to perform: sts:AssumeRole "
                   f"on resource: {rarn}")
    # nor the same role named in the aws partition from China
    raises(ferry.client("sts", region="cn-north-1").assume_role, "AccessDenied",
           RoleArn=rarn.replace("arn:aws-cn:", "arn:aws:"), RoleSessionName="ss")



def test_arns_inside_services_take_the_partition(ferry):
    """In China the ARNs services write into policies, principals and their own answers are
    aws-cn ones, and aws-cn ARNs are recognised where a service reads one back."""
    r, part = "cn-north-1", "aws-cn"
    me = acct(ferry, "management")
    root = f"arn:{part}:iam::{me}:root"
    # KMS: the default key policy lets the account's root in
    kms = ferry.client("kms", region=r)
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    pol = json.loads(kms.get_key_policy(KeyId=kid, PolicyName="default")["Policy"])
    assert pol["Statement"][0]["Principal"] == {"AWS": root}
    # Lambda: an account id given to AddPermission becomes that account's root
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    iam = ferry.client("iam", region=r)
    role = iam.create_role(RoleName="cn-fn", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName="cn-fn", PolicyName="streams", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]}))
    lam = ferry.client("lambda", region=r)
    lam.create_function(FunctionName="cnfn", Runtime="python3.12", Role=role, Handler="index.handler",
                        Code={"ZipFile": zipped({"index.py": "def handler(e, c):\n    return e\n"})})
    lam.add_permission(FunctionName="cnfn", StatementId="s", Action="lambda:InvokeFunction", Principal=me)
    st = json.loads(lam.get_policy(FunctionName="cnfn")["Policy"])["Statement"][0]
    assert st["Principal"] == {"AWS": root}
    # SNS: the subscription's principal
    sns, sqs = ferry.client("sns", region=r), ferry.client("sqs", region=r)
    tarn = sns.create_topic(Name="cn-topic")["TopicArn"]
    qurl = sqs.create_queue(QueueName="cn-sub")["QueueUrl"]
    qarn = f"arn:{part}:sqs:{r}:{me}:cn-sub"
    sarn = sns.subscribe(TopicArn=tarn, Protocol="sqs", Endpoint=qarn,
                         ReturnSubscriptionArn=True)["SubscriptionArn"]
    assert sarn.startswith(f"arn:{part}:sns:{r}:{me}:cn-topic:")
    attrs = sns.get_subscription_attributes(SubscriptionArn=sarn)["Attributes"]
    assert attrs["SubscriptionPrincipal"] == root
    # EventBridge: an aws-cn target is a target, and the event reaches it
    ev = ferry.client("events", region=r)
    rarn = ev.put_rule(Name="cn-rule", EventPattern=json.dumps({"source": ["cn.test"]}))["RuleArn"]
    assert rarn == f"arn:{part}:events:{r}:{me}:rule/cn-rule"
    eurl = sqs.create_queue(QueueName="cn-ev")["QueueUrl"]
    earn = f"arn:{part}:sqs:{r}:{me}:cn-ev"
    sqs.set_queue_attributes(QueueUrl=eurl, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": earn}]})})
    assert ev.put_targets(Rule="cn-rule", Targets=[{"Id": "q", "Arn": earn}])["FailedEntryCount"] == 0
    ev.put_events(Entries=[{"Source": "cn.test", "DetailType": "t", "Detail": "{\"in\": \"cn\"}"}])
    got = sqs.receive_message(QueueUrl=eurl, WaitTimeSeconds=5).get("Messages", [])
    assert len(got) == 1 and json.loads(got[0]["Body"])["detail"] == {"in": "cn"}
    # DynamoDB Streams: the stream's aws-cn ARN is read back, and a mapping takes it
    ddb = ferry.client("dynamodb", region=r)
    t = ddb.create_table(TableName="cn-t", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST",
                         StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    stream = t["TableDescription"]["LatestStreamArn"]
    assert stream.startswith(f"arn:{part}:dynamodb:{r}:{me}:table/cn-t/stream/")
    d = ferry.client("dynamodbstreams", region=r).describe_stream(StreamArn=stream)
    assert d["StreamDescription"]["StreamArn"] == stream
    esm = lam.create_event_source_mapping(EventSourceArn=stream, FunctionName="cnfn",
                                          StartingPosition="LATEST")
    assert esm["EventSourceArn"] == stream
    # S3: a bucket in China has an aws-cn ARN
    cfn = ferry.client("cloudformation", region=r)
    tpl = {"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "cn-arn-bucket"}}},
           "Outputs": {"A": {"Value": {"Fn::GetAtt": ["B", "Arn"]}}}}
    cfn.create_stack(StackName="cn-s3", TemplateBody=json.dumps(tpl))
    s = stack_wait(cfn, "cn-s3")
    assert s["StackStatus"] == "CREATE_COMPLETE", s
    assert s["Outputs"][0]["OutputValue"] == f"arn:{part}:s3:::cn-arn-bucket"


def test_an_account_made_in_china_has_an_access_role_china_can_assume(ferry):
    """CreateAccount through an aws-cn endpoint: the member's OrganizationAccountAccessRole
    trusts the management account's aws-cn root, so it is assumed from China."""
    org = ferry.client("organizations", region="cn-north-1")
    st = org.create_account(Email="cn@example.com", AccountName="cn-member")["CreateAccountStatus"]
    done = org.describe_create_account_status(CreateAccountRequestId=st["Id"])["CreateAccountStatus"]
    assert done["State"] == "SUCCEEDED", done
    rarn = f"arn:aws-cn:iam::{done['AccountId']}:role/OrganizationAccountAccessRole"
    sess = ferry.client("sts", region="cn-north-1").assume_role(RoleArn=rarn, RoleSessionName="ss")
    assert sess["AssumedRoleUser"]["Arn"].startswith(f"arn:aws-cn:sts::{done['AccountId']}:")
    c = sess["Credentials"]
    iam = _open_client(ferry, "iam", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"],
                       region="cn-north-1")
    role = iam.get_role(RoleName="OrganizationAccountAccessRole")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"].startswith("arn:aws-cn:")
    # AWS managed policies are named in the partition too
    att = iam.list_attached_role_policies(RoleName="OrganizationAccountAccessRole")["AttachedPolicies"]
    assert [a["PolicyArn"] for a in att] == ["arn:aws-cn:iam::aws:policy/AdministratorAccess"]

def test_full_aws_access_takes_the_organization_partition():
    """The AWS managed FullAWSAccess SCP is named in the organization's partition."""
    import subprocess
    from ferrytest import FERRY_BIN, Ferry
    f = Ferry().start()
    try:
        subprocess.run([FERRY_BIN, "init", "--data", f.data, *f.store_args(), "--aws-config",
                        f.awsdir, "--endpoint-url", f.endpoint, "--region", "cn-north-1"],
                       check=True, capture_output=True)
        org = f.client("organizations", region="cn-north-1")
        assert org.describe_organization()["Organization"]["Arn"].startswith("arn:aws-cn:")
        pol = org.describe_policy(PolicyId="p-FullAWSAccess")["Policy"]["PolicySummary"]
        assert pol["Arn"] == \
            "arn:aws-cn:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
        listed = org.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
        assert [p["Arn"] for p in listed if p["Id"] == "p-FullAWSAccess"] == [pol["Arn"]]
    finally:
        f.close()


def _open_client(f, service, akid, secret="x", token=None, region="us-east-1"):
    import boto3
    return boto3.client(service, endpoint_url=f.endpoint, region_name=region,
                        aws_access_key_id=akid, aws_secret_access_key=secret,
                        aws_session_token=token)


def test_open_mode_keys_ferry_issued_are_their_own_principal(open_ferry):
    a = "111111111111"
    iam = _open_client(open_ferry, "iam", a)  # unknown key: the open rule, account a's root
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=TRUST_ROOT(a))
    iam.put_role_policy(RoleName="worker", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["sqs:CreateQueue", "sqs:GetQueueUrl"],
                       "Resource": "*"}]}))
    c = _open_client(open_ferry, "sts", a).assume_role(
        RoleArn=f"arn:aws:iam::{a}:role/worker", RoleSessionName="ss")["Credentials"]
    keys = dict(akid=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
    who = _open_client(open_ferry, "sts", **keys).get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{a}:assumed-role/worker/ss"
    sqs = _open_client(open_ferry, "sqs", **keys)
    url = sqs.create_queue(QueueName="from-role")["QueueUrl"]
    assert f"/{a}/from-role" in url  # in the role's account, not the default one
    # what the role's policy does not allow is refused, open mode or not
    raises(sqs.delete_queue, "AccessDenied", QueueUrl=url)
    raises(_open_client(open_ferry, "sns", **keys).create_topic, "AuthorizationError", Name="t")
    # a user's access key likewise
    iam.create_user(UserName="u")
    k = iam.create_access_key(UserName="u")["AccessKey"]
    msg = raises(_open_client(open_ferry, "sqs", k["AccessKeyId"], k["SecretAccessKey"]).list_queues,
                 "AccessDenied")
    assert f"arn:aws:iam::{a}:user/u" in msg
    # an unknown key still gets the open rule
    assert _open_client(open_ferry, "sqs", "AKIAUNKNOWN").list_queues() is not None


SLOW_STACK = """
Parameters:
  Token: {Type: String}
Resources:
  Slow:
    Type: Custom::Slow
    Properties: {ServiceToken: !Ref Token, ServiceTimeout: 600}
  After:
    Type: AWS::SQS::Queue
    DependsOn: Slow
    Properties: {QueueName: after-slow}
"""


def test_reset_fences_a_stack_operation_in_flight():
    """POST /_ferry/reset while a stack waits on its custom resource: the operation, which
    goes on, writes nothing after the reset (no stack, no event, no queue)."""
    import time
    from ferrytest import Ferry
    f = Ferry(auth="open").start(env={"FERRY_CFN_CUSTOM_TIMEOUT_SCALE": "0.05"})
    try:
        token = _open_client(f, "sns", "test").create_topic(Name="slow")["TopicArn"]
        cfn = _open_client(f, "cloudformation", "test")
        cfn.create_stack(StackName="slow", TemplateBody=SLOW_STACK,
                         Parameters=[{"ParameterKey": "Token", "ParameterValue": token}])
        time.sleep(0.1)  # the custom resource's request is out; the stack waits on it
        assert f.http("POST", "/_ferry/reset")[0] == 200
        # the operation notices (its request is gone) and tries to fail and roll back: fenced
        deadline = time.time() + 10
        while "nothing written" not in open(f.log).read() and time.time() < deadline:
            time.sleep(0.05)
        log = open(f.log).read()
        assert "nothing written" in log
        assert "vanished" not in log
        raises(cfn.describe_stacks, "ValidationError", StackName="slow")
        assert cfn.list_stacks()["StackSummaries"] == []
        assert _open_client(f, "sqs", "test").list_queues().get("QueueUrls", []) == []
    finally:
        f.close()



def test_sqs_json_errors_are_fully_qualified(ferry):
    """SQS over json 1.0 (current SDKs; tests/clients/js/sqs.test.mjs checks the JS SDK's
    modelled QueueDoesNotExist): __type is the fully qualified shape name, the query code in
    x-amzn-query-error."""
    import json as j
    import urllib.request
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    creds = ferry.session("management").get_credentials()
    req = AWSRequest("POST", ferry.endpoint + "/", data=j.dumps({"QueueName": "nope"}),
                     headers={"Content-Type": "application/x-amz-json-1.0",
                              "X-Amz-Target": "AmazonSQS.GetQueueUrl"})
    SigV4Auth(creds, "sqs", "us-east-1").add_auth(req)
    with pytest.raises(urllib.error.HTTPError) as ex:
        urllib.request.urlopen(urllib.request.Request(
            req.url, data=req.body, headers=dict(req.headers), method="POST"))
    e = ex.value
    assert e.code == 400
    assert j.loads(e.read()) == {"__type": "com.amazonaws.sqs#QueueDoesNotExist",
                                 "message": "The specified queue does not exist."}
    assert e.headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    # the query protocol (Debian's botocore) still gets the query code, and the modelled class
    sqs = ferry.client("sqs", region="us-east-1")
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="nope")


def test_sqs_takes_every_queue_url_form(ferry):
    """A QueueUrl names the queue by its account and name whatever host it carries: the
    regional, legacy and ferry endpoint forms, a trailing slash; a bare name is no URL."""
    sqs = ferry.client("sqs", "dev", region="us-east-1")
    dev = acct(ferry, "dev")
    sqs.create_queue(QueueName="forms")
    for url in (f"https://sqs.us-east-1.amazonaws.com/{dev}/forms",
                f"https://queue.amazonaws.com/{dev}/forms",
                f"https://us-east-1.queue.amazonaws.com/{dev}/forms",
                f"http://localhost:4566/{dev}/forms/",
                f"{ferry.endpoint}/{dev}/forms"):
        sqs.send_message(QueueUrl=url, MessageBody=url)
    got = sqs.receive_message(QueueUrl=f"{ferry.endpoint}/{dev}/forms", MaxNumberOfMessages=10)
    bodies = {m["Body"] for m in got["Messages"]}
    while len(bodies) < 5 and got.get("Messages"):
        got = sqs.receive_message(QueueUrl=f"{ferry.endpoint}/{dev}/forms", MaxNumberOfMessages=10)
        bodies |= {m["Body"] for m in got.get("Messages", [])}
    assert len(bodies) == 5
    raises(sqs.send_message, "InvalidAddress", QueueUrl="forms", MessageBody="x")


def test_organizations_answers_the_specific_not_found(ferry):
    org = ferry.client("organizations")
    root = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name="conf")["OrganizationalUnit"]
    got = org.describe_organizational_unit(OrganizationalUnitId=ou["Id"])["OrganizationalUnit"]
    assert got == {"Id": ou["Id"], "Arn": ou["Arn"], "Name": "conf"}
    missing = ou["Id"][:-8] + "zzzzzzzz"
    with pytest.raises(org.exceptions.OrganizationalUnitNotFoundException):
        org.describe_organizational_unit(OrganizationalUnitId=missing)
    assert org.list_parents(ChildId=ou["Id"])["Parents"] == [{"Id": root, "Type": "ROOT"}]
    me = acct(ferry, "management")
    assert org.list_parents(ChildId=me)["Parents"] == [{"Id": root, "Type": "ROOT"}]
    with pytest.raises(org.exceptions.ChildNotFoundException):
        org.list_parents(ChildId="999999999999")
    kids = org.list_children(ParentId=root, ChildType="ORGANIZATIONAL_UNIT")["Children"]
    assert {"Id": ou["Id"], "Type": "ORGANIZATIONAL_UNIT"} in kids
    assert {"Id": me, "Type": "ACCOUNT"} in \
        org.list_children(ParentId=root, ChildType="ACCOUNT")["Children"]
    with pytest.raises(org.exceptions.ParentNotFoundException):
        org.list_children(ParentId=missing, ChildType="ACCOUNT")
    with pytest.raises(org.exceptions.AccountNotFoundException):
        org.describe_account(AccountId="999999999999")
    with pytest.raises(org.exceptions.PolicyNotFoundException):
        org.describe_policy(PolicyId="p-zzzzzzzz")


def test_sns_unknown_topics_and_subscriptions_are_404_not_found(ferry):
    sns, me = ferry.client("sns", region="us-east-1"), acct(ferry, "management")
    topic = f"arn:aws:sns:us-east-1:{me}:no-such-topic"
    for fn, kw in ((sns.get_topic_attributes, {"TopicArn": topic}),
                   (sns.publish, {"TopicArn": topic, "Message": "m"}),
                   (sns.list_subscriptions_by_topic, {"TopicArn": topic}),
                   (sns.subscribe, {"TopicArn": topic, "Protocol": "email",
                                    "Endpoint": "a@example.com"}),
                   (sns.get_subscription_attributes,
                    {"SubscriptionArn": topic + ":8c9f3a6e-2c3e-4c6e-9c4e-0d1f2a3b4c5d"})):
        with pytest.raises(sns.exceptions.NotFoundException) as ex:
            fn(**kw)
        assert ex.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404, fn
        assert ex.value.response["Error"]["Code"] == "NotFound"
