"""EventBridge through boto3 and the aws CLI (svc/events/, engine/events_bus.c): rules and
targets with AWS's errors, PutEvents' entry errors, delivery of the full envelope to an SQS
target (the queue's policy decides), InputPath and InputTransformer, a Lambda target
(its resource policy decides), the pattern language through TestEventPattern, scheduled
rules (FERRY_EVENTS_TIME_SCALE shortens rate()), retries and the dead-letter queue,
custom buses and a bus in another account behind its policy, and CloudFormation's
AWS::Events::Rule / AWS::Events::EventBus."""
import datetime
import json
import signal
import time

import pytest
from ferrytest import Ferry, acct, raises, zipped
from test_lambda_async import queue as async_queue
from test_lambda_async import receive as async_receive

ENV = {"FERRY_EVENTS_TIME_SCALE": "0.001", "FERRY_EVENTS_INTERVAL": "0.1",
       "FERRY_LAMBDA_ASYNC_TIME_SCALE": "0.01"}


@pytest.fixture(scope="module")
def fx():
    f = Ferry().start(env=ENV)
    f.init()
    yield f
    f.close()


@pytest.fixture(scope="module")
def ev(fx):
    return fx.client("events", "dev")


@pytest.fixture(scope="module")
def sqs(fx):
    return fx.client("sqs", "dev")


def queue(sqs, name, allow_events=True):
    """A queue (url, arn); with a policy that lets EventBridge send to it unless told not to."""
    url, arn = async_queue(sqs, name)
    if allow_events:
        pol = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": arn}]}
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(pol)})
    return url, arn


def receive(sqs, url, n=1, seconds=10, attrs=False):
    """Messages received and deleted: bodies parsed as JSON (the whole message with attrs)."""
    return async_receive(sqs, url, n, seconds=seconds, attrs=attrs)


