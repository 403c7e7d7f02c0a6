"""CloudFormation's AWS::S3::Bucket and AWS::S3::BucketPolicy through boto3 (Debian's 1.26):
generated lowercase names, every configuration property checked through the S3 API, Ref and
GetAtt, updates in place, a public policy refused under Block Public Access, a non-empty
bucket's delete failing as AWS (DELETE_FAILED, BucketNotEmpty), DeletionPolicy Retain."""
import json
import re

import botocore
import pytest

from test_cfn_providers import PROFILE, REGION, Stacks, out


@pytest.fixture(scope="module")
def stacks(ferry):
    return Stacks(ferry)


@pytest.fixture(scope="module")
def s3(ferry):
    return ferry.client("s3", PROFILE, region=REGION)


def bucket_template(versioning="Enabled", expire_days=30, with_policy=True, extra=None):
    props = {
        "VersioningConfiguration": {"Status": versioning},
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
            "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                              "KMSMasterKeyID": "alias/artifacts"},
            "BucketKeyEnabled": True}]},
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                           "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "LifecycleConfiguration": {"Rules": [{"Id": "old", "Status": "Enabled", "Prefix": "tmp/",
                                              "ExpirationInDays": expire_days}]},
        "CorsConfiguration": {"CorsRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"],
                                             "MaxAge": 60}]},
        "Tags": [{"Key": "app", "Value": "pipeline"}],
    }
    props.update(extra or {})
    res = {"Artifacts": {"Type": "AWS::S3::Bucket", "Properties": props}}
    if with_policy:
        res["Policy"] = {"Type": "AWS::S3::BucketPolicy", "Properties": {
            "Bucket": {"Ref": "Artifacts"},
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "s3:GetObject",
                "Principal": {"AWS": {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root"}},
                "Resource": [{"Fn::GetAtt": ["Artifacts", "Arn"]},
                             {"Fn::Sub": "${Artifacts.Arn}/*"}]}]}}}
    return {"Resources": res,
            "Outputs": out(("Name", {"Ref": "Artifacts"}),
                           ("Arn", {"Fn::GetAtt": ["Artifacts", "Arn"]}),
                           ("DomainName", {"Fn::GetAtt": ["Artifacts", "DomainName"]}),
                           ("Regional", {"Fn::GetAtt": ["Artifacts", "RegionalDomainName"]}),
                           ("DualStack", {"Fn::GetAtt": ["Artifacts", "DualStackDomainName"]}),
                           ("Website", {"Fn::GetAtt": ["Artifacts", "WebsiteURL"]}))}


