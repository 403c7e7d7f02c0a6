#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/enc.h"
#include "base/ids.h"

static int read_all(int fd, unsigned char *p, size_t n)
{
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r <= 0) {
            if (r < 0 && errno == EINTR) continue;
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) {
            if (w < 0 && errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int keyfile_load(const char *dir, const char *name, unsigned char *key, size_t n, ferr *e)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT) {
        char tmp[4300];
        snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
        unsigned char k[256];
        if (n > sizeof(k)) return ferr_internal(e, "key file %s: key too long", path);
        ids_random(k, n);
        int w = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        int ok = w >= 0 && !write_all(w, k, n) && !fsync(w);
        if (w >= 0) close(w);
        /* link, not rename: a key another process created first wins */
        ok = ok && (!link(tmp, path) || errno == EEXIST);
        unlink(tmp);
        memset(k, 0, sizeof(k));
        if (!ok) return ferr_internal(e, "key file %s: %s", path, strerror(errno));
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    }
    if (fd < 0) return ferr_internal(e, "key file %s: %s", path, strerror(errno));
    struct stat sb;
    int rc = 0;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || (size_t)sb.st_size != n)
        rc = ferr_internal(e, "key file %s: not a %zu-byte file", path, n);
    else if ((sb.st_mode & 077) && fchmod(fd, 0600))
        rc = ferr_internal(e, "key file %s: chmod 600: %s", path, strerror(errno));
    else if (read_all(fd, key, n))
        rc = ferr_internal(e, "key file %s: short read", path);
    close(fd);
    return rc;
}

int keyfile_get(keyfile_cache *kc, const char *dir, const char *name, const unsigned char **key,
                ferr *e)
{
    if (!dir) dir = "";
    pthread_mutex_lock(&kc->mu);
    int rc = 0;
    if (!kc->loaded || strcmp(kc->dir, dir)) {
        if (*dir)
            rc = keyfile_load(dir, name, kc->key, sizeof(kc->key), e);
        else
            ids_random(kc->key, sizeof(kc->key));
        if (!rc) {
            snprintf(kc->dir, sizeof(kc->dir), "%s", dir);
            kc->loaded = 1;
        }
    }
    pthread_mutex_unlock(&kc->mu);
    *key = kc->key;
    return rc;
}

#define IV  12
#define TAG 16

int keyfile_seal(const unsigned char key[32], const void *aad, size_t aadlen,
                 const unsigned char *pt, size_t n, unsigned char *out)
{
    if (n > INT32_MAX || aadlen > INT32_MAX) return -1;
    unsigned char *iv = out, *tag = out + IV, *ct = out + KEYFILE_AEAD;
    ids_random_small(iv, IV);
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int len, ok = x && EVP_EncryptInit_ex(x, enc_evp_aes_256_gcm(), NULL, key, iv) == 1 &&
                  (!aadlen || EVP_EncryptUpdate(x, NULL, &len, aad, (int)aadlen) == 1) &&
                  (!n || EVP_EncryptUpdate(x, ct, &len, pt, (int)n) == 1) &&
                  EVP_EncryptFinal_ex(x, ct + n, &len) == 1 &&
                  EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, TAG, tag) == 1;
    EVP_CIPHER_CTX_free(x);
    return ok ? 0 : -1;
}

int keyfile_open(const unsigned char key[32], const void *aad, size_t aadlen,
                 const unsigned char *in, size_t n, unsigned char *pt)
{
    if (n < KEYFILE_AEAD || n > INT32_MAX || aadlen > INT32_MAX) return -1;
    const unsigned char *iv = in, *tag = in + IV, *ct = in + KEYFILE_AEAD;
    size_t ctlen = n - KEYFILE_AEAD;
    unsigned char tagcopy[TAG];
    memcpy(tagcopy, tag, sizeof(tagcopy));
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int len, ok = x && EVP_DecryptInit_ex(x, enc_evp_aes_256_gcm(), NULL, key, iv) == 1 &&
                  (!aadlen || EVP_DecryptUpdate(x, NULL, &len, aad, (int)aadlen) == 1) &&
                  (!ctlen || EVP_DecryptUpdate(x, pt, &len, ct, (int)ctlen) == 1) &&
                  EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, TAG, tagcopy) == 1 &&
                  EVP_DecryptFinal_ex(x, pt + ctlen, &len) == 1;
    EVP_CIPHER_CTX_free(x);
    return ok ? 0 : -1;
}
