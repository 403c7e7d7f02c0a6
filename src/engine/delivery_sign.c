#include "delivery_sign.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/ids.h"

struct delivery_signer {
    EVP_PKEY *key;
    char *cert_pem;
};

static const store_key cert_key = {"sns_signing_cert", "", "", "default"};

static char *bio_text(BIO *b)
{
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        memcpy(s, p, (size_t)n);
        s[n] = 0;
    }
    return s;
}

/* A fresh RSA key (2048 bits, as AWS's signing certificates have; FERRY_SNS_KEY_BITS
 * 1024-4096 when created otherwise) and a ten-year self-signed certificate for it. */
static json_t *create_cert(ferr *e)
{
    const char *env = getenv("FERRY_SNS_KEY_BITS");
    long bits = env ? strtol(env, NULL, 10) : 2048;
    if (bits < 1024 || bits > 4096) bits = 2048;
    EVP_PKEY *key = EVP_RSA_gen((unsigned)bits);
    X509 *x = X509_new();
    BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
    json_t *doc = NULL;
    char *ks = NULL, *cs = NULL;
    if (!key || !x || !kb || !cb) goto out;
    unsigned char serial[8];
    ids_random(serial, sizeof(serial));
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
    if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x))) {
        BN_free(bn);
        goto out;
    }
    BN_free(bn);
    X509_NAME *name = X509_get_subject_name(x);
    if (!X509_set_version(x, 2) || !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), 10L * 366 * 24 * 3600) ||
        !X509_set_pubkey(x, key) ||
        !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"ferry", -1, -1,
                                    0) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                    (const unsigned char *)"sns.amazonaws.com", -1, -1, 0) ||
        !X509_set_issuer_name(x, name) || !X509_sign(x, key, EVP_sha256()))
        goto out;
    if (!PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) || !PEM_write_bio_X509(cb, x))
        goto out;
    ks = bio_text(kb);
    cs = bio_text(cb);
    if (ks && cs) doc = json_pack("{s:s, s:s}", "KeyPem", ks, "CertPem", cs);
out:
    if (!doc) ferr_internal(e, "cannot create the SNS signing certificate");
    free(ks);
    free(cs);
    BIO_free(kb);
    BIO_free(cb);
    X509_free(x);
    EVP_PKEY_free(key);
    return doc;
}

delivery_signer *delivery_signer_load(store *st, ferr *e)
{
    json_t *doc = NULL;
    store_txn *t = NULL;
    if (store_begin(st, 0, &t, e)) return NULL;
    int rc = store_get(t, &cert_key, &doc, e);
    store_rollback(t);
    if (rc < 0) return NULL;
    if (rc == 0) {
        /* first start on this data directory: create, and keep whichever was stored first */
        json_t *fresh = create_cert(e);
        if (!fresh || store_begin(st, 1, &t, e)) {
            json_decref(fresh);
            return NULL;
        }
        rc = store_insert(t, &cert_key, fresh, e);
        if (rc == 0)
            rc = store_commit(t, e);
        else
            store_rollback(t);
        if (rc < 0) {
            json_decref(fresh);
            return NULL;
        }
        if (rc == 1) {
            json_decref(fresh);
            if (store_begin(st, 0, &t, e)) return NULL;
            rc = store_get(t, &cert_key, &doc, e);
            store_rollback(t);
            if (rc != 1) return ferr_internal(e, "SNS signing certificate vanished"), NULL;
        } else {
            doc = fresh;
        }
    }
    delivery_signer *s = calloc(1, sizeof(*s));
    const char *kp = json_string_value(json_object_get(doc, "KeyPem"));
    const char *cp = json_string_value(json_object_get(doc, "CertPem"));
    BIO *b = kp ? BIO_new_mem_buf(kp, -1) : NULL;
    if (s && b) s->key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    if (s && cp) s->cert_pem = strdup(cp);
    json_decref(doc);
    if (!s || !s->key || !s->cert_pem) {
        delivery_signer_free(s);
        ferr_internal(e, "the stored SNS signing certificate does not load");
        return NULL;
    }
    return s;
}

void delivery_signer_free(delivery_signer *s)
{
    if (!s) return;
    EVP_PKEY_free(s->key);
    free(s->cert_pem);
    free(s);
}

const char *delivery_signer_cert_pem(const delivery_signer *s)
{
    return s->cert_pem;
}

char *delivery_string_to_sign(const json_t *env)
{
    static const char *const notification[] = {"Message",  "MessageId", "Subject", "Timestamp",
                                               "TopicArn", "Type",      NULL};
    static const char *const confirmation[] = {"Message", "MessageId", "SubscribeURL", "Timestamp",
                                               "Token",   "TopicArn",  "Type",         NULL};
    const char *type = json_string_value(json_object_get(env, "Type"));
    const char *const *keys = type && !strcmp(type, "Notification") ? notification : confirmation;
    buf b;
    buf_init(&b, 0);
    for (; *keys; keys++) {
        json_t *v = json_object_get(env, *keys);
        if (!json_is_string(v)) continue; /* Subject only when the publisher gave one */
        buf_puts(&b, *keys);
        buf_putc(&b, '\n');
        buf_put(&b, json_string_value(v), json_string_length(v));
        buf_putc(&b, '\n');
    }
    if (b.failed) {
        buf_dispose(&b);
        return NULL;
    }
    return b.len ? buf_take(&b) : strdup("");
}

static const EVP_MD *md_for(int version)
{
    return version == 2 ? EVP_sha256() : EVP_sha1();
}

char *delivery_sign(const delivery_signer *s, int version, const char *data, size_t len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char sig[1024];
    size_t n = sizeof(sig);
    char *out = NULL;
    if (ctx && EVP_DigestSignInit(ctx, NULL, md_for(version), NULL, s->key) == 1 &&
        EVP_DigestSign(ctx, sig, &n, (const unsigned char *)data, len) == 1) {
        out = malloc(4 * ((n + 2) / 3) + 1);
        if (out) EVP_EncodeBlock((unsigned char *)out, sig, (int)n);
    }
    EVP_MD_CTX_free(ctx);
    return out;
}

int delivery_verify(const delivery_signer *s, int version, const char *data, size_t len,
                    const char *sig)
{
    size_t slen = strlen(sig);
    unsigned char *raw = malloc(slen + 3);
    if (!raw) return 0;
    int n = EVP_DecodeBlock(raw, (const unsigned char *)sig, (int)slen);
    while (n > 0 && slen && sig[slen - 1] == '=') n--, slen--; /* DecodeBlock counts padding */
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = n > 0 && ctx && EVP_DigestVerifyInit(ctx, NULL, md_for(version), NULL, s->key) == 1 &&
             EVP_DigestVerify(ctx, raw, (size_t)n, (const unsigned char *)data, len) == 1;
    EVP_MD_CTX_free(ctx);
    free(raw);
    return ok;
}
