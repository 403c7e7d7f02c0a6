/* Versioning. In a bucket that was ever versioned every version of a key, delete markers
 * included, is a document "s3.version" keyed "BUCKET/KEY\x01RANK", RANK sorting the newest
 * first (the version id itself, or for the "null" version a rank of its own); the current
 * version, unless it is a delete marker, is also the key's "s3.object" document, which is
 * what reads and listings use. An object written before versioning began is the "null"
 * version found only in "s3.object" until something replaces it. Every document naming a
 * blob counts as a name (s3_blob_ref). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/ids.h"
#include "s3_int.h"

#define VERSION_ID_LEN 24 /* the rank: 16 hex digits of time, 8 of randomness */

/* Newest first: the complement of the time in microseconds, then randomness. */
static const char *new_rank(call *c)
{
    uint64_t us = (uint64_t)(clock_now() * 1e6);
    unsigned char r[4];
    ids_random_small(r, sizeof(r));
    return arena_printf(c->a, "%016" PRIx64 "%02x%02x%02x%02x", UINT64_MAX - us, r[0], r[1], r[2],
                        r[3]);
}

static const char *version_id(call *c, const char *bucket, const char *key, const char *rank)
{
    const char *id = arena_printf(c->a, "%s/%s\x01%s", bucket, key, rank);
    if (!id) ferr_oom(c->err);
    return id;
}

static int version_put(call *c, const char *bucket, const char *key, const char *rank, json_t *doc)
{
    const char *id = version_id(c, bucket, key, rank);
    if (!id || jset_str(doc, "Rank", rank) || s3_doc_refs(c, doc, 1)) return -1;
    store_key k = {S3_VERSION_KIND, "", "", id};
    return store_put(c->txn, &k, doc, c->err);
}

static json_t *versions_of(call *c, const char *bucket, const char *key)
{
    const char *prefix = arena_printf(c->a, "%s/%s\x01", bucket, key);
    if (!prefix) {
        ferr_oom(c->err);
        return NULL;
    }
    return s3_list_docs(c, S3_VERSION_KIND, prefix, NULL, 0);
}

static int version_del(call *c, const char *bucket, const char *key, const json_t *doc)
{
    const char *id = version_id(c, bucket, key, jstr(doc, "Rank") ? jstr(doc, "Rank") : "");
    if (!id || s3_doc_refs(c, doc, -1)) return -1;
    store_key k = {S3_VERSION_KIND, "", "", id};
    return store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
}

/* Before the first versioned write to a key, an object written unversioned becomes the
 * "null" version. */
static int keep_unversioned(call *c, const char *bucket, const char *key, json_t *old)
{
    if (!old || jstr(old, "VersionId")) return 0;
    json_t *v = json_deep_copy(old);
    if (!v || !arena_defer_json(c->a, v) || jset_str(v, "VersionId", "null"))
        return ferr_oom(c->err);
    double t = json_number_value(json_object_get(old, "LastModified"));
    const char *rank =
        arena_printf(c->a, "%016" PRIx64 "00000000", UINT64_MAX - (uint64_t)(t * 1e6));
    return rank ? version_put(c, bucket, key, rank, v) : ferr_oom(c->err);
}

/* Suspended buckets write the "null" version: the one there is replaced. */
static int drop_null(call *c, const char *bucket, const char *key)
{
    json_t *all = versions_of(c, bucket, key);
    if (!all) return -1;
    size_t i;
    json_t *v;
    json_array_foreach(all, i, v) {
        if (!strcmp(jstr(v, "VersionId") ? jstr(v, "VersionId") : "", "null") &&
            version_del(c, bucket, key, v))
            return -1;
    }
    return 0;
}

int s3_version_write(call *c, const s3_bucket *b, const char *key, json_t *doc, json_t *old)
{
    const char *st = s3_bucket_versioning(b);
    if (!st) return s3_object_put(c, b->name, key, doc, old);
    if (keep_unversioned(c, b->name, key, old)) return -1;
    const char *rank = new_rank(c);
    if (!rank) return ferr_oom(c->err);
    int enabled = !strcmp(st, "Enabled");
    if (!enabled && drop_null(c, b->name, key)) return -1;
    if (jset_str(doc, "VersionId", enabled ? rank : "null")) return ferr_oom(c->err);
    json_t *v = json_deep_copy(doc);
    if (!v || !arena_defer_json(c->a, v)) return ferr_oom(c->err);
    if (version_put(c, b->name, key, rank, v)) return -1;
    json_object_del(doc, "Rank");
    return s3_object_put(c, b->name, key, doc, old);
}

