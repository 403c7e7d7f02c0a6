/* Invoke (RequestResponse parks until the functions engine answers; Event is queued
 * (async.c) and answered 202; DryRun authorizes), reserved concurrency and the account's
 * settings. The execution environments are the engine's (engine/functions.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "engine/functions.h"
#include "lambda_int.h"

#define SYNC_PAYLOAD_MAX  6291456 /* AWS: 6 MB request and response, synchronous */
#define ASYNC_PAYLOAD_MAX 1048576 /* AWS: 1 MB, asynchronous (256 KB before 2025) */

static int too_large(call *c, size_t max)
{
    return ferr_set(c->err, 413, "RequestTooLargeException",
                    "Request must be smaller than %zu bytes for the InvokeFunction operation", max);
}

json_t *lambda_route(call *c, json_t *doc, json_t *alias, json_t *cfg)
{
    const json_t *w =
        json_object_get(json_object_get(alias, "RoutingConfig"), "AdditionalVersionWeights");
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)w, k, x) {
        unsigned r;
        ids_random(&r, sizeof(r));
        if ((double)r / 4294967296.0 < json_number_value(x)) {
            json_t *v = json_object_get(json_object_get(doc, "Versions"), k);
            if (v) return v;
        }
    }
    (void)c;
    return cfg;
}

static int answer(call *c, fn_result *res, const char *version, int tail, json_t **out)
{
    if (res->failed) {
        *c->err = res->err;
        return -1;
    }
    char *payload = enc_b64(c->a, (const unsigned char *)(res->payload ? res->payload : ""),
                            res->payload ? res->len : 0);
    json_t *o = payload ? json_pack("{s:i, s:s, s:s}", "StatusCode", 200, "Payload", payload,
                                    "ExecutedVersion", version)
                        : NULL;
    if (o && res->function_error && jset_str(o, "FunctionError", res->function_error)) c->oom = 1;
    if (o && tail) {
        const char *t = res->log_tail ? res->log_tail : "";
        char *b = enc_b64(c->a, (const unsigned char *)t, strlen(t));
        if (!b || jset_str(o, "LogResult", b)) c->oom = 1;
    }
    *out = svc_out(c, o);
    return 0;
}

int lambda_spec(call *c, const lambda_ref *r, const json_t *doc, const json_t *cfg,
                const char *executed, fn_spec *s)
{
    const char *code_dir = lambda_code_dir(c, cfg);
    if (!code_dir) return -1;
    const json_t *layers = json_object_get(cfg, "Layers");
    size_t nl = json_array_size(layers);
    const char **layer_dirs = arena_alloc(c->a, (nl + 1) * sizeof(*layer_dirs));
    if (!layer_dirs) return ferr_oom(c->err);
    for (size_t i = 0; i < nl; i++)
        if (!(layer_dirs[i] = lambda_code_dir(c, json_array_get(layers, i)))) return -1;
    json_t *conc = json_object_get(doc, "Concurrency");
    if (conc && json_integer_value(conc) == 0)
        return ferr_set(c->err, 429, "TooManyRequestsException", "Rate Exceeded.");
    int pool = 0;
    if (!conc && lambda_unreserved_pool(c, &pool)) return -1;
    const char *log_group = arena_printf(c->a, "/aws/lambda/%s", r->name);
    const char *arn = lambda_fn_arn(c, r->account, r->name);
    if (!log_group || !arn) return ferr_oom(c->err);
    *s = (fn_spec){.account = r->account,
                   .region = c->region,
                   .name = r->name,
                   .arn = jstr(cfg, "FunctionArn"),
                   .version = executed,
                   .revision = jstr(cfg, "RevisionId"),
                   .runtime = jstr(cfg, "Runtime"),
                   .handler = jstr(cfg, "Handler"),
                   .code_dir = code_dir,
                   .layer_dirs = layer_dirs,
                   .n_layers = nl,
                   .variables = json_object_get(json_object_get(cfg, "Environment"), "Variables"),
                   .role_arn = jstr(cfg, "Role"),
                   .timeout_s = (int)jint(cfg, "Timeout", 3),
                   .memory_mb = (int)jint(cfg, "MemorySize", 128),
                   .concurrency = conc ? (int)json_integer_value(conc) : -1,
                   .unreserved = pool,
                   .log_group = log_group};
    if (!strcmp(s->arn, arn)) s->arn = arena_printf(c->a, "%s:$LATEST", arn);
    return s->arn ? 0 : ferr_oom(c->err);
}

/* A parked RequestResponse run again when its invocation ended (or its wait did): the first
 * run authorized and checked it and started the invocation ("ID|VERSION" in w->own), so
 * only the result is left to take; the function's document is not read or parsed again
 * (it was half of ferry's work per Invoke besides the record). The record names the same
 * resource, and the owner's trail gets its copy, as the first run would have. */
