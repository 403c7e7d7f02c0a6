/* Amazon S3 (rest-xml). Buckets are one global namespace: documents "s3.bucket" keyed by
 * name (account and region ""), each naming its owner account and its region. An object's
 * current version is a document "s3.object" keyed "BUCKET/KEY" (so a bucket's keys list in
 * S3's order, UTF-8 binary); its bytes are a blob (store/blob.h) that the document names,
 * and "s3.blobref" documents keyed by blob id answer the blob sweep's "still referenced?".
 *
 * Internal to src/svc/s3/: s3.c (the service, buckets' common checks, authorization),
 * bucket.c (bucket operations), object.c (objects), list.c (listings). */
#ifndef FERRY_SVC_S3_INT_H
#define FERRY_SVC_S3_INT_H
#include <jansson.h>

#include "svc/svc.h"

#define S3_BUCKET_KIND  "s3.bucket"
#define S3_OBJECT_KIND  "s3.object"
#define S3_BLOBREF_KIND "s3.blobref"
#define S3_MAX_KEY      1024 /* bytes of UTF-8 */

/* A loaded bucket: doc and strings in the call's arena. */
typedef struct s3_bucket {
    json_t *doc;
    const char *name, *owner, *region, *arn;
} s3_bucket;

/* 0 when name is a valid bucket name, else -1 with InvalidBucketName. */
int s3_bucket_name_check(call *c, const char *name);
/* Loads bucket name: 1 found, 0 NoSuchBucket set (returned as -1 by the caller), -1 error. */
int s3_bucket_load(call *c, const char *name, s3_bucket *b);
/* Loads the bucket (NoSuchBucket when absent), checks the request's region against the
 * bucket's and authorizes action on resource (the bucket's ARN, or ARN/KEY when key is
 * given) with the bucket policy: across accounts both it and the caller's identity policy
 * must allow. 0 or -1 with c->err. */
int s3_bucket_open(call *c, const char *name, const char *key, const char *action, s3_bucket *b);
int s3_bucket_save(call *c, const s3_bucket *b);

/* "BUCKET/KEY" store ids */
const char *s3_object_id(call *c, const char *bucket, const char *key);
/* 0 when key is a valid object key (1..1024 bytes), else -1 with KeyTooLongError / ... */
int s3_key_check(call *c, const char *key);

/* ---- object.c ---- */
int s3_no_such_key(call *c);
/* The current object document of bucket/key: 1 (*doc in the arena), 0 absent, -1 error. */
int s3_object_load(call *c, const char *bucket, const char *key, json_t **doc);
/* Stores doc as bucket/key's current object, replacing old (NULL: none): the blobs each
 * names gain or lose a name ("Blob", or "Parts"[].Blob for a multipart object). */
int s3_object_put(call *c, const char *bucket, const char *key, json_t *doc, json_t *old);
/* One more (delta 1) or one fewer (-1) document naming blob id. */
int s3_blob_ref(call *c, const char *id, int delta);
/* The object's bytes [off, off + len) as the call's output payload. */
int s3_object_stream(call *c, const json_t *doc, uint64_t off, uint64_t len);
/* The content headers, metadata and storage class of in into doc. */
int s3_take_content(call *c, json_t *doc, const json_t *in);
char *s3_etag_of(call *c, const unsigned char md5[16]); /* "\"hex\"" in the arena */

/* ---- sse.c: server-side encryption ---- */
/* The key the bytes of the object about to be written in bucket b must be sealed with, as
 * the request (in: ServerSideEncryption, SSEKMSKeyId) or else the bucket's default asks:
 * SSE-S3 (a data key wrapped by this installation's S3 key) or SSE-KMS (a data key from
 * GenerateDataKey on the caller's behalf). *key is the plaintext data key, *note what the
 * object's document keeps (JSON text: the algorithm, the wrapped key, the KMS key id); the
 * handler passes both to call_body_want. 0 or -1 with c->err (KMS refusals included). */
int s3_sse_begin(call *c, const s3_bucket *b, const json_t *in, const char *key_arn, blob_key *key,
                 const char **note);
/* Records note's encryption in doc (the object or part) and part (where the wrapped key
 * goes: the object document itself for a single PUT). */
int s3_sse_record(call *c, json_t *doc, json_t *part, const char *note);
/* Opens the data key of part (an object or one of its parts) into seg, on the caller's
 * behalf for SSE-KMS (kms:Decrypt with the object's ARN as context): 0 or -1. */
int s3_sse_open(call *c, const json_t *doc, const json_t *part, call_segment *seg);
/* The response members that describe doc's encryption (ServerSideEncryption, SSEKMSKeyId). */
int s3_sse_describe(call *c, const json_t *doc, json_t *out);

#endif
