/* AWS Systems Manager Parameter Store: parameters are documents "ssm.param" keyed by account,
 * region and name, holding every version kept (at most 100), their labels and the tags.
 * A SecureString version holds KMS's ciphertext (base64) of its value, sealed by the kms
 * service as the caller, with the encryption context {"PARAMETER_ARN": arn} as AWS uses.
 *
 * Internal to src/svc/ssm/: ssm.c (the service, names, ARNs, documents, KMS), params.c (put,
 * get, delete, history, labels), query.c (GetParametersByPath, DescribeParameters, the
 * public /aws/service parameters), tags.c (the tagging operations). */
#ifndef FERRY_SVC_SSM_INT_H
#define FERRY_SVC_SSM_INT_H
#include <jansson.h>

#include "svc/svc.h"

#define SSM_PARAM_KIND   "ssm.param"
#define SSM_COUNT_KIND   "ssm.count" /* one document per account and region: "parameters" */
#define SSM_MAX_VERSIONS 100         /* AWS: the 100 most recent versions are kept */
#define SSM_MAX_LABELS   10          /* per version */
#define SSM_MAX_LEVELS   15          /* hierarchy levels */
#define SSM_MAX_TAGS     50
#define SSM_DEFAULT_KEY  "alias/aws/ssm"

/* A parameter as a request names it: NAME, NAME:VERSION, NAME:LABEL, or its ARN (with the
 * same selectors), possibly in another account. Strings are in the call's arena. */
typedef struct ssm_ref {
    const char *account;  /* owner: the caller's unless an ARN says otherwise */
    const char *name;     /* as stored */
    const char *alt;      /* an ARN's other reading of the name ("/a" for parameter/a), or NULL */
    const char *selector; /* ":3", ":label" or NULL */
    long long version;    /* 0: none */
    const char *label;    /* NULL: none */
} ssm_ref;

/* ---- ssm.c ---- */
int ssm_validation(call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A name PutParameter may create: 0, or -1 with ValidationException /
 * HierarchyLevelLimitExceededException as AWS words them. */
int ssm_name_check(call *c, const char *name);
/* Parses what a request names (selectors allowed when sel). 0, or -1 with c->err. */
int ssm_ref_parse(call *c, const char *in, int sel, ssm_ref *r);
/* arn:aws:ssm:REGION:ACCOUNT:parameter/NAME (one slash whether or not NAME starts with one). */
const char *ssm_arn(call *c, const char *account, const char *name);
/* Loads r's parameter: 1 (*doc in the arena, r->name set to the stored name), 0 none, -1. */
int ssm_load(call *c, ssm_ref *r, json_t **doc);
int ssm_save(call *c, const char *name, json_t *doc);
/* The version of doc r selects (latest when none): the object, or NULL with
 * ParameterVersionNotFound / ParameterNotFound in c->err. */
json_t *ssm_version(call *c, const json_t *doc, const ssm_ref *r);
/* A parameter of tier from (NULL: a new one) becomes one of tier to (NULL: deleted), within
 * AWS's quotas of 10,000 Standard and 100,000 Advanced parameters per account and region
 * (ParameterLimitExceeded). 0 or -1. */
int ssm_count_move(call *c, const char *from, const char *to);
/* Authorizes action on the parameter's ARN (call_authorize: another account's parameter is
 * refused, there is no resource policy that could share it). */
int ssm_authorize(call *c, const char *action, const char *account, const char *name);
/* Seals value under key_id for the parameter's ARN: *b64 the ciphertext. */
int ssm_encrypt(call *c, const char *key_id, const char *arn, const char *value, const char **b64);
/* Opens a stored SecureString value: *value the plaintext. */
int ssm_decrypt(call *c, const char *arn, const char *b64, const char **value);
/* The Parameter shape of GetParameter(s)/ByPath for version v of doc (decrypting when
 * decrypt); NULL with c->err. New reference. */
json_t *ssm_param_out(call *c, const char *account, const json_t *doc, const json_t *v,
                      const char *selector, int decrypt);

/* ---- query.c ---- */
/* A public parameter (/aws/service/...): 1 and *out (GetParameter's Parameter, new), 0 not
 * one of the fixed table, -1. */
int ssm_public_get(call *c, const char *name, json_t **out);

#endif
