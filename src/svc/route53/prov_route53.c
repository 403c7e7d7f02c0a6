/* CloudFormation: AWS::Route53::HostedZone (Ref = the zone's id; GetAtt Id, NameServers),
 * AWS::Route53::RecordSet (Ref = the record's name), AWS::Route53::RecordSetGroup (Ref = a
 * generated id) and AWS::Route53::HealthCheck (Ref = its id; GetAtt HealthCheckId), made
 * through Route 53's own operations as the stack. A zone's crash-safety intent is its
 * CallerReference (del finds the zone by it when no id was recorded). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "engine/stacks/prov_int.h"
#include "route53_int.h"

/* The template's tags on a new zone or health check. */
static int add_tags(cfn_pctx *p, const char *type, const char *id, const json_t *tags)
{
    if (!json_array_size(tags)) return 0;
    return prov_call(
        p, "route53", "ChangeTagsForResource",
        json_pack("{s:s, s:s, s:O}", "ResourceType", type, "ResourceId", id, "AddTags", tags),
        NULL);
}

/* ---- HostedZone ---- */

static const prov_prop zone_schema[] = {
    {"Name", PT_STR, 1},
    {"HostedZoneConfig", PT_OBJECT, 0},
    {"VPCs", PT_LIST, 0},
    {"HostedZoneTags", PT_TAGS, 0},
    {"QueryLoggingConfig", PT_OBJECT, 0},
    {NULL, 0, 0},
};

static int zone_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    if (!strncmp(id, "ref:", 4)) {
        /* announced before the zone had an id: find it by its CallerReference */
        json_t *out = NULL;
        if (prov_call(p, "route53", "ListHostedZones", json_object(), &out)) return -1;
        size_t i;
        json_t *z;
        const char *found = NULL;
        json_array_foreach(json_object_get(out, "HostedZones"), i, z)
            if (!strcmp(jstr(z, "CallerReference"), id + 4)) found = jstr(z, "Id");
        char zid[64] = "";
        if (found) snprintf(zid, sizeof(zid), "%s", route53_bare_id(found));
        json_decref(out);
        if (!*zid) return 0;
        return zone_del(p, zid, props);
    }
    /* CloudFormation empties nothing: a zone with records of its own fails as AWS's does,
     * but the SOA and NS are the zone's */
    return prov_call_gone_ok(p, NULL, "route53", "DeleteHostedZone", json_pack("{s:s}", "Id", id));
}

static int zone_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    if (prov_call(p, "route53", "GetHostedZone", json_pack("{s:s}", "Id", id), &out)) return -1;
    json_t *ns = json_object_get(json_object_get(out, "DelegationSet"), "NameServers");
    *attrs = json_pack("{s:s, s:O}", "Id", id, "NameServers", ns ? ns : json_array());
    json_decref(out);
    return *attrs ? 0 : ferr_oom(p->e);
}

static json_t *vpc_in(const json_t *v)
{
    return json_pack("{s:s?, s:s?}", "VPCId", jstr(v, "VPCId"), "VPCRegion", jstr(v, "VPCRegion"));
}

