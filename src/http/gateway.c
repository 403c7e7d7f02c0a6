#include "gateway.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/keys.h"
#include "auth/sigv4.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "base/log.h"
#include "engine/audit.h"

#define FERRY_VERSION "0.1.0"

struct gateway {
    ferry_env *env;
    auditq *audit;
};

gateway *gateway_new(ferry_env *env, ferr *e)
{
    gateway *g = calloc(1, sizeof(*g));
    if (!g) {
        ferr_oom(e);
        return NULL;
    }
    g->env = env;
    g->audit = auditq_new(env->st, e);
    if (!g->audit) {
        free(g);
        return NULL;
    }
    return g;
}

void gateway_free(gateway *g)
{
    if (!g) return;
    auditq_free(g->audit);
    free(g);
}

/* What the request turned out to be, for the log line and the audit record. */
typedef struct outcome {
    const char *request_id, *service, *event_source, *op, *region;
    const char *user_agent;
    principal who;
    int have_who, read_only, audited;
    const ferr *err;
    json_t *resources;
} outcome;

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

static int ferry_endpoint(gateway *g, const hreq *r, proto_response *resp)
{
    const char *p = r->raw_path;
    if (strncmp(p, "/_ferry/", 8)) return 0;
    if (!strcmp(p, "/_ferry/health") && !strcmp(r->method, "GET")) {
        json_response(resp, 200,
                      json_pack("{s:s, s:s, s:f, s:s, s:s}", "status", "ok", "version",
                                FERRY_VERSION, "uptime_seconds", clock_now() - g->env->started,
                                "store", store_describe(g->env->st), "auth",
                                g->env->auth_open ? "open" : "strict"));
    } else if (!strcmp(p, "/_ferry/reset") && !strcmp(r->method, "POST")) {
        ferr e = {0};
        if (!g->env->auth_open)
            json_response(resp, 403,
                          json_pack("{s:s, s:s}", "__type", "AccessDenied", "message",
                                    "reset is only available with --auth open"));
        else if (store_reset(g->env->st, &e))
            json_response(resp, 500, json_pack("{s:s, s:s}", "__type", e.code, "message", e.message));
        else
            json_response(resp, 200, json_pack("{s:b}", "reset", 1));
    } else {
        json_response(resp, 404,
                      json_pack("{s:s, s:s}", "__type", "NotFound", "message", "no such ferry endpoint"));
    }
    return 1;
}

/* AWS words the same auth failure differently per protocol. */
static void auth_error(const proto_service *svc, ferr *e)
{
    int json = svc && svc->protocol != PROTO_QUERY && svc->protocol != PROTO_EC2 &&
               svc->protocol != PROTO_REST_XML;
    if (!json) return;
    static const struct {
        const char *query, *json;
        int status;
    } m[] = {
        {"InvalidClientTokenId", "UnrecognizedClientException", 400},
        {"SignatureDoesNotMatch", "InvalidSignatureException", 400},
        {"IncompleteSignature", "IncompleteSignatureException", 400},
        {"MissingAuthenticationToken", "MissingAuthenticationTokenException", 403},
        {"ExpiredToken", "ExpiredTokenException", 400},
    };
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        if (!strcmp(e->code, m[i].query)) {
            snprintf(e->code, sizeof(e->code), "%s", m[i].json);
            e->status = m[i].status;
            return;
        }
    }
}

/* Resolves the caller from the signature. 0 with o->who set, or -1 with e. */
static int authenticate(gateway *g, arena *a, const hreq *r, const sigv4_auth *sa, int has_auth,
                        outcome *o, ferr *e)
{
    if (g->env->auth_open) {
        /* Drop-in mode for tools built for other local clouds: any signature, the account
         * is the key id when it is 12 digits. */
        const char *acct = g->env->default_account;
        if (has_auth && strlen(sa->akid) == 12 && strspn(sa->akid, "0123456789") == 12)
            acct = sa->akid;
        keys_root_principal(acct, &o->who);
        if (has_auth) snprintf(o->who.akid, sizeof(o->who.akid), "%s", sa->akid);
        o->have_who = 1;
        return 0;
    }
    if (!has_auth) return sigv4_missing(e);
    key_info k;
    store_txn *t = NULL;
    if (store_begin(g->env->st, 0, &t, e)) return -1;
    int rc = keys_lookup(t, sa->akid, &k, e);
    store_rollback(t);
    if (rc < 0) return -1;
    if (rc == 0 || !k.active)
        return ferr_set(e, 403, "InvalidClientTokenId",
                        "The security token included in the request is invalid.");
    /* The account is known from here on: refusals are audited in it. */
    o->who = k.who;
    o->have_who = 1;
    if (k.session_token[0]) {
        if (!sa->security_token || !enc_ct_equal(sa->security_token, k.session_token))
            return ferr_set(e, 403, "InvalidClientTokenId",
                            "The security token included in the request is invalid.");
        if (k.who.expires && clock_now() >= k.who.expires)
            return ferr_set(e, 400, "ExpiredToken",
                            "The security token included in the request is expired");
    }
    return sigv4_verify(a, r, sa, k.secret, clock_now(), e);
}

