/* AWS::IAM::User. Ref = UserName; GetAtt Arn. UserName replaces; Path (UpdateUser), groups,
 * login profile, boundary, inline and managed policies and tags change in place. Tags:
 * the stack's and the resource's (AWS adds no aws:cloudformation:* tags to users). */
#include <stdlib.h>
#include <string.h>

#include "prov_iam.h"

static const prov_prop schema[] = {
    {"Groups", PT_STRLIST, 0},
    {"LoginProfile", PT_OBJECT, 0},
    {"ManagedPolicyArns", PT_STRLIST, 0},
    {"Path", PT_STR, 0},
    {"PermissionsBoundary", PT_STR, 0},
    {"Policies", PT_POLICIES, 0},
    {"Tags", PT_TAGS, 0},
    {"UserName", PT_STR, 0},
    {NULL, 0, 0},
};

/* LoginProfile: {Password (required), PasswordResetRequired}. */
static int check_login(cfn_pctx *p, const json_t *pr)
{
    const json_t *lp = json_object_get(pr, "LoginProfile");
    if (!lp) return 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)lp, k, v) {
        if (strcmp(k, "Password") && strcmp(k, "PasswordResetRequired"))
            return prov_invalid(p, "#/LoginProfile: extraneous key [%s] is not permitted", k);
    }
    if (!json_is_string(json_object_get(lp, "Password")))
        return prov_invalid(p, "#/LoginProfile: required key [Password] not found");
    v = json_object_get(lp, "PasswordResetRequired");
    if (v && !json_is_boolean(v) &&
        !(json_is_string(v) && (!strcmp(json_string_value(v), "true") ||
                                !strcmp(json_string_value(v), "false"))))
        return prov_invalid(p, "#/LoginProfile/PasswordResetRequired: expected type: Boolean, "
                               "found: %s", json_is_string(v) ? "String" : "Integer");
    return 0;
}

static json_t *login_request(const char *name, const json_t *lp)
{
    json_t *in = json_pack("{s:s, s:O}", "UserName", name, "Password",
                           json_object_get(lp, "Password"));
    const json_t *r = json_object_get(lp, "PasswordResetRequired");
    int reset = json_is_true(r) || (json_is_string(r) && !strcmp(json_string_value(r), "true"));
    if (in && r) json_object_set_new(in, "PasswordResetRequired", json_boolean(reset));
    return in;
}

static int groups(cfn_pctx *p, const char *name, const json_t *old_g, const json_t *new_g)
{
    json_t *add = prov_strlist_minus(new_g, old_g), *drop = prov_strlist_minus(old_g, new_g);
    int rc = -1;
    size_t i;
    json_t *x;
    json_array_foreach(add, i, x) {
        if (prov_call(p, "iam", "AddUserToGroup",
                      json_pack("{s:O, s:s}", "GroupName", x, "UserName", name), NULL))
            goto out;
    }
    json_array_foreach(drop, i, x) {
        if (prov_call_gone_ok(p, NULL, "iam", "RemoveUserFromGroup",
                              json_pack("{s:O, s:s}", "GroupName", x, "UserName", name)))
            goto out;
    }
    rc = 0;
out:
    json_decref(add);
    json_decref(drop);
    return rc;
}

static int attrs_of(cfn_pctx *p, const json_t *user, json_t **attrs)
{
    const char *arn = jstr(user, "Arn");
    if (!arn) return ferr_internal(p->e, "IAM returned a user without Arn");
    *attrs = json_pack("{s:s}", "Arn", arn);
    return *attrs ? 0 : ferr_oom(p->e);
}

static int delete_login(cfn_pctx *p, const char *name)
{
    if (!prov_call_gone_ok(p, NULL, "iam", "DeleteLoginProfile",
                           json_pack("{s:s}", "UserName", name)))
        return 0;
    if (p->e->status != 501) return -1;
    ferr_clear(p->e); /* an IAM without login profiles has none to delete */
    return 0;
}

static int user_del(cfn_pctx *p, const char *name, const json_t *props)
{
    json_t *pr = prov_props_old(p, props, schema), *none = json_array();
    /* AWS: DeleteUser needs the user out of its groups, without login profile, inline or
     * attached policies first */
    int rc = groups(p, name, json_object_get(pr, "Groups"), none) ||
             (json_object_get(pr, "LoginProfile") && delete_login(p, name)) ||
             prov_iam_strip(p, "User", name, pr) ||
             prov_call_gone_ok(p, NULL, "iam", "DeleteUser", json_pack("{s:s}", "UserName", name));
    json_decref(none);
    json_decref(pr);
    return rc ? -1 : 0;
}

