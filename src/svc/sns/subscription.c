/* Subscriptions: subscribe (idempotent), confirm, unsubscribe, list, attributes.
 *
 * AWS: an SQS or Lambda subscription made by the endpoint's own account is confirmed at
 * once; one made for another account's endpoint, and every HTTP/S one, waits for the
 * SubscriptionConfirmation SNS sends to the endpoint to be confirmed with its token;
 * email ones wait for a human. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/log.h"
#include "engine/delivery.h"
#include "engine/delivery_policy.h"
#include "filter.h"
#include "sns_int.h"

static store_key sub_key(const sns_arn *a, char *id, size_t n)
{
    snprintf(id, n, "%s:%s", a->topic, a->sub);
    return (store_key){SNS_KIND_SUB, a->account, a->region, id};
}

typedef struct each {
    const char *prefix;
    size_t plen;
    sns_sub_cb cb;
    void *ud;
} each;

static int each_cb(void *ud, const store_key *k, json_t *doc)
{
    each *e = ud;
    if (strncmp(k->id, e->prefix, e->plen)) return 1; /* past this topic's subscriptions */
    return e->cb(e->ud, doc);
}

int sns_each_sub(call *c, const sns_arn *topic, sns_sub_cb cb, void *ud)
{
    char prefix[300];
    snprintf(prefix, sizeof(prefix), "%s:", topic->topic);
    each e = {prefix, strlen(prefix), cb, ud};
    return store_list(c->txn, SNS_KIND_SUB, topic->account, topic->region, NULL, prefix, 0, each_cb,
                      &e, c->err) < 0
               ? -1
               : 0;
}

typedef struct collecting {
    json_t *arr;
    json_t *(*map)(const json_t *sub);
    int oom;
} collecting;

static int collect_cb(void *ud, json_t *sub)
{
    collecting *x = ud;
    /* out of memory fails the whole call rather than leave one out */
    x->oom = x->map ? json_array_append_new(x->arr, x->map(sub)) : json_array_append(x->arr, sub);
    return x->oom;
}

int sns_collect_subs(call *c, const sns_arn *topic, json_t *(*map)(const json_t *sub), json_t **arr)
{
    collecting x = {json_array(), map, 0};
    int rc = !x.arr ? ferr_oom(c->err) : sns_each_sub(c, topic, collect_cb, &x);
    if (!rc && x.oom) rc = ferr_oom(c->err);
    *arr = jdone(x.arr, rc);
    return rc;
}

/* Loads a subscription by ARN: 1 found (*sub), 0 absent, -1 error (malformed ARN too). */
static int load_sub(call *c, const char *arn, json_t **sub, sns_arn *a)
{
    if (sns_parse_arn(arn, 1, a) || (c->region && strcmp(a->region, c->region)))
        return sns_invalid(c, "SubscriptionArn");
    char id[400];
    store_key k = sub_key(a, id, sizeof(id));
    return store_get(c->txn, &k, sub, c->err);
}

static int not_found_sub(call *c)
{
    return ferr_set(c->err, 404, "NotFound", "Subscription does not exist");
}

/* AWS: the subscription's owner and the topic's owner may read, change or end it. */
static int authorize_sub(call *c, const char *action, const json_t *sub, const sns_arn *a)
{
    const char *owner = jstr(sub, "Owner");
    const char *arn = jstr(sub, "SubscriptionArn");
    if ((!owner || strcmp(owner, c->account)) && strcmp(a->account, c->account))
        return ferr_set(c->err, 403, "AuthorizationError",
                        "User: %s is not authorized to perform: %s on resource: %s",
                        c->who && c->who->arn[0] ? c->who->arn : c->account, action, arn);
    return call_authorize_ex(c, &(authz_req){.action = action,
                                             .resource = arn,
                                             .resource_account = c->account,
                                             .denied_code = "AuthorizationError"});
}

static int topic_sigver(const json_t *topic)
{
    const char *v = sns_topic_attr(topic, "SignatureVersion");
    return v && !strcmp(v, "2") ? 2 : 1;
}

/* Stores a SubscriptionConfirmation or UnsubscribeConfirmation for sub and queues its
 * delivery. */
