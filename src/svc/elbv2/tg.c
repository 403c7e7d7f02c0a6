/* Target groups, their attributes and targets. A target's health is its own (health.c);
 * registering and deregistering here start and end its life as AWS does: a new target is
 * "initial" until checked, a deregistered one of a group in use drains for the group's
 * deregistration_delay.timeout_seconds before it goes. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/jtags.h"
#include "elbv2_int.h"
#include "svc/ec2/ec2.h"

#define MAX_TARGETS 1000 /* AWS: targets per target group (application load balancers) */

static const char *or_(const char *a, const char *b)
{
    return a ? a : b;
}

static int tg_not_found(call *c, const char *arn)
{
    return ferr_set(c->err, 400, "TargetGroupNotFound", "Target groups '%s' not found",
                    arn ? arn : "");
}

static int load(call *c, const char *arn, json_t **d)
{
    int rc = el_tg_by_arn(c, arn, d);
    return rc < 0 ? -1 : rc ? 0 : tg_not_found(c, arn);
}

static int save(call *c, const json_t *d)
{
    return call_doc_put(c, EL_TG, jstr(d, "TargetGroupName"), d);
}

int el_tg_in_use(call *c, const char *tg_arn, json_t *lbs)
{
    json_t *ls = call_doc_list(c, EL_LS, NULL), *rules = call_doc_list(c, EL_RULE, NULL), *x;
    if (!ls || !rules) return -1;
    int used = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t i;
        json_array_foreach(pass ? rules : ls, i, x) {
            json_t *tgs = json_array();
            if (!tgs) return ferr_oom(c->err);
            int rc = el_actions_tgs(json_object_get(x, pass ? "Actions" : "DefaultActions"), tgs,
                                    c->err);
            size_t j;
            json_t *t;
            int hit = 0;
            json_array_foreach(tgs, j, t) hit |= !strcmp(json_string_value(t), tg_arn);
            json_decref(tgs);
            if (rc) return -1;
            if (!hit) continue;
            used = 1;
            json_t *lb = json_object_get(x, pass ? "_lb" : "LoadBalancerArn");
            size_t k;
            json_t *have;
            int dup = 0;
            json_array_foreach(lbs, k, have) dup |= json_equal(have, lb);
            if (lbs && lb && !dup && json_array_append(lbs, lb)) return ferr_oom(c->err);
        }
    }
    return used;
}

/* doc as AWS describes it, with the load balancers that use it. */
static json_t *tg_out(call *c, const json_t *doc)
{
    json_t *v = el_view(c, doc), *lbs = json_array();
    if (!v || !lbs || el_tg_in_use(c, jstr(doc, "TargetGroupArn"), lbs) < 0 ||
        json_object_set_new(v, "LoadBalancerArns", lbs)) {
        if (!v || !lbs) c->oom = 1;
        return NULL;
    }
    return v;
}

