/* DynamoDB for the rest of ferry: the TTL sweep's work (engine/dynamodb_ttl.c), and the
 * documents DynamoDB Streams reads (svc/dynamodbstreams/). */
#ifndef FERRY_SVC_DYNAMODB_H
#define FERRY_SVC_DYNAMODB_H
#include "store/store.h"

/* Deletes, in one write transaction, up to max items whose table has TTL enabled and whose
 * TTL attribute (a Number, epoch seconds) is at or before now, with their index entries.
 * AWS deletes them as the service, without a trail entry, so this is no API call; items
 * whose TTL is more than five years in the past are left alone, as AWS leaves them.
 * Returns the count deleted, or -1. */
long long dynamodb_ttl_sweep(store *st, double now, int max, ferr *e);

/* Streams. A table is the document DYNAMODB_TABLE_KIND (account, region, table name); its
 * DYNAMODB_STREAMS_FIELD is the array of its streams, oldest first, the last one enabled
 * while StreamSpecification.StreamEnabled: {Label, Arn, ViewType, ShardId, Start (the
 * shard's first sequence number), Created (epoch s), and once disabled Closed (epoch s) and
 * End (its last sequence number); Trimmed: the last sequence number retention removed}.
 * DYNAMODB_SEQ_FIELD is [ms, n], the last sequence number issued.
 * Each record is a document DYNAMODB_STREAM_KIND with id "<table>/<label>/<sequence number>"
 * holding the record as GetRecords answers it. Sequence numbers are DYNAMODB_SEQ_LEN digits,
 * so their order is the ids' order. */
#define DYNAMODB_TABLE_KIND    "dynamodb.table"
#define DYNAMODB_STREAM_KIND   "dynamodb.stream"
#define DYNAMODB_STREAMS_FIELD "_Streams"
#define DYNAMODB_SEQ_FIELD     "_StreamSeq"
#define DYNAMODB_SEQ_LEN       21

/* The sequence number of the n-th record of millisecond ms. */
void dynamodb_stream_seq(long long ms, long long n, char out[DYNAMODB_SEQ_LEN + 1]);

/* Deletes, in one write transaction, up to max stream records written before
 * now - retention (<= 0: AWS's 24 hours), and the disabled streams past it. Returns the
 * count deleted, or -1. */
long long dynamodb_stream_trim(store *st, double now, double retention, int max, ferr *e);

#endif
