"""KMS through boto3 and Debian's awscli (json 1.1): symmetric keys, aliases in every KeyId
form, Encrypt/Decrypt/ReEncrypt/GenerateDataKey with encryption contexts, key states, the
errors AWS answers, and a key shared across accounts only by its key policy."""
import base64
import json
import time
import urllib.error

import pytest
from botocore.exceptions import ClientError
from ferrytest import acct, code


def raw(ferry, profile, op, body):
    """A signed json 1.1 call, for operations newer than Debian's botocore knows."""
    import urllib.request

    import botocore.auth
    import botocore.awsrequest
    s = ferry.session(profile)
    req = botocore.awsrequest.AWSRequest(
        method="POST", url=ferry.endpoint + "/", data=json.dumps(body).encode(),
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"TrentService.{op}"})
    botocore.auth.SigV4Auth(s.get_credentials().get_frozen_credentials(), "kms",
                            s.region_name or "us-east-1").add_auth(req)
    with urllib.request.urlopen(urllib.request.Request(req.url, data=req.body, headers=dict(req.headers),
                                                       method="POST"), timeout=30) as r:
        return json.loads(r.read())


@pytest.fixture(scope="module")
def kms(ferry):
    return ferry.client("kms", "dev")


def test_key_lifecycle_and_metadata(ferry, kms):
    dev = acct(ferry, "dev")
    md = kms.create_key(Description="app key")["KeyMetadata"]
    kid = md["KeyId"]
    assert md["Arn"] == f"arn:aws:kms:{kms.meta.region_name}:{dev}:key/{kid}"
    assert len(kid) == 36 and kid.count("-") == 4
    assert md["KeyState"] == "Enabled" and md["Enabled"] is True
    assert md["KeySpec"] == "SYMMETRIC_DEFAULT" and md["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert md["Description"] == "app key" and md["AWSAccountId"] == dev
    assert kms.describe_key(KeyId=md["Arn"])["KeyMetadata"]["KeyId"] == kid
    ids = [k["KeyId"] for k in kms.list_keys()["Keys"]]
    assert kid in ids
    page = kms.list_keys(Limit=1)
    if len(ids) > 1:
        assert page["Truncated"] is True and page["NextMarker"]
    with pytest.raises(ClientError) as e:
        kms.describe_key(KeyId="00000000-0000-4000-8000-000000000000")
    assert code(e) == "NotFoundException"
    with pytest.raises(ClientError) as e:
        kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="ENCRYPT_DECRYPT")
    assert code(e) == "ValidationException"


def test_aliases(kms):
    k1 = kms.create_key()["KeyMetadata"]
    k2 = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/app", TargetKeyId=k1["KeyId"])
    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName="alias/app", TargetKeyId=k2["KeyId"])
    assert code(e) == "AlreadyExistsException"
    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName="alias/aws/s3", TargetKeyId=k2["KeyId"])
    assert code(e) == "NotAuthorizedException"
    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName="app", TargetKeyId=k2["KeyId"])
    assert code(e) == "ValidationException"
    alias_arn = k1["Arn"].split(":key/")[0] + ":alias/app"
    for form in (k1["KeyId"], k1["Arn"], "alias/app", alias_arn):
        assert kms.describe_key(KeyId=form)["KeyMetadata"]["KeyId"] == k1["KeyId"]
    listed = {a["AliasName"]: a for a in kms.list_aliases()["Aliases"]}
    assert listed["alias/app"]["TargetKeyId"] == k1["KeyId"]
    assert listed["alias/app"]["AliasArn"] == alias_arn
    kms.update_alias(AliasName="alias/app", TargetKeyId=k2["KeyId"])
    assert kms.describe_key(KeyId="alias/app")["KeyMetadata"]["KeyId"] == k2["KeyId"]
    assert [a["AliasName"] for a in kms.list_aliases(KeyId=k2["KeyId"])["Aliases"]] == ["alias/app"]
    kms.delete_alias(AliasName="alias/app")
    with pytest.raises(ClientError) as e:
        kms.describe_key(KeyId="alias/app")
    assert code(e) == "NotFoundException"