static int is_int_str(const char *s)
{
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

/* The health check members of in over doc's (create: doc holds the defaults). */
static int health_settings(call *c, json_t *doc, const json_t *in)
{
    static const char *const keys[] = {
        "HealthCheckProtocol",
        "HealthCheckPort",
        "HealthCheckEnabled",
        "HealthCheckPath",
        "HealthCheckIntervalSeconds",
        "HealthCheckTimeoutSeconds",
        "HealthyThresholdCount",
        "UnhealthyThresholdCount",
        "Matcher",
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(in, keys[i]);
        if (v && json_object_set(doc, keys[i], v)) return ferr_oom(c->err);
    }
    const char *port = jstr(doc, "HealthCheckPort");
    if (port && strcmp(port, "traffic-port") &&
        (!is_int_str(port) || atoi(port) < 1 || atoi(port) > 65535))
        return el_invalid(c,
                          "Health check port '%s' must be 'traffic-port' or a number between "
                          "1 and 65535",
                          port);
    long long iv = jint(doc, "HealthCheckIntervalSeconds", 30),
              to = jint(doc, "HealthCheckTimeoutSeconds", 5);
    if (strcmp(jstr(doc, "TargetType"), "lambda") && to >= iv)
        return el_invalid(c, "Health check timeout '%lld' must be smaller than the interval '%lld'",
                          to, iv);
    const char *path = jstr(doc, "HealthCheckPath");
    if (path && path[0] != '/') return el_invalid(c, "Health check path must begin with a '/'");
    const char *code = jstr(json_object_get(doc, "Matcher"), "HttpCode");
    for (const char *p = code; p && *p; p++)
        if (!isdigit((unsigned char)*p) && *p != ',' && *p != '-')
            return el_invalid(c,
                              "Health check matcher HTTP code '%s' must be a value between 200 "
                              "and 499, a list (200,202) or a range (200-299)",
                              code);
    return 0;
}

static const char *const tg_attr_keys[] = {
    "deregistration_delay.timeout_seconds",
    "stickiness.enabled",
    "stickiness.type",
    "stickiness.lb_cookie.duration_seconds",
    "stickiness.app_cookie.cookie_name",
    "stickiness.app_cookie.duration_seconds",
    "load_balancing.algorithm.type",
    "load_balancing.algorithm.anomaly_mitigation",
    "load_balancing.cross_zone.enabled",
    "slow_start.duration_seconds",
    "lambda.multi_value_headers.enabled",
    "target_group_health.dns_failover.minimum_healthy_targets.count",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count",
    NULL,
};

int elbv2_op_create_target_group(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "Name"), *type = jstr(in, "TargetType");
    const char *proto = jstr(in, "Protocol"), *vpc = jstr(in, "VpcId");
    json_t *port = json_object_get(in, "Port"), *tags = json_object_get(in, "Tags");
    if (!type) type = "instance";
    int lambda = !strcmp(type, "lambda");
    if (el_auth(c, el_arn(c, arena_printf(c->a, "targetgroup/%s/*", name)))) return -1;
    size_t n = strlen(name);
    int ok = n >= 1 && n <= 32 && name[0] != '-' && name[n - 1] != '-';
    for (size_t i = 0; ok && i < n; i++) ok = isalnum((unsigned char)name[i]) || name[i] == '-';
    if (!ok)
        return el_invalid(c,
                          "Target group name '%s' cannot be longer than '32' characters, must "
                          "contain only alphanumeric characters or hyphens, and must not begin or "
                          "end with a hyphen",
                          name);
    if (lambda && (proto || port || vpc))
        return el_invalid(c, "%s cannot be specified for target groups with target type 'lambda'",
                          proto  ? "A protocol"
                          : port ? "A port"
                                 : "A VPC ID");
    if (!lambda && !proto) return el_invalid(c, "A protocol must be specified");
    if (!lambda && !port) return el_invalid(c, "A port must be specified");
    if (!lambda && !vpc) return el_invalid(c, "A VPC ID must be specified");
    if (vpc) {
        int rc = ec2_vpc_usable_by(c->txn, c->region, vpc, c->account, c->err);
        if (rc < 0) return -1;
        if (!rc) return el_invalid(c, "The VPC ID '%s' is not found", vpc);
    }
    int http = proto && (!strcmp(proto, "HTTP") || !strcmp(proto, "HTTPS"));
    json_t *doc = arena_defer_json(c->a, json_object());
    if (!doc) return ferr_oom(c->err);
    int bad = jset_str(doc, "TargetGroupName", name) || jset_str(doc, "TargetType", type);
    if (!lambda)
        bad = bad || jset_str(doc, "Protocol", proto) || json_object_set(doc, "Port", port) ||
              jset_str(doc, "VpcId", vpc) ||
              jset_str(doc, "HealthCheckProtocol", http ? proto : "TCP") ||
              jset_str(doc, "HealthCheckPort", "traffic-port") ||
              jset_str(doc, "IpAddressType", or_(jstr(in, "IpAddressType"), "ipv4"));
    if (http || lambda)
        bad = bad || jset_str(doc, "HealthCheckPath", "/") ||
              json_object_set_new(doc, "Matcher", json_pack("{s:s}", "HttpCode", "200"));
    if (http)
        bad = bad || jset_str(doc, "ProtocolVersion", or_(jstr(in, "ProtocolVersion"), "HTTP1"));
    bad = bad || json_object_set_new(doc, "HealthCheckEnabled", json_boolean(!lambda)) ||
          json_object_set_new(doc, "HealthCheckIntervalSeconds", json_integer(lambda ? 35 : 30)) ||
          json_object_set_new(doc, "HealthCheckTimeoutSeconds",
                              json_integer(lambda ? 30
                                           : http ? 5
                                                  : 10)) ||
          json_object_set_new(doc, "HealthyThresholdCount", json_integer(5)) ||
          json_object_set_new(doc, "UnhealthyThresholdCount", json_integer(2));
    if (bad) return ferr_oom(c->err);
    if (health_settings(c, doc, in) || el_check_tags(c, tags, NULL)) return -1;
    json_t *have;
    int rc = call_doc_get(c, EL_TG, name, &have);
    if (rc < 0) return -1;
    if (rc == 1) {
        /* AWS: the same name and settings answer the existing group */
        const char *k;
        json_t *v;
        int same = 1;
        json_object_foreach(doc, k, v) same &= json_equal(v, json_object_get(have, k));
        if (!same)
            return ferr_set(c->err, 400, "DuplicateTargetGroupName",
                            "A target group with the same name '%s' exists, but with different "
                            "settings",
                            name);
        *out = svc_out(c, json_pack("{s:[O]}", "TargetGroups", tg_out(c, have)));
        return 0;
    }
    char id[17];
    el_id(id);
    const char *arn = el_arn(c, arena_printf(c->a, "targetgroup/%s/%s", name, id));
    json_t *attrs =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "deregistration_delay.timeout_seconds", "300",
                  "stickiness.enabled", "false", "stickiness.type", "lb_cookie",
                  "stickiness.lb_cookie.duration_seconds", "86400", "load_balancing.algorithm.type",
                  "round_robin", "slow_start.duration_seconds", "0");
    if (!arn || jset_str(doc, "TargetGroupArn", arn) || jset_str(doc, "_id", id) ||
        json_object_set_new(doc, "Attributes", attrs) ||
        (lambda &&
         json_object_set_new(json_object_get(doc, "Attributes"),
                             "lambda.multi_value_headers.enabled", json_string("false"))) ||
        json_object_set_new(doc, "Targets", json_array()) ||
        json_object_set_new(doc, "Tags", json_array()) || jtags_merge(doc, tags))
        return ferr_oom(c->err);
    if (save(c, doc)) return -1;
    call_resource(c, "AWS::ElasticLoadBalancingV2::TargetGroup", arn);
    *out = svc_out(c, json_pack("{s:[O]}", "TargetGroups", tg_out(c, doc)));
    return 0;
}

