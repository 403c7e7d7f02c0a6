/* Private to src/svc/organizations: helpers shared by the operation files and the policy
 * operations (policies.c) that organizations.c lists in its table. */
#ifndef FERRY_ORGSVC_H
#define FERRY_ORGSVC_H
#include "svc/svc.h"

/* Loads the organization and checks the caller belongs (mgmt_only: is its management
 * account). 0 with *org (caller decrefs), or -1 with AWSOrganizationsNotInUseException or
 * AccessDeniedException. */
int orgsvc_load(call *c, int mgmt_only, json_t **org);
/* MaxResults, when given, within 1..cap (InvalidInputException). */
int orgsvc_check_max(call *c, json_t *in, int cap);

int orgsvc_attach_policy(call *c, json_t *in, json_t **out);
int orgsvc_create_policy(call *c, json_t *in, json_t **out);
int orgsvc_delete_policy(call *c, json_t *in, json_t **out);
int orgsvc_describe_policy(call *c, json_t *in, json_t **out);
int orgsvc_detach_policy(call *c, json_t *in, json_t **out);
int orgsvc_disable_policy_type(call *c, json_t *in, json_t **out);
int orgsvc_enable_policy_type(call *c, json_t *in, json_t **out);
int orgsvc_list_policies(call *c, json_t *in, json_t **out);
int orgsvc_list_policies_for_target(call *c, json_t *in, json_t **out);
int orgsvc_list_targets_for_policy(call *c, json_t *in, json_t **out);
int orgsvc_update_policy(call *c, json_t *in, json_t **out);

#endif
