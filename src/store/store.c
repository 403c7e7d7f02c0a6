#include "store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "base/clock.h"
#include "base/hmap.h"
#include "base/jdump.h"
#include "base/log.h"
#include "news.h"

#define GEN_SLOTS \
    1024               /* store_generation counters; kinds hash onto them (none of ours share one
                        * that matters: accesskey and iam.gen would at 256) */
#define TOUCH_MAX   8  /* kinds a transaction remembers; past it every counter moves */
#define PENDING_MAX 64 /* kinds an open group remembers (struct store) */

/* Several nodes: generations are trusted while everything other nodes committed up to
 * NEWS_STALE ago has been heard; past it they change every NEWS_QUANTUM (from DEAF_BASE
 * up, far from any counter, so sums of a few kinds stay apart too), which bounds how long
 * a cached value lives without news: the README's 100 ms. */
#define NEWS_STALE_NS   100000000ULL
#define NEWS_QUANTUM_NS 50000000ULL
#define DEAF_BASE       (1ULL << 60)

struct store {
    const store_backend *be;
    void *impl;
    _Atomic uint64_t gen[GEN_SLOTS];
    _Atomic uint64_t epoch; /* moved by every reset */
    /* moved before any generation moves: a read transaction that finds it as it was when
     * the transaction began reads no snapshot older than the generations it sees */
    _Atomic uint64_t moves;
    char node[64];
    int listening;              /* store_listen succeeded: generations follow the news */
    _Atomic uint64_t confirmed; /* clock_mono_ns up to which all news was heard (0: none) */
    pthread_mutex_t wake_mu;    /* guards wake_fn/wake_ud against store_on_wake(NULL) */
    void (*wake_fn)(void *, const char *);
    void *wake_ud;
    /* Kinds touched by write transactions waiting in a group that has not committed
     * (store_commit_group): later writers see their work before it is committed, so to
     * them those kinds count as touched. Used only under the backend's write lock, which
     * every write transaction holds, on backends that group. */
    int npending; /* PENDING_MAX + 1: too many to remember */
    unsigned pending[PENDING_MAX];
};

static _Thread_local uint64_t fence;

struct store_txn {
    store *s;
    void *impl;
    int write;
    uint64_t fence;  /* the epoch the thread's work began in, or 0 */
    uint64_t moves0; /* the store's moves before the transaction began */
    int group;       /* begun as STORE_WRITE_GROUP */
    int broken;      /* a savepoint did not end cleanly: the transaction must not commit */
    int ntouched;    /* TOUCH_MAX + 1: too many to remember */
    unsigned touched[TOUCH_MAX];
};

static unsigned gen_slot(const char *kind)
{
    return (unsigned)(hash_str(kind) % GEN_SLOTS);
}

/* Sets of counter slots with room for max: *n == max + 1 when one more did not fit, and
 * then the set holds every slot. */
static int slot_in(const unsigned *v, int n, int max, unsigned slot)
{
    if (n > max) return 1;
    for (int i = 0; i < n; i++)
        if (v[i] == slot) return 1;
    return 0;
}

static void slot_add(unsigned *v, int *n, int max, unsigned slot)
{
    if (slot_in(v, *n, max, slot)) return;
    if (*n == max)
        (*n)++;
    else
        v[(*n)++] = slot;
}

static void touch(store_txn *t, const char *kind)
{
    slot_add(t->touched, &t->ntouched, TOUCH_MAX, gen_slot(kind));
}

static void bump(store *s, const store_txn *t)
{
    atomic_fetch_add(&s->moves, 1);
    if (t && t->ntouched <= TOUCH_MAX) {
        for (int i = 0; i < t->ntouched; i++) s->gen[t->touched[i]]++;
        return;
    }
    for (int i = 0; i < GEN_SLOTS; i++) s->gen[i]++;
}

uint64_t store_generation(store *s, const char *kind)
{
    if (s->listening) {
        uint64_t now = clock_mono_ns();
        if (now - atomic_load(&s->confirmed) > NEWS_STALE_NS)
            return DEAF_BASE + now / NEWS_QUANTUM_NS;
    }
    return s->gen[gen_slot(kind)];
}

