/* Amazon ECR (json 1.1), the control plane: repositories, their policies and tags,
 * authorization tokens. There is no registry (Docker Registry HTTP API v2) data plane: images
 * are recorded by PutImage, which is what CodePipeline's ECR source and EventBridge rules on
 * "ECR Image Action" need. See ecr_int.h for the documents. */
#include <stdio.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "base/jtags.h"
#include "ecr_int.h"
#include "iam/policy.h"

const svc_def svc_ecr = {.name = "ecr", .event_source = "ecr.amazonaws.com"};

#define ECR_MAX_TAGS 50

int ecr_repo_not_found(call *c, const char *registry, const char *name)
{
    return ferr_set(c->err, 400, "RepositoryNotFoundException",
                    "The repository with name '%s' does not exist in the registry with id '%s'",
                    name ? name : "", registry);
}

static const char *repo_arn(call *c, const char *registry, const char *name)
{
    return arena_printf(c->a, "arn:%s:ecr:%s:%s:repository/%s", arn_partition(c->region), c->region,
                        registry, name);
}

static int repo_get(call *c, ecr_repo *r)
{
    r->key = (store_key){ECR_REPO_KIND, r->registry, c->region, r->name};
    int rc = store_get(c->txn, &r->key, &r->doc, c->err);
    if (rc > 0 && !arena_defer_json(c->a, r->doc)) return ferr_oom(c->err);
    return rc;
}

int ecr_repo_load(call *c, const json_t *in, const char *action, ecr_repo *r)
{
    memset(r, 0, sizeof(*r));
    /* copies: in may be a request the caller frees before it is done with r */
    r->registry = arena_strdup(c->a, jstr(in, "registryId") ? jstr(in, "registryId") : c->account);
    r->name = arena_strdup(c->a, jstr(in, "repositoryName") ? jstr(in, "repositoryName") : "");
    r->arn = r->registry && r->name ? repo_arn(c, r->registry, r->name) : NULL;
    if (!r->arn) return ferr_oom(c->err);
    int rc = repo_get(c, r);
    if (rc < 0) return -1;
    call_resource(c, "AWS::ECR::Repository", r->arn);
    /* another account's repository is reached only when its policy allows (and the
     * caller's own policies do): the repository policy is the resource policy */
    authz_req q = {.action = action,
                   .resource = r->arn,
                   .resource_account = r->registry,
                   .resource_policy = rc ? jstr(r->doc, "policyText") : NULL};
    if (call_authorize_ex(c, &q)) return -1;
    if (!rc) return ecr_repo_not_found(c, r->registry, r->name);
    return 0;
}

json_t *ecr_images(call *c, const ecr_repo *r)
{
    const char *prefix = arena_printf(c->a, "%s@", r->name);
    if (!prefix) return ferr_oom(c->err), NULL;
    return call_doc_list_in(c, ECR_IMAGE_KIND, r->registry, c->region, prefix);
}

