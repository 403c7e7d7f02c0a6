"""Secrets Manager through boto3 and Debian's awscli (json 1.1): secrets in every SecretId
form, versions and staging labels, ClientRequestToken idempotency, deletion windows and
restore, GetRandomPassword, tags, resource policies, values sealed under KMS data keys asked
for as the caller, and a secret read across accounts only when the secret's policy, the
reader's identity policy and the key policy all allow it."""
import json
import string
import time
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError
from ferrytest import acct, code


def trail(ferry, profile, key, value, done, timeout=30):
    """The account's CloudTrail events with key=value, once done(events) (reads are
    group-committed: they appear within moments of the reply)."""
    ct = ferry.client("cloudtrail", profile)
    deadline = time.time() + timeout
    while True:
        evs = ct.lookup_events(LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}])["Events"]
        if done(evs) or time.time() > deadline:
            return evs
        time.sleep(0.2)


@pytest.fixture(scope="module")
def sm(ferry):
    return ferry.client("secretsmanager", "dev")


@pytest.fixture(scope="module")
def key(ferry):
    return ferry.client("kms", "dev").create_key(Description="secrets")["KeyMetadata"]["Arn"]


def test_create_get_and_every_secret_id_form(ferry, sm, key):
    dev = acct(ferry, "dev")
    r = sm.create_secret(Name="app/db", SecretString='{"user":"u","password":"p"}', KmsKeyId=key,
                         Description="db creds", Tags=[{"Key": "team", "Value": "a"}])
    arn = r["ARN"]
    prefix = f"arn:aws:secretsmanager:{sm.meta.region_name}:{dev}:secret:app/db-"
    assert arn.startswith(prefix) and len(arn) == len(prefix) + 6
    assert r["Name"] == "app/db" and r["VersionId"]
    for form in ("app/db", arn, prefix[:-1]):
        v = sm.get_secret_value(SecretId=form)
        assert v["SecretString"] == '{"user":"u","password":"p"}'
        assert v["ARN"] == arn and v["VersionStages"] == ["AWSCURRENT"]
        assert v["VersionId"] == r["VersionId"]
    d = sm.describe_secret(SecretId="app/db")
    assert d["Description"] == "db creds" and d["KmsKeyId"] == key
    assert d["VersionIdsToStages"] == {r["VersionId"]: ["AWSCURRENT"]}
    assert d["Tags"] == [{"Key": "team", "Value": "a"}] and d["CreatedDate"]
    for bad in ("nope", prefix + "zzzzzz", f"arn:aws:secretsmanager:{sm.meta.region_name}:{dev}:secret:nope"):
        with pytest.raises(ClientError) as e:
            sm.get_secret_value(SecretId=bad)
        assert code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        sm.create_secret(Name="app/db", SecretString="x", KmsKeyId=key)
    assert code(e) == "ResourceExistsException"
    with pytest.raises(ClientError) as e:
        sm.create_secret(Name="bad name!", SecretString="x", KmsKeyId=key)
    assert code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        sm.create_secret(Name="both", SecretString="x", SecretBinary=b"y", KmsKeyId=key)
    assert code(e) == "InvalidParameterException"


def test_binary_and_no_value(sm, key):
    sm.create_secret(Name="bin", SecretBinary=b"\x00\x01\xff", KmsKeyId=key)
    v = sm.get_secret_value(SecretId="bin")
    assert v["SecretBinary"] == b"\x00\x01\xff" and "SecretString" not in v
    r = sm.create_secret(Name="empty", KmsKeyId=key)
    assert "VersionId" not in r
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId="empty")
    assert code(e) == "ResourceNotFoundException"
    assert "AWSCURRENT" in e.value.response["Error"]["Message"]
    assert sm.describe_secret(SecretId="empty").get("VersionIdsToStages", {}) == {}


