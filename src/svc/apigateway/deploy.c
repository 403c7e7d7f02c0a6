/* Deployments (snapshots of an API's resources: what a stage serves until it is pointed at
 * another) and stages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apigateway_int.h"
#include "accesslog.h"
#include "base/clock.h"

static json_t *render_deployment(call *c, const json_t *d)
{
    json_t *o = json_deep_copy(d);
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(o, tmp, k, v) {
        if (k[0] == '_') json_object_del(o, k); /* the snapshot's parts */
    }
    if (!o) c->oom = 1;
    return o;
}

static json_t *new_stage(call *c, json_t *doc, const char *name, const char *deployment,
                         const json_t *in)
{
    json_t *stages = json_object_get(doc, "stages");
    if (json_object_get(stages, name)) return apigw_conflict(c, "Stage already exists"), NULL;
    double now = clock_now();
    json_t *s =
        json_pack("{s:s, s:s, s:b, s:s, s:{}, s:b, s:f, s:f}", "stageName", name, "deploymentId",
                  deployment, "cacheClusterEnabled", jbool(in, "cacheClusterEnabled", 0),
                  "cacheClusterStatus", "NOT_AVAILABLE", "methodSettings", "tracingEnabled",
                  jbool(in, "tracingEnabled", 0), "createdDate", now, "lastUpdatedDate", now);
    const char *desc =
        jstr(in, "description") ? jstr(in, "description") : jstr(in, "stageDescription");
    if (s && desc && jset_str(s, "description", desc)) json_decref(s), s = NULL;
    static const char *const copy[] = {"variables", "tags", "cacheClusterSize"};
    for (size_t i = 0; s && i < sizeof(copy) / sizeof(copy[0]); i++) {
        json_t *v = json_object_get(in, copy[i]);
        if (v && json_object_set(s, copy[i], v)) json_decref(s), s = NULL;
    }
    if (!s || json_object_set_new(stages, name, s)) return ferr_oom(c->err), NULL;
    return s;
}

static int stage_name_ok(call *c, const char *n)
{
    size_t l = strlen(n);
    if (!l || l > 128 ||
        strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != l)
        return apigw_bad(c, "Stage name only allows a-zA-Z0-9_"), 0;
    return 1;
}

json_t *apigw_deploy(call *c, json_t *doc, const json_t *in)
{
    json_t *res = json_object_get(doc, "resources");
    int methods = 0;
    const char *k;
    json_t *r;
    json_object_foreach(res, k, r) {
        const char *m;
        json_t *v;
        json_object_foreach(json_object_get(r, "resourceMethods"), m, v) {
            methods++;
            if (!json_object_get(v, "methodIntegration"))
                return apigw_bad(c, "No integration defined for method"), NULL;
        }
    }
    if (!methods) return apigw_bad(c, "The REST API doesn't contain any methods"), NULL;
    const char *stage = jstr(in, "stageName");
    if (stage && !stage_name_ok(c, stage)) return NULL;
    const char *id = apigw_id(c);
    json_t *summary = json_object();
    json_object_foreach(res, k, r) {
        const char *m;
        json_t *v, *s = json_object();
        json_object_foreach(json_object_get(r, "resourceMethods"), m, v) {
            if (!s || json_object_set_new(s, m,
                                          json_pack("{s:s, s:b}", "authorizationType",
                                                    jstr(v, "authorizationType"), "apiKeyRequired",
                                                    jbool(v, "apiKeyRequired", 0))))
                c->oom = 1;
        }
        if (!json_object_size(s)) {
            json_decref(s);
            continue;
        }
        if (!summary || json_object_set_new(summary, jstr(r, "path"), s)) c->oom = 1;
    }
    /* a copy: the API's own resources change on, the deployment's stay as they were */
    json_t *snap = json_deep_copy(res);
    json_t *d = id && summary && snap
                    ? json_pack("{s:s, s:f, s:o, s:o}", "id", id, "createdDate", clock_now(),
                                "apiSummary", summary, "_resources", snap)
                    : NULL;
    if (!d) json_decref(snap);
    if (!d) json_decref(summary);
    /* AWS: the resource policy and the gateway responses are served once deployed too */
    const char *policy = jstr(json_object_get(doc, "api"), "policy");
    json_t *gr = json_object_get(doc, "gatewayResponses");
    if (d && ((policy && jset_str(d, "_policy", policy)) ||
              (gr && json_object_set_new(d, "_gatewayResponses", json_deep_copy(gr)))))
        json_decref(d), d = NULL;
    /* and the models and request validators the methods are checked with */
    static const char *const snap_of[][2] = {{"models", "_models"},
                                             {"requestValidators", "_requestValidators"}};
    for (size_t i = 0; d && i < 2; i++) {
        json_t *part = json_object_get(doc, snap_of[i][0]);
        if (part && json_object_set_new(d, snap_of[i][1], json_deep_copy(part)))
            json_decref(d), d = NULL;
    }
    if (d && jstr(in, "description") && jset_str(d, "description", jstr(in, "description")))
        json_decref(d), d = NULL;
    if (!d || json_object_set_new(json_object_get(doc, "deployments"), id, d) || c->oom)
        return ferr_oom(c->err), NULL;
    if (stage) {
        json_t *s = json_object_get(json_object_get(doc, "stages"), stage);
        if (s) {
            if (jset_str(s, "deploymentId", id) ||
                json_object_set_new(s, "lastUpdatedDate", json_real(clock_now())))
                return ferr_oom(c->err), NULL;
            json_t *vars = json_object_get(in, "variables");
            if (vars && json_object_set(s, "variables", vars)) return ferr_oom(c->err), NULL;
        } else if (!new_stage(c, doc, stage, id, in)) {
            return NULL;
        }
    }
    return d;
}

