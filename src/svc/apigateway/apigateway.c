/* Amazon API Gateway REST APIs (v1, rest-json): the service, REST APIs themselves, their
 * documents, errors, patch operations and tags. See apigateway_int.h for what lives where. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apigateway.h"
#include "apigateway_int.h"
#include "base/arn.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/ids.h"

static const svc_route routes[] = {
    {NULL, ".execute-api.localhost", NULL, apigw_serve},
    {NULL, NULL, "/_ferry/execute-api/", apigw_serve_path},
};

const svc_def svc_apigateway = {.name = "apigateway",
                                .event_source = "apigateway.amazonaws.com",
                                .reset = apigw_forget,
                                .routes = routes,
                                .nroutes = sizeof(routes) / sizeof(routes[0])};

static int err(call *c, int status, const char *code, const char *fmt, va_list ap)
{
    ferr_vset(c->err, status, code, "", fmt, ap);
    return -1;
}

int apigw_bad(call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err(c, 400, "BadRequestException", fmt, ap);
    va_end(ap);
    return -1;
}

int apigw_not_found(call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err(c, 404, "NotFoundException", fmt, ap);
    va_end(ap);
    return -1;
}

int apigw_conflict(call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err(c, 409, "ConflictException", fmt, ap);
    va_end(ap);
    return -1;
}

const char *apigw_arn(call *c, const char *api_id, const char *suffix)
{
    /* the collection itself (CreateRestApi, GetRestApis) is .../restapis, no slash: the
     * resource policies grant it as (P08's "arn:aws:apigateway:*::/restapis") */
    if (!*api_id)
        return arena_printf(c->a, "arn:%s:apigateway:%s::/restapis", arn_partition(c->region),
                            c->region);
    return arena_printf(c->a, "arn:%s:apigateway:%s::/restapis/%s%s", arn_partition(c->region),
                        c->region, api_id, suffix ? suffix : "");
}

const char *apigw_id(call *c)
{
    char id[11];
    ids_lower_alnum(id, 10);
    return arena_strdup(c->a, id);
}

int apigw_open(call *c, const json_t *in, const char *verb, const char *suffix, json_t **doc)
{
    const char *id = jstr(in, "restApiId");
    const char *arn = apigw_arn(c, id, suffix);
    const char *action = arena_printf(c->a, "apigateway:%s", verb);
    if (!arn || !action) return ferr_oom(c->err);
    if (call_authorize(c, action, arn)) return -1;
    call_resource(c, "AWS::ApiGateway::RestApi", id);
    store_key k = {APIGW_KIND, c->account, c->region, id};
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc < 0) return -1;
    if (!rc) return apigw_not_found(c, "Invalid API identifier specified %s:%s", c->account, id);
    if (!arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    return 1;
}

int apigw_set_policy(call *c, json_t *api, const char *text)
{
    if (!text || !*text) {
        json_object_del(api, "policy");
        return 0;
    }
    json_t *parsed = json_loads(text, 0, NULL);
    int ok = json_is_object(parsed);
    json_decref(parsed);
    if (!ok)
        return apigw_bad(c, "Invalid policy document. Please check the policy syntax and retry.");
    /* AWS: "execute-api:/stage/GET/path" is short for this API's ARN, expanded when saved */
    const char *full = arena_printf(c->a, "arn:%s:execute-api:%s:%s:%s/", arn_partition(c->region),
                                    c->region, c->account, jstr(api, "id"));
    if (!full) return ferr_oom(c->err);
    buf b;
    buf_init(&b, 0);
    for (const char *p = text; *p;) {
        const char *at = strstr(p, "\"execute-api:/");
        if (!at) {
            buf_puts(&b, p);
            break;
        }
        buf_put(&b, p, (size_t)(at - p) + 1);
        buf_puts(&b, full);
        p = at + 14;
    }
    int rc = b.failed || jset_str(api, "policy", buf_str(&b)) ? ferr_oom(c->err) : 0;
    buf_dispose(&b);
    return rc;
}

int apigw_save(call *c, const json_t *doc)
{
    store_key k = {APIGW_KIND, c->account, c->region, jstr(json_object_get(doc, "api"), "id")};
    return store_put(c->txn, &k, doc, c->err);
}

