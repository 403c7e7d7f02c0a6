/* DNS namespaces in Route 53: a private DNS namespace makes a private hosted zone associated
 * with its VPC, a public one a public zone; each instance of a service with a DnsConfig gets
 * the service's record sets (NAME = service.namespace, SetIdentifier = the instance id,
 * weighted or multivalue answer as the service's RoutingPolicy says). All through Route 53's
 * own operations, as the caller (AWS requires the caller's route53 permissions for these
 * operations too), inside the request's transaction (svc_invoke_in). A ferry without Route
 * 53 leaves the namespace without a zone. An instance a custom health check calls UNHEALTHY
 * has no record sets while it is. */
#include <stdlib.h>
#include <string.h>

#include "servicediscovery_int.h"

int sd_dns_available(void)
{
    const svc_def *d = svc_find("route53");
    return d && svc_find_op(d, "ChangeResourceRecordSets") && svc_find_op(d, "CreateHostedZone");
}

/* Route 53's op as the caller: 0 (*out in the arena, may be NULL), 1 refused (*why), -1
 * when ferry failed (c->err). in is consumed. */
static int r53(call *c, const char *op, json_t *in, json_t **out, const char **why)
{
    json_t *o = NULL;
    ferr e = {0};
    if (!in) return ferr_oom(c->err);
    int rc =
        svc_invoke_in(c->txn, c->a, c->env, c->who, c->region, "route53", op, in, &o, NULL, &e);
    json_decref(in);
    if (!rc) {
        if (o && !arena_defer_json(c->a, o)) return ferr_oom(c->err);
        if (out) *out = o;
        return 0;
    }
    json_decref(o);
    if (e.status >= 500) {
        *c->err = e;
        return -1;
    }
    *why = arena_printf(c->a, "%s: %s", e.code, e.message);
    return *why ? 1 : ferr_oom(c->err);
}

static const char *zone_of(const json_t *ns)
{
    const char *z =
        jstr(json_object_get(json_object_get(ns, "Properties"), "DnsProperties"), "HostedZoneId");
    return z && *z ? z : NULL;
}

int sd_dns_zone_create(call *c, const json_t *ns, const char *vpc, const char **zone,
                       const char **why)
{
    *zone = "";
    if (!sd_dns_available()) return 0;
    const char *comment =
        arena_printf(c->a, "Created by AWS Cloud Map namespace with ARN %s", jstr(ns, "Arn"));
    /* the zone shows Cloud Map as its manager, as AWS's do (route53.h) */
    json_t *in = comment ? json_pack("{s:s, s:s, s:{s:s, s:b}, s:{s:s, s:s}}", "Name",
                                     jstr(ns, "Name"), "CallerReference", jstr(ns, "Id"),
                                     "HostedZoneConfig", "Comment", comment, "PrivateZone",
                                     vpc != NULL, "LinkedService", "ServicePrincipal",
                                     "servicediscovery.amazonaws.com", "Description", comment)
                         : NULL;
    if (in && vpc &&
        json_object_set_new(in, "VPC",
                            json_pack("{s:s, s:s}", "VPCRegion", c->region, "VPCId", vpc))) {
        json_decref(in);
        in = NULL;
    }
    json_t *out;
    int rc = r53(c, "CreateHostedZone", in, &out, why);
    if (rc) return rc;
    const char *id = jstr(json_object_get(out, "HostedZone"), "Id");
    if (!id) return ferr_internal(c->err, "Route 53 gave no hosted zone id");
    if (!strncmp(id, "/hostedzone/", 12)) id += 12;
    *zone = arena_strdup(c->a, id);
    return *zone ? 0 : ferr_oom(c->err);
}

int sd_dns_zone_delete(call *c, const json_t *ns)
{
    const char *zone = zone_of(ns), *why = NULL;
    if (!zone || !sd_dns_available()) return 0;
    int rc = r53(c, "DeleteHostedZone", json_pack("{s:s}", "Id", zone), NULL, &why);
    /* a zone someone already deleted, or filled with records of their own, stays theirs */
    return rc < 0 ? -1 : 0;
}

