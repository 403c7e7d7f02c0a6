/* PutItem, GetItem, UpdateItem, DeleteItem, and what they share with batches and
 * transactions (one write, checked and applied). */
#include <stdlib.h>
#include <string.h>

#include "dynamodb_int.h"

int ddb_exprs_init(call *c, json_t *in, ddb_exprs *x)
{
    x->names = json_object_get(in, "ExpressionAttributeNames");
    x->values = json_object_get(in, "ExpressionAttributeValues");
    x->used = json_object();
    if (!x->used || !arena_defer_json(c->a, x->used)) return ferr_oom(c->err);
    if (x->values && !json_object_size(x->values))
        return ddb_validation(c, "ExpressionAttributeValues must not be empty");
    if (x->names && !json_object_size(x->names))
        return ddb_validation(c, "ExpressionAttributeNames must not be empty");
    const char *k;
    json_t *v;
    json_object_foreach(x->values, k, v) {
        if (k[0] != ':')
            return ddb_validation(c,
                                  "ExpressionAttributeValues contains invalid key: Syntax "
                                  "error; key: \"%s\"",
                                  k);
        if (ddb_value_check(c, v)) {
            char m[sizeof(c->err->message)];
            memcpy(m, c->err->message, sizeof(m));
            return ddb_validation(c,
                                  "ExpressionAttributeValues contains invalid value: %s for "
                                  "key %s",
                                  m, k);
        }
    }
    return 0;
}

int ddb_exprs_parse(call *c, ddb_exprs *x, const json_t *in, const char *member, ddb_expr_kind kind,
                    ddb_expr **e)
{
    const char *text = jstr(in, member);
    *e = NULL;
    if (!text) return 0;
    *e = ddb_expr_parse(c, kind, text, x->names, x->values, x->used);
    return *e ? 0 : -1;
}

int ddb_exprs_done(call *c, const ddb_exprs *x)
{
    return ddb_expr_unused(c, x->names, x->values, x->used);
}

int ddb_err_member(call *c, const char *name, const json_t *v)
{
    json_t *o = json_pack("{s:O}", name, v);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    /* out of memory: the error goes without the member rather than failing again */
    if (s) ferr_extra(c->err, arena_strdup(c->a, s));
    free(s);
    return -1;
}

int ddb_condition_failed(call *c, const json_t *in, const json_t *old)
{
    ferr_set(c->err, 400, "ConditionalCheckFailedException", "The conditional request failed");
    const char *rv = jstr(in, "ReturnValuesOnConditionCheckFailure");
    if (old && rv && !strcmp(rv, "ALL_OLD")) return ddb_err_member(c, "Item", old);
    return -1;
}

int ddb_capacity(call *c, const json_t *in, const ddb_table *t, double units, json_t *out)
{
    const char *rc = jstr(in, "ReturnConsumedCapacity");
    if (!rc || !strcmp(rc, "NONE")) return 0;
    json_t *cc = json_pack("{s:s, s:f}", "TableName", t->name, "CapacityUnits", units);
    if (cc && !strcmp(rc, "INDEXES") &&
        json_object_set_new(cc, "Table", json_pack("{s:f}", "CapacityUnits", units))) {
        json_decref(cc);
        cc = NULL;
    }
    if (!cc || json_object_set_new(out, "ConsumedCapacity", cc)) return ferr_oom(c->err);
    return 0;
}

static int return_values(call *c, const json_t *in, const char *allowed)
{
    const char *rv = jstr(in, "ReturnValues");
    if (!rv || !strcmp(rv, "NONE") || strstr(allowed, rv)) return 0;
    return ddb_validation(c, "ReturnValues can only be %s",
                          strcmp(allowed, "ALL_OLD") ? "ALL_OLD, ALL_NEW, UPDATED_OLD, UPDATED_NEW "
                                                       "or NONE"
                                                     : "ALL_OLD or NONE");
}