static int send_confirmation(call *c, const json_t *sub, const char *type, int sigver,
                             delivery_batch *b)
{
    sns_arn a;
    if (sns_parse_arn(jstr(sub, "SubscriptionArn"), 1, &a))
        return ferr_internal(c->err, "bad subscription");
    char mid[37], ts[32], text[1200];
    ids_uuid(mid);
    clock_iso8601(clock_now(), 1, ts);
    const char *topic = jstr(sub, "TopicArn");
    if (!strcmp(type, "SubscriptionConfirmation"))
        snprintf(text, sizeof(text),
                 "You have chosen to subscribe to the topic %s.\nTo confirm the subscription, "
                 "visit the SubscribeURL included in this message.",
                 topic);
    else
        snprintf(text, sizeof(text),
                 "You have chosen to deactivate subscription %s.\nTo cancel this operation and "
                 "restore the subscription, visit the SubscribeURL included in this message.",
                 jstr(sub, "SubscriptionArn"));
    json_t *msg = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Type", type, "MessageId", mid,
                            "TopicArn", topic, "Message", text, "Timestamp", ts, "Token",
                            jstr(sub, "Token"), "SignatureVersion", sigver == 2 ? "2" : "1");
    if (!msg) return ferr_oom(c->err);
    dlv_msg *m = delivery_message(b, a.account, a.region, msg, c->err);
    json_decref(msg);
    if (!m || delivery_to(m, jstr(sub, "SubscriptionArn"),
                          !strcmp(type, "UnsubscribeConfirmation") ? sub : NULL, c->err))
        return -1;
    return delivery_write(b, c->txn, c->err);
}

int sns_delete_sub(call *c, const json_t *sub, int notify)
{
    sns_arn a;
    const char *arn = jstr(sub, "SubscriptionArn");
    if (sns_parse_arn(arn, 1, &a)) return 0;
    char id[400];
    store_key k = sub_key(&a, id, sizeof(id));
    if (store_del(c->txn, &k, c->err) < 0) return -1;
    store_key ik = {SNS_KIND_MYSUB, jstr(sub, "Owner"), a.region, arn};
    if (ik.account && store_del(c->txn, &ik, c->err) < 0) return -1;
    const char *proto = jstr(sub, "Protocol");
    if (notify && json_is_true(json_object_get(sub, "Confirmed")) && proto &&
        (!strcmp(proto, "http") || !strcmp(proto, "https"))) {
        /* AWS sends HTTP/S endpoints an UnsubscribeConfirmation */
        delivery_batch b = {0};
        json_t *topic = NULL;
        store_key tk = {SNS_KIND_TOPIC, a.account, a.region, a.topic};
        if (store_get(c->txn, &tk, &topic, c->err) < 0) return -1;
        int rc = send_confirmation(c, sub, "UnsubscribeConfirmation", topic_sigver(topic), &b);
        json_decref(topic);
        if (rc) {
            delivery_batch_dispose(&b);
            return -1;
        }
        delivery_submit(c->env, &b);
    }
    call_resource(c, "AWS::SNS::Subscription", arn);
    return 0;
}

/* ---- Subscribe ---- */

static int valid_protocol(const char *p)
{
    static const char *const protos[] = {"http", "https",       "email",  "email-json", "sms",
                                         "sqs",  "application", "lambda", "firehose",   NULL};
    for (const char *const *x = protos; *x; x++)
        if (p && !strcmp(p, *x)) return 1;
    return 0;
}

/* Account of an ARN's fifth field, copied into out (13 bytes); 0 or -1. */
static int arn_field(const char *arn, int field, char *out, size_t n)
{
    const char *p = arn;
    for (int i = 0; i < field; i++) {
        p = strchr(p, ':');
        if (!p) return -1;
        p++;
    }
    const char *end = strchr(p, ':');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (!len || len >= n) return -1;
    memcpy(out, p, len);
    out[len] = 0;
    return 0;
}

