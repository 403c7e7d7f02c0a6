"""S3 bucket configuration through Debian's boto3 1.26 and `aws s3api`: tagging, CORS,
lifecycle, default encryption, Block Public Access, Object Ownership and ACLs, versioning,
logging, request payment, accelerate; object tagging (PutObjectTagging and the x-amz-tagging
header, CopyObject's TaggingDirective); event notifications checked against their
destinations and delivered to SQS queues and SNS topics, across accounts."""
import json
import time
import urllib.parse

import pytest
from ferrytest import acct, raises


@pytest.fixture(scope="module")
def s3(ferry):
    return ferry.client("s3", "dev", region="us-east-1")


@pytest.fixture
def bucket(s3, request):
    name = "cfg-" + request.node.name.replace("_", "-")[5:40].strip("-").lower()
    s3.create_bucket(Bucket=name)
    yield name


def test_bucket_tagging(s3, bucket):
    raises(s3.get_bucket_tagging, "NoSuchTagSet", "The TagSet does not exist", 404, Bucket=bucket)
    tags = [{"Key": "team", "Value": "platform"}, {"Key": "env", "Value": ""}]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == tags
    raises(s3.put_bucket_tagging, "InvalidTag", "Cannot provide multiple Tags with the same key",
           Bucket=bucket, Tagging={"TagSet": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]})
    raises(s3.put_bucket_tagging, "InvalidTag", "The TagKey you have provided is too long, max 128",
           Bucket=bucket, Tagging={"TagSet": [{"Key": "k" * 129, "Value": "1"}]})
    raises(s3.put_bucket_tagging, "InvalidTag", "The TagValue you have provided is too long, max 256",
           Bucket=bucket, Tagging={"TagSet": [{"Key": "k", "Value": "v" * 257}]})
    raises(s3.put_bucket_tagging, "InvalidTag", "System tags cannot be added/updated by requester",
           Bucket=bucket, Tagging={"TagSet": [{"Key": "aws:cloudformation:x", "Value": "1"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == tags
    s3.delete_bucket_tagging(Bucket=bucket)
    raises(s3.get_bucket_tagging, "NoSuchTagSet", Bucket=bucket)
    raises(s3.get_bucket_tagging, "NoSuchBucket", Bucket="no-such-bucket-here")


def test_cors(s3, bucket):
    raises(s3.get_bucket_cors, "NoSuchCORSConfiguration", "The CORS configuration does not exist",
           404, Bucket=bucket)
    rules = [{"AllowedMethods": ["GET", "PUT"], "AllowedOrigins": ["https://example.com"],
              "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 3000}]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == rules
    raises(s3.put_bucket_cors, "InvalidRequest",
           "Found unsupported HTTP method in CORS config. Unsupported method is PATCH",
           Bucket=bucket, CORSConfiguration={"CORSRules": [
               {"AllowedMethods": ["PATCH"], "AllowedOrigins": ["*"]}]})
    s3.delete_bucket_cors(Bucket=bucket)
    raises(s3.get_bucket_cors, "NoSuchCORSConfiguration", Bucket=bucket)


def test_lifecycle_configuration(s3, bucket):
    raises(s3.get_bucket_lifecycle_configuration, "NoSuchLifecycleConfiguration",
           "The lifecycle configuration does not exist", 404, Bucket=bucket)
    rules = [{"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
              "Expiration": {"Days": 30}},
             {"ID": "tmp", "Status": "Disabled",
              "Filter": {"And": {"Prefix": "tmp/", "Tags": [{"Key": "t", "Value": "1"}]}},
              "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == rules
    raises(s3.put_bucket_lifecycle_configuration, "InvalidArgument",
           "'Days' for Expiration action must be a positive integer", Bucket=bucket,
           LifecycleConfiguration={"Rules": [{"ID": "x", "Status": "Enabled", "Filter": {},
                                              "Expiration": {"Days": 0}}]})
    raises(s3.put_bucket_lifecycle_configuration, "InvalidArgument",
           "RuleId must be unique. Found same ID for more than one rule", Bucket=bucket,
           LifecycleConfiguration={"Rules": [
               {"ID": "x", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}},
               {"ID": "x", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 2}}]})
    raises(s3.put_bucket_lifecycle_configuration, "InvalidArgument",
           "'Date' must be at midnight GMT", Bucket=bucket,
           LifecycleConfiguration={"Rules": [{"ID": "x", "Status": "Enabled", "Filter": {},
                                              "Expiration": {"Date": "2030-01-01T12:00:00Z"}}]})
    s3.delete_bucket_lifecycle(Bucket=bucket)
    raises(s3.get_bucket_lifecycle_configuration, "NoSuchLifecycleConfiguration", Bucket=bucket)


def test_default_encryption(s3, bucket):
    # AWS: SSE-S3 is every bucket's default since January 2023
    got = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert got["Rules"][0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    cfg = {"Rules": [{"ApplyServerSideEncryptionByDefault": {
        "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/artifacts"}, "BucketKeyEnabled": True}]}
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=cfg)
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == cfg
    raises(s3.put_bucket_encryption, "InvalidArgument", Bucket=bucket,
           ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {
               "SSEAlgorithm": "AES256", "KMSMasterKeyID": "k"}}]})
    s3.delete_bucket_encryption(Bucket=bucket)
    got = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert got["Rules"][0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


def public_policy(bucket, cond=None):
    st = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
          "Resource": f"arn:aws:s3:::{bucket}/*"}
    if cond:
        st["Condition"] = cond
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


def test_block_public_access(s3, bucket):
    # AWS: new buckets block public access since April 2023
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True}
    m = raises(s3.put_bucket_policy, "AccessDenied", status=403, Bucket=bucket,
               Policy=public_policy(bucket))
    assert "BlockPublicPolicy" in m
    # a condition that pins the caller to an organization is not public
    s3.put_bucket_policy(Bucket=bucket, Policy=public_policy(
        bucket, {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}}))
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "BlockPublicPolicy": False})
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False}
    s3.put_bucket_policy(Bucket=bucket, Policy=public_policy(bucket))
    s3.delete_public_access_block(Bucket=bucket)
    raises(s3.get_public_access_block, "NoSuchPublicAccessBlockConfiguration",
           "The public access block configuration was not found", 404, Bucket=bucket)


