/* How every operation reaches a secret (SecretId as a name, a full ARN or a partial ARN ->
 * load -> authorize with the secret's resource policy), and the KMS envelope of its values:
 * each version's value is sealed (AES-256-GCM) under a data key that KMS generates for the
 * caller with the encryption context {"SecretARN", "SecretVersionId"}, as AWS does. Only the
 * data key's KMS ciphertext is kept, so reading a value needs kms:Decrypt on the key. */
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/arn.h"
#include "base/keyfile.h"
#include "base/clock.h"
#include "base/enc.h"
#include "iam/policy.h"
#include "secretsmanager_int.h"

int sm_invalid_param(call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ferr_vset(c->err, 400, "InvalidParameterException", "", fmt, ap);
    va_end(ap);
    return -1;
}

int sm_invalid_request(call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ferr_vset(c->err, 400, "InvalidRequestException", "", fmt, ap);
    va_end(ap);
    return -1;
}

int sm_not_found(call *c)
{
    return ferr_set(c->err, 400, "ResourceNotFoundException",
                    "Secrets Manager can't find the specified secret.");
}

int sm_deleted(const sm_secret *s)
{
    return json_object_get(s->doc, "DeletionDate") != NULL;
}

/* Loads account's secret name: 1 found, 0 not (or its recovery window is over: AWS deleted
 * it then, and the first writer to see it does), -1 error. */
static int load(call *c, const char *account, const char *name, sm_secret *s)
{
    store_key sk = {SM_KIND, account, c->region, name};
    json_t *doc = NULL;
    int rc = store_get(c->txn, &sk, &doc, c->err);
    if (rc != 1) return rc;
    if (!arena_defer_json(c->a, doc)) return ferr_oom(c->err);
    json_t *when = json_object_get(doc, "DeletionDate");
    if (json_is_number(when) && json_number_value(when) <= clock_now()) {
        if (store_txn_is_write(c->txn) && store_del(c->txn, &sk, c->err) < 0) return -1;
        return 0;
    }
    s->doc = doc;
    s->account = arena_strdup(c->a, account);
    s->name = jstr(doc, "Name");
    s->arn = jstr(doc, "ARN");
    return s->account && s->name && s->arn ? 1 : ferr_oom(c->err);
}

int sm_load(call *c, const char *account, const char *name, sm_secret *s)
{
    memset(s, 0, sizeof(*s));
    return name ? load(c, account, name, s) : 0;
}

int sm_save(call *c, const sm_secret *s)
{
    store_key sk = {SM_KIND, s->account, c->region, s->name};
    return store_put(c->txn, &sk, s->doc, c->err);
}

/* arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:REST in the call's region: 0 with
 * *account and *rest, or -1. */
static int split_arn(call *c, const char *arn, const char **account, const char **rest)
{
    const char *p = strchr(arn + 4, ':');
    size_t rl = strlen(c->region);
    if (!p || strncmp(p, ":secretsmanager:", 16)) return -1;
    p += 16;
    if (strncmp(p, c->region, rl) || p[rl] != ':') return -1;
    p += rl + 1;
    if (strspn(p, "0123456789") != 12 || strncmp(p + 12, ":secret:", 8) || !p[20]) return -1;
    *account = arena_strndup(c->a, p, 12);
    *rest = p + 20;
    return *account ? 0 : -1;
}

/* Finds id: 1 with s, 0 not found (*account, *name: what it would be), -1 error. */
static int find(call *c, const char *id, sm_secret *s, const char **account, const char **name)
{
    *account = c->account;
    *name = id;
    if (strncmp(id, "arn:", 4)) return load(c, c->account, id, s);
    const char *rest;
    if (split_arn(c, id, account, &rest)) return 0;
    *name = rest;
    size_t n = strlen(rest);
    /* a full ARN ends in -XXXXXX (AWS: a name that itself ends so is read as a full ARN
     * first) */
    if (n > 7 && rest[n - 7] == '-') {
        const char *base = arena_strndup(c->a, rest, n - 7);
        if (!base) return ferr_oom(c->err);
        int rc = load(c, *account, base, s);
        if (rc < 0) return -1;
        if (rc && !strcmp(s->arn, id)) return 1;
    }
    return load(c, *account, rest, s);
}

/* The condition keys a secret brings: its ARN (secretsmanager:SecretId) and its tags
 * (aws:ResourceTag/K and secretsmanager:ResourceTag/K), for tag-based policies. */
