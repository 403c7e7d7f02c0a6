"""SNS mobile push (platform applications, endpoints), SMS (attributes, opt-outs, the SMS
sandbox) and data protection policies. Nothing is sent: push and SMS deliveries are recorded
and read back at GET /_ferry/sns/deliveries."""
import json
import signal

import pytest

from ferrytest import Ferry, acct, raises


@pytest.fixture(scope="module")
def ferry():
    f = Ferry().start(env={"FERRY_SNS_SMS_OTP": "424242"})
    f.init()
    yield f
    f.close()


@pytest.fixture(scope="module")
def sns(ferry):
    return ferry.client("sns", "dev", region="us-east-1")


def deliveries(ferry, profile, kind=None):
    """The recorded deliveries of profile's account (signed: they hold the messages)."""
    s, _, b = ferry.signed_http("GET", "/_ferry/sns/deliveries?Region=us-east-1", profile, "sns")
    assert s == 200, b
    return [d for d in json.loads(b)["Deliveries"] if kind is None or d["Kind"] == kind]


def test_platform_applications(ferry, sns):
    dev = acct(ferry, "dev")
    arn = sns.create_platform_application(Name="app", Platform="GCM", Attributes={
        "PlatformCredential": "server-key-secret", "EventEndpointCreated": ""})["PlatformApplicationArn"]
    assert arn == f"arn:aws:sns:us-east-1:{dev}:app/GCM/app"
    # the same name again answers the same application
    assert sns.create_platform_application(Name="app", Platform="GCM", Attributes={
        "PlatformCredential": "server-key-secret"})["PlatformApplicationArn"] == arn
    a = sns.get_platform_application_attributes(PlatformApplicationArn=arn)["Attributes"]
    # the credentials are secrets: AWS never answers them
    assert "PlatformCredential" not in a and "PlatformPrincipal" not in a
    assert a["Enabled"] == "true"
    sns.set_platform_application_attributes(PlatformApplicationArn=arn, Attributes={
        "SuccessFeedbackSampleRate": "50", "PlatformCredential": "rotated"})
    a = sns.get_platform_application_attributes(PlatformApplicationArn=arn)["Attributes"]
    assert a["SuccessFeedbackSampleRate"] == "50" and "PlatformCredential" not in a
    apns = sns.create_platform_application(Name="ios", Platform="APNS", Attributes={
        "PlatformCredential": "key", "PlatformPrincipal": "cert"})["PlatformApplicationArn"]
    listed = sns.list_platform_applications()["PlatformApplications"]
    assert sorted(x["PlatformApplicationArn"] for x in listed) == sorted([arn, apns])
    assert all("PlatformCredential" not in x["Attributes"] for x in listed)
    with open(ferry.log) as f:
        assert "server-key-secret" not in f.read()
    # errors
    raises(sns.create_platform_application, "InvalidParameter", "Invalid parameter: Platform",
           Name="x", Platform="NOKIA", Attributes={"PlatformCredential": "k"})
    raises(sns.create_platform_application, "InvalidParameter", "Invalid parameter: Name",
           Name="bad name", Platform="GCM", Attributes={"PlatformCredential": "k"})
    raises(sns.create_platform_application, "InvalidParameter",
           "Invalid parameter: Attributes Reason: PlatformPrincipal attribute is required",
           Name="x", Platform="APNS", Attributes={"PlatformCredential": "k"})
    raises(sns.create_platform_application, "InvalidParameter",
           "Invalid parameter: Attributes Reason: Invalid attribute name: Colour",
           Name="x", Platform="GCM", Attributes={"PlatformCredential": "k", "Colour": "red"})
    raises(sns.get_platform_application_attributes, "NotFound", "PlatformApplication does not exist",
           404, PlatformApplicationArn=arn + "-none")
    raises(sns.get_platform_application_attributes, "InvalidParameter",
           "Invalid parameter: PlatformApplicationArn", PlatformApplicationArn="arn:aws:sqs:x")
    # deleting takes the endpoints along; deleting again is no error
    ep = sns.create_platform_endpoint(PlatformApplicationArn=apns, Token="t-ios")["EndpointArn"]
    sns.delete_platform_application(PlatformApplicationArn=apns)
    sns.delete_platform_application(PlatformApplicationArn=apns)
    raises(sns.get_endpoint_attributes, "NotFound", "Endpoint does not exist", 404, EndpointArn=ep)
    # another account's caller is refused; a user without permission too
    raises(ferry.client("sns", "qa").get_platform_application_attributes, "AuthorizationError",
           PlatformApplicationArn=arn)
    denied = ferry.user_client("sns", "dev", "nopush", {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sns:ListTopics", "Resource": "*"}]})
    raises(denied.list_platform_applications, "AuthorizationError", status=403)


def test_endpoints_and_push_deliveries(ferry, sns):
    dev = acct(ferry, "dev")
    app = sns.create_platform_application(Name="push", Platform="GCM", Attributes={
        "PlatformCredential": "k"})["PlatformApplicationArn"]
    ep = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="tok-1",
                                      CustomUserData="user 1")["EndpointArn"]
    assert ep.startswith(f"arn:aws:sns:us-east-1:{dev}:endpoint/GCM/push/")
    # idempotent for the same token and attributes
    assert sns.create_platform_endpoint(PlatformApplicationArn=app, Token="tok-1",
                                        CustomUserData="user 1")["EndpointArn"] == ep
    raises(sns.create_platform_endpoint, "InvalidParameter",
           f"Invalid parameter: Token Reason: Endpoint {ep} already exists with the same Token, "
           "but different attributes.", PlatformApplicationArn=app, Token="tok-1", CustomUserData="other")
    assert sns.get_endpoint_attributes(EndpointArn=ep)["Attributes"] == {
        "Token": "tok-1", "Enabled": "true", "CustomUserData": "user 1"}
    mid = sns.publish(TargetArn=ep, Message="hello phone")["MessageId"]
    got = deliveries(ferry, "dev", "push")
    assert [(d["MessageId"], d["EndpointArn"], d["Token"], d["Message"]) for d in got] == [
        (mid, ep, "tok-1", "hello phone")]
    # a disabled endpoint is not delivered to
    sns.set_endpoint_attributes(EndpointArn=ep, Attributes={"Enabled": "false"})
    assert sns.get_endpoint_attributes(EndpointArn=ep)["Attributes"]["Enabled"] == "false"
    raises(sns.publish, "EndpointDisabled", "Endpoint is disabled", 400, TargetArn=ep, Message="m")
    assert len(deliveries(ferry, "dev", "push")) == 1
    raises(sns.set_endpoint_attributes, "InvalidParameter", EndpointArn=ep, Attributes={"Enabled": "maybe"})
    raises(sns.create_platform_endpoint, "NotFound", "PlatformApplication does not exist", 404,
           PlatformApplicationArn=app + "x", Token="t")
    # paging by 100
    for i in range(101):
        sns.create_platform_endpoint(PlatformApplicationArn=app, Token=f"page-{i}")
    p1 = sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)
    assert len(p1["Endpoints"]) == 100 and p1["NextToken"]
    p2 = sns.list_endpoints_by_platform_application(PlatformApplicationArn=app, NextToken=p1["NextToken"])
    assert len(p2["Endpoints"]) == 2 and "NextToken" not in p2
    assert ep in [e["EndpointArn"] for e in p1["Endpoints"] + p2["Endpoints"]]
    sns.delete_endpoint(EndpointArn=ep)
    sns.delete_endpoint(EndpointArn=ep)
    raises(sns.publish, "NotFound", "Endpoint does not exist", 404, TargetArn=ep, Message="m")