def test_rules_crud_and_errors(fx, ev):
    dev = acct(fx, "dev")
    region = ev.meta.region_name
    arn = ev.put_rule(Name="r1", EventPattern=json.dumps({"source": ["my.app"]}),
                      Description="d")["RuleArn"]
    assert arn == f"arn:aws:events:{region}:{dev}:rule/r1"
    ev.put_rule(Name="r2", ScheduleExpression="rate(5 minutes)", State="DISABLED")
    d = ev.describe_rule(Name="r1")
    assert d["Arn"] == arn and d["State"] == "ENABLED" and d["EventBusName"] == "default"
    assert json.loads(d["EventPattern"]) == {"source": ["my.app"]} and d["Description"] == "d"
    assert d["CreatedBy"] == dev
    assert ev.describe_rule(Name="r2")["ScheduleExpression"] == "rate(5 minutes)"
    names = [r["Name"] for r in ev.list_rules()["Rules"]]
    assert names == ["r1", "r2"]
    assert [r["Name"] for r in ev.list_rules(NamePrefix="r2")["Rules"]] == ["r2"]
    page = ev.list_rules(Limit=1)
    assert len(page["Rules"]) == 1 and "NextToken" in page
    assert ev.list_rules(NextToken=page["NextToken"])["Rules"][0]["Name"] == "r2"
    ev.disable_rule(Name="r1")
    assert ev.describe_rule(Name="r1")["State"] == "DISABLED"
    ev.enable_rule(Name="r1")
    raises(ev.describe_rule, "ResourceNotFoundException",
           "Rule nope does not exist on EventBus default.", Name="nope")
    raises(ev.enable_rule, "ResourceNotFoundException", Name="nope")
    raises(ev.put_rule, "ValidationException",
           "Parameter(s) EventPattern or ScheduleExpression must be specified.", Name="x")
    raises(ev.put_rule, "ValidationException", "Parameter ScheduleExpression is not valid.",
           Name="x", ScheduleExpression="rate(1 minutes)")
    raises(ev.put_rule, "InvalidEventPatternException", Name="x", EventPattern="{\"source\": \"a\"}")
    raises(ev.put_rule, "InvalidEventPatternException", Name="x", EventPattern="[1]")
    raises(ev.put_rule, "ResourceNotFoundException", "Event bus nobus does not exist.",
           Name="x", EventPattern="{}", EventBusName="nobus")
    # targets: the shape of failures, the delete refusal
    out = ev.put_targets(Rule="r1", Targets=[{"Id": "a", "Arn": "arn:aws:sqs:us-east-1:%s:q" % dev},
                                             {"Id": "b", "Arn": "not-an-arn"}])
    assert out["FailedEntryCount"] == 1
    assert out["FailedEntries"][0]["TargetId"] == "b"
    assert out["FailedEntries"][0]["ErrorCode"] == "ValidationException"
    assert [t["Id"] for t in ev.list_targets_by_rule(Rule="r1")["Targets"]] == ["a"]
    assert ev.list_rule_names_by_target(TargetArn="arn:aws:sqs:us-east-1:%s:q" % dev)["RuleNames"] == ["r1"]
    raises(ev.delete_rule, "ValidationException", "Rule can't be deleted since it has targets.", Name="r1")
    raises(ev.put_targets, "ResourceNotFoundException", Rule="nope",
           Targets=[{"Id": "a", "Arn": "arn:aws:sqs:us-east-1:%s:q" % dev}])
    raises(ev.put_targets, "ValidationException", Rule="r1",
           Targets=[{"Id": "c", "Arn": "arn:aws:sqs:us-east-1:%s:q" % dev, "Input": "{}", "InputPath": "$.detail"}])
    assert ev.remove_targets(Rule="r1", Ids=["a"])["FailedEntryCount"] == 0
    ev.delete_rule(Name="r1")
    ev.delete_rule(Name="r1")  # gone already: no error, as AWS
    ev.delete_rule(Name="r2")
    assert ev.list_rules()["Rules"] == []
    # tags by ARN
    arn = ev.put_rule(Name="tagged", EventPattern="{\"source\":[\"x\"]}", Tags=[{"Key": "k", "Value": "v"}])["RuleArn"]
    ev.tag_resource(ResourceARN=arn, Tags=[{"Key": "k2", "Value": "v2"}])
    tags = {t["Key"]: t["Value"] for t in ev.list_tags_for_resource(ResourceARN=arn)["Tags"]}
    assert tags == {"k": "v", "k2": "v2"}
    ev.untag_resource(ResourceARN=arn, TagKeys=["k"])
    assert ev.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "k2", "Value": "v2"}]
    ev.delete_rule(Name="tagged")


def test_put_events_entry_errors(ev):
    r = ev.put_events(Entries=[
        {"Source": "my.app", "DetailType": "t", "Detail": "{}"},
        {"Source": "my.app", "DetailType": "t"},
        {"Source": "my.app", "DetailType": "t", "Detail": "[1]"},
        {"Source": "aws.codecommit", "DetailType": "t", "Detail": "{}"},
        {"Source": "my.app", "DetailType": "t", "Detail": "{}", "EventBusName": "nobus"},
    ])
    assert r["FailedEntryCount"] == 4
    e = r["Entries"]
    assert "EventId" in e[0]
    assert e[1]["ErrorCode"] == "InvalidArgument"
    assert e[1]["ErrorMessage"] == "Parameter Detail is not valid. Reason: Detail is a required argument."
    assert e[2] == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    assert e[3]["ErrorCode"] == "NotAuthorizedForSourceException"
    assert e[4]["ErrorCode"] == "ResourceNotFoundException"
    raises(ev.put_events, "ValidationException",
           Entries=[{"Source": "a", "DetailType": "t", "Detail": "{}"}] * 11)
    # 1 MB a request since AWS raised it (2026): one large entry passes, more than 1 MB not
    big = json.dumps({"d": "x" * 1040000})
    assert ev.put_events(Entries=[{"Source": "my.app", "DetailType": "t", "Detail": big}])["FailedEntryCount"] == 0
    raises(ev.put_events, "ValidationException", "Total size of the entries in the request is over the limit.",
           Entries=[{"Source": "my.app", "DetailType": "t", "Detail": big}] * 2)


