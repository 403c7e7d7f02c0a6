/* Listeners, their rules and the actions both carry. A listener's default actions are its
 * default rule, which DescribeRules shows last (Priority "default", IsDefault) and which is
 * not stored apart: ModifyRule on it changes the listener's DefaultActions, as AWS does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jtags.h"
#include "elbv2_int.h"

#define MAX_FORWARD_GROUPS   5 /* AWS: target groups per forward action */
#define MAX_CONDITION_VALUES 5 /* AWS: condition values per rule */
#define MAX_PRIORITY         50000

static int ls_not_found(call *c, const char *arn)
{
    return ferr_set(c->err, 400, "ListenerNotFound", "Listener '%s' not found", arn ? arn : "");
}

static int rule_not_found(call *c, const char *arn)
{
    return ferr_set(c->err, 400, "RuleNotFound", "Rule '%s' not found", arn ? arn : "");
}

/* ---- actions ---- */

int el_actions_tgs(const json_t *actions, json_t *out, ferr *e)
{
    size_t i, j, k;
    const json_t *a, *g, *have;
    json_array_foreach(actions, i, a) {
        json_t *arns = json_array();
        if (!arns) return ferr_oom(e);
        int bad = 0;
        if (jstr(a, "TargetGroupArn"))
            bad |= json_array_append(arns, json_object_get(a, "TargetGroupArn"));
        json_array_foreach(json_object_get(json_object_get(a, "ForwardConfig"), "TargetGroups"), j,
                           g) {
            if (jstr(g, "TargetGroupArn"))
                bad |= json_array_append(arns, json_object_get(g, "TargetGroupArn"));
        }
        json_array_foreach(arns, j, g) {
            int dup = 0;
            json_array_foreach(out, k, have) dup |= json_equal((json_t *)have, (json_t *)g);
            if (!dup) bad |= json_array_append(out, (json_t *)g);
        }
        json_decref(arns);
        if (bad) return ferr_oom(e);
    }
    return 0;
}

static int tg_must_exist(call *c, const char *arn)
{
    json_t *d;
    int rc = el_tg_by_arn(c, arn, &d);
    if (rc < 0) return -1;
    if (!rc)
        return ferr_set(c->err, 400, "TargetGroupNotFound", "Target groups '%s' not found",
                        arn ? arn : "");
    return 0;
}

/* A forward action as AWS answers it: ForwardConfig always, TargetGroupArn when it forwards
 * to one group. */
