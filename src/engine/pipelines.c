/* The CodePipeline engine: one thread advances every running execution of this node (the
 * work itself is svc/codepipeline/run.c, through codepipeline.h; leases.h says whose). It is
 * woken when an execution changes (started, approved, a job result...), when the work an
 * action waits for ends (a build, a stack operation: their engines' svc_notify keys, which
 * it watches), and otherwise looks again every interval while some action waits, the
 * fallback for any wake missed. Its state is the executions' documents, so after a restart
 * the first sweep goes on from where each execution was. */
#include "pipelines.h"

#include "base/clock.h"
#include "base/log.h"
#include "engine/waiters.h"
#include "leases.h"
#include "periodic.h"
#include "svc/codepipeline/codepipeline.h"

#define DEFAULT_INTERVAL 1.0 /* seconds between polls of waiting actions */

static periodic P;

static void woken(void *arg, int final)
{
    (void)arg;
    if (!final) periodic_kick(&P);
}

/* Called before an action's poll looks: only a notification of key after this fires it
 * (the poll sees an end before it), so other keys' traffic never wakes the engine. */
static void watch(ferry_env *env, const char *key)
{
    /* the watch lapses after two polls: by then a poll has seen the work end anyway */
    if (env->waits && waiters_watch(env->waits, key, clock_now() + 2 * P.interval,
                                    waiters_seq(env->waits), woken, NULL))
        log_warn("codepipeline: cannot watch %s; its action is polled", key);
}

static void sweep(ferry_env *env)
{
    /* one sweep may run many transitions; what still waits is woken or polled */
    (void)codepipeline_sweep(env, watch);
}

static periodic P = PERIODIC_INIT("codepipeline", "FERRY_PIPELINE_INTERVAL" /* test seam */,
                                  DEFAULT_INTERVAL, sweep);

static void kick(void)
{
    periodic_kick(&P);
}

/* leases.h: after each renewal, the executions of nodes whose lease ran out become ours */
static void takeover(ferry_env *env)
{
    if (codepipeline_claim(env) > 0) kick();
}

static int start(ferry_env *env, ferr *e)
{
    if (!env->st || !svc_find("codepipeline")) return 0;
    P.kicked = 1; /* executions a stop interrupted go on at once */
    if (periodic_start(&P, env, e)) return -1;
    codepipeline_set_waker(kick);
    leases_on_tick(takeover);
    /* V2 triggers: the git host's changes start executions */
    if (git_change_listen(codepipeline_git_change))
        return ferr_internal(e, "codepipeline: cannot listen to git changes");
    return 0;
}

static void stop(ferry_env *env)
{
    (void)env;
    leases_off_tick(takeover);
    codepipeline_set_waker(NULL);
    git_change_unlisten(codepipeline_git_change);
    periodic_stop(&P);
}

const engine_def pipelines_engine = {"pipelines", start, stop};
