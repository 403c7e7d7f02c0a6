/* Identifiers: random hex, request ids (UUID v4), AWS-style unique ids. */
#ifndef FERRY_IDS_H
#define FERRY_IDS_H
#include <stddef.h>

void ids_random(void *out, size_t n); /* cryptographic randomness */
/* The same for n <= 64 bytes (nonces, ids, data keys), from a block the thread draws at a
 * time (each byte handed out once, and wiped from the block). */
void ids_random_small(void *out, size_t n);
void ids_uuid(char out[37]); /* lowercase UUID v4 */
/* UUID v7: time t (epoch seconds) in milliseconds first, then random bits. For ids a store
 * indexes: new ones sort after old ones, so the index grows at its end instead of writing
 * a random page per insert. */
void ids_uuid7(char out[37], double t);
void ids_hex(char *out, size_t nchars); /* nchars random lowercase hex + NUL */
/* AWS unique ids: prefix + uppercase base32-ish, e.g. AKIA + 16 chars, AROA + 17. */
void ids_aws(const char *prefix, size_t nchars, char *out);
/* Random lowercase alnum, e.g. OU and root ids. */
void ids_lower_alnum(char *out, size_t nchars);
/* 12-digit account id, not starting with 0. */
void ids_account(char out[13]);
/* 40-char secret in AWS's alphabet. */
void ids_secret(char out[41]);

#endif
