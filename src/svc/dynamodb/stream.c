/* DynamoDB Streams, the table's side: a table's streams (enabled by CreateTable/UpdateTable),
 * and the stream record every item change appends in the transaction of the change itself,
 * so a record exists exactly when its write does (dynamodb.h for the documents). The
 * Streams API that reads them is src/svc/dynamodbstreams/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/ids.h"
#include "dynamodb.h"
#include "dynamodb_int.h"

#define DAY 86400.0

/* The stream entry of t labelled label (NULL: the latest), or NULL. */
static json_t *stream_of(const ddb_table *t, const char *label)
{
    json_t *list = json_object_get(t->doc, DYNAMODB_STREAMS_FIELD);
    size_t n = json_array_size(list);
    if (!label) return n ? json_array_get(list, n - 1) : NULL;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(jstr(json_array_get(list, i), "Label"), label)) return json_array_get(list, i);
    return NULL;
}

void dynamodb_stream_seq(long long ms, long long n, char out[DYNAMODB_SEQ_LEN + 1])
{
    unsigned long long m = (unsigned long long)ms % 10000000000000ULL,
                       k = (unsigned long long)n % 100000000ULL;
    snprintf(out, DYNAMODB_SEQ_LEN + 1, "%013llu%08llu", m, k);
}

/* The table's last issued sequence number (its [ms, n] pair), "" before any. */
static void last_seq(const ddb_table *t, char out[DYNAMODB_SEQ_LEN + 1])
{
    const json_t *s = json_object_get(t->doc, DYNAMODB_SEQ_FIELD);
    if (!s) {
        out[0] = 0;
        return;
    }
    dynamodb_stream_seq(json_integer_value(json_array_get(s, 0)),
                        json_integer_value(json_array_get(s, 1)), out);
}

/* A new sequence number: the time in ms then a counter, so numbers grow with time and
 * within a millisecond (the clock going back keeps the last millisecond). 0 or -1 (OOM). */
static int next_seq(call *c, ddb_table *t, char out[DYNAMODB_SEQ_LEN + 1])
{
    if (ddb_table_own(c, t)) return -1;
    const json_t *s = json_object_get(t->doc, DYNAMODB_SEQ_FIELD);
    long long ms = (long long)(clock_now() * 1000), pm = json_integer_value(json_array_get(s, 0)),
              n = 0;
    if (s && ms <= pm) {
        ms = pm;
        n = json_integer_value(json_array_get(s, 1)) + 1;
    }
    if (json_object_set_new(t->doc, DYNAMODB_SEQ_FIELD, json_pack("[I,I]", ms, n)))
        return ferr_oom(c->err);
    dynamodb_stream_seq(ms, n, out);
    return 0;
}

static int stream_open(call *c, ddb_table *t, const char *view)
{
    double now = clock_now();
    char label[32], hex[9], shard[64], start[DYNAMODB_SEQ_LEN + 1];
    clock_iso8601(now, 1, label);
    label[23] = 0; /* AWS labels are the time with milliseconds, without a zone */
    ids_hex(hex, 8);
    snprintf(shard, sizeof(shard), "shardId-%020lld-%s", (long long)(now * 1000), hex);
    dynamodb_stream_seq((long long)(now * 1000), 0, start);
    const char *arn = arena_printf(c->a, "%s/stream/%s", t->arn, label);
    json_t *list = json_object_get(t->doc, DYNAMODB_STREAMS_FIELD);
    if (!list && json_object_set_new(t->doc, DYNAMODB_STREAMS_FIELD, list = json_array()))
        return ferr_oom(c->err);
    json_t *e = arn ? json_pack("{s:s, s:s, s:s, s:s, s:s, s:f}", "Label", label, "Arn", arn,
                                "ViewType", view, "ShardId", shard, "Start", start, "Created", now)
                    : NULL;
    if (!e || json_array_append_new(list, e) ||
        json_object_set_new(t->doc, "StreamSpecification",
                            json_pack("{s:b, s:s}", "StreamEnabled", 1, "StreamViewType", view)) ||
        jset_str(t->doc, "LatestStreamLabel", label) || jset_str(t->doc, "LatestStreamArn", arn))
        return ferr_oom(c->err);
    return 0;
}

