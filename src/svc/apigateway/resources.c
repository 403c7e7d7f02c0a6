/* Resources, methods, integrations, method responses and integration responses of a REST
 * API (all in the API's one document, apigateway_int.h). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/arn.h"
#include "apigateway_int.h"

/* ---- resources ---- */

json_t *apigw_resource(call *c, json_t *doc, const char *id)
{
    json_t *r = json_object_get(json_object_get(doc, "resources"), id ? id : "");
    if (!r) apigw_not_found(c, "Invalid Resource identifier specified");
    return r;
}

/* AWS: a path part is letters, digits and ._-:, or a {param} / {param+} whole. */
static int valid_part(const char *p)
{
    size_t n = strlen(p);
    if (!n) return 0;
    if (p[0] == '{') {
        if (n < 3 || p[n - 1] != '}') return 0;
        size_t end = n - 1 - (p[n - 2] == '+');
        for (size_t i = 1; i < end; i++)
            if (!isalnum((unsigned char)p[i]) && !strchr("._-", p[i])) return 0;
        return end > 1;
    }
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)p[i]) && !strchr("._-:~@$&',;=!*", p[i])) return 0;
    return 1;
}

json_t *apigw_add_resource(call *c, json_t *doc, const char *parent_id, const char *part)
{
    json_t *parent = apigw_resource(c, doc, parent_id);
    if (!parent) return NULL;
    if (!valid_part(part))
        return apigw_bad(c, "Resource's path part only allow a-zA-Z0-9._- and curly braces at the "
                            "beginning and the end and an optional plus sign before the closing "
                            "brace."),
               NULL;
    const char *pp = jstr(parent, "path");
    if (strstr(pp, "+}"))
        return apigw_bad(c, "Cannot create a child of a resource with a greedy path variable: %s",
                         pp),
               NULL;
    json_t *all = json_object_get(doc, "resources");
    const char *k;
    json_t *r;
    int is_var = part[0] == '{';
    json_object_foreach(all, k, r) {
        const char *sib = jstr(r, "parentId");
        if (!sib || strcmp(sib, parent_id)) continue;
        const char *other = jstr(r, "pathPart");
        if (!strcmp(other, part))
            return apigw_conflict(
                       c, "Another resource with the same parent already has this name: %s", part),
                   NULL;
        /* AWS: one variable per level */
        if (is_var && other[0] == '{')
            return apigw_bad(c,
                             "A sibling (%s) of this resource already has a variable path part "
                             "-- only one is allowed",
                             other),
                   NULL;
    }
    const char *id = apigw_id(c);
    const char *path = arena_printf(c->a, "%s%s%s", pp, strcmp(pp, "/") ? "/" : "", part);
    json_t *res = id && path
                      ? json_pack("{s:s, s:s, s:s, s:s, s:{}}", "id", id, "parentId", parent_id,
                                  "pathPart", part, "path", path, "resourceMethods")
                      : NULL;
    if (!res || json_object_set_new(all, id, res)) return ferr_oom(c->err), NULL;
    return res;
}

/* A resource as GetResources answers it: method names only unless embedded. */
static json_t *render_resource(call *c, const json_t *r, int full)
{
    json_t *o = json_deep_copy(r);
    json_t *m = json_object_get(o, "resourceMethods");
    if (o && !full) {
        const char *k;
        json_t *v;
        json_object_foreach(m, k, v) json_object_clear(v);
    }
    if (o && !json_object_size(m)) json_object_del(o, "resourceMethods");
    if (!o) c->oom = 1;
    return o;
}

static json_t *open_resource(call *c, json_t *in, const char *verb, const char *tail, json_t **doc)
{
    const char *suffix = arena_printf(c->a, "/resources/%s%s", jstr(in, "resourceId"), tail);
    if (!suffix) return ferr_oom(c->err), NULL;
    if (apigw_open(c, in, verb, suffix, doc) < 0) return NULL;
    return apigw_resource(c, *doc, jstr(in, "resourceId"));
}

