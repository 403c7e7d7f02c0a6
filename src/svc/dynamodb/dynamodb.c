/* Amazon DynamoDB (json 1.0): tables, their tags, TTL and backup settings. The operation
 * table is generated from the model (src/svc/svc.h); see dynamodb_int.h for what lives where. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/gencache.h"
#include "base/ids.h"
#include "base/jtags.h"
#include "iam/policy.h"
#include "dynamodb_int.h"

/* Table documents as last read, kept while the store's generation of tables is unchanged:
 * every item operation reads its table's document, and parsing it was a tenth of a PutItem.
 * Handlers change the document they get (ItemCount...), so each gets its own copy. */
static gencache_static table_cache = SVC_DOC_CACHE(4096);

static void tables_forget(void)
{
    gencache_clear(gencache_of(&table_cache));
}

const svc_def svc_dynamodb = {
    .name = "dynamodb", .event_source = "dynamodb.amazonaws.com", .reset = tables_forget};

/* AWS: at most 50 tags per resource, 5 LSIs and 20 GSIs per table */
#define MAX_TAGS 50
#define MAX_LSI  5
#define MAX_GSI  20

int ddb_validation(call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = ferr_vset(c->err, 400, "ValidationException", "", fmt, ap);
    va_end(ap);
    return rc;
}

int ddb_not_found(call *c)
{
    return ferr_set(c->err, 400, "ResourceNotFoundException", "Requested resource not found");
}

/* Seconds a new table stays CREATING (SDK waiters poll DescribeTable until ACTIVE). */
static double create_delay(void)
{
    const char *s = getenv("FERRY_DYNAMODB_CREATE_SECONDS");
    return s ? atof(s) : 0;
}

static const char *arn_in(call *c, const char *account, const char *name)
{
    return arena_printf(c->a, "arn:%s:dynamodb:%s:%s:table/%s", arn_partition(c->region), c->region,
                        account, name);
}

static const char *table_arn(call *c, const char *name)
{
    return arn_in(c, c->account, name);
}

/* A TableName or an ARN (of this region; another account's when it says so): the table's
 * name and *account, or NULL (not a table ARN). */
static const char *name_of(call *c, const char *s, const char **account)
{
    *account = c->account;
    if (strncmp(s, "arn:", 4)) return s;
    const char *t = strstr(s, ":table/");
    char acct[13] = "";
    const char *p = s;
    for (int field = 0; p && field < 4; field++) p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL;
    if (!t || !p || t - p != 12) return NULL;
    memcpy(acct, p, 12);
    *account = arena_strdup(c->a, acct);
    char *n = arena_strdup(c->a, t + 7), *slash = n ? strchr(n, '/') : NULL;
    if (slash) *slash = 0; /* .../table/NAME/index/X or /stream/... */
    return *account ? n : NULL;
}

static int table_load(call *c, const char *account, const char *name, ddb_table *t, int copy)
{
    memset(t, 0, sizeof(*t));
    if (!name) return 0;
    /* parsed once while the tables' generation holds (the TTL sweep's calls have no env:
     * they go without) */
    store_key k = {DDB_TABLE, account, c->region, name};
    json_t *kept = NULL;
    int rc = call_doc_shared(c, c->env ? gencache_of(&table_cache) : NULL, &k, &kept);
    if (rc <= 0) return rc;
    /* handlers change their table's document (status, counts): a copy of their own, or
     * the shared one until they do (ddb_table_read) */
    t->doc = kept;
    t->shared = 1;
    if (copy && ddb_table_own(c, t)) return -1;
    json_t *doc = t->doc;
    t->account = account;
    t->name = jstr(doc, "TableName");
    t->arn = jstr(doc, "TableArn");
    size_t i;
    json_t *ks;
    json_array_foreach(json_object_get(doc, "KeySchema"), i, ks) {
        if (!strcmp(jstr(ks, "KeyType"), "HASH"))
            t->hash = jstr(ks, "AttributeName");
        else
            t->range = jstr(ks, "AttributeName");
    }
    return 1;
}

int ddb_table_own(call *c, ddb_table *t)
{
    if (!t->shared) return 0;
    /* the names borrowed from the shared document stay valid: the arena holds it */
    json_t *doc = arena_defer_json(c->a, json_deep_copy(t->doc));
    if (!doc) return ferr_oom(c->err);
    t->doc = doc;
    t->shared = 0;
    return 0;
}

