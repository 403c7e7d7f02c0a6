/* Lambda authorizers at request time (see lambdaauth.h). AWS: "Use API Gateway Lambda
 * authorizers", "Output from an API Gateway Lambda authorizer". */
#include "lambdaauth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/gencache.h"
#include "base/log.h"
#include "iam/eval.h"
#include "iam/policy.h"
#include "svc/session.h"

const char *apigw_function_of(arena *a, const char *uri, const char **region)
{
    static const char mark[] = ":lambda:path/2015-03-31/functions/";
    const char *f = uri ? strstr(uri, mark) : NULL;
    if (!f) return NULL;
    f += sizeof(mark) - 1;
    const char *end = strstr(f, "/invocations");
    if (!end || !arn_rest(f, "lambda")) return NULL;
    const char *reg = f + 15, *colon = strchr(reg, ':');
    if (!colon || colon > end) return NULL;
    *region = arena_strndup(a, reg, (size_t)(colon - reg));
    return arena_strndup(a, f, (size_t)(end - f));
}

int apigw_lambda_invoke(ferry_env *env, arena *a, const principal *p, const char *account,
                        const char *fn, const char *region, const char *source_arn,
                        const char *payload, size_t len, const char **out, size_t *out_len,
                        int *failed, ferr *e)
{
    *out = NULL;
    *out_len = 0;
    *failed = 0;
    const char *b64 = enc_b64(a, (const unsigned char *)payload, len);
    json_t *in = b64 ? json_pack("{s:s, s:s}", "FunctionName", fn, "Payload", b64) : NULL;
    json_t *ctx =
        json_pack("{s:s, s:s}", "aws:SourceArn", source_arn, "aws:SourceAccount", account);
    json_t *res = NULL;
    int rc =
        in && ctx ? svc_invoke(env, p, region, "lambda", "Invoke", in, &res, ctx, e) : ferr_oom(e);
    json_decref(in);
    json_decref(ctx);
    if (rc) return -1;
    const char *p64 = jstr(res, "Payload");
    *failed = jstr(res, "FunctionError") != NULL;
    *out = p64 ? (const char *)enc_unb64(a, p64, strlen(p64), out_len) : NULL;
    json_decref(res);
    return 0;
}

int apigw_authz_invoke(ferry_env *env, arena *a, const char *account, const char *fn,
                       const char *region, const char *role, const char *source_arn,
                       const json_t *event, json_t **out)
{
    *out = NULL;
    principal p;
    session_service_principal(&p, "apigateway.amazonaws.com", account);
    ferr e = {0};
    if (role) {
        /* AWS: API Gateway assumes the authorizer's credentials role, which must trust it */
        session s;
        session_req sr = {.role_arn = role, .session_name = "APIGateway"};
        if (session_assume_as(env, NULL, a, &p, region, &sr, &s, &e)) {
            log_info("apigateway: authorizer credentials %s refused: %s %s", role, e.code,
                     e.message);
            return -1;
        }
        p = s.key.who;
    }
    char *text = json_dumps(event, JSON_COMPACT);
    const char *payload = text ? arena_strdup(a, text) : NULL;
    free(text);
    const char *raw = NULL;
    size_t len = 0;
    int failed = 0;
    if (!payload || apigw_lambda_invoke(env, a, &p, account, fn, region, source_arn, payload,
                                        strlen(payload), &raw, &len, &failed, &e)) {
        log_info("apigateway: authorizer %s not invoked: %s %s", fn, e.code, e.message);
        return -1;
    }
    json_t *ans = raw ? json_loadb(raw, len, JSON_DECODE_ANY, NULL) : NULL;
    if (failed) {
        /* AWS: an authorizer that fails with the message "Unauthorized" refuses (401) */
        const char *m = jstr(ans, "errorMessage");
        int rc = m && !strcmp(m, "Unauthorized") ? APIGW_AUTHZ_UNAUTHORIZED : -1;
        json_decref(ans);
        return rc;
    }
    if (!ans) return -1;
    *out = ans;
    return 0;
}

int apigw_authz_policy(arena *a, const json_t *policy, const char *account, const char *method_arn)
{
    (void)a;
    char *text = json_is_object(policy) ? json_dumps(policy, JSON_COMPACT) : NULL;
    ferr e = {0};
    iam_policy *pol = text ? iam_policy_parse(text, strlen(text), IAM_KIND_IDENTITY, &e) : NULL;
    free(text);
    if (!pol) return -1;
    /* the policy stands for the caller's identity policy in the API's account */
    principal who;
    memset(&who, 0, sizeof(who));
    who.kind = PRIN_USER;
    snprintf(who.account, sizeof(who.account), "%s", account);
    const iam_policy *set[] = {pol};
    iam_request r = {.principal = &who,
                     .action = "execute-api:Invoke",
                     .resource = method_arn,
                     .resource_account = account,
                     .identity = {set, 1}};
    iam_result res;
    int d = iam_evaluate(&r, &res);
    iam_policy_free(pol);
    return d == IAM_ALLOW ? 1 : d == IAM_EXPLICIT_DENY ? 2 : 0;
}

/* ---- the cache ---- */

typedef struct cached {
    json_t *answer;
    double until;
} cached;

static void cached_free(void *v)
{
    cached *c = v;
    if (!c) return;
    json_decref(c->answer);
    free(c);
}

static gencache_static answers = GENCACHE_STATIC(4096, cached_free);

static void copy_out(const void *val, void *ud)
{
    const cached *c = val;
    if (clock_now() < c->until) *(json_t **)ud = json_deep_copy(c->answer);
}

json_t *apigw_authz_cached(const char *key)
{
    json_t *out = NULL;
    gencache_read(gencache_of(&answers), key, 0, copy_out, &out);
    return out;
}

void apigw_authz_remember(const char *key, const json_t *answer, long long ttl)
{
    if (ttl <= 0) return;
    cached *c = calloc(1, sizeof(*c));
    if (!c || !(c->answer = json_deep_copy(answer))) {
        free(c);
        return;
    }
    c->until = clock_now() + (double)ttl;
    if (gencache_put(gencache_of(&answers), key, 0, c, NULL)) cached_free(c);
}
