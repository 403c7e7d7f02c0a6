"""CloudWatch Logs through boto3 and Debian's awscli (json 1.1): log groups, retention (and
its background sweep), tags by name and by ARN, streams, PutLogEvents' rules, GetLogEvents'
tokens, FilterLogEvents with filter patterns, `aws logs tail --follow`, the errors AWS
answers and the refusals across accounts."""
import json
import queue
import subprocess
import threading
import time

import pytest
from botocore.exceptions import ClientError

from ferrytest import AWS_BIN, Ferry

DAY = 86400000


def code(exc):
    return exc.value.response["Error"]["Code"]


def msg(exc):
    return exc.value.response["Error"]["Message"]


def now():
    return int(time.time() * 1000)


@pytest.fixture(scope="module")
def logs(ferry):
    return ferry.client("logs", "dev")


def acct(ferry, profile):
    return ferry.client("sts", profile).get_caller_identity()["Account"]


def test_groups_describe_retention(ferry, logs):
    dev = acct(ferry, "dev")
    region = logs.meta.region_name
    logs.create_log_group(logGroupName="/g/alpha", kmsKeyId="arn:aws:kms:us-east-1:%s:key/k" % dev)
    logs.create_log_group(logGroupName="/g/beta")
    logs.create_log_group(logGroupName="/other/Alphabet")
    with pytest.raises(ClientError) as e:
        logs.create_log_group(logGroupName="/g/alpha")
    assert code(e) == "ResourceAlreadyExistsException"
    g = logs.describe_log_groups(logGroupNamePrefix="/g/alpha")["logGroups"]
    assert len(g) == 1 and g[0]["logGroupName"] == "/g/alpha"
    assert g[0]["arn"] == f"arn:aws:logs:{region}:{dev}:log-group:/g/alpha:*"
    assert g[0]["metricFilterCount"] == 0 and g[0]["storedBytes"] == 0
    assert g[0]["kmsKeyId"].endswith(":key/k") and "retentionInDays" not in g[0]
    assert isinstance(g[0]["creationTime"], int)
    # logGroupNamePattern: a case-insensitive substring
    names = [x["logGroupName"] for x in logs.describe_log_groups(logGroupNamePattern="alpha")["logGroups"]]
    assert names == ["/g/alpha", "/other/Alphabet"]
    with pytest.raises(ClientError) as e:
        logs.describe_log_groups(logGroupNamePattern="a", logGroupNamePrefix="/g")
    assert code(e) == "InvalidParameterException"
    # pages
    p1 = logs.describe_log_groups(limit=2)
    assert len(p1["logGroups"]) == 2 and "nextToken" in p1
    p2 = logs.describe_log_groups(limit=2, nextToken=p1["nextToken"])
    assert [x["logGroupName"] for x in p1["logGroups"] + p2["logGroups"]] == \
        ["/g/alpha", "/g/beta", "/other/Alphabet"]
    paged = [x["logGroupName"] for page in logs.get_paginator("describe_log_groups").paginate(
        PaginationConfig={"PageSize": 1}) for x in page["logGroups"]]
    assert paged == ["/g/alpha", "/g/beta", "/other/Alphabet"]
    # retention: AWS's values only
    logs.put_retention_policy(logGroupName="/g/beta", retentionInDays=14)
    assert logs.describe_log_groups(logGroupNamePrefix="/g/beta")["logGroups"][0]["retentionInDays"] == 14
    for bad in (2, 0, 4000):
        with pytest.raises(ClientError) as e:
            logs.put_retention_policy(logGroupName="/g/beta", retentionInDays=bad)
        assert code(e) == "InvalidParameterException" and "retentionInDays" in msg(e)
    logs.delete_retention_policy(logGroupName="/g/beta")
    assert "retentionInDays" not in logs.describe_log_groups(logGroupNamePrefix="/g/beta")["logGroups"][0]
    with pytest.raises(ClientError) as e:
        logs.put_retention_policy(logGroupName="/g/none", retentionInDays=1)
    assert code(e) == "ResourceNotFoundException"
    assert msg(e) == "The specified log group does not exist."
    for bad in ("a b", "x:y", ""):
        with pytest.raises((ClientError, Exception)):
            logs.create_log_group(logGroupName=bad)
    logs.delete_log_group(logGroupName="/other/Alphabet")
    with pytest.raises(ClientError) as e:
        logs.delete_log_group(logGroupName="/other/Alphabet")
    assert code(e) == "ResourceNotFoundException"


