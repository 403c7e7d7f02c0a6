#include "delivery_policy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void delivery_policy_http_default(delivery_policy *p)
{
    memset(p, 0, sizeof(*p));
    p->min_delay = p->max_delay = 20;
    p->num_retries = 3;
    p->backoff = DP_LINEAR;
    snprintf(p->content_type, sizeof(p->content_type), "text/plain; charset=UTF-8");
}

void delivery_policy_managed(delivery_policy *p)
{
    memset(p, 0, sizeof(*p));
    p->num_no_delay = 3;
    p->num_min_delay = 2;
    p->min_delay = 1;
    p->max_delay = 20;
    p->num_max_delay = 100000;
    p->num_retries = 3 + 2 + 10 + 100000;
    p->backoff = DP_EXPONENTIAL;
    snprintf(p->content_type, sizeof(p->content_type), "text/plain; charset=UTF-8");
}

static const char *const backoffs[] = {"linear", "arithmetic", "geometric", "exponential"};

static int bad(ferr *e, const char *fmt, const char *a, long long n)
{
    char reason[512];
    snprintf(reason, sizeof(reason), fmt, a, n);
    return ferr_set(e, 400, "InvalidParameter", "Invalid parameter: DeliveryPolicy: %s", reason);
}

static int only_members(const json_t *o, const char *const *allowed, ferr *e)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++) ok = !strcmp(k, *a);
        if (!ok) return bad(e, "Unexpected JSON member: %s%.0lld", k, 0);
    }
    return 0;
}

/* An integer member within [lo, hi]; absent is fine. */
static int int_member(const json_t *o, const char *path, const char *k, long long lo, long long hi,
                      long long *out, ferr *e)
{
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v)) return 0;
    char name[160];
    snprintf(name, sizeof(name), "%s%s", path, k);
    if (!json_is_integer(v)) return bad(e, "%s must be an integer%.0lld", name, 0);
    long long x = json_integer_value(v);
    if (x < lo) return bad(e, "%s must be greater than or equal to %lld", name, lo);
    if (x > hi) return bad(e, "%s must be less than or equal to %lld", name, hi);
    *out = x;
    return 0;
}

static int retry_policy(const json_t *r, const char *path, ferr *e)
{
    static const char *const members[] = {
        "minDelayTarget",     "maxDelayTarget",     "numRetries",      "numNoDelayRetries",
        "numMinDelayRetries", "numMaxDelayRetries", "backoffFunction", NULL};
    if (!r || json_is_null(r)) return 0;
    if (!json_is_object(r)) return bad(e, "%s must be an object%.0lld", path, 0);
    if (only_members(r, members, e)) return -1;
    char p[96];
    snprintf(p, sizeof(p), "%s.", path);
    long long min = 20, max = 20, n = 3, nd = 0, nmin = 0, nmax = 0;
    if (int_member(r, p, "minDelayTarget", 1, 3600, &min, e) ||
        int_member(r, p, "maxDelayTarget", 1, 3600, &max, e) ||
        int_member(r, p, "numRetries", 0, 100, &n, e) ||
        int_member(r, p, "numNoDelayRetries", 0, 100, &nd, e) ||
        int_member(r, p, "numMinDelayRetries", 0, 100, &nmin, e) ||
        int_member(r, p, "numMaxDelayRetries", 0, 100, &nmax, e))
        return -1;
    char name[160];
    if (min > max) {
        snprintf(name, sizeof(name), "%sminDelayTarget", p);
        return bad(e, "%s must be less than or equal to maxDelayTarget%.0lld", name, 0);
    }
    if (nd + nmin + nmax > n) {
        snprintf(name, sizeof(name), "%snumRetries", p);
        return bad(e,
                   "%s must be greater than or equal to the sum of numNoDelayRetries, "
                   "numMinDelayRetries and numMaxDelayRetries%.0lld",
                   name, 0);
    }
    json_t *b = json_object_get(r, "backoffFunction");
    if (b && !json_is_null(b)) {
        int ok = 0;
        for (int i = 0; i < 4 && json_is_string(b); i++)
            ok |= !strcmp(json_string_value(b), backoffs[i]);
        if (!ok) {
            snprintf(name, sizeof(name), "%sbackoffFunction", p);
            return bad(e, "%s must be one of linear, arithmetic, geometric, exponential%.0lld",
                       name, 0);
        }
    }
    /* AWS: "The total policy retry time for an HTTP/S endpoint cannot be greater than
     * 3,600 seconds." */
    delivery_policy dp = {.min_delay = (int)min,
                          .max_delay = (int)max,
                          .num_retries = (int)n,
                          .num_no_delay = (int)nd,
                          .num_min_delay = (int)nmin,
                          .num_max_delay = (int)nmax};
    double total = 0;
    for (int i = 1; i <= n; i++) total += delivery_policy_delay(&dp, i);
    if (total > 3600)
        return bad(e, "%s total retry time must be less than or equal to %lld", path, 3600);
    return 0;
}

