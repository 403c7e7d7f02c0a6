"""Resource control policies through real clients: enabling the type attaches the AWS managed
RCPFullAWSAccess everywhere, RCP documents follow AWS's RCP syntax, and RCPs on the path of
the account that owns a resource (root, OUs, account) restrict whoever calls it -- principals
outside the organization included -- but never the management account's resources. Each
test builds what it needs on one organization and undoes it."""
import json
import time

import boto3
import pytest
from botocore.exceptions import ClientError
from ferrytest import acct, code, message

RCP = "RESOURCE_CONTROL_POLICY"
FULL = "p-RCPFullAWSAccess"
MALFORMED = ("The provided policy document doesn't meet the requirements of the specified "
             "policy type.")


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def org_only(action, org_id):
    """AWS's data-perimeter RCP: action only for principals of the organization (or AWS
    services)."""
    return doc({"Effect": "Deny", "Principal": "*", "Action": action, "Resource": "*",
                "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": org_id},
                              "Bool": {"aws:PrincipalIsAWSService": "false"}}})


def tls_only(action):
    """An RCP refusing action over plain HTTP (aws:SecureTransport false)."""
    return doc({"Effect": "Deny", "Principal": "*", "Action": action, "Resource": "*",
                "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}})


@pytest.fixture
def rcps(org, root):
    """RCPs enabled on the root for one test, disabled (everything detached) after it."""
    org.enable_policy_type(RootId=root, PolicyType=RCP)
    yield
    org.disable_policy_type(RootId=root, PolicyType=RCP)


@pytest.fixture(scope="module")
def outsider(ferry, org):
    """A session in an account that left the organization (made by CreateAccount, then
    removed): a principal from outside it."""
    st = org.create_account(AccountName="outsider",
                            Email="outsider@example.com")["CreateAccountStatus"]
    aid = org.describe_create_account_status(
        CreateAccountRequestId=st["Id"])["CreateAccountStatus"]["AccountId"]
    creds = ferry.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{aid}:role/OrganizationAccountAccessRole",
        RoleSessionName="outside")["Credentials"]
    org.remove_account_from_organization(AccountId=aid)
    sess = boto3.session.Session(aws_access_key_id=creds["AccessKeyId"],
                                 aws_secret_access_key=creds["SecretAccessKey"],
                                 aws_session_token=creds["SessionToken"],
                                 region_name=org.meta.region_name)
    return aid, lambda service: sess.client(service, endpoint_url=ferry.endpoint)


@pytest.fixture(scope="module")
def org_id(org):
    return org.describe_organization()["Organization"]["Id"]


def shared_bucket(ferry, profile, name, readers):
    """A bucket of profile's account with one object that readers' accounts may get."""
    s3 = ferry.client("s3", profile)
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"data")
    s3.put_bucket_policy(Bucket=name, Policy=doc({
        "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in readers]},
        "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}))


def read(client, bucket):
    return client.get_object(Bucket=bucket, Key="k")["Body"].read()


def test_enable_attaches_rcp_full_access_everywhere(ferry, org, root, rcps):
    r = org.list_roots()["Roots"][0]
    assert {"Type": RCP, "Status": "ENABLED"} in r["PolicyTypes"]
    dev = acct(ferry, "dev")
    ou = org.create_organizational_unit(ParentId=root, Name="FreshRcp")["OrganizationalUnit"]["Id"]
    for target in (root, dev, ou):
        pols = org.list_policies_for_target(TargetId=target, Filter=RCP)["Policies"]
        assert [p["Id"] for p in pols] == [FULL]
        # SCPs are a type of their own: nothing of theirs is attached
        assert org.list_policies_for_target(TargetId=target,
                                            Filter="SERVICE_CONTROL_POLICY")["Policies"] == []
    # a new account starts with it too
    st = org.create_account(AccountName="rcp-new", Email="rcp-new@example.com")["CreateAccountStatus"]
    new = org.describe_create_account_status(
        CreateAccountRequestId=st["Id"])["CreateAccountStatus"]["AccountId"]
    assert [p["Id"] for p in org.list_policies_for_target(TargetId=new, Filter=RCP)["Policies"]] \
        == [FULL]
    full = org.describe_policy(PolicyId=FULL)["Policy"]
    s = full["PolicySummary"]
    assert s["Name"] == "RCPFullAWSAccess" and s["AwsManaged"] is True and s["Type"] == RCP
    assert s["Arn"] == "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess"
    assert s["Description"] == "Allows access to every resource"
    assert json.loads(full["Content"])["Statement"] == [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]
    assert org.list_policies(Filter=RCP)["Policies"][0]["Id"] == FULL
    targets = {t["TargetId"] for t in org.list_targets_for_policy(PolicyId=FULL)["Targets"]}
    assert {root, dev, ou} <= targets
    # AWS managed: it cannot be changed, deleted, tagged or detached
    with pytest.raises(org.exceptions.InvalidInputException) as e:
        org.update_policy(PolicyId=FULL, Name="Mine")
    assert "managed by AWS" in message(e)
    with pytest.raises(org.exceptions.InvalidInputException):
        org.delete_policy(PolicyId=FULL)
    with pytest.raises(org.exceptions.TargetNotFoundException):
        org.tag_resource(ResourceId=FULL, Tags=[{"Key": "k", "Value": "v"}])
    with pytest.raises(org.exceptions.ConstraintViolationException) as e:
        org.detach_policy(PolicyId=FULL, TargetId=dev)
    assert "last policy" in message(e)
    with pytest.raises(org.exceptions.PolicyTypeAlreadyEnabledException):
        org.enable_policy_type(RootId=root, PolicyType=RCP)
    org.delete_organizational_unit(OrganizationalUnitId=ou)


def test_rcp_documents_follow_the_rcp_syntax(org):
    bad = [
        # Allow is RCPFullAWSAccess's alone
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"},
        # Principal is required, and only "*"
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"},
        {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
         "Action": "s3:GetObject", "Resource": "*"},
        {"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
         "Action": "s3:GetObject", "Resource": "*"},
        # no NotAction; only the services RCPs support
        {"Effect": "Deny", "Principal": "*", "NotAction": "s3:GetObject", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "ec2:RunInstances", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": ["s3:GetObject", "lambda:*"],
         "Resource": "*"},
    ]
    for st in bad:
        with pytest.raises(org.exceptions.MalformedPolicyDocumentException) as e:
            org.create_policy(Name="bad", Description="", Type=RCP, Content=doc(st))
        assert message(e) == MALFORMED, st
    with pytest.raises(org.exceptions.MalformedPolicyDocumentException):
        org.create_policy(Name="bad", Description="", Type=RCP, Content='{"Statement": [')
    with pytest.raises(org.exceptions.ConstraintViolationException):  # 5120 characters
        org.create_policy(Name="big", Description="", Type=RCP, Content=doc(
            *[{"Sid": f"S{i}", "Effect": "Deny", "Principal": "*", "Action": f"s3:GetObject{i}",
               "Resource": "*"} for i in range(80)]))
    ok = org.create_policy(Name="Perimeter", Description="", Type=RCP, Content=doc(
        {"Effect": "Deny", "Principal": "*", "Action": ["s3:*", "sqs:SendMessage", "kms:Decrypt",
                                                        "secretsmanager:GetSecretValue",
                                                        "sts:AssumeRole"],
         "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}))["Policy"]
    s = ok["PolicySummary"]
    assert s["Type"] == RCP and s["Arn"].endswith("/resource_control_policy/" + s["Id"])
    with pytest.raises(org.exceptions.MalformedPolicyDocumentException):
        org.update_policy(PolicyId=s["Id"], Content=doc(
            {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}))
    with pytest.raises(org.exceptions.DuplicatePolicyException):
        org.create_policy(Name="RCPFullAWSAccess", Description="", Type=RCP,
                          Content=ok["Content"])
    org.delete_policy(PolicyId=s["Id"])


def test_rcp_blocks_principals_outside_the_org_not_members(ferry, org, root, rcps, outsider,
                                                            org_id):
    out_id, out_client = outsider
    dev, qa = acct(ferry, "dev"), acct(ferry, "qa")
    shared_bucket(ferry, "dev", "rcp-dev-data", [out_id, qa])
    assert read(out_client("s3"), "rcp-dev-data") == b"data"  # only RCPFullAWSAccess yet
    p = org.create_policy(Name="OrgOnlyS3", Description="", Type=RCP,
                          Content=org_only("s3:GetObject", org_id))["Policy"]["PolicySummary"]
    org.attach_policy(PolicyId=p["Id"], TargetId=dev)
    try:
        with pytest.raises(ClientError) as e:
            read(out_client("s3"), "rcp-dev-data")
        assert code(e) == "AccessDenied"
        assert message(e).endswith("is not authorized to perform: s3:GetObject on resource: "
                                   "arn:aws:s3:::rcp-dev-data/k with an explicit deny in a "
                                   "resource control policy")
        # a member of the organization passes: the bucket policy still decides
        assert read(ferry.client("s3", "qa"), "rcp-dev-data") == b"data"
        # an update to the RCP applies to the next request
        org.update_policy(PolicyId=p["Id"], Content=org_only("s3:PutObject", org_id))
        assert read(out_client("s3"), "rcp-dev-data") == b"data"
        org.update_policy(PolicyId=p["Id"], Content=org_only("s3:*", org_id))
        with pytest.raises(ClientError):
            read(out_client("s3"), "rcp-dev-data")
    finally:
        org.detach_policy(PolicyId=p["Id"], TargetId=dev)
    # detaching restores access at once
    assert read(out_client("s3"), "rcp-dev-data") == b"data"
    org.delete_policy(PolicyId=p["Id"])


def test_rcp_on_an_ou_affects_the_accounts_under_it_only(ferry, org, root, rcps, outsider,
                                                          org_id):
    out_id, out_client = outsider
    qa, prod = acct(ferry, "qa"), acct(ferry, "prod")
    urls = {}
    for profile in ("qa", "prod"):
        sqs = ferry.client("sqs", profile)
        url = sqs.create_queue(QueueName="rcp-inbox")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url,
                                       AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": doc({
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{out_id}:root"},
            "Action": "sqs:SendMessage", "Resource": arn})})
        urls[profile] = url
    ou = org.create_organizational_unit(ParentId=root, Name="Fenced")["OrganizationalUnit"]["Id"]
    org.move_account(AccountId=qa, SourceParentId=root, DestinationParentId=ou)
    p = org.create_policy(Name="OrgOnlySqs", Description="", Type=RCP,
                          Content=org_only("sqs:SendMessage", org_id))["Policy"]["PolicySummary"]
    sqs = out_client("sqs")
    try:
        org.attach_policy(PolicyId=p["Id"], TargetId=ou)
        with pytest.raises(ClientError) as e:
            sqs.send_message(QueueUrl=urls["qa"], MessageBody="x")
        assert code(e) == "AccessDenied" and "resource control policy" in message(e)
        assert sqs.send_message(QueueUrl=urls["prod"], MessageBody="x")["MessageId"]
        # the deny holds only for callers outside: a member in the OU's own account sends
        assert ferry.client("sqs", "qa").send_message(QueueUrl=urls["qa"], MessageBody="y")
    finally:
        org.detach_policy(PolicyId=p["Id"], TargetId=ou)
        org.move_account(AccountId=qa, SourceParentId=ou, DestinationParentId=root)
        org.delete_organizational_unit(OrganizationalUnitId=ou)
    assert sqs.send_message(QueueUrl=urls["qa"], MessageBody="x")["MessageId"]
    org.delete_policy(PolicyId=p["Id"])


def test_rcp_conditions_see_the_request_and_bind_members_too(ferry, org, root, rcps):
    """aws:SecureTransport is false on plain HTTP: an RCP requiring TLS refuses even the
    owning account's own calls, for the services RCPs support only."""
    prod = acct(ferry, "prod")
    sqs = ferry.client("sqs", "prod")
    url = sqs.create_queue(QueueName="rcp-tls")["QueueUrl"]
    p = org.create_policy(Name="TlsOnly", Description="", Type=RCP,
                          Content=tls_only("*"))["Policy"]["PolicySummary"]
    org.attach_policy(PolicyId=p["Id"], TargetId=prod)
    try:
        with pytest.raises(ClientError) as e:
            sqs.send_message(QueueUrl=url, MessageBody="x")
        assert message(e) == (f"User: arn:aws:iam::{prod}:root is not authorized to perform: "
                              f"sqs:SendMessage on resource: arn:aws:sqs:us-east-1:{prod}:rcp-tls "
                              "with an explicit deny in a resource control policy")
        # the RCP says "*", but SNS is not a service RCPs support: prod's topics are untouched
        assert ferry.client("sns", "prod").create_topic(Name="rcp-free")["TopicArn"]
    finally:
        org.detach_policy(PolicyId=p["Id"], TargetId=prod)
    assert sqs.send_message(QueueUrl=url, MessageBody="x")["MessageId"]
    org.delete_policy(PolicyId=p["Id"])


def test_rcps_bind_aws_service_principals(ferry, org, root, rcps):
    """AWS service principals are not exempt (AWS's examples exempt them with
    aws:PrincipalIsAWSService): SNS delivering to a member's queue is refused while an RCP
    denies it for the topic's aws:SourceAccount, and delivers again once it is detached."""
    qa = acct(ferry, "qa")
    sqs, sns = ferry.client("sqs", "qa"), ferry.client("sns", "qa")
    url = sqs.create_queue(QueueName="rcp-fanout")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url,
                                    AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": doc({
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage", "Resource": qarn})})
    topic = sns.create_topic(Name="rcp-fanout")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                  Attributes={"RawMessageDelivery": "true"})
    p = org.create_policy(Name="NoFanout", Description="", Type=RCP, Content=doc(
        {"Effect": "Deny", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*",
         "Condition": {"Bool": {"aws:PrincipalIsAWSService": "true"},
                       "StringEquals": {"aws:SourceAccount": qa}}}))["Policy"]["PolicySummary"]
    org.attach_policy(PolicyId=p["Id"], TargetId=qa)
    try:
        sns.publish(TopicArn=topic, Message="held")
        # the account's own principal is not a service: it still sends
        sqs.send_message(QueueUrl=url, MessageBody="direct")
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MaxNumberOfMessages=10)
        assert [m["Body"] for m in got.get("Messages", [])] == ["direct"]
        sqs.delete_message(QueueUrl=url, ReceiptHandle=got["Messages"][0]["ReceiptHandle"])
        # the server's log says why: SNS (sns.amazonaws.com) met the RCP's explicit deny
        for _ in range(100):
            if any("sns.amazonaws.com is not authorized" in line and "resource control" in line
                   for line in open(ferry.log, errors="replace") if "rcp-fanout" in line):
                break
            time.sleep(0.05)
        else:
            pytest.fail("SNS's delivery was not refused")
    finally:
        org.detach_policy(PolicyId=p["Id"], TargetId=qa)
    # a refused delivery is a client error SNS does not retry: only what follows arrives
    sns.publish(TopicArn=topic, Message="after")
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5, MaxNumberOfMessages=10)
    assert [m["Body"] for m in got.get("Messages", [])] == ["after"]
    org.delete_policy(PolicyId=p["Id"])