static int zone_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    char ref[37];
    ids_uuid(ref);
    const json_t *vpcs = json_object_get(pr, "VPCs");
    const char *comment = jstr(json_object_get(pr, "HostedZoneConfig"), "Comment");
    json_t *in = json_pack("{s:s, s:s}", "Name", jstr(pr, "Name"), "CallerReference", ref);
    if (in && (comment || json_array_size(vpcs))) {
        json_t *cfg = json_pack("{s:b}", "PrivateZone", json_array_size(vpcs) > 0);
        if (!cfg || (comment && jset_str(cfg, "Comment", comment)) ||
            json_object_set_new(in, "HostedZoneConfig", cfg))
            json_decref(in), in = NULL;
    }
    if (in && json_array_size(vpcs) &&
        json_object_set_new(in, "VPC", vpc_in(json_array_get(vpcs, 0))))
        json_decref(in), in = NULL;
    char intent[48];
    snprintf(intent, sizeof(intent), "ref:%s", ref);
    if (!in) return ferr_oom(p->e);
    if (cfn_intent(p, intent)) {
        json_decref(in);
        return -1;
    }
    json_t *out = NULL;
    if (prov_call(p, "route53", "CreateHostedZone", in, &out)) return -1;
    *id = strdup(route53_bare_id(jstr(json_object_get(out, "HostedZone"), "Id")));
    json_decref(out);
    if (!*id) return ferr_oom(p->e);
    for (size_t i = 1; i < json_array_size(vpcs); i++)
        if (prov_call(p, "route53", "AssociateVPCWithHostedZone",
                      json_pack("{s:s, s:o}", "HostedZoneId", *id, "VPC",
                                vpc_in(json_array_get(vpcs, i))),
                      NULL))
            return prov_undo(p, zone_del, *id, pr);
    if (add_tags(p, "hostedzone", *id, json_object_get(pr, "HostedZoneTags")))
        return prov_undo(p, zone_del, *id, pr);
    return 0;
}

static int has_vpc(const json_t *list, const json_t *v)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x)
        if (!strcmp(jstr(x, "VPCId") ? jstr(x, "VPCId") : "",
                    jstr(v, "VPCId") ? jstr(v, "VPCId") : "") &&
            !strcmp(jstr(x, "VPCRegion") ? jstr(x, "VPCRegion") : "",
                    jstr(v, "VPCRegion") ? jstr(v, "VPCRegion") : ""))
            return 1;
    return 0;
}

static int zone_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                       const json_t *np)
{
    (void)s;
    const json_t *ov = json_object_get(op, "VPCs"), *nv = json_object_get(np, "VPCs");
    size_t i;
    json_t *v;
    /* associate the new VPCs first: a zone keeps at least one */
    json_array_foreach(nv, i, v)
        if (!has_vpc(ov, v) &&
            prov_call(p, "route53", "AssociateVPCWithHostedZone",
                      json_pack("{s:s, s:o}", "HostedZoneId", id, "VPC", vpc_in(v)), NULL))
            return -1;
    json_array_foreach(ov, i, v)
        if (!has_vpc(nv, v) &&
            prov_call(p, "route53", "DisassociateVPCFromHostedZone",
                      json_pack("{s:s, s:o}", "HostedZoneId", id, "VPC", vpc_in(v)), NULL))
            return -1;
    const char *oc = jstr(json_object_get(op, "HostedZoneConfig"), "Comment");
    const char *nc = jstr(json_object_get(np, "HostedZoneConfig"), "Comment");
    if ((oc || nc) && (!oc || !nc || strcmp(oc, nc)) &&
        prov_call(p, "route53", "UpdateHostedZoneComment",
                  json_pack("{s:s, s:s?}", "Id", id, "Comment", nc), NULL))
        return -1;
    return 0;
}

static const prov_shape zone_shape = {
    .schema = zone_schema,
    .make = zone_make,
    .change = zone_change,
    .attrs = zone_attrs,
    .del = zone_del,
};

static const char *const zone_replace[] = {"Name", NULL};

const cfn_provider cfn_provider_route53_hosted_zone = {
    .type = "AWS::Route53::HostedZone",
    .shape = &zone_shape,
    .del = zone_del,
    .replace_on = zone_replace,
};

/* ---- RecordSet and RecordSetGroup ---- */

static const prov_prop rs_schema[] = {
    {"HostedZoneId", PT_STR, 0},
    {"HostedZoneName", PT_STR, 0},
    {"Name", PT_STR, 1},
    {"Type", PT_STR, 1},
    {"TTL", PT_STR, 0},
    {"ResourceRecords", PT_STRLIST, 0},
    {"AliasTarget", PT_OBJECT, 0},
    {"SetIdentifier", PT_STR, 0},
    {"Weight", PT_INT, 0},
    {"Failover", PT_STR, 0},
    {"HealthCheckId", PT_STR, 0},
    {"MultiValueAnswer", PT_BOOL, 0},
    {"Region", PT_STR, 0},
    {"GeoLocation", PT_OBJECT, 0},
    {"Comment", PT_STR, 0},
    {NULL, 0, 0},
};

