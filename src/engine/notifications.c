/* The CodeStar Notifications engine: one thread publishes the queued notifications (the work
 * is svc/codestarnotifications/deliver.c). It is woken when a rule queues one and otherwise
 * looks every interval, so that a notification queued before a stop of ferry goes out after
 * the restart. */
#include "notifications.h"

#include "periodic.h"
#include "svc/codestarnotifications/codestarnotifications.h"

#define DEFAULT_INTERVAL 5.0 /* seconds between looks when not woken */

static periodic P =
    PERIODIC_INIT("codestar-notifications", "FERRY_NOTIFICATIONS_INTERVAL" /* test seam */,
                  DEFAULT_INTERVAL, csn_sweep);

static void kick(void)
{
    periodic_kick(&P);
}

static int start(ferry_env *env, ferr *e)
{
    if (!env->st || !svc_find("codestar-notifications")) return 0;
    P.kicked = 1; /* what a stop left queued goes out at once */
    if (periodic_start(&P, env, e)) return -1;
    csn_set_waker(kick);
    return 0;
}

static void stop(ferry_env *env)
{
    (void)env;
    csn_set_waker(NULL);
    periodic_stop(&P);
}

const engine_def notifications_engine = {"notifications", start, stop};
