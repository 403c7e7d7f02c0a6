/* Objects: put (streamed into the blob store), get and head (streamed out, ranges,
 * conditions), delete, batch delete, copy. A blob may be named by several objects (a copy
 * shares its source's bytes); "s3.blobref" documents count the names, and the blob sweep
 * reclaims what none names. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/enc.h"
#include "s3_int.h"

#define MAX_SINGLE_PUT (5ULL << 30) /* AWS: 5 GiB in one PUT; larger goes multipart */

static const char *const content_members[] = {
    "ContentType",     "CacheControl", "ContentDisposition",      "ContentEncoding",
    "ContentLanguage", "Expires",      "WebsiteRedirectLocation", NULL};

int s3_no_such_key(call *c)
{
    return ferr_set(c->err, 404, "NoSuchKey", "The specified key does not exist.");
}

int s3_object_load(call *c, const char *bucket, const char *key, json_t **doc)
{
    const char *id = s3_object_id(c, bucket, key);
    if (!id) return -1;
    store_key k = {S3_OBJECT_KIND, "", "", id};
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc == 1 && !arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    return rc;
}

int s3_blob_ref(call *c, const char *id, int delta)
{
    store_key k = {S3_BLOBREF_KIND, "", "", id};
    json_t *doc = NULL;
    int rc;
    if (delta == 1) { /* most often a new blob's first name: one write, no read */
        json_t *one = json_pack("{s:I}", "Refs", (json_int_t)1);
        rc = one ? store_insert(c->txn, &k, one, c->err) : ferr_oom(c->err);
        json_decref(one);
        if (rc <= 0) return rc;
    }
    rc = store_get(c->txn, &k, &doc, c->err);
    if (rc < 0) return -1;
    long long refs = jint(doc, "Refs", 0) + delta;
    json_decref(doc);
    if (refs <= 0) return store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
    json_t *d = json_pack("{s:I}", "Refs", (json_int_t)refs);
    if (!d) return ferr_oom(c->err);
    rc = store_put(c->txn, &k, d, c->err);
    json_decref(d);
    return rc;
}

int s3_doc_refs(call *c, const json_t *doc, int delta)
{
    if (!doc) return 0;
    if (jstr(doc, "Blob")) return s3_blob_ref(c, jstr(doc, "Blob"), delta);
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(doc, "Parts"), i, p) {
        if (jstr(p, "Blob") && s3_blob_ref(c, jstr(p, "Blob"), delta)) return -1;
    }
    return 0;
}

int s3_object_put(call *c, const char *bucket, const char *key, json_t *doc, json_t *old)
{
    const char *id = s3_object_id(c, bucket, key);
    if (!id) return -1;
    if (s3_doc_refs(c, old, -1) || s3_doc_refs(c, doc, 1)) return -1;
    store_key k = {S3_OBJECT_KIND, "", "", id};
    return store_put(c->txn, &k, doc, c->err);
}

int s3_object_drop(call *c, const char *bucket, const char *key, json_t *old)
{
    const char *id = s3_object_id(c, bucket, key);
    if (!id) return -1;
    if (s3_doc_refs(c, old, -1)) return -1;
    store_key k = {S3_OBJECT_KIND, "", "", id};
    return store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
}

int s3_object_stream(call *c, const json_t *doc, uint64_t off, uint64_t len)
{
    json_t *parts = json_object_get(doc, "Parts");
    size_t n = parts ? json_array_size(parts) : 1;
    call_segment *segs = arena_alloc(c->a, (n ? n : 1) * sizeof(*segs));
    if (!segs) return ferr_oom(c->err);
    for (size_t i = 0; i < n; i++) {
        const json_t *p = parts ? json_array_get(parts, i) : doc;
        segs[i].id = jstr(p, "Blob");
        segs[i].off = (uint64_t)jint(p, "Off", 0);
        segs[i].size = (uint64_t)jint(p, "Size", 0);
        if (!segs[i].id) return ferr_internal(c->err, "object without its bytes");
        if (s3_sse_open(c, doc, p, &segs[i])) return -1;
    }
    return call_stream_blobs(c, segs, n, off, len);
}

