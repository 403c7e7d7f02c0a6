/* CodePipeline V2 stage conditions: a stage's beforeEntry (results FAIL or SKIP) and
 * onSuccess (ROLLBACK or FAIL) each hold one condition of 1-5 rules; when a rule fails, the
 * result engages. ferry evaluates the rules it can for real and refuses the others when the
 * pipeline is declared: VariableCheck (a resolved variable against a value: EQ, NE, CONTAINS,
 * MATCHES) and DeploymentWindow (now within a cron's minutes, base/schedule.h, in UTC or a
 * fixed offset). Both answer at once, so no condition is ever left in progress to override.
 * The engine (run.c) evaluates at the stage's boundaries; each evaluation is recorded on the
 * execution's stage entry, conditions {beforeEntry|onSuccess: {status, summary, rules
 * [{name, id, status, summary, startTime, lastUpdateTime, config}]}}, which
 * ListRuleExecutions and GetPipelineState show. */
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/ids.h"
#include "base/schedule.h"
#include "codepipeline_int.h"
#include "vars.h"

typedef struct rule_kind {
    const char *provider;
    const char *props[4]; /* configuration properties, the required ones first */
    int required;
} rule_kind;

static const rule_kind RULES[] = {
    {"VariableCheck", {"Variable", "Value", "Operator", NULL}, 3},
    {"DeploymentWindow", {"Cron", "TimeZone", NULL, NULL}, 1},
};

static const rule_kind *rule_kind_of(const json_t *type)
{
    for (size_t i = 0; i < sizeof(RULES) / sizeof(RULES[0]); i++)
        if (jstr(type, "provider") && !strcmp(jstr(type, "provider"), RULES[i].provider))
            return &RULES[i];
    return NULL;
}

/* The offset in seconds of TimeZone (UTC, or +HH:MM / -HH:MM): 0, or -1. */
static int tz_offset(const char *tz, long *off)
{
    int h, m;
    char sign;
    *off = 0;
    if (!tz || !strcmp(tz, "UTC") || !strcmp(tz, "GMT")) return 0;
    if (sscanf(tz, "%c%2d:%2d", &sign, &h, &m) != 3 || (sign != '+' && sign != '-') || h > 14 ||
        m > 59 || strlen(tz) != 6)
        return -1;
    *off = (sign == '-' ? -1 : 1) * (h * 3600L + m * 60L);
    return 0;
}

/* AWS writes the window's cron with a leading seconds field (7 fields): schedule.h has none. */
static int window_parse(const char *cron, sched *s, const char **why)
{
    char buf[256];
    int fields = 0, in = 0;
    for (const char *p = cron; *p; p++) {
        if (*p != ' ' && !in) fields++;
        in = *p != ' ';
    }
    const char *expr = cron;
    if (fields == 7) {
        expr = strchr(cron + strspn(cron, " "), ' ');
        expr += strspn(expr, " ");
        if (strncmp(cron + strspn(cron, " "), "0 ", 2))
            return *why = "the seconds field must be 0", -1;
    }
    if (snprintf(buf, sizeof(buf), "cron(%s)", expr) >= (int)sizeof(buf))
        return *why = "too long", -1;
    return sched_parse(buf, s, why);
}