static int table_open(call *c, const char *name, const char *action, ddb_table *t, int copy)
{
    const char *account;
    const char *n = name_of(c, name, &account);
    const char *arn = n ? arn_in(c, account, n) : name;
    if (!arn) return ferr_oom(c->err);
    int rc = table_load(c, account, n, t, copy);
    if (rc < 0) return -1;
    /* the table's resource policy joins the decision; who may not act on a table does not
     * learn whether it exists */
    authz_req r = {.action = action,
                   .resource = arn,
                   .resource_account = n ? account : NULL,
                   .resource_policy = rc ? jstr(t->doc, "Policy") : NULL};
    if (action && call_authorize_ex(c, &r)) return -1;
    if (!rc)
        return ferr_set(c->err, 400, "ResourceNotFoundException",
                        "Requested resource not found: Table: %s not found", n ? n : name);
    call_resource(c, "AWS::DynamoDB::Table", t->arn);
    return 0;
}

int ddb_table_open(call *c, const char *name, const char *action, ddb_table *t)
{
    return table_open(c, name, action, t, 1);
}

int ddb_table_read(call *c, const char *name, const char *action, ddb_table *t)
{
    return table_open(c, name, action, t, 0);
}

int ddb_table_save(call *c, const ddb_table *t)
{
    store_key k = ddb_key(c, t, DDB_TABLE, t->name);
    return store_put(c->txn, &k, t->doc, c->err);
}

static int counts_set(call *c, ddb_table *t, long long n, long long size)
{
    if (ddb_table_own(c, t)) return -1;
    if (json_object_set_new(t->doc, "ItemCount", json_integer(n)) ||
        json_object_set_new(t->doc, "TableSizeBytes", json_integer(size)))
        return ferr_oom(c->err);
    return 0;
}

int ddb_table_counts(call *c, ddb_table *t, long long *n, long long *size)
{
    store_key k = ddb_key(c, t, DDB_COUNT, t->name);
    json_t *doc = NULL;
    int rc = store_get(c->txn, &k, &doc, c->err);
    if (rc < 0) return -1;
    const json_t *from = rc ? doc : t->doc; /* none yet: the table's document has them */
    *n = jint(from, "ItemCount", 0);
    *size = jint(from, "TableSizeBytes", 0);
    json_decref(doc);
    return counts_set(c, t, *n, *size);
}

int ddb_table_counts_save(call *c, ddb_table *t, long long n, long long size)
{
    store_key k = ddb_key(c, t, DDB_COUNT, t->name);
    json_t *doc =
        json_pack("{s:I,s:I}", "ItemCount", (json_int_t)n, "TableSizeBytes", (json_int_t)size);
    int rc = doc ? store_put(c->txn, &k, doc, c->err) : ferr_oom(c->err);
    json_decref(doc);
    return rc ? -1 : counts_set(c, t, n, size);
}

static void schema_keys(const json_t *schema, ddb_keys *k)
{
    k->hash = k->range = NULL;
    size_t i;
    json_t *ks;
    json_array_foreach(schema, i, ks) {
        if (!strcmp(jstr(ks, "KeyType"), "HASH"))
            k->hash = jstr(ks, "AttributeName");
        else
            k->range = jstr(ks, "AttributeName");
    }
}

/* The index called name among the table's LSIs and GSIs, or NULL. */
static json_t *index_def(const json_t *doc, const char *name)
{
    const char *lists[] = {"LocalSecondaryIndexes", "GlobalSecondaryIndexes"};
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(doc, lists[l]), i, x) {
            if (!strcmp(jstr(x, "IndexName"), name)) return x;
        }
    }
    return NULL;
}

int ddb_index_keys(call *c, const ddb_table *t, const char *index, ddb_keys *k, const json_t **def)
{
    if (def) *def = NULL;
    if (!index) {
        k->hash = t->hash;
        k->range = t->range;
        return 0;
    }
    json_t *x = index_def(t->doc, index);
    if (!x) return ddb_validation(c, "The table does not have the specified index: %s", index);
    schema_keys(json_object_get(x, "KeySchema"), k);
    if (def) *def = x;
    return 0;
}

/* ---- describing ---- */

/* TableStatus: CREATING until its ReadyAt (FERRY_DYNAMODB_CREATE_SECONDS), then ACTIVE. */
static const char *status_of(const json_t *doc)
{
    return clock_now() < json_number_value(json_object_get(doc, "ReadyAt")) ? "CREATING" : "ACTIVE";
}

static json_t *billing_summary(const json_t *doc)
{
    return json_pack("{s:s}", "BillingMode", jstr(doc, "BillingMode"));
}

