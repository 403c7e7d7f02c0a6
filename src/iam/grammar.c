/* AWS's policy grammar, pass by pass, in the order IAM reports problems: a document with
 * several problems gets the message AWS gives (the first pass that fails wins). The
 * rules and messages are those IAM answers with on the wire (MalformedPolicyDocument);
 * where the rule is ferry's reading of AWS's documentation rather than an observed answer
 * the comment says so. */
#include "iam/grammar.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "iam/iam_int.h"
#include "iam/policy.h"

#define MALFORMED(e, ...) ferr_set((e), 400, "MalformedPolicyDocument", __VA_ARGS__)
#define SYNTAX(e)         MALFORMED(e, "Syntax errors in policy.")
#define LEGACY(e)         MALFORMED(e, "The policy failed legacy parsing")

static const char *const STMT_KEYS[] = {"Sid",          "Effect",      "Principal",
                                        "NotPrincipal", "Action",      "NotAction",
                                        "Resource",     "NotResource", "Condition"};

static const char *const TOP_KEYS[] = {"Version", "Id", "Statement"};

/* 1 when o is an object whose keys are all among names (case-sensitive, as AWS reads them). */
static int keys_within(json_t *o, const char *const *names, size_t n)
{
    if (!json_is_object(o)) return 0;
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        size_t i = 0;
        while (i < n && strcmp(k, names[i])) i++;
        if (i == n) return 0;
    }
    return 1;
}

/* Policy documents kept by IAM itself (not by the service owning a resource). */
static int kind_identity(int kind)
{
    return kind == IAM_KIND_IDENTITY || kind == IAM_KIND_BOUNDARY || kind == IAM_KIND_SESSION ||
           kind == IAM_KIND_MANAGED;
}

static int kind_has_principal(int kind)
{
    return kind == IAM_KIND_RESOURCE || kind == IAM_KIND_TRUST;
}

/* The statements as an array (a lone statement object is a list of one); borrowed. */
static size_t nstmts(json_t *sts)
{
    return json_is_array(sts) ? json_array_size(sts) : 1;
}
static json_t *stmt_at(json_t *sts, size_t i)
{
    return json_is_array(sts) ? json_array_get(sts, i) : sts;
}

/* Action, Resource and their Not forms: a string or an array of strings. */
static int str_list_ok(json_t *v)
{
    if (!v || json_is_string(v)) return 1;
    if (!json_is_array(v)) return 0;
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
        if (!json_is_string(x)) return 0;
    return 1;
}
static size_t list_n(json_t *v)
{
    return json_is_array(v) ? json_array_size(v) : 1;
}
static const char *list_s(json_t *v, size_t i)
{
    return json_string_value(json_is_array(v) ? json_array_get(v, i) : v);
}

/* A condition value: AWS's grammar takes strings, numbers and booleans. */
static int cond_scalar(json_t *v)
{
    return json_is_string(v) || json_is_number(v) || json_is_boolean(v);
}

static int condition_syntax_ok(json_t *c)
{
    if (!json_is_object(c)) return 0;
    const char *op, *key;
    json_t *block, *vals;
    json_object_foreach(c, op, block) {
        if (!json_is_object(block)) return 0;
        int q, ie;
        /* AWS: an operator it does not know is a syntax error, unless its block is empty */
        if (iam_cond_op_find(op, &q, &ie) < 0 && json_object_size(block)) return 0;
        json_object_foreach(block, key, vals) {
            if (json_is_array(vals)) {
                size_t i;
                json_t *x;
                json_array_foreach(vals, i, x)
                    if (!cond_scalar(x)) return 0;
            } else if (!cond_scalar(vals)) {
                return 0;
            }
        }
    }
    return 1;
}

