"""CodeCommit through boto3 (json 1.1) and real git over smart HTTP: repositories, branches,
files, folders, commits, differences, fast-forward merges and tags through the API; clone,
commit and push of branches and tags with HTTPS Git credentials (IAM service-specific
credentials) and with `aws codecommit credential-helper`; codecommit:GitPull/GitPush
authorization for users and for a role assumed from another account."""
import base64
import json
import os
import subprocess
import tempfile
import urllib.parse

import pytest
from ferrytest import acct, raises, stack_wait

REGION = "us-east-1"


@pytest.fixture(scope="module")
def cc(ferry):
    return ferry.client("codecommit", "tools", region=REGION)


@pytest.fixture(scope="module")
def home():
    with tempfile.TemporaryDirectory(prefix="cc-home-") as d:
        yield d


def git(home, *args, cwd=None, env=None, check=True):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GIT_"))}
    e.update({"HOME": home, "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1",
              "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
              "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})
    e.update(env or {})
    r = subprocess.run(["git", *args], cwd=cwd, env=e, capture_output=True, text=True,
                       timeout=60)
    if check and r.returncode:
        raise AssertionError(f"git {' '.join(args)}: {r.stderr}")
    return r


def b64(s):
    return s.encode() if isinstance(s, str) else s


# --- the API --------------------------------------------------------------------------

def test_repositories(ferry, cc):
    tools = acct(ferry, "tools")
    m = cc.create_repository(repositoryName="api-repo", repositoryDescription="first",
                             tags={"team": "a"})["repositoryMetadata"]
    assert m["repositoryName"] == "api-repo" and m["accountId"] == tools
    assert m["Arn"] == f"arn:aws:codecommit:{REGION}:{tools}:api-repo"
    assert m["cloneUrlHttp"] == \
        f"http://git-codecommit.{REGION}.localhost:{ferry.port}/v1/repos/api-repo"
    assert m["cloneUrlSsh"] == f"ssh://git-codecommit.{REGION}.amazonaws.com/v1/repos/api-repo"
    assert "defaultBranch" not in m and m["repositoryDescription"] == "first"
    raises(cc.create_repository, "RepositoryNameExistsException",
           "Repository named api-repo already exists", repositoryName="api-repo")
    raises(cc.get_repository, "RepositoryDoesNotExistException", "nope does not exist",
           repositoryName="nope")
    g = cc.get_repository(repositoryName="api-repo")["repositoryMetadata"]
    assert g["repositoryId"] == m["repositoryId"]
    cc.update_repository_description(repositoryName="api-repo", repositoryDescription="second")
    assert cc.get_repository(repositoryName="api-repo")["repositoryMetadata"][
        "repositoryDescription"] == "second"
    cc.create_repository(repositoryName="tmp-repo")
    cc.update_repository_name(oldName="tmp-repo", newName="tmp-renamed")
    names = [r["repositoryName"] for r in cc.list_repositories()["repositories"]]
    assert "api-repo" in names and "tmp-renamed" in names and "tmp-repo" not in names
    desc = [r["repositoryName"] for r in
            cc.list_repositories(sortBy="repositoryName", order="descending")["repositories"]]
    assert desc == sorted(desc, reverse=True)
    assert cc.list_tags_for_resource(resourceArn=m["Arn"])["tags"] == {"team": "a"}
    cc.tag_resource(resourceArn=m["Arn"], tags={"env": "dev"})
    cc.untag_resource(resourceArn=m["Arn"], tagKeys=["team"])
    assert cc.list_tags_for_resource(resourceArn=m["Arn"])["tags"] == {"env": "dev"}
    r = cc.delete_repository(repositoryName="tmp-renamed")
    assert r["repositoryId"]
    assert "repositoryId" not in cc.delete_repository(repositoryName="tmp-renamed")
    # another account does not see it
    raises(ferry.client("codecommit", "dev", region=REGION).get_repository,
           "RepositoryDoesNotExistException", repositoryName="api-repo")


def test_files_commits_branches(cc):
    cc.create_repository(repositoryName="files")
    r = cc.put_file(repositoryName="files", branchName="main", fileContent=b64("hello\n"),
                    filePath="README.md", commitMessage="first", name="Ann",
                    email="ann@example.com")
    first = r["commitId"]
    assert cc.get_repository(repositoryName="files")["repositoryMetadata"][
        "defaultBranch"] == "main"
    raises(cc.put_file, "ParentCommitIdRequiredException", repositoryName="files",
           branchName="main", fileContent=b64("x"), filePath="a.txt")
    raises(cc.put_file, "SameFileContentException", repositoryName="files", branchName="main",
           fileContent=b64("hello\n"), filePath="README.md", parentCommitId=first)
    c2 = cc.create_commit(repositoryName="files", branchName="main", parentCommitId=first,
                          authorName="Bob", email="bob@example.com", commitMessage="second",
                          putFiles=[{"filePath": "src/app.py", "fileContent": b64("print(1)\n")},
                                    {"filePath": "bin/run.sh", "fileContent": b64("#!/bin/sh\n"),
                                     "fileMode": "EXECUTABLE"}])
    assert {f["absolutePath"] for f in c2["filesAdded"]} == {"src/app.py", "bin/run.sh"}
    raises(cc.create_commit, "ParentCommitIdOutdatedException", repositoryName="files",
           branchName="main", parentCommitId=first,
           putFiles=[{"filePath": "x", "fileContent": b64("x")}])
    raises(cc.create_commit, "NoChangeException", repositoryName="files", branchName="main",
           parentCommitId=c2["commitId"],
           putFiles=[{"filePath": "src/app.py", "fileContent": b64("print(1)\n")}])
    raises(cc.create_commit, "FileDoesNotExistException", repositoryName="files",
           branchName="main", parentCommitId=c2["commitId"], deleteFiles=[{"filePath": "zz"}])
    f = cc.get_file(repositoryName="files", filePath="/src/app.py")
    assert f["fileContent"] == b"print(1)\n" and f["fileMode"] == "NORMAL"
    assert f["commitId"] == c2["commitId"] and f["fileSize"] == 9
    assert cc.get_file(repositoryName="files", filePath="bin/run.sh",
                       commitSpecifier="main")["fileMode"] == "EXECUTABLE"
    assert cc.get_file(repositoryName="files", filePath="README.md",
                       commitSpecifier=first)["fileContent"] == b"hello\n"
    raises(cc.get_file, "FileDoesNotExistException", repositoryName="files",
           filePath="src/app.py", commitSpecifier=first)
    raises(cc.get_file, "CommitDoesNotExistException", repositoryName="files",
           filePath="README.md", commitSpecifier="no-such-branch")
    assert cc.get_blob(repositoryName="files", blobId=f["blobId"])["content"] == b"print(1)\n"
    d = cc.get_folder(repositoryName="files", folderPath="/")
    assert [x["absolutePath"] for x in d["subFolders"]] == ["bin", "src"]
    assert [x["relativePath"] for x in d["files"]] == ["README.md"]
    d = cc.get_folder(repositoryName="files", folderPath="src")
    assert d["files"][0]["absolutePath"] == "src/app.py"
    raises(cc.get_folder, "FolderDoesNotExistException", repositoryName="files",
           folderPath="nope")
    cm = cc.get_commit(repositoryName="files", commitId=c2["commitId"])["commit"]
    assert cm["parents"] == [first] and cm["message"] == "second"
    assert cm["author"]["name"] == "Bob" and cm["author"]["email"] == "bob@example.com"
    assert cm["author"]["date"].split()[0].isdigit()
    diff = cc.get_differences(repositoryName="files", beforeCommitSpecifier=first,
                              afterCommitSpecifier="main")["differences"]
    assert sorted((x["changeType"], x["afterBlob"]["path"]) for x in diff) == \
        [("A", "bin/run.sh"), ("A", "src/app.py")]
    assert {x["afterBlob"]["mode"] for x in diff} == {"100644", "100755"}
    # branches
    cc.create_branch(repositoryName="files", branchName="feature", commitId=first)
    raises(cc.create_branch, "BranchNameExistsException", repositoryName="files",
           branchName="feature", commitId=first)
    raises(cc.create_branch, "CommitDoesNotExistException", repositoryName="files",
           branchName="f2", commitId="0" * 40)
    assert sorted(cc.list_branches(repositoryName="files")["branches"]) == ["feature", "main"]
    assert cc.get_branch(repositoryName="files", branchName="feature")["branch"][
        "commitId"] == first
    raises(cc.get_branch, "BranchDoesNotExistException", repositoryName="files",
           branchName="nope")
    # feature is behind main: fast-forward it
    r = cc.merge_branches_by_fast_forward(repositoryName="files", sourceCommitSpecifier="main",
                                          destinationCommitSpecifier="feature")
    assert r["commitId"] == c2["commitId"]
    c3 = cc.create_commit(repositoryName="files", branchName="feature",
                          parentCommitId=c2["commitId"], deleteFiles=[{"filePath": "README.md"}],
                          putFiles=[{"filePath": "docs/README.md",
                                     "sourceFile": {"filePath": "src/app.py", "isMove": True}}])
    assert [x["absolutePath"] for x in c3["filesDeleted"]] == ["README.md", "src/app.py"]
    diff = cc.get_differences(repositoryName="files", beforeCommitSpecifier="main",
                              afterCommitSpecifier="feature")["differences"]
    assert sorted(x["changeType"] for x in diff) == ["A", "D", "D"]
    raises(cc.merge_branches_by_fast_forward, "ManualMergeRequiredException",
           repositoryName="files", sourceCommitSpecifier=first,
           destinationCommitSpecifier="feature")
    cc.update_default_branch(repositoryName="files", defaultBranchName="feature")
    raises(cc.delete_branch, "DefaultBranchCannotBeDeletedException", repositoryName="files",
           branchName="feature")
    assert cc.delete_branch(repositoryName="files", branchName="main")["deletedBranch"][
        "commitId"] == c2["commitId"]


def test_refused_without_permission(ferry):
    c = ferry.user_client("codecommit", "tools", "cc-reader",
                          {"Version": "2012-10-17", "Statement": [
                              {"Effect": "Allow", "Action": "codecommit:Get*", "Resource": "*"}]},
                          region=REGION)
    raises(c.create_repository, "AccessDeniedException", repositoryName="denied")


# --- git over HTTP ----------------------------------------------------------------------

def git_user(ferry, name, actions):
    """An IAM user of tools allowed actions on every repository, with HTTPS Git credentials
    and an access key: (service user name, password, access key, secret)."""
    iam = ferry.client("iam", "tools")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="git", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
    cred = iam.create_service_specific_credential(
        UserName=name, ServiceName="codecommit.amazonaws.com")["ServiceSpecificCredential"]
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return cred["ServiceUserName"], cred["ServicePassword"], k["AccessKeyId"], k["SecretAccessKey"]


def with_creds(url, user, pw):
    u = urllib.parse.urlsplit(url)
    q = urllib.parse.quote
    return u._replace(netloc=f"{q(user, safe='')}:{q(pw, safe='')}@{u.netloc}").geturl()


def test_service_specific_credentials_api(ferry):
    iam = ferry.client("iam", "tools")
    iam.create_user(UserName="ssc")
    c1 = iam.create_service_specific_credential(
        UserName="ssc", ServiceName="codecommit.amazonaws.com")["ServiceSpecificCredential"]
    tools = acct(ferry, "tools")
    assert c1["ServiceUserName"] == f"ssc-at-{tools}" and len(c1["ServicePassword"]) == 44
    assert c1["Status"] == "Active" and c1["ServiceSpecificCredentialId"].startswith("ACCA")
    iam.create_service_specific_credential(UserName="ssc",
                                           ServiceName="codecommit.amazonaws.com")
    raises(iam.create_service_specific_credential, "LimitExceeded", UserName="ssc",
           ServiceName="codecommit.amazonaws.com")
    raises(iam.create_service_specific_credential, "NotSupportedService", UserName="ssc",
           ServiceName="ec2.amazonaws.com")
    listed = iam.list_service_specific_credentials(UserName="ssc")["ServiceSpecificCredentials"]
    assert len(listed) == 2 and all("ServicePassword" not in x for x in listed)
    r = iam.reset_service_specific_credential(
        UserName="ssc", ServiceSpecificCredentialId=c1["ServiceSpecificCredentialId"])
    assert r["ServiceSpecificCredential"]["ServicePassword"] != c1["ServicePassword"]
    iam.update_service_specific_credential(
        UserName="ssc", ServiceSpecificCredentialId=c1["ServiceSpecificCredentialId"],
        Status="Inactive")
    iam.delete_service_specific_credential(
        UserName="ssc", ServiceSpecificCredentialId=c1["ServiceSpecificCredentialId"])
    assert len(iam.list_service_specific_credentials(
        UserName="ssc")["ServiceSpecificCredentials"]) == 1
    raises(iam.delete_service_specific_credential, "NoSuchEntity", UserName="ssc",
           ServiceSpecificCredentialId=c1["ServiceSpecificCredentialId"])


def test_git_clone_push_with_git_credentials(ferry, cc, home):
    url = cc.create_repository(repositoryName="my-serverless-api")["repositoryMetadata"][
        "cloneUrlHttp"]
    user, pw, _, _ = git_user(ferry, "dev1", ["codecommit:GitPull", "codecommit:GitPush"])
    # no credentials: 401 asking for basic auth
    st, hdrs, _ = ferry.http("GET", "/v1/repos/my-serverless-api/info/refs"
                             "?service=git-upload-pack")
    assert st == 401 and hdrs["WWW-Authenticate"].startswith("Basic")
    # wrong password: 403
    r = git(home, "ls-remote", with_creds(url, user, "wrong"), check=False)
    assert r.returncode and "403" in r.stderr
    auth = with_creds(url, user, pw)
    work = os.path.join(home, "w1")
    git(home, "clone", auth, work)  # an empty repository
    with open(os.path.join(work, "template.yaml"), "w") as f:
        f.write("Resources: {}\n")
    git(home, "add", "template.yaml", cwd=work)
    git(home, "commit", "-m", "initial", cwd=work)
    git(home, "branch", "-M", "master", cwd=work)
    git(home, "push", "origin", "master", cwd=work)
    git(home, "tag", "-a", "v1.0", "-m", "release", cwd=work)
    git(home, "tag", "light", cwd=work)
    git(home, "push", "origin", "--tags", cwd=work)
    head = git(home, "rev-parse", "HEAD", cwd=work).stdout.strip()
    m = cc.get_repository(repositoryName="my-serverless-api")["repositoryMetadata"]
    assert m["defaultBranch"] == "master"
    assert cc.get_branch(repositoryName="my-serverless-api", branchName="master")["branch"][
        "commitId"] == head
    assert cc.get_file(repositoryName="my-serverless-api", filePath="template.yaml",
                       commitSpecifier="v1.0")["fileContent"] == b"Resources: {}\n"
    # an API commit, then a second clone sees everything
    cc.put_file(repositoryName="my-serverless-api", branchName="master", parentCommitId=head,
                filePath="src/handler.py", fileContent=b64("def handler(e, c): pass\n"))
    work2 = os.path.join(home, "w2")
    git(home, "clone", auth, work2)
    assert os.path.exists(os.path.join(work2, "src", "handler.py"))
    tags = git(home, "tag", "-l", cwd=work2).stdout.split()
    assert tags == ["light", "v1.0"]
    assert git(home, "cat-file", "-t", "v1.0", cwd=work2).stdout.strip() == "tag"
    # a big push goes through git's chunked, gzip-less pack upload
    with open(os.path.join(work2, "big.bin"), "wb") as f:
        f.write(os.urandom(3 << 20))
    git(home, "add", "big.bin", cwd=work2)
    git(home, "commit", "-m", "big", cwd=work2)
    git(home, "push", "origin", "HEAD:feature/big", cwd=work2)
    assert "feature/big" in cc.list_branches(repositoryName="my-serverless-api")["branches"]
    # the trail has the pushes
    events = ferry.client("cloudtrail", "tools", region=REGION).lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GitPush"}])["Events"]
    assert events and events[0]["Username"] == "dev1"


def test_git_push_refused_pull_allowed(ferry, cc, home):
    url = cc.create_repository(repositoryName="ro")["repositoryMetadata"]["cloneUrlHttp"]
    cc.put_file(repositoryName="ro", branchName="main", filePath="a.txt", fileContent=b"a")
    user, pw, _, _ = git_user(ferry, "reader", ["codecommit:GitPull"])
    work = os.path.join(home, "ro")
    git(home, "clone", with_creds(url, user, pw), work)
    assert open(os.path.join(work, "a.txt")).read() == "a"
    with open(os.path.join(work, "b.txt"), "w") as f:
        f.write("b")
    git(home, "add", "b.txt", cwd=work)
    git(home, "commit", "-m", "b", cwd=work)
    r = git(home, "push", "origin", "main", cwd=work, check=False)
    assert r.returncode and "403" in r.stderr
    # an inactive credential is refused
    iam = ferry.client("iam", "tools")
    cid = iam.list_service_specific_credentials(UserName="reader")[
        "ServiceSpecificCredentials"][0]["ServiceSpecificCredentialId"]
    iam.update_service_specific_credential(UserName="reader", ServiceSpecificCredentialId=cid,
                                           Status="Inactive")
    r = git(home, "ls-remote", with_creds(url, user, pw), check=False)
    assert r.returncode and "403" in r.stderr


def helper_env(ferry, home, name, akid, secret, token=None):
    """A HOME whose git uses the AWS CLI credential helper with these credentials."""
    h = os.path.join(home, name)
    os.makedirs(os.path.join(h, ".aws"), exist_ok=True)
    with open(os.path.join(h, ".aws", "config"), "w") as f:
        f.write(f"[default]\nregion = {REGION}\n")
    with open(os.path.join(h, ".aws", "credentials"), "w") as f:
        f.write(f"[default]\naws_access_key_id = {akid}\naws_secret_access_key = {secret}\n" +
                (f"aws_session_token = {token}\n" if token else ""))
    # the helper's get only: its store and erase do nothing but cost a CLI start each
    git(h, "config", "--global", "credential.helper",
        '!f() { [ "$1" = get ] && aws codecommit credential-helper --ignore-host-check get; }; f')
    git(h, "config", "--global", "credential.UseHttpPath", "true")
    return h


def test_git_with_aws_credential_helper(ferry, cc, home):
    url = cc.create_repository(repositoryName="helper")["repositoryMetadata"]["cloneUrlHttp"]
    _, _, akid, secret = git_user(ferry, "helperuser",
                                  ["codecommit:GitPull", "codecommit:GitPush"])
    h = helper_env(ferry, home, "h1", akid, secret)
    work = os.path.join(h, "w")
    git(h, "clone", url, work)
    with open(os.path.join(work, "x.txt"), "w") as f:
        f.write("x")
    git(h, "add", "x.txt", cwd=work)
    git(h, "commit", "-m", "x", cwd=work)
    git(h, "push", "origin", "HEAD:main", cwd=work)
    assert cc.get_file(repositoryName="helper", filePath="x.txt")["fileContent"] == b"x"
    # a wrong secret signs a password ferry refuses
    bad = helper_env(ferry, home, "h2", akid, "0" * 40)
    r = git(bad, "ls-remote", url, check=False)
    assert r.returncode and "403" in r.stderr


def test_role_from_another_account(ferry, cc, home):
    tools, dev = acct(ferry, "tools"), acct(ferry, "dev")
    url = cc.create_repository(repositoryName="xacct")["repositoryMetadata"]["cloneUrlHttp"]
    cc.put_file(repositoryName="xacct", branchName="main", filePath="a", fileContent=b"a")
    iam = ferry.client("iam", "tools")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{dev}:root"},
        "Action": "sts:AssumeRole"}]}
    for role, actions in (("pusher", ["codecommit:GitPull", "codecommit:GitPush"]),
                          ("puller", ["codecommit:GitPull"])):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(RoleName=role, PolicyName="git", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": actions,
                "Resource": f"arn:aws:codecommit:{REGION}:{tools}:xacct"}]}))
    sts = ferry.client("sts", "dev")
    for role, ok in (("pusher", True), ("puller", False)):
        cr = sts.assume_role(RoleArn=f"arn:aws:iam::{tools}:role/{role}",
                             RoleSessionName="ci")["Credentials"]
        h = helper_env(ferry, home, "role-" + role, cr["AccessKeyId"], cr["SecretAccessKey"],
                       cr["SessionToken"])
        work = os.path.join(h, "w")
        if ok:
            git(h, "clone", url, work)
        else:  # the refused push needs no clone: its own history is enough
            git(h, "init", "-q", "-b", "main", work)
            git(h, "remote", "add", "origin", url, cwd=work)
        with open(os.path.join(work, role), "w") as f:
            f.write(role)
        git(h, "add", role, cwd=work)
        git(h, "commit", "-m", role, cwd=work)
        r = git(h, "push", "origin", "main", cwd=work, check=False)
        assert (r.returncode == 0) == ok, r.stderr
        if not ok:
            assert "403" in r.stderr


