/* The App Mesh data plane: renders every mesh in the store into the proxy (engine/proxy.h)
 * and keeps it current. How a client reaches a mesh:
 *   - each mesh has one listener (127.0.0.1, a port ferry picks) that routes by the Host
 *     header: a request for a virtual service's name goes through its provider (a virtual
 *     router's routes by priority and match, weighted over the target virtual nodes'
 *     instances; or a virtual node's instances);
 *   - each virtual gateway has a listener of its own, routing by its gateway routes to their
 *     target virtual services (prefix rewritten as AWS does).
 * GET /_ferry/mesh lists the listeners: [{"account", "region", "mesh", "kind" ("mesh" or
 * "virtualGateway"), "name", "address", "port", "listenerPort"}], with the proxy's state.
 * A virtual node's instances: serviceDiscovery.dns with an IPv4 address or "localhost" and
 * the node's listener port. haproxy starts when a mesh first has a listener. */
#ifndef FERRY_ENGINE_MESH_H
#define FERRY_ENGINE_MESH_H
#include "engines.h"
#include "proto/codec.h"

extern const engine_def mesh_engine;

/* Renders again now (after an App Mesh write commits) rather than at the next poll. */
void mesh_engine_kick(void);

/* GET /_ferry/mesh (App Mesh's route): the listeners, as JSON. */
int mesh_engine_serve(ferry_env *env, arena *a, const svc_request *r, proto_response *resp);

#endif
