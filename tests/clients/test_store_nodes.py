"""Several ferry nodes on one PostgreSQL database (`ferry serve --store postgresql://…` twice,
one data directory): what one node writes holds on the other within the README's bound
(caches learn of other nodes' commits through LISTEN/NOTIFY), a long poll on one node wakes
for a send on the other, an outage of the database answers retryable 503s and loses
nothing, and a node killed (kill -9) leaves its work to the other once its lease has run out
(SNS deliveries, stack operations, pipeline executions, builds, asynchronous invocations,
event source mappings, stack set operations, secret rotations; schedules fire once per period
on either). Each test runs on a database of a throwaway cluster (tests/pgcluster.sh), whatever
FERRY_TEST_STORE says. The bound itself (100 ms) is measured in bench/, not asserted here:
these tests give a change a few seconds to hold (far beyond it) and fail when it never does."""
import json
import shutil
import signal
import subprocess
import threading
import time

import boto3
import botocore.config
import botocore.exceptions
import pytest

from ferrytest import Ferry, PgCluster, queue_for_topic

pytestmark = pytest.mark.skipif(
    not shutil.which("psql") or subprocess.run(
        "ls /usr/lib/postgresql/*/bin/initdb", shell=True, capture_output=True).returncode,
    reason="PostgreSQL is not installed (tools/deps.sh)")

SETTLE = 5.0  # seconds a change may take to hold on the other node (the bound is 100 ms)


class Nodes:
    """Node a (which ran `ferry init`) and node b, on one database and one data directory."""

    def __init__(self, cluster=None, env=None, env_a=None):
        self.cluster = cluster
        self.a = Ferry(extra=["--node-id", "node-a"])
        self.b = Ferry(extra=["--node-id", "node-b"])
        for f in (self.a, self.b):
            if f.store_db:  # FERRY_TEST_STORE=postgresql made one each: one is enough
                PgCluster.shared().drop_db(f.store_db)
            f.store_db = None
        url, self.db = (cluster or PgCluster.shared()).create_db()
        self.a.store_url = self.b.store_url = url
        self.b.data, self.b.awsdir = self.a.data, self.a.awsdir
        self.a.start({**(env or {}), **(env_a or {})})
        self.a.init()
        self.b.start(env)

    def close(self):
        try:
            self.b.close()
        finally:
            self.a.close()
            if not self.cluster:
                PgCluster.shared().drop_db(self.db)


def nodes_fixture(**kw):
    """A fixture of two nodes started with Nodes(**kw)."""
    @pytest.fixture
    def fixture():
        n = Nodes(**kw)
        yield n
        n.close()
    return fixture


nodes = nodes_fixture()


def code(e):
    return e.response["Error"]["Code"]


def status(e):
    return e.response["ResponseMetadata"]["HTTPStatusCode"]


def holds(check, settle=SETTLE):
    """Calls check() until it is true or settle seconds pass; its last answer."""
    deadline = time.time() + settle
    while True:
        if check():
            return True
        if time.time() > deadline:
            return False
        time.sleep(0.005)


def key_client(f, service, key, **kw):
    return boto3.client(service, endpoint_url=f.endpoint, region_name="us-east-1",
                        aws_access_key_id=key["AccessKeyId"],
                        aws_secret_access_key=key["SecretAccessKey"],
                        config=botocore.config.Config(retries={"max_attempts": 1}), **kw)


def refused(client):
    try:
        client.get_caller_identity()
        return False
    except botocore.exceptions.ClientError as e:
        return code(e) == "InvalidClientTokenId"


def test_health_names_each_node_and_its_store(nodes):
    for f, name in ((nodes.a, "node-a"), (nodes.b, "node-b")):
        h = f.health("management")
        assert h["node"] == name and h["store_kind"] == "postgresql"
        assert h["store_reachable"] is True and h["store_shared"] is True
        assert h["store"].startswith("postgresql://")
        # unsigned callers learn only whether it serves
        assert f.health() == {"status": "ok", "version": h["version"]}


