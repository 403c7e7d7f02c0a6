/* IAM users and their access keys. A user document lists its groups ("Groups", names) and
 * access key ids ("AccessKeys"); the keys are kind "accesskey" documents (auth/keys.h),
 * whose "Status" the gateway reads on every request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/keys.h"
#include "auth/lastused.h"
#include "base/checked.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "iam_int.h"

#define KEYS_PER_USER 2

static int load_user(call *c, const char *action, const char *name, json_t **user)
{
    return iamsvc_load_auth(c, &iamsvc_user_t, action, name, user);
}

static int save_user(call *c, const json_t *user)
{
    call_resource(c, "AWS::IAM::User", jstr(user, "UserName"));
    return iamsvc_save(c, &iamsvc_user_t, c->account, user);
}

/* The User shape; full adds tags and the boundary (GetUser, CreateUser). */
static json_t *user_view(const json_t *u, int full)
{
    json_t *v =
        json_pack("{s:O, s:O, s:O, s:O, s:O}", "UserName", json_object_get(u, "UserName"), "UserId",
                  json_object_get(u, "UserId"), "Arn", json_object_get(u, "Arn"), "Path",
                  json_object_get(u, "Path"), "CreateDate", json_object_get(u, "CreateDate"));
    if (v && full) {
        json_t *b = json_object_get(u, "PermissionsBoundary"), *tags = json_object_get(u, "Tags");
        int rc = b ? json_object_set(v, "PermissionsBoundary", b) : 0;
        if (json_array_size(tags)) rc |= json_object_set(v, "Tags", tags);
        return jdone(v, rc);
    }
    return v;
}

/* AWS: without UserName, user operations act on the calling IAM user. */
int iamsvc_user_name(call *c, const json_t *in, const char **name)
{
    *name = jstr(in, "UserName");
    if (*name) return 0;
    if (c->who->kind == PRIN_USER) {
        *name = c->who->name;
        return 0;
    }
    return ferr_validation(c->err, "Must specify userName when calling with non-User credentials");
}

int iam_op_create_user(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "UserName"), *path = jstr(in, "Path");
    const char *boundary = jstr(in, "PermissionsBoundary");
    json_t *tags = json_object_get(in, "Tags");
    if (!path) path = "/";
    const char *arn = iamsvc_arn(c, c->account, "user", path, name);
    if (boundary
            ? iamsvc_authorize_ctx(c, "iam:CreateUser", arn, "iam:PermissionsBoundary", boundary)
            : iamsvc_authorize(c, "iam:CreateUser", arn))
        return -1;
    if (tags && iamsvc_check_tags(c, tags, NULL)) return -1;
    if (boundary) {
        json_t *pol = NULL;
        int rc = iamsvc_policy_fetch(c->txn, c->account, boundary, &pol, c->err);
        json_decref(pol);
        if (rc < 0) return -1;
        if (rc == 0)
            return ferr_set(c->err, 404, "NoSuchEntity",
                            "Scope ARN: %s does not exist or is not attachable.", boundary);
    }
    char id[32];
    iamsvc_new_id("AIDA", id);
    json_t *u = json_pack("{s:s, s:s, s:s, s:s, s:f, s:[], s:[], s:{}, s:[], s:[]}", "UserName",
                          name, "UserId", id, "Arn", arn, "Path", path, "CreateDate",
                          (double)(long long)clock_now(), "Tags", "AttachedPolicies",
                          "InlinePolicies", "Groups", "AccessKeys");
    if (!u) return ferr_oom(c->err);
    int rc = tags ? jtags_merge(u, tags) : 0;
    if (boundary)
        rc |= json_object_set_new(u, "PermissionsBoundary",
                                  json_pack("{s:s, s:s}", "PermissionsBoundaryType", "Policy",
                                            "PermissionsBoundaryArn", boundary));
    if (rc) {
        json_decref(u);
        return ferr_oom(c->err);
    }
    store_key k = {"iam.user", c->account, IAMSVC_REGION, iamsvc_lower(c->a, name)};
    rc = boundary ? iamsvc_refresh_refs(c, c->account, u) : 0;
    if (!rc) rc = store_insert(c->txn, &k, u, c->err);
    if (rc == 1)
        rc =
            ferr_set(c->err, 409, "EntityAlreadyExists", "User with name %s already exists.", name);
    if (!rc) {
        call_resource(c, "AWS::IAM::User", name);
        *out = svc_out(c, json_pack("{s:o}", "User", user_view(u, 1)));
    }
    json_decref(u);
    return rc;
}

