/* JSON Schema draft 4 (jschema.h). One walk serves both the check of a schema and the
 * validation of a document; a budget of steps bounds what a hostile schema ($ref cycles,
 * allOf trees) can make it do, and every regular expression runs under a match limit. */
#include "jschema.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

#define MAX_DEPTH   64     /* nested schemas followed at once */
#define MAX_STEPS   200000 /* schemas visited in one validation */
#define MAX_ERRORS  100    /* failures reported */
#define MATCH_LIMIT 100000 /* pcre2's backtracking limit per match */

typedef struct vctx {
    jschema_resolve_fn resolve;
    void *ud;
    json_t *errs; /* NULL: count only (anyOf's tries) */
    long steps;
    int oom;
    int exhausted;
} vctx;

static const char *type_of(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

static int type_matches(const char *want, const json_t *v)
{
    const char *t = type_of(v);
    if (!strcmp(want, t)) return 1;
    return !strcmp(want, "number") && json_is_integer(v);
}

static int known_type(const char *t)
{
    static const char *const all[] = {"object", "array",   "string", "integer",
                                      "number", "boolean", "null"};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (!strcmp(t, all[i])) return 1;
    return 0;
}

/* compact JSON text of v (malloc'd) */
static char *dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
}

static void fail(vctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(vctx *x, const char *fmt, ...)
{
    if (!x->errs || json_array_size(x->errs) >= MAX_ERRORS) return;
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    json_t *j = n >= 0 ? json_string(s) : NULL;
    if (!j || json_array_append_new(x->errs, j)) x->oom = 1;
    free(s);
}

/* ---- $ref ---- */

/* A JSON pointer ("/definitions/a~1b") into root, or NULL. */
static const json_t *pointer(const json_t *root, const char *p)
{
    const json_t *v = root;
    while (v && *p == '/') {
        p++;
        size_t n = strcspn(p, "/");
        char key[256];
        size_t k = 0;
        for (size_t i = 0; i < n && k + 1 < sizeof(key); i++) {
            if (p[i] == '~' && i + 1 < n && (p[i + 1] == '0' || p[i + 1] == '1'))
                key[k++] = p[++i] == '0' ? '~' : '/';
            else
                key[k++] = p[i];
        }
        key[k] = 0;
        if (json_is_array(v)) {
            char *end;
            unsigned long i = strtoul(key, &end, 10);
            v = *key && !*end ? json_array_get(v, i) : NULL;
        } else {
            v = json_object_get(v, key);
        }
        p += n;
    }
    return *p ? NULL : v;
}

/* What ref names: a schema and the root its own local references start from. */
static const json_t *follow(vctx *x, const json_t *root, const char *ref, const json_t **new_root)
{
    const char *hash = strchr(ref, '#');
    *new_root = root;
    if (hash != ref) { /* another document: the caller's to find */
        const json_t *doc = NULL;
        if (x->resolve) {
            char *base = hash ? strndup(ref, (size_t)(hash - ref)) : NULL;
            if (hash && !base) {
                x->oom = 1;
                return NULL;
            }
            doc = x->resolve(x->ud, base ? base : ref);
            free(base);
        }
        if (!doc) return NULL;
        *new_root = doc;
        if (!hash) return doc;
    }
    return pointer(*new_root, hash + 1);
}

/* ---- regular expressions (ECMA 262: a search, not anchored) ---- */

/* 1 match, 0 no match, -1 not a usable expression (or the match ran out of its limit). */
static int re_search(const char *pattern, const char *s, size_t len)
{
    int err;
    PCRE2_SIZE off;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &err, &off, NULL);
    if (!re) return -1;
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    int rc = -1;
    if (mc && md) {
        pcre2_set_match_limit(mc, MATCH_LIMIT);
        pcre2_set_depth_limit(mc, MATCH_LIMIT);
        int m = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, md, mc);
        rc = m >= 0 ? 1 : m == PCRE2_ERROR_NOMATCH ? 0 : -1;
    }
    pcre2_match_data_free(md);
    pcre2_match_context_free(mc);
    pcre2_code_free(re);
    return rc;
}