/* The zone a record set names, by id or by name (HostedZoneName must name exactly one). */
static int zone_of(cfn_pctx *p, const json_t *pr, char out[64])
{
    const char *id = jstr(pr, "HostedZoneId"), *name = jstr(pr, "HostedZoneName");
    if (id) {
        snprintf(out, 64, "%s", route53_bare_id(id));
        return 0;
    }
    if (!name)
        return prov_invalid(p, "Exactly one of [HostedZoneId, HostedZoneName] must be "
                               "specified");
    json_t *res = NULL;
    if (prov_call(p, "route53", "ListHostedZonesByName", json_pack("{s:s}", "DNSName", name), &res))
        return -1;
    size_t n = strlen(name), found = 0;
    size_t i;
    json_t *z;
    json_array_foreach(json_object_get(res, "HostedZones"), i, z) {
        const char *zn = jstr(z, "Name");
        size_t zl = strlen(zn);
        if ((zl == n || zl == n + 1) && !strncasecmp(zn, name, n < zl ? n : zl)) {
            if (!found++) snprintf(out, 64, "%s", route53_bare_id(jstr(z, "Id")));
        }
    }
    json_decref(res);
    if (found != 1)
        return ferr_set(p->e, 400, "InvalidInput",
                        found ? "Multiple hosted zones named %s exist: give HostedZoneId"
                              : "No hosted zone found with name %s",
                        name);
    return 0;
}

/* CloudFormation's record set as the API's ResourceRecordSet (new reference). */
static json_t *rrset(const json_t *pr)
{
    json_t *r = json_pack("{s:s, s:s}", "Name", jstr(pr, "Name"), "Type", jstr(pr, "Type"));
    if (!r) return NULL;
    static const char *const copy[] = {"SetIdentifier",    "Weight", "Failover",   "HealthCheckId",
                                       "MultiValueAnswer", "Region", "GeoLocation"};
    int bad = 0;
    for (size_t i = 0; i < sizeof(copy) / sizeof(copy[0]); i++) {
        json_t *v = json_object_get(pr, copy[i]);
        if (v) bad |= json_object_set(r, copy[i], v);
    }
    if (jstr(pr, "TTL")) bad |= json_object_set_new(r, "TTL", json_integer(atoll(jstr(pr, "TTL"))));
    const json_t *rr = json_object_get(pr, "ResourceRecords");
    if (rr) {
        json_t *list = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(rr, i, v)
            bad |= !list || json_array_append_new(list, json_pack("{s:O}", "Value", v));
        bad |= json_object_set_new(r, "ResourceRecords", list);
    }
    const json_t *al = json_object_get(pr, "AliasTarget");
    if (al) {
        json_t *a = json_pack(
            "{s:s?, s:s?, s:b}", "HostedZoneId", jstr(al, "HostedZoneId"), "DNSName",
            jstr(al, "DNSName"), "EvaluateTargetHealth",
            jbool(al, "EvaluateTargetHealth", 0) ||
                !strcmp(jstr(al, "EvaluateTargetHealth") ? jstr(al, "EvaluateTargetHealth") : "",
                        "true"));
        bad |= json_object_set_new(r, "AliasTarget", a);
    }
    if (bad) {
        json_decref(r);
        return NULL;
    }
    return r;
}

static int change_sets(cfn_pctx *p, const char *zone, json_t *changes)
{
    if (!changes) return ferr_oom(p->e);
    if (!json_array_size(changes)) {
        json_decref(changes);
        return 0;
    }
    return prov_call(
        p, "route53", "ChangeResourceRecordSets",
        json_pack("{s:s, s:{s:o}}", "HostedZoneId", zone, "ChangeBatch", "Changes", changes), NULL);
}

