"""IAM account settings through boto3 (and one `aws` CLI call): the password policy and its
enforcement on login profiles and ChangePassword, account aliases (unique across accounts),
GetAccountSummary's counts and quotas."""
import json

import boto3
import pytest

from ferrytest import acct, raises


@pytest.fixture(scope="module")
def iam(ferry):
    return ferry.client("iam", "dev", region="us-east-1")


def user_iam(ferry, iam, name):
    iam.create_user(UserName=name)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.client("iam", region_name="us-east-1", endpoint_url=ferry.endpoint,
                        aws_access_key_id=k["AccessKeyId"],
                        aws_secret_access_key=k["SecretAccessKey"])


def test_password_policy_round_trip(ferry, iam):
    nsfe = iam.get_account_password_policy
    raises(nsfe, "NoSuchEntity",
           f"The Password Policy with domain name {acct(ferry, 'dev')} cannot be found.", 404)
    raises(iam.delete_account_password_policy, "NoSuchEntity", status=404)
    iam.update_account_password_policy()
    p = iam.get_account_password_policy()["PasswordPolicy"]
    assert p["MinimumPasswordLength"] == 6 and p["ExpirePasswords"] is False
    assert p["RequireSymbols"] is False and p["AllowUsersToChangePassword"] is False
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireSymbols=True,
                                       RequireNumbers=True, RequireUppercaseCharacters=True,
                                       RequireLowercaseCharacters=True,
                                       AllowUsersToChangePassword=True, MaxPasswordAge=90,
                                       PasswordReusePrevention=3, HardExpiry=False)
    p = iam.get_account_password_policy()["PasswordPolicy"]
    assert p == {"MinimumPasswordLength": 12, "RequireSymbols": True, "RequireNumbers": True,
                 "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": True,
                 "AllowUsersToChangePassword": True, "ExpirePasswords": True,
                 "MaxPasswordAge": 90, "PasswordReusePrevention": 3, "HardExpiry": False}
    with pytest.raises(Exception):  # the model's range (botocore refuses it client-side)
        iam.update_account_password_policy(MinimumPasswordLength=3)
    iam.delete_account_password_policy()
    raises(nsfe, "NoSuchEntity", status=404)


def test_policy_enforced_on_login_profiles(iam):
    iam.create_user(UserName="pp-user")
    # without a policy: AWS's default of 8 characters
    raises(iam.create_login_profile, "PasswordPolicyViolation",
           "Password should have a minimum length of 8", 400, UserName="pp-user",
           Password="short")
    iam.update_account_password_policy(MinimumPasswordLength=10, RequireNumbers=True,
                                       RequireUppercaseCharacters=True, RequireSymbols=True)
    try:
        for pw, why in [("abcdefgh", "a minimum length of 10"),
                        ("abcdefghij1!", "at least one uppercase letter"),
                        ("Abcdefghijk!", "at least one number"),
                        ("Abcdefghijk1", "at least one symbol")]:
            raises(iam.create_login_profile, "PasswordPolicyViolation",
                   f"Password should have {why}", UserName="pp-user", Password=pw)
        iam.create_login_profile(UserName="pp-user", Password="Abcdefghij1!")
        raises(iam.update_login_profile, "PasswordPolicyViolation", UserName="pp-user",
               Password="abc")
        iam.update_login_profile(UserName="pp-user", Password="Zyxwvutsr9$")
    finally:
        iam.delete_account_password_policy()


