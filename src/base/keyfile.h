/* A secret key kept in a file of the data directory (KMS's master key, S3's SSE-S3 key):
 * owner-only, created on first use, written whole and synced before anything is sealed with
 * it. Never logged, never in the store or the trail. */
#ifndef FERRY_KEYFILE_H
#define FERRY_KEYFILE_H
#include <pthread.h>
#include <stddef.h>

#include "base/err.h"

/* Reads dir/name (n bytes), creating it with random bytes when absent (another process that
 * creates it first wins). A file of another size, or not a regular file, is an error; one
 * others may read is made 0600. 0 or -1 with e (InternalFailure). */
int keyfile_load(const char *dir, const char *name, unsigned char *key, size_t n, ferr *e);

/* One key file, read once per data directory (a server has one; tests open several in turn);
 * with no directory ("" or NULL) a random key of this process's own. Thread-safe. */
typedef struct keyfile_cache {
    pthread_mutex_t mu;
    unsigned char key[32];
    char dir[4096];
    int loaded;
} keyfile_cache;
#define KEYFILE_CACHE_INIT \
    { \
        PTHREAD_MUTEX_INITIALIZER, {0}, {0}, 0 \
    }
/* *key: kc's 32 bytes (valid while the directory stays the same). 0 or -1 with e. */
int keyfile_get(keyfile_cache *kc, const char *dir, const char *name, const unsigned char **key,
                ferr *e);

/* AES-256-GCM with a random IV, for wrapping keys and small secrets: out (n + KEYFILE_AEAD
 * bytes) = IV (12) | tag (16) | ciphertext. keyfile_open reverses it into pt (n - KEYFILE_AEAD
 * bytes); -1 when in is too short or does not authenticate (wrong key, aad or bytes). */
#define KEYFILE_AEAD 28
int keyfile_seal(const unsigned char key[32], const void *aad, size_t aadlen,
                 const unsigned char *pt, size_t n, unsigned char *out);
int keyfile_open(const unsigned char key[32], const void *aad, size_t aadlen,
                 const unsigned char *in, size_t n, unsigned char *pt);

#endif
