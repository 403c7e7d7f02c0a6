/* The SSH public key parser (sshkey.h). */
#include "sshkey.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/enc.h"

#define MIN_BITS 2048 /* AWS refuses shorter RSA keys */
#define MAX_BLOB 8192

static void md5_colons(const unsigned char *blob, size_t n, char fp[48])
{
    char hex[33];
    enc_md5_hex(blob, n, hex);
    for (int i = 0; i < 16; i++) {
        fp[3 * i] = hex[2 * i];
        fp[3 * i + 1] = hex[2 * i + 1];
        fp[3 * i + 2] = i < 15 ? ':' : '\0';
    }
}

/* One SSH "string" (uint32 length, bytes) at *p; 0, or -1 past the end. */
static int take(const unsigned char **p, const unsigned char *end, const unsigned char **s,
                size_t *len)
{
    if (end - *p < 4) return -1;
    uint32_t l =
        (uint32_t)(*p)[0] << 24 | (uint32_t)(*p)[1] << 16 | (uint32_t)(*p)[2] << 8 | (*p)[3];
    *p += 4;
    if ((size_t)(end - *p) < l) return -1;
    *s = *p, *len = l;
    *p += l;
    return 0;
}

/* Bits of an SSH mpint's magnitude (leading zero bytes skipped); 0 for a negative one. */
static size_t mpint_bits(const unsigned char *s, size_t n)
{
    if (n && (s[0] & 0x80)) return 0;
    while (n && !s[0]) s++, n--;
    if (!n) return 0;
    size_t bits = 8 * (n - 1);
    for (unsigned v = s[0]; v; v >>= 1) bits++;
    return bits;
}

static int parse_openssh(arena *a, const char *text, size_t n, char fp[48])
{
    const char *b = text + 7, *end = text + n;
    while (b < end && (*b == ' ' || *b == '\t')) b++;
    const char *e = b;
    while (e < end && *e != ' ' && *e != '\t' && *e != '\r' && *e != '\n') e++;
    size_t len;
    unsigned char *blob =
        e > b && e - b <= MAX_BLOB ? enc_unb64(a, b, (size_t)(e - b), &len) : NULL;
    if (!blob) return SSHKEY_INVALID;
    const unsigned char *p = blob, *stop = blob + len, *s;
    size_t sl, el, nl;
    const unsigned char *ev, *nv;
    if (take(&p, stop, &s, &sl) || sl != 7 || memcmp(s, "ssh-rsa", 7) || take(&p, stop, &ev, &el) ||
        take(&p, stop, &nv, &nl) || p != stop || !mpint_bits(ev, el) ||
        mpint_bits(nv, nl) < MIN_BITS)
        return SSHKEY_INVALID;
    md5_colons(blob, len, fp);
    return SSHKEY_OK;
}

/* Appends an SSH mpint of bn to w (a zero byte first when its top bit is set). */
static size_t put_mpint(unsigned char *w, const BIGNUM *bn)
{
    int nb = BN_num_bytes(bn);
    unsigned char tmp[1100];
    if (nb <= 0 || nb > 1024) return 0;
    BN_bn2bin(bn, tmp);
    size_t l = (size_t)nb + ((tmp[0] & 0x80) != 0);
    w[0] = (unsigned char)(l >> 24), w[1] = (unsigned char)(l >> 16);
    w[2] = (unsigned char)(l >> 8), w[3] = (unsigned char)l;
    size_t off = 4;
    if (tmp[0] & 0x80) w[off++] = 0;
    memcpy(w + off, tmp, (size_t)nb);
    return off + (size_t)nb;
}

static int parse_pem(const char *text, size_t n, char fp[48])
{
    BIO *bio = BIO_new_mem_buf(text, (int)n);
    EVP_PKEY *k = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    BIGNUM *e = NULL, *m = NULL;
    int rc = SSHKEY_INVALID;
    if (k && EVP_PKEY_base_id(k) == EVP_PKEY_RSA && EVP_PKEY_get_bits(k) >= MIN_BITS &&
        EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e) &&
        EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &m)) {
        /* the fingerprint is the SSH wire form's, whichever encoding was given */
        unsigned char blob[2 * 1100 + 16] = {0, 0, 0, 7, 's', 's', 'h', '-', 'r', 's', 'a'};
        size_t l = 11, le = put_mpint(blob + l, e), lm = le ? put_mpint(blob + l + le, m) : 0;
        if (lm) {
            md5_colons(blob, l + le + lm, fp);
            rc = SSHKEY_OK;
        }
    }
    BN_free(e);
    BN_free(m);
    EVP_PKEY_free(k);
    ERR_clear_error();
    return rc;
}

int sshkey_parse(arena *a, const char *text, size_t n, char fp[48])
{
    while (n && (*text == ' ' || *text == '\n' || *text == '\r' || *text == '\t')) text++, n--;
    if (n > 7 && !memcmp(text, "ssh-rsa", 7) && (text[7] == ' ' || text[7] == '\t'))
        return parse_openssh(a, text, n, fp);
    if (n > 10 && !memcmp(text, "-----BEGIN", 10) && n < 16384) return parse_pem(text, n, fp);
    return SSHKEY_ENCODING;
}
