#include "chunked.h"

#include <stdlib.h>
#include <string.h>

/* Chunk header and trailer lines are short; anything longer is not aws-chunked. */
#define LINE_MAX_LEN 1024
#define MAX_TRAILERS 16

typedef enum { S_HEAD, S_DATA, S_DATA_CR, S_DATA_LF, S_TRAILER, S_DONE } state;

struct awschunk {
    awschunk_cb cb;
    void *ud;
    state st;
    char line[LINE_MAX_LEN + 1];
    size_t llen;
    int cr; /* the line's CR was seen */
    uint64_t left, decoded;
    int last; /* the 0-size chunk was announced */
    int ntrailers;
};

awschunk *awschunk_new(const awschunk_cb *cb, void *ud)
{
    awschunk *d = calloc(1, sizeof(*d));
    if (!d) return NULL;
    d->cb = *cb;
    d->ud = ud;
    return d;
}

void awschunk_free(awschunk *d)
{
    free(d);
}

uint64_t awschunk_decoded(const awschunk *d)
{
    return d->decoded;
}

static int bad(ferr *e, const char *what)
{
    return ferr_set(e, 400, "IncompleteBody", "The request body is not valid aws-chunked: %s",
                    what);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* "HEX[;chunk-signature=SIG]" */
static int chunk_line(awschunk *d, ferr *e)
{
    const char *p = d->line;
    uint64_t size = 0;
    int digits = 0, v;
    for (; (v = hexval(*p)) >= 0; p++) {
        if (++digits > 15) return bad(e, "chunk size too large");
        size = size * 16 + (uint64_t)v;
    }
    if (!digits) return bad(e, "chunk size missing");
    const char *sig = NULL;
    if (*p == ';') {
        static const char k[] = "chunk-signature=";
        if (strncmp(p + 1, k, sizeof(k) - 1)) return bad(e, "unknown chunk extension");
        sig = p + sizeof(k);
        if (strlen(sig) != 64 || strspn(sig, "0123456789abcdef") != 64)
            return bad(e, "malformed chunk signature");
    } else if (*p) {
        return bad(e, "malformed chunk size");
    }
    d->left = size;
    d->last = size == 0;
    if (d->cb.chunk && d->cb.chunk(d->ud, size, sig, e)) return -1;
    if (d->last) {
        if (d->cb.chunk_end && d->cb.chunk_end(d->ud, e)) return -1;
        d->st = S_TRAILER;
    } else {
        d->st = S_DATA;
    }
    return 0;
}

/* "name:value", or the empty line that ends the encoding */
static int trailer_line(awschunk *d, ferr *e)
{
    if (!d->llen) {
        d->st = S_DONE;
        return 0;
    }
    char *colon = strchr(d->line, ':');
    if (!colon || colon == d->line) return bad(e, "malformed trailer");
    if (++d->ntrailers > MAX_TRAILERS) return bad(e, "too many trailers");
    *colon = 0;
    for (char *q = d->line; *q; q++)
        if (*q >= 'A' && *q <= 'Z') *q = (char)(*q + 32);
    const char *val = colon + 1;
    while (*val == ' ' || *val == '\t') val++;
    return d->cb.trailer ? d->cb.trailer(d->ud, d->line, val, e) : 0;
}

int awschunk_feed(awschunk *d, const void *buf, size_t n, ferr *e)
{
    const unsigned char *p = buf;
    size_t i = 0;
    while (i < n) {
        switch (d->st) {
        case S_HEAD:
        case S_TRAILER: {
            unsigned char c = p[i++];
            if (d->cr) {
                if (c != '\n') return bad(e, "CR without LF");
                d->line[d->llen] = 0;
                d->cr = 0;
                int rc = d->st == S_HEAD ? chunk_line(d, e) : trailer_line(d, e);
                d->llen = 0;
                if (rc) return -1;
            } else if (c == '\r') {
                d->cr = 1;
            } else if (c == '\n' || c == 0 || d->llen == LINE_MAX_LEN) {
                return bad(e, "malformed line");
            } else {
                d->line[d->llen++] = (char)c;
            }
            break;
        }
        case S_DATA: {
            size_t take = n - i < d->left ? n - i : (size_t)d->left;
            if (d->cb.data && d->cb.data(d->ud, p + i, take, e)) return -1;
            d->decoded += take;
            d->left -= take;
            i += take;
            if (!d->left) d->st = S_DATA_CR;
            break;
        }
        case S_DATA_CR:
            if (p[i++] != '\r') return bad(e, "chunk data longer than its size");
            d->st = S_DATA_LF;
            break;
        case S_DATA_LF:
            if (p[i++] != '\n') return bad(e, "chunk data not followed by CRLF");
            if (d->cb.chunk_end && d->cb.chunk_end(d->ud, e)) return -1;
            d->st = S_HEAD;
            break;
        case S_DONE: return bad(e, "bytes after the final chunk");
        }
    }
    return 0;
}

int awschunk_finish(awschunk *d, ferr *e)
{
    if (d->st == S_DONE) return 0;
    /* clients that send no trailer section end with the 0 chunk's CRLF and a bare CRLF; some
     * leave the last CRLF out */
    if (d->st == S_TRAILER && !d->llen && !d->cr && !d->ntrailers) return 0;
    return bad(e, "the body ended inside a chunk");
}
