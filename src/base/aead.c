/* AES-256-GCM in one shot (see aead.h). */
#include "aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>

#include "ids.h"

int aead_seal(const unsigned char key[AEAD_KEYLEN], const void *aad, size_t aadlen,
              const unsigned char *pt, size_t n, unsigned char *out)
{
    if (n > INT32_MAX || aadlen > INT32_MAX) return -1;
    unsigned char *iv = out, *tag = out + AEAD_IV, *ct = out + AEAD_OVERHEAD;
    ids_random(iv, AEAD_IV);
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int len, ok = x && EVP_EncryptInit_ex(x, EVP_aes_256_gcm(), NULL, key, iv) == 1 &&
                  (!aadlen || EVP_EncryptUpdate(x, NULL, &len, aad, (int)aadlen) == 1) &&
                  (!n || EVP_EncryptUpdate(x, ct, &len, pt, (int)n) == 1) &&
                  EVP_EncryptFinal_ex(x, ct + n, &len) == 1 &&
                  EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, AEAD_TAG, tag) == 1;
    EVP_CIPHER_CTX_free(x);
    return ok ? 0 : -1;
}

int aead_open(const unsigned char key[AEAD_KEYLEN], const void *aad, size_t aadlen,
              const unsigned char *in, size_t n, unsigned char *pt)
{
    if (n < AEAD_OVERHEAD || n > INT32_MAX || aadlen > INT32_MAX) return -1;
    const unsigned char *iv = in, *tag = in + AEAD_IV, *ct = in + AEAD_OVERHEAD;
    size_t ctlen = n - AEAD_OVERHEAD;
    unsigned char tagcopy[AEAD_TAG];
    memcpy(tagcopy, tag, sizeof(tagcopy));
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int len, ok = x && EVP_DecryptInit_ex(x, EVP_aes_256_gcm(), NULL, key, iv) == 1 &&
                  (!aadlen || EVP_DecryptUpdate(x, NULL, &len, aad, (int)aadlen) == 1) &&
                  (!ctlen || EVP_DecryptUpdate(x, pt, &len, ct, (int)ctlen) == 1) &&
                  EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, AEAD_TAG, tagcopy) == 1 &&
                  EVP_DecryptFinal_ex(x, pt + ctlen, &len) == 1;
    EVP_CIPHER_CTX_free(x);
    if (!ok && ctlen) OPENSSL_cleanse(pt, ctlen);
    return ok ? 0 : -1;
}
