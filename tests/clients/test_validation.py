"""Input constraints from the AWS models (src/proto/validate.c) through boto3: one failure per
protocol family, worded and coded as AWS answers. boto3's own parameter validation is turned
off so that the requests reach the server as a client without it would send them."""
import botocore
import pytest
from botocore.config import Config

RAW = Config(parameter_validation=False)


def err(fn, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        fn(**kw)
    e = ei.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def test_query_service_validation_error(ferry):
    iam = ferry.client("iam", "dev", config=RAW)
    code, msg, status = err(iam.create_role, RoleName="a" * 65, Path="nope",
                            AssumeRolePolicyDocument="{}")
    assert (code, status) == ("ValidationError", 400)
    assert msg == ("2 validation errors detected: Value 'nope' at 'path' failed to satisfy "
                   "constraint: Member must satisfy regular expression pattern: "
                   "(\\u002F)|(\\u002F[\\u0021-\\u007F]+\\u002F); Value '" + "a" * 65 + "' at "
                   "'roleName' failed to satisfy constraint: Member must have length less than or "
                   "equal to 64")
    sts = ferry.client("sts", "dev", config=RAW)
    code, msg, status = err(sts.assume_role, RoleArn="arn:aws:iam::123456789012:role/x",
                            RoleSessionName="s")
    assert (code, status) == ("ValidationError", 400)
    assert msg == ("1 validation error detected: Value 's' at 'roleSessionName' failed to satisfy "
                   "constraint: Member must have length greater than or equal to 2")


def test_query_lists_of_enums(ferry):
    iam = ferry.client("iam", "dev")
    code, msg, _ = err(iam.get_account_authorization_details, Filter=["Role", "Nope"])
    assert code == "ValidationError"
    assert msg == ("1 validation error detected: Value '[Role, Nope]' at 'filter' failed to "
                   "satisfy constraint: Member must satisfy constraint: [Member must satisfy enum "
                   "value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]]")


def test_sns_answers_invalid_parameter(ferry):
    sns = ferry.client("sns", "dev", region="us-east-1", config=RAW)
    arn = sns.create_topic(Name="validated")["TopicArn"]
    code, msg, status = err(sns.tag_resource, ResourceArn=arn)
    assert (code, status) == ("InvalidParameter", 400)
    assert msg == ("1 validation error detected: Value null at 'tags' failed to satisfy "
                   "constraint: Member must not be null")
    # the values SNS checks itself, in its own words
    code, msg, _ = err(sns.tag_resource, ResourceArn=arn, Tags=[{"Key": "", "Value": "v"}])
    assert code == "InvalidParameter" and "Tag keys must be between 1 and 128 characters" in msg


def test_json_service_validation_exception(ferry):
    ct = ferry.client("cloudtrail", "dev", region="us-east-1", config=RAW)
    code, msg, status = err(ct.lookup_events, LookupAttributes=[{"AttributeKey": "EventName"}])
    assert (code, status) == ("ValidationException", 400)
    assert msg == ("1 validation error detected: Value null at "
                   "'lookupAttributes.1.member.attributeValue' failed to satisfy constraint: "
                   "Member must not be null")


def test_rest_json_service_validation_exception(ferry):
    aa = ferry.client("accessanalyzer", "dev", region="us-east-1", config=RAW)
    code, msg, status = err(aa.validate_policy, policyDocument="{}")
    assert (code, status) == ("ValidationException", 400)
    assert msg == ("1 validation error detected: Value null at 'policyType' failed to satisfy "
                   "constraint: Member must not be null")
