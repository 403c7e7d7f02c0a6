/* Attribute values, keys and items: their checks, sizes and order, and how an item and its
 * index entries are laid out in the store. */
#include <stdlib.h>
#include <string.h>

#include "base/decnum.h"
#include "base/enc.h"
#include "dynamodb_int.h"

static const char *const types[] = {"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"};

const char *ddb_type(const json_t *v)
{
    if (!json_is_object(v) || json_object_size(v) != 1) return NULL;
    const char *k = json_object_iter_key(json_object_iter((json_t *)v));
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (!strcmp(k, types[i])) return types[i];
    return NULL;
}

static int number_canon(call *c, json_t *holder, const char *key, size_t idx, const char *s)
{
    decnum d;
    decnum_rc rc = decnum_parse(s, strlen(s), &d);
    if (rc) return ddb_validation(c, "%s", decnum_message(rc));
    char out[DECNUM_STR_MAX];
    decnum_str(&d, out);
    if (!strcmp(out, s)) return 0;
    if (key ? json_object_set_new(holder, key, json_string(out))
            : json_array_set_new(holder, idx, json_string(out)))
        return ferr_oom(c->err);
    return 0;
}

static int set_check(call *c, json_t *set, const char *t)
{
    if (!json_array_size(set))
        return ddb_validation(c,
                              "One or more parameter values were invalid: An %s set  may not "
                              "be empty",
                              !strcmp(t, "SS")   ? "string"
                              : !strcmp(t, "NS") ? "number"
                                                 : "binary");
    size_t i, j;
    json_t *x;
    json_array_foreach(set, i, x) {
        if (!strcmp(t, "NS") && number_canon(c, set, NULL, i, json_string_value(x))) return -1;
    }
    for (i = 0; i < json_array_size(set); i++)
        for (j = i + 1; j < json_array_size(set); j++)
            if (json_equal(json_array_get(set, i), json_array_get(set, j)))
                return ddb_validation(c, "One or more parameter values were invalid: Input "
                                         "collection contains duplicates.");
    return 0;
}

static int value_check(call *c, json_t *v, int depth)
{
    if (depth > 32)
        return ddb_validation(c, "Nesting Levels have exceeded supported limits: Nesting levels "
                                 "in an item must be 32 or fewer");
    if (!json_is_object(v) || !json_object_size(v))
        return ddb_validation(c, "Supplied AttributeValue is empty, must contain exactly one of "
                                 "the supported datatypes");
    if (json_object_size(v) > 1)
        return ddb_validation(c, "Supplied AttributeValue has more than one datatypes set, must "
                                 "contain exactly one of the supported datatypes");
    const char *t = ddb_type(v);
    json_t *x = json_object_get(v, t);
    if (!strcmp(t, "N")) return number_canon(c, v, "N", 0, json_string_value(x));
    if (!strcmp(t, "NULL") && !json_is_true(x))
        return ddb_validation(c, "One or more parameter values were invalid: Null attribute "
                                 "value types must have the value of true");
    if (t[1] == 'S') return set_check(c, x, t);
    const char *k;
    json_t *y;
    size_t i;
    if (!strcmp(t, "M")) {
        json_object_foreach(x, k, y) {
            if (value_check(c, y, depth + 1)) return -1;
        }
    } else if (!strcmp(t, "L")) {
        json_array_foreach(x, i, y) {
            if (value_check(c, y, depth + 1)) return -1;
        }
    }
    return 0;
}

int ddb_value_check(call *c, json_t *v)
{
    return value_check(c, v, 0);
}

int ddb_item_check(call *c, json_t *item)
{
    const char *k;
    json_t *v;
    json_object_foreach(item, k, v) {
        if (value_check(c, v, 0)) return -1;
    }
    if (ddb_item_size(item) > DDB_MAX_ITEM)
        return ddb_validation(c, "Item size has exceeded the maximum allowed size");
    return 0;
}

/* AWS's sizing: strings and binaries by their bytes, numbers about one byte per two digits
 * plus one, one byte for BOOL and NULL, three bytes of overhead per list or map and one per
 * element. */
