/* CloudFormation custom resources (AWS::CloudFormation::CustomResource and Custom::*), built
 * into the stack engine: the request sent to the ServiceToken (a Lambda function or an SNS
 * topic), the ResponseURL ferry serves for the answer, and what the answer means. */
#ifndef FERRY_CFN_STACK_CUSTOM_H
#define FERRY_CFN_STACK_CUSTOM_H
#include <jansson.h>

#include "engine/stacks/provider.h"
#include "svc/svc.h"

extern const cfn_provider cfn_provider_cfn_custom;

/* 1 when type is AWS::CloudFormation::CustomResource or a valid Custom::Name (AWS: up to 60
 * characters of A-Za-z0-9_@- after "Custom::"), else 0. */
int cfn_custom_type(const char *type);

/* What a ResponseURL's path names (after /_ferry/cloudformation/custom/):
 * ACCOUNT/REGION/STACKUUID/LOGICAL/REQUESTID. */
typedef struct cfn_custom_ref {
    char account[13], region[32], uuid[40], logical[256], request[40];
} cfn_custom_ref;
/* 0, or -1 when rest is not such a path. */
int cfn_custom_ref_parse(const char *rest, cfn_custom_ref *r);

/* A provider's response document (AWS's response object, at most 4096 bytes): 0 with *out
 * a new {"Status", "Reason", "PhysicalResourceId", "NoEcho": bool, "Data": {}} (Reason and
 * PhysicalResourceId only when given), or -1 with the reason CloudFormation gives in e. */
int cfn_custom_response_parse(const char *text, size_t len, json_t **out, ferr *e);

/* The ResponseURL route (cloudformation's svc_def): a PUT of the response document. */
int cfn_custom_serve(ferry_env *env, arena *a, const svc_request *r, proto_response *resp);

/* 1 when the output value expression v reads (Fn::GetAtt, Fn::Sub) an attribute of a
 * resource whose values resv ({logical: {"NoEcho": true, ...}}) says are masked. */
int cfn_custom_masked(const json_t *v, const json_t *resv);

#endif