def test_change_password(ferry, iam):
    me = user_iam(ferry, iam, "pp-self")
    iam.create_login_profile(UserName="pp-self", Password="Original1!", PasswordResetRequired=True)
    # no policy letting users change their own: the user's policies must allow it
    raises(me.change_password, "AccessDenied", OldPassword="Original1!",
           NewPassword="Changed12!", status=403)
    iam.update_account_password_policy(MinimumPasswordLength=8, AllowUsersToChangePassword=True,
                                       PasswordReusePrevention=2)
    try:
        other = user_iam(ferry, iam, "pp-noprofile")
        raises(other.change_password, "NoSuchEntity",
               "Login Profile for User pp-noprofile cannot be found.", 404, OldPassword="x",
               NewPassword="Whatever12!")
        raises(me.change_password, "AccessDenied", "The old password is incorrect.", 403,
               OldPassword="Wrong", NewPassword="Changed12!")
        raises(me.change_password, "PasswordPolicyViolation",
               "Password should have a minimum length of 8", OldPassword="Original1!",
               NewPassword="short")
        raises(me.change_password, "PasswordPolicyViolation", OldPassword="Original1!",
               NewPassword="Original1!")
        me.change_password(OldPassword="Original1!", NewPassword="Changed12!")
        assert iam.get_login_profile(UserName="pp-self")["LoginProfile"][
            "PasswordResetRequired"] is False
        # the previous password is remembered (reuse prevention 2)
        raises(me.change_password, "PasswordPolicyViolation", OldPassword="Changed12!",
               NewPassword="Original1!")
        me.change_password(OldPassword="Changed12!", NewPassword="Third333!")
    finally:
        iam.delete_account_password_policy()
    # the account's own root is not an IAM user
    raises(iam.change_password, "InvalidUserType", OldPassword="a", NewPassword="b")


def test_account_alias(ferry, iam):
    assert iam.list_account_aliases()["AccountAliases"] == []
    for bad in ["Upper-case", "-dash", "dash-", "two--dashes", "under_score"]:
        raises(iam.create_account_alias, "ValidationError", status=400, AccountAlias=bad)
    iam.create_account_alias(AccountAlias="ferry-dev-1")
    iam.create_account_alias(AccountAlias="ferry-dev-1")  # the account's own: no change
    assert iam.list_account_aliases()["AccountAliases"] == ["ferry-dev-1"]
    raises(iam.create_account_alias, "LimitExceeded",
           "Cannot exceed quota for AccountAliasesPerAccount: 1", AccountAlias="another-one")
    # unique across accounts
    qa = ferry.client("iam", "qa", region="us-east-1")
    raises(qa.create_account_alias, "EntityAlreadyExists",
           "The account alias ferry-dev-1 already exists.", 409, AccountAlias="ferry-dev-1")
    raises(iam.delete_account_alias, "NoSuchEntity", status=404, AccountAlias="not-mine")
    iam.delete_account_alias(AccountAlias="ferry-dev-1")
    assert iam.list_account_aliases()["AccountAliases"] == []
    qa.create_account_alias(AccountAlias="ferry-dev-1")
    out = ferry.aws("iam", "list-account-aliases", profile="qa").json
    assert out["AccountAliases"] == ["ferry-dev-1"]
    qa.delete_account_alias(AccountAlias="ferry-dev-1")


def test_account_summary(ferry):
    iam = ferry.client("iam", "management", region="us-east-1")
    before = iam.get_account_summary()["SummaryMap"]
    iam.create_user(UserName="sum-u")
    iam.create_group(GroupName="sum-g")
    iam.create_policy(PolicyName="sum-p", PolicyDocument='{"Version":"2012-10-17","Statement":'
                      '[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}')
    iam.create_instance_profile(InstanceProfileName="sum-ip")
    iam.create_open_id_connect_provider(Url="https://sum.example.com", ClientIDList=["sts"],
                                        ThumbprintList=["a" * 40])
    m = iam.get_account_summary()["SummaryMap"]
    assert m["Providers"] == before["Providers"] + 1
    assert m["Users"] == before["Users"] + 1
    assert m["Groups"] == before["Groups"] + 1
    assert m["Policies"] == before["Policies"] + 1
    assert m["PolicyVersionsInUse"] == before["PolicyVersionsInUse"] + 1
    assert m["InstanceProfiles"] == before["InstanceProfiles"] + 1
    iam.create_role(RoleName="sum-r", AssumeRolePolicyDocument='{"Version":"2012-10-17",'
                    '"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},'
                    '"Action":"sts:AssumeRole"}]}')
    assert iam.get_account_summary()["SummaryMap"]["Roles"] == before["Roles"] + 1
    assert m["UsersQuota"] == 5000 and m["RolesQuota"] == 1000 and m["GroupsQuota"] == 300
    assert m["AccessKeysPerUserQuota"] == 2 and m["VersionsPerPolicyQuota"] == 5
    assert m["AccountMFAEnabled"] == 0 and m["MFADevices"] == 0


