/* The ELBv2 health-check sweep on its own thread. Nothing is kept between sweeps: the
 * targets' states and last checks are in their groups' documents. */
#include "elb_health.h"

#include "base/log.h"
#include "periodic.h"
#include "svc/elbv2/elbv2.h"

static void sweep(ferry_env *env)
{
    ferr e = {0};
    if (elbv2_health_sweep(env, &e)) log_error("elbv2 health checks: %s", e.message);
}

/* every second by default: a target group's own interval (5 s and up) decides when its
 * targets are checked */
static periodic P = PERIODIC_INIT("elbv2 health", "FERRY_ELBV2_HEALTH_INTERVAL", 1.0, sweep);

static int start(ferry_env *env, ferr *e)
{
    if (!env->st || !svc_find("elasticloadbalancing")) return 0;
    return periodic_start(&P, env, e);
}

static void stop(ferry_env *env)
{
    (void)env;
    periodic_stop(&P);
}

const engine_def elb_health_engine = {"elbv2-health", start, stop};