def test_sqs_target_envelope_and_inputs(fx, ev, sqs):
    dev = acct(fx, "dev")
    url, arn = queue(sqs, "ev-all")
    url2, arn2 = queue(sqs, "ev-path")
    url3, arn3 = queue(sqs, "ev-tr")
    url4, arn4 = queue(sqs, "ev-const")
    closed_url, closed_arn = queue(sqs, "ev-closed", allow_events=False)
    pattern = {"source": ["my.shop"], "detail": {"total": [{"numeric": [">", 10]}]}}
    rule_arn = ev.put_rule(Name="orders", EventPattern=json.dumps(pattern))["RuleArn"]
    ev.put_targets(Rule="orders", Targets=[
        {"Id": "all", "Arn": arn},
        {"Id": "path", "Arn": arn2, "InputPath": "$.detail.customer"},
        {"Id": "tr", "Arn": arn3, "InputTransformer": {
            "InputPathsMap": {"who": "$.detail.customer.name", "total": "$.detail.total"},
            "InputTemplate": "{\"msg\": \"<who> paid <total>\", \"total\": <total>, \"who\": <who>, \"rule\": \"<aws.events.rule-name>\"}"}},
        {"Id": "const", "Arn": arn4, "Input": "{\"fixed\": true}"},
        {"Id": "closed", "Arn": closed_arn},
    ])
    r = ev.put_events(Entries=[
        {"Source": "my.shop", "DetailType": "Order Placed", "Resources": ["arn:aws:x:::o/1"],
         "Time": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
         "Detail": json.dumps({"total": 42, "customer": {"name": "ann", "tier": 1}})},
        {"Source": "my.shop", "DetailType": "Order Placed", "Detail": json.dumps({"total": 5})},
        {"Source": "other", "DetailType": "Order Placed", "Detail": json.dumps({"total": 50})},
    ])
    assert r["FailedEntryCount"] == 0
    got = receive(sqs, url)
    assert len(got) == 1
    env = got[0]
    assert env["version"] == "0" and env["id"] == r["Entries"][0]["EventId"]
    assert env["source"] == "my.shop" and env["detail-type"] == "Order Placed"
    assert env["account"] == dev and env["region"] == ev.meta.region_name
    assert env["resources"] == ["arn:aws:x:::o/1"] and env["detail"]["total"] == 42
    assert env["time"] == "2024-01-02T03:04:05Z"
    assert receive(sqs, url2)[0] == {"name": "ann", "tier": 1}
    assert receive(sqs, url3)[0] == {"msg": "ann paid 42", "total": 42, "who": "ann",
                                                  "rule": "orders"}
    assert receive(sqs, url4)[0] == {"fixed": True}
    # the queue without a policy for events.amazonaws.com gets nothing; nor the others more
    assert receive(sqs, closed_url, seconds=1) == []
    assert receive(sqs, url, seconds=1) == []
    ev.remove_targets(Rule="orders", Ids=["all", "path", "tr", "const", "closed"])
    ev.delete_rule(Name="orders")
    assert rule_arn.endswith(":rule/orders")


