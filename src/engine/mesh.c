/* The App Mesh data plane (see mesh.h): a periodic sweep, kicked by App Mesh's writes, reads
 * every mesh when the store's App Mesh documents changed and hands the proxy one
 * configuration for all of them. A configuration haproxy refuses leaves the running one in
 * place (proxy.c) and is reported by GET /_ferry/mesh until a later change renders clean. */
#include "engine/mesh.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/jval.h"
#include "base/log.h"
#include "engine/periodic.h"
#include "engine/proxy.h"
#include "svc/appmesh/documents.h"
#include "svc/servicediscovery/servicediscovery.h"

static const char *const KINDS[] = {APPMESH_KIND_MESH,   APPMESH_KIND_NODE,  APPMESH_KIND_SERVICE,
                                    APPMESH_KIND_ROUTER, APPMESH_KIND_ROUTE, APPMESH_KIND_GATEWAY,
                                    APPMESH_KIND_GROUTE};
#define NKINDS (sizeof(KINDS) / sizeof(KINDS[0]))

/* ports: listener key -> port, kept (in the store) from then on; listing: what GET /_ferry/mesh
 * answers; gen: the generations rendered, summed */
static proxy_slot S = PROXY_SLOT_INIT;
static int CLOUDMAP; /* the last render read Cloud Map (the sweep's thread only) */

/* Out of memory while building (the sweep's thread only, under S.mu): the sweep then renders
 * nothing and keeps what runs. */
static int OOM;
#define CHK(x) \
    do { \
        if (x) OOM = 1; \
    } while (0)

/* ---- reading the store -------------------------------------------------------------- */

/* Every document of one kind, all accounts and regions: {"ACCOUNT REGION ID": data}. */
static int load_one(void *ud, const store_key *k, json_t *doc)
{
    char key[1200];
    snprintf(key, sizeof(key), "%s %s %s", k->account, k->region, k->id);
    json_t *data = json_object_get(doc, "data");
    return data ? json_object_set(ud, key, data) : 0;
}

static json_t *load(store_txn *t, const char *kind, ferr *e)
{
    json_t *all = json_object();
    if (!all) return NULL;
    if (store_list(t, kind, NULL, NULL, NULL, NULL, 0, load_one, all, e) < 0) {
        json_decref(all);
        return NULL;
    }
    return all;
}

/* ---- building the proxy's description ---------------------------------------------- */

typedef struct build {
    json_t *docs[NKINDS]; /* by KINDS index */
    json_t *frontends, *backends, *endpoints;
    json_t *inst;     /* "ACCOUNT REGION MESH/NODE" -> the node's instances [{addr, port}] */
    int cloudmap;     /* some node's instances come from Cloud Map: render at every sweep */
    json_t *node_be;  /* "ACCOUNT REGION MESH/NODE" -> {"name", "n" servers, "checked"} */
    json_t *route_be; /* "ACCOUNT REGION MESH/ROUTER/ROUTE" -> backend name */
    int nb;
} build;

/* A port of our own for a listener, the same from then on (kept in the store). */
static int port_for(const char *key)
{
    long long have = jint(S.ports, key, 0);
    if (have) return (int)have;
    int port = proxy_free_port();
    if (port && json_object_set_new(S.ports, key, json_integer(port))) port = 0;
    return port;
}

/* The instances of a virtual node: [{addr, port}]. */
/* Adds {addr, port} to out when host is an IPv4 address or "localhost": an address haproxy
 * need not resolve (a name would be looked up once, when haproxy starts). */
static void add_instance(json_t *out, const char *host, long long port)
{
    struct in_addr ia;
    if (!host || port < 1 || port > 65535) return;
    if (!strcmp(host, "localhost")) host = "127.0.0.1";
    if (inet_pton(AF_INET, host, &ia) == 1)
        CHK(json_array_append_new(out, json_pack("{s:s, s:I}", "addr", host, "port", port)));
}

/* A virtual node's instances, [{addr, port}]: its DNS hostname with its listener's port, or
 * the healthy instances registered in its Cloud Map service (in the node owner's account,
 * filtered by the node's attributes; AWS_INSTANCE_PORT, else the listener's port). */
