/* Rules and their targets: PutRule (an event pattern or a schedule), DescribeRule,
 * ListRules, DeleteRule, EnableRule / DisableRule, PutTargets, RemoveTargets,
 * ListTargetsByRule, ListRuleNamesByTarget. A rule's targets live in its document. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/jtags.h"
#include "base/schedule.h"
#include "events_int.h"
#include "svc/sns/filter.h"

int events_pattern_check(call *c, const char *text)
{
    sns_filter *f = sns_filter_parse(text, strlen(text), SNS_SCOPE_EVENT,
                                     "Event pattern is not valid. Reason: ", c->err);
    sns_filter_free(f);
    return f ? 0 : -1;
}

/* EventBridge's rates: rate(1 minute|hour|day) or rate(N minutes|hours|days). */
static double rate_seconds(const char *expr)
{
    size_t n = strlen(expr);
    if (n < 7 || strncmp(expr, "rate(", 5) || expr[n - 1] != ')') return -1;
    char unit[16];
    long v;
    int used = 0;
    if (sscanf(expr + 5, "%ld %15[a-z])%n", &v, unit, &used) != 2 || (size_t)used != n - 5 ||
        v < 1 || expr[5] < '1' || expr[5] > '9')
        return -1;
    const char *units[] = {"minute", "hour", "day"};
    const double secs[] = {60, 3600, 86400};
    for (int i = 0; i < 3; i++) {
        size_t ul = strlen(units[i]);
        /* AWS: singular for 1, plural otherwise */
        if (!strncmp(unit, units[i], ul) &&
            (v == 1 ? unit[ul] == 0 : (unit[ul] == 's' && unit[ul + 1] == 0)))
            return (double)v * secs[i];
    }
    return -1;
}

int events_schedule_next(const char *expr, double after, double *next)
{
    double r = rate_seconds(expr);
    if (r > 0) {
        *next = after + r * events_time_scale();
        return 0;
    }
    if (strncmp(expr, "cron(", 5)) return -1;
    sched s;
    const char *why;
    if (sched_parse(expr, &s, &why)) return -1;
    *next = sched_next(&s, after);
    return *next < 0 ? -1 : 0;
}

/* The rule's document (new reference in *doc, deferred to c->a): 0, or -1 with AWS's
 * ResourceNotFoundException. */
static int rule_get(call *c, const char *bus, const char *name, json_t **doc)
{
    store_key k = {EVENTS_RULE_KIND, c->account, c->region, events_rule_id(c->a, bus, name)};
    if (!k.id) return ferr_oom(c->err);
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc < 0) return -1;
    if (rc == 0) return events_not_found(c, "Rule %s does not exist on EventBus %s.", name, bus);
    return arena_defer_json(c->a, *doc) ? 0 : ferr_oom(c->err);
}

static int rule_put(call *c, const char *bus, const char *name, const json_t *doc)
{
    store_key k = {EVENTS_RULE_KIND, c->account, c->region, events_rule_id(c->a, bus, name)};
    return k.id ? store_put(c->txn, &k, doc, c->err) : ferr_oom(c->err);
}

/* The bus a rule operation names (its own account only: rules are not shared), authorized
 * for action on the rule. */
static int rule_ref(call *c, const json_t *in, const char *key, const char *action,
                    const char **bus, const char **name)
{
    const char *account;
    *name = jstr(in, key);
    if (events_bus_ref(c, jstr(in, "EventBusName"), &account, bus)) return -1;
    const char *arn = events_rule_arn(c->a, c->region, c->account, *bus, *name);
    if (!arn) return ferr_oom(c->err);
    call_resource(c, "AWS::Events::Rule", arn);
    if (call_authorize(c, action, arn)) return -1;
    if (strcmp(account, c->account))
        return events_not_found(c, "Rule %s does not exist on EventBus %s.", *name, *bus);
    return 0;
}

static int name_ok(const char *n)
{
    size_t len = strlen(n);
    return len >= 1 && len <= 64 &&
           strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len;
}

