/* Bucket operations: create, head, delete, list, location, policy. */
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "s3_int.h"

int s3_op_create_bucket(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "Bucket");
    if (s3_bucket_name_check(c, name)) return -1;
    const char *lc = jstr(json_object_get(in, "CreateBucketConfiguration"), "LocationConstraint");
    const char *region = c->region ? c->region : "us-east-1";
    /* AWS: us-east-1 takes no LocationConstraint; any other region must name itself */
    if (lc && *lc && strcmp(lc, region))
        return ferr_set(c->err, 400, "IllegalLocationConstraintException",
                        "The %s location constraint is incompatible for the region specific "
                        "endpoint this request was sent to.",
                        lc);
    if ((!lc || !*lc) && strcmp(region, "us-east-1"))
        return ferr_set(c->err, 400, "IllegalLocationConstraintException",
                        "The unspecified location constraint is incompatible for the region "
                        "specific endpoint this request was sent to.");
    if (lc && !strcmp(lc, "us-east-1"))
        return ferr_set(c->err, 400, "InvalidLocationConstraint",
                        "The specified location-constraint is not valid");
    const char *arn = arena_printf(c->a, "arn:%s:s3:::%s", arn_partition(region), name);
    if (!arn) return ferr_oom(c->err);
    call_resource(c, "AWS::S3::Bucket", arn);
    if (call_authorize(c, "s3:CreateBucket", arn)) return -1;
    const char *own = jstr(in, "ObjectOwnership");
    json_t *doc =
        arena_defer_json(c->a, json_pack("{s:s, s:s, s:s, s:f, s:s}", "Name", name, "Owner",
                                         c->account, "Region", region, "Created", clock_now(),
                                         "ObjectOwnership", own ? own : "BucketOwnerEnforced"));
    if (!doc) return ferr_oom(c->err);
    store_key k = {S3_BUCKET_KIND, "", "", name};
    int rc = store_insert(c->txn, &k, doc, c->err);
    if (rc < 0) return -1;
    if (rc == 1) {
        s3_bucket b;
        if (s3_bucket_load(c, name, &b) <= 0) return -1;
        if (strcmp(b.owner, c->account))
            return ferr_set(c->err, 409, "BucketAlreadyExists",
                            "The requested bucket name is not available. The bucket namespace is "
                            "shared by all users of the system. Please select a different name "
                            "and try again.");
        /* AWS keeps us-east-1's legacy answer: creating your own bucket again succeeds */
        if (strcmp(b.region, "us-east-1") || strcmp(region, "us-east-1"))
            return ferr_set(c->err, 409, "BucketAlreadyOwnedByYou",
                            "Your previous request to create the named bucket succeeded and you "
                            "already own it.");
    }
    *out = svc_out(c, json_pack("{s:s}", "Location", arena_printf(c->a, "/%s", name)));
    return 0;
}

int s3_op_head_bucket(call *c, json_t *in, json_t **out)
{
    s3_bucket b;
    if (s3_bucket_open(c, jstr(in, "Bucket"), NULL, "s3:ListBucket", &b)) return -1;
    *out = svc_out(c, json_pack("{s:s}", "BucketRegion", b.region));
    return 0;
}

int s3_op_get_bucket_location(call *c, json_t *in, json_t **out)
{
    s3_bucket b;
    if (s3_bucket_load(c, jstr(in, "Bucket"), &b) <= 0) return -1;
    /* answered from any region: it is how clients find the right one */
    const char *res = b.arn;
    call_resource(c, "AWS::S3::Bucket", res);
    authz_req r = {.action = "s3:GetBucketLocation",
                   .resource = res,
                   .resource_account = b.owner,
                   .resource_policy = jstr(b.doc, "Policy")};
    if (call_authorize_ex(c, &r)) return -1;
    /* AWS: us-east-1 is the empty constraint */
    *out = svc_out(
        c, json_pack("{s:s}", "LocationConstraint", strcmp(b.region, "us-east-1") ? b.region : ""));
    return 0;
}

typedef struct any_ud {
    int found;
} any_ud;

static int any_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k, (void)doc;
    ((any_ud *)ud)->found = 1;
    return 1;
}

