/* An HTTP API's parts: routes, integrations, authorizers, stages and deployments. Each is a
 * map in the API's document (apigatewayv2_int.h); the operations on them share one shape:
 * create (a new id, the input's fields), get, list, update (the input's fields), delete. */
#include <stdlib.h>
#include <string.h>

#include "apigatewayv2_int.h"
#include "svc/apigateway/accesslog.h"
#include "base/clock.h"

typedef struct part {
    const char *map;  /* "Routes" */
    const char *id;   /* its id member, "RouteId" */
    const char *what; /* in NotFoundException's words */
    size_t idlen;     /* generated ids' length; 0: named by the client (StageName) */
    const char *type; /* audit resource type */
} part;

static const part ROUTE = {"Routes", "RouteId", "Route", 7, "AWS::ApiGatewayV2::Route"};
static const part INTEG = {"Integrations", "IntegrationId", "Integration", 7,
                           "AWS::ApiGatewayV2::Integration"};
static const part AUTHZ = {"Authorizers", "AuthorizerId", "Authorizer", 6,
                           "AWS::ApiGatewayV2::Authorizer"};
static const part STAGE = {"Stages", "StageName", "Stage", 0, "AWS::ApiGatewayV2::Stage"};
static const part DEPLOY = {"Deployments", "DeploymentId", "Deployment", 6,
                            "AWS::ApiGatewayV2::Deployment"};

/* The item's output shape: the stored one without its private members (_Snapshot). */
static json_t *render(call *c, const json_t *item)
{
    json_t *o = json_deep_copy(item);
    if (!o) {
        c->oom = 1;
        return NULL;
    }
    json_object_del(o, "_Snapshot");
    return o;
}

/* The input's fields (but ApiId) copied onto item. */
static int take(call *c, json_t *item, const json_t *in, const part *p)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)in, k, v) {
        if (!strcmp(k, "ApiId") || (p->idlen && !strcmp(k, p->id))) continue;
        if (json_object_set(item, k, v)) return ferr_oom(c->err);
    }
    return 0;
}

static json_t *find(call *c, json_t *doc, const part *p, const char *id)
{
    json_t *item = json_object_get(json_object_get(doc, p->map), id ? id : "");
    if (!item) apigwv2_not_found(c, p->what, id);
    return item;
}

static int save(call *c, json_t *doc, const part *p, const char *id, json_t *item, json_t **out)
{
    call_resource(c, p->type, id);
    if (p != &STAGE && p != &DEPLOY && apigwv2_autodeploy(c, doc)) return -1;
    if (apigwv2_save(c, doc)) return -1;
    *out = svc_out(c, render(c, item));
    return 0;
}

/* ---- what each kind of part must be ---- */

static const char *const methods[] = {"ANY",   "GET",    "POST", "PUT",
                                      "PATCH", "DELETE", "HEAD", "OPTIONS"};

/* AWS: "$default" or "METHOD /path" for HTTP APIs. */
static int check_route_key(call *c, const json_t *doc, const char *rk, const char *self)
{
    if (!strcmp(jstr(json_object_get(doc, "Api"), "ProtocolType"), "HTTP") &&
        strcmp(rk, "$default")) {
        const char *sp = strchr(rk, ' ');
        int ok = 0;
        for (size_t i = 0; sp && i < sizeof(methods) / sizeof(methods[0]); i++)
            if (strlen(methods[i]) == (size_t)(sp - rk) &&
                !strncmp(rk, methods[i], (size_t)(sp - rk)))
                ok = 1;
        if (!ok || sp[1] != '/' || strchr(sp + 1, ' '))
            return apigwv2_bad(c,
                               "Unable to create route %s. Route key must be in the form of "
                               "\"$default\" or \"<HTTP method> <resource path>\"",
                               rk);
    }
    const char *k;
    json_t *r;
    json_object_foreach(json_object_get(doc, "Routes"), k, r)
        if ((!self || strcmp(k, self)) && !strcmp(jstr(r, "RouteKey"), rk))
            return apigwv2_conflict(c, "Route with key %s already exists for this API", rk);
    return 0;
}

