/* Gateway responses (REST APIs): PutGatewayResponse ... DeleteGatewayResponse, the
 * OpenAPI x-amazon-apigateway-gateway-responses, and which one shapes an error the data
 * plane answers (apigw_gateway_response_for). Stored in the API's document as
 * "gatewayResponses": {TYPE: GatewayResponse}, only the customized ones; a deployment
 * snapshots them ("_gatewayResponses"), as AWS serves them once deployed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apigateway_int.h"

/* AWS's response types and the status each answers by default (0: the error's own). */
static const struct {
    const char *type;
    int status;
} TYPES[] = {
    {"ACCESS_DENIED", 403},
    {"API_CONFIGURATION_ERROR", 500},
    {"AUTHORIZER_CONFIGURATION_ERROR", 500},
    {"AUTHORIZER_FAILURE", 500},
    {"BAD_REQUEST_BODY", 400},
    {"BAD_REQUEST_PARAMETERS", 400},
    {"DEFAULT_4XX", 0},
    {"DEFAULT_5XX", 0},
    {"EXPIRED_TOKEN", 403},
    {"INTEGRATION_FAILURE", 504},
    {"INTEGRATION_TIMEOUT", 504},
    {"INVALID_API_KEY", 403},
    {"INVALID_SIGNATURE", 403},
    {"MISSING_AUTHENTICATION_TOKEN", 403},
    {"QUOTA_EXCEEDED", 429},
    {"REQUEST_TOO_LARGE", 413},
    {"RESOURCE_NOT_FOUND", 404},
    {"THROTTLED", 429},
    {"UNAUTHORIZED", 401},
    {"UNSUPPORTED_MEDIA_TYPE", 415},
    {"WAF_FILTERED", 403},
};
#define NTYPES (sizeof(TYPES) / sizeof(TYPES[0]))

static int type_index(const char *type)
{
    for (size_t i = 0; type && i < NTYPES; i++)
        if (!strcmp(TYPES[i].type, type)) return (int)i;
    return -1;
}

const json_t *apigw_gateway_response_for(const json_t *responses, const char *type, int status)
{
    const json_t *gr = json_object_get(responses, type);
    if (!gr) gr = json_object_get(responses, status >= 500 ? "DEFAULT_5XX" : "DEFAULT_4XX");
    return gr;
}

/* AWS's default for type: its status, no parameters, the message template. */
static json_t *default_response(int i)
{
    json_t *o = json_pack("{s:s, s:b, s:{}, s:{s:s}}", "responseType", TYPES[i].type,
                          "defaultResponse", 1, "responseParameters", "responseTemplates",
                          "application/json", "{\"message\":$context.error.messageString}");
    char st[8];
    snprintf(st, sizeof(st), "%d", TYPES[i].status);
    if (o && TYPES[i].status && jset_str(o, "statusCode", st)) json_decref(o), o = NULL;
    return o;
}

/* A customized response from its parts (PutGatewayResponse's members, the OpenAPI
 * extension's): the stored document, or NULL with BadRequestException. */
static json_t *make_response(call *c, const char *type, const char *status, const json_t *params,
                             const json_t *templates)
{
    if (type_index(type) < 0)
        return apigw_bad(c, "Invalid gateway response type specified: %s", type ? type : ""), NULL;
    if (status && (strlen(status) != 3 || status[0] < '1' || status[0] > '5' ||
                   strspn(status, "0123456789") != 3))
        return apigw_bad(c, "Invalid status code specified: %s", status), NULL;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)params, k, v) {
        if (strncmp(k, "gatewayresponse.header.", 23) || !json_is_string(v))
            return apigw_bad(c,
                             "Invalid mapping expression specified: Validation Result: warnings "
                             ": [], errors : [Invalid mapping expression specified: %s]",
                             k),
                   NULL;
    }
    json_t *o =
        json_pack("{s:s, s:b, s:o, s:o}", "responseType", type, "defaultResponse", 0,
                  "responseParameters", params ? json_deep_copy(params) : json_object(),
                  "responseTemplates", templates ? json_deep_copy(templates) : json_object());
    if (o && status && jset_str(o, "statusCode", status)) json_decref(o), o = NULL;
    if (!o) ferr_oom(c->err);
    return o;
}

int apigw_import_gateway_responses(call *c, json_t *doc, const json_t *ext)
{
    if (!ext) return 0;
    if (!json_is_object(ext)) return apigw_bad(c, "Invalid OpenAPI input.");
    json_t *all = json_object();
    if (!all || json_object_set_new(doc, "gatewayResponses", all)) return ferr_oom(c->err);
    const char *type;
    json_t *v;
    json_object_foreach((json_t *)ext, type, v) {
        json_t *st = json_object_get(v, "statusCode");
        const char *status = json_is_string(st) ? json_string_value(st) : NULL;
        char num[24];
        if (json_is_integer(st)) {
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(st));
            status = num;
        }
        json_t *gr = make_response(c, type, status, json_object_get(v, "responseParameters"),
                                   json_object_get(v, "responseTemplates"));
        if (!gr || json_object_set_new(all, type, gr)) return gr ? ferr_oom(c->err) : -1;
    }
    return 0;
}

