/* SQS queue operations: create (idempotent), find, list, delete, attributes, purge, tags,
 * permissions (the queue Policy), dead-letter sources. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "sqs_int.h"

#define MAX_TAGS 50

static json_t *url_result(call *c, const char *account, const char *name)
{
    return json_pack("{s:s}", "QueueUrl", sqs_queue_url(c, account, name));
}

/* AWS: at most 50 tags a queue; keys 1-128 characters, values up to 256. */
static int tags_check(call *c, const json_t *tags, size_t total)
{
    if (total > MAX_TAGS)
        return sqs_invalid_param(c,
                                 "Too many tags added for queue. A queue can have at most "
                                 "%d tags.",
                                 MAX_TAGS);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)tags, k, v) {
        size_t kl = strlen(k);
        if (!kl || kl > 128)
            return sqs_invalid_param(c, "Tag keys must be between 1 and 128 characters in length.");
        if (!json_is_string(v) || json_string_length(v) > 256)
            return sqs_invalid_param(c, "Tag values may only be up to 256 characters in length.");
    }
    return 0;
}

/* Two attribute values are the same when their text is, or they are equal JSON
 * (policies written with other spacing). */
static int same_value(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    if (!strcmp(a, b)) return 1;
    json_t *x = json_loads(a, 0, NULL), *y = json_loads(b, 0, NULL);
    int eq = x && y && json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return eq;
}

int sqs_op_create_queue(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "QueueName");
    const json_t *attrs = json_object_get(in, "Attributes");
    const json_t *tags = json_object_get(in, "tags");
    const char *fq = jstr(attrs, "FifoQueue");
    int fifo = fq && !strcasecmp(fq, "true");
    /* AWS: a FIFO queue needs FifoQueue=true and a name ending in .fifo */
    if (!sqs_name_valid(name, fifo))
        return fifo ? sqs_invalid_param(c, "The name of a FIFO queue can only include alphanumeric "
                                           "characters, hyphens, or underscores, must end with "
                                           ".fifo suffix and be 1 to 80 in length.")
                    : sqs_invalid_param(c, "Can only include alphanumeric characters, hyphens, "
                                           "or underscores. 1 to 80 in length");
    const char *arn = sqs_queue_arn(c, NULL, c->account, name);
    call_resource(c, "AWS::SQS::Queue", arn);
    if (call_authorize(c, "sqs:CreateQueue", arn)) return -1;
    /* AWS: tagging on creation also needs sqs:TagQueue */
    if (json_object_size(tags) && call_authorize(c, "sqs:TagQueue", arn)) return -1;
    json_t *want = arena_defer_json(c->a, sqs_attributes_defaults(fifo));
    if (!want) return ferr_oom(c->err);
    if (sqs_attributes_apply(c, attrs, 1, fifo, arn, want)) return -1;
    sqs_queue q;
    int rc = sqs_queue_load(c, NULL, c->account, name, &q);
    if (rc < 0) return -1;
    if (rc == 1) {
        /* AWS: creating an existing queue returns it, unless an attribute the request names
         * differs from the queue's */
        const json_t *have = json_object_get(q.doc, "Attributes");
        json_t *dflt = sqs_attributes_defaults(q.fifo);
        const char *k;
        json_t *v;
        int differs = 0;
        json_object_foreach((json_t *)attrs, k, v) {
            const char *cur = jstr(have, k) ? jstr(have, k) : jstr(dflt, k);
            if (!same_value(jstr(want, k), cur)) {
                ferr_set(c->err, 400, "QueueNameExists",
                         "A queue already exists with the same name and a different value for "
                         "attribute %s",
                         k);
                differs = 1;
                break;
            }
        }
        json_decref(dflt);
        if (differs) return -1;
        *out = url_result(c, c->account, name);
        return *out ? 0 : ferr_oom(c->err);
    }
    if (tags && tags_check(c, tags, json_object_size(tags))) return -1;
    char key[17]; /* the queue's key in the message store: 64 random bits */
    ids_hex(key, 16);
    long long now = (long long)clock_now();
    json_t *doc =
        json_pack("{s:s, s:s, s:b, s:O, s:o, s:I, s:I}", "Name", name, "Key", key, "Fifo", fifo,
                  "Attributes", want, "Tags", tags ? json_deep_copy(tags) : json_object(),
                  "CreatedTimestamp", (json_int_t)now, "LastModifiedTimestamp", (json_int_t)now);
    if (!doc) return ferr_oom(c->err);
    store_key k = {SQS_KIND, c->account, c->region, name};
    rc = store_insert(c->txn, &k, doc, c->err);
    json_decref(doc);
    if (rc < 0) return -1;
    *out = url_result(c, c->account, name);
    return *out ? 0 : ferr_oom(c->err);
}