static int check_route(call *c, json_t *doc, const json_t *in, const char *self)
{
    const char *rk = jstr(in, "RouteKey"), *target = jstr(in, "Target"),
               *at = jstr(in, "AuthorizationType"), *az = jstr(in, "AuthorizerId");
    if (rk && check_route_key(c, doc, rk, self)) return -1;
    if (target && (strncmp(target, "integrations/", 13) ||
                   !json_object_get(json_object_get(doc, "Integrations"), target + 13)))
        return apigwv2_bad(c, "Invalid integration identifier specified %s", target);
    if (at && strcmp(at, "NONE") && strcmp(at, "JWT") && strcmp(at, "AWS_IAM") &&
        strcmp(at, "CUSTOM"))
        return apigwv2_bad(c, "Invalid authorization type specified: %s", at);
    if (az && !json_object_get(json_object_get(doc, "Authorizers"), az))
        return apigwv2_bad(c, "Invalid authorizer identifier specified %s", az);
    if (at && !strcmp(at, "JWT") && !az)
        return apigwv2_bad(c, "AuthorizerId is required for JWT authorization");
    return 0;
}

static int check_integration(call *c, const json_t *in, json_t *item)
{
    const char *t = jstr(in, "IntegrationType"), *pfv = jstr(in, "PayloadFormatVersion");
    if (t && strcmp(t, "AWS_PROXY") && strcmp(t, "HTTP_PROXY") && strcmp(t, "AWS") &&
        strcmp(t, "HTTP") && strcmp(t, "MOCK"))
        return apigwv2_bad(c, "Invalid integration type specified: %s", t);
    if (pfv && strcmp(pfv, "1.0") && strcmp(pfv, "2.0"))
        return apigwv2_bad(c, "Invalid payload format version specified: %s", pfv);
    json_t *tm = json_object_get(in, "TimeoutInMillis");
    if (tm && (json_integer_value(tm) < 50 || json_integer_value(tm) > 30000))
        return apigwv2_bad(c, "Timeout must be between 50 milliseconds and 30 seconds.");
    t = jstr(item, "IntegrationType");
    const char *uri = jstr(item, "IntegrationUri");
    if (t && !strcmp(t, "AWS_PROXY") && uri && !apigwv2_lambda_arn(c->a, uri))
        return apigwv2_bad(c, "Invalid Lambda function ARN specified: %s", uri);
    if (t && !strcmp(t, "HTTP_PROXY") &&
        (!uri || (strncmp(uri, "http://", 7) && strncmp(uri, "https://", 8))))
        return apigwv2_bad(c, "Invalid HTTP endpoint specified for URI");
    if (t && !strcmp(t, "HTTP_PROXY") && !jstr(item, "IntegrationMethod"))
        return apigwv2_bad(c, "IntegrationMethod is required for HTTP_PROXY integrations");
    int bad = 0;
    if (!json_object_get(item, "TimeoutInMillis"))
        bad |= json_object_set_new(item, "TimeoutInMillis", json_integer(30000));
    if (!jstr(item, "ConnectionType")) bad |= jset_str(item, "ConnectionType", "INTERNET");
    if (!jstr(item, "PayloadFormatVersion")) bad |= jset_str(item, "PayloadFormatVersion", "1.0");
    return bad ? ferr_oom(c->err) : 0;
}

static int check_authorizer(call *c, const json_t *in, json_t *item)
{
    const char *t = jstr(item, "AuthorizerType");
    if (t && strcmp(t, "JWT") && strcmp(t, "REQUEST"))
        return apigwv2_bad(c, "Invalid authorizer type specified: %s", t);
    const json_t *jc = json_object_get(item, "JwtConfiguration");
    if (t && !strcmp(t, "JWT") &&
        (!jstr(jc, "Issuer") || !json_array_size(json_object_get(jc, "Audience"))))
        return apigwv2_bad(c, "JwtConfiguration with an Issuer and an Audience is required for "
                              "JWT authorizers");
    if (!t || strcmp(t, "REQUEST")) return 0;
    /* AWS: a Lambda authorizer names its function and the format it is called with */
    const char *uri = jstr(item, "AuthorizerUri"),
               *pfv = jstr(item, "AuthorizerPayloadFormatVersion");
    if (!apigwv2_lambda_arn(c->a, uri))
        return apigwv2_bad(c, "Invalid authorizer URI specified: %s", uri ? uri : "null");
    if (!pfv || (strcmp(pfv, "1.0") && strcmp(pfv, "2.0")))
        return apigwv2_bad(c, "AuthorizerPayloadFormatVersion must be 1.0 or 2.0 for REQUEST "
                              "authorizers");
    if (jbool(item, "EnableSimpleResponses", 0) && strcmp(pfv, "2.0"))
        return apigwv2_bad(c, "EnableSimpleResponses is only supported for "
                              "AuthorizerPayloadFormatVersion 2.0");
    json_t *ttl = json_object_get(item, "AuthorizerResultTtlInSeconds");
    if (ttl && (json_integer_value(ttl) < 0 || json_integer_value(ttl) > 3600))
        return apigwv2_bad(c, "AuthorizerResultTtlInSeconds must be between 0 and 3600");
    if (json_integer_value(ttl) > 0 && !json_array_size(json_object_get(item, "IdentitySource")))
        return apigwv2_bad(c, "IdentitySource is required when AuthorizerResultTtlInSeconds is "
                              "greater than 0");
    size_t i;
    json_t *src;
    json_array_foreach(json_object_get(item, "IdentitySource"), i, src) {
        const char *v = json_string_value(src);
        if (!v || (strncmp(v, "$request.header.", 16) && strncmp(v, "$request.querystring.", 21) &&
                   strncmp(v, "$context.", 9) && strncmp(v, "$stageVariables.", 16)))
            return apigwv2_bad(c, "Invalid identity source expression specified: %s",
                               v ? v : "null");
    }
    (void)in;
    return 0;
}

