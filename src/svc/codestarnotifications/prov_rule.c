/* AWS::CodeStarNotifications::NotificationRule. Ref = the rule's ARN; GetAtt Arn. Its
 * properties are the API's (EventTypeId and TargetAddress, CloudFormation's single forms,
 * join EventTypeIds and Targets as SNS topics); a change of Resource replaces the rule. The
 * create is made idempotent by a ClientRequestToken of the stack and logical id, so a create
 * run again after a stop of ferry answers the rule the first run made. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csn_int.h"
#include "engine/stacks/prov_int.h"

static const prov_prop schema[] = {
    {"Name", PT_STR, 1},
    {"DetailType", PT_STR, 1},
    {"Resource", PT_STR, 1},
    {"EventTypeIds", PT_STRLIST, 0},
    {"EventTypeId", PT_STR, 0},
    {"Targets", PT_LIST, 0},
    {"TargetAddress", PT_STR, 0},
    {"Status", PT_STR, 0},
    {"CreatedBy", PT_STR, 0},
    {"Tags", PT_OBJECT, 0},
    {NULL, 0, 0},
};

/* The API's input for props pr (NULL out of memory). */
static json_t *input(const json_t *pr)
{
    json_t *ids = json_deep_copy(json_object_get(pr, "EventTypeIds"));
    json_t *tg = json_deep_copy(json_object_get(pr, "Targets"));
    if (!ids) ids = json_array();
    if (!tg) tg = json_array();
    const char *one = jstr(pr, "EventTypeId"), *addr = jstr(pr, "TargetAddress");
    json_t *in = ids && tg
                     ? json_pack("{s:s, s:s, s:o, s:o}", "Name", jstr(pr, "Name"), "DetailType",
                                 jstr(pr, "DetailType"), "EventTypeIds", ids, "Targets", tg)
                     : (json_decref(ids), json_decref(tg), NULL);
    if (in &&
        ((one && json_array_append_new(json_object_get(in, "EventTypeIds"), json_string(one))) ||
         (addr && json_array_append_new(
                      json_object_get(in, "Targets"),
                      json_pack("{s:s, s:s}", "TargetType", "SNS", "TargetAddress", addr))) ||
         jset_str(in, "Status", jstr(pr, "Status"))))
        json_decref(in), in = NULL;
    return in;
}

static int rule_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    if (strncmp(id, "arn:", 4)) return 0; /* a create that never answered */
    return prov_call_gone_ok(p, NULL, "codestar-notifications", "DeleteNotificationRule",
                             json_pack("{s:s}", "Arn", id));
}

static int rule_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s, (void)p;
    return (*attrs = json_pack("{s:s}", "Arn", id)) ? 0 : ferr_oom(p->e);
}

static int rule_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    json_t *in = input(pr), *out = NULL;
    char token[256];
    /* [\w:/-]: the stack's id is an ARN */
    snprintf(token, sizeof(token), "%s/%s", p->stack_id ? p->stack_id : "", p->logical_id);
    for (char *q = token; *q; q++)
        if (!strchr(":/-_", *q) &&
            !((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9')))
            *q = '-';
    if (!in || jset_str(in, "Resource", jstr(pr, "Resource")) ||
        jset_str(in, "ClientRequestToken", token) ||
        (json_object_get(pr, "Tags") && json_object_set(in, "Tags", json_object_get(pr, "Tags")))) {
        json_decref(in);
        return ferr_oom(p->e);
    }
    if (cfn_intent(p, jstr(pr, "Name")) ||
        prov_call(p, "codestar-notifications", "CreateNotificationRule", in, &out))
        return -1;
    const char *arn = jstr(out, "Arn");
    *id = arn ? strdup(arn) : NULL;
    json_decref(out);
    return *id ? 0 : ferr_oom(p->e);
}

static int rule_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                       const json_t *np)
{
    (void)s, (void)op;
    json_t *in = input(np);
    if (!in || jset_str(in, "Arn", id)) return json_decref(in), ferr_oom(p->e);
    return prov_call(p, "codestar-notifications", "UpdateNotificationRule", in, NULL);
}

static const prov_shape shape = {
    .schema = schema,
    .make = rule_make,
    .change = rule_change,
    .attrs = rule_attrs,
    .del = rule_del,
};

static const char *const replace_on[] = {"Resource", NULL};

const cfn_provider cfn_provider_codestarnotifications_rule = {
    .type = "AWS::CodeStarNotifications::NotificationRule",
    .shape = &shape,
    .del = rule_del,
    .replace_on = replace_on,
};
