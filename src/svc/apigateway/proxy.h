/* Lambda proxy integrations, payload format 1.0 (REST APIs' AWS_PROXY, and HTTP APIs'
 * format 1.0): the event AWS hands the function for a request, and the mapping of the
 * function's answer to the HTTP response. */
#ifndef FERRY_SVC_APIGATEWAY_PROXY_H
#define FERRY_SVC_APIGATEWAY_PROXY_H
#include <jansson.h>

#include "proto/codec.h"
#include "svc/svc.h"

/* What the event says besides the request itself. Strings borrowed. */
typedef struct apigw_proxy_req {
    const svc_request *r; /* method, headers, query, body */
    const char *path;     /* the request's path within the stage, decoded ("/users/42") */
    const char *resource; /* the matched resource's path ("/users/{id}") */
    const char *resource_id;
    const char *stage;
    const char *api_id;
    const char *account; /* the API's owner */
    const char *request_id;
    const char *domain;         /* "ID.execute-api.localhost:4566", or the Host as sent */
    const json_t *path_params;  /* {"id": "42"} or NULL */
    const json_t *stage_vars;   /* {"k": "v"} or NULL */
    const json_t *binary_types; /* the API's binaryMediaTypes (bodies sent base64) or NULL */
    const principal *caller;    /* AWS_IAM: who signed; NULL otherwise */
    const json_t *authorizer;   /* requestContext.authorizer (a Lambda authorizer's context,
                                   JWT claims), or NULL */
    /* HTTP APIs' format 1.0 (NULL for REST APIs): "1.0", the event's "version" */
    const char *version;
    const char *ctx_path; /* requestContext.path when it is not "/STAGE" + path */
} apigw_proxy_req;

/* The event (payload format 1.0), a new reference; NULL when out of memory. Header names
 * are as the server holds them, lower case (AWS keeps the case a client sent). A NULL
 * resource_id is null in the event. */
json_t *apigw_proxy_event(arena *a, const apigw_proxy_req *q);

/* The query string's parameters (decoded) into single {k: last value} and, when not NULL,
 * multi {k: [values]}: 0, or -1 out of memory. */
int apigw_query_params(arena *a, const char *query, json_t *single, json_t *multi);

/* Maps the function's output (payload, len bytes) to resp (initialized here): 0, or -1 when
 * the output is not a valid proxy response (AWS answers 502 then). */
int apigw_proxy_response(arena *a, const char *payload, size_t len, proto_response *resp);

/* API Gateway's own answers: {"message": msg} with status (and x-amzn-ErrorType when
 * type is given: MissingAuthenticationTokenException, ...). Initializes resp. */
void apigw_answer(arena *a, proto_response *resp, int status, const char *type, const char *msg);
/* The same under another key (IAM refusals say "Message"). */
void apigw_answer_as(arena *a, proto_response *resp, int status, const char *type, const char *key,
                     const char *msg);

#endif