POLICY = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*",'
          '"Resource":"*"}]}')


def test_policy_tags(iam):
    arn = iam.create_policy(PolicyName="tagged-pol", PolicyDocument=POLICY,
                            Tags=[{"Key": "a", "Value": "1"}])["Policy"]["Arn"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "9"}])
    tags = iam.list_policy_tags(PolicyArn=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("a", "9"), ("b", "2")]
    assert {t["Key"] for t in iam.get_policy(PolicyArn=arn)["Policy"]["Tags"]} == {"a", "b"}
    iam.untag_policy(PolicyArn=arn, TagKeys=["a"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    raises(iam.tag_policy, "InvalidInput", PolicyArn=arn, Tags=[{"Key": "aws:x", "Value": "1"}])
    missing = arn.replace("tagged-pol", "nope")
    raises(iam.list_policy_tags, "NoSuchEntity", f"Policy {missing} was not found.", 404,
           PolicyArn=missing)
    raises(iam.tag_policy, "AccessDenied", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess",
           Tags=[{"Key": "k", "Value": "v"}])


def test_instance_profile_tags(iam):
    iam.create_instance_profile(InstanceProfileName="tagged-ip")
    assert iam.list_instance_profile_tags(InstanceProfileName="tagged-ip")["Tags"] == []
    iam.tag_instance_profile(InstanceProfileName="tagged-ip",
                             Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "x"}])
    r = iam.list_instance_profile_tags(InstanceProfileName="tagged-ip", MaxItems=1)
    assert r["IsTruncated"] and len(r["Tags"]) == 1
    iam.untag_instance_profile(InstanceProfileName="tagged-ip", TagKeys=["team"])
    assert iam.get_instance_profile(InstanceProfileName="tagged-ip")["InstanceProfile"][
        "Tags"] == [{"Key": "env", "Value": "dev"}]
    raises(iam.tag_instance_profile, "NoSuchEntity", "Instance Profile nope cannot be found.", 404,
           InstanceProfileName="nope", Tags=[{"Key": "k", "Value": "v"}])


