/* The lambda service's interface for the rest of ferry: the asynchronous invocation engine
 * (engine/lambda_async.c) runs the events Invoke queued (documents.h) through here, and
 * event source mappings (engine/esm.c) invoke through it. */
#ifndef FERRY_SVC_LAMBDA_H
#define FERRY_SVC_LAMBDA_H
#include <jansson.h>

#include "svc/svc.h"

/* Runs the queued event rec (a LAMBDA_ASYNC_KIND document of account and region) once, as
 * lambda.amazonaws.com (Invoke authorized the caller when it queued it), waiting for the
 * invocation to end. 0 and *out (a new reference), what the engine needs to settle it:
 *   {"FunctionArn": the qualified ARN invoked, "Role": the execution role,
 *    "MaximumRetryAttempts", "MaximumEventAgeInSeconds" (the qualifier's EventInvokeConfig
 *    or AWS's defaults), "OnSuccess", "OnFailure" (destination ARNs), "DeadLetter" (the
 *    version's DeadLetterConfig TargetArn), and one of:
 *    "Expired": true (older than its maximum age: not run),
 *    "Error": {"Code", "Message", "Status"} (not run: throttled, or a system error),
 *    "StatusCode": 200, "ExecutedVersion", "Response" (text), "FunctionError" (when it failed)}
 * or -1 with e (the function or qualifier is gone: ResourceNotFoundException). */
int lambda_async_run(ferry_env *env, const char *account, const char *region, const json_t *rec,
                     json_t **out, ferr *e);

/* Invoke on behalf of an event source mapping (engine/esm.c), through svc_invoke_fn with
 * arg = the mapping's UUID and who = lambda.amazonaws.com in the mapping's account: Invoke's
 * input and output, run only while the mapping exists, is enabled and names in's
 * FunctionName (else ResourceNotFoundException); the function's policy is not asked (AWS's
 * pollers invoke as Lambda itself). Blocks until the invocation ends. */
extern const svc_op lambda_esm_invoke;

#endif