int ecr_page(call *c, const json_t *in, json_t *all, const char *key, json_t **out)
{
    json_t *o = arena_defer_json(c->a, json_object());
    if (!o) return ferr_oom(c->err);
    if (svc_page(c, all, jstr(in, "nextToken"), jint(in, "maxResults", 100), o, key, "nextToken",
                 "InvalidParameterException"))
        return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

/* The Repository shape of doc (new reference). */
static json_t *repo_out(const json_t *doc)
{
    json_t *o = json_deep_copy(doc);
    if (o) {
        (void)json_object_del(o, "Tags");
        (void)json_object_del(o, "policyText");
    }
    return o;
}

static int tags_check(call *c, const json_t *doc)
{
    if (json_array_size(json_object_get(doc, "Tags")) > ECR_MAX_TAGS)
        return ferr_set(c->err, 400, "TooManyTagsException",
                        "The list of tags on the repository is over the limit. The maximum "
                        "number of tags that can be applied to a repository is 50.");
    return 0;
}

int ecr_op_create_repository(call *c, json_t *in, json_t **out)
{
    ecr_repo r = {.registry = c->account, .name = jstr(in, "repositoryName")};
    if (jstr(in, "registryId") && strcmp(jstr(in, "registryId"), c->account))
        return ferr_set(c->err, 400, "InvalidParameterException",
                        "Invalid parameter at 'registryId' failed to satisfy constraint: "
                        "'must be the caller's account'");
    r.arn = repo_arn(c, r.registry, r.name);
    if (!r.arn) return ferr_oom(c->err);
    if (call_authorize(c, "ecr:CreateRepository", r.arn)) return -1;
    call_resource(c, "AWS::ECR::Repository", r.arn);
    /* the name's pattern and length are the model's (ValidationException) */
    const char *mut = jstr(in, "imageTagMutability") ? jstr(in, "imageTagMutability") : "MUTABLE";
    if (strcmp(mut, "MUTABLE") && strcmp(mut, "IMMUTABLE"))
        return ferr_set(c->err, 400, "InvalidParameterException",
                        "Invalid parameter at 'imageTagMutability' failed to satisfy "
                        "constraint: 'Member must satisfy enum value set: [MUTABLE, IMMUTABLE]'");
    int rc = repo_get(c, &r);
    if (rc < 0) return -1;
    if (rc)
        return ferr_set(c->err, 400, "RepositoryAlreadyExistsException",
                        "The repository with name '%s' already exists in the registry with id "
                        "'%s'",
                        r.name, r.registry);
    const json_t *scan = json_object_get(in, "imageScanningConfiguration");
    const json_t *enc = json_object_get(in, "encryptionConfiguration");
    const char *uri =
        arena_printf(c->a, "%s.dkr.ecr.%s.amazonaws.com/%s", r.registry, c->region, r.name);
    json_t *doc = arena_defer_json(
        c->a,
        json_pack("{s:s, s:s, s:s, s:s, s:f, s:s, s:O?, s:O?, s:[]}", "repositoryArn", r.arn,
                  "registryId", r.registry, "repositoryName", r.name, "repositoryUri", uri,
                  "createdAt", clock_now(), "imageTagMutability", mut, "imageScanningConfiguration",
                  scan, "encryptionConfiguration", enc, "Tags"));
    if (!uri || !doc) return ferr_oom(c->err);
    if (!scan &&
        json_object_set_new(doc, "imageScanningConfiguration", json_pack("{s:b}", "scanOnPush", 0)))
        return ferr_oom(c->err);
    if (!enc && json_object_set_new(doc, "encryptionConfiguration",
                                    json_pack("{s:s}", "encryptionType", "AES256")))
        return ferr_oom(c->err);
    if (jtags_merge(doc, json_object_get(in, "tags"))) return ferr_oom(c->err);
    if (tags_check(c, doc) || store_put(c->txn, &r.key, doc, c->err)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "repository", repo_out(doc)));
    return 0;
}

typedef struct repos_ctx {
    const json_t *names;
    json_t *out;
} repos_ctx;

int ecr_op_describe_repositories(call *c, json_t *in, json_t **out)
{
    const char *registry = jstr(in, "registryId") ? jstr(in, "registryId") : c->account;
    const json_t *names = json_object_get(in, "repositoryNames");
    json_t *all = arena_defer_json(c->a, json_array());
    if (!all) return ferr_oom(c->err);
    if (names) {
        size_t i;
        json_t *v;
        json_array_foreach(names, i, v) {
            json_t *one = json_pack("{s:s, s:O}", "registryId", registry, "repositoryName", v);
            ecr_repo r;
            int rc = one ? ecr_repo_load(c, one, "ecr:DescribeRepositories", &r) : ferr_oom(c->err);
            json_decref(one);
            if (rc) return -1;
            if (json_array_append_new(all, repo_out(r.doc))) return ferr_oom(c->err);
        }
    } else {
        const char *arn = repo_arn(c, registry, "*");
        if (!arn) return ferr_oom(c->err);
        if (call_authorize(c, "ecr:DescribeRepositories", arn)) return -1;
        json_t *docs = strcmp(registry, c->account)
                           ? json_array()
                           : json_incref(call_doc_list(c, ECR_REPO_KIND, NULL));
        if (!docs) return -1;
        size_t i;
        json_t *d;
        json_array_foreach(docs, i, d) {
            if (json_array_append_new(all, repo_out(d))) return json_decref(docs), ferr_oom(c->err);
        }
        json_decref(docs);
    }
    return ecr_page(c, in, all, "repositories", out);
}

