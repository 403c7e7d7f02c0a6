/* CloudWatch Logs filter patterns: a parser into a small tree and a matcher (filter.h).
 * Every node lives in one malloc'd pool owned by the filter. */
#include "filter.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 32  /* parentheses */
#define MAX_NODES 512 /* a 1,024-character pattern needs far fewer */
#define MAX_PATH  32  /* selector segments */

enum { K_TERMS, K_JSON, K_FIELDS };
enum { N_AND, N_OR, N_CMP };
enum { OP_EQ, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE, OP_NULL, OP_TRUE, OP_FALSE, OP_EXISTS, OP_ABSENT };

typedef struct seg {
    char *key; /* NULL: an index */
    long idx;
} seg;

typedef struct node {
    int type;
    struct node *l, *r;
    /* N_CMP */
    seg path[MAX_PATH];
    int npath;
    int op;
    int numeric; /* the value is a number */
    double num;
    char *str;
} node;

typedef struct term {
    char *text;
    char kind; /* ' ' required, '-' excluded, '?' optional */
} term;

typedef struct field {
    int ellipsis;
    node *cond; /* NULL: any value */
} field;

struct logs_filter {
    int kind;
    term *terms;
    size_t nterms;
    node *expr; /* K_JSON */
    field *fields;
    size_t nfields;
    /* the pool */
    node **nodes;
    size_t nnodes;
    char **strs;
    size_t nstrs;
};

typedef struct cur {
    logs_filter *f;
    const char *s;
    size_t i, n;
    int depth;
    int oom;
    const char *field; /* the space-delimited field whose condition is being read */
} cur;

