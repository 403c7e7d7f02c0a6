/* Models (JSON Schema draft 4 documents a method's request body is validated against) and
 * request validators of a REST API: CreateModel ... DeleteRequestValidator, and the checks
 * PutMethod/UpdateMethod make of the models and validator a method names. Stored in the
 * API's document as "models": {name: Model} and "requestValidators": {id: RequestValidator};
 * a deployment snapshots both ("_models", "_requestValidators"), as AWS serves them once
 * deployed. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apigateway_int.h"
#include "base/jschema.h"

/* ---- references between models ---- */

/* "https://apigateway.amazonaws.com/restapis/ID/models/NAME": the model NAME of models,
 * parsed once per resolver (its cache owns it). */
static const json_t *resolve_model(void *ud, const char *ref)
{
    apigw_models *m = ud;
    const char *at = strstr(ref, "/models/");
    if (!at || !m->cache) return NULL;
    const char *name = at + 8;
    json_t *done = json_object_get(m->cache, name);
    if (done) return done;
    const char *text = jstr(json_object_get(m->models, name), "schema");
    json_t *s = text ? json_loads(text, 0, NULL) : NULL;
    if (!s || json_object_set_new(m->cache, name, s)) return NULL;
    return s;
}

int apigw_models_init(apigw_models *m, const json_t *models)
{
    m->models = models;
    m->cache = json_object();
    return m->cache ? 0 : -1;
}

void apigw_models_dispose(apigw_models *m)
{
    json_decref(m->cache);
    m->cache = NULL;
}

const json_t *apigw_model_schema(apigw_models *m, const char *name)
{
    char ref[300];
    snprintf(ref, sizeof(ref), "/models/%s", name);
    return resolve_model(m, ref);
}

int apigw_model_validate(apigw_models *m, const json_t *schema, const json_t *doc, json_t *errs)
{
    return jschema_validate(schema, doc, resolve_model, m, errs);
}

/* AWS: a schema that is JSON and a draft 4 schema, its references to this API's models. */
static int schema_ok(call *c, const json_t *doc, const char *content_type, const char *text)
{
    if (!text) return 1;
    (void)content_type;
    json_error_t je;
    json_t *s = json_loads(text, 0, &je);
    apigw_models m;
    char why[256] = "";
    int ok = 0;
    if (!s) {
        snprintf(why, sizeof(why), "%s", je.text);
    } else if (apigw_models_init(&m, json_object_get(doc, "models"))) {
        json_decref(s);
        return ferr_oom(c->err), 0;
    } else {
        ok = !jschema_check(s, resolve_model, &m, why, sizeof(why));
        apigw_models_dispose(&m);
    }
    json_decref(s);
    if (!ok)
        apigw_bad(c,
                  "Invalid model specified: Validation Result: warnings : [], errors : [Invalid "
                  "model schema specified: %s]",
                  why);
    return ok;
}

static json_t *model_map(call *c, json_t *doc, const char *key)
{
    json_t *m = json_object_get(doc, key);
    if (!m && (json_object_set_new(doc, key, m = json_object()) || !m))
        return ferr_oom(c->err), NULL;
    return m;
}

/* AWS: the Empty and Error models every new REST API starts with. */
int apigw_default_models(call *c, json_t *doc)
{
    json_t *all = model_map(c, doc, "models");
    const char *ids[2] = {apigw_id(c), apigw_id(c)};
    if (!all || !ids[0] || !ids[1]) return ferr_oom(c->err);
    json_t *empty = json_pack(
        "{s:s, s:s, s:s, s:s, s:s}", "id", ids[0], "name", "Empty", "description",
        "This is a default empty schema model", "contentType", "application/json", "schema",
        "{\n  \"$schema\": \"http://json-schema.org/draft-04/schema#\",\n  \"title\" "
        ": \"Empty Schema\",\n  \"type\" : \"object\"\n}");
    json_t *error = json_pack(
        "{s:s, s:s, s:s, s:s, s:s}", "id", ids[1], "name", "Error", "description",
        "This is a default error schema model", "contentType", "application/json", "schema",
        "{\n  \"$schema\" : \"http://json-schema.org/draft-04/schema#\",\n  \"title\" : \"Error "
        "Schema\",\n  \"type\" : \"object\",\n  \"properties\" : {\n    \"message\" : { \"type\" "
        ": \"string\" }\n  }\n}");
    if (json_object_set_new(all, "Empty", empty) || json_object_set_new(all, "Error", error))
        return ferr_oom(c->err);
    return 0;
}

static int model_name_ok(call *c, const char *name)
{
    size_t n = name ? strlen(name) : 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i])) n = 0;
    if (!n) apigw_bad(c, "Model name must be alphanumeric: %s", name ? name : "");
    return n > 0;
}

