/* Event notifications: the bucket's configuration (topics, queues, Lambda functions), checked
 * as AWS checks it (each destination must accept an s3:TestEvent from this bucket), and the
 * event messages sent inside the writing call's transaction, so an event goes out exactly
 * when its change commits. Destinations are reached through svc_invoke_in as the service
 * principal s3.amazonaws.com, so their own policies decide, as in AWS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "s3_int.h"
#include "svc/events/events.h"

#define F_NOTIFY "Notification"

/* The event types S3 can notify about (AWS "Supported event types"). */
static const char *const known_events[] = {"s3:TestEvent",
                                           "s3:ObjectCreated:*",
                                           "s3:ObjectCreated:Put",
                                           "s3:ObjectCreated:Post",
                                           "s3:ObjectCreated:Copy",
                                           "s3:ObjectCreated:CompleteMultipartUpload",
                                           "s3:ObjectRemoved:*",
                                           "s3:ObjectRemoved:Delete",
                                           "s3:ObjectRemoved:DeleteMarkerCreated",
                                           "s3:ObjectRestore:*",
                                           "s3:ObjectRestore:Post",
                                           "s3:ObjectRestore:Completed",
                                           "s3:ObjectRestore:Delete",
                                           "s3:ReducedRedundancyLostObject",
                                           "s3:Replication:*",
                                           "s3:Replication:OperationFailedReplication",
                                           "s3:Replication:OperationMissedThreshold",
                                           "s3:Replication:OperationReplicatedAfterThreshold",
                                           "s3:Replication:OperationNotTracked",
                                           "s3:LifecycleExpiration:*",
                                           "s3:LifecycleExpiration:Delete",
                                           "s3:LifecycleExpiration:DeleteMarkerCreated",
                                           "s3:LifecycleTransition",
                                           "s3:IntelligentTiering",
                                           "s3:ObjectTagging:*",
                                           "s3:ObjectTagging:Put",
                                           "s3:ObjectTagging:Delete",
                                           "s3:ObjectAcl:Put",
                                           NULL};

