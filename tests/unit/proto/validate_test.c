/* proto/validate.c: the model's input constraints, worded as AWS words them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/model.h"
#include "proto/overlay.h"
#include "proto/validate.h"

/* Validates the JSON text in against service:op; returns the error message ("" when it
 * passes) and the code in *code. */
static const char *check(const char *service, const char *op, const char *in, const char **code)
{
    static ferr e;
    const proto_service *s = proto_service_by_signing_name(service);
    assert_non_null(s);
    const proto_op *o = proto_op_by_name(s, op);
    assert_non_null(o);
    json_error_t je;
    json_t *j = json_loads(in, 0, &je);
    assert_non_null(j);
    ferr_clear(&e);
    int rc = proto_validate(s, o, j, &e);
    json_decref(j);
    assert_int_equal(rc, ferr_isset(&e) ? -1 : 0);
    if (code) *code = e.code;
    return rc ? e.message : "";
}

static void lengths_patterns_ranges(void **st)
{
    (void)st;
    const char *code;
    assert_string_equal(check("iam", "CreateRole",
                              "{\"RoleName\":\"r\",\"AssumeRolePolicyDocument\":\"{}\"}", NULL),
                        "");
    char name[80];
    memset(name, 'a', 65);
    name[65] = 0;
    char in[256];
    snprintf(in, sizeof(in), "{\"RoleName\":\"%s\",\"AssumeRolePolicyDocument\":\"{}\"}", name);
    assert_string_equal(check("iam", "CreateRole", in, &code),
                        "1 validation error detected: Value "
                        "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' at "
                        "'roleName' failed to satisfy constraint: Member must have length less "
                        "than or equal to 64");
    assert_string_equal(code, "ValidationError");
    /* several failures, in model order, one message; required members too */
    assert_string_equal(
        check("iam", "CreateRole", "{\"RoleName\":\"a b\",\"MaxSessionDuration\":100}", NULL),
        "3 validation errors detected: Value 'a b' at 'roleName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+; Value null at "
        "'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null; Value "
        "'100' at 'maxSessionDuration' failed to satisfy constraint: Member must have value "
        "greater "
        "than or equal to 3600");
    /* lengths count characters (UTF-16 units, as AWS does), not bytes: 64 two-byte letters pass */
    char wide[400] =
        "{\"RoleName\":\"r\",\"AssumeRolePolicyDocument\":\"{}\",\"Tags\":[{\"Key\":\"";
    for (int i = 0; i < 64; i++) strcat(wide, "\xc3\xa9");
    strcat(wide, "\",\"Value\":\"v\"}]}");
    assert_string_equal(check("iam", "CreateRole", wide, NULL), "");
    /* Unicode classes in Java patterns (\p{L}) */
    assert_string_equal(
        check("sts", "AssumeRole",
              "{\"RoleArn\":\"arn:aws:iam::123456789012:role/r\",\"RoleSessionName\":\"s1\","
              "\"Tags\":[{\"Key\":\"caf\xc3\xa9\",\"Value\":\"ok\"}]}",
              NULL),
        "");
    assert_string_equal(
        check("sts", "AssumeRole",
              "{\"RoleArn\":\"arn:aws:iam::123456789012:role/r\",\"RoleSessionName\":\"s1\","
              "\"Tags\":[{\"Key\":\"a;b\",\"Value\":\"ok\"}]}",
              &code),
        "1 validation error detected: Value 'a;b' at 'tags.1.member.key' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: "
        "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+");
    assert_string_equal(code, "ValidationError");
    /* the pattern holds for the whole value, as Java's matches() */
    assert_string_not_equal(
        check("sts", "AssumeRole",
              "{\"RoleArn\":\"arn:aws:iam::123456789012:role/r\",\"RoleSessionName\":\"ok ok\"}",
              NULL),
        "");
    /* list sizes */
    assert_string_equal(
        check("iam", "ListRoles", "{\"MaxItems\":0}", NULL),
        "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member "
        "must have value greater than or equal to 1");
}

static void enums_lists_maps(void **st)
{
    (void)st;
    const char *code;
    assert_string_equal(
        check("cloudformation", "CreateStack",
              "{\"StackName\":\"s\",\"Capabilities\":[\"CAPABILITY_IAM\",\"NOPE\"],\"OnFailure\":"
              "\"X\"}",
              &code),
        "2 validation errors detected: Value '[CAPABILITY_IAM, NOPE]' at 'capabilities' failed to "
        "satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: "
        "[CAPABILITY_IAM, CAPABILITY_NAMED_IAM, CAPABILITY_AUTO_EXPAND]]; Value 'X' at 'onFailure' "
        "failed to satisfy constraint: Member must satisfy enum value set: [DO_NOTHING, ROLLBACK, "
        "DELETE]");
    assert_string_equal(code, "ValidationError");
    /* the minified model shares one list-of-strings shape among many members; the items'
     * enum is the member's own */
    assert_string_equal(
        check("iam", "GetAccountAuthorizationDetails", "{\"Filter\":[\"Role\",\"Nope\"]}", NULL),
        "1 validation error detected: Value '[Role, Nope]' at 'filter' failed to satisfy "
        "constraint: "
        "Member must satisfy constraint: [Member must satisfy enum value set: [User, Role, Group, "
        "LocalManagedPolicy, AWSManagedPolicy]]");
    assert_string_equal(
        check("iam", "GetAccountAuthorizationDetails", "{\"Filter\":[\"Role\",\"User\"]}", NULL),
        "");
    /* rest-json: ValidationException; a sensitive value is not echoed; a map's keys are
     * reported once at the map */
    assert_string_equal(
        check("lambda", "CreateFunction",
              "{\"FunctionName\":\"f\",\"Role\":\"arn:aws:iam::123456789012:role/r\",\"Code\":{},"
              "\"Environment\":{\"Variables\":{\"a-b\":\"1\",\"ok\":\"2\"}}}",
              &code),
        "1 validation error detected: Value at 'environment.variables' failed to satisfy "
        "constraint: Map keys must satisfy constraint: [Member must satisfy regular expression "
        "pattern: [a-zA-Z]([a-zA-Z0-9_])+]");
    assert_string_equal(code, "ValidationException");
}

