/* AWS::SecretsManager::ResourcePolicy. Ref = the secret's ARN (its physical id); GetAtt Id
 * the same. SecretId replaces; ResourcePolicy and BlockPublicPolicy change in place. A delete
 * removes the secret's policy (a secret already gone counts as done). Also the make and
 * change of every setting of a secret (prov_secret_setting, prov_int.h). */
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

static int policy_put(cfn_pctx *p, const char *secret, const json_t *pr, int created)
{
    (void)created;
    char *doc = prov_doc_text(json_object_get(pr, "ResourcePolicy"));
    if (!doc) return ferr_oom(p->e);
    int rc = prov_call(p, "secretsmanager", "PutResourcePolicy",
                       json_pack("{s:s, s:s, s:b}", "SecretId", secret, "ResourcePolicy", doc,
                                 "BlockPublicPolicy", jbool(pr, "BlockPublicPolicy", 0)),
                       NULL);
    free(doc);
    return rc;
}

int prov_secret_setting_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **arn_out,
                             json_t **attrs)
{
    const prov_secret_setting *set = s->data;
    json_t *out = NULL;
    if (prov_call(p, "secretsmanager", "DescribeSecret",
                  json_pack("{s:s}", "SecretId", jstr(pr, "SecretId")), &out))
        return -1;
    const char *arn = jstr(out, "ARN");
    int rc = !arn ? ferr_internal(p->e, "Secrets Manager returned no ARN")
             : cfn_intent(p, arn) || set->put(p, arn, pr, 1) ? -1
             : !(*arn_out = strdup(arn)) || !(*attrs = json_pack("{s:s}", "Id", arn))
                 ? ferr_oom(p->e)
                 : 0;
    json_decref(out);
    return rc;
}

int prov_secret_setting_change(const prov_shape *s, cfn_pctx *p, const char *arn, const json_t *op,
                               const json_t *np)
{
    (void)op;
    const prov_secret_setting *set = s->data;
    return set->put(p, arn, np, 0);
}

static const prov_secret_setting setting = {policy_put};

static const prov_shape shape = {
    .schema = schema,
    .make = prov_secret_setting_make,
    .change = prov_secret_setting_change,
    .attrs = prov_shape_id_attrs,
    .del = policy_del,
    .data = &setting,
};

static const char *const replace_on[] = {"SecretId", NULL};

const cfn_provider cfn_provider_secretsmanager_policy = {
    .type = "AWS::SecretsManager::ResourcePolicy",
    .shape = &shape,
    .del = policy_del,
    .replace_on = replace_on,
};
