/* KMS ciphertext blobs and the AES-256-GCM they are made with (OpenSSL EVP).
 *
 * A blob is ferry's own format, opaque to clients as AWS's is:
 *   version (1 byte, 1) | account (12 ASCII digits) | key id (36-char UUID) |
 *   material generation (4 bytes, big-endian) | IV (12) | tag (16) | ciphertext
 * The header says which key made it, so Decrypt needs no KeyId, across accounts too. The
 * header and the canonical encryption context are the AAD: changing any byte, or decrypting
 * under another context, fails authentication (InvalidCiphertextException). */
#ifndef FERRY_SVC_KMS_BLOB_H
#define FERRY_SVC_KMS_BLOB_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"

#define KMSBLOB_VERSION  1
#define KMSBLOB_KEYLEN   32
#define KMSBLOB_IV       12
#define KMSBLOB_TAG      16
#define KMSBLOB_HDR      (1 + 12 + 36 + 4)
#define KMSBLOB_GCM      (KMSBLOB_IV + KMSBLOB_TAG)
#define KMSBLOB_OVERHEAD (KMSBLOB_HDR + KMSBLOB_GCM)

typedef struct kmsblob_hdr {
    char account[13];
    char key_id[37];
    uint32_t gen; /* which of the key's materials (rotation) */
} kmsblob_hdr;

/* Reads b's header: 0, or -1 when b is not a blob of this format. */
int kmsblob_parse(const unsigned char *b, size_t n, kmsblob_hdr *h);

/* AES-256-GCM with a random IV: out (n + KMSBLOB_GCM bytes) = IV | tag | ciphertext.
 * 0 or -1. */
int kmsblob_gcm_seal(const unsigned char key[KMSBLOB_KEYLEN], const void *aad, size_t aadlen,
                     const unsigned char *pt, size_t n, unsigned char *out);
/* The reverse: pt (n - KMSBLOB_GCM bytes) from in. 0, or -1 when in is too short or does not
 * authenticate. */
int kmsblob_gcm_open(const unsigned char key[KMSBLOB_KEYLEN], const void *aad, size_t aadlen,
                     const unsigned char *in, size_t n, unsigned char *pt);

/* The canonical form of an encryption context ({string: string}, NULL or empty = none):
 * sorted keys, each key and value as a 4-byte big-endian length and its bytes. In a;
 * *len set (0 for none). NULL on OOM or when ctx has a non-string value. */
unsigned char *kmsblob_context(arena *a, const json_t *ctx, size_t *len);

/* Encrypts pt (n bytes) under key as h's blob with context ctx (canonical, ctxlen bytes):
 * *out (n + KMSBLOB_OVERHEAD bytes) in a. 0 or -1. */
int kmsblob_seal(arena *a, const unsigned char key[KMSBLOB_KEYLEN], const kmsblob_hdr *h,
                 const unsigned char *ctx, size_t ctxlen, const unsigned char *pt, size_t n,
                 unsigned char **out, size_t *outlen);
/* Decrypts blob b (already parsed to find key): *pt in a (NUL-terminated), *ptlen. 0, or
 * -1 when b does not authenticate under key and ctx. */
int kmsblob_open(arena *a, const unsigned char key[KMSBLOB_KEYLEN], const unsigned char *b,
                 size_t n, const unsigned char *ctx, size_t ctxlen, unsigned char **pt,
                 size_t *ptlen);

#endif
