/* Topics: create (idempotent), delete, list, attributes, permissions, tags. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/checked.h"
#include "engine/delivery.h"
#include "engine/delivery_policy.h"
#include "sns_int.h"

#define MAX_TAGS 50

/* AWS: "Topic names must be made up of only uppercase and lowercase ASCII letters,
 * numbers, underscores, and hyphens, and must be between 1 and 256 characters long";
 * FIFO topic names end in ".fifo". */
static int valid_name(const char *n, int fifo)
{
    size_t len = strlen(n), base = len;
    if (fifo) {
        if (len < 6 || strcmp(n + len - 5, ".fifo")) return 0;
        base = len - 5;
    }
    if (len < 1 || len > 256 || base < 1) return 0;
    for (size_t i = 0; i < base; i++)
        if (!isalnum((unsigned char)n[i]) && n[i] != '-' && n[i] != '_') return 0;
    return 1;
}

static int check_tags(call *c, const json_t *tags)
{
    size_t i;
    const json_t *t;
    json_array_foreach(tags, i, t) {
        const char *k = jstr(t, "Key"), *v = jstr(t, "Value");
        if (!k || !*k || strlen(k) > 128)
            return sns_invalid(c, "Tags Reason: Tag keys must be between 1 and 128 characters");
        /* AWS reserves "aws:" keys for its services: CloudFormation puts its
         * aws:cloudformation:* tags on the topics it makes (internal calls here) */
        if (!strncmp(k, "aws:", 4) && c->caller == CALLER_CLIENT)
            return sns_invalid(c, "Tags Reason: Tag keys must not start with 'aws:'");
        if (v && strlen(v) > 256)
            return sns_invalid(c, "Tags Reason: Tag values must be at most 256 characters");
    }
    return 0;
}

/* Merges tags [{Key, Value}] into the topic's Tags object. */
static int add_tags(call *c, json_t *topic, const json_t *tags)
{
    json_t *have = json_object_get(topic, "Tags");
    if (!json_is_object(have)) {
        have = json_object();
        if (json_object_set_new(topic, "Tags", have)) return ferr_oom(c->err);
    }
    size_t i;
    const json_t *t;
    json_array_foreach(tags, i, t)
        if (json_object_set_new(have, jstr(t, "Key"),
                                json_string(jstr(t, "Value") ? jstr(t, "Value") : "")))
            return ferr_oom(c->err);
    if (json_object_size(have) > MAX_TAGS)
        return ferr_set(c->err, 400, "TagLimitExceeded",
                        "Could not complete request: tag quota of per resource exceeded");
    return 0;
}

