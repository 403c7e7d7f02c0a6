/* SQS event source mappings: pollers that receive from each enabled mapping's queue as the
 * function's execution role, invoke the function with batches of AWS's SQS event, and
 * delete what it processed (esm.h).
 *
 * One manager thread keeps the list of enabled mappings (read again when a mapping
 * changes: svc_notify(LAMBDA_ESM_NOTIFY), and when the kind's store generation moves); a
 * bounded pool of workers (FERRY_ESM_MAX_POLLERS) runs rounds: receive up to BatchSize
 * within the batching window, invoke, delete. A mapping whose queue is empty parks on the
 * queue's long-poll key (waiters, like a ReceiveMessage with WaitTimeSeconds) until a
 * message is sent, until messages it saw fail become visible again, or for at most
 * FERRY_ESM_POLL_SECONDS [20]; nothing loops while queues are empty.
 *
 * Nothing is kept between runs: a batch received before a crash is in flight in SQS and
 * comes back when its visibility timeout ends; SQS's redrive policy moves messages that keep
 * failing to the dead-letter queue.
 *
 * On a shared store each mapping is polled by one node, the one its "_node" names: a new
 * mapping, or one whose node's lease has run out, is claimed in a write transaction by the
 * first node to rescan (or to tick, leases.h); the others leave it out of their list. */
#include "esm.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/log.h"
#include "engines.h"
#include "esm_event.h"
#include "esm_stream.h"
#include "leases.h"
#include "svc/lambda/documents.h"
#include "svc/lambda/lambda.h"
#include "svc/session.h"
#include "svc/sns/filter.h"
#include "waiters.h"

#define DEFAULT_POLLERS     8
#define DEFAULT_CONCURRENCY 5       /* AWS: five batches at once to start with */
#define PAYLOAD_MAX         6291456 /* AWS: a batch ends at the 6 MB synchronous payload */
#define ERROR_BACKOFF       5.0     /* seconds after a receive the role may not make, etc. */
#define SESSION_MARGIN      300.0

typedef struct mapping {
    struct mapping *next;
    char *uuid, *account, *region, *queue, *fn, *role, *conf;
    int batch, window, report, concurrency;
    int stream; /* the source is a DynamoDB stream (esm_stream.c) */
    sns_filter **filters;
    size_t nfilters;
    int busy;    /* workers running a round of it */
    int limit;   /* rounds at once now: grows while batches come back full (a backlog),
                       back to one when the queue is empty, at most concurrency */
    int ready;   /* it should be polled now */
    int waiting; /* a waiter on its queue is registered */
    int held;    /* workers registering that waiter (outside mu; the waiter may fire first) */
    int gone;    /* deleted or disabled: freed when no worker or waiter holds it */
    double not_before;
    double visible_at; /* messages it saw fail come back then (0: none) */
    int visibility;    /* the queue's VisibilityTimeout, read with the session */
    principal who;     /* the execution role's session */
    double who_expires;
    struct mapping *pending; /* a new configuration, taken when no round runs */
} mapping;

/* What a waiter carries: a mapping's UUID (its queue has messages, or its wait is over), or
 * nothing (a worker gathering a batch waits for any wake). Freed by the callback. */
typedef struct token {
    char uuid[40];
} token;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct {
    ferry_env *env;
    int running, stopping;
    pthread_t manager;
    pthread_t *workers;
    int nworkers;
    mapping *list;
    int rescan;
    unsigned long long wakes;
    int listening; /* a waiter on LAMBDA_ESM_NOTIFY is registered */
    /* this node's id on a shared store (a mapping's "_node" names the node that polls it,
     * leases.h), "" on a store of one process, which polls every mapping */
    char node[64];
} E;

static double env_seconds(const char *name, double dflt)
{
    const char *v = getenv(name);
    double d = v && *v ? atof(v) : dflt;
    return d > 0 ? d : dflt;
}

static void mapping_free(mapping *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->nfilters; i++) sns_filter_free(m->filters[i]);
    free(m->filters);
    free(m->uuid), free(m->account), free(m->region), free(m->queue), free(m->fn);
    free(m->role), free(m->conf);
    mapping_free(m->pending);
    free(m);
}

static mapping *find(const char *uuid)
{
    for (mapping *m = E.list; m; m = m->next)
        if (!strcmp(m->uuid, uuid)) return m;
    return NULL;
}

