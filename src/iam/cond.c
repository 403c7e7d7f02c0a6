/* Condition operators: compile the policy side once, compare at evaluation. */
#include "iam/cond.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "iam/grammar.h"

enum { T_STR, T_STR_IC, T_LIKE, T_NUM, T_DATE, T_BOOL, T_BIN, T_IP, T_ARN, T_NULL };
enum { C_EQ, C_LT, C_LE, C_GT, C_GE };

typedef struct opdef {
    const char *name;
    uint8_t type, cmp, neg;
} opdef;

static const opdef OPS[] = {
    {"StringEquals", T_STR, C_EQ, 0},
    {"StringNotEquals", T_STR, C_EQ, 1},
    {"StringEqualsIgnoreCase", T_STR_IC, C_EQ, 0},
    {"StringNotEqualsIgnoreCase", T_STR_IC, C_EQ, 1},
    {"StringLike", T_LIKE, C_EQ, 0},
    {"StringNotLike", T_LIKE, C_EQ, 1},
    {"NumericEquals", T_NUM, C_EQ, 0},
    {"NumericNotEquals", T_NUM, C_EQ, 1},
    {"NumericLessThan", T_NUM, C_LT, 0},
    {"NumericLessThanEquals", T_NUM, C_LE, 0},
    {"NumericGreaterThan", T_NUM, C_GT, 0},
    {"NumericGreaterThanEquals", T_NUM, C_GE, 0},
    {"DateEquals", T_DATE, C_EQ, 0},
    {"DateNotEquals", T_DATE, C_EQ, 1},
    {"DateLessThan", T_DATE, C_LT, 0},
    {"DateLessThanEquals", T_DATE, C_LE, 0},
    {"DateGreaterThan", T_DATE, C_GT, 0},
    {"DateGreaterThanEquals", T_DATE, C_GE, 0},
    {"Bool", T_BOOL, C_EQ, 0},
    {"BinaryEquals", T_BIN, C_EQ, 0},
    {"IpAddress", T_IP, C_EQ, 0},
    {"NotIpAddress", T_IP, C_EQ, 1},
    {"ArnEquals", T_ARN, C_EQ, 0},
    {"ArnLike", T_ARN, C_EQ, 0},
    {"ArnNotEquals", T_ARN, C_EQ, 1},
    {"ArnNotLike", T_ARN, C_EQ, 1},
    {"Null", T_NULL, C_EQ, 0},
};
#define NOPS (sizeof(OPS) / sizeof(OPS[0]))

#define MALFORMED(e, ...) ferr_set((e), 400, "MalformedPolicyDocument", __VA_ARGS__)

static int parse_bool(const char *s)
{
    if (!strcasecmp(s, "true")) return 1;
    if (!strcasecmp(s, "false")) return 0;
    return -1;
}

static int parse_num(const char *s, double *out)
{
    char *end;
    if (!*s) return -1;
    double v = strtod(s, &end);
    if (*end || isnan(v)) return -1;
    *out = v;
    return 0;
}

static int parse_ip(const char *s, iam_cidr *o, int allow_prefix)
{
    char tmp[64];
    size_t n = strlen(s);
    memset(o, 0, sizeof(*o));
    if (n >= sizeof(tmp)) return -1;
    memcpy(tmp, s, n + 1);
    char *slash = strchr(tmp, '/');
    long bits = -1;
    if (slash) {
        if (!allow_prefix || !slash[1]) return -1;
        char *end;
        bits = strtol(slash + 1, &end, 10);
        if (*end || slash[1] == '-' || slash[1] == '+') return -1;
        *slash = 0;
    }
    if (strchr(tmp, ':')) {
        if (inet_pton(AF_INET6, tmp, o->addr) != 1) return -1;
        o->fam = 6;
        if (bits < 0) bits = 128;
        if (bits > 128) return -1;
        /* an IPv4-mapped address (::ffff:a.b.c.d) compares as IPv4 */
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (!slash && !memcmp(o->addr, mapped, 12)) {
            memmove(o->addr, o->addr + 12, 4);
            memset(o->addr + 4, 0, 12);
            o->fam = 4;
            bits = 32;
        }
    } else {
        if (inet_pton(AF_INET, tmp, o->addr) != 1) return -1;
        o->fam = 4;
        if (bits < 0) bits = 32;
        if (bits > 32) return -1;
    }
    o->bits = (uint8_t)bits;
    return 0;
}

