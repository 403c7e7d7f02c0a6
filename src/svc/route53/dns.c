/* The DNS server (`ferry serve --dns ADDR:PORT`): UDP and TCP on the public address, and the
 * same on each VPC's resolver address (127.53.X.Y, same port), bound as VPCs appear. One
 * thread polls every datagram socket and listener; a TCP connection gets a thread of its
 * own (at most MAX_TCP at once). Queries are answered from a snapshot of the zones (and of
 * the load balancers' names, elbv2_dns_zones) rebuilt when a zone or load balancer document
 * changes (store generation), so a committed change is answered by the next query. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/thread.h"
#include "engine/engines.h"
#include "proto/codec.h"
#include "route53_int.h"
#include "svc/ec2/ec2.h"
#include "svc/elbv2/elbv2.h"

#define MAX_VPCS 4096
#define MAX_TCP  64

typedef struct listener {
    int udp, tcp;
    char vpc[96]; /* "REGION/VPC", "" for the public address */
} listener;

typedef struct snap_ref {
    route53_snap *snap;
    int refs;
} snap_ref;

static struct {
    ferry_env *env;
    pthread_t th;
    int running;
    atomic_int stopping;
    int port;
    char host[64];
    listener *ls;
    size_t nls;
    pthread_mutex_t mu; /* cur */
    snap_ref *cur;
    uint64_t gen;
    atomic_int tcp_conns;
    double vpcs_at;
    uint64_t vpcs_gen;
} D = {.mu = PTHREAD_MUTEX_INITIALIZER};

int route53_dns_port(void)
{
    return D.running ? D.port : 0;
}

static snap_ref *snap_get(void)
{
    pthread_mutex_lock(&D.mu);
    snap_ref *s = D.cur;
    if (s) s->refs++;
    pthread_mutex_unlock(&D.mu);
    return s;
}

static void snap_put(snap_ref *s)
{
    if (!s) return;
    pthread_mutex_lock(&D.mu);
    int last = --s->refs == 0;
    pthread_mutex_unlock(&D.mu);
    if (last) {
        route53_snap_free(s->snap);
        free(s);
    }
}

static int zones_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    return json_array_append(ud, doc) ? 1 : 0;
}

static void refresh_zones(void)
{
    /* the hosted zones, and the load balancers' names (answered as ELB's zones are) */
    uint64_t g =
        store_generation(D.env->st, R53_ZONE_KIND) + store_generation(D.env->st, elbv2_lb_kind);
    if (D.cur && g == D.gen) return;
    json_t *zones = json_array();
    store_txn *t = NULL;
    ferr e = {0};
    if (!zones || store_begin(D.env->st, 0, &t, &e)) {
        json_decref(zones);
        return;
    }
    int rc = store_list(t, R53_ZONE_KIND, NULL, "", NULL, NULL, 0, zones_cb, zones, &e);
    if (rc >= 0) rc = elbv2_dns_zones(t, zones, &e);
    store_rollback(t);
    if (rc < 0) log_warn("dns: cannot read the zones: %s", e.message);
    snap_ref *s = rc < 0 ? NULL : calloc(1, sizeof(*s));
    if (!s) {
        json_decref(zones);
        return;
    }
    s->snap = route53_snap_from_json(zones);
    s->refs = 1;
    if (!s->snap) {
        free(s);
        return;
    }
    pthread_mutex_lock(&D.mu);
    snap_ref *old = D.cur;
    D.cur = s;
    D.gen = g;
    pthread_mutex_unlock(&D.mu);
    snap_put(old);
}

/* UDP and TCP on one port. Port 0 takes the UDP socket's free port, which a TCP socket
 * may already hold: then another free port is tried. */