static int rerun(call *c, const json_t *in, json_t **out)
{
    call_wait *w = c->wait;
    lambda_ref r;
    if (lambda_ref_parse(c, jstr(in, "FunctionName"), jstr(in, "Qualifier"), &r)) return -1;
    const char *arn = lambda_fn_arn(c, r.account, r.name);
    const char *res = arn && r.qualifier ? arena_printf(c->a, "%s:%s", arn, r.qualifier) : arn;
    if (!res) return ferr_oom(c->err);
    call_resource(c, "AWS::Lambda::Function", res);
    if (c->who && c->who->kind != PRIN_SERVICE && strcmp(r.account, c->who->account))
        c->resource_account = r.account;
    const char *executed = strchr(w->own, '|') + 1;
    int tail = jstr(in, "LogType") && !strcmp(jstr(in, "LogType"), "Tail");
    char id[40];
    snprintf(id, sizeof(id), "%.*s", (int)(strchr(w->own, '|') - w->own), w->own);
    fn_result result = {0};
    int rc = functions_take(c->env, id, &result);
    if (rc < 0)
        return ferr_set(c->err, 500, "ServiceException",
                        "The invocation's result was lost (the server restarted)");
    if (rc == 0) {
        if (w->final) {
            functions_forget(c->env, id);
            return ferr_set(c->err, 500, "ServiceException", "The invocation did not end in time");
        }
        char key[48];
        fn_wait_key(id, key);
        const char *k = arena_strdup(c->a, key);
        return k ? call_park(c, k, w->until) : ferr_oom(c->err);
    }
    rc = answer(c, &result, executed, tail, out);
    fn_result_clear(&result);
    return rc;
}

int lambda_op_invoke(call *c, json_t *in, json_t **out)
{
    lambda_ref r;
    json_t *doc, *alias; /* doc is shared: read, never changed below */
    const char *res;
    call_wait *w = c->wait;
    if (w && w->own[0]) return rerun(c, in, out);
    if (lambda_open_shared(c, jstr(in, "FunctionName"), jstr(in, "Qualifier"),
                           "lambda:InvokeFunction", &r, &doc, &res))
        return -1;
    const char *arn = lambda_fn_arn(c, r.account, r.name);
    if (!arn) return ferr_oom(c->err);
    call_resource(c, "AWS::Lambda::Function", res);
    json_t *cfg = lambda_config(c, doc, &r, &alias);
    if (!cfg) return -1;
    const char *type = jstr(in, "InvocationType");
    if (!type) type = "RequestResponse";
    if (!strcmp(type, "DryRun")) {
        *out = svc_out(c, json_pack("{s:i}", "StatusCode", 204));
        return 0;
    }
    int event = !strcmp(type, "Event");
    const char *b64 = jstr(in, "Payload");
    size_t len = 0;
    unsigned char *payload = b64 ? enc_unb64(c->a, b64, strlen(b64), &len) : NULL;
    if (b64 && !payload) return ferr_oom(c->err);
    if (len > (event ? ASYNC_PAYLOAD_MAX : SYNC_PAYLOAD_MAX))
        return too_large(c, event ? ASYNC_PAYLOAD_MAX : SYNC_PAYLOAD_MAX);
    if (!len) {
        payload = (unsigned char *)"{}";
        len = 2;
    } else {
        json_error_t je;
        json_t *j = json_loadb((const char *)payload, len, JSON_DECODE_ANY, &je);
        if (!j) {
            if (jload_oom(&je)) return ferr_oom(c->err);
            return ferr_set(c->err, 400, "InvalidRequestContentException",
                            "Could not parse request body into json: Could not parse payload "
                            "into json: %s",
                            je.text);
        }
        json_decref(j);
    }
    if (alias) cfg = lambda_route(c, doc, alias, cfg);
    const char *executed = jstr(cfg, "Version");
    const char *state = lambda_state(cfg);
    if (strcmp(state, "Active"))
        return lambda_conflict(c,
                               "The operation cannot be performed at this time. The function "
                               "is currently in the following state: %s",
                               state);
    if (event) {
        /* AWS: an accepted event is queued, durably, before the 202 */
        if (!store_txn_is_write(c->txn)) return call_want_write(c);
        return lambda_async_enqueue(c, &r, (const char *)payload, len, out);
    }
    int tail = jstr(in, "LogType") && !strcmp(jstr(in, "LogType"), "Tail");
    fn_result result = {0};
    fn_spec s;
    if (lambda_spec(c, &r, doc, cfg, executed, &s)) return -1;
    if (!w) {
        /* an internal caller: it cannot park, it waits */
        if (functions_invoke(c->env, &s, (const char *)payload, len, c->request_id, &result,
                             c->err))
            return -1;
        int rc = answer(c, &result, executed, tail, out);
        fn_result_clear(&result);
        return rc;
    }
    char id[40];
    if (functions_start(c->env, &s, (const char *)payload, len, c->request_id, id, c->err))
        return -1;
    snprintf(w->own, sizeof(w->own), "%s|%s", id, executed);
    w->until = clock_now() + s.timeout_s + 10;
    char key[48];
    fn_wait_key(id, key);
    const char *k = arena_strdup(c->a, key);
    return k ? call_park(c, k, w->until) : ferr_oom(c->err);
}

/* ---- concurrency ---- */