int apigateway_op_create_deployment(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (apigw_open(c, in, "POST", "/deployments", &doc) < 0) return -1;
    json_t *d = apigw_deploy(c, doc, in);
    if (!d || apigw_save(c, doc)) return -1;
    *out = render_deployment(c, d);
    return 0;
}

static json_t *open_deployment(call *c, json_t *in, const char *verb, json_t **doc)
{
    const char *t = arena_printf(c->a, "/deployments/%s", jstr(in, "deploymentId"));
    if (!t) return ferr_oom(c->err), NULL;
    if (apigw_open(c, in, verb, t, doc) < 0) return NULL;
    json_t *d = json_object_get(json_object_get(*doc, "deployments"), jstr(in, "deploymentId"));
    if (!d) apigw_not_found(c, "Invalid Deployment identifier specified");
    return d;
}

int apigateway_op_get_deployment(call *c, json_t *in, json_t **out)
{
    json_t *doc, *d = open_deployment(c, in, "GET", &doc);
    if (!d) return -1;
    *out = render_deployment(c, d);
    return 0;
}

int apigateway_op_get_deployments(call *c, json_t *in, json_t **out)
{
    return apigw_list(c, in, "/deployments", "deployments", render_deployment, out);
}

int apigateway_op_update_deployment(call *c, json_t *in, json_t **out)
{
    json_t *doc, *d = open_deployment(c, in, "PATCH", &doc);
    if (!d) return -1;
    if (apigw_patch(c, d, json_object_get(in, "patchOperations"), "/description") ||
        apigw_save(c, doc))
        return -1;
    *out = render_deployment(c, d);
    return 0;
}

int apigateway_op_delete_deployment(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc, *d = open_deployment(c, in, "DELETE", &doc);
    if (!d) return -1;
    const char *k;
    json_t *s;
    json_object_foreach(json_object_get(doc, "stages"), k, s) {
        if (!strcmp(jstr(s, "deploymentId"), jstr(in, "deploymentId")))
            return apigw_bad(c, "Active stages pointing to this deployment must be moved or "
                                "deleted");
    }
    json_object_del(json_object_get(doc, "deployments"), jstr(in, "deploymentId"));
    return apigw_save(c, doc);
}

/* ---- stages ---- */

static json_t *render_stage(call *c, const json_t *s)
{
    json_t *o = json_deep_copy(s);
    if (o && !json_object_size(json_object_get(o, "tags"))) json_object_del(o, "tags");
    if (!o) c->oom = 1;
    return o;
}

int apigateway_op_create_stage(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (apigw_open(c, in, "POST", "/stages", &doc) < 0) return -1;
    const char *name = jstr(in, "stageName"), *dep = jstr(in, "deploymentId");
    if (!stage_name_ok(c, name)) return -1;
    if (!json_object_get(json_object_get(doc, "deployments"), dep))
        return apigw_bad(c, "Invalid deployment identifier specified");
    json_t *s = new_stage(c, doc, name, dep, in);
    if (!s || apigw_save(c, doc)) return -1;
    *out = render_stage(c, s);
    return 0;
}

