"""CodePipeline V2 git triggers through boto3 (raw JSON where Debian's botocore predates V2
members) and the git CLI: a trigger on a CodeCommit source action (AWS's are on
CodeStarSourceConnection actions; ferry's git host is CodeCommit) starts an execution in the
push's own transaction when the push passes its filters: branches and tags (include/exclude
globs), file paths, pull requests opened/updated/closed into a branch; the execution runs the
pushed commit and records trigger WebhookV2. Declarations are checked as AWS does; and
StartPipelineExecution's sourceRevisions picks a source action's commit. Reuses the fixtures
and helpers of test_codepipeline.py."""
import os
import subprocess

import pytest
from ferrytest import git_env
from test_codepipeline import (REGION, cp, decl, env, fx, latest, raw,  # noqa: F401 (fixtures)
                               uniq, wait_exec)


def call(fx, op, body):
    return raw(fx, "tools", op, body)


def source(repo, branch="main"):
    return {"name": "Source", "actions": [{
        "name": "Checkout", "namespace": "Src",
        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
        "configuration": {"RepositoryName": repo, "BranchName": branch, "PollForSourceChanges": "false"},
        "outputArtifacts": [{"name": "SourceOut"}]}]}


def publish(bucket):
    return {"name": "Publish", "actions": [{
        "name": "Site", "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "S3", "version": "1"},
        "configuration": {"BucketName": bucket, "Extract": "true"}, "inputArtifacts": [{"name": "SourceOut"}]}]}


def trigger(push=None, pull=None, action="Checkout", provider="CodeStarSourceConnection"):
    gc = {"sourceActionName": action}
    if push is not None:
        gc["push"] = push
    if pull is not None:
        gc["pullRequest"] = pull
    return {"providerType": provider, "gitConfiguration": gc}


def v2(env, repo, bucket, triggers, name=None):
    return dict(decl(env, [source(repo), publish(bucket)], name), pipelineType="V2", triggers=triggers)


def runs(cp, name):
    return cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"]


@pytest.fixture
def site(fx, env):
    """A repository with a first commit on main, and an empty bucket to publish to."""
    cc = fx.client("codecommit", "tools", region=REGION)
    repo = uniq("trig")
    meta = cc.create_repository(repositoryName=repo)["repositoryMetadata"]
    cc.put_file(repositoryName=repo, branchName="main", filePath="app/index.html", fileContent=b"v0",
                commitMessage="first")
    bucket = uniq("site")
    fx.client("s3", "tools", region=REGION).create_bucket(Bucket=bucket)
    return repo, meta, bucket


def settle(cp, name):
    """The pipeline's executions so far, each finished (its first one, at creation, too)."""
    xs = runs(cp, name)
    for x in xs:
        wait_exec(cp, name, x["pipelineExecutionId"])
    return len(xs)


def test_declarations_checked(fx, env, site):
    repo, _, bucket = site
    branches = {"branches": {"includes": ["main"]}}

    def err(p):
        out = call(fx, "CreatePipeline", {"pipeline": p})
        assert "__error" in out, out
        return out["__error"]["__type"].split("#")[-1], out["__error"]["message"]

    p = v2(env, repo, bucket, [trigger([branches])])
    p["pipelineType"] = "V1"
    assert err(p) == ("ValidationException", "Triggers are only supported for pipelines of type V2")
    t, m = err(v2(env, repo, bucket, [trigger([branches], provider="GitHub")]))
    assert t == "ValidationException" and "CodeStarSourceConnection" in m
    for bad in ([trigger([branches], action="Nope")], [trigger([branches]), trigger([branches])]):
        t, m = err(v2(env, repo, bucket, bad))
        assert t == "InvalidStructureException" and m.startswith(
            "Triggers for connection must reference a CodeStarSourceConnection action"), m
    # AWS's combinations: tags; branches; branches and file paths
    for f in ({"tags": {"includes": ["v*"]}, "branches": {"includes": ["main"]}},
              {"filePaths": {"includes": ["app/**"]}}, {}):
        assert err(v2(env, repo, bucket, [trigger([f])]))[0] == "InvalidStructureException", f
    assert err(v2(env, repo, bucket, [trigger([{"branches": {}}])]))[0] == "InvalidStructureException"
    t, m = err(v2(env, repo, bucket, [trigger([{"branches": {"includes": ["a["]}}])]))
    assert t == "ValidationException" and "a[" in m
    assert err(v2(env, repo, bucket, [trigger([{"branches": {"includes": [str(i) for i in range(9)]}}])]))[0] \
        == "ValidationException"
    assert err(v2(env, repo, bucket, [trigger([branches] * 4)]))[0] == "ValidationException"
    assert err(v2(env, repo, bucket, [trigger(pull=[{"events": ["MERGED"], **branches}])]))[0] \
        == "ValidationException"
    # a good one is kept as given
    good = [trigger([{"branches": {"includes": ["main"], "excludes": ["x"]}, "filePaths": {"includes": ["app/**"]}},
                     {"tags": {"includes": ["v*"]}}], [{"events": ["OPEN"], **branches}])]
    name = uniq("trig")
    assert "__error" not in call(fx, "CreatePipeline", {"pipeline": v2(env, repo, bucket, good, name)})
    assert call(fx, "GetPipeline", {"name": name})["pipeline"]["triggers"] == good


