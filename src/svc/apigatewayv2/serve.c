/* Serving HTTP APIs: API_ID.execute-api.localhost[:port]/[STAGE/]PATH and
 * /_ferry/execute-api/API_ID/[STAGE/]PATH. A request finds its stage (a first path segment
 * naming one, else $default), the deployment the stage serves, its route (AWS's order: the
 * most specific path, the method before ANY, a greedy {proxy+} last, then $default), the
 * route's authorizer (JWT) and its integration: a Lambda function (payload format 2.0,
 * invoked as apigateway.amazonaws.com so that the function's policy decides) or an HTTP
 * endpoint (HTTP_PROXY). CORS preflights are answered from the API's CorsConfiguration.
 * AWS's own answers are {"message": ...} JSON. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "apigatewayv2_int.h"
#include "base/arn.h"
#include "base/clock.h"
#include "base/gencache.h"
#include "base/thread.h"
#include "base/enc.h"
#include "base/ids.h"
#include "base/log.h"
#include "auth/jwt.h"
#include "svc/apigateway/accesslog.h"
#include "svc/apigateway/lambdaauth.h"
#include "svc/apigateway/proxy.h"
#include "svc/apigateway/throttle.h"
#include "svc/httpc.h"
#include "proto/codec.h"
#include "proto/pcommon.h"
#include "svc/session.h"

#define JWKS_TTL       300.0    /* seconds a fetched key set is trusted */
#define JWKS_MAX       1048576  /* bytes of a discovery document or key set */
#define HTTP_PROXY_MAX 10485760 /* AWS: 10 MB payload */

typedef struct req {
    ferry_env *env;
    arena *a;
    const svc_request *r;
    json_t *doc; /* the API's document (arena) */
    const char *api_id, *account, *region;
    const char *stage;                /* its name */
    json_t *st;                       /* the stage */
    const char *path;                 /* what follows the stage, starts with '/' */
    const char *raw_path;             /* the whole path as sent (AWS: rawPath keeps the stage) */
    json_t *routes, *integs, *authzs; /* what the stage serves */
    json_t *route;
    const char *route_key;
    json_t *params; /* path parameters (arena), or NULL */
    const char *request_id;
    const char *err_msg; /* the error answered, for the access log */
} req;

static void answer(req *q, proto_response *resp, int status, const char *message)
{
    q->err_msg = message;
    proto_response_init(resp);
    resp->status = status;
    resp->content_type = "application/json";
    json_t *m = json_pack("{s:s}", "message", message);
    char *s = m ? json_dumps(m, JSON_COMPACT) : NULL;
    buf_puts(&resp->body, s ? s : "{}");
    free(s);
    json_decref(m);
    if (q->request_id) proto_response_header(q->a, resp, "apigw-requestid", q->request_id);
}

/* ---- finding the API ---- */

/* APIs' documents and where they live, as last read: parsing the API (its routes, stages
 * and deployments) for each request was a fifth of the data plane's work. Read-only. */
static gencache_static api_cache = SVC_DOC_CACHE(1024);

/* 1: found (q filled), 0: no HTTP API has that id, -1: the store failed. */
static int find_api(req *q, const char *id)
{
    store_txn *t = NULL;
    ferr e = {0};
    json_t *where = NULL, *doc = NULL;
    gencache *cache = gencache_of(&api_cache);
    if (!q->env->st || store_begin(q->env->st, 0, &t, &e)) return -1;
    store_key hk = {APIGWV2_HOST_KIND, "", "", id};
    int rc = svc_doc_shared(t, q->a, cache, &hk, &where, &e);
    store_key k = {APIGWV2_KIND, jstr(where, "Account"), jstr(where, "Region"), id};
    if (rc > 0 && k.account && k.region) rc = svc_doc_shared(t, q->a, cache, &k, &doc, &e);
    store_rollback(t);
    if (rc <= 0 || !doc) return rc < 0 ? -1 : 0;
    const char *proto = jstr(json_object_get(doc, "Api"), "ProtocolType");
    if (!proto || strcmp(proto, "HTTP")) return 0;
    q->doc = doc;
    q->api_id = arena_strdup(q->a, id);
    q->account = k.account;
    q->region = k.region;
    return q->api_id ? 1 : -1;
}

/* The stage: a first segment naming one, else $default (then the path is whole). */
static int pick_stage(req *q, const char *path)
{
    json_t *stages = json_object_get(q->doc, "Stages");
    const char *seg = path + 1, *slash = strchr(seg, '/');
    size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
    char *name = arena_strndup(q->a, seg, n);
    if (!name) return -1;
    json_t *st = n && strcmp(name, "$default") ? json_object_get(stages, name) : NULL;
    if (st) {
        q->stage = name;
        q->path = slash ? slash : "/";
    } else if ((st = json_object_get(stages, "$default"))) {
        q->stage = "$default";
        q->path = path;
    } else {
        return 0;
    }
    q->st = st;
    const char *dep = jstr(st, "DeploymentId");
    json_t *snap = json_object_get(
        json_object_get(json_object_get(q->doc, "Deployments"), dep ? dep : ""), "_Snapshot");
    if (!snap) return 0; /* AWS: a stage with nothing deployed serves nothing */
    q->routes = json_object_get(snap, "Routes");
    q->integs = json_object_get(snap, "Integrations");
    q->authzs = json_object_get(snap, "Authorizers");
    return 1;
}

/* ---- route selection ---- */

/* Path segments of p ("/a/b" -> "a", "b"; "/" none), at most max. */
static size_t segments(arena *a, const char *p, const char **out, size_t max)
{
    size_t n = 0;
    if (!strcmp(p, "/")) return 0;
    for (const char *s = p + 1; n < max; n++) {
        const char *slash = strchr(s, '/');
        out[n] = arena_strndup(a, s, slash ? (size_t)(slash - s) : strlen(s));
        if (!slash) return n + 1;
        s = slash + 1;
    }
    return n;
}

