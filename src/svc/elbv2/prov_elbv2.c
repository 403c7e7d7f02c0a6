/* CloudFormation's Elastic Load Balancing v2 types, through the service's operations:
 *   AWS::ElasticLoadBalancingV2::LoadBalancer  Ref = ARN; GetAtt CanonicalHostedZoneID,
 *       DNSName, LoadBalancerArn, LoadBalancerFullName, LoadBalancerName, SecurityGroups.
 *       LoadBalancerAttributes and SecurityGroups change in place.
 *   AWS::ElasticLoadBalancingV2::TargetGroup  Ref = ARN; GetAtt LoadBalancerArns,
 *       TargetGroupArn, TargetGroupFullName, TargetGroupName. Health check settings, Targets
 *       and TargetGroupAttributes change in place.
 *   AWS::ElasticLoadBalancingV2::Listener  Ref = ARN; GetAtt ListenerArn. All but
 *       LoadBalancerArn change in place.
 *   AWS::ElasticLoadBalancingV2::ListenerRule  Ref = ARN; GetAtt IsDefault, RuleArn.
 *       Actions, Conditions and Priority change in place.
 * Tags are set when the resource is made (stack tags included). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/jval.h"
#include "engine/stacks/prov_int.h"

#define SVC "elasticloadbalancing"

/* A delete that finds its resource gone (any of the codes) counts as done. */
static int del_gone_ok(cfn_pctx *p, const char *op, json_t *in, const char *gone)
{
    int rc = prov_call(p, SVC, op, in, NULL);
    if (rc && (prov_is_gone(p->e) || (gone && !strcmp(p->e->code, gone)))) {
        ferr_clear(p->e);
        return 0;
    }
    return rc;
}

/* Actions and conditions as the API takes them: CloudFormation's templates give numbers as
 * text (Weight: "50") and text as numbers (a redirect's Port: 443). New reference. */
static json_t *coerce(const json_t *v, const char *key)
{
    if (json_is_array(v)) {
        json_t *l = json_array(), *x;
        size_t i;
        int rc = !l;
        json_array_foreach(v, i, x) rc |= json_array_append_new(l, coerce(x, NULL));
        return jdone(l, rc);
    }
    if (json_is_object(v)) {
        json_t *o = json_object(), *x;
        const char *k;
        int rc = !o;
        json_object_foreach((json_t *)v, k, x) rc |= json_object_set_new(o, k, coerce(x, k));
        return jdone(o, rc);
    }
    int to_int =
        key && (!strcmp(key, "Weight") || !strcmp(key, "Order") || !strcmp(key, "DurationSeconds"));
    int to_str = key && (!strcmp(key, "Port") || !strcmp(key, "StatusCode"));
    json_t *n = to_int && json_is_string(v)   ? prov_as_int(v)
                : to_str && json_is_number(v) ? prov_as_str(v)
                                              : NULL;
    return n ? n : json_deep_copy(v);
}

static json_t *tags_of(cfn_pctx *p, const json_t *pr)
{
    return prov_tags(p, json_object_get(pr, "Tags"), 0);
}

/* Copies the members of pr named in keys into in (coerced). 0 or -1 (OOM). */
static int copy(json_t *in, const json_t *pr, const char *const *keys)
{
    /* the API refuses an empty Tags list */
    if (json_is_array(json_object_get(in, "Tags")) && !json_array_size(json_object_get(in, "Tags")))
        json_object_del(in, "Tags");
    for (; *keys; keys++) {
        json_t *v = json_object_get(pr, *keys);
        if (v && json_object_set_new(in, *keys, coerce(v, NULL))) return -1;
    }
    return 0;
}

/* ---- LoadBalancer ---- */

static const prov_prop lb_schema[] = {
    {"Name", PT_STR, 0},
    {"Scheme", PT_STR, 0},
    {"Type", PT_STR, 0},
    {"IpAddressType", PT_STR, 0},
    {"Subnets", PT_STRLIST, 0},
    {"SubnetMappings", PT_LIST, 0},
    {"SecurityGroups", PT_STRLIST, 0},
    {"LoadBalancerAttributes", PT_LIST, 0},
    {"Tags", PT_TAGS, 0},
    {NULL, 0, 0},
};

