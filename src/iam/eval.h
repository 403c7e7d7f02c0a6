/* IAM policy evaluation: AWS's evaluation logic over compiled policies.
 * AWS: "explicit deny in any policy overrides any allow"; SCPs (on the principal's
 * account) and RCPs (on the resource's) must allow at every level; in one account an allow in an identity OR a resource policy suffices;
 * across accounts both must allow; boundaries and session policies intersect. */
#ifndef FERRY_IAM_EVAL_H
#define FERRY_IAM_EVAL_H
#include <stddef.h>

#include "auth/principal.h"
#include "base/arena.h"
#include "iam/policy.h"

/* One request context key: "aws:SourceIp" = ["203.0.113.9"]. Keys match
 * case-insensitively. nvalues 0 = present with an empty set (like missing for
 * ForAllValues/ForAnyValue and Null). Multi-valued keys (aws:TagKeys,
 * aws:PrincipalOrgPaths, aws:CalledVia) carry several values. */
typedef struct iam_ctx_key {
    const char *key;
    const char *const *values;
    size_t nvalues;
} iam_ctx_key;

typedef struct iam_tag {
    const char *key, *value;
} iam_tag;

typedef struct iam_policy_set {
    const iam_policy *const *v;
    size_t n;
} iam_policy_set;

typedef struct iam_request {
    const principal *principal;   /* NULL = anonymous */
    int is_root;                  /* account root: identity side allows everything */
    const char *action;           /* "sqs:SendMessage" */
    const char *resource;         /* ARN or "*"; NULL = "*" */
    const char *resource_account; /* owner of the resource; NULL/"" = caller's account */
    const char *federated;        /* Federated provider the caller came through, or NULL */
    const char *canonical_user;   /* S3 canonical user id of the caller, or NULL */

    /* Caller facts; when the context table lacks aws:PrincipalTag/K, aws:PrincipalOrgID,
     * aws:PrincipalOrgPaths, aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType,
     * aws:userid or aws:username, they are derived from these and the principal. */
    const iam_tag *principal_tags;
    size_t nprincipal_tags;
    const char *org_id;
    const char *const *org_paths;
    size_t norg_paths;

    const iam_ctx_key *keys; /* the request context */
    size_t nkeys;

    iam_policy_set identity;           /* user (+groups) or role policies */
    const iam_policy *resource_policy; /* NULL = none */
    iam_policy_set boundary;           /* n 0 = no permissions boundary */
    iam_policy_set session;            /* n 0 = no session policies */
    const iam_policy_set *scp_layers;  /* root, OUs..., account: each must allow */
    size_t nscp_layers;
    int scp_exempt;                   /* management account or service-linked role: skip SCPs */
    const iam_policy_set *rcp_layers; /* the resource owner's root, OUs..., account: each
                                         must allow, whoever calls (n 0: none apply) */
    size_t nrcp_layers;
    int require_resource_policy; /* the resource policy must allow even in the same account
                                    (AWS: a role's trust policy for sts:AssumeRole*) */
} iam_request;

typedef enum {
    IAM_IMPLICIT_DENY = 0,
    IAM_ALLOW = 1,
    IAM_EXPLICIT_DENY = 2,
} iam_decision;

/* Which kind of policy decided a denial (or allowed). */
typedef enum {
    IAM_BY_NONE = 0,
    IAM_BY_IDENTITY,
    IAM_BY_RESOURCE,
    IAM_BY_BOUNDARY,
    IAM_BY_SESSION,
    IAM_BY_SCP,
    IAM_BY_ROOT, /* allowed because the caller is the account root */
    IAM_BY_RCP,
} iam_by;

typedef struct iam_stmt_ref {
    const iam_policy *policy; /* borrowed from the request */
    const char *policy_name;  /* iam_policy_name() */
    const char *sid;          /* "" when none */
    int index;                /* statement index in the document, from 0 */
    int by;                   /* iam_by: the set it came from */
} iam_stmt_ref;

#define IAM_MAX_REFS 4
typedef struct iam_result {
    int decision; /* iam_decision */
    int by;       /* iam_by: the policy kind whose deny, or missing allow, decided;
                       for ALLOW the kind that granted (identity or resource) */
    iam_stmt_ref refs[IAM_MAX_REFS]; /* deciding statements: the deny, or the allows */
    int nrefs;
    int layer; /* by SCP or RCP: the layer that refused (0 the root, then the OUs down the
                  path, last the account): its deny, or the first with no allow */
} iam_result;

/* Evaluates r. Never fails: malformed input (NULL action) is an implicit deny.
 * Thread-safe; allocates nothing. Returns r->decision for convenience. */
int iam_evaluate(const iam_request *r, iam_result *out);

/* AWS's AccessDenied text, e.g. "User: arn:aws:iam::111122223333:user/bob is not
 * authorized to perform: sqs:SendMessage on resource: arn:aws:sqs:...:q because no
 * identity-based policy allows the sqs:SendMessage action". Always NUL-terminates out
 * (n > 0); returns the length it wanted (as snprintf). */
int iam_denied_message(const iam_request *r, const iam_result *res, char *out, size_t n);

/* Appends a key to r->keys (copying the array into a, values borrowed).
 * Returns 0 or -1 (OOM). Convenience for callers building the context. */
int iam_request_add_key(iam_request *r, arena *a, const char *key, const char *const *values,
                        size_t nvalues);

#endif