int sns_op_create_topic(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "Name");
    json_t *attrs = json_object_get(in, "Attributes"), *tags = json_object_get(in, "Tags");
    const char *fifo_s = jstr(attrs, "FifoTopic");
    int fifo = fifo_s && !strcasecmp(fifo_s, "true");
    const char *prefix = "Attributes Reason: ";
    if (!name) return sns_invalid(c, "Name");
    if (!valid_name(name, fifo)) {
        if (fifo)
            return sns_invalid(c,
                               "Fifo Topic names must end with .fifo and must be made up of only "
                               "uppercase and lowercase ASCII letters, numbers, underscores, and "
                               "hyphens, and must be between 1 and 256 characters long.");
        return sns_invalid(c, "Topic Name");
    }
    char arn[384];
    snprintf(arn, sizeof(arn), "arn:%s:sns:%s:%s:%s", arn_partition(c->region), c->region,
             c->account, name);
    if (call_authorize_ex(c, &(authz_req){.action = "SNS:CreateTopic",
                                          .resource = arn,
                                          .denied_code = "AuthorizationError"}))
        return -1;
    const char *k;
    json_t *v;
    json_object_foreach(attrs, k, v) {
        if (sns_check_topic_attr(c, k, json_string_value(v), fifo, 1, prefix)) return -1;
    }
    if (check_tags(c, tags)) return -1;
    const char *dpp = jstr(in, "DataProtectionPolicy");

    sns_arn a = {0};
    sns_parse_arn(arn, 0, &a);
    store_key key = sns_topic_key(&a);
    json_t *topic = NULL;
    int rc = store_get(c->txn, &key, &topic, c->err);
    if (rc < 0) return -1;
    if (rc == 1) {
        /* AWS: CreateTopic is idempotent; the same name with other attributes or tags is
         * refused. */
        int same = 1;
        json_object_foreach(attrs, k, v) {
            const char *have = sns_topic_attr(topic, k);
            const char *want = json_string_value(v);
            if (!strcmp(k, "FifoTopic") || !strcmp(k, "ContentBasedDeduplication"))
                same &= have && want && !strcasecmp(have, want);
            else
                same &= have ? want && !strcmp(have, want) : !want || !*want;
        }
        if (!same) {
            json_decref(topic);
            return sns_invalid(c,
                               "Attributes Reason: Topic already exists with different attributes");
        }
        size_t i;
        const json_t *t;
        json_t *have_tags = json_object_get(topic, "Tags");
        json_array_foreach(tags, i, t) {
            const char *hv = json_string_value(json_object_get(have_tags, jstr(t, "Key")));
            const char *wv = jstr(t, "Value") ? jstr(t, "Value") : "";
            if (!hv || strcmp(hv, wv)) same = 0;
        }
        json_decref(topic);
        if (!same) return sns_invalid(c, "Tags Reason: Topic already exists with different tags");
        *out = svc_out(c, json_pack("{s:s}", "TopicArn", arn));
        return 0;
    }
    json_t *stored = json_object();
    int bad = !stored;
    json_object_foreach(attrs, k, v) {
        const char *s = json_string_value(v);
        if (!strcmp(k, "FifoTopic") || !strcmp(k, "ContentBasedDeduplication"))
            bad |= json_object_set_new(stored, k,
                                       json_string(s && !strcasecmp(s, "true") ? "true" : "false"));
        else if (s && *s)
            bad |= json_object_set_new(stored, k, json_string(s));
    }
    if (!fifo) json_object_del(stored, "FifoTopic");
    if (fifo && !json_object_get(stored, "ContentBasedDeduplication"))
        bad |= json_object_set_new(stored, "ContentBasedDeduplication", json_string("false"));
    if (!json_object_get(stored, "Policy")) {
        char *pol = sns_default_policy(arn, c->account);
        bad |= json_object_set_new(stored, "Policy", json_string(pol));
        free(pol);
    }
    if (dpp && *dpp) bad |= json_object_set_new(stored, "DataProtectionPolicy", json_string(dpp));
    if (bad) {
        json_decref(stored);
        return ferr_oom(c->err);
    }
    topic =
        json_pack("{s:s, s:s, s:s, s:o, s:{}, s:i, s:i}", "Name", name, "TopicArn", arn, "Owner",
                  c->account, "Attributes", stored, "Tags", "SubscriptionsDeleted", 0, "Seq", 0);
    rc = !topic ? ferr_oom(c->err) : add_tags(c, topic, tags);
    if (!rc) rc = store_put(c->txn, &key, topic, c->err);
    json_decref(topic);
    if (rc) return -1;
    call_resource(c, "AWS::SNS::Topic", arn);
    *out = svc_out(c, json_pack("{s:s}", "TopicArn", arn));
    return 0;
}

int sns_op_delete_topic(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *arn = jstr(in, "TopicArn");
    sns_arn a;
    if (sns_parse_arn(arn, 0, &a) || strcmp(a.region, c->region)) return sns_invalid(c, "TopicArn");
    store_key key = sns_topic_key(&a);
    json_t *topic = NULL;
    int rc = store_get(c->txn, &key, &topic, c->err);
    if (rc < 0) return -1;
    if (rc == 0) {
        /* AWS: "deleting a topic that does not exist does not result in an error" */
        return call_authorize_ex(c, &(authz_req){.action = "SNS:DeleteTopic",
                                                 .resource = arn,
                                                 .denied_code = "AuthorizationError"});
    }
    if (sns_authorize(c, "SNS:DeleteTopic", topic)) {
        json_decref(topic);
        return -1;
    }
    json_decref(topic);
    json_t *subs = NULL;
    rc = sns_collect_subs(c, &a, NULL, &subs);
    size_t i;
    json_t *s;
    json_array_foreach(subs, i, s) {
        if (!rc) rc = sns_delete_sub(c, s, 0);
    }
    json_decref(subs);
    if (rc) return -1;
    if (store_del(c->txn, &key, c->err) < 0) return -1;
    call_resource(c, "AWS::SNS::Topic", arn);
    return 0;
}

