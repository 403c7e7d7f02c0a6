/* Virtual MFA devices (RFC 6238 TOTP: HMAC-SHA1, 30 s steps, 6 digits). Kind "iam.mfa" in
 * the account, id = the lowercased device name: {"SerialNumber", "VirtualMFADeviceName",
 * "Path", "Seed" (the secret, base32), "CreateDate", "Tags", and once enabled "User" (name)
 * and "EnableDate"}. ferry packages no QR encoder: QRCodePNG is a minimal valid PNG. */
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "base/checked.h"
#include "base/clock.h"
#include "base/enc.h"
#include "iam_int.h"

#define WINDOW 2 /* steps either side of now a code may come from (clock skew) */

/* 1x1 grey PNG */
static const char png_b64[] = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgAB"
                              "SK+kcQAAAABJRU5ErkJggg==";

static void base32(const unsigned char *in, size_t n, char *out)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    size_t bits = 0, o = 0;
    unsigned acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) out[o++] = al[(acc >> (bits -= 5)) & 31];
    }
    if (bits) out[o++] = al[(acc << (5 - bits)) & 31];
    out[o] = 0;
}

static size_t unbase32(const char *in, unsigned char *out, size_t max)
{
    size_t bits = 0, o = 0;
    unsigned acc = 0;
    for (; *in && o < max; in++) {
        const char *p = strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", *in);
        if (!p || !*in) return 0;
        acc = (acc << 5) | (unsigned)(p - "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
        bits += 5;
        if (bits >= 8) out[o++] = (unsigned char)(acc >> (bits -= 8));
    }
    return o;
}

static unsigned totp(const unsigned char *key, size_t kl, long long step)
{
    unsigned char msg[8], md[20];
    unsigned int ml = 0;
    for (int i = 7; i >= 0; i--, step >>= 8) msg[i] = (unsigned char)step;
    if (!HMAC(EVP_sha1(), key, (int)kl, msg, 8, md, &ml) || ml != 20) return 1000000;
    int off = md[19] & 15;
    unsigned v = ((md[off] & 0x7fu) << 24) | (md[off + 1] << 16) | (md[off + 2] << 8) | md[off + 3];
    return v % 1000000;
}

/* 1 when codes[0..n-1] are n consecutive codes of the device, the first from near now. */
static int codes_match(const json_t *dev, const char *const *codes, int n)
{
    unsigned char key[64];
    size_t kl = unbase32(jstr(dev, "Seed") ? jstr(dev, "Seed") : "", key, sizeof(key));
    long long now = (long long)clock_now() / 30;
    for (int i = 0; i < n; i++)
        if (!codes[i]) return 0;
    for (long long s = now - WINDOW; kl && s <= now + WINDOW; s++) {
        int i = 0;
        for (char v[8]; i < n; i++) {
            snprintf(v, sizeof(v), "%06u", totp(key, kl, s + i));
            if (strcmp(v, codes[i])) break;
        }
        if (i == n) return 1;
    }
    return 0;
}

/* Two consecutive codes of the device near now (AWS's EnableMFADevice/ResyncMFADevice). */
static int check_codes(call *c, const json_t *dev, const char *c1, const char *c2)
{
    const char *codes[] = {c1, c2};
    if (codes_match(dev, codes, 2)) return 0;
    return ferr_set(c->err, 403, "InvalidAuthenticationCode",
                    "Authentication code for device is not valid.");
}

static const char *dev_name(const char *serial)
{
    const char *s = serial ? strrchr(serial, '/') : NULL;
    return s ? s + 1 : serial ? serial : "";
}

static int load_dev(call *c, const char *serial, json_t **d)
{
    store_key k = {"iam.mfa", c->account, IAMSVC_REGION, iamsvc_lower(c->a, dev_name(serial))};
    *d = NULL; /* store_get leaves it alone when there is no such device */
    int rc = store_get(c->txn, &k, d, c->err);
    if (rc < 0) return -1;
    if (rc && !strcmp(jstr(*d, "SerialNumber"), serial ? serial : "")) return 0;
    json_decref(*d);
    *d = NULL;
    return ferr_set(c->err, 404, "NoSuchEntity", "MFA Device with serial number %s does not exist.",
                    serial ? serial : "");
}

static int save_dev(call *c, const json_t *d)
{
    store_key k = {"iam.mfa", c->account, IAMSVC_REGION,
                   iamsvc_lower(c->a, jstr(d, "VirtualMFADeviceName"))};
    return store_put(c->txn, &k, d, c->err);
}

int iam_op_create_virtual_mfa_device(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "VirtualMFADeviceName"), *path = jstr(in, "Path");
    json_t *tags = json_object_get(in, "Tags");
    if (!path) path = "/";
    const char *serial = iamsvc_arn(c, c->account, "mfa", path, name);
    if (iamsvc_authorize(c, "iam:CreateVirtualMFADevice", serial)) return -1;
    if (tags && iamsvc_check_tags(c, tags, NULL)) return -1;
    unsigned char key[40];
    char seed[72];
    if (RAND_bytes(key, sizeof(key)) != 1) return ferr_internal(c->err, "no randomness");
    base32(key, sizeof(key), seed);
    json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:f, s:[]}", "SerialNumber", serial,
                          "VirtualMFADeviceName", name, "Path", path, "Seed", seed, "CreateDate",
                          (double)(long long)clock_now(), "Tags");
    if (!d || (tags && jtags_merge(d, tags))) {
        json_decref(d);
        return ferr_oom(c->err);
    }
    store_key k = {"iam.mfa", c->account, IAMSVC_REGION, iamsvc_lower(c->a, name)};
    int rc = store_insert(c->txn, &k, d, c->err);
    if (rc == 1)
        rc = ferr_set(c->err, 409, "EntityAlreadyExists",
                      "MFADevice entity at the same path and name already exists.");
    if (!rc) {
        json_t *v = json_pack("{s:s, s:s, s:s}", "SerialNumber", serial, "Base32StringSeed",
                              enc_b64(c->a, (const unsigned char *)seed, strlen(seed)), "QRCodePNG",
                              png_b64);
        if (v && json_array_size(tags) && json_object_set(v, "Tags", json_object_get(d, "Tags")))
            v = jdone(v, -1);
        *out = svc_out(c, json_pack("{s:o}", "VirtualMFADevice", v));
    }
    json_decref(d);
    return rc;
}