/* The three kinds of destination: configuration list, its ARN member, service and call. */
typedef struct dest_kind {
    const char *list, *arn_member, *service;
} dest_kind;
static const dest_kind kinds[] = {
    {"TopicConfigurations", "TopicArn", "sns"},
    {"QueueConfigurations", "QueueArn", "sqs"},
    {"LambdaFunctionConfigurations", "LambdaFunctionArn", "lambda"},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

int s3_event_matches(const char *pattern, const char *event)
{
    size_t n = strlen(pattern);
    if (n >= 2 && !strcmp(pattern + n - 2, ":*")) return !strncmp(pattern, event, n - 1);
    return !strcmp(pattern, event);
}

int s3_filter_matches(const json_t *filter, const char *key)
{
    const json_t *rules = json_object_get(json_object_get(filter, "Key"), "FilterRules");
    size_t i, kl = strlen(key);
    json_t *r;
    json_array_foreach(rules, i, r) {
        const char *name = jstr(r, "Name"), *v = jstr(r, "Value");
        if (!name || !v) continue;
        size_t vl = strlen(v);
        if (!strcasecmp(name, "prefix") && strncmp(key, v, vl)) return 0;
        if (!strcasecmp(name, "suffix") && (vl > kl || strcmp(key + kl - vl, v))) return 0;
    }
    return 1;
}

static int invalid_argument(call *c, const char *msg)
{
    return ferr_set(c->err, 400, "InvalidArgument", "%s", msg);
}

/* The region field of an ARN ("arn:aws:sqs:REGION:..."), in the arena; NULL when malformed. */
static const char *arn_region(call *c, const char *arn)
{
    const char *p = arn;
    for (int i = 0; i < 3 && p; i++) p = strchr(p, ':'), p = p ? p + 1 : NULL;
    const char *e = p ? strchr(p, ':') : NULL;
    if (!e || e == p || strncmp(arn, "arn:", 4)) return NULL;
    return arena_strndup(c->a, p, (size_t)(e - p));
}

/* Sends body to destination arn of kind k as s3.amazonaws.com on b's behalf: 0 or -1 (e).
 * A function gets the event through Lambda's asynchronous queue (Invoke's Event type, in
 * the writing call's transaction); test: only whether it may be invoked (AWS sends Lambda
 * no s3:TestEvent, it checks the function's policy). */
static int send_to(call *c, const s3_bucket *b, const dest_kind *k, const char *arn,
                   const char *body, int test, ferr *e)
{
    const char *region = arn_region(c, arn);
    if (!region) return ferr_set(e, 400, "InvalidArgument", "bad ARN");
    if (!svc_find(k->service))
        return ferr_set(e, 400, "InvalidArgument", "%s is not available", k->service);
    principal p;
    memset(&p, 0, sizeof(p));
    p.kind = PRIN_SERVICE;
    snprintf(p.account, sizeof(p.account), "%s", b->owner);
    snprintf(p.service, sizeof(p.service), "s3.amazonaws.com");
    /* AWS: S3 calls on the bucket's behalf, so destination policies can require these */
    json_t *ctx = json_pack("{s:s, s:s}", "aws:SourceArn", b->arn, "aws:SourceAccount", b->owner);
    json_t *in = !strcmp(k->service, "sns")
                     ? json_pack("{s:s, s:s, s:s}", "TopicArn", arn, "Message", body, "Subject",
                                 "Amazon S3 Notification")
                 : !strcmp(k->service, "sqs")
                     ? json_pack("{s:s, s:s}", "QueueUrl", arn, "MessageBody", body)
                     : json_pack("{s:s, s:s, s:s?}", "FunctionName", arn, "InvocationType",
                                 test ? "DryRun" : "Event", "Payload",
                                 enc_b64(c->a, (const unsigned char *)body, strlen(body)));
    json_t *out = NULL;
    int rc = !ctx || !in ? ferr_oom(e)
                         : svc_invoke_in(c->txn, c->a, c->env, &p, region, k->service,
                                         !strcmp(k->service, "sns")   ? "Publish"
                                         : !strcmp(k->service, "sqs") ? "SendMessage"
                                                                      : "Invoke",
                                         in, &out, ctx, e);
    json_decref(ctx);
    json_decref(in);
    json_decref(out);
    return rc;
}

static char *iso_now(call *c)
{
    char t[40];
    clock_iso8601(clock_now(), 3, t);
    return arena_strdup(c->a, t);
}

/* ---- configuration ---- */

/* Checks one configuration entry's events and filter; gives it an Id when it has none. */
static int check_entry(call *c, json_t *cfg)
{
    json_t *events = json_object_get(cfg, "Events");
    if (!json_array_size(events))
        return ferr_set(c->err, 400, "MalformedXML",
                        "The XML you provided was not well-formed or did not validate against "
                        "our published schema");
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev) {
        const char *s = json_string_value(ev);
        int k = 0;
        while (known_events[k] && (!s || strcmp(s, known_events[k]) || !strcmp(s, "s3:TestEvent")))
            k++;
        if (!known_events[k])
            return invalid_argument(c, "The event is not supported for notifications");
    }
    const json_t *rules =
        json_object_get(json_object_get(json_object_get(cfg, "Filter"), "Key"), "FilterRules");
    int prefix = 0, suffix = 0;
    json_t *r;
    json_array_foreach(rules, i, r) {
        const char *name = jstr(r, "Name");
        if (name && !strcasecmp(name, "prefix"))
            prefix++;
        else if (name && !strcasecmp(name, "suffix"))
            suffix++;
        else
            return invalid_argument(c, "filter rule name must be either prefix or suffix");
        if (!jstr(r, "Value")) return invalid_argument(c, "filter value cannot be empty");
    }
    if (prefix > 1)
        return invalid_argument(c, "Cannot specify more than one prefix rule in a filter.");
    if (suffix > 1)
        return invalid_argument(c, "Cannot specify more than one suffix rule in a filter.");
    if (!jstr(cfg, "Id")) {
        char id[37];
        ids_uuid(id);
        if (jset_str(cfg, "Id", id)) return ferr_oom(c->err);
    }
    return 0;
}

static char *test_event(call *c, const s3_bucket *b)
{
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Service", "Amazon S3", "Event",
                           "s3:TestEvent", "Time", iso_now(c), "Bucket", b->name, "RequestId",
                           c->request_id ? c->request_id : "", "HostId", "ferry");
    char *s = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    char *r = s ? arena_strdup(c->a, s) : NULL;
    free(s);
    return r;
}