int apigw_create(call *c, const json_t *in, json_t **out)
{
    const char *id = NULL;
    json_t *ix = json_pack("{s:s, s:s}", "account", c->account, "region", c->region);
    if (!ix || !arena_defer_json(c->a, ix)) return ferr_oom(c->err);
    for (int tries = 0; tries < 8; tries++) {
        if (!(id = apigw_id(c))) return ferr_oom(c->err);
        store_key k = {APIGW_INDEX_KIND, "", "", id};
        int rc = store_insert(c->txn, &k, ix, c->err);
        if (rc < 0) return -1;
        if (!rc) break;
        id = NULL;
    }
    if (!id) return ferr_set(c->err, 500, "InternalFailure", "no free API id");
    const char *root = apigw_id(c);
    if (!root) return ferr_oom(c->err);
    json_t *api = json_pack(
        "{s:s, s:s, s:f, s:s, s:{s:[s]}, s:b, s:s, s:o}", "id", id, "name",
        jstr(in, "name") ? jstr(in, "name") : "", "createdDate", clock_now(), "apiKeySource",
        jstr(in, "apiKeySource") ? jstr(in, "apiKeySource") : "HEADER", "endpointConfiguration",
        "types", "EDGE", "disableExecuteApiEndpoint", jbool(in, "disableExecuteApiEndpoint", 0),
        "rootResourceId", root, "tags", json_object());
    static const char *const copy[] = {"description",           "version",
                                       "binaryMediaTypes",      "minimumCompressionSize",
                                       "endpointConfiguration", "tags"};
    for (size_t i = 0; api && i < sizeof(copy) / sizeof(copy[0]); i++) {
        json_t *v = json_object_get(in, copy[i]);
        if (v && json_object_set(api, copy[i], v)) json_decref(api), api = NULL;
    }
    if (api && apigw_set_policy(c, api, jstr(in, "policy"))) {
        json_decref(api);
        return -1;
    }
    json_t *doc =
        api ? json_pack("{s:o, s:{s:{s:s, s:s, s:{}}}, s:{}, s:{}}", "api", api, "resources", root,
                        "id", root, "path", "/", "resourceMethods", "deployments", "stages")
            : NULL;
    if (!doc || !arena_defer_json(c->a, doc)) return ferr_oom(c->err);
    if (apigw_default_models(c, doc)) return -1;
    call_resource(c, "AWS::ApiGateway::RestApi", id);
    *out = doc;
    return 0;
}

/* ---- patch operations ---- */

void apigw_unescape(const char *k, char *out, size_t n)
{
    size_t o = 0;
    for (const char *p = k; *p && o + 1 < n; p++)
        if (!strncmp(p, "~1", 2))
            out[o++] = '/', p++;
        else
            out[o++] = *p;
    if (n) out[o] = 0;
}

static int allowed_path(const char *path, const char *allowed, int *is_map)
{
    *is_map = 0;
    for (const char *p = allowed; *p;) {
        size_t n = strcspn(p, " ");
        if (n && p[n - 1] == '/' && !strncmp(path, p, n) && path[n]) {
            *is_map = (int)n;
            return 1;
        }
        if (strlen(path) == n && !strncmp(path, p, n)) return 1;
        p += n;
        p += strspn(p, " ");
    }
    return 0;
}