/* The stored set that pr names (new reference), or NULL when it is not there. */
static json_t *current_set(cfn_pctx *p, const char *zone, const json_t *pr, int *err)
{
    json_t *out = NULL;
    *err = 0;
    json_t *in = json_pack("{s:s, s:s, s:s, s:s}", "HostedZoneId", zone, "StartRecordName",
                           jstr(pr, "Name"), "StartRecordType", jstr(pr, "Type"), "MaxItems", "1");
    if (in && jstr(pr, "SetIdentifier") &&
        jset_str(in, "StartRecordIdentifier", jstr(pr, "SetIdentifier")))
        json_decref(in), in = NULL;
    if (prov_call(p, "route53", "ListResourceRecordSets", in, &out)) {
        *err = !prov_is_gone(p->e);
        return NULL;
    }
    json_t *r = json_array_get(json_object_get(out, "ResourceRecordSets"), 0);
    const char *want = jstr(pr, "Name"), *sid = jstr(pr, "SetIdentifier");
    size_t wl = strlen(want);
    int same = r && !strcmp(jstr(r, "Type"), jstr(pr, "Type")) &&
               !strncasecmp(jstr(r, "Name"), want, wl - (want[wl - 1] == '.')) &&
               strlen(jstr(r, "Name")) == wl + (want[wl - 1] != '.') &&
               !strcmp(jstr(r, "SetIdentifier") ? jstr(r, "SetIdentifier") : "", sid ? sid : "");
    json_t *res = same ? json_incref(r) : NULL;
    json_decref(out);
    return res;
}

static int delete_set(cfn_pctx *p, const char *zone, const json_t *pr)
{
    int err;
    json_t *cur = current_set(p, zone, pr, &err);
    if (!cur) return err ? -1 : 0;
    return change_sets(p, zone,
                       json_pack("[{s:s, s:o}]", "Action", "DELETE", "ResourceRecordSet", cur));
}

static int rs_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    char zone[64];
    if (zone_of(p, pr, zone)) return -1;
    json_t *r = rrset(pr);
    if (!r) return ferr_oom(p->e);
    if (cfn_intent(p, jstr(pr, "Name"))) {
        json_decref(r);
        return -1;
    }
    if (change_sets(p, zone, json_pack("[{s:s, s:o}]", "Action", "CREATE", "ResourceRecordSet", r)))
        return -1;
    *id = strdup(jstr(pr, "Name"));
    return *id ? 0 : ferr_oom(p->e);
}

static int rs_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                     const json_t *np)
{
    (void)s, (void)id, (void)op;
    char zone[64];
    if (zone_of(p, np, zone)) return -1;
    json_t *r = rrset(np);
    if (!r) return ferr_oom(p->e);
    return change_sets(p, zone,
                       json_pack("[{s:s, s:o}]", "Action", "UPSERT", "ResourceRecordSet", r));
}

static int rs_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s, (void)id;
    *attrs = json_object();
    return *attrs ? 0 : ferr_oom(p->e);
}

static int rs_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)id;
    json_t *pr = prov_props_old(p, props, rs_schema);
    char zone[64];
    int rc = !pr ? ferr_oom(p->e) : zone_of(p, pr, zone);
    if (rc && prov_is_gone(p->e)) rc = 0, *zone = 0;
    if (!rc && *zone) rc = delete_set(p, zone, pr);
    if (rc && prov_is_gone(p->e)) rc = 0;
    json_decref(pr);
    return rc;
}

static const prov_shape rs_shape = {
    .schema = rs_schema,
    .make = rs_make,
    .change = rs_change,
    .attrs = rs_attrs,
    .del = rs_del,
};

static const char *const rs_replace[] = {"Name",           "Type",          "HostedZoneId",
                                         "HostedZoneName", "SetIdentifier", NULL};

