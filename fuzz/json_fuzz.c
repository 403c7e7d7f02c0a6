/* libFuzzer target: awsjson decoding. Input: "X-Amz-Target value\nbody". */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "http/hreq.h"
#include "fuzz_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena *a = arena_new(0);
    const char *nl = memchr(data, '\n', size);
    size_t tl = nl ? (size_t)(nl - (const char *)data) : 0;
    char *target = arena_strndup(a, (const char *)data, tl);
    const unsigned char *body = nl ? (const unsigned char *)nl + 1 : data;
    size_t blen = nl ? size - tl - 1 : size;
    unsigned char *b = arena_alloc(a, blen + 1);
    if (!target || !b) goto out;
    memcpy(b, body, blen);
    hdr h[2] = {{"x-amz-target", target}, {"content-type", "application/x-amz-json-1.0"}};
    hreq r = {.method = "POST",
              .raw_path = "/",
              .raw_query = "",
              .host = "",
              .headers = h,
              .nheaders = 2,
              .body = b,
              .body_len = blen};
    fuzz_proto_roundtrip(a, &r, NULL);
out:
    arena_free(a);
    return 0;
}