def test_versions_and_stages(sm, key):
    v1 = sm.create_secret(Name="staged", SecretString="one", KmsKeyId=key)["VersionId"]
    v2 = sm.put_secret_value(SecretId="staged", SecretString="two")
    assert v2["VersionStages"] == ["AWSCURRENT"]
    v2 = v2["VersionId"]
    assert sm.get_secret_value(SecretId="staged")["SecretString"] == "two"
    prev = sm.get_secret_value(SecretId="staged", VersionStage="AWSPREVIOUS")
    assert prev["SecretString"] == "one" and prev["VersionId"] == v1
    assert sm.get_secret_value(SecretId="staged", VersionId=v1)["SecretString"] == "one"
    # a pending version does not become current
    v3 = sm.put_secret_value(SecretId="staged", SecretString="three",
                             VersionStages=["AWSPENDING"])["VersionId"]
    assert sm.get_secret_value(SecretId="staged")["SecretString"] == "two"
    assert sm.get_secret_value(SecretId="staged", VersionStage="AWSPENDING")["SecretString"] == "three"
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId="staged", VersionId=v1, VersionStage="AWSCURRENT")
    assert code(e) == "ResourceNotFoundException"
    # moving AWSCURRENT needs the version it leaves, which becomes AWSPREVIOUS
    with pytest.raises(ClientError) as e:
        sm.update_secret_version_stage(SecretId="staged", VersionStage="AWSCURRENT",
                                       MoveToVersionId=v3)
    assert code(e) == "InvalidParameterException"
    sm.update_secret_version_stage(SecretId="staged", VersionStage="AWSCURRENT",
                                   MoveToVersionId=v3, RemoveFromVersionId=v2)
    stages = sm.describe_secret(SecretId="staged")["VersionIdsToStages"]
    assert sorted(stages[v3]) == ["AWSCURRENT", "AWSPENDING"]
    assert stages[v2] == ["AWSPREVIOUS"] and v1 not in stages
    sm.update_secret_version_stage(SecretId="staged", VersionStage="AWSPENDING",
                                   RemoveFromVersionId=v3)
    with pytest.raises(ClientError) as e:
        sm.update_secret_version_stage(SecretId="staged", VersionStage="AWSCURRENT",
                                       RemoveFromVersionId=v3)
    assert code(e) == "InvalidParameterException"
    ids = {v["VersionId"]: v for v in sm.list_secret_version_ids(SecretId="staged")["Versions"]}
    assert set(ids) == {v2, v3}
    assert ids[v3]["KmsKeyIds"] == [key]
    all_ids = sm.list_secret_version_ids(SecretId="staged", IncludeDeprecated=True)["Versions"]
    assert {v["VersionId"] for v in all_ids} == {v1, v2, v3}
    # a custom label; update_secret with a value makes a new current version
    sm.put_secret_value(SecretId="staged", SecretString="four", VersionStages=["blue"])
    assert sm.get_secret_value(SecretId="staged", VersionStage="blue")["SecretString"] == "four"
    u = sm.update_secret(SecretId="staged", SecretString="five", Description="d2")
    assert sm.get_secret_value(SecretId="staged")["VersionId"] == u["VersionId"]
    assert sm.describe_secret(SecretId="staged")["Description"] == "d2"


def test_client_request_token_idempotency(sm, key):
    tok = str(uuid.uuid4())
    a = sm.create_secret(Name="idem", SecretString="v", KmsKeyId=key, ClientRequestToken=tok)
    b = sm.create_secret(Name="idem", SecretString="v", KmsKeyId=key, ClientRequestToken=tok)
    assert a["ARN"] == b["ARN"] and a["VersionId"] == b["VersionId"] == tok
    tok2 = str(uuid.uuid4())
    sm.put_secret_value(SecretId="idem", SecretString="w", ClientRequestToken=tok2)
    again = sm.put_secret_value(SecretId="idem", SecretString="w", ClientRequestToken=tok2)
    assert again["VersionId"] == tok2
    with pytest.raises(ClientError) as e:
        sm.put_secret_value(SecretId="idem", SecretString="other", ClientRequestToken=tok2)
    assert code(e) == "ResourceExistsException"
    assert len(sm.list_secret_version_ids(SecretId="idem")["Versions"]) == 2


