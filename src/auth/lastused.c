/* Access keys' last use: in memory first, flushed periodically (see lastused.h). */
#include "auth/lastused.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hmap.h"
#include "base/jval.h"

typedef struct note {
    char akid[64];
    double when;
    char service[64], region[32];
    int dirty; /* noted since the last flush */
} note;

#define MAX_NOTES 100000

/* A principal's use of an action (service last accessed). */
typedef struct anote {
    char account[13], region[32];
    double when;
    int dirty;
    char id[]; /* "<principal ARN> <action>" */
} anote;

/* What a flush writes of an anote, copied under the lock. */
typedef struct acopy {
    char *id;
    char account[13], region[32];
    double when;
} acopy;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static hmap notes;   /* akid -> note, one per long-term key used since the start */
static hmap actions; /* "<arn> <action>" -> anote, one per principal and action used */

void lastused_note(const char *akid, const char *service, const char *region, double now)
{
    if (!akid || strncmp(akid, "AKIA", 4)) return;
    pthread_mutex_lock(&mu);
    note *n = hmap_get(&notes, akid);
    /* bounded: in open mode any key id signs */
    if (!n && hmap_count(&notes) < MAX_NOTES && (n = calloc(1, sizeof(*n))) &&
        hmap_put(&notes, akid, n, NULL)) {
        free(n);
        n = NULL;
    }
    if (n) {
        snprintf(n->akid, sizeof(n->akid), "%s", akid);
        n->when = now;
        snprintf(n->service, sizeof(n->service), "%s", service ? service : "");
        snprintf(n->region, sizeof(n->region), "%s", region ? region : "");
        n->dirty = 1;
    }
    pthread_mutex_unlock(&mu);
}

void lastused_note_action(const char *account, const char *arn, const char *action,
                          const char *region, double now)
{
    if (!account || !arn || !*arn || !action || strchr(arn, ' ') || strchr(action, ' ')) return;
    char id[768];
    int len = snprintf(id, sizeof(id), "%s %s", arn, action);
    if (len < 0 || (size_t)len >= sizeof(id)) return;
    pthread_mutex_lock(&mu);
    anote *n = hmap_get(&actions, id);
    /* bounded as the keys' notes: in open mode any principal may sign */
    if (!n && hmap_count(&actions) < MAX_NOTES && (n = calloc(1, sizeof(*n) + (size_t)len + 1))) {
        memcpy(n->id, id, (size_t)len + 1);
        snprintf(n->account, sizeof(n->account), "%s", account);
        if (hmap_put(&actions, id, n, NULL)) {
            free(n);
            n = NULL;
        }
    }
    if (n) {
        n->when = now;
        snprintf(n->region, sizeof(n->region), "%s", region ? region : "");
        n->dirty = 1;
    }
    pthread_mutex_unlock(&mu);
}

/* An action's use time as kept: milliseconds, so that uses in one second still order (the
 * latest decides a report's LastAuthenticatedEntity and Region). */
static double action_time(double t)
{
    return (double)(long long)(t * 1000) / 1000;
}

static json_t *note_doc(const note *n)
{
    return json_pack("{s:f, s:s, s:s}", "LastUsedDate", (double)(long long)n->when, "ServiceName",
                     n->service, "Region", n->region);
}

typedef struct batch {
    note *v;
    size_t n, cap;
    acopy *av;
    size_t an, acap;
} batch;

/* Room for one more of n items of size bytes in *v (capacity *cap): 0, or -1 out of memory. */
static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return 0;
    size_t c = *cap ? 2 * *cap : 64;
    void *p = realloc(*v, c * size);
    if (!p) return -1;
    *v = p, *cap = c;
    return 0;
}

/* Copies a dirty note out (under the lock) so the writes happen without it: a request never
 * waits on the store for its note. */
static int take_dirty(void *val, void *ud)
{
    note *n = val;
    batch *b = ud;
    if (!n->dirty) return 0;
    if (grow((void **)&b->v, &b->cap, b->n, sizeof(*b->v)))
        return 0; /* stays dirty: the next flush takes it */
    b->v[b->n++] = *n;
    n->dirty = 0;
    return 0;
}

