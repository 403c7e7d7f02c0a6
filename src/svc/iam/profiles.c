/* Instance profiles: a container for one role that EC2 hands to instances. Stored as kind
 * "iam.profile", id = lowercased name, "Roles" = the role names. */
#include <string.h>

#include "base/checked.h"
#include "base/clock.h"
#include "iam_int.h"

#define ROLES_PER_PROFILE 1

static const iamsvc_etype profile_t = {"iam.profile",
                                       "instance-profile",
                                       "Instance Profile",
                                       "InstanceProfileName",
                                       "InstanceProfileId",
                                       "AIPA",
                                       "instanceProfileName",
                                       128,
                                       0,
                                       NULL,
                                       "AWS::IAM::InstanceProfile"};

static int no_profile(call *c, const char *name)
{
    return ferr_set(c->err, 404, "NoSuchEntity", "Instance Profile %s cannot be found.",
                    name ? name : "");
}

static int load_profile(call *c, const char *action, const char *name, json_t **doc)
{
    *doc = NULL;
    int rc = iamsvc_fetch(c->txn, &profile_t, c->account, name ? name : "", doc, c->err);
    if (rc < 0) return -1;
    const char *arn = rc ? jstr(*doc, "Arn")
                         : iamsvc_arn(c, c->account, "instance-profile", "/", name ? name : "");
    if (iamsvc_authorize(c, action, arn) || (!rc && no_profile(c, name))) {
        json_decref(*doc);
        *doc = NULL;
        return -1;
    }
    return 0;
}

/* The InstanceProfile shape: its roles in full. */
static json_t *profile_view(call *c, const json_t *p)
{
    json_t *v = json_deep_copy(p), *roles = json_array();
    size_t i;
    json_t *r;
    int rc = 0;
    json_array_foreach(json_object_get(p, "Roles"), i, r) {
        json_t *role = NULL;
        if (iamsvc_get_role(c->txn, c->account, json_string_value(r), &role, c->err) == 1)
            rc |= json_array_append_new(roles, iamsvc_role_view(c, role, 0));
        json_decref(role);
    }
    rc |= json_object_set_new(v, "Roles", roles);
    if (!json_array_size(json_object_get(v, "Tags"))) json_object_del(v, "Tags");
    return jdone(v, rc);
}

json_t *iamsvc_profiles_for_role(call *c, const char *account, const char *role_name)
{
    json_t *all = iamsvc_list_all(c, "iam.profile", account);
    for (size_t i = json_array_size(all); i-- > 0;) {
        int hit = 0;
        size_t j;
        json_t *r;
        json_array_foreach(json_object_get(json_array_get(all, i), "Roles"), j, r)
            hit |= !strcasecmp(json_string_value(r), role_name);
        if (!hit) json_array_remove(all, i);
    }
    return all;
}

int iam_op_create_instance_profile(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "InstanceProfileName"), *path = jstr(in, "Path");
    json_t *tags = json_object_get(in, "Tags");
    if (!path) path = "/";
    const char *arn = iamsvc_arn(c, c->account, "instance-profile", path, name);
    if (iamsvc_authorize(c, "iam:CreateInstanceProfile", arn) ||
        (tags && iamsvc_check_tags(c, tags, NULL)))
        return -1;
    char id[32];
    iamsvc_new_id("AIPA", id);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:f, s:[], s:[]}", "InstanceProfileName", name,
                            "InstanceProfileId", id, "Arn", arn, "Path", path, "CreateDate",
                            (double)(long long)clock_now(), "Roles", "Tags");
    if (!doc) return ferr_oom(c->err);
    if (tags && jtags_merge(doc, tags)) {
        json_decref(doc);
        return ferr_oom(c->err);
    }
    store_key k = {"iam.profile", c->account, IAMSVC_REGION, iamsvc_lower(c->a, name)};
    int rc = store_insert(c->txn, &k, doc, c->err);
    if (rc == 1)
        rc = ferr_set(c->err, 409, "EntityAlreadyExists", "Instance Profile %s already exists.",
                      name);
    if (!rc) {
        call_resource(c, profile_t.cfn_type, name);
        *out = svc_out(c, json_pack("{s:o}", "InstanceProfile", profile_view(c, doc)));
    }
    json_decref(doc);
    return rc;
}

int iam_op_get_instance_profile(call *c, json_t *in, json_t **out)
{
    json_t *p;
    if (load_profile(c, "iam:GetInstanceProfile", jstr(in, "InstanceProfileName"), &p)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "InstanceProfile", profile_view(c, p)));
    json_decref(p);
    return 0;
}

int iam_op_delete_instance_profile(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *p;
    const char *name = jstr(in, "InstanceProfileName");
    if (load_profile(c, "iam:DeleteInstanceProfile", name, &p)) return -1;
    int rc;
    if (json_array_size(json_object_get(p, "Roles"))) {
        rc = ferr_set(c->err, 409, "DeleteConflict",
                      "Cannot delete entity, must remove roles from instance profile first.");
    } else {
        store_key k = {"iam.profile", c->account, IAMSVC_REGION, iamsvc_lower(c->a, name)};
        rc = store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
        call_resource(c, profile_t.cfn_type, jstr(p, "InstanceProfileName"));
    }
    json_decref(p);
    return rc;
}

