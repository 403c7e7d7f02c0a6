"""Hostile input through the wire (issue 9): YAML alias bombs, NUL bytes in decoded values,
signature scopes naming regions that do not exist. Raw requests are signed with botocore's
signer, so they reach the server exactly as a client that skips its own checks sends them."""
import json
import os
import urllib.parse

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.exceptions
import pytest


def peak_rss_kib(ferry):
    """The server's peak resident set (VmHWM), in KiB."""
    for line in open(f"/proc/{ferry.proc.pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def alias_bomb(refs, lists):
    """The issue's template: a 20,000-character anchored string, referenced `refs` times in
    an anchored list, that list referenced `lists` times."""
    return ("AWSTemplateFormatVersion: '2010-09-09'\n"
            "Description: &s " + "x" * 20000 + "\n"
            "Metadata:\n  L: &l [" + ", ".join(["*s"] * refs) + "]\n"
            "  M: [" + ", ".join(["*l"] * lists) + "]\n"
            "Resources:\n  T: {Type: 'AWS::SNS::Topic'}\n")


def test_yaml_alias_bombs_are_refused_in_little_memory(ferry):
    cfn = ferry.client("cloudformation", "dev", region="us-east-1")
    before = peak_rss_kib(ferry)
    # the 23 KB expanding to 800 MB, and 25 KB expanding to 3.8 GB (as its 28.7 KB
    # variant took 3.7 GB); refused in under 0.1 s with the peak RSS 9 MB higher (measured)
    for refs, lists in ((1000, 40), (1000, 190)):
        body = alias_bomb(refs, lists)
        assert len(body) < 51200
        with pytest.raises(botocore.exceptions.ClientError) as ei:
            cfn.validate_template(TemplateBody=body)
        err = ei.value.response["Error"]
        assert err["Code"] == "ValidationError"
        assert err["Message"].startswith("Template format error: ")
        assert "bytes" in err["Message"]
    # generous: the bound is 8 MiB of text; unbounded, the first bomb alone took 818 MiB
    assert peak_rss_kib(ferry) - before < 200 * 1024
    # a template that uses anchors within the bound still validates
    ok = ("Resources:\n  T: {Type: 'AWS::SNS::Topic', Properties: {DisplayName: &d x}}\n"
          "  U: {Type: 'AWS::SNS::Topic', Properties: {DisplayName: *d}}\n")
    assert cfn.validate_template(TemplateBody=ok)["Parameters"] == []


# --- NUL bytes ----------------------------------------------------------------------------
def signed(ferry, profile, service, body, *, region="us-east-1", headers=None, path="/",
           method="POST", query=""):
    """A request signed with profile's key as botocore signs it; (status, error code, body)."""
    akid, secret = ferry.keys(profile)
    h = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    h.update(headers or {})
    data = body if isinstance(body, (bytes, str)) else urllib.parse.urlencode(body)
    url = ferry.endpoint + path + ("?" + query if query else "")
    req = botocore.awsrequest.AWSRequest(method=method, url=url, data=data, headers=h)
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(akid, secret), service,
                            region).add_auth(req)
    p = req.prepare()
    raw = data.encode() if isinstance(data, str) else data
    status, _, out = ferry.http(method, p.url[len(ferry.endpoint):], body=raw or None,
                                headers=dict(p.headers))
    return status, error_code(out), out


def error_code(body):
    text = body.decode(errors="replace")
    if text.startswith("{"):
        t = json.loads(text).get("__type", "")
        return t.split("#")[-1] or None
    i = text.find("<Code>")
    return text[i + 6:text.index("</Code>")] if i >= 0 else None


def sqs_form(action, **kw):
    return dict(Action=action, Version="2012-11-05", **kw)


def iam_form(action, **kw):
    return dict(Action=action, Version="2010-05-08", **kw)


