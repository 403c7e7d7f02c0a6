"""AWS CodeStar Notifications through boto3 (rest-json): notification rules on a pipeline
(create, describe, update, list with filters, delete, idempotent tokens, AWS's errors), their
targets (Subscribe, Unsubscribe, ListTargets, DeleteTarget), the event type catalogue and tags;
and what a rule does: a pipeline's state change published to its SNS topics as
codestar-notifications.amazonaws.com (FULL with additionalAttributes, BASIC without), nothing
from a disabled rule, and a target whose topic policy refuses the service marked UNREACHABLE.
The aws CLI for one call; rules survive kill -9. (The service: src/svc/codestarnotifications.)"""
import json
import signal
import time
import uuid

import pytest
from ferrytest import Ferry, acct, raises

REGION = "us-east-1"
FAILED = "codepipeline-pipeline-pipeline-execution-failed"
STARTED = "codepipeline-pipeline-pipeline-execution-started"


def uniq(p):
    return f"{p}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def fx():
    f = Ferry().start(env={"FERRY_PIPELINE_INTERVAL": "0.1", "FERRY_NOTIFICATIONS_INTERVAL": "0.2"})
    f.init()
    yield f
    f.close()


@pytest.fixture
def csn(fx):
    return fx.client("codestar-notifications", region=REGION)


@pytest.fixture(scope="module")
def account(fx):
    return acct(fx, "management")


def pipe_arn(account, name="p"):
    return f"arn:aws:codepipeline:{REGION}:{account}:{name}"


def topic(fx, allow_service=True):
    """A topic and a queue subscribed to it; the topic's policy lets CodeStar Notifications
    publish when allow_service, else only the account's own principals."""
    sns, sqs = fx.client("sns", region=REGION), fx.client("sqs", region=REGION)
    arn = sns.create_topic(Name=uniq("t"))["TopicArn"]
    who = {"Service": "codestar-notifications.amazonaws.com"} if allow_service else {
        "AWS": f"arn:aws:iam::{arn.split(':')[4]}:root"}
    sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": who, "Action": "sns:Publish", "Resource": arn}]}))
    url = sqs.create_queue(QueueName=uniq("q"))["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": qarn}]})})
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    return arn, url


def rule(csn, resource, topic_arn, types=(FAILED,), detail="FULL", **kw):
    return csn.create_notification_rule(Name=uniq("r"), EventTypeIds=list(types), Resource=resource,
                                        Targets=[{"TargetType": "SNS", "TargetAddress": topic_arn}],
                                        DetailType=detail, **kw)["Arn"]


def test_rule_lifecycle(csn, account):
    t = f"arn:aws:sns:{REGION}:{account}:somewhere"
    arn = rule(csn, pipe_arn(account), t, types=(FAILED, STARTED), Tags={"team": "devops"})
    assert arn.startswith(f"arn:aws:codestar-notifications:{REGION}:{account}:notificationrule/")
    d = csn.describe_notification_rule(Arn=arn)
    assert d["Resource"] == pipe_arn(account) and d["Status"] == "ENABLED" and d["DetailType"] == "FULL"
    assert {e["EventTypeId"] for e in d["EventTypes"]} == {FAILED, STARTED}
    assert {"EventTypeId": FAILED, "ServiceName": "CodePipeline", "EventTypeName": "Pipeline execution: Failed",
            "ResourceType": "Pipeline"} in d["EventTypes"]
    assert d["Targets"] == [{"TargetAddress": t, "TargetType": "SNS", "TargetStatus": "PENDING"}]
    assert d["CreatedBy"] == f"arn:aws:iam::{account}:root" and d["Tags"] == {"team": "devops"}
    csn.update_notification_rule(Arn=arn, Status="DISABLED", EventTypeIds=[STARTED], DetailType="BASIC")
    d = csn.describe_notification_rule(Arn=arn)
    assert d["Status"] == "DISABLED" and [e["EventTypeId"] for e in d["EventTypes"]] == [STARTED]
    assert d["DetailType"] == "BASIC" and d["LastModifiedTimestamp"] >= d["CreatedTimestamp"]
    # names are unique; the same request again (its token) answers the same rule
    raises(lambda: csn.create_notification_rule(Name=d["Name"], EventTypeIds=[FAILED], Resource=pipe_arn(account),
                                                Targets=[], DetailType="FULL"), "ResourceAlreadyExistsException")
    kw = dict(Name=uniq("tok"), EventTypeIds=[FAILED], Resource=pipe_arn(account), DetailType="FULL",
              Targets=[], ClientRequestToken="token-1")
    assert csn.create_notification_rule(**kw)["Arn"] == csn.create_notification_rule(**kw)["Arn"]
    assert csn.delete_notification_rule(Arn=arn)["Arn"] == arn
    raises(lambda: csn.describe_notification_rule(Arn=arn), "ResourceNotFoundException")
    csn.delete_notification_rule(Arn=arn)  # AWS: gone already is fine


