/* rest-json and rest-xml: operation matching on method + requestUri template,
 * URI/querystring/header bindings, payload members, JSON or XML bodies. */
#ifndef FERRY_PROTO_REST_H
#define FERRY_PROTO_REST_H
#include "proto/codec.h"

/* The best-matching operation for r, or NULL. */
const proto_op *proto_rest_match(arena *a, const proto_service *svc, const hreq *r);
int proto_rest_decode(arena *a, const proto_service *svc, const hreq *r, const proto_op **op,
                      json_t **input, ferr *e);
int proto_rest_encode(arena *a, const proto_service *svc, const proto_op *op, const json_t *output,
                      const char *request_id, proto_response *out);
void proto_rest_encode_error(arena *a, const proto_service *svc, const ferr *e,
                             const char *request_id, proto_response *out);

#endif
