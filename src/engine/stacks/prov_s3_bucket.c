/* AWS::S3::Bucket. Ref = the bucket name (BucketName, else generated lowercase as
 * CloudFormation does); GetAtt Arn, DomainName, RegionalDomainName, DualStackDomainName,
 * WebsiteURL. BucketName replaces; every configuration property changes in place, through
 * the subresource's Put (or Delete when the property goes). CloudFormation's property shapes
 * differ from the API's (BucketEncryption, LifecycleConfiguration, NotificationConfiguration,
 * CorsConfiguration): converted here. Deleting a bucket that still holds objects fails with
 * S3's BucketNotEmpty, as in AWS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "prov_int.h"

static const prov_prop schema[] = {
    {"AccelerateConfiguration", PT_OBJECT, 0},
    {"BucketEncryption", PT_OBJECT, 0},
    {"BucketName", PT_STR, 0},
    {"CorsConfiguration", PT_OBJECT, 0},
    {"LifecycleConfiguration", PT_OBJECT, 0},
    {"LoggingConfiguration", PT_OBJECT, 0},
    {"NotificationConfiguration", PT_OBJECT, 0},
    {"OwnershipControls", PT_OBJECT, 0},
    {"PublicAccessBlockConfiguration", PT_OBJECT, 0},
    {"Tags", PT_TAGS, 0},
    {"VersioningConfiguration", PT_OBJECT, 0},
    {NULL, 0, 0},
};

/* CloudFormation booleans: true or "true". */
static int cbool(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_true(v) || (json_is_string(v) && !strcmp(json_string_value(v), "true"));
}

/* CloudFormation integers: numbers or numeric strings; -1 when absent. */
static long long cint(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    if (json_is_integer(v)) return json_integer_value(v);
    if (json_is_string(v)) return strtoll(json_string_value(v), NULL, 10);
    return -1;
}

/* Copies member from of src into dst as to (when present). rc accumulates failures. */
static int move(json_t *dst, const char *to, const json_t *src, const char *from)
{
    json_t *v = json_object_get(src, from);
    return v ? json_object_set(dst, to, v) : 0;
}

/* ---- CloudFormation shapes -> API inputs (the "Bucket" member added by the caller) ---- */

static json_t *in_versioning(const json_t *v)
{
    return json_pack("{s:{s:s}}", "VersioningConfiguration", "Status",
                     jstr(v, "Status") ? jstr(v, "Status") : "Suspended");
}

static json_t *in_encryption(const json_t *v)
{
    json_t *rules = json_array();
    size_t i;
    json_t *r;
    int rc = !rules;
    json_array_foreach(json_object_get(v, "ServerSideEncryptionConfiguration"), i, r) {
        json_t *d = json_object_get(r, "ServerSideEncryptionByDefault");
        json_t *x = json_pack("{s:O?}", "ApplyServerSideEncryptionByDefault", d);
        if (x && json_object_get(r, "BucketKeyEnabled"))
            rc |= json_object_set_new(x, "BucketKeyEnabled",
                                      json_boolean(cbool(r, "BucketKeyEnabled")));
        rc |= !rules || json_array_append_new(rules, x);
    }
    return jdone(json_pack("{s:{s:o}}", "ServerSideEncryptionConfiguration", "Rules", rules), rc);
}

static json_t *in_public_access(const json_t *v)
{
    return json_pack("{s:{s:b, s:b, s:b, s:b}}", "PublicAccessBlockConfiguration",
                     "BlockPublicAcls", cbool(v, "BlockPublicAcls"), "IgnorePublicAcls",
                     cbool(v, "IgnorePublicAcls"), "BlockPublicPolicy",
                     cbool(v, "BlockPublicPolicy"), "RestrictPublicBuckets",
                     cbool(v, "RestrictPublicBuckets"));
}

static json_t *in_ownership(const json_t *v)
{
    return json_pack("{s:O}", "OwnershipControls", v);
}

/* A lifecycle rule: Id, Status, Prefix/TagFilters/ObjectSize* (the filter), ExpirationInDays,
 * ExpirationDate, AbortIncompleteMultipartUpload, NoncurrentVersionExpiration(InDays). */
