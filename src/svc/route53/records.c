/* Record sets: ChangeResourceRecordSets (one batch, validated whole on a copy of the zone's
 * records and stored in the reply's transaction), ListResourceRecordSets in AWS's order. */
#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "route53_int.h"

#define SOA_VALUE "ns-2048.awsdns-64.net. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"

int route53_records_init(call *c, json_t *zone)
{
    const char *name = jstr(zone, "Name");
    json_t *recs = json_object_get(zone, "Records");
    json_t *ns = json_pack("{s:s, s:s, s:i, s:[{s:s},{s:s},{s:s},{s:s}]}", "Name", name, "Type",
                           "NS", "TTL", 172800, "ResourceRecords", "Value",
                           "ns-1536.awsdns-00.co.uk.", "Value", "ns-0.awsdns-00.com.", "Value",
                           "ns-1024.awsdns-00.org.", "Value", "ns-512.awsdns-00.net.");
    json_t *soa = json_pack("{s:s, s:s, s:i, s:[{s:s}]}", "Name", name, "Type", "SOA", "TTL", 900,
                            "ResourceRecords", "Value", SOA_VALUE);
    if (json_array_append_new(recs, ns) || json_array_append_new(recs, soa))
        return ferr_oom(c->err);
    return 0;
}

static int rec_cmp(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int r = route53_name_cmp(jstr(x, "Name"), jstr(y, "Name"));
    if (!r) r = strcmp(jstr(x, "Type"), jstr(y, "Type"));
    if (!r) {
        const char *sx = jstr(x, "SetIdentifier"), *sy = jstr(y, "SetIdentifier");
        r = strcmp(sx ? sx : "", sy ? sy : "");
    }
    return r;
}

/* the record set's identity, as AWS's messages word it */
static const char *ident(call *c, const json_t *r)
{
    const char *s = jstr(r, "SetIdentifier");
    return s ? arena_printf(c->a, "[name='%s', type='%s', set-identifier='%s']", jstr(r, "Name"),
                            jstr(r, "Type"), s)
             : arena_printf(c->a, "[name='%s', type='%s']", jstr(r, "Name"), jstr(r, "Type"));
}

static int same_set(const json_t *a, const json_t *b)
{
    const char *sa = jstr(a, "SetIdentifier"), *sb = jstr(b, "SetIdentifier");
    return !strcmp(jstr(a, "Name"), jstr(b, "Name")) && !strcmp(jstr(a, "Type"), jstr(b, "Type")) &&
           !strcmp(sa ? sa : "", sb ? sb : "");
}

static long find_set(const json_t *recs, const json_t *r)
{
    size_t i;
    json_t *x;
    json_array_foreach(recs, i, x)
        if (same_set(x, r)) return (long)i;
    return -1;
}

typedef struct batch {
    call *c;
    buf msgs;
    int n;
} batch;

static void complain(batch *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void complain(batch *b, const char *fmt, ...)
{
    char m[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof(m), fmt, ap);
    va_end(ap);
    if ((b->n++ && buf_puts(&b->msgs, ", ")) || buf_puts(&b->msgs, m)) b->c->oom = 1;
}

/* One value of type: AWS's own checks first (its wording), then ldns's parser. */
static void check_value(batch *b, const char *type, const char *v)
{
    unsigned char tmp[16];
    if (!strcmp(type, "A") && inet_pton(AF_INET, v, tmp) != 1) {
        complain(b,
                 "Invalid Resource Record: FATAL problem: ARRDATAIllegalIPv4Address (Value is not "
                 "a valid IPv4 address) encountered with '%s'",
                 v);
        return;
    }
    if (!strcmp(type, "AAAA") && inet_pton(AF_INET6, v, tmp) != 1) {
        complain(b,
                 "Invalid Resource Record: FATAL problem: AAAARRDATAIllegalIPv6Address (Value is "
                 "not a valid IPv6 address) encountered with '%s'",
                 v);
        return;
    }
    if ((!strcmp(type, "TXT") || !strcmp(type, "SPF")) && v[0] != '"') {
        complain(b,
                 "Invalid Resource Record: FATAL problem: InvalidCharacterString (Value should be "
                 "enclosed in quotation marks) encountered with '%s'",
                 v);
        return;
    }
    char *text = arena_printf(b->c->a, "x. 60 IN %s %s", type, v);
    ldns_rr *rr = NULL;
    ldns_status s = text ? ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) : LDNS_STATUS_MEM_ERR;
    if (s != LDNS_STATUS_OK)
        complain(b, "Invalid Resource Record: FATAL problem: %s encountered with '%s'",
                 ldns_get_errorstr_by_id(s), v);
    ldns_rr_free(rr);
}

