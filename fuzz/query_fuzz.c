/* libFuzzer target: awsquery decoding. The input is a form body (and, when it
 * contains a '\n', "query-string\nbody"); route + decode + encode round trip. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "http/hreq.h"
#include "fuzz_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena *a = arena_new(0);
    char *in = arena_strndup(a, (const char *)data, size);
    if (!in) goto out;
    size_t inlen = strnlen(in, size);
    char *nl = memchr(in, '\n', inlen);
    static const char *const scopes[] = {"sts", "iam", "sns", "cloudformation", NULL};
    hdr h[1] = {{"content-type", "application/x-www-form-urlencoded"}};
    hreq r = {.method = "POST",
              .raw_path = "/",
              .raw_query = "",
              .host = "",
              .headers = h,
              .nheaders = 1};
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
    fuzz_proto_roundtrip(a, &r, scope);
out:
    arena_free(a);
    return 0;
}