int sqs_op_get_queue_url(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "QueueName");
    const char *owner = jstr(in, "QueueOwnerAWSAccountId");
    if (!owner) owner = c->account;
    sqs_queue q;
    int rc = sqs_queue_load(c, NULL, owner, name ? name : "", &q);
    if (rc < 0) return -1;
    if (rc == 0) return sqs_no_queue(c);
    call_resource(c, "AWS::SQS::Queue", q.arn);
    if (sqs_authorize(c, &q, "sqs:GetQueueUrl")) return -1;
    *out = url_result(c, q.account, q.name);
    return *out ? 0 : ferr_oom(c->err);
}

typedef struct lister {
    call *c;
    json_t *urls;
    const char *dlq; /* ListDeadLetterSourceQueues: only queues redriving to this ARN */
} lister;

static int list_cb(void *ud, const store_key *k, json_t *doc)
{
    lister *l = ud;
    if (l->dlq) {
        const char *rp = jstr(json_object_get(doc, "Attributes"), "RedrivePolicy");
        json_t *j = rp ? json_loads(rp, 0, NULL) : NULL;
        const char *target = jstr(j, "deadLetterTargetArn");
        int match = target && !strcmp(target, l->dlq);
        json_decref(j);
        if (!match) return 0;
    }
    if (json_array_append_new(l->urls, json_string(sqs_queue_url(l->c, k->account, k->id)))) {
        l->c->oom = 1; /* the listing fails */
        return 1;
    }
    return 0;
}

static int max_results(call *c, const json_t *in, long long *max)
{
    json_t *m = json_object_get(in, "MaxResults");
    *max = m ? json_integer_value(m) : 0;
    if (m && (*max < 1 || *max > 1000))
        return sqs_invalid_param(c,
                                 "Value %lld for parameter MaxResults is invalid. Reason: "
                                 "MaxResults must be an integer between 1 and 1000.",
                                 *max);
    return 0;
}

static int page(call *c, const json_t *in, json_t *urls, long long max, const char *key,
                int keep_empty, json_t **out)
{
    *out = svc_out(c, json_object());
    if (!*out) return ferr_oom(c->err);
    /* AWS: without MaxResults at most 1000 and no NextToken */
    while (!max && json_array_size(urls) > 1000) json_array_remove(urls, 1000);
    if (svc_page(c, urls, jstr(in, "NextToken"), max, *out, key, "NextToken",
                 "InvalidParameterValue"))
        return -1;
    if (!keep_empty && json_array_size(json_object_get(*out, key)) == 0) json_object_del(*out, key);
    return 0;
}

int sqs_op_list_queues(call *c, json_t *in, json_t **out)
{
    long long max;
    if (call_authorize(c, "sqs:ListQueues", "*") || max_results(c, in, &max)) return -1;
    lister l = {c, json_array(), NULL};
    if (!l.urls) return ferr_oom(c->err);
    int rc = store_list(c->txn, SQS_KIND, c->account, c->region, jstr(in, "QueueNamePrefix"), NULL,
                        0, list_cb, &l, c->err);
    if (rc >= 0) rc = page(c, in, l.urls, max, "QueueUrls", 0, out);
    json_decref(l.urls);
    return rc < 0 ? -1 : 0;
}

