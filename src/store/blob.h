/* Object bytes beside the document store (issue 10, S3): streamed in and out, never a whole
 * object in memory, with the digests S3 answers computed as the bytes pass.
 *
 * Visibility handshake (a kill -9 at any moment leaves no half-visible object and no blob
 * that is never reclaimed):
 *   1. blob_writer_new + blob_write stream the bytes to a temporary the backend keeps apart;
 *   2. blob_writer_commit stores them under a fresh random id (files: a link of the unnamed
 *      temporary, or a rename of a named one; with STORE_SYNC_FULL fsync before and the
 *      directory after, as the store syncs its commits then). Nothing refers to the id
 *      yet, so nobody can see it;
 *   3. the caller puts the id in its document (object metadata) inside its store
 *      transaction and commits: the object becomes visible with its bytes already durable;
 *   4. a caller that drops the last reference calls blob_delete after that commit.
 * A crash between 1 and 2 leaves a temporary (none when it was unnamed), between 2 and 3 (or a rolled-back
 * transaction) an unreferenced blob, between the commit of 4 and blob_delete the same:
 * blob_sweep removes temporaries and unreferenced blobs older than a grace period. The grace
 * period must exceed the time from blob_writer_commit to the caller's store commit (the sweep
 * may otherwise take a blob whose reference is about to commit); the owner of the documents
 * answers "is this id referenced?" through a callback, so this module knows no layout. The
 * owner runs blob_sweep at startup and then periodically, outside any store write lock. */
#ifndef FERRY_BLOB_H
#define FERRY_BLOB_H
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "store/store.h"

#define BLOB_ID_LEN 32 /* lowercase hex, 128 random bits */
#define BLOB_TO_END UINT64_MAX

typedef struct blob_store blob_store;
typedef struct blob_writer blob_writer;
typedef struct blob_reader blob_reader;

/* Optional digests: SHA-256 (x-amz-content-sha256, x-amz-checksum-sha256), CRC32 and
 * CRC32C (x-amz-checksum-crc32 / -crc32c), each only when there is one to check or answer:
 * a presigned PUT hashes nothing but the MD5 of its ETag, which is always computed. */
enum { BLOB_CRC32 = 1, BLOB_CRC32C = 2, BLOB_SHA256 = 4 };

typedef struct blob_info {
    char id[BLOB_ID_LEN + 1];
    uint64_t size;
    unsigned char md5[16];    /* the ETag of a single-part PUT */
    unsigned char sha256[32]; /* these three valid when asked for in blob_writer_new's flags */
    uint32_t crc32, crc32c;
} blob_info;

/* At-rest encryption (S3 SSE). A blob written with a key is sealed with AES-256-GCM in
 * chunks of BLOB_SEAL_CHUNK plaintext bytes, so a range read opens only the chunks it
 * covers: chunk i is stored at i * (BLOB_SEAL_CHUNK + 16) as ciphertext then its 16-byte
 * tag; the last chunk may be shorter, and an empty blob is one empty chunk (its tag alone).
 * Nonce = the key's 4-byte prefix || i as 8 bytes big endian; AAD = the blob id || i || a
 * last-chunk flag, so chunks cannot be reordered, swapped between blobs or cut off. A key
 * must seal one blob only (S3 SSE: a fresh data key per object, kept wrapped by KMS in the
 * object's metadata with the prefix). Digests are of the plaintext. */
#define BLOB_SEAL_CHUNK (64 * 1024)
typedef struct blob_key {
    unsigned char key[32];         /* the data key KMS generated, plaintext, never stored */
    unsigned char nonce_prefix[4]; /* random per blob */
} blob_key;

/* One way of keeping bytes; blob.c does ids, digests, ranges and the sweep above it. Files
 * (blob_files.c) is the default; a PostgreSQL team server can keep large objects or a shared
 * directory with the same table. Handles are the backend's own. */