#define MAX_SEGS 64

typedef struct match {
    int score[MAX_SEGS + 1]; /* per template segment: 3 literal, 2 {param}, 1 {greedy+} */
    size_t nscore;
    int exact_method;
} match;

/* 1 when the template path tpl matches the request's segments (params filled), else 0. */
static int match_path(req *q, const char *tpl, const char **segs, size_t nseg, match *m,
                      json_t *params)
{
    const char *ts[MAX_SEGS];
    size_t nt = segments(q->a, tpl, ts, MAX_SEGS);
    m->nscore = 0;
    for (size_t i = 0; i < nt; i++) {
        const char *t = ts[i];
        size_t tl = t ? strlen(t) : 0;
        if (!t) return 0;
        int var = tl > 2 && t[0] == '{' && t[tl - 1] == '}';
        int greedy = var && t[tl - 2] == '+';
        if (greedy) {
            if (i >= nseg || i + 1 != nt) return 0;
            buf b;
            buf_init(&b, 0);
            for (size_t j = i; j < nseg; j++) buf_printf(&b, "%s%s", j > i ? "/" : "", segs[j]);
            size_t dl;
            char *v = enc_url_decode(q->a, buf_str(&b), b.len, 0, &dl);
            buf_dispose(&b);
            char *name = arena_strndup(q->a, t + 1, tl - 3);
            if (!v || !name || json_object_set_new(params, name, json_string(v))) return 0;
            m->score[m->nscore++] = 1;
            return 1;
        }
        if (i >= nseg) return 0;
        if (var) {
            size_t dl;
            char *v = enc_url_decode(q->a, segs[i], strlen(segs[i]), 0, &dl);
            char *name = arena_strndup(q->a, t + 1, tl - 2);
            if (!v || !name || !*segs[i] || json_object_set_new(params, name, json_string(v)))
                return 0;
            m->score[m->nscore++] = 2;
        } else {
            if (strcmp(t, segs[i])) return 0;
            m->score[m->nscore++] = 3;
        }
    }
    return nt == nseg;
}

/* 1 when a is a better match than b (AWS: the most specific route wins). */
static int better(const match *a, const match *b)
{
    for (size_t i = 0; i < a->nscore && i < b->nscore; i++)
        if (a->score[i] != b->score[i]) return a->score[i] > b->score[i];
    if (a->nscore != b->nscore) return a->nscore > b->nscore;
    return a->exact_method > b->exact_method;
}

static int select_route(req *q)
{
    const char *segs[MAX_SEGS];
    size_t nseg = segments(q->a, q->path, segs, MAX_SEGS);
    for (size_t i = 0; i < nseg; i++)
        if (!segs[i]) return -1;
    match best = {0}, m;
    const char *k;
    json_t *rt;
    json_object_foreach(q->routes, k, rt) {
        const char *rk = jstr(rt, "RouteKey"), *sp = rk ? strchr(rk, ' ') : NULL;
        if (!sp) continue;
        size_t ml = (size_t)(sp - rk);
        int any = ml == 3 && !strncmp(rk, "ANY", 3);
        if (!any && (strlen(q->r->method) != ml || strncmp(rk, q->r->method, ml))) continue;
        json_t *params = json_object();
        memset(&m, 0, sizeof(m));
        m.exact_method = !any;
        if (params && match_path(q, sp + 1, segs, nseg, &m, params) &&
            (!q->route || better(&m, &best))) {
            best = m;
            q->route = rt;
            q->route_key = rk;
            json_decref(q->params);
            q->params = params;
        } else {
            json_decref(params);
        }
    }
    if (!q->route) {
        json_object_foreach(q->routes, k, rt)
            if (!strcmp(jstr(rt, "RouteKey"), "$default")) {
                q->route = rt;
                q->route_key = "$default";
            }
    }
    if (q->params && !arena_defer_json(q->a, q->params)) return -1;
    return q->route ? 1 : 0;
}

/* ---- CORS ---- */

static int origin_allowed(const json_t *cors, const char *origin)
{
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(cors, "AllowOrigins"), i, o) {
        const char *s = json_string_value(o);
        if (s && (!strcmp(s, "*") || !strcasecmp(s, origin))) return 1;
    }
    return 0;
}

static const char *joined(arena *a, const json_t *list)
{
    buf b;
    buf_init(&b, 0);
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) buf_printf(&b, "%s%s", i ? "," : "", json_string_value(x));
    const char *s = b.len ? arena_strdup(a, buf_str(&b)) : NULL;
    buf_dispose(&b);
    return s;
}

/* The CORS headers of a response to origin (AWS: those of the integration are replaced). */
static void cors_headers(req *q, proto_response *resp, int preflight)
{
    const json_t *cors = json_object_get(json_object_get(q->doc, "Api"), "CorsConfiguration");
    const char *origin = q->r->header(q->r, "origin");
    if (!cors || !origin || !origin_allowed(cors, origin)) return;
    /* AWS: the backend's own Access-Control-* headers give way to the API's */
    size_t w = 0;
    for (size_t i = 0; i < resp->nheaders; i++)
        if (strncasecmp(resp->headers[i].name, "access-control-", 15))
            resp->headers[w++] = resp->headers[i];
    resp->nheaders = w;
    int creds = jbool(cors, "AllowCredentials", 0);
    int star = !creds && origin_allowed(cors, "*"); /* AWS: "*" answers "*" */
    proto_response_header(q->a, resp, "Access-Control-Allow-Origin", star ? "*" : origin);
    if (creds) proto_response_header(q->a, resp, "Access-Control-Allow-Credentials", "true");
    const char *v;
    if (preflight) {
        if ((v = joined(q->a, json_object_get(cors, "AllowMethods"))))
            proto_response_header(q->a, resp, "Access-Control-Allow-Methods", v);
        if ((v = joined(q->a, json_object_get(cors, "AllowHeaders"))))
            proto_response_header(q->a, resp, "Access-Control-Allow-Headers", v);
        json_t *age = json_object_get(cors, "MaxAge");
        if (json_is_integer(age) && json_integer_value(age) >= 0)
            proto_response_header(q->a, resp, "Access-Control-Max-Age",
                                  arena_printf(q->a, "%lld", (long long)json_integer_value(age)));
    } else if ((v = joined(q->a, json_object_get(cors, "ExposeHeaders")))) {
        proto_response_header(q->a, resp, "Access-Control-Expose-Headers", v);
    }
}

