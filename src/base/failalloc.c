#include "failalloc.h"

#include <jansson.h>
#include <stdlib.h>

static _Thread_local struct {
    int armed, fired;
    long target, count;
} T;

void failalloc_arm(long n)
{
    T.armed = 1;
    T.fired = 0;
    T.target = n;
    T.count = 0;
}

long failalloc_disarm(void)
{
    T.armed = 0;
    return T.count;
}

int failalloc_fired(void)
{
    return T.fired;
}

long failalloc_hold(void)
{
    long held = T.armed;
    T.armed = 0;
    return held;
}

void failalloc_release(long held)
{
    T.armed = (int)held;
}

int failalloc_should_fail(void)
{
    if (__builtin_expect(!T.armed, 1)) return 0;
    if (++T.count != T.target) return 0;
    T.fired = 1;
    return 1;
}

void *failalloc_malloc(size_t n)
{
    return failalloc_should_fail() ? NULL : malloc(n);
}

void failalloc_hook_jansson(void)
{
    json_set_alloc_funcs(failalloc_malloc, free);
}