static json_t *norm_forward(call *c, const json_t *a)
{
    const char *one = jstr(a, "TargetGroupArn");
    const json_t *fc = json_object_get(a, "ForwardConfig"),
                 *groups = json_object_get(fc, "TargetGroups");
    if (!one && !json_array_size(groups)) {
        el_invalid(c, "A target group ARN must be specified");
        return NULL;
    }
    if (one && json_array_size(groups) &&
        (json_array_size(groups) != 1 ||
         strcmp(one, jstr(json_array_get(groups, 0), "TargetGroupArn")
                         ? jstr(json_array_get(groups, 0), "TargetGroupArn")
                         : ""))) {
        el_invalid(c, "You cannot specify both a target group ARN and a forward config with "
                      "different target groups");
        return NULL;
    }
    if (json_array_size(groups) > MAX_FORWARD_GROUPS) {
        ferr_set(c->err, 400, "TooManyTargetGroups",
                 "You cannot specify more than '%d' target groups in a forward action",
                 MAX_FORWARD_GROUPS);
        return NULL;
    }
    json_t *list = arena_defer_json(c->a, json_array());
    if (!list) {
        ferr_oom(c->err);
        return NULL;
    }
    size_t i;
    const json_t *g;
    if (!json_array_size(groups)) {
        if (tg_must_exist(c, one)) return NULL;
        if (json_array_append_new(list,
                                  json_pack("{s:s, s:i}", "TargetGroupArn", one, "Weight", 1)))
            goto oom;
    }
    json_array_foreach(groups, i, g) {
        const char *arn = jstr(g, "TargetGroupArn");
        long long w = jint(g, "Weight", 1);
        if (w < 0 || w > 999) {
            el_invalid(c, "Target group weight '%lld' must be between 0 and 999", w);
            return NULL;
        }
        size_t j;
        const json_t *h;
        json_array_foreach(list, j, h) {
            if (arn && !strcmp(jstr(h, "TargetGroupArn"), arn)) {
                el_invalid(c, "Target group '%s' is specified more than once", arn);
                return NULL;
            }
        }
        if (tg_must_exist(c, arn)) return NULL;
        if (json_array_append_new(list,
                                  json_pack("{s:s, s:I}", "TargetGroupArn", arn, "Weight", w)))
            goto oom;
    }
    const json_t *st = json_object_get(fc, "TargetGroupStickinessConfig");
    json_t *stick = json_pack("{s:b}", "Enabled", jbool(st, "Enabled", 0));
    if (stick && jbool(st, "Enabled", 0) &&
        json_object_set_new(stick, "DurationSeconds",
                            json_integer(jint(st, "DurationSeconds", 3600)))) {
        json_decref(stick);
        goto oom;
    }
    json_t *v = arena_defer_json(c->a, json_pack("{s:s, s:{s:O, s:o}}", "Type", "forward",
                                                 "ForwardConfig", "TargetGroups", list,
                                                 "TargetGroupStickinessConfig", stick));
    if (!v) goto oom;
    if (json_array_size(list) == 1 &&
        json_object_set(v, "TargetGroupArn",
                        json_object_get(json_array_get(list, 0), "TargetGroupArn")))
        goto oom;
    return v;
oom:
    ferr_oom(c->err);
    return NULL;
}

/* The actions of a listener or rule, checked and completed as AWS answers them (*out in
 * the arena). */
static int norm_actions(call *c, const json_t *actions, json_t **out)
{
    json_t *list = arena_defer_json(c->a, json_array());
    if (!list) return ferr_oom(c->err);
    int terminal = 0;
    size_t i;
    const json_t *a;
    if (!json_array_size(actions)) return el_invalid(c, "At least one action must be specified");
    json_array_foreach(actions, i, a) {
        const char *type = jstr(a, "Type");
        json_t *v = NULL;
        if (!strcmp(type, "forward")) {
            if (!(v = norm_forward(c, a))) return -1;
        } else if (!strcmp(type, "fixed-response")) {
            const json_t *f = json_object_get(a, "FixedResponseConfig");
            const char *st = jstr(f, "StatusCode");
            if (!st)
                return ferr_set(c->err, 400, "InvalidLoadBalancerAction",
                                "A fixed response config must be specified");
            if (strlen(st) != 3 || (st[0] != '2' && st[0] != '4' && st[0] != '5') || st[1] < '0' ||
                st[1] > '9' || st[2] < '0' || st[2] > '9')
                return el_invalid(c, "Status code '%s' must be 2XX, 4XX or 5XX", st);
            v = arena_defer_json(c->a,
                                 json_pack("{s:s, s:O}", "Type", type, "FixedResponseConfig", f));
        } else if (!strcmp(type, "redirect")) {
            const json_t *r = json_object_get(a, "RedirectConfig");
            if (!jstr(r, "StatusCode"))
                return ferr_set(c->err, 400, "InvalidLoadBalancerAction",
                                "A redirect config must be specified");
            const char *p = jstr(r, "Protocol");
            if (p && strcmp(p, "HTTP") && strcmp(p, "HTTPS") && strcmp(p, "#{protocol}"))
                return el_invalid(c, "Redirect protocol '%s' must be HTTP, HTTPS or #{protocol}",
                                  p);
            json_t *rc =
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Protocol", p ? p : "#{protocol}",
                          "Port", jstr(r, "Port") ? jstr(r, "Port") : "#{port}", "Host",
                          jstr(r, "Host") ? jstr(r, "Host") : "#{host}", "Path",
                          jstr(r, "Path") ? jstr(r, "Path") : "/#{path}", "Query",
                          jstr(r, "Query") ? jstr(r, "Query") : "#{query}", "StatusCode",
                          jstr(r, "StatusCode"));
            v = arena_defer_json(c->a, json_pack("{s:s, s:o}", "Type", type, "RedirectConfig", rc));
        } else if (!strcmp(type, "authenticate-oidc") || !strcmp(type, "authenticate-cognito")) {
            v = arena_defer_json(c->a, json_deep_copy(a));
            terminal--; /* not a final action */
        } else
            return ferr_set(c->err, 400, "InvalidLoadBalancerAction",
                            "Action type '%s' must be one of 'forward, redirect, fixed-response, "
                            "authenticate-oidc, authenticate-cognito'",
                            type);
        terminal++;
        if (!v) return ferr_oom(c->err);
        if (json_object_get(a, "Order") && json_object_set(v, "Order", json_object_get(a, "Order")))
            return ferr_oom(c->err);
        if (json_array_append(list, v)) return ferr_oom(c->err);
    }
    if (terminal != 1)
        return ferr_set(c->err, 400, "InvalidLoadBalancerAction",
                        "Exactly one forward, redirect or fixed-response action must be "
                        "specified");
    *out = list;
    return 0;
}

