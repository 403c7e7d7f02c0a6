/* AWS::KMS::Key. Ref = the key id; GetAtt Arn, KeyId. KeySpec, KeyUsage, Origin and
 * MultiRegion replace; the description, key policy, Enabled, rotation and tags change in
 * place. Deleting the resource schedules the key's deletion after PendingWindowInDays (30
 * when absent), as AWS does. The provider picks the key id (KMS_CREATE_KEY_ID) so that it can
 * announce the key before it exists. Tags: the stack's and the resource's (KMS refuses aws:
 * tags). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "prov_int.h"
#include "svc/kms/keyid.h"

static const prov_prop schema[] = {
    {"BypassPolicyLockoutSafetyCheck", PT_BOOL, 0},
    {"Description", PT_STR, 0},
    {"EnableKeyRotation", PT_BOOL, 0},
    {"Enabled", PT_BOOL, 0},
    {"KeyPolicy", PT_JSON, 0},
    {"KeySpec", PT_STR, 0},
    {"KeyUsage", PT_STR, 0},
    {"MultiRegion", PT_BOOL, 0},
    {"Origin", PT_STR, 0},
    {"PendingWindowInDays", PT_INT, 0},
    {"RotationPeriodInDays", PT_INT, 0},
    {"Tags", PT_TAGS, 0},
    {NULL, 0, 0},
};

static int check(cfn_pctx *p, const json_t *pr)
{
    json_t *w = json_object_get(pr, "PendingWindowInDays");
    if (w && (json_integer_value(w) < 7 || json_integer_value(w) > 30))
        return prov_invalid(p, "#/PendingWindowInDays: %lld is not in 7..30",
                            (long long)json_integer_value(w));
    if (jbool(pr, "MultiRegion", 0))
        return prov_invalid(p, "#/MultiRegion: ferry has no multi-Region keys");
    return 0;
}

/* [{Key,Value}] -> KMS's [{TagKey,TagValue}] (and back with back=1). */
static json_t *kms_tags(const json_t *tags, int back)
{
    const char *kf = back ? "TagKey" : "Key", *vf = back ? "TagValue" : "Value";
    json_t *out = json_array();
    size_t i;
    json_t *t;
    int rc = !out;
    json_array_foreach(tags, i, t) {
        rc |= !out || json_array_append_new(out, json_pack("{s:s, s:s}", back ? "Key" : "TagKey",
                                                           jstr(t, kf) ? jstr(t, kf) : "",
                                                           back ? "Value" : "TagValue",
                                                           jstr(t, vf) ? jstr(t, vf) : ""));
    }
    return jdone(out, rc);
}

static int key_del(cfn_pctx *p, const char *id, const json_t *props)
{
    json_t *pr = prov_props_old(p, props, schema);
    long long days = jint(pr, "PendingWindowInDays", 30);
    json_decref(pr);
    if (!prov_call(p, "kms", "ScheduleKeyDeletion",
                   json_pack("{s:s, s:I}", "KeyId", id, "PendingWindowInDays", days), NULL))
        return 0;
    /* already gone, or already pending deletion */
    if (prov_is_gone(p->e) || !strcmp(p->e->code, "KMSInvalidStateException")) {
        ferr_clear(p->e);
        return 0;
    }
    return -1;
}

static int key_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    if (prov_call(p, "kms", "DescribeKey", json_pack("{s:s}", "KeyId", id), &out)) return -1;
    const char *arn = jstr(json_object_get(out, "KeyMetadata"), "Arn");
    *attrs = arn ? json_pack("{s:s, s:s}", "Arn", arn, "KeyId", id) : NULL;
    json_decref(out);
    return *attrs ? 0 : ferr_internal(p->e, "KMS described %s without an Arn", id);
}

static int set_enabled(cfn_pctx *p, const char *id, int on)
{
    return prov_call(p, "kms", on ? "EnableKey" : "DisableKey", json_pack("{s:s}", "KeyId", id),
                     NULL);
}

static int set_rotation(cfn_pctx *p, const char *id, const json_t *pr)
{
    json_t *in = json_pack("{s:s}", "KeyId", id);
    json_t *days = json_object_get(pr, "RotationPeriodInDays");
    int on = jbool(pr, "EnableKeyRotation", 0);
    if (on && days) in = jdone(in, json_object_set(in, "RotationPeriodInDays", days));
    return prov_call(p, "kms", on ? "EnableKeyRotation" : "DisableKeyRotation", in, NULL);
}

