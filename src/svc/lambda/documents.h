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
 * "_Enabled" (true: to be polled; the State may still be settling). */
#define LAMBDA_ESM_KIND   "lambda.esm"
/* svc_notify key: a mapping was created, changed or deleted (after the commit). */
#define LAMBDA_ESM_NOTIFY "lambda:esm"

#endif
