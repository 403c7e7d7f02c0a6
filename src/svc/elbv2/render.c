/* An Application Load Balancer as a proxy serves it (elbv2.h): listeners, their rules in
 * the order they are tried, and the healthy ip:port of each weighted target group, with
 * none of ELB's names a proxy would have to know. */
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "elbv2_int.h"

typedef struct rctx {
    store_txn *t;
    const char *account, *region;
    ferr *e;
    json_t *docs; /* store_list's results */
} rctx;

static int collect(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    return json_array_append(((rctx *)ud)->docs, doc) ? -1 : 0;
}

/* Documents of kind whose ids start with prefix (new array), NULL with e. */
static json_t *list(rctx *r, const char *kind, const char *prefix)
{
    json_t *all = json_array();
    r->docs = all;
    if (!all ||
        store_list(r->t, kind, r->account, r->region, prefix, NULL, 0, collect, r, r->e) < 0) {
        if (!ferr_isset(r->e)) ferr_oom(r->e);
        json_decref(all);
        return NULL;
    }
    return all;
}

/* The healthy ip endpoints of the target group arn ([{host, port}], new), NULL with e. */
static json_t *endpoints(rctx *r, const char *arn)
{
    json_t *eps = json_array(), *tg = NULL;
    if (!eps) goto oom;
    /* arn:...:targetgroup/NAME/ID */
    const char *rest = arn ? strstr(arn, ":targetgroup/") : NULL;
    const char *slash = rest ? strchr(rest + 13, '/') : NULL;
    if (!slash) return eps;
    char name[64];
    size_t n = (size_t)(slash - (rest + 13));
    if (n >= sizeof(name)) return eps;
    memcpy(name, rest + 13, n);
    name[n] = 0;
    store_key k = {EL_TG, r->account, r->region, name};
    int rc = store_get(r->t, &k, &tg, r->e);
    if (rc < 0) {
        json_decref(eps);
        return NULL;
    }
    if (!rc || strcmp(jstr(tg, "_id"), slash + 1) || strcmp(jstr(tg, "TargetType"), "ip")) {
        json_decref(tg);
        return eps;
    }
    size_t i;
    json_t *t;
    /* AWS: a group with no healthy target routes to all of its targets (fail open) */
    for (int all = 0; all < 2 && !json_array_size(eps); all++) {
        json_array_foreach(json_object_get(tg, "Targets"), i, t) {
            const char *st = jstr(t, "_state");
            if (!st || (all ? !strcmp(st, "draining") : strcmp(st, "healthy"))) continue;
            if (json_array_append_new(eps, json_pack("{s:s, s:I}", "host", jstr(t, "Id"), "port",
                                                     jint(t, "Port", 0))))
                goto oom;
        }
    }
    json_decref(tg);
    return eps;
oom:
    json_decref(tg);
    json_decref(eps);
    ferr_oom(r->e);
    return NULL;
}

/* The final action of actions, rendered (new), NULL with e. */
static json_t *action(rctx *r, const json_t *actions)
{
    size_t i;
    const json_t *a;
    json_array_foreach(actions, i, a) {
        const char *type = jstr(a, "Type");
        if (!strcmp(type, "fixed-response")) {
            const json_t *f = json_object_get(a, "FixedResponseConfig");
            json_t *v = json_pack("{s:s, s:i, s:s, s:s}", "type", "fixed", "status",
                                  atoi(jstr(f, "StatusCode")), "content_type",
                                  jstr(f, "ContentType") ? jstr(f, "ContentType") : "text/plain",
                                  "body", jstr(f, "MessageBody") ? jstr(f, "MessageBody") : "");
            if (!v) ferr_oom(r->e);
            return v;
        }
        if (!strcmp(type, "redirect")) {
            const json_t *c = json_object_get(a, "RedirectConfig");
            json_t *v =
                json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s}", "type", "redirect", "status",
                          !strcmp(jstr(c, "StatusCode"), "HTTP_301") ? 301 : 302, "protocol",
                          jstr(c, "Protocol"), "host", jstr(c, "Host"), "port", jstr(c, "Port"),
                          "path", jstr(c, "Path"), "query", jstr(c, "Query"));
            if (!v) ferr_oom(r->e);
            return v;
        }
        if (strcmp(type, "forward")) continue;
        json_t *targets = json_array(), *g;
        size_t j;
        if (!targets) break;
        json_array_foreach(json_object_get(json_object_get(a, "ForwardConfig"), "TargetGroups"), j,
                           g) {
            json_t *eps = endpoints(r, jstr(g, "TargetGroupArn"));
            if (!eps ||
                json_array_append_new(targets, json_pack("{s:I, s:o}", "weight",
                                                         jint(g, "Weight", 1), "endpoints", eps))) {
                json_decref(targets);
                if (eps && !ferr_isset(r->e)) ferr_oom(r->e);
                return NULL;
            }
        }
        json_t *v = json_pack("{s:s, s:o}", "type", "forward", "targets", targets);
        if (!v) ferr_oom(r->e);
        return v;
    }
    ferr_oom(r->e);
    return NULL;
}