# --- CloudFormation -----------------------------------------------------------------------

REPO_TEMPLATE = """
Resources:
  Repo:
    Type: AWS::CodeCommit::Repository
    Properties:
      RepositoryName: cfn-repo
      RepositoryDescription: from a stack
      Code:
        BranchName: develop
        S3: {Bucket: !Ref Bucket, Key: seed.zip}
      Tags: [{Key: team, Value: pipes}]
Parameters:
  Bucket: {Type: String}
Outputs:
  Id: {Value: !Ref Repo}
  Arn: {Value: !GetAtt Repo.Arn}
  Name: {Value: !GetAtt Repo.Name}
  Http: {Value: !GetAtt Repo.CloneUrlHttp}
  Ssh: {Value: !GetAtt Repo.CloneUrlSsh}
"""


def test_cloudformation_repository_from_s3_zip(ferry, cc):
    from ferrytest import zipped
    s3 = ferry.client("s3", "tools", region=REGION)
    s3.create_bucket(Bucket="cc-seed-bucket")
    s3.put_object(Bucket="cc-seed-bucket", Key="seed.zip",
                  Body=zipped({"README.md": "seed\n", "bin/build.sh": ("#!/bin/sh\n", 0o100755)}))
    cfn = ferry.client("cloudformation", "tools", region=REGION)
    cfn.create_stack(StackName="repo-stack", TemplateBody=REPO_TEMPLATE,
                     Parameters=[{"ParameterKey": "Bucket", "ParameterValue": "cc-seed-bucket"}])
    s = stack_wait(cfn, "repo-stack")
    assert s["StackStatus"] == "CREATE_COMPLETE", s
    out = {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}
    m = cc.get_repository(repositoryName="cfn-repo")["repositoryMetadata"]
    assert out["Id"] == m["repositoryId"] and out["Arn"] == m["Arn"] and out["Name"] == "cfn-repo"
    assert out["Http"] == m["cloneUrlHttp"] and out["Ssh"] == m["cloneUrlSsh"]
    assert m["defaultBranch"] == "develop" and m["repositoryDescription"] == "from a stack"
    assert cc.get_file(repositoryName="cfn-repo", filePath="README.md")["fileContent"] == b"seed\n"
    assert cc.get_file(repositoryName="cfn-repo", filePath="bin/build.sh")[
        "fileMode"] == "EXECUTABLE"
    assert cc.list_tags_for_resource(resourceArn=m["Arn"])["tags"]["team"] == "pipes"
    # a new description is set in place
    cfn.update_stack(StackName="repo-stack",
                     TemplateBody=REPO_TEMPLATE.replace("from a stack", "changed"),
                     Parameters=[{"ParameterKey": "Bucket", "ParameterValue": "cc-seed-bucket"}])
    assert stack_wait(cfn, "repo-stack")["StackStatus"] == "UPDATE_COMPLETE"
    assert cc.get_repository(repositoryName="cfn-repo")["repositoryMetadata"][
        "repositoryDescription"] == "changed"
    cfn.delete_stack(StackName="repo-stack")
    stack_wait(cfn, "repo-stack")
    raises(cc.get_repository, "RepositoryDoesNotExistException", repositoryName="cfn-repo")