uint64_t store_txn_generation(const store_txn *t, const char *kind)
{
    /* A writer holds the lock, so every commit before it has moved the counters, except
     * another node's not yet heard: with several nodes, a document read to be written back
     * must be the committed one, not a cached copy a moment old (a lost update). Deaf
     * (no news lately) the counter is the clock's, which a node's own commits do not move. */
    if (t->write)
        return store_txn_touched(t, kind) || t->s->listening ? 0 : 1 + store_generation(t->s, kind);
    uint64_t g = store_generation(t->s, kind);
    /* several nodes, none heard lately: the counter is the clock's, no snapshot's */
    if (t->s->listening && g >= DEAF_BASE) return 0;
    /* after g: a commit whose counter g already shows moved this first */
    return atomic_load(&t->s->moves) == t->moves0 ? 1 + g : 0;
}

store *store_open(const char *location, store_sync sync, ferr *e)
{
    store *s = calloc(1, sizeof(*s));
    if (!s) {
        ferr_oom(e);
        return NULL;
    }
    s->be = store_is_url(location) ? &store_postgres_backend : &store_sqlite_backend;
    atomic_store(&s->epoch, 1); /* 0 is "not fenced" */
    char host[40] = "node";
    gethostname(host, sizeof(host) - 1);
    host[strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")] = 0;
    snprintf(s->node, sizeof(s->node), "%s-%ld", *host ? host : "node", (long)getpid());
    pthread_mutex_init(&s->wake_mu, NULL);
    s->impl = s->be->open(location, sync, e);
    if (!s->impl) {
        pthread_mutex_destroy(&s->wake_mu);
        free(s);
        return NULL;
    }
    return s;
}

int store_is_url(const char *location)
{
    return location &&
           (!strncmp(location, "postgresql://", 13) || !strncmp(location, "postgres://", 11));
}

void store_close(store *s)
{
    if (!s) return;
    s->be->close(s->impl); /* stops the listener first */
    pthread_mutex_destroy(&s->wake_mu);
    free(s);
}

const char *store_describe(const store *s)
{
    return s->be->describe(s->impl);
}

int store_schema_version(store *s)
{
    return s->be->schema_version(s->impl);
}

static int fenced(store *s, uint64_t f, ferr *e)
{
    if (!f || f == atomic_load(&s->epoch)) return 0;
    return ferr_set(e, 503, "ServiceUnavailable",
                    "the store was reset after this work began: nothing written");
}

int store_begin(store *s, int write, store_txn **out, ferr *e)
{
    /* work from before a reset neither reads what came after it nor writes */
    if (fenced(s, fence, e)) return -1;
    store_txn *t = calloc(1, sizeof(*t));
    if (!t) return ferr_oom(e);
    t->moves0 = atomic_load(&s->moves); /* before the snapshot */
    t->impl = s->be->begin(s->impl, write, e);
    if (!t->impl) {
        free(t);
        return -1;
    }
    t->s = s;
    t->write = write != 0;
    t->group = write == STORE_WRITE_GROUP;
    t->fence = fence;
    *out = t;
    return 0;
}

static void committed(void *p)
{
    store_txn *t = p;
    bump(t->s, t);
    /* a group's members' callbacks all run at its commit, before any writer begins */
    if (t->s->be->groups) t->s->npending = 0;
}

/* t's kinds into the open group's (see struct store) */
static void pend(store *s, const store_txn *t)
{
    if (t->ntouched > TOUCH_MAX) s->npending = PENDING_MAX + 1; /* t may have touched any */
    for (int i = 0; i < t->ntouched && i < TOUCH_MAX; i++)
        slot_add(s->pending, &s->npending, PENDING_MAX, t->touched[i]);
}

static int commit(store_txn *t, int group, ferr *e)
{
    if (t->broken) {
        store_rollback(t);
        return ferr_internal(e, "transaction rolled back: a failed part of it could not be undone");
    }
    /* a write transaction holds the write lock from its start: the reset, which moved the
     * epoch before taking it, has either wiped the store already or waits for this commit */
    if (fenced(t->s, t->fence, e)) {
        store_rollback(t);
        return -1;
    }
    char news[40 + sizeof(t->s->node) + TOUCH_MAX * 6];
    int say = t->ntouched && t->s->be->listen &&
              !store_news_gen(news, sizeof(news), t->s->node, t->touched,
                              t->ntouched > TOUCH_MAX ? -1 : t->ntouched);
    if (t->s->be->groups && t->group && group) pend(t->s, t);
    int rc = t->s->be->commit(t->s->impl, t->impl, say ? news : NULL,
                              t->ntouched ? committed : NULL, t, group, e);
    free(t);
    return rc;
}

int store_commit(store_txn *t, ferr *e)
{
    return commit(t, 0, e);
}

int store_commit_group(store_txn *t, ferr *e)
{
    return commit(t, 1, e);
}

int store_txn_wrote(const store_txn *t)
{
    return t && t->ntouched > 0;
}

int store_txn_touched(const store_txn *t, const char *kind)
{
    unsigned slot = gen_slot(kind);
    return slot_in(t->touched, t->ntouched, TOUCH_MAX, slot) ||
           (t->group && slot_in(t->s->pending, t->s->npending, PENDING_MAX, slot));
}

int store_savepoint(store_txn *t, ferr *e)
{
    if (!t->write) return ferr_internal(e, "savepoint in a read-only transaction");
    return t->s->be->savepoint(t->impl, 0, e);
}

int store_savepoint_end(store_txn *t, int keep, ferr *e)
{
    int rc = t->s->be->savepoint(t->impl, keep ? 1 : 2, e);
    if (rc) t->broken = 1; /* its writes are neither cleanly kept nor undone */
    return rc;
}

void store_rollback(store_txn *t)
{
    if (!t) return;
    t->s->be->rollback(t->s->impl, t->impl);
    free(t);
}

int store_txn_is_write(const store_txn *t)
{
    return t->write;
}

static int need_write(const store_txn *t, ferr *e)
{
    if (t->write) return 0;
    return ferr_internal(e, "write in a read-only transaction");
}

int store_get(store_txn *t, const store_key *k, json_t **out, ferr *e)
{
    *out = NULL; /* absent or failed: callers may decref it either way */
    return t->s->be->get(t->impl, k, out, e);
}

static int put(store_txn *t, const store_key *k, const json_t *doc, int insert_only, ferr *e)
{
    if (need_write(t, e)) return -1;
    buf text;
    buf_init(&text, 0);
    if (jdump_ex(&text, doc, JDUMP_SORT_KEYS)) {
        buf_dispose(&text);
        return ferr_oom(e);
    }
    touch(t, k->kind);
    int rc = t->s->be->put(t->impl, k, buf_str(&text), insert_only, e);
    buf_dispose(&text);
    return rc;
}

int store_put(store_txn *t, const store_key *k, const json_t *doc, ferr *e)
{
    return put(t, k, doc, 0, e);
}

int store_insert(store_txn *t, const store_key *k, const json_t *doc, ferr *e)
{
    return put(t, k, doc, 1, e);
}

int store_del(store_txn *t, const store_key *k, ferr *e)
{
    if (need_write(t, e)) return -1;
    touch(t, k->kind);
    return t->s->be->del(t->impl, k, e);
}

int store_list(store_txn *t, const char *kind, const char *account, const char *region,
               const char *prefix, const char *after, int limit, store_list_cb cb, void *ud,
               ferr *e)
{
    return t->s->be->list(t->impl, kind, account, region, prefix, after, limit, cb, ud, e);
}

int store_list_fields(store_txn *t, const char *kind, const char *account, const char *region,
                      const char *prefix, const char *after, int limit, const char *const *fields,
                      store_list_cb cb, void *ud, ferr *e)
{
    if (!t->s->be->list_fields)
        return store_list(t, kind, account, region, prefix, after, limit, cb, ud, e);
    return t->s->be->list_fields(t->impl, kind, account, region, prefix, after, limit, fields, cb,
                                 ud, e);
}

int store_range(store_txn *t, const char *kind, const char *account, const char *region,
                const store_range_q *q, store_list_cb cb, void *ud, ferr *e)
{
    return t->s->be->range(t->impl, kind, account, region, q, cb, ud, e);
}

int store_audit_append(store_txn *t, const audit_rec *r, ferr *e)
{
    if (need_write(t, e)) return -1;
    return t->s->be->audit_append(t->impl, r, e);
}

int store_audit_append_many(store_txn *t, const audit_rec *const *r, size_t n, ferr *e)
{
    if (need_write(t, e)) return -1;
    if (t->s->be->audit_append_many) return t->s->be->audit_append_many(t->impl, r, n, e);
    for (size_t i = 0; i < n; i++)
        if (t->s->be->audit_append(t->impl, r[i], e)) return -1;
    return 0;
}

int store_audit_query(store_txn *t, const audit_query *q, store_audit_cb cb, void *ud, ferr *e)
{
    return t->s->be->audit_query(t->impl, q, cb, ud, e);
}

long long store_audit_trim(store_txn *t, double before, long long max_events, int limit, ferr *e)
{
    if (need_write(t, e)) return -1;
    return t->s->be->audit_trim(t->impl, before, max_events, limit, e);
}

void store_audit_retention(store *s, const store_retention *r)
{
    s->be->audit_retention(s->impl, r);
}

int store_mq_put(store_txn *t, const char *queue, store_msg *m, ferr *e)
{
    if (need_write(t, e)) return -1;
    return t->s->be->mq_put(t->impl, queue, m, e);
}

int store_mq_get(store_txn *t, const char *queue, int64_t seq, store_mq_cb cb, void *ud, ferr *e)
{
    return t->s->be->mq_get(t->impl, queue, seq, cb, ud, e);
}

int store_mq_update(store_txn *t, const char *queue, const store_msg *m, ferr *e)
{
    if (need_write(t, e)) return -1;
    return t->s->be->mq_update(t->impl, queue, m, e);
}

int store_mq_del(store_txn *t, const char *queue, int64_t seq, ferr *e)
{
    if (need_write(t, e)) return -1;
    return t->s->be->mq_del(t->impl, queue, seq, e);
}

int store_mq_scan(store_txn *t, const char *queue, const store_mq_scan_opts *o, store_mq_cb cb,
                  void *ud, ferr *e)
{
    return t->s->be->mq_scan(t->impl, queue, o, cb, ud, e);
}

int store_mq_count(store_txn *t, const char *queue, double now, store_mq_counts *out, ferr *e)
{
    return t->s->be->mq_count(t->impl, queue, now, out, e);
}

int store_mq_next_visible(store_txn *t, const char *queue, double now, double *at, ferr *e)
{
    return t->s->be->mq_next_visible(t->impl, queue, now, at, e);
}

long long store_mq_purge(store_txn *t, const char *queue, int keys, ferr *e)
{
    if (need_write(t, e)) return -1;
    return t->s->be->mq_purge(t->impl, queue, keys, e);
}

int store_mq_key_get(store_txn *t, const char *queue, const char *key, double now, char **value,
                     int64_t *num, ferr *e)
{
    return t->s->be->mq_key_get(t->impl, queue, key, now, value, num, e);
}

int store_mq_key_put(store_txn *t, const char *queue, const char *key, double now,
                     double expires_at, const char *value, int64_t num, ferr *e)
{
    if (need_write(t, e)) return -1;
    return t->s->be->mq_key_put(t->impl, queue, key, now, expires_at, value, num, e);
}

uint64_t store_epoch(store *s)
{
    return atomic_load(&s->epoch);
}

void store_fence_enter(uint64_t epoch)
{
    fence = epoch;
}

uint64_t store_fence_current(void)
{
    return fence;
}

int store_reset(store *s, ferr *e)
{
    atomic_fetch_add(&s->epoch, 1);
    int rc = s->be->reset(s->impl, e);
    bump(s, NULL);
    if (!rc && s->be->announce) {
        char news[80];
        snprintf(news, sizeof(news), "r %s", s->node);
        s->be->announce(s->impl, news);
    }
    return rc;
}

/* ---- several nodes ---- */

/* Another node's news (news.h); a node's own is already applied. */
static void heard(void *ud, const char *text)
{
    store *s = ud;
    store_news n;
    if (store_news_parse(text, GEN_SLOTS, &n)) return;
    if (n.node_len == strlen(s->node) && !memcmp(n.node, s->node, n.node_len)) return;
    if (n.type == 'g' && n.all) {
        bump(s, NULL);
    } else if (n.type == 'g') {
        atomic_fetch_add(&s->moves, 1);
        for (int i = 0; i < n.nslots; i++) s->gen[n.slots[i]]++;
    } else if (n.type == 'w') {
        pthread_mutex_lock(&s->wake_mu);
        if (s->wake_fn) s->wake_fn(s->wake_ud, n.key);
        pthread_mutex_unlock(&s->wake_mu);
    } else if (n.type == 'r') {
        /* another node's reset: fence this node's background work too */
        atomic_fetch_add(&s->epoch, 1);
        bump(s, NULL);
    }
}

static void relisten(void *ud)
{
    bump(ud, NULL); /* whatever was committed while nobody listened */
}

static void confirmed_at(void *ud, uint64_t at)
{
    store *s = ud;
    atomic_store(&s->confirmed, at);
}

int store_listen(store *s, const char *node, ferr *e)
{
    if (node) {
        size_t n = strlen(node);
        if (!n || n > NEWS_NODE_MAX ||
            strspn(node, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
            return ferr_set(e, 400, "ValidationError",
                            "node id: 1 to 63 letters, digits, '.', '_' or '-'");
        snprintf(s->node, sizeof(s->node), "%s", node);
    }
    if (!s->be->listen) return 0;
    static const store_listener l0 = {heard, relisten, confirmed_at, NULL};
    store_listener l = l0;
    l.ud = s;
    /* untrusted until the listener confirms: caches keep nothing meanwhile */
    s->listening = 1;
    if (s->be->listen(s->impl, &l, e)) {
        s->listening = 0;
        return -1;
    }
    /* a node starts serving once it hears the others (two answers, ~25 ms), unless the
     * database is away: then it serves uncached and says so (GET /_ferry/health) */
    for (int i = 0; i < 400 && !atomic_load(&s->confirmed); i++)
        nanosleep(&(struct timespec){0, 5 * 1000000L}, NULL);
    return 0;
}

const char *store_node(const store *s)
{
    return s->node;
}

void store_on_wake(store *s, void (*fn)(void *ud, const char *key), void *ud)
{
    pthread_mutex_lock(&s->wake_mu);
    s->wake_fn = fn;
    s->wake_ud = ud;
    pthread_mutex_unlock(&s->wake_mu);
}

void store_announce(store *s, const char *key)
{
    if (!s->listening || !s->be->announce) return;
    char news[1100];
    if (snprintf(news, sizeof(news), "w %s %s", s->node, key) >= (int)sizeof(news)) return;
    s->be->announce(s->impl, news);
}

void store_health_get(store *s, store_health *h)
{
    h->kind = s->be->name;
    h->shared = s->listening;
    h->news_age = -1;
    h->reachable = 1;
    if (!s->listening) return;
    uint64_t c = atomic_load(&s->confirmed), now = clock_mono_ns();
    if (c) h->news_age = (double)(now - c) / 1e9;
    /* the listener asks every 25 ms: a second without an answer is an outage */
    h->reachable = c && now - c < 1000000000ULL;
}

typedef struct copying {
    store_txn *to;
    long long *counts;
    ferr *e;
} copying;

static int copy_row(void *ud, const store_row *r)
{
    copying *c = ud;
    if (c->to->s->be->load(c->to->impl, r, c->e)) return -1;
    c->counts[r->type]++;
    return 0;
}

int store_copy(store *from, store *to, long long counts[4], ferr *e)
{
    memset(counts, 0, 4 * sizeof(*counts));
    if (!from->be->dump || !to->be->load)
        return ferr_internal(e, "store copy from %s to %s is not supported", from->be->name,
                             to->be->name);
    store_txn *src = NULL, *dst = NULL;
    if (store_begin(from, 0, &src, e)) return -1;
    if (store_begin(to, 1, &dst, e)) {
        store_rollback(src);
        return -1;
    }
    dst->ntouched = TOUCH_MAX + 1; /* every cached kind may have changed */
    copying c = {dst, counts, e};
    int rc = from->be->dump(src->impl, copy_row, &c, e);
    if (!rc) rc = to->be->load(dst->impl, NULL, e);
    store_rollback(src);
    if (rc) {
        store_rollback(dst);
        return -1;
    }
    return store_commit(dst, e);
}