def test_sns_target_and_kill9(fx, ev, sqs):
    sns = fx.client("sns", "dev")
    topic = sns.create_topic(Name="ev-topic")["TopicArn"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sns:Publish", "Resource": topic}]}))
    url, arn = queue(sqs, "ev-from-sns", allow_events=False)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": arn}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    durl, darn = queue(sqs, "ev-durable")
    ev.put_rule(Name="fan", EventPattern=json.dumps({"source": ["fan.test"]}))
    ev.put_targets(Rule="fan", Targets=[{"Id": "t", "Arn": topic}, {"Id": "q", "Arn": darn}])
    ev.put_events(Entries=[{"Source": "fan.test", "DetailType": "t", "Detail": "{\"via\": \"sns\"}"}])
    got = receive(sqs, url)
    assert len(got) == 1 and got[0]["detail"] == {"via": "sns"}
    receive(sqs, durl)
    # accepted events survive a kill -9 that comes before (or after) their delivery: each
    # arrives once
    ids = [ev.put_events(Entries=[{"Source": "fan.test", "DetailType": "t", "Detail": json.dumps({"n": n})}])
           ["Entries"][0]["EventId"] for n in range(5)]
    fx.stop(signal.SIGKILL)
    fx.start(env=ENV)
    sqs2 = fx.client("sqs", "dev")
    got = receive(sqs2, durl, n=5)
    time.sleep(0.5)
    got += receive(sqs2, durl, seconds=1)
    assert sorted(m["id"] for m in got) == sorted(ids)
    ev2 = fx.client("events", "dev")
    ev2.remove_targets(Rule="fan", Ids=["t", "q"])
    ev2.delete_rule(Name="fan")


def test_retry_policy_and_dead_letter(fx, ev, sqs):
    dev = acct(fx, "dev")
    dlq_url, dlq_arn = queue(sqs, "ev-dlq")
    missing = f"arn:aws:sqs:{ev.meta.region_name}:{dev}:no-such-queue"
    ev.put_rule(Name="to-missing", EventPattern=json.dumps({"source": ["dlq.test"]}))
    ev.put_targets(Rule="to-missing", Targets=[{"Id": "m", "Arn": missing,
                                                "RetryPolicy": {"MaximumRetryAttempts": 2},
                                                "DeadLetterConfig": {"Arn": dlq_arn}}])
    eid = ev.put_events(Entries=[{"Source": "dlq.test", "DetailType": "t", "Detail": "{}"}])["Entries"][0]["EventId"]
    m = receive(sqs, dlq_url, attrs=True)
    assert len(m) == 1
    assert json.loads(m[0]["Body"])["id"] == eid
    a = {k: v["StringValue"] for k, v in m[0]["MessageAttributes"].items()}
    assert a["RULE_ARN"].endswith(":rule/to-missing") and a["TARGET_ARN"] == missing
    assert a["ERROR_CODE"]
    ev.remove_targets(Rule="to-missing", Ids=["m"])
    ev.delete_rule(Name="to-missing")


PATTERNS = [
    ({"source": ["a", "b"]}, {"source": "b"}, True),
    ({"source": ["a"]}, {"source": "c"}, False),
    ({"detail": {"x": [{"prefix": "ab"}]}}, {"detail": {"x": "abc"}}, True),
    ({"detail": {"x": [{"suffix": ".png"}]}}, {"detail": {"x": "a.jpg"}}, False),
    ({"detail": {"x": [{"anything-but": ["a", "b"]}]}}, {"detail": {"x": "c"}}, True),
    ({"detail": {"x": [{"anything-but": "a"}]}}, {"detail": {"x": "a"}}, False),
    ({"detail": {"x": [{"anything-but": {"prefix": "tmp"}}]}}, {"detail": {"x": "tmpfile"}}, False),
    ({"detail": {"n": [{"numeric": [">", 0, "<=", 5]}]}}, {"detail": {"n": 5}}, True),
    ({"detail": {"n": [{"numeric": [">", 0, "<=", 5]}]}}, {"detail": {"n": 6}}, False),
    ({"detail": {"x": [{"exists": True}]}}, {"detail": {}}, False),
    ({"detail": {"x": [{"exists": False}]}}, {"detail": {}}, True),
    ({"detail": {"x": [{"equals-ignore-case": "HeLLo"}]}}, {"detail": {"x": "hello"}}, True),
    ({"detail": {"x": [{"wildcard": "dir/*.png"}]}}, {"detail": {"x": "dir/a/b.png"}}, True),
    ({"detail": {"x": [{"wildcard": "dir/*.png"}]}}, {"detail": {"x": "dir/a.jpg"}}, False),
    ({"detail": {"tags": ["prod"]}}, {"detail": {"tags": ["dev", "prod"]}}, True),
    ({"$or": [{"source": ["a"]}, {"detail": {"y": [1]}}]}, {"source": "z", "detail": {"y": 1}}, True),
    ({"$or": [{"source": ["a"]}, {"detail": {"y": [1]}}]}, {"source": "z", "detail": {"y": 2}}, False),
    ({"detail": {"a": {"b": [None]}}}, {"detail": {"a": {"b": None}}}, True),
    ({"source": ["a"], "detail-type": ["t"]}, {"source": "a", "detail-type": "u"}, False),
]


@pytest.mark.parametrize("pattern,fields,want", PATTERNS)
def test_pattern_semantics(ev, pattern, fields, want):
    event = {"id": "1", "account": "123456789012", "source": "s", "time": "2024-01-01T00:00:00Z",
             "region": "us-east-1", "detail-type": "t", "resources": [], "detail": {}}
    event.update(fields)
    assert ev.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(event))["Result"] is want


