/* CloudFormation providers for what guards a REST API: AWS::ApiGateway::Authorizer, ApiKey,
 * UsagePlan and UsagePlanKey, each through the apigateway service as the stack
 * (engine/stacks/prov_int.h). Ref and GetAtt as AWS documents them: Authorizer: Ref the id,
 * AuthorizerId; ApiKey: Ref the key's id, APIKeyId; UsagePlan: Ref the id, Id;
 * UsagePlanKey: Ref the key's id, Id. The service picks the ids, so a create announces
 * (cfn_intent) its id right after the call that made it. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prov_apigateway.h"

static json_t *tags_as_map(const char *cfn_key, char *key, const json_t *v, int *skip, void *ud)
{
    (void)key, (void)skip, (void)ud;
    return strcmp(cfn_key, "Tags") ? NULL : prov_tags_map(v);
}

/* CloudFormation's PascalCase members as the API's camelCase, all the way down
 * ("ProviderARNs" -> "providerARNs"), Tags as the API's map. A new reference, or NULL. */
static json_t *camel(const json_t *v)
{
    return prov_camel(v, tags_as_map, NULL);
}

/* Patch operations replacing each scalar member of np named in props (CloudFormation
 * names; the API's paths are their camelCase), added to ops. */
static int replace_ops(json_t *ops, const json_t *np, const char *const *props, const char *prefix)
{
    for (size_t i = 0; props[i]; i++) {
        json_t *v = json_object_get(np, props[i]);
        if (!v) continue;
        char *text = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY);
        char path[160];
        snprintf(path, sizeof(path), "%s/%c%s", prefix, tolower((unsigned char)props[i][0]),
                 props[i] + 1);
        int bad =
            json_array_append_new(ops, json_pack("{s:s, s:s, s:s}", "op", "replace", "path", path,
                                                 "value", text ? text : json_string_value(v)));
        free(text);
        if (bad) return -1;
    }
    return 0;
}

static int id_attr(cfn_pctx *p, const char *name, const char *id, json_t **attrs)
{
    *attrs = json_pack("{s:s}", name, id);
    return *attrs ? 0 : ferr_oom(p->e);
}

/* Makes a resource with op (in taken): its id, announced, and attrs {attr: id}. */
static int create(cfn_pctx *p, const char *op, json_t *in, const char *attr, char **id,
                  json_t **attrs)
{
    json_t *out = NULL;
    int rc = prov_call(p, "apigateway", op, in, &out);
    if (!rc) rc = apigw_prov_took(p, jstr(out, "id"), id);
    if (!rc) rc = id_attr(p, attr, *id, attrs);
    json_decref(out);
    return rc;
}

/* ---- AWS::ApiGateway::Authorizer ---- */

static const prov_prop authz_schema[] = {
    {"AuthType", PT_STR, 0},
    {"AuthorizerCredentials", PT_STR, 0},
    {"AuthorizerResultTtlInSeconds", PT_INT, 0},
    {"AuthorizerUri", PT_STR, 0},
    {"IdentitySource", PT_STR, 0},
    {"IdentityValidationExpression", PT_STR, 0},
    {"Name", PT_STR, 1},
    {"ProviderARNs", PT_STRLIST, 0},
    {"RestApiId", PT_STR, 1},
    {"Type", PT_STR, 1},
    {NULL, 0, 0},
};

static int authz_del(cfn_pctx *p, const char *id, const json_t *props)
{
    return prov_call_gone_ok(
        p, NULL, "apigateway", "DeleteAuthorizer",
        json_pack("{s:s, s:s}", "restApiId", jstr(props, "RestApiId"), "authorizerId", id));
}

static int authz_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s;
    return create(p, "CreateAuthorizer", camel(pr), "AuthorizerId", id, attrs);
}

static int authz_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    return id_attr(p, "AuthorizerId", id, attrs);
}

static int authz_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                        const json_t *np)
{
    (void)s, (void)op;
    static const char *const props[] = {"Name",
                                        "Type",
                                        "AuthType",
                                        "AuthorizerUri",
                                        "AuthorizerCredentials",
                                        "IdentitySource",
                                        "IdentityValidationExpression",
                                        "AuthorizerResultTtlInSeconds",
                                        NULL};
    json_t *ops = json_array();
    if (!ops || replace_ops(ops, np, props, "")) {
        json_decref(ops);
        return ferr_oom(p->e);
    }
    return prov_call(p, "apigateway", "UpdateAuthorizer",
                     json_pack("{s:s, s:s, s:o}", "restApiId", jstr(np, "RestApiId"),
                               "authorizerId", id, "patchOperations", ops),
                     NULL);
}

