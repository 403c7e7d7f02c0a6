/* CloudWatch Logs (json 1.1). What is stored, per account and region:
 *   "logs.group"  id NAME: creationTime, retentionInDays, kmsKeyId, tags {k: v},
 *                 storedBytes, seq (the last batch number given in the group);
 *   "logs.stream" id GROUP:STREAM: creationTime, first/lastEventTimestamp,
 *                 lastIngestionTime, storedBytes;
 *   "logs.batch"  id GROUP:STREAM:FIRST:SEQ (FIRST the batch's first timestamp, 13 digits;
 *                 SEQ its number in the group, 12 digits): one accepted PutLogEvents batch,
 *                 {"i": ingestion ms, "l": last timestamp, "b": bytes, "e": [[ts, msg]...]}.
 * Neither names may hold ':' (the model's patterns), so GROUP: and GROUP:STREAM: are
 * prefixes of exactly their own documents, and a stream's batches list in order of their
 * first timestamp. A batch spans at most 24 h (PutLogEvents), so the batches that can hold
 * an event at or after T start at T - 24 h or later: reads start there.
 *
 * Internal to src/svc/logs/: logs.c (the service, names, ARNs, documents, authorization),
 * groups.c (log groups, retention, tags), streams.c (log streams), events.c (PutLogEvents,
 * GetLogEvents, FilterLogEvents), retention.c (the background sweep, logs.h),
 * filter.c (filter patterns, filter.h), prov_log_group.c (AWS::Logs::LogGroup). */
#ifndef FERRY_SVC_LOGS_INT_H
#define FERRY_SVC_LOGS_INT_H
#include <jansson.h>

#include "svc/svc.h"

#define LOGS_GROUP_KIND  "logs.group"
#define LOGS_STREAM_KIND "logs.stream"
#define LOGS_BATCH_KIND  "logs.batch"
#define LOGS_MAX_TAGS    50
#define LOGS_DAY_MS      86400000LL

long long logs_now_ms(void);
/* InvalidParameterException (400) with AWS's message. Returns -1. */
int logs_invalid(call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int logs_not_found(call *c, const char *what);
/* arn:aws:logs:REGION:ACCOUNT:log-group:NAME */
const char *logs_group_arn(call *c, const char *account, const char *name);
/* A group a request names (logGroupName, or logGroupIdentifier: a name or an ARN, possibly
 * of another account): *account and *name. Both given: InvalidParameterException. */
int logs_group_ref(call *c, const json_t *in, const char **account, const char **name);
/* An ARN naming a log group (TagResource...): 0 and *account, *name, or -1. */
int logs_parse_group_arn(call *c, const char *arn, const char **account, const char **name);
/* Authorizes logs:<action> on the group's ARN (with :log-stream:STREAM when stream). */
int logs_authorize(call *c, const char *action, const char *account, const char *group,
                   const char *stream);
/* The group's document (in the arena): 0, or -1 with ResourceNotFoundException. */
int logs_group_need(call *c, const char *account, const char *name, json_t **doc);
int logs_group_save(call *c, const char *name, json_t *doc);
/* The stream's document (in the arena) and its key's id "GROUP:STREAM": 0, or -1 with
 * ResourceNotFoundException. */
int logs_stream_need(call *c, const char *account, const char *group, const char *stream,
                     json_t **doc, const char **id);
/* Inserts a new document; one already there is ResourceAlreadyExistsException naming what. */
int logs_create(call *c, const char *kind, const char *id, const json_t *doc, const char *what);
/* The ids, past their first skip characters, of kind's documents in account under prefix
 * whose lastEventTimestamp is at least min_last (LLONG_MIN: all of them); in the arena. */
int logs_list_ids(call *c, const char *kind, const char *account, const char *prefix, size_t skip,
                  long long min_last, const char ***ids, size_t *n);
/* The retention periods AWS allows: 1 when days is one. */
int logs_retention_ok(long long days);
/* The id prefix of a group's streams and batches ("GROUP:"), of a stream's ("GROUP:STREAM:"). */
const char *logs_prefix(call *c, const char *group, const char *stream);

/* Deletes up to limit (0: all) batches of (account, region) under prefix whose last event is
 * before `before` ms (0: every one), adding their bytes to *bytes. The count, or -1. */
long long logs_batches_drop(store_txn *t, const char *account, const char *region,
                            const char *prefix, long long before, int limit, long long *bytes,
                            ferr *e);

#endif