/* ---- JWT authorizers ---- */

static struct {
    pthread_mutex_t mu;
    struct {
        char *issuer;
        json_t *jwks;
        double at;
    } e[16];
    unsigned next;
} J = {.mu = PTHREAD_MUTEX_INITIALIZER};

void apigwv2_forget(void)
{
    gencache_clear(gencache_of(&api_cache));
    pthread_mutex_lock(&J.mu);
    for (size_t i = 0; i < sizeof(J.e) / sizeof(J.e[0]); i++) {
        free(J.e[i].issuer);
        json_decref(J.e[i].jwks);
        J.e[i].issuer = NULL;
        J.e[i].jwks = NULL;
    }
    pthread_mutex_unlock(&J.mu);
}

static json_t *get_json(arena *a, const char *url)
{
    httpc_resp r;
    int rc = httpc_do(a, "GET", url, NULL, 0, NULL, 0, 5000, JWKS_MAX, &r);
    json_t *j = !rc && r.status == 200 ? json_loadb(r.body.p, r.body.len, 0, NULL) : NULL;
    buf_dispose(&r.body);
    if (j && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* The issuer's key set (a new reference), from the cache or its discovery document. */
static json_t *jwks_for(arena *a, const char *issuer)
{
    double now = clock_now();
    json_t *ks = NULL;
    pthread_mutex_lock(&J.mu);
    for (size_t i = 0; i < sizeof(J.e) / sizeof(J.e[0]) && !ks; i++)
        if (J.e[i].issuer && !strcmp(J.e[i].issuer, issuer) && now - J.e[i].at < JWKS_TTL)
            ks = json_incref(J.e[i].jwks);
    pthread_mutex_unlock(&J.mu);
    if (ks) return ks;
    size_t il = strlen(issuer);
    const char *disc = arena_printf(a, "%.*s/.well-known/openid-configuration",
                                    (int)(il && issuer[il - 1] == '/' ? il - 1 : il), issuer);
    json_t *d = disc ? get_json(a, disc) : NULL;
    const char *uri = jstr(d, "jwks_uri");
    ks = uri ? get_json(a, uri) : NULL;
    json_decref(d);
    if (!ks) return NULL;
    pthread_mutex_lock(&J.mu);
    unsigned i = J.next++ % (sizeof(J.e) / sizeof(J.e[0]));
    free(J.e[i].issuer);
    json_decref(J.e[i].jwks);
    J.e[i].issuer = strdup(issuer);
    J.e[i].jwks = json_incref(ks);
    J.e[i].at = now;
    pthread_mutex_unlock(&J.mu);
    return ks;
}

/* The identity source's value: "$request.header.NAME" or "$request.querystring.NAME". */
static const char *identity(req *q, const char *src)
{
    if (!src) return NULL;
    if (!strncmp(src, "$request.header.", 16)) {
        char name[128];
        snprintf(name, sizeof(name), "%s", src + 16);
        for (char *p = name; *p; p++)
            if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
        return q->r->header(q->r, name);
    }
    if (!strncmp(src, "$request.querystring.", 21))
        return proto_qs_param(q->a, q->r->query, src + 21);
    if (!strncmp(src, "$stageVariables.", 16))
        return jstr(json_object_get(q->st, "StageVariables"), src + 16);
    if (!strcmp(src, "$context.requestId")) return q->request_id;
    if (!strcmp(src, "$context.stage")) return q->stage;
    if (!strcmp(src, "$context.routeKey")) return q->route_key;
    if (!strcmp(src, "$context.apiId")) return q->api_id;
    if (!strcmp(src, "$context.identity.sourceIp")) return svc_request_source_ip(q->r);
    return NULL;
}

/* 0: allowed (*ctx the requestContext.authorizer, or NULL); else the status refused. */
static int authorize_jwt(req *q, json_t **ctx)
{
    *ctx = NULL;
    const char *type = jstr(q->route, "AuthorizationType");
    if (!type || strcmp(type, "JWT")) return 0;
    json_t *az = json_object_get(
        q->authzs, jstr(q->route, "AuthorizerId") ? jstr(q->route, "AuthorizerId") : "");
    if (!az) return 500;
    const json_t *jc = json_object_get(az, "JwtConfiguration");
    const char *issuer = jstr(jc, "Issuer");
    const char *tok =
        identity(q, json_string_value(json_array_get(json_object_get(az, "IdentitySource"), 0)));
    jwt t;
    if (!tok || !issuer || jwt_parse(q->a, tok, &t)) return 401;
    json_t *ks = jwks_for(q->a, issuer);
    int ok = ks && !jwt_verify(&t, ks);
    json_decref(ks);
    if (!ok) return 401;
    int rc = jwt_check(&t, issuer, json_object_get(jc, "Audience"),
                       json_object_get(q->route, "AuthorizationScopes"), clock_now());
    if (rc == -2) return 403;
    if (rc) return 401;
    /* AWS: the claims as strings (objects and arrays flattened to their JSON text) */
    json_t *claims = json_object();
    const char *k;
    json_t *v;
    int bad = !claims;
    json_object_foreach(t.claims, k, v) {
        char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        bad |= json_object_set_new(claims, k, json_string(s ? s : json_string_value(v)));
        free(s);
    }
    json_t *scopes = jwt_scopes(&t);
    *ctx = json_pack("{s:{s:o, s:o}}", "jwt", "claims", claims, "scopes",
                     scopes ? scopes : json_null());
    if (bad || !*ctx || !arena_defer_json(q->a, *ctx)) return 500;
    return 0;
}

/* ---- payload format 2.0 ---- */

static int text_type(const char *ct)
{
    if (!ct) return 1;
    return !strncasecmp(ct, "text/", 5) || strcasestr(ct, "json") || strcasestr(ct, "xml") ||
           strcasestr(ct, "javascript") || strcasestr(ct, "x-www-form-urlencoded");
}

static json_t *event_v2(req *q, json_t *authorizer)
{
    const svc_request *r = q->r;
    json_t *headers = json_object(), *cookies = json_array(), *qs = json_object();
    const char *name, *value;
    int bad = !headers || !cookies || !qs;
    for (size_t i = 0; i < r->nheaders; i++) {
        name = r->headers[i].name;
        value = r->headers[i].value;
        if (!strcmp(name, "cookie")) { /* AWS: cookies apart, one per pair */
            for (const char *p = value; *p;) {
                p += strspn(p, " ;");
                size_t n = strcspn(p, ";");
                while (n && p[n - 1] == ' ') n--;
                if (n) bad |= json_array_append_new(cookies, json_stringn(p, n));
                p += n;
                p += strcspn(p, ";");
            }
            continue;
        }
        const char *had = jstr(headers, name);
        bad |= json_object_set_new(headers, name,
                                   had ? json_string(arena_printf(q->a, "%s,%s", had, value))
                                       : json_string(value));
    }
    size_t i = 0, kl, vl;
    const char *k, *v;
    ferr e = {0};
    while (proto_qs_next(q->a, r->query, strlen(r->query), &i, &k, &kl, &v, &vl, &e) == 1) {
        char *key = arena_strndup(q->a, k, kl);
        const char *had = key ? jstr(qs, key) : NULL;
        if (key)
            bad |= json_object_set_new(
                qs, key,
                had ? json_string(arena_printf(q->a, "%s,%.*s", had, (int)vl, v))
                    : json_stringn(v, vl));
    }
    double now = clock_now();
    time_t ts = (time_t)now;
    struct tm tm;
    gmtime_r(&ts, &tm);
    char when[40];
    strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
    const char *host = r->host ? r->host : "";
    size_t hl = strcspn(host, ":");
    const char *ua = r->header(r, "user-agent");
    json_t *ev = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:{s:s, s:s, s:s%, s:s%, s:{s:s, s:s, s:s, s:s, s:s}, s:s, "
        "s:s, s:s, s:s, s:I}, s:b}",
        "version", "2.0", "routeKey", q->route_key, "rawPath", q->raw_path, "rawQueryString",
        r->query, "headers", headers, "requestContext", "accountId", q->account, "apiId", q->api_id,
        "domainName", host, hl, "domainPrefix", host, strcspn(host, ".:"), "http", "method",
        r->method, "path", q->raw_path, "protocol", "HTTP/1.1", "sourceIp",
        svc_request_source_ip(r), "userAgent", ua ? ua : "", "requestId", q->request_id, "routeKey",
        q->route_key, "stage", q->stage, "time", when, "timeEpoch", (json_int_t)(now * 1000),
        "isBase64Encoded", 0);
    if (!ev) {
        json_decref(cookies);
        json_decref(qs);
        return NULL;
    }
    if (json_array_size(cookies)) bad |= json_object_set(ev, "cookies", cookies);
    if (json_object_size(qs)) bad |= json_object_set(ev, "queryStringParameters", qs);
    if (json_object_size(q->params)) bad |= json_object_set(ev, "pathParameters", q->params);
    json_t *sv = json_object_get(q->st, "StageVariables");
    if (json_object_size(sv)) bad |= json_object_set(ev, "stageVariables", sv);
    if (authorizer)
        bad |= json_object_set(json_object_get(ev, "requestContext"), "authorizer", authorizer);
    json_decref(cookies);
    json_decref(qs);
    if (r->body_len) {
        const char *ct = r->header(r, "content-type");
        int text = text_type(ct) && enc_utf8_valid((const char *)r->body, r->body_len);
        const char *body = text ? arena_strndup(q->a, (const char *)r->body, r->body_len)
                                : enc_b64(q->a, r->body, r->body_len);
        bad |= json_object_set_new(ev, "body", json_string(body)) ||
               json_object_set_new(ev, "isBase64Encoded", json_boolean(!text));
    }
    if (bad) {
        json_decref(ev);
        return NULL;
    }
    return ev;
}

/* ---- payload format 1.0 ---- */

/* The REST APIs' proxy event with HTTP APIs' differences (AWS, "Payload format version"):
 * a "version", path and requestContext.path as sent (the stage included), the route's path
 * as resource and resourcePath, its key as resourceId, and the authorizer's output (a JWT's
 * claims and scopes directly under authorizer). */
static json_t *event_v1(req *q, json_t *authorizer)
{
    const char *sp = strchr(q->route_key, ' ');
    const char *resource = sp ? sp + 1 : q->route_key;
    json_t *jwt = json_object_get(authorizer, "jwt");
    json_t *az = jwt ? jwt : authorizer;
    json_t *none = az ? NULL : json_pack("{s:n, s:n}", "claims", "scopes");
    if (!az && (!none || !arena_defer_json(q->a, none))) return NULL;
    apigw_proxy_req p = {.r = q->r,
                         .path = q->raw_path,
                         .resource = resource,
                         .resource_id = q->route_key,
                         .stage = q->stage,
                         .api_id = q->api_id,
                         .account = q->account,
                         .request_id = q->request_id,
                         .domain = q->r->host,
                         .path_params = q->params,
                         .stage_vars = json_object_get(q->st, "StageVariables"),
                         .authorizer = az ? az : none,
                         .version = "1.0",
                         .ctx_path = q->raw_path};
    return apigw_proxy_event(q->a, &p);
}

/* ---- Lambda authorizers ---- */

/* The event a REQUEST authorizer gets: the integration's event of that format, without the
 * body, with its type, the route's ARN and the identity (AWS, "Lambda authorizer payload
 * format"). */
static json_t *authorizer_event(req *q, const char *pfv, const char *arn, json_t *ids)
{
    int v1 = !strcmp(pfv, "1.0");
    json_t *ev = v1 ? event_v1(q, NULL) : event_v2(q, NULL);
    if (!ev) return NULL;
    json_object_del(ev, "body");
    json_object_del(ev, "isBase64Encoded");
    json_object_del(json_object_get(ev, "requestContext"), "authorizer");
    int bad = jset_str(ev, "type", "REQUEST") || jset_str(ev, v1 ? "methodArn" : "routeArn", arn);
    if (v1) {
        /* 1.0: the identity as one comma-separated string */
        buf b;
        buf_init(&b, 0);
        size_t i;
        json_t *x;
        json_array_foreach(ids, i, x) buf_printf(&b, "%s%s", i ? "," : "", json_string_value(x));
        bad |= jset_str(ev, "identitySource", buf_str(&b));
        buf_dispose(&b);
    } else {
        bad |= json_object_set(ev, "identitySource", ids);
    }
    if (bad) json_decref(ev), ev = NULL;
    return ev;
}

/* 0: allowed (*ctx the requestContext.authorizer); else the status refused. */
static int authorize_lambda(req *q, json_t **ctx)
{
    *ctx = NULL;
    const char *az_id = jstr(q->route, "AuthorizerId");
    json_t *az = json_object_get(q->authzs, az_id ? az_id : "");
    const char *pfv = jstr(az, "AuthorizerPayloadFormatVersion");
    const char *fn = apigwv2_lambda_arn(q->a, jstr(az, "AuthorizerUri"));
    if (!az || !fn || !pfv) return 500;
    long long ttl = jint(az, "AuthorizerResultTtlInSeconds", 0);
    json_t *ids = json_array();
    if (!ids || !arena_defer_json(q->a, ids)) return 500;
    buf key;
    buf_init(&key, 0);
    buf_printf(&key, "v2/%s/%s/", q->api_id, az_id);
    size_t i;
    json_t *src;
    int missing = 0;
    json_array_foreach(json_object_get(az, "IdentitySource"), i, src) {
        const char *v = identity(q, json_string_value(src));
        /* AWS: a request without one of the identity sources is refused unseen */
        if (!v || !*v) missing = 1;
        if (v && json_array_append_new(ids, json_string(v))) missing = -1;
        buf_printf(&key, "%s\x1f", v ? v : "");
    }
    const char *k = arena_strdup(q->a, buf_str(&key));
    buf_dispose(&key);
    if (missing) return missing < 0 ? 500 : 401;
    const char *arn =
        arena_printf(q->a, "arn:%s:execute-api:%s:%s:%s/%s/%s%s", arn_partition(q->region),
                     q->region, q->account, q->api_id, q->stage, q->r->method, q->path);
    json_t *ans = ttl > 0 && k ? apigw_authz_cached(k) : NULL;
    if (!ans) {
        json_t *ev = arn ? authorizer_event(q, pfv, arn, ids) : NULL;
        const char *src_arn =
            arena_printf(q->a, "arn:%s:execute-api:%s:%s:%s/authorizers/%s",
                         arn_partition(q->region), q->region, q->account, q->api_id, az_id);
        const char *rp = arn_rest(fn, "lambda"), *colon = rp ? strchr(rp, ':') : NULL;
        const char *region = colon ? arena_strndup(q->a, rp, (size_t)(colon - rp)) : NULL;
        int rc = ev && src_arn && region
                     ? apigw_authz_invoke(q->env, q->a, q->account, fn, region,
                                          jstr(az, "AuthorizerCredentialsArn"), src_arn, ev, &ans)
                     : -1;
        json_decref(ev);
        if (rc == APIGW_AUTHZ_UNAUTHORIZED) return 401;
        if (rc || !json_is_object(ans)) {
            json_decref(ans);
            log_info("apigatewayv2: %s: authorizer %s failed", q->api_id, az_id);
            return 500;
        }
        if (k) apigw_authz_remember(k, ans, ttl);
    }
    if (!arena_defer_json(q->a, ans)) return 500;
    json_t *lctx = json_object_get(ans, "context");
    if (lctx && !json_is_object(lctx)) return 500;
    if (jbool(az, "EnableSimpleResponses", 0)) {
        json_t *ok = json_object_get(ans, "isAuthorized");
        if (!json_is_boolean(ok)) return 500;
        if (!json_is_true(ok)) return 403;
    } else {
        /* the IAM policy format: its document decides for the route's ARN */
        int d = apigw_authz_policy(q->a, json_object_get(ans, "policyDocument"), q->account, arn);
        if (d < 0 || !json_is_string(json_object_get(ans, "principalId"))) return 500;
        if (d != 1) return 403;
    }
    *ctx = lctx ? json_pack("{s:O}", "lambda", lctx) : json_pack("{s:{}}", "lambda");
    if (!*ctx || !arena_defer_json(q->a, *ctx)) return 500;
    return 0;
}

/* Sets resp from a 2.0 result: 0, or -1 when it is malformed (AWS: 500). */
static int result_v2(req *q, const char *payload, size_t len, proto_response *resp)
{
    json_t *j = json_loadb(payload, len, JSON_DECODE_ANY, NULL);
    if (!j) return -1;
    proto_response_init(resp);
    if (!json_is_object(j) || !json_object_get(j, "statusCode")) {
        /* AWS: valid JSON without a statusCode is the body of a 200 */
        resp->content_type = "application/json";
        buf_put(&resp->body, payload, len);
        json_decref(j);
        return 0;
    }
    json_t *sc = json_object_get(j, "statusCode");
    long long status = json_is_integer(sc)  ? json_integer_value(sc)
                       : json_is_string(sc) ? atoll(json_string_value(sc))
                                            : 0;
    json_t *body = json_object_get(j, "body");
    if (status < 100 || status > 599 || (body && !json_is_string(body) && !json_is_null(body))) {
        json_decref(j);
        return -1;
    }
    resp->status = (int)status;
    resp->content_type = "application/json";
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(j, "headers"), k, v) {
        char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY);
        const char *val = s ? s : json_string_value(v);
        if (!strcasecmp(k, "content-type"))
            resp->content_type = arena_strdup(q->a, val);
        else if (strcasecmp(k, "content-length") && strcasecmp(k, "transfer-encoding"))
            proto_response_header(q->a, resp, k, val);
        free(s);
    }
    size_t i;
    json_array_foreach(json_object_get(j, "cookies"), i, v)
        if (json_is_string(v))
            proto_response_header(q->a, resp, "Set-Cookie", json_string_value(v));
    if (json_is_string(body)) {
        const char *b = json_string_value(body);
        size_t bl = json_string_length(body);
        if (jbool(j, "isBase64Encoded", 0)) {
            unsigned char *raw = enc_unb64(q->a, b, bl, &bl);
            if (!raw) {
                json_decref(j);
                return -1;
            }
            buf_put(&resp->body, raw, bl);
        } else {
            buf_put(&resp->body, b, bl);
        }
    }
    json_decref(j);
    return 0;
}