/* The key's current version after a change: the newest stored one unless it is a marker. */
static int promote(call *c, const char *bucket, const char *key, json_t *old)
{
    json_t *all = versions_of(c, bucket, key);
    if (!all) return -1;
    json_t *top = json_array_get(all, 0);
    const char *oid = s3_object_id(c, bucket, key);
    if (!oid) return -1;
    store_key k = {S3_OBJECT_KIND, "", "", oid};
    if (!top || jbool(top, "DeleteMarker", 0)) {
        if (old && s3_doc_refs(c, old, -1)) return -1;
        return store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
    }
    json_t *cur = json_deep_copy(top);
    if (!cur || !arena_defer_json(c->a, cur)) return ferr_oom(c->err);
    json_object_del(cur, "Rank");
    return s3_object_put(c, bucket, key, cur, old);
}

int s3_version_delete(call *c, const s3_bucket *b, const char *key, const char *vid, json_t *old,
                      json_t *out)
{
    const char *st = s3_bucket_versioning(b);
    if (!vid) {
        if (!st) return old ? s3_object_drop(c, b->name, key, old) : 0;
        /* a delete marker becomes the current version */
        if (keep_unversioned(c, b->name, key, old)) return -1;
        int enabled = !strcmp(st, "Enabled");
        if (!enabled && drop_null(c, b->name, key)) return -1;
        const char *rank = new_rank(c);
        json_t *m =
            rank ? arena_defer_json(c->a, json_pack("{s:s, s:s, s:b, s:f}", "Key", key, "VersionId",
                                                    enabled ? rank : "null", "DeleteMarker", 1,
                                                    "LastModified", (double)(long long)clock_now()))
                 : NULL;
        if (!m) return ferr_oom(c->err);
        if (version_put(c, b->name, key, rank, m)) return -1;
        if (old && s3_object_drop(c, b->name, key, old)) return -1;
        if (json_object_set_new(out, "DeleteMarker", json_true()) ||
            jset_str(out, "VersionId", jstr(m, "VersionId")))
            return ferr_oom(c->err);
        return 0;
    }
    /* one version, for good */
    if (old && !jstr(old, "VersionId") && !strcmp(vid, "null"))
        return s3_object_drop(c, b->name, key, old);
    json_t *all = versions_of(c, b->name, key);
    if (!all) return -1;
    size_t i;
    json_t *v;
    json_array_foreach(all, i, v) {
        if (strcmp(jstr(v, "VersionId") ? jstr(v, "VersionId") : "", vid)) continue;
        int marker = jbool(v, "DeleteMarker", 0);
        if (version_del(c, b->name, key, v) || promote(c, b->name, key, old)) return -1;
        if ((marker && json_object_set_new(out, "DeleteMarker", json_true())) ||
            jset_str(out, "VersionId", vid))
            return ferr_oom(c->err);
        return 0;
    }
    if (strcmp(vid, "null") && strlen(vid) != VERSION_ID_LEN)
        return ferr_set(c->err, 400, "InvalidArgument", "Invalid version id specified");
    return jset_str(out, "VersionId", vid) ? ferr_oom(c->err) : 0; /* gone already: AWS 204 */
}

int s3_version_load(call *c, const s3_bucket *b, const char *key, const char *vid, json_t **doc)
{
    json_t *cur = NULL;
    int rc = s3_object_load(c, b->name, key, &cur);
    if (rc < 0) return -1;
    const char *cv = rc ? (jstr(cur, "VersionId") ? jstr(cur, "VersionId") : "null") : NULL;
    if (cv && !strcmp(cv, vid)) {
        *doc = cur;
        return 0;
    }
    json_t *all = s3_bucket_versioning(b) ? versions_of(c, b->name, key) : NULL;
    if (s3_bucket_versioning(b) && !all) return -1;
    size_t i;
    json_t *v;
    json_array_foreach(all, i, v) {
        if (strcmp(jstr(v, "VersionId") ? jstr(v, "VersionId") : "", vid)) continue;
        if (jbool(v, "DeleteMarker", 0))
            return ferr_set(c->err, 405, "MethodNotAllowed",
                            "The specified method is not allowed against this resource.");
        *doc = v;
        return 0;
    }
    if (strcmp(vid, "null") && strlen(vid) != VERSION_ID_LEN)
        return ferr_set(c->err, 400, "InvalidArgument", "Invalid version id specified");
    return ferr_set(c->err, 404, "NoSuchVersion", "The specified version does not exist.");
}

