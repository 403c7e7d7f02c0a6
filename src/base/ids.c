#include "ids.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ids_random(void *out, size_t n)
{
    if (RAND_bytes(out, (int)n) != 1) {
        /* RAND_bytes failing means no entropy source: nothing secure can be issued */
        fprintf(stderr, "ferry: %s:%d: RAND_bytes failed\n", __FILE__, __LINE__);
        abort();
    }
}

static void from_alphabet(const char *alpha, size_t alen, char *out, size_t n)
{
    unsigned char r[128];
    while (n) {
        size_t k = n < sizeof(r) ? n : sizeof(r);
        ids_random(r, k);
        for (size_t i = 0; i < k; i++) *out++ = alpha[r[i] % alen];
        n -= k;
    }
    *out = 0;
}

void ids_uuid(char out[37])
{
    unsigned char b[16];
    ids_random(b, 16);
    b[6] = (b[6] & 0x0F) | 0x40;
    b[8] = (b[8] & 0x3F) | 0x80;
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

void ids_hex(char *out, size_t n)
{
    from_alphabet("0123456789abcdef", 16, out, n);
}

void ids_aws(const char *prefix, size_t n, char *out)
{
    size_t pl = strlen(prefix);
    memcpy(out, prefix, pl);
    from_alphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 32, out + pl, n);
}

void ids_lower_alnum(char *out, size_t n)
{
    from_alphabet("abcdefghijklmnopqrstuvwxyz0123456789", 36, out, n);
}

void ids_account(char out[13])
{
    from_alphabet("0123456789", 10, out, 12);
    if (out[0] == '0') out[0] = '1' + (char)(out[5] % 9);
}

void ids_secret(char out[41])
{
    from_alphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 64, out, 40);
}
