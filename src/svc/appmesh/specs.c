/* The six resource types inside a mesh: what each spec must hold beyond the model's shapes
 * (one route kind, weights, prefixes, references to resources that exist), and what refers
 * to each (AWS refuses to delete a referenced resource with ResourceInUseException naming
 * the referrers: "VirtualService X is being referenced in the following: GATEWAY_ROUTE:
 * [gw/route]"). */
#include <string.h>

#include "appmesh_int.h"
#include "base/buf.h"

/* ---- references ------------------------------------------------------------------------ */

/* What a spec refers to, when it is of the given kind: the name it names (borrowed). */
typedef const char *(*ref_fn)(const json_t *data, const char *want);

typedef struct refs {
    call *c;
    ref_fn fn;
    const char *want;  /* the name looked for */
    const char *label; /* "ROUTE" */
    int with_parent;   /* list PARENT/NAME */
    const char *pkey, *nkey;
    buf names;
    int n;
} refs;

static int ref_one(void *ud, const json_t *doc)
{
    refs *r = ud;
    const json_t *data = json_object_get(doc, "data");
    if (!r->fn(data, r->want)) return 0;
    if (r->n++) buf_puts(&r->names, ", ");
    if (r->with_parent) buf_printf(&r->names, "%s/", jstr(data, r->pkey));
    buf_puts(&r->names, jstr(data, r->nkey) ? jstr(data, r->nkey) : "");
    return 0;
}

/* Adds to msg "LABEL: [a, b]" for each document of kind that refers to want. 0, or -1. */
static int collect(call *c, const am_mesh *m, const am_type *t, ref_fn fn, const char *want,
                   buf *msg, int *found)
{
    refs r = {c, fn, want, t->ref_label, t->parent_key != NULL, t->parent_key, t->name_key, {0}, 0};
    buf_init(&r.names, 8192);
    int rc = am_each(c, t->kind, m, NULL, ref_one, &r);
    if (!rc && r.n) {
        buf_printf(msg, "%s%s: [%s]", *found ? ", " : "", t->ref_label, buf_str(&r.names));
        *found = 1;
    }
    buf_dispose(&r.names);
    return rc;
}

static int refused(call *c, const char *label, const char *name, buf *msg)
{
    am_in_use(c, "%s %s is being referenced in the following: %s", label, name, buf_str(msg));
    buf_dispose(msg);
    return -1;
}

static const json_t *route_kind(const json_t *spec, const char **which)
{
    static const char *const kinds[] = {"httpRoute", "http2Route", "grpcRoute", "tcpRoute"};
    for (size_t i = 0; i < 4; i++)
        if (json_object_get(spec, kinds[i])) {
            if (which) *which = kinds[i];
            return json_object_get(spec, kinds[i]);
        }
    return NULL;
}

static const char *route_targets_node(const json_t *data, const char *want)
{
    const json_t *r = route_kind(json_object_get(data, "spec"), NULL), *t;
    size_t i;
    json_array_foreach(json_object_get(json_object_get(r, "action"), "weightedTargets"), i, t) {
        if (jstr(t, "virtualNode") && !strcmp(jstr(t, "virtualNode"), want)) return want;
    }
    return NULL;
}

static const char *service_provider(const json_t *data, const char *key, const char *name_key,
                                    const char *want)
{
    const char *p = jstr(
        json_object_get(json_object_get(json_object_get(data, "spec"), "provider"), key), name_key);
    return p && !strcmp(p, want) ? want : NULL;
}

static const char *service_uses_node(const json_t *data, const char *want)
{
    return service_provider(data, "virtualNode", "virtualNodeName", want);
}

static const char *service_uses_router(const json_t *data, const char *want)
{
    return service_provider(data, "virtualRouter", "virtualRouterName", want);
}

static const char *groute_targets(const json_t *data, const char *want)
{
    const json_t *spec = json_object_get(data, "spec");
    static const char *const kinds[] = {"httpRoute", "http2Route", "grpcRoute"};
    for (size_t i = 0; i < 3; i++) {
        const json_t *vs = json_object_get(
            json_object_get(json_object_get(json_object_get(spec, kinds[i]), "action"), "target"),
            "virtualService");
        const char *n = jstr(vs, "virtualServiceName");
        if (n && !strcmp(n, want)) return want;
    }
    return NULL;
}

static const char *any_in(const json_t *data, const char *want)
{
    (void)data;
    return want;
}

static int node_in_use(call *c, const am_mesh *m, const char *parent, const char *name)
{
    (void)parent;
    buf msg;
    buf_init(&msg, 16384);
    int found = 0;
    if (collect(c, m, &am_route, route_targets_node, name, &msg, &found) ||
        collect(c, m, &am_service, service_uses_node, name, &msg, &found)) {
        buf_dispose(&msg);
        return -1;
    }
    if (found) return refused(c, "VirtualNode", name, &msg);
    buf_dispose(&msg);
    return 0;
}