def test_bucket_stack(ferry, stacks, s3):
    s = stacks.deploy("Build-Artifacts", bucket_template())
    name = s["Out"]["Name"]
    assert re.fullmatch(r"build-artifacts-artifacts-[a-z0-9]{13}", name), name
    assert s["Out"]["Arn"] == f"arn:aws:s3:::{name}"
    assert s["Out"]["DomainName"] == f"{name}.s3.amazonaws.com"
    assert s["Out"]["Regional"] == f"{name}.s3.{REGION}.amazonaws.com"
    assert s["Out"]["DualStack"] == f"{name}.s3.dualstack.{REGION}.amazonaws.com"
    assert s["Out"]["Website"] == f"http://{name}.s3-website-{REGION}.amazonaws.com"
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    enc = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert enc == {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                          "KMSMasterKeyID": "alias/artifacts"},
                   "BucketKeyEnabled": True}
    rules = s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
    assert rules == [{"ID": "old", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
                      "Expiration": {"Days": 30}}]
    assert s3.get_bucket_cors(Bucket=name)["CORSRules"] == [
        {"AllowedMethods": ["GET"], "AllowedOrigins": ["*"], "MaxAgeSeconds": 60}]
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=name)["TagSet"]}
    assert tags["app"] == "pipeline" and tags["aws:cloudformation:logical-id"] == "Artifacts"
    pol = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
    assert pol["Statement"][0]["Resource"][1] == f"arn:aws:s3:::{name}/*"

    # in place: versioning suspended, lifecycle changed, CORS and the policy gone
    t = bucket_template(versioning="Suspended", expire_days=7, with_policy=False)
    del t["Resources"]["Artifacts"]["Properties"]["CorsConfiguration"]
    s2 = stacks.deploy("Build-Artifacts", t, update=True)
    assert s2["Out"]["Name"] == name
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Suspended"
    assert s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"][0]["Expiration"] == {"Days": 7}
    with pytest.raises(botocore.exceptions.ClientError) as ex:
        s3.get_bucket_cors(Bucket=name)
    assert ex.value.response["Error"]["Code"] == "NoSuchCORSConfiguration"
    with pytest.raises(botocore.exceptions.ClientError) as ex:
        s3.get_bucket_policy(Bucket=name)
    assert ex.value.response["Error"]["Code"] == "NoSuchBucketPolicy"

    # a bucket that holds objects cannot be deleted: DELETE_FAILED, as AWS
    s3.put_object(Bucket=name, Key="artifact.zip", Body=b"zip", ServerSideEncryption="AES256")  # the default names a key no stack made
    stacks.cfn.delete_stack(StackName=s["StackId"])
    st = stacks.wait(s["StackId"])
    assert st["StackStatus"] == "DELETE_FAILED"
    assert any("BucketNotEmpty" in f or "not empty" in f for f in stacks.failures(s["StackId"]))
    # the bucket is versioned: every version and delete marker must go before it can
    vs = s3.list_object_versions(Bucket=name)
    for v in vs.get("Versions", []) + vs.get("DeleteMarkers", []):
        s3.delete_object(Bucket=name, Key=v["Key"], VersionId=v["VersionId"])
    stacks.delete(s)
    with pytest.raises(botocore.exceptions.ClientError) as ex:
        s3.head_bucket(Bucket=name)
    assert ex.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_named_bucket_public_policy_and_retain(ferry, stacks, s3):
    t = {"Resources": {
        "B": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain",
              "Properties": {"BucketName": "cfn-named-retained-bucket"}},
        "P": {"Type": "AWS::S3::BucketPolicy", "Properties": {
            "Bucket": {"Ref": "B"}, "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::cfn-named-retained-bucket/*"}]}}}}}
    # the default Block Public Access refuses a public policy: the stack rolls back
    pub = json.loads(json.dumps(t))
    pub["Resources"]["B"]["DeletionPolicy"] = "Delete"
    sid = stacks.cfn.create_stack(StackName="public-bucket", TemplateBody=json.dumps(pub))["StackId"]
    st = stacks.wait(sid)
    assert st["StackStatus"] == "ROLLBACK_COMPLETE", st["StackStatus"]
    assert any("AccessDenied" in f or "BlockPublicPolicy" in f for f in stacks.failures("public-bucket"))
    stacks.cfn.delete_stack(StackName=sid)
    assert stacks.wait(sid)["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(botocore.exceptions.ClientError):
        s3.head_bucket(Bucket="cfn-named-retained-bucket")  # the rollback deleted it
    # without the policy, Retain keeps the bucket after the stack is gone
    del t["Resources"]["P"]
    s = stacks.deploy("retained-bucket", t)
    assert s["Out"] == {}
    stacks.delete(s)
    s3.head_bucket(Bucket="cfn-named-retained-bucket")
    # a named bucket that exists is not taken over
    stacks.cfn.create_stack(StackName="taken-bucket", TemplateBody=json.dumps(t))
    st = stacks.wait("taken-bucket")
    assert st["StackStatus"] == "ROLLBACK_COMPLETE"
    assert any("already exists" in f for f in stacks.failures("taken-bucket"))


def test_bucket_notifications_from_a_stack(ferry, stacks, s3):
    t = {"Resources": {
        "Q": {"Type": "AWS::SQS::Queue"},
        "QP": {"Type": "AWS::SQS::QueuePolicy", "Properties": {
            "Queues": [{"Ref": "Q"}], "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sqs:SendMessage", "Resource": {"Fn::GetAtt": ["Q", "Arn"]}}]}}},
        "B": {"Type": "AWS::S3::Bucket", "DependsOn": "QP", "Properties": {
            "NotificationConfiguration": {"QueueConfigurations": [{
                "Event": "s3:ObjectCreated:*", "Queue": {"Fn::GetAtt": ["Q", "Arn"]},
                "Filter": {"S3Key": {"Rules": [{"Name": "suffix", "Value": ".zip"}]}}}]}}}},
        "Outputs": out(("Bucket", {"Ref": "B"}), ("Queue", {"Ref": "Q"}))}
    s = stacks.deploy("notify-bucket", t)
    got = s3.get_bucket_notification_configuration(Bucket=s["Out"]["Bucket"])["QueueConfigurations"]
    assert got[0]["Events"] == ["s3:ObjectCreated:*"]
    assert got[0]["Filter"] == {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".zip"}]}}
    s3.put_object(Bucket=s["Out"]["Bucket"], Key="a.zip", Body=b"1")
    sqs = ferry.client("sqs", PROFILE, region=REGION)
    bodies = []
    for _ in range(10):
        r = sqs.receive_message(QueueUrl=s["Out"]["Queue"], MaxNumberOfMessages=10, WaitTimeSeconds=1)
        bodies += [json.loads(m["Body"]) for m in r.get("Messages", [])]
        if any("Records" in b for b in bodies):
            break
    assert [b["Records"][0]["s3"]["object"]["key"] for b in bodies if "Records" in b] == ["a.zip"]
    s3.delete_object(Bucket=s["Out"]["Bucket"], Key="a.zip")
    stacks.delete(s)
