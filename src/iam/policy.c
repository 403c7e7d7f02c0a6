/* Policy documents: parse with jansson, validate with AWS's rules and messages, and
 * compile statements into patterns, principals and conditions (iam_int.h). */
#include "iam/policy.h"

#include <ctype.h>
#include <jansson.h>
#include <string.h>

#include "base/jval.h"
#include "iam/grammar.h"
#include "iam/iam_int.h"

#define MALFORMED(e, ...) ferr_set((e), 400, "MalformedPolicyDocument", __VA_ARGS__)
#define SYNTAX(e)         MALFORMED(e, "Syntax errors in policy.")

/* A string or an array of strings (AWS accepts either for Action, Resource, ...). */
static int str_list(json_t *v, size_t *n)
{
    if (json_is_string(v)) {
        *n = 1;
        return 0;
    }
    if (!json_is_array(v)) return -1;
    *n = json_array_size(v);
    for (size_t i = 0; i < *n; i++)
        if (!json_is_string(json_array_get(v, i))) return -1;
    return 0;
}

static json_t *list_at(json_t *v, size_t i)
{
    return json_is_array(v) ? json_array_get(v, i) : v;
}

static int compile_actions(iam_policy *p, iam_stmt *st, json_t *v, ferr *e)
{
    size_t n;
    if (str_list(v, &n)) return SYNTAX(e);
    if (!n) return MALFORMED(e, "Policy statement must contain actions.");
    iam_pat *pats = arena_alloc(p->a, n * sizeof(*pats));
    if (!pats) return ferr_oom(e);
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(list_at(v, i));
        size_t sl = strlen(s);
        const char *colon = strchr(s, ':'); /* "*" or "vendor:Action" (grammar.c) */
        /* AWS: action names are case-insensitive; kept lowercase, matched lowercase */
        char *low = arena_strdup(p->a, s);
        if (!low) return ferr_oom(e);
        for (char *c = low; *c; c++) *c = (char)tolower((unsigned char)*c);
        if (iam_pat_compile(p->a, low, sl, 0, 1, &pats[i])) return ferr_oom(e);
        /* a wildcard in the service prefix could match any service */
        size_t svl = colon ? (size_t)(colon - s) : sl;
        st->svc_mask |=
            (memchr(s, '*', svl) || memchr(s, '?', svl)) ? ~(uint64_t)0 : iam_svc_bit(s, sl);
    }
    st->actions = pats;
    st->nactions = (uint32_t)n;
    return 0;
}

static int compile_resources(iam_policy *p, iam_stmt *st, json_t *v, ferr *e)
{
    size_t n;
    if (str_list(v, &n)) return SYNTAX(e);
    if (!n) return MALFORMED(e, "Policy statement must contain resources.");
    iam_pat *pats = arena_alloc(p->a, n * sizeof(*pats));
    if (!pats) return ferr_oom(e);
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(list_at(v, i));
        size_t sl = strlen(s);
        if (iam_pat_compile(p->a, s, sl, p->version == 2012, 1, &pats[i])) return ferr_oom(e);
    }
    st->resources = pats;
    st->nresources = (uint32_t)n;
    st->has_resource = 1;
    return 0;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    return 1;
}

/* AWS principal: "*", an account id, arn:P:iam::ACCT:root, a user, role, assumed-role
 * session or federated-user ARN. Fills pr; -1 when invalid. */
static int parse_aws_principal(arena *a, const char *s, iam_prin *pr)
{
    size_t n = strlen(s);
    if (n == 1 && s[0] == '*') {
        pr->type = PR_ANY;
        return 0;
    }
    if (n == 12 && all_digits(s, n)) {
        pr->type = PR_ACCOUNT;
        pr->v = arena_strdup(a, s);
        return pr->v ? 0 : -2;
    }
    /* arn:partition:service::account:resource */
    if (strncmp(s, "arn:", 4)) return -1;
    const char *part = s + 4, *svc = strchr(part, ':');
    if (!svc || svc == part) return -1;
    svc++;
    const char *reg = strchr(svc, ':');
    if (!reg) return -1;
    const char *acct = strchr(reg + 1, ':');
    if (!acct || acct != reg + 1) return -1; /* IAM/STS ARNs have no region */
    acct++;
    const char *res = strchr(acct, ':');
    if (!res || res - acct != 12 || !all_digits(acct, 12)) return -1;
    res++;
    size_t svl = (size_t)(reg - svc);
    if (svl == 3 && !strncmp(svc, "iam", 3)) {
        if (!strcmp(res, "root")) {
            pr->type = PR_ACCOUNT;
            pr->v = arena_strndup(a, acct, 12);
            return pr->v ? 0 : -2;
        }
        if (strncmp(res, "user/", 5) && strncmp(res, "role/", 5)) return -1;
    } else if (svl == 3 && !strncmp(svc, "sts", 3)) {
        if (strncmp(res, "assumed-role/", 13) && strncmp(res, "federated-user/", 15)) return -1;
    } else {
        return -1;
    }
    pr->type = PR_ARN;
    pr->v = arena_strdup(a, s);
    return pr->v ? 0 : -2;
}

