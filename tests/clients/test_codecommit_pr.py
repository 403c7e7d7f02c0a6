"""CodeCommit through boto3, beyond repositories and git: the "CodeCommit Repository State
Change" events of refs moved by the API (PutFile, DeleteFile, CreateCommit, branches,
merges), pull requests (comments, merges, events), approval rules and templates, triggers to
SNS and Lambda, and AWS::CodeCommit::Repository's Code.S3 and Triggers."""
import json

import pytest
from ferrytest import acct, raises, stack_wait, zipped
from test_s3_config import receive as drain  # n JSON bodies, deleted, within a timeout

REGION = "us-east-1"


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
    assert all(e["detail"]["callerUserArn"].startswith("arn:aws:") and me in
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
    o = cc.get_merge_options(repositoryName="api-events", sourceCommitSpecifier="s1",
                             destinationCommitSpecifier="main")
    assert o["mergeOptions"] == ["SQUASH_MERGE", "THREE_WAY_MERGE"] and o["baseCommitId"] == c1
    assert o["sourceCommitId"] == s and o["destinationCommitId"] == t
    mc = cc.get_merge_conflicts(repositoryName="api-events", sourceCommitSpecifier="s1",
                                destinationCommitSpecifier="main", mergeOption="THREE_WAY_MERGE")
    assert mc["mergeable"] is False and [x["filePath"] for x in mc["conflictMetadataList"]] == [
        "x.txt"]
    assert cc.get_merge_conflicts(repositoryName="api-events", sourceCommitSpecifier="s1",
                                  destinationCommitSpecifier=c1,
                                  mergeOption="FAST_FORWARD_MERGE")["mergeable"] is True
    m = cc.merge_branches_by_squash(repositoryName="api-events", sourceCommitSpecifier="s1",
                                    destinationCommitSpecifier="main",
                                    conflictResolutionStrategy="ACCEPT_SOURCE")
    got = cc.get_commit(repositoryName="api-events", commitId=m["commitId"])["commit"]
    assert got["parents"] == [t] and s != m["commitId"]
    assert cc.get_file(repositoryName="api-events", filePath="x.txt")["fileContent"] == b"source\n"


RULE = {"Version": "2018-11-08", "Statements": [{
    "Type": "Approvers", "NumberOfApprovalsNeeded": 2,
    "ApprovalPoolMembers": ["CodeCommitApprovers:{acct}:reviewer",
                            "arn:aws:sts::{acct}:assumed-role/Reviewers/*"]}]}


def rule_text(ferry):
    return json.dumps(RULE).replace("{acct}", acct(ferry, "tools"))


@pytest.fixture(scope="module")
def reviewers(ferry):
    """A reviewer user and a session of the Reviewers role, both allowed CodeCommit."""
    allow = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "codecommit:*", "Resource": "*"}]}
    user = ferry.user_client("codecommit", "tools", "reviewer", allow, region=REGION)
    tools = acct(ferry, "tools")
    iam = ferry.client("iam", "tools")
    iam.create_role(RoleName="Reviewers", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"AWS": f"arn:aws:iam::{tools}:root"}}]}))
    iam.put_role_policy(RoleName="Reviewers", PolicyName="cc", PolicyDocument=json.dumps(allow))
    cr = ferry.client("sts", "tools", region=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{tools}:role/Reviewers", RoleSessionName="ana")["Credentials"]
    import boto3
    role = boto3.client("codecommit", endpoint_url=ferry.endpoint, region_name=REGION,
                        aws_access_key_id=cr["AccessKeyId"],
                        aws_secret_access_key=cr["SecretAccessKey"],
                        aws_session_token=cr["SessionToken"])
    return user, role


def test_pull_request_lifecycle_and_approvals(ferry, cc, sqs, reviewers):
    user, role = reviewers
    cc.create_repository(repositoryName="prs")
    base = cc.put_file(repositoryName="prs", branchName="main", filePath="app.py",
                       fileContent=b"v1\n")["commitId"]
    cc.create_branch(repositoryName="prs", branchName="feature", commitId=base)
    src = cc.put_file(repositoryName="prs", branchName="feature", filePath="app.py",
                      fileContent=b"v2\n", parentCommitId=base)["commitId"]
    q = rule_to_queue(ferry, sqs, "pr-events", {
        "source": ["aws.codecommit"], "detail-type": ["CodeCommit Pull Request State Change"]})
    pr = cc.create_pull_request(title="Add v2", description="please",
                                targets=[{"repositoryName": "prs", "sourceReference": "feature",
                                          "destinationReference": "main"}],
                                clientRequestToken="tok-1")["pullRequest"]
    pid = pr["pullRequestId"]
    t = pr["pullRequestTargets"][0]
    assert pr["pullRequestStatus"] == "OPEN" and pr["authorArn"].startswith("arn:aws:")
    assert t["sourceReference"] == "refs/heads/feature" and t["destinationReference"] == \
        "refs/heads/main"
    assert t["sourceCommit"] == src and t["destinationCommit"] == base and t["mergeBase"] == base
    assert t["mergeMetadata"]["isMerged"] is False
    # the same token answers the same pull request
    again = cc.create_pull_request(title="Add v2", targets=[{
        "repositoryName": "prs", "sourceReference": "feature"}], clientRequestToken="tok-1")
    assert again["pullRequest"]["pullRequestId"] == pid
    raises(cc.create_pull_request, "SourceAndDestinationAreSameException", title="x",
           targets=[{"repositoryName": "prs", "sourceReference": "main",
                     "destinationReference": "main"}])
    raises(cc.create_pull_request, "ReferenceDoesNotExistException", title="x",
           targets=[{"repositoryName": "prs", "sourceReference": "nope"}])
    raises(cc.get_pull_request, "PullRequestDoesNotExistException", pullRequestId="999")
    raises(cc.get_pull_request, "InvalidPullRequestIdException", pullRequestId="abc")
    assert cc.list_pull_requests(repositoryName="prs", pullRequestStatus="OPEN")[
        "pullRequestIds"] == [pid]
    assert cc.list_pull_requests(repositoryName="prs", authorArn="arn:aws:iam::1:user/x")[
        "pullRequestIds"] == []
    cc.update_pull_request_title(pullRequestId=pid, title="Add v2!")
    cc.update_pull_request_description(pullRequestId=pid, description="now")
    g = cc.get_pull_request(pullRequestId=pid)["pullRequest"]
    assert g["title"] == "Add v2!" and g["description"] == "now"

    # comments, in threads by commits and location
    kw = dict(pullRequestId=pid, repositoryName="prs", beforeCommitId=base, afterCommitId=src)
    c1 = cc.post_comment_for_pull_request(content="looks good", clientRequestToken="c-1", **kw)
    assert c1["comment"]["content"] == "looks good" and c1["pullRequestId"] == pid
    again = cc.post_comment_for_pull_request(content="looks good", clientRequestToken="c-1", **kw)
    assert again["comment"]["commentId"] == c1["comment"]["commentId"]
    loc = {"filePath": "app.py", "filePosition": 1, "relativeFileVersion": "AFTER"}
    user.post_comment_for_pull_request(content="line 1?", location=loc, **kw)
    raises(cc.post_comment_for_pull_request, "CommentContentRequiredException", content="", **kw)
    threads = cc.get_comments_for_pull_request(pullRequestId=pid)["commentsForPullRequestData"]
    assert [[m["content"] for m in t["comments"]] for t in threads] == [["looks good"], ["line 1?"]]
    assert threads[1]["location"] == loc and threads[1]["comments"][0]["authorArn"].endswith(
        ":user/reviewer")

    # an approval rule: two approvals from the pool
    rule = cc.create_pull_request_approval_rule(pullRequestId=pid, approvalRuleName="two",
                                                approvalRuleContent=rule_text(ferry))["approvalRule"]
    assert rule["approvalRuleName"] == "two" and len(rule["ruleContentSha256"]) == 64
    raises(cc.create_pull_request_approval_rule, "InvalidApprovalRuleContentException",
           pullRequestId=pid, approvalRuleName="bad", approvalRuleContent='{"Version": "1"}')
    raises(cc.create_pull_request_approval_rule, "ApprovalRuleNameAlreadyExistsException",
           pullRequestId=pid, approvalRuleName="two", approvalRuleContent=rule_text(ferry))
    rev = cc.get_pull_request(pullRequestId=pid)["pullRequest"]["revisionId"]
    raises(cc.update_pull_request_approval_state, "PullRequestCannotBeApprovedByAuthorException",
           pullRequestId=pid, revisionId=rev, approvalState="APPROVE")
    user.update_pull_request_approval_state(pullRequestId=pid, revisionId=rev,
                                            approvalState="APPROVE")
    ev = cc.evaluate_pull_request_approval_rules(pullRequestId=pid, revisionId=rev)["evaluation"]
    assert ev == {"approved": False, "overridden": False, "approvalRulesSatisfied": [],
                  "approvalRulesNotSatisfied": ["two"]}
    raises(cc.merge_pull_request_by_fast_forward, "PullRequestApprovalRulesNotSatisfiedException",
           pullRequestId=pid, repositoryName="prs")
    role.update_pull_request_approval_state(pullRequestId=pid, revisionId=rev,
                                            approvalState="APPROVE")
    states = cc.get_pull_request_approval_states(pullRequestId=pid, revisionId=rev)["approvals"]
    assert sorted(s["userArn"].split(":")[-1] for s in states) == [
        "assumed-role/Reviewers/ana", "user/reviewer"]
    ev = cc.evaluate_pull_request_approval_rules(pullRequestId=pid, revisionId=rev)["evaluation"]
    assert ev["approved"] is True and ev["approvalRulesSatisfied"] == ["two"]
    # a new commit on the source is a new revision: approvals start over
    src2 = cc.put_file(repositoryName="prs", branchName="feature", filePath="more.txt",
                       fileContent=b"m", parentCommitId=src)["commitId"]
    g = cc.get_pull_request(pullRequestId=pid)["pullRequest"]
    assert g["revisionId"] != rev and g["pullRequestTargets"][0]["sourceCommit"] == src2
    raises(cc.evaluate_pull_request_approval_rules, "RevisionNotCurrentException",
           pullRequestId=pid, revisionId=rev)
    rev = g["revisionId"]
    assert cc.evaluate_pull_request_approval_rules(pullRequestId=pid, revisionId=rev)[
        "evaluation"]["approved"] is False
    # an override lets it merge
    cc.override_pull_request_approval_rules(pullRequestId=pid, revisionId=rev,
                                            overrideStatus="OVERRIDE")
    o = cc.get_pull_request_override_state(pullRequestId=pid, revisionId=rev)
    assert o["overridden"] is True and o["overrider"]
    cc.override_pull_request_approval_rules(pullRequestId=pid, revisionId=rev,
                                            overrideStatus="REVOKE")
    user.update_pull_request_approval_state(pullRequestId=pid, revisionId=rev,
                                            approvalState="APPROVE")
    role.update_pull_request_approval_state(pullRequestId=pid, revisionId=rev,
                                            approvalState="APPROVE")
    raises(cc.merge_pull_request_by_fast_forward, "TipOfSourceReferenceIsDifferentException",
           pullRequestId=pid, repositoryName="prs", sourceCommitId=src)
    m = cc.merge_pull_request_by_fast_forward(pullRequestId=pid, repositoryName="prs",
                                              sourceCommitId=src2)["pullRequest"]
    mm = m["pullRequestTargets"][0]["mergeMetadata"]
    assert m["pullRequestStatus"] == "CLOSED" and mm["isMerged"] is True
    assert mm["mergeOption"] == "FAST_FORWARD_MERGE" and mm["mergeCommitId"] == src2
    assert cc.get_branch(repositoryName="prs", branchName="main")["branch"]["commitId"] == src2
    raises(cc.update_pull_request_title, "PullRequestAlreadyClosedException", pullRequestId=pid,
           title="late")
    types = [e["pullRequestEventType"] for e in
             cc.describe_pull_request_events(pullRequestId=pid)["pullRequestEvents"]]
    assert types[0] == "PULL_REQUEST_CREATED" and types[-1] == "PULL_REQUEST_MERGE_STATE_CHANGED"
    assert "PULL_REQUEST_SOURCE_REFERENCE_UPDATED" in types
    assert types.count("PULL_REQUEST_APPROVAL_STATE_CHANGED") == 4
    evs = [e["detail"] for e in drain(sqs, q, 10)]
    assert len(evs) == 10
    kinds = [d["event"] for d in evs]
    assert kinds[0] == "pullRequestCreated" and kinds[-1] == "pullRequestMergeStatusUpdated", kinds
    assert "pullRequestSourceBranchUpdated" in kinds and "pullRequestApprovalStateChanged" in kinds
    created = evs[0]
    assert created["pullRequestId"] == pid and created["repositoryNames"] == ["prs"]
    assert created["pullRequestStatus"] == "Open" and created["isMerged"] == "False"
    assert evs[-1]["isMerged"] == "True" and evs[-1]["pullRequestStatus"] == "Closed"


def test_pull_request_squash_three_way_and_close(cc):
    base = cc.get_branch(repositoryName="prs", branchName="main")["branch"]["commitId"]
    cc.create_branch(repositoryName="prs", branchName="f2", commitId=base)
    cc.put_file(repositoryName="prs", branchName="f2", filePath="f2.txt", fileContent=b"2",
                parentCommitId=base)
    main2 = cc.put_file(repositoryName="prs", branchName="main", filePath="main.txt",
                        fileContent=b"m", parentCommitId=base)["commitId"]
    p = cc.create_pull_request(title="f2", targets=[{"repositoryName": "prs",
                                                     "sourceReference": "f2"}])["pullRequest"]
    raises(cc.merge_pull_request_by_fast_forward, "ManualMergeRequiredException",
           pullRequestId=p["pullRequestId"], repositoryName="prs")
    m = cc.merge_pull_request_by_three_way(pullRequestId=p["pullRequestId"], repositoryName="prs")
    cid = m["pullRequest"]["pullRequestTargets"][0]["mergeMetadata"]["mergeCommitId"]
    assert len(cc.get_commit(repositoryName="prs", commitId=cid)["commit"]["parents"]) == 2
    p3 = cc.create_pull_request(title="closed", targets=[{
        "repositoryName": "prs", "sourceReference": "feature"}])["pullRequest"]["pullRequestId"]
    cc.update_pull_request_status(pullRequestId=p3, pullRequestStatus="CLOSED")
    raises(cc.update_pull_request_status, "InvalidPullRequestStatusUpdateException",
           pullRequestId=p3, pullRequestStatus="OPEN")
    assert p3 in cc.list_pull_requests(repositoryName="prs", pullRequestStatus="CLOSED")[
        "pullRequestIds"]
    raises(cc.merge_pull_request_by_squash, "PullRequestAlreadyClosedException",
           pullRequestId=p3, repositoryName="prs")
    assert main2


def test_approval_rule_templates(ferry, cc, reviewers):
    user, _ = reviewers
    content = json.dumps({"Version": "2018-11-08", "DestinationReferences": ["refs/heads/main"],
                          "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": 1,
                                          "ApprovalPoolMembers": [
                                              f"arn:aws:iam::{acct(ferry, 'tools')}:user/*"]}]})
    t = cc.create_approval_rule_template(approvalRuleTemplateName="one-approver",
                                         approvalRuleTemplateContent=content,
                                         approvalRuleTemplateDescription="d")["approvalRuleTemplate"]
    assert t["approvalRuleTemplateName"] == "one-approver" and len(t["ruleContentSha256"]) == 64
    raises(cc.create_approval_rule_template, "ApprovalRuleTemplateNameAlreadyExistsException",
           approvalRuleTemplateName="one-approver", approvalRuleTemplateContent=content)
    raises(cc.create_approval_rule_template, "InvalidApprovalRuleTemplateContentException",
           approvalRuleTemplateName="bad", approvalRuleTemplateContent="{}")
    raises(cc.get_approval_rule_template, "ApprovalRuleTemplateDoesNotExistException",
           approvalRuleTemplateName="nope")
    cc.create_approval_rule_template(approvalRuleTemplateName="tmp", approvalRuleTemplateContent=content)
    cc.update_approval_rule_template_name(oldApprovalRuleTemplateName="tmp",
                                          newApprovalRuleTemplateName="tmp2")
    cc.update_approval_rule_template_description(approvalRuleTemplateName="tmp2",
                                                 approvalRuleTemplateDescription="x")
    u = cc.update_approval_rule_template_content(
        approvalRuleTemplateName="tmp2", newRuleContent=content.replace('heads/main', 'heads/dev'),
        existingRuleContentSha256=t["ruleContentSha256"])["approvalRuleTemplate"]
    assert u["approvalRuleTemplateDescription"] == "x" and u["ruleContentSha256"] != t[
        "ruleContentSha256"]
    assert sorted(cc.list_approval_rule_templates()["approvalRuleTemplateNames"]) == [
        "one-approver", "tmp2"]
    cc.create_repository(repositoryName="tmpl-repo")
    base = cc.put_file(repositoryName="tmpl-repo", branchName="main", filePath="a",
                       fileContent=b"a")["commitId"]
    cc.create_branch(repositoryName="tmpl-repo", branchName="dev", commitId=base)
    cc.put_file(repositoryName="tmpl-repo", branchName="dev", filePath="b", fileContent=b"b",
                parentCommitId=base)
    cc.associate_approval_rule_template_with_repository(approvalRuleTemplateName="one-approver",
                                                        repositoryName="tmpl-repo")
    b = cc.batch_associate_approval_rule_template_with_repositories(
        approvalRuleTemplateName="tmp2", repositoryNames=["tmpl-repo", "missing"])
    assert b["associatedRepositoryNames"] == ["tmpl-repo"]
    assert b["errors"][0]["repositoryName"] == "missing" and \
        b["errors"][0]["errorCode"] == "RepositoryDoesNotExistException"
    assert sorted(cc.list_associated_approval_rule_templates_for_repository(
        repositoryName="tmpl-repo")["approvalRuleTemplateNames"]) == ["one-approver", "tmp2"]
    assert cc.list_repositories_for_approval_rule_template(
        approvalRuleTemplateName="one-approver")["repositoryNames"] == ["tmpl-repo"]
    raises(cc.delete_approval_rule_template, "ApprovalRuleTemplateInUseException",
           approvalRuleTemplateName="tmp2")
    # a pull request into main gets the main template's rule, not the dev one's
    pr = cc.create_pull_request(title="t", targets=[{
        "repositoryName": "tmpl-repo", "sourceReference": "dev"}])["pullRequest"]
    rules = pr["approvalRules"]
    assert [r["approvalRuleName"] for r in rules] == ["one-approver"]
    assert rules[0]["originApprovalRuleTemplate"]["approvalRuleTemplateId"] == t[
        "approvalRuleTemplateId"]
    pid, rev = pr["pullRequestId"], pr["revisionId"]
    raises(cc.delete_pull_request_approval_rule, "CannotDeleteApprovalRuleFromTemplateException",
           pullRequestId=pid, approvalRuleName="one-approver")
    raises(cc.merge_pull_request_by_squash, "PullRequestApprovalRulesNotSatisfiedException",
           pullRequestId=pid, repositoryName="tmpl-repo")
    user.update_pull_request_approval_state(pullRequestId=pid, revisionId=rev,
                                            approvalState="APPROVE")
    m = cc.merge_pull_request_by_squash(pullRequestId=pid, repositoryName="tmpl-repo",
                                        commitMessage="squashed")["pullRequest"]
    assert m["pullRequestTargets"][0]["mergeMetadata"]["mergeOption"] == "SQUASH_MERGE"
    assert cc.get_file(repositoryName="tmpl-repo", filePath="b")["fileContent"] == b"b"
    cc.batch_disassociate_approval_rule_template_from_repositories(
        approvalRuleTemplateName="tmp2", repositoryNames=["tmpl-repo"])
    cc.disassociate_approval_rule_template_from_repository(
        approvalRuleTemplateName="one-approver", repositoryName="tmpl-repo")
    assert cc.delete_approval_rule_template(approvalRuleTemplateName="tmp2")[
        "approvalRuleTemplateId"] == u["approvalRuleTemplateId"]
    assert cc.list_associated_approval_rule_templates_for_repository(
        repositoryName="tmpl-repo")["approvalRuleTemplateNames"] == []


