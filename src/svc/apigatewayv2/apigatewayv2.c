/* Amazon API Gateway v2 (HTTP APIs, rest-json, signed as apigateway): the service, the
 * APIs, their CORS configuration and tags. Routes, integrations, stages, deployments and
 * authorizers are in parts.c; serving the APIs in serve.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apigatewayv2_int.h"
#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"

/* Served before the signed API: API_ID.execute-api.localhost[:port]/[STAGE/]PATH and
 * /_ferry/execute-api/API_ID/[STAGE/]PATH. A v1 REST API's id is declined (0) so that
 * apigateway's routes answer it. */
static const svc_route routes[] = {
    {NULL, ".execute-api.localhost", NULL, apigwv2_serve_host},
    {NULL, NULL, "/_ferry/execute-api/", apigwv2_serve_path},
};

const svc_def svc_apigatewayv2 = {.name = "apigatewayv2",
                                  .event_source = "apigateway.amazonaws.com",
                                  .reset = apigwv2_forget,
                                  .routes = routes,
                                  .nroutes = sizeof(routes) / sizeof(routes[0])};

int apigwv2_not_found(call *c, const char *what, const char *id)
{
    return ferr_set(c->err, 404, "NotFoundException", "Invalid %s identifier specified %s:%s", what,
                    c->account, id ? id : "");
}

int apigwv2_bad(call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ferr_vset(c->err, 400, "BadRequestException", "", fmt, ap);
    va_end(ap);
    return -1;
}

int apigwv2_conflict(call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ferr_vset(c->err, 409, "ConflictException", "", fmt, ap);
    va_end(ap);
    return -1;
}

static const char *api_arn(call *c, const char *id)
{
    return id ? arena_printf(c->a, "arn:%s:apigateway:%s::/apis/%s", arn_partition(c->region),
                             c->region, id)
              : arena_printf(c->a, "arn:%s:apigateway:%s::/apis", arn_partition(c->region),
                             c->region);
}

static int authorize(call *c, const char *method, const char *id)
{
    const char *arn = api_arn(c, id), *action = arena_printf(c->a, "apigateway:%s", method);
    if (!arn || !action) return ferr_oom(c->err);
    return call_authorize(c, action, arn);
}

int apigwv2_open(call *c, const json_t *in, const char *method, json_t **doc)
{
    const char *id = jstr(in, "ApiId");
    if (authorize(c, method, id)) return -1;
    store_key k = call_key(c, APIGWV2_KIND, id);
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc < 0) return -1;
    if (!rc) return apigwv2_not_found(c, "API", id);
    if (!arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    call_resource(c, "AWS::ApiGatewayV2::Api", id);
    return 1;
}

int apigwv2_save(call *c, json_t *doc)
{
    store_key k = call_key(c, APIGWV2_KIND, jstr(json_object_get(doc, "Api"), "ApiId"));
    return store_put(c->txn, &k, doc, c->err);
}

const char *apigwv2_endpoint(arena *a, const ferry_env *env, const char *api_id)
{
    const char *colon = strrchr(env->endpoint, ':');
    const char *port = colon && strspn(colon + 1, "0123456789") == strlen(colon + 1) && colon[1]
                           ? colon + 1
                           : "80";
    return arena_printf(a, "http://%s.execute-api.localhost:%s", api_id, port);
}

void apigwv2_new_id(const json_t *o, size_t n, char *out)
{
    do ids_lower_alnum(out, n);
    while (json_object_get(o, out));
}

const char *apigwv2_lambda_arn(arena *a, const char *uri)
{
    if (!uri) return NULL;
    if (arn_rest(uri, "lambda")) return uri;
    const char *f = strstr(uri, ":lambda:path/2015-03-31/functions/");
    if (!f || !arn_rest(uri, "apigateway")) return NULL;
    f += strlen(":lambda:path/2015-03-31/functions/");
    const char *end = strstr(f, "/invocations");
    return end && arn_rest(f, "lambda") ? arena_strndup(a, f, (size_t)(end - f)) : NULL;
}

/* GetApi's shape: the stored API with its endpoint. */
static json_t *render_api(call *c, const json_t *doc)
{
    json_t *api = json_deep_copy(json_object_get(doc, "Api"));
    const char *id = jstr(api, "ApiId");
    const char *ep = id ? apigwv2_endpoint(c->a, c->env, id) : NULL;
    if (!api || !ep || jset_str(api, "ApiEndpoint", ep)) {
        json_decref(api);
        c->oom = 1;
        return NULL;
    }
    return api;
}

