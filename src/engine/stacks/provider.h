/* Resource providers: one small module per CloudFormation resource type, creating,
 * updating and deleting through the same service layer clients use (svc_invoke), as the
 * stack's role (or the caller), so every change is authorized and audited.
 *
 * The stack engine (stacks/engine.c, template.c...) resolves intrinsics before calling a
 * provider: `props` is the resource's Properties as plain JSON (no Ref/Fn:: left), with
 * CloudFormation's types (strings for numbers are fine: providers coerce). */
#ifndef FERRY_CFN_PROVIDER_H
#define FERRY_CFN_PROVIDER_H
#include <jansson.h>

#include "svc/svc.h"

typedef struct cfn_pctx {
    ferry_env *env;
    const principal *as; /* the stack's execution role session, or the caller */
    const char *account, *region;
    const char *stack_name, *stack_id, *logical_id;
    const json_t *tags; /* stack tags [{Key,Value}] to propagate, or NULL */
    ferr *e;
    /* Set by the engine for creates (NULL elsewhere, e.g. unit tests): see cfn_intent. */
    int (*intent)(struct cfn_pctx *p, const char *id);
    void *step;
} cfn_pctx;

/* Crash safety, what every provider must do. A create (also the create of a replacing
 * update) calls cfn_intent(p, id) before each service call that makes a physical resource
 * (after checking that a resource of a given name is not already there), where id is what
 * its del needs to delete that resource: its physical id, or a name or ARN del accepts.
 * The engine commits id to the step's record before cfn_intent returns (-1: not recorded,
 * p->e says why, and the provider makes nothing). If the server dies before the create's
 * result is recorded, the rollback calls del(p, id, props) for every id announced, and del
 * treats a resource that is not there as deleted (prov_call_gone_ok). So a provider gets
 * crash recovery without recovery code of its own. When the service picks the id, the
 * provider announces something del can find it by (SNS::Subscription: its topic, protocol
 * and endpoint); IAM::AccessKey cannot yet (a key is found by nothing but its id). A
 * create that fails without a crash undoes what it made itself (prov_undo): its intents
 * are dropped. */
int cfn_intent(cfn_pctx *p, const char *id);

/* A provider's result for create/update: {"PhysicalResourceId": "...",
 * "Ref": "..." (optional, defaults to PhysicalResourceId), "Attributes": {"Arn": ..., ...}}
 * — Ref and GetAtt values exactly as AWS documents them for the type. An update result
 * without "Attributes" keeps the previous ones (AWS::IAM::AccessKey cannot read its
 * SecretAccessKey again). */
struct prov_shape;

typedef struct cfn_provider {
    const char *type; /* "AWS::SQS::Queue" */
    /* The shared create/update skeleton (prov_shape.c, prov_int.h) when the provider is
     * described by its parts; create and update are then left NULL. */
    const struct prov_shape *shape;
    int (*create)(cfn_pctx *p, const json_t *props, json_t **result);
    /* In-place update; NULL means every change replaces (create new, then delete old). */
    int (*update)(cfn_pctx *p, const char *physical_id, const json_t *old_props,
                  const json_t *new_props, json_t **result);
    int (*del)(cfn_pctx *p, const char *physical_id, const json_t *props);
    /* Properties whose change requires replacement (NULL-terminated), as AWS documents. */
    const char *const *replace_on;
    /* Properties CloudFormation needs before create (e.g. QueueName optional, TopicName
     * optional): names generated as AWS does ("STACK-LOGICALID-RANDOM") when absent. */
    const char *name_property;
    int name_max;       /* AWS's length limit for generated names */
    int name_lowercase; /* generated names in lower case (S3 bucket names) */
    /* Boolean property that makes a generated name end in ".fifo" ("FifoQueue", "FifoTopic"),
     * or NULL. */
    const char *fifo_property;
    /* create and del pick up the request a stopped server was waiting on (custom resources):
     * a create step a restart interrupted is done again instead of failed. */
    int resumes;
    /* An in-place update may answer another physical id: the resource was replaced, and the
     * old one is deleted in the cleanup (custom resources). */
    int update_may_replace;
} cfn_provider;

/* Create and in-place update through pv's shape or its own functions; can_update says
 * whether pv updates in place at all (else every change replaces). */
int cfn_provider_create(const cfn_provider *pv, cfn_pctx *p, const json_t *props, json_t **result);
int cfn_provider_update(const cfn_provider *pv, cfn_pctx *p, const char *physical_id,
                        const json_t *old_props, const json_t *new_props, json_t **result);
int cfn_provider_can_update(const cfn_provider *pv);

/* The registry (providers.c): NULL when the type is not supported. */
const cfn_provider *cfn_provider_find(const char *type);

/* Helper for providers: svc_invoke as p->as in p->account/p->region. */
int cfn_call(cfn_pctx *p, const char *service, const char *op, const json_t *in, json_t **out);
/* AWS-style generated physical name: "{stack}-{logical}-{13 random uppercase alnum}",
 * trimmed to max (and ".fifo" kept last when fifo). Caller frees with free(). */
char *cfn_physical_name(const cfn_pctx *p, int max, int fifo);

#endif
