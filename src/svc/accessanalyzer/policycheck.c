/* ValidatePolicy's checks, named and worded as the IAM User Guide's "policy validation
 * check reference" has them. The document is walked once with positions (jpos.h); every
 * finding carries the path to the element and the span of its value. The policy engine
 * (iam/policy.h) has the last word on grammar: condition blocks are compiled by it, and a
 * document it refuses that no check explained still gets an ERROR. */
#include "policycheck.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "iam/grammar.h"
#include "iam/policy.h"
#include "jpos.h"
#include "proto/model.h"

/* ---- the checks ---- */

typedef struct check {
    const char *code, *type; /* issue code, finding type */
} check;

#define E                 "ERROR"
#define W                 "WARNING"
#define S                 "SECURITY_WARNING"
#define G                 "SUGGESTION"
/* A check: its issue code (the page anchor is the code in lower case, '-' for '_') and
 * finding type. */
#define CHECK(code, type) code = {#code, type}
/* one check a line */
/* clang-format off */
static const check
    CHECK(JSON_SYNTAX_ERROR, E),
    CHECK(DATA_TYPE_MISMATCH, E),
    CHECK(INVALID_POLICY_ELEMENT, E),
    CHECK(INVALID_VERSION, E),
    CHECK(MISSING_STATEMENT, E),
    CHECK(MISSING_EFFECT, E),
    CHECK(INVALID_EFFECT, E),
    CHECK(MISSING_ACTION, E),
    CHECK(MISSING_RESOURCE, E),
    CHECK(MISSING_PRINCIPAL, E),
    CHECK(UNSUPPORTED_PRINCIPAL, E),
    CHECK(SCP_SYNTAX_ERROR_PRINCIPAL, E),
    CHECK(UNSUPPORTED_ELEMENT_COMBINATION, E),
    CHECK(INVALID_ACTION, E),
    CHECK(UNIQUE_SIDS_REQUIRED, E),
    CHECK(UNSUPPORTED_SID, E),
    CHECK(INVALID_ARN_PREFIX, E),
    CHECK(MISSING_ARN_FIELD, E),
    CHECK(INVALID_ARN_ACCOUNT, E),
    CHECK(INVALID_ARN_SERVICE_CASE, E),
    CHECK(INVALID_PRINCIPAL_FORMAT, E),
    CHECK(INVALID_PRINCIPAL_KEY, E),
    CHECK(UNSUPPORTED_WILDCARD_IN_PRINCIPAL, E),
    CHECK(INVALID_CONDITION_OPERATOR, E),
    CHECK(INVALID_CONDITION_KEY_FORMAT, E),
    CHECK(DUPLICATE_KEYS_WITH_DIFFERENT_CASE, E),
    CHECK(UNSUPPORTED_GLOBAL_CONDITION_KEY, E),
    CHECK(NULL_WITH_IF_EXISTS, E),
    CHECK(POLICY_SIZE_EXCEEDS_SCP_QUOTA, E),

    CHECK(MISSING_VERSION, W),
    CHECK(UNIQUE_SIDS_RECOMMENDED, W),
    CHECK(WILDCARD_WITHOUT_LIKE_OPERATOR, W),
    CHECK(TYPE_MISMATCH_BOOLEAN, W),
    CHECK(TYPE_MISMATCH_NUMBER, W),
    CHECK(TYPE_MISMATCH_DATE, W),
    CHECK(TYPE_MISMATCH_IP_RANGE, W),
    CHECK(POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA, W),
    CHECK(CREATE_SLR_WITH_STAR_IN_RESOURCE, W),
    CHECK(CREATE_SLR_WITH_STAR_IN_ACTION_AND_RESOURCE, W),
    CHECK(CREATE_SLR_WITH_NOT_RESOURCE, W),
    CHECK(CREATE_SLR_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE, W),
    CHECK(CREATE_SLR_WITH_NOT_ACTION_AND_NOT_RESOURCE, W),
    CHECK(CREATE_SLR_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION, W),

    CHECK(ALLOW_WITH_NOT_PRINCIPAL, S),
    CHECK(PASS_ROLE_WITH_STAR_IN_RESOURCE, S),
    CHECK(PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE, S),
    CHECK(PASS_ROLE_WITH_NOT_RESOURCE, S),
    CHECK(PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE, S),
    CHECK(PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE, S),
    CHECK(PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION, S),

    CHECK(EMPTY_SID_VALUE, G),
    CHECK(EMPTY_ARRAY_ACTION, G),
    CHECK(EMPTY_ARRAY_RESOURCE, G),
    CHECK(EMPTY_ARRAY_PRINCIPAL, G),
    CHECK(EMPTY_OBJECT_PRINCIPAL, G),
    CHECK(EMPTY_OBJECT_CONDITION, G),
    CHECK(EMPTY_ARRAY_CONDITION, G),
    CHECK(EMPTY_ARRAY_CONDITION_IFEXISTS, G),
    CHECK(EMPTY_ARRAY_CONDITION_FORALLVALUES, G),
    CHECK(EMPTY_ARRAY_CONDITION_FORANYVALUE, G),
    CHECK(NULL_WITH_QUALIFIER, G),
    CHECK(REDUNDANT_ACTION, G),
    CHECK(REDUNDANT_RESOURCE, G),
    CHECK(REDUNDANT_STATEMENT, G),
    CHECK(WILDCARD_IN_SERVICE_NAME, G);
/* clang-format on */
#undef CHECK

static const char LINK[] = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
                           "access-analyzer-reference-policy-checks.html"
                           "#access-analyzer-reference-policy-checks-";

/* ---- walking state ---- */

#define MAX_PATH 12

typedef struct elem {
    const char *key; /* NULL: an index */
    int index;
} elem;

typedef struct ctx {
    arena *a;
    const char *text;
    size_t len;
    int type, trust;
    const jpos_node *root;
    json_t *findings;
    elem path[MAX_PATH];
    int depth;
    int errors;    /* ERROR findings so far */
    int explained; /* findings about documents IAM itself would refuse (EMPTY_*,
                      NULL_WITH_QUALIFIER, TYPE_MISMATCH_DATE: IAM's legacy parser refuses
                      the date): no ERROR on top of them */
    int oom;
} ctx;

static void push_key(ctx *x, const char *k)
{
    if (x->depth < MAX_PATH) x->path[x->depth] = (elem){k, 0};
    x->depth++;
}

static void push_index(ctx *x, int i)
{
    if (x->depth < MAX_PATH) x->path[x->depth] = (elem){NULL, i};
    x->depth++;
}

static void pop(ctx *x)
{
    x->depth--;
}

static json_t *position(jpos_pos p)
{
    return json_pack("{s:i, s:i, s:i}", "line", p.line, "column", p.column, "offset", p.offset);
}