/* AWS: CORS applies to HTTP APIs only; MaxAge is -1 (none) to 86400. */
static int check_cors(call *c, const json_t *cors)
{
    if (!cors) return 0;
    json_t *age = json_object_get(cors, "MaxAge");
    if (age && (json_integer_value(age) < -1 || json_integer_value(age) > 86400))
        return apigwv2_bad(c, "MaxAge must be between -1 and 86400");
    return 0;
}

static const char *const api_fields[] = {"ApiKeySelectionExpression",
                                         "CorsConfiguration",
                                         "Description",
                                         "DisableSchemaValidation",
                                         "DisableExecuteApiEndpoint",
                                         "Name",
                                         "RouteSelectionExpression",
                                         "Version"};

static int copy_fields(json_t *to, const json_t *in, const char *const *names, size_t n)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_object_get(in, names[i]);
        if (v) bad |= json_object_set(to, names[i], v);
    }
    return bad;
}

/* Quick create (Target, RouteKey): an integration with Target, a route to it and the
 * $default stage deploying automatically, all marked ApiGatewayManaged. */
static int quick_create(call *c, json_t *doc, const json_t *in)
{
    const char *target = jstr(in, "Target"), *rk = jstr(in, "RouteKey");
    if (!rk) rk = "$default";
    char iid[8], rid[8];
    apigwv2_new_id(json_object_get(doc, "Integrations"), 7, iid);
    apigwv2_new_id(json_object_get(doc, "Routes"), 7, rid);
    int lambda = apigwv2_lambda_arn(c->a, target) != NULL;
    if (!lambda && strncmp(target, "http://", 7) && strncmp(target, "https://", 8))
        return apigwv2_bad(c, "Invalid target specified");
    json_t *integ =
        json_pack("{s:b, s:s, s:s, s:s, s:s, s:s, s:i}", "ApiGatewayManaged", 1, "ConnectionType",
                  "INTERNET", "IntegrationId", iid, "IntegrationType",
                  lambda ? "AWS_PROXY" : "HTTP_PROXY", "IntegrationUri", target,
                  "PayloadFormatVersion", lambda ? "2.0" : "1.0", "TimeoutInMillis", 30000);
    int bad = !integ || jset_str(integ, "IntegrationMethod", lambda ? "POST" : "ANY");
    if (jstr(in, "CredentialsArn"))
        bad |= jset_str(integ, "CredentialsArn", jstr(in, "CredentialsArn"));
    bad |= json_object_set_new(json_object_get(doc, "Integrations"), iid, integ);
    json_t *route = json_pack("{s:b, s:b, s:s, s:s, s:s, s:s+}", "ApiGatewayManaged", 1,
                              "ApiKeyRequired", 0, "AuthorizationType", "NONE", "RouteId", rid,
                              "RouteKey", rk, "Target", "integrations/", iid);
    bad |= json_object_set_new(json_object_get(doc, "Routes"), rid, route);
    double now = (double)(long long)clock_now();
    json_t *stage = json_pack(
        "{s:b, s:b, s:f, s:{s:b}, s:f, s:{}, s:s, s:{}, s:{}}", "ApiGatewayManaged", 1,
        "AutoDeploy", 1, "CreatedDate", now, "DefaultRouteSettings", "DetailedMetricsEnabled", 0,
        "LastUpdatedDate", now, "RouteSettings", "StageName", "$default", "StageVariables", "Tags");
    bad |= json_object_set_new(json_object_get(doc, "Stages"), "$default", stage);
    if (bad) return ferr_oom(c->err);
    return apigwv2_autodeploy(c, doc);
}

