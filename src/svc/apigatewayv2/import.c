/* ImportApi and ReimportApi: an HTTP API from an OpenAPI 3.0 definition (JSON or YAML), read
 * by the REST APIs' parser (svc/apigateway/openapi.h): a route per operation ("GET /pets",
 * "ANY /{proxy+}" for x-amazon-apigateway-any-method, "$default" for the path
 * "/$default"), its x-amazon-apigateway-integration (aws_proxy, http_proxy), authorizers
 * from the security schemes' x-amazon-apigateway-authorizer (jwt, request) and CORS from
 * x-amazon-apigateway-cors. A reimport replaces the routes, integrations and authorizers. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "apigatewayv2_int.h"
#include "svc/apigateway/openapi.h"

typedef struct import_ctx {
    json_t *spec, *doc;
} import_ctx;

static int upper(char *out, size_t n, const char *s)
{
    snprintf(out, n, "%s", s ? s : "");
    for (char *p = out; *p; p++) *p = (char)toupper((unsigned char)*p);
    return 0;
}

/* The authorizer a scheme defines, made once (by name): its id, or NULL (error set). */
static const char *authorizer_of(call *c, json_t *doc, const char *name, const json_t *scheme,
                                 const char **type)
{
    json_t *all = json_object_get(doc, "Authorizers");
    const char *k;
    json_t *az;
    const json_t *x = json_object_get(scheme, "x-amazon-apigateway-authorizer");
    char t[16];
    upper(t, sizeof(t), jstr(x, "type"));
    *type = !strcmp(t, "JWT") ? "JWT" : "CUSTOM";
    json_object_foreach(all, k, az) {
        if (!strcmp(jstr(az, "Name"), name)) return k;
    }
    if (strcmp(t, "JWT") && strcmp(t, "REQUEST"))
        return apigwv2_bad(c, "Invalid authorizer type specified: %s", jstr(x, "type")), NULL;
    char id[8];
    apigwv2_new_id(all, 7, id);
    az = json_pack("{s:s, s:s, s:s}", "AuthorizerId", id, "Name", name, "AuthorizerType", t);
    if (!az || json_object_set_new(all, id, az)) return ferr_oom(c->err), NULL;
    /* identitySource: a string, a list, or (JWT) the Authorization header */
    json_t *ids = json_array();
    const json_t *src = json_object_get(x, "identitySource");
    if (json_is_string(src)) {
        for (const char *p = json_string_value(src); ids && *p;) {
            p += strspn(p, " ,");
            size_t n = strcspn(p, ",");
            while (n && p[n - 1] == ' ') n--;
            if (n && json_array_append_new(ids, json_stringn(p, n))) c->oom = 1;
            p += n;
        }
    } else if (json_is_array(src) && ids) {
        if (json_array_extend(ids, (json_t *)src)) c->oom = 1;
    } else if (ids && !strcmp(t, "JWT") &&
               json_array_append_new(ids, json_string("$request.header.Authorization"))) {
        c->oom = 1;
    }
    if (!ids || json_object_set_new(az, "IdentitySource", ids)) return ferr_oom(c->err), NULL;
    int bad = 0;
    if (!strcmp(t, "JWT")) {
        const json_t *jc = json_object_get(x, "jwtConfiguration");
        json_t *aud = json_object_get(jc, "audience");
        bad |= json_object_set_new(
            az, "JwtConfiguration",
            json_pack("{s:s?, s:O?}", "Issuer", jstr(jc, "issuer"), "Audience", aud));
    } else {
        if (jstr(x, "authorizerUri"))
            bad |= jset_str(az, "AuthorizerUri", jstr(x, "authorizerUri"));
        if (jstr(x, "authorizerCredentials"))
            bad |= jset_str(az, "AuthorizerCredentialsArn", jstr(x, "authorizerCredentials"));
        const char *pfv = jstr(x, "authorizerPayloadFormatVersion");
        bad |= jset_str(az, "AuthorizerPayloadFormatVersion", pfv ? pfv : "2.0");
        json_t *simple = json_object_get(x, "enableSimpleResponses");
        if (json_is_boolean(simple)) bad |= json_object_set(az, "EnableSimpleResponses", simple);
        json_t *ttl = json_object_get(x, "authorizerResultTtlInSeconds");
        bad |=
            json_object_set_new(az, "AuthorizerResultTtlInSeconds",
                                json_integer(json_is_integer(ttl) ? json_integer_value(ttl) : 300));
    }
    if (bad) return ferr_oom(c->err), NULL;
    return json_string_value(json_object_get(az, "AuthorizerId"));
}

