/* AWS::SNS::TopicPolicy: PolicyDocument set as the Policy attribute of each topic in Topics
 * (topic ARNs, each in its own region). Ref (and GetAtt Id) = an id CloudFormation
 * generates. Both properties change in place. A topic leaving the list, or every topic when
 * the resource goes, gets SNS's default topic policy back, as AWS does. */
#include <stdlib.h>
#include <string.h>

#include "prov_int.h"
#include "svc/sns/documents.h"

static const prov_prop schema[] = {
    {"PolicyDocument", PT_JSON, 1},
    {"Topics", PT_STRLIST, 1},
    {NULL, 0, 0},
};

/* doc NULL = the topic's default policy (and a topic already gone is fine). */
static int set_policy(cfn_pctx *p, const char *arn, const char *doc)
{
    char region[64];
    if (prov_arn_part(arn, 3, region, sizeof(region)) || !*region)
        return prov_invalid(p, "#/Topics: %s is not a topic ARN", arn);
    char account[32] = "";
    prov_arn_part(arn, 4, account, sizeof(account));
    char *dflt = doc ? NULL : sns_default_policy(arn, account);
    if (!doc && !dflt) return ferr_oom(p->e);
    json_t *in = json_pack("{s:s, s:s, s:s}", "TopicArn", arn, "AttributeName", "Policy",
                           "AttributeValue", doc ? doc : dflt);
    free(dflt);
    if (!doc) return prov_call_gone_ok(p, region, "sns", "SetTopicAttributes", in);
    return prov_call_r(p, region, "sns", "SetTopicAttributes", in, NULL);
}

static const prov_policy_targets targets = {schema, "Topics", NULL, set_policy};

static int tp_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)id;
    return prov_pt_del(&targets, p, props);
}

static const prov_shape shape = PROV_PT_SHAPE(schema, tp_del, &targets);

const cfn_provider cfn_provider_sns_topic_policy = {
    .type = "AWS::SNS::TopicPolicy",
    .shape = &shape,
    .del = tp_del,
};
