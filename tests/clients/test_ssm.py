"""SSM Parameter Store through boto3 and Debian's awscli (json 1.1): String, StringList and
SecureString parameters (encrypted by KMS as the caller), selectors, paths, history, labels,
tags, the public /aws/service parameters, the errors AWS answers, and the refusals across
accounts and without kms:Decrypt."""
import base64
import json

import pytest
from botocore.exceptions import ClientError
from ferrytest import acct, code


@pytest.fixture(scope="module")
def ssm(ferry):
    return ferry.client("ssm", "dev")


@pytest.fixture(scope="module")
def key(ferry):
    return ferry.client("kms", "dev").create_key(Description="params")["KeyMetadata"]


def test_put_get_versions_and_selectors(ferry, ssm):
    dev = acct(ferry, "dev")
    region = ssm.meta.region_name
    r = ssm.put_parameter(Name="/app/db/host", Value="db1", Type="String")
    assert r["Version"] == 1 and r["Tier"] == "Standard"
    r = ssm.put_parameter(Name="/app/db/host", Value="db2", Overwrite=True)
    assert r["Version"] == 2 and r["Tier"] == "Standard"
    p = ssm.get_parameter(Name="/app/db/host")["Parameter"]
    assert p["Value"] == "db2" and p["Version"] == 2 and p["Type"] == "String"
    assert p["ARN"] == f"arn:aws:ssm:{region}:{dev}:parameter/app/db/host"
    assert p["DataType"] == "text" and "Selector" not in p
    p = ssm.get_parameter(Name="/app/db/host:1")["Parameter"]
    assert p["Value"] == "db1" and p["Selector"] == ":1" and p["Name"] == "/app/db/host"
    assert ssm.get_parameter(Name=p["ARN"])["Parameter"]["Value"] == "db2"
    # a name without a slash has one slash in its ARN
    ssm.put_parameter(Name="flat", Value="a,b", Type="StringList")
    p = ssm.get_parameter(Name="flat")["Parameter"]
    assert p["ARN"] == f"arn:aws:ssm:{region}:{dev}:parameter/flat" and p["Type"] == "StringList"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/app/db/host", Value="db3", Type="String")
    assert code(e) == "ParameterAlreadyExists"
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name="/app/db/nope")
    assert code(e) == "ParameterNotFound"
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name="/app/db/host:7")
    assert code(e) == "ParameterVersionNotFound"
    assert "version 7 of /app/db/host" in e.value.response["Error"]["Message"]
    r = ssm.get_parameters(Names=["/app/db/host", "/nope", "flat", "/app/db/host:9"])
    assert sorted(p["Name"] for p in r["Parameters"]) == ["/app/db/host", "flat"]
    assert sorted(r["InvalidParameters"]) == ["/app/db/host:9", "/nope"]


def test_names_and_values_refused_as_aws(ssm):
    for name, want in (("aws-thing", "ValidationException"), ("/ssm/x", "ValidationException"),
                       ("a b", "ValidationException"), ("a/b", "ValidationException"),
                       ("/a//b", "ValidationException"),
                       ("/" + "/".join("l%d" % i for i in range(16)), "HierarchyLevelLimitExceededException")):
        with pytest.raises(ClientError) as e:
            ssm.put_parameter(Name=name, Value="v", Type="String")
        assert code(e) == want, name
    ssm.put_parameter(Name="/a/aws-prefixed", Value="v", Type="String")  # only the first level
    ssm.put_parameter(Name="/ok/" + "/".join("l%d" % i for i in range(13)), Value="v", Type="String")
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/big", Value="x" * 4097, Type="String")
    assert code(e) == "ValidationException" and "4096" in e.value.response["Error"]["Message"]
    assert ssm.put_parameter(Name="/big", Value="x" * 4097, Type="String", Tier="Advanced")["Tier"] == "Advanced"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/notype", Value="v")
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/t", Value="v", Type="String", Overwrite=True,
                          Tags=[{"Key": "a", "Value": "b"}])
    assert code(e) == "ValidationException" and "tags and overwrite" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/pat", Value="abc", Type="String", AllowedPattern=r"^\d+$")
    assert code(e) == "ParameterPatternMismatchException"
    ssm.put_parameter(Name="/pat", Value="123", Type="String", AllowedPattern=r"^\d+$")
    with pytest.raises(ClientError) as e:  # the pattern stays with the parameter
        ssm.put_parameter(Name="/pat", Value="12a", Overwrite=True)
    assert code(e) == "ParameterPatternMismatchException"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/dt", Value="v", Type="String", DataType="Text")
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/ami", Value="not-an-ami", Type="String", DataType="aws:ec2:image")
    assert code(e) == "ValidationException"
    ssm.put_parameter(Name="/ami", Value="ami-0123456789abcdef0", Type="String", DataType="aws:ec2:image")
    assert ssm.get_parameter(Name="/ami")["Parameter"]["DataType"] == "aws:ec2:image"


