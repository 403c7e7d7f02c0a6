#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ferr_vset(ferr *e, int status, const char *code, const char *prefix, const char *fmt,
              va_list ap)
{
    if (!e) return -1;
    e->status = status;
    e->sender = status < 500;
    e->region[0] = 0;
    e->extra = NULL;
    e->long_message = NULL;
    snprintf(e->code, sizeof(e->code), "%s", code);
    size_t n = strlen(prefix);
    if (n >= sizeof(e->message)) n = sizeof(e->message) - 1;
    memcpy(e->message, prefix, n);
    vsnprintf(e->message + n, sizeof(e->message) - n, fmt, ap);
    return -1;
}

int ferr_set(ferr *e, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ferr_vset(e, status, code, "", fmt, ap);
    va_end(ap);
    return -1;
}

void ferr_clear(ferr *e)
{
    if (e) memset(e, 0, sizeof(*e));
}

int ferr_extra(ferr *e, const char *json_object_text)
{
    if (e) e->extra = json_object_text;
    return -1;
}

int ferr_isset(const ferr *e)
{
    return e && e->code[0] != 0;
}

const char *ferr_message(const ferr *e)
{
    return e->long_message ? e->long_message : e->message;
}