/* A TableDescription (status NULL: the table's own). NULL on OOM. */
static json_t *describe(const ddb_table *t, const char *status)
{
    json_t *d = json_deep_copy(t->doc);
    if (!d) return NULL;
    json_object_del(d, "ReadyAt");
    json_object_del(d, "Tags");
    json_object_del(d, "Ttl");
    json_object_del(d, "Pitr");
    json_object_del(d, "BillingMode");
    json_object_del(d, "Tokens");
    json_object_del(d, DYNAMODB_STREAMS_FIELD);
    json_object_del(d, DYNAMODB_SEQ_FIELD);
    int bad =
        json_object_set_new(d, "TableStatus", json_string(status ? status : status_of(t->doc)));
    bad |= json_object_set_new(d, "BillingModeSummary", billing_summary(t->doc));
    json_t *g = json_object_get(d, "GlobalSecondaryIndexes"), *x;
    size_t i;
    json_array_foreach(g, i, x) {
        bad |= json_object_set_new(x, "IndexStatus", json_string("ACTIVE"));
        bad |= json_object_set_new(x, "IndexSizeBytes", json_integer(0));
        bad |= json_object_set_new(x, "ItemCount", json_integer(0));
    }
    json_array_foreach(json_object_get(d, "LocalSecondaryIndexes"), i, x) {
        bad |= json_object_set_new(x, "IndexSizeBytes", json_integer(0));
        bad |= json_object_set_new(x, "ItemCount", json_integer(0));
    }
    if (bad) {
        json_decref(d);
        return NULL;
    }
    return d;
}

int dynamodb_op_describe_table(call *c, json_t *in, json_t **out)
{
    ddb_table t;
    long long n, size;
    if (ddb_table_open(c, jstr(in, "TableName"), "dynamodb:DescribeTable", &t) ||
        ddb_table_counts(c, &t, &n, &size))
        return -1;
    *out = svc_out(c, json_pack("{s:o}", "Table", describe(&t, NULL)));
    return 0;
}

typedef struct names_acc {
    json_t *names;
    int want;
} names_acc;

static int list_cb(void *ud, const store_key *k, json_t *doc)
{
    names_acc *a = ud;
    (void)doc;
    return json_array_append_new(a->names, json_string(k->id)) ||
           (int)json_array_size(a->names) > a->want;
}

int dynamodb_op_list_tables(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "dynamodb:ListTables", "*")) return -1;
    long long limit = jint(in, "Limit", 100);
    names_acc a = {json_array(), (int)limit};
    if (!arena_defer_json(c->a, a.names)) return ferr_oom(c->err);
    if (store_list(c->txn, DDB_TABLE, c->account, c->region, NULL,
                   jstr(in, "ExclusiveStartTableName"), 0, list_cb, &a, c->err) < 0)
        return -1;
    json_t *o = json_object();
    if (!arena_defer_json(c->a, o)) return ferr_oom(c->err);
    if ((long long)json_array_size(a.names) > limit) {
        if (json_array_remove(a.names, (size_t)limit) ||
            json_object_set(o, "LastEvaluatedTableName",
                            json_array_get(a.names, (size_t)limit - 1)))
            return ferr_oom(c->err);
    }
    if (json_object_set(o, "TableNames", a.names)) return ferr_oom(c->err);
    *out = svc_out(c, json_incref(o));
    return 0;
}

int dynamodb_op_delete_table(call *c, json_t *in, json_t **out)
{
    ddb_table t;
    if (ddb_table_open(c, jstr(in, "TableName"), "dynamodb:DeleteTable", &t)) return -1;
    if (jbool(t.doc, "DeletionProtectionEnabled", 0))
        return ddb_validation(c, "Resource cannot be deleted as it is currently protected against "
                                 "deletion. Disable deletion protection first.");
    store_key k = ddb_key(c, &t, DDB_TABLE, t.name), ck = ddb_key(c, &t, DDB_COUNT, t.name);
    long long n, size;
    if (ddb_table_counts(c, &t, &n, &size) || ddb_items_drop(c, &t) || ddb_stream_drop(c, &t) ||
        store_del(c->txn, &k, c->err) < 0 || store_del(c->txn, &ck, c->err) < 0)
        return -1;
    *out = svc_out(c, json_pack("{s:o}", "TableDescription", describe(&t, "DELETING")));
    return 0;
}

/* ---- creating ---- */

static const char *attr_type(const json_t *defs, const char *name)
{
    size_t i;
    json_t *d;
    json_array_foreach(defs, i, d) {
        if (!strcmp(jstr(d, "AttributeName"), name)) return jstr(d, "AttributeType");
    }
    return NULL;
}