static int import_op(call *c, void *ud, const char *path, const char *verb, const json_t *op)
{
    import_ctx *x = ud;
    json_t *doc = x->doc;
    const char *rk =
        !strcmp(path, "/$default") ? "$default" : arena_printf(c->a, "%s %s", verb, path);
    if (!rk) return ferr_oom(c->err);
    const char *k;
    json_t *r;
    json_object_foreach(json_object_get(doc, "Routes"), k, r) {
        if (!strcmp(jstr(r, "RouteKey"), rk))
            return apigwv2_bad(c, "Invalid OpenAPI input: route %s is defined twice", rk);
    }
    char rid[8];
    apigwv2_new_id(json_object_get(doc, "Routes"), 7, rid);
    json_t *route = json_pack("{s:b, s:s, s:s, s:s}", "ApiKeyRequired", 0, "AuthorizationType",
                              "NONE", "RouteId", rid, "RouteKey", rk);
    if (!route || json_object_set_new(json_object_get(doc, "Routes"), rid, route))
        return ferr_oom(c->err);
    if (jstr(op, "operationId") && jset_str(route, "OperationName", jstr(op, "operationId")))
        return ferr_oom(c->err);
    const json_t *scheme, *scopes;
    const char *name = apigw_openapi_security(x->spec, op, &scheme, &scopes);
    if (name) {
        const char *type;
        const char *az = authorizer_of(c, doc, name, scheme, &type);
        if (!az) return -1;
        if (jset_str(route, "AuthorizationType", type) || jset_str(route, "AuthorizerId", az) ||
            (json_array_size(scopes) &&
             json_object_set(route, "AuthorizationScopes", (json_t *)scopes)))
            return ferr_oom(c->err);
    }
    const json_t *in = json_object_get(op, "x-amazon-apigateway-integration");
    if (!in) return 0; /* AWS: a route without an integration is imported as it is */
    char type[32], method[16];
    upper(type, sizeof(type), jstr(in, "type"));
    upper(method, sizeof(method), jstr(in, "httpMethod"));
    if (strcmp(type, "AWS_PROXY") && strcmp(type, "HTTP_PROXY"))
        return apigwv2_bad(c, "Invalid OpenAPI input: integration type %s of %s is not supported",
                           jstr(in, "type") ? jstr(in, "type") : "(none)", rk);
    if (!jstr(in, "uri")) return apigwv2_bad(c, "Invalid OpenAPI input: %s has no uri", rk);
    const char *pfv = jstr(in, "payloadFormatVersion");
    if (pfv && strcmp(pfv, "1.0") && strcmp(pfv, "2.0"))
        return apigwv2_bad(c, "Invalid payload format version specified: %s", pfv);
    json_t *t = json_object_get(in, "timeoutInMillis");
    char iid[8];
    apigwv2_new_id(json_object_get(doc, "Integrations"), 7, iid);
    const char *conn = jstr(in, "connectionType");
    json_t *integ = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "ConnectionType",
                              conn ? conn : "INTERNET", "IntegrationId", iid, "IntegrationType",
                              type, "IntegrationUri", jstr(in, "uri"), "IntegrationMethod",
                              *method                      ? method
                              : !strcmp(type, "AWS_PROXY") ? "POST"
                                                           : "ANY",
                              "PayloadFormatVersion", pfv ? pfv : "1.0", "TimeoutInMillis",
                              (json_int_t)(json_is_integer(t) ? json_integer_value(t) : 30000));
    if (!integ || json_object_set_new(json_object_get(doc, "Integrations"), iid, integ))
        return ferr_oom(c->err);
    if (jstr(in, "credentials") && jset_str(integ, "CredentialsArn", jstr(in, "credentials")))
        return ferr_oom(c->err);
    const char *target = arena_printf(c->a, "integrations/%s", iid);
    return !target || jset_str(route, "Target", target) ? ferr_oom(c->err) : 0;
}

