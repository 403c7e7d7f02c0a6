/* The awsjson 1.0/1.1 protocol, and the shape-driven JSON conversion that
 * rest-json shares. */
#ifndef FERRY_PROTO_JSON_H
#define FERRY_PROTO_JSON_H
#include "proto/codec.h"
#include "proto/pcommon.h"

/* Wire JSON -> internal for a structure (rest: body-bound members only).
 * Returns a new reference; type errors go to v. */
json_t *proto_json_in_struct(proto_vctx *v, const proto_service *svc, const proto_shape *sh,
                             const json_t *w, int rest, int depth);
/* Internal -> wire JSON for a structure (rest: body-bound members only). */
json_t *proto_json_out_struct(const proto_service *svc, const proto_shape *sh, const json_t *obj,
                              int rest, int depth);
/* Appends j, compact, to b and drops the reference to j. -1: j is NULL or out of memory
 * (nothing is appended). */
int proto_json_put(buf *b, json_t *j);
/* Parses a request body as a JSON object ("" = {}); SerializationException otherwise. */
json_t *proto_json_parse_body(const hreq *r, ferr *e);

PROTO_CODEC_DECLARE(json);

#endif