def test_encrypt_decrypt_with_context(kms):
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/crypt", TargetKeyId=kid)
    ctx = {"purpose": "test", "app": "ferry"}
    r = kms.encrypt(KeyId="alias/crypt", Plaintext=b"secret bytes\x00\xff", EncryptionContext=ctx)
    blob = r["CiphertextBlob"]
    assert r["KeyId"].endswith(kid) and b"secret" not in blob
    # no KeyId needed; the context in any order is the same context
    d = kms.decrypt(CiphertextBlob=blob, EncryptionContext=dict(reversed(list(ctx.items()))))
    assert d["Plaintext"] == b"secret bytes\x00\xff" and d["KeyId"].endswith(kid)
    for bad in ({}, {"purpose": "test"}, {"purpose": "other", "app": "ferry"}):
        with pytest.raises(ClientError) as e:
            kms.decrypt(CiphertextBlob=blob, EncryptionContext=bad)
        assert code(e) == "InvalidCiphertextException"
    tampered = bytearray(blob)
    tampered[-1] ^= 1
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=bytes(tampered), EncryptionContext=ctx)
    assert code(e) == "InvalidCiphertextException"
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=b"not a blob at all", EncryptionContext=ctx)
    assert code(e) == "InvalidCiphertextException"
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx, KeyId=other)
    assert code(e) == "IncorrectKeyException"
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx, KeyId="alias/crypt")["Plaintext"]
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=kid, Plaintext=b"x" * 4097)
    assert code(e) == "ValidationException"
    # ReEncrypt moves the ciphertext to another key and context without showing the plaintext
    re = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext=ctx, DestinationKeyId=other,
                        DestinationEncryptionContext={"k": "v"})
    assert re["SourceKeyId"].endswith(kid) and re["KeyId"].endswith(other)
    assert kms.decrypt(CiphertextBlob=re["CiphertextBlob"],
                       EncryptionContext={"k": "v"})["Plaintext"] == b"secret bytes\x00\xff"


def test_data_keys_and_random(kms):
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    dk = kms.generate_data_key(KeyId=kid, KeySpec="AES_256", EncryptionContext={"a": "b"})
    assert len(dk["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"],
                       EncryptionContext={"a": "b"})["Plaintext"] == dk["Plaintext"]
    assert len(kms.generate_data_key(KeyId=kid, KeySpec="AES_128")["Plaintext"]) == 16
    assert len(kms.generate_data_key(KeyId=kid, NumberOfBytes=64)["Plaintext"]) == 64
    wo = kms.generate_data_key_without_plaintext(KeyId=kid, KeySpec="AES_256")
    assert "Plaintext" not in wo
    assert len(kms.decrypt(CiphertextBlob=wo["CiphertextBlob"])["Plaintext"]) == 32
    with pytest.raises(ClientError) as e:
        kms.generate_data_key(KeyId=kid)
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        kms.generate_data_key(KeyId=kid, KeySpec="AES_256", NumberOfBytes=32)
    assert code(e) == "ValidationException"
    r1, r2 = (kms.generate_random(NumberOfBytes=32)["Plaintext"] for _ in range(2))
    assert len(r1) == 32 and r1 != r2


def test_states(kms):
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=kid, Plaintext=b"p")["CiphertextBlob"]
    kms.disable_key(KeyId=kid)
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "Disabled"
    for call in (lambda: kms.encrypt(KeyId=kid, Plaintext=b"p"),
                 lambda: kms.decrypt(CiphertextBlob=blob)):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == "DisabledException"
    kms.enable_key(KeyId=kid)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"p"
    with pytest.raises(ClientError) as e:
        kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=6)
    assert code(e) == "ValidationException"
    r = kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
    assert r["KeyState"] == "PendingDeletion" and r["PendingWindowInDays"] == 7
    md = kms.describe_key(KeyId=kid)["KeyMetadata"]
    assert md["KeyState"] == "PendingDeletion" and "DeletionDate" in md
    for call in (lambda: kms.encrypt(KeyId=kid, Plaintext=b"p"),
                 lambda: kms.decrypt(CiphertextBlob=blob),
                 lambda: kms.enable_key(KeyId=kid)):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == "KMSInvalidStateException"
    kms.cancel_key_deletion(KeyId=kid)
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "Disabled"
    kms.enable_key(KeyId=kid)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"p"


def test_cli_encrypt_decrypt_files(ferry, tmp_path):
    kid = ferry.aws("kms", "create-key", "--description", "cli", profile="dev").json["KeyMetadata"]["KeyId"]
    src = tmp_path / "plain.bin"
    src.write_bytes(b"from a file\n\x00\x01")
    r = ferry.aws("kms", "encrypt", "--key-id", kid, "--plaintext", f"fileb://{src}",
                  "--encryption-context", "stage=dev", profile="dev").json
    blob = tmp_path / "blob.bin"
    blob.write_bytes(base64.b64decode(r["CiphertextBlob"]))
    d = ferry.aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{blob}",
                  "--encryption-context", "stage=dev", profile="dev").json
    assert base64.b64decode(d["Plaintext"]) == b"from a file\n\x00\x01"
    r = ferry.aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{blob}", profile="dev", check=False)
    assert r.returncode != 0 and "(InvalidCiphertextException)" in r.stderr


