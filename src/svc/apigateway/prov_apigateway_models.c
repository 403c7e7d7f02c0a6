/* CloudFormation providers for REST API request validation and account settings:
 * AWS::ApiGateway::Model (Ref the name), RequestValidator (Ref the id, GetAtt
 * RequestValidatorId) and Account (a generated id; its CloudWatchRoleArn set through
 * UpdateAccount, left as it is when the resource goes, as AWS does). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "prov_apigateway.h"

/* ---- AWS::ApiGateway::Model ---- */

static const prov_prop model_schema[] = {
    {"ContentType", PT_STR, 0}, {"Description", PT_STR, 0}, {"Name", PT_STR, 0},
    {"RestApiId", PT_STR, 1},   {"Schema", PT_JSON, 0},     {NULL, 0, 0},
};

/* Schema as the API takes it: JSON text (malloc'd), NULL when none */
static char *schema_text(const json_t *pr)
{
    const json_t *s = json_object_get(pr, "Schema");
    if (json_is_string(s)) return strdup(json_string_value(s));
    return s ? json_dumps(s, JSON_COMPACT) : NULL;
}

static int model_del(cfn_pctx *p, const char *id, const json_t *props)
{
    return prov_call_gone_ok(
        p, NULL, "apigateway", "DeleteModel",
        json_pack("{s:s, s:s}", "restApiId", jstr(props, "RestApiId"), "modelName", id));
}

static int model_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s;
    char *name = jstr(pr, "Name") ? strdup(jstr(pr, "Name")) : prov_generated_id(p);
    if (!name) return ferr_oom(p->e);
    if (!jstr(pr, "Name")) { /* AWS: model names are alphanumeric */
        char *o = name;
        for (const char *q = name; *q; q++)
            if (isalnum((unsigned char)*q)) *o++ = *q;
        *o = 0;
    }
    char *schema = schema_text(pr);
    const char *ct = jstr(pr, "ContentType");
    int rc = cfn_intent(p, name) ||
             prov_call(p, "apigateway", "CreateModel",
                       json_pack("{s:s, s:s, s:s, s:s?, s:s?}", "restApiId", jstr(pr, "RestApiId"),
                                 "name", name, "contentType", ct ? ct : "application/json",
                                 "description", jstr(pr, "Description"), "schema", schema),
                       NULL);
    free(schema);
    if (rc) {
        free(name);
        return -1;
    }
    *id = name;
    *attrs = json_object();
    return *attrs ? 0 : ferr_oom(p->e);
}

static int model_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                        const json_t *np)
{
    (void)s, (void)op;
    char *schema = schema_text(np);
    const char *desc = jstr(np, "Description");
    json_t *ops = json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}]", "op", "replace", "path",
                            "/schema", "value", schema ? schema : "{}", "op", "replace", "path",
                            "/description", "value", desc ? desc : "");
    free(schema);
    return prov_call(p, "apigateway", "UpdateModel",
                     json_pack("{s:s, s:s, s:o}", "restApiId", jstr(np, "RestApiId"), "modelName",
                               id, "patchOperations", ops),
                     NULL);
}

static int empty_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s, (void)id;
    *attrs = json_object();
    return *attrs ? 0 : ferr_oom(p->e);
}

static const prov_shape model_shape = {.schema = model_schema,
                                       .make = model_make,
                                       .change = model_change,
                                       .attrs = empty_attrs,
                                       .del = model_del};
static const char *const model_replace_on[] = {"ContentType", "Name", "RestApiId", NULL};

const cfn_provider cfn_provider_apigateway_model = {
    .type = "AWS::ApiGateway::Model",
    .shape = &model_shape,
    .del = model_del,
    .replace_on = model_replace_on,
};

/* ---- AWS::ApiGateway::RequestValidator ---- */

static const prov_prop rv_schema[] = {
    {"Name", PT_STR, 0},
    {"RestApiId", PT_STR, 1},
    {"ValidateRequestBody", PT_BOOL, 0},
    {"ValidateRequestParameters", PT_BOOL, 0},
    {NULL, 0, 0},
};

static int rv_del(cfn_pctx *p, const char *id, const json_t *props)
{
    return prov_call_gone_ok(
        p, NULL, "apigateway", "DeleteRequestValidator",
        json_pack("{s:s, s:s}", "restApiId", jstr(props, "RestApiId"), "requestValidatorId", id));
}

static int rv_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    *attrs = json_pack("{s:s}", "RequestValidatorId", id);
    return *attrs ? 0 : ferr_oom(p->e);
}

static int rv_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    json_t *out = NULL;
    int rc = prov_call(p, "apigateway", "CreateRequestValidator",
                       json_pack("{s:s, s:s?, s:b, s:b}", "restApiId", jstr(pr, "RestApiId"),
                                 "name", jstr(pr, "Name"), "validateRequestBody",
                                 jbool(pr, "ValidateRequestBody", 0), "validateRequestParameters",
                                 jbool(pr, "ValidateRequestParameters", 0)),
                       &out);
    if (!rc) rc = apigw_prov_took(p, jstr(out, "id"), id);
    json_decref(out);
    return rc ? -1 : rv_attrs(s, p, *id, attrs);
}

static int rv_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                     const json_t *np)
{
    (void)s, (void)op;
    const char *name = jstr(np, "Name");
    json_t *ops = json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}]", "op", "replace",
                            "path", "/name", "value", name ? name : "", "op", "replace", "path",
                            "/validateRequestBody", "value",
                            jbool(np, "ValidateRequestBody", 0) ? "true" : "false", "op", "replace",
                            "path", "/validateRequestParameters", "value",
                            jbool(np, "ValidateRequestParameters", 0) ? "true" : "false");
    return prov_call(p, "apigateway", "UpdateRequestValidator",
                     json_pack("{s:s, s:s, s:o}", "restApiId", jstr(np, "RestApiId"),
                               "requestValidatorId", id, "patchOperations", ops),
                     NULL);
}

static const prov_shape rv_shape = {
    .schema = rv_schema, .make = rv_make, .change = rv_change, .attrs = rv_attrs, .del = rv_del};
static const char *const rv_replace_on[] = {"RestApiId", NULL};

const cfn_provider cfn_provider_apigateway_requestvalidator = {
    .type = "AWS::ApiGateway::RequestValidator",
    .shape = &rv_shape,
    .del = rv_del,
    .replace_on = rv_replace_on,
};

/* ---- AWS::ApiGateway::Account ---- */

static const prov_prop acct_schema[] = {
    {"CloudWatchRoleArn", PT_STR, 0},
    {NULL, 0, 0},
};

static int acct_put(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                    const json_t *np)
{
    (void)s, (void)id, (void)op;
    const char *role = jstr(np, "CloudWatchRoleArn");
    return prov_call(p, "apigateway", "UpdateAccount",
                     json_pack("{s:[{s:s, s:s, s:s}]}", "patchOperations", "op", "replace", "path",
                               "/cloudwatchRoleArn", "value", role ? role : ""),
                     NULL);
}

static int acct_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    if (acct_put(s, p, NULL, NULL, pr)) return -1;
    return prov_shape_generated_id(s, p, pr, id, attrs);
}

static int acct_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)p, (void)id, (void)props;
    return 0;
}

static const prov_shape acct_shape = {.schema = acct_schema,
                                      .make = acct_make,
                                      .change = acct_put,
                                      .attrs = prov_shape_id_attrs,
                                      .del = acct_del};

const cfn_provider cfn_provider_apigateway_account = {
    .type = "AWS::ApiGateway::Account",
    .shape = &acct_shape,
    .del = acct_del,
};
