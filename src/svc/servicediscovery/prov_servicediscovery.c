/* CloudFormation's Cloud Map resources, made through the service's own operations:
 *   AWS::ServiceDiscovery::HttpNamespace        Ref Id; GetAtt Id, Arn
 *   AWS::ServiceDiscovery::PrivateDnsNamespace  Ref Id; GetAtt Id, Arn, HostedZoneId
 *   AWS::ServiceDiscovery::PublicDnsNamespace   Ref Id; GetAtt Id, Arn, HostedZoneId
 *   AWS::ServiceDiscovery::Service              Ref Id; GetAtt Id, Arn, Name
 *   AWS::ServiceDiscovery::Instance             Ref InstanceId
 * A namespace's create answers an operation: its target is the new namespace (a failed one
 * fails the resource with the operation's message). The change is already made when the
 * operation is answered, so the provider does not wait for SUCCESS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "engine/stacks/prov_int.h"
#include "servicediscovery_int.h"

static const prov_tagging tagging = {
    .service = "servicediscovery",
    .id_key = "ResourceARN",
    .list_op = "ListTagsForResource",
    .tag_op = "TagResource",
    .untag_op = "UntagResource",
};

static char *arn_of(cfn_pctx *p, const char *kind, const char *id)
{
    char *arn = NULL;
    if (asprintf(&arn, "arn:%s:servicediscovery:%s:%s:%s/%s", arn_partition(p->region), p->region,
                 p->account, kind, id) < 0)
        return NULL;
    return arn;
}

/* CloudFormation gives numbers as text too; the API wants them as numbers. */
static int numify(json_t *o, const char *key)
{
    const char *s = jstr(o, key);
    if (!s) return 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    return *end ? 0 : json_object_set_new(o, key, json_integer(v));
}

static int numify_records(json_t *dc)
{
    size_t i;
    json_t *r;
    int rc = 0;
    json_array_foreach(json_object_get(dc, "DnsRecords"), i, r) rc |= numify(r, "TTL");
    return rc;
}

/* A delete that finds the thing gone is done (NamespaceNotFound, ServiceNotFound...). */
static int gone_ok(cfn_pctx *p, const char *op, json_t *in)
{
    if (!prov_call(p, "servicediscovery", op, in, NULL)) return 0;
    size_t n = strlen(p->e->code);
    if (n >= 8 && !strcmp(p->e->code + n - 8, "NotFound")) {
        ferr_clear(p->e);
        return 0;
    }
    return -1;
}

/* ---- namespaces ---- */

static const prov_prop ns_schema[] = {
    {"Name", PT_STR, 1},          {"Description", PT_STR, 0}, {"Vpc", PT_STR, 0},
    {"Properties", PT_OBJECT, 0}, {"Tags", PT_TAGS, 0},       {NULL, 0, 0},
};

typedef struct ns_kind {
    const char *create_op, *update_op;
    int vpc; /* private: Vpc required */
    int dns;
} ns_kind;

static const ns_kind http_kind = {"CreateHttpNamespace", "UpdateHttpNamespace", 0, 0};
static const ns_kind private_kind = {"CreatePrivateDnsNamespace", "UpdatePrivateDnsNamespace", 1,
                                     1};
static const ns_kind public_kind = {"CreatePublicDnsNamespace", "UpdatePublicDnsNamespace", 0, 1};

static int ns_check(cfn_pctx *p, const json_t *pr)
{
    (void)pr;
    (void)p;
    return 0;
}

/* The namespace named name, by ListNamespaces: 1 and id (malloc'd), 0, -1. */
static int ns_find(cfn_pctx *p, const char *name, char **id)
{
    json_t *out = NULL;
    if (prov_call(p, "servicediscovery", "ListNamespaces",
                  json_pack("{s:[{s:s, s:[s], s:s}]}", "Filters", "Name", "NAME", "Values", name,
                            "Condition", "EQ"),
                  &out))
        return -1;
    const char *got = jstr(json_array_get(json_object_get(out, "Namespaces"), 0), "Id");
    *id = got ? strdup(got) : NULL;
    json_decref(out);
    return *id ? 1 : 0;
}

/* id: the namespace's id, or (an intent recorded before the create answered) its name. */
static int ns_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    char *found = NULL;
    if (strncmp(id, "ns-", 3)) {
        int rc = ns_find(p, id, &found);
        if (rc <= 0) return rc;
        id = found;
    }
    int rc = gone_ok(p, "DeleteNamespace", json_pack("{s:s}", "Id", id));
    free(found);
    return rc;
}

