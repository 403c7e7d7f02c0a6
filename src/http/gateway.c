#include "gateway.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/keys.h"
#include "auth/lastused.h"
#include "auth/regions.h"
#include "auth/sigv4.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "base/log.h"
#include "engine/audit.h"
#include "engine/waiters.h"
#include "http/console.h"
#include "http/upload.h"
#include "proto/rest.h"

#define FERRY_VERSION "0.1.0"

struct gateway {
    ferry_env *env;
};

gateway *gateway_new(ferry_env *env, ferr *e)
{
    gateway *g = calloc(1, sizeof(*g));
    if (!g) {
        ferr_oom(e);
        return NULL;
    }
    g->env = env;
    env->audit = auditq_new(env->st, e);
    env->waits = env->audit ? waiters_new() : NULL;
    if (!env->waits) {
        auditq_free(env->audit);
        env->audit = NULL;
        if (!ferr_isset(e)) ferr_oom(e);
        free(g);
        return NULL;
    }
    return g;
}

void gateway_free(gateway *g)
{
    if (!g) return;
    waiters_free(g->env->waits);
    g->env->waits = NULL;
    auditq_free(g->env->audit);
    g->env->audit = NULL;
    free(g);
}
static void json_response(proto_response *resp, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    resp->status = status;
    buf_init(&resp->body, 0);
    buf_puts(&resp->body, text ? text : "{}");
    free(text);
    resp->content_type = "application/json";
}

static call_client gateway_client(const hreq *r)
{
    return (call_client){.source_ip = r->source_ip,
                         .host = r->host,
                         .user_agent = hreq_header(r, "user-agent"),
                         .secure = r->secure};
}

/* What a route's view of the request (svc_request.impl) points to. */
typedef struct route_ctx {
    gateway *g;
    arena *a;
    const hreq *r;
} route_ctx;

static const char *view_header(const svc_request *v, const char *lname)
{
    return hreq_header(((const route_ctx *)v->impl)->r, lname);
}

static int authenticate(gateway *g, arena *a, const hreq *r, const sigv4_auth *sa, int has_auth,
                        principal *who, int *have_who, ferr *e);

static int view_signer(const svc_request *v, principal *who, ferr *e)
{
    const route_ctx *x = v->impl;
    sigv4_auth sa;
    int have_who = 0;
    int rc = sigv4_parse(x->a, x->r, &sa, e);
    if (rc) return rc;
    if (regions_check(sa.region, e)) return -1;
    return authenticate(x->g, x->a, x->r, &sa, 1, who, &have_who, e) ? -1 : 0;
}

/* r as a service route sees it (x outlives the view). */
static svc_request route_view(const route_ctx *x)
{
    const hreq *r = x->r;
    return (svc_request){.method = r->method,
                         .host = r->host,
                         .path = r->raw_path,
                         .query = r->raw_query,
                         .body = r->body,
                         .body_len = r->body_len,
                         .client = gateway_client(r),
                         .header = view_header,
                         .impl = x,
                         .headers = r->headers,
                         .nheaders = r->nheaders,
                         .signer = view_signer,
                         .creds = http_creds_parse(x->a, hreq_header(r, "authorization"))};
}

/* The URLs services serve themselves (svc_def routes), before the signed API. */
static int service_route(gateway *g, arena *a, const hreq *r, proto_response *resp)
{
    route_ctx x = {g, a, r};
    svc_request v = route_view(&x);
    return svc_route_dispatch(g->env, a, &v, resp);
}

/* 1 when r carries a valid signature of a known key (any service in its scope). */
static int signed_caller(gateway *g, arena *a, const hreq *r)
{
    sigv4_auth sa;
    principal who;
    int have_who = 0;
    ferr e = {0};
    return sigv4_parse(a, r, &sa, &e) == 0 &&
           authenticate(g, a, r, &sa, 1, &who, &have_who, &e) == 0;
}