static json_t *open_stage(call *c, json_t *in, const char *verb, json_t **doc)
{
    const char *t = arena_printf(c->a, "/stages/%s", jstr(in, "stageName"));
    if (!t) return ferr_oom(c->err), NULL;
    if (apigw_open(c, in, verb, t, doc) < 0) return NULL;
    json_t *s = json_object_get(json_object_get(*doc, "stages"), jstr(in, "stageName"));
    if (!s) apigw_not_found(c, "Invalid Stage identifier specified");
    return s;
}

int apigateway_op_get_stage(call *c, json_t *in, json_t **out)
{
    json_t *doc, *s = open_stage(c, in, "GET", &doc);
    if (!s) return -1;
    *out = render_stage(c, s);
    return 0;
}

int apigateway_op_get_stages(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (apigw_open(c, in, "GET", "/stages", &doc) < 0) return -1;
    json_t *items = json_array();
    if (!arena_defer_json(c->a, items)) return ferr_oom(c->err);
    const char *k, *dep = jstr(in, "deploymentId");
    json_t *s;
    json_object_foreach(json_object_get(doc, "stages"), k, s) {
        if (dep && strcmp(dep, jstr(s, "deploymentId"))) continue;
        if (json_array_append_new(items, render_stage(c, s))) c->oom = 1;
    }
    *out = svc_out(c, json_pack("{s:O}", "item", items));
    return 0;
}

/* A method setting's patch path ("/~1pets/GET/throttling/rateLimit", or with "*" for both
 * parts): the MethodSetting member it names and its JSON type ('n' number, 'i' integer, 'b'
 * boolean, 's' string), or NULL. */
static const char *setting_member(const char *leaf, char *type)
{
    static const char *const map[][3] = {
        {"throttling/rateLimit", "throttlingRateLimit", "n"},
        {"throttling/burstLimit", "throttlingBurstLimit", "i"},
        {"metrics/enabled", "metricsEnabled", "b"},
        {"logging/loglevel", "loggingLevel", "s"},
        {"logging/dataTrace", "dataTraceEnabled", "b"},
        {"caching/enabled", "cachingEnabled", "b"},
        {"caching/ttlInSeconds", "cacheTtlInSeconds", "i"},
        {"caching/dataEncrypted", "cacheDataEncrypted", "b"},
        {"caching/requireAuthorizationForCacheControl", "requireAuthorizationForCacheControl", "b"},
        {"caching/unauthorizedCacheControlHeaderStrategy", "unauthorizedCacheControlHeaderStrategy",
         "s"},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcmp(leaf, map[i][0])) {
            *type = map[i][2][0];
            return map[i][1];
        }
    return NULL;
}

/* AWS's MethodSetting as it first appears: every member at its default. */
static json_t *new_setting(void)
{
    return json_pack("{s:b, s:s, s:b, s:i, s:f, s:b, s:i, s:b, s:b, s:s}", "metricsEnabled", 0,
                     "loggingLevel", "OFF", "dataTraceEnabled", 0, "throttlingBurstLimit", 5000,
                     "throttlingRateLimit", 10000.0, "cachingEnabled", 0, "cacheTtlInSeconds", 300,
                     "cacheDataEncrypted", 0, "requireAuthorizationForCacheControl", 1,
                     "unauthorizedCacheControlHeaderStrategy", "SUCCEED_WITH_RESPONSE_HEADER");
}

/* Applies the patch operations on method settings ("/RESOURCE/METHOD/...") to stage s and
 * returns the others (a new array in the arena), or NULL with the error. */
