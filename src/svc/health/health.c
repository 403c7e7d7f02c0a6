/* AWS Health (json): the events of the caller's account, as the operator injected them
 * (inject.c): DescribeEvents with its filters, DescribeEventDetails,
 * DescribeAffectedEntities, DescribeEntityAggregates, DescribeEventTypes. The organization
 * view is not implemented (its operations answer NotImplemented). */
#include <stdlib.h>
#include <string.h>

#include "health_int.h"

store_key health_key(const char *account, const char *arn)
{
    return (store_key){HEALTH_EVENT_KIND, account, "", arn};
}

json_t *health_event_view(const json_t *doc)
{
    static const char *const members[] = {"arn",
                                          "service",
                                          "eventTypeCode",
                                          "eventTypeCategory",
                                          "region",
                                          "availabilityZone",
                                          "startTime",
                                          "endTime",
                                          "lastUpdatedTime",
                                          "statusCode",
                                          "eventScopeCode",
                                          NULL};
    json_t *v = json_object();
    for (size_t i = 0; v && members[i]; i++) {
        json_t *m = json_object_get(doc, members[i]);
        if (m && json_object_set(v, members[i], m)) json_decref(v), v = NULL;
    }
    return v;
}

/* ---- filters ---- */

/* 1 when list (absent or empty: no condition) holds s. */
static int listed(const json_t *list, const char *s)
{
    if (!json_array_size(list)) return 1;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (s && json_is_string(v) && !strcmp(json_string_value(v), s)) return 1;
    }
    return 0;
}

/* 1 when ranges (absent or empty: no condition) has one holding t (absent: none does). */
static int in_ranges(const json_t *ranges, const json_t *t)
{
    if (!json_array_size(ranges)) return 1;
    if (!json_is_number(t)) return 0;
    double x = json_number_value(t);
    size_t i;
    json_t *r;
    json_array_foreach(ranges, i, r) {
        const json_t *from = json_object_get(r, "from"), *to = json_object_get(r, "to");
        if ((!from || json_number_value(from) <= x) && (!to || x <= json_number_value(to)))
            return 1;
    }
    return 0;
}

/* 1 when some entity of the event has its member in list (absent or empty: no condition). */
static int entity_listed(const json_t *doc, const json_t *list, const char *member)
{
    if (!json_array_size(list)) return 1;
    size_t i;
    json_t *en;
    json_array_foreach(json_object_get(doc, "entities"), i, en) {
        if (jstr(en, member) && listed(list, jstr(en, member))) return 1;
    }
    return 0;
}

static int event_matches(const json_t *doc, const json_t *f)
{
#define L(k) json_object_get(f, k)
    return listed(L("eventArns"), jstr(doc, "arn")) &&
           listed(L("eventTypeCodes"), jstr(doc, "eventTypeCode")) &&
           listed(L("services"), jstr(doc, "service")) &&
           listed(L("regions"), jstr(doc, "region")) &&
           listed(L("availabilityZones"), jstr(doc, "availabilityZone")) &&
           listed(L("eventTypeCategories"), jstr(doc, "eventTypeCategory")) &&
           listed(L("eventStatusCodes"), jstr(doc, "statusCode")) &&
           in_ranges(L("startTimes"), json_object_get(doc, "startTime")) &&
           in_ranges(L("endTimes"), json_object_get(doc, "endTime")) &&
           in_ranges(L("lastUpdatedTimes"), json_object_get(doc, "lastUpdatedTime")) &&
           entity_listed(doc, L("entityArns"), "entityArn") &&
           entity_listed(doc, L("entityValues"), "entityValue");
#undef L
}

typedef struct collect_ctx {
    const json_t *filter;
    json_t *docs;
} collect_ctx;

static int collect(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    collect_ctx *x = ud;
    if (!event_matches(doc, x->filter)) return 0;
    return json_array_append(x->docs, doc) ? -1 : 0;
}

