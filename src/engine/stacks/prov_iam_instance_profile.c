/* AWS::IAM::InstanceProfile. Ref = InstanceProfileName; GetAtt Arn. InstanceProfileName
 * and Path replace; Roles (required, at most one) changes in place. No tags. */
#include <stdlib.h>
#include <string.h>

#include "prov_iam.h"

static const prov_prop schema[] = {
    {"InstanceProfileName", PT_STR, 0},
    {"Path", PT_STR, 0},
    {"Roles", PT_STRLIST, 1},
    {NULL, 0, 0},
};

static int check(cfn_pctx *p, const json_t *pr)
{
    size_t n = json_array_size(json_object_get(pr, "Roles"));
    /* AWS: an instance profile holds one role (schema: minItems 1, maxItems 1) */
    if (n > 1) return prov_invalid(p, "#/Roles: expected maximum item count: 1, found: %zu", n);
    if (n < 1) return prov_invalid(p, "#/Roles: expected minimum item count: 1, found: 0");
    return 0;
}

static int roles(cfn_pctx *p, const char *name, const json_t *old_r, const json_t *new_r)
{
    json_t *add = prov_strlist_minus(new_r, old_r), *drop = prov_strlist_minus(old_r, new_r);
    int rc = -1;
    size_t i;
    json_t *x;
    /* the old role leaves first: a profile holds one role at a time */
    json_array_foreach(drop, i, x) {
        if (prov_call_gone_ok(p, NULL, "iam", "RemoveRoleFromInstanceProfile",
                              json_pack("{s:s, s:O}", "InstanceProfileName", name, "RoleName", x)))
            goto out;
    }
    json_array_foreach(add, i, x) {
        if (prov_call(p, "iam", "AddRoleToInstanceProfile",
                      json_pack("{s:s, s:O}", "InstanceProfileName", name, "RoleName", x), NULL))
            goto out;
    }
    rc = 0;
out:
    json_decref(add);
    json_decref(drop);
    return rc;
}

static int attrs_of(cfn_pctx *p, const json_t *ip, json_t **attrs)
{
    const char *arn = jstr(ip, "Arn");
    if (!arn) return ferr_internal(p->e, "IAM returned an instance profile without Arn");
    *attrs = json_pack("{s:s}", "Arn", arn);
    return *attrs ? 0 : ferr_oom(p->e);
}

static int ip_del(cfn_pctx *p, const char *name, const json_t *props)
{
    json_t *pr = prov_props_old(p, props, schema), *none = json_array();
    int rc = roles(p, name, json_object_get(pr, "Roles"), none) ||
             prov_call_gone_ok(p, NULL, "iam", "DeleteInstanceProfile",
                               json_pack("{s:s}", "InstanceProfileName", name));
    json_decref(none);
    json_decref(pr);
    return rc ? -1 : 0;
}

static int ip_create(cfn_pctx *p, const json_t *props, json_t **result)
{
    json_t *pr, *out = NULL, *attrs = NULL;
    if (prov_props(p, props, schema, &pr)) return -1;
    int rc = -1;
    char *name = NULL;
    if (check(p, pr)) goto out;
    if (!(name = prov_name(p, pr, "InstanceProfileName", 128, 0))) {
        ferr_oom(p->e);
        goto out;
    }
    json_t *in = json_pack("{s:s}", "InstanceProfileName", name);
    if (in && jstr(pr, "Path")) json_object_set(in, "Path", json_object_get(pr, "Path"));
    if (prov_call(p, "iam", "CreateInstanceProfile", in, &out)) goto out;
    if (attrs_of(p, json_object_get(out, "InstanceProfile"), &attrs) ||
        roles(p, name, NULL, json_object_get(pr, "Roles"))) {
        prov_undo(p, ip_del, name, pr);
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

static int ip_update(cfn_pctx *p, const char *name, const json_t *old_props,
                     const json_t *new_props, json_t **result)
{
    json_t *op = prov_props_old(p, old_props, schema), *np = NULL, *out = NULL;
    json_t *attrs = NULL;
    int rc = -1;
    if (prov_props(p, new_props, schema, &np) || check(p, np) ||
        roles(p, name, json_object_get(op, "Roles"), json_object_get(np, "Roles")))
        goto out;
    if (prov_call(p, "iam", "GetInstanceProfile", json_pack("{s:s}", "InstanceProfileName", name),
                  &out) ||
        attrs_of(p, json_object_get(out, "InstanceProfile"), &attrs))
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

static const char *const replace_on[] = {"InstanceProfileName", "Path", NULL};

const cfn_provider cfn_provider_iam_instance_profile = {
    .type = "AWS::IAM::InstanceProfile",
    .create = ip_create,
    .update = ip_update,
    .del = ip_del,
    .replace_on = replace_on,
    .name_property = "InstanceProfileName",
    .name_max = 128,
};
