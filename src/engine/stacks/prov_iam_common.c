/* Inline policies, managed policy attachments, boundaries and tags of IAM identities. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prov_iam.h"

static void opname(char *out, size_t n, const char *fmt, const char *kind)
{
    snprintf(out, n, fmt, kind);
}

int prov_iam_policies(cfn_pctx *p, const char *kind, const char *name, const json_t *old_list,
                      const json_t *new_list)
{
    char op[64], key[32];
    snprintf(key, sizeof(key), "%sName", kind);
    size_t i;
    json_t *x;
    opname(op, sizeof(op), "Put%sPolicy", kind);
    json_array_foreach(new_list, i, x) {
        const char *pn = jstr(x, "PolicyName");
        const json_t *was = prov_policy_find(old_list, pn);
        if (was && prov_doc_equal(json_object_get(was, "PolicyDocument"),
                                  json_object_get(x, "PolicyDocument")))
            continue;
        char *doc = prov_doc_text(json_object_get(x, "PolicyDocument"));
        if (!doc) return ferr_oom(p->e);
        int rc = prov_call(p, "iam", op,
                           json_pack("{s:s, s:s, s:s}", key, name, "PolicyName", pn,
                                     "PolicyDocument", doc),
                           NULL);
        free(doc);
        if (rc) return -1;
    }
    opname(op, sizeof(op), "Delete%sPolicy", kind);
    json_array_foreach(old_list, i, x) {
        const char *pn = jstr(x, "PolicyName");
        if (!pn || prov_policy_find(new_list, pn)) continue;
        if (prov_call_gone_ok(p, NULL, "iam", op,
                              json_pack("{s:s, s:s}", key, name, "PolicyName", pn)))
            return -1;
    }
    return 0;
}

int prov_iam_attachments(cfn_pctx *p, const char *kind, const char *name, const json_t *old_arns,
                         const json_t *new_arns)
{
    char op[64], key[32];
    snprintf(key, sizeof(key), "%sName", kind);
    json_t *add = prov_strlist_minus(new_arns, old_arns);
    json_t *drop = prov_strlist_minus(old_arns, new_arns);
    int rc = -1;
    size_t i;
    json_t *x;
    /* attach before detaching, so an update never leaves the identity with less than
     * either version grants */
    opname(op, sizeof(op), "Attach%sPolicy", kind);
    json_array_foreach(add, i, x) {
        if (prov_call(p, "iam", op,
                      json_pack("{s:s, s:O}", key, name, "PolicyArn", x), NULL))
            goto out;
    }
    opname(op, sizeof(op), "Detach%sPolicy", kind);
    json_array_foreach(drop, i, x) {
        if (prov_call_gone_ok(p, NULL, "iam", op,
                              json_pack("{s:s, s:O}", key, name, "PolicyArn", x)))
            goto out;
    }
    rc = 0;
out:
    json_decref(add);
    json_decref(drop);
    return rc;
}

int prov_iam_boundary(cfn_pctx *p, const char *kind, const char *name, const char *old_arn,
                      const char *new_arn)
{
    char op[64], key[32];
    snprintf(key, sizeof(key), "%sName", kind);
    if (new_arn) {
        if (old_arn && !strcmp(old_arn, new_arn)) return 0;
        opname(op, sizeof(op), "Put%sPermissionsBoundary", kind);
        return prov_call(p, "iam", op,
                         json_pack("{s:s, s:s}", key, name, "PermissionsBoundary", new_arn), NULL);
    }
    if (!old_arn) return 0;
    opname(op, sizeof(op), "Delete%sPermissionsBoundary", kind);
    return prov_call_gone_ok(p, NULL, "iam", op, json_pack("{s:s}", key, name));
}

int prov_iam_tags(cfn_pctx *p, const char *kind, const char *name, const json_t *old_desired,
                  const json_t *desired)
{
    char op[64], key[32];
    snprintf(key, sizeof(key), "%sName", kind);
    opname(op, sizeof(op), "List%sTags", kind);
    json_t *out = NULL, *current;
    if (prov_call(p, "iam", op, json_pack("{s:s}", key, name), &out)) {
        if (p->e->status != 501) return -1;
        ferr_clear(p->e); /* not implemented: what we set last time is what is there */
        current = json_incref((json_t *)old_desired);
    } else {
        current = json_incref(json_object_get(out, "Tags"));
    }
    json_decref(out);
    json_t *set, *unset;
    prov_tags_diff(current, desired, &set, &unset);
    json_decref(current);
    int rc = 0;
    if (json_array_size(unset)) {
        opname(op, sizeof(op), "Untag%s", kind);
        rc = prov_call(p, "iam", op, json_pack("{s:s, s:O}", key, name, "TagKeys", unset), NULL);
    }
    if (!rc && json_array_size(set)) {
        opname(op, sizeof(op), "Tag%s", kind);
        rc = prov_call(p, "iam", op, json_pack("{s:s, s:O}", key, name, "Tags", set), NULL);
    }
    json_decref(set);
    json_decref(unset);
    return rc;
}

int prov_iam_sync_policies(cfn_pctx *p, const char *kind, const char *name,
                           const json_t *old_props, const json_t *new_props)
{
    return prov_iam_policies(p, kind, name, json_object_get(old_props, "Policies"),
                             json_object_get(new_props, "Policies")) ||
                   prov_iam_attachments(p, kind, name, json_object_get(old_props, "ManagedPolicyArns"),
                                        json_object_get(new_props, "ManagedPolicyArns"))
               ? -1
               : 0;
}

int prov_iam_strip(cfn_pctx *p, const char *kind, const char *name, const json_t *props)
{
    json_t *none = json_pack("{s:[], s:[]}", "Policies", "ManagedPolicyArns");
    int rc = none ? prov_iam_sync_policies(p, kind, name, props, none) : -1;
    json_decref(none);
    return rc;
}
