"""CodeBuild report groups and reports through boto3 (json 1.1): CreateReportGroup,
UpdateReportGroup (export config and tags replaced), BatchGetReportGroups, ListReportGroups
(sorting, paging), DeleteReportGroup (with and without deleteReports), the report
operations on absent reports, validation errors, IAM authorization, and
AWS::CodeBuild::ReportGroup in CloudFormation. Reading test result files into reports
(cb_reports_ingest) is covered by tests/unit/svc/codebuild/reports_test.c and
testfiles_test.c."""
import json
import time

import botocore.config
import pytest
from ferrytest import acct, raises, stack_wait

REGION = "us-east-1"


@pytest.fixture(scope="module")
def cb(ferry):
    return ferry.client("codebuild", "tools", region=REGION)


def arn(ferry, name):
    return f"arn:aws:codebuild:{REGION}:{acct(ferry, 'tools')}:report-group/{name}"


def test_report_group_crud(ferry, cb):
    g = cb.create_report_group(name="unit-tests", type="TEST",
                               exportConfig={"exportConfigType": "NO_EXPORT"},
                               tags=[{"key": "team", "value": "a"}])["reportGroup"]
    assert g["arn"] == arn(ferry, "unit-tests") and g["name"] == "unit-tests"
    assert g["type"] == "TEST" and g["status"] == "ACTIVE"
    assert g["exportConfig"] == {"exportConfigType": "NO_EXPORT"}
    assert g["tags"] == [{"key": "team", "value": "a"}]
    assert g["created"] == g["lastModified"]
    raises(cb.create_report_group, "ResourceAlreadyExistsException",
           f"Report group {g['arn']} already exists", name="unit-tests", type="TEST",
           exportConfig={"exportConfigType": "NO_EXPORT"})

    u = cb.update_report_group(arn=g["arn"], exportConfig={
        "exportConfigType": "S3", "s3Destination": {"bucket": "reports", "packaging": "ZIP"}},
        tags=[{"key": "env", "value": "dev"}])["reportGroup"]
    assert u["exportConfig"]["s3Destination"] == {"bucket": "reports", "packaging": "ZIP"}
    assert u["tags"] == [{"key": "env", "value": "dev"}] and u["lastModified"] >= u["created"]

    got = cb.batch_get_report_groups(reportGroupArns=[g["arn"], arn(ferry, "nope")])
    assert [x["name"] for x in got["reportGroups"]] == ["unit-tests"]
    assert got["reportGroups"][0]["tags"] == [{"key": "env", "value": "dev"}]
    assert got["reportGroupsNotFound"] == [arn(ferry, "nope")]

    assert cb.list_reports_for_report_group(reportGroupArn=g["arn"])["reports"] == []
    t = cb.get_report_group_trend(reportGroupArn=g["arn"], trendField="PASS_RATE")
    assert t["rawData"] == [] and t["stats"] == {}

    cb.delete_report_group(arn=g["arn"])
    assert cb.batch_get_report_groups(reportGroupArns=[g["arn"]])["reportGroupsNotFound"] == \
        [g["arn"]]
    raises(cb.update_report_group, "ResourceNotFoundException",
           f"Report group {g['arn']} does not exist", arn=g["arn"])
    raises(cb.delete_report_group, "InvalidInputException", arn=g["arn"])


def test_list_sorting_and_paging(ferry, cb):
    for n in ("pg-b", "pg-a", "pg-c"):
        cb.create_report_group(name=n, type="CODE_COVERAGE",
                               exportConfig={"exportConfigType": "NO_EXPORT"})
        time.sleep(0.01)
    mine = lambda arns: [a.rsplit("/", 1)[1] for a in arns if "/pg-" in a]
    r = cb.list_report_groups(sortBy="NAME", sortOrder="ASCENDING")
    assert mine(r["reportGroups"]) == ["pg-a", "pg-b", "pg-c"]
    r = cb.list_report_groups(sortBy="CREATED_TIME", sortOrder="DESCENDING")
    assert mine(r["reportGroups"]) == ["pg-c", "pg-a", "pg-b"]
    pages = cb.get_paginator("list_report_groups").paginate(
        sortBy="NAME", PaginationConfig={"PageSize": 1})
    seen = [a for p in pages for a in p["reportGroups"]]
    assert mine(seen) == ["pg-a", "pg-b", "pg-c"]
    raises(cb.list_report_groups, "InvalidInputException", nextToken="bogus")
    for n in ("pg-a", "pg-b", "pg-c"):
        cb.delete_report_group(arn=arn(ferry, n))


@pytest.fixture(scope="module")
def raw(ferry):
    """A client that leaves validation to the server."""
    return ferry.client("codebuild", "tools", region=REGION,
                        config=botocore.config.Config(parameter_validation=False))


