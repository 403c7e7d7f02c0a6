/* AES-256-GCM in one shot (OpenSSL EVP), for small values sealed under a key held in
 * memory: KMS's blobs and wrapped key material, Secrets Manager's values under their data
 * keys. Streams of object bytes are sealed by the blob store (store/blob.h) instead.
 * Sealed form: IV (12 random bytes) | tag (16) | ciphertext (as long as the plaintext). */
#ifndef FERRY_AEAD_H
#define FERRY_AEAD_H
#include <stddef.h>

#define AEAD_KEYLEN   32
#define AEAD_IV       12
#define AEAD_TAG      16
#define AEAD_OVERHEAD (AEAD_IV + AEAD_TAG)

/* out (n + AEAD_OVERHEAD bytes) = pt sealed under key with aad authenticated. 0 or -1. */
int aead_seal(const unsigned char key[AEAD_KEYLEN], const void *aad, size_t aadlen,
              const unsigned char *pt, size_t n, unsigned char *out);
/* The reverse: pt (n - AEAD_OVERHEAD bytes) from in. 0, or -1 when in is too short or does
 * not authenticate (pt is then wiped: no unauthenticated plaintext escapes). */
int aead_open(const unsigned char key[AEAD_KEYLEN], const void *aad, size_t aadlen,
              const unsigned char *in, size_t n, unsigned char *pt);
#endif
