"""Encoded authorization failure messages through boto3 and the aws CLI: EC2's refusals
carry one, STS DecodeAuthorizationMessage opens it (with sts:DecodeAuthorizationMessage, in
the refused principal's account only) as AWS's JSON document, refuses altered or foreign
messages, and keeps opening them after kill -9."""
import json
import re
import signal

import boto3
import pytest

from ferrytest import acct, raises

ENCODED = re.compile(r"^You are not authorized to perform this operation\. (User: .*)\. "
                     r"Encoded authorization failure message: ([A-Za-z0-9_-]+)$")


@pytest.fixture(scope="module")
def carl(ferry):
    """An IAM user of dev that may describe VPCs and nothing else of EC2, denied CreateVpc."""
    iam = ferry.client("iam", "dev", region="us-east-1")
    iam.create_user(UserName="carl")
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ec2:DescribeVpcs", "Resource": "*"},
        {"Sid": "NoVpcs", "Effect": "Deny", "Action": "ec2:CreateVpc", "Resource": "*"}]}
    iam.put_user_policy(UserName="carl", PolicyName="p", PolicyDocument=json.dumps(doc))
    k = iam.create_access_key(UserName="carl")["AccessKey"]
    arn = iam.get_user(UserName="carl")["User"]["Arn"]
    sess = boto3.session.Session(aws_access_key_id=k["AccessKeyId"],
                                 aws_secret_access_key=k["SecretAccessKey"],
                                 region_name="us-east-1")
    return sess, arn, k


def refusal(fn, **kw):
    """(message before the encoded part, encoded message) of an UnauthorizedOperation."""
    msg = raises(fn, "UnauthorizedOperation", status=403, **kw)
    m = ENCODED.match(msg)
    assert m, msg
    return m.group(1), m.group(2)


def conditions(doc):
    return {c["key"]: [v["value"] for v in c["values"]["items"]]
            for c in doc["context"]["conditions"]["items"]}


def test_explicit_deny_decoded(ferry, carl):
    sess, arn, k = carl
    ec2 = sess.client("ec2", endpoint_url=ferry.endpoint)
    ec2.describe_vpcs()
    text, token = refusal(ec2.create_vpc, CidrBlock="10.0.0.0/16")
    assert text.startswith(f"User: {arn} is not authorized to perform: ec2:CreateVpc")
    assert text.endswith("with an explicit deny in an identity-based policy")
    assert len(token) < 10240

    # carl may not decode it; the account's root may
    raises(sess.client("sts", endpoint_url=ferry.endpoint).decode_authorization_message,
           "AccessDenied", status=403, EncodedMessage=token)
    sts = ferry.client("sts", "dev", region="us-east-1")
    doc = json.loads(sts.decode_authorization_message(EncodedMessage=token)["DecodedMessage"])
    assert doc["allowed"] is False and doc["explicitDeny"] is True
    assert [s["statementId"] for s in doc["matchedStatements"]["items"]] == ["NoVpcs"]
    assert doc["matchedStatements"]["items"][0]["effect"] == "DENY"
    assert doc["failures"] == {"items": []}
    ctx = doc["context"]
    assert ctx["principal"]["arn"] == arn and ctx["principal"]["name"] == "carl"
    assert ctx["principal"]["id"].startswith("AIDA")
    assert ctx["action"] == "ec2:CreateVpc" and ctx["resource"].startswith("arn:aws:ec2:us-east-1:")
    cond = conditions(doc)
    assert cond["aws:RequestedRegion"] == ["us-east-1"]
    assert cond["aws:username"] == ["carl"] and cond["aws:PrincipalArn"] == [arn]
    assert "aws:MultiFactorAuthPresent" not in cond  # long-term keys
    # no credentials in it
    raw = json.dumps(doc)
    assert k["SecretAccessKey"] not in raw and k["AccessKeyId"] not in raw


def test_implicit_deny_and_session(ferry, carl):
    sess, arn, k = carl
    ec2 = sess.client("ec2", endpoint_url=ferry.endpoint)
    text, token = refusal(ec2.create_internet_gateway)
    assert text.endswith("because no identity-based policy allows the "
                         "ec2:CreateInternetGateway action")
    sts = ferry.client("sts", "dev", region="us-east-1")
    doc = json.loads(sts.decode_authorization_message(EncodedMessage=token)["DecodedMessage"])
    assert doc["explicitDeny"] is False and doc["matchedStatements"]["items"] == []
    # a session's refusal: the context says it had no MFA, and holds no session token
    creds = sess.client("sts", endpoint_url=ferry.endpoint).get_session_token()["Credentials"]
    s_ec2 = boto3.client("ec2", endpoint_url=ferry.endpoint, region_name="us-east-1",
                         aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"])
    _, token = refusal(s_ec2.create_internet_gateway)
    out = sts.decode_authorization_message(EncodedMessage=token)["DecodedMessage"]
    assert conditions(json.loads(out))["aws:MultiFactorAuthPresent"] == ["false"]
    assert creds["SessionToken"] not in out and creds["SecretAccessKey"] not in out


def test_foreign_and_altered_messages(ferry, carl):
    sess, _, _ = carl
    _, token = refusal(sess.client("ec2", endpoint_url=ferry.endpoint).create_internet_gateway)
    other = ferry.client("sts", "management", region="us-east-1")
    assert acct(ferry, "management") != acct(ferry, "dev")
    raises(other.decode_authorization_message, "InvalidAuthorizationMessageException",
           status=400, EncodedMessage=token)
    sts = ferry.client("sts", "dev", region="us-east-1")
    flipped = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
    for bad in (flipped, token[:-2], token + "\n", "not a message", "QUJD"):
        raises(sts.decode_authorization_message, "InvalidAuthorizationMessageException",
               status=400, EncodedMessage=bad)

    # the key survives kill -9: the message still opens
    ferry.stop(signal.SIGKILL)
    ferry.start()
    doc = json.loads(ferry.client("sts", "dev", region="us-east-1").decode_authorization_message(
        EncodedMessage=token)["DecodedMessage"])
    assert doc["context"]["action"] == "ec2:CreateInternetGateway"


def test_cli_decode(ferry, carl):
    sess, arn, _ = carl
    _, token = refusal(sess.client("ec2", endpoint_url=ferry.endpoint).create_internet_gateway)
    r = ferry.aws("sts", "decode-authorization-message", "--encoded-message", token,
                  profile="dev", region="us-east-1")
    doc = json.loads(r.json["DecodedMessage"])
    assert doc["context"]["principal"]["arn"] == arn
