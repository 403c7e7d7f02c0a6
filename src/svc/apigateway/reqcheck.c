/* Request validation on the data plane (apigateway_int.h: apigw_request_check): the method's
 * request validator decides what is checked, its required requestParameters and its
 * requestModels' schema for the request's content type. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "apigateway_int.h"
#include "base/jschema.h"
#include "proto/pcommon.h"

/* The value of a method.request.* parameter in r, or NULL. */
static const char *param_value(arena *a, const svc_request *r, const json_t *path_params,
                               const char *expr)
{
    const char *dot = strchr(expr + 15, '.');
    if (!dot) return NULL;
    size_t wl = (size_t)(dot - (expr + 15));
    const char *name = dot + 1;
    if (!strncmp(expr + 15, "path", wl) && wl == 4) return jstr(path_params, name);
    if ((wl == 11 && !strncmp(expr + 15, "querystring", wl)) ||
        (wl == 21 && !strncmp(expr + 15, "multivaluequerystring", wl)))
        return proto_qs_param(a, r->query, name);
    if ((wl == 6 && !strncmp(expr + 15, "header", wl)) ||
        (wl == 16 && !strncmp(expr + 15, "multivalueheader", wl))) {
        char *l = arena_strdup(a, name);
        for (char *p = l; p && *p; p++) *p = (char)tolower((unsigned char)*p);
        return l ? r->header(r, l) : NULL;
    }
    return NULL;
}

static int blank(const char *s)
{
    if (!s) return 1;
    while (*s && isspace((unsigned char)*s)) s++;
    return !*s;
}

static int by_name(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

const char *apigw_media_type(arena *a, const svc_request *r)
{
    const char *ct = r->header(r, "content-type");
    if (!ct || !*ct) return "application/json";
    size_t n = strcspn(ct, ";");
    while (n && ct[n - 1] == ' ') n--;
    char *m = arena_strndup(a, ct, n);
    for (char *p = m; p && *p; p++) *p = (char)tolower((unsigned char)*p);
    return m ? m : "application/json";
}

int apigw_request_check(arena *a, const svc_request *r, const json_t *method,
                        const json_t *validators, const json_t *models, const json_t *path_params,
                        const char **msg, const char **detail)
{
    const char *vid = jstr(method, "requestValidatorId");
    const json_t *val = vid ? json_object_get(validators, vid) : NULL;
    if (!val) return 0;
    const json_t *rp = json_object_get(method, "requestParameters");
    if (jbool(val, "validateRequestParameters", 0) && json_object_size(rp)) {
        /* the missing ones' names, in name order */
        const char **miss = arena_alloc(a, json_object_size(rp) * sizeof(*miss));
        size_t n = 0;
        if (!miss) return -1;
        const char *k;
        json_t *req;
        json_object_foreach((json_t *)rp, k, req) {
            if (!json_is_true(req) || !blank(param_value(a, r, path_params, k))) continue;
            const char *name = strchr(k + 15, '.');
            miss[n++] = name ? name + 1 : k;
        }
        qsort(miss, n, sizeof(*miss), by_name);
        buf b;
        buf_init(&b, 0);
        for (size_t i = 0; i < n; i++) buf_printf(&b, "%s%s", i ? ", " : "", miss[i]);
        if (n) *msg = arena_printf(a, "Missing required request parameters: [%s]", buf_str(&b));
        buf_dispose(&b);
        if (n) {
            *detail = *msg;
            return *msg ? APIGW_BAD_PARAMETERS : -1;
        }
    }
    if (!jbool(val, "validateRequestBody", 0)) return 0;
    /* AWS: the model for the content type, else the $default one, else no check */
    const json_t *rm = json_object_get(method, "requestModels");
    const char *ct = apigw_media_type(a, r);
    const char *name = jstr(rm, ct);
    if (!name) name = jstr(rm, "$default");
    if (!name) return 0;
    apigw_models mc;
    if (apigw_models_init(&mc, models)) return -1;
    const json_t *schema = apigw_model_schema(&mc, name);
    int rc = 0;
    json_error_t je;
    json_t *body = r->body_len
                       ? json_loadb((const char *)r->body, r->body_len, JSON_DECODE_ANY, &je)
                       : json_object();
    json_t *errs = json_array();
    if (!errs || (!body && jload_oom(&je))) {
        rc = -1;
    } else if (!schema) {
        rc = 0; /* a model that is not a JSON schema (AWS keeps others as text) */
    } else if (!body) {
        rc = json_array_append_new(errs, json_sprintf("Invalid JSON: %s", je.text)) ? -1 : 1;
    } else {
        rc = apigw_model_validate(&mc, schema, body, errs);
    }
    if (rc == 1) {
        char *list = jschema_errors_string(errs);
        *msg = "Invalid request body";
        *detail = list ? arena_strdup(a, list) : NULL;
        free(list);
        rc = *detail ? APIGW_BAD_BODY : -1;
    }
    json_decref(errs);
    json_decref(body);
    apigw_models_dispose(&mc);
    return rc;
}
