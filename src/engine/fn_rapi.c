/* The Lambda Runtime API (2018-06-01), one loopback libmicrohttpd daemon per execution
 * environment: AWS_LAMBDA_RUNTIME_API is host:port only, so a runtime cannot name its
 * environment in the path and the port must. A thread per connection, so that /next can
 * block until an invocation comes (a runtime holds one connection). */
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "engine/fn_int.h"

#define PREFIX "/2018-06-01/runtime/"

typedef struct upload {
    buf body;
    int too_big;
} upload;

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *body)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result rapi_error(struct MHD_Connection *conn, unsigned status, const char *type,
                                  const char *msg)
{
    char b[512];
    json_t *j = json_pack("{s:s,s:s}", "errorMessage", msg, "errorType", type);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    snprintf(b, sizeof(b), "%s", s ? s : "{}");
    free(s);
    json_decref(j);
    return reply(conn, status, b);
}

/* GET /runtime/invocation/next: waits for the environment's invocation. */
static enum MHD_Result next(fnenv *v, struct MHD_Connection *conn)
{
    pthread_mutex_lock(&fn_mu);
    if (!v->started_once) {
        v->started_once = 1;
        v->init_ms = (clock_now() - v->spawned) * 1000;
    }
    while (v->state != ENV_DYING && !(v->cur && v->cur->state == INV_WAITING))
        pthread_cond_wait(&v->cv, &fn_mu);
    if (v->state == ENV_DYING) {
        pthread_mutex_unlock(&fn_mu);
        return rapi_error(conn, 500, "Runtime.ExitError", "the environment is shutting down");
    }
    fn_inv *inv = v->cur;
    inv->state = INV_RUNNING;
    inv->handed = clock_now();
    /* AWS writes START when the runtime takes the invocation: after the init's output
     * (written before this request, so in the pipe now) */
    fn_drain(v);
    char line[256];
    snprintf(line, sizeof(line), "START RequestId: %s Version: %s", inv->request_id, v->version);
    fn_log_line(v, inv, line, strlen(line));
    struct MHD_Response *r =
        MHD_create_response_from_buffer(inv->len, inv->payload, MHD_RESPMEM_MUST_COPY);
    char deadline[32], trace[96];
    snprintf(deadline, sizeof(deadline), "%lld", (long long)(inv->deadline * 1000));
    snprintf(trace, sizeof(trace), "Root=1-%08x-%.24s;Parent=%.16s;Sampled=0",
             (unsigned)inv->started, inv->id + 3, inv->id + 3);
    if (r) {
        MHD_add_response_header(r, "Content-Type", "application/json");
        MHD_add_response_header(r, "Lambda-Runtime-Aws-Request-Id", inv->request_id);
        MHD_add_response_header(r, "Lambda-Runtime-Deadline-Ms", deadline);
        MHD_add_response_header(r, "Lambda-Runtime-Invoked-Function-Arn", v->arn);
        MHD_add_response_header(r, "Lambda-Runtime-Trace-Id", trace);
    }
    pthread_mutex_unlock(&fn_mu);
    if (!r) return MHD_NO;
    enum MHD_Result rc = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return rc;
}

/* POST .../invocation/ID/response|error and /init/error: the outcome, handed to the
 * supervisor, which finishes the invocation once the process's output is read. */
static enum MHD_Result post(fnenv *v, struct MHD_Connection *conn, const char *rest, upload *u)
{
    const char *etype =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Lambda-Runtime-Function-Error-Type");
    int init = !strcmp(rest, "init/error");
    char rid[64] = "";
    const char *kind = NULL;
    if (!init) {
        if (strncmp(rest, "invocation/", 11))
            return rapi_error(conn, 404, "InvalidRequest", "unknown path");
        const char *id = rest + 11, *slash = strchr(id, '/');
        if (!slash || (size_t)(slash - id) >= sizeof(rid))
            return rapi_error(conn, 404, "InvalidRequest", "unknown path");
        memcpy(rid, id, (size_t)(slash - id));
        kind = slash + 1;
        if (strcmp(kind, "response") && strcmp(kind, "error"))
            return rapi_error(conn, 404, "InvalidRequest", "unknown path");
    }
    pthread_mutex_lock(&fn_mu);
    fn_inv *inv = v->cur;
    int ok = inv && (init ? inv->state == INV_WAITING || inv->state == INV_RUNNING
                          : inv->state == INV_RUNNING && !strcmp(inv->request_id, rid));
    if (!ok) {
        pthread_mutex_unlock(&fn_mu);
        if (!init && (!inv || strcmp(inv->request_id, rid)))
            return rapi_error(conn, 400, "InvalidRequestID", "Invalid request ID");
        return rapi_error(conn, 403, "InvalidStateTransition", "State transition is not allowed");
    }
    int is_error = init || !strcmp(kind, "error");
    if (u->too_big) {
        free(inv->reply);
        inv->reply = strdup(
            "{\"errorMessage\":\"Response payload size exceeded maximum allowed "
            "payload size (6291556 bytes).\",\"errorType\":\"Function.ResponseSizeTooLarge\"}");
        inv->reply_len = inv->reply ? strlen(inv->reply) : 0;
        inv->function_error = "Unhandled";
    } else {
        /* an error document without one names its type from the header, as AWS does */
        json_t *doc =
            is_error ? json_loadb(u->body.p ? u->body.p : "", u->body.len, 0, NULL) : NULL;
        if (is_error && (!json_is_object(doc) || !json_object_get(doc, "errorType"))) {
            json_decref(doc);
            doc = json_pack("{s:s,s:s}", "errorMessage", u->body.len ? buf_str(&u->body) : "",
                            "errorType", etype && *etype ? etype : "Unhandled");
        }
        if (doc) {
            inv->reply = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
            inv->reply_len = inv->reply ? strlen(inv->reply) : 0;
            json_decref(doc);
        } else {
            inv->reply_len = u->body.len;
            inv->reply = buf_take(&u->body);
            if (!inv->reply) inv->reply = strdup("");
        }
        inv->function_error = is_error ? "Unhandled" : NULL;
    }
    inv->state = INV_REPLIED;
    char key[48] = "";
    if (init)
        v->retire = 1; /* an environment whose init failed serves nothing */
    else
        fn_replied(v, inv, key);
    pthread_mutex_unlock(&fn_mu);
    if (*key)
        fn_notify(key);
    else
        fn_wake();
    if (u->too_big)
        return rapi_error(conn, 413, "RequestEntityTooLarge",
                          "Exceeded maximum allowed payload size (6291556 bytes).");
    return reply(conn, 202, "{\"status\":\"OK\"}");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *data_size, void **con_cls)
{
    (void)version;
    fnenv *v = cls;
    upload *u = *con_cls;
    if (!u) {
        /* a reply queued before the whole request is read makes libmicrohttpd close the
         * connection after it: every request answers on the second call, so a runtime's
         * connection is kept alive (one connection, one thread, one accept per runtime) */
        if (!(u = calloc(1, sizeof(*u)))) return MHD_NO;
        buf_init(&u->body, FN_MAX_PAYLOAD);
        *con_cls = u;
        return MHD_YES;
    }
    if (!strcmp(method, "POST")) {
        if (*data_size) {
            if (!u->too_big && buf_put(&u->body, data, *data_size)) u->too_big = 1;
            *data_size = 0;
            return MHD_YES;
        }
    }
    if (strncmp(url, PREFIX, strlen(PREFIX)))
        return rapi_error(conn, 404, "InvalidRequest", "unknown path");
    const char *rest = url + strlen(PREFIX);
    if (!strcmp(method, "GET") && !strcmp(rest, "invocation/next")) return next(v, conn);
    if (!strcmp(method, "POST")) return post(v, conn, rest, u);
    return rapi_error(conn, 405, "InvalidRequest", "method not allowed");
}

