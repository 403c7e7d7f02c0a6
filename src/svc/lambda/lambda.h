/* The lambda service's interface for the rest of ferry: the asynchronous invocation engine
 * (engine/lambda_async.c) runs the events Invoke queued (documents.h) through here. */
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

#endif