/* The execute-api ARN of this request, as functions' permissions name it:
 * arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH ($default route: /$default). */
static const char *source_arn(req *q)
{
    const char *rk = q->route_key, *sp = strchr(rk, ' ');
    return arena_printf(q->a, "arn:%s:execute-api:%s:%s:%s/%s/%s%s", arn_partition(q->region),
                        q->region, q->account, q->api_id, q->stage, sp ? q->r->method : "$default",
                        sp ? sp + 1 : "");
}

/* An invocation the request waits for at most its integration's timeout (AWS: 30 s at
 * most). The function is not stopped when the request stops waiting: the invoking thread
 * ends with it and frees what it holds. */
#define INTEGRATION_MAX_MS 30000
#define INVOKE_TIMEOUT     (-2)

typedef struct invocation {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done, abandoned, rc;
    ferry_env *env;
    principal who;
    char region[32];
    json_t *in, *ctx, *out;
    ferr e;
} invocation;

static void invocation_free(invocation *v)
{
    json_decref(v->in);
    json_decref(v->ctx);
    json_decref(v->out);
    pthread_cond_destroy(&v->cv);
    pthread_mutex_destroy(&v->mu);
    free(v);
}

static void *invoke_main(void *arg)
{
    invocation *v = arg;
    json_t *out = NULL;
    ferr e = {0};
    int rc = svc_invoke(v->env, &v->who, v->region, "lambda", "Invoke", v->in, &out, v->ctx, &e);
    pthread_mutex_lock(&v->mu);
    v->rc = rc;
    v->out = out;
    v->e = e;
    v->done = 1;
    int gone = v->abandoned;
    pthread_cond_signal(&v->cv);
    pthread_mutex_unlock(&v->mu);
    if (gone) invocation_free(v);
    return NULL;
}

