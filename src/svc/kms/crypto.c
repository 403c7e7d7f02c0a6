/* KMS cryptographic operations with symmetric keys: AES-256-GCM blobs (blob.h) under the
 * key's current material, the encryption context bound as AAD. */
#include <openssl/crypto.h>
#include <string.h>

#include "base/arn.h"
#include "base/enc.h"
#include "base/ids.h"
#include "kms_int.h"

static int invalid_ciphertext(call *c)
{
    /* AWS says nothing more: a tampered blob, a foreign one and a wrong context look alike */
    return ferr_set(c->err, 400, "InvalidCiphertextException", "%s", "");
}

static int algorithm_check(call *c, const json_t *in, const char *member)
{
    const char *alg = jstr(in, member);
    if (alg && strcmp(alg, "SYMMETRIC_DEFAULT"))
        return ferr_set(c->err, 400, "InvalidKeyUsageException",
                        "%s is not a valid encryption algorithm for a symmetric key.", alg);
    return 0;
}

/* Symmetric cryptography (alg) needs a symmetric key: InvalidKeyUsageException. */
static int symmetric(call *c, const kms_key *k, const char *alg)
{
    if (!strcmp(kms_key_spec(k), "SYMMETRIC_DEFAULT")) return 0;
    return ferr_set(c->err, 400, "InvalidKeyUsageException",
                    "%s is not a valid encryption algorithm for %s (%s).", alg, k->arn,
                    kms_key_spec(k));
}

/* Base64 member -> bytes (the codec hands blobs as base64). */
static unsigned char *blob_in(call *c, const json_t *in, const char *member, size_t *n)
{
    const char *s = jstr(in, member);
    *n = 0;
    return s ? enc_unb64(c->a, s, strlen(s), n) : NULL;
}

static int context_of(call *c, const json_t *in, const char *member, const unsigned char **ctx,
                      size_t *len)
{
    *ctx = kmsblob_context(c->a, json_object_get(in, member), len);
    return *ctx ? 0 : ferr_oom(c->err);
}

/* Seals pt under k (usable) with context member ctx_member of in: *b64 the blob. */
static int seal(call *c, const kms_key *k, const json_t *in, const char *ctx_member,
                const unsigned char *pt, size_t n, const char **b64)
{
    const unsigned char *ctx, *m;
    size_t ctxlen, outlen;
    unsigned char *blob;
    kmsblob_hdr h = {.gen = kms_key_gen(k)};
    memcpy(h.account, k->account, 13);
    memcpy(h.key_id, k->id, 37);
    if (strlen(k->account) != 12 || strlen(k->id) != 36) return ferr_internal(c->err, "bad key");
    size_t mlen;
    if (kms_key_for(c, k, "ENCRYPT_DECRYPT") || symmetric(c, k, "SYMMETRIC_DEFAULT") ||
        kms_dry_run(c, in) || context_of(c, in, ctx_member, &ctx, &ctxlen) ||
        kms_key_material(c, k, h.gen, &m, &mlen))
        return -1;
    if (mlen != KMSBLOB_KEYLEN) return ferr_internal(c->err, "bad key material");
    if (kmsblob_seal(c->a, m, &h, ctx, ctxlen, pt, n, &blob, &outlen))
        return ferr_internal(c->err, "encryption failed");
    *b64 = enc_b64(c->a, blob, outlen);
    return *b64 ? 0 : ferr_oom(c->err);
}

/* Opens in's blob (member blob_member) with context ctx_member: the key it names, authorized
 * for action, must be key_member's when that is given (IncorrectKeyException). */
