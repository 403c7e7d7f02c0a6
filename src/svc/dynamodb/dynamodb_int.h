/* Amazon DynamoDB: tables are documents "dynamodb.table" keyed by account, region and name;
 * each item is a document "dynamodb.item" whose id orders as DynamoDB orders keys
 * (item.c: "<table>/<hash>/<range>/"), so a Query is a store_range. Each secondary index
 * keeps its own copy of the items that carry its key ("dynamodb.index",
 * "<table>/<index>/<hash>/<range>/<table key>"), written in the same transaction.
 *
 * Internal to src/svc/dynamodb/: dynamodb.c (tables), item.c (attribute values, keys,
 * items and their indexes), expr.c (the expression language), items.c (item operations),
 * query.c (Query, Scan), batch.c (batches and transactions). */
#ifndef FERRY_SVC_DYNAMODB_INT_H
#define FERRY_SVC_DYNAMODB_INT_H
#include <jansson.h>
#include <stddef.h>

#include "dynamodb.h"
#include "svc/svc.h"

#define DDB_TABLE    DYNAMODB_TABLE_KIND
#define DDB_ITEM     "dynamodb.item"
#define DDB_INDEX    "dynamodb.index"
/* A table's ItemCount and TableSizeBytes (id: the table's name), apart from its document:
 * an item write that changes them writes this small one, and the table's document (kept
 * parsed per generation of tables, dynamodb.c) stays as it was. Tables written before it
 * existed keep theirs in the table's document until their next item write. */
#define DDB_COUNT    "dynamodb.count"
/* AWS: an item is at most 400 KB, names and values counted in UTF-8 bytes */
#define DDB_MAX_ITEM (400 * 1024)

/* A loaded table. The strings and doc belong to the call's arena. */
typedef struct ddb_table {
    json_t *doc; /* shared: read only, until ddb_table_own */
    const char *name, *arn;
    const char *account;      /* the owner's (a table may be reached by ARN from another) */
    const char *hash, *range; /* key attribute names (range NULL when none) */
    int ttl_delete;           /* its writes are TTL deletions (the stream record says so) */
    int shared;               /* doc is the tables' cached document (ddb_table_read) */
} ddb_table;

/* The key schema of a table or index (names borrowed from its document). */
typedef struct ddb_keys {
    const char *hash, *range;
} ddb_keys;

