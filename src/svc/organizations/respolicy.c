/* AWS Organizations' resource policy: who outside the management account may call
 * Organizations' read operations (PutResourcePolicy, DescribeResourcePolicy,
 * DeleteResourcePolicy). AWS: one per organization, managed by the management account; the
 * document follows IAM's resource-policy grammar (MalformedPolicyDocumentException).
 * Document (global): orgrespolicy/"policy" {ResourcePolicySummary {Id, Arn}, Content, Tags}. */
#include <stdio.h>
#include <string.h>

#include "base/ids.h"
#include "base/jval.h"
#include "iam/policy.h"
#include "organizations.h"
#include "organizations_int.h"

static const store_key rp_key = {"orgrespolicy", "", "", "policy"};

static json_t *view(const json_t *rp)
{
    return json_pack("{s:{s:O, s:O}}", "ResourcePolicy", "ResourcePolicySummary",
                     json_object_get(rp, "ResourcePolicySummary"), "Content",
                     json_object_get(rp, "Content"));
}

static int load(call *c, const char *action, int mgmt_only, json_t **rp)
{
    json_t *org;
    if (call_authorize(c, action, "*") || orgsvc_load(c, mgmt_only, &org)) return -1;
    json_decref(org);
    int rc = store_get(c->txn, &rp_key, rp, c->err);
    if (rc < 0) return -1;
    if (rc == 0)
        return ferr_set(c->err, 400, "ResourcePolicyNotFoundException",
                        "We can't find a resource policy request with the parameter that you "
                        "specified.");
    return 0;
}

int organizations_op_put_resource_policy(call *c, json_t *in, json_t **out)
{
    json_t *org, *rp = NULL;
    const char *content = jstr(in, "Content");
    if (call_authorize(c, "organizations:PutResourcePolicy", "*") || orgsvc_load(c, 1, &org))
        return -1;
    ferr pe = {0};
    iam_policy *p =
        content ? iam_policy_parse(content, strlen(content), IAM_KIND_RESOURCE, &pe) : NULL;
    iam_policy_free(p);
    int rc = p ? 0
               : ferr_set(c->err, 400, "MalformedPolicyDocumentException",
                          "The provided policy document doesn't meet the requirements of the "
                          "specified policy type.");
    const json_t *tags = json_object_get(in, "Tags");
    if (!rc) rc = store_get(c->txn, &rp_key, &rp, c->err) < 0 ? -1 : 0;
    if (!rc && !rp) {
        /* the id is the policy's for life: a second Put replaces the content */
        char id[16] = "rp-", arn[ORG_ARN_MAX], part[16];
        ids_lower_alnum(id + 3, 8);
        snprintf(arn, sizeof(arn), "arn:%s:organizations::%s:resourcepolicy/%s/%s",
                 org_partition(org, part), jstr(org, "MasterAccountId"), jstr(org, "Id"), id);
        rp = json_pack("{s:{s:s, s:s}}", "ResourcePolicySummary", "Id", id, "Arn", arn);
        if (!rp) rc = ferr_oom(c->err);
    }
    json_decref(org);
    if (!rc && tags) rc = orgsvc_check_tags(c, json_object_get(rp, "Tags"), tags);
    if (!rc &&
        ((tags && json_object_set(rp, "Tags", (json_t *)tags)) || jset_str(rp, "Content", content)))
        rc = ferr_oom(c->err);
    if (!rc) rc = store_put(c->txn, &rp_key, rp, c->err);
    if (!rc) *out = svc_out(c, view(rp));
    json_decref(rp);
    return rc;
}

int organizations_op_describe_resource_policy(call *c, json_t *in, json_t **out)
{
    (void)in;
    json_t *rp = NULL;
    if (load(c, "organizations:DescribeResourcePolicy", 0, &rp)) return -1;
    *out = svc_out(c, view(rp));
    json_decref(rp);
    return 0;
}

int organizations_op_delete_resource_policy(call *c, json_t *in, json_t **out)
{
    (void)in;
    (void)out;
    json_t *rp = NULL;
    if (load(c, "organizations:DeleteResourcePolicy", 1, &rp)) return -1;
    json_decref(rp);
    return store_del(c->txn, &rp_key, c->err) < 0 ? -1 : 0;
}
