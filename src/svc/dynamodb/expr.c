/* DynamoDB's expression language, one parser for its five uses: conditions (and filters),
 * projections, updates and key conditions. Text is parsed into a tree in the call's arena
 * with the request's ExpressionAttributeNames and Values resolved; the tree is then
 * evaluated against items (JSON objects of AttributeValues). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/decnum.h"
#include "base/enc.h"
#include "dynamodb_int.h"

/* AWS: an expression is at most 4 KB */
#define MAX_TEXT  4096
#define MAX_DEPTH 100

enum { N_PATH, N_VAL, N_FN, N_CMP, N_BETWEEN, N_IN, N_AND, N_OR, N_NOT, N_ARITH };
enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };
enum { A_SET, A_REMOVE, A_ADD, A_DELETE };

typedef struct pel {
    const char *name; /* NULL: a list index */
    long index;
} pel;

typedef struct node {
    int kind, op;
    const char *fn;
    struct node **kids;
    int nkids;
    pel *els;
    int nels;
    const json_t *val;
} node;

typedef struct action {
    int type;
    node *path, *value;
} action;

struct ddb_expr {
    ddb_expr_kind kind;
    node *root;      /* conditions */
    node **paths;    /* projections */
    action *actions; /* updates */
    int n;
};

typedef struct parser {
    call *c;
    ddb_expr_kind kind;
    const char *s, *p, *tok; /* text, cursor, the current token's start */
    size_t toklen;
    const json_t *names, *values;
    json_t *used;
    int depth;
} parser;

static const char *kind_word(ddb_expr_kind k)
{
    switch (k) {
    case DDB_COND: return "ConditionExpression";
    case DDB_FILTER: return "FilterExpression";
    case DDB_PROJ: return "ProjectionExpression";
    case DDB_UPDATE: return "UpdateExpression";
    default: return "KeyConditionExpression";
    }
}

static int syntax(parser *ps)
{
    if (!ps->toklen)
        return ddb_validation(ps->c, "Invalid %s: Syntax error; token: \"<EOF>\", near: \"%.20s\"",
                              kind_word(ps->kind), ps->tok > ps->s + 10 ? ps->tok - 10 : ps->s);
    return ddb_validation(ps->c, "Invalid %s: Syntax error; token: \"%.*s\", near: \"%.20s\"",
                          kind_word(ps->kind), (int)ps->toklen, ps->tok,
                          ps->tok > ps->s + 5 ? ps->tok - 5 : ps->s);
}

/* ---- tokens ---- */

static int word_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_';
}

/* Moves to the next token: tok/toklen (toklen 0 at the end). */
static void next(parser *ps)
{
    while (*ps->p && isspace((unsigned char)*ps->p)) ps->p++;
    ps->tok = ps->p;
    if (!*ps->p) {
        ps->toklen = 0;
        return;
    }
    const char *q = ps->p;
    if (*q == '#' || *q == ':') {
        q++;
        while (word_char(*q)) q++;
    } else if (word_char(*q)) {
        while (word_char(*q)) q++;
    } else if ((q[0] == '<' && (q[1] == '>' || q[1] == '=')) || (q[0] == '>' && q[1] == '=')) {
        q += 2;
    } else {
        q++;
    }
    ps->toklen = (size_t)(q - ps->p);
    ps->p = q;
}

static int is(parser *ps, const char *t)
{
    return ps->toklen == strlen(t) && !strncmp(ps->tok, t, ps->toklen);
}

/* Keywords are case-insensitive. */
static int is_kw(parser *ps, const char *kw)
{
    return ps->toklen == strlen(kw) && !strncasecmp(ps->tok, kw, ps->toklen);
}

static int expect(parser *ps, const char *t)
{
    if (!is(ps, t)) return syntax(ps);
    next(ps);
    return 0;
}

static node *mk(parser *ps, int kind)
{
    node *n = arena_alloc(ps->c->a, sizeof(*n));
    if (!n) ferr_oom(ps->c->err);
    if (n) n->kind = kind;
    return n;
}

static int add_kid(parser *ps, node *n, node *k)
{
    node **kids = arena_alloc(ps->c->a, sizeof(node *) * (size_t)(n->nkids + 1));
    if (!kids) return ferr_oom(ps->c->err);
    if (n->nkids) memcpy(kids, n->kids, sizeof(node *) * (size_t)n->nkids);
    kids[n->nkids++] = k;
    n->kids = kids;
    return 0;
}

static int mark_used(parser *ps, const char *k)
{
    if (ps->used && json_object_set_new(ps->used, k, json_true())) return ferr_oom(ps->c->err);
    return 0;
}

