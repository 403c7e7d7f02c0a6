/* Placeholder until the execution environments land: every invocation is refused, so the
 * lambda service can be built and tested against the interface in functions.h. */
#include "engine/functions.h"

#include <stdio.h>
#include <stdlib.h>

static int not_yet(ferr *e)
{
    return ferr_set(e, 500, "ServiceException", "functions cannot run yet on this server");
}

int functions_start(ferry_env *env, const fn_spec *s, const char *payload, size_t len,
                    const char *request_id, char id[40], ferr *e)
{
    (void)env, (void)s, (void)payload, (void)len, (void)request_id;
    id[0] = 0;
    return not_yet(e);
}

void fn_wait_key(const char *id, char key[48])
{
    snprintf(key, 48, "fn:%.40s", id);
}

int functions_take(ferry_env *env, const char *id, fn_result *out)
{
    (void)env, (void)id, (void)out;
    return -1;
}

void functions_forget(ferry_env *env, const char *id)
{
    (void)env, (void)id;
}

int functions_invoke(ferry_env *env, const fn_spec *s, const char *payload, size_t len,
                     const char *request_id, fn_result *out, ferr *e)
{
    (void)env, (void)s, (void)payload, (void)len, (void)request_id, (void)out;
    return not_yet(e);
}

void fn_result_clear(fn_result *r)
{
    free(r->payload);
    free(r->log_tail);
    r->payload = r->log_tail = NULL;
}
