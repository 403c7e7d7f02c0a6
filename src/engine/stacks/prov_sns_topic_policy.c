/* AWS::SNS::TopicPolicy: PolicyDocument set as the Policy attribute of each topic in Topics
 * (topic ARNs, each in its own region). Ref (and GetAtt Id) = an id CloudFormation
 * generates. Both properties change in place. A topic leaving the list, or every topic when
 * the resource goes, gets SNS's default topic policy back, as AWS does. */
#include <stdlib.h>
#include <string.h>

#include "prov_int.h"

static const prov_prop schema[] = {
    {"PolicyDocument", PT_JSON, 1},
    {"Topics", PT_STRLIST, 1},
    {NULL, 0, 0},
};

/* SNS's default policy of a topic: its owner's account may do everything with it. */
char *prov_sns_default_policy(const char *topic_arn)
{
    char account[32] = "";
    prov_arn_part(topic_arn, 4, account, sizeof(account));
    json_t *doc = json_pack(
        "{s:s, s:s, s:[{s:s, s:s, s:{s:s}, s:[s,s,s,s,s,s,s,s], s:s, s:{s:{s:s}}}]}", "Version",
        "2008-10-17", "Id", "__default_policy_ID", "Statement", "Sid", "__default_statement_ID",
        "Effect", "Allow", "Principal", "AWS", "*", "Action", "SNS:GetTopicAttributes",
        "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission", "SNS:DeleteTopic",
        "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish", "Resource", topic_arn,
        "Condition", "StringEquals", "AWS:SourceOwner", account);
    char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return s;
}

/* doc NULL = the topic's default policy (and a topic already gone is fine). */
static int set_policy(cfn_pctx *p, const char *arn, const char *doc)
{
    char region[64];
    if (prov_arn_part(arn, 3, region, sizeof(region)) || !*region)
        return prov_invalid(p, "#/Topics: %s is not a topic ARN", arn);
    char *dflt = doc ? NULL : prov_sns_default_policy(arn);
    if (!doc && !dflt) return ferr_oom(p->e);
    json_t *in = json_pack("{s:s, s:s, s:s}", "TopicArn", arn, "AttributeName", "Policy",
                           "AttributeValue", doc ? doc : dflt);
    free(dflt);
    if (!doc) return prov_call_gone_ok(p, region, "sns", "SetTopicAttributes", in);
    return prov_call_r(p, region, "sns", "SetTopicAttributes", in, NULL);
}

static int set_all(cfn_pctx *p, const json_t *list, const json_t *skip, const char *doc)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        const char *arn = json_string_value(x);
        if (!arn || (skip && prov_strlist_has(skip, arn))) continue;
        if (set_policy(p, arn, doc)) return -1;
    }
    return 0;
}

static int tp_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)id;
    json_t *pr = prov_props_old(p, props, schema);
    int rc = set_all(p, json_object_get(pr, "Topics"), NULL, NULL);
    json_decref(pr);
    return rc;
}

static int tp_create(cfn_pctx *p, const json_t *props, json_t **result)
{
    json_t *pr;
    if (prov_props(p, props, schema, &pr)) return -1;
    int rc = -1;
    char *doc = prov_doc_text(json_object_get(pr, "PolicyDocument"));
    char *id = prov_generated_id(p);
    if (!doc || !id) {
        ferr_oom(p->e);
        goto out;
    }
    if (set_all(p, json_object_get(pr, "Topics"), NULL, doc)) {
        prov_undo(p, tp_del, id, pr);
        goto out;
    }
    *result = prov_result(id, json_pack("{s:s}", "Id", id));
    rc = *result ? 0 : ferr_oom(p->e);
out:
    free(doc);
    free(id);
    json_decref(pr);
    return rc;
}

static int tp_update(cfn_pctx *p, const char *id, const json_t *old_props,
                     const json_t *new_props, json_t **result)
{
    json_t *op = prov_props_old(p, old_props, schema), *np = NULL, *gone = NULL;
    char *doc = NULL;
    int rc = -1;
    if (prov_props(p, new_props, schema, &np)) goto out;
    if (!(doc = prov_doc_text(json_object_get(np, "PolicyDocument")))) {
        ferr_oom(p->e);
        goto out;
    }
    int same = prov_doc_equal(json_object_get(op, "PolicyDocument"),
                              json_object_get(np, "PolicyDocument"));
    gone = prov_strlist_minus(json_object_get(op, "Topics"), json_object_get(np, "Topics"));
    if (set_all(p, json_object_get(np, "Topics"), same ? json_object_get(op, "Topics") : NULL,
                doc) ||
        set_all(p, gone, NULL, NULL))
        goto out;
    *result = prov_result(id, json_pack("{s:s}", "Id", id));
    rc = *result ? 0 : ferr_oom(p->e);
out:
    free(doc);
    json_decref(gone);
    json_decref(op);
    json_decref(np);
    return rc;
}

const cfn_provider cfn_provider_sns_topic_policy = {
    .type = "AWS::SNS::TopicPolicy",
    .create = tp_create,
    .update = tp_update,
    .del = tp_del,
};
