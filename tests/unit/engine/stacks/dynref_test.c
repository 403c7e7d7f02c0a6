/* Dynamic references (src/engine/stacks/dynref.c): the three forms and their optional
 * segments, what is malformed, substitution inside strings, the ssm-secure placement
 * check (ctest replays the fuzz corpus, fuzz/corpus/dynref_fuzz). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/jval.h"
#include "engine/stacks/dynref.h"

static int parse(const char *s, cfn_dynref *r, ferr *e)
{
    memset(e, 0, sizeof(*e));
    return cfn_dynref_parse(s, strlen(s), r, e);
}

static void ssm_forms(void **st)
{
    (void)st;
    cfn_dynref r;
    ferr e;
    assert_int_equal(parse("ssm:/app/db/host", &r, &e), 1);
    assert_int_equal(r.kind, CFN_DYN_SSM);
    assert_string_equal(r.name, "/app/db/host");
    assert_int_equal(r.version, 0);
    cfn_dynref_dispose(&r);
    assert_int_equal(parse("ssm-secure:flat_name.x-1:12", &r, &e), 1);
    assert_int_equal(r.kind, CFN_DYN_SSM_SECURE);
    assert_string_equal(r.name, "flat_name.x-1");
    assert_int_equal(r.version, 12);
    cfn_dynref_dispose(&r);
    /* an ARN keeps its colons; the version comes after them */
    assert_int_equal(parse("ssm:arn:aws:ssm:us-east-1:123456789012:parameter/a/b:2", &r, &e), 1);
    assert_string_equal(r.name, "arn:aws:ssm:us-east-1:123456789012:parameter/a/b");
    assert_int_equal(r.version, 2);
    cfn_dynref_dispose(&r);
    assert_int_equal(parse("ssm:arn:aws:ssm:us-east-1:123456789012:parameter/a", &r, &e), 1);
    assert_int_equal(r.version, 0);
    cfn_dynref_dispose(&r);
    static const char *const bad[] = {
        "ssm:",       "ssm:/a:", "ssm:/a:x",      "ssm:/a:0",
        "ssm:/a:1:2", "ssm:a b", "ssm-secure::3", "ssm:/a:99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(bad[i], &r, &e), -1);
        assert_string_equal(e.code, "ValidationError");
    }
    /* other services are not references CloudFormation resolves: text */
    assert_int_equal(parse("ssmx:/a", &r, &e), 0);
    assert_int_equal(parse("other:thing", &r, &e), 0);
}

static void secretsmanager_forms(void **st)
{
    (void)st;
    cfn_dynref r;
    ferr e;
    assert_int_equal(parse("secretsmanager:MySecret", &r, &e), 1);
    assert_int_equal(r.kind, CFN_DYN_SECRETS);
    assert_string_equal(r.name, "MySecret");
    assert_null(r.json_key);
    assert_null(r.version_stage);
    assert_null(r.version_id);
    cfn_dynref_dispose(&r);
    assert_int_equal(parse("secretsmanager:MySecret:SecretString:password:AWSPREVIOUS", &r, &e), 1);
    assert_string_equal(r.json_key, "password");
    assert_string_equal(r.version_stage, "AWSPREVIOUS");
    assert_null(r.version_id);
    cfn_dynref_dispose(&r);
    assert_int_equal(
        parse("secretsmanager:arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:"
              "SecretString:user::0123abcd",
              &r, &e),
        1);
    assert_string_equal(r.name, "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf");
    assert_string_equal(r.json_key, "user");
    assert_null(r.version_stage);
    assert_string_equal(r.version_id, "0123abcd");
    cfn_dynref_dispose(&r);
    /* empty segments are "not given" */
    assert_int_equal(parse("secretsmanager:s::", &r, &e), 1);
    assert_null(r.json_key);
    cfn_dynref_dispose(&r);
    static const char *const bad[] = {"secretsmanager:", "secretsmanager::SecretString",
                                      "secretsmanager:s:SecretBinary",
                                      "secretsmanager:s:SecretString:k:AWSCURRENT:id",
                                      "secretsmanager:s:SecretString:k:st:id:more"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(bad[i], &r, &e), -1);
        assert_string_equal(e.code, "ValidationError");
    }
}

