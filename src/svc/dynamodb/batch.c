/* BatchWriteItem, BatchGetItem, TransactWriteItems, TransactGetItems: each element runs as
 * its single-item operation would, inside the request's one transaction. */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/enc.h"
#include "dynamodb_int.h"

#define DDB_TOKEN       "dynamodb.txtoken"
/* AWS: 25 writes, 100 reads, 100 transaction items per request; tokens live 10 minutes */
#define MAX_BATCH_WRITE 25
#define MAX_BATCH_GET   100
#define MAX_TRANSACT    100
#define TOKEN_SECONDS   600

int dynamodb_op_get_item(call *c, json_t *in, json_t **out);

/* A single-item request: the element's members plus TableName. NULL on OOM. */
static json_t *sub_request(call *c, const char *table, const json_t *el)
{
    json_t *r = json_deep_copy(el);
    if (!r || !arena_defer_json(c->a, r) || jset_str(r, "TableName", table)) {
        ferr_oom(c->err);
        return NULL;
    }
    return r;
}

/* Two requests naming one item of one table: the key's id, so that duplicates show. */
static int seen_key(call *c, json_t *seen, const char *table, const json_t *item_or_key, int *dup)
{
    ddb_table t;
    *dup = 0;
    if (ddb_table_read(c, table, NULL, &t)) return -1; /* the operation itself authorizes */
    if (ddb_item_key_check(c, &t, item_or_key)) return -1;
    char *id = ddb_item_id(c, &t, item_or_key);
    if (!id) return -1;
    *dup = json_object_get(seen, id) != NULL;
    return json_object_set_new(seen, id, json_true()) ? ferr_oom(c->err) : 0;
}

int dynamodb_op_batch_write_item(call *c, json_t *in, json_t **out)
{
    json_t *req = json_object_get(in, "RequestItems"), *seen = json_object();
    if (!arena_defer_json(c->a, seen)) return ferr_oom(c->err);
    size_t total = 0;
    const char *table;
    json_t *list;
    json_object_foreach(req, table, list) total += json_array_size(list);
    if (total > MAX_BATCH_WRITE)
        return ddb_validation(c, "Too many items requested for the BatchWriteItem call");
    if (!total)
        return ddb_validation(c,
                              "The batch write request list for a table cannot be null or "
                              "empty: %s",
                              json_object_size(req) ? json_object_iter_key(json_object_iter(req))
                                                    : "");
    json_object_foreach(req, table, list) {
        size_t i;
        json_t *w;
        json_array_foreach(list, i, w) {
            const json_t *put = json_object_get(w, "PutRequest"),
                         *del = json_object_get(w, "DeleteRequest");
            if (!put == !del)
                return ddb_validation(c, "Supplied AttributeValue has more than one datatypes "
                                         "set, must contain exactly one of the supported "
                                         "datatypes");
            json_t *sub = sub_request(c, table, put ? put : del);
            int dup;
            if (!sub ||
                seen_key(c, seen, table,
                         put ? json_object_get(put, "Item") : json_object_get(del, "Key"), &dup))
                return -1;
            if (dup) return ddb_validation(c, "Provided list of item keys contains duplicates");
            if (ddb_write_one(c, put ? "Put" : "Delete", sub, 1, NULL)) return -1;
        }
    }
    *out = svc_out(c, json_pack("{s:{}}", "UnprocessedItems"));
    return 0;
}

