/* SNS filter policies: a policy is compiled into patterns (AND of entries), an entry is a
 * key with leaf conditions, a nested pattern (MessageBody scope) or $or alternatives.
 * Everything a filter owns lives in one arena. */
#include "filter.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"

typedef enum {
    C_STR, /* "rugby" */
    C_NUM, /* 301 */
    C_TRUE,
    C_FALSE,
    C_NULL,
    C_PREFIX,    /* {"prefix": "bas"} */
    C_SUFFIX,    /* {"suffix": "ball"} */
    C_EQIC,      /* {"equals-ignore-case": "RuGbY"} */
    C_AB,        /* {"anything-but": ["rugby", 5]} */
    C_AB_PREFIX, /* {"anything-but": {"prefix": "bas"}} */
    C_AB_SUFFIX,
    C_AB_EQIC,
    C_NUMERIC,     /* {"numeric": [">", 0, "<=", 150]} */
    C_EXISTS,      /* {"exists": true} */
    C_CIDR,        /* {"cidr": "10.0.0.0/24"} */
    C_WILDCARD,    /* {"wildcard": "*.png"} (EventBridge) */
    C_AB_WILDCARD, /* {"anything-but": {"wildcard": "*.tmp"}} (EventBridge) */
} ckind;

enum { OP_EQ, OP_LT, OP_LE, OP_GT, OP_GE };

typedef struct cond {
    ckind k;
    const char *s; /* string operand */
    size_t slen;
    double n; /* C_NUM, scaled */
    /* C_AB */
    const char **strs;
    size_t *slens, nstr;
    double *nums;
    size_t nnum;
    /* C_NUMERIC */
    int nops, op[2];
    double val[2]; /* scaled */
    int exists;    /* C_EXISTS */
    /* C_CIDR */
    int family, bits;
    unsigned char addr[16];
} cond;

typedef struct pattern pattern;
typedef struct entry {
    const char *key; /* NULL for $or */
    cond *conds;
    size_t nconds;
    pattern *nested;
    pattern *ors;
    size_t nors;
} entry;

struct pattern {
    entry *v;
    size_t n;
};

struct sns_filter {
    arena *a;
    int scope;
    pattern root;
};

typedef struct pctx {
    arena *a;
    int scope;
    const char *prefix;
    ferr *e;
} pctx;

/* AWS: numbers match "with five digits of accuracy after the decimal point". */
static double scaled(double x)
{
    return round(x * 1e5);
}

static int fail(pctx *p, const char *fmt, const char *arg)
{
    char reason[768];
    /* EventBridge words the same reasons without SNS's parameter name */
    if (p->scope == SNS_SCOPE_EVENT && !strncmp(fmt, "FilterPolicy: ", 14)) fmt += 14;
    snprintf(reason, sizeof(reason), fmt, arg ? arg : "");
    return ferr_set(p->e, 400,
                    p->scope == SNS_SCOPE_EVENT ? "InvalidEventPatternException"
                                                : "InvalidParameter",
                    "%s%s", p->prefix, reason);
}

static const char *dump(arena *a, const json_t *v)
{
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    const char *r = arena_strdup(a, s ? s : "?");
    free(s);
    return r;
}

static int numop(const char *s)
{
    static const char *const ops[] = {"=", "<", "<=", ">", ">="};
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, ops[i])) return i;
    return -1;
}