static json_t *instances(const json_t *node, store_txn *t, const char *region)
{
    json_t *out = json_array();
    const json_t *spec = json_object_get(node, "spec");
    const json_t *l = json_array_get(json_object_get(spec, "listeners"), 0);
    long long port = jint(json_object_get(l, "portMapping"), "port", 0);
    const json_t *sd = json_object_get(spec, "serviceDiscovery");
    if (!out) return NULL;
    add_instance(out, jstr(json_object_get(sd, "dns"), "hostname"), port);
    const json_t *cm = json_object_get(sd, "awsCloudMap");
    const char *owner = jstr(json_object_get(node, "metadata"), "resourceOwner");
    if (cm && owner && jstr(cm, "namespaceName") && jstr(cm, "serviceName")) {
        json_t *q = json_object(), *found = NULL, *a;
        size_t i;
        json_array_foreach(json_object_get(cm, "attributes"), i, a) {
            if (jstr(a, "key") && jstr(a, "value"))
                CHK(jset_str(q, jstr(a, "key"), jstr(a, "value")));
        }
        arena *ar = arena_new(4096);
        ferr e = {0};
        if (q && ar &&
            !sd_instances(t, ar, owner, region, jstr(cm, "namespaceName"), jstr(cm, "serviceName"),
                          q, &found, &e)) {
            json_array_foreach(found, i, a) {
                const json_t *at = json_object_get(a, "Attributes");
                const char *hs = jstr(a, "HealthStatus");
                if (hs && !strcmp(hs, "UNHEALTHY")) continue; /* App Mesh routes to healthy ones */
                const char *ip = jstr(at, "AWS_INSTANCE_IPV4"), *p = jstr(at, "AWS_INSTANCE_PORT");
                add_instance(out, ip, p ? atoll(p) : port);
            }
        }
        json_decref(found);
        json_decref(q);
        arena_free(ar);
    }
    return out;
}

static json_t *listener_check(const json_t *node)
{
    const json_t *l =
        json_array_get(json_object_get(json_object_get(node, "spec"), "listeners"), 0);
    const json_t *hc = json_object_get(l, "healthCheck");
    if (!hc) return NULL;
    const char *proto = jstr(hc, "protocol");
    int http = proto && (!strcmp(proto, "http") || !strcmp(proto, "http2"));
    return json_pack("{s:b, s:s, s:I, s:I, s:I, s:I}", "http", http, "path",
                     jstr(hc, "path") ? jstr(hc, "path") : "/", "interval",
                     jint(hc, "intervalMillis", 5000), "timeout", jint(hc, "timeoutMillis", 2000),
                     "rise", jint(hc, "healthyThreshold", 2), "fall",
                     jint(hc, "unhealthyThreshold", 2));
}

static int add_backend(build *b, json_t *be)
{
    return !be || json_array_append_new(b->backends, be) ? -1 : 0;
}

/* A backend per virtual node: its instances, health-checked when its listener says so. */
static int node_backends(build *b)
{
    const char *key;
    json_t *node;
    json_object_foreach(b->docs[1], key, node) {
        json_t *servers = json_incref(json_object_get(b->inst, key)), *check = listener_check(node);
        char name[32];
        snprintf(name, sizeof(name), "n%d", ++b->nb);
        json_t *be = servers ? json_pack("{s:s, s:O}", "name", name, "servers", servers) : NULL;
        if (be && check && json_object_set(be, "check", check)) be = (json_decref(be), NULL);
        int checked = check != NULL;
        size_t n = json_array_size(servers);
        json_decref(check);
        json_decref(servers);
        if (add_backend(b, be) ||
            json_object_set_new(
                b->node_be, key,
                json_pack("{s:s, s:I, s:b}", "name", name, "n", (json_int_t)n, "checked", checked)))
            return -1;
    }
    return 0;
}

static const json_t *route_spec(const json_t *route, const char **which)
{
    static const char *const kinds[] = {"httpRoute", "http2Route", "grpcRoute", "tcpRoute"};
    const json_t *spec = json_object_get(route, "spec");
    for (size_t i = 0; i < 4; i++)
        if (json_object_get(spec, kinds[i])) {
            *which = kinds[i];
            return json_object_get(spec, kinds[i]);
        }
    return NULL;
}

