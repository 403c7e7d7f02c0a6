"""IAM Access Analyzer ValidatePolicy through boto3 and `aws accessanalyzer validate-policy`:
findings of each type with AWS's issue codes, links and locations, pagination, errors, and
its use as a pipeline gate over the policies of a CloudFormation template."""
import json

import botocore
import pytest

LINK = ("https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-"
        "checks.html#access-analyzer-reference-policy-checks-")


@pytest.fixture(scope="module")
def aa(ferry):
    return ferry.client("accessanalyzer", "dev", region="us-east-1")


def validate(aa, policy, ptype="IDENTITY_POLICY", **kw):
    text = policy if isinstance(policy, str) else json.dumps(policy, indent=4)
    return aa.validate_policy(policyDocument=text, policyType=ptype, **kw)["findings"]


def codes(findings):
    return [(f["findingType"], f["issueCode"]) for f in findings]


def stmt(**kw):
    s = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    s.update(kw)
    return s


def pol(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_clean_policy_has_no_findings(aa):
    assert validate(aa, pol(stmt(), stmt(Action=["sqs:SendMessage", "sns:Publish"],
                                         Resource="*"))) == []


def test_json_syntax_error_points_at_the_break(aa):
    f = validate(aa, '{"Version": "2012-10-17",\n "Statement": [}')
    assert codes(f) == [("ERROR", "JSON_SYNTAX_ERROR")]
    assert f[0]["findingDetails"] == "Fix the JSON syntax error at index 41 line 2 column 15."
    assert f[0]["locations"][0]["span"]["start"] == {"line": 2, "column": 15, "offset": 41}
    assert f[0]["learnMoreLink"] == LINK + "error-json-syntax-error"


def test_grammar_errors(aa):
    f = validate(aa, pol({"Effect": "Permit", "Action": "s3:GetObject", "Resource": "*"},
                         {"Action": "s3:GetObject", "Resource": "*"},
                         {"Effect": "Allow", "Resource": "*"},
                         {"Effect": "Allow", "Action": "s3:GetObject"},
                         {"Effect": "Allow", "Action": "s3:*", "NotAction": "s3:Get*",
                          "Resource": "*"},
                         {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Bogus": 1},
                         {"Effect": "Allow", "Principal": "*", "Action": "s3:*",
                          "Resource": "bucket"}))
    got = codes(f)
    for c in ["INVALID_EFFECT", "MISSING_EFFECT", "MISSING_ACTION", "MISSING_RESOURCE",
              "UNSUPPORTED_ELEMENT_COMBINATION", "INVALID_POLICY_ELEMENT", "UNSUPPORTED_PRINCIPAL",
              "INVALID_ARN_PREFIX"]:
        assert ("ERROR", c) in got, c
    eff = next(x for x in f if x["issueCode"] == "INVALID_EFFECT")
    assert eff["findingDetails"] == "The effect Permit is not valid. Use Allow or Deny."
    assert eff["locations"][0]["path"] == [{"value": "Statement"}, {"index": 0}, {"value": "Effect"}]


def test_invalid_action_with_a_suggestion_and_its_span(aa):
    text = ('{\n    "Version": "2012-10-17",\n    "Statement": [\n        {\n'
            '            "Effect": "Allow",\n'
            '            "Action": ["s3:GetObjet", "sqs:SendMessage", "iam:PassRole"],\n'
            '            "Resource": "arn:aws:s3:::b/*"\n        }\n    ]\n}')
    f = validate(aa, text)
    assert codes(f) == [("ERROR", "INVALID_ACTION")]
    assert f[0]["findingDetails"] == "The action s3:GetObjet does not exist. Did you mean s3:GetObject?"
    loc = f[0]["locations"][0]
    assert loc["path"] == [{"value": "Statement"}, {"index": 0}, {"value": "Action"}, {"index": 0}]
    line = text.split("\n")[5]
    col = line.index('"s3:GetObjet"')
    assert loc["span"]["start"] == {"line": 6, "column": col, "offset": text.index('"s3:GetObjet"')}
    assert loc["span"]["end"]["column"] == col + len('"s3:GetObjet"')
    # services ferry has no model for are not judged; IAM-only actions are known
    assert validate(aa, pol(stmt(Action=["ec2:DescribeInstances", "s3:ListBucket",
                                         "lambda:InvokeFunction", "sts:TagSession"])))  == []


def test_security_warnings(aa):
    f = validate(aa, pol(stmt(Action="iam:PassRole", Resource="*")))
    assert codes(f) == [("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE")]
    assert f[0]["learnMoreLink"] == LINK + "security-warning-pass-role-with-star-in-resource"
    assert f[0]["locations"][0]["path"] == [{"value": "Statement"}, {"index": 0},
                                            {"value": "Resource"}]
    # the iam:PassedToService condition key narrows it enough
    assert validate(aa, pol(stmt(Action="iam:PassRole", Resource="*", Condition={
        "StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}))) == []
    admin = codes(validate(aa, pol(stmt(Action="*", Resource="*"))))
    assert ("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE") in admin
    assert ("WARNING", "CREATE_SLR_WITH_STAR_IN_ACTION_AND_RESOURCE") in admin
    # Allow with NotPrincipal in a resource policy
    f = validate(aa, pol({"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
                          "Action": "sqs:SendMessage", "Resource": "*"}), "RESOURCE_POLICY")
    assert codes(f) == [("SECURITY_WARNING", "ALLOW_WITH_NOT_PRINCIPAL")]


def test_not_action_and_not_resource_with_allow_warn(aa):
    f = codes(validate(aa, pol({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"})))
    assert ("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION") in f
    assert ("WARNING", "CREATE_SLR_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION") in f
    f = codes(validate(aa, pol({"Effect": "Allow", "Action": "iam:*",
                                "NotResource": "arn:aws:iam::111122223333:role/admin"})))
    assert ("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE") in f
    assert ("WARNING", "CREATE_SLR_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE") in f
    # Deny statements are never too permissive
    assert validate(aa, pol({"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"})) == []


def test_general_warnings(aa):
    f = validate(aa, {"Statement": [stmt(Condition={
        "StringEquals": {"aws:PrincipalTag/team": "dev*"},
        "Bool": {"aws:SecureTransport": "yes"},
        "NumericLessThan": {"aws:MultiFactorAuthAge": "soon"},
        "DateGreaterThan": {"aws:CurrentTime": "yesterday"},
        "IpAddress": {"aws:SourceIp": "10.0.0.300/8"}})]})
    got = codes(f)
    for c in ["MISSING_VERSION", "WILDCARD_WITHOUT_LIKE_OPERATOR", "TYPE_MISMATCH_BOOLEAN",
              "TYPE_MISMATCH_NUMBER", "TYPE_MISMATCH_DATE", "TYPE_MISMATCH_IP_RANGE"]:
        assert ("WARNING", c) in got, c
    mv = next(x for x in f if x["issueCode"] == "MISSING_VERSION")
    assert mv["findingDetails"].startswith("We recommend that you specify the Version element")
    assert mv["locations"][0]["path"] == []
    # duplicate Sids: an error for identity policies, a warning for resource policies
    dup = pol(stmt(Sid="A"), stmt(Sid="A", Action="s3:PutObject"))
    assert ("ERROR", "UNIQUE_SIDS_REQUIRED") in codes(validate(aa, dup))
    dup["Statement"] = [dict(s, Principal={"AWS": "111122223333"}) for s in dup["Statement"]]
    assert ("WARNING", "UNIQUE_SIDS_RECOMMENDED") in codes(validate(aa, dup, "RESOURCE_POLICY"))


def test_suggestions(aa):
    f = validate(aa, pol(stmt(Sid="", Action=["iam:Get*", "iam:List*", "iam:GetRole"],
                              Resource=["arn:aws:s3:::b/*", "arn:aws:s3:::b/key"]),
                         stmt(Action=[]),
                         stmt(Sid="Again", Action=["iam:Get*", "iam:List*", "iam:GetRole"],
                              Resource=["arn:aws:s3:::b/*", "arn:aws:s3:::b/key"])))
    got = codes(f)
    for c in ["EMPTY_SID_VALUE", "REDUNDANT_ACTION", "REDUNDANT_RESOURCE", "EMPTY_ARRAY_ACTION",
              "REDUNDANT_STATEMENT"]:
        assert ("SUGGESTION", c) in got, c
    ra = next(x for x in f if x["issueCode"] == "REDUNDANT_ACTION")
    assert ra["findingDetails"].startswith("The iam:GetRole action(s) are redundant")
    assert ra["locations"][0]["path"][-1] == {"index": 2}
    rs = next(x for x in f if x["issueCode"] == "REDUNDANT_STATEMENT")
    assert [loc["path"] for loc in rs["locations"]] == [
        [{"value": "Statement"}, {"index": 0}], [{"value": "Statement"}, {"index": 2}]]


def test_policy_types(aa):
    # a resource policy needs a principal; an SCP may not have one
    f = validate(aa, pol(stmt()), "RESOURCE_POLICY")
    assert codes(f) == [("ERROR", "MISSING_PRINCIPAL")]
    f = validate(aa, pol(stmt(Principal="*")), "SERVICE_CONTROL_POLICY")
    assert codes(f) == [("ERROR", "SCP_SYNTAX_ERROR_PRINCIPAL")]
    assert validate(aa, pol({"Effect": "Deny", "Action": "s3:*", "Resource": "*"}),
                    "SERVICE_CONTROL_POLICY") == []
    f = validate(aa, pol(stmt(Principal={"AWS": "arn:aws:iam::*:role/x"})), "RESOURCE_POLICY")
    assert codes(f) == [("ERROR", "UNSUPPORTED_WILDCARD_IN_PRINCIPAL")]
    trust = pol({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                 "Action": "sts:AssumeRole"})
    assert validate(aa, trust, "RESOURCE_POLICY",
                    validatePolicyResourceType="AWS::IAM::AssumeRolePolicyDocument") == []
    big = pol(*[stmt(Sid=f"S{i}", Action=f"s3:GetObject", Resource=f"arn:aws:s3:::bucket-{i}/*")
                for i in range(120)])
    assert ("WARNING", "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA") in codes(validate(aa, big))
    f = validate(aa, pol(stmt(Condition={"StringEqualz": {"aws:username": "bob"}})))
    assert codes(f) == [("ERROR", "INVALID_CONDITION_OPERATOR")]


def test_pagination_and_input_errors(aa):
    noisy = pol(*[stmt(Sid="", Action=f"s3:GetObject", Resource=f"arn:aws:s3:::b{i}/*")
                  for i in range(5)])
    all_f = validate(aa, noisy)
    assert len(all_f) == 5
    page = aa.validate_policy(policyDocument=json.dumps(noisy), policyType="IDENTITY_POLICY",
                              maxResults=2)
    assert len(page["findings"]) == 2 and page["nextToken"]
    pages = list(aa.get_paginator("validate_policy").paginate(
        policyDocument=json.dumps(noisy), policyType="IDENTITY_POLICY",
        PaginationConfig={"PageSize": 2}))
    assert [len(p["findings"]) for p in pages] == [2, 2, 1]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        validate(aa, pol(stmt()), "NOT_A_TYPE")
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert "policyType" in e.value.response["Error"]["Message"]
    with pytest.raises(aa.exceptions.ValidationException):
        aa.validate_policy(policyDocument="{}", policyType="IDENTITY_POLICY", nextToken="junk")


def test_cli_validate_policy(ferry, tmp_path):
    f = tmp_path / "p.json"
    f.write_text(json.dumps(pol(stmt(Action="iam:PassRole", Resource="*"), stmt(Sid=""))))
    r = ferry.aws("accessanalyzer", "validate-policy", "--policy-type", "IDENTITY_POLICY",
                  "--policy-document", f"file://{f}", profile="tools")
    got = codes(r.json["findings"])
    assert ("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE") in got
    assert ("SUGGESTION", "EMPTY_SID_VALUE") in got
    # the usual gate: no ERROR or SECURITY_WARNING
    r = ferry.aws("accessanalyzer", "validate-policy", "--policy-type", "IDENTITY_POLICY",
                  "--policy-document", f"file://{f}", "--query",
                  "findings[?findingType==`ERROR` || findingType==`SECURITY_WARNING`].issueCode",
                  profile="tools")
    assert r.json == ["PASS_ROLE_WITH_STAR_IN_RESOURCE"]
    r = ferry.aws("accessanalyzer", "validate-policy", "--policy-type", "WRONG",
                  "--policy-document", f"file://{f}", check=False)
    assert r.returncode != 0 and "ValidationException" in r.stderr


TEMPLATE = {
    "Resources": {
        "DeployRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"},
                "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": "deploy", "PolicyDocument": {
                "Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": ["cloudformation:*", "iam:PassRole"],
                     "Resource": "*"}]}}]}},
        "Queue": {"Type": "AWS::SQS::QueuePolicy", "Properties": {"PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage", "Resource": "*"}]}}},
    }
}


def test_pipeline_gate_over_a_template(aa):
    """Seed 001: validate every policy of a template; ERROR or SECURITY_WARNING fails it."""
    blocking = []
    for name, res in TEMPLATE["Resources"].items():
        props = res["Properties"]
        docs = []
        if res["Type"] == "AWS::IAM::Role":
            docs.append(("RESOURCE_POLICY", props["AssumeRolePolicyDocument"],
                         "AWS::IAM::AssumeRolePolicyDocument"))
            docs += [("IDENTITY_POLICY", p["PolicyDocument"], None) for p in props["Policies"]]
        else:
            docs.append(("RESOURCE_POLICY", props["PolicyDocument"], None))
        for ptype, d, rtype in docs:
            kw = {"validatePolicyResourceType": rtype} if rtype else {}
            for f in validate(aa, d, ptype, **kw):
                if f["findingType"] in ("ERROR", "SECURITY_WARNING"):
                    blocking.append((name, f["issueCode"]))
    assert blocking == [("DeployRole", "PASS_ROLE_WITH_STAR_IN_RESOURCE")]
