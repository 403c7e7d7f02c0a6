/* Deployments (snapshots of an API's resources: what a stage serves until it is pointed at
 * another) and stages. */
#include <stdio.h>
#include <string.h>

#include "apigateway_int.h"
#include "base/clock.h"

static json_t *render_deployment(call *c, const json_t *d)
{
    json_t *o = json_deep_copy(d);
    if (o) json_object_del(o, "_resources");
    if (!o) c->oom = 1;
    return o;
}

static json_t *new_stage(call *c, json_t *doc, const char *name, const char *deployment,
                         const json_t *in)
{
    json_t *stages = json_object_get(doc, "stages");
    if (json_object_get(stages, name)) return apigw_conflict(c, "Stage already exists"), NULL;
    double now = clock_now();
    json_t *s =
        json_pack("{s:s, s:s, s:b, s:s, s:{}, s:b, s:f, s:f}", "stageName", name, "deploymentId",
                  deployment, "cacheClusterEnabled", jbool(in, "cacheClusterEnabled", 0),
                  "cacheClusterStatus", "NOT_AVAILABLE", "methodSettings", "tracingEnabled",
                  jbool(in, "tracingEnabled", 0), "createdDate", now, "lastUpdatedDate", now);
    const char *desc =
        jstr(in, "description") ? jstr(in, "description") : jstr(in, "stageDescription");
    if (s && desc && jset_str(s, "description", desc)) json_decref(s), s = NULL;
    static const char *const copy[] = {"variables", "tags", "cacheClusterSize"};
    for (size_t i = 0; s && i < sizeof(copy) / sizeof(copy[0]); i++) {
        json_t *v = json_object_get(in, copy[i]);
        if (v && json_object_set(s, copy[i], v)) json_decref(s), s = NULL;
    }
    if (!s || json_object_set_new(stages, name, s)) return ferr_oom(c->err), NULL;
    return s;
}

static int stage_name_ok(call *c, const char *n)
{
    size_t l = strlen(n);
    if (!l || l > 128 ||
        strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != l)
        return apigw_bad(c, "Stage name only allows a-zA-Z0-9_"), 0;
    return 1;
}

json_t *apigw_deploy(call *c, json_t *doc, const json_t *in)
{
    json_t *res = json_object_get(doc, "resources");
    int methods = 0;
    const char *k;
    json_t *r;
    json_object_foreach(res, k, r) {
        const char *m;
        json_t *v;
        json_object_foreach(json_object_get(r, "resourceMethods"), m, v) {
            methods++;
            if (!json_object_get(v, "methodIntegration"))
                return apigw_bad(c, "No integration defined for method"), NULL;
        }
    }
    if (!methods) return apigw_bad(c, "The REST API doesn't contain any methods"), NULL;
    const char *stage = jstr(in, "stageName");
    if (stage && !stage_name_ok(c, stage)) return NULL;
    const char *id = apigw_id(c);
    json_t *summary = json_object();
    json_object_foreach(res, k, r) {
        const char *m;
        json_t *v, *s = json_object();
        json_object_foreach(json_object_get(r, "resourceMethods"), m, v) {
            if (!s || json_object_set_new(s, m,
                                          json_pack("{s:s, s:b}", "authorizationType",
                                                    jstr(v, "authorizationType"), "apiKeyRequired",
                                                    jbool(v, "apiKeyRequired", 0))))
                c->oom = 1;
        }
        if (!json_object_size(s)) {
            json_decref(s);
            continue;
        }
        if (!summary || json_object_set_new(summary, jstr(r, "path"), s)) c->oom = 1;
    }
    /* a copy: the API's own resources change on, the deployment's stay as they were */
    json_t *snap = json_deep_copy(res);
    json_t *d = id && summary && snap
                    ? json_pack("{s:s, s:f, s:o, s:o}", "id", id, "createdDate", clock_now(),
                                "apiSummary", summary, "_resources", snap)
                    : NULL;
    if (!d) json_decref(snap);
    if (!d) json_decref(summary);
    if (d && jstr(in, "description") && jset_str(d, "description", jstr(in, "description")))
        json_decref(d), d = NULL;
    if (!d || json_object_set_new(json_object_get(doc, "deployments"), id, d) || c->oom)
        return ferr_oom(c->err), NULL;
    if (stage) {
        json_t *s = json_object_get(json_object_get(doc, "stages"), stage);
        if (s) {
            if (jset_str(s, "deploymentId", id) ||
                json_object_set_new(s, "lastUpdatedDate", json_real(clock_now())))
                return ferr_oom(c->err), NULL;
            json_t *vars = json_object_get(in, "variables");
            if (vars && json_object_set(s, "variables", vars)) return ferr_oom(c->err), NULL;
        } else if (!new_stage(c, doc, stage, id, in)) {
            return NULL;
        }
    }
    return d;
}

int apigateway_op_create_deployment(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (apigw_open(c, in, "POST", "/deployments", &doc) < 0) return -1;
    json_t *d = apigw_deploy(c, doc, in);
    if (!d || apigw_save(c, doc)) return -1;
    *out = render_deployment(c, d);
    return 0;
}

static json_t *open_deployment(call *c, json_t *in, const char *verb, json_t **doc)
{
    const char *t = arena_printf(c->a, "/deployments/%s", jstr(in, "deploymentId"));
    if (!t) return ferr_oom(c->err), NULL;
    if (apigw_open(c, in, verb, t, doc) < 0) return NULL;
    json_t *d = json_object_get(json_object_get(*doc, "deployments"), jstr(in, "deploymentId"));
    if (!d) apigw_not_found(c, "Invalid Deployment identifier specified");
    return d;
}

