/* Policy evaluation logic (AWS "Policy evaluation logic", IAM User Guide):
 *  1. an explicit Deny in any applicable policy decides;
 *  2. every SCP level (root, OUs, account) must allow -- not for the management
 *     account or service principals; every RCP level of the resource's account must
 *     allow, whoever calls (the caller leaves out the RCPs that do not apply);
 *  3. same account: a resource-policy allow that names the user or session ARN
 *     suffices on its own; otherwise an identity allow, or a resource allow naming the
 *     role ARN, is needed, intersected with the permissions boundary and session
 *     policies;
 *  4. cross account: the identity side (identity AND boundary AND session) and the
 *     resource policy must both allow. */
#include "iam/eval.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "iam/cond.h"
#include "iam/iam_int.h"
#include "iam/match.h"

/* ---- request context ---- */

static int key_is(const char *key, size_t klen, const char *lit)
{
    size_t n = strlen(lit);
    return klen == n && !strncasecmp(key, lit, n);
}

/* Hands out one derived value through the env's scratch slots. */
static int put_val(iam_env *env, const char *v, const char *const **vals, size_t *n)
{
    int i = env->nscratch++ & 3;
    env->scratch[i] = v;
    *vals = &env->scratch[i];
    *n = 1;
    return 1;
}

/* Principal fields that are "" are unset: the key is missing. */
static int one_val(iam_env *env, const char *v, const char *const **vals, size_t *n)
{
    return v && *v && put_val(env, v, vals, n);
}

int iam_env_lookup(iam_env *env, const char *key, size_t klen, const char *const **vals, size_t *n)
{
    const iam_request *r = env->req;
    for (size_t i = 0; i < r->nkeys; i++) {
        const char *k = r->keys[i].key;
        if (k && strlen(k) == klen && !strncasecmp(k, key, klen)) {
            *vals = r->keys[i].values;
            *n = r->keys[i].values ? r->keys[i].nvalues : 0;
            return 1;
        }
    }
    /* Derived from the caller when the table lacks them. */
    static const char tagp[] = "aws:PrincipalTag/";
    if (klen > sizeof(tagp) - 1 && !strncasecmp(key, tagp, sizeof(tagp) - 1)) {
        const char *t = key + sizeof(tagp) - 1;
        size_t tl = klen - (sizeof(tagp) - 1);
        for (size_t i = 0; i < r->nprincipal_tags; i++) {
            const char *tk = r->principal_tags[i].key;
            if (tk && strlen(tk) == tl && !strncasecmp(tk, t, tl)) { /* tag keys ignore case */
                const char *tv = r->principal_tags[i].value;
                return put_val(env, tv ? tv : "", vals, n); /* "" is a value here */
            }
        }
        return 0;
    }
    if (key_is(key, klen, "aws:PrincipalOrgID")) return one_val(env, r->org_id, vals, n);
    if (key_is(key, klen, "aws:PrincipalOrgPaths")) {
        if (!r->norg_paths) return 0;
        *vals = r->org_paths;
        *n = r->norg_paths;
        return 1;
    }
    const principal *p = r->principal;
    if (!p) return 0;
    if (key_is(key, klen, "aws:PrincipalArn")) {
        /* AWS: for a role session this is the role's ARN, not the session's */
        if (p->kind == PRIN_ASSUMED_ROLE) return one_val(env, p->role_arn, vals, n);
        if (p->kind == PRIN_ROOT || p->kind == PRIN_USER) return one_val(env, p->arn, vals, n);
        return 0;
    }
    if (key_is(key, klen, "aws:PrincipalAccount"))
        return p->kind != PRIN_SERVICE && one_val(env, p->account, vals, n);
    if (key_is(key, klen, "aws:PrincipalType")) {
        const char *t = p->kind == PRIN_ROOT           ? "Account"
                        : p->kind == PRIN_USER         ? "User"
                        : p->kind == PRIN_ASSUMED_ROLE ? "AssumedRole"
                                                       : NULL;
        return one_val(env, t, vals, n);
    }
    if (key_is(key, klen, "aws:userid")) return one_val(env, p->userid, vals, n);
    if (key_is(key, klen, "aws:username"))
        return p->kind == PRIN_USER && one_val(env, p->name, vals, n);
    /* AWS: present in every signed request; RCPs use it to let services through */
    if (key_is(key, klen, "aws:PrincipalIsAWSService"))
        return put_val(env, p->kind == PRIN_SERVICE ? "true" : "false", vals, n);
    if (key_is(key, klen, "aws:PrincipalServiceName"))
        return p->kind == PRIN_SERVICE && one_val(env, p->service, vals, n);
    return 0;
}

