#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

static const char *const FORM[] = {"Content-Type: application/x-www-form-urlencoded; charset=utf-8",
                                   NULL};

static int decode_form(arena *a, const char *svcname, const char *body, const proto_op **op,
                       json_t **in, ferr *e)
{
    hreq *r = mkreq(a, "POST", "/", FORM, body, strlen(body));
    const proto_service *s = proto_route(a, r, svcname, e);
    if (!s) return -1;
    return proto_decode(a, s, r, op, in, e);
}

/* decode, then the model's constraints, as a request meets them before its handler */
static int decode_form_checked(arena *a, const char *svcname, const char *body, const proto_op **op,
                               json_t **in, ferr *e)
{
    hreq *r = mkreq(a, "POST", "/", FORM, body, strlen(body));
    const proto_service *s = proto_route(a, r, svcname, e);
    if (!s) return -1;
    return decode_validated(a, s, r, op, in, e);
}

static void sts_assume_role_decode(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    const proto_op *op;
    json_t *in;
    ferr e = {0};
    const char *body = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%"
                       "3A123456789012%3Arole%2Fdemo"
                       "&RoleSessionName=s+1&DurationSeconds=900"
                       "&Tags.member.1.Key=team&Tags.member.1.Value=core"
                       "&Tags.member.2.Key=env&Tags.member.2.Value=dev"
                       "&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnly"
                       "&TransitiveTagKeys.member.1=team&Unknown=x";
    assert_int_equal(decode_form(a, "sts", body, &op, &in, &e), 0);
    assert_string_equal(op->name, "AssumeRole");
    assert_string_equal(json_string_value(json_object_get(in, "RoleArn")),
                        "arn:aws:iam::123456789012:role/demo");
    assert_string_equal(json_string_value(json_object_get(in, "RoleSessionName")), "s 1");
    assert_int_equal(json_integer_value(json_object_get(in, "DurationSeconds")), 900);
    json_t *tags = json_object_get(in, "Tags");
    assert_int_equal(json_array_size(tags), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(tags, 1), "Key")), "env");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(in, "PolicyArns"), 0), "arn")),
                        "arn:aws:iam::aws:policy/ReadOnly");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(in, "TransitiveTagKeys"), 0)), "team");
    assert_null(json_object_get(in, "Unknown"));
    arena_free(a);
}

static void sts_validation(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    const proto_op *op;
    json_t *in;
    ferr e = {0};
    assert_int_equal(decode_form_checked(a, "sts",
                                         "Action=AssumeRole&Version=2011-06-15"
                                         "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo",
                                         &op, &in, &e),
                     -1);
    assert_int_equal(e.status, 400);
    assert_string_equal(e.code, "ValidationError");
    assert_string_equal(e.message,
                        "1 validation error detected: Value null at 'roleSessionName' failed to "
                        "satisfy constraint: Member must not be null");
    ferr_clear(&e);
    assert_int_equal(decode_form_checked(a, "sts",
                                         "Action=AssumeRole&Version=2011-06-15&Tags.member.1.Key=k",
                                         &op, &in, &e),
                     -1);
    assert_string_equal(
        e.message,
        "3 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: "
        "Member must not be null; Value null at 'roleSessionName' failed to satisfy constraint: "
        "Member must not be null; Value null at 'tags.1.member.value' failed to satisfy "
        "constraint: Member must not be null");
    ferr_clear(&e);
    assert_int_equal(
        decode_form(a, "sts", "Action=AssumeRole&RoleArn=x&RoleSessionName=y&DurationSeconds=abc",
                    &op, &in, &e),
        -1);
    assert_string_equal(e.code, "ValidationError");
    assert_non_null(strstr(e.message, "Value 'abc' at 'durationSeconds'"));
    ferr_clear(&e);
    assert_int_equal(
        decode_form(a, "sts",
                    "Action=AssumeRole&RoleArn=x&RoleSessionName=y&DurationSeconds=99999999999",
                    &op, &in, &e),
        -1);
    ferr_clear(&e);
    assert_int_equal(decode_form(a, "sts", "Action=NoSuchThing&Version=2011-06-15", &op, &in, &e),
                     -1);
    assert_string_equal(e.code, "InvalidAction");
    ferr_clear(&e);
    assert_int_equal(decode_form(a, "sts", "Action=AssumeRole&RoleArn=%zz", &op, &in, &e), -1);
    assert_string_equal(e.code, "MalformedQueryString");
    ferr_clear(&e);
    assert_int_equal(decode_form(a, "sts", "Action=AssumeRole&RoleArn=%ff%fe", &op, &in, &e), -1);
    assert_string_equal(e.code, "MalformedQueryString");
    arena_free(a);
}