int apigateway_op_get_resources(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (apigw_open(c, in, "GET", "/resources", &doc) < 0) return -1;
    int full = 0;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(in, "embed"), i, e)
        full |= !strcmp(json_string_value(e), "methods");
    json_t *items = json_array(), *o = json_object();
    if (!arena_defer_json(c->a, items) || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    const char *k;
    json_t *r;
    json_object_foreach(json_object_get(doc, "resources"), k, r) {
        if (json_array_append_new(items, render_resource(c, r, full))) c->oom = 1;
    }
    if (svc_page(c, items, jstr(in, "position"), jint(in, "limit", 25), o, "items", "position",
                 "BadRequestException"))
        return -1;
    *out = json_incref(o);
    return 0;
}

int apigateway_op_get_resource(call *c, json_t *in, json_t **out)
{
    json_t *doc, *r = open_resource(c, in, "GET", "", &doc);
    if (!r) return -1;
    *out = render_resource(c, r, 1);
    return 0;
}

int apigateway_op_create_resource(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (apigw_open(c, in, "POST", "/resources", &doc) < 0) return -1;
    json_t *r = apigw_add_resource(c, doc, jstr(in, "parentId"), jstr(in, "pathPart"));
    if (!r || apigw_save(c, doc)) return -1;
    *out = render_resource(c, r, 1);
    return 0;
}

int apigateway_op_delete_resource(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc, *r = open_resource(c, in, "DELETE", "", &doc);
    if (!r) return -1;
    if (!jstr(r, "parentId")) return apigw_bad(c, "Cannot delete the root resource");
    /* the resource and everything under it */
    json_t *all = json_object_get(doc, "resources");
    const char *path = arena_strdup(c->a, jstr(r, "path"));
    if (!path) return ferr_oom(c->err);
    size_t pl = strlen(path);
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(all, tmp, k, v) {
        const char *p = jstr(v, "path");
        if (!strncmp(p, path, pl) && (!p[pl] || p[pl] == '/')) json_object_del(all, k);
    }
    return apigw_save(c, doc);
}

int apigateway_op_update_resource(call *c, json_t *in, json_t **out)
{
    json_t *doc, *r = open_resource(c, in, "PATCH", "", &doc);
    if (!r) return -1;
    if (apigw_patch(c, r, json_object_get(in, "patchOperations"), "/pathPart") ||
        apigw_save(c, doc))
        return -1;
    *out = render_resource(c, r, 1);
    return 0;
}

/* ---- methods ---- */