static int compile_numeric(pctx *p, const json_t *v, cond *c)
{
    size_t n = json_array_size(v);
    if (!json_is_array(v) || n == 0)
        return fail(p, "FilterPolicy: Invalid member in numeric match: ]", NULL);
    c->k = C_NUMERIC;
    for (size_t i = 0; i < n; i += 2) {
        const json_t *o = json_array_get(v, i), *x = json_array_get(v, i + 1);
        if (i >= 4)
            return fail(p, "FilterPolicy: Too many terms in numeric range expression", NULL);
        if (!json_is_string(o))
            return fail(p,
                        i ? "FilterPolicy: Bad value in numeric range: %s"
                          : "FilterPolicy: Invalid member in numeric match: %s",
                        dump(p->a, o));
        const char *os = json_string_value(o);
        int op = numop(os);
        if (op < 0)
            return fail(p,
                        i ? "FilterPolicy: Bad numeric range operator: %s"
                          : "FilterPolicy: Unrecognized numeric range operator: %s",
                        os);
        if (i == 2 && op != OP_LT && op != OP_LE)
            return fail(p, "FilterPolicy: Bad numeric range operator: %s", os);
        if (!json_is_number(x))
            return fail(p, "FilterPolicy: Value of %s must be numeric",
                        op == OP_EQ ? "equals" : os);
        if (i == 0 && n > 2 && op != OP_GT && op != OP_GE)
            return fail(p, "FilterPolicy: Too many elements in numeric expression", NULL);
        c->op[c->nops] = op;
        c->val[c->nops] = scaled(json_number_value(x));
        c->nops++;
    }
    if (c->nops == 2 && c->val[1] <= c->val[0])
        return fail(p, "FilterPolicy: Bottom must be less than top", NULL);
    return 0;
}

static int compile_cidr(pctx *p, const char *s, cond *c)
{
    const char *slash = strchr(s, '/');
    if (!slash || strchr(slash + 1, '/'))
        return fail(p, "FilterPolicy: Malformed CIDR, one '/' required", NULL);
    char ip[64];
    size_t n = (size_t)(slash - s);
    if (n == 0 || n >= sizeof(ip)) return fail(p, "FilterPolicy: Nonstandard IP address: %s", s);
    memcpy(ip, s, n);
    ip[n] = 0;
    c->family = strchr(ip, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(c->family, ip, c->addr) != 1)
        return fail(p, "FilterPolicy: Nonstandard IP address: %s", ip);
    char *end = NULL;
    long bits = strtol(slash + 1, &end, 10);
    int max = c->family == AF_INET ? 32 : 128;
    if (!slash[1] || *end || bits < 0 || bits > max)
        return fail(p, "FilterPolicy: Malformed CIDR, mask bits must be an integer: %s", s);
    c->k = C_CIDR;
    c->bits = (int)bits;
    return 0;
}

static int compile_anything_but(pctx *p, const json_t *v, cond *c)
{
    c->k = C_AB;
    if (json_is_string(v) || json_is_number(v)) {
        json_t *one = json_array();
        int rc =
            json_array_append(one, (json_t *)v) ? ferr_oom(p->e) : compile_anything_but(p, one, c);
        json_decref(one);
        return rc;
    }
    if (json_is_array(v)) {
        size_t n = json_array_size(v), i;
        c->strs = arena_alloc(p->a, (n + 1) * sizeof(*c->strs));
        c->slens = arena_alloc(p->a, (n + 1) * sizeof(*c->slens));
        c->nums = arena_alloc(p->a, (n + 1) * sizeof(*c->nums));
        if (!c->strs || !c->slens || !c->nums) return ferr_oom(p->e);
        const json_t *x;
        json_array_foreach(v, i, x) {
            if (json_is_string(x)) {
                c->slens[c->nstr] = json_string_length(x);
                c->strs[c->nstr++] =
                    arena_strndup(p->a, json_string_value(x), json_string_length(x));
            } else if (json_is_number(x)) {
                c->nums[c->nnum++] = scaled(json_number_value(x));
            } else {
                return fail(
                    p,
                    "FilterPolicy: Inside anything but list, start|null|boolean is not supported.",
                    NULL);
            }
        }
        return 0;
    }
    if (json_is_object(v)) {
        if (json_object_size(v) != 1)
            return fail(p, "FilterPolicy: Only one key allowed in match expression", NULL);
        const char *k = json_object_iter_key(json_object_iter((json_t *)v));
        const json_t *x = json_object_iter_value(json_object_iter((json_t *)v));
        if (!strcmp(k, "prefix"))
            c->k = C_AB_PREFIX;
        else if (!strcmp(k, "suffix"))
            c->k = C_AB_SUFFIX;
        else if (!strcmp(k, "equals-ignore-case"))
            c->k = C_AB_EQIC;
        else if (!strcmp(k, "wildcard") && p->scope == SNS_SCOPE_EVENT)
            c->k = C_AB_WILDCARD;
        else
            return fail(p, "FilterPolicy: Unsupported anything-but pattern: %s", k);
        if (!json_is_string(x))
            return fail(p, "FilterPolicy: %s match pattern must be a string", k);
        c->s = arena_strndup(p->a, json_string_value(x), json_string_length(x));
        c->slen = json_string_length(x);
        return 0;
    }
    return fail(
        p, "FilterPolicy: Value of anything-but must be an array or single string/number value.",
        NULL);
}