static int open_blob(call *c, const json_t *in, const char *blob_member, const char *ctx_member,
                     const char *key_member, const char *action, kms_key *k, unsigned char **pt,
                     size_t *ptlen)
{
    size_t n;
    unsigned char *b = blob_in(c, in, blob_member, &n);
    kmsblob_hdr h;
    if (!b || kmsblob_parse(b, n, &h)) return invalid_ciphertext(c);
    const char *want = jstr(in, key_member);
    kms_use u = {json_object_get(in, ctx_member), json_object_get(in, "GrantTokens"), NULL};
    if (kms_grant_tokens_check(c, u.tokens)) return -1;
    if (want) {
        kms_key named;
        if (kms_key_open_use(c, want, 1, action, &u, &named) ||
            symmetric(c, &named, "SYMMETRIC_DEFAULT"))
            return -1;
        if (strcmp(named.account, h.account) || strcmp(named.id, h.key_id))
            return ferr_set(c->err, 400, "IncorrectKeyException",
                            "The key ID in the request does not identify a CMK that can perform "
                            "this operation.");
    }
    const char *arn = arena_printf(c->a, "arn:%s:kms:%s:%s:key/%s", arn_partition(c->region),
                                   c->region, h.account, h.key_id);
    if (!arn) return ferr_oom(c->err);
    int rc = kms_key_load(c, h.account, h.key_id, k);
    if (rc < 0) return -1;
    /* a blob of a key that is not here (another installation, region, or deleted) */
    if (!rc) return invalid_ciphertext(c);
    call_resource(c, "AWS::KMS::Key", k->arn);
    if (kms_key_authorize_use(c, k, action, &u) || kms_key_usable(c, k)) return -1;
    const unsigned char *ctx, *m;
    size_t ctxlen;
    if (context_of(c, in, ctx_member, &ctx, &ctxlen)) return -1;
    if (h.gen > kms_key_gen(k)) return invalid_ciphertext(c);
    size_t mlen;
    /* ReEncrypt's dry run answers once its destination is checked too (seal) */
    if (kms_key_for(c, k, "ENCRYPT_DECRYPT") ||
        (strcmp(c->op, "ReEncrypt") && kms_dry_run(c, in)) ||
        kms_key_material(c, k, h.gen, &m, &mlen))
        return -1;
    if (mlen != KMSBLOB_KEYLEN) return invalid_ciphertext(c);
    if (kmsblob_open(c->a, m, b, n, ctx, ctxlen, pt, ptlen)) return invalid_ciphertext(c);
    return 0;
}

int kms_op_encrypt(call *c, json_t *in, json_t **out)
{
    size_t n;
    unsigned char *pt = blob_in(c, in, "Plaintext", &n);
    if (!pt || n < 1 || n > KMS_MAX_PLAINTEXT)
        return kms_validation(c, "1 validation error detected: Value at 'plaintext' failed to "
                                 "satisfy constraint: Member must have length less than or "
                                 "equal to 4096 and greater than or equal to 1");
    kms_key k;
    const char *blob;
    kms_use u = {json_object_get(in, "EncryptionContext"), json_object_get(in, "GrantTokens"),
                 NULL};
    if (kms_key_open_use(c, jstr(in, "KeyId"), 1, "kms:Encrypt", &u, &k) || kms_key_usable(c, &k))
        return -1;
    /* an RSA key: the algorithm decides; a symmetric key takes SYMMETRIC_DEFAULT only */
    int asym = kms_asym_known(kms_key_spec(&k));
    if (asym ? kms_asym_encrypt(c, &k, in, pt, n, &blob)
             : algorithm_check(c, in, "EncryptionAlgorithm") ||
                   seal(c, &k, in, "EncryptionContext", pt, n, &blob))
        return -1;
    *out = svc_out(c, json_pack("{s:s, s:s, s:s}", "CiphertextBlob", blob, "KeyId", k.arn,
                                "EncryptionAlgorithm",
                                asym ? jstr(in, "EncryptionAlgorithm") : "SYMMETRIC_DEFAULT"));
    return 0;
}

/* Decrypt with an RSA key, which the request must name (its ciphertext does not). */
static int decrypt_asym(call *c, json_t *in, kms_key *k, unsigned char **pt, size_t *n)
{
    kms_use u = {NULL, json_object_get(in, "GrantTokens"), NULL};
    if (kms_key_open_use(c, jstr(in, "KeyId"), 1, "kms:Decrypt", &u, k) || kms_key_usable(c, k))
        return -1;
    if (!kms_asym_known(kms_key_spec(k))) return algorithm_check(c, in, "EncryptionAlgorithm");
    return kms_asym_decrypt(c, k, in, pt, n);
}

int kms_op_decrypt(call *c, json_t *in, json_t **out)
{
    kms_key k;
    unsigned char *pt;
    size_t n;
    const char *alg = jstr(in, "EncryptionAlgorithm");
    int asym = alg && strcmp(alg, "SYMMETRIC_DEFAULT") && jstr(in, "KeyId");
    if (asym ? decrypt_asym(c, in, &k, &pt, &n)
             : algorithm_check(c, in, "EncryptionAlgorithm") ||
                   open_blob(c, in, "CiphertextBlob", "EncryptionContext", "KeyId", "kms:Decrypt",
                             &k, &pt, &n))
        return -1;
    const char *b64 = enc_b64(c->a, pt, n);
    OPENSSL_cleanse(pt, n);
    if (!b64) return ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:s, s:s, s:s}", "KeyId", k.arn, "Plaintext", b64,
                                "EncryptionAlgorithm", asym ? alg : "SYMMETRIC_DEFAULT"));
    return 0;
}

