/* Private to src/svc/organizations: helpers shared by the operation files and the policy
 * operations (policies.c) that organizations.c lists in its table. */
#ifndef FERRY_SVC_ORGANIZATIONS_INT_H
#define FERRY_SVC_ORGANIZATIONS_INT_H
#include "svc/svc.h"

/* Loads the organization and checks the caller belongs (mgmt_only: is its management
 * account). 0 with *org (caller decrefs), or -1 with AWSOrganizationsNotInUseException or
 * AccessDeniedException. */
int orgsvc_load(call *c, int mgmt_only, json_t **org);
/* MaxResults, when given, within 1..cap (InvalidInputException). */
int orgsvc_check_max(call *c, json_t *in, int cap);
/* The root, OU or account id names (its kind in *type: ROOT, ORGANIZATIONAL_UNIT, ACCOUNT;
 * its document, new ref, in *doc). 0, or -1 with InvalidInputException or
 * TargetNotFoundException. */
int orgsvc_target(call *c, const json_t *org, const char *id, const char **type, json_t **doc);
/* AWS's TargetNotFoundException; returns -1. */
int orgsvc_target_not_found(call *c);
/* Answers one page of all (consumed: the caller's reference is dropped) under key in a new
 * *out, from the request's NextToken and MaxResults. */
int orgsvc_page(call *c, json_t *in, json_t *all, const char *key, json_t **out);
/* ConstraintViolationException when adding tags to have ([{Key, Value}], may be NULL) would
 * exceed AWS's 50 tags per resource. */
int orgsvc_check_tags(call *c, const json_t *have, const json_t *add);
/* The OU (new ref), or OrganizationalUnitNotFoundException. */
int orgsvc_load_ou(call *c, const char *id, json_t **ou);
/* A view of an Organizations document without ferry's bookkeeping (ParentId, Policies,
 * Tags); returns v. */
json_t *orgsvc_strip(json_t *v);
/* Drops every delegated-administrator registration of account (it leaves). 0 or -1. */
int orgsvc_drop_delegations(call *c, const char *account);

int organizations_op_attach_policy(call *c, json_t *in, json_t **out);
int organizations_op_create_policy(call *c, json_t *in, json_t **out);
int organizations_op_delete_policy(call *c, json_t *in, json_t **out);
int organizations_op_describe_policy(call *c, json_t *in, json_t **out);
int organizations_op_detach_policy(call *c, json_t *in, json_t **out);
int organizations_op_disable_policy_type(call *c, json_t *in, json_t **out);
int organizations_op_enable_policy_type(call *c, json_t *in, json_t **out);
int organizations_op_list_policies(call *c, json_t *in, json_t **out);
int organizations_op_list_policies_for_target(call *c, json_t *in, json_t **out);
int organizations_op_list_targets_for_policy(call *c, json_t *in, json_t **out);
int organizations_op_update_policy(call *c, json_t *in, json_t **out);

#endif
