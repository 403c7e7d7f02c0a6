/* CloudFormation providers for HTTP APIs: AWS::ApiGatewayV2::Api (quick create with Target
 * included), Route, Integration, Authorizer and Stage, each through the apigatewayv2 service as the stack
 * (engine/stacks/prov_int.h). Ref and GetAtt as AWS documents them: Api: Ref the API id,
 * ApiEndpoint, ApiId; Route: Ref the route id, RouteId; Integration: Ref the integration id,
 * IntegrationId; Authorizer: Ref the authorizer id, AuthorizerId; Stage: Ref the stage name. The service picks every id but the stage's, so
 * a create cannot announce its resource before making it (cfn_intent): as IAM::AccessKey, a
 * crash between the two leaves it behind. */
#include <stdlib.h>
#include <string.h>

#include "base/enc.h"
#include "engine/stacks/prov_int.h"
#include "svc/apigateway/prov_apigateway.h"

/* What one type is in the service: its operations and the id member naming it. */
typedef struct v2type {
    const char *create, *update, *get, *del;
    const char *id;                 /* "RouteId" */
    const char *const *attrs;       /* GetAtt names, read from the service's reply */
    const char *const *not_updated; /* properties the update operation does not take */
} v2type;

static int v2_attrs_of(const v2type *t, cfn_pctx *p, const json_t *out, json_t **attrs)
{
    *attrs = json_object();
    for (size_t i = 0; *attrs && t->attrs[i]; i++) {
        json_t *v = json_object_get(out, t->attrs[i]);
        if (v && json_object_set(*attrs, t->attrs[i], v)) {
            json_decref(*attrs);
            *attrs = NULL;
        }
    }
    return *attrs ? 0 : ferr_oom(p->e);
}

static int v2_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    const v2type *t = s->data;
    json_t *out = NULL;
    if (prov_call(p, "apigatewayv2", t->create, json_deep_copy(pr), &out)) return -1;
    const char *v = jstr(out, t->id);
    int rc = !v || !(*id = strdup(v)) ? ferr_oom(p->e) : v2_attrs_of(t, p, out, attrs);
    json_decref(out);
    return rc;
}

static json_t *ref_in(const v2type *t, const char *api, const char *id)
{
    if (!strcmp(t->id, "ApiId")) return json_pack("{s:s}", "ApiId", id);
    return json_pack("{s:s, s:s}", "ApiId", api ? api : "", t->id, id);
}

/* A part's attribute is its id; an API's are read again (its endpoint). */
static int v2_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    const v2type *t = s->data;
    if (strcmp(t->id, "ApiId")) {
        *attrs = t->attrs[0] ? json_pack("{s:s}", t->attrs[0], id) : json_object();
        return *attrs ? 0 : ferr_oom(p->e);
    }
    json_t *out = NULL;
    if (prov_call(p, "apigatewayv2", t->get, ref_in(t, NULL, id), &out)) return -1;
    int rc = v2_attrs_of(t, p, out, attrs);
    json_decref(out);
    return rc;
}

static int v2_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                     const json_t *np)
{
    (void)op;
    const v2type *t = s->data;
    json_t *in = json_deep_copy(np);
    if (!in || json_object_set_new(in, t->id, json_string(id))) {
        json_decref(in);
        return ferr_oom(p->e);
    }
    for (size_t i = 0; t->not_updated[i]; i++) json_object_del(in, t->not_updated[i]);
    return prov_call(p, "apigatewayv2", t->update, in, NULL);
}

/* ---- the four types ---- */

static const prov_prop api_schema[] = {
    {"ApiKeySelectionExpression", PT_STR, 0},
    {"BasePath", PT_STR, 0},
    {"Body", PT_JSON, 0},
    {"BodyS3Location", PT_OBJECT, 0},
    {"FailOnWarnings", PT_BOOL, 0},
    {"CorsConfiguration", PT_OBJECT, 0},
    {"CredentialsArn", PT_STR, 0},
    {"Description", PT_STR, 0},
    {"DisableExecuteApiEndpoint", PT_BOOL, 0},
    {"DisableSchemaValidation", PT_BOOL, 0},
    {"Name", PT_STR, 0},
    {"ProtocolType", PT_STR, 0},
    {"RouteKey", PT_STR, 0},
    {"RouteSelectionExpression", PT_STR, 0},
    {"Tags", PT_OBJECT, 0},
    {"Target", PT_STR, 0},
    {"Version", PT_STR, 0},
    {NULL, 0, 0},
};

static const prov_prop route_schema[] = {
    {"ApiId", PT_STR, 1},
    {"ApiKeyRequired", PT_BOOL, 0},
    {"AuthorizationScopes", PT_STRLIST, 0},
    {"AuthorizationType", PT_STR, 0},
    {"AuthorizerId", PT_STR, 0},
    {"ModelSelectionExpression", PT_STR, 0},
    {"OperationName", PT_STR, 0},
    {"RequestModels", PT_OBJECT, 0},
    {"RequestParameters", PT_OBJECT, 0},
    {"RouteKey", PT_STR, 1},
    {"RouteResponseSelectionExpression", PT_STR, 0},
    {"Target", PT_STR, 0},
    {NULL, 0, 0},
};

