/* Bucket configuration: subresources kept as members of the bucket document (tagging, CORS,
 * lifecycle, default encryption, Block Public Access, Object Ownership and ACLs, versioning,
 * logging, request payment, accelerate), each answered as AWS does when it was never set. */
#include <string.h>
#include <strings.h>

#include "base/enc.h"
#include "s3_int.h"

/* The members of the bucket document this file keeps. */
#define F_TAGS       "Tags"
#define F_CORS       "Cors"
#define F_LIFECYCLE  "Lifecycle"
#define F_ENCRYPTION "Encryption"
#define F_PAB        "PublicAccessBlock" /* absent: AWS's all-true default; null: deleted */
#define F_OWNERSHIP  "ObjectOwnership"   /* absent: deleted (ACLs enabled, ObjectWriter) */
#define F_ACL        "Acl"               /* the canned ACL when ACLs are enabled */
#define F_VERSIONING "Versioning"
#define F_LOGGING    "Logging"
#define F_PAYER      "Payer"
#define F_ACCEL      "Accelerate"

static int malformed_xml(call *c)
{
    return ferr_set(c->err, 400, "MalformedXML",
                    "The XML you provided was not well-formed or did not validate against our "
                    "published schema");
}

/* Opens the request's bucket for action; 0 or -1. */
static int open_bucket(call *c, const json_t *in, const char *action, s3_bucket *b)
{
    return s3_bucket_open(c, jstr(in, "Bucket"), NULL, action, b);
}

/* Sets (v, a new reference; NULL deletes) member field of the bucket doc and saves it. */
static int set_field(call *c, const s3_bucket *b, const char *field, json_t *v)
{
    if (!v) {
        json_object_del(b->doc, field);
    } else if (json_object_set_new(b->doc, field, v)) {
        return ferr_oom(c->err);
    }
    return s3_bucket_save(c, b);
}

/* ---- tags (buckets and objects) ---- */

/* Unicode characters in UTF-8 s (the request was checked to be valid UTF-8). */
static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* AWS's tag rules: keys 1..128 and values 0..256 Unicode characters, unique keys, no
 * "aws:" keys from callers, at most max tags (50 on buckets, 10 on objects). */
int s3_tags_check(call *c, const json_t *tags, size_t max)
{
    if (!json_is_array(tags)) return malformed_xml(c);
    if (json_array_size(tags) > max)
        return max == S3_MAX_OBJECT_TAGS
                   ? ferr_set(c->err, 400, "BadRequest", "Object tags cannot be greater than 10")
                   : ferr_set(c->err, 400, "InvalidTag",
                              "Bucket tag count cannot be greater than 50");
    size_t i, j;
    json_t *t;
    json_array_foreach(tags, i, t) {
        const char *k = jstr(t, "Key"), *v = jstr(t, "Value");
        if (!k || !v) return malformed_xml(c);
        if (!*k || chars(k) > 128)
            return ferr_set(c->err, 400, "InvalidTag", "The TagKey you have provided is %s",
                            *k ? "too long, max 128" : "invalid");
        if (chars(v) > 256)
            return ferr_set(c->err, 400, "InvalidTag",
                            "The TagValue you have provided is too long, max 256");
        if (!strncmp(k, "aws:", 4) && c->caller == CALLER_CLIENT)
            return ferr_set(c->err, 400, "InvalidTag",
                            "System tags cannot be added/updated by requester");
        for (j = 0; j < i; j++)
            if (!strcmp(jstr(json_array_get(tags, j), "Key"), k))
                return ferr_set(c->err, 400, "InvalidTag",
                                "Cannot provide multiple Tags with the same key");
    }
    return 0;
}

int s3_tags_from_header(call *c, const char *header, json_t **tags)
{
    *tags = NULL;
    json_t *arr = arena_defer_json(c->a, json_array());
    if (!arr) return ferr_oom(c->err);
    for (const char *p = header; p && *p;) {
        size_t n = strcspn(p, "&");
        const char *eq = memchr(p, '=', n);
        size_t kl = eq ? (size_t)(eq - p) : n, kd, vd;
        char *k = enc_url_decode(c->a, p, kl, 1, &kd),
             *v = eq ? enc_url_decode(c->a, eq + 1, n - kl - 1, 1, &vd) : "";
        if (!k || !v) return ferr_oom(c->err);
        if (n && (strlen(k) != kd || (eq && strlen(v) != vd)))
            return ferr_set(c->err, 400, "InvalidArgument",
                            "The header 'x-amz-tagging' shall be "
                            "encoded as UTF-8 then URLEncoded URL "
                            "query parameters without tag name "
                            "duplicates.");
        if (n && json_array_append_new(arr, json_pack("{s:s, s:s}", "Key", k, "Value", v)))
            return ferr_oom(c->err);
        p += n;
        if (*p) p++;
    }
    if (s3_tags_check(c, arr, S3_MAX_OBJECT_TAGS)) return -1;
    *tags = arr;
    return 0;
}

