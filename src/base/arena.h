/* Per-request memory: everything a handler allocates comes from one arena and
 * is released by one arena_free(). Cleanup hooks cover non-arena resources
 * (jansson documents, files). */
#ifndef FERRY_ARENA_H
#define FERRY_ARENA_H
#include <stddef.h>

typedef struct arena arena;

arena *arena_new(size_t chunk_size);         /* caller owns; NULL on OOM */
void arena_free(arena *a);                   /* NULL is a no-op */
void *arena_alloc(arena *a, size_t n);       /* zeroed, 16-aligned; NULL on OOM */
char *arena_strdup(arena *a, const char *s); /* NULL in, NULL out */
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Runs fn(p) at arena_free, last registered first. Returns 0 or -1 (OOM: fn is not
 * registered and p is still the caller's). */
int arena_defer(arena *a, void (*fn)(void *), void *p) __attribute__((warn_unused_result));
/* Gives p to the arena: fn(p) runs at arena_free, or at once when the hook cannot be
 * allocated. Returns p, or NULL (p already released) so that
 * `if (!arena_own(a, fn, p)) return ferr_oom(e);` leaks nothing. NULL p gives NULL. */
void *arena_own(arena *a, void (*fn)(void *), void *p);
/* arena_own for a jansson reference (json_decref at arena_free), typed: calling
 * json_decref through a void (*)(void *) cast is undefined behaviour. */
struct json_t *arena_defer_json(arena *a, struct json_t *j);
size_t arena_used(const arena *a);

#endif
