/* AWS::KMS::Alias. Ref = the alias name (no GetAtt). AliasName replaces; TargetKeyId
 * changes in place (UpdateAlias). An alias of that name already there is refused, never
 * taken over. */
#include <stdlib.h>
#include <string.h>

#include "prov_int.h"

static const prov_prop schema[] = {
    {"AliasName", PT_STR, 1},
    {"TargetKeyId", PT_STR, 1},
    {NULL, 0, 0},
};

static int alias_del(cfn_pctx *p, const char *name, const json_t *props)
{
    (void)props;
    return prov_call_gone_ok(p, NULL, "kms", "DeleteAlias", json_pack("{s:s}", "AliasName", name));
}

static int alias_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s;
    const char *name = jstr(pr, "AliasName");
    /* DescribeKey answers NotFoundException when no key has the alias */
    if (prov_refuse_existing(p, "AWS::KMS::Alias", name, "kms", "DescribeKey",
                             json_pack("{s:s}", "KeyId", name)) ||
        cfn_intent(p, name) ||
        prov_call(p, "kms", "CreateAlias",
                  json_pack("{s:s, s:O}", "AliasName", name, "TargetKeyId",
                            json_object_get(pr, "TargetKeyId")),
                  NULL))
        return -1;
    *attrs = json_object();
    *id = strdup(name);
    return *id && *attrs ? 0 : ferr_oom(p->e);
}

static int alias_change(const prov_shape *s, cfn_pctx *p, const char *name, const json_t *op,
                        const json_t *np)
{
    (void)s;
    if (prov_same(json_object_get(op, "TargetKeyId"), json_object_get(np, "TargetKeyId"))) return 0;
    return prov_call(p, "kms", "UpdateAlias",
                     json_pack("{s:s, s:O}", "AliasName", name, "TargetKeyId",
                               json_object_get(np, "TargetKeyId")),
                     NULL);
}

static int alias_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s, (void)id;
    *attrs = json_object();
    return *attrs ? 0 : ferr_oom(p->e);
}

static const prov_shape shape = {
    .schema = schema,
    .make = alias_make,
    .change = alias_change,
    .attrs = alias_attrs,
    .del = alias_del,
};

static const char *const replace_on[] = {"AliasName", NULL};

const cfn_provider cfn_provider_kms_alias = {
    .type = "AWS::KMS::Alias",
    .shape = &shape,
    .del = alias_del,
    .replace_on = replace_on,
};