def test_delete_window_restore_and_force(sm, key):
    arn = sm.create_secret(Name="gone", SecretString="x", KmsKeyId=key)["ARN"]
    for bad in ({"RecoveryWindowInDays": 6}, {"RecoveryWindowInDays": 31},
                {"RecoveryWindowInDays": 7, "ForceDeleteWithoutRecovery": True}):
        with pytest.raises(ClientError) as e:
            sm.delete_secret(SecretId="gone", **bad)
        assert code(e) == "InvalidParameterException", bad
    before = time.time()
    r = sm.delete_secret(SecretId="gone", RecoveryWindowInDays=7)
    when = r["DeletionDate"].timestamp()
    assert before + 7 * 86400 - 5 < when < time.time() + 7 * 86400 + 5
    for call in (lambda: sm.get_secret_value(SecretId="gone"),
                 lambda: sm.put_secret_value(SecretId="gone", SecretString="y"),
                 lambda: sm.create_secret(Name="gone", SecretString="y", KmsKeyId=key)):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == "InvalidRequestException"
    assert sm.describe_secret(SecretId="gone")["DeletedDate"]
    assert "gone" not in [s["Name"] for s in sm.list_secrets()["SecretList"]]
    # (IncludePlannedDeletion, newer than Debian's botocore: in the JS SDK test)
    # default window: 30 days
    sm.restore_secret(SecretId=arn)
    assert "DeletedDate" not in sm.describe_secret(SecretId="gone")
    assert sm.get_secret_value(SecretId="gone")["SecretString"] == "x"
    r = sm.delete_secret(SecretId="gone")
    assert r["DeletionDate"].timestamp() > time.time() + 29 * 86400
    # force deletes at once, even a secret already scheduled
    sm.delete_secret(SecretId="gone", ForceDeleteWithoutRecovery=True)
    with pytest.raises(ClientError) as e:
        sm.describe_secret(SecretId="gone")
    assert code(e) == "ResourceNotFoundException"
    assert sm.create_secret(Name="gone", SecretString="new", KmsKeyId=key)["ARN"] != arn


def test_list_filters_and_pages(sm, key):
    for i in range(3):
        sm.create_secret(Name=f"list/s{i}", SecretString="x", KmsKeyId=key,
                         Description=f"desc {i}", Tags=[{"Key": "env", "Value": f"e{i}"}])
    names = lambda r: sorted(s["Name"] for s in r["SecretList"])  # noqa: E731
    assert names(sm.list_secrets(Filters=[{"Key": "name", "Values": ["list/"]}])) == \
        ["list/s0", "list/s1", "list/s2"]
    assert names(sm.list_secrets(Filters=[{"Key": "tag-value", "Values": ["e1"]}])) == ["list/s1"]
    assert names(sm.list_secrets(Filters=[{"Key": "name", "Values": ["list/"]},
                                          {"Key": "description", "Values": ["!desc 0"]}])) == \
        ["list/s1", "list/s2"]
    with pytest.raises(ClientError) as e:
        sm.list_secrets(Filters=[{"Key": "colour", "Values": ["x"]}])
    assert code(e) in ("InvalidParameterException", "ValidationException")
    seen, token = [], None
    while True:
        kw = {"NextToken": token} if token else {}
        r = sm.list_secrets(MaxResults=2, Filters=[{"Key": "name", "Values": ["list/"]}], **kw)
        seen += [s["Name"] for s in r["SecretList"]]
        token = r.get("NextToken")
        if not token:
            break
    assert sorted(seen) == ["list/s0", "list/s1", "list/s2"]
    entry = sm.list_secrets(Filters=[{"Key": "name", "Values": ["list/s1"]}])["SecretList"][0]
    assert list(entry["SecretVersionsToStages"].values()) == [["AWSCURRENT"]]


def test_random_password(sm):
    pw = sm.get_random_password()["RandomPassword"]
    assert len(pw) == 32
    classes = [string.ascii_lowercase, string.ascii_uppercase, string.digits, string.punctuation]
    assert all(any(ch in cl for ch in pw) for cl in classes)
    pw = sm.get_random_password(PasswordLength=50, ExcludePunctuation=True, ExcludeNumbers=True,
                                ExcludeCharacters="abcXYZ")["RandomPassword"]
    assert len(pw) == 50 and pw.isalpha() and not set(pw) & set("abcXYZ")
    pw = sm.get_random_password(PasswordLength=4, IncludeSpace=True, ExcludeLowercase=True,
                                ExcludeUppercase=True, ExcludeNumbers=True,
                                ExcludePunctuation=True)["RandomPassword"]
    assert pw == "    "
    assert len({sm.get_random_password()["RandomPassword"] for _ in range(20)}) == 20
    with pytest.raises(ClientError) as e:
        sm.get_random_password(ExcludeLowercase=True, ExcludeUppercase=True, ExcludeNumbers=True,
                               ExcludePunctuation=True)
    assert code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        sm.get_random_password(PasswordLength=3)
    assert code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        sm.get_random_password(PasswordLength=4097)
    assert code(e) in ("InvalidParameterException", "ValidationException")


