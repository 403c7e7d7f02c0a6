/* libFuzzer target: awsquery decoding. The input is a form body (and, when it
 * contains a '\n', "query-string\nbody"); route + decode + encode round trip. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "http/hreq.h"
#include "proto/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena *a = arena_new(0);
    char *in = arena_strndup(a, (const char *)data, size);
    if (!in) goto out;
    size_t inlen = strnlen(in, size);
    char *nl = memchr(in, '\n', inlen);
    static const char *const scopes[] = {"sts", "iam", "sns", "cloudformation", NULL};
    hdr h[1] = {{"content-type", "application/x-www-form-urlencoded"}};
    hreq r = {.method = "POST", .raw_path = "/", .raw_query = "", .host = "", .headers = h, .nheaders = 1};
    if (nl) {
        *nl = 0;
        r.raw_query = in;
        r.body = (const unsigned char *)nl + 1;
        r.body_len = inlen - (size_t)(nl + 1 - in);
    } else {
        r.body = (const unsigned char *)in;
        r.body_len = inlen;
    }
    const char *scope = scopes[size % 5];
    ferr e = {0};
    const proto_service *svc = proto_route(a, &r, scope, &e);
    proto_response out;
    if (svc) {
        const proto_op *op;
        json_t *input;
        if (proto_decode(a, svc, &r, &op, &input, &e) == 0) {
            /* the input shape is a fine stress test for the XML writer */
            proto_encode(a, svc, op, input, "rid", &out);
            buf_dispose(&out.body);
        }
    }
    if (ferr_isset(&e)) {
        proto_encode_error(a, svc, &e, "rid", &out);
        buf_dispose(&out.body);
    }
out:
    arena_free(a);
    return 0;
}