/* svc_invoke of lambda:Invoke (in and ctx stolen) within ms: 0 (*out new), -1 (*e), or
 * INVOKE_TIMEOUT. */
static int invoke_within(ferry_env *env, const principal *who, const char *region, json_t *in,
                         json_t *ctx, long long ms, json_t **out, ferr *e)
{
    invocation *v = calloc(1, sizeof(*v));
    if (!v) {
        json_decref(in);
        json_decref(ctx);
        return ferr_oom(e);
    }
    pthread_mutex_init(&v->mu, NULL);
    pthread_cond_init(&v->cv, NULL);
    v->env = env;
    v->who = *who;
    snprintf(v->region, sizeof(v->region), "%s", region);
    v->in = in;
    v->ctx = ctx;
    if (thread_start_detached(invoke_main, v)) {
        invocation_free(v);
        return ferr_internal(e, "cannot start the invocation");
    }
    if (ms <= 0 || ms > INTEGRATION_MAX_MS) ms = INTEGRATION_MAX_MS;
    struct timespec until = clock_deadline((double)ms / 1000.0);
    pthread_mutex_lock(&v->mu);
    while (!v->done)
        if (pthread_cond_timedwait(&v->cv, &v->mu, &until)) break;
    if (!v->done) {
        v->abandoned = 1; /* invoke_main frees it */
        pthread_mutex_unlock(&v->mu);
        return INVOKE_TIMEOUT;
    }
    pthread_mutex_unlock(&v->mu);
    int rc = v->rc;
    *out = v->out;
    v->out = NULL;
    *e = v->e;
    invocation_free(v);
    return rc;
}