static int bind_pair(const char *host, int port, listener *l, ferr *e)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return ferr_set(e, 400, "InvalidArgument", "--dns wants an IPv4 ADDR:PORT, not %s", host);
    int one = 1;
    for (int tries = 0;; tries++) {
        sa.sin_port = htons((uint16_t)port);
        l->udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        l->tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (l->udp < 0 || l->tcp < 0) break;
        setsockopt(l->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(l->udp, (struct sockaddr *)&sa, sizeof(sa))) break;
        if (!port) {
            socklen_t sl = sizeof(sa);
            if (getsockname(l->udp, (struct sockaddr *)&sa, &sl)) break;
        }
        if (!bind(l->tcp, (struct sockaddr *)&sa, sizeof(sa)) && !listen(l->tcp, 64))
            return ntohs(sa.sin_port);
        if (port || errno != EADDRINUSE || tries == 32) break;
        close(l->udp);
        close(l->tcp);
    }
    ferr_set(e, 500, "InternalFailure", "dns: cannot listen on %s:%d: %s", host, port,
             strerror(errno));
    if (l->udp >= 0) close(l->udp);
    if (l->tcp >= 0) close(l->tcp);
    l->udp = l->tcp = -1;
    return -1;
}

/* ---- VPC resolvers ---- */

typedef struct vpc_ud {
    store_txn *t;
    int next; /* resolvers already allocated */
    int added;
    int dry; /* only count the VPCs that have none */
    ferr *e;
} vpc_ud;

static int count_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k, (void)doc;
    (*(int *)ud)++;
    return 0;
}

static int vpc_cb(void *ud, const char *account, const char *region, const char *vpc_id,
                  const char *cidr)
{
    (void)cidr;
    vpc_ud *u = ud;
    char id[96];
    snprintf(id, sizeof(id), "%s/%s", region, vpc_id);
    store_key k = {ROUTE53_RESOLVER_KIND, "", "", id};
    json_t *d = NULL;
    int rc = store_get(u->t, &k, &d, u->e);
    json_decref(d);
    if (rc) return rc < 0 ? -1 : 0;
    if (u->dry) {
        u->added++;
        return 0;
    }
    if (u->next >= 254 * 254) return 0;
    int n = u->next++;
    char addr[32];
    snprintf(addr, sizeof(addr), "127.53.%d.%d", n / 254, n % 254 + 1);
    d = json_pack("{s:s, s:s, s:s, s:s}", "Address", addr, "Account", account, "Region", region,
                  "VpcId", vpc_id);
    rc = d ? store_insert(u->t, &k, d, u->e) : -1;
    json_decref(d);
    if (rc < 0) return -1;
    u->added++;
    return 0;
}

/* Gives every VPC its resolver address (once, stored), then binds those not bound yet. A
 * read transaction looks first: the write lock is taken only when a VPC is new. Done when
 * VPCs or resolvers changed (store generations), and every VPCS_RESCAN seconds besides. */
#define VPCS_RESCAN 10.0
static void refresh_vpcs(void)
{
    double now = clock_now();
    uint64_t g = store_generation(D.env->st, ec2_vpc_kind()) +
                 store_generation(D.env->st, ROUTE53_RESOLVER_KIND);
    if (g == D.vpcs_gen && now - D.vpcs_at < VPCS_RESCAN) return;
    D.vpcs_at = now;
    D.vpcs_gen = g;
    ferr e = {0};
    store_txn *t = NULL;
    for (int write = 0; write < 2; write++) {
        if (store_begin(D.env->st, write, &t, &e)) return;
        vpc_ud u = {t, 0, 0, !write, &e};
        if (store_list(t, ROUTE53_RESOLVER_KIND, "", "", NULL, NULL, 0, count_cb, &u.next, &e) <
                0 ||
            ec2_vpc_each(t, vpc_cb, &u, &e)) {
            store_rollback(t);
            log_error("dns: resolvers: %s", e.message);
            return;
        }
        if (!write || !u.added) {
            store_rollback(t);
            if (!u.added) break;
            continue;
        }
        if (store_commit(t, &e)) {
            log_error("dns: resolvers: %s", e.message);
            return;
        }
    }
    json_t *all = json_array();
    if (!all || store_begin(D.env->st, 0, &t, &e)) {
        json_decref(all);
        return;
    }
    int rc = store_list(t, ROUTE53_RESOLVER_KIND, "", "", NULL, NULL, 0, zones_cb, all, &e);
    store_rollback(t);
    size_t i;
    json_t *r;
    json_array_foreach(all, i, r) {
        if (rc < 0) break;
        char id[96];
        snprintf(id, sizeof(id), "%s/%s", jstr(r, "Region"), jstr(r, "VpcId"));
        int have = 0;
        for (size_t j = 0; j < D.nls; j++) have |= !strcmp(D.ls[j].vpc, id);
        if (have || D.nls >= MAX_VPCS + 1) continue;
        listener l = {-1, -1, ""};
        snprintf(l.vpc, sizeof(l.vpc), "%s", id);
        ferr be = {0};
        if (bind_pair(jstr(r, "Address"), D.port, &l, &be) < 0) {
            log_error("%s", be.message);
            continue;
        }
        listener *ls = realloc(D.ls, (D.nls + 1) * sizeof(*ls));
        if (!ls) {
            close(l.udp), close(l.tcp);
            continue;
        }
        D.ls = ls;
        D.ls[D.nls++] = l;
    }
    json_decref(all);
}

