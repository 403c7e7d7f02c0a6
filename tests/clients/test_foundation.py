"""Foundation through real clients: accounts and regions, STS, Organizations, CloudTrail,
SigV4 errors, open mode, bad input, durability. Debian's awscli and python3-boto3."""
import datetime
import json
import os
import signal
import socket
import time
import urllib.parse

import botocore
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest

MEMBERS = ["tools", "dev", "qa", "prod"]


def ident(ferry, profile, region=None):
    return ferry.aws("sts", "get-caller-identity", profile=profile, region=region).json


def test_health(ferry):
    status, headers, body = ferry.http("GET", "/_ferry/health")
    assert status == 200
    h = json.loads(body)
    # unsigned: whether it is up and which version, nothing about where and how it runs
    assert h == {"status": "ok", "version": h["version"]} and h["version"]
    assert ferry.data not in body.decode()
    signed = ferry.health("dev")
    assert signed["status"] == "ok"
    assert signed["store"].startswith("postgresql:" if ferry.store_args() else "sqlite:")
    assert signed["auth"] == "strict" and signed["uptime_seconds"] >= 0
    assert signed["parked_polls"] == 0
    # a signature that does not verify is an unsigned caller
    status, _, body = ferry.http("GET", "/_ferry/health", headers={
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/sts/"
                         "aws4_request, SignedHeaders=host, Signature=" + "0" * 64})
    assert status == 200 and set(json.loads(body)) == {"status", "version"}


def test_each_profile_is_its_own_account_in_two_regions(ferry):
    seen = {}
    for p in ["management"] + MEMBERS:
        for region in ("us-east-1", "eu-west-1"):
            r = ident(ferry, p, region)
            assert r["Arn"] == f"arn:aws:iam::{r['Account']}:root"
            assert r["UserId"] == r["Account"]
            seen.setdefault(p, set()).add(r["Account"])
    assert all(len(v) == 1 for v in seen.values())
    assert len({next(iter(v)) for v in seen.values()}) == 5


def test_boto3_sts_and_request_id(ferry):
    sts = ferry.client("sts", "dev", region="eu-central-1")
    r = sts.get_caller_identity()
    assert len(r["Account"]) == 12
    assert r["ResponseMetadata"]["RequestId"]
    assert r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"] == r["ResponseMetadata"]["RequestId"]


