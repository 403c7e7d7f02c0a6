/* Log events: PutLogEvents stores each accepted batch as one document (see logs_int.h);
 * GetLogEvents and FilterLogEvents read the batches that can hold events in their time
 * range and order the events by (timestamp, batch number, index), a total order within a
 * group: the tokens are positions in it, and FilterLogEvents' eventId is too. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "logs_int.h"

#define MAX_BATCH_BYTES  1048576LL /* AWS: UTF-8 messages plus 26 bytes per event */
#define EVENT_OVERHEAD   26
#define MAX_EVENTS       10000
#define MAX_FUTURE_MS    (2 * 3600 * 1000LL) /* AWS: at most 2 hours ahead */
#define MAX_PAST_MS      (14 * LOGS_DAY_MS)  /* AWS: at most 14 days old */
#define MAX_RESULT_BYTES 1048576LL           /* a page of events holds at most 1 MB */

int logs_op_put_log_events(call *c, json_t *in, json_t **out)
{
    const char *group = jstr(in, "logGroupName"), *stream = jstr(in, "logStreamName");
    json_t *g, *s;
    const char *sid;
    if (logs_authorize(c, "logs:PutLogEvents", c->account, group, stream) ||
        logs_group_need(c, c->account, group, &g) ||
        logs_stream_need(c, c->account, group, stream, &s, &sid))
        return -1;
    store_key sk = {LOGS_STREAM_KIND, c->account, c->region, sid};

    json_t *evs = json_object_get(in, "logEvents");
    size_t n = json_array_size(evs), i;
    json_t *ev;
    if (n > MAX_EVENTS)
        return logs_invalid(c, "The maximum number of log events in a batch is 10000.");
    long long size = 0, prev = 0;
    json_array_foreach(evs, i, ev) {
        long long ts = jint(ev, "timestamp", 0);
        if (i && ts < prev)
            return logs_invalid(
                c, "Log events in a single PutLogEvents request must be in chronological order.");
        prev = ts;
        size += (long long)strlen(jstr(ev, "message")) + EVENT_OVERHEAD;
    }
    if (size > MAX_BATCH_BYTES)
        return logs_invalid(c, "Upload too large: %lld bytes exceeds limit of %lld", size,
                            MAX_BATCH_BYTES);

    /* the batch is in order: the rejected ones are a head (too old, expired) and a tail */
    long long now = logs_now_ms(), days = jint(g, "retentionInDays", 0);
    size_t lo = 0, hi = n, old_end = 0, expired_end = 0;
    json_array_foreach(evs, i, ev) {
        long long ts = jint(ev, "timestamp", 0);
        if (ts < now - MAX_PAST_MS) old_end = i + 1;
        if (days && ts < now - days * LOGS_DAY_MS) expired_end = i + 1;
        if (ts > now + MAX_FUTURE_MS && hi == n) hi = i;
    }
    lo = old_end > expired_end ? old_end : expired_end;
    if (hi < lo) hi = lo;
    json_t *o = json_object();
    if (!arena_defer_json(c->a, o)) return ferr_oom(c->err);
    if (old_end || expired_end || hi < n) {
        json_t *rej = json_object();
        int bad = json_object_set_new(o, "rejectedLogEventsInfo", rej);
        if (!bad && old_end)
            bad = json_object_set_new(rej, "tooOldLogEventEndIndex", json_integer((long)old_end));
        if (!bad && expired_end)
            bad = json_object_set_new(rej, "expiredLogEventEndIndex",
                                      json_integer((long)expired_end));
        if (!bad && hi < n)
            bad = json_object_set_new(rej, "tooNewLogEventStartIndex", json_integer((long)hi));
        if (bad) return ferr_oom(c->err);
    }
    if (lo < hi) {
        long long first = jint(json_array_get(evs, lo), "timestamp", 0);
        long long last = jint(json_array_get(evs, hi - 1), "timestamp", 0);
        if (last - first > LOGS_DAY_MS)
            return logs_invalid(c, "The batch of log events in a single PutLogEvents request "
                                   "cannot span more than 24 hours.");
        json_t *list = json_array(), *batch = NULL;
        long long bytes = 0;
        int bad = !list;
        for (i = lo; !bad && i < hi; i++) {
            ev = json_array_get(evs, i);
            bytes += (long long)strlen(jstr(ev, "message"));
            bad = json_array_append_new(list, json_pack("[I, O]", jint(ev, "timestamp", 0),
                                                        json_object_get(ev, "message")));
        }
        if (!bad)
            batch = json_pack("{s:I, s:I, s:I, s:o}", "i", (json_int_t)now, "l", (json_int_t)last,
                              "b", (json_int_t)bytes, "e", list);
        else
            json_decref(list);
        if (!arena_defer_json(c->a, batch)) return ferr_oom(c->err);
        long long seq = jint(g, "seq", 0) + 1;
        const char *bid = arena_printf(c->a, "%s:%s:%013lld:%012lld", group, stream, first, seq);
        if (!bid) return ferr_oom(c->err);
        store_key bk = {LOGS_BATCH_KIND, c->account, c->region, bid};
        long long sf = jint(s, "firstEventTimestamp", 0), sl = jint(s, "lastEventTimestamp", 0);
        if (json_object_set_new(g, "seq", json_integer(seq)) ||
            json_object_set_new(g, "storedBytes",
                                json_integer(jint(g, "storedBytes", 0) + bytes)) ||
            json_object_set_new(s, "firstEventTimestamp",
                                json_integer(sf && sf < first ? sf : first)) ||
            json_object_set_new(s, "lastEventTimestamp", json_integer(sl > last ? sl : last)) ||
            json_object_set_new(s, "lastIngestionTime", json_integer(now)) ||
            json_object_set_new(s, "span",
                                json_integer(last - first > jint(s, "span", 0)
                                                 ? last - first
                                                 : jint(s, "span", 0))) ||
            json_object_set_new(s, "storedBytes", json_integer(jint(s, "storedBytes", 0) + bytes)))
            return ferr_oom(c->err);
        if (store_put(c->txn, &bk, batch, c->err) || store_put(c->txn, &sk, s, c->err) ||
            logs_group_save(c, group, g))
            return -1;
    }
    /* AWS ignores sequence tokens now, and still answers one */
    char tok[64];
    snprintf(tok, sizeof(tok), "%056lld", jint(g, "seq", 0));
    if (jset_str(o, "nextSequenceToken", tok)) return ferr_oom(c->err);
    *out = svc_out(c, json_incref(o));
    return 0;
}

