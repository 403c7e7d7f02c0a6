"""Lambda through boto3 and Debian's awscli (rest-json): functions from zip packages (inline
and from S3), configuration, tags, the State/LastUpdateStatus waiters poll for, RevisionId
preconditions, versions and weighted aliases, resource policies (cross-account Invoke needs
the function's policy), concurrency and account settings, and Invoke's checks (DryRun,
payload limits, unknown qualifiers). Results of functions that run are in
test_lambda_invoke.py: they need the functions engine."""
import base64
import contextlib
import hashlib
import io
import json
import urllib.error
import urllib.request
import zipfile

import pytest
from botocore.exceptions import ClientError
from ferrytest import stored_blobs, zipped

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
UNZIP = "Could not unzip uploaded file. Please check your file, then try to upload again."


def code(exc):
    return exc.value.response["Error"]["Code"]


def message(exc):
    return exc.value.response["Error"]["Message"]


def acct(ferry, profile):
    return ferry.client("sts", profile).get_caller_identity()["Account"]


PY = zipped({"index.py": "def handler(event, context):\n    return event\n"})


@pytest.fixture(scope="module")
def lam(ferry):
    return ferry.client("lambda", "dev")


@pytest.fixture(scope="module")
def role(ferry):
    iam = ferry.client("iam", "dev")
    return iam.create_role(RoleName="fn-exec", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]