int ddb_stream_spec(call *c, ddb_table *t, const json_t *ss, int create)
{
    if (ddb_table_own(c, t)) return -1;
    int on = jbool(ss, "StreamEnabled", 0);
    const char *view = jstr(ss, "StreamViewType");
    int cur = jbool(json_object_get(t->doc, "StreamSpecification"), "StreamEnabled", 0);
    if (!on && view)
        return ddb_validation(c, create
                                     ? "One or more parameter values were invalid: Table is being "
                                       "created with a stream disabled, UpdateViewType should "
                                       "not be specified"
                                     : "One or more parameter values were invalid: If stream is "
                                       "being disabled, then UpdateViewType must not be specified");
    if (on && !view)
        return ddb_validation(c, "One or more parameter values were invalid: "
                                 "StreamSpecification: StreamViewType is required when streams "
                                 "are enabled");
    /* AWS: a stream's view type cannot change; it is disabled, then a new one enabled */
    if (on && cur)
        return ddb_validation(c, "Table already has an enabled stream: TableName: %s", t->name);
    if (!on && !cur) {
        if (create) return 0;
        return ddb_validation(c, "Table has no stream to disable: TableName: %s", t->name);
    }
    if (on) return stream_open(c, t, view);
    json_t *e = stream_of(t, NULL);
    char end[DYNAMODB_SEQ_LEN + 1];
    last_seq(t, end);
    /* the shard closes at the last record written to it (its start when there was none) */
    if (!end[0] || strcmp(end, jstr(e, "Start")) < 0)
        snprintf(end, sizeof(end), "%s", jstr(e, "Start"));
    if (json_object_set_new(e, "Closed", json_real(clock_now())) || jset_str(e, "End", end))
        return ferr_oom(c->err);
    json_object_del(t->doc, "StreamSpecification");
    return 0;
}

static void notify_cb(void *p)
{
    void **v = p;
    svc_notify(v[0], v[1]);
}

/* Pollers parked on the stream (esm engine) look again once the write commits. */
static void wake(call *c, const char *arn)
{
    if (!c->env) return; /* the TTL sweep: pollers find its records at their next poll */
    void **v = arena_alloc(c->a, 2 * sizeof(void *));
    char *key = arena_strdup(c->a, arn);
    if (!v || !key) {
        c->oom = 1;
        return;
    }
    v[0] = c->env;
    v[1] = key;
    if (!arena_own(c->a, notify_cb, v)) c->oom = 1;
}

int ddb_stream_record(call *c, ddb_table *t, const json_t *old, const json_t *item)
{
    const json_t *ss = json_object_get(t->doc, "StreamSpecification");
    if (!jbool(ss, "StreamEnabled", 0)) return 0;
    /* AWS: a PutItem or UpdateItem that does not change the item writes no stream record */
    if (old && item && ddb_item_equal(old, item)) return 0;
    const json_t *e = stream_of(t, NULL);
    const char *view = jstr(e, "ViewType");
    char seq[DYNAMODB_SEQ_LEN + 1], eid[33];
    if (next_seq(c, t, seq)) return -1;
    ids_hex(eid, 32);
    ddb_keys k = {t->hash, t->range};
    json_t *keys = ddb_key_of(&k, NULL, item ? item : old);
    int new_img = item && (!strcmp(view, "NEW_IMAGE") || !strcmp(view, "NEW_AND_OLD_IMAGES"));
    int old_img = old && (!strcmp(view, "OLD_IMAGE") || !strcmp(view, "NEW_AND_OLD_IMAGES"));
    size_t size = (keys ? ddb_item_size(keys) : 0) + (new_img ? ddb_item_size(item) : 0) +
                  (old_img ? ddb_item_size(old) : 0);
    json_t *d = keys ? json_pack("{s:I, s:O, s:s, s:I, s:s}", "ApproximateCreationDateTime",
                                 (json_int_t)clock_now(), "Keys", keys, "SequenceNumber", seq,
                                 "SizeBytes", (json_int_t)size, "StreamViewType", view)
                     : NULL;
    json_decref(keys);
    json_t *r = d ? json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "eventID", eid, "eventName",
                              !old   ? "INSERT"
                              : item ? "MODIFY"
                                     : "REMOVE",
                              "eventVersion", "1.1", "eventSource", "aws:dynamodb", "awsRegion",
                              c->region, "dynamodb", d)
                  : NULL;
    if (!r || !arena_defer_json(c->a, r)) return ferr_oom(c->err);
    if ((new_img && json_object_set(d, "NewImage", (json_t *)item)) ||
        (old_img && json_object_set(d, "OldImage", (json_t *)old)))
        return ferr_oom(c->err);
    /* AWS: TTL deletions are made by the service, and say so (the Lambda event words it
     * {type, principalId}) */
    if (t->ttl_delete && json_object_set_new(r, "userIdentity",
                                             json_pack("{s:s, s:s}", "Type", "Service",
                                                       "PrincipalId", "dynamodb.amazonaws.com")))
        return ferr_oom(c->err);
    char *id = arena_printf(c->a, "%s/%s/%s", t->name, jstr(e, "Label"), seq);
    if (!id) return ferr_oom(c->err);
    store_key sk = ddb_key(c, t, DYNAMODB_STREAM_KIND, id);
    if (store_put(c->txn, &sk, r, c->err)) return -1;
    wake(c, jstr(e, "Arn"));
    return 1;
}

