/* A DNS query's answer from a snapshot of the zones: the wire format is ldns's (parsing the
 * query, building and encoding the reply), ferry only chooses the records. The routing
 * policies are applied per query: weighted sets in proportion to their weights, failover
 * to the secondary when the primary's health check is unhealthy, up to 8 healthy
 * multivalue sets, aliases and CNAMEs followed within the zones this resolver serves. */
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "route53_int.h"

#define MAX_CHASE 8 /* CNAME and alias hops */

struct route53_snap {
    json_t *zones;
};

route53_snap *route53_snap_from_json(json_t *zones)
{
    route53_snap *s = calloc(1, sizeof(*s));
    if (!s) {
        json_decref(zones);
        return NULL;
    }
    s->zones = zones;
    return s;
}

void route53_snap_free(route53_snap *s)
{
    if (!s) return;
    json_decref(s->zones);
    free(s);
}

typedef struct q_ctx {
    const route53_snap *s;
    const char *vpc; /* "REGION/VPC" or NULL */
    ldns_pkt *resp;
    int depth;
} q_ctx;

static int serves(const q_ctx *q, const json_t *z)
{
    if (!jbool(z, "Private", 0)) return 1;
    if (!q->vpc) return 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(z, "VPCs"), i, v) {
        const char *r = jstr(v, "VPCRegion"), *id = jstr(v, "VPCId");
        size_t rl = r ? strlen(r) : 0;
        if (r && id && !strncmp(q->vpc, r, rl) && q->vpc[rl] == '/' && !strcmp(q->vpc + rl + 1, id))
            return 1;
    }
    return 0;
}

/* The zone this resolver answers name from: the longest private match, else the longest
 * public one (a VPC's resolver prefers its private zones, as AmazonProvidedDNS does). */
static const json_t *zone_for(const q_ctx *q, const char *name)
{
    const json_t *best = NULL;
    size_t bl = 0;
    int bp = 0;
    size_t i;
    json_t *z;
    json_array_foreach(q->s->zones, i, z) {
        const char *zn = jstr(z, "Name");
        if (!zn || !serves(q, z) || !route53_in_zone(name, zn)) continue;
        int p = jbool(z, "Private", 0);
        size_t l = strlen(zn);
        if (!best || p > bp || (p == bp && l > bl)) best = z, bl = l, bp = p;
    }
    return best;
}

static const json_t *zone_by_id(const q_ctx *q, const char *id)
{
    size_t i;
    json_t *z;
    json_array_foreach(q->s->zones, i, z)
        if (id && !strcmp(jstr(z, "Id"), id) && serves(q, z)) return z;
    return NULL;
}

static int add_rr(ldns_rr_list *to, const char *owner, long long ttl, const char *type,
                  const char *value)
{
    char text[LDNS_MAX_PACKETLEN];
    int n = snprintf(text, sizeof(text), "%s %lld IN %s %s", owner, ttl, type, value);
    if (n < 0 || (size_t)n >= sizeof(text)) return -1;
    ldns_rr *rr = NULL;
    if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK) return -1;
    if (!ldns_rr_list_push_rr(to, rr)) {
        ldns_rr_free(rr);
        return -1;
    }
    return 0;
}

static unsigned rnd(unsigned n)
{
    uint32_t r;
    ids_random(&r, sizeof(r));
    return n ? r % n : 0;
}

static int resolve(q_ctx *q, const char *qname, const char *owner, const char *type,
                   ldns_rr_list *out);

/* 1 when the set may be answered: its health check (if any) is healthy, and an alias that
 * evaluates its target's health has a target that answers. */
static int healthy(q_ctx *q, const json_t *set, const char *type)
{
    const char *hc = jstr(set, "HealthCheckId");
    if (hc && !route53_health_ok(hc)) return 0;
    const json_t *al = json_object_get(set, "AliasTarget");
    if (al && jbool(al, "EvaluateTargetHealth", 0) && q->depth < MAX_CHASE) {
        ldns_rr_list *tmp = ldns_rr_list_new();
        if (!tmp) return 1;
        q->depth++;
        resolve(q, jstr(al, "DNSName"), jstr(al, "DNSName"), type, tmp);
        q->depth--;
        int ok = ldns_rr_list_rr_count(tmp) > 0;
        ldns_rr_list_deep_free(tmp);
        return ok;
    }
    return 1;
}