def test_sms_attributes(sns):
    sns.set_sms_attributes(attributes={"DefaultSMSType": "Transactional", "DefaultSenderID": "Ferry1",
                                       "MonthlySpendLimit": "5"})
    assert sns.get_sms_attributes()["attributes"] == {
        "DefaultSMSType": "Transactional", "DefaultSenderID": "Ferry1", "MonthlySpendLimit": "5"}
    assert sns.get_sms_attributes(attributes=["DefaultSMSType"])["attributes"] == {"DefaultSMSType": "Transactional"}
    raises(sns.set_sms_attributes, "InvalidParameter", attributes={"DefaultSMSType": "Loud"})
    raises(sns.set_sms_attributes, "InvalidParameter", attributes={"DefaultSenderID": "123"})
    raises(sns.set_sms_attributes, "InvalidParameter", attributes={"Volume": "11"})


def test_sms_sandbox_opt_outs_and_publish(ferry, sns):
    dev = acct(ferry, "dev")
    assert sns.get_sms_sandbox_account_status()["IsInSandbox"] is True
    assert sns.list_origination_numbers()["PhoneNumbers"] == []
    phone = "+15555550123"
    raises(sns.publish, "AuthorizationError", status=403, PhoneNumber=phone, Message="hi")
    sns.create_sms_sandbox_phone_number(PhoneNumber=phone, LanguageCode="en-US")
    assert sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"] == [{"PhoneNumber": phone, "Status": "Pending"}]
    # the one-time password is texted (recorded), and fixed by FERRY_SNS_SMS_OTP
    otp = [d for d in deliveries(ferry, "dev", "sms") if d["Status"] == "Verification"]
    assert otp[-1]["PhoneNumber"] == phone and otp[-1]["Message"].endswith("424242")
    raises(sns.verify_sms_sandbox_phone_number, "VerificationException", status=400,
           PhoneNumber=phone, OneTimePassword="000000")
    raises(sns.verify_sms_sandbox_phone_number, "ResourceNotFound", status=404,
           PhoneNumber="+15555550999", OneTimePassword="424242")
    sns.verify_sms_sandbox_phone_number(PhoneNumber=phone, OneTimePassword="424242")
    assert sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"] == [{"PhoneNumber": phone, "Status": "Verified"}]
    mid = sns.publish(PhoneNumber=phone, Message="your code")["MessageId"]
    sent = [d for d in deliveries(ferry, "dev", "sms") if d["MessageId"] == mid]
    assert sent[0]["Status"] == "Delivered" and sent[0]["Message"] == "your code"
    # opt-outs: a STOP reply (the seam), then OptInPhoneNumber
    assert sns.check_if_phone_number_is_opted_out(phoneNumber=phone)["isOptedOut"] is False
    s, _, _ = ferry.http("POST", f"/_ferry/sns/opt-out?Account={dev}&Region=us-east-1&PhoneNumber=%2B15555550123")
    assert s == 200
    assert sns.check_if_phone_number_is_opted_out(phoneNumber=phone)["isOptedOut"] is True
    assert sns.list_phone_numbers_opted_out()["phoneNumbers"] == [phone]
    mid = sns.publish(PhoneNumber=phone, Message="suppressed")["MessageId"]
    assert [d["Status"] for d in deliveries(ferry, "dev", "sms") if d["MessageId"] == mid] == ["OptedOut"]
    sns.opt_in_phone_number(phoneNumber=phone)
    assert sns.list_phone_numbers_opted_out()["phoneNumbers"] == []
    s, _, b = ferry.http("POST", f"/_ferry/sns/opt-out?Account={dev}&Region=us-east-1&PhoneNumber=call")
    assert s == 400 and b"InvalidParameter" in b
    raises(sns.check_if_phone_number_is_opted_out, "InvalidParameter", phoneNumber="call me")
    sns.delete_sms_sandbox_phone_number(PhoneNumber=phone)
    raises(sns.delete_sms_sandbox_phone_number, "ResourceNotFound", status=404, PhoneNumber=phone)
    raises(sns.list_sms_sandbox_phone_numbers, "InvalidParameter", MaxResults=500)


