/* Amazon DynamoDB Streams (json 1.0, target DynamoDBStreams_20120810, signed as "dynamodb"):
 * ListStreams, DescribeStream, GetShardIterator, GetRecords over the streams and records
 * DynamoDB keeps with its tables (svc/dynamodb/dynamodb.h). Each stream has one shard, open
 * while the stream is enabled; its records are in commit order. A shard iterator
 * (iterator.h) is valid FERRY_DYNAMODB_STREAMS_ITERATOR_SECONDS [900] (AWS: 15 minutes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "iterator.h"
#include "svc/dynamodb/dynamodb.h"
#include "svc/svc.h"

const svc_def svc_dynamodbstreams = {.name = "streams.dynamodb",
                                     .event_source = "dynamodb.amazonaws.com"};

#define LIST_DEFAULT 100

static double iterator_seconds(void)
{
    const char *s = getenv("FERRY_DYNAMODB_STREAMS_ITERATOR_SECONDS");
    double v = s ? atof(s) : 0;
    return v > 0 ? v : 900;
}

static int validation(call *c, const char *msg)
{
    return ferr_set(c->err, 400, "ValidationException", "%s", msg);
}

static int stream_not_found(call *c, const char *arn)
{
    return ferr_set(c->err, 400, "ResourceNotFoundException",
                    "Requested resource not found: Stream: %s not found", arn);
}

/* A stream: its table document and entry (in the arena), from its ARN. */
typedef struct strm {
    const char *arn, *account, *table, *label;
    json_t *doc;         /* the table */
    const json_t *entry; /* its DYNAMODB_STREAMS_FIELD entry */
} strm;

/* arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL of this region: 0, or -1. */
static int parse_arn(call *c, const char *arn, strm *s)
{
    memset(s, 0, sizeof(*s));
    s->arn = arn;
    size_t rl = strlen(c->region);
    const char *p = arn_in_partition(arn, c->region) ? arn_rest(arn, "dynamodb") : NULL;
    if (p && !strncmp(p, c->region, rl) && p[rl] == ':') {
        const char *acct = p + rl + 1, *t = strstr(acct, ":table/");
        const char *st = t ? strstr(t + 7, "/stream/") : NULL;
        if (t && t - acct == 12 && st && st > t + 7 && st[8]) {
            s->account = arena_strndup(c->a, acct, 12);
            s->table = arena_strndup(c->a, t + 7, (size_t)(st - t - 7));
            s->label = arena_strdup(c->a, st + 8);
            if (!s->account || !s->table || !s->label) return ferr_oom(c->err);
            return 0;
        }
    }
    return ferr_set(c->err, 400, "ValidationException", "Invalid StreamArn");
}

/* Authorizes action on the stream, then loads it: 0, or -1 (ResourceNotFound...). */
static int open_stream(call *c, const char *arn, const char *action, strm *s)
{
    if (parse_arn(c, arn, s)) return -1;
    authz_req r = {.action = action, .resource = arn, .resource_account = s->account};
    if (call_authorize_ex(c, &r)) return -1;
    store_key k = {DYNAMODB_TABLE_KIND, s->account, c->region, s->table};
    int rc = store_get(c->txn, &k, &s->doc, c->err);
    if (rc < 0) return -1;
    if (rc && !arena_defer_json(c->a, s->doc)) return ferr_oom(c->err);
    size_t i;
    json_t *e;
    json_array_foreach(rc ? json_object_get(s->doc, DYNAMODB_STREAMS_FIELD) : NULL, i, e) {
        if (!strcmp(jstr(e, "Label"), s->label)) s->entry = e;
    }
    if (!s->entry) return stream_not_found(c, arn);
    return 0;
}

/* The last sequence number of the stream: its End once closed, else the table's last. */
static void stream_last(const strm *s, char out[DYNAMODB_SEQ_LEN + 1])
{
    const char *end = jstr(s->entry, "End");
    const json_t *q = json_object_get(s->doc, DYNAMODB_SEQ_FIELD);
    if (end)
        snprintf(out, DYNAMODB_SEQ_LEN + 1, "%s", end);
    else if (q)
        dynamodb_stream_seq(json_integer_value(json_array_get(q, 0)),
                            json_integer_value(json_array_get(q, 1)), out);
    else
        snprintf(out, DYNAMODB_SEQ_LEN + 1, "%s", jstr(s->entry, "Start"));
    if (strcmp(out, jstr(s->entry, "Start")) < 0)
        snprintf(out, DYNAMODB_SEQ_LEN + 1, "%s", jstr(s->entry, "Start"));
}

static int digits(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || n > 40) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

/* ---- ListStreams ---- */