/* Emits one record set under owner: its values, or its alias target's records. */
static int emit(q_ctx *q, const json_t *set, const char *owner, const char *type, ldns_rr_list *out)
{
    const json_t *al = json_object_get(set, "AliasTarget");
    if (al) {
        if (q->depth >= MAX_CHASE) return 0;
        const char *dn = jstr(al, "DNSName");
        const json_t *tz = zone_by_id(q, jstr(al, "HostedZoneId"));
        if (!tz) tz = zone_for(q, dn);
        if (!tz) return 0;
        q->depth++;
        int rc = resolve(q, dn, owner, type, out);
        q->depth--;
        return rc;
    }
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(set, "ResourceRecords"), i, v) {
        const char *val = jstr(v, "Value");
        if (val && add_rr(out, owner, jint(set, "TTL", 300), jstr(set, "Type"), val)) return -1;
    }
    return 0;
}

/* Chooses among the record sets of one name and type by their routing policy and emits the
 * chosen. */
static int choose(q_ctx *q, const json_t **sets, size_t n, const char *owner, const char *type,
                  ldns_rr_list *out)
{
    if (!n) return 0;
    for (size_t i = 0; i < n; i++)
        if (!jstr(sets[i], "SetIdentifier")) return emit(q, sets[i], owner, type, out);
    const json_t *first = sets[0];
    if (jstr(first, "Failover")) {
        const json_t *pri = NULL, *sec = NULL;
        for (size_t i = 0; i < n; i++) {
            const char *f = jstr(sets[i], "Failover");
            if (f && !strcmp(f, "PRIMARY")) pri = sets[i];
            if (f && !strcmp(f, "SECONDARY")) sec = sets[i];
        }
        /* AWS: the primary while it is healthy; the secondary otherwise, unless it is
         * unhealthy too (then the primary) */
        const json_t *pick = pri && healthy(q, pri, type)   ? pri
                             : sec && healthy(q, sec, type) ? sec
                             : pri                          ? pri
                                                            : sec;
        return emit(q, pick, owner, type, out);
    }
    int ok[n];
    size_t nok = 0;
    for (size_t i = 0; i < n; i++) nok += (size_t)(ok[i] = healthy(q, sets[i], type));
    if (!nok) /* AWS: when none is healthy, all are considered healthy */
        for (size_t i = 0; i < n; i++) ok[i] = 1, nok++;
    if (json_object_get(first, "MultiValueAnswer")) {
        /* up to 8 healthy sets, in a random order */
        size_t idx[n], m = 0;
        for (size_t i = 0; i < n; i++)
            if (ok[i]) idx[m++] = i;
        for (size_t i = m; i > 1; i--) {
            size_t j = rnd((unsigned)i), t = idx[i - 1];
            idx[i - 1] = idx[j], idx[j] = t;
        }
        for (size_t i = 0; i < m && i < 8; i++)
            if (emit(q, sets[idx[i]], owner, type, out)) return -1;
        return 0;
    }
    if (json_object_get(first, "Weight")) {
        unsigned long long total = 0;
        for (size_t i = 0; i < n; i++)
            if (ok[i]) total += (unsigned long long)jint(sets[i], "Weight", 0);
        if (!total) { /* AWS: all weights 0: equal chances */
            size_t k = rnd((unsigned)nok);
            for (size_t i = 0; i < n; i++)
                if (ok[i] && !k--) return emit(q, sets[i], owner, type, out);
        }
        unsigned long long r = rnd((unsigned)(total > 0xffffffffULL ? 0xffffffffULL : total));
        for (size_t i = 0; i < n; i++) {
            if (!ok[i]) continue;
            unsigned long long w = (unsigned long long)jint(sets[i], "Weight", 0);
            if (r < w) return emit(q, sets[i], owner, type, out);
            r -= w;
        }
        return 0;
    }
    /* latency and geolocation policies: every client is in one place here; the first set */
    for (size_t i = 0; i < n; i++)
        if (ok[i]) return emit(q, sets[i], owner, type, out);
    return 0;
}

/* The record sets of zone z named name (stored form); *any: whether any name at or under
 * name exists. */
static size_t sets_named(const json_t *z, const char *name, const char *type, const json_t **out,
                         size_t max, int *any)
{
    size_t n = 0, i, nl = strlen(name);
    json_t *r;
    json_array_foreach(json_object_get(z, "Records"), i, r) {
        const char *rn = jstr(r, "Name");
        size_t rl = rn ? strlen(rn) : 0;
        if (!rn) continue;
        if (rl > nl && rn[rl - nl - 1] == '.' && !strcasecmp(rn + rl - nl, name)) *any = 1;
        if (strcasecmp(rn, name)) continue;
        *any = 1;
        if (type && strcmp(jstr(r, "Type"), type)) continue;
        if (n < max) out[n++] = r;
    }
    return n;
}

#define MAX_SETS 128