static int compile_cond(pctx *p, const json_t *v, cond *c)
{
    memset(c, 0, sizeof(*c));
    switch (json_typeof(v)) {
    case JSON_STRING:
        c->k = C_STR;
        c->slen = json_string_length(v);
        c->s = arena_strndup(p->a, json_string_value(v), c->slen);
        return c->s ? 0 : ferr_oom(p->e);
    case JSON_INTEGER:
    case JSON_REAL:
        c->k = C_NUM;
        c->n = scaled(json_number_value(v));
        return 0;
    case JSON_TRUE: c->k = C_TRUE; return 0;
    case JSON_FALSE: c->k = C_FALSE; return 0;
    case JSON_NULL: c->k = C_NULL; return 0;
    case JSON_ARRAY:
        return fail(p, "FilterPolicy: Match value must be String, number, true, false, or null",
                    NULL);
    case JSON_OBJECT: break;
    }
    if (json_object_size(v) != 1)
        return fail(p, "FilterPolicy: Only one key allowed in match expression", NULL);
    void *it = json_object_iter((json_t *)v);
    const char *op = json_object_iter_key(it);
    const json_t *x = json_object_iter_value(it);
    int wild = !strcmp(op, "wildcard") && p->scope == SNS_SCOPE_EVENT;
    if (!strcmp(op, "prefix") || !strcmp(op, "suffix") || !strcmp(op, "equals-ignore-case") ||
        wild) {
        if (!json_is_string(x))
            return fail(p, "FilterPolicy: %s match pattern must be a string", op);
        c->k = wild ? C_WILDCARD : op[0] == 'p' ? C_PREFIX : op[0] == 's' ? C_SUFFIX : C_EQIC;
        c->slen = json_string_length(x);
        c->s = arena_strndup(p->a, json_string_value(x), c->slen);
        return c->s ? 0 : ferr_oom(p->e);
    }
    if (!strcmp(op, "anything-but")) return compile_anything_but(p, x, c);
    if (!strcmp(op, "numeric")) return compile_numeric(p, x, c);
    if (!strcmp(op, "exists")) {
        if (!json_is_boolean(x))
            return fail(p, "FilterPolicy: exists match pattern must be either true or false.",
                        NULL);
        c->k = C_EXISTS;
        c->exists = json_is_true(x);
        return 0;
    }
    if (!strcmp(op, "cidr")) {
        if (!json_is_string(x))
            return fail(p, "FilterPolicy: cidr match pattern must be a string", NULL);
        return compile_cidr(p, json_string_value(x), c);
    }
    return fail(p, "FilterPolicy: Unrecognized match type %s", op);
}

static int compile_pattern(pctx *p, const json_t *obj, int depth, pattern *out);

