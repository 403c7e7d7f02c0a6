#include "snshttp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "base/log.h"
#include "engine/delivery.h"
#include "proto/pcommon.h"
#include "sns_int.h"

static void text(proto_response *resp, int status, const char *ct, const char *body)
{
    proto_response_init(resp);
    resp->status = status;
    buf_puts(&resp->body, body);
    resp->content_type = ct;
}

/* Runs fn as op for who (in region), audited in who's account. With a model op the answer is
 * SNS's XML; without one (ferry's own listings), the output as JSON. */
static void run(ferry_env *env, arena *a, const svc_request *r, const char *op, svc_fn fn,
                int flags, principal *who, const char *region, json_t *in, proto_response *resp)
{
    const proto_service *svc = proto_service_by_signing_name("sns");
    const proto_op *pop = svc ? proto_op_by_name(svc, op) : NULL;
    char rid[37];
    ids_uuid(rid);
    ferr e = {0};
    if (!svc) {
        text(resp, 500, "text/plain", "sns model missing\n");
        return;
    }
    call c = svc_route_call(r, a, env, rid, "sns", op, who, region, &e);
    svc_op o = {op, fn, flags};
    json_t *out = NULL;
    if (!in || svc_exec(&c, &o, in, &out)) {
        if (!in) ferr_oom(&e);
        log_info("sns: %s by URL refused: %s %s", op, e.code, e.message);
        svc_audit(&c, NULL, 0, e.status);
        proto_encode_error(a, svc, &e, rid, resp);
        return;
    }
    char *body = pop ? NULL : out ? json_dumps(out, JSON_COMPACT) : strdup("{}");
    if (pop ? proto_encode(a, svc, pop, out, rid, resp) : !body)
        text(resp, 500, "text/plain", "encoding failed\n");
    else if (body)
        text(resp, 200, "application/json", body);
    free(body);
    json_decref(out);
}

/* An unsigned caller acting on account's resources (a recipient following a link). */
static principal *anonymous(arena *a, const char *account)
{
    principal *who = arena_alloc(a, sizeof(*who));
    if (!who) return NULL;
    who->kind = PRIN_ANONYMOUS; /* zeroed by the arena */
    snprintf(who->account, sizeof(who->account), "%s", account);
    return who;
}

/* A link's action on the topic or subscription arn names, as its account's anonymous caller. */
static void run_link(ferry_env *env, arena *a, const svc_request *r, const char *op, svc_fn fn,
                     const char *arn, int is_sub, json_t *in, proto_response *resp)
{
    sns_arn sa;
    principal *who = NULL;
    ferr e = {0};
    if (sns_parse_arn(arn ? arn : "", is_sub, &sa))
        ferr_set(&e, 400, "InvalidParameter", "Invalid parameter: %s",
                 is_sub ? "SubscriptionArn" : "TopicArn");
    else if (!(who = anonymous(a, sa.account)))
        ferr_oom(&e);
    if (who) {
        run(env, a, r, op, fn, 0, who, sa.region, in, resp);
        return;
    }
    char rid[37];
    ids_uuid(rid);
    proto_encode_error(a, proto_service_by_signing_name("sns"), &e, rid, resp);
}

/* GET /_ferry/sns/deliveries[?Region=]: the caller's account's recorded push and SMS
 * deliveries (and sandbox one-time passwords), oldest first. Signed: they hold messages. */
static void serve_deliveries(ferry_env *env, arena *a, const svc_request *r, proto_response *resp)
{
    principal *who = arena_alloc(a, sizeof(*who));
    ferr e = {0};
    int rc = !who ? -1 : r->signer ? r->signer(r, who, &e) : 1;
    if (rc) {
        if (rc == 1)
            ferr_set(&e, 403, "MissingAuthenticationToken",
                     "Request is missing Authentication Token");
        if (!who) ferr_oom(&e);
        char rid[37];
        ids_uuid(rid);
        proto_encode_error(a, proto_service_by_signing_name("sns"), &e, rid, resp);
        return;
    }
    const char *region = proto_qs_param(a, r->query, "Region");
    json_t *in = json_pack("{s:s?}", "Region", region);
    run(env, a, r, "ListDeliveries", sns_list_deliveries, SVC_READ, who,
        region ? region : "us-east-1", in, resp);
    json_decref(in);
}

/* POST /_ferry/sns/opt-out?Account=&Region=&PhoneNumber=: what a recipient's STOP reply
 * does, for tests (AWS has no API to opt a number out); unsigned, as the recipient is no
 * AWS principal. */
int sns_http_opt_out(ferry_env *env, arena *a, const svc_request *r, proto_response *resp)
{
    const char *acct = proto_qs_param(a, r->query, "Account"),
               *region = proto_qs_param(a, r->query, "Region"),
               *phone = proto_qs_param(a, r->query, "PhoneNumber");
    if (!acct || strlen(acct) != 12 || strspn(acct, "0123456789") != 12 || !region || !*region) {
        text(resp, 400, "text/plain", "Account and Region are required\n");
        return 1;
    }
    principal *who = anonymous(a, acct);
    json_t *in = json_pack("{s:s?}", "PhoneNumber", phone);
    if (who)
        run(env, a, r, "OptOutByReply", sns_opt_out_by_reply, 0, who, region, in, resp);
    else
        text(resp, 500, "text/plain", "out of memory\n");
    json_decref(in);
    return 1;
}

int sns_http_serve(ferry_env *env, arena *a, const svc_request *r, proto_response *resp)
{
    const char *p = r->rest;
    if (!strcmp(p, "cert.pem")) {
        const char *pem = delivery_cert_pem();
        if (pem)
            text(resp, 200, "application/x-pem-file", pem);
        else
            text(resp, 503, "text/plain", "the delivery engine is not running\n");
    } else if (!strcmp(p, "confirm")) {
        const char *topic = proto_qs_param(a, r->query, "TopicArn"),
                   *token = proto_qs_param(a, r->query, "Token");
        json_t *in = json_pack("{s:s?, s:s?}", "TopicArn", topic, "Token", token);
        run_link(env, a, r, "ConfirmSubscription", sns_confirm_by_token, topic, 0, in, resp);
        json_decref(in);
    } else if (!strcmp(p, "unsubscribe")) {
        const char *sub = proto_qs_param(a, r->query, "SubscriptionArn");
        json_t *in = json_pack("{s:s?}", "SubscriptionArn", sub);
        run_link(env, a, r, "Unsubscribe", sns_unsubscribe_by_url, sub, 1, in, resp);
        json_decref(in);
    } else if (!strcmp(p, "deliveries") && !strcmp(r->method, "GET")) {
        serve_deliveries(env, a, r, resp);
    } else {
        text(resp, 404, "text/plain", "no such ferry endpoint\n");
    }
    return 1;
}
