/* AWS CodePipeline's interface for the rest of ferry: the pipelines engine
 * (engine/pipelines.c) advances executions through this, and EventBridge starts them. */
#ifndef FERRY_SVC_CODEPIPELINE_H
#define FERRY_SVC_CODEPIPELINE_H
#include "svc/gitchange.h"
#include "svc/svc.h"

/* Advances every running execution as far as it can go now: starts stages and actions,
 * polls the actions that wait (approvals, stacks, jobs, builds), settles what finished.
 * Every transition is committed before the next begins; an action found begun but never
 * settled (ferry was killed while it ran) fails with a message saying so, and is never run
 * twice for the same attempt. Returns 1 when some execution is still waiting (poll again
 * soon), else 0. */
int codepipeline_sweep(ferry_env *env);

/* The engine asks to be woken (fn called, after the commit) when an execution changed. */
void codepipeline_set_waker(void (*fn)(void));

/* A change of a CodeCommit repository (svc/gitchange.h's listener, which the engine
 * registers): starts, in t, an execution of each V2 pipeline of the account and region
 * whose trigger on a CodeCommit source action of that repository it passes. 0 or -1. */
int codepipeline_git_change(ferry_env *env, store_txn *t, const git_change *ch, ferr *e);

#endif