def test_secure_string_is_encrypted_by_kms(ferry, ssm, key):
    ssm.put_parameter(Name="/app/secret", Value="hunter2", Type="SecureString", KeyId=key["KeyId"])
    p = ssm.get_parameter(Name="/app/secret")["Parameter"]
    assert p["Type"] == "SecureString" and p["Value"] != "hunter2"
    blob = base64.b64decode(p["Value"])  # the ciphertext, base64, as AWS answers it
    assert b"hunter2" not in blob
    assert ssm.get_parameter(Name="/app/secret", WithDecryption=True)["Parameter"]["Value"] == "hunter2"
    # at rest the store holds the ciphertext only
    import glob
    for f in glob.glob(ferry.data + "/ferry.db*"):
        with open(f, "rb") as fh:
            assert b"hunter2" not in fh.read(), f
    # the blob is KMS's own, bound to the parameter's ARN
    kms = ferry.client("kms", "dev")
    d = kms.decrypt(CiphertextBlob=blob, EncryptionContext={"PARAMETER_ARN": p["ARN"]})
    assert d["Plaintext"] == b"hunter2" and d["KeyId"] == key["Arn"]
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=blob)
    assert code(e) == "InvalidCiphertextException"
    md = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/app/secret"]}])["Parameters"]
    assert md[0]["KeyId"] == key["KeyId"] and md[0]["Type"] == "SecureString"
    # overwrite keeps the key; history decrypts each version
    ssm.put_parameter(Name="/app/secret", Value="hunter3", Overwrite=True)
    h = ssm.get_parameter_history(Name="/app/secret", WithDecryption=True)["Parameters"]
    assert [v["Value"] for v in h] == ["hunter2", "hunter3"]
    h = ssm.get_parameter_history(Name="/app/secret")["Parameters"]
    assert all(v["Value"] not in ("hunter2", "hunter3") for v in h)
    # a disabled key: the value cannot be read, and AWS names KMS in the error
    kms.disable_key(KeyId=key["KeyId"])
    try:
        with pytest.raises(ClientError) as e:
            ssm.get_parameter(Name="/app/secret", WithDecryption=True)
        assert "AWSKMS" in e.value.response["Error"]["Message"]
        assert ssm.get_parameter(Name="/app/secret")["Parameter"]["Version"] == 2
    finally:
        kms.enable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/app/secret2", Value="x", Type="SecureString", KeyId="alias/none")
    assert code(e) == "InvalidKeyId"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/plainkey", Value="x", Type="String", KeyId=key["KeyId"])
    assert code(e) == "ValidationException"