/* A KeySchema: a HASH first, at most one RANGE, each defined. 0 or -1. */
static int schema_check(call *c, const json_t *schema, const json_t *defs, json_t *used)
{
    size_t n = json_array_size(schema);
    if (n < 1 || n > 2)
        return ddb_validation(c,
                              "1 validation error detected: Value '%s' at 'keySchema' failed "
                              "to satisfy constraint: Member must have length less than or "
                              "equal to 2",
                              "[]");
    if (strcmp(jstr(json_array_get(schema, 0), "KeyType"), "HASH"))
        return ddb_validation(c, "Invalid KeySchema: The first KeySchemaElement is not a HASH key "
                                 "type");
    if (n == 2 && strcmp(jstr(json_array_get(schema, 1), "KeyType"), "RANGE"))
        return ddb_validation(c, "Invalid KeySchema: The second KeySchemaElement is not a RANGE "
                                 "key type");
    if (n == 2 && !strcmp(jstr(json_array_get(schema, 0), "AttributeName"),
                          jstr(json_array_get(schema, 1), "AttributeName")))
        return ddb_validation(c, "Both the Hash Key and the Range Key element in the KeySchema "
                                 "have the same name");
    for (size_t i = 0; i < n; i++) {
        const char *a = jstr(json_array_get(schema, i), "AttributeName");
        if (!attr_type(defs, a))
            return ddb_validation(c,
                                  "One or more parameter values were invalid: Some index key "
                                  "attributes are not defined in AttributeDefinitions. Keys: "
                                  "[%s], AttributeDefinitions: [...]",
                                  a);
        if (json_object_set_new(used, a, json_true())) return ferr_oom(c->err);
    }
    return 0;
}

