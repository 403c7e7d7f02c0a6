/* Multipart uploads. An upload is a document "s3.upload" keyed "BUCKET/UPLOADID"; each part
 * a document "s3.part" keyed "UPLOADID/NNNNN" naming its own blob, sealed with a data key of
 * its own. Completing writes an object whose "Parts" name those blobs in order: the bytes are
 * never copied, and GetObject streams across them. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "s3_int.h"

#define S3_UPLOAD_KIND "s3.upload"
#define S3_PART_KIND   "s3.part"
#define MAX_PARTS      10000
#define MIN_PART       (5ULL << 20) /* AWS: every part but the last is at least 5 MiB */
#define MAX_PART       (5ULL << 30)

static int part_put(call *c, const char *uid, long long n, json_t *part);

static int no_such_upload(call *c)
{
    return ferr_set(c->err, 404, "NoSuchUpload",
                    "The specified upload does not exist. The upload ID may be invalid, or the "
                    "upload may have been aborted or completed.");
}

typedef struct upload_doc {
    json_t *doc;
    const char *id; /* "BUCKET/UPLOADID" */
} upload_doc;

/* The upload of in's Bucket, Key and UploadId: 0, or -1 (NoSuchUpload). */
static int upload_load(call *c, const json_t *in, upload_doc *u)
{
    const char *bucket = jstr(in, "Bucket"), *uid = jstr(in, "UploadId");
    u->id = uid ? arena_printf(c->a, "%s/%s", bucket, uid) : NULL;
    if (!u->id) return uid ? ferr_oom(c->err) : no_such_upload(c);
    store_key k = {S3_UPLOAD_KIND, "", "", u->id};
    int rc = store_get(c->txn, &k, &u->doc, c->err);
    if (rc <= 0) return rc < 0 ? -1 : no_such_upload(c);
    if (!arena_defer_json(c->a, u->doc)) return ferr_oom(c->err);
    const char *key = jstr(in, "Key");
    if (!key || strcmp(key, jstr(u->doc, "Key") ? jstr(u->doc, "Key") : ""))
        return no_such_upload(c);
    return 0;
}

/* The bucket (action authorized on the key) and the upload a part operation names. */
static int open_upload(call *c, const json_t *in, const char *action, s3_bucket *b, upload_doc *u)
{
    if (s3_bucket_view(c, jstr(in, "Bucket"), jstr(in, "Key"), action, b)) return -1;
    return upload_load(c, in, u);
}

/* The bucket, upload and part number (*n) an UploadPart or UploadPartCopy names. */
static int open_part(call *c, const json_t *in, s3_bucket *b, upload_doc *u, long long *n)
{
    if (s3_bucket_view(c, jstr(in, "Bucket"), jstr(in, "Key"), "s3:PutObject", b)) return -1;
    *n = jint(in, "PartNumber", 0);
    if (*n < 1 || *n > MAX_PARTS)
        return ferr_set(c->err, 400, "InvalidArgument",
                        "Part number must be an integer between 1 and 10000, inclusive");
    return upload_load(c, in, u);
}

static const char *part_id(call *c, const char *uid, long long n)
{
    const char *id = arena_printf(c->a, "%s/%05lld", uid, n);
    if (!id) ferr_oom(c->err);
    return id;
}

int s3_op_create_multipart_upload(call *c, json_t *in, json_t **out)
{
    const char *bucket = jstr(in, "Bucket"), *key = jstr(in, "Key");
    if (s3_key_check(c, key)) return -1;
    s3_bucket b;
    if (s3_bucket_view(c, bucket, key, "s3:PutObject", &b)) return -1;
    unsigned char r[24];
    ids_random_small(r, sizeof(r));
    char uid[33];
    enc_hex(r, 16, uid);
    json_t *doc = arena_defer_json(c->a, json_pack("{s:s, s:s, s:s, s:f, s:s, s:s}", "Bucket",
                                                   bucket, "Key", key, "UploadId", uid, "Initiated",
                                                   clock_now(), "Owner", c->account, "Initiator",
                                                   c->who ? c->who->arn : c->account));
    if (!doc || s3_take_content(c, doc, in)) return ferr_oom(c->err);
    /* every part is sealed as the upload says (SSE-S3, or SSE-KMS with this key) */
    static const char *const keep[] = {"ServerSideEncryption", "SSEKMSKeyId", "ChecksumAlgorithm",
                                       NULL};
    for (int i = 0; keep[i]; i++) {
        json_t *v = json_object_get(in, keep[i]);
        if (v && json_object_set(doc, keep[i], v)) return ferr_oom(c->err);
    }
    const char *id = arena_printf(c->a, "%s/%s", bucket, uid);
    if (!id) return ferr_oom(c->err);
    store_key k = {S3_UPLOAD_KIND, "", "", id};
    if (store_put(c->txn, &k, doc, c->err)) return -1;
    *out = svc_out(c, json_pack("{s:s, s:s, s:s}", "Bucket", bucket, "Key", key, "UploadId", uid));
    return 0;
}

