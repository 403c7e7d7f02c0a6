/* What the CloudFormation service offers engines beyond its API (which they reach through
 * svc_invoke like any caller). */
#ifndef FERRY_CLOUDFORMATION_H
#define FERRY_CLOUDFORMATION_H
#include "svc/svc.h"

/* CreateStack of a nested stack (AWS::CloudFormation::Stack), as `as` through the internal
 * call path (authorized and audited as cloudformation:CreateStack): the new stack records
 * parent_id as its ParentId and its parent's root as RootId. No client input can say that. */
int cfn_create_nested_stack(ferry_env *env, const principal *as, const char *region,
                            const char *parent_id, const json_t *in, json_t **out, ferr *e);

#endif