static int run_lambda(req *q, json_t *integ, json_t *authorizer, proto_response *resp)
{
    const char *fn = apigwv2_lambda_arn(q->a, jstr(integ, "IntegrationUri"));
    const char *pfv = jstr(integ, "PayloadFormatVersion");
    if (!fn) return 500;
    int v1 = pfv && !strcmp(pfv, "1.0");
    json_t *ev = v1 ? event_v1(q, authorizer) : event_v2(q, authorizer);
    char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    const char *b64 = text ? enc_b64(q->a, (const unsigned char *)text, strlen(text)) : NULL;
    free(text);
    const char *sarn = source_arn(q);
    if (!b64 || !sarn) return 500;
    json_t *in = json_pack("{s:s, s:s}", "FunctionName", fn, "Payload", b64);
    json_t *ctx = json_pack("{s:s, s:s}", "aws:SourceArn", sarn, "aws:SourceAccount", q->account);
    principal p;
    session_service_principal(&p, "apigateway.amazonaws.com", q->account);
    /* AWS: a function in the API's region (the ARN's own region otherwise refused) */
    char region[32];
    const char *rp = arn_rest(fn, "lambda"), *colon = rp ? strchr(rp, ':') : NULL;
    snprintf(region, sizeof(region), "%.*s", colon ? (int)(colon - rp) : 0, rp ? rp : "");
    json_t *out = NULL;
    ferr e = {0};
    int rc = -1;
    if (in && ctx)
        rc = invoke_within(q->env, &p, region, in, ctx,
                           jint(integ, "TimeoutInMillis", INTEGRATION_MAX_MS), &out, &e);
    else
        json_decref(in), json_decref(ctx);
    if (rc == INVOKE_TIMEOUT) {
        log_info("apigatewayv2: %s: %s did not answer in time", q->api_id, fn);
        return 503;
    }
    if (rc) {
        log_info("apigatewayv2: %s: invoking %s failed: %s %s", q->api_id, fn, e.code, e.message);
        return 500;
    }
    const char *pl = jstr(out, "Payload");
    size_t len = 0;
    unsigned char *raw = pl ? enc_unb64(q->a, pl, strlen(pl), &len) : NULL;
    int failed = jstr(out, "FunctionError") != NULL;
    json_decref(out);
    if (!raw || failed) return 500;
    /* AWS: a malformed 1.0 answer is the integration's failure, 500 on HTTP APIs */
    if (v1 ? apigw_proxy_response(q->a, (const char *)raw, len, resp)
           : result_v2(q, (const char *)raw, len, resp))
        return 500;
    return 0;
}