static int ferry_endpoint(gateway *g, arena *a, const hreq *r, proto_response *resp)
{
    const char *p = r->raw_path;
    if (strncmp(p, "/_ferry/", 8)) return 0;
    if (console_serve(a, r, resp)) return 1;
    if (!strcmp(p, "/_ferry/health") && !strcmp(r->method, "GET")) {
        /* Anyone may ask whether ferry is up (503 while its store is unreachable, so a load
         * balancer can tell); what it runs on (the node, the store and its path, the auth
         * mode, its internals) is for callers with a key. */
        store_health sh;
        store_health_get(g->env->st, &sh);
        json_t *h = json_pack("{s:s, s:s}", "status", sh.reachable ? "ok" : "unavailable",
                              "version", FERRY_VERSION);
        if (h && signed_caller(g, a, r) &&
            (json_object_set_new(h, "uptime_seconds", json_real(clock_now() - g->env->started)) ||
             json_object_set_new(h, "node", json_string(store_node(g->env->st))) ||
             json_object_set_new(h, "store", json_string(store_describe(g->env->st))) ||
             json_object_set_new(h, "store_kind", json_string(sh.kind)) ||
             json_object_set_new(h, "store_reachable", json_boolean(sh.reachable)) ||
             json_object_set_new(h, "store_shared", json_boolean(sh.shared)) ||
             (sh.news_age >= 0 &&
              json_object_set_new(h, "store_news_age_ms", json_real(sh.news_age * 1000))) ||
             json_object_set_new(h, "auth", json_string(g->env->auth_open ? "open" : "strict")) ||
             json_object_set_new(
                 h, "parked_polls",
                 json_integer(g->env->waits ? (json_int_t)waiters_parked(g->env->waits) : 0)))) {
            json_decref(h);
            h = NULL;
        }
        json_response(resp, h ? (sh.reachable ? 200 : 503) : 500, h);
    } else if (!strcmp(p, "/_ferry/reset") && !strcmp(r->method, "POST")) {
        ferr e = {0};
        if (!g->env->auth_open)
            json_response(resp, 403,
                          json_pack("{s:s, s:s}", "__type", "AccessDenied", "message",
                                    "reset is only available with --auth open"));
        else if (store_reset(g->env->st, &e))
            json_response(resp, 500,
                          json_pack("{s:s, s:s}", "__type", e.code, "message", e.message));
        else {
            svc_reset_all();
            json_response(resp, 200, json_pack("{s:b}", "reset", 1));
        }
    } else {
        json_response(
            resp, 404,
            json_pack("{s:s, s:s}", "__type", "NotFound", "message", "no such ferry endpoint"));
    }
    return 1;
}

/* Resolves the caller from the signature into *who. 0, or -1 with e (*have_who tells
 * whether the account is known, so the refusal can be audited there); with
 * r->headers_only, 1 when nothing is refused but the signature covers the body. */
static int authenticate(gateway *g, arena *a, const hreq *r, const sigv4_auth *sa, int has_auth,
                        principal *who, int *have_who, ferr *e)
{
    if (g->env->auth_open) {
        /* Drop-in mode for tools built for other local clouds: any signature. A key ferry
         * issued (CreateAccessKey, AssumeRole, ferry init) is its own principal, authorized
         * as such, so a role's keys act in the role's account with the role's rights; an
         * unknown key is the default account's root, or the account its id names when it is
         * 12 digits. */
        key_info k;
        int known = has_auth ? keys_lookup_cached(g->env->st, sa->akid, &k, e) : 0;
        if (known < 0) return -1;
        if (known == 1 && k.active) {
            if (k.who.expires && clock_now() >= k.who.expires)
                return ferr_set(e, 400, "ExpiredToken",
                                "The security token included in the request is expired");
            *who = k.who;
            *have_who = 1;
            return 0;
        }
        const char *acct = g->env->default_account;
        if (has_auth && strlen(sa->akid) == 12 && strspn(sa->akid, "0123456789") == 12)
            acct = sa->akid;
        keys_root_principal(acct, who);
        if (has_auth) snprintf(who->akid, sizeof(who->akid), "%.63s", sa->akid);
        *have_who = 1;
        return 0;
    }
    if (!has_auth) return sigv4_missing(e);
    key_info k;
    int rc = keys_lookup_cached(g->env->st, sa->akid, &k, e);
    if (rc < 0) return -1;
    if (rc == 0 || !k.active)
        return ferr_set(e, 403, "InvalidClientTokenId",
                        "The security token included in the request is invalid.");
    *who = k.who;
    *have_who = 1;
    if (k.session_token[0]) {
        if (!sa->security_token || !enc_ct_equal(sa->security_token, k.session_token))
            return ferr_set(e, 403, "InvalidClientTokenId",
                            "The security token included in the request is invalid.");
        if (k.who.expires && clock_now() >= k.who.expires)
            return ferr_set(e, 400, "ExpiredToken",
                            "The security token included in the request is expired");
    }
    /* from the headers alone: 1 when the signature covers a body not read */
    if (r->headers_only || r->body_pending)
        return sigv4_verify_headers(a, r, sa, k.secret, clock_now(), e);
    return sigv4_verify(a, r, sa, k.secret, clock_now(), e);
}