static int add_soa(q_ctx *q, const json_t *z)
{
    const json_t *soa[1];
    int any = 0;
    if (!sets_named(z, jstr(z, "Name"), "SOA", soa, 1, &any)) return 0;
    ldns_rr_list *auth = ldns_rr_list_new();
    if (!auth) return -1;
    /* RFC 2308: the negative answer's TTL is the lesser of the SOA's TTL and its minimum */
    int rc = emit(q, soa[0], jstr(z, "Name"), "SOA", auth);
    for (size_t i = 0; !rc && i < ldns_rr_list_rr_count(auth); i++) {
        ldns_rr *rr = ldns_rr_list_rr(auth, i);
        uint32_t min = ldns_rdf2native_int32(ldns_rr_rdf(rr, 6));
        if (min < ldns_rr_ttl(rr)) ldns_rr_set_ttl(rr, min);
        ldns_pkt_push_rr(q->resp, LDNS_SECTION_AUTHORITY, ldns_rr_clone(rr));
    }
    ldns_rr_list_deep_free(auth);
    return rc;
}

/* Answers (qname, type) into out with owner as the records' name; sets the rcode and
 * authority (SOA) of the reply for the first name (depth 0). 0 or -1. */
static int resolve(q_ctx *q, const char *qname, const char *owner, const char *type,
                   ldns_rr_list *out)
{
    const json_t *z = zone_for(q, qname);
    if (!z) return 0;
    const json_t *sets[MAX_SETS];
    int any = 0;
    char star[R53_NAME_MAX + 8];
    const char *name = qname;
    size_t n = sets_named(z, name, NULL, sets, MAX_SETS, &any);
    if (!any) {
        /* a wildcard at the closest encloser's child: *.parent */
        for (const char *p = strchr(qname, '.'); p && route53_in_zone(p + 1, jstr(z, "Name"));
             p = strchr(p + 1, '.')) {
            snprintf(star, sizeof(star), "\\052.%s", p + 1);
            int a2 = 0;
            if ((n = sets_named(z, star, NULL, sets, MAX_SETS, &a2))) {
                name = star;
                any = 1;
                break;
            }
            int below = 0;
            sets_named(z, p + 1, NULL, sets, 0, &below);
            if (below) break; /* the encloser exists without a wildcard */
        }
    }
    if (!any) {
        if (!q->depth && !strcmp(qname, owner)) {
            ldns_pkt_set_rcode(q->resp, LDNS_RCODE_NXDOMAIN);
            return add_soa(q, z);
        }
        return 0;
    }
    /* a CNAME answers every type but its own */
    const json_t *cn[MAX_SETS], *want[MAX_SETS];
    size_t ncn = 0, nw = 0;
    for (size_t i = 0; i < n; i++) {
        const char *t = jstr(sets[i], "Type");
        if (!strcmp(t, "CNAME")) cn[ncn++] = sets[i];
        if (!strcmp(t, type)) want[nw++] = sets[i];
    }
    if (ncn && strcmp(type, "CNAME")) {
        size_t before = ldns_rr_list_rr_count(out);
        if (choose(q, cn, ncn, owner, "CNAME", out)) return -1;
        if (ldns_rr_list_rr_count(out) == before || q->depth >= MAX_CHASE) return 0;
        ldns_rr *c = ldns_rr_list_rr(out, ldns_rr_list_rr_count(out) - 1);
        if (ldns_rr_get_type(c) != LDNS_RR_TYPE_CNAME) return 0; /* an alias's records */
        char *target = ldns_rdf2str(ldns_rr_rdf(c, 0));
        if (!target) return -1;
        for (char *p = target; *p; p++) *p = (char)tolower((unsigned char)*p);
        q->depth++;
        int rc = resolve(q, target, target, type, out);
        q->depth--;
        free(target);
        return rc;
    }
    if (!nw) {
        if (!q->depth && !strcmp(qname, owner)) return add_soa(q, z); /* NODATA */
        return 0;
    }
    return choose(q, want, nw, owner, type, out);
}

/* Empties the reply's answer, authority and additional sections (the header and question
 * stay). */
static void strip(ldns_pkt *resp)
{
    ldns_rr_list_deep_free(ldns_pkt_answer(resp));
    ldns_rr_list_deep_free(ldns_pkt_authority(resp));
    ldns_rr_list_deep_free(ldns_pkt_additional(resp));
    ldns_pkt_set_answer(resp, ldns_rr_list_new());
    ldns_pkt_set_authority(resp, ldns_rr_list_new());
    ldns_pkt_set_additional(resp, ldns_rr_list_new());
    ldns_pkt_set_ancount(resp, 0);
    ldns_pkt_set_nscount(resp, 0);
    ldns_pkt_set_arcount(resp, 0);
}