static size_t value_size(const json_t *v)
{
    const char *t = ddb_type(v);
    if (!t) return 0;
    json_t *x = json_object_get(v, t), *y;
    size_t n = 0, i;
    const char *k;
    if (!strcmp(t, "S")) return json_string_length(x);
    if (!strcmp(t, "B")) return json_string_length(x) * 3 / 4;
    if (!strcmp(t, "N")) return (json_string_length(x) + 1) / 2 + 1;
    if (!strcmp(t, "BOOL") || !strcmp(t, "NULL")) return 1;
    if (!strcmp(t, "M")) {
        json_object_foreach(x, k, y) n += strlen(k) + value_size(y) + 1;
        return n + 3;
    }
    json_array_foreach(x, i, y) {
        if (!strcmp(t, "L"))
            n += value_size(y) + 1;
        else if (!strcmp(t, "SS"))
            n += json_string_length(y);
        else if (!strcmp(t, "BS"))
            n += json_string_length(y) * 3 / 4;
        else
            n += (json_string_length(y) + 1) / 2 + 1;
    }
    return !strcmp(t, "L") ? n + 3 : n;
}

size_t ddb_item_size(const json_t *item)
{
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)item, k, v) n += strlen(k) + value_size(v);
    return n;
}

/* ---- order and equality ---- */

static const unsigned char *bytes_of(arena *a, const json_t *s, size_t *n)
{
    return enc_unb64(a, json_string_value(s), json_string_length(s), n);
}

int ddb_value_cmp(const json_t *a, const json_t *b)
{
    const char *ta = ddb_type(a), *tb = ddb_type(b);
    if (!ta || !tb || strcmp(ta, tb)) return 2;
    const json_t *x = json_object_get(a, ta), *y = json_object_get(b, tb);
    if (!strcmp(ta, "N")) {
        decnum p, q;
        if (decnum_parse(json_string_value(x), json_string_length(x), &p) ||
            decnum_parse(json_string_value(y), json_string_length(y), &q))
            return 2;
        return decnum_cmp(&p, &q);
    }
    if (strcmp(ta, "S") && strcmp(ta, "B")) return 2;
    arena *ar = NULL;
    const unsigned char *p = (const unsigned char *)json_string_value(x),
                        *q = (const unsigned char *)json_string_value(y);
    size_t np = json_string_length(x), nq = json_string_length(y);
    if (ta[0] == 'B') {
        ar = arena_new(0);
        p = ar ? bytes_of(ar, x, &np) : NULL;
        q = ar ? bytes_of(ar, y, &nq) : NULL;
        if (!p || !q) {
            arena_free(ar);
            return 2;
        }
    }
    int r = memcmp(p, q, np < nq ? np : nq);
    if (!r) r = np < nq ? -1 : np > nq;
    arena_free(ar);
    return r < 0 ? -1 : r > 0;
}

static int member_of(const json_t *set, const json_t *x, int numeric)
{
    size_t i;
    json_t *y;
    json_array_foreach(set, i, y) {
        if (numeric) {
            json_t *p = json_pack("{s:O}", "N", x), *q = json_pack("{s:O}", "N", y);
            int eq = p && q && ddb_value_cmp(p, q) == 0;
            json_decref(p);
            json_decref(q);
            if (eq) return 1;
        } else if (json_equal(x, y)) {
            return 1;
        }
    }
    return 0;
}

int ddb_item_equal(const json_t *x, const json_t *y)
{
    if (json_object_size(x) != json_object_size(y)) return 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)x, k, v) {
        const json_t *w = json_object_get(y, k);
        if (!w || !ddb_value_equal(v, w)) return 0;
    }
    return 1;
}