/* Stores one field of doc (a version as s3_version_load gave it) where that version lives:
 * the key's object document when it is the current version, and its version document when
 * the bucket keeps versions. Blob names are untouched: the bytes stay the same. */
int s3_version_set(call *c, const s3_bucket *b, const char *key, const json_t *doc,
                   const char *field)
{
    const char *vid = jstr(doc, "VersionId") ? jstr(doc, "VersionId") : "null";
    json_t *v = json_object_get(doc, field), *cur = NULL;
    int rc = s3_object_load(c, b->name, key, &cur);
    if (rc < 0) return -1;
    if (rc && !strcmp(jstr(cur, "VersionId") ? jstr(cur, "VersionId") : "null", vid)) {
        const char *id = s3_object_id(c, b->name, key);
        store_key k = {S3_OBJECT_KIND, "", "", id};
        if (!id || (v ? json_object_set(cur, field, v) : (json_object_del(cur, field), 0)))
            return ferr_oom(c->err);
        if (store_put(c->txn, &k, cur, c->err)) return -1;
    }
    json_t *all = s3_bucket_versioning(b) ? versions_of(c, b->name, key) : NULL;
    if (s3_bucket_versioning(b) && !all) return -1;
    size_t i;
    json_t *x;
    json_array_foreach(all, i, x) {
        if (strcmp(jstr(x, "VersionId") ? jstr(x, "VersionId") : "null", vid)) continue;
        const char *id = version_id(c, b->name, key, jstr(x, "Rank") ? jstr(x, "Rank") : "");
        store_key k = {S3_VERSION_KIND, "", "", id};
        if (!id || (v ? json_object_set(x, field, v) : (json_object_del(x, field), 0)))
            return ferr_oom(c->err);
        return store_put(c->txn, &k, x, c->err);
    }
    return 0;
}

/* ---- ListObjectVersions ---- */

typedef struct lv {
    call *c;
    json_t *all;
    const char *delim, *prefix;
    size_t skip;
} lv;

static int lv_version(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    lv *l = ud;
    if (json_array_append(l->all, doc)) l->c->oom = 1;
    return 0;
}

static int lv_object(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    lv *l = ud;
    if (jstr(doc, "VersionId")) return 0; /* listed from its version */
    json_t *v = json_deep_copy(doc);
    if (!v || jset_str(v, "VersionId", "null") || jset_str(v, "Rank", "~") ||
        json_array_append_new(l->all, v))
        l->c->oom = 1;
    return 0;
}

static int by_key_rank(const void *x, const void *y)
{
    const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
    int r = strcmp(jstr(a, "Key"), jstr(b, "Key"));
    return r ? r
             : strcmp(jstr(a, "Rank") ? jstr(a, "Rank") : "",
                      jstr(b, "Rank") ? jstr(b, "Rank") : "");
}

