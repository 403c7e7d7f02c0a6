/* Authorizers of a REST API (CreateAuthorizer ... DeleteAuthorizer): Lambda authorizers of
 * type TOKEN and REQUEST, and COGNITO_USER_POOLS ones (stored; not enforced). They live in
 * the API's document under "authorizers" {id: Authorizer}; the data plane (lambdaauth.c)
 * reads them from there. */
#include <string.h>

#include "apigateway_int.h"

#define TTL_DEFAULT 300  /* AWS: authorizerResultTtlInSeconds when not given */
#define TTL_MAX     3600 /* AWS: at most an hour */

/* AWS: a TOKEN authorizer reads one header. */
static int token_source_ok(call *c, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    const char *name = src && !strncmp(src, "method.request.header.", 22) ? src + 22 : NULL;
    if (name && *name &&
        strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n - 22)
        return 1;
    apigw_bad(c,
              "Invalid token source expression: %s. The source must be a method request header, "
              "matching 'method.request.header.[a-zA-Z0-9._-]+'.",
              src ? src : "null");
    return 0;
}

/* AWS: a REQUEST authorizer's sources, comma-separated: headers, query strings, stage
 * variables and context variables. */
static int request_sources_ok(call *c, const char *src)
{
    for (const char *p = src; p && *p;) {
        p += strspn(p, " ");
        size_t n = strcspn(p, ",");
        size_t t = n;
        while (t && p[t - 1] == ' ') t--;
        static const char *const prefixes[] = {
            "method.request.header.", "method.request.querystring.", "stageVariables.", "context."};
        int ok = 0;
        for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
            size_t pl = strlen(prefixes[i]);
            if (t > pl && !strncmp(p, prefixes[i], pl)) ok = 1;
        }
        if (!ok) return apigw_bad(c, "Invalid identity source expression: %.*s", (int)t, p), 0;
        p += n;
        if (*p) p++;
    }
    return 1;
}

/* The checks AWS makes of a whole authorizer (after Create, or after an Update's patches). */
static int authorizer_ok(call *c, const json_t *az)
{
    const char *type = jstr(az, "type");
    json_t *ttl = json_object_get(az, "authorizerResultTtlInSeconds");
    if (!type ||
        (strcmp(type, "TOKEN") && strcmp(type, "REQUEST") && strcmp(type, "COGNITO_USER_POOLS")))
        return apigw_bad(c, "Invalid authorizer type specified. Valid options are TOKEN, "
                            "REQUEST, COGNITO_USER_POOLS"),
               0;
    if (json_is_integer(ttl) && (json_integer_value(ttl) < 0 || json_integer_value(ttl) > TTL_MAX))
        return apigw_bad(c, "Invalid authorizer definition: authorizerResultTtlInSeconds must "
                            "be between 0 and 3600"),
               0;
    if (!strcmp(type, "COGNITO_USER_POOLS")) {
        if (!json_array_size(json_object_get(az, "providerARNs")))
            return apigw_bad(c, "Invalid authorizer definition: providerARNs must be specified "
                                "for COGNITO_USER_POOLS authorizers"),
                   0;
        return 1;
    }
    if (!jstr(az, "authorizerUri"))
        return apigw_bad(c,
                         "Invalid authorizer definition: authorizerUri must be specified "
                         "for %s authorizers",
                         type),
               0;
    if (!strcmp(type, "TOKEN")) return token_source_ok(c, jstr(az, "identitySource"));
    /* AWS: with caching on, a REQUEST authorizer needs the sources its cache is keyed by */
    if (!jstr(az, "identitySource") && jint(az, "authorizerResultTtlInSeconds", 0) > 0)
        return apigw_bad(c, "Invalid authorizer definition: identitySource must be specified "
                            "when authorizerResultTtlInSeconds is greater than 0"),
               0;
    return request_sources_ok(c, jstr(az, "identitySource"));
}