/* AWS: the newest first (lastUpdatedTime descending). */
static int newest_first(const void *a, const void *b)
{
    double x = json_number_value(json_object_get(*(json_t *const *)a, "lastUpdatedTime"));
    double y = json_number_value(json_object_get(*(json_t *const *)b, "lastUpdatedTime"));
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The caller's events matching filter (NULL: all), newest first: an array the arena owns,
 * or NULL with c->err. */
static json_t *events_of(call *c, const json_t *filter)
{
    collect_ctx x = {filter, arena_defer_json(c->a, json_array())};
    if (!x.docs) return ferr_oom(c->err), NULL;
    if (store_list(c->txn, HEALTH_EVENT_KIND, c->account, "", NULL, NULL, 0, collect, &x, c->err) <
        0)
        return NULL;
    size_t n = json_array_size(x.docs);
    json_t **v = arena_alloc(c->a, (n ? n : 1) * sizeof(*v));
    if (!v) return ferr_oom(c->err), NULL;
    for (size_t i = 0; i < n; i++) v[i] = json_array_get(x.docs, i);
    qsort(v, n, sizeof(*v), newest_first);
    json_t *sorted = arena_defer_json(c->a, json_array());
    for (size_t i = 0; sorted && i < n; i++)
        if (json_array_append(sorted, v[i])) sorted = NULL;
    if (!sorted) ferr_oom(c->err);
    return sorted;
}

static int check_locale(call *c, const json_t *in)
{
    const char *l = jstr(in, "locale");
    if (l && strcmp(l, "en"))
        return ferr_set(c->err, 400, "UnsupportedLocale", "The locale %s is not supported", l);
    return 0;
}

/* AWS: maxResults 10..100 (the model checks), 100 when absent. */
static int page(call *c, const json_t *in, json_t *all, const char *key, json_t **out)
{
    json_t *o = arena_defer_json(c->a, json_object());
    if (!o) return ferr_oom(c->err);
    if (svc_page(c, all, jstr(in, "nextToken"), jint(in, "maxResults", 100), o, key, "nextToken",
                 "InvalidPaginationToken"))
        return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

int health_op_describe_events(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "health:DescribeEvents", "*") || check_locale(c, in)) return -1;
    json_t *docs = events_of(c, json_object_get(in, "filter"));
    json_t *all = arena_defer_json(c->a, json_array());
    if (!docs || !all) return docs ? ferr_oom(c->err) : -1;
    size_t i;
    json_t *d;
    json_array_foreach(docs, i, d) {
        if (json_array_append_new(all, health_event_view(d))) return ferr_oom(c->err);
    }
    return page(c, in, all, "events", out);
}

/* The caller's event arn: 1 (*doc, arena-owned), 0 absent, -1 with c->err. */
static int event_get(call *c, const char *arn, json_t **doc)
{
    store_key k = health_key(c->account, arn);
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc == 1 && !arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    return rc;
}

int health_op_describe_event_details(call *c, json_t *in, json_t **out)
{
    if (check_locale(c, in)) return -1;
    json_t *ok = arena_defer_json(c->a, json_array()), *bad = arena_defer_json(c->a, json_array());
    if (!ok || !bad) return ferr_oom(c->err);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(in, "eventArns"), i, v) {
        const char *arn = json_string_value(v);
        if (call_authorize(c, "health:DescribeEventDetails", arn)) return -1;
        json_t *d = NULL;
        int rc = event_get(c, arn, &d);
        if (rc < 0) return -1;
        /* AWS: an event it cannot describe goes to failedSet, the call succeeds */
        if (!rc) {
            if (json_array_append_new(bad,
                                      json_pack("{s:s, s:s, s:s}", "eventArn", arn, "errorName",
                                                "UnsupportedEventException", "errorMessage",
                                                "Event information is not available")))
                return ferr_oom(c->err);
            continue;
        }
        json_t *md = json_object_get(d, "metadata");
        if (json_array_append_new(ok,
                                  json_pack("{s:o, s:{s:s}, s:o}", "event", health_event_view(d),
                                            "eventDescription", "latestDescription",
                                            jstr(d, "description") ? jstr(d, "description") : "",
                                            "eventMetadata", md ? json_incref(md) : json_object())))
            return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:O, s:O}", "successfulSet", ok, "failedSet", bad));
    return 0;
}