int iam_op_get_user(call *c, json_t *in, json_t **out)
{
    if (!jstr(in, "UserName") && c->who->kind == PRIN_ROOT) {
        /* AWS: the root user sees itself, without a name */
        if (iamsvc_authorize(c, "iam:GetUser", c->who->arn)) return -1;
        *out = svc_out(c, json_pack("{s:{s:s, s:s, s:s, s:f}}", "User", "UserId", c->account, "Arn",
                                    c->who->arn, "Path", "/", "CreateDate", c->env->started));
        return 0;
    }
    const char *name;
    json_t *u;
    if (iamsvc_user_name(c, in, &name) || load_user(c, "iam:GetUser", name, &u)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "User", user_view(u, 1)));
    json_decref(u);
    return 0;
}

int iam_op_list_users(call *c, json_t *in, json_t **out)
{
    if (iamsvc_authorize(c, "iam:ListUsers", "*")) return -1;
    json_t *all = iamsvc_list_all(c, "iam.user", c->account);
    if (!all) return -1;
    int rc = iamsvc_filter_path(c, all, jstr(in, "PathPrefix"));
    json_t *views = json_array();
    size_t i;
    json_t *u;
    json_array_foreach(all, i, u)
        if (!rc && json_array_append_new(views, user_view(u, 0))) rc = ferr_oom(c->err);
    if (!rc) {
        *out = svc_out(c, json_object());
        rc = iamsvc_page(c, views, in, *out, "Users");
    }
    json_decref(views);
    json_decref(all);
    return rc;
}

/* Rewrites the user's keys after a rename: they carry the principal's name and ARN. */
static int rename_keys(call *c, const json_t *u)
{
    size_t i;
    json_t *id;
    json_array_foreach(json_object_get(u, "AccessKeys"), i, id) {
        json_t *key = NULL;
        store_key k = {"accesskey", "", "", json_string_value(id)};
        int rc = store_get(c->txn, &k, &key, c->err);
        if (rc < 0) return -1;
        if (!rc) continue;
        rc = jset_str(key, "Name", jstr(u, "UserName")) || jset_str(key, "Arn", jstr(u, "Arn"))
                 ? ferr_oom(c->err)
                 : store_put(c->txn, &k, key, c->err);
        json_decref(key);
        if (rc) return -1;
    }
    return 0;
}

int iam_op_update_user(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *name = jstr(in, "UserName"), *nname = jstr(in, "NewUserName");
    const char *npath = jstr(in, "NewPath");
    json_t *u;
    if (load_user(c, "iam:UpdateUser", name, &u)) return -1;
    int rc = -1;
    const char *oldkey = iamsvc_lower(c->a, jstr(u, "UserName"));
    if (nname) {
        const char *newarn =
            iamsvc_arn(c, c->account, "user", npath ? npath : jstr(u, "Path"), nname);
        if (iamsvc_authorize(c, "iam:UpdateUser", newarn)) goto out;
        if (strcasecmp(nname, jstr(u, "UserName"))) {
            json_t *other = NULL;
            int ex = iamsvc_fetch(c->txn, &iamsvc_user_t, c->account, nname, &other, c->err);
            json_decref(other);
            if (ex < 0) goto out;
            if (ex) {
                ferr_set(c->err, 409, "EntityAlreadyExists", "User with name %s already exists.",
                         nname);
                goto out;
            }
        }
        if (jset_str(u, "UserName", nname)) goto oom;
    }
    if (jset_str(u, "Path", npath) ||
        jset_str(u, "Arn", iamsvc_arn(c, c->account, "user", jstr(u, "Path"), jstr(u, "UserName"))))
        goto oom;
    store_key k = {"iam.user", c->account, IAMSVC_REGION, oldkey};
    if (store_del(c->txn, &k, c->err) < 0 || save_user(c, u) || rename_keys(c, u)) goto out;
    rc = 0;
    goto out;
oom:
    ferr_oom(c->err);
out:
    json_decref(u);
    return rc;
}

