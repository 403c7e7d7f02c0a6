#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

static int decode_json(arena *a, const char *target, const char *ct, const char *body,
                       const proto_service **svc, const proto_op **op, json_t **in, ferr *e)
{
    char th[256], ch[128];
    snprintf(th, sizeof(th), "X-Amz-Target: %s", target);
    snprintf(ch, sizeof(ch), "Content-Type: %s", ct);
    const char *h[] = {th, ch, NULL};
    hreq *r = mkreq(a, "POST", "/", h, body, strlen(body));
    const proto_service *s = proto_route(a, r, NULL, e);
    if (!s) return -1;
    if (svc) *svc = s;
    return decode_validated(a, s, r, op, in, e);
}

static void sqs_send_message_batch(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    const proto_service *s = NULL;
    const proto_op *op;
    json_t *in;
    ferr e = {0};
    const char *body = "{\"QueueUrl\":\"http://localhost/000000000000/"
                       "q\",\"Entries\":[{\"Id\":\"1\",\"MessageBody\":\"hi\","
                       "\"DelaySeconds\":5,\"MessageAttributes\":{\"a\":{\"DataType\":\"String\","
                       "\"StringValue\":\"v\"},"
                       "\"b\":{\"DataType\":\"Binary\",\"BinaryValue\":\"AAEC\"}}},{\"Id\":\"2\","
                       "\"MessageBody\":\"x\"}],\"Junk\":1}";
    assert_int_equal(decode_json(a, "AmazonSQS.SendMessageBatch", "application/x-amz-json-1.0",
                                 body, &s, &op, &in, &e),
                     0);
    assert_string_equal(s->signing_name, "sqs");
    assert_string_equal(op->name, "SendMessageBatch");
    json_t *ents = json_object_get(in, "Entries");
    assert_int_equal(json_array_size(ents), 2);
    json_t *ma = json_object_get(json_array_get(ents, 0), "MessageAttributes");
    assert_string_equal(json_string_value(json_object_get(json_object_get(ma, "b"), "BinaryValue")),
                        "AAEC");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(ents, 0), "DelaySeconds")),
                     5);
    assert_null(json_object_get(in, "Junk"));

    /* missing required, nested */
    ferr_clear(&e);
    assert_int_equal(decode_json(a, "AmazonSQS.SendMessageBatch", "application/x-amz-json-1.0",
                                 "{\"QueueUrl\":\"q\",\"Entries\":[{\"Id\":\"1\"}]}", &s, &op, &in,
                                 &e),
                     -1);
    assert_string_equal(e.code, "ValidationException");
    assert_string_equal(
        e.message,
        "1 validation error detected: Value null at 'entries.1.member.messageBody' failed "
        "to satisfy constraint: Member must not be null");
    /* wrong type */
    ferr_clear(&e);
    assert_int_equal(
        decode_json(a, "AmazonSQS.SendMessage", "application/x-amz-json-1.0",
                    "{\"QueueUrl\":\"q\",\"MessageBody\":\"m\",\"DelaySeconds\":\"x\"}", &s, &op,
                    &in, &e),
        -1);
    assert_string_equal(e.code, "ValidationException");
    assert_non_null(strstr(e.message, "at 'delaySeconds'"));
    /* error encoding with the query-compatible header */
    proto_response out;
    ferr_set(&e, 400, "AWS.SimpleQueueService.NonExistentQueue",
             "The specified queue does not exist.");
    proto_encode_error(a, s, &e, "rid", &out);
    assert_int_equal(out.status, 400);
    assert_string_equal(out.content_type, "application/x-amz-json-1.0");
    assert_string_equal(resp_header(&out, "x-amzn-ErrorType"),
                        "AWS.SimpleQueueService.NonExistentQueue");
    assert_string_equal(resp_header(&out, "x-amzn-query-error"),
                        "AWS.SimpleQueueService.NonExistentQueue;Sender");
    json_t *j = json_loads(buf_str(&out.body), 0, NULL);
    /* the fully qualified name current SDKs match (the part after '#') */
    assert_string_equal(json_string_value(json_object_get(j, "__type")),
                        "com.amazonaws.sqs#AWS.SimpleQueueService.NonExistentQueue");
    assert_string_equal(json_string_value(json_object_get(j, "message")),
                        "The specified queue does not exist.");
    json_decref(j);
    buf_dispose(&out.body);
    arena_free(a);
}