def test_object_ownership_and_acls(ferry, s3, bucket):
    owner = acct(ferry, "dev")
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"] == {
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    acl = s3.get_bucket_acl(Bucket=bucket)
    assert acl["Owner"]["ID"] == owner
    assert acl["Grants"] == [{"Grantee": {"Type": "CanonicalUser", "ID": owner, "DisplayName": owner},
                              "Permission": "FULL_CONTROL"}]
    raises(s3.put_bucket_acl, "AccessControlListNotSupported", "The bucket does not allow ACLs",
           400, Bucket=bucket, ACL="public-read")
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    raises(s3.put_object_acl, "AccessControlListNotSupported", Bucket=bucket, Key="k",
           ACL="authenticated-read")
    raises(s3.put_object, "AccessControlListNotSupported", Bucket=bucket, Key="k2", Body=b"x",
           ACL="public-read")
    s3.put_object(Bucket=bucket, Key="k2", Body=b"x", ACL="bucket-owner-full-control")
    assert s3.get_object_acl(Bucket=bucket, Key="k")["Grants"][0]["Permission"] == "FULL_CONTROL"
    raises(s3.get_object_acl, "NoSuchKey", Bucket=bucket, Key="missing")
    # ACLs enabled: grants are kept, and public ones still meet Block Public Access
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={
        "Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    raises(s3.put_bucket_acl, "AccessDenied", Bucket=bucket, ACL="public-read")
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={})
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    grants = s3.get_bucket_acl(Bucket=bucket)["Grants"]
    assert grants[1] == {"Grantee": {"Type": "Group",
                                     "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
                         "Permission": "READ"}
    s3.put_object_acl(Bucket=bucket, Key="k", ACL="authenticated-read")
    assert len(s3.get_object_acl(Bucket=bucket, Key="k")["Grants"]) == 2
    s3.delete_bucket_ownership_controls(Bucket=bucket)
    raises(s3.get_bucket_ownership_controls, "OwnershipControlsNotFoundError", status=404,
           Bucket=bucket)


def test_versioning_logging_payment_accelerate(s3, bucket):
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)
    raises(s3.put_bucket_logging, "InvalidTargetBucketForLogging", Bucket=bucket,
           BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "nowhere-bucket-x",
                                                   "TargetPrefix": "l/"}})
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": bucket, "TargetPrefix": "logs/"}})
    assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"] == {
        "TargetBucket": bucket, "TargetPrefix": "logs/"}
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={})
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"
    s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "Requester"})
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "Requester"
    assert "Status" not in s3.get_bucket_accelerate_configuration(Bucket=bucket)
    s3.put_bucket_accelerate_configuration(Bucket=bucket,
                                           AccelerateConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_accelerate_configuration(Bucket=bucket)["Status"] == "Enabled"


def test_config_needs_permission_across_accounts(ferry, s3, bucket):
    other = ferry.client("s3", "qa", region="us-east-1")
    raises(other.get_bucket_tagging, "AccessDenied", Bucket=bucket)
    raises(other.put_bucket_cors, "AccessDenied", Bucket=bucket, CORSConfiguration={
        "CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]})


def test_object_tagging(s3, bucket):
    s3.put_object(Bucket=bucket, Key="a b", Body=b"1", Tagging="team=plat%20form&env=dev")
    got = s3.get_object_tagging(Bucket=bucket, Key="a b")["TagSet"]
    assert got == [{"Key": "team", "Value": "plat form"}, {"Key": "env", "Value": "dev"}]
    assert s3.get_object(Bucket=bucket, Key="a b")["TagCount"] == 2
    s3.put_object_tagging(Bucket=bucket, Key="a b", Tagging={"TagSet": [{"Key": "x", "Value": "y"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="a b")["TagSet"] == [{"Key": "x", "Value": "y"}]
    raises(s3.put_object_tagging, "BadRequest", "Object tags cannot be greater than 10",
           Bucket=bucket, Key="a b",
           Tagging={"TagSet": [{"Key": f"k{i}", "Value": "v"} for i in range(11)]})
    raises(s3.put_object, "BadRequest", Bucket=bucket, Key="c", Body=b"1",
           Tagging="&".join(f"k{i}=v" for i in range(11)))
    raises(s3.put_object_tagging, "InvalidTag", Bucket=bucket, Key="a b",
           Tagging={"TagSet": [{"Key": "k" * 129, "Value": "v"}]})
    raises(s3.get_object_tagging, "NoSuchKey", Bucket=bucket, Key="missing")
    # copies keep the source's tags, or take the request's with REPLACE
    s3.copy_object(Bucket=bucket, Key="copy", CopySource=f"{bucket}/a b")
    assert s3.get_object_tagging(Bucket=bucket, Key="copy")["TagSet"] == [{"Key": "x", "Value": "y"}]
    s3.copy_object(Bucket=bucket, Key="copy2", CopySource=f"{bucket}/a b",
                   TaggingDirective="REPLACE", Tagging="n=1")
    assert s3.get_object_tagging(Bucket=bucket, Key="copy2")["TagSet"] == [{"Key": "n", "Value": "1"}]
    s3.delete_object_tagging(Bucket=bucket, Key="a b")
    assert s3.get_object_tagging(Bucket=bucket, Key="a b")["TagSet"] == []
    assert s3.get_object(Bucket=bucket, Key="a b")["Body"].read() == b"1"


def test_object_tagging_of_versions(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"1", Tagging="gen=1")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"2")["VersionId"]
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []
    got = s3.get_object_tagging(Bucket=bucket, Key="k", VersionId=v1)
    assert got["TagSet"] == [{"Key": "gen", "Value": "1"}] and got["VersionId"] == v1
    s3.put_object_tagging(Bucket=bucket, Key="k", VersionId=v1,
                          Tagging={"TagSet": [{"Key": "gen", "Value": "old"}]})
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": "gen", "Value": "2"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="k", VersionId=v1)["TagSet"] == [
        {"Key": "gen", "Value": "old"}]
    assert s3.get_object_tagging(Bucket=bucket, Key="k", VersionId=v2)["TagSet"] == [
        {"Key": "gen", "Value": "2"}]
    # the current version's tags stay with it once it is no longer current
    s3.put_object(Bucket=bucket, Key="k", Body=b"3")
    assert s3.get_object_tagging(Bucket=bucket, Key="k", VersionId=v2)["TagSet"] == [
        {"Key": "gen", "Value": "2"}]
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=v1)["TagCount"] == 1
    raises(s3.get_object_tagging, "NoSuchVersion", Bucket=bucket, Key="k",
           VersionId="A" * 24)


def test_s3api_cli(ferry, s3, bucket):
    ferry.aws("s3api", "put-bucket-tagging", "--bucket", bucket, "--tagging",
              "TagSet=[{Key=a,Value=b}]", profile="dev", region="us-east-1")
    r = ferry.aws("s3api", "get-bucket-tagging", "--bucket", bucket, profile="dev",
                  region="us-east-1")
    assert r.json["TagSet"] == [{"Key": "a", "Value": "b"}]
    ferry.aws("s3api", "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration",
              "Status=Enabled", profile="dev", region="us-east-1")
    r = ferry.aws("s3api", "get-bucket-versioning", "--bucket", bucket, profile="dev",
                  region="us-east-1")
    assert r.json["Status"] == "Enabled"
    r = ferry.aws("s3api", "get-bucket-cors", "--bucket", bucket, profile="dev",
                  region="us-east-1", check=False)
    assert r.returncode != 0 and "NoSuchCORSConfiguration" in r.stderr


# --- notifications -----------------------------------------------------------------------

def queue(ferry, profile, name, bucket=None):
    sqs = ferry.client("sqs", profile, region="us-east-1")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if bucket:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sqs:SendMessage", "Resource": arn,
                "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"}}}]})})
    return sqs, url, arn


