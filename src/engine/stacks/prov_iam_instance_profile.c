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

/* the old role leaves first: a profile holds one role at a time */
static const prov_iam_link role_link = {"InstanceProfileName", "RoleName",
                                        "AddRoleToInstanceProfile", "RemoveRoleFromInstanceProfile",
                                        1};

static int roles(cfn_pctx *p, const char *name, const json_t *old_r, const json_t *new_r)
{
    return prov_iam_relink(p, &role_link, name, old_r, new_r);
}

static int roles_link(cfn_pctx *p, const char *name, const json_t *op, const json_t *np)
{
    return roles(p, name, json_object_get(op, "Roles"), json_object_get(np, "Roles"));
}

static const char *const arn_only[] = {"Arn", NULL};
static const char *const copy[] = {"Path", NULL};
static const prov_iam_entity profile = {
    .kind = "InstanceProfile",
    .name_max = 128,
    .attrs = arn_only,
    .copy = copy,
    .links = roles_link,
};
static int ip_del(cfn_pctx *p, const char *name, const json_t *props);
static const prov_shape shape = PROV_IAM_SHAPE(schema, check, ip_del, &profile);

static int ip_del(cfn_pctx *p, const char *name, const json_t *props)
{
    return prov_iam_delete(&shape, p, name, props);
}

static const char *const replace_on[] = {"InstanceProfileName", "Path", NULL};

const cfn_provider cfn_provider_iam_instance_profile = {
    .type = "AWS::IAM::InstanceProfile",
    .shape = &shape,
    .del = ip_del,
    .replace_on = replace_on,
    .name_property = "InstanceProfileName",
    .name_max = 128,
};