/* Provisioned throughput as billed: 0, or -1 when the mode and the numbers disagree. */
static int throughput_check(call *c, const char *mode, const json_t *pt, const char *what)
{
    if (!strcmp(mode, "PAY_PER_REQUEST") && pt)
        return ddb_validation(c, "One or more parameter values were invalid: Neither "
                                 "ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                                 "BillingMode is PAY_PER_REQUEST");
    if (!strcmp(mode, "PROVISIONED") && !pt)
        return ddb_validation(c, "One or more parameter values were invalid: %s", what);
    return 0;
}

static json_t *pt_out(const json_t *pt)
{
    return json_pack("{s:I, s:I, s:i}", "ReadCapacityUnits",
                     (json_int_t)jint(pt, "ReadCapacityUnits", 0), "WriteCapacityUnits",
                     (json_int_t)jint(pt, "WriteCapacityUnits", 0), "NumberOfDecreasesToday", 0);
}

/* LSIs or GSIs of a CreateTable (or a GSI Create of UpdateTable), checked and recorded. */
static int indexes_check(call *c, const char *table, json_t *list, int global, const json_t *defs,
                         const char *hash, const char *mode, json_t *used, json_t *names)
{
    size_t i;
    json_t *x;
    if (json_array_size(list) > (global ? MAX_GSI : MAX_LSI))
        return ddb_validation(c,
                              "One or more parameter values were invalid: Number of %s "
                              "exceeds per-table limit",
                              global ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes");
    json_array_foreach(list, i, x) {
        const char *n = jstr(x, "IndexName");
        if (json_object_get(names, n))
            return ddb_validation(c,
                                  "One or more parameter values were invalid: Duplicate index "
                                  "name: %s",
                                  n);
        if (json_object_set_new(names, n, json_true())) return ferr_oom(c->err);
        const json_t *ks = json_object_get(x, "KeySchema");
        if (schema_check(c, ks, defs, used)) return -1;
        ddb_keys k;
        schema_keys(ks, &k);
        if (!global && (!k.range || strcmp(k.hash, hash)))
            return ddb_validation(c,
                                  "One or more parameter values were invalid: Index KeySchema "
                                  "does not have the same leading hash key as table KeySchema "
                                  "for index: %s. index hash key: %s, table hash key: %s",
                                  n, k.hash, hash);
        const json_t *p = json_object_get(x, "Projection");
        const char *pt = jstr(p, "ProjectionType");
        if (!pt)
            return ddb_validation(c, "One or more parameter values were invalid: Unknown "
                                     "ProjectionType: null");
        if (strcmp(pt, "INCLUDE") && json_object_get(p, "NonKeyAttributes"))
            return ddb_validation(c,
                                  "One or more parameter values were invalid: "
                                  "ProjectionType is %s, but NonKeyAttributes is specified",
                                  pt);
        if (global && throughput_check(c, mode, json_object_get(x, "ProvisionedThroughput"),
                                       arena_printf(c->a,
                                                    "ProvisionedThroughput must be specified for "
                                                    "index: %s",
                                                    n)))
            return -1;
        if (json_object_set_new(x, "IndexArn",
                                json_sprintf("arn:%s:dynamodb:%s:%s:table/%s/index/%s",
                                             arn_partition(c->region), c->region, c->account, table,
                                             n)))
            return ferr_oom(c->err);
    }
    return 0;
}

int dynamodb_op_create_table(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "TableName");
    const char *arn = table_arn(c, name);
    if (!arn) return ferr_oom(c->err);
    if (call_authorize(c, "dynamodb:CreateTable", arn)) return -1;
    const json_t *defs = json_object_get(in, "AttributeDefinitions");
    const char *mode = jstr(in, "BillingMode");
    if (!mode) mode = "PROVISIONED";
    json_t *used = json_object(), *names = json_object();
    if (!arena_defer_json(c->a, used) || !arena_defer_json(c->a, names)) return ferr_oom(c->err);
    ddb_keys k;
    schema_keys(json_object_get(in, "KeySchema"), &k);
    if (schema_check(c, json_object_get(in, "KeySchema"), defs, used) ||
        throughput_check(c, mode, json_object_get(in, "ProvisionedThroughput"),
                         "ReadCapacityUnits and WriteCapacityUnits must both be specified when "
                         "BillingMode is PROVISIONED") ||
        indexes_check(c, name, json_object_get(in, "LocalSecondaryIndexes"), 0, defs, k.hash, mode,
                      used, names) ||
        indexes_check(c, name, json_object_get(in, "GlobalSecondaryIndexes"), 1, defs, k.hash, mode,
                      used, names))
        return -1;
    if (json_object_size(used) != json_array_size(defs))
        return ddb_validation(c, "One or more parameter values were invalid: Number of attributes "
                                 "in KeySchema does not exactly match number of attributes defined "
                                 "in AttributeDefinitions");
    if (json_array_size(json_object_get(in, "Tags")) > MAX_TAGS)
        return ddb_validation(c, "One or more parameter values were invalid: Too many tags");
    char id[37];
    ids_uuid(id);
    double now = clock_now();
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:O, s:O, s:f, s:s, s:o, s:I, s:I, s:f, s:b}", "TableName", name,
        "TableArn", arn, "TableId", id, "KeySchema", json_object_get(in, "KeySchema"),
        "AttributeDefinitions", defs, "CreationDateTime", now, "BillingMode", mode,
        "ProvisionedThroughput", pt_out(json_object_get(in, "ProvisionedThroughput")), "ItemCount",
        (json_int_t)0, "TableSizeBytes", (json_int_t)0, "ReadyAt", now + create_delay(),
        "DeletionProtectionEnabled", jbool(in, "DeletionProtectionEnabled", 0));
    if (!doc || !arena_defer_json(c->a, doc)) return ferr_oom(c->err);
    const char *lists[] = {"LocalSecondaryIndexes", "GlobalSecondaryIndexes"};
    for (int l = 0; l < 2; l++) {
        json_t *src = json_object_get(in, lists[l]), *dst = json_array(), *x;
        size_t i;
        if (!src) {
            json_decref(dst);
            continue;
        }
        if (json_object_set_new(doc, lists[l], dst)) return ferr_oom(c->err);
        json_array_foreach(src, i, x) {
            json_t *ix = json_pack(
                "{s:O, s:O, s:O, s:O}", "IndexName", json_object_get(x, "IndexName"), "KeySchema",
                json_object_get(x, "KeySchema"), "Projection", json_object_get(x, "Projection"),
                "IndexArn", json_object_get(x, "IndexArn"));
            if (!ix || json_array_append_new(dst, ix)) return ferr_oom(c->err);
            if (l && json_object_set_new(ix, "ProvisionedThroughput",
                                         pt_out(json_object_get(x, "ProvisionedThroughput"))))
                return ferr_oom(c->err);
        }
    }
    if (json_object_get(in, "Tags") && jtags_merge(doc, json_object_get(in, "Tags")))
        return ferr_oom(c->err);
    ddb_table t = {.doc = doc, .name = name, .arn = arn, .account = c->account};
    const json_t *ss = json_object_get(in, "StreamSpecification");
    if (ss && ddb_stream_spec(c, &t, ss, 1)) return -1;
    store_key key = call_key(c, DDB_TABLE, name), ck = call_key(c, DDB_COUNT, name);
    int rc = store_insert(c->txn, &key, doc, c->err);
    if (rc < 0) return -1;
    if (rc)
        return ferr_set(c->err, 400, "ResourceInUseException", "Table already exists: %s", name);
    if (store_del(c->txn, &ck, c->err) < 0) return -1; /* (DeleteTable drops it too) */
    call_resource(c, "AWS::DynamoDB::Table", arn);
    *out = svc_out(c, json_pack("{s:o}", "TableDescription", describe(&t, "CREATING")));
    return 0;
}