/* ---- validation ---- */

static int walk(vctx *x, const json_t *root, const json_t *s, const json_t *v, int depth);

/* v against s without reporting: 1 valid, 0 not. */
static int quietly(vctx *x, const json_t *root, const json_t *s, const json_t *v, int depth)
{
    json_t *saved = x->errs;
    x->errs = NULL;
    int ok = walk(x, root, s, v, depth) == 0;
    x->errs = saved;
    return ok;
}

static size_t utf8_len(const char *s, size_t n)
{
    size_t l = 0;
    for (size_t i = 0; i < n; i++) l += ((unsigned char)s[i] & 0xC0) != 0x80;
    return l;
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* names (n of them) as a sorted JSON array text, malloc'd */
static char *name_list(const char **names, size_t n)
{
    qsort(names, n, sizeof(*names), by_text);
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(names[i]))) json_decref(a), a = NULL;
    char *s = a ? dump(a) : NULL;
    json_decref(a);
    return s;
}

/* A number's value as a double, and whether the keyword holds one. */
static int num(const json_t *s, const char *key, double *out)
{
    const json_t *n = json_object_get(s, key);
    if (!json_is_number(n)) return 0;
    *out = json_number_value(n);
    return 1;
}

static void numeric(vctx *x, const json_t *s, const json_t *v)
{
    double d = json_number_value(v), lim;
    char *found = dump(v);
    if (!found) {
        x->oom = 1;
        return;
    }
    if (num(s, "maximum", &lim)) {
        char *ls = dump(json_object_get(s, "maximum"));
        if (json_is_true(json_object_get(s, "exclusiveMaximum")) && d >= lim)
            fail(x, "numeric instance is not strictly lower than the required maximum %s",
                 ls ? ls : "");
        else if (d > lim)
            fail(x,
                 "numeric instance is greater than the required maximum (maximum: %s, found: %s)",
                 ls ? ls : "", found);
        free(ls);
    }
    if (num(s, "minimum", &lim)) {
        char *ls = dump(json_object_get(s, "minimum"));
        if (json_is_true(json_object_get(s, "exclusiveMinimum")) && d <= lim)
            fail(x, "numeric instance is not strictly greater than the required minimum %s",
                 ls ? ls : "");
        else if (d < lim)
            fail(x, "numeric instance is lower than the required minimum (minimum: %s, found: %s)",
                 ls ? ls : "", found);
        free(ls);
    }
    if (num(s, "multipleOf", &lim) && lim > 0) {
        double q = d / lim;
        if (!isfinite(q) || fabs(q - nearbyint(q)) > 1e-9 * fmax(1.0, fabs(q))) {
            char *ls = dump(json_object_get(s, "multipleOf"));
            fail(x, "remainder of division is not zero (%s / %s)", found, ls ? ls : "");
            free(ls);
        }
    }
    free(found);
}

static void string_kw(vctx *x, const json_t *s, const json_t *v)
{
    const char *str = json_string_value(v);
    size_t bytes = json_string_length(v), len = utf8_len(str, bytes);
    double lim;
    char *quoted = NULL;
    if (num(s, "minLength", &lim) && (double)len < lim) {
        quoted = quoted ? quoted : dump(v);
        fail(x, "string %s is too short (length: %zu, required minimum: %lld)",
             quoted ? quoted : "", len, (long long)lim);
    }
    if (num(s, "maxLength", &lim) && (double)len > lim) {
        quoted = quoted ? quoted : dump(v);
        fail(x, "string %s is too long (length: %zu, maximum allowed: %lld)", quoted ? quoted : "",
             len, (long long)lim);
    }
    const char *pat = json_string_value(json_object_get(s, "pattern"));
    if (pat) {
        int m = re_search(pat, str, bytes);
        if (m == 0)
            fail(x, "ECMA 262 regex \"%s\" does not match input string \"%s\"", pat, str);
        else if (m < 0)
            fail(x, "cannot match input string against ECMA 262 regex \"%s\"", pat);
    }
    free(quoted);
}

