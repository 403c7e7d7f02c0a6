/* Events onto a bus: PutEvents (clients), events_emit (AWS services inside ferry), the
 * forwarding of a bus target (another account's bus); and TestEventPattern. An event is
 * matched against the bus's rules where it is accepted and queued, one delivery document
 * per target, in the same transaction (documents.h): what PutEvents answered survives a
 * crash, and the engine delivers it. */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/gencache.h"
#include "base/ids.h"
#include "base/log.h"
#include "events_int.h"
#include "svc/sns/filter.h"

json_t *events_envelope(const char *account, const char *region, const char *source,
                        const char *detail_type, const json_t *detail, const json_t *resources,
                        double t)
{
    char id[37], ts[32];
    ids_uuid(id);
    clock_iso8601(t, 0, ts);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "version", "0", "id", id,
                     "detail-type", detail_type, "source", source, "account", account, "time", ts,
                     "region", region, "resources",
                     resources ? json_deep_copy(resources) : json_array(), "detail",
                     detail ? json_deep_copy(detail) : json_object());
}

typedef struct match_ctx {
    store_txn *t;
    const char *account, *region, *bus, *only;
    const json_t *event;
    int n;
    ferr *e;
} match_ctx;

static int queue_target(match_ctx *m, const json_t *rule, const json_t *target)
{
    arena *a = arena_new(256);
    const char *arn =
        a ? events_rule_arn(a, m->region, m->account, m->bus, jstr(rule, "Name")) : NULL;
    char id[37];
    double now = clock_now();
    ids_uuid7(id, now);
    json_t *doc = arn ? json_pack("{s:s, s:s, s:O, s:O, s:f, s:i, s:f}", "RuleArn", arn, "RuleName",
                                  jstr(rule, "Name"), "Target", target, "Event", m->event,
                                  "Enqueued", now, "Attempts", 0, "NextAt", now)
                      : NULL;
    store_key k = {EVENTS_DELIVERY_KIND, m->account, m->region, id};
    int rc = !doc ? ferr_oom(m->e) : store_put(m->t, &k, doc, m->e);
    json_decref(doc);
    arena_free(a);
    if (!rc) m->n++;
    return rc;
}

static void filter_free(void *f)
{
    sns_filter_free(f);
}

/* Compiled patterns, keyed by their text (which says all of them: generation 0). */
static gencache_static patterns = GENCACHE_STATIC(4096, filter_free);

/* 1 when event matches pattern (a pattern that no longer parses matches nothing). */
static int pattern_hit(const char *pattern, const json_t *event)
{
    gencache *gc = gencache_of(&patterns);
    gencache_entry *en = gencache_acquire(gc, pattern, 0);
    if (!en) {
        ferr pe = {0};
        sns_filter *f = sns_filter_parse(pattern, strlen(pattern), SNS_SCOPE_EVENT, "", &pe);
        if (!f) return 0;
        en = gencache_insert(gc, pattern, 0, f);
        if (!en) {
            int hit = sns_filter_match(f, NULL, event);
            sns_filter_free(f);
            return hit;
        }
    }
    int hit = sns_filter_match(gencache_value(en), NULL, event);
    gencache_release(en);
    return hit;
}

static int match_rule(void *ud, const store_key *k, json_t *rule)
{
    (void)k;
    match_ctx *m = ud;
    const char *pattern = jstr(rule, "EventPattern");
    if (strcmp(jstr(rule, "State") ? jstr(rule, "State") : "", "ENABLED")) return 0;
    if (m->only) {
        if (strcmp(jstr(rule, "Name"), m->only)) return 0;
    } else {
        if (!pattern) return 0; /* schedules get their own events only */
        if (!pattern_hit(pattern, m->event)) return 0;
    }
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(rule, "Targets"), i, t) {
        if (queue_target(m, rule, t)) return 1;
    }
    return 0;
}

int events_enqueue(store_txn *t, const char *account, const char *region, const char *bus,
                   const json_t *event, const char *only_rule, ferr *e)
{
    arena *a = arena_new(256);
    const char *prefix = a ? arena_printf(a, "%s|", bus) : NULL;
    match_ctx m = {t, account, region, bus, only_rule, event, 0, e};
    int rc = !prefix ? ferr_oom(e)
             : store_list(t, EVENTS_RULE_KIND, account, region, prefix, NULL, 0, match_rule, &m,
                          e) < 0 ||
                     ferr_isset(e)
                 ? -1
                 : 0;
    arena_free(a);
    if (!rc && m.n) events_kick();
    return rc;
}

int events_emit(store_txn *t, const char *account, const char *region, const char *source,
                const char *detail_type, const json_t *detail, const json_t *resources, ferr *e)
{
    json_t *ev =
        events_envelope(account, region, source, detail_type, detail, resources, clock_now());
    int rc = ev ? events_enqueue(t, account, region, "default", ev, NULL, e) : ferr_oom(e);
    json_decref(ev);
    return rc;
}

/* ---- PutEvents ---- */

static int entry_fail(json_t *res, const char *code, const char *msg)
{
    return json_array_append_new(res,
                                 json_pack("{s:s, s:s}", "ErrorCode", code, "ErrorMessage", msg));
}

/* The bus an entry goes to, authorized: another account's only when its policy allows. */
static int bus_for_put(call *c, const char *ref, const char **account, const char **bus)
{
    if (events_bus_ref(c, ref, account, bus)) return -1;
    json_t *doc;
    const char *arn = events_bus_arn(c->a, c->region, *account, *bus);
    if (!arn) return ferr_oom(c->err);
    call_resource(c, "AWS::Events::EventBus", arn);
    if (events_bus_get(c, *account, *bus, &doc)) return -1;
    authz_req r = {.action = "events:PutEvents",
                   .resource = arn,
                   .resource_account = *account,
                   .resource_policy = jstr(doc, "Policy"),
                   .denied_code = "AccessDeniedException"};
    return call_authorize_ex(c, &r);
}

