/* Event source mappings on DynamoDB streams (esm_stream.h). */
#include "esm_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/log.h"
#include "svc/lambda/documents.h"

int esm_stream_is(const char *arn)
{
    return arn && arn_rest(arn, "dynamodb") && strstr(arn, ":table/") && strstr(arn, "/stream/");
}

/* What a round knows of its mapping. */
typedef struct opts {
    const char *start, *latest, *dest;
    long long retries, max_age;
    int bisect;
    json_t *conf;
    char shard[128];
} opts;

static int call_streams(esm_stream_round *r, const char *op, json_t *in, json_t **out, ferr *e)
{
    int rc = in ? svc_invoke(r->env, r->who, r->region, "streams.dynamodb", op, in, out, NULL, e)
                : ferr_oom(e);
    json_decref(in);
    return rc;
}

/* The stored checkpoint (last sequence number processed), "" when none. */
static void position_get(esm_stream_round *r, char *out, size_t n)
{
    out[0] = 0;
    store_txn *t = NULL;
    ferr e = {0};
    if (store_begin(r->env->st, 0, &t, &e)) return;
    store_key k = {LAMBDA_ESM_POSITION_KIND, r->account, r->region, r->uuid};
    json_t *doc = NULL;
    if (store_get(t, &k, &doc, &e) == 1 && jstr(doc, "Stream") &&
        !strcmp(jstr(doc, "Stream"), r->stream))
        snprintf(out, n, "%s", jstr(doc, "SequenceNumber"));
    json_decref(doc);
    store_rollback(t);
}

static int position_put(esm_stream_round *r, const char *seq)
{
    store_txn *t = NULL;
    ferr e = {0};
    json_t *doc = json_pack("{s:s, s:s}", "Stream", r->stream, "SequenceNumber", seq);
    store_key k = {LAMBDA_ESM_POSITION_KIND, r->account, r->region, r->uuid};
    int rc = !doc || store_begin(r->env->st, 1, &t, &e) || store_put(t, &k, doc, &e) ||
                     store_commit(t, &e)
                 ? -1
                 : 0;
    if (rc && t) store_rollback(t);
    if (rc) log_warn("esm %s: cannot store its position: %s", r->uuid, e.message);
    json_decref(doc);
    return rc;
}

/* The records after the checkpoint (or from the mapping's starting position), at most the
 * batch size: a new array, or NULL (logged). */
static json_t *read_records(esm_stream_round *r, opts *o, const char *pos)
{
    json_t *out = NULL;
    ferr e = {0};
    if (call_streams(r, "DescribeStream", json_pack("{s:s}", "StreamArn", r->stream), &out, &e)) {
        log_warn("esm %s: cannot describe %s: %s: %s", r->uuid, r->stream, e.code, e.message);
        return NULL;
    }
    const json_t *shard =
        json_array_get(json_object_get(json_object_get(out, "StreamDescription"), "Shards"), 0);
    char *sid = o->shard;
    snprintf(sid, sizeof(o->shard), "%s", jstr(shard, "ShardId") ? jstr(shard, "ShardId") : "");
    json_decref(out);
    out = NULL;
    for (int attempt = 0; attempt < 2; attempt++) {
        json_t *in = json_pack("{s:s, s:s}", "StreamArn", r->stream, "ShardId", sid);
        int horizon = attempt || (!pos[0] && (!o->latest || strcmp(o->start, "LATEST")));
        const char *type = horizon  ? "TRIM_HORIZON"
                           : pos[0] ? "AFTER_SEQUENCE_NUMBER"
                                    : "AT_SEQUENCE_NUMBER";
        if (in && (jset_str(in, "ShardIteratorType", type) ||
                   (!horizon && jset_str(in, "SequenceNumber", pos[0] ? pos : o->latest)))) {
            json_decref(in);
            in = NULL;
        }
        ferr ie = {0};
        if (call_streams(r, "GetShardIterator", in, &out, &ie)) {
            json_decref(out);
            out = NULL;
            /* records past retention are gone: AWS goes on from the oldest kept */
            if (!strcmp(ie.code, "TrimmedDataAccessException")) continue;
            log_warn("esm %s: no shard iterator for %s: %s: %s", r->uuid, r->stream, ie.code,
                     ie.message);
            return NULL;
        }
        break;
    }
    const char *it = jstr(out, "ShardIterator");
    json_t *got = NULL;
    json_t *in = it ? json_pack("{s:s, s:i}", "ShardIterator", it, "Limit",
                                r->batch > 1000 ? 1000 : r->batch)
                    : NULL;
    json_decref(out);
    if (!in) return NULL;
    if (call_streams(r, "GetRecords", in, &got, &e)) {
        log_warn("esm %s: cannot read %s: %s: %s", r->uuid, r->stream, e.code, e.message);
        return NULL;
    }
    json_t *recs = json_incref(json_object_get(got, "Records"));
    json_decref(got);
    return recs ? recs : json_array();
}

