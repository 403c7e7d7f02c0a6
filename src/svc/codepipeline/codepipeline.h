/* AWS CodePipeline's interface for the rest of ferry: the pipelines engine
 * (engine/pipelines.c) advances executions through this, and EventBridge starts them. */
#ifndef FERRY_SVC_CODEPIPELINE_H
#define FERRY_SVC_CODEPIPELINE_H
#include "svc/gitchange.h"
#include "svc/svc.h"

/* Called with the svc_notify key whose notification ends the work an action waits for (a
 * build's BUILDS_DONE_KEY, a stack's CFN_SETTLED_KEY) right before a poll looks at that
 * work: the engine watches it to sweep again at once instead of at its next poll. */
typedef void (*codepipeline_watch_fn)(ferry_env *env, const char *key);

/* Advances every running execution as far as it can go now: starts stages and actions,
 * polls the actions that wait (approvals, stacks, jobs, builds), settles what finished,
 * hands watch (NULL: none) the keys of what they still wait for.
 * Every transition is committed before the next begins; an action found begun but never
 * settled (ferry was killed while it ran) fails with a message saying so, and is never run
 * twice for the same attempt. Returns 1 when some execution is still waiting (poll again
 * soon), else 0. */
int codepipeline_sweep(ferry_env *env, codepipeline_watch_fn watch);
/* Makes the executions of nodes whose lease has run out this node's (engine/leases.h; several
 * nodes on one store): how many it took, or -1. The engine then sweeps them. */
int codepipeline_claim(ferry_env *env);

/* The engine asks to be woken (fn called, after the commit) when an execution changed. */
void codepipeline_set_waker(void (*fn)(void));

/* A change of a CodeCommit repository (svc/gitchange.h's listener, which the engine
 * registers): starts, in t, an execution of each V2 pipeline of the account and region
 * whose trigger on a CodeCommit source action of that repository it passes. 0 or -1. */
int codepipeline_git_change(ferry_env *env, store_txn *t, const git_change *ch, ferr *e);

/* StartPipelineExecution as an EventBridge rule's target runs it (svc_invoke_fn_in, arg:
 * the rule's ARN): the execution's trigger is CloudWatchEvent and the rule, as AWS shows. */
extern const svc_op codepipeline_start_by_rule;

/* CreatePipeline whose stages in arg (a JSON array of CloudFormation's
 * DisableInboundStageTransitions: StageName, Reason) have their inbound transition disabled
 * in the same commit, so the execution the creation starts cannot pass them first (each
 * authorized as DisableStageTransition). */
extern const svc_op codepipeline_create_frozen;

#endif