def test_validation(csn, account):
    t = f"arn:aws:sns:{REGION}:{account}:x"
    raises(lambda: rule(csn, pipe_arn(account), t, types=("codepipeline-pipeline-exploded",)),
           "ValidationException")
    raises(lambda: rule(csn, f"arn:aws:codebuild:{REGION}:{account}:project/b", t), "ValidationException")
    raises(lambda: rule(csn, pipe_arn(account), t, detail="VERBOSE"), "ValidationException")
    raises(lambda: csn.create_notification_rule(Name="bad/name", EventTypeIds=[FAILED], Resource=pipe_arn(account),
                                                Targets=[], DetailType="FULL"), "ValidationException")
    raises(lambda: csn.create_notification_rule(
        Name=uniq("r"), EventTypeIds=[FAILED], Resource=pipe_arn(account), DetailType="FULL",
        Targets=[{"TargetType": "Email", "TargetAddress": "a@example.com"}]), "ConfigurationException")
    raises(lambda: rule(csn, pipe_arn(account), t, Tags={"aws:x": "y"}), "ValidationException")
    raises(lambda: csn.describe_notification_rule(
        Arn=f"arn:aws:codestar-notifications:{REGION}:{account}:notificationrule/{'0' * 40}"),
        "ResourceNotFoundException")


def test_lists_targets_and_tags(csn, account):
    res = pipe_arn(account, uniq("listed"))
    t1, t2 = (f"arn:aws:sns:{REGION}:{account}:{uniq('t')}" for _ in range(2))
    a = rule(csn, res, t1)
    b = rule(csn, res, t2, types=(STARTED,))

    def ids(*filters):
        return {r["Arn"] for r in csn.list_notification_rules(Filters=list(filters))["NotificationRules"]}
    assert ids({"Name": "RESOURCE", "Value": res}) == {a, b}
    assert ids({"Name": "RESOURCE", "Value": res}, {"Name": "EVENT_TYPE_ID", "Value": STARTED}) == {b}
    assert ids({"Name": "TARGET_ADDRESS", "Value": t1}) == {a}
    assert csn.subscribe(Arn=a, Target={"TargetType": "SNS", "TargetAddress": t2})["Arn"] == a
    assert ids({"Name": "TARGET_ADDRESS", "Value": t2}) == {a, b}
    csn.unsubscribe(Arn=a, TargetAddress=t2)
    assert ids({"Name": "TARGET_ADDRESS", "Value": t2}) == {b}
    targets = csn.list_targets(Filters=[{"Name": "TARGET_ADDRESS", "Value": t2}])["Targets"]
    assert targets == [{"TargetAddress": t2, "TargetType": "SNS", "TargetStatus": "PENDING"}]
    raises(lambda: csn.delete_target(TargetAddress=t2), "ValidationException")
    csn.delete_target(TargetAddress=t2, ForceUnsubscribeAll=True)
    assert csn.describe_notification_rule(Arn=b)["Targets"] == []
    # tags
    assert csn.tag_resource(Arn=a, Tags={"k1": "v1", "k2": "v2"})["Tags"] == {"k1": "v1", "k2": "v2"}
    csn.untag_resource(Arn=a, TagKeys=["k1"])
    assert csn.list_tags_for_resource(Arn=a)["Tags"] == {"k2": "v2"}
    # the catalogue: the pipeline's event types, by service and resource type, in pages
    types = csn.list_event_types(Filters=[{"Name": "SERVICE_NAME", "Value": "CodePipeline"}])["EventTypes"]
    ids_ = {e["EventTypeId"] for e in types}
    for t in ("codepipeline-pipeline-action-execution-failed", "codepipeline-pipeline-stage-execution-resumed",
              "codepipeline-pipeline-manual-approval-needed", "codepipeline-pipeline-pipeline-execution-superseded"):
        assert t in ids_
    page = csn.list_event_types(MaxResults=5)
    assert len(page["EventTypes"]) == 5 and page["NextToken"]
    raises(lambda: csn.list_event_types(NextToken="nope"), "InvalidNextTokenException")


