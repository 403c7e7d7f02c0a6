/* The query overlay of SQS's json model: query forms with the query-era names decode into
 * the json model's shapes, results encode as the query XML botocore 1.29 parses, errors
 * carry the query codes; json requests are untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "proto/overlay.h"

static const char *const FORM[] = {"Content-Type: application/x-www-form-urlencoded; charset=utf-8",
                                   NULL};

static const proto_service *route_form(arena *a, const char *path, const char *body, hreq **out,
                                       ferr *e)
{
    hreq *r = mkreq(a, "POST", path, FORM, body, strlen(body));
    *out = r;
    return proto_route(a, r, "sqs", e);
}

static json_t *decode(arena *a, const char *path, const char *body, const char **opname, ferr *e)
{
    hreq *r;
    const proto_service *s = route_form(a, path, body, &r, e);
    if (!s) return NULL;
    const proto_op *op;
    json_t *in;
    if (decode_validated(a, s, r, &op, &in, e)) return NULL;
    *opname = op->name;
    return in;
}

#define S(o, k) json_string_value(json_object_get((o), (k)))

static void routes_query_to_view(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    ferr e = {0};
    hreq *r;
    const proto_service *s = route_form(a, "/", "Action=ListQueues&Version=2012-11-05", &r, &e);
    assert_non_null(s);
    assert_int_equal(s->protocol, PROTO_QUERY);
    assert_true(proto_overlay_is_view(s));
    assert_string_equal(s->signing_name, "sqs");
    /* json requests stay json */
    static const char *const JSON[] = {"Content-Type: application/x-amz-json-1.0",
                                       "X-Amz-Target: AmazonSQS.ListQueues", NULL};
    hreq *j = mkreq(a, "POST", "/", JSON, "{}", 2);
    s = proto_route(a, j, "sqs", &e);
    assert_non_null(s);
    assert_int_equal(s->protocol, PROTO_JSON);
    assert_false(proto_overlay_is_view(s));
    arena_free(a);
}

static void decode_send_message(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    ferr e = {0};
    const char *op;
    json_t *in = decode(a, "/",
                        "Action=SendMessage&Version=2012-11-05"
                        "&QueueUrl=http%3A%2F%2Flocalhost%2F123456789012%2Fq&MessageBody=hi+there"
                        "&DelaySeconds=3"
                        "&MessageAttribute.1.Name=color&MessageAttribute.1.Value.DataType=String"
                        "&MessageAttribute.1.Value.StringValue=blue"
                        "&MessageAttribute.2.Name=raw&MessageAttribute.2.Value.DataType=Binary"
                        "&MessageAttribute.2.Value.BinaryValue=AAEC"
                        "&MessageSystemAttribute.1.Name=AWSTraceHeader"
                        "&MessageSystemAttribute.1.Value.DataType=String"
                        "&MessageSystemAttribute.1.Value.StringValue=Root%3D1-abc",
                        &op, &e);
    assert_non_null(in);
    assert_string_equal(op, "SendMessage");
    assert_string_equal(S(in, "QueueUrl"), "http://localhost/123456789012/q");
    assert_string_equal(S(in, "MessageBody"), "hi there");
    assert_int_equal(json_integer_value(json_object_get(in, "DelaySeconds")), 3);
    json_t *ma = json_object_get(in, "MessageAttributes");
    assert_int_equal(json_object_size(ma), 2);
    assert_string_equal(S(json_object_get(ma, "color"), "StringValue"), "blue");
    assert_string_equal(S(json_object_get(ma, "color"), "DataType"), "String");
    assert_string_equal(S(json_object_get(ma, "raw"), "BinaryValue"), "AAEC");
    json_t *sa = json_object_get(in, "MessageSystemAttributes");
    assert_string_equal(S(json_object_get(sa, "AWSTraceHeader"), "StringValue"), "Root=1-abc");
    arena_free(a);
}