int kms_op_re_encrypt(call *c, json_t *in, json_t **out)
{
    if (algorithm_check(c, in, "SourceEncryptionAlgorithm") ||
        algorithm_check(c, in, "DestinationEncryptionAlgorithm"))
        return -1;
    kms_key src, dst;
    unsigned char *pt;
    size_t n;
    const char *blob;
    if (open_blob(c, in, "CiphertextBlob", "SourceEncryptionContext", "SourceKeyId",
                  "kms:ReEncryptFrom", &src, &pt, &n))
        return -1;
    kms_use u = {json_object_get(in, "DestinationEncryptionContext"), NULL, NULL};
    int rc = kms_key_open_use(c, jstr(in, "DestinationKeyId"), 1, "kms:ReEncryptTo", &u, &dst) ||
             kms_key_usable(c, &dst) ||
             seal(c, &dst, in, "DestinationEncryptionContext", pt, n, &blob);
    OPENSSL_cleanse(pt, n);
    if (rc) return -1;
    *out = svc_out(c, json_pack("{s:s, s:s, s:s, s:s, s:s}", "CiphertextBlob", blob, "SourceKeyId",
                                src.arn, "KeyId", dst.arn, "SourceEncryptionAlgorithm",
                                "SYMMETRIC_DEFAULT", "DestinationEncryptionAlgorithm",
                                "SYMMETRIC_DEFAULT"));
    return 0;
}

/* AWS: NumberOfBytes of GenerateDataKey and GenerateRandom is 1..1024 */
static int bytes_invalid(call *c, long long n)
{
    return kms_validation(c,
                          "1 validation error detected: Value '%lld' at 'numberOfBytes' failed to "
                          "satisfy constraint: Member must have value less than or equal to 1024 "
                          "and greater than or equal to 1",
                          n);
}

static int data_key(call *c, json_t *in, int with_plaintext, json_t **out)
{
    const char *spec = jstr(in, "KeySpec");
    json_t *nb = json_object_get(in, "NumberOfBytes");
    if (spec && nb) return kms_validation(c, "Please specify either number of bytes or key spec.");
    if (!spec && !nb)
        return kms_validation(c, "Please specify either number of bytes or key spec.");
    long long n = spec ? (!strcmp(spec, "AES_128") ? 16 : 32) : json_integer_value(nb);
    if (n < 1 || n > 1024) return bytes_invalid(c, n);
    kms_key k;
    const char *blob;
    unsigned char pt[1024];
    ids_random(pt, (size_t)n);
    const char *action =
        with_plaintext ? "kms:GenerateDataKey" : "kms:GenerateDataKeyWithoutPlaintext";
    kms_use u = {json_object_get(in, "EncryptionContext"), json_object_get(in, "GrantTokens"),
                 NULL};
    int rc = kms_key_open_use(c, jstr(in, "KeyId"), 1, action, &u, &k) || kms_key_usable(c, &k) ||
             seal(c, &k, in, "EncryptionContext", pt, (size_t)n, &blob);
    const char *b64 = rc || !with_plaintext ? NULL : enc_b64(c->a, pt, (size_t)n);
    OPENSSL_cleanse(pt, sizeof(pt));
    if (rc) return -1;
    if (with_plaintext && !b64) return ferr_oom(c->err);
    *out = svc_out(
        c, json_pack("{s:s, s:s, s:s*}", "CiphertextBlob", blob, "KeyId", k.arn, "Plaintext", b64));
    return 0;
}

int kms_op_generate_data_key(call *c, json_t *in, json_t **out)
{
    return data_key(c, in, 1, out);
}

int kms_op_generate_data_key_without_plaintext(call *c, json_t *in, json_t **out)
{
    return data_key(c, in, 0, out);
}

int kms_op_generate_random(call *c, json_t *in, json_t **out)
{
    json_t *nb = json_object_get(in, "NumberOfBytes");
    long long n = nb ? json_integer_value(nb) : 0;
    if (n < 1 || n > 1024) return bytes_invalid(c, n);
    if (jstr(in, "CustomKeyStoreId"))
        return ferr_set(c->err, 400, "CustomKeyStoreNotFoundException",
                        "ferry has no custom key stores");
    if (call_authorize(c, "kms:GenerateRandom", "*")) return -1;
    unsigned char r[1024];
    ids_random(r, (size_t)n);
    const char *b64 = enc_b64(c->a, r, (size_t)n);
    if (!b64) return ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:s}", "Plaintext", b64));
    return 0;
}