int s3_op_put_bucket_tagging(call *c, json_t *in, json_t **out)
{
    (void)out;
    s3_bucket b;
    if (open_bucket(c, in, "s3:PutBucketTagging", &b)) return -1;
    json_t *tags = json_object_get(json_object_get(in, "Tagging"), "TagSet");
    if (s3_tags_check(c, tags, S3_MAX_BUCKET_TAGS)) return -1;
    return set_field(c, &b, F_TAGS, json_incref(tags));
}

int s3_op_get_bucket_tagging(call *c, json_t *in, json_t **out)
{
    s3_bucket b;
    if (open_bucket(c, in, "s3:GetBucketTagging", &b)) return -1;
    json_t *tags = json_object_get(b.doc, F_TAGS);
    if (!tags) return ferr_set(c->err, 404, "NoSuchTagSet", "The TagSet does not exist");
    *out = svc_out(c, json_pack("{s:O}", "TagSet", tags));
    return 0;
}

int s3_op_delete_bucket_tagging(call *c, json_t *in, json_t **out)
{
    (void)out;
    s3_bucket b;
    /* AWS: deleting tags is authorized as s3:PutBucketTagging */
    if (open_bucket(c, in, "s3:PutBucketTagging", &b)) return -1;
    return set_field(c, &b, F_TAGS, NULL);
}

/* The object doc of the request's key, for a tagging or ACL operation: 0 (*doc in the
 * arena), or -1 (NoSuchKey). */
static int open_object(call *c, const json_t *in, const char *action, s3_bucket *b, json_t **doc)
{
    const char *key = jstr(in, "Key");
    if (s3_bucket_open(c, jstr(in, "Bucket"), key, action, b)) return -1;
    const char *id = s3_object_id(c, b->name, key);
    if (!id) return -1;
    store_key k = {S3_OBJECT_KIND, "", "", id};
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc < 0) return -1;
    if (!rc) return ferr_set(c->err, 404, "NoSuchKey", "The specified key does not exist.");
    return arena_defer_json(c->a, *doc) ? 0 : ferr_oom(c->err);
}

static int save_object(call *c, const s3_bucket *b, const json_t *in, json_t *doc)
{
    const char *id = s3_object_id(c, b->name, jstr(in, "Key"));
    if (!id) return -1;
    store_key k = {S3_OBJECT_KIND, "", "", id};
    return store_put(c->txn, &k, doc, c->err);
}

int s3_op_put_object_tagging(call *c, json_t *in, json_t **out)
{
    s3_bucket b;
    json_t *doc;
    if (open_object(c, in, "s3:PutObjectTagging", &b, &doc)) return -1;
    json_t *tags = json_object_get(json_object_get(in, "Tagging"), "TagSet");
    if (s3_tags_check(c, tags, S3_MAX_OBJECT_TAGS)) return -1;
    if (json_object_set(doc, "Tags", tags)) return ferr_oom(c->err);
    if (save_object(c, &b, in, doc)) return -1;
    *out = svc_out(c, json_pack("{s:s?}", "VersionId", jstr(doc, "VersionId")));
    return 0;
}

int s3_op_get_object_tagging(call *c, json_t *in, json_t **out)
{
    s3_bucket b;
    json_t *doc;
    if (open_object(c, in, "s3:GetObjectTagging", &b, &doc)) return -1;
    json_t *tags = json_object_get(doc, "Tags");
    *out = svc_out(c, json_pack("{s:o, s:s?}", "TagSet", tags ? json_incref(tags) : json_array(),
                                "VersionId", jstr(doc, "VersionId")));
    return 0;
}

