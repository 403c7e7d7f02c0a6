/* engine/esm_event: AWS's SQS event records for Lambda, the filter view, and how a partial
 * batch response is read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "engine/esm_event.h"

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void test_record_shape(void **st)
{
    (void)st;
    json_t *msg =
        json_loads("{\"MessageId\":\"m1\",\"ReceiptHandle\":\"rh\",\"Body\":\"{\\\"a\\\":1}\","
                   "\"MD5OfBody\":\"abc\",\"MD5OfMessageAttributes\":\"def\","
                   "\"Attributes\":{\"ApproximateReceiveCount\":\"1\",\"SenderId\":\"AIDA\"},"
                   "\"MessageAttributes\":{\"s\":{\"DataType\":\"String\",\"StringValue\":\"v\"},"
                   "\"b\":{\"DataType\":\"Binary\",\"BinaryValue\":\"AAE=\"}}}",
                   0, NULL);
    assert_non_null(msg);
    json_t *r = esm_event_record(msg, "arn:aws:sqs:eu-west-1:123456789012:q", "eu-west-1");
    assert_non_null(r);
    assert_string_equal(str(r, "messageId"), "m1");
    assert_string_equal(str(r, "receiptHandle"), "rh");
    assert_string_equal(str(r, "body"), "{\"a\":1}");
    assert_string_equal(str(r, "md5OfBody"), "abc");
    assert_string_equal(str(r, "md5OfMessageAttributes"), "def");
    assert_string_equal(str(r, "eventSource"), "aws:sqs");
    assert_string_equal(str(r, "eventSourceARN"), "arn:aws:sqs:eu-west-1:123456789012:q");
    assert_string_equal(str(r, "awsRegion"), "eu-west-1");
    assert_string_equal(str(json_object_get(r, "attributes"), "SenderId"), "AIDA");
    const json_t *ma = json_object_get(r, "messageAttributes");
    const json_t *s = json_object_get(ma, "s"), *b = json_object_get(ma, "b");
    assert_string_equal(str(s, "stringValue"), "v");
    assert_string_equal(str(s, "dataType"), "String");
    assert_int_equal(json_array_size(json_object_get(s, "stringListValues")), 0);
    assert_non_null(json_object_get(s, "binaryListValues"));
    assert_string_equal(str(b, "binaryValue"), "AAE=");
    assert_null(json_object_get(b, "stringValue"));

    json_t *v = esm_filter_view(r);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "body"), "a")), 1);
    json_decref(v);
    json_decref(r);
    json_decref(msg);

    /* a message with neither attributes nor a JSON body */
    msg = json_pack("{s:s, s:s, s:s}", "MessageId", "m2", "ReceiptHandle", "h", "Body", "plain");
    r = esm_event_record(msg, "arn", "us-east-1");
    assert_int_equal(json_object_size(json_object_get(r, "attributes")), 0);
    assert_int_equal(json_object_size(json_object_get(r, "messageAttributes")), 0);
    assert_null(json_object_get(r, "md5OfMessageAttributes"));
    v = esm_filter_view(r);
    assert_string_equal(str(v, "body"), "plain");
    json_decref(v);
    json_decref(r);
    json_decref(msg);
}

static void test_batch_failures(void **st)
{
    (void)st;
    const char *ids[] = {"a", "b", "c"};
    unsigned char f[3];
    const char *p;
    /* nothing, not JSON, no list, an empty list: all succeeded */
    assert_int_equal(esm_batch_failures(NULL, 0, ids, 3, f), 0);
    assert_int_equal(f[0] | f[1] | f[2], 0);
    p = "not json";
    assert_int_equal(esm_batch_failures(p, strlen(p), ids, 3, f), 0);
    p = "null";
    assert_int_equal(esm_batch_failures(p, strlen(p), ids, 3, f), 0);
    p = "{\"batchItemFailures\":[]}";
    assert_int_equal(esm_batch_failures(p, strlen(p), ids, 3, f), 0);
    /* the items named */
    p = "{\"batchItemFailures\":[{\"itemIdentifier\":\"b\"},{\"itemIdentifier\":\"b\"}]}";
    assert_int_equal(esm_batch_failures(p, strlen(p), ids, 3, f), 1);
    assert_true(!f[0] && f[1] && !f[2]);
    /* an unknown, empty or missing identifier fails the whole batch */
    p = "{\"batchItemFailures\":[{\"itemIdentifier\":\"a\"},{\"itemIdentifier\":\"zz\"}]}";
    assert_int_equal(esm_batch_failures(p, strlen(p), ids, 3, f), -1);
    assert_true(f[0] && f[1] && f[2]);
    p = "{\"batchItemFailures\":[{\"itemIdentifier\":\"\"}]}";
    assert_int_equal(esm_batch_failures(p, strlen(p), ids, 3, f), -1);
    p = "{\"batchItemFailures\":[{}]}";
    assert_int_equal(esm_batch_failures(p, strlen(p), ids, 3, f), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_shape),
        cmocka_unit_test(test_batch_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