int events_op_put_rule(call *c, json_t *in, json_t **out)
{
    const char *bus, *name;
    if (rule_ref(c, in, "Name", "events:PutRule", &bus, &name)) return -1;
    json_t *busdoc;
    if (events_bus_get(c, c->account, bus, &busdoc)) return -1;
    if (!name_ok(name))
        return events_invalid(c,
                              "1 validation error detected: Value '%s' at 'name' failed to "
                              "satisfy constraint: Member must satisfy regular expression "
                              "pattern: [\\.\\-_A-Za-z0-9]+",
                              name);
    const char *pattern = jstr(in, "EventPattern"), *sched_expr = jstr(in, "ScheduleExpression");
    const char *state = jstr(in, "State");
    if (!pattern && !sched_expr)
        return events_invalid(c, "Parameter(s) EventPattern or ScheduleExpression must be "
                                 "specified.");
    if (pattern && events_pattern_check(c, pattern)) return -1;
    double next = 0;
    if (sched_expr) {
        if (strcmp(bus, "default"))
            return events_invalid(c, "ScheduleExpression is supported only on the default event "
                                     "bus.");
        if (events_schedule_next(sched_expr, clock_now(), &next))
            return events_invalid(c, "Parameter ScheduleExpression is not valid.");
    }
    if (state && strcmp(state, "ENABLED") && strcmp(state, "DISABLED"))
        return events_invalid(c,
                              "1 validation error detected: Value '%s' at 'state' failed to "
                              "satisfy constraint: Member must satisfy enum value set: "
                              "[ENABLED, DISABLED]",
                              state);
    store_key k = {EVENTS_RULE_KIND, c->account, c->region, events_rule_id(c->a, bus, name)};
    json_t *doc = NULL;
    int rc = k.id ? store_get(c->txn, &k, &doc, c->err) : ferr_oom(c->err);
    if (rc < 0) return -1;
    if (rc == 0) doc = json_pack("{s:s, s:s, s:[]}", "Name", name, "EventBusName", bus, "Targets");
    if (!arena_defer_json(c->a, doc)) return ferr_oom(c->err);
    /* PutRule replaces what it is given and clears what it is not (AWS) */
    static const char *const fields[] = {"EventPattern", "ScheduleExpression", "Description",
                                         "RoleArn"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        json_object_del(doc, fields[i]);
        if (jset_str(doc, fields[i], jstr(in, fields[i]))) return ferr_oom(c->err);
    }
    if (jset_str(doc, "State", state ? state : "ENABLED")) return ferr_oom(c->err);
    const json_t *tags = json_object_get(in, "Tags");
    if (tags && jtags_merge(doc, tags)) return ferr_oom(c->err);
    if (store_put(c->txn, &k, doc, c->err)) return -1;
    store_key sk = {EVENTS_SCHEDULE_KIND, c->account, c->region, k.id};
    if (sched_expr) {
        json_t *s = json_pack("{s:f}", "NextAt", next);
        if (!arena_defer_json(c->a, s)) return ferr_oom(c->err);
        if (store_put(c->txn, &sk, s, c->err)) return -1;
        events_kick();
    } else if (store_del(c->txn, &sk, c->err) < 0) {
        return -1;
    }
    *out = svc_out(
        c, json_pack("{s:s}", "RuleArn", events_rule_arn(c->a, c->region, c->account, bus, name)));
    return 0;
}

static json_t *rule_out(call *c, const json_t *doc, int describe)
{
    const char *bus = jstr(doc, "EventBusName"), *name = jstr(doc, "Name");
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "Name", name, "Arn",
                          events_rule_arn(c->a, c->region, c->account, bus, name), "State",
                          jstr(doc, "State"), "EventBusName", bus);
    static const char *const fields[] = {"EventPattern", "ScheduleExpression", "Description",
                                         "RoleArn", "ManagedBy"};
    int rc = !o;
    for (size_t i = 0; !rc && i < sizeof(fields) / sizeof(fields[0]); i++)
        rc = jset_str(o, fields[i], jstr(doc, fields[i]));
    if (!rc && describe) rc = jset_str(o, "CreatedBy", c->account);
    return jdone(o, rc);
}

int events_op_describe_rule(call *c, json_t *in, json_t **out)
{
    const char *bus, *name;
    json_t *doc;
    if (rule_ref(c, in, "Name", "events:DescribeRule", &bus, &name) || rule_get(c, bus, name, &doc))
        return -1;
    *out = svc_out(c, rule_out(c, doc, 1));
    return 0;
}

