/* ListObjectsV2 and ListObjects: keys in UTF-8 binary order, a prefix, a delimiter that
 * rolls keys up into common prefixes, and pages of at most MaxKeys (1,000). */
#include <stdlib.h>
#include <string.h>

#include "base/enc.h"
#include "s3_int.h"

#define MAX_KEYS 1000
#define BATCH    256

typedef struct lister {
    call *c;
    size_t skip; /* "BUCKET/" */
    const char *prefix, *delim;
    size_t plen;
    long long max, count;
    json_t *contents, *prefixes;
    const char *last;    /* the last key or common prefix given (the next page's marker) */
    const char *restart; /* a common prefix was rolled up: list again after it */
    int truncated, seen;
} lister;

/* what a listing shows of an object, all it reads of its document (store_list_fields) */
static const char *const FIELDS[] = {"LastModified", "ETag", "Size", "StorageClass", NULL};

/* doc's field f; a null one is absent (store_list_fields may give one) */
static json_t *field(const json_t *doc, const char *f)
{
    json_t *v = json_object_get(doc, f);
    return json_is_null(v) ? NULL : v;
}

static int entry(void *ud, const store_key *k, json_t *doc)
{
    lister *l = ud;
    const char *key = k->id + l->skip;
    l->seen++;
    if (l->count >= l->max) {
        l->truncated = 1;
        return 1;
    }
    if (l->delim && *l->delim) {
        const char *d = strstr(key + l->plen, l->delim);
        if (d) {
            size_t n = (size_t)(d - key) + strlen(l->delim);
            char *cp = arena_strndup(l->c->a, key, n);
            json_t *x = cp ? json_pack("{s:s}", "Prefix", cp) : NULL;
            if (!x || json_array_append_new(l->prefixes, x)) l->c->oom = 1;
            l->count++;
            l->last = cp;
            /* every key under cp rolls up into it: skip them all (0xff never occurs in UTF-8) */
            l->restart = arena_printf(l->c->a, "%.*s%s\xff", (int)l->skip, k->id, cp ? cp : "");
            return 1;
        }
    }
    json_t *x = json_pack("{s:s, s:O?, s:O?, s:O?, s:s}", "Key", key, "LastModified",
                          field(doc, "LastModified"), "ETag", field(doc, "ETag"), "Size",
                          field(doc, "Size"), "StorageClass",
                          jstr(doc, "StorageClass") ? jstr(doc, "StorageClass") : "STANDARD");
    if (!x || json_array_append_new(l->contents, x)) l->c->oom = 1;
    l->count++;
    l->last = arena_strdup(l->c->a, key);
    return 0;
}

/* Lists bucket's keys after `after` (a key; NULL: from the start) into l. */
static int list_keys(call *c, const char *bucket, const char *after, lister *l)
{
    const char *bp = arena_printf(c->a, "%s/", bucket);
    const char *full = bp ? arena_printf(c->a, "%s%s", bp, l->prefix) : NULL;
    const char *from = after && bp ? arena_printf(c->a, "%s%s", bp, after) : NULL;
    if (!full || (after && !from)) return ferr_oom(c->err);
    l->skip = strlen(bp);
    /* after a key under a common prefix (the previous page ended on it): that prefix is done */
    const char *d = after && l->delim && *l->delim && !strncmp(after, l->prefix, l->plen)
                        ? strstr(after + l->plen, l->delim)
                        : NULL;
    if (d) {
        from = arena_printf(c->a, "%s%.*s\xff", bp, (int)(d - after + strlen(l->delim)), after);
        if (!from) return ferr_oom(c->err);
    }
    /* keys sorting before the prefix cannot match: start at it */
    if (!from || strcmp(from, full) < 0) from = NULL;
    for (;;) {
        l->seen = 0;
        l->restart = NULL;
        int n = store_list_fields(c->txn, S3_OBJECT_KIND, "", "", full, from, BATCH, FIELDS, entry,
                                  l, c->err);
        if (n < 0) return -1;
        if (c->oom) return ferr_oom(c->err);
        if (l->truncated) return 0;
        if (l->restart) {
            from = l->restart;
            continue;
        }
        if (l->seen < BATCH) return 0; /* the listing is over */
        from = arena_printf(c->a, "%s%s", bp, l->last);
        if (!from) return ferr_oom(c->err);
    }
}

