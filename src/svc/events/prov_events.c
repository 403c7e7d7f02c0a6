/* CloudFormation's AWS::Events::Rule, AWS::Events::EventBus and AWS::Events::EventBusPolicy.
 *
 * Rule: Ref = the rule's name ("BUS|NAME" on a custom bus, as AWS), GetAtt Arn. Name and
 * EventBusName replace; the rest (pattern, schedule, state, description, role, targets)
 * changes in place: PutRule again, targets no longer listed removed, the list put again.
 * Without a Name the rule is named "{stack}-{logical id}-{random}" (64 characters).
 * EventBus: Ref = its name, GetAtt Arn and Name; Name replaces; Tags change in place. */
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "engine/stacks/prov_int.h"

/* ---- AWS::Events::Rule ---- */

static const prov_prop rule_schema[] = {
    {"Description", PT_STR, 0}, {"EventBusName", PT_STR, 0}, {"EventPattern", PT_JSON, 0},
    {"Name", PT_STR, 0},        {"RoleArn", PT_STR, 0},      {"ScheduleExpression", PT_STR, 0},
    {"State", PT_STR, 0},       {"Targets", PT_LIST, 0},     {NULL, 0, 0},
};

/* "NAME" or "BUS|NAME" into the bus and the name (malloc'd pair in one buffer). */
static char *split_id(const char *id, const char **bus, const char **name)
{
    char *s = strdup(id);
    if (!s) return NULL;
    char *bar = strchr(s, '|');
    if (bar) {
        *bar = 0;
        *bus = s;
        *name = bar + 1;
    } else {
        *bus = "default";
        *name = s;
    }
    return s;
}

/* EventBusName may be a name or an ARN: the name. */
static const char *bus_name(const json_t *pr)
{
    const char *b = jstr(pr, "EventBusName");
    const char *slash = b && !strncmp(b, "arn:", 4) ? strstr(b, ":event-bus/") : NULL;
    return slash ? slash + 11 : b && *b ? b : "default";
}

static json_t *rule_in(const char *bus, const char *name)
{
    return json_pack("{s:s, s:s}", "Name", name, "EventBusName", bus);
}

static int rule_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    const char *bus, *name;
    char *s = split_id(id, &bus, &name);
    if (!s) return ferr_oom(p->e);
    json_t *out = NULL;
    int rc = prov_call(p, "events", "ListTargetsByRule",
                       json_pack("{s:s, s:s}", "Rule", name, "EventBusName", bus), &out);
    if (rc && prov_is_gone(p->e)) {
        ferr_clear(p->e);
        free(s);
        return 0;
    }
    json_t *ids = rc ? NULL : json_array();
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(out, "Targets"), i, t) {
        if (json_array_append_new(ids, json_string(jstr(t, "Id")))) rc = ferr_oom(p->e);
    }
    if (!rc && json_array_size(ids))
        rc = prov_call(p, "events", "RemoveTargets",
                       json_pack("{s:s, s:s, s:O}", "Rule", name, "EventBusName", bus, "Ids", ids),
                       NULL);
    if (!rc) rc = prov_call_gone_ok(p, NULL, "events", "DeleteRule", rule_in(bus, name));
    json_decref(ids);
    json_decref(out);
    free(s);
    return rc;
}

static int put_rule(cfn_pctx *p, const char *bus, const char *name, const json_t *pr)
{
    json_t *in = rule_in(bus, name);
    char *pattern = prov_doc_text(json_object_get(pr, "EventPattern"));
    int rc = !in || jset_str(in, "EventPattern", pattern) ||
             jset_str(in, "ScheduleExpression", jstr(pr, "ScheduleExpression")) ||
             jset_str(in, "State", jstr(pr, "State") ? jstr(pr, "State") : "ENABLED") ||
             jset_str(in, "Description", jstr(pr, "Description")) ||
             jset_str(in, "RoleArn", jstr(pr, "RoleArn"));
    free(pattern);
    if (rc) {
        json_decref(in);
        return ferr_oom(p->e);
    }
    return prov_call(p, "events", "PutRule", in, NULL);
}

/* The Targets property as PutTargets takes it; failures of its entries fail the resource. */
static int put_targets(cfn_pctx *p, const char *bus, const char *name, const json_t *pr)
{
    const json_t *targets = json_object_get(pr, "Targets");
    if (!json_array_size(targets)) return 0;
    json_t *out = NULL;
    if (prov_call(
            p, "events", "PutTargets",
            json_pack("{s:s, s:s, s:O}", "Rule", name, "EventBusName", bus, "Targets", targets),
            &out))
        return -1;
    const json_t *f = json_array_get(json_object_get(out, "FailedEntries"), 0);
    int rc = f ? prov_invalid(p, "Target %s: %s", jstr(f, "TargetId"), jstr(f, "ErrorMessage")) : 0;
    json_decref(out);
    return rc;
}