int s3_op_upload_part(call *c, json_t *in, json_t **out)
{
    const char *key = jstr(in, "Key");
    s3_bucket b;
    upload_doc u;
    long long n;
    if (open_part(c, in, &b, &u, &n)) return -1;
    if (jint(in, "ContentLength", 0) > (long long)MAX_PART)
        return ferr_set(c->err, 400, "EntityTooLarge",
                        "Your proposed upload exceeds the maximum allowed size");
    const char *arn = arena_printf(c->a, "%s/%s", b.arn, key);
    if (!arn) return ferr_oom(c->err);
    const call_body *body = call_body_in(c);
    if (!body) {
        blob_key dk;
        const char *note;
        if (s3_sse_begin(c, &b, u.doc, arn, &dk, &note)) return -1;
        int rc = call_body_want(c, &dk, note);
        OPENSSL_cleanse(&dk, sizeof(dk));
        return rc;
    }
    const char *etag = s3_etag_of(c, body->info.md5);
    json_t *part = arena_defer_json(
        c->a, json_pack("{s:I, s:s, s:I, s:s, s:f}", "PartNumber", (json_int_t)n, "Blob",
                        body->info.id, "Size", (json_int_t)body->info.size, "ETag", etag,
                        "LastModified", (double)(long long)clock_now()));
    json_t *scratch = arena_defer_json(c->a, json_object());
    if (!part || !scratch) return ferr_oom(c->err);
    if (s3_sse_record(c, scratch, part, body->note) ||
        jset_str(part, "ServerSideEncryption", jstr(scratch, "ServerSideEncryption")) ||
        jset_str(part, "SSEKMSKeyId", jstr(scratch, "SSEKMSKeyId")))
        return -1;
    if (body->checksum_alg && (jset_str(part, "ChecksumAlgorithm", body->checksum_alg) ||
                               jset_str(part, "Checksum", body->checksum)))
        return ferr_oom(c->err);
    if (part_put(c, jstr(u.doc, "UploadId"), n, part)) return -1;
    json_t *o = json_pack("{s:s}", "ETag", etag);
    if (o && body->checksum_alg) {
        char *m = arena_printf(c->a, "Checksum%s", body->checksum_alg);
        if (!m || json_object_set_new(o, m, json_string(body->checksum))) {
            json_decref(o);
            o = NULL;
        }
    }
    if (o && s3_sse_describe(c, scratch, o)) {
        json_decref(o);
        return -1;
    }
    *out = svc_out(c, o);
    return 0;
}

/* One more or one fewer name for each blob a part document names: its own blob, or for a
 * part copied from other objects (UploadPartCopy) the blobs of its segments. */
static int part_refs(call *c, const json_t *part, int delta)
{
    if (jstr(part, "Blob")) return s3_blob_ref(c, jstr(part, "Blob"), delta);
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(part, "Segments"), i, g) {
        if (jstr(g, "Blob") && s3_blob_ref(c, jstr(g, "Blob"), delta)) return -1;
    }
    return 0;
}

/* Stores part as upload uid's part n, replacing the one there. */
static int part_put(call *c, const char *uid, long long n, json_t *part)
{
    const char *pid = part_id(c, uid, n);
    if (!pid) return -1;
    store_key k = {S3_PART_KIND, "", "", pid};
    json_t *old = NULL;
    if (store_get(c->txn, &k, &old, c->err) < 0) return -1;
    int rc = old ? part_refs(c, old, -1) : 0;
    json_decref(old);
    if (rc || part_refs(c, part, 1)) return -1;
    return store_put(c->txn, &k, part, c->err);
}

/* Every part of upload uid, in part number order (in the arena). */
static json_t *parts_of(call *c, const char *uid, const char *after, int limit)
{
    const char *prefix = arena_printf(c->a, "%s/", uid);
    if (!prefix) {
        ferr_oom(c->err);
        return NULL;
    }
    return s3_list_docs(c, S3_PART_KIND, prefix, after, limit);
}

