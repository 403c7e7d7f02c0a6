/* CloudFormation providers for API Gateway REST APIs: AWS::ApiGateway::RestApi, Resource,
 * Method (with its inline Integration and MethodResponses), Deployment (StageName makes or
 * moves that stage) and Stage, each through the apigateway service as the stack
 * (engine/stacks/prov_int.h). Ref and GetAtt as AWS documents them: RestApi: Ref the id,
 * RootResourceId; Resource: Ref the id, ResourceId; Deployment: Ref the id, DeploymentId;
 * Stage: Ref the name; Method: a generated id.
 *
 * Crash safety: the service picks API, resource and deployment ids, so their creates
 * announce (cfn_intent) the id right after the call that made it; a crash between the two
 * leaves that one resource behind (as IAM::AccessKey does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/enc.h"
#include "prov_apigateway.h"

static int no_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s, (void)id;
    *attrs = json_object();
    return *attrs ? 0 : ferr_oom(p->e);
}

int apigw_prov_took(cfn_pctx *p, const char *made, char **id)
{
    if (!made || !(*id = strdup(made))) return ferr_oom(p->e);
    if (cfn_intent(p, *id)) {
        free(*id);
        *id = NULL;
        return -1;
    }
    return 0;
}

/* ---- AWS::ApiGateway::RestApi ---- */

static const prov_prop api_schema[] = {
    {"ApiKeySourceType", PT_STR, 0},
    {"BinaryMediaTypes", PT_STRLIST, 0},
    {"Body", PT_JSON, 0},
    {"BodyS3Location", PT_OBJECT, 0},
    {"CloneFrom", PT_STR, 0},
    {"Description", PT_STR, 0},
    {"DisableExecuteApiEndpoint", PT_BOOL, 0},
    {"EndpointConfiguration", PT_OBJECT, 0},
    {"FailOnWarnings", PT_BOOL, 0},
    {"MinimumCompressionSize", PT_INT, 0},
    {"Mode", PT_STR, 0},
    {"Name", PT_STR, 0},
    {"Parameters", PT_OBJECT, 0},
    {"Policy", PT_JSON, 0},
    {"Tags", PT_TAGS, 0},
    {NULL, 0, 0},
};

static int api_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    return prov_call_gone_ok(p, NULL, "apigateway", "DeleteRestApi",
                             json_pack("{s:s}", "restApiId", id));
}

int apigw_prov_s3_body(cfn_pctx *p, const json_t *loc, char **b)
{
    *b = NULL;
    if (!jstr(loc, "Bucket") || !jstr(loc, "Key"))
        return prov_invalid(p, "BodyS3Location needs a Bucket and a Key");
    json_t *out = NULL;
    if (prov_call(p, "s3", "GetObject",
                  json_pack("{s:s, s:s, s:s*}", "Bucket", jstr(loc, "Bucket"), "Key",
                            jstr(loc, "Key"), "VersionId", jstr(loc, "Version")),
                  &out))
        return -1;
    /* AWS: an ETag given must be the object's */
    const char *etag = jstr(loc, "ETag"), *have = jstr(out, "ETag");
    size_t el = etag ? strlen(etag) : 0;
    int same =
        !etag || (have && (!strcmp(have, etag) || (have[0] == '"' && strlen(have) == el + 2 &&
                                                   !strncmp(have + 1, etag, el))));
    if (!same) {
        json_decref(out);
        return prov_invalid(p, "The ETag of s3://%s/%s does not match %s", jstr(loc, "Bucket"),
                            jstr(loc, "Key"), etag);
    }
    const char *body = jstr(out, "Body");
    *b = strdup(body ? body : "");
    json_decref(out);
    return *b ? 0 : ferr_oom(p->e);
}

/* The definition in Body, or in the S3 object BodyS3Location names (read as the stack's
 * identity, as AWS does), as the service takes it: 0 and *b (base64 text, malloc'd; NULL
 * when there is none), or -1. */
