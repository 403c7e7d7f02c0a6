/* The awsquery protocol: form/query-string parameters in, XML out. */
#ifndef FERRY_PROTO_QUERY_H
#define FERRY_PROTO_QUERY_H
#include "proto/codec.h"

/* *action (and *version): from the form body or query string, NULL when none (or the
 * parameters are malformed); arena-owned. -1 with e set only when out of memory. */
int proto_query_action(arena *a, const hreq *r, const char **action, const char **version, ferr *e);
int proto_query_decode(arena *a, const proto_service *svc, const hreq *r, const proto_op **op,
                       json_t **input, ferr *e);
int proto_query_encode(arena *a, const proto_service *svc, const proto_op *op, const json_t *output,
                       const char *request_id, proto_response *out);
void proto_query_encode_error(const proto_service *svc, const ferr *e, const char *request_id,
                              proto_response *out);

#endif
