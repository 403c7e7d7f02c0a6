/* How App Mesh keeps its resources in the store, for the mesh engine (engine/mesh.c) that
 * renders them into the proxy. Every resource of a mesh is kept under the mesh owner's
 * account and the mesh's region, whoever created it (a participant of a shared mesh too:
 * metadata.resourceOwner says who). A document is
 *   {"data": {...exactly as Describe* answers: meshName, <type>Name, spec, metadata, status},
 *    "tags": [{"key", "value"}], "clientToken": "..."}
 * and its id is the path of names under the mesh: */
#ifndef FERRY_SVC_APPMESH_DOCUMENTS_H
#define FERRY_SVC_APPMESH_DOCUMENTS_H

#define APPMESH_KIND_MESH    "appmesh.mesh"     /* MESH */
#define APPMESH_KIND_NODE    "appmesh.vnode"    /* MESH/NODE */
#define APPMESH_KIND_SERVICE "appmesh.vservice" /* MESH/SERVICE */
#define APPMESH_KIND_ROUTER  "appmesh.vrouter"  /* MESH/ROUTER */
#define APPMESH_KIND_ROUTE   "appmesh.route"    /* MESH/ROUTER/ROUTE */
#define APPMESH_KIND_GATEWAY "appmesh.vgateway" /* MESH/GATEWAY */
#define APPMESH_KIND_GROUTE  "appmesh.groute"   /* MESH/GATEWAY/ROUTE */

#endif