int sqs_op_list_dead_letter_source_queues(call *c, json_t *in, json_t **out)
{
    sqs_queue q;
    long long max;
    if (sqs_queue_open(c, in, "sqs:ListDeadLetterSourceQueues", &q) || max_results(c, in, &max))
        return -1;
    lister l = {c, json_array(), q.arn};
    if (!l.urls) return ferr_oom(c->err);
    int rc = store_list(c->txn, SQS_KIND, q.account, q.region, NULL, NULL, 0, list_cb, &l, c->err);
    if (rc >= 0) rc = page(c, in, l.urls, max, "queueUrls", 1, out);
    json_decref(l.urls);
    return rc < 0 ? -1 : 0;
}

int sqs_op_delete_queue(call *c, json_t *in, json_t **out)
{
    (void)out;
    sqs_queue q;
    if (sqs_queue_open(c, in, "sqs:DeleteQueue", &q)) return -1;
    store_key k = {SQS_KIND, q.account, q.region, q.name};
    if (store_del(c->txn, &k, c->err) < 0 || store_mq_purge(c->txn, q.key, 1, c->err) < 0)
        return -1;
    svc_notify(c->env, q.arn); /* parked long polls answer: the queue is gone */
    return 0;
}

int sqs_op_get_queue_attributes(call *c, json_t *in, json_t **out)
{
    sqs_queue q;
    json_t *attrs;
    if (sqs_queue_open(c, in, "sqs:GetQueueAttributes", &q) ||
        sqs_queue_attributes(c, &q, json_object_get(in, "AttributeNames"), &attrs))
        return -1;
    *out = svc_out(c, json_object());
    int rc = json_object_size(attrs) ? json_object_set(*out, "Attributes", attrs) : !*out;
    json_decref(attrs);
    return rc ? ferr_oom(c->err) : 0;
}

static int touch(sqs_queue *q)
{
    return json_object_set_new(q->doc, "LastModifiedTimestamp",
                               json_integer((json_int_t)clock_now()));
}

int sqs_op_set_queue_attributes(call *c, json_t *in, json_t **out)
{
    (void)out;
    sqs_queue q;
    if (sqs_queue_open(c, in, "sqs:SetQueueAttributes", &q)) return -1;
    json_t *attrs = json_object_get(q.doc, "Attributes");
    if (sqs_attributes_apply(c, json_object_get(in, "Attributes"), 0, q.fifo, q.arn, attrs))
        return -1;
    if (touch(&q)) return ferr_oom(c->err);
    sqs_queue_refresh(c, &q);
    if (sqs_queue_save(c, &q)) return -1;
    svc_notify(c->env, q.arn); /* a shorter wait or visibility applies to parked polls */
    return 0;
}

int sqs_op_purge_queue(call *c, json_t *in, json_t **out)
{
    (void)out;
    sqs_queue q;
    if (sqs_queue_open(c, in, "sqs:PurgeQueue", &q)) return -1;
    double now = clock_now();
    json_t *last = json_object_get(q.doc, "LastPurge");
    /* AWS: one purge per queue every 60 seconds */
    if (json_is_number(last) && now - json_number_value(last) < SQS_PURGE_INTERVAL)
        return ferr_set(c->err, 403, "PurgeQueueInProgress",
                        "Only one PurgeQueue operation on %s is allowed every 60 seconds.", q.name);
    if (store_mq_purge(c->txn, q.key, 0, c->err) < 0) return -1;
    if (json_object_set_new(q.doc, "LastPurge", json_real(now))) return ferr_oom(c->err);
    return sqs_queue_save(c, &q);
}

