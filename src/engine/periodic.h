/* A background thread that runs a sweep every interval until stopped: what the sweeping
 * engines (S3 lifecycle, CloudWatch Logs retention) share. The interval comes from an
 * environment variable when set (their test seams), else the default. */
#ifndef FERRY_ENGINE_PERIODIC_H
#define FERRY_ENGINE_PERIODIC_H
#include <pthread.h>

#include "svc/svc.h"

typedef struct periodic {
    const char *name;         /* for errors */
    const char *interval_env; /* e.g. "FERRY_S3_LIFECYCLE_INTERVAL" */
    double default_interval;  /* seconds */
    void (*sweep)(ferry_env *env);
    /* the thread's, zero at first */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    int running, stopping, kicked;
    double interval;
    ferry_env *env;
} periodic;

#define PERIODIC_INIT(nm, var, dflt, fn) \
    { \
        .name = (nm), .interval_env = (var), .default_interval = (dflt), .sweep = (fn), \
        .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER \
    }

int periodic_start(periodic *p, ferry_env *env, ferr *e);
void periodic_stop(periodic *p); /* waits for a sweep in progress */
/* Runs a sweep now (or right after the one in progress) instead of at the interval. */
void periodic_kick(periodic *p);

#endif