int health_op_describe_affected_entities(call *c, json_t *in, json_t **out)
{
    if (check_locale(c, in)) return -1;
    const json_t *f = json_object_get(in, "filter");
    json_t *all = arena_defer_json(c->a, json_array());
    if (!all) return ferr_oom(c->err);
    size_t i, j;
    json_t *v, *en;
    json_array_foreach(json_object_get(f, "eventArns"), i, v) {
        const char *arn = json_string_value(v);
        if (call_authorize(c, "health:DescribeAffectedEntities", arn)) return -1;
        json_t *d = NULL;
        int rc = event_get(c, arn, &d);
        if (rc < 0) return -1;
        json_array_foreach(json_object_get(d, "entities"), j, en) {
            if (!listed(json_object_get(f, "entityArns"), jstr(en, "entityArn")) ||
                !listed(json_object_get(f, "entityValues"), jstr(en, "entityValue")) ||
                !listed(json_object_get(f, "statusCodes"), jstr(en, "statusCode")) ||
                !in_ranges(json_object_get(f, "lastUpdatedTimes"),
                           json_object_get(en, "lastUpdatedTime")))
                continue;
            json_t *e = json_deep_copy(en);
            if (!e || jset_str(e, "eventArn", arn) || jset_str(e, "awsAccountId", c->account) ||
                json_array_append_new(all, e))
                return ferr_oom(c->err);
        }
    }
    return page(c, in, all, "entities", out);
}

int health_op_describe_entity_aggregates(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "health:DescribeEntityAggregates", "*")) return -1;
    json_t *all = arena_defer_json(c->a, json_array());
    if (!all) return ferr_oom(c->err);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(in, "eventArns"), i, v) {
        json_t *d = NULL;
        if (event_get(c, json_string_value(v), &d) < 0) return -1;
        if (d && json_array_append_new(
                     all, json_pack("{s:O, s:I}", "eventArn", v, "count",
                                    (json_int_t)json_array_size(json_object_get(d, "entities")))))
            return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:O}", "entityAggregates", all));
    return 0;
}

/* The event types: those of the account's events (AWS lists its whole catalogue; ferry's
 * catalogue is what was injected). */
int health_op_describe_event_types(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "health:DescribeEventTypes", "*") || check_locale(c, in)) return -1;
    const json_t *f = json_object_get(in, "filter");
    json_t *docs = events_of(c, NULL);
    json_t *all = arena_defer_json(c->a, json_array());
    if (!docs || !all) return docs ? ferr_oom(c->err) : -1;
    size_t i, j;
    json_t *d, *t;
    json_array_foreach(docs, i, d) {
        const char *code = jstr(d, "eventTypeCode"), *svc = jstr(d, "service");
        const char *cat = jstr(d, "eventTypeCategory");
        if (!listed(json_object_get(f, "eventTypeCodes"), code) ||
            !listed(json_object_get(f, "services"), svc) ||
            !listed(json_object_get(f, "eventTypeCategories"), cat))
            continue;
        int seen = 0;
        json_array_foreach(all, j, t) {
            seen |= !strcmp(jstr(t, "code"), code) && !strcmp(jstr(t, "service"), svc);
        }
        if (!seen && json_array_append_new(all, json_pack("{s:s, s:s, s:s}", "service", svc, "code",
                                                          code, "category", cat)))
            return ferr_oom(c->err);
    }
    return page(c, in, all, "eventTypes", out);
}

/* AWS: the only aggregateField is eventTypeCategory (the model's enum). */
int health_op_describe_event_aggregates(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "health:DescribeEventAggregates", "*")) return -1;
    json_t *docs = events_of(c, json_object_get(in, "filter"));
    json_t *counts = arena_defer_json(c->a, json_object());
    json_t *all = arena_defer_json(c->a, json_array());
    if (!docs || !counts || !all) return docs ? ferr_oom(c->err) : -1;
    size_t i;
    json_t *d;
    json_array_foreach(docs, i, d) {
        const char *cat = jstr(d, "eventTypeCategory");
        if (cat && json_object_set_new(counts, cat, json_integer(jint(counts, cat, 0) + 1)))
            return ferr_oom(c->err);
    }
    const char *k;
    json_t *n;
    json_object_foreach(counts, k, n) {
        if (json_array_append_new(all, json_pack("{s:s, s:O}", "aggregateValue", k, "count", n)))
            return ferr_oom(c->err);
    }
    return page(c, in, all, "eventAggregates", out);
}
