/* AWS CodePipeline (json 1.1). A pipeline is a document "codepipeline.pipeline" keyed by
 * account, region and name: {pipeline (the declaration as GetPipeline answers it, with its
 * version), arn, created, updated, Tags {k: v}, transitions {STAGE: {enabled, reason,
 * lastChangedBy, lastChangedAt}}}. An execution is a document "codepipeline.execution"
 * keyed by "PIPELINE/EXECUTIONID": {id, pipelineName, pipelineVersion, status,
 * statusSummary, startTime, lastUpdateTime, trigger, executionMode, variables [{name,
 * resolvedValue}], decl (the declaration it runs, frozen at its start), stages [{name,
 * status, id, actions [{name, status, id, phase, startTime, lastUpdateTime, token,
 * externalExecutionId, summary, error {code, message}, outputVariables, outputArtifacts,
 * inputArtifacts, config (resolved), wait (the provider's state), attempt}]}], artifacts
 * {NAME: {bucket, key}}, namespaces {NS: {VAR: value}}, stop}. An execution still running has a
 * "codepipeline.active" entry "PIPELINE/STARTMICROS/EXECUTIONID", the engine's work list (in
 * start order per pipeline: SUPERSEDED and QUEUED executions look at those before them).
 * Lambda invoke and custom actions hand out jobs, "codepipeline.job" keyed by job id: {id,
 * exec (its execution's key), stage, action, status, nonce, data, accountId, type (the
 * action type id)}. A custom action type is "codepipeline.actiontype" keyed by
 * "CATEGORY/PROVIDER/VERSION": the ActionType as ListActionTypes shows it. An older version
 * of a pipeline is "codepipeline.version" keyed "PIPELINE/VERSION" (10 digits): its
 * declaration as GetPipeline showed it, kept by UpdatePipeline.
 *
 * Internal to src/svc/codepipeline/: codepipeline.c (the service, pipelines, tags,
 * validation), executions.c (executions, their state, approvals, transitions, retries, the
 * job-worker API), run.c (the engine's side: advancing executions, see codepipeline.h),
 * providers.c (what each action provider does). */
#ifndef FERRY_SVC_CODEPIPELINE_INT_H
#define FERRY_SVC_CODEPIPELINE_INT_H
#include <jansson.h>

#include "svc/codepipeline/codepipeline.h"
#include "svc/svc.h"

#define CP_PIPE_KIND    "codepipeline.pipeline"
#define CP_EXEC_KIND    "codepipeline.execution"
#define CP_ACTIVE_KIND  "codepipeline.active"
#define CP_JOB_KIND     "codepipeline.job"
#define CP_TYPE_KIND    "codepipeline.actiontype"
#define CP_VERSION_KIND "codepipeline.version"

/* ---- codepipeline.c ---- */
/* arn:aws:codepipeline:REGION:ACCOUNT:NAME (arena). */
const char *cp_arn(call *c, const char *name);
/* Authorizes action on the pipeline's ARN (stage/action appended when not NULL), loads it:
 * 0 (*doc in the arena) or -1 with PipelineNotFoundException. */
int cp_pipe_load(call *c, const char *action, const char *name, const char *sub, json_t **doc);
int cp_pipe_save(call *c, const json_t *doc);
int cp_not_found(call *c, const char *name);
/* The stage/action named in an execution document (borrowed), or NULL. */
json_t *cp_stage_of(const json_t *exec, const char *stage);
json_t *cp_action_of(const json_t *stage, const char *action);
/* The declaration of action in decl (borrowed), or NULL. */
const json_t *cp_decl_action(const json_t *decl, const char *stage, const char *action);

/* ---- executions.c ---- */
/* Starts an execution of the pipeline doc (loaded, authorized) in c->txn: its id in *id
 * (arena). variables: [{name, value}] or NULL; trigger {triggerType, triggerDetail};
 * sources: the revisions source actions take instead of their latest, {ACTION: {commitId,
 * branch or tag, pullRequestId} or {versionId, objectKey}}, or NULL. */
int cp_exec_start(call *c, const json_t *pipe, const json_t *variables, const json_t *trigger,
                  const json_t *sources, const char **id);
/* Loads the execution PIPELINE/ID in c->txn: 1 (*doc in the arena), 0 absent, -1. */
int cp_exec_load(call *c, const char *pipeline, const char *id, json_t **doc);
/* PipelineExecutionNotFoundException for id in pipeline. Returns -1. */
int cp_exec_not_found(call *c, const char *pipeline, const char *id);
/* The pipeline's executions, newest first (arena), or NULL. */
json_t *cp_all_execs(call *c, const char *name);
/* The executions of in's pipelineName (authorized as action) that in's filter
 * {pipelineExecutionId} selects, newest first (arena); NULL with c->err. */
json_t *cp_filtered_execs(call *c, json_t *in, const char *action);
/* *out: a page of list (in's nextToken, maxResults) under member, with nextToken. */
int cp_page_out(call *c, json_t *in, json_t *list, const char *member, json_t **out);

/* Starts a rollback execution (executionType ROLLBACK) of stage to the target execution's
 * artifacts, source revisions and variables; the other stages are passed (skip). In c->txn;
 * its id in *nid (arena). */
int cp_rollback_start(call *c, const json_t *pipe, const json_t *target, const char *stage,
                      const json_t *trigger, const char **nid);
/* onFailure ROLLBACK: when failed's stage failed, starts the rollback of stage to the last
 * execution that succeeded in it (trigger AutomatedRollback): 1 (*nid), 0 when there is
 * none, -1. */
int cp_rollback_auto(call *c, const json_t *pipe, const json_t *failed, const char *stage,
                     const char **nid);

/* ---- conditions.c ---- */
/* The stage declaration's beforeEntry/onSuccess conditions and onFailure conditions: 0, or
 * -1 with AWS's error (or ferry's refusal of a rule it does not evaluate). */
int cp_check_conditions(call *c, const json_t *stage);
/* Evaluates the condition member ("beforeEntry", "onSuccess") of execution x's stage s, if
 * it has one, and records it on s: 0 with *result the condition's result when a rule failed
 * (else NULL), or -1 (out of memory). */
int cp_conditions_eval(arena *a, json_t *x, json_t *s, const char *member, double now,
                       const char **result);
/* GetPipelineState's beforeEntryConditionState/onSuccessConditionState of the stage state
 * st, from the execution's stage entry xs: 0, or -1 (out of memory). */
int cp_condition_states(const json_t *xs, json_t *st);

/* ---- triggers.c ---- */
/* A declaration's V2 triggers: 0, or -1 with AWS's error. */
int cp_check_triggers(call *c, const json_t *p);

/* ---- jobs.c ---- */
/* The custom action type named by actionTypeId (owner Custom), in the caller's account and
 * region: 1 (*doc in the arena), 0 none, -1. */
int cp_custom_type(call *c, const json_t *type_id, json_t **doc);

/* ---- run.c ---- */
/* Asks the engine to look at the executions once c's transaction is committed (the engine
 * would not see the change before). 0, or -1 with c->err (out of memory). */
int cp_wake_after(call *c);
/* Records the state change events of an execution, stage or action (EventBridge). */
int cp_emit(store_txn *t, const char *account, const char *region, const json_t *exec,
            const char *stage, const json_t *action, const char *state, ferr *e);

#endif
