/* The data plane: every deployed stage of a REST API, served at
 *   http://API_ID.execute-api.localhost:PORT/STAGE/path   (Host routing, as AWS names them)
 *   http://HOST:PORT/_ferry/execute-api/API_ID/STAGE/path  (for clients that cannot set Host)
 * from the deployment the stage points at (later changes to the API are not served until it
 * is deployed again, as in AWS). Integrations: AWS_PROXY and AWS to Lambda (invoked as
 * apigateway.amazonaws.com, so the function's resource policy decides), MOCK. */
#include <ctype.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accesslog.h"
#include "apigateway.h"
#include "apigateway_int.h"
#include "base/arn.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/gencache.h"
#include "base/ids.h"
#include "base/log.h"
#include "proto/pcommon.h"
#include "svc/session.h"
#include "httpint.h"
#include "lambdaauth.h"
#include "proxy.h"
#include "throttle.h"
#include "vtl.h"

#define MISSING_TOKEN "Missing Authentication Token"

/* The stage's view, copied out of the store before any integration runs (no transaction
 * is held while a function runs). */
typedef struct stage_view {
    const char *account, *region, *api_id, *stage;
    json_t *api;             /* RestApi */
    json_t *stage_doc;       /* Stage */
    json_t *resources;       /* the deployment's snapshot */
    const char *policy;      /* the resource policy deployed, or NULL */
    const json_t *responses; /* the gateway responses deployed, or NULL */
    const json_t *models;    /* the models and request validators deployed */
    const json_t *validators;
    const svc_request *r;   /* the request */
    const apigw_vtl_ctx *x; /* what templates see of it (gateway responses too) */
    /* what the access log says of the request, filled in as it is served */
    const char *rid, *rpath, *err_type, *err_msg;
    const char *verr;        /* a failed validation's report */
    const char *path;        /* the request's path within the stage */
    const principal *caller; /* AWS_IAM: who signed */
    const json_t *authz;     /* a Lambda authorizer's answer as the integration sees it */
    double t0;
    long long integ_ms; /* -1: no integration ran */
    int test;           /* TestInvokeMethod: no throttle, authorization or API key */
    int integ_status;
    /* execution log: the method's loggingLevel (XLOG_*) and dataTraceEnabled, and the lines
     * written so far (one per line, without the "(requestId) " AWS starts each with) */
    int xlevel, xtrace;
    buf *xlines;
} stage_view;

#define XLOG_OFF   0
#define XLOG_ERROR 1
#define XLOG_INFO  2
#define XLOG_TRACE 3 /* INFO with dataTraceEnabled: requests' and responses' contents */

static void xlog(stage_view *v, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void xlog(stage_view *v, int level, const char *fmt, ...)
{
    int have = v->xtrace ? XLOG_TRACE : v->xlevel;
    if (!v->xlines || level > have) return;
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    /* one event per line: the contents logged keep to theirs */
    for (char *p = s; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    buf_printf(v->xlines, "%s\n", s);
    free(s);
}

/* A method's setting (stage methodSettings "~1path/METHOD", else the stage-wide entry), or
 * NULL. */
static const json_t *method_setting(arena *a, const stage_view *v, const char *rpath,
                                    const char *method, const char *member)
{
    buf k;
    buf_init(&k, 0);
    for (const char *p = rpath; *p; p++) *p == '/' ? buf_puts(&k, "~1") : buf_putc(&k, *p);
    buf_printf(&k, "/%s", method);
    const char *key = arena_strdup(a, buf_str(&k));
    buf_dispose(&k);
    const json_t *ms = json_object_get(v->stage_doc, "methodSettings");
    const json_t *m = key ? json_object_get(json_object_get(ms, key), member) : NULL;
    return m ? m : json_object_get(json_object_get(ms, "*/*"), member);
}

/* REST APIs' documents and their index entries as last read: parsing the API (resources,
 * methods, stages, deployments) was most of a data plane request's own work. Read-only. */
static gencache_static api_cache = SVC_DOC_CACHE(1024);

void apigw_forget(void)
{
    gencache_clear(gencache_of(&api_cache));
}

/* 1 found, 0 no such API (v2 may own the id), -1 error. *doc is shared: never changed. */
static int load_api(ferry_env *env, store_txn *t, arena *a, const char *api_id, json_t **doc,
                    const char **account, const char **region)
{
    ferr e = {0};
    json_t *ix = NULL;
    gencache *cache = gencache_of(&api_cache);
    store_key k = {APIGW_INDEX_KIND, "", "", api_id};
    int rc = svc_doc_shared(t, a, cache, &k, &ix, &e);
    if (rc <= 0) return rc;
    *account = jstr(ix, "account");
    *region = jstr(ix, "region");
    if (!*account || !*region) return -1;
    store_key d = {APIGW_KIND, *account, *region, api_id};
    (void)env;
    return svc_doc_shared(t, a, cache, &d, doc, &e);
}

int apigw_rest_api_exists(ferry_env *env, arena *a, const char *api_id)
{
    store_txn *t = NULL;
    ferr e = {0};
    if (store_begin(env->st, 0, &t, &e)) return 0;
    store_key k = {APIGW_INDEX_KIND, "", "", api_id};
    json_t *ix = NULL;
    int rc = store_get(t, &k, &ix, &e);
    json_decref(ix);
    store_rollback(t);
    (void)a;
    return rc > 0;
}

/* ---- resource matching ---- */

/* A resource's match of segs: 0 when it matches, with its specificity in score, one
 * character per path part ('2' literal, '1' {param}, '0' {proxy+}): AWS prefers literal
 * parts, then variables, then the greedy variable, position by position (strcmp order). */
#define MAX_SEGS 128
static int match_one(arena *a, const char *path, char **segs, size_t n, json_t *params,
                     char score[MAX_SEGS + 2])
{
    size_t i = 0;
    const char *p = path + 1;
    score[0] = 0;
    while (*p) {
        size_t l = strcspn(p, "/");
        if (p[0] == '{' && l > 2 && p[l - 2] == '+') {
            if (i >= n) return -1;
            score[i] = '0', score[i + 1] = 0;
            if (params) {
                char *name = arena_strndup(a, p + 1, l - 3);
                buf b;
                buf_init(&b, 0);
                for (size_t j = i; j < n; j++) buf_printf(&b, "%s%s", j > i ? "/" : "", segs[j]);
                int bad = !name || json_object_set_new(params, name, json_string(buf_str(&b)));
                buf_dispose(&b);
                if (bad) return -1;
            }
            return 0;
        }
        if (i >= n) return -1;
        if (p[0] == '{' && l > 1 && p[l - 1] == '}') {
            score[i] = '1';
            if (params) {
                char *name = arena_strndup(a, p + 1, l - 2);
                if (!name || json_object_set_new(params, name, json_string(segs[i]))) return -1;
            }
        } else if (strlen(segs[i]) == l && !strncmp(p, segs[i], l)) {
            score[i] = '2';
        } else {
            return -1;
        }
        score[++i] = 0;
        p += l;
        if (*p) p++;
    }
    /* an exact match outranks a greedy one that shares its prefix */
    if (i != n) return -1;
    score[i] = '3', score[i + 1] = 0;
    return 0;
}

static json_t *match(arena *a, json_t *resources, const char *path, json_t *params)
{
    /* the path's segments, decoded */
    char *segs[MAX_SEGS];
    size_t n = 0;
    const char *p = path;
    while (*p == '/') p++;
    while (*p && n < MAX_SEGS) {
        size_t l = strcspn(p, "/"), dl = 0;
        if (l) segs[n++] = enc_url_decode(a, p, l, 0, &dl);
        if (l && !segs[n - 1]) return NULL;
        p += l;
        while (*p == '/') p++;
    }
    if (*p) return NULL; /* deeper than any resource can be */
    json_t *best = NULL;
    char best_score[MAX_SEGS + 2] = "", score[MAX_SEGS + 2];
    const char *k;
    json_t *r;
    json_object_foreach(resources, k, r) {
        if (!match_one(a, jstr(r, "path"), segs, n, NULL, score) &&
            (!best || strcmp(score, best_score) > 0))
            best = r, memcpy(best_score, score, sizeof(score));
    }
    if (best && match_one(a, jstr(best, "path"), segs, n, params, score)) return NULL;
    return best;
}

/* ---- integrations ---- */

/* ${stageVariables.name} in s replaced by the stage's value. */
static const char *substitute(arena *a, const char *s, const json_t *vars)
{
    buf b;
    buf_init(&b, 0);
    while (*s) {
        const char *at = strstr(s, "${stageVariables.");
        const char *end = at ? strchr(at, '}') : NULL;
        if (!at || !end) {
            buf_puts(&b, s);
            break;
        }
        buf_put(&b, s, (size_t)(at - s));
        char name[256];
        snprintf(name, sizeof(name), "%.*s", (int)(end - at - 17), at + 17);
        const char *v = jstr(vars, name);
        buf_puts(&b, v ? v : "");
        s = end + 1;
    }
    const char *out = arena_strdup(a, buf_str(&b));
    buf_dispose(&b);
    return out;
}

/* Runs the function as apigateway.amazonaws.com on the API's behalf. 0 and the output (in
 * the arena), or -1: *status/msg say what the client gets. */
static int invoke(ferry_env *env, arena *a, const stage_view *v, const json_t *integ,
                  const char *source_arn, const char *payload, size_t len, const char **out,
                  size_t *out_len, int *status, const char **msg)
{
    *status = 500;
    *msg = "Internal server error";
    const char *region = NULL;
    const char *uri = substitute(a, jstr(integ, "uri"), json_object_get(v->stage_doc, "variables"));
    const char *fn = uri ? apigw_function_of(a, uri, &region) : NULL;
    if (!fn || !region) return -1;
    principal p;
    session_service_principal(&p, "apigateway.amazonaws.com", v->account);
    ferr e = {0};
    int failed = 0;
    double t0 = clock_now();
    if (apigw_lambda_invoke(env, a, &p, v->account, fn, region, source_arn, payload, len, out,
                            out_len, &failed, &e)) {
        /* AWS: a function API Gateway may not invoke (no permission) or cannot find is the
         * integration's failure, 500 */
        log_info("apigateway: %s/%s: Invoke of %s refused: %s %s", v->api_id, v->stage, fn, e.code,
                 e.message);
        return -1;
    }
    double limit = (double)jint(integ, "timeoutInMillis", 29000) / 1000.0;
    if (clock_now() - t0 > limit) {
        *status = 504;
        *msg = "Endpoint request timed out";
        return -1;
    }
    if (failed || !*out) {
        *status = 502;
        return -1;
    }
    return 0;
}

/* The template for application/json, else the first. */
static const char *template_for(const json_t *tpls)
{
    const char *tpl = jstr(tpls, "application/json");
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)tpls, k, x) {
        if (!tpl) tpl = json_string_value(x);
    }
    return tpl;
}

