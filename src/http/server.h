/* HTTP/1.1 server (libmicrohttpd, keep-alive, thread pool on epoll). Hands each complete
 * request to the gateway. */
#ifndef FERRY_SERVER_H
#define FERRY_SERVER_H
#include <stddef.h>

#include "http/gateway.h"

typedef struct server server;

typedef struct server_opts {
    const char *listen;    /* "127.0.0.1:4566", "[::1]:0"; port 0 picks a free port */
    size_t max_body;       /* larger bodies get 413 */
    unsigned threads;      /* 0: two per core and four more, at least 16 */
    struct waiters *waits; /* where long polls park (env->waits) */
    /* Before authentication (0 = the default in brackets): */
    size_t body_budget;        /* bytes of bodies held, in total, for requests whose
                                * signature covers their body, until it is checked [160 MiB:
                                * two of Lambda's 70,167,211-byte code uploads];
                                * beyond it 503 SlowDown */
    unsigned header_timeout;   /* seconds from accept (or a kept-alive connection's next
                                * request line) to complete headers [10] */
    unsigned body_timeout;     /* seconds to send such a body [60] */
    unsigned max_conns;        /* connections in all [8192, at most the descriptor limit
                                * (raised to its hard limit) less 128]; near it the oldest
                                * that never sent complete headers, then idle ones, close */
    unsigned max_conns_per_ip; /* [256] */
} server_opts;

server *server_new(gateway *g, const server_opts *o, ferr *e); /* caller owns */
int server_port(const server *s);
/* Stops accepting, finishes requests in flight, frees. */
void server_free(server *s);

#endif