int lambda_account_concurrency(void)
{
    static int limit;
    if (!limit) {
        const char *v = getenv("FERRY_LAMBDA_CONCURRENCY");
        limit = v && atoi(v) > 0 ? atoi(v) : 1000;
    }
    return limit;
}

int lambda_unreserved_min(void)
{
    return lambda_account_concurrency() / 10;
}

/* Every Invoke of an unreserved function needs the account's reservations, a listing of its
 * functions: kept per account and region for a second, forgotten on every function write. */
static struct {
    pthread_mutex_t mu;
    struct {
        char account[16], region[32];
        long long reserved;
        double at;
    } e[64];
    unsigned next;
} R = {.mu = PTHREAD_MUTEX_INITIALIZER};

void lambda_reserved_forget(void)
{
    pthread_mutex_lock(&R.mu);
    for (size_t i = 0; i < sizeof(R.e) / sizeof(R.e[0]); i++) R.e[i].at = 0;
    pthread_mutex_unlock(&R.mu);
}

int lambda_unreserved_pool(call *c, int *pool)
{
    double now = clock_now();
    long long reserved = -1;
    size_t n = sizeof(R.e) / sizeof(R.e[0]);
    pthread_mutex_lock(&R.mu);
    for (size_t i = 0; i < n && reserved < 0; i++)
        if (now - R.e[i].at < 1 && !strcmp(R.e[i].account, c->account) &&
            !strcmp(R.e[i].region, c->region))
            reserved = R.e[i].reserved;
    pthread_mutex_unlock(&R.mu);
    if (reserved < 0) {
        lambda_usage u;
        if (lambda_account_usage(c, NULL, &u)) return -1;
        reserved = u.reserved;
        pthread_mutex_lock(&R.mu);
        unsigned i = R.next++ % n;
        snprintf(R.e[i].account, sizeof(R.e[i].account), "%s", c->account);
        snprintf(R.e[i].region, sizeof(R.e[i].region), "%s", c->region);
        R.e[i].reserved = reserved;
        R.e[i].at = now;
        pthread_mutex_unlock(&R.mu);
    }
    *pool = (int)(lambda_account_concurrency() - reserved);
    return 0;
}

static int open_own(call *c, const json_t *in, const char *action, lambda_ref *r, json_t **doc)
{
    const char *arn;
    if (lambda_open_unqualified(c, in, action, r, doc, &arn)) return -1;
    call_resource(c, "AWS::Lambda::Function", arn);
    return 0;
}

int lambda_op_put_function_concurrency(call *c, json_t *in, json_t **out)
{
    lambda_ref r;
    json_t *doc;
    if (open_own(c, in, "lambda:PutFunctionConcurrency", &r, &doc)) return -1;
    long long n = jint(in, "ReservedConcurrentExecutions", 0);
    lambda_usage s;
    if (lambda_account_usage(c, r.name, &s)) return -1;
    if (lambda_account_concurrency() - s.reserved - n < lambda_unreserved_min())
        return lambda_invalid(c,
                              "Specified ReservedConcurrentExecutions for function decreases "
                              "account's UnreservedConcurrentExecution below its minimum value "
                              "of [%d].",
                              lambda_unreserved_min());
    if (json_object_set_new(doc, "Concurrency", json_integer(n))) return ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:I}", "ReservedConcurrentExecutions", (json_int_t)n));
    return lambda_save(c, r.name, doc);
}

int lambda_op_get_function_concurrency(call *c, json_t *in, json_t **out)
{
    lambda_ref r;
    json_t *doc;
    if (open_own(c, in, "lambda:GetFunctionConcurrency", &r, &doc)) return -1;
    json_t *n = json_object_get(doc, "Concurrency");
    *out = svc_out(c, n ? json_pack("{s:O}", "ReservedConcurrentExecutions", n) : json_object());
    return 0;
}

int lambda_op_delete_function_concurrency(call *c, json_t *in, json_t **out)
{
    (void)out;
    lambda_ref r;
    json_t *doc;
    if (open_own(c, in, "lambda:DeleteFunctionConcurrency", &r, &doc)) return -1;
    if (json_object_del(doc, "Concurrency")) return 0;
    return lambda_save(c, r.name, doc);
}

int lambda_op_get_account_settings(call *c, json_t *in, json_t **out)
{
    (void)in;
    if (call_authorize(c, "lambda:GetAccountSettings", "*")) return -1;
    lambda_usage s;
    if (lambda_account_usage(c, NULL, &s)) return -1;
    *out = svc_out(c, json_pack("{s:{s:I, s:I, s:I, s:i, s:I}, s:{s:I, s:I}}", "AccountLimit",
                                "TotalCodeSize", (json_int_t)80530636800LL, "CodeSizeUnzipped",
                                (json_int_t)LAMBDA_UNZIPPED_MAX, "CodeSizeZipped",
                                (json_int_t)LAMBDA_ZIPPED_MAX, "ConcurrentExecutions",
                                lambda_account_concurrency(), "UnreservedConcurrentExecutions",
                                (json_int_t)(lambda_account_concurrency() - s.reserved),
                                "AccountUsage", "TotalCodeSize", (json_int_t)s.code,
                                "FunctionCount", (json_int_t)s.functions));
    return 0;
}
