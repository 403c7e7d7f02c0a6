/* AWS::DynamoDB::Table. Ref = TableName; GetAtt Arn, StreamArn. TableName, KeySchema and
 * LocalSecondaryIndexes replace (AWS: "Replacement"); throughput, billing, streams,
 * deletion protection, GSIs (added and dropped by name), TTL, point-in-time recovery and
 * tags change in place. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "prov_int.h"

static const prov_prop schema[] = {
    {"AttributeDefinitions", PT_LIST, 0},
    {"BillingMode", PT_STR, 0},
    {"ContributorInsightsSpecification", PT_OBJECT, 0},
    {"DeletionProtectionEnabled", PT_BOOL, 0},
    {"GlobalSecondaryIndexes", PT_LIST, 0},
    {"KeySchema", PT_LIST, 1},
    {"KinesisStreamSpecification", PT_OBJECT, 0},
    {"LocalSecondaryIndexes", PT_LIST, 0},
    {"OnDemandThroughput", PT_OBJECT, 0},
    {"PointInTimeRecoverySpecification", PT_OBJECT, 0},
    {"ProvisionedThroughput", PT_OBJECT, 0},
    {"ResourcePolicy", PT_OBJECT, 0},
    {"SSESpecification", PT_OBJECT, 0},
    {"StreamSpecification", PT_OBJECT, 0},
    {"TableClass", PT_STR, 0},
    {"TableName", PT_STR, 0},
    {"Tags", PT_TAGS, 0},
    {"TimeToLiveSpecification", PT_OBJECT, 0},
    {"WarmThroughput", PT_OBJECT, 0},
    {NULL, 0, 0},
};

static char *table_arn(cfn_pctx *p, const char *name)
{
    size_t n = strlen(name) + 128;
    char *arn = malloc(n);
    if (arn)
        snprintf(arn, n, "arn:%s:dynamodb:%s:%s:table/%s", arn_partition(p->region), p->region,
                 p->account ? p->account : p->as->account, name);
    return arn;
}

static int table_attrs(const prov_shape *s, cfn_pctx *p, const char *name, json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    if (prov_call(p, "dynamodb", "DescribeTable", json_pack("{s:s}", "TableName", name), &out))
        return -1;
    const json_t *t = json_object_get(out, "Table");
    *attrs = json_pack("{s:s}", "Arn", jstr(t, "TableArn") ? jstr(t, "TableArn") : "");
    if (*attrs && jstr(t, "LatestStreamArn") &&
        json_object_set_new(*attrs, "StreamArn", json_string(jstr(t, "LatestStreamArn")))) {
        json_decref(*attrs);
        *attrs = NULL;
    }
    json_decref(out);
    return *attrs ? 0 : ferr_oom(p->e);
}

static int table_del(cfn_pctx *p, const char *name, const json_t *props)
{
    (void)props;
    return prov_call_gone_ok(p, NULL, "dynamodb", "DeleteTable",
                             json_pack("{s:s}", "TableName", name));
}

/* TTL and point-in-time recovery: set when op (NULL: a new table) differs from np. */
static int table_settings(cfn_pctx *p, const char *name, const json_t *op, const json_t *np)
{
    const json_t *ot = op ? json_object_get(op, "TimeToLiveSpecification") : NULL,
                 *nt = json_object_get(np, "TimeToLiveSpecification");
    int was = jbool(ot, "Enabled", 0), now = jbool(nt, "Enabled", 0);
    if (was != now)
        if (prov_call(p, "dynamodb", "UpdateTimeToLive",
                      json_pack("{s:s, s:{s:b, s:s}}", "TableName", name, "TimeToLiveSpecification",
                                "Enabled", now, "AttributeName",
                                jstr(now ? nt : ot, "AttributeName")
                                    ? jstr(now ? nt : ot, "AttributeName")
                                    : ""),
                      NULL))
            return -1;
    const char *k = "PointInTimeRecoveryEnabled";
    int pw = op ? jbool(json_object_get(op, "PointInTimeRecoverySpecification"), k, 0) : 0,
        pn = jbool(json_object_get(np, "PointInTimeRecoverySpecification"), k, 0);
    if (pw != pn && prov_call(p, "dynamodb", "UpdateContinuousBackups",
                              json_pack("{s:s, s:{s:b}}", "TableName", name,
                                        "PointInTimeRecoverySpecification", k, pn),
                              NULL))
        return -1;
    return 0;
}

/* CloudFormation's StreamSpecification has only StreamViewType: a stream is on when it is
 * given. The API's form, or NULL (none, or out of memory). */
static json_t *stream_spec(const json_t *pr)
{
    const char *v = jstr(json_object_get(pr, "StreamSpecification"), "StreamViewType");
    return v ? json_pack("{s:b, s:s}", "StreamEnabled", 1, "StreamViewType", v) : NULL;
}

/* CreateTable's input from the properties that are its own (with name). */
static json_t *create_input(cfn_pctx *p, const json_t *pr, const char *name)
{
    const char *copied[] = {"AttributeDefinitions",
                            "KeySchema",
                            "BillingMode",
                            "ProvisionedThroughput",
                            "GlobalSecondaryIndexes",
                            "LocalSecondaryIndexes",
                            "DeletionProtectionEnabled",
                            NULL};
    json_t *in = json_pack("{s:s}", "TableName", name);
    for (int i = 0; in && copied[i]; i++) {
        json_t *v = json_object_get(pr, copied[i]);
        if (v && json_object_set(in, copied[i], v)) {
            json_decref(in);
            return NULL;
        }
    }
    json_t *ss = stream_spec(pr);
    if (in && ss && json_object_set(in, "StreamSpecification", ss)) {
        json_decref(in);
        in = NULL;
    }
    json_decref(ss);
    json_t *tags = in ? prov_tags(p, json_object_get(pr, "Tags"), 1) : NULL;
    if (!tags || (json_array_size(tags) && json_object_set(in, "Tags", tags))) {
        json_decref(in);
        in = NULL;
    }
    json_decref(tags);
    return in;
}