/* The integration response whose selectionPattern matches want, else the default one. */
static const json_t *pick_response(const json_t *integ, const char *want)
{
    const json_t *ir = NULL;
    const char *k;
    json_t *x;
    json_object_foreach(json_object_get(integ, "integrationResponses"), k, x) {
        const char *sel = jstr(x, "selectionPattern");
        if ((sel && !strcmp(sel, want)) || (!ir && (!sel || !*sel))) ir = x;
    }
    return ir;
}

/* Answers with integration response ir: its status, its template rendered over x (whose
 * $input is the integration's output), its static header mappings. */
static void respond(arena *a, const json_t *ir, const apigw_vtl_ctx *x, proto_response *resp)
{
    proto_response_init(resp);
    resp->status = atoi(jstr(ir, "statusCode"));
    resp->content_type = "application/json";
    const char *tpl = template_for(json_object_get(ir, "responseTemplates"));
    if (tpl && *tpl) {
        if (apigw_vtl_render(a, tpl, x, &resp->body)) {
            buf_dispose(&resp->body);
            apigw_answer(a, resp, 500, NULL, "Internal server error");
            return;
        }
    } else if (x->body_len) {
        buf_put(&resp->body, x->body, x->body_len); /* no template: passed through */
    }
    /* static header mappings: method.response.header.NAME = 'value' */
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(ir, "responseParameters"), k, v) {
        const char *val = json_string_value(v);
        size_t vl = val ? strlen(val) : 0;
        if (strncmp(k, "method.response.header.", 23) || vl < 2 || val[0] != '\'' ||
            val[vl - 1] != '\'')
            continue;
        const char *hv = arena_strndup(a, val + 1, vl - 2);
        if (hv && proto_response_header(a, resp, k + 23, hv)) break;
    }
}

/* MOCK: the status the rendered request template names ({"statusCode": 200}), then the
 * integration response for it (or the default one). */
static void mock(arena *a, const json_t *integ, const apigw_vtl_ctx *x, proto_response *resp)
{
    long long status = 200;
    const char *tpl = template_for(json_object_get(integ, "requestTemplates"));
    buf b;
    buf_init(&b, 0);
    json_t *t = tpl && !apigw_vtl_render(a, tpl, x, &b) ? json_loads(buf_str(&b), 0, NULL) : NULL;
    buf_dispose(&b);
    if (json_is_integer(json_object_get(t, "statusCode")))
        status = json_integer_value(json_object_get(t, "statusCode"));
    json_decref(t);
    char want[24];
    snprintf(want, sizeof(want), "%lld", status);
    const json_t *ir = pick_response(integ, want);
    if (!ir) {
        apigw_answer(a, resp, 500, NULL, "Internal server error");
        return;
    }
    apigw_vtl_ctx out = *x;
    out.body = "", out.body_len = 0;
    respond(a, ir, &out, resp);
}

/* What mapping templates see of the request. */
static void vtl_context(arena *a, const svc_request *r, const stage_view *v, const char *rid,
                        const json_t *res, const json_t *params, apigw_vtl_ctx *x)
{
    json_t *q = json_object(), *h = json_object();
    if (q && apigw_query_params(a, r->query, q, NULL)) json_object_clear(q);
    for (size_t i = 0; h && i < r->nheaders; i++)
        if (json_object_set_new(h, r->headers[i].name, json_string(r->headers[i].value))) break;
    json_t *ctx = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s, s:s, s:{s:s, s:s?}}", "requestId",
                            rid, "stage", v->stage, "httpMethod", r->method, "resourcePath",
                            jstr(res, "path"), "resourceId", jstr(res, "id"), "apiId", v->api_id,
                            "accountId", v->account, "identity", "sourceIp",
                            svc_request_source_ip(r), "userAgent", svc_request_user_agent(r));
    /* AWS: $context.path is the stage and the path as requested */
    const char *full = v->path ? arena_printf(a, "/%s%s", v->stage, v->path) : NULL;
    if (ctx && full && jset_str(ctx, "path", full)) json_decref(ctx), ctx = NULL;
    *x = (apigw_vtl_ctx){.body = (const char *)r->body,
                         .body_len = r->body_len,
                         .path = params,
                         .query = arena_defer_json(a, q),
                         .headers = arena_defer_json(a, h),
                         .context = arena_defer_json(a, ctx),
                         .stage_vars = json_object_get(v->stage_doc, "variables")};
}

/* ---- errors: AWS's answers, or the API's gateway responses ---- */

static const char *source_value(arena *a, const svc_request *r, const apigw_vtl_ctx *x,
                                const char *src, size_t n);

/* Answers an error of gateway response type (default status, x-amzn-ErrorType etype, the
 * message under key; msg NULL is null): as AWS does by default, or as the deployment's
 * customized gateway response for it (its status, headers and template, which sees
 * $context.error.message / messageString / responseType). */
