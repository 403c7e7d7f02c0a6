/* Growable byte buffer with a hard cap (curl dynbuf style). Always NUL-terminated
 * when non-empty. Once an append fails the buffer stays failed. */
#ifndef FERRY_BUF_H
#define FERRY_BUF_H
#include <stddef.h>

typedef struct buf {
    char *p;
    size_t len, cap, max; /* max 0 = unlimited */
    int failed;
} buf;

void buf_init(buf *b, size_t max);
void buf_dispose(buf *b); /* frees storage, keeps the struct */
char *buf_take(buf *b);   /* caller owns the returned string (never NULL on success) */
int buf_put(buf *b, const void *p, size_t n);
int buf_puts(buf *b, const char *s);
int buf_putc(buf *b, char c);
int buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(buf *b);
const char *buf_str(const buf *b); /* "" when empty */
/* Appends p[0..n) to the buf ud: a write callback (jansson's json_dump_callback). 0 or -1. */
int buf_sink(const char *p, size_t n, void *ud);

#endif
