/* Elastic Load Balancing v2: the service, load balancers, their attributes, and the tags of
 * every resource. See elbv2_int.h. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/jtags.h"
#include "elbv2_int.h"
#include "engine/lb.h"
#include "svc/ec2/ec2.h"

static int serve_elb(ferry_env *env, arena *a, const svc_request *r, proto_response *resp)
{
    return lb_engine_serve(env, a, r, resp);
}

/* GET /_ferry/elb: where the data plane listens (engine/lb.c) */
static const svc_route routes[] = {
    {"GET", NULL, "/_ferry/elb", serve_elb},
};

/* every committed change reaches the proxy at once (the engine also polls) */
static void written(void)
{
    lb_engine_kick();
}

const svc_def svc_elbv2 = {.name = "elasticloadbalancing",
                           .event_source = "elasticloadbalancing.amazonaws.com",
                           .written = written,
                           .routes = routes,
                           .nroutes = sizeof(routes) / sizeof(routes[0])};

#define MAX_TAGS 50 /* AWS: tags per resource */

/* ---- helpers ---- */

const char *el_arn(call *c, const char *resource)
{
    return call_arn(c, "elasticloadbalancing", resource);
}

const char *el_arn_rest(call *c, const char *arn, const char *kind)
{
    return call_arn_rest(c, "elasticloadbalancing", arn, kind);
}

int el_auth(call *c, const char *arn)
{
    return call_authorize_op(c, "elasticloadbalancing", arn);
}

int el_page(call *c, const json_t *in, json_t *all, const char *key, json_t **out)
{
    json_t *o = json_object();
    if (!o) return ferr_oom(c->err);
    *out = o;
    return svc_page(c, all, jstr(in, "Marker"), jint(in, "PageSize", 400), o, key, "NextMarker",
                    "ValidationError");
}

void el_id(char out[17])
{
    ids_hex(out, 16);
}

int el_invalid(call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = ferr_vset(c->err, 400, "ValidationError", "", fmt, ap);
    va_end(ap);
    return rc;
}

/* rest "TYPE/NAME/ID" (load balancers) or "NAME/ID" (target groups): the document under
 * NAME whose _id is ID. */
static int by_rest(call *c, const char *kind, const char *rest, int typed, json_t **doc)
{
    *doc = NULL;
    if (!rest) return 0;
    if (typed) {
        const char *s = strchr(rest, '/');
        if (!s) return 0;
        rest = s + 1;
    }
    const char *slash = strchr(rest, '/');
    if (!slash || strchr(slash + 1, '/')) return 0;
    char *name = arena_strndup(c->a, rest, (size_t)(slash - rest));
    if (!name) return ferr_oom(c->err);
    json_t *d;
    int rc = call_doc_get(c, kind, name, &d);
    if (rc != 1) return rc;
    if (!jstr(d, "_id") || strcmp(jstr(d, "_id"), slash + 1)) return 0;
    *doc = d;
    return 1;
}

int el_lb_by_arn(call *c, const char *arn, json_t **doc)
{
    return by_rest(c, EL_LB, el_arn_rest(c, arn, "loadbalancer"), 1, doc);
}

int el_tg_by_arn(call *c, const char *arn, json_t **doc)
{
    return by_rest(c, EL_TG, el_arn_rest(c, arn, "targetgroup"), 0, doc);
}

json_t *el_view(call *c, const json_t *doc)
{
    json_t *v = arena_defer_json(c->a, json_deep_copy(doc));
    if (!v) {
        c->oom = 1;
        return NULL;
    }
    const char *k;
    json_t *x;
    void *tmp;
    json_object_foreach_safe(v, tmp, k, x) {
        if (k[0] == '_' || !strcmp(k, "Attributes") || !strcmp(k, "Tags") || !strcmp(k, "Targets"))
            json_object_del(v, k);
    }
    return v;
}