def test_organization(ferry):
    org = ferry.client("organizations", "management")
    mgmt = ident(ferry, "management")["Account"]
    o = org.describe_organization()["Organization"]
    assert o["MasterAccountId"] == mgmt and o["Id"].startswith("o-")
    assert o["Arn"] == f"arn:aws:organizations::{mgmt}:organization/{o['Id']}"
    accts = org.list_accounts()["Accounts"]
    assert {a["Name"] for a in accts} == {"management"} | set(MEMBERS)
    dev = ident(ferry, "dev")["Account"]
    a = org.describe_account(AccountId=dev)["Account"]
    assert a["Name"] == "dev" and a["Status"] == "ACTIVE"
    assert a["Arn"] == f"arn:aws:organizations::{mgmt}:account/{o['Id']}/{dev}"
    assert isinstance(a["JoinedTimestamp"], datetime.datetime)
    # a member sees the organization but cannot list it
    assert ferry.client("organizations", "dev").describe_organization()["Organization"]["Id"] == o["Id"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ferry.client("organizations", "dev").list_accounts()
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"


def test_ous_and_moves(ferry):
    org = ferry.client("organizations", "management")
    root = org.list_roots()["Roots"][0]
    assert root["Id"].startswith("r-") and root["Name"] == "Root"
    ou = org.create_organizational_unit(ParentId=root["Id"], Name="Workloads")["OrganizationalUnit"]
    assert ou["Id"].startswith("ou-" + root["Id"][2:] + "-")
    with pytest.raises(org.exceptions.DuplicateOrganizationalUnitException):
        org.create_organizational_unit(ParentId=root["Id"], Name="Workloads")
    with pytest.raises(org.exceptions.ParentNotFoundException):
        org.create_organizational_unit(ParentId="ou-zzzz-zzzzzzzz", Name="X")
    ous = org.list_organizational_units_for_parent(ParentId=root["Id"])["OrganizationalUnits"]
    assert [x["Name"] for x in ous] == ["Workloads"]
    qa = ident(ferry, "qa")["Account"]
    org.move_account(AccountId=qa, SourceParentId=root["Id"], DestinationParentId=ou["Id"])
    assert [a["Id"] for a in org.list_accounts_for_parent(ParentId=ou["Id"])["Accounts"]] == [qa]
    with pytest.raises(org.exceptions.DuplicateAccountException):
        org.move_account(AccountId=qa, SourceParentId=ou["Id"], DestinationParentId=ou["Id"])
    with pytest.raises(org.exceptions.SourceParentNotFoundException):
        org.move_account(AccountId=qa, SourceParentId=root["Id"], DestinationParentId=ou["Id"])
    with pytest.raises(org.exceptions.AccountNotFoundException):
        org.describe_account(AccountId="999999999999")


def test_create_account_and_pagination(ferry):
    org = ferry.client("organizations", "management")
    st = org.create_account(Email="sandbox@example.com", AccountName="sandbox")["CreateAccountStatus"]
    assert st["State"] == "IN_PROGRESS" and st["Id"].startswith("car-")
    done = org.describe_create_account_status(CreateAccountRequestId=st["Id"])["CreateAccountStatus"]
    assert done["State"] == "SUCCEEDED" and len(done["AccountId"]) == 12
    again = org.create_account(Email="sandbox@example.com", AccountName="sandbox2")["CreateAccountStatus"]
    failed = org.describe_create_account_status(CreateAccountRequestId=again["Id"])["CreateAccountStatus"]
    assert failed["State"] == "FAILED" and failed["FailureReason"] == "EMAIL_ALREADY_EXISTS"
    with pytest.raises(org.exceptions.CreateAccountStatusNotFoundException):
        org.describe_create_account_status(CreateAccountRequestId="car-00000000000000000000000000000000")
    pages = list(org.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) >= 3
    assert len({a["Id"] for p in pages for a in p["Accounts"]}) == 6
    r = ferry.aws("organizations", "list-accounts", "--max-items", "2", "--page-size", "1")
    assert len(r.json["Accounts"]) == 2 and r.json.get("NextToken")


def test_cli_organizations(ferry):
    r = ferry.aws("organizations", "list-roots")
    root = r.json["Roots"][0]["Id"]
    r = ferry.aws("organizations", "list-accounts-for-parent", "--parent-id", root)
    assert "management" in {a["Name"] for a in r.json["Accounts"]}
    r = ferry.aws("organizations", "describe-organization", profile="prod")
    assert r.json["Organization"]["FeatureSet"] == "ALL"


# --- SigV4 and authentication errors ---------------------------------------------------
def signed(ferry, service, region, params_or_body, akid, secret, *, target=None,
           when=None, token=None, tamper=False, json_body=False):
    url = ferry.endpoint + "/"
    if json_body:
        headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target}
        body = params_or_body
    else:
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        body = urllib.parse.urlencode(params_or_body)
    req = botocore.awsrequest.AWSRequest(method="POST", url=url, data=body, headers=headers)
    creds = botocore.credentials.Credentials(akid, secret, token)
    signer = botocore.auth.SigV4Auth(creds, service, region)
    if when:
        import unittest.mock
        with unittest.mock.patch("botocore.auth.datetime") as dt:
            dt.datetime.utcnow.return_value = when
            dt.datetime.now.return_value = when
            dt.timezone = datetime.timezone
            signer.add_auth(req)
    else:
        signer.add_auth(req)
    h = dict(req.headers)
    if tamper:
        h["Authorization"] = h["Authorization"][:-4] + "0000"
    return ferry.http("POST", "/", body=req.body if isinstance(req.body, bytes) else req.body.encode(), headers=h)