FN = {"index.py": """import json, os
import boto3


def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["OUT"], MessageBody=json.dumps(event))
    return {}
"""}


def test_triggers_to_sns_and_lambda(ferry, cc, sqs):
    tools = acct(ferry, "tools")
    cc.create_repository(repositoryName="trig")
    sns = ferry.client("sns", "tools", region=REGION)
    topic = sns.create_topic(Name="cc-trig")["TopicArn"]
    tq, tqarn = queue(sqs, "trig-sns", "sns.amazonaws.com")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=tqarn,
                  Attributes={"RawMessageDelivery": "true"})
    iam = ferry.client("iam", "tools")
    role = iam.create_role(RoleName="cc-trig-fn", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName="cc-trig-fn", PolicyName="send", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage",
                                                "Resource": "*"}]}))
    fq = sqs.create_queue(QueueName="trig-fn-out")["QueueUrl"]
    lam = ferry.client("lambda", "tools", region=REGION)
    fn = lam.create_function(FunctionName="cc-trig", Runtime="python3.12", Role=role,
                             Handler="index.handler", Code={"ZipFile": zipped(FN)},
                             Environment={"Variables": {"OUT": fq}}, Timeout=30)["FunctionArn"]
    triggers = [
        {"name": "to-topic", "destinationArn": topic, "customData": "hello",
         "branches": [], "events": ["all"]},
        {"name": "to-fn", "destinationArn": fn, "branches": ["main"],
         "events": ["updateReference"]}]
    raises(cc.put_repository_triggers, "RepositoryTriggerEventsListRequiredException",
           repositoryName="trig", triggers=[dict(triggers[0], events=[])])
    raises(cc.put_repository_triggers, "InvalidRepositoryTriggerRegionException",
           repositoryName="trig",
           triggers=[dict(triggers[0], destinationArn=topic.replace(REGION, "eu-west-1"))])
    conf = cc.put_repository_triggers(repositoryName="trig", triggers=triggers)["configurationId"]
    got = cc.get_repository_triggers(repositoryName="trig")
    assert got["configurationId"] == conf and [t["name"] for t in got["triggers"]] == [
        "to-topic", "to-fn"]
    c1 = cc.put_file(repositoryName="trig", branchName="main", filePath="a",
                     fileContent=b"a")["commitId"]
    rec = drain(sqs, tq, 1)[0]["Records"][0]
    assert rec["eventSource"] == "aws:codecommit" and rec["customData"] == "hello"
    assert rec["eventSourceARN"] == f"arn:aws:codecommit:{REGION}:{tools}:trig"
    assert rec["eventTriggerName"] == "to-topic" and rec["eventTriggerConfigId"] == conf
    assert rec["codecommit"]["references"] == [{"commit": c1, "ref": "refs/heads/main",
                                                "created": True}]
    # the function may not be invoked by CodeCommit until its policy says so
    c2 = cc.put_file(repositoryName="trig", branchName="main", filePath="b", fileContent=b"b",
                     parentCommitId=c1)["commitId"]
    assert drain(sqs, tq, 1)[0]["Records"][0]["codecommit"]["references"][0]["commit"] == c2
    assert drain(sqs, fq, 1, timeout=2) == []
    lam.add_permission(FunctionName="cc-trig", StatementId="cc", Action="lambda:InvokeFunction",
                       Principal="codecommit.amazonaws.com",
                       SourceArn=f"arn:aws:codecommit:{REGION}:{tools}:trig")
    t = cc.test_repository_triggers(repositoryName="trig", triggers=triggers)
    assert sorted(t["successfulExecutions"]) == ["to-fn", "to-topic"] and not t["failedExecutions"]
    assert drain(sqs, tq, 1)[0]["Records"][0]["eventName"] == "TriggerEventTest"
    cc.create_branch(repositoryName="trig", branchName="other", commitId=c2)  # not to-fn's
    c3 = cc.put_file(repositoryName="trig", branchName="main", filePath="c", fileContent=b"c",
                     parentCommitId=c2)["commitId"]
    # asynchronous invocations: in either order
    evs = {e["Records"][0]["eventName"]: e["Records"][0]
           for e in drain(sqs, fq, 2, timeout=30)}
    assert sorted(evs) == ["ReferenceChanges", "TriggerEventTest"]
    assert evs["ReferenceChanges"]["codecommit"]["references"] == [{"commit": c3,
                                                                    "ref": "refs/heads/main"}]


