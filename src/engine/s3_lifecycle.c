/* The S3 lifecycle sweep (see svc/s3/lifecycle.c for why a sweep): one thread that wakes
 * every interval, reads what is due and expires it bucket by bucket. Nothing is kept between
 * sweeps, so there is nothing to resume after a crash: the next sweep finds what is still due. */
#include "s3_lifecycle.h"

#include "base/clock.h"
#include "base/log.h"
#include "periodic.h"
#include "svc/s3/s3.h"

#define DEFAULT_INTERVAL 300.0 /* seconds; AWS runs lifecycle about once a day */
#define SWEEP_MAX        10000 /* objects expired per sweep, so one sweep stays short */

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

static periodic P = PERIODIC_INIT("s3 lifecycle", "FERRY_S3_LIFECYCLE_INTERVAL" /* test seam */,
                                  DEFAULT_INTERVAL, sweep);

static int start(ferry_env *env, ferr *e)
{
    if (!env->st || !svc_find("s3")) return 0;
    return periodic_start(&P, env, e);
}

static void stop(ferry_env *env)
{
    (void)env;
    periodic_stop(&P);
}

const engine_def s3_lifecycle_engine = {"s3-lifecycle", start, stop};
