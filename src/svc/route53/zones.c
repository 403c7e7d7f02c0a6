/* Hosted zones: create, get, list, delete; VPC associations and the cross-account
 * authorizations; tags of zones and health checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "route53_int.h"
#include "svc/ec2/ec2.h"

static const char *zone_arn(call *c, const char *id)
{
    return route53_arn(c, "hostedzone", id);
}

/* The caller may act on its own zone id: 1 (*doc), 0/-1 with c->err. */
/* route53_norm_name for a zone's name: AWS refuses a bad one as InvalidDomainName (its
 * message kept; an internal failure stays what it is). */
static const char *zone_name(call *c, const char *name)
{
    const char *n = route53_norm_name(c, name);
    if (!n && c->err->status == 400) {
        char m[sizeof(c->err->message)];
        snprintf(m, sizeof(m), "%s", c->err->message);
        ferr_set(c->err, 400, "InvalidDomainName", "%s", m);
    }
    return n;
}

static int own_zone(call *c, const char *action, const char *id, json_t **doc)
{
    int rc = route53_zone_load(c, id, doc, NULL);
    if (rc <= 0) return -1;
    call_resource(c, "AWS::Route53::HostedZone", jstr(*doc, "Id"));
    return call_authorize(c, action, zone_arn(c, jstr(*doc, "Id"))) ? -1 : 1;
}

static const char *name_servers[] = {"ns-1536.awsdns-00.co.uk.", "ns-0.awsdns-00.com.",
                                     "ns-1024.awsdns-00.org.", "ns-512.awsdns-00.net."};

static json_t *delegation(void)
{
    json_t *ns = json_array();
    for (size_t i = 0; ns && i < 4; i++)
        if (json_array_append_new(ns, json_string(name_servers[i]))) {
            json_decref(ns);
            return NULL;
        }
    return ns ? json_pack("{s:o}", "NameServers", ns) : NULL;
}

/* The VPC exists in region: 0 (owner out), -1 with InvalidVPCId. */
static int vpc_check(call *c, const json_t *vpc, char owner[13])
{
    const char *id = jstr(vpc, "VPCId"), *region = jstr(vpc, "VPCRegion");
    if (!id || !region)
        return route53_invalid_input(c, "Invalid request: VPCId and VPCRegion are required");
    int rc = ec2_vpc_find(c->txn, region, id, owner, c->err);
    if (rc < 0) return -1;
    if (!rc)
        return ferr_set(c->err, 400, "InvalidVPCId", "The VPC ID '%s' is not valid in region %s",
                        id, region);
    return 0;
}

static int vpc_eq(const json_t *a, const json_t *b)
{
    const char *ai = jstr(a, "VPCId"), *bi = jstr(b, "VPCId");
    const char *ar = jstr(a, "VPCRegion"), *br = jstr(b, "VPCRegion");
    return ai && bi && ar && br && !strcmp(ai, bi) && !strcmp(ar, br);
}

typedef struct conflict_ud {
    const char *name;
    const json_t *vpc;
    int found;
} conflict_ud;

static int conflict_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    conflict_ud *u = ud;
    if (!jbool(doc, "Private", 0) || strcmp(jstr(doc, "Name"), u->name)) return 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(doc, "VPCs"), i, v)
        if (vpc_eq(v, u->vpc)) u->found = 1;
    return u->found;
}

/* AWS: a VPC has at most one private zone of a name (ConflictingDomainExists). */
static int vpc_conflict(call *c, const char *name, const json_t *vpc)
{
    conflict_ud u = {name, vpc, 0};
    if (store_list(c->txn, R53_ZONE_KIND, NULL, "", NULL, NULL, 0, conflict_cb, &u, c->err) < 0)
        return -1;
    if (u.found)
        return ferr_set(c->err, 400, "ConflictingDomainExists",
                        "The VPC %s in %s region has already been associated with the hosted zone "
                        "with the same domain name.",
                        jstr(vpc, "VPCId"), jstr(vpc, "VPCRegion"));
    return 0;
}

