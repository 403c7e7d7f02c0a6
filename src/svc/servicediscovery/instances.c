/* Instances: registration (with the record sets of DNS services), health (custom health
 * checks set by UpdateInstanceCustomHealthStatus; a Route 53 health check configuration is
 * kept, its instances answered HEALTHY), and DiscoverInstances. A service's Revision grows
 * with every change to its instances (DiscoverInstancesRevision). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "servicediscovery_int.h"

static int has_health(const json_t *svc)
{
    return json_object_get(svc, "HealthCheckCustomConfig") ||
           json_object_get(svc, "HealthCheckConfig");
}

/* What an instance's health reads as: UNKNOWN when its service checks none. */
static const char *health_of(const json_t *svc, const json_t *inst)
{
    const char *h = jstr(inst, "Health");
    return has_health(svc) && h ? h : "UNKNOWN";
}

static const char *inst_key(call *c, const char *svc_id, const char *inst_id)
{
    const char *k = arena_printf(c->a, "%s/%s", svc_id, inst_id);
    if (!k) ferr_oom(c->err);
    return k;
}

/* AWS's checks of the attributes a service's DNS records need. */
static int attrs_check(call *c, const json_t *svc, const json_t *attrs)
{
    const char *v4 = jstr(attrs, "AWS_INSTANCE_IPV4"), *v6 = jstr(attrs, "AWS_INSTANCE_IPV6");
    const char *port = jstr(attrs, "AWS_INSTANCE_PORT");
    unsigned char buf[16];
    if (v4 && inet_pton(AF_INET, v4, buf) != 1)
        return sd_invalid(c, "AWS_INSTANCE_IPV4 %s is not a valid IPv4 address.", v4);
    if (v6 && inet_pton(AF_INET6, v6, buf) != 1)
        return sd_invalid(c, "AWS_INSTANCE_IPV6 %s is not a valid IPv6 address.", v6);
    if (port) {
        char *end;
        long p = strtol(port, &end, 10);
        if (*end || !*port || p < 1 || p > 65535)
            return sd_invalid(c, "AWS_INSTANCE_PORT %s is not a valid port (1-65535).", port);
    }
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(json_object_get(svc, "DnsConfig"), "DnsRecords"), i, r) {
        const char *t = jstr(r, "Type");
        if (!strcmp(t, "A") && !v4)
            return sd_invalid(c, "AWS_INSTANCE_IPV4 is required: the service has an A record.");
        if (!strcmp(t, "AAAA") && !v6)
            return sd_invalid(c, "AWS_INSTANCE_IPV6 is required: the service has an AAAA record.");
        if (!strcmp(t, "CNAME") && !jstr(attrs, "AWS_INSTANCE_CNAME"))
            return sd_invalid(c, "AWS_INSTANCE_CNAME is required: the service has a CNAME "
                                 "record.");
        if (!strcmp(t, "SRV") && !port)
            return sd_invalid(c, "AWS_INSTANCE_PORT is required: the service has an SRV record.");
    }
    return 0;
}