int events_op_put_events(call *c, json_t *in, json_t **out)
{
    const json_t *entries = json_object_get(in, "Entries");
    size_t n = json_array_size(entries), i, bytes = 0;
    if (n < 1 || n > EVENTS_MAX_ENTRIES)
        return events_invalid(c,
                              "1 validation error detected: Value '%zu' at 'entries' failed to "
                              "satisfy constraint: Member must have length less than or "
                              "equal to 10",
                              n);
    json_t *e;
    json_array_foreach(entries, i, e) {
        /* AWS counts the Time, Source, DetailType, Detail and Resources of each entry */
        const char *f[] = {"Source", "DetailType", "Detail"};
        for (int j = 0; j < 3; j++) bytes += jstr(e, f[j]) ? strlen(jstr(e, f[j])) : 0;
        bytes += json_object_get(e, "Time") ? 14 : 0;
        size_t k;
        json_t *r;
        json_array_foreach(json_object_get(e, "Resources"), k, r) {
            bytes += json_string_length(r);
        }
    }
    if (bytes > EVENTS_MAX_BYTES)
        return events_invalid(c, "Total size of the entries in the request is over the limit.");
    json_t *res = json_array();
    if (!arena_defer_json(c->a, res)) return ferr_oom(c->err);
    int nfail = 0;
    json_array_foreach(entries, i, e) {
        const char *source = jstr(e, "Source"), *type = jstr(e, "DetailType"),
                   *detail = jstr(e, "Detail"), *why = NULL, *code = "InvalidArgument";
        json_t *d = detail ? json_loads(detail, 0, NULL) : NULL;
        if (!source || !*source)
            why = "Parameter Source is not valid. Reason: Source is a required argument.";
        else if (!type || !*type)
            why = "Parameter DetailType is not valid. Reason: DetailType is a required argument.";
        else if (!detail)
            why = "Parameter Detail is not valid. Reason: Detail is a required argument.";
        else if (!json_is_object(d))
            code = "MalformedDetail", why = "Detail is malformed.";
        else if (!strncmp(source, "aws.", 4))
            /* AWS: sources that begin with "aws." are the services' own */
            code = "NotAuthorizedForSourceException", why = "Not authorized for the source.";
        if (why) {
            json_decref(d);
            nfail++;
            if (entry_fail(res, code, why)) return ferr_oom(c->err);
            continue;
        }
        const char *account, *bus;
        if (bus_for_put(c, jstr(e, "EventBusName"), &account, &bus)) {
            json_decref(d);
            if (strcmp(c->err->code, "ResourceNotFoundException")) return -1;
            /* AWS answers a missing bus in the entry */
            nfail++;
            int rc = entry_fail(res, "ResourceNotFoundException", c->err->message);
            ferr_clear(c->err);
            if (rc) return ferr_oom(c->err);
            continue;
        }
        const json_t *tv = json_object_get(e, "Time");
        double t = json_is_number(tv) ? json_number_value(tv) : clock_now();
        /* the envelope's account is the sender's, also on another account's bus (AWS) */
        json_t *ev = events_envelope(c->account, c->region, source, type, d,
                                     json_object_get(e, "Resources"), t);
        json_decref(d);
        if (!arena_defer_json(c->a, ev)) return ferr_oom(c->err);
        if (events_enqueue(c->txn, account, c->region, bus, ev, NULL, c->err)) return -1;
        if (json_array_append_new(res, json_pack("{s:s}", "EventId", jstr(ev, "id"))))
            return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:i, s:O}", "FailedEntryCount", nfail, "Entries", res));
    return 0;
}

/* A bus target's delivery: the event as it is (id, source, account kept) onto the bus named
 * by in's EventBusName (an ARN), authorized by that bus's policy. */
static int forward(call *c, json_t *in, json_t **out)
{
    const json_t *ev = c->arg;
    const char *account, *bus;
    if (bus_for_put(c, jstr(json_array_get(json_object_get(in, "Entries"), 0), "EventBusName"),
                    &account, &bus) ||
        events_enqueue(c->txn, account, c->region, bus, ev, NULL, c->err))
        return -1;
    *out = svc_out(c, json_pack("{s:i, s:[{s:s}]}", "FailedEntryCount", 0, "Entries", "EventId",
                                jstr(ev, "id")));
    return 0;
}

const svc_op events_forward_op = {"PutEvents", forward, 0};

/* ---- TestEventPattern ---- */

int events_op_test_event_pattern(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "events:TestEventPattern", "*")) return -1;
    const char *pattern = jstr(in, "EventPattern"), *text = jstr(in, "Event");
    json_t *ev = json_loads(text, 0, NULL);
    if (!arena_defer_json(c->a, ev) || !json_is_object(ev))
        return events_invalid(c, "Parameter Event is not valid.");
    /* AWS: the event must carry the envelope's fields */
    static const char *const need[] = {"id", "account", "source", "time", "region", "detail-type"};
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
        if (!json_object_get(ev, need[i]))
            return events_invalid(c, "Parameter Event is not valid.");
    sns_filter *f = sns_filter_parse(pattern, strlen(pattern), SNS_SCOPE_EVENT,
                                     "Event pattern is not valid. Reason: ", c->err);
    if (!f) return -1;
    int hit = sns_filter_match(f, NULL, ev);
    sns_filter_free(f);
    *out = svc_out(c, json_pack("{s:b}", "Result", hit));
    return 0;
}
