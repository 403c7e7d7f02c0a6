/* GetAccountAuthorizationDetails: every user, group, role and policy of the account with
 * their documents, in one paged answer (AWS managed policies only when something uses
 * them). */
#include <string.h>

#include "base/checked.h"
#include "base/arn.h"
#include "iam_int.h"

static int wanted(const json_t *filter, const char *what)
{
    if (!json_array_size(filter)) return 1;
    size_t i;
    json_t *f;
    json_array_foreach(filter, i, f)
        if (!strcmp(json_string_value(f), what)) return 1;
    return 0;
}

static json_t *inline_list(call *c, const json_t *doc)
{
    json_t *arr = json_array();
    const char *k;
    json_t *v;
    int rc = 0;
    json_object_foreach((json_t *)json_object_get(doc, "InlinePolicies"), k, v)
        rc |= json_array_append_new(arr, json_pack("{s:s, s:s}", "PolicyName", k, "PolicyDocument",
                                                   iamsvc_url(c->a, json_string_value(v))));
    return jdone(arr, rc);
}

static json_t *attached_list(const json_t *doc)
{
    json_t *arr = json_array();
    size_t i;
    json_t *a;
    int rc = 0;
    json_array_foreach(json_object_get(doc, "AttachedPolicies"), i, a) {
        const char *arn = json_string_value(a), *slash = strrchr(arn, '/');
        rc |= json_array_append_new(
            arr, json_pack("{s:s, s:s}", "PolicyName", slash ? slash + 1 : arn, "PolicyArn", arn));
    }
    return jdone(arr, rc);
}

static int copy(json_t *dst, const json_t *src, const char *const *keys)
{
    int rc = 0;
    for (; *keys; keys++) {
        json_t *v = json_object_get(src, *keys);
        if (v) rc |= json_object_set(dst, *keys, v);
    }
    return rc;
}

static const char *const common_keys[] = {"Path", "Arn", "CreateDate", NULL};

static int add(json_t *all, int list, json_t *item)
{
    return json_array_append_new(all, json_pack("{s:i, s:o}", "l", list, "e", item));
}