int sqs_op_tag_queue(call *c, json_t *in, json_t **out)
{
    (void)out;
    sqs_queue q;
    if (sqs_queue_open(c, in, "sqs:TagQueue", &q)) return -1;
    json_t *tags = json_object_get(q.doc, "Tags");
    if (!json_is_object(tags)) {
        tags = json_object();
        if (json_object_set_new(q.doc, "Tags", tags)) return ferr_oom(c->err);
    }
    const json_t *add = json_object_get(in, "Tags");
    json_t *merged = json_deep_copy(tags);
    if (!merged) return ferr_oom(c->err);
    int rc = json_object_update(merged, (json_t *)add)
                 ? ferr_oom(c->err)
                 : tags_check(c, merged, json_object_size(merged));
    if (!rc && json_object_set(q.doc, "Tags", merged)) rc = ferr_oom(c->err);
    json_decref(merged);
    return rc ? -1 : sqs_queue_save(c, &q);
}

int sqs_op_untag_queue(call *c, json_t *in, json_t **out)
{
    (void)out;
    sqs_queue q;
    if (sqs_queue_open(c, in, "sqs:UntagQueue", &q)) return -1;
    json_t *tags = json_object_get(q.doc, "Tags");
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(in, "TagKeys"), i, k)
        if (json_is_string(k)) json_object_del(tags, json_string_value(k));
    return sqs_queue_save(c, &q);
}

int sqs_op_list_queue_tags(call *c, json_t *in, json_t **out)
{
    sqs_queue q;
    if (sqs_queue_open(c, in, "sqs:ListQueueTags", &q)) return -1;
    json_t *tags = json_object_get(q.doc, "Tags");
    *out = svc_out(c, json_object());
    if (!*out || (json_object_size(tags) && json_object_set(*out, "Tags", tags)))
        return ferr_oom(c->err);
    return 0;
}

/* ---- permissions: statements of the queue Policy labelled by Sid ---- */

/* AWS: only the queue owner changes its permissions; a queue policy cannot delegate it. */
static int owner_only(call *c, const sqs_queue *q, const char *action)
{
    if (!strcmp(c->who->account, q->account)) return 0;
    return ferr_set(c->err, 403, "AccessDenied",
                    "User: %s is not authorized to perform: %s on resource: %s because only the "
                    "queue owner can change its permissions",
                    c->who->arn[0] ? c->who->arn : c->who->service, action, q->arn);
}

static int label_valid(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 80) return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

static json_t *policy_doc(const sqs_queue *q)
{
    json_t *p = q->policy && *q->policy ? json_loads(q->policy, 0, NULL) : NULL;
    if (json_is_object(p) && json_is_array(json_object_get(p, "Statement"))) return p;
    json_decref(p);
    char id[600];
    snprintf(id, sizeof(id), "%s/SQSDefaultPolicy", q->arn);
    return json_pack("{s:s, s:s, s:[]}", "Version", "2012-10-17", "Id", id, "Statement");
}

static int save_policy(call *c, sqs_queue *q, json_t *policy)
{
    json_t *attrs = json_object_get(q->doc, "Attributes");
    if (json_array_size(json_object_get(policy, "Statement")) == 0) {
        json_object_del(attrs, "Policy");
    } else {
        char *t = json_dumps(policy, JSON_COMPACT);
        if (!t) return ferr_oom(c->err);
        int rc = json_object_set_new(attrs, "Policy", json_string(t));
        free(t);
        if (rc) return ferr_oom(c->err);
    }
    if (touch(q)) return ferr_oom(c->err);
    sqs_queue_refresh(c, q);
    return sqs_queue_save(c, q);
}