typedef struct lister {
    call *c;
    const char *table;
    json_t *all;
    int found; /* the table filtered on exists */
} lister;

static int list_cb(void *ud, const store_key *k, json_t *doc)
{
    lister *l = ud;
    if (l->table && strcmp(k->id, l->table)) return 0;
    l->found = 1;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(doc, DYNAMODB_STREAMS_FIELD), i, e) {
        json_t *o = json_pack("{s:s, s:s, s:s}", "StreamArn", jstr(e, "Arn"), "TableName", k->id,
                              "StreamLabel", jstr(e, "Label"));
        if (!o || json_array_append_new(l->all, o)) return 1;
    }
    return 0;
}

int dynamodbstreams_op_list_streams(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "dynamodb:ListStreams", "*")) return -1;
    lister l = {c, jstr(in, "TableName"), json_array(), 0};
    json_t *o = json_object();
    if (!l.all || !arena_defer_json(c->a, l.all) || !o || !arena_defer_json(c->a, o))
        return ferr_oom(c->err);
    if (store_list(c->txn, DYNAMODB_TABLE_KIND, c->account, c->region, NULL, NULL, 0, list_cb, &l,
                   c->err) < 0)
        return -1;
    if (l.table && !l.found) /* AWS: filtering on a table that does not exist */
        return ferr_set(c->err, 400, "ResourceNotFoundException",
                        "Requested resource not found: Table: %s not found", l.table);
    const char *after = jstr(in, "ExclusiveStartStreamArn");
    long long limit = jint(in, "Limit", LIST_DEFAULT);
    json_t *page = json_array();
    if (!page || json_object_set_new(o, "Streams", page)) return ferr_oom(c->err);
    size_t i, start = 0;
    json_t *e;
    json_array_foreach(l.all, i, e) {
        if (after && !strcmp(jstr(e, "StreamArn"), after)) start = i + 1;
    }
    for (i = start; i < json_array_size(l.all); i++) {
        if ((long long)json_array_size(page) == limit) {
            if (json_object_set(
                    o, "LastEvaluatedStreamArn",
                    json_object_get(json_array_get(page, (size_t)limit - 1), "StreamArn")))
                return ferr_oom(c->err);
            break;
        }
        if (json_array_append(page, json_array_get(l.all, i))) return ferr_oom(c->err);
    }
    *out = svc_out(c, json_incref(o));
    return 0;
}

/* ---- DescribeStream ---- */

int dynamodbstreams_op_describe_stream(call *c, json_t *in, json_t **out)
{
    strm s;
    if (open_stream(c, jstr(in, "StreamArn"), "dynamodb:DescribeStream", &s)) return -1;
    const json_t *e = s.entry;
    int open = !json_object_get(e, "Closed");
    json_t *range = json_pack("{s:s}", "StartingSequenceNumber", jstr(e, "Start"));
    if (range && !open && jset_str(range, "EndingSequenceNumber", jstr(e, "End"))) {
        json_decref(range);
        range = NULL;
    }
    json_t *shards = json_array();
    const char *after = jstr(in, "ExclusiveStartShardId");
    /* one shard: listed unless the caller starts after it */
    if (shards && range && (!after || strcmp(after, jstr(e, "ShardId"))) &&
        json_array_append_new(shards, json_pack("{s:s, s:O}", "ShardId", jstr(e, "ShardId"),
                                                "SequenceNumberRange", range))) {
        json_decref(shards);
        shards = NULL;
    }
    json_decref(range);
    json_t *d =
        shards ? json_pack("{s:s, s:s, s:s, s:s, s:f, s:s, s:O, s:o}", "StreamArn", jstr(e, "Arn"),
                           "StreamLabel", jstr(e, "Label"), "StreamStatus",
                           open ? "ENABLED" : "DISABLED", "StreamViewType", jstr(e, "ViewType"),
                           "CreationRequestDateTime",
                           json_number_value(json_object_get(e, "Created")), "TableName", s.table,
                           "KeySchema", json_object_get(s.doc, "KeySchema"), "Shards", shards)
               : NULL;
    *out = svc_out(c, d ? json_pack("{s:o}", "StreamDescription", d) : NULL);
    return 0;
}

/* ---- iterators ---- */

static char *iterator(call *c, const char *arn, const ddbs_pos *p)
{
    return ddbs_iter_format(c->a, arn, p);
}

/* AWS: reading from before the oldest record still kept */
static int trimmed(call *c, const strm *s, const ddbs_pos *p)
{
    const char *t = jstr(s->entry, "Trimmed");
    if (p->mode == 'h' || !t || strcmp(p->seq, t) > 0) return 0;
    return ferr_set(c->err, 400, "TrimmedDataAccessException",
                    "The operation attempted to read past the oldest stream record in a shard.");
}

