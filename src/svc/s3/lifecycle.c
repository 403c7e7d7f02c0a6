/* Lifecycle expiration. AWS applies lifecycle rules asynchronously (objects may outlive their
 * expiry for a while, and are no longer billed); ferry does the same with a background sweep
 * (engine/s3_lifecycle.c) rather than a lazy check on reads: a lazy check would have to hide
 * expired objects on every GET, HEAD and listing, and would never reclaim their bytes. A sweep
 * reads the due objects in a read transaction (s3_lifecycle_due, no call, nothing audited),
 * then deletes each bucket's through one internal call (s3_lifecycle_expire) that checks them
 * again under the rules then in force and deletes them as DeleteObject does, so versioned
 * buckets and notifications (s3:LifecycleExpiration:*) follow the ordinary path. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "s3.h"
#include "s3_int.h"

const char s3_lifecycle_marker = 0;

/* Date as the API stores it: epoch seconds, or ISO 8601 text (from CloudFormation). */
static int date_of(const json_t *v, double *t)
{
    if (json_is_number(v)) return *t = json_number_value(v), 0;
    return json_is_string(v) ? clock_parse(json_string_value(v), t) : -1;
}

static int has_tag(const json_t *obj, const json_t *tag)
{
    const char *k = jstr(tag, "Key"), *v = jstr(tag, "Value");
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(obj, "Tags"), i, t) {
        if (k && v && !strcmp(jstr(t, "Key"), k) && !strcmp(jstr(t, "Value"), v)) return 1;
    }
    return 0;
}

/* The rule's key prefix ("" for all). */
static const char *rule_prefix(const json_t *rule)
{
    const json_t *f = json_object_get(rule, "Filter");
    const char *p = jstr(rule, "Prefix");
    if (!p) p = jstr(f, "Prefix");
    if (!p) p = jstr(json_object_get(f, "And"), "Prefix");
    return p ? p : "";
}

int s3_lifecycle_expires(const json_t *rule, const char *key, const json_t *obj, double now)
{
    const char *st = jstr(rule, "Status");
    const json_t *x = json_object_get(rule, "Expiration");
    if (!st || strcmp(st, "Enabled") || !x) return 0;
    const char *prefix = rule_prefix(rule);
    if (strncmp(key, prefix, strlen(prefix))) return 0;
    const json_t *f = json_object_get(rule, "Filter"), *and = json_object_get(f, "And");
    const json_t *cond = and? and : f;
    long long size = jint(obj, "Size", 0);
    long long gt = jint(cond, "ObjectSizeGreaterThan", -1),
              lt = jint(cond, "ObjectSizeLessThan", -1);
    if ((gt >= 0 && size <= gt) || (lt >= 0 && size >= lt)) return 0;
    if (json_object_get(f, "Tag") && !has_tag(obj, json_object_get(f, "Tag"))) return 0;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(and, "Tags"), i, t)
        if (!has_tag(obj, t)) return 0;
    double due;
    long long days = jint(x, "Days", -1);
    if (days > 0) {
        /* AWS: creation time plus the days, rounded up to the next midnight UTC */
        double mod = json_number_value(json_object_get(obj, "LastModified"));
        due = ceil((mod + (double)days * 86400) / 86400) * 86400;
    } else if (date_of(json_object_get(x, "Date"), &due)) {
        return 0;
    }
    return now >= due;
}

/* ---- the sweep's read ---- */

typedef struct due_ud {
    double now;
    size_t max, n;
    json_t *buckets; /* [bucket doc] with a lifecycle */
    json_t *rules, *keys;
    int oom;
} due_ud;

static int bucket_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    due_ud *u = ud;
    if (json_object_get(doc, "Lifecycle") && json_array_append(u->buckets, doc)) u->oom = 1;
    return u->oom;
}

static int object_cb(void *ud, const store_key *k, json_t *doc)
{
    due_ud *u = ud;
    const char *key = strchr(k->id, '/');
    if (!key) return 0;
    key++;
    size_t i;
    json_t *r;
    json_array_foreach(u->rules, i, r) {
        if (!s3_lifecycle_expires(r, key, doc, u->now)) continue;
        if (json_array_append_new(u->keys, json_string(key))) u->oom = 1;
        u->n++;
        break;
    }
    return u->oom || u->n >= u->max;
}

