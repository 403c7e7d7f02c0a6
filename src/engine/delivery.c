/* The delivery engine (see delivery.h for the durability contract).
 *
 * Threads: one dispatcher owns the schedule (a heap of deliveries by due time, FIFO
 * groups, the messages with deliveries pending) and does the engine's own store writes,
 * batched: each round it (1) records the outcomes of finished attempts in one write
 * transaction, which also takes in newly submitted messages, then (2) loads what is due
 * in a read transaction and puts it on per-target ready lists. NWORKERS workers take
 * from those lists, up to 10 deliveries per queue (so batches form by themselves under
 * load) and, for SQS, the ready deliveries of many queues at once, stored under one
 * commit (svc_invoke_in as the sns.amazonaws.com service principal, so each queue's
 * policy decides); Lambda invocations; building HTTP requests that one libcurl thread
 * sends (delivery_http.c).
 *
 * Commit: a request submits its messages while its transaction is still open. The
 * dispatcher's write transaction cannot start before that one has ended (the store has
 * one writer at a time), and its read then finds the message, or finds that it was
 * rolled back. A backend without that property is covered by retrying a missing message
 * for a grace period before it is forgotten. */
#include "base/arn.h"
#include "delivery.h"

#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/checked.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/hmap.h"
#include "base/ids.h"
#include "base/jval.h"
#include "base/log.h"
#include "delivery_http.h"
#include "delivery_int.h"
#include "leases.h"

#define ROUND_MAX       8192   /* deliveries handed out per round */
#define SQS_BATCH       10     /* SQS SendMessageBatch: at most 10 entries */
#define SQS_BATCH_BYTES 250000 /* and 256 KiB together; keep a margin */
#define HTTP_TAKE       64     /* HTTP deliveries a worker prepares at once */
#define SQS_TAKE        160    /* SQS deliveries (several queues) a worker stores in one commit */
#define TAKE_MAX        SQS_TAKE
#define VERIFY_GRACE    5.0 /* seconds a submitted message may take to be visible */
#define NWORKERS        4 /* more than the cores: while one stores under the write lock, others sign */
#define DLQ_ATTEMPTS    4     /* sends to a dead-letter queue before giving up */
#define BATCH_WAIT      0.002 /* an SQS batch short of 10 waits this long for more */
#define MEM_MESSAGES    50000 /* messages kept in memory; past it they are read back when due */

/* ---- the schedule: a min-heap by (due, seq) ---- */

typedef struct heap {
    dlv **v;
    size_t n, cap;
} heap;

static int before(const dlv *a, const dlv *b)
{
    return a->due < b->due || (a->due == b->due && a->m->seq < b->m->seq);
}

static void hswap(heap *h, size_t i, size_t j)
{
    dlv *t = h->v[i];
    h->v[i] = h->v[j];
    h->v[j] = t;
    h->v[i]->heap_idx = i;
    h->v[j]->heap_idx = j;
}

static int heap_push(heap *h, dlv *d)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        dlv **v = realloc(h->v, cap * sizeof(*v));
        if (!v) return -1;
        h->v = v;
        h->cap = cap;
    }
    size_t i = h->n++;
    h->v[i] = d;
    d->heap_idx = i;
    while (i && before(h->v[i], h->v[(i - 1) / 2])) {
        hswap(h, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    d->state = D_QUEUED;
    return 0;
}

static dlv *heap_pop(heap *h)
{
    if (!h->n) return NULL;
    dlv *top = h->v[0];
    h->v[0] = h->v[--h->n];
    h->v[0]->heap_idx = 0;
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && before(h->v[l], h->v[m])) m = l;
        if (r < h->n && before(h->v[r], h->v[m])) m = r;
        if (m == i) break;
        hswap(h, i, m);
        i = m;
    }
    return top;
}

/* FIFO: deliveries of one (subscription, message group) go one at a time, in order. */
typedef struct fgroup {
    char *key;
    dlv *head, *tail; /* waiting behind the active one */
} fgroup;

typedef enum { J_SQS, J_LAMBDA, J_HTTP } job_kind;

/* Deliveries ready for one target (an SQS queue for one topic, a function, or all HTTP). */
typedef struct tqueue {
    job_kind kind;
    dlv *head, *tail;
    size_t n;
    int ready; /* on the ready list */
    struct tqueue *next;
} tqueue;

typedef struct engine {
    ferry_env *env;
    delivery_signer *signer;
    dhttp *http;
    pthread_t dispatcher, workers[NWORKERS];
    int nworkers, have_dispatcher;
    pthread_mutex_t mu;
    pthread_cond_t wake, work;
    dlv_msg *incoming; /* submitted messages, newest first */
    dlv *results;      /* attempted deliveries, newest first */
    hmap targets;      /* key -> tqueue */
    tqueue *ready, **ready_tail;
    int stop;
    size_t inflight; /* handed out and not back yet (under mu) */
    /* the dispatcher's own */
    heap h;
    hmap groups;
    hmap subs, topics; /* subscription and topic documents, read since cache_gen */
    hmap throttle;     /* HTTP/S subscription ARN -> double: its next delivery not before */
    uint64_t cache_gen;
} engine;

static engine *volatile g_eng;
/* Several nodes on one store: this node's id, which its messages name as their owner
 * ("Node"); "" on a store with one process, which owns every message. */
static char g_node[64];
static _Atomic unsigned long long g_seq;
static _Atomic unsigned long long st_delivered, st_failed, st_dlq, st_dropped, st_pending;
static _Atomic long g_mem_messages; /* dlv_msg with mc set */

static void set_mc(dlv_msg *m, msgctx *mc)
{
    if (m->mc) g_mem_messages--;
    msgctx_unref(m->mc);
    m->mc = mc;
    if (mc) g_mem_messages++;
}

static void dlv_release(dlv *d)
{
    msgctx_unref(d->mc);
    d->mc = NULL;
    json_decref(d->sub);
    d->sub = NULL;
    free(d->target);
    d->target = NULL;
    free(d->dlq);
    d->dlq = NULL;
}

static void dlv_free(dlv *d)
{
    if (!d) return;
    dlv_release(d);
    free(d->sub_arn);
    json_decref(d->sub_copy);
    free(d);
}

static void msg_free(dlv_msg *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n; i++) dlv_free(m->d[i]);
    free(m->d);
    free(m->group);
    json_decref(m->doc);
    set_mc(m, NULL);
    free(m);
}

static dlv *list_reverse(dlv *d)
{
    dlv *r = NULL;
    for (dlv *n; d; d = n) {
        n = d->next;
        d->next = r;
        r = d;
    }
    return r;
}

static unsigned long long next_seq(void)
{
    unsigned long long cur = g_seq;
    if (!cur) {
        /* microseconds since the epoch: later than anything a previous run stored (test
         * seam: FERRY_TEST_SNS_SEQ, where another node may number from as well) */
        const char *seam = getenv("FERRY_TEST_SNS_SEQ");
        unsigned long long now =
            seam ? strtoull(seam, NULL, 10) : (unsigned long long)(clock_now() * 1e6);
        __atomic_compare_exchange_n((unsigned long long *)&g_seq, &cur, now, 0, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST);
    }
    return ++g_seq;
}

static void seq_at_least(unsigned long long v)
{
    unsigned long long cur = g_seq;
    while (cur < v && !__atomic_compare_exchange_n((unsigned long long *)&g_seq, &cur, v, 0,
                                                   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
    }
}

/* ---- the public side ---- */

static int msg_add(dlv_msg *m, dlv *d)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 4;
        dlv **v = realloc(m->d, cap * sizeof(*v));
        if (!v) return -1;
        m->d = v;
        m->cap = cap;
    }
    d->m = m;
    d->idx = m->n;
    m->d[m->n++] = d;
    m->live++;
    return 0;
}

