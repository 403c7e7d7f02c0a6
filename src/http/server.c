#include "server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "engine/waiters.h"

struct server {
    struct MHD_Daemon *d;
    gateway *g;
    waiters *waits;
    size_t max_body;
    int port;
    _Atomic int in_flight; /* requests begun and not yet completed */
};

/* Per-request state, created from the raw URI before libmicrohttpd unescapes anything
 * (SigV4 needs the path exactly as sent). */
typedef struct rctx {
    arena *a;
    char *raw_uri;
    buf body;
    int started, too_big;
    /* long poll: the request is parked between runs */
    struct MHD_Connection *con;
    hreq hr;
    int have_hr;
    call_wait w; /* the only long-poll state: freed with the request */
    _Atomic int final;
} rctx;

static void *uri_cb(void *cls, const char *uri, struct MHD_Connection *con)
{
    (void)con;
    server *s = cls;
    rctx *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    r->a = arena_new(16384);
    if (!r->a) {
        free(r);
        return NULL;
    }
    r->raw_uri = arena_strdup(r->a, uri ? uri : "/");
    buf_init(&r->body, s->max_body);
    s->in_flight++;
    return r;
}

static void completed_cb(void *cls, struct MHD_Connection *con, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)con, (void)toe;
    server *s = cls;
    rctx *r = *req_cls;
    if (!r) return;
    s->in_flight--;
    buf_dispose(&r->body);
    arena_free(r->a);
    free(r);
    *req_cls = NULL;
}

/* Keep the path as sent: ferry decodes per protocol rules itself. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls, (void)c;
    return strlen(s);
}

typedef struct hdrs {
    arena *a;
    hdr *v;
    size_t n, cap;
} hdrs;

static enum MHD_Result hdr_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                              const char *value)
{
    (void)kind;
    hdrs *h = cls;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 32;
        hdr *nv = arena_alloc(h->a, cap * sizeof(*nv));
        if (!nv) return MHD_NO;
        if (h->n) memcpy(nv, h->v, h->n * sizeof(*nv));
        h->v = nv;
        h->cap = cap;
    }
    char *name = arena_strdup(h->a, key);
    if (!name) return MHD_NO;
    for (char *p = name; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
    h->v[h->n++] = (hdr){name, arena_strdup(h->a, value ? value : "")};
    return MHD_YES;
}

static enum MHD_Result send_resp(struct MHD_Connection *con, proto_response *pr)
{
    size_t len = pr->body.len;
    char *body = buf_take(&pr->body);
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(len, body, free);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    if (pr->content_type) MHD_add_response_header(resp, "Content-Type", pr->content_type);
    for (size_t i = 0; i < pr->nheaders; i++)
        MHD_add_response_header(resp, pr->headers[i].name, pr->headers[i].value);
    MHD_add_response_header(resp, "Server", "ferry");
    enum MHD_Result ret = MHD_queue_response(con, (unsigned)(pr->status ? pr->status : 500), resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result too_big(struct MHD_Connection *con, server *s)
{
    proto_response pr = {.status = 413, .content_type = "text/xml"};
    buf_init(&pr.body, 0);
    buf_printf(&pr.body,
               "<ErrorResponse><Error><Type>Sender</Type><Code>RequestEntityTooLarge</Code>"
               "<Message>Request body exceeds the maximum of %zu bytes</Message></Error>"
               "</ErrorResponse>",
               s->max_body);
    return send_resp(con, &pr);
}

static void wake(void *arg, int final)
{
    rctx *r = arg;
    r->final = final;
    MHD_resume_connection(r->con);
}

/* Runs the gateway; parks the connection (no thread held) while the handler waits. */
static enum MHD_Result run(server *s, rctx *r)
{
    proto_response pr;
    r->w.final = r->final;
    if (gateway_handle(s->g, r->a, &r->hr, &r->w, &pr) == 1) {
        MHD_suspend_connection(r->con);
        if (waiters_add(s->waits, r->w.key, r->w.wake_at, r->w.seq, wake, r)) wake(r, 1);
        r->w.resumed = 1;
        return MHD_YES;
    }
    return send_resp(r->con, &pr);
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *con, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **req_cls)
{
    (void)url, (void)version;
    server *s = cls;
    rctx *r = *req_cls;
    if (!r) return MHD_NO; /* out of memory in uri_cb: drop the connection */
    if (!r->started) {
        r->started = 1;
        const char *cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > s->max_body) return too_big(con, s);
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->too_big && buf_put(&r->body, upload, *upload_size)) r->too_big = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->too_big) return too_big(con, s);
    if (r->have_hr) return run(s, r);

    hreq hr = {0};
    hr.method = method;
    char *q = strchr(r->raw_uri, '?');
    hr.raw_path = q ? arena_strndup(r->a, r->raw_uri, (size_t)(q - r->raw_uri)) : r->raw_uri;
    hr.raw_query = q ? q + 1 : "";
    hdrs h = {r->a, NULL, 0, 0};
    MHD_get_connection_values(con, MHD_HEADER_KIND, hdr_cb, &h);
    hr.headers = h.v;
    hr.nheaders = h.n;
    const char *host = hreq_header(&hr, "host");
    hr.host = host ? host : "";
    hr.body = (const unsigned char *)(r->body.p ? r->body.p : "");
    hr.body_len = r->body.len;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, hr.source_ip,
                      sizeof(hr.source_ip));
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, hr.source_ip,
                      sizeof(hr.source_ip));
    }
    r->hr = hr;
    r->have_hr = 1;
    r->con = con;
    return run(s, r);
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, int *v6, ferr *e)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon) return ferr_set(e, 2, "BadListen", "--listen wants ADDR:PORT, got %s", listen);
    size_t hl = (size_t)(colon - listen);
    if (hl >= sizeof(host)) return ferr_set(e, 2, "BadListen", "address too long");
    memcpy(host, listen, hl);
    host[hl] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535)
        return ferr_set(e, 2, "BadListen", "bad port in %s", listen);
    memset(ss, 0, sizeof(*ss));
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        host[hl - 1] = 0;
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
            return ferr_set(e, 2, "BadListen", "bad IPv6 address in %s", listen);
        *v6 = 1;
        return 0;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    if (!strcmp(host, "localhost")) snprintf(host, sizeof(host), "127.0.0.1");
    if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
        return ferr_set(e, 2, "BadListen", "bad IPv4 address in %s", listen);
    *v6 = 0;
    return 0;
}

