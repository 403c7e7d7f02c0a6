/* Namespaces: HTTP, private DNS (a Route 53 private hosted zone associated with the VPC)
 * and public DNS (a public hosted zone). Creating, updating and deleting answer an
 * operation (operations.c). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "servicediscovery_int.h"

static const char *lower(call *c, const char *s)
{
    char *l = arena_strdup(c->a, s);
    if (!l) return ferr_oom(c->err), NULL;
    for (char *p = l; *p; p++) *p = (char)tolower((unsigned char)*p);
    size_t n = strlen(l);
    if (n > 1 && l[n - 1] == '.') l[n - 1] = 0;
    return l;
}

/* AWS: a second create of a name answers the first one's operation when it carries the same
 * CreatorRequestId (a retry), NamespaceAlreadyExists naming the namespace otherwise.
 * 1 (answered), 0 (no such namespace), -1. */
static int existing(call *c, const char *name, const char *creator, json_t **out)
{
    const char *id;
    int rc = sd_ns_by_name(c->txn, c->a, c->account, c->region, name, &id, c->err);
    if (rc <= 0) return rc;
    json_t *ns;
    if ((rc = sd_get(c, SD_NS_KIND, id, &ns)) <= 0) return rc;
    const char *was = jstr(ns, "CreatorRequestId");
    if (creator && was && !strcmp(creator, was)) {
        *out = svc_out(c, json_pack("{s:s}", "OperationId", jstr(ns, "OperationId")));
        return 1;
    }
    ferr_set(c->err, 400, "NamespaceAlreadyExists", "Namespace already exists with ID: %s", id);
    return sd_err_members(c, json_pack("{s:s, s:s?}", "NamespaceId", id, "CreatorRequestId", was));
}

static int create_ns(call *c, json_t *in, json_t **out, const char *type, const char *action)
{
    const char *name = jstr(in, "Name"), *creator = jstr(in, "CreatorRequestId");
    const char *vpc = jstr(in, "Vpc");
    if (call_authorize(c, action, "*")) return -1;
    int rc = existing(c, name, creator, out);
    if (rc) return rc < 0 ? -1 : 0;
    const json_t *tags = json_object_get(in, "Tags");
    const char *id = sd_new_id(c, "ns"), *arn = id ? sd_arn(c, "namespace", id) : NULL;
    if (!arn || sd_tags_check(c, tags, arn)) return -1;
    call_resource(c, "AWS::ServiceDiscovery::Namespace", arn);
    json_t *dns = json_object(),
           *soa = json_object_get(
               json_object_get(json_object_get(in, "Properties"), "DnsProperties"), "SOA");
    json_t *ns = json_pack("{s:s, s:s, s:s, s:s, s:i, s:{s:o, s:{s:s}}, s:f, s:o}", "Id", id, "Arn",
                           arn, "Name", name, "Type", type, "ServiceCount", 0, "Properties",
                           "DnsProperties", dns, "HttpProperties", "HttpName", name, "CreateDate",
                           clock_now(), "Tags", tags ? json_deep_copy(tags) : json_array());
    if (!ns || !arena_defer_json(c->a, ns)) return ferr_oom(c->err);
    if ((soa && json_object_set(dns, "SOA", (json_t *)soa)) ||
        jset_str(ns, "Description", jstr(in, "Description")) ||
        jset_str(ns, "CreatorRequestId", creator) || jset_str(ns, "Vpc", vpc))
        return ferr_oom(c->err);
    const char *opid, *why = NULL, *zone = "";
    json_t *targets = json_pack("{s:s}", "NAMESPACE", id);
    if (!targets) return ferr_oom(c->err);
    if (strcmp(type, "HTTP")) {
        rc = sd_dns_zone_create(c, ns, vpc, &zone, &why);
        if (rc < 0) {
            json_decref(targets);
            return -1;
        }
        if (rc > 0) {
            /* AWS: the namespace is not made, its operation fails */
            if (sd_op_new(c, "CREATE_NAMESPACE", targets, "CANNOT_CREATE_HOSTED_ZONE", why, &opid))
                return -1;
            *out = svc_out(c, json_pack("{s:s}", "OperationId", opid));
            return 0;
        }
        if (*zone && jset_str(dns, "HostedZoneId", zone)) return ferr_oom(c->err);
    }
    if (sd_op_new(c, "CREATE_NAMESPACE", targets, NULL, NULL, &opid) ||
        jset_str(ns, "OperationId", opid))
        return -1;
    const char *key = lower(c, name);
    json_t *ix = key ? json_pack("{s:s}", "Id", id) : NULL;
    if (!ix || !arena_defer_json(c->a, ix)) return ferr_oom(c->err);
    if (sd_put(c, SD_NS_KIND, id, ns) || sd_put(c, SD_NSNAME_KIND, key, ix)) return -1;
    *out = svc_out(c, json_pack("{s:s}", "OperationId", opid));
    return 0;
}

int servicediscovery_op_create_http_namespace(call *c, json_t *in, json_t **out)
{
    return create_ns(c, in, out, "HTTP", "servicediscovery:CreateHttpNamespace");
}

int servicediscovery_op_create_private_dns_namespace(call *c, json_t *in, json_t **out)
{
    return create_ns(c, in, out, "DNS_PRIVATE", "servicediscovery:CreatePrivateDnsNamespace");
}

int servicediscovery_op_create_public_dns_namespace(call *c, json_t *in, json_t **out)
{
    return create_ns(c, in, out, "DNS_PUBLIC", "servicediscovery:CreatePublicDnsNamespace");
}