int sqs_op_add_permission(call *c, json_t *in, json_t **out)
{
    (void)out;
    static const char *const shareable[] = {"*",
                                            "SendMessage",
                                            "ReceiveMessage",
                                            "DeleteMessage",
                                            "ChangeMessageVisibility",
                                            "GetQueueAttributes",
                                            "GetQueueUrl",
                                            "ListDeadLetterSourceQueues",
                                            "PurgeQueue",
                                            "ListQueueTags",
                                            NULL};
    sqs_queue q;
    if (sqs_queue_open(c, in, "sqs:AddPermission", &q) || owner_only(c, &q, "sqs:AddPermission"))
        return -1;
    const char *label = jstr(in, "Label");
    if (!label || !label_valid(label))
        return sqs_invalid_param(c,
                                 "Value %.128s for parameter Label is invalid. Reason: Must "
                                 "consist of alphanumeric characters, hyphens and "
                                 "underscores, 1 to 80 in length.",
                                 label ? label : "");
    json_t *ids = json_object_get(in, "AWSAccountIds"), *acts = json_object_get(in, "Actions");
    if (!json_array_size(ids))
        return ferr_set(c->err, 400, "MissingParameter",
                        "The request must contain the parameter AWSAccountIds.");
    if (!json_array_size(acts))
        return ferr_set(c->err, 400, "MissingParameter",
                        "The request must contain the parameter Actions.");
    json_t *principals = arena_defer_json(c->a, json_array());
    json_t *actions = arena_defer_json(c->a, json_array());
    if (!principals || !actions) return ferr_oom(c->err);
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) {
        const char *id = json_string_value(v);
        if (!id || strlen(id) != 12 || strspn(id, "0123456789") != 12)
            return sqs_invalid_param(c,
                                     "Value %.64s for parameter PrincipalId is invalid. "
                                     "Reason: Unable to verify.",
                                     id ? id : "");
        if (json_array_append_new(
                principals, json_sprintf("arn:%s:iam::%s:root", arn_partition(c->region), id)))
            return ferr_oom(c->err);
    }
    json_array_foreach(acts, i, v) {
        const char *a = json_string_value(v);
        if (!a) continue;
        if (!strncasecmp(a, "sqs:", 4)) a += 4;
        int ok = 0;
        for (size_t k = 0; shareable[k]; k++) ok |= !strcmp(shareable[k], a);
        if (!ok)
            return sqs_invalid_param(c,
                                     "Value SQS:%.64s for parameter ActionName is invalid. "
                                     "Reason: Only the queue owner is allowed to invoke this "
                                     "action.",
                                     a);
        if (json_array_append_new(actions, json_sprintf("SQS:%s", a))) return ferr_oom(c->err);
    }
    json_t *policy = arena_defer_json(c->a, policy_doc(&q));
    if (!policy) return ferr_oom(c->err);
    json_t *stmts = json_object_get(policy, "Statement");
    json_array_foreach(stmts, i, v) {
        if (jstr(v, "Sid") && !strcmp(jstr(v, "Sid"), label))
            return sqs_invalid_param(c,
                                     "Value %s for parameter Label is invalid. Reason: Already "
                                     "exists.",
                                     label);
    }
    if (json_array_append_new(
            stmts,
            json_pack("{s:s, s:s, s:{s:O}, s:O, s:s}", "Sid", label, "Effect", "Allow", "Principal",
                      "AWS",
                      json_array_size(principals) == 1 ? json_array_get(principals, 0) : principals,
                      "Action",
                      json_array_size(actions) == 1 ? json_array_get(actions, 0) : actions,
                      "Resource", q.arn)))
        return ferr_oom(c->err);
    return save_policy(c, &q, policy);
}

int sqs_op_remove_permission(call *c, json_t *in, json_t **out)
{
    (void)out;
    sqs_queue q;
    if (sqs_queue_open(c, in, "sqs:RemovePermission", &q) ||
        owner_only(c, &q, "sqs:RemovePermission"))
        return -1;
    const char *label = jstr(in, "Label");
    json_t *policy = arena_defer_json(c->a, policy_doc(&q));
    if (!policy) return ferr_oom(c->err);
    json_t *stmts = json_object_get(policy, "Statement");
    for (size_t i = 0; i < json_array_size(stmts); i++) {
        const char *sid = jstr(json_array_get(stmts, i), "Sid");
        if (sid && label && !strcmp(sid, label)) {
            json_array_remove(stmts, i);
            return save_policy(c, &q, policy);
        }
    }
    return sqs_invalid_param(c,
                             "Value %.128s for parameter Label is invalid. Reason: can't find "
                             "label on existing policy.",
                             label ? label : "");
}
