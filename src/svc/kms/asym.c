/* KMS asymmetric keys (OpenSSL EVP): RSA keys that encrypt (RSAES_OAEP_SHA_1/256) or sign
 * (RSASSA_PSS_* and RSASSA_PKCS1_V1_5_*), and ECC keys that sign (ECDSA_SHA_*). The private
 * key is the key's material (DER), wrapped under the master key like symmetric material;
 * the public key (DER SubjectPublicKeyInfo) is kept beside it in the key document. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <string.h>

#include "base/enc.h"
#include "kms_int.h"

typedef struct asym_spec {
    const char *spec;
    const char *curve; /* NULL for RSA */
    int bits;          /* RSA modulus */
    const char *ecdsa; /* the one signing algorithm of an ECC key */
} asym_spec;

static const asym_spec specs[] = {
    {"RSA_2048", NULL, 2048, NULL},
    {"RSA_3072", NULL, 3072, NULL},
    {"RSA_4096", NULL, 4096, NULL},
    {"ECC_NIST_P256", "P-256", 0, "ECDSA_SHA_256"},
    {"ECC_NIST_P384", "P-384", 0, "ECDSA_SHA_384"},
    {"ECC_NIST_P521", "P-521", 0, "ECDSA_SHA_512"},
    {"ECC_SECG_P256K1", "secp256k1", 0, "ECDSA_SHA_256"},
};

static const asym_spec *spec_of(const char *spec)
{
    for (size_t i = 0; spec && i < sizeof(specs) / sizeof(specs[0]); i++)
        if (!strcmp(specs[i].spec, spec)) return &specs[i];
    return NULL;
}

static const char *const rsa_sign_algs[] = {
    "RSASSA_PSS_SHA_256",        "RSASSA_PSS_SHA_384",        "RSASSA_PSS_SHA_512",
    "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"};
static const char *const rsa_enc_algs[] = {"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"};

int kms_asym_known(const char *spec)
{
    return spec_of(spec) != NULL;
}

int kms_asym_usage_ok(const char *spec, const char *usage)
{
    const asym_spec *s = spec_of(spec);
    if (!s) return 0;
    if (!strcmp(usage, "SIGN_VERIFY")) return 1;
    return !s->curve && !strcmp(usage, "ENCRYPT_DECRYPT");
}

