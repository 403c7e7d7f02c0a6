"""ferry init: idempotent, custom configs, profiles merged into an existing AWS config."""
import configparser
import os

import pytest

from ferrytest import Ferry

SEED000 = """
management: {name: tools}
accounts:
  - {name: booking, email: booking@example.com, ou: Microservices}
  - {name: airmiles, email: airmiles@example.com, ou: Microservices}
"""


def test_init_twice_changes_nothing_and_keeps_user_profiles(tmp_path):
    f = Ferry(config=SEED000)
    try:
        os.makedirs(f.awsdir)
        with open(os.path.join(f.awsdir, "config"), "w") as fh:
            fh.write("[default]\nregion = eu-west-3\n\n[profile mine]\nregion = us-west-2\n")
        with open(os.path.join(f.awsdir, "credentials"), "w") as fh:
            fh.write("[mine]\naws_access_key_id = AKIAMINE\naws_secret_access_key = s3cr3t\n")
        f.start()
        out1 = f.init()  # with the server running
        creds1 = open(os.path.join(f.awsdir, "credentials")).read()
        out2 = f.init()
        assert open(os.path.join(f.awsdir, "credentials")).read() == creds1
        assert "(new)" in out1 and "(new)" not in out2
        cfg = configparser.ConfigParser()
        cfg.read(os.path.join(f.awsdir, "config"))
        assert cfg["default"]["region"] == "eu-west-3"
        assert cfg["profile mine"]["region"] == "us-west-2"
        assert cfg["profile booking"]["endpoint_url"] == f.endpoint
        cr = configparser.ConfigParser()
        cr.read(os.path.join(f.awsdir, "credentials"))
        assert cr["mine"]["aws_access_key_id"] == "AKIAMINE"
        ids = {p: f.aws("sts", "get-caller-identity", profile=p).json["Account"]
               for p in ("tools", "booking", "airmiles")}
        assert len(set(ids.values())) == 3
        org = f.client("organizations", "tools")
        root = org.list_roots()["Roots"][0]["Id"]
        ous = org.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"]
        assert [o["Name"] for o in ous] == ["Microservices"]
        members = org.list_accounts_for_parent(ParentId=ous[0]["Id"])["Accounts"]
        assert {a["Name"] for a in members} == {"booking", "airmiles"}
    finally:
        f.close()


def test_init_without_server_then_serve(tmp_path):
    f = Ferry()
    try:
        f.port = 0
        f.start()
        port = f.port
        f.stop()
        f.port = port
        f.init()  # no server running
        f.start()
        assert f.aws("sts", "get-caller-identity", profile="qa").json["Account"]
    finally:
        f.close()


def test_init_gives_members_an_access_role_and_admin_profiles():
    f = Ferry(config=SEED000)
    try:
        f.start()
        f.init()
        cfg = configparser.ConfigParser()
        cfg.read(os.path.join(f.awsdir, "config"))
        ids = {p: f.client("sts", p).get_caller_identity()["Account"]
               for p in ("tools", "booking", "airmiles")}
        for member in ("booking", "airmiles"):
            prof = cfg[f"profile {member}-admin"]
            assert prof["role_arn"] == \
                f"arn:aws:iam::{ids[member]}:role/OrganizationAccountAccessRole"
            assert prof["source_profile"] == "tools"
            assert prof["endpoint_url"] == f.endpoint and prof["region"]
        assert "profile tools-admin" not in cfg
        iam = f.client("iam", "booking")
        role = iam.get_role(RoleName="OrganizationAccountAccessRole")["Role"]
        trust = role["AssumeRolePolicyDocument"]
        assert trust["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{ids['tools']}:root"}
        attached = iam.list_attached_role_policies(
            RoleName="OrganizationAccountAccessRole")["AttachedPolicies"]
        assert [p["PolicyArn"] for p in attached] == ["arn:aws:iam::aws:policy/AdministratorAccess"]
        # the management account has no such role
        mgmt_roles = f.client("iam", "tools").list_roles()["Roles"]
        assert "OrganizationAccountAccessRole" not in {r["RoleName"] for r in mgmt_roles}
        # a second run keeps the role as it is
        f.init()
        again = iam.get_role(RoleName="OrganizationAccountAccessRole")["Role"]
        assert again["RoleId"] == role["RoleId"]
        # the management account reaches the member through it
        c = f.client("sts", "tools").assume_role(
            RoleArn=prof["role_arn"], RoleSessionName="init")["Credentials"]
        assert c["AccessKeyId"].startswith("ASIA")
    finally:
        f.close()


def test_init_keeps_unquoted_numeric_ids():
    # YAML types an unquoted 123456789012 as a number; the account keeps that id (it used to
    # get a random one, silently), and a leading zero is kept as written
    f = Ferry(config="management: {name: tools, id: 123456789012}\n"
                     "accounts:\n"
                     "  - {name: dev, id: 210987654321}\n"
                     "  - {name: qa, id: 012345678901}\n"
                     "  - {name: prod, id: '333344445555'}\n")
    try:
        f.start()
        out = f.init()
        ids = {p: f.client("sts", p).get_caller_identity()["Account"]
               for p in ("tools", "dev", "qa", "prod")}
        assert ids == {"tools": "123456789012", "dev": "210987654321",
                       "qa": "012345678901", "prod": "333344445555"}
        assert "123456789012" in out
        org = f.client("organizations", "tools")
        assert org.describe_organization()["Organization"]["MasterAccountId"] == "123456789012"
    finally:
        f.close()


def test_init_refuses_an_id_that_is_not_12_digits():
    import subprocess
    f = Ferry(config="management: {name: tools}\naccounts:\n  - {name: dev, id: 12345}\n")
    try:
        with pytest.raises(subprocess.CalledProcessError) as ei:
            f.init()
        assert "12345 is not 12 digits" in ei.value.stderr
    finally:
        f.close()
