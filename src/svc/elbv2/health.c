/* Target health. A target's state is kept on it in its group's document (_state, _ok and
 * _fail: consecutive passes and failures, _reason/_desc of the last failure, _checked: when
 * it was last checked, _since: when it began draining); what DescribeTargetHealth shows
 * also depends on whether the group is in use and health checks are on. The sweep checks
 * ip targets on loopback addresses only: ferry does not send requests into networks it
 * does not own; others of type ip are "unavailable". Instance targets have no address
 * here, so a group in use counts them healthy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/clock.h"
#include "base/log.h"
#include "elbv2_int.h"
#include "svc/httpc.h"

#define PROBE_MAX_BODY 4096

static const char *or_(const char *a, const char *b)
{
    return a ? a : b;
}

json_t *el_target_health(const json_t *tg, const json_t *t, int in_use)
{
    const char *st = or_(jstr(t, "_state"), "initial"), *reason = NULL, *desc = NULL;
    char port[16];
    const char *hp = jstr(tg, "HealthCheckPort");
    if (!hp || !strcmp(hp, "traffic-port"))
        snprintf(port, sizeof(port), "%lld", jint(t, "Port", 0));
    else
        snprintf(port, sizeof(port), "%s", hp);
    if (!strcmp(st, "draining")) {
        reason = "Target.DeregistrationInProgress";
        desc = "Target deregistration is in progress";
    } else if (!in_use) {
        st = "unused";
        reason = "Target.NotInUse";
        desc = "Target group is not configured to receive traffic from the load balancer";
    } else if (!jbool(tg, "HealthCheckEnabled", 1)) {
        st = "unavailable";
        reason = "Target.HealthCheckDisabled";
        desc = "Health checks are disabled";
    } else if (!strcmp(st, "initial")) {
        int checked = json_number_value(json_object_get(t, "_checked")) > 0;
        reason = checked ? "Elb.InitialHealthChecking" : "Elb.RegistrationInProgress";
        desc = checked ? "Initial health checks in progress" : "Target registration is in progress";
    } else if (strcmp(st, "healthy")) {
        reason = jstr(t, "_reason");
        desc = jstr(t, "_desc");
    }
    json_t *target = json_pack("{s:s}", "Id", jstr(t, "Id")), *h = json_pack("{s:s}", "State", st);
    json_t *out = json_pack("{s:o, s:o}", "Target", target, "TargetHealth", h);
    int bad = !out || (json_object_get(t, "Port") &&
                       json_object_set(target, "Port", json_object_get(t, "Port")));
    if (!bad && json_object_get(t, "AvailabilityZone"))
        bad = json_object_set(target, "AvailabilityZone", json_object_get(t, "AvailabilityZone"));
    if (!bad && strcmp(jstr(tg, "TargetType"), "lambda"))
        bad = jset_str(out, "HealthCheckPort", port);
    if (!bad && reason) bad = jset_str(h, "Reason", reason) || jset_str(h, "Description", desc);
    if (bad) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* ---- the sweep ---- */

/* The group's interval, or the seam's. */
static double interval_of(const json_t *tg)
{
    const char *s = getenv("FERRY_ELBV2_HEALTH_INTERVAL");
    double v = s ? atof(s) : 0;
    return v > 0 ? v : (double)jint(tg, "HealthCheckIntervalSeconds", 30);
}

typedef struct scan {
    json_t *tgs;   /* [{account, region, doc}] */
    json_t *inuse; /* {target group ARN: true} */
    ferr *e;
    int failed; /* a callback ran out of memory (store_list only stops) */
} scan;

static int scan_tg(void *ud, const store_key *k, json_t *doc)
{
    scan *s = ud;
    if (json_array_append_new(s->tgs, json_pack("{s:s, s:s, s:O}", "account", k->account, "region",
                                                k->region, "doc", doc)))
        s->failed = 1;
    return s->failed;
}

static int scan_uses(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    scan *s = ud;
    json_t *tgs = json_array(), *x;
    size_t i;
    if (!tgs) return s->failed = 1;
    int rc = el_actions_tgs(json_object_get(doc, "DefaultActions"), tgs, s->e) ||
             el_actions_tgs(json_object_get(doc, "Actions"), tgs, s->e);
    json_array_foreach(tgs, i, x) {
        if (!rc) rc = json_object_set(s->inuse, json_string_value(x), json_true());
    }
    json_decref(tgs);
    if (rc) s->failed = 1;
    return s->failed;
}

static int loopback(const char *ip)
{
    return !strncmp(ip, "127.", 4) || !strcmp(ip, "::1");
}