/* ---- reading ---- */

typedef struct pos {
    long long ts, seq;
    long long idx;
} pos;

typedef struct event {
    pos p;
    long long ingestion;
    const char *msg;
    const char *stream;
} event;

typedef struct reader {
    call *c;
    const char *stream;
    long long start, end; /* [start, end] inclusive; end LLONG_MAX when open */
    const logs_filter *filter;
    /* Reading forward for the first `want` events after `after`: a stream's batches come in
     * order of their first event, so once a stream gave more than want events, a batch that
     * starts after all of them cannot hold any of the first want (0: read everything). */
    size_t want;
    pos after;
    size_t stream_n;
    long long stream_max;
    event *evs;
    size_t n, cap;
    int oom;
} reader;

static int pos_cmp(const pos *a, const pos *b)
{
    if (a->ts != b->ts) return a->ts < b->ts ? -1 : 1;
    if (a->seq != b->seq) return a->seq < b->seq ? -1 : 1;
    if (a->idx != b->idx) return a->idx < b->idx ? -1 : 1;
    return 0;
}

static int event_cmp(const void *a, const void *b)
{
    return pos_cmp(&((const event *)a)->p, &((const event *)b)->p);
}

static int read_batch(void *ud, const store_key *k, json_t *doc)
{
    reader *r = ud;
    /* the id ends :FIRST:SEQ */
    const char *tail = k->id + strlen(k->id) - 26;
    long long first = strtoll(tail, NULL, 10), seq = strtoll(tail + 14, NULL, 10);
    if (first > r->end) return 1; /* later batches start later still */
    if (r->want && r->stream_n > r->want && first > r->stream_max) return 1;
    if (jint(doc, "l", 0) < r->start) return 0;
    if (!arena_defer_json(r->c->a, json_incref(doc))) return r->oom = 1;
    long long ing = jint(doc, "i", 0);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(doc, "e"), i, e) {
        long long ts = json_integer_value(json_array_get(e, 0));
        const char *msg = json_string_value(json_array_get(e, 1));
        if (ts < r->start || ts > r->end || !msg) continue;
        pos p = {ts, seq, (long long)i};
        if (r->want && pos_cmp(&p, &r->after) <= 0) continue;
        if (r->filter && !logs_filter_match(r->filter, msg, strlen(msg))) continue;
        if (r->n == r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 256;
            event *evs = arena_alloc(r->c->a, cap * sizeof(*evs));
            if (!evs) return r->oom = 1;
            if (r->n) memcpy(evs, r->evs, r->n * sizeof(*evs));
            r->evs = evs;
            r->cap = cap;
        }
        r->evs[r->n++] = (event){p, ing, msg, r->stream};
        r->stream_n++;
        if (ts > r->stream_max) r->stream_max = ts;
    }
    return 0;
}