int el_check_tags(call *c, const json_t *tags, const json_t *have)
{
    size_t i, j, n = json_array_size(have);
    const json_t *t, *u;
    json_array_foreach(tags, i, t) {
        const char *k = jstr(t, "Key");
        if (k && !strncmp(k, "aws:", 4) && c->caller == CALLER_CLIENT)
            return el_invalid(c, "Tag keys starting with 'aws:' are reserved for internal use");
        json_array_foreach(tags, j, u) {
            if (j < i && k && jstr(u, "Key") && !strcmp(k, jstr(u, "Key")))
                return ferr_set(c->err, 400, "DuplicateTagKeys", "Tag key '%s' is duplicated", k);
        }
        int known = 0;
        json_array_foreach(have, j, u) known |= k && jstr(u, "Key") && !strcmp(k, jstr(u, "Key"));
        if (!known) n++;
    }
    if (n > MAX_TAGS)
        return ferr_set(c->err, 400, "TooManyTags",
                        "The quota for the number of tags that can be "
                        "assigned to a resource has been reached");
    return 0;
}

json_t *el_attr_list(call *c, const json_t *doc)
{
    json_t *list = arena_defer_json(c->a, json_array());
    const char *k;
    json_t *v;
    int bad = !list;
    json_object_foreach(json_object_get(doc, "Attributes"), k, v) {
        if (!bad) bad = json_array_append_new(list, json_pack("{s:s, s:O}", "Key", k, "Value", v));
    }
    if (bad) {
        ferr_oom(c->err);
        return NULL;
    }
    return list;
}

int el_attr_set(call *c, json_t *doc, const json_t *attrs, const char *const *allowed)
{
    json_t *have = json_object_get(doc, "Attributes");
    size_t i;
    const json_t *a;
    json_array_foreach(attrs, i, a) {
        const char *k = jstr(a, "Key"), *v = jstr(a, "Value");
        int ok = 0;
        for (const char *const *p = allowed; k && *p; p++) ok |= !strcmp(*p, k);
        if (!ok)
            return el_invalid(c, "Load balancer attribute key '%s' is not recognized", k ? k : "");
        if (!v) return el_invalid(c, "The value of attribute '%s' cannot be empty", k);
        int is_bool = strstr(k, ".enabled") != NULL;
        if (is_bool && strcmp(v, "true") && strcmp(v, "false"))
            return el_invalid(c, "The value of '%s' must be 'true' or 'false'", k);
        if (!is_bool && strstr(k, "seconds")) {
            char *end;
            long n = strtol(v, &end, 10);
            if (!*v || *end || n < 0 || n > 604800)
                return el_invalid(c, "The value of '%s' must be a non-negative integer", k);
        }
        if (json_object_set_new(have, k, json_string(v))) return ferr_oom(c->err);
    }
    return 0;
}

/* ---- load balancers ---- */

/* AWS: "This name must be unique per region per account, can have a maximum of 32
 * characters, must contain only alphanumeric characters or hyphens, must not begin or end
 * with a hyphen, and must not begin with internal-". */
static int check_name(call *c, const char *name, const char *what)
{
    size_t n = strlen(name);
    int ok = n >= 1 && n <= 32 && name[0] != '-' && name[n - 1] != '-';
    for (size_t i = 0; ok && i < n; i++) ok = isalnum((unsigned char)name[i]) || name[i] == '-';
    if (!ok)
        return el_invalid(c,
                          "%s name '%s' cannot be longer than '32' characters, must contain only "
                          "alphanumeric characters or hyphens, and must not begin or end with a "
                          "hyphen",
                          what, name);
    if (!strncmp(name, "internal-", 9))
        return el_invalid(c, "Load balancer name '%s' cannot begin with 'internal-'", name);
    return 0;
}

/* AWS's hosted zone of Application Load Balancers in each region (Route 53 alias targets). */
static const char *alb_zone(const char *region)
{
    static const char *const zones[][2] = {
        {"us-east-1", "Z35SXDOTRQ7X7K"},      {"us-east-2", "Z3AADJGX6KTTL2"},
        {"us-west-1", "Z368ELLRRE2KJ0"},      {"us-west-2", "Z1H1FL5HABSF5"},
        {"ca-central-1", "ZQSVJUPU6J1EY"},    {"eu-west-1", "Z32O12XQLNTSW2"},
        {"eu-west-2", "ZHURV8PSTC4K8"},       {"eu-west-3", "Z3Q77PNBQS71R4"},
        {"eu-central-1", "Z215JYRZR1TBD5"},   {"eu-north-1", "Z23TAZ7KFZIIO5"},
        {"ap-south-1", "ZP97RAFLXTNZK"},      {"ap-northeast-1", "Z14GRHDCWA56QT"},
        {"ap-northeast-2", "ZWKZPGTI48KDX"},  {"ap-southeast-1", "Z1LMS91P8CMLE5"},
        {"ap-southeast-2", "Z1GM3OXH4ZPM65"}, {"sa-east-1", "Z2P70J7HTTTPLU"},
    };
    for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
        if (!strcmp(zones[i][0], region)) return zones[i][1];
    return "Z35SXDOTRQ7X7K";
}