static int list_topic_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    /* out of memory stops the listing short: the caller compares counts */
    return json_array_append_new(ud,
                                 json_pack("{s:O}", "TopicArn", json_object_get(doc, "TopicArn")));
}

int sns_op_list_topics(call *c, json_t *in, json_t **out)
{
    if (call_authorize_ex(c, &(authz_req){.action = "SNS:ListTopics",
                                          .resource = "*",
                                          .denied_code = "AuthorizationError"}))
        return -1;
    json_t *all = json_array();
    int n = store_list(c->txn, SNS_KIND_TOPIC, c->account, c->region, NULL, NULL, 0, list_topic_cb,
                       all, c->err);
    if (n < 0 || (size_t)n != json_array_size(all)) {
        json_decref(all);
        return n < 0 ? -1 : ferr_oom(c->err);
    }
    *out = svc_out(c, json_object());
    int rc = svc_page(c, all, jstr(in, "NextToken"), SNS_PAGE, *out, "Topics", "NextToken",
                      "InvalidParameter");
    json_decref(all);
    return rc;
}

typedef struct counts {
    int confirmed, pending;
} counts;

static int count_sub(void *ud, json_t *sub)
{
    counts *n = ud;
    if (json_is_true(json_object_get(sub, "Confirmed")))
        n->confirmed++;
    else
        n->pending++;
    return 0;
}

int sns_op_get_topic_attributes(call *c, json_t *in, json_t **out)
{
    json_t *topic;
    sns_arn a;
    if (sns_load_topic(c, jstr(in, "TopicArn"), "TopicArn", &topic, &a)) return -1;
    if (sns_authorize(c, "SNS:GetTopicAttributes", topic)) {
        json_decref(topic);
        return -1;
    }
    counts n = {0, 0};
    if (sns_each_sub(c, &a, count_sub, &n)) {
        json_decref(topic);
        return -1;
    }
    json_t *attrs = json_deep_copy(json_object_get(topic, "Attributes"));
    char num[32];
    int rc = !attrs || jset_str(attrs, "TopicArn", jstr(topic, "TopicArn")) ||
             jset_str(attrs, "Owner", jstr(topic, "Owner"));
    if (!json_object_get(attrs, "DisplayName")) rc |= jset_str(attrs, "DisplayName", "");
    snprintf(num, sizeof(num), "%d", n.confirmed);
    rc |= jset_str(attrs, "SubscriptionsConfirmed", num);
    snprintf(num, sizeof(num), "%d", n.pending);
    rc |= jset_str(attrs, "SubscriptionsPending", num);
    snprintf(num, sizeof(num), "%lld", jint(topic, "SubscriptionsDeleted", 0));
    rc |= jset_str(attrs, "SubscriptionsDeleted", num);
    char *edp = delivery_policy_topic_effective_json(sns_topic_attr(topic, "DeliveryPolicy"));
    json_decref(topic);
    return sns_attributes_out(c, attrs, edp, rc || !edp, out);
}

int sns_op_set_topic_attributes(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *topic;
    sns_arn a;
    const char *name = jstr(in, "AttributeName"), *value = jstr(in, "AttributeValue");
    if (sns_load_topic(c, jstr(in, "TopicArn"), "TopicArn", &topic, &a)) return -1;
    int rc = sns_authorize(c, "SNS:SetTopicAttributes", topic);
    if (!rc) rc = sns_check_topic_attr(c, name, value, sns_is_fifo(topic), 0, "");
    if (!rc) {
        json_t *attrs = json_object_get(topic, "Attributes");
        rc = sns_set_attr(attrs, name, value, "ContentBasedDeduplication");
        store_key k = sns_topic_key(&a);
        rc = rc ? ferr_oom(c->err) : store_put(c->txn, &k, topic, c->err);
        call_resource(c, "AWS::SNS::Topic", jstr(topic, "TopicArn"));
    }
    json_decref(topic);
    return rc;
}

/* The topic's Policy as a document, or a fresh empty one. */
static json_t *policy_doc(const json_t *topic)
{
    const char *p = sns_topic_attr(topic, "Policy");
    json_error_t je;
    json_t *doc = p ? json_loads(p, 0, &je) : NULL;
    if (!json_is_object(doc)) {
        json_decref(doc);
        doc = json_pack("{s:s, s:s, s:[]}", "Version", "2008-10-17", "Id", "__default_policy_ID",
                        "Statement");
    }
    if (doc && !json_is_array(json_object_get(doc, "Statement"))) {
        json_t *one = json_object_get(doc, "Statement");
        return jdone(
            doc, json_object_set_new(doc, "Statement", one ? json_pack("[O]", one) : json_array()));
    }
    return doc;
}