/* ---- listeners ---- */

/* The listener arn names (*id its key, *doc in the arena): 0, or -1 ListenerNotFound. */
static int ls_load(call *c, const char *arn, const char **id, json_t **doc)
{
    const char *rest = el_arn_rest(c, arn, "listener");
    int rc = rest ? call_doc_get(c, EL_LS, rest, doc) : 0;
    if (rc < 0) return -1;
    if (!rc) return ls_not_found(c, arn);
    *id = rest;
    return 0;
}

static int port_taken(call *c, const char *lb_rest, long long port, const char *except)
{
    json_t *all = call_doc_list(c, EL_LS, arena_printf(c->a, "%s/", lb_rest)), *x;
    size_t i;
    if (!all) return -1;
    json_array_foreach(all, i, x) {
        if (jint(x, "Port", 0) == port && (!except || strcmp(jstr(x, "ListenerArn"), except)))
            return 1;
    }
    return 0;
}

/* Protocol, Port, certificates and actions of in over doc's (lb the load balancer). */
static int ls_settings(call *c, json_t *doc, const json_t *in, const json_t *lb)
{
    const char *type = jstr(lb, "Type");
    static const char *const keys[] = {"Protocol", "Port", "SslPolicy", "Certificates",
                                       "AlpnPolicy"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(in, keys[i]);
        if (v && json_object_set(doc, keys[i], v)) return ferr_oom(c->err);
    }
    const char *proto = jstr(doc, "Protocol");
    if (!strcmp(type, "application")) {
        if (!proto && jset_str(doc, "Protocol", "HTTP")) return ferr_oom(c->err);
        proto = jstr(doc, "Protocol");
        if (strcmp(proto, "HTTP") && strcmp(proto, "HTTPS"))
            return ferr_set(c->err, 400, "UnsupportedProtocol",
                            "Protocol '%s' is not supported for load balancers of type "
                            "'application'",
                            proto);
    }
    if (!json_object_get(doc, "Port") && strcmp(type, "gateway"))
        return el_invalid(c, "A listener port must be specified");
    long long port = jint(doc, "Port", 0);
    if (strcmp(type, "gateway") && (port < 1 || port > 65535))
        return el_invalid(c, "Listener port '%lld' must be between 1 and 65535", port);
    if (proto && (!strcmp(proto, "HTTPS") || !strcmp(proto, "TLS"))) {
        if (!json_array_size(json_object_get(doc, "Certificates")))
            return ferr_set(c->err, 400, "CertificateNotFound",
                            "A certificate must be specified for %s listeners", proto);
        if (!jstr(doc, "SslPolicy") && jset_str(doc, "SslPolicy", "ELBSecurityPolicy-2016-08"))
            return ferr_oom(c->err);
    } else {
        json_object_del(doc, "Certificates");
        json_object_del(doc, "SslPolicy");
    }
    if (json_object_get(in, "DefaultActions")) {
        json_t *acts;
        if (norm_actions(c, json_object_get(in, "DefaultActions"), &acts) ||
            json_object_set(doc, "DefaultActions", acts))
            return -1;
    }
    return 0;
}