def test_nul_in_query_values_is_refused_and_creates_nothing(ferry):
    sqs = ferry.client("sqs", "dev", region="us-east-1")
    iam = ferry.client("iam", "dev")
    for name in ("bad\0name", "nulq\0.fifo"):
        status, code, body = signed(ferry, "dev", "sqs", sqs_form("CreateQueue", QueueName=name))
        assert (status, code) == (400, "InvalidParameterValue"), body
        assert b"null characters" in body
    assert "QueueUrls" not in sqs.list_queues()  # neither "bad" nor "nulq" was made
    # a parameter name carrying a NUL is not the name it would be cut to
    status, code, _ = signed(ferry, "dev", "sqs", "Action=CreateQueue&Version=2012-11-05"
                                                  "&QueueName%00x=cut")
    assert (status, code) == (400, "InvalidParameterValue")
    assert "QueueUrls" not in sqs.list_queues()

    status, code, body = signed(ferry, "dev", "iam", iam_form("CreateUser",
                                                              UserName="nuluser\0/../x"))
    assert (status, code) == (400, "ValidationError"), body
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName="nuluser")

    doc = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]})
    status, code, _ = signed(ferry, "dev", "iam", iam_form(
        "CreatePolicy", PolicyName="nulpol", PolicyDocument=doc + "\0garbage"))
    assert (status, code) == (400, "ValidationError")
    assert not [p for p in iam.list_policies(Scope="Local")["Policies"]
                if p["PolicyName"] == "nulpol"]

    url = sqs.create_queue(QueueName="nulsend")["QueueUrl"]
    status, code, _ = signed(ferry, "dev", "sqs", sqs_form("SendMessage", QueueUrl=url + "\0zz",
                                                           MessageBody="m"))
    assert (status, code) == (400, "InvalidParameterValue")
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)


def test_nul_in_json_and_rest_is_refused(ferry):
    sqs = ferry.client("sqs", "dev", region="us-east-1")
    json_h = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.CreateQueue"}
    status, code, _ = signed(ferry, "dev", "sqs", '{"QueueName": "jnul\\u0000x"}', headers=json_h)
    assert status == 400 and code == "SerializationException"
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="jnul")
    # rest-json: a path segment with %00 (Access Analyzer's GetAnalyzer)
    status, code, body = signed(ferry, "dev", "access-analyzer", "", method="GET",
                                path="/analyzer/bad%00name", headers={"Content-Type": ""})
    assert (status, code) == (400, "ValidationException"), body
    assert b"null characters" in body


# --- regions ------------------------------------------------------------------------------
BAD_REGIONS = ("bogus-region-9", "us-east-1'<x>")


