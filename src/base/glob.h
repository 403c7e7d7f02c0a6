/* Glob patterns as AWS CodePipeline's trigger filters take them (branches, tags, file
 * paths; the "glob" syntax of Java's PathMatcher): `*` any run of characters within one
 * path component, `**` any run crossing `/`, `?` one character but `/`, `[abc]`, `[a-z]`,
 * `[!a]` one character of a set (never `/`), `{a,b}` one of the alternatives (not nested),
 * `\` escapes the next character. Matching is a table over pattern and text (never a
 * backtracking search), so no pattern costs more than its length times the text's. */
#ifndef FERRY_BASE_GLOB_H
#define FERRY_BASE_GLOB_H

#define GLOB_MAX_ALTERNATIVES 64 /* what `{...}` groups may expand to, in all */

/* 1 when s matches pattern, 0 when it does not, -1 when the pattern is malformed (an
 * unclosed `[` or `{`, a nested `{`, a trailing `\`, too many alternatives) or out of
 * memory. */
int glob_match(const char *pattern, const char *s);
/* 0 when pattern is well formed, else -1 with *why (static) saying what is wrong. */
int glob_check(const char *pattern, const char **why);

#endif
