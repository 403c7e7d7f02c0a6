/* The CodePipeline engine: one thread advances every running execution (the work itself is
 * svc/codepipeline/run.c, through codepipeline.h). It is woken when an execution changes
 * (started, approved, a job result...) and otherwise looks again every interval while some
 * action waits (a stack, a build). Its state is the executions' documents, so after a
 * restart the first sweep goes on from where each execution was. */
#include "pipelines.h"

#include "periodic.h"
#include "svc/codepipeline/codepipeline.h"

#define DEFAULT_INTERVAL 1.0 /* seconds between polls of waiting actions */

static void sweep(ferry_env *env)
{
    /* one sweep may run many transitions; what still waits is polled at the next interval */
    (void)codepipeline_sweep(env);
}

static periodic P = PERIODIC_INIT("codepipeline", "FERRY_PIPELINE_INTERVAL" /* test seam */,
                                  DEFAULT_INTERVAL, sweep);

static void kick(void)
{
    periodic_kick(&P);
}

static int start(ferry_env *env, ferr *e)
{
    if (!env->st || !svc_find("codepipeline")) return 0;
    P.kicked = 1; /* executions a stop interrupted go on at once */
    if (periodic_start(&P, env, e)) return -1;
    codepipeline_set_waker(kick);
    /* V2 triggers: the git host's changes start executions */
    if (git_change_listen(codepipeline_git_change))
        return ferr_internal(e, "codepipeline: cannot listen to git changes");
    return 0;
}

static void stop(ferry_env *env)
{
    (void)env;
    codepipeline_set_waker(NULL);
    git_change_unlisten(codepipeline_git_change);
    periodic_stop(&P);
}

const engine_def pipelines_engine = {"pipelines", start, stop};
