/* SAM's APIs: AWS::Serverless::Api (RestApi + Deployment + Stage) and AWS::Serverless::HttpApi
 * (ApiGatewayV2 Api + Stage), declared or implicit (ServerlessRestApi with stage Prod,
 * ServerlessHttpApi with $default), with a route per Api / HttpApi event of the functions in
 * the API's swagger 2.0 / OpenAPI 3 Body (x-amazon-apigateway-integration, aws_proxy). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/enc.h"
#include "base/jval.h"
#include "sam_int.h"

#define IMPLICIT_REST "ServerlessRestApi"
#define IMPLICIT_HTTP "ServerlessHttpApi"

static json_t *default_body(int http)
{
    if (http)
        return json_pack("{s:s, s:{s:s, s:{s:s}}, s:{}, s:[{s:s, s:s}]}", "openapi", "3.0.1",
                         "info", "version", "1.0", "title", "Ref", "AWS::StackName", "paths",
                         "tags", "name", "httpapi:createdBy", "x-amazon-apigateway-tag-value",
                         "SAM");
    return json_pack("{s:s, s:{s:s, s:{s:s}}, s:{}}", "swagger", "2.0", "info", "version", "1.0",
                     "title", "Ref", "AWS::StackName", "paths");
}

/* Records the API (props taken). */
static void add_api(sam_x *x, const char *id, json_t *props, int http, int implicit,
                    const json_t *res)
{
    json_t *a = json_pack("{s:b, s:b, s:o}", "Http", http, "Implicit", implicit, "Props",
                          props ? props : json_object());
    int rc = !a;
    json_t *body = json_object_get(props, "DefinitionBody");
    if (body)
        rc |= json_object_set_new(a, "Body", json_deep_copy(body));
    else if (!json_object_get(props, "DefinitionUri"))
        rc |= json_object_set_new(a, "Body", default_body(http));
    if (res && json_object_get(res, "Condition"))
        rc |= json_object_set(a, "Condition", json_object_get(res, "Condition"));
    if (json_object_set_new(x->apis, id, jdone(a, rc))) x->oom = 1;
}

void sam_api_declare(sam_x *x, const char *id, const json_t *res, int http)
{
    json_t *props =
        sam_with_globals(x, http ? "HttpApi" : "Api", json_object_get(res, "Properties"));
    if (!props) {
        x->oom = 1;
        return;
    }
    if (json_object_get(props, "DefinitionBody") && json_object_get(props, "DefinitionUri")) {
        sam_error(x, id,
                  "Specify either 'DefinitionUri' or 'DefinitionBody' property and not both.");
        json_decref(props);
        return;
    }
    if (!http && !json_object_get(props, "StageName")) {
        sam_error(x, id, "Missing required property 'StageName'.");
        json_decref(props);
        return;
    }
    add_api(x, id, props, http, 0, res);
}

/* The stage's name as the logical ids spell it. */
static void stage_alnum(sam_x *x, const json_t *api, char *out, size_t n)
{
    const char *s = sam_str(x, json_object_get(json_object_get(api, "Props"), "StageName"));
    if (json_is_true(json_object_get(api, "Implicit")) && !json_object_get(api, "Http")) s = "Prod";
    sam_alnum(s ? s : "Stage", out, n);
}

static json_t *with_cond(json_t *r, const json_t *api);

/* SAM's Auth of a REST API event: the method's security from the event's Auth (Authorizer,
 * ApiKeyRequired) or the API's (DefaultAuthorizer, ApiKeyRequired), with the api_key
 * scheme its definition needs (the authorizers' schemes are added by emit_rest). */
