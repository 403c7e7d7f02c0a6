#include "audit.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"

typedef struct waiter {
    const audit_rec *rec;
    int done, rc;
    int owned; /* queued by auditq_submit: the writer frees it */
    struct waiter *next;
} waiter;

struct auditq {
    store *st;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    waiter *head, **tail;
    size_t queued;           /* submitted events not yet written */
    size_t waiting;          /* callers in the queue or in auditq_flush: no lingering */
    uint64_t added, written; /* events queued, and committed or failed, since the start */
    int stop;
};

/* Submitted events held at most: past it a submitter waits for the writer, so a flood of
 * reads slows to the trail's pace instead of growing memory without bound. */
#define AUDITQ_MAX_QUEUED 8192
/* A batch of reads only waits this long, or for this many events, before its commit: one
 * commit per read cost the writer a third of a core at one client connection (most of it
 * the commit's own), while nothing reads the trail (LookupEvents flushes it first). */
#define AUDITQ_LINGER     0.005
#define AUDITQ_BATCH      256

/* Under mu: lets queued reads gather for AUDITQ_LINGER unless someone waits for them. */
static void linger(auditq *q)
{
    struct timespec until = clock_deadline(AUDITQ_LINGER);
    while (!q->waiting && !q->stop && q->queued < AUDITQ_BATCH)
        if (pthread_cond_timedwait(&q->work, &q->mu, &until)) break;
}

static void *writer(void *arg)
{
    auditq *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->head && !q->stop) pthread_cond_wait(&q->work, &q->mu);
        if (!q->head && q->stop) break;
        linger(q);
        waiter *batch = q->head;
        q->head = NULL;
        q->tail = &q->head;
        pthread_mutex_unlock(&q->mu);

        /* Records are read while their callers wait, so they stay valid until done is set. */
        ferr e = {0};
        store_txn *t = NULL;
        int rc = store_begin(q->st, 1, &t, &e);
        size_t n = 0;
        for (waiter *w = batch; w; w = w->next) n++;
        const audit_rec **recs = rc ? NULL : malloc(n * sizeof(*recs));
        if (recs) { /* at once: on PostgreSQL one round trip instead of one per event */
            n = 0;
            for (waiter *w = batch; w; w = w->next) recs[n++] = w->rec;
            rc = store_audit_append_many(t, recs, n, &e);
            free(recs);
        } else {
            for (waiter *w = batch; !rc && w; w = w->next) rc = store_audit_append(t, w->rec, &e);
        }
        if (t) rc = rc ? (store_rollback(t), -1) : store_commit(t, &e);
        if (rc) log_error("audit: batch not recorded: %s", e.message);

        pthread_mutex_lock(&q->mu);
        for (waiter *w = batch, *next; w; w = next) {
            next = w->next; /* a waiter's caller may return as soon as done is set */
            q->written++;
            if (w->owned) {
                free(w);
                q->queued--;
                continue;
            }
            w->rc = rc;
            w->done = 1;
        }
        pthread_cond_broadcast(&q->done);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

auditq *auditq_new(store *s, ferr *e)
{
    auditq *q = calloc(1, sizeof(*q));
    if (!q) {
        ferr_oom(e);
        return NULL;
    }
    q->st = s;
    q->tail = &q->head;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->work, NULL);
    pthread_cond_init(&q->done, NULL);
    if (pthread_create(&q->thread, NULL, writer, q)) {
        ferr_internal(e, "cannot start the audit writer");
        pthread_mutex_destroy(&q->mu);
        pthread_cond_destroy(&q->work);
        pthread_cond_destroy(&q->done);
        free(q);
        return NULL;
    }
    return q;
}

void auditq_free(auditq *q)
{
    if (!q) return;
    pthread_mutex_lock(&q->mu);
    q->stop = 1;
    pthread_cond_signal(&q->work);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->thread, NULL);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->work);
    pthread_cond_destroy(&q->done);
    free(q);
}

/* One allocation holding the waiter, the record and its strings. */
static waiter *copy(const audit_rec *r)
{
    const char *const *f[] = {
        &r->event_id,       &r->request_id, &r->account,    &r->region,     &r->principal_arn,
        &r->principal_type, &r->username,   &r->access_key, &r->service,    &r->event_source,
        &r->operation,      &r->source_ip,  &r->user_agent, &r->error_code, &r->error_message,
        &r->resources,      &r->extra};
    size_t n = sizeof(f) / sizeof(f[0]), len = sizeof(waiter) + sizeof(audit_rec);
    for (size_t i = 0; i < n; i++) len += *f[i] ? strlen(*f[i]) + 1 : 0;
    len += r->resource_names ? r->resource_names_len : 0;
    waiter *w = calloc(1, len);
    if (!w) return NULL;
    audit_rec *c = (audit_rec *)(w + 1);
    *c = *r;
    char *p = (char *)(c + 1);
    const char **dst[] = {&c->event_id,      &c->request_id,     &c->account,       &c->region,
                          &c->principal_arn, &c->principal_type, &c->username,      &c->access_key,
                          &c->service,       &c->event_source,   &c->operation,     &c->source_ip,
                          &c->user_agent,    &c->error_code,     &c->error_message, &c->resources,
                          &c->extra};
    for (size_t i = 0; i < n; i++) {
        if (!*f[i]) continue;
        size_t l = strlen(*f[i]) + 1;
        memcpy(p, *f[i], l);
        *dst[i] = p;
        p += l;
    }
    if (r->resource_names) {
        memcpy(p, r->resource_names, r->resource_names_len);
        c->resource_names = p;
    }
    w->rec = c;
    w->owned = 1;
    return w;
}

int auditq_submit(auditq *q, const audit_rec *r)
{
    waiter *w = copy(r);
    if (!w) return -1;
    pthread_mutex_lock(&q->mu);
    while (q->queued >= AUDITQ_MAX_QUEUED && !q->stop) pthread_cond_wait(&q->done, &q->mu);
    *q->tail = w;
    q->tail = &w->next;
    q->added++;
    /* the writer lingers over a batch of reads: it needs waking for the first and a full one,
     * once mu is free (woken under it, it would only wait for mu) */
    int wake = ++q->queued == 1 || q->queued == AUDITQ_BATCH;
    pthread_mutex_unlock(&q->mu);
    if (wake) pthread_cond_signal(&q->work);
    return 0;
}

int auditq_append(auditq *q, const audit_rec *r)
{
    waiter w = {.rec = r};
    pthread_mutex_lock(&q->mu);
    *q->tail = &w;
    q->tail = &w.next;
    q->added++;
    q->waiting++;
    pthread_cond_signal(&q->work);
    while (!w.done) pthread_cond_wait(&q->done, &q->mu);
    q->waiting--;
    pthread_mutex_unlock(&q->mu);
    return w.rc;
}

void auditq_flush(auditq *q)
{
    pthread_mutex_lock(&q->mu);
    uint64_t until = q->added;
    if (q->written < until) {
        q->waiting++;
        pthread_cond_signal(&q->work);
        while (q->written < until && !q->stop) pthread_cond_wait(&q->done, &q->mu);
        q->waiting--;
    }
    pthread_mutex_unlock(&q->mu);
}