static void sqs_receive_message(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    const proto_service *s = NULL;
    const proto_op *op;
    json_t *in;
    ferr e = {0};
    assert_int_equal(
        decode_json(a, "AmazonSQS.ReceiveMessage", "application/x-amz-json-1.0",
                    "{\"QueueUrl\":\"q\",\"MaxNumberOfMessages\":10,\"WaitTimeSeconds\":20,"
                    "\"MessageAttributeNames\":[\"All\"]}",
                    &s, &op, &in, &e),
        0);
    assert_int_equal(json_integer_value(json_object_get(in, "WaitTimeSeconds")), 20);
    json_t *o = json_pack("{s:[{s:s,s:s,s:s,s:{s:s},s:{s:{s:s,s:s}},s:s}]}", "Messages",
                          "MessageId", "m1", "ReceiptHandle", "rh", "Body", "hello", "Attributes",
                          "SentTimestamp", "1700000000000", "MessageAttributes", "a", "DataType",
                          "String", "StringValue", "v", "Extra", "dropped");
    proto_response out;
    assert_int_equal(proto_encode(a, s, op, o, "rid", &out), 0);
    assert_string_equal(
        buf_str(&out.body),
        "{\"Messages\":[{\"MessageId\":\"m1\",\"ReceiptHandle\":\"rh\",\"Body\":\"hello\","
        "\"Attributes\":{\"SentTimestamp\":\"1700000000000\"},"
        "\"MessageAttributes\":{\"a\":{\"StringValue\":\"v\",\"DataType\":\"String\"}}}]}");
    assert_null(resp_header(&out, "x-amzn-RequestId")); /* the gateway adds it */
    json_decref(o);
    buf_dispose(&out.body);
    /* empty output -> {} */
    assert_int_equal(proto_encode(a, s, proto_op_by_name(s, "DeleteQueue"), NULL, "rid", &out), 0);
    assert_string_equal(buf_str(&out.body), "{}");
    buf_dispose(&out.body);
    arena_free(a);
}