static int stmt_syntax_ok(json_t *s)
{
    if (!keys_within(s, STMT_KEYS, sizeof(STMT_KEYS) / sizeof(STMT_KEYS[0]))) return 0;
    if (json_object_get(s, "Action") && json_object_get(s, "NotAction")) return 0;
    if (json_object_get(s, "Resource") && json_object_get(s, "NotResource")) return 0;
    if (json_object_get(s, "Principal") && json_object_get(s, "NotPrincipal")) return 0;
    /* AWS: the Effect's case is checked later, by the legacy parser */
    json_t *eff = json_object_get(s, "Effect");
    if (!json_is_string(eff) ||
        (strcasecmp(json_string_value(eff), "Allow") && strcasecmp(json_string_value(eff), "Deny")))
        return 0;
    if (!str_list_ok(json_object_get(s, "Action")) ||
        !str_list_ok(json_object_get(s, "NotAction")) ||
        !str_list_ok(json_object_get(s, "Resource")) ||
        !str_list_ok(json_object_get(s, "NotResource")))
        return 0;
    json_t *sid = json_object_get(s, "Sid");
    if (sid && !json_is_string(sid)) return 0;
    json_t *c = json_object_get(s, "Condition");
    if (c && !condition_syntax_ok(c)) return 0;
    json_t *p = json_object_get(s, "Principal");
    if (!p) p = json_object_get(s, "NotPrincipal");
    if (p && !json_is_string(p) && !json_is_object(p)) return 0;
    return 1;
}

static int doc_syntax_ok(json_t *root)
{
    if (!keys_within(root, TOP_KEYS, sizeof(TOP_KEYS) / sizeof(TOP_KEYS[0]))) return 0;
    json_t *ver = json_object_get(root, "Version");
    if (ver && (!json_is_string(ver) || (strcmp(json_string_value(ver), "2012-10-17") &&
                                         strcmp(json_string_value(ver), "2008-10-17"))))
        return 0;
    json_t *id = json_object_get(root, "Id");
    if (id && !json_is_string(id)) return 0;
    json_t *sts = json_object_get(root, "Statement");
    if (!json_is_object(sts) && !(json_is_array(sts) && json_array_size(sts))) return 0;
    for (size_t i = 0; i < nstmts(sts); i++)
        if (!stmt_syntax_ok(stmt_at(sts, i))) return 0;
    return 1;
}

/* Where principals may and must appear (the messages IAM and the resource services share). */
static int kind_rules(json_t *sts, int kind, ferr *e)
{
    for (size_t i = 0; i < nstmts(sts); i++) {
        json_t *s = stmt_at(sts, i);
        int pa = json_object_get(s, "Principal") != NULL;
        int npa = json_object_get(s, "NotPrincipal") != NULL;
        if ((pa || npa) && !kind_has_principal(kind))
            return MALFORMED(e, "Policy document should not specify a principal.");
        if (!pa && !npa && kind_has_principal(kind))
            return MALFORMED(e, "Missing required field Principal");
        if (kind == IAM_KIND_TRUST) {
            /* AWS: NotPrincipal cannot be used in a role trust policy (the wording is
             * ferry's, in the form of the Resource refusal) */
            if (npa) return MALFORMED(e, "Has prohibited field NotPrincipal");
            if (json_object_get(s, "Resource"))
                return MALFORMED(e, "Has prohibited field Resource");
            if (json_object_get(s, "NotResource"))
                return MALFORMED(e, "Has prohibited field NotResource");
        }
    }
    return 0;
}

/* Parses digits [s, s+n) into *v within [lo, hi]. */
static int num_in(const char *s, size_t n, long long lo, long long hi, long long *v)
{
    if (!n || n > 18) return 0;
    long long x = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return 0;
        x = x * 10 + (s[i] - '0');
    }
    if (v) *v = x;
    return x >= lo && x <= hi;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (any year). */
static double days_from_civil(long long y, long long m, long long d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (double)era * 146097.0 + (double)doe - 719468.0;
}

