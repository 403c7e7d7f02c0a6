/* CloudTrail event history: LookupEvents over ferry's audit trail. Every request, allowed
 * or refused, is an event in the caller's account and region. Request parameters are not
 * recorded, so no secret can leak through the trail. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/checked.h"
#include "base/clock.h"
#include "svc/svc.h"

static const char *const attr_keys[] = {"EventId",     "EventName",    "ReadOnly",
                                        "Username",    "ResourceType", "ResourceName",
                                        "EventSource", "AccessKeyId"};

typedef struct page {
    json_t *events;
    int64_t last_seq;
    double last_time;
    int n;
    int oom; /* an event could not be built: the lookup fails rather than skip it */
} page;

/* The caller's account from its ARN (arn:aws:iam::ACCT:...); a service has none. */
static void arn_account(const char *arn, char out[13])
{
    out[0] = 0;
    const char *p = arn;
    for (int i = 0; p && i < 4; i++) {
        p = strchr(p, ':');
        if (p) p++;
    }
    if (p && strlen(p) > 12 && p[12] == ':') snprintf(out, 13, "%.12s", p);
}

static json_t *event_json(const audit_rec *r)
{
    char when[32], caller[13];
    clock_iso8601(r->time, 0, when);
    arn_account(r->principal_arn, caller);
    json_t *ident = json_pack("{s:s, s:s}", "type", r->principal_type ? r->principal_type : "",
                              "arn", r->principal_arn ? r->principal_arn : "");
    int rc = !ident;
    if (caller[0]) rc |= json_object_set_new(ident, "accountId", json_string(caller));
    if (r->access_key) rc |= json_object_set_new(ident, "accessKeyId", json_string(r->access_key));
    if (r->username) rc |= json_object_set_new(ident, "userName", json_string(r->username));
    /* AWS: a call a service made, on its own or with a role session it holds, names the
     * service as its source and in userIdentity.invokedBy */
    size_t sl = r->source_ip ? strlen(r->source_ip) : 0;
    if (sl > 14 && !strcmp(r->source_ip + sl - 14, ".amazonaws.com"))
        rc |= json_object_set_new(ident, "invokedBy", json_string(r->source_ip));
    json_t *ev =
        json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s}",
                  "eventVersion", "1.08", "userIdentity", ident, "eventTime", when, "eventSource",
                  r->event_source ? r->event_source : "", "eventName",
                  r->operation ? r->operation : "", "awsRegion", r->region ? r->region : "",
                  "sourceIPAddress", r->source_ip ? r->source_ip : "", "requestID",
                  r->request_id ? r->request_id : "", "eventID", r->event_id ? r->event_id : "",
                  "readOnly", r->read_only, "eventType", "AwsApiCall", "recipientAccountId",
                  r->account ? r->account : "", "userAgent", r->user_agent ? r->user_agent : "");
    if (r->error_code) {
        rc |= json_object_set_new(ev, "errorCode", json_string(r->error_code));
        rc |= json_object_set_new(ev, "errorMessage",
                                  json_string(r->error_message ? r->error_message : ""));
    }
    json_t *res = NULL;
    if (r->resources) {
        json_error_t je;
        res = json_loads(r->resources, 0, &je);
    }
    if (res) rc |= json_object_set(ev, "resources", res);
    /* AWS: service-specific data in a free-form object; ferry puts a refusal's policy
     * decision there ({"ferry:decision": ...}, svc/authzwhy.h) */
    json_t *extra = r->extra ? json_loads(r->extra, 0, NULL) : NULL;
    if (json_is_object(extra)) rc |= json_object_set(ev, "additionalEventData", extra);
    json_decref(extra);
    char *text = rc ? NULL : json_dumps(ev, JSON_COMPACT);
    rc |= !text;
    json_decref(ev);
    json_t *out =
        json_pack("{s:s, s:s, s:s, s:f, s:s, s:s}", "EventId", r->event_id ? r->event_id : "",
                  "EventName", r->operation ? r->operation : "", "ReadOnly",
                  r->read_only ? "true" : "false", "EventTime", r->time, "EventSource",
                  r->event_source ? r->event_source : "", "CloudTrailEvent", text ? text : "{}");
    free(text);
    if (r->access_key) rc |= json_object_set_new(out, "AccessKeyId", json_string(r->access_key));
    if (r->username) rc |= json_object_set_new(out, "Username", json_string(r->username));
    rc |= json_object_set_new(out, "Resources", res ? res : json_array());
    return jdone(out, rc);
}