static int body_b64(cfn_pctx *p, const json_t *pr, char **b)
{
    *b = NULL;
    const json_t *loc = json_object_get(pr, "BodyS3Location");
    if (loc && !json_object_get(pr, "Body")) return apigw_prov_s3_body(p, loc, b);
    char *text = prov_doc_text(json_object_get(pr, "Body"));
    arena *a = text ? arena_new(0) : NULL;
    char *e = a ? enc_b64(a, (const unsigned char *)text, strlen(text)) : NULL;
    *b = e ? strdup(e) : NULL;
    arena_free(a);
    free(text);
    return text && !*b ? ferr_oom(p->e) : 0;
}

/* Name, Description and the like over what a Body said (AWS: the properties win). */
static int api_settings(cfn_pctx *p, const char *id, const json_t *pr)
{
    json_t *ops = json_array();
    static const char *const map[][2] = {{"Name", "/name"},
                                         {"Description", "/description"},
                                         {"ApiKeySourceType", "/apiKeySource"}};
    for (size_t i = 0; ops && i < sizeof(map) / sizeof(map[0]); i++) {
        const char *v = jstr(pr, map[i][0]);
        if (v && json_array_append_new(ops, json_pack("{s:s, s:s, s:s}", "op", "replace", "path",
                                                      map[i][1], "value", v)))
            json_decref(ops), ops = NULL;
    }
    char *policy = ops ? prov_doc_text(json_object_get(pr, "Policy")) : NULL;
    if (policy && json_array_append_new(ops, json_pack("{s:s, s:s, s:s}", "op", "replace", "path",
                                                       "/policy", "value", policy)))
        json_decref(ops), ops = NULL;
    free(policy);
    if (!ops) return ferr_oom(p->e);
    if (!json_array_size(ops)) {
        json_decref(ops);
        return 0;
    }
    return prov_call(p, "apigateway", "UpdateRestApi",
                     json_pack("{s:s, s:o}", "restApiId", id, "patchOperations", ops), NULL);
}

static int api_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    char *b;
    if (body_b64(p, pr, &b)) return -1;
    json_t *out = NULL;
    int rc;
    if (b) {
        rc = prov_call(p, "apigateway", "ImportRestApi", json_pack("{s:s}", "body", b), &out);
    } else {
        char *name = prov_name(p, pr, "Name", 255, 0);
        json_t *in = name ? json_pack("{s:s}", "name", name) : NULL;
        free(name);
        json_t *tags = in ? prov_tags(p, json_object_get(pr, "Tags"), 1) : NULL;
        json_t *tm = tags ? prov_tags_map(tags) : NULL;
        json_decref(tags);
        if (in && tm && json_object_set_new(in, "tags", tm))
            json_decref(in), in = NULL;
        else if (!tm)
            json_decref(in), in = NULL;
        static const char *const copy[][2] = {
            {"Description", "description"},
            {"BinaryMediaTypes", "binaryMediaTypes"},
            {"ApiKeySourceType", "apiKeySource"},
            {"EndpointConfiguration", "endpointConfiguration"},
            {"DisableExecuteApiEndpoint", "disableExecuteApiEndpoint"}};
        for (size_t i = 0; in && i < sizeof(copy) / sizeof(copy[0]); i++) {
            json_t *v = json_object_get(pr, copy[i][0]);
            if (v && json_object_set(in, copy[i][1], v)) json_decref(in), in = NULL;
        }
        char *policy = prov_doc_text(json_object_get(pr, "Policy"));
        if (in && policy && jset_str(in, "policy", policy)) json_decref(in), in = NULL;
        free(policy);
        rc = prov_call(p, "apigateway", "CreateRestApi", in, &out);
    }
    free(b);
    if (rc || apigw_prov_took(p, jstr(out, "id"), id)) {
        json_decref(out);
        return -1;
    }
    json_decref(out);
    return 0;
}

static int api_finish(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *pr)
{
    (void)s;
    return json_object_get(pr, "Body") || json_object_get(pr, "BodyS3Location")
               ? api_settings(p, id, pr)
               : 0;
}

