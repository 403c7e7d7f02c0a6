/* The SQS event for Lambda and the partial batch response (esm_event.h). */
#include "esm_event.h"

#include <string.h>

#include "base/jval.h"

/* messageAttributes as AWS writes them in the event: lower camel case, both list members
 * always present. */
static json_t *message_attributes(const json_t *attrs)
{
    json_t *out = json_object();
    const char *k;
    json_t *a;
    json_object_foreach((json_t *)attrs, k, a) {
        if (!out) break;
        json_t *o = json_pack("{s:[], s:[], s:s}", "stringListValues", "binaryListValues",
                              "dataType", jstr(a, "DataType") ? jstr(a, "DataType") : "String");
        const char *sv = jstr(a, "StringValue"), *bv = jstr(a, "BinaryValue");
        int bad = !o || (sv && jset_str(o, "stringValue", sv)) ||
                  (bv && jset_str(o, "binaryValue", bv)) || json_object_set_new(out, k, o);
        if (bad) {
            json_decref(out);
            out = NULL;
        }
    }
    return out;
}

json_t *esm_event_record(const json_t *msg, const char *queue_arn, const char *region)
{
    const json_t *attrs = json_object_get(msg, "Attributes");
    json_t *ma = message_attributes(json_object_get(msg, "MessageAttributes"));
    json_t *at = attrs ? json_incref((json_t *)attrs) : json_object();
    json_t *r =
        ma && at ? json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:s}", "messageId",
                             jstr(msg, "MessageId") ? jstr(msg, "MessageId") : "", "receiptHandle",
                             jstr(msg, "ReceiptHandle") ? jstr(msg, "ReceiptHandle") : "", "body",
                             jstr(msg, "Body") ? jstr(msg, "Body") : "", "attributes", at,
                             "messageAttributes", ma, "md5OfBody",
                             jstr(msg, "MD5OfBody") ? jstr(msg, "MD5OfBody") : "", "eventSource",
                             "aws:sqs", "eventSourceARN", queue_arn, "awsRegion", region)
                 : NULL;
    if (!r && !(ma && at)) {
        json_decref(ma);
        json_decref(at);
    }
    const char *mm = jstr(msg, "MD5OfMessageAttributes");
    if (r && mm && jset_str(r, "md5OfMessageAttributes", mm)) {
        json_decref(r);
        return NULL;
    }
    return r;
}

json_t *esm_filter_view(const json_t *record)
{
    json_t *v = json_copy((json_t *)record);
    const char *body = jstr(record, "body");
    if (!v || !body) return v;
    json_t *parsed = json_loads(body, JSON_DECODE_ANY, NULL);
    if (parsed && json_object_set_new(v, "body", parsed)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

int esm_batch_failures(const char *payload, size_t len, const char *const *ids, size_t n,
                       unsigned char *failed)
{
    memset(failed, 0, n);
    json_t *doc = payload && len ? json_loadb(payload, len, JSON_DECODE_ANY, NULL) : NULL;
    const json_t *list = json_object_get(doc, "batchItemFailures");
    int count = 0;
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        const char *id = jstr(item, "itemIdentifier");
        size_t j = 0;
        while (id && *id && j < n && strcmp(ids[j], id)) j++;
        if (!id || !*id || j == n) {
            count = -1;
            break;
        }
        count += !failed[j];
        failed[j] = 1;
    }
    json_decref(doc);
    if (count < 0) memset(failed, 1, n);
    return count;
}