static void array_kw(vctx *x, const json_t *root, const json_t *s, const json_t *v, int depth)
{
    size_t n = json_array_size(v);
    double lim;
    if (num(s, "minItems", &lim) && (double)n < lim)
        fail(x,
             "array is too short: must have at least %lld elements but instance has %zu elements",
             (long long)lim, n);
    if (num(s, "maxItems", &lim) && (double)n > lim)
        fail(x, "array is too long: must have at most %lld elements but instance has %zu elements",
             (long long)lim, n);
    if (json_is_true(json_object_get(s, "uniqueItems"))) {
        int dup = 0;
        for (size_t i = 0; i < n && !dup && i < 1000; i++)
            for (size_t j = i + 1; j < n && !dup; j++)
                dup = json_equal(json_array_get(v, i), json_array_get(v, j));
        if (dup) fail(x, "array must not contain duplicate elements");
    }
    const json_t *items = json_object_get(s, "items"),
                 *extra = json_object_get(s, "additionalItems");
    for (size_t i = 0; i < n && !x->oom && !x->exhausted; i++) {
        const json_t *is = json_is_object(items) ? items : json_array_get(items, i);
        if (json_is_array(items) && i >= json_array_size(items)) {
            if (json_is_false(extra)) {
                fail(x, "array has too many elements (found %zu but schema allows at most %zu)", n,
                     json_array_size(items));
                break;
            }
            is = json_is_object(extra) ? extra : NULL;
        }
        if (is) walk(x, root, is, json_array_get(v, i), depth + 1);
    }
}

static void object_kw(vctx *x, const json_t *root, const json_t *s, const json_t *v, int depth)
{
    size_t n = json_object_size(v);
    double lim;
    if (num(s, "minProperties", &lim) && (double)n < lim)
        fail(x, "object has too few properties (found %zu but schema requires at least %lld)", n,
             (long long)lim);
    if (num(s, "maxProperties", &lim) && (double)n > lim)
        fail(x, "object has too many properties (found %zu but schema requires at most %lld)", n,
             (long long)lim);
    const json_t *req = json_object_get(s, "required");
    size_t nr = json_array_size(req), nm = 0;
    const char **missing = nr ? calloc(nr, sizeof(*missing)) : NULL;
    if (nr && !missing) {
        x->oom = 1;
        return;
    }
    for (size_t i = 0; i < nr; i++) {
        const char *k = json_string_value(json_array_get(req, i));
        if (k && !json_object_get(v, k)) missing[nm++] = k;
    }
    if (nm) {
        char *list = name_list(missing, nm);
        if (!list) x->oom = 1;
        fail(x, "object has missing required properties (%s)", list ? list : "");
        free(list);
    }
    free(missing);
    const json_t *props = json_object_get(s, "properties"),
                 *pprops = json_object_get(s, "patternProperties"),
                 *addl = json_object_get(s, "additionalProperties");
    const char **extra = n ? calloc(n, sizeof(*extra)) : NULL;
    size_t ne = 0;
    if (n && !extra) {
        x->oom = 1;
        return;
    }
    const char *k;
    json_t *child;
    json_object_foreach((json_t *)v, k, child) {
        if (x->oom || x->exhausted) break;
        int matched = 0;
        const json_t *ps = json_object_get(props, k);
        if (json_is_object(ps)) {
            matched = 1;
            walk(x, root, ps, child, depth + 1);
        }
        const char *pat;
        json_t *pp;
        json_object_foreach((json_t *)pprops, pat, pp) {
            if (re_search(pat, k, strlen(k)) == 1) {
                matched = 1;
                if (json_is_object(pp)) walk(x, root, pp, child, depth + 1);
            }
        }
        if (matched) continue;
        if (json_is_false(addl))
            extra[ne++] = k;
        else if (json_is_object(addl))
            walk(x, root, addl, child, depth + 1);
    }
    if (ne) {
        char *list = name_list(extra, ne);
        if (!list) x->oom = 1;
        fail(x, "object instance has properties which are not allowed by the schema: %s",
             list ? list : "");
        free(list);
    }
    free(extra);
}