int s3_lifecycle_due(store *st, double now, size_t max, json_t **due, ferr *e)
{
    *due = NULL;
    due_ud u = {.now = now, .max = max, .buckets = json_array()};
    json_t *out = json_array();
    store_txn *t = NULL;
    int rc = -1;
    if (!u.buckets || !out) {
        ferr_oom(e);
        goto done;
    }
    if (store_begin(st, 0, &t, e) ||
        store_list(t, S3_BUCKET_KIND, "", "", NULL, NULL, 0, bucket_cb, &u, e) < 0)
        goto done;
    size_t i, j;
    json_t *b, *r;
    json_array_foreach(u.buckets, i, b) {
        if (u.oom || u.n >= max) break;
        u.rules = json_object_get(b, "Lifecycle");
        json_t *keys = u.keys = json_array();
        if (!keys) {
            u.oom = 1;
            break;
        }
        /* one listing per rule prefix; keys due under several rules are listed once */
        json_array_foreach(u.rules, j, r) {
            const char *prefix = rule_prefix(r);
            size_t k;
            json_t *o;
            int seen = 0;
            json_array_foreach(u.rules, k, o)
                if (k < j && !strncmp(prefix, rule_prefix(o), strlen(rule_prefix(o)))) seen = 1;
            if (seen) continue;
            char idp[S3_MAX_KEY + 72]; /* bucket names are at most 63 characters */
            snprintf(idp, sizeof(idp), "%s/%s", jstr(b, "Name"), prefix);
            if (store_list(t, S3_OBJECT_KIND, "", "", idp, NULL, 0, object_cb, &u, e) < 0) {
                json_decref(keys);
                goto done;
            }
        }
        if (json_array_size(keys) &&
            json_array_append_new(out, json_pack("{s:O, s:O, s:O, s:o}", "Bucket",
                                                 json_object_get(b, "Name"), "Region",
                                                 json_object_get(b, "Region"), "Owner",
                                                 json_object_get(b, "Owner"), "Keys", keys)))
            u.oom = 1;
        else if (!json_array_size(keys))
            json_decref(keys);
    }
    if (u.oom) {
        ferr_oom(e);
        goto done;
    }
    *due = out;
    out = NULL;
    rc = 0;
done:
    store_rollback(t);
    json_decref(u.buckets);
    json_decref(out);
    return rc;
}

/* ---- the sweep's write ---- */

/* in: DeleteObjects' input {"Bucket", "Delete": {"Objects": [{"Key"}]}}; out: {"Deleted": n}. Runs as s3.amazonaws.com with
 * c->arg = &s3_lifecycle_marker, which s3_bucket_open takes for S3's own authority. */
static int op_expire(call *c, json_t *in, json_t **out)
{
    s3_bucket b;
    int rc = s3_bucket_load(c, jstr(in, "Bucket"), &b);
    if (rc <= 0) return rc ? -1 : 0; /* the bucket went: nothing to do */
    c->region = b.region;
    json_t *rules = json_object_get(b.doc, "Lifecycle");
    double now = clock_now();
    long long n = 0;
    size_t i, j;
    json_t *k, *r;
    json_array_foreach(json_object_get(json_object_get(in, "Delete"), "Objects"), i, k) {
        const char *key = jstr(k, "Key");
        const char *id = key ? s3_object_id(c, b.name, key) : NULL;
        if (!id) continue;
        store_key sk = {S3_OBJECT_KIND, "", "", id};
        json_t *doc = NULL;
        if (store_get(c->txn, &sk, &doc, c->err) < 0) return -1;
        int due = 0;
        json_array_foreach(rules, j, r) due |= doc && s3_lifecycle_expires(r, key, doc, now);
        json_decref(doc);
        if (!due) continue; /* rules changed, or the object was written again since */
        json_t *din = json_pack("{s:s, s:s}", "Bucket", b.name, "Key", key), *dout = NULL;
        if (!din) return ferr_oom(c->err);
        rc = s3_op_delete_object(c, din, &dout);
        json_decref(din);
        json_decref(dout);
        if (rc) return -1;
        n++;
    }
    *out = svc_out(c, json_pack("{s:I}", "Deleted", (json_int_t)n));
    return 0;
}

int s3_lifecycle_expire(ferry_env *env, const json_t *bucket, ferr *e)
{
    static const svc_op op = {"DeleteObjects", op_expire, 0};
    principal p;
    memset(&p, 0, sizeof(p));
    p.kind = PRIN_SERVICE;
    snprintf(p.account, sizeof(p.account), "%s",
             jstr(bucket, "Owner") ? jstr(bucket, "Owner") : "");
    snprintf(p.service, sizeof(p.service), "s3.amazonaws.com");
    snprintf(p.arn, sizeof(p.arn), "s3.amazonaws.com");
    /* DeleteObjects' input, 1,000 keys at a time as its model allows */
    const json_t *keys = json_object_get(bucket, "Keys");
    for (size_t i = 0; i < json_array_size(keys); i += 1000) {
        json_t *objs = json_array(), *out = NULL;
        int rc = !objs;
        for (size_t j = i; objs && j < i + 1000 && j < json_array_size(keys); j++)
            rc |= json_array_append_new(objs, json_pack("{s:O}", "Key", json_array_get(keys, j)));
        json_t *in =
            jdone(json_pack("{s:O?, s:{s:o, s:b}}", "Bucket", json_object_get(bucket, "Bucket"),
                            "Delete", "Objects", objs, "Quiet", 1),
                  rc);
        if (!in) return ferr_oom(e);
        rc = svc_invoke_fn(env, &p, jstr(bucket, "Region"), "s3", &op, &s3_lifecycle_marker, in,
                           &out, e);
        json_decref(in);
        json_decref(out);
        if (rc) return -1;
    }
    return 0;
}