GCI = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}


def error_of(body):
    body = body.decode()
    if body.startswith("{"):
        j = json.loads(body)
        return j.get("__type"), j.get("message") or j.get("Message")
    import xml.etree.ElementTree as ET
    root = ET.fromstring(body)
    ns = {"a": root.tag.split("}")[0][1:]} if root.tag.startswith("{") else None
    def f(tag):
        el = root.find(f".//a:{tag}", ns) if ns else root.find(f".//{tag}")
        return el.text if el is not None else None
    return f("Code"), f("Message")


def test_unknown_key(ferry):
    s, h, b = signed(ferry, "sts", "us-east-1", GCI, "AKIAUNKNOWNUNKNOWN00", "x" * 40)
    assert s == 403 and error_of(b)[0] == "InvalidClientTokenId"
    s, h, b = signed(ferry, "organizations", "us-east-1", "{}", "AKIAUNKNOWNUNKNOWN00", "x" * 40,
                     target="AWSOrganizationsV20161128.DescribeOrganization", json_body=True)
    assert s == 400 and error_of(b)[0] == "UnrecognizedClientException"


def test_wrong_signature(ferry):
    akid, secret = ferry.keys("dev")
    s, h, b = signed(ferry, "sts", "us-east-1", GCI, akid, secret, tamper=True)
    assert s == 403 and error_of(b)[0] == "SignatureDoesNotMatch"
    s, h, b = signed(ferry, "sts", "us-east-1", GCI, akid, "wrong" + secret[5:])
    assert s == 403 and error_of(b)[0] == "SignatureDoesNotMatch"
    s, h, b = signed(ferry, "organizations", "us-east-1", "{}", akid, "wrong" + secret[5:],
                     target="AWSOrganizationsV20161128.DescribeOrganization", json_body=True)
    assert s == 400 and error_of(b)[0] == "InvalidSignatureException"
    s, h, b = signed(ferry, "sts", "us-east-1", GCI, akid, secret)
    assert s == 200


def test_old_request_is_refused(ferry):
    akid, secret = ferry.keys("dev")
    old = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
    s, h, b = signed(ferry, "sts", "us-east-1", GCI, akid, secret, when=old)
    code, msg = error_of(b)
    assert s == 403 and code == "SignatureDoesNotMatch" and "Signature expired" in msg
    ok = datetime.datetime.utcnow() - datetime.timedelta(minutes=10)
    assert signed(ferry, "sts", "us-east-1", GCI, akid, secret, when=ok)[0] == 200