/* CORS from x-amazon-apigateway-cors, in the API's member names. */
static int import_cors(call *c, json_t *api, const json_t *cors)
{
    if (!cors) return 0;
    if (!json_is_object(cors)) return apigwv2_bad(c, "Invalid OpenAPI input.");
    static const char *const map[][2] = {
        {"allowOrigins", "AllowOrigins"},
        {"allowMethods", "AllowMethods"},
        {"allowHeaders", "AllowHeaders"},
        {"exposeHeaders", "ExposeHeaders"},
        {"maxAge", "MaxAge"},
        {"allowCredentials", "AllowCredentials"},
    };
    json_t *o = json_object();
    for (size_t i = 0; o && i < sizeof(map) / sizeof(map[0]); i++) {
        json_t *v = json_object_get(cors, map[i][0]);
        if (v && json_object_set(o, map[i][1], v)) json_decref(o), o = NULL;
    }
    return !o || json_object_set_new(api, "CorsConfiguration", o) ? ferr_oom(c->err) : 0;
}

/* Replaces doc's routes, integrations and authorizers by the definition's. */
static int fill(call *c, json_t *doc, const json_t *spec)
{
    json_t *api = json_object_get(doc, "Api");
    const json_t *info = json_object_get(spec, "info");
    if (jstr(info, "title") && jset_str(api, "Name", jstr(info, "title"))) return ferr_oom(c->err);
    if (jstr(info, "version") && jset_str(api, "Version", jstr(info, "version")))
        return ferr_oom(c->err);
    if (jstr(info, "description") && jset_str(api, "Description", jstr(info, "description")))
        return ferr_oom(c->err);
    if (import_cors(c, api, json_object_get(spec, "x-amazon-apigateway-cors"))) return -1;
    if (json_object_set_new(doc, "Routes", json_object()) ||
        json_object_set_new(doc, "Integrations", json_object()) ||
        json_object_set_new(doc, "Authorizers", json_object()))
        return ferr_oom(c->err);
    import_ctx x = {(json_t *)spec, doc};
    return apigw_openapi_each(c, spec, import_op, &x);
}

int apigatewayv2_op_import_api(call *c, json_t *in, json_t **out)
{
    const char *body = jstr(in, "Body");
    json_t *spec = apigw_openapi_load(c, body, strlen(body), 1);
    if (!spec) return -1;
    const char *title = jstr(json_object_get(spec, "info"), "title");
    if (!title || !*title) return apigwv2_bad(c, "Invalid OpenAPI input: missing info.title");
    /* the API itself as CreateApi makes it, then its parts from the definition */
    json_t *cin = json_pack("{s:s, s:s}", "Name", title, "ProtocolType", "HTTP"), *made = NULL;
    if (!cin || !arena_defer_json(c->a, cin)) return ferr_oom(c->err);
    if (apigatewayv2_op_create_api(c, cin, &made)) return -1;
    json_t *oin = json_pack("{s:s}", "ApiId", jstr(made, "ApiId"));
    json_decref(made);
    json_t *doc;
    if (!oin || !arena_defer_json(c->a, oin)) return ferr_oom(c->err);
    if (apigwv2_open(c, oin, "PUT", &doc) < 0 || fill(c, doc, spec) || apigwv2_save(c, doc))
        return -1;
    return apigatewayv2_op_get_api(c, oin, out);
}

int apigatewayv2_op_reimport_api(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (apigwv2_open(c, in, "PUT", &doc) < 0) return -1;
    const char *body = jstr(in, "Body");
    json_t *spec = apigw_openapi_load(c, body, strlen(body), 1);
    if (!spec || fill(c, doc, spec) || apigwv2_autodeploy(c, doc) || apigwv2_save(c, doc))
        return -1;
    return apigatewayv2_op_get_api(c, in, out);
}
