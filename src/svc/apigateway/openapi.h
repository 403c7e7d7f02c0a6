/* OpenAPI (3.0) and Swagger (2.0) definitions as API Gateway imports them (import.c): the
 * one parser REST APIs (ImportRestApi, PutRestApi) and HTTP APIs (ImportApi, ReimportApi)
 * share. */
#ifndef FERRY_SVC_APIGATEWAY_OPENAPI_H
#define FERRY_SVC_APIGATEWAY_OPENAPI_H
#include <jansson.h>

#include "svc/svc.h"

/* The definition in body (JSON or YAML; Swagger 2.0 too unless openapi3), its paths and
 * operations checked to be objects: the document (the call's arena owns it), or NULL with
 * BadRequestException "Invalid OpenAPI input.". */
json_t *apigw_openapi_load(call *c, const char *body, size_t len, int openapi3);

/* Calls fn for every operation of spec: its path, its verb ("GET", ..., "ANY" for
 * x-amazon-apigateway-any-method) and the operation object. 0, or fn's -1. */
typedef int (*apigw_openapi_fn)(call *c, void *ud, const char *path, const char *verb,
                                const json_t *op);
int apigw_openapi_each(call *c, const json_t *spec, apigw_openapi_fn fn, void *ud);

/* The security scheme with an x-amazon-apigateway-authorizer an operation (else the whole
 * definition) asks for: its name, *scheme and *scopes (the requirement's list); NULL when
 * none. */
const char *apigw_openapi_security(const json_t *spec, const json_t *op, const json_t **scheme,
                                   const json_t **scopes);

#endif
