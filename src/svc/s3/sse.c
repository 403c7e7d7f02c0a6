/* Server-side encryption, for real: every object's bytes are sealed at rest (store/blob.h)
 * with a data key of their own. SSE-S3 (AES256, S3's default since 2023) wraps it under this
 * installation's S3 key, a file of the data directory (s3-master.key, owner-only); SSE-KMS
 * (aws:kms) asks KMS for it (GenerateDataKey on the caller's behalf, via S3), and reading the
 * object asks KMS to decrypt it, so a caller without kms:Decrypt on the key cannot read the
 * object, exactly as in AWS. The encryption context binds the key to the object's ARN. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/enc.h"
#include "base/ids.h"
#include "base/jdump.h"
#include "base/keyfile.h"
#include "s3_int.h"

#define S3_KEY_FILE "s3-master.key"

static keyfile_cache s3_key = KEYFILE_CACHE_INIT;

/* KMS's answer to a call S3 made for the caller, worded as S3 words it. */
static int kms_failed(call *c)
{
    if (c->err->status == 403 || !strcmp(c->err->code, "AccessDeniedException")) {
        char m[sizeof(c->err->message)];
        snprintf(m, sizeof(m), "%s", c->err->message);
        return ferr_set(c->err, 403, "AccessDenied", "%s", m);
    }
    if (c->err->status >= 500) return -1;
    char code[sizeof(c->err->code)];
    snprintf(code, sizeof(code), "%s", c->err->code);
    c->err->status = 400;
    snprintf(c->err->code, sizeof(c->err->code), "KMS.%.80s", code);
    return -1;
}

static json_t *via_s3(call *c)
{
    char via[128];
    snprintf(via, sizeof(via), "s3.%s.amazonaws.com", c->region ? c->region : "us-east-1");
    return arena_defer_json(c->a, json_pack("{s:s}", "kms:ViaService", via));
}

static int kms_call(call *c, const char *op, json_t *in, json_t **out)
{
    json_t *ctx = via_s3(c);
    if (!in || !ctx || !arena_defer_json(c->a, in)) return ferr_oom(c->err);
    if (svc_invoke_in(c->txn, c->a, c->env, c->who, c->region, "kms", op, in, out, ctx, c->err))
        return kms_failed(c);
    if (!arena_defer_json(c->a, *out)) return ferr_oom(c->err);
    return 0;
}

/* KMS op (GenerateDataKey or Decrypt) for the caller; the 256-bit Plaintext into key. */
static int kms_data_key(call *c, const char *op, json_t *in, json_t **out, unsigned char key[32])
{
    if (kms_call(c, op, in, out)) return -1;
    const char *pt = jstr(*out, "Plaintext");
    size_t len = 0;
    unsigned char *raw = pt ? enc_unb64(c->a, pt, strlen(pt), &len) : NULL;
    if (!raw || len != 32) return ferr_internal(c->err, "KMS gave no 256-bit data key");
    memcpy(key, raw, 32);
    OPENSSL_cleanse(raw, len);
    return 0;
}

