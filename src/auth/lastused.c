/* Access keys' last use: in memory first, flushed periodically (see lastused.h). */
#include "auth/lastused.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hmap.h"

typedef struct note {
    char akid[64];
    double when;
    char service[64], region[32];
    int dirty; /* noted since the last flush */
} note;

#define MAX_NOTES 100000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static hmap notes; /* akid -> note, one per long-term key used since the start */

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

static json_t *note_doc(const note *n)
{
    return json_pack("{s:f, s:s, s:s}", "LastUsedDate", (double)(long long)n->when, "ServiceName",
                     n->service, "Region", n->region);
}

typedef struct batch {
    note *v;
    size_t n, cap;
} batch;

/* Copies a dirty note out (under the lock) so the writes happen without it: a request never
 * waits on the store for its note. */
static int take_dirty(void *val, void *ud)
{
    note *n = val;
    batch *b = ud;
    if (!n->dirty) return 0;
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        note *v = realloc(b->v, cap * sizeof(*v));
        if (!v) return 0; /* stays dirty: the next flush takes it */
        b->v = v, b->cap = cap;
    }
    b->v[b->n++] = *n;
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
    pthread_mutex_unlock(&mu);
}

int lastused_flush(store *st, ferr *e)
{
    batch b = {0};
    pthread_mutex_lock(&mu);
    hmap_each(&notes, take_dirty, &b);
    pthread_mutex_unlock(&mu);
    if (!b.n) {
        free(b.v);
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
    if (t) rc = rc ? (store_rollback(t), -1) : store_commit(t, e);
    if (rc) redirty(&b);
    free(b.v);
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

int lastused_forget(store_txn *t, const char *akid, ferr *e)
{
    pthread_mutex_lock(&mu);
    free(hmap_del(&notes, akid));
    pthread_mutex_unlock(&mu);
    store_key k = {"iam.keyused", "", "", akid};
    return store_del(t, &k, e) < 0 ? -1 : 0;
}