static int compile_entry(pctx *p, const char *key, const json_t *v, int depth, entry *en)
{
    memset(en, 0, sizeof(*en));
    if (!strcmp(key, "$or")) {
        /* AWS: "$or" takes an array of policies, any of which may match */
        size_t n = json_array_size(v), i;
        if (!json_is_array(v) || n < 1)
            return fail(p, "FilterPolicy: \"%s\" must be an object or an array", key);
        en->ors = arena_alloc(p->a, n * sizeof(*en->ors));
        if (!en->ors) return ferr_oom(p->e);
        const json_t *x;
        json_array_foreach(v, i, x) {
            if (!json_is_object(x))
                return fail(
                    p, "FilterPolicy: Match value must be String, number, true, false, or null",
                    NULL);
            if (compile_pattern(p, x, depth, &en->ors[en->nors++])) return -1;
        }
        return 0;
    }
    en->key = arena_strdup(p->a, key);
    if (!en->key) return ferr_oom(p->e);
    if (json_is_object(v)) {
        /* AWS: "Amazon SNS doesn't accept a nested filter policy for attribute-based filtering" */
        if (p->scope == SNS_SCOPE_ATTRIBUTES)
            return fail(
                p, "Filter policy scope MessageAttributes does not support nested filter policy",
                NULL);
        en->nested = arena_alloc(p->a, sizeof(*en->nested));
        if (!en->nested) return ferr_oom(p->e);
        return compile_pattern(p, v, depth + 1, en->nested);
    }
    if (!json_is_array(v))
        return fail(p, "FilterPolicy: \"%s\" must be an object or an array", key);
    size_t n = json_array_size(v), i;
    if (n == 0) return fail(p, "FilterPolicy: Empty arrays are not allowed", NULL);
    en->conds = arena_alloc(p->a, n * sizeof(*en->conds));
    if (!en->conds) return ferr_oom(p->e);
    const json_t *x;
    json_array_foreach(v, i, x) {
        if (compile_cond(p, x, &en->conds[en->nconds++])) return -1;
    }
    return 0;
}

static int compile_pattern(pctx *p, const json_t *obj, int depth, pattern *out)
{
    size_t n = json_object_size(obj);
    out->n = 0;
    out->v = arena_alloc(p->a, (n ? n : 1) * sizeof(*out->v));
    if (!out->v) return ferr_oom(p->e);
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        if (compile_entry(p, k, v, depth, &out->v[out->n++])) return -1;
    }
    return 0;
}

/* AWS: "To calculate the total combination, multiply the number of values in each array";
 * its nested example counts each array's values times its nesting depth (4 values three
 * levels deep and 3 values two levels deep make 3 x 4 x 2 x 3 = 72), and $or adds up its
 * alternatives. */
static double combinations(const pattern *pt, int depth, double base)
{
    double c = base;
    for (size_t i = 0; i < pt->n; i++) {
        const entry *en = &pt->v[i];
        if (en->nested) {
            c = combinations(en->nested, depth + 1, c);
        } else if (en->ors) {
            double sum = 0;
            for (size_t j = 0; j < en->nors; j++) sum += combinations(&en->ors[j], depth, c);
            c = sum;
        } else {
            c *= (double)en->nconds * depth;
        }
        if (c > 1e12) c = 1e12;
    }
    return c;
}

