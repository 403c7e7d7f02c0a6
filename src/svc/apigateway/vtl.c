/* Mapping templates (vtl.h). */
#include "vtl.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/enc.h"
#include "base/jval.h"

/* A JSONPath of dots only ("$", "$.a.b") into the body. New reference or NULL. */
static json_t *json_path(const apigw_vtl_ctx *x, const char *path, size_t n)
{
    json_t *doc = json_loadb(x->body ? x->body : "", x->body_len, JSON_DECODE_ANY, NULL);
    if (!doc) return NULL;
    json_t *cur = doc;
    if (!n || path[0] != '$') {
        json_decref(doc);
        return NULL;
    }
    size_t i = 1;
    while (cur && i < n) {
        if (path[i] != '.') {
            cur = NULL;
            break;
        }
        size_t j = ++i;
        while (j < n && path[j] != '.') j++;
        char key[256];
        if (j - i >= sizeof(key)) {
            cur = NULL;
            break;
        }
        memcpy(key, path + i, j - i);
        key[j - i] = 0;
        cur = json_object_get(cur, key);
        i = j;
    }
    json_t *v = cur ? json_incref(cur) : NULL;
    json_decref(doc);
    return v;
}

/* The quoted argument of "('...')" at p (n bytes): its text and where the call ends. */
static int quoted_arg(const char *p, size_t n, const char **arg, size_t *alen, size_t *used)
{
    if (n < 4 || p[0] != '(' || (p[1] != '\'' && p[1] != '"')) return -1;
    char q = p[1];
    const char *end = memchr(p + 2, q, n - 2);
    if (!end || (size_t)(end - p) + 1 >= n || end[1] != ')') return -1;
    *arg = p + 2;
    *alen = (size_t)(end - p - 2);
    *used = (size_t)(end - p) + 2;
    return 0;
}

static int name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-';
}

/* A reference at p ("input.body", "context.requestId"...), without the '$': its value into
 * *val (in the arena) and the bytes it took; -1 when not one this subset knows. */
static int reference(arena *a, const apigw_vtl_ctx *x, const char *p, size_t n, const char **val,
                     size_t *vlen, size_t *used);

static int util_call(arena *a, const apigw_vtl_ctx *x, const char *p, size_t n, const char **val,
                     size_t *vlen, size_t *used)
{
    static const char *const fns[] = {"escapeJavaScript", "urlEncode", "base64Encode"};
    for (size_t f = 0; f < 3; f++) {
        size_t fl = strlen(fns[f]);
        if (n < fl + 3 || strncmp(p, fns[f], fl) || p[fl] != '(') continue;
        const char *in;
        size_t il, u;
        const char *q = p + fl + 1;
        if (*q == '$') {
            if (reference(a, x, q + 1, n - fl - 2, &in, &il, &u)) return -1;
            u += 1;
        } else if (*q == '\'' || *q == '"') {
            const char *end = memchr(q + 1, *q, n - fl - 2);
            if (!end) return -1;
            in = q + 1, il = (size_t)(end - q - 1), u = il + 2;
        } else {
            return -1;
        }
        if ((size_t)(q - p) + u >= n || q[u] != ')') return -1;
        *used = (size_t)(q - p) + u + 1;
        if (f == 1) {
            *val = enc_url_encode(a, in, il, 0);
            *vlen = *val ? strlen(*val) : 0;
        } else if (f == 2) {
            *val = enc_b64(a, (const unsigned char *)in, il);
            *vlen = *val ? strlen(*val) : 0;
        } else {
            buf b;
            buf_init(&b, 0);
            for (size_t i = 0; i < il; i++) {
                char ch = in[i];
                if (ch == '"' || ch == '\'' || ch == '\\')
                    buf_putc(&b, '\\'), buf_putc(&b, ch);
                else if (ch == '\n')
                    buf_puts(&b, "\\n");
                else if (ch == '\r')
                    buf_puts(&b, "\\r");
                else if (ch == '\t')
                    buf_puts(&b, "\\t");
                else
                    buf_putc(&b, ch);
            }
            *vlen = b.len;
            *val = arena_strndup(a, buf_str(&b), b.len);
            buf_dispose(&b);
        }
        return *val ? 0 : -1;
    }
    return -1;
}

