/* The S3 lifecycle sweep (see svc/s3/lifecycle.c for why a sweep): one thread that wakes
 * every interval, reads what is due and expires it bucket by bucket. Nothing is kept between
 * sweeps, so there is nothing to resume after a crash: the next sweep finds what is still due. */
#include "s3_lifecycle.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "svc/s3/s3.h"

#define DEFAULT_INTERVAL 300.0 /* seconds; AWS runs lifecycle about once a day */
#define SWEEP_MAX        10000 /* objects expired per sweep, so one sweep stays short */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    int running, stopping;
    double interval;
    ferry_env *env;
} L = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void sweep(ferry_env *env)
{
    json_t *due = NULL;
    ferr e = {0};
    if (s3_lifecycle_due(env->st, clock_now(), SWEEP_MAX, &due, &e)) {
        log_error("s3 lifecycle: %s", e.message);
        return;
    }
    size_t i;
    json_t *b;
    json_array_foreach(due, i, b) {
        ferr_clear(&e);
        if (s3_lifecycle_expire(env, b, &e))
            log_error("s3 lifecycle: bucket %s: %s", jstr(b, "Bucket"), e.message);
    }
    json_decref(due);
}

static void *run(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&L.mu);
    while (!L.stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double t = (double)ts.tv_sec + ts.tv_nsec / 1e9 + L.interval;
        ts.tv_sec = (time_t)t;
        ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
        pthread_cond_timedwait(&L.cv, &L.mu, &ts);
        if (L.stopping) break;
        pthread_mutex_unlock(&L.mu);
        sweep(L.env);
        pthread_mutex_lock(&L.mu);
    }
    pthread_mutex_unlock(&L.mu);
    return NULL;
}

static int start(ferry_env *env, ferr *e)
{
    if (!env->st || !svc_find("s3")) return 0;
    const char *iv = getenv("FERRY_S3_LIFECYCLE_INTERVAL"); /* test seam */
    L.interval = iv && atof(iv) > 0 ? atof(iv) : DEFAULT_INTERVAL;
    L.env = env;
    L.stopping = 0;
    if (pthread_create(&L.th, NULL, run, NULL))
        return ferr_internal(e, "s3 lifecycle: cannot start its thread");
    L.running = 1;
    return 0;
}

static void stop(ferry_env *env)
{
    (void)env;
    if (!L.running) return;
    pthread_mutex_lock(&L.mu);
    L.stopping = 1;
    pthread_cond_signal(&L.cv);
    pthread_mutex_unlock(&L.mu);
    pthread_join(L.th, NULL);
    L.running = 0;
}

const engine_def s3_lifecycle_engine = {"s3-lifecycle", start, stop};