static json_t *lifecycle_rule(const json_t *r)
{
    json_t *x = json_object(), *filter = json_object();
    int rc = !x || !filter;
    if (rc) goto out;
    rc |= move(x, "ID", r, "Id") | move(x, "Status", r, "Status");
    json_t *tags = json_object_get(r, "TagFilters");
    long long gt = cint(r, "ObjectSizeGreaterThan"), lt = cint(r, "ObjectSizeLessThan");
    int parts = !!jstr(r, "Prefix") + (int)json_array_size(tags) + (gt >= 0) + (lt >= 0);
    json_t *f = filter;
    if (parts > 1) {
        f = json_object();
        rc |= json_object_set_new(filter, "And", f);
        if (tags) rc |= json_object_set(f, "Tags", tags);
    } else if (json_array_size(tags)) {
        rc |= json_object_set(f, "Tag", json_array_get(tags, 0));
    }
    if (f && jstr(r, "Prefix")) rc |= json_object_set(f, "Prefix", json_object_get(r, "Prefix"));
    if (f && gt >= 0) rc |= json_object_set_new(f, "ObjectSizeGreaterThan", json_integer(gt));
    if (f && lt >= 0) rc |= json_object_set_new(f, "ObjectSizeLessThan", json_integer(lt));
    rc |= json_object_set(x, "Filter", filter);
    long long days = cint(r, "ExpirationInDays");
    json_t *date = json_object_get(r, "ExpirationDate");
    double when; /* the API's timestamps are epoch seconds */
    if (days >= 0)
        rc |= json_object_set_new(x, "Expiration", json_pack("{s:I}", "Days", (json_int_t)days));
    else if (json_is_string(date) && !clock_parse(json_string_value(date), &when))
        rc |= json_object_set_new(x, "Expiration", json_pack("{s:f}", "Date", when));
    else if (cbool(r, "ExpiredObjectDeleteMarker"))
        rc |= json_object_set_new(x, "Expiration",
                                  json_pack("{s:b}", "ExpiredObjectDeleteMarker", 1));
    json_t *ab = json_object_get(r, "AbortIncompleteMultipartUpload");
    if (ab)
        rc |= json_object_set_new(
            x, "AbortIncompleteMultipartUpload",
            json_pack("{s:I}", "DaysAfterInitiation", (json_int_t)cint(ab, "DaysAfterInitiation")));
    json_t *nv = json_object_get(r, "NoncurrentVersionExpiration");
    long long nvd = nv ? cint(nv, "NoncurrentDays") : cint(r, "NoncurrentVersionExpirationInDays");
    if (nvd >= 0)
        rc |= json_object_set_new(x, "NoncurrentVersionExpiration",
                                  json_pack("{s:I}", "NoncurrentDays", (json_int_t)nvd));
    rc |= move(x, "Transitions", r, "Transitions");
out:
    json_decref(filter);
    return jdone(x, rc);
}

static json_t *in_lifecycle(const json_t *v)
{
    json_t *rules = json_array();
    int rc = !rules;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(v, "Rules"), i, r)
        rc |= !rules || json_array_append_new(rules, lifecycle_rule(r));
    return jdone(json_pack("{s:{s:o}}", "LifecycleConfiguration", "Rules", rules), rc);
}

static json_t *in_cors(const json_t *v)
{
    json_t *rules = json_array();
    int rc = !rules;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(v, "CorsRules"), i, r) {
        json_t *x = json_object();
        rc |= !x || move(x, "ID", r, "Id") | move(x, "AllowedHeaders", r, "AllowedHeaders") |
                        move(x, "AllowedMethods", r, "AllowedMethods") |
                        move(x, "AllowedOrigins", r, "AllowedOrigins") |
                        move(x, "ExposeHeaders", r, "ExposedHeaders");
        if (x && cint(r, "MaxAge") >= 0)
            rc |= json_object_set_new(x, "MaxAgeSeconds", json_integer(cint(r, "MaxAge")));
        rc |= !rules || json_array_append_new(rules, x);
    }
    return jdone(json_pack("{s:{s:o}}", "CORSConfiguration", "CORSRules", rules), rc);
}

/* Notification lists: CloudFormation's singular Event and Topic/Queue/Function and
 * Filter.S3Key.Rules into the API's Events, *Arn and Filter.Key.FilterRules. */