static const char *method_name(call *c, const char *m)
{
    static const char *const ok[] = {"GET",   "POST", "PUT",     "DELETE",
                                     "PATCH", "HEAD", "OPTIONS", "ANY"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (m && !strcmp(m, ok[i])) return m;
    apigw_bad(c, "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,"
                 "OPTIONS,HEAD,ANY");
    return NULL;
}

json_t *apigw_put_method(call *c, json_t *res, const char *http_method, const json_t *in)
{
    if (!method_name(c, http_method)) return NULL;
    json_t *methods = json_object_get(res, "resourceMethods");
    if (json_object_get(methods, http_method))
        return apigw_conflict(c, "Method already exists for this resource"), NULL;
    const char *auth = jstr(in, "authorizationType");
    if (!auth) auth = "NONE";
    if (strcmp(auth, "NONE") && strcmp(auth, "AWS_IAM") && strcmp(auth, "CUSTOM") &&
        strcmp(auth, "COGNITO_USER_POOLS"))
        return apigw_bad(c, "Invalid authorization type specified. Valid options are NONE, "
                            "AWS_IAM, CUSTOM, COGNITO_USER_POOLS"),
               NULL;
    json_t *m = json_pack("{s:s, s:s, s:b}", "httpMethod", http_method, "authorizationType", auth,
                          "apiKeyRequired", jbool(in, "apiKeyRequired", 0));
    static const char *const copy[] = {"authorizerId",       "operationName",
                                       "requestParameters",  "requestModels",
                                       "requestValidatorId", "authorizationScopes"};
    for (size_t i = 0; m && i < sizeof(copy) / sizeof(copy[0]); i++) {
        json_t *v = json_object_get(in, copy[i]);
        if (v && json_object_set(m, copy[i], v)) json_decref(m), m = NULL;
    }
    if (!m || json_object_set_new(methods, http_method, m)) return ferr_oom(c->err), NULL;
    return m;
}

static json_t *open_method(call *c, json_t *in, const char *verb, const char *tail, json_t **doc)
{
    const char *t = arena_printf(c->a, "/methods/%s%s", jstr(in, "httpMethod"), tail);
    json_t *r = t ? open_resource(c, in, verb, t, doc) : NULL;
    if (!t) ferr_oom(c->err);
    if (!r) return NULL;
    json_t *m = json_object_get(json_object_get(r, "resourceMethods"), jstr(in, "httpMethod"));
    if (!m) apigw_not_found(c, "Invalid Method identifier specified");
    return m;
}

int apigateway_op_put_method(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    const char *t = arena_printf(c->a, "/methods/%s", jstr(in, "httpMethod"));
    json_t *r = t ? open_resource(c, in, "PUT", t, &doc) : NULL;
    if (!r) return t ? -1 : ferr_oom(c->err);
    if (!apigw_authorizer_ok(c, doc, in) || !apigw_method_requests_ok(c, doc, in)) return -1;
    json_t *m = apigw_put_method(c, r, jstr(in, "httpMethod"), in);
    if (!m || apigw_save(c, doc)) return -1;
    *out = svc_out(c, json_deep_copy(m));
    return 0;
}

int apigateway_op_get_method(call *c, json_t *in, json_t **out)
{
    json_t *doc, *m = open_method(c, in, "GET", "", &doc);
    if (!m) return -1;
    *out = svc_out(c, json_deep_copy(m));
    return 0;
}

int apigateway_op_delete_method(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc, *m = open_method(c, in, "DELETE", "", &doc);
    if (!m) return -1;
    json_object_del(
        json_object_get(apigw_resource(c, doc, jstr(in, "resourceId")), "resourceMethods"),
        jstr(in, "httpMethod"));
    return apigw_save(c, doc);
}

/* A patched requestParameters entry's "true"/"false" as the boolean AWS keeps. */
static int required_flags(call *c, json_t *m)
{
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(m, "requestParameters"), k, v) {
        const char *s = json_string_value(v);
        if (s && json_object_set_new(json_object_get(m, "requestParameters"), k,
                                     json_boolean(!strcmp(s, "true"))))
            return ferr_oom(c->err);
    }
    return 0;
}

int apigateway_op_update_method(call *c, json_t *in, json_t **out)
{
    json_t *doc, *m = open_method(c, in, "PATCH", "", &doc);
    if (!m) return -1;
    if (apigw_patch(c, m, json_object_get(in, "patchOperations"),
                    "/authorizationType /apiKeyRequired /authorizerId /operationName "
                    "/requestValidatorId /requestParameters/ /requestModels/") ||
        required_flags(c, m) || !apigw_authorizer_ok(c, doc, m) ||
        !apigw_method_requests_ok(c, doc, m) || apigw_save(c, doc))
        return -1;
    *out = svc_out(c, json_deep_copy(m));
    return 0;
}

/* ---- method responses ---- */

static int status_code_ok(call *c, const char *s)
{
    if (s && strlen(s) == 3 && isdigit((unsigned char)s[0]) && s[0] >= '1' && s[0] <= '5' &&
        isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]))
        return 1;
    apigw_bad(c, "Invalid StatusCode specified");
    return 0;
}

static json_t *child_map(call *c, json_t *parent, const char *name)
{
    json_t *m = json_object_get(parent, name);
    if (!m && (json_object_set_new(parent, name, m = json_object()) || !m))
        return ferr_oom(c->err), NULL;
    return m;
}

int apigateway_op_put_method_response(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    const char *t = arena_printf(c->a, "/responses/%s", jstr(in, "statusCode"));
    json_t *m = t ? open_method(c, in, "PUT", t, &doc) : NULL;
    if (!m) return t ? -1 : ferr_oom(c->err);
    if (!status_code_ok(c, jstr(in, "statusCode"))) return -1;
    json_t *all = child_map(c, m, "methodResponses");
    json_t *r = json_pack("{s:s, s:O?, s:O?}", "statusCode", jstr(in, "statusCode"),
                          "responseParameters", json_object_get(in, "responseParameters"),
                          "responseModels", json_object_get(in, "responseModels"));
    if (!all || !r || json_object_set_new(all, jstr(in, "statusCode"), r)) return ferr_oom(c->err);
    if (apigw_save(c, doc)) return -1;
    *out = svc_out(c, json_deep_copy(r));
    return 0;
}

