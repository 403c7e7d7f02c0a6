/* The operator's side of AWS Health (health.h): events injected into an account and closed,
 * through a signed route (never an unsigned write: a shared server's accounts are not the
 * operator's). Each change is one transaction, audited in the account as the operator's
 * InjectEvent or CloseEvent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/ids.h"
#include "base/log.h"
#include "health.h"
#include "health_int.h"
#include "proto/codec.h"

static void answer(proto_response *resp, int status, json_t *v)
{
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    proto_response_init(resp);
    resp->status = text ? status : 500;
    resp->content_type = "application/json";
    buf_puts(&resp->body, text ? text : "{\"__type\":\"InternalFailure\"}");
    free(text);
}

static void refuse(proto_response *resp, const ferr *e)
{
    answer(resp, e->status ? e->status : 500,
           json_pack("{s:s, s:s}", "__type", e->code, "message", e->message));
}

/* A string member of in matching AWS's pattern for it: [^:/] of min..max characters. */
static int field(call *c, const json_t *in, const char *k, size_t min, size_t max, const char **out)
{
    const char *s = jstr(in, k);
    if (!s || strlen(s) < min || strlen(s) > max || strpbrk(s, ":/"))
        return ferr_set(c->err, 400, "ValidationException",
                        "%s is required: %zu to %zu characters, no ':' or '/'", k, min, max);
    *out = s;
    return 0;
}

static int one_of(call *c, const char *k, const char *v, const char *const *allowed)
{
    for (size_t i = 0; allowed[i]; i++)
        if (!strcmp(v, allowed[i])) return 0;
    return ferr_set(c->err, 400, "ValidationException", "%s '%s' is not one of AWS's", k, v);
}

/* entities: ["i-123", ...] or [{entityValue, entityArn, statusCode, tags}]. */
static json_t *entities_of(call *c, const json_t *list, double now)
{
    static const char *const codes[] = {"IMPAIRED", "UNIMPAIRED", "UNKNOWN",
                                        "PENDING",  "RESOLVED",   NULL};
    json_t *out = arena_defer_json(c->a, json_array());
    if (!out) return ferr_oom(c->err), NULL;
    if (list && !json_is_array(list))
        return ferr_set(c->err, 400, "ValidationException", "entities must be a list"), NULL;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        const char *val = json_is_string(v) ? json_string_value(v) : jstr(v, "entityValue");
        const char *st = jstr(v, "statusCode") ? jstr(v, "statusCode") : "IMPAIRED";
        if (!val || !*val)
            return ferr_set(c->err, 400, "ValidationException", "an entity needs a value"), NULL;
        if (one_of(c, "statusCode", st, codes)) return NULL;
        json_t *en = json_pack("{s:s, s:s, s:f}", "entityValue", val, "statusCode", st,
                               "lastUpdatedTime", now);
        if (!en || jset_str(en, "entityArn", jstr(v, "entityArn")) ||
            (json_is_object(json_object_get(v, "tags")) &&
             json_object_set(en, "tags", json_object_get(v, "tags"))) ||
            json_array_append_new(out, en))
            return json_decref(en), ferr_oom(c->err), NULL;
    }
    return out;
}

static int inject(call *c, json_t *in, json_t **out)
{
    static const char *const cats[] = {"issue", "accountNotification", "scheduledChange",
                                       "investigation", NULL};
    static const char *const states[] = {"open", "upcoming", "closed", NULL};
    static const char *const scopes[] = {"PUBLIC", "ACCOUNT_SPECIFIC", "NONE", NULL};
    const char *svc, *code, *region;
    if (field(c, in, "service", 2, 30, &svc) || field(c, in, "eventTypeCode", 3, 100, &code) ||
        field(c, in, "region", 2, 25, &region))
        return -1;
    if (strspn(code, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
        strlen(code))
        return ferr_set(c->err, 400, "ValidationException",
                        "eventTypeCode must be letters, digits, '_' and '-'");
    const char *cat = jstr(in, "eventTypeCategory") ? jstr(in, "eventTypeCategory") : "issue";
    const char *st = jstr(in, "statusCode") ? jstr(in, "statusCode") : "open";
    double now = clock_now();
    json_t *ents = entities_of(c, json_object_get(in, "entities"), now);
    if (!ents) return -1;
    /* AWS: an event with affected resources is specific to the account */
    const char *scope = jstr(in, "eventScopeCode")
                            ? jstr(in, "eventScopeCode")
                            : (json_array_size(ents) ? "ACCOUNT_SPECIFIC" : "PUBLIC");
    if (one_of(c, "eventTypeCategory", cat, cats) || one_of(c, "statusCode", st, states) ||
        one_of(c, "eventScopeCode", scope, scopes))
        return -1;
    char id[33];
    ids_hex(id, 32);
    /* AWS's form: arn:aws:health:REGION::event/SERVICE/CODE/CODE_ID */
    const char *arn =
        arena_printf(c->a, "arn:aws:health:%s::event/%s/%s/%s_%s", region, svc, code, code, id);
    const json_t *start = json_object_get(in, "startTime");
    json_t *doc = arena_defer_json(
        c->a,
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:s, s:s, s:s, s:O}", "arn", arn, "service",
                  svc, "eventTypeCode", code, "eventTypeCategory", cat, "region", region,
                  "startTime", json_is_number(start) ? json_number_value(start) : now,
                  "lastUpdatedTime", now, "statusCode", st, "eventScopeCode", scope, "description",
                  jstr(in, "description") ? jstr(in, "description") : "", "entities", ents));
    if (!arn || !doc || jset_str(doc, "availabilityZone", jstr(in, "availabilityZone")) ||
        (!strcmp(st, "closed") && json_object_set_new(doc, "endTime", json_real(now))) ||
        (json_is_object(json_object_get(in, "metadata")) &&
         json_object_set(doc, "metadata", json_object_get(in, "metadata"))))
        return ferr_oom(c->err);
    store_key k = health_key(c->account, arn);
    if (store_put(c->txn, &k, doc, c->err)) return -1;
    call_resource(c, "AWS::Health::Event", arn);
    *out = svc_out(c, health_event_view(doc));
    return 0;
}