int ddb_stream_drop(call *c, const ddb_table *t)
{
    char *p = arena_printf(c->a, "%s/", t->name);
    if (!p) return ferr_oom(c->err);
    return ddb_drop_prefix(c, t, DYNAMODB_STREAM_KIND, p);
}

/* ---- retention ---- */

typedef struct trim {
    double before;
    int max, n;
    json_t *found; /* tables: [[account, region, name]]; records: [id] */
} trim;

static int table_cb(void *ud, const store_key *k, json_t *doc)
{
    trim *s = ud;
    if (!json_array_size(json_object_get(doc, DYNAMODB_STREAMS_FIELD))) return 0;
    json_t *e = json_pack("[s,s,s]", k->account, k->region, k->id);
    return !e || json_array_append_new(s->found, e);
}

static int record_cb(void *ud, const store_key *k, json_t *doc)
{
    trim *s = ud;
    const json_t *d = json_object_get(doc, "dynamodb");
    if (jint(d, "ApproximateCreationDateTime", 0) >= s->before) return 1; /* in order: done */
    json_t *e = json_pack("[s,s]", k->id, jstr(d, "SequenceNumber"));
    return !e || json_array_append_new(s->found, e) || ++s->n >= s->max;
}

/* Trims one table's records older than s->before; drops its closed streams past retention. */
static int trim_table(call *c, ddb_table *t, trim *s)
{
    json_t *list = json_object_get(t->doc, DYNAMODB_STREAMS_FIELD);
    int changed = 0;
    for (size_t i = 0; i < json_array_size(list) && s->n < s->max;) {
        json_t *e = json_array_get(list, i);
        char *p = arena_printf(c->a, "%s/%s/", t->name, jstr(e, "Label"));
        char *hi = arena_printf(c->a, "%s/%s/~", t->name, jstr(e, "Label"));
        json_t *found = json_array();
        if (!p || !hi || !found || !arena_defer_json(c->a, found)) return ferr_oom(c->err);
        s->found = found;
        store_range_q q = {.lo = p, .hi = hi, .limit = s->max - s->n};
        if (store_range(c->txn, DYNAMODB_STREAM_KIND, t->account, c->region, &q, record_cb, s,
                        c->err) < 0)
            return -1;
        size_t j;
        json_t *x;
        json_array_foreach(found, j, x) {
            store_key k =
                ddb_key(c, t, DYNAMODB_STREAM_KIND, json_string_value(json_array_get(x, 0)));
            if (store_del(c->txn, &k, c->err) < 0) return -1;
        }
        if (j && (jset_str(e, "Trimmed",
                           json_string_value(json_array_get(json_array_get(found, j - 1), 1)))))
            return ferr_oom(c->err);
        changed |= j > 0;
        /* AWS: a disabled stream stays readable for 24 hours, then is gone */
        json_t *cl = json_object_get(e, "Closed");
        if (cl && json_number_value(cl) < s->before && (int)json_array_size(found) < q.limit) {
            if (json_array_remove(list, i)) return ferr_oom(c->err);
            changed = 1;
            continue;
        }
        i++;
    }
    return changed ? ddb_table_save(c, t) : 0;
}

long long dynamodb_stream_trim(store *st, double now, double retention, int max, ferr *e)
{
    if (retention <= 0) retention = DAY;
    store_txn *txn = NULL;
    if (store_begin(st, 1, &txn, e)) return -1;
    arena *a = arena_new(0);
    trim s = {.before = now - retention, .max = max, .found = json_array()};
    json_t *tables = s.found, *x;
    int rc = a && tables && arena_defer_json(a, tables) ? 0 : ferr_oom(e);
    if (!rc && store_list(txn, DDB_TABLE, NULL, NULL, NULL, NULL, 0, table_cb, &s, e) < 0) rc = -1;
    size_t i;
    json_array_foreach(tables, i, x) {
        if (rc || s.n >= max) break;
        call c = {.a = a,
                  .err = e,
                  .txn = txn,
                  .caller = CALLER_INTERNAL,
                  .account = json_string_value(json_array_get(x, 0)),
                  .region = json_string_value(json_array_get(x, 1))};
        ddb_table tb;
        if (ddb_table_open(&c, json_string_value(json_array_get(x, 2)), NULL, &tb) ||
            trim_table(&c, &tb, &s))
            rc = -1;
    }
    arena_free(a);
    if (rc) {
        store_rollback(txn);
        return -1;
    }
    return store_commit(txn, e) ? -1 : s.n;
}
