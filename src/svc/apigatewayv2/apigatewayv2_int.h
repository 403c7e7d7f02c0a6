/* What the apigatewayv2 folder's files share. An HTTP API is one document (kind
 * APIGWV2_KIND, id the API id) holding the API and its parts, so that the data plane reads
 * one document per request:
 *   {"Api": {...as GetApi answers, without ApiEndpoint},
 *    "Routes": {id: route}, "Integrations": {id: integration}, "Authorizers": {id: ...},
 *    "Stages": {name: stage}, "Deployments": {id: deployment + "_Snapshot"}}
 * A deployment's _Snapshot is {"Routes", "Integrations", "Authorizers"} as they were. */
#ifndef FERRY_APIGATEWAYV2_INT_H
#define FERRY_APIGATEWAYV2_INT_H
#include "svc/svc.h"

#define APIGWV2_KIND      "apigatewayv2:api"
/* Where each API lives, for its URL (which names neither account nor region): kind
 * APIGWV2_HOST_KIND, account and region "", id the API id, {"Account", "Region"}. */
#define APIGWV2_HOST_KIND "apigatewayv2:host"

typedef struct proto_response proto_response;

/* Errors as API Gateway words them. -1. */
int apigwv2_not_found(call *c, const char *what, const char *id);
int apigwv2_bad(call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int apigwv2_conflict(call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The API document of in's ApiId after authorizing method on it (1; *doc borrowed from the
 * arena), or -1 (NotFoundException, refusal). */
int apigwv2_open(call *c, const json_t *in, const char *method, json_t **doc);
int apigwv2_save(call *c, json_t *doc);
/* ApiEndpoint: http://API_ID.execute-api.localhost:PORT (the port ferry listens on). */
const char *apigwv2_endpoint(arena *a, const ferry_env *env, const char *api_id);
/* A new id of n lowercase letters and digits not yet a key of o. */
void apigwv2_new_id(const json_t *o, size_t n, char *out);
/* Makes a deployment of doc's current routes, integrations and authorizers; *id its id. */
int apigwv2_deploy(call *c, json_t *doc, const char *description, int auto_deployed, char id[16]);
/* Redeploys every AutoDeploy stage after a change to the API's parts. */
int apigwv2_autodeploy(call *c, json_t *doc);
/* The Lambda function ARN an integration URI names (itself, or the apigateway
 * "...:lambda:path/2015-03-31/functions/ARN/invocations" form), in a; NULL when none. */
const char *apigwv2_lambda_arn(arena *a, const char *uri);

/* Handlers other files of the folder build on (ImportApi makes its API as CreateApi does). */
int apigatewayv2_op_create_api(call *c, json_t *in, json_t **out);
int apigatewayv2_op_get_api(call *c, json_t *in, json_t **out);

/* The data plane (serve.c): svc routes. */
int apigwv2_serve_host(ferry_env *env, arena *a, const svc_request *r, proto_response *resp);
int apigwv2_serve_path(ferry_env *env, arena *a, const svc_request *r, proto_response *resp);
/* Its caches (APIs' documents, JWKS) dropped: the svc_def reset. */
void apigwv2_forget(void);

#endif