dlv_msg *delivery_message(delivery_batch *b, const char *account, const char *region,
                          const json_t *msg, ferr *e)
{
    dlv_msg *m = calloc(1, sizeof(*m));
    if (!m) return ferr_oom(e), NULL;
    m->seq = next_seq();
    /* the sequence orders a node's messages; several nodes on one store number theirs
     * independently, so the random part keeps two nodes' messages from sharing a key */
    char r[9];
    ids_hex(r, 8);
    snprintf(m->id, sizeof(m->id), "%020llu-%s", m->seq, r);
    snprintf(m->account, sizeof(m->account), "%s", account);
    snprintf(m->region, sizeof(m->region), "%s", region);
    const char *group = json_string_value(json_object_get(msg, "MessageGroupId"));
    m->group = group ? strdup(group) : NULL;
    m->doc = json_deep_copy(msg);
    if (!m->doc || (group && !m->group)) {
        msg_free(m);
        return ferr_oom(e), NULL;
    }
    m->next = b->head;
    b->head = m;
    return m;
}

int delivery_to(dlv_msg *m, const char *sub_arn, const json_t *sub_copy, ferr *e)
{
    dlv *d = calloc(1, sizeof(*d));
    if (!d || !(d->sub_arn = strdup(sub_arn)) ||
        (sub_copy && !(d->sub_copy = json_deep_copy(sub_copy))) || msg_add(m, d)) {
        dlv_free(d);
        return ferr_oom(e);
    }
    return 0;
}

/* "Deliveries": an ARN alone for a delivery not tried yet, else its state. */
static json_t *deliveries_json(const dlv_msg *m)
{
    json_t *arr = json_array();
    int rc = 0;
    for (size_t i = 0; i < m->n; i++) {
        const dlv *d = m->d[i];
        if (!d) continue;
        if (!d->attempts && !d->stage && !d->sub_copy && !d->err[0]) {
            rc |= json_array_append_new(arr, json_string(d->sub_arn));
            continue;
        }
        json_t *o =
            json_pack("{s:s, s:i, s:i, s:f, s:s}", "SubscriptionArn", d->sub_arn, "Attempts",
                      d->attempts, "Stage", d->stage, "Due", d->due, "LastError", d->err);
        if (o && d->sub_copy) rc |= json_object_set(o, "Sub", d->sub_copy);
        rc |= json_array_append_new(arr, o);
    }
    return jdone(arr, rc);
}

int delivery_write(delivery_batch *b, store_txn *t, ferr *e)
{
    for (dlv_msg *m = b->head; m; m = m->next) {
        if (!m->n || m->written) continue;
        if (json_object_set_new(m->doc, "Deliveries", deliveries_json(m)) ||
            (g_node[0] && json_object_set_new(m->doc, "Node", json_string(g_node))))
            return ferr_oom(e);
        store_key k = {SNS_KIND_MSG, m->account, m->region, m->id};
        int rc = store_put(t, &k, m->doc, e);
        json_object_del(m->doc, "Deliveries");
        if (rc) return -1;
        m->written = 1;
    }
    return 0;
}

void delivery_batch_dispose(delivery_batch *b)
{
    for (dlv_msg *m = b->head, *n; m; m = n) {
        n = m->next;
        msg_free(m);
    }
    b->head = NULL;
}

void delivery_submit(ferry_env *env, delivery_batch *b)
{
    engine *g = g_eng;
    /* messages without deliveries were not written */
    dlv_msg *keep = NULL;
    for (dlv_msg *m = b->head, *n; m; m = n) {
        n = m->next;
        if (!m->n) {
            msg_free(m);
            continue;
        }
        /* the engine keeps the message (within bounds): no need to read it back */
        if (g_mem_messages < MEM_MESSAGES)
            set_mc(m, msgctx_new(m->doc));
        else
            json_decref(m->doc);
        m->doc = NULL;
        m->next = keep;
        keep = m;
    }
    b->head = NULL;
    if (!keep) return;
    if (!g || g->env != env) {
        /* no engine here: the deliveries wait in the store for the next start */
        for (dlv_msg *m = keep, *n; m; m = n) {
            n = m->next;
            msg_free(m);
        }
        return;
    }
    double now = clock_now();
    dlv_msg *last = keep;
    for (dlv_msg *m = keep; m; m = m->next) {
        m->submitted = now;
        last = m;
    }
    pthread_mutex_lock(&g->mu);
    last->next = g->incoming;
    g->incoming = keep;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->mu);
}

const char *delivery_cert_pem(void)
{
    engine *g = g_eng;
    return g ? delivery_signer_cert_pem(g->signer) : NULL;
}

const char *delivery_base_url(const ferry_env *env)
{
    return env->endpoint[0] ? env->endpoint : "http://127.0.0.1:4566";
}

void delivery_get_stats(delivery_stats *out)
{
    out->delivered = st_delivered;
    out->failed_attempts = st_failed;
    out->dead_lettered = st_dlq;
    out->dropped = st_dropped;
    out->pending = st_pending;
}

/* ---- outcomes ---- */

static void post_result(engine *g, dlv *d)
{
    pthread_mutex_lock(&g->mu);
    d->next = g->results;
    g->results = d;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->mu);
}

static void set_result(dlv *d, int result, const char *code, const char *msg)
{
    d->result = result;
    snprintf(d->err_code, sizeof(d->err_code), "%.95s", code ? code : "");
    snprintf(d->err, sizeof(d->err), "%.299s", msg ? msg : "");
}

/* AWS: a server-side error (5xx, timeouts, unreachable) is retried per the delivery
 * policy; a client-side error (the endpoint refuses: 4xx, a queue policy that does not
 * let SNS in, a deleted queue) is not, and goes to the dead-letter queue or is dropped. */
static void classify_ferr(dlv *d, const ferr *e)
{
    set_result(d, e->status >= 500 ? DR_RETRY : DR_FAIL, e->code, e->message);
}

static void enqueue(engine *g, dlv *d)
{
    if (d->m->group) {
        char key[1024];
        snprintf(key, sizeof(key), "%s\x1f%s", d->sub_arn, d->m->group);
        fgroup *fg = hmap_get(&g->groups, key);
        if (fg) {
            d->fg = fg;
            d->state = D_BLOCKED;
            d->next = NULL;
            if (fg->tail)
                fg->tail->next = d;
            else
                fg->head = d;
            fg->tail = d;
            return;
        }
        fg = calloc(1, sizeof(*fg));
        if (fg && (fg->key = strdup(key)) && !hmap_put(&g->groups, key, fg, NULL))
            d->fg = fg;
        else if (fg) {
            free(fg->key);
            free(fg);
        }
    }
    heap_push(&g->h, d);
}

/* The next delivery of d's FIFO group may go. */
static void group_next(engine *g, dlv *d)
{
    fgroup *fg = d->fg;
    if (!fg) return;
    d->fg = NULL;
    dlv *n = fg->head;
    if (n) {
        fg->head = n->next;
        if (!fg->head) fg->tail = NULL;
        n->next = NULL;
        n->due = clock_now();
        heap_push(&g->h, n);
        return;
    }
    hmap_del(&g->groups, fg->key);
    free(fg->key);
    free(fg);
}

