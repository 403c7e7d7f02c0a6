/* ImportRestApi / PutRestApi: a Swagger 2.0 or OpenAPI 3.0 definition (JSON or YAML) into
 * the API's resources and methods, with API Gateway's extensions:
 * x-amazon-apigateway-integration (aws_proxy, aws, http, http_proxy, mock),
 * x-amazon-apigateway-any-method, x-amazon-apigateway-binary-media-types, IAM
 * authorization (x-amazon-apigateway-auth {type: aws_iam}, or a security scheme whose
 * x-amazon-apigateway-authtype is awsSigv4), Lambda authorizers (security schemes with an
 * x-amazon-apigateway-authorizer) and API keys (the x-api-key header scheme). The base path is ignored (AWS's default
 * basepath=ignore). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apigateway_int.h"
#include "openapi.h"
#include "base/enc.h"
#include "base/yaml.h"

#define BAD_INPUT "Invalid OpenAPI input."

static const char *const VERBS[][2] = {
    {"get", "GET"},         {"post", "POST"},
    {"put", "PUT"},         {"delete", "DELETE"},
    {"patch", "PATCH"},     {"head", "HEAD"},
    {"options", "OPTIONS"}, {"x-amazon-apigateway-any-method", "ANY"}};

/* The resource at path, made (with its ancestors) when missing. */
static json_t *resource_at(call *c, json_t *doc, const char *path)
{
    json_t *all = json_object_get(doc, "resources");
    const char *root = jstr(json_object_get(doc, "api"), "rootResourceId");
    json_t *cur = json_object_get(all, root);
    const char *p = path;
    while (cur && *p) {
        while (*p == '/') p++;
        if (!*p) break;
        size_t n = strcspn(p, "/");
        const char *part = arena_strndup(c->a, p, n);
        if (!part) return ferr_oom(c->err), NULL;
        const char *pid = jstr(cur, "id");
        json_t *next = NULL;
        const char *k;
        json_t *r;
        json_object_foreach(all, k, r) {
            if (jstr(r, "parentId") && !strcmp(jstr(r, "parentId"), pid) &&
                !strcmp(jstr(r, "pathPart"), part))
                next = r;
        }
        if (!next) next = apigw_add_resource(c, doc, pid, part);
        cur = next;
        p += n;
    }
    return cur;
}

static const json_t *schemes_of(const json_t *spec)
{
    const json_t *schemes = json_object_get(spec, "securityDefinitions");
    return schemes ? schemes
                   : json_object_get(json_object_get(spec, "components"), "securitySchemes");
}

/* Calls fn for each scheme the operation's security requirements (else the definition's)
 * name, with the requirement's scopes, until fn answers non-zero: that answer, or 0. */
typedef int (*scheme_fn)(const char *name, const json_t *scheme, const json_t *scopes, void *ud);
static int security_each(const json_t *spec, const json_t *op, scheme_fn fn, void *ud)
{
    const json_t *schemes = schemes_of(spec);
    const json_t *sec = json_object_get(op, "security");
    if (!sec) sec = json_object_get(spec, "security");
    size_t i;
    const json_t *req;
    json_array_foreach(sec, i, req) {
        const char *name;
        json_t *v;
        json_object_foreach((json_t *)req, name, v) {
            int rc = fn(name, json_object_get(schemes, name), v, ud);
            if (rc) return rc;
        }
    }
    return 0;
}

typedef struct sec_ctx {
    const char *type, *authorizer;
    int api_key;
    const json_t *scheme, *scopes;
} sec_ctx;

static int rest_scheme(const char *name, const json_t *sc, const json_t *scopes, void *ud)
{
    (void)scopes;
    sec_ctx *x = ud;
    const char *at = jstr(sc, "x-amazon-apigateway-authtype");
    if (at && !strcasecmp(at, "awsSigv4")) {
        x->type = "AWS_IAM";
    } else if (json_object_get(sc, "x-amazon-apigateway-authorizer")) {
        x->type = "CUSTOM";
        x->authorizer = name;
    } else if (jstr(sc, "type") && !strcmp(jstr(sc, "type"), "apiKey") && jstr(sc, "name") &&
               !strcasecmp(jstr(sc, "name"), "x-api-key")) {
        x->api_key = 1;
    }
    return 0;
}

