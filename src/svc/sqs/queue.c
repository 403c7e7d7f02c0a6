/* SQS queues: names, URLs and ARNs, the queue document, its attributes (AWS's ranges and
 * rules), and the one way every operation reaches a queue: QueueUrl -> load -> authorize
 * with the queue's Policy. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arn.h"
#include "base/checked.h"
#include "base/clock.h"
#include "base/gencache.h"
#include "iam/policy.h"
#include "sqs_int.h"

int sqs_invalid_param(call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ferr_vset(c->err, 400, "InvalidParameterValue", "", fmt, ap);
    va_end(ap);
    return -1;
}

int sqs_no_queue(call *c)
{
    /* json clients see QueueDoesNotExist, query clients AWS.SimpleQueueService.NonExistentQueue
     * (the proto overlay renames it) */
    return ferr_set(c->err, 400, "QueueDoesNotExist", "The specified queue does not exist.");
}

int sqs_name_valid(const char *name, int fifo)
{
    size_t n = name ? strlen(name) : 0, base = n;
    if (n == 0 || n > 80) return 0;
    if (fifo) {
        if (n <= 5 || strcmp(name + n - 5, ".fifo")) return 0;
        base = n - 5;
    }
    for (size_t i = 0; i < base; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (!isalnum(ch) && ch != '-' && ch != '_') return 0;
    }
    return 1;
}

const char *sqs_queue_url(call *c, const char *account, const char *name)
{
    /* the host the client reached us at, so the URL works for the client that asked */
    return arena_printf(c->a, "%s/%s/%s", call_base_url(c), account, name);
}

const char *sqs_queue_arn(call *c, const char *region, const char *account, const char *name)
{
    const char *r = region ? region : c->region;
    return arena_printf(c->a, "arn:%s:sqs:%s:%s:%s", arn_partition(r), r, account, name);
}

static int account_valid(const char *s, size_t n)
{
    return n == 12 && strspn(s, "0123456789") >= 12;
}

int sqs_parse_arn(call *c, const char *arn, const char **region, const char **account,
                  const char **name)
{
    const char *r = arn_rest(arn, "sqs"), *a;
    if (!r) return -1;
    a = strchr(r, ':');
    if (!a || a == r) return -1;
    const char *n = strchr(a + 1, ':');
    if (!n || !account_valid(a + 1, (size_t)(n - a - 1)) || !n[1] || strchr(n + 1, ':')) return -1;
    *region = arena_strndup(c->a, r, (size_t)(a - r));
    *account = arena_strndup(c->a, a + 1, 12);
    *name = arena_strdup(c->a, n + 1);
    return *region && *account && *name ? 0 : -1;
}

int sqs_parse_url(call *c, const char *url, const char **account, const char **name)
{
    const char *region;
    /* engines calling through svc_invoke may name the queue by its ARN */
    if (url && c->caller == CALLER_INTERNAL && !sqs_parse_arn(c, url, &region, account, name))
        return 0;
    const char *p = url ? strstr(url, "://") : NULL;
    p = p ? strchr(p + 3, '/') : NULL;
    if (p) {
        const char *acct = p + 1, *slash = strchr(acct, '/');
        const char *nm = slash ? slash + 1 : NULL;
        size_t nl = nm ? strcspn(nm, "/?#") : 0;
        if (slash && account_valid(acct, (size_t)(slash - acct)) && nl &&
            (nm[nl] == 0 || (nm[nl] == '/' && nm[nl + 1] == 0))) {
            *account = arena_strndup(c->a, acct, 12);
            *name = arena_strndup(c->a, nm, nl);
            if (*account && *name) return 0;
        }
    }
    return ferr_set(c->err, 400, "InvalidAddress",
                    "The address %.512s is not valid for this endpoint.", url ? url : "");
}

static long long attr_int(const json_t *attrs, const char *name, long long dflt)
{
    const char *s = jstr(attrs, name);
    return s && *s ? strtoll(s, NULL, 10) : dflt;
}