static int check_rule(call *c, const char *stage, const json_t *r)
{
    const json_t *type = json_object_get(r, "ruleTypeId"),
                 *cfg = json_object_get(r, "configuration");
    const rule_kind *k = rule_kind_of(type);
    const char *owner = jstr(type, "owner"), *ver = jstr(type, "version");
    if (!jstr(type, "category") || strcmp(jstr(type, "category"), "Rule") ||
        (owner && strcmp(owner, "AWS")) || (ver && strcmp(ver, "1")))
        return ferr_set(c->err, 400, "InvalidStructureException",
                        "Rule %s of stage %s: rule type (Category: '%s', Owner: '%s', Provider: "
                        "'%s', Version: '%s') does not exist",
                        jstr(r, "name"), stage, jstr(type, "category"), owner ? owner : "AWS",
                        jstr(type, "provider"), ver ? ver : "1");
    if (!k)
        return ferr_set(c->err, 400, "ValidationException",
                        "Rule %s of stage %s: ferry does not evaluate rules of provider %s (it "
                        "evaluates VariableCheck and DeploymentWindow)",
                        jstr(r, "name"), stage, jstr(type, "provider"));
    for (int i = 0; i < k->required; i++)
        if (!jstr(cfg, k->props[i]))
            return ferr_set(c->err, 400, "InvalidStructureException",
                            "Rule configuration for rule '%s' is missing required configuration "
                            "'%s'",
                            jstr(r, "name"), k->props[i]);
    const char *op = jstr(cfg, "Operator");
    if (op && strcmp(op, "EQ") && strcmp(op, "NE") && strcmp(op, "CONTAINS") &&
        strcmp(op, "MATCHES"))
        return ferr_set(c->err, 400, "InvalidStructureException",
                        "Rule %s: Operator %s is not one of EQ, NE, CONTAINS, MATCHES",
                        jstr(r, "name"), op);
    if (jstr(cfg, "Cron")) {
        sched s;
        const char *why = NULL;
        long off;
        if (window_parse(jstr(cfg, "Cron"), &s, &why))
            return ferr_set(c->err, 400, "InvalidStructureException",
                            "Rule %s: Cron %s is not a valid cron expression: %s", jstr(r, "name"),
                            jstr(cfg, "Cron"), why);
        if (tz_offset(jstr(cfg, "TimeZone"), &off))
            return ferr_set(c->err, 400, "ValidationException",
                            "Rule %s: ferry takes TimeZone as UTC or a fixed offset +HH:MM, not %s",
                            jstr(r, "name"), jstr(cfg, "TimeZone"));
    }
    return 0;
}

int cp_check_conditions(call *c, const json_t *stage)
{
    static const struct {
        const char *member, *results[3];
    } kinds[] = {{"beforeEntry", {"FAIL", "SKIP", NULL}},
                 {"onSuccess", {"ROLLBACK", "FAIL", NULL}}};
    const char *sn = jstr(stage, "name");
    if (json_object_get(json_object_get(stage, "onFailure"), "conditions"))
        return ferr_set(c->err, 400, "ValidationException",
                        "Stage %s: onFailure conditions are not supported by ferry (onFailure "
                        "result is)",
                        sn);
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        const json_t *conds =
            json_object_get(json_object_get(stage, kinds[i].member), "conditions");
        if (!json_object_get(stage, kinds[i].member)) continue;
        if (json_array_size(conds) != 1)
            return ferr_set(c->err, 400, "InvalidStructureException",
                            "Stage %s: %s must hold exactly one condition", sn, kinds[i].member);
        const json_t *cond = json_array_get(conds, 0), *rules = json_object_get(cond, "rules");
        const char *res = jstr(cond, "result");
        int ok = 0;
        for (int j = 0; res && kinds[i].results[j]; j++) ok |= !strcmp(res, kinds[i].results[j]);
        if (!ok)
            return ferr_set(c->err, 400, "InvalidStructureException",
                            "Stage %s: %s condition result %s is not one of %s, %s", sn,
                            kinds[i].member, res ? res : "(none)", kinds[i].results[0],
                            kinds[i].results[1]);
        if (json_array_size(rules) < 1 || json_array_size(rules) > 5)
            return ferr_set(c->err, 400, "InvalidStructureException",
                            "Stage %s: a condition holds 1 to 5 rules, not %zu", sn,
                            json_array_size(rules));
        size_t j;
        json_t *r;
        json_array_foreach(rules, j, r) {
            if (check_rule(c, sn, r)) return -1;
        }
    }
    return 0;
}

/* One rule: 1 succeeded, 0 failed (*summary why, in a), with cfg its resolved configuration. */
static int eval_rule(arena *a, const json_t *x, const json_t *rule, double now, json_t **cfg,
                     const char **summary)
{
    const char *bad = NULL;
    *cfg = cp_vars_config(a, x, json_object_get(rule, "configuration"), &bad);
    if (!*cfg) {
        *summary = arena_printf(a, "Unable to resolve variable %s", bad ? bad : "(no memory)");
        return 0;
    }
    const char *prov = jstr(json_object_get(rule, "ruleTypeId"), "provider");
    if (!strcmp(prov, "VariableCheck")) {
        const char *v = jstr(*cfg, "Variable"), *want = jstr(*cfg, "Value"),
                   *op = jstr(*cfg, "Operator");
        int ok;
        if (!strcmp(op, "EQ"))
            ok = !strcmp(v, want);
        else if (!strcmp(op, "NE"))
            ok = strcmp(v, want) != 0;
        else if (!strcmp(op, "CONTAINS"))
            ok = strstr(v, want) != NULL;
        else {
            regex_t re;
            if (regcomp(&re, want, REG_EXTENDED | REG_NOSUB)) {
                *summary = arena_printf(a, "Value %s is not a valid regular expression", want);
                return 0;
            }
            ok = !regexec(&re, v, 0, NULL, 0);
            regfree(&re);
        }
        *summary = arena_printf(a, "Variable value '%s' %s %s '%s'", v, ok ? "satisfies" : "fails",
                                op, want);
        return ok;
    }
    sched s;
    const char *why;
    long off = 0;
    if (window_parse(jstr(*cfg, "Cron"), &s, &why) || tz_offset(jstr(*cfg, "TimeZone"), &off)) {
        *summary = "The deployment window is not valid";
        return 0;
    }
    /* in the window when the cron fires at the start of the current (local) minute */
    double local = now + (double)off, minute = local - fmod(local, 60.0);
    int ok = sched_next(&s, minute - 1) == minute;
    *summary = ok ? "The current time is within the deployment window"
                  : "The current time is outside the deployment window";
    return ok;
}

