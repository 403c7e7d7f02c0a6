/* Compact JSON text of jansson values into a buf, byte for byte what
 * json_dump_callback(j, ..., JSON_COMPACT | JSON_ENCODE_ANY) writes, without its cost for
 * the plain parts: jansson's dump keeps a set of the containers it is inside (a formatted
 * pointer and a hash insert per object and array, against cycles) and walks every string
 * a code point at a time. That was a sixth of a small KMS answer's CPU. Here containers,
 * integers, literals and strings of printable ASCII without '"' or '\' are written
 * directly; reals, and strings that need escaping or UTF-8 checking, are still
 * jansson's. Values are trees (no cycles): anything nested deeper than JDUMP_DEPTH is
 * handed to jansson whole. */
#ifndef FERRY_BASE_JDUMP_H
#define FERRY_BASE_JDUMP_H
#include <jansson.h>
#include <stddef.h>

#include "buf.h"

#define JDUMP_DEPTH 256

/* j into b: 0, or -1 (b may hold part of it) when jansson would fail, or no memory. */
int jdump(buf *b, const json_t *j);
/* As jdump, with JDUMP_SORT_KEYS: each object's keys in JSON_SORT_KEYS's order. */
#define JDUMP_SORT_KEYS 1
int jdump_ex(buf *b, const json_t *j, int flags);
/* s[0..n) as a JSON string into b: 0, or -1 when it is not UTF-8 (or no memory). */
int jdump_string(buf *b, const char *s, size_t n);
#endif
