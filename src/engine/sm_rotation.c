/* The Secrets Manager rotation engine (see svc/secretsmanager/rotation.c for how a rotation
 * runs). Its state is the secrets' documents: a rotation in progress is a Token there, so
 * one that a crash interrupted is found by the first sweep after the restart and run again. */
#include "sm_rotation.h"

#include "base/log.h"
#include "periodic.h"
#include "svc/secretsmanager/secretsmanager.h"

#define DEFAULT_INTERVAL 60.0 /* seconds; AWS rotates within the schedule's window */

static void sweep(ferry_env *env)
{
    json_t *due = NULL;
    ferr e = {0};
    if (sm_rotation_due(env->st, sm_rotation_now(), &due, &e)) {
        log_error("secrets manager rotation: %s", e.message);
        return;
    }
    size_t i;
    json_t *s;
    json_array_foreach(due, i, s) {
        ferr_clear(&e);
        if (sm_rotation_run(env, s, &e))
            log_error("secrets manager rotation: %s: %s", jstr(s, "ARN"), e.message);
    }
    json_decref(due);
}

static periodic P =
    PERIODIC_INIT("secrets manager rotation", "FERRY_SM_ROTATION_INTERVAL" /* test seam */,
                  DEFAULT_INTERVAL, sweep);

static void kick(void)
{
    periodic_kick(&P);
}

static int start(ferry_env *env, ferr *e)
{
    if (!env->st || !svc_find("secretsmanager")) return 0;
    P.kicked = 1; /* a rotation a crash interrupted goes on at once */
    if (periodic_start(&P, env, e)) return -1;
    sm_rotation_set_waker(kick);
    return 0;
}

static void stop(ferry_env *env)
{
    (void)env;
    sm_rotation_set_waker(NULL);
    periodic_stop(&P);
}

const engine_def sm_rotation_engine = {"sm-rotation", start, stop};