/* A rule's conditions as {paths, hosts, headers} (new), NULL out of memory. */
static json_t *match(const json_t *conds)
{
    json_t *m = json_pack("{s:[], s:[], s:[]}", "paths", "hosts", "headers"), *c;
    size_t i;
    int bad = !m;
    json_array_foreach(conds, i, c) {
        const char *f = jstr(c, "Field");
        if (!strcmp(f, "path-pattern"))
            bad |= json_array_extend(json_object_get(m, "paths"), json_object_get(c, "Values"));
        else if (!strcmp(f, "host-header"))
            bad |= json_array_extend(json_object_get(m, "hosts"), json_object_get(c, "Values"));
        else if (!strcmp(f, "http-header")) {
            const json_t *h = json_object_get(c, "HttpHeaderConfig");
            bad |= json_array_append_new(json_object_get(m, "headers"),
                                         json_pack("{s:s, s:O}", "name", jstr(h, "HttpHeaderName"),
                                                   "values", json_object_get(h, "Values")));
        }
    }
    if (bad) {
        json_decref(m);
        return NULL;
    }
    return m;
}

static int by_priority(const void *a, const void *b)
{
    long long x = atoll(jstr(*(json_t *const *)a, "Priority"));
    long long y = atoll(jstr(*(json_t *const *)b, "Priority"));
    return x < y ? -1 : x > y;
}

static json_t *route(rctx *r, long long prio, const json_t *conds, const json_t *actions)
{
    json_t *m = match(conds), *act = m ? action(r, actions) : NULL;
    if (!m && !ferr_isset(r->e)) ferr_oom(r->e);
    if (!m || !act) {
        json_decref(m);
        return NULL;
    }
    json_t *v = json_pack("{s:I, s:o, s:o}", "priority", prio, "match", m, "action", act);
    if (!v) ferr_oom(r->e);
    return v;
}

static json_t *listener(rctx *r, const json_t *ls, const char *id)
{
    char *prefix = malloc(strlen(id) + 2);
    if (!prefix) {
        ferr_oom(r->e);
        return NULL;
    }
    strcpy(prefix, id);
    strcat(prefix, "/");
    json_t *rules = list(r, EL_RULE, prefix);
    free(prefix);
    if (!rules) return NULL;
    size_t n = json_array_size(rules), i;
    json_t **v = calloc(n + 1, sizeof(*v)), *routes = json_array(), *out = NULL;
    if (!v || !routes) {
        ferr_oom(r->e);
        goto done;
    }
    for (i = 0; i < n; i++) v[i] = json_array_get(rules, i);
    qsort(v, n, sizeof(*v), by_priority);
    for (i = 0; i <= n; i++) {
        json_t *rt =
            i < n ? route(r, atoll(jstr(v[i], "Priority")), json_object_get(v[i], "Conditions"),
                          json_object_get(v[i], "Actions"))
                  : route(r, 0, NULL, json_object_get(ls, "DefaultActions"));
        if (!rt || json_array_append_new(routes, rt)) {
            if (rt && !ferr_isset(r->e)) ferr_oom(r->e);
            goto done;
        }
    }
    out = json_pack("{s:I, s:s, s:O}", "port", jint(ls, "Port", 0), "protocol",
                    jstr(ls, "Protocol") ? jstr(ls, "Protocol") : "HTTP", "routes", routes);
    if (!out) ferr_oom(r->e);
done:
    free(v);
    json_decref(routes);
    json_decref(rules);
    return out;
}

