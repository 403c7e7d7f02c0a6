/* What a block of the SQLite trail holds, for LookupEvents: a Bloom filter per block of
 * TRAIL_BLOCK events (by seq) over each event's lookup values, keyed by attribute, account
 * and value. A lookup reads the filters and scans the time index of its account, skipping
 * the events of blocks that cannot hold its value, where it used to keep one index per
 * attribute (an event cost 12 B-tree inserts; now one, and a filter per block). */
#ifndef FERRY_STORE_TRAILBLOOM_H
#define FERRY_STORE_TRAILBLOOM_H
#include <stddef.h>
#include <stdint.h>

/* events (seqs) a filter covers: block b is seqs [b*256, b*256+255] */
#define TRAIL_BLOCK       256
/* 4,096 bits: 0.7% false positives at 400 values a block, 2% at 500 */
#define TRAIL_BLOOM_BYTES 512

/* The lookup attributes a filter holds (ReadOnly has two values and none) */
enum {
    TRAIL_EVENT_ID,
    TRAIL_EVENT_NAME,
    TRAIL_USERNAME,
    TRAIL_EVENT_SOURCE,
    TRAIL_ACCESS_KEY,
    TRAIL_RESOURCE_TYPE,
    TRAIL_RESOURCE_NAME,
};

/* Adds (attr, account, value) to the filter bits[TRAIL_BLOOM_BYTES]; a NULL value adds
 * nothing (no lookup matches it). */
void trail_bloom_add(unsigned char *bits, int attr, const char *account, const char *value);
/* 0 when the filter bits[TRAIL_BLOOM_BYTES] surely does not hold (attr, account, value). */
int trail_bloom_may(const unsigned char *bits, int attr, const char *account, const char *value);

/* The set of blocks a lookup reads, as the blob its SQL function trail_maybe(set, seq) gets:
 * the first block's number, then a bit per block from it, set when the block may hold
 * the value. Blocks outside it may hold anything. */
typedef struct trail_blocks {
    int64_t first, n;
    unsigned char *bytes; /* 8 bytes of first, then (n+7)/8 of bits */
    size_t len;
} trail_blocks;
/* All of blocks first..first+n-1 maybe (0, or -1 out of memory) */
int trail_blocks_init(trail_blocks *b, int64_t first, int64_t n);
void trail_blocks_clear(trail_blocks *b, int64_t blk); /* blk surely lacks the value */
/* Whether the block of seq may hold the value, given the blob of a trail_blocks (NULL or
 * malformed: every block may). */
int trail_blocks_may(const unsigned char *blob, size_t len, int64_t seq);
void trail_blocks_free(trail_blocks *b);
#endif
