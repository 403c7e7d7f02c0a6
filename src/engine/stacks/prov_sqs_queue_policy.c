/* AWS::SQS::QueuePolicy: PolicyDocument set as the Policy attribute of each queue in Queues
 * (queue URLs). Ref (and GetAtt Id) = an id CloudFormation generates. Both properties
 * change in place; a queue leaving the list, or the resource going, gets its policy
 * removed (Policy ""). */
#include <stdlib.h>
#include <string.h>

#include "prov_int.h"

static const prov_prop schema[] = {
    {"PolicyDocument", PT_JSON, 1},
    {"Queues", PT_STRLIST, 1},
    {NULL, 0, 0},
};

static int set_policy(cfn_pctx *p, const char *url, const char *doc)
{
    json_t *in = json_pack("{s:s, s:{s:s}}", "QueueUrl", url, "Attributes", "Policy", doc);
    if (!*doc) return prov_call_gone_ok(p, NULL, "sqs", "SetQueueAttributes", in);
    return prov_call(p, "sqs", "SetQueueAttributes", in, NULL);
}

static const prov_policy_targets targets = {schema, "Queues", "", set_policy};

static int qp_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)id;
    return prov_pt_del(&targets, p, props);
}

static const prov_shape shape = PROV_PT_SHAPE(schema, qp_del, &targets);

const cfn_provider cfn_provider_sqs_queue_policy = {
    .type = "AWS::SQS::QueuePolicy",
    .shape = &shape,
    .del = qp_del,
};
