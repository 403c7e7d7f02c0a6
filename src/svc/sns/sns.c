/* Amazon SNS (query protocol): topics, subscriptions, filter policies, publishing. The
 * deliveries themselves are the delivery engine's (src/engine/delivery.c). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "engine/delivery.h"
#include "engine/delivery_policy.h"
#include "iam/policy.h"
#include "sns_int.h"
#include "snshttp.h"

int sns_parse_arn(const char *arn, int want_sub, sns_arn *out)
{
    memset(out, 0, sizeof(*out));
    const char *p = arn_rest(arn, "sns"), *q;
    if (!p) return -1;
    q = strchr(p, ':');
    if (!q || q == p || (size_t)(q - p) >= sizeof(out->region)) return -1;
    memcpy(out->region, p, (size_t)(q - p));
    p = q + 1;
    q = strchr(p, ':');
    if (!q || q - p != 12 || strspn(p, "0123456789") < 12) return -1;
    memcpy(out->account, p, 12);
    p = q + 1;
    q = strchr(p, ':');
    size_t tn = q ? (size_t)(q - p) : strlen(p);
    if (tn == 0 || tn >= sizeof(out->topic)) return -1;
    memcpy(out->topic, p, tn);
    for (size_t i = 0; i < tn; i++)
        if (!isalnum((unsigned char)p[i]) && p[i] != '-' && p[i] != '_' && p[i] != '.') return -1;
    if (!want_sub) return q ? -1 : 0;
    if (!q || !q[1] || strlen(q + 1) >= sizeof(out->sub) || strchr(q + 1, ':')) return -1;
    snprintf(out->sub, sizeof(out->sub), "%s", q + 1);
    return 0;
}

int sns_invalid(call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ferr_vset(c->err, 400, "InvalidParameter", "Invalid parameter: ", fmt, ap);
    va_end(ap);
    return -1;
}

int sns_topic_not_found(call *c)
{
    return ferr_set(c->err, 404, "NotFound", "Topic does not exist");
}

int sns_attributes_out(call *c, json_t *attrs, char *edp, int bad, json_t **out)
{
    bad |= edp && jset_str(attrs, "EffectiveDeliveryPolicy", edp);
    free(edp);
    if (bad) {
        json_decref(attrs);
        return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:o}", "Attributes", attrs));
    return 0;
}

int sns_set_attr(json_t *attrs, const char *name, const char *value, const char *boolean)
{
    if (!strcmp(name, boolean))
        return json_object_set_new(attrs, name,
                                   json_string(!strcasecmp(value, "true") ? "true" : "false"));
    if (value && *value) return json_object_set_new(attrs, name, json_string(value));
    json_object_del(attrs, name);
    return 0;
}

int sns_list_page(call *c, const char *kind, const char *account, const char *prefix,
                  store_list_cb cb, const char *token, long long max, const char *key,
                  const char *token_key, json_t **out)
{
    json_t *all = json_array();
    int n = store_list(c->txn, kind, account, c->region, prefix, NULL, 0, cb, all, c->err);
    if (n < 0 || (size_t)n != json_array_size(all)) {
        json_decref(all);
        return n < 0 ? -1 : ferr_oom(c->err);
    }
    *out = svc_out(c, json_object());
    int rc = *out ? svc_page(c, all, token, max, *out, key, token_key, "InvalidParameter") : -1;
    json_decref(all);
    return rc;
}

store_key sns_topic_key(const sns_arn *a)
{
    return (store_key){SNS_KIND_TOPIC, a->account, a->region, a->topic};
}

int sns_load_topic(call *c, const char *arn, const char *param, json_t **topic, sns_arn *a)
{
    /* AWS: a topic is reached through its own region's endpoint */
    if (sns_parse_arn(arn, 0, a) || (c->region && strcmp(a->region, c->region)))
        return sns_invalid(c, "%s", param);
    store_key k = sns_topic_key(a);
    int rc = store_get(c->txn, &k, topic, c->err);
    if (rc < 0) return -1;
    if (rc == 0) return sns_topic_not_found(c);
    return 0;
}