static const prov_prop integ_schema[] = {
    {"ApiId", PT_STR, 1},
    {"ConnectionId", PT_STR, 0},
    {"ConnectionType", PT_STR, 0},
    {"ContentHandlingStrategy", PT_STR, 0},
    {"CredentialsArn", PT_STR, 0},
    {"Description", PT_STR, 0},
    {"IntegrationMethod", PT_STR, 0},
    {"IntegrationSubtype", PT_STR, 0},
    {"IntegrationType", PT_STR, 1},
    {"IntegrationUri", PT_STR, 0},
    {"PassthroughBehavior", PT_STR, 0},
    {"PayloadFormatVersion", PT_STR, 0},
    {"RequestParameters", PT_OBJECT, 0},
    {"RequestTemplates", PT_OBJECT, 0},
    {"ResponseParameters", PT_OBJECT, 0},
    {"TemplateSelectionExpression", PT_STR, 0},
    {"TimeoutInMillis", PT_INT, 0},
    {"TlsConfig", PT_OBJECT, 0},
    {NULL, 0, 0},
};

static const prov_prop stage_schema[] = {
    {"AccessLogSettings", PT_OBJECT, 0},
    {"ApiId", PT_STR, 1},
    {"AutoDeploy", PT_BOOL, 0},
    {"ClientCertificateId", PT_STR, 0},
    {"DefaultRouteSettings", PT_OBJECT, 0},
    {"DeploymentId", PT_STR, 0},
    {"Description", PT_STR, 0},
    {"RouteSettings", PT_OBJECT, 0},
    {"StageName", PT_STR, 1},
    {"StageVariables", PT_OBJECT, 0},
    {"Tags", PT_OBJECT, 0},
    {NULL, 0, 0},
};

static const prov_prop authz_schema[] = {
    {"ApiId", PT_STR, 1},
    {"AuthorizerCredentialsArn", PT_STR, 0},
    {"AuthorizerPayloadFormatVersion", PT_STR, 0},
    {"AuthorizerResultTtlInSeconds", PT_INT, 0},
    {"AuthorizerType", PT_STR, 1},
    {"AuthorizerUri", PT_STR, 0},
    {"EnableSimpleResponses", PT_BOOL, 0},
    {"IdentitySource", PT_STRLIST, 0},
    {"IdentityValidationExpression", PT_STR, 0},
    {"JwtConfiguration", PT_OBJECT, 0},
    {"Name", PT_STR, 1},
    {NULL, 0, 0},
};

static const char *const api_attrs[] = {"ApiEndpoint", "ApiId", NULL};
static const char *const route_attrs[] = {"RouteId", NULL};
static const char *const integ_attrs[] = {"IntegrationId", NULL};
static const char *const authz_attrs[] = {"AuthorizerId", NULL};
static const char *const no_attrs[] = {NULL};
static const char *const api_fixed[] = {"ProtocolType", "Tags", NULL};
static const char *const stage_fixed[] = {"Tags", NULL};
static const char *const none[] = {NULL};

static const v2type api_t = {"CreateApi", "UpdateApi", "GetApi", "DeleteApi",
                             "ApiId",     api_attrs,   api_fixed};
static const v2type route_t = {"CreateRoute", "UpdateRoute", "GetRoute", "DeleteRoute",
                               "RouteId",     route_attrs,   none};
static const v2type integ_t = {"CreateIntegration",
                               "UpdateIntegration",
                               "GetIntegration",
                               "DeleteIntegration",
                               "IntegrationId",
                               integ_attrs,
                               none};
static const v2type authz_t = {"CreateAuthorizer",
                               "UpdateAuthorizer",
                               "GetAuthorizer",
                               "DeleteAuthorizer",
                               "AuthorizerId",
                               authz_attrs,
                               none};
static const v2type stage_t = {"CreateStage", "UpdateStage", "GetStage", "DeleteStage",
                               "StageName",   no_attrs,      stage_fixed};

/* AWS::ApiGatewayV2::Api: HTTP unless ProtocolType says otherwise; a Name it generates. */
static int api_check(cfn_pctx *p, const json_t *pr)
{
    int defined = json_object_get(pr, "Body") || json_object_get(pr, "BodyS3Location");
    if (!defined && (!jstr(pr, "Name") || !jstr(pr, "ProtocolType")))
        return prov_invalid(p, "#: required key [Name] and [ProtocolType] not found");
    return 0;
}

/* An OpenAPI definition (Body, or the object BodyS3Location names) as ImportApi takes it:
 * 0 and *text (malloc'd; NULL when there is none), or -1. */
