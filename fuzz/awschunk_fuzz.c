/* libFuzzer target: the aws-chunked decoder (src/proto/chunked.c) that S3 streaming uploads go
 * through. The input is fed whole and again byte by byte: both must agree on the outcome and
 * on every payload byte, and the decoder never hands out more than the sizes it read.
 * Seeds: fuzz/corpus/awschunk_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/chunked.h"

typedef struct sink {
    unsigned char out[1 << 16];
    size_t n;
    uint64_t announced;
    int trailers, ends;
} sink;

static int on_chunk(void *ud, uint64_t size, const char *sig, ferr *e)
{
    (void)e;
    sink *s = ud;
    if (sig && strlen(sig) != 64) abort();
    s->announced += size;
    return 0;
}

static int on_data(void *ud, const void *p, size_t n, ferr *e)
{
    (void)e;
    sink *s = ud;
    if (s->n + n > sizeof(s->out)) return ferr_set(e, 400, "TooBig", "fuzz sink full");
    memcpy(s->out + s->n, p, n);
    s->n += n;
    if (s->n > s->announced) abort();
    return 0;
}

static int on_end(void *ud, ferr *e)
{
    (void)e;
    ((sink *)ud)->ends++;
    return 0;
}

static int on_trailer(void *ud, const char *name, const char *value, ferr *e)
{
    (void)e;
    if (!*name || strchr(name, ':') || !value) abort();
    ((sink *)ud)->trailers++;
    return 0;
}

static const awschunk_cb cb = {on_chunk, on_data, on_end, on_trailer};

static int run(const uint8_t *data, size_t size, int bytewise, sink *s)
{
    memset(s, 0, sizeof(*s));
    awschunk *d = awschunk_new(&cb, s);
    if (!d) return -2;
    ferr e = {0};
    int rc = 0;
    if (bytewise) {
        for (size_t i = 0; i < size && !rc; i++) rc = awschunk_feed(d, data + i, 1, &e);
    } else {
        rc = awschunk_feed(d, data, size, &e);
    }
    if (!rc) rc = awschunk_finish(d, &e);
    if (awschunk_decoded(d) != s->n) abort();
    awschunk_free(d);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sink a, b;
    int ra = run(data, size, 0, &a), rb = run(data, size, 1, &b);
    if (ra == -2 || rb == -2) return 0;
    if (ra != rb) abort();
    if (!ra && (a.n != b.n || memcmp(a.out, b.out, a.n) || a.trailers != b.trailers)) abort();
    return 0;
}
