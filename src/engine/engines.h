/* Background engines (delivery, stacks, pipelines...): started after the gateway so they
 * can call services through svc_invoke, stopped before it. Adding one: a start/stop pair
 * and a line in engines.c. */
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