static int precondition_failed(call *c)
{
    return ferr_set(c->err, 412, "PreconditionFailed",
                    "At least one of the pre-conditions you specified did not hold");
}

/* ETag lists in If-Match / If-None-Match: "*", or quoted (or bare) tags separated by commas. */
static int etag_in(const char *list, const char *etag)
{
    if (!strcmp(list, "*")) return 1;
    size_t el = strlen(etag);
    const char *bare = etag;
    size_t bl = el;
    if (el >= 2 && etag[0] == '"') bare++, bl -= 2;
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',') p++;
        size_t n = strcspn(p, ",");
        size_t m = n;
        while (m && p[m - 1] == ' ') m--;
        const char *t = p;
        if (m >= 2 && t[0] == '"') t++, m -= 2;
        if (m == bl && !memcmp(t, bare, bl)) return 1;
        p += n;
    }
    return 0;
}

/* GET/HEAD conditions (RFC 9110 as S3 applies them): 0 go on, 1 not modified (304), -1 412. */
static int conditions(call *c, const json_t *in, const json_t *doc)
{
    const char *etag = jstr(doc, "ETag");
    double mod = json_number_value(json_object_get(doc, "LastModified"));
    const char *im = jstr(in, "IfMatch"), *inm = jstr(in, "IfNoneMatch");
    json_t *ims = json_object_get(in, "IfModifiedSince"),
           *ius = json_object_get(in, "IfUnmodifiedSince");
    if (im && !etag_in(im, etag)) return precondition_failed(c);
    if (!im && ius && (long long)mod > (long long)json_number_value(ius))
        return precondition_failed(c);
    if (inm && etag_in(inm, etag)) return 1;
    if (!inm && ims && (long long)mod <= (long long)json_number_value(ims)) return 1;
    return 0;
}

/* "bytes=a-b", "bytes=a-", "bytes=-n": 1 with [*off, *off + *len), 0 when there is no
 * range S3 honours (it then answers the whole object), -1 with 416 when none of it exists. */
static int parse_range(call *c, const char *h, uint64_t size, uint64_t *off, uint64_t *len)
{
    if (!h || strncmp(h, "bytes=", 6) || strchr(h, ',')) return 0;
    const char *p = h + 6;
    char *end;
    if (*p == '-') {
        unsigned long long n = strtoull(p + 1, &end, 10);
        if (end == p + 1 || *end) return 0;
        if (!n) goto unsatisfiable;
        *len = n > size ? size : n;
        *off = size - *len;
        if (!size) goto unsatisfiable;
        return 1;
    }
    unsigned long long a = strtoull(p, &end, 10);
    if (end == p || *end != '-') return 0;
    p = end + 1;
    unsigned long long b = size ? size - 1 : 0;
    if (*p) {
        b = strtoull(p, &end, 10);
        if (*end || b < a) return 0;
        if (b >= size) b = size - 1;
    }
    if (a >= size) goto unsatisfiable;
    *off = a;
    *len = b - a + 1;
    return 1;
unsatisfiable:
    return ferr_set(c->err, 416, "InvalidRange", "The requested range is not satisfiable");
}

