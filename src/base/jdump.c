#include "jdump.h"

#include <inttypes.h>
#include <stdio.h>
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
static int by_jansson(buf *b, const json_t *j)
{
    return json_dump_callback(j, buf_sink, b, JSON_COMPACT | JSON_ENCODE_ANY) ? -1 : 0;
}

int jdump_string(buf *b, const char *s, size_t n)
{
    if (plain(s, n)) {
        int rc = buf_putc(b, '"') | buf_put(b, s, n) | buf_putc(b, '"');
        return rc ? -1 : 0;
    }
    json_t *j = json_stringn(s, n); /* NULL: not UTF-8 */
    int rc = j ? by_jansson(b, j) : -1;
    json_decref(j);
    return rc;
}

static int dump(buf *b, const json_t *j, int depth)
{
    if (depth > JDUMP_DEPTH) return by_jansson(b, j);
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        int rc = buf_putc(b, '{'), first = 1;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v) {
            size_t kl = json_object_iter_key_len(json_object_key_to_iter(k));
            if (!first) rc |= buf_putc(b, ',');
            first = 0;
            if (rc || jdump_string(b, k, kl) || buf_putc(b, ':') || dump(b, v, depth + 1))
                return -1;
        }
        return rc || buf_putc(b, '}') ? -1 : 0;
    }
    case JSON_ARRAY: {
        int rc = buf_putc(b, '[');
        for (size_t i = 0; !rc && i < json_array_size(j); i++)
            rc = (i && buf_putc(b, ',')) || dump(b, json_array_get(j, i), depth + 1);
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
    default: return by_jansson(b, j); /* reals: jansson's own formatting */
    }
}

int jdump(buf *b, const json_t *j)
{
    return j ? dump(b, j, 0) : -1;
}
