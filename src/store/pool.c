#include "pool.h"

#include <stdlib.h>

#include "base/clock.h"
#include "base/log.h"

void store_pool_init(store_pool *p)
{
    pthread_mutex_init(&p->mu, NULL);
    p->v = NULL;
    p->n = p->cap = 0;
}

void *store_pool_take(store_pool *p)
{
    pthread_mutex_lock(&p->mu);
    void *c = p->n ? p->v[--p->n] : NULL;
    pthread_mutex_unlock(&p->mu);
    return c;
}

void store_pool_give(store_pool *p, void *c, void (*conn_free)(void *))
{
    pthread_mutex_lock(&p->mu);
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 16;
        void **v = realloc(p->v, cap * sizeof(*v));
        if (!v) {
            pthread_mutex_unlock(&p->mu);
            conn_free(c); /* the next reader opens another */
            return;
        }
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n++] = c;
    pthread_mutex_unlock(&p->mu);
}

void store_pool_dispose(store_pool *p, void (*conn_free)(void *))
{
    for (size_t i = 0; i < p->n; i++) conn_free(p->v[i]);
    free(p->v);
    p->v = NULL;
    p->n = p->cap = 0;
    pthread_mutex_destroy(&p->mu);
}

static void *ticking(void *arg)
{
    store_ticker *t = arg;
    pthread_mutex_lock(&t->mu);
    while (!t->stop) {
        struct timespec ts = clock_deadline(t->period);
        pthread_cond_timedwait(&t->cv, &t->mu, &ts);
        if (t->stop) break;
        store_retention r = t->retention;
        pthread_mutex_unlock(&t->mu);
        t->tick(t->ud, &r);
        pthread_mutex_lock(&t->mu);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

int store_ticker_start(store_ticker *t, double period,
                       void (*tick)(void *ud, const store_retention *r), void *ud)
{
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    t->stop = 0;
    t->period = period;
    t->tick = tick;
    t->ud = ud;
    t->running = !pthread_create(&t->th, NULL, ticking, t);
    return t->running ? 0 : -1;
}

void store_ticker_stop(store_ticker *t)
{
    if (t->running) {
        pthread_mutex_lock(&t->mu);
        t->stop = 1;
        pthread_cond_signal(&t->cv);
        pthread_mutex_unlock(&t->mu);
        pthread_join(t->th, NULL);
        t->running = 0;
    }
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
}

void store_ticker_retention(store_ticker *t, const store_retention *r)
{
    pthread_mutex_lock(&t->mu);
    t->retention = *r;
    pthread_mutex_unlock(&t->mu);
    if (!t->running) log_warn("audit retention: no background thread, not enforced");
}

int store_ticker_stopping(store_ticker *t)
{
    pthread_mutex_lock(&t->mu);
    int s = t->stop;
    pthread_mutex_unlock(&t->mu);
    return s;
}