int s3_op_delete_object_tagging(call *c, json_t *in, json_t **out)
{
    s3_bucket b;
    json_t *doc;
    if (open_object(c, in, "s3:DeleteObjectTagging", &b, &doc)) return -1;
    json_object_del(doc, "Tags");
    if (save_object(c, &b, in, doc)) return -1;
    *out = svc_out(c, json_pack("{s:s?}", "VersionId", jstr(doc, "VersionId")));
    return 0;
}

/* ---- CORS ---- */

int s3_op_put_bucket_cors(call *c, json_t *in, json_t **out)
{
    (void)out;
    s3_bucket b;
    if (open_bucket(c, in, "s3:PutBucketCORS", &b)) return -1;
    json_t *rules = json_object_get(json_object_get(in, "CORSConfiguration"), "CORSRules");
    if (!json_array_size(rules) || json_array_size(rules) > 100) return malformed_xml(c);
    size_t i, j;
    json_t *r, *m;
    json_array_foreach(rules, i, r) {
        if (!json_array_size(json_object_get(r, "AllowedOrigins")) ||
            !json_array_size(json_object_get(r, "AllowedMethods")))
            return malformed_xml(c);
        json_array_foreach(json_object_get(r, "AllowedMethods"), j, m) {
            const char *s = json_string_value(m);
            static const char *const ok[] = {"GET", "PUT", "HEAD", "POST", "DELETE"};
            size_t k = 0;
            while (k < 5 && (!s || strcmp(s, ok[k]))) k++;
            if (k == 5)
                return ferr_set(c->err, 400, "InvalidRequest",
                                "Found unsupported HTTP method in CORS config. Unsupported method "
                                "is %s",
                                s ? s : "");
        }
    }
    return set_field(c, &b, F_CORS, json_incref(rules));
}

int s3_op_get_bucket_cors(call *c, json_t *in, json_t **out)
{
    s3_bucket b;
    if (open_bucket(c, in, "s3:GetBucketCORS", &b)) return -1;
    json_t *rules = json_object_get(b.doc, F_CORS);
    if (!rules)
        return ferr_set(c->err, 404, "NoSuchCORSConfiguration",
                        "The CORS configuration does not exist");
    *out = svc_out(c, json_pack("{s:O}", "CORSRules", rules));
    return 0;
}

int s3_op_delete_bucket_cors(call *c, json_t *in, json_t **out)
{
    (void)out;
    s3_bucket b;
    if (open_bucket(c, in, "s3:PutBucketCORS", &b)) return -1;
    return set_field(c, &b, F_CORS, NULL);
}

/* ---- lifecycle ---- */

static int invalid_argument(call *c, const char *msg)
{
    return ferr_set(c->err, 400, "InvalidArgument", "%s", msg);
}

/* One rule as AWS checks it: an ID of at most 255 characters, unique; a Status; at least one
 * action; Expiration's Days positive, its Date at midnight UTC. */
static int lifecycle_rule_check(call *c, const json_t *rules, size_t i)
{
    const json_t *r = json_array_get(rules, i);
    const char *id = jstr(r, "ID"), *status = jstr(r, "Status");
    if (!status || (strcmp(status, "Enabled") && strcmp(status, "Disabled")))
        return malformed_xml(c);
    if (id && strlen(id) > 255)
        return invalid_argument(c, "ID length should not exceed allowed limit of 255");
    for (size_t j = 0; id && j < i; j++) {
        const char *o = jstr(json_array_get(rules, j), "ID");
        if (o && !strcmp(o, id))
            return invalid_argument(c,
                                    "RuleId must be unique. Found same ID for more than one rule");
    }
    static const char *const actions[] = {"Expiration",
                                          "Transitions",
                                          "NoncurrentVersionExpiration",
                                          "NoncurrentVersionTransitions",
                                          "AbortIncompleteMultipartUpload",
                                          NULL};
    int any = 0;
    for (int k = 0; actions[k]; k++) any |= json_object_get(r, actions[k]) != NULL;
    if (!any) return invalid_argument(c, "At least one action needs to be specified in a rule");
    if (json_object_get(r, "Filter") && json_object_get(r, "Prefix")) return malformed_xml(c);
    const json_t *x = json_object_get(r, "Expiration");
    if (!x) return 0;
    json_t *days = json_object_get(x, "Days"), *date = json_object_get(x, "Date");
    if (!!days + !!date + !!json_object_get(x, "ExpiredObjectDeleteMarker") != 1)
        return malformed_xml(c);
    if (days && json_integer_value(days) <= 0)
        return invalid_argument(c, "'Days' for Expiration action must be a positive integer");
    if (date && (long long)json_number_value(date) % 86400)
        return invalid_argument(c, "'Date' must be at midnight GMT");
    return 0;
}

