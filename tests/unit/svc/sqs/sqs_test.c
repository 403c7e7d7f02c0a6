/* SQS below the wire: message attribute rules and AWS's MD5 (vectors computed independently
 * in Python), the body character set, and the service through svc_invoke -- what engines
 * use: retention and visibility over time (clock offset), queue ARNs as QueueUrl, and SNS
 * delivering as the service principal sns.amazonaws.com under the queue policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "auth/keys.h"
#include "base/clock.h"
#include "engine/audit.h"
#include "svc/sqs/sqs_int.h"

static char dir[256];
static ferry_env env;
static principal root;

#define ACCT  "111122223333"
#define OTHER "444455556666"
#define TOPIC "arn:aws:sns:us-east-1:" OTHER ":events"

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof(dir), "/tmp/ferry-sqs-test-XXXXXX");
    assert_non_null(mkdtemp(dir));
    ferr e = {0};
    memset(&env, 0, sizeof(env));
    env.st = store_open(dir, STORE_SYNC_NORMAL, &e);
    assert_non_null(env.st);
    env.audit = auditq_new(env.st, &e);
    assert_non_null(env.audit);
    snprintf(env.endpoint, sizeof(env.endpoint), "http://sqs.test");
    keys_root_principal(ACCT, &root);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    auditq_free(env.audit);
    store_close(env.st);
    return fixture_rmdir(dir);
}

static json_t *invoke(const principal *who, const char *op, json_t *in, const json_t *ctx, ferr *e)
{
    json_t *out = NULL;
    ferr_clear(e);
    int rc = svc_invoke(&env, who, "us-east-1", "sqs", op, in, &out, ctx, e);
    json_decref(in);
    if (rc) {
        json_decref(out);
        return NULL;
    }
    return out ? out : json_object();
}

static json_t *ok(const char *op, json_t *in)
{
    ferr e;
    json_t *out = invoke(&root, op, in, NULL, &e);
    if (!out) fail_msg("%s: %s %s", op, e.code, e.message);
    return out;
}

static const char *url_of(json_t *o)
{
    static char buf[512];
    snprintf(buf, sizeof(buf), "%s", json_string_value(json_object_get(o, "QueueUrl")));
    json_decref(o);
    return buf;
}

/* ---- attributes ---- */

static void md5_vectors(void **st)
{
    (void)st;
    char out[33];
    json_t *a =
        json_loads("{\"color\":{\"DataType\":\"String\",\"StringValue\":\"blue\"}}", 0, NULL);
    assert_int_equal(sqs_attrs_md5(a, out), 0);
    assert_string_equal(out, "da1b33cc3cbfe8b1630921e78e6b9880");
    json_decref(a);
    /* sorted by name; binary values hashed as their bytes (AAEC = 00 01 02) */
    a = json_loads("{\"s\":{\"DataType\":\"String.x\",\"StringValue\":\"\xc3\xbc\"},"
                   "\"n\":{\"DataType\":\"Number\",\"StringValue\":\"42\"},"
                   "\"b\":{\"DataType\":\"Binary\",\"BinaryValue\":\"AAEC\"}}",
                   0, NULL);
    assert_int_equal(sqs_attrs_md5(a, out), 0);
    assert_string_equal(out, "2ce482638e05207fc975aae0069d5e3b");
    json_decref(a);
    a = json_loads("{\"AWSTraceHeader\":{\"DataType\":\"String\",\"StringValue\":"
                   "\"Root=1-5759e988-bd862e3fe1be46a994272793\"}}",
                   0, NULL);
    assert_int_equal(sqs_attrs_md5(a, out), 0);
    assert_string_equal(out, "62a56dd927315f2b2e12832b84617ea5");
    json_decref(a);
    a = json_object();
    assert_int_equal(sqs_attrs_md5(a, out), -1);
    json_decref(a);
}