int servicediscovery_op_register_instance(call *c, json_t *in, json_t **out)
{
    json_t *svc, *ns, *inst;
    const char *iid = jstr(in, "InstanceId"), *opid, *why = NULL;
    const json_t *attrs = json_object_get(in, "Attributes");
    if (sd_svc_load(c, jstr(in, "ServiceId"), "servicediscovery:RegisterInstance", &svc)) return -1;
    const char *sid = jstr(svc, "Id"), *key = inst_key(c, sid, iid);
    if (!key || attrs_check(c, svc, attrs)) return -1;
    if (json_object_size(attrs) > 30)
        return ferr_set(c->err, 400, "ResourceLimitExceeded",
                        "An instance can have at most 30 attributes.");
    int rc = sd_get(c, SD_INST_KIND, key, &inst);
    if (rc < 0 || sd_get(c, SD_NS_KIND, jstr(svc, "NamespaceId"), &ns) < 0) return -1;
    const char *health = rc ? jstr(inst, "Health") : NULL;
    json_t *doc = json_pack("{s:s, s:O, s:s}", "Id", iid, "Attributes", attrs, "Health",
                            health ? health : "HEALTHY");
    if (!doc || !arena_defer_json(c->a, doc) ||
        jset_str(doc, "CreatorRequestId", jstr(in, "CreatorRequestId")))
        return ferr_oom(c->err);
    json_t *targets = json_pack("{s:s, s:s}", "SERVICE", sid, "INSTANCE", iid);
    if (!targets) return ferr_oom(c->err);
    /* a re-registration with other addresses replaces the old records */
    int drc = ns && rc ? sd_dns_records(c, ns, svc, inst, 0, &why) : 0;
    if (!drc && ns) drc = sd_dns_records(c, ns, svc, doc, 1, &why);
    if (drc < 0) {
        json_decref(targets);
        return -1;
    }
    if (drc > 0) {
        if (sd_op_new(c, "REGISTER_INSTANCE", targets, "INVALID_CHANGE_BATCH", why, &opid))
            return -1;
        *out = svc_out(c, json_pack("{s:s}", "OperationId", opid));
        return 0;
    }
    if ((!rc && sd_count(c, svc, "InstanceCount", 1)) || sd_count(c, svc, "Revision", 1) ||
        sd_put(c, SD_SVC_KIND, sid, svc) || sd_put(c, SD_INST_KIND, key, doc)) {
        json_decref(targets);
        return -1;
    }
    if (sd_op_new(c, "REGISTER_INSTANCE", targets, NULL, NULL, &opid)) return -1;
    *out = svc_out(c, json_pack("{s:s}", "OperationId", opid));
    return 0;
}

/* The instance a request names, with its service: 0, or -1 with InstanceNotFound. */
static int inst_load(call *c, json_t *in, const char *action, json_t **svc, json_t **inst,
                     const char **key)
{
    const char *iid = jstr(in, "InstanceId");
    if (sd_svc_load(c, jstr(in, "ServiceId"), action, svc)) return -1;
    *key = inst_key(c, jstr(*svc, "Id"), iid);
    int rc = *key ? sd_get(c, SD_INST_KIND, *key, inst) : -1;
    if (rc < 0) return -1;
    if (!rc) return ferr_set(c->err, 400, "InstanceNotFound", "No instance found with ID: %s", iid);
    return 0;
}

int servicediscovery_op_deregister_instance(call *c, json_t *in, json_t **out)
{
    json_t *svc, *inst, *ns;
    const char *key, *opid, *why = NULL;
    if (inst_load(c, in, "servicediscovery:DeregisterInstance", &svc, &inst, &key)) return -1;
    const char *sid = jstr(svc, "Id");
    if (sd_get(c, SD_NS_KIND, jstr(svc, "NamespaceId"), &ns) < 0) return -1;
    int drc = ns ? sd_dns_records(c, ns, svc, inst, 0, &why) : 0;
    if (drc < 0) return -1;
    json_t *targets = json_pack("{s:s, s:s}", "SERVICE", sid, "INSTANCE", jstr(inst, "Id"));
    if (!targets) return ferr_oom(c->err);
    if (drc > 0) {
        if (sd_op_new(c, "DEREGISTER_INSTANCE", targets, "INVALID_CHANGE_BATCH", why, &opid))
            return -1;
        *out = svc_out(c, json_pack("{s:s}", "OperationId", opid));
        return 0;
    }
    if (sd_count(c, svc, "InstanceCount", -1) || sd_count(c, svc, "Revision", 1) ||
        sd_put(c, SD_SVC_KIND, sid, svc) || sd_del(c, SD_INST_KIND, key)) {
        json_decref(targets);
        return -1;
    }
    if (sd_op_new(c, "DEREGISTER_INSTANCE", targets, NULL, NULL, &opid)) return -1;
    *out = svc_out(c, json_pack("{s:s}", "OperationId", opid));
    return 0;
}