static int rule_check(cfn_pctx *p, const json_t *pr)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(pr, "Targets"), i, t) {
        if (!json_is_object(t) || !jstr(t, "Id") || !jstr(t, "Arn"))
            return prov_invalid(p, "#/Targets/%zu: required key [Arn, Id] not found", i);
    }
    return 0;
}

static int rule_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s;
    (void)attrs;
    char *name = prov_name(p, pr, "Name", 64, 0);
    const char *bus = bus_name(pr);
    if (!name) return ferr_oom(p->e);
    char *pid = strcmp(bus, "default") ? malloc(strlen(bus) + strlen(name) + 2) : strdup(name);
    if (!pid) {
        free(name);
        return ferr_oom(p->e);
    }
    if (strcmp(bus, "default")) strcat(strcat(strcpy(pid, bus), "|"), name);
    int rc = prov_refuse_existing(p, "AWS::Events::Rule", pid, "events", "DescribeRule",
                                  rule_in(bus, name)) ||
             cfn_intent(p, pid) || put_rule(p, bus, name, pr);
    if (!rc && put_targets(p, bus, name, pr)) rc = prov_undo(p, rule_del, pid, pr);
    free(name);
    if (rc) {
        free(pid);
        return -1;
    }
    *id = pid;
    return 0;
}

static int rule_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                       const json_t *np)
{
    (void)s;
    const char *bus, *name;
    char *buf = split_id(id, &bus, &name);
    if (!buf) return ferr_oom(p->e);
    int rc = put_rule(p, bus, name, np);
    /* targets that left the list are removed; the list is put again */
    json_t *gone = rc ? NULL : json_array();
    size_t i, j;
    json_t *o, *n;
    json_array_foreach(json_object_get(op, "Targets"), i, o) {
        int kept = 0;
        json_array_foreach(json_object_get(np, "Targets"), j, n) {
            if (jstr(n, "Id") && jstr(o, "Id") && !strcmp(jstr(n, "Id"), jstr(o, "Id"))) kept = 1;
        }
        if (!kept && jstr(o, "Id") && json_array_append_new(gone, json_string(jstr(o, "Id"))))
            rc = ferr_oom(p->e);
    }
    if (!rc && json_array_size(gone))
        rc = prov_call(p, "events", "RemoveTargets",
                       json_pack("{s:s, s:s, s:O}", "Rule", name, "EventBusName", bus, "Ids", gone),
                       NULL);
    if (!rc) rc = put_targets(p, bus, name, np);
    json_decref(gone);
    free(buf);
    return rc;
}

static int rule_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    const char *bus, *name;
    char *buf = split_id(id, &bus, &name);
    json_t *out = NULL;
    int rc =
        !buf ? ferr_oom(p->e) : prov_call(p, "events", "DescribeRule", rule_in(bus, name), &out);
    if (!rc) {
        *attrs = json_pack("{s:s}", "Arn", jstr(out, "Arn"));
        if (!*attrs) rc = ferr_oom(p->e);
    }
    json_decref(out);
    free(buf);
    return rc;
}

static const prov_shape rule_shape = {
    .schema = rule_schema,
    .check = rule_check,
    .make = rule_make,
    .change = rule_change,
    .attrs = rule_attrs,
    .del = rule_del,
};

static const char *const rule_replace_on[] = {"Name", "EventBusName", NULL};

const cfn_provider cfn_provider_events_rule = {
    .type = "AWS::Events::Rule",
    .shape = &rule_shape,
    .del = rule_del,
    .replace_on = rule_replace_on,
};

/* ---- AWS::Events::EventBus ---- */

static const prov_prop bus_schema[] = {
    {"Name", PT_STR, 1},
    {"Tags", PT_TAGS, 0},
    {NULL, 0, 0},
};

static int bus_del(cfn_pctx *p, const char *name, const json_t *props)
{
    (void)props;
    return prov_call_gone_ok(p, NULL, "events", "DeleteEventBus", json_pack("{s:s}", "Name", name));
}