/* d is done (delivered, dead-lettered, dropped). Its message goes when it was the last. */
static void finish(engine *g, store_txn *t, dlv *d)
{
    dlv_msg *m = d->m;
    group_next(g, d);
    m->d[d->idx] = NULL;
    m->live--;
    st_pending--;
    dlv_free(d);
    if (m->live) return;
    ferr e = {0};
    store_key k = {SNS_KIND_MSG, m->account, m->region, m->id};
    if (store_del(t, &k, &e) < 0)
        log_error("delivery: message %s not deleted: %s", m->id, e.message);
    m->dirty = 0;
}

static void give_up(engine *g, store_txn *t, dlv *d)
{
    if (d->stage == 0 && d->dlq) {
        /* AWS: "messages that can't be delivered ... are held in the dead-letter queue" */
        d->stage = 1;
        d->attempts = 0;
        d->due = clock_now();
        d->m->dirty = 1;
        dlv_release(d);
        heap_push(&g->h, d);
        return;
    }
    log_warn("sns: dropped message %s for %s after %d attempt(s)%s: %s %s", d->m->id, d->sub_arn,
             d->attempts + 1, d->stage ? " to its dead-letter queue" : "", d->err_code, d->err);
    st_dropped++;
    finish(g, t, d);
}

/* Records d's attempt. */
static void record(engine *g, store_txn *t, dlv *d)
{
    switch (d->result) {
    case DR_ABORT: /* shutdown: still pending in the store */
        dlv_release(d);
        heap_push(&g->h, d);
        return;
    case DR_OK:
        if (d->stage)
            st_dlq++;
        else
            st_delivered++;
        finish(g, t, d);
        return;
    case DR_GONE:
        log_debug("sns: message %s not delivered to %s: %s", d->m->id, d->sub_arn, d->err);
        st_dropped++;
        finish(g, t, d);
        return;
    case DR_NOT_YET: /* the message is not visible yet: look again shortly */
        dlv_release(d);
        d->due = clock_now() + 0.05;
        heap_push(&g->h, d);
        return;
    case DR_RETRY: {
        st_failed++;
        d->attempts++;
        double delay = d->stage ? (d->attempts < DLQ_ATTEMPTS ? 0 : -1)
                                : delivery_policy_delay(&d->dp, d->attempts);
        if (delay < 0) {
            give_up(g, t, d);
            return;
        }
        /* AWS applies jitter to retries */
        if (delay > 0) delay *= 0.9 + 0.2 * ((double)rand() / RAND_MAX);
        log_info("sns: delivery of %s to %s failed (%s %s), retry %d in %.1fs", d->m->id,
                 d->sub_arn, d->err_code, d->err, d->attempts, delay);
        d->due = clock_now() + delay;
        d->m->dirty = 1;
        if (delay > 0) set_mc(d->m, NULL); /* waiting a while: read it again when due */
        dlv_release(d);
        heap_push(&g->h, d);
        return;
    }
    default:
        st_failed++;
        give_up(g, t, d);
        return;
    }
}