int sns_authorize(call *c, const char *action, const json_t *topic)
{
    /* AWS:SourceOwner: the account a request comes from, or that a service acts for. */
    const char *owner = json_string_value(json_object_get(c->context, "aws:SourceAccount"));
    json_t *ctx = json_pack("{s:s}", "aws:SourceOwner", owner ? owner : c->account);
    authz_req r = {.action = action,
                   .resource = json_string_value(json_object_get(topic, "TopicArn")),
                   .resource_policy = sns_topic_attr(topic, "Policy"),
                   .context = ctx,
                   .denied_code = "AuthorizationError"};
    int rc = call_authorize_ex(c, &r);
    json_decref(ctx);
    return rc;
}

char *sns_default_policy(const char *topic_arn, const char *owner)
{
    json_t *p = json_pack(
        "{s:s, s:s, s:[{s:s, s:s, s:{s:s}, s:[s,s,s,s,s,s,s,s], s:s, s:{s:{s:s}}}]}", "Version",
        "2008-10-17", "Id", "__default_policy_ID", "Statement", "Sid", "__default_statement_ID",
        "Effect", "Allow", "Principal", "AWS", "*", "Action", "SNS:GetTopicAttributes",
        "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission", "SNS:DeleteTopic",
        "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish", "Resource", topic_arn,
        "Condition", "StringEquals", "AWS:SourceOwner", owner);
    char *s = p ? json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(p);
    return s;
}

const char *sns_topic_attr(const json_t *topic, const char *name)
{
    return json_string_value(json_object_get(json_object_get(topic, "Attributes"), name));
}

int sns_is_fifo(const json_t *topic)
{
    const char *f = sns_topic_attr(topic, "FifoTopic");
    return f && !strcasecmp(f, "true");
}

static int is_bool(const char *v)
{
    return v && (!strcasecmp(v, "true") || !strcasecmp(v, "false"));
}

/* Topic attributes AWS accepts and keeps as given: delivery status logging and friends. */
static int passthrough_topic_attr(const char *name)
{
    static const char *const suffixes[] = {"FeedbackRoleArn", "SuccessFeedbackSampleRate", NULL};
    static const char *const names[] = {"KmsMasterKeyId", "DataProtectionPolicy", "ArchivePolicy",
                                        "FifoThroughputScope", NULL};
    for (const char *const *n = names; *n; n++)
        if (!strcmp(name, *n)) return 1;
    size_t ln = strlen(name);
    for (const char *const *s = suffixes; *s; s++) {
        size_t ls = strlen(*s);
        if (ln > ls && !strcmp(name + ln - ls, *s)) return 1;
    }
    return 0;
}

int sns_check_topic_attr(call *c, const char *name, const char *value, int fifo, int creating,
                         const char *prefix)
{
    if (!value) value = "";
    if (!strcmp(name, "Policy")) {
        ferr pe = {0};
        iam_policy *p = iam_policy_parse(value, strlen(value), IAM_KIND_RESOURCE, &pe);
        if (!p) return sns_invalid(c, "%sPolicy Error: %s", prefix, pe.message);
        iam_policy_free(p);
        return 0;
    }
    if (!strcmp(name, "DisplayName")) {
        /* AWS: up to 100 characters, any printable ASCII (the SMS sender name) */
        if (strlen(value) > 100) return sns_invalid(c, "%sDisplayName", prefix);
        return 0;
    }
    if (!strcmp(name, "DeliveryPolicy")) {
        if (delivery_policy_validate(value, 1, c->err)) return -1;
        return 0;
    }
    if (!strcmp(name, "FifoTopic")) {
        if (!creating)
            return sns_invalid(c, "%sFifoTopic: Cannot change the FifoTopic attribute", prefix);
        if (!is_bool(value))
            return sns_invalid(c, "%sFifoTopic: Invalid value [%s]. Must be true or false.", prefix,
                               value);
        return 0;
    }
    if (!strcmp(name, "ContentBasedDeduplication")) {
        if (!fifo)
            return sns_invalid(c,
                               "%sContentBasedDeduplication: Content based deduplication can only "
                               "be set for FIFO topics",
                               prefix);
        if (!is_bool(value))
            return sns_invalid(
                c, "%sContentBasedDeduplication: Invalid value [%s]. Must be true or false.",
                prefix, value);
        return 0;
    }
    if (!strcmp(name, "SignatureVersion")) {
        if (strcmp(value, "1") && strcmp(value, "2"))
            return sns_invalid(c, "%sSignatureVersion: Invalid value [%s]. Must be 1 or 2.", prefix,
                               value);
        return 0;
    }
    if (!strcmp(name, "TracingConfig")) {
        if (strcmp(value, "PassThrough") && strcmp(value, "Active"))
            return sns_invalid(
                c, "%sTracingConfig: Invalid value [%s]. Must be PassThrough or Active.", prefix,
                value);
        return 0;
    }
    if (passthrough_topic_attr(name)) return 0;
    return creating ? sns_invalid(c, "%sUnknown attribute %s", prefix, name)
                    : sns_invalid(c, "AttributeName");
}

