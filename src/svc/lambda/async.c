/* Asynchronous invocation, the service's side: Invoke's Event type queues the event
 * (documents.h, LAMBDA_ASYNC_KIND) in the transaction that answers 202; the
 * EventInvokeConfig operations keep each qualifier's retry, age and destination settings in
 * the function's document ("EventInvokeConfigs": {"$LATEST" | version | alias: config});
 * and lambda_async_run, the asynchronous engine's way in (lambda.h), runs one queued event
 * and says what the engine needs to settle it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "documents.h"
#include "engine/functions.h"
#include "engine/lambda_async.h"
#include "lambda.h"
#include "lambda_int.h"
#include "svc/session.h"

#define F_CONFIGS       "EventInvokeConfigs"
#define DEFAULT_RETRIES 2     /* AWS: two retries after a function error */
#define DEFAULT_AGE     21600 /* AWS: six hours in the queue */

int lambda_async_enqueue(call *c, const lambda_ref *r, const char *payload, size_t len,
                         json_t **out)
{
    double now = clock_now();
    char id[37];
    ids_uuid7(id, now);
    json_t *rec =
        json_pack("{s:s, s:s, s:s, s:s%, s:f, s:f, s:i, s:i}", "Function", r->name, "Qualifier",
                  r->qualifier ? r->qualifier : "$LATEST", "RequestId", c->request_id, "Payload",
                  payload, len, "Enqueued", now, "NextAt", now, "Attempts", 0, "Throttles", 0);
    if (!rec) return ferr_oom(c->err);
    store_key k = {LAMBDA_ASYNC_KIND, r->account, c->region, id};
    int rc = store_put(c->txn, &k, rec, c->err);
    json_decref(rec);
    if (rc) return -1;
    /* the engine looks once it can take the write lock: after this transaction ends */
    lambda_async_kick();
    *out = svc_out(c, json_pack("{s:i}", "StatusCode", 202));
    return 0;
}

/* ---- EventInvokeConfig ---- */

/* The qualified ARN a configuration is for ("...:function:NAME:$LATEST" unqualified). */
static const char *config_arn(call *c, const lambda_ref *r)
{
    const char *arn = lambda_fn_arn(c, r->account, r->name);
    return arn ? arena_printf(c->a, "%s:%s", arn, r->qualifier ? r->qualifier : "$LATEST") : NULL;
}

/* The function (and qualifier, which must exist) in's FunctionName and Qualifier name,
 * authorized for action. */
static int open_config(call *c, const json_t *in, const char *action, lambda_ref *r, json_t **doc,
                       const char **arn)
{
    const char *res;
    if (lambda_open(c, jstr(in, "FunctionName"), jstr(in, "Qualifier"), action, r, doc, &res))
        return -1;
    call_resource(c, "AWS::Lambda::Function", res);
    if (!lambda_config(c, *doc, r, NULL)) return -1;
    *arn = config_arn(c, r);
    return *arn ? 0 : ferr_oom(c->err);
}

/* AWS: a destination is an SQS queue, an SNS topic or a Lambda function (ferry has no
 * EventBridge bus or S3 bucket destinations), named by its ARN. */
static int check_destination(call *c, const json_t *dc, const char *which)
{
    const json_t *d = json_object_get(dc, which);
    if (!d) return 0;
    const char *arn = jstr(d, "Destination");
    if (!arn) return 0;
    static const char *const ok[] = {"sqs", "sns", "lambda"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        /* arn:PARTITION:SERVICE:REGION:ACCOUNT:NAME..., each part there */
        const char *p = arn_rest(arn, ok[i]), *q = p ? strchr(p, ':') : NULL;
        if (!p) continue;
        if (q && q > p && q[1] != ':' && strchr(q + 1, ':') && strchr(q + 1, ':')[1]) return 0;
    }
    return lambda_invalid(c,
                          "The provided destination config DestinationConfig(%s=%s(destination=%s))"
                          " is invalid.",
                          !strcmp(which, "OnSuccess") ? "onSuccess" : "onFailure", which, arn);
}

