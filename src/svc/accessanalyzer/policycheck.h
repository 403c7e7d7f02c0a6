/* IAM Access Analyzer policy validation (ValidatePolicy): grammar errors, security
 * warnings, general warnings and suggestions, each with AWS's issue code, wording,
 * learn-more link and locations (path + span) into the document. A pure library: no store,
 * no call; action names are checked against the AWS models ferry loads. */
#ifndef FERRY_AA_POLICYCHECK_H
#define FERRY_AA_POLICYCHECK_H
#include <jansson.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/err.h"

typedef enum {
    AA_IDENTITY_POLICY = 0,
    AA_RESOURCE_POLICY,
    AA_SERVICE_CONTROL_POLICY,
    AA_RESOURCE_CONTROL_POLICY,
} aa_policy_type;

/* Validates text[0..len) as a policy of type; trust: a role trust policy
 * (validatePolicyResourceType AWS::IAM::AssumeRolePolicyDocument). *findings gets a new
 * array of ValidatePolicyFinding objects in document order. 0, or -1 (OOM) with e. */
int aa_validate_policy(arena *a, const char *text, size_t len, int type, int trust,
                       json_t **findings, ferr *e);

#endif