int s3_op_put_bucket_lifecycle_configuration(call *c, json_t *in, json_t **out)
{
    (void)out;
    s3_bucket b;
    if (open_bucket(c, in, "s3:PutLifecycleConfiguration", &b)) return -1;
    json_t *rules = json_object_get(json_object_get(in, "LifecycleConfiguration"), "Rules");
    if (!json_array_size(rules) || json_array_size(rules) > 1000) return malformed_xml(c);
    for (size_t i = 0; i < json_array_size(rules); i++)
        if (lifecycle_rule_check(c, rules, i)) return -1;
    return set_field(c, &b, F_LIFECYCLE, json_incref(rules));
}

int s3_op_get_bucket_lifecycle_configuration(call *c, json_t *in, json_t **out)
{
    s3_bucket b;
    if (open_bucket(c, in, "s3:GetLifecycleConfiguration", &b)) return -1;
    json_t *rules = json_object_get(b.doc, F_LIFECYCLE);
    if (!rules)
        return ferr_set(c->err, 404, "NoSuchLifecycleConfiguration",
                        "The lifecycle configuration does not exist");
    *out = svc_out(c, json_pack("{s:O}", "Rules", rules));
    return 0;
}

int s3_op_delete_bucket_lifecycle(call *c, json_t *in, json_t **out)
{
    (void)out;
    s3_bucket b;
    if (open_bucket(c, in, "s3:PutLifecycleConfiguration", &b)) return -1;
    return set_field(c, &b, F_LIFECYCLE, NULL);
}

/* ---- default encryption ---- */

int s3_bucket_encryption(call *c, const s3_bucket *b, const char **alg, const char **kms_key_id)
{
    (void)c;
    const json_t *d = json_object_get(
        json_array_get(json_object_get(json_object_get(b->doc, F_ENCRYPTION), "Rules"), 0),
        "ApplyServerSideEncryptionByDefault");
    *alg = d ? jstr(d, "SSEAlgorithm") : "AES256"; /* AWS: SSE-S3 since January 2023 */
    *kms_key_id = d ? jstr(d, "KMSMasterKeyID") : NULL;
    return 0;
}

int s3_op_put_bucket_encryption(call *c, json_t *in, json_t **out)
{
    (void)out;
    s3_bucket b;
    if (open_bucket(c, in, "s3:PutEncryptionConfiguration", &b)) return -1;
    json_t *cfg = json_object_get(in, "ServerSideEncryptionConfiguration");
    json_t *rules = json_object_get(cfg, "Rules");
    if (json_array_size(rules) != 1) return malformed_xml(c);
    const json_t *d =
        json_object_get(json_array_get(rules, 0), "ApplyServerSideEncryptionByDefault");
    const char *alg = jstr(d, "SSEAlgorithm");
    if (!alg) return malformed_xml(c);
    int kms = !strcmp(alg, "aws:kms") || !strcmp(alg, "aws:kms:dsse");
    if (!kms && strcmp(alg, "AES256")) return malformed_xml(c);
    if (!kms && jstr(d, "KMSMasterKeyID"))
        return invalid_argument(c, "a KMSMasterKeyID is not applicable if the default sse "
                                   "algorithm is not aws:kms or aws:kms:dsse");
    return set_field(c, &b, F_ENCRYPTION, json_incref(cfg));
}

int s3_op_get_bucket_encryption(call *c, json_t *in, json_t **out)
{
    s3_bucket b;
    if (open_bucket(c, in, "s3:GetEncryptionConfiguration", &b)) return -1;
    json_t *cfg = json_object_get(b.doc, F_ENCRYPTION);
    *out =
        svc_out(c, cfg ? json_pack("{s:O}", "ServerSideEncryptionConfiguration", cfg)
                       : json_pack("{s:{s:[{s:{s:s}, s:b}]}}", "ServerSideEncryptionConfiguration",
                                   "Rules", "ApplyServerSideEncryptionByDefault", "SSEAlgorithm",
                                   "AES256", "BucketKeyEnabled", 0));
    return 0;
}