def test_tags_by_name_and_arn(ferry, logs):
    dev = acct(ferry, "dev")
    arn = f"arn:aws:logs:{logs.meta.region_name}:{dev}:log-group:/t/one"
    logs.create_log_group(logGroupName="/t/one", tags={"team": "a"})
    assert logs.list_tags_log_group(logGroupName="/t/one")["tags"] == {"team": "a"}
    logs.tag_log_group(logGroupName="/t/one", tags={"env": "dev"})
    logs.tag_resource(resourceArn=arn, tags={"team": "b", "x": "1"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "b", "env": "dev", "x": "1"}
    logs.untag_resource(resourceArn=arn, tagKeys=["x"])
    logs.untag_log_group(logGroupName="/t/one", tags=["env"])
    assert logs.list_tags_log_group(logGroupName="/t/one")["tags"] == {"team": "b"}
    with pytest.raises(ClientError) as e:
        logs.tag_resource(resourceArn=arn, tags={f"k{i}": "v" for i in range(50)})
    assert code(e) == "TooManyTagsException"
    with pytest.raises(ClientError) as e:
        logs.list_tags_for_resource(resourceArn=arn.replace("/t/one", "/t/none"))
    assert code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        logs.list_tags_for_resource(resourceArn="arn:aws:sqs:us-east-1:%s:q" % dev)
    assert code(e) == "InvalidParameterException"


def test_streams_describe_order(logs):
    logs.create_log_group(logGroupName="/s/g")
    for s in ("b", "a", "c"):
        logs.create_log_stream(logGroupName="/s/g", logStreamName=s)
    with pytest.raises(ClientError) as e:
        logs.create_log_stream(logGroupName="/s/g", logStreamName="a")
    assert code(e) == "ResourceAlreadyExistsException"
    with pytest.raises(ClientError) as e:
        logs.create_log_stream(logGroupName="/s/none", logStreamName="a")
    assert code(e) == "ResourceNotFoundException"
    t = now()
    logs.put_log_events(logGroupName="/s/g", logStreamName="c", logEvents=[{"timestamp": t - 3000, "message": "x"}])
    logs.put_log_events(logGroupName="/s/g", logStreamName="a", logEvents=[{"timestamp": t - 2000, "message": "y"}])
    names = lambda **kw: [s["logStreamName"] for s in logs.describe_log_streams(logGroupName="/s/g", **kw)["logStreams"]]
    assert names() == ["a", "b", "c"]
    assert names(descending=True) == ["c", "b", "a"]
    assert names(orderBy="LastEventTime") == ["b", "c", "a"]
    assert names(orderBy="LastEventTime", descending=True) == ["a", "c", "b"]
    assert names(logStreamNamePrefix="b") == ["b"]
    p = logs.describe_log_streams(logGroupName="/s/g", limit=1)
    assert len(p["logStreams"]) == 1 and p["nextToken"]
    with pytest.raises(ClientError) as e:
        logs.describe_log_streams(logGroupName="/s/g", orderBy="LastEventTime", logStreamNamePrefix="a")
    assert code(e) == "InvalidParameterException"
    s = logs.describe_log_streams(logGroupName="/s/g", logStreamNamePrefix="c")["logStreams"][0]
    assert s["firstEventTimestamp"] == s["lastEventTimestamp"] == t - 3000
    assert s["lastIngestionTime"] >= t - 5000 and s["arn"].endswith(":log-group:/s/g:log-stream:c")
    assert "firstEventTimestamp" not in logs.describe_log_streams(logGroupName="/s/g", logStreamNamePrefix="b")["logStreams"][0]
    logs.delete_log_stream(logGroupName="/s/g", logStreamName="c")
    assert names() == ["a", "b"]
    with pytest.raises(ClientError) as e:
        logs.delete_log_stream(logGroupName="/s/g", logStreamName="c")
    assert code(e) == "ResourceNotFoundException"
    assert msg(e) == "The specified log stream does not exist."
    # a stream made again is empty
    logs.create_log_stream(logGroupName="/s/g", logStreamName="c")
    assert logs.get_log_events(logGroupName="/s/g", logStreamName="c")["events"] == []


def test_put_rules(logs):
    logs.create_log_group(logGroupName="/p/g")
    logs.create_log_stream(logGroupName="/p/g", logStreamName="s")
    put = lambda evs, **kw: logs.put_log_events(logGroupName="/p/g", logStreamName="s", logEvents=evs, **kw)
    t = now()
    # the sequence token is accepted and ignored
    r = put([{"timestamp": t, "message": "a"}], sequenceToken="whatever")
    assert "rejectedLogEventsInfo" not in r and r["nextSequenceToken"]
    with pytest.raises(ClientError) as e:
        put([{"timestamp": t, "message": "a"}, {"timestamp": t - 1, "message": "b"}])
    assert code(e) == "InvalidParameterException" and "chronological" in msg(e)
    with pytest.raises(ClientError) as e:
        put([{"timestamp": t - DAY - 1000, "message": "a"}, {"timestamp": t, "message": "b"}])
    assert code(e) == "InvalidParameterException" and "24 hours" in msg(e)
    # 1,048,576 bytes counting 26 per event
    body = 1048576 - 26 * 2
    with pytest.raises(ClientError) as e:
        put([{"timestamp": t, "message": "x" * (body // 2)}, {"timestamp": t, "message": "x" * (body // 2 + 1)}])
    assert code(e) == "InvalidParameterException"
    put([{"timestamp": t, "message": "x" * (body // 2)}, {"timestamp": t, "message": "x" * (body // 2)}])
    with pytest.raises(ClientError) as e:
        put([{"timestamp": t, "message": "m"}] * 10001)
    assert code(e) == "InvalidParameterException"
    put([{"timestamp": t, "message": "m"}] * 10000)
    # too old, too new: rejected, the rest stored
    r = put([{"timestamp": t - 15 * DAY, "message": "old"}, {"timestamp": t, "message": "ok"},
             {"timestamp": t + 3 * 3600 * 1000, "message": "new"}])
    assert r["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1, "tooNewLogEventStartIndex": 2}
    logs.put_retention_policy(logGroupName="/p/g", retentionInDays=1)
    r = put([{"timestamp": t - 2 * DAY, "message": "expired"}, {"timestamp": t, "message": "ok2"}])
    assert r["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 1}
    msgs = [e["message"] for e in logs.filter_log_events(logGroupName="/p/g", filterPattern="ok")["events"]]
    assert msgs == ["ok", "ok2"]
    with pytest.raises(ClientError) as e:
        logs.put_log_events(logGroupName="/p/g", logStreamName="none", logEvents=[{"timestamp": t, "message": "a"}])
    assert code(e) == "ResourceNotFoundException"
    g = logs.describe_log_groups(logGroupNamePrefix="/p/g")["logGroups"][0]
    assert g["storedBytes"] > 1048576


def test_get_log_events_tokens(logs):
    logs.create_log_group(logGroupName="/e/g")
    logs.create_log_stream(logGroupName="/e/g", logStreamName="s")
    t = now() - 100000
    # two batches whose times interleave: events come back in time order
    logs.put_log_events(logGroupName="/e/g", logStreamName="s",
                        logEvents=[{"timestamp": t + i * 2, "message": f"e{i * 2}"} for i in range(10)])
    logs.put_log_events(logGroupName="/e/g", logStreamName="s",
                        logEvents=[{"timestamp": t + i * 2 + 1, "message": f"e{i * 2 + 1}"} for i in range(10)])
    get = lambda **kw: logs.get_log_events(logGroupName="/e/g", logStreamName="s", **kw)
    r = get()
    assert [e["message"] for e in r["events"]] == [f"e{i}" for i in range(20)]
    # the last events by default, the first from the head
    r = get(limit=3)
    assert [e["message"] for e in r["events"]] == ["e17", "e18", "e19"]
    back = get(limit=3, nextToken=r["nextBackwardToken"])
    assert [e["message"] for e in back["events"]] == ["e14", "e15", "e16"]
    r = get(limit=5, startFromHead=True)
    assert [e["message"] for e in r["events"]] == [f"e{i}" for i in range(5)]
    seen, tok = [], None
    while True:
        r = get(limit=7, startFromHead=True, **({"nextToken": tok} if tok else {}))
        if not r["events"]:
            assert r["nextForwardToken"] == tok  # the same token at the end
            break
        seen += [e["message"] for e in r["events"]]
        tok = r["nextForwardToken"]
    assert seen == [f"e{i}" for i in range(20)]
    r = get(startTime=t + 5, endTime=t + 8, startFromHead=True)
    assert [e["message"] for e in r["events"]] == ["e5", "e6", "e7"]
    for bad in ("garbage", "b/-9223372036854775808/0/0", "f/99999999999999999999/1/1", "f/1/2/3x"):
        with pytest.raises(ClientError) as e:
            get(nextToken=bad)
        assert code(e) == "InvalidParameterException", bad
    with pytest.raises(ClientError) as e:
        logs.filter_log_events(logGroupName="/e/g", nextToken="-5/0/0")
    assert code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        logs.get_log_events(logGroupName="/e/g", logStreamName="none")
    assert code(e) == "ResourceNotFoundException"


def test_filter_patterns_and_pages(logs):
    logs.create_log_group(logGroupName="/f/g")
    for s in ("web-1", "web-2", "db"):
        logs.create_log_stream(logGroupName="/f/g", logStreamName=s)
    t = now() - 50000
    put = lambda s, i, m: logs.put_log_events(logGroupName="/f/g", logStreamName=s, logEvents=[{"timestamp": t + i, "message": m}])
    put("web-1", 1, "ERROR disk full on /var")
    put("web-2", 2, "WARN slow request id=7")
    put("db", 3, '{"level": "ERROR", "latency": 250, "user": {"id": "u-17"}, "tags": ["a", "b"], "cached": null}')
    put("db", 4, '{"level": "INFO", "latency": 12, "user": {"id": "u-2"}, "ok": true}')
    put("web-1", 5, '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534')
    put("web-2", 6, '10.0.0.2 - ann [10/Oct/2000:13:25:16 -0700] "GET /a.html HTTP/1.0" 200 99')

    def f(pattern, **kw):
        r = logs.filter_log_events(logGroupName="/f/g", filterPattern=pattern, **kw)
        return [e["timestamp"] - t for e in r["events"]]

    assert f("") == [1, 2, 3, 4, 5, 6]
    assert f("ERROR") == [1, 3]
    assert f('"disk full"') == [1]
    assert f("ERROR -disk") == [3]
    assert f("?WARN ?disk") == [1, 2]
    assert f("error") == []  # case-sensitive
    assert f('{ $.level = "ERROR" }') == [3]
    assert f('{ $.level = "ERR*" }') == [3]
    assert f("{ $.latency > 100 }") == [3]
    assert f('{ $.latency <= 12 && $.user.id = "u-2" }') == [4]
    assert f('{ ($.latency > 100 || $.ok IS TRUE) && $.level != "DEBUG" }') == [3, 4]
    assert f("{ $.cached IS NULL }") == [3]
    assert f("{ $.ok NOT EXISTS }") == [3]
    assert f('{ $.tags[1] = "b" }') == [3]
    assert f("[ip, user, username, timestamp, request, status_code = 4*, bytes]") == [5]
    assert f("[..., status_code = 404 || status_code = 200, bytes > 1000]") == [5]
    assert f("[ip = 10.*, ...]") == [6]
    assert f('[..., request = "*a.html*", status, bytes]') == [6]
    for bad in ("{ $.a = ", "[a, b", '"unterminated', "{ $.a > x }", "{ a = 1 }", "[a, b c]"):
        with pytest.raises(ClientError) as e:
            f(bad)
        assert code(e) == "InvalidParameterException" and msg(e) == "Invalid filter pattern", bad
    # streams, times
    assert f("", logStreamNames=["db"]) == [3, 4]
    assert f("", logStreamNamePrefix="web") == [1, 2, 5, 6]
    assert f("", startTime=t + 2, endTime=t + 4) == [2, 3, 4]
    with pytest.raises(ClientError) as e:
        f("", logStreamNames=["db"], logStreamNamePrefix="web")
    assert code(e) == "InvalidParameterException"
    # pages, and every event with its stream, id and ingestion time
    r = logs.filter_log_events(logGroupName="/f/g", limit=4)
    assert len(r["events"]) == 4 and r["nextToken"]
    r2 = logs.filter_log_events(logGroupName="/f/g", limit=4, nextToken=r["nextToken"])
    assert [e["timestamp"] - t for e in r2["events"]] == [5, 6] and "nextToken" not in r2
    ev = r["events"][0]
    assert ev["logStreamName"] == "web-1" and ev["eventId"] and ev["ingestionTime"] >= ev["timestamp"]
    ids = [e["eventId"] for e in r["events"] + r2["events"]]
    assert len(set(ids)) == 6
    allp = [e["message"] for p in logs.get_paginator("filter_log_events").paginate(
        logGroupName="/f/g", PaginationConfig={"PageSize": 1}) for e in p["events"]]
    assert len(allp) == 6


def test_cross_account_and_policies(ferry, logs):
    dev = acct(ferry, "dev")
    logs.create_log_group(logGroupName="/x/mine")
    logs.create_log_stream(logGroupName="/x/mine", logStreamName="s")
    arn = f"arn:aws:logs:{logs.meta.region_name}:{dev}:log-group:/x/mine"
    qa = ferry.client("logs", "qa")
    for call in (lambda: qa.list_tags_for_resource(resourceArn=arn),
                 lambda: qa.tag_resource(resourceArn=arn, tags={"a": "b"})):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == "AccessDeniedException"
    # qa's own namespace does not see dev's groups
    assert qa.describe_log_groups(logGroupNamePrefix="/x/")["logGroups"] == []
    # (logGroupIdentifier, newer than Debian's botocore, is tested in js/logs.test.mjs)
    # an IAM user that may only put events
    u = ferry.user_client("logs", "dev", "putter", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["logs:PutLogEvents", "logs:CreateLogStream"],
         "Resource": f"arn:aws:logs:*:{dev}:log-group:/x/mine:*"}]})
    u.put_log_events(logGroupName="/x/mine", logStreamName="s", logEvents=[{"timestamp": now(), "message": "hi"}])
    u.create_log_stream(logGroupName="/x/mine", logStreamName="u")
    with pytest.raises(ClientError) as e:
        u.get_log_events(logGroupName="/x/mine", logStreamName="s")
    assert code(e) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        u.create_log_group(logGroupName="/x/other")
    assert code(e) == "AccessDeniedException"


def test_awscli(ferry):
    g = "/cli/group"
    ferry.aws("logs", "create-log-group", "--log-group-name", g, profile="dev")
    ferry.aws("logs", "create-log-stream", "--log-group-name", g, "--log-stream-name", "s", profile="dev")
    t = now()
    ferry.aws("logs", "put-log-events", "--log-group-name", g, "--log-stream-name", "s", "--log-events",
              json.dumps([{"timestamp": t, "message": "from the cli"}]), profile="dev")
    r = ferry.aws("logs", "get-log-events", "--log-group-name", g, "--log-stream-name", "s", profile="dev").json
    assert [e["message"] for e in r["events"]] == ["from the cli"]
    r = ferry.aws("logs", "describe-log-groups", "--log-group-name-prefix", "/cli", profile="dev").json
    assert r["logGroups"][0]["logGroupName"] == g
    r = ferry.aws("logs", "filter-log-events", "--log-group-name", g, "--filter-pattern", "cli", profile="dev").json
    assert [e["message"] for e in r["events"]] == ["from the cli"]
    r = ferry.aws("logs", "put-retention-policy", "--log-group-name", g, "--retention-in-days", "2",
                  profile="dev", check=False)
    assert r.returncode != 0 and "InvalidParameterException" in r.stderr
    r = subprocess.run([AWS_BIN, "--endpoint-url", ferry.endpoint, "--profile", "dev", "logs", "tail",
                        g, "--since", "1h"], capture_output=True, text=True, env=ferry.env())
    assert r.returncode == 0 and "from the cli" in r.stdout, r.stderr


def test_tail_follow(ferry, logs):
    g = "/tail/group"
    logs.create_log_group(logGroupName=g)
    logs.create_log_stream(logGroupName=g, logStreamName="s")
    logs.put_log_events(logGroupName=g, logStreamName="s", logEvents=[{"timestamp": now(), "message": "before"}])
    cmd = [AWS_BIN, "--endpoint-url", ferry.endpoint, "--profile", "dev", "logs", "tail", g,
           "--follow", "--since", "10m", "--format", "short"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ferry.env())
    lines = queue.Queue()  # read on a thread, so that a silent CLI fails the test, not hangs it
    threading.Thread(target=lambda: [lines.put(l) for l in p.stdout], daemon=True).start()

    def next_line():
        try:
            return lines.get(timeout=60)
        except queue.Empty:
            raise AssertionError("aws logs tail printed nothing for 60 s")

    try:
        # the first line proves the poller is running before the next events are put
        first = next_line()
        assert "before" in first, first
        for i in range(3):
            logs.put_log_events(logGroupName=g, logStreamName="s",
                                logEvents=[{"timestamp": now(), "message": f"live {i}"}])
        got = []
        while len(got) < 3:
            line = next_line()
            if "live" in line:
                got.append(line.split(" ", 1)[1].strip())
        assert got == ["live 0", "live 1", "live 2"]  # each once, in order
    finally:
        p.kill()
        p.wait()


def test_retention_sweep():
    f = Ferry().start(env={"FERRY_LOGS_RETENTION_INTERVAL": "0.2"})
    try:
        f.init()
        logs = f.client("logs", "dev")
        logs.create_log_group(logGroupName="/r/g")
        logs.create_log_stream(logGroupName="/r/g", logStreamName="s")
        t = now()
        logs.put_log_events(logGroupName="/r/g", logStreamName="s",
                            logEvents=[{"timestamp": t - 3 * DAY, "message": "three days old"}])
        logs.put_log_events(logGroupName="/r/g", logStreamName="s",
                            logEvents=[{"timestamp": t, "message": "fresh"}])
        # kept without a retention policy
        time.sleep(0.5)
        assert len(logs.get_log_events(logGroupName="/r/g", logStreamName="s")["events"]) == 2
        logs.put_retention_policy(logGroupName="/r/g", retentionInDays=1)
        deadline = time.time() + 30
        while time.time() < deadline:
            evs = logs.get_log_events(logGroupName="/r/g", logStreamName="s")["events"]
            if len(evs) == 1:
                break
            time.sleep(0.1)
        assert [e["message"] for e in evs] == ["fresh"]
        assert logs.describe_log_groups()["logGroups"][0]["storedBytes"] == len("fresh")
    finally:
        f.close()


def test_cfn_log_group_provider(ferry):
    from test_cfn_providers import PROFILE, REGION, Stacks, out
    stacks = Stacks(ferry)
    logs = ferry.client("logs", PROFILE, region=REGION)

    def tpl(days=7, tags=None, name="/cfn/logs/named"):
        named = {"LogGroupName": name, "RetentionInDays": days,
                 "Tags": [{"Key": k, "Value": v} for k, v in (tags or {"env": "dev"}).items()]}
        if days is None:
            del named["RetentionInDays"]
        return {"Resources": {"Named": {"Type": "AWS::Logs::LogGroup", "Properties": named},
                              "Unnamed": {"Type": "AWS::Logs::LogGroup"}},
                "Outputs": out(("Ref", {"Ref": "Named"}), ("Arn", {"Fn::GetAtt": ["Named", "Arn"]}),
                               ("Unnamed", {"Ref": "Unnamed"}))}

    def group(name):
        gs = [g for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name]
        return gs[0] if gs else None

    s = stacks.deploy("logs-groups", tpl())
    assert s["Out"]["Ref"] == "/cfn/logs/named"
    assert s["Out"]["Arn"] == group("/cfn/logs/named")["arn"] and s["Out"]["Arn"].endswith(":log-group:/cfn/logs/named:*")
    assert s["Out"]["Unnamed"].startswith("logs-groups-Unnamed-")
    assert group("/cfn/logs/named")["retentionInDays"] == 7
    tags = logs.list_tags_log_group(logGroupName="/cfn/logs/named")["tags"]
    assert tags["env"] == "dev" and tags["aws:cloudformation:stack-name"] == "logs-groups"
    # retention and tags change in place; removing RetentionInDays removes the policy
    stacks.deploy("logs-groups", tpl(days=None, tags={"env": "qa"}), update=True)
    assert "retentionInDays" not in group("/cfn/logs/named")
    assert logs.list_tags_log_group(logGroupName="/cfn/logs/named")["tags"]["env"] == "qa"
    # a bad retention fails the update as the service refuses it, and rolls back
    stacks.deploy("logs-groups", tpl(days=8), update=True, status="UPDATE_ROLLBACK_COMPLETE")
    assert any("retentionInDays" in f for f in stacks.failures("logs-groups"))
    assert "retentionInDays" not in group("/cfn/logs/named")
    unnamed = s["Out"]["Unnamed"]
    stacks.delete(s)
    assert group("/cfn/logs/named") is None and group(unnamed) is None


def test_get_log_events_over_hours(logs):
    """The latest events of a long stream, and a batch that spans hours found by a startTime
    inside it (reads start from the stream's longest batch span, not the whole stream)."""
    logs.create_log_group(logGroupName="/h/g")
    logs.create_log_stream(logGroupName="/h/g", logStreamName="s")
    t = now()
    hour = 3600 * 1000
    # one batch over 10 hours, then single events an hour apart
    logs.put_log_events(logGroupName="/h/g", logStreamName="s",
                        logEvents=[{"timestamp": t - 13 * hour, "message": "wide-a"},
                                   {"timestamp": t - 3 * hour - 5, "message": "wide-b"}])
    for h in (3, 2, 1, 0):
        logs.put_log_events(logGroupName="/h/g", logStreamName="s",
                            logEvents=[{"timestamp": t - h * hour, "message": f"h{h}"}])
    get = lambda **kw: [e["message"] for e in logs.get_log_events(logGroupName="/h/g", logStreamName="s", **kw)["events"]]
    assert get(limit=2) == ["h1", "h0"]
    assert get(limit=5) == ["wide-b", "h3", "h2", "h1", "h0"]
    assert get() == ["wide-a", "wide-b", "h3", "h2", "h1", "h0"]
    r = logs.get_log_events(logGroupName="/h/g", logStreamName="s", limit=2)
    assert get(limit=3, nextToken=r["nextBackwardToken"]) == ["wide-b", "h3", "h2"]
    assert get(startTime=t - 4 * hour, startFromHead=True, limit=1) == ["wide-b"]
    assert get(startTime=t - 4 * hour, endTime=t - 2 * hour) == ["wide-b", "h3"]
    r = logs.filter_log_events(logGroupName="/h/g", startTime=t - 4 * hour, filterPattern="wide")
    assert [e["message"] for e in r["events"]] == ["wide-b"]