/* The record set as stored (a new reference), or NULL with c->err (InvalidInput). */
static json_t *normalize(batch *b, const json_t *zone, const json_t *in, const char *action)
{
    call *c = b->c;
    const char *name = route53_norm_name(c, jstr(in, "Name") ? jstr(in, "Name") : "");
    if (!name) return NULL;
    const char *type = jstr(in, "Type");
    const json_t *alias = json_object_get(in, "AliasTarget");
    const json_t *rrs = json_object_get(in, "ResourceRecords");
    int has_ttl = json_object_get(in, "TTL") != NULL;
    if (alias ? (rrs || has_ttl) : (!rrs || !has_ttl)) {
        const char *sid = jstr(in, "SetIdentifier");
        route53_invalid_input(c,
                              "Invalid request: Expected exactly one of [AliasTarget, all of "
                              "[TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found "
                              "%s in Change with [Action=%s, Name=%s, Type=%s, SetIdentifier=%s]",
                              alias ? "more than one" : "none", action, name, type,
                              sid ? sid : "null");
        return NULL;
    }
    json_t *r = json_deep_copy(in);
    if (!r || jset_str(r, "Name", name)) {
        json_decref(r);
        ferr_oom(c->err);
        return NULL;
    }
    if (alias) {
        const char *dn = route53_norm_name(c, jstr(alias, "DNSName") ? jstr(alias, "DNSName") : "");
        json_t *a = json_object_get(r, "AliasTarget");
        if (!dn || jset_str(a, "DNSName", dn) ||
            jset_str(a, "HostedZoneId", route53_bare_id(jstr(alias, "HostedZoneId")))) {
            json_decref(r);
            return NULL;
        }
        if (!json_object_get(a, "EvaluateTargetHealth") &&
            json_object_set_new(a, "EvaluateTargetHealth", json_false())) {
            json_decref(r);
            ferr_oom(c->err);
            return NULL;
        }
    }
    if (!route53_in_zone(name, jstr(zone, "Name"))) {
        complain(b, "RRSet with DNS name %s is not permitted in zone %s", name, jstr(zone, "Name"));
        return r;
    }
    if (!strcmp(action, "DELETE")) return r;
    size_t i;
    json_t *v;
    json_array_foreach(rrs, i, v) check_value(b, type, jstr(v, "Value") ? jstr(v, "Value") : "");
    if (!strcmp(type, "CNAME") && json_array_size(rrs) > 1)
        complain(b,
                 "Invalid Resource Record: FATAL problem: RRSet of type CNAME with DNS name %s "
                 "contains more than one value",
                 name);
    const char *sid = jstr(in, "SetIdentifier");
    int policies = !!json_object_get(in, "Weight") + !!jstr(in, "Failover") +
                   !!json_object_get(in, "MultiValueAnswer") + !!jstr(in, "Region") +
                   !!json_object_get(in, "GeoLocation");
    if (sid && !policies)
        complain(b,
                 "Invalid request: SetIdentifier %s requires a routing policy (Weight, "
                 "Failover, MultiValueAnswer, Region or GeoLocation) in %s",
                 sid, ident(c, r));
    else if (!sid && policies)
        complain(b, "Invalid request: a routing policy requires a SetIdentifier in %s",
                 ident(c, r));
    if (alias && json_object_get(in, "MultiValueAnswer"))
        complain(b, "Invalid request: multivalue answer record sets cannot be aliases in %s",
                 ident(c, r));
    return r;
}