static json_t *user_dev_view(const json_t *d)
{
    return json_pack("{s:O, s:O, s:O}", "UserName", json_object_get(d, "User"), "SerialNumber",
                     json_object_get(d, "SerialNumber"), "EnableDate",
                     json_object_get(d, "EnableDate"));
}

/* verb: 0 enable, 1 deactivate, 2 resync, 3 get (into *out). */
static int mfa_op(call *c, json_t *in, const char *action, int verb, json_t **out)
{
    const char *uname;
    json_t *u, *d;
    if (iamsvc_user_name(c, in, &uname) || iamsvc_load_auth(c, &iamsvc_user_t, action, uname, &u))
        return -1;
    const char *user = arena_strdup(c->a, jstr(u, "UserName"));
    json_decref(u);
    if (load_dev(c, jstr(in, "SerialNumber"), &d)) return -1;
    const char *owner = jstr(d, "User");
    int rc = 0;
    if (verb == 0) { /* enable */
        if (owner)
            rc = ferr_set(c->err, 409, "EntityAlreadyExists", "MFA Device is already in use.");
        else if (!(rc = check_codes(c, d, jstr(in, "AuthenticationCode1"),
                                    jstr(in, "AuthenticationCode2"))))
            rc = jset_str(d, "User", user) ||
                         json_object_set_new(d, "EnableDate",
                                             json_real((double)(long long)clock_now()))
                     ? ferr_oom(c->err)
                     : save_dev(c, d);
    } else if (!owner || strcasecmp(owner, user)) {
        rc = ferr_set(c->err, 404, "NoSuchEntity",
                      "MFA Device with serial number %s does not exist.", jstr(d, "SerialNumber"));
    } else if (verb == 1) { /* deactivate */
        json_object_del(d, "User");
        json_object_del(d, "EnableDate");
        rc = save_dev(c, d);
    } else if (verb == 2) { /* resync */
        rc = check_codes(c, d, jstr(in, "AuthenticationCode1"), jstr(in, "AuthenticationCode2"));
    } else { /* get: Certifications only for FIDO devices, never a virtual one */
        *out = svc_out(c, user_dev_view(d));
        rc = *out ? 0 : -1;
    }
    call_resource(c, "AWS::IAM::User", user);
    json_decref(d);
    return rc;
}