int route53_dns_answer(const route53_snap *s, const char *vpc, const unsigned char *wire, size_t n,
                       size_t max, unsigned char **out, size_t *outn)
{
    *out = NULL;
    *outn = 0;
    ldns_pkt *qp = NULL;
    if (!s || n < LDNS_HEADER_SIZE || ldns_wire2pkt(&qp, wire, n) != LDNS_STATUS_OK) return 0;
    if (ldns_pkt_qr(qp)) { /* a response, not a query: dropped (no reflection loops) */
        ldns_pkt_free(qp);
        return 0;
    }
    ldns_pkt *resp = ldns_pkt_new();
    if (!resp) {
        ldns_pkt_free(qp);
        return -1;
    }
    q_ctx q = {.s = s, .vpc = vpc, .resp = resp};
    ldns_pkt_set_id(resp, ldns_pkt_id(qp));
    ldns_pkt_set_qr(resp, 1);
    ldns_pkt_set_opcode(resp, ldns_pkt_get_opcode(qp));
    ldns_pkt_set_rd(resp, ldns_pkt_rd(qp));
    size_t limit = max;
    if (max < 65535) {
        /* UDP: 512 bytes, or what the client's EDNS allows (at most 4096) */
        limit = 512;
        if (ldns_pkt_edns(qp)) {
            size_t u = ldns_pkt_edns_udp_size(qp);
            limit = u < 512 ? 512 : u > 4096 ? 4096 : u;
            if (limit > max) limit = max;
        }
    }
    if (ldns_pkt_edns(qp)) ldns_pkt_set_edns_udp_size(resp, 4096);
    int rc = 0;
    ldns_rr_list *qs = ldns_pkt_question(qp);
    if (ldns_pkt_get_opcode(qp) != LDNS_PACKET_QUERY) {
        ldns_pkt_set_rcode(resp, LDNS_RCODE_NOTIMPL);
    } else if (ldns_rr_list_rr_count(qs) != 1) {
        ldns_pkt_set_rcode(resp, LDNS_RCODE_FORMERR);
    } else {
        ldns_rr *qr = ldns_rr_list_rr(qs, 0);
        ldns_pkt_push_rr(resp, LDNS_SECTION_QUESTION, ldns_rr_clone(qr));
        char *qname = ldns_rdf2str(ldns_rr_owner(qr));
        char *type = ldns_rr_type2str(ldns_rr_get_type(qr));
        if (!qname || !type) {
            rc = -1;
        } else if (ldns_rr_get_class(qr) != LDNS_RR_CLASS_IN) {
            ldns_pkt_set_rcode(resp, LDNS_RCODE_REFUSED);
        } else {
            for (char *p = qname; *p; p++) *p = (char)tolower((unsigned char)*p);
            if (!zone_for(&q, qname)) {
                ldns_pkt_set_rcode(resp, LDNS_RCODE_REFUSED); /* not ours: no recursion */
            } else {
                ldns_pkt_set_aa(resp, 1);
                ldns_rr_list *ans = ldns_rr_list_new();
                rc = ans ? resolve(&q, qname, qname, type, ans) : -1;
                for (size_t i = 0; ans && i < ldns_rr_list_rr_count(ans); i++)
                    ldns_pkt_push_rr(resp, LDNS_SECTION_ANSWER,
                                     ldns_rr_clone(ldns_rr_list_rr(ans, i)));
                ldns_rr_list_deep_free(ans);
            }
        }
        free(qname);
        free(type);
    }
    ldns_pkt_free(qp);
    if (rc) {
        /* a failure of ours (out of memory): SERVFAIL, so the client asks again or elsewhere
         * instead of waiting out its timeout */
        strip(resp);
        ldns_pkt_set_aa(resp, 0);
        ldns_pkt_set_rcode(resp, LDNS_RCODE_SERVFAIL);
    }
    uint8_t *w = NULL;
    size_t wn = 0;
    if (ldns_pkt2wire(&w, resp, &wn) != LDNS_STATUS_OK) {
        ldns_pkt_free(resp);
        return -1;
    }
    if (wn > limit) {
        /* too big for the datagram: the header and question with TC set; the client asks
         * again over TCP */
        free(w);
        w = NULL;
        strip(resp);
        ldns_pkt_set_tc(resp, 1);
        if (ldns_pkt2wire(&w, resp, &wn) != LDNS_STATUS_OK) {
            ldns_pkt_free(resp);
            return -1;
        }
    }
    ldns_pkt_free(resp);
    *out = w;
    *outn = wn;
    return 0;
}