int s3_op_list_object_versions(call *c, json_t *in, json_t **out)
{
    s3_bucket b;
    if (s3_bucket_open(c, jstr(in, "Bucket"), NULL, "s3:ListBucketVersions", &b)) return -1;
    const char *prefix = jstr(in, "Prefix") ? jstr(in, "Prefix") : "";
    const char *delim = jstr(in, "Delimiter");
    const char *km = jstr(in, "KeyMarker"), *vm = jstr(in, "VersionIdMarker");
    long long max = jint(in, "MaxKeys", 1000);
    if (max < 0 || max > 1000) max = 1000;
    const char *full = arena_printf(c->a, "%s/%s", b.name, prefix);
    json_t *all = arena_defer_json(c->a, json_array());
    if (!full || !all) return ferr_oom(c->err);
    lv l = {c, all, delim, prefix, strlen(b.name) + 1};
    if (store_list(c->txn, S3_VERSION_KIND, "", "", full, NULL, 0, lv_version, &l, c->err) < 0 ||
        store_list(c->txn, S3_OBJECT_KIND, "", "", full, NULL, 0, lv_object, &l, c->err) < 0)
        return -1;
    if (c->oom) return ferr_oom(c->err);
    size_t n = json_array_size(all);
    json_t **v = arena_alloc(c->a, (n ? n : 1) * sizeof(*v));
    if (!v) return ferr_oom(c->err);
    for (size_t i = 0; i < n; i++) v[i] = json_array_get(all, i);
    qsort(v, n, sizeof(*v), by_key_rank);
    json_t *vers = arena_defer_json(c->a, json_array()),
           *marks = arena_defer_json(c->a, json_array()),
           *cps = arena_defer_json(c->a, json_array());
    if (!vers || !marks || !cps) return ferr_oom(c->err);
    long long count = 0;
    int truncated = 0, past = !km;
    const char *nk = NULL, *nv = NULL, *last_cp = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *key = jstr(v[i], "Key"), *vid = jstr(v[i], "VersionId");
        if (!past) { /* after the markers */
            int r = strcmp(key, km);
            if (r < 0 || (r == 0 && !vm)) continue;
            if (r == 0) {
                if (!strcmp(vid, vm)) past = 1;
                continue;
            }
            past = 1;
        }
        const char *d = delim && *delim ? strstr(key + strlen(prefix), delim) : NULL;
        if (d) {
            char *cp = arena_strndup(c->a, key, (size_t)(d - key) + strlen(delim));
            if (!cp) return ferr_oom(c->err);
            if (last_cp && !strcmp(last_cp, cp)) continue;
            if (count >= max) {
                truncated = 1;
                break;
            }
            last_cp = cp;
            json_t *x = json_pack("{s:s}", "Prefix", cp);
            if (!x || json_array_append_new(cps, x)) return ferr_oom(c->err);
            count++, nk = cp, nv = NULL;
            continue;
        }
        if (count >= max) {
            truncated = 1;
            break;
        }
        int latest = i == 0 || strcmp(jstr(v[i - 1], "Key"), key);
        json_t *x;
        if (jbool(v[i], "DeleteMarker", 0))
            x = json_pack("{s:s, s:s, s:b, s:O?, s:{s:s}}", "Key", key, "VersionId", vid,
                          "IsLatest", latest, "LastModified", json_object_get(v[i], "LastModified"),
                          "Owner", "ID", b.owner);
        else
            x = json_pack("{s:s, s:s, s:b, s:O?, s:O?, s:O?, s:s, s:{s:s}}", "Key", key,
                          "VersionId", vid, "IsLatest", latest, "LastModified",
                          json_object_get(v[i], "LastModified"), "ETag",
                          json_object_get(v[i], "ETag"), "Size", json_object_get(v[i], "Size"),
                          "StorageClass",
                          jstr(v[i], "StorageClass") ? jstr(v[i], "StorageClass") : "STANDARD",
                          "Owner", "ID", b.owner);
        if (!x || json_array_append_new(jbool(v[i], "DeleteMarker", 0) ? marks : vers, x))
            return ferr_oom(c->err);
        count++, nk = key, nv = vid;
    }
    json_t *o = json_pack("{s:s, s:s, s:I, s:b, s:O, s:O, s:O}", "Name", b.name, "Prefix", prefix,
                          "MaxKeys", (json_int_t)max, "IsTruncated", truncated, "Versions", vers,
                          "DeleteMarkers", marks, "CommonPrefixes", cps);
    if (o && ((km && jset_str(o, "KeyMarker", km)) || (vm && jset_str(o, "VersionIdMarker", vm)) ||
              (delim && jset_str(o, "Delimiter", delim)) ||
              (truncated && (jset_str(o, "NextKeyMarker", nk) ||
                             (nv && jset_str(o, "NextVersionIdMarker", nv)))))) {
        json_decref(o);
        o = NULL;
    }
    *out = svc_out(c, o);
    return 0;
}