static const char *seq_of(const json_t *rec)
{
    return jstr(json_object_get(rec, "dynamodb"), "SequenceNumber");
}

static double time_of(const json_t *rec)
{
    return json_number_value(
        json_object_get(json_object_get(rec, "dynamodb"), "ApproximateCreationDateTime"));
}

/* AWS's record of a batch given up, to the OnFailure destination (as the role). */
static void give_up(esm_stream_round *r, const opts *o, json_t *recs, size_t lo, size_t hi,
                    const char *condition, int invokes, int fn_error)
{
    if (!o->dest || lo >= hi) {
        log_warn("esm %s: records %s..%s given up (%s)", r->uuid, seq_of(json_array_get(recs, lo)),
                 seq_of(json_array_get(recs, hi - 1)), condition);
        return;
    }
    char rid[37], now[32], first[32], last[32];
    ids_uuid(rid);
    clock_iso8601(clock_now(), 1, now);
    clock_iso8601(time_of(json_array_get(recs, lo)), 0, first);
    clock_iso8601(time_of(json_array_get(recs, hi - 1)), 0, last);
    json_t *rc = json_pack("{s:s, s:s, s:s, s:i}", "requestId", rid, "functionArn", r->fn,
                           "condition", condition, "approximateInvokeCount", invokes);
    json_t *resp = fn_error ? json_pack("{s:i, s:s, s:s}", "statusCode", 200, "executedVersion",
                                        "$LATEST", "functionError", "Unhandled")
                            : NULL;
    json_t *info = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "shardId", o->shard, "startSequenceNumber",
        seq_of(json_array_get(recs, lo)), "endSequenceNumber", seq_of(json_array_get(recs, hi - 1)),
        "approximateArrivalOfFirstRecord", first, "approximateArrivalOfLastRecord", last,
        "batchSize", (json_int_t)(hi - lo), "streamArn", r->stream);
    json_t *doc = rc && info ? json_pack("{s:O, s:s, s:s, s:O}", "requestContext", rc, "version",
                                         "1.0", "timestamp", now, "DDBStreamBatchInfo", info)
                             : NULL;
    if (doc && resp && json_object_set(doc, "responseContext", resp)) {
        json_decref(doc);
        doc = NULL;
    }
    json_decref(rc), json_decref(resp), json_decref(info);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    int sqs = arn_rest(o->dest, "sqs") != NULL;
    json_t *in = text ? json_pack("{s:s, s:s}", sqs ? "QueueUrl" : "TopicArn", o->dest,
                                  sqs ? "MessageBody" : "Message", text)
                      : NULL;
    free(text);
    json_t *out = NULL;
    ferr e = {0};
    if (!in || svc_invoke(r->env, r->who, r->region, sqs ? "sqs" : "sns",
                          sqs ? "SendMessage" : "Publish", in, &out, NULL, &e))
        log_warn("esm %s: cannot send the failed batch to %s: %s", r->uuid, o->dest,
                 in ? e.message : "out of memory");
    json_decref(in);
    json_decref(out);
}