def test_access_key_last_used(ferry, iam):
    iam.create_user(UserName="lu-user")
    k = iam.create_access_key(UserName="lu-user")["AccessKey"]
    r = iam.get_access_key_last_used(AccessKeyId=k["AccessKeyId"])
    assert r["UserName"] == "lu-user"
    assert r["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}
    s3 = boto3.client("s3", region_name="eu-west-1", endpoint_url=ferry.endpoint,
                      aws_access_key_id=k["AccessKeyId"],
                      aws_secret_access_key=k["SecretAccessKey"])
    with pytest.raises(Exception):
        s3.list_buckets()  # refused (no policy), but the key was used
    u = iam.get_access_key_last_used(AccessKeyId=k["AccessKeyId"])["AccessKeyLastUsed"]
    assert u["ServiceName"] == "s3" and u["Region"] == "eu-west-1" and "LastUsedDate" in u
    raises(iam.get_access_key_last_used, "NoSuchEntity",
           "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.", 404,
           AccessKeyId="AKIAAAAAAAAAAAAAAAAA")
    # another account's key is not this account's to see
    qa = ferry.client("iam", "qa", region="us-east-1")
    raises(qa.get_access_key_last_used, "NoSuchEntity", AccessKeyId=k["AccessKeyId"])


def test_last_use_survives_restart(tmp_path):
    """The periodic writer stores the last use (FERRY_KEY_LAST_USED_INTERVAL shortens it)."""
    import time
    import signal
    from ferrytest import Ferry
    f = Ferry().start(env={"FERRY_KEY_LAST_USED_INTERVAL": "0.1"})
    try:
        f.init()
        iam = f.client("iam", "dev", region="us-east-1")
        iam.create_user(UserName="lu2")
        k = iam.create_access_key(UserName="lu2")["AccessKey"]
        boto3.client("sts", region_name="us-west-2", endpoint_url=f.endpoint,
                     aws_access_key_id=k["AccessKeyId"],
                     aws_secret_access_key=k["SecretAccessKey"]).get_caller_identity()
        time.sleep(0.5)
        f.stop(signal.SIGKILL)
        f.start()
        iam = f.client("iam", "dev", region="us-east-1")
        u = iam.get_access_key_last_used(AccessKeyId=k["AccessKeyId"])["AccessKeyLastUsed"]
        assert u["ServiceName"] == "sts" and u["Region"] == "us-west-2"
    finally:
        f.close()


def test_credential_report(ferry, iam):
    raises(iam.get_credential_report, "ReportNotPresent", status=410)
    iam.create_user(UserName="cr-user")
    iam.create_login_profile(UserName="cr-user", Password="Report-pass1")
    iam.create_access_key(UserName="cr-user")
    r = iam.generate_credential_report()
    assert r["State"] == "STARTED"
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    rep = iam.get_credential_report()
    assert rep["ReportFormat"] == "text/csv"
    lines = rep["Content"].decode().splitlines()
    head = lines[0].split(",")
    assert head[:4] == ["user", "arn", "user_creation_time", "password_enabled"]
    assert len(head) == 22 and head[-1] == "cert_2_last_rotated"
    rows = {ln.split(",")[0]: dict(zip(head, ln.split(","))) for ln in lines[1:]}
    assert rows["<root_account>"]["arn"].endswith(":root")
    cr = rows["cr-user"]
    assert cr["password_enabled"] == "true" and cr["access_key_1_active"] == "true"
    assert cr["access_key_2_active"] == "false" and cr["mfa_active"] == "false"
    assert all(len(r) == 22 for r in rows.values())


def self_signed(tmp_path, name):
    import subprocess
    key, crt = tmp_path / f"{name}.key", tmp_path / f"{name}.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                    "-subj", f"/CN={name}.example.com", "-keyout", str(key), "-out", str(crt)],
                   check=True, capture_output=True)
    return crt.read_text(), key.read_text()


def test_server_certificates(ferry, iam, tmp_path):
    body, key = self_signed(tmp_path, "one")
    _, other_key = self_signed(tmp_path, "two")
    raises(iam.upload_server_certificate, "MalformedCertificate", status=400,
           ServerCertificateName="bad", CertificateBody="not a pem", PrivateKey=key)
    raises(iam.upload_server_certificate, "MalformedCertificate", status=400,
           ServerCertificateName="bad", CertificateBody=body, PrivateKey="not a key")
    raises(iam.upload_server_certificate, "KeyPairMismatch", status=400,
           ServerCertificateName="bad", CertificateBody=body, PrivateKey=other_key)
    m = iam.upload_server_certificate(ServerCertificateName="web", Path="/cloudfront/",
                                      CertificateBody=body, PrivateKey=key, CertificateChain=body,
                                      Tags=[{"Key": "k", "Value": "v"}])
    meta = m["ServerCertificateMetadata"]
    assert meta["ServerCertificateId"].startswith("ASCA")
    assert meta["Arn"].endswith(":server-certificate/cloudfront/web")
    assert meta["Expiration"] > meta["UploadDate"]
    raises(iam.upload_server_certificate, "EntityAlreadyExists",
           "The Server Certificate with name web already exists.", 409,
           ServerCertificateName="web", CertificateBody=body, PrivateKey=key)
    got = iam.get_server_certificate(ServerCertificateName="web")["ServerCertificate"]
    assert got["CertificateBody"].strip() == body.strip()
    assert "PrivateKey" not in str(got) and "PRIVATE KEY" not in str(got)
    assert got["Tags"] == [{"Key": "k", "Value": "v"}]
    lst = iam.list_server_certificates(PathPrefix="/cloudfront/")["ServerCertificateMetadataList"]
    assert [x["ServerCertificateName"] for x in lst] == ["web"]
    assert iam.list_server_certificates(PathPrefix="/other/")["ServerCertificateMetadataList"] == []
    iam.tag_server_certificate(ServerCertificateName="web", Tags=[{"Key": "a", "Value": "b"}])
    iam.untag_server_certificate(ServerCertificateName="web", TagKeys=["k"])
    assert iam.list_server_certificate_tags(ServerCertificateName="web")["Tags"] == [
        {"Key": "a", "Value": "b"}]
    iam.update_server_certificate(ServerCertificateName="web", NewServerCertificateName="web2",
                                  NewPath="/")
    raises(iam.get_server_certificate, "NoSuchEntity",
           "The Server Certificate with name web cannot be found.", 404,
           ServerCertificateName="web")
    assert iam.get_server_certificate(ServerCertificateName="web2")["ServerCertificate"][
        "ServerCertificateMetadata"]["Arn"].endswith(":server-certificate/web2")
    assert iam.get_account_summary()["SummaryMap"]["ServerCertificates"] == 1
    iam.delete_server_certificate(ServerCertificateName="web2")
    raises(iam.delete_server_certificate, "NoSuchEntity", ServerCertificateName="web2")