static void combine(vctx *x, const json_t *root, const json_t *s, const json_t *v, int depth)
{
    const json_t *all = json_object_get(s, "allOf"), *any = json_object_get(s, "anyOf"),
                 *one = json_object_get(s, "oneOf"), *no = json_object_get(s, "not");
    size_t i, good = 0;
    json_t *sub;
    json_array_foreach(all, i, sub) good += quietly(x, root, sub, v, depth + 1);
    if (json_is_array(all) && good != json_array_size(all))
        fail(x, "instance failed to match all required schemas (matched only %zu out of %zu)", good,
             json_array_size(all));
    good = 0;
    json_array_foreach(any, i, sub) {
        if (quietly(x, root, sub, v, depth + 1)) {
            good = 1;
            break;
        }
    }
    if (json_is_array(any) && !good)
        fail(x, "instance failed to match at least one required schema among %zu",
             json_array_size(any));
    good = 0;
    json_array_foreach(one, i, sub) good += quietly(x, root, sub, v, depth + 1);
    if (json_is_array(one) && good != 1)
        fail(x, "instance failed to match exactly one schema (matched %zu out of %zu)", good,
             json_array_size(one));
    if (json_is_object(no) && quietly(x, root, no, v, depth + 1))
        fail(x, "instance matched a schema which it should not have");
}

/* 0 valid, 1 not (reported), -1 stopped (out of memory or budget). */
static int walk(vctx *x, const json_t *root, const json_t *s, const json_t *v, int depth)
{
    size_t before = x->errs ? json_array_size(x->errs) : 0;
    int bad_before = 0;
    if (++x->steps > MAX_STEPS || depth > MAX_DEPTH) {
        if (!x->exhausted) fail(x, "schema too complex to validate against");
        x->exhausted = 1;
        return -1;
    }
    if (!json_is_object(s)) return 0; /* checked schemas never get here */
    const char *ref = json_string_value(json_object_get(s, "$ref"));
    if (ref) { /* draft 4: a $ref replaces the schema it stands in */
        const json_t *nr, *t = follow(x, root, ref, &nr);
        if (!t) {
            fail(x, "unresolvable JSON reference \"%s\"", ref);
            return 1;
        }
        return walk(x, nr, t, v, depth + 1);
    }
    /* a failure in quiet mode shows as the walk's result, so count them locally too */
    json_t *quiet = NULL;
    if (!x->errs) {
        quiet = json_array();
        if (!quiet) return x->oom = 1, -1;
        x->errs = quiet;
    }
    const json_t *type = json_object_get(s, "type");
    int type_ok = 1;
    if (json_is_string(type)) {
        type_ok = type_matches(json_string_value(type), v);
    } else if (json_is_array(type)) {
        size_t i;
        json_t *t;
        type_ok = 0;
        json_array_foreach(type, i, t)
            type_ok |= json_is_string(t) && type_matches(json_string_value(t), v);
    }
    if (!type_ok) {
        json_t *want = json_is_string(type) ? json_pack("[O]", type) : json_incref((json_t *)type);
        char *w = want ? dump(want) : NULL;
        json_decref(want);
        fail(x, "instance type (%s) does not match any allowed primitive type (allowed: %s)",
             type_of(v), w ? w : "");
        free(w);
    } else {
        const json_t *en = json_object_get(s, "enum");
        if (json_is_array(en)) {
            size_t i;
            json_t *e;
            int found = 0;
            json_array_foreach(en, i, e) found |= json_equal(e, (json_t *)v);
            if (!found) {
                char *vs = dump(v), *es = dump(en);
                fail(x, "instance value (%s) not found in enum (possible values: %s)", vs ? vs : "",
                     es ? es : "");
                free(vs);
                free(es);
            }
        }
        if (json_is_number(v)) numeric(x, s, v);
        if (json_is_string(v)) string_kw(x, s, v);
        if (json_is_array(v)) array_kw(x, root, s, v, depth);
        if (json_is_object(v)) object_kw(x, root, s, v, depth);
        combine(x, root, s, v, depth);
    }
    size_t after = json_array_size(x->errs);
    bad_before = after > before;
    if (quiet) {
        x->errs = NULL;
        json_decref(quiet);
    }
    if (x->oom) return -1;
    return bad_before ? 1 : 0;
}

