/* Inside the delivery engine: a delivery in memory, the message it carries, and what an
 * endpoint receives (delivery_msg.c). */
#ifndef FERRY_DELIVERY_INT_H
#define FERRY_DELIVERY_INT_H
#include <jansson.h>
#include <pthread.h>

#include "engine/delivery.h"
#include "engine/delivery_policy.h"
#include "engine/delivery_sign.h"

/* A message loaded for one dispatch round, shared by the deliveries carrying it. Its
 * signatures are made once per distinct text (MessageStructure gives each protocol its
 * own). */
enum { MV_DEFAULT, MV_SQS, MV_HTTP, MV_HTTPS, MV_LAMBDA, MV_COUNT };

typedef struct msgctx {
    _Atomic int refs;
    json_t *doc; /* the sns_msg document, read-only once shared */
    pthread_mutex_t mu;
    char *sig[MV_COUNT];
} msgctx;

msgctx *msgctx_new(json_t *doc);                       /* takes doc */
extern _Atomic unsigned long long delivery_signatures; /* made so far */
msgctx *msgctx_ref(msgctx *m);
void msgctx_unref(msgctx *m); /* NULL is a no-op */

enum { DR_NONE, DR_OK, DR_RETRY, DR_FAIL, DR_GONE, DR_ABORT, DR_NOT_YET };
enum { D_NEW, D_QUEUED, D_BLOCKED, D_INFLIGHT };

typedef struct dlv_item dlv;

/* A message with deliveries pending: one sns_msg document. */
struct dlv_msg {
    char id[32]; /* store id: the zero-padded sequence, "-", 8 random hex digits */
    unsigned long long seq;
    char account[13]; /* topic owner */
    char region[32];
    char *group;   /* FIFO MessageGroupId, or NULL */
    char node[64]; /* the node that owns its deliveries ("Node"; "" none named) */
    json_t *doc;   /* the document while a request builds it; NULL in the engine */
    msgctx *mc;    /* the engine's copy, or NULL (loaded from the store when due) */
    dlv **d;       /* its deliveries; NULL once done */
    size_t n, cap, live;
    int dirty;        /* a delivery's retry state changed: rewrite the document */
    int mark;         /* seen in this round's outcomes */
    int written;      /* stored by delivery_write */
    double submitted; /* when a request handed it over (0: loaded at start) */
    struct dlv_msg *next;
};

struct dlv_item {
    dlv_msg *m;
    size_t idx; /* in m->d */
    char *sub_arn;
    json_t *sub_copy; /* subscription kept for UnsubscribeConfirmation */
    int attempts;
    int stage; /* 0: to the endpoint, 1: to the dead-letter queue */
    double due;
    double ready_at; /* put on its target's ready list */
    int state;
    size_t heap_idx;
    struct dlv_item *next; /* list links (results, FIFO group, ready queue) */
    struct fgroup *fg;
    /* set for a dispatch */
    msgctx *mc;
    json_t *sub; /* the subscription document */
    char proto[16];
    char *target; /* endpoint, or the DLQ ARN at stage 1 */
    char *dlq;    /* RedrivePolicy deadLetterTargetArn or NULL */
    int raw;
    delivery_policy dp;
    /* outcome of an attempt */
    int result;
    char err_code[96];
    char err[300];
};

/* What protocol proto's endpoint receives for d: the SNS JSON envelope (signed) or, with
 * raw delivery of a notification, the message itself (*is_raw = 1). base: ferry's URL.
 * New string, caller frees; NULL on failure. */
char *delivery_body(const delivery_signer *s, const char *base, dlv *d, int *is_raw);
/* The Lambda event for d: {"Records": [{"EventSource": "aws:sns", ..., "Sns": {...}}]}. */
char *delivery_lambda_event(const delivery_signer *s, const char *base, dlv *d);
/* The message text protocol gets (MessageStructure json picks its key or "default"). */
const char *delivery_text(const json_t *msg, const char *proto, json_t **structured);
/* Message attributes in SQS's shape for a raw delivery, or NULL. New reference. */
json_t *delivery_sqs_attributes(const json_t *msg);

#endif