def test_rcps_skip_aws_managed_kms_keys(ferry, org, root, rcps):
    """AWS: RCPs do not apply to AWS managed keys. An RCP denying KMS over plain HTTP stops a
    customer key's use, not S3's encryption with aws/s3."""
    dev = acct(ferry, "dev")
    kms, s3 = ferry.client("kms", "dev"), ferry.client("s3", "dev")
    key = kms.create_key(Description="rcp key")["KeyMetadata"]["KeyId"]
    s3.create_bucket(Bucket="rcp-sse")
    p = org.create_policy(Name="KmsTls", Description="", Type=RCP,
                          Content=tls_only("kms:*"))["Policy"]["PolicySummary"]
    org.attach_policy(PolicyId=p["Id"], TargetId=dev)
    try:
        with pytest.raises(ClientError) as e:
            kms.encrypt(KeyId=key, Plaintext=b"x")
        assert "explicit deny in a resource control policy" in message(e)
        # S3 asks KMS for a data key of aws/s3 as the caller: not an RCP's business
        r = s3.put_object(Bucket="rcp-sse", Key="k", Body=b"sealed", ServerSideEncryption="aws:kms")
        assert r["ServerSideEncryption"] == "aws:kms" and r["SSEKMSKeyId"]
    finally:
        org.detach_policy(PolicyId=p["Id"], TargetId=dev)
    assert kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    org.delete_policy(PolicyId=p["Id"])