int route53_op_create_hosted_zone(call *c, json_t *in, json_t **out)
{
    const char *ref = jstr(in, "CallerReference");
    const json_t *cfg = json_object_get(in, "HostedZoneConfig");
    const json_t *vpc = json_object_get(in, "VPC");
    int priv = jbool(cfg, "PrivateZone", 0) || vpc;
    if (call_authorize(c, "route53:CreateHostedZone", "*")) return -1;
    const char *name = zone_name(c, jstr(in, "Name"));
    if (!name) return -1;
    if (!strchr(name, '.') || !strcmp(name, "."))
        return ferr_set(c->err, 400, "InvalidDomainName", "%s is reserved by AWS!", name);
    if (jbool(cfg, "PrivateZone", 0) && !vpc)
        return route53_invalid_input(c, "When you're creating a private hosted zone (when you "
                                        "specify true for PrivateZone), you must also specify "
                                        "values for VPCId and VPCRegion.");
    if (jstr(in, "DelegationSetId") && priv)
        return ferr_set(c->err, 400, "InvalidInput",
                        "A private hosted zone cannot use a reusable delegation set.");
    store_key rk = {R53_REF_KIND, c->account, "", arena_printf(c->a, "zone/%s", ref)};
    json_t *old = NULL;
    int rc = store_get(c->txn, &rk, &old, c->err);
    json_decref(old);
    if (rc < 0) return -1;
    if (rc)
        return ferr_set(c->err, 409, "HostedZoneAlreadyExists",
                        "A hosted zone has already been created with the specified caller "
                        "reference.");
    char owner[13] = "";
    if (vpc) {
        if (vpc_check(c, vpc, owner)) return -1;
        /* AWS: the VPC of CreateHostedZone is one the caller's account can use */
        if (strcmp(owner, c->account))
            return ferr_set(c->err, 401, "NotAuthorizedException",
                            "The VPC: %s has not authorized to associate with your hosted zone.",
                            jstr(vpc, "VPCId"));
        if (vpc_conflict(c, name, vpc)) return -1;
    }
    char id[24];
    route53_id("Z", id);
    json_t *zone = json_pack("{s:s, s:s, s:s, s:b, s:[], s:{}, s:[], s:f}", "Id", id, "Name", name,
                             "CallerReference", ref, "Private", priv, "VPCs", "Tags", "Records",
                             "Created", clock_now());
    if (!zone || !arena_defer_json(c->a, zone)) return ferr_oom(c->err);
    if ((jstr(cfg, "Comment") && jset_str(zone, "Comment", jstr(cfg, "Comment"))) ||
        (vpc && json_array_append_new(json_object_get(zone, "VPCs"),
                                      json_pack("{s:s, s:s}", "VPCRegion", jstr(vpc, "VPCRegion"),
                                                "VPCId", jstr(vpc, "VPCId")))))
        return ferr_oom(c->err);
    const json_t *ls = json_object_get(in, "LinkedService");
    if (c->caller == CALLER_INTERNAL && json_is_object(ls) &&
        json_object_set(zone, "LinkedService", (json_t *)ls))
        return ferr_oom(c->err);
    if (route53_records_init(c, zone) || route53_zone_save(c, c->account, zone)) return -1;
    json_t *refdoc = json_pack("{s:s}", "Id", id);
    rc = refdoc ? store_put(c->txn, &rk, refdoc, c->err) : ferr_oom(c->err);
    json_decref(refdoc);
    if (rc) return -1;
    call_resource(c, "AWS::Route53::HostedZone", id);
    json_t *ci = route53_change_new(c, NULL);
    if (!ci) return -1;
    json_t *o =
        json_pack("{s:O, s:O, s:s+}", "HostedZone", route53_zone_shape(c, zone), "ChangeInfo", ci,
                  "Location", "https://route53.amazonaws.com/2013-04-01/hostedzone/", id);
    if (o && !priv && json_object_set_new(o, "DelegationSet", delegation())) {
        json_decref(o);
        o = NULL;
    }
    if (o && vpc && json_object_set_new(o, "VPC", json_deep_copy(vpc))) {
        json_decref(o);
        o = NULL;
    }
    *out = svc_out(c, o);
    return 0;
}

int route53_op_get_hosted_zone(call *c, json_t *in, json_t **out)
{
    json_t *z;
    if (own_zone(c, "route53:GetHostedZone", jstr(in, "Id"), &z) < 0) return -1;
    json_t *o = json_pack("{s:O}", "HostedZone", route53_zone_shape(c, z));
    int bad = !o;
    if (o && jbool(z, "Private", 0))
        bad = json_object_set(o, "VPCs", json_object_get(z, "VPCs"));
    else if (o)
        bad = json_object_set_new(o, "DelegationSet", delegation());
    if (bad) {
        json_decref(o);
        o = NULL;
    }
    *out = svc_out(c, o);
    return 0;
}