@contextlib.contextmanager
def own_ferry(env):
    """A server of its own started with env (test seams), its dev Lambda client and a role."""
    from ferrytest import Ferry
    f = Ferry().start(env=env)
    try:
        f.init()
        role = f.client("iam", "dev").create_role(
            RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        yield f, f.client("lambda", "dev"), role
    finally:
        f.close()


def create(lam, role, name, **kw):
    args = dict(FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler",
                Code={"ZipFile": PY})
    args.update(kw)
    return lam.create_function(**args)


def test_create_get_list_delete(ferry, lam, role):
    dev = acct(ferry, "dev")
    r = create(lam, role, "hello", Description="says hello", Timeout=10, MemorySize=256,
               Environment={"Variables": {"STAGE": "dev"}}, Tags={"team": "a"})
    arn = f"arn:aws:lambda:us-east-1:{dev}:function:hello"
    assert r["FunctionArn"] == arn and r["FunctionName"] == "hello"
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert r["State"] == "Pending" and r["Version"] == "$LATEST"
    assert r["CodeSha256"] == base64.b64encode(hashlib.sha256(PY).digest()).decode()
    assert r["CodeSize"] == len(PY)
    assert r["Timeout"] == 10 and r["MemorySize"] == 256 and r["Architectures"] == ["x86_64"]
    assert r["Environment"] == {"Variables": {"STAGE": "dev"}}
    assert r["PackageType"] == "Zip" and r["RevisionId"]
    lam.get_waiter("function_active_v2").wait(FunctionName="hello",
                                               WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    g = lam.get_function(FunctionName="hello")
    assert g["Configuration"]["State"] == "Active"
    assert g["Configuration"]["LastUpdateStatus"] == "Successful"
    assert g["Code"]["RepositoryType"] == "S3"
    # Location downloads the package (for ten minutes), as AWS's presigned URL does
    loc = g["Code"]["Location"]
    with urllib.request.urlopen(loc, timeout=10) as resp:
        assert resp.read() == PY
    with pytest.raises(urllib.error.HTTPError) as bad:
        urllib.request.urlopen(loc[:-1] + ("0" if loc[-1] != "0" else "1"), timeout=10)
    assert bad.value.code == 403
    assert g["Tags"] == {"team": "a"}
    for form in ("hello", arn, f"{dev}:function:hello", f"{arn}:$LATEST"):
        assert lam.get_function_configuration(FunctionName=form)["FunctionArn"] == arn
    create(lam, role, "other", Runtime="nodejs20.x")
    names = [f["FunctionName"] for f in lam.get_paginator("list_functions").paginate(
        PaginationConfig={"PageSize": 1}).build_full_result()["Functions"]]
    assert sorted(names) == ["hello", "other"]
    with pytest.raises(ClientError) as e:
        create(lam, role, "hello")
    assert code(e) == "ResourceConflictException" and message(e) == "Function already exist: hello"
    lam.delete_function(FunctionName="other")
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName="other")
    assert code(e) == "ResourceNotFoundException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert message(e) == f"Function not found: arn:aws:lambda:us-east-1:{dev}:function:other"


def test_bad_packages_roles_and_config(ferry, lam, role):
    with pytest.raises(ClientError) as e:
        create(lam, role, "notzip", Code={"ZipFile": b"this is not a zip"})
    assert code(e) == "InvalidParameterValueException" and message(e) == UNZIP
    with pytest.raises(ClientError) as e:
        create(lam, role, "slip", Code={"ZipFile": zipped({"../../evil.py": "x"})})
    assert code(e) == "InvalidParameterValueException" and message(e) == UNZIP
    iam = ferry.client("iam", "dev")
    other = iam.create_role(RoleName="not-for-lambda", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
            "Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    for bad in (other, role.replace("fn-exec", "no-such-role")):
        with pytest.raises(ClientError) as e:
            create(lam, role, "badrole", Role=bad)
        assert code(e) == "InvalidParameterValueException"
        assert message(e) == "The role defined for the function cannot be assumed by Lambda."
    with pytest.raises(ClientError) as e:
        create(lam, role, "oldrt", Runtime="python2.7")
    assert code(e) == "InvalidParameterValueException"
    with pytest.raises(ClientError) as e:
        create(lam, role, "reserved", Environment={"Variables": {"AWS_REGION": "x"}})
    assert code(e) == "InvalidParameterValueException" and "AWS_REGION" in message(e)
    with pytest.raises(ClientError) as e:
        create(lam, role, "bigenv", Environment={"Variables": {"KEY": "v" * 5000}})
    assert code(e) == "InvalidParameterValueException" and "4KB" in message(e), message(e)
    with pytest.raises(ClientError) as e:
        lam.create_function(FunctionName="nort", Role=role, Code={"ZipFile": PY})
    assert code(e) == "InvalidParameterValueException"
    with pytest.raises(ClientError) as e:
        lam.list_functions()["Functions"] and lam.get_function(FunctionName="notzip")
    assert code(e) == "ResourceNotFoundException"


def test_code_from_s3_and_updates(ferry, lam, role):
    s3 = ferry.client("s3", "dev")
    s3.create_bucket(Bucket="dev-code")
    pkg = zipped({"index.py": "def handler(e, c):\n    return 2\n", "lib/x.py": "X = 1\n"})
    s3.put_object(Bucket="dev-code", Key="pkgs/v2.zip", Body=pkg)
    r = create(lam, role, "upd")
    rev = r["RevisionId"]
    u = lam.update_function_code(FunctionName="upd", S3Bucket="dev-code", S3Key="pkgs/v2.zip")
    assert u["CodeSha256"] == base64.b64encode(hashlib.sha256(pkg).digest()).decode()
    assert u["LastUpdateStatus"] == "InProgress" and u["RevisionId"] != rev
    lam.get_waiter("function_updated_v2").wait(FunctionName="upd",
                                                WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    with pytest.raises(ClientError) as e:
        lam.update_function_code(FunctionName="upd", S3Bucket="dev-code", S3Key="none.zip")
    assert code(e) == "InvalidParameterValueException"
    with pytest.raises(ClientError) as e:
        lam.update_function_configuration(FunctionName="upd", Timeout=5, RevisionId=rev)
    assert code(e) == "PreconditionFailedException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    c = lam.update_function_configuration(FunctionName="upd", Timeout=5, Handler="x.y",
                                           RevisionId=u["RevisionId"])
    assert c["Timeout"] == 5 and c["Handler"] == "x.y" and c["CodeSha256"] == u["CodeSha256"]
    # another account cannot read the bucket: the caller's rights are what count
    with pytest.raises(ClientError) as e:
        ferry.client("lambda", "qa").create_function(
            FunctionName="steal", Runtime="python3.12", Role=role.replace(acct(ferry, "dev"), acct(ferry, "qa")),
            Handler="index.handler", Code={"S3Bucket": "dev-code", "S3Key": "pkgs/v2.zip"})
    assert code(e) == "InvalidParameterValueException"


def test_code_and_layers_unzipped_limit(ferry, lam, role):
    """AWS: code and layers unzipped together within 262,144,000 bytes; each alone too."""
    def zeros(name, n):
        b = io.BytesIO()
        chunk = b"\0" * (1 << 20)
        with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            with z.open(name, "w", force_zip64=True) as w:
                for off in range(0, n, len(chunk)):
                    w.write(chunk[:n - off])
        return b.getvalue()
    big = lam.publish_layer_version(LayerName="big", Content={"ZipFile": zeros("python/big", 140_000_000)})
    with pytest.raises(ClientError) as e:
        create(lam, role, "toobig", Layers=[big["LayerVersionArn"]],
               Code={"ZipFile": zeros("index.py", 130_000_000)})
    assert code(e) == "InvalidParameterValueException"
    assert message(e) == ("Function code combined with layers exceeds the maximum allowed size of "
                          "262144000 bytes. The actual size is 270000000 bytes.")
    with pytest.raises(ClientError) as e:
        create(lam, role, "toobig", Code={"ZipFile": zeros("index.py", 262_144_000)})
    assert message(e) == "Unzipped size must be smaller than 262144000 bytes"
    create(lam, role, "fits", Code={"ZipFile": zeros("index.py", 130_000_000)})
    with pytest.raises(ClientError) as e:
        lam.update_function_configuration(FunctionName="fits", Layers=[big["LayerVersionArn"]],
                                          Timeout=4)
    assert code(e) == "InvalidParameterValueException"
    lam.delete_function(FunctionName="fits")
    lam.delete_layer_version(LayerName="big", VersionNumber=1)


def test_tags(ferry, lam, role):
    arn = create(lam, role, "tagged")["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"a": "1", "b": "2"})
    lam.untag_resource(Resource=arn, TagKeys=["a"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"b": "2"}
    with pytest.raises(ClientError) as e:
        lam.list_tags(Resource=arn.replace("tagged", "nothere"))
    assert code(e) == "ResourceNotFoundException"


def test_versions_and_aliases(ferry, lam, role):
    create(lam, role, "ver")
    v1 = lam.publish_version(FunctionName="ver", Description="first")
    assert v1["Version"] == "1" and v1["FunctionArn"].endswith(":ver:1")
    assert lam.publish_version(FunctionName="ver")["Version"] == "1"  # nothing changed
    lam.update_function_configuration(FunctionName="ver", Timeout=7)
    with pytest.raises(ClientError) as e:
        lam.publish_version(FunctionName="ver", CodeSha256="bad")
    assert code(e) == "InvalidParameterValueException"
    v2 = lam.publish_version(FunctionName="ver")
    assert v2["Version"] == "2" and v2["Timeout"] == 7
    assert lam.get_function_configuration(FunctionName="ver", Qualifier="1")["Timeout"] == 3
    vs = lam.list_versions_by_function(FunctionName="ver")["Versions"]
    assert [v["Version"] for v in vs] == ["$LATEST", "1", "2"]
    a = lam.create_alias(FunctionName="ver", Name="live", FunctionVersion="1",
                         RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
    assert a["AliasArn"].endswith(":ver:live") and a["FunctionVersion"] == "1"
    assert lam.get_function_configuration(FunctionName="ver:live")["Version"] == "1"
    with pytest.raises(ClientError) as e:
        lam.create_alias(FunctionName="ver", Name="live", FunctionVersion="1")
    assert code(e) == "ResourceConflictException"
    with pytest.raises(ClientError) as e:
        lam.create_alias(FunctionName="ver", Name="bad", FunctionVersion="9")
    assert code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        lam.update_alias(FunctionName="ver", Name="live", RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}})
    assert code(e) == "InvalidParameterValueException"
    u = lam.update_alias(FunctionName="ver", Name="live", FunctionVersion="2", RoutingConfig={})
    assert u["FunctionVersion"] == "2"
    with pytest.raises(ClientError) as e:
        lam.update_alias(FunctionName="ver", Name="live", Description="x", RevisionId=a["RevisionId"])
    assert code(e) == "PreconditionFailedException"
    assert [x["Name"] for x in lam.list_aliases(FunctionName="ver")["Aliases"]] == ["live"]
    with pytest.raises(ClientError) as e:
        lam.delete_function(FunctionName="ver", Qualifier="2")
    assert code(e) == "ResourceConflictException"
    lam.delete_function(FunctionName="ver", Qualifier="1")
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName="ver:1")
    assert code(e) == "ResourceNotFoundException"
    lam.delete_alias(FunctionName="ver", Name="live")
    with pytest.raises(ClientError) as e:
        lam.get_alias(FunctionName="ver", Name="live")
    assert code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName="ver", Qualifier="live")
    assert code(e) == "ResourceNotFoundException"


def test_policy_and_cross_account_invoke(ferry, lam, role):
    dev, qa = acct(ferry, "dev"), acct(ferry, "qa")
    arn = create(lam, role, "shared")["FunctionArn"]
    qa_lam = ferry.client("lambda", "qa")
    with pytest.raises(ClientError) as e:
        qa_lam.invoke(FunctionName=arn, InvocationType="DryRun")
    assert code(e) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        lam.get_policy(FunctionName="shared")
    assert code(e) == "ResourceNotFoundException"
    s = lam.add_permission(FunctionName="shared", StatementId="qa", Action="lambda:InvokeFunction",
                           Principal=qa)
    st = json.loads(s["Statement"])
    assert st == {"Sid": "qa", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{qa}:root"},
                  "Action": "lambda:InvokeFunction", "Resource": arn}
    lam.add_permission(FunctionName="shared", StatementId="sns", Action="lambda:InvokeFunction",
                       Principal="sns.amazonaws.com", SourceArn=f"arn:aws:sns:us-east-1:{dev}:t",
                       SourceAccount=dev)
    with pytest.raises(ClientError) as e:
        lam.add_permission(FunctionName="shared", StatementId="qa", Action="lambda:InvokeFunction",
                           Principal=qa)
    assert code(e) == "ResourceConflictException"
    for bad in ("nobody", "12345", "Sns.AmazonAWS.com"):
        with pytest.raises(ClientError) as e:
            lam.add_permission(FunctionName="shared", StatementId="bad", Action="lambda:InvokeFunction",
                               Principal=bad)
        assert code(e) == "InvalidParameterValueException"
    pol = json.loads(lam.get_policy(FunctionName="shared")["Policy"])
    assert pol["Id"] == "default" and [x["Sid"] for x in pol["Statement"]] == ["qa", "sns"]
    assert pol["Statement"][1]["Condition"] == {
        "StringEquals": {"AWS:SourceAccount": dev},
        "ArnLike": {"AWS:SourceArn": f"arn:aws:sns:us-east-1:{dev}:t"}}
    r = qa_lam.invoke(FunctionName=arn, InvocationType="DryRun")
    assert r["StatusCode"] == 204
    lam.remove_permission(FunctionName="shared", StatementId="qa")
    with pytest.raises(ClientError) as e:
        lam.remove_permission(FunctionName="shared", StatementId="qa")
    assert code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        qa_lam.invoke(FunctionName=arn, InvocationType="DryRun")
    assert code(e) == "AccessDeniedException"


def test_invoke_checks(ferry, lam, role):
    create(lam, role, "inv")
    assert lam.invoke(FunctionName="inv", InvocationType="DryRun")["StatusCode"] == 204
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName="inv", Payload=b"x" * (6 * 1024 * 1024 + 1))
    assert code(e) == "RequestTooLargeException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName="inv", InvocationType="Event", Payload=b"1" * (1024 * 1024 + 1))
    assert code(e) == "RequestTooLargeException"
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName="inv", Payload=b"{not json")
    assert code(e) == "InvalidRequestContentException"
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName="inv", Qualifier="7")
    assert code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName="nothere")
    assert code(e) == "ResourceNotFoundException"
    lam.put_function_concurrency(FunctionName="inv", ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName="inv")
    assert code(e) == "TooManyRequestsException"
    lam.delete_function_concurrency(FunctionName="inv")