static json_t *open_authorizer(call *c, json_t *in, const char *verb, json_t **doc)
{
    const char *t = arena_printf(c->a, "/authorizers/%s", jstr(in, "authorizerId"));
    if (!t) return ferr_oom(c->err), NULL;
    if (apigw_open(c, in, verb, t, doc) < 0) return NULL;
    json_t *az = json_object_get(json_object_get(*doc, "authorizers"), jstr(in, "authorizerId"));
    if (!az) apigw_not_found(c, "Invalid Authorizer identifier specified");
    return az;
}

int apigateway_op_create_authorizer(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (apigw_open(c, in, "POST", "/authorizers", &doc) < 0) return -1;
    const char *id = apigw_id(c);
    json_t *az =
        id ? json_pack("{s:s, s:s, s:s?, s:I}", "id", id, "name", jstr(in, "name"), "type",
                       jstr(in, "type"), "authorizerResultTtlInSeconds", (json_int_t)TTL_DEFAULT)
           : NULL;
    if (!az || !arena_defer_json(c->a, az)) return ferr_oom(c->err);
    static const char *const copy[] = {"providerARNs",
                                       "authType",
                                       "authorizerUri",
                                       "authorizerCredentials",
                                       "identitySource",
                                       "identityValidationExpression",
                                       "authorizerResultTtlInSeconds"};
    for (size_t i = 0; i < sizeof(copy) / sizeof(copy[0]); i++) {
        json_t *v = json_object_get(in, copy[i]);
        if (v && json_object_set(az, copy[i], v)) return ferr_oom(c->err);
    }
    if (!authorizer_ok(c, az)) return -1;
    json_t *all = json_object_get(doc, "authorizers");
    if (!all && (json_object_set_new(doc, "authorizers", all = json_object()) || !all))
        return ferr_oom(c->err);
    if (json_object_set(all, id, az)) return ferr_oom(c->err);
    if (apigw_save(c, doc)) return -1;
    *out = json_incref(az);
    return 0;
}

int apigateway_op_get_authorizer(call *c, json_t *in, json_t **out)
{
    json_t *doc, *az = open_authorizer(c, in, "GET", &doc);
    if (!az) return -1;
    *out = json_incref(az);
    return 0;
}

int apigateway_op_get_authorizers(call *c, json_t *in, json_t **out)
{
    return apigw_list(c, in, "/authorizers", "authorizers", NULL, out);
}

int apigateway_op_update_authorizer(call *c, json_t *in, json_t **out)
{
    json_t *doc, *az = open_authorizer(c, in, "PATCH", &doc);
    if (!az) return -1;
    if (apigw_patch(c, az, json_object_get(in, "patchOperations"),
                    "/name /type /authorizerUri /authorizerCredentials /identitySource "
                    "/identityValidationExpression /authorizerResultTtlInSeconds /authType") ||
        !authorizer_ok(c, az) || apigw_save(c, doc))
        return -1;
    *out = json_incref(az);
    return 0;
}

int apigateway_op_delete_authorizer(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc, *az = open_authorizer(c, in, "DELETE", &doc);
    if (!az) return -1;
    const char *id = jstr(in, "authorizerId"), *k, *m;
    json_t *res, *v;
    /* AWS: an authorizer a method uses stays */
    json_object_foreach(json_object_get(doc, "resources"), k, res) {
        json_object_foreach(json_object_get(res, "resourceMethods"), m, v) {
            if (jstr(v, "authorizerId") && !strcmp(jstr(v, "authorizerId"), id))
                return apigw_conflict(c,
                                      "Cannot delete authorizer '%s', is referenced in method: "
                                      "%s:%s",
                                      jstr(az, "name"), m, jstr(res, "path"));
        }
    }
    json_object_del(json_object_get(doc, "authorizers"), id);
    return apigw_save(c, doc);
}

int apigw_authorizer_ok(call *c, const json_t *doc, const json_t *method)
{
    const char *auth = jstr(method, "authorizationType");
    if (!auth || (strcmp(auth, "CUSTOM") && strcmp(auth, "COGNITO_USER_POOLS"))) return 1;
    const char *id = jstr(method, "authorizerId");
    if (id && json_object_get(json_object_get(doc, "authorizers"), id)) return 1;
    apigw_bad(c, "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or "
                 "COGNITO_USER_POOLS requires a valid authorizer.");
    return 0;
}