static int lb_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    /* id is the ARN; an announced one (cfn_intent) is the name */
    if (strncmp(id, "arn:", 4)) {
        json_t *out = NULL;
        if (prov_call(p, SVC, "DescribeLoadBalancers", json_pack("{s:[s]}", "Names", id), &out)) {
            if (!strcmp(p->e->code, "LoadBalancerNotFound")) {
                ferr_clear(p->e);
                return 0;
            }
            return -1;
        }
        const char *arn =
            jstr(json_array_get(json_object_get(out, "LoadBalancers"), 0), "LoadBalancerArn");
        int rc = arn ? del_gone_ok(p, "DeleteLoadBalancer",
                                   json_pack("{s:s}", "LoadBalancerArn", arn), NULL)
                     : 0;
        json_decref(out);
        return rc;
    }
    return del_gone_ok(p, "DeleteLoadBalancer", json_pack("{s:s}", "LoadBalancerArn", id), NULL);
}

static int lb_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    if (prov_call(p, SVC, "DescribeLoadBalancers", json_pack("{s:[s]}", "LoadBalancerArns", id),
                  &out))
        return -1;
    json_t *lb = json_array_get(json_object_get(out, "LoadBalancers"), 0);
    const char *rest = strstr(id, ":loadbalancer/");
    json_t *sgs = json_object_get(lb, "SecurityGroups");
    *attrs = json_pack("{s:O, s:O, s:s, s:s, s:O, s:o}", "CanonicalHostedZoneID",
                       json_object_get(lb, "CanonicalHostedZoneId"), "DNSName",
                       json_object_get(lb, "DNSName"), "LoadBalancerArn", id,
                       "LoadBalancerFullName", rest ? rest + 14 : "", "LoadBalancerName",
                       json_object_get(lb, "LoadBalancerName"), "SecurityGroups",
                       sgs ? json_incref(sgs) : json_array());
    json_decref(out);
    return *attrs ? 0 : ferr_oom(p->e);
}

static int lb_attributes(cfn_pctx *p, const char *arn, const json_t *pr)
{
    json_t *a = json_object_get(pr, "LoadBalancerAttributes");
    if (!json_array_size(a)) return 0;
    return prov_call(p, SVC, "ModifyLoadBalancerAttributes",
                     json_pack("{s:s, s:o}", "LoadBalancerArn", arn, "Attributes", coerce(a, NULL)),
                     NULL);
}

static int lb_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    static const char *const keys[] = {
        "Scheme", "Type", "IpAddressType", "Subnets", "SubnetMappings", "SecurityGroups", NULL};
    const char *name = jstr(pr, "Name");
    json_t *in = json_pack("{s:s, s:o}", "Name", name, "Tags", tags_of(p, pr)), *out = NULL;
    if (!in || copy(in, pr, keys)) {
        json_decref(in);
        return ferr_oom(p->e);
    }
    if (cfn_intent(p, name) || prov_call(p, SVC, "CreateLoadBalancer", in, &out)) return -1;
    const char *arn =
        jstr(json_array_get(json_object_get(out, "LoadBalancers"), 0), "LoadBalancerArn");
    *id = arn ? strdup(arn) : NULL;
    json_decref(out);
    if (!*id) return ferr_oom(p->e);
    if (lb_attributes(p, *id, pr)) return prov_undo(p, lb_del, *id, pr);
    return 0;
}

static int lb_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                     const json_t *np)
{
    (void)s;
    if (!prov_same(json_object_get(op, "LoadBalancerAttributes"),
                   json_object_get(np, "LoadBalancerAttributes")) &&
        lb_attributes(p, id, np))
        return -1;
    json_t *sgs = json_object_get(np, "SecurityGroups");
    if (!prov_same(json_object_get(op, "SecurityGroups"), sgs) &&
        prov_call(p, SVC, "SetSecurityGroups",
                  json_pack("{s:s, s:o}", "LoadBalancerArn", id, "SecurityGroups",
                            sgs ? json_incref(sgs) : json_array()),
                  NULL))
        return -1;
    return 0;
}

