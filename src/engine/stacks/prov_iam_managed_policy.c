/* AWS::IAM::ManagedPolicy. Ref = the policy ARN; GetAtt PolicyArn, PolicyId,
 * DefaultVersionId, AttachmentCount, IsAttachable, PermissionsBoundaryUsageCount,
 * CreateDate, UpdateDate. ManagedPolicyName, Path and Description replace; a new
 * PolicyDocument becomes a new default version (the oldest version goes when IAM's five
 * are used); Roles, Users and Groups attach and detach in place. No tags. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "prov_iam.h"

static const prov_prop schema[] = {
    {"Description", PT_STR, 0},       {"Groups", PT_STRLIST, 0},
    {"ManagedPolicyName", PT_STR, 0}, {"Path", PT_STR, 0},
    {"PolicyDocument", PT_JSON, 1},   {"Roles", PT_STRLIST, 0},
    {"Users", PT_STRLIST, 0},         {NULL, 0, 0},
};

/* Attaches arn to the identities new in np (NULL: none), then detaches it from those only
 * in op (NULL: none). */
static int attachments(cfn_pctx *p, const char *arn, const json_t *op, const json_t *np)
{
    for (size_t t = 0; t < PROV_IAM_NTARGETS; t++) {
        char key[32], add[48], drop[48];
        snprintf(key, sizeof(key), "%sName", prov_iam_targets[t].kind);
        snprintf(add, sizeof(add), "Attach%sPolicy", prov_iam_targets[t].kind);
        snprintf(drop, sizeof(drop), "Detach%sPolicy", prov_iam_targets[t].kind);
        prov_iam_link l = {"PolicyArn", key, add, drop, 0};
        const char *prop = prov_iam_targets[t].prop;
        if (prov_iam_relink(p, &l, arn, json_object_get(op, prop), json_object_get(np, prop)))
            return -1;
    }
    return 0;
}

static long version_number(const json_t *v)
{
    const char *id = jstr(v, "VersionId");
    return id && (id[0] == 'v' || id[0] == 'V') ? strtol(id + 1, NULL, 10) : 0;
}

/* The versions (ListPolicyVersions), or NULL with p->e set. */
static json_t *versions(cfn_pctx *p, const char *arn)
{
    json_t *out = NULL;
    if (prov_call(p, "iam", "ListPolicyVersions", json_pack("{s:s}", "PolicyArn", arn), &out))
        return NULL;
    json_t *v = json_incref(json_object_get(out, "Versions"));
    json_decref(out);
    return v ? v : json_array();
}

/* The oldest non-default version among vs, or NULL. */
static const json_t *oldest_version(const json_t *vs)
{
    const json_t *oldest = NULL;
    size_t i;
    json_t *x;
    json_array_foreach(vs, i, x) {
        if (jbool(x, "IsDefaultVersion", 0)) continue;
        if (!oldest || version_number(x) < version_number(oldest)) oldest = x;
    }
    return oldest;
}

static int mp_attrs(const prov_shape *s, cfn_pctx *p, const char *arn, json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    if (prov_call(p, "iam", "GetPolicy", json_pack("{s:s}", "PolicyArn", arn), &out)) return -1;
    const json_t *pol = json_object_get(out, "Policy");
    json_t *a = json_pack("{s:s}", "PolicyArn", arn);
    int rc = 0;
    static const char *const copy[] = {"PolicyId", "DefaultVersionId", "AttachmentCount",
                                       "IsAttachable", "PermissionsBoundaryUsageCount"};
    for (size_t i = 0; a && i < sizeof(copy) / sizeof(copy[0]); i++) {
        json_t *v = json_object_get(pol, copy[i]);
        if (v) rc |= json_object_set(a, copy[i], v);
    }
    /* AWS: dates in ISO 8601 */
    if (a && json_object_get(pol, "CreateDate"))
        rc |= json_object_set_new(a, "CreateDate", prov_date(json_object_get(pol, "CreateDate")));
    if (a && json_object_get(pol, "UpdateDate"))
        rc |= json_object_set_new(a, "UpdateDate", prov_date(json_object_get(pol, "UpdateDate")));
    json_decref(out);
    *attrs = a = jdone(a, rc);
    return a ? 0 : ferr_oom(p->e);
}

