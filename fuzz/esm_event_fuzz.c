/* libFuzzer target: what an SQS event source mapping reads from a function and a message
 * (src/engine/esm_event.c): the input is a function's response, read as a partial batch
 * response for a batch of three, and a message body, made into a record and its filter
 * view. A partial response marks exactly the count it returns, or the whole batch.
 * Seeds: fuzz/corpus/esm_event_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/esm_event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *ids[] = {"a", "b", "c"};
    unsigned char failed[3];
    int n = esm_batch_failures((const char *)data, size, ids, 3, failed);
    int marked = failed[0] + failed[1] + failed[2];
    if (n < 0 ? marked != 3 : n != marked) abort();

    char *body = malloc(size + 1);
    if (!body) return 0;
    memcpy(body, data, size);
    body[size] = 0;
    json_t *text = json_string(body); /* NULL for bytes that are not UTF-8 */
    json_t *msg =
        json_pack("{s:s, s:s, s:o?}", "MessageId", "a", "ReceiptHandle", "h", "Body", text);
    json_t *rec =
        msg ? esm_event_record(msg, "arn:aws:sqs:us-east-1:123456789012:q", "us-east-1") : NULL;
    json_t *view = rec ? esm_filter_view(rec) : NULL;
    if (rec && !json_object_get(rec, "body")) abort();
    json_decref(view);
    json_decref(rec);
    json_decref(msg);
    free(body);
    return 0;
}