static void audit(gateway *g, store_txn *t, const hreq *r, outcome *o, int status)
{
    if (!o->have_who || o->audited) return;
    o->audited = 1;
    char eid[37];
    ids_uuid(eid);
    char *res = o->resources ? json_dumps(o->resources, JSON_COMPACT) : NULL;
    audit_rec rec = {
        .time = clock_now(),
        .event_id = eid,
        .request_id = o->request_id,
        .account = o->who.account,
        .region = o->region,
        .principal_arn = o->who.arn,
        .principal_type = o->who.kind == PRIN_ROOT           ? "Root"
                          : o->who.kind == PRIN_USER         ? "IAMUser"
                          : o->who.kind == PRIN_ASSUMED_ROLE ? "AssumedRole"
                                                             : "Unknown",
        .username = o->who.kind == PRIN_ROOT ? "root" : (o->who.name[0] ? o->who.name : NULL),
        .access_key = o->who.akid[0] ? o->who.akid : NULL,
        .service = o->service,
        .event_source = o->event_source,
        .operation = o->op,
        .source_ip = r->source_ip,
        .user_agent = o->user_agent,
        .read_only = o->read_only,
        .status = status,
        .error_code = ferr_isset(o->err) ? o->err->code : NULL,
        .error_message = ferr_isset(o->err) ? o->err->message : NULL,
        .resources = res,
    };
    ferr e = {0};
    int rc = t ? store_audit_append(t, &rec, &e) : auditq_append(g->audit, &rec);
    if (rc) log_error("audit: request %s not recorded: %s", o->request_id, e.message);
    free(res);
}

static const char *event_source(arena *a, const char *svc)
{
    const svc_def *d = svc_find(svc);
    return d ? d->event_source : arena_printf(a, "%s.amazonaws.com", svc);
}

void gateway_handle(gateway *g, arena *a, const hreq *r, proto_response *resp)
{
    uint64_t t0 = clock_mono_ns();
    char rid[37];
    ids_uuid(rid);
    memset(resp, 0, sizeof(*resp));
    if (ferry_endpoint(g, r, resp)) {
        log_info("req=%s %s %s status=%d", rid, r->method, r->raw_path, resp->status);
        return;
    }

    ferr e = {0};
    outcome o = {.request_id = rid, .err = &e, .user_agent = hreq_header(r, "user-agent")};
    sigv4_auth sa;
    memset(&sa, 0, sizeof(sa));
    const proto_service *svc = NULL;
    const proto_op *op = NULL;
    json_t *in = NULL, *out = NULL;
    int rc = sigv4_parse(a, r, &sa, &e);
    if (rc < 0 && g->env->auth_open) {
        /* open mode takes any signature, even a malformed one */
        ferr_clear(&e);
        rc = 1;
    }
    int has_auth = rc == 0;
    o.region = has_auth && sa.region[0] ? sa.region : "us-east-1";
    if (rc < 0) goto fail;

    svc = proto_route(a, r, has_auth ? sa.service : NULL, &e);
    if (!svc) goto fail;
    o.service = svc->signing_name;
    o.event_source = event_source(a, svc->signing_name);

    if (authenticate(g, a, r, &sa, has_auth, &o, &e)) {
        auth_error(svc, &e);
        /* The refusal is audited under the operation that was attempted, when it decodes. */
        ferr ignored = {0};
        if (o.have_who && !proto_decode(a, svc, r, &op, &in, &ignored)) {
            const svc_def *d = svc_find(svc->signing_name);
            const svc_op *so = d ? svc_find_op(d, op->name) : NULL;
            o.op = op->name;
            o.read_only = so && (so->flags & SVC_READ);
        }
        goto fail;
    }
    if (proto_decode(a, svc, r, &op, &in, &e)) goto fail;
    o.op = op->name;

    const svc_def *def = svc_find(svc->signing_name);
    const svc_op *sop = def ? svc_find_op(def, op->name) : NULL;
    if (!sop) {
        ferr_set(&e, 501, "NotImplemented", "ferry does not implement %s:%s yet",
                 svc->signing_name, op->name);
        goto fail;
    }
    o.read_only = (sop->flags & SVC_READ) != 0;
    store_txn *t = NULL;
    if (store_begin(g->env->st, !o.read_only, &t, &e)) goto fail;
    call c = {.a = a, .env = g->env, .request_id = rid, .service = svc->signing_name,
              .op = op->name, .account = o.who.account, .region = o.region, .who = &o.who,
              .txn = t, .http = r, .err = &e};
    rc = sop->fn(&c, in, &out);
    o.resources = c.resources;
    if (out) arena_defer(a, (void (*)(void *))json_decref, out);
    if (rc) {
        if (!ferr_isset(&e)) ferr_internal(&e, "%s failed", op->name);
        store_rollback(t);
        goto fail;
    }
    if (!o.read_only) audit(g, t, r, &o, op->response_code);
    if (store_commit(t, &e)) {
        o.audited = 0; /* the record went down with the transaction */
        goto fail;
    }
    audit(g, NULL, r, &o, op->response_code);
    if (proto_encode(a, svc, op, out, rid, resp)) {
        ferr_internal(&e, "could not encode the %s result", op->name);
        buf_dispose(&resp->body);
        memset(resp, 0, sizeof(*resp));
        goto fail;
    }
    goto done;

fail:
    if (!e.status) ferr_internal(&e, "request failed");
    audit(g, NULL, r, &o, e.status);
    proto_encode_error(a, svc, &e, rid, resp);
done:
    if (resp->nheaders < sizeof(resp->headers) / sizeof(resp->headers[0]))
        resp->headers[resp->nheaders++] = (hdr){"x-amzn-RequestId", arena_strdup(a, rid)};
    log_info("req=%s account=%s region=%s service=%s op=%s status=%d error=%s dur_us=%llu", rid,
             o.have_who ? o.who.account : "-", o.region ? o.region : "-",
             o.service ? o.service : "-", o.op ? o.op : "-", resp->status,
             ferr_isset(&e) ? e.code : "-", (unsigned long long)(clock_mono_ns() - t0) / 1000);
}
