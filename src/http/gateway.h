/* The request path: raw HTTP request in, AWS-shaped response out.
 * route -> authenticate (SigV4) -> decode (model) -> handler in a transaction -> audit ->
 * encode. Also ferry's own endpoints under /_ferry/. */
#ifndef FERRY_GATEWAY_H
#define FERRY_GATEWAY_H
#include "proto/codec.h"
#include "svc/svc.h"

typedef struct gateway gateway;

gateway *gateway_new(ferry_env *env, ferr *e); /* caller owns */
void gateway_free(gateway *g);
/* Handles r; resp is filled (caller disposes resp->body). Writes the request log line. */
void gateway_handle(gateway *g, arena *a, const hreq *r, proto_response *resp);

#endif