/* App Mesh's retry events as haproxy's retry-on keywords. */
static json_t *retry_on(const json_t *policy)
{
    json_t *out = json_array();
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(policy, "httpRetryEvents"), i, v) {
        const char *ev = json_string_value(v);
        const char *kw = !ev                            ? NULL
                         : !strcmp(ev, "server-error")  ? "500 501 502 503 504"
                         : !strcmp(ev, "gateway-error") ? "502 503 504"
                         : !strcmp(ev, "client-error")  ? "404 408 425"
                         : !strcmp(ev, "stream-error")  ? "empty-response junk-response"
                                                        : NULL;
        char copy[64];
        snprintf(copy, sizeof(copy), "%s", kw ? kw : "");
        char *sv = NULL;
        for (char *w = strtok_r(copy, " ", &sv); w; w = strtok_r(NULL, " ", &sv))
            CHK(json_array_append_new(out, json_string(w)));
    }
    json_array_foreach(json_object_get(policy, "tcpRetryEvents"), i, v) {
        CHK(json_array_append_new(out, json_string("conn-failure")));
    }
    return out;
}

/* A backend per route: the target nodes' instances, weighted so that each target gets its
 * share whatever its number of instances (haproxy weights are 0..256 per server). */
static int route_backends(build *b)
{
    const char *key;
    json_t *route;
    json_object_foreach(b->docs[4], key, route) {
        const char *which;
        const json_t *r = route_spec(route, &which);
        const json_t *targets = json_object_get(json_object_get(r, "action"), "weightedTargets");
        char prefix[1200];
        /* "ACCOUNT REGION MESH/ROUTER/ROUTE" -> nodes are "ACCOUNT REGION MESH/NODE" */
        snprintf(prefix, sizeof(prefix), "%s", key);
        char *slash = strchr(prefix, '/');
        if (!slash) continue;
        slash[1] = 0;
        double maxshare = 0;
        size_t i;
        const json_t *t;
        json_array_foreach(targets, i, t) {
            char nk[1500];
            snprintf(nk, sizeof(nk), "%s%s", prefix, jstr(t, "virtualNode"));
            long long n = jint(json_object_get(b->node_be, nk), "n", 0);
            if (n > 0 && (double)jint(t, "weight", 0) / (double)n > maxshare)
                maxshare = (double)jint(t, "weight", 0) / (double)n;
        }
        json_t *servers = json_array();
        json_array_foreach(targets, i, t) {
            char nk[1500];
            snprintf(nk, sizeof(nk), "%s%s", prefix, jstr(t, "virtualNode"));
            const json_t *nb = json_object_get(b->node_be, nk);
            json_t *inst = json_deep_copy(json_object_get(b->inst, nk));
            long long n = (long long)json_array_size(inst), w = jint(t, "weight", 0);
            size_t j;
            json_t *s;
            json_array_foreach(inst, j, s) {
                long long sw =
                    w <= 0 || maxshare <= 0 ? 0 : llround((double)w / (double)n / maxshare * 256.0);
                if (w > 0 && sw < 1) sw = 1;
                CHK(json_object_set_new(s, "weight", json_integer(sw)));
                if (jbool(nb, "checked", 0)) {
                    char tr[96];
                    snprintf(tr, sizeof(tr), "%s/s%zu", jstr(nb, "name"), j + 1);
                    CHK(jset_str(s, "track", tr));
                }
                CHK(json_array_append(servers, s));
            }
            json_decref(inst);
        }
        char name[32];
        snprintf(name, sizeof(name), "r%d", ++b->nb);
        json_t *be = json_pack("{s:s, s:o}", "name", name, "servers", servers);
        const json_t *rp = json_object_get(r, "retryPolicy");
        if (be && rp && jint(rp, "maxRetries", 0) > 0) {
            CHK(json_object_set_new(be, "retries", json_integer(jint(rp, "maxRetries", 0))));
            CHK(json_object_set_new(be, "retryOn", retry_on(rp)));
        }
        if (add_backend(b, be) || json_object_set_new(b->route_be, key, json_string(name)))
            return -1;
    }
    return 0;
}

