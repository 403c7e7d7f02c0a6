/* src/svc/accessanalyzer/policycheck.c: policies in, issue codes out, one table case per
 * check, plus the shape of a finding and survival of mangled documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/accessanalyzer/policycheck.h"

#define ID  AA_IDENTITY_POLICY
#define RES AA_RESOURCE_POLICY
#define SCP AA_SERVICE_CONTROL_POLICY

#define V   "{\"Version\":\"2012-10-17\",\"Statement\":["
#define END "]}"
#define S3  "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\""

/* The findings' "TYPE CODE" joined by ", ". */
static char *run(const char *doc, int type, int trust, json_t **out)
{
    arena *a = arena_new(4096);
    json_t *f = NULL;
    ferr e = {0};
    assert_int_equal(aa_validate_policy(a, doc, strlen(doc), type, trust, &f, &e), 0);
    arena_free(a);
    static char buf[2048];
    buf[0] = 0;
    size_t i;
    json_t *x;
    json_array_foreach(f, i, x) {
        if (i) strcat(buf, ", ");
        strncat(buf, json_string_value(json_object_get(x, "findingType")), 100);
        strcat(buf, " ");
        strncat(buf, json_string_value(json_object_get(x, "issueCode")), 100);
    }
    if (out)
        *out = f;
    else
        json_decref(f);
    return buf;
}

