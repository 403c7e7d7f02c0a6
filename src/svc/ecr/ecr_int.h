/* What the files of src/svc/ecr/ share. A repository is the document ECR_REPO_KIND of
 * (account, region, its name): {repositoryArn, registryId, repositoryName, repositoryUri,
 * createdAt, imageTagMutability, imageScanningConfiguration, encryptionConfiguration,
 * Tags [{Key, Value}], policyText (absent: none)}. An image is ECR_IMAGE_KIND of (account,
 * region, "NAME@DIGEST"): {imageDigest, imageTags [], imageManifest,
 * imageManifestMediaType, imageSizeInBytes, imagePushedAt}. ecr.c: the service,
 * repositories, policies, tags, tokens; images.c: the image operations. */
#ifndef FERRY_SVC_ECR_INT_H
#define FERRY_SVC_ECR_INT_H
#include "svc/svc.h"

#define ECR_REPO_KIND  "ecr.repo"
#define ECR_IMAGE_KIND "ecr.image"

/* The repository a request names (repositoryName, registryId: another account's registry is
 * reached through the repository's policy), authorized for action. */
typedef struct ecr_repo {
    const char *registry, *name, *arn;
    json_t *doc; /* the call's arena owns it */
    store_key key;
} ecr_repo;

/* 0 with *r loaded, or -1 with AccessDenied / RepositoryNotFoundException in c->err. */
int ecr_repo_load(call *c, const json_t *in, const char *action, ecr_repo *r);
/* RepositoryNotFoundException as AWS words it. -1. */
int ecr_repo_not_found(call *c, const char *registry, const char *name);
/* The images of r: an array the call's arena owns ([{id, doc}] in digest order), or NULL. */
json_t *ecr_images(call *c, const ecr_repo *r);
/* The page of all (nextToken, maxResults: 100 when absent) under key in *out. 0 or -1. */
int ecr_page(call *c, const json_t *in, json_t *all, const char *key, json_t **out);

#endif
