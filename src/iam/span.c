/* Statement positions in a policy's text (span.h): a scanner over the JSON that finds the
 * top-level "Statement" member without building anything. The documents it is given were
 * parsed already; it still checks every byte it reads, for the fuzzer's sake. */
#include "iam/span.h"

#include <string.h>

typedef struct cur {
    const char *s;
    size_t n, i;
} cur;

static void ws(cur *c)
{
    while (c->i < c->n && strchr(" \t\r\n", c->s[c->i]) && c->s[c->i]) c->i++;
}

static int peek(const cur *c)
{
    return c->i < c->n ? (unsigned char)c->s[c->i] : -1;
}

/* Past a string whose '"' is at the cursor; *b and *bl get its raw contents. */
static int string(cur *c, const char **b, size_t *bl)
{
    if (peek(c) != '"') return -1;
    size_t start = ++c->i;
    while (c->i < c->n && c->s[c->i] != '"') c->i += c->s[c->i] == '\\' ? 2 : 1;
    if (c->i >= c->n) return -1;
    if (b) *b = c->s + start, *bl = c->i - start;
    c->i++;
    return 0;
}

/* Past one value of any kind; nesting is bounded by the text (counted, not recursed). */
static int value(cur *c)
{
    ws(c);
    int ch = peek(c);
    if (ch == '"') return string(c, NULL, NULL);
    if (ch != '{' && ch != '[') { /* a number, true, false or null */
        size_t from = c->i;
        while (c->i < c->n && !strchr(",}] \t\r\n", c->s[c->i]) && c->s[c->i]) c->i++;
        return c->i > from ? 0 : -1;
    }
    size_t depth = 0;
    while (c->i < c->n) {
        ch = peek(c);
        if (ch == '"') {
            if (string(c, NULL, NULL)) return -1;
            continue;
        }
        if (ch == '{' || ch == '[') depth++;
        if (ch == '}' || ch == ']') {
            if (!--depth) {
                c->i++;
                return 0;
            }
        }
        c->i++;
    }
    return -1;
}

/* Line and column (from 1, in characters) just after byte off. */
static iam_pos pos_after(const char *s, size_t off)
{
    iam_pos p = {1, 1};
    for (size_t i = 0; i <= off; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\r' || (ch == '\n' && !(i && s[i - 1] == '\r'))) {
            p.line++;
            p.column = 1;
        } else if (ch != '\n' && (ch & 0xC0) != 0x80) {
            p.column++; /* a UTF-8 continuation byte is part of the character before */
        }
    }
    return p;
}

/* The object at the cursor: its '{' and '}' offsets. */
static int object(cur *c, size_t *open, size_t *close)
{
    ws(c);
    if (peek(c) != '{') return -1;
    *open = c->i;
    if (value(c)) return -1;
    *close = c->i - 1;
    return 0;
}

int iam_stmt_span(const char *json, size_t len, size_t index, iam_pos *start, iam_pos *end)
{
    if (!json) return -1;
    cur c = {json, len, 0};
    ws(&c);
    if (peek(&c) != '{') return -1;
    c.i++;
    for (;;) {
        ws(&c);
        const char *k;
        size_t kl;
        if (string(&c, &k, &kl)) return -1;
        ws(&c);
        if (peek(&c) != ':') return -1;
        c.i++;
        if (kl == 9 && !memcmp(k, "Statement", 9)) break;
        if (value(&c)) return -1;
        ws(&c);
        if (peek(&c) != ',') return -1; /* the end of the document: no Statement */
        c.i++;
    }
    ws(&c);
    size_t open, close;
    if (peek(&c) == '{') {
        if (index || object(&c, &open, &close)) return -1;
    } else {
        if (peek(&c) != '[') return -1;
        c.i++;
        for (size_t i = 0;; i++) {
            ws(&c);
            if (i == index) {
                if (object(&c, &open, &close)) return -1;
                break;
            }
            if (value(&c)) return -1;
            ws(&c);
            if (peek(&c) != ',') return -1;
            c.i++;
        }
    }
    *start = pos_after(json, open);
    *end = pos_after(json, close);
    return 0;
}
