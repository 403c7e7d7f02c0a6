#include "server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/thread.h"
#include "engine/waiters.h"
#include "http/upload.h"

/* libmicrohttpd 0.9.75 keeps the request line and a record per query parameter (about 56
 * bytes) in the 32 KiB connection pool; when they do not fit it neither answers nor closes
 * (from 500 short parameters, or 199 in 21 KB). A request line whose length plus 64 bytes
 * a parameter passes this is refused first, with room left for the headers. AWS clients
 * send short query strings (the query protocol posts its parameters). */
#define MAX_QUERY_COST (24 * 1024)

#define STREAM_BLOCK (256 * 1024) /* a streamed body's bytes are read this many at a time */

/* What a connection is doing, for the header deadline, the body deadline and eviction. */
typedef enum cstate {
    C_NEW,     /* accepted, no request line yet */
    C_HEADERS, /* request line in, headers not complete */
    C_BODY,    /* reading the body of a request not authenticated from its headers */
    C_ACTIVE,  /* in the gateway, parked, or answering */
    C_IDLE     /* keep-alive between requests of a client that completed one */
} cstate;

typedef struct conn {
    struct conn *prev, *next; /* oldest first */
    int fd;
    cstate st;
    uint64_t since; /* monotonic ns when st began (C_HEADERS: when the connection did) */
    int shut;       /* shut down by us; libmicrohttpd closes it */
} conn;

struct server {
    struct MHD_Daemon *d;
    gateway *g;
    waiters *waits;
    size_t max_body;
    int port;
    _Atomic int in_flight; /* requests begun and not yet completed */
    _Atomic int offloads;  /* service routes running on threads of their own (offload) */
    /* bodies held for requests not authenticated from their headers, against body_budget */
    _Atomic size_t body_held;
    size_t body_budget;
    uint64_t header_ns, body_ns;
    unsigned max_conns, reserve;
    pthread_mutex_t cm; /* guards the connection list and every conn */
    conn *head, *tail;
    unsigned nconns;
    pthread_t sweeper;
    pthread_cond_t wake;
    int stop, have_sweeper;
};

/* Per-request state, created from the raw URI before libmicrohttpd unescapes anything
 * (SigV4 needs the path exactly as sent). */
typedef struct rctx {
    arena *a;
    char *raw_uri;
    buf body;
    int started, too_big;
    size_t limit;        /* the body cap: --max-body, or the operation's own (gateway_body) */
    int too_many_params; /* the query was cut before libmicrohttpd parsed it */
    int budgeted;        /* the body counts against body_budget (held: body.len) */
    int over_budget;     /* the budget was full: the rest of the body is dropped */
    /* long poll: the request is parked between runs */
    struct MHD_Connection *con;
    hreq hr;
    int have_hr;
    call_wait w; /* the only long-poll state: freed with the request */
    _Atomic int final;
    /* a streamed body (call_body_want), on its way into the blob store */
    int streams; /* the operation takes its body streamed */
    upload *up;  /* reading it */
    /* a service route run off the connection's thread: 1 running, 2 off_resp is its answer */
    _Atomic int offload;
    server *srv;
    proto_response off_resp;
} rctx;

static conn *conn_of(struct MHD_Connection *con)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void conn_set(server *s, struct MHD_Connection *con, cstate st)
{
    conn *c = conn_of(con);
    if (!c) return;
    pthread_mutex_lock(&s->cm);
    /* a new connection's header deadline runs from its accept, a kept-alive one's from
     * its next request line */
    if (!(st == C_HEADERS && c->st == C_NEW)) c->since = clock_mono_ns();
    c->st = st;
    pthread_mutex_unlock(&s->cm);
}

/* Shuts c down (under s->cm): libmicrohttpd sees the end of the stream and closes it. It
 * notifies MHD_CONNECTION_NOTIFY_CLOSED, which unlinks c under s->cm, before it closes the
 * descriptor, so c->fd is still this connection's here. */
static void conn_shut(conn *c)
{
    c->shut = 1;
    shutdown(c->fd, SHUT_RDWR);
}

/* Near the connection limit, the oldest connection that never sent complete headers goes
 * (then the oldest idle keep-alive), so that clients that do send requests are served
 * while a flood of idle connections is held. Under s->cm. */
static void evict_one(server *s, const conn *keep)
{
    for (int pass = 0; pass < 2; pass++)
        for (conn *c = s->head; c; c = c->next) {
            if (c == keep || c->shut) continue;
            if (pass == 0 ? (c->st == C_NEW || c->st == C_HEADERS) : c->st == C_IDLE) {
                conn_shut(c);
                return;
            }
        }
}

