/* AWS App Mesh (rest-json): meshes, and one implementation of create, describe, update,
 * delete and list for the six resource types inside a mesh (described in appmesh_int.h).
 *
 * Shared meshes (AWS "Working with shared meshes"): a mesh the owner shared through RAM is
 * reached by a participant with meshOwner=OWNER. The participant can describe and list what
 * is in it and create virtual nodes, services, routers, routes, gateways and gateway routes
 * there, which it then owns (metadata.resourceOwner) and alone can update or delete; the
 * mesh itself stays the owner's. Every resource of a mesh is stored under the owner's
 * account (documents.h), so the data plane sees the mesh whole. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jtags.h"
#include "appmesh_int.h"
#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "engine/mesh.h"
#include "svc/ram/ram.h"

static int serve_mesh(ferry_env *env, arena *a, const svc_request *r, proto_response *resp);

/* GET /_ferry/mesh: where the data plane listens (engine/mesh.c) */
static const svc_route routes[] = {
    {"GET", NULL, "/_ferry/mesh", serve_mesh},
};

/* every committed change reaches the proxy at once (the engine also polls) */
static void written(void)
{
    mesh_engine_kick();
}

const svc_def svc_appmesh = {.name = "appmesh",
                             .event_source = "appmesh.amazonaws.com",
                             .written = written,
                             .routes = routes,
                             .nroutes = sizeof(routes) / sizeof(routes[0])};

static int serve_mesh(ferry_env *env, arena *a, const svc_request *r, proto_response *resp)
{
    return mesh_engine_serve(env, a, r, resp);
}

int am_fail(call *c, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ferr_vset(c->err, status, code, "", fmt, ap);
    va_end(ap);
    return -1;
}

static int forbidden(call *c, const char *what, const char *name)
{
    return ferr_set(c->err, 403, "ForbiddenException",
                    "Account %s does not own %s '%s': only its owner can change or delete it",
                    c->account, what, name);
}

/* ---- meshes and their resources: keys, ARNs ------------------------------------------- */

static store_key mesh_key(call *c, const char *owner, const char *kind, const char *id)
{
    store_key k = {kind, owner, c->region, id};
    return k;
}

const char *am_id(call *c, const am_mesh *m, const char *parent, const char *name)
{
    return parent ? arena_printf(c->a, "%s/%s/%s", m->name, parent, name)
                  : arena_printf(c->a, "%s/%s", m->name, name);
}

static const char *mesh_arn(call *c, const char *owner, const char *name)
{
    return arena_printf(c->a, "arn:%s:appmesh:%s:%s:mesh/%s", arn_partition(c->region), c->region,
                        owner, name);
}

static const char *res_arn(call *c, const am_type *t, const am_mesh *m, const char *parent,
                           const char *name)
{
    if (!parent) return arena_printf(c->a, "%s/%s/%s", m->arn, t->seg, name);
    const am_type *pt = t == &am_route ? &am_router : &am_gateway;
    return arena_printf(c->a, "%s/%s/%s/%s/%s", m->arn, pt->seg, parent, t->seg, name);
}

int am_get(call *c, const am_type *t, const am_mesh *m, const char *parent, const char *name,
           json_t **doc)
{
    const char *id = am_id(c, m, parent, name);
    if (!id) return ferr_oom(c->err);
    store_key k = mesh_key(c, m->owner, t->kind, id);
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc == 1 && !arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    return rc;
}

typedef struct each_ctx {
    am_each_fn fn;
    void *ud;
} each_ctx;

static int each_one(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    each_ctx *x = ud;
    return x->fn(x->ud, doc);
}

int am_each(call *c, const char *kind, const am_mesh *m, const char *parent, am_each_fn fn,
            void *ud)
{
    const char *prefix =
        parent ? arena_printf(c->a, "%s/%s/", m->name, parent) : arena_printf(c->a, "%s/", m->name);
    if (!prefix) return ferr_oom(c->err);
    each_ctx x = {fn, ud};
    return store_list(c->txn, kind, m->owner, c->region, prefix, NULL, 0, each_one, &x, c->err) < 0
               ? -1
               : 0;
}

/* The mesh named in in (meshName, meshOwner), authorized for action on resource_arn (NULL:
 * the mesh). A participant reaches a mesh shared with it; a mesh that is not its own and
 * not shared with it is not found, as AWS answers. *doc: the mesh's document (arena). */
