/* The IAM service's internal interface for other parts of ferry (STS AssumeRole,
 * ferry init, CloudFormation providers, authorization). Implemented in src/svc/iam/.
 *
 * Storage (documents in the account, region ""): kind "iam.user", "iam.role", "iam.group",
 * "iam.policy" (customer managed; its version documents in "iam.policyversion", id
 * "name/vN"), "iam.profile" (instance profiles); id = the lowercased name (IAM names are
 * unique case-insensitively in an account, whatever the path, and keep their case in the
 * document). Users, groups and roles also carry "PolicyRefs" {policy ARN:
 * "PolicyId|DefaultVersionId"} for the customer managed policies they use. A user's access key ids are in its "AccessKeys" array, the
 * keys themselves in kind "accesskey" (auth/keys.h).
 *
 * The functions taking a call do no authorization (the caller decided) and work in
 * c->txn; errors are AWS's (code, status, message) in c->err.
 *
 * Change IAM documents only through these functions or the IAM operations (svc_invoke
 * "iam"): each write also moves the account's IAM generation (kind "iam.gen"), which is
 * what lets authorization reuse the identities it gathered (src/svc/iam/identity.c). */
#ifndef FERRY_SVC_IAM_H
#define FERRY_SVC_IAM_H
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
/* Creates a role (CreateRole semantics: ValidationError for name/path/max_session,
 * EntityAlreadyExists, MalformedPolicyDocument, LimitExceeded). path NULL = "/",
 * description may be NULL, max_session 0 = 3600. role may be NULL; else *role is a new
 * reference to the stored document (caller decrefs). */
int iamsvc_create_role(call *c, const char *account, const char *name, const char *path,
                       const char *trust_policy, const char *description, int max_session,
                       json_t **role);
/* Attaches a managed policy (AWS managed "arn:aws:iam::aws:policy/..." or the account's
 * own); attaching twice is not an error. NoSuchEntity for a missing role or policy. */
int iamsvc_attach_role_policy(call *c, const char *account, const char *role_name,
                              const char *policy_arn);
/* Creates or replaces an inline policy (MalformedPolicyDocument, LimitExceeded). */
int iamsvc_put_role_policy(call *c, const char *account, const char *role_name,
                           const char *policy_name, const char *document);

/* HTTPS Git credentials (service-specific credentials, ssc.c): 1 when user/password are an
 * active credential of service ("codecommit.amazonaws.com"), *who then its IAM user; 0 when
 * they are not; -1 with e on a store error. */
int iamsvc_ssc_principal(store_txn *t, const char *service, const char *user, const char *password,
                         principal *who, ferr *e);

/* The OIDC provider registered in account for the token issuer (iss: https://HOST/PATH, or
 * http:// for loopback test issuers): {"Url","Arn","ClientIDList","ThumbprintList",...}.
 * 1 found (*doc new reference), 0 none, -1 error (idp.c). */
int iamsvc_oidc_provider(store_txn *t, const char *account, const char *issuer, json_t **doc,
                         ferr *e);

/* The SAML provider arn names (arn:PARTITION:iam::ACCOUNT:saml-provider/NAME, in its own
 * account): {"Name","Arn","SAMLMetadataDocument","ValidUntil","Tags","CreateDate"}.
 * 1 found (*doc new reference), 0 none, -1 error (idp.c). a holds scratch. */
int iamsvc_saml_provider(store_txn *t, arena *a, const char *arn, json_t **doc, ferr *e);

/* The second factor of an STS session: code (TokenCode) must be a current RFC 6238 code of
 * the enabled virtual MFA device serial (SerialNumber), assigned to who, the calling IAM
 * user. Either may be NULL (then AWS's refusal for a missing one). 0, or
 * -1 with AWS's AccessDenied in c->err (mfa.c). */
int iamsvc_mfa_verify(call *c, const principal *who, const char *serial, const char *code);

#endif