static void decode_batches_and_lists(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    ferr e = {0};
    const char *op;
    json_t *in =
        decode(a, "/",
               "Action=SendMessageBatch&QueueUrl=u"
               "&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=x"
               "&SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=y"
               "&SendMessageBatchRequestEntry.2.MessageGroupId=g",
               &op, &e);
    assert_non_null(in);
    json_t *ents = json_object_get(in, "Entries");
    assert_int_equal(json_array_size(ents), 2);
    assert_string_equal(S(json_array_get(ents, 1), "Id"), "b");
    assert_string_equal(S(json_array_get(ents, 1), "MessageGroupId"), "g");

    in = decode(a, "/",
                "Action=DeleteMessageBatch&QueueUrl=u&DeleteMessageBatchRequestEntry.1.Id=a"
                "&DeleteMessageBatchRequestEntry.1.ReceiptHandle=r",
                &op, &e);
    assert_non_null(in);
    assert_string_equal(S(json_array_get(json_object_get(in, "Entries"), 0), "ReceiptHandle"), "r");

    in = decode(a, "/",
                "Action=ChangeMessageVisibilityBatch&QueueUrl=u"
                "&ChangeMessageVisibilityBatchRequestEntry.1.Id=a"
                "&ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle=r"
                "&ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout=5",
                &op, &e);
    assert_non_null(in);
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(json_object_get(in, "Entries"), 0), "VisibilityTimeout")),
                     5);

    in = decode(a, "/",
                "Action=GetQueueAttributes&QueueUrl=u&AttributeName.1=All&AttributeName.2=Policy",
                &op, &e);
    assert_non_null(in);
    assert_string_equal(json_string_value(json_array_get(json_object_get(in, "AttributeNames"), 1)),
                        "Policy");

    in = decode(a, "/",
                "Action=ReceiveMessage&QueueUrl=u&MessageAttributeName.1=All"
                "&MessageSystemAttributeName.1=SenderId&AttributeName.1=SentTimestamp"
                "&MaxNumberOfMessages=10&WaitTimeSeconds=2",
                &op, &e);
    assert_non_null(in);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(in, "MessageAttributeNames"), 0)), "All");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(in, "MessageSystemAttributeNames"), 0)),
        "SenderId");

    in = decode(a, "/",
                "Action=CreateQueue&QueueName=q&Attribute.1.Name=DelaySeconds&Attribute.1.Value=5"
                "&Tag.1.Key=team&Tag.1.Value=core",
                &op, &e);
    assert_non_null(in);
    assert_string_equal(S(json_object_get(in, "Attributes"), "DelaySeconds"), "5");
    assert_string_equal(S(json_object_get(in, "tags"), "team"), "core");

    in = decode(a, "/",
                "Action=AddPermission&QueueUrl=u&Label=l&AWSAccountId.1=111122223333"
                "&ActionName.1=SendMessage&ActionName.2=ReceiveMessage",
                &op, &e);
    assert_non_null(in);
    assert_int_equal(json_array_size(json_object_get(in, "Actions")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(in, "AWSAccountIds"), 0)),
                        "111122223333");

    in = decode(a, "/", "Action=UntagQueue&QueueUrl=u&TagKey.1=a&TagKey.2=b", &op, &e);
    assert_non_null(in);
    assert_int_equal(json_array_size(json_object_get(in, "TagKeys")), 2);
    arena_free(a);
}

static void queue_url_from_path(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    ferr e = {0};
    const char *op;
    /* older SDKs POST the form to the queue's own URL and leave QueueUrl out */
    json_t *in = decode(a, "/123456789012/jobs", "Action=SendMessage&MessageBody=x", &op, &e);
    assert_non_null(in);
    assert_string_equal(S(in, "QueueUrl"), "http://localhost/123456789012/jobs");
    /* a QueueUrl in the form wins */
    in =
        decode(a, "/123456789012/jobs", "Action=SendMessage&MessageBody=x&QueueUrl=other", &op, &e);
    assert_string_equal(S(in, "QueueUrl"), "other");
    /* at "/" it is still required */
    assert_null(decode(a, "/", "Action=SendMessage&MessageBody=x", &op, &e));
    assert_string_equal(e.code, "ValidationError");
    arena_free(a);
}

static const char *encode(arena *a, const char *opname, const char *json, proto_response *out)
{
    hreq *r;
    ferr e = {0};
    const proto_service *s = route_form(a, "/", "Action=ListQueues", &r, &e);
    const proto_op *op = proto_op_by_name(s, opname);
    json_t *o = json ? json_loads(json, 0, NULL) : NULL;
    assert_int_equal(proto_encode(a, s, op, o, "rid-1", out), 0);
    json_decref(o);
    return buf_str(&out->body);
}

