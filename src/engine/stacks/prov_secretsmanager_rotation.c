/* AWS::SecretsManager::RotationSchedule. Ref = the secret's ARN (its physical id); GetAtt Id
 * the same. A new schedule turns rotation on with the function and rules and rotates at once
 * (RotateSecret); an update sets them again and rotates at once unless
 * RotateImmediatelyOnUpdate is false; SecretId replaces; a delete turns rotation off
 * (CancelRotateSecret; a secret already gone counts as done). HostedRotationLambda, which
 * has AWS deploy one of its own rotation functions, is refused: ferry has none to deploy. */
#include <stdlib.h>
#include <string.h>

#include "prov_int.h"

static const prov_prop schema[] = {
    {"HostedRotationLambda", PT_OBJECT, 0},
    {"RotateImmediatelyOnUpdate", PT_BOOL, 0},
    {"RotationLambdaARN", PT_STR, 0},
    {"RotationRules", PT_OBJECT, 0},
    {"SecretId", PT_STR, 1},
    {NULL, 0, 0},
};

static const prov_prop rules_schema[] = {
    {"AutomaticallyAfterDays", PT_INT, 0},
    {"Duration", PT_STR, 0},
    {"ScheduleExpression", PT_STR, 0},
    {NULL, 0, 0},
};

static int check(cfn_pctx *p, const json_t *pr)
{
    if (json_object_get(pr, "HostedRotationLambda"))
        return prov_invalid(p, "HostedRotationLambda: ferry does not deploy AWS's rotation "
                               "functions; give RotationLambdaARN");
    if (!jstr(pr, "RotationLambdaARN"))
        return prov_invalid(p, "RotationLambdaARN is required (ferry has no hosted rotation)");
    return 0;
}

/* RotateSecret: at once for a new schedule, on update as RotateImmediatelyOnUpdate says */
static int rotate(cfn_pctx *p, const char *secret, const json_t *pr, int created)
{
    const json_t *rules = json_object_get(pr, "RotationRules");
    json_t *rn = NULL;
    if (rules && prov_props(p, rules, rules_schema, &rn)) return -1;
    return prov_call(p, "secretsmanager", "RotateSecret",
                     json_pack("{s:s, s:s, s:o*, s:b}", "SecretId", secret, "RotationLambdaARN",
                               jstr(pr, "RotationLambdaARN"), "RotationRules", rn,
                               "RotateImmediately",
                               created || jbool(pr, "RotateImmediatelyOnUpdate", 1)),
                     NULL);
}

static int rotation_del(cfn_pctx *p, const char *arn, const json_t *props)
{
    (void)props;
    return prov_call_gone_ok(p, NULL, "secretsmanager", "CancelRotateSecret",
                             json_pack("{s:s}", "SecretId", arn));
}

static const prov_secret_setting setting = {rotate};

static const prov_shape shape = {
    .schema = schema,
    .check = check,
    .make = prov_secret_setting_make,
    .change = prov_secret_setting_change,
    .attrs = prov_shape_id_attrs,
    .del = rotation_del,
    .data = &setting,
};

static const char *const replace_on[] = {"SecretId", NULL};

const cfn_provider cfn_provider_secretsmanager_rotation = {
    .type = "AWS::SecretsManager::RotationSchedule",
    .shape = &shape,
    .del = rotation_del,
    .replace_on = replace_on,
};