def test_pattern_errors(ev):
    event = json.dumps({"id": "1", "account": "123456789012", "source": "s", "time": "t",
                        "region": "us-east-1", "detail-type": "t", "detail": {}})
    msg = raises(ev.test_event_pattern, "InvalidEventPatternException",
                 EventPattern=json.dumps({"source": [{"nope": 1}]}), Event=event)
    assert msg.startswith("Event pattern is not valid. Reason: ")
    raises(ev.test_event_pattern, "InvalidEventPatternException", EventPattern="{", Event=event)
    raises(ev.test_event_pattern, "ValidationException", EventPattern="{}", Event="{}")


def test_schedule_fires(ev, sqs):
    url, arn = queue(sqs, "ev-sched")
    # rate(1 minute) at FERRY_EVENTS_TIME_SCALE 0.001: every 0.06 s
    rule_arn = ev.put_rule(Name="tick", ScheduleExpression="rate(1 minute)")["RuleArn"]
    ev.put_targets(Rule="tick", Targets=[{"Id": "q", "Arn": arn}])
    got = receive(sqs, url, n=2)
    assert len(got) >= 2
    e = got[0]
    assert e["source"] == "aws.events" and e["detail-type"] == "Scheduled Event"
    assert e["detail"] == {} and e["resources"] == [rule_arn]
    ev.disable_rule(Name="tick")
    time.sleep(0.3)
    receive(sqs, url, n=100, seconds=1)
    assert receive(sqs, url, seconds=1) == []
    ev.remove_targets(Rule="tick", Ids=["q"])
    ev.delete_rule(Name="tick")


