/* Health checks: the operations, and the engine that performs them. HTTP(S), string-match
 * and TCP checks are made for real (libcurl, connect()) against loopback targets only (a
 * team server does not probe other hosts for its callers): a check of another target is
 * reported healthy, unchecked. A CALCULATED check is healthy when at least HealthThreshold
 * of its children are. Status lives in memory (a restart starts every check healthy, as a
 * new check starts in AWS) and is read by GetHealthCheckStatus and the DNS server. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/hmap.h"
#include "base/ids.h"
#include "base/log.h"
#include "engine/engines.h"
#include "engine/periodic.h"
#include "route53_int.h"
#include "svc/httpc.h"

typedef struct hstate {
    int healthy, fails, oks;
    double checked;
    char report[160];
} hstate;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static hmap states; /* id -> hstate*, under mu */

int route53_health_ok(const char *id)
{
    pthread_mutex_lock(&mu);
    hstate *s = hmap_get(&states, id);
    int ok = s ? s->healthy : 1;
    pthread_mutex_unlock(&mu);
    return ok;
}

int route53_hc_exists(call *c, const char *id)
{
    json_t *d = NULL;
    store_key k = {R53_HC_KIND, c->account, "", id};
    int rc = store_get(c->txn, &k, &d, c->err);
    json_decref(d);
    return rc;
}

/* ---- the checks ---- */

/* A target ferry may probe: an address literal in 127/8 or ::1, or localhost. A name such
 * as 127.example.com is not one (it resolves anywhere). */
static int loopback(const char *host)
{
    struct in_addr a4;
    if (host && inet_pton(AF_INET, host, &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
    return host && (!strcmp(host, "::1") || !strcasecmp(host, "localhost") ||
                    !strcasecmp(host, "localhost."));
}

static int tcp_check(const char *host, int port, long ms, char *report, size_t n)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    char ps[8];
    snprintf(ps, sizeof(ps), "%d", port);
    if (getaddrinfo(host, ps, &hints, &ai) || !ai) {
        snprintf(report, n, "Failure: DNS resolution failed");
        return 0;
    }
    int ok = 0, fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
        int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (r && errno == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int err = 0;
            socklen_t el = sizeof(err);
            if (poll(&p, 1, (int)ms) == 1 && !getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) &&
                !err)
                r = 0;
        }
        ok = !r;
        close(fd);
    }
    freeaddrinfo(ai);
    snprintf(report, n,
             ok ? "Success: TCP connection established"
                : "Failure: Connection refused. The endpoint refused the connection.");
    return ok;
}

static int http_check(const json_t *cfg, const char *host, int port, long ms, char *report,
                      size_t n)
{
    const char *type = jstr(cfg, "Type");
    int tls = !strncmp(type, "HTTPS", 5);
    const char *path = jstr(cfg, "ResourcePath");
    char url[1024];
    snprintf(url, sizeof(url), "%s://%s%s:%d%s%s", tls ? "https" : "http",
             strchr(host, ':') ? "[" : "", host, port, path && path[0] == '/' ? "" : "/",
             path ? path : "");
    if (strchr(host, ':')) {
        /* an IPv6 literal closes its bracket before the port */
        snprintf(url, sizeof(url), "%s://[%s]:%d%s%s", tls ? "https" : "http", host, port,
                 path && path[0] == '/' ? "" : "/", path ? path : "");
    }
    arena *a = arena_new(4096);
    if (!a) return 0;
    httpc_resp r = {0};
    /* AWS: the first 5,120 bytes of the body are searched */
    int rc = httpc_do(a, "GET", url, NULL, 0, NULL, 0, ms, 5120, &r);
    int ok = 0;
    if (rc) {
        snprintf(report, n,
                 rc == HTTPC_TIMEOUT ? "Failure: The connection timed out."
                                     : "Failure: Connection refused. The endpoint "
                                       "refused the connection.");
    } else if (r.status < 200 || r.status >= 400) {
        snprintf(report, n, "Failure: HTTP Status Code %ld", r.status);
    } else if (strstr(type, "STR_MATCH")) {
        const char *want = jstr(cfg, "SearchString");
        ok = want && r.body.len && memmem(r.body.p, r.body.len, want, strlen(want));
        snprintf(report, n,
                 ok ? "Success: HTTP Status Code %ld. Resolved search string"
                    : "Failure: Search string not found in response body (HTTP %ld)",
                 r.status);
    } else {
        ok = 1;
        snprintf(report, n, "Success: HTTP Status Code %ld, OK", r.status);
    }
    buf_dispose(&r.body);
    arena_free(a);
    return ok;
}

