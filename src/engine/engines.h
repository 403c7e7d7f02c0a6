/* Background engines (delivery, stacks, pipelines...): started after the gateway so they
 * can call services through svc_invoke, stopped before it. Adding one: a start/stop pair
 * and a line in engines.c.
 *
 * How an engine reaches a service: its stored documents through the layout header the
 * service publishes (svc/sns/documents.h, svc/cloudformation/documents.h: kinds, ids,
 * fields, accessors), never a copy of that layout; its behaviour only through the internal
 * call path, svc_invoke(service, operation), named as a client names them, because such a
 * call is authorized and audited as the client's would be. An engine never includes a
 * service's private header or calls its handlers. */
#ifndef FERRY_ENGINES_H
#define FERRY_ENGINES_H
#include "svc/svc.h"

typedef struct engine_def {
    const char *name;
    int (*start)(ferry_env *env, ferr *e); /* resume pending work found in the store */
    void (*stop)(ferry_env *env);          /* finish or hand back work in progress */
} engine_def;

int engines_start(ferry_env *env, ferr *e);
void engines_stop(ferry_env *env);

#endif