static void per_service_answers(void **st)
{
    (void)st;
    const char *code;
    /* SNS answers InvalidParameter; its values it checks itself, worded its own way */
    assert_string_equal(
        check("sns", "TagResource", "{\"ResourceArn\":\"arn:aws:sns:us-east-1:123456789012:t\"}",
              &code),
        "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member "
        "must not be null");
    assert_string_equal(code, "InvalidParameter");
    assert_string_equal(
        check("sns", "TagResource",
              "{\"ResourceArn\":\"arn:aws:sns:us-east-1:123456789012:t\",\"Tags\":[{\"Key\":\"\","
              "\"Value\":\"v\"}]}",
              NULL),
        "");
    /* SQS names unknown attributes itself (InvalidAttributeName): no enum check */
    assert_string_equal(check("sqs", "GetQueueAttributes",
                              "{\"QueueUrl\":\"q\",\"AttributeNames\":[\"Nope\"]}", NULL),
                        "");
    assert_string_equal(check("sqs", "SendMessage", "{\"MessageBody\":\"m\"}", &code),
                        "1 validation error detected: Value null at 'queueUrl' failed to satisfy "
                        "constraint: Member "
                        "must not be null");
    assert_string_equal(code, "ValidationException");
    /* its query view is checked against the same model and answers as a query service */
    const proto_service *view = proto_overlay_query_view(proto_service_by_signing_name("sqs"));
    assert_non_null(view);
    json_t *j = json_pack("{s:s}", "MessageBody", "m");
    ferr e = {0};
    assert_int_equal(proto_validate(view, proto_op_by_name(view, "SendMessage"), j, &e), -1);
    assert_string_equal(e.code, "ValidationError");
    json_decref(j);
    /* Organizations and CloudTrail answer some constraints with reasons of their own */
    assert_string_equal(check("organizations", "CreateAccount",
                              "{\"AccountName\":\"n\",\"Email\":\"a@b.c\"}", NULL),
                        "");
    assert_string_equal(check("cloudtrail", "LookupEvents", "{\"MaxResults\":100}", NULL), "");
    /* members the model does not have, and numbers of another type, are not its business */
    assert_string_equal(check("iam", "CreateRole",
                              "{\"RoleName\":\"r\",\"AssumeRolePolicyDocument\":\"{}\",\"_Hidden\":"
                              "1,\"MaxSessionDuration\":\"x\"}",
                              NULL),
                        "");
    /* a string that is not one (an internal caller's template property) is */
    assert_string_equal(
        check("iam", "CreateRole", "{\"RoleName\":[1,\"a\"],\"AssumeRolePolicyDocument\":\"{}\"}",
              NULL),
        "1 validation error detected: Value '[1, a]' at 'roleName' failed to satisfy constraint: "
        "Member must be a string");
}

/* Every pattern of every model compiles: a pattern that does not is skipped, and would
 * silently check nothing. */
static void every_pattern_compiles(void **st)
{
    (void)st;
    size_t n = 0;
    for (size_t i = 0; i < proto_ncsets; i++) {
        for (size_t j = 0; j < proto_csets[i].ncons; j++) {
            const char *p = proto_csets[i].cons[j].pattern;
            if (!p) continue;
            if (!proto_pattern_compiles(p))
                fail_msg("%s: pattern %s does not compile", proto_csets[i].stem, p);
            n++;
        }
    }
    assert_true(n > 100);
    assert_false(proto_pattern_compiles("[a-"));
    /* the constraint tables line up with the model tables they index */
    assert_int_equal(proto_ncsets, proto_nservices);
    for (size_t i = 0; i < proto_nservices; i++) {
        assert_string_equal(proto_csets[i].stem, proto_services[i]->stem);
        assert_int_equal(proto_csets[i].nmembers,
                         proto_services[i]->nmembers ? proto_services[i]->nmembers : 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lengths_patterns_ranges),
        cmocka_unit_test(enums_lists_maps),
        cmocka_unit_test(per_service_answers),
        cmocka_unit_test(every_pattern_compiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