int sns_check_sub_attr(call *c, const char *name, const char *value, const char *protocol,
                       const char *prefix)
{
    if (!value) value = "";
    if (!strcmp(name, "RawMessageDelivery")) {
        if (!is_bool(value))
            return sns_invalid(c,
                               "%sRawMessageDelivery: Invalid value [%s]. Must be true or false.",
                               prefix, value);
        /* AWS: raw delivery is for SQS, HTTP/S and Firehose endpoints */
        if (strcmp(protocol, "sqs") && strcmp(protocol, "http") && strcmp(protocol, "https") &&
            strcmp(protocol, "firehose"))
            return sns_invalid(c, "%sDelivery protocol [%s] does not support raw message delivery.",
                               prefix, protocol);
        return 0;
    }
    /* FilterPolicy depends on FilterPolicyScope: the callers parse it with both known */
    if (!strcmp(name, "FilterPolicy")) return 0;
    if (!strcmp(name, "FilterPolicyScope")) {
        if (strcmp(value, "MessageAttributes") && strcmp(value, "MessageBody"))
            return sns_invalid(c,
                               "%sFilterPolicyScope: Invalid value [%s]. Please use either "
                               "MessageBody or MessageAttributes",
                               prefix, value);
        return 0;
    }
    if (!strcmp(name, "RedrivePolicy")) {
        if (!*value) return 0;
        json_error_t je;
        json_t *r = json_loads(value, 0, &je);
        char dlq[512] = "";
        const char *d = json_string_value(json_object_get(r, "deadLetterTargetArn"));
        if (d) snprintf(dlq, sizeof(dlq), "%s", d);
        int ok = json_is_object(r);
        json_decref(r);
        if (!ok) return sns_invalid(c, "%sRedrivePolicy: failed to parse JSON.", prefix);
        if (!*dlq) return sns_invalid(c, "%sRedrivePolicy: deadLetterTargetArn is missing", prefix);
        if (!arn_rest(dlq, "sqs"))
            return sns_invalid(c, "%sRedrivePolicy: deadLetterTargetArn is an invalid arn", prefix);
        return 0;
    }
    if (!strcmp(name, "DeliveryPolicy")) return delivery_policy_validate(value, 0, c->err);
    if (!strcmp(name, "SubscriptionRoleArn")) {
        if (!arn_rest(value, "iam")) return sns_invalid(c, "%sSubscriptionRoleArn", prefix);
        return 0;
    }
    if (!strcmp(name, "ReplayPolicy")) return 0;
    return *prefix ? sns_invalid(c, "%sUnknown attribute %s", prefix, name)
                   : sns_invalid(c, "AttributeName");
}

/* after POST /_ferry/reset: cached subscription lists and topics describe a store that is gone */
/* SubscribeURL, UnsubscribeURL and the signing certificate (snshttp.h) */
static const svc_route routes[] = {{"POST", NULL, "/_ferry/sns/opt-out", sns_http_opt_out},
                                   {"GET HEAD", NULL, "/_ferry/sns/", sns_http_serve}};

const svc_def svc_sns = {.name = "sns",
                         .event_source = "sns.amazonaws.com",
                         .reset = sns_subs_changed,
                         .routes = routes,
                         .nroutes = sizeof(routes) / sizeof(routes[0])};
