/* The aws-chunked content encoding (S3 streaming uploads), decoded as it arrives:
 *   HEX-SIZE[;chunk-signature=SIG]\r\n DATA \r\n ... 0[;chunk-signature=SIG]\r\n
 *   [name:value\r\n ...] \r\n
 * The trailer lines (x-amz-checksum-crc32:..., x-amz-trailer-signature:...) follow the last
 * chunk when the client announced them (x-amz-trailer). The decoder holds no payload: it
 * hands data on as it is fed, in whatever pieces the network gave. */
#ifndef FERRY_PROTO_CHUNKED_H
#define FERRY_PROTO_CHUNKED_H
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef struct awschunk_cb {
    /* a chunk begins: its size and its chunk-signature (NULL when unsigned) */
    int (*chunk)(void *ud, uint64_t size, const char *signature, ferr *e);
    int (*data)(void *ud, const void *p, size_t n, ferr *e);
    /* the chunk's data is complete (after its CRLF); also called for the final 0 chunk */
    int (*chunk_end)(void *ud, ferr *e);
    /* one trailer line, name lowercased */
    int (*trailer)(void *ud, const char *name, const char *value, ferr *e);
} awschunk_cb;

typedef struct awschunk awschunk;

awschunk *awschunk_new(const awschunk_cb *cb, void *ud); /* NULL on OOM; caller owns */
void awschunk_free(awschunk *d);
/* Feeds n bytes. 0, or -1 with e (400 IncompleteBody for malformed framing, or what a
 * callback set). Bytes after the end of the encoding are refused. */
int awschunk_feed(awschunk *d, const void *p, size_t n, ferr *e);
/* The body is over: 0 when the encoding ended properly, else -1 with 400 IncompleteBody. */
int awschunk_finish(awschunk *d, ferr *e);
/* Payload bytes decoded so far. */
uint64_t awschunk_decoded(const awschunk *d);

#endif