static void gw_error(arena *a, stage_view *v, proto_response *resp, const char *type, int status,
                     const char *etype, const char *key, const char *msg)
{
    v->err_type = type;
    v->err_msg = msg;
    const json_t *gr = apigw_gateway_response_for(v->responses, type, status);
    if (!gr) {
        apigw_answer_as(a, resp, status, etype, key, msg ? msg : "");
        if (!msg) { /* AWS: {"message": null} for authorizer failures */
            buf_reset(&resp->body);
            buf_puts(&resp->body, "{\"message\":null}");
        }
        return;
    }
    proto_response_init(resp);
    const char *sc = jstr(gr, "statusCode");
    resp->status = sc ? atoi(sc) : status;
    resp->content_type = "application/json";
    if (etype) proto_response_header(a, resp, "x-amzn-ErrorType", etype);
    json_t *m = msg ? json_string(msg) : json_null();
    char *ms = m ? json_dumps(m, JSON_ENCODE_ANY) : NULL;
    json_decref(m);
    json_t *err =
        json_pack("{s:s?, s:s, s:s, s:s?}", "message", msg, "messageString", ms ? ms : "null",
                  "responseType", type, "validationErrorString", v->verr);
    free(ms);
    apigw_vtl_ctx x = {0};
    if (v->x) x = *v->x;
    json_t *ctx = x.context ? json_deep_copy(x.context) : json_object();
    if (!err || !ctx || json_object_set_new(ctx, "error", err)) {
        json_decref(ctx);
        ctx = NULL;
    } else {
        x.context = arena_defer_json(a, ctx);
    }
    const char *tpl = jstr(json_object_get(gr, "responseTemplates"), "application/json");
    if (!tpl) {
        const char *k;
        json_t *t;
        json_object_foreach(json_object_get(gr, "responseTemplates"), k, t) {
            if (!tpl) tpl = json_string_value(t);
        }
    }
    if (!tpl) tpl = "{\"message\":$context.error.messageString}";
    x.body = "", x.body_len = 0;
    if (!ctx || apigw_vtl_render(a, tpl, &x, &resp->body)) {
        buf_reset(&resp->body);
        buf_puts(&resp->body, "{\"message\":\"Internal server error\"}");
    }
    /* headers: 'static' values, or the request's (method.request.header.X, ...) */
    const char *k;
    json_t *pv;
    json_object_foreach(json_object_get(gr, "responseParameters"), k, pv) {
        const char *val = json_string_value(pv);
        size_t vl = val ? strlen(val) : 0;
        if (strncmp(k, "gatewayresponse.header.", 23) || !vl) continue;
        const char *hv = val[0] == '\'' && vl >= 2 && val[vl - 1] == '\''
                             ? arena_strndup(a, val + 1, vl - 2)
                         : v->r && v->x ? source_value(a, v->r, v->x, val, vl)
                                        : NULL;
        if (hv && proto_response_header(a, resp, k + 23, hv)) break;
    }
}

/* ---- authorization (resource policies, AWS_IAM) ---- */

#define INVOKE_ALLOWED  1
#define INVOKE_IMPLICIT 0
#define INVOKE_DENIED   2

/* execute-api:Invoke on arn as who (NULL: an unsigned caller, "anonymous"), the deployed
 * resource policy with the caller's identity policies (cross-account both must allow):
 * INVOKE_ALLOWED, INVOKE_IMPLICIT (nothing allows), INVOKE_DENIED (an explicit deny), or
 * -1 (the store failed). */
static int invoke_allowed(ferry_env *env, arena *a, const stage_view *v, const char *arn,
                          const principal *who)
{
    principal anon = {.kind = PRIN_ANONYMOUS};
    snprintf(anon.account, sizeof(anon.account), "%s", v->account);
    ferr e = {0};
    store_txn *t = NULL;
    if (store_begin(env->st, 0, &t, &e)) return -1;
    call c = svc_route_call(v->r, a, env, v->rid, "execute-api", "Invoke", who ? who : &anon,
                            v->region, &e);
    c.account = who ? who->account : v->account;
    c.txn = t;
    authz_req q = {.action = "execute-api:Invoke",
                   .resource = arn,
                   .resource_account = v->account,
                   .resource_policy = v->policy};
    int rc = call_authorize_ex(&c, &q);
    store_rollback(t);
    if (!rc) return INVOKE_ALLOWED;
    if (e.status >= 500) return -1;
    return strstr(e.message, "explicit deny") ? INVOKE_DENIED : INVOKE_IMPLICIT;
}

/* AWS's 403 for execute-api:Invoke refused by policy. */
static void invoke_refused(arena *a, stage_view *v, proto_response *resp, const principal *who,
                           const char *arn, int d)
{
    const char *msg = arena_printf(a,
                                   "User: %s is not authorized to perform: execute-api:Invoke "
                                   "on resource: %s%s",
                                   who && who->arn[0] ? who->arn : "anonymous", arn,
                                   d == INVOKE_DENIED ? " with an explicit deny" : "");
    gw_error(a, v, resp, "ACCESS_DENIED", 403, "AccessDeniedException", "Message",
             msg ? msg : "Forbidden");
}

/* 0 allowed; else resp answered. */
static int authorize_iam(ferry_env *env, arena *a, const svc_request *r, stage_view *v,
                         const char *arn, principal *who, proto_response *resp)
{
    ferr e = {0};
    int rc = r->signer ? r->signer(r, who, &e) : 1;
    if (rc == 1) {
        gw_error(a, v, resp, "MISSING_AUTHENTICATION_TOKEN", 403,
                 "MissingAuthenticationTokenException", "message", MISSING_TOKEN);
        return -1;
    }
    if (rc < 0) {
        gw_error(a, v, resp, "INVALID_SIGNATURE", 403, "UnrecognizedClientException", "message",
                 e.message[0] ? e.message
                              : "The security token included in the request is invalid.");
        return -1;
    }
    v->caller = who;
    int d = invoke_allowed(env, a, v, arn, who);
    if (d < 0) {
        gw_error(a, v, resp, "DEFAULT_5XX", 500, NULL, "message", "Internal server error");
        return -1;
    }
    if (d != INVOKE_ALLOWED) {
        invoke_refused(a, v, resp, who, arn, d);
        return -1;
    }
    return 0;
}

/* ---- authorization (CUSTOM: Lambda authorizers) ---- */

/* AWS: {"message": null} with the error type, for an authorizer that is misconfigured or
 * failed (the AUTHORIZER_CONFIGURATION_ERROR and AUTHORIZER_FAILURE gateway responses). */
static void authorizer_failed(arena *a, stage_view *v, proto_response *resp)
{
    gw_error(a, v, resp, "AUTHORIZER_FAILURE", 500, "AuthorizerConfigurationException", "message",
             NULL);
}

/* A dotted name in obj ("identity.sourceIp"), as a string, or NULL. */
static const char *dotted(arena *a, const json_t *obj, const char *name)
{
    const json_t *v = obj;
    for (const char *p = name; v && *p;) {
        size_t n = strcspn(p, ".");
        char *k = arena_strndup(a, p, n);
        v = k ? json_object_get(v, k) : NULL;
        p += n;
        if (*p) p++;
    }
    if (json_is_string(v)) return json_string_value(v);
    if (json_is_integer(v)) return arena_printf(a, "%lld", (long long)json_integer_value(v));
    return NULL;
}

/* An identity source's value: method.request.header.X, method.request.querystring.X,
 * stageVariables.X or context.X; NULL when the request has none. */
static const char *source_value(arena *a, const svc_request *r, const apigw_vtl_ctx *x,
                                const char *src, size_t n)
{
    char *s = arena_strndup(a, src, n);
    if (!s) return NULL;
    if (!strncmp(s, "method.request.header.", 22)) {
        for (char *p = s + 22; *p; p++) *p = (char)tolower((unsigned char)*p);
        return r->header(r, s + 22);
    }
    if (!strncmp(s, "method.request.querystring.", 27)) return proto_qs_param(a, r->query, s + 27);
    if (!strncmp(s, "stageVariables.", 15)) return jstr(x->stage_vars, s + 15);
    if (!strncmp(s, "context.", 8)) return dotted(a, x->context, s + 8);
    return NULL;
}

/* AWS: identityValidationExpression is a regular expression the whole token must match. */
static int token_valid(arena *a, const char *expr, const char *tok)
{
    if (!expr || !*expr) return 1;
    const char *anchored = arena_printf(a, "^(%s)$", expr);
    regex_t re;
    if (!anchored || regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB)) return 0;
    int ok = regexec(&re, tok, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

/* The authorizer's answer as the integration sees it (requestContext.authorizer,
 * $context.authorizer): principalId, the context's values as strings, and the latency. */
static json_t *authorizer_context(arena *a, const json_t *ans, long long latency_ms)
{
    json_t *o = json_pack("{s:s, s:I}", "principalId", jstr(ans, "principalId"),
                          "integrationLatency", (json_int_t)latency_ms);
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(ans, "context"), k, v) {
        const char *s = json_is_string(v)    ? json_string_value(v)
                        : json_is_boolean(v) ? (json_is_true(v) ? "true" : "false")
                        : json_is_integer(v)
                            ? arena_printf(a, "%lld", (long long)json_integer_value(v))
                        : json_is_real(v) ? arena_printf(a, "%g", json_real_value(v))
                                          : NULL;
        if (o && (!s || json_object_set_new(o, k, json_string(s)))) json_decref(o), o = NULL;
    }
    return o ? arena_defer_json(a, o) : NULL;
}