def test_cloudformation_code_and_triggers(ferry, cc, sqs):
    s3 = ferry.client("s3", "tools", region=REGION)
    s3.create_bucket(Bucket="cc-pr-seed")
    s3.put_object(Bucket="cc-pr-seed", Key="src.zip", Body=zipped({"buildspec.yml": "version: 0.2\n"}))
    sns = ferry.client("sns", "tools", region=REGION)
    topic = sns.create_topic(Name="cfn-trig")["TopicArn"]
    q, qarn = queue(sqs, "cfn-trig", "sns.amazonaws.com")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                  Attributes={"RawMessageDelivery": "true"})
    tpl = {"Resources": {"R": {"Type": "AWS::CodeCommit::Repository", "Properties": {
        "RepositoryName": "cfn-trig-repo",
        "Code": {"BranchName": "main", "S3": {"Bucket": "cc-pr-seed", "Key": "src.zip"}},
        "Triggers": [{"Name": "all", "DestinationArn": topic, "CustomData": "cfn",
                      "Branches": ["main"], "Events": ["all"]}]}}}}
    cfn = ferry.client("cloudformation", "tools", region=REGION)
    cfn.create_stack(StackName="cc-trig-stack", TemplateBody=json.dumps(tpl))
    assert stack_wait(cfn, "cc-trig-stack")["StackStatus"] == "CREATE_COMPLETE"
    assert cc.get_file(repositoryName="cfn-trig-repo", filePath="buildspec.yml")[
        "fileContent"] == b"version: 0.2\n"
    trig = cc.get_repository_triggers(repositoryName="cfn-trig-repo")["triggers"]
    assert trig == [{"name": "all", "destinationArn": topic, "customData": "cfn",
                     "branches": ["main"], "events": ["all"]}]
    tip = cc.get_branch(repositoryName="cfn-trig-repo", branchName="main")["branch"]["commitId"]
    c = cc.put_file(repositoryName="cfn-trig-repo", branchName="main", filePath="x",
                    fileContent=b"x", parentCommitId=tip)["commitId"]
    rec = drain(sqs, q, 1)[0]["Records"][0]
    assert rec["customData"] == "cfn" and rec["codecommit"]["references"][0]["commit"] == c
    tpl["Resources"]["R"]["Properties"]["Triggers"] = []
    cfn.update_stack(StackName="cc-trig-stack", TemplateBody=json.dumps(tpl))
    assert stack_wait(cfn, "cc-trig-stack")["StackStatus"] == "UPDATE_COMPLETE"
    assert cc.get_repository_triggers(repositoryName="cfn-trig-repo")["triggers"] == []


