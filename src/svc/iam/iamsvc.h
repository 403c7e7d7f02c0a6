/* The IAM service's internal interface for other parts of ferry (STS AssumeRole,
 * ferry init, CloudFormation providers, authorization). Implemented in src/svc/iam/.
 *
 * Storage (documents in the account, region ""): kind "iam.user", "iam.role", "iam.group",
 * "iam.policy" (customer managed, id = policy ARN path+name), "iam.profile" (instance
 * profiles); id = the lowercased name (IAM names are unique case-insensitively and keep
 * their case in the document). */
#ifndef FERRY_IAMSVC_H
#define FERRY_IAMSVC_H
#include <jansson.h>

#include "svc/svc.h"

/* A role document as stored: {"RoleName","RoleId"(AROA...),"Arn","Path","CreateDate",
 * "AssumeRolePolicyDocument" (JSON text, not URL-encoded),"MaxSessionDuration","Description",
 * "Tags":[{Key,Value}],"PermissionsBoundary":{"PermissionsBoundaryType","PermissionsBoundaryArn"},
 * "AttachedPolicies":[arn...],"InlinePolicies":{name: JSON text}}.
 * 1 found (*role new reference), 0 NoSuchEntity, -1 error. */
int iamsvc_get_role(store_txn *t, const char *account, const char *name, json_t **role, ferr *e);
/* Role name from a role ARN (arn:aws:iam::ACCT:role/path/name), into out. 0 or -1. */
int iamsvc_role_from_arn(const char *arn, char *account, size_t na, char *name, size_t nn);
/* Creates a role (CreateRole semantics: EntityAlreadyExists, MalformedPolicyDocument). */
int iamsvc_create_role(call *c, const char *account, const char *name, const char *path,
                       const char *trust_policy, const char *description, int max_session,
                       json_t **role);
/* Attaches a managed policy (AWS managed "arn:aws:iam::aws:policy/..." or customer). */
int iamsvc_attach_role_policy(call *c, const char *account, const char *role_name,
                              const char *policy_arn);
int iamsvc_put_role_policy(call *c, const char *account, const char *role_name,
                           const char *policy_name, const char *document);

#endif