/* ---- the operations, one pattern for every part ---- */

/* AWS's checks of a stage's AccessLogSettings (as REST APIs'). */
static int stage_log_check(call *c, const json_t *st)
{
    const json_t *al = json_object_get(st, "AccessLogSettings");
    if (!al) return 0;
    if (!jstr(al, "DestinationArn") || !jstr(al, "Format"))
        return apigwv2_bad(c, "Access log destination and format must both be specified");
    return apigw_accesslog_check(jstr(al, "DestinationArn"), jstr(al, "Format"), c->account,
                                 c->region, "BadRequestException", c->err);
}

static int create(call *c, json_t *in, json_t **out, const part *p)
{
    json_t *doc;
    if (apigwv2_open(c, in, "POST", &doc) < 0) return -1;
    json_t *map = json_object_get(doc, p->map);
    char idb[16];
    const char *id = idb;
    if (p->idlen)
        apigwv2_new_id(map, p->idlen, idb);
    else
        id = jstr(in, p->id);
    if (!p->idlen && json_object_get(map, id)) return apigwv2_conflict(c, "Stage already exists");
    if (p == &ROUTE && check_route(c, doc, in, NULL)) return -1;
    json_t *item = json_object();
    if (!item || json_object_set_new(map, id, item) || jset_str(item, p->id, id) ||
        take(c, item, in, p))
        return ferr_oom(c->err);
    int bad = 0;
    if (p == &ROUTE) {
        if (!json_object_get(item, "ApiKeyRequired"))
            bad |= json_object_set_new(item, "ApiKeyRequired", json_false());
        if (!jstr(item, "AuthorizationType")) bad |= jset_str(item, "AuthorizationType", "NONE");
    } else if (p == &INTEG) {
        if (check_integration(c, in, item)) return -1;
    } else if (p == &AUTHZ) {
        if (check_authorizer(c, in, item)) return -1;
    } else if (p == &STAGE) {
        double now = (double)(long long)clock_now();
        const char *dep = jstr(in, "DeploymentId");
        if (dep && !json_object_get(json_object_get(doc, "Deployments"), dep))
            return apigwv2_bad(c, "Invalid deployment identifier specified %s", dep);
        bad |= json_object_set_new(item, "CreatedDate", json_real(now)) ||
               json_object_set_new(item, "LastUpdatedDate", json_real(now));
        if (!json_object_get(item, "DefaultRouteSettings"))
            bad |= json_object_set_new(item, "DefaultRouteSettings",
                                       json_pack("{s:b}", "DetailedMetricsEnabled", 0));
        const char *emp[] = {"RouteSettings", "StageVariables", "Tags"};
        for (size_t i = 0; i < 3; i++)
            if (!json_object_get(item, emp[i]))
                bad |= json_object_set_new(item, emp[i], json_object());
        if (!bad && stage_log_check(c, item)) return -1;
        if (!bad && jbool(item, "AutoDeploy", 0) && apigwv2_autodeploy(c, doc)) return -1;
    }
    if (bad) return ferr_oom(c->err);
    return save(c, doc, p, id, item, out);
}