/* Reads the events of group's stream within r's range into r (unsorted). span: the longest
 * time a batch of the stream covers (its document's "span"). */
static int read_stream(reader *r, const char *account, const char *group, const char *stream,
                       long long span)
{
    call *c = r->c;
    const char *prefix = logs_prefix(c, group, stream);
    if (!prefix) return -1;
    /* no batch that starts before start - span holds events at or after start */
    long long from = r->start - span - 1;
    const char *after = from > 0 ? arena_printf(c->a, "%s%013lld", prefix, from) : NULL;
    if (from > 0 && !after) return ferr_oom(c->err);
    r->stream = stream;
    r->stream_n = 0;
    r->stream_max = INT64_MIN;
    if (store_list(c->txn, LOGS_BATCH_KIND, account, c->region, prefix, after, 0, read_batch, r,
                   c->err) < 0)
        return -1;
    return r->oom ? ferr_oom(c->err) : 0;
}

/* read_stream of a stream named by a request: nothing when there is no such stream. */
static int read_named(reader *r, const char *account, const char *group, const char *stream)
{
    call *c = r->c;
    const char *id = arena_printf(c->a, "%s:%s", group, stream);
    if (!id) return ferr_oom(c->err);
    store_key k = {LOGS_STREAM_KIND, account, c->region, id};
    json_t *doc = NULL;
    int rc = store_get(c->txn, &k, &doc, c->err);
    if (rc <= 0) return rc;
    long long span = jint(doc, "span", LOGS_DAY_MS);
    json_decref(doc);
    return read_stream(r, account, group, stream, span);
}

static const char *pos_token(call *c, const char *dir, const pos *p)
{
    const char *t = arena_printf(c->a, "%s%lld/%lld/%lld", dir, p->ts, p->seq, p->idx);
    if (!t) ferr_oom(c->err);
    return t;
}

/* A token's position "TS/SEQ/IDX"; only what a position can be (times are bounded, so the
 * arithmetic done on them cannot overflow). */
static int pos_parse(const char *s, pos *p)
{
    long long *v[3] = {&p->ts, &p->seq, &p->idx};
    for (int i = 0; i < 3; i++) {
        char *end = NULL;
        errno = 0;
        *v[i] = strtoll(s, &end, 10);
        if (end == s || errno || *end != (i < 2 ? '/' : 0)) return -1;
        s = end + 1;
    }
    return p->ts < -1 || p->ts > 9999999999999LL || p->seq < 0 || p->idx < 0 ? -1 : 0;
}

/* Reads the group and the stream a GetLogEvents or FilterLogEvents names. */
static int group_of(call *c, const json_t *in, const char *action, const char *stream,
                    const char **account, const char **name, json_t **g)
{
    if (logs_group_ref(c, in, account, name) ||
        logs_authorize(c, action, *account, *name, stream) ||
        logs_group_need(c, *account, *name, g))
        return -1;
    return 0;
}