static int open_mesh(call *c, const json_t *in, am_mesh *m, json_t **doc)
{
    memset(m, 0, sizeof(*m));
    m->name = jstr(in, "meshName");
    m->owner = jstr(in, "meshOwner") ? jstr(in, "meshOwner") : c->account;
    m->arn = mesh_arn(c, m->owner, m->name);
    if (!m->arn) return ferr_oom(c->err);
    store_key k = mesh_key(c, m->owner, APPMESH_KIND_MESH, m->name);
    json_t *d = NULL;
    int rc = store_get(c->txn, &k, &d, c->err);
    if (rc < 0) return -1;
    if (rc && !arena_defer_json(c->a, d)) return ferr_oom(c->err);
    if (rc && strcmp(m->owner, c->account)) {
        int s = ram_shared_with(c->txn, m->arn, c->account, c->err);
        if (s < 0) return -1;
        if (!s) rc = 0;
        m->shared = 1;
    }
    if (!rc) return am_not_found(c, "Mesh with name %s does not exist", m->name);
    if (doc) *doc = d;
    return 0;
}

/* Authorizes action on arn: a participant's calls on a shared mesh are its own account's
 * business (RAM granted them), the owner's resource policy is not asked. */
static int authorize(call *c, const am_mesh *m, const char *op, const char *arn)
{
    const char *action = arena_printf(c->a, "appmesh:%s", op);
    if (!action) return ferr_oom(c->err);
    authz_req r = {.action = action,
                   .resource = arn,
                   .resource_account = m && m->shared ? c->account : NULL};
    return call_authorize_ex(c, &r);
}

static json_t *metadata(const char *arn, const char *mesh_owner, const char *owner)
{
    char uid[37];
    ids_uuid(uid);
    double now = clock_now();
    return json_pack("{s:s, s:f, s:f, s:s, s:s, s:s, s:i}", "arn", arn, "createdAt", now,
                     "lastUpdatedAt", now, "meshOwner", mesh_owner, "resourceOwner", owner, "uid",
                     uid, "version", 1);
}

/* tags [{key, value}] as given (the model checks their sizes) */
static int tags_ok(call *c, const json_t *tags)
{
    if (json_array_size(tags) > 50)
        return ferr_set(c->err, 400, "TooManyTagsException",
                        "The request exceeds the maximum allowed number of tags (50)");
    return 0;
}

static int reply(call *c, const char *key, const json_t *data, json_t **out)
{
    *out = svc_out(c, json_pack("{s:O}", key, data));
    return 0;
}

/* A new resource's document: its data (stolen), the request's tags and clientToken. In the
 * arena; NULL out of memory. */
static json_t *new_doc(call *c, json_t *data, const json_t *in)
{
    const json_t *tags = json_object_get(in, "tags");
    json_t *doc = data ? json_pack("{s:o, s:o}", "data", data, "tags",
                                   tags ? json_incref((json_t *)tags) : json_array())
                       : NULL;
    if (!doc || !arena_defer_json(c->a, doc) ||
        (jstr(in, "clientToken") && jset_str(doc, "clientToken", jstr(in, "clientToken"))))
        return NULL;
    return doc;
}

/* ---- meshes ----------------------------------------------------------------------------- */

int appmesh_op_create_mesh(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "meshName");
    const char *arn = mesh_arn(c, c->account, name);
    if (!arn) return ferr_oom(c->err);
    if (authorize(c, NULL, "CreateMesh", arn) || tags_ok(c, json_object_get(in, "tags"))) return -1;
    store_key k = mesh_key(c, c->account, APPMESH_KIND_MESH, name);
    json_t *old = NULL;
    int rc = store_get(c->txn, &k, &old, c->err);
    if (rc < 0) return -1;
    if (rc) {
        arena_defer_json(c->a, old);
        /* AWS: the same clientToken again is the same request */
        const char *tok = jstr(in, "clientToken");
        if (tok && jstr(old, "clientToken") && !strcmp(tok, jstr(old, "clientToken")))
            return reply(c, "mesh", json_object_get(old, "data"), out);
        return am_fail(c, 409, "ConflictException", "Mesh with name %s already exists", name);
    }
    json_t *spec = json_object_get(in, "spec");
    json_t *data = json_pack("{s:s, s:o, s:o, s:{s:s}}", "meshName", name, "spec",
                             spec ? json_incref(spec) : json_object(), "metadata",
                             metadata(arn, c->account, c->account), "status", "status", "ACTIVE");
    json_t *doc = new_doc(c, data, in);
    if (!doc) return ferr_oom(c->err);
    if (store_put(c->txn, &k, doc, c->err)) return -1;
    call_resource(c, "AWS::AppMesh::Mesh", name);
    return reply(c, "mesh", data, out);
}