static json_t *cond(const char *what, const char *name, const char *how, const char *value,
                    int invert)
{
    json_t *c = json_pack("{s:s, s:s, s:b}", "what", what, "how", how, "invert", invert);
    if (c && name) CHK(jset_str(c, "name", name));
    if (c && value) CHK(jset_str(c, "value", value));
    return c;
}

/* App Mesh's header (and gRPC metadata) matches. */
static void header_conds(json_t *m, const json_t *headers)
{
    size_t i;
    const json_t *h;
    json_array_foreach(headers, i, h) {
        const json_t *hm = json_object_get(h, "match");
        const char *name = jstr(h, "name");
        int inv = jbool(h, "invert", 0);
        static const char *const hows[] = {"exact", "prefix", "suffix", "regex"};
        json_t *c = NULL;
        for (size_t k = 0; k < 4 && !c; k++)
            if (jstr(hm, hows[k])) c = cond("header", name, hows[k], jstr(hm, hows[k]), inv);
        if (!c && json_object_get(hm, "range")) {
            c = cond("header", name, "range", NULL, inv);
            const json_t *rg = json_object_get(hm, "range");
            CHK(json_object_set_new(c, "lo", json_integer(jint(rg, "start", 0))));
            CHK(json_object_set_new(c, "hi", json_integer(jint(rg, "end", 0))));
        }
        if (!c) c = cond("header", name, "present", NULL, inv);
        CHK(json_array_append_new(m, c));
    }
}

/* The conditions of an HTTP (or gRPC) match: prefix, path, headers, method, query. */
static json_t *http_match(const json_t *match, const char *which)
{
    json_t *m = json_array();
    if (!m) return NULL;
    if (!strcmp(which, "grpcRoute")) {
        const char *svc = jstr(match, "serviceName"), *meth = jstr(match, "methodName");
        if (svc) {
            char p[600];
            snprintf(p, sizeof(p), "/%s/%s", svc, meth ? meth : "");
            CHK(json_array_append_new(m, cond("path", NULL, meth ? "exact" : "prefix", p, 0)));
        }
        header_conds(m, json_object_get(match, "metadata"));
        return m;
    }
    if (!strcmp(which, "tcpRoute")) return m;
    const char *prefix = jstr(match, "prefix");
    if (prefix && strcmp(prefix, "/"))
        CHK(json_array_append_new(m, cond("path", NULL, "prefix", prefix, 0)));
    const json_t *path = json_object_get(match, "path");
    if (jstr(path, "exact"))
        CHK(json_array_append_new(m, cond("path", NULL, "exact", jstr(path, "exact"), 0)));
    if (jstr(path, "regex"))
        CHK(json_array_append_new(m, cond("path", NULL, "regex", jstr(path, "regex"), 0)));
    if (jstr(match, "method"))
        CHK(json_array_append_new(m, cond("method", NULL, "exact", jstr(match, "method"), 0)));
    header_conds(m, json_object_get(match, "headers"));
    size_t i;
    const json_t *q;
    json_array_foreach(json_object_get(match, "queryParameters"), i, q) {
        const char *ex = jstr(json_object_get(q, "match"), "exact");
        CHK(json_array_append_new(m,
                                  cond("query", jstr(q, "name"), ex ? "exact" : "present", ex, 0)));
    }
    const json_t *host = json_object_get(match, "hostname");
    if (jstr(host, "exact"))
        CHK(json_array_append_new(m, cond("host", NULL, "exact", jstr(host, "exact"), 0)));
    if (jstr(host, "suffix"))
        CHK(json_array_append_new(m, cond("host", NULL, "suffix", jstr(host, "suffix"), 0)));
    return m;
}

/* Routes in AWS's order: priority (none last), then the longer prefix, then the name. */
typedef struct ranked {
    const char *key;
    const json_t *route;
    long long prio;
    size_t plen;
} ranked;

static int rank_cmp(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->prio != y->prio) return x->prio < y->prio ? -1 : 1;
    if (x->plen != y->plen) return x->plen > y->plen ? -1 : 1;
    return strcmp(x->key, y->key);
}