static int check_endpoint(call *c, const char *proto, const char *ep, int fifo)
{
    if (!ep || !*ep) return sns_invalid(c, "Endpoint");
    if (!strcmp(proto, "http") || !strcmp(proto, "https")) {
        size_t n = strlen(proto);
        if (strncmp(ep, proto, n) || strncmp(ep + n, "://", 3) || !ep[n + 3])
            return sns_invalid(c, "Endpoint must match the specified protocol");
    } else if (!strcmp(proto, "sqs")) {
        char acct[32], name[128];
        if (!arn_rest(ep, "sqs") || arn_field(ep, 4, acct, sizeof(acct)) ||
            arn_field(ep, 5, name, sizeof(name)) || strlen(acct) != 12)
            return sns_invalid(c, "SQS endpoint ARN");
        size_t nl = strlen(name);
        int qfifo = nl > 5 && !strcmp(name + nl - 5, ".fifo");
        /* AWS: FIFO topics deliver to FIFO queues, standard topics to standard queues */
        if (fifo && !qfifo)
            return sns_invalid(c, "Invalid parameter: Endpoint Reason: Please use FIFO SQS queue");
        if (!fifo && qfifo)
            return sns_invalid(c, "Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be "
                                  "subscribed to standard SNS topics");
    } else if (!strcmp(proto, "lambda")) {
        if (!arn_rest(ep, "lambda")) return sns_invalid(c, "Lambda endpoint ARN");
    } else if (!strcmp(proto, "email") || !strcmp(proto, "email-json")) {
        const char *at = strchr(ep, '@');
        if (!at || at == ep || !strchr(at, '.')) return sns_invalid(c, "Email address");
    } else if (!strcmp(proto, "sms")) {
        size_t d = strspn(ep + (ep[0] == '+'), "0123456789");
        if (d < 5 || d > 15 || ep[(ep[0] == '+') + d]) return sns_invalid(c, "SMS endpoint");
    } else if (!strcmp(proto, "application")) {
        if (!arn_rest(ep, "sns")) return sns_invalid(c, "Application endpoint arn invalid");
    } else if (!strcmp(proto, "firehose")) {
        if (!arn_rest(ep, "firehose")) return sns_invalid(c, "Firehose endpoint ARN");
    }
    if (fifo && strcmp(proto, "sqs")) return sns_invalid(c, "Invalid protocol type: %s", proto);
    return 0;
}

/* Checks FilterPolicy under the scope it will have. */
static int check_filter(call *c, const char *policy, const char *scope, const char *prefix)
{
    if (!policy || !*policy) return 0;
    ferr fe = {0};
    int sc = scope && !strcmp(scope, "MessageBody") ? SNS_SCOPE_BODY : SNS_SCOPE_ATTRIBUTES;
    sns_filter *f = sns_filter_parse(policy, strlen(policy), sc, prefix, &fe);
    if (!f) {
        *c->err = fe;
        return -1;
    }
    sns_filter_free(f);
    return 0;
}

typedef struct find_sub {
    const char *proto, *endpoint, *token;
    json_t *found;
} find_sub;

static int find_cb(void *ud, json_t *sub)
{
    find_sub *f = ud;
    if (f->token ? !strcmp(jstr(sub, "Token") ? jstr(sub, "Token") : "", f->token)
                 : !strcmp(jstr(sub, "Protocol"), f->proto) &&
                       !strcmp(jstr(sub, "Endpoint"), f->endpoint)) {
        f->found = json_incref(sub);
        return 1;
    }
    return 0;
}

static const char *pending_arn(json_t *in, const json_t *sub)
{
    return jbool(in, "ReturnSubscriptionArn", 0) || json_is_true(json_object_get(sub, "Confirmed"))
               ? jstr(sub, "SubscriptionArn")
               : "pending confirmation";
}

static int resend(call *c, const json_t *sub, const json_t *topic)
{
    const char *p = jstr(sub, "Protocol");
    if (strcmp(p, "http") && strcmp(p, "https") && strcmp(p, "sqs") && strcmp(p, "lambda")) {
        if (!strcmp(p, "email") || !strcmp(p, "email-json"))
            log_info("sns: confirmation for %s is not emailed; confirm with ConfirmSubscription "
                     "TopicArn=%s Token=%s",
                     jstr(sub, "Endpoint"), jstr(sub, "TopicArn"), jstr(sub, "Token"));
        return 0;
    }
    delivery_batch b = {0};
    if (send_confirmation(c, sub, "SubscriptionConfirmation", topic_sigver(topic), &b)) {
        delivery_batch_dispose(&b);
        return -1;
    }
    delivery_submit(c->env, &b);
    return 0;
}