int elbv2_op_create_listener(call *c, json_t *in, json_t **out)
{
    const char *lb_arn = jstr(in, "LoadBalancerArn");
    json_t *lb, *tags = json_object_get(in, "Tags");
    if (el_auth(c, lb_arn)) return -1;
    int rc = el_lb_by_arn(c, lb_arn, &lb);
    if (rc <= 0)
        return rc < 0 ? -1
                      : ferr_set(c->err, 400, "LoadBalancerNotFound",
                                 "Load balancer '%s' not found", lb_arn);
    json_t *doc = arena_defer_json(c->a, json_object());
    if (!doc) return ferr_oom(c->err);
    if (ls_settings(c, doc, in, lb) || el_check_tags(c, tags, NULL)) return -1;
    const char *lb_rest = el_arn_rest(c, lb_arn, "loadbalancer");
    rc = port_taken(c, lb_rest, jint(doc, "Port", 0), NULL);
    if (rc)
        return rc < 0 ? -1
                      : ferr_set(c->err, 400, "DuplicateListener",
                                 "A listener already exists on this port for this load "
                                 "balancer '%s'",
                                 lb_arn);
    char lid[17], rid[17];
    el_id(lid);
    el_id(rid);
    const char *id = arena_printf(c->a, "%s/%s", lb_rest, lid);
    const char *arn = id ? el_arn(c, arena_printf(c->a, "listener/%s", id)) : NULL;
    if (!arn || jset_str(doc, "ListenerArn", arn) || jset_str(doc, "LoadBalancerArn", lb_arn) ||
        jset_str(doc, "_rule", rid) || json_object_set_new(doc, "Tags", json_array()) ||
        jtags_merge(doc, tags))
        return ferr_oom(c->err);
    if (call_doc_put(c, EL_LS, id, doc)) return -1;
    call_resource(c, "AWS::ElasticLoadBalancingV2::Listener", arn);
    *out = svc_out(c, json_pack("{s:[O]}", "Listeners", el_view(c, doc)));
    return 0;
}

int elbv2_op_describe_listeners(call *c, json_t *in, json_t **out)
{
    const char *lb_arn = jstr(in, "LoadBalancerArn");
    json_t *arns = json_object_get(in, "ListenerArns"), *x, *d;
    size_t i;
    if (el_auth(c, NULL)) return -1;
    if (!lb_arn && !json_array_size(arns))
        return el_invalid(c, "You must specify either listener ARNs or a load balancer ARN");
    if (lb_arn && json_array_size(arns))
        return el_invalid(c, "Listener ARNs and a load balancer ARN cannot be specified at the "
                             "same time");
    json_t *all = arena_defer_json(c->a, json_array());
    if (!all) return ferr_oom(c->err);
    if (lb_arn) {
        int rc = el_lb_by_arn(c, lb_arn, &d);
        if (rc <= 0)
            return rc < 0 ? -1
                          : ferr_set(c->err, 400, "LoadBalancerNotFound",
                                     "Load balancer '%s' not found", lb_arn);
        json_t *docs = call_doc_list(
            c, EL_LS, arena_printf(c->a, "%s/", el_arn_rest(c, lb_arn, "loadbalancer")));
        if (!docs) return -1;
        json_array_foreach(docs, i, x) {
            if (json_array_append(all, el_view(c, x))) return ferr_oom(c->err);
        }
    } else {
        json_array_foreach(arns, i, x) {
            const char *id;
            if (ls_load(c, json_string_value(x), &id, &d)) return -1;
            if (json_array_append(all, el_view(c, d))) return ferr_oom(c->err);
        }
    }
    return el_page(c, in, all, "Listeners", out);
}