static int by_seq(const void *a, const void *b)
{
    const dlv_msg *x = *(dlv_msg *const *)a, *y = *(dlv_msg *const *)b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Keeps a message's retry state: its document with the deliveries still pending. */
static void rewrite(store_txn *t, dlv_msg *m)
{
    ferr e = {0};
    json_t *doc = NULL;
    store_key k = {SNS_KIND_MSG, m->account, m->region, m->id};
    int rc = store_get(t, &k, &doc, &e);
    if (rc == 1 && json_object_set_new(doc, "Deliveries", deliveries_json(m)))
        rc = ferr_oom(&e);
    else if (rc == 1)
        rc = store_put(t, &k, doc, &e);
    json_decref(doc);
    /* not kept: the retry state stays dirty for the next round (restart redelivers) */
    if (rc < 0)
        log_error("delivery: %s not updated: %s", m->id, e.message);
    else
        m->dirty = 0;
}

/* One write transaction: outcomes of attempts. It is also the barrier after which newly
 * submitted messages are committed (or rolled back). */
static int bookkeeping(engine *g, dlv_msg *inc, dlv *res, size_t *nres_out)
{
    *nres_out = 0;
    if (!inc && !res) return 0;
    ferr e = {0};
    store_txn *t = NULL;
    if (store_begin(g->env->st, 1, &t, &e)) {
        log_error("delivery: %s", e.message);
        return -1;
    }
    /* messages touched this round, to rewrite or free once their outcomes are in */
    dlv_msg *touched = NULL;
    size_t nres = 0;
    for (dlv *d = res, *n; d; d = n) {
        n = d->next;
        d->next = NULL;
        nres++;
        dlv_msg *m = d->m;
        record(g, t, d);
        if (!m->mark) {
            m->mark = 1;
            m->next = touched;
            touched = m;
        }
    }
    /* each message once: free the finished, rewrite the failed */
    for (dlv_msg *m = touched, *n; m; m = n) {
        n = m->next;
        m->next = NULL;
        m->mark = 0;
        if (!m->live)
            msg_free(m);
        else if (m->dirty)
            rewrite(t, m);
    }
    /* Not committed: this process goes on from its memory; the store still holds the
     * messages as they were, so a restart delivers them again (SNS is at-least-once). */
    if (store_commit(t, &e)) log_error("delivery: bookkeeping not committed: %s", e.message);
    /* newly submitted messages, in publish order */
    size_t n = 0;
    for (dlv_msg *m = inc; m; m = m->next) n++;
    dlv_msg **v = n ? malloc(n * sizeof(*v)) : NULL;
    size_t nv = 0;
    for (dlv_msg *m = inc, *nx; m; m = nx) {
        nx = m->next;
        m->next = NULL;
        if (v)
            v[nv++] = m;
        else
            msg_free(m);
    }
    if (nv) qsort(v, nv, sizeof(*v), by_seq);
    double now = clock_now();
    for (size_t i = 0; i < nv; i++) {
        for (size_t j = 0; j < v[i]->n; j++) {
            v[i]->d[j]->due = now;
            st_pending++;
            enqueue(g, v[i]->d[j]);
        }
    }
    free(v);
    *nres_out = nres;
    return 0;
}

/* ---- preparing a round ---- */

typedef struct dround {
    store_txn *t;
    hmap *subs, *topics;
} dround;

static void free_json(void *p)
{
    json_decref(p);
}

static json_t *load_cached(dround *r, hmap *cache, const store_key *k, const char *ck)
{
    json_t *v = hmap_get(cache, ck);
    if (v) return json_is_null(v) ? NULL : v;
    ferr e = {0};
    json_t *doc = NULL;
    if (store_get(r->t, k, &doc, &e) < 0) log_error("delivery: %s", e.message);
    hmap_put(cache, ck, doc ? doc : json_null(), NULL);
    return doc;
}

/* "arn:aws:sns:R:A:T:U" -> key of its document. */
static int sub_key(const char *arn, char *acct, char *region, char *id, size_t idn)
{
    const char *p = arn;
    const char *f[7];
    int n = 0;
    f[n++] = p;
    while ((p = strchr(p, ':')) && n < 7) f[n++] = ++p;
    if (n != 7 || !arn_rest(arn, "sns")) return -1;
    size_t rl = (size_t)(f[4] - f[3] - 1), al = (size_t)(f[5] - f[4] - 1);
    if (rl >= 32 || al != 12) return -1;
    memcpy(region, f[3], rl);
    region[rl] = 0;
    memcpy(acct, f[4], al);
    acct[al] = 0;
    snprintf(id, idn, "%s", f[5]);
    return 0;
}

/* Fills d for its attempt; 0, or -1 with d->result set (nothing to attempt). */
static int prepare(dround *r, dlv *d)
{
    json_t *sub = d->sub_copy;
    if (!sub) {
        char acct[16], region[32], id[400];
        if (sub_key(d->sub_arn, acct, region, id, sizeof(id))) {
            set_result(d, DR_GONE, "", "malformed subscription ARN");
            return -1;
        }
        store_key k = {SNS_KIND_SUB, acct, region, id};
        sub = load_cached(r, r->subs, &k, d->sub_arn);
    }
    if (!sub) {
        set_result(d, DR_GONE, "", "the subscription no longer exists");
        return -1;
    }
    msgctx *mc = d->m->mc;
    if (!mc) {
        ferr e = {0};
        json_t *doc = NULL;
        store_key k = {SNS_KIND_MSG, d->m->account, d->m->region, d->m->id};
        if (store_get(r->t, &k, &doc, &e) < 0) log_error("delivery: %s", e.message);
        if (!doc) {
            if (d->m->submitted && clock_now() - d->m->submitted < VERIFY_GRACE)
                set_result(d, DR_NOT_YET, "", "");
            else
                set_result(d, DR_GONE, "",
                           "the message is not in the store (its request rolled back)");
            return -1;
        }
        json_object_del(doc, "Deliveries");
        mc = msgctx_new(doc);
        if (mc) set_mc(d->m, mc);
        if (!mc) {
            set_result(d, DR_RETRY, "InternalFailure", "out of memory");
            return -1;
        }
    }
    d->mc = msgctx_ref(mc);
    d->sub = json_incref(sub);
    json_t *attrs = json_object_get(sub, "Attributes");
    snprintf(d->proto, sizeof(d->proto), "%s", jstr(sub, "Protocol") ? jstr(sub, "Protocol") : "");
    const char *raw = jstr(attrs, "RawMessageDelivery");
    d->raw = raw && !strcmp(raw, "true");
    const char *rp = jstr(attrs, "RedrivePolicy");
    if (rp) {
        json_error_t je;
        json_t *p = json_loads(rp, 0, &je);
        const char *dlq = jstr(p, "deadLetterTargetArn");
        if (dlq) d->dlq = strdup(dlq);
        json_decref(p);
    }
    if (!strcmp(d->proto, "http") || !strcmp(d->proto, "https")) {
        char acct[16], region[32], id[400];
        sub_key(d->sub_arn, acct, region, id, sizeof(id));
        char *colon = strrchr(id, ':');
        if (colon) *colon = 0;
        store_key tk = {"sns_topic", acct, region, id};
        json_t *topic = load_cached(r, r->topics, &tk,
                                    jstr(mc->doc, "TopicArn") ? jstr(mc->doc, "TopicArn") : id);
        delivery_policy_effective(jstr(json_object_get(topic, "Attributes"), "DeliveryPolicy"),
                                  jstr(attrs, "DeliveryPolicy"), &d->dp);
    } else {
        delivery_policy_managed(&d->dp);
    }
    const char *target = d->stage ? d->dlq : jstr(sub, "Endpoint");
    if (!target) {
        set_result(d, DR_GONE, "", "no dead-letter queue any more");
        return -1;
    }
    d->target = strdup(target);
    return 0;
}

static void tqueue_free(void *p)
{
    tqueue *q = p;
    for (dlv *d = q->head, *n; d; d = n) {
        n = d->next;
        d->next = NULL;
    }
    free(q);
}

/* Puts d on its target's ready list (under mu). */
static void make_ready(engine *g, dlv *d)
{
    job_kind kind = d->stage || !strcmp(d->proto, "sqs") ? J_SQS
                    : !strcmp(d->proto, "lambda")        ? J_LAMBDA
                                                         : J_HTTP;
    char key[1200];
    /* one SQS batch per queue and topic: the topic is the request's aws:SourceArn */
    if (kind == J_HTTP)
        snprintf(key, sizeof(key), "http");
    else
        snprintf(key, sizeof(key), "%s|%s", d->target,
                 jstr(d->mc->doc, "TopicArn") ? jstr(d->mc->doc, "TopicArn") : "");
    tqueue *q = hmap_get(&g->targets, key);
    if (!q) {
        q = calloc(1, sizeof(*q));
        if (!q || hmap_put(&g->targets, key, q, NULL)) {
            free(q);
            set_result(d, DR_RETRY, "InternalFailure", "out of memory");
            d->next = g->results;
            g->results = d;
            return;
        }
        q->kind = kind;
    }
    d->next = NULL;
    d->ready_at = clock_now();
    if (q->tail)
        q->tail->next = d;
    else
        q->head = d;
    q->tail = d;
    q->n++;
    if (!q->ready) {
        q->ready = 1;
        q->next = NULL;
        *g->ready_tail = q;
        g->ready_tail = &q->next;
    }
}

/* AWS: throttlePolicy.maxReceivesPerSecond "the maximum number of deliveries per second,
 * per subscription": spaced 1/rate apart. 1 when d must wait (it is put back). */
static int throttled(engine *g, dlv *d, double now)
{
    double *next = hmap_get(&g->throttle, d->sub_arn);
    if (!next) {
        next = calloc(1, sizeof(*next));
        if (!next || hmap_put(&g->throttle, d->sub_arn, next, NULL)) {
            free(next);
            return 0;
        }
    }
    if (*next > now) {
        dlv_release(d);
        d->due = *next;
        heap_push(&g->h, d);
        return 1;
    }
    *next = now + 1.0 / d->dp.max_per_second;
    return 0;
}

/* Hands out what is due. */
static void dispatch(engine *g)
{
    double now = clock_now();
    if (!g->h.n || g->h.v[0]->due > now) return;
    /* documents read in earlier rounds hold while no commit wrote subscriptions or topics
     * (generations move after a commit is visible, and are read before the reads below) */
    uint64_t gen =
        1 + store_generation(g->env->st, SNS_KIND_SUB) + store_generation(g->env->st, "sns_topic");
    if (g->cache_gen != gen) {
        hmap_clear(&g->subs, free_json);
        hmap_clear(&g->topics, free_json);
        g->cache_gen = gen;
    }
    dround r = {NULL, &g->subs, &g->topics};
    ferr e = {0};
    if (store_begin(g->env->st, 0, &r.t, &e)) {
        log_error("delivery: %s", e.message);
        return;
    }
    dlv *out = NULL;
    size_t n = 0;
    while (n < ROUND_MAX && g->h.n && g->h.v[0]->due <= now) {
        dlv *d = heap_pop(&g->h);
        d->state = D_INFLIGHT;
        d->result = DR_NONE;
        if (prepare(&r, d))
            d->result = d->result ? d->result : DR_RETRY;
        else if (d->dp.max_per_second > 0 && d->stage == 0 && throttled(g, d, now))
            continue; /* back on the heap for its turn */
        d->next = out;
        out = d;
        n++;
    }
    store_rollback(r.t);
    pthread_mutex_lock(&g->mu);
    g->inflight += n;
    for (dlv *d = list_reverse(out), *nx; d; d = nx) {
        nx = d->next;
        if (d->result != DR_NONE || g->stop) {
            /* nothing to attempt, or shutting down (still pending in the store) */
            if (d->result == DR_NONE) set_result(d, DR_ABORT, "", "");
            d->next = g->results;
            g->results = d;
        } else {
            make_ready(g, d);
        }
    }
    pthread_cond_broadcast(&g->work);
    pthread_mutex_unlock(&g->mu);
}

/* ---- the workers ---- */

static void sns_principal(const dlv *d, principal *p)
{
    memset(p, 0, sizeof(*p));
    p->kind = PRIN_SERVICE;
    snprintf(p->account, sizeof(p->account), "%s", d->m->account);
    snprintf(p->service, sizeof(p->service), "sns.amazonaws.com");
}

/* AWS: SNS calls SQS and Lambda on the topic's behalf, so their resource policies can
 * require aws:SourceArn (the topic) and aws:SourceAccount (its owner). */
static json_t *source_context(const dlv *d)
{
    return json_pack("{s:s, s:s}", "aws:SourceArn",
                     jstr(d->mc->doc, "TopicArn") ? jstr(d->mc->doc, "TopicArn") : "",
                     "aws:SourceAccount", d->m->account);
}

/* "arn:aws:sqs:R:A:Q": SQS takes the ARN as QueueUrl from internal callers; the call
 * runs in the queue's region. */
static int queue_url(const char *arn, char *url, size_t n, char *region)
{
    const char *p = arn_rest(arn, "sqs");
    if (!p) return -1;
    const char *c1 = strchr(p, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c1 || !c2 || c1 - p >= 32 || c2 - c1 - 1 != 12 || !c2[1] || strlen(arn) >= n) return -1;
    memcpy(region, p, (size_t)(c1 - p));
    region[c1 - p] = 0;
    snprintf(url, n, "%s", arn);
    return 0;
}

/* The SendMessage entry for d (without QueueUrl / Id). */
static json_t *sqs_entry(engine *g, dlv *d)
{
    int raw = 0;
    char *body = delivery_body(g->signer, delivery_base_url(g->env), d, &raw);
    if (!body) return NULL;
    json_t *e = json_pack("{s:s%}", "MessageBody", body, strlen(body));
    free(body);
    if (!e) return NULL;
    json_t *attrs = raw ? delivery_sqs_attributes(d->mc->doc) : NULL;
    /* any failure: NULL, the delivery is retried */
    int rc = raw && !attrs && json_object_size(json_object_get(d->mc->doc, "MessageAttributes"));
    if (d->stage) {
        /* what went wrong travels with a dead-lettered message */
        if (!attrs) attrs = json_object();
        rc |= json_object_set_new(attrs, "ErrorCode",
                                  json_pack("{s:s, s:s}", "DataType", "String", "StringValue",
                                            d->err_code[0] ? d->err_code : "Unknown"));
        rc |= json_object_set_new(attrs, "ErrorMessage",
                                  json_pack("{s:s, s:s}", "DataType", "String", "StringValue",
                                            d->err[0] ? d->err : "delivery failed"));
        rc |= json_object_set_new(
            attrs, "TopicArn",
            json_pack("{s:s, s:s}", "DataType", "String", "StringValue",
                      jstr(d->mc->doc, "TopicArn") ? jstr(d->mc->doc, "TopicArn") : ""));
        char rid[37];
        ids_uuid(rid);
        rc |= json_object_set_new(
            attrs, "RequestID", json_pack("{s:s, s:s}", "DataType", "String", "StringValue", rid));
    }
    if (attrs) rc |= json_object_set_new(e, "MessageAttributes", attrs);
    size_t tl = strlen(d->target);
    if (tl > 5 && !strcmp(d->target + tl - 5, ".fifo")) {
        const char *grp = jstr(d->mc->doc, "MessageGroupId"),
                   *dd = jstr(d->mc->doc, "MessageDeduplicationId");
        if (grp) rc |= json_object_set_new(e, "MessageGroupId", json_string(grp));
        rc |= json_object_set_new(e, "MessageDeduplicationId",
                                  json_string(dd ? dd : jstr(d->mc->doc, "MessageId")));
    }
    return jdone(e, rc);
}

/* One commit for many queues: the sends run inside the worker's transaction t */
typedef struct sqs_txn {
    store_txn *t;
    arena *a;
} sqs_txn;

static void send_one(engine *g, sqs_txn *x, dlv *d, json_t *entry, const char *url,
                     const char *region)
{
    principal p;
    sns_principal(d, &p);
    json_t *ctx = source_context(d), *out = NULL;
    ferr e = {0};
    if (json_object_set_new(entry, "QueueUrl", json_string(url)))
        set_result(d, DR_RETRY, "InternalFailure", "out of memory");
    else if (svc_invoke_in(x->t, x->a, g->env, &p, region, "sqs", "SendMessage", entry, &out, ctx,
                           &e))
        classify_ferr(d, &e);
    else
        set_result(d, DR_OK, "", "");
    json_decref(out);
    json_decref(ctx);
}

static void send_batch(engine *g, sqs_txn *x, dlv **v, json_t **entries, size_t n, const char *url,
                       const char *region)
{
    principal p;
    sns_principal(v[0], &p);
    json_t *ctx = source_context(v[0]), *list = json_array(), *out = NULL;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        char id[24];
        snprintf(id, sizeof(id), "m%zu", i);
        bad |= json_object_set_new(entries[i], "Id", json_string(id)) |
               json_array_append(list, entries[i]);
    }
    json_t *in = json_pack("{s:s, s:o}", "QueueUrl", url, "Entries", list);
    ferr e = {0};
    if (bad || !in) {
        ferr_oom(&e);
        for (size_t i = 0; i < n; i++) classify_ferr(v[i], &e);
    } else if (svc_invoke_in(x->t, x->a, g->env, &p, region, "sqs", "SendMessageBatch", in, &out,
                             ctx, &e)) {
        for (size_t i = 0; i < n; i++) classify_ferr(v[i], &e);
    } else {
        for (size_t i = 0; i < n; i++)
            set_result(v[i], DR_RETRY, "InternalFailure", "no result for the entry");
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(out, "Successful"), i, x) {
            const char *id = jstr(x, "Id");
            size_t k = id && id[0] == 'm' ? strtoul(id + 1, NULL, 10) : n;
            if (k < n) set_result(v[k], DR_OK, "", "");
        }
        json_array_foreach(json_object_get(out, "Failed"), i, x) {
            const char *id = jstr(x, "Id");
            size_t k = id && id[0] == 'm' ? strtoul(id + 1, NULL, 10) : n;
            if (k < n)
                set_result(v[k],
                           json_is_true(json_object_get(x, "SenderFault")) ? DR_FAIL : DR_RETRY,
                           jstr(x, "Code"), jstr(x, "Message"));
        }
    }
    json_decref(in);
    json_decref(out);
    json_decref(ctx);
}

