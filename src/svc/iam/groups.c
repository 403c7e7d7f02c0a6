/* IAM groups. Membership lives on the user ("Groups": group names), which is what
 * authorization reads; a group's members are found by scanning the account's users. */
#include <string.h>

#include "base/clock.h"
#include "iam_int.h"

#define GROUPS_PER_USER 10

static int load_group(call *c, const char *action, const char *name, json_t **g)
{
    return iamsvc_load_auth(c, &iamsvc_group_t, action, name, g);
}

static json_t *group_view(const json_t *g)
{
    return json_pack("{s:O, s:O, s:O, s:O, s:O}", "GroupName", json_object_get(g, "GroupName"),
                     "GroupId", json_object_get(g, "GroupId"), "Arn", json_object_get(g, "Arn"),
                     "Path", json_object_get(g, "Path"), "CreateDate",
                     json_object_get(g, "CreateDate"));
}

static int member_index(const json_t *user, const char *group)
{
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(user, "Groups"), i, g)
        if (!strcasecmp(json_string_value(g), group)) return (int)i;
    return -1;
}

/* Users of the account in group (new array of user docs), NULL on error. */
static json_t *members(call *c, const char *group)
{
    json_t *all = iamsvc_list_all(c, "iam.user", c->account);
    for (size_t i = json_array_size(all); i-- > 0;)
        if (member_index(json_array_get(all, i), group) < 0) json_array_remove(all, i);
    return all;
}

int iam_op_create_group(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "GroupName"), *path = jstr(in, "Path");
    if (!path) path = "/";
    const char *arn = iamsvc_arn(c, c->account, "group", path, name);
    if (iamsvc_authorize(c, "iam:CreateGroup", arn)) return -1;
    char id[32];
    iamsvc_new_id("AGPA", id);
    json_t *g = json_pack("{s:s, s:s, s:s, s:s, s:f, s:[], s:{}}", "GroupName", name, "GroupId", id,
                          "Arn", arn, "Path", path, "CreateDate", (double)(long long)clock_now(),
                          "AttachedPolicies", "InlinePolicies");
    if (!g) return ferr_oom(c->err);
    store_key k = {"iam.group", c->account, IAMSVC_REGION, iamsvc_lower(c->a, name)};
    int rc = store_insert(c->txn, &k, g, c->err);
    if (rc == 1)
        rc = ferr_set(c->err, 409, "EntityAlreadyExists", "Group with name %s already exists.",
                      name);
    if (!rc) {
        call_resource(c, "AWS::IAM::Group", name);
        *out = svc_out(c, json_pack("{s:o}", "Group", group_view(g)));
    }
    json_decref(g);
    return rc;
}

int iam_op_get_group(call *c, json_t *in, json_t **out)
{
    json_t *g;
    if (load_group(c, "iam:GetGroup", jstr(in, "GroupName"), &g)) return -1;
    json_t *users = members(c, jstr(g, "GroupName")), *views = json_array();
    int rc = users ? 0 : -1;
    size_t i;
    json_t *u;
    json_array_foreach(users, i, u)
        if (!rc && json_array_append_new(views, json_pack("{s:O, s:O, s:O, s:O, s:O}", "UserName",
                                                          json_object_get(u, "UserName"), "UserId",
                                                          json_object_get(u, "UserId"), "Arn",
                                                          json_object_get(u, "Arn"), "Path",
                                                          json_object_get(u, "Path"), "CreateDate",
                                                          json_object_get(u, "CreateDate"))))
            rc = ferr_oom(c->err);
    if (!rc) {
        *out = svc_out(c, json_pack("{s:o}", "Group", group_view(g)));
        rc = iamsvc_page(c, views, in, *out, "Users");
    }
    json_decref(views);
    json_decref(users);
    json_decref(g);
    return rc;
}

static int list_views(call *c, json_t *groups, json_t *in, json_t **out)
{
    json_t *views = json_array();
    size_t i;
    json_t *g;
    int rc = 0;
    json_array_foreach(groups, i, g) rc |= json_array_append_new(views, group_view(g));
    *out = svc_out(c, json_object());
    rc = rc ? ferr_oom(c->err) : iamsvc_page(c, views, in, *out, "Groups");
    json_decref(views);
    return rc;
}

int iam_op_list_groups(call *c, json_t *in, json_t **out)
{
    if (iamsvc_authorize(c, "iam:ListGroups", "*")) return -1;
    json_t *all = iamsvc_list_all(c, "iam.group", c->account);
    if (!all) return -1;
    int rc = iamsvc_filter_path(c, all, jstr(in, "PathPrefix"));
    if (!rc) rc = list_views(c, all, in, out);
    json_decref(all);
    return rc;
}

int iam_op_delete_group(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *g;
    if (load_group(c, "iam:DeleteGroup", jstr(in, "GroupName"), &g)) return -1;
    int rc = -1;
    json_t *users = members(c, jstr(g, "GroupName"));
    if (!users) goto out;
    /* AWS: a group must be empty and bare before it is deleted */
    if (json_array_size(users))
        ferr_set(c->err, 409, "DeleteConflict",
                 "Cannot delete entity, must remove users from group first.");
    else if (json_object_size(json_object_get(g, "InlinePolicies")))
        ferr_set(c->err, 409, "DeleteConflict",
                 "Cannot delete entity, must delete policies first.");
    else if (json_array_size(json_object_get(g, "AttachedPolicies")))
        ferr_set(c->err, 409, "DeleteConflict",
                 "Cannot delete entity, must detach all policies first.");
    else {
        store_key k = {"iam.group", c->account, IAMSVC_REGION,
                       iamsvc_lower(c->a, jstr(g, "GroupName"))};
        rc = store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
        call_resource(c, "AWS::IAM::Group", jstr(g, "GroupName"));
    }
out:
    json_decref(users);
    json_decref(g);
    return rc;
}