int iam_op_enable_mfa_device(call *c, json_t *in, json_t **out)
{
    (void)out;
    return mfa_op(c, in, "iam:EnableMFADevice", 0, NULL);
}

int iam_op_deactivate_mfa_device(call *c, json_t *in, json_t **out)
{
    (void)out;
    return mfa_op(c, in, "iam:DeactivateMFADevice", 1, NULL);
}

int iam_op_resync_mfa_device(call *c, json_t *in, json_t **out)
{
    (void)out;
    return mfa_op(c, in, "iam:ResyncMFADevice", 2, NULL);
}

int iam_op_get_mfa_device(call *c, json_t *in, json_t **out)
{
    return mfa_op(c, in, "iam:GetMFADevice", 3, out);
}

int iam_op_delete_virtual_mfa_device(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *serial = jstr(in, "SerialNumber");
    json_t *d;
    if (iamsvc_authorize(c, "iam:DeleteVirtualMFADevice", serial ? serial : "*") ||
        load_dev(c, serial, &d))
        return -1;
    int rc = jstr(d, "User") ? ferr_set(c->err, 409, "DeleteConflict",
                                        "MFA VirtualDevice in use. Must deactivate first.")
                             : 0;
    store_key k = {"iam.mfa", c->account, IAMSVC_REGION,
                   iamsvc_lower(c->a, jstr(d, "VirtualMFADeviceName"))};
    if (!rc) rc = store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
    json_decref(d);
    return rc;
}

int iam_op_list_mfa_devices(call *c, json_t *in, json_t **out)
{
    const char *uname;
    json_t *u;
    if (iamsvc_user_name(c, in, &uname) ||
        iamsvc_load_auth(c, &iamsvc_user_t, "iam:ListMFADevices", uname, &u))
        return -1;
    json_t *all = iamsvc_list_all(c, "iam.mfa", c->account);
    int rc = all ? 0 : -1;
    for (size_t i = json_array_size(all); i-- > 0;) {
        json_t *d = json_array_get(all, i);
        const char *owner = jstr(d, "User");
        if (!owner || strcasecmp(owner, jstr(u, "UserName")))
            json_array_remove(all, i);
        else
            rc |= json_array_set_new(all, i, user_dev_view(d));
    }
    json_decref(u);
    if (!all) return -1;
    *out = svc_out(c, json_object());
    rc = rc ? ferr_oom(c->err) : iamsvc_page(c, all, in, *out, "MFADevices");
    json_decref(all);
    return rc;
}