static double seam_interval(void)
{
    const char *s = getenv("FERRY_ROUTE53_HEALTH_INTERVAL");
    return s && atof(s) > 0 ? atof(s) : 0;
}

static hstate *state_of(const char *id)
{
    hstate *s = hmap_get(&states, id);
    if (s) return s;
    s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->healthy = 1;
    if (hmap_put(&states, id, s, NULL)) {
        free(s);
        return NULL;
    }
    return s;
}

static void record(const char *id, const json_t *cfg, int ok, const char *report)
{
    if (jbool(cfg, "Inverted", 0)) ok = !ok;
    long thr = (long)jint(cfg, "FailureThreshold", 3);
    pthread_mutex_lock(&mu);
    hstate *s = state_of(id);
    if (s) {
        if (ok)
            s->oks++, s->fails = 0;
        else
            s->fails++, s->oks = 0;
        if (s->healthy && s->fails >= thr) s->healthy = 0;
        if (!s->healthy && s->oks >= thr) s->healthy = 1;
        s->checked = clock_now();
        snprintf(s->report, sizeof(s->report), "%s", report);
    }
    pthread_mutex_unlock(&mu);
}

typedef struct sweep_ud {
    json_t *checks; /* [{Id, Config}] */
} sweep_ud;

static int sweep_cb(void *ud, const store_key *k, json_t *doc)
{
    sweep_ud *u = ud;
    json_t *e =
        json_pack("{s:s, s:O}", "Id", k->id, "Config", json_object_get(doc, "HealthCheckConfig"));
    if (e && json_array_append_new(u->checks, e)) return 1;
    return 0;
}

static void sweep(ferry_env *env)
{
    sweep_ud u = {json_array()};
    if (!u.checks) return;
    ferr e = {0};
    store_txn *t = NULL;
    if (store_begin(env->st, 0, &t, &e)) {
        json_decref(u.checks);
        return;
    }
    if (store_list(t, R53_HC_KIND, NULL, "", NULL, NULL, 0, sweep_cb, &u, &e) < 0)
        log_error("route53 health: %s", e.message);
    store_rollback(t);
    double seam = seam_interval(), now = clock_now();
    size_t i;
    json_t *h;
    /* checks whose targets are hosts first, then the calculated ones that read them */
    for (int pass = 0; pass < 2; pass++)
        json_array_foreach(u.checks, i, h) {
            const char *id = jstr(h, "Id");
            const json_t *cfg = json_object_get(h, "Config");
            const char *type = jstr(cfg, "Type");
            if (!type || (pass == 0) == !strcmp(type, "CALCULATED")) continue;
            double every = seam ? seam : (double)jint(cfg, "RequestInterval", 30);
            pthread_mutex_lock(&mu);
            hstate *s = hmap_get(&states, id);
            double last = s ? s->checked : 0;
            pthread_mutex_unlock(&mu);
            if (now - last < every * 0.95) continue;
            char report[160];
            int ok;
            if (jbool(cfg, "Disabled", 0)) {
                ok = !jbool(cfg, "Inverted", 0); /* AWS: a disabled check is healthy */
                snprintf(report, sizeof(report), "Success: health check disabled");
            } else if (!strcmp(type, "CALCULATED")) {
                long healthy = 0, need = (long)jint(cfg, "HealthThreshold", 1);
                size_t j;
                json_t *ch;
                json_array_foreach(json_object_get(cfg, "ChildHealthChecks"), j, ch)
                    healthy += route53_health_ok(json_string_value(ch));
                ok = healthy >= need;
                snprintf(report, sizeof(report), "%s: %ld of the child health checks are healthy",
                         ok ? "Success" : "Failure", healthy);
            } else {
                const char *host = jstr(cfg, "IPAddress");
                if (!host) host = jstr(cfg, "FullyQualifiedDomainName");
                int tls = strstr(type, "HTTPS") != NULL;
                int port = (int)jint(cfg, "Port", tls ? 443 : 80);
                /* AWS waits 4 s for the connection and 2 s for the answer; a short interval
                 * (the test seam) shortens the wait, but never below 2 s: a loaded machine
                 * (check 68, under ASan) answered a healthy endpoint after 200 ms */
                long ms = (long)(every * 1000 < 4000 ? every * 1000 : 4000);
                if (ms < 2000) ms = 2000;
                if (!loopback(host)) {
                    ok = 1;
                    snprintf(report, sizeof(report),
                             "Success: not checked (ferry checks loopback targets only)");
                } else if (!strcmp(type, "TCP")) {
                    ok = tcp_check(host, port, ms, report, sizeof(report));
                } else {
                    ok = http_check(cfg, host, port, ms, report, sizeof(report));
                }
            }
            record(id, cfg, ok, report);
        }
    json_decref(u.checks);
}

