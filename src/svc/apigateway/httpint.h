/* HTTP_PROXY integrations: the request passed on to an HTTP endpoint and its answer passed
 * back (libcurl, on the request's thread, bounded by the integration's timeout). */
#ifndef FERRY_SVC_APIGATEWAY_HTTPINT_H
#define FERRY_SVC_APIGATEWAY_HTTPINT_H
#include <jansson.h>

#include "proto/codec.h"
#include "svc/svc.h"

/* Sends r (method, headers, query, body) to url, {name} in it replaced by path_params,
 * within timeout_ms, and fills resp (initialized here) with the endpoint's answer, or
 * API Gateway's 504 (timed out) / 500 (unreachable). */
void apigw_http_proxy(arena *a, const svc_request *r, const char *url, const json_t *path_params,
                      long timeout_ms, proto_response *resp);

#endif