/* AWS: an answer needs a principalId and a policy document; context values are strings,
 * numbers or booleans. */
static int answer_ok(const json_t *ans)
{
    if (!json_is_object(ans) || !json_is_object(json_object_get(ans, "policyDocument")) ||
        !json_is_string(json_object_get(ans, "principalId")))
        return 0;
    json_t *ctx = json_object_get(ans, "context");
    if (ctx && !json_is_object(ctx) && !json_is_null(ctx)) return 0;
    const char *k;
    json_t *v;
    json_object_foreach(ctx, k, v) {
        if (json_is_object(v) || json_is_array(v)) return 0;
    }
    return 1;
}

/* 0 allowed (*authz the integration's view of the answer); else resp answered. */
static int authorize_custom(ferry_env *env, arena *a, const svc_request *r, stage_view *v,
                            const json_t *doc, const json_t *m, const apigw_proxy_req *pq,
                            const apigw_vtl_ctx *x, const char *method_arn, int policy_allows,
                            json_t **authz, const char **usage_key, proto_response *resp)
{
    const char *az_id = jstr(m, "authorizerId");
    const json_t *az = json_object_get(json_object_get(doc, "authorizers"), az_id ? az_id : "");
    const char *type = jstr(az, "type");
    long long ttl = jint(az, "authorizerResultTtlInSeconds", 0);
    if (!type || (strcmp(type, "TOKEN") && strcmp(type, "REQUEST"))) {
        /* COGNITO_USER_POOLS: not served */
        gw_error(a, v, resp, "AUTHORIZER_CONFIGURATION_ERROR", 500,
                 "AuthorizerConfigurationException", "message", NULL);
        return -1;
    }
    buf id;
    buf_init(&id, 0);
    json_t *ev = NULL;
    int missing = 0;
    if (!strcmp(type, "TOKEN")) {
        const char *src = jstr(az, "identitySource");
        const char *tok = src ? source_value(a, r, x, src, strlen(src)) : NULL;
        missing = !tok || !*tok || !token_valid(a, jstr(az, "identityValidationExpression"), tok);
        if (!missing) {
            buf_puts(&id, tok);
            ev = json_pack("{s:s, s:s, s:s}", "type", "TOKEN", "authorizationToken", tok,
                           "methodArn", method_arn);
        }
    } else {
        for (const char *p = jstr(az, "identitySource"); p && *p;) {
            p += strspn(p, " ");
            size_t n = strcspn(p, ","), t = n;
            while (t && p[t - 1] == ' ') t--;
            const char *val = source_value(a, r, x, p, t);
            /* AWS: with caching on, every identity source must be present and non-empty */
            if (!val || !*val) missing |= ttl > 0;
            buf_printf(&id, "%s\x1f", val ? val : "");
            p += n;
            if (*p) p++;
        }
        if (!missing && (ev = apigw_proxy_event(a, pq))) {
            json_object_del(ev, "body");
            json_object_del(ev, "isBase64Encoded");
            if (jset_str(ev, "type", "REQUEST") || jset_str(ev, "methodArn", method_arn))
                json_decref(ev), ev = NULL;
        }
    }
    const char *key = arena_printf(a, "%s/%s/%s", v->api_id, az_id, buf_str(&id));
    buf_dispose(&id);
    if (missing) {
        gw_error(a, v, resp, "UNAUTHORIZED", 401, "UnauthorizedException", "message",
                 "Unauthorized");
        json_decref(ev);
        return -1;
    }
    if (!ev || !key || !arena_defer_json(a, ev)) {
        authorizer_failed(a, v, resp);
        return -1;
    }
    double t0 = clock_now();
    json_t *ans = ttl > 0 ? apigw_authz_cached(key) : NULL;
    if (!ans) {
        const char *region = NULL;
        const char *fn =
            apigw_function_of(a, substitute(a, jstr(az, "authorizerUri"), x->stage_vars), &region);
        const char *src_arn =
            arena_printf(a, "arn:%s:execute-api:%s:%s:%s/authorizers/%s", arn_partition(v->region),
                         v->region, v->account, v->api_id, az_id);
        int rc = fn && src_arn
                     ? apigw_authz_invoke(env, a, v->account, fn, region,
                                          jstr(az, "authorizerCredentials"), src_arn, ev, &ans)
                     : -1;
        if (rc == APIGW_AUTHZ_UNAUTHORIZED) {
            gw_error(a, v, resp, "UNAUTHORIZED", 401, "UnauthorizedException", "message",
                     "Unauthorized");
            return -1;
        }
        if (rc || !answer_ok(ans)) {
            log_info("apigateway: %s/%s: authorizer %s failed or answered no valid policy",
                     v->api_id, v->stage, az_id);
            json_decref(ans);
            authorizer_failed(a, v, resp);
            return -1;
        }
        apigw_authz_remember(key, ans, ttl);
    }
    if (!arena_defer_json(a, ans)) {
        authorizer_failed(a, v, resp);
        return -1;
    }
    int d = apigw_authz_policy(a, json_object_get(ans, "policyDocument"), v->account, method_arn);
    if (d < 0) {
        authorizer_failed(a, v, resp);
        return -1;
    }
    /* AWS: an authorizer that allows nothing is overruled by a resource policy that allows
     * (same account; its explicit denies were looked for before the authorizer ran) */
    if (d != 1 && !(d == 0 && policy_allows)) {
        /* AWS's words for a policy that does not allow the method */
        gw_error(a, v, resp, "ACCESS_DENIED", 403, "AccessDeniedException", "Message",
                 d == 2 ? "User is not authorized to access this resource with an explicit deny"
                        : "User is not authorized to access this resource");
        return -1;
    }
    /* AWS: with apiKeySource AUTHORIZER, the key is the answer's usageIdentifierKey */
    *usage_key = jstr(ans, "usageIdentifierKey");
    *authz = authorizer_context(a, ans, (long long)((clock_now() - t0) * 1000));
    if (!*authz) {
        authorizer_failed(a, v, resp);
        return -1;
    }
    return 0;
}

/* ---- throttling ---- */

/* The stage's throttle for the method (its methodSettings "~1path/METHOD", else the
 * stage-wide "*" "/" "*" entry):
 * 1 and *rate, *burst when one is set, else 0. */
static int stage_limits(arena *a, const stage_view *v, const char *rpath, const char *method,
                        double *rate, long long *burst)
{
    const json_t *r = method_setting(a, v, rpath, method, "throttlingRateLimit"),
                 *b = method_setting(a, v, rpath, method, "throttlingBurstLimit");
    if (!json_is_number(r) && !json_is_number(b)) return 0;
    *rate = json_is_number(r) ? json_number_value(r) : 10000.0;
    *burst = json_is_number(b) ? (long long)json_number_value(b) : 5000;
    return 1;
}

/* ---- the execution log ---- */

/* obj as AWS's log shows a map: {name=value, other=value} */
static const char *java_map(arena *a, const json_t *obj)
{
    buf b;
    buf_init(&b, 0);
    buf_putc(&b, '{');
    const char *k;
    json_t *val;
    int first = 1;
    json_object_foreach((json_t *)obj, k, val) {
        buf_printf(&b, "%s%s=%s", first ? "" : ", ", k,
                   json_is_string(val) ? json_string_value(val) : "");
        first = 0;
    }
    buf_putc(&b, '}');
    const char *s = arena_strdup(a, buf_str(&b));
    buf_dispose(&b);
    return s ? s : "{}";
}

static void received(stage_view *v, const char *out, size_t len)
{
    xlog(v, XLOG_INFO, "Received response. Status: 200, Integration latency: %lld ms", v->integ_ms);
    xlog(v, XLOG_TRACE, "Endpoint response body before transformations: %.*s", (int)len, out);
}

