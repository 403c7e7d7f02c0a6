/* DynamoDB for the rest of ferry: the TTL sweep's work (engine/dynamodb_ttl.c). */
#ifndef FERRY_SVC_DYNAMODB_H
#define FERRY_SVC_DYNAMODB_H
#include "store/store.h"

/* Deletes, in one write transaction, up to max items whose table has TTL enabled and whose
 * TTL attribute (a Number, epoch seconds) is at or before now, with their index entries.
 * AWS deletes them as the service, without a trail entry, so this is no API call; items
 * whose TTL is more than five years in the past are left alone, as AWS leaves them.
 * Returns the count deleted, or -1. */
long long dynamodb_ttl_sweep(store *st, double now, int max, ferr *e);

#endif