typedef struct list_ud {
    call *c;
    json_t *all;
} list_ud;

static int list_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    list_ud *u = ud;
    if (json_array_append_new(u->all, json_incref(doc))) u->c->oom = 1;
    return 0;
}

static int zone_order(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int r = route53_name_cmp(jstr(x, "Name"), jstr(y, "Name"));
    if (!r) {
        /* AWS lists names as their labels read from the right, e.g. com.example. */
        r = strcmp(jstr(x, "Id"), jstr(y, "Id"));
    }
    return r;
}

/* The caller's zones, sorted by name then id (arena). */
static json_t *own_zones(call *c)
{
    json_t *all = json_array();
    if (!all || !arena_defer_json(c->a, all)) {
        ferr_oom(c->err);
        return NULL;
    }
    list_ud u = {c, all};
    if (store_list(c->txn, R53_ZONE_KIND, c->account, "", NULL, NULL, 0, list_cb, &u, c->err) < 0)
        return NULL;
    size_t n = json_array_size(all);
    json_t **v = arena_alloc(c->a, (n + 1) * sizeof(*v));
    if (!v) {
        ferr_oom(c->err);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) v[i] = json_array_get(all, i);
    qsort(v, n, sizeof(*v), zone_order);
    json_t *s = json_array();
    for (size_t i = 0; s && i < n; i++)
        if (json_array_append(s, v[i])) c->oom = 1;
    if (!s || !arena_defer_json(c->a, s)) {
        ferr_oom(c->err);
        return NULL;
    }
    return s;
}

static long long max_items(json_t *in)
{
    const char *m = jstr(in, "MaxItems");
    long long n = m ? atoll(m) : 100;
    return n <= 0 ? 100 : n > R53_MAX_ITEMS ? R53_MAX_ITEMS : n;
}

