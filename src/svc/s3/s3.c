/* Amazon S3 (rest-xml): the service, and what every bucket operation checks first. The
 * operation table is generated from the model (src/svc/svc.h); see s3_int.h. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/arn.h"
#include "base/gencache.h"
#include "s3_int.h"

/* S3's condition keys that come from the request (AWS's "Actions, resources, and condition
 * keys for Amazon S3"): the input member each is read from. */
static const char *const s3_keys[][2] = {
    {"ServerSideEncryption", "s3:x-amz-server-side-encryption"},
    {"SSEKMSKeyId", "s3:x-amz-server-side-encryption-aws-kms-key-id"},
    {"ACL", "s3:x-amz-acl"},
    {"CopySource", "s3:x-amz-copy-source"},
    {"StorageClass", "s3:x-amz-storage-class"},
    {"MetadataDirective", "s3:x-amz-metadata-directive"},
    {"Prefix", "s3:prefix"},
    {"Delimiter", "s3:delimiter"},
    {"MaxKeys", "s3:max-keys"},
    {"VersionId", "s3:VersionId"},
};

static int condition_keys(call *c, const json_t *in)
{
    json_t *ctx = NULL;
    for (size_t i = 0; i < sizeof(s3_keys) / sizeof(s3_keys[0]); i++) {
        json_t *v = json_object_get(in, s3_keys[i][0]);
        if (!v) continue;
        if (!ctx) {
            ctx = c->context ? json_deep_copy(c->context) : json_object();
            if (!ctx || !arena_defer_json(c->a, ctx)) return ferr_oom(c->err);
        }
        json_t *s = json_is_integer(v)
                        ? json_sprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v))
                        : json_incref(v);
        if (json_object_set_new(ctx, s3_keys[i][1], s)) return ferr_oom(c->err);
    }
    if (ctx) c->context = ctx;
    return 0;
}

static void buckets_forget(void);

const svc_def svc_s3 = {.name = "s3",
                        .event_source = "s3.amazonaws.com",
                        .condition_keys = condition_keys,
                        .reset = buckets_forget};

/* AWS's general purpose bucket naming rules: 3-63 characters of lower-case letters,
 * digits, dots and hyphens, beginning and ending with a letter or digit, no two adjacent
 * dots, not an IP address, none of the reserved prefixes and suffixes. */
int s3_bucket_name_check(call *c, const char *name)
{
    size_t n = strlen(name);
    int ok = n >= 3 && n <= 63 && isalnum((unsigned char)name[0]) &&
             isalnum((unsigned char)name[n - 1]) && !strstr(name, "..") &&
             strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789.-") == n &&
             strncmp(name, "xn--", 4) && strncmp(name, "sthree-", 7) &&
             (n < 8 || strcmp(name + n - 8, "-s3alias")) &&
             (n < 6 || strcmp(name + n - 6, "--ol-s3"));
    int dots = 0, digits_only = 1;
    for (const char *p = name; *p; p++) {
        if (*p == '.')
            dots++;
        else if (!isdigit((unsigned char)*p))
            digits_only = 0;
    }
    if (ok && dots == 3 && digits_only) ok = 0; /* formatted as an IP address */
    return ok ? 0
              : ferr_set(c->err, 400, "InvalidBucketName", "The specified bucket is not valid.");
}

static int no_such_bucket(call *c)
{
    return ferr_set(c->err, 404, "NoSuchBucket", "The specified bucket does not exist");
}

/* b's strings from doc (held by the call) */
static int bucket_fill(call *c, const char *name, json_t *doc, s3_bucket *b)
{
    b->doc = doc;
    b->name = jstr(doc, "Name");
    b->owner = jstr(doc, "Owner");
    b->region = jstr(doc, "Region");
    /* the bucket's own region decides its partition, whichever endpoint was called */
    b->arn = arena_printf(c->a, "arn:%s:s3:::%s", arn_partition(b->region), name);
    if (!b->name || !b->owner || !b->region)
        return ferr_internal(c->err, "bucket %s: corrupt document", name);
    if (!b->arn) return ferr_oom(c->err);
    return 1;
}

/* The bucket's document from the store, or shared through cache (call_doc_shared; NULL:
 * the call's own copy). */
