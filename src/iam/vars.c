/* Policy variables: compiling "${...}" into pattern parts and substituting them. */
#include "iam/vars.h"

#include <string.h>

static int is_sp(char c)
{
    return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *n)
{
    while (*n && is_sp(**s)) (*s)++, (*n)--;
    while (*n && is_sp((*s)[*n - 1])) (*n)--;
}

/* Parses the inside of ${...}. Returns 1 for a variable (key, optional default),
 * 2 for a literal escape (*lit set), 0 when not a variable (kept as text). */
static int parse_var(const char *in, size_t n, const char **key, size_t *klen, const char **def,
                     size_t *dlen, char *lit)
{
    trim(&in, &n);
    if (n == 1 && (in[0] == '*' || in[0] == '?' || in[0] == '$')) {
        *lit = in[0];
        return 2;
    }
    const char *comma = memchr(in, ',', n);
    *key = in;
    *klen = comma ? (size_t)(comma - in) : n;
    trim(key, klen);
    if (*klen == 0) return 0;
    *def = NULL;
    *dlen = 0;
    if (comma) {
        /* AWS: ${aws:username, 'default'} -- the default is single-quoted */
        const char *d = comma + 1;
        size_t dn = n - (size_t)(d - in);
        trim(&d, &dn);
        if (dn < 2 || d[0] != '\'' || d[dn - 1] != '\'') return 0;
        *def = d + 1;
        *dlen = dn - 2;
    }
    for (size_t i = 0; i < *klen; i++)
        if ((*key)[i] == '$' || (*key)[i] == '{' || (*key)[i] == '\'') return 0;
    return 1;
}

int iam_pat_compile(arena *a, const char *text, size_t len, int vars, int wild, iam_pat *p)
{
    memset(p, 0, sizeof(*p));
    p->wild = (uint8_t)wild;
    if (wild && len == 1 && text[0] == '*') {
        p->kind = PAT_ANY;
        return 0;
    }
    size_t nvar_max = 0;
    if (vars)
        for (size_t i = 0; i + 1 < len; i++)
            if (text[i] == '$' && text[i + 1] == '{') nvar_max++;
    char *lit = arena_alloc(a, 2 * len + 1);
    pat_part *parts = nvar_max ? arena_alloc(a, (2 * nvar_max + 1) * sizeof(*parts)) : NULL;
    if (!lit || (nvar_max && !parts)) return -1;
    size_t ll = 0, start = 0, np = 0;
    int has_wild = 0, has_esc = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (nvar_max && c == '$' && i + 1 < len && text[i + 1] == '{') {
            const char *close = memchr(text + i + 2, '}', len - i - 2);
            const char *key, *def;
            size_t klen, dlen;
            char l;
            int r = close ? parse_var(text + i + 2, (size_t)(close - text - i - 2), &key, &klen,
                                      &def, &dlen, &l)
                          : 0;
            if (r == 2) { /* ${*} ${?} ${$}: the character itself, never a wildcard */
                if (l != '$') lit[ll++] = '\\', has_esc = 1;
                lit[ll++] = l;
                i = (size_t)(close - text);
                continue;
            }
            if (r == 1) {
                if (ll > start)
                    parts[np++] = (pat_part){.s = lit + start, .len = (uint32_t)(ll - start)};
                char *k = arena_strndup(a, key, klen);
                char *d = def ? arena_strndup(a, def, dlen) : NULL;
                if (!k || (def && !d)) return -1;
                parts[np++] = (pat_part){.s = k,
                                         .len = (uint32_t)klen,
                                         .def = d,
                                         .deflen = (uint32_t)dlen,
                                         .is_var = 1};
                start = ll;
                i = (size_t)(close - text);
                continue;
            }
        }
        if ((c == '*' || c == '?') && wild) {
            has_wild = 1;
        } else if (c == '*' || c == '?' || c == '\\') {
            lit[ll++] = '\\';
            has_esc = 1;
        }
        lit[ll++] = c;
    }
    lit[ll] = 0;
    if (np) {
        if (ll > start) parts[np++] = (pat_part){.s = lit + start, .len = (uint32_t)(ll - start)};
        p->kind = PAT_VARS;
        p->parts = parts;
        p->nparts = (uint16_t)np;
        return 0;
    }
    p->s = lit;
    p->len = (uint32_t)ll;
    if (!has_wild && !has_esc) {
        p->kind = PAT_LIT;
    } else if (!has_esc && lit[ll - 1] == '*' && !memchr(lit, '*', ll - 1) &&
               !memchr(lit, '?', ll)) {
        p->kind = PAT_PREFIX; /* the common "s3:Get*" and "arn:...:bucket/<star>" */
        p->len = (uint32_t)(ll - 1);
    } else {
        p->kind = PAT_GLOB;
    }
    return 0;
}

static int put(char *out, size_t cap, size_t *o, const char *s, size_t n, int esc)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (esc && (c == '*' || c == '?' || c == '\\')) {
            if (*o + 1 >= cap) return -1;
            out[(*o)++] = '\\';
        }
        if (*o + 1 >= cap) return -1;
        out[(*o)++] = c;
    }
    return 0;
}

long iam_pat_expand(const iam_pat *p, iam_env *env, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < p->nparts; i++) {
        const pat_part *pp = &p->parts[i];
        if (!pp->is_var) {
            if (o + pp->len + 1 > cap) return -2;
            memcpy(out + o, pp->s, pp->len);
            o += pp->len;
            continue;
        }
        const char *const *vals;
        size_t n;
        const char *v;
        size_t vl;
        /* a multi-valued key cannot be substituted */
        if (iam_env_lookup(env, pp->s, pp->len, &vals, &n) && n == 1 && vals[0]) {
            v = vals[0];
            vl = strlen(v);
        } else if (pp->def) {
            v = pp->def;
            vl = pp->deflen;
        } else {
            return -1;
        }
        if (put(out, cap, &o, v, vl, 1)) return -2;
    }
    out[o] = 0;
    return (long)o;
}