static const prov_shape lb_shape = {
    .schema = lb_schema,
    .make = lb_make,
    .change = lb_change,
    .attrs = lb_attrs,
    .del = lb_del,
};
static const char *const lb_replace[] = {"Name",           "Scheme",        "Type", "Subnets",
                                         "SubnetMappings", "IpAddressType", NULL};

const cfn_provider cfn_provider_elbv2_load_balancer = {
    .type = "AWS::ElasticLoadBalancingV2::LoadBalancer",
    .shape = &lb_shape,
    .del = lb_del,
    .replace_on = lb_replace,
    .name_property = "Name",
    .name_max = 32,
};

/* ---- TargetGroup ---- */

static const prov_prop tg_schema[] = {
    {"Name", PT_STR, 0},
    {"Protocol", PT_STR, 0},
    {"ProtocolVersion", PT_STR, 0},
    {"Port", PT_INT, 0},
    {"VpcId", PT_STR, 0},
    {"TargetType", PT_STR, 0},
    {"IpAddressType", PT_STR, 0},
    {"HealthCheckEnabled", PT_BOOL, 0},
    {"HealthCheckProtocol", PT_STR, 0},
    {"HealthCheckPort", PT_STR, 0},
    {"HealthCheckPath", PT_STR, 0},
    {"HealthCheckIntervalSeconds", PT_INT, 0},
    {"HealthCheckTimeoutSeconds", PT_INT, 0},
    {"HealthyThresholdCount", PT_INT, 0},
    {"UnhealthyThresholdCount", PT_INT, 0},
    {"Matcher", PT_OBJECT, 0},
    {"Targets", PT_LIST, 0},
    {"TargetGroupAttributes", PT_LIST, 0},
    {"Tags", PT_TAGS, 0},
    {NULL, 0, 0},
};

static const char *const tg_health_keys[] = {
    "HealthCheckEnabled",
    "HealthCheckProtocol",
    "HealthCheckPort",
    "HealthCheckPath",
    "HealthCheckIntervalSeconds",
    "HealthCheckTimeoutSeconds",
    "HealthyThresholdCount",
    "UnhealthyThresholdCount",
    "Matcher",
    NULL,
};

static int tg_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    if (strncmp(id, "arn:", 4)) {
        json_t *out = NULL;
        if (prov_call(p, SVC, "DescribeTargetGroups", json_pack("{s:[s]}", "Names", id), &out)) {
            if (!strcmp(p->e->code, "TargetGroupNotFound")) {
                ferr_clear(p->e);
                return 0;
            }
            return -1;
        }
        const char *arn =
            jstr(json_array_get(json_object_get(out, "TargetGroups"), 0), "TargetGroupArn");
        int rc = arn ? del_gone_ok(p, "DeleteTargetGroup",
                                   json_pack("{s:s}", "TargetGroupArn", arn), NULL)
                     : 0;
        json_decref(out);
        return rc;
    }
    return del_gone_ok(p, "DeleteTargetGroup", json_pack("{s:s}", "TargetGroupArn", id), NULL);
}

static int tg_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    if (prov_call(p, SVC, "DescribeTargetGroups", json_pack("{s:[s]}", "TargetGroupArns", id),
                  &out))
        return -1;
    json_t *tg = json_array_get(json_object_get(out, "TargetGroups"), 0);
    const char *rest = strstr(id, ":targetgroup/");
    json_t *lbs = json_object_get(tg, "LoadBalancerArns");
    *attrs =
        json_pack("{s:o, s:s, s:s, s:O}", "LoadBalancerArns", lbs ? json_incref(lbs) : json_array(),
                  "TargetGroupArn", id, "TargetGroupFullName", rest ? rest + 1 : "",
                  "TargetGroupName", json_object_get(tg, "TargetGroupName"));
    json_decref(out);
    return *attrs ? 0 : ferr_oom(p->e);
}