static int cidr_has(const iam_cidr *net, const iam_cidr *ip)
{
    if (net->fam != ip->fam || !net->fam) return 0;
    int full = net->bits / 8, rest = net->bits % 8;
    if (memcmp(net->addr, ip->addr, (size_t)full)) return 0;
    if (rest) {
        uint8_t m = (uint8_t)(0xff << (8 - rest));
        if ((net->addr[full] & m) != (ip->addr[full] & m)) return 0;
    }
    return 1;
}

/* A condition value as text: AWS accepts strings, numbers and booleans. */
static const char *val_text(json_t *v, char *tmp, size_t n)
{
    if (json_is_string(v)) return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(tmp, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return tmp;
    }
    if (json_is_real(v)) {
        snprintf(tmp, n, "%.17g", json_real_value(v));
        return tmp;
    }
    if (json_is_true(v)) return "true";
    if (json_is_false(v)) return "false";
    return NULL;
}

/* A date as the policy grammar reads it (iam_date_parse), or in a form ferry's own context
 * values may take that it does not (clock_parse's: RFC 7231, basic ISO 8601). */
static int date_of(const char *s, double *t)
{
    return iam_date_parse(s, t) && clock_parse(s, t) ? -1 : 0;
}

static int compile_val(arena *a, const opdef *d, const char *s, int vars, cond_val *o)
{
    switch (d->type) {
    case T_STR:
    case T_STR_IC: return iam_pat_compile(a, s, strlen(s), vars, 0, &o->pat);
    case T_LIKE:
    case T_ARN: return iam_pat_compile(a, s, strlen(s), vars, 1, &o->pat);
    case T_BIN: return iam_pat_compile(a, s, strlen(s), 0, 0, &o->pat);
    case T_NUM:
        if (parse_num(s, &o->num)) o->num = NAN;
        return 0;
    case T_DATE:
        if (date_of(s, &o->num)) o->num = NAN;
        return 0;
    case T_BOOL:
    case T_NULL: o->b = parse_bool(s); return 0;
    case T_IP:
        if (parse_ip(s, &o->ip, 1)) o->ip.fam = 0;
        return 0;
    }
    return 0;
}

int iam_cond_op_find(const char *opname, int *qual, int *if_exists)
{
    const char *name = opname;
    *qual = Q_NONE;
    *if_exists = 0;
    if (!strncasecmp(name, "ForAllValues:", 13)) {
        *qual = Q_ALL;
        name += 13;
    } else if (!strncasecmp(name, "ForAnyValue:", 12)) {
        *qual = Q_ANY;
        name += 12;
    }
    size_t nl = strlen(name);
    if (nl > 8 && !strcasecmp(name + nl - 8, "IfExists")) {
        *if_exists = 1;
        nl -= 8;
    }
    for (size_t i = 0; i < NOPS; i++)
        if (strlen(OPS[i].name) == nl && !strncasecmp(OPS[i].name, name, nl)) return (int)i;
    return -1;
}

int iam_cond_op_is_date(int op)
{
    return op >= 0 && (size_t)op < NOPS && OPS[op].type == T_DATE;
}

int iam_cond_op_is_pattern(int op)
{
    if (op < 0 || (size_t)op >= NOPS) return 0;
    int t = OPS[op].type;
    return t == T_STR || t == T_STR_IC || t == T_LIKE || t == T_ARN || t == T_BIN;
}

int iam_cond_compile(arena *a, const char *opname, const char *key, json_t *vals, int vars,
                     iam_cond *c, ferr *e)
{
    memset(c, 0, sizeof(*c));
    int qual, if_exists;
    int op = iam_cond_op_find(opname, &qual, &if_exists);
    /* the grammar (grammar.c) refused unknown operators; IAM accepts NullIfExists and a
     * qualified Null (Access Analyzer warns): Null ignores both when evaluated */
    if (op < 0) return MALFORMED(e, "Syntax errors in policy.");
    c->qual = (uint8_t)qual;
    c->if_exists = (uint8_t)if_exists;
    c->op = (uint8_t)op;
    /* AWS: IAM does not validate condition key names (a key without a vendor prefix is
     * accepted and never present in a request); Access Analyzer warns about them */
    c->key = arena_strdup(a, key);
    if (!c->key) return ferr_oom(e);
    c->keylen = (uint32_t)strlen(key);

    size_t n = json_is_array(vals) ? json_array_size(vals) : 1;
    cond_val *cv = arena_alloc(a, (n ? n : 1) * sizeof(*cv));
    if (!cv) return ferr_oom(e);
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_is_array(vals) ? json_array_get(vals, i) : vals;
        char tmp[64];
        const char *s = val_text(v, tmp, sizeof(tmp));
        if (!s) return MALFORMED(e, "Syntax errors in policy.");
        if (compile_val(a, &OPS[op], s, vars, &cv[i])) return ferr_oom(e);
    }
    c->vals = cv;
    c->nvals = (uint32_t)n;
    return 0;
}