def test_key_deactivated_on_one_node_is_refused_on_the_other(nodes):
    iam = nodes.a.client("iam", "dev")
    iam.create_user(UserName="ci")
    key = iam.create_access_key(UserName="ci")["AccessKey"]
    on_b = key_client(nodes.b, "sts", key)
    assert on_b.get_caller_identity()["Arn"].endswith(":user/ci")  # cached on b now
    iam.update_access_key(UserName="ci", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert holds(lambda: refused(on_b))
    # and back, written on b this time, read on a
    nodes.b.client("iam", "dev").update_access_key(UserName="ci", AccessKeyId=key["AccessKeyId"],
                                                  Status="Active")
    on_a = key_client(nodes.a, "sts", key)
    assert holds(lambda: not refused(on_a))
    nodes.b.client("iam", "dev").delete_access_key(UserName="ci", AccessKeyId=key["AccessKeyId"])
    assert holds(lambda: refused(on_a))


def test_policy_changed_on_one_node_holds_on_the_other(nodes):
    iam = nodes.a.client("iam", "dev")
    iam.create_user(UserName="dev1")
    allow = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"}]}
    iam.put_user_policy(UserName="dev1", PolicyName="p", PolicyDocument=json.dumps(allow))
    key = iam.create_access_key(UserName="dev1")["AccessKey"]
    on_b = key_client(nodes.b, "sqs", key)
    on_b.list_queues()  # allowed, and b's caches hold the user's policies

    def denied():
        try:
            on_b.list_queues()
            return False
        except botocore.exceptions.ClientError as e:
            return code(e) == "AccessDenied"

    deny = {"Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": "sqs:*", "Resource": "*"}]}
    iam.put_user_policy(UserName="dev1", PolicyName="d", PolicyDocument=json.dumps(deny))
    assert holds(denied)
    iam.delete_user_policy(UserName="dev1", PolicyName="d")
    assert holds(lambda: not denied())


def test_queue_attribute_changed_on_one_node_holds_on_the_other(nodes):
    sqs_a, sqs_b = nodes.a.client("sqs", "dev"), nodes.b.client("sqs", "dev")
    url = sqs_a.create_queue(QueueName="shared")["QueueUrl"]
    sqs_b.send_message(QueueUrl=url, MessageBody="x" * 2000)  # b holds the queue's document
    sqs_a.set_queue_attributes(QueueUrl=url, Attributes={"MaximumMessageSize": "1024"})

    def too_long():
        try:
            sqs_b.send_message(QueueUrl=url, MessageBody="x" * 2000)
            return False
        except botocore.exceptions.ClientError as e:
            return status(e) == 400

    assert holds(too_long)
    got = sqs_b.get_queue_attributes(QueueUrl=url, AttributeNames=["MaximumMessageSize"])
    assert got["Attributes"]["MaximumMessageSize"] == "1024"
    # a queue deleted on a is gone on b
    sqs_a.delete_queue(QueueUrl=url)

    def gone():
        try:
            sqs_b.get_queue_attributes(QueueUrl=url)
            return False
        except botocore.exceptions.ClientError as e:
            return code(e) == "AWS.SimpleQueueService.NonExistentQueue"

    assert holds(gone)


def test_writes_on_both_nodes_at_once_build_on_each_other(nodes):
    """A writer reads the committed document, not a copy cached before the other node's last
    commit was heard: tags added on a and b at once (each writer often waiting for the
    other's commit) are all kept; a lost update would drop some."""
    ddb_a, ddb_b = nodes.a.client("dynamodb", "dev"), nodes.b.client("dynamodb", "dev")
    arn = ddb_a.create_table(
        TableName="turns", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])["TableDescription"]["TableArn"]

    def tag(ddb, name):
        for i in range(25):  # (50 tags at most)
            ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": f"{name}{i}", "Value": "x"}])

    runs = [threading.Thread(target=tag, args=(ddb, name)) for ddb, name in ((ddb_a, "a"), (ddb_b, "b"))]
    for t in runs:
        t.start()
    for t in runs:
        t.join()
    got = {t["Key"] for t in ddb_a.list_tags_of_resource(ResourceArn=arn)["Tags"]}
    want = {f"{n}{i}" for n in "ab" for i in range(25)}
    assert got == want, f"lost: {sorted(want - got)}"


def test_long_poll_on_one_node_wakes_for_a_send_on_the_other(nodes):
    sqs_a = nodes.a.client("sqs", "dev")
    sqs_b = nodes.b.client("sqs", "dev", config=botocore.config.Config(read_timeout=60))
    url = sqs_a.create_queue(QueueName="wake")["QueueUrl"]
    got = {}

    def poll():
        t0 = time.time()
        got["r"] = sqs_b.receive_message(QueueUrl=url, WaitTimeSeconds=20)
        got["elapsed"] = time.time() - t0

    t = threading.Thread(target=poll)
    t.start()
    assert holds(lambda: nodes.b.health("management")["parked_polls"] == 1, settle=10)
    sqs_a.send_message(QueueUrl=url, MessageBody="from a")
    t.join(30)
    assert [m["Body"] for m in got["r"].get("Messages", [])] == ["from a"]
    # woken by the send, not answered at the poll's deadline (20 s)
    assert got["elapsed"] < 15


