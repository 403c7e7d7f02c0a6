/* The request path: raw HTTP request in, AWS-shaped response out.
 * route -> authenticate (SigV4) -> decode (model) -> svc_exec (transaction, handler,
 * audit) -> encode. Also ferry's own endpoints under /_ferry/. */
#ifndef FERRY_GATEWAY_H
#define FERRY_GATEWAY_H
#include <stdint.h>

#include "proto/codec.h"
#include "svc/svc.h"

typedef struct gateway gateway;

gateway *gateway_new(ferry_env *env, ferr *e); /* caller owns; starts the audit writer */
void gateway_free(gateway *g);

/* Long-poll state kept by the server between runs of one request. */
typedef struct gw_wait {
    int resumed, final; /* in: a re-run after a wake-up / at the deadline */
    const char *key;    /* out when waiting: what to wait for */
    double deadline;
    uint64_t seq;       /* out: waiters_seq() read before the handler looked */
} gw_wait;

/* Handles r. Returns 0 with resp filled (caller disposes resp->body) and the request log
 * line written, or 1 when the handler waits: the caller parks the request on w->key and
 * calls again with w->resumed or w->final set. */
int gateway_handle(gateway *g, arena *a, const hreq *r, gw_wait *w, proto_response *resp);

#endif