static void skip_ws(cur *c)
{
    while (c->i < c->n &&
           (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n' || c->s[c->i] == '\r'))
        c->i++;
}

static int peek(cur *c, const char *tok)
{
    size_t n = strlen(tok);
    return c->n - c->i >= n && !memcmp(c->s + c->i, tok, n);
}

/* A copy of s[0, n) owned by the filter. */
static char *keep(cur *c, const char *s, size_t n)
{
    char **strs = realloc(c->f->strs, (c->f->nstrs + 1) * sizeof(*strs));
    char *p = malloc(n + 1);
    if (strs) c->f->strs = strs;
    if (!strs || !p) {
        free(p);
        c->oom = 1;
        return NULL;
    }
    memcpy(p, s, n);
    p[n] = 0;
    strs[c->f->nstrs++] = p;
    return p;
}

static node *new_node(cur *c, int type)
{
    if (c->f->nnodes == MAX_NODES) return NULL;
    node **all = realloc(c->f->nodes, (c->f->nnodes + 1) * sizeof(*all));
    node *n = calloc(1, sizeof(*n));
    if (all) c->f->nodes = all;
    if (!all || !n) {
        free(n);
        c->oom = 1;
        return NULL;
    }
    all[c->f->nnodes++] = n;
    n->type = type;
    return n;
}

/* A quoted string at the cursor (backslash escapes the next character): its text. */
static char *quoted(cur *c)
{
    size_t start = ++c->i;
    char *buf = malloc(c->n - start + 1);
    size_t len = 0;
    if (!buf) return c->oom = 1, NULL;
    while (c->i < c->n && c->s[c->i] != '"') {
        if (c->s[c->i] == '\\' && c->i + 1 < c->n) c->i++;
        buf[len++] = c->s[c->i++];
    }
    char *out = NULL;
    if (c->i < c->n) { /* the closing quote */
        c->i++;
        out = keep(c, buf, len);
    }
    free(buf);
    return out;
}

/* A bare word: up to whitespace or one of stops. */
static char *word(cur *c, const char *stops)
{
    size_t start = c->i;
    while (c->i < c->n && !strchr(" \t\r\n", c->s[c->i]) && !strchr(stops, c->s[c->i])) c->i++;
    return c->i > start ? keep(c, c->s + start, c->i - start) : NULL;
}

static int number(const char *s, double *out)
{
    char *end = NULL;
    if (!*s) return 0;
    *out = strtod(s, &end);
    return end && !*end;
}

static int keyword(cur *c, const char *kw)
{
    size_t n = strlen(kw);
    if (c->n - c->i < n || strncasecmp(c->s + c->i, kw, n)) return 0;
    char next = c->i + n < c->n ? c->s[c->i + n] : ' ';
    if (!strchr(" \t\r\n)}],&|", next)) return 0;
    c->i += n;
    return 1;
}

/* After a selector (or a field name): the operator and the value. */
static int comparison(cur *c, node *n, const char *stops)
{
    skip_ws(c);
    if (keyword(c, "IS")) {
        skip_ws(c);
        if (keyword(c, "NULL"))
            n->op = OP_NULL;
        else if (keyword(c, "TRUE"))
            n->op = OP_TRUE;
        else if (keyword(c, "FALSE"))
            n->op = OP_FALSE;
        else
            return -1;
        return 0;
    }
    if (keyword(c, "NOT")) {
        skip_ws(c);
        if (!keyword(c, "EXISTS")) return -1;
        n->op = OP_ABSENT;
        return 0;
    }
    if (keyword(c, "EXISTS")) {
        n->op = OP_EXISTS;
        return 0;
    }
    static const struct {
        const char *tok;
        int op;
    } ops[] = {{"!=", OP_NE}, {"<=", OP_LE}, {">=", OP_GE},
               {"=", OP_EQ},  {"<", OP_LT},  {">", OP_GT}};
    size_t k = 0;
    for (; k < sizeof(ops) / sizeof(ops[0]); k++)
        if (peek(c, ops[k].tok)) break;
    if (k == sizeof(ops) / sizeof(ops[0])) return -1;
    n->op = ops[k].op;
    c->i += strlen(ops[k].tok);
    skip_ws(c);
    if (c->i < c->n && c->s[c->i] == '"') {
        if (!(n->str = quoted(c))) return -1;
    } else if (!(n->str = word(c, stops))) {
        return -1;
    }
    n->numeric = number(n->str, &n->num);
    /* order comparisons are numeric only */
    if (n->op >= OP_LT && n->op <= OP_GE && !n->numeric) return -1;
    return 0;
}

/* $.a.b[0].c */
static int selector(cur *c, node *n)
{
    if (c->i >= c->n || c->s[c->i] != '$') return -1;
    c->i++;
    while (c->i < c->n && (c->s[c->i] == '.' || c->s[c->i] == '[')) {
        if (n->npath == MAX_PATH) return -1;
        seg *s = &n->path[n->npath++];
        if (c->s[c->i++] == '.') {
            size_t start = c->i;
            while (c->i < c->n && !strchr(" \t\r\n.[=!<>)&|}", c->s[c->i])) c->i++;
            if (c->i == start || !(s->key = keep(c, c->s + start, c->i - start))) return -1;
        } else {
            char *end = NULL;
            s->idx = strtol(c->s + c->i, &end, 10);
            if (end == c->s + c->i || s->idx < 0 || (size_t)(end - c->s) >= c->n || *end != ']')
                return -1;
            c->i = (size_t)(end - c->s) + 1;
        }
    }
    return n->npath ? 0 : -1;
}

static node *json_or(cur *c);

static node *json_unary(cur *c)
{
    skip_ws(c);
    if (c->i < c->n && c->s[c->i] == '(') {
        if (++c->depth > MAX_DEPTH) return NULL;
        c->i++;
        node *n = json_or(c);
        skip_ws(c);
        if (!n || c->i >= c->n || c->s[c->i] != ')') return NULL;
        c->i++;
        c->depth--;
        return n;
    }
    node *n = new_node(c, N_CMP);
    if (!n || selector(c, n) || comparison(c, n, ")}&|")) return NULL;
    return n;
}

static node *binary(cur *c, node *(*sub)(cur *), const char *tok, int type)
{
    node *l = sub(c);
    for (;;) {
        if (!l) return NULL;
        skip_ws(c);
        if (!peek(c, tok)) return l;
        c->i += 2;
        node *n = new_node(c, type);
        if (!n) return NULL;
        n->l = l;
        n->r = sub(c);
        if (!n->r) return NULL;
        l = n;
    }
}

static node *json_and(cur *c)
{
    return binary(c, json_unary, "&&", N_AND);
}

static node *json_or(cur *c)
{
    return binary(c, json_and, "||", N_OR);
}

/* One field's condition: NAME op VALUE joined by && and ||, all about this field. */
static node *field_cmp(cur *c, const char *name)
{
    skip_ws(c);
    size_t start = c->i;
    char *nm = word(c, "=!<>,]&|");
    if (!nm || strcmp(nm, name)) {
        c->i = start;
        return NULL;
    }
    node *n = new_node(c, N_CMP);
    if (!n || comparison(c, n, ",]&|")) return NULL;
    return n;
}

static node *field_and_sub(cur *c)
{
    return field_cmp(c, c->field);
}
static node *field_and(cur *c)
{
    return binary(c, field_and_sub, "&&", N_AND);
}

static int parse_fields(cur *c)
{
    c->i++; /* [ */
    for (;;) {
        skip_ws(c);
        field *fs = realloc(c->f->fields, (c->f->nfields + 1) * sizeof(*fs));
        if (!fs) return c->oom = 1, -1;
        c->f->fields = fs;
        field *fl = &fs[c->f->nfields++];
        memset(fl, 0, sizeof(*fl));
        if (peek(c, "...")) {
            c->i += 3;
            fl->ellipsis = 1;
        } else {
            size_t start = c->i;
            char *nm = word(c, "=!<>,]&|");
            if (!nm) return -1;
            skip_ws(c);
            if (c->i < c->n && c->s[c->i] != ',' && c->s[c->i] != ']') {
                c->i = start;
                c->field = nm;
                fl->cond = binary(c, field_and, "||", N_OR);
                if (!fl->cond) return -1;
            }
        }
        skip_ws(c);
        if (c->i >= c->n) return -1;
        if (c->s[c->i] == ']') {
            c->i++;
            return 0;
        }
        if (c->s[c->i++] != ',') return -1;
    }
}

static int parse_terms(cur *c)
{
    for (;;) {
        skip_ws(c);
        if (c->i >= c->n) return 0;
        char kind = ' ';
        if (c->s[c->i] == '-' || c->s[c->i] == '?') kind = c->s[c->i++];
        char *t = c->i < c->n && c->s[c->i] == '"' ? quoted(c) : word(c, "\"");
        if (!t) return -1;
        term *ts = realloc(c->f->terms, (c->f->nterms + 1) * sizeof(*ts));
        if (!ts) return c->oom = 1, -1;
        c->f->terms = ts;
        ts[c->f->nterms++] = (term){t, kind};
    }
}

logs_filter *logs_filter_parse(const char *pattern, ferr *e)
{
    logs_filter *f = calloc(1, sizeof(*f));
    if (!f) return ferr_oom(e), NULL;
    cur c = {f, pattern, 0, strlen(pattern), 0, 0, NULL};
    skip_ws(&c);
    int rc;
    if (c.i < c.n && pattern[c.i] == '{') {
        f->kind = K_JSON;
        c.i++;
        f->expr = json_or(&c);
        skip_ws(&c);
        rc = f->expr && c.i < c.n && pattern[c.i] == '}' ? 0 : -1;
        if (!rc) c.i++;
    } else if (c.i < c.n && pattern[c.i] == '[') {
        f->kind = K_FIELDS;
        rc = parse_fields(&c);
    } else {
        f->kind = K_TERMS;
        /* "" alone is the empty pattern */
        if (c.n - c.i == 2 && !strcmp(pattern + c.i, "\"\"")) c.i = c.n;
        rc = parse_terms(&c);
    }
    skip_ws(&c);
    if (!rc && c.i != c.n) rc = -1;
    if (!rc) return f;
    logs_filter_free(f);
    if (c.oom) return ferr_oom(e), NULL;
    ferr_set(e, 400, "InvalidParameterException", "Invalid filter pattern");
    return NULL;
}

void logs_filter_free(logs_filter *f)
{
    if (!f) return;
    for (size_t i = 0; i < f->nstrs; i++) free(f->strs[i]);
    for (size_t i = 0; i < f->nnodes; i++) free(f->nodes[i]);
    free(f->nodes);
    free(f->strs);
    free(f->terms);
    free(f->fields);
    free(f);
}

/* ---- matching ---- */

/* glob with '*' against s[0, n) */
static int glob(const char *p, const char *s, size_t n)
{
    size_t si = 0, star_s = 0;
    const char *star = NULL;
    while (si < n) {
        if (*p == '*') {
            star = ++p;
            star_s = si;
        } else if (*p && *p == s[si]) {
            p++;
            si++;
        } else if (star) {
            p = star;
            si = ++star_s;
        } else {
            return 0;
        }
    }
    while (*p == '*') p++;
    return !*p;
}

static int contains(const char *msg, size_t len, const char *t)
{
    size_t n = strlen(t);
    if (!n) return 1;
    for (size_t i = 0; i + n <= len; i++)
        if (msg[i] == t[0] && !memcmp(msg + i, t, n)) return 1;
    return 0;
}

/* A comparison against a text value (s, n) that is present. */
static int cmp_text(const node *c, const char *s, size_t n)
{
    double v;
    char buf[64];
    int isnum = 0;
    if (n < sizeof(buf)) {
        memcpy(buf, s, n);
        buf[n] = 0;
        isnum = number(buf, &v);
    }
    switch (c->op) {
    case OP_EQ:
    case OP_NE: {
        int eq = c->numeric && isnum ? v == c->num : glob(c->str, s, n);
        return c->op == OP_EQ ? eq : !eq;
    }
    case OP_LT: return isnum && v < c->num;
    case OP_GT: return isnum && v > c->num;
    case OP_LE: return isnum && v <= c->num;
    case OP_GE: return isnum && v >= c->num;
    case OP_EXISTS: return 1;
    default: return 0;
    }
}

static int eval_json(const node *n, const json_t *doc)
{
    if (n->type == N_AND) return eval_json(n->l, doc) && eval_json(n->r, doc);
    if (n->type == N_OR) return eval_json(n->l, doc) || eval_json(n->r, doc);
    const json_t *v = doc;
    for (int i = 0; v && i < n->npath; i++)
        v = n->path[i].key ? json_object_get(v, n->path[i].key)
                           : json_array_get(v, (size_t)n->path[i].idx);
    if (n->op == OP_ABSENT) return !v;
    if (!v) return 0;
    switch (n->op) {
    case OP_NULL: return json_is_null(v);
    case OP_TRUE: return json_is_true(v);
    case OP_FALSE: return json_is_false(v);
    case OP_EXISTS: return 1;
    default: break;
    }
    if (json_is_number(v)) {
        double x = json_number_value(v);
        if (!n->numeric) return n->op == OP_NE;
        switch (n->op) {
        case OP_EQ: return x == n->num;
        case OP_NE: return x != n->num;
        case OP_LT: return x < n->num;
        case OP_GT: return x > n->num;
        case OP_LE: return x <= n->num;
        default: return x >= n->num;
        }
    }
    if (json_is_string(v)) {
        if (n->op != OP_EQ && n->op != OP_NE) return 0;
        int eq = glob(n->str, json_string_value(v), json_string_length(v));
        return n->op == OP_EQ ? eq : !eq;
    }
    if (json_is_boolean(v) && (n->op == OP_EQ || n->op == OP_NE)) {
        int eq = !strcmp(n->str, json_is_true(v) ? "true" : "false");
        return n->op == OP_EQ ? eq : !eq;
    }
    return 0;
}

static int eval_field(const node *n, const char *s, size_t len)
{
    if (n->type == N_AND) return eval_field(n->l, s, len) && eval_field(n->r, s, len);
    if (n->type == N_OR) return eval_field(n->l, s, len) || eval_field(n->r, s, len);
    return cmp_text(n, s, len);
}

typedef struct span {
    const char *s;
    size_t n;
} span;

/* The message's fields: whitespace-separated, "quoted" and [bracketed] ones whole. */
static size_t split(const char *msg, size_t len, span *out, size_t max)
{
    size_t i = 0, k = 0;
    while (k < max) {
        while (i < len && strchr(" \t\r\n", msg[i])) i++;
        if (i >= len) break;
        char close = msg[i] == '"' ? '"' : msg[i] == '[' ? ']' : 0;
        size_t start = close ? ++i : i;
        while (i < len && (close ? msg[i] != close : !strchr(" \t\r\n", msg[i]))) i++;
        out[k++] = (span){msg + start, i - start};
        if (close && i < len) i++;
    }
    return k;
}

/* memo[pi * (k + 1) + mi]: 0 unknown, 1 no, 2 yes */
static int fields_from(const logs_filter *f, size_t pi, const span *m, size_t mi, size_t k,
                       unsigned char *memo)
{
    unsigned char *at = &memo[pi * (k + 1) + mi];
    if (*at) return *at == 2;
    int ok;
    if (pi == f->nfields) {
        ok = mi == k;
    } else if (f->fields[pi].ellipsis) {
        ok = 0;
        for (size_t j = mi; !ok && j <= k; j++) ok = fields_from(f, pi + 1, m, j, k, memo);
    } else {
        ok = mi < k && (!f->fields[pi].cond || eval_field(f->fields[pi].cond, m[mi].s, m[mi].n)) &&
             fields_from(f, pi + 1, m, mi + 1, k, memo);
    }
    *at = ok ? 2 : 1;
    return ok;
}

#define MAX_FIELDS 1024 /* fields of a message a space-delimited pattern looks at */

int logs_filter_match(const logs_filter *f, const char *msg, size_t len)
{
    if (f->kind == K_TERMS) {
        int any_optional = 0, optional_hit = 0;
        for (size_t i = 0; i < f->nterms; i++) {
            int hit = contains(msg, len, f->terms[i].text);
            if (f->terms[i].kind == ' ' && !hit) return 0;
            if (f->terms[i].kind == '-' && hit) return 0;
            if (f->terms[i].kind == '?') {
                any_optional = 1;
                optional_hit |= hit;
            }
        }
        return !any_optional || optional_hit;
    }
    if (f->kind == K_JSON) {
        json_error_t je;
        json_t *doc = json_loadb(msg, len, 0, &je);
        int ok = doc && eval_json(f->expr, doc);
        json_decref(doc);
        return ok;
    }
    span *m = malloc(MAX_FIELDS * sizeof(*m));
    if (!m) return 0;
    size_t k = split(msg, len, m, MAX_FIELDS);
    unsigned char *memo = calloc((f->nfields + 1) * (k + 1), 1);
    int ok = memo && fields_from(f, 0, m, 0, k, memo);
    free(memo);
    free(m);
    return ok;
}