static int answer(void *ud, const cfn_dynref *r, char **value, ferr *e)
{
    int *calls = ud;
    (*calls)++;
    *value = strdup(r->kind == CFN_DYN_SSM ? r->name : "S");
    return *value ? 0 : ferr_oom(e);
}

static int refuse(void *ud, const cfn_dynref *r, char **value, ferr *e)
{
    (void)ud, (void)value;
    return ferr_validation(e, "Parameters: [ssm:%s] cannot be found.", r->name);
}

static void substitution(void **st)
{
    (void)st;
    ferr e = {0};
    int calls = 0;
    json_t *in = json_pack("{s:s, s:[s, i], s:{s:s}, s:s, s:s}", "A",
                           "x={{resolve:ssm:/a}};y={{resolve:ssm-secure:/b:2}}", "L",
                           "{{resolve:secretsmanager:s:SecretString:k}}", 5, "O", "In",
                           "{{resolve:ssm:/c:1}}", "Other", "{{resolve:other:x}}", "Open",
                           "{{resolve:ssm:/open");
    json_t *out = cfn_dynref_subst(in, CFN_DYN_ALL, answer, &calls, &e);
    assert_non_null(out);
    assert_int_equal(calls, 4);
    assert_string_equal(json_string_value(json_object_get(out, "A")), "x=/a;y=S");
    assert_string_equal(json_string_value(json_array_get(json_object_get(out, "L"), 0)), "S");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(out, "L"), 1)), 5);
    assert_string_equal(jstr(json_object_get(out, "O"), "In"), "/c");
    assert_string_equal(jstr(out, "Other"), "{{resolve:other:x}}");
    assert_string_equal(jstr(out, "Open"), "{{resolve:ssm:/open");
    json_decref(out);
    /* only the kinds asked for */
    calls = 0;
    out = cfn_dynref_subst(in, CFN_DYN_SSM, answer, &calls, &e);
    assert_int_equal(calls, 2);
    assert_string_equal(jstr(out, "A"), "x=/a;y={{resolve:ssm-secure:/b:2}}");
    json_decref(out);
    /* a failure is the call's */
    assert_null(cfn_dynref_subst(in, CFN_DYN_ALL, refuse, NULL, &e));
    assert_string_equal(e.message, "Parameters: [ssm:/a] cannot be found.");
    /* a malformed reference fails too */
    json_t *bad = json_string("{{resolve:ssm:/a:x}}");
    assert_null(cfn_dynref_subst(bad, CFN_DYN_ALL, answer, &calls, &e));
    json_decref(bad);
    json_decref(in);
}

static void secure_placement(void **st)
{
    (void)st;
    ferr e = {0};
    json_t *ok = json_pack("{s:{s:{s:s, s:{s:{s:s}}}}}", "Resources", "U", "Type", "AWS::IAM::User",
                           "Properties", "LoginProfile", "Password", "{{resolve:ssm-secure:/p}}");
    assert_int_equal(cfn_dynref_check(ok, &e), 0);
    json_decref(ok);
    /* an intrinsic function is not part of the path */
    ok = json_pack("{s:{s:{s:s, s:{s:{s:s}}}}}", "Resources", "D", "Type", "AWS::RDS::DBInstance",
                   "Properties", "MasterUserPassword", "Fn::Sub", "{{resolve:ssm-secure:/p:1}}");
    assert_int_equal(cfn_dynref_check(ok, &e), 0);
    json_decref(ok);
    json_t *no = json_pack("{s:{s:{s:s, s:{s:s}}}}", "Resources", "T", "Type", "AWS::SNS::Topic",
                           "Properties", "TopicName", "x{{resolve:ssm-secure:/p}}");
    assert_int_equal(cfn_dynref_check(no, &e), -1);
    assert_string_equal(e.code, "ValidationError");
    assert_string_equal(e.message,
                        "SSM Secure reference is not supported in: [AWS::SNS::Topic/Properties/"
                        "TopicName]");
    json_decref(no);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ssm_forms),
        cmocka_unit_test(secretsmanager_forms),
        cmocka_unit_test(substitution),
        cmocka_unit_test(secure_placement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