static json_t *in_notification(const json_t *v)
{
    static const char *const map[][4] = {
        {"TopicConfigurations", "Topic", "TopicConfigurations", "TopicArn"},
        {"QueueConfigurations", "Queue", "QueueConfigurations", "QueueArn"},
        {"LambdaConfigurations", "Function", "LambdaFunctionConfigurations", "LambdaFunctionArn"},
    };
    json_t *cfg = json_object();
    int rc = !cfg;
    for (size_t k = 0; cfg && k < 3; k++) {
        json_t *list = json_object_get(v, map[k][0]);
        if (!json_array_size(list)) continue;
        json_t *to = json_array();
        rc |= json_object_set_new(cfg, map[k][2], to);
        size_t i;
        json_t *e;
        json_array_foreach(list, i, e) {
            json_t *x = json_pack("{s:O?, s:[O?]}", map[k][3], json_object_get(e, map[k][1]),
                                  "Events", json_object_get(e, "Event"));
            json_t *rules =
                json_object_get(json_object_get(json_object_get(e, "Filter"), "S3Key"), "Rules");
            if (x && rules)
                rc |= json_object_set_new(x, "Filter",
                                          json_pack("{s:{s:O}}", "Key", "FilterRules", rules));
            rc |= !to || json_array_append_new(to, x);
        }
    }
    return jdone(json_pack("{s:o}", "NotificationConfiguration", cfg), rc);
}

static json_t *in_logging(const json_t *v)
{
    json_t *le = json_object();
    int rc = !le || move(le, "TargetBucket", v, "DestinationBucketName") |
                        move(le, "TargetPrefix", v, "LogFilePrefix");
    if (le && !json_object_get(le, "TargetPrefix"))
        rc |= json_object_set_new(le, "TargetPrefix", json_string(""));
    return jdone(json_pack("{s:{s:o}}", "BucketLoggingStatus", "LoggingEnabled", le), rc);
}

static json_t *in_accelerate(const json_t *v)
{
    return json_pack("{s:{s:s}}", "AccelerateConfiguration", "Status",
                     jstr(v, "AccelerationStatus") ? jstr(v, "AccelerationStatus") : "Suspended");
}

/* A configuration property: how to set it, and how to take it away (del_op NULL: put the
 * empty form, del_in). In the order a new bucket gets them: notifications last, their
 * destinations' policies are checked. */
typedef struct bucket_cfg {
    const char *prop, *put_op, *del_op;
    json_t *(*in)(const json_t *v);
    const char *empty; /* the Put input that undoes it when there is no Delete */
} bucket_cfg;

static const bucket_cfg configs[] = {
    {"OwnershipControls", "PutBucketOwnershipControls", "DeleteBucketOwnershipControls",
     in_ownership, NULL},
    {"PublicAccessBlockConfiguration", "PutPublicAccessBlock", "DeletePublicAccessBlock",
     in_public_access, NULL},
    {"VersioningConfiguration", "PutBucketVersioning", NULL, in_versioning,
     "{\"VersioningConfiguration\": {\"Status\": \"Suspended\"}}"},
    {"BucketEncryption", "PutBucketEncryption", "DeleteBucketEncryption", in_encryption, NULL},
    {"LifecycleConfiguration", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle",
     in_lifecycle, NULL},
    {"CorsConfiguration", "PutBucketCors", "DeleteBucketCors", in_cors, NULL},
    {"LoggingConfiguration", "PutBucketLogging", NULL, in_logging, "{\"BucketLoggingStatus\": {}}"},
    {"AccelerateConfiguration", "PutBucketAccelerateConfiguration", NULL, in_accelerate,
     "{\"AccelerateConfiguration\": {\"Status\": \"Suspended\"}}"},
    {"NotificationConfiguration", "PutBucketNotificationConfiguration", NULL, in_notification,
     "{\"NotificationConfiguration\": {}}"},
};
#define NCONFIGS (sizeof(configs) / sizeof(configs[0]))

/* Applies configs[k] as np has it (absent: taken away). */
static int apply(cfn_pctx *p, const char *bucket, size_t k, const json_t *np)
{
    const bucket_cfg *cf = &configs[k];
    const json_t *v = json_object_get(np, cf->prop);
    json_t *in = v ? cf->in(v) : cf->empty ? json_loads(cf->empty, 0, NULL) : json_object();
    if (in && json_object_set_new(in, "Bucket", json_string(bucket))) {
        json_decref(in);
        in = NULL;
    }
    if (!v && cf->del_op) return prov_call_gone_ok(p, NULL, "s3", cf->del_op, in);
    return prov_call(p, "s3", cf->put_op, in, NULL);
}