/* Drops the mappings nobody holds any more (under mu). */
static void reap(void)
{
    for (mapping **p = &E.list; *p;) {
        mapping *m = *p;
        if (m->gone && !m->busy && !m->waiting && !m->held) {
            *p = m->next;
            mapping_free(m);
        } else {
            p = &m->next;
        }
    }
}

static void waiter_cb(void *arg, int final)
{
    (void) final;
    token *t = arg;
    pthread_mutex_lock(&mu);
    E.wakes++;
    if (t && t->uuid[0] == '*') {
        E.listening = 0;
        E.rescan = 1;
    } else if (t && t->uuid[0]) {
        mapping *m = E.running ? find(t->uuid) : NULL;
        if (m) {
            m->waiting = 0;
            m->ready = 1;
        }
    }
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    free(t);
}

/* Registers a waiter on key until deadline; uuid "" wakes workers only, "*" the manager. */
static int wait_on(const char *key, double deadline, uint64_t seq, const char *uuid)
{
    token *t = calloc(1, sizeof(*t));
    if (!t) return -1;
    snprintf(t->uuid, sizeof(t->uuid), "%s", uuid);
    if (waiters_watch(E.env->waits, key, deadline, seq, waiter_cb, t)) {
        free(t);
        return -1;
    }
    return 0;
}

/* ---- the list of mappings ---- */

/* The execution role of the function arn names (its version's or alias's when qualified). */
static const char *role_of(const json_t *fn, const char *arn)
{
    const char *q = strrchr(arn, ':');
    const char *p = strstr(arn, ":function:");
    const json_t *cfg = json_object_get(fn, "Latest");
    if (p && q > p + 10) {
        q++;
        const json_t *alias = json_object_get(json_object_get(fn, "Aliases"), q);
        const char *v = alias ? jstr(alias, "FunctionVersion") : q;
        if (v && strcmp(v, "$LATEST")) cfg = json_object_get(json_object_get(fn, "Versions"), v);
    }
    return jstr(cfg, "Role");
}

static char *sdup(const char *s)
{
    return strdup(s ? s : "");
}

/* A mapping for doc (enabled), its function's role from fn. NULL: out of memory. */
static mapping *mapping_new(const store_key *k, const json_t *doc, const char *conf,
                            const char *role)
{
    mapping *m = calloc(1, sizeof(*m));
    if (!m) return NULL;
    m->uuid = sdup(k->id), m->account = sdup(k->account), m->region = sdup(k->region);
    m->queue = sdup(jstr(doc, "EventSourceArn")), m->fn = sdup(jstr(doc, "FunctionArn"));
    m->role = sdup(role), m->conf = sdup(conf);
    m->stream = esm_stream_is(m->queue);
    m->batch = (int)jint(doc, "BatchSize", 10);
    m->window = (int)jint(doc, "MaximumBatchingWindowInSeconds", 0);
    m->concurrency =
        (int)jint(json_object_get(doc, "ScalingConfig"), "MaximumConcurrency", DEFAULT_CONCURRENCY);
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(doc, "FunctionResponseTypes"), i, x)
        if (json_string_value(x) && !strcmp(json_string_value(x), "ReportBatchItemFailures"))
            m->report = 1;
    const json_t *fl = json_object_get(json_object_get(doc, "FilterCriteria"), "Filters");
    m->filters = calloc(json_array_size(fl) + 1, sizeof(*m->filters));
    int bad = !m->uuid || !m->account || !m->region || !m->queue || !m->fn || !m->role ||
              !m->conf || !m->filters;
    json_array_foreach(fl, i, x) {
        if (bad) break;
        const char *p = jstr(x, "Pattern");
        ferr e = {0};
        /* checked when stored: a pattern that does not parse now matches nothing */
        sns_filter *f = p ? sns_filter_parse(p, strlen(p), SNS_SCOPE_BODY, "", &e) : NULL;
        if (f) m->filters[m->nfilters++] = f;
    }
    if (!bad && json_array_size(fl) && !m->nfilters) {
        log_warn("esm %s: no filter pattern parses: nothing will match", m->uuid);
        m->filters[m->nfilters++] = NULL;
    }
    if (bad) {
        mapping_free(m);
        return NULL;
    }
    m->ready = 1;
    m->limit = 1;
    return m;
}

