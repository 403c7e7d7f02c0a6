"""Why a call was refused, in the trail and in the simulator (issue 18's audit trail): a
refusal's CloudTrail event carries the policy decision in additionalEventData
({"ferry:decision": ...}: the deciding policy and statement for an explicit deny, the layer
with no allow for an implicit one) while errorCode and errorMessage stay as AWS words them;
SimulatePrincipalPolicy and SimulateCustomPolicy name the matched statements with AWS's
StartPosition and EndPosition."""
import json

import botocore
import pytest
from ferrytest import acct, code, message

SCP = "SERVICE_CONTROL_POLICY"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def refused_event(ferry, profile, name, client=None):
    """The newest event named name in profile's trail (or client's), with its CloudTrailEvent
    parsed; refusals are durable before their reply, so no waiting."""
    ct = client or ferry.client("cloudtrail", profile)
    events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName",
                                                  "AttributeValue": name}])["Events"]
    assert events, f"no {name} event"
    return json.loads(events[0]["CloudTrailEvent"])


def decision(ev):
    return ev["additionalEventData"]["ferry:decision"]


def position(text, offset):
    """AWS's Position just after the character at offset: line and column from 1, as the
    simulator counts them."""
    before = text[:offset + 1]
    line = before.count("\n") + 1
    return {"Line": line, "Column": offset + 2 - (before.rfind("\n") + 1)}


def span(text, stmt):
    """StartPosition and EndPosition of the statement stmt (as it is written in text)."""
    i = text.index(stmt)
    return position(text, i), position(text, i + len(stmt) - 1)


def user(ferry, profile, name, policy=None, managed=None):
    """A new user of profile's account and clients signed by it."""
    import boto3
    iam = ferry.client("iam", profile)
    u = iam.create_user(UserName=name)["User"]
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="inline-" + name,
                            PolicyDocument=json.dumps(policy))
    if managed:
        iam.attach_user_policy(UserName=name, PolicyArn=managed)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    region = ferry.client("sts", profile).meta.region_name

    def client(service):
        return boto3.client(service, endpoint_url=ferry.endpoint, region_name=region,
                            aws_access_key_id=k["AccessKeyId"],
                            aws_secret_access_key=k["SecretAccessKey"])
    return u, client