/* 1 when a service serves r itself (svc_def routes): those URLs are not signed. With
 * *authenticated: 1 when that service accepts r's credentials from its headers
 * (route_preauth), else 0. */
static int is_service_route(gateway *g, arena *a, const hreq *r, int *authenticated)
{
    route_ctx x = {g, a, r};
    svc_request v = route_view(&x);
    *authenticated = 0;
    for (size_t i = 0; i < svc_ntables; i++) {
        const svc_def *d = svc_tables[i].def;
        for (size_t j = 0; j < d->nroutes; j++) {
            if (!svc_route_match(&d->routes[j], a, &v)) continue;
            *authenticated = d->route_preauth && d->route_preauth(g->env, a, &v) == 1;
            return 1;
        }
    }
    return 0;
}

int gateway_is_route(gateway *g, arena *a, const hreq *r)
{
    int authenticated;
    return is_service_route(g, a, r, &authenticated);
}

int gateway_preauth(gateway *g, arena *a, const hreq *r)
{
    int authenticated;
    if (is_service_route(g, a, r, &authenticated)) return authenticated ? 0 : 1;
    if (g->env->auth_open || !strncmp(r->raw_path, "/_ferry/", 8)) return 1;
    sigv4_auth sa;
    principal who;
    int have_who = 0;
    ferr e = {0};
    int rc = sigv4_parse(a, r, &sa, &e);
    if (rc) return rc < 0 ? -1 : 1;
    /* a region no request may be signed for is refused whatever the body (gateway_handle
     * answers it, as for any refusal from the headers) */
    if (regions_check(sa.region, &e)) return -1;
    hreq h = *r;
    h.headers_only = 1;
    return authenticate(g, a, &h, &sa, 1, &who, &have_who, &e);
}

/* The service and operation r names from its headers alone (rest protocols), for what the
 * server decides before the body: NULL svc when none; *op NULL when not known yet. */
static const proto_service *headers_op(gateway *g, arena *a, const hreq *r, const hreq **view,
                                       const proto_op **op)
{
    sigv4_auth sa;
    ferr e = {0};
    *op = NULL;
    int rc = sigv4_parse(a, r, &sa, &e);
    const proto_service *svc = proto_route(a, r, rc == 0 ? sa.service : NULL, &e);
    *view = svc ? proto_request_view(a, svc, r, g->env->s3_host, &e) : NULL;
    if (!*view) return NULL;
    if (svc->protocol == PROTO_REST_XML || svc->protocol == PROTO_REST_JSON)
        *op = proto_rest_match(a, svc, *view);
    return svc;
}

/* The body cap the service's svc_def declares for op, or 0. */
static size_t declared_limit(const proto_service *svc, const proto_op *op)
{
    const svc_def *d = svc && op ? svc_find_model(svc->stem) : NULL;
    for (size_t i = 0; d && i < d->nbody_limits; i++)
        if (!strcmp(d->body_limits[i].op, op->name)) return d->body_limits[i].bytes;
    return 0;
}

int gateway_body(gateway *g, arena *a, const hreq *r, size_t *limit)
{
    /* a service's own URLs take their bodies whole (an API Gateway stage's PUT is no S3
     * upload) */
    int authenticated;
    if (!strncmp(r->raw_path, "/_ferry/", 8) || is_service_route(g, a, r, &authenticated)) return 0;
    const hreq *view;
    const proto_op *op;
    const proto_service *svc = headers_op(g, a, r, &view, &op);
    size_t declared = declared_limit(svc, op);
    if (declared) *limit = declared;
    return g->env->blobs && svc && proto_op_streams_input(svc, op);
}

int gateway_streams(gateway *g, arena *a, const hreq *r)
{
    size_t limit = 0;
    return gateway_body(g, a, r, &limit);
}

int gateway_too_large(gateway *g, arena *a, const hreq *r, size_t limit, proto_response *resp)
{
    const hreq *view;
    const proto_op *op = NULL;
    const proto_service *svc =
        strncmp(r->raw_path, "/_ferry/", 8) ? headers_op(g, a, r, &view, &op) : NULL;
    if (!svc) return -1;
    char rid[37];
    ids_uuid(rid);
    ferr e = {0};
    if (declared_limit(svc, op) == limit) /* AWS's wording for its own cap (Lambda's) */
        ferr_set(&e, 413, "RequestEntityTooLargeException",
                 "Request must be smaller than %zu bytes for the %s operation", limit, op->name);
    else
        ferr_set(&e, 413, "RequestEntityTooLarge", "Request body exceeds the maximum of %zu bytes",
                 limit);
    memset(resp, 0, sizeof(*resp));
    proto_encode_error(a, svc, &e, rid, resp);
    proto_response_header(a, resp, "x-amzn-RequestId", rid);
    log_info("req=%s %s %s status=413 error=%s", rid, r->method, r->raw_path, e.code);
    return 0;
}

