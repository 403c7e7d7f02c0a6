/* Time to live: expired items are deleted in the background (dynamodb.h). */
#include <stdlib.h>
#include <string.h>

#include "base/decnum.h"
#include "dynamodb.h"
#include "dynamodb_int.h"

/* AWS: a TTL more than five years in the past is not acted on */
#define TTL_MAX_AGE (5.0 * 365 * 86400)

typedef struct sweep {
    double now;
    int max;
    const char *attr;
    json_t *found; /* [[account, region, table], ...] or items */
} sweep;

static int table_cb(void *ud, const store_key *k, json_t *doc)
{
    sweep *s = ud;
    if (!jstr(doc, "Ttl")) return 0;
    json_t *e = json_pack("[s,s,s]", k->account, k->region, jstr(doc, "TableName"));
    return !e || json_array_append_new(s->found, e);
}

/* The TTL attribute's value as epoch seconds: 1 and *t, 0 when it is not a usable number. */
static int ttl_of(const json_t *item, const char *attr, double *t)
{
    const char *n = jstr(json_object_get(item, attr), "N");
    decnum d;
    if (!n || decnum_parse(n, strlen(n), &d)) return 0;
    *t = atof(n);
    return 1;
}

static int item_cb(void *ud, const store_key *k, json_t *doc)
{
    sweep *s = ud;
    double t;
    (void)k;
    if (!ttl_of(doc, s->attr, &t) || t > s->now || t < s->now - TTL_MAX_AGE) return 0;
    if (json_array_append(s->found, doc)) return 1;
    return (int)json_array_size(s->found) >= s->max;
}

long long dynamodb_ttl_sweep(store *st, double now, int max, ferr *e)
{
    store_txn *t = NULL;
    if (store_begin(st, 1, &t, e)) return -1;
    arena *a = arena_new(0);
    sweep s = {.now = now, .max = max, .found = json_array()};
    long long done = 0;
    int rc = a && s.found && arena_defer_json(a, s.found) ? 0 : ferr_oom(e);
    if (!rc && store_list(t, DDB_TABLE, NULL, NULL, NULL, NULL, 0, table_cb, &s, e) < 0) rc = -1;
    json_t *tables = s.found, *x;
    size_t i;
    json_array_foreach(tables, i, x) {
        if (rc || done >= max) break;
        call c = {.a = a,
                  .err = e,
                  .txn = t,
                  .caller = CALLER_INTERNAL,
                  .account = json_string_value(json_array_get(x, 0)),
                  .region = json_string_value(json_array_get(x, 1))};
        ddb_table tb;
        if (ddb_table_open(&c, json_string_value(json_array_get(x, 2)), NULL, &tb)) {
            rc = -1;
            break;
        }
        tb.ttl_delete = 1;
        s.attr = jstr(tb.doc, "Ttl");
        s.max = (int)(max - done);
        s.found = json_array();
        char *p = arena_printf(a, "%s/", tb.name);
        if (!s.found || !arena_defer_json(a, s.found) || !p) {
            rc = ferr_oom(e);
            break;
        }
        if (store_list(t, DDB_ITEM, c.account, c.region, p, NULL, 0, item_cb, &s, e) < 0) {
            rc = -1;
            break;
        }
        size_t j;
        json_t *item;
        json_array_foreach(s.found, j, item) {
            if (ddb_item_write(&c, &tb, item, NULL)) {
                rc = -1;
                break;
            }
            done++;
        }
    }
    arena_free(a);
    if (rc || !done) {
        store_rollback(t);
        return rc ? -1 : 0;
    }
    return store_commit(t, e) ? -1 : done;
}