int iam_request_add_key(iam_request *r, arena *a, const char *key, const char *const *values,
                        size_t nvalues)
{
    iam_ctx_key *k = arena_alloc(a, (r->nkeys + 1) * sizeof(*k));
    const char **v = arena_alloc(a, (nvalues ? nvalues : 1) * sizeof(*v));
    if (!k || !v) return -1;
    if (r->nkeys) memcpy(k, r->keys, r->nkeys * sizeof(*k));
    for (size_t i = 0; i < nvalues; i++) v[i] = values[i];
    k[r->nkeys] = (iam_ctx_key){.key = key, .values = v, .nvalues = nvalues};
    r->keys = k;
    r->nkeys++;
    return 0;
}

/* ---- principals ---- */

static int entry_names(const iam_prin *pr, const iam_request *r)
{
    const principal *p = r->principal;
    switch (pr->type) {
    case PR_ANY: return NAMES_DIRECT;
    case PR_ACCOUNT:
        if (p && (p->kind == PRIN_ROOT || p->kind == PRIN_USER || p->kind == PRIN_ASSUMED_ROLE) &&
            !strcmp(p->account, pr->v))
            return NAMES_ACCOUNT;
        return NAMES_NONE;
    case PR_ARN:
        if (!p) return NAMES_NONE;
        if ((p->kind == PRIN_USER || p->kind == PRIN_ASSUMED_ROLE) && !strcmp(p->arn, pr->v))
            return NAMES_DIRECT;
        if (p->kind == PRIN_ASSUMED_ROLE && !strcmp(p->role_arn, pr->v)) return NAMES_ROLE;
        return NAMES_NONE;
    case PR_SERVICE:
        return p && p->kind == PRIN_SERVICE && !strcasecmp(p->service, pr->v) ? NAMES_DIRECT
                                                                              : NAMES_NONE;
    case PR_FEDERATED:
        return r->federated && !strcmp(r->federated, pr->v) ? NAMES_DIRECT : NAMES_NONE;
    case PR_CANONICAL:
        return r->canonical_user && !strcmp(r->canonical_user, pr->v) ? NAMES_DIRECT : NAMES_NONE;
    }
    return NAMES_NONE;
}

static int listed(const iam_stmt *st, int type, const char *v)
{
    for (uint32_t i = 0; i < st->nprins; i++) {
        const iam_prin *pr = &st->prins[i];
        if (pr->type == PR_ANY) return 1;
        if (pr->type == type && v && *v &&
            (type == PR_SERVICE ? !strcasecmp(pr->v, v) : !strcmp(pr->v, v)))
            return 1;
    }
    return 0;
}

/* AWS NotPrincipal: the caller is exempt only when each of its identities is listed --
 * "you must also specify the account ARN" (and the role ARN for a role session). */
static int not_principal_exempt(const iam_stmt *st, const iam_request *r)
{
    const principal *p = r->principal;
    if (!p) return listed(st, PR_ANY, NULL);
    switch (p->kind) {
    case PRIN_ROOT: return listed(st, PR_ACCOUNT, p->account);
    case PRIN_USER: return listed(st, PR_ACCOUNT, p->account) && listed(st, PR_ARN, p->arn);
    case PRIN_ASSUMED_ROLE:
        return listed(st, PR_ACCOUNT, p->account) && listed(st, PR_ARN, p->role_arn) &&
               listed(st, PR_ARN, p->arn);
    case PRIN_SERVICE: return listed(st, PR_SERVICE, p->service);
    default: return listed(st, PR_ANY, NULL);
    }
}

