/* Recursive descent over RFC 8259 JSON, recording each value's span. The cursor advances
 * only over bytes that belong to the value being read; positions count code points (bytes
 * that are not UTF-8 continuation bytes). */
#include "jpos.h"

#include <stdio.h>
#include <string.h>

typedef struct parser {
    arena *a;
    const char *t;
    size_t len, i;
    jpos_pos pos;
    jpos_error *err;
    int depth;
    int oom;
} parser;

static void advance(parser *p)
{
    unsigned char ch = (unsigned char)p->t[p->i++];
    if (ch == '\n') {
        p->pos.line++;
        p->pos.column = 0;
        p->pos.offset++;
    } else if ((ch & 0xC0) != 0x80) {
        p->pos.column++;
        p->pos.offset++;
    }
}

static jpos_node *fail(parser *p, const char *msg)
{
    if (!p->err->message[0]) {
        p->err->at = p->pos;
        snprintf(p->err->message, sizeof(p->err->message), "%s", msg);
    }
    return NULL;
}

static jpos_node *fail_at(parser *p, jpos_pos at, const char *msg)
{
    p->pos = at;
    return fail(p, msg);
}

static jpos_node *oom(parser *p)
{
    p->oom = 1;
    return fail(p, "out of memory");
}

static void skip_ws(parser *p)
{
    while (p->i < p->len) {
        char ch = p->t[p->i];
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') break;
        advance(p);
    }
}

static jpos_node *node(parser *p, int type)
{
    jpos_node *n = arena_alloc(p->a, sizeof(*n));
    if (!n) return oom(p);
    n->type = type;
    n->start = p->pos;
    n->bstart = p->i;
    return n;
}