static ranked *rank(json_t *docs, const char *prefix, size_t *n)
{
    size_t cap = json_object_size(docs) + 1, k = 0;
    ranked *out = calloc(cap, sizeof(*out));
    if (!out) return NULL;
    const char *key;
    json_t *d;
    json_object_foreach(docs, key, d) {
        if (strncmp(key, prefix, strlen(prefix))) continue;
        const char *which;
        const json_t *r = route_spec(d, &which);
        if (!r) {
            const json_t *spec = json_object_get(d, "spec");
            static const char *const g[] = {"httpRoute", "http2Route", "grpcRoute"};
            for (size_t i = 0; i < 3 && !r; i++) r = json_object_get(spec, g[i]);
        }
        const char *p = jstr(json_object_get(r, "match"), "prefix");
        out[k++] =
            (ranked){key, d, jint(json_object_get(d, "spec"), "priority", 1001), p ? strlen(p) : 0};
    }
    qsort(out, k, sizeof(*out), rank_cmp);
    *n = k;
    return out;
}

/* The rules that serve a virtual service (key "ACCOUNT REGION MESH/SERVICE"). */
static json_t *service_rules(build *b, const char *acct_region_mesh, const json_t *service)
{
    json_t *rules = json_array();
    const json_t *prov = json_object_get(json_object_get(service, "spec"), "provider");
    const char *node = jstr(json_object_get(prov, "virtualNode"), "virtualNodeName"),
               *router = jstr(json_object_get(prov, "virtualRouter"), "virtualRouterName");
    char k[1500];
    if (node) {
        snprintf(k, sizeof(k), "%s/%s", acct_region_mesh, node);
        const char *be = jstr(json_object_get(b->node_be, k), "name");
        if (be) CHK(json_array_append_new(rules, json_pack("{s:[], s:s}", "match", "backend", be)));
    } else if (router) {
        snprintf(k, sizeof(k), "%s/%s/", acct_region_mesh, router);
        size_t n = 0;
        ranked *rs = rank(b->docs[4], k, &n);
        for (size_t i = 0; rs && i < n; i++) {
            const char *which;
            const json_t *r = route_spec(rs[i].route, &which);
            const char *be = json_string_value(json_object_get(b->route_be, rs[i].key));
            if (!r || !be) continue;
            CHK(json_array_append_new(
                rules, json_pack("{s:o, s:s}", "match",
                                 http_match(json_object_get(r, "match"), which), "backend", be)));
        }
        free(rs);
    }
    return rules;
}

static int endpoint(build *b, const char *acct, const char *region, const char *mesh,
                    const char *kind, const char *name, int port, long long lport)
{
    json_t *ep =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "account", acct, "region", region, "mesh",
                  mesh, "kind", kind, "name", name, "address", "127.0.0.1", "port", port);
    if (ep && lport) CHK(json_object_set_new(ep, "listenerPort", json_integer(lport)));
    return !ep || json_array_append_new(b->endpoints, ep) ? -1 : 0;
}

/* Splits "ACCOUNT REGION ID" (in place). */
static int split_key(char *k, char **acct, char **region, char **id)
{
    *acct = k;
    *region = strchr(k, ' ');
    if (!*region) return -1;
    *(*region)++ = 0;
    *id = strchr(*region, ' ');
    if (!*id) return -1;
    *(*id)++ = 0;
    return 0;
}

/* A listener (kind "mesh" or "virtualGateway", of the document at key) on its port, with
 * its selectors (stolen), listed for GET /_ferry/mesh; where: account, region, mesh. */
static int add_listener(build *b, const char *kind, const char *key, int idx, json_t *sels,
                        const char *const where[3], const char *name, long long lport)
{
    char lk[1400], fname[32];
    snprintf(lk, sizeof(lk), "%s %s", kind, key);
    snprintf(fname, sizeof(fname), "%c%d", kind[0], idx);
    int port = port_for(lk);
    if (!port) {
        json_decref(sels);
        return -1;
    }
    return json_array_append_new(b->frontends,
                                 json_pack("{s:s, s:s, s:i, s:o}", "name", fname, "addr",
                                           "127.0.0.1", "port", port, "selectors", sels)) ||
                   endpoint(b, where[0], where[1], where[2], kind, name, port, lport)
               ? -1
               : 0;
}

