/* ECR's images: PutImage records a manifest under its digest (sha256 of the manifest's
 * bytes) and tag, and puts AWS's "ECR Image Action" event on the registry's default bus in
 * the same transaction; BatchGetImage, DescribeImages, ListImages, BatchDeleteImage. */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/enc.h"
#include "ecr_int.h"
#include "svc/events/events.h"

#define DEFAULT_MEDIA_TYPE "application/vnd.docker.distribution.manifest.v2+json"

static int has_tag(const json_t *img, const char *tag)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(img, "imageTags"), i, v) {
        if (!strcmp(json_string_value(v), tag)) return 1;
    }
    return 0;
}

/* The image of images an imageId {imageDigest, imageTag} names (both: they must agree), or
 * NULL. */
static json_t *find(const json_t *images, const char *digest, const char *tag)
{
    size_t i;
    json_t *d;
    json_array_foreach(images, i, d) {
        if (digest && strcmp(jstr(d, "imageDigest"), digest)) continue;
        if (tag && !has_tag(d, tag)) continue;
        if (digest || tag) return d;
    }
    return NULL;
}

static int save(call *c, const ecr_repo *r, const json_t *img)
{
    const char *id = arena_printf(c->a, "%s@%s", r->name, jstr(img, "imageDigest"));
    store_key k = {ECR_IMAGE_KIND, r->registry, c->region, id};
    if (!id) return ferr_oom(c->err);
    return store_put(c->txn, &k, img, c->err);
}

static int drop(call *c, const ecr_repo *r, const json_t *img)
{
    const char *id = arena_printf(c->a, "%s@%s", r->name, jstr(img, "imageDigest"));
    store_key k = {ECR_IMAGE_KIND, r->registry, c->region, id};
    if (!id) return ferr_oom(c->err);
    return store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
}

/* AWS's "ECR Image Action" on the registry's default bus (PUSH or DELETE, SUCCESS). */
static int emit(call *c, const ecr_repo *r, const char *action, const char *digest, const char *tag)
{
    json_t *detail = json_pack("{s:s, s:s, s:s, s:s}", "result", "SUCCESS", "repository-name",
                               r->name, "image-digest", digest, "action-type", action);
    if (!detail || (tag && jset_str(detail, "image-tag", tag))) {
        json_decref(detail);
        return ferr_oom(c->err);
    }
    int rc = events_emit(c->txn, r->registry, c->region, "aws.ecr", "ECR Image Action", detail,
                         NULL, c->err);
    json_decref(detail);
    return rc;
}

/* What AWS reports as the size: the layers' (and config's) compressed sizes, as the
 * manifest declares them. */
static long long manifest_size(const json_t *m)
{
    long long n = jint(json_object_get(m, "config"), "size", 0);
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(m, "layers"), i, l) {
        n += jint(l, "size", 0);
    }
    return n;
}

int ecr_op_put_image(call *c, json_t *in, json_t **out)
{
    ecr_repo r;
    if (ecr_repo_load(c, in, "ecr:PutImage", &r)) return -1;
    const char *manifest = jstr(in, "imageManifest"), *tag = jstr(in, "imageTag");
    json_error_t je;
    json_t *m = arena_defer_json(c->a, json_loads(manifest, JSON_REJECT_DUPLICATES, &je));
    if (!m || !json_is_object(m))
        return ferr_set(c->err, 400, "InvalidParameterException",
                        "Invalid parameter at 'ImageManifest' failed to satisfy constraint: "
                        "'Invalid JSON syntax'");
    char hex[65];
    enc_sha256_hex(manifest, strlen(manifest), hex);
    const char *digest = arena_printf(c->a, "sha256:%s", hex);
    if (!digest) return ferr_oom(c->err);
    if (jstr(in, "imageDigest") && strcmp(jstr(in, "imageDigest"), digest))
        return ferr_set(c->err, 400, "ImageDigestDoesNotMatchException",
                        "The provided image digest '%s' does not match the calculated image "
                        "digest '%s'",
                        jstr(in, "imageDigest"), digest);
    const char *media = jstr(in, "imageManifestMediaType") ? jstr(in, "imageManifestMediaType")
                        : jstr(m, "mediaType")             ? jstr(m, "mediaType")
                                                           : DEFAULT_MEDIA_TYPE;
    json_t *images = ecr_images(c, &r);
    if (!images) return -1;
    json_t *same = find(images, digest, NULL), *holder = tag ? find(images, NULL, tag) : NULL;
    if (same && (!tag || holder == same))
        return ferr_set(c->err, 400, "ImageAlreadyExistsException",
                        "Image with digest '%s' and tag '%s' already exists in the repository "
                        "with name '%s' in registry with id '%s'",
                        digest, tag ? tag : "null", r.name, r.registry);
    if (holder) {
        if (!strcmp(jstr(r.doc, "imageTagMutability"), "IMMUTABLE"))
            return ferr_set(c->err, 400, "ImageTagAlreadyExistsException",
                            "The image tag '%s' already exists in the '%s' repository and "
                            "cannot be overwritten because the repository is immutable.",
                            tag, r.name);
        /* AWS: the tag moves; the image it leaves is kept, untagged if it was its last */
        json_t *tags = json_object_get(holder, "imageTags");
        for (size_t i = json_array_size(tags); i-- > 0;)
            if (!strcmp(json_string_value(json_array_get(tags, i)), tag) &&
                json_array_remove(tags, i))
                return ferr_oom(c->err);
        if (save(c, &r, holder)) return -1;
    }
    json_t *img = same;
    if (!img) {
        img = arena_defer_json(c->a, json_pack("{s:s, s:[], s:s, s:s, s:I, s:f}", "imageDigest",
                                               digest, "imageTags", "imageManifest", manifest,
                                               "imageManifestMediaType", media, "imageSizeInBytes",
                                               (json_int_t)manifest_size(m), "imagePushedAt",
                                               clock_now()));
        if (!img) return ferr_oom(c->err);
    }
    if (tag && json_array_append_new(json_object_get(img, "imageTags"), json_string(tag)))
        return ferr_oom(c->err);
    if (save(c, &r, img) || emit(c, &r, "PUSH", digest, tag)) return -1;
    json_t *o =
        json_pack("{s:{s:s, s:s, s:{s:s, s:s?}, s:s, s:s}}", "image", "registryId", r.registry,
                  "repositoryName", r.name, "imageId", "imageDigest", digest, "imageTag", tag,
                  "imageManifest", manifest, "imageManifestMediaType", media);
    *out = svc_out(c, o);
    return 0;
}

