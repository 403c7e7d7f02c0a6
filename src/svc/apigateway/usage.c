/* API keys and usage plans (REST APIs): CreateApiKey ... DeleteUsagePlanKey, GetUsage, and
 * the data plane's check of a method that requires a key (apigw_usage_check).
 *
 * Storage: one document per account and region, kind "apigateway.keys", id "keys":
 *   {"apiKeys": {id: ApiKey (value included)}, "values": {value: id},
 *    "usagePlans": {id: UsagePlan + "_keys": {keyId: 1}}}
 * and the requests counted against a plan's quota, kind "apigateway.usage", id
 * "PLAN/KEY": {"days": {"YYYY-MM-DD": n}}, written in the request that is counted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apigateway_int.h"
#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/log.h"
#include "throttle.h"

#define KEYS_KIND  "apigateway.keys"
#define USAGE_KIND "apigateway.usage"
#define KEY_MIN    20 /* AWS: an API key value has at least 20 characters */
#define KEY_LEN    40 /* the length of the values AWS generates */
#define DAYS_KEPT  62 /* usage history kept per key: two months of days */

static const char *arn_of(call *c, const char *suffix)
{
    return arena_printf(c->a, "arn:%s:apigateway:%s::%s", arn_partition(c->region), c->region,
                        suffix);
}

/* The account's document after authorizing apigateway:verb on suffix: 0 (*doc in the
 * arena, made empty when there is none), or -1. */
static int open_keys(call *c, const char *verb, const char *suffix, json_t **doc)
{
    const char *arn = arn_of(c, suffix), *action = arena_printf(c->a, "apigateway:%s", verb);
    if (!arn || !action) return ferr_oom(c->err);
    if (call_authorize(c, action, arn)) return -1;
    store_key k = {KEYS_KIND, c->account, c->region, "keys"};
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc < 0) return -1;
    if (!rc) *doc = json_pack("{s:{}, s:{}, s:{}}", "apiKeys", "values", "usagePlans");
    if (!*doc || !arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    return 0;
}

static int save_keys(call *c, const json_t *doc)
{
    store_key k = {KEYS_KIND, c->account, c->region, "keys"};
    return store_put(c->txn, &k, doc, c->err);
}

/* ---- API keys ---- */

static json_t *render_key(call *c, const json_t *key, int with_value)
{
    json_t *o = json_deep_copy(key);
    if (o && !with_value) json_object_del(o, "value");
    if (!o) c->oom = 1;
    return o;
}

static json_t *find_key(call *c, json_t *doc, const char *id)
{
    json_t *k = json_object_get(json_object_get(doc, "apiKeys"), id ? id : "");
    if (!k) apigw_not_found(c, "Invalid API Key identifier specified");
    return k;
}

int apigateway_op_create_api_key(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (open_keys(c, "POST", "/apikeys", &doc)) return -1;
    const char *value = jstr(in, "value");
    char gen[KEY_LEN + 1];
    if (value && strlen(value) < KEY_MIN)
        return apigw_bad(c, "API Key value should be at least %d characters", KEY_MIN);
    if (!value) {
        ids_lower_alnum(gen, KEY_LEN);
        value = gen;
    }
    json_t *values = json_object_get(doc, "values");
    if (json_object_get(values, value)) return apigw_conflict(c, "API Key already exists");
    const char *id = apigw_id(c);
    double now = clock_now();
    json_t *key =
        id ? json_pack("{s:s, s:s, s:s, s:b, s:f, s:f, s:[]}", "id", id, "value", value, "name",
                       jstr(in, "name") ? jstr(in, "name") : id, "enabled", jbool(in, "enabled", 0),
                       "createdDate", now, "lastUpdatedDate", now, "stageKeys")
           : NULL;
    static const char *const copy[] = {"description", "customerId", "tags"};
    for (size_t i = 0; key && i < sizeof(copy) / sizeof(copy[0]); i++) {
        json_t *v = json_object_get(in, copy[i]);
        if (v && json_object_set(key, copy[i], v)) json_decref(key), key = NULL;
    }
    size_t i;
    json_t *sk;
    json_array_foreach(json_object_get(in, "stageKeys"), i, sk) {
        const char *api = jstr(sk, "restApiId"), *stage = jstr(sk, "stageName");
        if (key && api && stage &&
            json_array_append_new(json_object_get(key, "stageKeys"),
                                  json_string(arena_printf(c->a, "%s/%s", api, stage))))
            json_decref(key), key = NULL;
    }
    if (!key || json_object_set_new(json_object_get(doc, "apiKeys"), id, key) ||
        json_object_set_new(values, value, json_string(id)))
        return ferr_oom(c->err);
    if (save_keys(c, doc)) return -1;
    *out = render_key(c, key, 1);
    return 0;
}