def test_push_updates_pull_request_and_fires_triggers(ferry, cc, sqs, tmp_path):
    """A git push goes the API's way: the open pull request from the branch gets a new
    revision, and the repository's trigger fires."""
    import os
    from test_codecommit import git, git_user, with_creds
    home = str(tmp_path)
    url = cc.create_repository(repositoryName="push-pr")["repositoryMetadata"]["cloneUrlHttp"]
    base = cc.put_file(repositoryName="push-pr", branchName="main", filePath="a",
                       fileContent=b"a")["commitId"]
    cc.create_branch(repositoryName="push-pr", branchName="topic", commitId=base)
    cc.put_file(repositoryName="push-pr", branchName="topic", filePath="t", fileContent=b"t",
                parentCommitId=base)
    pr = cc.create_pull_request(title="p", targets=[{
        "repositoryName": "push-pr", "sourceReference": "topic"}])["pullRequest"]
    sns = ferry.client("sns", "tools", region=REGION)
    topic = sns.create_topic(Name="push-trig")["TopicArn"]
    q, qarn = queue(sqs, "push-trig", "sns.amazonaws.com")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                  Attributes={"RawMessageDelivery": "true"})
    cc.put_repository_triggers(repositoryName="push-pr", triggers=[{
        "name": "t", "destinationArn": topic, "branches": ["topic"], "events": ["all"]}])
    user, pw, _, _ = git_user(ferry, "pr-pusher", ["codecommit:GitPull", "codecommit:GitPush"])
    work = os.path.join(home, "w")
    git(home, "clone", "-b", "topic", with_creds(url, user, pw), work)
    with open(os.path.join(work, "pushed.txt"), "w") as f:
        f.write("p\n")
    git(home, "add", "pushed.txt", cwd=work)
    git(home, "commit", "-m", "pushed", cwd=work)
    git(home, "push", "origin", "topic", cwd=work)
    head = git(home, "rev-parse", "HEAD", cwd=work).stdout.strip()
    g = cc.get_pull_request(pullRequestId=pr["pullRequestId"])["pullRequest"]
    assert g["pullRequestTargets"][0]["sourceCommit"] == head
    assert g["revisionId"] != pr["revisionId"]
    ev = cc.describe_pull_request_events(pullRequestId=pr["pullRequestId"],
                                         pullRequestEventType="PULL_REQUEST_SOURCE_REFERENCE_UPDATED")
    e = ev["pullRequestEvents"][0]
    assert e["actorArn"].endswith(":user/pr-pusher")
    assert e["pullRequestSourceReferenceUpdatedEventMetadata"]["afterCommitId"] == head
    assert g["pullRequestTargets"][0]["mergeBase"] == base
    rec = drain(sqs, q, 1)[0]["Records"][0]
    assert rec["codecommit"]["references"] == [{"commit": head, "ref": "refs/heads/topic"}]
    assert rec["userIdentityARN"].endswith(":user/pr-pusher")
    # merged by git and pushed: AWS marks the pull request merged and closes it
    git(home, "push", "origin", "topic:main", cwd=work)
    g = cc.get_pull_request(pullRequestId=pr["pullRequestId"])["pullRequest"]
    mm = g["pullRequestTargets"][0]["mergeMetadata"]
    assert g["pullRequestStatus"] == "CLOSED" and mm["isMerged"] is True
    assert mm["mergedBy"].endswith(":user/pr-pusher")
