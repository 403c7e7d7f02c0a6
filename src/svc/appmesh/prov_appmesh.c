/* AWS::AppMesh::Mesh, VirtualNode, VirtualService, VirtualRouter, Route, VirtualGateway and
 * GatewayRoute: one provider shape for all seven, as their API is one shape. Ref = the
 * resource's ARN; GetAtt Arn, Uid, MeshName, MeshOwner, ResourceOwner and the resource's own
 * names (VirtualNodeName, VirtualRouterName and RouteName, ...), as AWS documents them.
 * MeshOwner (a mesh shared through RAM) places a resource in another account's mesh. Spec
 * changes in place (Update*); a change of a name or of MeshOwner replaces the resource. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/jval.h"
#include "engine/stacks/prov_int.h"

typedef struct am_prov {
    const char *op;          /* "VirtualNode": Create/Update/Delete<op> */
    const char *key;         /* the API's output member: "virtualNode" */
    const char *name_prop;   /* "VirtualNodeName" (also its GetAtt) */
    const char *parent_prop; /* "VirtualRouterName", "VirtualGatewayName", NULL */
    const char *seg;         /* ARN segment "virtualNode" (NULL: the mesh) */
    const char *parent_seg;  /* "virtualRouter" */
    int name_max;
} am_prov;

static char *lower_first(const char *s)
{
    char *o = strdup(s);
    if (o && *o >= 'A' && *o <= 'Z') *o = (char)(*o - 'A' + 'a');
    return o;
}

/* CloudFormation's casing to the API's: first letter lowered, except the acronyms the
 * resource reference spells in capitals (DNS, AWSCloudMap, TLS, SDS, ACM, HTTP2, GRPC...). */
static json_t *member(const char *cfn_key, char *key, const json_t *v, int *skip, void *ud)
{
    (void)skip, (void)ud;
    /* numbers and booleans that parameters give as text, in the schema's type */
    static const char *const ints[] = {"Weight",
                                       "Port",
                                       "Priority",
                                       "HealthyThreshold",
                                       "UnhealthyThreshold",
                                       "TimeoutMillis",
                                       "IntervalMillis",
                                       "MaxRetries",
                                       "Value",
                                       "MaxConnections",
                                       "MaxPendingRequests",
                                       "MaxRequests",
                                       "MaxEjectionPercent",
                                       "MaxServerErrors",
                                       "Start",
                                       "End"};
    const char *text = json_string_value(v);
    if (text) {
        for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
            if (!strcmp(cfn_key, ints[i]) && *text && strspn(text, "0123456789-") == strlen(text)) {
                key[0] = (char)(cfn_key[0] - 'A' + 'a');
                snprintf(key + 1, PROV_KEY_MAX - 1, "%s", cfn_key + 1);
                return json_integer(atoll(text));
            }
        if ((!strcmp(cfn_key, "Invert") || !strcmp(cfn_key, "Enforce")) &&
            (!strcmp(text, "true") || !strcmp(text, "false"))) {
            key[0] = (char)(cfn_key[0] - 'A' + 'a');
            snprintf(key + 1, PROV_KEY_MAX - 1, "%s", cfn_key + 1);
            return json_boolean(!strcmp(text, "true"));
        }
    }
    if (!strcmp(cfn_key, "AWSCloudMap")) {
        snprintf(key, PROV_KEY_MAX, "awsCloudMap");
        return NULL;
    }
    size_t n = strlen(cfn_key);
    if (n && n < PROV_KEY_MAX && strspn(cfn_key, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == n) {
        for (size_t i = 0; i <= n; i++)
            key[i] = cfn_key[i] >= 'A' && cfn_key[i] <= 'Z' ? (char)(cfn_key[i] - 'A' + 'a')
                                                            : cfn_key[i];
    }
    return NULL;
}

static const char *owner_of(cfn_pctx *p, const json_t *pr)
{
    return jstr(pr, "MeshOwner") ? jstr(pr, "MeshOwner") : p->account;
}

/* The API input naming the resource: meshName, meshOwner, the parent's and its own name. */
static json_t *names_in(cfn_pctx *p, const am_prov *a, const json_t *pr, const char *name)
{
    json_t *in = json_pack("{s:s}", "meshName", a->seg ? jstr(pr, "MeshName") : name);
    if (!in) return NULL;
    char *nk = a->seg ? lower_first(a->name_prop) : NULL,
         *pk = a->parent_prop ? lower_first(a->parent_prop) : NULL;
    int bad = (a->seg && (!nk || jset_str(in, nk, name))) ||
              (a->parent_prop && (!pk || jset_str(in, pk, jstr(pr, a->parent_prop)))) ||
              (a->seg && jstr(pr, "MeshOwner") && strcmp(jstr(pr, "MeshOwner"), p->account) &&
               jset_str(in, "meshOwner", jstr(pr, "MeshOwner")));
    free(nk);
    free(pk);
    if (bad) {
        json_decref(in);
        return NULL;
    }
    return in;
}

static const char *op_of(char *buf, size_t n, const char *verb, const am_prov *a)
{
    snprintf(buf, n, "%s%s", verb, a->op);
    return buf;
}

static int attrs_of(const am_prov *a, const json_t *data, json_t **attrs)
{
    const json_t *md = json_object_get(data, "metadata");
    *attrs = json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?}", "Arn", json_object_get(md, "arn"), "Uid",
                       json_object_get(md, "uid"), "MeshName", json_object_get(data, "meshName"),
                       "MeshOwner", json_object_get(md, "meshOwner"), "ResourceOwner",
                       json_object_get(md, "resourceOwner"));
    if (!*attrs) return -1;
    const char *props[] = {a->seg ? a->name_prop : NULL, a->parent_prop};
    for (size_t i = 0; i < 2; i++) {
        if (!props[i]) continue;
        char *k = lower_first(props[i]);
        int bad = !k || json_object_set(*attrs, props[i], json_object_get(data, k));
        free(k);
        if (bad) return -1;
    }
    return 0;
}