def test_management_account_resources_are_never_restricted(ferry, org, root, rcps, outsider,
                                                            org_id):
    out_id, out_client = outsider
    shared_bucket(ferry, "management", "rcp-mgmt-data", [out_id])
    shared_bucket(ferry, "tools", "rcp-tools-data", [out_id])
    p = org.create_policy(Name="OrgOnlyRoot", Description="", Type=RCP,
                          Content=org_only("s3:GetObject", org_id))["Policy"]["PolicySummary"]
    org.attach_policy(PolicyId=p["Id"], TargetId=root)
    try:
        assert read(out_client("s3"), "rcp-mgmt-data") == b"data"
        with pytest.raises(ClientError) as e:  # a member's bucket, under the root
            read(out_client("s3"), "rcp-tools-data")
        assert "explicit deny in a resource control policy" in message(e)
    finally:
        org.detach_policy(PolicyId=p["Id"], TargetId=root)
    assert read(out_client("s3"), "rcp-tools-data") == b"data"
    org.delete_policy(PolicyId=p["Id"])


def test_cli_lists_rcps(ferry, org, root, rcps):
    r = ferry.aws("organizations", "list-policies", "--filter", RCP)
    assert r.json["Policies"][0]["Id"] == FULL and r.json["Policies"][0]["AwsManaged"] is True