def test_key_master_file_is_owner_only(ferry, kms):
    import os
    import stat
    kms.create_key()
    path = os.path.join(ferry.data, "kms-master.key")
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_size == 32
    if ferry.store_url:  # on PostgreSQL the store is not a file of the data directory
        return
    with open(os.path.join(ferry.data, "ferry.db"), "rb") as f:
        db = f.read()
    with open(path, "rb") as f:
        assert f.read() not in db


def test_tags_rotation_description(ferry, kms):
    kid = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "core"}])["KeyMetadata"]["KeyId"]
    kms.tag_resource(KeyId=kid, Tags=[{"TagKey": "env", "TagValue": "dev"},
                                      {"TagKey": "team", "TagValue": "platform"}])
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=kid)["Tags"]}
    assert tags == {"team": "platform", "env": "dev"}
    kms.untag_resource(KeyId=kid, TagKeys=["team"])
    assert kms.list_resource_tags(KeyId=kid)["Tags"] == [{"TagKey": "env", "TagValue": "dev"}]
    with pytest.raises(ClientError) as e:
        kms.tag_resource(KeyId=kid, Tags=[{"TagKey": "aws:x", "TagValue": "y"}])
    assert code(e) == "TagException"
    with pytest.raises(ClientError) as e:
        kms.create_key(Tags=[{"TagKey": "aws:cloudformation:x", "TagValue": "y"}])
    assert code(e) == "TagException"
    assert kms.get_key_rotation_status(KeyId=kid)["KeyRotationEnabled"] is False
    kms.enable_key_rotation(KeyId=kid)
    assert kms.get_key_rotation_status(KeyId=kid)["KeyRotationEnabled"] is True
    kms.disable_key_rotation(KeyId=kid)
    assert kms.get_key_rotation_status(KeyId=kid)["KeyRotationEnabled"] is False
    kms.update_key_description(KeyId=kid, Description="renamed")
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["Description"] == "renamed"
    # rotation: new material for new ciphertexts, the old ones still decrypt
    old = kms.encrypt(KeyId=kid, Plaintext=b"before")["CiphertextBlob"]
    assert raw(ferry, "dev", "RotateKeyOnDemand", {"KeyId": kid}) == {"KeyId": kid}
    new = kms.encrypt(KeyId=kid, Plaintext=b"after")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"before"
    assert kms.decrypt(CiphertextBlob=new)["Plaintext"] == b"after"


def test_key_policy_decides_in_own_account(kms):
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    assert kms.list_key_policies(KeyId=kid)["PolicyNames"] == ["default"]
    pol = json.loads(kms.get_key_policy(KeyId=kid, PolicyName="default")["Policy"])
    assert pol["Statement"][0]["Action"] == "kms:*"
    assert pol["Statement"][0]["Principal"]["AWS"].endswith(":root")
    with pytest.raises(ClientError) as e:
        kms.put_key_policy(KeyId=kid, PolicyName="default", Policy="{not json")
    assert code(e) == "MalformedPolicyDocumentException"
    # a key policy that allows only DescribeKey and PutKeyPolicy: the admin role's IAM policy
    # no longer suffices to encrypt
    root = pol["Statement"][0]["Principal"]["AWS"]
    narrow = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": root},
         "Action": ["kms:DescribeKey", "kms:PutKeyPolicy", "kms:GetKeyPolicy"], "Resource": "*"}]}
    kms.put_key_policy(KeyId=kid, PolicyName="default", Policy=json.dumps(narrow))
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=kid, Plaintext=b"x")
    assert code(e) == "AccessDeniedException"
    kms.put_key_policy(KeyId=kid, PolicyName="default", Policy=json.dumps(pol))
    assert kms.encrypt(KeyId=kid, Plaintext=b"x")["CiphertextBlob"]