static int am_del(const am_prov *a, cfn_pctx *p, const char *id, const json_t *props)
{
    /* the name is in props; else the ARN's last part (an intent before the create) */
    const char *name = jstr(props, a->name_prop);
    const char *last = strrchr(id, '/');
    if (!name) name = last ? last + 1 : id;
    char op[64];
    return prov_call_gone_ok(p, NULL, "appmesh", op_of(op, sizeof(op), "Delete", a),
                             names_in(p, a, props, name));
}

static int am_create(const am_prov *a, cfn_pctx *p, const json_t *props, json_t **result)
{
    const char *given = jstr(props, a->name_prop);
    char *name = given ? strdup(given) : cfn_physical_name(p, a->name_max, 0);
    if (!name) return ferr_oom(p->e);
    if ((a->seg && !jstr(props, "MeshName")) || (a->parent_prop && !jstr(props, a->parent_prop)) ||
        !json_object_get(props, "Spec")) {
        free(name);
        return prov_invalid(p, "#: required key [%s] not found",
                            a->seg && !jstr(props, "MeshName")               ? "MeshName"
                            : a->parent_prop && !jstr(props, a->parent_prop) ? a->parent_prop
                                                                             : "Spec");
    }
    json_t *in = names_in(p, a, props, name);
    json_t *spec = prov_camel(json_object_get(props, "Spec"), member, NULL);
    json_t *tags = json_object_get(props, "Tags")
                       ? prov_camel(json_object_get(props, "Tags"), NULL, NULL)
                       : NULL;
    const char *owner = owner_of(p, props);
    char arn[2048];
    const char *mesh = a->seg ? jstr(props, "MeshName") : name;
    int n = snprintf(arn, sizeof(arn), "arn:%s:appmesh:%s:%s:mesh/%s", arn_partition(p->region),
                     p->region, owner, mesh);
    if (a->parent_prop)
        n += snprintf(arn + n, sizeof(arn) - (size_t)n, "/%s/%s", a->parent_seg,
                      jstr(props, a->parent_prop));
    if (a->seg) snprintf(arn + n, sizeof(arn) - (size_t)n, "/%s/%s", a->seg, name);
    int rc = !in || !spec || json_object_set_new(in, "spec", spec) ||
                     (tags && json_object_set_new(in, "tags", tags))
                 ? ferr_oom(p->e)
                 : 0;
    spec = tags = NULL;
    if (!rc) rc = cfn_intent(p, arn);
    json_t *out = NULL;
    char op[64];
    if (!rc)
        rc = prov_call(p, "appmesh", op_of(op, sizeof(op), "Create", a), in, &out);
    else
        json_decref(in);
    json_t *attrs = NULL;
    if (!rc && attrs_of(a, json_object_get(out, a->key), &attrs)) rc = ferr_oom(p->e);
    json_decref(out);
    free(name);
    if (rc) {
        json_decref(attrs);
        return -1;
    }
    return prov_result(p, arn, attrs, result);
}

