"""CodeCommit through boto3, beyond repositories and git: the "CodeCommit Repository State
Change" events of refs moved by the API (PutFile, DeleteFile, CreateCommit, branches,
merges), pull requests and their merges, approval rules and templates, and triggers."""
import json
import time

import pytest
from ferrytest import acct, raises

REGION = "us-east-1"
ALLOW_EVENTS = {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage", "Resource": "*"}


@pytest.fixture(scope="module")
def cc(ferry):
    return ferry.client("codecommit", "tools", region=REGION)


@pytest.fixture(scope="module")
def sqs(ferry):
    return ferry.client("sqs", "tools", region=REGION)


def queue(sqs, name, principal):
    q = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=q, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": principal},
            "Action": "sqs:SendMessage", "Resource": arn}]})})
    return q, arn


def drain(sqs, q, n, timeout=10):
    """n messages' bodies (JSON), waiting at most timeout seconds."""
    got, end = [], time.time() + timeout
    while len(got) < n and time.time() < end:
        r = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=1, MaxNumberOfMessages=10)
        for m in r.get("Messages", []):
            got.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=q, ReceiptHandle=m["ReceiptHandle"])
    return got


def rule_to_queue(ferry, sqs, name, pattern):
    q, qarn = queue(sqs, name, "events.amazonaws.com")
    ev = ferry.client("events", "tools", region=REGION)
    ev.put_rule(Name=name, EventPattern=json.dumps(pattern))
    ev.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": qarn}])
    return q


def test_api_ref_changes_emit_state_change_events(ferry, cc, sqs):
    arn = cc.create_repository(repositoryName="api-events")["repositoryMetadata"]["Arn"]
    q = rule_to_queue(ferry, sqs, "api-refs", {
        "source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"],
        "resources": [arn]})
    c1 = cc.put_file(repositoryName="api-events", branchName="main", filePath="a.txt",
                     fileContent=b"a")["commitId"]
    c2 = cc.create_commit(repositoryName="api-events", branchName="main", parentCommitId=c1,
                          putFiles=[{"filePath": "b.txt", "fileContent": b"b"}])["commitId"]
    cc.create_branch(repositoryName="api-events", branchName="feature", commitId=c1)
    c3 = cc.put_file(repositoryName="api-events", branchName="feature", filePath="c.txt",
                     fileContent=b"c", parentCommitId=c1)["commitId"]
    d = cc.delete_file(repositoryName="api-events", branchName="feature", filePath="a.txt",
                       parentCommitId=c3, commitMessage="rm a")
    assert d["filePath"] == "a.txt" and d["commitId"]
    raises(cc.get_file, "FileDoesNotExistException", repositoryName="api-events",
           commitSpecifier="feature", filePath="a.txt")
    m = cc.merge_branches_by_three_way(repositoryName="api-events",
                                       sourceCommitSpecifier="feature",
                                       destinationCommitSpecifier="main", commitMessage="merge")
    got = cc.get_commit(repositoryName="api-events", commitId=m["commitId"])["commit"]
    assert got["parents"] == [c2, d["commitId"]] and got["message"] == "merge"
    cc.delete_branch(repositoryName="api-events", branchName="feature")
    evs = drain(sqs, q, 7)
    seen = [(e["detail"]["event"], e["detail"]["referenceName"], e["detail"].get("oldCommitId"),
             e["detail"].get("commitId")) for e in evs]
    me = acct(ferry, "tools")
    assert all(e["detail"]["callerUserArn"].startswith(f"arn:aws:") and me in
               e["detail"]["callerUserArn"] for e in evs)
    assert seen == [
        ("referenceCreated", "main", None, c1),
        ("referenceUpdated", "main", c1, c2),
        ("referenceCreated", "feature", None, c1),
        ("referenceUpdated", "feature", c1, c3),
        ("referenceUpdated", "feature", c3, d["commitId"]),
        ("referenceUpdated", "main", c2, m["commitId"]),
        ("referenceDeleted", "feature", d["commitId"], None),
    ], seen


def test_squash_and_conflicts(cc):
    c1 = cc.put_file(repositoryName="api-events", branchName="main", filePath="x.txt",
                     fileContent=b"base\n", parentCommitId=cc.get_branch(
                         repositoryName="api-events", branchName="main")["branch"]["commitId"])["commitId"]
    cc.create_branch(repositoryName="api-events", branchName="s1", commitId=c1)
    s = cc.put_file(repositoryName="api-events", branchName="s1", filePath="x.txt",
                    fileContent=b"source\n", parentCommitId=c1)["commitId"]
    t = cc.put_file(repositoryName="api-events", branchName="main", filePath="x.txt",
                    fileContent=b"dest\n", parentCommitId=c1)["commitId"]
    raises(cc.merge_branches_by_squash, "ManualMergeRequiredException",
           repositoryName="api-events", sourceCommitSpecifier="s1",
           destinationCommitSpecifier="main")
    raises(cc.merge_branches_by_fast_forward, "ManualMergeRequiredException",
           repositoryName="api-events", sourceCommitSpecifier="s1",
           destinationCommitSpecifier="main")
    m = cc.merge_branches_by_squash(repositoryName="api-events", sourceCommitSpecifier="s1",
                                    destinationCommitSpecifier="main",
                                    conflictResolutionStrategy="ACCEPT_SOURCE")
    got = cc.get_commit(repositoryName="api-events", commitId=m["commitId"])["commit"]
    assert got["parents"] == [t] and s != m["commitId"]
    assert cc.get_file(repositoryName="api-events", filePath="x.txt")["fileContent"] == b"source\n"
