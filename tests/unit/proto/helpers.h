/* Shared by the proto unit tests: build an hreq the way http/ would. */
#ifndef FERRY_TEST_PROTO_HELPERS_H
#define FERRY_TEST_PROTO_HELPERS_H
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "http/hreq.h"
#include "proto/codec.h"
#include "proto/validate.h"

/* target: "/path?query"; headers: "name: value" strings, NULL-terminated (names lowercased here). */
static inline hreq *mkreq(arena *a, const char *method, const char *target,
                          const char *const *headers, const char *body, size_t body_len)
{
    hreq *r = arena_alloc(a, sizeof(*r));
    r->method = method;
    const char *q = strchr(target, '?');
    r->raw_path = q ? arena_strndup(a, target, (size_t)(q - target)) : target;
    r->raw_query = q ? q + 1 : "";
    r->host = "localhost";
    size_t n = 0;
    while (headers && headers[n]) n++;
    r->headers = arena_alloc(a, (n + 1) * sizeof(hdr));
    for (size_t i = 0; i < n; i++) {
        const char *c = strchr(headers[i], ':');
        char *name = arena_strndup(a, headers[i], (size_t)(c - headers[i]));
        for (char *p = name; *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        const char *v = c + 1;
        while (*v == ' ') v++;
        r->headers[i].name = name;
        r->headers[i].value = v;
    }
    r->nheaders = n;
    if (!body) body = "";
    unsigned char *b = arena_alloc(a, body_len + 1);
    memcpy(b, body, body_len);
    r->body = b;
    r->body_len = body_len;
    return r;
}

/* What a request meets before its handler: the codec, then the model's constraints (the
 * gateway decodes, svc/exec.c validates). */
static inline int decode_validated(arena *a, const proto_service *s, const hreq *r,
                                   const proto_op **op, json_t **in, ferr *e)
{
    if (proto_decode(a, s, r, op, in, e)) return -1;
    return proto_validate(s, *op, *in, e);
}

static inline const char *resp_header(const proto_response *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (!strcasecmp(r->headers[i].name, name)) return r->headers[i].value;
    return NULL;
}

static inline const proto_service *svc_named(const char *signing)
{
    return proto_service_by_signing_name(signing);
}

#endif