int elbv2_op_modify_listener(call *c, json_t *in, json_t **out)
{
    const char *arn = jstr(in, "ListenerArn"), *id;
    json_t *d, *lb;
    if (el_auth(c, arn) || ls_load(c, arn, &id, &d)) return -1;
    int rc = el_lb_by_arn(c, jstr(d, "LoadBalancerArn"), &lb);
    if (rc <= 0) return rc < 0 ? -1 : ls_not_found(c, arn);
    if (ls_settings(c, d, in, lb)) return -1;
    rc = port_taken(c, el_arn_rest(c, jstr(d, "LoadBalancerArn"), "loadbalancer"),
                    jint(d, "Port", 0), arn);
    if (rc)
        return rc < 0 ? -1
                      : ferr_set(c->err, 400, "DuplicateListener",
                                 "A listener already exists on this port for this load "
                                 "balancer '%s'",
                                 jstr(d, "LoadBalancerArn"));
    if (call_doc_put(c, EL_LS, id, d)) return -1;
    *out = svc_out(c, json_pack("{s:[O]}", "Listeners", el_view(c, d)));
    return 0;
}

/* Deletes listener id and its rules. */
static int ls_delete(call *c, const char *id)
{
    json_t *rules = call_doc_list(c, EL_RULE, arena_printf(c->a, "%s/", id)), *r;
    size_t i;
    if (!rules) return -1;
    json_array_foreach(rules, i, r) {
        store_key k = call_key(c, EL_RULE, el_arn_rest(c, jstr(r, "RuleArn"), "listener-rule"));
        if (store_del(c->txn, &k, c->err) < 0) return -1;
    }
    store_key k = call_key(c, EL_LS, id);
    return store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
}

int el_listeners_delete(call *c, const char *lb_rest)
{
    json_t *all = call_doc_list(c, EL_LS, arena_printf(c->a, "%s/", lb_rest)), *x;
    size_t i;
    if (!all) return -1;
    json_array_foreach(all, i, x) {
        if (ls_delete(c, el_arn_rest(c, jstr(x, "ListenerArn"), "listener"))) return -1;
    }
    return 0;
}

int elbv2_op_delete_listener(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *arn = jstr(in, "ListenerArn"), *id;
    json_t *d;
    if (el_auth(c, arn) || ls_load(c, arn, &id, &d) || ls_delete(c, id)) return -1;
    call_resource(c, "AWS::ElasticLoadBalancingV2::Listener", arn);
    return 0;
}

/* ---- rules ---- */

static const char *const fields[] = {
    "path-pattern", "host-header", "http-header", "http-request-method",
    "query-string", "source-ip",   NULL};

/* Conditions as AWS answers them: Values and the field's config both for path-pattern and
 * host-header. */
static int norm_conditions(call *c, const json_t *conds, json_t **out)
{
    json_t *list = arena_defer_json(c->a, json_array());
    size_t i, nvalues = 0;
    const json_t *x;
    if (!list) return ferr_oom(c->err);
    if (!json_array_size(conds)) return el_invalid(c, "At least one condition must be specified");
    json_array_foreach(conds, i, x) {
        const char *f = jstr(x, "Field");
        int known = 0;
        for (const char *const *p = fields; f && *p; p++) known |= !strcmp(*p, f);
        if (!known)
            return el_invalid(c,
                              "Condition field '%s' must be one of '[http-header, "
                              "http-request-method, host-header, path-pattern, query-string, "
                              "source-ip]'",
                              f ? f : "");
        json_t *v = json_deep_copy(x);
        if (!v || !arena_defer_json(c->a, v) || json_array_append(list, v)) return ferr_oom(c->err);
        const char *cfg = !strcmp(f, "path-pattern")          ? "PathPatternConfig"
                          : !strcmp(f, "host-header")         ? "HostHeaderConfig"
                          : !strcmp(f, "http-header")         ? "HttpHeaderConfig"
                          : !strcmp(f, "http-request-method") ? "HttpRequestMethodConfig"
                          : !strcmp(f, "query-string")        ? "QueryStringConfig"
                                                              : "SourceIpConfig";
        json_t *conf = json_object_get(v, cfg), *vals = json_object_get(v, "Values");
        if (!strcmp(f, "http-header") && !jstr(conf, "HttpHeaderName"))
            return el_invalid(c, "A header name must be specified for http-header conditions");
        if (!strcmp(f, "query-string") && !conf)
            return el_invalid(c, "A query string config must be specified");
        json_t *use = conf ? json_object_get(conf, "Values") : vals;
        if (!json_array_size(use))
            return el_invalid(c, "A condition value must be specified for field '%s'", f);
        if (conf && json_array_size(vals) && !json_equal(vals, json_object_get(conf, "Values")))
            return el_invalid(c, "You cannot specify both Values and %s for a condition", cfg);
        nvalues += json_array_size(use);
        size_t j;
        json_t *s;
        json_array_foreach(use, j, s) {
            if (json_is_string(s) && strlen(json_string_value(s)) > 128)
                return el_invalid(c, "Condition value '%s' cannot be longer than 128 characters",
                                  json_string_value(s));
        }
        if (!strcmp(f, "path-pattern") || !strcmp(f, "host-header")) {
            if (json_object_set(v, "Values", use) ||
                (!conf && json_object_set_new(v, cfg, json_pack("{s:O}", "Values", use))))
                return ferr_oom(c->err);
        } else
            json_object_del(v, "Values");
    }
    if (nvalues > MAX_CONDITION_VALUES)
        return el_invalid(c, "A rule can only have '%d' condition values", MAX_CONDITION_VALUES);
    *out = list;
    return 0;
}