static int get(call *c, json_t *in, json_t **out, const part *p)
{
    json_t *doc;
    if (apigwv2_open(c, in, "GET", &doc) < 0) return -1;
    json_t *item = find(c, doc, p, jstr(in, p->id));
    if (!item) return -1;
    *out = svc_out(c, render(c, item));
    return 0;
}

static int list(call *c, json_t *in, json_t **out, const part *p)
{
    json_t *doc;
    if (apigwv2_open(c, in, "GET", &doc) < 0) return -1;
    json_t *all = json_array(), *o = json_object();
    if (!all || !o || !arena_defer_json(c->a, all)) {
        json_decref(o);
        return ferr_oom(c->err);
    }
    const char *k;
    json_t *item;
    json_object_foreach(json_object_get(doc, p->map), k, item)
        if (json_array_append_new(all, render(c, item))) {
            json_decref(o);
            return ferr_oom(c->err);
        }
    const char *max = jstr(in, "MaxResults");
    if (svc_page(c, all, jstr(in, "NextToken"), max ? atoll(max) : 0, o, "Items", "NextToken",
                 "BadRequestException")) {
        json_decref(o);
        return -1;
    }
    *out = o;
    return 0;
}

static int update(call *c, json_t *in, json_t **out, const part *p)
{
    json_t *doc;
    if (apigwv2_open(c, in, "PATCH", &doc) < 0) return -1;
    const char *id = jstr(in, p->id);
    json_t *item = find(c, doc, p, id);
    if (!item) return -1;
    if (p == &ROUTE && check_route(c, doc, in, id)) return -1;
    if (p == &STAGE && jstr(in, "DeploymentId") &&
        !json_object_get(json_object_get(doc, "Deployments"), jstr(in, "DeploymentId")))
        return apigwv2_bad(c, "Invalid deployment identifier specified %s",
                           jstr(in, "DeploymentId"));
    if (take(c, item, in, p)) return -1;
    if (p == &INTEG && check_integration(c, in, item)) return -1;
    if (p == &AUTHZ && check_authorizer(c, in, item)) return -1;
    if (p == &STAGE) {
        if (stage_log_check(c, item)) return -1;
        if (json_object_set_new(item, "LastUpdatedDate", json_real((double)(long long)clock_now())))
            return ferr_oom(c->err);
        if (jbool(item, "AutoDeploy", 0) && apigwv2_autodeploy(c, doc)) return -1;
    }
    return save(c, doc, p, id, item, out);
}