static int ns_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)attrs;
    const ns_kind *k = s->data;
    const char *name = jstr(pr, "Name");
    if (k->vpc && !jstr(pr, "Vpc")) return prov_invalid(p, "#: required key [Vpc] not found");
    json_t *tags = prov_tags(p, json_object_get(pr, "Tags"), 1);
    json_t *in = tags ? json_pack("{s:s, s:o}", "Name", name, "Tags", tags) : NULL;
    json_t *props = json_deep_copy(json_object_get(pr, "Properties"));
    json_t *soa = json_object_get(json_object_get(props, "DnsProperties"), "SOA");
    int rc = !in || jset_str(in, "Description", jstr(pr, "Description")) ||
             (k->vpc && jset_str(in, "Vpc", jstr(pr, "Vpc"))) || numify(soa, "TTL") ||
             (k->dns && props && json_object_set(in, "Properties", props));
    json_decref(props);
    if (rc) {
        json_decref(in);
        return ferr_oom(p->e);
    }
    if (cfn_intent(p, name)) {
        json_decref(in);
        return -1;
    }
    json_t *out = NULL, *op = NULL;
    if (prov_call(p, "servicediscovery", k->create_op, in, &out)) return -1;
    rc = prov_call(p, "servicediscovery", "GetOperation",
                   json_pack("{s:s}", "OperationId", jstr(out, "OperationId")), &op);
    json_decref(out);
    if (rc) return -1;
    const json_t *o = json_object_get(op, "Operation");
    const char *nsid = jstr(json_object_get(o, "Targets"), "NAMESPACE");
    if (!strcmp(jstr(o, "Status"), "FAIL") || !nsid) {
        rc = prov_invalid(p, "%s", jstr(o, "ErrorMessage") ? jstr(o, "ErrorMessage") : "failed");
        json_decref(op);
        return rc;
    }
    *id = strdup(nsid);
    json_decref(op);
    return *id ? 0 : ferr_oom(p->e);
}

static int ns_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                     const json_t *np)
{
    const ns_kind *k = s->data;
    char *arn = arn_of(p, "namespace", id);
    if (!arn) return ferr_oom(p->e);
    int rc = 0;
    if (!prov_same(json_object_get(op, "Description"), json_object_get(np, "Description")) ||
        !prov_same(json_object_get(op, "Properties"), json_object_get(np, "Properties"))) {
        const char *d = jstr(np, "Description");
        json_t *ch = json_pack("{s:s}", "Description", d ? d : "");
        json_t *props = json_deep_copy(json_object_get(np, "Properties"));
        json_t *soa = json_object_get(json_object_get(props, "DnsProperties"), "SOA");
        rc = !ch || numify(soa, "TTL") ||
             (k->dns && props && json_object_set(ch, "Properties", props));
        json_decref(props);
        if (rc) {
            json_decref(ch);
            rc = ferr_oom(p->e);
        } else {
            rc = prov_call(p, "servicediscovery", k->update_op,
                           json_pack("{s:s, s:o}", "Id", id, "Namespace", ch), NULL);
        }
    }
    if (!rc) rc = prov_sync_tags(p, &tagging, arn, np);
    free(arn);
    return rc;
}

static int ns_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    const ns_kind *k = s->data;
    json_t *out = NULL;
    if (prov_call(p, "servicediscovery", "GetNamespace", json_pack("{s:s}", "Id", id), &out))
        return -1;
    const json_t *ns = json_object_get(out, "Namespace");
    *attrs = json_pack("{s:s, s:s}", "Id", id, "Arn", jstr(ns, "Arn"));
    const char *zone =
        jstr(json_object_get(json_object_get(ns, "Properties"), "DnsProperties"), "HostedZoneId");
    int rc = !*attrs || (k->dns && jset_str(*attrs, "HostedZoneId", zone ? zone : ""));
    json_decref(out);
    return rc ? ferr_oom(p->e) : 0;
}

#define NS_SHAPE(kind_) \
    { \
        .schema = ns_schema, .check = ns_check, .make = ns_make, .change = ns_change, \
        .attrs = ns_attrs, .del = ns_del, .data = &(kind_) \
    }

static const prov_shape http_shape = NS_SHAPE(http_kind);
static const prov_shape private_shape = NS_SHAPE(private_kind);
static const prov_shape public_shape = NS_SHAPE(public_kind);

static const char *const ns_replace_on[] = {"Name", "Vpc", NULL};

const cfn_provider cfn_provider_sd_http_namespace = {
    .type = "AWS::ServiceDiscovery::HttpNamespace",
    .shape = &http_shape,
    .del = ns_del,
    .replace_on = ns_replace_on,
};

const cfn_provider cfn_provider_sd_private_dns_namespace = {
    .type = "AWS::ServiceDiscovery::PrivateDnsNamespace",
    .shape = &private_shape,
    .del = ns_del,
    .replace_on = ns_replace_on,
};

