/* AWS::SNS::Topic. Ref = TopicArn; GetAtt TopicArn, TopicName. TopicName and FifoTopic
 * replace; attributes, the data protection policy, the Subscription list (each
 * {Protocol, Endpoint} subscribed, and unsubscribed when it leaves the list) and tags change
 * in place. Tags: the stack's, the resource's and aws:cloudformation:stack-name, stack-id
 * and logical-id (AWS: the topic schema has cloudFormationSystemTags). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "prov_int.h"

static const prov_prop schema[] = {
    {"ArchivePolicy", PT_JSON, 0},
    {"ContentBasedDeduplication", PT_BOOL, 0},
    {"DataProtectionPolicy", PT_JSON, 0},
    {"DeliveryStatusLogging", PT_LIST, 0},
    {"DisplayName", PT_STR, 0},
    {"FifoTopic", PT_BOOL, 0},
    {"KmsMasterKeyId", PT_STR, 0},
    {"SignatureVersion", PT_STR, 0},
    {"Subscription", PT_LIST, 0},
    {"Tags", PT_TAGS, 0},
    {"TopicName", PT_STR, 0},
    {"TracingConfig", PT_STR, 0},
    {NULL, 0, 0},
};

/* Properties that are topic attributes of the same name, and what a removed one goes back
 * to (SNS's default). */
static const prov_attr attributes[] = {
    {"ArchivePolicy", "{}", 0},
    {"ContentBasedDeduplication", "false", 1},
    {"DisplayName", "", 0},
    {"KmsMasterKeyId", "", 0},
    {"SignatureVersion", "1", 0},
    {"TracingConfig", "PassThrough", 0},
    {NULL, NULL, 0},
};

/* DeliveryStatusLogging Protocol -> the prefix of its topic attributes. */
static const char *log_prefix(const char *protocol)
{
    static const char *const map[][2] = {{"http/s", "HTTP"},
                                         {"sqs", "SQS"},
                                         {"lambda", "Lambda"},
                                         {"firehose", "Firehose"},
                                         {"application", "Application"}};
    for (size_t i = 0; protocol && i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcmp(protocol, map[i][0])) return map[i][1];
    return NULL;
}

static const char *const log_fields[] = {"SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate",
                                         "FailureFeedbackRoleArn"};

static int check(cfn_pctx *p, const json_t *pr)
{
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(pr, "Subscription"), i, x) {
        if (!json_is_object(x))
            return prov_invalid(p, "#/Subscription/%zu: expected type: JSONObject", i);
        const char *k;
        json_t *v;
        json_object_foreach(x, k, v)
            if (strcmp(k, "Protocol") && strcmp(k, "Endpoint"))
                return prov_invalid(p, "#/Subscription/%zu: extraneous key [%s] is not permitted",
                                    i, k);
        if (!jstr(x, "Endpoint") || !jstr(x, "Protocol"))
            return prov_invalid(p, "#/Subscription/%zu: required key [%s] not found", i,
                                jstr(x, "Endpoint") ? "Protocol" : "Endpoint");
    }
    json_array_foreach(json_object_get(pr, "DeliveryStatusLogging"), i, x) {
        if (!json_is_object(x))
            return prov_invalid(p, "#/DeliveryStatusLogging/%zu: expected type: JSONObject", i);
        if (!jstr(x, "Protocol"))
            return prov_invalid(p, "#/DeliveryStatusLogging/%zu: required key [Protocol] not found",
                                i);
        if (!log_prefix(jstr(x, "Protocol")))
            return prov_invalid(p,
                                "#/DeliveryStatusLogging/%zu/Protocol: %s is not a valid enum "
                                "value",
                                i, jstr(x, "Protocol"));
    }
    return 0;
}

/* The topic attributes normalized props ask for, as {name: text}. */
static json_t *topic_attributes(const json_t *pr)
{
    json_t *a = prov_attributes(pr, attributes, "FifoTopic");
    int rc = 0;
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(pr, "DeliveryStatusLogging"), i, x) {
        const char *pre = log_prefix(jstr(x, "Protocol"));
        for (size_t f = 0; a && pre && f < sizeof(log_fields) / sizeof(log_fields[0]); f++) {
            char *t = prov_attr_text(json_object_get(x, log_fields[f]));
            char k[96];
            snprintf(k, sizeof(k), "%s%s", pre, log_fields[f]);
            if (t) rc |= json_object_set_new(a, k, json_string(t));
            free(t);
        }
    }
    return jdone(a, rc);
}