int s3_op_delete_bucket_encryption(call *c, json_t *in, json_t **out)
{
    (void)out;
    s3_bucket b;
    if (open_bucket(c, in, "s3:PutEncryptionConfiguration", &b)) return -1;
    return set_field(c, &b, F_ENCRYPTION, NULL);
}

/* ---- Block Public Access ---- */

static const char *const pab_flags[] = {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                        "RestrictPublicBuckets", NULL};

int s3_public_access_block(const s3_bucket *b, const char *flag)
{
    json_t *pab = json_object_get(b->doc, F_PAB);
    if (!pab) return 1; /* AWS: every new bucket blocks public access since April 2023 */
    return jbool(pab, flag, 0);
}

int s3_op_put_public_access_block(call *c, json_t *in, json_t **out)
{
    (void)out;
    s3_bucket b;
    if (open_bucket(c, in, "s3:PutBucketPublicAccessBlock", &b)) return -1;
    json_t *cfg = json_object_get(in, "PublicAccessBlockConfiguration");
    json_t *v = json_object();
    for (int i = 0; v && pab_flags[i]; i++)
        if (json_object_set_new(v, pab_flags[i], json_boolean(jbool(cfg, pab_flags[i], 0)))) {
            json_decref(v);
            v = NULL;
        }
    if (!v) return ferr_oom(c->err);
    return set_field(c, &b, F_PAB, v);
}

int s3_op_get_public_access_block(call *c, json_t *in, json_t **out)
{
    s3_bucket b;
    if (open_bucket(c, in, "s3:GetBucketPublicAccessBlock", &b)) return -1;
    json_t *pab = json_object_get(b.doc, F_PAB);
    if (json_is_null(pab))
        return ferr_set(c->err, 404, "NoSuchPublicAccessBlockConfiguration",
                        "The public access block configuration was not found");
    json_t *v = json_object();
    for (int i = 0; v && pab_flags[i]; i++)
        if (json_object_set_new(v, pab_flags[i],
                                json_boolean(s3_public_access_block(&b, pab_flags[i])))) {
            json_decref(v);
            v = NULL;
        }
    *out = svc_out(c, v ? json_pack("{s:o}", "PublicAccessBlockConfiguration", v) : NULL);
    return 0;
}

int s3_op_delete_public_access_block(call *c, json_t *in, json_t **out)
{
    (void)out;
    s3_bucket b;
    if (open_bucket(c, in, "s3:PutBucketPublicAccessBlock", &b)) return -1;
    return set_field(c, &b, F_PAB, json_null());
}

/* AWS's "public" policy: a statement that allows everyone ("*", or {"AWS": "*"}) without a
 * condition that pins the caller to fixed values (source ARN/account/VPC/IP, organization,
 * principal account/ARN). */
static int principal_is_everyone(const json_t *p)
{
    if (json_is_string(p)) return !strcmp(json_string_value(p), "*");
    json_t *aws = json_object_get(p, "AWS");
    if (json_is_string(aws)) return !strcmp(json_string_value(aws), "*");
    size_t i;
    json_t *v;
    json_array_foreach(aws, i, v)
        if (json_is_string(v) && !strcmp(json_string_value(v), "*")) return 1;
    return 0;
}

static int condition_restricts(const json_t *cond)
{
    static const char *const fixed[] = {"aws:sourcearn",
                                        "aws:sourceaccount",
                                        "aws:sourcevpc",
                                        "aws:sourcevpce",
                                        "aws:sourceip",
                                        "aws:principalorgid",
                                        "aws:principalaccount",
                                        "aws:principalarn",
                                        "aws:userid",
                                        "aws:sourceowner",
                                        "s3:dataaccesspointaccount",
                                        NULL};
    const char *op;
    json_t *keys;
    json_object_foreach((json_t *)cond, op, keys) {
        const char *k;
        json_t *v;
        json_object_foreach(keys, k, v)
            for (int i = 0; fixed[i]; i++)
                if (!strcasecmp(k, fixed[i])) return 1;
    }
    return 0;
}

