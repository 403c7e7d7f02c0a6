/* CodeCommit's approval rule content. See approval.h. */
#include "approval.h"

#include <fnmatch.h>
#include <string.h>

static int bad(ferr *e, const char *code)
{
    int tmpl = strstr(code, "Template") != NULL;
    return ferr_set(e, 400, code, "The content for the approval rule%s is not valid.",
                    tmpl ? " template" : "");
}

int ccrule_parse(const char *content, const char *code, json_t **rule, ferr *e)
{
    json_t *r = content ? json_loads(content, JSON_REJECT_DUPLICATES, NULL) : NULL;
    json_t *st = json_object_get(r, "Statements"), *v,
           *dests = json_object_get(r, "DestinationReferences");
    const char *ver = json_string_value(json_object_get(r, "Version"));
    int ok = json_is_object(r) && ver && !strcmp(ver, "2018-11-08") && json_is_array(st) &&
             json_array_size(st) >= 1 && json_array_size(st) <= 100 &&
             (!dests || json_is_array(dests));
    size_t i, j;
    json_t *m;
    json_array_foreach(dests, i, v) ok &= json_is_string(v);
    json_array_foreach(ok ? st : NULL, i, v) {
        const char *type = json_string_value(json_object_get(v, "Type"));
        json_t *n = json_object_get(v, "NumberOfApprovalsNeeded");
        json_t *pool = json_object_get(v, "ApprovalPoolMembers");
        ok &= json_is_object(v) && type && !strcmp(type, "Approvers") && json_is_integer(n) &&
              json_integer_value(n) >= 1 && json_integer_value(n) <= 1000 &&
              (!pool || json_is_array(pool));
        json_array_foreach(ok ? pool : NULL, j, m) ok &= json_is_string(m);
    }
    if (!ok) {
        json_decref(r);
        return bad(e, code);
    }
    *rule = r;
    return 0;
}

/* The n-th (0-based) ':'-separated field of s and its length; NULL when s has fewer. */
static const char *field(const char *s, int n, size_t *len)
{
    for (; n > 0 && s; n--) {
        s = strchr(s, ':');
        if (s) s++;
    }
    if (!s) return NULL;
    *len = n < 0 ? 0 : strcspn(s, ":");
    return s;
}

static int glob(const char *pat, size_t pl, const char *s, size_t sl)
{
    char p[512], t[512];
    if (pl >= sizeof(p) || sl >= sizeof(t)) return 0;
    memcpy(p, pat, pl), p[pl] = 0;
    memcpy(t, s, sl), t[sl] = 0;
    return fnmatch(p, t, FNM_NOESCAPE) == 0;
}

/* CodeCommitApprovers:ACCOUNT:NAME */
static int short_member(const char *m, const char *arn)
{
    size_t al, ml, rl, pl;
    const char *acct = field(m, 1, &al), *name = field(m, 2, &ml);
    const char *aacct = field(arn, 4, &pl), *res = field(arn, 5, &rl);
    if (!acct || !name || !aacct || !res || al != pl || strncmp(acct, aacct, al)) return 0;
    rl = strlen(res);
    const char *types[] = {"user/", "federated-user/", "assumed-role/"};
    for (size_t i = 0; i < 3; i++) {
        size_t tl = strlen(types[i]);
        if (strncmp(res, types[i], tl)) continue;
        const char *who = res + tl;
        if (i == 0) { /* a user's name is the last part of its path */
            const char *slash = strrchr(who, '/');
            if (slash) who = slash + 1;
        }
        return glob(name, strlen(name), who, strlen(res) - (size_t)(who - res));
    }
    return 0;
}

/* arn:P:iam::A:role/PATH/R takes arn:P:sts::A:assumed-role/R/SESSION. */
static int role_member(const char *m, const char *arn)
{
    size_t ml, al, mp, ap;
    const char *mres = field(m, 5, &ml), *ares = field(arn, 5, &al);
    const char *macct = field(m, 4, &mp), *aacct = field(arn, 4, &ap);
    if (!mres || !ares || !macct || !aacct || strncmp(mres, "role/", 5) ||
        strncmp(ares, "assumed-role/", 13) || strncmp(m, "arn:", 4) || !strstr(m, ":iam:") ||
        mp != ap || strncmp(macct, aacct, mp))
        return 0;
    const char *rname = strrchr(mres, '/') + 1, *role = ares + 13;
    size_t rl = strcspn(role, "/");
    return role[rl] == '/' && glob(rname, strlen(rname), role, rl);
}

int ccrule_member(const json_t *pool, const char *arn)
{
    size_t i;
    json_t *v;
    json_array_foreach(pool, i, v) {
        const char *m = json_string_value(v);
        if (!m) continue;
        if (!strncmp(m, "CodeCommitApprovers:", 20)
                ? short_member(m, arn)
                : glob(m, strlen(m), arn, strlen(arn)) || role_member(m, arn))
            return 1;
    }
    return 0;
}

int ccrule_satisfied(const json_t *rule, const json_t *approvers)
{
    size_t i, j;
    json_t *st, *a;
    json_array_foreach(json_object_get(rule, "Statements"), i, st) {
        const json_t *pool = json_object_get(st, "ApprovalPoolMembers");
        json_int_t need = json_integer_value(json_object_get(st, "NumberOfApprovalsNeeded")), n = 0;
        json_array_foreach(approvers, j, a) {
            const char *arn = json_string_value(a);
            if (arn && (!json_array_size(pool) || ccrule_member(pool, arn))) n++;
        }
        if (n < need) return 0;
    }
    return 1;
}

int ccrule_applies(const json_t *rule, const char *ref)
{
    const json_t *dests = json_object_get(rule, "DestinationReferences");
    if (!json_array_size(dests)) return 1;
    size_t i;
    json_t *d;
    json_array_foreach(dests, i, d)
        if (json_string_value(d) && !strcmp(json_string_value(d), ref)) return 1;
    return 0;
}
