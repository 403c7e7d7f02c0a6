/* The ELBv2 data plane (see lb.h): a periodic sweep, kicked by ELBv2's writes and by the
 * health checks, renders every active load balancer when the store's ELBv2 documents
 * changed and hands the proxy one configuration for all of them. A configuration haproxy
 * refuses leaves the running one in place (proxy.c) and is reported by GET /_ferry/elb. */
#include "engine/lb.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/jval.h"
#include "base/log.h"
#include "engine/periodic.h"
#include "engine/proxy.h"
#include "svc/elbv2/elbv2.h"

/* the documents a load balancer's rendering reads (svc/elbv2/elbv2_int.h) */
static const char *const KINDS[] = {"elbv2.lb", "elbv2.listener", "elbv2.rule", "elbv2.tg"};
#define NKINDS (sizeof(KINDS) / sizeof(KINDS[0]))

/* ports: "LBARN PORT" -> proxy port, kept (in the store) while the listener exists; listing: what
 * GET /_ferry/elb answers */
static proxy_slot S = PROXY_SLOT_INIT;

typedef struct build {
    json_t *frontends, *backends, *listeners, *ports;
    int nb, oom;
    double pending; /* when the first load balancer still provisioning becomes active, 0 */
} build;

/* the last render's build.pending (the sweep's thread only) */
static double PENDING;

/* ---- conditions ------------------------------------------------------------------- */

/* ALB's wildcard pattern ("*" any run, "?" one character) as one anchored regular
 * expression matching any of values; lower: compare lower-cased (host names, which the
 * proxy lowers), caseless: ignore case (header values; haproxy's regexes are PCRE2). NULL
 * when there are none. */
static char *patterns_regex(const json_t *values, int lower, int caseless)
{
    buf b;
    buf_init(&b, 256);
    buf_puts(&b, caseless ? "(?i)^(" : "^(");
    size_t i;
    const json_t *v;
    json_array_foreach(values, i, v) {
        const char *s = json_string_value(v);
        if (!s) continue;
        if (i) buf_putc(&b, '|');
        for (; *s; s++) {
            char ch = lower && *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
            if (ch == '*')
                buf_puts(&b, ".*");
            else if (ch == '?')
                buf_putc(&b, '.');
            else {
                if (strchr(".^$|()[]{}+\\/", ch)) buf_putc(&b, '\\');
                buf_putc(&b, ch);
            }
        }
    }
    buf_puts(&b, ")$");
    char *out = b.failed || !json_array_size(values) ? NULL : strdup(buf_str(&b));
    buf_dispose(&b);
    return out;
}

static int add_regex(build *b, json_t *m, const char *what, const char *name, const json_t *values,
                     int lower)
{
    if (!json_array_size(values)) return 0;
    char *rx = patterns_regex(values, lower, name != NULL);
    json_t *c = rx ? json_pack("{s:s, s:s, s:s}", "what", what, "how", "regex", "value", rx) : NULL;
    free(rx);
    if (c && name && jset_str(c, "name", name)) c = (json_decref(c), NULL);
    if (!c || json_array_append_new(m, c)) return b->oom = 1, -1;
    return 0;
}

/* A route's match ({paths, hosts, headers}) as the proxy's conditions: the values of one
 * condition are alternatives, the conditions must all hold. */
static json_t *conditions(build *b, const json_t *match)
{
    json_t *m = json_array();
    if (!m) return b->oom = 1, NULL;
    add_regex(b, m, "path", NULL, json_object_get(match, "paths"), 0);
    add_regex(b, m, "host", NULL, json_object_get(match, "hosts"), 1);
    size_t i;
    const json_t *h;
    json_array_foreach(json_object_get(match, "headers"), i, h) {
        add_regex(b, m, "header", jstr(h, "name"), json_object_get(h, "values"), 0);
    }
    return m;
}

/* ---- actions, as backends ----------------------------------------------------------- */

/* A forward's target groups as one backend's servers: each group gets its weight's share of
 * the requests whatever its number of targets (haproxy weighs servers, 0..256). */
static json_t *forward_servers(build *b, const json_t *targets)
{
    double maxshare = 0;
    size_t i, j;
    const json_t *t, *ep;
    json_array_foreach(targets, i, t) {
        size_t n = json_array_size(json_object_get(t, "endpoints"));
        double share = n ? (double)jint(t, "weight", 0) / (double)n : 0;
        if (share > maxshare) maxshare = share;
    }
    json_t *servers = json_array();
    if (!servers) return b->oom = 1, NULL;
    json_array_foreach(targets, i, t) {
        const json_t *eps = json_object_get(t, "endpoints");
        long long w = jint(t, "weight", 0), n = (long long)json_array_size(eps);
        json_array_foreach(eps, j, ep) {
            long long sw =
                w <= 0 || maxshare <= 0 ? 0 : llround((double)w / (double)n / maxshare * 256.0);
            if (w > 0 && sw < 1) sw = 1;
            if (json_array_append_new(servers,
                                      json_pack("{s:s?, s:I, s:I}", "addr", jstr(ep, "host"),
                                                "port", jint(ep, "port", 0), "weight", sw)))
                b->oom = 1;
        }
    }
    return servers;
}

