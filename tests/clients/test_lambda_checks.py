"""Lambda's checks before it takes a request or a configuration: AWS's own cap on a code
upload's request body (70,167,211 bytes for CreateFunction, UpdateFunctionCode and
PublishLayerVersion, above the server's --max-body), refused from the headers with
RequestEntityTooLargeException in Lambda's JSON shape (boto3 and the CLI); other operations
keep --max-body, answered in the service's protocol; and the execution role's permission to
deliver to an asynchronous destination (SQS, SNS, Lambda) before EventInvokeConfig takes it,
by the role's policies or the target's across accounts; and EventSourceMappingArn in event source
mapping replies, which the pinned model predates."""
import json
import os
import random

import pytest
from botocore.config import Config
from ferrytest import Ferry, raises, zipped

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
CAP = 70167211
CODE = zipped({"index.py": "def handler(event, context):\n    return event\n"})


@pytest.fixture(scope="module")
def fx():
    # a small --max-body: the code uploads' own cap replaces it, other operations keep it
    f = Ferry(extra=["--max-body", str(1 << 20)]).start()
    f.init()
    yield f
    f.close()


@pytest.fixture(scope="module")
def lam(fx):
    return fx.client("lambda", "dev", config=Config(retries={"max_attempts": 1}))


@pytest.fixture(scope="module")
def role(fx):
    iam = fx.client("iam", "dev")
    return iam.create_role(RoleName="checks", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]


def stored_zip(size):
    """A valid zip of about size bytes that does not compress (stored random bytes)."""
    import io
    import zipfile
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED) as z:
        z.writestr("index.py", "def handler(event, context):\n    return event\n")
        z.writestr("blob.bin", random.Random(7).randbytes(size))
    return b.getvalue()


def test_code_upload_over_max_body_within_awss_cap(lam, role):
    # 3 MB of code: a body three times --max-body, well inside AWS's cap
    big = stored_zip(3 << 20)
    f = lam.create_function(FunctionName="roomy", Runtime="python3.12", Role=role,
                            Handler="index.handler", Code={"ZipFile": big})
    assert f["CodeSize"] == len(big)
    assert lam.update_function_code(FunctionName="roomy", ZipFile=big)["CodeSize"] == len(big)
    layer = lam.publish_layer_version(LayerName="roomy", Content={"ZipFile": big})
    assert layer["Content"]["CodeSize"] == len(big)
    # an operation with no cap of its own keeps --max-body, answered in Lambda's shape
    raises(lam.tag_resource, "RequestEntityTooLarge",
           f"Request body exceeds the maximum of {1 << 20} bytes", 413,
           Resource=f["FunctionArn"], Tags={f"k{i}": "v" * 250 for i in range(5000)})