int ecr_op_delete_repository(call *c, json_t *in, json_t **out)
{
    ecr_repo r;
    if (ecr_repo_load(c, in, "ecr:DeleteRepository", &r)) return -1;
    json_t *images = ecr_images(c, &r);
    if (!images) return -1;
    if (json_array_size(images) && !jbool(in, "force", 0))
        return ferr_set(c->err, 400, "RepositoryNotEmptyException",
                        "The repository with name '%s' in registry with id '%s' cannot be "
                        "deleted because it still contains images",
                        r.name, r.registry);
    size_t i;
    json_t *d;
    json_array_foreach(images, i, d) {
        const char *id = arena_printf(c->a, "%s@%s", r.name, jstr(d, "imageDigest"));
        store_key k = {ECR_IMAGE_KIND, r.registry, c->region, id};
        if (!id) return ferr_oom(c->err);
        if (store_del(c->txn, &k, c->err) < 0) return -1;
    }
    if (store_del(c->txn, &r.key, c->err) < 0) return -1;
    *out = svc_out(c, json_pack("{s:o}", "repository", repo_out(r.doc)));
    return 0;
}

int ecr_op_put_image_tag_mutability(call *c, json_t *in, json_t **out)
{
    ecr_repo r;
    const char *mut = jstr(in, "imageTagMutability");
    if (ecr_repo_load(c, in, "ecr:PutImageTagMutability", &r)) return -1;
    if (!mut || (strcmp(mut, "MUTABLE") && strcmp(mut, "IMMUTABLE")))
        return ferr_set(c->err, 400, "InvalidParameterException",
                        "Invalid parameter at 'imageTagMutability' failed to satisfy "
                        "constraint: 'Member must satisfy enum value set: [MUTABLE, IMMUTABLE]'");
    if (jset_str(r.doc, "imageTagMutability", mut)) return ferr_oom(c->err);
    if (store_put(c->txn, &r.key, r.doc, c->err)) return -1;
    *out = svc_out(c, json_pack("{s:s, s:s, s:s}", "registryId", r.registry, "repositoryName",
                                r.name, "imageTagMutability", mut));
    return 0;
}

/* ---- repository policies ---- */

int ecr_op_set_repository_policy(call *c, json_t *in, json_t **out)
{
    ecr_repo r;
    const char *text = jstr(in, "policyText");
    if (ecr_repo_load(c, in, "ecr:SetRepositoryPolicy", &r)) return -1;
    ferr pe = {0};
    iam_policy *p = iam_policy_parse(text, strlen(text), IAM_KIND_RESOURCE, &pe);
    if (!p)
        return ferr_set(c->err, 400, "InvalidParameterException",
                        "Invalid parameter at 'PolicyText' failed to satisfy constraint: "
                        "'Invalid repository policy provided': %s",
                        pe.message);
    iam_policy_free(p);
    if (jset_str(r.doc, "policyText", text)) return ferr_oom(c->err);
    if (store_put(c->txn, &r.key, r.doc, c->err)) return -1;
    *out = svc_out(c, json_pack("{s:s, s:s, s:s}", "registryId", r.registry, "repositoryName",
                                r.name, "policyText", text));
    return 0;
}

static int no_policy(call *c, const ecr_repo *r)
{
    return ferr_set(c->err, 400, "RepositoryPolicyNotFoundException",
                    "Repository policy does not exist for the repository with name '%s' in the "
                    "registry with id '%s'",
                    r->name, r->registry);
}

int ecr_op_get_repository_policy(call *c, json_t *in, json_t **out)
{
    ecr_repo r;
    if (ecr_repo_load(c, in, "ecr:GetRepositoryPolicy", &r)) return -1;
    const char *text = jstr(r.doc, "policyText");
    if (!text) return no_policy(c, &r);
    *out = svc_out(c, json_pack("{s:s, s:s, s:s}", "registryId", r.registry, "repositoryName",
                                r.name, "policyText", text));
    return 0;
}