/* One record set of the service's: at name, of type, with value. */
static int add_change(json_t *changes, const char *action, const char *name, const char *type,
                      const json_t *rec, const char *policy, const char *set_id, const char *value)
{
    json_t *rrs = json_pack("{s:s, s:s, s:I, s:[{s:s}]}", "Name", name, "Type", type, "TTL",
                            (json_int_t)jint(rec, "TTL", 60), "ResourceRecords", "Value", value);
    int rc = !rrs;
    if (!rc && set_id) {
        rc = jset_str(rrs, "SetIdentifier", set_id);
        if (!rc && !strcmp(policy, "WEIGHTED"))
            rc = json_object_set_new(rrs, "Weight", json_integer(1));
        else if (!rc)
            rc = json_object_set_new(rrs, "MultiValueAnswer", json_true());
    }
    if (rc) {
        json_decref(rrs);
        return -1;
    }
    return json_array_append_new(
        changes, json_pack("{s:s, s:o}", "Action", action, "ResourceRecordSet", rrs));
}

int sd_dns_records(call *c, const json_t *ns, const json_t *svc, const json_t *inst, int add,
                   const char **why)
{
    const json_t *dc = json_object_get(svc, "DnsConfig");
    const char *zone = zone_of(ns), *health = jstr(inst, "Health");
    if (!dc || !zone || !sd_dns_available()) return 0;
    /* AWS: DNS answers leave out an instance its custom health check calls UNHEALTHY; its
     * record sets are taken away while it is, and put back when it is healthy again */
    if (json_object_get(svc, "HealthCheckCustomConfig") && health && !strcmp(health, "UNHEALTHY"))
        return 0;
    const json_t *attrs = json_object_get(inst, "Attributes");
    const char *iid = jstr(inst, "Id"), *policy = jstr(dc, "RoutingPolicy");
    const char *name = arena_printf(c->a, "%s.%s", jstr(svc, "Name"), jstr(ns, "Name"));
    const char *host = arena_printf(c->a, "%s.%s", iid, name ? name : "");
    json_t *changes = json_array();
    if (!name || !host || !changes || !arena_defer_json(c->a, changes)) return ferr_oom(c->err);
    if (!policy) policy = "MULTIVALUE";
    const char *action = add ? "UPSERT" : "DELETE";
    const char *v4 = jstr(attrs, "AWS_INSTANCE_IPV4"), *v6 = jstr(attrs, "AWS_INSTANCE_IPV6");
    const json_t *arec = NULL, *aaaarec = NULL;
    int rc = 0, srv = 0;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(dc, "DnsRecords"), i, r) {
        const char *t = jstr(r, "Type"), *value = NULL;
        if (!strcmp(t, "A")) {
            value = v4;
            arec = r;
        } else if (!strcmp(t, "AAAA")) {
            value = v6;
            aaaarec = r;
        } else if (!strcmp(t, "CNAME")) {
            value = jstr(attrs, "AWS_INSTANCE_CNAME");
        } else if (!strcmp(t, "SRV")) {
            /* AWS: priority 1, weight 1, the port, and the instance's own host name */
            value = arena_printf(c->a, "1 1 %s %s", jstr(attrs, "AWS_INSTANCE_PORT"), host);
            if (!value) return ferr_oom(c->err);
            srv = 1;
        }
        if (value) rc |= add_change(changes, action, name, t, r, policy, iid, value);
    }
    /* the SRV record's target resolves to the instance's own addresses */
    if (srv && arec && v4) rc |= add_change(changes, action, host, "A", arec, policy, NULL, v4);
    if (srv && aaaarec && v6)
        rc |= add_change(changes, action, host, "AAAA", aaaarec, policy, NULL, v6);
    if (rc) return ferr_oom(c->err);
    if (!json_array_size(changes)) return 0;
    json_t *in =
        json_pack("{s:s, s:{s:O}}", "HostedZoneId", zone, "ChangeBatch", "Changes", changes);
    return r53(c, "ChangeResourceRecordSets", in, NULL, why);
}