/* The HTTP code matches the matcher ("200", "200,202", "200-299"). */
static int code_matches(const char *m, long code)
{
    if (!m || !*m) m = "200";
    while (*m) {
        char *end;
        long lo = strtol(m, &end, 10), hi = lo;
        if (end == m) return 0;
        if (*end == '-') {
            m = end + 1;
            hi = strtol(m, &end, 10);
        }
        if (code >= lo && code <= hi) return 1;
        m = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return 0;
    }
    return 0;
}

/* One check: 1 passed, 0 failed (reason and description set). */
static int probe(arena *a, const json_t *tg, const json_t *t, const char **reason, char *desc,
                 size_t n)
{
    const char *ip = jstr(t, "Id"), *hp = jstr(tg, "HealthCheckPort");
    const char *path = or_(jstr(tg, "HealthCheckPath"), "/");
    long long port = hp && strcmp(hp, "traffic-port") ? atoll(hp) : jint(t, "Port", 80);
    const char *proto = or_(jstr(tg, "HealthCheckProtocol"), "HTTP");
    const char *url = arena_printf(a, strchr(ip, ':') ? "%s://[%s]:%lld%s" : "%s://%s:%lld%s",
                                   !strcmp(proto, "HTTPS") ? "https" : "http", ip, port, path);
    httpc_resp r;
    memset(&r, 0, sizeof(r));
    long tmo = (long)jint(tg, "HealthCheckTimeoutSeconds", 5) * 1000;
    int rc =
        url ? httpc_do(a, "GET", url, NULL, 0, NULL, 0, tmo, PROBE_MAX_BODY, &r) : HTTPC_FAILED;
    if (rc == 0) buf_dispose(&r.body);
    if (rc == HTTPC_TIMEOUT) {
        *reason = "Target.Timeout";
        snprintf(desc, n, "Request timed out");
        return 0;
    }
    if (rc) {
        *reason = "Target.FailedHealthChecks";
        snprintf(desc, n, "Health checks failed");
        return 0;
    }
    if (!code_matches(jstr(json_object_get(tg, "Matcher"), "HttpCode"), r.status)) {
        *reason = "Target.ResponseCodeMismatch";
        snprintf(desc, n, "Health checks failed with these codes: [%ld]", r.status);
        return 0;
    }
    return 1;
}

/* Applies a check's result to target t of tg. */
static int apply(json_t *tg, json_t *t, int ok, const char *reason, const char *desc, double now)
{
    const char *st = or_(jstr(t, "_state"), "initial");
    long long oks = ok ? jint(t, "_ok", 0) + 1 : 0, fails = ok ? 0 : jint(t, "_fail", 0) + 1;
    const char *next = st;
    if (ok && strcmp(st, "healthy") && oks >= jint(tg, "HealthyThresholdCount", 5))
        next = "healthy";
    if (!ok && strcmp(st, "unhealthy") && fails >= jint(tg, "UnhealthyThresholdCount", 2))
        next = "unhealthy";
    int bad = json_object_set_new(t, "_ok", json_integer(oks)) ||
              json_object_set_new(t, "_fail", json_integer(fails)) ||
              json_object_set_new(t, "_checked", json_real(now)) ||
              json_object_set_new(t, "_state", json_string(next));
    if (!ok) bad = bad || jset_str(t, "_reason", reason) || jset_str(t, "_desc", desc);
    return bad ? -1 : 0;
}

/* Does this sweep's work on tg (in its write transaction), with the results of the checks
 * (results: {"GROUPARN ID:PORT": {"ok", "reason", "desc"}}). 1 changed, 0 not, -1 OOM. */
static int update(json_t *tg, const json_t *results, int in_use, double now)
{
    json_t *targets = json_object_get(tg, "Targets"), *t;
    const char *delay_s =
        jstr(json_object_get(tg, "Attributes"), "deregistration_delay.timeout_seconds");
    double delay = delay_s ? atof(delay_s) : 300;
    int changed = 0;
    for (size_t i = json_array_size(targets); i-- > 0;) {
        t = json_array_get(targets, i);
        const char *st = or_(jstr(t, "_state"), "initial");
        if (!strcmp(st, "draining")) {
            if (now >= json_number_value(json_object_get(t, "_since")) + delay) {
                if (json_array_remove(targets, i)) return -1;
                changed = 1;
            }
            continue;
        }
        if (!in_use || !jbool(tg, "HealthCheckEnabled", 1)) continue;
        const char *type = jstr(tg, "TargetType");
        if (!strcmp(type, "instance") && strcmp(st, "healthy")) {
            if (json_object_set_new(t, "_state", json_string("healthy"))) return -1;
            changed = 1;
            continue;
        }
        if (strcmp(type, "ip")) continue;
        if (!loopback(jstr(t, "Id"))) {
            if (!strcmp(st, "unavailable")) continue;
            if (json_object_set_new(t, "_state", json_string("unavailable")) ||
                jset_str(t, "_reason", "Elb.InternalError") ||
                jset_str(t, "_desc", "ferry health checks only loopback addresses"))
                return -1;
            changed = 1;
            continue;
        }
        char key[1200];
        /* per group: two groups probe one target with their own paths and intervals */
        snprintf(key, sizeof(key), "%s %s:%lld", jstr(tg, "TargetGroupArn"), jstr(t, "Id"),
                 jint(t, "Port", 0));
        json_t *r = json_object_get(results, key);
        if (!r) continue;
        if (apply(tg, t, jbool(r, "ok", 0), jstr(r, "reason"), jstr(r, "desc"), now)) return -1;
        changed = 1;
    }
    return changed;
}