/* A location: the current path (plus an extra key when given) and the span of n. */
static json_t *location(ctx *x, const jpos_node *n, const char *extra)
{
    json_t *path = json_array();
    int rc = 0;
    for (int i = 0; i < x->depth && i < MAX_PATH; i++)
        rc |= json_array_append_new(path, x->path[i].key
                                              ? json_pack("{s:s}", "value", x->path[i].key)
                                              : json_pack("{s:i}", "index", x->path[i].index));
    if (extra) rc |= json_array_append_new(path, json_pack("{s:s}", "value", extra));
    if (rc) x->oom = 1;
    return json_pack("{s:o, s:{s:o, s:o}}", "path", path, "span", "start", position(n->start),
                     "end", position(n->end));
}

static void addv(ctx *x, const check *ck, json_t *locations, const char *fmt, va_list ap)
{
    char details[1024];
    vsnprintf(details, sizeof(details), fmt, ap);
    char link[320];
    const char *slug = !strcmp(ck->type, E)   ? "error"
                       : !strcmp(ck->type, W) ? "general-warning"
                       : !strcmp(ck->type, S) ? "security-warning"
                                              : "suggestion";
    char anchor[96];
    size_t i = 0;
    for (; ck->code[i] && i + 1 < sizeof(anchor); i++)
        anchor[i] = ck->code[i] == '_' ? '-' : (char)tolower((unsigned char)ck->code[i]);
    anchor[i] = 0;
    snprintf(link, sizeof(link), "%s%s-%s", LINK, slug, anchor);
    json_t *f = json_pack("{s:s, s:s, s:s, s:s, s:o}", "findingDetails", details, "findingType",
                          ck->type, "issueCode", ck->code, "learnMoreLink", link, "locations",
                          locations ? locations : json_array());
    if (!f || json_array_append_new(x->findings, f)) x->oom = 1;
    if (!strcmp(ck->type, E)) x->errors++;
    if ((!strncmp(ck->code, "EMPTY_", 6) && strcmp(ck->code, "EMPTY_SID_VALUE")) ||
        ck == &NULL_WITH_QUALIFIER || ck == &TYPE_MISMATCH_DATE)
        x->explained++;
}

/* A finding with the given locations (a new array, taken). */
static void add_locs(ctx *x, const check *ck, json_t *locations, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add_locs(ctx *x, const check *ck, json_t *locations, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    addv(x, ck, locations, fmt, ap);
    va_end(ap);
}

/* A finding located at the current path (+ extra key) over n. */
static void add(ctx *x, const check *ck, const jpos_node *n, const char *extra, const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));
static void add(ctx *x, const check *ck, const jpos_node *n, const char *extra, const char *fmt,
                ...)
{
    va_list ap;
    va_start(ap, fmt);
    addv(x, ck, json_pack("[o]", location(x, n, extra)), fmt, ap);
    va_end(ap);
}

static void mismatch(ctx *x, const jpos_node *n, const char *want)
{
    add(x, &DATA_TYPE_MISMATCH, n, NULL, "The text does not match the expected JSON data type %s.",
        want);
}

/* A string or an array of strings, as Action, Resource and principal values are. Reports
 * a mismatch and returns -1 otherwise. */
static int str_list(ctx *x, const jpos_node *v)
{
    if (v->type == JPOS_STRING) return 0;
    if (v->type != JPOS_ARRAY) {
        mismatch(x, v, "Array");
        return -1;
    }
    int bad = 0;
    for (size_t i = 0; i < v->n; i++) {
        if (v->items[i]->type == JPOS_STRING) continue;
        push_index(x, (int)i);
        mismatch(x, v->items[i], "String");
        pop(x);
        bad = 1;
    }
    return bad ? -1 : 0;
}

static size_t list_n(const jpos_node *v)
{
    return v->type == JPOS_ARRAY ? v->n : 1;
}

static const jpos_node *list_at(const jpos_node *v, size_t i)
{
    return v->type == JPOS_ARRAY ? v->items[i] : v;
}

/* Pushes the index of item i when v is an array (the path to an element of a list). */
static void push_item(ctx *x, const jpos_node *v, size_t i)
{
    if (v->type == JPOS_ARRAY) push_index(x, (int)i);
}

static void pop_item(ctx *x, const jpos_node *v)
{
    if (v->type == JPOS_ARRAY) pop(x);
}

/* ---- wildcard matching ---- */

/* '*' and '?' glob; icase: ASCII case-insensitive. */
static int glob(const char *p, const char *s, int icase)
{
    const char *star = NULL, *mark = NULL;
    while (*s) {
        if (*p == '*') {
            star = p++;
            mark = s;
        } else if (*p == '?' ||
                   (icase ? tolower((unsigned char)*p) == tolower((unsigned char)*s) : *p == *s)) {
            p++;
            s++;
        } else if (star) {
            p = star + 1;
            s = ++mark;
        } else {
            return 0;
        }
    }
    while (*p == '*') p++;
    return !*p;
}

static int has_wild(const char *s)
{
    return strchr(s, '*') || strchr(s, '?');
}

/* ---- actions ---- */

/* IAM actions that are not API operations of the services ferry has models for (AWS:
 * "a single action controls access to more than one operation", and some have no operation
 * of their own). Keep in step with src/proto/services.list. */
static const char *const iam_only_actions[] = {
    "iam:PassRole",
    "sts:TagSession",
    "sts:SetSourceIdentity",
    "sts:SetContext",
    "sts:GetServiceBearerToken",
    "lambda:InvokeFunction",
    "lambda:InvokeFunctionUrl",
    "lambda:EnableReplication",
    "lambda:DisableReplication",
    "cloudformation:CreateUploadBucket",
    "cloudformation:TagResource",
    "cloudformation:UntagResource",
    "cloudformation:ListTagsForResource",
    "s3:ListBucket",
    "s3:ListAllMyBuckets",
    "s3:ListBucketVersions",
    "s3:ListBucketMultipartUploads",
    "s3:ListMultipartUploadParts",
    "s3:GetObjectVersion",
    "s3:GetObjectVersionAcl",
    "s3:GetObjectVersionTagging",
    "s3:GetObjectVersionAttributes",
    "s3:GetObjectVersionForReplication",
    "s3:GetObjectVersionTorrent",
    "s3:PutObjectVersionAcl",
    "s3:PutObjectVersionTagging",
    "s3:DeleteObjectVersion",
    "s3:DeleteObjectVersionTagging",
    "s3:GetLifecycleConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:PutReplicationConfiguration",
    "s3:GetEncryptionConfiguration",
    "s3:PutEncryptionConfiguration",
    "s3:GetAccelerateConfiguration",
    "s3:PutAccelerateConfiguration",
    "s3:GetAnalyticsConfiguration",
    "s3:PutAnalyticsConfiguration",
    "s3:GetInventoryConfiguration",
    "s3:PutInventoryConfiguration",
    "s3:GetMetricsConfiguration",
    "s3:PutMetricsConfiguration",
    "s3:GetIntelligentTieringConfiguration",
    "s3:PutIntelligentTieringConfiguration",
    "s3:GetBucketObjectLockConfiguration",
    "s3:PutBucketObjectLockConfiguration",
    "s3:BypassGovernanceRetention",
    "s3:ReplicateObject",
    "s3:ReplicateDelete",
    "s3:ReplicateTags",
    "s3:ObjectOwnerOverrideToBucketOwner",
    "s3:GetAccountPublicAccessBlock",
    "s3:PutAccountPublicAccessBlock",
    "s3:GetBucketPublicAccessBlock",
    "s3:PutBucketPublicAccessBlock",
    "s3:GetAccessPoint",
    "s3:CreateAccessPoint",
    "s3:DeleteAccessPoint",
    "s3:ListAccessPoints",
    "s3:GetAccessPointPolicy",
    "s3:PutAccessPointPolicy",
    "s3:DeleteAccessPointPolicy",
    "s3:GetAccessPointPolicyStatus",
    "s3:CreateJob",
    "s3:DescribeJob",
    "s3:ListJobs",
    "s3:UpdateJobPriority",
    "s3:UpdateJobStatus",
    "s3:GetStorageLensConfiguration",
    "s3:PutStorageLensConfiguration",
    "s3:ListStorageLensConfigurations",
    "s3:GetBucketAcl",
    "s3:PutBucketAcl",
    "s3:GetBucketCORS",
    "s3:PutBucketCORS",
    NULL,
};