/* The deliveries to one queue (at most SQS_BATCH), in x's transaction. */
static void send_queue(engine *g, sqs_txn *x, dlv **items, size_t nitems, json_t *const *built)
{
    char url[600], region[32];
    json_t *entries[SQS_BATCH];
    dlv *ok[SQS_BATCH];
    size_t n = 0;
    if (queue_url(items[0]->target, url, sizeof(url), region)) {
        for (size_t i = 0; i < nitems; i++)
            set_result(items[i], DR_FAIL, "InvalidParameter", "not an SQS queue ARN");
        return;
    }
    for (size_t i = 0; i < nitems; i++) {
        if (!built[i]) {
            set_result(items[i], DR_RETRY, "InternalFailure", "cannot build the message");
            continue;
        }
        entries[n] = built[i];
        ok[n++] = items[i];
    }
    const svc_def *sqs = svc_find("sqs");
    int batch = n > 1 && sqs && svc_find_op(sqs, "SendMessageBatch");
    size_t start = 0, bytes = 0;
    for (size_t i = 0; i <= n; i++) {
        size_t len = i < n ? strlen(jstr(entries[i], "MessageBody")) : 0;
        if (i == n || (batch && i > start && bytes + len > SQS_BATCH_BYTES) || !batch) {
            if (i > start) {
                uint64_t t0 = clock_mono_ns();
                if (batch && i - start > 1)
                    send_batch(g, x, ok + start, entries + start, i - start, url, region);
                else
                    for (size_t k = start; k < i; k++)
                        send_one(g, x, ok[k], entries[k], url, region);
                log_debug("delivery: %zu to %s in %lluus", i - start, url,
                          (unsigned long long)(clock_mono_ns() - t0) / 1000);
            }
            start = i;
            bytes = 0;
        }
        bytes += len;
    }
}

