/* Services: their DNS configuration (the record sets each instance gets in a DNS
 * namespace's hosted zone), health check configuration, and the count of instances that
 * keeps a service with instances from being deleted. */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/jtags.h"
#include "servicediscovery_int.h"

/* AWS's rules for a DnsConfig: at most one record of each type, CNAME alone and only with
 * WEIGHTED routing, SRV beside A or AAAA. */
static int dns_config_check(call *c, const json_t *dc)
{
    const char *policy = jstr(dc, "RoutingPolicy");
    int seen[4] = {0};
    static const char *const types[] = {"A", "AAAA", "SRV", "CNAME"};
    size_t i, n = 0;
    json_t *r;
    json_array_foreach(json_object_get(dc, "DnsRecords"), i, r) {
        const char *t = jstr(r, "Type");
        for (size_t j = 0; j < 4; j++)
            if (!strcmp(t, types[j]) && seen[j]++)
                return sd_invalid(c, "DnsRecords can contain only one record of type %s.", t);
        n++;
    }
    if (!n) return sd_invalid(c, "DnsRecords must contain at least one record.");
    if (seen[3] && n > 1)
        return sd_invalid(c, "A CNAME record can't be combined with records of other types.");
    if (seen[3] && policy && strcmp(policy, "WEIGHTED"))
        return sd_invalid(c, "CNAME records are supported only with the WEIGHTED routing "
                             "policy.");
    return 0;
}

/* The Service shape (summary: the ListServices one). New reference or NULL. */
static json_t *svc_shape(const json_t *s, int summary)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:O}", "Id", jstr(s, "Id"), "Arn",
                          jstr(s, "Arn"), "Name", jstr(s, "Name"), "Type", jstr(s, "Type"),
                          "InstanceCount", (json_int_t)jint(s, "InstanceCount", 0), "CreateDate",
                          json_object_get(s, "CreateDate"));
    static const char *const objs[] = {"DnsConfig", "HealthCheckConfig", "HealthCheckCustomConfig"};
    int rc = !o || jset_str(o, "Description", jstr(s, "Description"));
    for (size_t i = 0; !rc && i < 3; i++) {
        json_t *v = json_object_get(s, objs[i]);
        if (v) rc = json_object_set(o, objs[i], v);
    }
    if (!rc && !summary)
        rc = jset_str(o, "NamespaceId", jstr(s, "NamespaceId")) ||
             jset_str(o, "CreatorRequestId", jstr(s, "CreatorRequestId"));
    return jdone(o, rc);
}

int servicediscovery_op_create_service(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "Name"), *creator = jstr(in, "CreatorRequestId");
    json_t *dc = json_object_get(in, "DnsConfig");
    const json_t *hc = json_object_get(in, "HealthCheckConfig"),
                 *hcc = json_object_get(in, "HealthCheckCustomConfig"),
                 *tags = json_object_get(in, "Tags");
    const char *nsid = jstr(in, "NamespaceId");
    if (!nsid) nsid = jstr(dc, "NamespaceId"); /* AWS's older place for it */
    if (call_authorize(c, "servicediscovery:CreateService", "*")) return -1;
    if (!nsid) return sd_invalid(c, "NamespaceId is required.");
    json_t *ns;
    if (sd_ns_load(c, nsid, NULL, &ns)) return -1;
    nsid = jstr(ns, "Id");
    const char *nstype = jstr(ns, "Type");
    int http = !strcmp(nstype, "HTTP");
    if (dc && (http || jstr(in, "Type")))
        return sd_invalid(c, "DnsConfig can't be specified for a service of type HTTP or in an "
                             "HTTP namespace.");
    if (dc && dns_config_check(c, dc)) return -1;
    if (hc && hcc)
        return sd_invalid(c, "HealthCheckConfig and HealthCheckCustomConfig can't both be "
                             "specified.");
    if (hc && strcmp(nstype, "DNS_PUBLIC"))
        return sd_invalid(c, "HealthCheckConfig is supported only for services in public DNS "
                             "namespaces.");
    const char *key = arena_printf(c->a, "%s/%s", nsid, name);
    if (!key) return ferr_oom(c->err);
    json_t *ix;
    int rc = sd_get(c, SD_SVCNAME_KIND, key, &ix);
    if (rc < 0) return -1;
    if (rc) {
        json_t *was;
        if (sd_get(c, SD_SVC_KIND, jstr(ix, "Id"), &was) < 0) return -1;
        const char *wcreator = jstr(was, "CreatorRequestId");
        if (was && creator && wcreator && !strcmp(creator, wcreator)) {
            json_t *o = svc_shape(was, 0);
            *out = svc_out(c, o ? json_pack("{s:o}", "Service", o) : NULL);
            return 0;
        }
        ferr_set(c->err, 400, "ServiceAlreadyExists", "Service already exists with ID: %s",
                 jstr(ix, "Id"));
        return sd_err_members(
            c, json_pack("{s:s, s:s?}", "ServiceId", jstr(ix, "Id"), "CreatorRequestId", wcreator));
    }
    const char *id = sd_new_id(c, "srv"), *arn = id ? sd_arn(c, "service", id) : NULL;
    if (!arn || sd_tags_check(c, tags, arn)) return -1;
    call_resource(c, "AWS::ServiceDiscovery::Service", arn);
    json_t *s = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:f, s:o}", "Id", id, "Arn", arn,
                          "Name", name, "NamespaceId", nsid, "Type", dc ? "DNS_HTTP" : "HTTP",
                          "InstanceCount", 0, "Revision", 1, "CreateDate", clock_now(), "Tags",
                          tags ? json_deep_copy(tags) : json_array());
    if (!s || !arena_defer_json(c->a, s)) return ferr_oom(c->err);
    rc = jset_str(s, "Description", jstr(in, "Description")) ||
         jset_str(s, "CreatorRequestId", creator);
    if (!rc && dc) {
        json_t *d = json_deep_copy(dc);
        rc = !d || json_object_set_new(s, "DnsConfig", d) || jset_str(d, "NamespaceId", nsid);
        if (!rc && !jstr(d, "RoutingPolicy")) rc = jset_str(d, "RoutingPolicy", "MULTIVALUE");
    }
    if (!rc && hc) rc = json_object_set(s, "HealthCheckConfig", (json_t *)hc);
    if (!rc && hcc) {
        /* AWS: FailureThreshold is deprecated and always answered as 1 */
        rc = json_object_set_new(s, "HealthCheckCustomConfig",
                                 json_pack("{s:i}", "FailureThreshold", 1));
    }
    json_t *nix = rc ? NULL : json_pack("{s:s}", "Id", id);
    if (!nix || !arena_defer_json(c->a, nix)) return ferr_oom(c->err);
    if (sd_count(c, ns, "ServiceCount", 1) || sd_put(c, SD_NS_KIND, nsid, ns) ||
        sd_put(c, SD_SVC_KIND, id, s) || sd_put(c, SD_SVCNAME_KIND, key, nix))
        return -1;
    json_t *o = svc_shape(s, 0);
    *out = svc_out(c, o ? json_pack("{s:o}", "Service", o) : NULL);
    return 0;
}