static json_t *failure(const json_t *id, const char *code, const char *reason)
{
    return json_pack("{s:O, s:s, s:s}", "imageId", id, "failureCode", code, "failureReason",
                     reason);
}

int ecr_op_batch_get_image(call *c, json_t *in, json_t **out)
{
    ecr_repo r;
    if (ecr_repo_load(c, in, "ecr:BatchGetImage", &r)) return -1;
    json_t *images = ecr_images(c, &r);
    json_t *o = json_pack("{s:[], s:[]}", "images", "failures");
    if (!images || !o) return json_decref(o), images ? ferr_oom(c->err) : -1;
    size_t i;
    json_t *id;
    json_array_foreach(json_object_get(in, "imageIds"), i, id) {
        const char *dg = jstr(id, "imageDigest"), *tag = jstr(id, "imageTag");
        json_t *img = find(images, dg, tag);
        json_t *e =
            img ? json_pack("{s:s, s:s, s:{s:O, s:s?}, s:O, s:O}", "registryId", r.registry,
                            "repositoryName", r.name, "imageId", "imageDigest",
                            json_object_get(img, "imageDigest"), "imageTag", tag, "imageManifest",
                            json_object_get(img, "imageManifest"), "imageManifestMediaType",
                            json_object_get(img, "imageManifestMediaType"))
                : failure(id,
                          dg && tag && find(images, dg, NULL) ? "ImageTagDoesNotMatchDigest"
                                                              : "ImageNotFound",
                          "Requested image not found");
        if (json_array_append_new(json_object_get(o, img ? "images" : "failures"), e))
            return json_decref(o), ferr_oom(c->err);
    }
    *out = svc_out(c, o);
    return 0;
}

static json_t *detail_of(const ecr_repo *r, const json_t *img)
{
    json_t *d =
        json_pack("{s:s, s:s, s:O, s:O, s:O, s:O}", "registryId", r->registry, "repositoryName",
                  r->name, "imageDigest", json_object_get(img, "imageDigest"), "imageSizeInBytes",
                  json_object_get(img, "imageSizeInBytes"), "imagePushedAt",
                  json_object_get(img, "imagePushedAt"), "imageManifestMediaType",
                  json_object_get(img, "imageManifestMediaType"));
    if (d && json_array_size(json_object_get(img, "imageTags")) &&
        json_object_set(d, "imageTags", json_object_get(img, "imageTags")))
        json_decref(d), d = NULL;
    return d;
}

/* The filter's tagStatus (TAGGED, UNTAGGED, ANY) accepts img. */
static int status_ok(const json_t *in, const json_t *img)
{
    const char *st = jstr(json_object_get(in, "filter"), "tagStatus");
    int tagged = json_array_size(json_object_get(img, "imageTags")) > 0;
    return !st || !strcmp(st, "ANY") || (!strcmp(st, "TAGGED") ? tagged : !tagged);
}