static void encode_results(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    proto_response out;
    const char *x =
        encode(a, "ReceiveMessage",
               "{\"Messages\":[{\"MessageId\":\"m1\",\"ReceiptHandle\":\"h\",\"MD5OfBody\":\"d\","
               "\"Body\":\"b<\",\"Attributes\":{\"SenderId\":\"123\"},"
               "\"MD5OfMessageAttributes\":\"e\",\"MessageAttributes\":{\"color\":"
               "{\"StringValue\":\"blue\",\"DataType\":\"String\"}}}]}",
               &out);
    assert_non_null(
        strstr(x, "<ReceiveMessageResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">"
                  "<ReceiveMessageResult><Message><MessageId>m1</MessageId>"));
    assert_non_null(strstr(x, "<Body>b&lt;</Body>"));
    assert_non_null(strstr(x, "<Attribute><Name>SenderId</Name><Value>123</Value></Attribute>"));
    assert_non_null(
        strstr(x, "<MessageAttribute><Name>color</Name><Value><StringValue>blue</StringValue>"
                  "<DataType>String</DataType></Value></MessageAttribute>"));
    assert_non_null(strstr(
        x, "</Message></ReceiveMessageResult><ResponseMetadata><RequestId>rid-1</RequestId>"));
    buf_dispose(&out.body);

    x = encode(a, "ListQueues", "{\"QueueUrls\":[\"u1\",\"u2\"]}", &out);
    assert_non_null(strstr(
        x, "<ListQueuesResult><QueueUrl>u1</QueueUrl><QueueUrl>u2</QueueUrl></ListQueuesResult>"));
    buf_dispose(&out.body);

    x = encode(a, "SendMessageBatch",
               "{\"Successful\":[{\"Id\":\"a\",\"MessageId\":\"m\",\"MD5OfMessageBody\":\"d\"}],"
               "\"Failed\":[{\"Id\":\"b\",\"SenderFault\":true,\"Code\":\"X\",\"Message\":\"y\"}]}",
               &out);
    assert_non_null(strstr(x, "<SendMessageBatchResult><SendMessageBatchResultEntry><Id>a</Id>"));
    assert_non_null(strstr(x, "<BatchResultErrorEntry><Id>b</Id><SenderFault>true</SenderFault>"));
    buf_dispose(&out.body);

    /* the shared {Successful, Failed} shape is named per operation */
    x = encode(a, "DeleteMessageBatch", "{\"Successful\":[{\"Id\":\"a\"}],\"Failed\":[]}", &out);
    assert_non_null(
        strstr(x, "<DeleteMessageBatchResult><DeleteMessageBatchResultEntry><Id>a</Id>"));
    buf_dispose(&out.body);
    x = encode(a, "ChangeMessageVisibilityBatch", "{\"Successful\":[{\"Id\":\"a\"}],\"Failed\":[]}",
               &out);
    assert_non_null(strstr(x, "<ChangeMessageVisibilityBatchResultEntry><Id>a</Id>"));
    buf_dispose(&out.body);

    x = encode(a, "GetQueueAttributes", "{\"Attributes\":{\"VisibilityTimeout\":\"30\"}}", &out);
    assert_non_null(strstr(x, "<GetQueueAttributesResult><Attribute><Name>VisibilityTimeout</Name>"
                              "<Value>30</Value></Attribute></GetQueueAttributesResult>"));
    buf_dispose(&out.body);
    x = encode(a, "ListQueueTags", "{\"Tags\":{\"team\":\"core\"}}", &out);
    assert_non_null(strstr(x, "<Tag><Key>team</Key><Value>core</Value></Tag>"));
    buf_dispose(&out.body);
    x = encode(a, "CreateQueue", "{\"QueueUrl\":\"u\"}", &out);
    assert_non_null(strstr(x, "<CreateQueueResult><QueueUrl>u</QueueUrl></CreateQueueResult>"));
    buf_dispose(&out.body);
    x = encode(a, "DeleteQueue", NULL, &out);
    assert_non_null(
        strstr(x, "<DeleteQueueResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">"
                  "<ResponseMetadata>"));
    buf_dispose(&out.body);
    arena_free(a);
}

