/* The awsquery protocol: form/query-string parameters in, XML out. */
#ifndef FERRY_PROTO_QUERY_H
#define FERRY_PROTO_QUERY_H
#include "proto/codec.h"

/* Action from the form body or query string (NULL when none); value is arena-owned. */
const char *proto_query_action(arena *a, const hreq *r, const char **version);
PROTO_CODEC_DECLARE(query);

#endif
