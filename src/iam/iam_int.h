/* Private to src/iam: the compiled form of a policy, shared by policy.c (builds it),
 * match.c, vars.c, cond.c and eval.c (read it). Not for use outside src/iam. */
#ifndef FERRY_IAM_INT_H
#define FERRY_IAM_INT_H
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "iam/eval.h"

/* ---- patterns (match.c, vars.c) ----
 * A pattern is kept "escaped": '*' and '?' are wildcards, '\' makes the next byte
 * literal. Literal text from the document is escaped at compile time; values of policy
 * variables are escaped when substituted, so "${*}" or a user name with '*' stays literal. */
enum { PAT_ANY = 0, PAT_LIT, PAT_PREFIX, PAT_GLOB, PAT_VARS }; /* PAT_PREFIX: "text*" */

typedef struct pat_part {
    const char *s;   /* literal: escaped text; var: key name */
    const char *def; /* var default (raw), or NULL */
    uint32_t len, deflen;
    uint8_t is_var;
} pat_part;

typedef struct iam_pat {
    const char *s; /* PAT_LIT: raw text; PAT_PREFIX: the text before '*'; PAT_GLOB: escaped */
    uint32_t len;
    uint8_t kind;
    uint8_t wild;    /* wildcards meaningful (Like/Arn/Action/Resource) */
    uint16_t nparts; /* PAT_VARS */
    const pat_part *parts;
} iam_pat;

/* Evaluation state shared by one iam_evaluate() call. */
typedef struct iam_env {
    const iam_request *req;
    const char *action; /* lowercased (action patterns are lowercased at parse) */
    size_t action_len;
    const char *res;
    size_t res_len;
    uint64_t svc_bit; /* iam_svc_bit() of the action's service prefix */
    char action_buf[256];
    const char *scratch[4]; /* derived single values handed out by iam_env_lookup */
    int nscratch;
} iam_env;

/* Compiles text into p (allocating in a). vars: substitute ${} variables (2012-10-17).
 * wild: '*'/'?' are wildcards. Returns 0 or -1 (OOM). */
int iam_pat_compile(arena *a, const char *text, size_t len, int vars, int wild, iam_pat *p);

/* Byte glob over an escaped pattern. icase: ASCII case-insensitive. */
int iam_glob(const char *p, size_t pl, const char *s, size_t sl, int icase);
/* ARN match: the six colon-separated parts are matched one by one (wildcards do not
 * cross a ':' before the resource part); the resource part may hold ':' and '/'. */
int iam_arn_glob(const char *p, size_t pl, const char *s, size_t sl);

/* A bloom bit for a service prefix ("s3" of "s3:GetObject", case-insensitive), so a
 * statement whose actions name other services is skipped with one AND. */
uint64_t iam_svc_bit(const char *action, size_t len);

/* Match modes for iam_pat_match. */
enum { PM_STR = 0, PM_STR_ICASE, PM_ARN, PM_ACTION /* both sides lowercased */ };
/* 1 match, 0 no match, -1 a policy variable could not be resolved (AWS: the
 * statement does not apply). */
int iam_pat_match(const iam_pat *p, iam_env *env, int mode, const char *s, size_t sl);

/* Expands a PAT_VARS pattern into out (escaped when p->wild, raw otherwise).
 * Returns the length, -1 unresolved, -2 too long. */
long iam_pat_expand(const iam_pat *p, iam_env *env, char *out, size_t cap);

/* Looks a context key up (case-insensitive), deriving caller facts when absent.
 * Returns 1 and sets *vals and *n when present, 0 when missing. */
int iam_env_lookup(iam_env *env, const char *key, size_t klen, const char *const **vals, size_t *n);

/* ---- conditions (cond.c) ---- */
typedef struct iam_cidr {
    uint8_t fam; /* 4, 6, 0 = invalid */
    uint8_t bits;
    uint8_t addr[16];
} iam_cidr;

typedef union cond_val {
    iam_pat pat; /* string and ARN operators, BinaryEquals */
    double num;  /* Numeric, Date (epoch seconds); NaN = invalid */
    int b;       /* Bool, Null: 1/0, -1 invalid */
    iam_cidr ip;
} cond_val;

typedef struct iam_cond {
    uint8_t op; /* cond.c operator index */
    uint8_t if_exists;
    uint8_t qual; /* 0, Q_ALL, Q_ANY */
    const char *key;
    uint32_t keylen;
    const cond_val *vals;
    uint32_t nvals;
} iam_cond;
enum { Q_NONE = 0, Q_ALL, Q_ANY };

/* Compiles Condition operator `opname` for one key and its values. vars: Version
 * 2012-10-17. Returns 0, or -1 with e set (MalformedPolicyDocument / OOM). */
struct json_t;
int iam_cond_compile(arena *a, const char *opname, const char *key, struct json_t *vals, int vars,
                     iam_cond *c, ferr *e);
/* The operator table index of opname ("ForAnyValue:StringLikeIfExists" -> StringLike, with
 * *qual Q_ANY and *if_exists 1; case-insensitive), or -1 when it names no operator. */
int iam_cond_op_find(const char *opname, int *qual, int *if_exists);
/* 1 when operator index op is one of the Date operators. */
int iam_cond_op_is_date(int op);
/* 1 when operator index op keeps its values as patterns (cond_val.pat: the string, ARN and
 * binary operators), which may hold policy variables. */
int iam_cond_op_is_pattern(int op);
/* 1 true, 0 false, -1 unresolved policy variable. */
int iam_cond_eval(const iam_cond *c, iam_env *env);

/* ---- principals ---- */
enum { PR_ANY = 0, PR_ACCOUNT, PR_ARN, PR_SERVICE, PR_FEDERATED, PR_CANONICAL };
typedef struct iam_prin {
    uint8_t type;
    const char *v; /* account id, ARN, service, provider or canonical id */
} iam_prin;

/* Strength with which a resource-policy statement names the caller. */
enum { NAMES_NONE = 0, NAMES_ACCOUNT = 1, NAMES_ROLE = 2, NAMES_DIRECT = 3 };

/* ---- statements and policies ---- */
typedef struct iam_stmt {
    uint8_t deny;
    uint8_t not_action, not_resource, not_principal;
    uint8_t has_resource, has_principal;
    int index;
    uint64_t svc_mask; /* OR of iam_svc_bit() of the actions; all ones when unknown */
    const char *sid;
    const iam_pat *actions;
    uint32_t nactions;
    const iam_pat *resources;
    uint32_t nresources;
    const iam_prin *prins;
    uint32_t nprins;
    const iam_cond *conds;
    uint32_t nconds;
} iam_stmt;

struct iam_policy {
    arena *a;
    int kind;
    int version; /* 2012 or 2008 */
    const char *name;
    const iam_stmt *stmts;
    size_t nstmts;
};

#endif