static periodic P =
    PERIODIC_INIT("route53 health checks", "FERRY_ROUTE53_HEALTH_INTERVAL", 1.0, sweep);

static int start(ferry_env *env, ferr *e)
{
    if (!env->st || !svc_find("route53")) return 0;
    return periodic_start(&P, env, e);
}

static void free_state(void *p)
{
    free(p);
}

static void stop(ferry_env *env)
{
    (void)env;
    periodic_stop(&P);
    pthread_mutex_lock(&mu);
    hmap_clear(&states, free_state);
    pthread_mutex_unlock(&mu);
}

const engine_def route53_health_engine = {"route53-health", start, stop};

/* ---- the operations ---- */

static json_t *hc_shape(call *c, const json_t *doc)
{
    json_t *h = json_pack("{s:s, s:s, s:O, s:I}", "Id", jstr(doc, "Id"), "CallerReference",
                          jstr(doc, "CallerReference"), "HealthCheckConfig",
                          json_object_get(doc, "HealthCheckConfig"), "HealthCheckVersion",
                          (json_int_t)jint(doc, "HealthCheckVersion", 1));
    if (!h) c->oom = 1;
    return h;
}

static const char *hc_arn(call *c, const char *id)
{
    return route53_arn(c, "healthcheck", id);
}

int route53_hc_load(call *c, const char *action, const char *id, json_t **doc)
{
    store_key k = {R53_HC_KIND, c->account, "", id ? id : ""};
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc < 0) return -1;
    if (!rc)
        return ferr_set(c->err, 404, "NoSuchHealthCheck",
                        "No health check exists with the specified ID %s", id ? id : "");
    if (!arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    call_resource(c, "AWS::Route53::HealthCheck", id);
    return call_authorize(c, action, hc_arn(c, id));
}

/* HealthCheckConfig with AWS's defaults, or NULL with InvalidInput. */
static json_t *hc_config(call *c, const json_t *in)
{
    const char *type = jstr(in, "Type");
    json_t *cfg = json_deep_copy(in);
    if (!cfg || !arena_defer_json(c->a, cfg)) {
        ferr_oom(c->err);
        return NULL;
    }
    if (!strcmp(type, "CALCULATED")) {
        if (!json_object_get(cfg, "HealthThreshold") &&
            json_object_set_new(cfg, "HealthThreshold", json_integer(1)))
            c->oom = 1;
        return cfg;
    }
    if (!strcmp(type, "CLOUDWATCH_METRIC") || !strcmp(type, "RECOVERY_CONTROL")) {
        route53_invalid_input(c, "Invalid request: health checks of type %s are not supported",
                              type);
        return NULL;
    }
    if (!jstr(cfg, "IPAddress") && !jstr(cfg, "FullyQualifiedDomainName")) {
        route53_invalid_input(c, "Invalid request: Expected exactly one of [IPAddress, "
                                 "FullyQualifiedDomainName], but found none.");
        return NULL;
    }
    if (strstr(type, "STR_MATCH") && !jstr(cfg, "SearchString")) {
        route53_invalid_input(c, "Invalid request: SearchString is required for %s", type);
        return NULL;
    }
    if (!strcmp(type, "TCP") && jstr(cfg, "ResourcePath")) {
        route53_invalid_input(c, "Invalid request: a TCP health check has no ResourcePath");
        return NULL;
    }
    long long iv = jint(cfg, "RequestInterval", 30);
    if (iv != 10 && iv != 30) {
        route53_invalid_input(c, "Invalid request: RequestInterval must be 10 or 30");
        return NULL;
    }
    int tls = strstr(type, "HTTPS") != NULL;
    if ((!json_object_get(cfg, "Port") &&
         json_object_set_new(cfg, "Port", json_integer(tls ? 443 : 80))) ||
        json_object_set_new(cfg, "RequestInterval", json_integer(iv)) ||
        (!json_object_get(cfg, "FailureThreshold") &&
         json_object_set_new(cfg, "FailureThreshold", json_integer(3))) ||
        (!json_object_get(cfg, "MeasureLatency") &&
         json_object_set_new(cfg, "MeasureLatency", json_false())) ||
        (!json_object_get(cfg, "Inverted") && json_object_set_new(cfg, "Inverted", json_false())) ||
        (!json_object_get(cfg, "Disabled") && json_object_set_new(cfg, "Disabled", json_false())) ||
        (tls && !json_object_get(cfg, "EnableSNI") &&
         json_object_set_new(cfg, "EnableSNI", json_true())))
        c->oom = 1;
    return cfg;
}