static int compile_principal(iam_policy *p, iam_stmt *st, json_t *v, ferr *e)
{
    if (json_is_string(v)) {
        if (strcmp(json_string_value(v), "*"))
            return MALFORMED(e, "Invalid principal in policy: \"%s\"", json_string_value(v));
        iam_prin *pr = arena_alloc(p->a, sizeof(*pr));
        if (!pr) return ferr_oom(e);
        pr->type = PR_ANY;
        st->prins = pr;
        st->nprins = 1;
        st->has_principal = 1;
        return 0;
    }
    if (!json_is_object(v)) return SYNTAX(e);
    size_t total = 0, n;
    const char *k;
    json_t *vals;
    json_object_foreach(v, k, vals) {
        if (str_list(vals, &n)) return SYNTAX(e);
        total += n;
    }
    if (!total) return MALFORMED(e, "Invalid principal in policy");
    iam_prin *pr = arena_alloc(p->a, total * sizeof(*pr));
    if (!pr) return ferr_oom(e);
    size_t np = 0;
    json_object_foreach(v, k, vals) {
        int type;
        if (!strcmp(k, "AWS"))
            type = PR_ARN;
        else if (!strcmp(k, "Service"))
            type = PR_SERVICE;
        else if (!strcmp(k, "Federated"))
            type = PR_FEDERATED;
        else if (!strcmp(k, "CanonicalUser"))
            type = PR_CANONICAL;
        else
            return MALFORMED(e, "Invalid principal in policy: \"%s\"", k);
        str_list(vals, &n);
        for (size_t i = 0; i < n; i++) {
            const char *s = json_string_value(list_at(vals, i));
            if (!*s) return MALFORMED(e, "Invalid principal in policy: \"%s\":\"\"", k);
            if (type == PR_ARN) {
                int r = parse_aws_principal(p->a, s, &pr[np]);
                if (r == -2) return ferr_oom(e);
                if (r) return MALFORMED(e, "Invalid principal in policy: \"AWS\":\"%s\"", s);
            } else {
                pr[np].type = (uint8_t)type;
                /* Service "*" is not a wildcard: only the AWS key takes "*" */
                if (!(pr[np].v = arena_strdup(p->a, s))) return ferr_oom(e);
            }
            np++;
        }
    }
    st->prins = pr;
    st->nprins = (uint32_t)np;
    st->has_principal = 1;
    return 0;
}

static int compile_conditions(iam_policy *p, iam_stmt *st, json_t *v, ferr *e)
{
    if (!json_is_object(v)) return SYNTAX(e);
    size_t total = 0;
    const char *op, *key;
    json_t *keys, *vals;
    json_object_foreach(v, op, keys) {
        if (!json_is_object(keys)) return SYNTAX(e);
        total += json_object_size(keys);
    }
    if (!total) return 0;
    iam_cond *c = arena_alloc(p->a, total * sizeof(*c));
    if (!c) return ferr_oom(e);
    size_t nc = 0;
    json_object_foreach(v, op, keys) {
        json_object_foreach(keys, key, vals) {
            if (json_is_array(vals)) {
                for (size_t i = 0; i < json_array_size(vals); i++) {
                    json_t *x = json_array_get(vals, i);
                    if (json_is_object(x) || json_is_array(x) || json_is_null(x)) return SYNTAX(e);
                }
            } else if (json_is_object(vals) || json_is_null(vals)) {
                return SYNTAX(e);
            }
            if (iam_cond_compile(p->a, op, key, vals, p->version == 2012, &c[nc++], e)) return -1;
        }
    }
    st->conds = c;
    st->nconds = (uint32_t)nc;
    return 0;
}