static int api_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                      const json_t *np)
{
    (void)s, (void)op;
    char *b;
    if (body_b64(p, np, &b)) return -1;
    int rc = b ? prov_call(p, "apigateway", "PutRestApi",
                           json_pack("{s:s, s:s, s:s}", "restApiId", id, "mode",
                                     jstr(np, "Mode") ? jstr(np, "Mode") : "overwrite", "body", b),
                           NULL)
               : 0;
    free(b);
    return rc || api_settings(p, id, np);
}

static int api_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    if (prov_call(p, "apigateway", "GetResources",
                  json_pack("{s:s, s:i}", "restApiId", id, "limit", 500), &out))
        return -1;
    const char *root = NULL;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(out, "items"), i, r)
        if (!strcmp(jstr(r, "path"), "/")) root = jstr(r, "id");
    *attrs = json_pack("{s:s, s:s}", "RestApiId", id, "RootResourceId", root ? root : "");
    json_decref(out);
    return *attrs ? 0 : ferr_oom(p->e);
}

static const prov_shape api_shape = {
    .schema = api_schema,
    .make = api_make,
    .finish = api_finish,
    .change = api_change,
    .attrs = api_attrs,
    .del = api_del,
};

const cfn_provider cfn_provider_apigateway_restapi = {
    .type = "AWS::ApiGateway::RestApi",
    .shape = &api_shape,
    .del = api_del,
};

/* ---- AWS::ApiGateway::Resource: id the resource's id ---- */

static const prov_prop res_schema[] = {
    {"ParentId", PT_STR, 1},
    {"PathPart", PT_STR, 1},
    {"RestApiId", PT_STR, 1},
    {NULL, 0, 0},
};

static int res_del(cfn_pctx *p, const char *id, const json_t *props)
{
    return prov_call_gone_ok(
        p, NULL, "apigateway", "DeleteResource",
        json_pack("{s:s, s:s}", "restApiId", jstr(props, "RestApiId"), "resourceId", id));
}

static int res_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    int rc = prov_call(p, "apigateway", "CreateResource",
                       json_pack("{s:s, s:s, s:s}", "restApiId", jstr(pr, "RestApiId"), "parentId",
                                 jstr(pr, "ParentId"), "pathPart", jstr(pr, "PathPart")),
                       &out);
    if (!rc) rc = apigw_prov_took(p, jstr(out, "id"), id);
    if (!rc && !(*attrs = json_pack("{s:s}", "ResourceId", *id))) rc = ferr_oom(p->e);
    json_decref(out);
    return rc;
}

static int res_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    *attrs = json_pack("{s:s}", "ResourceId", id);
    return *attrs ? 0 : ferr_oom(p->e);
}

static const prov_shape res_shape = {
    .schema = res_schema, .make = res_make, .attrs = res_attrs, .del = res_del};
static const char *const res_replace_on[] = {"ParentId", "PathPart", "RestApiId", NULL};

const cfn_provider cfn_provider_apigateway_resource = {
    .type = "AWS::ApiGateway::Resource",
    .shape = &res_shape,
    .del = res_del,
    .replace_on = res_replace_on,
};

/* ---- AWS::ApiGateway::Method: a generated id ---- */

static const prov_prop method_schema[] = {
    {"ApiKeyRequired", PT_BOOL, 0},    {"AuthorizationScopes", PT_STRLIST, 0},
    {"AuthorizationType", PT_STR, 0},  {"AuthorizerId", PT_STR, 0},
    {"HttpMethod", PT_STR, 1},         {"Integration", PT_OBJECT, 0},
    {"MethodResponses", PT_LIST, 0},   {"OperationName", PT_STR, 0},
    {"RequestModels", PT_OBJECT, 0},   {"RequestParameters", PT_OBJECT, 0},
    {"RequestValidatorId", PT_STR, 0}, {"ResourceId", PT_STR, 1},
    {"RestApiId", PT_STR, 1},          {NULL, 0, 0},
};

static json_t *method_key(const json_t *pr)
{
    return json_pack("{s:s, s:s, s:s}", "restApiId", jstr(pr, "RestApiId"), "resourceId",
                     jstr(pr, "ResourceId"), "httpMethod", jstr(pr, "HttpMethod"));
}