static int save_policy(call *c, json_t *topic, const sns_arn *a, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text) return ferr_oom(c->err);
    int rc = sns_check_topic_attr(c, "Policy", text, 0, 0, "");
    if (!rc) {
        store_key k = sns_topic_key(a);
        rc = json_object_set_new(json_object_get(topic, "Attributes"), "Policy", json_string(text))
                 ? ferr_oom(c->err)
                 : store_put(c->txn, &k, topic, c->err);
    }
    free(text);
    return rc;
}

static int valid_label(const char *l)
{
    size_t n = l ? strlen(l) : 0;
    if (n < 1 || n > 80) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)l[i]) && l[i] != '-' && l[i] != '_') return 0;
    return 1;
}

/* AWS: AddPermission "adds a statement to a topic's access control policy, granting
 * access for the specified Amazon Web Services accounts to the specified actions". */
int sns_op_add_permission(call *c, json_t *in, json_t **out)
{
    (void)out;
    static const char *const actions[] = {"AddPermission",
                                          "DeleteTopic",
                                          "GetTopicAttributes",
                                          "ListSubscriptionsByTopic",
                                          "ListTopics",
                                          "Publish",
                                          "Receive",
                                          "RemovePermission",
                                          "SetTopicAttributes",
                                          "Subscribe",
                                          "ConfirmSubscription",
                                          "GetSubscriptionAttributes",
                                          "SetSubscriptionAttributes",
                                          "Unsubscribe",
                                          "ListSubscriptions",
                                          "CreateTopic",
                                          "ListTagsForResource",
                                          "TagResource",
                                          "UntagResource",
                                          NULL};
    json_t *topic;
    sns_arn a;
    const char *label = jstr(in, "Label");
    json_t *accts = json_object_get(in, "AWSAccountId"), *acts = json_object_get(in, "ActionName");
    if (sns_load_topic(c, jstr(in, "TopicArn"), "TopicArn", &topic, &a)) return -1;
    json_t *doc = NULL, *principals = json_array(), *alist = json_array();
    int rc = sns_authorize(c, "SNS:AddPermission", topic);
    if (rc) goto out;
    if (!valid_label(label)) {
        rc = sns_invalid(c, "Label");
        goto out;
    }
    if (!json_array_size(accts) || !json_array_size(acts)) {
        rc = sns_invalid(c, json_array_size(accts) ? "ActionName" : "AWSAccountId");
        goto out;
    }
    size_t i;
    json_t *v;
    json_array_foreach(accts, i, v) {
        const char *id = json_string_value(v);
        if (!id || strlen(id) != 12 || strspn(id, "0123456789") != 12) {
            rc = sns_invalid(c, "AWSAccountId");
            goto out;
        }
        if (json_array_append_new(
                principals, json_sprintf("arn:%s:iam::%s:root", arn_partition(c->region), id))) {
            rc = ferr_oom(c->err);
            goto out;
        }
    }
    json_array_foreach(acts, i, v) {
        const char *act = json_string_value(v);
        int ok = 0;
        for (const char *const *x = actions; *x && act && !ok; x++)
            ok = !strcmp(act, *x) || !strcmp(act, "*");
        if (!ok) {
            rc = sns_invalid(c, "Policy statement action out of service scope!");
            goto out;
        }
        if (json_array_append_new(alist, json_sprintf("SNS:%s", act))) {
            rc = ferr_oom(c->err);
            goto out;
        }
    }
    doc = policy_doc(topic);
    if (!doc) {
        rc = ferr_oom(c->err);
        goto out;
    }
    json_t *stmts = json_object_get(doc, "Statement");
    json_array_foreach(stmts, i, v) {
        const char *sid = jstr(v, "Sid");
        if (sid && !strcmp(sid, label)) {
            rc = sns_invalid(c, "Statement already exists");
            goto out;
        }
    }
    if (json_array_append_new(
            stmts,
            json_pack("{s:s, s:s, s:{s:O}, s:O, s:O}", "Sid", label, "Effect", "Allow", "Principal",
                      "AWS",
                      json_array_size(principals) == 1 ? json_array_get(principals, 0) : principals,
                      "Action", json_array_size(alist) == 1 ? json_array_get(alist, 0) : alist,
                      "Resource", json_object_get(topic, "TopicArn")))) {
        rc = ferr_oom(c->err);
        goto out;
    }
    rc = save_policy(c, topic, &a, doc);
    call_resource(c, "AWS::SNS::Topic", jstr(topic, "TopicArn"));
out:
    json_decref(principals);
    json_decref(alist);
    json_decref(doc);
    json_decref(topic);
    return rc;
}

