/* AWS::Logs::LogGroup. Ref = the group's name; GetAtt Arn (ending ":*", as AWS gives it).
 * LogGroupName replaces; RetentionInDays, KmsKeyId and Tags change in place. Without a
 * LogGroupName the group is named "{stack}-{logical id}-{random}". */
#include <stdlib.h>
#include <string.h>

#include "engine/stacks/prov_int.h"

static const prov_prop schema[] = {
    {"KmsKeyId", PT_STR, 0},        {"LogGroupClass", PT_STR, 0}, {"LogGroupName", PT_STR, 0},
    {"RetentionInDays", PT_INT, 0}, {"Tags", PT_TAGS, 0},         {NULL, 0, 0},
};

static int group_check(cfn_pctx *p, const json_t *pr)
{
    const char *cls = jstr(pr, "LogGroupClass");
    if (cls && strcmp(cls, "STANDARD"))
        /* the infrequent-access class changes what a group can do: not in ferry */
        return prov_invalid(p, "#/LogGroupClass: only STANDARD is supported");
    return 0;
}

static int group_del(cfn_pctx *p, const char *name, const json_t *props)
{
    (void)props;
    return prov_call_gone_ok(p, NULL, "logs", "DeleteLogGroup",
                             json_pack("{s:s}", "logGroupName", name));
}

static int set_retention(cfn_pctx *p, const char *name, const json_t *pr)
{
    const json_t *days = json_object_get(pr, "RetentionInDays");
    if (days)
        return prov_call(p, "logs", "PutRetentionPolicy",
                         json_pack("{s:s, s:O}", "logGroupName", name, "retentionInDays", days),
                         NULL);
    return prov_call(p, "logs", "DeleteRetentionPolicy", json_pack("{s:s}", "logGroupName", name),
                     NULL);
}

static int group_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s;
    (void)attrs; /* read with DescribeLogGroups */
    char *name = prov_name(p, pr, "LogGroupName", 512, 0);
    json_t *tags = name ? prov_tags(p, json_object_get(pr, "Tags"), 1) : NULL;
    json_t *map = tags ? prov_tags_map(tags) : NULL;
    json_t *in = map ? json_pack("{s:s}", "logGroupName", name) : NULL;
    int rc = !in || (json_object_size(map) && json_object_set(in, "tags", map)) ||
                     jset_str(in, "kmsKeyId", jstr(pr, "KmsKeyId"))
                 ? ferr_oom(p->e)
                 : 0;
    if (!rc)
        rc = prov_refuse_existing(p, "AWS::Logs::LogGroup", name, "logs", "ListTagsLogGroup",
                                  json_pack("{s:s}", "logGroupName", name)) ||
             cfn_intent(p, name) || prov_call(p, "logs", "CreateLogGroup", json_incref(in), NULL);
    if (!rc && json_object_get(pr, "RetentionInDays") && set_retention(p, name, pr))
        rc = prov_undo(p, group_del, name, pr);
    json_decref(in);
    json_decref(tags);
    json_decref(map);
    if (rc) {
        free(name);
        return -1;
    }
    *id = name;
    return 0;
}

static int group_attrs(const prov_shape *s, cfn_pctx *p, const char *name, json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    if (prov_call(p, "logs", "DescribeLogGroups", json_pack("{s:s}", "logGroupNamePrefix", name),
                  &out))
        return -1;
    const char *arn = NULL;
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(out, "logGroups"), i, g) {
        if (!strcmp(jstr(g, "logGroupName"), name)) arn = jstr(g, "arn");
    }
    *attrs = arn ? json_pack("{s:s}", "Arn", arn) : NULL;
    json_decref(out);
    if (!arn) return ferr_internal(p->e, "log group %s is gone", name);
    return *attrs ? 0 : ferr_oom(p->e);
}

/* The group's tags become the stack's and the Tags list's (aws: tags kept). */
static int sync_tags(cfn_pctx *p, const char *name, const json_t *np)
{
    json_t *out = NULL;
    if (prov_call(p, "logs", "ListTagsLogGroup", json_pack("{s:s}", "logGroupName", name), &out))
        return -1;
    json_t *have = prov_tags_list(json_object_get(out, "tags"));
    json_t *want = prov_tags(p, json_object_get(np, "Tags"), 1), *set = NULL, *unset = NULL;
    int rc = !have || !want || prov_tags_diff(have, want, &set, &unset) ? ferr_oom(p->e) : 0;
    if (!rc && json_array_size(unset))
        rc = prov_call(p, "logs", "UntagLogGroup",
                       json_pack("{s:s, s:O}", "logGroupName", name, "tags", unset), NULL);
    if (!rc && json_array_size(set))
        rc = prov_call(p, "logs", "TagLogGroup",
                       json_pack("{s:s, s:o}", "logGroupName", name, "tags", prov_tags_map(set)),
                       NULL);
    json_decref(out);
    json_decref(have);
    json_decref(want);
    json_decref(set);
    json_decref(unset);
    return rc;
}

static int group_change(const prov_shape *s, cfn_pctx *p, const char *name, const json_t *op,
                        const json_t *np)
{
    (void)s;
    if (!prov_same(json_object_get(op, "RetentionInDays"),
                   json_object_get(np, "RetentionInDays")) &&
        set_retention(p, name, np))
        return -1;
    const char *key = jstr(np, "KmsKeyId");
    if (!prov_same(json_object_get(op, "KmsKeyId"), json_object_get(np, "KmsKeyId")) &&
        prov_call(p, "logs", key ? "AssociateKmsKey" : "DisassociateKmsKey",
                  key ? json_pack("{s:s, s:s}", "logGroupName", name, "kmsKeyId", key)
                      : json_pack("{s:s}", "logGroupName", name),
                  NULL))
        return -1;
    return sync_tags(p, name, np);
}

static const prov_shape shape = {
    .schema = schema,
    .check = group_check,
    .make = group_make,
    .change = group_change,
    .attrs = group_attrs,
    .del = group_del,
};

static const char *const replace_on[] = {"LogGroupName", NULL};

const cfn_provider cfn_provider_logs_log_group = {
    .type = "AWS::Logs::LogGroup",
    .shape = &shape,
    .del = group_del,
    .replace_on = replace_on,
};