def receive(sqs, url, n, timeout=10.0):
    got, deadline = [], time.time() + timeout
    while len(got) < n and time.time() < deadline:
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in r.get("Messages", []):
            got.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return got


def test_notifications_to_a_queue_in_another_account(ferry, s3, bucket):
    sqs, url, arn = queue(ferry, "qa", "s3-events", bucket)
    cfg = {"QueueConfigurations": [{
        "Id": "uploads", "QueueArn": arn, "Events": ["s3:ObjectCreated:*"],
        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"},
                                           {"Name": "suffix", "Value": ".zip"}]}}},
        {"QueueArn": arn, "Events": ["s3:ObjectRemoved:Delete"]}]}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=cfg)
    test = receive(sqs, url, 1)
    assert test == [{"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": test[0]["Time"],
                     "Bucket": bucket, "RequestId": test[0]["RequestId"], "HostId": test[0]["HostId"]}]
    got = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]
    assert got[0]["Id"] == "uploads" and got[0]["Filter"] == cfg["QueueConfigurations"][0]["Filter"]
    assert got[1]["Id"]  # AWS names unnamed configurations
    put = s3.put_object(Bucket=bucket, Key="in/build 1.zip", Body=b"12345")
    s3.put_object(Bucket=bucket, Key="in/readme.txt", Body=b"no")  # filtered out
    s3.put_object(Bucket=bucket, Key="out/x.zip", Body=b"no")  # filtered out
    s3.copy_object(Bucket=bucket, Key="in/copy.zip", CopySource=f"{bucket}/in/build 1.zip")
    s3.delete_object(Bucket=bucket, Key="in/readme.txt")
    ev = receive(sqs, url, 3)
    assert len(ev) == 3, ev
    recs = {e["Records"][0]["eventName"]: e["Records"][0] for e in ev}
    assert set(recs) == {"ObjectCreated:Put", "ObjectCreated:Copy", "ObjectRemoved:Delete"}
    r = recs["ObjectCreated:Put"]
    assert r["eventSource"] == "aws:s3" and r["awsRegion"] == "us-east-1"
    assert r["s3"]["bucket"]["name"] == bucket
    assert r["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{bucket}"
    assert r["s3"]["configurationId"] == "uploads"
    assert r["s3"]["object"]["key"] == "in/build+1.zip"
    assert urllib.parse.unquote_plus(r["s3"]["object"]["key"]) == "in/build 1.zip"
    assert r["s3"]["object"]["size"] == 5
    assert r["s3"]["object"]["eTag"] == put["ETag"].strip('"')
    assert r["s3"]["object"]["sequencer"]
    assert recs["ObjectRemoved:Delete"]["s3"]["object"]["key"] == "in/readme.txt"
    # an empty configuration turns them off
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="in/late.zip", Body=b"1")
    assert receive(sqs, url, 1, timeout=1.5) == []