/* One GetItem, as its own operation runs it: the item or NULL (absent). -1 on error. */
static int get_one(call *c, const char *table, const json_t *opts, const json_t *key, json_t **item)
{
    json_t *sub = sub_request(c, table, opts), *o = NULL;
    if (!sub) return -1;
    json_object_del(sub, "Keys");
    if (json_object_set(sub, "Key", (json_t *)key)) return ferr_oom(c->err);
    if (dynamodb_op_get_item(c, sub, &o)) return -1;
    if (!o || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    *item = json_object_get(o, "Item");
    return 0;
}

int dynamodb_op_batch_get_item(call *c, json_t *in, json_t **out)
{
    json_t *req = json_object_get(in, "RequestItems"), *res = json_object(), *seen = json_object();
    if (!arena_defer_json(c->a, res) || !arena_defer_json(c->a, seen)) return ferr_oom(c->err);
    size_t total = 0;
    const char *table;
    json_t *spec;
    json_object_foreach(req, table, spec) total += json_array_size(json_object_get(spec, "Keys"));
    if (total > MAX_BATCH_GET)
        return ddb_validation(c, "Too many items requested for the BatchGetItem call");
    json_object_foreach(req, table, spec) {
        json_t *items = json_array(), *key;
        if (!items || json_object_set_new(res, table, items)) return ferr_oom(c->err);
        size_t i;
        json_array_foreach(json_object_get(spec, "Keys"), i, key) {
            int dup;
            if (seen_key(c, seen, table, key, &dup)) return -1;
            if (dup) return ddb_validation(c, "Provided list of item keys contains duplicates");
            json_t *item;
            if (get_one(c, table, spec, key, &item)) return -1;
            if (item && json_array_append(items, item)) return ferr_oom(c->err);
        }
    }
    *out = svc_out(c, json_pack("{s:O, s:{}}", "Responses", res, "UnprocessedKeys"));
    return 0;
}

/* ---- transactions ---- */

static const char *const tx_kinds[] = {"ConditionCheck", "Put", "Delete", "Update"};

/* The element's kind and body: 0, or -1 when it has none or more than one. */
static int tx_member(call *c, const json_t *el, const char **kind, json_t **body)
{
    *body = NULL;
    for (int k = 0; k < 4; k++) {
        json_t *b = json_object_get(el, tx_kinds[k]);
        if (!b) continue;
        if (*body)
            return ddb_validation(c, "TransactItems can only contain one of Check, Put, Update or "
                                     "Delete");
        *kind = tx_kinds[k];
        *body = b;
    }
    if (!*body)
        return ddb_validation(c, "TransactItems can only contain one of Check, Put, Update or "
                                 "Delete");
    return 0;
}

/* ClientRequestToken: 1 when the same request already ran (answer success again), 0 when it
 * is new (recorded), -1 when the token came with another request. */
static int token_check(call *c, json_t *in)
{
    const char *tok = jstr(in, "ClientRequestToken");
    if (!tok) return 0;
    char *text = json_dumps(json_object_get(in, "TransactItems"), JSON_COMPACT | JSON_SORT_KEYS);
    if (!text) return ferr_oom(c->err);
    char h[65];
    enc_sha256_hex(text, strlen(text), h);
    free(text);
    store_key k = call_key(c, DDB_TOKEN, tok);
    json_t *doc;
    int rc = store_get(c->txn, &k, &doc, c->err);
    if (rc < 0) return -1;
    double now = clock_now();
    if (rc) {
        int same = !strcmp(jstr(doc, "Hash") ? jstr(doc, "Hash") : "", h);
        double at = json_number_value(json_object_get(doc, "At"));
        json_decref(doc);
        if (now - at < TOKEN_SECONDS) {
            if (same) return 1;
            return ferr_set(c->err, 400, "IdempotentParameterMismatchException",
                            "Specified idempotent token was used with different request "
                            "parameters within the 10-minute idempotency window.");
        }
    }
    json_t *d = json_pack("{s:s, s:f}", "Hash", h, "At", now);
    if (!d || !arena_defer_json(c->a, d)) return ferr_oom(c->err);
    return store_put(c->txn, &k, d, c->err);
}

int dynamodb_op_transact_write_items(call *c, json_t *in, json_t **out)
{
    json_t *items = json_object_get(in, "TransactItems"), *seen = json_object(),
           *reasons = json_array();
    if (!arena_defer_json(c->a, seen) || !arena_defer_json(c->a, reasons)) return ferr_oom(c->err);
    if (json_array_size(items) > MAX_TRANSACT)
        return ddb_validation(c, "Member must have length less than or equal to 100");
    int rc = token_check(c, in);
    if (rc < 0) return -1;
    if (rc) {
        *out = svc_out(c, json_object());
        return 0;
    }
    size_t i;
    json_t *el;
    int failed = 0;
    json_array_foreach(items, i, el) {
        const char *kind;
        json_t *body;
        if (tx_member(c, el, &kind, &body)) return -1;
        const json_t *key =
            !strcmp(kind, "Put") ? json_object_get(body, "Item") : json_object_get(body, "Key");
        int dup;
        if (seen_key(c, seen, jstr(body, "TableName"), key, &dup)) return -1;
        if (dup)
            return ddb_validation(c, "Transaction request cannot include multiple operations on "
                                     "one item");
        json_t *old = NULL, *r;
        if (!ddb_write_one(c, kind, body, 0, &old)) {
            r = json_pack("{s:s}", "Code", "None");
        } else if (!strcmp(c->err->code, "ConditionalCheckFailedException")) {
            failed = 1;
            r = json_pack("{s:s, s:s}", "Code", "ConditionalCheckFailed", "Message",
                          "The conditional request failed");
            const char *rv = jstr(body, "ReturnValuesOnConditionCheckFailure");
            if (r && old && rv && !strcmp(rv, "ALL_OLD") && json_object_set(r, "Item", old)) {
                json_decref(r);
                r = NULL;
            }
            ferr_clear(c->err);
        } else {
            return -1;
        }
        if (!r || json_array_append_new(reasons, r)) return ferr_oom(c->err);
    }
    if (failed) {
        char words[1024] = "";
        json_array_foreach(reasons, i, el) {
            size_t n = strlen(words);
            snprintf(words + n, sizeof(words) - n, "%s%s", i ? ", " : "", jstr(el, "Code"));
        }
        ferr_set(c->err, 400, "TransactionCanceledException",
                 "Transaction cancelled, please refer cancellation reasons for specific reasons "
                 "[%s]",
                 words);
        return ddb_err_member(c, "CancellationReasons", reasons);
    }
    json_array_foreach(items, i, el) {
        const char *kind;
        json_t *body;
        if (tx_member(c, el, &kind, &body) || ddb_write_one(c, kind, body, 1, NULL)) return -1;
    }
    *out = svc_out(c, json_object());
    return 0;
}

int dynamodb_op_transact_get_items(call *c, json_t *in, json_t **out)
{
    json_t *items = json_object_get(in, "TransactItems"), *res = json_array();
    if (!arena_defer_json(c->a, res)) return ferr_oom(c->err);
    if (json_array_size(items) > MAX_TRANSACT)
        return ddb_validation(c, "Member must have length less than or equal to 100");
    size_t i;
    json_t *el;
    json_array_foreach(items, i, el) {
        const json_t *g = json_object_get(el, "Get");
        json_t *item;
        if (get_one(c, jstr(g, "TableName"), g, json_object_get(g, "Key"), &item)) return -1;
        json_t *r = item ? json_pack("{s:O}", "Item", item) : json_object();
        if (!r || json_array_append_new(res, r)) return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:O}", "Responses", res));
    return 0;
}
