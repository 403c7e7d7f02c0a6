"""AWS Health through boto3 (json 1.1): events the operator injects into an account (the
signed /_ferry/health-events/ route and `ferry health inject|close`), answered by
DescribeEvents with its filters and pagination, DescribeEventDetails, DescribeAffectedEntities,
DescribeEntityAggregates and DescribeEventTypes; each account sees only its own events, and
they survive a restart."""
import json
import os
import subprocess
import time

import pytest
from ferrytest import FERRY_BIN, Ferry, code, raises

ROUTE = "/_ferry/health-events/"


@pytest.fixture(scope="module")
def fx():
    f = Ferry().start()
    f.init(config="accounts:\n  - {name: other}\n")
    yield f
    f.close()


@pytest.fixture
def health(fx):
    return fx.client("health", region="us-east-1")


def inject(fx, profile="management", **event):
    status, _, body = fx.signed_http("POST", ROUTE + "inject", profile, service="health",
                                     body=json.dumps(event).encode())
    assert status == 200, body
    return json.loads(body)


def test_inject_and_describe(fx, health):
    ev = inject(fx, service="EC2", eventTypeCode="AWS_EC2_OPERATIONAL_ISSUE", region="us-west-2",
                description="Increased API error rates", entities=["i-0abc", "i-0def"])
    assert ev["arn"].startswith("arn:aws:health:us-west-2::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/"
                                "AWS_EC2_OPERATIONAL_ISSUE_")
    assert ev["statusCode"] == "open" and ev["eventTypeCategory"] == "issue"
    got = health.describe_events(filter={"eventArns": [ev["arn"]]})["events"]
    assert len(got) == 1 and got[0]["region"] == "us-west-2" and got[0]["service"] == "EC2"
    assert got[0]["eventScopeCode"] == "ACCOUNT_SPECIFIC"
    d = health.describe_event_details(eventArns=[ev["arn"], ev["arn"] + "x"])
    assert d["successfulSet"][0]["eventDescription"]["latestDescription"] == "Increased API error rates"
    assert d["failedSet"][0]["eventArn"] == ev["arn"] + "x"
    ents = health.describe_affected_entities(filter={"eventArns": [ev["arn"]]})["entities"]
    assert sorted(e["entityValue"] for e in ents) == ["i-0abc", "i-0def"]
    assert all(e["statusCode"] == "IMPAIRED" and e["eventArn"] == ev["arn"] for e in ents)
    agg = health.describe_entity_aggregates(eventArns=[ev["arn"]])["entityAggregates"]
    assert agg == [{"eventArn": ev["arn"], "count": 2}]


def test_filters(fx, health):
    a = inject(fx, service="LAMBDA", eventTypeCode="AWS_LAMBDA_OPERATIONAL_ISSUE", region="eu-west-1")
    b = inject(fx, service="LAMBDA", eventTypeCode="AWS_LAMBDA_PLANNED_LIFECYCLE_EVENT",
               eventTypeCategory="scheduledChange", statusCode="upcoming", region="eu-west-1")
    mine = {a["arn"], b["arn"]}

    def arns(**f):
        return {e["arn"] for e in health.describe_events(filter=f)["events"]} & mine
    assert arns(regions=["eu-west-1"]) == mine
    assert arns(regions=["eu-west-1"], eventTypeCategories=["issue"]) == {a["arn"]}
    assert arns(eventStatusCodes=["upcoming"]) == {b["arn"]}
    assert arns(services=["EC2"]) == set()
    assert arns(eventTypeCodes=["AWS_LAMBDA_PLANNED_LIFECYCLE_EVENT"]) == {b["arn"]}
    now = time.time()
    assert arns(startTimes=[{"from": now - 60, "to": now + 60}]) == mine
    assert arns(startTimes=[{"to": now - 3600}]) == set()
    aggs = health.describe_event_aggregates(aggregateField="eventTypeCategory",
                                            filter={"regions": ["eu-west-1"]})["eventAggregates"]
    assert sorted((a["aggregateValue"], a["count"]) for a in aggs) == [("issue", 1), ("scheduledChange", 1)]
    types = health.describe_event_types(filter={"services": ["LAMBDA"]})["eventTypes"]
    assert {"service": "LAMBDA", "code": "AWS_LAMBDA_PLANNED_LIFECYCLE_EVENT",
            "category": "scheduledChange"} in types