static int priority_taken(call *c, const char *ls_id, long long prio, const char *except)
{
    json_t *all = call_doc_list(c, EL_RULE, arena_printf(c->a, "%s/", ls_id)), *x;
    size_t i;
    if (!all) return -1;
    json_array_foreach(all, i, x) {
        if (atoll(jstr(x, "Priority")) == prio && (!except || strcmp(jstr(x, "RuleArn"), except)))
            return 1;
    }
    return 0;
}

int elbv2_op_create_rule(call *c, json_t *in, json_t **out)
{
    const char *ls_arn = jstr(in, "ListenerArn"), *ls_id;
    json_t *ls, *conds, *acts, *tags = json_object_get(in, "Tags");
    long long prio = jint(in, "Priority", 0);
    if (el_auth(c, ls_arn) || ls_load(c, ls_arn, &ls_id, &ls)) return -1;
    if (prio < 1 || prio > MAX_PRIORITY)
        return el_invalid(c, "Priority '%lld' must be between 1 and %d", prio, MAX_PRIORITY);
    if (norm_conditions(c, json_object_get(in, "Conditions"), &conds) ||
        norm_actions(c, json_object_get(in, "Actions"), &acts) || el_check_tags(c, tags, NULL))
        return -1;
    int rc = priority_taken(c, ls_id, prio, NULL);
    if (rc)
        return rc < 0 ? -1
                      : ferr_set(c->err, 400, "PriorityInUse",
                                 "Priority '%lld' is currently in use", prio);
    char rid[17], ps[24];
    el_id(rid);
    snprintf(ps, sizeof(ps), "%lld", prio);
    const char *id = arena_printf(c->a, "%s/%s", ls_id, rid);
    const char *arn = id ? el_arn(c, arena_printf(c->a, "listener-rule/%s", id)) : NULL;
    json_t *doc = arena_defer_json(
        c->a, json_pack("{s:s, s:s, s:O, s:O, s:b, s:[], s:O}", "RuleArn", arn ? arn : "",
                        "Priority", ps, "Conditions", conds, "Actions", acts, "IsDefault", 0,
                        "Tags", "_lb", json_object_get(ls, "LoadBalancerArn")));
    if (!arn || !doc || jtags_merge(doc, tags)) return ferr_oom(c->err);
    if (call_doc_put(c, EL_RULE, id, doc)) return -1;
    call_resource(c, "AWS::ElasticLoadBalancingV2::ListenerRule", arn);
    *out = svc_out(c, json_pack("{s:[O]}", "Rules", el_view(c, doc)));
    return 0;
}