void sqs_queue_refresh(call *c, sqs_queue *q)
{
    const json_t *attrs = json_object_get(q->doc, "Attributes");
    q->visibility = (int)attr_int(attrs, "VisibilityTimeout", 30);
    q->delay = (int)attr_int(attrs, "DelaySeconds", 0);
    q->retention = (int)attr_int(attrs, "MessageRetentionPeriod", 345600);
    q->max_size = (int)attr_int(attrs, "MaximumMessageSize", SQS_MAX_MESSAGE);
    q->wait = (int)attr_int(attrs, "ReceiveMessageWaitTimeSeconds", 0);
    const char *cbd = jstr(attrs, "ContentBasedDeduplication");
    q->content_dedup = cbd && !strcmp(cbd, "true");
    const char *scope = jstr(attrs, "DeduplicationScope");
    q->dedup_by_group = scope && !strcmp(scope, "messageGroup");
    q->policy = jstr(attrs, "Policy");
    q->dlq_arn = NULL;
    q->max_receives = 0;
    const char *rp = jstr(attrs, "RedrivePolicy");
    if (rp && *rp) {
        json_t *j = json_loads(rp, 0, NULL);
        const char *arn = jstr(j, "deadLetterTargetArn");
        if (arn) {
            q->dlq_arn = arena_strdup(c->a, arn);
            json_t *m = json_object_get(j, "maxReceiveCount");
            q->max_receives = json_is_integer(m)  ? (int)json_integer_value(m)
                              : json_is_string(m) ? atoi(json_string_value(m))
                                                  : 0;
        }
        json_decref(j);
    }
}

static void fill(call *c, sqs_queue *q, json_t *doc, const char *region, const char *account)
{
    q->doc = doc;
    q->account = arena_strdup(c->a, account);
    q->region = arena_strdup(c->a, region);
    q->name = jstr(doc, "Name");
    q->key = jstr(doc, "Key");
    q->fifo = jbool(doc, "Fifo", 0);
    q->arn = sqs_queue_arn(c, region, account, q->name);
    sqs_queue_refresh(c, q);
}

int sqs_queue_load(call *c, const char *region, const char *account, const char *name, sqs_queue *q)
{
    memset(q, 0, sizeof(*q));
    if (!region) region = c->region;
    store_key k = {SQS_KIND, account, region, name};
    json_t *doc = NULL;
    int rc = store_get(c->txn, &k, &doc, c->err);
    if (rc != 1) return rc;
    if (!arena_defer_json(c->a, doc)) return ferr_oom(c->err);
    fill(c, q, doc, region, account);
    return 1;
}

/* ---- queue documents shared between sends ----
 * SendMessage and SendMessageBatch (the delivery engine's fan-out) read the queue document
 * on every call, and parsing it showed in profiles; they share parsed documents instead,
 * valid while the store's generation for queue documents is unchanged. They are used and
 * filled only in write transactions, where that generation matches what is committed, and
 * not by one that wrote queue documents itself. */
static gencache_static shared_docs = SVC_DOC_CACHE(1024);

/* sqs_queue_load in the call's region through the shared documents. */
static int load_shared(call *c, const char *account, const char *name, sqs_queue *q)
{
    char key[160];
    int n = snprintf(key, sizeof(key), "%s/%s/%s", account, c->region, name);
    if (!store_txn_is_write(c->txn) || store_txn_touched(c->txn, SQS_KIND) || n < 0 ||
        (size_t)n >= sizeof(key))
        return sqs_queue_load(c, NULL, account, name, q);
    gencache *gc = gencache_of(&shared_docs);
    uint64_t gen = store_generation(c->env->st, SQS_KIND);
    json_t *doc = gencache_get(gc, key, gen, c->a); /* held until the call ends */
    if (doc) {
        memset(q, 0, sizeof(*q));
        fill(c, q, doc, c->region, account);
        return 1;
    }
    int rc = sqs_queue_load(c, NULL, account, name, q);
    /* the write lock is held: gen is still current */
    if (rc == 1 && gencache_put(gc, key, gen, json_incref(q->doc), NULL)) json_decref(q->doc);
    return rc;
}

int sqs_authorize(call *c, const sqs_queue *q, const char *action)
{
    authz_req r = {.action = action,
                   .resource = q->arn,
                   .resource_account = q->account,
                   .resource_policy = q->policy};
    return call_authorize_ex(c, &r);
}