int route53_op_list_hosted_zones(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "route53:ListHostedZones", "*")) return -1;
    json_t *all = own_zones(c);
    if (!all) return -1;
    const char *marker = jstr(in, "Marker"), *type = jstr(in, "HostedZoneType");
    long long max = max_items(in);
    json_t *zones = json_array(), *o = json_object();
    if (!arena_defer_json(c->a, zones) || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    int started = !marker, truncated = 0;
    size_t i;
    json_t *z;
    json_array_foreach(all, i, z) {
        if (!started && !strcmp(jstr(z, "Id"), route53_bare_id(marker))) started = 1;
        if (!started) continue;
        if (type && !strcmp(type, "PrivateHostedZone") && !jbool(z, "Private", 0)) continue;
        if ((long long)json_array_size(zones) == max) {
            truncated = 1;
            if (jset_str(o, "NextMarker", jstr(z, "Id"))) c->oom = 1;
            break;
        }
        if (json_array_append(zones, route53_zone_shape(c, z))) c->oom = 1;
    }
    if (json_object_set(o, "HostedZones", zones) ||
        json_object_set_new(o, "IsTruncated", json_boolean(truncated)) ||
        json_object_set_new(o, "MaxItems", json_sprintf("%lld", max)) ||
        (marker && jset_str(o, "Marker", marker)))
        c->oom = 1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

int route53_op_list_hosted_zones_by_name(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "route53:ListHostedZonesByName", "*")) return -1;
    json_t *all = own_zones(c);
    if (!all) return -1;
    const char *dns = jstr(in, "DNSName"), *hzid = jstr(in, "HostedZoneId");
    const char *start = dns ? zone_name(c, dns) : NULL;
    if (dns && !start) return -1;
    if (hzid && !dns)
        return route53_invalid_input(c, "Invalid request: HostedZoneId requires DNSName");
    long long max = max_items(in);
    json_t *zones = json_array(), *o = json_object();
    if (!arena_defer_json(c->a, zones) || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    size_t i;
    json_t *z;
    int truncated = 0;
    json_array_foreach(all, i, z) {
        if (start) {
            int r = route53_name_cmp(jstr(z, "Name"), start);
            if (r < 0 || (!r && hzid && strcmp(jstr(z, "Id"), route53_bare_id(hzid)) < 0)) continue;
        }
        if ((long long)json_array_size(zones) == max) {
            truncated = 1;
            if (jset_str(o, "NextDNSName", jstr(z, "Name")) ||
                jset_str(o, "NextHostedZoneId", jstr(z, "Id")))
                c->oom = 1;
            break;
        }
        if (json_array_append(zones, route53_zone_shape(c, z))) c->oom = 1;
    }
    if (json_object_set(o, "HostedZones", zones) ||
        json_object_set_new(o, "IsTruncated", json_boolean(truncated)) ||
        json_object_set_new(o, "MaxItems", json_sprintf("%lld", max)) ||
        (dns && jset_str(o, "DNSName", dns)) || (hzid && jset_str(o, "HostedZoneId", hzid)))
        c->oom = 1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

int route53_op_get_hosted_zone_count(call *c, json_t *in, json_t **out)
{
    (void)in;
    if (call_authorize(c, "route53:GetHostedZoneCount", "*")) return -1;
    json_t *all = own_zones(c);
    if (!all) return -1;
    *out = svc_out(c, json_pack("{s:I}", "HostedZoneCount", (json_int_t)json_array_size(all)));
    return 0;
}

int route53_op_update_hosted_zone_comment(call *c, json_t *in, json_t **out)
{
    json_t *z;
    if (own_zone(c, "route53:UpdateHostedZoneComment", jstr(in, "Id"), &z) < 0) return -1;
    const char *cm = jstr(in, "Comment");
    if (cm ? jset_str(z, "Comment", cm) : json_object_del(z, "Comment") * 0)
        return ferr_oom(c->err);
    if (route53_zone_save(c, c->account, z)) return -1;
    *out = svc_out(c, json_pack("{s:O}", "HostedZone", route53_zone_shape(c, z)));
    return 0;
}

int route53_op_delete_hosted_zone(call *c, json_t *in, json_t **out)
{
    json_t *z;
    if (own_zone(c, "route53:DeleteHostedZone", jstr(in, "Id"), &z) < 0) return -1;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(z, "Records"), i, r) {
        const char *t = jstr(r, "Type");
        if (strcmp(jstr(r, "Name"), jstr(z, "Name")) || (strcmp(t, "SOA") && strcmp(t, "NS")))
            return ferr_set(c->err, 400, "HostedZoneNotEmpty",
                            "The specified hosted zone contains non-required resource record "
                            "sets  and so cannot be deleted.");
    }
    store_key k = {R53_ZONE_KIND, c->account, "", jstr(z, "Id")};
    store_key rk = {R53_REF_KIND, c->account, "",
                    arena_printf(c->a, "zone/%s", jstr(z, "CallerReference"))};
    if (store_del(c->txn, &k, c->err) < 0 || store_del(c->txn, &rk, c->err) < 0) return -1;
    json_t *ci = route53_change_new(c, NULL);
    if (!ci) return -1;
    *out = svc_out(c, json_pack("{s:O}", "ChangeInfo", ci));
    return 0;
}

/* ---- VPC associations ---- */

static const char *auth_id(call *c, const char *zone, const json_t *vpc)
{
    return arena_printf(c->a, "%s/%s/%s", zone, jstr(vpc, "VPCRegion"), jstr(vpc, "VPCId"));
}

/* The zone of in's HostedZoneId, in whichever account (the VPC's owner acts on another
 * account's zone), authorized for action: 0 (*z, *owner) or -1. */
static int any_zone(call *c, const char *action, json_t *in, json_t **z, const char **owner)
{
    if (route53_zone_load(c, jstr(in, "HostedZoneId"), z, owner) <= 0) return -1;
    call_resource(c, "AWS::Route53::HostedZone", jstr(*z, "Id"));
    return call_authorize(c, action, zone_arn(c, jstr(*z, "Id")));
}