/* The rule arn names: its document (*doc, arena) and key, or the listener's default rule
 * (*ls set, *doc synthesized). 0, or -1 RuleNotFound. */
static int rule_load(call *c, const char *arn, const char **id, json_t **doc, json_t **ls,
                     const char **ls_id)
{
    const char *rest = el_arn_rest(c, arn, "listener-rule");
    *ls = NULL;
    if (!rest) return rule_not_found(c, arn);
    int rc = call_doc_get(c, EL_RULE, rest, doc);
    if (rc < 0) return -1;
    *id = rest;
    const char *slash = strrchr(rest, '/');
    char *lid = slash ? arena_strndup(c->a, rest, (size_t)(slash - rest)) : NULL;
    if (ls_id) *ls_id = lid;
    if (rc == 1) return 0;
    json_t *l;
    rc = lid ? call_doc_get(c, EL_LS, lid, &l) : 0;
    if (rc < 0) return -1;
    if (!rc || strcmp(jstr(l, "_rule"), slash + 1)) return rule_not_found(c, arn);
    *ls = l;
    *doc = arena_defer_json(c->a, json_pack("{s:s, s:s, s:[], s:O, s:b}", "RuleArn", arn,
                                            "Priority", "default", "Conditions", "Actions",
                                            json_object_get(l, "DefaultActions"), "IsDefault", 1));
    return *doc ? 0 : ferr_oom(c->err);
}

static json_t *default_rule(call *c, const json_t *ls)
{
    const char *id = el_arn_rest(c, jstr(ls, "ListenerArn"), "listener");
    const char *arn = el_arn(c, arena_printf(c->a, "listener-rule/%s/%s", id, jstr(ls, "_rule")));
    return arena_defer_json(c->a, json_pack("{s:s, s:s, s:[], s:O, s:b}", "RuleArn", arn,
                                            "Priority", "default", "Conditions", "Actions",
                                            json_object_get(ls, "DefaultActions"), "IsDefault", 1));
}

static int by_priority(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    long long px = jbool(x, "IsDefault", 0) ? MAX_PRIORITY + 1 : atoll(jstr(x, "Priority"));
    long long py = jbool(y, "IsDefault", 0) ? MAX_PRIORITY + 1 : atoll(jstr(y, "Priority"));
    return px < py ? -1 : px > py;
}

int elbv2_op_describe_rules(call *c, json_t *in, json_t **out)
{
    const char *ls_arn = jstr(in, "ListenerArn");
    json_t *arns = json_object_get(in, "RuleArns"), *x, *d, *ls;
    size_t i;
    if (el_auth(c, NULL)) return -1;
    if (!ls_arn && !json_array_size(arns))
        return el_invalid(c, "You must specify either listener ARN or rule ARNs");
    json_t *all = arena_defer_json(c->a, json_array());
    if (!all) return ferr_oom(c->err);
    if (ls_arn) {
        const char *id;
        if (ls_load(c, ls_arn, &id, &ls)) return -1;
        json_t *docs = call_doc_list(c, EL_RULE, arena_printf(c->a, "%s/", id));
        if (!docs) return -1;
        json_array_foreach(docs, i, x) {
            if (json_array_append(all, x)) return ferr_oom(c->err);
        }
        if (json_array_append(all, default_rule(c, ls))) return ferr_oom(c->err);
    } else {
        json_array_foreach(arns, i, x) {
            const char *id;
            if (rule_load(c, json_string_value(x), &id, &d, &ls, NULL) || json_array_append(all, d))
                return -1;
        }
    }
    size_t n = json_array_size(all);
    json_t **v = arena_alloc(c->a, (n + 1) * sizeof(*v)), *sorted = json_array();
    if (!v || !sorted || !arena_defer_json(c->a, sorted)) return ferr_oom(c->err);
    for (i = 0; i < n; i++) v[i] = json_array_get(all, i);
    if (ls_arn) qsort(v, n, sizeof(*v), by_priority);
    for (i = 0; i < n; i++)
        if (json_array_append(sorted, el_view(c, v[i]))) return ferr_oom(c->err);
    return el_page(c, in, sorted, "Rules", out);
}