/* What GetObject and HeadObject answer about doc. */
static json_t *describe(call *c, const json_t *in, const json_t *doc)
{
    json_t *o = json_pack("{s:O?, s:O?, s:O?, s:s, s:O?}", "ETag", json_object_get(doc, "ETag"),
                          "LastModified", json_object_get(doc, "LastModified"), "ContentLength",
                          json_object_get(doc, "Size"), "AcceptRanges", "bytes", "Metadata",
                          json_object_get(doc, "Metadata"));
    if (!o) return NULL;
    for (int i = 0; content_members[i]; i++) {
        json_t *v = json_object_get(doc, content_members[i]);
        if (v && json_object_set(o, content_members[i], v)) goto oom;
    }
    if (s3_sse_describe(c, doc, o)) goto oom;
    if (jstr(doc, "VersionId") && jset_str(o, "VersionId", jstr(doc, "VersionId"))) goto oom;
    size_t ntags = json_array_size(json_object_get(doc, "Tags"));
    if (ntags && json_object_set_new(o, "TagCount", json_integer((json_int_t)ntags))) goto oom;
    const char *ck = jstr(doc, "ChecksumAlgorithm");
    const char *mode = jstr(in, "ChecksumMode");
    if (ck && mode && !strcmp(mode, "ENABLED")) {
        char *m = arena_printf(c->a, "Checksum%s", ck);
        if (!m || json_object_set(o, m, json_object_get(doc, "Checksum"))) goto oom;
    }
    static const char *const over[][2] = {{"ResponseContentType", "ContentType"},
                                          {"ResponseCacheControl", "CacheControl"},
                                          {"ResponseContentDisposition", "ContentDisposition"},
                                          {"ResponseContentEncoding", "ContentEncoding"},
                                          {"ResponseContentLanguage", "ContentLanguage"},
                                          {"ResponseExpires", "Expires"}};
    for (size_t i = 0; i < sizeof(over) / sizeof(over[0]); i++) {
        json_t *v = json_object_get(in, over[i][0]);
        if (v && json_object_set(o, over[i][1], v)) goto oom;
    }
    return o;
oom:
    json_decref(o);
    return NULL;
}

/* Internal callers (CloudFormation reading a TemplateURL) take the bytes in the result, as
 * base64 "Body": nothing streams for them. At most this many. */
#define MAX_INLINE (16u << 20)
static int inline_body(call *c, json_t *o, uint64_t len)
{
    if (len > MAX_INLINE)
        return ferr_set(c->err, 400, "EntityTooLarge", "The object is too large to read here");
    unsigned char *p = arena_alloc(c->a, len + 1);
    if (!p) return ferr_oom(c->err);
    size_t n = 0, got;
    call_stream *s = call_stream_take(c);
    int rc = 0;
    do {
        rc = call_stream_read(s, p + n, len - n, &got, c->err);
        n += got;
    } while (!rc && got && n < len);
    call_stream_free(s);
    if (rc) return -1;
    char *b64 = enc_b64(c->a, p, n);
    if (!b64 || json_object_set_new(o, "Body", json_string(b64))) return ferr_oom(c->err);
    return 0;
}

/* Internal callers (CodePipeline writing an artifact) cannot stream: they give the bytes as
 * base64 "Body", written (and sealed as any PUT's) here before the object names them. */
static int inline_put(call *c, const s3_bucket *b, const json_t *in, const char *arn,
                      call_body *out)
{
    const char *b64 = jstr(in, "Body");
    size_t n = 0;
    unsigned char *p = enc_unb64(c->a, b64, strlen(b64), &n);
    if (!p) return ferr_set(c->err, 400, "InvalidArgument", "Body is not base64");
    if (n > MAX_INLINE) return ferr_set(c->err, 400, "EntityTooLarge", "The object is too large");
    blob_key dk;
    const char *note = NULL;
    if (s3_sse_begin(c, b, in, arn, &dk, &note)) return -1;
    blob_writer *w = NULL;
    memset(out, 0, sizeof(*out));
    int rc = blob_writer_new(c->env->blobs, 0, &dk, &w, c->err);
    OPENSSL_cleanse(&dk, sizeof(dk));
    if (rc || blob_write(w, p, n, c->err)) {
        blob_writer_abort(w);
        return -1;
    }
    if (blob_writer_commit(w, &out->info, c->err)) return -1;
    out->note = note ? arena_strdup(c->a, note) : NULL;
    return 0;
}