int servicediscovery_op_get_instance(call *c, json_t *in, json_t **out)
{
    json_t *svc, *inst;
    const char *key;
    if (inst_load(c, in, "servicediscovery:GetInstance", &svc, &inst, &key)) return -1;
    json_t *o = json_pack("{s:s, s:O}", "Id", jstr(inst, "Id"), "Attributes",
                          json_object_get(inst, "Attributes"));
    if (o && jset_str(o, "CreatorRequestId", jstr(inst, "CreatorRequestId"))) {
        json_decref(o);
        o = NULL;
    }
    *out = svc_out(c, o ? json_pack("{s:o}", "Instance", o) : NULL);
    return 0;
}

typedef struct inst_list {
    const json_t *svc;
    const char *nsname;
    const json_t *query;
    json_t *all;
    int mode; /* 0: InstanceSummary, 1: HttpInstanceSummary, 2: {Id, Status} */
    int rc;
} inst_list;

static int matches(const json_t *attrs, const json_t *query)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)query, k, v) {
        const char *a = jstr(attrs, k);
        if (!a || !json_string_value(v) || strcmp(a, json_string_value(v))) return 0;
    }
    return 1;
}

static int inst_each(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    inst_list *l = ud;
    const json_t *attrs = json_object_get(doc, "Attributes");
    if (l->query && !matches(attrs, l->query)) return 0;
    json_t *o =
        l->mode == 0 ? json_pack("{s:s, s:O}", "Id", jstr(doc, "Id"), "Attributes", attrs)
        : l->mode == 1
            ? json_pack("{s:s, s:s, s:s, s:s, s:O}", "InstanceId", jstr(doc, "Id"), "NamespaceName",
                        l->nsname, "ServiceName", jstr(l->svc, "Name"), "HealthStatus",
                        health_of(l->svc, doc), "Attributes", attrs)
            : json_pack("{s:s, s:s}", "Id", jstr(doc, "Id"), "Status", health_of(l->svc, doc));
    l->rc |= json_array_append_new(l->all, o);
    return 0;
}

static int inst_list_run(store_txn *t, const char *account, const char *region, inst_list *l,
                         ferr *e)
{
    char prefix[80];
    snprintf(prefix, sizeof(prefix), "%s/", jstr(l->svc, "Id"));
    if (!(l->all = json_array())) return ferr_oom(e);
    if (store_list(t, SD_INST_KIND, account, region, prefix, NULL, 0, inst_each, l, e) < 0 ||
        (l->rc && ferr_oom(e))) {
        json_decref(l->all);
        l->all = NULL;
        return -1;
    }
    return 0;
}

json_t *sd_summaries(store_txn *t, const char *account, const char *region, const json_t *svc,
                     const char *nsname, const json_t *query, ferr *e)
{
    inst_list l = {svc, nsname, json_object_size(query) ? query : NULL, NULL, 1, 0};
    return inst_list_run(t, account, region, &l, e) ? NULL : l.all;
}

int servicediscovery_op_list_instances(call *c, json_t *in, json_t **out)
{
    json_t *svc;
    if (sd_svc_load(c, jstr(in, "ServiceId"), "servicediscovery:ListInstances", &svc)) return -1;
    inst_list l = {svc, NULL, NULL, NULL, 0, 0};
    if (inst_list_run(c->txn, c->account, c->region, &l, c->err)) return -1;
    if (!arena_defer_json(c->a, l.all)) return ferr_oom(c->err);
    return sd_page(c, in, l.all, "Instances", out);
}