int sns_op_subscribe(call *c, json_t *in, json_t **out)
{
    const char *proto = jstr(in, "Protocol"), *ep = jstr(in, "Endpoint");
    json_t *attrs = json_object_get(in, "Attributes");
    const char *prefix = "Attributes Reason: ";
    json_t *topic;
    sns_arn a;
    if (sns_load_topic(c, jstr(in, "TopicArn"), "TopicArn", &topic, &a)) return -1;
    json_t *sub = NULL;
    int rc = sns_authorize(c, "SNS:Subscribe", topic);
    if (rc) goto out;
    if (!valid_protocol(proto)) {
        rc = sns_invalid(c, "Amazon SNS does not support this protocol string: %s",
                         proto ? proto : "");
        goto out;
    }
    if ((rc = check_endpoint(c, proto, ep, sns_is_fifo(topic)))) goto out;
    const char *k;
    json_t *v;
    json_object_foreach(attrs, k, v) {
        if ((rc = sns_check_sub_attr(c, k, json_string_value(v), proto, prefix))) goto out;
    }
    if ((rc = check_filter(c, jstr(attrs, "FilterPolicy"), jstr(attrs, "FilterPolicyScope"),
                           "Invalid parameter: Attributes Reason: ")))
        goto out;

    find_sub f = {proto, ep, NULL, NULL};
    if ((rc = sns_each_sub(c, &a, find_cb, &f))) goto out;
    if (f.found) {
        /* AWS: subscribing the same endpoint again answers the same subscription, unless
         * the attributes differ */
        sub = f.found;
        json_t *have = json_object_get(sub, "Attributes");
        json_object_foreach(attrs, k, v) {
            const char *hv = jstr(have, k), *wv = json_string_value(v);
            if (!(hv ? wv && !strcmp(hv, wv) : !wv || !*wv)) {
                rc = sns_invalid(
                    c, "Attributes Reason: Subscription already exists with different attributes");
                goto out;
            }
        }
        if (!json_is_true(json_object_get(sub, "Confirmed")) && (rc = resend(c, sub, topic)))
            goto out;
        *out = svc_out(c, json_pack("{s:s}", "SubscriptionArn", pending_arn(in, sub)));
        goto out;
    }

    char uuid[37], arn[512], token[129], id[400];
    ids_uuid(uuid);
    ids_hex(token, 128);
    snprintf(arn, sizeof(arn), "%s:%s", jstr(topic, "TopicArn"), uuid);
    /* confirmed at once: the caller's own queue or function, SMS, push, Firehose */
    int confirmed = 1;
    if (!strcmp(proto, "sqs") || !strcmp(proto, "lambda")) {
        char acct[32];
        confirmed = !arn_field(ep, 4, acct, sizeof(acct)) && !strcmp(acct, c->account);
    } else if (!strcmp(proto, "http") || !strcmp(proto, "https") || !strcmp(proto, "email") ||
               !strcmp(proto, "email-json")) {
        confirmed = 0;
    }
    json_t *stored = json_object();
    int bad = !stored;
    json_object_foreach(attrs, k, v) {
        const char *s = json_string_value(v);
        if (!strcmp(k, "RawMessageDelivery"))
            bad |= json_object_set_new(stored, k,
                                       json_string(!strcasecmp(s, "true") ? "true" : "false"));
        else if (s && *s)
            bad |= json_object_set_new(stored, k, json_string(s));
    }
    if (bad) {
        json_decref(stored);
        rc = ferr_oom(c->err);
        goto out;
    }
    sub = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:o, s:b, s:b, s:f}", "SubscriptionArn",
                    arn, "TopicArn", jstr(topic, "TopicArn"), "Owner", c->account, "Protocol",
                    proto, "Endpoint", ep, "Confirmed", confirmed, "Token", token, "Attributes",
                    stored, "ConfirmationWasAuthenticated", confirmed, "AuthenticateOnUnsubscribe",
                    0, "Created", clock_now());
    if (!sub) {
        rc = ferr_oom(c->err);
        goto out;
    }
    sns_arn sa;
    sns_parse_arn(arn, 1, &sa);
    store_key sk = sub_key(&sa, id, sizeof(id));
    store_key ik = {SNS_KIND_MYSUB, c->account, a.region, arn};
    json_t *idx = json_pack("{s:s, s:s}", "TopicAccount", a.account, "Key", id);
    rc = store_put(c->txn, &sk, sub, c->err);
    if (!rc) rc = store_put(c->txn, &ik, idx, c->err);
    json_decref(idx);
    if (!rc && !confirmed) rc = resend(c, sub, topic);
    if (rc) goto out;
    call_resource(c, "AWS::SNS::Subscription", arn);
    *out = svc_out(c, json_pack("{s:s}", "SubscriptionArn", pending_arn(in, sub)));