static void rest_auth(sam_x *x, json_t *api, json_t *body, const json_t *props, json_t *op)
{
    const json_t *auth = json_object_get(json_object_get(api, "Props"), "Auth");
    const json_t *eauth = json_object_get(props, "Auth");
    const char *az = jstr(eauth, "Authorizer");
    if (!az) az = jstr(auth, "DefaultAuthorizer");
    json_t *key = json_object_get(eauth, "ApiKeyRequired");
    if (!key) key = json_object_get(auth, "ApiKeyRequired");
    json_t *sec = json_array();
    int rc = !sec;
    if (az && strcmp(az, "NONE") && json_object_get(json_object_get(auth, "Authorizers"), az))
        rc |= json_array_append_new(sec, json_pack("{s:[]}", az));
    if (json_is_true(key)) {
        rc |= json_array_append_new(sec, json_pack("{s:[]}", "api_key"));
        json_t *defs = json_object_get(body, "securityDefinitions");
        if (body && !defs) {
            rc |= json_object_set_new(body, "securityDefinitions", json_object());
            defs = json_object_get(body, "securityDefinitions");
        }
        if (defs && !json_object_get(defs, "api_key"))
            rc |= json_object_set_new(defs, "api_key",
                                      json_pack("{s:s, s:s, s:s}", "type", "apiKey", "name",
                                                "x-api-key", "in", "header"));
    }
    if (!rc && json_array_size(sec)) rc |= json_object_set(op, "security", sec);
    json_decref(sec);
    x->oom |= rc;
}

/* A child object of o (made when absent), or NULL when out of memory. */
static json_t *child(sam_x *x, json_t *o, const char *key)
{
    json_t *c = json_object_get(o, key);
    if (o && !c && (json_object_set_new(o, key, c = json_object()) || !c)) x->oom = 1, c = NULL;
    return c;
}

/* SAM's RequestModel and RequestParameters of a REST API event: the operation's parameters
 * (the body's model by its lowercased name, as SAM writes it into definitions) and, when
 * the model asks for validation, the request validator SAM names (body-and-params,
 * body-only, params-only). */
static void rest_validation(sam_x *x, json_t *body, const json_t *props, json_t *op)
{
    const json_t *rm = json_object_get(props, "RequestModel");
    const json_t *rps = json_object_get(props, "RequestParameters");
    if (!rm && !rps) return;
    json_t *params = json_array();
    int rc = !params;
    const char *model = jstr(rm, "Model");
    if (model) {
        char lower[256];
        snprintf(lower, sizeof(lower), "%s", model);
        for (char *c = lower; *c; c++) *c = (char)tolower((unsigned char)*c);
        char ref[300];
        snprintf(ref, sizeof(ref), "#/definitions/%s", lower);
        rc |= json_array_append_new(
            params, json_pack("{s:s, s:s, s:b, s:{s:s}}", "in", "body", "name", lower, "required",
                              jbool(rm, "Required", 0), "schema", "$ref", ref));
    }
    static const char *const where[][2] = {{"method.request.querystring.", "query"},
                                           {"method.request.header.", "header"},
                                           {"method.request.path.", "path"}};
    size_t i;
    json_t *e;
    json_array_foreach(rps, i, e) {
        /* "method.request.header.X", or {"method.request.header.X": {Required, Caching}} */
        const char *name = json_string_value(e);
        const json_t *opts = NULL;
        if (json_is_object(e) && json_object_size(e) == 1) {
            void *it = json_object_iter((json_t *)e);
            name = json_object_iter_key(it);
            opts = json_object_iter_value(it);
        }
        for (size_t w = 0; name && w < 3; w++) {
            size_t n = strlen(where[w][0]);
            if (strncmp(name, where[w][0], n)) continue;
            rc |= json_array_append_new(
                params, json_pack("{s:s, s:s, s:b, s:s}", "in", where[w][1], "name", name + n,
                                  "required", jbool(opts, "Required", 0), "type", "string"));
        }
    }
    if (!rc && json_array_size(params)) rc |= json_object_set(op, "parameters", params);
    json_decref(params);
    int vb = jbool(rm, "ValidateBody", 0), vp = jbool(rm, "ValidateParameters", 0);
    if (vb || vp) {
        const char *v = vb && vp ? "body-and-params" : vb ? "body-only" : "params-only";
        json_t *all = child(x, body, "x-amazon-apigateway-request-validators");
        if (all && !json_object_get(all, v))
            rc |= json_object_set_new(all, v,
                                      json_pack("{s:b, s:b}", "validateRequestBody", vb,
                                                "validateRequestParameters", vp));
        rc |= json_object_set_new(op, "x-amazon-apigateway-request-validator", json_string(v));
    }
    x->oom |= rc;
}