/* ---- serving ---- */

static void answer_udp(listener *l)
{
    for (int i = 0; i < 64; i++) {
        unsigned char q[4096];
        struct sockaddr_storage from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(l->udp, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
        if (n < 0) return;
        snap_ref *s = snap_get();
        unsigned char *out = NULL;
        size_t on = 0;
        route53_dns_answer(s ? s->snap : NULL, l->vpc[0] ? l->vpc : NULL, q, (size_t)n, 4096, &out,
                           &on);
        snap_put(s);
        if (out) sendto(l->udp, out, on, 0, (struct sockaddr *)&from, fl);
        free(out);
    }
}

typedef struct tcp_job {
    int fd;
    char vpc[96];
} tcp_job;

static int read_full(int fd, unsigned char *p, size_t n)
{
    while (n) {
        ssize_t r = recv(fd, p, n, 0);
        if (r <= 0) return -1;
        p += r, n -= (size_t)r;
    }
    return 0;
}

static void *tcp_conn(void *arg)
{
    tcp_job *j = arg;
    unsigned char *q = malloc(65535);
    /* RFC 7766: several queries may come on one connection; an idle one is closed */
    while (q && !atomic_load(&D.stopping)) {
        unsigned char hl[2];
        if (read_full(j->fd, hl, 2)) break;
        size_t n = (size_t)hl[0] << 8 | hl[1];
        if (!n || read_full(j->fd, q, n)) break;
        snap_ref *s = snap_get();
        unsigned char *out = NULL;
        size_t on = 0;
        route53_dns_answer(s ? s->snap : NULL, j->vpc[0] ? j->vpc : NULL, q, n, 65535, &out, &on);
        snap_put(s);
        if (!out) continue; /* dropped */
        unsigned char len[2] = {(unsigned char)(on >> 8), (unsigned char)on};
        int bad = send(j->fd, len, 2, MSG_NOSIGNAL) != 2 ||
                  send(j->fd, out, on, MSG_NOSIGNAL) != (ssize_t)on;
        free(out);
        if (bad) break;
    }
    free(q);
    close(j->fd);
    free(j);
    atomic_fetch_sub(&D.tcp_conns, 1);
    return NULL;
}

static void accept_tcp(listener *l)
{
    int fd = accept4(l->tcp, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) return;
    if (atomic_fetch_add(&D.tcp_conns, 1) >= MAX_TCP) {
        atomic_fetch_sub(&D.tcp_conns, 1);
        close(fd);
        return;
    }
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    tcp_job *j = calloc(1, sizeof(*j));
    if (j) {
        j->fd = fd;
        snprintf(j->vpc, sizeof(j->vpc), "%s", l->vpc);
    }
    if (!j || thread_start_detached(tcp_conn, j)) {
        free(j);
        close(fd);
        atomic_fetch_sub(&D.tcp_conns, 1);
    }
}

static void *run(void *arg)
{
    (void)arg;
    struct pollfd *p = NULL;
    size_t cap = 0;
    while (!atomic_load(&D.stopping)) {
        refresh_zones();
        refresh_vpcs();
        if (cap < D.nls * 2) {
            struct pollfd *np = realloc(p, D.nls * 2 * sizeof(*p));
            if (!np) break;
            p = np, cap = D.nls * 2;
        }
        for (size_t i = 0; i < D.nls; i++) {
            p[2 * i] = (struct pollfd){.fd = D.ls[i].udp, .events = POLLIN};
            p[2 * i + 1] = (struct pollfd){.fd = D.ls[i].tcp, .events = POLLIN};
        }
        int n = poll(p, D.nls * 2, 100);
        if (n <= 0) continue;
        for (size_t i = 0; i < D.nls; i++) {
            /* the zones first: an answer follows the change it is asked after */
            if (p[2 * i].revents || p[2 * i + 1].revents) refresh_zones();
            if (p[2 * i].revents & POLLIN) answer_udp(&D.ls[i]);
            if (p[2 * i + 1].revents & POLLIN) accept_tcp(&D.ls[i]);
        }
    }
    free(p);
    return NULL;
}

static int dns_start(ferry_env *env, ferr *e)
{
    const char *addr = env->dns;
    if (!addr) return 0;
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || (size_t)(colon - addr) >= sizeof(D.host))
        return ferr_set(e, 400, "InvalidArgument", "--dns wants ADDR:PORT, not %s", addr);
    snprintf(D.host, sizeof(D.host), "%.*s", (int)(colon - addr), addr);
    int port = atoi(colon + 1);
    if (port < 0 || port > 65535)
        return ferr_set(e, 400, "InvalidArgument", "--dns: bad port in %s", addr);
    D.ls = calloc(1, sizeof(*D.ls));
    if (!D.ls) return ferr_oom(e);
    D.nls = 1;
    D.port = bind_pair(D.host, port, &D.ls[0], e);
    if (D.port < 0) {
        free(D.ls);
        D.ls = NULL, D.nls = 0;
        return -1;
    }
    D.env = env;
    atomic_store(&D.stopping, 0);
    if (pthread_create(&D.th, NULL, run, NULL)) {
        close(D.ls[0].udp), close(D.ls[0].tcp);
        free(D.ls);
        D.ls = NULL, D.nls = 0;
        return ferr_set(e, 500, "InternalFailure", "dns: cannot start its thread");
    }
    D.running = 1;
    log_info("dns: answering on %s:%d (udp and tcp)", D.host, D.port);
    return 0;
}

