/* AWS Organizations DescribeEffectivePolicy: the management policy (tag, backup, AI
 * services opt-out, declarative, ...) an account ends up with, the policies of that type
 * attached to the root, each OU on the way down and the account merged in that order.
 * AWS's inheritance operators are applied: "@@assign" replaces what a parent set,
 * "@@append" adds to a parent's list, "@@remove" drops it; other operator keys
 * (@@operators_allowed_for_child_policies) only steer children and are not shown.
 * AWS: any account of the organization may ask for itself, the management account for any
 * account; SCPs and RCPs have no effective policy (InvalidInputException). */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/jval.h"
#include "organizations.h"
#include "organizations_int.h"
#include "scp.h"

/* How deep OUs nest (AWS: five levels under the root). */
#define MAX_DEPTH 8

static int merge(json_t *dst, const json_t *src);

/* Applies one key of a child policy to dst. 0 or -1 (out of memory). */
static int merge_key(json_t *dst, const char *key, const json_t *v)
{
    if (!json_is_object(v)) return json_object_set_new(dst, key, json_deep_copy(v));
    const json_t *op;
    if ((op = json_object_get(v, "@@assign")))
        return json_object_set_new(dst, key, json_deep_copy(op));
    if ((op = json_object_get(v, "@@remove"))) return json_object_del(dst, key), 0;
    if ((op = json_object_get(v, "@@append"))) {
        json_t *cur = json_object_get(dst, key);
        if (!json_is_array(cur) || !json_is_array(op))
            return json_object_set_new(dst, key, json_deep_copy(op));
        json_t *copy = json_deep_copy(op);
        int rc = !copy || json_array_extend(cur, copy);
        json_decref(copy);
        return rc ? -1 : 0;
    }
    json_t *cur = json_object_get(dst, key);
    if (!json_is_object(cur)) {
        cur = json_object();
        if (json_object_set_new(dst, key, cur)) return -1;
    }
    return merge(cur, v);
}

static int merge(json_t *dst, const json_t *src)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)src, key, v) {
        if (!strncmp(key, "@@", 2)) continue;
        if (merge_key(dst, key, v)) return -1;
    }
    return 0;
}

/* Merges the policies of type attached to target into eff; *found counts them. */
static int merge_target(call *c, const char *target, const char *type, json_t *eff, int *found)
{
    json_t *ids = NULL, *v;
    size_t i;
    if (org_attached(c->txn, target, type, &ids, c->err)) return -1;
    int rc = 0;
    json_array_foreach(ids, i, v) {
        json_t *pol = NULL;
        if (org_policy_get(c->txn, json_string_value(v), &pol, c->err) < 0) rc = -1;
        const char *text = jstr(pol, "Content");
        json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
        if (json_is_object(doc)) {
            (*found)++;
            if (merge(eff, doc)) rc = ferr_oom(c->err);
        }
        json_decref(doc);
        json_decref(pol);
        if (rc) break;
    }
    json_decref(ids);
    return rc;
}

int organizations_op_describe_effective_policy(call *c, json_t *in, json_t **out)
{
    json_t *org, *acct = NULL;
    const char *type = jstr(in, "PolicyType"), *target = jstr(in, "TargetId");
    if (call_authorize(c, "organizations:DescribeEffectivePolicy", "*") || orgsvc_load(c, 0, &org))
        return -1;
    int is_mgmt = !strcmp(c->account, jstr(org, "MasterAccountId")), rc = 0;
    if (!type || org_is_authz_type(type))
        rc = ferr_set(c->err, 400, "InvalidInputException",
                      "You specified an invalid policy type string.");
    else if (target && strcmp(target, c->account) && !is_mgmt)
        rc = ferr_set(c->err, 403, "AccessDeniedException",
                      "You don't have permissions to access this resource.");
    if (!target) target = c->account;
    const char *kind = NULL;
    if (!rc) rc = orgsvc_target(c, org, target, &kind, &acct);
    if (!rc && strcmp(kind, "ACCOUNT"))
        rc = ferr_set(c->err, 400, "InvalidInputException",
                      "You specified a target that isn't an account: the effective policy of a "
                      "root or OU is not supported.");
    json_t *eff = json_object();
    if (!rc && !eff) rc = ferr_oom(c->err);
    int found = 0;
    if (!rc && org_type_enabled(org, type)) {
        /* the path from the root down: the OUs above the account, nearest last */
        const char *path[MAX_DEPTH + 2];
        json_t *held[MAX_DEPTH];
        size_t n = 0, nheld = 0;
        const char *root = jstr(json_object_get(org, "Root"), "Id"), *p = jstr(acct, "ParentId");
        while (!rc && p && strcmp(p, root) && nheld < MAX_DEPTH) {
            json_t *ou = NULL;
            if (orgsvc_load_ou(c, p, &ou)) rc = -1;
            if (!ou) break;
            held[nheld++] = ou;
            p = jstr(ou, "ParentId");
        }
        path[n++] = root;
        for (size_t i = nheld; i-- > 0;) path[n++] = jstr(held[i], "Id");
        path[n++] = target;
        for (size_t i = 0; !rc && i < n; i++) rc = merge_target(c, path[i], type, eff, &found);
        for (size_t i = 0; i < nheld; i++) json_decref(held[i]);
    }
    json_decref(acct);
    json_decref(org);
    if (!rc && !found)
        rc = ferr_set(c->err, 400, "EffectivePolicyNotFoundException",
                      "We can't find an effective policy of the specified type for the "
                      "specified target.");
    char *text = rc ? NULL : json_dumps(eff, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(eff);
    if (rc) return -1;
    if (!text) return ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:{s:s, s:f, s:s, s:s}}", "EffectivePolicy", "PolicyContent",
                                text, "LastUpdatedTimestamp", clock_now(), "TargetId", target,
                                "PolicyType", type));
    free(text);
    return 0;
}
