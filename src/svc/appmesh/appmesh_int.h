/* What the appmesh folder's files share: the resource types, described once so that one
 * create/describe/update/delete/list serves all seven (appmesh.c), and the spec checks
 * (specs.c). Documents: documents.h. */
#ifndef FERRY_SVC_APPMESH_INT_H
#define FERRY_SVC_APPMESH_INT_H
#include "documents.h"
#include "svc/svc.h"

/* The mesh a call works in: by name and owner (meshOwner, else the caller's account). */
typedef struct am_mesh {
    const char *name, *owner, *arn;
    int shared; /* the caller is a participant: the owner shared the mesh with it (RAM) */
} am_mesh;

typedef struct am_type am_type;
struct am_type {
    const char *kind;        /* documents.h */
    const char *key;         /* output member and data key: "virtualNode" */
    const char *name_key;    /* "virtualNodeName" */
    const char *parent_key;  /* "virtualRouterName" (routes), "virtualGatewayName", NULL */
    const char *parent_kind; /* the parent's kind, NULL */
    const char *seg;         /* ARN segment: "virtualNode" */
    const char *list_key;    /* "virtualNodes" */
    const char *cfn;         /* audit resource type: "AWS::AppMesh::VirtualNode" */
    const char *label;       /* in messages: "VirtualNode" */
    const char *ref_label;   /* in ResourceInUse lists: "VIRTUAL_NODE" */
    /* What the model cannot say about spec (references into the mesh included), or NULL. */
    int (*check)(call *c, const am_mesh *m, const char *parent, const json_t *spec);
    /* 0 when nothing in the mesh refers to name, else -1 with ResourceInUseException. */
    int (*in_use)(call *c, const am_mesh *m, const char *parent, const char *name);
};

extern const am_type am_node, am_service, am_router, am_route, am_gateway, am_groute;

/* The document id of name (under parent) in m: "MESH/NAME", "MESH/PARENT/NAME". Arena. */
const char *am_id(call *c, const am_mesh *m, const char *parent, const char *name);
/* 1 and *doc (borrowed from the arena) when t's name exists in m, 0 not, -1 error. */
int am_get(call *c, const am_type *t, const am_mesh *m, const char *parent, const char *name,
           json_t **doc);
/* Every document of kind in m (under parent when given): fn(ud, doc) until it returns
 * non-zero. 0, or -1 (c->err). */
typedef int (*am_each_fn)(void *ud, const json_t *doc);
int am_each(call *c, const char *kind, const am_mesh *m, const char *parent, am_each_fn fn,
            void *ud);

/* App Mesh's errors: ferr_set with a printf message; -1. */
int am_fail(call *c, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define am_bad(c, ...)       am_fail((c), 400, "BadRequestException", __VA_ARGS__)
#define am_not_found(c, ...) am_fail((c), 404, "NotFoundException", __VA_ARGS__)
#define am_in_use(c, ...)    am_fail((c), 409, "ResourceInUseException", __VA_ARGS__)

#endif