/* The Availability Zones of subnets ({id: zone}), read from EC2 as the caller; NULL when it
 * cannot tell (then zones are named by position). */
static json_t *subnet_zones(call *c, const json_t *ids)
{
    json_t *in = json_pack("{s:O}", "SubnetIds", ids), *out = NULL;
    ferr e = {0};
    int rc = in ? svc_invoke_in(c->txn, c->a, c->env, c->who, c->region, "ec2", "DescribeSubnets",
                                in, &out, NULL, &e)
                : -1;
    json_decref(in);
    json_t *zones = rc ? NULL : arena_defer_json(c->a, json_object()), *s;
    size_t i;
    json_array_foreach(json_object_get(out, "Subnets"), i, s) {
        if (zones && jstr(s, "SubnetId") && jstr(s, "AvailabilityZone") &&
            json_object_set(zones, jstr(s, "SubnetId"), json_object_get(s, "AvailabilityZone")))
            zones = NULL;
    }
    json_decref(out);
    return zones;
}

/* The subnets (Subnets or SubnetMappings) as AvailabilityZones, and their VPC. */
static int lb_subnets(call *c, const json_t *in, const char *type, json_t **azs, char *vpc)
{
    json_t *ids = arena_defer_json(c->a, json_array());
    size_t i;
    const json_t *s;
    if (!ids) return ferr_oom(c->err);
    json_array_foreach(json_object_get(in, "Subnets"), i, s) {
        if (json_array_append(ids, (json_t *)s)) return ferr_oom(c->err);
    }
    json_array_foreach(json_object_get(in, "SubnetMappings"), i, s) {
        json_t *id = json_object_get(s, "SubnetId");
        if (id && json_array_append(ids, id)) return ferr_oom(c->err);
    }
    if (!strcmp(type, "application") && json_array_size(ids) < 2)
        return el_invalid(c, "At least two subnets in two different Availability Zones must be "
                             "specified");
    if (!json_array_size(ids)) return el_invalid(c, "At least one subnet must be specified");
    *azs = arena_defer_json(c->a, json_array());
    if (!*azs) return ferr_oom(c->err);
    vpc[0] = 0;
    json_array_foreach(ids, i, s) {
        const char *id = json_string_value(s);
        char in_vpc[EC2_ID_MAX] = "";
        int rc = ec2_subnet_usable(c->txn, c->region, id ? id : "", c->account, in_vpc, c->err);
        if (rc < 0) return -1;
        if (!rc)
            return ferr_set(c->err, 400, "SubnetNotFound", "The subnet ID '%s' is not valid",
                            id ? id : "");
        if (vpc[0] && strcmp(vpc, in_vpc))
            return ferr_set(c->err, 400, "InvalidSubnet",
                            "The subnets must all belong to the same VPC");
        snprintf(vpc, EC2_ID_MAX, "%s", in_vpc);
    }
    json_t *zones = subnet_zones(c, ids), *used = arena_defer_json(c->a, json_object());
    if (!used) return ferr_oom(c->err);
    json_array_foreach(ids, i, s) {
        const char *id = json_string_value(s), *zone = jstr(zones, id);
        char pos[64];
        if (!zone) {
            snprintf(pos, sizeof(pos), "%s%c", c->region, (int)('a' + i % 6));
            zone = pos;
        }
        if (json_object_get(used, zone))
            return el_invalid(c,
                              "You cannot specify multiple subnets from the same Availability "
                              "Zone '%s'",
                              zone);
        if (json_object_set_new(used, zone, json_true()) ||
            json_array_append_new(*azs, json_pack("{s:s, s:s, s:[]}", "ZoneName", zone, "SubnetId",
                                                  id, "LoadBalancerAddresses")))
            return ferr_oom(c->err);
    }
    return 0;
}