int apigw_patch(call *c, json_t *obj, const json_t *ops, const char *allowed)
{
    size_t i;
    const json_t *op;
    json_array_foreach(ops, i, op) {
        const char *o = jstr(op, "op"), *path = jstr(op, "path"), *value = jstr(op, "value");
        if (!o || !path) return apigw_bad(c, "Invalid patch operation specified.");
        int is_map;
        if (!allowed_path(path, allowed, &is_map))
            return apigw_bad(c,
                             "Invalid patch path '%s' specified for op '%s'. Must be one of: [%s]",
                             path, o, allowed);
        json_t *target = obj;
        const char *key = path + 1;
        if (is_map) {
            char name[128];
            snprintf(name, sizeof(name), "%.*s", is_map - 2, path + 1);
            target = json_object_get(obj, name);
            if (!target) {
                target = json_object();
                if (!target || json_object_set_new(obj, name, target)) return ferr_oom(c->err);
            }
            /* AWS: '/' in a map's key is written "~1" (application~1json) */
            char *k = arena_strdup(c->a, path + is_map);
            if (!k) return ferr_oom(c->err);
            apigw_unescape(path + is_map, k, strlen(k) + 1);
            key = k;
        }
        if (!strcmp(o, "replace") || !strcmp(o, "add")) {
            /* an entry of a list-like map (binaryMediaTypes) needs no value */
            if (!value && !is_map) return apigw_bad(c, "Invalid patch operation specified.");
            if (!value) value = "";
            json_t *prev = json_object_get(target, key);
            json_t *v = json_is_boolean(prev)   ? json_boolean(!strcmp(value, "true"))
                        : json_is_integer(prev) ? json_integer(atoll(value))
                                                : json_string(value);
            if (!v || json_object_set_new(target, key, v)) return ferr_oom(c->err);
        } else if (!strcmp(o, "remove")) {
            json_object_del(target, key);
        } else {
            return apigw_bad(c,
                             "Invalid patch operation specified. Must be 'add'|'remove'|'replace'"
                             "|'move'|'copy'|'test'");
        }
    }
    return 0;
}

int apigw_list(call *c, json_t *in, const char *suffix, const char *member,
               json_t *(*render)(call *c, const json_t *v), json_t **out)
{
    json_t *doc;
    if (apigw_open(c, in, "GET", suffix, &doc) < 0) return -1;
    json_t *items = json_array(), *o = json_object();
    if (!arena_defer_json(c->a, items) || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(doc, member), k, v) {
        if (json_array_append_new(items, render ? render(c, v) : json_deep_copy(v))) c->oom = 1;
    }
    if (svc_page(c, items, jstr(in, "position"), jint(in, "limit", 25), o, "items", "position",
                 "BadRequestException"))
        return -1;
    *out = json_incref(o);
    return 0;
}

/* ---- REST APIs ---- */

static json_t *render_api(call *c, const json_t *doc)
{
    json_t *api = json_deep_copy(json_object_get(doc, "api"));
    if (api && !json_object_size(json_object_get(api, "tags"))) json_object_del(api, "tags");
    if (!api) c->oom = 1;
    return api;
}

int apigateway_op_create_rest_api(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "apigateway:POST", apigw_arn(c, "", ""))) return -1;
    json_t *doc;
    if (apigw_create(c, in, &doc) || apigw_save(c, doc)) return -1;
    *out = render_api(c, doc);
    return 0;
}

int apigateway_op_get_rest_api(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (apigw_open(c, in, "GET", "", &doc) < 0) return -1;
    *out = render_api(c, doc);
    return 0;
}

struct list_ctx {
    call *c;
    json_t *items;
};

static int list_one(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    struct list_ctx *l = ud;
    json_t *api = render_api(l->c, doc);
    if (!api || json_array_append_new(l->items, api)) l->c->oom = 1;
    return 0;
}

int apigateway_op_get_rest_apis(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "apigateway:GET", apigw_arn(c, "", ""))) return -1;
    json_t *items = json_array();
    if (!items || !arena_defer_json(c->a, items)) return ferr_oom(c->err);
    struct list_ctx l = {c, items};
    if (store_list(c->txn, APIGW_KIND, c->account, c->region, NULL, NULL, 0, list_one, &l, c->err) <
        0)
        return -1;
    json_t *o = json_object();
    if (!o || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    if (svc_page(c, items, jstr(in, "position"), jint(in, "limit", 25), o, "items", "position",
                 "BadRequestException"))
        return -1;
    *out = json_incref(o);
    return 0;
}