static int open_queue(call *c, const json_t *in, const char *action, int shared, sqs_queue *q)
{
    const char *account, *name;
    if (sqs_parse_url(c, jstr(in, "QueueUrl"), &account, &name)) return -1;
    int rc = shared ? load_shared(c, account, name, q) : sqs_queue_load(c, NULL, account, name, q);
    if (rc < 0) return -1;
    if (rc == 0) return sqs_no_queue(c);
    call_resource(c, "AWS::SQS::Queue", q->arn);
    return sqs_authorize(c, q, action);
}

int sqs_queue_open(call *c, const json_t *in, const char *action, sqs_queue *q)
{
    return open_queue(c, in, action, 0, q);
}

int sqs_queue_open_ro(call *c, const json_t *in, const char *action, sqs_queue *q)
{
    return open_queue(c, in, action, 1, q);
}

int sqs_queue_save(call *c, sqs_queue *q)
{
    store_key k = {SQS_KIND, q->account, q->region, q->name};
    return store_put(c->txn, &k, q->doc, c->err);
}

/* ---- attributes ---- */

enum { AK_INT, AK_BOOL, AK_POLICY, AK_REDRIVE, AK_ALLOW, AK_STRING, AK_ENUM, AK_READ };
enum { AF_FIFO = 1, AF_CREATE = 2 };

typedef struct adef {
    const char *name;
    int kind;
    long long lo, hi;
    unsigned flags;
    const char *const *values; /* AK_ENUM */
} adef;

static const char *const scopes[] = {"messageGroup", "queue", NULL};
static const char *const limits[] = {"perQueue", "perMessageGroupId", NULL};

/* AWS CreateQueue / SetQueueAttributes / GetQueueAttributes, with their ranges */
static const adef adefs[] = {
    {"ApproximateNumberOfMessages", AK_READ, 0, 0, 0, NULL},
    {"ApproximateNumberOfMessagesDelayed", AK_READ, 0, 0, 0, NULL},
    {"ApproximateNumberOfMessagesNotVisible", AK_READ, 0, 0, 0, NULL},
    {"ContentBasedDeduplication", AK_BOOL, 0, 0, AF_FIFO, NULL},
    {"CreatedTimestamp", AK_READ, 0, 0, 0, NULL},
    {"DeduplicationScope", AK_ENUM, 0, 0, AF_FIFO, scopes},
    {"DelaySeconds", AK_INT, 0, 900, 0, NULL},
    {"FifoQueue", AK_BOOL, 0, 0, AF_FIFO | AF_CREATE, NULL},
    {"FifoThroughputLimit", AK_ENUM, 0, 0, AF_FIFO, limits},
    {"KmsDataKeyReusePeriodSeconds", AK_INT, 60, 86400, 0, NULL},
    {"KmsMasterKeyId", AK_STRING, 0, 0, 0, NULL},
    {"LastModifiedTimestamp", AK_READ, 0, 0, 0, NULL},
    {"MaximumMessageSize", AK_INT, 1024, SQS_MAX_MESSAGE, 0, NULL},
    {"MessageRetentionPeriod", AK_INT, 60, 1209600, 0, NULL},
    {"Policy", AK_POLICY, 0, 0, 0, NULL},
    {"QueueArn", AK_READ, 0, 0, 0, NULL},
    {"ReceiveMessageWaitTimeSeconds", AK_INT, 0, 20, 0, NULL},
    {"RedriveAllowPolicy", AK_ALLOW, 0, 0, 0, NULL},
    {"RedrivePolicy", AK_REDRIVE, 0, 0, 0, NULL},
    {"SqsManagedSseEnabled", AK_BOOL, 0, 0, 0, NULL},
    {"VisibilityTimeout", AK_INT, 0, 43200, 0, NULL},
};

static const adef *find_adef(const char *name)
{
    for (size_t i = 0; i < sizeof(adefs) / sizeof(adefs[0]); i++)
        if (!strcmp(adefs[i].name, name)) return &adefs[i];
    return NULL;
}

static int unknown_attr(call *c, const char *name)
{
    return ferr_set(c->err, 400, "InvalidAttributeName", "Unknown Attribute %.256s.", name);
}