def test_signing_certificates(ferry, iam, tmp_path):
    iam.create_user(UserName="sc-user")
    b1, _ = self_signed(tmp_path, "s1")
    b2, _ = self_signed(tmp_path, "s2")
    b3, _ = self_signed(tmp_path, "s3")
    raises(iam.upload_signing_certificate, "MalformedCertificate", status=400,
           UserName="sc-user", CertificateBody="garbage")
    c1 = iam.upload_signing_certificate(UserName="sc-user", CertificateBody=b1)["Certificate"]
    assert c1["Status"] == "Active" and c1["UserName"] == "sc-user"
    raises(iam.upload_signing_certificate, "DuplicateCertificate", status=409,
           UserName="sc-user", CertificateBody=b1)
    iam.upload_signing_certificate(UserName="sc-user", CertificateBody=b2)
    raises(iam.upload_signing_certificate, "LimitExceeded",
           "Cannot exceed quota for SigningCertificatesPerUser: 2", UserName="sc-user",
           CertificateBody=b3)
    iam.update_signing_certificate(UserName="sc-user", CertificateId=c1["CertificateId"],
                                   Status="Inactive")
    certs = iam.list_signing_certificates(UserName="sc-user")["Certificates"]
    assert {c["CertificateId"]: c["Status"] for c in certs}[c1["CertificateId"]] == "Inactive"
    iam.delete_signing_certificate(UserName="sc-user", CertificateId=c1["CertificateId"])
    raises(iam.delete_signing_certificate, "NoSuchEntity", status=404, UserName="sc-user",
           CertificateId=c1["CertificateId"])
    assert len(iam.list_signing_certificates(UserName="sc-user")["Certificates"]) == 1


def ssh_key(tmp_path, name, bits=2048):
    import subprocess
    path = tmp_path / name
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", str(bits), "-N", "", "-f", str(path)],
                   check=True, capture_output=True)
    pub = (tmp_path / f"{name}.pub").read_text()
    fp = subprocess.run(["ssh-keygen", "-l", "-E", "md5", "-f", str(path) + ".pub"], check=True,
                        capture_output=True, text=True).stdout.split()[1][len("MD5:"):]
    pem = subprocess.run(["ssh-keygen", "-e", "-m", "PKCS8", "-f", str(path) + ".pub"],
                         check=True, capture_output=True, text=True).stdout
    return pub, pem, fp