/* A name token: the attribute name it stands for (#names resolved), NULL with c->err. */
static const char *name_of(parser *ps)
{
    char *t = arena_strndup(ps->c->a, ps->tok, ps->toklen);
    if (!t) {
        ferr_oom(ps->c->err);
        return NULL;
    }
    if (t[0] == '#') {
        const char *n = jstr(ps->names, t);
        if (!n) {
            ddb_validation(ps->c,
                           "Invalid %s: An expression attribute name used in the document "
                           "path is not defined; attribute name: %s",
                           kind_word(ps->kind), t);
            return NULL;
        }
        return mark_used(ps, t) ? NULL : n;
    }
    if (!isalpha((unsigned char)t[0]) && t[0] != '_') {
        syntax(ps);
        return NULL;
    }
    return t;
}

static node *parse_path(parser *ps)
{
    node *n = mk(ps, N_PATH);
    if (!n) return NULL;
    pel els[32];
    for (;;) {
        if (n->nels == 32)
            return ddb_validation(ps->c,
                                  "Invalid %s: The document path has too many nesting "
                                  "levels",
                                  kind_word(ps->kind)),
                   NULL;
        if (!ps->toklen || !(word_char(ps->tok[0]) || ps->tok[0] == '#')) return syntax(ps), NULL;
        const char *nm = name_of(ps);
        if (!nm) return NULL;
        els[n->nels++] = (pel){nm, 0};
        next(ps);
        while (is(ps, "[")) {
            next(ps);
            if (!ps->toklen || !isdigit((unsigned char)ps->tok[0]) || n->nels == 32)
                return syntax(ps), NULL;
            for (size_t i = 0; i < ps->toklen; i++)
                if (!isdigit((unsigned char)ps->tok[i])) return syntax(ps), NULL;
            els[n->nels++] = (pel){NULL, strtol(ps->tok, NULL, 10)};
            next(ps);
            if (expect(ps, "]")) return NULL;
        }
        if (!is(ps, ".")) break;
        next(ps);
    }
    n->els = arena_alloc(ps->c->a, sizeof(pel) * (size_t)n->nels);
    if (!n->els) return ferr_oom(ps->c->err), NULL;
    memcpy(n->els, els, sizeof(pel) * (size_t)n->nels);
    return n;
}

static node *parse_value(parser *ps)
{
    char *t = arena_strndup(ps->c->a, ps->tok, ps->toklen);
    if (!t) return ferr_oom(ps->c->err), NULL;
    const json_t *v = json_object_get(ps->values, t);
    if (!v)
        return ddb_validation(ps->c,
                              "Invalid %s: An expression attribute value used in "
                              "expression is not defined; attribute value: %s",
                              kind_word(ps->kind), t),
               NULL;
    if (mark_used(ps, t)) return NULL;
    node *n = mk(ps, N_VAL);
    if (n) n->val = v;
    next(ps);
    return n;
}

static const struct {
    const char *name;
    int nargs;
    int operand; /* 1: a value (size, if_not_exists, list_append), 0: a condition */
} fns[] = {
    {"attribute_exists", 1, 0}, {"attribute_not_exists", 1, 0},
    {"attribute_type", 2, 0},   {"begins_with", 2, 0},
    {"contains", 2, 0},         {"size", 1, 1},
    {"if_not_exists", 2, 2},    {"list_append", 2, 2},
};

static node *parse_operand(parser *ps);

static node *parse_fn(parser *ps, int want_operand)
{
    size_t f = 0;
    for (; f < sizeof(fns) / sizeof(fns[0]); f++)
        if (is(ps, fns[f].name)) break;
    if (f == sizeof(fns) / sizeof(fns[0]))
        return ddb_validation(ps->c, "Invalid %s: Invalid function name; function: %.*s",
                              kind_word(ps->kind), (int)ps->toklen, ps->tok),
               NULL;
    /* if_not_exists and list_append live in SET only; size anywhere a value does */
    int ok = fns[f].operand == 2 ? (ps->kind == DDB_UPDATE && want_operand)
                                 : fns[f].operand == want_operand;
    if (!ok)
        return ddb_validation(ps->c,
                              "Invalid %s: The function is not allowed to be used this "
                              "way in an expression; function: %s",
                              kind_word(ps->kind), fns[f].name),
               NULL;
    node *n = mk(ps, N_FN);
    if (!n) return NULL;
    n->fn = fns[f].name;
    next(ps);
    if (expect(ps, "(")) return NULL;
    for (;;) {
        node *a = parse_operand(ps);
        if (!a || add_kid(ps, n, a)) return NULL;
        if (!is(ps, ",")) break;
        next(ps);
    }
    if (expect(ps, ")")) return NULL;
    if (n->nkids != fns[f].nargs)
        return ddb_validation(ps->c,
                              "Invalid %s: Incorrect number of operands for operator or "
                              "function; operator or function: %s, number of operands: %d",
                              kind_word(ps->kind), n->fn, n->nkids),
               NULL;
    if (strcmp(n->fn, "list_append") && strcmp(n->fn, "size") && n->kids[0]->kind != N_PATH)
        return ddb_validation(ps->c,
                              "Invalid %s: Operator or function requires a document path; "
                              "operator or function: %s",
                              kind_word(ps->kind), n->fn),
               NULL;
    return n;
}