static int bad_value(call *c, const char *name)
{
    return ferr_set(c->err, 400, "InvalidAttributeValue", "Invalid value for the parameter %s.",
                    name);
}

json_t *sqs_attributes_defaults(int fifo)
{
    /* AWS defaults; new queues get SQS-managed encryption (SSE-SQS) */
    json_t *a =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "DelaySeconds", "0", "MaximumMessageSize",
                  "1048576", "MessageRetentionPeriod", "345600", "ReceiveMessageWaitTimeSeconds",
                  "0", "VisibilityTimeout", "30", "SqsManagedSseEnabled", "true");
    if (a && fifo)
        return jdone(a, jset_str(a, "FifoQueue", "true") |
                            jset_str(a, "ContentBasedDeduplication", "false") |
                            jset_str(a, "DeduplicationScope", "queue") |
                            jset_str(a, "FifoThroughputLimit", "perQueue"));
    return a;
}

static int parse_int(const char *s, long long *out)
{
    char *end;
    errno = 0;
    if (!s || !*s || isspace((unsigned char)*s)) return -1;
    long long v = strtoll(s, &end, 10);
    if (*end || errno) return -1;
    *out = v;
    return 0;
}

static int redrive_check(call *c, const char *value, int fifo, const char *self_arn, json_t **norm)
{
    json_t *j = json_loads(value, 0, NULL);
    const char *arn = jstr(j, "deadLetterTargetArn");
    json_t *m = json_object_get(j, "maxReceiveCount");
    long long max = -1;
    if (json_is_integer(m))
        max = json_integer_value(m);
    else if (json_is_string(m) && parse_int(json_string_value(m), &max))
        max = -1;
    int rc = -1;
    const char *region, *account, *name;
    sqs_queue dlq;
    if (!json_is_object(j) || !arn) {
        sqs_invalid_param(c,
                          "Value %.512s for parameter RedrivePolicy is invalid. Reason: "
                          "Redrive policy is not a valid JSON map with deadLetterTargetArn "
                          "and maxReceiveCount.",
                          value);
    } else if (max < 1 || max > 1000) {
        sqs_invalid_param(c,
                          "Value %.512s for parameter RedrivePolicy is invalid. Reason: "
                          "Invalid value for maxReceiveCount: %s, valid values are from 1 to "
                          "1000 both inclusive.",
                          value, json_is_null(m) || !m ? "null" : "out of range");
    } else if (sqs_parse_arn(c, arn, &region, &account, &name)) {
        sqs_invalid_param(c,
                          "Value %.512s for parameter RedrivePolicy is invalid. Reason: "
                          "Invalid value for deadLetterTargetArn.",
                          value);
    } else {
        /* AWS: the dead-letter queue is in the source's account and region, of its type */
        const char *sregion = NULL, *saccount = NULL, *sname;
        if (self_arn) sqs_parse_arn(c, self_arn, &sregion, &saccount, &sname);
        int found = sqs_queue_load(c, region, account, name, &dlq);
        if (found < 0) goto out;
        if (!found || !saccount || strcmp(account, saccount) || strcmp(region, sregion)) {
            sqs_invalid_param(c,
                              "Value %.512s for parameter RedrivePolicy is invalid. Reason: "
                              "Dead letter target does not exist.",
                              value);
        } else if (dlq.fifo != fifo) {
            sqs_invalid_param(c,
                              "Value %.512s for parameter RedrivePolicy is invalid. Reason: "
                              "Dead-letter queue must be same type of queue as the source.",
                              value);
        } else {
            /* the dead-letter queue's RedriveAllowPolicy decides which sources may use it */
            const char *allow = jstr(json_object_get(dlq.doc, "Attributes"), "RedriveAllowPolicy");
            json_t *ap = allow ? json_loads(allow, 0, NULL) : NULL;
            const char *perm = jstr(ap, "redrivePermission");
            int ok = !perm || !strcmp(perm, "allowAll");
            if (perm && !strcmp(perm, "byQueue")) {
                size_t i;
                json_t *s;
                json_array_foreach(json_object_get(ap, "sourceQueueArns"), i, s)
                    if (self_arn && json_is_string(s) && !strcmp(json_string_value(s), self_arn))
                        ok = 1;
            }
            json_decref(ap);
            if (!ok) {
                sqs_invalid_param(c,
                                  "Value %.512s for parameter RedrivePolicy is invalid. Reason: "
                                  "Queue %s does not allow this queue as a dead-letter queue "
                                  "source.",
                                  value, arn);
            } else {
                *norm = json_pack("{s:s, s:I}", "deadLetterTargetArn", arn, "maxReceiveCount",
                                  (json_int_t)max);
                rc = *norm ? 0 : ferr_oom(c->err);
            }
        }
    }
out:
    json_decref(j);
    return rc;
}