int s3_sse_begin(call *c, const s3_bucket *b, const json_t *in, const char *key_arn, blob_key *key,
                 const char **note)
{
    const char *alg = jstr(in, "ServerSideEncryption");
    const char *kms_key = jstr(in, "SSEKMSKeyId");
    if (!alg) { /* the bucket's default encryption */
        const char *dk = NULL;
        s3_bucket_encryption(c, b, &alg, &dk);
        if (!kms_key) kms_key = dk;
    }
    if (!alg) alg = "AES256";
    if (kms_key && strcmp(alg, "aws:kms") && strcmp(alg, "aws:kms:dsse"))
        return ferr_set(c->err, 400, "InvalidArgument",
                        "Server Side Encryption with KMS managed key requires HTTP header "
                        "x-amz-server-side-encryption : aws:kms");
    /* the nonce prefix, and SSE-S3's data key (KMS's else): from the thread's block, as a
     * RAND_bytes call each was 2% of a small PUT */
    ids_random_small(key, sizeof(*key));
    char *prefix = enc_b64(c->a, key->nonce_prefix, sizeof(key->nonce_prefix));
    json_t *n;
    if (!strcmp(alg, "AES256")) {
        const unsigned char *master;
        if (keyfile_get(&s3_key, c->env->data_dir, S3_KEY_FILE, &master, c->err)) return -1;
        unsigned char wrapped[32 + KEYFILE_AEAD];
        if (keyfile_seal(master, key_arn, strlen(key_arn), key->key, 32, wrapped))
            return ferr_internal(c->err, "could not wrap the object's data key");
        n = json_pack("{s:s, s:s, s:s}", "Alg", alg, "DataKey",
                      enc_b64(c->a, wrapped, sizeof(wrapped)), "NoncePrefix", prefix);
    } else if (!strcmp(alg, "aws:kms") || !strcmp(alg, "aws:kms:dsse")) {
        json_t *out;
        if (kms_data_key(c, "GenerateDataKey",
                         json_pack("{s:s, s:s, s:{s:s}}", "KeyId",
                                   kms_key ? kms_key : "alias/aws/s3", "KeySpec", "AES_256",
                                   "EncryptionContext", "aws:s3:arn", key_arn),
                         &out, key->key))
            return -1;
        n = json_pack("{s:s, s:s?, s:s?, s:s}", "Alg", alg, "DataKey", jstr(out, "CiphertextBlob"),
                      "KmsKeyId", jstr(out, "KeyId"), "NoncePrefix", prefix);
    } else {
        return ferr_set(c->err, 400, "InvalidArgument",
                        "The encryption method specified is not supported");
    }
    buf text;
    buf_init(&text, 0);
    *note = !jdump(&text, n) ? arena_strdup(c->a, buf_str(&text)) : NULL;
    buf_dispose(&text);
    json_decref(n);
    return *note ? 0 : ferr_oom(c->err);
}

int s3_sse_record(call *c, json_t *doc, json_t *part, const char *note)
{
    json_error_t je;
    json_t *n = json_loads(note, 0, &je);
    if (!n || !arena_defer_json(c->a, n)) return ferr_oom(c->err);
    if (jset_str(doc, "ServerSideEncryption", jstr(n, "Alg")) ||
        jset_str(doc, "SSEKMSKeyId", jstr(n, "KmsKeyId")) ||
        jset_str(part, "DataKey", jstr(n, "DataKey")) ||
        jset_str(part, "NoncePrefix", jstr(n, "NoncePrefix")))
        return ferr_oom(c->err);
    return 0;
}

int s3_sse_open(call *c, const json_t *doc, const json_t *part, call_segment *seg)
{
    const char *dk = jstr(part, "DataKey"), *np = jstr(part, "NoncePrefix");
    /* a part copied from another object keeps that object's sealing */
    const char *alg = jstr(part, "ServerSideEncryption") && jstr(part, "KeyArn")
                          ? jstr(part, "ServerSideEncryption")
                          : jstr(doc, "ServerSideEncryption");
    const char *arn = jstr(part, "KeyArn") ? jstr(part, "KeyArn") : jstr(doc, "KeyArn");
    seg->sealed = 0;
    if (!dk) return 0; /* written before objects were sealed */
    size_t wl = 0, pl = 0;
    unsigned char *w = enc_unb64(c->a, dk, strlen(dk), &wl);
    unsigned char *p = np ? enc_unb64(c->a, np, strlen(np), &pl) : NULL;
    if (!w || !p || pl != sizeof(seg->key.nonce_prefix) || !alg || !arn)
        return ferr_internal(c->err, "the object's encryption record is damaged");
    memcpy(seg->key.nonce_prefix, p, pl);
    if (!strcmp(alg, "AES256")) {
        const unsigned char *master;
        if (keyfile_get(&s3_key, c->env->data_dir, S3_KEY_FILE, &master, c->err)) return -1;
        if (wl != 32 + KEYFILE_AEAD || keyfile_open(master, arn, strlen(arn), w, wl, seg->key.key))
            return ferr_internal(c->err, "the object's data key does not open");
    } else {
        json_t *out;
        if (kms_data_key(c, "Decrypt",
                         json_pack("{s:s, s:{s:s}}", "CiphertextBlob", dk, "EncryptionContext",
                                   "aws:s3:arn", arn),
                         &out, seg->key.key))
            return -1;
    }
    seg->sealed = 1;
    return 0;
}

int s3_sse_describe(call *c, const json_t *doc, json_t *out)
{
    const char *alg = jstr(doc, "ServerSideEncryption"), *kid = jstr(doc, "SSEKMSKeyId");
    if ((alg && jset_str(out, "ServerSideEncryption", alg)) ||
        (kid && jset_str(out, "SSEKMSKeyId", kid)))
        return ferr_oom(c->err);
    return 0;
}