/* Drops the upload and its parts; parts not in keep (NULL: none) lose their blob's name. */
static int upload_drop(call *c, upload_doc *u, json_t *parts, const json_t *keep)
{
    size_t i;
    json_t *p;
    json_array_foreach(parts, i, p) {
        int kept = 0;
        size_t j;
        json_t *q;
        json_array_foreach((json_t *)keep, j, q)
            kept |= jint(q, "PartNumber", 0) == jint(p, "PartNumber", -1);
        if (!kept && part_refs(c, p, -1)) return -1;
        const char *pid = part_id(c, jstr(u->doc, "UploadId"), jint(p, "PartNumber", 0));
        store_key k = {S3_PART_KIND, "", "", pid};
        if (!pid || store_del(c->txn, &k, c->err) < 0) return -1;
    }
    store_key k = {S3_UPLOAD_KIND, "", "", u->id};
    return store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
}

int s3_op_abort_multipart_upload(call *c, json_t *in, json_t **out)
{
    (void)out;
    s3_bucket b;
    upload_doc u;
    if (open_upload(c, in, "s3:AbortMultipartUpload", &b, &u)) return -1;
    json_t *parts = parts_of(c, jstr(u.doc, "UploadId"), NULL, 0);
    return parts ? upload_drop(c, &u, parts, NULL) : -1;
}

static int invalid_part(call *c)
{
    return ferr_set(c->err, 400, "InvalidPart",
                    "One or more of the specified parts could not be found.  The part may not "
                    "have been uploaded, or the specified entity tag may not match the part's "
                    "entity tag.");
}

/* An ETag as S3 prints it ("\"hex\"", or bare as some clients send it) -> its 16 bytes: 0, or -1. */
static int etag_md5(const char *etag, unsigned char md5[16])
{
    if (!etag) return -1;
    size_t n = strlen(etag);
    char bare[33];
    if (n == 34 && etag[0] == '"' && etag[33] == '"') {
        memcpy(bare, etag + 1, 32);
        bare[32] = 0;
        etag = bare;
    }
    return enc_unhex(etag, md5, 16);
}