int logs_op_get_log_events(call *c, json_t *in, json_t **out)
{
    const char *group, *stream = jstr(in, "logStreamName"), *token = jstr(in, "nextToken");
    json_t *g, *s;
    const char *account, *sid;
    if (group_of(c, in, "logs:GetLogEvents", stream, &account, &group, &g) ||
        logs_stream_need(c, account, group, stream, &s, &sid))
        return -1;
    pos at = {-1, 0, 0};
    int forward = jbool(in, "startFromHead", 0), from_token = 0;
    if (token) {
        if ((strncmp(token, "f/", 2) && strncmp(token, "b/", 2)) || pos_parse(token + 2, &at))
            return logs_invalid(c, "The specified nextToken is invalid.");
        forward = token[0] == 'f';
        from_token = 1;
    }
    long long end = json_object_get(in, "endTime") ? jint(in, "endTime", 0) - 1 : INT64_MAX;
    long long start = jint(in, "startTime", 0), span = jint(s, "span", LOGS_DAY_MS);
    size_t limit = (size_t)jint(in, "limit", 10000);
    reader r = {.c = c, .start = start, .end = end};
    if (forward) {
        r.want = limit;
        r.after = at;
        if (read_stream(&r, account, group, stream, span)) return -1;
    } else {
        /* the latest events: windows back from the newest (or the token's), widened until
         * they hold a page or reach startTime, so a long stream is not read whole */
        const json_t *newest = json_object_get(s, "lastEventTimestamp");
        long long top = from_token ? at.ts : newest ? json_integer_value(newest) : start;
        if (top > end) top = end;
        for (long long w = 60000;; w *= 16) {
            r.start = top - w > start ? top - w : start;
            r.n = 0;
            if (read_stream(&r, account, group, stream, span)) return -1;
            size_t before = 0;
            for (size_t i = 0; i < r.n; i++) before += !from_token || pos_cmp(&r.evs[i].p, &at) < 0;
            if (before >= limit || r.start == start || w > 100 * 365 * LOGS_DAY_MS) break;
        }
    }
    if (r.n) qsort(r.evs, r.n, sizeof(*r.evs), event_cmp);
    /* [a, b) of r.evs to answer */
    size_t a = 0, b = r.n;
    if (from_token) {
        while (a < b && forward && pos_cmp(&r.evs[a].p, &at) <= 0) a++;
        while (b > a && !forward && pos_cmp(&r.evs[b - 1].p, &at) >= 0) b--;
    }
    long long bytes = 0;
    size_t k = 0;
    if (forward) {
        while (k < b - a && k < limit &&
               (bytes += (long long)strlen(r.evs[a + k].msg) + EVENT_OVERHEAD) <= MAX_RESULT_BYTES)
            k++;
        b = a + k;
    } else {
        while (k < b - a && k < limit &&
               (bytes += (long long)strlen(r.evs[b - 1 - k].msg) + EVENT_OVERHEAD) <=
                   MAX_RESULT_BYTES)
            k++;
        a = b - k;
    }
    if (!k && a < b) { /* one event over the page's bytes still goes alone */
        if (forward)
            b = a + 1;
        else
            a = b - 1;
    }
    json_t *list = json_array(), *o = NULL;
    int bad = !list;
    for (size_t i = a; !bad && i < b; i++)
        bad = json_array_append_new(
            list, json_pack("{s:I, s:s, s:I}", "timestamp", (json_int_t)r.evs[i].p.ts, "message",
                            r.evs[i].msg, "ingestionTime", (json_int_t)r.evs[i].ingestion));
    const char *ft, *bt;
    if (a < b) {
        ft = pos_token(c, "f/", &r.evs[b - 1].p);
        bt = pos_token(c, "b/", &r.evs[a].p);
    } else {
        /* at the end AWS answers the token it was given */
        ft = from_token && forward ? token : pos_token(c, "f/", &at);
        bt = from_token && !forward ? token : pos_token(c, "b/", &at);
    }
    if (!bad && ft && bt)
        o = json_pack("{s:o, s:s, s:s}", "events", list, "nextForwardToken", ft,
                      "nextBackwardToken", bt);
    else
        json_decref(list);
    *out = svc_out(c, o);
    return 0;
}