static json_t *config_out(call *c, const lambda_ref *r, const json_t *cfg)
{
    const char *arn = config_arn(c, r);
    json_t *o = arn ? json_pack("{s:s, s:O}", "FunctionArn", arn, "LastModified",
                                json_object_get(cfg, "LastModified"))
                    : NULL;
    const char *num[] = {"MaximumRetryAttempts", "MaximumEventAgeInSeconds"};
    for (int i = 0; o && i < 2; i++) {
        json_t *v = json_object_get(cfg, num[i]);
        if (v && json_object_set(o, num[i], v)) {
            json_decref(o);
            o = NULL;
        }
    }
    json_t *dc = json_object_get(cfg, "DestinationConfig");
    json_t *d = json_pack("{s:{}, s:{}}", "OnSuccess", "OnFailure");
    if (d) {
        const char *w[] = {"OnSuccess", "OnFailure"};
        for (int i = 0; i < 2; i++) {
            const char *dest = jstr(json_object_get(dc, w[i]), "Destination");
            if (dest && jset_str(json_object_get(d, w[i]), "Destination", dest)) {
                json_decref(d);
                d = NULL;
                break;
            }
        }
    }
    if (!o || !d || json_object_set_new(o, "DestinationConfig", d)) {
        json_decref(o);
        c->oom = 1;
        return NULL;
    }
    return o;
}

/* Put (replace) and Update (merge) share this: settings from in over base (NULL: none). */
static int write_config(call *c, json_t *in, json_t **out, const char *action, int merge)
{
    lambda_ref r;
    json_t *doc;
    const char *arn;
    if (open_config(c, in, action, &r, &doc, &arn)) return -1;
    json_t *all = json_object_get(doc, F_CONFIGS);
    const char *key = r.qualifier ? r.qualifier : "$LATEST";
    json_t *have = json_object_get(all, key);
    if (merge && !have)
        return lambda_not_found(c, "The function %s doesn't have an EventInvokeConfig", arn);
    const json_t *dc = json_object_get(in, "DestinationConfig");
    if (check_destination(c, dc, "OnSuccess") || check_destination(c, dc, "OnFailure")) return -1;
    /* AWS: the function's execution role must be allowed to deliver to each destination
     * given, before the configuration is taken */
    const json_t *fcfg = dc ? lambda_config(c, doc, &r, NULL) : NULL;
    if (dc && !fcfg) return -1;
    const char *role = jstr(fcfg, "Role");
    const char *w[] = {"OnSuccess", "OnFailure"};
    for (int i = 0; role && i < 2; i++) {
        const char *dest = jstr(json_object_get(dc, w[i]), "Destination");
        if (dest && *dest && lambda_role_may_deliver(c, role, dest)) return -1;
    }
    json_t *cfg = merge ? json_deep_copy(have) : json_object();
    if (!cfg || !arena_defer_json(c->a, cfg)) return ferr_oom(c->err);
    int bad = 0;
    const char *num[] = {"MaximumRetryAttempts", "MaximumEventAgeInSeconds"};
    for (int i = 0; i < 2; i++) {
        json_t *v = json_object_get(in, num[i]);
        if (v) bad |= json_object_set(cfg, num[i], v);
    }
    if (dc) {
        json_t *into = json_object_get(cfg, "DestinationConfig");
        if (!into) bad |= json_object_set_new(cfg, "DestinationConfig", into = json_object());
        const char *w[] = {"OnSuccess", "OnFailure"};
        for (int i = 0; into && i < 2; i++) {
            json_t *d = json_object_get(dc, w[i]);
            if (d) bad |= json_object_set(into, w[i], d);
        }
    }
    bad |= json_object_set_new(cfg, "LastModified", json_real(clock_now()));
    if (!all) bad |= json_object_set_new(doc, F_CONFIGS, all = json_object());
    if (bad || !all || json_object_set(all, key, cfg)) return ferr_oom(c->err);
    *out = svc_out(c, config_out(c, &r, cfg));
    return lambda_save(c, r.name, doc);
}

int lambda_op_put_function_event_invoke_config(call *c, json_t *in, json_t **out)
{
    return write_config(c, in, out, "lambda:PutFunctionEventInvokeConfig", 0);
}