/* The images of the repository in names, authorized for action, and an empty list for
 * the answer (*all): both in the arena, or NULL with c->err. */
static json_t *listing(call *c, const json_t *in, const char *action, ecr_repo *r, json_t **all)
{
    if (ecr_repo_load(c, in, action, r)) return NULL;
    json_t *images = ecr_images(c, r);
    if (images && !(*all = arena_defer_json(c->a, json_array()))) return ferr_oom(c->err), NULL;
    return images;
}

int ecr_op_describe_images(call *c, json_t *in, json_t **out)
{
    ecr_repo r;
    json_t *all, *images = listing(c, in, "ecr:DescribeImages", &r, &all);
    if (!images) return -1;
    const json_t *ids = json_object_get(in, "imageIds");
    size_t i;
    json_t *v;
    if (ids) {
        json_array_foreach(ids, i, v) {
            const char *dg = jstr(v, "imageDigest"), *tag = jstr(v, "imageTag");
            json_t *img = find(images, dg, tag);
            if (!img)
                return ferr_set(c->err, 400, "ImageNotFoundException",
                                "The image with imageId {imageDigest:'%s', imageTag:'%s'} does "
                                "not exist within the repository with name '%s' in the registry "
                                "with id '%s'",
                                dg ? dg : "null", tag ? tag : "null", r.name, r.registry);
            if (json_array_append_new(all, detail_of(&r, img))) return ferr_oom(c->err);
        }
    } else {
        json_array_foreach(images, i, v) {
            if (status_ok(in, v) && json_array_append_new(all, detail_of(&r, v)))
                return ferr_oom(c->err);
        }
    }
    return ecr_page(c, in, all, "imageDetails", out);
}

int ecr_op_list_images(call *c, json_t *in, json_t **out)
{
    ecr_repo r;
    json_t *all, *images = listing(c, in, "ecr:ListImages", &r, &all);
    if (!images) return -1;
    size_t i, j;
    json_t *img, *t;
    json_array_foreach(images, i, img) {
        if (!status_ok(in, img)) continue;
        const json_t *tags = json_object_get(img, "imageTags");
        const json_t *dg = json_object_get(img, "imageDigest");
        if (!json_array_size(tags) &&
            json_array_append_new(all, json_pack("{s:O}", "imageDigest", dg)))
            return ferr_oom(c->err);
        json_array_foreach(tags, j, t) {
            if (json_array_append_new(all,
                                      json_pack("{s:O, s:O}", "imageDigest", dg, "imageTag", t)))
                return ferr_oom(c->err);
        }
    }
    return ecr_page(c, in, all, "imageIds", out);
}

/* AWS: naming an image by tag removes the tag (the image goes with its last tag); by digest
 * removes the image and all its tags. */
int ecr_op_batch_delete_image(call *c, json_t *in, json_t **out)
{
    ecr_repo r;
    if (ecr_repo_load(c, in, "ecr:BatchDeleteImage", &r)) return -1;
    json_t *images = ecr_images(c, &r);
    json_t *o = arena_defer_json(c->a, json_pack("{s:[], s:[]}", "imageIds", "failures"));
    if (!images) return -1;
    if (!o) return ferr_oom(c->err);
    size_t i;
    json_t *id;
    json_array_foreach(json_object_get(in, "imageIds"), i, id) {
        const char *dg = jstr(id, "imageDigest"), *tag = jstr(id, "imageTag");
        json_t *img = find(images, dg, tag);
        if (!img) {
            if (json_array_append_new(json_object_get(o, "failures"),
                                      failure(id, "ImageNotFound", "Requested image not found")))
                return ferr_oom(c->err);
            continue;
        }
        const char *digest = jstr(img, "imageDigest");
        json_t *tags = json_object_get(img, "imageTags");
        if (tag && !dg) {
            for (size_t k = json_array_size(tags); k-- > 0;)
                if (!strcmp(json_string_value(json_array_get(tags, k)), tag) &&
                    json_array_remove(tags, k))
                    return ferr_oom(c->err);
            if (json_array_size(tags) ? save(c, &r, img) : drop(c, &r, img)) return -1;
        } else if (drop(c, &r, img)) {
            return -1;
        }
        if (json_array_append_new(json_object_get(o, "imageIds"),
                                  json_pack("{s:s, s:s?}", "imageDigest", digest, "imageTag", tag)))
            return ferr_oom(c->err);
        if (emit(c, &r, "DELETE", digest, tag)) return -1;
        if (!json_array_size(tags) || !tag || dg) {
            /* gone from the list the next imageIds are looked up in */
            size_t k;
            json_t *x;
            json_array_foreach(images, k, x) {
                if (x == img) {
                    json_array_remove(images, k);
                    break;
                }
            }
        }
    }
    *out = svc_out(c, json_incref(o));
    return 0;
}