/* Security groups must exist, be the caller's, in the load balancer's VPC (NULL: not known
 * yet). */
static int lb_sgs(call *c, const json_t *sgs, const char *vpc)
{
    size_t i;
    const json_t *s;
    json_array_foreach(sgs, i, s) {
        const char *id = json_string_value(s);
        char in_vpc[EC2_ID_MAX] = "";
        int rc = ec2_sg_usable(c->txn, c->region, id ? id : "", c->account, in_vpc, c->err);
        if (rc < 0) return -1;
        if (!rc)
            return ferr_set(c->err, 400, "InvalidSecurityGroup",
                            "One or more security groups are invalid");
        if (vpc && strcmp(vpc, in_vpc))
            return ferr_set(c->err, 400, "InvalidConfigurationRequest",
                            "One or more security groups are not in VPC '%s'", vpc);
    }
    return 0;
}

static const char *const lb_attr_keys[] = {
    "deletion_protection.enabled",
    "idle_timeout.timeout_seconds",
    "routing.http2.enabled",
    "routing.http.drop_invalid_header_fields.enabled",
    "routing.http.desync_mitigation_mode",
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled",
    "routing.http.xff_client_port.enabled",
    "routing.http.preserve_host_header.enabled",
    "routing.http.xff_header_processing.mode",
    "access_logs.s3.enabled",
    "access_logs.s3.bucket",
    "access_logs.s3.prefix",
    "waf.fail_open.enabled",
    "load_balancing.cross_zone.enabled",
    "client_keep_alive.seconds",
    NULL,
};

static json_t *lb_default_attrs(const char *type)
{
    if (strcmp(type, "application"))
        return json_pack("{s:s, s:s, s:s, s:s, s:s}", "deletion_protection.enabled", "false",
                         "load_balancing.cross_zone.enabled", "false", "access_logs.s3.enabled",
                         "false", "access_logs.s3.bucket", "", "access_logs.s3.prefix", "");
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                     "deletion_protection.enabled", "false", "idle_timeout.timeout_seconds", "60",
                     "routing.http2.enabled", "true",
                     "routing.http.drop_invalid_header_fields.enabled", "false",
                     "routing.http.desync_mitigation_mode", "defensive",
                     "routing.http.xff_header_processing.mode", "append", "access_logs.s3.enabled",
                     "false", "access_logs.s3.bucket", "", "access_logs.s3.prefix", "",
                     "waf.fail_open.enabled", "false", "client_keep_alive.seconds", "3600");
}

int elbv2_lb_active(const json_t *doc, double now, double *until)
{
    const char *s = getenv("FERRY_ELBV2_PROVISION_SECONDS");
    double ready = json_number_value(json_object_get(doc, "CreatedTime")) + (s ? atof(s) : 0);
    if (until) *until = ready;
    return now >= ready;
}

/* The load balancer's current state: provisioning, then active. */
static json_t *lb_out(call *c, const json_t *doc)
{
    json_t *v = el_view(c, doc);
    const char *state = elbv2_lb_active(doc, clock_now(), NULL) ? "active" : "provisioning";
    if (v && json_object_set_new(v, "State", json_pack("{s:s}", "Code", state))) c->oom = 1;
    return v;
}

static int same_set(const json_t *a, const json_t *b)
{
    if (json_array_size(a) != json_array_size(b)) return 0;
    size_t i, j;
    const json_t *x, *y;
    json_array_foreach(a, i, x) {
        int found = 0;
        json_array_foreach(b, j, y) found |= json_equal((json_t *)x, (json_t *)y);
        if (!found) return 0;
    }
    return 1;
}