/* Targets of list not in other (by Id and Port), as the API's [{Id, Port}]. New. */
static json_t *targets_minus(const json_t *list, const json_t *other)
{
    json_t *out = json_array(), *t, *u;
    size_t i, j;
    int rc = !out;
    json_array_foreach(list, i, t) {
        int found = 0;
        json_array_foreach(other, j, u) {
            found |= prov_same(json_object_get(t, "Id"), json_object_get(u, "Id")) &&
                     jint(t, "Port", -1) == jint(u, "Port", -1);
        }
        json_t *c = json_deep_copy(t), *port = c ? prov_as_int(json_object_get(c, "Port")) : NULL;
        if (port) rc |= json_object_set_new(c, "Port", port);
        if (!found)
            rc |= json_array_append_new(out, c);
        else
            json_decref(c);
    }
    return jdone(out, rc);
}

static int tg_targets(cfn_pctx *p, const char *arn, const json_t *old, const json_t *neu)
{
    json_t *add = targets_minus(neu, old), *gone = targets_minus(old, neu);
    int rc = !add || !gone ? ferr_oom(p->e) : 0;
    if (!rc && json_array_size(gone))
        rc = prov_call(p, SVC, "DeregisterTargets",
                       json_pack("{s:s, s:O}", "TargetGroupArn", arn, "Targets", gone), NULL);
    if (!rc && json_array_size(add))
        rc = prov_call(p, SVC, "RegisterTargets",
                       json_pack("{s:s, s:O}", "TargetGroupArn", arn, "Targets", add), NULL);
    json_decref(add);
    json_decref(gone);
    return rc;
}

static int tg_attributes(cfn_pctx *p, const char *arn, const json_t *pr)
{
    json_t *a = json_object_get(pr, "TargetGroupAttributes");
    if (!json_array_size(a)) return 0;
    return prov_call(p, SVC, "ModifyTargetGroupAttributes",
                     json_pack("{s:s, s:o}", "TargetGroupArn", arn, "Attributes", coerce(a, NULL)),
                     NULL);
}

static int tg_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    static const char *const keys[] = {"Protocol",   "ProtocolVersion", "Port", "VpcId",
                                       "TargetType", "IpAddressType",   NULL};
    const char *name = jstr(pr, "Name");
    json_t *in = json_pack("{s:s, s:o}", "Name", name, "Tags", tags_of(p, pr)), *out = NULL;
    if (!in || copy(in, pr, keys) || copy(in, pr, tg_health_keys)) {
        json_decref(in);
        return ferr_oom(p->e);
    }
    if (cfn_intent(p, name) || prov_call(p, SVC, "CreateTargetGroup", in, &out)) return -1;
    const char *arn =
        jstr(json_array_get(json_object_get(out, "TargetGroups"), 0), "TargetGroupArn");
    *id = arn ? strdup(arn) : NULL;
    json_decref(out);
    if (!*id) return ferr_oom(p->e);
    if (tg_attributes(p, *id, pr) || tg_targets(p, *id, NULL, json_object_get(pr, "Targets")))
        return prov_undo(p, tg_del, *id, pr);
    return 0;
}

static int tg_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                     const json_t *np)
{
    (void)s;
    int health = 0;
    for (const char *const *k = tg_health_keys; *k; k++)
        health |= !prov_same(json_object_get(op, *k), json_object_get(np, *k));
    if (health) {
        json_t *in = json_pack("{s:s}", "TargetGroupArn", id);
        if (!in || copy(in, np, tg_health_keys)) {
            json_decref(in);
            return ferr_oom(p->e);
        }
        if (prov_call(p, SVC, "ModifyTargetGroup", in, NULL)) return -1;
    }
    if (!prov_same(json_object_get(op, "TargetGroupAttributes"),
                   json_object_get(np, "TargetGroupAttributes")) &&
        tg_attributes(p, id, np))
        return -1;
    return tg_targets(p, id, json_object_get(op, "Targets"), json_object_get(np, "Targets"));
}

