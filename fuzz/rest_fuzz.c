/* libFuzzer target: rest-json and rest-xml decoding. Input is a small HTTP
 * request: "METHOD /path?query\nname: value\n...\n\nbody"; the scope service
 * comes from the first header "x-scope" if present. Decoded input is encoded back
 * as the operation's output to exercise the writers. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "http/hreq.h"
#include "fuzz_proto.h"

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
            if (!strcmp(p, "x-scope"))
                scope = v;
            else
                h[r.nheaders++] = (hdr){p, v};
        }
        p = nl + 1;
    }
    r.headers = h;
    r.body = (const unsigned char *)p;
    r.body_len = (size_t)(end - p);
    fuzz_proto_roundtrip(a, &r, scope);
out:
    arena_free(a);
    return 0;
}