int elbv2_health_sweep(ferry_env *env, ferr *e)
{
    store_txn *t = NULL;
    scan s = {json_array(), json_object(), e, 0};
    json_t *results = json_object();
    arena *a = arena_new(4096);
    int rc = -1;
    if (!s.tgs || !s.inuse || !results || !a) {
        ferr_oom(e);
        goto out;
    }
    if (store_begin(env->st, 0, &t, e)) goto out;
    if (store_list(t, EL_TG, NULL, NULL, NULL, NULL, 0, scan_tg, &s, e) < 0 ||
        store_list(t, EL_LS, NULL, NULL, NULL, NULL, 0, scan_uses, &s, e) < 0 ||
        store_list(t, EL_RULE, NULL, NULL, NULL, NULL, 0, scan_uses, &s, e) < 0 || s.failed) {
        if (!ferr_isset(e)) ferr_oom(e);
        goto out;
    }
    store_rollback(t);
    t = NULL;

    /* the checks, with no transaction open */
    double now = clock_now();
    int work = 0;
    size_t i, j;
    json_t *x, *tg, *tgt;
    json_array_foreach(s.tgs, i, x) {
        tg = json_object_get(x, "doc");
        int in_use = json_object_get(s.inuse, jstr(tg, "TargetGroupArn")) != NULL;
        json_array_foreach(json_object_get(tg, "Targets"), j, tgt) {
            const char *st = or_(jstr(tgt, "_state"), "initial");
            if (!strcmp(st, "draining")) {
                work = 1;
                continue;
            }
            if (!in_use || !jbool(tg, "HealthCheckEnabled", 1)) continue;
            if (strcmp(jstr(tg, "TargetType"), "ip") || !loopback(jstr(tgt, "Id"))) {
                work |= strcmp(st, !strcmp(jstr(tg, "TargetType"), "instance") ? "healthy"
                                                                               : "unavailable") &&
                        strcmp(jstr(tg, "TargetType"), "lambda");
                continue;
            }
            if (now - json_number_value(json_object_get(tgt, "_checked")) < interval_of(tg) * 0.95)
                continue;
            const char *reason = NULL;
            char desc[128] = "", key[1200];
            int ok = probe(a, tg, tgt, &reason, desc, sizeof(desc));
            snprintf(key, sizeof(key), "%s %s:%lld", jstr(tg, "TargetGroupArn"), jstr(tgt, "Id"),
                     jint(tgt, "Port", 0));
            if (json_object_set_new(
                    results, key,
                    json_pack("{s:b, s:s?, s:s}", "ok", ok, "reason", reason, "desc", desc))) {
                ferr_oom(e);
                goto out;
            }
            work = 1;
        }
    }
    if (!work) {
        rc = 0;
        goto out;
    }

    /* the results, in one write transaction */
    now = clock_now();
    if (store_begin(env->st, 1, &t, e)) goto out;
    json_array_foreach(s.tgs, i, x) {
        store_key k = {EL_TG, jstr(x, "account"), jstr(x, "region"),
                       jstr(json_object_get(x, "doc"), "TargetGroupName")};
        json_t *cur = NULL;
        int got = store_get(t, &k, &cur, e);
        if (got < 0) goto out;
        if (!got) continue;
        /* the same group, not one made again under its name meanwhile */
        int same = !strcmp(jstr(cur, "_id"), jstr(json_object_get(x, "doc"), "_id"));
        int ch = same ? update(cur, results,
                               json_object_get(s.inuse, jstr(cur, "TargetGroupArn")) != NULL, now)
                      : 0;
        int prc = ch == 1 ? store_put(t, &k, cur, e) : 0;
        json_decref(cur);
        if (ch < 0) ferr_oom(e);
        if (ch < 0 || prc) goto out;
    }
    rc = store_commit(t, e);
    t = NULL;
out:
    store_rollback(t);
    json_decref(s.tgs);
    json_decref(s.inuse);
    json_decref(results);
    arena_free(a);
    return rc;
}
