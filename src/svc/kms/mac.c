/* KMS HMAC keys: GenerateMac and VerifyMac (OpenSSL HMAC) with the key's material, which
 * never leaves the server. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "base/enc.h"
#include "kms_int.h"

/* The key (usable, an HMAC key whose algorithm is MacAlgorithm) and in's Message: the MAC
 * into out (*outlen bytes). */
static int mac_of(call *c, const json_t *in, const char *action, kms_key *k, unsigned char *out,
                  unsigned *outlen)
{
    const char *msg = jstr(in, "Message"), *alg = jstr(in, "MacAlgorithm");
    size_t n = 0;
    unsigned char *bytes = kms_message(c, msg, &n);
    if (!bytes) return -1;
    kms_use u = {NULL, json_object_get(in, "GrantTokens"), NULL};
    if (kms_key_open_use(c, jstr(in, "KeyId"), 1, action, &u, k) || kms_key_usable(c, k) ||
        kms_key_for(c, k, "GENERATE_VERIFY_MAC"))
        return -1;
    const char *want = kms_mac_algorithm(kms_key_spec(k));
    if (!alg || strcmp(alg, want))
        return ferr_set(c->err, 400, "InvalidKeyUsageException",
                        "%s is not a valid MAC algorithm for %s, which supports %s.",
                        alg ? alg : "(none)", k->arn, want);
    const EVP_MD *md = !strcmp(want, "HMAC_SHA_224")   ? EVP_sha224()
                       : !strcmp(want, "HMAC_SHA_384") ? EVP_sha384()
                       : !strcmp(want, "HMAC_SHA_512") ? EVP_sha512()
                                                       : EVP_sha256();
    const unsigned char *m;
    size_t mlen;
    if (kms_dry_run(c, in) || kms_key_material(c, k, kms_key_gen(k), &m, &mlen)) return -1;
    if (!HMAC(md, m, (int)mlen, bytes, n, out, outlen)) return ferr_internal(c->err, "HMAC failed");
    return 0;
}

int kms_op_generate_mac(call *c, json_t *in, json_t **out)
{
    kms_key k;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (mac_of(c, in, "kms:GenerateMac", &k, mac, &len)) return -1;
    const char *b64 = enc_b64(c->a, mac, len);
    if (!b64) return ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:s, s:s, s:s}", "Mac", b64, "MacAlgorithm",
                                jstr(in, "MacAlgorithm"), "KeyId", k.arn));
    return 0;
}

int kms_op_verify_mac(call *c, json_t *in, json_t **out)
{
    kms_key k;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (mac_of(c, in, "kms:VerifyMac", &k, mac, &len)) return -1;
    const char *given = jstr(in, "Mac");
    size_t n = 0;
    unsigned char *g = given ? enc_unb64(c->a, given, strlen(given), &n) : NULL;
    if (!g || n != len || CRYPTO_memcmp(g, mac, len))
        return ferr_set(c->err, 400, "KMSInvalidMacException",
                        "The MAC does not match the message and key.");
    *out = svc_out(c, json_pack("{s:s, s:b, s:s}", "KeyId", k.arn, "MacValid", 1, "MacAlgorithm",
                                jstr(in, "MacAlgorithm")));
    return 0;
}