def git(e, cwd, *args):
    r = subprocess.run(["git", *args], env=e, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_git_push_filters(fx, env, cp, site, tmp_path):
    repo, meta, bucket = site
    name = uniq("trig")
    trig = trigger([{"branches": {"includes": ["main", "release/**"], "excludes": ["release/skip*"]},
                     "filePaths": {"includes": ["app/**"], "excludes": ["**/*.md"]}},
                    {"tags": {"includes": ["v*"], "excludes": ["v*-rc"]}}])
    assert "__error" not in call(fx, "CreatePipeline", {"pipeline": v2(env, repo, bucket, [trig], name)})
    n = settle(cp, name)
    e = git_env(fx, str(tmp_path))
    work = str(tmp_path / "w")
    git(e, None, "clone", "-q", meta["cloneUrlHttp"], work)

    def change(path, text, msg):
        os.makedirs(os.path.dirname(os.path.join(work, path)) or work, exist_ok=True)
        with open(os.path.join(work, path), "w") as fh:
            fh.write(text)
        git(e, work, "add", "-A")
        git(e, work, "commit", "-qm", msg)
        return git(e, work, "rev-parse", "HEAD")

    def started(expect, ref):
        """The push has been committed when git returns: its execution exists, or none does."""
        nonlocal n
        xs = runs(cp, name)
        assert len(xs) == n + (1 if expect else 0), (ref, xs)
        if expect:
            n += 1
            return wait_exec(cp, name, xs[0]["pipelineExecutionId"])
        return None

    # a file under app/ on main: runs that commit
    c1 = change("app/index.html", "v1", "app change")
    git(e, work, "push", "-q", "origin", "HEAD:main")
    x = started(True, "main")
    assert x["status"] == "Succeeded", x
    got = call(fx, "GetPipelineExecution", {"pipelineName": name, "pipelineExecutionId": x["pipelineExecutionId"]})
    assert got["pipelineExecution"]["trigger"] == {"triggerType": "WebhookV2", "triggerDetail": meta["Arn"]}
    assert x["artifactRevisions"][0]["revisionId"] == c1
    s = runs(cp, name)[0]
    assert s["trigger"]["triggerType"] == "WebhookV2" and s["sourceRevisions"][0]["revisionId"] == c1
    body = fx.client("s3", "tools", region=REGION).get_object(Bucket=bucket, Key="app/index.html")["Body"].read()
    assert body == b"v1"
    # outside app/, or only an excluded file: nothing
    change("docs/guide.txt", "g", "docs")
    git(e, work, "push", "-q", "origin", "HEAD:main")
    started(False, "docs")
    change("app/README.md", "r", "readme")
    git(e, work, "push", "-q", "origin", "HEAD:main")
    started(False, "readme")
    # a release branch runs its own commit, BranchName its name; an excluded one does not
    c2 = change("app/index.html", "v2", "release")
    git(e, work, "push", "-q", "origin", "HEAD:release/1.0")
    x = started(True, "release/1.0")
    acts = cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": x["pipelineExecutionId"]})
    out = {a["actionName"]: a for a in acts["actionExecutionDetails"]}["Checkout"]["output"]["outputVariables"]
    assert out["CommitId"] == c2 and out["BranchName"] == "release/1.0"
    change("app/index.html", "v3", "skip")
    git(e, work, "push", "-q", "origin", "HEAD:release/skip-1")
    started(False, "release/skip-1")
    # deleting a branch starts nothing
    git(e, work, "push", "-q", "origin", ":release/1.0")
    started(False, "delete")
    # tags: v* but not v*-rc
    git(e, work, "tag", "v1.0-rc")
    git(e, work, "push", "-q", "origin", "v1.0-rc")
    started(False, "v1.0-rc")
    git(e, work, "tag", "v1.0")
    git(e, work, "push", "-q", "origin", "v1.0")
    x = started(True, "v1.0")
    assert x["artifactRevisions"][0]["revisionId"] == git(e, work, "rev-parse", "HEAD")


def test_api_commits_and_default_branch(fx, env, cp, site):
    """A trigger without filters runs on the action's branch; PutFile and CreateCommit push."""
    repo, meta, bucket = site
    cc = fx.client("codecommit", "tools", region=REGION)
    name = uniq("trig")
    assert "__error" not in call(fx, "CreatePipeline", {"pipeline": v2(env, repo, bucket, [trigger()], name)})
    n = settle(cp, name)
    head = cc.get_branch(repositoryName=repo, branchName="main")["branch"]["commitId"]
    c = cc.put_file(repositoryName=repo, branchName="main", filePath="app/a.txt", fileContent=b"a",
                    parentCommitId=head, commitMessage="put")["commitId"]
    xs = runs(cp, name)
    assert len(xs) == n + 1 and xs[0]["trigger"]["triggerType"] == "WebhookV2"
    assert wait_exec(cp, name, xs[0]["pipelineExecutionId"])["artifactRevisions"][0]["revisionId"] == c
    c2 = cc.create_commit(repositoryName=repo, branchName="main", parentCommitId=c, commitMessage="two",
                          putFiles=[{"filePath": "app/b.txt", "fileContent": b"b"}])["commitId"]
    xs = runs(cp, name)
    assert len(xs) == n + 2
    assert wait_exec(cp, name, xs[0]["pipelineExecutionId"])["artifactRevisions"][0]["revisionId"] == c2
    # another branch: not the action's
    cc.create_branch(repositoryName=repo, branchName="other", commitId=c2)
    cc.put_file(repositoryName=repo, branchName="other", filePath="app/c.txt", fileContent=b"c",
                parentCommitId=c2, commitMessage="other")
    assert len(runs(cp, name)) == n + 2


def test_pull_request_events(fx, env, cp, site):
    repo, meta, bucket = site
    cc = fx.client("codecommit", "tools", region=REGION)
    name = uniq("trig")
    trig = trigger(pull=[{"events": ["OPEN", "CLOSED"], "branches": {"includes": ["main"]},
                          "filePaths": {"includes": ["app/**"]}}])
    assert "__error" not in call(fx, "CreatePipeline", {"pipeline": v2(env, repo, bucket, [trig], name)})
    n = settle(cp, name)
    head = cc.get_branch(repositoryName=repo, branchName="main")["branch"]["commitId"]
    cc.create_branch(repositoryName=repo, branchName="feature", commitId=head)
    f1 = cc.put_file(repositoryName=repo, branchName="feature", filePath="app/f.txt", fileContent=b"f",
                     parentCommitId=head, commitMessage="feature")["commitId"]
    assert len(runs(cp, name)) == n  # a push is no pull request
    pr = cc.create_pull_request(title="f", targets=[{"repositoryName": repo, "sourceReference": "feature",
                                                      "destinationReference": "main"}])["pullRequest"]
    xs = runs(cp, name)
    assert len(xs) == n + 1, xs
    x = wait_exec(cp, name, xs[0]["pipelineExecutionId"])
    assert x["status"] == "Succeeded" and x["artifactRevisions"][0]["revisionId"] == f1
    acts = cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": x["pipelineExecutionId"]})
    out = {a["actionName"]: a for a in acts["actionExecutionDetails"]}["Checkout"]["output"]["outputVariables"]
    assert out["BranchName"] == "feature"
    # UPDATED is not among the filter's events
    f2 = cc.put_file(repositoryName=repo, branchName="feature", filePath="app/f.txt", fileContent=b"g",
                     parentCommitId=f1, commitMessage="more")["commitId"]
    assert len(runs(cp, name)) == n + 1
    # merged: CLOSED (and the merge's push to main is no pull request event)
    cc.merge_pull_request_by_fast_forward(pullRequestId=pr["pullRequestId"], repositoryName=repo)
    xs = runs(cp, name)
    assert len(xs) == n + 2, xs
    assert wait_exec(cp, name, xs[0]["pipelineExecutionId"])["artifactRevisions"][0]["revisionId"] == f2
    # a pull request into another branch, or touching no app/ file: nothing
    cc.create_branch(repositoryName=repo, branchName="docs", commitId=f2)
    cc.put_file(repositoryName=repo, branchName="docs", filePath="docs/d.txt", fileContent=b"d",
                parentCommitId=f2, commitMessage="docs")
    cc.create_pull_request(title="d", targets=[{"repositoryName": repo, "sourceReference": "docs",
                                                "destinationReference": "main"}])
    cc.create_pull_request(title="e", targets=[{"repositoryName": repo, "sourceReference": "feature",
                                                "destinationReference": "docs"}])
    assert len(runs(cp, name)) == n + 2


def test_start_with_source_revision(fx, env, cp, site):
    repo, meta, bucket = site
    cc = fx.client("codecommit", "tools", region=REGION)
    name = uniq("rev")
    assert "__error" not in call(fx, "CreatePipeline", {"pipeline": v2(env, repo, bucket, [], name)})
    settle(cp, name)
    old = cc.get_branch(repositoryName=repo, branchName="main")["branch"]["commitId"]
    cc.put_file(repositoryName=repo, branchName="main", filePath="app/index.html", fileContent=b"new",
                parentCommitId=old, commitMessage="newer")
    out = call(fx, "StartPipelineExecution", {"name": name, "sourceRevisions": [
        {"actionName": "Checkout", "revisionType": "COMMIT_ID", "revisionValue": old}]})
    x = wait_exec(cp, name, out["pipelineExecutionId"])
    assert x["status"] == "Succeeded" and x["artifactRevisions"][0]["revisionId"] == old
    body = fx.client("s3", "tools", region=REGION).get_object(Bucket=bucket, Key="app/index.html")["Body"].read()
    assert body == b"v0"
    for bad in ({"actionName": "Nope", "revisionType": "COMMIT_ID", "revisionValue": old},
                {"actionName": "Checkout", "revisionType": "S3_OBJECT_VERSION_ID", "revisionValue": "x"}):
        out = call(fx, "StartPipelineExecution", {"name": name, "sourceRevisions": [bad]})
        assert out["__error"]["__type"].split("#")[-1] == "ValidationException", out


def cfn_form(v, key=None):
    """The API's declaration with CloudFormation's capitalized names (Configuration as is)."""
    if key == "configuration":
        return v
    if isinstance(v, dict):
        return {k[0].upper() + k[1:]: cfn_form(x, k) for k, x in v.items()}
    if isinstance(v, list):
        return [cfn_form(x) for x in v]
    return v


def test_triggers_from_cloudformation(fx, env, cp, site):
    import json
    repo, meta, bucket = site
    name = uniq("cfntrig")
    p = v2(env, repo, bucket, [trigger([{"branches": {"includes": ["rel*"]}}])], name)
    props = cfn_form(p)
    cfn = fx.client("cloudformation", "tools", region=REGION)
    stack = uniq("pipestack")
    cfn.create_stack(StackName=stack, TemplateBody=json.dumps({"Resources": {"Pipe": {
        "Type": "AWS::CodePipeline::Pipeline", "Properties": props}}}))
    cfn.get_waiter("stack_create_complete").wait(StackName=stack, WaiterConfig={"Delay": 1})
    assert call(fx, "GetPipeline", {"name": name})["pipeline"]["triggers"] == p["triggers"]
    n = settle(cp, name)
    cc = fx.client("codecommit", "tools", region=REGION)
    head = cc.get_branch(repositoryName=repo, branchName="main")["branch"]["commitId"]
    cc.create_branch(repositoryName=repo, branchName="rel-1", commitId=head)  # a new branch is a push
    assert len(runs(cp, name)) == n + 1
    c = cc.put_file(repositoryName=repo, branchName="rel-1", filePath="app/r.txt", fileContent=b"r",
                    parentCommitId=head, commitMessage="rel")["commitId"]
    xs = runs(cp, name)
    assert len(xs) == n + 2
    assert wait_exec(cp, name, xs[0]["pipelineExecutionId"])["artifactRevisions"][0]["revisionId"] == c
