/* rest-json and rest-xml: operation matching on method + requestUri template,
 * URI/querystring/header bindings, payload members, JSON or XML bodies. */
#ifndef FERRY_PROTO_REST_H
#define FERRY_PROTO_REST_H
#include "proto/codec.h"

/* The best-matching operation for r, or NULL. */
const proto_op *proto_rest_match(arena *a, const proto_service *svc, const hreq *r);
PROTO_CODEC_DECLARE(rest);

#endif