int iam_op_list_virtual_mfa_devices(call *c, json_t *in, json_t **out)
{
    if (iamsvc_authorize(c, "iam:ListVirtualMFADevices", "*")) return -1;
    const char *want = jstr(in, "AssignmentStatus");
    json_t *all = iamsvc_list_all(c, "iam.mfa", c->account);
    if (!all) return -1;
    int rc = 0;
    for (size_t i = json_array_size(all); i-- > 0;) {
        json_t *d = json_array_get(all, i);
        int assigned = jstr(d, "User") != NULL;
        if (want && ((!strcmp(want, "Assigned") && !assigned) ||
                     (!strcmp(want, "Unassigned") && assigned))) {
            json_array_remove(all, i);
            continue;
        }
        json_t *v = json_pack("{s:O}", "SerialNumber", json_object_get(d, "SerialNumber"));
        json_t *user = NULL;
        if (v && assigned &&
            iamsvc_fetch(c->txn, &iamsvc_user_t, c->account, jstr(d, "User"), &user, c->err) == 1)
            rc |= json_object_set_new(v, "User",
                                      json_pack("{s:O, s:O, s:O, s:O, s:O}", "UserName",
                                                json_object_get(user, "UserName"), "UserId",
                                                json_object_get(user, "UserId"), "Arn",
                                                json_object_get(user, "Arn"), "Path",
                                                json_object_get(user, "Path"), "CreateDate",
                                                json_object_get(user, "CreateDate"))) |
                  json_object_set(v, "EnableDate", json_object_get(d, "EnableDate"));
        json_decref(user);
        rc |= json_array_set_new(all, i, v);
    }
    *out = svc_out(c, json_object());
    rc = rc ? ferr_oom(c->err) : iamsvc_page(c, all, in, *out, "VirtualMFADevices");
    json_decref(all);
    return rc;
}

static int load_tagged(call *c, const char *action, const json_t *in, json_t **d)
{
    const char *serial = jstr(in, "SerialNumber");
    return iamsvc_authorize(c, action, serial ? serial : "*") || load_dev(c, serial, d) ? -1 : 0;
}

int iam_op_tag_mfa_device(call *c, json_t *in, json_t **out)
{
    json_t *d;
    if (load_tagged(c, "iam:TagMFADevice", in, &d)) return -1;
    return iamsvc_tags_op(c, IAMSVC_TAG, d, in, out, save_dev);
}

int iam_op_untag_mfa_device(call *c, json_t *in, json_t **out)
{
    json_t *d;
    if (load_tagged(c, "iam:UntagMFADevice", in, &d)) return -1;
    return iamsvc_tags_op(c, IAMSVC_UNTAG, d, in, out, save_dev);
}

int iam_op_list_mfa_device_tags(call *c, json_t *in, json_t **out)
{
    json_t *d;
    if (load_tagged(c, "iam:ListMFADeviceTags", in, &d)) return -1;
    return iamsvc_tags_op(c, IAMSVC_LIST_TAGS, d, in, out, NULL);
}

/* ---- the second factor of STS sessions (GetSessionToken, AssumeRole) ---- */

int iamsvc_mfa_verify(call *c, const principal *who, const char *serial, const char *code)
{
    if (!serial || !code)
        return ferr_set(c->err, 403, "AccessDenied",
                        "MultiFactorAuthentication failed, must provide both MFA serial number "
                        "and one time pass code.");
    /* AWS: the device must be an enabled one of the calling IAM user */
    json_t *d = NULL;
    int rc = 0;
    if (who && who->kind == PRIN_USER) {
        store_key k = {"iam.mfa", who->account, IAMSVC_REGION,
                       iamsvc_lower(c->a, dev_name(serial))};
        rc = store_get(c->txn, &k, &d, c->err);
        if (rc < 0) return -1;
    }
    const char *owner = jstr(d, "User");
    if (!rc || strcmp(jstr(d, "SerialNumber"), serial) || !owner || strcasecmp(owner, who->name))
        rc = ferr_set(c->err, 403, "AccessDenied",
                      "MultiFactorAuthentication failed, unable to validate MFA code.  Please "
                      "verify your MFA serial number is valid and associated with this user.");
    else if (!codes_match(d, &code, 1))
        rc = ferr_set(c->err, 403, "AccessDenied",
                      "MultiFactorAuthentication failed with invalid MFA one time pass code. ");
    else
        rc = 0;
    json_decref(d);
    return rc;
}
