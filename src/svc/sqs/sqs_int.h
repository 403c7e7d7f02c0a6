/* Amazon SQS: queues (documents "sqs.queue" keyed by account, region and queue name) and
 * their messages (the store's message queues, keyed by the queue's internal key, so a
 * queue deleted and created again never sees the old one's messages).
 *
 * Internal to src/svc/sqs/: queue.c (names, URLs, attributes, loading and authorizing),
 * attrs.c (message attributes: validation and AWS's MD5), queues.c (queue operations),
 * messages.c (message operations), sqs.c (the operation table). */
#ifndef FERRY_SVC_SQS_INT_H
#define FERRY_SVC_SQS_INT_H
#include <jansson.h>
#include <stddef.h>

#include "svc/svc.h"

#define SQS_KIND           "sqs.queue"
#define SQS_MAX_BATCH      10
#define SQS_MAX_MESSAGE    1048576 /* AWS: 1 MiB since 2025, also the batch cap */
#define SQS_DEDUP_WINDOW   300.0   /* AWS: FIFO deduplication interval, 5 minutes */
#define SQS_PURGE_INTERVAL 60.0    /* AWS: one PurgeQueue per queue every 60 seconds */

/* A loaded queue. Strings and doc belong to the call's arena. */
typedef struct sqs_queue {
    json_t *doc; /* the stored document (owned by the arena; edit, then save) */
    const char *account, *region, *name, *arn, *key;
    int fifo;
    /* effective attributes */
    int visibility, delay, retention, max_size, wait;
    int content_dedup, dedup_by_group;
    const char *policy;  /* NULL when none */
    const char *dlq_arn; /* RedrivePolicy target, NULL when none */
    int max_receives;
} sqs_queue;

/* ---- queue.c ---- */
/* AWS: 1-80 characters, alphanumerics, hyphens, underscores; FIFO names end in ".fifo". */
int sqs_name_valid(const char *name, int fifo);
/* "{scheme}://{host}/{account}/{name}": the host the client used, else env->endpoint. */
const char *sqs_queue_url(call *c, const char *account, const char *name);
const char *sqs_queue_arn(call *c, const char *region, const char *account, const char *name);
/* Splits a queue URL (any scheme and host; the path is /ACCOUNT/NAME) or, for internal
 * callers, a queue ARN. 0, or -1 with InvalidAddress. */
int sqs_parse_url(call *c, const char *url, const char **account, const char **name);
/* Splits arn:aws:sqs:REGION:ACCOUNT:NAME; 0 or -1 (no error set). */
int sqs_parse_arn(call *c, const char *arn, const char **region, const char **account,
                  const char **name);
/* Loads account's queue name in the call's region (or region when given). 1 found, 0 not,
 * -1 error. */
int sqs_queue_load(call *c, const char *region, const char *account, const char *name,
                   sqs_queue *q);
/* QueueUrl -> loaded queue, authorized for action ("sqs:SendMessage") with the queue's
 * Policy as resource policy: cross-account callers need it to allow them. */
int sqs_queue_open(call *c, const json_t *in, const char *action, sqs_queue *q);
/* sqs_queue_open for operations that only read the queue (sends): q->doc may be shared
 * with other calls and must not be edited. */
int sqs_queue_open_ro(call *c, const json_t *in, const char *action, sqs_queue *q);
int sqs_authorize(call *c, const sqs_queue *q, const char *action);
int sqs_queue_save(call *c, sqs_queue *q);
/* Re-reads the effective attributes after doc's Attributes changed. */
void sqs_queue_refresh(call *c, sqs_queue *q);
/* The queue's attributes as GetQueueAttributes answers them for names (NULL = All). */
int sqs_queue_attributes(call *c, sqs_queue *q, const json_t *names, json_t **out);
/* Validates attrs for CreateQueue (create=1, fifo known) or SetQueueAttributes and merges
 * them into the queue's stored attributes `into`. q is the queue (NULL while creating). */
int sqs_attributes_apply(call *c, const json_t *attrs, int create, int fifo, const char *self_arn,
                         json_t *into);
/* The default attribute set of a new queue. */
json_t *sqs_attributes_defaults(int fifo);

/* ---- attrs.c ---- */
/* Message attributes (system=0: MessageAttributes; 1: MessageSystemAttributes), as the
 * decoder hands them: {name: {DataType, StringValue | BinaryValue (base64)}}. Validates
 * AWS's rules; *size grows by what counts toward the message size. 0 or -1 with e. */
int sqs_attrs_check(const json_t *attrs, int system, size_t *size, ferr *e);
/* AWS's MD5 of message attributes (hex, out[33]): names sorted; each as length-prefixed
 * name, data type, a transport byte (1 string/number, 2 binary), length-prefixed value.
 * Returns 0, or -1 when attrs is empty or malformed. */
int sqs_attrs_md5(const json_t *attrs, char out[33]);
/* 0 when the body only has characters SQS allows (#x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD
 * #x10000-#x10FFFF), else -1 and *bad the first code point that is not. */
int sqs_body_check(const char *s, size_t n, unsigned *bad);
/* Message attribute names selected by MessageAttributeNames ("All", ".*", "prefix.*",
 * exact names). */
int sqs_attr_selected(const json_t *names, const char *name);

/* ---- messages.c / queues.c: operations ---- */
int sqs_op_create_queue(call *c, json_t *in, json_t **out);
int sqs_op_get_queue_url(call *c, json_t *in, json_t **out);
int sqs_op_list_queues(call *c, json_t *in, json_t **out);
int sqs_op_delete_queue(call *c, json_t *in, json_t **out);
int sqs_op_get_queue_attributes(call *c, json_t *in, json_t **out);
int sqs_op_set_queue_attributes(call *c, json_t *in, json_t **out);
int sqs_op_purge_queue(call *c, json_t *in, json_t **out);
int sqs_op_tag_queue(call *c, json_t *in, json_t **out);
int sqs_op_untag_queue(call *c, json_t *in, json_t **out);
int sqs_op_list_queue_tags(call *c, json_t *in, json_t **out);
int sqs_op_add_permission(call *c, json_t *in, json_t **out);
int sqs_op_remove_permission(call *c, json_t *in, json_t **out);
int sqs_op_list_dead_letter_source_queues(call *c, json_t *in, json_t **out);
int sqs_op_send_message(call *c, json_t *in, json_t **out);
int sqs_op_send_message_batch(call *c, json_t *in, json_t **out);
int sqs_op_receive_message(call *c, json_t *in, json_t **out);
int sqs_op_delete_message(call *c, json_t *in, json_t **out);
int sqs_op_delete_message_batch(call *c, json_t *in, json_t **out);
int sqs_op_change_message_visibility(call *c, json_t *in, json_t **out);
int sqs_op_change_message_visibility_batch(call *c, json_t *in, json_t **out);
int sqs_op_start_message_move_task(call *c, json_t *in, json_t **out);
int sqs_op_list_message_move_tasks(call *c, json_t *in, json_t **out);
int sqs_op_cancel_message_move_task(call *c, json_t *in, json_t **out);

/* Common error shapes. */
int sqs_invalid_param(call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sqs_no_queue(call *c);

#endif