def test_cross_account_needs_the_key_policy(ferry):
    tools_kms, dev_kms = ferry.client("kms", "tools"), ferry.client("kms", "dev")
    tools, dev = acct(ferry, "tools"), acct(ferry, "dev")
    md = tools_kms.create_key(Description="artifacts")["KeyMetadata"]
    blob = tools_kms.encrypt(KeyId=md["KeyId"], Plaintext=b"artifact",
                             EncryptionContext={"bucket": "a"})["CiphertextBlob"]
    # the default policy trusts only the tools account
    for call in (lambda: dev_kms.decrypt(CiphertextBlob=blob, EncryptionContext={"bucket": "a"}),
                 lambda: dev_kms.describe_key(KeyId=md["Arn"])):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == "AccessDeniedException"
    pol = json.loads(tools_kms.get_key_policy(KeyId=md["KeyId"], PolicyName="default")["Policy"])
    pol["Statement"].append({"Sid": "dev decrypts", "Effect": "Allow",
                             "Principal": {"AWS": f"arn:aws:iam::{dev}:root"},
                             "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"})
    tools_kms.put_key_policy(KeyId=md["KeyId"], PolicyName="default", Policy=json.dumps(pol))
    d = dev_kms.decrypt(CiphertextBlob=blob, EncryptionContext={"bucket": "a"})
    assert d["Plaintext"] == b"artifact" and d["KeyId"] == md["Arn"]
    assert dev_kms.describe_key(KeyId=md["Arn"])["KeyMetadata"]["AWSAccountId"] == tools
    # the use is in both accounts' trails, read-only as CloudTrail records KMS cryptography
    for profile in ("dev", "tools"):
        ct = ferry.client("cloudtrail", profile)
        deadline = time.time() + 30
        while True:
            evs = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName",
                                                      "AttributeValue": "Decrypt"}])["Events"]
            ok = [e for e in evs if json.loads(e["CloudTrailEvent"]).get("errorCode") is None]
            if ok or time.time() > deadline:
                break
            time.sleep(0.2)
        assert ok, profile
        assert json.loads(ok[0]["CloudTrailEvent"])["readOnly"] is True
        assert ok[0]["Resources"][0]["ResourceName"] == md["Arn"]
    # Decrypt only: encrypting with the key is still refused, and an alias name never
    # reaches across accounts
    with pytest.raises(ClientError) as e:
        dev_kms.encrypt(KeyId=md["Arn"], Plaintext=b"x")
    assert code(e) == "AccessDeniedException"
    # a dev identity without kms:Decrypt in its own policy is refused although the key allows
    iam = ferry.client("iam", "dev")
    iam.create_user(UserName="nokms")
    iam.put_user_policy(UserName="nokms", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:DescribeKey", "Resource": "*"}]}))
    k = iam.create_access_key(UserName="nokms")["AccessKey"]
    import boto3
    user_kms = boto3.client("kms", endpoint_url=ferry.endpoint, region_name=dev_kms.meta.region_name,
                            aws_access_key_id=k["AccessKeyId"], aws_secret_access_key=k["SecretAccessKey"])
    with pytest.raises(ClientError) as e:
        user_kms.decrypt(CiphertextBlob=blob, EncryptionContext={"bucket": "a"})
    assert code(e) == "AccessDeniedException"
    # removing the statement takes the access away again
    pol["Statement"].pop()
    tools_kms.put_key_policy(KeyId=md["KeyId"], PolicyName="default", Policy=json.dumps(pol))
    with pytest.raises(ClientError) as e:
        dev_kms.decrypt(CiphertextBlob=blob, EncryptionContext={"bucket": "a"})
    assert code(e) == "AccessDeniedException"


def test_hmac_keys(kms):
    md = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    assert md["KeySpec"] == "HMAC_256" and md["MacAlgorithms"] == ["HMAC_SHA_256"]
    assert "EncryptionAlgorithms" not in md
    kid = md["KeyId"]
    mac = kms.generate_mac(KeyId=kid, Message=b"msg", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert len(mac) == 32
    assert kms.verify_mac(KeyId=kid, Message=b"msg", MacAlgorithm="HMAC_SHA_256", Mac=mac)["MacValid"] is True
    with pytest.raises(ClientError) as e:
        kms.verify_mac(KeyId=kid, Message=b"msh", MacAlgorithm="HMAC_SHA_256", Mac=mac)
    assert code(e) == "KMSInvalidMacException"
    with pytest.raises(ClientError) as e:
        kms.generate_mac(KeyId=kid, Message=b"msg", MacAlgorithm="HMAC_SHA_512")
    assert code(e) == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=kid, Plaintext=b"x")
    assert code(e) == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as e:
        kms.enable_key_rotation(KeyId=kid)
    assert code(e) == "UnsupportedOperationException"
    with pytest.raises(ClientError) as e:
        kms.create_key(KeySpec="HMAC_384")
    assert code(e) == "ValidationException"
    k512 = kms.create_key(KeySpec="HMAC_512", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    assert len(kms.generate_mac(KeyId=k512, Message=b"m", MacAlgorithm="HMAC_SHA_512")["Mac"]) == 64
    sym = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as e:
        kms.generate_mac(KeyId=sym, Message=b"m", MacAlgorithm="HMAC_SHA_256")
    assert code(e) == "InvalidKeyUsageException"


def test_dry_run(ferry, kms):
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=kid, Plaintext=b"p")["CiphertextBlob"]
    for op, body in (("Encrypt", {"KeyId": kid, "Plaintext": "cA==", "DryRun": True}),
                     ("Decrypt", {"CiphertextBlob": base64.b64encode(blob).decode(), "DryRun": True}),
                     ("GenerateDataKey", {"KeyId": kid, "KeySpec": "AES_256", "DryRun": True})):
        with pytest.raises(urllib.error.HTTPError) as e:
            raw(ferry, "dev", op, body)
        assert e.value.code == 412
        assert json.loads(e.value.read())["__type"].endswith("DryRunOperationException")
    kms.disable_key(KeyId=kid)
    with pytest.raises(urllib.error.HTTPError) as e:
        raw(ferry, "dev", "Encrypt", {"KeyId": kid, "Plaintext": "cA==", "DryRun": True})
    assert json.loads(e.value.read())["__type"].endswith("DisabledException")


def test_aws_managed_key_is_not_made_by_a_client(kms):
    """alias/aws/<service> keys are made by their service's first use (SSM, Secrets Manager,
    S3 call in with kms:ViaService); a client naming one that does not exist yet gets
    NotFoundException, and may not make or move the alias."""
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId="alias/aws/lambda", Plaintext=b"x")
    assert code(e) == "NotFoundException"
    with pytest.raises(ClientError) as e:
        kms.generate_data_key(KeyId="alias/aws/lambda", KeySpec="AES_256")
    assert code(e) == "NotFoundException"
    assert "alias/aws/lambda" not in [a["AliasName"] for a in kms.list_aliases()["Aliases"]]