const cfn_provider cfn_provider_route53_record_set = {
    .type = "AWS::Route53::RecordSet",
    .shape = &rs_shape,
    .del = rs_del,
    .replace_on = rs_replace,
};

static const prov_prop group_schema[] = {
    {"HostedZoneId", PT_STR, 0},
    {"HostedZoneName", PT_STR, 0},
    {"RecordSets", PT_LIST, 0},
    {"Comment", PT_STR, 0},
    {NULL, 0, 0},
};

/* A group's record set with the group's zone (new reference). */
static json_t *member(const json_t *group, const json_t *set)
{
    json_t *m = json_deep_copy(set);
    if (!m) return NULL;
    if (!json_object_get(m, "HostedZoneId") && !json_object_get(m, "HostedZoneName")) {
        const char *k = jstr(group, "HostedZoneId") ? "HostedZoneId" : "HostedZoneName";
        json_t *v = json_object_get(group, k);
        if (v && json_object_set(m, k, v)) json_decref(m), m = NULL;
    }
    return m;
}

static int group_apply(cfn_pctx *p, const json_t *op, const json_t *np)
{
    char zone[64];
    if (zone_of(p, np, zone)) return -1;
    json_t *changes = json_array();
    size_t i, j;
    json_t *s, *t;
    /* sets that went are deleted, the others are upserted, in one batch */
    json_array_foreach(json_object_get(op, "RecordSets"), i, s) {
        int kept = 0;
        json_array_foreach(json_object_get(np, "RecordSets"), j, t)
            kept |=
                !strcmp(jstr(s, "Name") ? jstr(s, "Name") : "",
                        jstr(t, "Name") ? jstr(t, "Name") : "") &&
                !strcmp(jstr(s, "Type") ? jstr(s, "Type") : "",
                        jstr(t, "Type") ? jstr(t, "Type") : "") &&
                prov_same(json_object_get(s, "SetIdentifier"), json_object_get(t, "SetIdentifier"));
        if (kept) continue;
        json_t *m = member(op, s), *pr = m ? prov_props_old(p, m, rs_schema) : NULL;
        int err = 0;
        json_t *cur = pr ? current_set(p, zone, pr, &err) : NULL;
        json_decref(m);
        json_decref(pr);
        if (err) {
            json_decref(changes);
            return -1;
        }
        if (cur && json_array_append_new(changes, json_pack("{s:s, s:o}", "Action", "DELETE",
                                                            "ResourceRecordSet", cur)))
            changes = NULL;
    }
    json_array_foreach(json_object_get(np, "RecordSets"), i, s) {
        json_t *m = member(np, s), *pr = NULL;
        if (!m || prov_props(p, m, rs_schema, &pr)) {
            json_decref(m);
            json_decref(changes);
            return -1;
        }
        json_decref(m);
        json_t *r = rrset(pr);
        json_decref(pr);
        if (!changes || !r ||
            json_array_append_new(changes,
                                  json_pack("{s:s, s:o}", "Action", op ? "UPSERT" : "CREATE",
                                            "ResourceRecordSet", r))) {
            json_decref(changes);
            return ferr_oom(p->e);
        }
    }
    return change_sets(p, zone, changes);
}

static int group_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    *id = prov_generated_id(p);
    if (!*id) return ferr_oom(p->e);
    if (cfn_intent(p, *id)) return -1;
    return group_apply(p, NULL, pr);
}

static int group_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                        const json_t *np)
{
    (void)s, (void)id;
    return group_apply(p, op, np);
}

static int group_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)id;
    json_t *pr = prov_props_old(p, props, group_schema);
    if (!pr) return ferr_oom(p->e);
    char zone[64];
    int rc = zone_of(p, pr, zone);
    size_t i;
    json_t *set;
    json_array_foreach(json_object_get(pr, "RecordSets"), i, set) {
        if (rc) break;
        json_t *m = member(pr, set), *sp = m ? prov_props_old(p, m, rs_schema) : NULL;
        rc = sp ? delete_set(p, zone, sp) : ferr_oom(p->e);
        json_decref(m);
        json_decref(sp);
    }
    json_decref(pr);
    if (rc && prov_is_gone(p->e)) rc = 0;
    return rc;
}