int s3_policy_is_public(const char *policy)
{
    json_t *pj = json_loads(policy, 0, NULL);
    json_t *st = json_object_get(pj, "Statement");
    int pub = 0;
    size_t n = json_is_array(st) ? json_array_size(st) : 1;
    for (size_t i = 0; i < n && !pub; i++) {
        json_t *s = json_is_array(st) ? json_array_get(st, i) : st;
        const char *eff = jstr(s, "Effect");
        pub = eff && !strcmp(eff, "Allow") &&
              principal_is_everyone(json_object_get(s, "Principal")) &&
              !condition_restricts(json_object_get(s, "Condition"));
    }
    json_decref(pj);
    return pub;
}

int s3_policy_allowed(call *c, const s3_bucket *b, const char *policy)
{
    if (!s3_public_access_block(b, "BlockPublicPolicy") || !s3_policy_is_public(policy)) return 0;
    /* AWS: the same AccessDenied as any refusal; the setting is named in the message */
    return ferr_set(c->err, 403, "AccessDenied",
                    "User: %s is not authorized to perform: s3:PutBucketPolicy on resource: "
                    "\"%s\" because public policies are blocked by the BlockPublicPolicy block "
                    "public access setting.",
                    c->who ? c->who->arn : "", b->arn);
}

/* ---- Object Ownership and ACLs ---- */

int s3_op_put_bucket_ownership_controls(call *c, json_t *in, json_t **out)
{
    (void)out;
    s3_bucket b;
    if (open_bucket(c, in, "s3:PutBucketOwnershipControls", &b)) return -1;
    json_t *rules = json_object_get(json_object_get(in, "OwnershipControls"), "Rules");
    const char *own = jstr(json_array_get(rules, 0), "ObjectOwnership");
    if (json_array_size(rules) != 1 || !own ||
        (strcmp(own, "BucketOwnerEnforced") && strcmp(own, "BucketOwnerPreferred") &&
         strcmp(own, "ObjectWriter")))
        return malformed_xml(c);
    return set_field(c, &b, F_OWNERSHIP, json_string(own));
}

int s3_op_get_bucket_ownership_controls(call *c, json_t *in, json_t **out)
{
    s3_bucket b;
    if (open_bucket(c, in, "s3:GetBucketOwnershipControls", &b)) return -1;
    const char *own = jstr(b.doc, F_OWNERSHIP);
    if (!own)
        return ferr_set(c->err, 404, "OwnershipControlsNotFoundError",
                        "The bucket ownership controls were not found");
    *out = svc_out(
        c, json_pack("{s:{s:[{s:s}]}}", "OwnershipControls", "Rules", "ObjectOwnership", own));
    return 0;
}

int s3_op_delete_bucket_ownership_controls(call *c, json_t *in, json_t **out)
{
    (void)out;
    s3_bucket b;
    if (open_bucket(c, in, "s3:PutBucketOwnershipControls", &b)) return -1;
    return set_field(c, &b, F_OWNERSHIP, NULL);
}

static int acls_disabled(const s3_bucket *b)
{
    const char *own = jstr(b->doc, F_OWNERSHIP);
    return own && !strcmp(own, "BucketOwnerEnforced");
}

/* What an ACL write asks for: the canned ACL it names ("private" when it only grants the
 * owner full control), or NULL for grants of its own. */
static const char *acl_asked(const s3_bucket *b, const json_t *in)
{
    static const char *const grants[] = {"GrantRead", "GrantWrite", "GrantReadACP", "GrantWriteACP",
                                         NULL};
    for (int i = 0; grants[i]; i++)
        if (jstr(in, grants[i])) return NULL;
    const char *full = jstr(in, "GrantFullControl");
    if (full && (!strstr(full, b->owner) || strchr(full, ','))) return NULL;
    const json_t *g = json_object_get(json_object_get(in, "AccessControlPolicy"), "Grants");
    if (g) {
        const json_t *g0 = json_array_get(g, 0);
        const char *perm = jstr(g0, "Permission"), *id = jstr(json_object_get(g0, "Grantee"), "ID");
        if (json_array_size(g) != 1 || !perm || strcmp(perm, "FULL_CONTROL") || !id ||
            strcmp(id, b->owner))
            return NULL;
    }
    const char *acl = jstr(in, "ACL");
    return acl ? acl : "private";
}

/* ACL writes under BucketOwnerEnforced: only the owner's full control, as AWS. 0 or -1. */
int s3_acl_check(call *c, const s3_bucket *b, const json_t *in)
{
    if (!acls_disabled(b)) return 0;
    const char *acl = acl_asked(b, in);
    if (acl && (!strcmp(acl, "private") || !strcmp(acl, "bucket-owner-full-control"))) return 0;
    return ferr_set(c->err, 400, "AccessControlListNotSupported", "The bucket does not allow ACLs");
}