/* s with its control characters (which the proxy's configuration cannot hold) as spaces
 * (new). */
static json_t *printable(const char *s)
{
    char *c = strdup(s ? s : "");
    if (!c) return NULL;
    for (char *p = c; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = ' ';
    json_t *v = json_string(c);
    free(c);
    return v;
}

/* An ALB redirect component ("#{host}" and the like within literals) as the proxy's
 * parts, appended to out. */
static void add_parts(build *b, json_t *out, const char *s)
{
    static const char *const keys[] = {"host", "port", "path", "query"};
    while (s && *s) {
        const char *open = strstr(s, "#{"), *close = open ? strchr(open, '}') : NULL;
        const char *key = NULL;
        for (size_t k = 0; close && k < 4; k++)
            if ((size_t)(close - open - 2) == strlen(keys[k]) &&
                !strncmp(open + 2, keys[k], strlen(keys[k])))
                key = keys[k];
        size_t lit = key ? (size_t)(open - s) : close ? (size_t)(close + 1 - s) : strlen(s);
        if (lit && json_array_append_new(out, json_stringn(s, lit))) b->oom = 1;
        if (key && json_array_append_new(out, json_pack("{s:s}", "fetch", key))) b->oom = 1;
        s += key ? (size_t)(close + 1 - s) : lit;
    }
}

/* A redirect action as the proxy's {"code", "location", "query"} (new). The listener is
 * plain HTTP: #{protocol} is "http". */
static json_t *redirect(build *b, const json_t *a)
{
    json_t *loc = json_array(), *query = json_array();
    const char *proto = jstr(a, "protocol");
    json_t *rd = json_pack("{s:I, s:o, s:o}", "code", jint(a, "status", 302), "location", loc,
                           "query", query);
    if (!rd) return b->oom = 1, NULL;
    add_parts(b, loc, proto && !strcmp(proto, "HTTPS") ? "https://" : "http://");
    add_parts(b, loc, jstr(a, "host"));
    add_parts(b, loc, ":");
    add_parts(b, loc, jstr(a, "port"));
    add_parts(b, loc, jstr(a, "path"));
    add_parts(b, query, jstr(a, "query"));
    return rd;
}

/* The backend serving action (its name in the arena of the description), NULL when the
 * action is one the proxy cannot serve. */
static const char *action_backend(build *b, const json_t *action)
{
    const char *type = jstr(action, "type");
    char name[32];
    snprintf(name, sizeof(name), "a%d", ++b->nb);
    json_t *be = NULL;
    if (type && !strcmp(type, "forward"))
        be = json_pack("{s:s, s:o}", "name", name, "servers",
                       forward_servers(b, json_object_get(action, "targets")));
    else if (type && !strcmp(type, "fixed"))
        be = json_pack("{s:s, s:[], s:{s:I, s:s?, s:o}}", "name", name, "servers", "return",
                       "status", jint(action, "status", 503), "contentType",
                       jstr(action, "content_type"), "body", printable(jstr(action, "body")));
    else if (type && !strcmp(type, "redirect"))
        be =
            json_pack("{s:s, s:[], s:o}", "name", name, "servers", "redirect", redirect(b, action));
    else
        return NULL; /* an action the proxy does not serve: its rule is left out */
    if (!be || json_array_append_new(b->backends, be)) return b->oom = 1, NULL;
    return jstr(be, "name");
}

/* ---- listeners ---------------------------------------------------------------------- */

static int add_listener(build *b, const char *acct, const char *region, const char *arn,
                        const char *dns, const json_t *ls, ferr *e)
{
    long long lport = jint(ls, "port", 0);
    char key[1200];
    snprintf(key, sizeof(key), "%s %lld", arn, lport);
    int port = (int)jint(S.ports, key, 0);
    if (!port) port = proxy_free_port();
    if (!port) return ferr_internal(e, "no free loopback port for %s's listener", arn);
    if (json_object_set_new(b->ports, key, json_integer(port))) return ferr_oom(e);
    json_t *rules = json_array();
    if (!rules) return ferr_oom(e);
    size_t i;
    const json_t *rt;
    json_array_foreach(json_object_get(ls, "routes"), i, rt) {
        const char *be = action_backend(b, json_object_get(rt, "action"));
        if (!be) continue;
        if (json_array_append_new(rules, json_pack("{s:o, s:s}", "match",
                                                   conditions(b, json_object_get(rt, "match")),
                                                   "backend", be)))
            b->oom = 1;
    }
    char fname[32];
    snprintf(fname, sizeof(fname), "l%zu", json_array_size(b->frontends) + 1);
    if (json_array_append_new(b->frontends, json_pack("{s:s, s:s, s:i, s:[{s:[], s:o}]}", "name",
                                                      fname, "addr", "127.0.0.1", "port", port,
                                                      "selectors", "match", "rules", rules)) ||
        json_array_append_new(b->listeners,
                              json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:i}", "account", acct,
                                        "region", region, "loadBalancerArn", arn, "dnsName", dns,
                                        "port", lport, "address", "127.0.0.1", "proxyPort", port)))
        return ferr_oom(e);
    return 0;
}