def test_grants_across_accounts(ferry):
    """A grant lets its grantee (here in another account) use the key without the key policy,
    within its encryption-context constraint and operations; Name makes CreateGrant
    idempotent; the retiring principal retires it by token, the key's owner revokes."""
    tools_kms, dev_kms = ferry.client("kms", "tools"), ferry.client("kms", "dev")
    dev_arn = ferry.client("sts", "dev").get_caller_identity()["Arn"]
    md = tools_kms.create_key(Description="granted")["KeyMetadata"]
    blob_x = tools_kms.encrypt(KeyId=md["KeyId"], Plaintext=b"x", EncryptionContext={"app": "x", "n": "1"})
    blob_y = tools_kms.encrypt(KeyId=md["KeyId"], Plaintext=b"y", EncryptionContext={"app": "y"})
    with pytest.raises(ClientError) as e:
        dev_kms.decrypt(CiphertextBlob=blob_x["CiphertextBlob"], EncryptionContext={"app": "x", "n": "1"})
    assert code(e) == "AccessDeniedException"
    args = dict(KeyId=md["Arn"], GranteePrincipal=dev_arn, RetiringPrincipal=dev_arn, Name="ci",
                Operations=["Decrypt", "DescribeKey"],
                Constraints={"EncryptionContextSubset": {"app": "x"}})
    g = tools_kms.create_grant(**args)
    assert len(g["GrantId"]) == 64 and g["GrantToken"]
    assert tools_kms.create_grant(**args)["GrantId"] == g["GrantId"]
    d = dev_kms.decrypt(CiphertextBlob=blob_x["CiphertextBlob"], EncryptionContext={"app": "x", "n": "1"},
                        GrantTokens=[g["GrantToken"]])
    assert d["Plaintext"] == b"x"
    assert dev_kms.describe_key(KeyId=md["Arn"])["KeyMetadata"]["KeyId"] == md["KeyId"]
    # outside the constraint, or an operation the grant does not list
    with pytest.raises(ClientError) as e:
        dev_kms.decrypt(CiphertextBlob=blob_y["CiphertextBlob"], EncryptionContext={"app": "y"})
    assert code(e) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        dev_kms.encrypt(KeyId=md["Arn"], Plaintext=b"z", EncryptionContext={"app": "x"})
    assert code(e) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        dev_kms.decrypt(CiphertextBlob=blob_x["CiphertextBlob"], EncryptionContext={"app": "x", "n": "1"},
                        GrantTokens=["not-a-token"])
    assert code(e) == "InvalidGrantTokenException"
    listed = tools_kms.list_grants(KeyId=md["KeyId"])["Grants"]
    assert [x["GrantId"] for x in listed] == [g["GrantId"]]
    assert listed[0]["GranteePrincipal"] == dev_arn and listed[0]["Name"] == "ci"
    assert listed[0]["Constraints"] == {"EncryptionContextSubset": {"app": "x"}}
    assert listed[0]["IssuingAccount"] == f"arn:aws:iam::{acct(ferry, 'tools')}:root"
    assert sorted(listed[0]["Operations"]) == ["Decrypt", "DescribeKey"]
    retirable = dev_kms.list_retirable_grants(RetiringPrincipal=dev_arn)["Grants"]
    assert g["GrantId"] in [x["GrantId"] for x in retirable]
    # Sign is not an operation of a symmetric key
    with pytest.raises(ClientError) as e:
        tools_kms.create_grant(KeyId=md["KeyId"], GranteePrincipal=dev_arn, Operations=["Sign"])
    assert code(e) == "ValidationException"
    # the retiring principal retires it; the grant's access is gone
    dev_kms.retire_grant(GrantToken=g["GrantToken"])
    with pytest.raises(ClientError) as e:
        dev_kms.decrypt(CiphertextBlob=blob_x["CiphertextBlob"], EncryptionContext={"app": "x", "n": "1"})
    assert code(e) == "AccessDeniedException"
    assert tools_kms.list_grants(KeyId=md["KeyId"])["Grants"] == []
    # an Equals constraint, revoked by the key's owner; the grantee cannot revoke
    g2 = tools_kms.create_grant(KeyId=md["KeyId"], GranteePrincipal=dev_arn, Operations=["Decrypt"],
                                Constraints={"EncryptionContextEquals": {"app": "y"}})
    assert dev_kms.decrypt(CiphertextBlob=blob_y["CiphertextBlob"],
                           EncryptionContext={"app": "y"})["Plaintext"] == b"y"
    with pytest.raises(ClientError) as e:
        dev_kms.decrypt(CiphertextBlob=blob_x["CiphertextBlob"], EncryptionContext={"app": "x", "n": "1"})
    assert code(e) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        dev_kms.revoke_grant(KeyId=md["Arn"], GrantId=g2["GrantId"])
    assert code(e) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        dev_kms.retire_grant(KeyId=md["Arn"], GrantId=g2["GrantId"])
    assert code(e) == "AccessDeniedException"
    tools_kms.revoke_grant(KeyId=md["KeyId"], GrantId=g2["GrantId"])
    with pytest.raises(ClientError) as e:
        tools_kms.revoke_grant(KeyId=md["KeyId"], GrantId=g2["GrantId"])
    assert code(e) == "NotFoundException"
    with pytest.raises(ClientError) as e:
        dev_kms.decrypt(CiphertextBlob=blob_y["CiphertextBlob"], EncryptionContext={"app": "y"})
    assert code(e) == "AccessDeniedException"