static void sts_get_caller_identity(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    const proto_op *op;
    json_t *in;
    ferr e = {0};
    /* GET with the query string, unsigned: routed by Action + Version */
    hreq *r = mkreq(a, "GET", "/?Action=GetCallerIdentity&Version=2011-06-15", NULL, NULL, 0);
    const proto_service *s = proto_route(a, r, NULL, &e);
    assert_non_null(s);
    assert_string_equal(s->signing_name, "sts");
    assert_int_equal(proto_decode(a, s, r, &op, &in, &e), 0);
    assert_string_equal(op->name, "GetCallerIdentity");
    json_t *outj = json_pack("{s:s,s:s,s:s}", "UserId", "AIDA1", "Account", "123456789012", "Arn",
                             "arn:aws:iam::123456789012:user/a&b");
    proto_response out;
    assert_int_equal(proto_encode(a, s, op, outj, "req-1", &out), 0);
    assert_string_equal(
        buf_str(&out.body),
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        "<GetCallerIdentityResult><UserId>AIDA1</UserId><Account>123456789012</Account>"
        "<Arn>arn:aws:iam::123456789012:user/a&amp;b</Arn></GetCallerIdentityResult>"
        "<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>"
        "</GetCallerIdentityResponse>");
    assert_string_equal(out.content_type, "text/xml");
    assert_int_equal(out.status, 200);
    json_decref(outj);
    buf_dispose(&out.body);
    arena_free(a);
}

static void sts_assume_role_encode(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    const proto_service *s = svc_named("sts");
    const proto_op *op = proto_op_by_name(s, "AssumeRole");
    json_t *o = json_pack("{s:{s:s,s:s,s:s,s:i},s:{s:s,s:s},s:i}", "Credentials", "AccessKeyId",
                          "ASIA1", "SecretAccessKey", "sec", "SessionToken", "tok", "Expiration",
                          1700000000, "AssumedRoleUser", "AssumedRoleId", "AROA1:s", "Arn", "arn:x",
                          "PackedPolicySize", 6);
    proto_response out;
    assert_int_equal(proto_encode(a, s, op, o, "r", &out), 0);
    assert_non_null(
        strstr(buf_str(&out.body),
               "<AssumeRoleResult><Credentials><AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>sec"
               "</SecretAccessKey><SessionToken>tok</SessionToken><Expiration>2023-11-14T22:13:20Z"
               "</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROA1:s</AssumedRoleId>"
               "<Arn>arn:x</Arn></AssumedRoleUser><PackedPolicySize>6</PackedPolicySize></"
               "AssumeRoleResult>"));
    json_decref(o);
    buf_dispose(&out.body);
    /* ISO string timestamps are accepted too */
    o = json_pack("{s:{s:s,s:s,s:s,s:s}}", "Credentials", "AccessKeyId", "A", "SecretAccessKey",
                  "S", "SessionToken", "T", "Expiration", "2023-11-14T22:13:20.5Z");
    assert_int_equal(proto_encode(a, s, op, o, "r", &out), 0);
    assert_non_null(
        strstr(buf_str(&out.body), "<Expiration>2023-11-14T22:13:20.500Z</Expiration>"));
    json_decref(o);
    buf_dispose(&out.body);
    arena_free(a);
}

