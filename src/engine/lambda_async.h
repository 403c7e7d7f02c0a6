/* The asynchronous invocation engine: runs the Event invocations Invoke queued in the store
 * (svc/lambda/documents.h, LAMBDA_ASYNC_KIND) through the functions engine, retries them
 * as AWS does, and sends each finished event's invocation record to its destinations and
 * its dead-letter queue.
 *
 * Durability: an event is in the store before its 202; it leaves the store in the
 * transaction that settles its last attempt (with the destination messages that report
 * it). At start the engine takes up every queued event, so a kill -9 loses nothing that
 * was accepted; an attempt interrupted mid-way is made again (at least once, as in AWS).
 * On a shared store an event is run by the node that claims it (its "Node", written in the
 * scan's write transaction); a dead node's are claimed by another (engine/leases.h).
 *
 * AWS's retries: after a function error the event runs again after one minute, then two,
 * up to MaximumRetryAttempts (default 2); an attempt refused for concurrency (or a system
 * error) is retried with backoff from one second up to five minutes; an event older than
 * MaximumEventAgeInSeconds (default six hours) is given up. FERRY_LAMBDA_ASYNC_TIME_SCALE
 * multiplies every delay and the age limit (tests use 0.01). */
#ifndef FERRY_LAMBDA_ASYNC_H
#define FERRY_LAMBDA_ASYNC_H
#include "engine/engines.h"

extern const engine_def lambda_async_engine;

/* An event was queued, in a transaction that may not have committed yet: the engine looks
 * at the queue once it can take the store's write lock, that is once that transaction has
 * ended. Callable whether or not the engine runs. */
void lambda_async_kick(void);

/* FERRY_LAMBDA_ASYNC_TIME_SCALE (default 1): what AWS's delays and ages are multiplied by. */
double lambda_async_scale(void);

/* ---- the retry rules, pure ---- */

typedef enum {
    LA_RAN_OK,         /* the function returned */
    LA_FUNCTION_ERROR, /* the function ran and failed */
    LA_NOT_RUN,        /* throttled, or a system error: it did not run */
    LA_EXPIRED,        /* older than its maximum age before it ran */
} la_run;

typedef enum {
    LA_SUCCESS,
    LA_RETRY,             /* run again at *next_at */
    LA_RETRIES_EXHAUSTED, /* AWS condition "RetriesExhausted" */
    LA_AGE_EXCEEDED,      /* AWS condition "EventAgeExceeded" */
} la_outcome;

typedef struct la_event {
    double enqueued;
    int attempts;  /* attempts that ended in a function error */
    int throttles; /* attempts that did not run */
} la_event;

/* What follows an attempt that ended as run at now, for an event allowed max_retries
 * retries after function errors and max_age seconds in the queue (both times scale). Counts
 * the attempt in ev. */
la_outcome lambda_async_next(la_event *ev, la_run run, int max_retries, int max_age, double scale,
                             double now, double *next_at);

/* The AWS condition an outcome is reported with ("Success", ...). */
const char *lambda_async_condition(la_outcome o);

#endif
