/* What the API Gateway CloudFormation providers share (prov_apigateway.c, prov_apigateway_models.c,
 * prov_apigateway_keys.c). */
#ifndef FERRY_SVC_APIGATEWAY_PROV_H
#define FERRY_SVC_APIGATEWAY_PROV_H
#include "engine/stacks/prov_int.h"

/* Takes the id of a resource the service made: *id (malloc'd) announced (cfn_intent), as
 * soon as the call that made it answered. 0, or -1 (*id NULL). */
int apigw_prov_took(cfn_pctx *p, const char *made, char **id);

/* The object a BodyS3Location ({Bucket, Key, Version, ETag}) names, read as the stack: 0 and
 * *b (its bytes base64-encoded, malloc'd), or -1 (no such object, another ETag). */
int apigw_prov_s3_body(cfn_pctx *p, const json_t *loc, char **b);

#endif