def test_notification_destinations_are_validated(ferry, s3, bucket):
    _, _, arn = queue(ferry, "qa", "s3-no-policy")  # no policy: S3 may not send
    raises(s3.put_bucket_notification_configuration, "InvalidArgument",
           "Unable to validate the following destination configurations", Bucket=bucket,
           NotificationConfiguration={"QueueConfigurations": [
               {"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
    missing = arn.replace("s3-no-policy", "s3-not-there")
    raises(s3.put_bucket_notification_configuration, "InvalidArgument", Bucket=bucket,
           NotificationConfiguration={"QueueConfigurations": [
               {"QueueArn": missing, "Events": ["s3:ObjectCreated:*"]}]})
    _, _, ok = queue(ferry, "qa", "s3-policy-other", "some-other-bucket")
    raises(s3.put_bucket_notification_configuration, "InvalidArgument", Bucket=bucket,
           NotificationConfiguration={"QueueConfigurations": [
               {"QueueArn": ok, "Events": ["s3:ObjectCreated:*"]}]})
    raises(s3.put_bucket_notification_configuration, "InvalidArgument",
           "The event is not supported for notifications", Bucket=bucket,
           NotificationConfiguration={"QueueConfigurations": [
               {"QueueArn": ok, "Events": ["s3:ObjectEaten:*"]}]})
    raises(s3.put_bucket_notification_configuration, "InvalidArgument",
           "Cannot specify more than one prefix rule in a filter.", Bucket=bucket,
           NotificationConfiguration={"QueueConfigurations": [
               {"QueueArn": ok, "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": [
                   {"Name": "prefix", "Value": "a"}, {"Name": "prefix", "Value": "b"}]}}}]})
    assert s3.get_bucket_notification_configuration(Bucket=bucket).get("QueueConfigurations") is None


def test_notifications_to_a_topic(ferry, s3, bucket):
    sns = ferry.client("sns", "dev", region="us-east-1")
    topic = sns.create_topic(Name="s3-topic")["TopicArn"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sns:Publish",
            "Resource": topic, "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"}}}]}))
    sqs = ferry.client("sqs", "dev", region="us-east-1")
    url = sqs.create_queue(QueueName="s3-topic-sub")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": qarn,
            "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                  Attributes={"RawMessageDelivery": "true"})
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectRemoved:*"]}]})
    assert receive(sqs, url, 1)[0]["Event"] == "s3:TestEvent"
    s3.put_object(Bucket=bucket, Key="gone", Body=b"1")
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "gone"}, {"Key": "never"}]})
    ev = receive(sqs, url, 1)
    assert [e["Records"][0]["eventName"] for e in ev] == ["ObjectRemoved:Delete"]
    assert ev[0]["Records"][0]["s3"]["object"]["key"] == "gone"