typedef struct lbref {
    build *b;
    store_txn *t;
    ferr *e;
} lbref;

/* One load balancer document: its listeners when it is an active application one. */
static int one_lb(void *ud, const store_key *k, json_t *doc)
{
    lbref *r = ud;
    const json_t *lb = doc;
    const char *type = jstr(lb, "Type"), *arn = jstr(lb, "LoadBalancerArn");
    double until;
    if (!arn || (type && strcmp(type, "application"))) return 0;
    if (!elbv2_lb_active(lb, clock_now(), &until)) {
        /* provisioning: the sweep renders again when it is due, changed store or not */
        if (!r->b->pending || until < r->b->pending) r->b->pending = until;
        return 0;
    }
    json_t *desc = NULL;
    int rc = elbv2_render(r->t, k->account, k->region, arn, &desc, r->e);
    if (rc < 0) return -1;
    size_t i;
    const json_t *ls;
    json_array_foreach(json_object_get(desc, "listeners"), i, ls) {
        if (add_listener(r->b, k->account, k->region, arn, jstr(desc, "dns_name"), ls, r->e)) {
            json_decref(desc);
            return -1;
        }
    }
    json_decref(desc);
    return 0;
}

static void build_free(build *b)
{
    json_decref(b->frontends);
    json_decref(b->backends);
    json_decref(b->listeners);
    json_decref(b->ports);
}

static uint64_t generation(ferry_env *env)
{
    uint64_t g = 0;
    for (size_t i = 0; i < NKINDS; i++) g += store_generation(env->st, KINDS[i]);
    return g;
}

static void sweep(ferry_env *env)
{
    uint64_t gen = generation(env);
    int due = PENDING && clock_now() >= PENDING;
    if (!due && proxy_slot_current(&S, gen)) return;
    build b = {.frontends = json_array(),
               .backends = json_array(),
               .listeners = json_array(),
               .ports = json_object()};
    ferr e = {0};
    store_txn *t = NULL;
    if (store_begin(env->st, 0, &t, &e)) {
        log_error("elb: %s", e.message);
        build_free(&b);
        return;
    }
    pthread_mutex_lock(&S.mu);
    int rc = !b.frontends || !b.backends || !b.listeners || !b.ports ? ferr_oom(&e) : 0;
    if (!rc && proxy_slot_load_ports(&S, t, "elb", &e)) rc = -1;
    lbref r = {&b, t, &e};
    if (!rc && store_list(t, KINDS[0], NULL, NULL, NULL, NULL, 0, one_lb, &r, &e) < 0) rc = -1;
    store_rollback(t);
    if (!rc && b.oom) rc = ferr_oom(&e);
    json_t *conf =
        rc ? NULL : json_pack("{s:O, s:O}", "frontends", b.frontends, "backends", b.backends);
    if (!rc && !conf) rc = ferr_oom(&e);
    PENDING = b.pending;
    if (!rc) { /* a listener deleted frees its port; one still there keeps it */
        json_decref(S.ports);
        S.ports = json_incref(b.ports);
    }
    proxy_slot_publish(&S, env->st, "elb", gen, conf, b.listeners, &e);
    pthread_mutex_unlock(&S.mu);
    build_free(&b);
}

/* FERRY_ELB_INTERVAL: how often the store is looked at for changes the kicks missed
 * (seconds; 0.5 by default) */
static periodic P = PERIODIC_INIT("elb", "FERRY_ELB_INTERVAL", 0.5, sweep);

void lb_engine_kick(void)
{
    if (P.running) periodic_kick(&P);
}

int lb_engine_serve(ferry_env *env, arena *a, const svc_request *r, proto_response *resp)
{
    (void)env, (void)a, (void)r;
    return proxy_slot_serve(&S, "listeners", resp);
}

static int start(ferry_env *env, ferr *e)
{
    if (!env->st || !svc_find("elasticloadbalancing")) return 0;
    return periodic_start(&P, env, e);
}

static void stop(ferry_env *env)
{
    (void)env;
    periodic_stop(&P);
    proxy_slot_clear(&S);
}

const engine_def lb_engine = {"elb", start, stop};