static int get_or_head(call *c, json_t *in, json_t **out, int head)
{
    const char *bucket = jstr(in, "Bucket"), *key = jstr(in, "Key");
    s3_bucket b;
    if (s3_bucket_view(c, bucket, key, "s3:GetObject", &b)) return -1;
    json_t *doc;
    const char *vid = jstr(in, "VersionId");
    int rc = vid ? (s3_version_load(c, &b, key, vid, &doc) ? -1 : 1)
                 : s3_object_load(c, bucket, key, &doc);
    if (rc <= 0) {
        /* AWS: without s3:ListBucket a missing key is 403, so keys cannot be probed */
        if (rc == 0 && call_authorize_ex(c, &(authz_req){.action = "s3:ListBucket",
                                                         .resource = b.arn,
                                                         .resource_account = b.owner,
                                                         .resource_policy = jstr(b.doc, "Policy")}))
            return -1;
        return rc < 0 ? -1 : s3_no_such_key(c);
    }
    int cond = conditions(c, in, doc);
    if (cond < 0) return -1;
    json_t *o = describe(c, in, doc);
    if (!o) return ferr_oom(c->err);
    *out = o;
    if (cond) {
        c->status = 304;
        return 0;
    }
    uint64_t size = (uint64_t)jint(doc, "Size", 0), off = 0, len = size;
    int ranged = parse_range(c, jstr(in, "Range"), size, &off, &len);
    if (ranged < 0) return -1;
    if (ranged) {
        c->status = 206;
        /* a checksum is of the whole object: a part of it is answered without one */
        static const char *const cks[] = {"ChecksumCRC32", "ChecksumCRC32C", "ChecksumSHA1",
                                          "ChecksumSHA256", NULL};
        for (int i = 0; cks[i]; i++) json_object_del(o, cks[i]);
        char cr[96];
        snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu", (unsigned long long)off,
                 (unsigned long long)(off + len - 1), (unsigned long long)size);
        if (json_object_set_new(o, "ContentRange", json_string(cr)) ||
            json_object_set_new(o, "ContentLength", json_integer((json_int_t)len)))
            return ferr_oom(c->err);
    }
    if (head) return 0;
    if (s3_object_stream(c, doc, off, len)) return -1;
    if (c->caller == CALLER_INTERNAL) return inline_body(c, o, len);
    return 0;
}

int s3_op_get_object(call *c, json_t *in, json_t **out)
{
    return get_or_head(c, in, out, 0);
}

int s3_op_head_object(call *c, json_t *in, json_t **out)
{
    return get_or_head(c, in, out, 1);
}

int s3_take_content(call *c, json_t *doc, const json_t *in)
{
    for (int i = 0; content_members[i]; i++) {
        json_t *v = json_object_get(in, content_members[i]);
        if (v && json_object_set(doc, content_members[i], v)) return ferr_oom(c->err);
    }
    json_t *meta = json_object_get(in, "Metadata");
    if (meta && json_object_set(doc, "Metadata", meta)) return ferr_oom(c->err);
    const char *sc = jstr(in, "StorageClass");
    if (jset_str(doc, "StorageClass", sc ? sc : "STANDARD")) return ferr_oom(c->err);
    return 0;
}

char *s3_etag_of(call *c, const unsigned char md5[16])
{
    char hex[33];
    enc_hex(md5, 16, hex);
    return arena_printf(c->a, "\"%s\"", hex);
}

int s3_write_conditions(call *c, const json_t *in, const json_t *old)
{
    const char *inm = jstr(in, "IfNoneMatch"), *im = jstr(in, "IfMatch");
    if (inm && old && etag_in(inm, jstr(old, "ETag"))) return precondition_failed(c);
    if (im && !old) return s3_no_such_key(c);
    if (im && !etag_in(im, jstr(old, "ETag"))) return precondition_failed(c);
    return 0;
}

