/* The EventBridge engine (see events_bus.h): a periodic sweep, kicked by the service. */
#include "events_bus.h"

#include "periodic.h"
#include "svc/events/events.h"

#define DEFAULT_INTERVAL 1.0 /* seconds: how late a retry or a schedule may fire */

static periodic P = PERIODIC_INIT("eventbridge", "FERRY_EVENTS_INTERVAL" /* test seam */,
                                  DEFAULT_INTERVAL, events_sweep);

static void kick(void)
{
    periodic_kick(&P);
}

static int start(ferry_env *env, ferr *e)
{
    if (!env->st || !svc_find("events")) return 0;
    P.kicked = 1; /* what a previous run left queued goes on at once */
    if (periodic_start(&P, env, e)) return -1;
    events_set_waker(kick);
    return 0;
}

static void stop(ferry_env *env)
{
    (void)env;
    events_set_waker(NULL);
    periodic_stop(&P);
}

const engine_def events_bus_engine = {"eventbridge", start, stop};