int ecr_op_delete_repository_policy(call *c, json_t *in, json_t **out)
{
    ecr_repo r;
    if (ecr_repo_load(c, in, "ecr:DeleteRepositoryPolicy", &r)) return -1;
    const char *text = arena_strdup(c->a, jstr(r.doc, "policyText"));
    if (!jstr(r.doc, "policyText")) return no_policy(c, &r);
    if (!text) return ferr_oom(c->err);
    (void)json_object_del(r.doc, "policyText");
    if (store_put(c->txn, &r.key, r.doc, c->err)) return -1;
    *out = svc_out(c, json_pack("{s:s, s:s, s:s}", "registryId", r.registry, "repositoryName",
                                r.name, "policyText", text));
    return 0;
}

/* ---- tags ---- */

/* The repository resourceArn names: 0, or -1 (AWS answers an ARN that is not a repository
 * with InvalidParameterException). */
static int tag_target(call *c, const json_t *in, const char *action, ecr_repo *r)
{
    const char *arn = jstr(in, "resourceArn");
    const char *rest = arn ? arn_rest(arn, "ecr") : NULL;
    const char *colon = rest ? strchr(rest, ':') : NULL;
    if (!colon || strspn(colon + 1, "0123456789") != 12 || strncmp(colon + 13, ":repository/", 12))
        return ferr_set(c->err, 400, "InvalidParameterException",
                        "Invalid parameter at 'resourceArn' failed to satisfy constraint: "
                        "'Invalid ARN'");
    const char *reg = arena_strndup(c->a, colon + 1, 12);
    json_t *one =
        reg ? json_pack("{s:s, s:s}", "registryId", reg, "repositoryName", colon + 25) : NULL;
    int rc = one ? ecr_repo_load(c, one, action, r) : ferr_oom(c->err);
    json_decref(one);
    return rc;
}

int ecr_op_tag_resource(call *c, json_t *in, json_t **out)
{
    ecr_repo r;
    if (tag_target(c, in, "ecr:TagResource", &r)) return -1;
    if (jtags_merge(r.doc, json_object_get(in, "tags"))) return ferr_oom(c->err);
    if (tags_check(c, r.doc) || store_put(c->txn, &r.key, r.doc, c->err)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int ecr_op_untag_resource(call *c, json_t *in, json_t **out)
{
    ecr_repo r;
    if (tag_target(c, in, "ecr:UntagResource", &r)) return -1;
    jtags_remove(r.doc, json_object_get(in, "tagKeys"));
    if (store_put(c->txn, &r.key, r.doc, c->err)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int ecr_op_list_tags_for_resource(call *c, json_t *in, json_t **out)
{
    ecr_repo r;
    if (tag_target(c, in, "ecr:ListTagsForResource", &r)) return -1;
    const json_t *tags = json_object_get(r.doc, "Tags");
    *out = svc_out(c, tags ? json_pack("{s:O}", "tags", tags) : json_pack("{s:[]}", "tags"));
    return 0;
}

/* ---- tokens ---- */

/* AWS: a base64 "AWS:PASSWORD" good for 12 hours at the registry's endpoint. ferry has no
 * registry to present it to; the token is random and not kept. */
int ecr_op_get_authorization_token(call *c, json_t *in, json_t **out)
{
    (void)in;
    if (call_authorize(c, "ecr:GetAuthorizationToken", "*")) return -1;
    char secret[41];
    ids_secret(secret);
    char plain[64];
    int n = snprintf(plain, sizeof(plain), "AWS:%s", secret);
    const char *tok = enc_b64(c->a, (const unsigned char *)plain, (size_t)n);
    const char *ep =
        arena_printf(c->a, "https://%s.dkr.ecr.%s.amazonaws.com", c->account, c->region);
    if (!tok || !ep) return ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:[{s:s, s:f, s:s}]}", "authorizationData", "authorizationToken",
                                tok, "expiresAt", clock_now() + 12 * 3600.0, "proxyEndpoint", ep));
    return 0;
}
