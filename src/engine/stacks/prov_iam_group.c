/* AWS::IAM::Group. Ref = GroupName; GetAtt Arn. GroupName replaces; Path (UpdateGroup),
 * inline and managed policies change in place. IAM groups carry no tags. */
#include <stdlib.h>
#include <string.h>

#include "prov_iam.h"

static const prov_prop schema[] = {
    {"GroupName", PT_STR, 0},
    {"ManagedPolicyArns", PT_STRLIST, 0},
    {"Path", PT_STR, 0},
    {"Policies", PT_POLICIES, 0},
    {NULL, 0, 0},
};

static int attrs_of(cfn_pctx *p, const json_t *group, json_t **attrs)
{
    const char *arn = jstr(group, "Arn");
    if (!arn) return ferr_internal(p->e, "IAM returned a group without Arn");
    *attrs = json_pack("{s:s}", "Arn", arn);
    return *attrs ? 0 : ferr_oom(p->e);
}

static int group_del(cfn_pctx *p, const char *name, const json_t *props)
{
    json_t *pr = prov_props_old(p, props, schema);
    int rc = prov_iam_strip(p, "Group", name, pr) ||
             prov_call_gone_ok(p, NULL, "iam", "DeleteGroup",
                               json_pack("{s:s}", "GroupName", name));
    json_decref(pr);
    return rc ? -1 : 0;
}

static int group_create(cfn_pctx *p, const json_t *props, json_t **result)
{
    json_t *pr, *out = NULL, *attrs = NULL;
    if (prov_props(p, props, schema, &pr)) return -1;
    int rc = -1;
    char *name = prov_name(p, pr, "GroupName", 128, 0);
    if (!name) {
        ferr_oom(p->e);
        goto out;
    }
    json_t *in = json_pack("{s:s}", "GroupName", name);
    if (in && jstr(pr, "Path")) json_object_set(in, "Path", json_object_get(pr, "Path"));
    if (prov_call(p, "iam", "CreateGroup", in, &out)) goto out;
    if (attrs_of(p, json_object_get(out, "Group"), &attrs) ||
        prov_iam_sync_policies(p, "Group", name, NULL, pr)) {
        prov_undo(p, group_del, name, pr);
        goto out;
    }
    *result = prov_result(name, attrs);
    attrs = NULL;
    rc = 0;
out:
    json_decref(attrs);
    json_decref(out);
    json_decref(pr);
    free(name);
    return rc;
}

static int group_update(cfn_pctx *p, const char *name, const json_t *old_props,
                        const json_t *new_props, json_t **result)
{
    json_t *op = prov_props_old(p, old_props, schema), *np = NULL, *out = NULL;
    json_t *attrs = NULL;
    int rc = -1;
    if (prov_props(p, new_props, schema, &np)) goto out;
    const char *opath = jstr(op, "Path"), *npath = jstr(np, "Path");
    if (strcmp(opath ? opath : "/", npath ? npath : "/") &&
        prov_call(p, "iam", "UpdateGroup",
                  json_pack("{s:s, s:s}", "GroupName", name, "NewPath", npath ? npath : "/"), NULL))
        goto out;
    if (prov_iam_sync_policies(p, "Group", name, op, np))
        goto out;
    if (prov_call(p, "iam", "GetGroup", json_pack("{s:s}", "GroupName", name), &out) ||
        attrs_of(p, json_object_get(out, "Group"), &attrs))
        goto out;
    *result = prov_result(name, attrs);
    attrs = NULL;
    rc = 0;
out:
    json_decref(op);
    json_decref(np);
    json_decref(out);
    json_decref(attrs);
    return rc;
}

static const char *const replace_on[] = {"GroupName", NULL};

const cfn_provider cfn_provider_iam_group = {
    .type = "AWS::IAM::Group",
    .create = group_create,
    .update = group_update,
    .del = group_del,
    .replace_on = replace_on,
    .name_property = "GroupName",
    .name_max = 128,
};
