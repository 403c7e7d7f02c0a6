/* IAM roles: create, read, list, update, delete, tags; and the internal interface other
 * parts of ferry use (iam.h). */
#include <stdio.h>
#include <string.h>

#include "base/checked.h"
#include "base/arn.h"
#include "base/clock.h"
#include "auth/lastused.h"
#include "iam_int.h"

#define ROLE_MAX_SESSION_MIN 3600 /* the default; the range is the model's */

int iamsvc_get_role(store_txn *t, const char *account, const char *name, json_t **role, ferr *e)
{
    return iamsvc_fetch(t, &iamsvc_role_t, account, name, role, e);
}

int iamsvc_role_from_arn(const char *arn, char *account, size_t na, char *name, size_t nn)
{
    /* arn:PARTITION:iam::ACCT:role/PATH/NAME */
    const char *a = arn_rest(arn, "iam"), *colon = a && *a == ':' ? strchr(++a, ':') : NULL;
    if (!colon || colon - a != 12 || strncmp(colon + 1, "role/", 5)) return -1;
    const char *slash = strrchr(colon + 1, '/');
    if (!slash[1]) return -1;
    if ((size_t)(colon - a) >= na || strlen(slash + 1) >= nn) return -1;
    snprintf(account, na, "%.*s", (int)(colon - a), a);
    snprintf(name, nn, "%s", slash + 1);
    return 0;
}

static int check_trust(call *c, const char *doc)
{
    return iamsvc_check_doc(c, doc, IAM_KIND_TRUST, IAM_QUOTA_TRUST_POLICY, "ACLSizePerRole");
}

/* Checks a permissions boundary ARN names a managed policy the account can use. */
static int check_boundary(call *c, const char *account, const char *arn)
{
    json_t *pol = NULL;
    int rc = iamsvc_policy_fetch(c->txn, account, arn, &pol, c->err);
    json_decref(pol);
    if (rc < 0) return -1;
    if (rc == 0)
        return ferr_set(c->err, 404, "NoSuchEntity",
                        "Scope ARN: %s does not exist or is not attachable.", arn);
    return 0;
}

static json_t *boundary_doc(const char *arn)
{
    return json_pack("{s:s, s:s}", "PermissionsBoundaryType", "Policy", "PermissionsBoundaryArn",
                     arn);
}

static int create_role(call *c, const char *account, const char *name, const char *path,
                       const char *trust, const char *description, long long max_session,
                       const char *boundary, const json_t *tags, json_t **role)
{
    if (role) *role = NULL;
    if (!path) path = "/";
    if (!max_session) max_session = ROLE_MAX_SESSION_MIN;
    if (check_trust(c, trust) || (tags && iamsvc_check_tags(c, tags, NULL)) ||
        (boundary && check_boundary(c, account, boundary)))
        return -1;
    char id[32];
    iamsvc_new_id("AROA", id);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:f, s:s, s:I, s:[], s:[], s:{}}", "RoleName",
                            name, "RoleId", id, "Arn", iamsvc_arn(c, account, "role", path, name),
                            "Path", path, "CreateDate", (double)(long long)clock_now(),
                            "AssumeRolePolicyDocument", trust, "MaxSessionDuration",
                            (json_int_t)max_session, "Tags", "AttachedPolicies", "InlinePolicies");
    if (!doc) return ferr_oom(c->err);
    if (jset_str(doc, "Description", description) ||
        (boundary && json_object_set_new(doc, "PermissionsBoundary", boundary_doc(boundary))) ||
        (tags && jtags_merge(doc, tags))) {
        json_decref(doc);
        return ferr_oom(c->err);
    }
    if (boundary && iamsvc_refresh_refs(c, account, doc)) {
        json_decref(doc);
        return -1;
    }
    store_key k = {"iam.role", account, IAMSVC_REGION, iamsvc_lower(c->a, name)};
    int rc = store_insert(c->txn, &k, doc, c->err);
    if (rc == 1)
        rc =
            ferr_set(c->err, 409, "EntityAlreadyExists", "Role with name %s already exists.", name);
    if (rc) {
        json_decref(doc);
        return -1;
    }
    call_resource(c, "AWS::IAM::Role", name);
    if (role)
        *role = doc;
    else
        json_decref(doc);
    return 0;
}