sns_filter *sns_filter_parse(const char *text, size_t len, int scope, const char *prefix, ferr *e)
{
    pctx p = {.scope = scope, .prefix = prefix ? prefix : "Invalid parameter: ", .e = e};
    if (len > SNS_FILTER_MAX_BYTES) {
        fail(&p, "FilterPolicy: Filter policy is too long", NULL);
        return NULL;
    }
    json_error_t je;
    json_t *doc = json_loadb(text, len, JSON_DECODE_ANY, &je);
    if (!doc) {
        fail(&p, "FilterPolicy: failed to parse JSON. %s", je.text);
        return NULL;
    }
    sns_filter *f = NULL;
    if (!json_is_object(doc)) {
        fail(&p, "FilterPolicy: Filter policy must be a JSON object", NULL);
        goto out;
    }
    /* AWS: "A filter policy can have a maximum of five keys" (parent keys when nested);
     * EventBridge's patterns have no such limit */
    if (scope != SNS_SCOPE_EVENT && json_object_size(doc) > SNS_FILTER_MAX_KEYS) {
        fail(&p, "FilterPolicy: Filter policy can not have more than 5 keys", NULL);
        goto out;
    }
    arena *a = arena_new(1024);
    f = a ? arena_alloc(a, sizeof(*f)) : NULL;
    if (!f) {
        arena_free(a);
        ferr_oom(e);
        goto out;
    }
    f->a = p.a = a;
    f->scope = scope;
    if (compile_pattern(&p, doc, 1, &f->root)) goto fail;
    if (scope != SNS_SCOPE_EVENT && combinations(&f->root, 1, 1) > SNS_FILTER_MAX_COMBINATIONS) {
        fail(&p, "FilterPolicy: Filter policy is too complex", NULL);
        goto fail;
    }
    goto out;
fail:
    arena_free(f->a);
    f = NULL;
out:
    json_decref(doc);
    return f;
}

void sns_filter_free(sns_filter *f)
{
    if (f) arena_free(f->a);
}

int sns_filter_scope(const sns_filter *f)
{
    return f->scope;
}

/* ---- matching ---- */

enum { V_STR, V_NUM, V_TRUE, V_FALSE, V_NULL };

typedef struct val {
    int t;
    const char *s;
    size_t slen;
    double n; /* scaled */
} val;

#define MAX_VALS 64 /* values considered per key; more (long arrays) are ignored */

typedef struct vals {
    val v[MAX_VALS];
    size_t n;
    int present;
} vals;

static void add_json(vals *vs, const json_t *x, int depth)
{
    if (vs->n >= MAX_VALS) return;
    val *v = &vs->v[vs->n];
    switch (json_typeof(x)) {
    case JSON_STRING:
        v->t = V_STR;
        v->s = json_string_value(x);
        v->slen = json_string_length(x);
        break;
    case JSON_INTEGER:
    case JSON_REAL:
        v->t = V_NUM;
        v->n = scaled(json_number_value(x));
        break;
    case JSON_TRUE: v->t = V_TRUE; break;
    case JSON_FALSE: v->t = V_FALSE; break;
    case JSON_NULL: v->t = V_NULL; break;
    case JSON_ARRAY: {
        if (depth > 8) return;
        size_t i;
        const json_t *y;
        json_array_foreach(x, i, y) add_json(vs, y, depth + 1);
        return;
    }
    case JSON_OBJECT: return; /* an object is not a leaf value */
    }
    vs->n++;
}

/* Values of a message attribute. AWS: "Amazon SNS compares policy properties only to
 * message attributes that have the following data types: String, String.Array" and
 * Number for numeric matching; each String.Array element is matched on its own. Binary
 * attributes exist (for "exists") but have no value to compare. */
static void attr_vals(const json_t *attr, vals *vs, json_t **tmp)
{
    vs->n = 0;
    vs->present = attr != NULL;
    if (!attr) return;
    const char *type = json_string_value(json_object_get(attr, "DataType"));
    const json_t *sv = json_object_get(attr, "StringValue");
    if (!type || !json_is_string(sv)) return;
    if (!strcmp(type, "String.Array")) {
        json_error_t je;
        *tmp = json_loadb(json_string_value(sv), json_string_length(sv), 0, &je);
        if (json_is_array(*tmp)) add_json(vs, *tmp, 0);
    } else if (!strncmp(type, "Number", 6) && (!type[6] || type[6] == '.')) {
        char *end = NULL;
        double d = strtod(json_string_value(sv), &end);
        if (end && end != json_string_value(sv) && !*end && isfinite(d)) {
            vs->v[0].t = V_NUM;
            vs->v[0].n = scaled(d);
            vs->n = 1;
        }
    } else if (!strncmp(type, "String", 6) && (!type[6] || type[6] == '.')) {
        vs->v[0].t = V_STR;
        vs->v[0].s = json_string_value(sv);
        vs->v[0].slen = json_string_length(sv);
        vs->n = 1;
    }
}