/* One listener per mesh, selecting by Host among its virtual services. */
static int mesh_frontends(build *b)
{
    const char *key;
    json_t *mesh;
    int i = 0;
    json_object_foreach(b->docs[0], key, mesh) {
        char kc[1300], *acct, *region, *name;
        snprintf(kc, sizeof(kc), "%s", key);
        if (split_key(kc, &acct, &region, &name)) continue;
        json_t *sels = json_array();
        const char *sk;
        json_t *svc;
        char pre[1300];
        snprintf(pre, sizeof(pre), "%s/", key);
        json_object_foreach(b->docs[2], sk, svc) {
            if (strncmp(sk, pre, strlen(pre))) continue;
            const char *sname = jstr(svc, "virtualServiceName");
            json_t *sel = json_pack("{s:[o], s:o}", "match", cond("host", NULL, "exact", sname, 0),
                                    "rules", service_rules(b, key, svc));
            CHK(json_array_append_new(sels, sel));
        }
        if (!json_array_size(sels)) {
            json_decref(sels);
            continue;
        }
        const char *where[] = {acct, region, name};
        if (add_listener(b, "mesh", key, ++i, sels, where, name, 0)) return -1;
    }
    return 0;
}

/* One listener per virtual gateway, selecting by its gateway routes. */
static int gateway_frontends(build *b)
{
    const char *key;
    json_t *gw;
    int i = 0;
    json_object_foreach(b->docs[5], key, gw) {
        char kc[1300], *acct, *region, *id;
        snprintf(kc, sizeof(kc), "%s", key);
        if (split_key(kc, &acct, &region, &id)) continue;
        const char *mesh = jstr(gw, "meshName"), *gname = jstr(gw, "virtualGatewayName");
        char meshkey[1300], pre[1400];
        if (snprintf(meshkey, sizeof(meshkey), "%s %s %s", acct, region, mesh ? mesh : "") >=
            (int)sizeof(meshkey))
            continue;
        snprintf(pre, sizeof(pre), "%s/", key);
        size_t n = 0;
        ranked *rs = rank(b->docs[6], pre, &n);
        json_t *sels = json_array();
        for (size_t j = 0; rs && j < n; j++) {
            const json_t *spec = json_object_get(rs[j].route, "spec"), *r = NULL;
            static const char *const g[] = {"httpRoute", "http2Route", "grpcRoute"};
            const char *which = NULL;
            for (size_t k = 0; k < 3 && !r; k++)
                if ((r = json_object_get(spec, g[k]))) which = g[k];
            if (!r) continue;
            const json_t *action = json_object_get(r, "action"),
                         *match = json_object_get(r, "match");
            const char *vs =
                jstr(json_object_get(json_object_get(action, "target"), "virtualService"),
                     "virtualServiceName");
            char sk[1500];
            snprintf(sk, sizeof(sk), "%s/%s", meshkey, vs ? vs : "");
            const json_t *svc = json_object_get(b->docs[2], sk);
            json_t *rw = json_object();
            const json_t *rwr = json_object_get(action, "rewrite");
            const char *prefix = jstr(match, "prefix");
            const json_t *rp = json_object_get(rwr, "prefix");
            /* AWS: the matched prefix becomes "/" unless defaultPrefix is DISABLED or a
             * value is given */
            if (prefix && strcmp(prefix, "/")) {
                const char *dp = jstr(rp, "defaultPrefix"), *val = jstr(rp, "value");
                if (val)
                    CHK(json_object_set_new(rw, "prefix", json_pack("[s, s]", prefix, val)));
                else if (!dp || strcmp(dp, "DISABLED"))
                    CHK(json_object_set_new(rw, "prefix", json_pack("[s, s]", prefix, "/")));
            }
            const char *exact = jstr(json_object_get(rwr, "path"), "exact");
            if (exact) CHK(jset_str(rw, "path", exact));
            const char *dth = jstr(json_object_get(rwr, "hostname"), "defaultTargetHostname");
            if (vs && (!dth || strcmp(dth, "DISABLED"))) CHK(jset_str(rw, "host", vs));
            json_t *sel =
                json_pack("{s:o, s:o, s:o}", "match", http_match(match, which), "rewrite", rw,
                          "rules", svc ? service_rules(b, meshkey, svc) : json_array());
            CHK(json_array_append_new(sels, sel));
        }
        free(rs);
        long long lport =
            jint(json_object_get(
                     json_array_get(json_object_get(json_object_get(gw, "spec"), "listeners"), 0),
                     "portMapping"),
                 "port", 0);
        const char *where[] = {acct, region, mesh};
        if (add_listener(b, "virtualGateway", key, ++i, sels, where, gname, lport)) return -1;
    }
    return 0;
}