/* ---- the operations ---- */

static json_t *responses_of(call *c, json_t *doc)
{
    json_t *all = json_object_get(doc, "gatewayResponses");
    if (!all && (json_object_set_new(doc, "gatewayResponses", all = json_object()) || !all))
        return ferr_oom(c->err), NULL;
    return all;
}

static int open_api(call *c, const json_t *in, const char *verb, json_t **doc)
{
    const char *t = arena_printf(c->a, "/gatewayresponses/%s", jstr(in, "responseType"));
    if (!t) return ferr_oom(c->err);
    return apigw_open(c, in, verb, t, doc) < 0 ? -1 : 0;
}

int apigateway_op_put_gateway_response(call *c, json_t *in, json_t **out)
{
    json_t *doc, *all;
    if (open_api(c, in, "PUT", &doc) || !(all = responses_of(c, doc))) return -1;
    const char *type = jstr(in, "responseType");
    json_t *gr =
        make_response(c, type, jstr(in, "statusCode"), json_object_get(in, "responseParameters"),
                      json_object_get(in, "responseTemplates"));
    if (!gr) return -1;
    if (json_object_set_new(all, type, gr)) return ferr_oom(c->err);
    if (apigw_save(c, doc)) return -1;
    *out = json_deep_copy(gr);
    return *out ? 0 : ferr_oom(c->err);
}

int apigateway_op_get_gateway_response(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (open_api(c, in, "GET", &doc)) return -1;
    const char *type = jstr(in, "responseType");
    int i = type_index(type);
    if (i < 0) return apigw_bad(c, "Invalid gateway response type specified: %s", type);
    json_t *gr = json_object_get(json_object_get(doc, "gatewayResponses"), type);
    *out = gr ? json_deep_copy(gr) : default_response(i);
    return *out ? 0 : ferr_oom(c->err);
}

int apigateway_op_get_gateway_responses(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (apigw_open(c, in, "GET", "/gatewayresponses", &doc) < 0) return -1;
    json_t *items = json_array(), *o = json_object();
    if (!arena_defer_json(c->a, items) || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    const json_t *custom = json_object_get(doc, "gatewayResponses");
    for (size_t i = 0; i < NTYPES; i++) {
        json_t *gr = json_object_get(custom, TYPES[i].type);
        if (json_array_append_new(items, gr ? json_deep_copy(gr) : default_response((int)i)))
            return ferr_oom(c->err);
    }
    if (svc_page(c, items, jstr(in, "position"), jint(in, "limit", 25), o, "items", "position",
                 "BadRequestException"))
        return -1;
    *out = json_incref(o);
    return 0;
}

int apigateway_op_update_gateway_response(call *c, json_t *in, json_t **out)
{
    json_t *doc, *all;
    if (open_api(c, in, "PATCH", &doc) || !(all = responses_of(c, doc))) return -1;
    const char *type = jstr(in, "responseType");
    int i = type_index(type);
    if (i < 0) return apigw_bad(c, "Invalid gateway response type specified: %s", type);
    json_t *gr = json_object_get(all, type);
    if (!gr) { /* AWS: patching a default response customizes it */
        gr = default_response(i);
        if (!gr || json_object_set_new(all, type, gr)) return ferr_oom(c->err);
        if (json_object_set_new(gr, "defaultResponse", json_false())) return ferr_oom(c->err);
    }
    if (apigw_patch(c, gr, json_object_get(in, "patchOperations"),
                    "/statusCode /responseParameters/ /responseTemplates/"))
        return -1;
    json_t *check =
        make_response(c, type, jstr(gr, "statusCode"), json_object_get(gr, "responseParameters"),
                      json_object_get(gr, "responseTemplates"));
    if (!check) return -1;
    json_decref(check);
    if (apigw_save(c, doc)) return -1;
    *out = json_deep_copy(gr);
    return *out ? 0 : ferr_oom(c->err);
}

int apigateway_op_delete_gateway_response(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc, *all;
    if (open_api(c, in, "DELETE", &doc) || !(all = responses_of(c, doc))) return -1;
    const char *type = jstr(in, "responseType");
    if (!json_object_get(all, type))
        return apigw_not_found(c, "Invalid gateway response type specified");
    json_object_del(all, type);
    return apigw_save(c, doc);
}