static int stmt_names(const iam_stmt *st, const iam_request *r)
{
    if (!st->has_principal) return NAMES_ACCOUNT; /* a principal-less doc in the resource slot */
    if (st->not_principal) return not_principal_exempt(st, r) ? NAMES_NONE : NAMES_DIRECT;
    int best = NAMES_NONE;
    for (uint32_t i = 0; i < st->nprins && best < NAMES_DIRECT; i++) {
        int s = entry_names(&st->prins[i], r);
        if (s > best) best = s;
    }
    return best;
}

/* ---- statements ---- */

static int match_list(const iam_pat *pats, uint32_t n, iam_env *env, int mode, const char *s,
                      size_t sl)
{
    int unresolved = 0;
    for (uint32_t i = 0; i < n; i++) {
        int r = iam_pat_match(&pats[i], env, mode, s, sl);
        if (r == 1) return 1;
        if (r < 0) unresolved = 1;
    }
    return unresolved ? -1 : 0;
}

/* 1 when the statement applies to the request; *names = how it names the caller. */
static int stmt_applies(const iam_stmt *st, iam_env *env, int want_prin, int *names)
{
    if (!(st->svc_mask & env->svc_bit)) return 0;
    int m = match_list(st->actions, st->nactions, env, PM_ACTION, env->action, env->action_len);
    if (st->not_action ? m != 0 : m != 1) return 0;
    if (st->has_resource) {
        m = match_list(st->resources, st->nresources, env, PM_ARN, env->res, env->res_len);
        if (m < 0) return 0; /* unresolvable variable: the statement does not apply */
        if (st->not_resource ? m : !m) return 0;
    }
    *names = NAMES_DIRECT;
    if (want_prin && !(*names = stmt_names(st, env->req))) return 0;
    for (uint32_t i = 0; i < st->nconds; i++)
        if (iam_cond_eval(&st->conds[i], env) != 1) return 0;
    return 1;
}

typedef struct scan {
    int allow, deny, names;
    iam_stmt_ref aref, dref;
} scan;

static void ref_of(const iam_policy *p, const iam_stmt *st, int by, iam_stmt_ref *ref)
{
    *ref = (iam_stmt_ref){.policy = p,
                          .policy_name = p->name,
                          .sid = st->sid,
                          .index = st->index,
                          .by = by};
}

/* Scans one policy; stops at the first applicable Deny. */
static void scan_policy(const iam_policy *p, iam_env *env, int by, int want_prin, scan *s)
{
    if (!p) return;
    for (size_t i = 0; i < p->nstmts; i++) {
        const iam_stmt *st = &p->stmts[i];
        /* once the best possible allow is known only Deny statements matter */
        if (!st->deny && s->allow && (!want_prin || s->names == NAMES_DIRECT)) continue;
        int names;
        if (!stmt_applies(st, env, want_prin, &names)) continue;
        if (st->deny) {
            s->deny = 1;
            ref_of(p, st, by, &s->dref);
            return;
        }
        if (!s->allow || names > s->names) {
            s->allow = 1;
            s->names = names;
            ref_of(p, st, by, &s->aref);
        }
    }
}

static void scan_set(const iam_policy_set *set, iam_env *env, int by, scan *s)
{
    for (size_t i = 0; i < set->n && !s->deny; i++) scan_policy(set->v[i], env, by, 0, s);
}

static int decide(iam_result *out, int decision, int by)
{
    out->decision = decision;
    out->by = by;
    return decision;
}

static void add_ref(iam_result *out, const iam_stmt_ref *ref)
{
    if (out->nrefs < IAM_MAX_REFS) out->refs[out->nrefs++] = *ref;
}

static int explicit_deny(iam_result *out, const scan *s, int by)
{
    add_ref(out, &s->dref);
    return decide(out, IAM_EXPLICIT_DENY, by);
}

