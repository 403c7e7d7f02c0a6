/* AWS::SQS::Queue. Ref = QueueUrl; GetAtt Arn, QueueName, QueueUrl. QueueName and FifoQueue
 * replace; every other property is a queue attribute set in place, and a removed one goes
 * back to SQS's default. RedrivePolicy and RedriveAllowPolicy may be objects (serialized)
 * or JSON text. Tags: the stack's, the resource's, and aws:cloudformation:stack-name,
 * stack-id and logical-id (AWS: the queue schema has cloudFormationSystemTags). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "prov_int.h"

static const prov_prop schema[] = {
    {"ContentBasedDeduplication", PT_BOOL, 0},
    {"DeduplicationScope", PT_STR, 0},
    {"DelaySeconds", PT_INT, 0},
    {"FifoQueue", PT_BOOL, 0},
    {"FifoThroughputLimit", PT_STR, 0},
    {"KmsDataKeyReusePeriodSeconds", PT_INT, 0},
    {"KmsMasterKeyId", PT_STR, 0},
    {"MaximumMessageSize", PT_INT, 0},
    {"MessageRetentionPeriod", PT_INT, 0},
    {"QueueName", PT_STR, 0},
    {"ReceiveMessageWaitTimeSeconds", PT_INT, 0},
    {"RedriveAllowPolicy", PT_JSON, 0},
    {"RedrivePolicy", PT_JSON, 0},
    {"SqsManagedSseEnabled", PT_BOOL, 0},
    {"Tags", PT_TAGS, 0},
    {"VisibilityTimeout", PT_INT, 0},
    {NULL, 0, 0},
};

/* Properties that are queue attributes of the same name, and what a removed one goes back
 * to: SQS's default ("" unsets), or NULL to leave the queue as it is. */
static const prov_attr attributes[] = {
    {"ContentBasedDeduplication", "false", 1},
    {"DeduplicationScope", "queue", 1},
    {"DelaySeconds", "0", 0},
    {"FifoThroughputLimit", "perQueue", 1},
    {"KmsDataKeyReusePeriodSeconds", "300", 0},
    {"KmsMasterKeyId", "", 0},
    {"MaximumMessageSize", "262144", 0},
    {"MessageRetentionPeriod", "345600", 0},
    {"ReceiveMessageWaitTimeSeconds", "0", 0},
    {"RedriveAllowPolicy", "", 0},
    {"RedrivePolicy", "", 0},
    /* the default depends on KmsMasterKeyId and on when the queue was made: kept */
    {"SqsManagedSseEnabled", NULL, 0},
    {"VisibilityTimeout", "30", 0},
    {NULL, NULL, 0},
};

/* The queue attributes normalized props ask for (CreateQueue's Attributes). SQS has no
 * FifoQueue=false. */
static json_t *queue_attributes(const json_t *pr)
{
    return prov_attributes(pr, attributes, "FifoQueue");
}

static const char *name_of_url(const char *url)
{
    const char *s = strrchr(url, '/');
    return s ? s + 1 : url;
}

static int queue_attrs(const prov_shape *s, cfn_pctx *p, const char *url, json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    if (prov_call(p, "sqs", "GetQueueAttributes",
                  json_pack("{s:s, s:[s]}", "QueueUrl", url, "AttributeNames", "QueueArn"), &out))
        return -1;
    const char *arn = jstr(json_object_get(out, "Attributes"), "QueueArn");
    if (!arn) {
        json_decref(out);
        return ferr_internal(p->e, "SQS returned no QueueArn for %s", url);
    }
    *attrs =
        json_pack("{s:s, s:s, s:s}", "Arn", arn, "QueueName", name_of_url(url), "QueueUrl", url);
    json_decref(out);
    return *attrs ? 0 : ferr_oom(p->e);
}

static int queue_del(cfn_pctx *p, const char *url, const json_t *props)
{
    (void)props;
    return prov_call_gone_ok(p, NULL, "sqs", "DeleteQueue", json_pack("{s:s}", "QueueUrl", url));
}

