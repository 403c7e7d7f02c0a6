/* Small blobs packed into segment files, for the files backend (blob_files.c).
 *
 * Each process appends to segments of its own, <dir>/<token>. Slot i of a segment holds
 * one blob at i * SEG_SLOT: a SEG_HDR-byte header (magic, the blob's id, size, write
 * time, CRC32C of the header) and then the bytes. The id says where: 8 hex digits random,
 * 8 the slot, 16 the segment's token, so a read needs no index. A slot is reserved when a
 * writer starts (the id must be known then: sealing binds it), written once and whole at
 * the commit, and never reused; the file is sparse, so a slot reserved and not written
 * costs nothing. A delete punches the slot's hole, which gives its space back. */
#ifndef FERRY_BLOB_SEGS_H
#define FERRY_BLOB_SEGS_H
#include <stdint.h>

#include "blob.h"

#define SEG_SLOT     (64 * 1024)
#define SEG_HDR      64
#define SEG_DATA_MAX (SEG_SLOT - SEG_HDR) /* more goes to a file of its own, under the id */

typedef struct segs segs;
typedef struct seg seg;

/* Segments in dir (made by the caller, 0700). NULL with e set on failure. */
segs *segs_open(const char *dir, ferr *e);
void segs_close(segs *ss); /* NULL is a no-op */

/* A fresh id naming a slot of this process's segment: 1 (*s: the segment, the caller's
 * reference), 0 when the file system cannot punch holes (the caller keeps the blob in a
 * file), -1 error. */
int segs_reserve(segs *ss, char id[BLOB_ID_LEN + 1], seg **s, ferr *e);
/* 1 while a slot reserved in s may still be written; after that (a writer that took very
 * long) the blob goes to a file, so that a sweep never removes a segment being written. */
int segs_writable(const seg *s);
/* Writes the n bytes (at most SEG_DATA_MAX) into id's slot of s; durable: synced, and the
 * segment's directory entry too the first time. */
int segs_put(seg *s, const char *id, const void *p, size_t n, int durable, ferr *e);
void segs_release(seg *s); /* NULL is a no-op */

/* Reads blob id whole, in one go, so that a delete racing the read cannot cut it short:
 * 1 (*buf malloc'd, the bytes at *buf + SEG_HDR, *size of them), 0 no slot holds id (its
 * bytes may be in a file), -1 error. */
int segs_get(segs *ss, const char *id, unsigned char **buf, uint64_t *size, ferr *e);
/* 1 punched, 0 no slot holds id, -1 error. */
int segs_remove(segs *ss, const char *id, ferr *e);
/* cb for every blob in a slot (temporary 0, mtime its write time). Also punches slots of
 * old segments that hold bytes without a header (a crash mid-write) and removes segments
 * that have held nothing for hours. */
int segs_scan(segs *ss, blob_scan_cb cb, void *ud, ferr *e);

#endif
