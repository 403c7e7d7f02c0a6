"""CloudFormation custom resources through boto3 (AWS::CloudFormation::CustomResource and
Custom::*): the request AWS sends to a Lambda ServiceToken (real Python functions answering
with the cfnresponse module or a raw urllib PUT) or an SNS one (the test answers, reading the
request from an SQS subscription), the ResponseURL ferry serves, FAILED responses, Data
through Fn::GetAtt, NoEcho, replacement by a new PhysicalResourceId, the ServiceTimeout, a
cross-account lookup function, and a stack that waits across kill -9."""
import json
import signal
import time
import urllib.error
import urllib.request

import pytest
from ferrytest import Ferry, acct, zipped

REGION = "us-east-1"
# FERRY_CFN_CUSTOM_TIMEOUT_SCALE: 3600 s (AWS's default) becomes 7.2 s, 1000 s 2 s
SEAM = {"FERRY_CFN_CUSTOM_TIMEOUT_SCALE": "0.002"}
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


@pytest.fixture(scope="module")
def fx():
    f = Ferry().start(env=SEAM)
    f.init()
    yield f
    f.close()


def cfn(fx, profile="dev"):
    return fx.client("cloudformation", profile, region=REGION)


def wait(c, name, timeout=60):
    deadline = time.time() + timeout
    while True:
        s = c.describe_stacks(StackName=name)["Stacks"][0]
        if not s["StackStatus"].endswith("_IN_PROGRESS"):
            return s
        assert time.time() < deadline, s["StackStatus"]
        time.sleep(0.05)


def outputs(s):
    return {o["OutputKey"]: o["OutputValue"] for o in s.get("Outputs", [])}


def reasons(c, name):
    return [e.get("ResourceStatusReason", "") for e in
            c.describe_stack_events(StackName=name)["StackEvents"] if e["ResourceStatus"].endswith("FAILED")]


def put(url, body):
    data = json.dumps(body).encode() if not isinstance(body, bytes) else body
    req = urllib.request.Request(url, data=data, method="PUT", headers={"Content-Type": ""})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def respond(ev, status="SUCCESS", physical=None, data=None, reason=None, no_echo=False):
    body = {"Status": status, "PhysicalResourceId": physical or ev.get("PhysicalResourceId", "p"),
            "StackId": ev["StackId"], "RequestId": ev["RequestId"],
            "LogicalResourceId": ev["LogicalResourceId"], "NoEcho": no_echo, "Data": data or {}}
    if reason:
        body["Reason"] = reason
    return put(ev["ResponseURL"], body)