static void organizations_list_accounts(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    const proto_service *s = NULL;
    const proto_op *op;
    json_t *in;
    ferr e = {0};
    assert_int_equal(decode_json(a, "AWSOrganizationsV20161128.ListAccounts",
                                 "application/x-amz-json-1.1", "", &s, &op, &in, &e),
                     0);
    assert_int_equal(json_object_size(in), 0);
    json_t *o =
        json_pack("{s:[{s:s,s:s,s:s,s:s,s:f}]}", "Accounts", "Id", "111111111111", "Arn", "arn",
                  "Email", "a@b.c", "Status", "ACTIVE", "JoinedTimestamp", 1700000000.25);
    proto_response out;
    assert_int_equal(proto_encode(a, s, op, o, "rid", &out), 0);
    assert_string_equal(out.content_type, "application/x-amz-json-1.1");
    assert_string_equal(buf_str(&out.body),
                        "{\"Accounts\":[{\"Id\":\"111111111111\",\"Arn\":\"arn\",\"Email\":"
                        "\"a@b.c\",\"Status\":\"ACTIVE\",\"JoinedTimestamp\":1700000000.25}]}");
    json_decref(o);
    buf_dispose(&out.body);
    /* unknown operation */
    ferr_clear(&e);
    assert_int_equal(decode_json(a, "AWSOrganizationsV20161128.Nope", "application/x-amz-json-1.1",
                                 "{}", &s, &op, &in, &e),
                     -1);
    assert_string_equal(e.code, "UnknownOperationException");
    assert_int_equal(e.status, 400);
    /* malformed */
    ferr_clear(&e);
    assert_int_equal(decode_json(a, "AWSOrganizationsV20161128.ListAccounts",
                                 "application/x-amz-json-1.1", "{\"a\":", &s, &op, &in, &e),
                     -1);
    assert_string_equal(e.code, "SerializationException");
    ferr_clear(&e);
    assert_int_equal(decode_json(a, "AWSOrganizationsV20161128.ListAccounts",
                                 "application/x-amz-json-1.1", "[1]", &s, &op, &in, &e),
                     -1);
    assert_string_equal(e.code, "SerializationException");
    ferr_clear(&e);
    assert_int_equal(decode_json(a, "AWSOrganizationsV20161128.ListAccounts",
                                 "application/x-amz-json-1.1",
                                 "{\"MaxResults\":99999999999999999999999}", &s, &op, &in, &e),
                     -1);
    assert_string_equal(e.code, "SerializationException");
    ferr_clear(&e);
    assert_int_equal(decode_json(a, "AWSOrganizationsV20161128.ListAccounts",
                                 "application/x-amz-json-1.1", "{\"MaxResults\":9999999999}", &s,
                                 &op, &in, &e),
                     -1);
    assert_string_equal(e.code, "ValidationException");
    /* deep nesting does not crash */
    char deep[4200];
    size_t n = 0;
    for (int i = 0; i < 2000; i++) deep[n++] = '[';
    for (int i = 0; i < 2000; i++) deep[n++] = ']';
    deep[n] = 0;
    char body[4300];
    snprintf(body, sizeof(body), "{\"NextToken\":%s}", deep);
    ferr_clear(&e);
    assert_int_equal(decode_json(a, "AWSOrganizationsV20161128.ListAccounts",
                                 "application/x-amz-json-1.1", body, &s, &op, &in, &e),
                     -1);
    /* error body */
    ferr_set(&e, 400, "AWSOrganizationsNotInUseException",
             "Your account is not a member of an organization.");
    proto_encode_error(a, s, &e, "rid", &out);
    assert_string_equal(buf_str(&out.body),
                        "{\"__type\":\"AWSOrganizationsNotInUseException\",\"message\":\"Your "
                        "account is not a member of an organization.\"}");
    assert_null(resp_header(&out, "x-amzn-query-error"));
    buf_dispose(&out.body);
    /* a message cut mid-character still makes valid JSON */
    ferr_set(&e, 400, "ValidationException", "bad \xc3");
    proto_encode_error(a, s, &e, "rid", &out);
    assert_string_equal(buf_str(&out.body),
                        "{\"__type\":\"ValidationException\",\"message\":\"bad ?\"}");
    buf_dispose(&out.body);
    arena_free(a);
}

