/* AWS::SecretsManager::ResourcePolicy. Ref = the secret's ARN (its physical id); GetAtt Id
 * the same. SecretId replaces; ResourcePolicy and BlockPublicPolicy change in place. A delete
 * removes the secret's policy (a secret already gone counts as done). */
#include <stdlib.h>
#include <string.h>

#include "prov_int.h"

static const prov_prop schema[] = {
    {"BlockPublicPolicy", PT_BOOL, 0},
    {"ResourcePolicy", PT_JSON, 1},
    {"SecretId", PT_STR, 1},
    {NULL, 0, 0},
};

static int policy_del(cfn_pctx *p, const char *arn, const json_t *props)
{
    (void)props;
    return prov_call_gone_ok(p, NULL, "secretsmanager", "DeleteResourcePolicy",
                             json_pack("{s:s}", "SecretId", arn));
}

static int policy_put(cfn_pctx *p, const char *secret, const json_t *pr)
{
    char *doc = prov_doc_text(json_object_get(pr, "ResourcePolicy"));
    if (!doc) return ferr_oom(p->e);
    int rc = prov_call(p, "secretsmanager", "PutResourcePolicy",
                       json_pack("{s:s, s:s, s:b}", "SecretId", secret, "ResourcePolicy", doc,
                                 "BlockPublicPolicy", jbool(pr, "BlockPublicPolicy", 0)),
                       NULL);
    free(doc);
    return rc;
}

static int policy_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **arn_out,
                       json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    /* the secret's ARN, whatever form SecretId takes: the physical id and what del needs */
    if (prov_call(p, "secretsmanager", "DescribeSecret",
                  json_pack("{s:s}", "SecretId", jstr(pr, "SecretId")), &out))
        return -1;
    const char *arn = jstr(out, "ARN");
    int rc = !arn ? ferr_internal(p->e, "Secrets Manager returned no ARN")
             : cfn_intent(p, arn) || policy_put(p, arn, pr) ? -1
             : !(*arn_out = strdup(arn)) || !(*attrs = json_pack("{s:s}", "Id", arn))
                 ? ferr_oom(p->e)
                 : 0;
    json_decref(out);
    return rc;
}

static int policy_change(const prov_shape *s, cfn_pctx *p, const char *arn, const json_t *op,
                         const json_t *np)
{
    (void)s;
    (void)op;
    return policy_put(p, arn, np);
}

static const prov_shape shape = {
    .schema = schema,
    .make = policy_make,
    .change = policy_change,
    .attrs = prov_shape_id_attrs,
    .del = policy_del,
};

static const char *const replace_on[] = {"SecretId", NULL};

const cfn_provider cfn_provider_secretsmanager_policy = {
    .type = "AWS::SecretsManager::ResourcePolicy",
    .shape = &shape,
    .del = policy_del,
    .replace_on = replace_on,
};