def test_missing_and_malformed_auth(ferry):
    s, h, b = ferry.http("POST", "/", body=urllib.parse.urlencode(GCI).encode(),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert s == 403 and error_of(b)[0] == "MissingAuthenticationToken"
    s, h, b = ferry.http("POST", "/", body=urllib.parse.urlencode(GCI).encode(),
                         headers={"Content-Type": "application/x-www-form-urlencoded",
                                  "X-Amz-Date": "20260101T000000Z",
                                  "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAX/20260101/us-east-1/sts/aws4_request"})
    assert s == 400 and error_of(b)[0] == "IncompleteSignature"


def test_presigned_url(ferry):
    akid, secret = ferry.keys("qa")
    req = botocore.awsrequest.AWSRequest(method="GET", url=ferry.endpoint + "/?" + urllib.parse.urlencode(GCI))
    botocore.auth.SigV4QueryAuth(botocore.credentials.Credentials(akid, secret), "sts", "us-east-1", expires=60).add_auth(req)
    s, h, b = ferry.http("GET", req.url[len(ferry.endpoint):])
    assert s == 200 and b"<Account>" in b


# --- protocol errors -------------------------------------------------------------------
def test_validation_errors(ferry):
    from botocore.config import Config
    org = ferry.client("organizations", "management", config=Config(parameter_validation=False))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        org.describe_account()
    assert e.value.response["Error"]["Code"] in ("ValidationException", "InvalidInputException")
    assert "accountId" in e.value.response["Error"]["Message"]
    akid, secret = ferry.keys("dev")
    s, h, b = signed(ferry, "sts", "us-east-1", {"Action": "NoSuchThing", "Version": "2011-06-15"}, akid, secret)
    assert s == 400 and error_of(b)[0] == "InvalidAction"
    s, h, b = signed(ferry, "organizations", "us-east-1", "{}", akid, secret,
                     target="AWSOrganizationsV20161128.NoSuchThing", json_body=True)
    assert s == 400 and error_of(b)[0] == "UnknownOperationException"
    s, h, b = signed(ferry, "organizations", "us-east-1", "{not json", akid, secret,
                     target="AWSOrganizationsV20161128.DescribeOrganization", json_body=True)
    assert s == 400 and error_of(b)[0] == "SerializationException"
    s, h, b = signed(ferry, "organizations", "us-east-1", '{"AccountId": 12}', akid, secret,
                     target="AWSOrganizationsV20161128.DescribeAccount", json_body=True)
    assert s == 400 and "accountId" in error_of(b)[1]


# --- audit trail -----------------------------------------------------------------------
def test_cloudtrail_lookup_events(ferry):
    start = datetime.datetime.utcnow() - datetime.timedelta(seconds=2)
    ferry.aws("sts", "get-caller-identity", profile="prod")
    akid, secret = ferry.keys("prod")
    signed(ferry, "sts", "us-east-1", GCI, akid, "bad" + secret[3:])  # refused, audited
    ct = ferry.client("cloudtrail", "prod", region="us-east-1")
    ev = ct.lookup_events(StartTime=start, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetCallerIdentity"}])["Events"]
    assert len(ev) >= 2
    outcomes = [json.loads(e["CloudTrailEvent"]).get("errorCode") for e in ev]
    assert "SignatureDoesNotMatch" in outcomes and None in outcomes
    for e in ev:
        assert e["EventSource"] == "sts.amazonaws.com" and e["ReadOnly"] == "true"
        assert e["AccessKeyId"] == akid
        assert secret not in e["CloudTrailEvent"]
        detail = json.loads(e["CloudTrailEvent"])
        assert detail["userIdentity"]["arn"].endswith(":root") and detail["requestID"]
    # another account does not see them
    other = ferry.client("cloudtrail", "qa", region="us-east-1").lookup_events(
        StartTime=start, LookupAttributes=[{"AttributeKey": "AccessKeyId", "AttributeValue": akid}])
    assert other["Events"] == []
    r = ferry.aws("cloudtrail", "lookup-events", "--max-results", "1", "--lookup-attributes",
                  "AttributeKey=EventSource,AttributeValue=sts.amazonaws.com", profile="prod", region="us-east-1")
    assert r.json["Events"][0]["EventSource"] == "sts.amazonaws.com"
    with pytest.raises(ct.exceptions.InvalidLookupAttributesException):
        ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "a"},
                                           {"AttributeKey": "EventName", "AttributeValue": "b"}])
    with pytest.raises(ct.exceptions.InvalidTimeRangeException):
        ct.lookup_events(StartTime=datetime.datetime(2030, 1, 1), EndTime=datetime.datetime(2020, 1, 1))


def test_secrets_never_logged(ferry):
    for p in ["management"] + MEMBERS:
        _, secret = ferry.keys(p)
        assert secret not in open(ferry.log).read()