/* ---- updating ---- */

static int gsi_update(call *c, ddb_table *t, const json_t *u, const json_t *defs, json_t *names)
{
    json_t *list = json_object_get(t->doc, "GlobalSecondaryIndexes");
    const json_t *cr = json_object_get(u, "Create"), *del = json_object_get(u, "Delete"),
                 *up = json_object_get(u, "Update");
    if (cr) {
        json_t *one = json_pack("[O]", cr), *used = json_object();
        if (!one || !arena_defer_json(c->a, one) || !arena_defer_json(c->a, used))
            return ferr_oom(c->err);
        const char *n = jstr(cr, "IndexName");
        if (index_def(t->doc, n))
            return ddb_validation(c,
                                  "One or more parameter values were invalid: Index %s "
                                  "already exists",
                                  n);
        if (indexes_check(c, t->name, one, 1, defs, t->hash, jstr(t->doc, "BillingMode"), used,
                          names))
            return -1;
        const json_t *x = json_array_get(one, 0);
        json_t *ix =
            json_pack("{s:O, s:O, s:O, s:O, s:o}", "IndexName", json_object_get(x, "IndexName"),
                      "KeySchema", json_object_get(x, "KeySchema"), "Projection",
                      json_object_get(x, "Projection"), "IndexArn", json_object_get(x, "IndexArn"),
                      "ProvisionedThroughput", pt_out(json_object_get(x, "ProvisionedThroughput")));
        if (!list) {
            list = json_array();
            if (json_object_set_new(t->doc, "GlobalSecondaryIndexes", list))
                return ferr_oom(c->err);
        }
        if (!ix || json_array_append_new(list, ix)) return ferr_oom(c->err);
        /* definitions the new index's key needs join the table's */
        json_t *tdefs = json_object_get(t->doc, "AttributeDefinitions");
        size_t i;
        json_t *d;
        json_array_foreach(defs, i, d) {
            if (!attr_type(tdefs, jstr(d, "AttributeName")) && json_array_append(tdefs, d))
                return ferr_oom(c->err);
        }
        return ddb_index_fill(c, t, n);
    }
    const char *n = jstr(del ? del : up, "IndexName");
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        if (strcmp(jstr(x, "IndexName"), n)) continue;
        if (del) {
            if (ddb_index_drop(c, t, n) || json_array_remove(list, i)) return -1;
            if (!json_array_size(list)) json_object_del(t->doc, "GlobalSecondaryIndexes");
            return 0;
        }
        if (json_object_set_new(x, "ProvisionedThroughput",
                                pt_out(json_object_get(up, "ProvisionedThroughput"))))
            return ferr_oom(c->err);
        return 0;
    }
    return ferr_set(c->err, 400, "ResourceNotFoundException",
                    "Requested resource not found: Index: %s not found", n);
}

