/* API Gateway REST APIs for the rest of ferry: the data plane's routes are the service's
 * own; HTTP APIs (apigatewayv2), which share the execute-api host names and path form, ask
 * whether an id is a REST API before answering for it. */
#ifndef FERRY_SVC_APIGATEWAY_H
#define FERRY_SVC_APIGATEWAY_H
#include "svc/svc.h"

/* 1 when api_id names a REST API (in any account or region), 0 when not or on error. */
int apigw_rest_api_exists(ferry_env *env, arena *a, const char *api_id);
/* The data plane's cache of REST APIs dropped: the svc_def reset. */
void apigw_forget(void);

#endif
