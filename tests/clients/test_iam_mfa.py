"""IAM virtual MFA devices through boto3: creation (seed, PNG), enabling with two
consecutive RFC 6238 codes, deactivation, resync, listings and their errors."""
import time

import pytest

from ferrytest import raises, totp


@pytest.fixture(scope="module")
def iam(ferry):
    return ferry.client("iam", "dev", region="us-east-1")


def codes(seed):
    step = int(time.time()) // 30
    return totp(seed, step), totp(seed, step + 1)


def test_virtual_mfa_lifecycle(iam):
    iam.create_user(UserName="mfa-user")
    d = iam.create_virtual_mfa_device(VirtualMFADeviceName="phone",
                                      Tags=[{"Key": "k", "Value": "v"}])["VirtualMFADevice"]
    serial = d["SerialNumber"]
    assert serial.endswith(":mfa/phone")
    seed = d["Base32StringSeed"].decode()
    assert len(seed) >= 16 and set(seed) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert d["QRCodePNG"].startswith(b"\x89PNG\r\n\x1a\n")
    raises(iam.create_virtual_mfa_device, "EntityAlreadyExists", status=409,
           VirtualMFADeviceName="phone")
    raises(iam.enable_mfa_device, "InvalidAuthenticationCode", status=403, UserName="mfa-user",
           SerialNumber=serial, AuthenticationCode1="000000", AuthenticationCode2="000000")
    c1, c2 = codes(seed)
    iam.enable_mfa_device(UserName="mfa-user", SerialNumber=serial, AuthenticationCode1=c1,
                          AuthenticationCode2=c2)
    devs = iam.list_mfa_devices(UserName="mfa-user")["MFADevices"]
    assert [x["SerialNumber"] for x in devs] == [serial]
    v = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert v[0]["User"]["UserName"] == "mfa-user" and "EnableDate" in v[0]
    assert iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"] == []
    assert iam.get_account_summary()["SummaryMap"]["MFADevicesInUse"] == 1
    c1, c2 = codes(seed)
    iam.resync_mfa_device(UserName="mfa-user", SerialNumber=serial, AuthenticationCode1=c1,
                          AuthenticationCode2=c2)
    iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "x", "Value": "y"}])
    iam.untag_mfa_device(SerialNumber=serial, TagKeys=["k"])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "x", "Value": "y"}]
    raises(iam.list_mfa_device_tags, "NoSuchEntity", status=404, SerialNumber=serial + "x")
    raises(iam.delete_virtual_mfa_device, "DeleteConflict", status=409, SerialNumber=serial)
    iam.deactivate_mfa_device(UserName="mfa-user", SerialNumber=serial)
    assert iam.list_mfa_devices(UserName="mfa-user")["MFADevices"] == []
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    raises(iam.delete_virtual_mfa_device, "NoSuchEntity", status=404, SerialNumber=serial)