def test_code_upload_over_awss_cap_refused_from_the_headers(lam, role):
    # base64 makes 52.7 MB of zip a request just over the cap
    over = b"x" * ((CAP // 4) * 3)
    raises(lam.create_function, "RequestEntityTooLargeException",
           f"Request must be smaller than {CAP} bytes for the CreateFunction operation", 413,
           FunctionName="huge", Runtime="python3.12", Role=role, Handler="index.handler",
           Code={"ZipFile": over})
    raises(lam.get_function, "ResourceNotFoundException", FunctionName="huge")


def test_cli_sees_awss_error(fx, tmp_path):
    path = tmp_path / "huge.zip"
    with open(path, "wb") as f:
        f.write(stored_zip((CAP // 4) * 3))
    r = fx.aws("lambda", "update-function-code", "--function-name", "roomy",
               "--zip-file", f"fileb://{path}", profile="dev", check=False)
    os.unlink(path)
    assert r.returncode != 0
    assert ("An error occurred (RequestEntityTooLargeException) when calling the "
            f"UpdateFunctionCode operation: Request must be smaller than {CAP} bytes for the "
            "UpdateFunctionCode operation") in r.stderr


def test_unzipped_size_refused(lam, role):
    import io
    import zipfile
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("index.py", "x")
        z.writestr("zeros.bin", b"\0" * 262144000)  # compresses to about 250 KB
    raises(lam.create_function, "InvalidParameterValueException",
           "Unzipped size must be smaller than 262144000 bytes", 400,
           FunctionName="inflated", Runtime="python3.12", Role=role, Handler="index.handler",
           Code={"ZipFile": b.getvalue()})


def test_destinations_need_the_roles_permission(fx, lam, role):
    """AWS checks the execution role may send, publish or invoke to each destination given
    before it takes the EventInvokeConfig: its own policies, or the target's across accounts."""
    iam, sqs, sns = fx.client("iam", "dev"), fx.client("sqs", "dev"), fx.client("sns", "dev")
    lam.create_function(FunctionName="sender", Runtime="python3.12", Role=role,
                        Handler="index.handler", Code={"ZipFile": CODE})
    target = lam.create_function(FunctionName="target", Runtime="python3.12", Role=role,
                                 Handler="index.handler", Code={"ZipFile": CODE})["FunctionArn"]
    url = sqs.create_queue(QueueName="dest")["QueueUrl"]
    q = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="dest")["TopicArn"]
    for dest, verb, which in [(q, "SendMessage", "OnFailure"), (topic, "Publish", "OnSuccess"),
                              (target, "InvokeFunction", "OnFailure")]:
        raises(lam.put_function_event_invoke_config, "InvalidParameterValueException",
               f"The function's execution role does not have permissions to call {verb} on {dest}",
               400, FunctionName="sender", DestinationConfig={which: {"Destination": dest}})
    assert lam.list_function_event_invoke_configs(FunctionName="sender")["FunctionEventInvokeConfigs"] == []
    # settings without destinations need nothing
    lam.put_function_event_invoke_config(FunctionName="sender", MaximumRetryAttempts=1)
    raises(lam.update_function_event_invoke_config, "InvalidParameterValueException",
           f"The function's execution role does not have permissions to call SendMessage on {q}",
           400, FunctionName="sender", DestinationConfig={"OnSuccess": {"Destination": q}})
    iam.put_role_policy(RoleName="checks", PolicyName="send", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": [q, topic, target],
                                                "Action": ["sqs:SendMessage", "sns:Publish",
                                                           "lambda:InvokeFunction"]}]}))
    c = lam.update_function_event_invoke_config(
        FunctionName="sender", DestinationConfig={"OnSuccess": {"Destination": topic},
                                                  "OnFailure": {"Destination": target}})
    assert c["DestinationConfig"] == {"OnSuccess": {"Destination": topic},
                                      "OnFailure": {"Destination": target}}
    assert c["MaximumRetryAttempts"] == 1
    lam.put_function_event_invoke_config(FunctionName="sender",
                                         DestinationConfig={"OnFailure": {"Destination": q}})
    # another account's queue: the role's permission is not enough without the queue's
    qa = fx.client("sqs", "qa")
    qa_url = qa.create_queue(QueueName="shared-dest")["QueueUrl"]
    qa_arn = qa.get_queue_attributes(QueueUrl=qa_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    iam.put_role_policy(RoleName="checks", PolicyName="send-qa", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": qa_arn,
                                                "Action": "sqs:SendMessage"}]}))
    raises(lam.put_function_event_invoke_config, "InvalidParameterValueException",
           f"The function's execution role does not have permissions to call SendMessage on {qa_arn}",
           400, FunctionName="sender", DestinationConfig={"OnFailure": {"Destination": qa_arn}})
    qa.set_queue_attributes(QueueUrl=qa_url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": role},
                                                "Action": "sqs:SendMessage", "Resource": qa_arn}]})})
    lam.put_function_event_invoke_config(FunctionName="sender",
                                         DestinationConfig={"OnFailure": {"Destination": qa_arn}})


def test_event_source_mapping_arn(fx, lam):
    """EventSourceMappingArn, which current SDKs (@aws-sdk/client-lambda) read, is answered
    though the pinned model predates it (Debian's botocore drops it: read from the wire)."""
    iam, sqs = fx.client("iam", "dev"), fx.client("sqs", "dev")
    role = iam.create_role(RoleName="poller", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName="poller", PolicyName="poll", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
            "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]}]}))
    lam.create_function(FunctionName="polled", Runtime="python3.12", Role=role,
                        Handler="index.handler", Code={"ZipFile": CODE})
    url = sqs.create_queue(QueueName="polled")["QueueUrl"]
    q = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    uuid = lam.create_event_source_mapping(EventSourceArn=q, FunctionName="polled", Enabled=False)["UUID"]
    account = q.split(":")[4]
    want = f"arn:aws:lambda:us-east-1:{account}:event-source-mapping:{uuid}"
    status, _, body = fx.signed_http("GET", f"/2015-03-31/event-source-mappings/{uuid}", "dev",
                                     service="lambda")
    assert status == 200 and json.loads(body)["EventSourceMappingArn"] == want
    status, _, body = fx.signed_http("GET", "/2015-03-31/event-source-mappings/", "dev", service="lambda")
    assert [m["EventSourceMappingArn"] for m in json.loads(body)["EventSourceMappings"]] == [want]
