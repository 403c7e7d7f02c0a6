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

/* The CreateRole input for normalized props and the role's name. */
static json_t *role_request(const cfn_pctx *p, const json_t *pr, const char *name)
{
    char *trust = prov_doc_text(json_object_get(pr, "AssumeRolePolicyDocument"));
    if (!trust) return NULL;
    json_t *in = json_pack("{s:s, s:s}", "RoleName", name, "AssumeRolePolicyDocument", trust);
    free(trust);
    if (!in) return NULL;
    static const char *const copy[] = {"Path", "Description", "MaxSessionDuration",
                                       "PermissionsBoundary"};
    for (size_t i = 0; i < sizeof(copy) / sizeof(copy[0]); i++) {
        json_t *v = json_object_get(pr, copy[i]);
        if (v) json_object_set(in, copy[i], v);
    }
    json_t *tags = prov_tags(p, json_object_get(pr, "Tags"), 0);
    if (json_array_size(tags)) json_object_set(in, "Tags", tags);
    json_decref(tags);
    return in;
}

static int attrs_of(cfn_pctx *p, const json_t *role, json_t **attrs)
{
    const char *arn = jstr(role, "Arn"), *id = jstr(role, "RoleId");
    if (!arn || !id) return ferr_internal(p->e, "IAM returned a role without Arn or RoleId");
    *attrs = json_pack("{s:s, s:s}", "Arn", arn, "RoleId", id);
    return *attrs ? 0 : ferr_oom(p->e);
}

static int role_del(cfn_pctx *p, const char *name, const json_t *props)
{
    json_t *pr = prov_props_old(p, props, schema);
    /* AWS: a role's inline policies and attachments go before the role itself */
    int rc = prov_iam_strip(p, "Role", name, pr) ||
             prov_call_gone_ok(p, NULL, "iam", "DeleteRole", json_pack("{s:s}", "RoleName", name));
    json_decref(pr);
    return rc ? -1 : 0;
}

static int role_create(cfn_pctx *p, const json_t *props, json_t **result)
{
    json_t *pr, *out = NULL, *attrs = NULL;
    if (prov_props(p, props, schema, &pr)) return -1;
    int rc = -1;
    char *name = prov_name(p, pr, "RoleName", 64, 0);
    if (!name) {
        ferr_oom(p->e);
        goto out;
    }
    if (prov_call(p, "iam", "CreateRole", role_request(p, pr, name), &out)) goto out;
    if (attrs_of(p, json_object_get(out, "Role"), &attrs) ||
        prov_iam_sync_policies(p, "Role", name, NULL, pr)) {
        prov_undo(p, role_del, name, pr);
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

static int role_update(cfn_pctx *p, const char *name, const json_t *old_props,
                       const json_t *new_props, json_t **result)
{
    json_t *op = prov_props_old(p, old_props, schema), *np = NULL, *out = NULL;
    json_t *attrs = NULL, *old_tags = NULL, *new_tags = NULL;
    int rc = -1;
    if (prov_props(p, new_props, schema, &np)) goto out;
    const json_t *ot = json_object_get(op, "AssumeRolePolicyDocument");
    const json_t *nt = json_object_get(np, "AssumeRolePolicyDocument");
    if (!prov_doc_equal(ot, nt)) {
        char *doc = prov_doc_text(nt);
        int r = prov_call(p, "iam", "UpdateAssumeRolePolicy",
                          json_pack("{s:s, s:s}", "RoleName", name, "PolicyDocument",
                                    doc ? doc : ""),
                          NULL);
        free(doc);
        if (r) goto out;
    }
    const json_t *od = json_object_get(op, "Description"), *nd = json_object_get(np, "Description");
    const json_t *om = json_object_get(op, "MaxSessionDuration");
    const json_t *nm = json_object_get(np, "MaxSessionDuration");
    if (!prov_same(od, nd) || !prov_same(om, nm)) {
        /* AWS: removing them puts back the defaults (no description, one hour) */
        json_t *in = json_pack("{s:s, s:s, s:I}", "RoleName", name, "Description",
                               nd ? json_string_value(nd) : "", "MaxSessionDuration",
                               (json_int_t)(nm ? json_integer_value(nm) : 3600));
        if (prov_call(p, "iam", "UpdateRole", in, NULL)) goto out;
    }
    old_tags = prov_tags(p, json_object_get(op, "Tags"), 0);
    new_tags = prov_tags(p, json_object_get(np, "Tags"), 0);
    if (prov_iam_boundary(p, "Role", name, jstr(op, "PermissionsBoundary"),
                          jstr(np, "PermissionsBoundary")) ||
        prov_iam_sync_policies(p, "Role", name, op, np) ||
        prov_iam_tags(p, "Role", name, old_tags, new_tags))
        goto out;
    if (prov_call(p, "iam", "GetRole", json_pack("{s:s}", "RoleName", name), &out) ||
        attrs_of(p, json_object_get(out, "Role"), &attrs))
        goto out;
    *result = prov_result(name, attrs);
    attrs = NULL;
    rc = 0;
out:
    json_decref(op);
    json_decref(np);
    json_decref(out);
    json_decref(attrs);
    json_decref(old_tags);
    json_decref(new_tags);
    return rc;
}

static const char *const replace_on[] = {"RoleName", "Path", NULL};

const cfn_provider cfn_provider_iam_role = {
    .type = "AWS::IAM::Role",
    .create = role_create,
    .update = role_update,
    .del = role_del,
    .replace_on = replace_on,
    .name_property = "RoleName",
    .name_max = 64,
};
