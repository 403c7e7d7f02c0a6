/* The string-keyed hash map, and the one string hash of the tree. Not thread-safe: a map
 * belongs to one thread or to its owner's lock (gencache.c adds both a lock and
 * generations). Keys are copied; values are the caller's. A zeroed hmap is empty. */
#ifndef FERRY_HMAP_H
#define FERRY_HMAP_H
#include <stddef.h>
#include <stdint.h>

/* FNV-1a (64 bits) of s; hash_mix continues h over s, for keys made of several strings
 * (start from HASH_SEED). hash_bytes hashes n bytes. */
#define HASH_SEED 14695981039346656037ull
uint64_t hash_str(const char *s);
uint64_t hash_mix(uint64_t h, const char *s);
uint64_t hash_bytes(uint64_t h, const void *p, size_t n);
/* A quicker 64-bit hash of n bytes, eight at a time, for long texts (a policy's kilobytes in
 * a cache key). Its values may change between versions: keys of this process only. */
uint64_t hash_long(const void *p, size_t n);

typedef struct hmap_ent hmap_ent;
typedef struct hmap {
    hmap_ent **b;
    size_t nb, n;
} hmap;

/* The value under key, or NULL. */
void *hmap_get(const hmap *m, const char *key);
/* Sets key to val: 0, or -1 on OOM (the map unchanged). *old (when not NULL) gets the
 * value it replaced, or NULL. */
int hmap_put(hmap *m, const char *key, void *val, void **old);
/* Removes key: its value, or NULL when it was not there. */
void *hmap_del(hmap *m, const char *key);
/* Calls fn(val, ud) for every value until fn returns non-zero; fn must not change m.
 * Returns that non-zero value, or 0. */
int hmap_each(const hmap *m, int (*fn)(void *val, void *ud), void *ud);
/* Empties m, calling free_val (may be NULL) on every value; m stays usable. */
void hmap_clear(hmap *m, void (*free_val)(void *));
static inline size_t hmap_count(const hmap *m)
{
    return m->n;
}

#endif