int dynamodb_op_update_table(call *c, json_t *in, json_t **out)
{
    ddb_table t;
    if (ddb_table_open(c, jstr(in, "TableName"), "dynamodb:UpdateTable", &t)) return -1;
    const char *mode = jstr(in, "BillingMode");
    const json_t *pt = json_object_get(in, "ProvisionedThroughput");
    if (mode) {
        if (throughput_check(c, mode, pt,
                             "ReadCapacityUnits and WriteCapacityUnits must both be specified "
                             "when BillingMode is PROVISIONED") &&
            !(strcmp(mode, "PROVISIONED") == 0 &&
              jint(json_object_get(t.doc, "ProvisionedThroughput"), "ReadCapacityUnits", 0)))
            return -1;
        ferr_clear(c->err);
        if (jset_str(t.doc, "BillingMode", mode)) return ferr_oom(c->err);
        if (!strcmp(mode, "PAY_PER_REQUEST") &&
            json_object_set_new(t.doc, "ProvisionedThroughput", pt_out(NULL)))
            return ferr_oom(c->err);
    }
    if (pt) {
        if (!strcmp(jstr(t.doc, "BillingMode"), "PAY_PER_REQUEST"))
            return ddb_validation(c, "One or more parameter values were invalid: Neither "
                                     "ReadCapacityUnits nor WriteCapacityUnits can be specified "
                                     "when BillingMode is PAY_PER_REQUEST");
        if (json_object_set_new(t.doc, "ProvisionedThroughput", pt_out(pt)))
            return ferr_oom(c->err);
    }
    const json_t *defs = json_object_get(in, "AttributeDefinitions");
    json_t *names = json_object();
    if (!arena_defer_json(c->a, names)) return ferr_oom(c->err);
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(in, "GlobalSecondaryIndexUpdates"), i, u) {
        if (gsi_update(c, &t, u, defs, names)) return -1;
    }
    const json_t *ss = json_object_get(in, "StreamSpecification");
    if (ss && ddb_stream_spec(c, &t, ss, 0)) return -1;
    if (json_object_get(in, "DeletionProtectionEnabled") &&
        json_object_set_new(t.doc, "DeletionProtectionEnabled",
                            json_boolean(jbool(in, "DeletionProtectionEnabled", 0))))
        return ferr_oom(c->err);
    long long n, size;
    if (ddb_table_save(c, &t) || ddb_table_counts(c, &t, &n, &size)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "TableDescription", describe(&t, NULL)));
    return 0;
}

/* ---- tags ---- */

static int tag_target(call *c, const json_t *in, const char *action, ddb_table *t)
{
    const char *arn = jstr(in, "ResourceArn");
    if (strncmp(arn, "arn:", 4))
        return ddb_validation(c, "Invalid TableArn: Invalid ResourceArn provided as input %s", arn);
    if (ddb_table_open(c, arn, action, t)) {
        if (strcmp(c->err->code, "ResourceNotFoundException")) return -1;
        return ferr_set(c->err, 400, "ResourceNotFoundException",
                        "Requested resource not found: ResourceArn: %s not found", arn);
    }
    return 0;
}