int apigateway_op_get_api_key(call *c, json_t *in, json_t **out)
{
    json_t *doc, *key;
    const char *id = jstr(in, "apiKey");
    if (open_keys(c, "GET", arena_printf(c->a, "/apikeys/%s", id), &doc)) return -1;
    if (!(key = find_key(c, doc, id))) return -1;
    *out = render_key(c, key, jbool(in, "includeValue", 0));
    return 0;
}

int apigateway_op_get_api_keys(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (open_keys(c, "GET", "/apikeys", &doc)) return -1;
    json_t *items = json_array(), *o = json_object();
    if (!arena_defer_json(c->a, items) || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    const char *k, *nq = jstr(in, "nameQuery"), *cust = jstr(in, "customerId");
    json_t *key;
    json_object_foreach(json_object_get(doc, "apiKeys"), k, key) {
        /* AWS: nameQuery matches the start of the name */
        if (nq && strncmp(jstr(key, "name"), nq, strlen(nq))) continue;
        if (cust && (!jstr(key, "customerId") || strcmp(jstr(key, "customerId"), cust))) continue;
        if (json_array_append_new(items, render_key(c, key, jbool(in, "includeValues", 0))))
            c->oom = 1;
    }
    if (svc_page(c, items, jstr(in, "position"), jint(in, "limit", 25), o, "items", "position",
                 "BadRequestException"))
        return -1;
    *out = json_incref(o);
    return 0;
}

int apigateway_op_update_api_key(call *c, json_t *in, json_t **out)
{
    json_t *doc, *key;
    const char *id = jstr(in, "apiKey");
    if (open_keys(c, "PATCH", arena_printf(c->a, "/apikeys/%s", id), &doc)) return -1;
    if (!(key = find_key(c, doc, id))) return -1;
    if (apigw_patch(c, key, json_object_get(in, "patchOperations"),
                    "/name /description /enabled /customerId"))
        return -1;
    if (json_object_set_new(key, "lastUpdatedDate", json_real(clock_now())))
        return ferr_oom(c->err);
    if (save_keys(c, doc)) return -1;
    *out = render_key(c, key, 0);
    return 0;
}

int apigateway_op_delete_api_key(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc, *key;
    const char *id = jstr(in, "apiKey");
    if (open_keys(c, "DELETE", arena_printf(c->a, "/apikeys/%s", id), &doc)) return -1;
    if (!(key = find_key(c, doc, id))) return -1;
    json_object_del(json_object_get(doc, "values"), jstr(key, "value"));
    const char *k;
    json_t *plan;
    json_object_foreach(json_object_get(doc, "usagePlans"), k, plan)
        json_object_del(json_object_get(plan, "_keys"), id);
    json_object_del(json_object_get(doc, "apiKeys"), id);
    return save_keys(c, doc);
}

/* ---- usage plans ---- */

static json_t *render_plan(call *c, const json_t *plan)
{
    json_t *o = json_deep_copy(plan);
    if (o) json_object_del(o, "_keys");
    if (!o) c->oom = 1;
    return o;
}

static json_t *find_plan(call *c, json_t *doc, const char *id)
{
    json_t *p = json_object_get(json_object_get(doc, "usagePlans"), id ? id : "");
    if (!p) apigw_not_found(c, "Invalid Usage Plan ID specified");
    return p;
}

/* AWS: a plan's stage is a stage of an API of the account. */
static int stage_exists(call *c, const char *api, const char *stage)
{
    store_key k = {APIGW_KIND, c->account, c->region, api ? api : ""};
    json_t *doc = NULL;
    int rc = store_get(c->txn, &k, &doc, c->err);
    if (rc < 0) return -1;
    int ok = rc && stage && json_object_get(json_object_get(doc, "stages"), stage);
    json_decref(doc);
    if (!ok)
        return apigw_bad(c, "Invalid stage identifier specified %s:%s", api ? api : "",
                         stage ? stage : "");
    return 0;
}

static int plan_ok(call *c, const json_t *plan)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(plan, "apiStages"), i, s) {
        if (stage_exists(c, jstr(s, "apiId"), jstr(s, "stage"))) return -1;
    }
    const json_t *q = json_object_get(plan, "quota");
    const char *period = jstr(q, "period");
    if (q &&
        (jint(q, "limit", -1) < 0 ||
         (period && strcmp(period, "DAY") && strcmp(period, "WEEK") && strcmp(period, "MONTH")) ||
         !period))
        return apigw_bad(c, "Invalid quota: a limit of 0 or more and a period of DAY, WEEK or "
                            "MONTH are required");
    return 0;
}