def test_identity_deny_names_the_inline_policy_and_its_sid(ferry):
    policy = doc({"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"},
                 {"Sid": "KeepQueues", "Effect": "Deny", "Action": "sqs:DeleteQueue",
                  "Resource": "*"})
    u, client = user(ferry, "dev", "ines", policy)
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="kept")["QueueUrl"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sqs.delete_queue(QueueUrl=url)
    assert code(e) == "AccessDenied"
    ev = refused_event(ferry, "dev", "DeleteQueue")
    # AWS's own wording is untouched
    assert ev["errorCode"] == "AccessDenied" and ev["errorMessage"] == message(e)
    assert ev["errorMessage"].endswith("with an explicit deny in an identity-based policy")
    d = decision(ev)
    assert d["type"] == "explicitDeny" and d["policyType"] == "identity"
    assert d["policy"] == {"name": "inline-ines", "inline": True, "attachedTo": u["Arn"]}
    assert d["statement"] == {"sid": "KeepQueues", "index": 1}
    assert "KeepQueues" in d["explanation"] and "inline-ines" in d["explanation"]
    # names, never the policy's text
    assert "Resource" not in json.dumps(d)
    # an allowed call has no decision
    sqs.list_queues()
    ok = refused_event(ferry, "dev", "CreateQueue")
    assert "errorCode" not in ok and "additionalEventData" not in ok

    # the simulator names the same statement, with where it is in the document
    iam = ferry.client("iam", "dev")
    r = iam.simulate_principal_policy(PolicySourceArn=u["Arn"], ActionNames=["sqs:DeleteQueue"])
    res = r["EvaluationResults"][0]
    assert res["EvalDecision"] == "explicitDeny"
    start, end = span(json.dumps(policy), json.dumps(policy["Statement"][1]))
    assert res["MatchedStatements"] == [{"SourcePolicyId": "inline-ines", "SourcePolicyType": "user",
                                         "StartPosition": start, "EndPosition": end}]


def test_identity_deny_in_a_managed_policy_without_sid(ferry):
    iam = ferry.client("iam", "dev")
    arn = iam.create_policy(PolicyName="NoTopics", PolicyDocument=json.dumps(doc(
        {"Effect": "Allow", "Action": "sns:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "sns:CreateTopic", "Resource": "*"})))["Policy"]["Arn"]
    u, client = user(ferry, "dev", "mona", managed=arn)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client("sns").create_topic(Name="t")
    assert code(e) == "AuthorizationError"
    d = decision(refused_event(ferry, "dev", "CreateTopic"))
    assert d["policyType"] == "identity" and d["policy"] == {"arn": arn}
    assert d["statement"] == {"index": 1}  # no Sid: its index
    assert "Statement[1]" in d["explanation"] and arn in d["explanation"]


def test_missing_allow_names_the_layer(ferry):
    u, client = user(ferry, "dev", "lou", doc({"Effect": "Allow", "Action": "sqs:ListQueues",
                                                "Resource": "*"}))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client("sqs").create_queue(QueueName="nope")
    assert "because no identity-based policy allows the sqs:CreateQueue action" in message(e)
    ev = refused_event(ferry, "dev", "CreateQueue")
    d = decision(ev)
    assert d["type"] == "implicitDeny" and d["policyType"] == "identity"
    assert "policy" not in d and "statement" not in d
    assert d["explanation"] == f"No identity-based policy of {u['Arn']} allows sqs:CreateQueue."
    r = ferry.client("iam", "dev").simulate_principal_policy(
        PolicySourceArn=u["Arn"], ActionNames=["sqs:CreateQueue", "sqs:ListQueues"])
    deny, allow = r["EvaluationResults"]
    assert deny["EvalDecision"] == "implicitDeny" and deny["MatchedStatements"] == []
    assert allow["EvalDecision"] == "allowed"
    m = allow["MatchedStatements"][0]
    assert m["SourcePolicyId"] == "inline-lou"
    assert m["StartPosition"]["Line"] == 1 and m["EndPosition"]["Column"] > m["StartPosition"]["Column"]


def test_scp_deny_and_scp_missing_allow(ferry, org, root, scps):
    qa = acct(ferry, "qa")
    ou = org.create_organizational_unit(ParentId=root, Name="Explained")["OrganizationalUnit"]["Id"]
    org.move_account(AccountId=qa, SourceParentId=root, DestinationParentId=ou)
    scp = org.create_policy(Name="NoQueues", Description="", Type=SCP, Content=json.dumps(doc(
        {"Sid": "NoTopics", "Effect": "Deny", "Action": "sns:CreateTopic", "Resource": "*"},
        {"Sid": "NoQueues", "Effect": "Deny", "Action": "sqs:CreateQueue", "Resource": "*"})))
    p = scp["Policy"]["PolicySummary"]
    try:
        org.attach_policy(PolicyId=p["Id"], TargetId=ou)
        with pytest.raises(botocore.exceptions.ClientError) as e:
            ferry.client("sqs", "qa").create_queue(QueueName="q")
        assert message(e).endswith("with an explicit deny in a service control policy")
        ev = refused_event(ferry, "qa", "CreateQueue")
        assert ev["errorMessage"] == message(e)
        d = decision(ev)
        assert d["type"] == "explicitDeny" and d["policyType"] == "scp"
        assert d["policy"] == {"arn": p["Arn"], "attachedTo": ou}
        assert d["statement"] == {"sid": "NoQueues", "index": 1}

        # the OU with only CloudTrail allowed: nothing on that level allows sqs:ListQueues
        allow_ct = org.create_policy(Name="TrailOnly", Description="", Type=SCP, Content=json.dumps(
            doc({"Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"})))
        cid = allow_ct["Policy"]["PolicySummary"]["Id"]
        org.attach_policy(PolicyId=cid, TargetId=ou)
        org.detach_policy(PolicyId="p-FullAWSAccess", TargetId=ou)
        try:
            with pytest.raises(botocore.exceptions.ClientError) as e:
                ferry.client("sqs", "qa").list_queues()
            assert "because no service control policy allows the sqs:ListQueues action" in message(e)
            d = decision(refused_event(ferry, "qa", "ListQueues"))
            assert d == {"type": "implicitDeny", "policyType": "scp", "attachedTo": ou,
                         "explanation": f"No service control policy attached to {ou} allows "
                                        "sqs:ListQueues: every level must allow it."}
        finally:
            org.attach_policy(PolicyId="p-FullAWSAccess", TargetId=ou)
            org.detach_policy(PolicyId=cid, TargetId=ou)
            org.delete_policy(PolicyId=cid)
    finally:
        org.detach_policy(PolicyId=p["Id"], TargetId=ou)
        org.move_account(AccountId=qa, SourceParentId=ou, DestinationParentId=root)
        org.delete_policy(PolicyId=p["Id"])
        org.delete_organizational_unit(OrganizationalUnitId=ou)


def test_resource_policy_deny_in_both_trails(ferry):
    dev, prod = acct(ferry, "dev"), acct(ferry, "prod")
    sqs = ferry.client("sqs", "dev")
    url = sqs.create_queue(QueueName="guarded")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = doc({"Sid": "ProdSends", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{prod}:root"},
                  "Action": "sqs:SendMessage", "Resource": qarn},
                 {"Sid": "ButNotReceives", "Effect": "Deny", "Principal": {"AWS": prod},
                  "Action": "sqs:ReceiveMessage", "Resource": qarn})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    other = ferry.client("sqs", "prod")
    other.send_message(QueueUrl=url, MessageBody="x")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        other.receive_message(QueueUrl=url)
    assert message(e).endswith("with an explicit deny in a resource-based policy")
    for profile in ("prod", "dev"):  # the caller's trail and the queue owner's
        d = decision(refused_event(ferry, profile, "ReceiveMessage"))
        assert d["type"] == "explicitDeny" and d["policyType"] == "resource"
        assert d["policy"] == {"resource": qarn}
        assert d["statement"] == {"sid": "ButNotReceives", "index": 1}

    # the simulator with the same resource policy, written over several lines
    text = json.dumps(policy, indent=4)
    r = ferry.client("iam", "dev").simulate_custom_policy(
        PolicyInputList=[json.dumps(doc({"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}))],
        ActionNames=["sqs:ReceiveMessage"], ResourceArns=[qarn], ResourcePolicy=text,
        CallerArn=f"arn:aws:iam::{dev}:user/someone")
    res = r["EvaluationResults"][0]
    assert res["EvalDecision"] == "allowed"  # the Deny names prod, not this caller
    r = ferry.client("iam", "dev").simulate_custom_policy(
        PolicyInputList=[json.dumps(doc({"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}))],
        ActionNames=["sqs:ReceiveMessage"], ResourceArns=[qarn],
        ResourcePolicy=json.dumps(doc({"Sid": "Nobody", "Effect": "Deny", "Principal": "*",
                                       "Action": "sqs:*", "Resource": qarn}), indent=4),
        CallerArn=f"arn:aws:iam::{dev}:user/someone")
    res = r["EvaluationResults"][0]
    assert res["EvalDecision"] == "explicitDeny"
    # the statement's braces: line 4 and line 10, eight spaces in (just after each)
    assert res["MatchedStatements"] == [{
        "SourcePolicyId": "ResourcePolicy", "SourcePolicyType": "resource",
        "StartPosition": {"Line": 4, "Column": 10}, "EndPosition": {"Line": 10, "Column": 10}}]


def test_custom_policy_positions_as_aws_documents_them(ferry):
    """The AWS CLI's own example: one line, the statement an object."""
    text = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*",'
            '"Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}')
    r = ferry.client("iam", "dev").simulate_custom_policy(
        PolicyInputList=[text], ActionNames=["dynamodb:CreateBackup"],
        ContextEntries=[{"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": ["2019-04-25T11:00:00Z"],
                         "ContextKeyType": "date"}])
    m = r["EvaluationResults"][0]["MatchedStatements"]
    assert m == [{"SourcePolicyId": "PolicyInputList.1", "SourcePolicyType": "none",
                  "StartPosition": {"Line": 1, "Column": 38},
                  "EndPosition": {"Line": 1, "Column": 167}}]
