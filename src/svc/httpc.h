/* Outbound HTTP for the URLs services serve: API Gateway's HTTP_PROXY integrations (REST
 * and HTTP APIs) and JWT issuers' discovery documents and key sets (libcurl, never under a
 * store transaction). */
#ifndef FERRY_SVC_HTTPC_H
#define FERRY_SVC_HTTPC_H
#include <stddef.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/hdr.h"

typedef struct httpc_header {
    const char *name, *value;
} httpc_header;

typedef struct httpc_resp {
    long status;
    buf body;              /* the caller disposes it */
    httpc_header *headers; /* in the arena, as received */
    size_t nheaders, cap;
} httpc_resp;

#define HTTPC_FAILED  (-1)
#define HTTPC_TIMEOUT (-2)

/* method url with headers and body, at most max response bytes, within timeout_ms (http and
 * https only). 0 with *out filled (any status), HTTPC_FAILED or HTTPC_TIMEOUT. */
int httpc_do(arena *a, const char *method, const char *url, const httpc_header *hs, size_t nh,
             const void *body, size_t len, long timeout_ms, size_t max, httpc_resp *out);

/* 1 for a hop-by-hop header (RFC 9110) or one a proxy sets itself: never passed on. */
int httpc_hop_header(const char *name);
/* A client's headers a proxy passes on (all but hop-by-hop ones), at most max, into out
 * (borrowing in's strings). Returns how many. */
size_t httpc_pass_headers(const hdr *in, size_t n, httpc_header *out, size_t max);

#endif
