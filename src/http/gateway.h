/* The request path: raw HTTP request in, AWS-shaped response out.
 * route -> authenticate (SigV4) -> decode (model) -> svc_exec (transaction, handler,
 * audit) -> encode. Before that, the URLs services serve themselves (svc_def routes) and
 * ferry's own endpoints under /_ferry/ (health, reset). Knows no service by name. */
#ifndef FERRY_GATEWAY_H
#define FERRY_GATEWAY_H
#include <stdint.h>

#include "proto/codec.h"
#include "svc/svc.h"

typedef struct gateway gateway;

gateway *gateway_new(ferry_env *env, ferr *e); /* caller owns; starts the audit writer */
void gateway_free(gateway *g);

/* Handles r. w is the request's long-poll record (svc.h), zeroed before the first run and
 * kept, with a, until the request is over. Returns 0 with resp filled (caller disposes
 * resp->body) and the request log line written, or 1 when the handler waits: the caller
 * parks the request on w->key until w->wake_at and calls again with w->resumed or w->final
 * set; or SVC_BODY when the handler of a streamed body (r->body_pending) asked for it: the
 * caller reads it (gateway_upload) and calls again with w->body or w->body_failed set. */
int gateway_handle(gateway *g, arena *a, const hreq *r, call_wait *w, proto_response *resp);

/* What the headers of r (its body not read yet) say about its caller, so that a server
 * reads no body for a caller it will refuse: 0 when the signature is verified from the
 * headers alone (x-amz-content-sha256 signed), 1 when nothing is refused yet (unsigned
 * URLs, open mode, a signature over the body, or no signature: the body decides; 0 too for
 * a service route whose service accepts the credentials, svc_def.route_preauth), -1 when
 * the request will be refused whatever its body (malformed signature, unknown key, bad
 * date or clock, wrong signature): answer it with gateway_handle and r->headers_only. */
int gateway_preauth(gateway *g, arena *a, const hreq *r);

/* 1 when a service serves r itself (svc_def routes: API Gateway stages, git over HTTP...). */
int gateway_is_route(gateway *g, arena *a, const hreq *r);

/* 1 when r is for an operation that takes its body streamed (svc.h call_body_want): the
 * server then runs it from the headers, with r->body_pending set, before reading any body. */
int gateway_streams(gateway *g, arena *a, const hreq *r);

/* gateway_streams, and *limit set to the body cap r's operation declares (svc_def
 * body_limits: AWS's own, which replaces the server's --max-body), left alone when none. */
int gateway_body(gateway *g, arena *a, const hreq *r, size_t *limit);

/* The 413 for a body of r over limit, in r's service's protocol (AWS's wording when limit is
 * the operation's declared one); -1 when r names no service (the server answers its own). */
int gateway_too_large(gateway *g, arena *a, const hreq *r, size_t limit, proto_response *resp);

/* When gateway_handle answered SVC_BODY: the reader of r's body into the blob store, as the
 * handler asked in w. NULL with e when the headers already refuse the body. */
struct upload;
struct upload *gateway_upload(gateway *g, arena *a, const hreq *r, const call_wait *w, ferr *e);

#endif