static node *parse_operand(parser *ps)
{
    if (++ps->depth > MAX_DEPTH) return syntax(ps), NULL;
    node *n;
    if (ps->toklen && ps->tok[0] == ':')
        n = parse_value(ps);
    else if (ps->toklen && word_char(ps->tok[0]) && *ps->p == '(')
        n = parse_fn(ps, 1);
    else if (ps->toklen && *ps->tok != ':' && (word_char(ps->tok[0]) || ps->tok[0] == '#'))
        n = parse_path(ps);
    else
        return syntax(ps), NULL;
    ps->depth--;
    return n;
}

/* ---- conditions ---- */

static node *parse_or(parser *ps);

static int cmp_op(parser *ps)
{
    const char *ops[] = {"=", "<>", "<", "<=", ">", ">="};
    for (int i = 0; i < 6; i++)
        if (is(ps, ops[i])) return i;
    return -1;
}

static node *parse_primary(parser *ps)
{
    if (++ps->depth > MAX_DEPTH) return syntax(ps), NULL;
    node *n;
    if (is(ps, "(")) {
        next(ps);
        n = parse_or(ps);
        if (!n || expect(ps, ")")) return NULL;
    } else if (is_kw(ps, "NOT")) {
        next(ps);
        n = mk(ps, N_NOT);
        node *k = n ? parse_primary(ps) : NULL;
        if (!k || add_kid(ps, n, k)) return NULL;
    } else if (ps->toklen && word_char(ps->tok[0]) && *ps->p == '(' && !is(ps, "size")) {
        n = parse_fn(ps, 0);
    } else {
        node *l = parse_operand(ps);
        if (!l) return NULL;
        int op = cmp_op(ps);
        if (op >= 0) {
            next(ps);
            n = mk(ps, N_CMP);
            node *r = n ? parse_operand(ps) : NULL;
            if (!r || add_kid(ps, n, l) || add_kid(ps, n, r)) return NULL;
            n->op = op;
        } else if (is_kw(ps, "BETWEEN")) {
            next(ps);
            n = mk(ps, N_BETWEEN);
            node *lo = n ? parse_operand(ps) : NULL;
            if (!lo) return NULL;
            if (!is_kw(ps, "AND")) return syntax(ps), NULL;
            next(ps);
            node *hi = parse_operand(ps);
            if (!hi || add_kid(ps, n, l) || add_kid(ps, n, lo) || add_kid(ps, n, hi)) return NULL;
        } else if (is_kw(ps, "IN")) {
            next(ps);
            n = mk(ps, N_IN);
            if (!n || add_kid(ps, n, l) || expect(ps, "(")) return NULL;
            for (;;) {
                node *x = parse_operand(ps);
                if (!x || add_kid(ps, n, x)) return NULL;
                if (!is(ps, ",")) break;
                next(ps);
            }
            if (expect(ps, ")")) return NULL;
            if (n->nkids > 101)
                return ddb_validation(ps->c,
                                      "Invalid %s: The IN operator is provided with too "
                                      "many operands; number of operands: %d",
                                      kind_word(ps->kind), n->nkids - 1),
                       NULL;
        } else {
            return syntax(ps), NULL;
        }
    }
    ps->depth--;
    return n;
}

static node *parse_and(parser *ps)
{
    node *l = parse_primary(ps);
    while (l && is_kw(ps, "AND")) {
        next(ps);
        node *n = mk(ps, N_AND), *r = n ? parse_primary(ps) : NULL;
        if (!r || add_kid(ps, n, l) || add_kid(ps, n, r)) return NULL;
        l = n;
    }
    return l;
}

static node *parse_or(parser *ps)
{
    node *l = parse_and(ps);
    while (l && is_kw(ps, "OR")) {
        next(ps);
        node *n = mk(ps, N_OR), *r = n ? parse_and(ps) : NULL;
        if (!r || add_kid(ps, n, l) || add_kid(ps, n, r)) return NULL;
        l = n;
    }
    return l;
}

