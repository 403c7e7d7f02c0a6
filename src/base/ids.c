#include "ids.h"

#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

void ids_random(void *out, size_t n)
{
    if (RAND_bytes(out, (int)n) != 1) {
        /* RAND_bytes failing means no entropy source: nothing secure can be issued */
        fprintf(stderr, "ferry: %s:%d: RAND_bytes failed\n", __FILE__, __LINE__);
        abort();
    }
}

/* Request, message and event ids are made several times per request: their randomness is
 * taken from RAND_bytes in blocks per thread (a call each was 4% of a busy server), and a
 * forked child starts a fresh block. A fork is noticed by a count its child handler moves,
 * not by getpid: glibc no longer caches the pid, and 2.5 getpid system calls per request
 * were 1.6% of a busy KMS server's system time. */
static _Thread_local struct {
    unsigned char b[4096];
    size_t used;
    unsigned forks;
} pool = {.used = sizeof(pool.b)};

static atomic_uint forks = 1; /* a block starts with forks 0: stale before the first use */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void forked(void)
{
    atomic_fetch_add(&forks, 1);
}

static void atfork_register(void)
{
    pthread_atfork(NULL, NULL, forked);
}

/* n (at most 64) random bytes from the thread's block, which they leave (used once) */
static void pooled(unsigned char *out, size_t n)
{
    unsigned now = atomic_load_explicit(&forks, memory_order_relaxed);
    if (pool.used + n > sizeof(pool.b) || pool.forks != now) {
        pthread_once(&atfork_once, atfork_register);
        now = atomic_load(&forks);
        ids_random(pool.b, sizeof(pool.b));
        pool.used = 0;
        pool.forks = now;
    }
    memcpy(out, pool.b + pool.used, n);
    memset(pool.b + pool.used, 0, n);
    pool.used += n;
}

void ids_random_small(void *out, size_t n)
{
    if (n > 64) {
        ids_random(out, n);
        return;
    }
    pooled(out, n);
}

static void from_alphabet(const char *alpha, size_t alen, char *out, size_t n)
{
    unsigned char r[64];
    while (n) {
        size_t k = n < sizeof(r) ? n : sizeof(r);
        pooled(r, k);
        for (size_t i = 0; i < k; i++) *out++ = alpha[r[i] % alen];
        n -= k;
    }
    *out = 0;
}

/* UUID of version ver from 16 random bytes; ms (version 7) fills the first 48 bits. */
static void uuid(char out[37], int ver, uint64_t ms)
{
    static const char hx[] = "0123456789abcdef";
    unsigned char b[16];
    pooled(b, sizeof(b));
    for (int i = 0; ver == 7 && i < 6; i++) b[i] = (unsigned char)(ms >> (40 - 8 * i));
    b[6] = (unsigned char)((b[6] & 0x0F) | (ver << 4));
    b[8] = (b[8] & 0x3F) | 0x80;
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *o++ = '-';
        *o++ = hx[b[i] >> 4];
        *o++ = hx[b[i] & 15];
    }
    *o = 0;
}

void ids_uuid(char out[37])
{
    uuid(out, 4, 0);
}

void ids_uuid7(char out[37], double t)
{
    uuid(out, 7, t > 0 ? (uint64_t)(t * 1000) : 0);
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