int route53_op_associate_vpc_with_hosted_zone(call *c, json_t *in, json_t **out)
{
    json_t *z;
    const char *owner;
    const json_t *vpc = json_object_get(in, "VPC");
    if (any_zone(c, "route53:AssociateVPCWithHostedZone", in, &z, &owner)) return -1;
    char vowner[13] = "";
    if (vpc_check(c, vpc, vowner)) return -1;
    if (strcmp(owner, c->account) || strcmp(vowner, c->account)) {
        /* AWS: across accounts the VPC's owner associates, after the zone's owner authorized
         * it (CreateVPCAssociationAuthorization) */
        json_t *a = NULL;
        store_key k = {R53_AUTH_KIND, owner, "", auth_id(c, jstr(z, "Id"), vpc)};
        int got = strcmp(vowner, c->account) ? 0 : store_get(c->txn, &k, &a, c->err);
        json_decref(a);
        if (got < 0) return -1;
        if (!got)
            return ferr_set(c->err, 401, "NotAuthorizedException",
                            "The VPC: %s has not authorized to associate with your hosted zone.",
                            jstr(vpc, "VPCId"));
    }
    if (!jbool(z, "Private", 0))
        return ferr_set(c->err, 400, "PublicZoneVPCAssociation",
                        "You're trying to associate a VPC with a public hosted zone. Amazon Route "
                        "53 doesn't support associating a VPC with a public hosted zone.");
    json_t *vpcs = json_object_get(z, "VPCs");
    size_t i;
    json_t *v;
    json_array_foreach(vpcs, i, v)
        if (vpc_eq(v, vpc))
            return ferr_set(c->err, 400, "ConflictingDomainExists",
                            "The VPC %s in %s region has already been associated with the hosted "
                            "zone %s with the "
                            "same domain name.",
                            jstr(vpc, "VPCId"), jstr(vpc, "VPCRegion"), jstr(z, "Id"));
    if (vpc_conflict(c, jstr(z, "Name"), vpc)) return -1;
    if (json_array_append_new(vpcs, json_pack("{s:s, s:s}", "VPCRegion", jstr(vpc, "VPCRegion"),
                                              "VPCId", jstr(vpc, "VPCId"))))
        return ferr_oom(c->err);
    if (route53_zone_save(c, owner, z)) return -1;
    json_t *ci = route53_change_new_in(c, owner, jstr(in, "Comment"));
    if (!ci) return -1;
    *out = svc_out(c, json_pack("{s:O}", "ChangeInfo", ci));
    return 0;
}

int route53_op_disassociate_vpc_from_hosted_zone(call *c, json_t *in, json_t **out)
{
    json_t *z;
    const char *owner;
    const json_t *vpc = json_object_get(in, "VPC");
    if (any_zone(c, "route53:DisassociateVPCFromHostedZone", in, &z, &owner)) return -1;
    json_t *vpcs = json_object_get(z, "VPCs");
    size_t i, at = (size_t)-1;
    json_t *v;
    json_array_foreach(vpcs, i, v)
        if (vpc_eq(v, vpc)) at = i;
    char vowner[13] = "";
    if (strcmp(owner, c->account)) {
        /* the VPC's owner may take its VPC back from another account's zone */
        int f = ec2_vpc_find(c->txn, jstr(vpc, "VPCRegion") ? jstr(vpc, "VPCRegion") : "",
                             jstr(vpc, "VPCId") ? jstr(vpc, "VPCId") : "", vowner, c->err);
        if (f < 0) return -1;
        if (!f || strcmp(vowner, c->account))
            return ferr_set(c->err, 404, "NoSuchHostedZone", "No hosted zone found with ID: %s",
                            jstr(z, "Id"));
    }
    if (at == (size_t)-1)
        return ferr_set(c->err, 404, "VPCAssociationNotFound",
                        "The specified VPC and hosted zone are not currently associated.");
    if (json_array_size(vpcs) == 1)
        return ferr_set(c->err, 400, "LastVPCAssociation",
                        "The VPC that you're trying to disassociate from the private hosted zone "
                        "is the last VPC that is associated with the hosted zone. Amazon Route 53 "
                        "doesn't support disassociating the last VPC from a hosted zone.");
    if (json_array_remove(vpcs, at) || route53_zone_save(c, owner, z)) return -1;
    json_t *ci = route53_change_new_in(c, owner, jstr(in, "Comment"));
    if (!ci) return -1;
    *out = svc_out(c, json_pack("{s:O}", "ChangeInfo", ci));
    return 0;
}

