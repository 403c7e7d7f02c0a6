/* Route 53 for the rest of ferry: the DNS server `ferry serve --dns ADDR:PORT` starts and
 * stops through here, and the health checks' engine is registered in engine/engines.c.
 *
 * Other services (Cloud Map) create and change zones through Route 53's own operations
 * with svc_invoke_in, as the account. An internal caller (CALLER_INTERNAL) may add to
 * CreateHostedZone's input a member clients cannot send:
 *   "LinkedService": {"ServicePrincipal": "servicediscovery.amazonaws.com",
 *                     "Description": "..."}
 * and the zone then shows it as AWS shows zones a service manages (GetHostedZone,
 * ListHostedZones, ListHostedZonesByVPC's Owner.OwningService). Clients cannot send it (the
 * model has no such member) and their calls ignore it.
 *
 * DNS resolvers: public zones are answered at the --dns address; each VPC (ec2_vpc_each)
 * has a resolver at its own loopback address 127.53.X.Y on the same port, allocated once
 * and kept in the store ("route53.resolver" documents), which also answers the private
 * zones associated with that VPC. GET /_ferry/dns (unsigned) lists them. */
#ifndef FERRY_SVC_ROUTE53_H
#define FERRY_SVC_ROUTE53_H
#include <stddef.h>

#include "base/err.h"
#include "svc/svc.h"

#define ROUTE53_RESOLVER_KIND "route53.resolver" /* global: ("", "REGION/VPC") -> Address */

/* The DNS server (engine/engines.c): answers on env->dns ("127.0.0.1:5353", port 0: any),
 * UDP and TCP, when it is set; the port bound is the same for every VPC resolver. */
struct engine_def;
extern const struct engine_def route53_dns_engine;
/* The port answered on (0 when not serving). */
int route53_dns_port(void);

/* The health checks' engine (engine/engines.c). */
extern const struct engine_def route53_health_engine;

/* The DNS answer to one query (wire format), as a resolver serving the zones of snapshot
 * would give it: vpc is "REGION/VPC" for a VPC's resolver, NULL for the public address.
 * *out is malloc'd (caller frees), NULL when the query is to be dropped. max is the reply's
 * size limit (UDP: 512 or the EDNS size; TCP: 65535). A failure while answering is a
 * SERVFAIL reply; -1 only when not even that could be encoded. For the fuzz target. */
typedef struct route53_snap route53_snap;
route53_snap *route53_snap_from_json(json_t *zones); /* takes zones: an array of zone docs */
void route53_snap_free(route53_snap *s);
int route53_dns_answer(const route53_snap *s, const char *vpc, const unsigned char *q, size_t n,
                       size_t max, unsigned char **out, size_t *outn);

#endif