def test_tags(sm, key):
    sm.create_secret(Name="tagged", SecretString="x", KmsKeyId=key)
    sm.tag_resource(SecretId="tagged", Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    sm.tag_resource(SecretId="tagged", Tags=[{"Key": "a", "Value": "3"}])
    sm.untag_resource(SecretId="tagged", TagKeys=["b"])
    assert sm.describe_secret(SecretId="tagged")["Tags"] == [{"Key": "a", "Value": "3"}]
    with pytest.raises(ClientError) as e:
        sm.tag_resource(SecretId="tagged", Tags=[{"Key": "aws:x", "Value": "1"}])
    assert code(e) == "InvalidParameterException"


def test_resource_policy_ops(ferry, sm, key):
    dev = acct(ferry, "dev")
    arn = sm.create_secret(Name="pol", SecretString="x", KmsKeyId=key)["ARN"]
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId="pol")
    pol = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{dev}:root"},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    v = sm.validate_resource_policy(SecretId="pol", ResourcePolicy=json.dumps(pol))
    assert v["PolicyValidationPassed"] is True
    sm.put_resource_policy(SecretId="pol", ResourcePolicy=json.dumps(pol))
    assert json.loads(sm.get_resource_policy(SecretId="pol")["ResourcePolicy"]) == pol
    public = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
        "Resource": "*"}]}
    with pytest.raises(ClientError) as e:
        sm.put_resource_policy(SecretId="pol", ResourcePolicy=json.dumps(public),
                               BlockPublicPolicy=True)
    assert code(e) == "PublicPolicyException"
    with pytest.raises(ClientError) as e:
        sm.put_resource_policy(SecretId="pol", ResourcePolicy="{nope")
    assert code(e) == "MalformedPolicyDocumentException"
    sm.delete_resource_policy(SecretId=arn)
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId="pol")


def test_value_needs_kms_decrypt_of_the_caller(ferry, sm):
    """The value is sealed under a data key KMS gives the caller: a key policy without
    kms:Decrypt for the account stops reads, and both KMS calls are in the trail."""
    kms = ferry.client("kms", "dev")
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    sm.create_secret(Name="kms-bound", SecretString="s3cr3t", KmsKeyId=kid)
    assert sm.get_secret_value(SecretId="kms-bound")["SecretString"] == "s3cr3t"
    pol = json.loads(kms.get_key_policy(KeyId=kid, PolicyName="default")["Policy"])
    root = pol["Statement"][0]["Principal"]["AWS"]
    narrow = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": root}, "NotAction": "kms:Decrypt", "Resource": "*"}]}
    kms.put_key_policy(KeyId=kid, PolicyName="default", Policy=json.dumps(narrow))
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId="kms-bound")
    assert code(e) == "AccessDeniedException"
    kms.put_key_policy(KeyId=kid, PolicyName="default", Policy=json.dumps(pol))
    kms.disable_key(KeyId=kid)
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId="kms-bound")
    assert code(e) == "DecryptionFailure"
    with pytest.raises(ClientError) as e:
        sm.put_secret_value(SecretId="kms-bound", SecretString="x")
    assert code(e) == "EncryptionFailure"
    kms.enable_key(KeyId=kid)
    def names(evs):
        return {e["EventName"] for e in evs}

    evs = trail(ferry, "dev", "EventSource", "kms.amazonaws.com",
                lambda evs: {"GenerateDataKey", "Decrypt"} <= names(evs))
    assert {"GenerateDataKey", "Decrypt"} <= names(evs)