int s3_op_put_object(call *c, json_t *in, json_t **out)
{
    const char *bucket = jstr(in, "Bucket"), *key = jstr(in, "Key");
    if (s3_key_check(c, key)) return -1;
    s3_bucket b;
    if (s3_bucket_view(c, bucket, key, "s3:PutObject", &b)) return -1;
    const call_body *body = call_body_in(c);
    /* From the headers, with the bytes still to come, the current object matters only to a
     * conditional write: the run with the body loads it (and checks the conditions again). */
    int later = !body && !(c->caller == CALLER_INTERNAL && jstr(in, "Body"));
    json_t *old = NULL;
    int rc = 0;
    if (!later || jstr(in, "IfMatch") || jstr(in, "IfNoneMatch"))
        rc = s3_object_load(c, bucket, key, &old);
    if (rc < 0) return -1;
    if (s3_write_conditions(c, in, rc ? old : NULL)) return -1;
    json_t *tags = NULL;
    if (s3_acl_check(c, &b, in) ||
        (jstr(in, "Tagging") && s3_tags_from_header(c, jstr(in, "Tagging"), &tags)))
        return -1;
    if (jint(in, "ContentLength", 0) > (long long)MAX_SINGLE_PUT)
        return ferr_set(c->err, 400, "EntityTooLarge",
                        "Your proposed upload exceeds the maximum allowed size");
    const char *arn = arena_printf(c->a, "%s/%s", b.arn, key);
    if (!arn) return ferr_oom(c->err);
    call_body inl;
    if (!body && c->caller == CALLER_INTERNAL && jstr(in, "Body")) {
        if (inline_put(c, &b, in, arn, &inl)) return -1;
        body = &inl;
    }
    if (!body) { /* the bytes are sealed as they arrive, with a data key of their own */
        blob_key dk;
        const char *note;
        if (s3_sse_begin(c, &b, in, arn, &dk, &note)) return -1;
        int rc2 = call_body_want(c, &dk, note);
        OPENSSL_cleanse(&dk, sizeof(dk));
        return rc2;
    }
    if (body->info.size > MAX_SINGLE_PUT)
        return ferr_set(c->err, 400, "EntityTooLarge",
                        "Your proposed upload exceeds the maximum allowed size");
    const char *etag = s3_etag_of(c, body->info.md5);
    json_t *doc =
        arena_defer_json(c->a, json_pack("{s:s, s:s, s:I, s:s, s:f}", "Key", key, "Blob",
                                         body->info.id, "Size", (json_int_t)body->info.size, "ETag",
                                         etag, "LastModified", (double)(long long)clock_now()));
    if (!doc || s3_take_content(c, doc, in)) return ferr_oom(c->err);
    if (jset_str(doc, "KeyArn", arn) || s3_sse_record(c, doc, doc, body->note)) return -1;
    if (body->checksum_alg && (jset_str(doc, "ChecksumAlgorithm", body->checksum_alg) ||
                               jset_str(doc, "Checksum", body->checksum)))
        return ferr_oom(c->err);
    if (json_array_size(tags) && json_object_set(doc, "Tags", tags)) return ferr_oom(c->err);
    if (s3_version_write(c, &b, key, doc, rc ? old : NULL) ||
        s3_notify(c, &b, "s3:ObjectCreated:Put", key, (long long)body->info.size, etag))
        return -1;
    json_t *o = json_pack("{s:s, s:s?}", "ETag", etag, "VersionId", jstr(doc, "VersionId"));
    if (o && s3_sse_describe(c, doc, o)) {
        json_decref(o);
        return -1;
    }
    if (o && body->checksum_alg) {
        char *m = arena_printf(c->a, "Checksum%s", body->checksum_alg);
        if (!m || json_object_set_new(o, m, json_string(body->checksum))) {
            json_decref(o);
            o = NULL;
        }
    }
    *out = svc_out(c, o);
    return 0;
}