typedef void (*action_fn)(void *ud, const char *name);

/* Calls fn for every action name (without prefix) of service prefix svc that ferry knows.
 * Returns 0 when ferry has no model for that service (then nothing is known). */
static int each_action(const char *svc, size_t svclen, action_fn fn, void *ud)
{
    char name[64];
    if (!svclen || svclen >= sizeof(name)) return 0;
    memcpy(name, svc, svclen);
    name[svclen] = 0;
    for (char *c = name; *c; c++) *c = (char)tolower((unsigned char)*c);
    const proto_service *ps = proto_service_by_signing_name(name);
    if (!ps) return 0;
    for (size_t i = 0; i < ps->nops; i++) fn(ud, ps->ops[i].name);
    for (size_t i = 0; iam_only_actions[i]; i++) {
        const char *a = iam_only_actions[i], *colon = strchr(a, ':');
        if ((size_t)(colon - a) == svclen && !strncasecmp(a, name, svclen)) fn(ud, colon + 1);
    }
    return 1;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return 99;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = diag + cost;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            if (up + 1 < best) best = up + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

typedef struct action_probe {
    const char *want; /* name part, maybe with wildcards */
    int found;
    int suggest;      /* look for the nearest name too */
    const char *best; /* nearest name, for "Did you mean" */
    size_t best_d;
} action_probe;

static void probe_cb(void *ud, const char *name)
{
    action_probe *p = ud;
    if (!p->found && glob(p->want, name, 1)) p->found = 1;
    if (!p->suggest || has_wild(p->want)) return;
    size_t d = edit_distance(p->want, name);
    if (d < p->best_d) {
        p->best_d = d;
        p->best = name;
    }
}

static void check_action(ctx *x, const jpos_node *v)
{
    const char *s = v->s, *colon = strchr(s, ':');
    if (!strcmp(s, "*")) return;
    if (!colon || colon == s || !colon[1]) {
        add(x, &INVALID_ACTION, v, NULL, "The action %s does not exist.", s);
        return;
    }
    size_t svclen = (size_t)(colon - s);
    if (memchr(s, '*', svclen) || memchr(s, '?', svclen)) {
        add(x, &WILDCARD_IN_SERVICE_NAME, v, NULL,
            "Avoid using wildcards (*, ?) in the service name because it might grant unintended "
            "access to other AWS services with similar names.");
        return;
    }
    action_probe p = {colon + 1, 0, 0, NULL, 99};
    if (!each_action(s, svclen, probe_cb, &p) || p.found) return;
    p.suggest = 1; /* not there: what was meant? */
    each_action(s, svclen, probe_cb, &p);
    if (p.best && p.best_d <= 3)
        add(x, &INVALID_ACTION, v, NULL, "The action %s does not exist. Did you mean %.*s:%s?", s,
            (int)svclen, s, p.best);
    else
        add(x, &INVALID_ACTION, v, NULL, "The action %s does not exist.", s);
}

/* REDUNDANT_ACTION / REDUNDANT_RESOURCE: an entry another entry of the same list already
 * covers (AWS: only when all of the entry is covered). */
static int covers(const char *wide, const char *narrow, int icase)
{
    if (!has_wild(wide)) return icase ? !strcasecmp(wide, narrow) : !strcmp(wide, narrow);
    /* a '?' in the wider entry could stand for a '*' of the narrower one */
    if (strchr(wide, '?') && has_wild(narrow)) return 0;
    return glob(wide, narrow, icase);
}

/* 0 for an action ferry knows does not exist (reported as INVALID_ACTION already). */
static int action_may_exist(const char *s)
{
    const char *colon = strchr(s, ':');
    if (!colon || colon == s) return 0;
    action_probe p = {colon + 1, 0, 0, NULL, 99};
    return !each_action(s, (size_t)(colon - s), probe_cb, &p) || p.found;
}

static void redundant(ctx *x, const jpos_node *v, int actions)
{
    if (v->type != JPOS_ARRAY) return;
    for (size_t i = 0; i < v->n; i++) {
        const jpos_node *a = v->items[i];
        if (a->type != JPOS_STRING || (actions && !action_may_exist(a->s))) continue;
        for (size_t j = 0; j < v->n; j++) {
            const jpos_node *b = v->items[j];
            if (i == j || b->type != JPOS_STRING) continue;
            /* of two equal entries, the later one is the redundant one */
            int same = actions ? !strcasecmp(a->s, b->s) : !strcmp(a->s, b->s);
            if (same ? j > i : !covers(b->s, a->s, actions)) continue;
            push_index(x, (int)i);
            if (actions)
                add(x, &REDUNDANT_ACTION, a, NULL,
                    "The %s action(s) are redundant because they provide similar permissions. "
                    "Update the policy to remove the redundant action such as: %s.",
                    a->s, a->s);
            else
                add(x, &REDUNDANT_RESOURCE, a, NULL,
                    "The %s resource ARN(s) are redundant because they reference the same "
                    "resource. Review the use of wildcards (*)",
                    a->s);
            pop(x);
            break;
        }
    }
}

/* ---- resources ---- */

static void check_resource(ctx *x, const jpos_node *v)
{
    const char *s = v->s;
    if (!strcmp(s, "*")) return;
    if (strncmp(s, "arn:", 4)) {
        add(x, &INVALID_ARN_PREFIX, v, NULL, "Add the required prefix (arn) to the resource ARN.");
        return;
    }
    /* arn:partition:service:region:account:resource */
    const char *f[6];
    int nf = 0;
    f[nf++] = s;
    for (const char *p = s; *p && nf < 6; p++)
        if (*p == ':') f[nf++] = p + 1;
    if (nf < 6) {
        add(x, &MISSING_ARN_FIELD, v, NULL,
            "Resource ARNs must include at least 6 fields in the following structure: "
            "arn:partition:service:region:account:resource");
        return;
    }
    size_t svclen = (size_t)(f[3] - f[2] - 1), acctlen = (size_t)(f[5] - f[4] - 1);
    if (memchr(f[2], '*', svclen) || memchr(f[2], '?', svclen)) {
        add(x, &WILDCARD_IN_SERVICE_NAME, v, NULL,
            "Avoid using wildcards (*, ?) in the service name because it might grant unintended "
            "access to other AWS services with similar names.");
    } else {
        for (size_t i = 0; i < svclen; i++)
            if (isupper((unsigned char)f[2][i])) {
                add(x, &INVALID_ARN_SERVICE_CASE, v, NULL,
                    "Update the service name in the resource ARN to use all lowercase letters.");
                break;
            }
    }
    const char *acct = f[4];
    int ok = acctlen == 0 || memchr(acct, '*', acctlen) || memchr(acct, '?', acctlen) ||
             memchr(acct, '$', acctlen) || (acctlen == 3 && !strncmp(acct, "aws", 3));
    if (!ok && acctlen == 12) {
        ok = 1;
        for (size_t i = 0; i < 12; i++) ok &= isdigit((unsigned char)acct[i]) != 0;
    }
    if (!ok)
        add(x, &INVALID_ARN_ACCOUNT, v, NULL,
            "The resource ARN account ID is not valid. Provide a 12-digit account ID.");
}

/* ---- principals ---- */

static void check_principal(ctx *x, const jpos_node *p, const char *elem)
{
    if (p->type == JPOS_STRING) {
        if (strcmp(p->s, "*"))
            add(x, &INVALID_PRINCIPAL_FORMAT, p, NULL,
                "The %s element contents are not valid. Specify a key-value pair in the %s "
                "element.",
                elem, elem);
        return;
    }
    if (p->type != JPOS_OBJECT) {
        mismatch(x, p, "Object");
        return;
    }
    if (!p->n) {
        add(x, &EMPTY_OBJECT_PRINCIPAL, p, NULL,
            "This statement includes no principals and does not affect the policy. Specify "
            "principals.");
        return;
    }
    for (size_t i = 0; i < p->n; i++) {
        const char *k = p->keys[i]->s;
        const jpos_node *v = p->items[i];
        push_key(x, k);
        if (strcmp(k, "AWS") && strcmp(k, "Service") && strcmp(k, "Federated") &&
            strcmp(k, "CanonicalUser")) {
            add(x, &INVALID_PRINCIPAL_KEY, v, NULL, "The principal key %s is not valid.", k);
        } else if (!str_list(x, v)) {
            if (v->type == JPOS_ARRAY && !v->n)
                add(x, &EMPTY_ARRAY_PRINCIPAL, v, NULL,
                    "This statement includes no principals and does not affect the policy. "
                    "Specify principals.");
            for (size_t j = 0; j < list_n(v); j++) {
                const jpos_node *e = list_at(v, j);
                if (!strcmp(e->s, "*") && !strcmp(k, "AWS")) continue;
                if (!has_wild(e->s)) continue;
                push_item(x, v, j);
                add(x, &UNSUPPORTED_WILDCARD_IN_PRINCIPAL, e, NULL,
                    "Wildcards (*, ?) are not supported with the principal key %s. Replace the "
                    "wildcard with a valid principal value.",
                    k);
                pop_item(x, v);
            }
        }
        pop(x);
    }
}

/* ---- conditions ---- */

static int ends_with_ci(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcasecmp(s + a - b, suffix);
}

/* The operator without its ForAllValues:/ForAnyValue: qualifier and IfExists suffix. */
static void base_operator(const char *op, char *out, size_t n, int *qual, int *ifexists)
{
    *qual = 0;
    if (!strncasecmp(op, "ForAllValues:", 13))
        *qual = 1, op += 13;
    else if (!strncasecmp(op, "ForAnyValue:", 12))
        *qual = 2, op += 12;
    snprintf(out, n, "%s", op);
    *ifexists = ends_with_ci(out, "IfExists") && strlen(out) > 8;
    if (*ifexists) out[strlen(out) - 8] = 0;
}

static int is_number(const char *s)
{
    char *end = NULL;
    if (!*s) return 0;
    strtod(s, &end);
    return end && !*end;
}

static int is_cidr(const char *s)
{
    char addr[64];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n >= sizeof(addr)) return 0;
    memcpy(addr, s, n);
    addr[n] = 0;
    unsigned char buf[16];
    int v6 = strchr(addr, ':') != NULL;
    if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, buf) != 1) return 0;
    if (!slash) return 1;
    char *end = NULL;
    long bits = strtol(slash + 1, &end, 10);
    return end != slash + 1 && !*end && bits >= 0 && bits <= (v6 ? 128 : 32);
}

