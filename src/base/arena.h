/* Per-request memory: everything a handler allocates comes from one arena and
 * is released by one arena_free(). Cleanup hooks cover non-arena resources
 * (jansson documents, files). */
#ifndef FERRY_ARENA_H
#define FERRY_ARENA_H
#include <stddef.h>

typedef struct arena arena;

arena *arena_new(size_t chunk_size);           /* caller owns; NULL on OOM */
void arena_free(arena *a);                     /* NULL is a no-op */
void *arena_alloc(arena *a, size_t n);         /* zeroed, 16-aligned; NULL on OOM */
char *arena_strdup(arena *a, const char *s);   /* NULL in, NULL out */
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_printf(arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Runs fn(p) at arena_free, last registered first. Returns 0 or -1 (OOM). */
int arena_defer(arena *a, void (*fn)(void *), void *p);
size_t arena_used(const arena *a);

#endif
