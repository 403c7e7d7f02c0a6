#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failalloc.h"

void buf_init(buf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max;
}

void buf_dispose(buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

char *buf_take(buf *b)
{
    char *p = b->p;
    if (!p) p = calloc(1, 1);
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

void buf_reset(buf *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->p) b->p[0] = 0;
}

static int grow(buf *b, size_t extra)
{
    if (b->failed) return -1;
    size_t need = b->len + extra + 1;
    if (need < b->len || (b->max && need - 1 > b->max)) {
        b->failed = 1;
        return -1;
    }
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) cap *= 2;
    char *p = failalloc_should_fail() ? NULL : realloc(b->p, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

int buf_put(buf *b, const void *p, size_t n)
{
    if (grow(b, n)) return -1;
    if (n) memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = 0;
    return 0;
}

int buf_sink(const char *p, size_t n, void *ud)
{
    return buf_put(ud, p, n) ? -1 : 0;
}

int buf_puts(buf *b, const char *s)
{
    return buf_put(b, s, strlen(s));
}

int buf_putc(buf *b, char c)
{
    return buf_put(b, &c, 1);
}

int buf_printf(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || grow(b, (size_t)n)) return -1;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

const char *buf_str(const buf *b)
{
    return b->p ? b->p : "";
}
