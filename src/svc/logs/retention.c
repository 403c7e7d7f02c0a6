/* Retention: the sweep the engine runs (logs.h). Log groups with a retention period are read
 * first, then each one's expired batches are deleted and its storedBytes lowered, all in one
 * transaction bounded by max batches. */
#include <stdlib.h>
#include <string.h>

#include "logs.h"
#include "logs_int.h"

typedef struct due {
    char *account, *region, *name;
    long long days;
} due;

typedef struct duelist {
    due *v;
    size_t n, cap;
    int oom;
} duelist;

static int pick(void *ud, const store_key *k, json_t *doc)
{
    duelist *l = ud;
    long long days = jint(doc, "retentionInDays", 0);
    if (days <= 0) return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        due *v = realloc(l->v, cap * sizeof(*v));
        if (!v) return l->oom = 1;
        l->v = v;
        l->cap = cap;
    }
    due *d = &l->v[l->n++];
    d->account = strdup(k->account);
    d->region = strdup(k->region);
    d->name = strdup(k->id);
    d->days = days;
    if (!d->account || !d->region || !d->name) return l->oom = 1;
    return 0;
}

static int sweep_group(store_txn *t, const due *d, long long now, int max, long long *done, ferr *e)
{
    char *prefix = malloc(strlen(d->name) + 2);
    if (!prefix) return ferr_oom(e);
    strcpy(prefix, d->name);
    strcat(prefix, ":");
    long long bytes = 0;
    long long n = logs_batches_drop(t, d->account, d->region, prefix, now - d->days * LOGS_DAY_MS,
                                    max, &bytes, e);
    free(prefix);
    if (n <= 0) return (int)n;
    *done += n;
    store_key k = {LOGS_GROUP_KIND, d->account, d->region, d->name};
    json_t *g = NULL;
    int rc = store_get(t, &k, &g, e);
    if (rc <= 0) return rc;
    long long stored = jint(g, "storedBytes", 0) - bytes;
    rc = json_object_set_new(g, "storedBytes", json_integer(stored > 0 ? stored : 0))
             ? ferr_oom(e)
             : store_put(t, &k, g, e);
    json_decref(g);
    return rc;
}

long long logs_retention_sweep(store *st, long long now_ms, int max, ferr *e)
{
    store_txn *t = NULL;
    if (store_begin(st, 1, &t, e)) return -1;
    duelist l = {0};
    long long done = 0;
    int rc = store_list(t, LOGS_GROUP_KIND, NULL, NULL, NULL, NULL, 0, pick, &l, e) < 0 ? -1 : 0;
    if (!rc && l.oom) rc = ferr_oom(e);
    for (size_t i = 0; i < l.n; i++) {
        if (!rc && done < max) rc = sweep_group(t, &l.v[i], now_ms, (int)(max - done), &done, e);
        free(l.v[i].account);
        free(l.v[i].region);
        free(l.v[i].name);
    }
    free(l.v);
    if (rc) {
        store_rollback(t);
        return -1;
    }
    if (!done) {
        store_rollback(t); /* nothing written */
        return 0;
    }
    return store_commit(t, e) ? -1 : done;
}