int iam_date_parse(const char *v, double *t)
{
    double out = 0;
    if (!t) t = &out;
    if (!strpbrk(v, "tT-")) { /* epoch seconds */
        size_t n = strlen(v);
        if (!n || n > 19 || (n == 19 && strcmp(v, "9223372036854775807") > 0)) return -1;
        for (size_t i = 0; i < n; i++)
            if (!isdigit((unsigned char)v[i])) return -1;
        *t = strtod(v, NULL);
        return 0;
    }
    const char *tp = strpbrk(v, "tT");
    size_t dl = tp ? (size_t)(tp - v) : strlen(v);
    const char *d = v, *dend = v + dl;
    int neg = d < dend && *d == '-'; /* a negative year */
    d += neg;
    long long f[3] = {0, 1, 1};
    int nf = 0;
    for (const char *p = d;; nf++) {
        const char *m = memchr(p, '-', (size_t)(dend - p));
        const char *end = m ? m : dend;
        if (nf == 3) return -1;
        static const long long lo[3] = {0, 1, 1}, hi[3] = {292278993, 12, 31};
        if (!num_in(p, (size_t)(end - p), lo[nf], hi[nf], &f[nf])) return -1;
        if (!m) break;
        p = m + 1;
    }
    double secs = days_from_civil(neg ? -f[0] : f[0], f[1], f[2]) * 86400.0;
    *t = secs;
    if (!tp) return 0;
    /* time: hh[:mm[:ss[.fffffffff][z|+hh[:mm]|-hh[:mm]]]] */
    long long h = 0, mi = 0, se = 0, fr = 0;
    const char *p = tp + 1;
    size_t n = strcspn(p, ":");
    if (n && !num_in(p, n, 0, 23, &h)) return -1;
    *t = secs + (double)h * 3600;
    if (!p[n]) return 0;
    p += n + 1;
    n = strcspn(p, ":");
    if (!num_in(p, n, 0, 59, &mi)) return -1;
    *t = secs + (double)(h * 3600 + mi * 60);
    if (!p[n]) return 0;
    p += n + 1;
    size_t sl = strcspn(p, "zZ+-");
    const char *dot = memchr(p, '.', sl);
    if (!num_in(p, dot ? (size_t)(dot - p) : sl, 0, 59, &se)) return -1;
    size_t fl = 0;
    if (dot) {
        fl = (size_t)(p + sl - dot - 1);
        if (fl > 9 || !num_in(dot + 1, fl, 0, 999999999, &fr)) return -1;
    }
    double frac = (double)fr;
    for (size_t i = 0; i < fl; i++) frac /= 10;
    *t = secs + (double)(h * 3600 + mi * 60 + se) + frac;
    p += sl;
    if (*p == 'z' || *p == 'Z') return p[1] == 0 ? 0 : -1;
    if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        long long oh, om = 0;
        p++;
        if (strlen(p) < 2 || !num_in(p, 2, 0, 23, &oh)) return -1;
        if (p[2] && (p[2] != ':' || strlen(p + 3) != 2 || !num_in(p + 3, 2, 0, 59, &om))) return -1;
        *t -= sign * (double)(oh * 3600 + om * 60);
    }
    return 0;
}

/* The legacy parser accepts a Date condition value it can read, or a policy variable
 * (resolved at evaluation). */
static int legacy_date_ok(const char *v)
{
    return strstr(v, "${") || !iam_date_parse(v, NULL);
}

static int legacy_conditions_ok(json_t *c)
{
    const char *op, *key;
    json_t *block, *vals;
    json_object_foreach(c, op, block) {
        int q, ie;
        if (!iam_cond_op_is_date(iam_cond_op_find(op, &q, &ie))) continue;
        json_object_foreach(block, key, vals) {
            for (size_t i = 0; i < list_n(vals); i++) {
                json_t *x = json_is_array(vals) ? json_array_get(vals, i) : vals;
                char tmp[32];
                const char *s = json_string_value(x);
                if (json_is_integer(x)) {
                    snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(x));
                    s = tmp;
                }
                if (!s || !legacy_date_ok(s)) return 0;
            }
        }
    }
    return 1;
}

/* The next ':' of an ARN, skipping those inside a policy variable (${aws:username}). */
static const char *arn_colon(const char *s)
{
    for (; *s; s++) {
        if (s[0] == '$' && s[1] == '{') {
            const char *end = strchr(s, '}');
            if (end) s = end;
            continue;
        }
        if (*s == ':') return s;
    }
    return NULL;
}

/* The parts of "PARTITION:REST" after the partition, as AWS echoes them in its message:
 * service, region, account and resource, "*" for those missing. */
static const char *partition_message(arena *a, const char *part, size_t pl, const char *rest)
{
    const char *f[4] = {"*", "*", "*", "*"};
    size_t fl[4] = {1, 1, 1, 1};
    const char *p = rest;
    int nf = 0;
    while (p && nf < 4) {
        const char *c = nf < 3 ? strchr(p, ':') : NULL;
        f[nf] = p;
        fl[nf] = c ? (size_t)(c - p) : strlen(p);
        nf++;
        p = c ? c + 1 : NULL;
    }
    if (nf == 1 && !fl[0]) { /* nothing after the partition */
        f[0] = "*";
        fl[0] = 1;
    }
    return arena_printf(
        a, "Partition \"%.*s\" is not valid for resource \"arn:%.*s:%.*s:%.*s:%.*s:%.*s\".",
        (int)pl, part, (int)pl, part, (int)fl[0], f[0], (int)fl[1], f[1], (int)fl[2], f[2],
        (int)fl[3], f[3]);
}