int appmesh_op_describe_mesh(call *c, json_t *in, json_t **out)
{
    am_mesh m;
    json_t *doc;
    if (open_mesh(c, in, &m, &doc) || authorize(c, &m, "DescribeMesh", m.arn)) return -1;
    return reply(c, "mesh", json_object_get(doc, "data"), out);
}

int appmesh_op_update_mesh(call *c, json_t *in, json_t **out)
{
    am_mesh m;
    json_t *doc;
    if (open_mesh(c, in, &m, &doc) || authorize(c, &m, "UpdateMesh", m.arn)) return -1;
    json_t *data = json_object_get(doc, "data"), *md = json_object_get(data, "metadata");
    json_t *spec = json_object_get(in, "spec");
    if (json_object_set(data, "spec", spec ? spec : json_object_get(data, "spec")) ||
        json_object_set_new(md, "version", json_integer(jint(md, "version", 1) + 1)) ||
        json_object_set_new(md, "lastUpdatedAt", json_real(clock_now())))
        return ferr_oom(c->err);
    store_key k = mesh_key(c, c->account, APPMESH_KIND_MESH, m.name);
    if (store_put(c->txn, &k, doc, c->err)) return -1;
    call_resource(c, "AWS::AppMesh::Mesh", m.name);
    return reply(c, "mesh", data, out);
}

static int any_doc(void *ud, const json_t *doc)
{
    (void)doc;
    *(int *)ud = 1;
    return 1;
}

int appmesh_op_delete_mesh(call *c, json_t *in, json_t **out)
{
    am_mesh m;
    json_t *doc;
    if (open_mesh(c, in, &m, &doc) || authorize(c, &m, "DeleteMesh", m.arn)) return -1;
    /* AWS: a mesh goes only once everything in it is gone */
    static const char *const kinds[] = {APPMESH_KIND_SERVICE, APPMESH_KIND_NODE,
                                        APPMESH_KIND_ROUTER, APPMESH_KIND_GATEWAY};
    static const char *const labels[] = {"virtual services", "virtual nodes", "virtual routers",
                                         "virtual gateways"};
    for (size_t i = 0; i < 4; i++) {
        int any = 0;
        if (am_each(c, kinds[i], &m, NULL, any_doc, &any)) return -1;
        if (any)
            return am_in_use(c, "Mesh %s has active %s. Delete them before deleting the mesh.",
                             m.name, labels[i]);
    }
    store_key k = mesh_key(c, c->account, APPMESH_KIND_MESH, m.name);
    if (store_del(c->txn, &k, c->err) < 0) return -1;
    json_t *data = json_object_get(doc, "data");
    if (json_object_set_new(json_object_get(data, "status"), "status", json_string("DELETED")))
        return ferr_oom(c->err);
    call_resource(c, "AWS::AppMesh::Mesh", m.name);
    return reply(c, "mesh", data, out);
}

/* A Ref of a list: the data's names and metadata, flat. */
static json_t *ref_of(const am_type *t, const json_t *data)
{
    json_t *ref = json_deep_copy(json_object_get(data, "metadata"));
    if (!ref) return NULL;
    json_object_del(ref, "uid");
    const char *keys[] = {"meshName", t ? t->parent_key : NULL, t ? t->name_key : NULL};
    for (size_t i = 0; i < 3; i++)
        if (keys[i] && json_object_set(ref, keys[i], json_object_get(data, keys[i]))) {
            json_decref(ref);
            return NULL;
        }
    return ref;
}

typedef struct lister {
    call *c;
    const am_type *t;
    json_t *items;
} lister;

static int list_one(void *ud, const json_t *doc)
{
    lister *l = ud;
    json_t *ref = ref_of(l->t, json_object_get(doc, "data"));
    if (!ref || json_array_append_new(l->items, ref)) l->c->oom = 1;
    return 0;
}

static int list_mesh_doc(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    return list_one(ud, doc);
}

/* a mesh shared with the caller, listed beside its own (AWS lists both) */
static int list_shared(void *ud, const char *arn)
{
    lister *l = ud;
    call *c = l->c;
    char owner[13], region[64];
    const char *slash = strstr(arn, ":mesh/");
    if (!slash || strchr(slash + 6, '/') ||
        sscanf(arn, "arn:%*[^:]:appmesh:%63[^:]:%12[^:]:", region, owner) != 2 ||
        strcmp(region, c->region))
        return 0;
    store_key k = mesh_key(c, owner, APPMESH_KIND_MESH, slash + 6);
    json_t *doc = NULL;
    int rc = store_get(c->txn, &k, &doc, c->err);
    if (rc < 0) return -1;
    if (rc) list_one(l, doc);
    json_decref(doc);
    return 0;
}