/* Values of one condition key as text: strings, numbers and booleans are all accepted by
 * IAM; NULL for objects, arrays and null. */
static const char *value_text(const jpos_node *v)
{
    if (v->type == JPOS_STRING || v->type == JPOS_NUMBER) return v->s;
    if (v->type == JPOS_BOOL) return v->boolean ? "true" : "false";
    return NULL;
}

/* Compiles one operator/key pair with the policy engine: the single source of truth on
 * which operators exist. Returns 0 or the engine's message in msg. */
static int engine_accepts(ctx *x, const char *op, const char *key, const jpos_node *vals, char *msg,
                          size_t n)
{
    json_t *k = json_string(key), *o = json_string(op);
    char *ks = json_dumps(k, JSON_ENCODE_ANY), *os = json_dumps(o, JSON_ENCODE_ANY);
    json_decref(k);
    json_decref(o);
    char *doc = ks && os
                    ? arena_printf(x->a,
                                   "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":"
                                   "\"Deny\",\"Action\":\"*\",\"Resource\":\"*\","
                                   "\"Condition\":{%s:{%s:%.*s}}}}",
                                   os, ks, (int)(vals->bend - vals->bstart), x->text + vals->bstart)
                    : NULL;
    free(ks);
    free(os);
    if (!doc) {
        x->oom = 1;
        return 0;
    }
    ferr e = {0};
    iam_policy *p = iam_policy_parse(doc, strlen(doc), IAM_KIND_IDENTITY, &e);
    if (p) {
        iam_policy_free(p);
        return 0;
    }
    size_t l = strnlen(e.message, n - 1);
    memcpy(msg, e.message, l);
    msg[l] = 0;
    return -1;
}