/* Processes recs[lo, hi): 0 done (the checkpoint past hi), -1 to retry later. */
static int process(esm_stream_round *r, const opts *o, json_t *recs, size_t lo, size_t hi)
{
    int attempts = 0;
    while (lo < hi) {
        if (o->max_age >= 0 && clock_now() - time_of(json_array_get(recs, lo)) > o->max_age) {
            give_up(r, o, recs, lo, hi, "RecordAgeExceeded", attempts, 0);
            return position_put(r, seq_of(json_array_get(recs, hi - 1)));
        }
        size_t n = hi - lo;
        json_t *batch = json_array();
        const char **ids = arena_alloc(r->a, n * sizeof(*ids));
        unsigned char *failed = arena_alloc(r->a, n);
        for (size_t i = 0; batch && ids && i < n; i++) {
            ids[i] = seq_of(json_array_get(recs, lo + i));
            if (json_array_append(batch, json_array_get(recs, lo + i))) {
                json_decref(batch);
                batch = NULL;
            }
        }
        int rc = batch && ids && failed ? r->invoke(r->ctx, batch, failed, ids) : -1;
        json_decref(batch);
        if (rc) return -1;
        attempts++;
        size_t first = 0, nfailed = 0;
        for (size_t i = n; i-- > 0;)
            if (failed[i]) first = i, nfailed++;
        if (!nfailed) return position_put(r, seq_of(json_array_get(recs, hi - 1)));
        if (first && position_put(r, seq_of(json_array_get(recs, lo + first - 1)))) return -1;
        /* AWS: a failed function splits its batch in two, each retried on its own; the
         * split does not count as a retry */
        if (nfailed == n && o->bisect && n > 1) {
            size_t mid = lo + n / 2;
            return process(r, o, recs, lo, mid) || process(r, o, recs, mid, hi) ? -1 : 0;
        }
        lo += first;
        if (o->retries < 0) return -1; /* until the records expire: from the checkpoint */
        if (attempts > o->retries) {
            give_up(r, o, recs, lo, hi, "RetryAttemptsExhausted", attempts, nfailed == n);
            return position_put(r, seq_of(json_array_get(recs, hi - 1)));
        }
    }
    return 0;
}

int esm_stream_run(esm_stream_round *r)
{
    opts o = {.retries = -1, .max_age = -1};
    json_error_t je;
    o.conf = json_loads(r->conf, 0, &je);
    if (!o.conf) return ESM_STREAM_BACKOFF;
    o.start = jstr(o.conf, "sp") ? jstr(o.conf, "sp") : "TRIM_HORIZON";
    o.latest = jstr(o.conf, "ss");
    o.dest = jstr(json_object_get(json_object_get(o.conf, "d"), "OnFailure"), "Destination");
    o.retries = jint(o.conf, "rt", -1);
    o.max_age = jint(o.conf, "ma", -1);
    o.bisect = jbool(o.conf, "bi", 0);
    char pos[64];
    position_get(r, pos, sizeof(pos));
    json_t *recs = read_records(r, &o, pos);
    int result = ESM_STREAM_BACKOFF;
    if (recs) {
        size_t n = json_array_size(recs);
        size_t i;
        json_t *x;
        json_array_foreach(recs, i, x) {
            if (jset_str(x, "eventSourceARN", r->stream)) break;
            /* GetRecords' {PrincipalId, Type} is {principalId, type} in the event */
            const json_t *u = json_object_get(x, "userIdentity");
            if (u && json_object_set_new(x, "userIdentity",
                                         json_pack("{s:s?, s:s?}", "type", jstr(u, "Type"),
                                                   "principalId", jstr(u, "PrincipalId"))))
                break;
        }
        json_t *kept = i < n ? NULL : json_array();
        for (i = 0; kept && i < n; i++) {
            json_t *x = json_array_get(recs, i);
            if (r->keep(r->ctx, x) && json_array_append(kept, x)) {
                json_decref(kept);
                kept = NULL;
            }
        }
        size_t nk = json_array_size(kept);
        if (!kept)
            result = ESM_STREAM_BACKOFF;
        else if (!n)
            result = ESM_STREAM_PARK;
        else if ((nk && process(r, &o, kept, 0, nk)) ||
                 /* records filtered out after the last kept are done too */
                 (nk < n && position_put(r, seq_of(json_array_get(recs, n - 1)))))
            result = ESM_STREAM_BACKOFF;
        else
            result = (int)n >= r->batch ? ESM_STREAM_FULL : ESM_STREAM_AGAIN;
        json_decref(kept);
    }
    json_decref(recs);
    json_decref(o.conf);
    return result;
}