int iamsvc_create_role(call *c, const char *account, const char *name, const char *path,
                       const char *trust_policy, const char *description, int max_session,
                       json_t **role)
{
    if (create_role(c, account, name, path, trust_policy, description, max_session, NULL, NULL,
                    role))
        return -1;
    if (iamsvc_bump(c, account)) {
        if (role) json_decref(*role), *role = NULL;
        return -1;
    }
    return 0;
}

int iamsvc_attach_role_policy(call *c, const char *account, const char *role_name,
                              const char *policy_arn)
{
    return iamsvc_attach(c, &iamsvc_role_t, account, role_name, policy_arn) ||
                   iamsvc_bump(c, account)
               ? -1
               : 0;
}

int iamsvc_put_role_policy(call *c, const char *account, const char *role_name,
                           const char *policy_name, const char *document)
{
    return iamsvc_put_inline(c, &iamsvc_role_t, account, role_name, policy_name, document) ||
                   iamsvc_bump(c, account)
               ? -1
               : 0;
}

/* The Role shape as AWS returns it: trust policy URL-encoded; full adds boundary, tags and
 * RoleLastUsed (GetRole), which ListRoles leaves out. */
json_t *iamsvc_role_view(call *c, const json_t *role, int full)
{
    json_t *v = json_pack(
        "{s:O, s:O, s:O, s:O, s:O, s:s, s:O}", "RoleName", json_object_get(role, "RoleName"),
        "RoleId", json_object_get(role, "RoleId"), "Arn", json_object_get(role, "Arn"), "Path",
        json_object_get(role, "Path"), "CreateDate", json_object_get(role, "CreateDate"),
        "AssumeRolePolicyDocument", iamsvc_url(c->a, jstr(role, "AssumeRolePolicyDocument")),
        "MaxSessionDuration", json_object_get(role, "MaxSessionDuration"));
    if (!v) return NULL;
    int rc = jset_str(v, "Description", jstr(role, "Description"));
    if (full) {
        json_t *b = json_object_get(role, "PermissionsBoundary");
        if (b) rc |= json_object_set(v, "PermissionsBoundary", b);
        json_t *tags = json_object_get(role, "Tags");
        if (json_array_size(tags)) rc |= json_object_set(v, "Tags", tags);
        rc |= json_object_set_new(v, "RoleLastUsed", json_object());
    }
    return jdone(v, rc);
}

static int load_role(call *c, const char *action, const char *name, json_t **role)
{
    return iamsvc_load_auth(c, &iamsvc_role_t, action, name, role);
}

int iam_op_create_role(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "RoleName"), *path = jstr(in, "Path");
    const char *boundary = jstr(in, "PermissionsBoundary");
    const char *arn = iamsvc_arn(c, c->account, "role", path, name);
    if (boundary
            ? iamsvc_authorize_ctx(c, "iam:CreateRole", arn, "iam:PermissionsBoundary", boundary)
            : iamsvc_authorize(c, "iam:CreateRole", arn))
        return -1;
    json_t *role;
    if (create_role(c, c->account, name, path, jstr(in, "AssumeRolePolicyDocument"),
                    jstr(in, "Description"), jint(in, "MaxSessionDuration", 0), boundary,
                    json_object_get(in, "Tags"), &role))
        return -1;
    *out = svc_out(c, json_pack("{s:o}", "Role", iamsvc_role_view(c, role, 1)));
    json_object_del(json_object_get(*out, "Role"), "RoleLastUsed");
    json_decref(role);
    return 0;
}

int iam_op_get_role(call *c, json_t *in, json_t **out)
{
    json_t *role;
    if (load_role(c, "iam:GetRole", jstr(in, "RoleName"), &role)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "Role", iamsvc_role_view(c, role, 1)));
    json_decref(role);
    return 0;
}

int iam_op_list_roles(call *c, json_t *in, json_t **out)
{
    if (iamsvc_authorize(c, "iam:ListRoles", "*")) return -1;
    json_t *all = iamsvc_list_all(c, "iam.role", c->account);
    if (!all) return -1;
    if (iamsvc_filter_path(c, all, jstr(in, "PathPrefix"))) {
        json_decref(all);
        return -1;
    }
    json_t *views = json_array();
    size_t i;
    json_t *r;
    int rc = 0;
    json_array_foreach(all, i, r) rc |= json_array_append_new(views, iamsvc_role_view(c, r, 0));
    json_decref(all);
    *out = svc_out(c, json_object());
    rc = rc ? ferr_oom(c->err) : iamsvc_page(c, views, in, *out, "Roles");
    json_decref(views);
    return rc;
}