int cp_conditions_eval(arena *a, json_t *x, json_t *s, const char *member, double now,
                       const char **result)
{
    const json_t *decl = cp_stage_of(json_object_get(x, "decl"), jstr(s, "name"));
    const json_t *cond =
        json_array_get(json_object_get(json_object_get(decl, member), "conditions"), 0);
    *result = NULL;
    if (!cond) return 0;
    json_t *rules = json_array(), *conds = json_object_get(s, "conditions");
    if (!rules) return -1;
    int all = 1;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(cond, "rules"), i, r) {
        json_t *cfg = NULL;
        const char *summary = NULL;
        int ok = eval_rule(a, x, r, now, &cfg, &summary);
        char id[37];
        ids_uuid(id);
        all &= ok;
        if (json_array_append_new(rules, json_pack("{s:O, s:s, s:s, s:s?, s:f, s:f, s:o?}", "name",
                                                   json_object_get(r, "name"), "id", id, "status",
                                                   ok ? "Succeeded" : "Failed", "summary", summary,
                                                   "startTime", now, "lastUpdateTime", now,
                                                   "config", cfg)))
            return json_decref(rules), -1;
    }
    if (!conds && json_object_set_new(s, "conditions", conds = json_object()))
        return json_decref(rules), -1;
    if (json_object_set_new(
            conds, member,
            json_pack("{s:s, s:s, s:f, s:o}", "status", all ? "Succeeded" : "Failed", "summary",
                      all ? "All rules succeeded" : "A rule of the condition failed", "time", now,
                      "rules", rules)))
        return -1;
    if (!all) *result = jstr(cond, "result");
    return 0;
}

static const char *const MEMBERS[] = {"beforeEntry", "onSuccess"};
static const char *const STATES[] = {"beforeEntryConditionState", "onSuccessConditionState"};

int cp_condition_states(const json_t *xs, json_t *st)
{
    for (int m = 0; m < 2; m++) {
        const json_t *ev = json_object_get(json_object_get(xs, "conditions"), MEMBERS[m]);
        if (!ev) continue;
        json_t *rules = json_array();
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(ev, "rules"), i, r) {
            if (json_array_append_new(rules,
                                      json_pack("{s:O, s:{s:O, s:O, s:O, s:O}}", "ruleName",
                                                json_object_get(r, "name"), "latestExecution",
                                                "ruleExecutionId", json_object_get(r, "id"),
                                                "status", json_object_get(r, "status"), "summary",
                                                json_object_get(r, "summary"), "lastStatusChange",
                                                json_object_get(r, "lastUpdateTime"))))
                break;
        }
        if (!rules || i < json_array_size(json_object_get(ev, "rules")) ||
            json_object_set_new(
                st, STATES[m],
                json_pack("{s:{s:O, s:O}, s:[{s:{s:O, s:O, s:O}, s:o}]}", "latestExecution",
                          "status", json_object_get(ev, "status"), "summary",
                          json_object_get(ev, "summary"), "conditionStates", "latestExecution",
                          "status", json_object_get(ev, "status"), "summary",
                          json_object_get(ev, "summary"), "lastStatusChange",
                          json_object_get(ev, "time"), "ruleStates", rules)))
            return -1;
    }
    return 0;
}