static void check_values(ctx *x, const char *op, const char *base, const jpos_node *vals)
{
    for (size_t j = 0; j < list_n(vals); j++) {
        const jpos_node *v = list_at(vals, j);
        const char *t = value_text(v);
        if (!t) continue;
        push_item(x, vals, j);
        if (!strcasecmp(base, "Bool") && strcasecmp(t, "true") && strcasecmp(t, "false")) {
            add(x, &TYPE_MISMATCH_BOOLEAN, v, NULL,
                "Add a valid Boolean value (true or false) for the condition operator %s.", op);
        } else if (!strncasecmp(base, "Numeric", 7) && !strstr(t, "${") && !is_number(t)) {
            add(x, &TYPE_MISMATCH_NUMBER, v, NULL,
                "Add a valid numeric value for the condition operator %s.", op);
        } else if (!strncasecmp(base, "Date", 4) && !strstr(t, "${")) {
            double when;
            if (clock_parse(t, &when))
                add(x, &TYPE_MISMATCH_DATE, v, NULL,
                    "The date condition operator is used with an invalid value. Specify a valid "
                    "date using YYYY-MM-DD or other ISO 8601 date/time format.");
        } else if ((!strcasecmp(base, "IpAddress") || !strcasecmp(base, "NotIpAddress")) &&
                   !strstr(t, "${") && !is_cidr(t)) {
            add(x, &TYPE_MISMATCH_IP_RANGE, v, NULL,
                "The condition operator %s is used with an invalid IP range value. Specify the "
                "IP range in standard CIDR format.",
                op);
        } else if ((!strcasecmp(base, "StringEquals") || !strcasecmp(base, "StringNotEquals") ||
                    !strcasecmp(base, "StringEqualsIgnoreCase") ||
                    !strcasecmp(base, "StringNotEqualsIgnoreCase")) &&
                   !strstr(t, "${") && has_wild(t)) {
            add(x, &WILDCARD_WITHOUT_LIKE_OPERATOR, v, NULL,
                "Your condition value includes a * or ? character. If you meant to use a "
                "wildcard (*, ?), update the condition operator to include Like.");
        }
        pop_item(x, vals);
    }
}

static void check_condition(ctx *x, const jpos_node *c)
{
    if (c->type != JPOS_OBJECT) {
        mismatch(x, c, "Object");
        return;
    }
    if (!c->n) {
        add(x, &EMPTY_OBJECT_CONDITION, c, NULL,
            "This condition block is empty and it does not affect the policy. Specify "
            "conditions.");
        return;
    }
    for (size_t i = 0; i < c->n; i++) {
        const char *op = c->keys[i]->s;
        const jpos_node *block = c->items[i];
        push_key(x, op);
        if (block->type != JPOS_OBJECT) {
            mismatch(x, block, "Object");
            pop(x);
            continue;
        }
        char base[64];
        int qual, ifexists;
        base_operator(op, base, sizeof(base), &qual, &ifexists);
        int is_null = !strcasecmp(base, "Null"), op_bad = 0;
        if (is_null && ifexists) {
            add(x, &NULL_WITH_IF_EXISTS, block, NULL,
                "The Null condition operator cannot be used with the IfExists suffix. Update the "
                "operator or the suffix.");
            op_bad = 1;
        } else if (is_null && qual) {
            add(x, &NULL_WITH_QUALIFIER, block, NULL,
                "Avoid using the Null condition operator with the ForAllValues or ForAnyValue "
                "qualifiers because they always return a true or false respectively.");
            op_bad = 1;
        }
        for (size_t j = 0; j < block->n; j++) {
            const char *key = block->keys[j]->s;
            const jpos_node *vals = block->items[j];
            push_key(x, key);
            for (size_t k = 0; k < j; k++)
                if (!strcasecmp(block->keys[k]->s, key)) {
                    add(x, &DUPLICATE_KEYS_WITH_DIFFERENT_CASE, vals, NULL,
                        "The condition key appears more than once with different capitalization "
                        "in the same condition block. Remove the duplicate condition keys.");
                    break;
                }
            const char *colon = strchr(key, ':');
            if (!colon || colon == key || !colon[1]) {
                add(x, &INVALID_CONDITION_KEY_FORMAT, vals, NULL,
                    "The condition key format is not valid. Use the format service:keyname.");
                pop(x);
                continue;
            }
            if (!strcasecmp(key, "aws:ARN"))
                add(x, &UNSUPPORTED_GLOBAL_CONDITION_KEY, vals, NULL,
                    "The condition key aws:ARN is not supported. Use aws:PrincipalArn or "
                    "aws:SourceArn instead.");
            if (vals->type == JPOS_ARRAY && !vals->n) {
                const check *ck = qual == 1   ? &EMPTY_ARRAY_CONDITION_FORALLVALUES
                                  : qual == 2 ? &EMPTY_ARRAY_CONDITION_FORANYVALUE
                                  : ifexists  ? &EMPTY_ARRAY_CONDITION_IFEXISTS
                                              : &EMPTY_ARRAY_CONDITION;
                if (ck == &EMPTY_ARRAY_CONDITION)
                    add(x, ck, vals, NULL,
                        "There are no values for the condition key %s and it does not affect the "
                        "policy. Specify conditions.",
                        key);
                else if (ck == &EMPTY_ARRAY_CONDITION_FORANYVALUE)
                    add(x, ck, vals, NULL,
                        "The ForAnyValue prefix with an empty condition key %s never matches the "
                        "request context and it does not affect the policy. Specify conditions.",
                        key);
                else
                    add(x, ck, vals, NULL,
                        "The %s with an empty condition key matches only if the key %s is missing "
                        "from the request context. To determine if the request context is empty, "
                        "we recommend that you use the Null condition operator with the value of "
                        "true instead.",
                        qual == 1 ? "ForAllValues prefix" : "IfExists suffix", key);
                pop(x);
                continue;
            }
            int shape_ok = 1;
            for (size_t k = 0; k < list_n(vals); k++)
                if (!value_text(list_at(vals, k))) shape_ok = 0;
            if (!shape_ok) {
                mismatch(x, vals, "String");
                pop(x);
                continue;
            }
            char msg[256];
            if (!op_bad && (!iam_condition_operator_known(op) ||
                            engine_accepts(x, op, key, vals, msg, sizeof(msg)))) {
                if (!iam_condition_operator_known(op)) {
                    pop(x);
                    add(x, &INVALID_CONDITION_OPERATOR, block, NULL,
                        "The condition operator %s is not valid. Use a valid condition operator.",
                        op);
                    op_bad = 1;
                    continue;
                }
                /* an unreadable date: check_values warns (TYPE_MISMATCH_DATE) */
                if (strncasecmp(base, "Date", 4) || strcmp(msg, "The policy failed legacy parsing"))
                    add(x, &DATA_TYPE_MISMATCH, vals, NULL, "%s", msg);
            }
            if (!op_bad) check_values(x, op, base, vals);
            pop(x);
        }
        pop(x);
    }
}

