/* libFuzzer target: rest-json and rest-xml decoding. Input is a small HTTP
 * request: "METHOD /path?query\nname: value\n...\n\nbody"; the scope service
 * comes from the first header "x-scope" if present. Decoded input is encoded back
 * as the operation's output to exercise the writers. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "http/hreq.h"
#include "proto/codec.h"

#define MAXH 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena *a = arena_new(0);
    char *in = arena_alloc(a, size + 1);
    if (!in) goto out;
    memcpy(in, data, size);
    char *end = in + size, *p = in;
    char *nl = memchr(p, '\n', size);
    if (!nl) goto out;
    *nl = 0;
    char *sp = strchr(p, ' ');
    if (!sp) goto out;
    *sp = 0;
    hreq r = {.method = p, .host = ""};
    char *path = sp + 1;
    char *q = strchr(path, '?');
    if (q) *q++ = 0;
    r.raw_path = path[0] == '/' ? path : "/";
    r.raw_query = q ? q : "";
    hdr *h = arena_alloc(a, MAXH * sizeof(hdr));
    const char *scope = NULL;
    if (!h) goto out;
    p = nl + 1;
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl || nl == p) {
            p = nl ? nl + 1 : end;
            break;
        }
        *nl = 0;
        char *c = strchr(p, ':');
        if (c && r.nheaders < MAXH) {
            *c = 0;
            for (char *t = p; *t; t++)
                if (*t >= 'A' && *t <= 'Z') *t = (char)(*t + 32);
            char *v = c + 1;
            while (*v == ' ') v++;
            if (!strcmp(p, "x-scope")) scope = v;
            else h[r.nheaders++] = (hdr){p, v};
        }
        p = nl + 1;
    }
    r.headers = h;
    r.body = (const unsigned char *)p;
    r.body_len = (size_t)(end - p);
    ferr e = {0};
    const proto_service *svc = proto_route(a, &r, scope, &e);
    proto_response out;
    if (svc) {
        const proto_op *op;
        json_t *input;
        if (proto_decode(a, svc, &r, &op, &input, &e) == 0) {
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