int iam_evaluate(const iam_request *r, iam_result *out)
{
    memset(out, 0, sizeof(*out));
    if (!r || !r->action || !*r->action) return decide(out, IAM_IMPLICIT_DENY, IAM_BY_IDENTITY);
    iam_env env = {.req = r, .action_len = strlen(r->action)};
    env.action = env.action_buf;
    /* AWS action names are short ("service:Operation"); a longer one matches nothing */
    if (env.action_len >= sizeof(env.action_buf))
        return decide(out, IAM_IMPLICIT_DENY, IAM_BY_IDENTITY);
    for (size_t i = 0; i <= env.action_len; i++)
        env.action_buf[i] = (char)tolower((unsigned char)r->action[i]);
    env.svc_bit = iam_svc_bit(env.action, env.action_len);
    env.res = r->resource && *r->resource ? r->resource : "*";
    env.res_len = strlen(env.res);

    const principal *p = r->principal;
    int kind = p ? (int)p->kind : PRIN_ANONYMOUS;
    int anon_or_service = kind == PRIN_ANONYMOUS || kind == PRIN_SERVICE;
    int is_root = !anon_or_service && (r->is_root || kind == PRIN_ROOT);

    /* Deny evaluation first: SCPs, resource policy, identity, boundary, session. */
    /* the first layer with no allow, plus one (0: every layer allows) */
    int scp_missing = 0;
    if (!r->scp_exempt && !anon_or_service) {
        for (size_t l = 0; l < r->nscp_layers; l++) {
            scan s = {0};
            for (size_t i = 0; i < r->scp_layers[l].n && !s.deny; i++)
                scan_policy(r->scp_layers[l].v[i], &env, IAM_BY_SCP, 0, &s);
            if (s.deny) {
                out->layer = (int)l;
                return explicit_deny(out, &s, IAM_BY_SCP);
            }
            if (!s.allow && !scp_missing) scp_missing = (int)l + 1; /* AWS: each level must allow */
        }
    }
    int rcp_missing = 0;
    for (size_t l = 0; l < r->nrcp_layers; l++) {
        scan s = {0};
        for (size_t i = 0; i < r->rcp_layers[l].n && !s.deny; i++)
            scan_policy(r->rcp_layers[l].v[i], &env, IAM_BY_RCP, 1, &s);
        if (s.deny) {
            out->layer = (int)l;
            return explicit_deny(out, &s, IAM_BY_RCP);
        }
        if (!s.allow && !rcp_missing) rcp_missing = (int)l + 1;
    }
    scan rs = {0}, id = {0}, bd = {0}, ss = {0};
    scan_policy(r->resource_policy, &env, IAM_BY_RESOURCE, 1, &rs);
    if (rs.deny) return explicit_deny(out, &rs, IAM_BY_RESOURCE);
    if (!anon_or_service) {
        scan_set(&r->identity, &env, IAM_BY_IDENTITY, &id);
        if (id.deny) return explicit_deny(out, &id, IAM_BY_IDENTITY);
        if (!is_root) { /* the root user has no boundary and no session policy */
            scan_set(&r->boundary, &env, IAM_BY_BOUNDARY, &bd);
            if (bd.deny) return explicit_deny(out, &bd, IAM_BY_BOUNDARY);
            scan_set(&r->session, &env, IAM_BY_SESSION, &ss);
            if (ss.deny) return explicit_deny(out, &ss, IAM_BY_SESSION);
        }
    }
    if (scp_missing) {
        out->layer = scp_missing - 1;
        return decide(out, IAM_IMPLICIT_DENY, IAM_BY_SCP);
    }
    if (rcp_missing) {
        out->layer = rcp_missing - 1;
        return decide(out, IAM_IMPLICIT_DENY, IAM_BY_RCP);
    }

    if (anon_or_service) { /* only a resource policy can grant them anything */
        if (!rs.allow) return decide(out, IAM_IMPLICIT_DENY, IAM_BY_RESOURCE);
        add_ref(out, &rs.aref);
        return decide(out, IAM_ALLOW, IAM_BY_RESOURCE);
    }

    int id_allow = is_root || id.allow;
    int bd_ok = is_root || r->boundary.n == 0 || bd.allow;
    int ss_ok = is_root || r->session.n == 0 || ss.allow;
    const char *racct = r->resource_account;
    int same = !racct || !*racct || !strcmp(racct, p->account);

    if (same) {
        if (r->require_resource_policy && !rs.allow)
            return decide(out, IAM_IMPLICIT_DENY, IAM_BY_RESOURCE);
        /* AWS: a resource-based policy that names the IAM user or the role session ARN
         * is not limited by an implicit deny in identity, boundary or session policies */
        if (rs.allow && rs.names == NAMES_DIRECT) {
            add_ref(out, &rs.aref);
            return decide(out, IAM_ALLOW, IAM_BY_RESOURCE);
        }
        /* one naming the role ARN stands in for the identity allow, but the boundary
         * and session policies still apply */
        int role_grant = rs.allow && rs.names == NAMES_ROLE;
        if (!id_allow && !role_grant) return decide(out, IAM_IMPLICIT_DENY, IAM_BY_IDENTITY);
        if (!bd_ok) return decide(out, IAM_IMPLICIT_DENY, IAM_BY_BOUNDARY);
        if (!ss_ok) return decide(out, IAM_IMPLICIT_DENY, IAM_BY_SESSION);
        if (id.allow) add_ref(out, &id.aref);
        if (role_grant) add_ref(out, &rs.aref);
        return decide(out, IAM_ALLOW,
                      id.allow                 ? IAM_BY_IDENTITY
                      : is_root && !role_grant ? IAM_BY_ROOT
                                               : IAM_BY_RESOURCE);
    }
    /* cross-account: both sides */
    if (!id_allow) return decide(out, IAM_IMPLICIT_DENY, IAM_BY_IDENTITY);
    if (!bd_ok) return decide(out, IAM_IMPLICIT_DENY, IAM_BY_BOUNDARY);
    if (!ss_ok) return decide(out, IAM_IMPLICIT_DENY, IAM_BY_SESSION);
    if (!rs.allow) return decide(out, IAM_IMPLICIT_DENY, IAM_BY_RESOURCE);
    if (id.allow) add_ref(out, &id.aref);
    add_ref(out, &rs.aref);
    return decide(out, IAM_ALLOW, IAM_BY_RESOURCE);
}

