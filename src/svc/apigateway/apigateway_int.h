/* What the apigateway service's files share (apigateway.c: REST APIs, documents, errors,
 * tags; resources.c: resources, methods, integrations and their responses; deploy.c:
 * deployments and stages; import.c: ImportRestApi/PutRestApi; serve.c: the data plane).
 *
 * Storage: one document per REST API, kind "apigateway.restapi", id the API's id:
 *   {"api": RestApi (as AWS answers it, rootResourceId included),
 *    "resources": {id: Resource with full resourceMethods (Method with methodIntegration)},
 *    "deployments": {id: Deployment + "_resources": the resources when it was made},
 *    "stages": {name: Stage},
 *    "authorizers": {id: Authorizer},
 *    "gatewayResponses": {TYPE: GatewayResponse} (the customized ones)}
 * (a deployment also keeps "_policy" and "_gatewayResponses" as they were)
 * and one index document per API id, kind "apigateway.apiid" (account "", region ""):
 *   {"account", "region"}, so that the data plane finds an API from its id alone and ids
 *   are unique across accounts, as their host names are. */
#ifndef FERRY_SVC_APIGATEWAY_INT_H
#define FERRY_SVC_APIGATEWAY_INT_H
#include <jansson.h>

#include "svc/svc.h"

#define APIGW_KIND       "apigateway.restapi"
#define APIGW_INDEX_KIND "apigateway.apiid"