def test_close_and_pagination(fx, health):
    evs = [inject(fx, service="S3", eventTypeCode="AWS_S3_OPERATIONAL_ISSUE", region="ap-south-1")
           for _ in range(12)]
    first = health.describe_events(filter={"regions": ["ap-south-1"]}, maxResults=10)
    assert len(first["events"]) == 10 and first["nextToken"]
    rest = health.describe_events(filter={"regions": ["ap-south-1"]}, maxResults=10,
                                  nextToken=first["nextToken"])
    assert len(rest["events"]) == 2 and "nextToken" not in rest
    # newest first, as AWS answers
    times = [e["lastUpdatedTime"] for e in first["events"] + rest["events"]]
    assert times == sorted(times, reverse=True)
    pages = health.get_paginator("describe_events").paginate(filter={"regions": ["ap-south-1"]},
                                                             PaginationConfig={"PageSize": 10})
    assert sum(len(p["events"]) for p in pages) == 12
    raises(lambda: health.describe_events(nextToken="bogus-token"), "InvalidPaginationToken")
    status, _, body = fx.signed_http("POST", ROUTE + "close", "management", service="health",
                                     body=json.dumps({"arn": evs[0]["arn"]}).encode())
    assert status == 200 and json.loads(body)["statusCode"] == "closed", body
    open_now = health.describe_events(filter={"regions": ["ap-south-1"], "eventStatusCodes": ["open"]})
    assert len(open_now["events"]) == 11
    closed = health.describe_events(filter={"eventArns": [evs[0]["arn"]]})["events"][0]
    assert closed["statusCode"] == "closed" and "endTime" in closed


def test_per_account(fx, health):
    ev = inject(fx, service="EC2", eventTypeCode="AWS_EC2_API_ISSUE", region="us-east-2")
    other = fx.client("health", "other", region="us-east-1")
    assert ev["arn"] not in {e["arn"] for e in other.describe_events()["events"]}
    d = other.describe_event_details(eventArns=[ev["arn"]])
    assert d["successfulSet"] == [] and d["failedSet"][0]["eventArn"] == ev["arn"]


def test_route_refusals(fx):
    """Only a signed request of the account's root user writes events."""
    status, _, body = fx.http("POST", ROUTE + "inject", body=b'{"service": "EC2"}')
    assert status == 403 and json.loads(body)["__type"] == "MissingAuthenticationToken"
    iam = fx.client("iam")
    iam.create_user(UserName="healthop")
    k = iam.create_access_key(UserName="healthop")["AccessKey"]
    status, _, body = fx.signed_http("POST", ROUTE + "inject", (k["AccessKeyId"], k["SecretAccessKey"]),
                                     service="health", body=b'{"service": "EC2"}')
    assert status == 403 and json.loads(body)["__type"] == "AccessDenied", body
    status, _, body = fx.signed_http("POST", ROUTE + "inject", "management", service="health",
                                     body=b'{"service": "EC2", "region": "us-east-1"}')
    assert status == 400 and "eventTypeCode" in json.loads(body)["message"], body
    status, _, body = fx.signed_http("POST", ROUTE + "inject", "management", service="health",
                                     body=json.dumps({"service": "EC2", "eventTypeCode": "X_Y",
                                                      "region": "us-east-1",
                                                      "eventTypeCategory": "outage"}).encode())
    assert status == 400 and "eventTypeCategory" in json.loads(body)["message"], body
    status, _, body = fx.signed_http("POST", ROUTE + "close", "management", service="health",
                                     body=b'{"arn": "arn:aws:health:us-east-1::event/A/B/C"}')
    assert status == 404, body


def test_unsupported_locale(health):
    with pytest.raises(Exception) as e:
        health.describe_events(locale="fr")
    assert code(e) == "UnsupportedLocale"


def cli(fx, *args, profile="management"):
    akid, secret = fx.keys(profile)
    env = dict(os.environ, AWS_ACCESS_KEY_ID=akid, AWS_SECRET_ACCESS_KEY=secret)
    env.pop("AWS_SESSION_TOKEN", None)
    return subprocess.run([FERRY_BIN, "health", *args, "--endpoint-url", fx.endpoint], env=env,
                          capture_output=True, text=True, timeout=30)


def test_cli_inject_close_and_restart(fx, health):
    r = cli(fx, "inject", "--service", "CLOUDFORMATION", "--type-code", "AWS_CLOUDFORMATION_OPERATIONAL_ISSUE",
            "--region", "us-east-1", "--description", "Stack operations delayed", "--entity", "stack-a")
    assert r.returncode == 0, r.stderr
    arn = json.loads(r.stdout)["arn"]
    got = health.describe_events(filter={"eventArns": [arn]})["events"][0]
    assert got["statusCode"] == "open" and got["service"] == "CLOUDFORMATION"
    # the aws CLI sees it too
    out = fx.aws("health", "describe-events", "--filter", json.dumps({"eventArns": [arn]}),
                 region="us-east-1").json
    assert out["events"][0]["arn"] == arn
    assert cli(fx, "inject", "--service", "X").returncode == 1
    assert cli(fx, "bogus").returncode == 2
    # durable: a restart keeps the event and its state
    fx.stop()
    fx.start()
    h2 = fx.client("health", region="us-east-1")
    assert h2.describe_events(filter={"eventArns": [arn]})["events"][0]["statusCode"] == "open"
    r = cli(fx, "close", arn)
    assert r.returncode == 0 and json.loads(r.stdout)["statusCode"] == "closed", r.stderr
    ents = h2.describe_affected_entities(filter={"eventArns": [arn]})["entities"]
    assert ents[0]["statusCode"] in ("RESOLVED", "UNIMPAIRED")