int elbv2_op_create_load_balancer(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "Name"), *type = jstr(in, "Type"), *scheme = jstr(in, "Scheme");
    const char *ipt = jstr(in, "IpAddressType");
    json_t *sgs = json_object_get(in, "SecurityGroups"), *tags = json_object_get(in, "Tags");
    if (!type) type = "application";
    if (!scheme) scheme = "internet-facing";
    if (!ipt) ipt = "ipv4";
    const char *tcode = !strcmp(type, "application") ? "app"
                        : !strcmp(type, "network")   ? "net"
                                                     : "gwy";
    if (el_auth(c, el_arn(c, arena_printf(c->a, "loadbalancer/%s/%s/*", tcode, name))) ||
        check_name(c, name, "Load balancer"))
        return -1;
    if (strcmp(type, "application") && sgs && json_array_size(sgs) && !strcmp(type, "gateway"))
        return el_invalid(c, "Security groups are not supported for load balancers with type "
                             "'gateway'");
    json_t *azs;
    char vpc[EC2_ID_MAX];
    if (lb_subnets(c, in, type, &azs, vpc) || lb_sgs(c, sgs, vpc) || el_check_tags(c, tags, NULL))
        return -1;
    json_t *have;
    int rc = call_doc_get(c, EL_LB, name, &have);
    if (rc < 0) return -1;
    if (rc == 1) {
        /* AWS: the same name with the same settings answers the existing load balancer */
        json_t *subnets = arena_defer_json(c->a, json_array()), *z;
        json_t *want = arena_defer_json(c->a, json_array());
        size_t i;
        int bad = !subnets || !want;
        json_array_foreach(json_object_get(have, "AvailabilityZones"), i, z) {
            bad = bad || json_array_append(subnets, json_object_get(z, "SubnetId"));
        }
        json_array_foreach(azs, i, z) {
            bad = bad || json_array_append(want, json_object_get(z, "SubnetId"));
        }
        if (bad) return ferr_oom(c->err);
        if (strcmp(jstr(have, "Type"), type) || strcmp(jstr(have, "Scheme"), scheme) ||
            !same_set(subnets, want) ||
            (sgs && !same_set(sgs, json_object_get(have, "SecurityGroups"))))
            return ferr_set(c->err, 400, "DuplicateLoadBalancerName",
                            "A load balancer with the same name '%s' exists, but with different "
                            "settings",
                            name);
        *out = svc_out(c, json_pack("{s:[O]}", "LoadBalancers", lb_out(c, have)));
        return 0;
    }
    char id[17], num[11];
    el_id(id);
    ids_random(num, sizeof(num) - 1);
    for (size_t i = 0; i < 10; i++) num[i] = (char)('0' + (unsigned char)num[i] % 10);
    num[0] = num[0] == '0' ? '1' : num[0];
    num[10] = 0;
    const char *arn = el_arn(c, arena_printf(c->a, "loadbalancer/%s/%s/%s", tcode, name, id));
    const char *dns =
        arena_printf(c->a, "%s%s-%s.%s.elb.%s", !strcmp(scheme, "internal") ? "internal-" : "",
                     name, num, c->region, arn_dns_suffix(c->region));
    json_t *doc = arena_defer_json(
        c->a,
        json_pack("{s:s, s:s, s:s, s:f, s:s, s:s, s:s, s:s, s:O, s:s, s:s, s:o, s:[]}",
                  "LoadBalancerArn", arn, "DNSName", dns, "CanonicalHostedZoneId",
                  alb_zone(c->region), "CreatedTime", clock_now(), "LoadBalancerName", name,
                  "Scheme", scheme, "VpcId", vpc, "Type", type, "AvailabilityZones", azs,
                  "IpAddressType", ipt, "_id", id, "Attributes", lb_default_attrs(type), "Tags"));
    if (!doc || !arn || !dns) return ferr_oom(c->err);
    if (strcmp(type, "gateway") &&
        json_object_set_new(doc, "SecurityGroups", sgs ? json_copy(sgs) : json_array()))
        return ferr_oom(c->err);
    if (jtags_merge(doc, tags)) return ferr_oom(c->err);
    if (call_doc_put(c, EL_LB, name, doc)) return -1;
    call_resource(c, "AWS::ElasticLoadBalancingV2::LoadBalancer", arn);
    json_t *v = el_view(c, doc);
    if (v && json_object_set_new(v, "State", json_pack("{s:s}", "Code", "provisioning")))
        return ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:[O]}", "LoadBalancers", v));
    return 0;
}

static int lb_not_found(call *c, const char *arn)
{
    return ferr_set(c->err, 400, "LoadBalancerNotFound", "Load balancer '%s' not found",
                    arn ? arn : "");
}