static void notify_cb(void *cls, struct MHD_Connection *con, void **socket_context,
                      enum MHD_ConnectionNotificationCode code)
{
    server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
        conn *c = ci ? calloc(1, sizeof(*c)) : NULL;
        *socket_context = c;
        if (!c) return; /* untracked: only the idle timeout applies to it */
        c->fd = ci->connect_fd;
        c->st = C_NEW;
        c->since = clock_mono_ns();
        pthread_mutex_lock(&s->cm);
        c->prev = s->tail;
        if (s->tail)
            s->tail->next = c;
        else
            s->head = c;
        s->tail = c;
        if (++s->nconns + s->reserve > s->max_conns) evict_one(s, c);
        pthread_mutex_unlock(&s->cm);
        return;
    }
    conn *c = *socket_context;
    if (!c) return;
    pthread_mutex_lock(&s->cm);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        s->tail = c->prev;
    s->nconns--;
    pthread_mutex_unlock(&s->cm);
    free(c);
    *socket_context = NULL;
}

/* Closes connections past their header deadline (slowloris: libmicrohttpd's own timeout is
 * renewed by every byte) and bodies not authenticated past theirs. */
static void *sweeper_main(void *arg)
{
    server *s = arg;
    pthread_mutex_lock(&s->cm);
    while (!s->stop) {
        uint64_t now = clock_mono_ns();
        for (conn *c = s->head; c; c = c->next) {
            if (c->shut) continue;
            uint64_t age = now - c->since;
            if (((c->st == C_NEW || c->st == C_HEADERS) && age > s->header_ns) ||
                (c->st == C_BODY && age > s->body_ns))
                conn_shut(c);
        }
        struct timespec ts = clock_deadline_mono(0.25); /* s->wake runs on CLOCK_MONOTONIC */
        pthread_cond_timedwait(&s->wake, &s->cm, &ts);
    }
    pthread_mutex_unlock(&s->cm);
    return NULL;
}