class Responder:
    """An SNS topic whose requests the test reads from an SQS subscription and answers."""

    def __init__(self, fx, name, profile="dev"):
        self.sns = fx.client("sns", profile, region=REGION)
        self.sqs = fx.client("sqs", profile, region=REGION)
        self.topic = self.sns.create_topic(Name=name)["TopicArn"]
        self.url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        qarn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.sqs.set_queue_attributes(QueueUrl=self.url, Attributes={"Policy": json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage", "Resource": qarn}]})})
        self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=qarn)
        self.seen = []  # the SNS MessageIds of the requests read, for the failures' messages

    def next(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = self.sqs.receive_message(QueueUrl=self.url, WaitTimeSeconds=1, MaxNumberOfMessages=1)
            for m in r.get("Messages", []):
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"])
                env = json.loads(m["Body"])
                assert env["Subject"] == "AWS CloudFormation custom resource request"
                self.seen.append(env["MessageId"])
                return json.loads(env["Message"])
        raise AssertionError("no custom resource request arrived")

    def none(self, killed=False):
        """No new request arrives. killed: the node that published was killed with SIGKILL,
        and SNS (at least once, as AWS's) may deliver a request already read once more: the
        kill can fall between the message's store in the queue and the record of it."""
        while True:
            r = self.sqs.receive_message(QueueUrl=self.url, WaitTimeSeconds=1, MaxNumberOfMessages=10)
            msgs = r.get("Messages", [])
            ids = [json.loads(m["Body"]).get("MessageId") for m in msgs]
            new = [i for i in ids if not killed or i not in self.seen]
            assert not new, (f"MessageIds {new} after {self.seen}", msgs)
            if not msgs:
                return
            for m in msgs:
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"])


def custom_tpl(token, props, extra_out=None, type_="Custom::Thing"):
    return json.dumps({"Resources": {"Thing": {"Type": type_, "Properties": {"ServiceToken": token, **props}}},
                       "Outputs": {"Ref": {"Value": {"Ref": "Thing"}},
                                   **({"Out": {"Value": {"Fn::GetAtt": ["Thing", "Out"]}}} if extra_out else {})}})


def test_sns_token_create_update_replace_delete(fx):
    r = Responder(fx, "custom-requests")
    c = cfn(fx)
    props = {"Num": 5, "Flag": True, "List": [1, "a", False], "Nested": {"K": 2.5, "S": "x"}}
    sid = c.create_stack(StackName="custom-sns", TemplateBody=custom_tpl(r.topic, props, True))["StackId"]
    ev = r.next()
    assert ev["RequestType"] == "Create"
    assert ev["StackId"] == sid and ev["LogicalResourceId"] == "Thing"
    assert ev["ResourceType"] == "Custom::Thing" and ev["ServiceToken"] == r.topic
    # values as AWS stringifies them, ServiceToken among the properties
    assert ev["ResourceProperties"] == {"ServiceToken": r.topic, "Num": "5", "Flag": "true",
                                        "List": ["1", "a", "false"], "Nested": {"K": "2.5", "S": "x"}}
    assert "PhysicalResourceId" not in ev and "OldResourceProperties" not in ev
    assert len(ev["RequestId"]) == 36
    assert ev["ResponseURL"].startswith(fx.endpoint + "/_ferry/cloudformation/custom/")
    # the URL is signed: another signature, or another request's path, is refused
    bad = ev["ResponseURL"].replace("Signature=", "Signature=0")[:-1]
    assert put(bad, {"Status": "SUCCESS"}) == 403
    # refused as S3 refuses a presigned URL whose signature does not match
    req = urllib.request.Request(bad, data=b"{}", method="PUT", headers={"Content-Type": ""})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req)
    body = refused.value.read().decode()
    assert refused.value.headers["Content-Type"] == "application/xml"
    assert "<Error><Code>SignatureDoesNotMatch</Code>" in body and "<RequestId>" in body, body
    assert put(ev["ResponseURL"].replace(ev["RequestId"], "0" * 36), {"Status": "SUCCESS"}) == 403
    assert respond(ev, physical="phys-1", data={"Out": "first"}) == 200
    s = wait(c, sid)
    assert s["StackStatus"] == "CREATE_COMPLETE", reasons(c, sid)
    assert outputs(s) == {"Ref": "phys-1", "Out": "first"}
    res = c.describe_stack_resource(StackName=sid, LogicalResourceId="Thing")["StackResourceDetail"]
    assert res["PhysicalResourceId"] == "phys-1" and res["ResourceType"] == "Custom::Thing"

    # an update: old and new properties, the physical id; a new id is a replacement
    c.update_stack(StackName=sid, TemplateBody=custom_tpl(r.topic, {**props, "Num": 6}, True))
    ev = r.next()
    assert ev["RequestType"] == "Update" and ev["PhysicalResourceId"] == "phys-1"
    assert ev["ResourceProperties"]["Num"] == "6" and ev["OldResourceProperties"]["Num"] == "5"
    assert respond(ev, physical="phys-2", data={"Out": "second"}) == 200
    ev = r.next()  # the cleanup deletes the replaced one, with its own properties
    assert ev["RequestType"] == "Delete" and ev["PhysicalResourceId"] == "phys-1"
    assert ev["ResourceProperties"]["Num"] == "5"
    assert respond(ev) == 200
    s = wait(c, sid)
    assert s["StackStatus"] == "UPDATE_COMPLETE", reasons(c, sid)
    assert outputs(s) == {"Ref": "phys-2", "Out": "second"}

    # the same id: an update in place, no Delete
    c.update_stack(StackName=sid, TemplateBody=custom_tpl(r.topic, {**props, "Num": 7}))
    ev = r.next()
    assert ev["RequestType"] == "Update" and ev["PhysicalResourceId"] == "phys-2"
    assert respond(ev, physical="phys-2") == 200
    assert wait(c, sid)["StackStatus"] == "UPDATE_COMPLETE", reasons(c, sid)

    # the service token cannot change
    other = Responder(fx, "custom-other")
    c.update_stack(StackName=sid, TemplateBody=custom_tpl(other.topic, {**props, "Num": 8}))
    ev = r.next()  # the rollback sends the old token an Update back to the old properties
    assert ev["RequestType"] == "Update" and ev["ResourceProperties"]["Num"] == "7"
    assert ev["OldResourceProperties"]["ServiceToken"] == other.topic
    assert respond(ev, physical="phys-2") == 200
    s = wait(c, sid)
    assert s["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert "Modifying service token is not allowed." in reasons(c, sid)

    c.delete_stack(StackName=sid)
    ev = r.next()
    assert ev["RequestType"] == "Delete" and ev["PhysicalResourceId"] == "phys-2"
    assert ev["ResourceProperties"]["Num"] == "7"
    # a response that arrives twice counts once
    assert respond(ev) == 200
    assert wait(c, sid)["StackStatus"] == "DELETE_COMPLETE"


def test_failed_response_and_bad_responses(fx):
    r = Responder(fx, "custom-failing")
    c = cfn(fx)
    sid = c.create_stack(StackName="custom-fail", TemplateBody=custom_tpl(
        r.topic, {}, type_="AWS::CloudFormation::CustomResource"))["StackId"]
    ev = r.next()
    assert ev["ResourceType"] == "AWS::CloudFormation::CustomResource"
    assert respond(ev, status="FAILED", physical="half-made", reason="the vendor said no") == 200
    # AWS: the rollback sends the failed create's physical id a Delete
    dl = r.next()
    assert dl["RequestType"] == "Delete" and dl["PhysicalResourceId"] == "half-made"
    assert respond(dl) == 200
    s = wait(c, sid)
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    assert (f"Received response status [FAILED] from custom resource. Message returned: "
            f"the vendor said no (RequestId: {ev['RequestId']})") in reasons(c, sid)

    # SUCCESS without a physical id; a response over 4096 bytes
    for body, why in (({"Status": "SUCCESS"}, "Invalid PhysicalResourceId"),
                      ({"Status": "SUCCESS", "PhysicalResourceId": "p", "Data": {"x": "y" * 5000}},
                       "Response object is too long.")):
        name = "custom-bad" + str(len(why))
        sid = c.create_stack(StackName=name, TemplateBody=custom_tpl(r.topic, {}))["StackId"]
        ev = r.next()
        assert put(ev["ResponseURL"], body) == 200
        dl = r.next()  # with an id CloudFormation makes up when the response has none
        assert dl["RequestType"] == "Delete" and dl["PhysicalResourceId"]
        assert respond(dl) == 200
        assert wait(c, sid)["StackStatus"] == "ROLLBACK_COMPLETE"
        assert why in reasons(c, sid)


def test_timeout_and_service_timeout_checks(fx):
    r = Responder(fx, "custom-silent")
    c = cfn(fx)
    t0 = time.time()
    sid = c.create_stack(StackName="custom-timeout", TemplateBody=custom_tpl(
        r.topic, {"ServiceTimeout": 1000}))["StackId"]
    ev = r.next()
    assert ev["ResourceProperties"]["ServiceTimeout"] == "1000"
    s = wait(c, sid)
    assert s["StackStatus"] == "ROLLBACK_COMPLETE"
    assert time.time() - t0 < 15
    assert (f"CloudFormation did not receive a response from your Custom Resource. Please check "
            f"your logs for requestId [{ev['RequestId']}].") in " ".join(reasons(c, sid))
    # a late response finds nothing waiting; no Delete follows a create never answered
    assert respond(ev) == 403
    r.none()
    for bad in (0, 3601, "x"):
        sid = c.create_stack(StackName="custom-st", TemplateBody=custom_tpl(r.topic, {"ServiceTimeout": bad}))["StackId"]
        assert wait(c, sid)["StackStatus"] == "ROLLBACK_COMPLETE"
        assert any("ServiceTimeout" in x for x in reasons(c, sid))
        c.delete_stack(StackName=sid)
        wait(c, sid)
    r.none()
    # no ServiceToken; a token that is no ARN
    sid = c.create_stack(StackName="custom-notoken", TemplateBody=json.dumps(
        {"Resources": {"T": {"Type": "Custom::X", "Properties": {"A": "b"}}}}))["StackId"]
    assert wait(c, sid)["StackStatus"] == "ROLLBACK_COMPLETE"
    assert any("required key [ServiceToken] not found" in x for x in reasons(c, sid))
    # an invalid custom type name is refused up front
    with pytest.raises(Exception) as ei:
        c.create_stack(StackName="custom-badtype", TemplateBody=json.dumps(
            {"Resources": {"T": {"Type": "Custom::has space", "Properties": {"ServiceToken": r.topic}}}}))
    assert "Unrecognized resource types" in str(ei.value)


FN = """import json
import urllib.request
import cfnresponse


def handler(event, context):
    p = event["ResourceProperties"]
    if p.get("Fail") == "yes" and event["RequestType"] != "Delete":
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, reason="asked to fail")
        return
    data = {"Type": event["RequestType"], "Value": p.get("Value", ""),
            "Old": event.get("OldResourceProperties", {}).get("Value", "")}
    if p.get("Raw") == "yes":
        body = json.dumps({"Status": "SUCCESS", "PhysicalResourceId": "raw-" + p.get("Value", ""),
                           "StackId": event["StackId"], "RequestId": event["RequestId"],
                           "LogicalResourceId": event["LogicalResourceId"], "NoEcho": True,
                           "Data": {"Secret": "s3cr3t-" + p.get("Value", "")}}).encode()
        req = urllib.request.Request(event["ResponseURL"], data=body, method="PUT")
        urllib.request.urlopen(req).read()
        return
    cfnresponse.send(event, context, cfnresponse.SUCCESS, data, "fn-" + p.get("Value", ""))
"""


def fn_tpl(value, fail=False):
    res = {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
            "Runtime": "python3.12", "Handler": "index.handler", "Timeout": 30,
            "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Code": {"ZipFile": FN}}},
        "Echo": {"Type": "Custom::Echo", "Properties": {
            "ServiceToken": {"Fn::GetAtt": ["Fn", "Arn"]}, "Value": value}},
        "Hidden": {"Type": "Custom::Hidden", "Properties": {
            "ServiceToken": {"Fn::GetAtt": ["Fn", "Arn"]}, "Value": value, "Raw": "yes"}},
    }
    if fail:
        res["Bad"] = {"Type": "Custom::Echo", "DependsOn": "Echo", "Properties": {
            "ServiceToken": {"Fn::GetAtt": ["Fn", "Arn"]}, "Fail": "yes"}}
    return json.dumps({"Resources": res, "Outputs": {
        "Ref": {"Value": {"Ref": "Echo"}}, "Type": {"Value": {"Fn::GetAtt": ["Echo", "Type"]}},
        "Value": {"Value": {"Fn::Sub": "${Echo.Value}/${Echo.Old}"}},
        "HiddenRef": {"Value": {"Ref": "Hidden"}},
        "Secret": {"Value": {"Fn::GetAtt": ["Hidden", "Secret"]}},
        "SecretSub": {"Value": {"Fn::Sub": "x-${Hidden.Secret}"}}}})