/* SAM's Models of a REST API: definitions, named in lower case as SAM names them. */
static void rest_models(sam_x *x, json_t *api, json_t *body)
{
    const char *name;
    json_t *schema;
    json_object_foreach(json_object_get(json_object_get(api, "Props"), "Models"), name, schema) {
        json_t *defs = child(x, body, "definitions");
        char lower[256];
        snprintf(lower, sizeof(lower), "%s", name);
        for (char *c = lower; *c; c++) *c = (char)tolower((unsigned char)*c);
        if (defs && json_object_set(defs, lower, schema)) x->oom = 1;
    }
}

/* SAM's Auth.Authorizers of a REST API: a security scheme each (x-amazon-apigateway-authorizer
 * of type token or request) and the permission for API Gateway to invoke the function. */
static void rest_authorizers(sam_x *x, const char *id, json_t *api, json_t *body)
{
    const json_t *auth = json_object_get(json_object_get(api, "Props"), "Auth");
    const char *name;
    json_t *a;
    json_object_foreach(json_object_get(auth, "Authorizers"), name, a) {
        json_t *fn = json_object_get(a, "FunctionArn");
        if (!fn) continue; /* Cognito user pools: not served */
        const json_t *idn = json_object_get(a, "Identity");
        const char *pt = jstr(a, "FunctionPayloadType");
        int request = pt && !strcmp(pt, "REQUEST");
        const char *header = jstr(idn, "Header") ? jstr(idn, "Header") : "Authorization";
        json_t *ttl = json_object_get(idn, "ReauthorizeEvery");
        json_t *xa = json_pack(
            "{s:s, s:o, s:I}", "type", request ? "request" : "token", "authorizerUri",
            sam_sub("arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/"
                    "functions/${__FunctionArn__}/invocations",
                    "__FunctionArn__", fn),
            "authorizerResultTtlInSeconds",
            (json_int_t)(json_is_integer(ttl) ? json_integer_value(ttl) : 300));
        int rc = !xa;
        if (request) {
            /* AWS SAM: Identity.Headers, QueryStrings, StageVariables, Context */
            static const char *const kinds[][2] = {{"Headers", "method.request.header."},
                                                   {"QueryStrings", "method.request.querystring."},
                                                   {"StageVariables", "stageVariables."},
                                                   {"Context", "context."}};
            buf b;
            buf_init(&b, 0);
            for (size_t k = 0; k < 4; k++) {
                size_t i;
                json_t *v;
                json_array_foreach(json_object_get(idn, kinds[k][0]), i, v) {
                    if (json_is_string(v))
                        buf_printf(&b, "%s%s%s", b.len ? ", " : "", kinds[k][1],
                                   json_string_value(v));
                }
            }
            if (b.len) rc |= jset_str(xa, "identitySource", buf_str(&b));
            buf_dispose(&b);
        } else if (jstr(idn, "ValidationExpression")) {
            rc |= jset_str(xa, "identityValidationExpression", jstr(idn, "ValidationExpression"));
        }
        if (json_object_get(a, "FunctionInvokeRole"))
            rc |= json_object_set(xa, "authorizerCredentials",
                                  json_object_get(a, "FunctionInvokeRole"));
        json_t *scheme = json_pack("{s:s, s:s, s:s, s:s, s:o}", "type", "apiKey", "name", header,
                                   "in", "header", "x-amazon-apigateway-authtype", "custom",
                                   "x-amazon-apigateway-authorizer", jdone(xa, rc));
        json_t *defs = json_object_get(body, "securityDefinitions");
        if (body && !defs) {
            x->oom |= json_object_set_new(body, "securityDefinitions", json_object());
            defs = json_object_get(body, "securityDefinitions");
        }
        if (!scheme || !defs || json_object_set_new(defs, name, scheme)) x->oom = 1;
        json_t *perm = json_pack(
            "{s:s, s:O, s:s, s:{s:[s,{s:{s:s}}]}}", "Action", "lambda:InvokeFunction",
            "FunctionName", fn, "Principal", "apigateway.amazonaws.com", "SourceArn", "Fn::Sub",
            "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/"
            "authorizers/*",
            "__ApiId__", "Ref", id);
        char pid[600];
        snprintf(pid, sizeof(pid), "%s%sAuthorizerPermission", id, name);
        sam_put(x, pid,
                with_cond(perm ? json_pack("{s:s, s:o}", "Type", "AWS::Lambda::Permission",
                                           "Properties", perm)
                               : NULL,
                          api));
    }
}

