/* AWS::IAM::AccessKey. Ref = AccessKeyId; GetAtt SecretAccessKey. UserName and Serial
 * replace (raising Serial is how a template rotates a key); Status changes in place.
 * IAM shows a secret only when the key is made, so an update returns no Attributes and the
 * engine keeps the SecretAccessKey it got from create. */
#include <stdlib.h>
#include <string.h>

#include "prov_iam.h"

static const prov_prop schema[] = {
    {"Serial", PT_INT, 0},
    {"Status", PT_STR, 0},
    {"UserName", PT_STR, 1},
    {NULL, 0, 0},
};

static int check(cfn_pctx *p, const json_t *pr)
{
    const char *s = jstr(pr, "Status");
    if (s && strcmp(s, "Active") && strcmp(s, "Inactive"))
        return prov_invalid(p, "#/Status: %s is not a valid enum value", s);
    return 0;
}

static int key_del(cfn_pctx *p, const char *id, const json_t *props)
{
    json_t *pr = prov_props_old(p, props, schema);
    json_t *in = json_pack("{s:s}", "AccessKeyId", id);
    if (jstr(pr, "UserName"))
        in = jdone(in, json_object_set(in, "UserName", json_object_get(pr, "UserName")));
    json_decref(pr);
    return prov_call_gone_ok(p, NULL, "iam", "DeleteAccessKey", in);
}

static int set_status(cfn_pctx *p, const json_t *pr, const char *id, const char *status)
{
    return prov_call(p, "iam", "UpdateAccessKey",
                     json_pack("{s:O, s:s, s:s}", "UserName", json_object_get(pr, "UserName"),
                               "AccessKeyId", id, "Status", status),
                     NULL);
}

static int key_create(cfn_pctx *p, const json_t *props, json_t **result)
{
    json_t *pr, *out = NULL;
    if (prov_props(p, props, schema, &pr)) return -1;
    int rc = -1;
    if (check(p, pr) ||
        prov_call(p, "iam", "CreateAccessKey",
                  json_pack("{s:O}", "UserName", json_object_get(pr, "UserName")), &out))
        goto out;
    const json_t *k = json_object_get(out, "AccessKey");
    const char *id = jstr(k, "AccessKeyId"), *secret = jstr(k, "SecretAccessKey");
    if (!id || !secret) {
        ferr_internal(p->e, "IAM returned an access key without id or secret");
        goto out;
    }
    /* AWS: a key is made Active; Status Inactive is applied right after */
    const char *st = jstr(pr, "Status");
    if (st && !strcmp(st, "Inactive") && set_status(p, pr, id, "Inactive")) {
        prov_undo(p, key_del, id, pr);
        goto out;
    }
    json_t *attrs = json_pack("{s:s}", "SecretAccessKey", secret);
    rc = attrs ? prov_result(p, id, attrs, result) : ferr_oom(p->e);
out:
    json_decref(out);
    json_decref(pr);
    return rc;
}

static int key_update(cfn_pctx *p, const char *id, const json_t *old_props, const json_t *new_props,
                      json_t **result)
{
    json_t *op = prov_props_old(p, old_props, schema), *np = NULL;
    int rc = -1;
    if (prov_props(p, new_props, schema, &np) || check(p, np)) goto out;
    const char *os = jstr(op, "Status"), *ns = jstr(np, "Status");
    if (strcmp(os ? os : "Active", ns ? ns : "Active") && set_status(p, np, id, ns ? ns : "Active"))
        goto out;
    *result = json_pack("{s:s}", "PhysicalResourceId", id);
    rc = *result ? 0 : ferr_oom(p->e);
out:
    json_decref(op);
    json_decref(np);
    return rc;
}

static const char *const replace_on[] = {"UserName", "Serial", NULL};

const cfn_provider cfn_provider_iam_access_key = {
    .type = "AWS::IAM::AccessKey",
    .create = key_create,
    .update = key_update,
    .del = key_del,
    .replace_on = replace_on,
};