typedef struct scan {
    store_txn *t;
    mapping *fresh; /* new configurations read */
} scan;

static int scan_one(void *ud, const store_key *k, json_t *doc)
{
    scan *s = ud;
    if (!jbool(doc, "_Enabled", 1)) return 0;
    if (E.node[0] && (!jstr(doc, "_node") || strcmp(jstr(doc, "_node"), E.node)))
        return 0; /* another node's to poll */
    const char *fn = jstr(doc, "FunctionArn"), *p = fn ? strstr(fn, ":function:") : NULL;
    if (!p) return 0;
    char name[200];
    snprintf(name, sizeof(name), "%.*s", (int)strcspn(p + 10, ":"), p + 10);
    store_key fk = {LAMBDA_FUNCTION_KIND, k->account, k->region, name};
    json_t *f = NULL;
    ferr e = {0};
    if (store_get(s->t, &fk, &f, &e) <= 0) return 0; /* its function is gone: nothing to do */
    const char *role = role_of(f, fn);
    /* what the workers use of the mapping, to notice a change */
    json_t *c = json_pack(
        "{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:s?}", "q",
        json_object_get(doc, "EventSourceArn"), "f", json_object_get(doc, "FunctionArn"), "b",
        json_object_get(doc, "BatchSize"), "w",
        json_object_get(doc, "MaximumBatchingWindowInSeconds"), "r",
        json_object_get(doc, "FunctionResponseTypes"), "p", json_object_get(doc, "FilterCriteria"),
        "s", json_object_get(doc, "ScalingConfig"), "role", role);
    /* a stream's own settings (esm_stream.h) */
    json_t *sx = c && esm_stream_is(jstr(doc, "EventSourceArn"))
                     ? json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}", "sp",
                                 json_object_get(doc, "StartingPosition"), "ss",
                                 json_object_get(doc, "_StartSeq"), "rt",
                                 json_object_get(doc, "MaximumRetryAttempts"), "ma",
                                 json_object_get(doc, "MaximumRecordAgeInSeconds"), "bi",
                                 json_object_get(doc, "BisectBatchOnFunctionError"), "d",
                                 json_object_get(doc, "DestinationConfig"))
                     : NULL;
    if (c && esm_stream_is(jstr(doc, "EventSourceArn")) && (!sx || json_object_update(c, sx))) {
        json_decref(c);
        c = NULL;
    }
    json_decref(sx);
    char *conf = c ? json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(c);
    mapping *m = conf && role ? mapping_new(k, doc, conf, role) : NULL;
    json_decref(f);
    free(conf);
    if (m) {
        m->next = s->fresh;
        s->fresh = m;
    }
    return 0;
}

/* ---- whose mappings (a shared store) ---- */

typedef struct unowned {
    store_txn *t;
    double now;
    json_t *keys; /* [[account, region, uuid]] */
} unowned;

static int unowned_one(void *ud, const store_key *k, json_t *doc)
{
    unowned *u = ud;
    const char *node = jstr(doc, "_node");
    ferr e = {0};
    if (!jbool(doc, "_Enabled", 1) || (node && !strcmp(node, E.node))) return 0;
    if (node && leases_held(u->t, E.node, node, u->now, &e) != 0) return 0; /* a live node's */
    return json_array_append_new(u->keys, json_pack("[s, s, s]", k->account, k->region, k->id)) ? -1
                                                                                                : 0;
}

/* The enabled mappings no node polls yet, or whose node's lease has run out, become this
 * node's (their "_node"), in one write transaction so that one node polls each; read first,
 * so that the write transaction is opened only when there is one. Returns how many, or -1. */