/* What an operation's security asks: AWS_IAM (x-amazon-apigateway-auth, or a scheme of
 * x-amazon-apigateway-authtype awsSigv4), CUSTOM (a scheme with an
 * x-amazon-apigateway-authorizer: *authorizer its name), else NONE; *api_key when a scheme
 * is the x-api-key header without an authorizer. */
static const char *security_of(const json_t *spec, const json_t *op, const char **authorizer,
                               int *api_key)
{
    const char *t = jstr(json_object_get(op, "x-amazon-apigateway-auth"), "type");
    sec_ctx x = {.type = t && !strcasecmp(t, "aws_iam") ? "AWS_IAM" : "NONE"};
    security_each(spec, op, rest_scheme, &x);
    *authorizer = x.authorizer;
    *api_key = x.api_key;
    return x.type;
}

/* The authorizers the security schemes define (x-amazon-apigateway-authorizer), made or
 * replaced by name. */
static int import_authorizers(call *c, json_t *doc, const json_t *spec)
{
    json_t *all = json_object_get(doc, "authorizers");
    if (!all && (json_object_set_new(doc, "authorizers", all = json_object()) || !all))
        return ferr_oom(c->err);
    const char *name;
    json_t *sc;
    json_object_foreach((json_t *)schemes_of(spec), name, sc) {
        const json_t *x = json_object_get(sc, "x-amazon-apigateway-authorizer");
        if (!x) continue;
        char type[16];
        snprintf(type, sizeof(type), "%s", jstr(x, "type") ? jstr(x, "type") : "token");
        for (char *p = type; *p; p++) *p = (char)toupper((unsigned char)*p);
        /* a TOKEN authorizer's header is the scheme's name when it gives no source */
        const char *src = jstr(x, "identitySource");
        if (!src && !strcmp(type, "TOKEN") && jstr(sc, "name"))
            src = arena_printf(c->a, "method.request.header.%s", jstr(sc, "name"));
        const char *id = NULL, *k;
        json_t *az;
        json_object_foreach(all, k, az) {
            if (!strcmp(jstr(az, "name"), name)) id = k;
        }
        if (!id && !(id = apigw_id(c))) return ferr_oom(c->err);
        json_t *ttl = json_object_get(x, "authorizerResultTtlInSeconds");
        az = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:I}", "id", id, "name", name,
                       "type", type, "authorizerUri", jstr(x, "authorizerUri"),
                       "authorizerCredentials", jstr(x, "authorizerCredentials"), "identitySource",
                       src, "identityValidationExpression", jstr(x, "identityValidationExpression"),
                       "authorizerResultTtlInSeconds",
                       (json_int_t)(json_is_integer(ttl) ? json_integer_value(ttl) : 300));
        if (!az || json_object_set_new(all, id, az)) return ferr_oom(c->err);
    }
    return 0;
}

