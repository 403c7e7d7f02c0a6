#include "engines.h"

#include <stddef.h>

static const engine_def *const registry[] = {
    NULL, /* engines register here */
};
#define NENGINES (sizeof(registry) / sizeof(registry[0]))

int engines_start(ferry_env *env, ferr *e)
{
    for (size_t i = 0; i < NENGINES; i++) {
        if (!registry[i]) continue;
        if (registry[i]->start(env, e)) {
            while (i-- > 0)
                if (registry[i]) registry[i]->stop(env);
            return -1;
        }
    }
    return 0;
}

void engines_stop(ferry_env *env)
{
    for (size_t i = NENGINES; i-- > 0;)
        if (registry[i]) registry[i]->stop(env);
}
