/* The DynamoDB TTL sweep: every interval it deletes expired items, SWEEP_MAX a transaction
 * until none is due, and trims stream records past their retention (24 hours;
 * FERRY_DYNAMODB_STREAM_RETENTION_SECONDS is a test seam) the same way. Nothing is kept
 * between sweeps: after a crash the next sweep finds what is still due. */
#include "dynamodb_ttl.h"

#include <stdlib.h>

#include "base/clock.h"
#include "base/log.h"
#include "periodic.h"
#include "svc/dynamodb/dynamodb.h"

#define SWEEP_MAX 500 /* items per transaction, so no writer waits long */

static void sweep(ferry_env *env)
{
    for (int round = 0; round < 100; round++) {
        ferr e = {0};
        long long n = dynamodb_ttl_sweep(env->st, clock_now(), SWEEP_MAX, &e);
        if (n < 0) log_error("dynamodb ttl: %s", e.message);
        if (n < SWEEP_MAX) break;
    }
    const char *r = getenv("FERRY_DYNAMODB_STREAM_RETENTION_SECONDS");
    for (int round = 0; round < 100; round++) {
        ferr e = {0};
        long long n = dynamodb_stream_trim(env->st, clock_now(), r ? atof(r) : 0, SWEEP_MAX, &e);
        if (n < 0) log_error("dynamodb streams: %s", e.message);
        if (n < SWEEP_MAX) break;
    }
}

/* every 60 s by default: AWS deletes expired items within days, usually minutes */
static periodic P = PERIODIC_INIT("dynamodb ttl", "FERRY_DYNAMODB_TTL_INTERVAL", 60.0, sweep);

static int start(ferry_env *env, ferr *e)
{
    if (!env->st || !svc_find("dynamodb")) return 0;
    return periodic_start(&P, env, e);
}

static void stop(ferry_env *env)
{
    (void)env;
    periodic_stop(&P);
}

const engine_def dynamodb_ttl_engine = {"dynamodb-ttl", start, stop};
