/* Managed policies on users, groups and roles: attach, detach, list; permissions
 * boundaries of users and roles. */
#include <string.h>

#include "iam_int.h"

static int op_attach(call *c, const iamsvc_etype *et, const char *action, json_t *in, int detach)
{
    json_t *ent;
    const char *arn = jstr(in, "PolicyArn");
    const char *name = jstr(in, et->name_key);
    /* AWS: the request is authorized on the entity, with iam:PolicyARN in the context */
    int rc = iamsvc_fetch(c->txn, et, c->account, name ? name : "", &ent, c->err);
    if (rc < 0) return -1;
    const char *earn = rc ? jstr(ent, "Arn") : iamsvc_arn(c, c->account, et->noun, "/", name);
    rc = iamsvc_authorize_ctx(c, action, earn, "iam:PolicyARN", arn);
    json_decref(ent);
    if (rc) return -1;
    return detach ? iamsvc_detach(c, et, c->account, name, arn)
                  : iamsvc_attach(c, et, c->account, name, arn);
}

static int op_list_attached(call *c, const iamsvc_etype *et, const char *action, json_t *in,
                            json_t **out)
{
    json_t *ent;
    if (iamsvc_load_auth(c, et, action, jstr(in, et->name_key), &ent)) return -1;
    const char *prefix = jstr(in, "PathPrefix");
    json_t *all = json_array();
    size_t i;
    json_t *a;
    int rc = all ? 0 : -1;
    json_array_foreach(json_object_get(ent, "AttachedPolicies"), i, a) {
        const char *arn = json_string_value(a);
        /* arn:aws:iam::ACCT:policy/PATH/NAME: the path is between "policy" and the name */
        const char *res = strstr(arn, ":policy/"), *slash = strrchr(arn, '/');
        if (!res || !slash) continue;
        const char *path = arena_strndup(c->a, res + 7, (size_t)(slash + 1 - (res + 7)));
        if (prefix && strncmp(path, prefix, strlen(prefix))) continue;
        rc |= json_array_append_new(
            all, json_pack("{s:s, s:s}", "PolicyName", slash + 1, "PolicyArn", arn));
    }
    if (rc)
        rc = ferr_oom(c->err);
    else if (prefix) {
        json_t *probe = json_array(); /* validates the prefix as AWS does */
        rc = iamsvc_filter_path(c, probe, prefix);
        json_decref(probe);
    }
    if (!rc) {
        *out = svc_out(c, json_object());
        rc = iamsvc_page(c, all, in, *out, "AttachedPolicies");
    }
    json_decref(all);
    json_decref(ent);
    return rc;
}

#define OPS(lower, et, Noun) \
    int iam_op_attach_##lower##_policy(call *c, json_t *in, json_t **out) \
    { \
        (void)out; \
        return op_attach(c, &et, "iam:Attach" Noun "Policy", in, 0); \
    } \
    int iam_op_detach_##lower##_policy(call *c, json_t *in, json_t **out) \
    { \
        (void)out; \
        return op_attach(c, &et, "iam:Detach" Noun "Policy", in, 1); \
    } \
    int iam_op_list_attached_##lower##_policies(call *c, json_t *in, json_t **out) \
    { \
        return op_list_attached(c, &et, "iam:ListAttached" Noun "Policies", in, out); \
    }

OPS(user, iamsvc_user_t, "User")
OPS(group, iamsvc_group_t, "Group")
OPS(role, iamsvc_role_t, "Role")

static int op_boundary(call *c, const iamsvc_etype *et, const char *action, json_t *in, int del)
{
    json_t *ent;
    const char *name = jstr(in, et->name_key), *arn = jstr(in, "PermissionsBoundary");
    int rc = iamsvc_fetch(c->txn, et, c->account, name ? name : "", &ent, c->err);
    if (rc < 0) return -1;
    const char *earn = rc ? jstr(ent, "Arn") : iamsvc_arn(c, c->account, et->noun, "/", name);
    const char *cur = jstr(json_object_get(ent, "PermissionsBoundary"), "PermissionsBoundaryArn");
    int arc = del ? (cur ? iamsvc_authorize_ctx(c, action, earn, "iam:PermissionsBoundary", cur)
                         : iamsvc_authorize(c, action, earn))
                  : iamsvc_authorize_ctx(c, action, earn, "iam:PermissionsBoundary", arn);
    if (arc) goto fail;
    if (!rc) {
        iamsvc_no_such(c, et, name);
        goto fail;
    }
    if (del) {
        json_object_del(ent, "PermissionsBoundary");
    } else {
        json_t *pol = NULL;
        if (!arn || strncmp(arn, "arn:", 4)) {
            ferr_set(c->err, 400, "InvalidInput", "ARN %s is not valid.", arn ? arn : "");
            goto fail;
        }
        rc = iamsvc_policy_fetch(c->txn, c->account, arn, &pol, c->err);
        json_decref(pol);
        if (rc < 0) goto fail;
        if (rc == 0) {
            ferr_set(c->err, 404, "NoSuchEntity",
                     "Scope ARN: %s does not exist or is not attachable.", arn);
            goto fail;
        }
        if (json_object_set_new(ent, "PermissionsBoundary",
                                json_pack("{s:s, s:s}", "PermissionsBoundaryType", "Policy",
                                          "PermissionsBoundaryArn", arn))) {
            ferr_oom(c->err);
            goto fail;
        }
    }
    call_resource(c, et->cfn_type, name);
    rc = iamsvc_refresh_refs(c, c->account, ent) || iamsvc_save(c, et, c->account, ent) ? -1 : 0;
    json_decref(ent);
    return rc;
fail:
    json_decref(ent);
    return -1;
}

int iam_op_put_user_permissions_boundary(call *c, json_t *in, json_t **out)
{
    (void)out;
    return op_boundary(c, &iamsvc_user_t, "iam:PutUserPermissionsBoundary", in, 0);
}

int iam_op_put_role_permissions_boundary(call *c, json_t *in, json_t **out)
{
    (void)out;
    return op_boundary(c, &iamsvc_role_t, "iam:PutRolePermissionsBoundary", in, 0);
}

int iam_op_delete_user_permissions_boundary(call *c, json_t *in, json_t **out)
{
    (void)out;
    return op_boundary(c, &iamsvc_user_t, "iam:DeleteUserPermissionsBoundary", in, 1);
}

int iam_op_delete_role_permissions_boundary(call *c, json_t *in, json_t **out)
{
    (void)out;
    return op_boundary(c, &iamsvc_role_t, "iam:DeleteRolePermissionsBoundary", in, 1);
}