static int api_body(cfn_pctx *p, const json_t *pr, char **text)
{
    *text = NULL;
    if (json_object_get(pr, "Body")) {
        *text = prov_doc_text(json_object_get(pr, "Body"));
        return *text ? 0 : ferr_oom(p->e);
    }
    const json_t *loc = json_object_get(pr, "BodyS3Location");
    char *b64 = NULL;
    if (!loc) return 0;
    if (apigw_prov_s3_body(p, loc, &b64)) return -1;
    arena *a = arena_new(0);
    size_t n = 0;
    unsigned char *raw = a ? enc_unb64(a, b64, strlen(b64), &n) : NULL;
    *text = raw ? strndup((const char *)raw, n) : NULL;
    arena_free(a);
    free(b64);
    return *text ? 0 : ferr_oom(p->e);
}

/* AWS: an API with a Body is imported (ImportApi), and reimported when it changes. */
static int api_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    char *text;
    if (api_body(p, pr, &text)) return -1;
    if (!text) return v2_make(s, p, pr, id, attrs);
    json_t *out = NULL;
    int rc = prov_call(p, "apigatewayv2", "ImportApi", json_pack("{s:s}", "Body", text), &out);
    free(text);
    if (rc) return -1;
    const char *v = jstr(out, "ApiId");
    rc = !v || !(*id = strdup(v)) ? ferr_oom(p->e) : v2_attrs_of(s->data, p, out, attrs);
    json_decref(out);
    return rc;
}

static int api_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                      const json_t *np)
{
    char *text;
    if (api_body(p, np, &text)) return -1;
    if (!text) return v2_change(s, p, id, op, np);
    int rc = prov_call(p, "apigatewayv2", "ReimportApi",
                       json_pack("{s:s, s:s}", "ApiId", id, "Body", text), NULL);
    free(text);
    return rc;
}

#define V2_DEL(NAME, TYPE) \
    static int NAME(cfn_pctx *p, const char *id, const json_t *props) \
    { \
        return prov_call_gone_ok(p, NULL, "apigatewayv2", (TYPE).del, \
                                 ref_in(&(TYPE), jstr(props, "ApiId"), id)); \
    }
V2_DEL(api_del, api_t)
V2_DEL(route_del, route_t)
V2_DEL(integ_del, integ_t)
V2_DEL(stage_del, stage_t)
V2_DEL(authz_del, authz_t)

static const prov_shape api_shape = {.schema = api_schema,
                                     .check = api_check,
                                     .make = api_make,
                                     .change = api_change,
                                     .attrs = v2_attrs,
                                     .del = api_del,
                                     .data = &api_t};
static const prov_shape route_shape = {.schema = route_schema,
                                       .make = v2_make,
                                       .change = v2_change,
                                       .attrs = v2_attrs,
                                       .del = route_del,
                                       .data = &route_t};
static const prov_shape integ_shape = {.schema = integ_schema,
                                       .make = v2_make,
                                       .change = v2_change,
                                       .attrs = v2_attrs,
                                       .del = integ_del,
                                       .data = &integ_t};
static const prov_shape stage_shape = {.schema = stage_schema,
                                       .make = v2_make,
                                       .change = v2_change,
                                       .attrs = v2_attrs,
                                       .del = stage_del,
                                       .data = &stage_t};

static const prov_shape authz_shape = {.schema = authz_schema,
                                       .make = v2_make,
                                       .change = v2_change,
                                       .attrs = v2_attrs,
                                       .del = authz_del,
                                       .data = &authz_t};

static const char *const api_replace_on[] = {"ProtocolType", NULL};
static const char *const part_replace_on[] = {"ApiId", NULL};
static const char *const stage_replace_on[] = {"ApiId", "StageName", NULL};

const cfn_provider cfn_provider_apigatewayv2_api = {
    .type = "AWS::ApiGatewayV2::Api",
    .shape = &api_shape,
    .del = api_del,
    .replace_on = api_replace_on,
};
const cfn_provider cfn_provider_apigatewayv2_route = {
    .type = "AWS::ApiGatewayV2::Route",
    .shape = &route_shape,
    .del = route_del,
    .replace_on = part_replace_on,
};
const cfn_provider cfn_provider_apigatewayv2_integration = {
    .type = "AWS::ApiGatewayV2::Integration",
    .shape = &integ_shape,
    .del = integ_del,
    .replace_on = part_replace_on,
};
const cfn_provider cfn_provider_apigatewayv2_stage = {
    .type = "AWS::ApiGatewayV2::Stage",
    .shape = &stage_shape,
    .del = stage_del,
    .replace_on = stage_replace_on,
};
const cfn_provider cfn_provider_apigatewayv2_authorizer = {
    .type = "AWS::ApiGatewayV2::Authorizer",
    .shape = &authz_shape,
    .del = authz_del,
    .replace_on = part_replace_on,
};