def test_lambda_functions_answer_with_cfnresponse_and_urllib(fx):
    c = cfn(fx)
    caps = ["CAPABILITY_IAM"]
    sid = c.create_stack(StackName="custom-fn", TemplateBody=fn_tpl("v1"), Capabilities=caps)["StackId"]
    s = wait(c, sid)
    assert s["StackStatus"] == "CREATE_COMPLETE", reasons(c, sid)
    # NoEcho masks the outputs that read the resource's values, not its Ref
    assert outputs(s) == {"Ref": "fn-v1", "Type": "Create", "Value": "v1/", "HiddenRef": "raw-v1",
                          "Secret": "****", "SecretSub": "****"}
    c.update_stack(StackName=sid, TemplateBody=fn_tpl("v2"), Capabilities=caps)
    s = wait(c, sid)
    assert s["StackStatus"] == "UPDATE_COMPLETE", reasons(c, sid)
    # fn-v2 replaced fn-v1: the function answered the cleanup's Delete too
    assert outputs(s)["Ref"] == "fn-v2" and outputs(s)["Type"] == "Update"
    assert outputs(s)["Value"] == "v2/v1"
    # a function answering FAILED rolls the update back (Delete requests answered)
    c.update_stack(StackName=sid, TemplateBody=fn_tpl("v2", fail=True), Capabilities=caps)
    s = wait(c, sid)
    assert s["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert any("Received response status [FAILED] from custom resource. Message returned: "
               "asked to fail" in x for x in reasons(c, sid))
    c.delete_stack(StackName=sid)
    assert wait(c, sid)["StackStatus"] == "DELETE_COMPLETE", reasons(c, sid)