int dynamodbstreams_op_get_shard_iterator(call *c, json_t *in, json_t **out)
{
    strm s;
    if (open_stream(c, jstr(in, "StreamArn"), "dynamodb:GetShardIterator", &s)) return -1;
    const char *shard = jstr(in, "ShardId"), *type = jstr(in, "ShardIteratorType"),
               *seq = jstr(in, "SequenceNumber");
    if (strcmp(shard, jstr(s.entry, "ShardId")))
        return ferr_set(c->err, 400, "ResourceNotFoundException",
                        "Requested resource not found: Shard does not exist");
    ddbs_pos p = {.expires = (long long)((clock_now() + iterator_seconds()) * 1000)};
    int at = !strcmp(type, "AT_SEQUENCE_NUMBER"), after = !strcmp(type, "AFTER_SEQUENCE_NUMBER");
    if (at || after) {
        if (!seq)
            return validation(c, "Must provide a SequenceNumber when ShardIteratorType is "
                                 "AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER");
        if (!digits(seq)) return validation(c, "Invalid SequenceNumber");
        p.mode = at ? 't' : 'a';
        snprintf(p.seq, sizeof(p.seq), "%s", seq);
        if (trimmed(c, &s, &p)) return -1;
    } else if (seq) {
        return validation(c, "Sequence number must not be provided with ShardIteratorType "
                             "TRIM_HORIZON or LATEST");
    } else if (!strcmp(type, "LATEST")) {
        p.mode = 'a';
        stream_last(&s, p.seq);
    } else {
        p.mode = 'h';
    }
    const char *it = iterator(c, s.arn, &p);
    if (!it) return ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:s}", "ShardIterator", it));
    return 0;
}

/* ---- GetRecords ---- */

typedef struct reader {
    json_t *records;
    char last[48];
} reader;

static int record_cb(void *ud, const store_key *k, json_t *doc)
{
    reader *r = ud;
    (void)k;
    snprintf(r->last, sizeof(r->last), "%s",
             jstr(json_object_get(doc, "dynamodb"), "SequenceNumber"));
    return json_array_append(r->records, doc);
}

int dynamodbstreams_op_get_records(call *c, json_t *in, json_t **out)
{
    const char *arn;
    ddbs_pos p;
    int rc = ddbs_iter_parse(c->a, jstr(in, "ShardIterator"), &arn, &p);
    if (rc == -2) return ferr_oom(c->err);
    if (rc) return validation(c, "Invalid ShardIterator");
    strm s;
    if (open_stream(c, arn, "dynamodb:GetRecords", &s)) return -1;
    long long now = (long long)(clock_now() * 1000);
    if (now > p.expires)
        return ferr_set(c->err, 400, "ExpiredIteratorException",
                        "Iterator expired. The iterator was created at time %lld while right now "
                        "it is %lld which is further in the future than the tolerated delay of "
                        "%lld milliseconds.",
                        p.expires - (long long)(iterator_seconds() * 1000), now,
                        (long long)(iterator_seconds() * 1000));
    if (trimmed(c, &s, &p)) return -1;
    char *prefix = arena_printf(c->a, "%s/%s/", s.table, s.label);
    char *lo = prefix && p.mode != 'h' ? arena_printf(c->a, "%s%s", prefix, p.seq) : prefix;
    char *hi = prefix ? arena_printf(c->a, "%s~", prefix) : NULL;
    reader r = {json_array(), ""};
    if (!lo || !hi || !r.records || !arena_defer_json(c->a, r.records)) return ferr_oom(c->err);
    store_range_q q = {.lo = lo,
                       .hi = hi,
                       .lo_incl = p.mode != 'a',
                       .limit = (int)jint(in, "Limit", 1000)};
    if (store_range(c->txn, DYNAMODB_STREAM_KIND, s.account, c->region, &q, record_cb, &r, c->err) <
        0)
        return -1;
    json_t *o = json_pack("{s:O}", "Records", r.records);
    if (!o || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    ddbs_pos next = {.mode = r.last[0] ? 'a' : p.mode,
                     .expires = (long long)((clock_now() + iterator_seconds()) * 1000)};
    snprintf(next.seq, sizeof(next.seq), "%s", r.last[0] ? r.last : p.seq);
    /* AWS: a closed shard read to its end has no next iterator */
    int done = json_object_get(s.entry, "Closed") && !json_array_size(r.records);
    if (!done) {
        const char *it = iterator(c, s.arn, &next);
        if (!it || jset_str(o, "NextShardIterator", it)) return ferr_oom(c->err);
    }
    *out = svc_out(c, json_incref(o));
    return 0;
}
