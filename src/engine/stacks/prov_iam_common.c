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
        int rc = prov_call(
            p, "iam", op,
            json_pack("{s:s, s:s, s:s}", key, name, "PolicyName", pn, "PolicyDocument", doc), NULL);
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

const prov_iam_target prov_iam_targets[PROV_IAM_NTARGETS] = {
    {"Roles", "Role"}, {"Users", "User"}, {"Groups", "Group"}};

static int link_each(cfn_pctx *p, const prov_iam_link *l, const char *name, const json_t *items,
                     int add)
{
    size_t i;
    json_t *x;
    json_array_foreach(items, i, x) {
        json_t *in = json_pack("{s:s, s:O}", l->key, name, l->item_key, x);
        if (add ? prov_call(p, "iam", l->add_op, in, NULL)
                : prov_call_gone_ok(p, NULL, "iam", l->drop_op, in))
            return -1;
    }
    return 0;
}

int prov_iam_relink(cfn_pctx *p, const prov_iam_link *l, const char *name, const json_t *old_list,
                    const json_t *new_list)
{
    json_t *add = prov_strlist_minus(new_list, old_list);
    json_t *drop = prov_strlist_minus(old_list, new_list);
    int first = !l->drop_first, rc = -1;
    if (add && drop)
        rc = link_each(p, l, name, first ? add : drop, first) ||
                     link_each(p, l, name, first ? drop : add, !first)
                 ? -1
                 : 0;
    else
        ferr_oom(p->e);
    json_decref(add);
    json_decref(drop);
    return rc;
}