static int throttle_policy(const json_t *t, const char *path, ferr *e)
{
    static const char *const members[] = {"maxReceivesPerSecond", NULL};
    if (!t || json_is_null(t)) return 0;
    if (!json_is_object(t)) return bad(e, "%s must be an object%.0lld", path, 0);
    if (only_members(t, members, e)) return -1;
    char p[96];
    snprintf(p, sizeof(p), "%s.", path);
    long long x;
    return int_member(t, p, "maxReceivesPerSecond", 1, 1000000000, &x, e);
}

static int request_policy(const json_t *r, const char *path, ferr *e)
{
    static const char *const members[] = {"headerContentType", NULL};
    static const char *const types[] = {"text/plain",
                                        "application/json",
                                        "application/xml",
                                        "text/plain; charset=UTF-8",
                                        "application/json; charset=UTF-8",
                                        "application/xml; charset=UTF-8",
                                        NULL};
    if (!r || json_is_null(r)) return 0;
    if (!json_is_object(r)) return bad(e, "%s must be an object%.0lld", path, 0);
    if (only_members(r, members, e)) return -1;
    json_t *v = json_object_get(r, "headerContentType");
    if (!v) return 0;
    for (const char *const *t = types; *t; t++)
        if (json_is_string(v) && !strcmp(json_string_value(v), *t)) return 0;
    return bad(e, "%s.headerContentType is not supported%.0lld", path, 0);
}

int delivery_policy_validate(const char *text, int topic, ferr *e)
{
    if (!text || !*text) return 0;
    json_error_t je;
    json_t *doc = json_loads(text, 0, &je);
    int rc = -1;
    if (!doc) {
        bad(e, "failed to parse JSON%.0lld", NULL, 0);
        goto out;
    }
    if (topic) {
        static const char *const top[] = {"http", "https",       "sqs",      "lambda", "email",
                                          "sms",  "application", "firehose", NULL};
        static const char *const members[] = {
            "defaultHealthyRetryPolicy", "disableSubscriptionOverrides", "defaultThrottlePolicy",
            "defaultRequestPolicy",      "defaultSicklyRetryPolicy",     NULL};
        if (only_members(doc, top, e)) goto out;
        const char *proto;
        json_t *v;
        json_object_foreach(doc, proto, v) {
            char path[96];
            if (!json_is_object(v)) {
                bad(e, "%s must be an object%.0lld", proto, 0);
                goto out;
            }
            if (only_members(v, members, e)) goto out;
            json_t *d = json_object_get(v, "disableSubscriptionOverrides");
            if (d && !json_is_boolean(d)) {
                bad(e, "%s.disableSubscriptionOverrides must be a boolean%.0lld", proto, 0);
                goto out;
            }
            snprintf(path, sizeof(path), "%s.defaultHealthyRetryPolicy", proto);
            if (retry_policy(json_object_get(v, "defaultHealthyRetryPolicy"), path, e)) goto out;
            snprintf(path, sizeof(path), "%s.defaultThrottlePolicy", proto);
            if (throttle_policy(json_object_get(v, "defaultThrottlePolicy"), path, e)) goto out;
            snprintf(path, sizeof(path), "%s.defaultRequestPolicy", proto);
            if (request_policy(json_object_get(v, "defaultRequestPolicy"), path, e)) goto out;
        }
    } else {
        static const char *const members[] = {"healthyRetryPolicy", "throttlePolicy",
                                              "requestPolicy",      "sicklyRetryPolicy",
                                              "guaranteed",         NULL};
        if (!json_is_object(doc)) {
            bad(e, "failed to parse JSON%.0lld", NULL, 0);
            goto out;
        }
        if (only_members(doc, members, e) ||
            retry_policy(json_object_get(doc, "healthyRetryPolicy"), "healthyRetryPolicy", e) ||
            throttle_policy(json_object_get(doc, "throttlePolicy"), "throttlePolicy", e) ||
            request_policy(json_object_get(doc, "requestPolicy"), "requestPolicy", e))
            goto out;
    }
    rc = 0;
out:
    json_decref(doc);
    return rc;
}

static void apply_retry(const json_t *r, delivery_policy *p)
{
    if (!json_is_object(r)) return;
    json_t *v;
    if ((v = json_object_get(r, "minDelayTarget")) && json_is_integer(v))
        p->min_delay = (int)json_integer_value(v);
    if ((v = json_object_get(r, "maxDelayTarget")) && json_is_integer(v))
        p->max_delay = (int)json_integer_value(v);
    if ((v = json_object_get(r, "numRetries")) && json_is_integer(v))
        p->num_retries = (int)json_integer_value(v);
    if ((v = json_object_get(r, "numNoDelayRetries")) && json_is_integer(v))
        p->num_no_delay = (int)json_integer_value(v);
    if ((v = json_object_get(r, "numMinDelayRetries")) && json_is_integer(v))
        p->num_min_delay = (int)json_integer_value(v);
    if ((v = json_object_get(r, "numMaxDelayRetries")) && json_is_integer(v))
        p->num_max_delay = (int)json_integer_value(v);
    if ((v = json_object_get(r, "backoffFunction")) && json_is_string(v))
        for (int i = 0; i < 4; i++)
            if (!strcmp(json_string_value(v), backoffs[i])) p->backoff = i;
}

