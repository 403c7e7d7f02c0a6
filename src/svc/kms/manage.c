/* KMS key management beside the key's state: its key policy, tags, rotation and
 * description. */
#include <string.h>

#include "kms_int.h"

/* ---- key policies: one per key, named "default" (AWS) ---- */

static int policy_name_check(call *c, const json_t *in)
{
    const char *name = jstr(in, "PolicyName");
    if (name && strcmp(name, "default"))
        return kms_not_found(c, arena_printf(c->a, "Policy '%s'", name));
    return 0;
}

int kms_op_get_key_policy(call *c, json_t *in, json_t **out)
{
    kms_key k;
    if (kms_key_open(c, jstr(in, "KeyId"), 0, "kms:GetKeyPolicy", &k) || policy_name_check(c, in))
        return -1;
    *out = svc_out(
        c, json_pack("{s:s, s:s}", "Policy", k.policy ? k.policy : "", "PolicyName", "default"));
    return 0;
}

int kms_op_put_key_policy(call *c, json_t *in, json_t **out)
{
    (void)out;
    kms_key k;
    const char *policy = jstr(in, "Policy");
    if (kms_key_open(c, jstr(in, "KeyId"), 0, "kms:PutKeyPolicy", &k) || policy_name_check(c, in) ||
        kms_policy_check(c, policy ? policy : "") ||
        kms_lockout_check(c, k.arn, k.account, policy, in))
        return -1;
    if (!strcmp(k.state, "PendingDeletion")) return kms_key_usable(c, &k);
    if (jset_str(k.doc, "Policy", policy)) return ferr_oom(c->err);
    return kms_key_save(c, &k);
}

int kms_op_list_key_policies(call *c, json_t *in, json_t **out)
{
    kms_key k;
    if (kms_key_open(c, jstr(in, "KeyId"), 0, "kms:ListKeyPolicies", &k)) return -1;
    *out = svc_out(c, json_pack("{s:[s], s:b}", "PolicyNames", "default", "Truncated", 0));
    return 0;
}

/* ---- tags ---- */

int kms_tags_check(call *c, const json_t *tags)
{
    size_t i;
    const json_t *t;
    json_array_foreach(tags, i, t) {
        const char *k = jstr(t, "TagKey");
        if (k && !strncmp(k, "aws:", 4))
            return ferr_set(c->err, 400, "TagException", "Tags beginning with aws: are reserved");
    }
    return 0;
}

int kms_op_tag_resource(call *c, json_t *in, json_t **out)
{
    (void)out;
    kms_key k;
    const json_t *tags = json_object_get(in, "Tags");
    if (kms_tags_check(c, tags) || kms_key_open(c, jstr(in, "KeyId"), 0, "kms:TagResource", &k))
        return -1;
    if (!strcmp(k.state, "PendingDeletion")) return kms_key_usable(c, &k);
    json_t *have = json_object_get(k.doc, "Tags");
    if (!json_is_array(have)) {
        have = json_array();
        if (json_object_set_new(k.doc, "Tags", have)) return ferr_oom(c->err);
    }
    size_t i, j;
    const json_t *t, *h;
    json_array_foreach(tags, i, t) {
        const char *key = jstr(t, "TagKey"), *val = jstr(t, "TagValue");
        int found = 0;
        json_array_foreach(have, j, h) {
            if (key && !strcmp(jstr(h, "TagKey") ? jstr(h, "TagKey") : "", key)) {
                if (jset_str((json_t *)h, "TagValue", val ? val : "")) return ferr_oom(c->err);
                found = 1;
            }
        }
        if (!found && json_array_append_new(have, json_pack("{s:s, s:s}", "TagKey", key ? key : "",
                                                            "TagValue", val ? val : "")))
            return ferr_oom(c->err);
    }
    if (json_array_size(have) > 50)
        return ferr_set(c->err, 400, "LimitExceededException",
                        "A KMS key can have at most 50 tags");
    return kms_key_save(c, &k);
}

int kms_op_untag_resource(call *c, json_t *in, json_t **out)
{
    (void)out;
    kms_key k;
    if (kms_key_open(c, jstr(in, "KeyId"), 0, "kms:UntagResource", &k)) return -1;
    if (!strcmp(k.state, "PendingDeletion")) return kms_key_usable(c, &k);
    json_t *have = json_object_get(k.doc, "Tags");
    const json_t *keys = json_object_get(in, "TagKeys");
    for (size_t j = json_array_size(have); j-- > 0;) {
        const char *tk = jstr(json_array_get(have, j), "TagKey");
        size_t i;
        const json_t *rk;
        json_array_foreach(keys, i, rk) {
            if (tk && json_is_string(rk) && !strcmp(tk, json_string_value(rk))) {
                if (json_array_remove(have, j)) return ferr_oom(c->err);
                break;
            }
        }
    }
    return kms_key_save(c, &k);
}