/* items: deliveries for one or more queues, each queue's contiguous. Their messages are
 * built (and signed) first, then stored in every queue under one commit: a commit per
 * queue was most of a fan-out's store cost. */
static void run_sqs(engine *g, dlv **items, size_t nitems)
{
    json_t *entries[TAKE_MAX];
    for (size_t i = 0; i < nitems; i++) entries[i] = sqs_entry(g, items[i]);
    sqs_txn x = {NULL, arena_new(16384)};
    ferr e = {0};
    if (!x.a || store_begin(g->env->st, 1, &x.t, &e)) {
        for (size_t i = 0; i < nitems; i++)
            set_result(items[i], DR_RETRY, "InternalFailure", "store unavailable");
        goto done;
    }
    for (size_t i = 0; i < nitems;) {
        size_t j = i + 1;
        while (j < nitems && j - i < SQS_BATCH && !strcmp(items[j]->target, items[i]->target)) j++;
        send_queue(g, &x, items + i, j - i, entries + i);
        i = j;
    }
    if (store_commit(x.t, &e)) {
        /* nothing of it happened, refusals' audit records included: all are tried again */
        log_warn("delivery: cannot commit %zu SQS deliveries: %s", nitems, e.message);
        for (size_t i = 0; i < nitems; i++)
            set_result(items[i], DR_RETRY, "InternalFailure", e.message);
    }
done:
    arena_free(x.a); /* after the commit: it runs the deferred long-poll wakes */
    for (size_t i = 0; i < nitems; i++) json_decref(entries[i]);
}

static void run_lambda(engine *g, dlv *d)
{
    char *ev = delivery_lambda_event(g->signer, delivery_base_url(g->env), d);
    arena *a = arena_new(1024);
    if (!ev || !a) {
        free(ev);
        arena_free(a);
        set_result(d, DR_RETRY, "InternalFailure", "cannot build the event");
        return;
    }
    const char *region = "us-east-1";
    char rbuf[32];
    const char *p = arn_rest(d->target, "lambda"), *c = p ? strchr(p, ':') : NULL;
    if (c && c - p < (long)sizeof(rbuf)) {
        memcpy(rbuf, p, (size_t)(c - p));
        rbuf[c - p] = 0;
        region = rbuf;
    }
    json_t *in = json_pack("{s:s, s:s, s:s}", "FunctionName", d->target, "InvocationType", "Event",
                           "Payload", enc_b64(a, (unsigned char *)ev, strlen(ev)));
    principal pr;
    sns_principal(d, &pr);
    json_t *ctx = source_context(d), *out = NULL;
    ferr e = {0};
    if (svc_invoke(g->env, &pr, region, "lambda", "Invoke", in, &out, ctx, &e)) {
        if (e.status == 501) e.status = 503; /* Lambda not there yet: retry, do not drop */
        classify_ferr(d, &e);
    } else {
        set_result(d, DR_OK, "", "");
    }
    json_decref(in);
    json_decref(out);
    json_decref(ctx);
    arena_free(a);
    free(ev);
}

static void run_http(engine *g, dlv *d)
{
    int raw = 0;
    char *body = delivery_body(g->signer, delivery_base_url(g->env), d, &raw);
    if (!body) {
        set_result(d, DR_RETRY, "InternalFailure", "cannot build the message");
        post_result(g, d);
        return;
    }
    const json_t *m = d->mc->doc;
    const char *type = jstr(m, "Type") ? jstr(m, "Type") : "Notification";
    char h[6][700];
    const char *hv[6];
    size_t nh = 0;
    int conf = !strcmp(type, "SubscriptionConfirmation");
    snprintf(h[nh++], sizeof(h[0]), "Content-Type: %s",
             raw || !strcmp(type, "Notification") ? d->dp.content_type
                                                  : "text/plain; charset=UTF-8");
    snprintf(h[nh++], sizeof(h[0]), "x-amz-sns-message-type: %s", type);
    snprintf(h[nh++], sizeof(h[0]), "x-amz-sns-message-id: %s", jstr(m, "MessageId"));
    snprintf(h[nh++], sizeof(h[0]), "x-amz-sns-topic-arn: %s", jstr(m, "TopicArn"));
    if (!conf) snprintf(h[nh++], sizeof(h[0]), "x-amz-sns-subscription-arn: %s", d->sub_arn);
    if (raw) snprintf(h[nh++], sizeof(h[0]), "x-amz-sns-rawdelivery: true");
    for (size_t i = 0; i < nh; i++) hv[i] = h[i];
    if (dhttp_post(g->http, d, d->target, body, strlen(body), hv, nh)) {
        set_result(d, g->stop ? DR_ABORT : DR_RETRY, "InternalFailure", "cannot queue the request");
        post_result(g, d);
    }
    free(body);
}

/* HTTP thread: an attempt ended. AWS counts 2xx as delivered; 4xx are the endpoint's
 * refusal (not retried); 5xx, 429, no answer and timeouts are retried. */
static void http_done(void *ud, void *item, long status, const char *err)
{
    engine *g = ud;
    dlv *d = item;
    char code[32];
    snprintf(code, sizeof(code), "HTTP %ld", status);
    if (status < 0)
        set_result(d, DR_ABORT, "", "");
    else if (status >= 200 && status < 300)
        set_result(d, DR_OK, "", "");
    else if (status >= 400 && status < 500 && status != 429)
        set_result(d, DR_FAIL, code, "the endpoint refused the message");
    else
        set_result(d, DR_RETRY, status ? code : "NoResponse", status ? "the endpoint failed" : err);
    post_result(g, d);
}

/* Moves up to max of the deliveries of the target *pp points to into out; the target
 * leaves the ready list, or goes to its back when it has more. *pp is then the next. */
static size_t take_from(engine *g, tqueue **pp, dlv **out, size_t max)
{
    tqueue *q = *pp;
    *pp = q->next;
    if (!*pp) g->ready_tail = pp;
    size_t n = 0;
    while (n < max && q->head) {
        dlv *d = q->head;
        q->head = d->next;
        if (!q->head) q->tail = NULL;
        d->next = NULL;
        q->n--;
        out[n++] = d;
    }
    if (q->head) {
        q->next = NULL;
        *g->ready_tail = q;
        g->ready_tail = &q->next;
    } else {
        q->ready = 0;
    }
    return n;
}

/* Takes up to a batch from the first ready target that has a full one, or has waited
 * BATCH_WAIT for it to fill (under mu); when that is an SQS queue, also what every other
 * ready queue has, up to cap, for one commit. 0 when none is ready yet: *until says when
 * one will be. */
