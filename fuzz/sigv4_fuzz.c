/* libFuzzer target for src/auth/sigv4.c: the input is a request in a line format
 *   METHOD\nRAW_PATH\nRAW_QUERY\nname: value\n...\n\nBODY
 * turned into an hreq, then parsed, canonicalised, verified and re-signed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/sigv4.h"

#define MAX_HEADERS 64

static char *line(arena *a, const char **p, const char *end)
{
    const char *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));
    const char *e = nl ? nl : end;
    *p = nl ? nl + 1 : end;
    return arena_strndup(a, s, (size_t)(e - s)); /* stops at an embedded NUL: fine */
}

/* Header names that survive a round trip through "SignedHeaders=a;b;c". */
static int plain_names(const hreq *r)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (!*r->headers[i].name || strpbrk(r->headers[i].name, ";, \t")) return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return 0;
    arena *a = arena_new(0);
    if (!a) return 0;
    const char *p = (const char *)data, *end = p + size;
    hdr hs[MAX_HEADERS];
    hreq r;
    memset(&r, 0, sizeof(r));
    r.method = line(a, &p, end);
    r.raw_path = line(a, &p, end);
    r.raw_query = line(a, &p, end);
    r.host = "";
    r.headers = hs;
    while (p < end && r.nheaders < MAX_HEADERS) {
        char *l = line(a, &p, end);
        if (!l || !*l) break;
        char *colon = strchr(l, ':');
        if (!colon) continue;
        *colon = 0;
        for (char *c = l; *c; c++) /* http/ hands names over lowercased */
            if (*c >= 'A' && *c <= 'Z') *c = (char)(*c + 32);
        hs[r.nheaders].name = l;
        hs[r.nheaders].value = colon + 1 + (colon[1] == ' ');
        if (strcmp(l, "host") == 0) r.host = hs[r.nheaders].value;
        r.nheaders++;
    }
    /* the body is the rest, NUL-terminated like http/ provides it */
    size_t blen = (size_t)(end - p);
    unsigned char *body = arena_alloc(a, blen + 1);
    if (!r.method || !r.raw_path || !r.raw_query || !body) goto out;
    memcpy(body, p, blen);
    r.body = body;
    r.body_len = blen;

    sigv4_auth au;
    ferr e;
    ferr_clear(&e);
    int rc = sigv4_parse(a, &r, &au, &e);
    if (rc == 0) {
        char *cr = NULL;
        if (sigv4_canonical_request(a, &r, &au, &cr, &e) == 0 && !cr) abort();
        sigv4_verify(a, &r, &au, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", au.request_time, &e);
        sigv4_verify(a, &r, &au, "other", au.request_time + 3600, &e);
        /* what the server checks before the body: a refusal always says why */
        ferr_clear(&e);
        if (sigv4_verify_headers(a, &r, &au, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                 au.request_time, &e) < 0 &&
            !ferr_isset(&e))
            abort();
    } else if (rc < 0 && !ferr_isset(&e)) {
        abort(); /* every failure must say why */
    }
    /* signing any request must work and its signature must then verify */
    const char *d = hreq_header(&r, "x-amz-date");
    if (d && strlen(d) == 16 && !hreq_header(&r, "authorization") && r.nheaders < MAX_HEADERS &&
        !strstr(r.raw_query, "X-Amz-")) {
        char *authz = sigv4_sign(a, &r, "AKIDEXAMPLE", "secret", "us-east-1",
                                 (blen & 1) ? "s3" : "sqs", d, NULL);
        if (authz) {
            hs[r.nheaders].name = "authorization";
            hs[r.nheaders].value = authz;
            r.nheaders++;
            if (sigv4_parse(a, &r, &au, &e) == 0 &&
                sigv4_verify(a, &r, &au, "secret", au.request_time, &e) != 0 &&
                strcmp(e.code, "SignatureDoesNotMatch") == 0 && plain_names(&r) &&
                !hreq_header(&r, "x-amz-content-sha256"))
                abort(); /* our own signature refused */
        }
    }
out:
    arena_free(a);
    return 0;
}