/* ---- updates ---- */

static int push_action(parser *ps, ddb_expr *e, int type, node *path, node *value)
{
    action *a = arena_alloc(ps->c->a, sizeof(action) * (size_t)(e->n + 1));
    if (!a) return ferr_oom(ps->c->err);
    if (e->n) memcpy(a, e->actions, sizeof(action) * (size_t)e->n);
    a[e->n++] = (action){type, path, value};
    e->actions = a;
    return 0;
}

static int parse_update(parser *ps, ddb_expr *e)
{
    const char *clauses[] = {"SET", "REMOVE", "ADD", "DELETE"};
    int seen[4] = {0};
    if (!ps->toklen) return syntax(ps);
    while (ps->toklen) {
        int t = 0;
        while (t < 4 && !is_kw(ps, clauses[t])) t++;
        if (t == 4) return syntax(ps);
        if (seen[t]++)
            return ddb_validation(ps->c,
                                  "Invalid UpdateExpression: The \"%s\" section can only be "
                                  "used once in an update expression;",
                                  clauses[t]);
        next(ps);
        for (;;) {
            node *path = parse_path(ps), *value = NULL;
            if (!path) return -1;
            if (t == A_SET) {
                if (expect(ps, "=")) return -1;
                value = parse_operand(ps);
                if (value && (is(ps, "+") || is(ps, "-"))) {
                    node *ar = mk(ps, N_ARITH);
                    if (!ar) return -1;
                    ar->op = ps->tok[0];
                    next(ps);
                    node *r = parse_operand(ps);
                    if (!r || add_kid(ps, ar, value) || add_kid(ps, ar, r)) return -1;
                    value = ar;
                }
            } else if (t != A_REMOVE) {
                if (!ps->toklen || ps->tok[0] != ':') return syntax(ps);
                value = parse_value(ps);
            }
            if ((t != A_REMOVE && !value) || push_action(ps, e, t, path, value)) return -1;
            if (!is(ps, ",")) break;
            next(ps);
        }
    }
    return 0;
}

ddb_expr *ddb_expr_parse(call *c, ddb_expr_kind kind, const char *text, const json_t *names,
                         const json_t *values, json_t *used)
{
    if (strlen(text) > MAX_TEXT) {
        ddb_validation(c, "Invalid %s: Expression size has exceeded the maximum allowed size",
                       kind_word(kind));
        return NULL;
    }
    parser ps = {.c = c,
                 .kind = kind,
                 .s = text,
                 .p = text,
                 .names = names,
                 .values = values,
                 .used = used};
    ddb_expr *e = arena_alloc(c->a, sizeof(*e));
    if (!e) return ferr_oom(c->err), NULL;
    e->kind = kind;
    next(&ps);
    if (!ps.toklen) {
        ddb_validation(c, "Invalid %s: The expression can not be empty;", kind_word(kind));
        return NULL;
    }
    if (kind == DDB_UPDATE) {
        if (parse_update(&ps, e)) return NULL;
    } else if (kind == DDB_PROJ) {
        for (;;) {
            node *p = parse_path(&ps);
            node **ps2 = p ? arena_alloc(c->a, sizeof(node *) * (size_t)(e->n + 1)) : NULL;
            if (!p) return NULL;
            if (!ps2) return ferr_oom(c->err), NULL;
            if (e->n) memcpy(ps2, e->paths, sizeof(node *) * (size_t)e->n);
            ps2[e->n++] = p;
            e->paths = ps2;
            if (!is(&ps, ",")) break;
            next(&ps);
        }
    } else {
        e->root = parse_or(&ps);
        if (!e->root) return NULL;
    }
    if (ps.toklen) return syntax(&ps), NULL;
    return e;
}

int ddb_expr_unused(call *c, const json_t *names, const json_t *values, const json_t *used)
{
    const json_t *sets[] = {names, values};
    const char *words[] = {"ExpressionAttributeNames", "ExpressionAttributeValues"};
    for (int i = 0; i < 2; i++) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)sets[i], k, v) {
            if (!json_object_get(used, k))
                return ddb_validation(c, "Value provided in %s unused in expressions: keys: {%s}",
                                      words[i], k);
        }
    }
    return 0;
}

/* ---- evaluation ---- */