int apigateway_op_update_rest_api(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (apigw_open(c, in, "PATCH", "", &doc) < 0) return -1;
    json_t *api = json_object_get(doc, "api");
    /* binaryMediaTypes is a list; its patch paths name entries ("/binaryMediaTypes/image~1png"):
     * patched as a map of them, then a list again */
    json_t *list = json_object_get(api, "binaryMediaTypes");
    if (json_is_array(list)) {
        json_t *m = json_object();
        size_t i;
        json_t *t;
        json_array_foreach(list, i, t) {
            const char *k = json_string_value(t);
            if (!m || (k && json_object_set_new(m, k, json_string("")))) c->oom = 1;
        }
        if (!m || json_object_set_new(api, "binaryMediaTypes", m)) return ferr_oom(c->err);
    }
    if (apigw_patch(c, api, json_object_get(in, "patchOperations"),
                    "/name /description /version /apiKeySource /minimumCompressionSize "
                    "/disableExecuteApiEndpoint /policy /binaryMediaTypes/"))
        return -1;
    /* AWS keeps binaryMediaTypes as a list; the patch path names one entry ("~1" is '/') */
    json_t *bm = json_object_get(api, "binaryMediaTypes");
    if (json_is_object(bm)) {
        json_t *list = json_array();
        const char *k;
        json_t *v;
        json_object_foreach(bm, k, v) {
            if (!list || json_array_append_new(list, json_string(k))) c->oom = 1;
        }
        if (!list || json_object_set_new(api, "binaryMediaTypes", list)) return ferr_oom(c->err);
    }
    const char *policy = jstr(api, "policy");
    if (policy && apigw_set_policy(c, api, arena_strdup(c->a, policy))) return -1;
    if (apigw_save(c, doc)) return -1;
    *out = render_api(c, doc);
    return 0;
}

int apigateway_op_delete_rest_api(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc;
    if (apigw_open(c, in, "DELETE", "", &doc) < 0) return -1;
    const char *id = jstr(in, "restApiId");
    store_key k = {APIGW_KIND, c->account, c->region, id}, ix = {APIGW_INDEX_KIND, "", "", id};
    return store_del(c->txn, &k, c->err) < 0 || store_del(c->txn, &ix, c->err) < 0 ? -1 : 0;
}

/* ---- tags: arn:aws:apigateway:REGION::/restapis/ID[/stages/NAME] ---- */

static json_t *tag_target(call *c, const char *arn, const char *verb, json_t **doc)
{
    const char *pre =
        arena_printf(c->a, "arn:%s:apigateway:%s::/restapis/", arn_partition(c->region), c->region);
    if (!pre) return ferr_oom(c->err), NULL;
    size_t pl = strlen(pre);
    if (strncmp(arn, pre, pl)) return apigw_bad(c, "Invalid ARN specified in the request"), NULL;
    const char *id = arn + pl, *slash = strchr(id, '/');
    json_t *in = json_pack("{s:s%}", "restApiId", id, slash ? (size_t)(slash - id) : strlen(id));
    if (!in || !arena_defer_json(c->a, in)) return ferr_oom(c->err), NULL;
    if (apigw_open(c, in, verb, slash ? slash : "", doc) < 0) return NULL;
    json_t *owner = json_object_get(*doc, "api");
    if (slash) {
        if (strncmp(slash, "/stages/", 8) ||
            !(owner = json_object_get(json_object_get(*doc, "stages"), slash + 8)))
            return apigw_not_found(c, "Invalid resource identifier specified"), NULL;
    }
    json_t *tags = json_object_get(owner, "tags");
    if (!tags && (json_object_set_new(owner, "tags", tags = json_object()) || !tags))
        return ferr_oom(c->err), NULL;
    return tags;
}

int apigateway_op_tag_resource(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc, *tags = tag_target(c, jstr(in, "resourceArn"), "PUT", &doc);
    if (!tags) return -1;
    if (json_object_update(tags, json_object_get(in, "tags"))) return ferr_oom(c->err);
    if (json_object_size(tags) > 50)
        return apigw_bad(c, "Too many tags specified: the limit is 50");
    return apigw_save(c, doc);
}

int apigateway_op_untag_resource(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc, *tags = tag_target(c, jstr(in, "resourceArn"), "DELETE", &doc);
    if (!tags) return -1;
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(in, "tagKeys"), i, k)
        json_object_del(tags, json_string_value(k));
    return apigw_save(c, doc);
}

int apigateway_op_get_tags(call *c, json_t *in, json_t **out)
{
    json_t *doc, *tags = tag_target(c, jstr(in, "resourceArn"), "GET", &doc);
    if (!tags) return -1;
    *out = svc_out(c, json_pack("{s:O}", "tags", tags));
    return 0;
}
