/* SQS message attributes: AWS's validation rules and the MD5 digests SendMessage and
 * ReceiveMessage answer with (MD5OfMessageAttributes, MD5OfMessageSystemAttributes), which
 * SDKs recompute and compare. Pure functions, no store. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/enc.h"
#include "sqs_int.h"

#define MAX_ATTRS 10
#define MAX_NAME  256

/* AWS: alphanumerics, '-', '_', '.'; not starting with "AWS." or "Amazon." (any case), no
 * leading, trailing or doubled '.', at most 256 characters. */
static int name_valid(const char *n)
{
    size_t len = strlen(n);
    if (!len || len > MAX_NAME || n[0] == '.' || n[len - 1] == '.' || strstr(n, "..")) return 0;
    if (!strncasecmp(n, "AWS.", 4) || !strncasecmp(n, "Amazon.", 7)) return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)n[i];
        if (!isalnum(ch) && ch != '-' && ch != '_' && ch != '.') return 0;
    }
    return 1;
}

/* "String", "Number", "Binary", optionally ".custom" (AWS: up to 256 characters). */
static int type_kind(const char *t)
{
    static const char *const base[] = {"String", "Number", "Binary"};
    if (strlen(t) > MAX_NAME) return -1;
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(base[i]);
        if (!strncmp(t, base[i], n) && (t[n] == 0 || (t[n] == '.' && t[n + 1]))) return i;
    }
    return -1;
}

static int number_valid(const char *s)
{
    /* AWS: numbers may be positive or negative, up to 38 digits of precision, between
     * 10^-128 and 10^+126 */
    char *end;
    if (!*s || isspace((unsigned char)*s)) return 0;
    strtod(s, &end);
    return *end == 0;
}

int sqs_attrs_check(const json_t *attrs, int system, size_t *size, ferr *e)
{
    if (!attrs) return 0;
    const char *who = system ? "system" : "user";
    if (!system && json_object_size(attrs) > MAX_ATTRS)
        return ferr_set(e, 400, "InvalidParameterValue",
                        "Number of message attributes [%zu] exceeds the allowed maximum [%d].",
                        json_object_size(attrs), MAX_ATTRS);
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)attrs, name, v) {
        if (system) {
            /* AWS: AWSTraceHeader is the only message system attribute a sender sets */
            if (strcmp(name, "AWSTraceHeader"))
                return ferr_set(e, 400, "InvalidParameterValue",
                                "Message system attribute name '%s' is invalid.", name);
        } else if (!name_valid(name)) {
            return ferr_set(e, 400, "InvalidParameterValue",
                            "Message (user) attribute name '%s' is invalid. Attribute names may "
                            "contain alphanumeric characters, hyphens, underscores and periods, "
                            "must not start or end with a period or repeat one, must not begin "
                            "with AWS. or Amazon., and can be up to 256 characters long.",
                            name);
        }
        const char *type = jstr(v, "DataType");
        if (!type || !*type)
            return ferr_set(e, 400, "InvalidParameterValue",
                            "The message %s attribute '%s' must contain a non-empty message "
                            "attribute type.",
                            who, name);
        int kind = type_kind(type);
        if (kind < 0 || (system && kind != 0))
            return ferr_set(e, 400, "InvalidParameterValue",
                            "The type of message (%s) attribute '%s' is invalid. You must use "
                            "only the following supported type prefixes: Binary, Number, String.",
                            who, name);
        if (json_object_get(v, "StringListValues") || json_object_get(v, "BinaryListValues"))
            return ferr_set(e, 400, "InvalidParameterValue",
                            "Message (%s) attribute '%s': StringListValues and BinaryListValues "
                            "are not implemented.",
                            who, name);
        const json_t *sv = json_object_get(v, "StringValue");
        const json_t *bv = json_object_get(v, "BinaryValue");
        size_t vlen = 0;
        if (kind == 2) {
            if (!json_is_string(bv) || !json_string_length(bv))
                return ferr_set(e, 400, "InvalidParameterValue",
                                "Message (%s) attribute '%s' must contain a non-empty message "
                                "attribute value for message attribute type '%s'.",
                                who, name, type);
            vlen = json_string_length(bv) / 4 * 3; /* decoded size, near enough */
        } else {
            if (!json_is_string(sv) || !json_string_length(sv))
                return ferr_set(e, 400, "InvalidParameterValue",
                                "Message (%s) attribute '%s' must contain a non-empty message "
                                "attribute value for message attribute type '%s'.",
                                who, name, type);
            unsigned bad;
            if (sqs_body_check(json_string_value(sv), json_string_length(sv), &bad))
                return ferr_set(e, 400, "InvalidParameterValue",
                                "Message (%s) attribute '%s' contains the invalid character "
                                "'#x%X'.",
                                who, name, bad);
            if (kind == 1 && !number_valid(json_string_value(sv)))
                return ferr_set(e, 400, "InvalidParameterValue",
                                "Can't cast the value of message (%s) attribute '%s' to a number.",
                                who, name);
            vlen = json_string_length(sv);
        }
        if (size) *size += strlen(name) + strlen(type) + vlen;
    }
    return 0;
}