def test_cross_account_read_needs_secret_identity_and_key_policies(ferry):
    tools_sm, dev_sm = ferry.client("secretsmanager", "tools"), ferry.client("secretsmanager", "dev")
    tools_kms = ferry.client("kms", "tools")
    dev = acct(ferry, "dev")
    kid = tools_kms.create_key(Description="shared secrets")["KeyMetadata"]["KeyId"]
    arn = tools_sm.create_secret(Name="shared/token", SecretString="t0k", KmsKeyId=kid)["ARN"]
    read = lambda sm=dev_sm: sm.get_secret_value(SecretId=arn)["SecretString"]  # noqa: E731

    def refused(fn=read):
        with pytest.raises(ClientError) as e:
            fn()
        assert code(e) == "AccessDeniedException"

    refused()  # neither the secret's policy nor the key's
    tools_sm.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{dev}:root"},
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
    refused()  # the key policy still trusts only the tools account
    pol = json.loads(tools_kms.get_key_policy(KeyId=kid, PolicyName="default")["Policy"])
    pol["Statement"].append({"Sid": "dev decrypts", "Effect": "Allow",
                             "Principal": {"AWS": f"arn:aws:iam::{dev}:root"},
                             "Action": "kms:Decrypt", "Resource": "*"})
    tools_kms.put_key_policy(KeyId=kid, PolicyName="default", Policy=json.dumps(pol))
    assert read() == "t0k"
    # a dev user whose own policy does not allow the read is refused though both resources allow
    iam = ferry.client("iam", "dev")
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}))
    k = iam.create_access_key(UserName="reader")["AccessKey"]
    user_sm = boto3.client("secretsmanager", endpoint_url=ferry.endpoint,
                           region_name=dev_sm.meta.region_name, aws_access_key_id=k["AccessKeyId"],
                           aws_secret_access_key=k["SecretAccessKey"])
    refused(lambda: read(user_sm))
    iam.put_user_policy(UserName="reader", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["kms:Decrypt", "secretsmanager:GetSecretValue"],
                       "Resource": "*"}]}))
    assert read(user_sm) == "t0k"
    # only GetSecretValue was granted; a name does not reach across accounts
    refused(lambda: dev_sm.put_secret_value(SecretId=arn, SecretString="x"))
    with pytest.raises(ClientError) as e:
        dev_sm.get_secret_value(SecretId="shared/token")
    assert code(e) == "ResourceNotFoundException"
    # taking kms:Decrypt out of the key policy refuses the same read again
    pol["Statement"].pop()
    tools_kms.put_key_policy(KeyId=kid, PolicyName="default", Policy=json.dumps(pol))
    refused()
    # the read is in both accounts' trails
    def reads(evs):
        return [e for e in evs if json.loads(e["CloudTrailEvent"]).get("errorCode") is None
                and any(r.get("ResourceName") == arn for r in e.get("Resources", []))]

    for profile in ("dev", "tools"):
        ok = reads(trail(ferry, profile, "EventName", "GetSecretValue", reads))
        assert ok, profile
        assert json.loads(ok[0]["CloudTrailEvent"])["readOnly"] is True


def test_cli(ferry, key):
    r = ferry.aws("secretsmanager", "create-secret", "--name", "cli/s", "--secret-string", "v1",
                  "--kms-key-id", key, profile="dev")
    arn = r.json["ARN"]
    ferry.aws("secretsmanager", "put-secret-value", "--secret-id", "cli/s", "--secret-string", "v2",
              profile="dev")
    got = ferry.aws("secretsmanager", "get-secret-value", "--secret-id", arn, profile="dev").json
    assert got["SecretString"] == "v2"
    ids = ferry.aws("secretsmanager", "list-secret-version-ids", "--secret-id", "cli/s",
                    profile="dev").json["Versions"]
    assert sorted(s for v in ids for s in v["VersionStages"]) == ["AWSCURRENT", "AWSPREVIOUS"]
    pw = ferry.aws("secretsmanager", "get-random-password", "--password-length", "20",
                   "--exclude-punctuation", profile="dev").json["RandomPassword"]
    assert len(pw) == 20 and pw.isalnum()
    ferry.aws("secretsmanager", "delete-secret", "--secret-id", "cli/s",
              "--force-delete-without-recovery", profile="dev")
    r = ferry.aws("secretsmanager", "describe-secret", "--secret-id", "cli/s", profile="dev",
                  check=False)
    assert r.returncode != 0 and "ResourceNotFoundException" in r.stderr