/* ---- messages ---- */

static const char *by_noun(int by, int with_article)
{
    switch (by) {
    case IAM_BY_RESOURCE: return with_article ? "a resource-based policy" : "resource-based policy";
    case IAM_BY_BOUNDARY: return with_article ? "a permissions boundary" : "permissions boundary";
    case IAM_BY_SESSION: return with_article ? "a session policy" : "session policy";
    case IAM_BY_SCP: return with_article ? "a service control policy" : "service control policy";
    case IAM_BY_RCP: return with_article ? "a resource control policy" : "resource control policy";
    default: return with_article ? "an identity-based policy" : "identity-based policy";
    }
}

int iam_denied_message(const iam_request *r, const iam_result *res, char *out, size_t n)
{
    if (!out || !n) return 0;
    out[0] = 0;
    if (!r || !res || res->decision == IAM_ALLOW) return 0;
    const principal *p = r->principal;
    const char *who = "anonymous";
    if (p && p->arn[0])
        who = p->arn;
    else if (p && p->kind == PRIN_SERVICE && p->service[0])
        who = p->service;
    const char *action = r->action ? r->action : "";
    const char *on = "", *resource = "";
    if (r->resource && *r->resource && strcmp(r->resource, "*")) {
        on = " on resource: ";
        resource = r->resource;
    }
    /* AWS: "User: ARN is not authorized to perform: ACTION on resource: RES because no
     * identity-based policy allows the ACTION action" / "... with an explicit deny in an
     * identity-based policy" */
    if (res->decision == IAM_EXPLICIT_DENY)
        return snprintf(out, n,
                        "User: %s is not authorized to perform: %s%s%s with an explicit "
                        "deny in %s",
                        who, action, on, resource, by_noun(res->by, 1));
    return snprintf(out, n,
                    "User: %s is not authorized to perform: %s%s%s because no %s allows "
                    "the %s action",
                    who, action, on, resource, by_noun(res->by, 0), action);
}
