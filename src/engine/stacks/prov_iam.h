/* What the IAM providers share. Roles, users and groups carry inline policies and managed
 * policy attachments the same way; kind is the API's noun ("Role", "User", "Group"), which
 * names the operations (PutRolePolicy, AttachUserPolicy...) and the name field (RoleName). */
#ifndef FERRY_PROV_IAM_H
#define FERRY_PROV_IAM_H
#include <jansson.h>

#include "prov_int.h"

/* Inline policies: puts those new or changed in new_list, then deletes those only in
 * old_list (NULL on create). Lists are normalized PT_POLICIES values. */
int prov_iam_policies(cfn_pctx *p, const char *kind, const char *name, const json_t *old_list,
                      const json_t *new_list);
/* Managed policies: attaches ARNs new in new_arns, then detaches those only in old_arns. */
int prov_iam_attachments(cfn_pctx *p, const char *kind, const char *name, const json_t *old_arns,
                         const json_t *new_arns);
/* Both of the above from normalized properties: their "Policies" and "ManagedPolicyArns"
 * brought from old_props (NULL on create) to new_props. */
int prov_iam_sync_policies(cfn_pctx *p, const char *kind, const char *name,
                           const json_t *old_props, const json_t *new_props);
/* Permissions boundary (Role, User): puts or deletes when it changed. */
int prov_iam_boundary(cfn_pctx *p, const char *kind, const char *name, const char *old_arn,
                      const char *new_arn);
/* Brings the identity's tags to desired ([{Key,Value}]), reading the current ones with
 * List{Kind}Tags (old_desired stands in if that is unavailable). */
int prov_iam_tags(cfn_pctx *p, const char *kind, const char *name, const json_t *old_desired,
                  const json_t *desired);
/* Before deleting an identity: deletes the inline policies and detaches the managed
 * policies props (normalized) gave it; already gone counts as done. */
int prov_iam_strip(cfn_pctx *p, const char *kind, const char *name, const json_t *props);

#endif
