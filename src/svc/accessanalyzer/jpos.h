/* A JSON parser that remembers where every value is, for findings that point into the
 * document as IAM Access Analyzer's do: line (from 1), column and offset (from 0), counted
 * in characters (Unicode code points), end exclusive. Nodes live in the caller's arena.
 * Duplicate object keys are a syntax error, as IAM's own parser treats them. */
#ifndef FERRY_AA_JPOS_H
#define FERRY_AA_JPOS_H
#include <stddef.h>

#include "base/arena.h"

typedef struct jpos_pos {
    int line, column, offset;
} jpos_pos;

enum { JPOS_NULL, JPOS_BOOL, JPOS_NUMBER, JPOS_STRING, JPOS_ARRAY, JPOS_OBJECT };

typedef struct jpos_node jpos_node;
struct jpos_node {
    int type;
    jpos_pos start, end; /* the value's span, quotes and brackets included */
    size_t bstart, bend; /* the same span in bytes of the text */
    const char *s;       /* STRING: decoded, NUL-terminated; NUMBER: the literal */
    size_t slen;
    int boolean;       /* BOOL */
    size_t n;          /* ARRAY items, OBJECT members */
    jpos_node **items; /* ARRAY items, OBJECT values */
    jpos_node **keys;  /* OBJECT keys (STRING nodes) */
};

typedef struct jpos_error {
    jpos_pos at;
    char message[96];
} jpos_error;

/* The nesting depth past which a document is refused (a syntax error here). */
#define JPOS_MAX_DEPTH 64

/* Parses text[0..len). Returns the root (arena-owned), or NULL with *err (or OOM: NULL with
 * err->message "out of memory" and at.line 0). */
jpos_node *jpos_parse(arena *a, const char *text, size_t len, jpos_error *err);
/* The value of key in obj (case-sensitive), or NULL; *key_node gets the key when asked. */
const jpos_node *jpos_get(const jpos_node *obj, const char *key, const jpos_node **key_node);

#endif