int kms_op_list_resource_tags(call *c, json_t *in, json_t **out)
{
    kms_key k;
    if (kms_key_open(c, jstr(in, "KeyId"), 0, "kms:ListResourceTags", &k)) return -1;
    json_t *o = json_object(), *tags = json_object_get(k.doc, "Tags");
    if (!o || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    if (svc_page(c, tags ? tags : json_object_get(o, "none"), jstr(in, "Marker"),
                 jint(in, "Limit", 50), o, "Tags", "NextMarker", "InvalidMarkerException"))
        return -1;
    if (json_object_set_new(o, "Truncated", json_boolean(json_object_get(o, "NextMarker"))))
        return ferr_oom(c->err);
    *out = svc_out(c, json_incref(o));
    return 0;
}

/* ---- rotation ---- */

/* AWS rotates symmetric encryption keys only */
static int rotatable(call *c, const kms_key *k)
{
    if (strcmp(kms_key_spec(k), "SYMMETRIC_DEFAULT"))
        return ferr_set(c->err, 400, "UnsupportedOperationException",
                        "%s key spec %s does not support rotation.", k->arn, kms_key_spec(k));
    return 0;
}

static int rotation_set(call *c, json_t *in, const char *action, int on)
{
    kms_key k;
    if (kms_key_open(c, jstr(in, "KeyId"), 0, action, &k) || kms_key_usable(c, &k) ||
        rotatable(c, &k))
        return -1;
    long long days = jint(in, "RotationPeriodInDays", 365);
    if (on && (days < 90 || days > 2560))
        return kms_validation(c,
                              "1 validation error detected: Value '%lld' at "
                              "'rotationPeriodInDays' failed to satisfy constraint: Member must "
                              "have value less than or equal to 2560 and greater than or equal "
                              "to 90",
                              days);
    if (json_object_set_new(k.doc, "RotationEnabled", json_boolean(on)) ||
        (on && json_object_set_new(k.doc, "RotationPeriodInDays", json_integer(days))))
        return ferr_oom(c->err);
    return kms_key_save(c, &k);
}

int kms_op_enable_key_rotation(call *c, json_t *in, json_t **out)
{
    (void)out;
    return rotation_set(c, in, "kms:EnableKeyRotation", 1);
}

int kms_op_disable_key_rotation(call *c, json_t *in, json_t **out)
{
    (void)out;
    return rotation_set(c, in, "kms:DisableKeyRotation", 0);
}

int kms_op_get_key_rotation_status(call *c, json_t *in, json_t **out)
{
    kms_key k;
    if (kms_key_open(c, jstr(in, "KeyId"), 0, "kms:GetKeyRotationStatus", &k)) return -1;
    int on = jbool(k.doc, "RotationEnabled", 0);
    json_t *o = json_pack("{s:b, s:s}", "KeyRotationEnabled", on, "KeyId", k.id);
    if (o && on &&
        json_object_set_new(o, "RotationPeriodInDays",
                            json_integer(jint(k.doc, "RotationPeriodInDays", 365)))) {
        json_decref(o);
        o = NULL;
    }
    *out = svc_out(c, o);
    return 0;
}

/* New material now; ciphertexts made before keep decrypting under theirs (the blob says
 * which). */
int kms_op_rotate_key_on_demand(call *c, json_t *in, json_t **out)
{
    kms_key k;
    if (kms_key_open(c, jstr(in, "KeyId"), 0, "kms:RotateKeyOnDemand", &k) ||
        kms_key_usable(c, &k) || rotatable(c, &k) || kms_key_add_material(c, k.doc, k.arn) ||
        kms_key_save(c, &k))
        return -1;
    *out = svc_out(c, json_pack("{s:s}", "KeyId", k.id));
    return 0;
}

int kms_op_update_key_description(call *c, json_t *in, json_t **out)
{
    (void)out;
    kms_key k;
    const char *d = jstr(in, "Description");
    if (kms_key_open(c, jstr(in, "KeyId"), 0, "kms:UpdateKeyDescription", &k)) return -1;
    if (!strcmp(k.state, "PendingDeletion")) return kms_key_usable(c, &k);
    if (jset_str(k.doc, "Description", d ? d : "")) return ferr_oom(c->err);
    return kms_key_save(c, &k);
}