static const prov_shape tg_shape = {
    .schema = tg_schema,
    .make = tg_make,
    .change = tg_change,
    .attrs = tg_attrs,
    .del = tg_del,
};
static const char *const tg_replace[] = {"Name",       "Protocol",      "ProtocolVersion", "Port",
                                         "TargetType", "IpAddressType", "VpcId",           NULL};

const cfn_provider cfn_provider_elbv2_target_group = {
    .type = "AWS::ElasticLoadBalancingV2::TargetGroup",
    .shape = &tg_shape,
    .del = tg_del,
    .replace_on = tg_replace,
    .name_property = "Name",
    .name_max = 32,
};

/* ---- Listener ---- */

static const prov_prop ls_schema[] = {
    {"LoadBalancerArn", PT_STR, 1}, {"Port", PT_INT, 0},
    {"Protocol", PT_STR, 0},        {"DefaultActions", PT_LIST, 1},
    {"Certificates", PT_LIST, 0},   {"SslPolicy", PT_STR, 0},
    {"AlpnPolicy", PT_STRLIST, 0},  {NULL, 0, 0},
};
static const char *const ls_keys[] = {
    "Port", "Protocol", "DefaultActions", "Certificates", "SslPolicy", "AlpnPolicy", NULL};

/* The service makes a listener's ARN: an announced id is its load balancer's ARN, and del
 * then deletes that load balancer's listener on props' Port. */
static int ls_del(cfn_pctx *p, const char *id, const json_t *props)
{
    if (strstr(id, ":loadbalancer/")) {
        json_t *out = NULL;
        if (prov_call(p, SVC, "DescribeListeners", json_pack("{s:s}", "LoadBalancerArn", id),
                      &out)) {
            if (!strcmp(p->e->code, "LoadBalancerNotFound")) {
                ferr_clear(p->e);
                return 0;
            }
            return -1;
        }
        size_t i;
        json_t *l;
        int rc = 0;
        json_array_foreach(json_object_get(out, "Listeners"), i, l) {
            if (!rc && jint(l, "Port", 0) == jint(props, "Port", -1))
                rc = del_gone_ok(p, "DeleteListener",
                                 json_pack("{s:s}", "ListenerArn", jstr(l, "ListenerArn")),
                                 "ListenerNotFound");
        }
        json_decref(out);
        return rc;
    }
    return del_gone_ok(p, "DeleteListener", json_pack("{s:s}", "ListenerArn", id),
                       "ListenerNotFound");
}

static int ls_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    json_t *in = json_pack("{s:O}", "LoadBalancerArn", json_object_get(pr, "LoadBalancerArn")),
           *out = NULL;
    if (!in || copy(in, pr, ls_keys)) {
        json_decref(in);
        return ferr_oom(p->e);
    }
    if (cfn_intent(p, jstr(pr, "LoadBalancerArn")) || prov_call(p, SVC, "CreateListener", in, &out))
        return -1;
    const char *arn = jstr(json_array_get(json_object_get(out, "Listeners"), 0), "ListenerArn");
    *id = arn ? strdup(arn) : NULL;
    json_decref(out);
    return *id ? 0 : ferr_oom(p->e);
}

static int ls_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                     const json_t *np)
{
    (void)s, (void)op;
    json_t *in = json_pack("{s:s}", "ListenerArn", id);
    if (!in || copy(in, np, ls_keys)) {
        json_decref(in);
        return ferr_oom(p->e);
    }
    return prov_call(p, SVC, "ModifyListener", in, NULL);
}

static int arn_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    *attrs = json_pack("{s:s}", "ListenerArn", id);
    return *attrs ? 0 : ferr_oom(p->e);
}

static const prov_shape ls_shape = {
    .schema = ls_schema,
    .make = ls_make,
    .change = ls_change,
    .attrs = arn_attrs,
    .del = ls_del,
};
static const char *const ls_replace[] = {"LoadBalancerArn", NULL};