def test_database_outage_answers_retryable_503s_and_loses_nothing():
    cluster = PgCluster()  # its own: this test stops the server
    n = Nodes(cluster)
    try:
        retrying = botocore.config.Config(retries={"mode": "standard", "max_attempts": 3})
        clients = [f.client("sqs", "dev", config=retrying) for f in (n.a, n.b)]
        url = clients[0].create_queue(QueueName="steady")["QueueUrl"]
        acked, errors, stop = [], [], threading.Event()

        def load():
            i = 0
            while not stop.is_set():
                body = f"m{i}"
                try:
                    clients[i % 2].send_message(QueueUrl=url, MessageBody=body)
                    acked.append(body)
                except botocore.exceptions.ClientError as e:
                    errors.append((status(e), code(e)))
                i += 1
                time.sleep(0.02)

        t = threading.Thread(target=load)
        t.start()
        time.sleep(1)
        cluster.pause()
        time.sleep(2)
        # a load balancer asking either node hears it is unavailable
        for f in (n.a, n.b):
            st, _, body = f.http("GET", "/_ferry/health")
            assert st == 503 and json.loads(body)["status"] == "unavailable"
        time.sleep(8)
        cluster.resume()
        # full service when it returns: both nodes answer, and hear each other again
        assert holds(lambda: all(f.http("GET", "/_ferry/health")[0] == 200 for f in (n.a, n.b)),
                     settle=15)
        back = len(acked)
        assert holds(lambda: len(acked) > back + 5, settle=30)  # sends go on after it
        stop.set()
        t.join(30)
        assert errors, "the outage was not noticed"
        assert set(errors) == {(503, "ServiceUnavailable")}, errors
        # every acknowledged send is there, exactly once
        seen = []
        for _ in range(200):
            ms = clients[1].receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                            VisibilityTimeout=300).get("Messages", [])
            if not ms:
                break
            seen += [m["Body"] for m in ms]
        assert set(acked) <= set(seen)
        assert len(seen) == len(set(seen))
        # caches follow the other node's writes again
        iam = n.a.client("iam", "dev")
        iam.create_user(UserName="after")
        key = iam.create_access_key(UserName="after")["AccessKey"]
        on_b = key_client(n.b, "sts", key)
        on_b.get_caller_identity()
        iam.update_access_key(UserName="after", AccessKeyId=key["AccessKeyId"], Status="Inactive")
        assert holds(lambda: refused(on_b))
    finally:
        n.close()
        cluster.stop()


# both nodes number their SNS messages from the same start, as two nodes that start
# together on one clock may (the seam sets where the numbering starts)
same_clock_nodes = nodes_fixture(env={"FERRY_TEST_SNS_SEQ": "1000"})