static void dns_stop(ferry_env *env)
{
    (void)env;
    if (!D.running) return;
    atomic_store(&D.stopping, 1);
    pthread_join(D.th, NULL);
    for (size_t i = 0; i < D.nls; i++) close(D.ls[i].udp), close(D.ls[i].tcp);
    free(D.ls);
    D.ls = NULL, D.nls = 0;
    /* TCP connections end within their receive timeout; they hold their own snapshot ref,
     * and one taking it now must see NULL, not the one being released */
    pthread_mutex_lock(&D.mu);
    snap_ref *cur = D.cur;
    D.cur = NULL;
    pthread_mutex_unlock(&D.mu);
    snap_put(cur);
    D.running = 0;
}

const engine_def route53_dns_engine = {"dns", dns_start, dns_stop};

/* GET /_ferry/dns: where the DNS server answers, and each VPC's resolver. Unsigned: it says
 * where to ask, not what the zones hold (private zones answer only at their resolvers). */
int route53_dns_route(ferry_env *env, arena *a, const svc_request *r, proto_response *resp)
{
    (void)r;
    json_t *all = json_array();
    store_txn *t = NULL;
    ferr e = {0};
    int rc = all && !store_begin(env->st, 0, &t, &e)
                 ? store_list(t, ROUTE53_RESOLVER_KIND, "", "", NULL, NULL, 0, zones_cb, all, &e)
                 : -1;
    store_rollback(t);
    int port = route53_dns_port();
    size_t i;
    json_t *v;
    json_array_foreach(all, i, v)
        if (json_object_set_new(v, "Port", json_integer(port))) rc = -1;
    json_t *o = rc < 0 ? NULL
                       : json_pack("{s:s, s:i, s:o}", "Address", D.running ? D.host : "", "Port",
                                   port, "Resolvers", json_incref(all));
    json_decref(all);
    char *text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
    json_decref(o);
    proto_response_init(resp);
    (void)a;
    resp->status = text ? 200 : 500;
    resp->content_type = "application/json";
    int bad = buf_puts(&resp->body, text ? text : "{\"message\":\"internal failure\"}");
    free(text);
    (void)bad;
    return 1;
}