int apigateway_op_create_model(call *c, json_t *in, json_t **out)
{
    json_t *doc, *all;
    if (apigw_open(c, in, "POST", "/models", &doc) < 0) return -1;
    const char *name = jstr(in, "name"), *ct = jstr(in, "contentType");
    if (!model_name_ok(c, name)) return -1;
    if (!ct || !*ct) return apigw_bad(c, "Content type must be non-empty");
    if (!(all = model_map(c, doc, "models"))) return -1;
    if (json_object_get(all, name))
        return apigw_conflict(c, "Model name already exists for this REST API");
    if (!schema_ok(c, doc, ct, jstr(in, "schema"))) return -1;
    const char *id = apigw_id(c);
    json_t *m =
        id ? json_pack("{s:s, s:s, s:s, s:s?, s:s?}", "id", id, "name", name, "contentType", ct,
                       "description", jstr(in, "description"), "schema", jstr(in, "schema"))
           : NULL;
    if (!m || json_object_set_new(all, name, m)) return ferr_oom(c->err);
    if (apigw_save(c, doc)) return -1;
    *out = svc_out(c, json_deep_copy(m));
    return 0;
}

static json_t *open_model(call *c, json_t *in, const char *verb, json_t **doc)
{
    const char *name = jstr(in, "modelName");
    const char *t = arena_printf(c->a, "/models/%s", name);
    if (!t) return ferr_oom(c->err), NULL;
    if (apigw_open(c, in, verb, t, doc) < 0) return NULL;
    json_t *m = json_object_get(json_object_get(*doc, "models"), name);
    if (!m) apigw_not_found(c, "Invalid model name specified: %s", name);
    return m;
}

int apigateway_op_get_model(call *c, json_t *in, json_t **out)
{
    json_t *doc, *m = open_model(c, in, "GET", &doc);
    if (!m) return -1;
    *out = svc_out(c, json_deep_copy(m));
    return 0;
}

int apigateway_op_get_models(call *c, json_t *in, json_t **out)
{
    return apigw_list(c, in, "/models", "models", NULL, out);
}

int apigateway_op_update_model(call *c, json_t *in, json_t **out)
{
    json_t *doc, *m = open_model(c, in, "PATCH", &doc);
    if (!m) return -1;
    if (apigw_patch(c, m, json_object_get(in, "patchOperations"), "/schema /description") ||
        !schema_ok(c, doc, jstr(m, "contentType"), jstr(m, "schema")) || apigw_save(c, doc))
        return -1;
    *out = svc_out(c, json_deep_copy(m));
    return 0;
}

int apigateway_op_delete_model(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc, *m = open_model(c, in, "DELETE", &doc);
    if (!m) return -1;
    const char *name = jstr(in, "modelName");
    /* AWS: a model a method or another model refers to stays */
    const char *k, *verb;
    json_t *r, *meth;
    json_object_foreach(json_object_get(doc, "resources"), k, r) {
        json_object_foreach(json_object_get(r, "resourceMethods"), verb, meth) {
            const char *ct;
            json_t *v;
            json_object_foreach(json_object_get(meth, "requestModels"), ct, v) {
                if (json_is_string(v) && !strcmp(json_string_value(v), name))
                    return apigw_bad(c,
                                     "Cannot delete model '%s', is referenced in method request: "
                                     "%s/%s",
                                     name, jstr(r, "path"), verb);
            }
        }
    }
    const char *ref = arena_printf(c->a, "/models/%s\"", name);
    json_t *other;
    json_object_foreach(json_object_get(doc, "models"), k, other) {
        const char *s = jstr(other, "schema");
        if (ref && s && strcmp(k, name) && strstr(s, ref))
            return apigw_bad(c, "Cannot delete model '%s', is referenced in model: %s", name, k);
    }
    json_object_del(json_object_get(doc, "models"), name);
    return apigw_save(c, doc);
}

/* ---- request validators ---- */

int apigateway_op_create_request_validator(call *c, json_t *in, json_t **out)
{
    json_t *doc, *all;
    if (apigw_open(c, in, "POST", "/requestvalidators", &doc) < 0) return -1;
    if (!(all = model_map(c, doc, "requestValidators"))) return -1;
    const char *id = apigw_id(c);
    json_t *v =
        id ? json_pack("{s:s, s:s?, s:b, s:b}", "id", id, "name", jstr(in, "name"),
                       "validateRequestBody", jbool(in, "validateRequestBody", 0),
                       "validateRequestParameters", jbool(in, "validateRequestParameters", 0))
           : NULL;
    if (!v || json_object_set_new(all, id, v)) return ferr_oom(c->err);
    if (apigw_save(c, doc)) return -1;
    *out = svc_out(c, json_deep_copy(v));
    return 0;
}

