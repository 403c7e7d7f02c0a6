/* The awsquery protocol: form/query-string parameters in, XML out. */
#ifndef FERRY_PROTO_QUERY_H
#define FERRY_PROTO_QUERY_H
#include "proto/codec.h"

/* *action (and *version): from the form body or query string, NULL when none (or the
 * parameters are malformed); arena-owned. -1 with e set only when out of memory. */
int proto_query_action(arena *a, const hreq *r, const char **action, const char **version, ferr *e);
PROTO_CODEC_DECLARE(query);

#endif
