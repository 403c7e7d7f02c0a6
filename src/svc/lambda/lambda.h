/* The lambda service's interface for the rest of ferry. */
#ifndef FERRY_SVC_LAMBDA_H
#define FERRY_SVC_LAMBDA_H

#include "svc/svc.h"

/* Invoke on behalf of an event source mapping (engine/esm.c), through svc_invoke_fn with
 * arg = the mapping's UUID and who = lambda.amazonaws.com in the mapping's account: Invoke's
 * input and output, run only while the mapping exists, is enabled and names in's
 * FunctionName (else ResourceNotFoundException); the function's policy is not asked (AWS's
 * pollers invoke as Lambda itself). Blocks until the invocation ends. */
extern const svc_op lambda_esm_invoke;

#endif