static int method_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)id;
    return prov_call_gone_ok(p, NULL, "apigateway", "DeleteMethod", method_key(props));
}

/* A CloudFormation member (PascalCase) copied to in under the API's name. */
static int copy_member(json_t *in, const json_t *from, const char *cfn, const char *api)
{
    json_t *v = json_object_get(from, cfn);
    if (!v) return 0;
    if (json_is_integer(v) || json_is_real(v)) {
        /* StatusCode may be given as a number */
        if (!strcmp(api, "statusCode")) {
            char t[32];
            snprintf(t, sizeof(t), "%lld", (long long)json_number_value(v));
            return jset_str(in, api, t);
        }
    }
    return json_object_set(in, api, v);
}

static int put_parts(cfn_pctx *p, const json_t *pr)
{
    json_t *in = method_key(pr);
    int bad = !in || json_object_set_new(in, "authorizationType",
                                         json_string(jstr(pr, "AuthorizationType")
                                                         ? jstr(pr, "AuthorizationType")
                                                         : "NONE"));
    static const char *const m[][2] = {{"ApiKeyRequired", "apiKeyRequired"},
                                       {"AuthorizerId", "authorizerId"},
                                       {"AuthorizationScopes", "authorizationScopes"},
                                       {"OperationName", "operationName"},
                                       {"RequestModels", "requestModels"},
                                       {"RequestParameters", "requestParameters"},
                                       {"RequestValidatorId", "requestValidatorId"}};
    for (size_t i = 0; !bad && i < sizeof(m) / sizeof(m[0]); i++)
        bad |= copy_member(in, pr, m[i][0], m[i][1]);
    if (bad) {
        json_decref(in);
        return ferr_oom(p->e);
    }
    if (prov_call(p, "apigateway", "PutMethod", in, NULL)) return -1;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(pr, "MethodResponses"), i, r) {
        json_t *x = method_key(pr);
        if (!x || copy_member(x, r, "StatusCode", "statusCode") ||
            copy_member(x, r, "ResponseParameters", "responseParameters") ||
            copy_member(x, r, "ResponseModels", "responseModels")) {
            json_decref(x);
            return ferr_oom(p->e);
        }
        if (prov_call(p, "apigateway", "PutMethodResponse", x, NULL)) return -1;
    }
    const json_t *integ = json_object_get(pr, "Integration");
    if (!integ) return 0;
    json_t *x = method_key(pr);
    static const char *const im[][2] = {
        {"Type", "type"},
        {"IntegrationHttpMethod", "integrationHttpMethod"},
        {"Uri", "uri"},
        {"Credentials", "credentials"},
        {"RequestTemplates", "requestTemplates"},
        {"RequestParameters", "requestParameters"},
        {"PassthroughBehavior", "passthroughBehavior"},
        {"ContentHandling", "contentHandling"},
        {"TimeoutInMillis", "timeoutInMillis"},
        {"CacheKeyParameters", "cacheKeyParameters"},
        {"CacheNamespace", "cacheNamespace"},
    };
    bad = !x;
    for (size_t k = 0; !bad && k < sizeof(im) / sizeof(im[0]); k++)
        bad |= copy_member(x, integ, im[k][0], im[k][1]);
    json_t *t = json_object_get(x, "timeoutInMillis");
    if (!bad && json_is_string(t))
        bad |= json_object_set_new(x, "timeoutInMillis", json_integer(atoll(json_string_value(t))));
    if (bad) {
        json_decref(x);
        return ferr_oom(p->e);
    }
    if (prov_call(p, "apigateway", "PutIntegration", x, NULL)) return -1;
    json_array_foreach(json_object_get(integ, "IntegrationResponses"), i, r) {
        json_t *y = method_key(pr);
        if (!y || copy_member(y, r, "StatusCode", "statusCode") ||
            copy_member(y, r, "SelectionPattern", "selectionPattern") ||
            copy_member(y, r, "ResponseTemplates", "responseTemplates") ||
            copy_member(y, r, "ResponseParameters", "responseParameters") ||
            copy_member(y, r, "ContentHandling", "contentHandling")) {
            json_decref(y);
            return ferr_oom(p->e);
        }
        if (prov_call(p, "apigateway", "PutIntegrationResponse", y, NULL)) return -1;
    }
    return 0;
}