int ddb_validation(call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ddb_not_found(call *c);

/* ---- dynamodb.c ---- */
/* Loads TableName (a name or ARN) and authorizes action on it (NULL: the caller already
 * did, or will): 0, or -1 with ResourceNotFoundException. */
int ddb_table_open(call *c, const char *name, const char *action, ddb_table *t);
/* As ddb_table_open, for the item operations, which change their table's document only
 * now and then (its counts, a stream's sequence): t->doc is the document the tables'
 * cache shares with other requests, and whatever changes it calls ddb_table_own first
 * (copying the table's definition for every write was 4% of a PutItem). */
int ddb_table_read(call *c, const char *name, const char *action, ddb_table *t);
/* t->doc made the request's own (a copy, once): 0, or -1 out of memory. */
int ddb_table_own(call *c, ddb_table *t);
int ddb_table_save(call *c, const ddb_table *t);
/* The table's ItemCount and TableSizeBytes (DDB_COUNT), also set in t->doc: 0 or -1. */
int ddb_table_counts(call *c, ddb_table *t, long long *n, long long *size);
/* Writes them (DDB_COUNT), and sets them in t->doc: 0 or -1. */
int ddb_table_counts_save(call *c, ddb_table *t, long long n, long long size);
/* The key schema of index name of t (NULL: the table's): 0 and *k, or -1 (Validation). */
int ddb_index_keys(call *c, const ddb_table *t, const char *index, ddb_keys *k, const json_t **def);

/* ---- item.c ---- */
/* Checks and canonicalizes an item's values in place (numbers, sets): 0 or -1. */
int ddb_item_check(call *c, json_t *item);
int ddb_value_check(call *c, json_t *v);
/* The item's size in bytes as DynamoDB counts it. */
size_t ddb_item_size(const json_t *item);
/* The type letter(s) of an AttributeValue ("S", "N", "SS", "M"...), NULL if malformed. */
const char *ddb_type(const json_t *v);
/* Checks key (exactly the key attributes of t, right types): 0 or -1. */
int ddb_key_check(call *c, const ddb_table *t, const json_t *key);
/* The order-preserving encoding of a key value (S, N or B), in the arena, or NULL (OOM). */
char *ddb_key_enc(call *c, const json_t *v);
/* The store id of item (which has t's key) in the table: NULL with c->err. */
char *ddb_item_id(call *c, const ddb_table *t, const json_t *item);
/* The key attributes (per k, and t's when t) of item: a new object, NULL on OOM. */
json_t *ddb_key_of(const ddb_keys *k, const ddb_table *t, const json_t *item);
/* Loads the item with key (already checked): 1 and *item (arena), 0 absent, -1 error. */
int ddb_item_get(call *c, const ddb_table *t, const json_t *key, json_t **item);
/* Replaces old (NULL: none) by item (NULL: delete) under the same key, indexes and the
 * table's counts included. 0 or -1. */
int ddb_item_write(call *c, ddb_table *t, const json_t *old, const json_t *item);
/* Numbers equal by value, sets by members, the rest as JSON. */
int ddb_value_equal(const json_t *a, const json_t *b);
/* Items (or maps' members) equal attribute by attribute, as ddb_value_equal. */
int ddb_item_equal(const json_t *x, const json_t *y);
/* <0, 0, >0 for values of the same scalar type (S, N, B); 2 when incomparable. */
int ddb_value_cmp(const json_t *a, const json_t *b);
/* Writes index name's entries for every item of t / deletes them all. 0 or -1. */
int ddb_index_fill(call *c, const ddb_table *t, const char *name);
int ddb_index_drop(call *c, const ddb_table *t, const char *name);
/* Deletes every document of kind of t's account whose id starts with prefix. */
int ddb_drop_prefix(call *c, const ddb_table *t, const char *kind, const char *prefix);
/* Deletes every item and index entry of t. */
int ddb_items_drop(call *c, const ddb_table *t);

/* ---- expr.c ---- */
typedef struct ddb_expr ddb_expr;
typedef enum { DDB_COND, DDB_FILTER, DDB_PROJ, DDB_UPDATE, DDB_KEYCOND } ddb_expr_kind;
/* Parses text of kind with the request's ExpressionAttributeNames/Values (either NULL);
 * what it used is marked in used (a JSON object; may be NULL). NULL with c->err. */
ddb_expr *ddb_expr_parse(call *c, ddb_expr_kind kind, const char *text, const json_t *names,
                         const json_t *values, json_t *used);
/* Condition on item (NULL: no item): 1 true, 0 false, -1 error (c->err). */
int ddb_expr_eval(call *c, const ddb_expr *e, const json_t *item);
/* Applies an update expression to item (modified in place): 0 or -1. */
int ddb_expr_update(call *c, const ddb_expr *e, json_t *item);
/* The projection of item: a new object in the arena, NULL on error. */
json_t *ddb_expr_project(call *c, const ddb_expr *e, const json_t *item);
/* The names of the top-level attributes an update touches (for key checks and
 * UPDATED_OLD/NEW): a new array, NULL on OOM. */
json_t *ddb_expr_update_names(call *c, const ddb_expr *e);
/* A key condition split for a range query: hash equality value, and the sort key's operator
 * ("=", "<", "<=", ">", ">=", "BETWEEN", "begins_with", or NULL) with its values. */
typedef struct ddb_keycond {
    const char *hash_name, *range_name;
    const json_t *hash_value;
    const char *op;
    const json_t *v1, *v2;
} ddb_keycond;
int ddb_expr_keycond(call *c, const ddb_expr *e, ddb_keycond *k);
/* Fails with AWS's message when a name or value given was not used. */
int ddb_expr_unused(call *c, const json_t *names, const json_t *values, const json_t *used);

/* The store key of a document of t (its account, the call's region). */
store_key ddb_key(const call *c, const ddb_table *t, const char *kind, const char *id);
/* The AttributeType t defines for name ("S" when none does). */
const char *ddb_attr_type(const ddb_table *t, const char *name);
/* The store id of item in index (NULL: the table; "" when the item lacks the index's key).
 * NULL with c->err. */
char *ddb_entry_id(call *c, const ddb_table *t, const char *index, const json_t *item);
/* Checks that item holds t's key attributes with the defined types: 0 or -1. */
int ddb_item_key_check(call *c, const ddb_table *t, const json_t *item);

/* ---- query.c ---- */
/* What an index entry holds of item (its projection): a new reference, NULL on OOM. */
json_t *ddb_index_project(const ddb_table *t, const json_t *def, const json_t *item);

/* ---- partiql.c ---- */
/* Runs one PartiQL statement with its parameters ([AttributeValue]); opts holds Limit and
 * NextToken. As the operations it stands for: 0 with *out, or -1. */
int ddb_partiql(call *c, const char *stmt, const json_t *params, json_t *opts, json_t **out);
/* The parse alone: *req = the request it stands for (TableName, IndexName, Item, expressions,
 * "Where" text, "Keys" (the WHERE's top-level equalities) and "Verb"), a new reference. */
int ddb_partiql_translate(call *c, const char *stmt, const json_t *params, json_t **req);

/* ---- items.c ---- */
/* The expression inputs of a request: names and values (checked, numbers canonical), and
 * which of them the expressions used. */
typedef struct ddb_exprs {
    const json_t *names;
    json_t *values, *used;
} ddb_exprs;
int ddb_exprs_init(call *c, json_t *in, ddb_exprs *x);
/* Parses in[member] when present: 0 with *e (NULL when absent), or -1. */
int ddb_exprs_parse(call *c, ddb_exprs *x, const json_t *in, const char *member, ddb_expr_kind kind,
                    ddb_expr **e);
/* After parsing: a name or value given and not used is an error. */
int ddb_exprs_done(call *c, const ddb_exprs *x);
/* Adds member name = v to the error just set (ferr.extra). Returns -1. */
int ddb_err_member(call *c, const char *name, const json_t *v);
/* ConditionalCheckFailedException, with the item when in asks for it
 * (ReturnValuesOnConditionCheckFailure ALL_OLD). Returns -1. */
int ddb_condition_failed(call *c, const json_t *in, const json_t *old);
/* ConsumedCapacity when in asks for it (ReturnConsumedCapacity), into out. 0 or -1. */
int ddb_capacity(call *c, const json_t *in, const ddb_table *t, double units, json_t *out);
/* One write of a transaction or batch, checked and applied: kind is "Put", "Delete",
 * "Update" or "ConditionCheck". Without apply, only the checks and the condition. 0, or -1
 * (a failed condition is ConditionalCheckFailedException). */
int ddb_write_one(call *c, const char *kind, json_t *in, int apply, json_t **old_out);

/* ---- stream.c ---- */
/* A StreamSpecification of CreateTable (create) or UpdateTable applied to t: a stream
 * opened or closed, with AWS's refusals. 0 or -1. */
int ddb_stream_spec(call *c, ddb_table *t, const json_t *ss, int create);
/* The stream record of replacing old by item (either NULL), when t's stream is enabled and
 * the item changed; in c->txn, before t is saved (its sequence is in t's document). 1 when a
 * record was written, 0 when none, -1 on error. */
int ddb_stream_record(call *c, ddb_table *t, const json_t *old, const json_t *item);
/* Deletes every stream record of t (DeleteTable). */
int ddb_stream_drop(call *c, const ddb_table *t);

#endif