int s3_op_complete_multipart_upload(call *c, json_t *in, json_t **out)
{
    const char *bucket = jstr(in, "Bucket"), *key = jstr(in, "Key");
    s3_bucket b;
    upload_doc u;
    if (open_upload(c, in, "s3:PutObject", &b, &u)) return -1;
    json_t *want = json_object_get(json_object_get(in, "MultipartUpload"), "Parts");
    size_t n = json_array_size(want);
    if (!n)
        return ferr_set(c->err, 400, "MalformedXML",
                        "The XML you provided was not well-formed or did not validate against our "
                        "published schema");
    json_t *have = parts_of(c, jstr(u.doc, "UploadId"), NULL, 0);
    if (!have) return -1;
    json_t *segs = arena_defer_json(c->a, json_array()),
           *keep = arena_defer_json(c->a, json_array());
    if (!segs || !keep) return ferr_oom(c->err);
    /* the ETag is the MD5 of the parts' MD5s, then "-N" */
    unsigned char *md5s = arena_alloc(c->a, 16 * n);
    if (!md5s) return ferr_oom(c->err);
    long long prev = 0, total = 0;
    size_t i;
    json_t *w;
    json_array_foreach(want, i, w) {
        long long pn = jint(w, "PartNumber", 0);
        if (pn <= prev)
            return ferr_set(c->err, 400, "InvalidPartOrder",
                            "The list of parts was not in ascending order. Parts must be ordered "
                            "by part number.");
        prev = pn;
        json_t *p = NULL, *x;
        size_t j;
        json_array_foreach(have, j, x)
            if (jint(x, "PartNumber", 0) == pn) p = x;
        unsigned char md5[16], given[16];
        if (!p || etag_md5(jstr(p, "ETag"), md5) || etag_md5(jstr(w, "ETag"), given) ||
            memcmp(md5, given, 16))
            return invalid_part(c);
        long long size = jint(p, "Size", 0);
        if (i + 1 < n && (unsigned long long)size < MIN_PART)
            return ferr_set(c->err, 400, "EntityTooSmall",
                            "Your proposed upload is smaller than the minimum allowed object "
                            "size.");
        memcpy(md5s + 16 * i, md5, 16);
        total += size;
        if (json_object_get(p, "Segments")) { /* a copied part: its segments, in order */
            size_t k;
            json_t *g;
            json_array_foreach(json_object_get(p, "Segments"), k, g) {
                if (json_array_append(segs, g)) return ferr_oom(c->err);
            }
        } else {
            json_t *seg = json_pack("{s:s?, s:I, s:s?, s:s?}", "Blob", jstr(p, "Blob"), "Size",
                                    (json_int_t)size, "DataKey", jstr(p, "DataKey"), "NoncePrefix",
                                    jstr(p, "NoncePrefix"));
            if (!seg || json_array_append_new(segs, seg)) return ferr_oom(c->err);
        }
        if (json_array_append(keep, p)) return ferr_oom(c->err);
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    if (!EVP_Digest(md5s, 16 * n, d, NULL, EVP_md5(), NULL))
        return ferr_internal(c->err, "MD5 failed");
    char hex[33];
    enc_hex(d, 16, hex);
    const char *etag = arena_printf(c->a, "\"%s-%zu\"", hex, n);
    const char *arn = arena_printf(c->a, "%s/%s", b.arn, key);
    json_t *doc = arena_defer_json(c->a, json_pack("{s:s, s:O, s:I, s:s, s:f, s:s}", "Key", key,
                                                   "Parts", segs, "Size", (json_int_t)total, "ETag",
                                                   etag, "LastModified",
                                                   (double)(long long)clock_now(), "KeyArn", arn));
    if (!doc || s3_take_content(c, doc, u.doc)) return ferr_oom(c->err);
    /* the parts were sealed as the upload (or the bucket's default) said */
    json_t *first = json_array_get(keep, 0);
    if (json_object_get(first, "Segments"))
        first = json_array_get(json_object_get(first, "Segments"), 0);
    if (jset_str(doc, "ServerSideEncryption", jstr(first, "ServerSideEncryption")) ||
        jset_str(doc, "SSEKMSKeyId", jstr(first, "SSEKMSKeyId")))
        return ferr_oom(c->err);
    json_t *old = NULL;
    int rc = s3_object_load(c, bucket, key, &old);
    if (rc < 0 || s3_write_conditions(c, in, rc ? old : NULL)) return -1;
    /* the object takes over the kept parts' names on their blobs: the parts lose theirs */
    if (s3_version_write(c, &b, key, doc, rc ? old : NULL) ||
        s3_notify(c, &b, "s3:ObjectCreated:CompleteMultipartUpload", key, total, etag))
        return -1;
    json_array_foreach(keep, i, w) {
        if (part_refs(c, w, -1)) return -1;
    }
    if (upload_drop(c, &u, have, keep)) return -1;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s?}", "Location",
                          arena_printf(c->a, "%s/%s/%s", c->env->endpoint, bucket, key), "Bucket",
                          bucket, "Key", key, "ETag", etag, "VersionId", jstr(doc, "VersionId"));
    if (o && s3_sse_describe(c, doc, o)) {
        json_decref(o);
        return -1;
    }
    *out = svc_out(c, o);
    return 0;
}

int s3_op_list_parts(call *c, json_t *in, json_t **out)
{
    const char *bucket = jstr(in, "Bucket"), *key = jstr(in, "Key");
    s3_bucket b;
    upload_doc u;
    if (open_upload(c, in, "s3:ListMultipartUploadParts", &b, &u)) return -1;
    long long max = jint(in, "MaxParts", 1000), marker = jint(in, "PartNumberMarker", 0);
    if (max < 0 || max > 1000) max = 1000;
    const char *uid = jstr(u.doc, "UploadId");
    const char *after = marker > 0 ? part_id(c, uid, marker) : NULL;
    json_t *parts = parts_of(c, uid, after, (int)max + 1);
    if (!parts) return -1;
    int truncated = json_array_size(parts) > (size_t)max;
    json_t *list = arena_defer_json(c->a, json_array());
    if (!list) return ferr_oom(c->err);
    size_t i;
    json_t *p;
    long long last = 0;
    json_array_foreach(parts, i, p) {
        if ((long long)i >= max) break;
        last = jint(p, "PartNumber", 0);
        json_t *x =
            json_pack("{s:O?, s:O?, s:O?, s:O?}", "PartNumber", json_object_get(p, "PartNumber"),
                      "LastModified", json_object_get(p, "LastModified"), "ETag",
                      json_object_get(p, "ETag"), "Size", json_object_get(p, "Size"));
        if (!x || json_array_append_new(list, x)) return ferr_oom(c->err);
    }
    json_t *who = json_pack("{s:s?, s:s?}", "ID", jstr(u.doc, "Initiator"), "DisplayName",
                            jstr(u.doc, "Owner"));
    *out = svc_out(
        c, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:b, s:O, s:o, s:{s:s?}, s:s}", "Bucket",
                     bucket, "Key", key, "UploadId", uid, "PartNumberMarker", (json_int_t)marker,
                     "NextPartNumberMarker", (json_int_t)last, "MaxParts", (json_int_t)max,
                     "IsTruncated", truncated, "Parts", list, "Initiator", who, "Owner", "ID",
                     jstr(u.doc, "Owner"), "StorageClass",
                     jstr(u.doc, "StorageClass") ? jstr(u.doc, "StorageClass") : "STANDARD"));
    return 0;
}