int s3_op_delete_bucket(call *c, json_t *in, json_t **out)
{
    (void)out;
    s3_bucket b;
    if (s3_bucket_open(c, jstr(in, "Bucket"), NULL, "s3:DeleteBucket", &b)) return -1;
    const char *prefix = arena_printf(c->a, "%s/", b.name);
    if (!prefix) return ferr_oom(c->err);
    any_ud u = {0};
    /* versions and delete markers keep a bucket from going too, as in AWS */
    if (store_list(c->txn, S3_OBJECT_KIND, "", "", prefix, NULL, 1, any_cb, &u, c->err) < 0 ||
        (!u.found &&
         store_list(c->txn, S3_VERSION_KIND, "", "", prefix, NULL, 1, any_cb, &u, c->err) < 0))
        return -1;
    if (u.found)
        return ferr_set(c->err, 409, "BucketNotEmpty",
                        "The bucket you tried to delete is not empty");
    store_key k = {S3_BUCKET_KIND, "", "", b.name};
    return store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
}

typedef struct list_ud {
    call *c;
    json_t *arr;
    const char *region;
} list_ud;

static int list_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    list_ud *u = ud;
    if (strcmp(jstr(doc, "Owner") ? jstr(doc, "Owner") : "", u->c->account)) return 0;
    const char *region = jstr(doc, "Region");
    if (u->region && (!region || strcmp(region, u->region))) return 0;
    json_t *b = json_pack("{s:s?, s:O?, s:s?}", "Name", jstr(doc, "Name"), "CreationDate",
                          json_object_get(doc, "Created"), "BucketRegion", region);
    if (!b || json_array_append_new(u->arr, b)) u->c->oom = 1;
    return 0;
}

int s3_op_list_buckets(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "s3:ListAllMyBuckets", "*")) return -1;
    json_t *arr = arena_defer_json(c->a, json_array());
    if (!arr) return ferr_oom(c->err);
    list_ud u = {c, arr, jstr(in, "BucketRegion")};
    if (store_list(c->txn, S3_BUCKET_KIND, "", "", jstr(in, "Prefix"), NULL, 0, list_cb, &u,
                   c->err) < 0)
        return -1;
    *out = svc_out(c, json_pack("{s:O, s:{s:s, s:s}}", "Buckets", arr, "Owner", "ID", c->account,
                                "DisplayName", c->account));
    return 0;
}

int s3_op_put_bucket_policy(call *c, json_t *in, json_t **out)
{
    (void)out;
    s3_bucket b;
    if (s3_bucket_open(c, jstr(in, "Bucket"), NULL, "s3:PutBucketPolicy", &b)) return -1;
    const char *policy = jstr(in, "Policy");
    json_error_t je;
    json_t *pj = policy ? json_loads(policy, 0, &je) : NULL;
    int ok = json_is_object(pj) && json_object_get(pj, "Statement");
    json_decref(pj);
    if (!ok)
        return ferr_set(c->err, 400, "MalformedPolicy",
                        "Policies must be valid JSON and the "
                        "first byte must be '{'");
    if (s3_policy_allowed(c, &b, policy)) return -1;
    if (json_object_set_new(b.doc, "Policy", json_string(policy))) return ferr_oom(c->err);
    return s3_bucket_save(c, &b);
}

int s3_op_get_bucket_policy(call *c, json_t *in, json_t **out)
{
    s3_bucket b;
    if (s3_bucket_open(c, jstr(in, "Bucket"), NULL, "s3:GetBucketPolicy", &b)) return -1;
    const char *p = jstr(b.doc, "Policy");
    if (!p) return ferr_set(c->err, 404, "NoSuchBucketPolicy", "The bucket policy does not exist");
    *out = svc_out(c, json_pack("{s:s}", "Policy", p));
    return 0;
}

int s3_op_delete_bucket_policy(call *c, json_t *in, json_t **out)
{
    (void)out;
    s3_bucket b;
    if (s3_bucket_open(c, jstr(in, "Bucket"), NULL, "s3:DeleteBucketPolicy", &b)) return -1;
    json_object_del(b.doc, "Policy");
    return s3_bucket_save(c, &b);
}
