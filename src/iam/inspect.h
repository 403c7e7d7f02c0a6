/* What a compiled policy says, read without evaluating it: the context keys it names (IAM
 * GetContextKeysFor*Policy) and whether it grants any action of a service (IAM
 * ListPoliciesGrantingServiceAccess, the services an access report lists). */
#ifndef FERRY_IAM_INSPECT_H
#define FERRY_IAM_INSPECT_H
#include <stddef.h>

#include "iam/policy.h"

/* Calls cb(ud, key, len) for every context key p names, in document order, statement by
 * statement: the policy variables (${key}) of its resources, then each condition's key and
 * the variables of its values. Keys are as written (repeats included: the caller
 * deduplicates). Stops at the first non-zero cb result and returns it, else 0. */
typedef int (*iam_key_cb)(void *ud, const char *key, size_t len);
int iam_policy_context_keys(const iam_policy *p, iam_key_cb cb, void *ud);

/* 1 when an Allow statement of p covers some action of the service prefix ("s3", any
 * case): an action pattern of that service or a wildcard reaching it, or a NotAction that
 * leaves some of the service's actions. Conditions and resources are not considered (AWS
 * lists a policy granting access under conditions too). */
int iam_policy_allows_service(const iam_policy *p, const char *prefix);

#endif
