/* IAM policy documents: parse, validate (AWS's rules and messages), compile.
 * A compiled policy is immutable and may be shared by threads; evaluation
 * (eval.h) never walks JSON. */
#ifndef FERRY_IAM_POLICY_H
#define FERRY_IAM_POLICY_H
#include <stddef.h>

#include "base/err.h"

typedef struct iam_policy iam_policy;

/* Where a document is used: decides which elements are required/forbidden. */
typedef enum {
    IAM_KIND_IDENTITY = 0, /* user/group/role inline or managed policy: no Principal */
    IAM_KIND_RESOURCE,     /* bucket, queue, topic, key, function policy: Principal required */
    IAM_KIND_TRUST,        /* role trust policy: Principal required, Resource prohibited */
    IAM_KIND_SCP,          /* service control policy: no Principal, Resource optional ("*") */
    IAM_KIND_BOUNDARY,     /* permissions boundary: as identity */
    IAM_KIND_SESSION, /* session policy passed to AssumeRole or GetFederationToken: as identity */
    IAM_KIND_MANAGED, /* customer managed policy (CreatePolicy, CreatePolicyVersion): as identity,
                       * and AWS takes only Version 2012-10-17 and text starting with '{' */
} iam_kind;

/* AWS quotas, in characters excluding whitespace (iam_policy_size()). The parser itself
 * only enforces IAM_POLICY_PARSE_MAX bytes; services enforce the quota that applies,
 * with AWS's LimitExceeded "Cannot exceed quota for PolicySize: N". */
#define IAM_QUOTA_MANAGED_POLICY   6144  /* managed policy (also used as a boundary) */
#define IAM_QUOTA_USER_INLINE      2048  /* aggregate of a user's inline policies */
#define IAM_QUOTA_GROUP_INLINE     5120  /* aggregate of a group's inline policies */
#define IAM_QUOTA_ROLE_INLINE      10240 /* aggregate of a role's inline policies */
#define IAM_QUOTA_TRUST_POLICY     2048  /* role trust policy, default (adjustable to 4096) */
#define IAM_QUOTA_TRUST_POLICY_MAX 4096
#define IAM_QUOTA_SESSION_POLICY   2048  /* inline session policy (plaintext) */
#define IAM_QUOTA_SCP              5120  /* service control policy */
#define IAM_POLICY_PARSE_MAX       65536 /* hard cap on any document handed to the parser */

/* Parses and compiles json[0..len). kind is an iam_kind. Returns a policy the caller
 * owns (iam_policy_free), or NULL with e set: code "MalformedPolicyDocument" (400)
 * and AWS's message (grammar.h: "Syntax errors in policy.", "The policy failed legacy
 * parsing", "Actions/Condition can contain only one colon.", ...), or "InternalFailure" on OOM. Services whose API names the error differently
 * (S3 MalformedPolicy, SQS InvalidAttributeValue) re-code it and keep the message. */
iam_policy *iam_policy_parse(const char *json, size_t len, int kind, ferr *e);
void iam_policy_free(iam_policy *p); /* NULL is a no-op */

/* A name reported in evaluation results (e.g. the policy ARN or "inline:NAME").
 * Copied. Defaults to the document's Id, else "". Returns 0 or -1 (OOM). */
int iam_policy_set_name(iam_policy *p, const char *name);
const char *iam_policy_name(const iam_policy *p); /* borrowed */
int iam_policy_kind(const iam_policy *p);
/* 2012 or 2008 (missing Version = 2008-10-17: policy variables are plain text). */
int iam_policy_version(const iam_policy *p);
size_t iam_policy_nstatements(const iam_policy *p);
const char *iam_policy_sid(const iam_policy *p, size_t i); /* borrowed; "" when no Sid */

/* Characters of json[0..len) that are not whitespace: what AWS counts for quotas. */
size_t iam_policy_size(const char *json, size_t len);

#endif