void sam_api_event(sam_x *x, const char *fn, const char *ev, const json_t *props, int http,
                   const char *target, const json_t *fnref, const json_t *cond)
{
    const char *member = http ? "ApiId" : "RestApiId";
    json_t *given = json_object_get(props, member);
    const char *api_id = json_is_string(given) ? json_string_value(given) : jstr(given, "Ref");
    json_t *api = api_id ? json_object_get(x->apis, api_id) : NULL;
    if (given && (!api || json_is_true(json_object_get(api, "Http")) != http)) {
        sam_error(x, fn,
                  "Event with id [%s] is invalid. %s must be a valid reference to an "
                  "'AWS::Serverless::%s' resource in same template.",
                  ev, member, http ? "HttpApi" : "Api");
        return;
    }
    if (!given) {
        api_id = http ? IMPLICIT_HTTP : IMPLICIT_REST;
        api = json_object_get(x->apis, api_id);
        if (!api) {
            json_t *base = http ? json_object() : json_pack("{s:s}", "StageName", "Prod");
            json_t *p = base ? sam_with_globals(x, http ? "HttpApi" : "Api", base) : NULL;
            json_decref(base);
            if (p && !http && json_object_set_new(p, "StageName", json_string("Prod"))) x->oom = 1;
            add_api(x, api_id, p, http, 1, NULL);
            api = json_object_get(x->apis, api_id);
            if (!api) return;
        }
    }
    const char *path = jstr(props, "Path"), *method = jstr(props, "Method");
    if (!path) path = "$default";
    if (!method) method = "ANY";
    char m[64];
    snprintf(m, sizeof(m), "%s", method);
    for (char *c = m; *c; c++) *c = (char)tolower((unsigned char)*c);
    const char *mkey = !strcmp(m, "any") ? "x-amazon-apigateway-any-method" : m;
    char uri[600];
    snprintf(uri, sizeof(uri),
             "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
             "${%s}/invocations",
             target);
    json_t *integ = json_pack("{s:s, s:s, s:o}", "type", "aws_proxy", "httpMethod", "POST", "uri",
                              sam_sub(uri, NULL, NULL));
    int rc = !integ;
    if (http)
        rc |= json_object_set_new(integ, "payloadFormatVersion",
                                  jstr(props, "PayloadFormatVersion")
                                      ? json_string(jstr(props, "PayloadFormatVersion"))
                                      : json_string("2.0"));
    json_t *op =
        json_pack("{s:o, s:{}}", "x-amazon-apigateway-integration", jdone(integ, rc), "responses");
    json_t *body = json_object_get(api, "Body");
    if (!http && op) rest_auth(x, api, body, props, op);
    if (!http && op && body) rest_validation(x, body, props, op);
    json_t *paths = json_object_get(body, "paths");
    if (body && !paths) {
        x->oom |= json_object_set_new(body, "paths", json_object());
        paths = json_object_get(body, "paths");
    }
    json_t *pp = json_object_get(paths, path);
    if (paths && !pp) {
        x->oom |= json_object_set_new(paths, path, json_object());
        pp = json_object_get(paths, path);
    }
    if (!op)
        x->oom = 1;
    else if (pp && !json_object_get(pp, mkey))
        x->oom |= json_object_set_new(pp, mkey, op);
    else
        json_decref(op);
    /* the permission: any stage, this method and path (path parameters as *) */
    char arn[900], up[64];
    snprintf(up, sizeof(up), "%s", method);
    for (char *c = up; *c; c++) *c = (char)toupper((unsigned char)*c);
    if (!strcmp(path, "$default")) {
        snprintf(arn, sizeof(arn),
                 "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
                 "${__ApiId__}/${__Stage__}");
    } else {
        char p2[600];
        size_t j = 0;
        for (const char *c = path; *c && j + 2 < sizeof(p2); c++) {
            if (*c == '{') {
                const char *end = strchr(c, '}');
                if (end) {
                    p2[j++] = '*';
                    c = end;
                    continue;
                }
            }
            p2[j++] = *c;
        }
        p2[j] = 0;
        snprintf(arn, sizeof(arn),
                 "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
                 "${__ApiId__}/${__Stage__}/%s%s",
                 !strcmp(up, "ANY") ? "*" : up, p2);
    }
    json_t *perm =
        json_pack("{s:s, s:O, s:s, s:{s:[s,{s:{s:s}, s:s}]}}", "Action", "lambda:InvokeFunction",
                  "FunctionName", fnref, "Principal", "apigateway.amazonaws.com", "SourceArn",
                  "Fn::Sub", arn, "__ApiId__", "Ref", api_id, "__Stage__", "*");
    json_t *r = perm
                    ? json_pack("{s:s, s:o}", "Type", "AWS::Lambda::Permission", "Properties", perm)
                    : NULL;
    if (r && cond && json_object_set_new(r, "Condition", json_deep_copy(cond))) x->oom = 1;
    char id[700], st[128] = "";
    if (!http) stage_alnum(x, api, st, sizeof(st));
    snprintf(id, sizeof(id), "%s%sPermission%s", fn, ev, st);
    sam_put(x, id, r);
}

