/* AWS::SNS::Subscription. Ref = the subscription ARN. TopicArn, Protocol and Endpoint
 * replace; the subscription attributes (RawMessageDelivery, FilterPolicy,
 * FilterPolicyScope, RedrivePolicy, DeliveryPolicy, ReplayPolicy, SubscriptionRoleArn)
 * change in place. Region is the topic's region for a cross-region subscription (default:
 * the stack's). No tags. */
#include <stdlib.h>
#include <string.h>

#include "prov_int.h"

static const prov_prop schema[] = {
    {"DeliveryPolicy", PT_JSON, 0},     {"Endpoint", PT_STR, 0}, {"FilterPolicy", PT_JSON, 0},
    {"FilterPolicyScope", PT_STR, 0},   {"Protocol", PT_STR, 1}, {"RawMessageDelivery", PT_BOOL, 0},
    {"RedrivePolicy", PT_JSON, 0},      {"Region", PT_STR, 0},   {"ReplayPolicy", PT_JSON, 0},
    {"SubscriptionRoleArn", PT_STR, 0}, {"TopicArn", PT_STR, 1}, {NULL, 0, 0},
};

/* Properties that are subscription attributes of the same name, in the order they are set
 * (the scope before the policy it applies to), and what a removed one goes back to. */
static const prov_attr attributes[] = {
    {"DeliveryPolicy", "", 0},
    {"FilterPolicyScope", "MessageAttributes", 0},
    /* AWS: "remove the subscription's filter policy by overwriting it with an empty JSON
     * body" */
    {"FilterPolicy", "{}", 0},
    {"RawMessageDelivery", "false", 0},
    {"RedrivePolicy", "", 0},
    {"ReplayPolicy", "", 0},
    {"SubscriptionRoleArn", "", 0},
    {NULL, NULL, 0},
};

static json_t *sub_attributes(const json_t *pr)
{
    return prov_attributes(pr, attributes, NULL);
}

static const char *region_of(const cfn_pctx *p, const json_t *pr)
{
    const char *r = jstr(pr, "Region");
    return r && *r ? r : p->region;
}

/* What a create announces (cfn_intent): SNS picks the ARN, but Subscribe returns the
 * subscription of the same topic, protocol and endpoint when there is one, so that triple
 * names what the create made. */
#define INTENT "subscription-of-properties"

/* The ARN of pr's subscription (topic, protocol, endpoint), or NULL in *arn (none). */
static int find_sub(cfn_pctx *p, const json_t *pr, char **arn)
{
    *arn = NULL;
    const char *proto = jstr(pr, "Protocol"), *ep = jstr(pr, "Endpoint");
    json_t *tok = NULL;
    do {
        json_t *in = json_pack("{s:O}", "TopicArn", json_object_get(pr, "TopicArn")), *out = NULL;
        if (in && tok) in = jdone(in, json_object_set(in, "NextToken", tok));
        json_decref(tok);
        tok = NULL;
        if (prov_call_r(p, region_of(p, pr), "sns", "ListSubscriptionsByTopic", in, &out))
            return prov_is_gone(p->e) ? (ferr_clear(p->e), 0) : -1;
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(out, "Subscriptions"), i, s) {
            const char *sp = jstr(s, "Protocol"), *se = jstr(s, "Endpoint");
            if (!*arn && sp && proto && !strcmp(sp, proto) && !strcmp(se ? se : "", ep ? ep : "") &&
                jstr(s, "SubscriptionArn") && !strncmp(jstr(s, "SubscriptionArn"), "arn:", 4) &&
                !(*arn = strdup(jstr(s, "SubscriptionArn")))) {
                json_decref(out);
                return ferr_oom(p->e);
            }
        }
        tok = json_incref(json_object_get(out, "NextToken"));
        json_decref(out);
    } while (tok && !*arn);
    json_decref(tok);
    return 0;
}

