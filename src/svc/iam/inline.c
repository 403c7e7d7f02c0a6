/* Inline policies of users, groups and roles: stored in the entity document under
 * "InlinePolicies" {name: JSON text}. */
#include <stdlib.h>
#include <string.h>

#include "iam_int.h"

/* AWS: the aggregate size of an entity's inline policies is limited (2048 user, 5120 group,
 * 10240 role characters, whitespace not counted). */
static int check_aggregate(call *c, const iamsvc_etype *et, const json_t *ent, const char *name,
                           const char *doc)
{
    size_t total = iam_policy_size(doc, strlen(doc));
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(ent, "InlinePolicies"), k, v)
        if (strcmp(k, name)) total += iam_policy_size(json_string_value(v), json_string_length(v));
    if (total > et->inline_quota)
        return ferr_set(c->err, 409, "LimitExceeded",
                        "Maximum policy size of %zu bytes exceeded for %s %s", et->inline_quota,
                        et->noun, jstr(ent, et->name_key));
    return 0;
}

static int put_doc(call *c, const iamsvc_etype *et, const char *account, json_t *ent,
                   const char *policy_name, const char *document)
{
    if (iamsvc_check_doc(c, document, IAM_KIND_IDENTITY, 0, NULL) ||
        check_aggregate(c, et, ent, policy_name, document))
        return -1;
    json_t *pols = json_object_get(ent, "InlinePolicies");
    if (!json_is_object(pols)) {
        pols = json_object();
        if (json_object_set_new(ent, "InlinePolicies", pols)) return ferr_oom(c->err);
    }
    if (json_object_set_new(pols, policy_name, json_string(document))) return ferr_oom(c->err);
    call_resource(c, et->cfn_type, jstr(ent, et->name_key));
    return iamsvc_save(c, et, account, ent);
}

int iamsvc_put_inline(call *c, const iamsvc_etype *et, const char *account, const char *name,
                      const char *policy_name, const char *document)
{
    json_t *ent = NULL;
    if (iamsvc_load_in(c, et, account, name, &ent)) return -1;
    int rc = put_doc(c, et, account, ent, policy_name, document);
    json_decref(ent);
    return rc;
}

static int op_put(call *c, const iamsvc_etype *et, const char *action, json_t *in)
{
    json_t *ent;
    if (iamsvc_load_auth(c, et, action, jstr(in, et->name_key), &ent)) return -1;
    int rc = put_doc(c, et, c->account, ent, jstr(in, "PolicyName"), jstr(in, "PolicyDocument"));
    json_decref(ent);
    return rc;
}

static int no_policy(call *c, const iamsvc_etype *et, const char *name)
{
    return ferr_set(c->err, 404, "NoSuchEntity", "The %s policy with name %s cannot be found.",
                    et->noun, name ? name : "");
}

static int op_get(call *c, const iamsvc_etype *et, const char *action, json_t *in, json_t **out)
{
    json_t *ent;
    const char *pname = jstr(in, "PolicyName");
    if (iamsvc_load_auth(c, et, action, jstr(in, et->name_key), &ent)) return -1;
    const char *doc = jstr(json_object_get(ent, "InlinePolicies"), pname ? pname : "");
    int rc = doc ? 0 : no_policy(c, et, pname);
    if (!rc)
        *out = svc_out(c, json_pack("{s:O, s:s, s:s}", et->name_key,
                                    json_object_get(ent, et->name_key), "PolicyName", pname,
                                    "PolicyDocument", iamsvc_url(c->a, doc)));
    json_decref(ent);
    return rc;
}

static int op_delete(call *c, const iamsvc_etype *et, const char *action, json_t *in)
{
    json_t *ent;
    const char *pname = jstr(in, "PolicyName");
    if (iamsvc_load_auth(c, et, action, jstr(in, et->name_key), &ent)) return -1;
    json_t *pols = json_object_get(ent, "InlinePolicies");
    int rc;
    if (!pname || !json_object_get(pols, pname)) {
        rc = no_policy(c, et, pname);
    } else {
        json_object_del(pols, pname);
        call_resource(c, et->cfn_type, jstr(ent, et->name_key));
        rc = iamsvc_save(c, et, c->account, ent);
    }
    json_decref(ent);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int op_list(call *c, const iamsvc_etype *et, const char *action, json_t *in, json_t **out)
{
    json_t *ent;
    if (iamsvc_load_auth(c, et, action, jstr(in, et->name_key), &ent)) return -1;
    json_t *pols = json_object_get(ent, "InlinePolicies");
    size_t n = json_object_size(pols), i = 0;
    const char **names = arena_alloc(c->a, (n ? n : 1) * sizeof(*names));
    const char *k;
    json_t *v;
    json_object_foreach(pols, k, v) names[i++] = k;
    qsort(names, n, sizeof(*names), cmp_str);
    json_t *all = json_array();
    int rc = 0;
    for (i = 0; i < n; i++) rc |= json_array_append_new(all, json_string(names[i]));
    *out = svc_out(c, json_object());
    rc = rc ? ferr_oom(c->err) : iamsvc_page(c, all, in, *out, "PolicyNames");
    json_decref(all);
    json_decref(ent);
    return rc;
}

#define OPS(lower, et, Noun) \
    int iam_op_put_##lower##_policy(call *c, json_t *in, json_t **out) \
    { \
        (void)out; \
        return op_put(c, &et, "iam:Put" Noun "Policy", in); \
    } \
    int iam_op_get_##lower##_policy(call *c, json_t *in, json_t **out) \
    { \
        return op_get(c, &et, "iam:Get" Noun "Policy", in, out); \
    } \
    int iam_op_delete_##lower##_policy(call *c, json_t *in, json_t **out) \
    { \
        (void)out; \
        return op_delete(c, &et, "iam:Delete" Noun "Policy", in); \
    } \
    int iam_op_list_##lower##_policies(call *c, json_t *in, json_t **out) \
    { \
        return op_list(c, &et, "iam:List" Noun "Policies", in, out); \
    }

OPS(user, iamsvc_user_t, "User")
OPS(group, iamsvc_group_t, "Group")
OPS(role, iamsvc_role_t, "Role")
