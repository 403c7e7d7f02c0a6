#include "snshttp.h"

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

/* Runs fn as op for an unsigned caller, recorded in the audit trail of the account that
 * owns arn. */
static void run(ferry_env *env, arena *a, const svc_request *r, const char *op, svc_fn fn,
                const char *arn, int is_sub, json_t *in, proto_response *resp)
{
    const proto_service *svc = proto_service_by_signing_name("sns");
    const proto_op *pop = svc ? proto_op_by_name(svc, op) : NULL;
    char rid[37];
    ids_uuid(rid);
    ferr e = {0};
    sns_arn sa;
    if (!svc || !pop) {
        text(resp, 500, "text/plain", "sns model missing\n");
        return;
    }
    if (sns_parse_arn(arn, is_sub, &sa)) {
        ferr_set(&e, 400, "InvalidParameter", "Invalid parameter: %s",
                 is_sub ? "SubscriptionArn" : "TopicArn");
        proto_encode_error(a, svc, &e, rid, resp);
        return;
    }
    principal who;
    memset(&who, 0, sizeof(who));
    who.kind = PRIN_ANONYMOUS;
    memcpy(who.account, sa.account, sizeof(who.account));
    call c = {.a = a,
              .env = env,
              .request_id = rid,
              .service = "sns",
              .op = op,
              .account = sa.account,
              .region = sa.region,
              .who = &who,
              .caller = CALLER_CLIENT,
              .client = r->client,
              .err = &e};
    svc_op o = {op, fn, 0};
    json_t *out = NULL;
    if (svc_exec(&c, &o, in, &out)) {
        log_info("sns: %s by URL refused: %s %s", op, e.code, e.message);
        svc_audit(&c, NULL, 0, e.status);
        proto_encode_error(a, svc, &e, rid, resp);
        return;
    }
    if (proto_encode(a, svc, pop, out, rid, resp))
        text(resp, 500, "text/plain", "encoding failed\n");
    json_decref(out);
}

static int sent_cb(void *ud, const store_key *k, json_t *doc)
{
    json_t *d = json_copy(doc);
    if (!d || jset_str(d, "Account", k->account) || jset_str(d, "Region", k->region)) {
        json_decref(d);
        return -1;
    }
    return json_array_append_new(ud, d);
}

/* GET /_ferry/sns/deliveries[?Account=&Region=]: the recorded push and SMS deliveries (and
 * sandbox one-time passwords), oldest first, as {"Deliveries": [...]}. */
static void serve_deliveries(ferry_env *env, arena *a, const svc_request *r, proto_response *resp)
{
    const char *acct = proto_qs_param(a, r->query, "Account"),
               *region = proto_qs_param(a, r->query, "Region");
    store_txn *t = NULL;
    ferr e = {0};
    json_t *all = json_array();
    int rc = all ? store_begin(env->st, 0, &t, &e) : -1;
    if (!rc) {
        int n = store_list(t, SNS_KIND_SENT, acct, region, NULL, NULL, 0, sent_cb, all, &e);
        rc = n < 0 || (size_t)n != json_array_size(all);
    }
    store_rollback(t);
    json_t *o = !rc && all ? json_pack("{s:O}", "Deliveries", all) : NULL;
    char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (body)
        text(resp, 200, "application/json", body);
    else
        text(resp, 500, "text/plain", "cannot read the deliveries\n");
    free(body);
    json_decref(o);
    json_decref(all);
}

/* POST /_ferry/sns/opt-out?Account=&Region=&PhoneNumber=: what a recipient's STOP reply
 * does, for tests (AWS has no API to opt a number out). */
int sns_http_opt_out(ferry_env *env, arena *a, const svc_request *r, proto_response *resp)
{
    const char *acct = proto_qs_param(a, r->query, "Account"),
               *region = proto_qs_param(a, r->query, "Region"),
               *phone = proto_qs_param(a, r->query, "PhoneNumber");
    if (!acct || strlen(acct) != 12 || strspn(acct, "0123456789") != 12 || !region || !*region ||
        !sns_valid_phone(phone)) {
        text(resp, 400, "text/plain", "Account, Region and PhoneNumber are required\n");
        return 1;
    }
    store_txn *t = NULL;
    ferr e = {0};
    store_key k = {SNS_KIND_OPTOUT, acct, region, phone};
    json_t *d = json_pack("{s:s}", "PhoneNumber", phone);
    int rc = d ? store_begin(env->st, 1, &t, &e) : -1;
    if (!rc) rc = store_put(t, &k, d, &e);
    if (!rc)
        rc = store_commit(t, &e);
    else
        store_rollback(t);
    json_decref(d);
    text(resp, rc ? 500 : 200, "text/plain", rc ? "cannot opt out\n" : "opted out\n");
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
        run(env, a, r, "ConfirmSubscription", sns_confirm_by_token, topic ? topic : "", 0, in,
            resp);
        json_decref(in);
    } else if (!strcmp(p, "unsubscribe")) {
        const char *sub = proto_qs_param(a, r->query, "SubscriptionArn");
        json_t *in = json_pack("{s:s?}", "SubscriptionArn", sub);
        run(env, a, r, "Unsubscribe", sns_unsubscribe_by_url, sub ? sub : "", 1, in, resp);
        json_decref(in);
    } else if (!strcmp(p, "deliveries") && !strcmp(r->method, "GET")) {
        serve_deliveries(env, a, r, resp);
    } else {
        text(resp, 404, "text/plain", "no such ferry endpoint\n");
    }
    return 1;
}
