/* The process-wide cache: values shared between threads under string keys, each made at a
 * generation and found only at that same generation. The generation says what the value
 * was read under: usually store_generation() of the kinds it comes from (read before
 * reading them), or a generation the caller keeps (IAM's per-account one), or 0 for a
 * value the key describes completely (a policy keyed by its text).
 *
 * Values are reference counted: a caller holds an entry while it uses the value, and an
 * entry replaced, evicted or cleared meanwhile is freed (val_free) by its last holder.
 * Past max entries the cache starts over (held entries live on until released), which
 * keeps lookups to one hash probe and needs no recency bookkeeping. Thread-safe. */
#ifndef FERRY_GENCACHE_H
#define FERRY_GENCACHE_H
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"

typedef struct gencache gencache;
typedef struct gencache_entry gencache_entry;

/* A process-wide cache made on first use: static gencache_static x = GENCACHE_STATIC(max,
 * val_free); then gencache_of(&x), NULL when it could not be made (every call below takes
 * a NULL cache as an empty one that keeps nothing). */
typedef struct gencache_static {
    _Atomic(gencache *) c;
    size_t max;
    void (*val_free)(void *);
} gencache_static;
#define GENCACHE_STATIC(max, val_free) \
    { \
        NULL, (max), (val_free) \
    }
gencache *gencache_of(gencache_static *s);

/* Caller owns (gencache_free). val_free (may be NULL) frees a value no one holds. NULL on
 * OOM. */
gencache *gencache_new(size_t max, void (*val_free)(void *));
/* Frees the cache and every value; nothing may be held any more. NULL is a no-op. */
void gencache_free(gencache *c);
/* Drops every entry (after a store reset); held ones die with their last holder. */
void gencache_clear(gencache *c);
size_t gencache_count(gencache *c);

/* The entry of key at gen, held for the caller (gencache_release), or NULL. */
gencache_entry *gencache_acquire(gencache *c, const char *key, uint64_t gen);
/* Stores val as key at gen, replacing what key had, and returns it held for the caller.
 * NULL on OOM: then val is not taken (still the caller's). */
gencache_entry *gencache_insert(gencache *c, const char *key, uint64_t gen, void *val);
void *gencache_value(const gencache_entry *e);
/* Another hold on an entry already held (for a value that keeps others alive). */
void gencache_retain(gencache_entry *e);
/* NULL is a no-op. */
void gencache_release(gencache_entry *e);

/* With the hold tied to an arena (a request): the value stays valid until arena_free(a).
 * get: the value or NULL (absent, or OOM). put: stores val as insert does; 0, or -1 on OOM
 * with val not taken. With a NULL, put keeps no hold (the caller must not use val after). */
void *gencache_get(gencache *c, const char *key, uint64_t gen, arena *a);
int gencache_put(gencache *c, const char *key, uint64_t gen, void *val, arena *a);
/* Calls read(val, ud) under the cache's lock when key is there at gen, for values copied
 * out (read must be quick and must not call into the cache). 1 found, 0 not. */
int gencache_read(gencache *c, const char *key, uint64_t gen,
                  void (*read)(const void *val, void *ud), void *ud);

#endif