def test_publishes_on_both_nodes_at_once_all_reach_every_subscribed_queue(same_clock_nodes):
    nodes = same_clock_nodes
    sns_a, sns_b = nodes.a.client("sns", "dev"), nodes.b.client("sns", "dev")
    sqs = nodes.a.client("sqs", "dev")
    topic = sns_a.create_topic(Name="both")["TopicArn"]
    urls = [queue_for_topic(sqs, sns_a, topic, f"sub{i}", raw=True) for i in range(2)]
    n = 150
    start = threading.Barrier(2)

    def publish(client, tag):
        start.wait()
        for i in range(n):
            client.publish(TopicArn=topic, Message=f"{tag}{i}")

    ts = [threading.Thread(target=publish, args=(c, t)) for c, t in ((sns_a, "a"), (sns_b, "b"))]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    want = {f"{t}{i}" for t in "ab" for i in range(n)}
    for url in urls:
        got = set()

        def drained():
            for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                got.add(m["Body"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            return got >= want

        assert holds(drained, settle=60), sorted(want - got)[:10]


def test_a_dead_nodes_deliveries_are_taken_over(nodes):
    from test_sns import Endpoint
    ep = Endpoint()
    try:
        sns = nodes.a.client("sns", "dev")
        topic = sns.create_topic(Name="takeover")["TopicArn"]
        retry = {"healthyRetryPolicy": {"minDelayTarget": 1, "maxDelayTarget": 1, "numRetries": 100,
                                        "numNoDelayRetries": 0, "numMinDelayRetries": 100,
                                        "numMaxDelayRetries": 0, "backoffFunction": "linear"}}
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=ep.url + "/hook",
                      Attributes={"DeliveryPolicy": json.dumps(retry)})
        conf = ep.wait(1, kind="SubscriptionConfirmation")
        sns.confirm_subscription(TopicArn=topic, Token=json.loads(conf[-1][2])["Token"])
        ep.status = 500  # the endpoint fails: node a keeps the deliveries, retrying
        want = {f"m{i}" for i in range(5)}
        for m in sorted(want):
            sns.publish(TopicArn=topic, Message=m)
        assert len(ep.wait(5, timeout=30, kind="Notification")) >= 5
        nodes.a.stop(signal.SIGKILL)
        with ep.cond:
            ep.status = 200
            seen = len(ep.requests)
        # node b takes them over once a's lease runs out, and delivers each
        def delivered():
            with ep.cond:
                later = ep.requests[seen:]
            return want <= {json.loads(r[2])["Message"] for r in later
                            if r[1].get("x-amz-sns-message-type") == "Notification"}

        assert holds(delivered, settle=60)
        log = open(nodes.b.log).read()
        assert "taking over message" in log and "from node node-a" in log
    finally:
        ep.close()


def stack_events(cfn, sid):
    return [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason", ""))
            for e in cfn.describe_stack_events(StackName=sid)["StackEvents"]]


def settled(cfn, sid, timeout=60):
    deadline = time.time() + timeout
    while True:
        s = cfn.describe_stacks(StackName=sid)["Stacks"][0]["StackStatus"]
        if not s.endswith("_IN_PROGRESS") or time.time() > deadline:
            return s
        time.sleep(0.05)


def stack_queues(nodes, sid, name):
    """The names of the stack's queues, and of every queue named after it (any other would be
    a second one). Names: a queue's URL names the node that made it."""
    cfn, sqs = nodes.b.client("cloudformation", "dev"), nodes.b.client("sqs", "dev")
    listed = {r["PhysicalResourceId"].rsplit("/", 1)[1] for r in cfn.describe_stack_resources(StackName=sid)[
        "StackResources"] if r["ResourceType"] == "AWS::SQS::Queue" and r.get("PhysicalResourceId")}
    named = {u.rsplit("/", 1)[1] for u in sqs.list_queues(QueueNamePrefix=name).get("QueueUrls", [])}
    return listed, named


def test_a_dead_nodes_stack_operation_is_taken_over(nodes):
    """kill -9 of node a while its stack create waits on a custom resource (a queue made
    before it, one to make after it): node b takes the create over once a's lease has run
    out, picks up the request a sent (not sent again) and finishes the stack, each queue made
    once."""
    from test_cfn_custom import Responder, put, respond
    r = Responder(nodes.a, "cfn-takeover")
    cfn = nodes.a.client("cloudformation", "dev")
    body = json.dumps({"Resources": {
        "First": {"Type": "AWS::SQS::Queue"},
        "Thing": {"Type": "Custom::Thing", "DependsOn": "First", "Properties": {"ServiceToken": r.topic}},
        "Last": {"Type": "AWS::SQS::Queue", "DependsOn": "Thing"}}})
    sid = cfn.create_stack(StackName="takeover", TemplateBody=body)["StackId"]
    ev = r.next()
    nodes.a.stop(signal.SIGKILL)
    killed = time.time()
    # the provider answers through node b (the URL's path and signature hold on any node)
    ev["ResponseURL"] = ev["ResponseURL"].replace(nodes.a.endpoint, nodes.b.endpoint)
    assert respond(ev, physical="thing-1") == 200
    cfn = nodes.b.client("cloudformation", "dev")
    st = settled(cfn, sid)
    print(f"stack taken over and completed {time.time() - killed:.2f} s after the kill")
    evs = stack_events(cfn, sid)
    assert st == "CREATE_COMPLETE", evs
    assert any("node-a stopped renewing its lease; node node-b resumes" in why for _, _, why in evs), evs
    listed, named = stack_queues(nodes, sid, "takeover")
    assert len(listed) == 2 and named == listed, (listed, named)
    r.sqs = nodes.b.client("sqs", "dev", region="us-east-1")
    r.none(killed=True)  # the custom resource's request was not sent again
    log = open(nodes.b.log).read()
    assert "taking over stack takeover from node node-a" in log


# node a kills itself right after making a stack's second queue, before recording it
dying_nodes = nodes_fixture(env_a={"FERRY_CFN_KILL_AFTER_CREATES": "2"})


def test_a_dead_nodes_stack_create_is_rolled_back_by_another(dying_nodes):
    """node a dies (kill -9) between making a queue and recording it: node b takes the create
    over, fails it (the step's outcome is not known) and rolls it back, deleting every queue
    made, the unrecorded one included, with events saying why."""
    nodes = dying_nodes
    body = json.dumps({"Resources": {f"Q{i}": {"Type": "AWS::SQS::Queue", **(
        {"DependsOn": f"Q{i - 1}"} if i else {})} for i in range(4)}})
    sid = nodes.a.client("cloudformation", "dev").create_stack(
        StackName="rolled", TemplateBody=body)["StackId"]
    nodes.a.proc.wait(60)
    assert nodes.a.proc.returncode == -signal.SIGKILL, nodes.a.proc.returncode
    killed = time.time()
    cfn = nodes.b.client("cloudformation", "dev")
    st = settled(cfn, sid)
    print(f"stack taken over and rolled back {time.time() - killed:.2f} s after the kill")
    evs = stack_events(cfn, sid)
    assert st == "ROLLBACK_COMPLETE", evs
    whys = [why for _, _, why in evs]
    assert any("node-a stopped renewing its lease" in w for w in whys), evs
    assert any(w.startswith("Resource handler was interrupted") for w in whys), evs
    assert stack_queues(nodes, sid, "rolled")[1] == set()


def test_a_node_started_beside_a_running_stack_operation_leaves_it(nodes):
    """node b restarted while node a's stack create waits: b does not resume it (its request
    is not sent again); a finishes it."""
    from test_cfn_custom import Responder, respond
    r = Responder(nodes.a, "cfn-beside")
    cfn = nodes.a.client("cloudformation", "dev")
    body = json.dumps({"Resources": {"Thing": {"Type": "Custom::Thing", "Properties": {"ServiceToken": r.topic}}}})
    sid = cfn.create_stack(StackName="beside", TemplateBody=body)["StackId"]
    ev = r.next()
    nodes.b.stop(signal.SIGKILL)
    nodes.b.start()  # its engines have claimed what they resume when it answers
    r.none()
    assert respond(ev, physical="thing-beside") == 200
    evs = stack_events(cfn, sid)
    assert settled(cfn, sid) == "CREATE_COMPLETE", evs
    assert not any("lease" in why for _, _, why in stack_events(cfn, sid))
    log = open(nodes.b.log).read()
    assert "resuming stack work" not in log and "taking over stack" not in log


PIPE_ENV = {"FERRY_PIPELINE_INTERVAL": "0.1"}


pipeline_nodes = nodes_fixture(env=PIPE_ENV)


def test_a_dead_nodes_pipeline_execution_is_taken_over(pipeline_nodes):
    """kill -9 of node a while its execution waits for an approval: node b takes the
    execution over once a's lease has run out, the approval given through b lets it
    succeed, and each action ran once."""
    import test_codepipeline as tc
    nodes = pipeline_nodes
    env = tc.Env(nodes.a)
    key = tc.uniq("src") + ".zip"
    tc.put_source(nodes.a, env, key, {"template.yaml": tc.TOPIC_TEMPLATE})
    name = tc.uniq("takeover")
    cp = nodes.a.client("codepipeline", "tools", region=tc.REGION)
    cp.create_pipeline(pipeline=tc.decl(env, [tc.s3_source(env, key), tc.approval(env)], name))
    token = tc.wait(cp, name, tc.pending_token())
    xid = tc.latest(cp, name)
    nodes.a.stop(signal.SIGKILL)
    killed = time.time()
    cp = nodes.b.client("codepipeline", "tools", region=tc.REGION)
    cp.put_approval_result(pipelineName=name, stageName="Approve", actionName="Approve",
                           result={"summary": "on b", "status": "Approved"}, token=token)
    assert tc.wait_exec(cp, name, xid, timeout=60)["status"] == "Succeeded"
    print(f"execution taken over and succeeded {time.time() - killed:.2f} s after the kill")
    acts = cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": xid})[
        "actionExecutionDetails"]
    assert sorted(a["actionName"] for a in acts) == ["Approve", "Source"], acts
    assert "taking over execution" in open(nodes.b.log).read()