/* Errors as API Gateway words them. */
int apigw_bad(call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int apigw_not_found(call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int apigw_conflict(call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "arn:aws:apigateway:REGION::/restapis/ID" + suffix, in the arena. */
const char *apigw_arn(call *c, const char *api_id, const char *suffix);

/* Loads the API in's restApiId names after authorizing apigateway:<verb> on its ARN + suffix:
 * 1 (*doc owned by the arena), or -1 (NotFoundException "Invalid API identifier specified"). */
int apigw_open(call *c, const json_t *in, const char *verb, const char *suffix, json_t **doc);
int apigw_save(call *c, const json_t *doc);
/* A new API document with its root resource, named name (id fresh), indexed. */
int apigw_create(call *c, const json_t *in, json_t **doc);
/* Sets api's resource policy to text (JSON; NULL or "" removes it), "execute-api:/" in it
 * expanded to the API's ARN as AWS stores it: 0, or -1 (BadRequestException). */
int apigw_set_policy(call *c, json_t *api, const char *text);
/* GetModels, GetAuthorizers...: the values of doc's map member, each rendered (NULL: as
 * stored), paged by in's position and limit. */
int apigw_list(call *c, json_t *in, const char *suffix, const char *member,
               json_t *(*render)(call *c, const json_t *v), json_t **out);
/* A fresh 10-character id (lowercase alnum) in the arena. */
const char *apigw_id(call *c);

/* The resource id names in doc, or NULL with NotFoundException. */
json_t *apigw_resource(call *c, json_t *doc, const char *id);
/* Adds a resource under parent: the new resource, or NULL (ConflictException for a
 * duplicate, BadRequestException for a bad path part). */
json_t *apigw_add_resource(call *c, json_t *doc, const char *parent_id, const char *part);
/* Stores method (PutMethod's members, borrowed) as httpMethod of res. */
json_t *apigw_put_method(call *c, json_t *res, const char *http_method, const json_t *in);
json_t *apigw_put_integration(call *c, json_t *method, const json_t *in);
/* Replaces the API's resources with those of a Swagger 2.0 / OpenAPI 3.0 definition
 * (JSON or YAML text; import.c). mode "overwrite" or "merge". */
int apigw_import(call *c, json_t *doc, const char *body, size_t len, const char *mode);
/* A method (PutMethod's input, or the method after UpdateMethod) of authorization type
 * CUSTOM or COGNITO_USER_POOLS names one of doc's authorizers: 1, else 0 with
 * BadRequestException. */
int apigw_authorizer_ok(call *c, const json_t *doc, const json_t *method);
/* Deploys doc (a snapshot of its resources) and, when stage_name is given, creates or
 * points that stage at it. The deployment, or NULL. */
json_t *apigw_deploy(call *c, json_t *doc, const json_t *in);

/* A patch path's part with "~1" turned back into '/' ("image~1png"), into out (n bytes). */
void apigw_unescape(const char *k, char *out, size_t n);

/* JSON patch operations (UpdateRestApi, UpdateStage, ...) on obj: paths listed in allowed
 * ("/name /description"), and under a map prefix ending in '/' ("/variables/"). */
int apigw_patch(call *c, json_t *obj, const json_t *ops, const char *allowed);

/* A method that requires an API key (usage.c): 0 when value is the key of an enabled API key
 * in a usage plan of api's stage, within the plan's throttle (its apiStages' for method,
 * "/path/VERB", else the plan's) and with quota left (the request then counted, durably);
 * else APIGW_USAGE_THROTTLED or the status AWS answers: 403 (no such key), 429 (quota
 * spent), 500. */
#define APIGW_USAGE_THROTTLED 1
int apigw_usage_check(ferry_env *env, const char *account, const char *region, const char *api,
                      const char *stage, const char *value, const char *method);

/* Gateway responses (responses.c): the customized response that shapes an error of type
 * (AWS's response type, default status status) among a deployment's responses, its own
 * else DEFAULT_4XX/DEFAULT_5XX by status; NULL when none (AWS's default answer). */
const json_t *apigw_gateway_response_for(const json_t *responses, const char *type, int status);
/* x-amazon-apigateway-gateway-responses (NULL: none) into doc's responses. */
int apigw_import_gateway_responses(call *c, json_t *doc, const json_t *ext);

/* Models (models.c): a model's schema parsed, and the schemas it refers to, cached for one
 * validation ("https://apigateway.amazonaws.com/restapis/ID/models/NAME" names a model of
 * the same API). */
typedef struct apigw_models {
    const json_t *models; /* {name: Model}, borrowed */
    json_t *cache;        /* {name: parsed schema} */
} apigw_models;
int apigw_models_init(apigw_models *m, const json_t *models);
void apigw_models_dispose(apigw_models *m);
/* The schema of model name (borrowed from m), or NULL when none or not JSON. */
const json_t *apigw_model_schema(apigw_models *m, const char *name);
/* jschema_validate with m resolving references to other models. */
int apigw_model_validate(apigw_models *m, const json_t *schema, const json_t *doc, json_t *errs);
/* The Empty and Error models AWS gives every new REST API, into doc. */
int apigw_default_models(call *c, json_t *doc);
/* A method's requestValidatorId, requestModels and requestParameters name what doc has: 1,
 * else 0 with BadRequestException. */
int apigw_method_requests_ok(call *c, const json_t *doc, const json_t *method);

/* OpenAPI's definitions (components.schemas) as models, their references to each other
 * turned into model URLs, and x-amazon-apigateway-request-validators into doc. */
int apigw_import_models(call *c, json_t *doc, const json_t *spec);
/* What an operation asks of its requests (its or the definition's
 * x-amazon-apigateway-request-validator, required parameters, the body's models), into in
 * (PutMethod's input). 0, or -1 with BadRequestException. */
int apigw_import_method_requests(call *c, const json_t *doc, const json_t *spec, const json_t *op,
                                 json_t *in);

/* Request validation (reqcheck.c): the checks method's request validator (one of
 * validators) asks for. 0 valid (or nothing to check); APIGW_BAD_PARAMETERS or
 * APIGW_BAD_BODY with *msg the client's message and *detail the validation's report
 * ($context.error.validationErrorString), both in a; -1 out of memory. */
#define APIGW_BAD_PARAMETERS 1
#define APIGW_BAD_BODY       2
int apigw_request_check(arena *a, const svc_request *r, const json_t *method,
                        const json_t *validators, const json_t *models, const json_t *path_params,
                        const char **msg, const char **detail);
/* The request's media type, lowercased, without parameters (application/json without a
 * Content-Type), as validation picks a model by it; in a. */
const char *apigw_media_type(arena *a, const svc_request *r);

/* Account settings (account.c): the account's throttle (AWS's default, else
 * FERRY_APIGW_ACCOUNT_THROTTLE), and the CloudWatch Logs role (in c's arena; NULL: none). */
void apigw_account_throttle(double *rate, long long *burst);
const char *apigw_account_role(call *c);

/* The data plane's route (serve.c). */
int apigw_serve(ferry_env *env, arena *a, const svc_request *r, proto_response *resp);
int apigw_serve_path(ferry_env *env, arena *a, const svc_request *r, proto_response *resp);

#endif