int lambda_op_update_function_event_invoke_config(call *c, json_t *in, json_t **out)
{
    return write_config(c, in, out, "lambda:UpdateFunctionEventInvokeConfig", 1);
}

int lambda_op_get_function_event_invoke_config(call *c, json_t *in, json_t **out)
{
    lambda_ref r;
    json_t *doc;
    const char *arn;
    if (open_config(c, in, "lambda:GetFunctionEventInvokeConfig", &r, &doc, &arn)) return -1;
    json_t *cfg =
        json_object_get(json_object_get(doc, F_CONFIGS), r.qualifier ? r.qualifier : "$LATEST");
    if (!cfg) return lambda_not_found(c, "The function %s doesn't have an EventInvokeConfig", arn);
    *out = svc_out(c, config_out(c, &r, cfg));
    return 0;
}

int lambda_op_delete_function_event_invoke_config(call *c, json_t *in, json_t **out)
{
    (void)out;
    lambda_ref r;
    json_t *doc;
    const char *arn;
    if (open_config(c, in, "lambda:DeleteFunctionEventInvokeConfig", &r, &doc, &arn)) return -1;
    if (json_object_del(json_object_get(doc, F_CONFIGS), r.qualifier ? r.qualifier : "$LATEST"))
        return lambda_not_found(c, "The function %s doesn't have an EventInvokeConfig", arn);
    return lambda_save(c, r.name, doc);
}

