/* The news listener (pgnews.h).
 *
 * Why a question every 25 ms: a listening session gets a notification as soon as it is idle
 * after the commit, so once the answer to question k+1 is in, every notification of a
 * commit that ended before question k was sent has been read (the server sends pending
 * notifications before it reads the next question). The listener reports that instant
 * (store.c's "confirmed"); a silent or dead connection stops the reports, and store.c then
 * stops trusting its generations. The questions carry the queued announcements. */
#include "pgnews.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"

#define ASK_EVERY_NS   25000000ULL   /* a question this often */
#define ANSWER_TIME_NS 1000000000ULL /* unanswered this long: the connection is dropped */
#define RETRY_NS       200000000ULL  /* reconnect this often while the database is away */
#define QUEUE_MAX      1024          /* announcements waiting at most (more are dropped) */

struct pgnews {
    char *url;
    PGconn *(*connect)(const char *url);
    store_listener l;
    pthread_t th;
    int pipe[2]; /* wakes the thread: announcements queued, or stop */
    pthread_mutex_t mu;
    char **q; /* announcements to send, under mu */
    size_t nq;
    int stop; /* under mu */
};

static void poke(pgnews *n)
{
    char b = 1;
    ssize_t w = write(n->pipe[1], &b, 1); /* full: a wake is pending already */
    (void)w;
}

void pgnews_announce(pgnews *n, const char *news)
{
    if (!n) return;
    pthread_mutex_lock(&n->mu);
    /* the same key twice before it is sent goes once: it is sent after both asked */
    int dup = 0;
    for (size_t i = 0; i < n->nq && !dup; i++) dup = !strcmp(n->q[i], news);
    char *c = dup || n->nq >= QUEUE_MAX ? NULL : strdup(news);
    if (c) n->q[n->nq++] = c;
    pthread_mutex_unlock(&n->mu);
    if (c) poke(n);
}

/* The next question: the queued announcements as pg_notify calls, else SELECT 1. NULL on
 * OOM (the announcements stay queued). */
static char *question(pgnews *n, PGconn *pg)
{
    pthread_mutex_lock(&n->mu);
    size_t k = n->nq;
    char **q = k ? malloc(k * sizeof(*q)) : NULL;
    if (q) {
        memcpy(q, n->q, k * sizeof(*q));
        n->nq = 0;
    } else {
        k = 0; /* out of memory: they stay queued */
    }
    pthread_mutex_unlock(&n->mu);
    buf b = {0};
    int bad = 0;
    for (size_t i = 0; i < k; i++) {
        char *lit = PQescapeLiteral(pg, q[i], strlen(q[i]));
        if (lit && buf_printf(&b, "SELECT pg_notify('" PGNEWS_CHANNEL "', %s);", lit)) bad = 1;
        PQfreemem(lit);
        free(q[i]);
    }
    free(q);
    if (!bad && !b.len && buf_puts(&b, "SELECT 1")) bad = 1;
    if (bad) {
        buf_dispose(&b);
        return NULL;
    }
    return buf_take(&b);
}

static void drain(pgnews *n, PGconn *pg)
{
    PGnotify *x;
    while ((x = PQnotifies(pg))) {
        n->l.heard(n->l.ud, x->extra);
        PQfreemem(x);
    }
}

/* Connects and listens: the connection, or NULL. */
static PGconn *attach(pgnews *n)
{
    PGconn *pg = n->connect(n->url);
    if (!pg || PQstatus(pg) != CONNECTION_OK) {
        PQfinish(pg);
        return NULL;
    }
    PGresult *r = PQexec(pg, "LISTEN " PGNEWS_CHANNEL);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        PQfinish(pg);
        return NULL;
    }
    return pg;
}

static int stopping(pgnews *n)
{
    pthread_mutex_lock(&n->mu);
    int s = n->stop;
    pthread_mutex_unlock(&n->mu);
    return s;
}

