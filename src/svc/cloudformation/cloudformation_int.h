/* Internal to the CloudFormation service: shared between the stack and change-set
 * operations (cloudformation.c, changesets.c) and StackSets (stacksets.c). */
#ifndef FERRY_SVC_CLOUDFORMATION_INT_H
#define FERRY_SVC_CLOUDFORMATION_INT_H
#include <jansson.h>

#include "svc/svc.h"

/* What CreateStack, UpdateStack and CreateChangeSet agree on before they act. */
typedef struct cfn_prep {
    char *body;      /* template text (malloc) */
    char *processed; /* the template after its Transform (malloc), NULL without one */
    json_t *tpl;     /* parsed (and transformed) */
    json_t *raw;     /* {param: raw string} */
    json_t *plist;   /* [{ParameterKey, ParameterValue}] as DescribeStacks shows them */
    json_t *noecho;  /* [names] */
    json_t *caps;    /* Capabilities the caller gave */
    principal as;    /* the identity the stack acts as (RoleARN session or the caller) */
    const char *role_arn;
} cfn_prep;

void cfnsvc_prep_dispose(cfn_prep *p);
/* Stores the prepared template as the stack's which ("cur"/"new"): the processed one for
 * the engine, the original for GetTemplate. */
int cfnsvc_store_template(call *c, const json_t *stack, const char *which, const cfn_prep *p);
/* stack: the stack being updated (UsePreviousTemplate, UsePreviousValue) or NULL. */
int cfnsvc_prepare(call *c, const json_t *in, const json_t *stack, cfn_prep *p);
/* "Stack with id X does not exist" (ValidationError) when absent. */
int cfnsvc_load_stack(call *c, const char *name, json_t **stack);
int cfnsvc_auth(call *c, const char *action, const char *stack_name, const char *stack_id);
int cfnsvc_updatable(call *c, const json_t *stack);
/* Starts an update of stack from a prepared request; token may be NULL. */
int cfnsvc_start_update(call *c, json_t *stack, cfn_prep *p, const json_t *in,
                        const char *changeset_uuid);
/* Creates the stack documents in CREATE_IN_PROGRESS (or REVIEW_IN_PROGRESS when review). */
int cfnsvc_new_stack(call *c, const char *name, json_t **stack);
int cfnsvc_start_create(call *c, json_t *stack, cfn_prep *p, const json_t *in,
                        const char *changeset_uuid);
json_t *cfnsvc_stack_view(const json_t *stack);
/* *out: a new object holding one page of all (taken) as key, from in's NextToken, max a
 * page; a bad token is the error bad_token_code. */
int cfnsvc_page(call *c, const json_t *in, json_t *all, long long max, const char *key,
                const char *bad_token_code, json_t **out);
int cfnsvc_valid_name(call *c, const char *name, const char *member);

#endif