/* The lines that close a request's log: its response and status. */
static void xlog_finish(arena *a, stage_view *v, const proto_response *resp)
{
    if (!v->xlines || !v->rpath) return;
    if (v->xtrace) {
        json_t *h = json_object();
        for (size_t i = 0; h && i < resp->nheaders; i++)
            if (json_object_set_new(h, resp->headers[i].name, json_string(resp->headers[i].value)))
                break;
        if (h && resp->content_type && jset_str(h, "Content-Type", resp->content_type))
            json_decref(h), h = NULL;
        xlog(v, XLOG_TRACE, "Method response body after transformations: %.*s", (int)resp->body.len,
             buf_str(&resp->body));
        xlog(v, XLOG_TRACE, "Method response headers: %s", h ? java_map(a, h) : "{}");
        json_decref(h);
    }
    if (!v->err_type) xlog(v, XLOG_INFO, "Successfully completed execution");
    xlog(v, resp->status >= 400 ? XLOG_ERROR : XLOG_INFO, "Method completed with status: %d",
         resp->status);
}

/* ---- the request ---- */

static int serve_stage(ferry_env *env, arena *a, const svc_request *r, stage_view *v,
                       const char *path, json_t *doc, proto_response *resp)
{
    const char *id = v->api_id, *stage = v->stage, *rid = v->rid;
    json_t *params = json_object();
    if (!params || !arena_defer_json(a, params)) {
        gw_error(a, v, resp, "DEFAULT_5XX", 500, NULL, "message", "Internal server error");
        return 1;
    }
    apigw_vtl_ctx x;
    vtl_context(a, r, v, rid, NULL, params, &x);
    v->x = &x;
    json_t *res = match(a, v->resources, path, params);
    json_t *methods = json_object_get(res, "resourceMethods");
    json_t *m = json_object_get(methods, r->method);
    if (!m) m = json_object_get(methods, "ANY");
    if (!m) {
        gw_error(a, v, resp, "MISSING_AUTHENTICATION_TOKEN", 403,
                 "MissingAuthenticationTokenException", "message", MISSING_TOKEN);
        return 1;
    }
    const char *rpath = jstr(res, "path");
    v->rpath = rpath;
    vtl_context(a, r, v, rid, res, params, &x);
    /* AWS: the method's logging settings decide what its execution log says */
    if (!v->test) {
        const char *lvl = json_string_value(method_setting(a, v, rpath, r->method, "loggingLevel"));
        v->xlevel = !lvl                    ? XLOG_OFF
                    : !strcmp(lvl, "INFO")  ? XLOG_INFO
                    : !strcmp(lvl, "ERROR") ? XLOG_ERROR
                                            : XLOG_OFF;
        v->xtrace = json_is_true(method_setting(a, v, rpath, r->method, "dataTraceEnabled"));
    }
    xlog(v, XLOG_INFO, "Extended Request Id: %s", rid);
    xlog(v, XLOG_INFO, "Starting execution for request: %s", rid);
    xlog(v, XLOG_INFO, "HTTP Method: %s, Resource Path: %s", r->method, path);
    if (v->xlines && v->xtrace) {
        xlog(v, XLOG_TRACE, "Method request path: %s", java_map(a, params));
        xlog(v, XLOG_TRACE, "Method request query string: %s", java_map(a, x.query));
        xlog(v, XLOG_TRACE, "Method request headers: %s", java_map(a, x.headers));
        xlog(v, XLOG_TRACE, "Method request body before transformations: %.*s", (int)r->body_len,
             (const char *)r->body);
    }
    const char *source_arn =
        arena_printf(a, "arn:%s:execute-api:%s:%s:%s/%s/%s%s", arn_partition(v->region), v->region,
                     v->account, id, stage, r->method, rpath);
    const char *invoke_arn =
        arena_printf(a, "arn:%s:execute-api:%s:%s:%s/%s/%s%s", arn_partition(v->region), v->region,
                     v->account, id, stage, r->method, path);
    if (!source_arn || !invoke_arn) {
        gw_error(a, v, resp, "DEFAULT_5XX", 500, NULL, "message", "Internal server error");
        return 1;
    }
    /* AWS: the account's throttle (every API of the account in the region), then the stage's
     * (or the method's), before anything else is done */
    double rate;
    long long burst;
    apigw_account_throttle(&rate, &burst);
    const char *ak = arena_printf(a, "account %s %s", v->account, v->region);
    if (!v->test && ak && !apigw_throttle_take(ak, rate, burst)) {
        gw_error(a, v, resp, "THROTTLED", 429, "TooManyRequestsException", "message",
                 "Too Many Requests");
        return 1;
    }
    if (!v->test && stage_limits(a, v, rpath, r->method, &rate, &burst)) {
        const char *bk = arena_printf(a, "%s/%s/%s %s", id, stage, r->method, rpath);
        if (bk && !apigw_throttle_take(bk, rate, burst)) {
            gw_error(a, v, resp, "THROTTLED", 429, "TooManyRequestsException", "message",
                     "Too Many Requests");
            return 1;
        }
    }
    principal who;
    const char *auth = jstr(m, "authorizationType");
    if (v->test) auth = "NONE";
    int iam = auth && !strcmp(auth, "AWS_IAM"), custom = auth && !strcmp(auth, "CUSTOM");
    if (iam && authorize_iam(env, a, r, v, invoke_arn, &who, resp)) return 1;
    /* AWS: without IAM authorization, the resource policy speaks for an anonymous caller;
     * before a Lambda authorizer runs, only its explicit denies count */
    int policy_allows = 0;
    if (!iam && v->policy && !v->test) {
        int d = invoke_allowed(env, a, v, invoke_arn, NULL);
        if (d < 0) {
            gw_error(a, v, resp, "DEFAULT_5XX", 500, NULL, "message", "Internal server error");
            return 1;
        }
        if (d == INVOKE_DENIED || (d != INVOKE_ALLOWED && !custom)) {
            invoke_refused(a, v, resp, NULL, invoke_arn, d);
            return 1;
        }
        policy_allows = d == INVOKE_ALLOWED;
    }
    json_t *integ = json_object_get(m, "methodIntegration");
    const char *type = jstr(integ, "type");
    apigw_proxy_req q = {.r = r,
                         .path = path,
                         .resource = rpath,
                         .resource_id = jstr(res, "id"),
                         .stage = stage,
                         .api_id = id,
                         .account = v->account,
                         .request_id = rid,
                         .domain = r->host,
                         .path_params = params,
                         .stage_vars = json_object_get(v->stage_doc, "variables"),
                         .binary_types = json_object_get(v->api, "binaryMediaTypes"),
                         .caller = iam ? &who : NULL};
    json_t *authz = NULL;
    int keyed = jbool(m, "apiKeyRequired", 0) && !v->test;
    const char *from_authorizer = NULL;
    if (custom) {
        if (authorize_custom(env, a, r, v, doc, m, &q, &x, invoke_arn, policy_allows, &authz,
                             &from_authorizer, resp))
            return 1;
        /* the integration sees the answer: requestContext.authorizer, $context.authorizer */
        q.authorizer = authz;
        v->authz = authz;
        if (json_object_set((json_t *)x.context, "authorizer", authz)) {
            gw_error(a, v, resp, "DEFAULT_5XX", 500, NULL, "message", "Internal server error");
            return 1;
        }
    }
    /* AWS: after authorization, the API key (apiKeySource HEADER: x-api-key; AUTHORIZER:
     * what the Lambda authorizer answered) */
    const char *src = jstr(v->api, "apiKeySource");
    const char *key =
        src && !strcmp(src, "AUTHORIZER") ? from_authorizer : r->header(r, "x-api-key");
    int st = keyed ? apigw_usage_check(env, v->account, v->region, id, stage, key,
                                       arena_printf(a, "%s/%s", rpath, r->method))
                   : 0;
    if (st) {
        if (st == APIGW_USAGE_THROTTLED)
            gw_error(a, v, resp, "THROTTLED", 429, "TooManyRequestsException", "message",
                     "Too Many Requests");
        else if (st == 429)
            gw_error(a, v, resp, "QUOTA_EXCEEDED", 429, "LimitExceededException", "message",
                     "Limit Exceeded");
        else if (st == 403)
            gw_error(a, v, resp, "INVALID_API_KEY", 403, "ForbiddenException", "message",
                     "Forbidden");
        else
            gw_error(a, v, resp, "DEFAULT_5XX", 500, NULL, "message", "Internal server error");
        return 1;
    }
    /* AWS: then the request validator's checks */
    const char *vmsg = NULL, *vdetail = NULL;
    int bad = apigw_request_check(a, r, m, v->validators, v->models, params, &vmsg, &vdetail);
    if (bad == APIGW_BAD_BODY)
        xlog(v, XLOG_ERROR, "Request body does not match model schema for content type %s: %s",
             apigw_media_type(a, r), vdetail);
    else if (bad == APIGW_BAD_PARAMETERS)
        xlog(v, XLOG_ERROR, "Request validation failed: %s", vmsg);
    if (bad) {
        v->verr = vdetail;
        if (bad == APIGW_BAD_PARAMETERS)
            gw_error(a, v, resp, "BAD_REQUEST_PARAMETERS", 400, "BadRequestException", "message",
                     vmsg);
        else if (bad == APIGW_BAD_BODY)
            gw_error(a, v, resp, "BAD_REQUEST_BODY", 400, "BadRequestException", "message", vmsg);
        else
            gw_error(a, v, resp, "DEFAULT_5XX", 500, NULL, "message", "Internal server error");
        return 1;
    }
    double ti = clock_now();
    if (!type) {
        gw_error(a, v, resp, "DEFAULT_5XX", 500, NULL, "message", "Internal server error");
    } else if (!strcmp(type, "MOCK")) {
        mock(a, integ, &x, resp);
    } else if (!strcmp(type, "AWS_PROXY") || !strcmp(type, "AWS")) {
        int proxy = !strcmp(type, "AWS_PROXY");
        const char *payload = NULL;
        size_t len = 0;
        if (proxy) {
            json_t *ev = apigw_proxy_event(a, &q);
            char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
            json_decref(ev);
            payload = text ? arena_strdup(a, text) : NULL;
            free(text);
            len = payload ? strlen(payload) : 0;
        } else {
            /* AWS (non-proxy): the request template rendered, else the body as it came */
            const char *tpl = template_for(json_object_get(integ, "requestTemplates"));
            buf b;
            buf_init(&b, 0);
            if (tpl && !apigw_vtl_render(a, tpl, &x, &b)) {
                payload = arena_strndup(a, buf_str(&b), b.len);
                len = b.len;
            } else if (!tpl) {
                payload = r->body_len ? (const char *)r->body : "{}";
                len = r->body_len ? r->body_len : 2;
            }
            buf_dispose(&b);
        }
        const char *out, *msg;
        size_t out_len = 0;
        int status;
        if (payload) {
            xlog(v, XLOG_INFO, "Endpoint request URI: %s", jstr(integ, "uri"));
            xlog(v, XLOG_TRACE, "Endpoint request body after transformations: %.*s", (int)len,
                 payload);
            xlog(v, XLOG_INFO, "Sending request to %s", jstr(integ, "uri"));
        }
        if (!payload) {
            gw_error(a, v, resp, "DEFAULT_5XX", 500, NULL, "message", "Internal server error");
        } else if (invoke(env, a, v, integ, source_arn, payload, len, &out, &out_len, &status,
                          &msg)) {
            v->integ_ms = (long long)((clock_now() - ti) * 1000);
            v->integ_status = status == 504 ? 0 : 200;
            xlog(v, XLOG_ERROR, "%s",
                 status == 504   ? "Execution failed due to a timeout error"
                 : status == 502 ? "Lambda execution failed with status 200 due to customer "
                                   "function error"
                                 : "Execution failed due to configuration error: Invalid "
                                   "permissions on Lambda function");
            gw_error(a, v, resp, status == 504 ? "INTEGRATION_TIMEOUT" : "DEFAULT_5XX", status,
                     NULL, "message", msg);
        } else if (proxy) {
            v->integ_ms = (long long)((clock_now() - ti) * 1000);
            v->integ_status = 200;
            received(v, out, out_len);
            if (apigw_proxy_response(a, out, out_len, resp)) {
                log_info("apigateway: %s/%s: malformed Lambda proxy response", id, stage);
                xlog(v, XLOG_ERROR,
                     "Execution failed due to configuration error: Malformed Lambda proxy "
                     "response");
                gw_error(a, v, resp, "DEFAULT_5XX", 502, NULL, "message", "Internal server error");
            }
        } else {
            v->integ_ms = (long long)((clock_now() - ti) * 1000);
            v->integ_status = 200;
            received(v, out, out_len);
            const json_t *ir = pick_response(integ, "");
            apigw_vtl_ctx ox = x;
            ox.body = out, ox.body_len = out_len;
            if (ir) {
                respond(a, ir, &ox, resp);
            } else {
                proto_response_init(resp);
                resp->content_type = "application/json";
                buf_put(&resp->body, out, out_len);
            }
        }
    } else if (!strcmp(type, "HTTP_PROXY")) {
        const char *uri =
            substitute(a, jstr(integ, "uri"), json_object_get(v->stage_doc, "variables"));
        if (uri) {
            xlog(v, XLOG_INFO, "Sending request to %s", uri);
            apigw_http_proxy(a, r, uri, params, (long)jint(integ, "timeoutInMillis", 29000), resp);
            v->integ_ms = (long long)((clock_now() - ti) * 1000);
            v->integ_status = resp->status;
            xlog(v, XLOG_INFO, "Received response. Status: %d, Integration latency: %lld ms",
                 resp->status, v->integ_ms);
        } else {
            gw_error(a, v, resp, "DEFAULT_5XX", 500, NULL, "message", "Internal server error");
        }
    } else {
        gw_error(a, v, resp, "DEFAULT_5XX", 500, NULL, "message", "Internal server error");
    }
    return 1;
}