static json_t *open_validator(call *c, json_t *in, const char *verb, json_t **doc)
{
    const char *id = jstr(in, "requestValidatorId");
    const char *t = arena_printf(c->a, "/requestvalidators/%s", id);
    if (!t) return ferr_oom(c->err), NULL;
    if (apigw_open(c, in, verb, t, doc) < 0) return NULL;
    json_t *v = json_object_get(json_object_get(*doc, "requestValidators"), id);
    if (!v) apigw_not_found(c, "Invalid Request Validator identifier specified");
    return v;
}

int apigateway_op_get_request_validator(call *c, json_t *in, json_t **out)
{
    json_t *doc, *v = open_validator(c, in, "GET", &doc);
    if (!v) return -1;
    *out = svc_out(c, json_deep_copy(v));
    return 0;
}

int apigateway_op_get_request_validators(call *c, json_t *in, json_t **out)
{
    return apigw_list(c, in, "/requestvalidators", "requestValidators", NULL, out);
}

int apigateway_op_update_request_validator(call *c, json_t *in, json_t **out)
{
    json_t *doc, *v = open_validator(c, in, "PATCH", &doc);
    if (!v) return -1;
    if (apigw_patch(c, v, json_object_get(in, "patchOperations"),
                    "/name /validateRequestBody /validateRequestParameters") ||
        apigw_save(c, doc))
        return -1;
    *out = svc_out(c, json_deep_copy(v));
    return 0;
}

int apigateway_op_delete_request_validator(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc, *v = open_validator(c, in, "DELETE", &doc);
    if (!v) return -1;
    json_object_del(json_object_get(doc, "requestValidators"), jstr(in, "requestValidatorId"));
    return apigw_save(c, doc);
}

/* ---- what a method names ---- */

/* AWS: method.request.{path|querystring|header|multivalueheader|multivaluequerystring}.NAME */
static int param_expr_ok(const char *k)
{
    static const char *const where[] = {"path.", "querystring.", "header.", "multivalueheader.",
                                        "multivaluequerystring."};
    if (strncmp(k, "method.request.", 15)) return 0;
    for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
        size_t n = strlen(where[i]);
        if (!strncmp(k + 15, where[i], n) && k[15 + n]) return 1;
    }
    return 0;
}

int apigw_method_requests_ok(call *c, const json_t *doc, const json_t *method)
{
    const char *vid = jstr(method, "requestValidatorId");
    if (vid && *vid && !json_object_get(json_object_get(doc, "requestValidators"), vid))
        return apigw_bad(c, "Invalid Request Validator identifier specified"), 0;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(method, "requestModels"), k, v) {
        const char *name = json_string_value(v);
        if (!name || !json_object_get(json_object_get(doc, "models"), name))
            return apigw_bad(c, "Invalid model identifier specified: %s", name ? name : ""), 0;
    }
    json_object_foreach(json_object_get(method, "requestParameters"), k, v) {
        if (!param_expr_ok(k))
            return apigw_bad(c,
                             "Invalid mapping expression specified: Validation Result: warnings "
                             ": [], errors : [Invalid method request parameter specified: %s]",
                             k),
                   0;
    }
    return 1;
}

/* ---- from OpenAPI ---- */

/* schema with its local references to other definitions ("#/definitions/X",
 * "#/components/schemas/X") turned into the API's model URLs, as AWS imports them. */
static int rewrite_refs(call *c, json_t *s, const char *api_id)
{
    if (json_is_array(s)) {
        size_t i;
        json_t *v;
        json_array_foreach(s, i, v) {
            if (rewrite_refs(c, v, api_id)) return -1;
        }
        return 0;
    }
    const char *k;
    json_t *v;
    json_object_foreach(s, k, v) {
        const char *ref = !strcmp(k, "$ref") ? json_string_value(v) : NULL;
        const char *name = NULL;
        if (ref && !strncmp(ref, "#/definitions/", 14)) name = ref + 14;
        if (ref && !strncmp(ref, "#/components/schemas/", 21)) name = ref + 21;
        if (name) {
            const char *url = arena_printf(
                c->a, "https://apigateway.amazonaws.com/restapis/%s/models/%s", api_id, name);
            if (!url || jset_str(s, k, url)) return ferr_oom(c->err);
        } else if ((json_is_object(v) || json_is_array(v)) && rewrite_refs(c, v, api_id)) {
            return -1;
        }
    }
    return 0;
}