def test_unknown_regions_are_refused_and_added_ones_served(tmp_path):
    from ferrytest import Ferry
    f = Ferry().start()
    try:
        f.init()
        for region in BAD_REGIONS:
            status, code, body = signed(f, "dev", "sqs", sqs_form("CreateQueue", QueueName="rq"),
                                        region=region)
            assert (status, code) == (403, "SignatureDoesNotMatch"), body
            assert b"Credential should be scoped to a valid region" in body
            # json protocol: the same refusal, worded the json way
            status, code, _ = signed(f, "dev", "sqs", '{"QueueName": "rq"}', region=region,
                                     headers={"Content-Type": "application/x-amz-json-1.0",
                                              "X-Amz-Target": "AmazonSQS.CreateQueue"})
            assert (status, code) == (400, "InvalidSignatureException")
            # presigned: the region of X-Amz-Credential
            akid, secret = f.keys("dev")
            req = botocore.awsrequest.AWSRequest(
                method="GET", url=f.endpoint + "/?Action=GetCallerIdentity&Version=2011-06-15")
            botocore.auth.SigV4QueryAuth(botocore.credentials.Credentials(akid, secret), "sts",
                                         region, expires=60).add_auth(req)
            status, _, body = f.http("GET", req.url[len(f.endpoint):])
            assert status == 403 and error_code(body) == "SignatureDoesNotMatch", body
        # the real partitions' regions are served
        for region in ("us-gov-west-1", "cn-north-1", "ap-southeast-2"):
            status, _, body = signed(f, "dev", "sqs", sqs_form("ListQueues"), region=region)
            assert status == 200, body
        # X-Amz-Expires=0 is refused (AWS requires 1 to 604800)
        akid, secret = f.keys("dev")
        req = botocore.awsrequest.AWSRequest(
            method="GET", url=f.endpoint + "/?Action=GetCallerIdentity&Version=2011-06-15")
        botocore.auth.SigV4QueryAuth(botocore.credentials.Credentials(akid, secret), "sts",
                                     "us-east-1", expires=0).add_auth(req)
        status, _, body = f.http("GET", req.url[len(f.endpoint):])
        assert status == 400 and b"X-Amz-Expires must be at least 1" in body, body
        # the same server with bogus-region-9 added: it is served, and nothing was created
        # there while it was refused
        f.stop()
        f.extra = ["--regions", "bogus-region-9,lab-west-1"]
        f.start()
        sqs = f.client("sqs", "dev", region="bogus-region-9")
        assert "QueueUrls" not in sqs.list_queues()
        url = sqs.create_queue(QueueName="rq")["QueueUrl"]
        assert sqs.list_queues()["QueueUrls"] == [url]
        status, code, _ = signed(f, "dev", "sqs", sqs_form("ListQueues"), region="us-east-1'<x>")
        assert (status, code) == (403, "SignatureDoesNotMatch")
    finally:
        f.close()


def test_serve_and_init_check_regions(tmp_path):
    import subprocess
    from ferrytest import FERRY_BIN, Ferry
    r = subprocess.run([FERRY_BIN, "serve", "--regions", "us-east-1'<x>"], capture_output=True,
                       text=True)
    assert r.returncode == 2 and "not a region name" in r.stderr
    f = Ferry().start()
    try:
        args = [FERRY_BIN, "init", "--data", f.data, "--aws-config", f.awsdir,
                "--endpoint-url", f.endpoint]
        r = subprocess.run(args + ["--region", "bogus-region-9"], capture_output=True, text=True)
        assert r.returncode == 1 and "bogus-region-9" in r.stderr
        assert not os.path.exists(os.path.join(f.awsdir, "config"))
        cfg = tmp_path / "org.yaml"
        cfg.write_text("region: local-1\n")
        r = subprocess.run(args + ["--config", str(cfg)], capture_output=True, text=True)
        assert r.returncode == 1 and "local-1" in r.stderr
        r = subprocess.run(args + ["--config", str(cfg), "--regions", "local-1"],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert "region = local-1" in open(os.path.join(f.awsdir, "config")).read()
    finally:
        f.close()


def test_stack_set_instances_only_in_served_regions(ferry):
    cfn = ferry.client("cloudformation", "management", region="us-east-1")
    acct = ferry.client("sts", "dev").get_caller_identity()["Account"]
    cfn.create_stack_set(StackSetName="regions",
                         TemplateBody="Resources:\n  T: {Type: 'AWS::SNS::Topic'}\n")
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        cfn.create_stack_instances(StackSetName="regions", Accounts=[acct],
                                   Regions=["us-east-1", "bogus-region-9"])
    assert ei.value.response["Error"]["Code"] == "ValidationError"
    assert "bogus-region-9" in ei.value.response["Error"]["Message"]
    assert cfn.list_stack_instances(StackSetName="regions")["Summaries"] == []


def test_nul_in_a_yaml_template_is_refused(ferry):
    cfn = ferry.client("cloudformation", "dev", region="us-east-1")
    sqs = ferry.client("sqs", "dev", region="us-east-1")
    body = ("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n"
            "    Properties: {QueueName: \"ynul\\0name\"}\n")
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        cfn.create_stack(StackName="ynul", TemplateBody=body)
    err = ei.value.response["Error"]
    assert err["Code"] == "ValidationError"
    assert err["Message"].startswith("Template format error: ")
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="ynul")