static void iam_list_roles_and_errors(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    const proto_op *op;
    json_t *in;
    ferr e = {0};
    assert_int_equal(decode_form(a, "iam",
                                 "Action=ListRoles&Version=2010-05-08&PathPrefix=%2F&MaxItems=10",
                                 &op, &in, &e),
                     0);
    assert_int_equal(json_integer_value(json_object_get(in, "MaxItems")), 10);
    const proto_service *s = svc_named("iam");
    json_t *o = json_pack("{s:[{s:s,s:s,s:s,s:s,s:i,s:[{s:s,s:s}]}],s:b}", "Roles", "Path", "/",
                          "RoleName", "r", "RoleId", "AROA", "Arn", "arn", "CreateDate", 0, "Tags",
                          "Key", "k", "Value", "v", "IsTruncated", 0);
    proto_response out;
    assert_int_equal(proto_encode(a, s, op, o, "id", &out), 0);
    assert_non_null(strstr(
        buf_str(&out.body),
        "<ListRolesResult><Roles><member><Path>/</Path><RoleName>r</RoleName><RoleId>AROA</RoleId>"
        "<Arn>arn</Arn><CreateDate>1970-01-01T00:00:00Z</CreateDate><Tags><member><Key>k</Key>"
        "<Value>v</Value></member></Tags></member></Roles><IsTruncated>false</IsTruncated>"
        "</ListRolesResult>"));
    json_decref(o);
    buf_dispose(&out.body);
    /* empty list */
    assert_int_equal(
        decode_form(a, "iam", "Action=CreateRole&RoleName=r&AssumeRolePolicyDocument=%7B%7D&Tags=",
                    &op, &in, &e),
        0);
    assert_int_equal(json_array_size(json_object_get(in, "Tags")), 0);
    assert_non_null(json_object_get(in, "Tags"));
    /* error shape */
    ferr_set(&e, 404, "NoSuchEntity", "The role with name x cannot be found <ok>.");
    proto_encode_error(a, s, &e, "rid", &out);
    assert_int_equal(out.status, 404);
    assert_string_equal(
        buf_str(&out.body),
        "<ErrorResponse "
        "xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>"
        "<Code>NoSuchEntity</Code><Message>The role with name x cannot be found "
        "&lt;ok&gt;.</Message>"
        "</Error><RequestId>rid</RequestId></ErrorResponse>");
    buf_dispose(&out.body);
    ferr_internal(&e, "boom");
    proto_encode_error(a, NULL, &e, "rid", &out);
    assert_int_equal(out.status, 500);
    assert_non_null(
        strstr(buf_str(&out.body), "<Type>Receiver</Type><Code>InternalFailure</Code>"));
    buf_dispose(&out.body);
    arena_free(a);
}

static void sns_maps(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    const proto_op *op;
    json_t *in;
    ferr e = {0};
    assert_int_equal(decode_form(a, "sns",
                                 "Action=CreateTopic&Name=t&Attributes.entry.1.key=DisplayName&"
                                 "Attributes.entry.1.value=D"
                                 "&Attributes.entry.2.key=FifoTopic&Attributes.entry.2.value=true",
                                 &op, &in, &e),
                     0);
    json_t *attrs = json_object_get(in, "Attributes");
    assert_string_equal(json_string_value(json_object_get(attrs, "DisplayName")), "D");
    assert_string_equal(json_string_value(json_object_get(attrs, "FifoTopic")), "true");
    const proto_service *s = svc_named("sns");
    op = proto_op_by_name(s, "GetTopicAttributes");
    json_t *o = json_pack("{s:{s:s}}", "Attributes", "Owner", "1");
    proto_response out;
    assert_int_equal(proto_encode(a, s, op, o, "id", &out), 0);
    assert_non_null(
        strstr(buf_str(&out.body),
               "<Attributes><entry><key>Owner</key><value>1</value></entry></Attributes>"));
    json_decref(o);
    buf_dispose(&out.body);
    /* a message attribute map with structure values */
    assert_int_equal(
        decode_form(a, "sns",
                    "Action=Publish&Message=m&TopicArn=t&MessageAttributes.entry.1.Name=a"
                    "&MessageAttributes.entry.1.Value.DataType=String"
                    "&MessageAttributes.entry.1.Value.StringValue=v",
                    &op, &in, &e),
        0);
    json_t *ma = json_object_get(json_object_get(in, "MessageAttributes"), "a");
    assert_string_equal(json_string_value(json_object_get(ma, "StringValue")), "v");
    arena_free(a);
}