static int by_key(const void *x, const void *y)
{
    const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
    int r = strcmp(jstr(a, "Key"), jstr(b, "Key"));
    if (r) return r;
    double d = json_number_value(json_object_get(a, "Initiated")) -
               json_number_value(json_object_get(b, "Initiated"));
    return d < 0 ? -1 : d > 0;
}

int s3_op_list_multipart_uploads(call *c, json_t *in, json_t **out)
{
    const char *bucket = jstr(in, "Bucket");
    s3_bucket b;
    if (s3_bucket_view(c, bucket, NULL, "s3:ListBucketMultipartUploads", &b)) return -1;
    const char *prefix = arena_printf(c->a, "%s/", bucket);
    if (!prefix) return ferr_oom(c->err);
    json_t *all = s3_list_docs(c, S3_UPLOAD_KIND, prefix, NULL, 0);
    if (!all) return -1;
    size_t n = json_array_size(all);
    json_t **v = arena_alloc(c->a, (n ? n : 1) * sizeof(*v));
    if (!v) return ferr_oom(c->err);
    for (size_t i = 0; i < n; i++) v[i] = json_array_get(all, i);
    qsort(v, n, sizeof(*v), by_key);
    const char *pfx = jstr(in, "Prefix") ? jstr(in, "Prefix") : "";
    const char *km = jstr(in, "KeyMarker"), *um = jstr(in, "UploadIdMarker");
    long long max = jint(in, "MaxUploads", 1000);
    if (max < 0 || max > 1000) max = 1000;
    json_t *list = arena_defer_json(c->a, json_array());
    if (!list) return ferr_oom(c->err);
    int truncated = 0;
    const char *nk = NULL, *nu = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *k = jstr(v[i], "Key"), *uid = jstr(v[i], "UploadId");
        if (strncmp(k, pfx, strlen(pfx))) continue;
        if (km) {
            int r = strcmp(k, km);
            if (r < 0 || (r == 0 && (!um || strcmp(uid, um) <= 0))) continue;
        }
        if ((long long)json_array_size(list) >= max) {
            truncated = 1;
            break;
        }
        json_t *x =
            json_pack("{s:s, s:s, s:O?, s:s, s:{s:s?}, s:{s:s?}}", "Key", k, "UploadId", uid,
                      "Initiated", json_object_get(v[i], "Initiated"), "StorageClass",
                      jstr(v[i], "StorageClass") ? jstr(v[i], "StorageClass") : "STANDARD", "Owner",
                      "ID", jstr(v[i], "Owner"), "Initiator", "ID", jstr(v[i], "Initiator"));
        if (!x || json_array_append_new(list, x)) return ferr_oom(c->err);
        nk = k;
        nu = uid;
    }
    json_t *o = json_pack("{s:s, s:s, s:I, s:b, s:O}", "Bucket", bucket, "Prefix", pfx,
                          "MaxUploads", (json_int_t)max, "IsTruncated", truncated, "Uploads", list);
    if (o && truncated &&
        (jset_str(o, "NextKeyMarker", nk) || jset_str(o, "NextUploadIdMarker", nu))) {
        json_decref(o);
        o = NULL;
    }
    *out = svc_out(c, o);
    return 0;
}