int route53_op_create_vpc_association_authorization(call *c, json_t *in, json_t **out)
{
    json_t *z;
    const json_t *vpc = json_object_get(in, "VPC");
    if (own_zone(c, "route53:CreateVPCAssociationAuthorization", jstr(in, "HostedZoneId"), &z) < 0)
        return -1;
    if (!jstr(vpc, "VPCId") || !jstr(vpc, "VPCRegion"))
        return route53_invalid_input(c, "Invalid request: VPCId and VPCRegion are required");
    if (!jbool(z, "Private", 0))
        return ferr_set(c->err, 400, "InvalidInput",
                        "You can't authorize associating a VPC with a public hosted zone.");
    store_key k = {R53_AUTH_KIND, c->account, "", auth_id(c, jstr(z, "Id"), vpc)};
    json_t *d = json_pack("{s:s, s:s, s:s}", "HostedZoneId", jstr(z, "Id"), "VPCRegion",
                          jstr(vpc, "VPCRegion"), "VPCId", jstr(vpc, "VPCId"));
    int rc = d ? store_put(c->txn, &k, d, c->err) : ferr_oom(c->err);
    json_decref(d);
    if (rc) return -1;
    *out = svc_out(c, json_pack("{s:s, s:{s:s, s:s}}", "HostedZoneId", jstr(z, "Id"), "VPC",
                                "VPCRegion", jstr(vpc, "VPCRegion"), "VPCId", jstr(vpc, "VPCId")));
    return 0;
}

int route53_op_delete_vpc_association_authorization(call *c, json_t *in, json_t **out)
{
    json_t *z;
    const json_t *vpc = json_object_get(in, "VPC");
    if (own_zone(c, "route53:DeleteVPCAssociationAuthorization", jstr(in, "HostedZoneId"), &z) < 0)
        return -1;
    store_key k = {R53_AUTH_KIND, c->account, "", auth_id(c, jstr(z, "Id"), vpc)};
    int rc = store_del(c->txn, &k, c->err);
    if (rc < 0) return -1;
    if (!rc)
        return ferr_set(c->err, 404, "VPCAssociationAuthorizationNotFound",
                        "The VPC %s in %s region is not authorized to be associated with the "
                        "hosted zone %s.",
                        jstr(vpc, "VPCId"), jstr(vpc, "VPCRegion"), jstr(z, "Id"));
    *out = svc_out(c, json_object());
    return 0;
}

static int auth_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    list_ud *u = ud;
    if (json_array_append_new(u->all, json_pack("{s:s, s:s}", "VPCRegion", jstr(doc, "VPCRegion"),
                                                "VPCId", jstr(doc, "VPCId"))))
        u->c->oom = 1;
    return 0;
}