def test_open_mode_needs_no_credentials(open_ferry, home):
    """--auth open (drop-in for other local clouds): git acts as the default account's root."""
    import boto3
    c = boto3.client("codecommit", endpoint_url=open_ferry.endpoint, region_name=REGION,
                     aws_access_key_id="test", aws_secret_access_key="test")
    url = c.create_repository(repositoryName="open")["repositoryMetadata"]["cloneUrlHttp"]
    c.put_file(repositoryName="open", branchName="main", filePath="f", fileContent=b"f")
    work = os.path.join(home, "open")
    git(home, "clone", url, work)
    assert open(os.path.join(work, "f")).read() == "f"


def test_push_puts_state_change_events_on_the_bus(ferry, cc, home):
    """A push is AWS's "CodeCommit Repository State Change" on the account's default bus:
    a rule on a branch (as the seeds' pipelines start) sends it to a queue."""
    url = cc.create_repository(repositoryName="events-repo")["repositoryMetadata"]["cloneUrlHttp"]
    arn = cc.get_repository(repositoryName="events-repo")["repositoryMetadata"]["Arn"]
    user, pw, _, _ = git_user(ferry, "pusher", ["codecommit:GitPull", "codecommit:GitPush"])
    sqs = ferry.client("sqs", "tools", region=REGION)
    q = sqs.create_queue(QueueName="repo-events")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=q, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": qarn}]})})
    ev = ferry.client("events", "tools", region=REGION)
    ev.put_rule(Name="on-main", EventPattern=json.dumps({
        "source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"],
        "resources": [arn], "detail": {"referenceType": ["branch"], "referenceName": ["main"]}}))
    ev.put_targets(Rule="on-main", Targets=[{"Id": "q", "Arn": qarn}])
    work = os.path.join(home, "ev")
    git(home, "clone", with_creds(url, user, pw), work)
    with open(os.path.join(work, "buildspec.yml"), "w") as f:
        f.write("version: 0.2\n")
    git(home, "add", "buildspec.yml", cwd=work)
    git(home, "commit", "-m", "first", cwd=work)
    git(home, "branch", "-M", "main", cwd=work)
    git(home, "push", "origin", "main", "HEAD:other", cwd=work)
    head = git(home, "rev-parse", "HEAD", cwd=work).stdout.strip()
    msgs = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=10, MaxNumberOfMessages=10)["Messages"]
    assert len(msgs) == 1  # the rule matched main, not other
    e = json.loads(msgs[0]["Body"])
    assert e["source"] == "aws.codecommit" and e["resources"] == [arn]
    assert e["account"] == acct(ferry, "tools") and e["region"] == REGION
    d = e["detail"]
    assert d["event"] == "referenceCreated" and d["referenceFullName"] == "refs/heads/main"
    assert d["commitId"] == head and d["repositoryName"] == "events-repo"
    assert d["callerUserArn"].endswith(":user/pusher") and "oldCommitId" not in d