def test_grant_needs_no_identity_policy_but_yields_to_deny(ferry):
    """AWS: a grant allows its grantee as a policy would, with no IAM policy needed in the
    grantee's account; an explicit deny there still wins."""
    tools_kms = ferry.client("kms", "tools")
    iam = ferry.client("iam", "dev")
    iam.create_user(UserName="granted")
    user = iam.get_user(UserName="granted")["User"]
    k = iam.create_access_key(UserName="granted")["AccessKey"]
    import boto3
    user_kms = boto3.client("kms", endpoint_url=ferry.endpoint, region_name=tools_kms.meta.region_name,
                            aws_access_key_id=k["AccessKeyId"], aws_secret_access_key=k["SecretAccessKey"])
    kid = tools_kms.create_key()["KeyMetadata"]["KeyId"]
    blob = tools_kms.encrypt(KeyId=kid, Plaintext=b"g")["CiphertextBlob"]
    tools_kms.create_grant(KeyId=kid, GranteePrincipal=user["Arn"], Operations=["Decrypt"])
    assert user_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"g"
    iam.put_user_policy(UserName="granted", PolicyName="deny", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}]}))
    with pytest.raises(ClientError) as e:
        user_kms.decrypt(CiphertextBlob=blob)
    assert code(e) == "AccessDeniedException"


