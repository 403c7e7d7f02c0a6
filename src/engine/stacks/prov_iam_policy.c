/* AWS::IAM::Policy: one inline policy put on each of Roles, Users and Groups. Ref (and
 * GetAtt Id) = an id CloudFormation generates. Every property changes in place: a new name
 * or a target leaving removes the policy from the identities it no longer belongs to. */
#include <stdlib.h>
#include <string.h>

#include "prov_iam.h"

static const prov_prop schema[] = {
    {"Groups", PT_STRLIST, 0}, {"PolicyDocument", PT_JSON, 1}, {"PolicyName", PT_STR, 1},
    {"Roles", PT_STRLIST, 0},  {"Users", PT_STRLIST, 0},       {NULL, 0, 0},
};

static int check(cfn_pctx *p, const json_t *pr)
{
    for (size_t i = 0; i < PROV_IAM_NTARGETS; i++)
        if (json_array_size(json_object_get(pr, prov_iam_targets[i].prop))) return 0;
    /* AWS: "The Groups, Roles, and Users properties are optional. However, you must specify
     * at least one of these properties." */
    return prov_invalid(p, "At least one of [Groups,Roles,Users] must be non-empty.");
}

static int put(cfn_pctx *p, const char *kind, const char *who, const char *pname, const char *doc)
{
    char op[32], key[32];
    snprintf(op, sizeof(op), "Put%sPolicy", kind);
    snprintf(key, sizeof(key), "%sName", kind);
    return prov_call(
        p, "iam", op,
        json_pack("{s:s, s:s, s:s}", key, who, "PolicyName", pname, "PolicyDocument", doc), NULL);
}

static int drop(cfn_pctx *p, const char *kind, const char *who, const char *pname)
{
    char op[32], key[32];
    snprintf(op, sizeof(op), "Delete%sPolicy", kind);
    snprintf(key, sizeof(key), "%sName", kind);
    return prov_call_gone_ok(p, NULL, "iam", op,
                             json_pack("{s:s, s:s}", key, who, "PolicyName", pname));
}

/* Puts policy pname (doc) on the identities of list that are not in skip (NULL = none),
 * or with doc NULL removes it from them. */
static int on_identities(cfn_pctx *p, const json_t *list, const json_t *skip, const char *pname,
                         const char *doc)
{
    for (size_t t = 0; t < PROV_IAM_NTARGETS; t++) {
        const char *kind = prov_iam_targets[t].kind;
        const json_t *sk = skip ? json_object_get(skip, prov_iam_targets[t].prop) : NULL;
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(list, prov_iam_targets[t].prop), i, x) {
            const char *who = json_string_value(x);
            if (!who || (sk && prov_strlist_has(sk, who))) continue;
            if (doc ? put(p, kind, who, pname, doc) : drop(p, kind, who, pname)) return -1;
        }
    }
    return 0;
}

static int policy_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)id;
    json_t *pr = prov_props_old(p, props, schema);
    const char *pname = jstr(pr, "PolicyName");
    int rc = pname ? on_identities(p, pr, NULL, pname, NULL) : 0;
    json_decref(pr);
    return rc;
}

static int policy_finish(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *pr)
{
    (void)s;
    (void)id;
    char *doc = prov_doc_text(json_object_get(pr, "PolicyDocument"));
    int rc = doc ? on_identities(p, pr, NULL, jstr(pr, "PolicyName"), doc) : ferr_oom(p->e);
    free(doc);
    return rc;
}

static int policy_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                         const json_t *np)
{
    (void)s;
    (void)id;
    const char *oname = jstr(op, "PolicyName"), *nname = jstr(np, "PolicyName");
    int renamed = !oname || strcmp(oname, nname);
    int redoc = !prov_doc_equal(json_object_get(op, "PolicyDocument"),
                                json_object_get(np, "PolicyDocument"));
    char *doc = prov_doc_text(json_object_get(np, "PolicyDocument"));
    if (!doc) return ferr_oom(p->e);
    /* the new version goes on first (all targets when name or document changed, else the
     * added ones); then the old one leaves where it no longer belongs */
    int rc = on_identities(p, np, renamed || redoc ? NULL : op, nname, doc) ||
                     (oname && on_identities(p, op, renamed ? NULL : np, oname, NULL))
                 ? -1
                 : 0;
    free(doc);
    return rc;
}

static const prov_shape shape = {
    .schema = schema,
    .check = check,
    .make = prov_shape_generated_id,
    .finish = policy_finish,
    .change = policy_change,
    .attrs = prov_shape_id_attrs,
    .del = policy_del,
};

const cfn_provider cfn_provider_iam_policy = {
    .type = "AWS::IAM::Policy",
    .shape = &shape,
    .del = policy_del,
};