static int service_in_use(call *c, const am_mesh *m, const char *parent, const char *name)
{
    (void)parent;
    buf msg;
    buf_init(&msg, 16384);
    int found = 0;
    if (collect(c, m, &am_groute, groute_targets, name, &msg, &found)) {
        buf_dispose(&msg);
        return -1;
    }
    if (found) return refused(c, "VirtualService", name, &msg);
    buf_dispose(&msg);
    return 0;
}

/* A router's routes are listed under it; any one keeps it */
static int router_in_use(call *c, const am_mesh *m, const char *parent, const char *name)
{
    (void)parent;
    buf msg;
    buf_init(&msg, 16384);
    int found = 0;
    refs r = {c, any_in, name, "ROUTE", 0, NULL, "routeName", {0}, 0};
    buf_init(&r.names, 8192);
    int rc = am_each(c, APPMESH_KIND_ROUTE, m, name, ref_one, &r);
    if (!rc && r.n) {
        buf_printf(&msg, "ROUTE: [%s]", buf_str(&r.names));
        found = 1;
    }
    buf_dispose(&r.names);
    if (rc || collect(c, m, &am_service, service_uses_router, name, &msg, &found)) {
        buf_dispose(&msg);
        return -1;
    }
    if (found) return refused(c, "VirtualRouter", name, &msg);
    buf_dispose(&msg);
    return 0;
}

static int gateway_in_use(call *c, const am_mesh *m, const char *parent, const char *name)
{
    (void)parent;
    refs r = {c, any_in, name, "GATEWAY_ROUTE", 0, NULL, "gatewayRouteName", {0}, 0};
    buf_init(&r.names, 8192);
    int rc = am_each(c, APPMESH_KIND_GROUTE, m, name, ref_one, &r);
    if (!rc && r.n) {
        buf msg;
        buf_init(&msg, 16384);
        buf_printf(&msg, "GATEWAY_ROUTE: [%s]", buf_str(&r.names));
        buf_dispose(&r.names);
        return refused(c, "VirtualGateway", name, &msg);
    }
    buf_dispose(&r.names);
    return rc;
}

/* ---- spec checks ----------------------------------------------------------------------- */

static int must_exist(call *c, const am_type *t, const am_mesh *m, const char *name)
{
    json_t *doc;
    int rc = am_get(c, t, m, NULL, name, &doc);
    if (rc < 0) return -1;
    if (!rc)
        return am_not_found(c, "%s with name %s does not exist in mesh %s", t->label, name,
                            m->name);
    return 0;
}

static int node_check(call *c, const am_mesh *m, const char *parent, const json_t *spec)
{
    (void)m, (void)parent;
    const json_t *sd = json_object_get(spec, "serviceDiscovery");
    if (json_object_get(sd, "dns") && json_object_get(sd, "awsCloudMap"))
        return am_bad(c, "Only one of dns and awsCloudMap can be specified for serviceDiscovery");
    if (sd && !json_object_get(sd, "dns") && !json_object_get(sd, "awsCloudMap"))
        return am_bad(c, "serviceDiscovery must specify dns or awsCloudMap");
    size_t i;
    const json_t *l;
    json_array_foreach(json_object_get(spec, "listeners"), i, l) {
        const json_t *hc = json_object_get(l, "healthCheck");
        const char *proto = jstr(hc, "protocol");
        if (hc && proto && (!strcmp(proto, "http") || !strcmp(proto, "http2")) && !jstr(hc, "path"))
            return am_bad(c, "Health check path is required for the %s protocol", proto);
    }
    return 0;
}

static int service_check(call *c, const am_mesh *m, const char *parent, const json_t *spec)
{
    (void)parent;
    const json_t *p = json_object_get(spec, "provider");
    const char *node = jstr(json_object_get(p, "virtualNode"), "virtualNodeName"),
               *router = jstr(json_object_get(p, "virtualRouter"), "virtualRouterName");
    if (node && router)
        return am_bad(c, "Only one of virtualNode and virtualRouter can be the provider");
    if (node) return must_exist(c, &am_node, m, node);
    if (router) return must_exist(c, &am_router, m, router);
    return 0;
}

static int prefix_ok(call *c, const json_t *match)
{
    const char *prefix = jstr(match, "prefix");
    if (prefix && *prefix != '/') return am_bad(c, "Prefix must start with '/'");
    return 0;
}