static void attribute_rules(void **st)
{
    (void)st;
    static const char *const bad[] = {
        "{\"AWS.x\":{\"DataType\":\"String\",\"StringValue\":\"v\"}}",
        "{\"amazon.x\":{\"DataType\":\"String\",\"StringValue\":\"v\"}}",
        "{\".a\":{\"DataType\":\"String\",\"StringValue\":\"v\"}}",
        "{\"a..b\":{\"DataType\":\"String\",\"StringValue\":\"v\"}}",
        "{\"sp ace\":{\"DataType\":\"String\",\"StringValue\":\"v\"}}",
        "{\"a\":{\"DataType\":\"Strin\",\"StringValue\":\"v\"}}",
        "{\"a\":{\"DataType\":\"String.\",\"StringValue\":\"v\"}}",
        "{\"a\":{\"DataType\":\"String\"}}",
        "{\"a\":{\"DataType\":\"String\",\"StringValue\":\"\"}}",
        "{\"a\":{\"DataType\":\"Binary\",\"StringValue\":\"v\"}}",
        "{\"a\":{\"DataType\":\"Number\",\"StringValue\":\"12x\"}}",
        "{\"a\":{\"DataType\":\"String\",\"StringValue\":\"\\u0001\"}}",
        "{\"a\":{\"StringValue\":\"v\"}}",
        NULL};
    for (int i = 0; bad[i]; i++) {
        json_t *a = json_loads(bad[i], 0, NULL);
        assert_non_null(a);
        ferr e = {0};
        size_t size = 0;
        if (sqs_attrs_check(a, 0, &size, &e) != -1) fail_msg("accepted %s", bad[i]);
        assert_string_equal(e.code, "InvalidParameterValue");
        json_decref(a);
    }
    json_t *a = json_loads("{\"a.b-c_d\":{\"DataType\":\"Number.int\",\"StringValue\":\"-1.5e3\"},"
                           "\"bin\":{\"DataType\":\"Binary\",\"BinaryValue\":\"AAEC\"}}",
                           0, NULL);
    ferr e = {0};
    size_t size = 0;
    assert_int_equal(sqs_attrs_check(a, 0, &size, &e), 0);
    assert_true(size > 0);
    json_decref(a);
    /* system attributes: AWSTraceHeader only */
    a = json_loads("{\"Other\":{\"DataType\":\"String\",\"StringValue\":\"v\"}}", 0, NULL);
    assert_int_equal(sqs_attrs_check(a, 1, NULL, &e), -1);
    json_decref(a);
}

static void body_characters(void **st)
{
    (void)st;
    unsigned bad = 0;
    assert_int_equal(sqs_body_check("plain \t\r\n text \xe2\x9c\x93 \xf0\x9f\x98\x80", 19, &bad),
                     0);
    assert_int_equal(sqs_body_check("a\x01"
                                    "b",
                                    3, &bad),
                     -1);
    assert_int_equal(bad, 1);
    assert_int_equal(sqs_body_check("\xef\xbf\xbf", 3, &bad), -1); /* U+FFFF */
    assert_int_equal(bad, 0xFFFF);
    assert_int_equal(sqs_body_check("a\0b", 3, &bad), -1);
}

static void selection(void **st)
{
    (void)st;
    json_t *n = json_loads("[\"app.*\",\"exact\"]", 0, NULL);
    assert_true(sqs_attr_selected(n, "app.x"));
    assert_true(sqs_attr_selected(n, "exact"));
    assert_false(sqs_attr_selected(n, "apple"));
    assert_false(sqs_attr_selected(n, "exactly"));
    json_decref(n);
    n = json_loads("[\".*\"]", 0, NULL);
    assert_true(sqs_attr_selected(n, "anything"));
    json_decref(n);
    assert_false(sqs_attr_selected(NULL, "x"));
    assert_true(sqs_name_valid("a-b_C9", 0));
    assert_false(sqs_name_valid("a.fifo", 0));
    assert_true(sqs_name_valid("a.fifo", 1));
    assert_false(sqs_name_valid(".fifo", 1));
}

