/* The stack engine: runs stack operations (create, update, delete, rollbacks, cleanup) in
 * the background, resources in dependency order and independent ones in parallel, every
 * resource step committed so a restart resumes (or rolls back) from the store. What a
 * create is about to make is committed before it is made (cfn_intent, provider.h), so a
 * rollback after kill -9 deletes it even when its result was never recorded. The
 * documents it works on are CloudFormation's (svc/cloudformation/documents.h). */
#ifndef FERRY_CFN_ENGINE_H
#define FERRY_CFN_ENGINE_H
#include <jansson.h>

#include "engine/engines.h"
#include "engine/stacks/provider.h"
#include "svc/cloudformation/documents.h"

extern const engine_def cfn_engine;

/* Providers the stack engine itself implements (AWS::CloudFormation::WaitConditionHandle,
 * AWS::CloudFormation::Stack, ...) first, then the providers registry. NULL: unsupported. */
const cfn_provider *cfn_find_provider(const char *type);

/* Names this node the owner of the operation the caller is starting on stack (its "_node",
 * written with the stack in the caller's transaction) when several nodes share the store, so
 * that only this node runs it while its lease lasts (engine/leases.h). 0 or -1 (memory). */
int cfn_engine_own(ferry_env *env, json_t *stack);
/* Starts (or re-checks) the stack's work after the caller's transaction commits. */
void cfn_engine_kick(ferry_env *env, const char *account, const char *region, const char *uuid);
/* Waits until the stack identified by its StackId (or the name of a live stack) is in no
 * *_IN_PROGRESS status, or the timeout (seconds) passes. Returns the final status into
 * status ("" when there is no such stack, e.g. one deleted by name while waiting). */
int cfn_engine_wait(ferry_env *env, const char *account, const char *region, const char *stack_id,
                    double timeout, char *status, size_t n);

/* The svc_notify key that the engine notifies, after the commit, when stack STACKID's
 * operation settles: CFN_SETTLED_KEY "STACKID" (DescribeStacks' long poll and the pipelines
 * engine wait on it). */
#define CFN_SETTLED_KEY "cfn:"

/* 1 while the engine is stopping (long provider waits give up). */
int cfn_engine_stopping(void);

/* Principal <-> JSON for the stack's acting identity. */
json_t *cfn_principal_json(const principal *p);
void cfn_principal_load(const json_t *j, principal *p);

#endif
