/* AWS::S3::BucketPolicy: PolicyDocument set as Bucket's policy (PutBucketPolicy, so Block
 * Public Access and the policy's checks apply as for any caller). Ref = an id CloudFormation
 * generates. The document changes in place; another Bucket replaces; the resource going
 * deletes the bucket's policy. */
#include <stdlib.h>
#include <string.h>

#include "prov_int.h"

static const prov_prop schema[] = {
    {"Bucket", PT_STR, 1},
    {"PolicyDocument", PT_JSON, 1},
    {NULL, 0, 0},
};

static int put_policy(cfn_pctx *p, const json_t *pr)
{
    char *doc = prov_doc_text(json_object_get(pr, "PolicyDocument"));
    if (!doc) return ferr_oom(p->e);
    int rc = prov_call(p, "s3", "PutBucketPolicy",
                       json_pack("{s:s, s:s}", "Bucket", jstr(pr, "Bucket"), "Policy", doc), NULL);
    free(doc);
    return rc;
}

static int bp_finish(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *pr)
{
    (void)s, (void)id;
    return put_policy(p, pr);
}

static int bp_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                     const json_t *np)
{
    (void)s, (void)id, (void)op;
    return put_policy(p, np);
}

static int bp_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)id;
    const char *bucket = jstr(props, "Bucket");
    if (!bucket) return 0;
    return prov_call_gone_ok(p, NULL, "s3", "DeleteBucketPolicy",
                             json_pack("{s:s}", "Bucket", bucket));
}

static const prov_shape shape = {
    .schema = schema,
    .make = prov_shape_generated_id,
    .finish = bp_finish,
    .change = bp_change,
    .attrs = prov_shape_id_attrs,
    .del = bp_del,
};

static const char *const replace_on[] = {"Bucket", NULL};

const cfn_provider cfn_provider_s3_bucket_policy = {
    .type = "AWS::S3::BucketPolicy",
    .shape = &shape,
    .del = bp_del,
    .replace_on = replace_on,
};