/* 1 when some condition in the statement tests key (any operator). */
static int has_condition_key(const jpos_node *st, const char *key)
{
    const jpos_node *c = jpos_get(st, "Condition", NULL);
    if (!c || c->type != JPOS_OBJECT) return 0;
    for (size_t i = 0; i < c->n; i++) {
        const jpos_node *b = c->items[i];
        if (b->type != JPOS_OBJECT) continue;
        for (size_t j = 0; j < b->n; j++)
            if (!strcasecmp(b->keys[j]->s, key)) return 1;
    }
    return 0;
}

/* ---- iam:PassRole and iam:CreateServiceLinkedRole on too many resources ---- */

typedef struct wide_checks {
    const char *action, *mitigating_key, *what;
    const check *star_res, *star_act_res, *not_res, *star_act_not_res, *not_act_not_res,
        *star_res_not_act;
} wide_checks;

static const wide_checks pass_role = {"iam:PassRole",
                                      "iam:PassedToService",
                                      "iam:PassRole",
                                      &PASS_ROLE_WITH_STAR_IN_RESOURCE,
                                      &PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE,
                                      &PASS_ROLE_WITH_NOT_RESOURCE,
                                      &PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE,
                                      &PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE,
                                      &PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION};
static const wide_checks create_slr = {"iam:CreateServiceLinkedRole",
                                       "iam:AWSServiceName",
                                       "iam:CreateServiceLinkedRole",
                                       &CREATE_SLR_WITH_STAR_IN_RESOURCE,
                                       &CREATE_SLR_WITH_STAR_IN_ACTION_AND_RESOURCE,
                                       &CREATE_SLR_WITH_NOT_RESOURCE,
                                       &CREATE_SLR_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE,
                                       &CREATE_SLR_WITH_NOT_ACTION_AND_NOT_RESOURCE,
                                       &CREATE_SLR_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION};

/* A resource entry that names every role: "*", or an IAM ARN whose resource part is "*",
 * or "role/" followed by "*". */
static int star_resource(const char *r)
{
    if (!strcmp(r, "*")) return 1;
    if (strncmp(r, "arn:", 4)) return 0;
    const char *p = r;
    for (int i = 0; i < 5 && p; i++) {
        p = strchr(p, ':');
        if (p) p++;
    }
    if (!p) return 0;
    const char *svc = strchr(r + 4, ':');
    if (!svc || (strncmp(svc + 1, "iam:", 4) && strncmp(svc + 1, "*:", 2))) return 0;
    return !strcmp(p, "*") || !strcmp(p, "role/*") || !strcmp(p, "role*");
}

static void wide_permission(ctx *x, const jpos_node *st, const wide_checks *w)
{
    const jpos_node *ak = NULL, *rk = NULL;
    const jpos_node *act = jpos_get(st, "Action", &ak), *nact = jpos_get(st, "NotAction", NULL);
    const jpos_node *res = jpos_get(st, "Resource", &rk), *nres = jpos_get(st, "NotResource", NULL);
    if ((act && nact) || (res && nres)) return; /* reported as a combination error */
    int lit = 0, star = 0, not_act = 0;
    const jpos_node *star_node = NULL;
    if (act) {
        for (size_t i = 0; i < list_n(act); i++) {
            const jpos_node *a = list_at(act, i);
            if (a->type != JPOS_STRING) continue;
            if (!strcasecmp(a->s, w->action))
                lit = 1;
            else if (has_wild(a->s) && glob(a->s, w->action, 1) && !star_node) {
                star = 1;
                star_node = a;
            }
        }
    } else if (nact) {
        not_act = 1;
        for (size_t i = 0; i < list_n(nact); i++) {
            const jpos_node *a = list_at(nact, i);
            if (a->type == JPOS_STRING && glob(a->s, w->action, 1)) not_act = 0;
        }
    }
    if (!lit && !star && !not_act) return;
    int mitigated = has_condition_key(st, w->mitigating_key);
    if (nres) {
        const check *ck = lit ? w->not_res : star ? w->star_act_not_res : w->not_act_not_res;
        push_key(x, "NotResource");
        if (ck == w->not_res)
            add(x, ck, nres, NULL,
                "Using the %s action with NotResource can be overly permissive because it can "
                "allow %s permissions on multiple resources. We recommend that you specify "
                "resource ARNs instead.",
                w->what, w->what);
        else if (ck == w->star_act_not_res)
            add(x, ck, nres, NULL,
                "Using an action with a wildcard (*) and NotResource can be overly permissive "
                "because it can allow %s permissions on multiple resources. We recommend that you "
                "specify resource ARNs instead.",
                w->what);
        else
            add(x, ck, nres, NULL,
                "Using NotAction with NotResource can be overly permissive because it can allow "
                "%s permissions on multiple resources. We recommend that you specify resource "
                "ARNs instead.",
                w->what);
        pop(x);
        return;
    }
    if (!res || mitigated) return;
    for (size_t i = 0; i < list_n(res); i++) {
        const jpos_node *r = list_at(res, i);
        if (r->type != JPOS_STRING || !star_resource(r->s)) continue;
        push_key(x, "Resource");
        push_item(x, res, i);
        if (lit)
            add(x, w->star_res, r, NULL,
                "Using the %s action with wildcards (*) in the resource can be overly permissive "
                "because it allows %s permissions on multiple resources. We recommend that you "
                "specify resource ARNs or add the %s condition key to your statement.",
                w->what, w->what, w->mitigating_key);
        else if (star)
            add(x, w->star_act_res, r, NULL,
                "Using wildcards (*) in the action and the resource can be overly permissive "
                "because it allows %s permissions on all resources. We recommend that you specify "
                "resource ARNs or add the %s condition key to your statement.",
                w->what, w->mitigating_key);
        else
            add(x, w->star_res_not_act, r, NULL,
                "Using a resource with wildcards (*) and NotAction can be overly permissive "
                "because it allows %s permissions on all resources. We recommend that you specify "
                "resource ARNs or add the %s condition key to your statement.",
                w->what, w->mitigating_key);
        pop_item(x, res);
        pop(x);
        return;
    }
}

/* ---- statements ---- */

static const char *const stmt_elements[] = {"Sid",       "Effect",    "Principal", "NotPrincipal",
                                            "Action",    "NotAction", "Resource",  "NotResource",
                                            "Condition", NULL};

static int known(const char *k, const char *const *set)
{
    for (size_t i = 0; set[i]; i++)
        if (!strcmp(k, set[i])) return 1;
    return 0;
}

static void combination(ctx *x, const jpos_node *st, const char *a, const char *b)
{
    const jpos_node *vb = jpos_get(st, b, NULL);
    if (!jpos_get(st, a, NULL) || !vb) return;
    push_key(x, b);
    add(x, &UNSUPPORTED_ELEMENT_COMBINATION, vb, NULL,
        "The policy elements %s and %s can not be used in the same statement. Remove one of "
        "these elements.",
        a, b);
    pop(x);
}