static int sub_del(cfn_pctx *p, const char *arn, const json_t *props)
{
    json_t *pr = prov_props_old(p, props, schema);
    char *found = NULL;
    int rc = 0;
    if (!strcmp(arn, INTENT)) { /* a create a crash interrupted */
        rc = find_sub(p, pr, &found);
        arn = found ? found : "";
    }
    /* a subscription still waiting for confirmation has no ARN to unsubscribe */
    if (!rc && !strncmp(arn, "arn:", 4))
        rc = prov_call_gone_ok(p, region_of(p, pr), "sns", "Unsubscribe",
                               json_pack("{s:s}", "SubscriptionArn", arn));
    free(found);
    json_decref(pr);
    return rc;
}

static int sub_create(cfn_pctx *p, const json_t *props, json_t **result)
{
    json_t *pr, *out = NULL;
    if (prov_props(p, props, schema, &pr)) return -1;
    int rc = -1;
    json_t *in = json_pack("{s:O, s:O, s:o, s:b}", "TopicArn", json_object_get(pr, "TopicArn"),
                           "Protocol", json_object_get(pr, "Protocol"), "Attributes",
                           sub_attributes(pr), "ReturnSubscriptionArn", 1);
    if (jstr(pr, "Endpoint"))
        in = jdone(in, json_object_set(in, "Endpoint", json_object_get(pr, "Endpoint")));
    if (cfn_intent(p, INTENT)) {
        json_decref(in);
        goto out;
    }
    if (prov_call_r(p, region_of(p, pr), "sns", "Subscribe", in, &out)) goto out;
    const char *arn = jstr(out, "SubscriptionArn");
    if (!arn) {
        ferr_internal(p->e, "SNS returned no SubscriptionArn");
        goto out;
    }
    rc = prov_result(p, arn, NULL, result);
out:
    json_decref(out);
    json_decref(pr);
    return rc;
}

static int set_attr(cfn_pctx *p, const char *region, const char *arn, const char *k, const char *v)
{
    return prov_call_r(p, region, "sns", "SetSubscriptionAttributes",
                       json_pack("{s:s, s:s, s:s}", "SubscriptionArn", arn, "AttributeName", k,
                                 "AttributeValue", v),
                       NULL);
}

static int sub_update(cfn_pctx *p, const char *arn, const json_t *old_props,
                      const json_t *new_props, json_t **result)
{
    json_t *op = prov_props_old(p, old_props, schema), *np = NULL, *oa = NULL, *na = NULL;
    int rc = -1;
    if (prov_props(p, new_props, schema, &np)) goto out;
    const char *region = region_of(p, np);
    /* AWS: an update of Region alone fails unless it goes between unset and the caller's
     * region, which names the same place */
    if (strcmp(region_of(p, op), region)) {
        ferr_validation(p->e, "Region of an existing subscription cannot be changed from %s to %s",
                        region_of(p, op), region);
        goto out;
    }
    oa = sub_attributes(op);
    na = sub_attributes(np);
    if (!oa || !na) {
        ferr_oom(p->e);
        goto out;
    }
    /* A new scope with a new filter policy: the old policy goes first, so neither is ever
     * checked against the other's scope. */
    const char *os = jstr(oa, "FilterPolicyScope"), *ns = jstr(na, "FilterPolicyScope");
    int scope_changes = strcmp(os ? os : "MessageAttributes", ns ? ns : "MessageAttributes");
    if (scope_changes && jstr(oa, "FilterPolicy") && set_attr(p, region, arn, "FilterPolicy", "{}"))
        goto out;
    for (const prov_attr *at = attributes; at->name; at++) {
        const char *k = at->name, *o = jstr(oa, k), *n = jstr(na, k);
        if (scope_changes && !strcmp(k, "FilterPolicy")) o = "{}";
        if (n && (!o || strcmp(o, n)) && set_attr(p, region, arn, k, n)) goto out;
        if (!n && o && strcmp(o, at->dflt) && set_attr(p, region, arn, k, at->dflt)) goto out;
    }
    rc = prov_result(p, arn, NULL, result);
out:
    json_decref(op);
    json_decref(np);
    json_decref(oa);
    json_decref(na);
    return rc;
}

static const char *const replace_on[] = {"TopicArn", "Protocol", "Endpoint", NULL};

const cfn_provider cfn_provider_sns_subscription = {
    .type = "AWS::SNS::Subscription",
    .create = sub_create,
    .update = sub_update,
    .del = sub_del,
    .replace_on = replace_on,
};