static int close_event(call *c, json_t *in, json_t **out)
{
    const char *arn = jstr(in, "arn");
    if (!arn) return ferr_set(c->err, 400, "ValidationException", "arn is required");
    store_key k = health_key(c->account, arn);
    json_t *doc = NULL;
    int rc = store_get(c->txn, &k, &doc, c->err);
    if (rc < 0) return -1;
    if (!rc || !arena_defer_json(c->a, doc))
        return rc ? ferr_oom(c->err)
                  : ferr_set(c->err, 404, "ResourceNotFoundException", "No event %s in account %s",
                             arn, c->account);
    double now = clock_now();
    size_t i;
    json_t *en;
    json_array_foreach(json_object_get(doc, "entities"), i, en) {
        if (jset_str(en, "statusCode", "RESOLVED") ||
            json_object_set_new(en, "lastUpdatedTime", json_real(now)))
            return ferr_oom(c->err);
    }
    if (jset_str(doc, "statusCode", "closed") ||
        json_object_set_new(doc, "endTime", json_real(now)) ||
        json_object_set_new(doc, "lastUpdatedTime", json_real(now)))
        return ferr_oom(c->err);
    if (store_put(c->txn, &k, doc, c->err)) return -1;
    call_resource(c, "AWS::Health::Event", arn);
    *out = svc_out(c, health_event_view(doc));
    return 0;
}

/* POST HEALTH_ROUTE{inject,close}: signed by the account's root user (any key with --auth
 * open, where every caller may act as any account). */
static int route(ferry_env *env, arena *a, const svc_request *r, proto_response *resp)
{
    const char *what = r->rest ? r->rest : "";
    svc_fn fn = !strcmp(what, "inject") ? inject : !strcmp(what, "close") ? close_event : NULL;
    ferr e = {0};
    principal *who = arena_alloc(a, sizeof(*who));
    int rc = !who ? -1 : r->signer ? r->signer(r, who, &e) : 1;
    if (!who) ferr_oom(&e);
    if (rc == 1)
        ferr_set(&e, 403, "MissingAuthenticationToken", "Request is missing Authentication Token");
    else if (!rc && !env->auth_open && who->kind != PRIN_ROOT)
        ferr_set(&e, 403, "AccessDenied",
                 "only the account's root user may inject or close Health events");
    else if (!rc && !fn)
        ferr_set(&e, 404, "NotFound", "no such ferry endpoint");
    if (ferr_isset(&e)) {
        refuse(resp, &e);
        return 1;
    }
    json_error_t je;
    json_t *in = json_loadb((const char *)r->body, r->body_len, 0, &je), *out = NULL;
    if (!json_is_object(in)) {
        json_decref(in);
        ferr_set(&e, 400, "SerializationException", "the body must be a JSON object");
        refuse(resp, &e);
        return 1;
    }
    char rid[37];
    ids_uuid(rid);
    const char *op = fn == inject ? "InjectEvent" : "CloseEvent";
    call c = svc_route_call(r, a, env, rid, "health", op, who, "us-east-1", &e);
    svc_op o = {op, fn, 0};
    if (svc_exec(&c, &o, in, &out)) {
        log_info("health: %s refused: %s %s", op, e.code, e.message);
        svc_audit(&c, NULL, 0, e.status);
        refuse(resp, &e);
    } else {
        answer(resp, 200, out);
    }
    json_decref(in);
    return 1;
}

static const svc_route routes[] = {
    {"POST", NULL, HEALTH_ROUTE, route},
};

const svc_def svc_health = {.name = "health",
                            .event_source = "health.amazonaws.com",
                            .routes = routes,
                            .nroutes = sizeof(routes) / sizeof(routes[0])};