def test_caller_without_kms_decrypt_cannot_read(ferry, ssm, key):
    ssm.put_parameter(Name="/team/token", Value="t0ken", Type="SecureString", KeyId=key["KeyId"])
    user = ferry.user_client("ssm", "dev", "reader", {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "ssm:GetParameter*", "Resource": "*"}]})
    p = user.get_parameter(Name="/team/token")["Parameter"]
    assert p["Value"] != "t0ken"
    with pytest.raises(ClientError) as e:
        user.get_parameter(Name="/team/token", WithDecryption=True)
    assert code(e) == "AccessDeniedException"
    msg = e.value.response["Error"]["Message"]
    assert "kms:Decrypt" in msg and "(Service: AWSKMS" in msg
    with pytest.raises(ClientError) as e:
        user.get_parameters_by_path(Path="/team", WithDecryption=True)
    assert code(e) == "AccessDeniedException"
    # given kms:Decrypt, the same read succeeds
    ferry.client("iam", "dev").put_user_policy(UserName="reader", PolicyName="k", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key["Arn"]}]}))
    assert user.get_parameter(Name="/team/token", WithDecryption=True)["Parameter"]["Value"] == "t0ken"
    with pytest.raises(ClientError) as e:
        user.put_parameter(Name="/team/other", Value="x", Type="String")
    assert code(e) == "AccessDeniedException"


def test_cross_account_refused(ferry, ssm):
    ssm.put_parameter(Name="/shared/thing", Value="dev-only", Type="String")
    arn = ssm.get_parameter(Name="/shared/thing")["Parameter"]["ARN"]
    tools = ferry.client("ssm", "tools")
    with pytest.raises(ClientError) as e:
        tools.get_parameter(Name=arn)
    assert code(e) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        tools.get_parameter(Name="/shared/thing")
    assert code(e) == "ParameterNotFound"


def test_by_path_filters_and_pages(ssm):
    for i in range(13):
        ssm.put_parameter(Name=f"/svc/a/p{i:02d}", Value=str(i), Type="String")
    ssm.put_parameter(Name="/svc/a/deep/x", Value="d", Type="String")
    ssm.put_parameter(Name="/svc/b", Value="b", Type="StringList")
    r = ssm.get_parameters_by_path(Path="/svc/a")
    assert len(r["Parameters"]) == 10 and r["NextToken"]
    r2 = ssm.get_parameters_by_path(Path="/svc/a", NextToken=r["NextToken"])
    names = [p["Name"] for p in r["Parameters"] + r2["Parameters"]]
    assert names == [f"/svc/a/p{i:02d}" for i in range(13)] and "NextToken" not in r2
    pag = ssm.get_paginator("get_parameters_by_path")
    allp = [p["Name"] for page in pag.paginate(Path="/svc", Recursive=True) for p in page["Parameters"]]
    assert len(allp) == 15 and "/svc/a/deep/x" in allp
    r = ssm.get_parameters_by_path(Path="/svc", Recursive=True,
                                   ParameterFilters=[{"Key": "Type", "Values": ["StringList"]}])
    assert [p["Name"] for p in r["Parameters"]] == ["/svc/b"]
    with pytest.raises(ClientError) as e:
        ssm.get_parameters_by_path(Path="/svc", ParameterFilters=[{"Key": "Name", "Values": ["x"]}])
    assert code(e) == "InvalidFilterKey"
    with pytest.raises(ClientError) as e:
        ssm.get_parameters_by_path(Path="/svc", ParameterFilters=[{"Key": "Type", "Option": "BeginsWith",
                                                                   "Values": ["S"]}])
    assert code(e) == "InvalidFilterOption"
    with pytest.raises(ClientError) as e:
        ssm.get_parameters_by_path(Path="svc")
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        ssm.get_parameters_by_path(Path="/svc", NextToken="garbage")
    assert code(e) == "InvalidNextToken"
    # DescribeParameters
    md = [p["Name"] for page in ssm.get_paginator("describe_parameters").paginate(
        ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": ["/svc"]}])
        for p in page["Parameters"]]
    assert len(md) == 15
    md = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Option": "BeginsWith",
                                                    "Values": ["/svc/a/p1"]}])["Parameters"]
    assert [p["Name"] for p in md] == ["/svc/a/p10", "/svc/a/p11", "/svc/a/p12"]
    assert md[0]["Version"] == 1 and md[0]["LastModifiedUser"].endswith(":root")
    with pytest.raises(ClientError) as e:
        ssm.describe_parameters(ParameterFilters=[{"Key": "Label", "Values": ["x"]}])
    assert code(e) == "InvalidFilterKey"
    # DeleteParameters
    r = ssm.delete_parameters(Names=["/svc/b", "/svc/none"])
    assert r["DeletedParameters"] == ["/svc/b"] and r["InvalidParameters"] == ["/svc/none"]
    with pytest.raises(ClientError) as e:
        ssm.delete_parameter(Name="/svc/b")
    assert code(e) == "ParameterNotFound"


