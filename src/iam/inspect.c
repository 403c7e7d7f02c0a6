/* Reading a compiled policy's keys and services (inspect.h). */
#include "iam/inspect.h"

#include <string.h>
#include <strings.h>

#include "iam/iam_int.h"

static int pat_vars(const iam_pat *p, iam_key_cb cb, void *ud)
{
    if (p->kind != PAT_VARS) return 0;
    for (uint16_t i = 0; i < p->nparts; i++)
        if (p->parts[i].is_var) {
            int r = cb(ud, p->parts[i].s, p->parts[i].len);
            if (r) return r;
        }
    return 0;
}

int iam_policy_context_keys(const iam_policy *p, iam_key_cb cb, void *ud)
{
    for (size_t i = 0; p && i < p->nstmts; i++) {
        const iam_stmt *s = &p->stmts[i];
        int r = 0;
        for (uint32_t j = 0; !r && j < s->nresources; j++) r = pat_vars(&s->resources[j], cb, ud);
        for (uint32_t j = 0; !r && j < s->nconds; j++) {
            const iam_cond *c = &s->conds[j];
            r = cb(ud, c->key, c->keylen);
            for (uint32_t v = 0; !r && v < c->nvals && iam_cond_op_is_pattern(c->op); v++)
                r = pat_vars(&c->vals[v].pat, cb, ud);
        }
        if (r) return r;
    }
    return 0;
}

/* 1 when action pattern a (lowercased at parse) matches some action "<svc>:...". */
static int covers(const iam_pat *a, const char *svc, size_t n)
{
    switch (a->kind) {
    case PAT_ANY: return 1;
    case PAT_LIT: return a->len > n && a->s[n] == ':' && !strncasecmp(a->s, svc, n);
    case PAT_PREFIX: /* "s3:get*", "s*": the prefix and "svc:" agree as far as both go */
        return !strncasecmp(a->s, svc, a->len < n ? a->len : n) && (a->len <= n || a->s[n] == ':');
    case PAT_GLOB: {
        /* the service part before the first ':'; a glob with none ("*object") may reach any */
        const char *colon = memchr(a->s, ':', a->len);
        if (!colon) return 1;
        return iam_glob(a->s, (size_t)(colon - a->s), svc, n, 1);
    }
    default: return 0;
    }
}

/* 1 when NotAction pattern a excludes every action of the service ("s3:*", "*"). */
static int excludes_all(const iam_pat *a, const char *svc, size_t n)
{
    if (a->kind == PAT_ANY) return 1;
    if (a->kind != PAT_PREFIX) return 0;
    return a->len <= n + 1 && !strncasecmp(a->s, svc, a->len < n ? a->len : n) &&
           (a->len <= n || a->s[n] == ':');
}

int iam_policy_allows_service(const iam_policy *p, const char *prefix)
{
    size_t n = strlen(prefix);
    for (size_t i = 0; p && i < p->nstmts; i++) {
        const iam_stmt *s = &p->stmts[i];
        if (s->deny) continue;
        int hit = s->not_action;
        for (uint32_t j = 0; j < s->nactions; j++) {
            if (s->not_action && excludes_all(&s->actions[j], prefix, n)) {
                hit = 0;
                break;
            }
            if (!s->not_action && covers(&s->actions[j], prefix, n)) {
                hit = 1;
                break;
            }
        }
        if (hit) return 1;
    }
    return 0;
}