static int add_method(call *c, const json_t *spec, json_t *doc, json_t *res, const char *verb,
                      const json_t *op)
{
    if (!json_is_object(op)) return apigw_bad(c, BAD_INPUT);
    json_object_del(json_object_get(res, "resourceMethods"), verb);
    const char *authorizer;
    int api_key;
    const char *auth = security_of(spec, op, &authorizer, &api_key);
    json_t *in = json_pack("{s:s, s:b, s:s?}", "authorizationType", auth, "apiKeyRequired", api_key,
                           "operationName", jstr(op, "operationId"));
    if (!in || !arena_defer_json(c->a, in)) return ferr_oom(c->err);
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(doc, "authorizers"), k, v) {
        if (authorizer && !strcmp(jstr(v, "name"), authorizer) && jset_str(in, "authorizerId", k))
            return ferr_oom(c->err);
    }
    if (apigw_import_method_requests(c, doc, spec, op, in)) return -1;
    json_t *m = apigw_put_method(c, res, verb, in);
    if (!m) return -1;
    json_t *mr = json_object();
    if (!mr || json_object_set_new(m, "methodResponses", mr)) return ferr_oom(c->err);
    json_object_foreach(json_object_get(op, "responses"), k, v) {
        if (strlen(k) == 3 && isdigit((unsigned char)k[0]) &&
            json_object_set_new(mr, k, json_pack("{s:s}", "statusCode", k)))
            return ferr_oom(c->err);
    }
    const json_t *x = json_object_get(op, "x-amazon-apigateway-integration");
    if (!x) return 0;
    const char *type = jstr(x, "type");
    char up[32];
    snprintf(up, sizeof(up), "%s", type ? type : "");
    for (char *p = up; *p; p++) *p = (char)toupper((unsigned char)*p);
    json_t *iin = json_pack("{s:s, s:s?, s:s?, s:O?, s:s?, s:O?, s:s?}", "type", up, "uri",
                            jstr(x, "uri"), "integrationHttpMethod", jstr(x, "httpMethod"),
                            "requestTemplates", json_object_get(x, "requestTemplates"),
                            "passthroughBehavior", jstr(x, "passthroughBehavior"),
                            "requestParameters", json_object_get(x, "requestParameters"),
                            "contentHandling", jstr(x, "contentHandling"));
    if (!iin || !arena_defer_json(c->a, iin)) return ferr_oom(c->err);
    json_t *t = json_object_get(x, "timeoutInMillis");
    if (json_is_integer(t) && json_object_set(iin, "timeoutInMillis", t)) return ferr_oom(c->err);
    json_t *integ = apigw_put_integration(c, m, iin);
    if (!integ) return -1;
    json_t *irs = json_object();
    if (!irs || json_object_set_new(integ, "integrationResponses", irs)) return ferr_oom(c->err);
    json_object_foreach(json_object_get(x, "responses"), k, v) {
        const char *sc = jstr(v, "statusCode");
        if (!sc) return apigw_bad(c, BAD_INPUT);
        json_t *ir = json_pack("{s:s, s:O?, s:O?}", "statusCode", sc, "responseTemplates",
                               json_object_get(v, "responseTemplates"), "responseParameters",
                               json_object_get(v, "responseParameters"));
        if (ir && strcmp(k, "default") && jset_str(ir, "selectionPattern", k))
            json_decref(ir), ir = NULL;
        if (!ir || json_object_set_new(irs, sc, ir)) return ferr_oom(c->err);
    }
    return 0;
}

json_t *apigw_openapi_load(call *c, const char *body, size_t len, int openapi3)
{
    json_t *spec = json_loadb(body, len, 0, NULL);
    if (!spec) {
        ferr e = {0};
        spec = yaml_to_json(body, len, &e);
    }
    if (!spec || !arena_defer_json(c->a, spec))
        return spec ? ferr_oom(c->err) : apigw_bad(c, BAD_INPUT), NULL;
    const char *sw = jstr(spec, "swagger"), *oa = jstr(spec, "openapi");
    if (!json_is_object(spec) ||
        !((sw && !strcmp(sw, "2.0") && !openapi3) || (oa && !strncmp(oa, "3.", 2))))
        return apigw_bad(c, BAD_INPUT), NULL;
    const json_t *paths = json_object_get(spec, "paths");
    if (paths && !json_is_object(paths)) return apigw_bad(c, BAD_INPUT), NULL;
    const char *path;
    json_t *item;
    json_object_foreach((json_t *)paths, path, item) {
        if (path[0] != '/' || !json_is_object(item)) return apigw_bad(c, BAD_INPUT), NULL;
        for (size_t i = 0; i < sizeof(VERBS) / sizeof(VERBS[0]); i++) {
            json_t *op = json_object_get(item, VERBS[i][0]);
            if (op && !json_is_object(op)) return apigw_bad(c, BAD_INPUT), NULL;
        }
    }
    return spec;
}

int apigw_openapi_each(call *c, const json_t *spec, apigw_openapi_fn fn, void *ud)
{
    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(spec, "paths"), path, item) {
        for (size_t i = 0; i < sizeof(VERBS) / sizeof(VERBS[0]); i++) {
            json_t *op = json_object_get(item, VERBS[i][0]);
            if (op && fn(c, ud, path, VERBS[i][1], op)) return -1;
        }
    }
    return 0;
}

static int authorizer_scheme(const char *name, const json_t *sc, const json_t *scopes, void *ud)
{
    sec_ctx *x = ud;
    if (!json_object_get(sc, "x-amazon-apigateway-authorizer")) return 0;
    x->authorizer = name, x->scheme = sc, x->scopes = scopes;
    return 1;
}

const char *apigw_openapi_security(const json_t *spec, const json_t *op, const json_t **scheme,
                                   const json_t **scopes)
{
    sec_ctx x = {0};
    security_each(spec, op, authorizer_scheme, &x);
    *scheme = x.scheme;
    *scopes = x.scopes;
    return x.authorizer;
}

