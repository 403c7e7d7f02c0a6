"""CodeBuild sources and caches through boto3: a CODECOMMIT source is a git clone (HEAD
detached at the commit built, origin the repository's clone URL, gitCloneDepth honoured,
tags there for `git describe`), and a project's cache (LOCAL with LOCAL_CUSTOM_CACHE, S3)
carries the buildspec's `cache: paths:` from one build to the next."""
import json
import os
import tempfile

import pytest
from ferrytest import Ferry, git_env, raises, run_ok

from test_codebuild import ALL, TRUST, project, wait

REGION = "us-east-1"


@pytest.fixture(scope="module")
def ferry():
    f = Ferry().start()
    try:
        f.init()
        yield f
    finally:
        f.close()


@pytest.fixture(scope="module")
def cb(ferry):
    return ferry.client("codebuild", "tools", region=REGION)


@pytest.fixture(scope="module")
def role(ferry):
    iam = ferry.client("iam", "tools")
    arn = iam.create_role(RoleName="cb-git", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName="cb-git", PolicyName="all", PolicyDocument=json.dumps(ALL))
    return arn


def bs(*commands, extra=""):
    return "version: 0.2\nphases:\n  build:\n    commands:\n" + "".join(
        f"      - {json.dumps(c)}\n" for c in commands) + extra


def ok(b):
    assert b["buildStatus"] == "SUCCEEDED", json.dumps(b["phases"], default=str)
    return b


@pytest.fixture(scope="module")
def repo(ferry):
    """A repository of three commits on main and an annotated tag v1.0 on the second, pushed
    with git: (clone URL, [commit ids])."""
    cc = ferry.client("codecommit", "tools", region=REGION)
    url = cc.create_repository(repositoryName="gitsrc")["repositoryMetadata"]["cloneUrlHttp"]
    home = tempfile.mkdtemp(prefix="cb-git-")
    e = git_env(ferry, home)
    w = os.path.join(home, "w")
    run_ok(["git", "init", "-q", "-b", "main", w], e)
    ids = []
    for i in range(3):
        with open(os.path.join(w, "f.txt"), "w") as fh:
            fh.write(f"{i}\n")
        run_ok(["git", "add", "f.txt"], e, cwd=w)
        run_ok(["git", "commit", "-qm", f"c{i}"], e, cwd=w)
        ids.append(run_ok(["git", "rev-parse", "HEAD"], e, cwd=w).strip())
        if i == 1:
            run_ok(["git", "tag", "-a", "v1.0", "-m", "one"], e, cwd=w)
    run_ok(["git", "push", "-q", url, "main", "--tags"], e, cwd=w)
    return url, ids


def test_codecommit_source_is_a_git_clone(ferry, cb, role, repo):
    url, ids = repo
    project(cb, role, "clone", None, source={"type": "CODECOMMIT", "location": url,
                                            "buildspec": bs("true")})
    b = ok(wait(cb, cb.start_build(projectName="clone", buildspecOverride=bs(
        f"test \"$(git rev-parse HEAD)\" = {ids[2]}",
        "test \"$(git rev-list --count HEAD)\" = 3",
        f"test \"$(git remote get-url origin)\" = {url}",
        "test -z \"$(git status --porcelain)\"",
        "test \"$(git describe --tags)\" = v1.0-1-g$(git rev-parse --short HEAD)",
        "test \"$(git log -1 --format=%s)\" = c2",
        "git symbolic-ref -q HEAD && exit 1 || true"))["build"]["id"]))
    assert b["resolvedSourceVersion"] == ids[2]
    # an older commit, a tag
    ok(wait(cb, cb.start_build(projectName="clone", sourceVersion=ids[0], buildspecOverride=bs(
        f"test \"$(git rev-parse HEAD)\" = {ids[0]}", "test \"$(cat f.txt)\" = 0"))["build"]["id"]))
    b = ok(wait(cb, cb.start_build(projectName="clone", sourceVersion="v1.0", buildspecOverride=bs(
        "test \"$(git describe --tags)\" = v1.0"))["build"]["id"]))
    assert b["resolvedSourceVersion"] == ids[1]


def test_git_clone_depth(ferry, cb, role, repo):
    url, ids = repo
    project(cb, role, "shallow", None, source={"type": "CODECOMMIT", "location": url,
                                              "gitCloneDepth": 1, "buildspec": bs("true")})
    ok(wait(cb, cb.start_build(projectName="shallow", buildspecOverride=bs(
        "test \"$(git rev-list --count HEAD)\" = 1", "test -f .git/shallow",
        f"test \"$(git remote get-url origin)\" = {url}"))["build"]["id"]))
    # a commit that is not the branch's tip, two deep
    ok(wait(cb, cb.start_build(projectName="shallow", sourceVersion=ids[1], gitCloneDepthOverride=2,
                               buildspecOverride=bs(
        f"test \"$(git rev-parse HEAD)\" = {ids[1]}",
        "test \"$(git rev-list --count HEAD)\" = 2"))["build"]["id"]))
    # 0 is the whole history
    ok(wait(cb, cb.start_build(projectName="shallow", gitCloneDepthOverride=0, buildspecOverride=bs(
        "test \"$(git rev-list --count HEAD)\" = 3", "test ! -f .git/shallow"))["build"]["id"]))