static int page_cb(void *ud, int64_t seq, const audit_rec *r)
{
    page *p = ud;
    if (json_array_append_new(p->events, event_json(r))) {
        p->oom = 1;
        return 1;
    }
    p->last_seq = seq;
    p->last_time = r->time;
    p->n++;
    return 0;
}

int cloudtrail_op_lookup_events(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "cloudtrail:LookupEvents", "*")) return -1;
    audit_query q = {.account = c->account, .region = c->region};
    json_t *attrs = json_object_get(in, "LookupAttributes");
    if (json_array_size(attrs) > 1)
        return ferr_set(c->err, 400, "InvalidLookupAttributesException",
                        "You cannot specify more than one lookup attribute.");
    if (json_array_size(attrs) == 1) {
        json_t *a = json_array_get(attrs, 0);
        q.attr_key = jstr(a, "AttributeKey");
        q.attr_value = jstr(a, "AttributeValue");
        int known = 0;
        for (size_t i = 0; i < sizeof(attr_keys) / sizeof(attr_keys[0]); i++)
            known |= q.attr_key && !strcmp(q.attr_key, attr_keys[i]);
        if (!known || !q.attr_value)
            return ferr_set(c->err, 400, "InvalidLookupAttributesException",
                            "Lookup attribute key and value must be valid.");
    }
    json_t *st = json_object_get(in, "StartTime"), *et = json_object_get(in, "EndTime");
    q.start = json_is_number(st) ? json_number_value(st) : 0;
    q.end = json_is_number(et) ? json_number_value(et) : 0;
    if (q.start && q.end && q.start > q.end)
        return ferr_set(c->err, 400, "InvalidTimeRangeException",
                        "Start time must be earlier than end time.");
    long long max = jint(in, "MaxResults", 50);
    if (max < 1 || max > 50)
        return ferr_set(c->err, 400, "InvalidMaxResultsException",
                        "MaxResults must be between 1 and 50.");
    q.limit = (int)max;
    /* NextToken: the last event given, "SEQ:TIME" (keyset: the next page starts below it,
     * however many events arrive or expire meanwhile) */
    const char *tok = jstr(in, "NextToken");
    if (tok) {
        char *end;
        errno = 0;
        long long v = strtoll(tok, &end, 10);
        double when = *end == ':' ? strtod(end + 1, &end) : -1;
        if (*end || errno || v <= 0 || !(when >= 0 && when < 1e300))
            return ferr_set(c->err, 400, "InvalidNextTokenException", "Invalid NextToken.");
        q.before_seq = v;
        q.before_time = when;
    }
    page p = {json_array(), 0, 0, 0, 0};
    if (store_audit_query(c->txn, &q, page_cb, &p, c->err) < 0 || (p.oom && ferr_oom(c->err))) {
        json_decref(p.events);
        return -1;
    }
    *out = svc_out(c, json_pack("{s:o}", "Events", p.events));
    if (!*out) return ferr_oom(c->err);
    if (p.n == q.limit) {
        char t[64];
        snprintf(t, sizeof(t), "%lld:%.17g", (long long)p.last_seq, p.last_time);
        if (jset_str(*out, "NextToken", t)) return ferr_oom(c->err);
    }
    return 0;
}

const svc_def svc_cloudtrail = {.name = "cloudtrail", .event_source = "cloudtrail.amazonaws.com"};