int dynamodb_op_tag_resource(call *c, json_t *in, json_t **out)
{
    ddb_table t;
    if (tag_target(c, in, "dynamodb:TagResource", &t)) return -1;
    if (jtags_merge(t.doc, json_object_get(in, "Tags"))) return ferr_oom(c->err);
    if (json_array_size(json_object_get(t.doc, "Tags")) > MAX_TAGS)
        return ferr_set(c->err, 400, "LimitExceededException",
                        "The number of tags for the resource exceeds the limit of 50");
    if (ddb_table_save(c, &t)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int dynamodb_op_untag_resource(call *c, json_t *in, json_t **out)
{
    ddb_table t;
    if (tag_target(c, in, "dynamodb:UntagResource", &t)) return -1;
    jtags_remove(t.doc, json_object_get(in, "TagKeys"));
    if (ddb_table_save(c, &t)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int dynamodb_op_list_tags_of_resource(call *c, json_t *in, json_t **out)
{
    ddb_table t;
    if (tag_target(c, in, "dynamodb:ListTagsOfResource", &t)) return -1;
    json_t *tags = json_object_get(t.doc, "Tags"), *o = json_object();
    if (!o || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    if (svc_page(c, tags ? tags : json_array(), jstr(in, "NextToken"), 1000, o, "Tags", "NextToken",
                 "ValidationException"))
        return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

/* ---- time to live, backups ---- */

int dynamodb_op_update_time_to_live(call *c, json_t *in, json_t **out)
{
    ddb_table t;
    if (ddb_table_open(c, jstr(in, "TableName"), "dynamodb:UpdateTimeToLive", &t)) return -1;
    const json_t *spec = json_object_get(in, "TimeToLiveSpecification");
    int on = jbool(spec, "Enabled", 0);
    json_t *ttl = json_object_get(t.doc, "Ttl");
    if (on && ttl) return ddb_validation(c, "TimeToLive is already enabled");
    if (!on && !ttl) return ddb_validation(c, "TimeToLive is already disabled");
    if (on ? json_object_set_new(t.doc, "Ttl", json_string(jstr(spec, "AttributeName")))
           : json_object_del(t.doc, "Ttl"))
        return ferr_oom(c->err);
    if (ddb_table_save(c, &t)) return -1;
    *out = svc_out(c, json_pack("{s:O}", "TimeToLiveSpecification", spec));
    return 0;
}

int dynamodb_op_describe_time_to_live(call *c, json_t *in, json_t **out)
{
    ddb_table t;
    if (ddb_table_open(c, jstr(in, "TableName"), "dynamodb:DescribeTimeToLive", &t)) return -1;
    const char *a = jstr(t.doc, "Ttl");
    *out = svc_out(
        c, a ? json_pack("{s:{s:s, s:s}}", "TimeToLiveDescription", "TimeToLiveStatus", "ENABLED",
                         "AttributeName", a)
             : json_pack("{s:{s:s}}", "TimeToLiveDescription", "TimeToLiveStatus", "DISABLED"));
    return 0;
}

static json_t *backups(const ddb_table *t)
{
    return json_pack("{s:{s:s, s:{s:s}}}", "ContinuousBackupsDescription",
                     "ContinuousBackupsStatus", "ENABLED", "PointInTimeRecoveryDescription",
                     "PointInTimeRecoveryStatus",
                     jbool(t->doc, "Pitr", 0) ? "ENABLED" : "DISABLED");
}

int dynamodb_op_describe_continuous_backups(call *c, json_t *in, json_t **out)
{
    ddb_table t;
    if (ddb_table_open(c, jstr(in, "TableName"), "dynamodb:DescribeContinuousBackups", &t))
        return -1;
    *out = svc_out(c, backups(&t));
    return 0;
}

int dynamodb_op_update_continuous_backups(call *c, json_t *in, json_t **out)
{
    ddb_table t;
    if (ddb_table_open(c, jstr(in, "TableName"), "dynamodb:UpdateContinuousBackups", &t)) return -1;
    int on = jbool(json_object_get(in, "PointInTimeRecoverySpecification"),
                   "PointInTimeRecoveryEnabled", 0);
    if (json_object_set_new(t.doc, "Pitr", json_boolean(on)) || ddb_table_save(c, &t)) return -1;
    *out = svc_out(c, backups(&t));
    return 0;
}

/* ---- resource policies ---- */

static int policy_target(call *c, const json_t *in, const char *action, ddb_table *t)
{
    if (ddb_table_open(c, jstr(in, "ResourceArn"), action, t)) return -1;
    const char *want = jstr(in, "ExpectedRevisionId"), *have = jstr(t->doc, "PolicyRevision");
    if (want && (!have || strcmp(want, have)))
        return ferr_set(c->err, 400, "PolicyNotFoundException",
                        "Resource-based policy not found for the provided ResourceArn: Requested "
                        "update for policy with revision id %s, but the policy associated to "
                        "target table %s has revision id %s.",
                        want, t->arn, have ? have : "null");
    return 0;
}

static int policy_no(call *c, const ddb_table *t)
{
    return ferr_set(c->err, 400, "PolicyNotFoundException",
                    "Resource-based policy not found for the provided ResourceArn: %s", t->arn);
}

int dynamodb_op_put_resource_policy(call *c, json_t *in, json_t **out)
{
    ddb_table t;
    if (policy_target(c, in, "dynamodb:PutResourcePolicy", &t)) return -1;
    const char *policy = jstr(in, "Policy");
    ferr pe = {0};
    iam_policy *p = iam_policy_parse(policy, strlen(policy), IAM_KIND_RESOURCE, &pe);
    if (!p) return ddb_validation(c, "Invalid policy document: %s", pe.message);
    iam_policy_free(p);
    char rev[32];
    snprintf(rev, sizeof(rev), "%lld", (long long)(clock_now() * 1000));
    if (jset_str(t.doc, "Policy", policy) || jset_str(t.doc, "PolicyRevision", rev))
        return ferr_oom(c->err);
    if (ddb_table_save(c, &t)) return -1;
    *out = svc_out(c, json_pack("{s:s}", "RevisionId", rev));
    return 0;
}

int dynamodb_op_get_resource_policy(call *c, json_t *in, json_t **out)
{
    ddb_table t;
    if (policy_target(c, in, "dynamodb:GetResourcePolicy", &t)) return -1;
    if (!jstr(t.doc, "Policy")) return policy_no(c, &t);
    *out = svc_out(c, json_pack("{s:s, s:s}", "Policy", jstr(t.doc, "Policy"), "RevisionId",
                                jstr(t.doc, "PolicyRevision")));
    return 0;
}

int dynamodb_op_delete_resource_policy(call *c, json_t *in, json_t **out)
{
    ddb_table t;
    if (policy_target(c, in, "dynamodb:DeleteResourcePolicy", &t)) return -1;
    if (!jstr(t.doc, "Policy")) return policy_no(c, &t);
    json_object_del(t.doc, "Policy");
    json_object_del(t.doc, "PolicyRevision");
    if (ddb_table_save(c, &t)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}