static int method_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id,
                       json_t **attrs)
{
    (void)s, (void)attrs;
    if (!(*id = prov_generated_id(p))) return ferr_oom(p->e);
    if (cfn_intent(p, *id) || put_parts(p, pr)) {
        free(*id);
        *id = NULL;
        return -1;
    }
    return 0;
}

/* AWS updates a method in place: ferry puts it again whole. */
static int method_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                         const json_t *np)
{
    (void)s;
    return method_del(p, id, op) || put_parts(p, np);
}

static const prov_shape method_shape = {.schema = method_schema,
                                        .make = method_make,
                                        .change = method_change,
                                        .attrs = no_attrs,
                                        .del = method_del};
static const char *const method_replace_on[] = {"RestApiId", "ResourceId", "HttpMethod", NULL};

const cfn_provider cfn_provider_apigateway_method = {
    .type = "AWS::ApiGateway::Method",
    .shape = &method_shape,
    .del = method_del,
    .replace_on = method_replace_on,
};

/* ---- AWS::ApiGateway::Deployment: id the deployment's id ---- */

static const prov_prop dep_schema[] = {
    {"DeploymentCanarySettings", PT_OBJECT, 0},
    {"Description", PT_STR, 0},
    {"RestApiId", PT_STR, 1},
    {"StageDescription", PT_OBJECT, 0},
    {"StageName", PT_STR, 0},
    {NULL, 0, 0},
};

static int dep_del(cfn_pctx *p, const char *id, const json_t *props)
{
    const char *api = jstr(props, "RestApiId"), *stage = jstr(props, "StageName");
    if (stage) {
        /* the stage it made, unless a later deployment took it over */
        json_t *s = NULL;
        ferr keep = *p->e;
        if (!prov_call(p, "apigateway", "GetStage",
                       json_pack("{s:s, s:s}", "restApiId", api, "stageName", stage), &s) &&
            !strcmp(jstr(s, "deploymentId"), id) &&
            prov_call_gone_ok(p, NULL, "apigateway", "DeleteStage",
                              json_pack("{s:s, s:s}", "restApiId", api, "stageName", stage))) {
            json_decref(s);
            return -1;
        }
        json_decref(s);
        *p->e = keep;
    }
    return prov_call_gone_ok(p, NULL, "apigateway", "DeleteDeployment",
                             json_pack("{s:s, s:s}", "restApiId", api, "deploymentId", id));
}

/* UpdateStage's patch operations for a Stage's (or a StageDescription's) AccessLogSetting,
 * MethodSettings and stage-wide settings (StageDescription's ThrottlingRateLimit...): appended
 * to ops. 0, or -1 out of memory. */
