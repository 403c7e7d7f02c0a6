/* Organization policies (service control policies and the other Organizations policy types):
 * the documents, their attachments to the root, OUs and accounts, and the facts
 * authorization needs from them (org_authz, svc/authz.h).
 *
 * Documents (global: account "" region ""):
 *   orgpolicy/<p-id>  {"PolicySummary":{Id,Arn,Name,Description,Type,AwsManaged},
 *                      "Content": JSON text, "Tags": [...]}
 * Attachments are kept on their targets, as "Policies": [{"Id","Type"}] of the account or
 * OU document, or of the organization document's "Root" (views strip them), so that
 * authorization finds an account's SCPs and RCPs on the documents it reads anyway.
 * The authorization policy types (SCPs, RCPs) each have an AWS managed full-access policy
 * (p-FullAWSAccess, p-RCPFullAWSAccess): never stored, always there. */
#ifndef FERRY_ORG_SCP_H
#define FERRY_ORG_SCP_H
#include <jansson.h>

#include "base/err.h"
#include "store/store.h"

#define ORG_FULL_ACCESS_ID     "p-FullAWSAccess"
#define ORG_RCP_FULL_ACCESS_ID "p-RCPFullAWSAccess"
#define ORG_SCP                "SERVICE_CONTROL_POLICY"
#define ORG_RCP                "RESOURCE_CONTROL_POLICY"

/* 1 for the types written in the IAM policy language that authorization enforces (SCPs,
 * RCPs), else 0. */
int org_is_authz_type(const char *type);
/* The id of type's AWS managed full-access policy, or NULL when the type has none. */
const char *org_full_access_id(const char *type);
/* 1 when action ("s3:GetObject", or a service prefix "s3:*") belongs to a service that
 * RCPs apply to (AWS's list), else 0. */
int org_rcp_service(const char *action);

/* 1 and *pol (new ref, the stored shape above) when the policy exists, 0 not, -1 error. */
int org_policy_get(store_txn *t, const char *id, json_t **pol, ferr *e);
/* 1 when policy type is ENABLED on the organization's root. */
int org_type_enabled(const json_t *org, const char *type);
/* Attaches to a root, OU or account that exists; 0 attached, 1 already attached, -1. */
int org_attach(store_txn *t, const char *target, const char *policy_id, const char *type, ferr *e);
/* 1 detached, 0 was not attached (or no such target), -1 error. */
int org_detach(store_txn *t, const char *target, const char *policy_id, ferr *e);
/* Ids of the policies attached to target, of type (NULL: any), in attachment order: *ids
 * is a new array of strings (empty for an unknown target). 0 or -1. */
int org_attached(store_txn *t, const char *target, const char *type, json_t **ids, ferr *e);
/* AWS: while SCPs (RCPs) are enabled every new OU and account starts with FullAWSAccess
 * (RCPFullAWSAccess). */
int org_attach_defaults(store_txn *t, const json_t *org, const char *target, ferr *e);

/* Drops the cached organization facts authorization uses (on reset; a commit that writes
 * the organization, accounts or OUs makes them stale by itself). */
void org_authz_changed(void);

#endif
