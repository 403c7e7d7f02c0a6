/* SQS → Lambda event source mappings: the pollers (engine/esm.c). The mappings are the lambda
 * service's documents (svc/lambda/documents.h); the engine receives and deletes as the
 * function's execution role and invokes through lambda_esm_invoke (svc/lambda/lambda.h).
 * Seams: FERRY_ESM_MAX_POLLERS [8] workers in all, FERRY_ESM_POLL_SECONDS [20] between
 * polls of a queue that had nothing. */
#ifndef FERRY_ESM_H
#define FERRY_ESM_H

extern const struct engine_def esm_engine;

#endif