typedef struct lrules {
    call *c;
    json_t *all;
    const char *target; /* ListRuleNamesByTarget */
    int oom;
} lrules;

static int list_rule(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    lrules *l = ud;
    if (l->target) {
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(doc, "Targets"), i, t) {
            if (!strcmp(jstr(t, "Arn"), l->target)) {
                if (json_array_append_new(l->all, json_string(jstr(doc, "Name")))) l->oom = 1;
                break;
            }
        }
        return l->oom;
    }
    if (json_array_append_new(l->all, rule_out(l->c, doc, 0))) l->oom = 1;
    return l->oom;
}

static int list_rules(call *c, json_t *in, const char *action, const char *target, const char *key,
                      json_t **out)
{
    const char *account, *bus;
    if (events_bus_ref(c, jstr(in, "EventBusName"), &account, &bus)) return -1;
    const char *arn = events_rule_arn(c->a, c->region, account, bus, "*");
    if (!arn || call_authorize(c, action, arn)) return arn ? -1 : ferr_oom(c->err);
    json_t *busdoc;
    if (events_bus_get(c, account, bus, &busdoc)) return -1;
    const char *np = jstr(in, "NamePrefix");
    const char *prefix = arena_printf(c->a, "%s|%s", bus, np ? np : "");
    lrules l = {c, json_array(), target, 0};
    if (!prefix || !arena_defer_json(c->a, l.all)) return ferr_oom(c->err);
    if (store_list(c->txn, EVENTS_RULE_KIND, account, c->region, prefix, NULL, 0, list_rule, &l,
                   c->err) < 0)
        return -1;
    if (l.oom) return ferr_oom(c->err);
    json_t *o = json_object();
    if (!arena_defer_json(c->a, o)) return ferr_oom(c->err);
    if (svc_page(c, l.all, jstr(in, "NextToken"), jint(in, "Limit", 100), o, key, "NextToken",
                 "ValidationException"))
        return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

int events_op_list_rules(call *c, json_t *in, json_t **out)
{
    return list_rules(c, in, "events:ListRules", NULL, "Rules", out);
}

int events_op_list_rule_names_by_target(call *c, json_t *in, json_t **out)
{
    return list_rules(c, in, "events:ListRuleNamesByTarget", jstr(in, "TargetArn"), "RuleNames",
                      out);
}

int events_op_delete_rule(call *c, json_t *in, json_t **out)
{
    const char *bus, *name;
    if (rule_ref(c, in, "Name", "events:DeleteRule", &bus, &name)) return -1;
    store_key k = {EVENTS_RULE_KIND, c->account, c->region, events_rule_id(c->a, bus, name)};
    json_t *doc = NULL;
    int rc = k.id ? store_get(c->txn, &k, &doc, c->err) : ferr_oom(c->err);
    if (rc < 0) return -1;
    if (rc == 1) {
        /* AWS: "Before you can delete the rule, you must remove all targets" */
        size_t n = json_array_size(json_object_get(doc, "Targets"));
        json_decref(doc);
        if (n) return events_invalid(c, "Rule can't be deleted since it has targets.");
        store_key sk = {EVENTS_SCHEDULE_KIND, c->account, c->region, k.id};
        if (store_del(c->txn, &k, c->err) < 0 || store_del(c->txn, &sk, c->err) < 0) return -1;
    }
    *out = svc_out(c, json_object());
    return 0;
}

static int set_state(call *c, json_t *in, const char *action, const char *state, json_t **out)
{
    const char *bus, *name;
    json_t *doc;
    if (rule_ref(c, in, "Name", action, &bus, &name) || rule_get(c, bus, name, &doc)) return -1;
    if (jset_str(doc, "State", state)) return ferr_oom(c->err);
    if (rule_put(c, bus, name, doc)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int events_op_enable_rule(call *c, json_t *in, json_t **out)
{
    return set_state(c, in, "events:EnableRule", "ENABLED", out);
}

int events_op_disable_rule(call *c, json_t *in, json_t **out)
{
    return set_state(c, in, "events:DisableRule", "DISABLED", out);
}

/* ---- targets ---- */

static int failed(json_t *list, const char *id, const char *code, const char *msg)
{
    return json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "TargetId", id ? id : "",
                                                 "ErrorCode", code, "ErrorMessage", msg));
}

static int arn_ok(const char *arn)
{
    /* arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE */
    if (!arn_rest(arn, NULL)) return 0;
    int colons = 0;
    for (const char *p = arn; *p; p++) colons += *p == ':';
    return colons >= 5;
}

int events_op_put_targets(call *c, json_t *in, json_t **out)
{
    const char *bus, *name;
    json_t *doc;
    if (rule_ref(c, in, "Rule", "events:PutTargets", &bus, &name) || rule_get(c, bus, name, &doc))
        return -1;
    json_t *have = json_object_get(doc, "Targets"), *fails = json_array();
    if (!have && json_object_set_new(doc, "Targets", have = json_array())) return ferr_oom(c->err);
    if (!arena_defer_json(c->a, fails)) return ferr_oom(c->err);
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(in, "Targets"), i, t) {
        const char *id = jstr(t, "Id"), *arn = jstr(t, "Arn"), *why = NULL;
        int inputs = !!json_object_get(t, "Input") + !!json_object_get(t, "InputPath") +
                     !!json_object_get(t, "InputTransformer");
        if (!id || !*id || strlen(id) > 64) return events_invalid(c, "Parameter Id is not valid.");
        if (!arn_ok(arn)) {
            if (failed(fails, id, "ValidationException", "Provided Arn is not in correct format."))
                return ferr_oom(c->err);
            continue;
        }
        if (inputs > 1)
            return events_invalid(c, "Only one of Input, InputPath, or InputTransformer must be "
                                     "provided.");
        const char *input = jstr(t, "Input");
        if (input) {
            json_t *j = json_loads(input, JSON_DECODE_ANY, NULL);
            int ok = j != NULL;
            json_decref(j);
            if (!ok) return events_invalid(c, "Parameter Input is not valid.");
        }
        if ((why = events_target_check(t))) return events_invalid(c, "%s", why);
        size_t j, at = (size_t)-1;
        json_t *h;
        json_array_foreach(have, j, h) {
            if (!strcmp(jstr(h, "Id"), id)) at = j;
        }
        if (at == (size_t)-1 && json_array_size(have) >= EVENTS_MAX_TARGETS) {
            /* AWS: five targets per rule */
            return ferr_set(c->err, 400, "LimitExceededException",
                            "The requested resource exceeds the maximum number allowed.");
        }
        if (at == (size_t)-1 ? json_array_append(have, t) : json_array_set(have, at, t))
            return ferr_oom(c->err);
    }
    if (rule_put(c, bus, name, doc)) return -1;
    *out = svc_out(c, json_pack("{s:I, s:O}", "FailedEntryCount",
                                (json_int_t)json_array_size(fails), "FailedEntries", fails));
    return 0;
}