json_t *kms_asym_algorithms(const char *spec, const char *usage, const char **member)
{
    const asym_spec *s = spec_of(spec);
    if (!s) return NULL;
    int sign = !strcmp(usage, "SIGN_VERIFY");
    *member = sign ? "SigningAlgorithms" : "EncryptionAlgorithms";
    if (s->curve) return json_pack("[s]", s->ecdsa);
    json_t *a = json_array();
    const char *const *list = sign ? rsa_sign_algs : rsa_enc_algs;
    size_t n = sign ? 6 : 2;
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(list[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

int kms_asym_generate(call *c, const char *spec, unsigned char **der, size_t *n,
                      const char **pub_b64)
{
    const asym_spec *s = spec_of(spec);
    if (!s) return ferr_internal(c->err, "unknown key spec %s", spec);
    EVP_PKEY *pk = s->curve ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", s->curve)
                            : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)s->bits);
    unsigned char *priv = NULL, *pub = NULL;
    int plen = pk ? i2d_PrivateKey(pk, &priv) : -1;
    int publen = pk ? i2d_PUBKEY(pk, &pub) : -1;
    EVP_PKEY_free(pk);
    int rc = -1;
    if (plen > 0 && publen > 0 && (size_t)plen <= KMS_MAX_MATERIAL) {
        *der = arena_alloc(c->a, (size_t)plen);
        *pub_b64 = enc_b64(c->a, pub, (size_t)publen);
        if (*der && *pub_b64) {
            memcpy(*der, priv, (size_t)plen);
            *n = (size_t)plen;
            rc = 0;
        }
    }
    if (priv) OPENSSL_clear_free(priv, plen > 0 ? (size_t)plen : 0);
    OPENSSL_free(pub);
    return rc ? ferr_internal(c->err, "cannot make a %s key", spec) : 0;
}

/* The key's private key (its current material). NULL with c->err set. */
static EVP_PKEY *private_key(call *c, const kms_key *k)
{
    const unsigned char *m;
    size_t n;
    if (kms_key_material(c, k, kms_key_gen(k), &m, &n)) return NULL;
    const unsigned char *p = m;
    EVP_PKEY *pk = d2i_AutoPrivateKey(NULL, &p, (long)n);
    OPENSSL_cleanse((void *)m, n);
    if (!pk) ferr_internal(c->err, "the private key of %s does not parse", k->arn);
    return pk;
}

static int asym_key(call *c, const kms_key *k, const char *usage)
{
    if (!spec_of(kms_key_spec(k)))
        return ferr_set(c->err, 400, "UnsupportedOperationException",
                        "%s key spec %s does not support this operation.", k->arn, kms_key_spec(k));
    return kms_key_for(c, k, usage);
}

static int alg_listed(const kms_key *k, const char *alg)
{
    const char *member;
    json_t *algs = kms_asym_algorithms(kms_key_spec(k), jstr(k->doc, "KeyUsage"), &member);
    size_t i;
    json_t *a;
    int found = 0;
    json_array_foreach(algs, i, a) found |= alg && !strcmp(json_string_value(a), alg);
    json_decref(algs);
    return found;
}

static int wrong_alg(call *c, const kms_key *k, const char *what, const char *alg)
{
    return ferr_set(c->err, 400, "InvalidKeyUsageException",
                    "%s is not a valid %s algorithm for %s (%s).", alg ? alg : "(none)", what,
                    k->arn, kms_key_spec(k));
}

/* ---- GetPublicKey ---- */

int kms_op_get_public_key(call *c, json_t *in, json_t **out)
{
    kms_key k;
    kms_use u = {NULL, json_object_get(in, "GrantTokens"), NULL};
    if (kms_key_open_use(c, jstr(in, "KeyId"), 1, "kms:GetPublicKey", &u, &k)) return -1;
    if (!strcmp(k.state, "PendingDeletion")) return kms_key_usable(c, &k);
    const char *spec = kms_key_spec(&k), *usage = jstr(k.doc, "KeyUsage"), *member = NULL;
    if (!spec_of(spec))
        return ferr_set(c->err, 400, "UnsupportedOperationException",
                        "%s key spec %s does not have a public key.", k.arn, spec);
    json_t *algs = kms_asym_algorithms(spec, usage, &member);
    *out = svc_out(c, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "KeyId", k.arn, "PublicKey",
                                jstr(k.doc, "PublicKey"), "CustomerMasterKeySpec", spec, "KeySpec",
                                spec, "KeyUsage", usage, member, algs));
    return 0;
}

/* ---- Sign and Verify ---- */

static const EVP_MD *alg_md(const char *alg)
{
    size_t n = strlen(alg);
    if (n > 4 && !strcmp(alg + n - 4, "_384")) return EVP_sha384();
    if (n > 4 && !strcmp(alg + n - 4, "_512")) return EVP_sha512();
    return EVP_sha256();
}

/* The key and the digest to sign or verify for in (Message, MessageType, SigningAlgorithm),
 * and a context for EVP_PKEY_sign/verify set up for the algorithm. */
typedef struct signing {
    kms_key k;
    EVP_PKEY *pk;
    EVP_PKEY_CTX *ctx;
    unsigned char dgst[EVP_MAX_MD_SIZE];
    unsigned dlen;
    const char *alg;
} signing;

static void signing_done(signing *s)
{
    EVP_PKEY_CTX_free(s->ctx);
    EVP_PKEY_free(s->pk);
}

