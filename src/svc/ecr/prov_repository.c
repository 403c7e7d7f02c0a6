/* AWS::ECR::Repository. Ref = the repository's name (its physical id); GetAtt Arn and
 * RepositoryUri. RepositoryPolicyText is the repository policy; EmptyOnDelete lets the
 * stack delete a repository that still holds images. LifecyclePolicy is not in the schema
 * (refused, ferry has no lifecycle). A new RepositoryName or EncryptionConfiguration
 * replaces the repository. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ecr_int.h"
#include "engine/stacks/prov_int.h"

static const prov_prop schema[] = {
    {"RepositoryName", PT_STR, 0},
    {"ImageTagMutability", PT_STR, 0},
    {"ImageScanningConfiguration", PT_OBJECT, 0},
    {"EncryptionConfiguration", PT_OBJECT, 0},
    {"RepositoryPolicyText", PT_JSON, 0},
    {"EmptyOnDelete", PT_BOOL, 0},
    {"Tags", PT_TAGS, 0},
    {NULL, 0, 0},
};

static int repo_del(cfn_pctx *p, const char *id, const json_t *props)
{
    return prov_call_gone_ok(
        p, NULL, "ecr", "DeleteRepository",
        json_pack("{s:s, s:b}", "repositoryName", id, "force", jbool(props, "EmptyOnDelete", 0)));
}

static int repo_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    if (prov_call(p, "ecr", "DescribeRepositories", json_pack("{s:[s]}", "repositoryNames", id),
                  &out))
        return -1;
    const json_t *r = json_array_get(json_object_get(out, "repositories"), 0);
    *attrs = json_pack("{s:O, s:O}", "Arn", json_object_get(r, "repositoryArn"), "RepositoryUri",
                       json_object_get(r, "repositoryUri"));
    json_decref(out);
    return *attrs ? 0 : ferr_oom(p->e);
}

/* The policy as the props give it: set, or removed when it went (had: there was one). */
static int policy_put(cfn_pctx *p, const char *name, const json_t *pr, int had)
{
    char *text = prov_doc_text(json_object_get(pr, "RepositoryPolicyText"));
    int rc =
        text  ? prov_call(p, "ecr", "SetRepositoryPolicy",
                          json_pack("{s:s, s:s}", "repositoryName", name, "policyText", text), NULL)
        : had ? prov_call_gone_ok(p, NULL, "ecr", "DeleteRepositoryPolicy",
                                  json_pack("{s:s}", "repositoryName", name))
              : 0;
    free(text);
    return rc;
}

static int repo_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    char *name = prov_name(p, pr, "RepositoryName", 256, 0);
    if (!name) return ferr_oom(p->e);
    /* generated names are lowered: a repository's name has no capitals */
    for (char *q = name; !jstr(pr, "RepositoryName") && *q; q++)
        *q = (char)tolower((unsigned char)*q);
    json_t *tags = prov_tags(p, json_object_get(pr, "Tags"), 1);
    json_t *scan = prov_camel(json_object_get(pr, "ImageScanningConfiguration"), NULL, NULL);
    json_t *enc = prov_camel(json_object_get(pr, "EncryptionConfiguration"), NULL, NULL);
    json_t *in = tags
                     ? json_pack("{s:s, s:O, s:o?, s:o?}", "repositoryName", name, "tags", tags,
                                 "imageScanningConfiguration", scan, "encryptionConfiguration", enc)
                     : (json_decref(scan), json_decref(enc), NULL);
    json_decref(tags);
    int rc = !in || jset_str(in, "imageTagMutability", jstr(pr, "ImageTagMutability"))
                 ? ferr_oom(p->e)
                 : cfn_intent(p, name);
    if (!rc) rc = prov_call(p, "ecr", "CreateRepository", json_incref(in), NULL);
    json_decref(in);
    if (!rc && policy_put(p, name, pr, 0)) rc = prov_undo(p, repo_del, name, pr);
    if (rc) return free(name), -1;
    *id = name;
    return 0;
}

static int tags_change(cfn_pctx *p, const char *id, const json_t *np)
{
    json_t *attrs = NULL, *out = NULL, *set = NULL, *unset = NULL, *want = NULL;
    if (repo_attrs(NULL, p, id, &attrs)) return -1;
    const char *arn = jstr(attrs, "Arn");
    int rc =
        prov_call(p, "ecr", "ListTagsForResource", json_pack("{s:s}", "resourceArn", arn), &out);
    if (!rc) {
        want = prov_tags(p, json_object_get(np, "Tags"), 1);
        rc = !want || prov_tags_diff(json_object_get(out, "tags"), want, &set, &unset)
                 ? ferr_oom(p->e)
                 : 0;
    }
    if (!rc && json_array_size(unset))
        rc = prov_call(p, "ecr", "UntagResource",
                       json_pack("{s:s, s:O}", "resourceArn", arn, "tagKeys", unset), NULL);
    if (!rc && json_array_size(set))
        rc = prov_call(p, "ecr", "TagResource",
                       json_pack("{s:s, s:O}", "resourceArn", arn, "tags", set), NULL);
    json_decref(attrs), json_decref(out), json_decref(want), json_decref(set), json_decref(unset);
    return rc;
}

static int repo_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                       const json_t *np)
{
    (void)s;
    const char *mut = jstr(np, "ImageTagMutability");
    if (!prov_same(json_object_get(op, "ImageTagMutability"),
                   json_object_get(np, "ImageTagMutability")) &&
        prov_call(p, "ecr", "PutImageTagMutability",
                  json_pack("{s:s, s:s}", "repositoryName", id, "imageTagMutability",
                            mut ? mut : "MUTABLE"),
                  NULL))
        return -1;
    if (!prov_doc_equal(json_object_get(op, "RepositoryPolicyText"),
                        json_object_get(np, "RepositoryPolicyText")) &&
        policy_put(p, id, np, json_object_get(op, "RepositoryPolicyText") != NULL))
        return -1;
    return prov_same(json_object_get(op, "Tags"), json_object_get(np, "Tags"))
               ? 0
               : tags_change(p, id, np);
}

static const prov_shape shape = {
    .schema = schema,
    .make = repo_make,
    .change = repo_change,
    .attrs = repo_attrs,
    .del = repo_del,
};

static const char *const replace_on[] = {"RepositoryName", "EncryptionConfiguration", NULL};

const cfn_provider cfn_provider_ecr_repository = {
    .type = "AWS::ECR::Repository",
    .shape = &shape,
    .del = repo_del,
    .replace_on = replace_on,
};