static int key_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id_out,
                    json_t **attrs)
{
    (void)s;
    char id[37];
    ids_uuid(id);
    if (cfn_intent(p, id)) return -1;
    json_t *tags = prov_tags(p, json_object_get(pr, "Tags"), 0);
    json_t *in = json_pack("{s:s, s:o}", KMS_CREATE_KEY_ID, id, "Tags", kms_tags(tags, 0));
    json_decref(tags);
    static const char *const copy[] = {"Description", "KeySpec", "KeyUsage", "Origin",
                                       "BypassPolicyLockoutSafetyCheck"};
    for (size_t i = 0; in && i < sizeof(copy) / sizeof(copy[0]); i++) {
        json_t *v = json_object_get(pr, copy[i]);
        if (v) in = jdone(in, json_object_set(in, copy[i], v));
    }
    char *policy = prov_doc_text(json_object_get(pr, "KeyPolicy"));
    if (policy) in = jdone(in, json_object_set_new(in, "Policy", json_string(policy)));
    free(policy);
    json_t *out = NULL;
    if (prov_call(p, "kms", "CreateKey", in, &out)) return -1;
    const char *arn = jstr(json_object_get(out, "KeyMetadata"), "Arn");
    *attrs = arn ? json_pack("{s:s, s:s}", "Arn", arn, "KeyId", id) : NULL;
    json_decref(out);
    if (!*attrs) return ferr_internal(p->e, "KMS made %s without an Arn", id);
    *id_out = strdup(id);
    return *id_out ? 0 : ferr_oom(p->e);
}

/* What CreateKey cannot say: disabled, rotated. */
static int key_finish(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *pr)
{
    (void)s;
    if (jbool(pr, "EnableKeyRotation", 0) && set_rotation(p, id, pr)) return -1;
    return jbool(pr, "Enabled", 1) ? 0 : set_enabled(p, id, 0);
}

static int sync_tags(cfn_pctx *p, const char *id, const json_t *np)
{
    json_t *out = NULL, *set = NULL, *unset = NULL;
    if (prov_call(p, "kms", "ListResourceTags", json_pack("{s:s}", "KeyId", id), &out)) return -1;
    json_t *have = kms_tags(json_object_get(out, "Tags"), 1);
    json_t *want = prov_tags(p, json_object_get(np, "Tags"), 0);
    json_decref(out);
    int rc = !have || !want || prov_tags_diff(have, want, &set, &unset) ? ferr_oom(p->e) : 0;
    if (!rc && json_array_size(unset))
        rc = prov_call(p, "kms", "UntagResource",
                       json_pack("{s:s, s:O}", "KeyId", id, "TagKeys", unset), NULL);
    if (!rc && json_array_size(set))
        rc = prov_call(p, "kms", "TagResource",
                       json_pack("{s:s, s:o}", "KeyId", id, "Tags", kms_tags(set, 0)), NULL);
    json_decref(have);
    json_decref(want);
    json_decref(set);
    json_decref(unset);
    return rc;
}

static int key_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                      const json_t *np)
{
    (void)s;
    const char *od = jstr(op, "Description"), *nd = jstr(np, "Description");
    if (strcmp(od ? od : "", nd ? nd : "") &&
        prov_call(p, "kms", "UpdateKeyDescription",
                  json_pack("{s:s, s:s}", "KeyId", id, "Description", nd ? nd : ""), NULL))
        return -1;
    json_t *opol = json_object_get(op, "KeyPolicy"), *npol = json_object_get(np, "KeyPolicy");
    if (npol && !prov_doc_equal(opol, npol)) {
        char *text = prov_doc_text(npol);
        json_t *in = json_pack("{s:s, s:s, s:s, s:b}", "KeyId", id, "PolicyName", "default",
                               "Policy", text ? text : "", "BypassPolicyLockoutSafetyCheck",
                               jbool(np, "BypassPolicyLockoutSafetyCheck", 0));
        free(text);
        if (prov_call(p, "kms", "PutKeyPolicy", in, NULL)) return -1;
    }
    int on = jbool(np, "Enabled", 1);
    /* enabled first: a disabled key's rotation cannot change */
    if (on && !jbool(op, "Enabled", 1) && set_enabled(p, id, 1)) return -1;
    if ((jbool(op, "EnableKeyRotation", 0) != jbool(np, "EnableKeyRotation", 0) ||
         !prov_same(json_object_get(op, "RotationPeriodInDays"),
                    json_object_get(np, "RotationPeriodInDays"))) &&
        set_rotation(p, id, np))
        return -1;
    if (!on && jbool(op, "Enabled", 1) && set_enabled(p, id, 0)) return -1;
    return sync_tags(p, id, np);
}

static const prov_shape shape = {
    .schema = schema,
    .check = check,
    .make = key_make,
    .finish = key_finish,
    .change = key_change,
    .attrs = key_attrs,
    .del = key_del,
};

static const char *const replace_on[] = {"KeySpec", "KeyUsage", "Origin", "MultiRegion", NULL};

const cfn_provider cfn_provider_kms_key = {
    .type = "AWS::KMS::Key",
    .shape = &shape,
    .del = key_del,
    .replace_on = replace_on,
};