static int user_create(cfn_pctx *p, const json_t *props, json_t **result)
{
    json_t *pr, *out = NULL, *attrs = NULL, *tags = NULL;
    if (prov_props(p, props, schema, &pr)) return -1;
    int rc = -1;
    char *name = NULL;
    if (check_login(p, pr)) goto out;
    if (!(name = prov_name(p, pr, "UserName", 64, 0))) {
        ferr_oom(p->e);
        goto out;
    }
    json_t *in = json_pack("{s:s}", "UserName", name);
    if (in && jstr(pr, "Path")) json_object_set(in, "Path", json_object_get(pr, "Path"));
    if (in && jstr(pr, "PermissionsBoundary"))
        json_object_set(in, "PermissionsBoundary", json_object_get(pr, "PermissionsBoundary"));
    tags = prov_tags(p, json_object_get(pr, "Tags"), 0);
    if (in && json_array_size(tags)) json_object_set(in, "Tags", tags);
    if (prov_call(p, "iam", "CreateUser", in, &out)) goto out;
    const json_t *lp = json_object_get(pr, "LoginProfile");
    if (attrs_of(p, json_object_get(out, "User"), &attrs) ||
        (lp && prov_call(p, "iam", "CreateLoginProfile", login_request(name, lp), NULL)) ||
        groups(p, name, NULL, json_object_get(pr, "Groups")) ||
        prov_iam_sync_policies(p, "User", name, NULL, pr)) {
        prov_undo(p, user_del, name, pr);
        goto out;
    }
    *result = prov_result(name, attrs);
    attrs = NULL;
    rc = 0;
out:
    json_decref(attrs);
    json_decref(out);
    json_decref(tags);
    json_decref(pr);
    free(name);
    return rc;
}

static int login_update(cfn_pctx *p, const char *name, const json_t *old_lp, const json_t *new_lp)
{
    if (prov_same(old_lp, new_lp)) return 0;
    if (!new_lp) return delete_login(p, name);
    return prov_call(p, "iam", old_lp ? "UpdateLoginProfile" : "CreateLoginProfile",
                     login_request(name, new_lp), NULL);
}

static int user_update(cfn_pctx *p, const char *name, const json_t *old_props,
                       const json_t *new_props, json_t **result)
{
    json_t *op = prov_props_old(p, old_props, schema), *np = NULL, *out = NULL;
    json_t *attrs = NULL, *old_tags = NULL, *new_tags = NULL;
    int rc = -1;
    if (prov_props(p, new_props, schema, &np) || check_login(p, np)) goto out;
    const char *opath = jstr(op, "Path"), *npath = jstr(np, "Path");
    if (strcmp(opath ? opath : "/", npath ? npath : "/") &&
        prov_call(p, "iam", "UpdateUser",
                  json_pack("{s:s, s:s}", "UserName", name, "NewPath", npath ? npath : "/"), NULL))
        goto out;
    old_tags = prov_tags(p, json_object_get(op, "Tags"), 0);
    new_tags = prov_tags(p, json_object_get(np, "Tags"), 0);
    if (login_update(p, name, json_object_get(op, "LoginProfile"),
                     json_object_get(np, "LoginProfile")) ||
        groups(p, name, json_object_get(op, "Groups"), json_object_get(np, "Groups")) ||
        prov_iam_boundary(p, "User", name, jstr(op, "PermissionsBoundary"),
                          jstr(np, "PermissionsBoundary")) ||
        prov_iam_sync_policies(p, "User", name, op, np) ||
        prov_iam_tags(p, "User", name, old_tags, new_tags))
        goto out;
    if (prov_call(p, "iam", "GetUser", json_pack("{s:s}", "UserName", name), &out) ||
        attrs_of(p, json_object_get(out, "User"), &attrs))
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

static const char *const replace_on[] = {"UserName", NULL};

const cfn_provider cfn_provider_iam_user = {
    .type = "AWS::IAM::User",
    .create = user_create,
    .update = user_update,
    .del = user_del,
    .replace_on = replace_on,
    .name_property = "UserName",
    .name_max = 64,
};