static int mp_del(cfn_pctx *p, const char *arn, const json_t *props)
{
    json_t *pr = prov_props_old(p, props, schema);
    int rc = attachments(p, arn, pr, NULL);
    json_decref(pr);
    if (rc) return -1;
    /* AWS: DeletePolicy needs the non-default versions deleted first */
    json_t *vs = versions(p, arn);
    if (!vs) {
        if (!prov_is_gone(p->e)) return -1;
        ferr_clear(p->e);
        return 0;
    }
    size_t i;
    json_t *x;
    json_array_foreach(vs, i, x) {
        if (jbool(x, "IsDefaultVersion", 0) || !jstr(x, "VersionId")) continue;
        if (prov_call_gone_ok(p, NULL, "iam", "DeletePolicyVersion",
                              json_pack("{s:s, s:O}", "PolicyArn", arn, "VersionId",
                                        json_object_get(x, "VersionId")))) {
            json_decref(vs);
            return -1;
        }
    }
    json_decref(vs);
    return prov_call_gone_ok(p, NULL, "iam", "DeletePolicy", json_pack("{s:s}", "PolicyArn", arn));
}

static int mp_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **arn_out,
                   json_t **attrs)
{
    (void)s;
    (void)attrs; /* read after the attachments (AttachmentCount) */
    json_t *out = NULL;
    int rc = -1;
    char *name = prov_name(p, pr, "ManagedPolicyName", 128, 0);
    char *doc = prov_doc_text(json_object_get(pr, "PolicyDocument"));
    if (!name || !doc) {
        ferr_oom(p->e);
        goto out;
    }
    char planned[1024];
    snprintf(planned, sizeof(planned), "arn:%s:iam::%s:policy%s%s", arn_partition(p->region),
             p->account ? p->account : p->as->account, jstr(pr, "Path") ? jstr(pr, "Path") : "/",
             name);
    if (cfn_intent(p, planned)) goto out;
    json_t *in = json_pack("{s:s, s:s}", "PolicyName", name, "PolicyDocument", doc);
    if (jstr(pr, "Path")) in = jdone(in, json_object_set(in, "Path", json_object_get(pr, "Path")));
    if (jstr(pr, "Description"))
        in = jdone(in, json_object_set(in, "Description", json_object_get(pr, "Description")));
    if (prov_call(p, "iam", "CreatePolicy", in, &out)) goto out;
    const char *arn = jstr(json_object_get(out, "Policy"), "Arn");
    if (!arn) {
        ferr_internal(p->e, "IAM returned a policy without Arn");
        goto out;
    }
    rc = (*arn_out = strdup(arn)) ? 0 : ferr_oom(p->e);
out:
    json_decref(out);
    free(name);
    free(doc);
    return rc;
}

static int mp_finish(const prov_shape *s, cfn_pctx *p, const char *arn, const json_t *pr)
{
    (void)s;
    return attachments(p, arn, NULL, pr);
}

static int new_version(cfn_pctx *p, const char *arn, const json_t *docv)
{
    json_t *vs = versions(p, arn);
    if (!vs) return -1;
    /* AWS: a managed policy keeps at most five versions; CloudFormation deletes the oldest
     * non-default one to make room */
    const json_t *oldest = json_array_size(vs) >= 5 ? oldest_version(vs) : NULL;
    int rc = oldest ? prov_call(p, "iam", "DeletePolicyVersion",
                                json_pack("{s:s, s:O}", "PolicyArn", arn, "VersionId",
                                          json_object_get(oldest, "VersionId")),
                                NULL)
                    : 0;
    json_decref(vs);
    if (rc) return -1;
    char *doc = prov_doc_text(docv);
    if (!doc) return ferr_oom(p->e);
    rc = prov_call(
        p, "iam", "CreatePolicyVersion",
        json_pack("{s:s, s:s, s:b}", "PolicyArn", arn, "PolicyDocument", doc, "SetAsDefault", 1),
        NULL);
    free(doc);
    return rc;
}

static int mp_change(const prov_shape *s, cfn_pctx *p, const char *arn, const json_t *op,
                     const json_t *np)
{
    (void)s;
    const json_t *nd = json_object_get(np, "PolicyDocument");
    if (!prov_doc_equal(json_object_get(op, "PolicyDocument"), nd) && new_version(p, arn, nd))
        return -1;
    return attachments(p, arn, op, np);
}

static const prov_shape shape = {
    .schema = schema,
    .make = mp_make,
    .finish = mp_finish,
    .change = mp_change,
    .attrs = mp_attrs,
    .del = mp_del,
};

static const char *const replace_on[] = {"ManagedPolicyName", "Path", "Description", NULL};

const cfn_provider cfn_provider_iam_managed_policy = {
    .type = "AWS::IAM::ManagedPolicy",
    .shape = &shape,
    .del = mp_del,
    .replace_on = replace_on,
    .name_property = "ManagedPolicyName",
    .name_max = 128,
};