static json_t *patch_method_settings(call *c, json_t *s, const json_t *ops)
{
    json_t *rest = json_array();
    if (!rest || !arena_defer_json(c->a, rest)) return ferr_oom(c->err), NULL;
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op) {
        const char *path = jstr(op, "path"), *o = jstr(op, "op");
        /* two parts, then the setting: "/~1pets/GET/throttling/rateLimit" */
        const char *p1 = path && path[0] == '/' ? strchr(path + 1, '/') : NULL;
        const char *p2 = p1 ? strchr(p1 + 1, '/') : NULL;
        int is_setting = p2 && strncmp(path, "/variables/", 11) && strncmp(path, "/accessLog", 10);
        if (!is_setting) {
            /* "/~1pets/GET" alone removes that method's settings */
            if (o && path && p1 && !p2 && !strcmp(o, "remove") &&
                strncmp(path, "/variables/", 11) && strncmp(path, "/accessLog", 10)) {
                json_object_del(json_object_get(s, "methodSettings"), path + 1);
                continue;
            }
            if (json_array_append(rest, op)) return ferr_oom(c->err), NULL;
            continue;
        }
        char type;
        const char *member = setting_member(p2 + 1, &type);
        const char *value = jstr(op, "value");
        if (!member || !o || (strcmp(o, "replace") && strcmp(o, "add")) || !value)
            return apigw_bad(c,
                             "Invalid method setting path: %s. Must be one of: "
                             "[.../metrics/enabled, .../logging/dataTrace, "
                             ".../logging/loglevel, .../throttling/burstLimit, "
                             ".../throttling/rateLimit, .../caching/ttlInSeconds, "
                             ".../caching/enabled, .../caching/dataEncrypted, "
                             ".../caching/requireAuthorizationForCacheControl, "
                             ".../caching/unauthorizedCacheControlHeaderStrategy]",
                             path),
                   NULL;
        char *end = NULL;
        double num = strtod(value, &end);
        if ((type == 'n' || type == 'i') && (end == value || *end || num < 0))
            return apigw_bad(c, "Invalid value for %s: %s", p2 + 1, value), NULL;
        if (type == 'b' && strcmp(value, "true") && strcmp(value, "false"))
            return apigw_bad(c, "Invalid value for %s: %s", p2 + 1, value), NULL;
        int logs = !strcmp(member, "loggingLevel") || !strcmp(member, "dataTraceEnabled");
        if (!strcmp(member, "loggingLevel") && strcmp(value, "OFF") && strcmp(value, "ERROR") &&
            strcmp(value, "INFO"))
            return apigw_bad(c, "Invalid logging level: %s. Valid values are OFF, ERROR, INFO",
                             value),
                   NULL;
        /* AWS: execution logs are written with the account's CloudWatch Logs role */
        if (logs && strcmp(value, "OFF") && strcmp(value, "false") && !apigw_account_role(c))
            return apigw_bad(c, "CloudWatch Logs role ARN must be set in account settings to "
                                "enable logging"),
                   NULL;
        const char *key = arena_strndup(c->a, path + 1, (size_t)(p2 - path - 1));
        json_t *all = json_object_get(s, "methodSettings");
        if (!all && (json_object_set_new(s, "methodSettings", all = json_object()) || !all))
            return ferr_oom(c->err), NULL;
        json_t *ms = key ? json_object_get(all, key) : NULL;
        if (key && !ms && (json_object_set_new(all, key, ms = new_setting()) || !ms))
            return ferr_oom(c->err), NULL;
        json_t *v = type == 'n'   ? json_real(num)
                    : type == 'i' ? json_integer((json_int_t)num)
                    : type == 'b' ? json_boolean(!strcmp(value, "true"))
                                  : json_string(value);
        if (!key || json_object_set_new(ms, member, v)) return ferr_oom(c->err), NULL;
    }
    return rest;
}

int apigateway_op_update_stage(call *c, json_t *in, json_t **out)
{
    json_t *doc, *s = open_stage(c, in, "PATCH", &doc);
    if (!s) return -1;
    json_t *ops = patch_method_settings(c, s, json_object_get(in, "patchOperations"));
    if (!ops || apigw_patch(c, s, ops,
                            "/description /deploymentId /cacheClusterEnabled /cacheClusterSize "
                            "/tracingEnabled /clientCertificateId /variables/ /accessLogSettings "
                            "/accessLogSettings/"))
        return -1;
    json_t *als = json_object_get(s, "accessLogSettings");
    if (als && !json_object_size(als)) json_object_del(s, "accessLogSettings");
    if (als && json_object_size(als) &&
        apigw_accesslog_check(jstr(als, "destinationArn"), jstr(als, "format"), c->account,
                              c->region, "BadRequestException", c->err))
        return -1;
    if (!json_object_get(json_object_get(doc, "deployments"), jstr(s, "deploymentId")))
        return apigw_bad(c, "Invalid deployment identifier specified");
    if (json_object_set_new(s, "lastUpdatedDate", json_real(clock_now()))) return ferr_oom(c->err);
    if (apigw_save(c, doc)) return -1;
    *out = render_stage(c, s);
    return 0;
}

int apigateway_op_delete_stage(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc, *s = open_stage(c, in, "DELETE", &doc);
    if (!s) return -1;
    json_object_del(json_object_get(doc, "stages"), jstr(in, "stageName"));
    return apigw_save(c, doc);
}