static int set_tags(cfn_pctx *p, const char *bucket, const json_t *pr)
{
    json_t *tags = prov_tags(p, json_object_get(pr, "Tags"), 1);
    if (!tags) return ferr_oom(p->e);
    if (!json_array_size(tags)) {
        json_decref(tags);
        return prov_call(p, "s3", "DeleteBucketTagging", json_pack("{s:s}", "Bucket", bucket),
                         NULL);
    }
    return prov_call(p, "s3", "PutBucketTagging",
                     json_pack("{s:s, s:{s:o}}", "Bucket", bucket, "Tagging", "TagSet", tags),
                     NULL);
}

static int bucket_del(cfn_pctx *p, const char *name, const json_t *props)
{
    (void)props;
    return prov_call_gone_ok(p, NULL, "s3", "DeleteBucket", json_pack("{s:s}", "Bucket", name));
}

static int bucket_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id,
                       json_t **attrs)
{
    (void)s, (void)attrs;
    /* the engine filled a generated name in (lower case: name_lowercase) */
    const char *name = jstr(pr, "BucketName");
    if (!name) return ferr_internal(p->e, "no BucketName");
    if (prov_refuse_existing(p, "AWS::S3::Bucket", name, "s3", "HeadBucket",
                             json_pack("{s:s}", "Bucket", name)) ||
        cfn_intent(p, name))
        return -1;
    json_t *in = strcmp(p->region, "us-east-1")
                     ? json_pack("{s:s, s:{s:s}}", "Bucket", name, "CreateBucketConfiguration",
                                 "LocationConstraint", p->region)
                     : json_pack("{s:s}", "Bucket", name);
    if (prov_call(p, "s3", "CreateBucket", in, NULL)) return -1;
    return (*id = strdup(name)) ? 0 : ferr_oom(p->e);
}

static int bucket_finish(const prov_shape *s, cfn_pctx *p, const char *name, const json_t *pr)
{
    (void)s;
    for (size_t k = 0; k < NCONFIGS; k++)
        if (json_object_get(pr, configs[k].prop) && apply(p, name, k, pr)) return -1;
    return set_tags(p, name, pr);
}

static int bucket_change(const prov_shape *s, cfn_pctx *p, const char *name, const json_t *op,
                         const json_t *np)
{
    (void)s;
    for (size_t k = 0; k < NCONFIGS; k++)
        if (!prov_same(json_object_get(op, configs[k].prop),
                       json_object_get(np, configs[k].prop)) &&
            apply(p, name, k, np))
            return -1;
    return set_tags(p, name, np);
}

static int bucket_attrs(const prov_shape *s, cfn_pctx *p, const char *name, json_t **attrs)
{
    (void)s;
    const char *r = p->region;
    char arn[128], dn[128], rdn[160], ds[192], web[192];
    snprintf(arn, sizeof(arn), "arn:%s:s3:::%s", arn_partition(r), name);
    snprintf(dn, sizeof(dn), "%s.s3.amazonaws.com", name);
    snprintf(rdn, sizeof(rdn), "%s.s3.%s.amazonaws.com", name, r);
    snprintf(ds, sizeof(ds), "%s.s3.dualstack.%s.amazonaws.com", name, r);
    snprintf(web, sizeof(web), "http://%s.s3-website-%s.amazonaws.com", name, r);
    *attrs = json_pack("{s:s, s:s, s:s, s:s, s:s}", "Arn", arn, "DomainName", dn,
                       "RegionalDomainName", rdn, "DualStackDomainName", ds, "WebsiteURL", web);
    return *attrs ? 0 : ferr_oom(p->e);
}

static const prov_shape shape = {
    .schema = schema,
    .make = bucket_make,
    .finish = bucket_finish,
    .change = bucket_change,
    .attrs = bucket_attrs,
    .del = bucket_del,
};

static const char *const replace_on[] = {"BucketName", NULL};

const cfn_provider cfn_provider_s3_bucket = {
    .type = "AWS::S3::Bucket",
    .shape = &shape,
    .del = bucket_del,
    .replace_on = replace_on,
    .name_property = "BucketName",
    .name_max = 63,
    .name_lowercase = 1,
};