static int take_dirty_action(void *val, void *ud)
{
    anote *n = val;
    batch *b = ud;
    if (!n->dirty) return 0;
    if (grow((void **)&b->av, &b->acap, b->an, sizeof(*b->av))) return 0; /* as take_dirty */
    acopy *c = &b->av[b->an];
    if (!(c->id = strdup(n->id))) return 0;
    memcpy(c->account, n->account, sizeof(c->account));
    memcpy(c->region, n->region, sizeof(c->region));
    c->when = n->when;
    b->an++;
    n->dirty = 0;
    return 0;
}

static void redirty(const batch *b)
{
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < b->n; i++) {
        note *n = hmap_get(&notes, b->v[i].akid);
        if (n) n->dirty = 1;
    }
    for (size_t i = 0; i < b->an; i++) {
        anote *n = hmap_get(&actions, b->av[i].id);
        if (n) n->dirty = 1;
    }
    pthread_mutex_unlock(&mu);
}

static void batch_dispose(batch *b)
{
    for (size_t i = 0; i < b->an; i++) free(b->av[i].id);
    free(b->av);
    free(b->v);
}

int lastused_flush(store *st, ferr *e)
{
    batch b = {0};
    pthread_mutex_lock(&mu);
    hmap_each(&notes, take_dirty, &b);
    hmap_each(&actions, take_dirty_action, &b);
    pthread_mutex_unlock(&mu);
    if (!b.n && !b.an) {
        batch_dispose(&b);
        return 0;
    }
    store_txn *t = NULL;
    int rc = store_begin(st, 1, &t, e);
    for (size_t i = 0; !rc && i < b.n; i++) {
        json_t *doc = note_doc(&b.v[i]);
        store_key k = {"iam.keyused", "", "", b.v[i].akid};
        rc = doc ? store_put(t, &k, doc, e) : ferr_set(e, 500, "InternalFailure", "out of memory");
        json_decref(doc);
    }
    for (size_t i = 0; !rc && i < b.an; i++) {
        const acopy *a = &b.av[i];
        json_t *doc = json_pack("{s:f, s:s}", "When", action_time(a->when), "Region", a->region);
        store_key k = {"iam.actionused", a->account, "", a->id};
        rc = doc ? store_put(t, &k, doc, e) : ferr_set(e, 500, "InternalFailure", "out of memory");
        json_decref(doc);
    }
    if (t) rc = rc ? (store_rollback(t), -1) : store_commit(t, e);
    if (rc) redirty(&b);
    batch_dispose(&b);
    return rc;
}

int lastused_get(store_txn *t, const char *akid, json_t **out, ferr *e)
{
    store_key k = {"iam.keyused", "", "", akid};
    int rc = store_get(t, &k, out, e);
    if (rc < 0) return -1;
    pthread_mutex_lock(&mu);
    note *n = hmap_get(&notes, akid);
    json_t *mine = n && (!rc || n->when >= json_number_value(json_object_get(*out, "LastUsedDate")))
                       ? note_doc(n)
                       : NULL;
    pthread_mutex_unlock(&mu);
    if (mine) {
        json_decref(*out);
        *out = mine;
        return 1;
    }
    return rc;
}

void lastused_reset(void)
{
    pthread_mutex_lock(&mu);
    hmap_clear(&notes, free);
    hmap_clear(&actions, free);
    pthread_mutex_unlock(&mu);
}

int lastused_forget(store_txn *t, const char *akid, ferr *e)
{
    pthread_mutex_lock(&mu);
    free(hmap_del(&notes, akid));
    pthread_mutex_unlock(&mu);
    store_key k = {"iam.keyused", "", "", akid};
    return store_del(t, &k, e) < 0 ? -1 : 0;
}

/* The uses of one account, stored and noted, merged by id into an object. */
typedef struct amerge {
    json_t *m; /* id -> {"When", "Region"} */
    const char *account, *prefix;
    size_t plen;
    int oom;
} amerge;

static int merge_stored(void *ud, const store_key *k, json_t *doc)
{
    amerge *g = ud;
    if (json_object_set(g->m, k->id, doc)) g->oom = 1;
    return g->oom;
}