/* The access log's $context for a request served (AWS's variables; "-" for the rest). */
static json_t *log_context(arena *a, const stage_view *v, const svc_request *r, const char *path,
                           const proto_response *resp)
{
    char clf[40];
    time_t t0 = (time_t)v->t0;
    struct tm tm;
    gmtime_r(&t0, &tm);
    strftime(clf, sizeof(clf), "%d/%b/%Y:%H:%M:%S +0000", &tm);
    const char *ip = svc_request_source_ip(r);
    json_t *ctx = json_pack(
        "{s:s, s:s, s:s, s:s, s:I, s:s, s:s?, s:s, s:s, s:s, s:s, s:s?, s:s, s:i, s:I, s:I,"
        " s:{s:s?, s:s?, s:s?, s:s?, s:s?}, s:{s:s?, s:s?, s:s?, s:s?}}",
        "requestId", v->rid, "extendedRequestId", v->rid, "apiId", v->api_id, "requestTime", clf,
        "requestTimeEpoch", (json_int_t)(v->t0 * 1000), "httpMethod", r->method, "resourcePath",
        v->rpath, "path", arena_printf(a, "/%s%s", v->stage, path), "stage", v->stage, "accountId",
        v->account, "protocol", "HTTP/1.1", "domainName", r->host, "wafResponseCode", "-", "status",
        resp->status, "responseLength", (json_int_t)resp->body.len, "responseLatency",
        (json_int_t)((clock_now() - v->t0) * 1000), "identity", "sourceIp", ip && *ip ? ip : NULL,
        "userAgent", svc_request_user_agent(r), "caller", v->caller ? v->caller->userid : NULL,
        "user", v->caller ? v->caller->userid : NULL, "userArn", v->caller ? v->caller->arn : NULL,
        "error", "message", v->err_msg, "responseType", v->err_type, "messageString", NULL,
        "validationErrorString", v->verr);
    if (!ctx) return NULL;
    json_t *err = json_object_get(ctx, "error");
    if (v->err_msg) {
        json_t *m = json_string(v->err_msg);
        char *ms = m ? json_dumps(m, JSON_ENCODE_ANY) : NULL;
        json_decref(m);
        if (ms && json_object_set_new(err, "messageString", json_string(ms))) ms = NULL;
        free(ms);
    }
    if (v->integ_ms >= 0) {
        char st[8];
        snprintf(st, sizeof(st), "%d", v->integ_status);
        if (json_object_set_new(ctx, "integrationLatency", json_integer(v->integ_ms)) ||
            json_object_set_new(ctx, "integrationStatus", json_string(st)) ||
            json_object_set_new(
                ctx, "integration",
                json_pack("{s:s, s:I}", "status", st, "latency", (json_int_t)v->integ_ms)))
            return arena_defer_json(a, ctx);
    }
    if (v->authz && json_object_set(ctx, "authorizer", (json_t *)v->authz))
        return arena_defer_json(a, ctx);
    return arena_defer_json(a, ctx);
}