def test_validation(ferry, cb, raw):
    no = {"exportConfigType": "NO_EXPORT"}
    raises(cb.create_report_group, "InvalidInputException",
           "Invalid report group name: bad/name", name="bad/name", type="TEST", exportConfig=no)
    raises(raw.create_report_group, "ValidationException", name="x", type="TEST",
           exportConfig=no)
    raises(raw.create_report_group, "ValidationException", name="okname", type="UNIT",
           exportConfig=no)
    raises(cb.create_report_group, "InvalidInputException",
           "Invalid export config: S3 bucket is required", name="okname", type="TEST",
           exportConfig={"exportConfigType": "S3", "s3Destination": {}})
    raises(cb.update_report_group, "ResourceNotFoundException", arn="not-an-arn")
    raises(cb.list_reports_for_report_group, "ResourceNotFoundException",
           reportGroupArn=arn(ferry, "absent"))
    raises(cb.get_report_group_trend, "ResourceNotFoundException",
           reportGroupArn=arn(ferry, "absent"), trendField="TOTAL")
    raises(raw.get_report_group_trend, "ValidationException",
           reportGroupArn=arn(ferry, "absent"), trendField="SPEED")
    rep = f"arn:aws:codebuild:{REGION}:{acct(ferry, 'tools')}:report/absent:1234"
    raises(cb.describe_test_cases, "ResourceNotFoundException", reportArn=rep)
    got = cb.batch_get_reports(reportArns=[rep])
    assert got["reportsNotFound"] == [rep] and "reports" not in got
    cb.delete_report(arn=rep)  # absent: nothing to do
    assert cb.list_reports(filter={"status": "FAILED"})["reports"] == []
    raises(raw.list_reports, "ValidationException", filter={"status": "BROKEN"})


def test_authorization(ferry):
    pol = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["codebuild:CreateReportGroup",
                                       "codebuild:BatchGetReportGroups"],
         "Resource": f"arn:aws:codebuild:{REGION}:*:report-group/team-*"}]}
    c = ferry.user_client("codebuild", "tools", "rg-user", pol, region=REGION)
    no = {"exportConfigType": "NO_EXPORT"}
    c.create_report_group(name="team-x", type="TEST", exportConfig=no)
    raises(c.create_report_group, "AccessDeniedException", name="other", type="TEST",
           exportConfig=no)
    raises(c.delete_report_group, "AccessDeniedException", arn=arn(ferry, "team-x"))
    raises(c.list_report_groups, "AccessDeniedException")


RG_TEMPLATE = """
Resources:
  Named:
    Type: AWS::CodeBuild::ReportGroup
    Properties:
      Name: cfn-tests
      Type: TEST
      DeleteReports: true
      ExportConfig:
        Type: S3
        S3Destination: {Bucket: report-bucket, Packaging: ZIP, EncryptionDisabled: "true"}
      Tags: [{Key: team, Value: pipes}]
  Unnamed:
    Type: AWS::CodeBuild::ReportGroup
    Properties:
      Type: CODE_COVERAGE
      ExportConfig: {Type: NO_EXPORT}
Outputs:
  Ref: {Value: !Ref Named}
  Arn: {Value: !GetAtt Named.Arn}
  Name: {Value: !GetAtt Named.Name}
  Other: {Value: !Ref Unnamed}
"""


def test_cloudformation_report_group(ferry, cb):
    cfn = ferry.client("cloudformation", "tools", region=REGION)
    cfn.create_stack(StackName="rg-stack", TemplateBody=RG_TEMPLATE)
    s = stack_wait(cfn, "rg-stack")
    assert s["StackStatus"] == "CREATE_COMPLETE", s
    out = {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}
    assert out["Ref"] == out["Arn"] == arn(ferry, "cfn-tests") and out["Name"] == "cfn-tests"
    assert out["Other"].startswith(arn(ferry, "rg-stack-Unnamed-"))
    g = cb.batch_get_report_groups(reportGroupArns=[out["Arn"]])["reportGroups"][0]
    assert g["exportConfig"] == {"exportConfigType": "S3", "s3Destination": {
        "bucket": "report-bucket", "packaging": "ZIP", "encryptionDisabled": True}}
    assert {"key": "team", "value": "pipes"} in g["tags"]
    other = cb.batch_get_report_groups(reportGroupArns=[out["Other"]])["reportGroups"][0]
    assert other["type"] == "CODE_COVERAGE"
    # the export config changes in place
    cfn.update_stack(StackName="rg-stack", TemplateBody=RG_TEMPLATE.replace(
        "Type: S3\n        S3Destination: {Bucket: report-bucket, Packaging: ZIP, "
        "EncryptionDisabled: \"true\"}", "Type: NO_EXPORT"))
    assert stack_wait(cfn, "rg-stack")["StackStatus"] == "UPDATE_COMPLETE"
    g = cb.batch_get_report_groups(reportGroupArns=[out["Arn"]])["reportGroups"][0]
    assert g["exportConfig"] == {"exportConfigType": "NO_EXPORT"} and g["created"] < \
        g["lastModified"]
    cfn.delete_stack(StackName="rg-stack")
    stack_wait(cfn, "rg-stack")
    assert cb.batch_get_report_groups(reportGroupArns=[out["Arn"], out["Other"]])[
        "reportGroupsNotFound"] == [out["Arn"], out["Other"]]