static const prov_shape group_shape = {
    .schema = group_schema,
    .make = group_make,
    .change = group_change,
    .attrs = rs_attrs,
    .del = group_del,
};

static const char *const group_replace[] = {"HostedZoneId", "HostedZoneName", NULL};

const cfn_provider cfn_provider_route53_record_set_group = {
    .type = "AWS::Route53::RecordSetGroup",
    .shape = &group_shape,
    .del = group_del,
    .replace_on = group_replace,
};

/* ---- HealthCheck ---- */

static const prov_prop hc_schema[] = {
    {"HealthCheckConfig", PT_OBJECT, 1},
    {"HealthCheckTags", PT_TAGS, 0},
    {NULL, 0, 0},
};

/* CloudFormation gives numbers and booleans as text: the API's types */
static json_t *hc_config(const json_t *cfg)
{
    json_t *c = json_deep_copy(cfg);
    static const char *const ints[] = {"Port", "RequestInterval", "FailureThreshold",
                                       "HealthThreshold"};
    static const char *const bools[] = {"MeasureLatency", "Inverted", "Disabled", "EnableSNI"};
    for (size_t i = 0; c && i < sizeof(ints) / sizeof(ints[0]); i++)
        if (jstr(c, ints[i]) &&
            json_object_set_new(c, ints[i], json_integer(atoll(jstr(c, ints[i])))))
            json_decref(c), c = NULL;
    for (size_t i = 0; c && i < sizeof(bools) / sizeof(bools[0]); i++)
        if (jstr(c, bools[i]) &&
            json_object_set_new(c, bools[i], json_boolean(!strcmp(jstr(c, bools[i]), "true"))))
            json_decref(c), c = NULL;
    return c;
}

static int hc_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    char ref[37];
    ids_uuid(ref);
    json_t *cfg = hc_config(json_object_get(pr, "HealthCheckConfig")), *out = NULL;
    if (!cfg) return ferr_oom(p->e);
    if (prov_call(p, "route53", "CreateHealthCheck",
                  json_pack("{s:s, s:o}", "CallerReference", ref, "HealthCheckConfig", cfg), &out))
        return -1;
    *id = strdup(jstr(json_object_get(out, "HealthCheck"), "Id"));
    json_decref(out);
    if (!*id) return ferr_oom(p->e);
    return add_tags(p, "healthcheck", *id, json_object_get(pr, "HealthCheckTags"));
}

static int hc_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                     const json_t *np)
{
    (void)s, (void)op;
    json_t *cfg = hc_config(json_object_get(np, "HealthCheckConfig"));
    if (!cfg || json_object_set_new(cfg, "HealthCheckId", json_string(id))) {
        json_decref(cfg);
        return ferr_oom(p->e);
    }
    json_object_del(cfg, "Type");
    json_object_del(cfg, "RequestInterval");
    json_object_del(cfg, "MeasureLatency");
    return prov_call(p, "route53", "UpdateHealthCheck", cfg, NULL);
}

static int hc_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    *attrs = json_pack("{s:s}", "HealthCheckId", id);
    return *attrs ? 0 : ferr_oom(p->e);
}

static int hc_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    return prov_call_gone_ok(p, NULL, "route53", "DeleteHealthCheck",
                             json_pack("{s:s}", "HealthCheckId", id));
}

static const prov_shape hc_shape = {
    .schema = hc_schema,
    .make = hc_make,
    .change = hc_change,
    .attrs = hc_attrs,
    .del = hc_del,
};

const cfn_provider cfn_provider_route53_health_check = {
    .type = "AWS::Route53::HealthCheck",
    .shape = &hc_shape,
    .del = hc_del,
};
