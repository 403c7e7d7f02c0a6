/* The CloudWatch Logs retention sweep: every interval it deletes expired batches of events,
 * SWEEP_MAX a transaction until none is due. Nothing is kept between sweeps: after a crash
 * the next sweep finds what is still due. */
#include "logs_retention.h"

#include "base/clock.h"
#include "base/log.h"
#include "periodic.h"
#include "svc/logs/logs.h"

#define SWEEP_MAX 1000 /* batches per transaction, so no writer waits long */

static void sweep(ferry_env *env)
{
    for (int round = 0; round < 100; round++) {
        ferr e = {0};
        long long n =
            logs_retention_sweep(env->st, (long long)(clock_now() * 1000.0), SWEEP_MAX, &e);
        if (n < 0) log_error("logs retention: %s", e.message);
        if (n < SWEEP_MAX) return;
    }
}

/* every 300 s by default: AWS deletes expired events within days */
static periodic P = PERIODIC_INIT("logs retention", "FERRY_LOGS_RETENTION_INTERVAL", 300.0, sweep);

static int start(ferry_env *env, ferr *e)
{
    if (!env->st || !svc_find("logs")) return 0;
    return periodic_start(&P, env, e);
}

static void stop(ferry_env *env)
{
    (void)env;
    periodic_stop(&P);
}

const engine_def logs_retention_engine = {"logs-retention", start, stop};