/* The Namespace shape (summary: without CreatorRequestId). New reference or NULL. */
static json_t *ns_out(const json_t *ns, int summary)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:O, s:O}", "Id", jstr(ns, "Id"), "Arn",
                          jstr(ns, "Arn"), "Name", jstr(ns, "Name"), "Type", jstr(ns, "Type"),
                          "ServiceCount", (json_int_t)jint(ns, "ServiceCount", 0), "Properties",
                          json_object_get(ns, "Properties"), "CreateDate",
                          json_object_get(ns, "CreateDate"));
    int rc = !o || jset_str(o, "Description", jstr(ns, "Description"));
    if (!rc && !summary) rc = jset_str(o, "CreatorRequestId", jstr(ns, "CreatorRequestId"));
    return jdone(o, rc);
}

int servicediscovery_op_get_namespace(call *c, json_t *in, json_t **out)
{
    json_t *ns;
    if (sd_ns_load(c, jstr(in, "Id"), "servicediscovery:GetNamespace", &ns)) return -1;
    json_t *o = ns_out(ns, 0);
    *out = svc_out(c, o ? json_pack("{s:o}", "Namespace", o) : NULL);
    return 0;
}

static int ns_item(void *ud, const json_t *doc, json_t **item)
{
    const json_t *filters = ud;
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f) {
        const char *name = jstr(f, "Name");
        const char *value =
            !strcmp(name, "TYPE") ? jstr(doc, "Type")
            : !strcmp(name, "NAME")
                ? jstr(doc, "Name")
                : jstr(json_object_get(json_object_get(doc, "Properties"), "HttpProperties"),
                       "HttpName");
        if (!sd_filter_match(f, value)) return 0;
    }
    *item = ns_out(doc, 1);
    return *item ? 0 : -1;
}

int servicediscovery_op_list_namespaces(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "servicediscovery:ListNamespaces", "*")) return -1;
    json_t *filters = json_object_get(in, "Filters");
    size_t i;
    json_t *f;
    /* AWS: TYPE takes EQ or IN, NAME and HTTP_NAME take EQ or BEGINS_WITH */
    json_array_foreach(filters, i, f) {
        if (sd_filter_check(c, f, !strcmp(jstr(f, "Name"), "TYPE") ? "EQ IN" : "EQ BEGINS_WITH"))
            return -1;
    }
    json_t *all = sd_collect(c, SD_NS_KIND, ns_item, filters);
    return all ? sd_page(c, in, all, "Namespaces", out) : -1;
}

int servicediscovery_op_delete_namespace(call *c, json_t *in, json_t **out)
{
    json_t *ns;
    if (sd_ns_load(c, jstr(in, "Id"), "servicediscovery:DeleteNamespace", &ns)) return -1;
    const char *id = jstr(ns, "Id");
    if (jint(ns, "ServiceCount", 0) > 0)
        return ferr_set(c->err, 400, "ResourceInUse",
                        "Namespace %s has services; delete them before deleting the namespace.",
                        id);
    if (strcmp(jstr(ns, "Type"), "HTTP") && sd_dns_zone_delete(c, ns)) return -1;
    const char *key = lower(c, jstr(ns, "Name")), *opid;
    json_t *targets = json_pack("{s:s}", "NAMESPACE", id);
    if (!key || !targets) {
        json_decref(targets);
        return ferr_oom(c->err);
    }
    if (sd_del(c, SD_NS_KIND, id) || sd_del(c, SD_NSNAME_KIND, key) ||
        sd_op_new(c, "DELETE_NAMESPACE", targets, NULL, NULL, &opid))
        return -1;
    *out = svc_out(c, json_pack("{s:s}", "OperationId", opid));
    return 0;
}

static int update_ns(call *c, json_t *in, json_t **out, const char *type, const char *action)
{
    json_t *ns;
    if (sd_ns_load(c, jstr(in, "Id"), action, &ns)) return -1;
    const char *id = jstr(ns, "Id"), *opid;
    if (strcmp(jstr(ns, "Type"), type))
        return sd_invalid(c, "Namespace %s is not of type %s.", id, type);
    const json_t *change = json_object_get(in, "Namespace");
    const json_t *soa = json_object_get(
        json_object_get(json_object_get(change, "Properties"), "DnsProperties"), "SOA");
    json_t *dns = json_object_get(json_object_get(ns, "Properties"), "DnsProperties");
    if (jset_str(ns, "Description", jstr(change, "Description")) ||
        (soa && json_object_set(dns, "SOA", (json_t *)soa)))
        return ferr_oom(c->err);
    json_t *targets = json_pack("{s:s}", "NAMESPACE", id);
    if (!targets) return ferr_oom(c->err);
    if (sd_put(c, SD_NS_KIND, id, ns)) {
        json_decref(targets);
        return -1;
    }
    if (sd_op_new(c, "UPDATE_NAMESPACE", targets, NULL, NULL, &opid)) return -1;
    *out = svc_out(c, json_pack("{s:s}", "OperationId", opid));
    return 0;
}

int servicediscovery_op_update_http_namespace(call *c, json_t *in, json_t **out)
{
    return update_ns(c, in, out, "HTTP", "servicediscovery:UpdateHttpNamespace");
}

int servicediscovery_op_update_private_dns_namespace(call *c, json_t *in, json_t **out)
{
    return update_ns(c, in, out, "DNS_PRIVATE", "servicediscovery:UpdatePrivateDnsNamespace");
}

int servicediscovery_op_update_public_dns_namespace(call *c, json_t *in, json_t **out)
{
    return update_ns(c, in, out, "DNS_PUBLIC", "servicediscovery:UpdatePublicDnsNamespace");
}