static int settings_ops(json_t *ops, const json_t *pr)
{
    static const char *const members[][3] = {
        {"ThrottlingRateLimit", "throttling/rateLimit", "n"},
        {"ThrottlingBurstLimit", "throttling/burstLimit", "n"},
        {"LoggingLevel", "logging/loglevel", "s"},
        {"MetricsEnabled", "metrics/enabled", "b"},
        {"DataTraceEnabled", "logging/dataTrace", "b"},
        {"CachingEnabled", "caching/enabled", "b"},
        {"CacheTtlInSeconds", "caching/ttlInSeconds", "n"},
        {"CacheDataEncrypted", "caching/dataEncrypted", "b"},
    };
    const json_t *al = json_object_get(pr, "AccessLogSetting");
    if (jstr(al, "DestinationArn") &&
        json_array_append_new(ops, json_pack("{s:s, s:s, s:s}", "op", "replace", "path",
                                             "/accessLogSettings/destinationArn", "value",
                                             jstr(al, "DestinationArn"))))
        return -1;
    if (jstr(al, "Format") &&
        json_array_append_new(ops,
                              json_pack("{s:s, s:s, s:s}", "op", "replace", "path",
                                        "/accessLogSettings/format", "value", jstr(al, "Format"))))
        return -1;
    /* the stage-wide settings are the method settings of every method */
    json_t *all = json_array();
    json_t *wide = json_pack("{s:s, s:s}", "ResourcePath", "/*", "HttpMethod", "*");
    for (size_t i = 0; wide && i < sizeof(members) / sizeof(members[0]); i++) {
        json_t *v = json_object_get(pr, members[i][0]);
        if (v && json_object_set(wide, members[i][0], v)) json_decref(wide), wide = NULL;
    }
    if (!all || !wide || json_array_append_new(all, wide)) {
        json_decref(all);
        return -1;
    }
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(pr, "MethodSettings"), i, m) {
        if (json_array_append(all, m)) break;
    }
    int bad = 0;
    json_array_foreach(all, i, m) {
        const char *rp = jstr(m, "ResourcePath"), *hm = jstr(m, "HttpMethod");
        if (!rp || !hm) continue;
        char key[600];
        size_t o = 0;
        /* "/pets" -> "~1pets"; the whole stage ("/" then "*") -> "*" */
        if (!strcmp(rp, "/*")) rp = "*";
        for (const char *q = rp; *q && o + 3 < sizeof(key); q++)
            if (*q == '/')
                key[o++] = '~', key[o++] = '1';
            else
                key[o++] = *q;
        key[o] = 0;
        for (size_t k = 0; !bad && k < sizeof(members) / sizeof(members[0]); k++) {
            json_t *v = json_object_get(m, members[k][0]);
            if (!v) continue;
            char val[64], path[800];
            if (json_is_boolean(v))
                snprintf(val, sizeof(val), "%s", json_is_true(v) ? "true" : "false");
            else if (json_is_number(v))
                snprintf(val, sizeof(val), "%g", json_number_value(v));
            else if (json_is_string(v))
                snprintf(val, sizeof(val), "%s", json_string_value(v));
            else
                continue;
            snprintf(path, sizeof(path), "/%s/%s/%s", key, hm, members[k][1]);
            bad |= json_array_append_new(
                ops, json_pack("{s:s, s:s, s:s}", "op", "replace", "path", path, "value", val));
        }
    }
    json_decref(all);
    return bad ? -1 : 0;
}

/* Applies settings_ops(pr) to the stage: 0, or -1. */
static int stage_settings(cfn_pctx *p, const char *api, const char *stage, const json_t *pr)
{
    json_t *ops = json_array();
    if (!ops || settings_ops(ops, pr)) {
        json_decref(ops);
        return ferr_oom(p->e);
    }
    if (!json_array_size(ops)) {
        json_decref(ops);
        return 0;
    }
    return prov_call(
        p, "apigateway", "UpdateStage",
        json_pack("{s:s, s:s, s:o}", "restApiId", api, "stageName", stage, "patchOperations", ops),
        NULL);
}

static int dep_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s;
    json_t *in = json_pack("{s:s, s:s?, s:s?}", "restApiId", jstr(pr, "RestApiId"), "stageName",
                           jstr(pr, "StageName"), "description", jstr(pr, "Description"));
    const json_t *sd = json_object_get(pr, "StageDescription");
    if (in && sd &&
        (copy_member(in, sd, "Variables", "variables") ||
         copy_member(in, sd, "Description", "stageDescription")))
        json_decref(in), in = NULL;
    json_t *out = NULL;
    int rc = prov_call(p, "apigateway", "CreateDeployment", in, &out);
    if (!rc) rc = apigw_prov_took(p, jstr(out, "id"), id);
    if (!rc && sd && jstr(pr, "StageName"))
        rc = stage_settings(p, jstr(pr, "RestApiId"), jstr(pr, "StageName"), sd);
    if (!rc && !(*attrs = json_pack("{s:s}", "DeploymentId", *id))) rc = ferr_oom(p->e);
    json_decref(out);
    return rc;
}