static json_t *open_sub(call *c, json_t *in, const char *verb, int integration, json_t **doc,
                        json_t **map)
{
    const char *t = arena_printf(c->a, "%s/responses/%s", integration ? "/integration" : "",
                                 jstr(in, "statusCode"));
    json_t *m = t ? open_method(c, in, verb, t, doc) : NULL;
    if (!t) ferr_oom(c->err);
    if (!m) return NULL;
    if (integration && !(m = json_object_get(m, "methodIntegration")))
        return apigw_not_found(c, "Invalid Integration identifier specified"), NULL;
    *map = json_object_get(m, integration ? "integrationResponses" : "methodResponses");
    json_t *r = json_object_get(*map, jstr(in, "statusCode"));
    if (!r) apigw_not_found(c, "Invalid Response status code specified");
    return r;
}

int apigateway_op_get_method_response(call *c, json_t *in, json_t **out)
{
    json_t *doc, *map, *r = open_sub(c, in, "GET", 0, &doc, &map);
    if (!r) return -1;
    *out = svc_out(c, json_deep_copy(r));
    return 0;
}

int apigateway_op_delete_method_response(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc, *map, *r = open_sub(c, in, "DELETE", 0, &doc, &map);
    if (!r) return -1;
    json_object_del(map, jstr(in, "statusCode"));
    return apigw_save(c, doc);
}

/* ---- integrations ---- */

json_t *apigw_put_integration(call *c, json_t *method, const json_t *in)
{
    const char *type = jstr(in, "type");
    static const char *const types[] = {"HTTP", "AWS", "MOCK", "HTTP_PROXY", "AWS_PROXY"};
    int ok = 0;
    for (size_t i = 0; i < 5; i++) ok |= type && !strcmp(type, types[i]);
    if (!ok)
        return apigw_bad(c, "Invalid integration type specified. Valid options are HTTP, "
                            "HTTP_PROXY, AWS, AWS_PROXY, MOCK"),
               NULL;
    const char *uri = jstr(in, "uri");
    const char *ihm = jstr(in, "integrationHttpMethod");
    if (strcmp(type, "MOCK")) {
        if (!uri || !*uri)
            return apigw_bad(c, "Enumeration value for Integration Uri must be non-empty"), NULL;
        if (!ihm) return apigw_bad(c, "Enumeration value for HttpMethod must be non-empty"), NULL;
        if ((!strcmp(type, "AWS") || !strcmp(type, "AWS_PROXY")) && !arn_rest(uri, "apigateway"))
            return apigw_bad(c, "AWS ARN for integration must contain path or action"), NULL;
        if ((!strcmp(type, "HTTP") || !strcmp(type, "HTTP_PROXY")) && strncmp(uri, "http://", 7) &&
            strncmp(uri, "https://", 8))
            return apigw_bad(c, "Invalid HTTP endpoint specified for URI"), NULL;
    }
    long long tmo = jint(in, "timeoutInMillis", 29000);
    if (tmo < 50 || tmo > 29000)
        return apigw_bad(c, "Timeout should be between 50 ms and 29000 ms"), NULL;
    json_t *i = json_pack(
        "{s:s, s:s, s:s, s:I, s:s, s:[]}", "type", type, "passthroughBehavior",
        jstr(in, "passthroughBehavior") ? jstr(in, "passthroughBehavior") : "WHEN_NO_MATCH",
        "connectionType", "INTERNET", "timeoutInMillis", (json_int_t)tmo, "cacheNamespace",
        jstr(in, "cacheNamespace") ? jstr(in, "cacheNamespace")
        : jstr(in, "resourceId")   ? jstr(in, "resourceId")
                                   : "",
        "cacheKeyParameters");
    if (i && ihm && jset_str(i, "httpMethod", ihm)) json_decref(i), i = NULL;
    static const char *const copy[] = {
        "uri",       "credentials",  "requestParameters", "requestTemplates", "contentHandling",
        "tlsConfig", "connectionId", "cacheKeyParameters"};
    for (size_t k = 0; i && k < sizeof(copy) / sizeof(copy[0]); k++) {
        json_t *v = json_object_get(in, copy[k]);
        if (v && json_object_set(i, copy[k], v)) json_decref(i), i = NULL;
    }
    if (!i || json_object_set_new(method, "methodIntegration", i)) return ferr_oom(c->err), NULL;
    return i;
}