int apigatewayv2_op_create_api(call *c, json_t *in, json_t **out)
{
    if (authorize(c, "POST", NULL)) return -1;
    const char *proto = jstr(in, "ProtocolType");
    if (strcmp(proto, "HTTP") && strcmp(proto, "WEBSOCKET"))
        return apigwv2_bad(c, "Invalid protocol type specified: %s", proto);
    int http = !strcmp(proto, "HTTP");
    if (!http && (json_object_get(in, "CorsConfiguration") || jstr(in, "Target")))
        return apigwv2_bad(c, "CORS and quick create are supported only for HTTP APIs");
    if (!http && !jstr(in, "RouteSelectionExpression"))
        return apigwv2_bad(c, "RouteSelectionExpression is required for WEBSOCKET APIs");
    if (!jstr(in, "Target") && (jstr(in, "RouteKey") || jstr(in, "CredentialsArn")))
        return apigwv2_bad(c, "RouteKey and CredentialsArn require a Target (quick create)");
    if (check_cors(c, json_object_get(in, "CorsConfiguration"))) return -1;
    char id[11];
    json_t *doc = NULL;
    store_key k;
    do { /* the id names the API's URL (36^10 ids: a clash across accounts is not met) */
        ids_lower_alnum(id, 10);
        k = call_key(c, APIGWV2_KIND, id);
        int rc = store_get(c->txn, &k, &doc, c->err);
        if (rc < 0) return -1;
        json_decref(doc);
        if (!rc) break;
    } while (1);
    json_t *tags = json_object_get(in, "Tags");
    json_t *api = json_pack(
        "{s:s, s:s, s:f, s:s, s:s, s:b, s:o}", "ApiId", id, "ApiKeySelectionExpression",
        "$request.header.x-api-key", "CreatedDate", (double)(long long)clock_now(), "ProtocolType",
        proto, "RouteSelectionExpression", "${request.method} ${request.path}",
        "DisableExecuteApiEndpoint", 0, "Tags", tags ? json_deep_copy(tags) : json_object());
    doc = json_pack("{s:o, s:{}, s:{}, s:{}, s:{}, s:{}}", "Api", api, "Routes", "Integrations",
                    "Authorizers", "Stages", "Deployments");
    if (!doc || !arena_defer_json(c->a, doc) ||
        copy_fields(api, in, api_fields, sizeof(api_fields) / sizeof(api_fields[0])))
        return ferr_oom(c->err);
    if (jstr(in, "Target") && quick_create(c, doc, in)) return -1;
    call_resource(c, "AWS::ApiGatewayV2::Api", id);
    store_key hk = {APIGWV2_HOST_KIND, "", "", id};
    json_t *where = json_pack("{s:s, s:s}", "Account", c->account, "Region", c->region);
    int rc = where ? store_put(c->txn, &hk, where, c->err) : ferr_oom(c->err);
    json_decref(where);
    if (rc || apigwv2_save(c, doc)) return -1;
    *out = svc_out(c, render_api(c, doc));
    return 0;
}

int apigatewayv2_op_get_api(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (apigwv2_open(c, in, "GET", &doc) < 0) return -1;
    *out = svc_out(c, render_api(c, doc));
    return 0;
}

typedef struct list_ud {
    call *c;
    json_t *items;
} list_ud;

static int list_one(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    list_ud *l = ud;
    json_t *api = render_api(l->c, doc);
    return !api || json_array_append_new(l->items, api);
}

int apigatewayv2_op_get_apis(call *c, json_t *in, json_t **out)
{
    if (authorize(c, "GET", NULL)) return -1;
    list_ud l = {c, json_array()};
    json_t *o = json_object();
    if (!l.items || !o || !arena_defer_json(c->a, l.items)) {
        json_decref(o);
        return ferr_oom(c->err);
    }
    if (store_list(c->txn, APIGWV2_KIND, c->account, c->region, NULL, NULL, 0, list_one, &l,
                   c->err) < 0 ||
        svc_page(c, l.items, jstr(in, "NextToken"),
                 atoll(jstr(in, "MaxResults") ? jstr(in, "MaxResults") : "0"), o, "Items",
                 "NextToken", "BadRequestException")) {
        json_decref(o);
        return -1;
    }
    *out = o;
    return 0;
}