int elbv2_op_modify_rule(call *c, json_t *in, json_t **out)
{
    const char *arn = jstr(in, "RuleArn"), *id;
    json_t *d, *ls, *conds, *acts;
    if (el_auth(c, arn) || rule_load(c, arn, &id, &d, &ls, NULL)) return -1;
    if (json_object_get(in, "Conditions")) {
        if (ls)
            return ferr_set(c->err, 400, "OperationNotPermitted",
                            "Conditions cannot be specified for the default rule '%s'", arn);
        if (norm_conditions(c, json_object_get(in, "Conditions"), &conds) ||
            json_object_set(d, "Conditions", conds))
            return -1;
    }
    if (json_object_get(in, "Actions")) {
        if (norm_actions(c, json_object_get(in, "Actions"), &acts) ||
            json_object_set(d, "Actions", acts) ||
            (ls && json_object_set(ls, "DefaultActions", acts)))
            return -1;
    }
    if (ls ? call_doc_put(c, EL_LS, el_arn_rest(c, jstr(ls, "ListenerArn"), "listener"), ls)
           : call_doc_put(c, EL_RULE, id, d))
        return -1;
    *out = svc_out(c, json_pack("{s:[O]}", "Rules", el_view(c, d)));
    return 0;
}

int elbv2_op_delete_rule(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *arn = jstr(in, "RuleArn"), *id;
    json_t *d, *ls;
    if (el_auth(c, arn) || rule_load(c, arn, &id, &d, &ls, NULL)) return -1;
    if (ls)
        return ferr_set(c->err, 400, "OperationNotPermitted", "Default rule '%s' cannot be deleted",
                        arn);
    store_key k = call_key(c, EL_RULE, id);
    if (store_del(c->txn, &k, c->err) < 0) return -1;
    call_resource(c, "AWS::ElasticLoadBalancingV2::ListenerRule", arn);
    return 0;
}

/* All the new priorities are applied, then each listener touched must have no two rules
 * of one priority. */
int elbv2_op_set_rule_priorities(call *c, json_t *in, json_t **out)
{
    json_t *list = arena_defer_json(c->a, json_array()), *x, *d, *ls;
    json_t *touched = arena_defer_json(c->a, json_object());
    size_t i;
    if (!list || !touched) return ferr_oom(c->err);
    json_array_foreach(json_object_get(in, "RulePriorities"), i, x) {
        const char *arn = jstr(x, "RuleArn"), *id, *ls_id;
        long long prio = jint(x, "Priority", 0);
        char ps[24];
        if (el_auth(c, arn) || rule_load(c, arn, &id, &d, &ls, &ls_id)) return -1;
        if (ls)
            return ferr_set(c->err, 400, "OperationNotPermitted",
                            "Default rule '%s' cannot have its priority changed", arn);
        if (prio < 1 || prio > MAX_PRIORITY)
            return el_invalid(c, "Priority '%lld' must be between 1 and %d", prio, MAX_PRIORITY);
        snprintf(ps, sizeof(ps), "%lld", prio);
        if (jset_str(d, "Priority", ps) || json_object_set_new(touched, ls_id, json_true()) ||
            call_doc_put(c, EL_RULE, id, d) || json_array_append(list, el_view(c, d)))
            return c->err->code[0] ? -1 : ferr_oom(c->err);
    }
    const char *lid;
    json_t *unused;
    json_object_foreach(touched, lid, unused) {
        json_t *all = call_doc_list(c, EL_RULE, arena_printf(c->a, "%s/", lid)), *y;
        size_t j;
        if (!all) return -1;
        json_array_foreach(all, i, x) {
            json_array_foreach(all, j, y) {
                if (j > i && !strcmp(jstr(x, "Priority"), jstr(y, "Priority")))
                    return ferr_set(c->err, 400, "PriorityInUse",
                                    "Priority '%s' is currently in use", jstr(x, "Priority"));
            }
        }
    }
    *out = svc_out(c, json_pack("{s:O}", "Rules", list));
    return 0;
}