int lambda_op_list_function_event_invoke_configs(call *c, json_t *in, json_t **out)
{
    lambda_ref r;
    json_t *doc;
    const char *arn;
    if (lambda_open_unqualified(c, in, "lambda:ListFunctionEventInvokeConfigs", &r, &doc, &arn))
        return -1;
    call_resource(c, "AWS::Lambda::Function", arn);
    json_t *list = arena_defer_json(c->a, json_array());
    if (!list) return ferr_oom(c->err);
    const char *q;
    json_t *cfg;
    json_object_foreach(json_object_get(doc, F_CONFIGS), q, cfg) {
        lambda_ref qr = r;
        qr.qualifier = strcmp(q, "$LATEST") ? q : NULL;
        if (json_array_append_new(list, config_out(c, &qr, cfg))) return ferr_oom(c->err);
    }
    json_t *o = arena_defer_json(c->a, json_object());
    if (!o) return ferr_oom(c->err);
    if (svc_page(c, list, jstr(in, "Marker"), lambda_max_items(in), o, "FunctionEventInvokeConfigs",
                 "NextMarker", "InvalidParameterValueException"))
        return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

/* ---- running a queued event (the engine's way in) ---- */

static void settings(json_t *o, const json_t *eic, const json_t *cfg, int *bad)
{
    json_t *n = json_object_get(eic, "MaximumRetryAttempts");
    *bad |= json_object_set_new(o, "MaximumRetryAttempts",
                                json_integer(n ? json_integer_value(n) : DEFAULT_RETRIES));
    n = json_object_get(eic, "MaximumEventAgeInSeconds");
    *bad |= json_object_set_new(o, "MaximumEventAgeInSeconds",
                                json_integer(n ? json_integer_value(n) : DEFAULT_AGE));
    const json_t *dc = json_object_get(eic, "DestinationConfig");
    const char *s = jstr(json_object_get(dc, "OnSuccess"), "Destination");
    const char *f = jstr(json_object_get(dc, "OnFailure"), "Destination");
    const char *dlq = jstr(json_object_get(cfg, "DeadLetterConfig"), "TargetArn");
    if (s) *bad |= jset_str(o, "OnSuccess", s);
    if (f) *bad |= jset_str(o, "OnFailure", f);
    if (dlq && *dlq) *bad |= jset_str(o, "DeadLetter", dlq);
    if (jstr(cfg, "Role")) *bad |= jset_str(o, "Role", jstr(cfg, "Role"));
}

/* The function's response as a string (one that is not UTF-8 is answered empty). */
static json_t *response_text(const fn_result *res)
{
    json_t *t = json_stringn(res->payload ? res->payload : "", res->payload ? res->len : 0);
    return t ? t : json_string("");
}

/* c->arg is the queued event (LAMBDA_ASYNC_KIND document); only lambda_async_run sets it. */
static int run_op(call *c, json_t *in, json_t **out)
{
    (void)in;
    const json_t *rec = c->arg;
    if (!rec) return ferr_internal(c->err, "no queued event");
    const char *q = jstr(rec, "Qualifier"), *payload = jstr(rec, "Payload");
    if (!payload || !jstr(rec, "Function") || !jstr(rec, "RequestId"))
        return lambda_not_found(c, "The queued event is incomplete"); /* dropped */
    lambda_ref r = {.account = c->account,
                    .name = jstr(rec, "Function"),
                    .qualifier = q && strcmp(q, "$LATEST") ? q : NULL};
    json_t *doc;
    if (lambda_load(c, &r, &doc) <= 0) return -1;
    json_t *alias, *cfg = lambda_config(c, doc, &r, &alias);
    if (!cfg) return -1;
    if (alias) cfg = lambda_route(c, doc, alias, cfg); /* the alias's weights, as Invoke */
    const char *arn = config_arn(c, &r);
    json_t *o = arena_defer_json(c->a, json_object());
    if (!o || !arn) return ferr_oom(c->err);
    int bad = jset_str(o, "FunctionArn", arn);
    settings(o, json_object_get(json_object_get(doc, F_CONFIGS), q ? q : "$LATEST"), cfg, &bad);
    if (bad) return ferr_oom(c->err);
    double age = clock_now() - json_number_value(json_object_get(rec, "Enqueued"));
    if (age > lambda_async_scale() * (double)jint(o, "MaximumEventAgeInSeconds", DEFAULT_AGE)) {
        /* AWS: an event that waited longer than its maximum age is not sent */
        if (json_object_set_new(o, "Expired", json_true())) return ferr_oom(c->err);
        *out = svc_out(c, json_incref(o));
        return 0;
    }
    const char *executed = jstr(cfg, "Version");
    json_t *settled = lambda_render(c, cfg);
    if (!settled || !arena_defer_json(c->a, settled)) return ferr_oom(c->err);
    fn_spec s;
    fn_result res = {0};
    ferr e = {0};
    if (strcmp(jstr(settled, "State"), "Active")) {
        ferr_set(&e, 500, "ResourceNotReadyException", "The function is %s",
                 jstr(settled, "State"));
    } else if (lambda_spec(c, &r, doc, cfg, executed, &s)) {
        e = *c->err;
        ferr_clear(c->err);
    } else if (functions_invoke(c->env, &s, payload, strlen(payload), jstr(rec, "RequestId"), &res,
                                &e) == 0 &&
               res.failed) {
        e = res.err;
    }
    if (ferr_isset(&e)) {
        /* not run: throttled, or a system error; the engine retries */
        bad |= json_object_set_new(
            o, "Error",
            json_pack("{s:s, s:s, s:i}", "Code", e.code, "Message", e.message, "Status", e.status));
    } else {
        bad |= json_object_set_new(o, "StatusCode", json_integer(200)) ||
               jset_str(o, "ExecutedVersion", executed) ||
               json_object_set_new(o, "Response", response_text(&res));
        if (res.function_error) bad |= jset_str(o, "FunctionError", res.function_error);
    }
    fn_result_clear(&res);
    if (bad) return ferr_oom(c->err);
    *out = svc_out(c, json_incref(o));
    return 0;
}

int lambda_async_run(ferry_env *env, const char *account, const char *region, const json_t *rec,
                     json_t **out, ferr *e)
{
    static const svc_op op = {"Invoke", run_op, SVC_READ};
    principal p;
    session_service_principal(&p, "lambda.amazonaws.com", account);
    json_t *in = json_pack("{s:s, s:s, s:s}", "FunctionName", jstr(rec, "Function"), "Qualifier",
                           jstr(rec, "Qualifier"), "InvocationType", "Event");
    if (!in) return ferr_oom(e);
    int rc = svc_invoke_fn(env, &p, region, "lambda", &op, rec, in, out, e);
    json_decref(in);
    return rc;
}