static const prov_shape authz_shape = {.schema = authz_schema,
                                       .make = authz_make,
                                       .change = authz_change,
                                       .attrs = authz_attrs,
                                       .del = authz_del};
static const char *const authz_replace_on[] = {"RestApiId", NULL};

const cfn_provider cfn_provider_apigateway_authorizer = {
    .type = "AWS::ApiGateway::Authorizer",
    .shape = &authz_shape,
    .del = authz_del,
    .replace_on = authz_replace_on,
};

/* ---- AWS::ApiGateway::ApiKey ---- */

static const prov_prop key_schema[] = {
    {"CustomerId", PT_STR, 0},
    {"Description", PT_STR, 0},
    {"Enabled", PT_BOOL, 0},
    {"GenerateDistinctId", PT_BOOL, 0},
    {"Name", PT_STR, 0},
    {"StageKeys", PT_LIST, 0},
    {"Tags", PT_TAGS, 0},
    {"Value", PT_STR, 0},
    {NULL, 0, 0},
};

static int key_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    return prov_call_gone_ok(p, NULL, "apigateway", "DeleteApiKey",
                             json_pack("{s:s}", "apiKey", id));
}

static int key_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s;
    /* AWS: a key without a Name gets one from the stack */
    char *name = prov_name(p, pr, "Name", 1024, 0);
    json_t *in = name ? camel(pr) : NULL;
    if (in && jset_str(in, "name", name)) json_decref(in), in = NULL;
    free(name);
    if (!in) return ferr_oom(p->e);
    json_object_del(in, "generateDistinctId");
    return create(p, "CreateApiKey", in, "APIKeyId", id, attrs);
}

static int key_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    return id_attr(p, "APIKeyId", id, attrs);
}

static int key_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                      const json_t *np)
{
    (void)s, (void)op;
    static const char *const props[] = {"Description", "Enabled", "CustomerId", NULL};
    json_t *ops = json_array();
    if (!ops || replace_ops(ops, np, props, "")) {
        json_decref(ops);
        return ferr_oom(p->e);
    }
    return prov_call(p, "apigateway", "UpdateApiKey",
                     json_pack("{s:s, s:o}", "apiKey", id, "patchOperations", ops), NULL);
}

static const prov_shape key_shape = {.schema = key_schema,
                                     .make = key_make,
                                     .change = key_change,
                                     .attrs = key_attrs,
                                     .del = key_del};
static const char *const key_replace_on[] = {"Name", "Value", "GenerateDistinctId", "StageKeys",
                                             NULL};

const cfn_provider cfn_provider_apigateway_apikey = {
    .type = "AWS::ApiGateway::ApiKey",
    .shape = &key_shape,
    .del = key_del,
    .replace_on = key_replace_on,
    .name_property = "Name",
    .name_max = 1024,
};

/* ---- AWS::ApiGateway::UsagePlan ---- */

static const prov_prop plan_schema[] = {
    {"ApiStages", PT_LIST, 0},
    {"Description", PT_STR, 0},
    {"Quota", PT_OBJECT, 0},
    {"Tags", PT_TAGS, 0},
    {"Throttle", PT_OBJECT, 0},
    {"UsagePlanName", PT_STR, 0},
    {NULL, 0, 0},
};

static int plan_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    return prov_call_gone_ok(p, NULL, "apigateway", "DeleteUsagePlan",
                             json_pack("{s:s}", "usagePlanId", id));
}

static int plan_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s;
    json_t *in = camel(pr);
    json_t *name = json_object_get(in, "usagePlanName");
    if (in && name && json_object_set(in, "name", name)) json_decref(in), in = NULL;
    if (!in) return ferr_oom(p->e);
    json_object_del(in, "usagePlanName");
    return create(p, "CreateUsagePlan", in, "Id", id, attrs);
}

static int plan_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    return id_attr(p, "Id", id, attrs);
}