RAW = """import json
import urllib.request


def handler(event, context):
    body = json.dumps({"Status": "SUCCESS", "PhysicalResourceId": "raw-Create",
                       "StackId": event["StackId"], "RequestId": event["RequestId"],
                       "LogicalResourceId": event["LogicalResourceId"],
                       "Data": {"Out": event["ResourceType"]}}).encode()
    urllib.request.urlopen(urllib.request.Request(event["ResponseURL"], data=body, method="PUT")).read()
"""


LOOKUP = """import boto3
import cfnresponse


def handler(event, context):
    if event["RequestType"] == "Delete":
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, event["PhysicalResourceId"])
        return
    name = event["ResourceProperties"]["ExportName"]
    cfn = boto3.client("cloudformation")
    for page in cfn.get_paginator("list_exports").paginate():
        for e in page["Exports"]:
            if e["Name"] == name:
                cfnresponse.send(event, context, cfnresponse.SUCCESS, {"Value": e["Value"]}, "lookup-" + name)
                return
    cfnresponse.send(event, context, cfnresponse.FAILED, {}, reason="no export " + name)
"""


def test_cross_account_lookup(fx):
    """Seed 000's Custom::Lookup: account B owns a function that reads B's exports and lets
    account A invoke it; A's stack gets B's export through it (exports are per account)."""
    a, b = acct(fx, "dev"), acct(fx, "qa")
    cb, ca = cfn(fx, "qa"), cfn(fx, "dev")
    owner = {"Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST, "Policies": [
            {"PolicyName": "exports", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "cloudformation:ListExports", "Resource": "*"}]}}]}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
            "FunctionName": "lookup", "Runtime": "python3.12", "Handler": "index.handler", "Timeout": 30,
            "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Code": {"ZipFile": LOOKUP}}},
        "Perm": {"Type": "AWS::Lambda::Permission", "Properties": {
            "FunctionName": {"Ref": "Fn"}, "Action": "lambda:InvokeFunction", "Principal": a}}},
        "Outputs": {"Shared": {"Value": "vpc-0b5e1234", "Export": {"Name": "network-vpc"}},
                    "Fn": {"Value": {"Fn::GetAtt": ["Fn", "Arn"]}, "Export": {"Name": "lookup-fn"}}}}
    sb = cb.create_stack(StackName="lookup-owner", TemplateBody=json.dumps(owner),
                         Capabilities=["CAPABILITY_IAM"])["StackId"]
    s = wait(cb, sb)
    assert s["StackStatus"] == "CREATE_COMPLETE", reasons(cb, sb)
    fn_arn = outputs(s)["Fn"]
    assert f":{b}:function:lookup" in fn_arn
    user = json.dumps({"Parameters": {"Token": {"Type": "String"}}, "Resources": {"Lookup": {
        "Type": "Custom::Lookup", "Properties": {"ServiceToken": {"Ref": "Token"}, "ExportName": "network-vpc"}}},
        "Outputs": {"Vpc": {"Value": {"Fn::GetAtt": ["Lookup", "Value"]}}}})
    sa = ca.create_stack(StackName="lookup-user", TemplateBody=user,
                         Parameters=[{"ParameterKey": "Token", "ParameterValue": fn_arn}])["StackId"]
    s = wait(ca, sa)
    assert s["StackStatus"] == "CREATE_COMPLETE", reasons(ca, sa)
    assert outputs(s) == {"Vpc": "vpc-0b5e1234"}
    ca.delete_stack(StackName=sa)
    assert wait(ca, sa)["StackStatus"] == "DELETE_COMPLETE", reasons(ca, sa)
    # without the function's permission, account A cannot use it
    lam = fx.client("lambda", "qa", region=REGION)
    lam.remove_permission(FunctionName="lookup", StatementId=lam.get_policy(FunctionName="lookup")["Policy"]
                          and json.loads(lam.get_policy(FunctionName="lookup")["Policy"])["Statement"][0]["Sid"])
    sa = ca.create_stack(StackName="lookup-denied", TemplateBody=user,
                         Parameters=[{"ParameterKey": "Token", "ParameterValue": fn_arn}])["StackId"]
    assert wait(ca, sa)["StackStatus"] == "ROLLBACK_COMPLETE"
    assert any("not authorized" in x or "AccessDenied" in x for x in reasons(ca, sa)), reasons(ca, sa)