int sns_op_remove_permission(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *topic;
    sns_arn a;
    const char *label = jstr(in, "Label");
    if (sns_load_topic(c, jstr(in, "TopicArn"), "TopicArn", &topic, &a)) return -1;
    int rc = sns_authorize(c, "SNS:RemovePermission", topic);
    if (!rc) {
        json_t *doc = policy_doc(topic), *stmts = json_object_get(doc, "Statement");
        size_t i, found = 0;
        json_t *v;
        for (i = json_array_size(stmts); i-- > 0;) {
            v = json_array_get(stmts, i);
            const char *sid = jstr(v, "Sid");
            if (sid && label && !strcmp(sid, label)) {
                json_array_remove(stmts, i);
                found = 1;
            }
        }
        if (!doc)
            rc = ferr_oom(c->err);
        else if (found)
            rc = save_policy(c, topic, &a, doc);
        json_decref(doc);
        call_resource(c, "AWS::SNS::Topic", jstr(topic, "TopicArn"));
    }
    json_decref(topic);
    return rc;
}

/* Tags: ResourceArn names a topic; a missing one is ResourceNotFound. */
static int load_tagged(call *c, json_t *in, const char *action, json_t **topic, sns_arn *a)
{
    const char *arn = jstr(in, "ResourceArn");
    if (sns_parse_arn(arn, 0, a) || strcmp(a->region, c->region))
        return sns_invalid(c, "ResourceArn");
    store_key k = sns_topic_key(a);
    int rc = store_get(c->txn, &k, topic, c->err);
    if (rc < 0) return -1;
    if (rc == 0) return ferr_set(c->err, 404, "ResourceNotFound", "Resource does not exist");
    if (sns_authorize(c, action, *topic)) {
        json_decref(*topic);
        return -1;
    }
    return 0;
}

int sns_op_tag_resource(call *c, json_t *in, json_t **out)
{
    json_t *topic;
    sns_arn a;
    json_t *tags = json_object_get(in, "Tags");
    if (load_tagged(c, in, "SNS:TagResource", &topic, &a)) return -1;
    int rc = check_tags(c, tags);
    if (!rc) rc = add_tags(c, topic, tags);
    if (!rc) {
        store_key k = sns_topic_key(&a);
        rc = store_put(c->txn, &k, topic, c->err);
        call_resource(c, "AWS::SNS::Topic", jstr(topic, "TopicArn"));
    }
    json_decref(topic);
    if (!rc) *out = svc_out(c, json_object());
    return rc;
}

int sns_op_untag_resource(call *c, json_t *in, json_t **out)
{
    json_t *topic;
    sns_arn a;
    if (load_tagged(c, in, "SNS:UntagResource", &topic, &a)) return -1;
    json_t *have = json_object_get(topic, "Tags");
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(in, "TagKeys"), i, k) {
        if (json_is_string(k)) json_object_del(have, json_string_value(k));
    }
    store_key key = sns_topic_key(&a);
    int rc = store_put(c->txn, &key, topic, c->err);
    call_resource(c, "AWS::SNS::Topic", jstr(topic, "TopicArn"));
    json_decref(topic);
    if (!rc) *out = svc_out(c, json_object());
    return rc;
}

int sns_op_list_tags_for_resource(call *c, json_t *in, json_t **out)
{
    json_t *topic;
    sns_arn a;
    if (load_tagged(c, in, "SNS:ListTagsForResource", &topic, &a)) return -1;
    json_t *list = json_array();
    const char *k;
    json_t *v;
    int bad = 0;
    json_object_foreach(json_object_get(topic, "Tags"), k, v)
        bad |= json_array_append_new(list, json_pack("{s:s, s:O}", "Key", k, "Value", v));
    json_decref(topic);
    if (bad) {
        json_decref(list);
        return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:o}", "Tags", list));
    return 0;
}