out:
    json_decref(sub);
    json_decref(topic);
    return rc;
}

/* Confirms the pending subscription of topic arn with token. */
static int confirm(call *c, json_t *in, json_t **out, int authenticated)
{
    const char *token = jstr(in, "Token");
    json_t *topic;
    sns_arn a;
    if (sns_load_topic(c, jstr(in, "TopicArn"), "TopicArn", &topic, &a)) return -1;
    json_decref(topic);
    if (authenticated && call_authorize_ex(c, &(authz_req){.action = "SNS:ConfirmSubscription",
                                                           .resource = jstr(in, "TopicArn"),
                                                           .resource_account = c->account,
                                                           .denied_code = "AuthorizationError"}))
        return -1;
    find_sub f = {NULL, NULL, token ? token : "", NULL};
    if (!token || !*token) return sns_invalid(c, "Token");
    if (sns_each_sub(c, &a, find_cb, &f)) return -1;
    if (!f.found) return sns_invalid(c, "Invalid token");
    json_t *sub = f.found;
    int rc = 0;
    if (!json_is_true(json_object_get(sub, "Confirmed"))) {
        const char *aou = jstr(in, "AuthenticateOnUnsubscribe");
        int bad =
            json_object_set_new(sub, "Confirmed", json_true()) ||
            json_object_set_new(sub, "ConfirmationWasAuthenticated", json_boolean(authenticated)) ||
            json_object_set_new(sub, "AuthenticateOnUnsubscribe",
                                json_boolean(authenticated && aou && !strcasecmp(aou, "true")));
        sns_arn sa;
        char id[400];
        sns_parse_arn(jstr(sub, "SubscriptionArn"), 1, &sa);
        store_key k = sub_key(&sa, id, sizeof(id));
        rc = bad ? ferr_oom(c->err) : store_put(c->txn, &k, sub, c->err);
    }
    if (!rc) {
        call_resource(c, "AWS::SNS::Subscription", jstr(sub, "SubscriptionArn"));
        *out = svc_out(c, json_pack("{s:s}", "SubscriptionArn", jstr(sub, "SubscriptionArn")));
    }
    json_decref(sub);
    return rc;
}

int sns_op_confirm_subscription(call *c, json_t *in, json_t **out)
{
    return confirm(c, in, out, 1);
}

int sns_confirm_by_token(call *c, json_t *in, json_t **out)
{
    return confirm(c, in, out, 0);
}

static int unsubscribe(call *c, json_t *in, int authenticated)
{
    json_t *sub = NULL;
    sns_arn a;
    const char *arn = jstr(in, "SubscriptionArn");
    int rc = load_sub(c, arn, &sub, &a);
    if (rc < 0) return -1;
    if (rc == 0) {
        /* AWS: unsubscribing twice is not an error */
        if (!authenticated) return not_found_sub(c);
        return call_authorize_ex(c, &(authz_req){.action = "SNS:Unsubscribe",
                                                 .resource = arn,
                                                 .resource_account = c->account,
                                                 .denied_code = "AuthorizationError"});
    }
    rc = 0;
    if (authenticated)
        rc = authorize_sub(c, "SNS:Unsubscribe", sub, &a);
    else if (json_is_true(json_object_get(sub, "AuthenticateOnUnsubscribe")))
        rc = ferr_set(c->err, 403, "AuthorizationError",
                      "This subscription requires an authenticated Unsubscribe request.");
    if (!rc) rc = sns_delete_sub(c, sub, 1);
    if (!rc) {
        json_t *topic = NULL;
        store_key tk = {SNS_KIND_TOPIC, a.account, a.region, a.topic};
        rc = store_get(c->txn, &tk, &topic, c->err) < 0 ? -1 : 0;
        if (topic) {
            rc = json_object_set_new(topic, "SubscriptionsDeleted",
                                     json_integer(jint(topic, "SubscriptionsDeleted", 0) + 1))
                     ? ferr_oom(c->err)
                     : store_put(c->txn, &tk, topic, c->err);
            json_decref(topic);
        }
    }
    json_decref(sub);
    return rc;
}