static int allow_check(call *c, const char *value, json_t **norm)
{
    json_t *j = json_loads(value, 0, NULL);
    const char *perm = jstr(j, "redrivePermission");
    json_t *arns = json_object_get(j, "sourceQueueArns");
    int rc = -1;
    if (!json_is_object(j) || !perm ||
        (strcmp(perm, "allowAll") && strcmp(perm, "denyAll") && strcmp(perm, "byQueue"))) {
        sqs_invalid_param(c,
                          "Value %.512s for parameter RedriveAllowPolicy is invalid. Reason: "
                          "Amazon SQS can't create the redrive allow policy, as it's in an "
                          "unsupported format.",
                          value);
    } else if (!strcmp(perm, "byQueue") != (json_array_size(arns) > 0) ||
               json_array_size(arns) > 10 || (arns && !json_is_array(arns))) {
        sqs_invalid_param(c,
                          "Value %.512s for parameter RedriveAllowPolicy is invalid. Reason: "
                          "sourceQueueArns is required (1 to 10 queue ARNs) with byQueue and "
                          "not allowed otherwise.",
                          value);
    } else {
        *norm = json_deep_copy(j);
        rc = *norm ? 0 : ferr_oom(c->err);
    }
    json_decref(j);
    return rc;
}

int sqs_attributes_apply(call *c, const json_t *attrs, int create, int fifo, const char *self_arn,
                         json_t *into)
{
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)attrs, name, v) {
        const adef *d = find_adef(name);
        const char *val = json_string_value(v);
        if (!d || d->kind == AK_READ || ((d->flags & AF_FIFO) && !fifo) ||
            ((d->flags & AF_CREATE) && !create))
            return unknown_attr(c, name);
        if (!val) return bad_value(c, name);
        long long n;
        json_t *norm = NULL;
        switch (d->kind) {
        case AK_INT:
            if (parse_int(val, &n) || n < d->lo || n > d->hi) return bad_value(c, name);
            if (json_object_set_new(into, name, json_sprintf("%lld", n))) return ferr_oom(c->err);
            continue;
        case AK_BOOL:
            if (strcasecmp(val, "true") && strcasecmp(val, "false")) return bad_value(c, name);
            /* a FIFO queue is made by its name and FifoQueue=true together */
            if ((d->flags & AF_CREATE) && strcasecmp(val, "true")) return unknown_attr(c, name);
            if (json_object_set_new(into, name,
                                    json_string(strcasecmp(val, "true") ? "false" : "true")))
                return ferr_oom(c->err);
            continue;
        case AK_ENUM: {
            int ok = 0;
            for (size_t i = 0; d->values[i]; i++) ok |= !strcmp(d->values[i], val);
            if (!ok) return bad_value(c, name);
            break;
        }
        case AK_POLICY:
            if (*val) {
                ferr pe = {0};
                iam_policy *p = iam_policy_parse(val, strlen(val), IAM_KIND_RESOURCE, &pe);
                if (!p)
                    return ferr_set(c->err, 400, "InvalidAttributeValue",
                                    "Invalid value for the parameter Policy. Reason: %s",
                                    pe.message);
                iam_policy_free(p);
            }
            break;
        case AK_REDRIVE:
            if (*val && redrive_check(c, val, fifo, self_arn, &norm)) return -1;
            break;
        case AK_ALLOW:
            if (*val && allow_check(c, val, &norm)) return -1;
            break;
        default: break;
        }
        if (!*val) { /* "" removes an optional attribute */
            json_object_del(into, name);
            if (!strcmp(name, "KmsMasterKeyId"))
                json_object_del(into, "KmsDataKeyReusePeriodSeconds");
            continue;
        }
        if (norm) {
            char *t = json_dumps(norm, JSON_COMPACT);
            json_decref(norm);
            if (!t) return ferr_oom(c->err);
            int rc = json_object_set_new(into, name, json_string(t));
            free(t);
            if (rc) return ferr_oom(c->err);
        } else if (json_object_set_new(into, name, json_string(val))) {
            return ferr_oom(c->err);
        }
    }
    /* AWS: one kind of server-side encryption at a time */
    const char *kms = jstr(into, "KmsMasterKeyId");
    if (kms) {
        if (json_object_get(attrs, "KmsMasterKeyId") &&
            json_object_get(attrs, "SqsManagedSseEnabled") &&
            !strcmp(jstr(into, "SqsManagedSseEnabled"), "true"))
            return ferr_set(c->err, 400, "InvalidAttributeValue",
                            "You can use one type of server-side encryption (SSE) at one time. "
                            "You can either enable KMS SSE or SQS SSE.");
        if (json_object_get(attrs, "SqsManagedSseEnabled") &&
            !strcmp(jstr(into, "SqsManagedSseEnabled"), "true")) {
            json_object_del(into, "KmsMasterKeyId");
            json_object_del(into, "KmsDataKeyReusePeriodSeconds");
        } else if (jset_str(into, "SqsManagedSseEnabled", "false") ||
                   (!json_object_get(into, "KmsDataKeyReusePeriodSeconds") &&
                    jset_str(into, "KmsDataKeyReusePeriodSeconds", "300"))) {
            return ferr_oom(c->err);
        }
    }
    const char *limit = jstr(into, "FifoThroughputLimit"),
               *scope = jstr(into, "DeduplicationScope");
    if (limit && scope && !strcmp(limit, "perMessageGroupId") && strcmp(scope, "messageGroup"))
        return ferr_set(c->err, 400, "InvalidAttributeValue",
                        "Invalid value for the parameter FifoThroughputLimit. Reason: The "
                        "perMessageGroupId value is allowed only when the value for "
                        "DeduplicationScope is messageGroup.");
    return 0;
}