int apigateway_op_put_integration(call *c, json_t *in, json_t **out)
{
    json_t *doc, *m = open_method(c, in, "PUT", "/integration", &doc);
    if (!m) return -1;
    json_t *i = apigw_put_integration(c, m, in);
    if (!i || apigw_save(c, doc)) return -1;
    *out = svc_out(c, json_deep_copy(i));
    return 0;
}

static json_t *open_integration(call *c, json_t *in, const char *verb, json_t **doc,
                                json_t **method)
{
    *method = open_method(c, in, verb, "/integration", doc);
    if (!*method) return NULL;
    json_t *i = json_object_get(*method, "methodIntegration");
    if (!i) apigw_not_found(c, "No integration defined for method");
    return i;
}

int apigateway_op_get_integration(call *c, json_t *in, json_t **out)
{
    json_t *doc, *m, *i = open_integration(c, in, "GET", &doc, &m);
    if (!i) return -1;
    *out = svc_out(c, json_deep_copy(i));
    return 0;
}

int apigateway_op_delete_integration(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc, *m, *i = open_integration(c, in, "DELETE", &doc, &m);
    if (!i) return -1;
    json_object_del(m, "methodIntegration");
    return apigw_save(c, doc);
}

int apigateway_op_update_integration(call *c, json_t *in, json_t **out)
{
    json_t *doc, *m, *i = open_integration(c, in, "PATCH", &doc, &m);
    if (!i) return -1;
    if (apigw_patch(c, i, json_object_get(in, "patchOperations"),
                    "/uri /httpMethod /type /timeoutInMillis /passthroughBehavior /credentials "
                    "/contentHandling /requestTemplates/ /requestParameters/") ||
        apigw_save(c, doc))
        return -1;
    *out = svc_out(c, json_deep_copy(i));
    return 0;
}

int apigateway_op_put_integration_response(call *c, json_t *in, json_t **out)
{
    json_t *doc, *m;
    const char *t = arena_printf(c->a, "/integration/responses/%s", jstr(in, "statusCode"));
    if (!t) return ferr_oom(c->err);
    if (!(m = open_method(c, in, "PUT", t, &doc))) return -1;
    json_t *i = json_object_get(m, "methodIntegration");
    if (!i) return apigw_not_found(c, "Invalid Integration identifier specified");
    if (!status_code_ok(c, jstr(in, "statusCode"))) return -1;
    json_t *all = child_map(c, i, "integrationResponses");
    json_t *r = json_pack("{s:s, s:s?, s:O?, s:O?, s:s?}", "statusCode", jstr(in, "statusCode"),
                          "selectionPattern", jstr(in, "selectionPattern"), "responseParameters",
                          json_object_get(in, "responseParameters"), "responseTemplates",
                          json_object_get(in, "responseTemplates"), "contentHandling",
                          jstr(in, "contentHandling"));
    if (!all || !r || json_object_set_new(all, jstr(in, "statusCode"), r)) return ferr_oom(c->err);
    if (apigw_save(c, doc)) return -1;
    *out = svc_out(c, json_deep_copy(r));
    return 0;
}

int apigateway_op_get_integration_response(call *c, json_t *in, json_t **out)
{
    json_t *doc, *map, *r = open_sub(c, in, "GET", 1, &doc, &map);
    if (!r) return -1;
    *out = svc_out(c, json_deep_copy(r));
    return 0;
}

int apigateway_op_delete_integration_response(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc, *map, *r = open_sub(c, in, "DELETE", 1, &doc, &map);
    if (!r) return -1;
    json_object_del(map, jstr(in, "statusCode"));
    return apigw_save(c, doc);
}