static int bus_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s;
    (void)attrs;
    const char *name = jstr(pr, "Name");
    json_t *tags = prov_tags(p, json_object_get(pr, "Tags"), 1);
    int rc = !tags ? ferr_oom(p->e)
                   : cfn_intent(p, name) ||
                         prov_call(p, "events", "CreateEventBus",
                                   json_pack("{s:s, s:O}", "Name", name, "Tags", tags), NULL);
    json_decref(tags);
    if (rc) return -1;
    *id = strdup(name);
    return *id ? 0 : ferr_oom(p->e);
}

static int bus_attrs(const prov_shape *s, cfn_pctx *p, const char *name, json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    if (prov_call(p, "events", "DescribeEventBus", json_pack("{s:s}", "Name", name), &out))
        return -1;
    *attrs = json_pack("{s:s, s:s}", "Arn", jstr(out, "Arn"), "Name", name);
    if (*attrs && jstr(out, "Policy") && jset_str(*attrs, "Policy", jstr(out, "Policy"))) {
        json_decref(*attrs);
        *attrs = NULL;
    }
    json_decref(out);
    return *attrs ? 0 : ferr_oom(p->e);
}

static const prov_tagging bus_tagging = {
    .service = "events",
    .id_key = "ResourceARN",
    .list_op = "ListTagsForResource",
    .tag_op = "TagResource",
    .untag_op = "UntagResource",
};

static int bus_change(const prov_shape *s, cfn_pctx *p, const char *name, const json_t *op,
                      const json_t *np)
{
    (void)s;
    (void)op;
    json_t *attrs = NULL;
    if (bus_attrs(s, p, name, &attrs)) return -1;
    int rc = prov_sync_tags(p, &bus_tagging, jstr(attrs, "Arn"), np);
    json_decref(attrs);
    return rc;
}

static const prov_shape bus_shape = {
    .schema = bus_schema,
    .make = bus_make,
    .change = bus_change,
    .attrs = bus_attrs,
    .del = bus_del,
};

static const char *const bus_replace_on[] = {"Name", NULL};

const cfn_provider cfn_provider_events_event_bus = {
    .type = "AWS::Events::EventBus",
    .shape = &bus_shape,
    .del = bus_del,
    .replace_on = bus_replace_on,
};

/* ---- AWS::Events::EventBusPolicy ----
 * Ref = the StatementId. A Statement (a policy statement object) is merged into the bus's
 * policy under that Sid; or Action, Principal and Condition make one as PutPermission does.
 * EventBusName and StatementId replace; the rest changes in place. A Statement that
 * PutPermission cannot express is merged by reading and writing the whole policy: two such
 * made at the same time may lose one. */

static const prov_prop policy_schema[] = {
    {"Action", PT_STR, 0},
    {"Condition", PT_OBJECT, 0},
    {"EventBusName", PT_STR, 0},
    {"Principal", PT_STR, 0},
    {"Statement", PT_JSON, 0},
    {"StatementId", PT_STR, 1},
    {NULL, 0, 0},
};

static int policy_del(cfn_pctx *p, const char *sid, const json_t *props)
{
    return prov_call_gone_ok(
        p, NULL, "events", "RemovePermission",
        json_pack("{s:s, s:s}", "EventBusName", bus_name(props), "StatementId", sid));
}

/* The bus's policy with pr's Statement as Sid (any earlier one of that Sid replaced). */
static int merge_statement(cfn_pctx *p, const char *bus, const char *sid, const json_t *pr)
{
    json_t *out = NULL, *pol = NULL;
    if (prov_call(p, "events", "DescribeEventBus", json_pack("{s:s}", "Name", bus), &out))
        return -1;
    const char *have = jstr(out, "Policy");
    pol = have ? json_loads(have, 0, NULL) : NULL;
    if (!json_is_object(pol)) {
        json_decref(pol);
        pol = json_pack("{s:s, s:[]}", "Version", "2012-10-17", "Statement");
    }
    char *text = prov_doc_text(json_object_get(pr, "Statement"));
    json_t *st = json_object_get(pol, "Statement"), *add = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    int rc = 0;
    if (!json_is_object(add)) rc = prov_invalid(p, "#/Statement: expected type: JSONObject");
    for (size_t i = json_array_size(st); !rc && i-- > 0;)
        if (!strcmp(jstr(json_array_get(st, i), "Sid") ? jstr(json_array_get(st, i), "Sid") : "",
                    sid))
            rc = json_array_remove(st, i) ? ferr_oom(p->e) : 0;
    if (!rc && (jset_str(add, "Sid", sid) || json_array_append(st, add))) rc = ferr_oom(p->e);
    char *doc = rc ? NULL : json_dumps(pol, JSON_COMPACT);
    if (!rc)
        rc = !doc ? ferr_oom(p->e)
                  : prov_call(p, "events", "PutPermission",
                              json_pack("{s:s, s:s}", "EventBusName", bus, "Policy", doc), NULL);
    free(doc);
    json_decref(add);
    json_decref(pol);
    json_decref(out);
    return rc;
}