static int has_prefix(const val *v, const char *s, size_t n)
{
    return v->t == V_STR && v->slen >= n && !memcmp(v->s, s, n);
}

static int has_suffix(const val *v, const char *s, size_t n)
{
    return v->t == V_STR && v->slen >= n && !memcmp(v->s + v->slen - n, s, n);
}

static int eq_ic(const val *v, const char *s, size_t n)
{
    return v->t == V_STR && v->slen == n && !strncasecmp(v->s, s, n);
}

/* EventBridge's wildcard: '*' matches any run of characters, "\\*" a literal star. */
static int glob(const char *p, size_t pn, const char *s, size_t sn)
{
    size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;
    while (si < sn) {
        if (pi < pn && p[pi] == '*') {
            star = pi++;
            mark = si;
            continue;
        }
        if (pi < pn) {
            char want = p[pi];
            size_t step = 1;
            if (want == '\\' && pi + 1 < pn) want = p[pi + 1], step = 2;
            if (want == s[si]) {
                pi += step;
                si++;
                continue;
            }
        }
        if (star == (size_t)-1) return 0;
        pi = star + 1;
        si = ++mark;
    }
    while (pi < pn && p[pi] == '*') pi++;
    return pi == pn;
}

static int num_ok(int op, double x, double y)
{
    switch (op) {
    case OP_EQ: return x == y;
    case OP_LT: return x < y;
    case OP_LE: return x <= y;
    case OP_GT: return x > y;
    default: return x >= y;
    }
}

static int cidr_ok(const cond *c, const val *v)
{
    if (v->t != V_STR || v->slen >= 64) return 0;
    char ip[64];
    memcpy(ip, v->s, v->slen);
    ip[v->slen] = 0;
    unsigned char a[16];
    if (inet_pton(c->family, ip, a) != 1) return 0;
    int full = c->bits / 8, rest = c->bits % 8;
    if (memcmp(a, c->addr, (size_t)full)) return 0;
    if (!rest) return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[full] & mask) == (c->addr[full] & mask);
}

/* One condition against one value. */
static int cond_val(const cond *c, const val *v)
{
    switch (c->k) {
    case C_STR: return v->t == V_STR && v->slen == c->slen && !memcmp(v->s, c->s, c->slen);
    case C_NUM: return v->t == V_NUM && v->n == c->n;
    case C_TRUE: return v->t == V_TRUE;
    case C_FALSE: return v->t == V_FALSE;
    case C_NULL: return v->t == V_NULL;
    case C_PREFIX: return has_prefix(v, c->s, c->slen);
    case C_SUFFIX: return has_suffix(v, c->s, c->slen);
    case C_EQIC: return eq_ic(v, c->s, c->slen);
    case C_AB:
        if (v->t == V_STR) {
            for (size_t i = 0; i < c->nstr; i++)
                if (v->slen == c->slens[i] && !memcmp(v->s, c->strs[i], v->slen)) return 0;
        } else if (v->t == V_NUM) {
            for (size_t i = 0; i < c->nnum; i++)
                if (v->n == c->nums[i]) return 0;
        }
        return 1;
    case C_AB_PREFIX: return v->t == V_STR && !has_prefix(v, c->s, c->slen);
    case C_AB_SUFFIX: return v->t == V_STR && !has_suffix(v, c->s, c->slen);
    case C_AB_EQIC: return v->t == V_STR && !eq_ic(v, c->s, c->slen);
    case C_NUMERIC:
        if (v->t != V_NUM) return 0;
        for (int i = 0; i < c->nops; i++)
            if (!num_ok(c->op[i], v->n, c->val[i])) return 0;
        return 1;
    case C_CIDR: return cidr_ok(c, v);
    case C_WILDCARD: return v->t == V_STR && glob(c->s, c->slen, v->s, v->slen);
    case C_AB_WILDCARD: return v->t == V_STR && !glob(c->s, c->slen, v->s, v->slen);
    case C_EXISTS: return 0;
    }
    return 0;
}