int elbv2_op_describe_target_groups(call *c, json_t *in, json_t **out)
{
    json_t *arns = json_object_get(in, "TargetGroupArns"), *names = json_object_get(in, "Names");
    const char *lb = jstr(in, "LoadBalancerArn");
    if (el_auth(c, NULL)) return -1;
    if ((json_array_size(arns) != 0) + (json_array_size(names) != 0) + (lb != NULL) > 1)
        return el_invalid(c, "Target group names, target group ARNs and a load balancer ARN "
                             "cannot be specified at the same time");
    json_t *all = arena_defer_json(c->a, json_array()), *x, *d;
    size_t i;
    if (!all) return ferr_oom(c->err);
    if (json_array_size(arns) || json_array_size(names)) {
        json_array_foreach(arns ? arns : names, i, x) {
            const char *s = json_string_value(x);
            int rc = arns ? el_tg_by_arn(c, s, &d) : call_doc_get(c, EL_TG, s, &d);
            if (rc < 0) return -1;
            if (!rc)
                return ferr_set(c->err, 400, "TargetGroupNotFound",
                                "One or more target groups not found");
            if (json_array_append(all, tg_out(c, d))) return ferr_oom(c->err);
        }
    } else {
        if (lb) {
            int rc = el_lb_by_arn(c, lb, &d);
            if (rc < 0) return -1;
            if (!rc)
                return ferr_set(c->err, 400, "LoadBalancerNotFound", "Load balancer '%s' not found",
                                lb);
        }
        json_t *docs = call_doc_list(c, EL_TG, NULL);
        if (!docs) return -1;
        json_array_foreach(docs, i, x) {
            json_t *v = tg_out(c, x);
            if (!v) return -1;
            int hit = !lb;
            size_t j;
            json_t *a;
            json_array_foreach(json_object_get(v, "LoadBalancerArns"), j, a) {
                hit |= !strcmp(json_string_value(a), lb);
            }
            if (hit && json_array_append(all, v)) return ferr_oom(c->err);
        }
    }
    return el_page(c, in, all, "TargetGroups", out);
}

