/* A request as it came off the wire, before any AWS meaning is given to it.
 * All strings are owned by the request's arena. */
#ifndef FERRY_HREQ_H
#define FERRY_HREQ_H
#include <stddef.h>

#include "base/hdr.h"

typedef struct hreq {
    const char *method;
    const char *raw_path;  /* percent-encoded as sent, no query, starts with '/' */
    const char *raw_query; /* after '?', "" when none */
    const char *host;      /* Host header or "" */
    hdr *headers;
    size_t nheaders;
    const unsigned char *body; /* NUL-terminated for convenience; may contain NULs */
    size_t body_len;
    char source_ip[64];
    int secure; /* 1 when served over TLS */
    /* 1 when the server answers from the headers alone and never reads the body (it was
     * refused before authentication, see gateway_preauth) */
    int headers_only;
    /* 1 while the body is streamed (gateway_streams): the handler runs before it is read,
     * and the signature is verified from the headers (the body's hashes as it streams) */
    int body_pending;
} hreq;

/* First header with that lowercase name, or NULL. */
const char *hreq_header(const hreq *r, const char *lname);

#endif