static int dep_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    *attrs = json_pack("{s:s}", "DeploymentId", id);
    return *attrs ? 0 : ferr_oom(p->e);
}

static int dep_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                      const json_t *np)
{
    (void)s, (void)op;
    const char *d = jstr(np, "Description");
    if (!d) return 0;
    return prov_call(p, "apigateway", "UpdateDeployment",
                     json_pack("{s:s, s:s, s:[{s:s, s:s, s:s}]}", "restApiId",
                               jstr(np, "RestApiId"), "deploymentId", id, "patchOperations", "op",
                               "replace", "path", "/description", "value", d),
                     NULL);
}

static const prov_shape dep_shape = {.schema = dep_schema,
                                     .make = dep_make,
                                     .change = dep_change,
                                     .attrs = dep_attrs,
                                     .del = dep_del};
static const char *const dep_replace_on[] = {"RestApiId", "StageName", "StageDescription",
                                             "DeploymentCanarySettings", NULL};

const cfn_provider cfn_provider_apigateway_deployment = {
    .type = "AWS::ApiGateway::Deployment",
    .shape = &dep_shape,
    .del = dep_del,
    .replace_on = dep_replace_on,
};

/* ---- AWS::ApiGateway::Stage: id the stage's name ---- */

static const prov_prop stage_schema[] = {
    {"AccessLogSetting", PT_OBJECT, 0},
    {"CacheClusterEnabled", PT_BOOL, 0},
    {"CacheClusterSize", PT_STR, 0},
    {"CanarySetting", PT_OBJECT, 0},
    {"ClientCertificateId", PT_STR, 0},
    {"DeploymentId", PT_STR, 0},
    {"Description", PT_STR, 0},
    {"DocumentationVersion", PT_STR, 0},
    {"MethodSettings", PT_LIST, 0},
    {"RestApiId", PT_STR, 1},
    {"StageName", PT_STR, 0},
    {"Tags", PT_TAGS, 0},
    {"TracingEnabled", PT_BOOL, 0},
    {"Variables", PT_OBJECT, 0},
    {NULL, 0, 0},
};

static int stage_del(cfn_pctx *p, const char *id, const json_t *props)
{
    return prov_call_gone_ok(
        p, NULL, "apigateway", "DeleteStage",
        json_pack("{s:s, s:s}", "restApiId", jstr(props, "RestApiId"), "stageName", id));
}

static int stage_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    char *name = prov_name(p, pr, "StageName", 128, 0);
    json_t *in = name ? json_pack("{s:s, s:s, s:s?, s:s?}", "restApiId", jstr(pr, "RestApiId"),
                                  "stageName", name, "deploymentId", jstr(pr, "DeploymentId"),
                                  "description", jstr(pr, "Description"))
                      : NULL;
    if (in && copy_member(in, pr, "Variables", "variables")) json_decref(in), in = NULL;
    json_t *tags =
        in && json_object_get(pr, "Tags") ? prov_tags_map(json_object_get(pr, "Tags")) : NULL;
    if (tags && json_object_set_new(in, "tags", tags)) json_decref(in), in = NULL;
    if (!name || cfn_intent(p, name) || prov_call(p, "apigateway", "CreateStage", in, NULL) ||
        stage_settings(p, jstr(pr, "RestApiId"), name, pr)) {
        if (name && !in) ferr_oom(p->e);
        free(name);
        return -1;
    }
    *id = name;
    return 0;
}