int logs_op_filter_log_events(call *c, json_t *in, json_t **out)
{
    const char *account, *group, *token = jstr(in, "nextToken");
    const char *sprefix = jstr(in, "logStreamNamePrefix");
    json_t *g, *names = json_object_get(in, "logStreamNames");
    if (group_of(c, in, "logs:FilterLogEvents", NULL, &account, &group, &g)) return -1;
    if (names && sprefix)
        return logs_invalid(c, "logStreamNames and logStreamNamePrefix are mutually exclusive "
                               "parameters.");
    pos at = {-1, 0, 0};
    if (token && pos_parse(token, &at))
        return logs_invalid(c, "The specified nextToken is invalid.");
    logs_filter *f = NULL;
    const char *pattern = jstr(in, "filterPattern");
    if (pattern && !(f = logs_filter_parse(pattern, c->err))) return -1;
    if (f && !arena_own(c->a, (void (*)(void *))logs_filter_free, f)) {
        logs_filter_free(f);
        return ferr_oom(c->err);
    }
    long long end = json_object_get(in, "endTime") ? jint(in, "endTime", 0) : INT64_MAX;
    size_t limit = (size_t)jint(in, "limit", 10000);
    reader r = {.c = c,
                .start = jint(in, "startTime", 0),
                .end = end,
                .filter = f,
                .want = limit,
                .after = at};
    if (token && at.ts > r.start) r.start = at.ts;
    /* the streams to read: those named, or those of the prefix with events in range */
    const char *gp = logs_prefix(c, group, NULL);
    if (!gp) return -1;
    if (names) {
        size_t i;
        json_t *nm;
        json_array_foreach(names, i, nm) {
            if (read_named(&r, account, group, json_string_value(nm))) return -1;
        }
    } else {
        const char *p = sprefix ? arena_printf(c->a, "%s%s", gp, sprefix) : gp, **ids;
        size_t n;
        if (!p) return ferr_oom(c->err);
        /* only the streams with events in range */
        if (logs_list_ids(c, LOGS_STREAM_KIND, account, p, strlen(gp), r.start, &ids, &n))
            return -1;
        for (size_t i = 0; i < n; i++)
            if (read_named(&r, account, group, ids[i])) return -1;
    }
    if (r.n) qsort(r.evs, r.n, sizeof(*r.evs), event_cmp);
    size_t a = 0, k = 0; /* what is at or before the token was skipped */
    long long bytes = 0;
    while (a + k < r.n && k < limit &&
           (bytes += (long long)strlen(r.evs[a + k].msg) + EVENT_OVERHEAD) <= MAX_RESULT_BYTES)
        k++;
    if (!k && a < r.n) k = 1; /* one event over the page's bytes still goes alone */
    json_t *list = json_array();
    int bad = !list;
    for (size_t i = a; !bad && i < a + k; i++) {
        const event *e = &r.evs[i];
        char id[64];
        snprintf(id, sizeof(id), "%020lld%020lld%06lld", e->p.ts, e->p.seq, e->p.idx);
        bad = json_array_append_new(list, json_pack("{s:s, s:I, s:s, s:I, s:s}", "logStreamName",
                                                    e->stream, "timestamp", (json_int_t)e->p.ts,
                                                    "message", e->msg, "ingestionTime",
                                                    (json_int_t)e->ingestion, "eventId", id));
    }
    json_t *o = bad ? NULL : json_pack("{s:o, s:[]}", "events", list, "searchedLogStreams");
    if (bad) json_decref(list);
    if (o && a + k < r.n) {
        const char *t = pos_token(c, "", &r.evs[a + k - 1].p);
        if (!t || jset_str(o, "nextToken", t)) {
            json_decref(o);
            o = NULL;
        }
    }
    *out = svc_out(c, o);
    return 0;
}
