/* Wildcard, ARN and action matching over compiled patterns. */
#include "iam/match.h"

#include <string.h>
#include <strings.h>

#include "base/hmap.h"

static inline unsigned char lc(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* Iterative glob with single-star backtracking: O(pl*sl) worst case, no recursion. */
int iam_glob(const char *p, size_t pl, const char *s, size_t sl, int icase)
{
    size_t pi = 0, si = 0, star_p = (size_t)-1, star_s = 0;
    while (si < sl) {
        if (pi < pl) {
            unsigned char c = (unsigned char)p[pi];
            if (c == '*') {
                star_p = ++pi;
                star_s = si;
                continue;
            }
            if (c == '?') {
                pi++;
                si++;
                continue;
            }
            size_t adv = 1;
            if (c == '\\' && pi + 1 < pl) {
                c = (unsigned char)p[pi + 1];
                adv = 2;
            }
            unsigned char d = (unsigned char)s[si];
            if (c == d || (icase && lc(c) == lc(d))) {
                pi += adv;
                si++;
                continue;
            }
        }
        if (star_p != (size_t)-1) {
            pi = star_p;
            si = ++star_s;
            continue;
        }
        return 0;
    }
    while (pi < pl && p[pi] == '*') pi++;
    return pi == pl;
}

/* Next ':' in an escaped pattern that is not escaped; pl when none. */
static size_t pat_colon(const char *p, size_t from, size_t pl)
{
    for (size_t i = from; i < pl; i++) {
        if (p[i] == '\\')
            i++;
        else if (p[i] == ':')
            return i;
    }
    return pl;
}

int iam_arn_glob(const char *p, size_t pl, const char *s, size_t sl)
{
    if (pl < 4 || memcmp(p, "arn:", 4) != 0) return iam_glob(p, pl, s, sl, 0);
    size_t pi = 0, si = 0;
    /* arn:partition:service:region:account:resource -- five separators */
    for (int part = 0; part < 5; part++) {
        size_t pe = pat_colon(p, pi, pl);
        if (pe == pl) break; /* fewer parts in the pattern: its last part takes the rest */
        const char *c = memchr(s + si, ':', sl - si);
        if (!c) return 0;
        size_t se = (size_t)(c - s);
        if (!iam_glob(p + pi, pe - pi, s + si, se - si, 0)) return 0;
        pi = pe + 1;
        si = se + 1;
    }
    return iam_glob(p + pi, pl - pi, s + si, sl - si, 0);
}

static int match_text(const char *p, size_t pl, int kind, int mode, const char *s, size_t sl)
{
    if (kind == PAT_LIT || kind == PAT_PREFIX) {
        /* a trailing '*' never crosses an ARN part boundary that the pattern spells out,
         * so for ARNs too a prefix compare equals the part-by-part match */
        if (kind == PAT_LIT ? pl != sl : pl > sl) return 0;
        if (mode == PM_STR_ICASE) return strncasecmp(p, s, pl) == 0;
        return memcmp(p, s, pl) == 0;
    }
    if (mode == PM_ARN) return iam_arn_glob(p, pl, s, sl);
    return iam_glob(p, pl, s, sl, mode == PM_STR_ICASE);
}

int iam_pat_match(const iam_pat *p, iam_env *env, int mode, const char *s, size_t sl)
{
    switch (p->kind) {
    case PAT_ANY: return 1;
    case PAT_LIT:
    case PAT_PREFIX:
    case PAT_GLOB: return match_text(p->s, p->len, p->kind, mode, s, sl);
    default: {
        char buf[4096];
        long n = iam_pat_expand(p, env, buf, sizeof(buf));
        if (n == -1) return -1;
        if (n < 0) return 0;
        return match_text(buf, (size_t)n, PAT_GLOB, mode, s, sl);
    }
    }
}

uint64_t iam_svc_bit(const char *action, size_t len)
{
    uint64_t h = HASH_SEED; /* over the lowercased prefix */
    for (size_t i = 0; i < len && action[i] != ':'; i++) {
        unsigned char c = lc((unsigned char)action[i]);
        h = hash_bytes(h, &c, 1);
    }
    return (uint64_t)1 << (h & 63);
}