static int claim(ferry_env *env)
{
    unowned u = {NULL, clock_now(), json_array()};
    ferr e = {0};
    int taken = 0, rc = -1;
    if (!u.keys || store_begin(env->st, 0, &u.t, &e)) goto out;
    rc = store_list(u.t, LAMBDA_ESM_KIND, NULL, NULL, NULL, NULL, 0, unowned_one, &u, &e);
    store_rollback(u.t);
    if (rc < 0 || !json_array_size(u.keys)) goto out;
    if ((rc = store_begin(env->st, 1, &u.t, &e))) goto out;
    size_t i;
    json_t *x;
    json_array_foreach(u.keys, i, x) {
        store_key k = {LAMBDA_ESM_KIND, json_string_value(json_array_get(x, 0)),
                       json_string_value(json_array_get(x, 1)),
                       json_string_value(json_array_get(x, 2))};
        json_t *doc = NULL;
        char was[64];
        /* read again under the write lock: its owner as committed now */
        rc = store_get(u.t, &k, &doc, &e);
        if (rc == 1 && jbool(doc, "_Enabled", 1))
            rc = leases_take(u.t, E.node, doc, "_node", 0, u.now, was, sizeof(was), &e);
        if (rc == 2 && store_put(u.t, &k, doc, &e)) rc = -1;
        if (rc == 2) {
            if (was[0])
                log_info("esm: taking over mapping %s from node %s", k.id, was);
            else
                log_info("esm: mapping %s is this node's to poll", k.id);
            taken++;
        }
        json_decref(doc);
        if (rc < 0) break;
    }
    if (rc < 0)
        store_rollback(u.t);
    else if ((rc = store_commit(u.t, &e)))
        taken = 0;
out:
    if (ferr_isset(&e)) log_warn("esm: cannot claim mappings: %s", e.message);
    json_decref(u.keys);
    return rc < 0 ? -1 : taken;
}