/* A Statement PutPermission can make itself (Allow events:PutEvents to an account or "*",
 * at most one condition): as Action, Principal and Condition, so that statements made at
 * once (CloudFormation creates resources in parallel) do not overwrite each other. New
 * props, or NULL when it cannot. */
static json_t *simple_statement(const json_t *pr)
{
    char *text = prov_doc_text(json_object_get(pr, "Statement"));
    json_t *st = text ? json_loads(text, 0, NULL) : NULL, *out = NULL;
    free(text);
    const json_t *pp = json_object_get(st, "Principal"), *cond = json_object_get(st, "Condition");
    const char *who = json_is_string(pp) ? json_string_value(pp) : jstr(pp, "AWS");
    if (arn_root_account(who)) who = arn_root_account(who);
    const char *ctype = NULL, *ckey = NULL;
    const json_t *cval = NULL;
    if (json_object_size(cond) == 1) {
        ctype = json_object_iter_key(json_object_iter((json_t *)cond));
        const json_t *kv = json_object_iter_value(json_object_iter((json_t *)cond));
        if (json_object_size(kv) == 1) {
            ckey = json_object_iter_key(json_object_iter((json_t *)kv));
            cval = json_object_iter_value(json_object_iter((json_t *)kv));
        }
    }
    int ok = st && who && (!strcmp(who, "*") || strspn(who, "0123456789") == 12) &&
             !strcmp(jstr(st, "Effect") ? jstr(st, "Effect") : "", "Allow") &&
             !strcmp(jstr(st, "Action") ? jstr(st, "Action") : "", "events:PutEvents") &&
             (!cond || (ckey && json_is_string(cval)));
    if (ok) {
        out = json_pack("{s:s, s:s, s:s}", "EventBusName", bus_name(pr), "Action",
                        "events:PutEvents", "Principal", who);
        if (out && cond &&
            json_object_set_new(out, "Condition",
                                json_pack("{s:s, s:s, s:s}", "Type", ctype, "Key", ckey, "Value",
                                          json_string_value(cval))))
            json_decref(out), out = NULL;
    }
    json_decref(st);
    return out;
}

static int policy_put(cfn_pctx *p, const char *sid, const json_t *pr)
{
    const char *bus = bus_name(pr);
    json_t *simple = json_object_get(pr, "Statement") ? simple_statement(pr) : NULL;
    if (simple) {
        int rc = policy_put(p, sid, simple);
        json_decref(simple);
        return rc;
    }
    if (json_object_get(pr, "Statement")) return merge_statement(p, bus, sid, pr);
    json_t *in = json_pack("{s:s, s:s, s:s, s:s}", "EventBusName", bus, "StatementId", sid,
                           "Action", jstr(pr, "Action") ? jstr(pr, "Action") : "", "Principal",
                           jstr(pr, "Principal") ? jstr(pr, "Principal") : "");
    const json_t *cond = json_object_get(pr, "Condition");
    if (in && cond && json_object_set(in, "Condition", (json_t *)cond)) {
        json_decref(in);
        in = NULL;
    }
    return prov_call(p, "events", "PutPermission", in, NULL);
}

static int policy_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id,
                       json_t **attrs)
{
    const char *sid = jstr(pr, "StatementId");
    if (cfn_intent(p, sid) || policy_put(p, sid, pr)) return -1;
    if (!(*id = strdup(sid))) return ferr_oom(p->e);
    return prov_shape_id_attrs(s, p, sid, attrs);
}

static int policy_change(const prov_shape *s, cfn_pctx *p, const char *sid, const json_t *op,
                         const json_t *np)
{
    (void)s;
    return policy_del(p, sid, op) || policy_put(p, sid, np) ? -1 : 0;
}

static const prov_shape policy_shape = {
    .schema = policy_schema,
    .make = policy_make,
    .change = policy_change,
    .attrs = prov_shape_id_attrs,
    .del = policy_del,
};

static const char *const policy_replace_on[] = {"EventBusName", "StatementId", NULL};

const cfn_provider cfn_provider_events_event_bus_policy = {
    .type = "AWS::Events::EventBusPolicy",
    .shape = &policy_shape,
    .del = policy_del,
    .replace_on = policy_replace_on,
};
