/* What the API Gateway CloudFormation providers share (prov_apigateway.c,
 * prov_apigateway_keys.c). */
#ifndef FERRY_SVC_APIGATEWAY_PROV_H
#define FERRY_SVC_APIGATEWAY_PROV_H
#include "engine/stacks/prov_int.h"

/* Takes the id of a resource the service made: *id (malloc'd) announced (cfn_intent), as
 * soon as the call that made it answered. 0, or -1 (*id NULL). */
int apigw_prov_took(cfn_pctx *p, const char *made, char **id);

#endif