static int table_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s;
    (void)attrs;
    int rc = -1;
    char *name = prov_name(p, pr, "TableName", 255, 0);
    json_t *in = NULL;
    if (!name) return ferr_oom(p->e);
    if (jstr(pr, "TableName") &&
        prov_refuse_existing(p, "AWS::DynamoDB::Table", name, "dynamodb", "DescribeTable",
                             json_pack("{s:s}", "TableName", name)))
        goto out;
    if (cfn_intent(p, name)) goto out;
    in = create_input(p, pr, name);
    if (!in) {
        ferr_oom(p->e);
        goto out;
    }
    if (prov_call(p, "dynamodb", "CreateTable", in, NULL)) {
        in = NULL; /* prov_call took it */
        goto out;
    }
    in = NULL;
    if (table_settings(p, name, NULL, pr)) {
        table_del(p, name, pr);
        goto out;
    }
    *id = name;
    name = NULL;
    rc = 0;
out:
    json_decref(in);
    free(name);
    return rc;
}

static const json_t *gsi_named(const json_t *list, const char *name)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        if (!strcmp(jstr(x, "IndexName") ? jstr(x, "IndexName") : "", name)) return x;
    }
    return NULL;
}

/* UpdateTable's GlobalSecondaryIndexUpdates from op's GSIs to np's (by name). */
static json_t *gsi_updates(const json_t *op, const json_t *np)
{
    const json_t *og = json_object_get(op, "GlobalSecondaryIndexes"),
                 *ng = json_object_get(np, "GlobalSecondaryIndexes");
    json_t *u = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(og, i, x) {
        if (u && !gsi_named(ng, jstr(x, "IndexName")) &&
            json_array_append_new(u, json_pack("{s:{s:O}}", "Delete", "IndexName",
                                               json_object_get(x, "IndexName")))) {
            json_decref(u);
            return NULL;
        }
    }
    json_array_foreach(ng, i, x) {
        if (u && !gsi_named(og, jstr(x, "IndexName")) &&
            json_array_append_new(u, json_pack("{s:O}", "Create", x))) {
            json_decref(u);
            return NULL;
        }
    }
    return u;
}

static int table_change(const prov_shape *s, cfn_pctx *p, const char *name, const json_t *op,
                        const json_t *np)
{
    (void)s;
    json_t *in = json_pack("{s:s}", "TableName", name), *gsis = gsi_updates(op, np);
    int rc = !in || !gsis;
    const char *fields[] = {"BillingMode", "ProvisionedThroughput", "DeletionProtectionEnabled",
                            NULL};
    for (int i = 0; !rc && fields[i]; i++) {
        json_t *o = json_object_get(op, fields[i]), *n = json_object_get(np, fields[i]);
        if (n && !(o && prov_same(o, n))) rc |= json_object_set(in, fields[i], n);
    }
    json_t *os = stream_spec(op), *ns = stream_spec(np);
    /* AWS: an enabled stream's view type does not change; CloudFormation disables the stream,
     * then enables a new one */
    if (!rc && os && ns && !prov_same(os, ns) &&
        prov_call(p, "dynamodb", "UpdateTable",
                  json_pack("{s:s, s:{s:b}}", "TableName", name, "StreamSpecification",
                            "StreamEnabled", 0),
                  NULL)) {
        json_decref(os), json_decref(ns), json_decref(in), json_decref(gsis);
        return -1;
    }
    if (!rc && !prov_same(os, ns))
        rc |= json_object_set_new(in, "StreamSpecification",
                                  ns ? json_incref(ns) : json_pack("{s:b}", "StreamEnabled", 0));
    json_decref(os);
    json_decref(ns);
    if (!rc && json_array_size(gsis))
        rc |= json_object_set(in, "GlobalSecondaryIndexUpdates", gsis) ||
              json_object_set(in, "AttributeDefinitions",
                              json_object_get(np, "AttributeDefinitions"));
    json_decref(gsis);
    if (rc) {
        json_decref(in);
        return ferr_oom(p->e);
    }
    if (json_object_size(in) > 1) {
        if (prov_call(p, "dynamodb", "UpdateTable", in, NULL)) return -1;
    } else {
        json_decref(in);
    }
    if (table_settings(p, name, op, np)) return -1;
    char *arn = table_arn(p, name);
    if (!arn) return ferr_oom(p->e);
    static const prov_tagging tagging = {"dynamodb",    "ResourceArn",   "ListTagsOfResource",
                                         "TagResource", "UntagResource", 0};
    rc = prov_sync_tags(p, &tagging, arn, np);
    free(arn);
    return rc;
}

static const prov_shape shape = {
    .schema = schema,
    .make = table_make,
    .change = table_change,
    .attrs = table_attrs,
    .del = table_del,
};

static const char *const replace_on[] = {"TableName", "KeySchema", "LocalSecondaryIndexes", NULL};

const cfn_provider cfn_provider_dynamodb_table = {
    .type = "AWS::DynamoDB::Table",
    .shape = &shape,
    .del = table_del,
    .replace_on = replace_on,
    .name_property = "TableName",
    .name_max = 255,
};