int events_op_remove_targets(call *c, json_t *in, json_t **out)
{
    const char *bus, *name;
    json_t *doc;
    if (rule_ref(c, in, "Rule", "events:RemoveTargets", &bus, &name) ||
        rule_get(c, bus, name, &doc))
        return -1;
    json_t *have = json_object_get(doc, "Targets");
    size_t i;
    json_t *id;
    json_array_foreach(json_object_get(in, "Ids"), i, id) {
        for (size_t j = json_array_size(have); j-- > 0;)
            if (!strcmp(jstr(json_array_get(have, j), "Id"), json_string_value(id)))
                json_array_remove(have, j);
    }
    if (rule_put(c, bus, name, doc)) return -1;
    *out = svc_out(c, json_pack("{s:i, s:[]}", "FailedEntryCount", 0, "FailedEntries"));
    return 0;
}

int events_op_list_targets_by_rule(call *c, json_t *in, json_t **out)
{
    const char *bus, *name;
    json_t *doc;
    if (rule_ref(c, in, "Rule", "events:ListTargetsByRule", &bus, &name) ||
        rule_get(c, bus, name, &doc))
        return -1;
    json_t *all = json_object_get(doc, "Targets"), *o = json_object();
    if (!arena_defer_json(c->a, o)) return ferr_oom(c->err);
    if (!all && !(all = arena_defer_json(c->a, json_array()))) return ferr_oom(c->err);
    if (svc_page(c, all, jstr(in, "NextToken"), jint(in, "Limit", 100), o, "Targets", "NextToken",
                 "ValidationException"))
        return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}
