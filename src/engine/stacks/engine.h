/* The stack engine: runs stack operations (create, update, delete, rollbacks, cleanup) in
 * the background, resources in dependency order and independent ones in parallel, every
 * resource step committed so a restart resumes (or rolls back) from the store.
 *
 * Storage (account, region of the stack):
 *   cfn.stack   uuid            the stack (DescribeStacks fields + "_"-prefixed engine state)
 *   cfn.name    stack name      {"Id": uuid} while the stack is not deleted
 *   cfn.tpl     uuid/cur|new    {"Body": text} (new: the update in progress)
 *   cfn.res     uuid/logical    one resource
 *   cfn.event   uuid/time-seq   one event
 *   cfn.export  export name     {"Name","Value","ExportingStackId"}
 *   cfn.import  name\tstackid   {"ExportName","StackId","StackName"}
 *   cfn.changeset uuid          one change set
 * The work to do is the stack's status: a stack in an *_IN_PROGRESS status is the engine's. */
#ifndef FERRY_CFN_ENGINE_H
#define FERRY_CFN_ENGINE_H
#include <jansson.h>

#include "engine/engines.h"
#include "engine/stacks/provider.h"

extern const engine_def cfn_engine;

/* Providers the stack engine itself implements (AWS::CloudFormation::WaitConditionHandle,
 * AWS::CloudFormation::Stack, ...) first, then the providers registry. NULL: unsupported. */
const cfn_provider *cfn_find_provider(const char *type);

/* Starts (or re-checks) the stack's work after the caller's transaction commits. */
void cfn_engine_kick(ferry_env *env, const char *account, const char *region, const char *uuid);
/* Waits until the stack identified by its StackId is in no *_IN_PROGRESS status, or the
 * timeout (seconds) passes. Returns the final status into status (may be ""). */
int cfn_engine_wait(ferry_env *env, const char *account, const char *region, const char *stack_id,
                    double timeout, char *status, size_t n);

/* 1 while the engine is stopping (long provider waits give up). */
int cfn_engine_stopping(void);

/* Loads a stack by name (live stacks) or StackId (also deleted ones): 1 found (*stack new
 * reference), 0 not found, -1 error. */
int cfn_stack_find(store_txn *t, const char *account, const char *region, const char *name_or_id,
                   json_t **stack, ferr *e);
int cfn_stack_put(store_txn *t, const json_t *stack, ferr *e);
/* Appends a stack event (logical NULL = the stack itself); returns the event or NULL. */
json_t *cfn_event_add(store_txn *t, const json_t *stack, const char *logical, const char *physical,
                      const char *type, const char *status, const char *reason,
                      const json_t *props, ferr *e);
/* Template text of the stack: which = "cur" or "new". New string (free()) or NULL. */
char *cfn_template_body(store_txn *t, const json_t *stack, const char *which, ferr *e);
int cfn_template_store(store_txn *t, const json_t *stack, const char *which, const char *body,
                       ferr *e);

/* Principal <-> JSON for the stack's acting identity. */
json_t *cfn_principal_json(const principal *p);
void cfn_principal_load(const json_t *j, principal *p);

/* 1 when status ends in _IN_PROGRESS. */
int cfn_status_busy(const char *status);

#endif
