/* The periodic writer of access keys' last uses: the gateway only notes them in memory. */
#include "keys_lastused.h"

#include "auth/lastused.h"
#include "base/log.h"
#include "periodic.h"

static void sweep(ferry_env *env)
{
    ferr e = {0};
    if (lastused_flush(env->st, &e)) log_error("access key last use: %s", e.message);
}

/* every 60 s by default: each used key is written at most that often */
static periodic P =
    PERIODIC_INIT("key last use", "FERRY_KEY_LAST_USED_INTERVAL" /* test seam */, 60.0, sweep);

static int start(ferry_env *env, ferr *e)
{
    if (!env->st) return 0;
    return periodic_start(&P, env, e);
}

static void stop(ferry_env *env)
{
    periodic_stop(&P);
    if (env->st) sweep(env); /* what the last interval noted */
}

const engine_def keys_lastused_engine = {"keys-lastused", start, stop};