static int run_http(req *q, json_t *integ, proto_response *resp)
{
    const svc_request *r = q->r;
    const char *uri = jstr(integ, "IntegrationUri"), *method = jstr(integ, "IntegrationMethod");
    if (!uri) return 500;
    if (!method || !strcmp(method, "ANY")) method = r->method;
    /* path parameters ({proxy}) named in the URI take the request's values */
    buf u;
    buf_init(&u, 0);
    for (const char *p = uri; *p;) {
        const char *open = strchr(p, '{'), *close = open ? strchr(open, '}') : NULL;
        if (!close) {
            buf_puts(&u, p);
            break;
        }
        buf_put(&u, p, (size_t)(open - p));
        char *name = arena_strndup(q->a, open + 1, (size_t)(close - open - 1));
        const char *v = name ? jstr(q->params, name) : NULL;
        if (v)
            buf_puts(&u, enc_url_encode(q->a, v, strlen(v), 1));
        else
            buf_put(&u, open, (size_t)(close - open + 1));
        p = close + 1;
    }
    if (*r->query) buf_printf(&u, "%s%s", strchr(buf_str(&u), '?') ? "&" : "?", r->query);
    const char *url = arena_strdup(q->a, buf_str(&u));
    buf_dispose(&u);
    httpc_header hs[64];
    size_t nh = httpc_pass_headers(r->headers, r->nheaders, hs, 63);
    hs[nh++] = (httpc_header){"x-forwarded-for", svc_request_source_ip(r)};
    long tmo = (long)jint(integ, "TimeoutInMillis", 30000);
    httpc_resp hr;
    int rc =
        url ? httpc_do(q->a, method, url, hs, nh, r->body, r->body_len, tmo, HTTP_PROXY_MAX, &hr)
            : HTTPC_FAILED;
    if (rc) {
        buf_dispose(&hr.body);
        log_info("apigatewayv2: %s: %s %s failed", q->api_id, method, url ? url : "");
        return rc == HTTPC_TIMEOUT ? 503 : 500; /* AWS: a timeout is 503 on HTTP APIs */
    }
    proto_response_init(resp);
    resp->status = (int)hr.status;
    resp->content_type = NULL;
    resp->body = hr.body; /* taken: the response disposes it */
    for (size_t i = 0; i < hr.nheaders; i++) {
        if (httpc_hop_header(hr.headers[i].name)) continue;
        if (!strcmp(hr.headers[i].name, "content-type"))
            resp->content_type = hr.headers[i].value;
        else
            proto_response_header(q->a, resp, hr.headers[i].name, hr.headers[i].value);
    }
    return 0;
}

/* ---- the request ---- */

static int serve_api(req *q, proto_response *resp);

/* AWS: the stage's RouteSettings for the route (else its DefaultRouteSettings) throttle it,
 * a token bucket per stage and route (in memory, as REST APIs'). 1 when throttled. */
static int throttled(req *q)
{
    const json_t *rs = json_object_get(json_object_get(q->st, "RouteSettings"), q->route_key);
    const json_t *ds = json_object_get(q->st, "DefaultRouteSettings");
    const json_t *r = json_object_get(rs, "ThrottlingRateLimit"),
                 *b = json_object_get(rs, "ThrottlingBurstLimit");
    if (!r) r = json_object_get(ds, "ThrottlingRateLimit");
    if (!b) b = json_object_get(ds, "ThrottlingBurstLimit");
    if (!json_is_number(r) && !json_is_number(b)) return 0;
    const char *key = arena_printf(q->a, "v2 %s/%s/%s", q->api_id, q->stage, q->route_key);
    return key && !apigw_throttle_take(key, json_is_number(r) ? json_number_value(r) : 10000.0,
                                       json_is_number(b) ? (long long)json_number_value(b) : 5000);
}

/* AWS: a stage with AccessLogSettings writes a line per request to its log group, the
 * format's $context variables as HTTP APIs name them. */