static int del(call *c, json_t *in, json_t **out, const part *p)
{
    json_t *doc;
    if (apigwv2_open(c, in, "DELETE", &doc) < 0) return -1;
    const char *id = jstr(in, p->id);
    if (!find(c, doc, p, id)) return -1;
    /* AWS: an integration a route targets, or an authorizer a route uses, stays */
    const char *k;
    json_t *r;
    json_object_foreach(json_object_get(doc, "Routes"), k, r) {
        const char *t = jstr(r, "Target");
        if (p == &INTEG && t && !strcmp(t + (strncmp(t, "integrations/", 13) ? 0 : 13), id))
            return apigwv2_conflict(c, "Cannot delete integration %s: routes target it", id);
        if (p == &AUTHZ && jstr(r, "AuthorizerId") && !strcmp(jstr(r, "AuthorizerId"), id))
            return apigwv2_conflict(c, "Cannot delete authorizer %s: routes use it", id);
    }
    json_object_del(json_object_get(doc, p->map), id);
    call_resource(c, p->type, id);
    if (p != &STAGE && p != &DEPLOY && apigwv2_autodeploy(c, doc)) return -1;
    if (apigwv2_save(c, doc)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

/* ---- deployments ---- */

int apigwv2_deploy(call *c, json_t *doc, const char *description, int auto_deployed, char id[16])
{
    json_t *deps = json_object_get(doc, "Deployments");
    apigwv2_new_id(deps, 6, id);
    json_t *d = json_pack(
        "{s:b, s:f, s:s, s:s, s:{s:O, s:O, s:O}}", "AutoDeployed", auto_deployed, "CreatedDate",
        (double)(long long)clock_now(), "DeploymentId", id, "DeploymentStatus", "DEPLOYED",
        "_Snapshot", "Routes", json_object_get(doc, "Routes"), "Integrations",
        json_object_get(doc, "Integrations"), "Authorizers", json_object_get(doc, "Authorizers"));
    if (!d || (description && jset_str(d, "Description", description)) ||
        json_object_set_new(deps, id, d))
        return ferr_oom(c->err);
    /* the snapshot must not follow later edits of the maps it was made from */
    json_t *snap = json_deep_copy(json_object_get(d, "_Snapshot"));
    if (!snap || json_object_set_new(d, "_Snapshot", snap)) return ferr_oom(c->err);
    return 0;
}

int apigwv2_autodeploy(call *c, json_t *doc)
{
    const char *k;
    json_t *st;
    json_object_foreach(json_object_get(doc, "Stages"), k, st) {
        if (!jbool(st, "AutoDeploy", 0)) continue;
        /* AWS keeps the deployments; ferry keeps the one each stage serves */
        const char *old = jstr(st, "DeploymentId");
        json_t *od = old ? json_object_get(json_object_get(doc, "Deployments"), old) : NULL;
        if (od && jbool(od, "AutoDeployed", 0))
            json_object_del(json_object_get(doc, "Deployments"), old);
        char id[16];
        if (apigwv2_deploy(c, doc, NULL, 1, id)) return -1;
        if (jset_str(st, "DeploymentId", id)) return ferr_oom(c->err);
        const char *msg =
            arena_printf(c->a, "Successfully deployed stage with deployment ID '%s'", id);
        if (!msg || jset_str(st, "LastDeploymentStatusMessage", msg)) return ferr_oom(c->err);
    }
    return 0;
}

int apigatewayv2_op_create_deployment(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (apigwv2_open(c, in, "POST", &doc) < 0) return -1;
    const char *sn = jstr(in, "StageName");
    json_t *st = sn ? json_object_get(json_object_get(doc, "Stages"), sn) : NULL;
    if (sn && !st) return apigwv2_bad(c, "Invalid stage identifier specified %s", sn);
    if (st && jbool(st, "AutoDeploy", 0))
        return apigwv2_bad(c, "Deployments cannot be created on stages with AutoDeploy enabled");
    char id[16];
    if (apigwv2_deploy(c, doc, jstr(in, "Description"), 0, id)) return -1;
    if (st &&
        (jset_str(st, "DeploymentId", id) ||
         json_object_set_new(st, "LastUpdatedDate", json_real((double)(long long)clock_now()))))
        return ferr_oom(c->err);
    return save(c, doc, &DEPLOY, id, json_object_get(json_object_get(doc, "Deployments"), id), out);
}

#define PART_OPS(NAME, PART) \
    int apigatewayv2_op_get_##NAME(call *c, json_t *in, json_t **out) \
    { \
        return get(c, in, out, &PART); \
    } \
    int apigatewayv2_op_get_##NAME##s(call *c, json_t *in, json_t **out) \
    { \
        return list(c, in, out, &PART); \
    } \
    int apigatewayv2_op_update_##NAME(call *c, json_t *in, json_t **out) \
    { \
        return update(c, in, out, &PART); \
    } \
    int apigatewayv2_op_delete_##NAME(call *c, json_t *in, json_t **out) \
    { \
        return del(c, in, out, &PART); \
    }

PART_OPS(route, ROUTE)
PART_OPS(integration, INTEG)
PART_OPS(authorizer, AUTHZ)
PART_OPS(stage, STAGE)
PART_OPS(deployment, DEPLOY)

int apigatewayv2_op_create_route(call *c, json_t *in, json_t **out)
{
    return create(c, in, out, &ROUTE);
}

int apigatewayv2_op_create_integration(call *c, json_t *in, json_t **out)
{
    return create(c, in, out, &INTEG);
}

int apigatewayv2_op_create_authorizer(call *c, json_t *in, json_t **out)
{
    return create(c, in, out, &AUTHZ);
}

int apigatewayv2_op_create_stage(call *c, json_t *in, json_t **out)
{
    return create(c, in, out, &STAGE);
}

int apigatewayv2_op_delete_access_log_settings(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc;
    if (apigwv2_open(c, in, "DELETE", &doc) < 0) return -1;
    json_t *st = find(c, doc, &STAGE, jstr(in, "StageName"));
    if (!st) return -1;
    json_object_del(st, "AccessLogSettings");
    call_resource(c, STAGE.type, jstr(in, "StageName"));
    return apigwv2_save(c, doc);
}
