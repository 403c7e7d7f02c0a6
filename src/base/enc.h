/* Encodings and digests shared by the protocol, auth and service layers. */
#ifndef FERRY_ENC_H
#define FERRY_ENC_H
#include <stddef.h>
#include <openssl/types.h>
#include <stdint.h>

#include "arena.h"

void enc_hex(const unsigned char *in, size_t n, char *out); /* out: 2n+1 bytes */
/* v as 16 lowercase hex digits, as printf's "%016llx" (cache keys, without printf) */
void enc_hex64(uint64_t v, char out[17]);
/* The reverse: in must be exactly 2n hex digits (either case). 0, or -1. */
int enc_unhex(const char *in, unsigned char *out, size_t n);
void enc_sha256(const void *in, size_t n, unsigned char out[32]);
void enc_sha256_hex(const void *in, size_t n, char out[65]);
void enc_md5_hex(const void *in, size_t n, char out[33]);
void enc_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                     unsigned char out[32]);
/* The algorithms above (and AES-256-GCM) fetched once, for callers of EVP themselves:
 * EVP_md5() and the like look the algorithm up again on every use under OpenSSL 3. */
const EVP_MD *enc_evp_md5(void);
const EVP_MD *enc_evp_sha256(void);
const EVP_CIPHER *enc_evp_aes_256_gcm(void);
/* Constant-time comparison of two equal-length strings; 1 when equal. */
int enc_ct_equal(const char *a, const char *b);

char *enc_b64(arena *a, const unsigned char *in, size_t n);
/* Returns NULL on invalid base64 (padding optional); *outlen set. */
unsigned char *enc_unb64(arena *a, const char *in, size_t inlen, size_t *outlen);
/* 1 when enc_unb64 decodes in[0..inlen) (given the memory), without decoding it */
int enc_b64_valid(const char *in, size_t inlen);
/* base64url (RFC 4648 section 5) without padding, as JWTs and copyable tokens carry it;
 * the decoder refuses the plain alphabet's '+', '/' and '='. NULL on bad input or OOM. */
char *enc_b64url(arena *a, const unsigned char *in, size_t n);
unsigned char *enc_unb64url(arena *a, const char *in, size_t inlen, size_t *outlen);
/* The same, skipping ASCII whitespace anywhere (PEM bodies, XML text, wrapped base64). */
unsigned char *enc_unb64_ws(arena *a, const char *in, size_t inlen, size_t *outlen);

/* Percent-decoding: returns NULL on a bad escape (or out of memory). plus_is_space for
 * forms. *outlen excludes the added NUL (the result may contain NUL bytes). */
char *enc_url_decode(arena *a, const char *in, size_t n, int plus_is_space, size_t *outlen);
/* The same into out (n + 1 bytes), for a caller that tells a bad escape (-1) from its own
 * failed allocation. */
int enc_url_decode_into(char *out, const char *in, size_t n, int plus_is_space, size_t *outlen);
/* RFC 3986 unreserved set kept; everything else %XX (uppercase). keep_slash for paths. */
char *enc_url_encode(arena *a, const char *in, size_t n, int keep_slash);

/* 1 when s[0..n) is valid UTF-8 (no overlongs, no surrogates). */
int enc_utf8_valid(const char *s, size_t n);

#endif