static const char *const IAM_PATHS[] = {
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
};

/* What AWS says about the shape of one Resource/NotResource entry; NULL when it is fine.
 * Returns "" on OOM (the caller reports it). */
static const char *resource_error(arena *a, const char *r)
{
    if (!strcmp(r, "*")) return NULL;
    const char *c1 = arn_colon(r);
    if (!c1) {
        const char *m = arena_printf(a, "Resource %s must be in ARN format or \"*\".", r);
        return m ? m : "";
    }
    const char *part = c1 + 1, *c2 = arn_colon(part);
    size_t pl = c2 ? (size_t)(c2 - part) : strlen(part);
    if (!(pl == 1 && part[0] == '*') && !arn_partition_known(part, pl)) {
        const char *m = partition_message(a, part, pl, c2 ? c2 + 1 : "");
        return m ? m : "";
    }
    if (!c2) return "Resource vendor must be fully qualified and cannot contain regexes.";
    const char *svc = c2 + 1, *c3 = arn_colon(svc);
    size_t sl = c3 ? (size_t)(c3 - svc) : strlen(svc);
    const char *c4 = c3 ? arn_colon(c3 + 1) : NULL;
    const char *c5 = c4 ? arn_colon(c4 + 1) : NULL;
    int regional = !c3 || c4 != c3 + 1;
    const char *res = c5 ? c5 + 1 : "";
    if (sl == 3 && !strncmp(svc, "iam", 3)) {
        if (regional) {
            const char *m =
                arena_printf(a, "IAM resource %s cannot contain region information.", r);
            return m ? m : "";
        }
        if (!strcmp(res, "*") || !strcmp(res, "root")) return NULL;
        for (size_t i = 0; i < sizeof(IAM_PATHS) / sizeof(IAM_PATHS[0]); i++)
            if (!strncmp(res, IAM_PATHS[i], strlen(IAM_PATHS[i]))) return NULL;
        return "IAM resource path must either be \"*\", root, or start with user/, "
               "federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, "
               "policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.";
    }
    /* S3 ARNs carry no region, but access points do */
    if (sl == 2 && !strncmp(svc, "s3", 2) && regional && strncmp(res, "accesspoint/", 12)) {
        const char *m = arena_printf(a, "Resource %s can not contain region information.", r);
        return m ? m : "";
    }
    return NULL;
}

/* The legacy parser's view of an ARN: "a::b" forms need all six parts, and the service
 * part may not be empty. */
