/* AWS Cloud Map for the rest of ferry: App Mesh's data plane (virtual nodes with
 * awsCloudMap service discovery) and ECS read the instances registered in a service, as
 * DiscoverInstances answers them, inside the caller's own store transaction (read or write),
 * without going through the API (no authorization, no audit: the caller has done its own). */
#ifndef FERRY_SVC_SERVICEDISCOVERY_H
#define FERRY_SVC_SERVICEDISCOVERY_H
#include <jansson.h>

#include "base/arena.h"
#include "base/err.h"
#include "store/store.h"

/* The instances of service_name in the namespace whose HTTP name is namespace_name (for DNS
 * namespaces that is the domain name, matched without regard to case as DNS does), in
 * account and region, whose attributes include every key/value of query_params (an object
 * of strings; NULL or {} for all), healthy or not. *out is a new array (the caller decrefs)
 * of DiscoverInstances' HttpInstanceSummary objects, in instance id order:
 *   {"InstanceId", "NamespaceName", "ServiceName",
 *    "HealthStatus": "HEALTHY" | "UNHEALTHY" | "UNKNOWN",
 *    "Attributes": {"AWS_INSTANCE_IPV4": "10.0.0.5", "AWS_INSTANCE_PORT": "8080", ...}}
 * Returns 0, or -1 with e: 400 NamespaceNotFound / ServiceNotFound when either is not there,
 * or a store error. a holds temporaries only. */
int sd_instances(store_txn *t, arena *a, const char *account, const char *region,
                 const char *namespace_name, const char *service_name, const json_t *query_params,
                 json_t **out, ferr *e);

/* The revision of that service's instances (DiscoverInstancesRevision): it grows with every
 * registration, deregistration and health change, so a reader that saw revision r knows
 * nothing changed while the service's revision is still r. 0 and *revision, or -1 with e
 * as sd_instances. */
int sd_revision(store_txn *t, const char *account, const char *region, const char *namespace_name,
                const char *service_name, long long *revision, ferr *e);

#endif