int codepipeline_op_list_rule_executions(call *c, json_t *in, json_t **out)
{
    json_t *all = cp_filtered_execs(c, in, "codepipeline:ListRuleExecutions"), *list;
    if (!all) return -1;
    if (!(list = arena_defer_json(c->a, json_array()))) return ferr_oom(c->err);
    size_t i, j, k;
    json_t *x, *s, *r;
    json_array_foreach(all, i, x) {
        json_array_foreach(json_object_get(x, "stages"), j, s) {
            const json_t *sd = cp_stage_of(json_object_get(x, "decl"), jstr(s, "name"));
            for (int m = 0; m < 2; m++) {
                const json_t *ev = json_object_get(json_object_get(s, "conditions"), MEMBERS[m]);
                const json_t *rd = json_object_get(
                    json_array_get(json_object_get(json_object_get(sd, MEMBERS[m]), "conditions"),
                                   0),
                    "rules");
                json_array_foreach(json_object_get(ev, "rules"), k, r) {
                    const json_t *decl = json_array_get(rd, k);
                    json_t *type = json_deep_copy(json_object_get(decl, "ruleTypeId"));
                    if (type && ((!jstr(type, "owner") && jset_str(type, "owner", "AWS")) ||
                                 (!jstr(type, "version") && jset_str(type, "version", "1"))))
                        json_decref(type), type = NULL;
                    json_t *det = json_pack(
                        "{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:{s:o, s:O?, s:O?}, "
                        "s:{s:{s:O}}}",
                        "pipelineExecutionId", json_object_get(x, "id"), "ruleExecutionId",
                        json_object_get(r, "id"), "pipelineVersion",
                        json_object_get(x, "pipelineVersion"), "stageName",
                        json_object_get(s, "name"), "ruleName", json_object_get(r, "name"),
                        "startTime", json_object_get(r, "startTime"), "lastUpdateTime",
                        json_object_get(r, "lastUpdateTime"), "status",
                        json_object_get(r, "status"), "input", "ruleTypeId",
                        type ? type : json_object(), "configuration",
                        json_object_get(decl, "configuration"), "resolvedConfiguration",
                        json_object_get(r, "config"), "output", "executionResult",
                        "externalExecutionSummary", json_object_get(r, "summary"));
                    if (json_array_append_new(list, det)) return ferr_oom(c->err);
                }
            }
        }
    }
    return cp_page_out(c, in, list, "ruleExecutionDetails", out);
}

int codepipeline_op_list_rule_types(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "codepipeline:ListRuleTypes", "*")) return -1;
    const char *owner = jstr(in, "ruleOwnerFilter");
    json_t *types = arena_defer_json(c->a, json_array());
    if (!types) return ferr_oom(c->err);
    for (size_t i = 0; (!owner || !strcmp(owner, "AWS")) && i < sizeof(RULES) / sizeof(RULES[0]);
         i++) {
        json_t *props = json_array();
        for (int j = 0; RULES[i].props[j] && j < 4; j++)
            if (!props ||
                json_array_append_new(
                    props, json_pack("{s:s, s:b, s:b, s:b}", "name", RULES[i].props[j], "required",
                                     j < RULES[i].required, "key", j == 0, "secret", 0)))
                break;
        if (json_array_append_new(
                types, json_pack("{s:{s:s, s:s, s:s, s:s}, s:o, s:{s:i, s:i}}", "id", "category",
                                 "Rule", "owner", "AWS", "provider", RULES[i].provider, "version",
                                 "1", "ruleConfigurationProperties", props ? props : json_array(),
                                 "inputArtifactDetails", "minimumCount", 0, "maximumCount", 1)))
            return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:O}", "ruleTypes", types));
    return 0;
}

/* AWS overrides a condition whose rules are still in progress; ferry's rules answer at once,
 * so there is never one to override. */
int codepipeline_op_override_stage_condition(call *c, json_t *in, json_t **out)
{
    json_t *d, *x;
    const char *name = jstr(in, "pipelineName"), *sn = jstr(in, "stageName"),
               *id = jstr(in, "pipelineExecutionId"), *type = jstr(in, "conditionType");
    (void)out;
    if (cp_pipe_load(c, "codepipeline:OverrideStageCondition", name, sn, &d)) return -1;
    if (!cp_stage_of(json_object_get(d, "pipeline"), sn))
        return ferr_set(c->err, 400, "StageNotFoundException",
                        "Stage %s does not exist in pipeline %s", sn, name);
    int rc = cp_exec_load(c, name, id, &x);
    if (rc <= 0) return rc < 0 ? -1 : cp_exec_not_found(c, name, id);
    return ferr_set(c->err, 400, "ConditionNotOverridableException",
                    "The %s condition of stage %s in pipeline execution %s is not in progress",
                    type, sn, id);
}