const cfn_provider cfn_provider_sd_public_dns_namespace = {
    .type = "AWS::ServiceDiscovery::PublicDnsNamespace",
    .shape = &public_shape,
    .del = ns_del,
    .replace_on = ns_replace_on,
};

/* ---- services ---- */

static const prov_prop svc_schema[] = {
    {"Name", PT_STR, 0},
    {"NamespaceId", PT_STR, 0},
    {"Description", PT_STR, 0},
    {"DnsConfig", PT_OBJECT, 0},
    {"HealthCheckConfig", PT_OBJECT, 0},
    {"HealthCheckCustomConfig", PT_OBJECT, 0},
    {"Type", PT_STR, 0},
    {"ServiceAttributes", PT_OBJECT, 0},
    {"Tags", PT_TAGS, 0},
    {NULL, 0, 0},
};

/* id: the service's id, or (an intent) "NAMESPACE-ID/NAME". */
static int svc_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    const char *slash = strchr(id, '/');
    char *found = NULL;
    if (slash) {
        char nsid[64];
        snprintf(nsid, sizeof(nsid), "%.*s", (int)(slash - id), id);
        json_t *out = NULL;
        if (prov_call(
                p, "servicediscovery", "ListServices",
                json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Name", "NAMESPACE_ID", "Values", nsid),
                &out))
            return -1;
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(out, "Services"), i, s) {
            if (!found && !strcmp(jstr(s, "Name"), slash + 1)) found = strdup(jstr(s, "Id"));
        }
        json_decref(out);
        if (!found) return 0;
        id = found;
    }
    int rc = gone_ok(p, "DeleteService", json_pack("{s:s}", "Id", id));
    free(found);
    return rc;
}

static int svc_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    char *name = prov_name(p, pr, "Name", 127, 0);
    const json_t *dc0 = json_object_get(pr, "DnsConfig");
    const char *nsid = jstr(pr, "NamespaceId") ? jstr(pr, "NamespaceId") : jstr(dc0, "NamespaceId");
    json_t *tags = prov_tags(p, json_object_get(pr, "Tags"), 1);
    json_t *in = name && tags ? json_pack("{s:s, s:o}", "Name", name, "Tags", tags) : NULL;
    int rc = !in || jset_str(in, "NamespaceId", nsid) ||
             jset_str(in, "Description", jstr(pr, "Description")) ||
             jset_str(in, "Type", jstr(pr, "Type"));
    static const char *const objs[] = {"DnsConfig", "HealthCheckConfig", "HealthCheckCustomConfig"};
    for (size_t i = 0; !rc && i < 3; i++) {
        json_t *v = json_deep_copy(json_object_get(pr, objs[i]));
        if (!v) continue;
        rc = numify(v, "FailureThreshold") || (i == 0 && numify_records(v)) ||
             json_object_set_new(in, objs[i], v);
    }
    char *intent = NULL;
    if (!rc && asprintf(&intent, "%s/%s", nsid ? nsid : "", name) < 0) intent = NULL;
    free(name);
    if (rc || !intent) {
        json_decref(in);
        free(intent);
        return ferr_oom(p->e);
    }
    rc = cfn_intent(p, intent);
    free(intent);
    if (rc) {
        json_decref(in);
        return -1;
    }
    json_t *out = NULL;
    if (prov_call(p, "servicediscovery", "CreateService", in, &out)) return -1;
    const char *sid = jstr(json_object_get(out, "Service"), "Id");
    *id = sid ? strdup(sid) : NULL;
    json_decref(out);
    return *id ? 0 : ferr_oom(p->e);
}

static int svc_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                      const json_t *np)
{
    (void)s;
    char *arn = arn_of(p, "service", id);
    if (!arn) return ferr_oom(p->e);
    int rc = 0;
    static const char *const keys[] = {"Description", "DnsConfig", "HealthCheckConfig"};
    int changed = 0;
    for (size_t i = 0; i < 3; i++)
        changed |= !prov_same(json_object_get(op, keys[i]), json_object_get(np, keys[i]));
    if (changed) {
        const char *d = jstr(np, "Description");
        json_t *ch = json_pack("{s:s}", "Description", d ? d : "");
        json_t *dc = json_object_get(np, "DnsConfig"),
               *hc = json_object_get(np, "HealthCheckConfig");
        json_t *recs =
            dc ? json_pack("{s:O}", "DnsRecords", json_object_get(dc, "DnsRecords")) : NULL;
        json_t *hcc = hc ? json_deep_copy(hc) : NULL;
        rc = !ch ||
             (dc && (!recs || numify_records(recs) || json_object_set(ch, "DnsConfig", recs))) ||
             (hc && (!hcc || numify(hcc, "FailureThreshold") ||
                     json_object_set(ch, "HealthCheckConfig", hcc)));
        json_decref(recs);
        json_decref(hcc);
        if (rc) {
            json_decref(ch);
            rc = ferr_oom(p->e);
        } else {
            rc = prov_call(p, "servicediscovery", "UpdateService",
                           json_pack("{s:s, s:o}", "Id", id, "Service", ch), NULL);
        }
    }
    if (!rc) rc = prov_sync_tags(p, &tagging, arn, np);
    free(arn);
    return rc;
}