static int membership(call *c, json_t *in, int remove)
{
    json_t *g, *u = NULL;
    const char *uname = jstr(in, "UserName");
    if (load_group(c, remove ? "iam:RemoveUserFromGroup" : "iam:AddUserToGroup",
                   jstr(in, "GroupName"), &g))
        return -1;
    int rc = iamsvc_load(c, &iamsvc_user_t, uname, &u);
    if (rc) goto out;
    const char *gname = jstr(g, "GroupName");
    int at = member_index(u, gname);
    json_t *groups = json_object_get(u, "Groups");
    if (!json_is_array(groups)) {
        groups = json_array();
        if (json_object_set_new(u, "Groups", groups)) {
            rc = ferr_oom(c->err);
            goto out;
        }
    }
    if (remove) {
        if (at < 0) {
            rc = ferr_set(c->err, 404, "NoSuchEntity", "The user with name %s cannot be found.",
                          uname);
            goto out;
        }
        json_array_remove(groups, (size_t)at);
    } else {
        if (at >= 0) goto out; /* AWS: adding a member again is not an error */
        if (json_array_size(groups) >= GROUPS_PER_USER) {
            rc = ferr_set(c->err, 409, "LimitExceeded", "Cannot exceed quota for GroupsPerUser: %d",
                          GROUPS_PER_USER);
            goto out;
        }
        if (json_array_append_new(groups, json_string(gname))) {
            rc = ferr_oom(c->err);
            goto out;
        }
    }
    call_resource(c, "AWS::IAM::Group", gname);
    call_resource(c, "AWS::IAM::User", jstr(u, "UserName"));
    rc = iamsvc_save(c, &iamsvc_user_t, c->account, u);
out:
    json_decref(u);
    json_decref(g);
    return rc;
}

int iam_op_add_user_to_group(call *c, json_t *in, json_t **out)
{
    (void)out;
    return membership(c, in, 0);
}

int iam_op_remove_user_from_group(call *c, json_t *in, json_t **out)
{
    (void)out;
    return membership(c, in, 1);
}

int iam_op_list_groups_for_user(call *c, json_t *in, json_t **out)
{
    json_t *u;
    if (iamsvc_load_auth(c, &iamsvc_user_t, "iam:ListGroupsForUser", jstr(in, "UserName"), &u))
        return -1;
    json_t *groups = json_array();
    int rc = 0;
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(u, "Groups"), i, n) {
        json_t *g = NULL;
        int f = iamsvc_fetch(c->txn, &iamsvc_group_t, c->account, json_string_value(n), &g, c->err);
        if (f < 0) {
            rc = -1;
            break;
        }
        if (f && json_array_append_new(groups, g)) {
            rc = ferr_oom(c->err);
            break;
        }
    }
    if (!rc) rc = list_views(c, groups, in, out);
    json_decref(groups);
    json_decref(u);
    return rc;
}

int iam_op_update_group(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *nname = jstr(in, "NewGroupName"), *npath = jstr(in, "NewPath");
    json_t *g, *users = NULL;
    if (load_group(c, "iam:UpdateGroup", jstr(in, "GroupName"), &g)) return -1;
    int rc = -1;
    const char *old = arena_strdup(c->a, jstr(g, "GroupName"));
    if (nname && strcasecmp(nname, old)) {
        json_t *other = NULL;
        int ex = iamsvc_fetch(c->txn, &iamsvc_group_t, c->account, nname, &other, c->err);
        json_decref(other);
        if (ex < 0) goto out;
        if (ex) {
            ferr_set(c->err, 409, "EntityAlreadyExists", "Group with name %s already exists.",
                     nname);
            goto out;
        }
    }
    if (!(users = members(c, old))) goto out;
    if (jset_str(g, "GroupName", nname) || jset_str(g, "Path", npath)) {
        ferr_oom(c->err);
        goto out;
    }
    const char *arn = iamsvc_arn(c, c->account, "group", jstr(g, "Path"), jstr(g, "GroupName"));
    /* AWS: the new name and path must be allowed too */
    if (iamsvc_authorize(c, "iam:UpdateGroup", arn)) goto out;
    if (jset_str(g, "Arn", arn)) {
        ferr_oom(c->err);
        goto out;
    }
    store_key k = {"iam.group", c->account, IAMSVC_REGION, iamsvc_lower(c->a, old)};
    if (store_del(c->txn, &k, c->err) < 0 || iamsvc_save(c, &iamsvc_group_t, c->account, g))
        goto out;
    /* members keep the group under its new name */
    size_t i;
    json_t *u;
    json_array_foreach(users, i, u) {
        int at = member_index(u, old);
        if (json_array_set_new(json_object_get(u, "Groups"), (size_t)at,
                               json_string(jstr(g, "GroupName")))) {
            ferr_oom(c->err);
            goto out;
        }
        if (iamsvc_save(c, &iamsvc_user_t, c->account, u)) goto out;
    }
    call_resource(c, "AWS::IAM::Group", jstr(g, "GroupName"));
    rc = 0;
out:
    json_decref(users);
    json_decref(g);
    return rc;
}
