/* Query and Scan: store ranges in key order over a table's items or an index's entries,
 * then filters, projections and pages as DynamoDB applies them (Limit counts the items read,
 * before the filter; a page stops at 1 MB). */
#include <stdint.h>
#include <string.h>

#include "dynamodb_int.h"

/* AWS: a Query or Scan page reads at most 1 MB */
#define PAGE_BYTES (1024 * 1024)

typedef struct acc {
    call *c;
    json_t *items;
    long long limit, n;
    size_t bytes;
    long long segment, total;
    const char *hash_name;
    int stopped; /* the page ended early: Limit or 1 MB */
} acc;

static uint32_t fnv(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static int acc_cb(void *ud, const store_key *k, json_t *doc)
{
    acc *a = ud;
    (void)k;
    if (a->total > 0) {
        /* a segment is the items whose hash key hashes to it */
        char *e = ddb_key_enc(a->c, json_object_get(doc, a->hash_name));
        if (e && (long long)(fnv(e) % (uint32_t)a->total) != a->segment) return 0;
    }
    if (json_array_append(a->items, doc)) return 1;
    a->n++;
    a->bytes += ddb_item_size(doc);
    if ((a->limit && a->n >= a->limit) || a->bytes >= PAGE_BYTES) {
        a->stopped = 1;
        return 1;
    }
    return 0;
}

json_t *ddb_index_project(const ddb_table *t, const json_t *def, const json_t *item)
{
    const json_t *p = json_object_get(def, "Projection");
    const char *pt = jstr(p, "ProjectionType");
    if (!def || !pt || !strcmp(pt, "ALL")) return json_incref((json_t *)item);
    ddb_keys k;
    const json_t *ks = json_object_get(def, "KeySchema");
    k.hash = jstr(json_array_get(ks, 0), "AttributeName");
    k.range = json_array_size(ks) > 1 ? jstr(json_array_get(ks, 1), "AttributeName") : NULL;
    json_t *o = ddb_key_of(&k, t, item);
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(p, "NonKeyAttributes"), i, n) {
        json_t *v = json_object_get(item, json_string_value(n));
        if (o && v && json_object_set(o, json_string_value(n), v)) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* The shared tail: filter, projections, Select, LastEvaluatedKey. */
static int finish(call *c, json_t *in, const ddb_table *t, const ddb_keys *k, const json_t *def,
                  ddb_expr *filter, ddb_expr *proj, acc *a, json_t **out)
{
    const char *select = jstr(in, "Select");
    int count_only = select && !strcmp(select, "COUNT");
    json_t *items = json_array(), *o = json_object();
    if (!arena_defer_json(c->a, items) || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    long long count = 0;
    size_t i;
    json_t *it;
    json_array_foreach(a->items, i, it) {
        if (filter) {
            int ok = ddb_expr_eval(c, filter, it);
            if (ok < 0) return -1;
            if (!ok) continue;
        }
        count++;
        if (count_only) continue;
        json_t *v = ddb_index_project(t, def, it);
        if (v && proj) {
            json_t *p = json_incref(ddb_expr_project(c, proj, v));
            json_decref(v);
            v = p;
        }
        if (!v || json_array_append_new(items, v)) return ferr_oom(c->err);
    }
    if ((!count_only && json_object_set(o, "Items", items)) ||
        json_object_set_new(o, "Count", json_integer(count)) ||
        json_object_set_new(o, "ScannedCount", json_integer(a->n)))
        return ferr_oom(c->err);
    if (a->stopped && a->n) {
        json_t *last = json_array_get(a->items, json_array_size(a->items) - 1);
        if (json_object_set_new(o, "LastEvaluatedKey", ddb_key_of(k, t, last)))
            return ferr_oom(c->err);
    }
    if (ddb_capacity(c, in, t, (double)(a->bytes / 4096 + 1) / 2, o)) return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

/* Select and the projections agree, as AWS requires; GSIs are eventually consistent. */
static int select_check(call *c, json_t *in, ddb_expr *proj, const ddb_table *t, const json_t *def)
{
    const char *s = jstr(in, "Select");
    if (def && jbool(in, "ConsistentRead", 0)) {
        size_t i;
        json_t *g;
        json_array_foreach(json_object_get(t->doc, "GlobalSecondaryIndexes"), i, g) {
            if (g == def)
                return ddb_validation(c, "Consistent reads are not supported on global "
                                         "secondary indexes");
        }
    }
    if (proj && s && strcmp(s, "SPECIFIC_ATTRIBUTES"))
        return ddb_validation(c,
                              "Cannot specify the ProjectionExpression when choosing to get "
                              "%s",
                              s);
    if (s && !strcmp(s, "ALL_PROJECTED_ATTRIBUTES") && !def)
        return ddb_validation(c, "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using "
                                 "an IndexName");
    return 0;
}

/* The ExclusiveStartKey's id: 0 with *id (NULL when none), or -1. */
static int start_id(call *c, json_t *in, const ddb_table *t, const char *index, const ddb_keys *k,
                    char **id)
{
    const json_t *esk = json_object_get(in, "ExclusiveStartKey");
    *id = NULL;
    if (!esk) return 0;
    const char *names[] = {t->hash, t->range, k->hash, k->range};
    for (int i = 0; i < 4; i++)
        if (names[i] && !ddb_type(json_object_get(esk, names[i])))
            return ddb_validation(c, "The provided starting key is invalid: The provided key "
                                     "element does not match the schema");
    *id = ddb_entry_id(c, t, index, esk);
    if (!*id) return -1;
    if (!**id)
        return ddb_validation(c, "The provided starting key is invalid: The provided key "
                                 "element does not match the schema");
    return 0;
}

int dynamodb_op_query(call *c, json_t *in, json_t **out)
{
    ddb_table t;
    if (ddb_table_read(c, jstr(in, "TableName"), "dynamodb:Query", &t)) return -1;
    const char *index = jstr(in, "IndexName");
    ddb_keys k;
    const json_t *def;
    if (ddb_index_keys(c, &t, index, &k, &def)) return -1;
    ddb_exprs x;
    ddb_expr *kc, *filter, *proj;
    if (!jstr(in, "KeyConditionExpression"))
        return ddb_validation(c, "Either the KeyConditions or KeyConditionExpression parameter "
                                 "must be specified in the request.");
    if (ddb_exprs_init(c, in, &x) ||
        ddb_exprs_parse(c, &x, in, "KeyConditionExpression", DDB_KEYCOND, &kc) ||
        ddb_exprs_parse(c, &x, in, "FilterExpression", DDB_FILTER, &filter) ||
        ddb_exprs_parse(c, &x, in, "ProjectionExpression", DDB_PROJ, &proj) ||
        ddb_exprs_done(c, &x) || select_check(c, in, proj, &t, def))
        return -1;
    ddb_keycond q;
    if (ddb_expr_keycond(c, kc, &q)) return -1;
    if (strcmp(q.hash_name, k.hash) && q.range_name && !strcmp(q.range_name, k.hash) &&
        !strcmp(q.op, "=")) { /* "sk = :a AND pk = :b" */
        const char *n = q.hash_name;
        const json_t *v = q.hash_value;
        q.hash_name = q.range_name;
        q.hash_value = q.v1;
        q.range_name = n;
        q.v1 = v;
    }
    if (strcmp(q.hash_name, k.hash))
        return ddb_validation(c, "Query condition missed key schema element: %s", k.hash);
    if (q.range_name && (!k.range || strcmp(q.range_name, k.range)))
        return ddb_validation(c, "Query condition missed key schema element: %s",
                              k.range ? k.range : q.range_name);
    const json_t *vals[] = {q.hash_value, q.v1, q.v2};
    const char *want[] = {ddb_attr_type(&t, k.hash), k.range ? ddb_attr_type(&t, k.range) : "",
                          k.range ? ddb_attr_type(&t, k.range) : ""};
    for (int i = 0; i < 3; i++)
        if (vals[i] && (!ddb_type(vals[i]) || strcmp(ddb_type(vals[i]), want[i])))
            return ddb_validation(c, "One or more parameter values were invalid: Condition "
                                     "parameter type does not match schema type");
    if (q.op && !strcmp(q.op, "begins_with") && !strcmp(want[1], "N"))
        return ddb_validation(c, "Invalid KeyConditionExpression: Incorrect operand type for "
                                 "operator or function; operator or function: begins_with, "
                                 "operand type: N");
    char *h = ddb_key_enc(c, q.hash_value);
    char *p = h ? (index ? arena_printf(c->a, "%s/%s/%s/", t.name, index, h)
                         : arena_printf(c->a, "%s/%s/", t.name, h))
                : NULL;
    char *v1 = q.v1 ? ddb_key_enc(c, q.v1) : "", *v2 = q.v2 ? ddb_key_enc(c, q.v2) : "";
    if (!p || !v1 || !v2) return ferr_oom(c->err);
    /* bounds: an entry's id is P + range + "/" (+ the table key for an index), and '/' sorts
     * below every character of an encoding, so "P v/" .. "P v0" is exactly range v */
    char *end = arena_strdup(c->a, p);
    if (!end) return ferr_oom(c->err);
    end[strlen(end) - 1] = '0';
    store_range_q r = {.lo = p, .hi = end, .lo_incl = 1};
    const char *op = q.op ? q.op : "";
#define AT(v, suffix) arena_printf(c->a, "%s%s%s", p, v, suffix)
    if (!strcmp(op, "=")) {
        r.lo = AT(v1, "/");
        r.hi = AT(v1, "0");
    } else if (!strcmp(op, "<")) {
        r.hi = AT(v1, "/");
    } else if (!strcmp(op, "<=")) {
        r.hi = AT(v1, "0");
    } else if (!strcmp(op, ">")) {
        r.lo = AT(v1, "0");
    } else if (!strcmp(op, ">=")) {
        r.lo = AT(v1, "/");
    } else if (!strcmp(op, "BETWEEN")) {
        r.lo = AT(v1, "/");
        r.hi = AT(v2, "0");
    } else if (!strcmp(op, "begins_with")) {
        r.lo = AT(v1, "");
        r.hi = AT(v1, "~");
    }
#undef AT
    if (!r.lo || !r.hi) return ferr_oom(c->err);
    if (!strcmp(op, "BETWEEN") && strcmp(r.lo, r.hi) > 0)
        return ddb_validation(c, "Invalid KeyConditionExpression: The BETWEEN operator requires "
                                 "upper bound to be greater than or equal to lower bound");
    r.desc = json_object_get(in, "ScanIndexForward") && !jbool(in, "ScanIndexForward", 1);
    char *sid;
    if (start_id(c, in, &t, index, &k, &sid)) return -1;
    if (sid && !r.desc && strcmp(sid, r.lo) >= 0) {
        r.lo = sid;
        r.lo_incl = 0;
    } else if (sid && r.desc && strcmp(sid, r.hi) <= 0) {
        r.hi = sid;
        r.hi_incl = 0;
    }
    acc a = {.c = c, .items = json_array(), .limit = jint(in, "Limit", 0)};
    if (!arena_defer_json(c->a, a.items)) return ferr_oom(c->err);
    if (store_range(c->txn, index ? DDB_INDEX : DDB_ITEM, t.account, c->region, &r, acc_cb, &a,
                    c->err) < 0)
        return -1;
    return finish(c, in, &t, &k, def, filter, proj, &a, out);
}

int dynamodb_op_scan(call *c, json_t *in, json_t **out)
{
    ddb_table t;
    if (ddb_table_read(c, jstr(in, "TableName"), "dynamodb:Scan", &t)) return -1;
    const char *index = jstr(in, "IndexName");
    ddb_keys k;
    const json_t *def;
    if (ddb_index_keys(c, &t, index, &k, &def)) return -1;
    ddb_exprs x;
    ddb_expr *filter, *proj;
    if (ddb_exprs_init(c, in, &x) ||
        ddb_exprs_parse(c, &x, in, "FilterExpression", DDB_FILTER, &filter) ||
        ddb_exprs_parse(c, &x, in, "ProjectionExpression", DDB_PROJ, &proj) ||
        ddb_exprs_done(c, &x) || select_check(c, in, proj, &t, def))
        return -1;
    json_t *seg = json_object_get(in, "Segment"), *tot = json_object_get(in, "TotalSegments");
    if (seg && !tot)
        return ddb_validation(c, "The TotalSegments parameter is required but was not present in "
                                 "the request when Segment parameter is present");
    if (tot && !seg)
        return ddb_validation(c, "The Segment parameter is required but was not present in the "
                                 "request when parameter TotalSegments is present");
    if (seg && json_integer_value(seg) >= json_integer_value(tot))
        return ddb_validation(c,
                              "The Segment parameter is zero-based and must be less than "
                              "parameter TotalSegments: Segment: %lld is not less than "
                              "TotalSegments: %lld",
                              (long long)json_integer_value(seg),
                              (long long)json_integer_value(tot));
    char *sid;
    if (start_id(c, in, &t, index, &k, &sid)) return -1;
    char *p =
        index ? arena_printf(c->a, "%s/%s/", t.name, index) : arena_printf(c->a, "%s/", t.name);
    if (!p) return ferr_oom(c->err);
    acc a = {.c = c,
             .items = json_array(),
             .limit = jint(in, "Limit", 0),
             .segment = seg ? json_integer_value(seg) : 0,
             .total = tot ? json_integer_value(tot) : 0,
             .hash_name = t.hash};
    if (!arena_defer_json(c->a, a.items)) return ferr_oom(c->err);
    if (store_list(c->txn, index ? DDB_INDEX : DDB_ITEM, t.account, c->region, p, sid, 0, acc_cb,
                   &a, c->err) < 0)
        return -1;
    return finish(c, in, &t, &k, def, filter, proj, &a, out);
}