int s3_op_put_bucket_notification_configuration(call *c, json_t *in, json_t **out)
{
    (void)out;
    s3_bucket b;
    if (s3_bucket_open(c, jstr(in, "Bucket"), NULL, "s3:PutBucketNotification", &b)) return -1;
    json_t *cfg = json_object_get(in, "NotificationConfiguration");
    json_t *keep = arena_defer_json(c->a, json_object()),
           *tested = arena_defer_json(c->a, json_object());
    if (!keep || !tested) return ferr_oom(c->err);
    const char *body = NULL;
    int skip = jbool(in, "SkipDestinationValidation", 0);
    char failed[2048] = "";
    for (size_t k = 0; k < NKINDS; k++) {
        json_t *list = json_object_get(cfg, kinds[k].list);
        if (!json_array_size(list)) continue;
        size_t i;
        json_t *e;
        json_array_foreach(list, i, e) {
            const char *arn = jstr(e, kinds[k].arn_member);
            if (!arn || check_entry(c, e)) return arn ? -1 : invalid_argument(c, "ARN is missing");
            const char *region = arn_region(c, arn);
            if (region && strcmp(region, b.region))
                return invalid_argument(c, "The notification destination service region is not "
                                           "valid for the bucket location constraint");
            /* one test event per destination */
            if (skip || json_object_get(tested, arn)) continue;
            if (json_object_set_new(tested, arn, json_true())) return ferr_oom(c->err);
            ferr fe = {0};
            if (!body && !(body = test_event(c, &b))) return ferr_oom(c->err);
            if (send_to(c, &b, &kinds[k], arn, body, 1, &fe)) {
                size_t n = strlen(failed);
                snprintf(failed + n, sizeof(failed) - n, "%s%s", n ? ", " : "", arn);
            }
        }
        if (json_object_set(keep, kinds[k].list, list)) return ferr_oom(c->err);
    }
    if (*failed)
        return ferr_set(c->err, 400, "InvalidArgument",
                        "Unable to validate the following destination configurations");
    json_t *eb = json_object_get(cfg, "EventBridgeConfiguration");
    if (eb && json_object_set(keep, "EventBridgeConfiguration", eb)) return ferr_oom(c->err);
    /* AWS: an empty configuration turns notifications off */
    if (!json_object_size(keep))
        json_object_del(b.doc, F_NOTIFY);
    else if (json_object_set(b.doc, F_NOTIFY, keep))
        return ferr_oom(c->err);
    return s3_bucket_save(c, &b);
}

int s3_op_get_bucket_notification_configuration(call *c, json_t *in, json_t **out)
{
    s3_bucket b;
    if (s3_bucket_open(c, jstr(in, "Bucket"), NULL, "s3:GetBucketNotification", &b)) return -1;
    json_t *n = json_object_get(b.doc, F_NOTIFY);
    *out = svc_out(c, n ? json_deep_copy(n) : json_object());
    return 0;
}

/* ---- events ---- */

/* AWS URL-encodes the key in events as a form would: spaces as '+', slashes kept. */
static char *event_key(call *c, const char *key)
{
    char *k = enc_url_encode(c->a, key, strlen(key), 1);
    if (!k) return NULL;
    size_t n = 0;
    for (const char *p = k; *p; n++) {
        if (!strncmp(p, "%20", 3)) {
            k[n] = '+';
            p += 3;
        } else {
            k[n] = *p++;
        }
    }
    k[n] = 0;
    return k;
}

static char *event_record(call *c, const s3_bucket *b, const char *config_id, const char *event,
                          const char *key, long long size, const char *etag)
{
    char seq[24];
    snprintf(seq, sizeof(seq), "%016llX", (unsigned long long)(clock_now() * 1e9));
    const char *ek = event_key(c, key);
    const char *who =
        c->who ? (c->who->kind == PRIN_SERVICE ? c->who->service : c->who->userid) : "";
    json_t *obj = json_pack("{s:s, s:s}", "key", ek ? ek : "", "sequencer", seq);
    size_t el = etag ? strlen(etag) : 0;
    int rc = !obj || !ek;
    if (obj && size >= 0) rc |= json_object_set_new(obj, "size", json_integer(size));
    if (obj && el >= 2 && etag[0] == '"')
        rc |= json_object_set_new(obj, "eTag", json_stringn(etag + 1, el - 2));
    if (rc) {
        json_decref(obj);
        obj = NULL;
    }
    json_t *rec =
        obj ? json_pack("{s:[{s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s, s:s}, "
                        "s:{s:s, s:s, s:{s:s, s:{s:s}, s:s}, s:o}}]}",
                        "Records", "eventVersion", "2.1", "eventSource", "aws:s3", "awsRegion",
                        b->region, "eventTime", iso_now(c), "eventName", event + 3, "userIdentity",
                        "principalId", arena_printf(c->a, "AWS:%s", who), "requestParameters",
                        "sourceIPAddress", call_source_ip(c), "responseElements",
                        "x-amz-request-id", c->request_id ? c->request_id : "", "x-amz-id-2",
                        "ferry", "s3", "s3SchemaVersion", "1.0", "configurationId", config_id,
                        "bucket", "name", b->name, "ownerIdentity", "principalId", b->owner, "arn",
                        b->arn, "object", obj)
            : NULL;
    char *s = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
    json_decref(rec);
    char *r = s ? arena_strdup(c->a, s) : NULL;
    free(s);
    return r;
}

