/* Variables in action configurations (vars.c). */
#ifndef FERRY_SVC_CODEPIPELINE_VARS_H
#define FERRY_SVC_CODEPIPELINE_VARS_H
#include <jansson.h>

#include "base/arena.h"
#include "base/jval.h"

/* s with every #{NS.VAR} replaced from the execution document exec (its "variables", "id"
 * and "namespaces"), in a; or NULL with *bad the first reference it could not resolve (in a;
 * NULL too when out of memory). Text without a closing brace is kept as it is. */
const char *cp_vars_resolve(arena *a, const json_t *exec, const char *s, const char **bad);
/* A new copy of cfg whose string values are resolved so; NULL as above. */
json_t *cp_vars_config(arena *a, const json_t *exec, const json_t *cfg, const char **bad);

#endif
