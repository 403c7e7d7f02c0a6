#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"

static int g_level = LOG_INFO;

void log_set_level(int level)
{
    g_level = level;
}

int log_level(void)
{
    return g_level;
}

void log_msg(int level, const char *fmt, ...)
{
    if (level > g_level) return;
    static const char *names[] = {"error", "warn", "info", "debug"};
    char ts[32], line[4096];
    clock_iso8601(clock_now(), 1, ts);
    int n = snprintf(line, sizeof(line), "%s %s ", ts, names[level]);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof(line)) vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = strnlen(line, sizeof(line) - 2);
    line[len++] = '\n';
    /* one write so concurrent threads do not interleave a line */
    fwrite(line, 1, len, stderr);
}
