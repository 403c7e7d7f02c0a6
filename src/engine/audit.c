#include "audit.h"

#include <pthread.h>
#include <stdlib.h>

#include "base/log.h"

typedef struct waiter {
    const audit_rec *rec;
    int done, rc;
    struct waiter *next;
} waiter;

struct auditq {
    store *st;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    waiter *head, **tail;
    int stop;
};

static void *writer(void *arg)
{
    auditq *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->head && !q->stop) pthread_cond_wait(&q->work, &q->mu);
        if (!q->head && q->stop) break;
        waiter *batch = q->head;
        q->head = NULL;
        q->tail = &q->head;
        pthread_mutex_unlock(&q->mu);

        /* Records are read while their callers wait, so they stay valid until done is set. */
        ferr e = {0};
        store_txn *t = NULL;
        int rc = store_begin(q->st, 1, &t, &e);
        for (waiter *w = batch; !rc && w; w = w->next) rc = store_audit_append(t, w->rec, &e);
        if (t) rc = rc ? (store_rollback(t), -1) : store_commit(t, &e);
        if (rc) log_error("audit: batch not recorded: %s", e.message);

        pthread_mutex_lock(&q->mu);
        for (waiter *w = batch; w; w = w->next) {
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

int auditq_append(auditq *q, const audit_rec *r)
{
    waiter w = {.rec = r};
    pthread_mutex_lock(&q->mu);
    *q->tail = &w;
    q->tail = &w.next;
    pthread_cond_signal(&q->work);
    while (!w.done) pthread_cond_wait(&q->done, &q->mu);
    pthread_mutex_unlock(&q->mu);
    return w.rc;
}
