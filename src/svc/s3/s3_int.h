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

#endif