/* What only the whole batch's result can break. */
static void check_sets(batch *b, const json_t *zone, json_t *recs)
{
    const char *apex = jstr(zone, "Name"), *zid = jstr(zone, "Id");
    int soa = 0, ns = 0;
    size_t i, j;
    json_t *r, *x;
    json_array_foreach(recs, i, r) {
        const char *name = jstr(r, "Name"), *type = jstr(r, "Type");
        if (!strcmp(name, apex) && !strcmp(type, "SOA")) soa++;
        if (!strcmp(name, apex) && !strcmp(type, "NS")) ns++;
        if (!strcmp(type, "CNAME") && !strcmp(name, apex))
            complain(b, "RRSet of type CNAME with DNS name %s is not permitted at apex in zone %s",
                     name, apex);
        json_array_foreach(recs, j, x) {
            if (j <= i || strcmp(jstr(x, "Name"), name)) continue;
            const char *t2 = jstr(x, "Type");
            if (strcmp(t2, type) && (!strcmp(type, "CNAME") || !strcmp(t2, "CNAME")))
                complain(b,
                         "RRSet of type CNAME with DNS name %s is not permitted as it conflicts "
                         "with other records with the same DNS name in zone %s",
                         name, apex);
            if (!strcmp(t2, type) && !jstr(x, "SetIdentifier") != !jstr(r, "SetIdentifier"))
                complain(b,
                         "RRSet with DNS name %s, type %s cannot be created as a non-weighted "
                         "set exists with the same name and type.",
                         name, type);
            const char *f1 = jstr(r, "Failover"), *f2 = jstr(x, "Failover");
            if (!strcmp(t2, type) && f1 && f2 && !strcmp(f1, f2))
                complain(b,
                         "Tried to create resource record set %s but a %s failover record set "
                         "already exists with the same name and type",
                         ident(b->c, x), f1);
        }
        const json_t *al = json_object_get(r, "AliasTarget");
        if (al && !strcmp(jstr(al, "HostedZoneId"), zid)) {
            const char *dn = jstr(al, "DNSName");
            if (!route53_in_zone(dn, apex)) {
                complain(b,
                         "Tried to create an alias that targets %s, type %s in zone %s, but the "
                         "alias target name does not lie within the target zone",
                         dn, type, zid);
                continue;
            }
            int found = 0;
            json_array_foreach(recs, j, x)
                if (!strcmp(jstr(x, "Name"), dn) &&
                    (!strcmp(jstr(x, "Type"), type) || !strcmp(jstr(x, "Type"), "CNAME")))
                    found = 1;
            if (!found)
                complain(b,
                         "Tried to create an alias that targets %s, type %s in zone %s, but that "
                         "target was not found",
                         dn, type, zid);
        }
        const char *hc = jstr(r, "HealthCheckId");
        if (hc && route53_hc_exists(b->c, hc) == 0)
            complain(b, "Invalid request: no health check with id %s exists in %s", hc,
                     ident(b->c, r));
    }
    if (soa != 1) complain(b, "A HostedZone must contain exactly one SOA record.");
    if (!ns) complain(b, "A HostedZone must contain at least one NS record for the zone itself.");
}

int route53_records_apply(call *c, json_t *zone, const json_t *changes)
{
    json_t *recs = json_deep_copy(json_object_get(zone, "Records"));
    if (!recs || !arena_defer_json(c->a, recs)) return ferr_oom(c->err);
    batch b = {c, {0}, 0};
    int rc = -1;
    size_t i;
    json_t *ch;
    json_array_foreach(changes, i, ch) {
        const char *action = jstr(ch, "Action");
        json_t *r = normalize(&b, zone, json_object_get(ch, "ResourceRecordSet"), action);
        if (!r) goto out;
        long at = find_set(recs, r);
        if (!strcmp(action, "CREATE")) {
            if (at >= 0)
                complain(&b, "Tried to create resource record set %s but it already exists",
                         ident(c, r));
            else if (json_array_append(recs, r))
                c->oom = 1;
        } else if (!strcmp(action, "DELETE")) {
            if (at < 0)
                complain(&b, "Tried to delete resource record set %s but it was not found",
                         ident(c, r));
            else if (!json_equal(json_array_get(recs, (size_t)at), r))
                complain(&b,
                         "Tried to delete resource record set %s but the values provided do not "
                         "match the current values",
                         ident(c, r));
            else if (json_array_remove(recs, (size_t)at))
                c->oom = 1;
        } else if (at >= 0) {
            if (json_array_set(recs, (size_t)at, r)) c->oom = 1;
        } else if (json_array_append(recs, r)) {
            c->oom = 1;
        }
        json_decref(r);
    }
    if (!b.n) check_sets(&b, zone, recs);
    if (b.n) {
        ferr_set(c->err, 400, "InvalidChangeBatch", "[%s]", buf_str(&b.msgs));
        goto out;
    }
    size_t n = json_array_size(recs);
    json_t **v = arena_alloc(c->a, (n + 1) * sizeof(*v));
    if (!v) {
        ferr_oom(c->err);
        goto out;
    }
    for (i = 0; i < n; i++) v[i] = json_incref(json_array_get(recs, i));
    qsort(v, n, sizeof(*v), rec_cmp);
    json_t *sorted = json_array();
    for (i = 0; i < n; i++)
        if (!sorted || json_array_append_new(sorted, v[i])) c->oom = 1;
    if (!sorted || json_object_set_new(zone, "Records", sorted)) {
        ferr_oom(c->err);
        goto out;
    }
    rc = 0;
out:
    buf_dispose(&b.msgs);
    return rc;
}