int apigateway_op_create_usage_plan(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (open_keys(c, "POST", "/usageplans", &doc)) return -1;
    const char *id = apigw_id(c);
    json_t *plan = id ? json_pack("{s:s, s:s?, s:[], s:{}}", "id", id, "name", jstr(in, "name"),
                                  "apiStages", "_keys")
                      : NULL;
    if (!plan || !arena_defer_json(c->a, plan)) return ferr_oom(c->err);
    static const char *const copy[] = {"description", "apiStages", "throttle", "quota", "tags"};
    for (size_t i = 0; i < sizeof(copy) / sizeof(copy[0]); i++) {
        json_t *v = json_object_get(in, copy[i]);
        if (v && json_object_set(plan, copy[i], v)) return ferr_oom(c->err);
    }
    if (plan_ok(c, plan)) return -1;
    if (json_object_set(json_object_get(doc, "usagePlans"), id, plan)) return ferr_oom(c->err);
    if (save_keys(c, doc)) return -1;
    *out = render_plan(c, plan);
    return 0;
}

int apigateway_op_get_usage_plan(call *c, json_t *in, json_t **out)
{
    json_t *doc, *plan;
    const char *id = jstr(in, "usagePlanId");
    if (open_keys(c, "GET", arena_printf(c->a, "/usageplans/%s", id), &doc)) return -1;
    if (!(plan = find_plan(c, doc, id))) return -1;
    *out = render_plan(c, plan);
    return 0;
}