def test_default_key_is_the_aws_managed_one(ferry, sm):
    """Without KmsKeyId the value is sealed under alias/aws/secretsmanager, made by KMS on
    the service's first use; AWS's policy for it lets only its own account use it, through
    Secrets Manager, so such a secret cannot be read from another account."""
    r = sm.create_secret(Name="default-key", SecretString="dflt")
    assert sm.get_secret_value(SecretId="default-key")["SecretString"] == "dflt"
    assert "KmsKeyId" not in sm.describe_secret(SecretId="default-key")
    v = sm.list_secret_version_ids(SecretId="default-key")["Versions"]
    assert v[0]["KmsKeyIds"] == ["DefaultEncryptionKey"]
    kms = ferry.client("kms", "dev")
    md = kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
    assert md["KeyManager"] == "AWS"
    # the key is the service's: the account's own direct use is refused
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId="alias/aws/secretsmanager", Plaintext=b"x")
    assert code(e) in ("AccessDeniedException", "NotFoundException")
    # shared by the secret's policy, still unreadable from another account
    qa = acct(ferry, "qa")
    sm.put_resource_policy(SecretId="default-key", ResourcePolicy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{qa}:root"},
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
    with pytest.raises(ClientError) as e:
        ferry.client("secretsmanager", "qa").get_secret_value(SecretId=r["ARN"])
    assert code(e) == "AccessDeniedException"


def test_new_key_reencrypts_the_labeled_versions(ferry, sm):
    kms = ferry.client("kms", "dev")
    k1, k2 = (kms.create_key()["KeyMetadata"]["Arn"] for _ in range(2))
    sm.create_secret(Name="rekey", SecretString="a", KmsKeyId=k1)
    sm.put_secret_value(SecretId="rekey", SecretString="b")
    sm.update_secret(SecretId="rekey", KmsKeyId=k2)
    assert sm.describe_secret(SecretId="rekey")["KmsKeyId"] == k2
    versions = sm.list_secret_version_ids(SecretId="rekey")["Versions"]
    assert [v["KmsKeyIds"] for v in versions] == [[k2], [k2]]
    # the old key is no longer needed to read them
    kms.disable_key(KeyId=k1)
    assert sm.get_secret_value(SecretId="rekey")["SecretString"] == "b"
    assert sm.get_secret_value(SecretId="rekey", VersionStage="AWSPREVIOUS")["SecretString"] == "a"
    kms.enable_key(KeyId=k1)


def test_tag_based_access(ferry, sm, key):
    """secretsmanager:ResourceTag/K (and aws:ResourceTag/K) in a policy condition: a user may
    read only the secrets tagged for its team."""
    sm.create_secret(Name="abac/a", SecretString="a", KmsKeyId=key, Tags=[{"Key": "team", "Value": "a"}])
    sm.create_secret(Name="abac/b", SecretString="b", KmsKeyId=key, Tags=[{"Key": "team", "Value": "b"}])
    iam = ferry.client("iam", "dev")
    iam.create_user(UserName="team-a")
    iam.put_user_policy(UserName="team-a", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"},
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
             "Condition": {"StringEquals": {"secretsmanager:ResourceTag/team": "a"}}},
            {"Effect": "Allow", "Action": "secretsmanager:DescribeSecret", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/team": "a"}}}]}))
    k = iam.create_access_key(UserName="team-a")["AccessKey"]
    user = boto3.client("secretsmanager", endpoint_url=ferry.endpoint, region_name=sm.meta.region_name,
                        aws_access_key_id=k["AccessKeyId"], aws_secret_access_key=k["SecretAccessKey"])
    assert user.get_secret_value(SecretId="abac/a")["SecretString"] == "a"
    assert user.describe_secret(SecretId="abac/a")["Name"] == "abac/a"
    for call in (lambda: user.get_secret_value(SecretId="abac/b"),
                 lambda: user.describe_secret(SecretId="abac/b")):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == "AccessDeniedException"
    # retagged, the secret changes hands
    sm.tag_resource(SecretId="abac/b", Tags=[{"Key": "team", "Value": "a"}])
    assert user.get_secret_value(SecretId="abac/b")["SecretString"] == "b"