int sqs_queue_attributes(call *c, sqs_queue *q, const json_t *names, json_t **out)
{
    int all = 0;
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v) {
        const char *n = json_string_value(v);
        if (!n) continue;
        if (!strcmp(n, "All"))
            all = 1;
        else if (!find_adef(n))
            return unknown_attr(c, n);
    }
    *out = svc_out(c, json_object());
    if (!*out) return ferr_oom(c->err);
    if (!all && json_array_size(names) == 0) return 0; /* AWS: no names, no attributes */
    store_mq_counts n = {0};
    if (store_mq_count(c->txn, q->key, clock_now(), &n, c->err)) return -1;
    json_t *full = json_deep_copy(json_object_get(q->doc, "Attributes"));
    if (!full) return ferr_oom(c->err);
    int rc = jset_str(full, "QueueArn", q->arn);
    rc |= json_object_set_new(full, "ApproximateNumberOfMessages", json_sprintf("%lld", n.visible));
    rc |= json_object_set_new(full, "ApproximateNumberOfMessagesNotVisible",
                              json_sprintf("%lld", n.inflight));
    rc |= json_object_set_new(full, "ApproximateNumberOfMessagesDelayed",
                              json_sprintf("%lld", n.delayed));
    rc |= json_object_set_new(full, "CreatedTimestamp",
                              json_sprintf("%lld", (long long)jint(q->doc, "CreatedTimestamp", 0)));
    rc |= json_object_set_new(
        full, "LastModifiedTimestamp",
        json_sprintf("%lld", (long long)jint(q->doc, "LastModifiedTimestamp", 0)));
    const char *k;
    json_object_foreach(full, k, v) {
        if (all || sqs_attr_selected(names, k)) rc |= json_object_set(*out, k, v);
    }
    json_decref(full);
    return rc ? ferr_oom(c->err) : 0;
}