/* 0 when the user has no documents of kind, else -1 with AWS's DeleteConflict for them */
static int user_owns(call *c, const char *kind, const json_t *u, const char *what)
{
    json_t *docs = iamsvc_user_docs(c, kind, jstr(u, "UserName"));
    size_t n = json_array_size(docs);
    json_decref(docs);
    if (!docs) return -1;
    return n ? ferr_set(c->err, 409, "DeleteConflict",
                        "Cannot delete entity, must delete %s first.", what)
             : 0;
}

int iam_op_delete_user(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *u;
    if (load_user(c, "iam:DeleteUser", jstr(in, "UserName"), &u)) return -1;
    int rc = -1;
    /* AWS: a user must be bare before it is deleted */
    if (json_object_get(u, "LoginProfile"))
        ferr_set(c->err, 409, "DeleteConflict",
                 "Cannot delete entity, must delete login profile first.");
    else if (json_array_size(json_object_get(u, "AccessKeys")))
        ferr_set(c->err, 409, "DeleteConflict",
                 "Cannot delete entity, must delete access keys first.");
    else if (json_object_size(json_object_get(u, "InlinePolicies")))
        ferr_set(c->err, 409, "DeleteConflict",
                 "Cannot delete entity, must delete policies first.");
    else if (json_array_size(json_object_get(u, "AttachedPolicies")))
        ferr_set(c->err, 409, "DeleteConflict",
                 "Cannot delete entity, must detach all policies first.");
    else if (json_array_size(json_object_get(u, "Groups")))
        ferr_set(c->err, 409, "DeleteConflict",
                 "Cannot delete entity, must remove users from group first.");
    else if (user_owns(c, "iam.signcert", u, "signing certificates") ||
             user_owns(c, "iam.sshkey", u, "SSH public keys"))
        ; /* c->err says which */
    else {
        store_key k = {"iam.user", c->account, IAMSVC_REGION,
                       iamsvc_lower(c->a, jstr(u, "UserName"))};
        rc = store_del(c->txn, &k, c->err) < 0 ||
                     lastused_forget_actions(c->txn, c->account, jstr(u, "Arn"), c->err)
                 ? -1
                 : 0;
        call_resource(c, "AWS::IAM::User", jstr(u, "UserName"));
    }
    json_decref(u);
    return rc;
}

int iam_op_tag_user(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (load_user(c, "iam:TagUser", jstr(in, "UserName"), &doc)) return -1;
    return iamsvc_tags_op(c, IAMSVC_TAG, doc, in, out, save_user);
}

int iam_op_untag_user(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (load_user(c, "iam:UntagUser", jstr(in, "UserName"), &doc)) return -1;
    return iamsvc_tags_op(c, IAMSVC_UNTAG, doc, in, out, save_user);
}

int iam_op_list_user_tags(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (load_user(c, "iam:ListUserTags", jstr(in, "UserName"), &doc)) return -1;
    return iamsvc_tags_op(c, IAMSVC_LIST_TAGS, doc, in, out, NULL);
}

/* ---- access keys ---- */

int iam_op_create_access_key(call *c, json_t *in, json_t **out)
{
    const char *name;
    json_t *u;
    if (iamsvc_user_name(c, in, &name) || load_user(c, "iam:CreateAccessKey", name, &u)) return -1;
    int rc = -1;
    json_t *keys = json_object_get(u, "AccessKeys");
    if (!json_is_array(keys)) {
        keys = json_array();
        if (json_object_set_new(u, "AccessKeys", keys)) {
            ferr_oom(c->err);
            goto out;
        }
    }
    if (json_array_size(keys) >= KEYS_PER_USER) {
        ferr_set(c->err, 409, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: %d",
                 KEYS_PER_USER);
        goto out;
    }
    principal p;
    memset(&p, 0, sizeof(p));
    p.kind = PRIN_USER;
    snprintf(p.account, sizeof(p.account), "%s", c->account);
    snprintf(p.arn, sizeof(p.arn), "%s", jstr(u, "Arn"));
    snprintf(p.userid, sizeof(p.userid), "%s", jstr(u, "UserId"));
    snprintf(p.name, sizeof(p.name), "%s", jstr(u, "UserName"));
    key_info k;
    if (keys_create(c->txn, &p, &k, c->err)) goto out;
    if (json_array_append_new(keys, json_string(k.akid))) {
        ferr_oom(c->err);
        goto out;
    }
    if (save_user(c, u)) goto out;
    *out = svc_out(c, json_pack("{s:{s:s, s:s, s:s, s:s, s:f}}", "AccessKey", "UserName", p.name,
                                "AccessKeyId", k.akid, "Status", "Active", "SecretAccessKey",
                                k.secret, "CreateDate", (double)(long long)clock_now()));
    memset(&k, 0, sizeof(k));
    rc = 0;
out:
    json_decref(u);
    return rc;
}

