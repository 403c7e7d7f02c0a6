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
        !(json_is_string(v) &&
          (!strcmp(json_string_value(v), "true") || !strcmp(json_string_value(v), "false"))))
        return prov_invalid(p,
                            "#/LoginProfile/PasswordResetRequired: expected type: Boolean, "
                            "found: %s",
                            json_is_string(v) ? "String" : "Integer");
    return 0;
}

static json_t *login_request(const char *name, const json_t *lp)
{
    json_t *in =
        json_pack("{s:s, s:O}", "UserName", name, "Password", json_object_get(lp, "Password"));
    const json_t *r = json_object_get(lp, "PasswordResetRequired");
    int reset = json_is_true(r) || (json_is_string(r) && !strcmp(json_string_value(r), "true"));
    if (r) in = jdone(in, json_object_set_new(in, "PasswordResetRequired", json_boolean(reset)));
    return in;
}

static const prov_iam_link group_link = {"UserName", "GroupName", "AddUserToGroup",
                                         "RemoveUserFromGroup", 0};

static int groups(cfn_pctx *p, const char *name, const json_t *old_g, const json_t *new_g)
{
    return prov_iam_relink(p, &group_link, name, old_g, new_g);
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

static int login_update(cfn_pctx *p, const char *name, const json_t *old_lp, const json_t *new_lp)
{
    if (prov_same(old_lp, new_lp)) return 0;
    if (!new_lp) return delete_login(p, name);
    return prov_call(p, "iam", old_lp ? "UpdateLoginProfile" : "CreateLoginProfile",
                     login_request(name, new_lp), NULL);
}

/* The login profile and groups from op (NULL: create) to np (NULL: before deletion, which
 * takes the user out of its groups first, as CloudFormation does). */
static int user_links(cfn_pctx *p, const char *name, const json_t *op, const json_t *np)
{
    const json_t *ol = json_object_get(op, "LoginProfile"),
                 *nl = json_object_get(np, "LoginProfile");
    const json_t *og = json_object_get(op, "Groups"), *ng = json_object_get(np, "Groups");
    if (!np) return groups(p, name, og, ng) || login_update(p, name, ol, nl) ? -1 : 0;
    return login_update(p, name, ol, nl) || groups(p, name, og, ng) ? -1 : 0;
}

static const char *const arn_only[] = {"Arn", NULL};
static const char *const copy[] = {"Path", "PermissionsBoundary", NULL};
static const prov_iam_entity user = {
    .kind = "User",
    .name_max = 64,
    .attrs = arn_only,
    .copy = copy,
    .path_in_place = 1,
    .policies = 1,
    .boundary = 1,
    .tagged = 1,
    .links = user_links,
};
static int user_del(cfn_pctx *p, const char *name, const json_t *props);
static const prov_shape shape = PROV_IAM_SHAPE(schema, check_login, user_del, &user);

/* AWS: DeleteUser needs the user out of its groups, without login profile, inline or
 * attached policies first */
static int user_del(cfn_pctx *p, const char *name, const json_t *props)
{
    return prov_iam_delete(&shape, p, name, props);
}

static const char *const replace_on[] = {"UserName", NULL};

const cfn_provider cfn_provider_iam_user = {
    .type = "AWS::IAM::User",
    .shape = &shape,
    .del = user_del,
    .replace_on = replace_on,
    .name_property = "UserName",
    .name_max = 64,
};