int iam_op_get_account_authorization_details(call *c, json_t *in, json_t **out)
{
    json_t *filter = json_object_get(in, "Filter"); /* its values: the model's enum */
    size_t i, j;
    json_t *v, *d;
    if (iamsvc_authorize(c, "iam:GetAccountAuthorizationDetails", "*")) return -1;
    json_t *users = iamsvc_list_all(c, "iam.user", c->account);
    json_t *groups = users ? iamsvc_list_all(c, "iam.group", c->account) : NULL;
    json_t *roles = groups ? iamsvc_list_all(c, "iam.role", c->account) : NULL;
    json_t *pols = roles ? iamsvc_list_all(c, "iam.policy", c->account) : NULL;
    json_t *counts = NULL, *bcounts = NULL, *all = json_array();
    int rc = -1, bad = 0; /* bad: out of memory somewhere while building */
    if (!pols || iamsvc_policy_usage(c, &counts, &bcounts)) goto out;

    if (wanted(filter, "User")) {
        json_array_foreach(users, i, d) {
            json_t *u = json_pack(
                "{s:O, s:O, s:o, s:O, s:o}", "UserName", json_object_get(d, "UserName"), "UserId",
                json_object_get(d, "UserId"), "UserPolicyList", inline_list(c, d), "GroupList",
                json_object_get(d, "Groups") ? json_object_get(d, "Groups") : json_null(),
                "AttachedManagedPolicies", attached_list(d));
            static const char *const extra[] = {"PermissionsBoundary", "Tags", NULL};
            bad |= copy(u, d, common_keys) | copy(u, d, extra);
            bad |= add(all, 0, u);
        }
    }
    if (wanted(filter, "Group")) {
        json_array_foreach(groups, i, d) {
            json_t *g =
                json_pack("{s:O, s:O, s:o, s:o}", "GroupName", json_object_get(d, "GroupName"),
                          "GroupId", json_object_get(d, "GroupId"), "GroupPolicyList",
                          inline_list(c, d), "AttachedManagedPolicies", attached_list(d));
            bad |= copy(g, d, common_keys);
            bad |= add(all, 1, g);
        }
    }
    if (wanted(filter, "Role")) {
        json_array_foreach(roles, i, d) {
            json_t *r = iamsvc_role_view(c, d, 1);
            bad |= json_object_set_new(r, "RolePolicyList", inline_list(c, d));
            bad |= json_object_set_new(r, "AttachedManagedPolicies", attached_list(d));
            json_t *profiles = iamsvc_profiles_for_role(c, c->account, jstr(d, "RoleName"));
            json_t *plist = json_array();
            json_array_foreach(profiles, j, v) {
                json_t *p = json_deep_copy(v);
                bad |= json_object_set_new(p, "Roles", json_pack("[o]", iamsvc_role_view(c, d, 0)));
                bad |= json_array_append_new(plist, p);
            }
            json_decref(profiles);
            bad |= json_object_set_new(r, "InstanceProfileList", plist);
            bad |= add(all, 2, r);
        }
    }
    /* policies: the account's own, then the AWS managed ones in use */
    json_t *policy_docs = json_array();
    if (wanted(filter, "LocalManagedPolicy")) bad |= json_array_extend(policy_docs, pols);
    if (wanted(filter, "AWSManagedPolicy")) {
        const iamsvc_awspol *ap;
        for (i = 0; (ap = iamsvc_aws_policy_at(i)); i++) {
            char *arn =
                arena_printf(c->a, "arn:%s:iam::aws:policy/%s", arn_partition(c->region), ap->name);
            if (!json_object_get(counts, arn) && !json_object_get(bcounts, arn)) continue;
            json_t *pd = NULL;
            if (iamsvc_policy_fetch(c->txn, c->account, arn, &pd, c->err) == 1)
                bad |= json_array_append_new(policy_docs, pd);
        }
    }
    json_array_foreach(policy_docs, i, d) {
        json_t *p = iamsvc_policy_view(d), *vl = json_array();
        const char *arn = jstr(d, "Arn");
        json_object_del(p, "Tags");
        json_object_del(p, "Description");
        bad |= json_object_set_new(p, "AttachmentCount",
                                   json_integer(json_integer_value(json_object_get(counts, arn))));
        bad |= json_object_set_new(p, "PermissionsBoundaryUsageCount",
                                   json_integer(json_integer_value(json_object_get(bcounts, arn))));
        json_array_foreach(json_object_get(d, "Versions"), j, v) {
            json_t *doc = iamsvc_policy_text(c->txn, c->account, d, jstr(v, "VersionId"), c->err);
            bad |= json_array_append_new(
                vl, json_pack("{s:s?, s:O, s:O, s:O}", "Document",
                              iamsvc_url(c->a, json_string_value(doc)), "VersionId",
                              json_object_get(v, "VersionId"), "IsDefaultVersion",
                              json_object_get(v, "IsDefaultVersion"), "CreateDate",
                              json_object_get(v, "CreateDate")));
            json_decref(doc);
        }
        bad |= json_object_set_new(p, "PolicyVersionList", vl);
        bad |= add(all, 3, p);
    }
    json_decref(policy_docs);

    json_t *page = json_object();
    rc = bad ? ferr_oom(c->err) : iamsvc_page(c, all, in, page, "Items");
    if (!rc) {
        static const char *const keys[] = {"UserDetailList", "GroupDetailList", "RoleDetailList",
                                           "Policies"};
        *out = svc_out(c, json_pack("{s:[], s:[], s:[], s:[], s:O}", keys[0], keys[1], keys[2],
                                    keys[3], "IsTruncated", json_object_get(page, "IsTruncated")));
        if (json_object_get(page, "Marker"))
            rc |= json_object_set(*out, "Marker", json_object_get(page, "Marker"));
        json_array_foreach(json_object_get(page, "Items"), i, v)
            rc |= json_array_append(json_object_get(*out, keys[jint(v, "l", 0)]),
                                    json_object_get(v, "e"));
        if (rc) rc = ferr_oom(c->err);
    }
    json_decref(page);
out:
    json_decref(all);
    json_decref(counts);
    json_decref(bcounts);
    json_decref(users);
    json_decref(groups);
    json_decref(roles);
    json_decref(pols);
    return rc;
}
