"""CodeBuild sources and caches through boto3: a CODECOMMIT source is a git clone (HEAD
detached at the commit built, origin the repository's clone URL, gitCloneDepth honoured,
tags there for `git describe`), and a project's cache (LOCAL with LOCAL_CUSTOM_CACHE, S3)
carries the buildspec's `cache: paths:` from one build to the next."""
import json
import os
import tempfile

import pytest
from ferrytest import git_env, raises, run_ok

# one ferry for the module, with test_codebuild's CodeBuild client and service role
from test_codebuild import ferry, cb, role, project, wait  # noqa: F401 (fixtures)

REGION = "us-east-1"


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


CACHED = """version: 0.2
env:
  exported-variables: [SEEN, SEEN_HOME, SEEN_PIP]
phases:
  build:
    commands:
      - export SEEN="$(cat deps/sub/n 2>/dev/null || echo none)"
      - export SEEN_HOME="$(cat $HOME/.m2/n 2>/dev/null || echo none)"
      - export SEEN_PIP="$(cat $HOME/.cache/pip/x/n 2>/dev/null || echo none)"
      - mkdir -p deps/sub $HOME/.m2 && echo $CODEBUILD_BUILD_NUMBER > deps/sub/n
      - echo $CODEBUILD_BUILD_NUMBER > $HOME/.m2/n && echo no > other.txt
      - mkdir -p $HOME/.cache/pip/x && echo $CODEBUILD_BUILD_NUMBER > $HOME/.cache/pip/x/n
      - test "$FAIL" != yes
cache:
  paths:
    - 'deps/**/*'
    - '/root/.m2/**/*'
    - '/root/.cache/pip'
"""


def seen(b):
    v = {x["name"]: x["value"] for x in b.get("exportedEnvironmentVariables", [])}
    return v.get("SEEN"), v.get("SEEN_HOME")


def run(cb, name, **kw):
    return wait(cb, cb.start_build(projectName=name, **kw)["build"]["id"])


def test_local_custom_cache(ferry, cb, role):
    p = project(cb, role, "cached", CACHED,
                cache={"type": "LOCAL", "modes": ["LOCAL_CUSTOM_CACHE", "LOCAL_SOURCE_CACHE"]})
    assert p["cache"]["type"] == "LOCAL"
    assert seen(ok(run(cb, "cached"))) == ("none", "none")
    b = ok(run(cb, "cached"))
    assert seen(b) == ("1", "1") and b["cache"]["type"] == "LOCAL"
    # a directory named without a glob is cached whole (seed 001's '/root/.cache/pip')
    assert {x["name"]: x["value"] for x in b["exportedEnvironmentVariables"]}["SEEN_PIP"] == "1"
    # a failed build leaves the cache as the last good one made it
    b = run(cb, "cached", environmentVariablesOverride=[{"name": "FAIL", "value": "yes"}])
    assert b["buildStatus"] == "FAILED"
    assert seen(ok(run(cb, "cached"))) == ("2", "2")
    # a build without the cache sees nothing, and saves nothing
    assert seen(ok(run(cb, "cached", cacheOverride={"type": "NO_CACHE"}))) == ("none", "none")
    assert seen(ok(run(cb, "cached"))) == ("4", "4")
    # the cache outlives a restart of ferry
    ferry.stop()
    ferry.start()
    cb2 = ferry.client("codebuild", "tools", region=REGION)
    assert seen(ok(run(cb2, "cached"))) == ("6", "6")
    # LOCAL_SOURCE_CACHE alone caches no paths (a source is cloned from ferry's disk
    # already); a project without a cache says NO_CACHE
    cb2.update_project(name="cached", cache={"type": "LOCAL", "modes": ["LOCAL_SOURCE_CACHE"]})
    assert seen(ok(run(cb2, "cached"))) == ("none", "none")
    assert project(cb2, role, "uncached", CACHED)["cache"] == {"type": "NO_CACHE"}
    assert seen(ok(run(cb2, "uncached"))) == ("none", "none")
    assert seen(ok(run(cb2, "uncached"))) == ("none", "none")


def test_s3_cache(ferry, cb, role):
    s3 = ferry.client("s3", "tools", region=REGION)
    s3.create_bucket(Bucket="cb-cache")
    project(cb, role, "s3cached", CACHED, cache={"type": "S3", "location": "cb-cache/builds"})
    assert seen(ok(run(cb, "s3cached"))) == ("none", "none")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="cb-cache")["Contents"]]
    assert keys == ["builds/codebuild-cache-s3cached.zip"]
    assert seen(ok(run(cb, "s3cached"))) == ("1", "1")


def test_cache_bad_input(cb, role):
    for cache, code in (({"type": "S3"}, "InvalidInputException"),
                        ({"type": "S3", "location": ""}, "InvalidInputException"),
                        ({"type": "LOCAL", "modes": ["FAST"]}, "ValidationException"),
                        ({"type": "DISK"}, "ValidationException")):
        raises(lambda: project(cb, role, "bad-cache", CACHED, cache=cache), code)
    project(cb, role, "bad-cache", CACHED)
    raises(cb.start_build, "InvalidInputException", projectName="bad-cache",
           cacheOverride={"type": "S3"})
    # cache paths that are not a list fail the build at DOWNLOAD_SOURCE
    b = run(cb, "bad-cache", buildspecOverride="version: 0.2\nphases:\n  build:\n    commands: [true]\n"
                                              "cache:\n  paths: deps\n")
    assert b["buildStatus"] == "FAILED"
    ph = {p["phaseType"]: p for p in b["phases"]}["DOWNLOAD_SOURCE"]
    assert ph["phaseStatus"] == "FAILED" and "YAML_FILE_ERROR" in json.dumps(ph["contexts"])


def test_secondary_artifacts(ferry, cb, role):
    """buildspec secondary-artifacts go to the project's secondaryArtifacts of the same
    artifactIdentifier; a buildspec with only secondary artifacts has no primary files."""
    import io
    import zipfile
    s3 = ferry.client("s3", "tools", region=REGION)
    s3.create_bucket(Bucket="cb-second")
    spec = """version: 0.2
phases:
  build:
    commands:
      - mkdir -p web api && echo w > web/index.html && echo a > api/app.py
artifacts:
  secondary-artifacts:
    web:
      files: ['**/*']
      base-directory: web
    api:
      files: [api/app.py]
      discard-paths: yes
"""
    project(cb, role, "two-arts", spec, secondaryArtifacts=[
        {"type": "S3", "location": "cb-second", "artifactIdentifier": "web", "path": "w",
         "name": "site", "packaging": "NONE"},
        {"type": "S3", "location": "cb-second", "artifactIdentifier": "api", "name": "api.zip",
         "packaging": "ZIP"}])
    b = ok(run(cb, "two-arts"))
    locs = {a["artifactIdentifier"]: a["location"] for a in b["secondaryArtifacts"]}
    assert locs == {"web": "arn:aws:s3:::cb-second/w/site", "api": "arn:aws:s3:::cb-second/api.zip"}
    assert s3.get_object(Bucket="cb-second", Key="w/site/index.html")["Body"].read() == b"w\n"
    z = zipfile.ZipFile(io.BytesIO(s3.get_object(Bucket="cb-second", Key="api.zip")["Body"].read()))
    assert z.namelist() == ["app.py"]
