/* Lambda authorizers at request time, shared by REST APIs (TOKEN and REQUEST authorizers)
 * and HTTP APIs (REQUEST authorizers): invoking the function as API Gateway does, the IAM
 * policy a REST authorizer answers evaluated against the method ARN with ferry's policy
 * engine, and the answers cached by identity for the authorizer's TTL. */
#ifndef FERRY_SVC_APIGATEWAY_LAMBDAAUTH_H
#define FERRY_SVC_APIGATEWAY_LAMBDAAUTH_H
#include <jansson.h>

#include "svc/svc.h"

/* The function an integration or authorizer URI names (arn:aws:apigateway:R:lambda:path/
 * 2015-03-31/functions/FUNCTION_ARN/invocations), and its region, in a; NULL when it names
 * none. */
const char *apigw_function_of(arena *a, const char *uri, const char **region);

/* Invokes fn (in region) with payload as p (apigateway.amazonaws.com, or a role it
 * assumed) on behalf of account's API, aws:SourceArn source_arn: 0 with *out (the
 * function's output, in a; NULL when it gave none) and *failed (a FunctionError), or -1
 * with *e (the invocation refused: no permission, no such function). */
int apigw_lambda_invoke(ferry_env *env, arena *a, const principal *p, const char *account,
                        const char *fn, const char *region, const char *source_arn,
                        const char *payload, size_t len, const char **out, size_t *out_len,
                        int *failed, ferr *e);

#define APIGW_AUTHZ_UNAUTHORIZED 1 /* the function failed with "Unauthorized" */

/* Invokes fn (in region) with event on behalf of account's API: as role when given (the
 * authorizer's credentials, assumed by apigateway.amazonaws.com), else as
 * apigateway.amazonaws.com with aws:SourceArn source_arn (the function's policy decides).
 * 0 and *out (the function's JSON answer, a new reference), APIGW_AUTHZ_UNAUTHORIZED, or -1
 * (not invoked, failed otherwise, or no JSON answer: AWS answers 500). */
int apigw_authz_invoke(ferry_env *env, arena *a, const char *account, const char *fn,
                       const char *region, const char *role, const char *source_arn,
                       const json_t *event, json_t **out);

/* The decision of an authorizer's policy document (an object) for execute-api:Invoke on
 * method_arn: 1 allow, 0 no statement allows, 2 explicit deny, -1 not a valid policy. */
int apigw_authz_policy(arena *a, const json_t *policy, const char *account, const char *method_arn);

/* The cache of answers: key names the API, the authorizer and the identity. The answer (a
 * new reference) while its TTL lasts, else NULL. */
json_t *apigw_authz_cached(const char *key);
/* Keeps answer (copied) under key for ttl seconds; nothing when ttl <= 0. */
void apigw_authz_remember(const char *key, const json_t *answer, long long ttl);

#endif
