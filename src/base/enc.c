#include "enc.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <string.h>

/* Digests fetched once: EVP_md5() and EVP_sha256() look the algorithm up again on every
 * call under OpenSSL 3, which showed in profiles of SQS sends and SigV4. Kept for the
 * process's life. */
static EVP_MD *md5_md, *sha256_md;
static EVP_CIPHER *gcm_cipher;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_fetch(void)
{
    md5_md = EVP_MD_fetch(NULL, "MD5", NULL);
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    gcm_cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
}

const EVP_MD *enc_evp_md5(void)
{
    pthread_once(&md_once, md_fetch);
    return md5_md ? md5_md : EVP_md5();
}

const EVP_MD *enc_evp_sha256(void)
{
    pthread_once(&md_once, md_fetch);
    return sha256_md ? sha256_md : EVP_sha256();
}

const EVP_CIPHER *enc_evp_aes_256_gcm(void)
{
    pthread_once(&md_once, md_fetch);
    return gcm_cipher ? gcm_cipher : EVP_aes_256_gcm();
}

void enc_hex(const unsigned char *in, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[in[i] >> 4];
        out[2 * i + 1] = d[in[i] & 15];
    }
    out[2 * n] = 0;
}

void enc_hex64(uint64_t v, char out[17])
{
    unsigned char be[8];
    for (int i = 7; i >= 0; i--, v >>= 8) be[i] = (unsigned char)v;
    enc_hex(be, 8, out);
}

static int hexdigit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int enc_unhex(const char *in, unsigned char *out, size_t n)
{
    if (strlen(in) != 2 * n) return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = hexdigit(in[2 * i]), lo = hexdigit(in[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

void enc_sha256(const void *in, size_t n, unsigned char out[32])
{
    SHA256(in, n, out);
}

void enc_sha256_hex(const void *in, size_t n, char out[65])
{
    unsigned char d[32];
    SHA256(in, n, d);
    enc_hex(d, 32, out);
}

void enc_md5_hex(const void *in, size_t n, char out[33])
{
    unsigned char d[16];
    unsigned int len = 0;
    pthread_once(&md_once, md_fetch);
    EVP_Digest(in, n, d, &len, md5_md ? md5_md : EVP_md5(), NULL);
    enc_hex(d, 16, out);
}

void enc_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                     unsigned char out[32])
{
    unsigned int len = 32;
    pthread_once(&md_once, md_fetch);
    HMAC(sha256_md ? sha256_md : EVP_sha256(), key, (int)klen, msg, mlen, out, &len);
}

int enc_ct_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = (unsigned char)(la != lb);
    size_t n = la < lb ? la : lb;
    for (size_t i = 0; i < n; i++) diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

char *enc_b64(arena *a, const unsigned char *in, size_t n)
{
    char *out = arena_alloc(a, 4 * ((n + 2) / 3) + 1);
    if (!out) return NULL;
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    return out;
}

/* a table: S3's inline objects decode kilobytes of it per GET */
static const signed char b64_tab[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,  ['H'] = 8,
    ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
    ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
    ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
    ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['-'] = 63,
    ['/'] = 64, ['_'] = 64}; /* value + 1; 0: not base64 */

static int b64v(unsigned char c)
{
    return b64_tab[c] - 1;
}

int enc_b64_valid(const char *in, size_t n)
{
    while (n && (in[n - 1] == '=')) n--;
    if (n % 4 == 1) return 0;
    for (size_t i = 0; i < n; i++)
        if (b64v((unsigned char)in[i]) < 0) return 0;
    return 1;
}

unsigned char *enc_unb64(arena *a, const char *in, size_t n, size_t *outlen)
{
    while (n && (in[n - 1] == '=')) n--;
    if (n % 4 == 1) return NULL;
    unsigned char *out = arena_alloc(a, n * 3 / 4 + 3);
    if (!out) return NULL;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64v((unsigned char)in[i]);
        if (v < 0) return NULL;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    out[o] = 0;
    if (outlen) *outlen = o;
    return out;
}

unsigned char *enc_unb64_ws(arena *a, const char *in, size_t n, size_t *outlen)
{
    char *clean = arena_alloc(a, n + 1);
    if (!clean) return NULL;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\r\n\f\v", in[i]) || !in[i]) clean[m++] = in[i];
    return enc_unb64(a, clean, m, outlen);
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char *enc_url_decode(arena *a, const char *in, size_t n, int plus_is_space, size_t *outlen)
{
    char *out = arena_alloc(a, n + 1);
    return out && !enc_url_decode_into(out, in, n, plus_is_space, outlen) ? out : NULL;
}

int enc_url_decode_into(char *out, const char *in, size_t n, int plus_is_space, size_t *outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == '%') {
            if (i + 2 >= n) return -1;
            int h = hexv(in[i + 1]), l = hexv(in[i + 2]);
            if (h < 0 || l < 0) return -1;
            out[o++] = (char)(h * 16 + l);
            i += 2;
        } else if (in[i] == '+' && plus_is_space) {
            out[o++] = ' ';
        } else {
            out[o++] = in[i];
        }
    }
    out[o] = 0;
    if (outlen) *outlen = o;
    return 0;
}

char *enc_url_encode(arena *a, const char *in, size_t n, int keep_slash)
{
    static const char d[] = "0123456789ABCDEF";
    char *out = arena_alloc(a, 3 * n + 1);
    if (!out) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = d[c >> 4];
            out[o++] = d[c & 15];
        }
    }
    out[o] = 0;
    return out;
}

int enc_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        size_t len;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + len > n) return 0;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

char *enc_b64url(arena *a, const unsigned char *in, size_t n)
{
    char *b = enc_b64(a, in, n);
    for (char *s = b; s && *s; s++) {
        if (*s == '+') *s = '-';
        if (*s == '/') *s = '_';
        if (*s == '=') *s = 0;
    }
    return b;
}

unsigned char *enc_unb64url(arena *a, const char *s, size_t n, size_t *outlen)
{
    char *t = arena_alloc(a, n + 4);
    if (!t) return NULL;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '+' || ch == '/' || ch == '=') return NULL;
        t[i] = ch == '-' ? '+' : ch == '_' ? '/' : ch;
    }
    size_t m = n;
    while (m % 4) t[m++] = '=';
    t[m] = 0;
    return enc_unb64(a, t, m, outlen);
}