/* The REST API's import: one resource per path, a method per operation. */
static int rest_op(call *c, void *ud, const char *path, const char *verb, const json_t *op)
{
    json_t **ctx = ud; /* {spec, doc} */
    json_t *res = resource_at(c, ctx[1], path);
    return res ? add_method(c, ctx[0], ctx[1], res, verb, op) : -1;
}

int apigw_import(call *c, json_t *doc, const char *body, size_t len, const char *mode)
{
    json_t *spec = apigw_openapi_load(c, body, len, 0);
    if (!spec) return -1;
    json_t *api = json_object_get(doc, "api");
    const json_t *info = json_object_get(spec, "info");
    if (jstr(info, "title") && jset_str(api, "name", jstr(info, "title"))) return ferr_oom(c->err);
    if (jstr(info, "description") && jset_str(api, "description", jstr(info, "description")))
        return ferr_oom(c->err);
    json_t *bm = json_object_get(spec, "x-amazon-apigateway-binary-media-types");
    if (json_is_array(bm) && json_object_set(api, "binaryMediaTypes", bm)) return ferr_oom(c->err);
    const json_t *pol = json_object_get(spec, "x-amazon-apigateway-policy");
    if (pol) {
        char *text = json_is_object(pol) ? json_dumps(pol, JSON_COMPACT) : NULL;
        const char *t = text ? arena_strdup(c->a, text) : NULL;
        free(text);
        if (!json_is_object(pol)) return apigw_bad(c, BAD_INPUT);
        if (!t) return ferr_oom(c->err);
        if (apigw_set_policy(c, api, t)) return -1;
    }
    if (apigw_import_gateway_responses(
            c, doc, json_object_get(spec, "x-amazon-apigateway-gateway-responses")))
        return -1;
    if (!mode || strcmp(mode, "merge")) {
        /* overwrite: only the root remains, without its methods */
        json_t *all = json_object_get(doc, "resources");
        const char *root = jstr(api, "rootResourceId"), *k;
        json_t *r;
        void *tmp;
        json_object_foreach_safe(all, tmp, k, r) {
            if (strcmp(k, root)) json_object_del(all, k);
        }
        json_object_clear(json_object_get(json_object_get(all, root), "resourceMethods"));
    }
    if (import_authorizers(c, doc, spec) || apigw_import_models(c, doc, spec)) return -1;
    json_t *ctx[2] = {spec, doc};
    return apigw_openapi_each(c, spec, rest_op, ctx);
}

static int body_of(call *c, const json_t *in, const char **body, size_t *len)
{
    const char *b64 = jstr(in, "body");
    *body = b64 ? (const char *)enc_unb64(c->a, b64, strlen(b64), len) : NULL;
    if (!*body) return b64 ? ferr_oom(c->err) : apigw_bad(c, BAD_INPUT);
    return 0;
}

int apigateway_op_import_rest_api(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "apigateway:POST", apigw_arn(c, "", ""))) return -1;
    const char *body;
    size_t len;
    json_t *doc;
    json_t *name = json_pack("{s:s}", "name", "");
    if (!name || !arena_defer_json(c->a, name)) return ferr_oom(c->err);
    if (body_of(c, in, &body, &len) || apigw_create(c, name, &doc) ||
        apigw_import(c, doc, body, len, "overwrite"))
        return -1;
    json_t *api = json_object_get(doc, "api");
    if (!*jstr(api, "name")) return apigw_bad(c, "Invalid OpenAPI input: missing info.title");
    if (apigw_save(c, doc)) return -1;
    *out = svc_out(c, json_deep_copy(api));
    return 0;
}

int apigateway_op_put_rest_api(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (apigw_open(c, in, "PUT", "", &doc) < 0) return -1;
    const char *body;
    size_t len;
    const char *mode = jstr(in, "mode");
    if (!mode) mode = "merge";
    if (strcmp(mode, "merge") && strcmp(mode, "overwrite"))
        return apigw_bad(c, "Invalid mode specified. Valid options are merge, overwrite");
    if (body_of(c, in, &body, &len) || apigw_import(c, doc, body, len, mode) || apigw_save(c, doc))
        return -1;
    *out = svc_out(c, json_deep_copy(json_object_get(doc, "api")));
    return 0;
}
