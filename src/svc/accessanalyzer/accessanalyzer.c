/* IAM Access Analyzer (rest-json, signing name access-analyzer): ValidatePolicy, the
 * policy checks a pipeline runs before it deploys (policycheck.h). The analyzers and their
 * findings are not implemented: those operations answer NotImplemented. */
#include <string.h>

#include "policycheck.h"
#include "proto/codec.h"
#include "svc/svc.h"

/* AWS quota for the policy document of ValidatePolicy. */
#define AA_MAX_DOCUMENT 131072

int accessanalyzer_op_validate_policy(call *c, json_t *in, json_t **out)
{
    static const char *const types[] = {"IDENTITY_POLICY", "RESOURCE_POLICY",
                                        "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY", NULL};
    static const char *const resource_types[] = {"AWS::S3::Bucket",
                                                 "AWS::S3::AccessPoint",
                                                 "AWS::S3::MultiRegionAccessPoint",
                                                 "AWS::S3ObjectLambda::AccessPoint",
                                                 "AWS::IAM::AssumeRolePolicyDocument",
                                                 "AWS::DynamoDB::Table",
                                                 "AWS::DynamoDB::Stream",
                                                 NULL};
    if (call_authorize(c, "access-analyzer:ValidatePolicy", "*")) return -1;
    const proto_service *svc = proto_service_by_signing_name("access-analyzer");
    const char *type = jstr(in, "policyType"), *doc = jstr(in, "policyDocument");
    const char *rtype = jstr(in, "validatePolicyResourceType");
    if (proto_check_enum(svc, "policyType", type, types, c->err) ||
        proto_check_enum(svc, "validatePolicyResourceType", rtype, resource_types, c->err))
        return -1;
    long long max = jint(in, "maxResults", 0);
    if (json_object_get(in, "maxResults") && (max < 1 || max > 1000))
        return ferr_set(c->err, 400, "ValidationException",
                        "1 validation error detected: Value '%lld' at 'maxResults' failed to "
                        "satisfy constraint: Member must have value between 1 and 1000",
                        max);
    size_t len = doc ? strlen(doc) : 0;
    if (len > AA_MAX_DOCUMENT)
        return ferr_set(c->err, 400, "ValidationException",
                        "1 validation error detected: Value at 'policyDocument' failed to satisfy "
                        "constraint: Member must have length less than or equal to %d",
                        AA_MAX_DOCUMENT);
    int t = 0;
    for (int i = 0; types[i]; i++)
        if (!strcmp(type, types[i])) t = i;
    int trust = rtype && !strcmp(rtype, "AWS::IAM::AssumeRolePolicyDocument");
    json_t *findings = NULL;
    if (aa_validate_policy(c->a, doc ? doc : "", len, t, trust, &findings, c->err)) return -1;
    *out = svc_out(c, json_object());
    int rc = svc_page(c, findings, jstr(in, "nextToken"), max, *out, "findings", "nextToken",
                      "ValidationException");
    json_decref(findings);
    return rc;
}

const svc_def svc_accessanalyzer = {.name = "access-analyzer",
                                    .event_source = "access-analyzer.amazonaws.com"};