/* ---- the service through svc_invoke ---- */

static int count_received(const char *url)
{
    json_t *r =
        ok("ReceiveMessage", json_pack("{s:s, s:i}", "QueueUrl", url, "MaxNumberOfMessages", 10));
    int n = (int)json_array_size(json_object_get(r, "Messages"));
    json_decref(r);
    return n;
}

static void retention_and_visibility(void **st)
{
    (void)st;
    const char *url = url_of(
        ok("CreateQueue", json_pack("{s:s, s:{s:s, s:s}}", "QueueName", "ret", "Attributes",
                                    "MessageRetentionPeriod", "60", "VisibilityTimeout", "30")));
    assert_string_equal(url, "http://sqs.test/" ACCT "/ret");
    json_decref(ok("SendMessage", json_pack("{s:s, s:s}", "QueueUrl", url, "MessageBody", "old")));
    assert_int_equal(count_received(url), 1);
    clock_set_offset(31); /* the visibility timeout ended */
    assert_int_equal(count_received(url), 1);
    clock_set_offset(62); /* retention: gone after 60 s */
    assert_int_equal(count_received(url), 0);
    json_t *a = ok("GetQueueAttributes",
                   json_pack("{s:s, s:[s]}", "QueueUrl", url, "AttributeNames", "All"));
    const json_t *at = json_object_get(a, "Attributes");
    assert_string_equal(json_string_value(json_object_get(at, "ApproximateNumberOfMessages")), "0");
    assert_string_equal(
        json_string_value(json_object_get(at, "ApproximateNumberOfMessagesNotVisible")), "0");
    json_decref(a);
    clock_set_offset(0);
    /* internal callers do not park: a long poll answers at once */
    double t0 = clock_now();
    json_t *r =
        ok("ReceiveMessage", json_pack("{s:s, s:i}", "QueueUrl", url, "WaitTimeSeconds", 20));
    assert_null(json_object_get(r, "Messages"));
    assert_true(clock_now() - t0 < 1);
    json_decref(r);
}

static void fifo_dedup_window(void **st)
{
    (void)st;
    const char *url = url_of(ok("CreateQueue", json_pack("{s:s, s:{s:s}}", "QueueName", "w.fifo",
                                                         "Attributes", "FifoQueue", "true")));
    json_t *a =
        ok("SendMessage", json_pack("{s:s, s:s, s:s, s:s}", "QueueUrl", url, "MessageBody", "x",
                                    "MessageGroupId", "g", "MessageDeduplicationId", "d"));
    json_t *b =
        ok("SendMessage", json_pack("{s:s, s:s, s:s, s:s}", "QueueUrl", url, "MessageBody", "x",
                                    "MessageGroupId", "g", "MessageDeduplicationId", "d"));
    assert_string_equal(json_string_value(json_object_get(a, "MessageId")),
                        json_string_value(json_object_get(b, "MessageId")));
    json_decref(b);
    clock_set_offset(301); /* AWS: the deduplication interval is 5 minutes */
    b = ok("SendMessage", json_pack("{s:s, s:s, s:s, s:s}", "QueueUrl", url, "MessageBody", "x",
                                    "MessageGroupId", "g", "MessageDeduplicationId", "d"));
    assert_string_not_equal(json_string_value(json_object_get(a, "MessageId")),
                            json_string_value(json_object_get(b, "MessageId")));
    clock_set_offset(0);
    json_decref(a);
    json_decref(b);
}