int elbv2_op_modify_target_group(call *c, json_t *in, json_t **out)
{
    const char *arn = jstr(in, "TargetGroupArn");
    json_t *d;
    if (el_auth(c, arn) || load(c, arn, &d) || health_settings(c, d, in) || save(c, d)) return -1;
    *out = svc_out(c, json_pack("{s:[O]}", "TargetGroups", tg_out(c, d)));
    return 0;
}

int elbv2_op_delete_target_group(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *arn = jstr(in, "TargetGroupArn");
    json_t *d;
    if (el_auth(c, arn)) return -1;
    int rc = el_tg_by_arn(c, arn, &d);
    if (rc <= 0) return rc; /* AWS: a group that is gone is deleted */
    rc = el_tg_in_use(c, arn, NULL);
    if (rc < 0) return -1;
    if (rc)
        return ferr_set(c->err, 400, "ResourceInUse",
                        "Target group '%s' is currently in use by a listener or a rule", arn);
    store_key k = call_key(c, EL_TG, jstr(d, "TargetGroupName"));
    if (store_del(c->txn, &k, c->err) < 0) return -1;
    call_resource(c, "AWS::ElasticLoadBalancingV2::TargetGroup", arn);
    return 0;
}

int elbv2_op_describe_target_group_attributes(call *c, json_t *in, json_t **out)
{
    const char *arn = jstr(in, "TargetGroupArn");
    json_t *d, *list;
    if (el_auth(c, arn) || load(c, arn, &d) || !(list = el_attr_list(c, d))) return -1;
    *out = svc_out(c, json_pack("{s:O}", "Attributes", list));
    return 0;
}

int elbv2_op_modify_target_group_attributes(call *c, json_t *in, json_t **out)
{
    const char *arn = jstr(in, "TargetGroupArn");
    json_t *d, *list;
    if (el_auth(c, arn) || load(c, arn, &d) ||
        el_attr_set(c, d, json_object_get(in, "Attributes"), tg_attr_keys) || save(c, d) ||
        !(list = el_attr_list(c, d)))
        return -1;
    *out = svc_out(c, json_pack("{s:O}", "Attributes", list));
    return 0;
}

/* ---- targets ---- */

/* The target of d matching t (Id, and Port or the group's), or NULL. */
static json_t *find_target(const json_t *d, const json_t *t, size_t *at)
{
    long long port = jint(t, "Port", jint(d, "Port", 0));
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(d, "Targets"), i, x) {
        if (!strcmp(jstr(x, "Id"), jstr(t, "Id")) &&
            (!strcmp(jstr(d, "TargetType"), "lambda") || jint(x, "Port", 0) == port)) {
            if (at) *at = i;
            return x;
        }
    }
    return NULL;
}

static int check_target(call *c, const json_t *d, const json_t *t)
{
    const char *type = jstr(d, "TargetType"), *id = jstr(t, "Id");
    long long port = jint(t, "Port", jint(d, "Port", 0));
    if (!strcmp(type, "lambda")) {
        if (strncmp(id, "arn:", 4) || !strstr(id, ":lambda:"))
            return ferr_set(c->err, 400, "InvalidTarget",
                            "The target '%s' is not a Lambda "
                            "function ARN",
                            id);
        return 0;
    }
    if (port < 1 || port > 65535)
        return el_invalid(c, "Port '%lld' must be between 1 and 65535", port);
    if (!strcmp(type, "ip")) {
        unsigned char buf[16];
        if (inet_pton(AF_INET, id, buf) != 1 && inet_pton(AF_INET6, id, buf) != 1)
            return ferr_set(c->err, 400, "InvalidTarget",
                            "The IP address '%s' is not a valid "
                            "IPv4 address",
                            id);
        return 0;
    }
    if (!strcmp(type, "instance")) {
        int ok = !strncmp(id, "i-", 2) && strlen(id) >= 10;
        for (const char *p = id + 2; ok && *p; p++) ok = isxdigit((unsigned char)*p);
        if (!ok)
            return ferr_set(c->err, 400, "InvalidTarget",
                            "The following targets are not valid instances: '%s'", id);
    }
    return 0;
}