static void close_node(parser *p, jpos_node *n)
{
    n->end = p->pos;
    n->bend = p->i;
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char ch = s[k];
        v <<= 4;
        if (ch >= '0' && ch <= '9')
            v |= (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f')
            v |= (unsigned)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F')
            v |= (unsigned)(ch - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t utf8(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static jpos_node *string(parser *p)
{
    jpos_node *n = node(p, JPOS_STRING);
    if (!n) return NULL;
    advance(p); /* opening quote */
    /* the decoded text is never longer than the raw text */
    size_t cap = 0;
    for (size_t j = p->i; j < p->len && p->t[j] != '"'; j++, cap++)
        if (p->t[j] == '\\') j++, cap++;
    char *out = arena_alloc(p->a, cap + 8);
    if (!out) return oom(p);
    size_t o = 0;
    for (;;) {
        if (p->i >= p->len) return fail(p, "unterminated string");
        unsigned char ch = (unsigned char)p->t[p->i];
        if (ch == '"') break;
        if (ch < 0x20) return fail(p, "control character in string");
        if (ch != '\\') {
            out[o++] = (char)ch;
            advance(p);
            continue;
        }
        if (p->i + 1 >= p->len) return fail(p, "unterminated string");
        jpos_pos esc_at = p->pos; /* escape errors are reported where the escape starts */
        char esc = p->t[p->i + 1];
        const char *simple = strchr("\"\\/bfnrt", esc);
        if (esc && simple) {
            static const char map[] = "\"\\/\b\f\n\r\t";
            out[o++] = map[simple - "\"\\/bfnrt"];
            advance(p);
            advance(p);
            continue;
        }
        if (esc != 'u') return fail_at(p, esc_at, "invalid escape in string");
        unsigned cp, lo;
        if (p->i + 6 > p->len || hex4(p->t + p->i + 2, &cp))
            return fail_at(p, esc_at, "invalid \\u escape in string");
        for (int k = 0; k < 6; k++) advance(p);
        if (cp >= 0xD800 && cp <= 0xDBFF) { /* a surrogate pair */
            if (p->i + 6 > p->len || p->t[p->i] != '\\' || p->t[p->i + 1] != 'u' ||
                hex4(p->t + p->i + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                return fail_at(p, esc_at, "invalid surrogate pair in string");
            for (int k = 0; k < 6; k++) advance(p);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return fail_at(p, esc_at, "invalid surrogate pair in string");
        }
        if (cp == 0) return fail_at(p, esc_at, "NUL character in string");
        o += utf8(cp, out + o);
    }
    advance(p); /* closing quote */
    out[o] = 0;
    n->s = out;
    n->slen = o;
    close_node(p, n);
    return n;
}

static int is_digit(parser *p)
{
    return p->i < p->len && p->t[p->i] >= '0' && p->t[p->i] <= '9';
}

static jpos_node *number(parser *p)
{
    jpos_node *n = node(p, JPOS_NUMBER);
    if (!n) return NULL;
    if (p->t[p->i] == '-') advance(p);
    if (!is_digit(p)) return fail(p, "invalid number");
    if (p->t[p->i] == '0')
        advance(p);
    else
        while (is_digit(p)) advance(p);
    if (p->i < p->len && p->t[p->i] == '.') {
        advance(p);
        if (!is_digit(p)) return fail(p, "invalid number");
        while (is_digit(p)) advance(p);
    }
    if (p->i < p->len && (p->t[p->i] == 'e' || p->t[p->i] == 'E')) {
        advance(p);
        if (p->i < p->len && (p->t[p->i] == '+' || p->t[p->i] == '-')) advance(p);
        if (!is_digit(p)) return fail(p, "invalid number");
        while (is_digit(p)) advance(p);
    }
    close_node(p, n);
    if (!(n->s = arena_strndup(p->a, p->t + n->bstart, n->bend - n->bstart))) return oom(p);
    n->slen = n->bend - n->bstart;
    return n;
}

static jpos_node *literal(parser *p, const char *word, int type, int b)
{
    size_t wl = strlen(word);
    if (p->len - p->i < wl || memcmp(p->t + p->i, word, wl)) return fail(p, "invalid literal");
    jpos_node *n = node(p, type);
    if (!n) return NULL;
    for (size_t k = 0; k < wl; k++) advance(p);
    n->boolean = b;
    close_node(p, n);
    return n;
}

/* Appends to a growing arena vector. */
static int push(parser *p, jpos_node ***v, size_t n, size_t *cap, jpos_node *x)
{
    if (n == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        jpos_node **nv = arena_alloc(p->a, nc * sizeof(*nv));
        if (!nv) return -1;
        if (n) memcpy(nv, *v, n * sizeof(*nv));
        *v = nv;
        *cap = nc;
    }
    (*v)[n] = x;
    return 0;
}

static jpos_node *value(parser *p);

static jpos_node *array(parser *p)
{
    jpos_node *n = node(p, JPOS_ARRAY);
    if (!n) return NULL;
    advance(p);
    skip_ws(p);
    size_t cap = 0;
    if (p->i < p->len && p->t[p->i] == ']') {
        advance(p);
        close_node(p, n);
        return n;
    }
    for (;;) {
        jpos_node *item = value(p);
        if (!item) return NULL;
        if (push(p, &n->items, n->n, &cap, item)) return oom(p);
        n->n++;
        skip_ws(p);
        if (p->i >= p->len) return fail(p, "unterminated array");
        if (p->t[p->i] == ']') break;
        if (p->t[p->i] != ',') return fail(p, "expected ',' or ']'");
        advance(p);
    }
    advance(p);
    close_node(p, n);
    return n;
}

static jpos_node *object(parser *p)
{
    jpos_node *n = node(p, JPOS_OBJECT);
    if (!n) return NULL;
    advance(p);
    skip_ws(p);
    size_t kcap = 0, vcap = 0;
    if (p->i < p->len && p->t[p->i] == '}') {
        advance(p);
        close_node(p, n);
        return n;
    }
    for (;;) {
        skip_ws(p);
        if (p->i >= p->len || p->t[p->i] != '"') return fail(p, "expected a member name");
        jpos_node *k = string(p);
        if (!k) return NULL;
        for (size_t j = 0; j < n->n; j++)
            if (n->keys[j]->slen == k->slen && !memcmp(n->keys[j]->s, k->s, k->slen)) {
                p->pos = k->start;
                return fail(p, "duplicate member name");
            }
        skip_ws(p);
        if (p->i >= p->len || p->t[p->i] != ':') return fail(p, "expected ':'");
        advance(p);
        jpos_node *v = value(p);
        if (!v) return NULL;
        if (push(p, &n->keys, n->n, &kcap, k) || push(p, &n->items, n->n, &vcap, v)) return oom(p);
        n->n++;
        skip_ws(p);
        if (p->i >= p->len) return fail(p, "unterminated object");
        if (p->t[p->i] == '}') break;
        if (p->t[p->i] != ',') return fail(p, "expected ',' or '}'");
        advance(p);
    }
    advance(p);
    close_node(p, n);
    return n;
}

static jpos_node *value(parser *p)
{
    skip_ws(p);
    if (p->i >= p->len) return fail(p, "unexpected end of input");
    char ch = p->t[p->i];
    if (ch == '{' || ch == '[') {
        if (p->depth >= JPOS_MAX_DEPTH) return fail(p, "nested too deeply");
        p->depth++;
        jpos_node *n = ch == '{' ? object(p) : array(p);
        p->depth--;
        return n;
    }
    if (ch == '"') return string(p);
    if (ch == '-' || (ch >= '0' && ch <= '9')) return number(p);
    if (ch == 't') return literal(p, "true", JPOS_BOOL, 1);
    if (ch == 'f') return literal(p, "false", JPOS_BOOL, 0);
    if (ch == 'n') return literal(p, "null", JPOS_NULL, 0);
    return fail(p, "unexpected character");
}

jpos_node *jpos_parse(arena *a, const char *text, size_t len, jpos_error *err)
{
    memset(err, 0, sizeof(*err));
    parser p = {.a = a, .t = text ? text : "", .len = text ? len : 0, .pos = {1, 0, 0}, .err = err};
    jpos_node *root = value(&p);
    if (root) {
        skip_ws(&p);
        if (p.i < p.len) root = fail(&p, "unexpected text after the document");
    }
    if (p.oom) err->at.line = 0;
    return root;
}

const jpos_node *jpos_get(const jpos_node *obj, const char *key, const jpos_node **key_node)
{
    if (key_node) *key_node = NULL;
    if (!obj || obj->type != JPOS_OBJECT) return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (!strcmp(obj->keys[i]->s, key)) {
            if (key_node) *key_node = obj->keys[i];
            return obj->items[i];
        }
    return NULL;
}
