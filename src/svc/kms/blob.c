/* KMS ciphertext blobs (see blob.h). */
#include "blob.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "base/keyfile.h"

static int is_uuid(const char *s)
{
    for (int i = 0; i < 36; i++) {
        char ch = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (ch != '-') return 0;
        } else if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

int kmsblob_parse(const unsigned char *b, size_t n, kmsblob_hdr *h)
{
    if (!b || n < KMSBLOB_OVERHEAD || b[0] != KMSBLOB_VERSION) return -1;
    for (int i = 0; i < 12; i++)
        if (b[1 + i] < '0' || b[1 + i] > '9') return -1;
    if (!is_uuid((const char *)b + 13)) return -1;
    memcpy(h->account, b + 1, 12);
    h->account[12] = 0;
    memcpy(h->key_id, b + 13, 36);
    h->key_id[36] = 0;
    const unsigned char *g = b + 49;
    h->gen = (uint32_t)g[0] << 24 | (uint32_t)g[1] << 16 | (uint32_t)g[2] << 8 | g[3];
    return 0;
}

int kmsblob_gcm_seal(const unsigned char key[KMSBLOB_KEYLEN], const void *aad, size_t aadlen,
                     const unsigned char *pt, size_t n, unsigned char *out)
{
    return keyfile_seal(key, aad, aadlen, pt, n, out);
}

int kmsblob_gcm_open(const unsigned char key[KMSBLOB_KEYLEN], const void *aad, size_t aadlen,
                     const unsigned char *in, size_t n, unsigned char *pt)
{
    return keyfile_open(key, aad, aadlen, in, n, pt);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static unsigned char *put_len(unsigned char *p, size_t n)
{
    p[0] = (unsigned char)(n >> 24);
    p[1] = (unsigned char)(n >> 16);
    p[2] = (unsigned char)(n >> 8);
    p[3] = (unsigned char)n;
    return p + 4;
}

unsigned char *kmsblob_context(arena *a, const json_t *ctx, size_t *len)
{
    static unsigned char empty[1];
    *len = 0;
    size_t count = json_is_object(ctx) ? json_object_size(ctx) : 0;
    if (!count) return empty;
    const char **keys = arena_alloc(a, count * sizeof(*keys));
    if (!keys) return NULL;
    size_t i = 0, total = 0;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)ctx, k, v) {
        if (!json_is_string(v)) return NULL;
        keys[i++] = k;
        total += 8 + strlen(k) + json_string_length(v);
    }
    /* sorted: the same context in any order is the same AAD */
    qsort(keys, count, sizeof(*keys), cmp_str);
    unsigned char *out = arena_alloc(a, total ? total : 1), *p = out;
    if (!out) return NULL;
    for (i = 0; i < count; i++) {
        const json_t *val = json_object_get(ctx, keys[i]);
        size_t kl = strlen(keys[i]), vl = json_string_length(val);
        p = put_len(p, kl);
        memcpy(p, keys[i], kl);
        p = put_len(p + kl, vl);
        memcpy(p, json_string_value(val), vl);
        p += vl;
    }
    *len = total;
    return out;
}

static void write_hdr(unsigned char *b, const kmsblob_hdr *h)
{
    b[0] = KMSBLOB_VERSION;
    memcpy(b + 1, h->account, 12);
    memcpy(b + 13, h->key_id, 36);
    b[49] = (unsigned char)(h->gen >> 24);
    b[50] = (unsigned char)(h->gen >> 16);
    b[51] = (unsigned char)(h->gen >> 8);
    b[52] = (unsigned char)h->gen;
}

/* AAD = header | canonical context */
static unsigned char *aad_of(arena *a, const unsigned char *hdr, const unsigned char *ctx,
                             size_t ctxlen)
{
    unsigned char *aad = arena_alloc(a, KMSBLOB_HDR + ctxlen);
    if (!aad) return NULL;
    memcpy(aad, hdr, KMSBLOB_HDR);
    if (ctxlen) memcpy(aad + KMSBLOB_HDR, ctx, ctxlen);
    return aad;
}

int kmsblob_seal(arena *a, const unsigned char key[KMSBLOB_KEYLEN], const kmsblob_hdr *h,
                 const unsigned char *ctx, size_t ctxlen, const unsigned char *pt, size_t n,
                 unsigned char **out, size_t *outlen)
{
    if (strlen(h->account) != 12 || strlen(h->key_id) != 36) return -1;
    unsigned char *b = arena_alloc(a, n + KMSBLOB_OVERHEAD);
    if (!b) return -1;
    write_hdr(b, h);
    unsigned char *aad = aad_of(a, b, ctx, ctxlen);
    if (!aad || kmsblob_gcm_seal(key, aad, KMSBLOB_HDR + ctxlen, pt, n, b + KMSBLOB_HDR)) return -1;
    *out = b;
    *outlen = n + KMSBLOB_OVERHEAD;
    return 0;
}

int kmsblob_open(arena *a, const unsigned char key[KMSBLOB_KEYLEN], const unsigned char *b,
                 size_t n, const unsigned char *ctx, size_t ctxlen, unsigned char **pt,
                 size_t *ptlen)
{
    if (n < KMSBLOB_OVERHEAD) return -1;
    unsigned char *aad = aad_of(a, b, ctx, ctxlen);
    unsigned char *p = arena_alloc(a, n - KMSBLOB_OVERHEAD + 1);
    if (!aad || !p ||
        kmsblob_gcm_open(key, aad, KMSBLOB_HDR + ctxlen, b + KMSBLOB_HDR, n - KMSBLOB_HDR, p))
        return -1;
    *pt = p;
    *ptlen = n - KMSBLOB_OVERHEAD;
    return 0;
}