static void *run(void *arg)
{
    pgnews *n = arg;
    PGconn *pg = NULL;
    int busy = 0, lost_said = 0;
    uint64_t sent = 0, prev = 0, next_ask = 0, retry = 0;
    while (!stopping(n)) {
        uint64_t now = clock_mono_ns();
        if (!pg && now >= retry) {
            pg = attach(n);
            if (pg) {
                n->l.relisten(n->l.ud);
                busy = 0, prev = 0, next_ask = now;
                if (lost_said) log_info("store news: listening again");
                lost_said = 0;
            } else {
                retry = now + RETRY_NS;
                if (!lost_said) log_warn("store news: cannot listen; caches bypassed meanwhile");
                lost_said = 1;
            }
        }
        int have_q = 0;
        pthread_mutex_lock(&n->mu);
        have_q = n->nq > 0;
        pthread_mutex_unlock(&n->mu);
        if (pg && !busy && (now >= next_ask || have_q)) {
            char *sql = question(n, pg);
            if (sql && PQsendQuery(pg, sql)) busy = 1, sent = now;
            free(sql);
            if (!busy) goto lost;
        }
        uint64_t until = !pg ? retry : busy ? sent + ANSWER_TIME_NS : next_ask;
        int ms = until > now ? (int)((until - now + 999999) / 1000000) : 0;
        struct pollfd fds[2] = {{n->pipe[0], POLLIN, 0}, {pg ? PQsocket(pg) : -1, POLLIN, 0}};
        poll(fds, 2, ms);
        if (fds[0].revents & POLLIN) {
            char b[64];
            while (read(n->pipe[0], b, sizeof(b)) > 0) {
            }
        }
        if (!pg) continue;
        if ((fds[1].revents & (POLLIN | POLLERR | POLLHUP)) && !PQconsumeInput(pg)) goto lost;
        drain(n, pg);
        while (busy && !PQisBusy(pg)) {
            PGresult *r = PQgetResult(pg);
            if (r) {
                ExecStatusType st = PQresultStatus(r);
                if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
                    log_warn("store news: %s", PQerrorMessage(pg));
                PQclear(r);
                continue;
            }
            busy = 0;
            drain(n, pg); /* what came before the answer, before saying it was heard */
            if (prev) n->l.confirmed(n->l.ud, prev);
            prev = sent;
            next_ask = sent + ASK_EVERY_NS;
        }
        if (PQstatus(pg) != CONNECTION_OK) goto lost;
        if (busy && clock_mono_ns() - sent > ANSWER_TIME_NS) goto lost;
        continue;
    lost:
        n->l.confirmed(n->l.ud, 0);
        PQfinish(pg);
        pg = NULL;
        retry = clock_mono_ns() + RETRY_NS;
        if (!lost_said) log_warn("store news: connection lost; caches bypassed until it is back");
        lost_said = 1;
    }
    PQfinish(pg);
    return NULL;
}

pgnews *pgnews_start(const char *url, PGconn *(*connect)(const char *url), const store_listener *l,
                     ferr *e)
{
    pgnews *n = calloc(1, sizeof(*n));
    if (!n || !(n->url = strdup(url)) || !(n->q = calloc(QUEUE_MAX, sizeof(char *)))) {
        if (n) free(n->url);
        free(n);
        ferr_oom(e);
        return NULL;
    }
    n->connect = connect;
    n->l = *l;
    pthread_mutex_init(&n->mu, NULL);
    if (pipe(n->pipe) || fcntl(n->pipe[0], F_SETFL, O_NONBLOCK) ||
        fcntl(n->pipe[1], F_SETFL, O_NONBLOCK) || pthread_create(&n->th, NULL, run, n)) {
        ferr_internal(e, "store news: cannot start the listener");
        if (n->pipe[0] > 0) close(n->pipe[0]), close(n->pipe[1]);
        pthread_mutex_destroy(&n->mu);
        free(n->q);
        free(n->url);
        free(n);
        return NULL;
    }
    return n;
}

void pgnews_stop(pgnews *n)
{
    if (!n) return;
    pthread_mutex_lock(&n->mu);
    n->stop = 1;
    pthread_mutex_unlock(&n->mu);
    poke(n);
    pthread_join(n->th, NULL);
    close(n->pipe[0]);
    close(n->pipe[1]);
    for (size_t i = 0; i < n->nq; i++) free(n->q[i]);
    free(n->q);
    pthread_mutex_destroy(&n->mu);
    free(n->url);
    free(n);
}