/* SAM's Cors: an OPTIONS method answered by a mock integration on every path. */
static void cors(sam_x *x, json_t *body, const json_t *c)
{
    const json_t *origin = json_is_string(c) ? c : json_object_get(c, "AllowOrigin");
    if (!origin) return;
    const char *k;
    json_t *pp;
    json_object_foreach(json_object_get(body, "paths"), k, pp) {
        if (!json_is_object(pp) || json_object_get(pp, "options")) continue;
        /* the methods the path has, and OPTIONS, in order */
        static const char *const all[] = {"DELETE", "GET",  "HEAD", "OPTIONS",
                                          "PATCH",  "POST", "PUT",  NULL};
        char methods[128] = "";
        int any = json_object_get(pp, "x-amazon-apigateway-any-method") != NULL;
        for (const char *const *mth = all; *mth; mth++) {
            char low[16];
            snprintf(low, sizeof(low), "%s", *mth);
            for (char *c2 = low; *c2; c2++) *c2 = (char)tolower((unsigned char)*c2);
            if (any || !strcmp(*mth, "OPTIONS") || json_object_get(pp, low)) {
                size_t n = strlen(methods);
                snprintf(methods + n, sizeof(methods) - n, "%s%s", n ? "," : "", *mth);
            }
        }
        char quoted[140];
        snprintf(quoted, sizeof(quoted), "'%s'", methods);
        json_t *params =
            json_pack("{s:O, s:s}", "method.response.header.Access-Control-Allow-Origin", origin,
                      "method.response.header.Access-Control-Allow-Methods", quoted);
        json_t *headers = json_pack("{s:{s:s}, s:{s:s}}", "Access-Control-Allow-Origin", "type",
                                    "string", "Access-Control-Allow-Methods", "type", "string");
        int rc = !params || !headers;
        static const char *const extra[][2] = {
            {"AllowHeaders", "Access-Control-Allow-Headers"},
            {"MaxAge", "Access-Control-Max-Age"},
            {"AllowCredentials", "Access-Control-Allow-Credentials"}};
        for (size_t i = 0; i < 3; i++) {
            json_t *v = json_object_get(c, extra[i][0]);
            if (!v) continue;
            char pk[128];
            snprintf(pk, sizeof(pk), "method.response.header.%s", extra[i][1]);
            json_t *val = json_is_boolean(v) ? json_string(json_is_true(v) ? "'true'" : "'false'")
                                             : json_deep_copy(v);
            rc |= json_object_set_new(params, pk, val) ||
                  json_object_set_new(headers, extra[i][1], json_pack("{s:s}", "type", "string"));
        }
        json_t *opt = json_pack(
            "{s:s, s:[s], s:[s], s:{s:s, s:{s:s}, s:{s:{s:s, s:O, s:{s:s}}}, s:s}, "
            "s:{s:{s:s, s:O}}}",
            "summary", "CORS support", "consumes", "application/json", "produces",
            "application/json", "x-amazon-apigateway-integration", "type", "mock",
            "requestTemplates", "application/json", "{\n  \"statusCode\" : 200\n}\n", "responses",
            "default", "statusCode", "200", "responseParameters", params, "responseTemplates",
            "application/json", "{}\n", "passthroughBehavior", "when_no_match", "responses", "200",
            "description", "Default response for CORS method", "headers", headers);
        rc |= !opt || json_object_set_new(pp, "options", opt);
        json_decref(params);
        json_decref(headers);
        x->oom |= rc;
    }
}