static void test_table(void **state)
{
    (void)state;
    static const struct {
        const char *doc;
        int type, trust;
        const char *want;
    } cases[] = {
        {V "{\"Effect\":\"Allow\"," S3 "}" END, ID, 0, ""},
        {"{\"Statement\":[{\"Effect\":\"Allow\"," S3 "}]}", ID, 0, "WARNING MISSING_VERSION"},
        {"[1]", ID, 0, "ERROR DATA_TYPE_MISMATCH"},
        {"{\"Version\":\"2012-10-17\"}", ID, 0, "ERROR MISSING_STATEMENT"},
        {V END, ID, 0, "ERROR MISSING_STATEMENT"},
        {"{\"Version\":\"2013-01-01\",\"Statement\":{\"Effect\":\"Allow\"," S3 "}}", ID, 0,
         "ERROR INVALID_VERSION"},
        {V "{\"Effect\":\"Allow\"," S3 ",\"Foo\":1}" END, ID, 0, "ERROR INVALID_POLICY_ELEMENT"},
        {V "{" S3 "}" END, ID, 0, "ERROR MISSING_EFFECT"},
        {V "{\"Effect\":\"allow\"," S3 "}" END, ID, 0, "ERROR INVALID_EFFECT"},
        {V "{\"Effect\":1," S3 "}" END, ID, 0, "ERROR DATA_TYPE_MISMATCH"},
        {V "{\"Effect\":\"Allow\",\"Resource\":\"*\"}" END, ID, 0, "ERROR MISSING_ACTION"},
        {V "{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\"}" END, ID, 0,
         "ERROR MISSING_RESOURCE"},
        {V "{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"NotAction\":\"s3:Put*\","
           "\"Resource\":\"*\"}" END,
         ID, 0, "ERROR UNSUPPORTED_ELEMENT_COMBINATION"},
        {V "{\"Effect\":\"Allow\",\"Action\":\"s3:GetObjects\",\"Resource\":\"*\"}" END, ID, 0,
         "ERROR INVALID_ACTION"},
        {V "{\"Effect\":\"Allow\",\"Action\":\"s3GetObject\",\"Resource\":\"*\"}" END, ID, 0,
         "ERROR INVALID_ACTION"},
        {V "{\"Effect\":\"Allow\",\"Action\":\"sqs:Recv*\",\"Resource\":\"*\"}" END, ID, 0,
         "ERROR INVALID_ACTION"},
        {V "{\"Effect\":\"Allow\",\"Action\":\"SQS:receivemessage\",\"Resource\":\"*\"}" END, ID, 0,
         ""},
        {V "{\"Effect\":\"Allow\",\"Action\":\"*3:GetObject\",\"Resource\":\"*\"}" END, ID, 0,
         "SUGGESTION WILDCARD_IN_SERVICE_NAME"},
        {V "{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"bucket\"}" END, ID, 0,
         "ERROR INVALID_ARN_PREFIX"},
        {V "{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3\"}" END, ID,
         0, "ERROR MISSING_ARN_FIELD"},
        {V "{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:S3:::b\"}" END,
         ID, 0, "ERROR INVALID_ARN_SERVICE_CASE"},
        {V "{\"Effect\":\"Allow\",\"Action\":\"sqs:SendMessage\","
           "\"Resource\":\"arn:aws:sqs:us-east-1:12345:q\"}" END,
         ID, 0, "ERROR INVALID_ARN_ACCOUNT"},
        {V "{\"Sid\":\"a-b\",\"Effect\":\"Allow\"," S3 "}" END, ID, 0, "ERROR UNSUPPORTED_SID"},
        {V "{\"Sid\":\"a-b\",\"Effect\":\"Allow\",\"Principal\":\"*\"," S3 "}" END, RES, 0, ""},
        {V "{\"Sid\":\"A\",\"Effect\":\"Allow\"," S3 "},{\"Sid\":\"A\",\"Effect\":\"Deny\"," S3
           "}" END,
         ID, 0, "ERROR UNIQUE_SIDS_REQUIRED"},
        {V "{\"Effect\":\"Allow\",\"Principal\":\"*\"," S3 "}" END, ID, 0,
         "ERROR UNSUPPORTED_PRINCIPAL"},
        {V "{\"Effect\":\"Allow\",\"Principal\":\"*\"," S3 "}" END, SCP, 0,
         "ERROR SCP_SYNTAX_ERROR_PRINCIPAL"},
        {V "{\"Effect\":\"Allow\"," S3 "}" END, RES, 0, "ERROR MISSING_PRINCIPAL"},
        {V "{\"Effect\":\"Allow\",\"Principal\":\"me\"," S3 "}" END, RES, 0,
         "ERROR INVALID_PRINCIPAL_FORMAT"},
        {V "{\"Effect\":\"Allow\",\"Principal\":{\"Aws\":\"*\"}," S3 "}" END, RES, 0,
         "ERROR INVALID_PRINCIPAL_KEY"},
        {V "{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"*.amazonaws.com\"}," S3 "}" END, RES,
         0, "ERROR UNSUPPORTED_WILDCARD_IN_PRINCIPAL"},
        {V "{\"Effect\":\"Allow\",\"Principal\":{}," S3 "}" END, RES, 0,
         "SUGGESTION EMPTY_OBJECT_PRINCIPAL"},
        {V "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[]}," S3 "}" END, RES, 0,
         "SUGGESTION EMPTY_ARRAY_PRINCIPAL"},
        {V "{\"Effect\":\"Allow\",\"NotPrincipal\":{\"AWS\":\"111122223333\"}," S3 "}" END, RES, 0,
         "SECURITY_WARNING ALLOW_WITH_NOT_PRINCIPAL"},
        {V "{\"Effect\":\"Allow\"," S3 ",\"Condition\":{\"StringEqualz\":{\"aws:a\":\"b\"}}}" END,
         ID, 0, "ERROR INVALID_CONDITION_OPERATOR"},
        {V "{\"Effect\":\"Allow\"," S3 ",\"Condition\":{\"StringEquals\":{\"nocolon\":\"b\"}}}" END,
         ID, 0, "ERROR INVALID_CONDITION_KEY_FORMAT"},
        {V "{\"Effect\":\"Allow\"," S3 ",\"Condition\":{\"StringEquals\":{\"aws:A\":\"b\","
           "\"aws:a\":\"c\"}}}" END,
         ID, 0, "ERROR DUPLICATE_KEYS_WITH_DIFFERENT_CASE"},
        {V "{\"Effect\":\"Allow\"," S3 ",\"Condition\":{\"ArnLike\":{\"aws:ARN\":\"b\"}}}" END, ID,
         0, "ERROR UNSUPPORTED_GLOBAL_CONDITION_KEY"},
        {V "{\"Effect\":\"Allow\"," S3
           ",\"Condition\":{\"NullIfExists\":{\"aws:a\":\"true\"}}}" END,
         ID, 0, "ERROR NULL_WITH_IF_EXISTS"},
        {V "{\"Effect\":\"Allow\"," S3
           ",\"Condition\":{\"ForAnyValue:Null\":{\"aws:a\":\"true\"}}}" END,
         ID, 0, "SUGGESTION NULL_WITH_QUALIFIER"},
        {V "{\"Effect\":\"Allow\"," S3 ",\"Condition\":{}}" END, ID, 0,
         "SUGGESTION EMPTY_OBJECT_CONDITION"},
        {V "{\"Effect\":\"Allow\"," S3 ",\"Condition\":{\"StringEquals\":{\"aws:a\":[]}}}" END, ID,
         0, "SUGGESTION EMPTY_ARRAY_CONDITION"},
        {V "{\"Effect\":\"Allow\"," S3
           ",\"Condition\":{\"StringEqualsIfExists\":{\"aws:a\":[]}}}" END,
         ID, 0, "SUGGESTION EMPTY_ARRAY_CONDITION_IFEXISTS"},
        {V "{\"Effect\":\"Allow\"," S3
           ",\"Condition\":{\"ForAllValues:StringEquals\":{\"aws:a\":[]}}}" END,
         ID, 0, "SUGGESTION EMPTY_ARRAY_CONDITION_FORALLVALUES"},
        {V "{\"Effect\":\"Allow\"," S3
           ",\"Condition\":{\"ForAnyValue:StringEquals\":{\"aws:a\":[]}}}" END,
         ID, 0, "SUGGESTION EMPTY_ARRAY_CONDITION_FORANYVALUE"},
        {V "{\"Effect\":\"Allow\"," S3 ",\"Condition\":{\"StringEquals\":{\"aws:a\":\"b*\"}}}" END,
         ID, 0, "WARNING WILDCARD_WITHOUT_LIKE_OPERATOR"},
        {V "{\"Effect\":\"Allow\"," S3
           ",\"Condition\":{\"StringEquals\":{\"aws:a\":\"${aws:username}*\"}}}" END,
         ID, 0, ""},
        {V "{\"Effect\":\"Allow\"," S3 ",\"Condition\":{\"Bool\":{\"aws:a\":\"maybe\"}}}" END, ID,
         0, "WARNING TYPE_MISMATCH_BOOLEAN"},
        {V "{\"Effect\":\"Allow\"," S3
           ",\"Condition\":{\"NumericLessThan\":{\"aws:a\":\"x\"}}}" END,
         ID, 0, "WARNING TYPE_MISMATCH_NUMBER"},
        {V "{\"Effect\":\"Allow\"," S3
           ",\"Condition\":{\"DateLessThan\":{\"aws:a\":\"soon\"}}}" END,
         ID, 0, "WARNING TYPE_MISMATCH_DATE"},
        {V "{\"Effect\":\"Allow\"," S3 ",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":"
           "[\"10.0.0.0/8\",\"::1/129\"]}}}" END,
         ID, 0, "WARNING TYPE_MISMATCH_IP_RANGE"},
        {V "{\"Sid\":\"\",\"Effect\":\"Allow\"," S3 "}" END, ID, 0, "SUGGESTION EMPTY_SID_VALUE"},
        {V "{\"Effect\":\"Allow\",\"Action\":[],\"Resource\":\"*\"}" END, ID, 0,
         "SUGGESTION EMPTY_ARRAY_ACTION"},
        {V "{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":[]}" END, ID, 0,
         "SUGGESTION EMPTY_ARRAY_RESOURCE"},
        {V "{\"Effect\":\"Allow\",\"Action\":[\"s3:Get*\",\"s3:GetObject\",\"S3:GET*\"],"
           "\"Resource\":\"*\"}" END,
         ID, 0, "SUGGESTION REDUNDANT_ACTION, SUGGESTION REDUNDANT_ACTION"},
        {V "{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":[\"arn:aws:s3:::b/*\","
           "\"arn:aws:s3:::b/k\"]}" END,
         ID, 0, "SUGGESTION REDUNDANT_RESOURCE"},
        {V "{\"Sid\":\"A\",\"Effect\":\"Allow\"," S3 "},{\"Sid\":\"B\",\"Effect\":\"Allow\"," S3
           "}" END,
         ID, 0, "SUGGESTION REDUNDANT_STATEMENT"},
        {V "{\"Effect\":\"Allow\",\"Action\":\"iam:PassRole\",\"Resource\":\"*\"}" END, ID, 0,
         "SECURITY_WARNING PASS_ROLE_WITH_STAR_IN_RESOURCE"},
        {V "{\"Effect\":\"Allow\",\"Action\":\"iam:PassRole\","
           "\"Resource\":\"arn:aws:iam::111122223333:role/*\"}" END,
         ID, 0, "SECURITY_WARNING PASS_ROLE_WITH_STAR_IN_RESOURCE"},
        {V "{\"Effect\":\"Allow\",\"Action\":\"iam:PassRole\","
           "\"Resource\":\"arn:aws:iam::111122223333:role/app-*\"}" END,
         ID, 0, ""},
        {V "{\"Effect\":\"Deny\",\"Action\":\"iam:PassRole\",\"Resource\":\"*\"}" END, ID, 0, ""},
        {V "{\"Effect\":\"Allow\",\"Action\":\"iam:PassRole\","
           "\"NotResource\":\"arn:aws:iam::111122223333:role/x\"}" END,
         ID, 0, "SECURITY_WARNING PASS_ROLE_WITH_NOT_RESOURCE"},
        {V "{\"Effect\":\"Allow\",\"NotAction\":\"s3:*\",\"NotResource\":\"arn:aws:s3:::b\"}" END,
         ID, 0,
         "SECURITY_WARNING PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE, "
         "WARNING CREATE_SLR_WITH_NOT_ACTION_AND_NOT_RESOURCE"},
        {V "{\"Effect\":\"Allow\",\"NotAction\":\"iam:*\",\"Resource\":\"*\"}" END, ID, 0, ""},
        {V
         "{\"Effect\":\"Allow\",\"Action\":\"iam:CreateServiceLinkedRole\",\"Resource\":\"*\"}" END,
         ID, 0, "WARNING CREATE_SLR_WITH_STAR_IN_RESOURCE"},
        {V "{\"Effect\":\"Allow\",\"Action\":\"iam:CreateServiceLinkedRole\",\"Resource\":\"*\","
           "\"Condition\":{\"StringEquals\":{\"iam:AWSServiceName\":\"x.amazonaws.com\"}}}" END,
         ID, 0, ""},
        {V "{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},"
           "\"Action\":\"sts:AssumeRole\"}" END,
         RES, 1, ""},
        {V
         "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"bob\"},\"Action\":\"sts:AssumeRole\"}" END,
         RES, 1, "ERROR INVALID_POLICY_ELEMENT"}, /* the engine's word */
        {V "{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}" END, SCP, 0, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = run(cases[i].doc, cases[i].type, cases[i].trust, NULL);
        if (strcmp(got, cases[i].want))
            fail_msg("case %zu: %s\n  want [%s]\n   got [%s]", i, cases[i].doc, cases[i].want, got);
    }
}

static void test_finding_shape(void **state)
{
    (void)state;
    json_t *f = NULL;
    const char *doc = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\n"
                      "    \"Sid\": \"\", \"Effect\": \"Allow\", " S3 "\n  }\n}";
    assert_string_equal(run(doc, ID, 0, &f), "SUGGESTION EMPTY_SID_VALUE");
    json_t *x = json_array_get(f, 0);
    assert_string_equal(json_string_value(json_object_get(x, "findingDetails")),
                        "Add a value to the empty string in the Sid element.");
    assert_string_equal(json_string_value(json_object_get(x, "learnMoreLink")),
                        "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
                        "access-analyzer-reference-policy-checks.html"
                        "#access-analyzer-reference-policy-checks-suggestion-empty-sid-value");
    json_t *loc = json_array_get(json_object_get(x, "locations"), 0);
    char *path = json_dumps(json_object_get(loc, "path"), JSON_COMPACT);
    /* a single statement object: no index in the path */
    assert_string_equal(path, "[{\"value\":\"Statement\"},{\"value\":\"Sid\"}]");
    free(path);
    json_t *start = json_object_get(json_object_get(loc, "span"), "start");
    json_t *end = json_object_get(json_object_get(loc, "span"), "end");
    assert_int_equal(json_integer_value(json_object_get(start, "line")), 4);
    assert_int_equal(json_integer_value(json_object_get(start, "column")), 11);
    assert_int_equal(json_integer_value(json_object_get(end, "column")), 13);
    assert_int_equal(json_integer_value(json_object_get(start, "offset")),
                     (json_int_t)(strstr(doc, "\"\",") - doc));
    json_decref(f);
}

/* The analyzer survives every prefix and byte flip of a policy that exercises most checks. */
static void test_mangled_documents(void **state)
{
    (void)state;
    const char *doc =
        V "{\"Sid\":\"\",\"Effect\":\"Allow\",\"Action\":[\"iam:PassRole\",\"s3:Get*\","
          "\"s3:GetObject\"],\"Resource\":[\"*\",\"arn:aws:s3:::b/k\"],\"Condition\":"
          "{\"Bool\":{\"aws:SecureTransport\":\"true\"},\"IpAddress\":{\"aws:SourceIp\":"
          "\"10.0.0.0/8\"}}},{\"Effect\":\"Allow\",\"NotPrincipal\":{\"AWS\":\"*\"},"
          "\"NotAction\":\"s3:*\",\"NotResource\":\"arn:aws:s3:::b\"}" END;
    size_t len = strlen(doc);
    char *buf = malloc(len + 1);
    static const char flips[] = "{}[\",:* ";
    for (int type = ID; type <= SCP; type++) {
        for (size_t cut = 0; cut <= len; cut += 5) {
            arena *a = arena_new(4096);
            json_t *f = NULL;
            ferr e = {0};
            assert_int_equal(aa_validate_policy(a, doc, cut, type, 0, &f, &e), 0);
            json_decref(f);
            arena_free(a);
        }
        for (size_t i = 0; i < len; i += 3)
            for (size_t k = 0; k < sizeof(flips) - 1; k++) {
                memcpy(buf, doc, len + 1);
                buf[i] = flips[k];
                arena *a = arena_new(4096);
                json_t *f = NULL;
                ferr e = {0};
                assert_int_equal(aa_validate_policy(a, buf, len, type, type == RES, &f, &e), 0);
                assert_true(json_is_array(f));
                json_decref(f);
                arena_free(a);
            }
    }
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_finding_shape),
        cmocka_unit_test(test_mangled_documents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