int ddb_value_equal(const json_t *a, const json_t *b)
{
    const char *ta = ddb_type(a), *tb = ddb_type(b);
    if (!ta || !tb || strcmp(ta, tb)) return 0;
    const json_t *x = json_object_get(a, ta), *y = json_object_get(b, tb);
    if (!strcmp(ta, "N")) return ddb_value_cmp(a, b) == 0;
    if (ta[1] == 'S' && ta[0] != 'S') goto set;
    if (!strcmp(ta, "SS")) goto set;
    if (!strcmp(ta, "L")) {
        if (json_array_size(x) != json_array_size(y)) return 0;
        for (size_t i = 0; i < json_array_size(x); i++)
            if (!ddb_value_equal(json_array_get(x, i), json_array_get(y, i))) return 0;
        return 1;
    }
    if (!strcmp(ta, "M")) return ddb_item_equal(x, y);
    return json_equal(x, y);
set:
    if (json_array_size(x) != json_array_size(y)) return 0;
    size_t i;
    json_t *v;
    json_array_foreach(x, i, v) {
        if (!member_of(y, v, !strcmp(ta, "NS"))) return 0;
    }
    return 1;
}

/* ---- keys ---- */

store_key ddb_key(const call *c, const ddb_table *t, const char *kind, const char *id)
{
    return (store_key){kind, t->account, c->region, id};
}

const char *ddb_attr_type(const ddb_table *t, const char *name)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(t->doc, "AttributeDefinitions"), i, d) {
        if (!strcmp(jstr(d, "AttributeName"), name)) return jstr(d, "AttributeType");
    }
    return "S";
}

char *ddb_key_enc(call *c, const json_t *v)
{
    const char *t = ddb_type(v);
    const json_t *x = json_object_get(v, t ? t : "S");
    if (t && !strcmp(t, "N")) {
        decnum d;
        if (decnum_parse(json_string_value(x), json_string_length(x), &d)) return NULL;
        char *k = arena_alloc(c->a, DECNUM_KEY_MAX);
        if (k) decnum_sortkey(&d, k);
        return k;
    }
    const unsigned char *p = (const unsigned char *)json_string_value(x);
    size_t n = json_string_length(x);
    if (t && !strcmp(t, "B")) p = bytes_of(c->a, x, &n);
    char *h = p ? arena_alloc(c->a, 2 * n + 1) : NULL;
    if (h) enc_hex(p, n, h);
    return h;
}

/* One key attribute of a key or item: 0, or -1 when absent or of the wrong type. */
static int key_attr(call *c, const ddb_table *t, const char *name, const json_t *v, int item,
                    const char *index)
{
    const char *want = ddb_attr_type(t, name), *got = ddb_type(v);
    if (!v) {
        if (item) {
            if (index) return 1;
            return ddb_validation(c,
                                  "One or more parameter values were invalid: Missing the key "
                                  "%s in the item",
                                  name);
        }
        return ddb_validation(c, "The provided key element does not match the schema");
    }
    if (!got || strcmp(want, got)) {
        if (index)
            return ddb_validation(c,
                                  "One or more parameter values were invalid: Type mismatch "
                                  "for Index Key %s Expected: %s Actual: %s IndexName: %s",
                                  name, want, got ? got : "?", index);
        if (item)
            return ddb_validation(c,
                                  "One or more parameter values were invalid: Type mismatch "
                                  "for key %s expected: %s actual: %s",
                                  name, want, got ? got : "?");
        return ddb_validation(c, "The provided key element does not match the schema");
    }
    if (!json_string_length(json_object_get(v, got)))
        return ddb_validation(c,
                              "One or more parameter values are not valid. The AttributeValue "
                              "for a key attribute cannot contain an empty %s value. Key: %s",
                              got[0] == 'S' ? "string" : "binary", name);
    return 0;
}

int ddb_key_check(call *c, const ddb_table *t, const json_t *key)
{
    if (json_object_size(key) != (t->range ? 2u : 1u))
        return ddb_validation(c, "The provided key element does not match the schema");
    if (ddb_value_check(c, json_object_get(key, t->hash)) ||
        key_attr(c, t, t->hash, json_object_get(key, t->hash), 0, NULL))
        return -1;
    if (t->range && (ddb_value_check(c, json_object_get(key, t->range)) ||
                     key_attr(c, t, t->range, json_object_get(key, t->range), 0, NULL)))
        return -1;
    return 0;
}