/* "bytes=first-last" within size: 0 and [*off, *off + *len), else -1 with c->err. */
static int copy_range(call *c, const char *r, uint64_t size, uint64_t *off, uint64_t *len)
{
    *off = 0;
    *len = size;
    if (!r) return 0;
    unsigned long long a, b;
    char tail;
    if (sscanf(r, "bytes=%llu-%llu%c", &a, &b, &tail) != 2 || b < a)
        return ferr_set(c->err, 400, "InvalidArgument",
                        "The x-amz-copy-source-range value must be of the form bytes=first-last "
                        "where first and last are the zero-based offsets of the first and last "
                        "bytes to copy");
    if (b >= size)
        return ferr_set(c->err, 400, "InvalidRange", "The requested range is not satisfiable");
    *off = a;
    *len = b - a + 1;
    return 0;
}

/* UploadPartCopy: the part names the source's bytes [off, off + len) where they are (segments
 * of the source's blobs, each keeping its sealing): nothing is copied. Its ETag is an MD5 of
 * the source's ETag and the range (AWS's is the MD5 of the bytes; clients only hand it back
 * to CompleteMultipartUpload). */
int s3_op_upload_part_copy(call *c, json_t *in, json_t **out)
{
    s3_bucket b, src;
    upload_doc u;
    long long n;
    if (open_part(c, in, &b, &u, &n)) return -1;
    const char *sb, *sk, *svid;
    json_t *from;
    if (s3_copy_source_open(c, jstr(in, "CopySource"), &sb, &sk, &svid, &src, &from)) return -1;
    const char *im = jstr(in, "CopySourceIfMatch");
    if (im && strcmp(im, jstr(from, "ETag") ? jstr(from, "ETag") : ""))
        return ferr_set(c->err, 412, "PreconditionFailed",
                        "At least one of the pre-conditions you specified did not hold");
    uint64_t size = (uint64_t)jint(from, "Size", 0), off, len;
    if (copy_range(c, jstr(in, "CopySourceRange"), size, &off, &len)) return -1;
    if (len > MAX_PART)
        return ferr_set(c->err, 400, "EntityTooLarge",
                        "Your proposed upload exceeds the maximum allowed size");
    json_t *segs = arena_defer_json(c->a, json_array());
    if (!segs) return ferr_oom(c->err);
    json_t *parts = json_object_get(from, "Parts");
    size_t np = parts ? json_array_size(parts) : 1;
    uint64_t pos = 0;
    for (size_t i = 0; i < np; i++) {
        const json_t *p = parts ? json_array_get(parts, i) : from;
        uint64_t ps = (uint64_t)jint(p, "Size", 0), po = (uint64_t)jint(p, "Off", 0);
        uint64_t lo = off > pos ? off - pos : 0;
        uint64_t hi = off + len < pos + ps ? off + len - pos : ps;
        if (lo < hi) {
            const char *alg = jstr(p, "ServerSideEncryption") ? jstr(p, "ServerSideEncryption")
                                                              : jstr(from, "ServerSideEncryption");
            const char *karn = jstr(p, "KeyArn") ? jstr(p, "KeyArn") : jstr(from, "KeyArn");
            json_t *g = json_pack(
                "{s:s?, s:I, s:I, s:s?, s:s?, s:s?, s:s?}", "Blob", jstr(p, "Blob"), "Off",
                (json_int_t)(po + lo), "Size", (json_int_t)(hi - lo), "DataKey", jstr(p, "DataKey"),
                "NoncePrefix", jstr(p, "NoncePrefix"), "ServerSideEncryption", alg, "KeyArn", karn);
            if (!g || json_array_append_new(segs, g)) return ferr_oom(c->err);
        }
        pos += ps;
    }
    char *tag = arena_printf(c->a, "%s %llu-%llu", jstr(from, "ETag") ? jstr(from, "ETag") : "",
                             (unsigned long long)off, (unsigned long long)len);
    unsigned char d[EVP_MAX_MD_SIZE];
    if (!tag || !EVP_Digest(tag, strlen(tag), d, NULL, EVP_md5(), NULL)) return ferr_oom(c->err);
    const char *etag = s3_etag_of(c, d);
    double now = (double)(long long)clock_now();
    json_t *part = arena_defer_json(
        c->a, json_pack("{s:I, s:O, s:I, s:s, s:f}", "PartNumber", (json_int_t)n, "Segments", segs,
                        "Size", (json_int_t)len, "ETag", etag, "LastModified", now));
    if (!part) return ferr_oom(c->err);
    if (part_put(c, jstr(u.doc, "UploadId"), n, part)) return -1;
    *out = svc_out(c, json_pack("{s:{s:s, s:f}, s:s?}", "CopyPartResult", "ETag", etag,
                                "LastModified", now, "CopySourceVersionId", svid));
    return 0;
}