static int is_identity_like(int type)
{
    return type == AA_IDENTITY_POLICY || type == AA_SERVICE_CONTROL_POLICY;
}

static void check_statement(ctx *x, const jpos_node *st)
{
    if (st->type != JPOS_OBJECT) {
        mismatch(x, st, "Object");
        return;
    }
    for (size_t i = 0; i < st->n; i++) {
        const char *k = st->keys[i]->s;
        if (known(k, stmt_elements)) continue;
        push_key(x, k);
        add(x, &INVALID_POLICY_ELEMENT, st->items[i], NULL, "The policy element %s is not valid.",
            k);
        pop(x);
    }
    combination(x, st, "Principal", "NotPrincipal");
    combination(x, st, "Action", "NotAction");
    combination(x, st, "Resource", "NotResource");

    const jpos_node *sid = jpos_get(st, "Sid", NULL);
    if (sid) {
        push_key(x, "Sid");
        if (sid->type != JPOS_STRING) {
            mismatch(x, sid, "String");
        } else if (!sid->slen) {
            add(x, &EMPTY_SID_VALUE, sid, NULL,
                "Add a value to the empty string in the Sid element.");
        } else if (x->type == AA_IDENTITY_POLICY) {
            for (size_t i = 0; i < sid->slen; i++)
                if (!isalnum((unsigned char)sid->s[i])) {
                    add(x, &UNSUPPORTED_SID, sid, NULL,
                        "Update the characters in the Sid element to use one of the following "
                        "character types: [a-z, A-Z, 0-9]");
                    break;
                }
        }
        pop(x);
    }

    const jpos_node *eff = jpos_get(st, "Effect", NULL);
    int allow = 0;
    if (!eff) {
        add(x, &MISSING_EFFECT, st, NULL,
            "Add an Effect element to the policy statement with a value of Allow or Deny.");
    } else {
        push_key(x, "Effect");
        if (eff->type != JPOS_STRING)
            mismatch(x, eff, "String");
        else if (!strcmp(eff->s, "Allow"))
            allow = 1;
        else if (strcmp(eff->s, "Deny"))
            add(x, &INVALID_EFFECT, eff, NULL, "The effect %s is not valid. Use Allow or Deny.",
                eff->s);
        pop(x);
    }

    const char *pname = jpos_get(st, "Principal", NULL) ? "Principal" : "NotPrincipal";
    const jpos_node *prin = jpos_get(st, pname, NULL);
    if (prin && x->type == AA_IDENTITY_POLICY) {
        push_key(x, pname);
        add(x, &UNSUPPORTED_PRINCIPAL, prin, NULL,
            "The policy type IDENTITY_POLICY does not support the Principal element. Remove the "
            "Principal element.");
        pop(x);
    } else if (prin && x->type == AA_SERVICE_CONTROL_POLICY) {
        push_key(x, pname);
        add(x, &SCP_SYNTAX_ERROR_PRINCIPAL, prin, NULL,
            "SCPs do not support specifying principals. Remove the Principal or NotPrincipal "
            "element.");
        pop(x);
    } else if (!prin && !is_identity_like(x->type)) {
        add(x, &MISSING_PRINCIPAL, st, NULL, "Add a Principal element to the policy statement.");
    } else if (prin) {
        push_key(x, pname);
        check_principal(x, prin, pname);
        if (allow && !strcmp(pname, "NotPrincipal"))
            add(x, &ALLOW_WITH_NOT_PRINCIPAL, prin, NULL,
                "Using Allow with NotPrincipal can be overly permissive. We recommend that you use "
                "Principal instead.");
        pop(x);
    }

    const char *aname = jpos_get(st, "Action", NULL) ? "Action" : "NotAction";
    const jpos_node *act = jpos_get(st, aname, NULL);
    if (!act) {
        add(x, &MISSING_ACTION, st, NULL,
            "Add an Action or NotAction element to the policy statement.");
    } else {
        push_key(x, aname);
        if (!str_list(x, act)) {
            if (act->type == JPOS_ARRAY && !act->n)
                add(x, &EMPTY_ARRAY_ACTION, act, NULL,
                    "This statement includes no actions and does not affect the policy. Specify "
                    "actions.");
            for (size_t i = 0; i < list_n(act); i++) {
                push_item(x, act, i);
                check_action(x, list_at(act, i));
                pop_item(x, act);
            }
            redundant(x, act, 1);
        }
        pop(x);
    }

    const char *rname = jpos_get(st, "Resource", NULL) ? "Resource" : "NotResource";
    const jpos_node *res = jpos_get(st, rname, NULL);
    if (!res && x->type == AA_IDENTITY_POLICY) {
        add(x, &MISSING_RESOURCE, st, NULL,
            "Add a Resource or NotResource element to the policy statement.");
    } else if (res) {
        push_key(x, rname);
        if (!str_list(x, res)) {
            if (res->type == JPOS_ARRAY && !res->n)
                add(x, &EMPTY_ARRAY_RESOURCE, res, NULL,
                    "This statement includes no resources and does not affect the policy. "
                    "Specify resources.");
            for (size_t i = 0; i < list_n(res); i++) {
                push_item(x, res, i);
                check_resource(x, list_at(res, i));
                pop_item(x, res);
            }
            redundant(x, res, 0);
        }
        pop(x);
    }

    const jpos_node *cond = jpos_get(st, "Condition", NULL);
    if (cond) {
        push_key(x, "Condition");
        check_condition(x, cond);
        pop(x);
    }

    if (allow && x->type == AA_IDENTITY_POLICY) {
        wide_permission(x, st, &pass_role);
        wide_permission(x, st, &create_slr);
    }
}

/* Two statements that grant the same thing, Sid aside. */
static int node_equal(const jpos_node *a, const jpos_node *b, int skip_sid)
{
    if (a->type != b->type) return 0;
    switch (a->type) {
    case JPOS_NULL: return 1;
    case JPOS_BOOL: return a->boolean == b->boolean;
    case JPOS_NUMBER:
    case JPOS_STRING: return a->slen == b->slen && !memcmp(a->s, b->s, a->slen);
    case JPOS_ARRAY:
        if (a->n != b->n) return 0;
        for (size_t i = 0; i < a->n; i++)
            if (!node_equal(a->items[i], b->items[i], 0)) return 0;
        return 1;
    default: {
        size_t na = 0, nb = 0;
        for (size_t i = 0; i < a->n; i++) {
            if (skip_sid && !strcmp(a->keys[i]->s, "Sid")) continue;
            na++;
            const jpos_node *v = jpos_get(b, a->keys[i]->s, NULL);
            if (!v || !node_equal(a->items[i], v, 0)) return 0;
        }
        for (size_t i = 0; i < b->n; i++) nb += !(skip_sid && !strcmp(b->keys[i]->s, "Sid"));
        return na == nb;
    }
    }
}

