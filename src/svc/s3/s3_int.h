/* Amazon S3 (rest-xml). Buckets are one global namespace: documents "s3.bucket" keyed by
 * name (account and region ""), each naming its owner account and its region. An object's
 * current version is a document "s3.object" keyed "BUCKET/KEY" (so a bucket's keys list in
 * S3's order, UTF-8 binary); its bytes are a blob (store/blob.h) that the document names,
 * and "s3.blobref" documents keyed by blob id answer the blob sweep's "still referenced?".
 *
 * Internal to src/svc/s3/: s3.c (the service, buckets' common checks, authorization),
 * bucket.c (bucket operations), object.c (objects), list.c (listings), config.c (bucket
 * subresources and object tags and ACLs), notify.c (event notifications), lifecycle.c
 * (lifecycle expiration). */
#ifndef FERRY_SVC_S3_INT_H
#define FERRY_SVC_S3_INT_H
#include <jansson.h>

#include "svc/s3/documents.h"
#include "svc/svc.h"

#define S3_BUCKET_KIND  "s3.bucket"
#define S3_OBJECT_KIND  "s3.object"
#define S3_VERSION_KIND "s3.version" /* versions.c */
#define S3_MAX_KEY      1024         /* bytes of UTF-8 */

/* A loaded bucket: doc and strings in the call's arena. */
typedef struct s3_bucket {
    json_t *doc;
    const char *name, *owner, *region, *arn;
    int shared; /* s3_bucket_view's: doc is not this call's to change */
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
/* s3_bucket_open for an operation that does not change the bucket: b->doc may be a document
 * shared with other calls (held until the call ends), never to be changed or saved. */
int s3_bucket_view(call *c, const char *name, const char *key, const char *action, s3_bucket *b);
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
/* CopySource ("bucket/key[?versionId=v]", percent-encoded) opened for reading as the caller
 * (s3:GetObject or s3:GetObjectVersion): 0 with its bucket and object document, or -1. */
int s3_copy_source_open(call *c, const char *cs, const char **bucket, const char **key,
                        const char **vid, s3_bucket *b, json_t **doc);
/* Removes bucket/key's current object document old (its blobs lose a name). */
int s3_object_drop(call *c, const char *bucket, const char *key, json_t *old);
/* One more (delta 1) or one fewer (-1) name for each blob an object or version document
 * names ("Blob", or "Parts"[].Blob; a delete marker names none). */
int s3_doc_refs(call *c, const json_t *doc, int delta);
/* Every document of kind whose id begins with prefix, after `after` (NULL: from the start),
 * at most limit (0: all), in id order: an array in the arena, or NULL with c->err. */
json_t *s3_list_docs(call *c, const char *kind, const char *prefix, const char *after, int limit);
/* One more (delta 1) or one fewer (-1) document naming blob id. */
int s3_blob_ref(call *c, const char *id, int delta);
/* The object's bytes [off, off + len) as the call's output payload. */
int s3_object_stream(call *c, const json_t *doc, uint64_t off, uint64_t len);
/* The content headers, metadata and storage class of in into doc. */
int s3_take_content(call *c, json_t *doc, const json_t *in);
char *s3_etag_of(call *c, const unsigned char md5[16]); /* "\"hex\"" in the arena */
/* Conditional writes (PutObject, CompleteMultipartUpload, CopyObject's destination): If-None-Match "*" creates only,
 * If-Match ETag replaces only that object; old: the current object or NULL. */
int s3_write_conditions(call *c, const json_t *in, const json_t *old);

/* ---- versions.c ---- */
/* Writes doc as key's new current version, as the bucket's versioning says (none: it replaces
 * old; Enabled: a new version id; Suspended: the "null" version), setting doc's VersionId. */
int s3_version_write(call *c, const s3_bucket *b, const char *key, json_t *doc, json_t *old);
/* DeleteObject: without vid, removes the object or (versioned) adds a delete marker; with
 * vid, removes that version for good. Answers DeleteMarker/VersionId into out. */
int s3_version_delete(call *c, const s3_bucket *b, const char *key, const char *vid, json_t *old,
                      json_t *out);
/* Version vid of key into *doc (the arena's): 0, or -1 with NoSuchVersion, InvalidArgument,
 * or MethodNotAllowed for a delete marker. */
int s3_version_load(call *c, const s3_bucket *b, const char *key, const char *vid, json_t **doc);
/* Stores doc's member field (absent: removed) into the version doc is (object tags and
 * ACLs): the key's object document if it is the current version, its version document if
 * the bucket keeps versions. 0 or -1. */
int s3_version_set(call *c, const s3_bucket *b, const char *key, const json_t *doc,
                   const char *field);

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

/* ---- config.c ---- */
#define S3_MAX_BUCKET_TAGS 50
#define S3_MAX_OBJECT_TAGS 10
/* 0 when tags ([{Key, Value}]) are at most max valid tags, else -1 with InvalidTag,
 * BadRequest (too many object tags) or MalformedXML as AWS answers. */
int s3_tags_check(call *c, const json_t *tags, size_t max);
/* x-amz-tagging ("k1=v1&k2=v2", URL-encoded) as a checked TagSet [{Key, Value}] in *tags
 * (the arena's; an empty array for ""). 0 or -1 with c->err. */
int s3_tags_from_header(call *c, const char *header, json_t **tags);
/* The bucket's default encryption for new objects: *alg "AES256" (AWS's default since 2023),
 * "aws:kms" or "aws:kms:dsse", and *kms_key_id the key it names or NULL (KMS's default
 * aws/s3 key). Strings borrowed from b->doc. Returns 0. */
int s3_bucket_encryption(call *c, const s3_bucket *b, const char **alg, const char **kms_key_id);
/* 1 when the bucket's Block Public Access flag ("BlockPublicAcls", "IgnorePublicAcls",
 * "BlockPublicPolicy", "RestrictPublicBuckets") is on (all are, by default). */
int s3_public_access_block(const s3_bucket *b, const char *flag);
/* 1 when policy (JSON text) grants access to everyone, as AWS decides "public". */
int s3_policy_is_public(const char *policy);
/* 0 when policy may be set on b, -1 (AccessDenied) when it is public and BlockPublicPolicy
 * is on. */
int s3_policy_allowed(call *c, const s3_bucket *b, const char *policy);
/* 0 when an ACL write (in: ACL, Grant* and AccessControlPolicy members) is allowed on b's
 * Object Ownership, else -1 with AccessControlListNotSupported (BucketOwnerEnforced takes
 * only the owner's full control: private, bucket-owner-full-control). */
int s3_acl_check(call *c, const s3_bucket *b, const json_t *in);
/* "Enabled", "Suspended", or NULL when the bucket was never versioned (borrowed). */
const char *s3_bucket_versioning(const s3_bucket *b);

/* ---- notify.c ---- */
/* Sends event ("s3:ObjectCreated:Put", "s3:ObjectRemoved:Delete", ...) about key to every
 * destination of b's notification configuration whose events and filter match, inside the
 * call's transaction (so it is sent exactly when the change commits), as the service
 * principal s3.amazonaws.com with aws:SourceArn = the bucket's ARN and aws:SourceAccount =
 * its owner. A destination that refuses or is gone is skipped, as AWS drops such events.
 * size < 0 and etag NULL are left out (deletes). 0, or -1 with c->err on OOM only. */
int s3_notify(call *c, const s3_bucket *b, const char *event, const char *key, long long size,
              const char *etag);
/* 1 when event matches pattern ("s3:ObjectCreated:*" or the exact name). */
int s3_event_matches(const char *pattern, const char *event);
/* 1 when key passes filter ({"Key": {"FilterRules": [{"Name": "prefix"|"suffix", "Value"}]}},
 * NULL: every key). */
int s3_filter_matches(const json_t *filter, const char *key);

/* ---- lifecycle.c ---- */
/* An internal call whose c->arg is &s3_lifecycle_marker is S3's own lifecycle sweep: it acts
 * with the service's authority (s3_bucket_open does not authorize it) and its deletions
 * notify as s3:LifecycleExpiration:*. */
extern const char s3_lifecycle_marker;
/* 1 when lifecycle rule (the API's shape) expires the current object key (its document obj)
 * at now (epoch seconds). */
int s3_lifecycle_expires(const json_t *rule, const char *key, const json_t *obj, double now);
/* The DeleteObject handler (the lifecycle sweep deletes through it). */
int s3_op_delete_object(call *c, json_t *in, json_t **out);

#endif
