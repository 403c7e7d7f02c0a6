/* AWS::IAM::Role. Ref = RoleName; GetAtt Arn, RoleId. RoleName and Path replace; the trust
 * policy, description, session length, boundary, inline and managed policies and tags
 * change in place. Tags: the stack's and the resource's (no aws:cloudformation:* tags:
 * AWS does not add them to roles). */
#include <stdlib.h>
#include <string.h>

#include "prov_iam.h"

static const prov_prop schema[] = {
    {"AssumeRolePolicyDocument", PT_JSON, 1},
    {"Description", PT_STR, 0},
    {"ManagedPolicyArns", PT_STRLIST, 0},
    {"MaxSessionDuration", PT_INT, 0},
    {"Path", PT_STR, 0},
    {"PermissionsBoundary", PT_STR, 0},
    {"Policies", PT_POLICIES, 0},
    {"RoleName", PT_STR, 0},
    {"Tags", PT_TAGS, 0},
    {NULL, 0, 0},
};

/* CreateRole's trust policy: a Json property, given as text. */
static int trust_request(cfn_pctx *p, const json_t *pr, json_t *in)
{
    (void)p;
    char *trust = prov_doc_text(json_object_get(pr, "AssumeRolePolicyDocument"));
    int rc = trust ? json_object_set_new(in, "AssumeRolePolicyDocument", json_string(trust)) : -1;
    free(trust);
    return rc;
}

/* The trust policy, description and session length change in place (UpdateRole). */
static int role_links(cfn_pctx *p, const char *name, const json_t *op, const json_t *np)
{
    if (!op || !np) return 0;
    const json_t *ot = json_object_get(op, "AssumeRolePolicyDocument");
    const json_t *nt = json_object_get(np, "AssumeRolePolicyDocument");
    if (!prov_doc_equal(ot, nt)) {
        char *doc = prov_doc_text(nt);
        int r = prov_call(
            p, "iam", "UpdateAssumeRolePolicy",
            json_pack("{s:s, s:s}", "RoleName", name, "PolicyDocument", doc ? doc : ""), NULL);
        free(doc);
        if (r) return -1;
    }
    const json_t *od = json_object_get(op, "Description"), *nd = json_object_get(np, "Description");
    const json_t *om = json_object_get(op, "MaxSessionDuration");
    const json_t *nm = json_object_get(np, "MaxSessionDuration");
    if (prov_same(od, nd) && prov_same(om, nm)) return 0;
    /* AWS: removing them puts back the defaults (no description, one hour) */
    json_t *in = json_pack("{s:s, s:s, s:I}", "RoleName", name, "Description",
                           nd ? json_string_value(nd) : "", "MaxSessionDuration",
                           (json_int_t)(nm ? json_integer_value(nm) : 3600));
    return prov_call(p, "iam", "UpdateRole", in, NULL);
}

static const char *const attrs[] = {"Arn", "RoleId", NULL};
static const char *const copy[] = {"Path", "Description", "MaxSessionDuration",
                                   "PermissionsBoundary", NULL};
static const prov_iam_entity role = {
    .kind = "Role",
    .name_max = 64,
    .attrs = attrs,
    .copy = copy,
    .policies = 1,
    .boundary = 1,
    .tagged = 1,
    .request = trust_request,
    .links = role_links,
};
static int role_del(cfn_pctx *p, const char *name, const json_t *props);
static const prov_shape shape = PROV_IAM_SHAPE(schema, NULL, role_del, &role);

static int role_del(cfn_pctx *p, const char *name, const json_t *props)
{
    /* AWS: a role's inline policies and attachments go before the role itself */
    return prov_iam_delete(&shape, p, name, props);
}

static const char *const replace_on[] = {"RoleName", "Path", NULL};

const cfn_provider cfn_provider_iam_role = {
    .type = "AWS::IAM::Role",
    .shape = &shape,
    .del = role_del,
    .replace_on = replace_on,
    .name_property = "RoleName",
    .name_max = 64,
};