static void put_len(buf *b, size_t n)
{
    unsigned char l[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                          (unsigned char)(n >> 8), (unsigned char)n};
    buf_put(b, l, 4);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int sqs_attrs_md5(const json_t *attrs, char out[33])
{
    size_t n = json_object_size(attrs);
    if (!n) return -1;
    const char **names = malloc(n * sizeof(*names));
    arena *a = arena_new(0);
    if (!names || !a) {
        free(names);
        arena_free(a);
        return -1;
    }
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)attrs, k, v) names[i++] = k;
    qsort(names, n, sizeof(*names), cmp_str);
    buf b;
    buf_init(&b, 0);
    int rc = 0;
    for (i = 0; i < n && !rc; i++) {
        const json_t *a1 = json_object_get(attrs, names[i]);
        const char *type = jstr(a1, "DataType");
        if (!type) {
            rc = -1;
            break;
        }
        put_len(&b, strlen(names[i]));
        buf_puts(&b, names[i]);
        put_len(&b, strlen(type));
        buf_puts(&b, type);
        const json_t *bv = json_object_get(a1, "BinaryValue");
        const json_t *sv = json_object_get(a1, "StringValue");
        if (type_kind(type) == 2 && json_is_string(bv)) {
            size_t len;
            unsigned char *raw = enc_unb64(a, json_string_value(bv), json_string_length(bv), &len);
            if (!raw) {
                rc = -1;
                break;
            }
            buf_putc(&b, 2);
            put_len(&b, len);
            buf_put(&b, raw, len);
        } else if (json_is_string(sv)) {
            buf_putc(&b, 1);
            put_len(&b, json_string_length(sv));
            buf_put(&b, json_string_value(sv), json_string_length(sv));
        } else {
            rc = -1;
        }
    }
    if (!rc && !b.failed)
        enc_md5_hex(b.p ? b.p : "", b.len, out);
    else
        rc = -1;
    buf_dispose(&b);
    free(names);
    arena_free(a);
    return rc;
}

/* Next UTF-8 code point (input already valid UTF-8). */
static unsigned next_cp(const unsigned char *s, size_t n, size_t *i)
{
    unsigned c = s[*i];
    size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (*i + len > n) len = n - *i;
    unsigned cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (size_t k = 1; k < len; k++) cp = (cp << 6) | (s[*i + k] & 0x3F);
    *i += len ? len : 1;
    return cp;
}

/* A word of 8 bytes all in 0x20-0x7F (allowed without a closer look). */
static int plain8(const unsigned char *p)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t w;
    memcpy(&w, p, 8);
    /* a byte >= 0x80, or a byte < 0x20 (subtracting 0x20 borrows into its high bit) */
    return !((w | ((w - 0x20 * ones) & ~w)) & highs);
}

int sqs_body_check(const char *s, size_t n, unsigned *bad)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (i + 8 <= n && plain8(u + i)) { /* bodies are mostly ASCII text */
            i += 8;
            continue;
        }
        unsigned cp = u[i] < 0x80 ? u[i++] : next_cp(u, n, &i);
        int ok = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                 (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
        if (!ok) {
            if (bad) *bad = cp;
            return -1;
        }
    }
    return 0;
}

int sqs_attr_selected(const json_t *names, const char *name)
{
    size_t i;
    const json_t *v;
    json_array_foreach(names, i, v) {
        const char *s = json_string_value(v);
        if (!s) continue;
        size_t n = strlen(s);
        if (!strcmp(s, "All") || !strcmp(s, ".*") || !strcmp(s, name)) return 1;
        /* "prefix.*": every attribute whose name starts with "prefix." */
        if (n > 2 && !strcmp(s + n - 2, ".*") && !strncmp(name, s, n - 1)) return 1;
    }
    return 0;
}
