#include "trailbloom.h"

#include <stdlib.h>
#include <string.h>

#include "base/hmap.h"

#define NBITS  (TRAIL_BLOOM_BYTES * 8)
#define NPROBE 7

/* FNV-1a of the key, its bits spread (splitmix64's finalizer: FNV's low bits are weak),
 * and probes by double hashing from its two halves */
static uint64_t key_hash(int attr, const char *account, const char *value)
{
    unsigned char a = (unsigned char)attr;
    uint64_t h = hash_bytes(HASH_SEED, &a, 1);
    h = hash_mix(hash_mix(h, account ? account : ""), value);
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

#define PROBES(h, i, bit) \
    for (uint32_t i = 0, h1 = (uint32_t)(h), h2 = (uint32_t)((h) >> 32) | 1, bit = h1 % NBITS; \
         i < NPROBE; i++, bit = (h1 + i * h2) % NBITS)

void trail_bloom_add(unsigned char *bits, int attr, const char *account, const char *value)
{
    if (!value) return;
    uint64_t h = key_hash(attr, account, value);
    PROBES(h, i, bit) bits[bit >> 3] |= (unsigned char)(1u << (bit & 7));
}

int trail_bloom_may(const unsigned char *bits, int attr, const char *account, const char *value)
{
    if (!value) return 0;
    uint64_t h = key_hash(attr, account, value);
    PROBES(h, i, bit) if (!(bits[bit >> 3] & (1u << (bit & 7)))) return 0;
    return 1;
}

int trail_blocks_init(trail_blocks *b, int64_t first, int64_t n)
{
    if (n < 0) n = 0;
    b->first = first;
    b->n = n;
    b->len = 8 + ((size_t)n + 7) / 8;
    if (!(b->bytes = malloc(b->len))) return -1;
    memcpy(b->bytes, &first, 8);
    memset(b->bytes + 8, 0xff, b->len - 8);
    return 0;
}

void trail_blocks_clear(trail_blocks *b, int64_t blk)
{
    int64_t i = blk - b->first;
    if (i >= 0 && i < b->n) b->bytes[8 + i / 8] &= (unsigned char)~(1u << (i % 8));
}

int trail_blocks_may(const unsigned char *blob, size_t len, int64_t seq)
{
    if (!blob || len < 8 || seq < 0) return 1;
    int64_t first;
    memcpy(&first, blob, 8);
    int64_t i = seq / TRAIL_BLOCK - first;
    if (i < 0 || (uint64_t)i / 8 >= len - 8) return 1;
    return (blob[8 + i / 8] >> (i % 8)) & 1;
}

void trail_blocks_free(trail_blocks *b)
{
    free(b->bytes);
    b->bytes = NULL;
}