const cfn_provider cfn_provider_elbv2_listener = {
    .type = "AWS::ElasticLoadBalancingV2::Listener",
    .shape = &ls_shape,
    .del = ls_del,
    .replace_on = ls_replace,
};

/* ---- ListenerRule ---- */

static const prov_prop rule_schema[] = {
    {"ListenerArn", PT_STR, 1},
    {"Priority", PT_INT, 1},
    {"Conditions", PT_LIST, 1},
    {"Actions", PT_LIST, 1},
    {NULL, 0, 0},
};

/* An announced id is the listener's ARN: del deletes its rule of props' Priority. */
static int rule_del(cfn_pctx *p, const char *id, const json_t *props)
{
    if (strstr(id, ":listener/")) {
        json_t *out = NULL;
        if (prov_call(p, SVC, "DescribeRules", json_pack("{s:s}", "ListenerArn", id), &out)) {
            if (!strcmp(p->e->code, "ListenerNotFound")) {
                ferr_clear(p->e);
                return 0;
            }
            return -1;
        }
        size_t i;
        json_t *r;
        int rc = 0;
        json_array_foreach(json_object_get(out, "Rules"), i, r) {
            if (!rc && !jbool(r, "IsDefault", 0) &&
                atoll(jstr(r, "Priority")) == jint(props, "Priority", -1))
                rc = del_gone_ok(p, "DeleteRule", json_pack("{s:s}", "RuleArn", jstr(r, "RuleArn")),
                                 "RuleNotFound");
        }
        json_decref(out);
        return rc;
    }
    return del_gone_ok(p, "DeleteRule", json_pack("{s:s}", "RuleArn", id), "RuleNotFound");
}

static int rule_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    json_t *in =
               json_pack("{s:O, s:O, s:o, s:o}", "ListenerArn", json_object_get(pr, "ListenerArn"),
                         "Priority", json_object_get(pr, "Priority"), "Conditions",
                         coerce(json_object_get(pr, "Conditions"), NULL), "Actions",
                         coerce(json_object_get(pr, "Actions"), NULL)),
           *out = NULL;
    if (!in) return ferr_oom(p->e);
    if (cfn_intent(p, jstr(pr, "ListenerArn")) || prov_call(p, SVC, "CreateRule", in, &out)) {
        return -1;
    }
    const char *arn = jstr(json_array_get(json_object_get(out, "Rules"), 0), "RuleArn");
    *id = arn ? strdup(arn) : NULL;
    json_decref(out);
    return *id ? 0 : ferr_oom(p->e);
}

static int rule_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                       const json_t *np)
{
    (void)s;
    if (!prov_same(json_object_get(op, "Priority"), json_object_get(np, "Priority")) &&
        prov_call(p, SVC, "SetRulePriorities",
                  json_pack("{s:[{s:s, s:O}]}", "RulePriorities", "RuleArn", id, "Priority",
                            json_object_get(np, "Priority")),
                  NULL))
        return -1;
    return prov_call(p, SVC, "ModifyRule",
                     json_pack("{s:s, s:o, s:o}", "RuleArn", id, "Conditions",
                               coerce(json_object_get(np, "Conditions"), NULL), "Actions",
                               coerce(json_object_get(np, "Actions"), NULL)),
                     NULL);
}

static int rule_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    *attrs = json_pack("{s:b, s:s}", "IsDefault", 0, "RuleArn", id);
    return *attrs ? 0 : ferr_oom(p->e);
}

static const prov_shape rule_shape = {
    .schema = rule_schema,
    .make = rule_make,
    .change = rule_change,
    .attrs = rule_attrs,
    .del = rule_del,
};
static const char *const rule_replace[] = {"ListenerArn", NULL};

const cfn_provider cfn_provider_elbv2_listener_rule = {
    .type = "AWS::ElasticLoadBalancingV2::ListenerRule",
    .shape = &rule_shape,
    .del = rule_del,
    .replace_on = rule_replace,
};