int route53_op_list_vpc_association_authorizations(call *c, json_t *in, json_t **out)
{
    json_t *z;
    if (own_zone(c, "route53:ListVPCAssociationAuthorizations", jstr(in, "HostedZoneId"), &z) < 0)
        return -1;
    json_t *all = json_array();
    if (!all || !arena_defer_json(c->a, all)) return ferr_oom(c->err);
    list_ud u = {c, all};
    const char *prefix = arena_printf(c->a, "%s/", jstr(z, "Id"));
    if (store_list(c->txn, R53_AUTH_KIND, c->account, "", prefix, NULL, 0, auth_cb, &u, c->err) < 0)
        return -1;
    json_t *o = json_pack("{s:s}", "HostedZoneId", jstr(z, "Id"));
    if (!o || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    const char *mr = jstr(in, "MaxResults");
    if (svc_page(c, all, jstr(in, "NextToken"), mr ? atoll(mr) : 50, o, "VPCs", "NextToken",
                 "InvalidPaginationToken"))
        return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

typedef struct byvpc_ud {
    call *c;
    const char *vpc, *region;
    json_t *all;
} byvpc_ud;

static int byvpc_cb(void *ud, const store_key *k, json_t *doc)
{
    byvpc_ud *u = ud;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(doc, "VPCs"), i, v) {
        if (strcmp(jstr(v, "VPCId"), u->vpc) || strcmp(jstr(v, "VPCRegion"), u->region)) continue;
        const char *svc = jstr(json_object_get(doc, "LinkedService"), "ServicePrincipal");
        json_t *owner = svc ? json_pack("{s:s}", "OwningService", svc)
                            : json_pack("{s:s}", "OwningAccount", k->account);
        if (json_array_append_new(u->all,
                                  json_pack("{s:s, s:s, s:o}", "HostedZoneId", jstr(doc, "Id"),
                                            "Name", jstr(doc, "Name"), "Owner", owner)))
            u->c->oom = 1;
    }
    return 0;
}

int route53_op_list_hosted_zones_by_vpc(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "route53:ListHostedZonesByVPC", "*")) return -1;
    const char *id = jstr(in, "VPCId"), *region = jstr(in, "VPCRegion");
    char owner[13] = "";
    int rc = ec2_vpc_find(c->txn, region, id, owner, c->err);
    if (rc < 0) return -1;
    /* AWS: the caller lists the zones associated with a VPC of its own account */
    if (!rc || strcmp(owner, c->account))
        return ferr_set(c->err, 400, "InvalidInput",
                        "Invalid request: the VPC %s in %s does not belong to your account", id,
                        region);
    json_t *all = json_array();
    if (!all || !arena_defer_json(c->a, all)) return ferr_oom(c->err);
    byvpc_ud u = {c, id, region, all};
    if (store_list(c->txn, R53_ZONE_KIND, NULL, "", NULL, NULL, 0, byvpc_cb, &u, c->err) < 0)
        return -1;
    json_t *o = json_object();
    if (!o || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    const char *mi = jstr(in, "MaxItems");
    long long max = mi ? atoll(mi) : 100;
    if (svc_page(c, all, jstr(in, "NextToken"), max, o, "HostedZoneSummaries", "NextToken",
                 "InvalidPaginationToken") ||
        json_object_set_new(o, "MaxItems", json_sprintf("%lld", max)))
        return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

/* ---- tags ---- */

/* The document holding the resource's tags, authorized for the call's own action: 1 (*doc,
 * *k), 0/-1 with c->err. */
static int tagged(call *c, const char *type, const char *id, json_t **doc, store_key *k)
{
    const char *action = arena_printf(c->a, "route53:%s", c->op);
    if (!action) return ferr_oom(c->err);
    id = route53_bare_id(id);
    if (!strcmp(type, "hostedzone")) {
        if (own_zone(c, action, id, doc) < 0) return -1;
        *k = (store_key){R53_ZONE_KIND, c->account, "", jstr(*doc, "Id")};
        return 1;
    }
    if (!strcmp(type, "healthcheck")) {
        if (route53_hc_load(c, action, id, doc)) return -1;
        *k = (store_key){R53_HC_KIND, c->account, "", id};
        return 1;
    }
    return route53_invalid_input(c, "Invalid request: resource type %s is not supported", type);
}

int route53_op_change_tags_for_resource(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    store_key k;
    if (tagged(c, jstr(in, "ResourceType"), jstr(in, "ResourceId"), &doc, &k) < 0) return -1;
    json_t *tags = json_object_get(doc, "Tags");
    if (!tags && json_object_set_new(doc, "Tags", tags = json_object())) return ferr_oom(c->err);
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(in, "RemoveTagKeys"), i, t)
        json_object_del(tags, json_string_value(t));
    json_array_foreach(json_object_get(in, "AddTags"), i, t) {
        if (!jstr(t, "Key")) continue;
        if (json_object_set_new(tags, jstr(t, "Key"),
                                json_string(jstr(t, "Value") ? jstr(t, "Value") : "")))
            return ferr_oom(c->err);
    }
    if (json_object_size(tags) > 50)
        return ferr_set(c->err, 400, "InvalidInput",
                        "Invalid request: a resource can have at most 50 tags");
    if (store_put(c->txn, &k, doc, c->err)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int route53_op_list_tags_for_resource(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    store_key k;
    if (tagged(c, jstr(in, "ResourceType"), jstr(in, "ResourceId"), &doc, &k) < 0) return -1;
    json_t *tags = json_array();
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(doc, "Tags"), key, v) {
        if (json_array_append_new(tags, json_pack("{s:s, s:O}", "Key", key, "Value", v)))
            c->oom = 1;
    }
    *out = svc_out(c, json_pack("{s:{s:s, s:s, s:o}}", "ResourceTagSet", "ResourceType",
                                jstr(in, "ResourceType"), "ResourceId", k.id, "Tags", tags));
    return 0;
}