static int route_check(call *c, const am_mesh *m, const char *parent, const json_t *spec)
{
    (void)parent;
    const char *which = NULL;
    const json_t *r = route_kind(spec, &which);
    int kinds = 0;
    static const char *const all[] = {"httpRoute", "http2Route", "grpcRoute", "tcpRoute"};
    for (size_t i = 0; i < 4; i++) kinds += json_object_get(spec, all[i]) != NULL;
    if (kinds != 1)
        return am_bad(c, "Exactly one of httpRoute, http2Route, grpcRoute or tcpRoute must be "
                         "specified");
    const json_t *targets = json_object_get(json_object_get(r, "action"), "weightedTargets"), *t;
    /* AWS: 1 to 10 targets, weights 0..100 each (the model), their sum above 0 */
    if (json_array_size(targets) < 1 || json_array_size(targets) > 10)
        return am_bad(c, "A route must have between 1 and 10 weighted targets");
    long long sum = 0;
    size_t i;
    json_array_foreach(targets, i, t) {
        long long w = jint(t, "weight", -1);
        if (w < 0 || w > 100) return am_bad(c, "Weight must be between 0 and 100");
        sum += w;
    }
    if (sum <= 0)
        return am_bad(c, "The sum of the weights of the weighted targets must be greater than 0");
    if (strcmp(which, "tcpRoute") && strcmp(which, "grpcRoute") &&
        prefix_ok(c, json_object_get(r, "match")))
        return -1;
    json_array_foreach(targets, i, t) {
        if (must_exist(c, &am_node, m, jstr(t, "virtualNode"))) return -1;
    }
    return 0;
}

static int groute_check(call *c, const am_mesh *m, const char *parent, const json_t *spec)
{
    (void)parent;
    static const char *const all[] = {"httpRoute", "http2Route", "grpcRoute"};
    const json_t *r = NULL;
    int kinds = 0;
    for (size_t i = 0; i < 3; i++)
        if (json_object_get(spec, all[i])) r = json_object_get(spec, all[i]), kinds++;
    if (kinds != 1)
        return am_bad(c, "Exactly one of httpRoute, http2Route or grpcRoute must be specified");
    const json_t *match = json_object_get(r, "match");
    if (prefix_ok(c, match)) return -1;
    const json_t *pre =
        json_object_get(json_object_get(json_object_get(r, "action"), "rewrite"), "prefix");
    const char *v = jstr(pre, "value");
    if (v && (*v != '/' || v[strlen(v) - 1] != '/'))
        return am_bad(c, "Rewrite prefix value must start and end with '/'");
    if (v && jstr(pre, "defaultPrefix"))
        return am_bad(c, "Only one of defaultPrefix and value can be specified");
    const char *vs = jstr(
        json_object_get(json_object_get(json_object_get(r, "action"), "target"), "virtualService"),
        "virtualServiceName");
    return vs ? must_exist(c, &am_service, m, vs) : 0;
}

const am_type am_node = {
    APPMESH_KIND_NODE, "virtualNode",  "virtualNodeName",           NULL,          NULL,
    "virtualNode",     "virtualNodes", "AWS::AppMesh::VirtualNode", "VirtualNode", "VIRTUAL_NODE",
    node_check,        node_in_use};
const am_type am_service = {APPMESH_KIND_SERVICE,
                            "virtualService",
                            "virtualServiceName",
                            NULL,
                            NULL,
                            "virtualService",
                            "virtualServices",
                            "AWS::AppMesh::VirtualService",
                            "VirtualService",
                            "VIRTUAL_SERVICE",
                            service_check,
                            service_in_use};
const am_type am_router = {APPMESH_KIND_ROUTER,
                           "virtualRouter",
                           "virtualRouterName",
                           NULL,
                           NULL,
                           "virtualRouter",
                           "virtualRouters",
                           "AWS::AppMesh::VirtualRouter",
                           "VirtualRouter",
                           "VIRTUAL_ROUTER",
                           NULL,
                           router_in_use};
const am_type am_route = {APPMESH_KIND_ROUTE,
                          "route",
                          "routeName",
                          "virtualRouterName",
                          APPMESH_KIND_ROUTER,
                          "route",
                          "routes",
                          "AWS::AppMesh::Route",
                          "Route",
                          "ROUTE",
                          route_check,
                          NULL};
const am_type am_gateway = {APPMESH_KIND_GATEWAY,
                            "virtualGateway",
                            "virtualGatewayName",
                            NULL,
                            NULL,
                            "virtualGateway",
                            "virtualGateways",
                            "AWS::AppMesh::VirtualGateway",
                            "VirtualGateway",
                            "VIRTUAL_GATEWAY",
                            NULL,
                            gateway_in_use};
const am_type am_groute = {
    APPMESH_KIND_GROUTE,  "gatewayRoute",  "gatewayRouteName", "virtualGatewayName",
    APPMESH_KIND_GATEWAY, "gatewayRoute",  "gatewayRoutes",    "AWS::AppMesh::GatewayRoute",
    "GatewayRoute",       "GATEWAY_ROUTE", groute_check,       NULL};