/* What a removed attribute goes back to ("" for the delivery logging ones). */
static const char *default_of(const char *name)
{
    for (const prov_attr *at = attributes; at->name; at++)
        if (!strcmp(at->name, name)) return at->dflt;
    return "";
}

static const char *topic_name(const char *arn)
{
    const char *s = strrchr(arn, ':');
    return s ? s + 1 : arn;
}

static json_t *attrs_of(const char *arn)
{
    return json_pack("{s:s, s:s}", "TopicArn", arn, "TopicName", topic_name(arn));
}

static int subscribe(cfn_pctx *p, const char *arn, const json_t *sub)
{
    return prov_call(p, "sns", "Subscribe",
                     json_pack("{s:s, s:O, s:O}", "TopicArn", arn, "Protocol",
                               json_object_get(sub, "Protocol"), "Endpoint",
                               json_object_get(sub, "Endpoint")),
                     NULL);
}

static int same_sub(const json_t *a, const json_t *b)
{
    const char *pa = jstr(a, "Protocol"), *pb = jstr(b, "Protocol");
    const char *ea = jstr(a, "Endpoint"), *eb = jstr(b, "Endpoint");
    return pa && pb && ea && eb && !strcmp(pa, pb) && !strcmp(ea, eb);
}

static int sub_in(const json_t *list, const json_t *sub)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x)
        if (same_sub(x, sub)) return 1;
    return 0;
}

/* Unsubscribes the topic's subscriptions matching sub (found by ListSubscriptionsByTopic). */
static int unsubscribe(cfn_pctx *p, const char *arn, const json_t *sub)
{
    char *token = NULL;
    int rc = 0;
    do {
        json_t *in = json_pack("{s:s}", "TopicArn", arn), *out = NULL;
        if (token) in = jdone(in, json_object_set_new(in, "NextToken", json_string(token)));
        free(token);
        token = NULL;
        if (prov_call(p, "sns", "ListSubscriptionsByTopic", in, &out)) return -1;
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(out, "Subscriptions"), i, x) {
            const char *sarn = jstr(x, "SubscriptionArn");
            if (!rc && same_sub(x, sub) && sarn && strncmp(sarn, "arn:", 4) == 0)
                rc = prov_call_gone_ok(p, NULL, "sns", "Unsubscribe",
                                       json_pack("{s:s}", "SubscriptionArn", sarn));
        }
        if (!rc && jstr(out, "NextToken")) token = strdup(jstr(out, "NextToken"));
        json_decref(out);
    } while (token);
    return rc;
}

static int topic_del(cfn_pctx *p, const char *arn, const json_t *props)
{
    (void)props;
    /* AWS: deleting a topic deletes its subscriptions */
    return prov_call_gone_ok(p, NULL, "sns", "DeleteTopic", json_pack("{s:s}", "TopicArn", arn));
}

static int topic_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **arn_out,
                      json_t **attrs)
{
    (void)s;
    json_t *out = NULL, *tags = NULL;
    int rc = -1;
    char *name = NULL, *dpp = NULL;
    if (!(name = prov_name(p, pr, "TopicName", 256, jbool(pr, "FifoTopic", 0)))) {
        ferr_oom(p->e);
        goto out;
    }
    char planned[512];
    snprintf(planned, sizeof(planned), "arn:%s:sns:%s:%s:%s", arn_partition(p->region), p->region,
             p->account ? p->account : p->as->account, name);
    if (jstr(pr, "TopicName") &&
        prov_refuse_existing(p, "AWS::SNS::Topic", planned, "sns", "GetTopicAttributes",
                             json_pack("{s:s}", "TopicArn", planned)))
        goto out;
    if (cfn_intent(p, planned)) goto out;
    tags = prov_tags(p, json_object_get(pr, "Tags"), 1);
    json_t *in = json_pack("{s:s, s:o}", "Name", name, "Attributes", topic_attributes(pr));
    if (!tags || json_array_size(tags)) in = jdone(in, json_object_set(in, "Tags", tags));
    dpp = prov_doc_text(json_object_get(pr, "DataProtectionPolicy"));
    if (dpp) in = jdone(in, json_object_set_new(in, "DataProtectionPolicy", json_string(dpp)));
    if (prov_call(p, "sns", "CreateTopic", in, &out)) goto out;
    const char *arn = jstr(out, "TopicArn");
    if (!arn) {
        ferr_internal(p->e, "SNS returned no TopicArn");
        goto out;
    }
    if (!(*arn_out = strdup(arn)) || !(*attrs = attrs_of(arn))) {
        /* made, and forgotten: out of memory */
        ferr_oom(p->e);
        goto out;
    }
    rc = 0;
out:
    json_decref(out);
    json_decref(tags);
    free(name);
    free(dpp);
    return rc;
}