def test_data_protection_policy(ferry, sns):
    topic = sns.create_topic(Name="guarded")["TopicArn"]
    assert sns.get_data_protection_policy(ResourceArn=topic)["DataProtectionPolicy"] == ""
    policy = json.dumps({"Name": "p", "Description": "", "Version": "2021-06-01", "Statement": []})
    sns.put_data_protection_policy(ResourceArn=topic, DataProtectionPolicy=policy)
    assert sns.get_data_protection_policy(ResourceArn=topic)["DataProtectionPolicy"] == policy
    raises(sns.put_data_protection_policy, "InvalidParameter", ResourceArn=topic, DataProtectionPolicy="{nope")
    raises(sns.get_data_protection_policy, "NotFound", "Topic does not exist", 404, ResourceArn=topic + "x")
    # the aws CLI reads it too
    r = ferry.aws("sns", "get-data-protection-policy", "--resource-arn", topic, profile="dev", region="us-east-1")
    assert r.json["DataProtectionPolicy"] == policy


def test_endpoint_survives_kill9(ferry, sns):
    app = sns.create_platform_application(Name="durable", Platform="GCM", Attributes={
        "PlatformCredential": "k"})["PlatformApplicationArn"]
    ep = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="durable-token")["EndpointArn"]
    ferry.stop(signal.SIGKILL)
    ferry.start(env={"FERRY_SNS_SMS_OTP": "424242"})
    sns = ferry.client("sns", "dev", region="us-east-1")
    assert sns.get_endpoint_attributes(EndpointArn=ep)["Attributes"]["Token"] == "durable-token"