static int list_views(call *c, json_t *all, json_t *in, json_t **out)
{
    json_t *views = json_array();
    size_t i;
    json_t *p;
    int rc = 0;
    json_array_foreach(all, i, p) rc |= json_array_append_new(views, profile_view(c, p));
    *out = svc_out(c, json_object());
    rc = rc ? ferr_oom(c->err) : iamsvc_page(c, views, in, *out, "InstanceProfiles");
    json_decref(views);
    return rc;
}

int iam_op_list_instance_profiles(call *c, json_t *in, json_t **out)
{
    if (iamsvc_authorize(c, "iam:ListInstanceProfiles", "*")) return -1;
    json_t *all = iamsvc_list_all(c, "iam.profile", c->account);
    if (!all) return -1;
    int rc = iamsvc_filter_path(c, all, jstr(in, "PathPrefix"));
    if (!rc) rc = list_views(c, all, in, out);
    json_decref(all);
    return rc;
}

int iam_op_list_instance_profiles_for_role(call *c, json_t *in, json_t **out)
{
    json_t *role;
    if (iamsvc_load_auth(c, &iamsvc_role_t, "iam:ListInstanceProfilesForRole", jstr(in, "RoleName"),
                         &role))
        return -1;
    json_t *all = iamsvc_profiles_for_role(c, c->account, jstr(role, "RoleName"));
    json_decref(role);
    if (!all) return -1;
    int rc = list_views(c, all, in, out);
    json_decref(all);
    return rc;
}

static int role_in_profile(call *c, json_t *in, int remove)
{
    json_t *p, *role = NULL;
    const char *rname = jstr(in, "RoleName");
    if (load_profile(c,
                     remove ? "iam:RemoveRoleFromInstanceProfile" : "iam:AddRoleToInstanceProfile",
                     jstr(in, "InstanceProfileName"), &p))
        return -1;
    int rc = iamsvc_get_role(c->txn, c->account, rname ? rname : "", &role, c->err);
    if (rc == 0)
        ferr_set(c->err, 404, "NoSuchEntity", "The role with name %s cannot be found.", rname);
    if (rc <= 0) goto fail;
    json_t *roles = json_object_get(p, "Roles");
    const char *canon = jstr(role, "RoleName");
    size_t i;
    json_t *r;
    json_array_foreach(roles, i, r)
        if (!strcmp(json_string_value(r), canon)) break;
    int present = i < json_array_size(roles);
    if (remove) {
        if (!present) {
            ferr_set(c->err, 404, "NoSuchEntity", "The role with name %s cannot be found.", rname);
            goto fail;
        }
        json_array_remove(roles, i);
    } else {
        /* AWS: an instance profile holds one role */
        if (present || json_array_size(roles) >= ROLES_PER_PROFILE) {
            ferr_set(c->err, 409, "LimitExceeded",
                     "Cannot exceed quota for InstanceSessionsPerInstanceProfile: %d",
                     ROLES_PER_PROFILE);
            goto fail;
        }
        if (json_array_append_new(roles, json_string(canon))) {
            ferr_oom(c->err);
            goto fail;
        }
    }
    call_resource(c, profile_t.cfn_type, jstr(p, "InstanceProfileName"));
    rc = iamsvc_save(c, &profile_t, c->account, p);
    json_decref(p);
    json_decref(role);
    return rc;
fail:
    json_decref(p);
    json_decref(role);
    return -1;
}

int iam_op_add_role_to_instance_profile(call *c, json_t *in, json_t **out)
{
    (void)out;
    return role_in_profile(c, in, 0);
}

int iam_op_remove_role_from_instance_profile(call *c, json_t *in, json_t **out)
{
    (void)out;
    return role_in_profile(c, in, 1);
}

static int save_profile(call *c, const json_t *p)
{
    call_resource(c, profile_t.cfn_type, jstr(p, "InstanceProfileName"));
    return iamsvc_save(c, &profile_t, c->account, p);
}

int iam_op_tag_instance_profile(call *c, json_t *in, json_t **out)
{
    json_t *p;
    if (load_profile(c, "iam:TagInstanceProfile", jstr(in, "InstanceProfileName"), &p)) return -1;
    return iamsvc_tags_op(c, IAMSVC_TAG, p, in, out, save_profile);
}

int iam_op_untag_instance_profile(call *c, json_t *in, json_t **out)
{
    json_t *p;
    if (load_profile(c, "iam:UntagInstanceProfile", jstr(in, "InstanceProfileName"), &p)) return -1;
    return iamsvc_tags_op(c, IAMSVC_UNTAG, p, in, out, save_profile);
}

int iam_op_list_instance_profile_tags(call *c, json_t *in, json_t **out)
{
    json_t *p;
    if (load_profile(c, "iam:ListInstanceProfileTags", jstr(in, "InstanceProfileName"), &p))
        return -1;
    return iamsvc_tags_op(c, IAMSVC_LIST_TAGS, p, in, out, NULL);
}
