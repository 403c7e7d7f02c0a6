#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ferr_set(ferr *e, int status, const char *code, const char *fmt, ...)
{
    if (!e) return -1;
    e->status = status;
    e->sender = status < 500;
    snprintf(e->code, sizeof(e->code), "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    return -1;
}

void ferr_clear(ferr *e)
{
    if (e) memset(e, 0, sizeof(*e));
}

int ferr_isset(const ferr *e)
{
    return e && e->code[0] != 0;
}
