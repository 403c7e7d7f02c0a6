/* Model-driven XML for the query and rest-xml protocols: a writer that serializes
 * internal JSON by shape, and an expat-based reader (bounded depth, no DTDs) that
 * turns a document into a small tree the shape reader converts to internal JSON. */
#ifndef FERRY_PROTO_XML_H
#define FERRY_PROTO_XML_H
#include <jansson.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "proto/model.h"
#include "proto/pcommon.h"

typedef struct proto_xnode {
    const char *name;   /* local name (prefix stripped) */
    const char **attrs; /* expat style: name, value, ..., NULL (names with prefix) */
    char *text;
    size_t tlen;
    struct proto_xnode *child, *last, *next, *parent;
} proto_xnode;

/* Parses body into a tree in arena a. Returns the root element, or NULL with e set
 * (400 code: "MalformedXML" for rest-xml S3 style, caller chooses). */
proto_xnode *proto_xml_parse(arena *a, const char *body, size_t n, const char *code, ferr *e);

/* Members of structure sh from element el into a new object (body-bound members only
 * when rest is set). Returns a new reference (never NULL unless OOM). */
json_t *proto_xml_read_struct(proto_vctx *v, const proto_service *svc, const proto_shape *sh,
                              const proto_xnode *el, int rest, int depth);

/* Writes <name attrs>value</name> for member m (list/map/structure/scalar rules of
 * the query and rest-xml protocols). xmlns: namespace to declare on this element
 * (root only) or NULL. Members bound outside the body are skipped when rest is set. */
void proto_xml_write(buf *b, const proto_service *svc, const proto_member *m, const char *name,
                     const json_t *v, const char *xmlns, int rest, int depth);
/* Just the members of a structure (no enclosing element). */
void proto_xml_write_members(buf *b, const proto_service *svc, const proto_shape *sh,
                             const json_t *obj, int rest, int depth);

#endif
