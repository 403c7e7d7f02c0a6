#include "leases.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/jval.h"
#include "base/log.h"
#include "periodic.h"

#define MAX_FNS 8

static pthread_mutex_t fns_mu = PTHREAD_MUTEX_INITIALIZER; /* held while they run */
static void (*fns[MAX_FNS])(ferry_env *env);
/* since when this node's lease has been renewed without a miss (0: it missed the last);
 * takeovers wait until it has been a whole lease: after an outage every node's lease has
 * run out, and the others must have had the time to renew theirs */
static double renewed_since;

void leases_on_tick(void (*fn)(ferry_env *env))
{
    pthread_mutex_lock(&fns_mu);
    int i = 0;
    while (i < MAX_FNS && fns[i] && fns[i] != fn) i++;
    if (i < MAX_FNS)
        fns[i] = fn;
    else
        log_error("leases: too many takeover functions");
    pthread_mutex_unlock(&fns_mu);
}

void leases_off_tick(void (*fn)(ferry_env *env))
{
    pthread_mutex_lock(&fns_mu);
    for (int i = 0; i < MAX_FNS; i++)
        if (fns[i] == fn) fns[i] = NULL;
    pthread_mutex_unlock(&fns_mu);
}

const char *leases_self(ferry_env *env)
{
    store_health h;
    store_health_get(env->st, &h);
    return h.shared ? store_node(env->st) : "";
}

int leases_held(store_txn *t, const char *self, const char *node, double now, ferr *e)
{
    if (!node || !*node) return 0;
    if (!strcmp(node, self)) return 1;
    store_key k = {LEASES_KIND, "", "", node};
    json_t *doc = NULL;
    int rc = store_get(t, &k, &doc, e);
    if (rc < 0) return -1;
    int held = rc == 1 && json_number_value(json_object_get(doc, "Until")) > now;
    json_decref(doc);
    return held;
}

int leases_take(store_txn *t, const char *self, json_t *doc, const char *field, int at_start,
                double now, char *was, size_t n, ferr *e)
{
    const char *owner = json_string_value(json_object_get(doc, field));
    snprintf(was, n, "%s", owner ? owner : "");
    int held = leases_held(t, self, was, now, e);
    if (held < 0) return -1;
    if (!strcmp(was, self)) return at_start;
    if (held) return 0;
    return json_object_set_new(doc, field, json_string(self)) ? ferr_oom(e) : 2;
}

int leases_claim(store *st, const store_key *k, const char *self, const char *field, int at_start,
                 int (*is_work)(const json_t *doc), char *was, size_t n, json_t **doc, ferr *e)
{
    store_txn *t = NULL;
    json_t *d = NULL;
    snprintf(was, n, "%s", "");
    int rc = store_begin(st, 1, &t, e) ? -1 : store_get(t, k, &d, e);
    if (rc == 1 && is_work && !is_work(d)) rc = 0;
    if (rc == 1 && *self) rc = leases_take(t, self, d, field, at_start, clock_now(), was, n, e);
    if (rc == 2 && store_put(t, k, d, e)) rc = -1;
    if (rc == 2) {
        if (store_commit(t, e)) rc = -1;
        t = NULL;
    }
    store_rollback(t);
    if (rc > 0 && doc)
        *doc = d;
    else
        json_decref(d);
    return rc;
}

typedef struct expired {
    store_txn *t;
    double before;
    ferr *e;
    int rc;
} expired;

static int drop_expired(void *ud, const store_key *k, json_t *doc)
{
    expired *x = ud;
    if (json_number_value(json_object_get(doc, "Until")) < x->before &&
        store_del(x->t, k, x->e) < 0)
        x->rc = -1;
    return x->rc;
}

/* Node ids change with each start (HOST-PID): the leases of nodes gone for a minute go
 * (no lease and a lease run out mean the same: the work is another's to take). */
static void sweep(ferry_env *env)
{
    ferr e = {0};
    expired x = {NULL, clock_now() - 60, &e, 0};
    if (store_begin(env->st, 1, &x.t, &e)) return;
    if (store_list(x.t, LEASES_KIND, "", "", NULL, NULL, 0, drop_expired, &x, &e) < 0 || x.rc)
        store_rollback(x.t);
    else if (store_commit(x.t, &e))
        log_warn("leases: sweep: %s", e.message);
}

static void renew(ferry_env *env)
{
    store_health h;
    store_health_get(env->st, &h);
    if (!h.shared) return;
    ferr e = {0};
    store_txn *t = NULL;
    json_t *doc = json_pack("{s:f}", "Until", clock_now() + LEASES_SECONDS);
    store_key k = {LEASES_KIND, "", "", store_node(env->st)};
    int rc = doc ? store_begin(env->st, 1, &t, &e) : ferr_oom(&e);
    if (!rc) rc = store_put(t, &k, doc, &e);
    if (!rc)
        rc = store_commit(t, &e);
    else
        store_rollback(t);
    json_decref(doc);
    /* without a renewed lease the work stays ours: others take it only once it has run
     * out, and then we are no better placed than they are */
    if (rc) {
        if (renewed_since) log_warn("leases: not renewed: %s", e.message);
        renewed_since = 0;
        return;
    }
    double now = clock_now();
    if (!renewed_since) renewed_since = now;
    static unsigned ticks;
    if (++ticks % 60 == 0) sweep(env);
    if (now - renewed_since < LEASES_SECONDS + 1) return;
    pthread_mutex_lock(&fns_mu);
    for (int i = 0; i < MAX_FNS; i++)
        if (fns[i]) fns[i](env);
    pthread_mutex_unlock(&fns_mu);
}

static periodic P = PERIODIC_INIT("leases", "FERRY_LEASES_INTERVAL", 1.0, renew);

static int leases_start(ferry_env *env, ferr *e)
{
    /* the lease is there before any work names this node as its owner */
    renewed_since = 0;
    renew(env);
    return periodic_start(&P, env, e);
}

static void leases_stop(ferry_env *env)
{
    (void)env;
    periodic_stop(&P);
}

const engine_def leases_engine = {"leases", leases_start, leases_stop};