static json_t *resolve(const node *p, const json_t *item)
{
    json_t *v = json_object_get(item, p->els[0].name);
    for (int i = 1; v && i < p->nels; i++) {
        const pel *e = &p->els[i];
        if (e->name) {
            json_t *m = json_object_get(v, "M");
            v = m ? json_object_get(m, e->name) : NULL;
        } else {
            json_t *l = json_object_get(v, "L");
            v = l ? json_array_get(l, (size_t)e->index) : NULL;
        }
    }
    return v;
}

static json_t *number(call *c, long long n)
{
    char s[32];
    snprintf(s, sizeof(s), "%lld", n);
    return arena_defer_json(c->a, json_pack("{s:s}", "N", s));
}

static json_t *size_of(call *c, const json_t *v)
{
    const char *t = ddb_type(v);
    if (!t) return NULL;
    const json_t *x = json_object_get(v, t);
    if (!strcmp(t, "S")) return number(c, (long long)json_string_length(x));
    if (!strcmp(t, "B")) return number(c, (long long)(json_string_length(x) * 3 / 4));
    if (!strcmp(t, "M")) return number(c, (long long)json_object_size(x));
    if (json_is_array(x)) return number(c, (long long)json_array_size(x));
    return NULL;
}

/* An operand's value, or NULL when it names nothing (or has no size). */
static const json_t *operand(call *c, const node *n, const json_t *item)
{
    switch (n->kind) {
    case N_PATH: return resolve(n, item);
    case N_VAL: return n->val;
    case N_FN: {
        const json_t *v = operand(c, n->kids[0], item);
        return v ? size_of(c, v) : NULL;
    }
    }
    return NULL;
}

static int begins(const json_t *a, const json_t *b)
{
    const char *t = ddb_type(a);
    if (!t || (strcmp(t, "S") && strcmp(t, "B")) || !ddb_type(b) || strcmp(t, ddb_type(b)))
        return 0;
    const json_t *x = json_object_get(a, t), *y = json_object_get(b, t);
    if (t[0] == 'B') {
        arena *ar = arena_new(0);
        size_t nx, ny;
        const unsigned char *p =
            ar ? enc_unb64(ar, json_string_value(x), json_string_length(x), &nx) : NULL;
        const unsigned char *q =
            ar ? enc_unb64(ar, json_string_value(y), json_string_length(y), &ny) : NULL;
        int r = p && q && ny <= nx && !memcmp(p, q, ny);
        arena_free(ar);
        return r;
    }
    return json_string_length(y) <= json_string_length(x) &&
           !memcmp(json_string_value(x), json_string_value(y), json_string_length(y));
}

static int contains(const json_t *a, const json_t *b)
{
    const char *t = ddb_type(a), *tb = ddb_type(b);
    if (!t || !tb) return 0;
    const json_t *x = json_object_get(a, t), *y = json_object_get(b, tb);
    if (!strcmp(t, "S"))
        return !strcmp(tb, "S") && memmem(json_string_value(x), json_string_length(x),
                                          json_string_value(y), json_string_length(y)) != NULL;
    size_t i;
    json_t *e;
    if (!strcmp(t, "L")) {
        json_array_foreach(x, i, e) {
            if (ddb_value_equal(e, b)) return 1;
        }
        return 0;
    }
    if (strlen(t) == 2 && t[1] == 'S' && tb[0] == t[0] && !tb[1]) {
        json_array_foreach(x, i, e) {
            json_t *w = json_pack("{s:O}", tb, e);
            int eq = w && ddb_value_equal(w, b);
            json_decref(w);
            if (eq) return 1;
        }
    }
    return 0;
}

static int eval(call *c, const node *n, const json_t *item)
{
    const json_t *a, *b, *d;
    int r;
    switch (n->kind) {
    case N_AND: return eval(c, n->kids[0], item) && eval(c, n->kids[1], item);
    case N_OR: return eval(c, n->kids[0], item) || eval(c, n->kids[1], item);
    case N_NOT: return !eval(c, n->kids[0], item);
    case N_CMP:
        a = operand(c, n->kids[0], item);
        b = operand(c, n->kids[1], item);
        if (n->op == OP_EQ) return a && b && ddb_value_equal(a, b);
        if (n->op == OP_NE) return !(a && b && ddb_value_equal(a, b));
        if (!a || !b) return 0;
        r = ddb_value_cmp(a, b);
        if (r == 2) return 0;
        switch (n->op) {
        case OP_LT: return r < 0;
        case OP_LE: return r <= 0;
        case OP_GT: return r > 0;
        default: return r >= 0;
        }
    case N_BETWEEN:
        a = operand(c, n->kids[0], item);
        b = operand(c, n->kids[1], item);
        d = operand(c, n->kids[2], item);
        if (!a || !b || !d) return 0;
        r = ddb_value_cmp(a, b);
        int s = ddb_value_cmp(a, d);
        return r != 2 && s != 2 && r >= 0 && s <= 0;
    case N_IN:
        a = operand(c, n->kids[0], item);
        for (int i = 1; a && i < n->nkids; i++) {
            b = operand(c, n->kids[i], item);
            if (b && ddb_value_equal(a, b)) return 1;
        }
        return 0;
    case N_FN:
        a = operand(c, n->kids[0], item);
        if (!strcmp(n->fn, "attribute_exists")) return a != NULL;
        if (!strcmp(n->fn, "attribute_not_exists")) return a == NULL;
        b = operand(c, n->kids[1], item);
        if (!a || !b) return 0;
        if (!strcmp(n->fn, "attribute_type")) {
            const char *want = jstr(b, "S");
            return want && ddb_type(a) && !strcmp(ddb_type(a), want);
        }
        if (!strcmp(n->fn, "begins_with")) return begins(a, b);
        return contains(a, b);
    }
    return 0;
}