static int serve(ferry_env *env, arena *a, const svc_request *r, const char *api_id,
                 const char *rest, proto_response *resp)
{
    char rid[37];
    ids_uuid(rid);
    /* API ids are lowercase; hosts are case-insensitive */
    char *id = arena_strdup(a, api_id);
    if (!id) return 0;
    for (char *p = id; *p; p++) *p = (char)tolower((unsigned char)*p);
    while (*rest == '/') rest++;
    size_t sl = strcspn(rest, "/");
    const char *stage = arena_strndup(a, rest, sl), *path = rest[sl] ? rest + sl : "/";
    stage_view v = {.api_id = id,
                    .stage = stage,
                    .path = path,
                    .r = r,
                    .rid = rid,
                    .t0 = clock_now(),
                    .integ_ms = -1};
    store_txn *t = NULL;
    ferr e = {0};
    json_t *doc = NULL;
    if (!stage || store_begin(env->st, 0, &t, &e)) {
        apigw_answer(a, resp, 500, NULL, "Internal server error");
        return 1;
    }
    int rc = load_api(env, t, a, id, &doc, &v.account, &v.region);
    store_rollback(t);
    if (rc == 0) return 0; /* not a REST API: an HTTP API may answer for the id */
    if (rc < 0) {
        apigw_answer(a, resp, 500, NULL, "Internal server error");
        return 1;
    }
    v.api = json_object_get(doc, "api");
    v.stage_doc = json_object_get(json_object_get(doc, "stages"), stage);
    json_t *dep =
        json_object_get(json_object_get(doc, "deployments"), jstr(v.stage_doc, "deploymentId"));
    v.resources = json_object_get(dep, "_resources");
    v.policy = jstr(dep, "_policy");
    v.responses = json_object_get(dep, "_gatewayResponses");
    v.models = json_object_get(dep, "_models");
    v.validators = json_object_get(dep, "_requestValidators");
    if (!v.stage_doc || !v.resources || jbool(v.api, "disableExecuteApiEndpoint", 0)) {
        apigw_answer(a, resp, 403, "ForbiddenException", "Forbidden");
        return 1;
    }
    buf xl;
    buf_init(&xl, 0);
    v.xlines = &xl;
    serve_stage(env, a, r, &v, path, doc, resp);
    proto_response_header(a, resp, "x-amzn-RequestId", rid);
    /* AWS: a method with logging on writes its execution log to the stage's group */
    xlog_finish(a, &v, resp);
    if (xl.len) {
        const char *group = arena_printf(a, "API-Gateway-Execution-Logs_%s/%s", id, stage);
        const char *pair = arena_printf(a, "%s/%s", id, stage);
        char stream[33];
        enc_md5_hex(pair ? pair : "", pair ? strlen(pair) : 0, stream);
        for (char *p = (char *)buf_str(&xl), *nl; group && *p; p = nl + 1) {
            nl = strchr(p, '\n');
            *nl = 0;
            const char *line = arena_printf(a, "(%s) %s", rid, p);
            if (line) apigw_logs_put(v.account, v.region, group, stream, line);
        }
    }
    buf_dispose(&xl);
    /* AWS: a stage with access log settings writes a line per request to its group */
    const json_t *als = json_object_get(v.stage_doc, "accessLogSettings");
    const char *dest = jstr(als, "destinationArn"), *fmt = jstr(als, "format");
    if (dest && fmt) {
        json_t *ctx = log_context(a, &v, r, path, resp);
        buf line;
        buf_init(&line, 0);
        const char *stream = arena_printf(a, "%s_%s", id, stage);
        if (ctx && stream && !apigw_accesslog_render(fmt, ctx, &line))
            apigw_accesslog_write(v.account, dest, stream, buf_str(&line));
        buf_dispose(&line);
    }
    return 1;
}

int apigw_serve(ferry_env *env, arena *a, const svc_request *r, proto_response *resp)
{
    return serve(env, a, r, r->host_label, r->path, resp);
}

int apigw_serve_path(ferry_env *env, arena *a, const svc_request *r, proto_response *resp)
{
    const char *slash = strchr(r->rest, '/');
    const char *id = slash ? arena_strndup(a, r->rest, (size_t)(slash - r->rest)) : r->rest;
    if (!id || !*id) return 0;
    return serve(env, a, r, id, slash ? slash : "", resp);
}

/* ---- TestInvokeMethod, TestInvokeAuthorizer ----
 * Both run in a read transaction (flags.list): the data plane opens its own, and the
 * function runs with the store's writer free, as it does for a request. */

static const char *test_header(const svc_request *r, const char *lname)
{
    return hdr_find(r->headers, r->nheaders, lname);
}

static char *lower_dup(arena *a, const char *s)
{
    char *l = arena_strdup(a, s);
    for (char *p = l; p && *p; p++) *p = (char)tolower((unsigned char)*p);
    return l;
}

/* The request a test describes (pathWithQueryString, headers, multiValueHeaders, body),
 * in c's arena. */
static int test_request(call *c, const json_t *in, const char *method, const char *dflt_path,
                        svc_request *r)
{
    const char *pq = jstr(in, "pathWithQueryString");
    if (!pq || !*pq) pq = dflt_path;
    size_t pl = strcspn(pq, "?");
    const json_t *hs = json_object_get(in, "headers"),
                 *mh = json_object_get(in, "multiValueHeaders");
    size_t n = json_object_size(hs), k = 0;
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)mh, name, v) n += json_array_size(v);
    hdr *h = arena_alloc(c->a, (n ? n : 1) * sizeof(*h));
    if (!h) return ferr_oom(c->err);
    json_object_foreach((json_t *)hs, name, v) {
        char *l = lower_dup(c->a, name);
        if (!l) return ferr_oom(c->err);
        h[k++] = (hdr){l, json_string_value(v) ? json_string_value(v) : ""};
    }
    json_object_foreach((json_t *)mh, name, v) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            char *l = lower_dup(c->a, name);
            if (!l) return ferr_oom(c->err);
            h[k++] = (hdr){l, json_string_value(x) ? json_string_value(x) : ""};
        }
    }
    const char *body = jstr(in, "body");
    *r = (svc_request){.method = method,
                       .host = "test-invoke.execute-api.localhost",
                       .path = arena_strndup(c->a, pq, pl),
                       .query = pq[pl] ? pq + pl + 1 : "",
                       .body = (const unsigned char *)(body ? body : ""),
                       .body_len = body ? strlen(body) : 0,
                       .client = call_client_of(c),
                       .header = test_header,
                       .headers = h,
                       .nheaders = k};
    return r->path ? 0 : ferr_oom(c->err);
}

/* The stage a test runs in: its stageVariables. */
static json_t *test_stage(call *c, const json_t *in)
{
    json_t *vars = json_object_get(in, "stageVariables");
    json_t *st = json_pack("{s:s, s:o}", "stageName", "test-invoke-stage", "variables",
                           vars ? json_deep_copy(vars) : json_object());
    return st ? arena_defer_json(c->a, st) : NULL;
}

/* AWS's test log: "Execution log for request ID", then each line after its time
 * ("Sat Dec 05 12:00:00 UTC 2026 : Starting execution for request: ID"). */
static const char *test_log(arena *a, const char *rid, const char *lines)
{
    char when[40];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%a %b %d %H:%M:%S UTC %Y", &tm);
    buf b;
    buf_init(&b, 0);
    buf_printf(&b, "Execution log for request %s\n", rid);
    for (const char *p = lines; *p;) {
        size_t n = strcspn(p, "\n");
        buf_printf(&b, "%s : %.*s\n", when, (int)n, p);
        p += n + (p[n] != 0);
    }
    const char *s = arena_strdup(a, buf_str(&b));
    buf_dispose(&b);
    return s;
}