static int page(call *c, json_t *in, json_t *items, const char *key, json_t **out)
{
    json_t *o = json_object();
    if (!o || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    long long limit = jint(in, "limit", 0);
    if (svc_page(c, items, jstr(in, "nextToken"), limit, o, key, "nextToken",
                 "BadRequestException"))
        return -1;
    *out = json_incref(o);
    return 0;
}

int appmesh_op_list_meshes(call *c, json_t *in, json_t **out)
{
    if (authorize(c, NULL, "ListMeshes", "*")) return -1;
    lister l = {c, NULL, json_array()};
    if (!l.items || !arena_defer_json(c->a, l.items)) return ferr_oom(c->err);
    if (store_list(c->txn, APPMESH_KIND_MESH, c->account, c->region, NULL, NULL, 0, list_mesh_doc,
                   &l, c->err) < 0 ||
        ram_each_shared(c->txn, c->account, "appmesh:Mesh", list_shared, &l, c->err))
        return -1;
    return page(c, in, l.items, "meshes", out);
}

/* ---- the resources inside a mesh --------------------------------------------------------- */

static const char *op_name(call *c, const char *verb, const am_type *t)
{
    return arena_printf(c->a, "%s%c%s", verb, t->key[0] - 'a' + 'A', t->key + 1);
}

/* Opens the mesh, checks the parent (router, gateway) exists, authorizes verb on the
 * resource, and reads it: 1 found (*doc), 0 not (NotFoundException set unless creating). */
static int open_res(call *c, const am_type *t, const json_t *in, const char *verb, am_mesh *m,
                    const char **parent, const char **name, const char **arn, json_t **doc)
{
    if (open_mesh(c, in, m, NULL)) return -1;
    *parent = t->parent_key ? jstr(in, t->parent_key) : NULL;
    *name = jstr(in, t->name_key);
    *arn = res_arn(c, t, m, *parent, *name);
    const char *op = op_name(c, verb, t);
    if (!*arn || !op) return ferr_oom(c->err);
    if (authorize(c, m, op, *arn)) return -1;
    if (*parent) {
        const am_type *pt = t == &am_route ? &am_router : &am_gateway;
        json_t *pd;
        int rc = am_get(c, pt, m, NULL, *parent, &pd);
        if (rc < 0) return -1;
        if (!rc)
            return am_not_found(c, "%s with name %s does not exist in mesh %s", pt->label, *parent,
                                m->name);
    }
    int rc = am_get(c, t, m, *parent, *name, doc);
    if (rc == 0 && strcmp(verb, "Create"))
        return am_not_found(c, "%s with name %s does not exist in mesh %s", t->label, *name,
                            m->name);
    call_resource(c, t->cfn, *name);
    return rc;
}

static int owns(call *c, const json_t *data)
{
    const char *owner = jstr(json_object_get(data, "metadata"), "resourceOwner");
    return owner && !strcmp(owner, c->account);
}

/* Writes doc (or deletes it, doc NULL) as t's name under parent in m. 0, or -1. */
static int res_save(call *c, const am_type *t, const am_mesh *m, const char *parent,
                    const char *name, const json_t *doc)
{
    store_key k = mesh_key(c, m->owner, t->kind, am_id(c, m, parent, name));
    if (!k.id) return ferr_oom(c->err);
    if (doc) return store_put(c->txn, &k, doc, c->err);
    return store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
}

static int res_create(call *c, const am_type *t, json_t *in, json_t **out)
{
    am_mesh m;
    const char *parent, *name, *arn;
    json_t *old;
    int rc = open_res(c, t, in, "Create", &m, &parent, &name, &arn, &old);
    if (rc < 0) return -1;
    if (rc) {
        const char *tok = jstr(in, "clientToken");
        if (tok && jstr(old, "clientToken") && !strcmp(tok, jstr(old, "clientToken")))
            return reply(c, t->key, json_object_get(old, "data"), out);
        return am_fail(c, 409, "ConflictException", "%s with name %s already exists in mesh %s",
                       t->label, name, m.name);
    }
    json_t *spec = json_object_get(in, "spec");
    if (tags_ok(c, json_object_get(in, "tags")) || (t->check && t->check(c, &m, parent, spec)))
        return -1;
    json_t *data = json_pack("{s:s, s:s, s:O, s:o, s:{s:s}}", "meshName", m.name, t->name_key, name,
                             "spec", spec, "metadata", metadata(arn, m.owner, c->account), "status",
                             "status", "ACTIVE");
    if (data && parent && jset_str(data, t->parent_key, parent)) {
        json_decref(data);
        data = NULL;
    }
    json_t *doc = new_doc(c, data, in);
    if (!doc) return ferr_oom(c->err);
    if (res_save(c, t, &m, parent, name, doc)) return -1;
    return reply(c, t->key, data, out);
}

/* Describe, Update and Delete of t's resource: verb says which. */
static int res_change(call *c, const am_type *t, json_t *in, json_t **out, const char *verb)
{
    am_mesh m;
    const char *parent, *name, *arn;
    json_t *doc;
    if (open_res(c, t, in, verb, &m, &parent, &name, &arn, &doc) < 0) return -1;
    json_t *data = json_object_get(doc, "data"), *md = json_object_get(data, "metadata");
    if (!strcmp(verb, "Describe")) return reply(c, t->key, data, out);
    if (!owns(c, data)) return forbidden(c, t->label, name);
    if (!strcmp(verb, "Delete")) {
        if ((t->in_use && t->in_use(c, &m, parent, name)) || res_save(c, t, &m, parent, name, NULL))
            return -1;
        if (json_object_set_new(json_object_get(data, "status"), "status", json_string("DELETED")))
            return ferr_oom(c->err);
        return reply(c, t->key, data, out);
    }
    json_t *spec = json_object_get(in, "spec");
    if (t->check && t->check(c, &m, parent, spec)) return -1;
    if (json_object_set(data, "spec", spec) ||
        json_object_set_new(md, "version", json_integer(jint(md, "version", 1) + 1)) ||
        json_object_set_new(md, "lastUpdatedAt", json_real(clock_now())))
        return ferr_oom(c->err);
    if (res_save(c, t, &m, parent, name, doc)) return -1;
    return reply(c, t->key, data, out);
}

static int res_list(call *c, const am_type *t, json_t *in, json_t **out)
{
    am_mesh m;
    if (open_mesh(c, in, &m, NULL)) return -1;
    const char *parent = t->parent_key ? jstr(in, t->parent_key) : NULL;
    const char *op = op_name(c, "List", t);
    if (!op) return ferr_oom(c->err);
    /* List* names the plural: ListVirtualNodes */
    op = arena_printf(c->a, "%ss", op);
    if (!op || authorize(c, &m, op, m.arn)) return -1;
    if (parent) {
        const am_type *pt = t == &am_route ? &am_router : &am_gateway;
        json_t *pd;
        int rc = am_get(c, pt, &m, NULL, parent, &pd);
        if (rc < 0) return -1;
        if (!rc)
            return am_not_found(c, "%s with name %s does not exist in mesh %s", pt->label, parent,
                                m.name);
    }
    lister l = {c, t, json_array()};
    if (!l.items || !arena_defer_json(c->a, l.items)) return ferr_oom(c->err);
    if (am_each(c, t->kind, &m, parent, list_one, &l)) return -1;
    return page(c, in, l.items, t->list_key, out);
}

#define RESOURCE_OPS(T, snake, plural) \
    int appmesh_op_create_##snake(call *c, json_t *in, json_t **out) \
    { \
        return res_create(c, &T, in, out); \
    } \
    int appmesh_op_describe_##snake(call *c, json_t *in, json_t **out) \
    { \
        return res_change(c, &T, in, out, "Describe"); \
    } \
    int appmesh_op_update_##snake(call *c, json_t *in, json_t **out) \
    { \
        return res_change(c, &T, in, out, "Update"); \
    } \
    int appmesh_op_delete_##snake(call *c, json_t *in, json_t **out) \
    { \
        return res_change(c, &T, in, out, "Delete"); \
    } \
    int appmesh_op_list_##plural(call *c, json_t *in, json_t **out) \
    { \
        return res_list(c, &T, in, out); \
    }

RESOURCE_OPS(am_node, virtual_node, virtual_nodes)
RESOURCE_OPS(am_service, virtual_service, virtual_services)
RESOURCE_OPS(am_router, virtual_router, virtual_routers)
RESOURCE_OPS(am_route, route, routes)
RESOURCE_OPS(am_gateway, virtual_gateway, virtual_gateways)
RESOURCE_OPS(am_groute, gateway_route, gateway_routes)

/* ---- tags, by ARN ------------------------------------------------------------------------ */

/* The document an ARN names: arn:P:appmesh:REGION:OWNER:mesh/M[/SEG/N[/SEG/N]]. */
static int by_arn(call *c, const char *arn, const char *op, store_key *k, json_t **doc)
{
    char region[64], owner[13];
    const char *res = arn ? strstr(arn, ":mesh/") : NULL;
    if (!res || sscanf(arn, "arn:%*[^:]:appmesh:%63[^:]:%12[^:]:", region, owner) != 2 ||
        strcmp(region, c->region))
        return am_bad(c, "Invalid resource ARN %s", arn ? arn : "");
    res += 6;
    char *parts[6] = {0};
    char *copy = arena_strdup(c->a, res), *sv = NULL;
    if (!copy) return ferr_oom(c->err);
    size_t n = 0;
    for (char *p = strtok_r(copy, "/", &sv); p && n < 6; p = strtok_r(NULL, "/", &sv))
        parts[n++] = p;
    const char *kind = NULL, *id = NULL;
    if (n == 1)
        kind = APPMESH_KIND_MESH, id = parts[0];
    else if (n == 3 || n == 5) {
        static const struct {
            const char *seg, *sub, *kind;
        } map[] = {{"virtualNode", NULL, APPMESH_KIND_NODE},
                   {"virtualService", NULL, APPMESH_KIND_SERVICE},
                   {"virtualRouter", NULL, APPMESH_KIND_ROUTER},
                   {"virtualGateway", NULL, APPMESH_KIND_GATEWAY},
                   {"virtualRouter", "route", APPMESH_KIND_ROUTE},
                   {"virtualGateway", "gatewayRoute", APPMESH_KIND_GROUTE}};
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
            if (!strcmp(parts[1], map[i].seg) &&
                (n == 3 ? !map[i].sub : map[i].sub && !strcmp(parts[3], map[i].sub)))
                kind = map[i].kind;
        id = n == 3 ? arena_printf(c->a, "%s/%s", parts[0], parts[2])
                    : arena_printf(c->a, "%s/%s/%s", parts[0], parts[2], parts[4]);
    }
    if (!kind) return am_bad(c, "Invalid resource ARN %s", arn);
    if (!id) return ferr_oom(c->err);
    am_mesh m = {.name = parts[0], .owner = arena_strdup(c->a, owner), .arn = arn};
    if (!m.owner) return ferr_oom(c->err);
    if (strcmp(owner, c->account)) {
        int s = ram_shared_with(c->txn, mesh_arn(c, owner, parts[0]), c->account, c->err);
        if (s < 0) return -1;
        if (!s) return am_not_found(c, "Resource %s not found", arn);
        m.shared = 1;
    }
    if (authorize(c, &m, op, arn)) return -1;
    *k = mesh_key(c, m.owner, kind, id);
    int rc = store_get(c->txn, k, doc, c->err);
    if (rc < 0) return -1;
    if (!rc) return am_not_found(c, "Resource %s not found", arn);
    if (!arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    return 0;
}

int appmesh_op_list_tags_for_resource(call *c, json_t *in, json_t **out)
{
    store_key k;
    json_t *doc;
    if (by_arn(c, jstr(in, "resourceArn"), "ListTagsForResource", &k, &doc)) return -1;
    json_t *tags = json_object_get(doc, "tags");
    if (!tags)
        tags = json_array();
    else
        json_incref(tags);
    if (!tags || !arena_defer_json(c->a, tags)) return ferr_oom(c->err);
    return page(c, in, tags, "tags", out);
}

int appmesh_op_tag_resource(call *c, json_t *in, json_t **out)
{
    store_key k;
    json_t *doc;
    if (by_arn(c, jstr(in, "resourceArn"), "TagResource", &k, &doc)) return -1;
    if (jtags_merge_named(doc, &jtags_lower, json_object_get(in, "tags"))) return ferr_oom(c->err);
    json_t *tags = json_object_get(doc, "tags");
    if (tags_ok(c, tags) || store_put(c->txn, &k, doc, c->err)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int appmesh_op_untag_resource(call *c, json_t *in, json_t **out)
{
    store_key k;
    json_t *doc;
    if (by_arn(c, jstr(in, "resourceArn"), "UntagResource", &k, &doc)) return -1;
    jtags_remove_named(doc, &jtags_lower, json_object_get(in, "tagKeys"));
    if (store_put(c->txn, &k, doc, c->err)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}