int prov_iam_attachments(cfn_pctx *p, const char *kind, const char *name, const json_t *old_arns,
                         const json_t *new_arns)
{
    prov_iam_link l = {NULL, "PolicyArn", NULL, NULL, 0};
    char key[32], add[64], drop[64];
    snprintf(key, sizeof(key), "%sName", kind);
    opname(add, sizeof(add), "Attach%sPolicy", kind);
    opname(drop, sizeof(drop), "Detach%sPolicy", kind);
    l.key = key;
    l.add_op = add;
    l.drop_op = drop;
    /* attach before detaching, so an update never leaves the identity with less than
     * either version grants */
    return prov_iam_relink(p, &l, name, old_arns, new_arns);
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
    int rc = prov_tags_diff(current, desired, &set, &unset) ? ferr_oom(p->e) : 0;
    json_decref(current);
    if (!rc && json_array_size(unset)) {
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

int prov_iam_sync_policies(cfn_pctx *p, const char *kind, const char *name, const json_t *old_props,
                           const json_t *new_props)
{
    return prov_iam_policies(p, kind, name, json_object_get(old_props, "Policies"),
                             json_object_get(new_props, "Policies")) ||
                   prov_iam_attachments(p, kind, name,
                                        json_object_get(old_props, "ManagedPolicyArns"),
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

/* ---- entities ----------------------------------------------------------------------------- */

static const prov_iam_entity *entity_of(const prov_shape *s)
{
    return s->data;
}

/* The attributes from a reply holding the entity under its kind ({"Role": {...}}). */
static int attrs_of(const prov_iam_entity *k, cfn_pctx *p, const json_t *reply, json_t **attrs)
{
    const json_t *ent = json_object_get(reply, k->kind);
    json_t *a = json_object();
    for (const char *const *f = k->attrs; a && *f; f++) {
        const char *v = jstr(ent, *f);
        if (!v) {
            json_decref(a);
            return ferr_internal(p->e, "IAM returned a %s without %s", k->kind, *f);
        }
        if (json_object_set_new(a, *f, json_string(v))) {
            json_decref(a);
            a = NULL;
        }
    }
    *attrs = a;
    return a ? 0 : ferr_oom(p->e);
}

int prov_iam_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **name, json_t **attrs)
{
    const prov_iam_entity *k = entity_of(s);
    char op[64], key[40];
    snprintf(key, sizeof(key), "%sName", k->kind);
    opname(op, sizeof(op), "Create%s", k->kind);
    char *n = prov_name(p, pr, key, k->name_max, 0);
    json_t *in = n ? json_pack("{s:s}", key, n) : NULL, *out = NULL, *tags = NULL;
    for (const char *const *c = k->copy; in && c && *c; c++) {
        json_t *v = json_object_get(pr, *c);
        if (v && json_object_set(in, *c, v)) goto oom;
    }
    if (in && k->tagged) {
        tags = prov_tags(p, json_object_get(pr, "Tags"), 0);
        if (!tags || (json_array_size(tags) && json_object_set(in, "Tags", tags))) goto oom;
    }
    if (!in || (k->request && k->request(p, pr, in))) goto oom;
    json_decref(tags);
    if (cfn_intent(p, n)) {
        json_decref(in);
        free(n);
        return -1;
    }
    if (prov_call(p, "iam", op, in, &out)) {
        free(n);
        return -1;
    }
    /* a reply without the attributes leaves them to be read (and the entity undone when
     * they cannot be) */
    if (attrs_of(k, p, out, attrs)) ferr_clear(p->e);
    json_decref(out);
    *name = n;
    return 0;
oom:
    json_decref(in);
    json_decref(tags);
    free(n);
    return ferr_oom(p->e);
}

/* What creation and updates share after Path: links, boundary, policies, tags. */
static int sync(const prov_iam_entity *k, cfn_pctx *p, const char *name, const json_t *op,
                const json_t *np)
{
    if (k->links && k->links(p, name, op, np)) return -1;
    if (k->boundary && op &&
        prov_iam_boundary(p, k->kind, name, jstr(op, "PermissionsBoundary"),
                          jstr(np, "PermissionsBoundary")))
        return -1;
    if (k->policies && prov_iam_sync_policies(p, k->kind, name, op, np)) return -1;
    if (!k->tagged || !op) return 0;
    json_t *old_tags = prov_tags(p, json_object_get(op, "Tags"), 0);
    json_t *new_tags = prov_tags(p, json_object_get(np, "Tags"), 0);
    int rc =
        old_tags && new_tags ? prov_iam_tags(p, k->kind, name, old_tags, new_tags) : ferr_oom(p->e);
    json_decref(old_tags);
    json_decref(new_tags);
    return rc;
}

int prov_iam_finish(const prov_shape *s, cfn_pctx *p, const char *name, const json_t *pr)
{
    return sync(entity_of(s), p, name, NULL, pr);
}

int prov_iam_change(const prov_shape *s, cfn_pctx *p, const char *name, const json_t *op,
                    const json_t *np)
{
    const prov_iam_entity *k = entity_of(s);
    const char *opath = jstr(op, "Path"), *npath = jstr(np, "Path");
    if (k->path_in_place && strcmp(opath ? opath : "/", npath ? npath : "/")) {
        char upd[64], key[40];
        snprintf(key, sizeof(key), "%sName", k->kind);
        opname(upd, sizeof(upd), "Update%s", k->kind);
        if (prov_call(p, "iam", upd,
                      json_pack("{s:s, s:s}", key, name, "NewPath", npath ? npath : "/"), NULL))
            return -1;
    }
    return sync(k, p, name, op, np);
}

int prov_iam_attrs(const prov_shape *s, cfn_pctx *p, const char *name, json_t **attrs)
{
    const prov_iam_entity *k = entity_of(s);
    char op[64], key[40];
    snprintf(key, sizeof(key), "%sName", k->kind);
    opname(op, sizeof(op), "Get%s", k->kind);
    json_t *out = NULL;
    int rc =
        prov_call(p, "iam", op, json_pack("{s:s}", key, name), &out) || attrs_of(k, p, out, attrs);
    json_decref(out);
    return rc ? -1 : 0;
}

int prov_iam_delete(const prov_shape *s, cfn_pctx *p, const char *name, const json_t *props)
{
    const prov_iam_entity *k = entity_of(s);
    char op[64], key[40];
    snprintf(key, sizeof(key), "%sName", k->kind);
    opname(op, sizeof(op), "Delete%s", k->kind);
    json_t *pr = prov_props_old(p, props, s->schema);
    int rc = (k->links && k->links(p, name, pr, NULL)) ||
             (k->policies && prov_iam_strip(p, k->kind, name, pr)) ||
             prov_call_gone_ok(p, NULL, "iam", op, json_pack("{s:s}", key, name));
    json_decref(pr);
    return rc ? -1 : 0;
}