static void statements(ctx *x, const jpos_node *sts)
{
    size_t n = list_n(sts);
    for (size_t i = 0; i < n; i++) {
        push_item(x, sts, i);
        check_statement(x, list_at(sts, i));
        pop_item(x, sts);
    }
    if (sts->type != JPOS_ARRAY) return;
    for (size_t j = 1; j < n; j++) {
        const jpos_node *b = sts->items[j];
        if (b->type != JPOS_OBJECT) continue;
        const jpos_node *sb = jpos_get(b, "Sid", NULL);
        for (size_t i = 0; i < j; i++) {
            const jpos_node *a = sts->items[i];
            if (a->type != JPOS_OBJECT) continue;
            const jpos_node *sa = jpos_get(a, "Sid", NULL);
            if (sa && sb && sa->type == JPOS_STRING && sb->type == JPOS_STRING && sb->slen &&
                !strcmp(sa->s, sb->s)) {
                push_index(x, (int)j);
                push_key(x, "Sid");
                if (x->type == AA_RESOURCE_POLICY || x->type == AA_RESOURCE_CONTROL_POLICY)
                    add(x, &UNIQUE_SIDS_RECOMMENDED, sb, NULL,
                        "We recommend that you use statement IDs that are unique to your policy. "
                        "Update the Sid value.");
                else
                    add(x, &UNIQUE_SIDS_REQUIRED, sb, NULL,
                        "Duplicate statement IDs are not supported for this policy type. Update "
                        "the Sid value.");
                pop(x);
                pop(x);
                break;
            }
        }
        for (size_t i = 0; i < j; i++) {
            if (!node_equal(sts->items[i], b, 1)) continue;
            json_t *locs = json_array();
            push_index(x, (int)i);
            if (json_array_append_new(locs, location(x, sts->items[i], NULL))) x->oom = 1;
            pop(x);
            push_index(x, (int)j);
            if (json_array_append_new(locs, location(x, b, NULL))) x->oom = 1;
            pop(x);
            add_locs(x, &REDUNDANT_STATEMENT, locs,
                     "The statements are redundant because they provide identical permissions. "
                     "Update the policy to remove the redundant statement.");
            break;
        }
    }
}

/* ---- the document ---- */

static int engine_kind(int type, int trust)
{
    switch (type) {
    case AA_IDENTITY_POLICY: return IAM_KIND_IDENTITY;
    case AA_SERVICE_CONTROL_POLICY: return IAM_KIND_SCP;
    default: return trust ? IAM_KIND_TRUST : IAM_KIND_RESOURCE;
    }
}

static void check_document(ctx *x, const jpos_node *root)
{
    if (root->type != JPOS_OBJECT) {
        mismatch(x, root, "Object");
        return;
    }
    static const char *const top[] = {"Version", "Id", "Statement", NULL};
    for (size_t i = 0; i < root->n; i++) {
        const char *k = root->keys[i]->s;
        if (known(k, top)) continue;
        push_key(x, k);
        add(x, &INVALID_POLICY_ELEMENT, root->items[i], NULL, "The policy element %s is not valid.",
            k);
        pop(x);
    }
    const jpos_node *ver = jpos_get(root, "Version", NULL);
    if (!ver) {
        add(x, &MISSING_VERSION, root, NULL,
            "We recommend that you specify the Version element to help you with debugging "
            "permission issues.");
    } else {
        push_key(x, "Version");
        if (ver->type != JPOS_STRING)
            mismatch(x, ver, "String");
        else if (strcmp(ver->s, "2012-10-17") && strcmp(ver->s, "2008-10-17"))
            add(x, &INVALID_VERSION, ver, NULL,
                "The version %s is not valid. Use one of the following versions: 2012-10-17, "
                "2008-10-17",
                ver->s);
        pop(x);
    }
    const jpos_node *id = jpos_get(root, "Id", NULL);
    if (id && id->type != JPOS_STRING) {
        push_key(x, "Id");
        mismatch(x, id, "String");
        pop(x);
    }
    const jpos_node *sts = jpos_get(root, "Statement", NULL);
    if (!sts) {
        add(x, &MISSING_STATEMENT, root, NULL, "Add a statement to the policy");
        return;
    }
    push_key(x, "Statement");
    if (sts->type != JPOS_ARRAY && sts->type != JPOS_OBJECT)
        mismatch(x, sts, "Array");
    else if (sts->type == JPOS_ARRAY && !sts->n)
        add(x, &MISSING_STATEMENT, sts, NULL, "Add a statement to the policy");
    else
        statements(x, sts);
    pop(x);
}

int aa_validate_policy(arena *a, const char *text, size_t len, int type, int trust,
                       json_t **findings, ferr *e)
{
    ctx x =
        {.a = a, .text = text, .len = len, .type = type, .trust = trust, .findings = json_array()};
    if (!x.findings) return ferr_oom(e);
    jpos_error je;
    const jpos_node *root = jpos_parse(a, text, len, &je);
    if (!root) {
        if (!je.at.line) {
            json_decref(x.findings);
            return ferr_oom(e);
        }
        jpos_node at = {.start = je.at, .end = je.at};
        add(&x, &JSON_SYNTAX_ERROR, &at, NULL,
            "Fix the JSON syntax error at index %d line %d column %d.", je.at.offset, je.at.line,
            je.at.column);
        *findings = x.findings;
        return x.oom ? (json_decref(x.findings), ferr_oom(e)) : 0;
    }
    x.root = root;
    check_document(&x, root);

    /* AWS quotas on the document's size */
    if (type == AA_SERVICE_CONTROL_POLICY && len > 5120)
        add(&x, &POLICY_SIZE_EXCEEDS_SCP_QUOTA, root, NULL,
            "The %zu characters in the service control policy (SCP) exceed the 5120 character "
            "maximum for SCPs. We recommend that you use multiple granular policies.",
            len);
    size_t size = iam_policy_size(text, len);
    if (type == AA_IDENTITY_POLICY && size > 6144)
        add(&x, &POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA, root, NULL,
            "The %zu characters in the identity policy, excluding whitespace, exceed the 6144 "
            "character maximum for inline and managed policies. We recommend that you use "
            "multiple granular policies.",
            size);

    /* The engine decides what IAM would refuse; when no check above explained a refusal,
     * its own message becomes the finding. */
    if (!x.errors && !x.explained && !x.oom) {
        ferr pe = {0};
        iam_policy *p = iam_policy_parse(text, len, engine_kind(type, trust), &pe);
        if (p)
            iam_policy_free(p);
        else if (!strcmp(pe.code, "InternalFailure"))
            x.oom = 1;
        else if (strcmp(pe.code, "LimitExceeded"))
            add(&x,
                !strcmp(pe.message, "Syntax errors in policy.") ? &DATA_TYPE_MISMATCH
                                                                : &INVALID_POLICY_ELEMENT,
                root, NULL, "%s", pe.message);
    }
    if (x.oom) {
        json_decref(x.findings);
        return ferr_oom(e);
    }
    *findings = x.findings;
    return 0;
}