int route53_op_create_health_check(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "route53:CreateHealthCheck", "*")) return -1;
    const char *ref = jstr(in, "CallerReference");
    json_t *cfg = hc_config(c, json_object_get(in, "HealthCheckConfig"));
    if (!cfg) return -1;
    store_key rk = {R53_REF_KIND, c->account, "", arena_printf(c->a, "hc/%s", ref)};
    json_t *old = NULL;
    int rc = store_get(c->txn, &rk, &old, c->err);
    if (rc < 0) return -1;
    if (rc) {
        json_t *doc = NULL;
        store_key k = {R53_HC_KIND, c->account, "", jstr(old, "Id")};
        rc = store_get(c->txn, &k, &doc, c->err);
        json_decref(old);
        if (rc < 0) return -1;
        arena_defer_json(c->a, doc);
        /* AWS: the same reference and settings return the check made the first time */
        if (rc && json_equal(json_object_get(doc, "HealthCheckConfig"), cfg)) {
            *out = svc_out(c, json_pack("{s:o}", "HealthCheck", hc_shape(c, doc)));
            return 0;
        }
        return ferr_set(c->err, 409, "HealthCheckAlreadyExists",
                        "A health check with the specified CallerReference already exists and "
                        "has a different configuration.");
    }
    char id[37];
    ids_uuid(id);
    json_t *doc = json_pack("{s:s, s:s, s:O, s:i, s:{}}", "Id", id, "CallerReference", ref,
                            "HealthCheckConfig", cfg, "HealthCheckVersion", 1, "Tags");
    json_t *refdoc = json_pack("{s:s}", "Id", id);
    if (!arena_defer_json(c->a, doc) || !arena_defer_json(c->a, refdoc)) return ferr_oom(c->err);
    store_key k = {R53_HC_KIND, c->account, "", id};
    if (store_put(c->txn, &k, doc, c->err) || store_put(c->txn, &rk, refdoc, c->err)) return -1;
    call_resource(c, "AWS::Route53::HealthCheck", id);
    *out = svc_out(c, json_pack("{s:o, s:s+}", "HealthCheck", hc_shape(c, doc), "Location",
                                "https://route53.amazonaws.com/2013-04-01/healthcheck/", id));
    return 0;
}

int route53_op_get_health_check(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (route53_hc_load(c, "route53:GetHealthCheck", jstr(in, "HealthCheckId"), &doc)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "HealthCheck", hc_shape(c, doc)));
    return 0;
}

int route53_op_delete_health_check(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    const char *id = jstr(in, "HealthCheckId");
    if (route53_hc_load(c, "route53:DeleteHealthCheck", id, &doc)) return -1;
    store_key k = {R53_HC_KIND, c->account, "", id};
    store_key rk = {R53_REF_KIND, c->account, "",
                    arena_printf(c->a, "hc/%s", jstr(doc, "CallerReference"))};
    if (store_del(c->txn, &k, c->err) < 0 || store_del(c->txn, &rk, c->err) < 0) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int route53_op_update_health_check(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    const char *id = jstr(in, "HealthCheckId");
    if (route53_hc_load(c, "route53:UpdateHealthCheck", id, &doc)) return -1;
    json_t *cfg = json_object_get(doc, "HealthCheckConfig");
    static const char *const keys[] = {"IPAddress",       "Port",
                                       "ResourcePath",    "FullyQualifiedDomainName",
                                       "SearchString",    "FailureThreshold",
                                       "Inverted",        "Disabled",
                                       "HealthThreshold", "ChildHealthChecks",
                                       "EnableSNI"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(in, keys[i]);
        if (v && json_object_set(cfg, keys[i], v)) return ferr_oom(c->err);
    }
    if (json_object_set_new(doc, "HealthCheckVersion",
                            json_integer(jint(doc, "HealthCheckVersion", 1) + 1)))
        return ferr_oom(c->err);
    store_key k = {R53_HC_KIND, c->account, "", id};
    if (store_put(c->txn, &k, doc, c->err)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "HealthCheck", hc_shape(c, doc)));
    return 0;
}