/* An API stage as the patch names it: "API_ID:STAGE". */
static int stage_ops(json_t *ops, const json_t *from, const json_t *to, const char *op)
{
    size_t i, j;
    json_t *a, *b;
    json_array_foreach(from, i, a) {
        int kept = 0;
        json_array_foreach(to, j, b) {
            kept |= !strcmp(jstr(a, "ApiId") ? jstr(a, "ApiId") : "",
                            jstr(b, "ApiId") ? jstr(b, "ApiId") : "") &&
                    !strcmp(jstr(a, "Stage") ? jstr(a, "Stage") : "",
                            jstr(b, "Stage") ? jstr(b, "Stage") : "");
        }
        if (kept) continue;
        char v[300];
        snprintf(v, sizeof(v), "%s:%s", jstr(a, "ApiId") ? jstr(a, "ApiId") : "",
                 jstr(a, "Stage") ? jstr(a, "Stage") : "");
        if (json_array_append_new(
                ops, json_pack("{s:s, s:s, s:s}", "op", op, "path", "/apiStages", "value", v)))
            return -1;
    }
    return 0;
}

static int plan_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                       const json_t *np)
{
    (void)s;
    static const char *const top[] = {"Description", NULL};
    static const char *const quota[] = {"Limit", "Period", "Offset", NULL};
    static const char *const throttle[] = {"BurstLimit", "RateLimit", NULL};
    json_t *ops = json_array();
    int bad =
        !ops || replace_ops(ops, np, top, "") ||
        replace_ops(ops, json_object_get(np, "Quota"), quota, "/quota") ||
        replace_ops(ops, json_object_get(np, "Throttle"), throttle, "/throttle") ||
        stage_ops(ops, json_object_get(op, "ApiStages"), json_object_get(np, "ApiStages"),
                  "remove") ||
        stage_ops(ops, json_object_get(np, "ApiStages"), json_object_get(op, "ApiStages"), "add");
    if (!bad && jstr(np, "UsagePlanName"))
        bad = json_array_append_new(ops, json_pack("{s:s, s:s, s:s}", "op", "replace", "path",
                                                   "/name", "value", jstr(np, "UsagePlanName")));
    if (bad) {
        json_decref(ops);
        return ferr_oom(p->e);
    }
    return prov_call(p, "apigateway", "UpdateUsagePlan",
                     json_pack("{s:s, s:o}", "usagePlanId", id, "patchOperations", ops), NULL);
}

static const prov_shape plan_shape = {.schema = plan_schema,
                                      .make = plan_make,
                                      .change = plan_change,
                                      .attrs = plan_attrs,
                                      .del = plan_del};
static const char *const plan_replace_on[] = {NULL};

const cfn_provider cfn_provider_apigateway_usageplan = {
    .type = "AWS::ApiGateway::UsagePlan",
    .shape = &plan_shape,
    .del = plan_del,
    .replace_on = plan_replace_on,
};

/* ---- AWS::ApiGateway::UsagePlanKey: id the key's id ---- */

static const prov_prop pkey_schema[] = {
    {"KeyId", PT_STR, 1},
    {"KeyType", PT_STR, 1},
    {"UsagePlanId", PT_STR, 1},
    {NULL, 0, 0},
};

static int pkey_del(cfn_pctx *p, const char *id, const json_t *props)
{
    return prov_call_gone_ok(
        p, NULL, "apigateway", "DeleteUsagePlanKey",
        json_pack("{s:s, s:s}", "usagePlanId", jstr(props, "UsagePlanId"), "keyId", id));
}

static int pkey_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s;
    return create(p, "CreateUsagePlanKey", camel(pr), "Id", id, attrs);
}

static int pkey_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    return id_attr(p, "Id", id, attrs);
}

static const prov_shape pkey_shape = {
    .schema = pkey_schema, .make = pkey_make, .attrs = pkey_attrs, .del = pkey_del};
static const char *const pkey_replace_on[] = {"KeyId", "KeyType", "UsagePlanId", NULL};

const cfn_provider cfn_provider_apigateway_usageplankey = {
    .type = "AWS::ApiGateway::UsagePlanKey",
    .shape = &pkey_shape,
    .del = pkey_del,
    .replace_on = pkey_replace_on,
};