/* The user's key document for id, or NoSuchEntity as AWS words it. *pos: index in AccessKeys. */
static int user_key(call *c, const json_t *u, const char *id, json_t **key, size_t *pos)
{
    *key = NULL;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(u, "AccessKeys"), i, v) {
        if (id && !strcmp(json_string_value(v), id)) {
            store_key k = {"accesskey", "", "", id};
            int rc = store_get(c->txn, &k, key, c->err);
            if (rc < 0) return -1;
            if (rc == 1) {
                *pos = i;
                return 0;
            }
        }
    }
    return ferr_set(c->err, 404, "NoSuchEntity", "The Access Key with id %s cannot be found.",
                    id ? id : "");
}

int iam_op_list_access_keys(call *c, json_t *in, json_t **out)
{
    const char *name;
    json_t *u;
    if (iamsvc_user_name(c, in, &name) || load_user(c, "iam:ListAccessKeys", name, &u)) return -1;
    json_t *all = json_array();
    size_t i, pos;
    json_t *v;
    int rc = 0;
    json_array_foreach(json_object_get(u, "AccessKeys"), i, v) {
        json_t *key;
        if (user_key(c, u, json_string_value(v), &key, &pos)) {
            if (c->err->status == 404) { /* a dangling id lists as nothing */
                ferr_clear(c->err);
                continue;
            }
            rc = -1;
            break;
        }
        rc = json_array_append_new(
            all, json_pack("{s:O, s:O, s:O, s:O}", "UserName", json_object_get(u, "UserName"),
                           "AccessKeyId", v, "Status", json_object_get(key, "Status"), "CreateDate",
                           json_object_get(key, "CreateDate")));
        json_decref(key);
        if (rc) {
            rc = ferr_oom(c->err);
            break;
        }
    }
    if (!rc) {
        *out = svc_out(c, json_object());
        rc = iamsvc_page(c, all, in, *out, "AccessKeyMetadata");
    }
    json_decref(all);
    json_decref(u);
    return rc;
}

int iam_op_delete_access_key(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *name, *id = jstr(in, "AccessKeyId");
    json_t *u, *key;
    size_t pos;
    if (iamsvc_user_name(c, in, &name) || load_user(c, "iam:DeleteAccessKey", name, &u)) return -1;
    int rc = user_key(c, u, id, &key, &pos);
    if (!rc) {
        store_key k = {"accesskey", "", "", id};
        json_array_remove(json_object_get(u, "AccessKeys"), pos);
        rc = store_del(c->txn, &k, c->err) < 0 || lastused_forget(c->txn, id, c->err) ||
                     save_user(c, u)
                 ? -1
                 : 0;
    }
    json_decref(key);
    json_decref(u);
    return rc;
}

int iam_op_update_access_key(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *name, *id = jstr(in, "AccessKeyId"), *status = jstr(in, "Status");
    json_t *u, *key;
    size_t pos;
    if (iamsvc_user_name(c, in, &name) || load_user(c, "iam:UpdateAccessKey", name, &u)) return -1;
    int rc = user_key(c, u, id, &key, &pos);
    if (!rc) {
        /* AWS: an Inactive key stops authenticating at once (the gateway reads Status) */
        store_key k = {"accesskey", "", "", id};
        rc =
            jset_str(key, "Status", status) ? ferr_oom(c->err) : store_put(c->txn, &k, key, c->err);
        call_resource(c, "AWS::IAM::AccessKey", id);
    }
    json_decref(key);
    json_decref(u);
    return rc;
}

/* ---- login profiles (console passwords): kept on the user, the password only as a salted
 * digest, never returned ---- */

static int no_login(call *c, const char *user)
{
    return ferr_set(c->err, 404, "NoSuchEntity", "Login Profile for User %s cannot be found.",
                    user);
}