int servicediscovery_op_get_instances_health_status(call *c, json_t *in, json_t **out)
{
    json_t *svc;
    if (sd_svc_load(c, jstr(in, "ServiceId"), "servicediscovery:GetInstancesHealthStatus", &svc))
        return -1;
    inst_list l = {svc, NULL, NULL, NULL, 2, 0};
    if (inst_list_run(c->txn, c->account, c->region, &l, c->err)) return -1;
    if (!arena_defer_json(c->a, l.all)) return ferr_oom(c->err);
    const json_t *want = json_object_get(in, "Instances");
    json_t *sel = json_array();
    if (!sel || !arena_defer_json(c->a, sel)) return ferr_oom(c->err);
    size_t i, j;
    json_t *v, *w;
    json_array_foreach(l.all, i, v) {
        int hit = !json_array_size(want);
        json_array_foreach(want, j, w) {
            hit |= !strcmp(json_string_value(w), jstr(v, "Id"));
        }
        if (hit && json_array_append(sel, v)) return ferr_oom(c->err);
    }
    json_array_foreach(want, j, w) {
        int found = 0;
        json_array_foreach(l.all, i, v) {
            found |= !strcmp(json_string_value(w), jstr(v, "Id"));
        }
        if (!found)
            return ferr_set(c->err, 400, "InstanceNotFound", "No instance found with ID: %s",
                            json_string_value(w));
    }
    json_t *page = json_object(), *o = json_object();
    if (!page || !o || !arena_defer_json(c->a, page)) {
        json_decref(o);
        return ferr_oom(c->err);
    }
    if (svc_page(c, sel, jstr(in, "NextToken"), jint(in, "MaxResults", 100), page, "Items",
                 "NextToken", "InvalidInput")) {
        json_decref(o);
        return -1;
    }
    json_t *status = json_object();
    int rc = !status || json_object_set_new(o, "Status", status);
    json_array_foreach(rc ? NULL : json_object_get(page, "Items"), i, v) {
        rc |= json_object_set(status, jstr(v, "Id"), json_object_get(v, "Status"));
    }
    if (!rc && json_object_get(page, "NextToken"))
        rc = json_object_set(o, "NextToken", json_object_get(page, "NextToken"));
    if (rc) {
        json_decref(o);
        return ferr_oom(c->err);
    }
    *out = o;
    return 0;
}

int servicediscovery_op_update_instance_custom_health_status(call *c, json_t *in, json_t **out)
{
    json_t *svc, *inst;
    const char *key;
    if (inst_load(c, in, "servicediscovery:UpdateInstanceCustomHealthStatus", &svc, &inst, &key))
        return -1;
    if (!json_object_get(svc, "HealthCheckCustomConfig"))
        return ferr_set(c->err, 400, "CustomHealthNotFound",
                        "Service %s doesn't have a custom health check configuration.",
                        jstr(svc, "Id"));
    const char *status = jstr(in, "Status"), *why = NULL;
    if (strcmp(status, jstr(inst, "Health") ? jstr(inst, "Health") : "")) {
        json_t *ns;
        int healthy = !strcmp(status, "HEALTHY");
        if (sd_get(c, SD_NS_KIND, jstr(svc, "NamespaceId"), &ns) < 0) return -1;
        /* the records go while the instance is still healthy, come back once it is */
        int drc = ns && !healthy ? sd_dns_records(c, ns, svc, inst, 0, &why) : 0;
        if (drc < 0) return -1;
        if (jset_str(inst, "Health", status) || sd_count(c, svc, "Revision", 1))
            return ferr_oom(c->err);
        if (!drc && ns && healthy) drc = sd_dns_records(c, ns, svc, inst, 1, &why);
        if (drc < 0) return -1;
        /* Route 53 refused the caller (its permissions, the zone's limits): the caller's
         * problem, not ferry's; nothing is written */
        if (drc > 0)
            return ferr_set(c->err, 400, "InvalidInput",
                            "The instance's DNS records cannot be changed: %s", why);
        if (sd_put(c, SD_INST_KIND, key, inst) || sd_put(c, SD_SVC_KIND, jstr(svc, "Id"), svc))
            return -1;
    }
    *out = svc_out(c, json_object());
    return 0;
}

/* The service DiscoverInstances names (by the namespace's HTTP name and the service's
 * name): 0 with *svc (arena) and *nsname, or -1. */