static int legacy_resource_ok(const char *r)
{
    if (!strcmp(r, "*")) return 1;
    size_t colons = 0;
    for (const char *p = r; *p; p++) colons += *p == ':';
    if (colons < 5 && strstr(r, "::")) return 0;
    const char *c1 = strchr(r, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    return c2 && c2[1] && c2[1] != ':';
}

/* "*" or "vendor:name"; the name is free text, the vendor letters, digits, '-', '.' and
 * wildcards (IAM takes "s3*:Get*"; Access Analyzer suggests naming the service). */
static int action_ok(json_t *v, ferr *e)
{
    for (size_t i = 0; i < list_n(v); i++) {
        const char *s = list_s(v, i);
        if (!strcmp(s, "*")) continue;
        const char *colon = strchr(s, ':');
        if (!colon)
            return MALFORMED(e, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, "
                                "ec2, etc.");
        if (strchr(colon + 1, ':'))
            return MALFORMED(e, "Actions/Condition can contain only one colon.");
        size_t vl = (size_t)(colon - s);
        if (vl == 1 && s[0] == '*') continue;
        for (size_t k = 0; k < vl; k++)
            if (!isalnum((unsigned char)s[k]) && !strchr("-.*?", s[k]))
                return MALFORMED(e, "Vendor %.*s is not valid", (int)vl, s);
    }
    return 0;
}

/* Trust policies: IAM refuses a condition key with more than one colon (an OIDC key written
 * with its https:// scheme). */
static int trust_condition_keys_ok(json_t *c, ferr *e)
{
    const char *op, *key;
    json_t *block, *vals;
    json_object_foreach(c, op, block) {
        json_object_foreach(block, key, vals) {
            const char *colon = strchr(key, ':');
            if (colon && strchr(colon + 1, ':'))
                return MALFORMED(e, "Condition can contain only one colon.");
        }
    }
    return 0;
}

int iam_grammar_check(json_t *root, const char *json, size_t len, int kind, ferr *e)
{
    if (!doc_syntax_ok(root)) return SYNTAX(e);
    json_t *sts = json_object_get(root, "Statement");
    size_t n = nstmts(sts);
    if (kind_rules(sts, kind, e)) return -1;
    json_t *ver = json_object_get(root, "Version");
    /* AWS: customer managed policies take only the current language version */
    if (kind == IAM_KIND_MANAGED && (!ver || strcmp(json_string_value(ver), "2012-10-17")))
        return MALFORMED(e, "Policy document must be version 2012-10-17 or greater.");
    /* AWS: a managed policy's text must start with '{' (the console says "JSON strings must
     * not have leading spaces"; the API only that legacy parsing failed) */
    if (kind == IAM_KIND_MANAGED && len && json[0] != '{') return LEGACY(e);

    for (size_t i = 0; i < n; i++) {
        json_t *s = stmt_at(sts, i), *c = json_object_get(s, "Condition");
        const char *eff = json_string_value(json_object_get(s, "Effect"));
        if ((strcmp(eff, "Allow") && strcmp(eff, "Deny")) || (c && !legacy_conditions_ok(c)))
            return LEGACY(e);
    }
    arena *a = arena_new(0);
    if (!a) return ferr_oom(e);
    const char *res_err = NULL;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        json_t *s = stmt_at(sts, i);
        static const char *const keys[] = {"Resource", "NotResource"};
        for (int k = 0; k < 2 && !rc; k++) {
            json_t *r = json_object_get(s, keys[k]);
            if (!r) continue;
            for (size_t j = 0; j < list_n(r) && !res_err; j++)
                res_err = resource_error(a, list_s(r, j));
            if (res_err && !*res_err) rc = ferr_oom(e);
            /* the legacy parser runs only while every resource so far had a valid shape */
            for (size_t j = 0; j < list_n(r) && !res_err && !rc; j++)
                if (!legacy_resource_ok(list_s(r, j))) rc = LEGACY(e);
        }
    }
    for (size_t i = 0; i < n && !rc; i++) {
        const char *sid = json_string_value(json_object_get(stmt_at(sts, i), "Sid"));
        /* AWS: IAM's own documents take Sids of [0-9A-Za-z]* (resource policies are the
         * owning service's business, SCPs Organizations') */
        if (sid && (kind_identity(kind) || kind == IAM_KIND_TRUST))
            for (const char *c = sid; *c && !rc; c++)
                if (!isalnum((unsigned char)*c))
                    rc = MALFORMED(e, "Statement IDs (SID) must be alpha-numeric. Check that "
                                      "your input satisfies the regular expression [0-9A-Za-z]*");
        for (size_t j = 0; j < i && sid && *sid && !rc; j++) {
            const char *o = json_string_value(json_object_get(stmt_at(sts, j), "Sid"));
            if (o && !strcmp(o, sid))
                rc = MALFORMED(e, "Statement IDs (SID) in a single policy must be unique.");
        }
    }
    for (size_t i = 0; i < n && !rc; i++) {
        json_t *s = stmt_at(sts, i), *ac = json_object_get(s, "Action");
        if (!ac) ac = json_object_get(s, "NotAction");
        if (!ac || !list_n(ac)) rc = MALFORMED(e, "Policy statement must contain actions.");
    }
    for (size_t i = 0; i < n && !rc && kind_identity(kind); i++) {
        json_t *s = stmt_at(sts, i), *r = json_object_get(s, "Resource");
        if (!r) r = json_object_get(s, "NotResource");
        if (!r || !list_n(r)) rc = MALFORMED(e, "Policy statement must contain resources.");
    }
    if (!rc && res_err) rc = MALFORMED(e, "%s", res_err);
    for (size_t i = 0; i < n && !rc; i++) {
        json_t *s = stmt_at(sts, i), *ac = json_object_get(s, "Action");
        if (!ac) ac = json_object_get(s, "NotAction");
        rc = action_ok(ac, e);
    }
    for (size_t i = 0; i < n && !rc && kind == IAM_KIND_TRUST; i++) {
        json_t *c = json_object_get(stmt_at(sts, i), "Condition");
        if (c) rc = trust_condition_keys_ok(c, e);
    }
    arena_free(a);
    return rc;
}

int iam_condition_operator_known(const char *op)
{
    int q, ie;
    return op && iam_cond_op_find(op, &q, &ie) >= 0;
}