int s3_op_delete_object(call *c, json_t *in, json_t **out)
{
    const char *bucket = jstr(in, "Bucket"), *key = jstr(in, "Key");
    s3_bucket b;
    if (s3_bucket_view(c, bucket, key, "s3:DeleteObject", &b)) return -1;
    json_t *old = NULL, *o = arena_defer_json(c->a, json_object());
    if (!o) return ferr_oom(c->err);
    int rc = s3_object_load(c, bucket, key, &old);
    if (rc < 0) return -1;
    /* AWS: deleting what is not there succeeds */
    if (s3_version_delete(c, &b, key, jstr(in, "VersionId"), rc ? old : NULL, o)) return -1;
    if ((rc || json_object_get(o, "DeleteMarker")) &&
        s3_notify(c, &b,
                  json_object_get(o, "DeleteMarker") && !jstr(in, "VersionId")
                      ? "s3:ObjectRemoved:DeleteMarkerCreated"
                      : "s3:ObjectRemoved:Delete",
                  key, -1, NULL))
        return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

int s3_op_delete_objects(call *c, json_t *in, json_t **out)
{
    const char *bucket = jstr(in, "Bucket");
    s3_bucket b;
    if (s3_bucket_load(c, bucket, &b) <= 0) return -1;
    json_t *del = json_object_get(in, "Delete");
    json_t *objs = json_object_get(del, "Objects");
    int quiet = jbool(del, "Quiet", 0);
    if (json_array_size(objs) > 1000)
        return ferr_set(c->err, 400, "MalformedXML",
                        "The XML you provided was not well-formed or did not validate against our "
                        "published schema");
    json_t *deleted = arena_defer_json(c->a, json_array()),
           *errors = arena_defer_json(c->a, json_array());
    if (!deleted || !errors) return ferr_oom(c->err);
    size_t i;
    json_t *o;
    json_array_foreach(objs, i, o) {
        const char *key = jstr(o, "Key");
        if (!key) continue;
        ferr *outer = c->err, one = {0};
        c->err = &one;
        json_t *old = NULL, *res = json_object();
        if (!res || !arena_defer_json(c->a, res)) return ferr_oom(outer);
        s3_bucket bb;
        const char *vid = jstr(o, "VersionId");
        int rc =
            s3_bucket_view(c, bucket, key, vid ? "s3:DeleteObjectVersion" : "s3:DeleteObject", &bb);
        if (!rc) rc = s3_object_load(c, bucket, key, &old);
        if (rc >= 0) rc = s3_version_delete(c, &bb, key, vid, rc ? old : NULL, res);
        if (!rc && (old || json_object_get(res, "DeleteMarker")))
            rc = s3_notify(c, &bb, "s3:ObjectRemoved:Delete", key, -1, NULL);
        c->err = outer;
        if (rc < 0 && one.status >= 500) {
            *c->err = one;
            return -1;
        }
        json_t *x =
            rc < 0
                ? json_pack("{s:s, s:s, s:s}", "Key", key, "Code", one.code, "Message", one.message)
            : quiet
                ? NULL
                : json_pack("{s:s, s:s?, s:O?, s:s?}", "Key", key, "VersionId", vid, "DeleteMarker",
                            json_object_get(res, "DeleteMarker"), "DeleteMarkerVersionId",
                            json_object_get(res, "DeleteMarker") && !vid ? jstr(res, "VersionId")
                                                                         : NULL);
        if (x && json_array_append_new(rc < 0 ? errors : deleted, x)) return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:O, s:O}", "Deleted", deleted, "Errors", errors));
    return 0;
}

/* "bucket/key" or "/bucket/key", percent-encoded, maybe "?versionId=...". */
static int copy_source(call *c, const char *src, const char **bucket, const char **key,
                       const char **vid)
{
    if (*src == '/') src++;
    size_t n = strcspn(src, "?");
    *vid = !strncmp(src + n, "?versionId=", 11) ? src + n + 11 : NULL;
    size_t dl;
    char *d = enc_url_decode(c->a, src, n, 0, &dl);
    char *slash = d ? strchr(d, '/') : NULL;
    if (!slash || slash == d || !slash[1] || strlen(d) != dl)
        return ferr_set(c->err, 400, "InvalidArgument", "Invalid copy source object key");
    *slash = 0;
    *bucket = d;
    *key = slash + 1;
    return 0;
}

int s3_copy_source_open(call *c, const char *cs, const char **bucket, const char **key,
                        const char **vid, s3_bucket *b, json_t **doc)
{
    if (copy_source(c, cs ? cs : "", bucket, key, vid)) return -1;
    if (s3_bucket_view(c, *bucket, *key, *vid ? "s3:GetObjectVersion" : "s3:GetObject", b))
        return -1;
    int rc = *vid ? (s3_version_load(c, b, *key, *vid, doc) ? -1 : 1)
                  : s3_object_load(c, *bucket, *key, doc);
    return rc <= 0 ? (rc < 0 ? -1 : s3_no_such_key(c)) : 0;
}

int s3_op_copy_object(call *c, json_t *in, json_t **out)
{
    const char *bucket = jstr(in, "Bucket"), *key = jstr(in, "Key"), *sb = NULL, *sk = NULL,
               *svid = NULL;
    s3_bucket src, dst;
    json_t *from;
    if (s3_key_check(c, key) ||
        s3_copy_source_open(c, jstr(in, "CopySource"), &sb, &sk, &svid, &src, &from))
        return -1;
    int rc;
    if (s3_bucket_view(c, bucket, key, "s3:PutObject", &dst)) return -1;
    const char *directive = jstr(in, "MetadataDirective");
    int replace = directive && !strcmp(directive, "REPLACE");
    if (!replace && !strcmp(sb, bucket) && !strcmp(sk, key) && !jstr(in, "StorageClass"))
        return ferr_set(c->err, 400, "InvalidRequest",
                        "This copy request is illegal because it is trying to copy an object to "
                        "itself without changing the object's metadata, storage class, website "
                        "redirect location or encryption attributes.");
    const char *im = jstr(in, "CopySourceIfMatch"), *inm = jstr(in, "CopySourceIfNoneMatch");
    if ((im && !etag_in(im, jstr(from, "ETag"))) || (inm && etag_in(inm, jstr(from, "ETag"))))
        return precondition_failed(c);
    json_t *old = NULL;
    rc = s3_object_load(c, bucket, key, &old);
    if (rc < 0 || s3_write_conditions(c, in, rc ? old : NULL)) return -1;
    double now = (double)(long long)clock_now();
    json_t *doc = arena_defer_json(
        c->a,
        json_pack("{s:s, s:O?, s:O, s:O, s:f}", "Key", key, "Blob", json_object_get(from, "Blob"),
                  /* none: a completed upload's Parts */ "Size", json_object_get(from, "Size"),
                  "ETag", json_object_get(from, "ETag"), "LastModified", now));
    if (!doc) return ferr_oom(c->err);
    if (s3_take_content(c, doc, replace ? in : from)) return -1;
    /* the copy names the same sealed bytes: it keeps their key */
    static const char *const sealed[] = {"ServerSideEncryption", "SSEKMSKeyId", "KeyArn", "DataKey",
                                         "NoncePrefix",          "Parts",       NULL};
    for (int i = 0; sealed[i]; i++) {
        json_t *v = json_object_get(from, sealed[i]);
        if (v && json_object_set(doc, sealed[i], v)) return ferr_oom(c->err);
    }
    if (json_object_get(from, "Parts")) json_object_del(doc, "Blob"); /* its null */
    /* AWS: TaggingDirective COPY (the default) keeps the source's tags, REPLACE takes
     * x-amz-tagging's */
    const char *td = jstr(in, "TaggingDirective");
    json_t *tags = json_object_get(from, "Tags");
    if (td && !strcmp(td, "REPLACE") && s3_tags_from_header(c, jstr(in, "Tagging"), &tags))
        return -1;
    if (json_array_size(tags) && json_object_set(doc, "Tags", tags)) return ferr_oom(c->err);
    if (jstr(from, "ChecksumAlgorithm") &&
        (json_object_set(doc, "ChecksumAlgorithm", json_object_get(from, "ChecksumAlgorithm")) ||
         json_object_set(doc, "Checksum", json_object_get(from, "Checksum"))))
        return ferr_oom(c->err);
    json_object_del(doc, "VersionId");
    if (s3_version_write(c, &dst, key, doc, rc ? old : NULL) ||
        s3_notify(c, &dst, "s3:ObjectCreated:Copy", key, jint(doc, "Size", 0), jstr(doc, "ETag")))
        return -1;
    *out = svc_out(c, json_pack("{s:{s:O, s:f}}", "CopyObjectResult", "ETag",
                                json_object_get(doc, "ETag"), "LastModified", now));
    return 0;
}