int apigateway_op_get_deployment(call *c, json_t *in, json_t **out)
{
    json_t *doc, *d = open_deployment(c, in, "GET", &doc);
    if (!d) return -1;
    *out = render_deployment(c, d);
    return 0;
}

int apigateway_op_get_deployments(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (apigw_open(c, in, "GET", "/deployments", &doc) < 0) return -1;
    json_t *items = json_array(), *o = json_object();
    if (!arena_defer_json(c->a, items) || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    const char *k;
    json_t *d;
    json_object_foreach(json_object_get(doc, "deployments"), k, d) {
        if (json_array_append_new(items, render_deployment(c, d))) c->oom = 1;
    }
    if (svc_page(c, items, jstr(in, "position"), jint(in, "limit", 25), o, "items", "position",
                 "BadRequestException"))
        return -1;
    *out = json_incref(o);
    return 0;
}

int apigateway_op_update_deployment(call *c, json_t *in, json_t **out)
{
    json_t *doc, *d = open_deployment(c, in, "PATCH", &doc);
    if (!d) return -1;
    if (apigw_patch(c, d, json_object_get(in, "patchOperations"), "/description") ||
        apigw_save(c, doc))
        return -1;
    *out = render_deployment(c, d);
    return 0;
}

int apigateway_op_delete_deployment(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc, *d = open_deployment(c, in, "DELETE", &doc);
    if (!d) return -1;
    const char *k;
    json_t *s;
    json_object_foreach(json_object_get(doc, "stages"), k, s) {
        if (!strcmp(jstr(s, "deploymentId"), jstr(in, "deploymentId")))
            return apigw_bad(c, "Active stages pointing to this deployment must be moved or "
                                "deleted");
    }
    json_object_del(json_object_get(doc, "deployments"), jstr(in, "deploymentId"));
    return apigw_save(c, doc);
}

/* ---- stages ---- */

static json_t *render_stage(call *c, const json_t *s)
{
    json_t *o = json_deep_copy(s);
    if (o && !json_object_size(json_object_get(o, "tags"))) json_object_del(o, "tags");
    if (!o) c->oom = 1;
    return o;
}

int apigateway_op_create_stage(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (apigw_open(c, in, "POST", "/stages", &doc) < 0) return -1;
    const char *name = jstr(in, "stageName"), *dep = jstr(in, "deploymentId");
    if (!stage_name_ok(c, name)) return -1;
    if (!json_object_get(json_object_get(doc, "deployments"), dep))
        return apigw_bad(c, "Invalid deployment identifier specified");
    json_t *s = new_stage(c, doc, name, dep, in);
    if (!s || apigw_save(c, doc)) return -1;
    *out = render_stage(c, s);
    return 0;
}

static json_t *open_stage(call *c, json_t *in, const char *verb, json_t **doc)
{
    const char *t = arena_printf(c->a, "/stages/%s", jstr(in, "stageName"));
    if (!t) return ferr_oom(c->err), NULL;
    if (apigw_open(c, in, verb, t, doc) < 0) return NULL;
    json_t *s = json_object_get(json_object_get(*doc, "stages"), jstr(in, "stageName"));
    if (!s) apigw_not_found(c, "Invalid Stage identifier specified");
    return s;
}

int apigateway_op_get_stage(call *c, json_t *in, json_t **out)
{
    json_t *doc, *s = open_stage(c, in, "GET", &doc);
    if (!s) return -1;
    *out = render_stage(c, s);
    return 0;
}

int apigateway_op_get_stages(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (apigw_open(c, in, "GET", "/stages", &doc) < 0) return -1;
    json_t *items = json_array();
    if (!arena_defer_json(c->a, items)) return ferr_oom(c->err);
    const char *k, *dep = jstr(in, "deploymentId");
    json_t *s;
    json_object_foreach(json_object_get(doc, "stages"), k, s) {
        if (dep && strcmp(dep, jstr(s, "deploymentId"))) continue;
        if (json_array_append_new(items, render_stage(c, s))) c->oom = 1;
    }
    *out = svc_out(c, json_pack("{s:O}", "item", items));
    return 0;
}

int apigateway_op_update_stage(call *c, json_t *in, json_t **out)
{
    json_t *doc, *s = open_stage(c, in, "PATCH", &doc);
    if (!s) return -1;
    if (apigw_patch(c, s, json_object_get(in, "patchOperations"),
                    "/description /deploymentId /cacheClusterEnabled /cacheClusterSize "
                    "/tracingEnabled /clientCertificateId /variables/"))
        return -1;
    if (!json_object_get(json_object_get(doc, "deployments"), jstr(s, "deploymentId")))
        return apigw_bad(c, "Invalid deployment identifier specified");
    if (json_object_set_new(s, "lastUpdatedDate", json_real(clock_now()))) return ferr_oom(c->err);
    if (apigw_save(c, doc)) return -1;
    *out = render_stage(c, s);
    return 0;
}

int apigateway_op_delete_stage(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc, *s = open_stage(c, in, "DELETE", &doc);
    if (!s) return -1;
    json_object_del(json_object_get(doc, "stages"), jstr(in, "stageName"));
    return apigw_save(c, doc);
}