static int signing_begin(call *c, json_t *in, const char *action, int sign, signing *s)
{
    memset(s, 0, sizeof(*s));
    const char *msg = jstr(in, "Message"), *type = jstr(in, "MessageType");
    s->alg = jstr(in, "SigningAlgorithm");
    size_t n = 0;
    unsigned char *bytes = kms_message(c, msg, &n);
    if (!bytes) return -1;
    kms_use u = {NULL, json_object_get(in, "GrantTokens"), NULL};
    if (kms_key_open_use(c, jstr(in, "KeyId"), 1, action, &u, &s->k) || kms_key_usable(c, &s->k) ||
        asym_key(c, &s->k, "SIGN_VERIFY"))
        return -1;
    if (!alg_listed(&s->k, s->alg)) return wrong_alg(c, &s->k, "signing", s->alg);
    const EVP_MD *md = alg_md(s->alg);
    if (type && !strcmp(type, "DIGEST")) {
        if (n != (size_t)EVP_MD_get_size(md))
            return kms_validation(c, "Digest is invalid length for algorithm %s.", s->alg);
        memcpy(s->dgst, bytes, n);
        s->dlen = (unsigned)n;
    } else if (!EVP_Digest(bytes, n, s->dgst, &s->dlen, md, NULL)) {
        return ferr_internal(c->err, "digest failed");
    }
    if (kms_dry_run(c, in)) return -1;
    s->pk = private_key(c, &s->k);
    if (!s->pk) return -1;
    s->ctx = EVP_PKEY_CTX_new(s->pk, NULL);
    int pss = !strncmp(s->alg, "RSASSA_PSS_", 11), rsa = !strncmp(s->alg, "RSASSA_", 7);
    /* AWS's PSS salt is as long as the digest */
    if (!s->ctx || (sign ? EVP_PKEY_sign_init(s->ctx) : EVP_PKEY_verify_init(s->ctx)) <= 0 ||
        EVP_PKEY_CTX_set_signature_md(s->ctx, md) <= 0 ||
        (rsa && EVP_PKEY_CTX_set_rsa_padding(s->ctx, pss ? RSA_PKCS1_PSS_PADDING
                                                         : RSA_PKCS1_PADDING) <= 0) ||
        (pss && EVP_PKEY_CTX_set_rsa_pss_saltlen(s->ctx, RSA_PSS_SALTLEN_DIGEST) <= 0))
        return ferr_internal(c->err, "cannot set up %s", s->alg);
    return 0;
}

int kms_op_sign(call *c, json_t *in, json_t **out)
{
    signing s;
    int rc = signing_begin(c, in, "kms:Sign", 1, &s);
    size_t len = 0;
    unsigned char *sig = NULL;
    if (!rc &&
        (EVP_PKEY_sign(s.ctx, NULL, &len, s.dgst, s.dlen) <= 0 || !(sig = arena_alloc(c->a, len)) ||
         EVP_PKEY_sign(s.ctx, sig, &len, s.dgst, s.dlen) <= 0))
        rc = ferr_internal(c->err, "signing failed");
    signing_done(&s);
    if (rc) return -1;
    const char *b64 = enc_b64(c->a, sig, len);
    if (!b64) return ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:s, s:s, s:s}", "KeyId", s.k.arn, "Signature", b64,
                                "SigningAlgorithm", s.alg));
    return 0;
}

int kms_op_verify(call *c, json_t *in, json_t **out)
{
    const char *sig64 = jstr(in, "Signature");
    size_t n = 0;
    unsigned char *sig = sig64 ? enc_unb64(c->a, sig64, strlen(sig64), &n) : NULL;
    if (!sig || !n) return kms_validation(c, "Signature is required");
    signing s;
    int rc = signing_begin(c, in, "kms:Verify", 0, &s);
    int ok = rc ? 0 : EVP_PKEY_verify(s.ctx, sig, n, s.dgst, s.dlen);
    signing_done(&s);
    if (rc) return -1;
    if (ok != 1)
        return ferr_set(c->err, 400, "KMSInvalidSignatureException", "%s",
                        "The signature is not valid.");
    *out = svc_out(c, json_pack("{s:s, s:b, s:s}", "KeyId", s.k.arn, "SignatureValid", 1,
                                "SigningAlgorithm", s.alg));
    return 0;
}

