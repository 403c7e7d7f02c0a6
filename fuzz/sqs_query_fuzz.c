/* libFuzzer target: SQS query requests through the trait overlay (src/proto/overlay.c).
 * The input is a form body; its first byte picks the request path ("/" or a queue URL path,
 * which stands in for a missing QueueUrl). Route (json model -> query view), decode,
 * re-encode the input as output (a stress test for the view's XML names), encode errors;
 * then the same error in the json protocol (its x-amzn-query-error names it the query way). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "fuzz_proto.h"
#include "http/hreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena *a = arena_new(0);
    if (!size) goto out;
    char *in = arena_strndup(a, (const char *)data + 1, size - 1);
    if (!in) goto out;
    static const char *const paths[] = {"/", "/123456789012/queue", "/123456789012/q.fifo", "/x"};
    hdr h[1] = {{"content-type", "application/x-www-form-urlencoded"}};
    hreq r = {.method = "POST",
              .raw_path = paths[data[0] % 4],
              .raw_query = "",
              .host = "localhost:4566",
              .headers = h,
              .nheaders = 1,
              .body = (const unsigned char *)in,
              .body_len = strlen(in)};
    fuzz_proto_roundtrip(a, &r, "sqs");
    ferr e = {0};
    const proto_service *view = proto_route(a, &r, "sqs", &e);
    const proto_op *op;
    json_t *input;
    if (view && proto_decode(a, view, &r, &op, &input, &e) && ferr_isset(&e)) {
        proto_response out;
        proto_encode_error(a, proto_service_by_signing_name("sqs"), &e, "rid", &out);
        buf_dispose(&out.body);
    }
out:
    arena_free(a);
    return 0;
}