int sns_op_unsubscribe(call *c, json_t *in, json_t **out)
{
    (void)out;
    return unsubscribe(c, in, 1);
}

int sns_unsubscribe_by_url(call *c, json_t *in, json_t **out)
{
    (void)out; /* Unsubscribe answers no result, only its metadata */
    return unsubscribe(c, in, 0);
}

/* ---- listing and attributes ---- */

static json_t *summary(const json_t *sub)
{
    int ok = json_is_true(json_object_get(sub, "Confirmed"));
    return json_pack("{s:s, s:O, s:O, s:O, s:O}", "SubscriptionArn",
                     ok ? jstr(sub, "SubscriptionArn") : "PendingConfirmation", "Owner",
                     json_object_get(sub, "Owner"), "Protocol", json_object_get(sub, "Protocol"),
                     "Endpoint", json_object_get(sub, "Endpoint"), "TopicArn",
                     json_object_get(sub, "TopicArn"));
}

int sns_op_list_subscriptions_by_topic(call *c, json_t *in, json_t **out)
{
    json_t *topic;
    sns_arn a;
    if (sns_load_topic(c, jstr(in, "TopicArn"), "TopicArn", &topic, &a)) return -1;
    int rc = sns_authorize(c, "SNS:ListSubscriptionsByTopic", topic);
    json_decref(topic);
    if (rc) return -1;
    json_t *all = NULL;
    rc = sns_collect_subs(c, &a, summary, &all);
    if (!rc) {
        *out = svc_out(c, json_object());
        rc = svc_page(c, all, jstr(in, "NextToken"), SNS_PAGE, *out, "Subscriptions", "NextToken",
                      "InvalidParameter");
    }
    json_decref(all);
    return rc;
}

typedef struct mine {
    call *c;
    json_t *arr;
    int rc;
} mine;

static int mine_cb(void *ud, const store_key *k, json_t *doc)
{
    mine *m = ud;
    store_key sk = {SNS_KIND_SUB, jstr(doc, "TopicAccount"), k->region, jstr(doc, "Key")};
    json_t *sub = NULL;
    if (!sk.account || !sk.id) return 0;
    int rc = store_get(m->c->txn, &sk, &sub, m->c->err);
    if (rc < 0) {
        m->rc = -1;
        return 1;
    }
    if (rc == 1 && json_array_append_new(m->arr, summary(sub))) {
        json_decref(sub);
        m->rc = ferr_oom(m->c->err);
        return 1;
    }
    json_decref(sub);
    return 0;
}

int sns_op_list_subscriptions(call *c, json_t *in, json_t **out)
{
    if (call_authorize_ex(c, &(authz_req){.action = "SNS:ListSubscriptions",
                                          .resource = "*",
                                          .denied_code = "AuthorizationError"}))
        return -1;
    mine m = {c, json_array(), 0};
    int rc = store_list(c->txn, SNS_KIND_MYSUB, c->account, c->region, NULL, NULL, 0, mine_cb, &m,
                        c->err) < 0 ||
                     m.rc
                 ? -1
                 : 0;
    if (!rc) {
        *out = svc_out(c, json_object());
        rc = svc_page(c, m.arr, jstr(in, "NextToken"), SNS_PAGE, *out, "Subscriptions", "NextToken",
                      "InvalidParameter");
    }
    json_decref(m.arr);
    return rc;
}

