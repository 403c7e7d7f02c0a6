/* Log groups: create, delete, describe, retention policies and tags (by name, the older
 * TagLogGroup family, and by ARN, TagResource and friends). */
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "logs_int.h"

static int group_tags_set(call *c, json_t *doc, const json_t *tags, const char *code)
{
    json_t *have = json_object_get(doc, "tags");
    if (!have && (json_object_set_new(doc, "tags", have = json_object()) || !have))
        return ferr_oom(c->err);
    if (json_object_update(have, (json_t *)tags)) return ferr_oom(c->err);
    if (json_object_size(have) > LOGS_MAX_TAGS)
        return ferr_set(c->err, 400, code, "A resource can have no more than 50 tags.");
    return 0;
}

int logs_op_create_log_group(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "logGroupName");
    if (logs_authorize(c, "logs:CreateLogGroup", c->account, name, NULL)) return -1;
    json_t *doc =
        json_pack("{s:s, s:I, s:I, s:I}", "name", name, "creationTime", (json_int_t)logs_now_ms(),
                  "storedBytes", (json_int_t)0, "seq", (json_int_t)0);
    if (!arena_defer_json(c->a, doc)) return ferr_oom(c->err);
    if (jset_str(doc, "kmsKeyId", jstr(in, "kmsKeyId"))) return ferr_oom(c->err);
    json_t *tags = json_object_get(in, "tags");
    if (tags && group_tags_set(c, doc, tags, "InvalidParameterException")) return -1;
    if (logs_create(c, LOGS_GROUP_KIND, name, doc, "log group")) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

/* Deletes every document of kind in the account and region whose id starts with prefix. */
static int delete_prefix(call *c, const char *kind, const char *prefix)
{
    const char **ids;
    size_t n;
    if (logs_list_ids(c, kind, c->account, prefix, 0, LLONG_MIN, &ids, &n)) return -1;
    for (size_t i = 0; i < n; i++) {
        store_key k = {kind, c->account, c->region, ids[i]};
        if (store_del(c->txn, &k, c->err) < 0) return -1;
    }
    return 0;
}

int logs_op_delete_log_group(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "logGroupName");
    json_t *doc;
    if (logs_authorize(c, "logs:DeleteLogGroup", c->account, name, NULL) ||
        logs_group_need(c, c->account, name, &doc))
        return -1;
    const char *prefix = logs_prefix(c, name, NULL);
    store_key k = {LOGS_GROUP_KIND, c->account, c->region, name};
    if (!prefix || delete_prefix(c, LOGS_STREAM_KIND, prefix) ||
        delete_prefix(c, LOGS_BATCH_KIND, prefix) || store_del(c->txn, &k, c->err) < 0)
        return -1;
    *out = svc_out(c, json_object());
    return 0;
}

/* DescribeLogGroups' LogGroup shape. New reference or NULL. */
static json_t *group_out(call *c, const char *account, const json_t *doc)
{
    const char *name = jstr(doc, "name");
    const char *arn = logs_group_arn(c, account, name);
    json_t *g =
        arn ? json_pack("{s:s, s:I, s:I, s:s, s:s, s:I}", "logGroupName", name, "creationTime",
                        (json_int_t)jint(doc, "creationTime", 0), "metricFilterCount",
                        (json_int_t)0, "arn", arena_printf(c->a, "%s:*", arn), "logGroupArn", arn,
                        "storedBytes", (json_int_t)jint(doc, "storedBytes", 0))
            : NULL;
    int rc = !g;
    long long days = jint(doc, "retentionInDays", 0);
    if (!rc && days) rc = json_object_set_new(g, "retentionInDays", json_integer(days));
    if (!rc) rc = jset_str(g, "kmsKeyId", jstr(doc, "kmsKeyId"));
    if (!rc) rc = json_object_set_new(g, "logGroupClass", json_string("STANDARD"));
    return jdone(g, rc);
}

typedef struct dlg {
    call *c;
    const char *pattern;
    json_t *all;
    int oom;
} dlg;

static int describe_one(void *ud, const store_key *k, json_t *doc)
{
    dlg *d = ud;
    const char *name = jstr(doc, "name");
    if (d->pattern && *d->pattern && !strcasestr(name, d->pattern)) return 0;
    if (json_array_append_new(d->all, group_out(d->c, k->account, doc))) d->oom = 1;
    return d->oom;
}