int ddb_expr_eval(call *c, const ddb_expr *e, const json_t *item)
{
    static json_t *empty;
    (void)empty;
    json_t *none = NULL;
    if (!item) {
        none = json_object();
        if (!none) return ferr_oom(c->err);
        item = none;
    }
    int r = eval(c, e->root, item);
    json_decref(none);
    return r;
}

/* ---- projection ---- */

/* Puts v at path p of out (a projection: lists keep their projected elements in order). */
static int put_at(json_t *out, const node *p, const json_t *v)
{
    json_t *cur = out; /* an object of AttributeValues (the item, or an M's map) */
    for (int i = 0; i < p->nels; i++) {
        const pel *e = &p->els[i];
        int last = i == p->nels - 1;
        json_t *slot;
        if (e->name) {
            slot = json_object_get(cur, e->name);
            if (last) return json_object_set(cur, e->name, (json_t *)v);
        } else {
            /* cur is the L's array here: the projected element goes at its end */
            if (last) return json_array_append(cur, (json_t *)v);
            slot = json_pack("{s:{}}", p->els[i + 1].name ? "M" : "L");
            if (!slot || json_array_append_new(cur, slot)) return -1;
        }
        if (!slot) {
            slot =
                json_pack(p->els[i + 1].name ? "{s:{}}" : "{s:[]}", p->els[i + 1].name ? "M" : "L");
            if (!slot || json_object_set_new(cur, e->name, slot)) return -1;
        }
        cur = json_object_get(slot, p->els[i + 1].name ? "M" : "L");
        if (!cur) return -1;
    }
    return 0;
}

json_t *ddb_expr_project(call *c, const ddb_expr *e, const json_t *item)
{
    json_t *out = json_object();
    if (!out || !arena_defer_json(c->a, out)) return ferr_oom(c->err), NULL;
    for (int i = 0; i < e->n; i++) {
        const json_t *v = resolve(e->paths[i], item);
        if (v && put_at(out, e->paths[i], v)) return ferr_oom(c->err), NULL;
    }
    return out;
}

/* ---- update ---- */

static int bad_operand(call *c)
{
    return ddb_validation(c, "An operand in the update expression has an incorrect data type");
}

static int missing_attr(call *c)
{
    return ddb_validation(c, "The provided expression refers to an attribute that does not "
                             "exist in the item");
}

static int num_op(call *c, const json_t *a, const json_t *b, int op, json_t **out)
{
    const char *x = jstr(a, "N"), *y = jstr(b, "N");
    if (!x || !y) return bad_operand(c);
    decnum p, q, r;
    if (decnum_parse(x, strlen(x), &p) || decnum_parse(y, strlen(y), &q)) return bad_operand(c);
    decnum_rc rc = op == '-' ? decnum_sub(&p, &q, &r) : decnum_add(&p, &q, &r);
    if (rc) return ddb_validation(c, "%s", decnum_message(rc));
    char s[DECNUM_STR_MAX];
    decnum_str(&r, s);
    *out = arena_defer_json(c->a, json_pack("{s:s}", "N", s));
    return *out ? 0 : ferr_oom(c->err);
}