static char *keys_enc(call *c, const ddb_keys *k, const json_t *item)
{
    char *h = ddb_key_enc(c, json_object_get(item, k->hash));
    char *r = k->range ? ddb_key_enc(c, json_object_get(item, k->range)) : "";
    if (!h || !r) return NULL;
    return arena_printf(c->a, "%s/%s%s", h, r, k->range ? "/" : "");
}

char *ddb_item_id(call *c, const ddb_table *t, const json_t *item)
{
    ddb_keys k = {t->hash, t->range};
    char *e = keys_enc(c, &k, item);
    char *id = e ? arena_printf(c->a, "%s/%s", t->name, e) : NULL;
    if (!id) ferr_oom(c->err);
    return id;
}

json_t *ddb_key_of(const ddb_keys *k, const ddb_table *t, const json_t *item)
{
    json_t *o = json_object();
    const char *names[] = {k->hash, k->range, t ? t->hash : NULL, t ? t->range : NULL};
    for (int i = 0; i < 4 && o; i++) {
        json_t *v = names[i] ? json_object_get(item, names[i]) : NULL;
        if (v && json_object_set(o, names[i], v)) {
            json_decref(o);
            o = NULL;
        }
    }
    return o;
}

int ddb_item_get(call *c, const ddb_table *t, const json_t *key, json_t **item)
{
    char *id = ddb_item_id(c, t, key);
    if (!id) return -1;
    store_key k = ddb_key(c, t, DDB_ITEM, id);
    int rc = store_get(c->txn, &k, item, c->err);
    if (rc == 1 && !arena_defer_json(c->a, *item)) return ferr_oom(c->err);
    return rc;
}

/* ---- indexes ---- */

/* The entry id of item in index x, or "" when the item lacks the index's key. NULL: error. */
static char *index_id(call *c, const ddb_table *t, const json_t *x, const json_t *item, int check)
{
    ddb_keys k;
    const char *n = jstr(x, "IndexName");
    ddb_index_keys(c, t, n, &k, NULL);
    const char *names[] = {k.hash, k.range};
    for (int i = 0; i < 2; i++) {
        if (!names[i]) continue;
        int rc = check ? key_attr(c, t, names[i], json_object_get(item, names[i]), 1, n)
                       : !json_object_get(item, names[i]);
        if (rc < 0) return NULL;
        if (rc) return "";
    }
    ddb_keys tk = {t->hash, t->range};
    char *ie = keys_enc(c, &k, item), *te = keys_enc(c, &tk, item);
    char *id = ie && te ? arena_printf(c->a, "%s/%s/%s%s", t->name, n, ie, te) : NULL;
    if (!id) ferr_oom(c->err);
    return id;
}

static int index_each(call *c, const ddb_table *t, const json_t *item, int put, int check)
{
    const char *lists[] = {"LocalSecondaryIndexes", "GlobalSecondaryIndexes"};
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(t->doc, lists[l]), i, x) {
            char *id = index_id(c, t, x, item, check);
            if (!id) return -1;
            if (!*id || check) continue;
            store_key k = ddb_key(c, t, DDB_INDEX, id);
            if (put ? store_put(c->txn, &k, item, c->err) : store_del(c->txn, &k, c->err) < 0)
                return -1;
        }
    }
    return 0;
}

int ddb_item_write(call *c, ddb_table *t, const json_t *old, const json_t *item)
{
    if (item && index_each(c, t, item, 1, 1)) return -1;
    char *id = ddb_item_id(c, t, item ? item : old);
    if (!id) return -1;
    store_key k = ddb_key(c, t, DDB_ITEM, id);
    if (old && index_each(c, t, old, 0, 0)) return -1;
    if (item ? store_put(c->txn, &k, item, c->err) : store_del(c->txn, &k, c->err) < 0) return -1;
    if (item && index_each(c, t, item, 1, 0)) return -1;
    /* the counts are a small document of their own, read and written only when they change
     * (an overwrite by an item of its size, a lock renewed, touches neither); the table's
     * document only when a stream record moved its sequence */
    long long dn = (item != NULL) - (old != NULL);
    long long ds =
        (item ? (long long)ddb_item_size(item) : 0) - (old ? (long long)ddb_item_size(old) : 0);
    long long n0, s0;
    if ((dn || ds) && (ddb_table_counts(c, t, &n0, &s0) ||
                       ddb_table_counts_save(c, t, n0 + dn, s0 + ds < 0 ? 0 : s0 + ds)))
        return -1;
    int rc = ddb_stream_record(c, t, old, item);
    if (rc < 0) return -1;
    return rc ? ddb_table_save(c, t) : 0;
}