int jschema_validate(const json_t *schema, const json_t *doc, jschema_resolve_fn resolve, void *ud,
                     json_t *errs)
{
    json_t *own = errs ? NULL : json_array();
    if (!errs && !own) return -1;
    vctx x = {.resolve = resolve, .ud = ud, .errs = errs ? errs : own};
    size_t before = json_array_size(x.errs);
    walk(&x, schema, schema, doc, 0);
    int bad = json_array_size(x.errs) > before || x.exhausted;
    json_decref(own);
    if (x.oom) return -1;
    return bad ? 1 : 0;
}

/* ---- checking a schema ---- */

typedef struct cctx {
    jschema_resolve_fn resolve;
    void *ud;
    char *msg;
    size_t n;
    long steps;
} cctx;

static int bad(cctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(cctx *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->msg, x->n, fmt, ap);
    va_end(ap);
    return -1;
}

static int check(cctx *x, const json_t *root, const json_t *s, int depth);

static int check_map(cctx *x, const json_t *root, const json_t *m, const char *kw, int depth)
{
    if (!m) return 0;
    if (!json_is_object(m)) return bad(x, "\"%s\" must be an object", kw);
    const char *k;
    json_t *sub;
    json_object_foreach((json_t *)m, k, sub) {
        if (check(x, root, sub, depth + 1)) return -1;
    }
    return 0;
}

static int check_list(cctx *x, const json_t *root, const json_t *l, const char *kw, int depth)
{
    if (!l) return 0;
    if (!json_is_array(l) || !json_array_size(l))
        return bad(x, "\"%s\" must be a non-empty array", kw);
    size_t i;
    json_t *sub;
    json_array_foreach(l, i, sub) {
        if (check(x, root, sub, depth + 1)) return -1;
    }
    return 0;
}

static int check_count(cctx *x, const json_t *s, const char *kw)
{
    const json_t *v = json_object_get(s, kw);
    if (v && (!json_is_integer(v) || json_integer_value(v) < 0))
        return bad(x, "\"%s\" must be a non-negative integer", kw);
    return 0;
}