typedef int (*blob_scan_cb)(void *ud, const char *id, int temporary, double mtime, ferr *e);
typedef struct blob_backend {
    const char *name;
    void *(*open)(const char *location, ferr *e);
    void (*close)(void *impl);
    /* a temporary for id (BLOB_ID_LEN + 1 bytes: a fresh random id, which the backend may
     * replace with another fresh one of the same shape that says where it keeps the bytes),
     * written in order */
    void *(*create)(void *impl, char *id, ferr *e);
    int (*write)(void *w, const void *p, size_t n, ferr *e);
    /* stored under its id when it returns 0 (durable: also across power loss); frees w
     * either way */
    int (*commit)(void *impl, void *w, int durable, ferr *e);
    void (*abort)(void *impl, void *w); /* frees w and removes the temporary */
    /* 1 opened (*size set), 0 no such blob, -1 error */
    int (*open_read)(void *impl, const char *id, void **r, uint64_t *size, ferr *e);
    int (*pread)(void *r, void *p, size_t n, uint64_t off, size_t *got, ferr *e);
    void (*close_read)(void *r);
    /* 1 removed, 0 absent, -1 error */
    int (*remove)(void *impl, const char *id, int temporary, ferr *e);
    /* every blob and temporary; cb returning non-zero stops (-1 with e set: an error) */
    int (*scan)(void *impl, blob_scan_cb cb, void *ud, ferr *e);
} blob_backend;

extern const blob_backend blob_files_backend; /* location: <data>/blobs, 0700, files 0600 */

/* Opens (creating) the store at location with backend (NULL: files). sync is the document
 * store's: blobs are as durable as the commits that name them. Caller owns. Any number of
 * threads may use one store; each handle belongs to one thread at a time. */
blob_store *blob_store_open(const blob_backend *backend, const char *location, store_sync sync,
                            ferr *e);
void blob_store_close(blob_store *bs); /* NULL is a no-op */

/* flags: BLOB_SHA256 | BLOB_CRC32 | BLOB_CRC32C. key: NULL for plaintext, else the blob is sealed (above)
 * and must be read with the same key. Caller owns *out until commit or abort. */
int blob_writer_new(blob_store *bs, unsigned flags, const blob_key *key, blob_writer **out,
                    ferr *e);
/* After a failed write the writer can only be aborted. */
int blob_write(blob_writer *w, const void *p, size_t n, ferr *e);
/* Stored under info->id (step 2 above). Frees w, also on failure (the temporary is gone). */
int blob_writer_commit(blob_writer *w, blob_info *info, ferr *e);
void blob_writer_abort(blob_writer *w); /* frees w and its temporary; NULL is a no-op */

/* A reader of bytes [off, off + len) of blob id (len BLOB_TO_END: to the end; a range past
 * the end is clamped to it, and off beyond the size is S3's 416 InvalidRange). key: the one
 * it was written with (NULL: plaintext); a wrong key or altered bytes fail blob_read, which
 * opens only the chunks the range covers. 1 opened, 0 no such blob (or a malformed id),
 * -1 error. Caller owns *out. */
int blob_reader_new(blob_store *bs, const char *id, const blob_key *key, uint64_t off, uint64_t len,
                    blob_reader **out, ferr *e);
uint64_t blob_reader_size(const blob_reader *r);      /* the whole blob's (plaintext) size */
uint64_t blob_reader_remaining(const blob_reader *r); /* of the range */
/* Up to n bytes of the range in order; *got 0 at its end. */
int blob_read(blob_reader *r, void *p, size_t n, size_t *got, ferr *e);
void blob_reader_free(blob_reader *r); /* NULL is a no-op */

/* 1 deleted, 0 absent (or a malformed id), -1 error. Only after the store commit that
 * dropped the last reference (step 4). */
int blob_delete(blob_store *bs, const char *id, ferr *e);

/* *referenced = 1 when a committed document names id. Any error stops the sweep. */
typedef int (*blob_ref_cb)(void *ud, const char *id, int *referenced, ferr *e);
/* A grace period for blob_sweep: far above the moment between a PUT's blob commit and its
 * store commit, and below any time a client would wait for its object's space back. */
#define BLOB_SWEEP_GRACE 3600.0
typedef struct blob_sweep_stats {
    long long temporaries, unreferenced, kept;
} blob_sweep_stats;
/* Removes temporaries and unreferenced blobs last written more than grace seconds before
 * now (seconds since the epoch). stats may be NULL. */
int blob_sweep(blob_store *bs, double now, double grace, blob_ref_cb referenced, void *ud,
               blob_sweep_stats *stats, ferr *e);

/* The digests alone, for multipart ETags and checks of what a client sent. */
uint32_t blob_crc32(uint32_t crc, const void *p, size_t n);
uint32_t blob_crc32c(uint32_t crc, const void *p, size_t n);

#endif