int elbv2_render(store_txn *t, const char *account, const char *region, const char *lb_arn,
                 json_t **out, ferr *e)
{
    rctx r = {t, account, region, e, NULL};
    *out = NULL;
    /* arn:PARTITION:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/TYPE/NAME/ID */
    const char *rest = lb_arn ? strstr(lb_arn, ":loadbalancer/") : NULL;
    if (!rest) return 0;
    rest += 14;
    const char *s1 = strchr(rest, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
    if (!s2 || (size_t)(s2 - s1 - 1) >= 64) return 0;
    char name[64];
    memcpy(name, s1 + 1, (size_t)(s2 - s1 - 1));
    name[s2 - s1 - 1] = 0;
    json_t *lb = NULL;
    store_key k = {EL_LB, account, region, name};
    int rc = store_get(t, &k, &lb, e);
    if (rc <= 0) return rc;
    if (strcmp(jstr(lb, "LoadBalancerArn"), lb_arn)) {
        json_decref(lb);
        return 0;
    }
    char *prefix = malloc(strlen(rest) + 2);
    json_t *lss =
        prefix ? (strcpy(prefix, rest), strcat(prefix, "/"), list(&r, EL_LS, prefix)) : NULL;
    free(prefix);
    json_t *ls_out = json_array(), *x;
    size_t i;
    rc = !lss || !ls_out ? -1 : 0;
    json_array_foreach(lss, i, x) {
        const char *id =
            jstr(x, "ListenerArn") ? strstr(jstr(x, "ListenerArn"), ":listener/") : NULL;
        json_t *l = id ? listener(&r, x, id + 10) : NULL;
        if (!l || json_array_append_new(ls_out, l)) {
            rc = -1;
            break;
        }
    }
    if (!rc) {
        *out = json_pack("{s:s, s:s, s:s, s:O}", "name", jstr(lb, "LoadBalancerName"), "dns_name",
                         jstr(lb, "DNSName"), "scheme", jstr(lb, "Scheme"), "listeners", ls_out);
        rc = *out ? 1 : -1;
    }
    if (rc < 0 && !ferr_isset(e)) ferr_oom(e);
    json_decref(lb);
    json_decref(lss);
    json_decref(ls_out);
    return rc;
}

const char *const elbv2_lb_kind = EL_LB;

typedef struct dns_ctx {
    json_t *by; /* region -> zone */
    int oom;
} dns_ctx;

/* One load balancer's names into its region's zone; stops when out of memory. */
static int dns_one(void *ud, const store_key *k, json_t *lb)
{
    dns_ctx *d = ud;
    const char *dns = jstr(lb, "DNSName"), *zid = jstr(lb, "CanonicalHostedZoneId");
    const char *dot = dns ? strchr(dns, '.') : NULL;
    if (!dot || !zid || !k->region) return 0;
    json_t *z = json_object_get(d->by, k->region);
    char name[300];
    if (!z) {
        snprintf(name, sizeof(name), "%s.", dot + 1);
        z = json_pack("{s:s, s:s, s:b, s:[]}", "Id", zid, "Name", name, "Private", 0, "Records");
        if (!z || json_object_set_new(d->by, k->region, z)) return d->oom = 1;
    }
    /* AWS answers the name and its dualstack. form (what aliases to it usually name) */
    for (int dual = 0; dual < 2; dual++) {
        snprintf(name, sizeof(name), "%s%s.", dual ? "dualstack." : "", dns);
        if (json_array_append_new(json_object_get(z, "Records"),
                                  json_pack("{s:s, s:s, s:i, s:[{s:s}]}", "Name", name, "Type", "A",
                                            "TTL", 60, "ResourceRecords", "Value", "127.0.0.1")))
            return d->oom = 1;
    }
    return 0;
}

int elbv2_dns_zones(store_txn *t, json_t *zones, ferr *e)
{
    dns_ctx d = {json_object(), 0};
    if (!d.by) return ferr_oom(e);
    int rc = store_list(t, EL_LB, NULL, NULL, NULL, NULL, 0, dns_one, &d, e) < 0 ? -1 : 0;
    const char *region;
    json_t *z;
    json_object_foreach(d.by, region, z) {
        if (json_array_append(zones, z)) d.oom = 1;
    }
    json_decref(d.by);
    if (!rc && d.oom) rc = ferr_oom(e);
    return rc;
}
