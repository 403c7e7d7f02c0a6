#include "jdump.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 when JSON writes s[0..n) as it is between quotes */
static int plain(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') return 0;
    }
    return 1;
}

/* jansson's text of j (JSON_ENCODE_ANY: a bare value too) */
static int by_jansson(buf *b, const json_t *j, int flags)
{
    size_t f = JSON_COMPACT | JSON_ENCODE_ANY | (flags & JDUMP_SORT_KEYS ? JSON_SORT_KEYS : 0);
    return json_dump_callback(j, buf_sink, b, f) ? -1 : 0;
}

int jdump_string(buf *b, const char *s, size_t n)
{
    if (plain(s, n)) {
        int rc = buf_putc(b, '"') | buf_put(b, s, n) | buf_putc(b, '"');
        return rc ? -1 : 0;
    }
    json_t *j = json_stringn(s, n); /* NULL: not UTF-8 */
    int rc = j ? by_jansson(b, j, 0) : -1;
    json_decref(j);
    return rc;
}

typedef struct member {
    const char *key;
    size_t len;
    json_t *v;
} member;

/* jansson's order of sorted keys: bytes, then the shorter first */
static int by_key(const void *x, const void *y)
{
    const member *a = x, *b = y;
    int d = memcmp(a->key, b->key, a->len < b->len ? a->len : b->len);
    return d ? d : (a->len > b->len) - (a->len < b->len);
}

static int dump(buf *b, const json_t *j, int depth, int flags);

static int dump_object(buf *b, const json_t *j, int depth, int flags)
{
    size_t n = json_object_size(j), i = 0;
    member small[16], *m = n <= 16 ? small : malloc(n * sizeof(*m));
    if (!m) return -1;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v) {
        if (i == n) break;
        m[i++] = (member){k, json_object_iter_key_len(json_object_key_to_iter(k)), v};
    }
    if (flags & JDUMP_SORT_KEYS) qsort(m, i, sizeof(*m), by_key);
    int rc = buf_putc(b, '{');
    for (size_t x = 0; !rc && x < i; x++)
        rc = (x && buf_putc(b, ',')) || jdump_string(b, m[x].key, m[x].len) || buf_putc(b, ':') ||
             dump(b, m[x].v, depth + 1, flags);
    if (m != small) free(m);
    return rc || buf_putc(b, '}') ? -1 : 0;
}

static int dump(buf *b, const json_t *j, int depth, int flags)
{
    if (depth > JDUMP_DEPTH) return by_jansson(b, j, flags);
    switch (json_typeof(j)) {
    case JSON_OBJECT: return dump_object(b, j, depth, flags);
    case JSON_ARRAY: {
        int rc = buf_putc(b, '[');
        for (size_t i = 0; !rc && i < json_array_size(j); i++)
            rc = (i && buf_putc(b, ',')) || dump(b, json_array_get(j, i), depth + 1, flags);
        return rc || buf_putc(b, ']') ? -1 : 0;
    }
    case JSON_STRING: return jdump_string(b, json_string_value(j), json_string_length(j));
    case JSON_INTEGER: {
        char n[32];
        int len = snprintf(n, sizeof(n), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        return buf_put(b, n, (size_t)len) ? -1 : 0;
    }
    case JSON_TRUE: return buf_puts(b, "true") ? -1 : 0;
    case JSON_FALSE: return buf_puts(b, "false") ? -1 : 0;
    case JSON_NULL: return buf_puts(b, "null") ? -1 : 0;
    default: return by_jansson(b, j, flags); /* reals: jansson's own formatting */
    }
}

int jdump(buf *b, const json_t *j)
{
    return j ? dump(b, j, 0, 0) : -1;
}

int jdump_ex(buf *b, const json_t *j, int flags)
{
    return j ? dump(b, j, 0, flags) : -1;
}