/* The top-level attributes of item named in names (UPDATED_OLD, UPDATED_NEW). */
static json_t *pick(const json_t *item, const json_t *names)
{
    json_t *o = json_object();
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) {
        json_t *v = json_object_get(item, json_string_value(n));
        if (o && v && json_object_set(o, json_string_value(n), v)) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* A write, from its request (PutItem's, or one element of TransactWriteItems): loads the
 * table (authorized as action), checks, evaluates the condition and, with apply, writes.
 * *old_out (may be NULL) gets the item before; *new_out the item after. */
static int write_core(call *c, const char *kind, json_t *in, int apply, ddb_table *t,
                      json_t **old_out, json_t **new_out, json_t **updated)
{
    const char *action = !strcmp(kind, "Put")      ? "dynamodb:PutItem"
                         : !strcmp(kind, "Delete") ? "dynamodb:DeleteItem"
                         : !strcmp(kind, "Update") ? "dynamodb:UpdateItem"
                                                   : "dynamodb:ConditionCheckItem";
    if (ddb_table_read(c, jstr(in, "TableName"), action, t)) return -1;
    json_t *item = NULL, *key;
    if (!strcmp(kind, "Put")) {
        item = json_object_get(in, "Item");
        if (ddb_item_check(c, item) || ddb_item_key_check(c, t, item)) return -1;
        key = item;
    } else {
        key = json_object_get(in, "Key");
        if (ddb_key_check(c, t, key)) return -1;
    }
    ddb_exprs x;
    ddb_expr *cond, *upd = NULL;
    if (ddb_exprs_init(c, in, &x) ||
        ddb_exprs_parse(c, &x, in, "ConditionExpression", DDB_COND, &cond) ||
        (!strcmp(kind, "Update") &&
         ddb_exprs_parse(c, &x, in, "UpdateExpression", DDB_UPDATE, &upd)) ||
        ddb_exprs_done(c, &x))
        return -1;
    if (!strcmp(kind, "ConditionCheck") && !cond)
        return ddb_validation(c, "1 validation error detected: Value null at "
                                 "'conditionExpression' failed to satisfy constraint: Member "
                                 "must not be null");
    json_t *old = NULL;
    int rc = ddb_item_get(c, t, key, &old);
    if (rc < 0) return -1;
    if (old_out) *old_out = old;
    if (cond) {
        int ok = ddb_expr_eval(c, cond, old);
        if (ok < 0) return -1;
        if (!ok) return ddb_condition_failed(c, in, old);
    }
    if (!strcmp(kind, "Update")) {
        item = old ? json_deep_copy(old) : json_deep_copy(key);
        if (!item || !arena_defer_json(c->a, item)) return ferr_oom(c->err);
        if (upd) {
            json_t *names = ddb_expr_update_names(c, upd);
            if (!names) return -1;
            size_t i;
            json_t *n;
            json_array_foreach(names, i, n) {
                const char *s = json_string_value(n);
                if (!strcmp(s, t->hash) || (t->range && !strcmp(s, t->range)))
                    return ddb_validation(c,
                                          "One or more parameter values were invalid: Cannot "
                                          "update attribute %s. This attribute is part of the "
                                          "key",
                                          s);
            }
            if (updated) *updated = names;
            if (ddb_expr_update(c, upd, item) || ddb_item_check(c, item)) return -1;
        }
    }
    if (new_out) *new_out = item;
    if (!apply || !strcmp(kind, "ConditionCheck")) return 0;
    if (!strcmp(kind, "Delete") && !old) return 0;
    return ddb_item_write(c, t, old, item);
}

int ddb_write_one(call *c, const char *kind, json_t *in, int apply, json_t **old_out)
{
    ddb_table t;
    return write_core(c, kind, in, apply, &t, old_out, NULL, NULL);
}

static int write_op(call *c, const char *kind, json_t *in, json_t **out)
{
    if (return_values(
            c, in, !strcmp(kind, "Update") ? "ALL_OLD ALL_NEW UPDATED_OLD UPDATED_NEW" : "ALL_OLD"))
        return -1;
    ddb_table t;
    json_t *old = NULL, *item = NULL, *updated = NULL;
    if (write_core(c, kind, in, 1, &t, &old, &item, &updated)) return -1;
    json_t *o = json_object();
    if (!o || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    const char *rv = jstr(in, "ReturnValues");
    json_t *attrs = NULL;
    if (rv && !strcmp(rv, "ALL_OLD") && old) attrs = json_incref(old);
    if (rv && !strcmp(rv, "ALL_NEW")) attrs = json_incref(item);
    if (rv && !strcmp(rv, "UPDATED_OLD") && old) attrs = pick(old, updated);
    if (rv && !strcmp(rv, "UPDATED_NEW")) attrs = pick(item, updated);
    if (attrs && json_object_size(attrs) && json_object_set(o, "Attributes", attrs)) {
        json_decref(attrs);
        return ferr_oom(c->err);
    }
    json_decref(attrs);
    if (ddb_capacity(c, in, &t, 1.0, o)) return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

int dynamodb_op_put_item(call *c, json_t *in, json_t **out)
{
    return write_op(c, "Put", in, out);
}

int dynamodb_op_delete_item(call *c, json_t *in, json_t **out)
{
    return write_op(c, "Delete", in, out);
}

int dynamodb_op_update_item(call *c, json_t *in, json_t **out)
{
    return write_op(c, "Update", in, out);
}

/* AttributesToGet (the legacy projection): the named top-level attributes. */
static json_t *legacy_project(const json_t *item, const json_t *names)
{
    return pick(item, names);
}

int dynamodb_op_get_item(call *c, json_t *in, json_t **out)
{
    ddb_table t;
    if (ddb_table_read(c, jstr(in, "TableName"), "dynamodb:GetItem", &t)) return -1;
    const json_t *key = json_object_get(in, "Key");
    if (ddb_key_check(c, &t, key)) return -1;
    ddb_exprs x;
    ddb_expr *proj;
    if (ddb_exprs_init(c, in, &x) ||
        ddb_exprs_parse(c, &x, in, "ProjectionExpression", DDB_PROJ, &proj) ||
        ddb_exprs_done(c, &x))
        return -1;
    if (proj && json_object_get(in, "AttributesToGet"))
        return ddb_validation(c, "Can not use both expression and non-expression parameters in "
                                 "the same request: Non-expression parameters: {AttributesToGet} "
                                 "Expression parameters: {ProjectionExpression}");
    json_t *item = NULL;
    int rc = ddb_item_get(c, &t, key, &item);
    if (rc < 0) return -1;
    json_t *o = json_object();
    if (!o || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    if (rc) {
        json_t *res = proj ? json_incref(ddb_expr_project(c, proj, item))
                      : json_object_get(in, "AttributesToGet")
                          ? legacy_project(item, json_object_get(in, "AttributesToGet"))
                          : json_incref(item);
        if (!res || json_object_set_new(o, "Item", res)) return ferr_oom(c->err);
    }
    if (ddb_capacity(c, in, &t, jbool(in, "ConsistentRead", 0) ? 1.0 : 0.5, o)) return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}