static int bucket_read(call *c, const char *name, gencache *cache, s3_bucket *b)
{
    memset(b, 0, sizeof(*b));
    store_key k = {S3_BUCKET_KIND, "", "", name};
    json_t *doc;
    int rc = call_doc_shared(c, cache, &k, &doc);
    if (rc <= 0) {
        if (!rc) no_such_bucket(c);
        return rc;
    }
    return bucket_fill(c, name, doc, b);
}

int s3_bucket_load(call *c, const char *name, s3_bucket *b)
{
    return bucket_read(c, name, NULL, b);
}

/* ---- bucket documents shared between object reads and writes ----
 * Every GetObject and PutObject reads its bucket's document (twice for a PUT: from the
 * headers, then with the body), and reading and parsing it showed in profiles. They share
 * parsed documents, valid at the generation store_txn_generation gives for buckets (none for
 * a transaction that wrote buckets itself, or a read whose snapshot may be older). */
static gencache_static shared_buckets = SVC_DOC_CACHE(4096);

static void buckets_forget(void)
{
    gencache_clear(gencache_of(&shared_buckets));
}

static int bucket_load_shared(call *c, const char *name, s3_bucket *b)
{
    return bucket_read(c, name, gencache_of(&shared_buckets), b);
}

static int bucket_open(call *c, const char *name, const char *key, const char *action, int shared,
                       s3_bucket *b)
{
    int rc = shared ? bucket_load_shared(c, name, b) : s3_bucket_load(c, name, b);
    if (rc <= 0) return -1;
    b->shared = shared;
    if (c->region && strcmp(c->region, b->region)) {
        ferr_set(c->err, 400, "AuthorizationHeaderMalformed",
                 "The authorization header is malformed; the region '%s' is wrong; "
                 "expecting '%s'",
                 c->region, b->region);
        snprintf(c->err->region, sizeof(c->err->region), "%s", b->region);
        return -1;
    }
    const char *res = key ? arena_printf(c->a, "%s/%s", b->arn, key) : b->arn;
    if (!res) return ferr_oom(c->err);
    call_resource(c, key ? "AWS::S3::Object" : "AWS::S3::Bucket", res);
    if (c->caller == CALLER_INTERNAL && c->arg == &s3_lifecycle_marker) return 0;
    authz_req r = {.action = action,
                   .resource = res,
                   .resource_account = b->owner,
                   .resource_policy = jstr(b->doc, "Policy")};
    return call_authorize_ex(c, &r);
}

int s3_bucket_open(call *c, const char *name, const char *key, const char *action, s3_bucket *b)
{
    return bucket_open(c, name, key, action, 0, b);
}

int s3_bucket_view(call *c, const char *name, const char *key, const char *action, s3_bucket *b)
{
    return bucket_open(c, name, key, action, 1, b);
}

int s3_bucket_save(call *c, const s3_bucket *b)
{
    if (b->shared) return ferr_internal(c->err, "bucket %s: a shared document saved", b->name);
    store_key k = {S3_BUCKET_KIND, "", "", b->name};
    return store_put(c->txn, &k, b->doc, c->err);
}

const char *s3_object_id(call *c, const char *bucket, const char *key)
{
    const char *id = arena_printf(c->a, "%s/%s", bucket, key);
    if (!id) ferr_oom(c->err);
    return id;
}

int s3_key_check(call *c, const char *key)
{
    size_t n = strlen(key);
    if (!n) return ferr_set(c->err, 400, "InvalidArgument", "Object key must not be empty");
    if (n > S3_MAX_KEY) return ferr_set(c->err, 400, "KeyTooLongError", "Your key is too long");
    return 0;
}

typedef struct docs_ud {
    call *c;
    json_t *arr;
} docs_ud;

static int doc_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    docs_ud *d = ud;
    if (json_array_append(d->arr, doc)) d->c->oom = 1;
    return 0;
}

json_t *s3_list_docs(call *c, const char *kind, const char *prefix, const char *after, int limit)
{
    json_t *arr = arena_defer_json(c->a, json_array());
    if (!arr) {
        ferr_oom(c->err);
        return NULL;
    }
    docs_ud d = {c, arr};
    if (store_list(c->txn, kind, "", "", prefix, after, limit, doc_cb, &d, c->err) < 0) return NULL;
    if (c->oom) {
        ferr_oom(c->err);
        return NULL;
    }
    return arr;
}