def test_labels_and_history(ssm):
    for v in ("one", "two", "three"):
        ssm.put_parameter(Name="/lbl", Value=v, Type="String", Overwrite=True)
    r = ssm.label_parameter_version(Name="/lbl", ParameterVersion=1, Labels=["prod", "1bad", "awsx", "ok-2"])
    assert r["ParameterVersion"] == 1 and sorted(r["InvalidLabels"]) == ["1bad", "awsx"]
    assert ssm.get_parameter(Name="/lbl:prod")["Parameter"]["Value"] == "one"
    # a label moves; the latest is the default version
    assert ssm.label_parameter_version(Name="/lbl", Labels=["prod"])["ParameterVersion"] == 3
    p = ssm.get_parameter(Name="/lbl:prod")["Parameter"]
    assert p["Value"] == "three" and p["Selector"] == ":prod"
    h = ssm.get_parameter_history(Name="/lbl")["Parameters"]
    assert [(v["Version"], v["Labels"]) for v in h] == [(1, ["ok-2"]), (2, []), (3, ["prod"])]
    h = ssm.get_parameter_history(Name="/lbl", MaxResults=2)
    assert len(h["Parameters"]) == 2 and h["NextToken"]
    with pytest.raises(ClientError) as e:
        ssm.label_parameter_version(Name="/lbl", ParameterVersion=9, Labels=["x"])
    assert code(e) == "ParameterVersionNotFound"
    with pytest.raises(ClientError) as e:
        ssm.label_parameter_version(Name="/lbl", ParameterVersion=2, Labels=[f"l{i}" for i in range(11)])
    assert code(e) in ("ParameterVersionLabelLimitExceeded", "ValidationException")
    ssm.label_parameter_version(Name="/lbl", ParameterVersion=2, Labels=[f"l{i}" for i in range(10)])
    with pytest.raises(ClientError) as e:
        ssm.label_parameter_version(Name="/lbl", ParameterVersion=2, Labels=["eleventh"])
    assert code(e) == "ParameterVersionLabelLimitExceeded"
    r = ssm.unlabel_parameter_version(Name="/lbl", ParameterVersion=3, Labels=["prod", "nope"])
    assert r["RemovedLabels"] == ["prod"] and r["InvalidLabels"] == ["nope"]
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name="/lbl:prod")
    assert code(e) in ("ParameterVersionNotFound", "ParameterNotFound")


def test_tags(ssm):
    ssm.put_parameter(Name="/tagged", Value="v", Type="String", Tags=[{"Key": "team", "Value": "core"}])
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="/tagged",
                             Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "platform"}])
    tags = {t["Key"]: t["Value"] for t in
            ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/tagged")["TagList"]}
    assert tags == {"team": "platform", "env": "dev"}
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId="/tagged", TagKeys=["team"])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/tagged")["TagList"] == [
        {"Key": "env", "Value": "dev"}]
    md = ssm.describe_parameters(ParameterFilters=[{"Key": "tag:env", "Values": ["dev"]}])["Parameters"]
    assert [p["Name"] for p in md] == ["/tagged"]
    with pytest.raises(ClientError) as e:
        ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/none")
    assert code(e) == "InvalidResourceId"