# node a kills itself in the middle of an action's run
pipeline_dying_nodes = nodes_fixture(env=PIPE_ENV, env_a={"FERRY_PIPELINE_KILL_IN_ACTION": "1"})


def test_an_action_cut_off_by_a_dead_node_fails_and_is_not_run_again(pipeline_dying_nodes):
    """node a dies (kill -9) while its execution's source action runs: node b takes the
    execution over; the action fails, saying so, and is not run a second time."""
    import test_codepipeline as tc
    nodes = pipeline_dying_nodes
    env = tc.Env(nodes.a)
    key = tc.uniq("src") + ".zip"
    tc.put_source(nodes.a, env, key, {"template.yaml": tc.TOPIC_TEMPLATE})
    name = tc.uniq("cutoff")
    nodes.a.client("codepipeline", "tools", region=tc.REGION).create_pipeline(
        pipeline=tc.decl(env, [tc.s3_source(env, key), tc.approval(env)], name))
    nodes.a.proc.wait(30)
    assert nodes.a.proc.returncode == -signal.SIGKILL, nodes.a.proc.returncode
    cp = nodes.b.client("codepipeline", "tools", region=tc.REGION)
    xid = tc.latest(cp, name)
    assert tc.wait_exec(cp, name, xid, timeout=60)["status"] == "Failed"
    acts = cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": xid})[
        "actionExecutionDetails"]
    assert [a["actionName"] for a in acts] == ["Source"] and acts[0]["status"] == "Failed", acts
    assert "ferry stopped while it ran" in tc.action_state(cp.get_pipeline_state(name=name), "Source", "Source")[
        "errorDetails"]["message"]


def psql(url, q):
    return subprocess.run(["psql", "-tAX", url, "-c", q], check=True,
                          capture_output=True, text=True).stdout.strip()


def log_of(f):
    return open(f.log, errors="replace").read()