#define copy sam_copy

/* o's Body, or BodyS3Location from DefinitionUri: 0, or -1 when that is not a location (the
 * error recorded). */
static int definition(sam_x *x, const char *id, const json_t *api, json_t *o)
{
    json_t *body = json_object_get(api, "Body");
    if (body) {
        x->oom |= json_object_set(o, "Body", body);
        return 0;
    }
    json_t *p = json_object_get(api, "Props");
    json_t *loc = sam_s3_location(x, id, "DefinitionUri", json_object_get(p, "DefinitionUri"),
                                  "Bucket", "Key", "Version");
    if (!loc) return -1;
    x->oom |= json_object_set_new(o, "BodyS3Location", loc);
    return 0;
}

static json_t *with_cond(json_t *r, const json_t *api)
{
    json_t *c = json_object_get(api, "Condition");
    if (r && c && json_object_set(r, "Condition", c)) {
        json_decref(r);
        return NULL;
    }
    return r;
}

static void emit_rest(sam_x *x, const char *id, json_t *api)
{
    json_t *p = json_object_get(api, "Props");
    json_t *body = json_object_get(api, "Body");
    json_t *rp = json_object();
    int rc = !rp;
    if (body && json_object_get(p, "Cors")) cors(x, body, json_object_get(p, "Cors"));
    if (body) rest_authorizers(x, id, api, body);
    if (body) rest_models(x, api, body);
    if (definition(x, id, api, rp)) {
        json_decref(rp);
        return;
    }
    rc |= copy(rp, p, "Name") || copy(rp, p, "Description") || copy(rp, p, "BinaryMediaTypes") ||
          copy(rp, p, "MinimumCompressionSize") || copy(rp, p, "Mode") ||
          copy(rp, p, "DisableExecuteApiEndpoint");
    json_t *ec = json_object_get(p, "EndpointConfiguration");
    if (json_is_string(ec))
        rc |= json_object_set_new(rp, "EndpointConfiguration", json_pack("{s:[O]}", "Types", ec));
    else if (ec)
        rc |= copy(rp, p, "EndpointConfiguration");
    sam_put(x, id,
            with_cond(json_pack("{s:s, s:o}", "Type", "AWS::ApiGateway::RestApi", "Properties",
                                jdone(rp, rc)),
                      api));
    /* the deployment is named after the definition: a new one when it changes */
    char h[11], full[65], dep[400], st[128], sid[600];
    sam_hash10(rp, h);
    char *s = json_dumps(rp, JSON_COMPACT | JSON_SORT_KEYS);
    enc_sha256_hex(s ? s : "", s ? strlen(s) : 0, full);
    free(s);
    full[40] = 0;
    snprintf(dep, sizeof(dep), "%sDeployment%s", id, h);
    json_t *dp = json_pack("{s:{s:s}, s:s+, s:s}", "RestApiId", "Ref", id, "Description",
                           "RestApi deployment id: ", full, "StageName", "Stage");
    sam_put(x, dep,
            with_cond(json_pack("{s:s, s:o}", "Type", "AWS::ApiGateway::Deployment", "Properties",
                                dp ? dp : json_null()),
                      api));
    stage_alnum(x, api, st, sizeof(st));
    snprintf(sid, sizeof(sid), "%s%sStage", id, st);
    json_t *sp = json_pack("{s:{s:s}, s:{s:s}, s:O}", "DeploymentId", "Ref", dep, "RestApiId",
                           "Ref", id, "StageName", json_object_get(p, "StageName"));
    rc = !sp || copy(sp, p, "Variables") || copy(sp, p, "MethodSettings") ||
         copy(sp, p, "TracingEnabled") || copy(sp, p, "CacheClusterEnabled") ||
         copy(sp, p, "CacheClusterSize") || copy(sp, p, "AccessLogSetting");
    sam_put(x, sid,
            with_cond(json_pack("{s:s, s:o}", "Type", "AWS::ApiGateway::Stage", "Properties",
                                jdone(sp, rc)),
                      api));
}