int iam_op_delete_role(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *role;
    const char *name = jstr(in, "RoleName");
    if (load_role(c, "iam:DeleteRole", name, &role)) return -1;
    int rc = -1;
    if (iamsvc_is_service_linked(role)) {
        ferr_set(c->err, 400, "UnmodifiableEntity",
                 "Cannot perform the operation on the protected role '%s' - this role is only "
                 "modifiable by AWS",
                 jstr(role, "RoleName"));
        goto out;
    }
    /* AWS: a role must be bare before it is deleted */
    if (json_array_size(json_object_get(role, "AttachedPolicies"))) {
        ferr_set(c->err, 409, "DeleteConflict",
                 "Cannot delete entity, must detach all policies first.");
        goto out;
    }
    if (json_object_size(json_object_get(role, "InlinePolicies"))) {
        ferr_set(c->err, 409, "DeleteConflict",
                 "Cannot delete entity, must delete policies first.");
        goto out;
    }
    json_t *profiles = iamsvc_profiles_for_role(c, c->account, jstr(role, "RoleName"));
    if (!profiles) goto out;
    size_t np = json_array_size(profiles);
    json_decref(profiles);
    if (np) {
        ferr_set(c->err, 409, "DeleteConflict",
                 "Cannot delete entity, must remove roles from instance profile first.");
        goto out;
    }
    store_key k = {"iam.role", c->account, IAMSVC_REGION, iamsvc_lower(c->a, name)};
    if (store_del(c->txn, &k, c->err) < 0 ||
        lastused_forget_actions(c->txn, c->account, jstr(role, "Arn"), c->err))
        goto out;
    call_resource(c, "AWS::IAM::Role", jstr(role, "RoleName"));
    rc = 0;
out:
    json_decref(role);
    return rc;
}

static int save_role(call *c, const json_t *role)
{
    call_resource(c, "AWS::IAM::Role", jstr(role, "RoleName"));
    return iamsvc_save(c, &iamsvc_role_t, c->account, role);
}

int iam_op_update_role(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *role, *msd = json_object_get(in, "MaxSessionDuration");
    const char *desc = jstr(in, "Description");
    if (load_role(c, "iam:UpdateRole", jstr(in, "RoleName"), &role)) return -1;
    int rc;
    if ((msd && json_object_set(role, "MaxSessionDuration", msd)) ||
        jset_str(role, "Description", desc))
        rc = ferr_oom(c->err);
    else
        rc = save_role(c, role);
    json_decref(role);
    return rc;
}

int iam_op_update_role_description(call *c, json_t *in, json_t **out)
{
    json_t *role;
    const char *desc = jstr(in, "Description");
    if (load_role(c, "iam:UpdateRoleDescription", jstr(in, "RoleName"), &role)) return -1;
    int rc = jset_str(role, "Description", desc) ? ferr_oom(c->err) : save_role(c, role);
    if (!rc) *out = svc_out(c, json_pack("{s:o}", "Role", iamsvc_role_view(c, role, 1)));
    json_decref(role);
    return rc;
}

int iam_op_update_assume_role_policy(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *role;
    const char *doc = jstr(in, "PolicyDocument");
    if (load_role(c, "iam:UpdateAssumeRolePolicy", jstr(in, "RoleName"), &role)) return -1;
    int rc = check_trust(c, doc);
    if (!rc)
        rc =
            jset_str(role, "AssumeRolePolicyDocument", doc) ? ferr_oom(c->err) : save_role(c, role);
    json_decref(role);
    return rc;
}

int iam_op_tag_role(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (load_role(c, "iam:TagRole", jstr(in, "RoleName"), &doc)) return -1;
    return iamsvc_tags_op(c, IAMSVC_TAG, doc, in, out, save_role);
}

int iam_op_untag_role(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (load_role(c, "iam:UntagRole", jstr(in, "RoleName"), &doc)) return -1;
    return iamsvc_tags_op(c, IAMSVC_UNTAG, doc, in, out, save_role);
}

int iam_op_list_role_tags(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (load_role(c, "iam:ListRoleTags", jstr(in, "RoleName"), &doc)) return -1;
    return iamsvc_tags_op(c, IAMSVC_LIST_TAGS, doc, in, out, NULL);
}