static json_t *resource_context(const sm_secret *s)
{
    json_t *ctx = json_pack("{s:s}", "secretsmanager:SecretId", s->arn);
    size_t i;
    json_t *t;
    int rc = !ctx;
    json_array_foreach(json_object_get(s->doc, "Tags"), i, t) {
        const char *k = jstr(t, "Key"), *v = jstr(t, "Value");
        char key[192];
        if (rc || !k || !v || strlen(k) > 128) continue;
        snprintf(key, sizeof(key), "aws:ResourceTag/%s", k);
        rc = json_object_set_new(ctx, key, json_string(v));
        snprintf(key, sizeof(key), "secretsmanager:ResourceTag/%s", k);
        rc = rc || json_object_set_new(ctx, key, json_string(v));
    }
    return jdone(ctx, rc);
}

int sm_open(call *c, const char *secret_id, const char *action, int live, sm_secret *s)
{
    memset(s, 0, sizeof(*s));
    const char *account, *name;
    int rc = find(c, secret_id ? secret_id : "", s, &account, &name);
    if (rc < 0) return -1;
    if (!rc) {
        /* who may not act on it does not learn whether it exists */
        const char *arn = arena_printf(c->a, "arn:%s:secretsmanager:%s:%s:secret:%s",
                                       arn_partition(c->region), c->region, account, name);
        authz_req r = {.action = action, .resource = arn, .resource_account = account};
        return call_authorize_ex(c, &r) ? -1 : sm_not_found(c);
    }
    call_resource(c, "AWS::SecretsManager::Secret", s->arn);
    json_t *ctx = resource_context(s);
    if (!ctx || !arena_defer_json(c->a, ctx)) return ferr_oom(c->err);
    authz_req r = {.action = action,
                   .resource = s->arn,
                   .resource_account = s->account,
                   .resource_policy = jstr(s->doc, "ResourcePolicy"),
                   .context = ctx};
    if (call_authorize_ex(c, &r)) return -1;
    if (live && sm_deleted(s))
        return sm_invalid_request(c, "You can't perform this operation on the secret because it "
                                     "was marked for deletion.");
    return 0;
}

/* ---- the KMS envelope ---- */

/* KMS GenerateDataKey KeySpec AES_256: 32 bytes */
#define DATA_KEY 32

static json_t *kms_context(const sm_secret *s, const char *vid)
{
    return json_pack("{s:s, s:s}", "SecretARN", s->arn, "SecretVersionId", vid);
}

/* What the value's own seal authenticates besides its bytes. */
static const char *aad(call *c, const sm_secret *s, const char *vid)
{
    return arena_printf(c->a, "%s\n%s", s->arn, vid);
}

/* Calls KMS op as the caller, with kms:ViaService (AWS managed keys and key policies that
 * name the service check it). A refusal is Secrets Manager's AccessDeniedException; a key
 * that cannot be used is failure (EncryptionFailure / DecryptionFailure). */
static int kms_call(call *c, const char *op, json_t *in, json_t **out, const char *failure,
                    const char *what)
{
    json_t *via = json_pack("{s:s}", "kms:ViaService",
                            arena_printf(c->a, "secretsmanager.%s.amazonaws.com", c->region));
    ferr e = {0};
    int rc = !in || !via ? ferr_oom(c->err)
                         : svc_invoke_in(c->txn, c->a, c->env, c->who, c->region, "kms", op, in,
                                         out, via, &e);
    json_decref(in);
    json_decref(via);
    if (!rc || ferr_isset(c->err)) return rc;
    if (!strcmp(e.code, "AccessDenied") || !strcmp(e.code, "AccessDeniedException"))
        return ferr_set(c->err, 400, "AccessDeniedException", "Access to KMS is not allowed");
    if (e.status >= 500) {
        *c->err = e;
        return -1;
    }
    return ferr_set(c->err, 400, failure,
                    "Secrets Manager can't %s the protected secret text using the provided KMS "
                    "key. Check that the KMS key is available, enabled, and not in an invalid "
                    "state. (%s: %s)",
                    what, e.code, e.message);
}

