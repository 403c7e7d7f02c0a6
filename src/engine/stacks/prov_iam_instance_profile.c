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

static int roles_link(cfn_pctx *p, const char *name, const json_t *op, const json_t *np)
{
    return roles(p, name, json_object_get(op, "Roles"), json_object_get(np, "Roles"));
}

static const char *const arn_only[] = {"Arn", NULL};
static const char *const copy[] = {"Path", NULL};
static const prov_iam_entity profile = {
    .kind = "InstanceProfile", .name_max = 128, .attrs = arn_only, .copy = copy,
    .links = roles_link,
};
static int ip_del(cfn_pctx *p, const char *name, const json_t *props);
static const prov_shape shape = {
    .schema = schema, .check = check, .make = prov_iam_make, .finish = prov_iam_finish,
    .change = prov_iam_change, .attrs = prov_iam_attrs, .del = ip_del, .data = &profile,
};

static int ip_del(cfn_pctx *p, const char *name, const json_t *props)
{
    return prov_iam_delete(&shape, p, name, props);
}

static int ip_create(cfn_pctx *p, const json_t *props, json_t **result)
{
    return prov_shape_create(&shape, p, props, result);
}

static int ip_update(cfn_pctx *p, const char *name, const json_t *old_props,
                     const json_t *new_props, json_t **result)
{
    return prov_shape_update(&shape, p, name, old_props, new_props, result);
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