int logs_op_describe_log_groups(call *c, json_t *in, json_t **out)
{
    const char *prefix = jstr(in, "logGroupNamePrefix");
    dlg d = {c, jstr(in, "logGroupNamePattern"), json_array(), 0};
    if (!arena_defer_json(c->a, d.all)) return ferr_oom(c->err);
    if (prefix && d.pattern)
        return logs_invalid(c, "LogGroup name prefix and LogGroup name pattern are mutually "
                               "exclusive parameters.");
    const char *arn = logs_group_arn(c, c->account, "*");
    if (!arn) return ferr_oom(c->err);
    if (call_authorize(c, "logs:DescribeLogGroups", arn)) return -1;
    if (store_list(c->txn, LOGS_GROUP_KIND, c->account, c->region, prefix, NULL, 0, describe_one,
                   &d, c->err) < 0)
        return -1;
    if (d.oom) return ferr_oom(c->err);
    json_t *o = json_object();
    if (!arena_defer_json(c->a, o)) return ferr_oom(c->err);
    if (svc_page(c, d.all, jstr(in, "nextToken"), jint(in, "limit", 50), o, "logGroups",
                 "nextToken", "InvalidParameterException"))
        return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

static int retention(call *c, json_t *in, json_t **out, int put)
{
    const char *name = jstr(in, "logGroupName");
    long long days = jint(in, "retentionInDays", 0);
    json_t *doc;
    if (logs_authorize(c, put ? "logs:PutRetentionPolicy" : "logs:DeleteRetentionPolicy",
                       c->account, name, NULL))
        return -1;
    if (put && !logs_retention_ok(days)) /* AWS words it as its request validation does */
        return logs_invalid(c,
                            "1 validation error detected: Value '%lld' at 'retentionInDays' "
                            "failed to satisfy constraint: Member must satisfy enum value set: "
                            "[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, "
                            "1096, 1827, 2192, 2557, 2922, 3288, 3653]",
                            days);
    if (logs_group_need(c, c->account, name, &doc)) return -1;
    if (put ? json_object_set_new(doc, "retentionInDays", json_integer(days))
            : (json_object_del(doc, "retentionInDays"), 0))
        return ferr_oom(c->err);
    if (logs_group_save(c, name, doc)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int logs_op_put_retention_policy(call *c, json_t *in, json_t **out)
{
    return retention(c, in, out, 1);
}

int logs_op_delete_retention_policy(call *c, json_t *in, json_t **out)
{
    return retention(c, in, out, 0);
}

/* ---- tags ---- */

static int tag(call *c, const char *account, const char *name, const json_t *tags,
               const json_t *keys, const char *action, const char *too_many, json_t **out)
{
    json_t *doc;
    if (logs_authorize(c, action, account, name, NULL) || logs_group_need(c, account, name, &doc))
        return -1;
    if (tags && group_tags_set(c, doc, tags, too_many)) return -1;
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) {
        json_object_del(json_object_get(doc, "tags"), json_string_value(k));
    }
    if (logs_group_save(c, name, doc)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

static int tags_of(call *c, const char *account, const char *name, const char *action, json_t **out)
{
    json_t *doc;
    if (logs_authorize(c, action, account, name, NULL) || logs_group_need(c, account, name, &doc))
        return -1;
    json_t *t = json_object_get(doc, "tags");
    *out = svc_out(c, t ? json_pack("{s:O}", "tags", t) : json_pack("{s:{}}", "tags"));
    return 0;
}

int logs_op_tag_log_group(call *c, json_t *in, json_t **out)
{
    return tag(c, c->account, jstr(in, "logGroupName"), json_object_get(in, "tags"), NULL,
               "logs:TagLogGroup", "InvalidParameterException", out);
}

int logs_op_untag_log_group(call *c, json_t *in, json_t **out)
{
    return tag(c, c->account, jstr(in, "logGroupName"), NULL, json_object_get(in, "tags"),
               "logs:UntagLogGroup", "InvalidParameterException", out);
}

int logs_op_list_tags_log_group(call *c, json_t *in, json_t **out)
{
    return tags_of(c, c->account, jstr(in, "logGroupName"), "logs:ListTagsLogGroup", out);
}

int logs_op_tag_resource(call *c, json_t *in, json_t **out)
{
    const char *account, *name;
    if (logs_parse_group_arn(c, jstr(in, "resourceArn"), &account, &name)) return -1;
    return tag(c, account, name, json_object_get(in, "tags"), NULL, "logs:TagResource",
               "TooManyTagsException", out);
}

int logs_op_untag_resource(call *c, json_t *in, json_t **out)
{
    const char *account, *name;
    if (logs_parse_group_arn(c, jstr(in, "resourceArn"), &account, &name)) return -1;
    return tag(c, account, name, NULL, json_object_get(in, "tagKeys"), "logs:UntagResource",
               "TooManyTagsException", out);
}

int logs_op_list_tags_for_resource(call *c, json_t *in, json_t **out)
{
    const char *account, *name;
    if (logs_parse_group_arn(c, jstr(in, "resourceArn"), &account, &name)) return -1;
    return tags_of(c, account, name, "logs:ListTagsForResource", out);
}

/* AssociateKmsKey / DisassociateKmsKey: the key is recorded (events are not sealed with it) */
static int kms_key(call *c, json_t *in, json_t **out, const char *action, const char *key)
{
    const char *name = jstr(in, "logGroupName");
    json_t *doc;
    if (!name)
        return logs_invalid(c, "Specify either logGroupName or resourceIdentifier, not both.");
    if (logs_authorize(c, action, c->account, name, NULL) ||
        logs_group_need(c, c->account, name, &doc))
        return -1;
    if (key ? jset_str(doc, "kmsKeyId", key) : (json_object_del(doc, "kmsKeyId"), 0))
        return ferr_oom(c->err);
    if (logs_group_save(c, name, doc)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int logs_op_associate_kms_key(call *c, json_t *in, json_t **out)
{
    return kms_key(c, in, out, "logs:AssociateKmsKey", jstr(in, "kmsKeyId"));
}

int logs_op_disassociate_kms_key(call *c, json_t *in, json_t **out)
{
    return kms_key(c, in, out, "logs:DisassociateKmsKey", NULL);
}