int sm_seal(call *c, const sm_secret *s, const char *vid, const unsigned char *value, size_t n,
            json_t *v)
{
    const char *key = jstr(s->doc, "KmsKeyId");
    json_t *out = NULL, *ctx = kms_context(s, vid);
    /* (ctx checked first: "o*" would leave a NULL context out and seal without it) */
    if (!ctx) return ferr_oom(c->err);
    if (kms_call(c, "GenerateDataKey",
                 json_pack("{s:s, s:s, s:o}", "KeyId", key ? key : "alias/aws/secretsmanager",
                           "KeySpec", "AES_256", "EncryptionContext", ctx),
                 &out, "EncryptionFailure", "encrypt"))
        return -1;
    const char *pt = jstr(out, "Plaintext"), *blob = jstr(out, "CiphertextBlob");
    size_t klen = 0;
    unsigned char *dk = pt ? enc_unb64(c->a, pt, strlen(pt), &klen) : NULL;
    unsigned char *sealed = arena_alloc(c->a, n + KEYFILE_AEAD);
    const char *a = aad(c, s, vid);
    int rc = -1;
    if (!dk || klen != DATA_KEY || !blob || !sealed || !a)
        ferr_internal(c->err, "KMS gave no data key");
    else if (keyfile_seal(dk, a, strlen(a), value, n, sealed))
        ferr_internal(c->err, "cannot seal the secret value");
    else {
        char *b = enc_b64(c->a, sealed, n + KEYFILE_AEAD);
        /* AWS lists versions under the default key as "DefaultEncryptionKey" */
        rc = !b || jset_str(v, "Value", b) || jset_str(v, "DataKey", blob) ||
                     jset_str(v, "KmsKeyArn", key ? jstr(out, "KeyId") : "DefaultEncryptionKey")
                 ? ferr_oom(c->err)
                 : 0;
    }
    if (dk) OPENSSL_cleanse(dk, klen);
    json_decref(out);
    return rc;
}

int sm_open_value(call *c, const sm_secret *s, const char *vid, const json_t *v,
                  unsigned char **value, size_t *n)
{
    const char *blob = jstr(v, "DataKey"), *sealed_b64 = jstr(v, "Value");
    if (!blob || !sealed_b64) return ferr_internal(c->err, "version %s has no value", vid);
    json_t *out = NULL, *ctx = kms_context(s, vid);
    if (!ctx) return ferr_oom(c->err);
    if (kms_call(c, "Decrypt",
                 json_pack("{s:s, s:o}", "CiphertextBlob", blob, "EncryptionContext", ctx), &out,
                 "DecryptionFailure", "decrypt"))
        return -1;
    const char *pt = jstr(out, "Plaintext");
    size_t klen = 0, slen = 0;
    unsigned char *dk = pt ? enc_unb64(c->a, pt, strlen(pt), &klen) : NULL;
    unsigned char *sealed = enc_unb64(c->a, sealed_b64, strlen(sealed_b64), &slen);
    unsigned char *plain = sealed && slen >= KEYFILE_AEAD ? arena_alloc(c->a, slen + 1) : NULL;
    const char *a = aad(c, s, vid);
    int rc = -1;
    if (!dk || klen != DATA_KEY || !plain || !a)
        ferr_internal(c->err, "the value of version %s cannot be read", vid);
    else if (keyfile_open(dk, a, strlen(a), sealed, slen, plain))
        ferr_set(c->err, 400, "DecryptionFailure",
                 "Secrets Manager can't decrypt the protected secret text using the provided KMS "
                 "key.");
    else {
        *value = plain;
        *n = slen - KEYFILE_AEAD;
        rc = 0;
    }
    if (dk) OPENSSL_cleanse(dk, klen);
    json_decref(out);
    return rc;
}

/* ---- resource policies ---- */

int sm_policy_check(call *c, const char *policy)
{
    ferr pe = {0};
    iam_policy *p = iam_policy_parse(policy, strlen(policy), IAM_KIND_RESOURCE, &pe);
    if (!p) return ferr_set(c->err, 400, "MalformedPolicyDocumentException", "%s", pe.message);
    iam_policy_free(p);
    return 0;
}

static int is_everyone(const json_t *p)
{
    if (json_is_string(p)) return !strcmp(json_string_value(p), "*");
    if (json_is_array(p)) {
        size_t i;
        json_t *x;
        json_array_foreach(p, i, x) {
            if (is_everyone(x)) return 1;
        }
        return 0;
    }
    return json_is_object(p) && is_everyone(json_object_get(p, "AWS"));
}

int sm_policy_public(const char *policy)
{
    json_t *doc = json_loads(policy, 0, NULL);
    json_t *st = json_object_get(doc, "Statement");
    int pub = 0;
    /* Statement may be one statement or a list of them */
    json_t *list = json_is_array(st) ? json_incref(st) : st ? json_pack("[O]", st) : NULL;
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s) {
        const char *effect = jstr(s, "Effect");
        if (effect && !strcmp(effect, "Allow") && !json_object_get(s, "Condition") &&
            is_everyone(json_object_get(s, "Principal")))
            pub = 1;
    }
    json_decref(list);
    json_decref(doc);
    return pub;
}
