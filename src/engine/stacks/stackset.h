/* StackSet operations run in the background: for every (account, region) target, the
 * administrator account's AWSCloudFormationStackSetAdministrationRole (AdministrationRoleARN)
 * assumes the target account's AWSCloudFormationStackSetExecutionRole (ExecutionRoleName),
 * and that session creates, updates or deletes the instance's stack through the
 * CloudFormation API in the target region. MaxConcurrentCount targets at once;
 * more than FailureToleranceCount failures stop the operation.
 *
 * Storage (administrator account, region of the stack set):
 *   cfn.stackset  NAME                  the stack set (+ "_" engine fields)
 *   cfn.ssinst    NAME/ACCOUNT/REGION   one stack instance
 *   cfn.ssop      NAME/OPID             one operation, with its "Results" per target (and
 *                                       "_node", the node running it on a shared store) */
#ifndef FERRY_CFN_STACKSET_H
#define FERRY_CFN_STACKSET_H
#include "svc/svc.h"

/* Runs (or resumes) the operation after the caller's transaction commits. */
void cfn_stackset_kick(ferry_env *env, const char *account, const char *region, const char *name,
                       const char *opid);
/* Resumes RUNNING operations found in the store (engine start): on a shared store those no
 * live node runs, and this node's own (leases.h). */
int cfn_stackset_resume(ferry_env *env, ferr *e);
/* The lease tick's: runs the operations of nodes whose lease has run out. */
void cfn_stackset_takeover(ferry_env *env);
/* Waits for running operations to finish their current targets (engine stop). */
void cfn_stackset_stop(void);

#endif