/* The value of a SET's right side, against the item before the update. */
static int set_value(call *c, const node *n, const json_t *old, json_t **out)
{
    if (n->kind == N_ARITH) {
        json_t *a, *b;
        if (set_value(c, n->kids[0], old, &a) || set_value(c, n->kids[1], old, &b)) return -1;
        return num_op(c, a, b, n->op, out);
    }
    if (n->kind == N_FN && !strcmp(n->fn, "if_not_exists")) {
        const json_t *v = resolve(n->kids[0], old);
        if (v) {
            *out = (json_t *)v;
            return 0;
        }
        return set_value(c, n->kids[1], old, out);
    }
    if (n->kind == N_FN && !strcmp(n->fn, "list_append")) {
        json_t *a, *b;
        if (set_value(c, n->kids[0], old, &a) || set_value(c, n->kids[1], old, &b)) return -1;
        json_t *la = json_object_get(a, "L"), *lb = json_object_get(b, "L");
        if (!la || !lb) return bad_operand(c);
        json_t *l = json_copy(la);
        if (!l || json_array_extend(l, lb)) return ferr_oom(c->err);
        *out = arena_defer_json(c->a, json_pack("{s:o}", "L", l));
        return *out ? 0 : ferr_oom(c->err);
    }
    if (n->kind == N_FN) return bad_operand(c);
    const json_t *v = operand(c, n, old);
    if (!v) return missing_attr(c);
    *out = (json_t *)v;
    return 0;
}

static int bad_path(call *c)
{
    return ddb_validation(c, "The document path provided in the update expression is invalid "
                             "for update");
}

/* The container of path p's last element in item: an object (for a name) or an array (for an
 * index). NULL with c->err. */
static json_t *parent_of(call *c, json_t *item, const node *p)
{
    json_t *cur = item;
    for (int i = 0; i < p->nels - 1; i++) {
        const pel *e = &p->els[i];
        json_t *v = e->name ? json_object_get(cur, e->name) : json_array_get(cur, (size_t)e->index);
        const char *want = p->els[i + 1].name ? "M" : "L";
        cur = v ? json_object_get(v, want) : NULL;
        if (!cur) return bad_path(c), NULL;
    }
    return cur;
}

static int put_path(call *c, json_t *item, const node *p, json_t *v)
{
    json_t *par = parent_of(c, item, p);
    if (!par) return -1;
    const pel *e = &p->els[p->nels - 1];
    json_t *copy = json_deep_copy(v);
    if (!copy) return ferr_oom(c->err);
    if (e->name) return json_object_set_new(par, e->name, copy) ? ferr_oom(c->err) : 0;
    if (!json_is_array(par)) {
        json_decref(copy);
        return bad_path(c);
    }
    if ((size_t)e->index < json_array_size(par))
        return json_array_set_new(par, (size_t)e->index, copy) ? ferr_oom(c->err) : 0;
    return json_array_append_new(par, copy) ? ferr_oom(c->err) : 0;
}

static int remove_path(call *c, json_t *item, const node *p)
{
    json_t *cur = item;
    for (int i = 0; i < p->nels - 1; i++) {
        const pel *e = &p->els[i];
        json_t *v = e->name ? json_object_get(cur, e->name) : json_array_get(cur, (size_t)e->index);
        cur = v ? json_object_get(v, p->els[i + 1].name ? "M" : "L") : NULL;
        if (!cur) return 0; /* nothing there to remove */
    }
    const pel *e = &p->els[p->nels - 1];
    if (e->name)
        json_object_del(cur, e->name);
    else if (json_is_array(cur) && (size_t)e->index < json_array_size(cur))
        json_array_remove(cur, (size_t)e->index);
    (void)c;
    return 0;
}

/* ADD to a set or DELETE from one: the new set value (NULL: the set became empty). */
static int set_merge(call *c, const json_t *old, const json_t *v, int add, json_t **out)
{
    const char *t = ddb_type(v);
    if (!t || strlen(t) != 2 || t[1] != 'S' || !ddb_type(old) || strcmp(ddb_type(old), t))
        return bad_operand(c);
    json_t *res = json_copy(json_object_get(old, t)), *x;
    if (!res || !arena_defer_json(c->a, res)) return ferr_oom(c->err);
    size_t i;
    char one[3] = {t[0], 0, 0};
    json_array_foreach(json_object_get(v, t), i, x) {
        json_t *w = json_pack("{s:O}", one, x);
        int at = -1;
        for (size_t j = 0; w && j < json_array_size(res); j++) {
            json_t *m = json_pack("{s:O}", one, json_array_get(res, j));
            int eq = m && ddb_value_equal(m, w);
            json_decref(m);
            if (eq) {
                at = (int)j;
                break;
            }
        }
        json_decref(w);
        if (!w) return ferr_oom(c->err);
        if (add && at < 0 && json_array_append(res, x)) return ferr_oom(c->err);
        if (!add && at >= 0 && json_array_remove(res, (size_t)at)) return ferr_oom(c->err);
    }
    if (!json_array_size(res)) {
        *out = NULL;
        return 0;
    }
    *out = arena_defer_json(c->a, json_pack("{s:O}", t, res));
    return *out ? 0 : ferr_oom(c->err);
}

