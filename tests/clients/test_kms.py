"""KMS through boto3 and Debian's awscli (json 1.1): symmetric keys, aliases in every KeyId
form, Encrypt/Decrypt/ReEncrypt/GenerateDataKey with encryption contexts, key states, the
errors AWS answers, and a key shared across accounts only by its key policy."""
import base64
import json

import pytest
from botocore.exceptions import ClientError


def code(exc):
    return exc.value.response["Error"]["Code"]


def acct(ferry, profile):
    return ferry.client("sts", profile).get_caller_identity()["Account"]


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
        kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    assert code(e) == "UnsupportedOperationException"


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
    with open(os.path.join(ferry.data, "ferry.db"), "rb") as f:
        db = f.read()
    with open(path, "rb") as f:
        assert f.read() not in db