int apigateway_op_test_invoke_method(call *c, json_t *in, json_t **out)
{
    const char *rid_in = jstr(in, "resourceId"), *verb = jstr(in, "httpMethod");
    const char *suffix = arena_printf(c->a, "/resources/%s/methods/%s", rid_in, verb);
    json_t *doc;
    if (!suffix) return ferr_oom(c->err);
    if (apigw_open(c, in, "POST", suffix, &doc) < 0) return -1;
    json_t *res = apigw_resource(c, doc, rid_in);
    if (!res) return -1;
    json_t *methods = json_object_get(res, "resourceMethods");
    if (!json_object_get(methods, verb) && !json_object_get(methods, "ANY"))
        return apigw_not_found(c, "Invalid Method identifier specified");
    svc_request r;
    char rid[37];
    ids_uuid(rid);
    if (test_request(c, in, verb, jstr(res, "path"), &r)) return -1;
    stage_view v = {.account = c->account,
                    .region = c->region,
                    .api_id = jstr(in, "restApiId"),
                    .stage = "test-invoke-stage",
                    .api = json_object_get(doc, "api"),
                    .stage_doc = test_stage(c, in),
                    .resources = json_object_get(doc, "resources"),
                    .responses = json_object_get(doc, "gatewayResponses"),
                    .models = json_object_get(doc, "models"),
                    .validators = json_object_get(doc, "requestValidators"),
                    .path = r.path,
                    .r = &r,
                    .rid = rid,
                    .t0 = clock_now(),
                    .integ_ms = -1,
                    .test = 1};
    if (!v.stage_doc) return ferr_oom(c->err);
    /* AWS: a test's log is the execution log at INFO with the data traced */
    buf xl;
    buf_init(&xl, 0);
    v.xlines = &xl, v.xlevel = XLOG_INFO, v.xtrace = 1;
    proto_response resp;
    proto_response_init(&resp);
    serve_stage(c->env, c->a, &r, &v, r.path, doc, &resp);
    xlog_finish(c->a, &v, &resp);
    json_t *h = json_object(), *mh = json_object();
    if (h && resp.content_type && jset_str(h, "Content-Type", resp.content_type))
        json_decref(h), h = NULL;
    for (size_t i = 0; h && mh && i < resp.nheaders; i++) {
        const char *k = resp.headers[i].name, *val = resp.headers[i].value;
        json_t *list = json_object_get(mh, k);
        if (!list && (json_object_set_new(mh, k, list = json_array()) || !list)) c->oom = 1;
        if (jset_str(h, k, val) || json_array_append_new(list, json_string(val))) c->oom = 1;
    }
    long long ms = (long long)((clock_now() - v.t0) * 1000);
    const char *log = test_log(c->a, rid, buf_str(&xl));
    buf_dispose(&xl);
    json_t *o =
        h && mh ? json_pack("{s:i, s:s%, s:o, s:o, s:s, s:I}", "status", resp.status, "body",
                            buf_str(&resp.body), resp.body.len, "headers", h, "multiValueHeaders",
                            mh, "log", log ? log : "", "latency", (json_int_t)ms)
                : NULL;
    if (!o) json_decref(h), json_decref(mh);
    buf_dispose(&resp.body);
    *out = o;
    return o ? 0 : ferr_oom(c->err);
}

int apigateway_op_test_invoke_authorizer(call *c, json_t *in, json_t **out)
{
    const char *az_id = jstr(in, "authorizerId");
    const char *suffix = arena_printf(c->a, "/authorizers/%s", az_id);
    json_t *doc;
    if (!suffix) return ferr_oom(c->err);
    if (apigw_open(c, in, "POST", suffix, &doc) < 0) return -1;
    const json_t *az = json_object_get(json_object_get(doc, "authorizers"), az_id);
    if (!az) return apigw_not_found(c, "Invalid Authorizer identifier specified");
    const char *type = jstr(az, "type");
    if (!type || (strcmp(type, "TOKEN") && strcmp(type, "REQUEST")))
        return apigw_bad(c, "Authorizer type %s cannot be tested", type ? type : "");
    svc_request r;
    char rid[37];
    ids_uuid(rid);
    if (test_request(c, in, "GET", "/", &r)) return -1;
    const char *api_id = jstr(in, "restApiId");
    stage_view v = {.account = c->account,
                    .region = c->region,
                    .api_id = api_id,
                    .stage = "test-invoke-stage",
                    .api = json_object_get(doc, "api"),
                    .stage_doc = test_stage(c, in),
                    .path = r.path,
                    .r = &r,
                    .rid = rid,
                    .t0 = clock_now(),
                    .integ_ms = -1};
    if (!v.stage_doc) return ferr_oom(c->err);
    apigw_vtl_ctx x;
    json_t *params = json_object();
    if (!params || !arena_defer_json(c->a, params)) return ferr_oom(c->err);
    vtl_context(c->a, &r, &v, rid, NULL, params, &x);
    /* AWS: the method ARN a test shows the authorizer */
    const char *method_arn =
        arena_printf(c->a,
                     "arn:%s:execute-api:%s:%s:%s/ESTestInvoke-stage/ESTestInvoke-method/"
                     "ESTestInvoke-resource-path",
                     arn_partition(c->region), c->region, c->account, api_id);
    json_t *ev = NULL;
    int status = 0;
    if (!strcmp(type, "TOKEN")) {
        const char *src = jstr(az, "identitySource");
        const char *tok = src ? source_value(c->a, &r, &x, src, strlen(src)) : NULL;
        if (!tok || !*tok || !token_valid(c->a, jstr(az, "identityValidationExpression"), tok))
            status = 401;
        else
            ev = json_pack("{s:s, s:s, s:s}", "type", "TOKEN", "authorizationToken", tok,
                           "methodArn", method_arn);
    } else {
        apigw_proxy_req pq = {.r = &r,
                              .path = r.path,
                              .resource = r.path,
                              .stage = v.stage,
                              .api_id = api_id,
                              .account = c->account,
                              .request_id = rid,
                              .domain = r.host,
                              .path_params = params,
                              .stage_vars = json_object_get(v.stage_doc, "variables")};
        if ((ev = apigw_proxy_event(c->a, &pq))) {
            json_object_del(ev, "body");
            json_object_del(ev, "isBase64Encoded");
            if (jset_str(ev, "type", "REQUEST") || jset_str(ev, "methodArn", method_arn))
                json_decref(ev), ev = NULL;
        }
    }
    if (!status && (!ev || !arena_defer_json(c->a, ev))) return ferr_oom(c->err);
    json_t *ans = NULL;
    if (!status) {
        const char *region = NULL;
        const char *uri = substitute(c->a, jstr(az, "authorizerUri"), x.stage_vars);
        const char *fn = uri ? apigw_function_of(c->a, uri, &region) : NULL;
        const char *src_arn =
            arena_printf(c->a, "arn:%s:execute-api:%s:%s:%s/authorizers/%s",
                         arn_partition(c->region), c->region, c->account, api_id, az_id);
        int rc = fn && src_arn
                     ? apigw_authz_invoke(c->env, c->a, c->account, fn, region,
                                          jstr(az, "authorizerCredentials"), src_arn, ev, &ans)
                     : -1;
        if (ans && !arena_defer_json(c->a, ans)) return ferr_oom(c->err);
        /* AWS: clientStatus 0 when the authorizer answered */
        status = rc == APIGW_AUTHZ_UNAUTHORIZED ? 401 : rc || !answer_ok(ans) ? 500 : 0;
    }
    long long ms = (long long)((clock_now() - v.t0) * 1000);
    char *policy =
        !status ? json_dumps(json_object_get(ans, "policyDocument"), JSON_COMPACT) : NULL;
    const char *log = arena_printf(c->a,
                                   "Execution log for request %s\nStarting authorizer: %s for "
                                   "request: %s\nAuthorizer completed with client status: %d\n",
                                   rid, az_id, rid, status);
    json_t *o =
        json_pack("{s:i, s:s, s:I, s:s?, s:s?, s:{}}", "clientStatus", status, "log",
                  log ? log : "", "latency", (json_int_t)ms, "principalId",
                  status ? NULL : jstr(ans, "principalId"), "policy", policy, "authorization");
    free(policy);
    *out = o;
    return o ? 0 : ferr_oom(c->err);
}