typedef struct hlist_ud {
    call *c;
    json_t *all;
} hlist_ud;

static int hlist_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    hlist_ud *u = ud;
    if (json_array_append_new(u->all, hc_shape(u->c, doc))) u->c->oom = 1;
    return 0;
}

int route53_op_list_health_checks(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "route53:ListHealthChecks", "*")) return -1;
    json_t *all = json_array(), *o = json_object(), *page = json_array();
    if (!arena_defer_json(c->a, all) || !arena_defer_json(c->a, o) || !arena_defer_json(c->a, page))
        return ferr_oom(c->err);
    hlist_ud u = {c, all};
    if (store_list(c->txn, R53_HC_KIND, c->account, "", NULL, NULL, 0, hlist_cb, &u, c->err) < 0)
        return -1;
    const char *marker = jstr(in, "Marker"), *mi = jstr(in, "MaxItems");
    long long max = mi && atoll(mi) > 0 ? atoll(mi) : 100;
    int started = !marker, truncated = 0;
    size_t i;
    json_t *h;
    json_array_foreach(all, i, h) {
        if (!started && !strcmp(jstr(h, "Id"), marker)) started = 1;
        if (!started) continue;
        if ((long long)json_array_size(page) == max) {
            truncated = 1;
            if (jset_str(o, "NextMarker", jstr(h, "Id"))) c->oom = 1;
            break;
        }
        if (json_array_append(page, h)) c->oom = 1;
    }
    if (json_object_set(o, "HealthChecks", page) ||
        json_object_set_new(o, "IsTruncated", json_boolean(truncated)) ||
        json_object_set_new(o, "MaxItems", json_sprintf("%lld", max)) ||
        jset_str(o, "Marker", marker ? marker : ""))
        c->oom = 1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

static int count_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k, (void)doc;
    (*(int *)ud)++;
    return 0;
}

int route53_op_get_health_check_count(call *c, json_t *in, json_t **out)
{
    (void)in;
    if (call_authorize(c, "route53:GetHealthCheckCount", "*")) return -1;
    int n = 0;
    if (store_list(c->txn, R53_HC_KIND, c->account, "", NULL, NULL, 0, count_cb, &n, c->err) < 0)
        return -1;
    *out = svc_out(c, json_pack("{s:i}", "HealthCheckCount", n));
    return 0;
}

int route53_op_get_health_check_status(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    const char *id = jstr(in, "HealthCheckId");
    if (route53_hc_load(c, "route53:GetHealthCheckStatus", id, &doc)) return -1;
    const json_t *cfg = json_object_get(doc, "HealthCheckConfig");
    char report[160] = "", ts[32];
    double at = 0;
    pthread_mutex_lock(&mu);
    hstate *s = hmap_get(&states, id);
    if (s) {
        snprintf(report, sizeof(report), "%s", s->report);
        at = s->checked;
    }
    pthread_mutex_unlock(&mu);
    if (!at) {
        snprintf(report, sizeof(report), "Success: not checked yet");
        at = clock_now();
    }
    clock_iso8601(at, 1, ts);
    json_t *obs = json_pack("{s:s, s:{s:s, s:s}}", "Region", "us-east-1", "StatusReport", "Status",
                            report, "CheckedTime", ts);
    const char *ip = jstr(cfg, "IPAddress");
    if (obs && ip && jset_str(obs, "IPAddress", ip)) c->oom = 1;
    *out = svc_out(c, obs ? json_pack("{s:[o]}", "HealthCheckObservations", obs) : NULL);
    return 0;
}