static int topic_attrs(const prov_shape *s, cfn_pctx *p, const char *arn, json_t **attrs)
{
    (void)s;
    *attrs = attrs_of(arn);
    return *attrs ? 0 : ferr_oom(p->e);
}

static int topic_finish(const prov_shape *s, cfn_pctx *p, const char *arn, const json_t *pr)
{
    (void)s;
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(pr, "Subscription"), i, x)
        if (subscribe(p, arn, x)) return -1;
    return 0;
}

static int set_attr(cfn_pctx *p, const char *arn, const char *k, const char *v)
{
    return prov_call(
        p, "sns", "SetTopicAttributes",
        json_pack("{s:s, s:s, s:s}", "TopicArn", arn, "AttributeName", k, "AttributeValue", v),
        NULL);
}

static int update_attributes(cfn_pctx *p, const char *arn, const json_t *op, const json_t *np)
{
    json_t *oa = topic_attributes(op), *na = topic_attributes(np);
    int rc = oa && na ? 0 : ferr_oom(p->e);
    const char *k;
    json_t *v;
    json_object_foreach(na, k, v) {
        const char *o = jstr(oa, k);
        if (!rc && strcmp(k, "FifoTopic") && (!o || strcmp(o, json_string_value(v))))
            rc = set_attr(p, arn, k, json_string_value(v));
    }
    json_object_foreach(oa, k, v) {
        if (!rc && strcmp(k, "FifoTopic") && !json_object_get(na, k))
            rc = set_attr(p, arn, k, default_of(k));
    }
    json_decref(oa);
    json_decref(na);
    if (rc) return -1;
    const json_t *od = json_object_get(op, "DataProtectionPolicy");
    const json_t *nd = json_object_get(np, "DataProtectionPolicy");
    if (prov_doc_equal(od, nd)) return 0;
    /* AWS: an empty string deletes the data protection policy */
    char *doc = prov_doc_text(nd);
    rc = prov_call(
        p, "sns", "PutDataProtectionPolicy",
        json_pack("{s:s, s:s}", "ResourceArn", arn, "DataProtectionPolicy", doc ? doc : ""), NULL);
    free(doc);
    return rc;
}

static int update_subscriptions(cfn_pctx *p, const char *arn, const json_t *op, const json_t *np)
{
    const json_t *os = json_object_get(op, "Subscription");
    const json_t *ns = json_object_get(np, "Subscription");
    size_t i;
    json_t *x;
    json_array_foreach(ns, i, x)
        if (!sub_in(os, x) && subscribe(p, arn, x)) return -1;
    json_array_foreach(os, i, x)
        if (!sub_in(ns, x) && unsubscribe(p, arn, x)) return -1;
    return 0;
}

static const prov_tagging tagging = {"sns",         "ResourceArn",   "ListTagsForResource",
                                     "TagResource", "UntagResource", 0};

static int topic_change(const prov_shape *s, cfn_pctx *p, const char *arn, const json_t *op,
                        const json_t *np)
{
    (void)s;
    return update_attributes(p, arn, op, np) || update_subscriptions(p, arn, op, np) ||
                   prov_sync_tags(p, &tagging, arn, np)
               ? -1
               : 0;
}

static const prov_shape shape = {
    .schema = schema,
    .check = check,
    .make = topic_make,
    .finish = topic_finish,
    .change = topic_change,
    .attrs = topic_attrs,
    .del = topic_del,
};

static const char *const replace_on[] = {"TopicName", "FifoTopic", NULL};

const cfn_provider cfn_provider_sns_topic = {
    .type = "AWS::SNS::Topic",
    .shape = &shape,
    .del = topic_del,
    .replace_on = replace_on,
    .name_property = "TopicName",
    .name_max = 256,
    .fifo_property = "FifoTopic",
};
