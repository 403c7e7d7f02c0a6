/* The delivery engine: SNS fan-out to SQS queues, HTTP(S) endpoints and Lambda
 * functions, at least once.
 *
 * Durability: Publish (and Subscribe, for confirmations) writes the message with its
 * pending deliveries, one per matching subscription, in the request's own transaction,
 * before it answers. The engine learns of them in memory (delivery_submit) and delivers
 * them once that transaction has committed. A message's document goes when each of its
 * deliveries has succeeded, been given up on (after the delivery policy's retries, to
 * the subscription's dead-letter queue when it has one) or lost its subscription. At
 * start the engine resumes every message left in the store, so a kill -9 loses nothing
 * that was acknowledged; a delivery interrupted mid-way is made again (at least once).
 *
 * The documents are SNS's (svc/sns/documents.h): subscriptions it reads, messages with
 * their deliveries it writes back and deletes. */
#ifndef FERRY_DELIVERY_H
#define FERRY_DELIVERY_H
#include "engine/engines.h"
#include "svc/sns/documents.h"

extern const engine_def delivery_engine;

/* Messages and deliveries created by one request, written in its transaction and handed
 * to the engine once it has committed. */
typedef struct dlv_msg dlv_msg;
typedef struct delivery_batch {
    dlv_msg *head;
} delivery_batch;

/* Starts a message in b: msg is its SNS_KIND_MSG document without "Deliveries" (copied).
 * Returns the message to add deliveries to, or NULL (OOM, e set). */
dlv_msg *delivery_message(delivery_batch *b, const char *account, const char *region,
                          const json_t *msg, ferr *e);
/* Adds a delivery of m to subscription sub_arn. sub_copy: the subscription document
 * when it is being deleted (UnsubscribeConfirmation), else NULL. 0 or -1. */
int delivery_to(dlv_msg *m, const char *sub_arn, const json_t *sub_copy, ferr *e);
/* Writes b's messages that have deliveries, in t (the request's transaction). 0 or -1. */
int delivery_write(delivery_batch *b, store_txn *t, ferr *e);
/* Hands b's deliveries to the engine, which delivers them once the request's
 * transaction has committed (a rolled-back one leaves nothing to deliver). Empties b.
 * Without a running engine they wait in the store for the next start. */
void delivery_submit(ferry_env *env, delivery_batch *b);
void delivery_batch_dispose(delivery_batch *b);

/* The signing certificate, PEM (NULL when the engine is not running). Borrowed. */
const char *delivery_cert_pem(void);

/* Where clients reach ferry's SNS endpoints ("http://127.0.0.1:4566"). */
const char *delivery_base_url(const ferry_env *env);

/* Counters for tests and benchmarks. */
typedef struct delivery_stats {
    unsigned long long delivered, failed_attempts, dead_lettered, dropped, pending;
} delivery_stats;
void delivery_get_stats(delivery_stats *out);

#endif