static int num_cmp(int cmp, double v, double p)
{
    switch (cmp) {
    case C_EQ: return v == p;
    case C_LT: return v < p;
    case C_LE: return v <= p;
    case C_GT: return v > p;
    default: return v >= p;
    }
}

/* The positive operator for one request value against the policy values (ORed).
 * 1 some value matches, 0 none, -1 none and a variable was unresolved,
 * -3 the request value is not of the operator's type. */
static int positive(const iam_cond *c, const opdef *d, iam_env *env, const char *v)
{
    size_t vl = strlen(v);
    double num = 0;
    int b = 0;
    iam_cidr ip;
    switch (d->type) {
    case T_NUM:
        if (parse_num(v, &num)) return -3;
        break;
    case T_DATE:
        if (date_of(v, &num)) return -3;
        break;
    case T_BOOL:
        if ((b = parse_bool(v)) < 0) return -3;
        break;
    case T_IP:
        if (parse_ip(v, &ip, 0)) return -3;
        break;
    default: break;
    }
    int unresolved = 0;
    for (uint32_t i = 0; i < c->nvals; i++) {
        const cond_val *p = &c->vals[i];
        int r = 0;
        switch (d->type) {
        case T_STR:
        case T_LIKE:
        case T_BIN: r = iam_pat_match(&p->pat, env, PM_STR, v, vl); break;
        case T_STR_IC: r = iam_pat_match(&p->pat, env, PM_STR_ICASE, v, vl); break;
        case T_ARN: r = iam_pat_match(&p->pat, env, PM_ARN, v, vl); break;
        case T_NUM:
        case T_DATE: r = !isnan(p->num) && num_cmp(d->cmp, num, p->num); break;
        case T_BOOL: r = p->b == b; break;
        case T_IP: r = cidr_has(&p->ip, &ip); break;
        }
        if (r == 1) return 1;
        if (r < 0) unresolved = 1;
    }
    return unresolved ? -1 : 0;
}

static int one(const iam_cond *c, const opdef *d, iam_env *env, const char *v)
{
    if (!v) return 0;
    int r = positive(c, d, env, v);
    if (r == -3) return 0; /* a request value of the wrong type never satisfies */
    if (r < 0) return -1;
    return d->neg ? !r : r;
}

int iam_cond_eval(const iam_cond *c, iam_env *env)
{
    const opdef *d = &OPS[c->op];
    const char *const *vals = NULL;
    size_t n = 0;
    int present = iam_env_lookup(env, c->key, c->keylen, &vals, &n) && n > 0;
    if (d->type == T_NULL) {
        /* AWS Null: true = the key is absent, false = it is present */
        for (uint32_t i = 0; i < c->nvals; i++)
            if (c->vals[i].b >= 0 && c->vals[i].b == !present) return 1;
        return 0;
    }
    if (!present) {
        if (c->if_exists) return 1;
        if (c->qual == Q_ALL) return 1;
        if (c->qual == Q_ANY) return 0;
        return d->neg ? 1 : 0;
    }
    int unresolved = 0;
    if (c->qual == Q_ALL) {
        for (size_t i = 0; i < n; i++) {
            int r = one(c, d, env, vals[i]);
            if (r == 0) return 0;
            if (r < 0) unresolved = 1;
        }
        return unresolved ? -1 : 1;
    }
    /* no qualifier or ForAnyValue: any request value */
    for (size_t i = 0; i < n; i++) {
        int r = one(c, d, env, vals[i]);
        if (r == 1) return 1;
        if (r < 0) unresolved = 1;
    }
    return unresolved ? -1 : 0;
}
