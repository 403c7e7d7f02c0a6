#include "glob.h"

#include <stdlib.h>
#include <string.h>

/* One element of a pattern without groups. */
enum { T_LIT, T_ONE, T_STAR, T_DSTAR, T_SET };

typedef struct tok {
    int kind;
    char c;          /* T_LIT */
    const char *set; /* T_SET: the text between `[` (after `!`) and `]` */
    size_t setlen;
    int neg;
} tok;

/* Tokenizes p[0..n) (no groups left): the count, or -1 when malformed. */
static long tokenize(const char *p, size_t n, tok *out, const char **why)
{
    long k = 0;
    for (size_t i = 0; i < n; i++) {
        tok t = {.kind = T_LIT, .c = p[i]};
        if (p[i] == '\\') {
            if (i + 1 >= n) return *why = "a trailing \\ escapes nothing", -1;
            t.c = p[++i];
        } else if (p[i] == '*') {
            t.kind = T_STAR;
            if (i + 1 < n && p[i + 1] == '*') {
                t.kind = T_DSTAR;
                while (i + 1 < n && p[i + 1] == '*') i++;
            }
        } else if (p[i] == '?') {
            t.kind = T_ONE;
        } else if (p[i] == '[') {
            size_t j = i + 1;
            t.kind = T_SET;
            if (j < n && p[j] == '!') t.neg = 1, j++;
            size_t start = j;
            if (j < n && p[j] == ']') j++; /* a first `]` is a member */
            while (j < n && p[j] != ']') j++;
            if (j >= n) return *why = "a [ is not closed", -1;
            t.set = p + start;
            t.setlen = j - start;
            i = j;
        }
        out[k++] = t;
    }
    return k;
}

static int in_set(const tok *t, char c)
{
    int hit = 0;
    for (size_t i = 0; i < t->setlen && !hit; i++) {
        if (i + 2 < t->setlen && t->set[i + 1] == '-') {
            hit = (unsigned char)c >= (unsigned char)t->set[i] &&
                  (unsigned char)c <= (unsigned char)t->set[i + 2];
            i += 2;
        } else {
            hit = c == t->set[i];
        }
    }
    return hit != t->neg;
}

/* p[0..n) (no groups) against s: 1, 0, or -1. */
static int match_flat(const char *p, size_t n, const char *s, const char **why)
{
    size_t sn = strlen(s);
    tok *toks = malloc((n + 1) * sizeof(*toks));
    unsigned char *prev = calloc(sn + 1, 1), *cur = calloc(sn + 1, 1);
    long nt = toks && prev && cur ? tokenize(p, n, toks, why) : -1;
    int rc = -1;
    if (!toks || !prev || !cur) *why = "out of memory";
    if (nt < 0) goto out;
    prev[0] = 1; /* the empty pattern matches the empty prefix */
    for (long i = 0; i < nt; i++) {
        const tok *t = &toks[i];
        cur[0] = (t->kind == T_STAR || t->kind == T_DSTAR) && prev[0];
        for (size_t j = 1; j <= sn; j++) {
            char c = s[j - 1];
            switch (t->kind) {
            case T_LIT: cur[j] = prev[j - 1] && c == t->c; break;
            case T_ONE: cur[j] = prev[j - 1] && c != '/'; break;
            case T_SET: cur[j] = prev[j - 1] && c != '/' && in_set(t, c); break;
            case T_STAR: cur[j] = prev[j] || (cur[j - 1] && c != '/'); break;
            default: cur[j] = prev[j] || cur[j - 1]; break;
            }
        }
        unsigned char *sw = prev;
        prev = cur;
        cur = sw;
    }
    rc = prev[sn];
out:
    free(toks);
    free(prev);
    free(cur);
    return rc;
}

/* The end of the group opening at p[i] (its `}`), or -1. */
static long group_end(const char *p, size_t i, const char **why)
{
    for (size_t j = i + 1; p[j]; j++) {
        if (p[j] == '\\' && p[j + 1]) {
            j++;
        } else if (p[j] == '{') {
            return *why = "groups { } cannot be nested", -1;
        } else if (p[j] == '}') {
            return (long)j;
        }
    }
    return *why = "a { is not closed", -1;
}

/* Expands the first group of pat (NUL-terminated) into each alternative and recurses;
 * budget bounds the expansions. 1 on a match, 0, -1. With all, every alternative is
 * tried even after a match (checking a pattern). */
static int match_groups(const char *pat, const char *s, int all, int *budget, const char **why)
{
    size_t i;
    for (i = 0; pat[i]; i++) {
        if (pat[i] == '\\' && pat[i + 1]) {
            i++;
        } else if (pat[i] == '[') { /* a `{` inside a set is a member */
            size_t j = i + 1;
            if (pat[j] == '!') j++;
            if (pat[j] == ']') j++;
            while (pat[j] && pat[j] != ']') j++;
            if (!pat[j]) return *why = "a [ is not closed", -1;
            i = j;
        } else if (pat[i] == '{' || pat[i] == '}') {
            break;
        }
    }
    if (!pat[i]) return match_flat(pat, i, s, why);
    if (pat[i] == '}') return *why = "a } closes no group", -1;
    long end = group_end(pat, i, why);
    if (end < 0) return -1;
    size_t plen = strlen(pat);
    int rc = 0;
    for (size_t a = i + 1; a <= (size_t)end && rc >= 0 && (rc == 0 || all);) {
        size_t b = a;
        while (b < (size_t)end && pat[b] != ',') b += pat[b] == '\\' && b + 1 < (size_t)end ? 2 : 1;
        if (--*budget < 0) return *why = "the { } groups expand to too many alternatives", -1;
        char *alt = malloc(plen + 1);
        if (!alt) return *why = "out of memory", -1;
        memcpy(alt, pat, i);
        memcpy(alt + i, pat + a, b - a);
        strcpy(alt + i + (b - a), pat + end + 1);
        int r = match_groups(alt, s, all, budget, why);
        rc = r < 0 ? r : rc | r;
        free(alt);
        a = b + 1;
    }
    return rc;
}

int glob_check(const char *pattern, const char **why)
{
    int budget = GLOB_MAX_ALTERNATIVES;
    *why = NULL;
    if (match_groups(pattern, "", 1, &budget, why) >= 0) return 0;
    if (!*why) *why = "malformed";
    return -1;
}

int glob_match(const char *pattern, const char *s)
{
    const char *why = NULL;
    int budget = GLOB_MAX_ALTERNATIVES;
    /* a later alternative's flaw refuses the pattern even when an earlier one matches */
    if (glob_check(pattern, &why)) return -1;
    return match_groups(pattern, s, 0, &budget, &why);
}