def which_logged(nodes, text, settle=30):
    """(the node whose log says text, the other one), once one does."""
    assert holds(lambda: any(text in log_of(f) for f in (nodes.a, nodes.b)), settle=settle), text
    return (nodes.a, nodes.b) if text in log_of(nodes.a) else (nodes.b, nodes.a)


def node_id(nodes, f):
    return "node-a" if f is nodes.a else "node-b"


def test_a_dead_nodes_build_is_failed_by_another(nodes):
    """kill -9 of the node running a build: the other node marks it FAILED once the dead
    node's lease has run out (its processes died with it: a build is not run again), with
    the phase's context saying which node stopped; one node ran it."""
    import test_codebuild as tcb
    iam = nodes.a.client("iam", "tools")
    role = iam.create_role(RoleName="cb-service",
                           AssumeRolePolicyDocument=json.dumps(tcb.TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName="cb-service", PolicyName="all", PolicyDocument=json.dumps(tcb.ALL))
    cb = nodes.a.client("codebuild", "tools", region=tcb.REGION)
    tcb.project(cb, role, "long", "version: 0.2\nphases:\n  build:\n    commands:\n"
                "      - sleep 3027\n")
    bid = cb.start_build(projectName="long")["build"]["id"]
    # the node that claimed it runs it (the one that took the request, unless the other's
    # dispatcher looked first)
    runner, other = which_logged(nodes, f"build {bid} started")
    cb = other.client("codebuild", "tools", region=tcb.REGION)
    assert holds(lambda: cb.batch_get_builds(ids=[bid])["builds"][0]["currentPhase"] == "BUILD",
                 settle=30)
    runner.stop(signal.SIGKILL)
    killed = time.time()
    b = tcb.wait(cb, bid, timeout=60)
    print(f"build failed by the other node {time.time() - killed:.2f} s after the kill")
    assert b["buildStatus"] == "FAILED" and b["currentPhase"] == "COMPLETED"
    ph = tcb.phases(b)["BUILD"]
    assert ph["phaseStatus"] == "FAILED"
    assert ph["contexts"][0] == {"statusCode": "CLIENT_ERROR", "message": (
        f"Build was interrupted: ferry node {node_id(nodes, runner)} stopped while it ran")}
    assert f"build {bid} started" not in log_of(other)


def test_queued_builds_run_once_with_two_nodes(nodes):
    """builds started through both nodes: each is run by one node."""
    import test_codebuild as tcb
    iam = nodes.a.client("iam", "tools")
    role = iam.create_role(RoleName="cb-service",
                           AssumeRolePolicyDocument=json.dumps(tcb.TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName="cb-service", PolicyName="all", PolicyDocument=json.dumps(tcb.ALL))
    cbs = [f.client("codebuild", "tools", region=tcb.REGION) for f in (nodes.a, nodes.b)]
    tcb.project(cbs[0], role, "quick", "version: 0.2\nphases:\n  build:\n    commands:\n"
                "      - echo hi\n")
    ids = [cbs[i % 2].start_build(projectName="quick")["build"]["id"] for i in range(6)]
    for bid in ids:
        assert tcb.wait(cbs[1], bid, timeout=60)["buildStatus"] == "SUCCEEDED"
    logs = log_of(nodes.a) + log_of(nodes.b)
    assert all(logs.count(f"build {bid} started") == 1 for bid in ids), logs


def test_a_dead_nodes_async_events_are_run_by_another(nodes):
    """kill -9 of node a while it runs asynchronous invocations it accepted: node b takes
    them over once a's lease has run out and runs each (at least once, as AWS promises)."""
    import test_lambda_async as tla
    iam = nodes.a.client("iam", "dev")
    role = iam.create_role(RoleName="async-run",
                           AssumeRolePolicyDocument=json.dumps(tla.TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName="async-run", PolicyName="send", PolicyDocument=json.dumps(tla.SEND))
    lam, sqs = nodes.a.client("lambda", "dev"), nodes.a.client("sqs", "dev")
    _, out = tla.function(lam, role, sqs, "slow")
    for n in range(6):
        assert lam.invoke(FunctionName="slow", InvocationType="Event",
                          Payload=json.dumps({"n": n, "sleep": 3}).encode())["StatusCode"] == 202

    def owners():
        return psql(nodes.a.store_url, "SELECT string_agg(DISTINCT doc::json->>'Node', ',')"
                    " FROM docs WHERE kind='lambda.async'")

    assert holds(lambda: owners() == "node-a", settle=10)  # a, which accepted them, runs them
    nodes.a.stop(signal.SIGKILL)
    killed = time.time()
    assert holds(lambda: "node-b" in owners(), settle=30)
    print(f"events taken over {time.time() - killed:.2f} s after the kill")
    got = tla.receive(nodes.b.client("sqs", "dev"), out, 6, seconds=60)
    assert {m["event"]["n"] for m in got} == set(range(6))
    assert "lambda async: taking over event" in log_of(nodes.b)
    assert holds(lambda: owners() == "", settle=10)  # each settled


esm_nodes = nodes_fixture(env={"FERRY_ESM_POLL_SECONDS": "1"})


def test_an_event_source_mapping_is_polled_by_one_node_and_taken_over(esm_nodes):
    """a mapping is polled by one of two nodes (each message reaches the function once);
    kill -9 of that node: the other takes the mapping over once the lease has run out."""
    import test_lambda_esm as tle
    nodes = esm_nodes
    iam = nodes.a.client("iam", "dev")
    role = iam.create_role(RoleName="esm-fn",
                           AssumeRolePolicyDocument=json.dumps(tle.TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName="esm-fn", PolicyName="sqs", PolicyDocument=json.dumps(tle.ALLOW))
    lam, sqs = nodes.a.client("lambda", "dev"), nodes.a.client("sqs", "dev")
    sink = sqs.create_queue(QueueName="sink")["QueueUrl"]
    lam.create_function(FunctionName="worker", Runtime="python3.12", Role=role,
                        Handler="index.handler", Timeout=3, Code={"ZipFile": tle.zipped(tle.HANDLER)},
                        Environment={"Variables": {"SINK": sink}})
    lam.get_waiter("function_active_v2").wait(FunctionName="worker",
                                              WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    url, arn = tle.queue(sqs, "orders", visibility=30)
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker")["UUID"]
    poller, other = which_logged(nodes, f"esm: mapping {uuid} is this node's to poll")
    sends = [f.client("sqs", "dev") for f in (nodes.a, nodes.b)]
    for i in range(20):
        sends[i % 2].send_message(QueueUrl=url, MessageBody=f"m{i}")
    bodies = [r["body"] for r in tle.records(tle.events(sqs, sink, 20, timeout=30))]
    assert sorted(bodies) == sorted(f"m{i}" for i in range(20))
    assert uuid not in log_of(other)
    poller.stop(signal.SIGKILL)
    killed = time.time()
    sqs = other.client("sqs", "dev")
    for i in range(20, 25):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    taken = f"esm: taking over mapping {uuid} from node {node_id(nodes, poller)}"
    assert holds(lambda: taken in log_of(other), settle=30)
    print(f"mapping taken over {time.time() - killed:.2f} s after the kill")
    bodies = [r["body"] for r in tle.records(tle.events(sqs, sink, 5, timeout=60))]
    print(f"its messages delivered {time.time() - killed:.2f} s after the kill")
    assert sorted(bodies) == [f"m{i}" for i in range(20, 25)]


WAITING_TPL = json.dumps({"Resources": {
    "H": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
    "W": {"Type": "AWS::CloudFormation::WaitCondition",
          "Properties": {"Handle": {"Ref": "H"}, "Timeout": "300"}}}})


def test_a_dead_nodes_stack_set_operation_is_taken_over(nodes):
    """kill -9 of the node running a stack set operation while its instance's stack waits:
    the other node takes the operation over (and the stack, which its lease moves too: the
    step cut off fails, "interrupted", and is rolled back) and ends it, saying why; the
    instance's stack was made once."""
    from ferrytest import stackset_roles
    stackset_roles(nodes.a, "management", ["dev"])
    dev = nodes.a.client("sts", "dev").get_caller_identity()["Account"]
    cfn = nodes.a.client("cloudformation", "management", region="us-east-1")
    cfn.create_stack_set(StackSetName="held", TemplateBody=WAITING_TPL)
    opid = cfn.create_stack_instances(StackSetName="held", Accounts=[dev],
                                      Regions=["us-east-1"])["OperationId"]
    runner, other = which_logged(nodes, f"operation {opid} CREATE on 1 targets")
    cfn = other.client("cloudformation", "management", region="us-east-1")
    dev_cfn = other.client("cloudformation", "dev", region="us-east-1")

    def waiting():
        sid = cfn.describe_stack_instance(StackSetName="held", StackInstanceAccount=dev,
                                          StackInstanceRegion="us-east-1")["StackInstance"].get("StackId")
        return sid and {r["LogicalResourceId"]: r["ResourceStatus"] for r in dev_cfn.list_stack_resources(
            StackName=sid)["StackResourceSummaries"]}.get("W") == "CREATE_IN_PROGRESS" and sid

    assert holds(waiting, settle=30)
    sid = waiting()
    runner.stop(signal.SIGKILL)
    killed = time.time()
    who = node_id(nodes, runner)
    assert holds(lambda: f"taking over operation {opid} from node {who}" in log_of(other), settle=30)
    print(f"stack set operation taken over {time.time() - killed:.2f} s after the kill")
    deadline = time.time() + 60
    while cfn.describe_stack_set_operation(StackSetName="held", OperationId=opid)[
            "StackSetOperation"]["Status"] == "RUNNING" and time.time() < deadline:
        time.sleep(0.05)
    print(f"stack set operation ended {time.time() - killed:.2f} s after the kill")
    op = cfn.describe_stack_set_operation(StackSetName="held", OperationId=opid)["StackSetOperation"]
    [res] = cfn.list_stack_set_operation_results(StackSetName="held", OperationId=opid)["Summaries"]
    assert op["Status"] == "FAILED" and res["Status"] == "FAILED" and res["StatusReason"], res
    assert dev_cfn.describe_stacks(StackName=sid)["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    print("its target:", res["StatusReason"])
    assert any(f"{who} stopped renewing its lease" in why for _, _, why in stack_events(dev_cfn, sid))
    made = [s for s in dev_cfn.list_stacks()["StackSummaries"] if s["StackName"].startswith("StackSet-held-")]
    assert len(made) == 1, made


rotation_nodes = nodes_fixture(env={"FERRY_SM_ROTATION_INTERVAL": "1"})


def test_a_dead_nodes_secret_rotation_is_taken_over(rotation_nodes):
    """both nodes sweep the rotations every second; a rotation runs on one of them; kill -9
    of that node while its function's setSecret runs: the other takes the rotation over once
    the lease has run out and completes it (the steps run again, as AWS's rotation functions
    allow)."""
    import test_secrets_rotation as tsr
    nodes = rotation_nodes
    fns = tsr.make_functions(nodes.a)
    sm = nodes.a.client("secretsmanager", "dev")
    arn = tsr.new_secret(sm)
    token = sm.rotate_secret(SecretId=arn, RotationLambdaARN=fns["slow"])["VersionId"]
    runner, other = which_logged(nodes, f"rotating {arn}")
    sm = other.client("secretsmanager", "dev")
    tsr.wait(lambda: tsr.pending_written(sm, arn))  # createSecret done; setSecret sleeps
    assert f"rotating {arn}" not in log_of(other)  # the other node's sweeps left it
    runner.stop(signal.SIGKILL)
    killed = time.time()
    who = node_id(nodes, runner)
    assert holds(lambda: f"taking over the rotation of {arn} from node {who}" in log_of(other),
                 settle=30)
    print(f"rotation taken over {time.time() - killed:.2f} s after the kill")
    tsr.wait(lambda: tsr.rotated(sm, arn, token), 60)
    print(f"rotation completed {time.time() - killed:.2f} s after the kill")


# rate(1 minute) at FERRY_EVENTS_TIME_SCALE 0.025: a period of 1.5 s
sched_nodes = nodes_fixture(env={"FERRY_EVENTS_TIME_SCALE": "0.025", "FERRY_EVENTS_INTERVAL": "0.1"})


def test_a_scheduled_rule_fires_once_per_period_on_two_nodes(sched_nodes):
    """both nodes sweep the schedules; each period fires once (its claim, the schedule's
    next time, is written in the write transaction that fires it), also after kill -9 of
    one node."""
    import test_events as tev
    nodes = sched_nodes
    ev, sqs = nodes.a.client("events", "dev"), nodes.a.client("sqs", "dev")
    url, arn = tev.queue(sqs, "ticks")
    ev.put_rule(Name="tick", ScheduleExpression="rate(1 minute)")
    ev.put_targets(Rule="tick", Targets=[{"Id": "q", "Arn": arn}])
    got = tev.receive(sqs, url, n=5, seconds=30)
    nodes.a.stop(signal.SIGKILL)
    sqs = nodes.b.client("sqs", "dev")
    got += tev.receive(sqs, url, n=4, seconds=30)
    nodes.b.client("events", "dev").disable_rule(Name="tick")
    time.sleep(0.5)
    got += tev.receive(sqs, url, n=100, seconds=2)
    times = [e["time"] for e in got]
    assert len(got) >= 9 and len(set(times)) == len(times), sorted(times)
    assert len({e["id"] for e in got}) == len(got)


def test_leases_of_nodes_long_gone_are_swept():
    # a lease renewed every 20 ms: the sweep (every 60 renewals) comes within seconds
    n = Nodes(env={"FERRY_LEASES_INTERVAL": "0.02"})
    try:
        url = n.a.store_url

        def sql(q):
            return psql(url, q)

        sql("INSERT INTO docs(kind,account,region,id,doc) VALUES"
            " ('ferry.node','','','gone-node','{\"Until\":1}')")
        assert holds(lambda: sql("SELECT count(*) FROM docs WHERE kind='ferry.node'"
                                 " AND id='gone-node'") == "0", settle=30)
        # the live nodes' leases stay
        assert sql("SELECT string_agg(id, ',' ORDER BY id) FROM docs WHERE kind='ferry.node'") \
            == "node-a,node-b"
    finally:
        n.close()