/* A bucket with EventBridgeConfiguration: AWS's "Object Created" / "Object Deleted" on the
 * owner's default bus in the bucket's region, in the call's transaction. */
static int to_eventbridge(call *c, const s3_bucket *b, const char *event, const char *key,
                          long long size, const char *etag)
{
    int created = !strncmp(event, "s3:ObjectCreated:", 17);
    if (!created && strncmp(event, "s3:ObjectRemoved:", 17)) return 0;
    const char *how = event + 17;
    char seq[24];
    snprintf(seq, sizeof(seq), "%016llX", (unsigned long long)(clock_now() * 1e9));
    json_t *obj = json_pack("{s:s, s:s}", "key", key, "sequencer", seq);
    size_t el = etag ? strlen(etag) : 0;
    int rc = !obj;
    if (obj && size >= 0) rc |= json_object_set_new(obj, "size", json_integer(size));
    if (obj && el >= 2 && etag[0] == '"')
        rc |= json_object_set_new(obj, "etag", json_stringn(etag + 1, el - 2));
    const char *reason = !created                       ? "DeleteObject"
                         : !strcmp(how, "Copy")         ? "CopyObject"
                         : !strncmp(how, "Complete", 8) ? "CompleteMultipartUpload"
                                                        : "PutObject";
    json_t *detail =
        rc ? NULL
           : json_pack("{s:s, s:{s:s}, s:O, s:s, s:s, s:s, s:s}", "version", "0", "bucket", "name",
                       b->name, "object", obj, "request-id", c->request_id ? c->request_id : "",
                       "requester", c->account ? c->account : "", "source-ip-address",
                       call_source_ip(c), "reason", reason);
    json_decref(obj);
    if (detail && !created &&
        json_object_set_new(detail, "deletion-type",
                            json_string(!strcmp(how, "DeleteMarkerCreated")
                                            ? "Delete Marker Created"
                                            : "Permanently Deleted")))
        json_decref(detail), detail = NULL;
    json_t *res = json_pack("[s]", b->arn);
    rc = !detail || !res
             ? ferr_oom(c->err)
             : events_emit(c->txn, b->owner, b->region, "aws.s3",
                           created ? "Object Created" : "Object Deleted", detail, res, c->err);
    json_decref(detail);
    json_decref(res);
    return rc;
}

int s3_notify(call *c, const s3_bucket *b, const char *event, const char *key, long long size,
              const char *etag)
{
    json_t *n = json_object_get(b->doc, F_NOTIFY);
    if (!n) return 0;
    if (json_object_get(n, "EventBridgeConfiguration") &&
        to_eventbridge(c, b, event, key, size, etag))
        return -1;
    /* AWS: what the lifecycle removes is notified as such */
    if (c->caller == CALLER_INTERNAL && c->arg == &s3_lifecycle_marker &&
        !strncmp(event, "s3:ObjectRemoved:", 17) &&
        !(event = arena_printf(c->a, "s3:LifecycleExpiration:%s", event + 17)))
        return ferr_oom(c->err);
    for (size_t k = 0; k < NKINDS; k++) {
        size_t i, j;
        json_t *e, *pat;
        json_array_foreach(json_object_get(n, kinds[k].list), i, e) {
            int hit = 0;
            json_array_foreach(json_object_get(e, "Events"), j, pat)
                hit |= json_is_string(pat) && s3_event_matches(json_string_value(pat), event);
            if (!hit || !s3_filter_matches(json_object_get(e, "Filter"), key)) continue;
            const char *body =
                event_record(c, b, jstr(e, "Id") ? jstr(e, "Id") : "", event, key, size, etag);
            if (!body) return ferr_oom(c->err);
            ferr fe = {0};
            /* AWS drops an event its destination refuses or that is gone: the write stands */
            (void)send_to(c, b, &kinds[k], jstr(e, kinds[k].arn_member), body, 0, &fe);
        }
    }
    return 0;
}