static void check_enum(void **st)
{
    (void)st;
    ferr e = {0};
    static const char *const allowed[] = {"A", "B", NULL};
    assert_int_equal(proto_check_enum(svc_named("sts"), "x", "A", allowed, &e), 0);
    assert_int_equal(proto_check_enum(svc_named("sts"), "policyType", "C", allowed, &e), -1);
    assert_string_equal(e.code, "ValidationError");
    assert_string_equal(e.message,
                        "1 validation error detected: Value 'C' at 'policyType' failed to satisfy "
                        "constraint: Member must satisfy enum value set: [A, B]");
    assert_int_equal(proto_check_enum(svc_named("sqs"), "x", "C", allowed, &e), -1);
    assert_string_equal(e.code, "ValidationException");
}

/* A NUL in a decoded value or name is refused with the service's answer to a bad value, not
 * cut: "bad%00name" would otherwise create "bad" (issue 9). */
static void nul_bytes(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    const proto_op *op;
    json_t *in;
    ferr e = {0};
    static const struct {
        const char *svc, *body, *code, *in_msg;
    } cases[] = {
        {"sqs", "Action=CreateQueue&Version=2012-11-05&QueueName=bad%00name",
         "InvalidParameterValue",
         "'bad?name' at 'queueName' failed to satisfy constraint: Member "
         "must not contain null characters"},
        {"sqs", "Action=CreateQueue&Version=2012-11-05&QueueName=nulq%00.fifo",
         "InvalidParameterValue", "queueName"},
        {"sqs",
         "Action=SendMessage&Version=2012-11-05&MessageBody=m"
         "&QueueUrl=http%3A%2F%2Flocalhost%2F000000000000%2Fq%00zz",
         "InvalidParameterValue", "queueUrl"},
        /* a map key (Attribute.N.Name) and a parameter name */
        {"sqs",
         "Action=CreateQueue&Version=2012-11-05&QueueName=q"
         "&Attribute.1.Name=DelaySeconds%00x&Attribute.1.Value=1",
         "InvalidParameterValue", "null characters"},
        {"sqs", "Action=CreateQueue&Version=2012-11-05&QueueName%00x=q", "InvalidParameterValue",
         "parameter name"},
        {"iam", "Action=CreateUser&Version=2010-05-08&UserName=nuluser%00%2F..%2Fx",
         "ValidationError", "userName"},
        {"iam",
         "Action=CreatePolicy&Version=2010-05-08&PolicyName=p&PolicyDocument=%7B%7D%00garbage",
         "ValidationError", "policyDocument"},
        {"sns", "Action=CreateTopic&Version=2010-03-31&Name=t%00x", "InvalidParameter", "name"},
        /* an action that is an operation's name, a NUL and more: no such operation (the
         * lookup compared it as a C string and read the name past its end; query_fuzz) */
        {"sts", "Action=AssumeRole%00x&Version=2011-06-15", "InvalidAction", "AssumeRole"},
        {"sts", "Action=AssumeRole%00&Version=2011-06-15", "InvalidAction", "AssumeRole"},
        {"sts", "Action=Assume%00Role&Version=2011-06-15", "InvalidAction", "Assume"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ferr_clear(&e);
        assert_int_equal(decode_form(a, cases[i].svc, cases[i].body, &op, &in, &e), -1);
        assert_int_equal(e.status, 400);
        assert_string_equal(e.code, cases[i].code);
        if (!strstr(e.message, cases[i].in_msg)) fail_msg("%s: %s", cases[i].body, e.message);
    }
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sts_assume_role_decode),
        cmocka_unit_test(sts_validation),
        cmocka_unit_test(sts_get_caller_identity),
        cmocka_unit_test(sts_assume_role_encode),
        cmocka_unit_test(iam_list_roles_and_errors),
        cmocka_unit_test(sns_maps),
        cmocka_unit_test(check_enum),
        cmocka_unit_test(nul_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