def test_custom_bus_and_cross_account(fx, ev, sqs):
    dev, prod = acct(fx, "dev"), acct(fx, "prod")
    region = ev.meta.region_name
    assert ev.create_event_bus(Name="app")["EventBusArn"] == f"arn:aws:events:{region}:{dev}:event-bus/app"
    raises(ev.create_event_bus, "ResourceAlreadyExistsException", Name="app")
    raises(ev.create_event_bus, "ResourceAlreadyExistsException", Name="default")
    assert [b["Name"] for b in ev.list_event_buses()["EventBuses"]] == ["default", "app"]
    assert ev.describe_event_bus()["Name"] == "default"
    raises(ev.describe_event_bus, "ResourceNotFoundException", "Event bus nobus does not exist.", Name="nobus")
    raises(ev.put_rule, "ValidationException", Name="s", ScheduleExpression="rate(1 hour)", EventBusName="app")
    url, arn = queue(sqs, "ev-app")
    ev.put_rule(Name="on-app", EventBusName="app", EventPattern=json.dumps({"source": ["x.y"]}))
    ev.put_targets(Rule="on-app", EventBusName="app", Targets=[{"Id": "q", "Arn": arn}])
    assert ev.list_rules(EventBusName="app")["Rules"][0]["Arn"].endswith(":rule/app/on-app")
    # prod puts onto dev's bus: refused until the bus policy allows prod
    pev = fx.client("events", "prod")
    bus_arn = f"arn:aws:events:{region}:{dev}:event-bus/app"
    entry = {"Source": "x.y", "DetailType": "t", "Detail": "{\"from\": \"prod\"}", "EventBusName": bus_arn}
    raises(pev.put_events, "AccessDeniedException", Entries=[entry])
    ev.put_permission(EventBusName="app", Action="events:PutEvents", Principal=prod, StatementId="prod")
    pol = json.loads(ev.describe_event_bus(Name="app")["Policy"])
    assert pol["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{prod}:root"}
    assert pev.put_events(Entries=[entry])["FailedEntryCount"] == 0
    got = receive(sqs, url)
    assert len(got) == 1 and got[0]["account"] == prod
    # a rule in prod whose target is dev's bus: forwarded through the same policy
    pev.put_rule(Name="fwd", EventPattern=json.dumps({"source": ["x.y"]}))
    pev.put_targets(Rule="fwd", Targets=[{"Id": "bus", "Arn": bus_arn}])
    pev.put_events(Entries=[{"Source": "x.y", "DetailType": "t", "Detail": "{\"hop\": 1}"}])
    got = receive(sqs, url)
    assert len(got) == 1 and got[0]["detail"] == {"hop": 1}
    ev.remove_permission(EventBusName="app", StatementId="prod")
    raises(ev.remove_permission, "ResourceNotFoundException", EventBusName="app", StatementId="prod")
    raises(pev.put_events, "AccessDeniedException", Entries=[entry])
    raises(ev.delete_event_bus, "ValidationException", Name="default")
    ev.delete_event_bus(Name="app")
    assert [b["Name"] for b in ev.list_event_buses()["EventBuses"]] == ["default"]