static int merge_noted(void *val, void *ud)
{
    anote *n = val;
    amerge *g = ud;
    if (strcmp(n->account, g->account) || (g->plen && strncmp(n->id, g->prefix, g->plen))) return 0;
    json_t *old = json_object_get(g->m, n->id);
    if (old && json_number_value(json_object_get(old, "When")) >= action_time(n->when)) return 0;
    json_t *doc = json_pack("{s:f, s:s}", "When", action_time(n->when), "Region", n->region);
    if (!doc || json_object_set_new(g->m, n->id, doc)) g->oom = 1;
    return g->oom;
}

int lastused_actions(store_txn *t, const char *account, const char *arn, lastused_action_cb cb,
                     void *ud, ferr *e)
{
    char prefix[704];
    if (arn && snprintf(prefix, sizeof(prefix), "%s ", arn) >= (int)sizeof(prefix)) return 0;
    amerge g = {json_object(), account, arn ? prefix : NULL, arn ? strlen(prefix) : 0, 0};
    if (!g.m) return ferr_set(e, 500, "InternalFailure", "out of memory");
    int rc = store_list(t, "iam.actionused", account, "", g.prefix, NULL, 0, merge_stored, &g, e);
    if (rc >= 0 && !g.oom) {
        pthread_mutex_lock(&mu);
        hmap_each(&actions, merge_noted, &g);
        pthread_mutex_unlock(&mu);
    }
    rc = rc < 0 ? -1 : g.oom ? ferr_set(e, 500, "InternalFailure", "out of memory") : 0;
    const char *id;
    json_t *v;
    json_object_foreach(rc ? NULL : g.m, id, v) {
        const char *sp = strchr(id, ' ');
        char who[704];
        if (!sp || (size_t)(sp - id) >= sizeof(who)) continue;
        memcpy(who, id, (size_t)(sp - id));
        who[sp - id] = 0;
        if ((rc = cb(ud, who, sp + 1, json_number_value(json_object_get(v, "When")),
                     jstr(v, "Region") ? jstr(v, "Region") : "")))
            break;
    }
    json_decref(g.m);
    return rc;
}

/* The ids of one principal's stored uses, and its notes, to forget. */
typedef struct aforget {
    const char *prefix;
    size_t plen;
    json_t *ids;
} aforget;

static int forget_noted(void *val, void *ud)
{
    anote *n = val;
    aforget *f = ud;
    if (!strncmp(n->id, f->prefix, f->plen) && json_array_append_new(f->ids, json_string(n->id)))
        return 1;
    return 0;
}

static int forget_stored(void *ud, const store_key *k, json_t *doc)
{
    (void)doc;
    aforget *f = ud;
    return json_array_append_new(f->ids, json_string(k->id)) ? 1 : 0;
}

int lastused_forget_actions(store_txn *t, const char *account, const char *arn, ferr *e)
{
    char prefix[704];
    if (snprintf(prefix, sizeof(prefix), "%s ", arn) >= (int)sizeof(prefix)) return 0;
    aforget f = {prefix, strlen(prefix), json_array()};
    if (!f.ids) return ferr_set(e, 500, "InternalFailure", "out of memory");
    /* the notes' ids first (hmap_each must not change the map), then each deleted */
    pthread_mutex_lock(&mu);
    int oom = hmap_each(&actions, forget_noted, &f);
    size_t i;
    json_t *id;
    json_array_foreach(oom ? NULL : f.ids, i, id) free(hmap_del(&actions, json_string_value(id)));
    pthread_mutex_unlock(&mu);
    json_array_clear(f.ids);
    int rc =
        oom ? ferr_set(e, 500, "InternalFailure", "out of memory")
        : store_list(t, "iam.actionused", account, "", prefix, NULL, 0, forget_stored, &f, e) < 0
            ? -1
            : 0;
    json_array_foreach(rc ? NULL : f.ids, i, id) {
        store_key k = {"iam.actionused", account, "", json_string_value(id)};
        if (store_del(t, &k, e) < 0) {
            rc = -1;
            break;
        }
    }
    json_decref(f.ids);
    return rc;
}