/* A dotted name path into obj ("identity.sourceIp"): the scalar's text. */
static int member(arena *a, const json_t *obj, const char *p, size_t n, const char **val,
                  size_t *vlen, size_t *used)
{
    size_t i = 0;
    const json_t *cur = obj;
    while (cur && i < n) {
        size_t j = i;
        while (j < n && name_char(p[j])) j++;
        if (j == i) break;
        char key[128];
        if (j - i >= sizeof(key)) return -1;
        memcpy(key, p + i, j - i);
        key[j - i] = 0;
        cur = json_object_get(cur, key);
        i = j;
        if (!json_is_object(cur) || i >= n || p[i] != '.' || i + 1 >= n || !name_char(p[i + 1]))
            break;
        i++;
    }
    if (!cur || json_is_object(cur) || !i) return -1;
    if (json_is_string(cur)) {
        *val = json_string_value(cur);
    } else {
        char *t = json_dumps(cur, JSON_ENCODE_ANY | JSON_COMPACT);
        *val = t ? arena_strdup(a, t) : NULL;
        free(t);
        if (!*val) return -1;
    }
    *vlen = strlen(*val);
    *used = i;
    return 0;
}

static int reference(arena *a, const apigw_vtl_ctx *x, const char *p, size_t n, const char **val,
                     size_t *vlen, size_t *used)
{
    if (n >= 10 && !strncmp(p, "input.body", 10) && (n == 10 || !name_char(p[10]))) {
        *val = x->body ? x->body : "", *vlen = x->body_len, *used = 10;
        return 0;
    }
    const char *arg;
    size_t al, u;
    if (n > 10 && !strncmp(p, "input.json", 10) && !quoted_arg(p + 10, n - 10, &arg, &al, &u)) {
        json_t *v = json_path(x, arg, al);
        char *t = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
        json_decref(v);
        *val = arena_strdup(a, t ? t : "null");
        free(t);
        *vlen = *val ? strlen(*val) : 0;
        *used = 10 + u;
        return *val ? 0 : -1;
    }
    if (n > 12 && !strncmp(p, "input.params", 12) && !quoted_arg(p + 12, n - 12, &arg, &al, &u)) {
        char *name = arena_strndup(a, arg, al);
        const char *v = name ? jstr(x->path, name) : NULL;
        if (name && !v) v = jstr(x->query, name);
        if (name && !v) v = jstr(x->headers, name);
        *val = v ? v : "", *vlen = strlen(*val), *used = 12 + u;
        return name ? 0 : -1;
    }
    if (n > 8 && !strncmp(p, "context.", 8) &&
        !member(a, x->context, p + 8, n - 8, val, vlen, &u)) {
        *used = 8 + u;
        return 0;
    }
    if (n > 15 && !strncmp(p, "stageVariables.", 15) &&
        !member(a, x->stage_vars, p + 15, n - 15, val, vlen, &u)) {
        *used = 15 + u;
        return 0;
    }
    if (n > 5 && !strncmp(p, "util.", 5) && !util_call(a, x, p + 5, n - 5, val, vlen, &u)) {
        *used = 5 + u;
        return 0;
    }
    return -1;
}

int apigw_vtl_render(arena *a, const char *tpl, const apigw_vtl_ctx *x, buf *out)
{
    size_t n = strlen(tpl);
    for (size_t i = 0; i < n;) {
        const char *d = memchr(tpl + i, '$', n - i);
        size_t lit = d ? (size_t)(d - tpl) - i : n - i;
        if (buf_put(out, tpl + i, lit)) return -1;
        i += lit;
        if (!d) break;
        size_t j = i + 1;
        int quiet = j < n && tpl[j] == '!';
        if (quiet) j++;
        int brace = j < n && tpl[j] == '{';
        if (brace) j++;
        const char *val;
        size_t vlen, used;
        if (!reference(a, x, tpl + j, n - j, &val, &vlen, &used) &&
            (!brace || (j + used < n && tpl[j + used] == '}'))) {
            if (buf_put(out, val, vlen)) return -1;
            i = j + used + (brace ? 1 : 0);
        } else {
            if (buf_putc(out, '$')) return -1;
            i++;
        }
    }
    return out->failed ? -1 : 0;
}
