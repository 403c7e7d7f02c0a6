/* Event source mappings on DynamoDB streams: one round of a mapping (engine/esm.c runs the
 * rounds, holds the role's session and parks mappings with nothing to read). A round reads
 * from the mapping's checkpoint as the execution role (DynamoDB Streams' GetShardIterator
 * and GetRecords), invokes the function with AWS's stream event, and moves the checkpoint,
 * which is stored (LAMBDA_ESM_POSITION_KIND) in its own transaction once a batch is done:
 * after kill -9 a batch whose checkpoint was not stored is delivered again. Failures: partial
 * batch responses (ReportBatchItemFailures: from the lowest failed sequence number),
 * BisectBatchOnFunctionError, MaximumRetryAttempts (-1: until the records expire),
 * MaximumRecordAgeInSeconds, and DestinationConfig.OnFailure (SQS or SNS) for what is
 * given up. */
#ifndef FERRY_ESM_STREAM_H
#define FERRY_ESM_STREAM_H
#include <jansson.h>

#include "base/arena.h"
#include "svc/svc.h"

/* How a round ended, as the engine's rounds do. */
enum { ESM_STREAM_AGAIN, ESM_STREAM_FULL, ESM_STREAM_PARK, ESM_STREAM_BACKOFF };

/* Invokes the function with records; failed[i] = 1 for each record to retry (all when the
 * function failed), ids the records' sequence numbers. 0, or -1: not invoked. */
typedef int (*esm_stream_invoke_fn)(void *ctx, json_t *records, unsigned char *failed,
                                    const char *const *ids);
/* 1 when record passes the mapping's filters (AWS: the others are skipped, not delivered). */
typedef int (*esm_stream_keep_fn)(void *ctx, const json_t *record);

typedef struct esm_stream_round {
    ferry_env *env;
    const principal *who; /* the execution role's session */
    arena *a;
    const char *uuid, *account, *region, *stream, *fn;
    const char *conf; /* the mapping as the engine keeps it (JSON): StartingPosition "sp", its
                         LATEST sequence number "ss", retries "rt", record age "ma", bisect
                         "bi", DestinationConfig "d" */
    int batch;
    esm_stream_invoke_fn invoke;
    esm_stream_keep_fn keep;
    void *ctx;
} esm_stream_round;

/* One round: ESM_STREAM_*. */
int esm_stream_run(esm_stream_round *r);

/* 1 when arn is a DynamoDB stream's. */
int esm_stream_is(const char *arn);

#endif