int apigateway_op_get_usage_plans(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (open_keys(c, "GET", "/usageplans", &doc)) return -1;
    json_t *items = json_array(), *o = json_object();
    if (!arena_defer_json(c->a, items) || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    const char *k, *key = jstr(in, "keyId");
    json_t *plan;
    json_object_foreach(json_object_get(doc, "usagePlans"), k, plan) {
        if (key && !json_object_get(json_object_get(plan, "_keys"), key)) continue;
        if (json_array_append_new(items, render_plan(c, plan))) c->oom = 1;
    }
    if (svc_page(c, items, jstr(in, "position"), jint(in, "limit", 25), o, "items", "position",
                 "BadRequestException"))
        return -1;
    *out = json_incref(o);
    return 0;
}

/* apiStages patches: add/remove "/apiStages" with value "API_ID:STAGE". */
static int patch_stages(call *c, json_t *plan, const json_t *op, int *handled)
{
    const char *path = jstr(op, "path"), *o = jstr(op, "op"), *v = jstr(op, "value");
    *handled = path && !strcmp(path, "/apiStages");
    if (!*handled) return 0;
    const char *colon = v ? strchr(v, ':') : NULL;
    if (!colon || !o) return apigw_bad(c, "Invalid API Stage specified: %s", v ? v : "null");
    char *api = arena_strndup(c->a, v, (size_t)(colon - v));
    json_t *stages = json_object_get(plan, "apiStages");
    size_t i;
    json_t *s;
    json_array_foreach(stages, i, s) {
        if (!strcmp(jstr(s, "apiId"), api) && !strcmp(jstr(s, "stage"), colon + 1)) break;
    }
    if (!strcmp(o, "remove")) {
        if (i == json_array_size(stages))
            return apigw_not_found(c, "Invalid API Stage specified: %s", v);
        return json_array_remove(stages, i) ? ferr_oom(c->err) : 0;
    }
    if (strcmp(o, "add")) return apigw_bad(c, "Invalid patch operation specified.");
    if (i < json_array_size(stages)) return apigw_conflict(c, "API Stage already exists: %s", v);
    if (stage_exists(c, api, colon + 1)) return -1;
    return json_array_append_new(stages, json_pack("{s:s, s:s}", "apiId", api, "stage", colon + 1))
               ? ferr_oom(c->err)
               : 0;
}

int apigateway_op_update_usage_plan(call *c, json_t *in, json_t **out)
{
    json_t *doc, *plan;
    const char *id = jstr(in, "usagePlanId");
    if (open_keys(c, "PATCH", arena_printf(c->a, "/usageplans/%s", id), &doc)) return -1;
    if (!(plan = find_plan(c, doc, id))) return -1;
    size_t i;
    json_t *op;
    json_array_foreach(json_object_get(in, "patchOperations"), i, op) {
        int handled;
        if (patch_stages(c, plan, op, &handled)) return -1;
        if (handled) continue;
        /* numbers under throttle and quota: the patch gives them as strings */
        const char *path = jstr(op, "path"), *v = jstr(op, "value");
        if (path && v && (!strncmp(path, "/throttle/", 10) || !strncmp(path, "/quota/", 7))) {
            int quota = path[1] == 'q';
            json_t *sub = json_object_get(plan, quota ? "quota" : "throttle");
            if (!sub &&
                (json_object_set_new(plan, quota ? "quota" : "throttle", sub = json_object()) ||
                 !sub))
                return ferr_oom(c->err);
            const char *name = path + (quota ? 7 : 10);
            json_t *nv = !strcmp(name, "period")      ? json_string(v)
                         : !strcmp(name, "rateLimit") ? json_real(atof(v))
                                                      : json_integer(atoll(v));
            if (json_object_set_new(sub, name, nv)) return ferr_oom(c->err);
            continue;
        }
        json_t *one = json_pack("[O]", op);
        int rc = one ? apigw_patch(c, plan, one, "/name /description /productCode") : -1;
        json_decref(one);
        if (rc) return c->err->status ? -1 : ferr_oom(c->err);
    }
    if (plan_ok(c, plan) || save_keys(c, doc)) return -1;
    *out = render_plan(c, plan);
    return 0;
}

int apigateway_op_delete_usage_plan(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc;
    const char *id = jstr(in, "usagePlanId");
    if (open_keys(c, "DELETE", arena_printf(c->a, "/usageplans/%s", id), &doc)) return -1;
    if (!find_plan(c, doc, id)) return -1;
    json_object_del(json_object_get(doc, "usagePlans"), id);
    return save_keys(c, doc);
}

/* ---- usage plan keys ---- */

static json_t *render_plan_key(call *c, const json_t *key)
{
    return svc_out(c, json_pack("{s:s, s:s, s:s, s:s?}", "id", jstr(key, "id"), "type", "API_KEY",
                                "value", jstr(key, "value"), "name", jstr(key, "name")));
}

int apigateway_op_create_usage_plan_key(call *c, json_t *in, json_t **out)
{
    json_t *doc, *plan, *key;
    const char *id = jstr(in, "usagePlanId"), *kid = jstr(in, "keyId");
    if (open_keys(c, "POST", arena_printf(c->a, "/usageplans/%s/keys", id), &doc)) return -1;
    if (!(plan = find_plan(c, doc, id))) return -1;
    if (strcmp(jstr(in, "keyType"), "API_KEY"))
        return apigw_bad(c, "Invalid key type specified: %s", jstr(in, "keyType"));
    if (!(key = find_key(c, doc, kid))) return -1;
    json_t *keys = json_object_get(plan, "_keys");
    if (json_object_get(keys, kid))
        return apigw_conflict(c, "Usage Plan %s already contains API Key %s", id, kid);
    if (json_object_set_new(keys, kid, json_integer(1))) return ferr_oom(c->err);
    if (save_keys(c, doc)) return -1;
    *out = render_plan_key(c, key);
    return 0;
}

int apigateway_op_get_usage_plan_key(call *c, json_t *in, json_t **out)
{
    json_t *doc, *plan;
    const char *id = jstr(in, "usagePlanId"), *kid = jstr(in, "keyId");
    if (open_keys(c, "GET", arena_printf(c->a, "/usageplans/%s/keys/%s", id, kid), &doc)) return -1;
    if (!(plan = find_plan(c, doc, id))) return -1;
    if (!json_object_get(json_object_get(plan, "_keys"), kid))
        return apigw_not_found(c, "Invalid API Key identifier specified");
    json_t *key = find_key(c, doc, kid);
    if (!key) return -1;
    *out = render_plan_key(c, key);
    return 0;
}

int apigateway_op_get_usage_plan_keys(call *c, json_t *in, json_t **out)
{
    json_t *doc, *plan;
    const char *id = jstr(in, "usagePlanId");
    if (open_keys(c, "GET", arena_printf(c->a, "/usageplans/%s/keys", id), &doc)) return -1;
    if (!(plan = find_plan(c, doc, id))) return -1;
    json_t *items = json_array(), *o = json_object();
    if (!arena_defer_json(c->a, items) || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    const char *k, *nq = jstr(in, "nameQuery");
    json_t *v;
    json_object_foreach(json_object_get(plan, "_keys"), k, v) {
        json_t *key = json_object_get(json_object_get(doc, "apiKeys"), k);
        if (!key || (nq && strncmp(jstr(key, "name"), nq, strlen(nq)))) continue;
        if (json_array_append_new(items, render_plan_key(c, key))) c->oom = 1;
    }
    if (svc_page(c, items, jstr(in, "position"), jint(in, "limit", 25), o, "items", "position",
                 "BadRequestException"))
        return -1;
    *out = json_incref(o);
    return 0;
}

int apigateway_op_delete_usage_plan_key(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc, *plan;
    const char *id = jstr(in, "usagePlanId"), *kid = jstr(in, "keyId");
    if (open_keys(c, "DELETE", arena_printf(c->a, "/usageplans/%s/keys/%s", id, kid), &doc))
        return -1;
    if (!(plan = find_plan(c, doc, id))) return -1;
    if (json_object_del(json_object_get(plan, "_keys"), kid))
        return apigw_not_found(c, "Invalid API Key identifier specified");
    return save_keys(c, doc);
}

/* ---- usage ---- */

static void day_of(double t, char out[11])
{
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* The first day of the quota period that t falls in (AWS: periods start at midnight UTC; a
 * week on Sunday... here Monday as ISO weeks begin; a month on its first). */
static void period_start(double t, const char *period, char out[11])
{
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    if (period && !strcmp(period, "WEEK")) {
        s -= (time_t)(((tm.tm_wday + 6) % 7) * 86400);
        gmtime_r(&s, &tm);
    } else if (period && !strcmp(period, "MONTH")) {
        tm.tm_mday = 1;
    }
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* The requests of days from..to (inclusive, "YYYY-MM-DD" compare as strings). */
static long long used_between(const json_t *days, const char *from, const char *to)
{
    long long n = 0;
    const char *d;
    json_t *v;
    json_object_foreach((json_t *)days, d, v) {
        if (strcmp(d, from) >= 0 && strcmp(d, to) <= 0) n += json_integer_value(v);
    }
    return n;
}

int apigateway_op_get_usage(call *c, json_t *in, json_t **out)
{
    json_t *doc, *plan;
    const char *id = jstr(in, "usagePlanId"), *kid = jstr(in, "keyId");
    const char *from = jstr(in, "startDate"), *to = jstr(in, "endDate");
    if (open_keys(c, "GET", arena_printf(c->a, "/usageplans/%s/usage", id), &doc)) return -1;
    if (!(plan = find_plan(c, doc, id))) return -1;
    if (strlen(from) != 10 || strlen(to) != 10 || strcmp(from, to) > 0)
        return apigw_bad(c, "Invalid date range: startDate and endDate are yyyy-MM-dd, start "
                            "first");
    json_t *items = json_object();
    if (!items || !arena_defer_json(c->a, items)) return ferr_oom(c->err);
    const json_t *q = json_object_get(plan, "quota");
    long long limit = jint(q, "limit", 0);
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(plan, "_keys"), k, v) {
        if (kid && strcmp(kid, k)) continue;
        store_key sk = {USAGE_KIND, c->account, c->region, arena_printf(c->a, "%s/%s", id, k)};
        json_t *u = NULL;
        if (!sk.id || store_get(c->txn, &sk, &u, c->err) < 0) return -1;
        json_t *days = json_object_get(u, "days"), *list = json_array();
        struct tm tm = {0};
        int bad = !list || !strptime(from, "%Y-%m-%d", &tm);
        /* one [used, remaining] per day of the range */
        for (time_t t = timegm(&tm); !bad; t += 86400) {
            char d[11], start[11];
            day_of((double)t, d);
            if (strcmp(d, to) > 0) break;
            period_start((double)t, jstr(q, "period"), start);
            long long used = json_integer_value(json_object_get(days, d));
            long long left = limit - used_between(days, start, d);
            bad |= json_array_append_new(
                list, json_pack("[I, I]", (json_int_t)used, (json_int_t)(left > 0 ? left : 0)));
        }
        json_decref(u);
        if (bad || json_object_set_new(items, k, list)) return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:s, s:s, s:s, s:O}", "usagePlanId", id, "startDate", from,
                                "endDate", to, "items", items));
    return 0;
}

/* ---- the data plane ---- */

/* The throttle of plan for api's stage and method: its apiStages' entry's for the method,
 * else the plan's. 1 and *rate, *burst when there is one. */
static int plan_limits(const json_t *plan, const char *api, const char *stage, const char *method,
                       double *rate, long long *burst)
{
    const json_t *th = json_object_get(plan, "throttle"), *s;
    size_t i;
    json_array_foreach(json_object_get(plan, "apiStages"), i, s) {
        const json_t *m = json_object_get(json_object_get(s, "throttle"), method ? method : "");
        if (m && !strcmp(jstr(s, "apiId"), api) && !strcmp(jstr(s, "stage"), stage)) th = m;
    }
    const json_t *r = json_object_get(th, "rateLimit"), *b = json_object_get(th, "burstLimit");
    if (!json_is_number(r) && !json_is_number(b)) return 0;
    *rate = json_is_number(r) ? json_number_value(r) : 10000.0;
    *burst = json_is_number(b) ? (long long)json_number_value(b) : 5000;
    return 1;
}

int apigw_usage_check(ferry_env *env, const char *account, const char *region, const char *api,
                      const char *stage, const char *value, const char *method)
{
    if (!value || !*value) return 403;
    store_txn *t = NULL;
    ferr e = {0};
    if (store_begin(env->st, 1, &t, &e)) return 500;
    json_t *doc = NULL, *u = NULL;
    int status = 403;
    store_key k = {KEYS_KIND, account, region, "keys"};
    if (store_get(t, &k, &doc, &e) < 0) {
        status = 500;
        goto out;
    }
    const char *kid = jstr(json_object_get(doc, "values"), value);
    json_t *key = json_object_get(json_object_get(doc, "apiKeys"), kid ? kid : "");
    if (!key || !jbool(key, "enabled", 0)) goto out;
    /* AWS: the key must be in a usage plan that names this API's stage */
    const char *pid;
    json_t *plan, *found = NULL;
    json_object_foreach(json_object_get(doc, "usagePlans"), pid, plan) {
        if (!json_object_get(json_object_get(plan, "_keys"), kid)) continue;
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(plan, "apiStages"), i, s) {
            if (!strcmp(jstr(s, "apiId"), api) && !strcmp(jstr(s, "stage"), stage)) found = plan;
        }
        if (found) break;
    }
    if (!found) goto out;
    char uid[64], today[11], start[11];
    snprintf(uid, sizeof(uid), "%s/%s", pid, kid);
    /* AWS: the plan's throttle per key, before its quota (a throttled request is not counted) */
    double rate;
    long long burst;
    if (plan_limits(found, api, stage, method, &rate, &burst)) {
        char bk[512];
        snprintf(bk, sizeof(bk), "plan %s/%s/%s/%s", uid, api, stage, method ? method : "");
        if (!apigw_throttle_take(bk, rate, burst)) {
            status = APIGW_USAGE_THROTTLED;
            goto out;
        }
    }
    store_key uk = {USAGE_KIND, account, region, uid};
    if (store_get(t, &uk, &u, &e) < 0) {
        status = 500;
        goto out;
    }
    if (!u && !(u = json_pack("{s:{}}", "days"))) {
        status = 500;
        goto out;
    }
    json_t *days = json_object_get(u, "days");
    double now = clock_now();
    day_of(now, today);
    const json_t *q = json_object_get(found, "quota");
    period_start(now, jstr(q, "period"), start);
    if (q && used_between(days, start, today) >= jint(q, "limit", 0)) {
        status = 429; /* AWS: the quota is spent until the period ends */
        goto out;
    }
    /* the request counts, durably, before it is served */
    char old[11];
    day_of(now - DAYS_KEPT * 86400.0, old);
    const char *d;
    json_t *v, *tmp;
    json_object_foreach_safe(days, tmp, d, v) {
        if (strcmp(d, old) < 0) json_object_del(days, d);
    }
    if (json_object_set_new(days, today,
                            json_integer(json_integer_value(json_object_get(days, today)) + 1)) ||
        store_put(t, &uk, u, &e)) {
        status = 500;
        goto out;
    }
    status = 0;
    json_decref(doc);
    json_decref(u);
    if (store_commit(t, &e)) {
        log_info("apigateway: counting usage of %s failed: %s", uid, e.message);
        return 500;
    }
    return 0;
out:
    json_decref(doc);
    json_decref(u);
    store_rollback(t);
    return status;
}
