#include "periodic.h"

#include <stdlib.h>

#include "base/clock.h"

static void *run(void *arg)
{
    periodic *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stopping) {
        struct timespec ts = clock_deadline(p->interval);
        if (!p->kicked) pthread_cond_timedwait(&p->cv, &p->mu, &ts);
        p->kicked = 0;
        if (p->stopping) break;
        pthread_mutex_unlock(&p->mu);
        /* a reset during the sweep fences its writes (store.h) */
        store_fence_enter(store_epoch(p->env->st));
        p->sweep(p->env);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int periodic_start(periodic *p, ferry_env *env, ferr *e)
{
    const char *iv = getenv(p->interval_env);
    p->interval = iv && atof(iv) > 0 ? atof(iv) : p->default_interval;
    p->env = env;
    p->stopping = 0;
    if (pthread_create(&p->th, NULL, run, p))
        return ferr_internal(e, "%s: cannot start its thread", p->name);
    p->running = 1;
    return 0;
}

void periodic_kick(periodic *p)
{
    pthread_mutex_lock(&p->mu);
    p->kicked = 1;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void periodic_stop(periodic *p)
{
    if (!p->running) return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->th, NULL);
    p->running = 0;
}