static int stage_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                        const json_t *np)
{
    (void)s;
    json_t *ops = json_array();
    const char *d = jstr(np, "DeploymentId"), *desc = jstr(np, "Description");
    int bad = !ops;
    if (!bad && d)
        bad |= json_array_append_new(ops, json_pack("{s:s, s:s, s:s}", "op", "replace", "path",
                                                    "/deploymentId", "value", d));
    if (!bad && desc)
        bad |= json_array_append_new(ops, json_pack("{s:s, s:s, s:s}", "op", "replace", "path",
                                                    "/description", "value", desc));
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(op, "Variables"), k, v) {
        if (!bad && !json_object_get(json_object_get(np, "Variables"), k)) {
            char path[300];
            snprintf(path, sizeof(path), "/variables/%s", k);
            bad |=
                json_array_append_new(ops, json_pack("{s:s, s:s}", "op", "remove", "path", path));
        }
    }
    json_object_foreach(json_object_get(np, "Variables"), k, v) {
        if (!bad && json_is_string(v)) {
            char path[300];
            snprintf(path, sizeof(path), "/variables/%s", k);
            bad |= json_array_append_new(
                ops, json_pack("{s:s, s:s, s:O}", "op", "replace", "path", path, "value", v));
        }
    }
    if (!bad) bad = settings_ops(ops, np);
    if (!bad && !json_object_get(np, "AccessLogSetting") && json_object_get(op, "AccessLogSetting"))
        bad = json_array_append_new(
            ops, json_pack("{s:s, s:s}", "op", "remove", "path", "/accessLogSettings"));
    if (bad) {
        json_decref(ops);
        return ferr_oom(p->e);
    }
    return prov_call(p, "apigateway", "UpdateStage",
                     json_pack("{s:s, s:s, s:o}", "restApiId", jstr(np, "RestApiId"), "stageName",
                               id, "patchOperations", ops),
                     NULL);
}

static const prov_shape stage_shape = {.schema = stage_schema,
                                       .make = stage_make,
                                       .change = stage_change,
                                       .attrs = no_attrs,
                                       .del = stage_del};
static const char *const stage_replace_on[] = {"RestApiId", "StageName", NULL};

const cfn_provider cfn_provider_apigateway_stage = {
    .type = "AWS::ApiGateway::Stage",
    .shape = &stage_shape,
    .del = stage_del,
    .replace_on = stage_replace_on,
    .name_property = "StageName",
    .name_max = 128,
};

/* ---- AWS::ApiGateway::GatewayResponse: a generated id ---- */

static const prov_prop gr_schema[] = {
    {"ResponseParameters", PT_OBJECT, 0},
    {"ResponseTemplates", PT_OBJECT, 0},
    {"ResponseType", PT_STR, 1},
    {"RestApiId", PT_STR, 1},
    {"StatusCode", PT_STR, 0},
    {NULL, 0, 0},
};

static int gr_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)id;
    return prov_call_gone_ok(p, NULL, "apigateway", "DeleteGatewayResponse",
                             json_pack("{s:s, s:s}", "restApiId", jstr(props, "RestApiId"),
                                       "responseType", jstr(props, "ResponseType")));
}

static int gr_put(cfn_pctx *p, const json_t *pr)
{
    return prov_call(p, "apigateway", "PutGatewayResponse",
                     json_pack("{s:s, s:s, s:s?, s:O?, s:O?}", "restApiId", jstr(pr, "RestApiId"),
                               "responseType", jstr(pr, "ResponseType"), "statusCode",
                               jstr(pr, "StatusCode"), "responseParameters",
                               json_object_get(pr, "ResponseParameters"), "responseTemplates",
                               json_object_get(pr, "ResponseTemplates")),
                     NULL);
}

static int gr_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    if (!(*id = prov_generated_id(p))) return ferr_oom(p->e);
    if (cfn_intent(p, *id) || gr_put(p, pr)) {
        free(*id);
        *id = NULL;
        return -1;
    }
    return 0;
}

static int gr_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                     const json_t *np)
{
    (void)s, (void)id, (void)op;
    return gr_put(p, np); /* AWS: PutGatewayResponse replaces the whole response */
}

static const prov_shape gr_shape = {
    .schema = gr_schema, .make = gr_make, .change = gr_change, .attrs = no_attrs, .del = gr_del};
static const char *const gr_replace_on[] = {"RestApiId", "ResponseType", NULL};

const cfn_provider cfn_provider_apigateway_gatewayresponse = {
    .type = "AWS::ApiGateway::GatewayResponse",
    .shape = &gr_shape,
    .del = gr_del,
    .replace_on = gr_replace_on,
};