int servicediscovery_op_get_service(call *c, json_t *in, json_t **out)
{
    json_t *s;
    if (sd_svc_load(c, jstr(in, "Id"), "servicediscovery:GetService", &s)) return -1;
    json_t *o = svc_shape(s, 0);
    *out = svc_out(c, o ? json_pack("{s:o}", "Service", o) : NULL);
    return 0;
}

static int svc_item(void *ud, const json_t *doc, json_t **item)
{
    const json_t *filters = ud;
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f) {
        if (!sd_filter_match(f, jstr(doc, "NamespaceId"))) return 0;
    }
    *item = svc_shape(doc, 1);
    return *item ? 0 : -1;
}

int servicediscovery_op_list_services(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "servicediscovery:ListServices", "*")) return -1;
    json_t *filters = json_object_get(in, "Filters");
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f) {
        if (sd_filter_check(c, f, "EQ IN")) return -1;
    }
    json_t *all = sd_collect(c, SD_SVC_KIND, svc_item, filters);
    return all ? sd_page(c, in, all, "Services", out) : -1;
}

int servicediscovery_op_delete_service(call *c, json_t *in, json_t **out)
{
    json_t *s, *ns;
    if (sd_svc_load(c, jstr(in, "Id"), "servicediscovery:DeleteService", &s)) return -1;
    const char *id = jstr(s, "Id"), *nsid = jstr(s, "NamespaceId");
    if (jint(s, "InstanceCount", 0) > 0)
        return ferr_set(c->err, 400, "ResourceInUse",
                        "Service %s has registered instances; deregister them before deleting "
                        "the service.",
                        id);
    const char *key = arena_printf(c->a, "%s/%s", nsid, jstr(s, "Name"));
    if (!key) return ferr_oom(c->err);
    int rc = sd_get(c, SD_NS_KIND, nsid, &ns);
    if (rc < 0 || (rc && (sd_count(c, ns, "ServiceCount", -1) || sd_put(c, SD_NS_KIND, nsid, ns))))
        return -1;
    if (sd_del(c, SD_SVC_KIND, id) || sd_del(c, SD_SVCNAME_KIND, key)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

typedef struct inst_each_ctx {
    call *c;
    const json_t *ns, *svc;
    const char *why;
    int rc;
} inst_each_ctx;

static int reupsert(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    inst_each_ctx *x = ud;
    x->rc = sd_dns_records(x->c, x->ns, x->svc, doc, 1, &x->why);
    return x->rc != 0;
}

int servicediscovery_op_update_service(call *c, json_t *in, json_t **out)
{
    json_t *s, *ns;
    if (sd_svc_load(c, jstr(in, "Id"), "servicediscovery:UpdateService", &s)) return -1;
    const char *id = jstr(s, "Id");
    const json_t *ch = json_object_get(in, "Service");
    const json_t *hc = json_object_get(ch, "HealthCheckConfig");
    json_t *dcc = json_object_get(ch, "DnsConfig"), *dc = json_object_get(s, "DnsConfig");
    if (jset_str(s, "Description", jstr(ch, "Description"))) return ferr_oom(c->err);
    if (hc) {
        if (!json_object_get(s, "HealthCheckConfig"))
            return sd_invalid(c, "HealthCheckConfig can be updated only for a service that has "
                                 "one.");
        if (json_object_set(s, "HealthCheckConfig", (json_t *)hc)) return ferr_oom(c->err);
    }
    if (dcc) {
        /* AWS: only the TTLs change; the records must be the same types */
        json_t *recs = json_object_get(dc, "DnsRecords"),
               *nrecs = json_object_get(dcc, "DnsRecords");
        if (!dc || json_array_size(recs) != json_array_size(nrecs))
            return sd_invalid(c, "The DnsRecords must have the same types as the service's.");
        size_t i;
        json_t *r;
        json_array_foreach(nrecs, i, r) {
            if (strcmp(jstr(r, "Type"), jstr(json_array_get(recs, i), "Type")))
                return sd_invalid(c, "The DnsRecords must have the same types as the service's.");
        }
        if (json_object_set(dc, "DnsRecords", nrecs)) return ferr_oom(c->err);
        if (sd_get(c, SD_NS_KIND, jstr(s, "NamespaceId"), &ns) < 0) return -1;
        const char *prefix = arena_printf(c->a, "%s/", id);
        if (!prefix) return ferr_oom(c->err);
        inst_each_ctx x = {c, ns, s, NULL, 0};
        if (ns && store_list(c->txn, SD_INST_KIND, c->account, c->region, prefix, NULL, 0, reupsert,
                             &x, c->err) < 0)
            return -1;
        if (x.rc < 0) return -1;
    }
    json_t *targets = json_pack("{s:s}", "SERVICE", id);
    if (!targets) return ferr_oom(c->err);
    if (sd_put(c, SD_SVC_KIND, id, s)) {
        json_decref(targets);
        return -1;
    }
    const char *opid;
    if (sd_op_new(c, "UPDATE_SERVICE", targets, NULL, NULL, &opid)) return -1;
    *out = svc_out(c, json_pack("{s:s}", "OperationId", opid));
    return 0;
}

/* ---- tags (namespaces and services) ---- */

/* The namespace or service an ARN names: 0 with *doc, *kind, *id, or -1. */
static int tag_target(call *c, const char *arn, const char *action, json_t **doc, const char **kind,
                      const char **id)
{
    const char *slash = strrchr(arn, '/');
    const char *ns = strstr(arn, ":namespace/"), *sv = strstr(arn, ":service/");
    if (!slash || (!ns && !sv) || strncmp(arn, "arn:", 4))
        return ferr_set(c->err, 400, "ResourceNotFoundException", "Resource %s not found.", arn);
    *kind = ns ? SD_NS_KIND : SD_SVC_KIND;
    *id = slash + 1;
    const char *mine = sd_arn(c, ns ? "namespace" : "service", *id);
    if (!mine) return -1;
    if (sd_authorize(c, action, arn)) return -1;
    int rc = strcmp(mine, arn) ? 0 : sd_get(c, *kind, *id, doc);
    if (rc < 0) return -1;
    if (!rc)
        return ferr_set(c->err, 400, "ResourceNotFoundException", "Resource %s not found.", arn);
    return 0;
}

int servicediscovery_op_tag_resource(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    const char *kind, *id, *arn = jstr(in, "ResourceARN");
    if (tag_target(c, arn, "servicediscovery:TagResource", &doc, &kind, &id)) return -1;
    if (jtags_merge(doc, json_object_get(in, "Tags"))) return ferr_oom(c->err);
    if (sd_tags_check(c, json_object_get(doc, "Tags"), arn) || sd_put(c, kind, id, doc)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int servicediscovery_op_untag_resource(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    const char *kind, *id;
    if (tag_target(c, jstr(in, "ResourceARN"), "servicediscovery:UntagResource", &doc, &kind, &id))
        return -1;
    jtags_remove(doc, json_object_get(in, "TagKeys"));
    if (sd_put(c, kind, id, doc)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int servicediscovery_op_list_tags_for_resource(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    const char *kind, *id;
    if (tag_target(c, jstr(in, "ResourceARN"), "servicediscovery:ListTagsForResource", &doc, &kind,
                   &id))
        return -1;
    json_t *tags = json_object_get(doc, "Tags");
    *out = svc_out(c, tags ? json_pack("{s:O}", "Tags", tags) : json_pack("{s:[]}", "Tags"));
    return 0;
}
