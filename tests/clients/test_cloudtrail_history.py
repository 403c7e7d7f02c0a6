"""CloudTrail event history at scale (issue 9, item 8): LookupEvents pages through every
lookup attribute with NextToken (keyset pages: boto3's paginator and awscli's own paging
agree with one big page), and the trail is bounded: --audit-max-events keeps at most that
many events, the oldest going first, in the background."""
import datetime
import json
import time

import pytest

from ferrytest import Ferry


@pytest.fixture(scope="module")
def fx():
    f = Ferry().start()
    f.init()
    try:
        yield f
    finally:
        f.close()


def all_events(ct, **kw):
    """Every event through boto3's paginator, pages of 3."""
    pages = ct.get_paginator("lookup_events").paginate(PaginationConfig={"PageSize": 3}, **kw)
    return [e for p in pages for e in p["Events"]]


def test_lookup_pages_by_every_attribute(fx):
    sqs = fx.client("sqs", "management", region="us-east-1")
    sts = fx.client("sts", "management", region="us-east-1")
    for i in range(4):
        sqs.create_queue(QueueName=f"hist-{i}")
        sts.get_caller_identity()
    sqs.list_queues()
    ct = fx.client("cloudtrail", "management", region="us-east-1")
    # a read's event is committed just after its reply: wait for all nine
    deadline = time.time() + 30
    while len(everything := all_events(ct)) < 9 and time.time() < deadline:
        time.sleep(0.05)
    assert len(everything) >= 9
    ids = [e["EventId"] for e in everything]
    assert len(set(ids)) == len(ids)  # no event twice across pages
    times = [e["EventTime"] for e in everything]
    assert times == sorted(times, reverse=True)  # newest first
    akid, _ = fx.keys("management")
    with_res = next(e for e in everything if e.get("Resources"))
    res = with_res["Resources"][0]
    lookups = {
        "EventId": ids[5],
        "EventName": "CreateQueue",
        "ReadOnly": "true",
        "Username": next(e["Username"] for e in everything if e.get("Username")),
        "ResourceType": res["ResourceType"],
        "ResourceName": res["ResourceName"],
        "EventSource": "sqs.amazonaws.com",
        "AccessKeyId": akid,
    }
    # later lookups are events too: stop before them, at a whole second (clients send
    # whole seconds) that has passed
    snapshot = datetime.datetime.fromtimestamp(int(everything[0]["EventTime"].timestamp()) + 1,
                                               datetime.timezone.utc)
    while time.time() <= snapshot.timestamp():
        time.sleep(0.05)
    for key, value in lookups.items():
        attrs = [{"AttributeKey": key, "AttributeValue": value}]
        paged = [e["EventId"] for e in all_events(ct, LookupAttributes=attrs, EndTime=snapshot)]
        one = ct.lookup_events(LookupAttributes=attrs, EndTime=snapshot, MaxResults=50)["Events"]
        assert paged == [e["EventId"] for e in one], key
        assert paged, key
        if key == "EventName":
            assert len(paged) == 4
        # awscli pages by itself (--page-size): the same events (two attributes are
        # enough for the CLI's paging; the SDK checks every one)
        if key not in ("EventName", "AccessKeyId"):
            continue
        r = fx.aws("cloudtrail", "lookup-events", "--page-size", "2", "--lookup-attributes",
                   f"AttributeKey={key},AttributeValue={value}", "--end-time",
                   str(int(snapshot.timestamp())), region="us-east-1")
        assert [e["EventId"] for e in r.json["Events"]] == paged, key
    with pytest.raises(ct.exceptions.InvalidNextTokenException):
        ct.lookup_events(NextToken="12:notatime")


def count_events(ct):
    return len(all_events(ct))


def test_max_events_bounds_the_trail():
    f = Ferry(extra=["--audit-max-events", "40"]).start()
    try:
        f.init()
        sts = f.client("sts", "management", region="us-east-1")
        for _ in range(120):
            sts.get_caller_identity()
        ct = f.client("cloudtrail", "management", region="us-east-1")
        # the background retention reaches the bound (the deadline only guards a retention
        # that never runs; the lookups themselves are events, counted too)
        deadline = time.time() + 60
        n = count_events(ct)
        while n > 40 and time.time() < deadline:
            time.sleep(0.1)
            n = count_events(ct)
        assert 0 < n <= 40
        # the newest stay
        newest = ct.lookup_events(MaxResults=1)["Events"][0]
        assert json.loads(newest["CloudTrailEvent"])["eventName"] in (
            "LookupEvents", "GetCallerIdentity")
    finally:
        f.close()


def test_bad_retention_flags_are_refused(tmp_path):
    import subprocess
    from ferrytest import FERRY_BIN
    for flag, value in (("--audit-max-events", "-1"), ("--audit-retention-days", "x")):
        r = subprocess.run([FERRY_BIN, "serve", "--data", str(tmp_path / "d"), flag, value],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and flag in r.stderr