static void *uri_cb(void *cls, const char *uri, struct MHD_Connection *con)
{
    server *s = cls;
    conn_set(s, con, C_HEADERS);
    rctx *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    r->a = arena_new(16384);
    if (!r->a) {
        free(r);
        return NULL;
    }
    r->raw_uri = arena_strdup(r->a, uri ? uri : "/");
    r->limit = s->max_body;
    buf_init(&r->body, r->limit);
    s->in_flight++;
    /* libmicrohttpd parses the query into its pool right after this call, from the buffer
     * uri points into; a query too long for the pool is emptied there (the copy above
     * keeps it) and answered 414 once the headers are in. */
    char *q = uri ? strchr(uri, '?') : NULL;
    if (q) {
        size_t cost = (size_t)(q - uri) + 64;
        for (const char *p = q; *p && cost <= MAX_QUERY_COST; p++)
            cost += *p == '&' || *p == ';' ? 65 : 1;
        if (cost > MAX_QUERY_COST) {
            r->too_many_params = 1;
            q[1] = 0;
        }
    }
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
    if (r->budgeted) s->body_held -= r->body.len;
    if (con) conn_set(s, con, C_IDLE);
    upload_abort(r->up); /* the client went away mid-body: nothing of it stays */
    if (r->w.body_sealed) OPENSSL_cleanse(&r->w.body_key, sizeof(r->w.body_key));
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

static ssize_t blob_out(void *cls, uint64_t pos, char *p, size_t max)
{
    (void)pos; /* read in order: the reader keeps its place */
    size_t got = 0;
    ferr e = {0};
    if (call_stream_read(cls, p, max, &got, &e)) {
        log_error("blob read failed mid-response: %s", e.message);
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    return got ? (ssize_t)got : MHD_CONTENT_READER_END_OF_STREAM;
}

static void blob_out_free(void *cls)
{
    call_stream_free(cls);
}

static ssize_t no_body(void *cls, uint64_t pos, char *p, size_t max)
{
    (void)cls, (void)pos, (void)p, (void)max;
    return MHD_CONTENT_READER_END_OF_STREAM;
}

static enum MHD_Result send_resp(struct MHD_Connection *con, proto_response *pr)
{
    struct MHD_Response *resp;
    /* a HEAD answer names the length of the body it does not send (S3's HeadObject):
     * libmicrohttpd takes that length from the response, not from a header */
    const char *head_len = NULL;
    for (size_t i = 0; i < pr->nheaders; i++)
        if (!strcasecmp(pr->headers[i].name, "Content-Length")) head_len = pr->headers[i].value;
    if (head_len && !pr->stream && !pr->body.len) {
        buf_dispose(&pr->body);
        resp = MHD_create_response_from_callback(strtoull(head_len, NULL, 10), 4096, no_body, NULL,
                                                 NULL);
        if (!resp) return MHD_NO;
    } else if (pr->stream) { /* a blob's bytes, read as the client takes them */
        buf_dispose(&pr->body);
        /* libmicrohttpd allocates and zeroes the whole block per response: no more than the
         * body needs (most objects are small) */
        size_t block = pr->stream_len < STREAM_BLOCK ? (size_t)pr->stream_len : STREAM_BLOCK;
        resp = MHD_create_response_from_callback(pr->stream_len, block < 1024 ? 1024 : block,
                                                 blob_out, pr->stream, blob_out_free);
        if (!resp) call_stream_free(pr->stream);
        pr->stream = NULL;
        if (!resp) return MHD_NO;
    } else {
        size_t len = pr->body.len;
        char *body = buf_take(&pr->body);
        resp = MHD_create_response_from_buffer_with_free_callback(len, body, free);
        if (!resp) {
            free(body);
            return MHD_NO;
        }
    }
    if (pr->content_type) MHD_add_response_header(resp, "Content-Type", pr->content_type);
    for (size_t i = 0; i < pr->nheaders; i++)
        if (pr->headers[i].value != head_len)
            MHD_add_response_header(resp, pr->headers[i].name, pr->headers[i].value);
    MHD_add_response_header(resp, "Server", "ferry");
    enum MHD_Result ret = MHD_queue_response(con, (unsigned)(pr->status ? pr->status : 500), resp);
    MHD_destroy_response(resp);
    return ret;
}

/* An error the server gives before the gateway can name a protocol (the body is not read
 * or not kept). */
static enum MHD_Result http_error(struct MHD_Connection *con, int status, const char *code,
                                  const char *message)
{
    proto_response pr = {.status = status, .content_type = "text/xml"};
    buf_init(&pr.body, 0);
    buf_printf(&pr.body,
               "<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message>"
               "</Error></ErrorResponse>",
               code, message);
    return send_resp(con, &pr);
}

/* In the service's protocol when the headers name one (a client reads the error code it
 * knows), else the server's own. */
static enum MHD_Result too_big(struct MHD_Connection *con, server *s, rctx *r)
{
    proto_response pr;
    if (r->have_hr && !gateway_too_large(s->g, r->a, &r->hr, r->limit, &pr))
        return send_resp(con, &pr);
    char m[128];
    snprintf(m, sizeof(m), "Request body exceeds the maximum of %zu bytes", r->limit);
    return http_error(con, 413, "RequestEntityTooLarge", m);
}

static enum MHD_Result slow_down(struct MHD_Connection *con)
{
    return http_error(con, 503, "SlowDown", "Please reduce your request rate.");
}

/* The request as far as the headers go (the body is set when it is in). */
static void build_hreq(rctx *r, struct MHD_Connection *con, const char *method)
{
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
    hr.body = (const unsigned char *)"";
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
}

static void wake(void *arg, int final)
{
    rctx *r = arg;
    r->final = final;
    MHD_resume_connection(r->con);
}

static void *offload_main(void *arg)
{
    rctx *r = arg;
    server *s = r->srv;
    gateway_handle(s->g, r->a, &r->hr, &r->w, &r->off_resp);
    r->offload = 2;
    MHD_resume_connection(r->con);
    s->offloads--;
    return NULL;
}

/* A service route (an API Gateway stage, git over HTTP) may run a function or a process for
 * as long as it takes, and a thread of the pool serves many connections: among them, maybe
 * the function's own calls back into ferry. So it runs on a thread of its own while its
 * connection is suspended. 1 when it went there. */
static int offload(server *s, rctx *r)
{
    if (!gateway_is_route(s->g, r->a, &r->hr)) return 0;
    r->srv = s;
    r->offload = 1;
    s->offloads++;
    MHD_suspend_connection(r->con);
    if (!thread_start_detached(offload_main, r)) return 1;
    MHD_resume_connection(r->con); /* no thread: it runs here */
    s->offloads--;
    r->offload = 0;
    return 0;
}

/* Runs the gateway; parks the connection (no thread held) while the handler waits. */
static enum MHD_Result run(server *s, rctx *r)
{
    if (r->offload == 2) {
        r->offload = 0;
        return send_resp(r->con, &r->off_resp);
    }
    if (!r->hr.headers_only && !r->streams && offload(s, r)) return MHD_YES;
    proto_response pr;
    r->w.final = r->final;
    int rc = gateway_handle(s->g, r->a, &r->hr, &r->w, &pr);
    if (rc == 1) {
        MHD_suspend_connection(r->con);
        if (waiters_add(s->waits, r->w.key, r->w.wake_at, r->w.seq, wake, r)) wake(r, 1);
        r->w.resumed = 1;
        return MHD_YES;
    }
    if (rc == SVC_BODY) { /* the handler wants the body: read it into the blob store */
        r->up = gateway_upload(s->g, r->a, &r->hr, &r->w, &r->w.body_err);
        if (r->up) return MHD_YES;
        r->w.body_failed = 1;
        r->hr.headers_only = 1; /* refused from the headers: the body is not read */
        return run(s, r);
    }
    return send_resp(r->con, &pr);
}

/* The streamed body is in (or failed): the handler runs again with it. */
static enum MHD_Result body_done(server *s, rctx *r)
{
    if (r->up) {
        call_body *b = arena_alloc(r->a, sizeof(*b));
        if (!b) {
            upload_abort(r->up);
            ferr_oom(&r->w.body_err);
        } else if (!upload_finish(r->up, b, r->a, &r->w.body_err)) {
            b->note = r->w.body_note;
            r->w.body = b;
        }
        r->up = NULL;
    }
    if (!r->w.body) r->w.body_failed = 1;
    return run(s, r);
}

/* Headers complete, no body byte taken yet: what can be refused now is refused now. */
static enum MHD_Result headers_in(server *s, rctx *r, struct MHD_Connection *con,
                                  const char *method)
{
    conn_set(s, con, C_ACTIVE);
    if (r->too_many_params)
        return http_error(con, 414, "RequestURITooLong",
                          "The request URI is too long or has too many parameters.");
    const char *te = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Transfer-Encoding");
    /* RFC 9112: a transfer coding the server does not understand is 501 (libmicrohttpd 0.9.75
     * would wait for the connection to close) */
    if (te && strcasecmp(te, "chunked"))
        return http_error(con, 501, "NotImplemented",
                          "A header you provided implies functionality that is not implemented.");
    const char *cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Content-Length");
    build_hreq(r, con, method);
    int pre = gateway_preauth(s->g, r->a, &r->hr);
    if (pre < 0) { /* refused whatever the body: answered without reading it */
        r->hr.headers_only = 1;
        return run(s, r);
    }
    int streams = gateway_body(s->g, r->a, &r->hr, &r->limit);
    r->body.max = r->limit; /* nothing is in it yet */
    if (streams) {
        /* the handler runs from the headers; it asks for the body (SVC_BODY) only when it
         * will take it, and then it goes to the blob store as it comes, whatever its size */
        r->streams = 1;
        r->hr.body_pending = 1;
        return run(s, r);
    }
    if (cl && strtoull(cl, NULL, 10) > r->limit) return too_big(con, s, r);
    if (pre == 0 || (cl && !strcmp(cl, "0")) || (!cl && !te)) return MHD_YES;
    /* A body of unknown length from a caller not authenticated yet is not taken: chunked
     * uploads are for signed streams (libmicrohttpd 0.9.75 cannot answer a long chunk line
     * otherwise than with 500). */
    if (!cl)
        return http_error(con, 411, "MissingContentLength",
                          "You must provide the Content-Length HTTP header.");
    r->budgeted = 1;
    conn_set(s, con, C_BODY);
    return MHD_YES;
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
        return headers_in(s, r, con, method);
    }
    if (r->streams) {
        if (*upload_size) {
            size_t n = *upload_size;
            *upload_size = 0;
            if (r->up && upload_write(r->up, upload, n, &r->w.body_err)) {
                upload_abort(r->up);
                r->up = NULL; /* the rest is read and dropped, then the error answered */
            }
            return MHD_YES;
        }
        return body_done(s, r);
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (r->too_big || r->over_budget) return MHD_YES;
        /* reserve first, so that requests on other threads cannot all pass the check */
        if (r->budgeted && atomic_fetch_add(&s->body_held, n) + n > s->body_budget) {
            s->body_held -= n;
            r->over_budget = 1; /* the rest is read and dropped, then refused */
            return MHD_YES;
        }
        if (buf_put(&r->body, upload, n)) {
            if (r->budgeted) s->body_held -= n; /* held is body.len, which did not grow */
            r->too_big = 1;
        }
        return MHD_YES;
    }
    if (r->too_big) return too_big(con, s, r);
    if (r->over_budget) return slow_down(con);
    if (!r->have_hr) return MHD_NO; /* cannot happen: headers_in made it */
    if (r->budgeted) conn_set(s, con, C_ACTIVE);
    r->hr.body = (const unsigned char *)(r->body.p ? r->body.p : "");
    r->hr.body_len = r->body.len;
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
    s->body_budget = o->body_budget ? o->body_budget : (size_t)160 << 20;
    s->header_ns = (uint64_t)(o->header_timeout ? o->header_timeout : 10) * 1000000000u;
    s->body_ns = (uint64_t)(o->body_timeout ? o->body_timeout : 60) * 1000000000u;
    /* Descriptors are the connection limit: take the hard limit, keep some for the store,
     * outbound deliveries and logs. */
    struct rlimit rl;
    unsigned fds = 1024;
    if (!getrlimit(RLIMIT_NOFILE, &rl)) {
        if (rl.rlim_cur < rl.rlim_max) {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
            getrlimit(RLIMIT_NOFILE, &rl);
        }
        fds = rl.rlim_cur > 1000000 ? 1000000 : (unsigned)rl.rlim_cur;
    }
    unsigned most = fds > 256 ? fds - 128 : fds / 2;
    /* each connection may fill its 32 KiB pool with a request line and headers: 8,192 of
     * them hold at most 256 MiB before anyone is authenticated */
    s->max_conns = o->max_conns ? o->max_conns : 8192;
    if (s->max_conns > most) s->max_conns = most;
    s->reserve = s->max_conns / 8 > 256 ? 256 : s->max_conns / 8;
    unsigned per_ip = o->max_conns_per_ip ? o->max_conns_per_ip : 256;
    if (pthread_mutex_init(&s->cm, NULL)) {
        free(s);
        ferr_oom(e);
        return NULL;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int cerr = pthread_cond_init(&s->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (cerr) {
        pthread_mutex_destroy(&s->cm);
        free(s);
        ferr_oom(e);
        return NULL;
    }
    unsigned threads = o->threads;
    if (!threads) {
        /* two per core and four more, at least 16: a request thread also waits, for the
         * store's one write lock, for the group commit it joined or for the file system,
         * and the connections it serves wait with it. A group commit takes up to 16 writes;
         * with 8 threads a quarter of a 2-core machine stayed idle under 64 connections of
         * PutItem. Measured there, 4 -> 8 -> 16 threads: 12.1k, 12.7k, 14.5k PutItem/s
         * (7 to 10 runs each); 32 gave no more. Reads were no slower in this VM's noise. */
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = (n > 0 ? (unsigned)n * 2 : 4) + 4;
        if (threads < 16) threads = 16;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
    s->d = MHD_start_daemon(
        flags, 0, NULL, NULL, access_cb, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_URI_LOG_CALLBACK, uri_cb, s,
        MHD_OPTION_NOTIFY_COMPLETED, completed_cb, s, MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, s,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_NOTIFY_CONNECTION, notify_cb, s,
        MHD_OPTION_CONNECTION_LIMIT, s->max_conns, MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
        /* libmicrohttpd zeroes this pool for every request: 32 KiB holds any request line and
                             * headers AWS clients send and keeps that cost small (it was 15 %
                             * of the CPU at 256 KiB) */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024), MHD_OPTION_LISTEN_BACKLOG_SIZE,
        (unsigned)1024, MHD_OPTION_END);
    if (!s->d) {
        ferr_set(e, 1, "ListenFailed", "cannot listen on %s", o->listen);
        goto fail;
    }
    if (pthread_create(&s->sweeper, NULL, sweeper_main, s)) {
        ferr_set(e, 1, "ListenFailed", "cannot start the connection sweeper");
        MHD_stop_daemon(s->d);
        goto fail;
    }
    s->have_sweeper = 1;
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : 0;
    return s;
fail:
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->cm);
    free(s);
    return NULL;
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
    /* an offloaded route resumes its connection: the daemon must outlive it */
    for (int i = 0; i < 3000 && s->offloads > 0; i++) usleep(10000);
    MHD_stop_daemon(s->d);
    if (s->have_sweeper) {
        pthread_mutex_lock(&s->cm);
        s->stop = 1;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->cm);
        pthread_join(s->sweeper, NULL);
    }
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->cm);
    free(s);
}
