#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "failalloc.h"

typedef struct chunk {
    struct chunk *next;
    size_t cap, used;
    _Alignas(16) unsigned char data[];
} chunk;

typedef struct hook {
    struct hook *next;
    void (*fn)(void *);
    void *p;
} hook;

struct arena {
    chunk *head;
    hook *hooks;
    size_t chunk_size, total;
};

static chunk *chunk_new(size_t cap)
{
    chunk *c = failalloc_should_fail() ? NULL : malloc(sizeof(*c) + cap);
    if (!c) return NULL;
    c->next = NULL;
    c->cap = cap;
    c->used = 0;
    return c;
}

arena *arena_new(size_t chunk_size)
{
    arena *a = failalloc_should_fail() ? NULL : calloc(1, sizeof(*a));
    if (!a) return NULL;
    a->chunk_size = chunk_size ? chunk_size : 8192;
    return a;
}

void arena_free(arena *a)
{
    if (!a) return;
    for (hook *h = a->hooks; h;) { /* hooks live in the arena: run before freeing chunks */
        hook *n = h->next;
        h->fn(h->p);
        h = n;
    }
    for (chunk *c = a->head; c;) {
        chunk *n = c->next;
        free(c);
        c = n;
    }
    free(a);
}

void *arena_alloc(arena *a, size_t n)
{
    if (!a) return NULL;
    size_t need = (n + 15) & ~(size_t)15;
    if (need < n) return NULL;
    chunk *c = a->head;
    if (!c || c->cap - c->used < need) {
        size_t cap = need > a->chunk_size ? need : a->chunk_size;
        chunk *nc = chunk_new(cap);
        if (!nc) return NULL;
        /* a big one-off allocation goes behind the current chunk so its free space stays usable */
        if (c && need > a->chunk_size) {
            nc->next = c->next;
            c->next = nc;
        } else {
            nc->next = c;
            a->head = nc;
        }
        c = nc;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->total += need;
    memset(p, 0, n);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    if (!s) return NULL;
    char *d = arena_alloc(a, n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *arena_strdup(arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

/* 1 when every conversion of fmt is a plain %s (or %%) */
static int only_strings(const char *fmt)
{
    for (const char *p = fmt; (p = strchr(p, '%')); p += 2)
        if (p[1] != 's' && p[1] != '%') return 0;
    return 1;
}

/* fmt of only %s and %% with its strings, into d (NULL: only counted): the length */
static size_t cat(char *d, const char *fmt, va_list ap)
{
    size_t n = 0;
    for (const char *p = fmt; *p; p++) {
        const char *s = p;
        size_t l = 1;
        if (*p == '%' && *++p == 's') {
            s = va_arg(ap, const char *);
            if (!s) s = "(null)"; /* as glibc prints it */
            l = strlen(s);
        } else if (*p == '%') {
            s = p;
        }
        if (d) memcpy(d + n, s, l);
        n += l;
    }
    return n;
}

char *arena_printf(arena *a, const char *fmt, ...)
{
    va_list ap;
    if (only_strings(fmt)) { /* most of them: joined without vsnprintf's two passes */
        va_start(ap, fmt);
        size_t n = cat(NULL, fmt, ap);
        va_end(ap);
        char *d = arena_alloc(a, n + 1);
        if (!d) return NULL;
        va_start(ap, fmt);
        cat(d, fmt, ap);
        va_end(ap);
        d[n] = 0;
        return d;
    }
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *d = arena_alloc(a, (size_t)n + 1);
    if (!d) return NULL;
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}

int arena_defer(arena *a, void (*fn)(void *), void *p)
{
    hook *h = arena_alloc(a, sizeof(*h));
    if (!h) return -1;
    h->fn = fn;
    h->p = p;
    h->next = a->hooks;
    a->hooks = h;
    return 0;
}

void *arena_own(arena *a, void (*fn)(void *), void *p)
{
    if (!p) return NULL;
    if (arena_defer(a, fn, p)) {
        fn(p);
        return NULL;
    }
    return p;
}

static void json_release(void *p)
{
    json_decref(p);
}

json_t *arena_defer_json(arena *a, json_t *j)
{
    return arena_own(a, json_release, j);
}

size_t arena_used(const arena *a)
{
    return a ? a->total : 0;
}