/* The grants a canned ACL stands for, the owner's FULL_CONTROL first. */
static json_t *acl_grants(const char *owner, const char *acl)
{
    json_t *g = json_pack("[{s:{s:s, s:s, s:s}, s:s}]", "Grantee", "Type", "CanonicalUser", "ID",
                          owner, "DisplayName", owner, "Permission", "FULL_CONTROL");
    static const char *const all = "http://acs.amazonaws.com/groups/global/AllUsers",
                             *const auth =
                                 "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
    const char *uri = NULL, *perms[2] = {NULL, NULL};
    if (acl && !strcmp(acl, "public-read")) uri = all, perms[0] = "READ";
    if (acl && !strcmp(acl, "public-read-write")) uri = all, perms[0] = "READ", perms[1] = "WRITE";
    if (acl && !strcmp(acl, "authenticated-read")) uri = auth, perms[0] = "READ";
    for (int i = 0; g && i < 2 && perms[i]; i++)
        if (json_array_append_new(g, json_pack("{s:{s:s, s:s}, s:s}", "Grantee", "Type", "Group",
                                               "URI", uri, "Permission", perms[i]))) {
            json_decref(g);
            g = NULL;
        }
    return g;
}

static int acl_answer(call *c, const char *owner, const char *acl, json_t **out)
{
    json_t *g = acl_grants(owner, acl);
    *out = svc_out(c, g ? json_pack("{s:{s:s, s:s}, s:o}", "Owner", "ID", owner, "DisplayName",
                                    owner, "Grants", g)
                        : NULL);
    return 0;
}

/* A canned ACL that makes the bucket or object public, refused under BlockPublicAcls. */
static int acl_write(call *c, const s3_bucket *b, const json_t *in, const char **acl)
{
    if (s3_acl_check(c, b, in)) return -1;
    *acl = acl_asked(b, in);
    if (!*acl) *acl = "private"; /* explicit grants are accepted and not modelled */
    if (strncmp(*acl, "public-", 7) || !s3_public_access_block(b, "BlockPublicAcls")) return 0;
    return ferr_set(c->err, 403, "AccessDenied", "Access Denied");
}

int s3_op_put_bucket_acl(call *c, json_t *in, json_t **out)
{
    (void)out;
    s3_bucket b;
    const char *acl;
    if (open_bucket(c, in, "s3:PutBucketAcl", &b) || acl_write(c, &b, in, &acl)) return -1;
    return set_field(c, &b, F_ACL, json_string(acl));
}

int s3_op_get_bucket_acl(call *c, json_t *in, json_t **out)
{
    s3_bucket b;
    if (open_bucket(c, in, "s3:GetBucketAcl", &b)) return -1;
    return acl_answer(c, b.owner, acls_disabled(&b) ? NULL : jstr(b.doc, F_ACL), out);
}