static int queue_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **url_out,
                      json_t **attrs)
{
    (void)s;
    (void)attrs; /* read with GetQueueAttributes */
    json_t *out = NULL, *tags = NULL;
    int rc = -1;
    char *name = prov_name(p, pr, "QueueName", 80, jbool(pr, "FifoQueue", 0));
    if (!name) {
        ferr_oom(p->e);
        goto out;
    }
    if (jstr(pr, "QueueName") &&
        prov_refuse_existing(p, "AWS::SQS::Queue", name, "sqs", "GetQueueUrl",
                             json_pack("{s:s}", "QueueName", name)))
        goto out;
    /* the queue's ARN: DeleteQueue takes it from internal callers */
    char arn[512];
    snprintf(arn, sizeof(arn), "arn:%s:sqs:%s:%s:%s", arn_partition(p->region), p->region,
             p->account ? p->account : p->as->account, name);
    if (cfn_intent(p, arn)) goto out;
    tags = prov_tags(p, json_object_get(pr, "Tags"), 1);
    json_t *in = json_pack("{s:s, s:o}", "QueueName", name, "Attributes", queue_attributes(pr));
    if (!tags || json_array_size(tags))
        in = jdone(in, json_object_set_new(in, "tags", prov_tags_map(tags)));
    if (prov_call(p, "sqs", "CreateQueue", in, &out)) goto out;
    const char *url = jstr(out, "QueueUrl");
    if (!url) {
        ferr_internal(p->e, "SQS returned no QueueUrl");
        goto out;
    }
    rc = (*url_out = strdup(url)) ? 0 : ferr_oom(p->e);
out:
    json_decref(out);
    json_decref(tags);
    free(name);
    return rc;
}

/* The SetQueueAttributes Attributes that take the queue from op to np (maybe empty). */
static json_t *attribute_changes(const json_t *op, const json_t *np)
{
    json_t *oa = queue_attributes(op), *na = queue_attributes(np), *ch = json_object();
    int rc = !oa || !na;
    int fifo = jbool(np, "FifoQueue", 0);
    for (const prov_attr *at = attributes; ch && at->name; at++) {
        const char *o = jstr(oa, at->name), *n = jstr(na, at->name);
        if (n && (!o || strcmp(o, n)))
            rc |= json_object_set_new(ch, at->name, json_string(n));
        else if (!n && o && at->dflt && (fifo || !at->fifo_only))
            rc |= json_object_set_new(ch, at->name, json_string(at->dflt));
    }
    json_decref(oa);
    json_decref(na);
    return jdone(ch, rc);
}

static const prov_tagging tagging = {"sqs",      "QueueUrl",   "ListQueueTags",
                                     "TagQueue", "UntagQueue", 1};

static int queue_change(const prov_shape *s, cfn_pctx *p, const char *url, const json_t *op,
                        const json_t *np)
{
    (void)s;
    json_t *ch = attribute_changes(op, np);
    if (!ch) return ferr_oom(p->e);
    int rc = json_object_size(ch) &&
             prov_call(p, "sqs", "SetQueueAttributes",
                       json_pack("{s:s, s:O}", "QueueUrl", url, "Attributes", ch), NULL);
    json_decref(ch);
    return rc || prov_sync_tags(p, &tagging, url, np) ? -1 : 0;
}

static const prov_shape shape = {
    .schema = schema,
    .make = queue_make,
    .change = queue_change,
    .attrs = queue_attrs,
    .del = queue_del,
};

static const char *const replace_on[] = {"QueueName", "FifoQueue", NULL};

const cfn_provider cfn_provider_sqs_queue = {
    .type = "AWS::SQS::Queue",
    .shape = &shape,
    .del = queue_del,
    .replace_on = replace_on,
    .name_property = "QueueName",
    .name_max = 80,
    .fifo_property = "FifoQueue",
};