def test_public_parameters(ssm):
    p = ssm.get_parameter(Name="/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2")["Parameter"]
    assert p["Value"].startswith("ami-") and p["Type"] == "String"
    r = ssm.get_parameters_by_path(Path="/aws/service/global-infrastructure/regions")
    assert "/aws/service/global-infrastructure/regions/us-east-1" in [p["Name"] for p in r["Parameters"]]
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name="/aws/service/none")
    assert code(e) == "ParameterNotFound"


def test_cli(ferry):
    ferry.aws("ssm", "put-parameter", "--name", "/cli/p", "--value", "v1", "--type", "String", profile="qa")
    ferry.aws("ssm", "put-parameter", "--name", "/cli/p", "--value", "v2", "--overwrite", profile="qa")
    r = ferry.aws("ssm", "get-parameter", "--name", "/cli/p", profile="qa").json
    assert r["Parameter"]["Value"] == "v2"
    r = ferry.aws("ssm", "get-parameters-by-path", "--path", "/cli", profile="qa").json
    assert [p["Name"] for p in r["Parameters"]] == ["/cli/p"]
    r = ferry.aws("ssm", "get-parameter-history", "--name", "/cli/p", profile="qa").json
    assert [p["Value"] for p in r["Parameters"]] == ["v1", "v2"]
    r = ferry.aws("ssm", "get-parameter", "--name", "/cli/none", profile="qa", check=False)
    assert r.returncode != 0 and "ParameterNotFound" in r.stderr
    # SecureString under the default key; the CLI pages through a path by itself
    for i in range(12):
        ferry.aws("ssm", "put-parameter", "--name", f"/cli/s/p{i:02d}", "--value", f"secret{i}",
                  "--type", "SecureString", profile="qa")
    r = ferry.aws("ssm", "get-parameter", "--name", "/cli/s/p03", profile="qa").json
    assert r["Parameter"]["Value"] != "secret3"
    r = ferry.aws("ssm", "get-parameter", "--name", "/cli/s/p03", "--with-decryption", profile="qa").json
    assert r["Parameter"]["Value"] == "secret3"
    r = ferry.aws("ssm", "get-parameters-by-path", "--path", "/cli", "--recursive", "--with-decryption",
                  profile="qa").json
    assert [p["Value"] for p in r["Parameters"]] == ["v2"] + [f"secret{i}" for i in range(12)]


def test_secure_string_default_key_is_aws_managed(ferry, ssm):
    ssm.put_parameter(Name="/default/secret", Value="pa55", Type="SecureString")
    md = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/default/secret"]}])["Parameters"]
    assert md[0]["KeyId"] == "alias/aws/ssm"
    assert ssm.get_parameter(Name="/default/secret", WithDecryption=True)["Parameter"]["Value"] == "pa55"
    # KMS made the AWS managed key on SSM's first use; clients cannot use it directly
    kms = ferry.client("kms", "dev")
    km = kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]
    assert km["KeyManager"] == "AWS"
    blob = base64.b64decode(ssm.get_parameter(Name="/default/secret")["Parameter"]["Value"])
    arn = ssm.get_parameter(Name="/default/secret")["Parameter"]["ARN"]
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"PARAMETER_ARN": arn})
    assert code(e) == "AccessDeniedException"
    # AWS: the managed key lets every principal of the account decrypt through SSM
    user = ferry.user_client("ssm", "dev", "ssmonly", {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"}]})
    assert user.get_parameter(Name="/default/secret", WithDecryption=True)["Parameter"]["Value"] == "pa55"
    # and nobody in another account
    tools = ferry.client("ssm", "tools")
    with pytest.raises(ClientError) as e:
        tools.get_parameter(Name=arn, WithDecryption=True)
    assert code(e) == "AccessDeniedException"
