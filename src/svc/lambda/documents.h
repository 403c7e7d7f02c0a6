/* What of Lambda's stored layout the rest of ferry may read: the blob sweep asks whether a
 * blob (a deployment package) is still named by a function or a version; the esm engine
 * reads the event source mappings and their functions' execution roles. */
#ifndef FERRY_SVC_LAMBDA_DOCUMENTS_H
#define FERRY_SVC_LAMBDA_DOCUMENTS_H

/* "lambda.blobref", account and region "", id the blob id: present while a function's
 * $LATEST or one of its versions names it */
#define LAMBDA_BLOBREF_KIND "lambda.blobref"

/* "lambda.function", id the function's name: {"Latest": {"Role": execution role ARN, ...},
 * "Versions": {"1": config, ...}, "Aliases": {name: {"FunctionVersion", ...}}} */
#define LAMBDA_FUNCTION_KIND "lambda.function"

/* "lambda.esm", id the mapping's UUID: the EventSourceMappingConfiguration AWS answers
 * (UUID, EventSourceArn, FunctionArn (qualified when the mapping names a version or
 * alias), BatchSize, MaximumBatchingWindowInSeconds, FunctionResponseTypes,
 * FilterCriteria.Filters[].Pattern, ScalingConfig.MaximumConcurrency, State, ...) plus
 * "_Enabled" (true: to be polled; the State may still be settling) and, on a shared store,
 * "_node" (the node that polls it: engine/esm.c, engine/leases.h). */
#define LAMBDA_ESM_KIND          "lambda.esm"
/* svc_notify key: a mapping was created, changed or deleted (after the commit). */
#define LAMBDA_ESM_NOTIFY        "lambda:esm"
/* A stream mapping's checkpoint (engine/esm_stream.c), same account, region and UUID:
 * {Stream, SequenceNumber}; deleted with its mapping. */
#define LAMBDA_ESM_POSITION_KIND "lambda.esm.position"

/* The asynchronous invocation queue (engine/lambda_async.c runs it). One document per
 * accepted Event invocation, written by Invoke in the transaction that answers 202 (an
 * S3 notification's in the PUT's), deleted by the engine once the event is done with:
 * kind "lambda.async", the function's account and region, id time-ordered (uuid7), so a
 * listing is in arrival order:
 *   {"Function": name, "Qualifier": "$LATEST" | version | alias (as invoked),
 *    "RequestId": the Invoke's request id, "Payload": the event (JSON text),
 *    "Enqueued": epoch seconds, "NextAt": epoch seconds it is due,
 *    "Attempts": invocations that ended in a function error,
 *    "Throttles": attempts refused for concurrency or by a system error,
 *    "Node": on a shared store, the node that claimed it (engine/leases.h)} */
#define LAMBDA_ASYNC_KIND "lambda.async"

#endif