int apigatewayv2_op_update_api(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (apigwv2_open(c, in, "PATCH", &doc) < 0) return -1;
    json_t *api = json_object_get(doc, "Api");
    if (check_cors(c, json_object_get(in, "CorsConfiguration"))) return -1;
    if (json_object_get(in, "CorsConfiguration") && strcmp(jstr(api, "ProtocolType"), "HTTP"))
        return apigwv2_bad(c, "CORS is supported only for HTTP APIs");
    if (copy_fields(api, in, api_fields, sizeof(api_fields) / sizeof(api_fields[0])))
        return ferr_oom(c->err);
    /* AWS: Target on update changes the quick-created integration's URI */
    const char *target = jstr(in, "Target");
    if (target) {
        const char *k;
        json_t *integ;
        json_object_foreach(json_object_get(doc, "Integrations"), k, integ)
            if (jbool(integ, "ApiGatewayManaged", 0) && jset_str(integ, "IntegrationUri", target))
                return ferr_oom(c->err);
    }
    if ((target && apigwv2_autodeploy(c, doc)) || apigwv2_save(c, doc)) return -1;
    *out = svc_out(c, render_api(c, doc));
    return 0;
}

int apigatewayv2_op_delete_api(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (apigwv2_open(c, in, "DELETE", &doc) < 0) return -1;
    store_key k = call_key(c, APIGWV2_KIND, jstr(in, "ApiId")),
              hk = {APIGWV2_HOST_KIND, "", "", jstr(in, "ApiId")};
    if (store_del(c->txn, &k, c->err) < 0 || store_del(c->txn, &hk, c->err) < 0) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int apigatewayv2_op_delete_cors_configuration(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (apigwv2_open(c, in, "DELETE", &doc) < 0) return -1;
    json_t *api = json_object_get(doc, "Api");
    if (!json_object_get(api, "CorsConfiguration"))
        return apigwv2_not_found(c, "CorsConfiguration", jstr(in, "ApiId"));
    json_object_del(api, "CorsConfiguration");
    if (apigwv2_save(c, doc)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

/* ---- tags: on APIs (arn:aws:apigateway:REGION::/apis/ID) and their stages
 * (.../apis/ID/stages/NAME) ---- */

static int tags_of(call *c, const char *arn, const char *method, json_t **doc, json_t **tags)
{
    char pre[96];
    snprintf(pre, sizeof(pre), "arn:%s:apigateway:%s::/apis/", arn_partition(c->region), c->region);
    size_t n = strlen(pre);
    if (strncmp(arn, pre, n)) return apigwv2_not_found(c, "resource", arn);
    const char *id = arn + n, *slash = strchr(id, '/');
    json_t *in = json_pack("{s:s%}", "ApiId", id, slash ? (size_t)(slash - id) : strlen(id));
    if (!in) return ferr_oom(c->err);
    int rc = apigwv2_open(c, in, method, doc);
    json_decref(in);
    if (rc < 0) return -1;
    json_t *owner = json_object_get(*doc, "Api");
    if (slash) {
        if (strncmp(slash, "/stages/", 8)) return apigwv2_not_found(c, "resource", arn);
        owner = json_object_get(json_object_get(*doc, "Stages"), slash + 8);
        if (!owner) return apigwv2_not_found(c, "resource", arn);
    }
    *tags = json_object_get(owner, "Tags");
    if (!*tags) {
        *tags = json_object();
        if (json_object_set_new(owner, "Tags", *tags)) return ferr_oom(c->err);
    }
    return 0;
}

int apigatewayv2_op_tag_resource(call *c, json_t *in, json_t **out)
{
    json_t *doc, *tags;
    if (tags_of(c, jstr(in, "ResourceArn"), "POST", &doc, &tags)) return -1;
    if (json_object_update(tags, json_object_get(in, "Tags"))) return ferr_oom(c->err);
    if (json_object_size(tags) > 50)
        return apigwv2_bad(c, "Number of tags exceeds the limit of 50");
    if (apigwv2_save(c, doc)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int apigatewayv2_op_untag_resource(call *c, json_t *in, json_t **out)
{
    json_t *doc, *tags, *k;
    size_t i;
    if (tags_of(c, jstr(in, "ResourceArn"), "DELETE", &doc, &tags)) return -1;
    json_array_foreach(json_object_get(in, "TagKeys"), i, k)
        json_object_del(tags, json_string_value(k));
    if (apigwv2_save(c, doc)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int apigatewayv2_op_get_tags(call *c, json_t *in, json_t **out)
{
    json_t *doc, *tags;
    if (tags_of(c, jstr(in, "ResourceArn"), "GET", &doc, &tags)) return -1;
    *out = svc_out(c, json_pack("{s:O}", "Tags", tags));
    return 0;
}