/* ---- whole tables ---- */

static int collect(void *ud, const store_key *k, json_t *doc)
{
    json_t *pair = json_pack("[s,O]", k->id, doc);
    return !pair || json_array_append_new(ud, pair);
}

/* Every document of kind under prefix: a [id, doc] array in the arena, NULL on error. */
static json_t *all_of(call *c, const ddb_table *t, const char *kind, const char *prefix)
{
    json_t *a = json_array();
    if (!a || !arena_defer_json(c->a, a)) {
        ferr_oom(c->err);
        return NULL;
    }
    int n = store_list(c->txn, kind, t->account, c->region, prefix, NULL, 0, collect, a, c->err);
    if (n < 0) return NULL;
    if ((size_t)n != json_array_size(a)) {
        ferr_oom(c->err);
        return NULL;
    }
    return a;
}

int ddb_drop_prefix(call *c, const ddb_table *t, const char *kind, const char *prefix)
{
    json_t *a = all_of(c, t, kind, prefix), *p;
    if (!a) return -1;
    size_t i;
    json_array_foreach(a, i, p) {
        store_key k = ddb_key(c, t, kind, json_string_value(json_array_get(p, 0)));
        if (store_del(c->txn, &k, c->err) < 0) return -1;
    }
    return 0;
}

int ddb_items_drop(call *c, const ddb_table *t)
{
    char *p = arena_printf(c->a, "%s/", t->name);
    if (!p) return ferr_oom(c->err);
    return ddb_drop_prefix(c, t, DDB_ITEM, p) || ddb_drop_prefix(c, t, DDB_INDEX, p) ? -1 : 0;
}

int ddb_index_drop(call *c, const ddb_table *t, const char *name)
{
    char *p = arena_printf(c->a, "%s/%s/", t->name, name);
    if (!p) return ferr_oom(c->err);
    return ddb_drop_prefix(c, t, DDB_INDEX, p);
}

int ddb_index_fill(call *c, const ddb_table *t, const char *name)
{
    char *p = arena_printf(c->a, "%s/", t->name);
    json_t *a = p ? all_of(c, t, DDB_ITEM, p) : NULL, *pr;
    if (!a) return p ? -1 : ferr_oom(c->err);
    const json_t *x = NULL;
    ddb_keys k;
    if (ddb_index_keys(c, t, name, &k, &x)) return -1;
    size_t i;
    json_array_foreach(a, i, pr) {
        const json_t *item = json_array_get(pr, 1);
        char *id = index_id(c, t, x, item, 0);
        if (!id) return -1;
        if (!*id) continue;
        store_key sk = ddb_key(c, t, DDB_INDEX, id);
        if (store_put(c->txn, &sk, item, c->err)) return -1;
    }
    return 0;
}

int ddb_item_key_check(call *c, const ddb_table *t, const json_t *item)
{
    if (key_attr(c, t, t->hash, json_object_get(item, t->hash), 1, NULL)) return -1;
    if (t->range && key_attr(c, t, t->range, json_object_get(item, t->range), 1, NULL)) return -1;
    return 0;
}

char *ddb_entry_id(call *c, const ddb_table *t, const char *index, const json_t *item)
{
    if (!index) return ddb_item_id(c, t, item);
    ddb_keys k;
    const json_t *x;
    if (ddb_index_keys(c, t, index, &k, &x)) return NULL;
    return index_id(c, t, x, item, 0);
}