def test_corrupt_pack_refused_repository_unchanged(open_ferry, home):
    """A push whose pack is corrupt is refused (git's own "unpack" report) and moves no ref."""
    import boto3
    from ferrytest import curl
    c = boto3.client("codecommit", endpoint_url=open_ferry.endpoint, region_name=REGION,
                     aws_access_key_id="test", aws_secret_access_key="test")
    url = c.create_repository(repositoryName="corrupt")["repositoryMetadata"]["cloneUrlHttp"]
    c1 = c.put_file(repositoryName="corrupt", branchName="main", filePath="f", fileContent=b"f")["commitId"]
    cmd = f"{c1} {'1' * 40} refs/heads/main\0 report-status\n".encode()
    body = b"%04x" % (len(cmd) + 4) + cmd + b"0000" + b"PACK\0\0\0\2\0\0\0\1" + os.urandom(64)
    path = os.path.join(home, "corrupt.pack")
    with open(path, "wb") as f:
        f.write(body)
    status, out = curl("-X", "POST", "-H", "Content-Type: application/x-git-receive-pack-request",
                       "--data-binary", "@" + path, url + "/git-receive-pack")
    assert status == 200 and "unpack " in out and "unpack ok" not in out, out
    assert c.get_branch(repositoryName="corrupt", branchName="main")["branch"]["commitId"] == c1
    # and the repository still clones, at the commit it had
    work = os.path.join(home, "corrupt")
    git(home, "clone", url, work)
    assert git(home, "rev-parse", "HEAD", cwd=work).stdout.strip() == c1