static size_t take(engine *g, dlv **out, size_t cap, job_kind *kind, double *until)
{
    double now = clock_now();
    *until = now + 1;
    tqueue **pp = &g->ready, *q = NULL;
    for (; *pp; pp = &(*pp)->next) {
        tqueue *c = *pp;
        double at = c->head ? c->head->ready_at + BATCH_WAIT : now;
        if (c->kind != J_SQS || c->n >= SQS_BATCH || at <= now || g->stop) {
            q = c;
            break;
        }
        if (at < *until) *until = at;
    }
    if (!q) return 0;
    *kind = q->kind;
    size_t max = q->kind == J_SQS ? SQS_BATCH : q->kind == J_HTTP ? HTTP_TAKE : 1;
    size_t n = take_from(g, pp, out, max < cap ? max : cap);
    if (q->kind != J_SQS) return n;
    size_t len = 0; /* each target on the list once (one taken from goes to the back) */
    for (tqueue *c = g->ready; c; c = c->next) len++;
    for (tqueue **p = &g->ready; *p && len-- && n < cap;) {
        if ((*p)->kind == J_SQS && (*p)->head)
            n += take_from(g, p, out + n, cap - n < SQS_BATCH ? cap - n : SQS_BATCH);
        else
            p = &(*p)->next;
    }
    return n;
}

static void *worker_main(void *arg)
{
    engine *g = arg;
    dlv *items[TAKE_MAX];
    pthread_mutex_lock(&g->mu);
    for (;;) {
        while (!g->ready && !g->stop) pthread_cond_wait(&g->work, &g->mu);
        job_kind kind;
        double until;
        size_t n = take(g, items, TAKE_MAX, &kind, &until);
        if (!n && g->ready) {
            /* batches filling up: wait until one is due */
            struct timespec ts;
            ts.tv_sec = (time_t)until;
            ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
            pthread_cond_timedwait(&g->work, &g->mu, &ts);
            continue;
        }
        if (!n) break;
        int stop = g->stop;
        pthread_mutex_unlock(&g->mu);
        if (stop) {
            for (size_t i = 0; i < n; i++) {
                set_result(items[i], DR_ABORT, "", "");
                post_result(g, items[i]);
            }
        } else if (kind == J_SQS) {
            run_sqs(g, items, n);
            for (size_t i = 0; i < n; i++) post_result(g, items[i]);
        } else if (kind == J_LAMBDA) {
            run_lambda(g, items[0]);
            post_result(g, items[0]);
        } else {
            for (size_t i = 0; i < n; i++)
                run_http(g, items[i]); /* posts when the response comes */
        }
        pthread_mutex_lock(&g->mu);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

/* ---- the dispatcher ---- */

static double next_due(engine *g)
{
    return g->h.n ? g->h.v[0]->due : clock_now() + 3600;
}

static void *dispatcher_main(void *arg)
{
    engine *g = arg;
    /* URLs in messages name ferry's endpoint, known once the server listens */
    for (int i = 0; i < 1000 && !__atomic_load_n(&g->env->endpoint[0], __ATOMIC_ACQUIRE) &&
                    !__atomic_load_n(&g->stop, __ATOMIC_ACQUIRE);
         i++) {
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&g->mu);
    for (;;) {
        for (;;) {
            if (g->incoming || g->results) break;
            if (g->stop) {
                if (!g->inflight) break;
            } else if (next_due(g) <= clock_now()) {
                break;
            }
            double until = g->stop ? clock_now() + 0.1 : next_due(g);
            if (until > clock_now() + 1) until = clock_now() + 1;
            struct timespec ts;
            ts.tv_sec = (time_t)until;
            ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
            pthread_cond_timedwait(&g->wake, &g->mu, &ts);
        }
        if (g->stop && !g->inflight && !g->results) break;
        dlv_msg *inc = g->incoming;
        dlv *res = list_reverse(g->results);
        g->incoming = NULL;
        g->results = NULL;
        int stop = g->stop;
        pthread_mutex_unlock(&g->mu);
        if (stop) {
            /* pending in the store for the next start */
            for (dlv_msg *m = inc, *nx; m; m = nx) {
                nx = m->next;
                msg_free(m);
            }
            inc = NULL;
        }
        uint64_t t0 = clock_mono_ns();
        size_t nres = 0;
        if (bookkeeping(g, inc, res, &nres)) {
            /* the store refused: everything back for the next round */
            pthread_mutex_lock(&g->mu);
            for (dlv_msg *m = inc, *nx; m; m = nx) {
                nx = m->next;
                m->next = g->incoming;
                g->incoming = m;
            }
            for (dlv *d = res, *nx; d; d = nx) {
                nx = d->next;
                d->next = g->results;
                g->results = d;
            }
            pthread_mutex_unlock(&g->mu);
            struct timespec ts = {0, 100000000};
            nanosleep(&ts, NULL);
        } else if (!stop) {
            uint64_t t1 = clock_mono_ns();
            dispatch(g);
            log_debug(
                "delivery: round: %zu outcomes, bookkeeping %lluus, dispatch %lluus, %zu queued",
                nres, (unsigned long long)(t1 - t0) / 1000,
                (unsigned long long)(clock_mono_ns() - t1) / 1000, g->h.n);
        }
        pthread_mutex_lock(&g->mu);
        g->inflight -= nres;
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

/* ---- start and stop ---- */

typedef struct loader {
    dlv_msg **v;
    size_t n, cap;
} loader;

static int load_cb(void *ud, const store_key *k, json_t *doc)
{
    loader *l = ud;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1024;
        dlv_msg **v = realloc(l->v, cap * sizeof(*v));
        if (!v) return 1;
        l->v = v;
        l->cap = cap;
    }
    dlv_msg *m = calloc(1, sizeof(*m));
    if (!m) return 1;
    snprintf(m->id, sizeof(m->id), "%s", k->id);
    snprintf(m->account, sizeof(m->account), "%s", k->account);
    snprintf(m->region, sizeof(m->region), "%s", k->region);
    m->seq = strtoull(k->id, NULL, 10);
    const char *group = jstr(doc, "MessageGroupId");
    m->group = group ? strdup(group) : NULL;
    snprintf(m->node, sizeof(m->node), "%s", jstr(doc, "Node") ? jstr(doc, "Node") : "");
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(doc, "Deliveries"), i, x) {
        const char *sub = json_is_string(x) ? json_string_value(x) : jstr(x, "SubscriptionArn");
        dlv *d = sub ? calloc(1, sizeof(*d)) : NULL;
        if (!d) continue;
        d->sub_arn = strdup(sub);
        json_t *copy = json_object_get(x, "Sub");
        d->sub_copy = copy ? json_deep_copy(copy) : NULL;
        d->attempts = (int)json_integer_value(json_object_get(x, "Attempts"));
        d->stage = (int)json_integer_value(json_object_get(x, "Stage"));
        json_t *due = json_object_get(x, "Due");
        d->due = json_is_number(due) ? json_number_value(due) : 0;
        snprintf(d->err, sizeof(d->err), "%s", jstr(x, "LastError") ? jstr(x, "LastError") : "");
        if (!d->sub_arn || msg_add(m, d)) dlv_free(d);
    }
    l->v[l->n++] = m;
    return 0;
}

static void loader_free(loader *l)
{
    for (size_t i = 0; i < l->n; i++) msg_free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* Loads the messages this node is to deliver into l: all of them on a store of one
 * process; on a shared one those whose owner's lease has run out (and at start this node's
 * own, under a --node-id kept across restarts), made this node's in one write transaction
 * first, so that two nodes never take the same. 0 or -1. */
static int claim(ferry_env *env, int at_start, loader *l, ferr *e)
{
    store_txn *t = NULL;
    if (store_begin(env->st, 0, &t, e)) return -1;
    int n = store_list(t, SNS_KIND_MSG, NULL, NULL, NULL, NULL, 0, load_cb, l, e);
    store_rollback(t);
    if (n < 0) {
        loader_free(l);
        return -1;
    }
    if (!g_node[0] || !l->n) return 0;
    if (store_begin(env->st, 1, &t, e)) {
        loader_free(l);
        return -1;
    }
    double now = clock_now();
    size_t kept = 0;
    int rc = 0;
    for (size_t i = 0; i < l->n; i++) {
        dlv_msg *m = l->v[i];
        /* read again under the write lock: its owner as committed now */
        store_key k = {SNS_KIND_MSG, m->account, m->region, m->id};
        json_t *doc = NULL;
        int got = rc ? 0 : store_get(t, &k, &doc, e);
        char owner[64] = "";
        int take = got == 1
                       ? leases_take(t, g_node, doc, "Node", at_start, now, owner, sizeof(owner), e)
                       : 0;
        if (got < 0 || take < 0 || (take == 2 && store_put(t, &k, doc, e))) rc = -1;
        json_decref(doc);
        if (take > 0 && !rc) {
            if (take == 2)
                log_info("delivery: taking over message %s from node %s", m->id,
                         *owner ? owner : "(none)");
            l->v[kept++] = m;
        } else {
            msg_free(m);
        }
    }
    l->n = kept;
    if (!rc)
        rc = store_commit(t, e);
    else
        store_rollback(t);
    if (rc) loader_free(l);
    return rc ? -1 : 0;
}

/* leases.h: after each renewal, the messages of nodes whose lease ran out are delivered
 * from here, as if just published (their retry state kept, each due now). */
static void takeover(ferry_env *env)
{
    engine *g = g_eng;
    if (!g || g->env != env || !g_node[0]) return;
    loader l = {0};
    ferr e = {0};
    if (claim(env, 0, &l, &e)) {
        log_error("delivery: takeover: %s", e.message);
        return;
    }
    if (!l.n) {
        free(l.v);
        return;
    }
    double now = clock_now();
    dlv_msg *head = NULL;
    for (size_t i = l.n; i-- > 0;) {
        dlv_msg *m = l.v[i];
        seq_at_least(m->seq);
        if (!m->n) {
            msg_free(m);
            continue;
        }
        m->submitted = now;
        m->next = head;
        head = m;
    }
    free(l.v);
    if (!head) return;
    dlv_msg *last = head;
    while (last->next) last = last->next;
    pthread_mutex_lock(&g->mu);
    last->next = g->incoming;
    g->incoming = head;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->mu);
}

static void free_group(void *p)
{
    fgroup *fg = p;
    free(fg->key);
    free(fg);
}

/* Collects m once into *all (mark set). */
static void collect(dlv_msg *m, dlv_msg **all)
{
    if (m->mark) return;
    m->mark = 1;
    m->next = *all;
    *all = m;
}

static int collect_group(void *fg, void *all)
{
    for (dlv *d = ((fgroup *)fg)->head; d; d = d->next) collect(d->m, all);
    return 0;
}

/* Frees every message still known (each owns its deliveries): they are reachable from
 * the heap, the FIFO groups and what was submitted last. */
static void engine_free(engine *g)
{
    dlv_msg *all = NULL;
    for (size_t i = 0; i < g->h.n; i++) collect(g->h.v[i]->m, &all);
    hmap_each(&g->groups, collect_group, &all);
    for (dlv_msg *m = g->incoming, *n; m; m = n) {
        n = m->next;
        collect(m, &all);
    }
    for (dlv_msg *m = all, *n; m; m = n) {
        n = m->next;
        msg_free(m);
    }
    free(g->h.v);
    hmap_clear(&g->groups, free_group);
    hmap_clear(&g->targets, tqueue_free);
    hmap_clear(&g->subs, free_json);
    hmap_clear(&g->topics, free_json);
    hmap_clear(&g->throttle, free);
    delivery_signer_free(g->signer);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->wake);
    pthread_cond_destroy(&g->work);
    free(g);
}