static int discover_target(call *c, const json_t *in, json_t **svc, const char **nsname)
{
    if (call_authorize(c, "servicediscovery:DiscoverInstances", "*")) return -1;
    const char *name = jstr(in, "NamespaceName"), *sname = jstr(in, "ServiceName"), *nsid;
    int rc = sd_ns_by_name(c->txn, c->a, c->account, c->region, name, &nsid, c->err);
    json_t *ns = NULL, *ix = NULL;
    if (rc > 0) rc = sd_get(c, SD_NS_KIND, nsid, &ns);
    if (rc < 0) return -1;
    if (!rc)
        return ferr_set(c->err, 400, "NamespaceNotFound", "No namespace exists with name: %s",
                        name);
    *nsname =
        jstr(json_object_get(json_object_get(ns, "Properties"), "HttpProperties"), "HttpName");
    const char *key = arena_printf(c->a, "%s/%s", nsid, sname);
    if (!key) return ferr_oom(c->err);
    rc = sd_get(c, SD_SVCNAME_KIND, key, &ix);
    if (rc > 0) rc = sd_get(c, SD_SVC_KIND, jstr(ix, "Id"), svc);
    if (rc < 0) return -1;
    if (!rc)
        return ferr_set(c->err, 400, "ServiceNotFound", "No service exists with name: %s", sname);
    return 0;
}

int servicediscovery_op_discover_instances(call *c, json_t *in, json_t **out)
{
    json_t *svc;
    const char *nsname;
    if (discover_target(c, in, &svc, &nsname)) return -1;
    const json_t *query = json_object_get(in, "QueryParameters"),
                 *optional = json_object_get(in, "OptionalParameters");
    const char *hs = jstr(in, "HealthStatus");
    json_t *all = sd_summaries(c->txn, c->account, c->region, svc, nsname, query, c->err);
    if (!all || !arena_defer_json(c->a, all)) return all ? ferr_oom(c->err) : -1;
    /* AWS: the optional parameters narrow the answer only when some instance matches them */
    json_t *sel = json_array(), *res = json_array();
    if (!sel || !arena_defer_json(c->a, sel) || !res || !arena_defer_json(c->a, res))
        return ferr_oom(c->err);
    size_t i;
    json_t *v;
    if (json_object_size(optional)) {
        json_array_foreach(all, i, v) {
            if (matches(json_object_get(v, "Attributes"), optional) && json_array_append(sel, v))
                return ferr_oom(c->err);
        }
    }
    if (!json_array_size(sel) && json_array_extend(sel, all)) return ferr_oom(c->err);
    /* AWS: the health filter is ignored for a service without health checks; the default
     * is HEALTHY; HEALTHY_OR_ELSE_ALL answers every instance when none is healthy */
    int check = has_health(svc);
    const char *want = !hs ? "HEALTHY" : hs;
    int healthy = 0;
    json_array_foreach(sel, i, v) {
        healthy += !strcmp(jstr(v, "HealthStatus"), "HEALTHY");
    }
    if (!strcmp(want, "HEALTHY_OR_ELSE_ALL")) want = healthy ? "HEALTHY" : "ALL";
    long long max = jint(in, "MaxResults", 100);
    json_array_foreach(sel, i, v) {
        if ((long long)json_array_size(res) >= max) break;
        if (check && strcmp(want, "ALL") && strcmp(jstr(v, "HealthStatus"), want)) continue;
        if (json_array_append(res, v)) return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:O, s:I}", "Instances", res, "InstancesRevision",
                                (json_int_t)jint(svc, "Revision", 1)));
    return 0;
}

int servicediscovery_op_discover_instances_revision(call *c, json_t *in, json_t **out)
{
    json_t *svc;
    const char *nsname;
    if (discover_target(c, in, &svc, &nsname)) return -1;
    *out =
        svc_out(c, json_pack("{s:I}", "InstancesRevision", (json_int_t)jint(svc, "Revision", 1)));
    return 0;
}