/* A key's conditions against its values: any condition may match. Anything-but
 * requires the key and, for several values (String.Array, body arrays), that none of
 * them is excluded (AWS: "For String.Array type attributes, it matches if none of the
 * array elements are listed"); the others need one matching value. */
static int leaf(const entry *en, const vals *vs)
{
    for (size_t i = 0; i < en->nconds; i++) {
        const cond *c = &en->conds[i];
        if (c->k == C_EXISTS) {
            if (c->exists == vs->present) return 1;
            continue;
        }
        if (c->k == C_AB || c->k == C_AB_PREFIX || c->k == C_AB_SUFFIX || c->k == C_AB_EQIC ||
            c->k == C_AB_WILDCARD) {
            if (!vs->n) continue;
            size_t j = 0;
            while (j < vs->n && cond_val(c, &vs->v[j])) j++;
            if (j == vs->n) return 1;
            continue;
        }
        for (size_t j = 0; j < vs->n; j++)
            if (cond_val(c, &vs->v[j])) return 1;
    }
    return 0;
}

static int match_attrs(const pattern *pt, const json_t *attrs)
{
    for (size_t i = 0; i < pt->n; i++) {
        const entry *en = &pt->v[i];
        int ok = 0;
        if (en->ors) {
            for (size_t j = 0; j < en->nors && !ok; j++) ok = match_attrs(&en->ors[j], attrs);
        } else {
            vals vs;
            json_t *tmp = NULL;
            attr_vals(json_object_get(attrs, en->key), &vs, &tmp);
            ok = leaf(en, &vs);
            json_decref(tmp);
        }
        if (!ok) return 0;
    }
    return 1;
}

/* obj may be NULL (the parent key is absent): only "exists": false can then match. */
static int match_body(const pattern *pt, const json_t *obj, int depth)
{
    for (size_t i = 0; i < pt->n; i++) {
        const entry *en = &pt->v[i];
        int ok = 0;
        if (en->ors) {
            for (size_t j = 0; j < en->nors && !ok; j++) ok = match_body(&en->ors[j], obj, depth);
        } else {
            const json_t *x = obj ? json_object_get(obj, en->key) : NULL;
            if (en->nested) {
                if (depth > 64)
                    ok = 0;
                else if (json_is_object(x))
                    ok = match_body(en->nested, x, depth + 1);
                else if (json_is_array(x)) {
                    /* AWS: arrays in the body match when one of their objects does */
                    size_t k;
                    const json_t *y;
                    json_array_foreach(x, k, y) {
                        if (json_is_object(y) && match_body(en->nested, y, depth + 1)) {
                            ok = 1;
                            break;
                        }
                    }
                } else {
                    ok = match_body(en->nested, NULL, depth + 1);
                }
            } else {
                vals vs;
                vs.n = 0;
                vs.present = x != NULL && !json_is_object(x);
                if (x) add_json(&vs, x, 0);
                ok = leaf(en, &vs);
            }
        }
        if (!ok) return 0;
    }
    return 1;
}

int sns_filter_match(const sns_filter *f, const json_t *attrs, const json_t *body)
{
    if (!f) return 1;
    if (f->scope == SNS_SCOPE_EVENT) return json_is_object(body) && match_body(&f->root, body, 0);
    if (f->scope == SNS_SCOPE_BODY) {
        /* AWS: payload-based filtering "assumes the message payload is a well-formed JSON
         * object"; anything else is not delivered */
        if (!json_is_object(body)) return 0;
        return match_body(&f->root, body, 0);
    }
    return match_attrs(&f->root, attrs);
}