upload *gateway_upload(gateway *g, arena *a, const hreq *r, const call_wait *w, ferr *e)
{
    const char *cs = hreq_header(r, "x-amz-content-sha256");
    sigv4_chain chain, *ch = NULL;
    if (!g->env->auth_open && cs && !strncmp(cs, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", 34)) {
        sigv4_auth sa;
        key_info k;
        if (sigv4_parse(a, r, &sa, e)) return NULL;
        int rc = keys_lookup_cached(g->env->st, sa.akid, &k, e);
        if (rc <= 0) {
            if (!rc) ferr_set(e, 403, "InvalidAccessKeyId", "The key is no longer valid.");
            return NULL;
        }
        sigv4_chain_init(&chain, &sa, k.secret);
        OPENSSL_cleanse(&k, sizeof(k));
        ch = &chain;
    }
    upload *u = upload_new(g->env->blobs, r, w->body_sealed ? &w->body_key : NULL, ch, e);
    if (ch) OPENSSL_cleanse(ch, sizeof(*ch));
    return u;
}

static const svc_op *find_op(const proto_service *svc, const proto_op *op)
{
    const svc_def *d = svc_find_model(svc->stem);
    return d ? svc_find_op(d, op->name) : NULL;
}

int gateway_handle(gateway *g, arena *a, const hreq *r, call_wait *w, proto_response *resp)
{
    uint64_t t0 = clock_mono_ns();
    char rid[37];
    /* a request parked and run again keeps the id it was first given (an Invoke's id is
     * its function's awsRequestId) */
    if (w && w->request_id[0])
        memcpy(rid, w->request_id, sizeof(rid));
    else {
        ids_uuid(rid);
        if (w) memcpy(w->request_id, rid, sizeof(rid));
    }
    memset(resp, 0, sizeof(*resp));
    if (service_route(g, a, r, resp) || ferry_endpoint(g, a, r, resp)) {
        log_info("req=%s %s %s status=%d", rid, r->method, r->raw_path, resp->status);
        return 0;
    }

    ferr e = {0};
    principal who;
    memset(&who, 0, sizeof(who));
    int have_who = 0, read_only = 0;
    call c = {.a = a,
              .env = g->env,
              .request_id = rid,
              .err = &e,
              .wait = w,
              .caller = CALLER_CLIENT,
              .client = gateway_client(r)};
    sigv4_auth sa;
    memset(&sa, 0, sizeof(sa));
    const proto_service *svc = NULL;
    const proto_op *op = NULL;
    const svc_op *sop = NULL;
    json_t *in = NULL, *out = NULL;
    const hreq *view = r; /* r as the service addresses it (proto_request_view) */
    int rc = sigv4_parse(a, r, &sa, &e);
    if (rc < 0 && g->env->auth_open) {
        /* open mode takes any signature, even a malformed one */
        ferr_clear(&e);
        rc = 1;
    }
    int has_auth = rc == 0;
    c.region = has_auth && sa.region[0] ? sa.region : "us-east-1";
    if (rc < 0) goto fail;

    svc = proto_route(a, r, has_auth ? sa.service : NULL, &e);
    if (!svc) goto fail;
    /* the implementing service's name: models sharing a signing name are told apart */
    const svc_def *sd = svc_find_model(svc->stem);
    c.service = sd ? sd->name : svc->signing_name;
    view = proto_request_view(a, svc, r, g->env->s3_host, &e);
    if (!view) goto fail;
    /* a scope naming no region AWS or the operator has is never served (in open mode too:
     * the region still comes from the signature); answered in the service's protocol */
    if (has_auth && regions_check(sa.region, &e)) {
        c.region = NULL; /* not logged: it may hold anything */
        goto fail;
    }

    /* AWS serves a few operations unsigned (the model's authtype "none": STS's
     * AssumeRoleWithWebIdentity, whose token is the credential): without a signature they
     * run with no principal (c.who NULL), in strict and open mode alike. */
    /* An unsigned request is decoded before authentication to learn its operation; any
     * other once it is authenticated (a refusal's audit record decodes it then). */
    ferr derr = {0};
    int decoded = has_auth ? -1 : !proto_decode(a, svc, view, &op, &in, &derr); /* -1: not yet */
    sop = decoded == 1 ? find_op(svc, op) : NULL;
    int unsigned_op = sop && (sop->flags & SVC_UNSIGNED);
    rc = unsigned_op ? 0 : authenticate(g, a, r, &sa, has_auth, &who, &have_who, &e);
    if (rc > 0 && r->body_pending) /* a streamed body cannot be hashed before it is read */
        ferr_set(&e, 400, "InvalidRequest",
                 "Missing required header for this request: x-amz-content-sha256");
    else if (rc > 0) /* headers_only, and the headers no longer refuse (a clock tick, a new key) */
        ferr_set(&e, 503, "ServiceUnavailable", "Please retry the request.");
    if (rc) {
        /* The refusal is audited under the operation that was attempted, when it decodes. */
        ferr ignored = {0};
        if (have_who && decoded < 0) decoded = !proto_decode(a, svc, view, &op, &in, &ignored);
        if (have_who && decoded == 1) {
            c.op = op->name;
            sop = find_op(svc, op);
            read_only = sop && (sop->flags & SVC_READ);
        }
        goto fail;
    }
    if (have_who) {
        /* in memory only: engine/keys_lastused.c writes it at most once an interval */
        lastused_note(who.akid, c.service, c.region, clock_now());
        keys_principal_in(&who, c.region);
        c.who = &who;
        c.account = who.account;
    }
    if (decoded == 0) e = derr; /* unsigned, allowed (open mode), and malformed */
    if (decoded == 0 || (decoded < 0 && proto_decode(a, svc, view, &op, &in, &e))) goto fail;
    c.op = op->name;
    sop = find_op(svc, op);
    if (sop && w->body_failed) { /* the streamed body failed its checks: nothing was stored */
        e = w->body_err;
        read_only = (sop->flags & SVC_READ) != 0;
        goto fail;
    }
    if (!sop) {
        ferr_set(&e, 501, "NotImplemented", "ferry does not implement %s:%s yet", svc->signing_name,
                 op->name);
        goto fail;
    }
    read_only = (sop->flags & SVC_READ) != 0;
    w->seq = g->env->waits ? waiters_seq(g->env->waits) : 0;
    w->body_pending = r->body_pending && !w->body && !w->body_failed;
    w->key = NULL;
    rc = svc_exec(&c, sop, in, &out);
    if (rc == SVC_WAIT && w->key) return 1; /* call_park filled w */
    if (rc == SVC_WAIT) rc = ferr_internal(&e, "%s waited without a key", op->name);
    if (rc == SVC_BODY && r->body_pending) return SVC_BODY; /* w says how to read it */
    if (rc == SVC_BODY) rc = ferr_internal(&e, "%s wants a body that does not stream", op->name);
    if (rc) {
        if (w->body) { /* nothing names the blob: it goes now rather than at the sweep */
            ferr ignored = {0};
            blob_delete(g->env->blobs, w->body->info.id, &ignored);
        }
        goto fail_audited;
    }
    if (out && !arena_defer_json(a, out)) { /* no output is an empty result */
        ferr_oom(&e);
        goto fail_audited;
    }
    if (proto_encode(a, svc, op, out, rid, resp)) {
        ferr_internal(&e, "could not encode the %s result", op->name);
        buf_dispose(&resp->body);
        memset(resp, 0, sizeof(*resp));
        goto fail_audited;
    }
    if (c.status) resp->status = c.status;
    if (c.stream) { /* the payload is blobs' bytes: the server streams them */
        resp->stream = call_stream_take(&c);
        resp->stream_len = call_stream_len(resp->stream);
    }
    goto done;

fail:
    if (!e.status) ferr_internal(&e, "request failed");
    if (have_who) {
        c.who = &who;
        c.account = who.account;
        svc_audit(&c, NULL, read_only, e.status);
    }
    goto encode_error;
fail_audited:
    if (!e.status) ferr_internal(&e, "request failed");
    svc_audit(&c, NULL, read_only, e.status);
encode_error:
    proto_encode_error(a, svc, &e, rid, resp);
done:
    proto_response_header(a, resp, "x-amzn-RequestId", rid);
    log_info("req=%s account=%s region=%s service=%s op=%s status=%d error=%s dur_us=%llu", rid,
             have_who ? who.account : "-", c.region ? c.region : "-", c.service ? c.service : "-",
             c.op ? c.op : "-", resp->status, ferr_isset(&e) ? e.code : "-",
             (unsigned long long)(clock_mono_ns() - t0) / 1000);
    return 0;
}