static int check(cctx *x, const json_t *root, const json_t *s, int depth)
{
    if (++x->steps > MAX_STEPS || depth > MAX_DEPTH) return bad(x, "schema nested too deeply");
    if (!json_is_object(s)) return bad(x, "a schema must be an object");
    const json_t *ref = json_object_get(s, "$ref");
    if (ref) {
        if (!json_is_string(ref)) return bad(x, "\"$ref\" must be a string");
        vctx vx = {.resolve = x->resolve, .ud = x->ud};
        const json_t *nr;
        if (!follow(&vx, root, json_string_value(ref), &nr))
            return bad(x, "unresolvable JSON reference \"%s\"", json_string_value(ref));
    }
    const json_t *type = json_object_get(s, "type");
    if (json_is_string(type)) {
        if (!known_type(json_string_value(type)))
            return bad(x, "unknown type \"%s\"", json_string_value(type));
    } else if (json_is_array(type)) {
        size_t i;
        json_t *t;
        json_array_foreach(type, i, t) {
            if (!json_is_string(t) || !known_type(json_string_value(t)))
                return bad(x, "\"type\" must name known types");
        }
    } else if (type) {
        return bad(x, "\"type\" must be a string or an array");
    }
    static const char *const counts[] = {"minLength", "maxLength",     "minItems",
                                         "maxItems",  "minProperties", "maxProperties"};
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
        if (check_count(x, s, counts[i])) return -1;
    static const char *const nums[] = {"minimum", "maximum", "multipleOf"};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        const json_t *v = json_object_get(s, nums[i]);
        if (v && !json_is_number(v)) return bad(x, "\"%s\" must be a number", nums[i]);
    }
    const json_t *mo = json_object_get(s, "multipleOf");
    if (mo && json_number_value(mo) <= 0) return bad(x, "\"multipleOf\" must be greater than 0");
    static const char *const bools[] = {"exclusiveMinimum", "exclusiveMaximum", "uniqueItems"};
    for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
        const json_t *v = json_object_get(s, bools[i]);
        if (v && !json_is_boolean(v)) return bad(x, "\"%s\" must be a boolean", bools[i]);
    }
    const json_t *pat = json_object_get(s, "pattern");
    if (pat && (!json_is_string(pat) || re_search(json_string_value(pat), "", 0) < 0))
        return bad(x, "\"pattern\" must be a valid ECMA 262 regular expression");
    const json_t *req = json_object_get(s, "required");
    if (req) {
        size_t i;
        json_t *r;
        if (!json_is_array(req) || !json_array_size(req))
            return bad(x, "\"required\" must be a non-empty array of strings");
        json_array_foreach(req, i, r) {
            if (!json_is_string(r))
                return bad(x, "\"required\" must be a non-empty array of strings");
        }
    }
    const json_t *en = json_object_get(s, "enum");
    if (en && (!json_is_array(en) || !json_array_size(en)))
        return bad(x, "\"enum\" must be a non-empty array");
    if (check_map(x, root, json_object_get(s, "properties"), "properties", depth) ||
        check_map(x, root, json_object_get(s, "definitions"), "definitions", depth))
        return -1;
    const json_t *pp = json_object_get(s, "patternProperties");
    if (check_map(x, root, pp, "patternProperties", depth)) return -1;
    const char *k;
    json_t *sub;
    json_object_foreach((json_t *)pp, k, sub) {
        if (re_search(k, "", 0) < 0)
            return bad(x, "\"patternProperties\" names must be valid ECMA 262 regular expressions");
    }
    static const char *const either[] = {"additionalProperties", "additionalItems"};
    for (size_t i = 0; i < 2; i++) {
        const json_t *a = json_object_get(s, either[i]);
        if (a && !json_is_boolean(a) && check(x, root, a, depth + 1)) return -1;
    }
    const json_t *items = json_object_get(s, "items");
    if (items && (json_is_array(items) ? check_list(x, root, items, "items", depth)
                                       : check(x, root, items, depth + 1)))
        return -1;
    if (check_list(x, root, json_object_get(s, "allOf"), "allOf", depth) ||
        check_list(x, root, json_object_get(s, "anyOf"), "anyOf", depth) ||
        check_list(x, root, json_object_get(s, "oneOf"), "oneOf", depth))
        return -1;
    const json_t *no = json_object_get(s, "not");
    return no ? check(x, root, no, depth + 1) : 0;
}

int jschema_check(const json_t *schema, jschema_resolve_fn resolve, void *ud, char *msg, size_t n)
{
    cctx x = {.resolve = resolve, .ud = ud, .msg = msg, .n = n};
    if (n) msg[0] = 0;
    return check(&x, schema, schema, 0);
}

char *jschema_errors_string(const json_t *errs)
{
    buf b;
    buf_init(&b, 0);
    buf_putc(&b, '[');
    size_t i;
    json_t *e;
    json_array_foreach(errs, i, e) buf_printf(&b, "%s%s", i ? ", " : "", json_string_value(e));
    buf_putc(&b, ']');
    char *s = b.failed ? NULL : strdup(buf_str(&b));
    buf_dispose(&b);
    return s;
}