static int am_update(const am_prov *a, cfn_pctx *p, const char *id, const json_t *new_props,
                     json_t **result)
{
    const char *last = strrchr(id, '/');
    const char *name = jstr(new_props, a->name_prop) ? jstr(new_props, a->name_prop)
                       : last                        ? last + 1
                                                     : id;
    json_t *in = names_in(p, a, new_props, name);
    json_t *spec = prov_camel(json_object_get(new_props, "Spec"), member, NULL);
    if (!in || !spec || json_object_set_new(in, "spec", spec)) {
        json_decref(in);
        return ferr_oom(p->e);
    }
    json_t *out = NULL;
    char op[64];
    if (prov_call(p, "appmesh", op_of(op, sizeof(op), "Update", a), in, &out)) return -1;
    json_t *attrs = NULL;
    int rc = attrs_of(a, json_object_get(out, a->key), &attrs);
    json_decref(out);
    if (rc) {
        json_decref(attrs);
        return ferr_oom(p->e);
    }
    return prov_result(p, id, attrs, result);
}

static const am_prov provs[] = {
    {"Mesh", "mesh", "MeshName", NULL, NULL, NULL, 255},
    {"VirtualNode", "virtualNode", "VirtualNodeName", NULL, "virtualNode", NULL, 255},
    {"VirtualService", "virtualService", "VirtualServiceName", NULL, "virtualService", NULL, 255},
    {"VirtualRouter", "virtualRouter", "VirtualRouterName", NULL, "virtualRouter", NULL, 255},
    {"Route", "route", "RouteName", "VirtualRouterName", "route", "virtualRouter", 255},
    {"VirtualGateway", "virtualGateway", "VirtualGatewayName", NULL, "virtualGateway", NULL, 255},
    {"GatewayRoute", "gatewayRoute", "GatewayRouteName", "VirtualGatewayName", "gatewayRoute",
     "virtualGateway", 255},
};

static const char *const replace_mesh[] = {"MeshName", NULL};
static const char *const replace_node[] = {"MeshName", "MeshOwner", "VirtualNodeName", NULL};
static const char *const replace_service[] = {"MeshName", "MeshOwner", "VirtualServiceName", NULL};
static const char *const replace_router[] = {"MeshName", "MeshOwner", "VirtualRouterName", NULL};
static const char *const replace_route[] = {"MeshName", "MeshOwner", "VirtualRouterName",
                                            "RouteName", NULL};
static const char *const replace_gateway[] = {"MeshName", "MeshOwner", "VirtualGatewayName", NULL};
static const char *const replace_groute[] = {"MeshName", "MeshOwner", "VirtualGatewayName",
                                             "GatewayRouteName", NULL};

#define AM_PROVIDER(var, idx, cfn_type, replace) \
    static int var##_create(cfn_pctx *p, const json_t *props, json_t **result) \
    { \
        return am_create(&provs[idx], p, props, result); \
    } \
    static int var##_update(cfn_pctx *p, const char *id, const json_t *op, const json_t *np, \
                            json_t **result) \
    { \
        (void)op; \
        return am_update(&provs[idx], p, id, np, result); \
    } \
    static int var##_del(cfn_pctx *p, const char *id, const json_t *props) \
    { \
        return am_del(&provs[idx], p, id, props); \
    } \
    const cfn_provider var = { \
        .type = cfn_type, \
        .create = var##_create, \
        .update = var##_update, \
        .del = var##_del, \
        .replace_on = replace, \
        .name_property = NULL, \
    };

AM_PROVIDER(cfn_provider_appmesh_mesh, 0, "AWS::AppMesh::Mesh", replace_mesh)
AM_PROVIDER(cfn_provider_appmesh_virtual_node, 1, "AWS::AppMesh::VirtualNode", replace_node)
AM_PROVIDER(cfn_provider_appmesh_virtual_service, 2, "AWS::AppMesh::VirtualService",
            replace_service)
AM_PROVIDER(cfn_provider_appmesh_virtual_router, 3, "AWS::AppMesh::VirtualRouter", replace_router)
AM_PROVIDER(cfn_provider_appmesh_route, 4, "AWS::AppMesh::Route", replace_route)
AM_PROVIDER(cfn_provider_appmesh_virtual_gateway, 5, "AWS::AppMesh::VirtualGateway",
            replace_gateway)
AM_PROVIDER(cfn_provider_appmesh_gateway_route, 6, "AWS::AppMesh::GatewayRoute", replace_groute)