static void cloudtrail_lookup_events(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    const proto_service *s = NULL;
    const proto_op *op;
    json_t *in;
    ferr e = {0};
    assert_int_equal(
        decode_json(
            a, "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
            "application/x-amz-json-1.1",
            "{\"StartTime\":1700000000,\"EndTime\":\"2023-11-15T00:00:00Z\",\"MaxResults\":5,"
            "\"LookupAttributes\":[{\"AttributeKey\":\"EventName\",\"AttributeValue\":"
            "\"AssumeRole\"}]}",
            &s, &op, &in, &e),
        0);
    assert_string_equal(s->signing_name, "cloudtrail");
    assert_int_equal(json_integer_value(json_object_get(in, "StartTime")), 1700000000);
    assert_int_equal(json_integer_value(json_object_get(in, "EndTime")), 1700006400);
    ferr_clear(&e);
    assert_int_equal(
        decode_json(a, "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
                    "application/x-amz-json-1.1", "{\"StartTime\":\"yesterday\"}", &s, &op, &in,
                    &e),
        -1);
    assert_string_equal(e.code, "ValidationException");
    ferr_clear(&e);
    assert_int_equal(
        decode_json(a, "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
                    "application/x-amz-json-1.1",
                    "{\"LookupAttributes\":[{\"AttributeKey\":\"EventName\"},{}]}", &s, &op, &in,
                    &e),
        -1);
    assert_string_equal(
        e.message,
        "3 validation errors detected: Value null at 'lookupAttributes.1.member.attributeValue' "
        "failed to satisfy constraint: Member must not be null; Value null at "
        "'lookupAttributes.2.member.attributeKey' failed to satisfy constraint: Member must not "
        "be null; Value null at 'lookupAttributes.2.member.attributeValue' failed to satisfy "
        "constraint: Member must not be null");
    op = proto_op_by_name(s, "LookupEvents");
    json_t *o = json_pack("{s:[{s:s,s:s,s:s}]}", "Events", "EventId", "e1", "EventName",
                          "AssumeRole", "EventTime", "2023-11-14T22:13:20Z");
    proto_response out;
    assert_int_equal(proto_encode(a, s, op, o, "rid", &out), 0);
    assert_string_equal(buf_str(&out.body), "{\"Events\":[{\"EventId\":\"e1\",\"EventName\":"
                                            "\"AssumeRole\",\"EventTime\":1700000000}]}");
    json_decref(o);
    buf_dispose(&out.body);
    arena_free(a);
}

static void routing(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    ferr e = {0};
    hreq *r = mkreq(a, "POST", "/", NULL, "", 0);
    assert_null(proto_route(a, r, "nosuchsvc", &e));
    assert_string_equal(e.code, "UnknownService");
    assert_non_null(proto_route(a, r, "access-analyzer", &e));
    assert_ptr_equal(proto_route(a, r, "sqs", &e), svc_named("sqs"));
    const char *h[] = {"X-Amz-Target: Bogus.Op", NULL};
    r = mkreq(a, "POST", "/", h, "{}", 2);
    ferr_clear(&e);
    const proto_service *s = proto_route(a, r, "organizations", &e);
    assert_non_null(s);
    const proto_op *op;
    json_t *in;
    assert_int_equal(proto_decode(a, s, r, &op, &in, &e), -1);
    assert_string_equal(e.code, "UnknownOperationException");
    /* model lookups */
    assert_non_null(proto_op_by_name(svc_named("iam"), "CreateRole"));
    assert_null(proto_op_by_name(svc_named("iam"), "CreateRol"));
    assert_null(proto_op_by_name(svc_named("iam"), "CreateRoleX"));
    for (size_t i = 0; i < proto_nservices; i++)
        for (size_t k = 1; k < proto_services[i]->nops; k++)
            assert_true(strcmp(proto_services[i]->ops[k - 1].name, proto_services[i]->ops[k].name) <
                        0);
    assert_non_null(proto_service_by_stem("lambda-2015-03-31"));
    assert_non_null(proto_service_by_target("AmazonSQS", 9));
    arena_free(a);
}

/* JSON strings and keys with \u0000 are refused, never cut (issue 9). */
static void nul_bytes(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    const proto_op *op;
    json_t *in;
    ferr e = {0};
    const char *bodies[] = {
        "{\"QueueName\":\"bad\\u0000name\"}",
        "{\"QueueName\":\"q\",\"Attributes\":{\"DelaySeconds\\u0000x\":\"1\"}}"};
    for (size_t i = 0; i < 2; i++) {
        ferr_clear(&e);
        assert_int_equal(decode_json(a, "AmazonSQS.CreateQueue", "application/x-amz-json-1.0",
                                     bodies[i], NULL, &op, &in, &e),
                         -1);
        assert_int_equal(e.status, 400);
        assert_string_equal(e.code, "SerializationException");
    }
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sqs_send_message_batch),
        cmocka_unit_test(sqs_receive_message),
        cmocka_unit_test(organizations_list_accounts),
        cmocka_unit_test(cloudtrail_lookup_events),
        cmocka_unit_test(routing),
        cmocka_unit_test(nul_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