/* ---- RSA encryption ---- */

/* A context for EVP_PKEY_encrypt/decrypt with k's algorithm alg (checked), or NULL with
 * c->err. *pk to free with it. */
static EVP_PKEY_CTX *oaep(call *c, const kms_key *k, const char *alg, int enc, EVP_PKEY **pk)
{
    *pk = NULL;
    if (asym_key(c, k, "ENCRYPT_DECRYPT")) return NULL;
    if (!alg_listed(k, alg)) return wrong_alg(c, k, "encryption", alg), NULL;
    *pk = private_key(c, k);
    if (!*pk) return NULL;
    const EVP_MD *md = !strcmp(alg, "RSAES_OAEP_SHA_1") ? EVP_sha1() : EVP_sha256();
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(*pk, NULL);
    if (!ctx || (enc ? EVP_PKEY_encrypt_init(ctx) : EVP_PKEY_decrypt_init(ctx)) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) <= 0 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) <= 0) {
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(*pk);
        *pk = NULL;
        ferr_internal(c->err, "cannot set up %s", alg);
        return NULL;
    }
    return ctx;
}

int kms_asym_encrypt(call *c, const kms_key *k, const json_t *in, const unsigned char *pt, size_t n,
                     const char **b64)
{
    const char *alg = jstr(in, "EncryptionAlgorithm");
    if (json_object_size(json_object_get(in, "EncryptionContext")))
        return kms_validation(c, "%s",
                              "EncryptionContext is not supported with asymmetric KMS keys.");
    EVP_PKEY *pk;
    EVP_PKEY_CTX *ctx = oaep(c, k, alg, 1, &pk);
    if (!ctx) return -1;
    /* OAEP takes at most modulus - 2 * digest - 2 bytes */
    size_t hl = !strcmp(alg, "RSAES_OAEP_SHA_1") ? 20 : 32;
    size_t max = (size_t)EVP_PKEY_get_size(pk) - 2 * hl - 2, len = 0;
    unsigned char *ct = NULL;
    int rc = 0;
    if (n > max)
        rc = kms_validation(c, "Plaintext is too long for %s with %s: at most %zu bytes",
                            kms_key_spec(k), alg, max);
    else if (kms_dry_run(c, in))
        rc = -1;
    else if (EVP_PKEY_encrypt(ctx, NULL, &len, pt, n) <= 0 || !(ct = arena_alloc(c->a, len)) ||
             EVP_PKEY_encrypt(ctx, ct, &len, pt, n) <= 0)
        rc = ferr_internal(c->err, "encryption failed");
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pk);
    if (rc) return -1;
    *b64 = enc_b64(c->a, ct, len);
    return *b64 ? 0 : ferr_oom(c->err);
}

int kms_asym_decrypt(call *c, const kms_key *k, const json_t *in, unsigned char **pt, size_t *n)
{
    const char *s = jstr(in, "CiphertextBlob");
    size_t bl = 0;
    unsigned char *b = s ? enc_unb64(c->a, s, strlen(s), &bl) : NULL;
    EVP_PKEY *pk;
    EVP_PKEY_CTX *ctx = oaep(c, k, jstr(in, "EncryptionAlgorithm"), 0, &pk);
    if (!ctx) return -1;
    int rc = 0;
    *n = 0;
    if (kms_dry_run(c, in))
        rc = -1;
    else if (!b || EVP_PKEY_decrypt(ctx, NULL, n, b, bl) <= 0 || !(*pt = arena_alloc(c->a, *n)) ||
             EVP_PKEY_decrypt(ctx, *pt, n, b, bl) <= 0)
        rc = ferr_set(c->err, 400, "InvalidCiphertextException", "%s", "");
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pk);
    return rc;
}