int iamsvc_password_set(json_t *profile, const char *pw)
{
    char salt[33], digest[65];
    ids_hex(salt, 32);
    char *both = NULL;
    if (asprintf(&both, "%s:%s", salt, pw) < 0) return -1;
    enc_sha256_hex(both, strlen(both), digest);
    free(both);
    return jset_str(profile, "Salt", salt) || jset_str(profile, "PasswordDigest", digest) ? -1 : 0;
}

int iamsvc_password_check(const json_t *doc, const char *pw)
{
    const char *salt = jstr(doc, "Salt"), *want = jstr(doc, "PasswordDigest");
    char digest[65];
    char *both = NULL;
    if (!salt || !want || !pw || asprintf(&both, "%s:%s", salt, pw) < 0) return 0;
    enc_sha256_hex(both, strlen(both), digest);
    free(both);
    return enc_ct_equal(digest, want);
}

static json_t *login_view(const json_t *u)
{
    json_t *p = json_object_get(u, "LoginProfile");
    return json_pack("{s:O, s:O, s:O}", "UserName", json_object_get(u, "UserName"), "CreateDate",
                     json_object_get(p, "CreateDate"), "PasswordResetRequired",
                     json_object_get(p, "PasswordResetRequired"));
}

int iam_op_create_login_profile(call *c, json_t *in, json_t **out)
{
    const char *name, *pw = jstr(in, "Password");
    json_t *u;
    if (iamsvc_user_name(c, in, &name) || load_user(c, "iam:CreateLoginProfile", name, &u))
        return -1;
    int rc = -1;
    if (json_object_get(u, "LoginProfile")) {
        ferr_set(c->err, 409, "EntityAlreadyExists", "Login Profile for user %s already exists.",
                 jstr(u, "UserName"));
        goto out;
    }
    if (iamsvc_password_policy_check(c, pw)) goto out;
    json_t *p = json_pack("{s:f, s:b}", "CreateDate", (double)(long long)clock_now(),
                          "PasswordResetRequired", jbool(in, "PasswordResetRequired", 0));
    if (!p || iamsvc_password_set(p, pw)) {
        json_decref(p);
        ferr_oom(c->err);
        goto out;
    }
    if (json_object_set_new(u, "LoginProfile", p)) {
        ferr_oom(c->err);
        goto out;
    }
    if (save_user(c, u)) goto out;
    *out = svc_out(c, json_pack("{s:o}", "LoginProfile", login_view(u)));
    rc = 0;
out:
    json_decref(u);
    return rc;
}

int iam_op_get_login_profile(call *c, json_t *in, json_t **out)
{
    const char *name;
    json_t *u;
    if (iamsvc_user_name(c, in, &name) || load_user(c, "iam:GetLoginProfile", name, &u)) return -1;
    int rc = json_object_get(u, "LoginProfile") ? 0 : no_login(c, jstr(u, "UserName"));
    if (!rc) *out = svc_out(c, json_pack("{s:o}", "LoginProfile", login_view(u)));
    json_decref(u);
    return rc;
}

int iam_op_update_login_profile(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *name, *pw = jstr(in, "Password");
    json_t *u;
    if (iamsvc_user_name(c, in, &name) || load_user(c, "iam:UpdateLoginProfile", name, &u))
        return -1;
    json_t *p = json_object_get(u, "LoginProfile");
    int rc = p ? 0 : no_login(c, jstr(u, "UserName"));
    if (!rc && pw) rc = iamsvc_password_policy_check(c, pw);
    if (!rc && pw) rc = iamsvc_password_rotate(c, p, pw);
    if (!rc) {
        if ((json_object_get(in, "PasswordResetRequired") &&
             json_object_set(p, "PasswordResetRequired",
                             json_object_get(in, "PasswordResetRequired"))))
            rc = ferr_oom(c->err);
        else
            rc = save_user(c, u);
    }
    json_decref(u);
    return rc;
}

int iam_op_delete_login_profile(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *name;
    json_t *u;
    if (iamsvc_user_name(c, in, &name) || load_user(c, "iam:DeleteLoginProfile", name, &u))
        return -1;
    int rc = json_object_get(u, "LoginProfile") ? 0 : no_login(c, jstr(u, "UserName"));
    if (!rc) {
        json_object_del(u, "LoginProfile");
        rc = save_user(c, u);
    }
    json_decref(u);
    return rc;
}
