/* CloudFormation dynamic references: {{resolve:ssm:NAME[:VERSION]}},
 * {{resolve:ssm-secure:NAME[:VERSION]}} and
 * {{resolve:secretsmanager:SECRET-ID[:SecretString[:JSON-KEY[:VERSION-STAGE[:VERSION-ID]]]]}}
 * inside resource property strings. A stack keeps them as written (AWS never stores a
 * secure value, and compares templates by the literal reference); they are resolved as the
 * stack's caller or role just before a provider is called. Parsing and substitution are
 * pure (the fuzz target drives them); cfn_dynref_resolve calls the services. */
#ifndef FERRY_CFN_DYNREF_H
#define FERRY_CFN_DYNREF_H
#include <jansson.h>

#include "base/err.h"

struct cfn_pctx;

typedef enum { CFN_DYN_SSM = 1, CFN_DYN_SSM_SECURE = 2, CFN_DYN_SECRETS = 4 } cfn_dyn_kind;
#define CFN_DYN_ALL (CFN_DYN_SSM | CFN_DYN_SSM_SECURE | CFN_DYN_SECRETS)

typedef struct cfn_dynref {
    cfn_dyn_kind kind;
    char *name;        /* parameter name or ARN; secret name or ARN */
    long long version; /* ssm, ssm-secure: 0 = the latest */
    /* secretsmanager: NULL when not given */
    char *json_key, *version_stage, *version_id;
} cfn_dynref;

/* Parses one reference, s[0..n) being what lies between "{{resolve:" and "}}". 1 and *r
 * filled (cfn_dynref_dispose), 0 not a kind CloudFormation resolves (left as text), -1
 * malformed (ValidationError in e). */
int cfn_dynref_parse(const char *s, size_t n, cfn_dynref *r, ferr *e);
void cfn_dynref_dispose(cfn_dynref *r);

/* Gives a reference's value (*value malloc'd): 0, or -1 with e. */
typedef int (*cfn_dynref_fn)(void *ud, const cfn_dynref *r, char **value, ferr *e);

/* node with the references of the kinds in mask replaced by fn's values, everywhere in its
 * strings (a reference may be part of a longer string). New reference, or NULL with e. */
json_t *cfn_dynref_subst(const json_t *node, unsigned mask, cfn_dynref_fn fn, void *ud, ferr *e);

/* Static checks of a template's resources: every reference parses, and ssm-secure appears
 * only in the properties AWS resolves it in ("SSM Secure reference is not supported in:
 * [AWS::SNS::Topic/Properties/TopicName]"). 0, or -1 with ValidationError. */
int cfn_dynref_check(const json_t *tpl, ferr *e);

/* props with every reference resolved through the services as p's principal: ssm
 * GetParameter (WithDecryption for ssm-secure), secretsmanager GetSecretValue. New
 * reference, or NULL with p->e. */
json_t *cfn_dynref_resolve(struct cfn_pctx *p, const json_t *props);

#endif