def test_topic_fans_out_to_push_and_sms_subscriptions(ferry, sns):
    dev = acct(ferry, "dev")
    app = sns.create_platform_application(Name="fanout", Platform="GCM", Attributes={
        "PlatformCredential": "k"})["PlatformApplicationArn"]
    on = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="fan-on")["EndpointArn"]
    off = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="fan-off",
                                       Attributes={"Enabled": "false"})["EndpointArn"]
    topic = sns.create_topic(Name="fanout")["TopicArn"]
    for ep in (on, off):
        sns.subscribe(TopicArn=topic, Protocol="application", Endpoint=ep)
    sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15555550777")
    mid = sns.publish(TopicArn=topic, Message="to all")["MessageId"]
    got = [d for d in deliveries(ferry, "dev") if d["MessageId"] == mid]
    assert sorted((d["Kind"], d.get("EndpointArn") or d["PhoneNumber"]) for d in got) == sorted(
        [("push", on), ("sms", "+15555550777")])  # the disabled endpoint gets nothing
    assert all(d["TopicArn"] == topic and d["Message"] == "to all" for d in got)


def test_deliveries_are_the_signed_callers_own(ferry, sns):
    """The record holds messages and one-time passwords: only a signed caller of the account,
    allowed sns:ListDeliveries (ferry's own action), reads it."""
    mid = sns.publish(TargetArn=sns.create_platform_endpoint(
        PlatformApplicationArn=sns.create_platform_application(
            Name="private", Platform="GCM", Attributes={"PlatformCredential": "k"})["PlatformApplicationArn"],
        Token="private-token")["EndpointArn"], Message="for dev only")["MessageId"]
    assert mid in [d["MessageId"] for d in deliveries(ferry, "dev")]
    s, _, b = ferry.http("GET", "/_ferry/sns/deliveries")
    assert s == 403 and b"MissingAuthenticationToken" in b
    assert mid not in [d["MessageId"] for d in deliveries(ferry, "qa")]
    user = ferry.user_client("sns", "dev", "nodeliveries", {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sns:ListTopics", "Resource": "*"}]})
    creds = user._request_signer._credentials
    s, _, b = ferry.signed_http("GET", "/_ferry/sns/deliveries", (creds.access_key, creds.secret_key), "sns")
    assert s == 403 and b"AuthorizationError" in b, b