static void errors(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    hreq *r;
    ferr e = {0};
    const proto_service *view = route_form(a, "/", "Action=ListQueues", &r, &e);
    proto_response out;
    ferr qe;
    ferr_set(&qe, 400, "QueueDoesNotExist", "The specified queue does not exist.");
    proto_encode_error(a, view, &qe, "rid", &out);
    assert_int_equal(out.status, 400);
    assert_non_null(strstr(buf_str(&out.body),
                           "<Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue"
                           "</Code><Message>The specified queue does not exist for this wsdl "
                           "version.</Message>"));
    buf_dispose(&out.body);
    ferr_set(&qe, 400, "InvalidParameterValue", "bad");
    proto_encode_error(a, view, &qe, "rid", &out);
    assert_non_null(
        strstr(buf_str(&out.body), "<Code>InvalidParameterValue</Code><Message>bad</Message>"));
    buf_dispose(&out.body);
    /* json: the json name, and the query one in x-amzn-query-error */
    const proto_service *js = svc_named("sqs");
    ferr_set(&qe, 400, "QueueDoesNotExist", "The specified queue does not exist.");
    proto_encode_error(a, js, &qe, "rid", &out);
    assert_non_null(
        strstr(buf_str(&out.body), "\"__type\":\"com.amazonaws.sqs#QueueDoesNotExist\""));
    assert_string_equal(resp_header(&out, "x-amzn-query-error"),
                        "AWS.SimpleQueueService.NonExistentQueue;Sender");
    buf_dispose(&out.body);
    ferr_set(&qe, 400, "InvalidAttributeName", "Unknown Attribute X.");
    proto_encode_error(a, js, &qe, "rid", &out);
    assert_string_equal(resp_header(&out, "x-amzn-query-error"), "InvalidAttributeName;Sender");
    buf_dispose(&out.body);
    /* one canonical code: the query name, worded the json way by the json encoder only */
    ferr_set(&qe, 403, "AccessDenied", "no");
    proto_encode_error(a, js, &qe, "rid", &out);
    assert_int_equal(out.status, 400);
    assert_non_null(
        strstr(buf_str(&out.body), "\"__type\":\"com.amazonaws.sqs#AccessDeniedException\""));
    assert_string_equal(resp_header(&out, "x-amzn-ErrorType"), "AccessDeniedException");
    assert_string_equal(resp_header(&out, "x-amzn-query-error"), "AccessDenied;Sender");
    buf_dispose(&out.body);
    proto_encode_error(a, view, &qe, "rid", &out);
    assert_int_equal(out.status, 403);
    assert_non_null(strstr(buf_str(&out.body), "<Code>AccessDenied</Code>"));
    buf_dispose(&out.body);
    ferr_set(&qe, 403, "MissingAuthenticationToken", "no");
    proto_encode_error(a, js, &qe, "rid", &out);
    assert_int_equal(out.status, 403);
    assert_non_null(strstr(buf_str(&out.body),
                           "\"__type\":\"com.amazonaws.sqs#MissingAuthenticationTokenException\""));
    buf_dispose(&out.body);
    arena_free(a);
}

/* Every overlay rule names a member the model still has (catches model drift). */
static void rules_resolve(void **st)
{
    (void)st;
    for (size_t i = 0; i < proto_noverlays; i++) {
        const proto_overlay *ov = proto_overlays[i];
        const proto_service *s = proto_service_by_stem(ov->stem);
        assert_non_null(s);
        assert_non_null(proto_overlay_query_view(s));
        for (size_t k = 0; k < ov->nmembers; k++) {
            int seen = 0;
            for (size_t m = 0; m < s->nmembers && !seen; m++)
                seen = s->members[m].name && !strcmp(s->members[m].name, ov->members[k].member);
            if (!seen)
                fail_msg("overlay %s: no member %s in the model", ov->stem, ov->members[k].member);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(routes_query_to_view),
        cmocka_unit_test(decode_send_message),
        cmocka_unit_test(decode_batches_and_lists),
        cmocka_unit_test(queue_url_from_path),
        cmocka_unit_test(encode_results),
        cmocka_unit_test(errors),
        cmocka_unit_test(rules_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