static int svc_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    if (prov_call(p, "servicediscovery", "GetService", json_pack("{s:s}", "Id", id), &out))
        return -1;
    const json_t *sv = json_object_get(out, "Service");
    *attrs =
        json_pack("{s:s, s:s, s:s}", "Id", id, "Arn", jstr(sv, "Arn"), "Name", jstr(sv, "Name"));
    json_decref(out);
    return *attrs ? 0 : ferr_oom(p->e);
}

static const prov_shape svc_shape_def = {
    .schema = svc_schema,
    .make = svc_make,
    .change = svc_change,
    .attrs = svc_attrs,
    .del = svc_del,
};

static const char *const svc_replace_on[] = {"Name", "NamespaceId", "HealthCheckCustomConfig",
                                             "Type", NULL};

const cfn_provider cfn_provider_sd_service = {
    .type = "AWS::ServiceDiscovery::Service",
    .shape = &svc_shape_def,
    .del = svc_del,
    .replace_on = svc_replace_on,
};

/* ---- instances ---- */

static const prov_prop inst_schema[] = {
    {"InstanceAttributes", PT_OBJECT, 1},
    {"InstanceId", PT_STR, 0},
    {"ServiceId", PT_STR, 1},
    {NULL, 0, 0},
};

static int inst_del(cfn_pctx *p, const char *id, const json_t *props)
{
    const char *sid = jstr(props, "ServiceId");
    if (!sid) return 0;
    return gone_ok(p, "DeregisterInstance",
                   json_pack("{s:s, s:s}", "ServiceId", sid, "InstanceId", id));
}

/* RegisterInstance with the attributes as text (CloudFormation may give numbers). */
static int inst_register(cfn_pctx *p, const char *id, const json_t *pr)
{
    json_t *attrs = json_object();
    const char *k;
    json_t *v;
    int rc = !attrs;
    json_object_foreach(rc ? NULL : json_object_get(pr, "InstanceAttributes"), k, v) {
        char *t = prov_attr_text(v);
        rc |= !t || json_object_set_new(attrs, k, json_string(t));
        free(t);
    }
    if (rc) {
        json_decref(attrs);
        return ferr_oom(p->e);
    }
    json_t *out = NULL;
    if (prov_call(p, "servicediscovery", "RegisterInstance",
                  json_pack("{s:s, s:s, s:o}", "ServiceId", jstr(pr, "ServiceId"), "InstanceId", id,
                            "Attributes", attrs),
                  &out))
        return -1;
    json_t *op = NULL;
    rc = prov_call(p, "servicediscovery", "GetOperation",
                   json_pack("{s:s}", "OperationId", jstr(out, "OperationId")), &op);
    json_decref(out);
    if (rc) return -1;
    const json_t *o = json_object_get(op, "Operation");
    if (!strcmp(jstr(o, "Status"), "FAIL"))
        rc = prov_invalid(p, "%s", jstr(o, "ErrorMessage") ? jstr(o, "ErrorMessage") : "failed");
    json_decref(op);
    return rc;
}

static int inst_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    char *iid = prov_name(p, pr, "InstanceId", 64, 0);
    if (!iid) return ferr_oom(p->e);
    if (cfn_intent(p, iid) || inst_register(p, iid, pr)) {
        free(iid);
        return -1;
    }
    *id = iid;
    return 0;
}

static int inst_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                       const json_t *np)
{
    (void)s, (void)op;
    return inst_register(p, id, np);
}

static int inst_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    *attrs = json_pack("{s:s}", "Id", id);
    return *attrs ? 0 : ferr_oom(p->e);
}

static const prov_shape inst_shape = {
    .schema = inst_schema,
    .make = inst_make,
    .change = inst_change,
    .attrs = inst_attrs,
    .del = inst_del,
};

static const char *const inst_replace_on[] = {"InstanceId", "ServiceId", NULL};

const cfn_provider cfn_provider_sd_instance = {
    .type = "AWS::ServiceDiscovery::Instance",
    .shape = &inst_shape,
    .del = inst_del,
    .replace_on = inst_replace_on,
};
