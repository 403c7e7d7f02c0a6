/* What the engine's steps (run.c) hand an action provider (providers.c): one action of one
 * execution, run outside any store transaction. Internal to src/svc/codepipeline/. */
#ifndef FERRY_SVC_CODEPIPELINE_RUN_H
#define FERRY_SVC_CODEPIPELINE_RUN_H
#include <jansson.h>

#include "auth/keys.h"
#include "svc/svc.h"

typedef struct cp_run {
    ferry_env *env;
    arena *a;
    const char *account;  /* the pipeline's */
    const char *home;     /* the pipeline's region */
    const char *region;   /* the action's (its `region`, else home) */
    const json_t *exec;   /* the execution document as the step read it */
    const char *stage;    /* stage name */
    const json_t *decl;   /* the action's declaration */
    const json_t *config; /* its configuration, variables resolved */
    const json_t *state;  /* the action's entry in the execution (wait: the provider's) */
    principal who;        /* the role the action runs as, once cp_run_as succeeded */
    int have_who;
    key_info creds; /* its credentials (artifact credentials for Lambda) */
    /* The result, a patch applied to the action's entry: status (Succeeded, Failed, or
     * InProgress with phase "wait" to be polled again, or none: settled by an API call),
     * summary, externalExecutionId, url, error {code, message}, outputVariables {},
     * outputArtifacts {NAME: {bucket, key}}, revision {}, token, wait {}. */
    json_t *res;
} cp_run;

/* Assumes the role the action runs as (the action's roleArn, assumed by the pipeline's
 * service role, itself assumed by codepipeline.amazonaws.com; else the service role): 0, or
 * -1 with the action failed in r->res. */
int cp_run_as(cp_run *r);
/* Fails the action: status Failed, error {code, message}. Returns -1. */
int cp_fail(cp_run *r, const char *code, const char *fmt, ...);

/* providers.c: starts the action, or polls it (its state has phase "wait"). 0; the outcome
 * is in r->res. */
int cp_provider_start(cp_run *r);
int cp_provider_poll(cp_run *r);

#endif