server *server_new(gateway *g, const server_opts *o, ferr *e)
{
    struct sockaddr_storage ss;
    int v6 = 0;
    if (parse_listen(o->listen, &ss, &v6, e)) return NULL;
    server *s = calloc(1, sizeof(*s));
    if (!s) {
        ferr_oom(e);
        return NULL;
    }
    s->g = g;
    s->waits = o->waits;
    s->max_body = o->max_body ? o->max_body : 16u << 20;
    unsigned threads = o->threads;
    if (!threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n * 2 : 4;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
    s->d = MHD_start_daemon(
        flags, 0, NULL, NULL, access_cb, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_URI_LOG_CALLBACK, uri_cb, s,
        MHD_OPTION_NOTIFY_COMPLETED, completed_cb, s, MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, s,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
        /* libmicrohttpd zeroes this pool for every request: 32 KiB holds any request line and
                             * headers AWS clients send and keeps that cost small (it was 15 %
                             * of the CPU at 256 KiB) */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024), MHD_OPTION_LISTEN_BACKLOG_SIZE,
        (unsigned)1024, MHD_OPTION_END);
    if (!s->d) {
        ferr_set(e, 1, "ListenFailed", "cannot listen on %s", o->listen);
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : 0;
    return s;
}

int server_port(const server *s)
{
    return s->port;
}

void server_free(server *s)
{
    if (!s) return;
    /* Stop accepting, let requests in flight finish and their responses go out (at most
     * 10 s), then stop; idle keep-alive connections are simply closed. */
    MHD_quiesce_daemon(s->d);
    if (s->waits) waiters_fire_all(s->waits); /* parked long polls answer now */
    for (int i = 0; i < 1000 && s->in_flight > 0; i++) usleep(10000);
    MHD_stop_daemon(s->d);
    free(s);
}