def pipeline(fx, name):
    """A pipeline whose S3 source names an object that is not there: it starts, then fails."""
    iam, s3 = fx.client("iam"), fx.client("s3", region=REGION)
    bucket = uniq("art")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    role = iam.create_role(RoleName=uniq("cp"), AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role.split("/")[-1], PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    cp = fx.client("codepipeline", region=REGION)
    cp.create_pipeline(pipeline={
        "name": name, "roleArn": role, "artifactStore": {"type": "S3", "location": bucket},
        "stages": [
            {"name": "Source", "actions": [{
                "name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                "configuration": {"S3Bucket": bucket, "S3ObjectKey": "missing.zip", "PollForSourceChanges": "false"},
                "outputArtifacts": [{"name": "Src"}]}]},
            {"name": "Hold", "actions": [{
                "name": "Approve", "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual",
                                                    "version": "1"}}]}]})
    return cp


def messages(fx, url, n, timeout=15):
    sqs = fx.client("sqs", region=REGION)
    got, deadline = [], time.time() + timeout
    while len(got) < n:
        assert time.time() < deadline, got
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            got.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return got


def test_delivery(fx, csn, account):
    name = uniq("notified")
    full_t, full_q = topic(fx)
    basic_t, basic_q = topic(fx)
    off_t, off_q = topic(fx)
    shut_t, shut_q = topic(fx, allow_service=False)
    full = rule(csn, pipe_arn(account, name), full_t, types=(FAILED, STARTED))
    basic = rule(csn, pipe_arn(account, name), basic_t, types=(FAILED,), detail="BASIC")
    rule(csn, pipe_arn(account, name), off_t, Status="DISABLED")
    shut = rule(csn, pipe_arn(account, name), shut_t)
    cp = pipeline(fx, name)  # creating it starts it
    got = messages(fx, full_q, 2)
    by_state = {m["detail"]["state"]: m for m in got}
    assert set(by_state) == {"STARTED", "FAILED"}
    f = by_state["FAILED"]
    assert f["detailType"] == "CodePipeline Pipeline Execution State Change" and f["source"] == "aws.codepipeline"
    assert f["account"] == account and f["region"] == REGION and f["notificationRuleArn"] == full
    assert f["resources"] == [pipe_arn(account, name)] and f["detail"]["pipeline"] == name
    xid = cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"][0]["pipelineExecutionId"]
    assert f["detail"]["execution-id"] == xid
    attrs = f["additionalAttributes"]
    assert attrs["failedStage"] == "Source" and attrs["failedActionCount"] == 1
    assert attrs["failedActions"][0]["action"] == "Source" and attrs["failedActions"][0]["additionalInformation"]
    b = messages(fx, basic_q, 1)[0]
    assert b["detail"]["state"] == "FAILED" and "additionalAttributes" not in b
    # the disabled rule sent nothing; the refused topic is unreachable; the others active
    deadline = time.time() + 10
    while csn.describe_notification_rule(Arn=shut)["Targets"][0]["TargetStatus"] != "UNREACHABLE":
        assert time.time() < deadline, csn.describe_notification_rule(Arn=shut)
        time.sleep(0.1)
    assert csn.describe_notification_rule(Arn=full)["Targets"][0]["TargetStatus"] == "ACTIVE"
    assert csn.describe_notification_rule(Arn=basic)["Targets"][0]["TargetStatus"] == "ACTIVE"
    sqs = fx.client("sqs", region=REGION)
    assert not sqs.receive_message(QueueUrl=off_q, WaitTimeSeconds=0).get("Messages")
    assert not sqs.receive_message(QueueUrl=shut_q, WaitTimeSeconds=0).get("Messages")
    unreachable = csn.list_targets(Filters=[{"Name": "TARGET_STATUS", "Value": "UNREACHABLE"}])["Targets"]
    assert [t["TargetAddress"] for t in unreachable] == [shut_t]


def test_cli_and_kill9(fx, account):
    out = fx.aws("codestar-notifications", "list-event-types", "--filters",
                 "Name=RESOURCE_TYPE,Value=Pipeline", region=REGION).json
    assert len(out["EventTypes"]) == 18
    csn = fx.client("codestar-notifications", region=REGION)
    arn = rule(csn, pipe_arn(account, "durable"), f"arn:aws:sns:{REGION}:{account}:d")
    fx.stop(signal.SIGKILL)
    fx.start(env={"FERRY_PIPELINE_INTERVAL": "0.1", "FERRY_NOTIFICATIONS_INTERVAL": "0.2"})
    csn2 = fx.client("codestar-notifications", region=REGION)
    assert csn2.describe_notification_rule(Arn=arn)["Resource"] == pipe_arn(account, "durable")