int apigw_import_models(call *c, json_t *doc, const json_t *spec)
{
    const json_t *defs = json_object_get(spec, "definitions");
    if (!defs) defs = json_object_get(json_object_get(spec, "components"), "schemas");
    json_t *all = model_map(c, doc, "models");
    if (!all) return -1;
    const char *api_id = jstr(json_object_get(doc, "api"), "id"), *name;
    json_t *def;
    /* every model first, then their checks: they may refer to each other */
    json_object_foreach((json_t *)defs, name, def) {
        if (!model_name_ok(c, name)) return -1;
        json_t *s = json_deep_copy(def);
        char *text = s && !rewrite_refs(c, s, api_id) ? json_dumps(s, JSON_COMPACT) : NULL;
        json_decref(s);
        const char *id = apigw_id(c);
        json_t *m = text && id ? json_pack("{s:s, s:s, s:s, s:s}", "id", id, "name", name,
                                           "contentType", "application/json", "schema", text)
                               : NULL;
        free(text);
        if (!m || json_object_set_new(all, name, m)) return ferr_oom(c->err);
    }
    json_object_foreach((json_t *)defs, name, def) {
        if (!schema_ok(c, doc, "application/json", jstr(json_object_get(all, name), "schema")))
            return -1;
    }
    /* x-amazon-apigateway-request-validators: named here, by id in the API */
    json_t *vals = model_map(c, doc, "requestValidators");
    if (!vals) return -1;
    const json_t *named = json_object_get(spec, "x-amazon-apigateway-request-validators");
    const char *vid;
    void *tmp;
    json_object_foreach_safe(vals, tmp, vid, def) { /* imported again: replaced */
        if (json_object_get(named, jstr(def, "name") ? jstr(def, "name") : ""))
            json_object_del(vals, vid);
    }
    json_object_foreach((json_t *)named, name, def) {
        const char *id = apigw_id(c);
        json_t *v =
            id && json_is_object(def)
                ? json_pack("{s:s, s:s, s:b, s:b}", "id", id, "name", name, "validateRequestBody",
                            jbool(def, "validateRequestBody", 0), "validateRequestParameters",
                            jbool(def, "validateRequestParameters", 0))
                : NULL;
        if (!json_is_object(def)) return apigw_bad(c, "Invalid OpenAPI input.");
        if (!v || json_object_set_new(vals, id, v)) return ferr_oom(c->err);
    }
    return 0;
}

/* The model a schema names ({"$ref": "#/definitions/X"}), or NULL. */
static const char *model_of(const json_t *schema)
{
    const char *ref = jstr(schema, "$ref");
    if (ref && !strncmp(ref, "#/definitions/", 14)) return ref + 14;
    if (ref && !strncmp(ref, "#/components/schemas/", 21)) return ref + 21;
    return NULL;
}

int apigw_import_method_requests(call *c, const json_t *doc, const json_t *spec, const json_t *op,
                                 json_t *in)
{
    /* the operation's validator, else the definition's */
    const char *vname = jstr(op, "x-amazon-apigateway-request-validator");
    if (!vname) vname = jstr(spec, "x-amazon-apigateway-request-validator");
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(doc, "requestValidators"), k, v) {
        if (vname && !strcmp(jstr(v, "name"), vname) && jset_str(in, "requestValidatorId", k))
            return ferr_oom(c->err);
    }
    if (vname && !jstr(in, "requestValidatorId"))
        return apigw_bad(c, "Invalid OpenAPI input: no request validator named %s", vname);
    json_t *params = json_object(), *models = json_object();
    if (!arena_defer_json(c->a, params) || !arena_defer_json(c->a, models)) return ferr_oom(c->err);
    static const char *const where[][2] = {{"query", "querystring"},
                                           {"header", "header"},
                                           {"path", "path"}};
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(op, "parameters"), i, p) {
        const char *in_ = jstr(p, "in"), *name = jstr(p, "name");
        if (in_ && !strcmp(in_, "body")) { /* Swagger 2.0: the body's schema */
            const char *m = model_of(json_object_get(p, "schema"));
            if (m && jset_str(models, "application/json", m)) return ferr_oom(c->err);
            continue;
        }
        for (size_t w = 0; in_ && name && w < 3; w++) {
            const char *expr = arena_printf(c->a, "method.request.%s.%s", where[w][1], name);
            if (!strcmp(in_, where[w][0]) &&
                (!expr || json_object_set_new(params, expr, json_boolean(jbool(p, "required", 0)))))
                return ferr_oom(c->err);
        }
    }
    /* OpenAPI 3: requestBody's content, by media type */
    json_object_foreach(json_object_get(json_object_get(op, "requestBody"), "content"), k, v) {
        const char *m = model_of(json_object_get(v, "schema"));
        if (m && jset_str(models, k, m)) return ferr_oom(c->err);
    }
    if ((json_object_size(params) && json_object_set(in, "requestParameters", params)) ||
        (json_object_size(models) && json_object_set(in, "requestModels", models)))
        return ferr_oom(c->err);
    return apigw_method_requests_ok(c, doc, in) ? 0 : -1;
}