/* Compiles a statement the grammar (grammar.c) has accepted. */
static int compile_stmt(iam_policy *p, json_t *s, int index, iam_stmt *st, ferr *e)
{
    st->index = index;
    st->sid = "";
    json_t *sid = json_object_get(s, "Sid");
    if (sid && !(st->sid = arena_strdup(p->a, json_string_value(sid)))) return ferr_oom(e);
    st->deny = !strcmp(json_string_value(json_object_get(s, "Effect")), "Deny");

    json_t *pa = json_object_get(s, "Principal"), *npa = json_object_get(s, "NotPrincipal");
    if (pa || npa) {
        st->not_principal = npa != NULL;
        if (compile_principal(p, st, pa ? pa : npa, e)) return -1;
    }

    json_t *ac = json_object_get(s, "Action"), *nac = json_object_get(s, "NotAction");
    st->not_action = nac != NULL;
    if (compile_actions(p, st, ac ? ac : nac, e)) return -1;
    if (st->not_action) st->svc_mask = ~(uint64_t)0;

    json_t *re = json_object_get(s, "Resource"), *nre = json_object_get(s, "NotResource");
    if (re || nre) {
        st->not_resource = nre != NULL;
        if (compile_resources(p, st, re ? re : nre, e)) return -1;
    }

    json_t *co = json_object_get(s, "Condition");
    if (co && compile_conditions(p, st, co, e)) return -1;
    return 0;
}

static int compile_doc(iam_policy *p, json_t *root, ferr *e)
{
    json_t *ver = json_object_get(root, "Version");
    /* AWS: no Version means 2008-10-17, variables stay text */
    p->version = ver && !strcmp(json_string_value(ver), "2012-10-17") ? 2012 : 2008;
    json_t *id = json_object_get(root, "Id");
    p->name = "";
    if (id && !(p->name = arena_strdup(p->a, json_string_value(id)))) return ferr_oom(e);
    json_t *sts = json_object_get(root, "Statement");
    size_t n = json_is_array(sts) ? json_array_size(sts) : 1;
    iam_stmt *st = arena_alloc(p->a, n * sizeof(*st));
    if (!st) return ferr_oom(e);
    for (size_t i = 0; i < n; i++)
        if (compile_stmt(p, list_at(sts, i), (int)i, &st[i], e)) return -1;
    p->stmts = st;
    p->nstmts = n;
    return 0;
}

iam_policy *iam_policy_parse(const char *json, size_t len, int kind, ferr *e)
{
    if (kind < IAM_KIND_IDENTITY || kind > IAM_KIND_MANAGED) {
        ferr_internal(e, "invalid policy kind %d", kind);
        return NULL;
    }
    if (!json) {
        SYNTAX(e);
        return NULL;
    }
    if (len > IAM_POLICY_PARSE_MAX) {
        ferr_set(e, 409, "LimitExceeded", "Cannot exceed quota for PolicySize: %d",
                 IAM_POLICY_PARSE_MAX);
        return NULL;
    }
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        if (jload_oom(&je))
            ferr_oom(e);
        else
            SYNTAX(e);
        return NULL;
    }
    iam_policy *p = NULL;
    arena *a = arena_new(4096);
    if (!a || !(p = arena_alloc(a, sizeof(*p)))) {
        ferr_oom(e);
        goto fail;
    }
    p->a = a;
    p->kind = kind;
    if (iam_grammar_check(root, json, len, kind, e) || compile_doc(p, root, e)) goto fail;
    json_decref(root);
    return p;
fail:
    json_decref(root);
    arena_free(a);
    return NULL;
}

void iam_policy_free(iam_policy *p)
{
    if (p) arena_free(p->a);
}

int iam_policy_set_name(iam_policy *p, const char *name)
{
    char *s = arena_strdup(p->a, name ? name : "");
    if (!s) return -1;
    p->name = s;
    return 0;
}

const char *iam_policy_name(const iam_policy *p)
{
    return p->name;
}
int iam_policy_kind(const iam_policy *p)
{
    return p->kind;
}
int iam_policy_version(const iam_policy *p)
{
    return p->version;
}
size_t iam_policy_nstatements(const iam_policy *p)
{
    return p->nstmts;
}
const char *iam_policy_sid(const iam_policy *p, size_t i)
{
    return i < p->nstmts ? p->stmts[i].sid : "";
}

size_t iam_policy_size(const char *json, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)json[i])) n++;
    return n;
}