def test_cli_grants(ferry):
    kid = ferry.aws("kms", "create-key", profile="dev").json["KeyMetadata"]["KeyId"]
    dev_arn = ferry.client("sts", "dev").get_caller_identity()["Arn"]
    g = ferry.aws("kms", "create-grant", "--key-id", kid, "--grantee-principal", dev_arn,
                  "--operations", "Encrypt", "Decrypt", profile="dev").json
    grants = ferry.aws("kms", "list-grants", "--key-id", kid, profile="dev").json["Grants"]
    assert [x["GrantId"] for x in grants] == [g["GrantId"]]
    ferry.aws("kms", "revoke-grant", "--key-id", kid, "--grant-id", g["GrantId"], profile="dev")
    assert ferry.aws("kms", "list-grants", "--key-id", kid, profile="dev").json["Grants"] == []


@pytest.mark.parametrize("spec,algs", [
    ("RSA_2048", ["RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PSS_SHA_512"]),
    ("RSA_3072", ["RSASSA_PKCS1_V1_5_SHA_256"]),
    ("ECC_NIST_P256", ["ECDSA_SHA_256"]),
    ("ECC_NIST_P384", ["ECDSA_SHA_384"]),
    ("ECC_NIST_P521", ["ECDSA_SHA_512"]),
    ("ECC_SECG_P256K1", ["ECDSA_SHA_256"]),
])
def test_sign_verify(kms, spec, algs):
    """Signatures verify with the public key outside KMS too (cryptography), RAW and DIGEST
    alike; a bad signature is KMSInvalidSignatureException."""
    import hashlib

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
    md = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert md["KeySpec"] == spec and md["KeyUsage"] == "SIGN_VERIFY"
    assert set(algs) <= set(md["SigningAlgorithms"]) and "EncryptionAlgorithms" not in md
    pub = kms.get_public_key(KeyId=md["KeyId"])
    assert pub["KeyUsage"] == "SIGN_VERIFY" and pub["SigningAlgorithms"] == md["SigningAlgorithms"]
    key = serialization.load_der_public_key(pub["PublicKey"])
    for alg in algs:
        bits = alg[-3:]
        h = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}[bits]
        msg = b"release 1.2.3 " + alg.encode()
        sig = kms.sign(KeyId=md["Arn"], Message=msg, MessageType="RAW", SigningAlgorithm=alg)
        assert sig["SigningAlgorithm"] == alg and sig["KeyId"] == md["Arn"]
        digest = hashlib.new("sha" + bits, msg).digest()
        sig2 = kms.sign(KeyId=md["KeyId"], Message=digest, MessageType="DIGEST", SigningAlgorithm=alg)
        for s in (sig["Signature"], sig2["Signature"]):
            if alg.startswith("ECDSA"):
                key.verify(s, msg, ec.ECDSA(h))
            elif "PSS" in alg:
                key.verify(s, msg, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h)
            else:
                key.verify(s, msg, padding.PKCS1v15(), h)
        v = kms.verify(KeyId=md["KeyId"], Message=msg, MessageType="RAW", Signature=sig["Signature"],
                       SigningAlgorithm=alg)
        assert v["SignatureValid"] is True
        assert kms.verify(KeyId=md["KeyId"], Message=digest, MessageType="DIGEST",
                          Signature=sig["Signature"], SigningAlgorithm=alg)["SignatureValid"] is True
        with pytest.raises(ClientError) as e:
            kms.verify(KeyId=md["KeyId"], Message=msg + b"!", MessageType="RAW",
                       Signature=sig["Signature"], SigningAlgorithm=alg)
        assert code(e) == "KMSInvalidSignatureException"
        with pytest.raises(ClientError) as e:
            kms.sign(KeyId=md["KeyId"], Message=b"short", MessageType="DIGEST", SigningAlgorithm=alg)
        assert code(e) == "ValidationException"
    wrong = "RSASSA_PSS_SHA_256" if spec.startswith("ECC") else "ECDSA_SHA_256"
    with pytest.raises(ClientError) as e:
        kms.sign(KeyId=md["KeyId"], Message=b"m", SigningAlgorithm=wrong)
    assert code(e) == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=md["KeyId"], Plaintext=b"m")
    assert code(e) == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as e:
        kms.enable_key_rotation(KeyId=md["KeyId"])
    assert code(e) == "UnsupportedOperationException"