int ddb_expr_update(call *c, const ddb_expr *e, json_t *item)
{
    json_t *old = json_deep_copy(item);
    if (!old || !arena_defer_json(c->a, old)) return ferr_oom(c->err);
    for (int i = 0; i < e->n; i++) {
        const action *a = &e->actions[i];
        json_t *v = NULL, *cur;
        switch (a->type) {
        case A_SET:
            if (set_value(c, a->value, old, &v) || put_path(c, item, a->path, v)) return -1;
            break;
        case A_REMOVE:
            if (remove_path(c, item, a->path)) return -1;
            break;
        case A_ADD:
        case A_DELETE:
            cur = resolve(a->path, item);
            const char *t = ddb_type(a->value->val);
            if (a->type == A_ADD && !cur) {
                if (!t || (strcmp(t, "N") && (strlen(t) != 2 || t[1] != 'S')))
                    return bad_operand(c);
                if (put_path(c, item, a->path, (json_t *)a->value->val)) return -1;
                break;
            }
            if (!cur) {
                if (!t || strlen(t) != 2 || t[1] != 'S') return bad_operand(c);
                break;
            }
            if (a->type == A_ADD && t && !strcmp(t, "N")) {
                if (num_op(c, cur, a->value->val, '+', &v) || put_path(c, item, a->path, v))
                    return -1;
                break;
            }
            if (set_merge(c, cur, a->value->val, a->type == A_ADD, &v)) return -1;
            if (v ? put_path(c, item, a->path, v) : remove_path(c, item, a->path)) return -1;
            break;
        }
    }
    return 0;
}

json_t *ddb_expr_update_names(call *c, const ddb_expr *e)
{
    json_t *a = json_array();
    if (!a || !arena_defer_json(c->a, a)) return ferr_oom(c->err), NULL;
    for (int i = 0; i < e->n; i++)
        if (json_array_append_new(a, json_string(e->actions[i].path->els[0].name)))
            return ferr_oom(c->err), NULL;
    return a;
}

/* ---- key conditions ---- */

static int key_part(call *c, const node *n, ddb_keycond *k, int first)
{
    const node *p = NULL;
    const char *op = NULL;
    if (n->kind == N_CMP) {
        const char *ops[] = {"=", "<>", "<", "<=", ">", ">="};
        op = ops[n->op];
        p = n->kids[0];
        if (n->op == OP_NE || n->kids[1]->kind != N_VAL) p = NULL;
    } else if (n->kind == N_BETWEEN) {
        op = "BETWEEN";
        p = n->kids[0];
        if (n->kids[1]->kind != N_VAL || n->kids[2]->kind != N_VAL) p = NULL;
    } else if (n->kind == N_FN && !strcmp(n->fn, "begins_with")) {
        op = "begins_with";
        p = n->kids[0];
        if (n->kids[1]->kind != N_VAL) p = NULL;
    }
    if (!p || p->kind != N_PATH || p->nels != 1)
        return ddb_validation(c, "Invalid operator used in KeyConditionExpression: %s",
                              n->kind == N_CMP && n->op == OP_NE ? "<>"
                              : op                               ? op
                                                                 : "OR");
    const char *name = p->els[0].name;
    if (first && !strcmp(op, "=") && !k->hash_name) {
        k->hash_name = name;
        k->hash_value = n->kids[1]->val;
        return 0;
    }
    if (k->range_name)
        return ddb_validation(c, "KeyConditionExpressions must only contain one condition per "
                                 "key");
    k->range_name = name;
    k->op = op;
    k->v1 = n->kind == N_FN ? n->kids[1]->val : n->kids[1]->val;
    k->v2 = n->kind == N_BETWEEN ? n->kids[2]->val : NULL;
    return 0;
}

int ddb_expr_keycond(call *c, const ddb_expr *e, ddb_keycond *k)
{
    memset(k, 0, sizeof(*k));
    const node *r = e->root;
    if (r->kind == N_AND) {
        if (r->kids[0]->kind == N_AND || r->kids[1]->kind == N_AND)
            return ddb_validation(c, "Conditions can be of length 1 or 2 only");
        if (key_part(c, r->kids[0], k, 1) || key_part(c, r->kids[1], k, 1)) return -1;
    } else if (key_part(c, r, k, 1)) {
        return -1;
    }
    if (!k->hash_name) return ddb_validation(c, "Query key condition not supported");
    return 0;
}