def test_ssh_public_keys(ferry, iam, tmp_path):
    iam.create_user(UserName="ssh-user")
    pub, pem, fp = ssh_key(tmp_path, "k1")
    k = iam.upload_ssh_public_key(UserName="ssh-user", SSHPublicKeyBody=pub)["SSHPublicKey"]
    assert k["SSHPublicKeyId"].startswith("APKA") and k["Fingerprint"] == fp
    assert k["Status"] == "Active"
    # the same key as PEM has the same fingerprint: a duplicate
    raises(iam.upload_ssh_public_key, "DuplicateSSHPublicKey", status=400, UserName="ssh-user",
           SSHPublicKeyBody=pem)
    pub2, pem2, fp2 = ssh_key(tmp_path, "k2")
    k2 = iam.upload_ssh_public_key(UserName="ssh-user", SSHPublicKeyBody=pem2)["SSHPublicKey"]
    assert k2["Fingerprint"] == fp2
    raises(iam.upload_ssh_public_key, "UnrecognizedPublicKeyEncoding", status=400,
           UserName="ssh-user", SSHPublicKeyBody="ssh-ed25519 AAAAC3Nza x")
    small, _, _ = ssh_key(tmp_path, "k3", bits=1024)
    raises(iam.upload_ssh_public_key, "InvalidPublicKey", status=400, UserName="ssh-user",
           SSHPublicKeyBody=small)
    got = iam.get_ssh_public_key(UserName="ssh-user", SSHPublicKeyId=k["SSHPublicKeyId"],
                                 Encoding="SSH")["SSHPublicKey"]
    assert got["SSHPublicKeyBody"] == pub
    iam.update_ssh_public_key(UserName="ssh-user", SSHPublicKeyId=k["SSHPublicKeyId"],
                              Status="Inactive")
    keys = iam.list_ssh_public_keys(UserName="ssh-user")["SSHPublicKeys"]
    assert {x["SSHPublicKeyId"]: x["Status"] for x in keys} == {
        k["SSHPublicKeyId"]: "Inactive", k2["SSHPublicKeyId"]: "Active"}
    iam.delete_ssh_public_key(UserName="ssh-user", SSHPublicKeyId=k["SSHPublicKeyId"])
    raises(iam.get_ssh_public_key, "NoSuchEntity", status=404, UserName="ssh-user",
           SSHPublicKeyId=k["SSHPublicKeyId"], Encoding="SSH")
    # a user with keys or certificates left is not deleted
    raises(iam.delete_user, "DeleteConflict",
           "Cannot delete entity, must delete SSH public keys first.", 409, UserName="ssh-user")
    iam.delete_ssh_public_key(UserName="ssh-user", SSHPublicKeyId=k2["SSHPublicKeyId"])
    iam.delete_user(UserName="ssh-user")


def test_service_linked_roles(ferry):
    iam = ferry.client("iam", "qa", region="us-east-1")
    r = iam.create_service_linked_role(AWSServiceName="elasticloadbalancing.amazonaws.com")["Role"]
    assert r["RoleName"] == "AWSServiceRoleForElasticLoadBalancing"
    assert r["Path"] == "/aws-service-role/elasticloadbalancing.amazonaws.com/"
    assert r["Arn"].endswith(
        ":role/aws-service-role/elasticloadbalancing.amazonaws.com/"
        "AWSServiceRoleForElasticLoadBalancing")
    trust = r["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "elasticloadbalancing.amazonaws.com"}
    raises(iam.create_service_linked_role, "InvalidInput",
           "Service role name AWSServiceRoleForElasticLoadBalancing has been taken in this "
           "account, please try a different suffix.", 400,
           AWSServiceName="elasticloadbalancing.amazonaws.com")
    raises(iam.create_service_linked_role, "InvalidInput", status=400,
           AWSServiceName="ecs.amazonaws.com", CustomSuffix="mine")
    raises(iam.create_service_linked_role, "InvalidInput", status=400,
           AWSServiceName="nothing.amazonaws.com")
    a = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com",
                                       CustomSuffix="web")["Role"]
    assert a["RoleName"] == "AWSServiceRoleForAutoScaling_web"
    name = r["RoleName"]
    raises(iam.delete_role, "UnmodifiableEntity",
           f"Cannot perform the operation on the protected role '{name}' - this role is only "
           "modifiable by AWS", 400, RoleName=name)
    task = iam.delete_service_linked_role(RoleName=name)["DeletionTaskId"]
    assert task.startswith(f"task/aws-service-role/elasticloadbalancing.amazonaws.com/{name}/")
    st = iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
    assert st["Status"] == "SUCCEEDED"
    raises(iam.get_role, "NoSuchEntity", RoleName=name)
    iam.create_role(RoleName="plain", AssumeRolePolicyDocument=r and json.dumps(trust))
    raises(iam.delete_service_linked_role, "InvalidInput", RoleName="plain")


def test_sts_token_preferences(ferry):
    iam = ferry.client("iam", "qa", region="us-east-1")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 1
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 2
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v1Token")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 1