int s3_op_put_object_acl(call *c, json_t *in, json_t **out)
{
    s3_bucket b;
    json_t *doc;
    const char *acl;
    if (open_object(c, in, "s3:PutObjectAcl", &b, &doc) || acl_write(c, &b, in, &acl)) return -1;
    if (jset_str(doc, "Acl", acl)) return ferr_oom(c->err);
    if (save_object(c, &b, in, doc)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int s3_op_get_object_acl(call *c, json_t *in, json_t **out)
{
    s3_bucket b;
    json_t *doc;
    if (open_object(c, in, "s3:GetObjectAcl", &b, &doc)) return -1;
    return acl_answer(c, b.owner, acls_disabled(&b) ? NULL : jstr(doc, "Acl"), out);
}

/* ---- versioning, logging, request payment, accelerate ---- */

int s3_op_put_bucket_versioning(call *c, json_t *in, json_t **out)
{
    (void)out;
    s3_bucket b;
    if (open_bucket(c, in, "s3:PutBucketVersioning", &b)) return -1;
    json_t *cfg = json_object_get(in, "VersioningConfiguration");
    const char *st = jstr(cfg, "Status"), *mfa = jstr(cfg, "MFADelete");
    if ((st && strcmp(st, "Enabled") && strcmp(st, "Suspended")) ||
        (mfa && strcmp(mfa, "Enabled") && strcmp(mfa, "Disabled")))
        return malformed_xml(c);
    /* AWS: a bucket once versioned can only be suspended, never unversioned again */
    json_t *v =
        json_pack("{s:s?, s:s?}", "Status",
                  st ? st : jstr(json_object_get(b.doc, F_VERSIONING), "Status"), "MFADelete", mfa);
    if (!v) return ferr_oom(c->err);
    return set_field(c, &b, F_VERSIONING, v);
}

const char *s3_bucket_versioning(const s3_bucket *b)
{
    return jstr(json_object_get(b->doc, F_VERSIONING), "Status");
}

int s3_op_get_bucket_versioning(call *c, json_t *in, json_t **out)
{
    s3_bucket b;
    if (open_bucket(c, in, "s3:GetBucketVersioning", &b)) return -1;
    json_t *v = json_object_get(b.doc, F_VERSIONING);
    *out = svc_out(c, v ? json_deep_copy(v) : json_object());
    return 0;
}

int s3_op_put_bucket_logging(call *c, json_t *in, json_t **out)
{
    (void)out;
    s3_bucket b;
    if (open_bucket(c, in, "s3:PutBucketLogging", &b)) return -1;
    json_t *le = json_object_get(json_object_get(in, "BucketLoggingStatus"), "LoggingEnabled");
    if (le) {
        s3_bucket t;
        const char *target = jstr(le, "TargetBucket");
        int rc = target ? s3_bucket_load(c, target, &t) : 0;
        if (rc < 0) return -1;
        if (!rc)
            return ferr_set(c->err, 400, "InvalidTargetBucketForLogging",
                            "The target bucket for logging does not exist");
        if (strcmp(t.region, b.region))
            return ferr_set(c->err, 400, "CrossLocationLoggingProhibitted",
                            "Cross S3 location logging not allowed. ");
    }
    return set_field(c, &b, F_LOGGING, json_incref(le));
}

int s3_op_get_bucket_logging(call *c, json_t *in, json_t **out)
{
    s3_bucket b;
    if (open_bucket(c, in, "s3:GetBucketLogging", &b)) return -1;
    *out = svc_out(c, json_pack("{s:O?}", "LoggingEnabled", json_object_get(b.doc, F_LOGGING)));
    return 0;
}

int s3_op_put_bucket_request_payment(call *c, json_t *in, json_t **out)
{
    (void)out;
    s3_bucket b;
    if (open_bucket(c, in, "s3:PutBucketRequestPayment", &b)) return -1;
    const char *p = jstr(json_object_get(in, "RequestPaymentConfiguration"), "Payer");
    if (!p || (strcmp(p, "Requester") && strcmp(p, "BucketOwner"))) return malformed_xml(c);
    return set_field(c, &b, F_PAYER, json_string(p));
}

int s3_op_get_bucket_request_payment(call *c, json_t *in, json_t **out)
{
    s3_bucket b;
    if (open_bucket(c, in, "s3:GetBucketRequestPayment", &b)) return -1;
    const char *p = jstr(b.doc, F_PAYER);
    *out = svc_out(c, json_pack("{s:s}", "Payer", p ? p : "BucketOwner"));
    return 0;
}

int s3_op_put_bucket_accelerate_configuration(call *c, json_t *in, json_t **out)
{
    (void)out;
    s3_bucket b;
    if (open_bucket(c, in, "s3:PutAccelerateConfiguration", &b)) return -1;
    if (strchr(b.name, '.'))
        return ferr_set(c->err, 400, "InvalidRequest",
                        "S3 Transfer Acceleration is not supported for buckets with periods (.) "
                        "in their names");
    const char *s = jstr(json_object_get(in, "AccelerateConfiguration"), "Status");
    if (!s || (strcmp(s, "Enabled") && strcmp(s, "Suspended"))) return malformed_xml(c);
    return set_field(c, &b, F_ACCEL, json_string(s));
}

int s3_op_get_bucket_accelerate_configuration(call *c, json_t *in, json_t **out)
{
    s3_bucket b;
    if (open_bucket(c, in, "s3:GetAccelerateConfiguration", &b)) return -1;
    *out = svc_out(c, json_pack("{s:s?}", "Status", jstr(b.doc, F_ACCEL)));
    return 0;
}