int elbv2_op_register_targets(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *arn = jstr(in, "TargetGroupArn");
    json_t *d, *t;
    size_t i;
    if (el_auth(c, arn) || load(c, arn, &d)) return -1;
    json_t *targets = json_object_get(d, "Targets");
    int lambda = !strcmp(jstr(d, "TargetType"), "lambda");
    if (lambda && json_array_size(json_object_get(in, "Targets")) + json_array_size(targets) > 1)
        return ferr_set(c->err, 400, "TooManyTargets",
                        "You can register only one Lambda function with a target group");
    json_array_foreach(json_object_get(in, "Targets"), i, t) {
        if (check_target(c, d, t)) return -1;
        json_t *have = find_target(d, t, NULL);
        if (have) {
            /* re-registering a draining target brings it back */
            if (!strcmp(jstr(have, "_state"), "draining") &&
                (json_object_set_new(have, "_state", json_string("initial")) ||
                 json_object_set_new(have, "_ok", json_integer(0)) ||
                 json_object_set_new(have, "_fail", json_integer(0))))
                return ferr_oom(c->err);
            continue;
        }
        if (json_array_size(targets) >= MAX_TARGETS)
            return ferr_set(c->err, 400, "TooManyTargets",
                            "You have reached the maximum number of targets per target group");
        json_t *nt =
            json_pack("{s:s, s:s, s:i, s:i, s:f, s:f}", "Id", jstr(t, "Id"), "_state", "initial",
                      "_ok", 0, "_fail", 0, "_since", clock_now(), "_checked", 0.0);
        if (!nt ||
            (!lambda &&
             json_object_set_new(nt, "Port", json_integer(jint(t, "Port", jint(d, "Port", 0))))) ||
            (jstr(t, "AvailabilityZone") &&
             jset_str(nt, "AvailabilityZone", jstr(t, "AvailabilityZone"))) ||
            json_array_append_new(targets, nt))
            return ferr_oom(c->err);
    }
    return save(c, d);
}

int elbv2_op_deregister_targets(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *arn = jstr(in, "TargetGroupArn");
    json_t *d, *t;
    size_t i;
    if (el_auth(c, arn) || load(c, arn, &d)) return -1;
    int used = el_tg_in_use(c, arn, NULL);
    if (used < 0) return -1;
    long long delay = atoll(
        or_(jstr(json_object_get(d, "Attributes"), "deregistration_delay.timeout_seconds"), "300"));
    json_array_foreach(json_object_get(in, "Targets"), i, t) {
        size_t at;
        json_t *have = find_target(d, t, &at);
        if (!have)
            return ferr_set(c->err, 400, "InvalidTarget",
                            "The following targets are not registered in target group '%s': '%s'",
                            jstr(d, "TargetGroupName"), jstr(t, "Id"));
        if (used && delay > 0) {
            if (json_object_set_new(have, "_state", json_string("draining")) ||
                json_object_set_new(have, "_since", json_real(clock_now())))
                return ferr_oom(c->err);
        } else if (json_array_remove(json_object_get(d, "Targets"), at))
            return ferr_oom(c->err);
    }
    return save(c, d);
}

int elbv2_op_describe_target_health(call *c, json_t *in, json_t **out)
{
    const char *arn = jstr(in, "TargetGroupArn");
    json_t *d, *t, *want = json_object_get(in, "Targets");
    size_t i;
    if (el_auth(c, arn) || load(c, arn, &d)) return -1;
    int used = el_tg_in_use(c, arn, NULL);
    if (used < 0) return -1;
    json_t *list = arena_defer_json(c->a, json_array());
    if (!list) return ferr_oom(c->err);
    json_array_foreach(json_array_size(want) ? want : json_object_get(d, "Targets"), i, t) {
        json_t *have = json_array_size(want) ? find_target(d, t, NULL) : t;
        json_t *h;
        if (!have) {
            long long port = jint(t, "Port", jint(d, "Port", 0));
            h = json_pack("{s:{s:s, s:I}, s:{s:s, s:s, s:s}}", "Target", "Id", jstr(t, "Id"),
                          "Port", port, "TargetHealth", "State", "unused", "Reason",
                          "Target.NotRegistered", "Description",
                          "Target is not registered to the target group");
        } else
            h = el_target_health(d, have, used);
        if (json_array_append_new(list, h)) return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:O}", "TargetHealthDescriptions", list));
    return 0;
}