/* Names/ARNs filter a listing in the caller's order; any one missing is an error. */
int elbv2_op_describe_load_balancers(call *c, json_t *in, json_t **out)
{
    json_t *arns = json_object_get(in, "LoadBalancerArns"), *names = json_object_get(in, "Names");
    if (el_auth(c, NULL)) return -1;
    if (json_array_size(arns) && json_array_size(names))
        return el_invalid(c, "Load balancer names and load balancer ARNs cannot be specified at "
                             "the same time");
    json_t *all = arena_defer_json(c->a, json_array()), *x;
    size_t i;
    if (!all) return ferr_oom(c->err);
    if (json_array_size(arns)) {
        json_array_foreach(arns, i, x) {
            json_t *d;
            int rc = el_lb_by_arn(c, json_string_value(x), &d);
            if (rc < 0) return -1;
            if (!rc) return lb_not_found(c, json_string_value(x));
            if (json_array_append(all, lb_out(c, d))) return ferr_oom(c->err);
        }
    } else if (json_array_size(names)) {
        json_array_foreach(names, i, x) {
            json_t *d;
            int rc = call_doc_get(c, EL_LB, json_string_value(x), &d);
            if (rc < 0) return -1;
            if (!rc)
                return ferr_set(c->err, 400, "LoadBalancerNotFound",
                                "Load balancers '[%s]' not found", json_string_value(x));
            if (json_array_append(all, lb_out(c, d))) return ferr_oom(c->err);
        }
    } else {
        json_t *docs = call_doc_list(c, EL_LB, NULL);
        if (!docs) return -1;
        json_array_foreach(docs, i, x) {
            if (json_array_append(all, lb_out(c, x))) return ferr_oom(c->err);
        }
    }
    return el_page(c, in, all, "LoadBalancers", out);
}

int elbv2_op_delete_load_balancer(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *arn = jstr(in, "LoadBalancerArn");
    if (el_auth(c, arn)) return -1;
    json_t *d;
    int rc = el_lb_by_arn(c, arn, &d);
    if (rc <= 0) return rc; /* AWS: deleting one that is gone succeeds */
    const char *prot = jstr(json_object_get(d, "Attributes"), "deletion_protection.enabled");
    if (prot && !strcmp(prot, "true"))
        return ferr_set(c->err, 400, "OperationNotPermitted",
                        "Load balancer '%s' cannot be deleted because deletion protection is "
                        "enabled",
                        arn);
    if (el_listeners_delete(c, el_arn_rest(c, arn, "loadbalancer"))) return -1;
    store_key k = call_key(c, EL_LB, jstr(d, "LoadBalancerName"));
    if (store_del(c->txn, &k, c->err) < 0) return -1;
    call_resource(c, "AWS::ElasticLoadBalancingV2::LoadBalancer", arn);
    return 0;
}

int elbv2_op_describe_load_balancer_attributes(call *c, json_t *in, json_t **out)
{
    const char *arn = jstr(in, "LoadBalancerArn");
    json_t *d;
    if (el_auth(c, arn)) return -1;
    int rc = el_lb_by_arn(c, arn, &d);
    if (rc <= 0) return rc < 0 ? -1 : lb_not_found(c, arn);
    json_t *list = el_attr_list(c, d);
    if (!list) return -1;
    *out = svc_out(c, json_pack("{s:O}", "Attributes", list));
    return 0;
}

int elbv2_op_modify_load_balancer_attributes(call *c, json_t *in, json_t **out)
{
    const char *arn = jstr(in, "LoadBalancerArn");
    json_t *d;
    if (el_auth(c, arn)) return -1;
    int rc = el_lb_by_arn(c, arn, &d);
    if (rc <= 0) return rc < 0 ? -1 : lb_not_found(c, arn);
    if (el_attr_set(c, d, json_object_get(in, "Attributes"), lb_attr_keys) ||
        call_doc_put(c, EL_LB, jstr(d, "LoadBalancerName"), d))
        return -1;
    json_t *list = el_attr_list(c, d);
    if (!list) return -1;
    *out = svc_out(c, json_pack("{s:O}", "Attributes", list));
    return 0;
}

