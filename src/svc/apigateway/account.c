/* API Gateway's account settings (GetAccount, UpdateAccount): the CloudWatch Logs role that
 * execution logging needs, the account's throttle, the features. Stored per account and
 * region as kind "apigateway.account", id "". The throttle is AWS's default (10,000
 * requests a second, bursts of 5,000, across every API of the account in the region);
 * AWS raises it only on request to Support, ferry with FERRY_APIGW_ACCOUNT_THROTTLE=RATE:BURST. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apigateway_int.h"
#include "base/arn.h"

#define ACCOUNT_KIND "apigateway.account"

static double acct_rate = 10000.0;
static long long acct_burst = 5000;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void read_env(void)
{
    const char *s = getenv("FERRY_APIGW_ACCOUNT_THROTTLE");
    double r;
    long long b;
    if (s && sscanf(s, "%lf:%lld", &r, &b) == 2 && r >= 0 && b >= 0) acct_rate = r, acct_burst = b;
}

void apigw_account_throttle(double *rate, long long *burst)
{
    pthread_once(&once, read_env);
    *rate = acct_rate;
    *burst = acct_burst;
}

/* The stored settings (a new reference), or AWS's first ones. */
static json_t *load(call *c)
{
    store_key k = {ACCOUNT_KIND, c->account, c->region, ""};
    json_t *doc = NULL;
    int rc = store_get(c->txn, &k, &doc, c->err);
    if (rc < 0) return NULL;
    if (!rc && !(doc = json_pack("{s:[s], s:s}", "features", "UsagePlans", "apiKeyVersion", "4")))
        ferr_oom(c->err);
    return doc;
}

static json_t *render(call *c, const json_t *doc)
{
    double rate;
    long long burst;
    apigw_account_throttle(&rate, &burst);
    json_t *o = json_deep_copy(doc);
    if (o && json_object_set_new(
                 o, "throttleSettings",
                 json_pack("{s:I, s:f}", "burstLimit", (json_int_t)burst, "rateLimit", rate)))
        json_decref(o), o = NULL;
    return svc_out(c, o);
}

const char *apigw_account_role(call *c)
{
    json_t *doc = load(c);
    const char *role = doc ? arena_strdup(c->a, jstr(doc, "cloudwatchRoleArn")) : NULL;
    json_decref(doc);
    return role;
}

int apigateway_op_get_account(call *c, json_t *in, json_t **out)
{
    (void)in;
    if (call_authorize(c, "apigateway:GET",
                       arena_printf(c->a, "arn:%s:apigateway:%s::/account",
                                    arn_partition(c->region), c->region)))
        return -1;
    json_t *doc = load(c);
    if (!doc) return -1;
    *out = render(c, doc);
    json_decref(doc);
    return 0;
}

/* AWS: the role must exist and trust apigateway.amazonaws.com. */
static int role_ok(call *c, const char *arn)
{
    /* arn:PARTITION:iam::ACCOUNT:role/[path/]NAME */
    const char *rest = arn_rest(arn, "iam"), *slash = strrchr(arn, '/');
    size_t al = strlen(c->account);
    if (!rest || rest[0] != ':' || strncmp(rest + 1, c->account, al) ||
        strncmp(rest + 1 + al, ":role/", 6) || !slash || !slash[1])
        return apigw_bad(c, "The role ARN is not well formed");
    json_t *in = json_pack("{s:s}", "RoleName", slash + 1), *out = NULL;
    ferr e = {0};
    int rc = in ? svc_invoke_in(c->txn, c->a, c->env, c->who, c->region, "iam", "GetRole", in, &out,
                                NULL, &e)
                : ferr_oom(c->err);
    json_decref(in);
    const char *trust = jstr(json_object_get(out, "Role"), "AssumeRolePolicyDocument");
    int ok = !rc && trust && strstr(trust, "apigateway.amazonaws.com");
    json_decref(out);
    if (!ok)
        return apigw_bad(c, "The role ARN does not have required permissions set to API Gateway");
    return 0;
}

int apigateway_op_update_account(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "apigateway:PATCH",
                       arena_printf(c->a, "arn:%s:apigateway:%s::/account",
                                    arn_partition(c->region), c->region)))
        return -1;
    json_t *doc = load(c);
    if (!doc || !arena_defer_json(c->a, doc)) return doc ? ferr_oom(c->err) : -1;
    size_t i;
    json_t *op;
    json_array_foreach(json_object_get(in, "patchOperations"), i, op) {
        const char *o = jstr(op, "op"), *path = jstr(op, "path"), *value = jstr(op, "value");
        if (o && path && !strcmp(path, "/cloudwatchRoleArn") && !strcmp(o, "replace")) {
            if (value && *value && role_ok(c, value)) return -1;
            if (value && *value ? jset_str(doc, "cloudwatchRoleArn", value)
                                : (json_object_del(doc, "cloudwatchRoleArn"), 0))
                return ferr_oom(c->err);
        } else if (o && path && !strcmp(path, "/features") &&
                   (!strcmp(o, "add") || !strcmp(o, "remove"))) {
            json_t *f = json_object_get(doc, "features");
            if (!value || strcmp(value, "UsagePlans"))
                return apigw_bad(c, "Invalid feature specified: %s", value ? value : "");
            if (!strcmp(o, "remove"))
                json_array_clear(f);
            else if (!json_array_size(f) && json_array_append_new(f, json_string(value)))
                return ferr_oom(c->err);
        } else {
            return apigw_bad(c,
                             "Invalid patch path '%s' specified for op '%s'. Must be one of: "
                             "[/cloudwatchRoleArn, /features]",
                             path ? path : "", o ? o : "");
        }
    }
    store_key k = {ACCOUNT_KIND, c->account, c->region, ""};
    if (store_put(c->txn, &k, doc, c->err)) return -1;
    *out = render(c, doc);
    return 0;
}