static void done(void *cls, struct MHD_Connection *conn, void **con_cls,
                 enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)conn, (void)toe;
    upload *u = *con_cls;
    if (u) {
        buf_dispose(&u->body);
        free(u);
        *con_cls = NULL;
    }
}

/* The uid owning the TCP socket peer connected to our loopback our_port, or -1: asked of
 * the kernel by the connection's 4-tuple (sock_diag), an exact lookup. (A scan of
 * /proc/net/tcp can skip a socket while others come and go: on a busy machine a runtime
 * was refused its own Runtime API, and its function failed with Runtime.ExitError.) */
static long socket_uid(const struct sockaddr_in *peer, unsigned our_port)
{
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) return -1;
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 r;
    } req = {
        .nlh = {.nlmsg_len = sizeof(req),
                .nlmsg_type = SOCK_DIAG_BY_FAMILY,
                .nlmsg_flags = NLM_F_REQUEST},
        .r = {.sdiag_family = AF_INET,
              .sdiag_protocol = IPPROTO_TCP,
              .idiag_states = ~0u,
              .id = {.idiag_sport = peer->sin_port,
                     .idiag_dport = htons((uint16_t)our_port),
                     .idiag_src = {peer->sin_addr.s_addr},
                     .idiag_dst = {htonl(INADDR_LOOPBACK)},
                     .idiag_cookie = {INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE}}},
    };
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    long uid = -1;
    union {
        struct nlmsghdr h;
        char b[1024];
    } ans;
    if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) ==
        (ssize_t)sizeof(req)) {
        ssize_t n = recv(fd, &ans, sizeof(ans), 0);
        if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct inet_diag_msg)) &&
            NLMSG_OK(&ans.h, (size_t)n) && ans.h.nlmsg_type == SOCK_DIAG_BY_FAMILY)
            uid = (long)((struct inet_diag_msg *)NLMSG_DATA(&ans.h))->idiag_uid;
    }
    close(fd);
    return uid;
}

/* When ferry runs as root every environment has a uid of its own, so the Runtime API
 * answers only its environment's processes: another function on the machine cannot take
 * or answer this one's invocations. (Otherwise all run as ferry's user, and the loopback
 * port is the only boundary.) */
static enum MHD_Result accept_peer(void *cls, const struct sockaddr *addr, socklen_t len)
{
    fnenv *v = cls;
    if (geteuid() != 0) return MHD_YES;
    if (addr->sa_family != AF_INET || len < sizeof(struct sockaddr_in)) return MHD_NO;
    const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
    long uid = socket_uid(in, (unsigned)v->port);
    return uid == (long)fn_env_uid(v) ? MHD_YES : MHD_NO;
}

int fn_rapi_start(fnenv *v, ferr *e)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    v->mhd = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0,
        accept_peer, v, handle, v, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED, done, v,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)16, MHD_OPTION_END);
    if (!v->mhd) return ferr_internal(e, "cannot start the Runtime API");
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(v->mhd, MHD_DAEMON_INFO_BIND_PORT);
    v->port = i ? i->port : 0;
    if (!v->port) {
        fn_rapi_stop(v);
        return ferr_internal(e, "the Runtime API has no port");
    }
    return 0;
}

void fn_rapi_stop(fnenv *v)
{
    if (v->mhd) MHD_stop_daemon(v->mhd);
    v->mhd = NULL;
}