static void sns_service_principal(void **st)
{
    (void)st;
    const char *url = url_of(ok("CreateQueue", json_pack("{s:s}", "QueueName", "inbox")));
    principal sns;
    memset(&sns, 0, sizeof(sns));
    sns.kind = PRIN_SERVICE;
    snprintf(sns.service, sizeof(sns.service), "sns.amazonaws.com");
    snprintf(sns.account, sizeof(sns.account), OTHER);
    json_t *ctx = json_pack("{s:s, s:s}", "aws:SourceArn", TOPIC, "aws:SourceAccount", OTHER);
    const char *arn = "arn:aws:sqs:us-east-1:" ACCT ":inbox";
    ferr e;
    /* no queue policy: refused */
    json_t *r = invoke(&sns, "SendMessage",
                       json_pack("{s:s, s:s}", "QueueUrl", arn, "MessageBody", "evt"), ctx, &e);
    assert_null(r);
    assert_string_equal(e.code, "AccessDenied");
    assert_non_null(strstr(e.message, "sns.amazonaws.com"));
    /* a policy for the service principal, limited to this topic */
    char policy[1024];
    snprintf(
        policy, sizeof(policy),
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
        "{\"Service\":\"sns.amazonaws.com\"},\"Action\":\"sqs:SendMessage\",\"Resource\":\"%s\","
        "\"Condition\":{\"ArnEquals\":{\"aws:SourceArn\":\"%s\"}}}]}",
        arn, TOPIC);
    json_decref(ok("SetQueueAttributes",
                   json_pack("{s:s, s:{s:s}}", "QueueUrl", url, "Attributes", "Policy", policy)));
    r = invoke(&sns, "SendMessage",
               json_pack("{s:s, s:s, s:{s:{s:s, s:s}}}", "QueueUrl", url, "MessageBody", "evt",
                         "MessageAttributes", "kind", "DataType", "String", "StringValue", "order"),
               ctx, &e);
    if (!r) fail_msg("%s: %s", e.code, e.message);
    json_decref(r);
    /* by ARN too (internal callers only) */
    r = invoke(&sns, "SendMessage", json_pack("{s:s, s:s}", "QueueUrl", arn, "MessageBody", "evt2"),
               ctx, &e);
    assert_non_null(r);
    json_decref(r);
    /* another topic: refused */
    json_t *other = json_pack("{s:s}", "aws:SourceArn", "arn:aws:sns:us-east-1:" OTHER ":else");
    r = invoke(&sns, "SendMessage", json_pack("{s:s, s:s}", "QueueUrl", url, "MessageBody", "x"),
               other, &e);
    assert_null(r);
    assert_string_equal(e.code, "AccessDenied");
    json_decref(other);
    /* the service cannot receive */
    r = invoke(&sns, "ReceiveMessage", json_pack("{s:s}", "QueueUrl", url), ctx, &e);
    assert_null(r);
    json_decref(ctx);
    r = ok("ReceiveMessage",
           json_pack("{s:s, s:i, s:[s], s:[s]}", "QueueUrl", url, "MaxNumberOfMessages", 10,
                     "AttributeNames", "SenderId", "MessageAttributeNames", "All"));
    json_t *msgs = json_object_get(r, "Messages");
    assert_int_equal(json_array_size(msgs), 2);
    json_t *m = json_array_get(msgs, 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(m, "Attributes"), "SenderId")),
        "sns.amazonaws.com");
    assert_non_null(json_object_get(json_object_get(m, "MessageAttributes"), "kind"));
    json_decref(r);
    /* an unknown queue, a malformed address */
    r = invoke(&sns, "SendMessage",
               json_pack("{s:s, s:s}", "QueueUrl", "arn:aws:sqs:us-east-1:" ACCT ":none",
                         "MessageBody", "x"),
               NULL, &e);
    assert_null(r);
    assert_string_equal(e.code, "QueueDoesNotExist");
    r = invoke(&root, "SendMessage",
               json_pack("{s:s, s:s}", "QueueUrl", "nope", "MessageBody", "x"), NULL, &e);
    assert_null(r);
    assert_string_equal(e.code, "InvalidAddress");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(md5_vectors),
        cmocka_unit_test(attribute_rules),
        cmocka_unit_test(body_characters),
        cmocka_unit_test(selection),
        cmocka_unit_test(retention_and_visibility),
        cmocka_unit_test(fifo_dedup_window),
        cmocka_unit_test(sns_service_principal),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