int sns_op_get_subscription_attributes(call *c, json_t *in, json_t **out)
{
    json_t *sub = NULL;
    sns_arn a;
    int rc = load_sub(c, jstr(in, "SubscriptionArn"), &sub, &a);
    if (rc < 0) return -1;
    if (rc == 0) return not_found_sub(c);
    if (authorize_sub(c, "SNS:GetSubscriptionAttributes", sub, &a)) {
        json_decref(sub);
        return -1;
    }
    json_t *attrs = json_deep_copy(json_object_get(sub, "Attributes"));
    const char *proto = jstr(sub, "Protocol");
    int bad = !attrs;
    bad |= jset_str(attrs, "SubscriptionArn", jstr(sub, "SubscriptionArn"));
    bad |= jset_str(attrs, "TopicArn", jstr(sub, "TopicArn"));
    bad |= jset_str(attrs, "Owner", jstr(sub, "Owner"));
    bad |= jset_str(attrs, "Protocol", proto);
    bad |= jset_str(attrs, "Endpoint", jstr(sub, "Endpoint"));
    bad |= jset_str(attrs, "PendingConfirmation",
                    json_is_true(json_object_get(sub, "Confirmed")) ? "false" : "true");
    bad |= jset_str(attrs, "ConfirmationWasAuthenticated",
                    json_is_true(json_object_get(sub, "ConfirmationWasAuthenticated")) ? "true"
                                                                                       : "false");
    if (!json_object_get(attrs, "RawMessageDelivery"))
        bad |= jset_str(attrs, "RawMessageDelivery", "false");
    if (json_object_get(attrs, "FilterPolicy") && !json_object_get(attrs, "FilterPolicyScope"))
        bad |= jset_str(attrs, "FilterPolicyScope", "MessageAttributes");
    char principal[64];
    arn_root(principal, sizeof(principal), jstr(sub, "Owner"), a.region);
    bad |= jset_str(attrs, "SubscriptionPrincipal", principal);
    char *edp = NULL;
    if (!strcmp(proto, "http") || !strcmp(proto, "https")) {
        json_t *topic = NULL;
        store_key tk = {SNS_KIND_TOPIC, a.account, a.region, a.topic};
        if (store_get(c->txn, &tk, &topic, c->err) < 0) {
            json_decref(attrs);
            json_decref(sub);
            return -1;
        }
        delivery_policy dp;
        delivery_policy_effective(sns_topic_attr(topic, "DeliveryPolicy"),
                                  jstr(json_object_get(sub, "Attributes"), "DeliveryPolicy"), &dp);
        edp = delivery_policy_sub_effective_json(&dp);
        bad |= !edp;
        json_decref(topic);
    }
    json_decref(sub);
    return sns_attributes_out(c, attrs, edp, bad, out);
}

int sns_op_set_subscription_attributes(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *sub = NULL;
    sns_arn a;
    const char *name = jstr(in, "AttributeName"), *value = jstr(in, "AttributeValue");
    int rc = load_sub(c, jstr(in, "SubscriptionArn"), &sub, &a);
    if (rc < 0) return -1;
    if (rc == 0) return not_found_sub(c);
    json_t *attrs = json_object_get(sub, "Attributes");
    rc = authorize_sub(c, "SNS:SetSubscriptionAttributes", sub, &a);
    if (!rc) rc = sns_check_sub_attr(c, name, value, jstr(sub, "Protocol"), "");
    if (!rc && !strcmp(name, "FilterPolicy"))
        rc = check_filter(c, value, jstr(attrs, "FilterPolicyScope"), "Invalid parameter: ");
    if (!rc && !strcmp(name, "FilterPolicyScope"))
        rc = check_filter(c, jstr(attrs, "FilterPolicy"), value, "Invalid parameter: ");
    if (!rc) {
        rc = sns_set_attr(attrs, name, value, "RawMessageDelivery");
        char id[400];
        store_key k = sub_key(&a, id, sizeof(id));
        rc = rc ? ferr_oom(c->err) : store_put(c->txn, &k, sub, c->err);
        call_resource(c, "AWS::SNS::Subscription", jstr(sub, "SubscriptionArn"));
    }
    json_decref(sub);
    return rc;
}