def test_rsa_encrypt_decrypt(kms):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    md = kms.create_key(KeySpec="RSA_4096", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    assert md["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    pub = serialization.load_der_public_key(kms.get_public_key(KeyId=md["KeyId"])["PublicKey"])
    for alg, h in (("RSAES_OAEP_SHA_1", hashes.SHA1()), ("RSAES_OAEP_SHA_256", hashes.SHA256())):
        ct = kms.encrypt(KeyId=md["KeyId"], Plaintext=b"secret", EncryptionAlgorithm=alg)
        assert ct["EncryptionAlgorithm"] == alg and len(ct["CiphertextBlob"]) == 512
        d = kms.decrypt(KeyId=md["Arn"], CiphertextBlob=ct["CiphertextBlob"], EncryptionAlgorithm=alg)
        assert d["Plaintext"] == b"secret" and d["EncryptionAlgorithm"] == alg
        # encrypted outside KMS with the public key, decrypted inside
        outside = pub.encrypt(b"offline", padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None))
        assert kms.decrypt(KeyId=md["KeyId"], CiphertextBlob=outside,
                           EncryptionAlgorithm=alg)["Plaintext"] == b"offline"
    with pytest.raises(ClientError) as e:
        kms.decrypt(KeyId=md["KeyId"], CiphertextBlob=ct["CiphertextBlob"][:-1] + b"\0",
                    EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert code(e) == "InvalidCiphertextException"
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=md["KeyId"], Plaintext=b"x")
    assert code(e) == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=md["KeyId"], Plaintext=b"x" * 447, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        kms.generate_data_key(KeyId=md["KeyId"], KeySpec="AES_256")
    assert code(e) == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as e:
        kms.sign(KeyId=md["KeyId"], Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")
    assert code(e) == "InvalidKeyUsageException"
    sym = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as e:
        kms.get_public_key(KeyId=sym)
    assert code(e) == "UnsupportedOperationException"
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=sym, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert code(e) == "InvalidKeyUsageException"


def test_cli_sign_verify(ferry, tmp_path):
    kid = ferry.aws("kms", "create-key", "--key-spec", "ECC_NIST_P256", "--key-usage", "SIGN_VERIFY",
                    profile="dev").json["KeyMetadata"]["KeyId"]
    msg = tmp_path / "m.txt"
    msg.write_bytes(b"artifact digest")
    sig = ferry.aws("kms", "sign", "--key-id", kid, "--message", f"fileb://{msg}",
                    "--signing-algorithm", "ECDSA_SHA_256", profile="dev").json["Signature"]
    sigf = tmp_path / "sig.bin"
    sigf.write_bytes(base64.b64decode(sig))
    v = ferry.aws("kms", "verify", "--key-id", kid, "--message", f"fileb://{msg}", "--signature",
                  f"fileb://{sigf}", "--signing-algorithm", "ECDSA_SHA_256", profile="dev").json
    assert v["SignatureValid"] is True
    pub = ferry.aws("kms", "get-public-key", "--key-id", kid, profile="dev").json
    assert pub["KeySpec"] == "ECC_NIST_P256" and base64.b64decode(pub["PublicKey"])[:2] == b"\x30\x59"


def test_policy_lockout_safety_check(ferry, kms):
    dev = acct(ferry, "dev")
    other = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{dev}:role/NoSuchAdmin"},
         "Action": "kms:*", "Resource": "*"}]}
    with pytest.raises(ClientError) as e:
        kms.create_key(Policy=json.dumps(other))
    assert code(e) == "MalformedPolicyDocumentException"
    assert "will not allow you to update the key policy" in e.value.response["Error"]["Message"]
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as e:
        kms.put_key_policy(KeyId=kid, PolicyName="default", Policy=json.dumps(other))
    assert code(e) == "MalformedPolicyDocumentException"
    # the caller may still put a policy that keeps it in charge
    kms.put_key_policy(KeyId=kid, PolicyName="default",
                       Policy=kms.get_key_policy(KeyId=kid, PolicyName="default")["Policy"])
    # bypassed, the caller locks itself out as AWS warns
    kms.put_key_policy(KeyId=kid, PolicyName="default", Policy=json.dumps(other),
                       BypassPolicyLockoutSafetyCheck=True)
    with pytest.raises(ClientError) as e:
        kms.put_key_policy(KeyId=kid, PolicyName="default", Policy=json.dumps(other))
    assert code(e) == "AccessDeniedException"
    md = kms.create_key(Policy=json.dumps(other), BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]
    with pytest.raises(ClientError) as e:
        kms.describe_key(KeyId=md["KeyId"])
    assert code(e) == "AccessDeniedException"