HANDLER = {"index.py": """import json, os
import boto3


def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["OUT"], MessageBody=json.dumps(event))
    return {}
"""}

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def test_lambda_target(fx, ev, sqs):
    iam = fx.client("iam", "dev")
    lam = fx.client("lambda", "dev")
    role = iam.create_role(RoleName="ev-fn", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName="ev-fn", PolicyName="send", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}))
    out, _ = queue(sqs, "ev-fn-out", allow_events=False)
    fn = lam.create_function(FunctionName="ev-fn", Runtime="python3.12", Role=role, Handler="index.handler",
                             Code={"ZipFile": zipped(HANDLER)}, Environment={"Variables": {"OUT": out}},
                             Timeout=30)["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName="ev-fn", WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    rule_arn = ev.put_rule(Name="to-fn", EventPattern=json.dumps({"source": ["fn.test"]}))["RuleArn"]
    ev.put_targets(Rule="to-fn", Targets=[{"Id": "f", "Arn": fn}])
    # no permission for events.amazonaws.com yet: nothing runs
    ev.put_events(Entries=[{"Source": "fn.test", "DetailType": "t", "Detail": "{\"n\": 1}"}])
    assert receive(sqs, out, seconds=2) == []
    lam.add_permission(FunctionName="ev-fn", StatementId="ev", Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com", SourceArn=rule_arn)
    ev.put_events(Entries=[{"Source": "fn.test", "DetailType": "t", "Detail": "{\"n\": 2}"}])
    got = receive(sqs, out, seconds=20)
    assert len(got) == 1 and got[0]["detail"] == {"n": 2}


def test_cli(fx):
    out = fx.aws("events", "put-rule", "--name", "cli-rule", "--event-pattern",
                 '{"source": ["cli"]}', profile="qa")
    assert out.json["RuleArn"].endswith(":rule/cli-rule")
    rules = fx.aws("events", "list-rules", profile="qa").json["Rules"]
    assert [r["Name"] for r in rules] == ["cli-rule"]
    res = fx.aws("events", "test-event-pattern", "--event-pattern", '{"source": ["cli"]}',
                            "--event", json.dumps({"id": "1", "account": "123456789012", "source": "cli",
                                                   "time": "t", "region": "us-east-1", "detail-type": "x",
                                                   "detail": {}}), profile="qa").json
    assert res["Result"] is True


def test_cloudformation_rule_and_bus(fx, ev, sqs):
    from test_cfn_providers import Stacks, out
    prod, qa = acct(fx, "prod"), acct(fx, "qa")
    stacks = Stacks(fx)
    queue_policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage", "Resource": {"Fn::GetAtt": ["Q", "Arn"]}}]}

    def tpl(detail_type, target_input=None):
        target = {"Id": "q", "Arn": {"Fn::GetAtt": ["Q", "Arn"]}}
        if target_input:
            target["Input"] = target_input
        return {"Resources": {
            "Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "cfn-ev"}},
            "QP": {"Type": "AWS::SQS::QueuePolicy", "Properties": {
                "Queues": [{"Ref": "Q"}], "PolicyDocument": queue_policy}},
            "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "cfn-bus"}},
            "R": {"Type": "AWS::Events::Rule", "Properties": {
                "EventPattern": {"source": ["cfn.test"], "detail-type": [detail_type]},
                "Targets": [target]}},
            "BP": {"Type": "AWS::Events::EventBusPolicy", "Properties": {
                "EventBusName": {"Ref": "Bus"}, "StatementId": "from-prod",
                "Statement": {"Effect": "Allow", "Principal": {"AWS": prod},
                              "Action": "events:PutEvents", "Resource": {"Fn::GetAtt": ["Bus", "Arn"]}}}},
            "BP2": {"Type": "AWS::Events::EventBusPolicy", "Properties": {
                "EventBusName": {"Ref": "Bus"}, "StatementId": "from-qa", "Action": "events:PutEvents",
                "Principal": qa}},
            "OnBus": {"Type": "AWS::Events::Rule", "Properties": {
                "Name": "on-cfn-bus", "EventBusName": {"Ref": "Bus"},
                "EventPattern": {"source": ["x"]}}}},
            "Outputs": out(("Name", {"Ref": "R"}), ("Arn", {"Fn::GetAtt": ["R", "Arn"]}),
                           ("Bus", {"Ref": "Bus"}), ("BusArn", {"Fn::GetAtt": ["Bus", "Arn"]}),
                           ("OnBus", {"Ref": "OnBus"}))}

    s = stacks.deploy("ev-stack", tpl("a"))
    name = s["Out"]["Name"]
    assert name.startswith("ev-stack-R-") and s["Out"]["Arn"].endswith(":rule/" + name)
    assert s["Out"]["Bus"] == "cfn-bus" and s["Out"]["BusArn"].endswith(":event-bus/cfn-bus")
    assert s["Out"]["OnBus"] == "cfn-bus|on-cfn-bus"
    pol = json.loads(ev.describe_event_bus(Name="cfn-bus")["Policy"])
    assert sorted(st["Sid"] for st in pol["Statement"]) == ["from-prod", "from-qa"]
    entry = {"Source": "x", "DetailType": "t", "Detail": "{}", "EventBusName": s["Out"]["BusArn"]}
    assert fx.client("events", "prod").put_events(Entries=[entry])["FailedEntryCount"] == 0
    url = sqs.get_queue_url(QueueName="cfn-ev")["QueueUrl"]
    ev.put_events(Entries=[{"Source": "cfn.test", "DetailType": "a", "Detail": "{}"}])
    assert receive(sqs, url)[0]["detail-type"] == "a"
    # in place: the pattern and the target's input
    s = stacks.deploy("ev-stack", tpl("b", "{\"changed\": 1}"), update=True)
    assert s["Out"]["Name"] == name
    ev.put_events(Entries=[{"Source": "cfn.test", "DetailType": "b", "Detail": "{}"}])
    assert receive(sqs, url)[0] == {"changed": 1}
    stacks.delete(s)
    raises(ev.describe_rule, "ResourceNotFoundException", Name=name)
    assert [b["Name"] for b in ev.list_event_buses()["EventBuses"]] == ["default"]


def test_s3_events_when_the_bucket_turns_eventbridge_on(fx, ev, sqs):
    """A bucket whose notification configuration has EventBridgeConfiguration puts AWS's
    "Object Created" and "Object Deleted" on its owner's default bus; one without does not."""
    s3 = fx.client("s3", "dev", region="us-east-1")
    dev = acct(fx, "dev")
    url, arn = queue(sqs, "ev-s3")
    ev.put_rule(Name="s3-objects", EventPattern=json.dumps({
        "source": ["aws.s3"], "detail": {"bucket": {"name": ["ev-on", "ev-off"]}}}))
    ev.put_targets(Rule="s3-objects", Targets=[{"Id": "q", "Arn": arn}])
    for b in ("ev-on", "ev-off"):
        s3.create_bucket(Bucket=b)
    s3.put_bucket_notification_configuration(Bucket="ev-on", NotificationConfiguration={
        "EventBridgeConfiguration": {}})
    assert "EventBridgeConfiguration" in s3.get_bucket_notification_configuration(Bucket="ev-on")
    s3.put_object(Bucket="ev-off", Key="k", Body=b"x")
    etag = s3.put_object(Bucket="ev-on", Key="dir/a b.txt", Body=b"hello")["ETag"]
    s3.delete_object(Bucket="ev-on", Key="dir/a b.txt")
    got = sorted(receive(sqs, url, n=2), key=lambda m: m["detail-type"])
    assert [m["detail-type"] for m in got] == ["Object Created", "Object Deleted"], got
    c, d = got
    assert c["source"] == "aws.s3" and c["account"] == dev and c["region"] == "us-east-1"
    assert c["resources"] == ["arn:aws:s3:::ev-on"]
    assert c["detail"]["object"]["key"] == "dir/a b.txt" and c["detail"]["object"]["size"] == 5
    assert c["detail"]["object"]["etag"] == etag.strip('"') and c["detail"]["reason"] == "PutObject"
    assert d["detail"]["reason"] == "DeleteObject"
    assert d["detail"]["deletion-type"] == "Permanently Deleted"
    assert receive(sqs, url, n=1, seconds=1) == []


def test_cloudformation_stack_status_changes(fx, ev, sqs):
    """Each status of a stack is AWS's "CloudFormation Stack Status Change" on the default bus."""
    cfn = fx.client("cloudformation", "dev")
    url, arn = queue(sqs, "ev-cfn")
    ev.put_rule(Name="stacks", EventPattern=json.dumps({
        "source": ["aws.cloudformation"], "detail-type": ["CloudFormation Stack Status Change"],
        "detail": {"stack-id": [{"wildcard": "*:stack/ev-stack/*"}]}}))
    ev.put_targets(Rule="stacks", Targets=[{"Id": "q", "Arn": arn}])
    sid = cfn.create_stack(StackName="ev-stack", TemplateBody=json.dumps({"Resources": {
        "T": {"Type": "AWS::SNS::Topic"}}}))["StackId"]
    # neither EventBridge nor a standard queue keeps order: each status once, in time order
    order = ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    got = sorted(receive(sqs, url, n=2),
                 key=lambda m: order.index(m["detail"]["status-details"]["status"]))
    assert [m["detail"]["status-details"]["status"] for m in got] == order, got
    assert got[0]["time"] <= got[1]["time"]
    assert all(m["resources"] == [sid] and m["detail"]["stack-id"] == sid for m in got)
    assert got[0]["detail"]["status-details"]["status-reason"] == "User Initiated"