/* leases.h: after each renewal, the mappings of nodes whose lease ran out become ours. */
static void takeover(ferry_env *env)
{
    pthread_mutex_lock(&mu);
    int mine = E.env == env && E.running && !E.stopping && E.node[0];
    pthread_mutex_unlock(&mu);
    if (!mine || claim(env) <= 0) return;
    pthread_mutex_lock(&mu);
    E.rescan = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

/* Reads the mappings (this node's: a new one is claimed first) and merges them into E.list. */
static void rescan(void)
{
    scan s = {0};
    ferr e = {0};
    if (E.node[0]) claim(E.env);
    if (store_begin(E.env->st, 0, &s.t, &e)) {
        log_warn("esm: cannot read the mappings: %s", e.message);
        return;
    }
    if (store_list(s.t, LAMBDA_ESM_KIND, NULL, NULL, NULL, NULL, 0, scan_one, &s, &e) < 0)
        log_warn("esm: cannot list the mappings: %s", e.message);
    store_rollback(s.t);
    pthread_mutex_lock(&mu);
    for (mapping *m = E.list; m; m = m->next) m->gone = 1;
    while (s.fresh) {
        mapping *n = s.fresh;
        s.fresh = n->next;
        n->next = NULL;
        mapping *m = find(n->uuid);
        if (m && !m->gone) m = NULL; /* a duplicate (cannot happen: ids are unique) */
        if (!m) {
            n->next = E.list;
            E.list = n;
            continue;
        }
        m->gone = 0;
        if (!strcmp(m->conf, n->conf)) {
            mapping_free(n);
        } else {
            mapping_free(m->pending);
            m->pending = n; /* taken below, or when its rounds end */
            m->ready = 1;
        }
    }
    /* a changed configuration replaces the old at once when no round runs */
    for (mapping *m = E.list; m; m = m->next) {
        if (!m->pending || m->busy) continue;
        mapping *n = m->pending;
        m->pending = NULL;
        if (strcmp(n->role, m->role)) m->who_expires = 0;
        char *t;
        t = m->queue, m->queue = n->queue, n->queue = t;
        t = m->fn, m->fn = n->fn, n->fn = t;
        t = m->role, m->role = n->role, n->role = t;
        t = m->conf, m->conf = n->conf, n->conf = t;
        sns_filter **f = m->filters;
        size_t nf = m->nfilters;
        m->filters = n->filters, m->nfilters = n->nfilters;
        n->filters = f, n->nfilters = nf;
        m->batch = n->batch, m->window = n->window, m->report = n->report;
        m->stream = n->stream;
        m->concurrency = n->concurrency;
        mapping_free(n);
    }
    reap();
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static void *manager(void *arg)
{
    (void)arg;
    uint64_t gen = 0;
    pthread_mutex_lock(&mu);
    while (!E.stopping) {
        uint64_t seq = waiters_seq(E.env->waits);
        uint64_t g = store_generation(E.env->st, LAMBDA_ESM_KIND);
        int now = E.rescan || g != gen;
        E.rescan = 0;
        if (!E.listening) {
            /* waiters_watch may fire at once, into waiter_cb, which takes mu */
            E.listening = 1;
            pthread_mutex_unlock(&mu);
            int bad = wait_on(LAMBDA_ESM_NOTIFY, clock_now() + 30, seq, "*");
            pthread_mutex_lock(&mu);
            if (bad) E.listening = 0;
        }
        if (now) {
            gen = g;
            pthread_mutex_unlock(&mu);
            rescan();
            pthread_mutex_lock(&mu);
            continue;
        }
        struct timespec ts = clock_deadline(1.0);
        pthread_cond_timedwait(&cv, &mu, &ts);
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

/* ---- a round ---- */

/* A snapshot of what a round uses, so that the list may change meanwhile. */
typedef struct round {
    mapping *m;
    arena *a;
    principal who;
    const char *uuid, *account, *region, *queue, *fn, *conf;
    int batch, window, report, stream;
} round;

static int call_sqs(round *r, const char *op, json_t *in, json_t **out, ferr *e)
{
    int rc = svc_invoke(E.env, &r->who, r->region, "sqs", op, in, out, NULL, e);
    json_decref(in);
    return rc;
}

/* The role's session (a new one a few minutes before the last expires) and the queue's
 * visibility timeout. 0, or -1 (logged). */
static int ensure_session(mapping *m, round *r)
{
    pthread_mutex_lock(&mu);
    int fresh = m->who_expires - SESSION_MARGIN > clock_now();
    if (fresh) r->who = m->who;
    char *role = strdup(m->role);
    pthread_mutex_unlock(&mu);
    if (fresh || !role) {
        free(role);
        return role || fresh ? 0 : -1;
    }
    principal lambda;
    session_service_principal(&lambda, "lambda.amazonaws.com", r->account);
    char sname[65];
    snprintf(sname, sizeof(sname), "awslambda_%.20s", r->uuid);
    session_req q = {.role_arn = role, .session_name = sname};
    session s;
    ferr e = {0};
    int rc = session_assume_as(E.env, NULL, NULL, &lambda, r->region, &q, &s, &e);
    free(role);
    if (rc) {
        log_warn("esm %s: cannot assume the function's role: %s", r->uuid, e.message);
        return -1;
    }
    r->who = s.key.who;
    json_t *out = NULL;
    int vis = 30;
    if (!r->stream && !call_sqs(r, "GetQueueAttributes",
                                json_pack("{s:s, s:[s]}", "QueueUrl", r->queue, "AttributeNames",
                                          "VisibilityTimeout"),
                                &out, &e)) {
        const char *v = jstr(json_object_get(out, "Attributes"), "VisibilityTimeout");
        if (v) vis = atoi(v);
    }
    json_decref(out);
    pthread_mutex_lock(&mu);
    m->who = s.key.who;
    m->who_expires = s.expires;
    m->visibility = vis;
    pthread_mutex_unlock(&mu);
    return 0;
}

/* Deletes the messages whose receipt handles are in handles[0..n), ten at a time. */
static void delete_messages(round *r, const char *const *handles, size_t n)
{
    for (size_t i = 0; i < n; i += 10) {
        json_t *entries = json_array();
        for (size_t j = i; j < n && j < i + 10 && entries; j++) {
            char id[24];
            snprintf(id, sizeof(id), "%zu", j);
            if (json_array_append_new(
                    entries, json_pack("{s:s, s:s}", "Id", id, "ReceiptHandle", handles[j]))) {
                json_decref(entries);
                entries = NULL;
            }
        }
        json_t *out = NULL;
        ferr e = {0};
        if (!entries ||
            call_sqs(r, "DeleteMessageBatch",
                     json_pack("{s:s, s:o}", "QueueUrl", r->queue, "Entries", entries), &out, &e))
            log_warn("esm %s: cannot delete processed messages: %s", r->uuid,
                     entries ? e.message : "out of memory");
        json_decref(out);
    }
}

/* 1 when record passes one of the mapping's filters (or it has none). A stream's record is
 * matched as it is (AWS: patterns address eventName, dynamodb.NewImage...). */
static int passes(mapping *m, const json_t *record)
{
    if (!m->nfilters) return 1;
    json_t *v = m->stream ? json_incref((json_t *)record) : esm_filter_view(record);
    int ok = 0;
    for (size_t i = 0; v && i < m->nfilters && !ok; i++)
        ok = m->filters[i] && sns_filter_match(m->filters[i], NULL, v);
    json_decref(v);
    return ok;
}

/* Invokes the function with records; fills failed[] (1: leave the message in the queue).
 * Returns 0, or -1 when the invocation could not be made (all failed). */
static int invoke(round *r, json_t *records, unsigned char *failed, const char *const *ids)
{
    size_t n = json_array_size(records);
    memset(failed, 1, n);
    json_t *ev = json_pack("{s:O}", "Records", records);
    char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    char *b64 = text ? enc_b64(r->a, (const unsigned char *)text, strlen(text)) : NULL;
    free(text);
    json_t *in = b64 ? json_pack("{s:s, s:s, s:s}", "FunctionName", r->fn, "InvocationType",
                                 "RequestResponse", "Payload", b64)
                     : NULL;
    if (!in) return -1;
    principal lambda;
    session_service_principal(&lambda, "lambda.amazonaws.com", r->account);
    json_t *out = NULL;
    ferr e = {0};
    int rc = svc_invoke_fn(E.env, &lambda, r->region, "lambda", &lambda_esm_invoke, r->uuid, in,
                           &out, &e);
    json_decref(in);
    if (rc) {
        log_warn("esm %s: invoking %s failed: %s: %s", r->uuid, r->fn, e.code, e.message);
        return -1;
    }
    if (jstr(out, "FunctionError")) {
        json_decref(out);
        return 0; /* all failed: back to the queue after its visibility timeout */
    }
    size_t plen = 0;
    const char *p64 = jstr(out, "Payload");
    unsigned char *payload = p64 ? enc_unb64(r->a, p64, strlen(p64), &plen) : NULL;
    if (r->report)
        esm_batch_failures((const char *)payload, plen, ids, n, failed);
    else
        memset(failed, 0, n);
    json_decref(out);
    return 0;
}

/* How a round ended: the mapping is polled again now, or parks until its queue has
 * messages (or its failed messages come back). */
enum { AGAIN, FULL, PARK, BACKOFF };

static int invoke_cb(void *ctx, json_t *records, unsigned char *failed, const char *const *ids)
{
    return invoke(ctx, records, failed, ids);
}

static int keep_cb(void *ctx, const json_t *record)
{
    round *r = ctx;
    pthread_mutex_lock(&mu);
    int ok = passes(r->m, record);
    pthread_mutex_unlock(&mu);
    return ok;
}

/* A round of a stream's mapping (esm_stream.c), its results as run_round's. */
static int stream_round(round *r)
{
    esm_stream_round sr = {.env = E.env,
                           .who = &r->who,
                           .a = r->a,
                           .uuid = r->uuid,
                           .account = r->account,
                           .region = r->region,
                           .stream = r->queue,
                           .fn = r->fn,
                           .conf = r->conf,
                           .batch = r->batch,
                           .invoke = invoke_cb,
                           .keep = keep_cb,
                           .ctx = r};
    switch (esm_stream_run(&sr)) {
    case ESM_STREAM_AGAIN: return AGAIN;
    case ESM_STREAM_FULL: return FULL;
    case ESM_STREAM_PARK: return PARK;
    default: return BACKOFF;
    }
}

static int run_round(round *r, uint64_t *seq)
{
    mapping *m = r->m;
    json_t *msgs = json_array();
    if (!msgs) return BACKOFF;
    double deadline = clock_now() + r->window;
    size_t bytes = 0;
    int result = AGAIN;
    for (;;) {
        size_t have = json_array_size(msgs);
        int want = r->batch - (int)have;
        if (want > 10) want = 10;
        *seq = waiters_seq(E.env->waits);
        json_t *out = NULL;
        ferr e = {0};
        if (call_sqs(r, "ReceiveMessage",
                     json_pack("{s:s, s:i, s:[s], s:[s]}", "QueueUrl", r->queue,
                               "MaxNumberOfMessages", want, "AttributeNames", "All",
                               "MessageAttributeNames", "All"),
                     &out, &e)) {
            log_warn("esm %s: cannot receive from %s: %s: %s", r->uuid, r->queue, e.code,
                     e.message);
            json_decref(out);
            result = BACKOFF;
            break;
        }
        const json_t *got = json_object_get(out, "Messages");
        size_t i;
        json_t *x;
        json_array_foreach(got, i, x) {
            bytes += strlen(jstr(x, "Body") ? jstr(x, "Body") : "") + 512;
            if (json_array_append(msgs, x)) break;
        }
        size_t ngot = json_array_size(got);
        json_decref(out);
        have = json_array_size(msgs);
        if ((int)have >= r->batch || bytes >= PAYLOAD_MAX) {
            result = FULL;
            break;
        }
        double now = clock_now();
        if (!have) {
            result = PARK;
            break;
        }
        if (now >= deadline) break;
        if (ngot == (size_t)want) continue; /* there may be more at once */
        /* gathering a batch: wait for the queue or the window's end */
        pthread_mutex_lock(&mu);
        unsigned long long w = E.wakes;
        pthread_mutex_unlock(&mu);
        int reg = !wait_on(r->queue, deadline, *seq, "");
        pthread_mutex_lock(&mu);
        struct timespec ts = clock_deadline(deadline - now);
        while (reg && w == E.wakes && !E.stopping)
            if (pthread_cond_timedwait(&cv, &mu, &ts)) break;
        int stop = E.stopping;
        pthread_mutex_unlock(&mu);
        if (stop) break;
    }
    size_t n = json_array_size(msgs);
    if (!n) {
        json_decref(msgs);
        return result;
    }
    json_t *records = json_array();
    const char **ids = arena_alloc(r->a, (n + 1) * sizeof(*ids));
    const char **handles = arena_alloc(r->a, (n + 1) * sizeof(*handles));
    const char **del = arena_alloc(r->a, (n + 1) * sizeof(*del));
    unsigned char *failed = arena_alloc(r->a, n + 1);
    const char **rec_handles = arena_alloc(r->a, (n + 1) * sizeof(*rec_handles));
    size_t ndel = 0, nrec = 0;
    if (!records || !ids || !handles || !del || !failed || !rec_handles) {
        json_decref(records);
        json_decref(msgs);
        return BACKOFF;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *msg = json_array_get(msgs, i);
        json_t *rec = esm_event_record(msg, r->queue, r->region);
        if (!rec) continue; /* out of memory: it comes back after its visibility timeout */
        pthread_mutex_lock(&mu);
        int ok = passes(m, rec);
        pthread_mutex_unlock(&mu);
        const char *h = jstr(msg, "ReceiptHandle");
        if (!ok) {
            /* AWS: a message no filter matches is deleted */
            del[ndel++] = h;
            json_decref(rec);
            continue;
        }
        ids[nrec] = jstr(msg, "MessageId") ? jstr(msg, "MessageId") : "";
        rec_handles[nrec++] = h;
        if (json_array_append_new(records, rec)) nrec--;
    }
    if (nrec) {
        int rc = invoke(r, records, failed, ids);
        int any_failed = 0;
        for (size_t i = 0; i < nrec; i++) {
            if (!failed[i])
                del[ndel++] = rec_handles[i];
            else
                any_failed = 1;
        }
        if (any_failed) {
            pthread_mutex_lock(&mu);
            double at = clock_now() + (m->visibility > 0 ? m->visibility : 30) + 0.05;
            if (!m->visible_at || at < m->visible_at) m->visible_at = at;
            pthread_mutex_unlock(&mu);
        }
        if (rc) result = BACKOFF;
    }
    delete_messages(r, del, ndel);
    json_decref(records);
    json_decref(msgs);
    return result;
}

/* A mapping ready to poll with room for another round (under mu), or NULL. */
static mapping *next_ready(double now)
{
    for (mapping *m = E.list; m; m = m->next)
        if (m->ready && !m->gone && !m->pending && m->busy < m->limit && m->not_before <= now)
            return m;
    return NULL;
}

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    while (!E.stopping) {
        double now = clock_now();
        mapping *m = next_ready(now);
        if (!m) {
            struct timespec ts = clock_deadline(1.0);
            pthread_cond_timedwait(&cv, &mu, &ts);
            continue;
        }
        m->busy++;
        round r = {.m = m, .a = arena_new(4096)};
        r.uuid = r.a ? arena_strdup(r.a, m->uuid) : NULL;
        r.account = r.a ? arena_strdup(r.a, m->account) : NULL;
        r.region = r.a ? arena_strdup(r.a, m->region) : NULL;
        r.queue = r.a ? arena_strdup(r.a, m->queue) : NULL;
        r.fn = r.a ? arena_strdup(r.a, m->fn) : NULL;
        r.conf = r.a ? arena_strdup(r.a, m->conf) : NULL;
        r.batch = m->batch, r.window = m->window, r.report = m->report, r.stream = m->stream;
        pthread_mutex_unlock(&mu);

        int result = BACKOFF;
        uint64_t seq = 0;
        if (r.uuid && r.account && r.region && r.queue && r.fn && r.conf &&
            !ensure_session(m, &r)) {
            seq = waiters_seq(E.env->waits);
            result = r.stream ? stream_round(&r) : run_round(&r, &seq);
        }
        arena_free(r.a);

        pthread_mutex_lock(&mu);
        m->busy--;
        now = clock_now();
        if (result == AGAIN || result == FULL) {
            m->ready = 1;
            if (result == FULL && m->limit < m->concurrency) m->limit++;
        } else if (result == BACKOFF) {
            m->ready = 1;
            m->not_before = now + ERROR_BACKOFF;
        } else if (m->ready && !m->waiting && !m->gone) {
            /* nothing to receive: wait for a send, the failed messages' return, or the
             * idle poll */
            double until = now + env_seconds("FERRY_ESM_POLL_SECONDS", 20);
            if (m->visible_at > now && m->visible_at < until) until = m->visible_at;
            if (m->visible_at <= now) m->visible_at = 0;
            m->ready = 0;
            m->limit = 1;
            m->waiting = 1; /* keeps m until the waiter fires */
            m->held++;      /* keeps m until we are back under mu, which may be after */
            char key[512], uuid[40];
            snprintf(key, sizeof(key), "%s", m->queue);
            snprintf(uuid, sizeof(uuid), "%s", m->uuid);
            pthread_mutex_unlock(&mu);
            int bad = wait_on(key, until, seq, uuid);
            pthread_mutex_lock(&mu);
            m->held--;
            if (bad) {
                m->waiting = 0;
                m->ready = 1;
                m->not_before = now + 1;
            }
        }
        if (m->pending && !m->busy) E.rescan = 1; /* its new configuration is waiting */
        reap();
        pthread_cond_broadcast(&cv);
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

static int start(ferry_env *env, ferr *e)
{
    if (!env->st || !env->waits || !svc_find("lambda") || !svc_find("sqs")) return 0;
    long n = (long)env_seconds("FERRY_ESM_MAX_POLLERS", DEFAULT_POLLERS);
    if (n > 256) n = 256;
    pthread_mutex_lock(&mu);
    E.env = env;
    E.stopping = 0;
    E.running = 1;
    E.rescan = 1;
    snprintf(E.node, sizeof(E.node), "%s", leases_self(env));
    E.workers = calloc((size_t)n, sizeof(*E.workers));
    pthread_mutex_unlock(&mu);
    if (!E.workers) return ferr_oom(e);
    if (pthread_create(&E.manager, NULL, manager, NULL)) {
        free(E.workers);
        E.workers = NULL;
        E.running = 0;
        return ferr_internal(e, "esm: cannot start its manager thread");
    }
    for (E.nworkers = 0; E.nworkers < n; E.nworkers++)
        if (pthread_create(&E.workers[E.nworkers], NULL, worker, NULL)) break;
    leases_on_tick(takeover);
    return 0;
}

static void stop(ferry_env *env)
{
    (void)env;
    if (!E.running) return;
    leases_off_tick(takeover);
    pthread_mutex_lock(&mu);
    E.stopping = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(E.manager, NULL);
    for (int i = 0; i < E.nworkers; i++) pthread_join(E.workers[i], NULL);
    free(E.workers);
    pthread_mutex_lock(&mu);
    E.workers = NULL;
    E.nworkers = 0;
    E.running = 0; /* waiters still registered find nothing and free their tokens */
    for (mapping *m = E.list; m; m = m->next) m->gone = 1, m->waiting = 0;
    reap();
    pthread_mutex_unlock(&mu);
}

const engine_def esm_engine = {"esm", start, stop};