static int setup(call *c, json_t *in, lister *l, s3_bucket *b)
{
    memset(l, 0, sizeof(*l));
    l->c = c;
    if (s3_bucket_view(c, jstr(in, "Bucket"), NULL, "s3:ListBucket", b)) return -1;
    l->prefix = jstr(in, "Prefix") ? jstr(in, "Prefix") : "";
    l->plen = strlen(l->prefix);
    l->delim = jstr(in, "Delimiter");
    l->max = jint(in, "MaxKeys", MAX_KEYS);
    if (l->max < 0)
        return ferr_set(c->err, 400, "InvalidArgument",
                        "Argument maxKeys must be an integer "
                        "between 0 and 2147483647");
    if (l->max > MAX_KEYS) l->max = MAX_KEYS;
    l->contents = arena_defer_json(c->a, json_array());
    l->prefixes = arena_defer_json(c->a, json_array());
    return l->contents && l->prefixes ? 0 : ferr_oom(c->err);
}

static json_t *result(lister *l, json_t *in, const char *name)
{
    json_t *o = json_pack("{s:s, s:s, s:I, s:b, s:O, s:O}", "Name", name, "Prefix", l->prefix,
                          "MaxKeys", (json_int_t)l->max, "IsTruncated", l->truncated, "Contents",
                          l->contents, "CommonPrefixes", l->prefixes);
    if (o && l->delim && json_object_set_new(o, "Delimiter", json_string(l->delim))) {
        json_decref(o);
        return NULL;
    }
    if (o && jstr(in, "EncodingType") &&
        json_object_set_new(o, "EncodingType", json_string(jstr(in, "EncodingType")))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int s3_op_list_objects_v2(call *c, json_t *in, json_t **out)
{
    lister l;
    s3_bucket b;
    if (setup(c, in, &l, &b)) return -1;
    const char *token = jstr(in, "ContinuationToken"), *after = jstr(in, "StartAfter");
    if (token) {
        size_t n;
        unsigned char *k = enc_unb64(c->a, token, strlen(token), &n);
        if (!k || !n || memchr(k, 0, n))
            return ferr_set(c->err, 400, "InvalidArgument",
                            "The continuation token provided is incorrect");
        after = (const char *)k;
    }
    if (l.max && list_keys(c, b.name, after, &l)) return -1;
    json_t *o = result(&l, in, b.name);
    if (!o) return ferr_oom(c->err);
    *out = svc_out(c, o);
    if (!*out) return 0;
    if (json_object_set_new(o, "KeyCount", json_integer(l.count)) ||
        (token && json_object_set_new(o, "ContinuationToken", json_string(token))) ||
        (jstr(in, "StartAfter") &&
         json_object_set_new(o, "StartAfter", json_string(jstr(in, "StartAfter")))))
        return ferr_oom(c->err);
    if (l.truncated) {
        const char *t = enc_b64(c->a, (const unsigned char *)l.last, strlen(l.last));
        if (!t || json_object_set_new(o, "NextContinuationToken", json_string(t)))
            return ferr_oom(c->err);
    }
    return 0;
}

int s3_op_list_objects(call *c, json_t *in, json_t **out)
{
    lister l;
    s3_bucket b;
    if (setup(c, in, &l, &b)) return -1;
    const char *marker = jstr(in, "Marker");
    if (l.max && list_keys(c, b.name, marker, &l)) return -1;
    json_t *o = result(&l, in, b.name);
    if (!o) return ferr_oom(c->err);
    *out = svc_out(c, o);
    if (!*out) return 0;
    if (json_object_set_new(o, "Marker", json_string(marker ? marker : "")))
        return ferr_oom(c->err);
    /* AWS gives NextMarker only with a delimiter; clients use the last key otherwise */
    if (l.truncated && l.delim && json_object_set_new(o, "NextMarker", json_string(l.last)))
        return ferr_oom(c->err);
    return 0;
}