static void access_log(req *q, const proto_response *resp, double t0)
{
    const json_t *al = json_object_get(q->st, "AccessLogSettings");
    const char *dest = jstr(al, "DestinationArn"), *fmt = jstr(al, "Format");
    if (!dest || !fmt) return;
    char clf[40];
    time_t ts = (time_t)t0;
    struct tm tm;
    gmtime_r(&ts, &tm);
    strftime(clf, sizeof(clf), "%d/%b/%Y:%H:%M:%S +0000", &tm);
    const char *ip = svc_request_source_ip(q->r);
    const char *err = resp->status >= 400 ? q->err_msg : NULL;
    json_t *ctx = json_pack(
        "{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s?, s:s, s:s, s:s, s:s?, s:i, s:I, s:I,"
        " s:{s:s?, s:s?}, s:{s:s?}}",
        "requestId", q->request_id, "extendedRequestId", q->request_id, "apiId", q->api_id,
        "requestTime", clf, "requestTimeEpoch", (json_int_t)(t0 * 1000), "httpMethod", q->r->method,
        "path", q->raw_path, "routeKey", q->route_key, "stage", q->stage, "accountId", q->account,
        "protocol", "HTTP/1.1", "domainName", q->r->host, "status", resp->status, "responseLength",
        (json_int_t)resp->body.len, "responseLatency", (json_int_t)((clock_now() - t0) * 1000),
        "identity", "sourceIp", ip && *ip ? ip : NULL, "userAgent", svc_request_user_agent(q->r),
        "error", "message", err);
    buf line;
    buf_init(&line, 0);
    const char *stream = arena_printf(q->a, "%s_%s", q->api_id, q->stage);
    if (ctx && stream && !apigw_accesslog_render(fmt, ctx, &line))
        apigw_accesslog_write(q->account, dest, stream, buf_str(&line));
    buf_dispose(&line);
    json_decref(ctx);
}

static int serve(ferry_env *env, arena *a, const svc_request *r, const char *api_id,
                 const char *path, proto_response *resp)
{
    char rid[37];
    ids_uuid(rid);
    double t0 = clock_now();
    req q = {.env = env, .a = a, .r = r, .raw_path = path, .request_id = rid};
    int rc = find_api(&q, api_id);
    if (rc <= 0) {
        if (rc < 0) answer(&q, resp, 500, "Internal Server Error");
        return rc < 0; /* 0: not an HTTP API; another service's route may know it */
    }
    serve_api(&q, resp);
    if (q.st) access_log(&q, resp, t0);
    return 1;
}

static int serve_api(req *q, proto_response *resp)
{
    arena *a = q->a;
    const svc_request *r = q->r;
    const char *path = q->raw_path, *rid = q->request_id;
    int rc;
    /* AWS: a disabled default endpoint refuses every request */
    if (jbool(json_object_get(q->doc, "Api"), "DisableExecuteApiEndpoint", 0)) {
        answer(q, resp, 403, "Forbidden");
        return 1;
    }
    if (pick_stage(q, path) <= 0) {
        answer(q, resp, 404, "Not Found");
        return 1;
    }
    /* AWS: a preflight is answered by the API when CORS is configured, whatever the routes */
    const json_t *cors = json_object_get(json_object_get(q->doc, "Api"), "CorsConfiguration");
    if (cors && !strcmp(r->method, "OPTIONS") && r->header(r, "origin") &&
        r->header(r, "access-control-request-method")) {
        proto_response_init(resp);
        resp->status = 204;
        proto_response_header(a, resp, "apigw-requestid", rid);
        cors_headers(q, resp, 1);
        return 1;
    }
    int status = 0;
    rc = select_route(q);
    if (rc <= 0) {
        answer(q, resp, rc < 0 ? 500 : 404, rc < 0 ? "Internal Server Error" : "Not Found");
        cors_headers(q, resp, 0);
        return 1;
    }
    if (throttled(q)) {
        answer(q, resp, 429, "Too Many Requests");
        cors_headers(q, resp, 0);
        return 1;
    }
    json_t *authorizer = NULL;
    status = authorize_jwt(q, &authorizer);
    if (!status && jstr(q->route, "AuthorizationType") &&
        !strcmp(jstr(q->route, "AuthorizationType"), "CUSTOM"))
        status = authorize_lambda(q, &authorizer);
    const char *target = jstr(q->route, "Target");
    json_t *integ = !status && target && !strncmp(target, "integrations/", 13)
                        ? json_object_get(q->integs, target + 13)
                        : NULL;
    const char *type = jstr(integ, "IntegrationType");
    if (!status && !integ) status = 404;
    if (!status && !strcmp(type, "AWS_PROXY"))
        status = run_lambda(q, integ, authorizer, resp);
    else if (!status && !strcmp(type, "HTTP_PROXY"))
        status = run_http(q, integ, resp);
    else if (!status)
        status = 500;
    switch (status) {
    case 0: proto_response_header(a, resp, "apigw-requestid", rid); break;
    case 401: answer(q, resp, 401, "Unauthorized"); break;
    case 403: answer(q, resp, 403, "Forbidden"); break;
    case 404: answer(q, resp, 404, "Not Found"); break;
    case 503: answer(q, resp, 503, "Service Unavailable"); break;
    default: answer(q, resp, 500, "Internal Server Error");
    }
    cors_headers(q, resp, 0);
    return 1;
}

int apigwv2_serve_host(ferry_env *env, arena *a, const svc_request *r, proto_response *resp)
{
    const char *id = r->host_label;
    if (!id || !*id || strchr(id, '.')) return 0;
    char lid[16];
    size_t n = strlen(id);
    if (n >= sizeof(lid)) return 0;
    for (size_t i = 0; i <= n; i++)
        lid[i] = (char)((id[i] >= 'A' && id[i] <= 'Z') ? id[i] - 'A' + 'a' : id[i]);
    return serve(env, a, r, lid, r->path, resp);
}

int apigwv2_serve_path(ferry_env *env, arena *a, const svc_request *r, proto_response *resp)
{
    const char *slash = strchr(r->rest, '/');
    size_t n = slash ? (size_t)(slash - r->rest) : strlen(r->rest);
    char id[16];
    if (!n || n >= sizeof(id)) return 0;
    memcpy(id, r->rest, n);
    id[n] = 0;
    return serve(env, a, r, id, slash ? slash : "/", resp);
}