static void engine_stop(ferry_env *env)
{
    engine *g = g_eng;
    if (!g || g->env != env) return;
    leases_off_tick(takeover); /* no takeover runs into what is freed below */
    pthread_mutex_lock(&g->mu);
    __atomic_store_n(&g->stop, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&g->work);
    pthread_cond_broadcast(&g->wake);
    pthread_mutex_unlock(&g->mu);
    for (int i = 0; i < g->nworkers; i++) pthread_join(g->workers[i], NULL);
    dhttp_free(g->http); /* what is in flight comes back abandoned */
    g->http = NULL;
    if (g->have_dispatcher) pthread_join(g->dispatcher, NULL);
    log_info("delivery: stopped; %llu delivered, %llu dead-lettered, %llu dropped, %llu failed "
             "attempts, "
             "%llu signatures",
             (unsigned long long)st_delivered, (unsigned long long)st_dlq,
             (unsigned long long)st_dropped, (unsigned long long)st_failed,
             (unsigned long long)delivery_signatures);
    g_eng = NULL;
    st_pending = 0;
    engine_free(g);
    curl_global_cleanup();
}

static int engine_start(ferry_env *env, ferr *e)
{
    if (g_eng) return ferr_internal(e, "the delivery engine is already running");
    engine *g = calloc(1, sizeof(*g));
    if (!g) return ferr_oom(e);
    g->env = env;
    g->ready_tail = &g->ready;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->wake, NULL);
    pthread_cond_init(&g->work, NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    g->signer = delivery_signer_load(env->st, e);
    if (!g->signer) goto fail;

    /* resume: every message with deliveries still in the store (on a shared store, those
     * no live node owns), in publish order */
    snprintf(g_node, sizeof(g_node), "%s", leases_self(env));
    loader l = {0};
    if (claim(env, 1, &l, e)) goto fail;
    if (l.n) qsort(l.v, l.n, sizeof(*l.v), by_seq);
    double now = clock_now();
    size_t resumed = 0;
    for (size_t i = 0; i < l.n; i++) {
        dlv_msg *m = l.v[i];
        seq_at_least(m->seq);
        if (!m->n) {
            msg_free(m); /* nothing left to deliver: dropped at the next bookkeeping of it */
            continue;
        }
        for (size_t j = 0; j < m->n; j++) {
            dlv *d = m->d[j];
            if (d->due < now) d->due = now;
            st_pending++;
            resumed++;
            enqueue(g, d);
        }
    }
    free(l.v);
    if (resumed) log_info("delivery: resuming %zu pending deliveries", resumed);

    g->http = dhttp_new(http_done, g, e);
    if (!g->http) goto fail;
    leases_on_tick(takeover);
    for (int i = 0; i < NWORKERS; i++) {
        if (pthread_create(&g->workers[i], NULL, worker_main, g)) break;
        g->nworkers++;
    }
    g_eng = g;
    if (g->nworkers < 1 || pthread_create(&g->dispatcher, NULL, dispatcher_main, g)) {
        ferr_internal(e, "cannot start the delivery threads");
        engine_stop(env);
        return -1;
    }
    g->have_dispatcher = 1;
    return 0;
fail:
    dhttp_free(g->http);
    g->http = NULL;
    st_pending = 0;
    engine_free(g);
    curl_global_cleanup();
    return -1;
}

const engine_def delivery_engine = {"delivery", engine_start, engine_stop};