static void apply_rest(const json_t *throttle, const json_t *request, delivery_policy *p)
{
    json_t *v = json_object_get(throttle, "maxReceivesPerSecond");
    if (json_is_integer(v)) p->max_per_second = (int)json_integer_value(v);
    v = json_object_get(request, "headerContentType");
    if (json_is_string(v))
        snprintf(p->content_type, sizeof(p->content_type), "%s", json_string_value(v));
}

void delivery_policy_effective(const char *topic_policy, const char *sub_policy,
                               delivery_policy *out)
{
    delivery_policy_http_default(out);
    json_error_t je;
    json_t *t = topic_policy && *topic_policy ? json_loads(topic_policy, 0, &je) : NULL;
    json_t *s = sub_policy && *sub_policy ? json_loads(sub_policy, 0, &je) : NULL;
    json_t *th = json_object_get(t, "http");
    if (!th) th = json_object_get(t, "https");
    if (th) {
        apply_retry(json_object_get(th, "defaultHealthyRetryPolicy"), out);
        apply_rest(json_object_get(th, "defaultThrottlePolicy"),
                   json_object_get(th, "defaultRequestPolicy"), out);
    }
    if (s && !json_is_true(json_object_get(th, "disableSubscriptionOverrides"))) {
        apply_retry(json_object_get(s, "healthyRetryPolicy"), out);
        apply_rest(json_object_get(s, "throttlePolicy"), json_object_get(s, "requestPolicy"), out);
    }
    json_decref(t);
    json_decref(s);
}

static json_t *retry_json(const delivery_policy *p)
{
    return json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:s}", "minDelayTarget", p->min_delay,
                     "maxDelayTarget", p->max_delay, "numRetries", p->num_retries,
                     "numMaxDelayRetries", p->num_max_delay, "numNoDelayRetries", p->num_no_delay,
                     "numMinDelayRetries", p->num_min_delay, "backoffFunction",
                     backoffs[p->backoff]);
}

char *delivery_policy_topic_effective_json(const char *topic_policy)
{
    /* AWS answers the topic's policy with the defaults filled in for http */
    json_error_t je;
    json_t *t = topic_policy && *topic_policy ? json_loads(topic_policy, 0, &je) : NULL;
    if (!json_is_object(t)) {
        json_decref(t);
        t = json_object();
    }
    json_t *h = json_object_get(t, "http");
    int rc = 0; /* out of memory anywhere: NULL */
    if (!json_is_object(h)) {
        h = json_object();
        if (json_object_set_new(t, "http", h)) h = NULL, rc = -1;
    }
    delivery_policy d;
    delivery_policy_http_default(&d);
    apply_retry(json_object_get(h, "defaultHealthyRetryPolicy"), &d);
    rc |= json_object_set_new(h, "defaultHealthyRetryPolicy", retry_json(&d));
    if (!json_object_get(h, "disableSubscriptionOverrides"))
        rc |= json_object_set_new(h, "disableSubscriptionOverrides", json_false());
    if (!json_object_get(h, "defaultRequestPolicy"))
        rc |= json_object_set_new(
            h, "defaultRequestPolicy",
            json_pack("{s:s}", "headerContentType", "text/plain; charset=UTF-8"));
    char *s = rc ? NULL : json_dumps(t, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(t);
    return s;
}

char *delivery_policy_sub_effective_json(const delivery_policy *p)
{
    json_t *o = json_pack("{s:o, s:n, s:n, s:b}", "healthyRetryPolicy", retry_json(p),
                          "sicklyRetryPolicy", "throttlePolicy", "guaranteed", 0);
    int rc = 0; /* out of memory anywhere: NULL */
    if (p->max_per_second)
        rc |= json_object_set_new(o, "throttlePolicy",
                                  json_pack("{s:i}", "maxReceivesPerSecond", p->max_per_second));
    rc |= json_object_set_new(o, "requestPolicy",
                              json_pack("{s:s}", "headerContentType", p->content_type));
    char *s = rc ? NULL : json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

double delivery_policy_delay(const delivery_policy *p, int retry)
{
    if (retry < 1 || retry > p->num_retries) return -1;
    if (retry <= p->num_no_delay) return 0;
    retry -= p->num_no_delay;
    if (retry <= p->num_min_delay) return p->min_delay;
    retry -= p->num_min_delay;
    int backoff = p->num_retries - p->num_no_delay - p->num_min_delay - p->num_max_delay;
    if (retry > backoff) return p->max_delay;
    double lo = p->min_delay, hi = p->max_delay, f = (double)retry / backoff;
    switch (p->backoff) {
    case DP_ARITHMETIC: /* grows with the square of the step */ return lo + (hi - lo) * f * f;
    case DP_GEOMETRIC: /* equal ratios between steps */ return lo * pow(hi / lo, f);
    case DP_EXPONENTIAL: /* doubles each step */
        return lo + (hi - lo) * (pow(2, retry) - 1) / (pow(2, backoff) - 1);
    default: return lo + (hi - lo) * f;
    }
}