def test_concurrency_and_account_settings(ferry, lam, role):
    create(lam, role, "conc")
    assert lam.get_function_concurrency(FunctionName="conc").get("ReservedConcurrentExecutions") is None
    lam.put_function_concurrency(FunctionName="conc", ReservedConcurrentExecutions=50)
    assert lam.get_function_concurrency(FunctionName="conc")["ReservedConcurrentExecutions"] == 50
    assert lam.get_function(FunctionName="conc")["Concurrency"] == {"ReservedConcurrentExecutions": 50}
    with pytest.raises(ClientError) as e:
        lam.put_function_concurrency(FunctionName="conc", ReservedConcurrentExecutions=901)
    assert code(e) == "InvalidParameterValueException" and "[100]" in message(e)
    s = lam.get_account_settings()
    assert s["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert s["AccountLimit"]["UnreservedConcurrentExecutions"] == 950
    assert s["AccountLimit"]["CodeSizeUnzipped"] == 262144000
    assert s["AccountUsage"]["FunctionCount"] >= 1
    lam.delete_function_concurrency(FunctionName="conc")
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 1000


def test_cli(ferry, role, tmp_path):
    p = tmp_path / "fn.zip"
    p.write_bytes(PY)
    r = ferry.aws("lambda", "create-function", "--function-name", "cli", "--runtime", "python3.12",
                  "--role", role, "--handler", "index.handler", "--zip-file", f"fileb://{p}",
                  profile="dev")
    assert r.json["FunctionName"] == "cli"
    r = ferry.aws("lambda", "list-functions", profile="dev")
    assert "cli" in [f["FunctionName"] for f in r.json["Functions"]]
    r = ferry.aws("lambda", "get-function", "--function-name", "nothere", profile="dev", check=False)
    assert r.returncode != 0 and "ResourceNotFoundException" in r.stderr


def test_pending_and_in_progress_states():
    """With a settle time (a test seam; ferry has nothing to wait for), a new function is
    Pending and an update InProgress until it passes: changes meanwhile are refused, and the
    SDK's waiters see the states settle."""
    with own_ferry({"FERRY_LAMBDA_SETTLE_SECONDS": "2"}) as (_, lam, role):
        create(lam, role, "slow")
        assert lam.get_function_configuration(FunctionName="slow")["State"] == "Pending"
        with pytest.raises(ClientError) as e:
            lam.update_function_configuration(FunctionName="slow", Timeout=9)
        assert code(e) == "ResourceConflictException"
        assert "An update is in progress" in message(e)
        lam.get_waiter("function_active_v2").wait(FunctionName="slow",
                                                   WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        u = lam.update_function_configuration(FunctionName="slow", Timeout=9)
        assert u["LastUpdateStatus"] == "InProgress"
        with pytest.raises(ClientError) as e:
            lam.update_function_code(FunctionName="slow", ZipFile=PY)
        assert code(e) == "ResourceConflictException"
        lam.get_waiter("function_updated_v2").wait(FunctionName="slow",
                                                    WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        assert lam.get_function_configuration(FunctionName="slow")["LastUpdateStatus"] == "Successful"


def test_layers(ferry, lam, role):
    dev, qa = acct(ferry, "dev"), acct(ferry, "qa")
    pkg = zipped({"python/shared.py": "X = 1\n"})
    v1 = lam.publish_layer_version(LayerName="shared", Content={"ZipFile": pkg},
                                   CompatibleRuntimes=["python3.12"], LicenseInfo="MIT",
                                   CompatibleArchitectures=["x86_64"], Description="one")
    arn = f"arn:aws:lambda:us-east-1:{dev}:layer:shared"
    assert v1["Version"] == 1 and v1["LayerArn"] == arn and v1["LayerVersionArn"] == arn + ":1"
    assert v1["Content"]["CodeSize"] == len(pkg)
    assert v1["Content"]["CodeSha256"] == base64.b64encode(hashlib.sha256(pkg).digest()).decode()
    assert v1["ResponseMetadata"]["HTTPStatusCode"] == 201
    v2 = lam.publish_layer_version(LayerName="shared", Content={"ZipFile": pkg},
                                   CompatibleRuntimes=["nodejs20.x"])
    assert v2["Version"] == 2
    assert lam.get_layer_version(LayerName="shared", VersionNumber=1)["LicenseInfo"] == "MIT"
    assert lam.get_layer_version_by_arn(Arn=arn + ":2")["Version"] == 2
    # Content.Location downloads the archive, as AWS's presigned URL does
    for got in (v2, lam.get_layer_version(LayerName="shared", VersionNumber=1),
                lam.get_layer_version_by_arn(Arn=arn + ":2")):
        with urllib.request.urlopen(got["Content"]["Location"], timeout=10) as resp:
            assert resp.read() == pkg
    vs = lam.list_layer_versions(LayerName="shared")["LayerVersions"]
    assert [v["Version"] for v in vs] == [2, 1]
    vs = lam.list_layer_versions(LayerName="shared", CompatibleRuntime="python3.12")["LayerVersions"]
    assert [v["Version"] for v in vs] == [1]
    ls = lam.list_layers()["Layers"]
    assert [(x["LayerName"], x["LatestMatchingVersion"]["Version"]) for x in ls] == [("shared", 2)]
    with pytest.raises(ClientError) as e:
        lam.publish_layer_version(LayerName="bad", Content={"ZipFile": b"nope"})
    assert code(e) == "InvalidParameterValueException" and message(e) == UNZIP
    # a function naming the layer; another account needs the version's permission
    f = create(lam, role, "withlayer", Layers=[arn + ":1"])
    assert f["Layers"] == [{"Arn": arn + ":1", "CodeSize": len(pkg)}]
    with pytest.raises(ClientError) as e:
        create(lam, role, "nolayer", Layers=[arn + ":9"])
    assert code(e) == "InvalidParameterValueException"
    qa_role = ferry.client("iam", "qa").create_role(
        RoleName="fn-exec", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    qa_lam = ferry.client("lambda", "qa")
    with pytest.raises(ClientError) as e:
        create(qa_lam, qa_role, "borrower", Layers=[arn + ":1"])
    assert code(e) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        qa_lam.get_layer_version_by_arn(Arn=arn + ":1")
    assert code(e) == "AccessDeniedException"
    p = lam.add_layer_version_permission(LayerName="shared", VersionNumber=1, StatementId="qa",
                                         Action="lambda:GetLayerVersion", Principal=qa)
    assert json.loads(p["Statement"])["Principal"] == {"AWS": f"arn:aws:iam::{qa}:root"}
    assert create(qa_lam, qa_role, "borrower", Layers=[arn + ":1"])["Layers"][0]["Arn"] == arn + ":1"
    with pytest.raises(ClientError) as e:
        lam.add_layer_version_permission(LayerName="shared", VersionNumber=1, StatementId="qa",
                                         Action="lambda:GetLayerVersion", Principal=qa)
    assert code(e) == "ResourceConflictException"
    org = lam.add_layer_version_permission(LayerName="shared", VersionNumber=2, StatementId="org",
                                           Action="lambda:GetLayerVersion", Principal="*",
                                           OrganizationId="o-abcdefghij")
    assert json.loads(org["Statement"])["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}}
    pol = json.loads(lam.get_layer_version_policy(LayerName="shared", VersionNumber=1)["Policy"])
    assert [s["Sid"] for s in pol["Statement"]] == ["qa"]
    lam.remove_layer_version_permission(LayerName="shared", VersionNumber=1, StatementId="qa")
    with pytest.raises(ClientError) as e:
        qa_lam.get_layer_version_by_arn(Arn=arn + ":1")
    assert code(e) == "AccessDeniedException"
    lam.delete_layer_version(LayerName="shared", VersionNumber=1)
    lam.delete_layer_version(LayerName="shared", VersionNumber=1)
    with pytest.raises(ClientError) as e:
        lam.get_layer_version(LayerName="shared", VersionNumber=1)
    assert code(e) == "ResourceNotFoundException"
    # the function keeps its layer
    assert lam.get_function(FunctionName="withlayer")["Configuration"]["Layers"][0]["Arn"] == arn + ":1"


def test_code_from_an_s3_object_version(ferry, lam, role):
    s3 = ferry.client("s3", "dev")
    s3.create_bucket(Bucket="dev-versioned-code")
    s3.put_bucket_versioning(Bucket="dev-versioned-code", VersioningConfiguration={"Status": "Enabled"})
    first = zipped({"index.py": "V = 1\n"})
    v1 = s3.put_object(Bucket="dev-versioned-code", Key="fn.zip", Body=first)["VersionId"]
    s3.put_object(Bucket="dev-versioned-code", Key="fn.zip", Body=zipped({"index.py": "V = 2\n"}))
    r = create(lam, role, "s3ver", Code={"S3Bucket": "dev-versioned-code", "S3Key": "fn.zip",
                                         "S3ObjectVersion": v1})
    assert r["CodeSha256"] == base64.b64encode(hashlib.sha256(first).digest()).decode()


def test_blob_sweep_keeps_named_packages():
    """Packages a function, a version or a layer names stay through the blob sweep; those
    nothing names any more (replaced code, deleted functions, a DryRun's) go (a short sweep
    period and grace here)."""
    import time

    def blobs(f):
        return list(stored_blobs(f))

    env = {"FERRY_BLOB_SWEEP_SECONDS": "0.5", "FERRY_BLOB_SWEEP_GRACE": "2"}
    with own_ferry(env) as (f, lam, role):
        create(lam, role, "kept")
        lam.publish_version(FunctionName="kept")
        lam.update_function_code(FunctionName="kept", ZipFile=zipped({"index.py": "V = 2\n"}))
        lam.update_function_code(FunctionName="kept", ZipFile=zipped({"index.py": "V = 3\n"}))
        lam.update_function_code(FunctionName="kept", ZipFile=PY, DryRun=True)
        create(lam, role, "gone")
        lam.delete_function(FunctionName="gone")
        lam.publish_layer_version(LayerName="l", Content={"ZipFile": PY})
        deadline = time.time() + 20
        while len(blobs(f)) > 3 and time.time() < deadline:
            time.sleep(0.2)
        assert len(blobs(f)) == 3  # version 1's, $LATEST's (V = 3) and the layer's
        for q in ("1", "$LATEST"):
            loc = lam.get_function(FunctionName="kept", Qualifier=q)["Code"]["Location"]
            with urllib.request.urlopen(loc, timeout=10) as resp:
                assert zipfile.ZipFile(io.BytesIO(resp.read())).namelist() == ["index.py"]


def test_code_storage_limit():
    """Past the region's code storage (75 GB; FERRY_LAMBDA_CODE_STORAGE is a test seam),
    a new package is refused with CodeStorageExceededException, functions and layers alike."""
    with own_ferry({"FERRY_LAMBDA_CODE_STORAGE": str(len(PY) * 2)}) as (_, lam, role):
        create(lam, role, "one")
        lam.publish_version(FunctionName="one")
        for call in (lambda: create(lam, role, "two"),
                     lambda: lam.publish_layer_version(LayerName="l", Content={"ZipFile": PY})):
            with pytest.raises(ClientError) as e:
                call()
            assert code(e) == "CodeStorageExceededException"
        lam.delete_function(FunctionName="one")
        create(lam, role, "two")