int elbv2_op_set_security_groups(call *c, json_t *in, json_t **out)
{
    const char *arn = jstr(in, "LoadBalancerArn");
    json_t *d, *sgs = json_object_get(in, "SecurityGroups");
    if (el_auth(c, arn)) return -1;
    int rc = el_lb_by_arn(c, arn, &d);
    if (rc <= 0) return rc < 0 ? -1 : lb_not_found(c, arn);
    if (lb_sgs(c, sgs, jstr(d, "VpcId")) || json_object_set(d, "SecurityGroups", sgs) ||
        call_doc_put(c, EL_LB, jstr(d, "LoadBalancerName"), d))
        return -1;
    *out = svc_out(c, json_pack("{s:O}", "SecurityGroupIds", sgs));
    return 0;
}

/* ---- tags ---- */

/* The document (and its kind and id) an ARN of any of the four kinds names. */
static int tagged(call *c, const char *arn, const char **kind, const char **id, json_t **doc)
{
    const char *rest;
    *doc = NULL;
    if ((rest = el_arn_rest(c, arn, "loadbalancer"))) {
        *kind = EL_LB;
        int rc = el_lb_by_arn(c, arn, doc);
        if (rc <= 0) return rc < 0 ? -1 : lb_not_found(c, arn);
        *id = jstr(*doc, "LoadBalancerName");
        return 0;
    }
    if ((rest = el_arn_rest(c, arn, "targetgroup"))) {
        *kind = EL_TG;
        int rc = el_tg_by_arn(c, arn, doc);
        if (rc <= 0)
            return rc < 0 ? -1
                          : ferr_set(c->err, 400, "TargetGroupNotFound",
                                     "Target groups '%s' not found", arn);
        *id = jstr(*doc, "TargetGroupName");
        return 0;
    }
    int listener = (rest = el_arn_rest(c, arn, "listener")) != NULL;
    if (listener || (rest = el_arn_rest(c, arn, "listener-rule"))) {
        *kind = listener ? EL_LS : EL_RULE;
        *id = rest;
        int rc = call_doc_get(c, *kind, rest, doc);
        if (rc < 0) return -1;
        if (!rc)
            return listener
                       ? ferr_set(c->err, 400, "ListenerNotFound", "Listener '%s' not found", arn)
                       : ferr_set(c->err, 400, "RuleNotFound", "Rule '%s' not found", arn);
        return 0;
    }
    return el_invalid(c, "'%s' is not a valid load balancer, target group, listener or rule ARN",
                      arn ? arn : "");
}

int elbv2_op_add_tags(call *c, json_t *in, json_t **out)
{
    (void)out;
    size_t i;
    json_t *a, *tags = json_object_get(in, "Tags");
    json_array_foreach(json_object_get(in, "ResourceArns"), i, a) {
        const char *kind, *id, *arn = json_string_value(a);
        json_t *d;
        if (el_auth(c, arn) || tagged(c, arn, &kind, &id, &d) ||
            el_check_tags(c, tags, json_object_get(d, "Tags")))
            return -1;
        if (jtags_merge(d, tags)) return ferr_oom(c->err);
        if (call_doc_put(c, kind, id, d)) return -1;
    }
    return 0;
}

int elbv2_op_remove_tags(call *c, json_t *in, json_t **out)
{
    (void)out;
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(in, "ResourceArns"), i, a) {
        const char *kind, *id, *arn = json_string_value(a);
        json_t *d;
        if (el_auth(c, arn) || tagged(c, arn, &kind, &id, &d)) return -1;
        jtags_remove(d, json_object_get(in, "TagKeys"));
        if (call_doc_put(c, kind, id, d)) return -1;
    }
    return 0;
}

int elbv2_op_describe_tags(call *c, json_t *in, json_t **out)
{
    size_t i;
    json_t *a, *list = arena_defer_json(c->a, json_array());
    if (!list) return ferr_oom(c->err);
    json_array_foreach(json_object_get(in, "ResourceArns"), i, a) {
        const char *kind, *id, *arn = json_string_value(a);
        json_t *d, *tags;
        if (el_auth(c, arn) || tagged(c, arn, &kind, &id, &d)) return -1;
        tags = json_object_get(d, "Tags");
        if (json_array_append_new(list, json_pack("{s:s, s:o}", "ResourceArn", arn, "Tags",
                                                  tags ? json_incref(tags) : json_array())))
            return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:O}", "TagDescriptions", list));
    return 0;
}