def test_sent_as_the_stack_role(fx):
    """The request is sent as the stack's identity: with a RoleARN, the role's policy decides
    whether the ServiceToken's function may be invoked (a function has no policy of its own
    that lets its account in, unlike an SNS topic's default one)."""
    iam = fx.client("iam", "dev")
    lam = fx.client("lambda", "dev", region=REGION)

    def role(name, service, actions):
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                         "Principal": {"Service": service}}]}
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
        return arn

    exec_role = role("custom-fn-exec", "lambda.amazonaws.com", ["logs:*"])
    fn = lam.create_function(FunctionName="custom-raw", Runtime="python3.12", Role=exec_role,
                             Handler="index.handler", Code={"ZipFile": zipped({"index.py": RAW})})["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName="custom-raw", WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    denied = role("custom-no-invoke", "cloudformation.amazonaws.com", ["sqs:*"])
    allowed = role("custom-invoke", "cloudformation.amazonaws.com", ["lambda:InvokeFunction"])
    c = cfn(fx)
    sid = c.create_stack(StackName="custom-denied", TemplateBody=custom_tpl(fn, {}, True), RoleARN=denied)["StackId"]
    assert wait(c, sid)["StackStatus"] == "ROLLBACK_COMPLETE"
    assert any("not authorized" in x for x in reasons(c, sid)), reasons(c, sid)
    sid = c.create_stack(StackName="custom-allowed", TemplateBody=custom_tpl(fn, {}, True), RoleARN=allowed)["StackId"]
    s = wait(c, sid)
    assert s["StackStatus"] == "CREATE_COMPLETE", reasons(c, sid)
    assert outputs(s) == {"Ref": "raw-Create", "Out": "Custom::Thing"}
    c.delete_stack(StackName=sid)
    assert wait(c, sid)["StackStatus"] == "DELETE_COMPLETE", reasons(c, sid)


def test_kill9_while_waiting_finishes_after_restart(fx):
    """The server dies while a stack waits for a custom resource's response: after the
    restart the stack keeps waiting, and the response completes it."""
    r = Responder(fx, "custom-kill9")
    c = cfn(fx)
    sid = c.create_stack(StackName="custom-kill9", TemplateBody=custom_tpl(r.topic, {}, True))["StackId"]
    ev = r.next()
    fx.stop(signal.SIGKILL)
    fx.start(env=SEAM)
    c = cfn(fx)
    # (DescribeStacks of a stack in progress waits for it: the resource says it still waits)
    res = c.describe_stack_resource(StackName=sid, LogicalResourceId="Thing")["StackResourceDetail"]
    assert res["ResourceStatus"] == "CREATE_IN_PROGRESS", reasons(c, sid)
    assert respond(ev, physical="after-restart", data={"Out": "survived"}) == 200
    s = wait(c, sid)
    assert s["StackStatus"] == "CREATE_COMPLETE", reasons(c, sid)
    assert outputs(s) == {"Ref": "after-restart", "Out": "survived"}
    r.none(killed=True)  # the request was not sent again


def test_graceful_stop_while_waiting_resumes(fx):
    """A server stopped (SIGTERM) while a stack waits on a custom resource leaves the step for
    the next start, as a kill -9 does; so does a delete."""
    r = Responder(fx, "custom-term")
    c = cfn(fx)
    sid = c.create_stack(StackName="custom-term", TemplateBody=custom_tpl(r.topic, {}))["StackId"]
    ev = r.next()
    fx.stop(signal.SIGTERM)
    fx.start(env=SEAM)
    assert respond(ev, physical="p-term") == 200
    c = cfn(fx)
    assert wait(c, sid)["StackStatus"] == "CREATE_COMPLETE", reasons(c, sid)
    c.delete_stack(StackName=sid)
    ev = r.next()
    assert ev["RequestType"] == "Delete"
    fx.stop(signal.SIGTERM)
    fx.start(env=SEAM)
    assert respond(ev) == 200
    c = cfn(fx)
    assert wait(c, sid)["StackStatus"] == "DELETE_COMPLETE", reasons(c, sid)
    r.none()
