#include "waiters.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"

typedef struct ent {
    struct ent *next;
    char *key;
    double deadline;
    waiter_fn fn;
    void *arg;
    int quiet; /* an engine's watch (waiters_watch), not a parked request */
} ent;

struct waiters {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    ent *head;
    uint64_t seq;
    int stop;
};

static void fire_list(ent *l, int final)
{
    while (l) {
        ent *n = l->next;
        l->fn(l->arg, final);
        free(l->key);
        free(l);
        l = n;
    }
}

static void *timer(void *arg)
{
    waiters *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        double now = clock_now(), next = now + 1.0;
        ent *due = NULL, **pp = &w->head;
        while (*pp) {
            ent *e = *pp;
            if (e->deadline <= now) {
                *pp = e->next;
                e->next = due;
                due = e;
            } else {
                if (e->deadline < next) next = e->deadline;
                pp = &e->next;
            }
        }
        if (due) {
            pthread_mutex_unlock(&w->mu);
            fire_list(due, 1);
            pthread_mutex_lock(&w->mu);
            continue;
        }
        /* CLOCK_REALTIME matches clock_now(), which deadlines are expressed in */
        struct timespec ts = clock_deadline(next - now);
        pthread_cond_timedwait(&w->cv, &w->mu, &ts);
    }
    ent *rest = w->head;
    w->head = NULL;
    pthread_mutex_unlock(&w->mu);
    fire_list(rest, 1);
    return NULL;
}

waiters *waiters_new(void)
{
    waiters *w = calloc(1, sizeof(*w));
    if (!w) return NULL;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, timer, w)) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        free(w);
        return NULL;
    }
    return w;
}

void waiters_free(waiters *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}

uint64_t waiters_seq(waiters *w)
{
    pthread_mutex_lock(&w->mu);
    uint64_t s = w->seq;
    pthread_mutex_unlock(&w->mu);
    return s;
}

static int add(waiters *w, const char *key, double deadline, uint64_t seq, waiter_fn fn, void *arg,
               int quiet)
{
    ent *e = calloc(1, sizeof(*e));
    if (!e || !(e->key = strdup(key))) {
        free(e);
        return -1;
    }
    e->deadline = deadline;
    e->fn = fn;
    e->arg = arg;
    e->quiet = quiet;
    pthread_mutex_lock(&w->mu);
    if (w->seq != seq || w->stop) { /* something happened since the caller looked */
        pthread_mutex_unlock(&w->mu);
        e->next = NULL;
        fire_list(e, w->stop);
        return 0;
    }
    e->next = w->head;
    w->head = e;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

int waiters_add(waiters *w, const char *key, double deadline, uint64_t seq, waiter_fn fn, void *arg)
{
    return add(w, key, deadline, seq, fn, arg, 0);
}

int waiters_watch(waiters *w, const char *key, double deadline, uint64_t seq, waiter_fn fn,
                  void *arg)
{
    return add(w, key, deadline, seq, fn, arg, 1);
}

size_t waiters_parked(waiters *w)
{
    size_t n = 0;
    pthread_mutex_lock(&w->mu);
    for (const ent *e = w->head; e; e = e->next) n += !e->quiet;
    pthread_mutex_unlock(&w->mu);
    return n;
}

void waiters_notify(waiters *w, const char *key)
{
    ent *hit = NULL;
    pthread_mutex_lock(&w->mu);
    w->seq++;
    for (ent **pp = &w->head; *pp;) {
        ent *e = *pp;
        if (!strcmp(e->key, key)) {
            *pp = e->next;
            e->next = hit;
            hit = e;
        } else {
            pp = &e->next;
        }
    }
    pthread_mutex_unlock(&w->mu);
    fire_list(hit, 0);
}

void waiters_fire_all(waiters *w)
{
    pthread_mutex_lock(&w->mu);
    ent *all = w->head;
    w->head = NULL;
    w->seq++;
    pthread_mutex_unlock(&w->mu);
    fire_list(all, 1);
}