# --- lifecycle expiration --------------------------------------------------------------------

@pytest.fixture(scope="module")
def swept():
    """A ferry whose lifecycle sweep runs every 0.2 s (the FERRY_S3_LIFECYCLE_INTERVAL seam)."""
    from ferrytest import Ferry
    f = Ferry().start(env={"FERRY_S3_LIFECYCLE_INTERVAL": "0.2"})
    f.init()
    yield f
    f.close()


def keys_of(s3, bucket):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_lifecycle_expiration_is_applied(swept):
    s3 = swept.client("s3", "dev", region="us-east-1")
    s3.create_bucket(Bucket="expiring")
    sqs, url, arn = queue(swept, "dev", "expiry-events", "expiring")
    s3.put_bucket_notification_configuration(Bucket="expiring", NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:LifecycleExpiration:*"]}]})
    assert receive(sqs, url, 1)[0]["Event"] == "s3:TestEvent"
    for k in ("tmp/a", "tmp/b", "keep/c"):
        s3.put_object(Bucket="expiring", Key=k, Body=b"x", Tagging="class=scratch")
    s3.put_object(Bucket="expiring", Key="tmp/untagged", Body=b"x")
    # Days counts from each object's creation (none is a day old); a past Date expires at once
    s3.put_bucket_lifecycle_configuration(Bucket="expiring", LifecycleConfiguration={"Rules": [
        {"ID": "later", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}},
        {"ID": "disabled", "Status": "Disabled", "Filter": {"Prefix": "keep/"},
         "Expiration": {"Date": "2020-01-01T00:00:00Z"}},
        {"ID": "scratch", "Status": "Enabled",
         "Filter": {"And": {"Prefix": "tmp/", "Tags": [{"Key": "class", "Value": "scratch"}]}},
         "Expiration": {"Date": "2020-01-01T00:00:00Z"}}]})
    deadline = time.time() + 20
    while keys_of(s3, "expiring") != ["keep/c", "tmp/untagged"]:
        assert time.time() < deadline, keys_of(s3, "expiring")
        time.sleep(0.1)
    ev = receive(sqs, url, 2)
    assert sorted((e["Records"][0]["eventName"], e["Records"][0]["s3"]["object"]["key"])
                  for e in ev) == [("LifecycleExpiration:Delete", "tmp/a"),
                                   ("LifecycleExpiration:Delete", "tmp/b")]
    # the expiry is in the owner's trail, by S3 itself
    ct = swept.client("cloudtrail", "dev", region="us-east-1")
    evs = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName",
                                              "AttributeValue": "DeleteObjects"}])["Events"]
    assert any("s3.amazonaws.com" in (e.get("Username") or "") + e["CloudTrailEvent"] for e in evs)
