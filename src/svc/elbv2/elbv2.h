/* Elastic Load Balancing v2 for the rest of ferry: the health-check engine
 * (engine/elb_health.c) runs elbv2_health_sweep; the proxy data plane (engine/lb.c)
 * reads elbv2_render's description of each load balancer. */
#ifndef FERRY_SVC_ELBV2_H
#define FERRY_SVC_ELBV2_H
#include <jansson.h>

#include "base/err.h"
#include "store/store.h"
#include "svc/svc.h"

/* One round of health checks: every ip target (in 127.0.0.0/8) of every target group in
 * use by a listener or rule, whose last check is older than the group's
 * HealthCheckIntervalSeconds (FERRY_ELBV2_HEALTH_INTERVAL seconds, when set, instead), gets
 * an HTTP GET of the group's HealthCheckPath; the states move by the group's thresholds,
 * and draining targets whose deregistration delay passed are dropped. The checks run with
 * no transaction open; their results are written in one. 0 or -1 with e. */
int elbv2_health_sweep(ferry_env *env, ferr *e);

/* 1 when the load balancer document is active at now, 0 while it is provisioning (for
 * FERRY_ELBV2_PROVISION_SECONDS, default 0, after its creation; *until then, may be NULL). */
int elbv2_lb_active(const json_t *doc, double now, double *until);

/* The load balancer lb_arn (of account, in region) as a proxy needs it, with no AWS names
 * a proxy must know (*out, a new reference):
 *   {"name", "dns_name", "scheme", "listeners": [{"port", "protocol", "routes": [
 *      {"priority": N (0 for the default route, tried last), "match": {"paths": [...],
 *       "hosts": [...], "headers": [{"name", "values": [...]}]},
 *       "action": {"type": "forward", "targets": [{"weight", "endpoints":
 *                    [{"host", "port"}]}]}        healthy ip targets (all
 *                                                   when none is, as AWS fails open)
 *               | {"type": "fixed", "status", "content_type", "body"}
 *               | {"type": "redirect", "status", "protocol", "host", "port", "path",
 *                  "query"}}]}]}
 * Routes are in the order they are tried (priority, default last). 1 found, 0 no such load
 * balancer, -1 with e. */
int elbv2_render(store_txn *t, const char *account, const char *region, const char *lb_arn,
                 json_t **out, ferr *e);

/* The store kind of load balancers: its generation says when their DNS names changed. */
extern const char *const elbv2_lb_kind;

/* Appends to zones, for each region with load balancers, a zone as Route 53's DNS server
 * answers it: {"Id": the region's CanonicalHostedZoneId, "Name": "REGION.elb.SUFFIX.",
 * "Private": false, "Records": [each DNSName and its dualstack. form, A 127.0.0.1, the
 * address the data plane (engine/lb.c) listens on]}. 0, or -1 with e. */
int elbv2_dns_zones(store_txn *t, json_t *zones, ferr *e);

#endif