static void build_free(build *b)
{
    for (size_t i = 0; i < NKINDS; i++) json_decref(b->docs[i]);
    json_decref(b->frontends);
    json_decref(b->backends);
    json_decref(b->endpoints);
    json_decref(b->node_be);
    json_decref(b->inst);
    json_decref(b->route_be);
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
    /* Cloud Map's instances change without App Mesh's documents changing: a mesh that uses
     * them is rendered at every sweep, and applied when the result differs */
    if (!CLOUDMAP && proxy_slot_current(&S, gen)) return;
    OOM = 0;
    build b = {0};
    ferr e = {0};
    store_txn *t = NULL;
    if (store_begin(env->st, 0, &t, &e)) {
        log_error("mesh: %s", e.message);
        return;
    }
    int rc = 0;
    for (size_t i = 0; i < NKINDS && !rc; i++)
        if (!(b.docs[i] = load(t, KINDS[i], &e))) rc = -1;
    b.inst = json_object();
    if (!rc && !b.inst) rc = ferr_oom(&e);
    const char *nkey;
    json_t *node;
    json_object_foreach(rc ? NULL : b.docs[1], nkey, node) {
        char kc[1300], *acct, *region, *id;
        snprintf(kc, sizeof(kc), "%s", nkey);
        if (split_key(kc, &acct, &region, &id)) continue;
        b.cloudmap |=
            json_object_get(json_object_get(json_object_get(node, "spec"), "serviceDiscovery"),
                            "awsCloudMap") != NULL;
        if (json_object_set_new(b.inst, nkey, instances(node, t, region))) rc = ferr_oom(&e);
    }
    pthread_mutex_lock(&S.mu);
    if (!rc && proxy_slot_load_ports(&S, t, "mesh", &e)) rc = -1;
    pthread_mutex_unlock(&S.mu);
    store_rollback(t);
    b.frontends = json_array(), b.backends = json_array(), b.endpoints = json_array();
    b.node_be = json_object(), b.route_be = json_object();
    pthread_mutex_lock(&S.mu);
    if (!rc &&
        (!b.frontends || !b.backends || !b.endpoints || !b.node_be || !b.route_be || !S.ports ||
         node_backends(&b) || route_backends(&b) || mesh_frontends(&b) || gateway_frontends(&b)))
        rc = ferr_oom(&e);
    if (OOM) rc = ferr_oom(&e);
    json_t *conf =
        rc ? NULL : json_pack("{s:O, s:O}", "frontends", b.frontends, "backends", b.backends);
    if (!rc && !conf) rc = ferr_oom(&e);
    CLOUDMAP = b.cloudmap;
    proxy_slot_publish(&S, env->st, "mesh", gen, conf, b.endpoints, &e);
    pthread_mutex_unlock(&S.mu);
    build_free(&b);
}

/* FERRY_MESH_INTERVAL: how often the store is looked at for changes the kick missed
 * (seconds; 0.5 by default) */
static periodic P = PERIODIC_INIT("mesh", "FERRY_MESH_INTERVAL", 0.5, sweep);

void mesh_engine_kick(void)
{
    if (P.running) periodic_kick(&P);
}

int mesh_engine_serve(ferry_env *env, arena *a, const svc_request *r, proto_response *resp)
{
    (void)env, (void)a, (void)r;
    return proxy_slot_serve(&S, "endpoints", resp);
}

static int start(ferry_env *env, ferr *e)
{
    if (!env->st || !svc_find("appmesh")) return 0;
    return periodic_start(&P, env, e);
}

static void stop(ferry_env *env)
{
    (void)env;
    periodic_stop(&P);
    proxy_slot_clear(&S);
}

const engine_def mesh_engine = {"mesh", start, stop};