static void emit_http(sam_x *x, const char *id, json_t *api)
{
    json_t *p = json_object_get(api, "Props");
    json_t *body = json_object_get(api, "Body");
    json_t *ap = json_object();
    int rc = !ap;
    if (body) {
        json_t *cc = json_object_get(p, "CorsConfiguration");
        if (json_is_object(cc)) rc |= json_object_set(body, "x-amazon-apigateway-cors", cc);
    }
    if (definition(x, id, api, ap)) {
        json_decref(ap);
        return;
    }
    rc |= copy(ap, p, "Name") || copy(ap, p, "Description") ||
          copy(ap, p, "DisableExecuteApiEndpoint");
    sam_put(x, id,
            with_cond(json_pack("{s:s, s:o}", "Type", "AWS::ApiGatewayV2::Api", "Properties",
                                jdone(ap, rc)),
                      api));
    const char *stage = jstr(p, "StageName");
    char st[128], sid[600];
    if (stage && strcmp(stage, "$default")) {
        sam_alnum(stage, st, sizeof(st));
        snprintf(sid, sizeof(sid), "%s%sStage", id, st);
    } else {
        snprintf(sid, sizeof(sid), "%sApiGatewayDefaultStage", id);
    }
    json_t *sp =
        json_pack("{s:{s:s}, s:s, s:b, s:{s:s}}", "ApiId", "Ref", id, "StageName",
                  stage ? stage : "$default", "AutoDeploy", 1, "Tags", "httpapi:createdBy", "SAM");
    rc = !sp || copy(sp, p, "StageVariables") || copy(sp, p, "AccessLogSettings") ||
         copy(sp, p, "DefaultRouteSettings") || copy(sp, p, "RouteSettings");
    sam_put(x, sid,
            with_cond(json_pack("{s:s, s:o}", "Type", "AWS::ApiGatewayV2::Stage", "Properties",
                                jdone(sp, rc)),
                      api));
}

void sam_api_emit(sam_x *x)
{
    const char *id;
    json_t *api;
    json_object_foreach(x->apis, id, api) {
        if (json_is_true(json_object_get(api, "Http")))
            emit_http(x, id, api);
        else
            emit_rest(x, id, api);
    }
}