int route53_op_change_resource_record_sets(call *c, json_t *in, json_t **out)
{
    json_t *z;
    int rc = route53_zone_load(c, jstr(in, "HostedZoneId"), &z, NULL);
    if (rc <= 0) return -1;
    call_resource(c, "AWS::Route53::HostedZone", jstr(z, "Id"));
    if (call_authorize(c, "route53:ChangeResourceRecordSets",
                       route53_arn(c, "hostedzone", jstr(z, "Id"))))
        return -1;
    const json_t *batch = json_object_get(in, "ChangeBatch");
    if (route53_records_apply(c, z, json_object_get(batch, "Changes")) ||
        route53_zone_save(c, c->account, z))
        return -1;
    json_t *ci = route53_change_new(c, jstr(batch, "Comment"));
    if (!ci) return -1;
    *out = svc_out(c, json_pack("{s:O}", "ChangeInfo", ci));
    return 0;
}

int route53_op_list_resource_record_sets(call *c, json_t *in, json_t **out)
{
    json_t *z;
    int rc = route53_zone_load(c, jstr(in, "HostedZoneId"), &z, NULL);
    if (rc <= 0) return -1;
    if (call_authorize(c, "route53:ListResourceRecordSets",
                       route53_arn(c, "hostedzone", jstr(z, "Id"))))
        return -1;
    const char *sn = jstr(in, "StartRecordName"), *st = jstr(in, "StartRecordType");
    const char *si = jstr(in, "StartRecordIdentifier");
    if (st && !sn)
        return route53_invalid_input(c, "The input is not valid: StartRecordType requires "
                                        "StartRecordName");
    const char *start = sn ? route53_norm_name(c, sn) : NULL;
    if (sn && !start) return -1;
    const char *mi = jstr(in, "MaxItems");
    long long max = mi ? atoll(mi) : R53_MAX_ITEMS;
    if (max <= 0 || max > R53_MAX_ITEMS) max = R53_MAX_ITEMS;
    json_t *sets = json_array(), *o = json_object();
    if (!arena_defer_json(c->a, sets) || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    int truncated = 0;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(z, "Records"), i, r) {
        if (start) {
            int k = route53_name_cmp(jstr(r, "Name"), start);
            if (!k && st) k = strcmp(jstr(r, "Type"), st);
            if (!k && st && si) {
                const char *s = jstr(r, "SetIdentifier");
                k = strcmp(s ? s : "", si);
            }
            if (k < 0) continue;
        }
        if ((long long)json_array_size(sets) == max) {
            truncated = 1;
            if (jset_str(o, "NextRecordName", jstr(r, "Name")) ||
                jset_str(o, "NextRecordType", jstr(r, "Type")) ||
                (jstr(r, "SetIdentifier") &&
                 jset_str(o, "NextRecordIdentifier", jstr(r, "SetIdentifier"))))
                c->oom = 1;
            break;
        }
        if (json_array_append(sets, r)) c->oom = 1;
    }
    if (json_object_set(o, "ResourceRecordSets", sets) ||
        json_object_set_new(o, "IsTruncated", json_boolean(truncated)) ||
        json_object_set_new(o, "MaxItems", json_sprintf("%lld", max)))
        c->oom = 1;
    *out = svc_out(c, json_incref(o));
    return 0;
}