# --- bad input -------------------------------------------------------------------------
def test_bad_input_keeps_serving(ferry):
    # oversized body: refused from the headers alone, before it is sent
    with socket.create_connection(("127.0.0.1", ferry.port)) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: 20000000\r\n\r\n" + b"x" * 65536)
        sock.settimeout(5)
        head = sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 413") and b"RequestEntityTooLarge" in head
    # a chunked body from a caller not authenticated from its headers: 411 before the body
    with socket.create_connection(("127.0.0.1", ferry.port)) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * (1 << 20)
        try:
            for _ in range(18):
                sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass
        sock.settimeout(5)
        head = sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 411") and b"MissingContentLength" in head
    s, h, b = ferry.http("GET", "/?Action=Get%ZZ")
    assert 400 <= s < 500
    # a huge query string: 414 from libmicrohttpd
    with socket.create_connection(("127.0.0.1", ferry.port)) as sock:
        sock.sendall(b"GET /?" + b"x" * 300000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(5)
        assert sock.recv(100).startswith(b"HTTP/1.1 414")
    # thousands of parameters: refused before they overflow libmicrohttpd's pool (test_limits)
    stuck = socket.create_connection(("127.0.0.1", ferry.port))
    stuck.sendall(b"GET /?" + b"a=b&" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert ident(ferry, "dev")["Account"]
    stuck.close()
    s, h, b = ferry.http("POST", "/", body=b"\xff\xfe\x00garbage", headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Nope.Nope"})
    assert 400 <= s < 500
    # raw garbage on the socket
    with socket.create_connection(("127.0.0.1", ferry.port)) as sock:
        sock.sendall(b"\x00\x01GARBAGE / HTTP/9.9\r\n\r\n")
        sock.settimeout(5)
        try:
            sock.recv(100)
        except OSError:
            pass
    assert ident(ferry, "dev")["Account"]


# --- open mode -------------------------------------------------------------------------
def test_open_mode(open_ferry):
    import boto3
    sts = boto3.client("sts", endpoint_url=open_ferry.endpoint, region_name="ap-southeast-2",
                       aws_access_key_id="123456789012", aws_secret_access_key="anything")
    assert sts.get_caller_identity()["Account"] == "123456789012"
    sts = boto3.client("sts", endpoint_url=open_ferry.endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    assert sts.get_caller_identity()["Account"] == "000000000000"
    org = boto3.client("organizations", endpoint_url=open_ferry.endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    org.create_organization(FeatureSet="ALL")
    assert org.describe_organization()["Organization"]["MasterAccountId"] == "000000000000"
    sns = boto3.client("sns", endpoint_url=open_ferry.endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    sqs = boto3.client("sqs", endpoint_url=open_ferry.endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    topic = sns.create_topic(Name="before-reset")["TopicArn"]
    q = sqs.create_queue(QueueName="before-reset")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    sns.publish(TopicArn=topic, Message="cached now")
    s, h, b = open_ferry.http("POST", "/_ferry/reset")
    assert s == 200
    with pytest.raises(org.exceptions.AWSOrganizationsNotInUseException):
        org.describe_organization()
    # nothing survives in the services' caches either
    assert sns.list_topics()["Topics"] == []
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.publish(TopicArn=topic, Message="after reset")


def test_strict_refuses_reset(ferry):
    assert ferry.http("POST", "/_ferry/reset")[0] == 403
    assert ident(ferry, "dev")["Account"]


# --- durability and lifecycle ----------------------------------------------------------
def test_kill9_keeps_acknowledged_writes(ferry):
    org = ferry.client("organizations", "management")
    root = org.list_roots()["Roots"][0]["Id"]
    made = [org.create_organizational_unit(ParentId=root, Name=f"durable-{i}")["OrganizationalUnit"]["Id"]
            for i in range(20)]
    ferry.stop(signal.SIGKILL)
    ferry.start()
    org = ferry.client("organizations", "management")
    have = {o["Id"] for o in org.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"]}
    assert set(made) <= have


def test_sigterm_stops_cleanly(ferry):
    ferry.stop(signal.SIGTERM)
    assert ferry.proc.returncode == 0
    assert "stopped" in open(ferry.log).read()
    ferry.start()
    assert ident(ferry, "dev")["Account"]
