/* AWS CodePipeline executions: starting and stopping them, what GetPipelineState and the
 * execution listings show, approvals, stage transitions, retries and the job-worker API. The
 * engine's side (what runs) is run.c; see codepipeline_int.h for the documents. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/ids.h"
#include "codepipeline_int.h"
#include "engine/leases.h"

static const char *exec_key(call *c, const char *pipeline, const char *id)
{
    return arena_printf(c->a, "%s/%s", pipeline, id);
}

int cp_exec_load(call *c, const char *pipeline, const char *id, json_t **doc)
{
    const char *kid = exec_key(c, pipeline, id);
    if (!kid) return ferr_oom(c->err);
    store_key k = call_key(c, CP_EXEC_KIND, kid);
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc == 1 && !arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    return rc;
}

static int exec_save(call *c, json_t *x)
{
    const char *kid = exec_key(c, jstr(x, "pipelineName"), jstr(x, "id"));
    if (!kid || json_object_set_new(x, "lastUpdateTime", json_real(clock_now())))
        return ferr_oom(c->err);
    store_key k = call_key(c, CP_EXEC_KIND, kid);
    return store_put(c->txn, &k, x, c->err);
}

int cp_exec_not_found(call *c, const char *pipeline, const char *id)
{
    return ferr_set(c->err, 400, "PipelineExecutionNotFoundException",
                    "Pipeline execution ID %s does not belong to pipeline %s in account %s", id,
                    pipeline, c->account);
}

static int activate(call *c, const json_t *x)
{
    const char *kid = arena_printf(
        c->a, "%s/%016lld/%s", jstr(x, "pipelineName"),
        (long long)(json_number_value(json_object_get(x, "startTime")) * 1e6), jstr(x, "id"));
    /* "node": the node that runs it while its lease lasts (several nodes on one store) */
    const char *node = leases_self(c->env);
    json_t *d = arena_defer_json(c->a, json_pack("{s:s}", "id", jstr(x, "id")));
    if (!kid || !d || (*node && jset_str(d, "node", node))) return ferr_oom(c->err);
    store_key k = call_key(c, CP_ACTIVE_KIND, kid);
    return store_put(c->txn, &k, d, c->err);
}

/* The execution's variables: the pipeline's defaults overridden by the caller's. */
static json_t *resolve_variables(call *c, const json_t *decl, const json_t *given)
{
    json_t *out = arena_defer_json(c->a, json_array());
    if (!out) return ferr_oom(c->err), NULL;
    const json_t *declared = json_object_get(decl, "variables");
    size_t i, j;
    json_t *v, *g;
    json_array_foreach(given, i, g) {
        if (!json_array_size(declared) || !jstr(g, "name")) goto undeclared;
        json_array_foreach(declared, j, v) {
            if (!strcmp(jstr(v, "name"), jstr(g, "name"))) break;
        }
        if (j == json_array_size(declared)) goto undeclared;
        continue;
    undeclared:
        return ferr_set(c->err, 400, "ValidationException",
                        "Variable %s is not declared in the pipeline", jstr(g, "name")),
               NULL;
    }
    json_array_foreach(declared, i, v) {
        const char *val = jstr(v, "defaultValue");
        json_array_foreach(given, j, g) {
            if (!strcmp(jstr(g, "name"), jstr(v, "name"))) val = jstr(g, "value");
        }
        if (!val)
            return ferr_set(c->err, 400, "ValidationException",
                            "No value was given for variable %s, which has no default value",
                            jstr(v, "name")),
                   NULL;
        if (json_array_append_new(
                out, json_pack("{s:s, s:s}", "name", jstr(v, "name"), "resolvedValue", val)))
            return ferr_oom(c->err), NULL;
    }
    return out;
}

int cp_exec_start(call *c, const json_t *pipe, const json_t *variables, const json_t *trigger,
                  const json_t *sources, const char **id)
{
    const json_t *decl = json_object_get(pipe, "pipeline");
    json_t *vars = resolve_variables(c, decl, variables);
    if (!vars) return -1;
    char uuid[37];
    ids_uuid(uuid);
    double now = clock_now();
    json_t *stages = arena_defer_json(c->a, json_array());
    if (!stages) return ferr_oom(c->err);
    size_t i, j;
    json_t *s, *a;
    json_array_foreach(json_object_get(decl, "stages"), i, s) {
        json_t *acts = json_array();
        json_array_foreach(json_object_get(s, "actions"), j, a) {
            if (acts && json_array_append_new(acts, json_pack("{s:s}", "name", jstr(a, "name"))))
                json_decref(acts), acts = NULL;
        }
        if (!acts || json_array_append_new(
                         stages, json_pack("{s:s, s:o}", "name", jstr(s, "name"), "actions", acts)))
            return ferr_oom(c->err);
    }
    json_t *x = arena_defer_json(
        c->a, json_pack("{s:s, s:O, s:O, s:s, s:f, s:f, s:O, s:O, s:O, s:O, s:O, s:{}, s:{}}", "id",
                        uuid, "pipelineName", json_object_get(decl, "name"), "pipelineVersion",
                        json_object_get(decl, "version"), "status", "InProgress", "startTime", now,
                        "lastUpdateTime", now, "trigger", trigger, "executionMode",
                        json_object_get(decl, "executionMode"), "variables", vars, "decl", decl,
                        "stages", stages, "artifacts", "namespaces"));
    if (!x || (sources && json_object_set(x, "sources", (json_t *)sources)))
        return ferr_oom(c->err);
    if (exec_save(c, x) || activate(c, x) ||
        cp_emit(c->txn, c->account, c->region, x, NULL, NULL, "STARTED", c->err))
        return -1;
    *id = arena_strdup(c->a, uuid);
    if (cp_wake_after(c)) return -1;
    return *id ? 0 : ferr_oom(c->err);
}

/* StartPipelineExecution's sourceRevisions as an execution's source overrides (arena), or
 * NULL: none given, or with c->err. */
static json_t *source_overrides(call *c, const json_t *decl, const json_t *given)
{
    if (!json_array_size(given)) return NULL;
    json_t *o = arena_defer_json(c->a, json_object());
    if (!o) return ferr_oom(c->err), NULL;
    const json_t *s0 = json_array_get(json_object_get(decl, "stages"), 0);
    size_t i;
    json_t *g;
    json_array_foreach(given, i, g) {
        const char *an = jstr(g, "actionName"), *type = jstr(g, "revisionType"),
                   *val = jstr(g, "revisionValue");
        const json_t *a = cp_action_of(s0, an);
        const char *prov = jstr(json_object_get(a, "actionTypeId"), "provider");
        const char *key = !prov || !type                                              ? NULL
                          : !strcmp(type, "COMMIT_ID") && !strcmp(prov, "CodeCommit") ? "commitId"
                          : !strcmp(type, "S3_OBJECT_VERSION_ID") && !strcmp(prov, "S3")
                              ? "versionId"
                          : !strcmp(type, "S3_OBJECT_KEY") && !strcmp(prov, "S3") ? "objectKey"
                                                                                  : NULL;
        if (!a)
            return ferr_set(c->err, 400, "ValidationException",
                            "The source revision override names action %s, which is not a "
                            "source action of the pipeline",
                            an ? an : ""),
                   NULL;
        if (!key)
            return ferr_set(c->err, 400, "ValidationException",
                            "Source revision type %s cannot override action %s (provider %s)",
                            type ? type : "", an, prov ? prov : ""),
                   NULL;
        json_t *e = json_object_get(o, an);
        if (!e && json_object_set_new(o, an, e = json_object())) return ferr_oom(c->err), NULL;
        if (jset_str(e, key, val ? val : "")) return ferr_oom(c->err), NULL;
    }
    return o;
}

/* StartPipelineExecution, the execution's trigger being type and detail */
static int start(call *c, json_t *in, json_t **out, const char *type, const char *detail)
{
    json_t *d;
    const char *name = jstr(in, "name"), *tok = jstr(in, "clientRequestToken");
    if (cp_pipe_load(c, "codepipeline:StartPipelineExecution", name, NULL, &d)) return -1;
    json_t *toks = json_object_get(d, "tokens");
    /* AWS: the same clientRequestToken answers the execution it started */
    if (tok && jstr(toks, tok)) {
        *out = svc_out(c, json_pack("{s:s}", "pipelineExecutionId", jstr(toks, tok)));
        return 0;
    }
    json_t *trig = arena_defer_json(
        c->a, json_pack("{s:s, s:s}", "triggerType", type, "triggerDetail", detail));
    const char *id;
    if (!trig) return ferr_oom(c->err);
    json_t *src =
        source_overrides(c, json_object_get(d, "pipeline"), json_object_get(in, "sourceRevisions"));
    if (!src && ferr_isset(c->err)) return -1;
    if (cp_exec_start(c, d, json_object_get(in, "variables"), trig, src, &id)) return -1;
    if (tok) {
        if (!toks && json_object_set_new(d, "tokens", toks = json_object()))
            return ferr_oom(c->err);
        if (json_object_size(toks) >= 100) json_object_clear(toks); /* a bounded memory */
        if (json_object_set_new(toks, tok, json_string(id))) return ferr_oom(c->err);
        if (cp_pipe_save(c, d)) return -1;
    }
    *out = svc_out(c, json_pack("{s:s}", "pipelineExecutionId", id));
    return 0;
}

int codepipeline_op_start_pipeline_execution(call *c, json_t *in, json_t **out)
{
    return start(c, in, out, "StartPipelineExecution", c->who->arn);
}

/* codepipeline_start_by_rule (codepipeline.h): c->arg is the rule's ARN */
static int start_by_rule(call *c, json_t *in, json_t **out)
{
    const char *rule = c->arg;
    return rule ? start(c, in, out, "CloudWatchEvent", rule)
                : start(c, in, out, "StartPipelineExecution", c->who->arn);
}

const svc_op codepipeline_start_by_rule = {"StartPipelineExecution", start_by_rule, 0};

int codepipeline_op_stop_pipeline_execution(call *c, json_t *in, json_t **out)
{
    json_t *d, *x;
    const char *name = jstr(in, "pipelineName"), *id = jstr(in, "pipelineExecutionId");
    if (cp_pipe_load(c, "codepipeline:StopPipelineExecution", name, NULL, &d)) return -1;
    int rc = cp_exec_load(c, name, id, &x);
    if (rc <= 0) return rc < 0 ? -1 : cp_exec_not_found(c, name, id);
    const char *st = jstr(x, "status");
    if (!strcmp(st, "Stopping") || strcmp(st, "InProgress"))
        return ferr_set(c->err, 400, "PipelineExecutionNotStoppableException",
                        !strcmp(st, "Stopping")
                            ? "Unable to stop the pipeline execution. The execution is already "
                              "in a Stopping state%s."
                            : "Unable to stop the pipeline execution. The execution is not "
                              "in progress%s.",
                        "");
    int abandon = jbool(in, "abandon", 0);
    if (jset_str(x, "status", "Stopping") ||
        json_object_set_new(
            x, "stop", json_pack("{s:b, s:s?}", "abandon", abandon, "reason", jstr(in, "reason"))))
        return ferr_oom(c->err);
    if (exec_save(c, x) ||
        cp_emit(c->txn, c->account, c->region, x, NULL, NULL, "STOPPING", c->err))
        return -1;
    if (cp_wake_after(c)) return -1;
    *out = svc_out(c, json_pack("{s:s}", "pipelineExecutionId", id));
    return 0;
}

/* ---- reading executions ---- */

typedef struct execs {
    json_t *list;
} execs;

static int collect(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    return json_array_append(((execs *)ud)->list, doc) ? -1 : 0;
}

static int by_start_desc(const void *a, const void *b)
{
    double x = json_number_value(json_object_get(*(json_t *const *)a, "startTime"));
    double y = json_number_value(json_object_get(*(json_t *const *)b, "startTime"));
    return x < y ? 1 : x > y ? -1 : 0;
}

json_t *cp_all_execs(call *c, const char *name)
{
    execs e = {arena_defer_json(c->a, json_array())};
    const char *prefix = arena_printf(c->a, "%s/", name);
    if (!e.list || !prefix) return ferr_oom(c->err), NULL;
    if (store_list(c->txn, CP_EXEC_KIND, c->account, c->region, prefix, NULL, 0, collect, &e,
                   c->err) < 0)
        return NULL;
    size_t n = json_array_size(e.list);
    json_t **v = arena_alloc(c->a, (n + 1) * sizeof(*v));
    if (!v) return ferr_oom(c->err), NULL;
    for (size_t i = 0; i < n; i++) v[i] = json_array_get(e.list, i);
    qsort(v, n, sizeof(*v), by_start_desc);
    json_t *sorted = arena_defer_json(c->a, json_array());
    for (size_t i = 0; sorted && i < n; i++)
        if (json_array_append(sorted, v[i])) return ferr_oom(c->err), NULL;
    if (!sorted) ferr_oom(c->err);
    return sorted;
}

static json_t *revisions(const json_t *x)
{
    json_t *r = json_object_get(x, "revisions");
    return r ? json_deep_copy(r) : json_array();
}

/* AWS: executionType STANDARD or ROLLBACK, and a rollback's target, on o. */
static int rollback_info(call *c, const json_t *x, json_t *o)
{
    if (!o) return ferr_oom(c->err);
    const char *t = jstr(x, "executionType");
    if (jset_str(o, "executionType", t ? t : "STANDARD") ||
        (json_object_get(x, "rollbackMetadata") &&
         json_object_set(o, "rollbackMetadata", json_object_get(x, "rollbackMetadata"))))
        return ferr_oom(c->err);
    return 0;
}

int codepipeline_op_get_pipeline_execution(call *c, json_t *in, json_t **out)
{
    json_t *d, *x;
    const char *name = jstr(in, "pipelineName"), *id = jstr(in, "pipelineExecutionId");
    if (cp_pipe_load(c, "codepipeline:GetPipelineExecution", name, NULL, &d)) return -1;
    int rc = cp_exec_load(c, name, id, &x);
    if (rc <= 0) return rc < 0 ? -1 : cp_exec_not_found(c, name, id);
    *out = svc_out(
        c, json_pack("{s:{s:O, s:O, s:s, s:O, s:s?, s:o, s:O, s:O, s:O}}", "pipelineExecution",
                     "pipelineName", json_object_get(x, "pipelineName"), "pipelineVersion",
                     json_object_get(x, "pipelineVersion"), "pipelineExecutionId", id, "status",
                     json_object_get(x, "status"), "statusSummary", jstr(x, "statusSummary"),
                     "artifactRevisions", revisions(x), "variables",
                     json_object_get(x, "variables"), "trigger", json_object_get(x, "trigger"),
                     "executionMode", json_object_get(x, "executionMode")));
    return rollback_info(c, x, json_object_get(*out, "pipelineExecution"));
}

int codepipeline_op_list_pipeline_executions(call *c, json_t *in, json_t **out)
{
    json_t *d;
    const char *name = jstr(in, "pipelineName");
    if (cp_pipe_load(c, "codepipeline:ListPipelineExecutions", name, NULL, &d)) return -1;
    json_t *all = cp_all_execs(c, name), *sums = arena_defer_json(c->a, json_array());
    if (!all || !sums) return -1 | ferr_oom(c->err);
    size_t i;
    json_t *x;
    json_array_foreach(all, i, x) {
        json_t *s = json_pack("{s:O, s:O, s:s?, s:O, s:O, s:O, s:O, s:o}", "pipelineExecutionId",
                              json_object_get(x, "id"), "status", json_object_get(x, "status"),
                              "statusSummary", jstr(x, "statusSummary"), "startTime",
                              json_object_get(x, "startTime"), "lastUpdateTime",
                              json_object_get(x, "lastUpdateTime"), "trigger",
                              json_object_get(x, "trigger"), "executionMode",
                              json_object_get(x, "executionMode"), "sourceRevisions", revisions(x));
        if (s && jstr(json_object_get(x, "stop"), "reason"))
            json_object_set_new(
                s, "stopTrigger",
                json_pack("{s:s}", "reason", jstr(json_object_get(x, "stop"), "reason")))
                ? json_decref(s),
                s = NULL : 0;
        if (json_array_append_new(sums, s) || rollback_info(c, x, s)) return ferr_oom(c->err);
    }
    json_t *o = arena_defer_json(c->a, json_object());
    if (!o) return ferr_oom(c->err);
    if (svc_page(c, sums, jstr(in, "nextToken"), jint(in, "maxResults", 100), o,
                 "pipelineExecutionSummaries", "nextToken", "InvalidNextTokenException"))
        return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

static json_t *latest_action(const json_t *a)
{
    json_t *l = json_pack("{s:O, s:O, s:O, s:s?, s:s?, s:s?, s:s?, s:s?}", "actionExecutionId",
                          json_object_get(a, "id"), "status", json_object_get(a, "status"),
                          "lastStatusChange", json_object_get(a, "lastUpdateTime"), "summary",
                          jstr(a, "summary"), "token", jstr(a, "token"), "externalExecutionId",
                          jstr(a, "externalExecutionId"), "externalExecutionUrl", jstr(a, "url"),
                          "lastUpdatedBy", jstr(a, "lastUpdatedBy"));
    json_t *err = json_object_get(a, "error");
    if (l && err && json_object_set(l, "errorDetails", err)) json_decref(l), l = NULL;
    return l;
}

int codepipeline_op_get_pipeline_state(call *c, json_t *in, json_t **out)
{
    json_t *d;
    const char *name = jstr(in, "name");
    if (cp_pipe_load(c, "codepipeline:GetPipelineState", name, NULL, &d)) return -1;
    json_t *all = cp_all_execs(c, name), *states = arena_defer_json(c->a, json_array());
    if (!all || !states) return -1 | ferr_oom(c->err);
    const json_t *decl = json_object_get(d, "pipeline");
    size_t i, j, k;
    json_t *s, *a, *x;
    json_array_foreach(json_object_get(decl, "stages"), i, s) {
        const char *sn = jstr(s, "name");
        const json_t *tr = json_object_get(json_object_get(d, "transitions"), sn);
        json_t *st = json_pack("{s:s, s:{s:b}, s:[]}", "stageName", sn, "inboundTransitionState",
                               "enabled", !tr || jbool(tr, "enabled", 1), "actionStates");
        if (!st || json_array_append_new(states, st)) return ferr_oom(c->err);
        json_t *its = json_object_get(st, "inboundTransitionState");
        if (tr && !jbool(tr, "enabled", 1) &&
            (json_object_set(its, "lastChangedBy", json_object_get(tr, "lastChangedBy")) ||
             json_object_set(its, "lastChangedAt", json_object_get(tr, "lastChangedAt")) ||
             json_object_set(its, "disabledReason", json_object_get(tr, "reason"))))
            return ferr_oom(c->err);
        /* the newest execution that reached the stage */
        json_t *xs = NULL, *xe = NULL;
        json_array_foreach(all, k, x) {
            json_t *es = cp_stage_of(x, sn);
            if (es && jstr(es, "status")) {
                xs = es;
                xe = x;
                break;
            }
        }
        if (xs && json_object_set_new(st, "latestExecution",
                                      json_pack("{s:O, s:O}", "pipelineExecutionId",
                                                json_object_get(xe, "id"), "status",
                                                json_object_get(xs, "status"))))
            return ferr_oom(c->err);
        if (xs && cp_condition_states(xs, st)) return ferr_oom(c->err);
        json_array_foreach(json_object_get(s, "actions"), j, a) {
            json_t *as = json_pack("{s:O}", "actionName", json_object_get(a, "name"));
            const json_t *ea = xs ? cp_action_of(xs, jstr(a, "name")) : NULL;
            if (as && ea && jstr(ea, "status") &&
                json_object_set_new(as, "latestExecution", latest_action(ea)))
                json_decref(as), as = NULL;
            if (as && ea && json_object_get(ea, "revision") &&
                json_object_set(as, "currentRevision", json_object_get(ea, "revision")))
                json_decref(as), as = NULL;
            if (json_array_append_new(json_object_get(st, "actionStates"), as))
                return ferr_oom(c->err);
        }
    }
    *out = svc_out(c, json_pack("{s:s, s:O, s:O, s:O, s:O}", "pipelineName", name,
                                "pipelineVersion", json_object_get(decl, "version"), "stageStates",
                                states, "created", json_object_get(d, "created"), "updated",
                                json_object_get(d, "updated")));
    return 0;
}

static json_t *action_detail(const json_t *x, const json_t *s, const json_t *a)
{
    const json_t *da = cp_decl_action(json_object_get(x, "decl"), jstr(s, "name"), jstr(a, "name"));
    json_t *ins = json_array(), *outs = json_array();
    const json_t *arts = json_object_get(x, "artifacts");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(da, "inputArtifacts"), i, v) {
        const json_t *loc = json_object_get(arts, jstr(v, "name"));
        if (ins && json_array_append_new(ins, json_pack("{s:O, s:{s:O, s:O}}", "name",
                                                        json_object_get(v, "name"), "s3location",
                                                        "bucket", json_object_get(loc, "bucket"),
                                                        "key", json_object_get(loc, "key"))))
            json_decref(ins), ins = NULL;
    }
    json_array_foreach(json_object_get(da, "outputArtifacts"), i, v) {
        const json_t *loc = json_object_get(json_object_get(a, "outputArtifacts"), jstr(v, "name"));
        if (outs && loc &&
            json_array_append_new(outs, json_pack("{s:O, s:{s:O, s:O}}", "name",
                                                  json_object_get(v, "name"), "s3location",
                                                  "bucket", json_object_get(loc, "bucket"), "key",
                                                  json_object_get(loc, "key"))))
            json_decref(outs), outs = NULL;
    }
    if (!ins || !outs) {
        json_decref(ins);
        json_decref(outs);
        return NULL;
    }
    json_t *res = json_pack("{s:s?, s:s?, s:s?}", "externalExecutionId",
                            jstr(a, "externalExecutionId"), "externalExecutionSummary",
                            jstr(a, "summary"), "externalExecutionUrl", jstr(a, "url"));
    if (res && json_object_get(a, "error") &&
        json_object_set(res, "errorDetails", json_object_get(a, "error")))
        json_decref(res), res = NULL;
    return json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, "
                     "s:{s:O, s:O, s:O, s:s?, s:s?, s:s?, s:o}, s:{s:o, s:o, s:O}}",
                     "pipelineExecutionId", json_object_get(x, "id"), "actionExecutionId",
                     json_object_get(a, "id"), "pipelineVersion",
                     json_object_get(x, "pipelineVersion"), "stageName", json_object_get(s, "name"),
                     "actionName", json_object_get(a, "name"), "startTime",
                     json_object_get(a, "startTime"), "lastUpdateTime",
                     json_object_get(a, "lastUpdateTime"), "status", json_object_get(a, "status"),
                     "input", "actionTypeId", json_object_get(da, "actionTypeId"), "configuration",
                     json_object_get(da, "configuration"), "resolvedConfiguration",
                     json_object_get(a, "config") ? json_object_get(a, "config")
                                                  : json_object_get(da, "configuration"),
                     "roleArn", jstr(da, "roleArn"), "region", jstr(da, "region"), "namespace",
                     jstr(da, "namespace"), "inputArtifacts", ins, "output", "outputArtifacts",
                     outs, "executionResult", res ? res : json_object(), "outputVariables",
                     json_object_get(a, "outputVariables") ? json_object_get(a, "outputVariables")
                                                           : json_object_get(x, "namespaces"));
}

json_t *cp_filtered_execs(call *c, json_t *in, const char *action)
{
    json_t *d;
    const char *name = jstr(in, "pipelineName");
    if (cp_pipe_load(c, action, name, NULL, &d)) return NULL;
    const char *want = jstr(json_object_get(in, "filter"), "pipelineExecutionId");
    if (!want) return cp_all_execs(c, name);
    json_t *x, *one;
    int rc = cp_exec_load(c, name, want, &x);
    if (rc <= 0) return rc < 0 ? NULL : (cp_exec_not_found(c, name, want), NULL);
    if (!(one = arena_defer_json(c->a, json_pack("[O]", x)))) ferr_oom(c->err);
    return one;
}

int cp_page_out(call *c, json_t *in, json_t *list, const char *member, json_t **out)
{
    json_t *o = arena_defer_json(c->a, json_object());
    if (!o) return ferr_oom(c->err);
    if (svc_page(c, list, jstr(in, "nextToken"), jint(in, "maxResults", 100), o, member,
                 "nextToken", "InvalidNextTokenException"))
        return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

int codepipeline_op_list_action_executions(call *c, json_t *in, json_t **out)
{
    json_t *all = cp_filtered_execs(c, in, "codepipeline:ListActionExecutions"), *list;
    if (!all) return -1;
    if (!(list = arena_defer_json(c->a, json_array()))) return ferr_oom(c->err);
    size_t i, j, k;
    json_t *x, *s, *a;
    json_array_foreach(all, i, x) {
        json_array_foreach(json_object_get(x, "stages"), j, s) {
            json_array_foreach(json_object_get(s, "actions"), k, a) {
                if (!jstr(a, "status")) continue;
                json_t *det = action_detail(x, s, a);
                if (det && !json_object_get(a, "outputVariables"))
                    json_object_set_new(json_object_get(det, "output"), "outputVariables",
                                        json_object())
                        ? json_decref(det),
                        det = NULL : 0;
                if (json_array_append_new(list, det)) return ferr_oom(c->err);
            }
        }
    }
    return cp_page_out(c, in, list, "actionExecutionDetails", out);
}

/* ---- approvals ---- */

/* The execution of pipeline name whose action (stage/action) holds token, in *x (arena): 1, 0
 * none, -1. */
static int find_token(call *c, const char *name, const char *stage, const char *action,
                      const char *token, json_t **x, json_t **act)
{
    json_t *all = cp_all_execs(c, name);
    if (!all) return -1;
    size_t i;
    json_t *e;
    json_array_foreach(all, i, e) {
        json_t *a = cp_action_of(cp_stage_of(e, stage), action);
        if (a && jstr(a, "token") && !strcmp(jstr(a, "token"), token)) {
            *x = e;
            *act = a;
            return 1;
        }
    }
    return 0;
}

int codepipeline_op_put_approval_result(call *c, json_t *in, json_t **out)
{
    json_t *d, *x, *a;
    const char *name = jstr(in, "pipelineName"), *sn = jstr(in, "stageName"),
               *an = jstr(in, "actionName"), *tok = jstr(in, "token");
    const char *sub = arena_printf(c->a, "%s/%s", sn, an);
    if (!sub) return ferr_oom(c->err);
    if (cp_pipe_load(c, "codepipeline:PutApprovalResult", name, sub, &d)) return -1;
    const json_t *da = cp_decl_action(json_object_get(d, "pipeline"), sn, an);
    if (!cp_stage_of(json_object_get(d, "pipeline"), sn))
        return ferr_set(c->err, 400, "StageNotFoundException",
                        "Stage %s does not exist in pipeline %s", sn, name);
    if (!da)
        return ferr_set(c->err, 400, "ActionNotFoundException",
                        "Action %s does not exist in stage %s of pipeline %s", an, sn, name);
    int rc = find_token(c, name, sn, an, tok, &x, &a);
    if (rc < 0) return -1;
    if (!rc)
        return ferr_set(c->err, 400, "InvalidApprovalTokenException",
                        "The approval token %s is not valid for action %s", tok, an);
    if (strcmp(jstr(a, "status"), "InProgress"))
        return ferr_set(c->err, 400, "ApprovalAlreadyCompletedException",
                        "The approval action %s has already been completed", an);
    const json_t *res = json_object_get(in, "result");
    int ok = !strcmp(jstr(res, "status"), "Approved");
    double now = clock_now();
    if (jset_str(a, "status", ok ? "Succeeded" : "Failed") ||
        jset_str(a, "summary", jstr(res, "summary")) || jset_str(a, "lastUpdatedBy", c->who->arn) ||
        json_object_set_new(a, "lastUpdateTime", json_real(now)) ||
        (!ok &&
         json_object_set_new(a, "error",
                             json_pack("{s:s, s:s}", "code", "JobFailed", "message", "Rejected"))))
        return ferr_oom(c->err);
    json_object_del(a, "phase");
    if (exec_save(c, x) ||
        cp_emit(c->txn, c->account, c->region, x, sn, a, ok ? "SUCCEEDED" : "FAILED", c->err))
        return -1;
    if (cp_wake_after(c)) return -1;
    *out = svc_out(c, json_pack("{s:f}", "approvedAt", now));
    return 0;
}

/* ---- transitions and retries ---- */

static int transition(call *c, json_t *in, int enable, json_t **out)
{
    json_t *d;
    const char *name = jstr(in, "pipelineName"), *sn = jstr(in, "stageName");
    const char *sub = arena_printf(c->a, "%s", sn);
    if (!sub) return ferr_oom(c->err);
    if (cp_pipe_load(c,
                     enable ? "codepipeline:EnableStageTransition"
                            : "codepipeline:DisableStageTransition",
                     name, sub, &d))
        return -1;
    if (!cp_stage_of(json_object_get(d, "pipeline"), sn))
        return ferr_set(c->err, 400, "StageNotFoundException",
                        "Stage %s does not exist in pipeline %s", sn, name);
    /* AWS: only Inbound transitions can be changed; the model's enum also allows Outbound */
    if (strcmp(jstr(in, "transitionType"), "Inbound"))
        return ferr_set(c->err, 400, "ValidationException",
                        "Only inbound transitions can be enabled or disabled");
    json_t *tr = json_object_get(d, "transitions");
    if (!tr && json_object_set_new(d, "transitions", tr = json_object())) return ferr_oom(c->err);
    if (json_object_set_new(tr, sn,
                            json_pack("{s:b, s:s?, s:s, s:f}", "enabled", enable, "reason",
                                      jstr(in, "reason"), "lastChangedBy", c->who->arn,
                                      "lastChangedAt", clock_now())) ||
        cp_pipe_save(c, d))
        return -1 | ferr_oom(c->err);
    if (cp_wake_after(c)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int codepipeline_op_enable_stage_transition(call *c, json_t *in, json_t **out)
{
    return transition(c, in, 1, out);
}

int codepipeline_op_disable_stage_transition(call *c, json_t *in, json_t **out)
{
    return transition(c, in, 0, out);
}

int codepipeline_op_retry_stage_execution(call *c, json_t *in, json_t **out)
{
    json_t *d, *x;
    const char *name = jstr(in, "pipelineName"), *sn = jstr(in, "stageName"),
               *id = jstr(in, "pipelineExecutionId");
    if (cp_pipe_load(c, "codepipeline:RetryStageExecution", name, sn, &d)) return -1;
    int rc = cp_exec_load(c, name, id, &x);
    if (rc <= 0) return rc < 0 ? -1 : cp_exec_not_found(c, name, id);
    json_t *s = cp_stage_of(x, sn);
    if (!s)
        return ferr_set(c->err, 400, "StageNotFoundException",
                        "Stage %s does not exist in pipeline %s", sn, name);
    /* AWS: a failed stage of a failed execution whose pipeline has not changed since */
    if (!jstr(s, "status") || strcmp(jstr(s, "status"), "Failed") ||
        strcmp(jstr(x, "status"), "Failed"))
        return ferr_set(c->err, 400, "StageNotRetryableException",
                        "Stage %s of pipeline execution %s is not in a failed state", sn, id);
    if (jint(x, "pipelineVersion", 0) != jint(json_object_get(d, "pipeline"), "version", 0))
        return ferr_set(c->err, 400, "NotLatestPipelineExecutionException",
                        "The pipeline was updated since execution %s began", id);
    int all = !strcmp(jstr(in, "retryMode"), "ALL_ACTIONS");
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(s, "actions"), i, a) {
        const char *st = jstr(a, "status");
        if (!all && (!st || strcmp(st, "Failed"))) continue;
        /* a new attempt: the entry starts over, and runs again */
        const char *nm = arena_strdup(c->a, jstr(a, "name"));
        long long attempt = jint(a, "attempt", 1) + 1;
        json_object_clear(a);
        if (!nm || jset_str(a, "name", nm) ||
            json_object_set_new(a, "attempt", json_integer(attempt)))
            return ferr_oom(c->err);
    }
    if (jset_str(s, "status", "InProgress") || jset_str(x, "status", "InProgress") ||
        json_object_set_new(s, "attempt", json_integer(jint(s, "attempt", 1) + 1)))
        return ferr_oom(c->err);
    json_object_del(x, "statusSummary");
    if (exec_save(c, x) || activate(c, x) ||
        cp_emit(c->txn, c->account, c->region, x, sn, NULL, "RESUMED", c->err))
        return -1;
    if (cp_wake_after(c)) return -1;
    *out = svc_out(c, json_pack("{s:s}", "pipelineExecutionId", id));
    return 0;
}

/* ---- rollbacks ---- */

int cp_rollback_start(call *c, const json_t *pipe, const json_t *target, const char *stage,
                      const json_t *trigger, const char **nid)
{
    const char *name = jstr(json_object_get(pipe, "pipeline"), "name");
    if (cp_exec_start(c, pipe, NULL, trigger, NULL, nid)) return -1;
    json_t *nx, *s;
    size_t i;
    if (cp_exec_load(c, name, *nid, &nx) != 1) return -1 | ferr_oom(c->err);
    json_array_foreach(json_object_get(nx, "stages"), i, s) {
        if (strcmp(jstr(s, "name"), stage) && json_object_set_new(s, "skip", json_true()))
            return ferr_oom(c->err);
    }
    if (jset_str(nx, "executionType", "ROLLBACK") ||
        json_object_set_new(nx, "rollbackMetadata",
                            json_pack("{s:O}", "rollbackTargetPipelineExecutionId",
                                      json_object_get(target, "id"))) ||
        json_object_set(nx, "variables", json_object_get(target, "variables")) ||
        json_object_set(nx, "artifacts", json_object_get(target, "artifacts")) ||
        json_object_set(nx, "namespaces", json_object_get(target, "namespaces")) ||
        (json_object_get(target, "revisions") &&
         json_object_set(nx, "revisions", json_object_get(target, "revisions"))))
        return ferr_oom(c->err);
    return exec_save(c, nx);
}

/* AWS: the most recent execution whose stage succeeded, started with the pipeline's current
 * structure version (a rollback execution is never a target). */
int cp_rollback_auto(call *c, const json_t *pipe, const json_t *failed, const char *stage,
                     const char **nid)
{
    const json_t *decl = json_object_get(pipe, "pipeline");
    json_t *all = cp_all_execs(c, jstr(decl, "name"));
    if (!all) return -1;
    size_t i;
    json_t *x;
    json_array_foreach(all, i, x) {
        const json_t *xs = cp_stage_of(x, stage);
        if (!strcmp(jstr(x, "id"), jstr(failed, "id")) ||
            (jstr(x, "executionType") && !strcmp(jstr(x, "executionType"), "ROLLBACK")) ||
            jint(x, "pipelineVersion", 0) != jint(decl, "version", 0) || !xs ||
            !jstr(xs, "status") || strcmp(jstr(xs, "status"), "Succeeded"))
            continue;
        json_t *trig =
            arena_defer_json(c->a, json_pack("{s:s, s:O}", "triggerType", "AutomatedRollback",
                                             "triggerDetail", json_object_get(failed, "id")));
        if (!trig) return ferr_oom(c->err);
        return cp_rollback_start(c, pipe, x, stage, trig, nid) ? -1 : 1;
    }
    return 0;
}

static int cannot_roll_back(call *c, const char *why, const char *a, const char *b)
{
    return ferr_set(c->err, 400, "UnableToRollbackStageException", why, a, b);
}

/* AWS: a new execution (executionType ROLLBACK) that runs only the stage, with the target
 * execution's artifacts, source revisions and variables. The other stages are marked skip:
 * the engine passes them, and they show no state of this execution. */
int codepipeline_op_rollback_stage(call *c, json_t *in, json_t **out)
{
    json_t *d, *t;
    const char *name = jstr(in, "pipelineName"), *sn = jstr(in, "stageName"),
               *id = jstr(in, "targetPipelineExecutionId");
    if (cp_pipe_load(c, "codepipeline:RollbackStage", name, sn, &d)) return -1;
    const json_t *decl = json_object_get(d, "pipeline");
    if (!cp_stage_of(decl, sn))
        return ferr_set(c->err, 400, "StageNotFoundException",
                        "Stage %s does not exist in pipeline %s", sn, name);
    int rc = cp_exec_load(c, name, id, &t);
    if (rc <= 0) return rc < 0 ? -1 : cp_exec_not_found(c, name, id);
    if (strcmp(jstr(decl, "pipelineType"), "V2"))
        return cannot_roll_back(c, "Stage rollback is only supported for V2 pipelines; %s is %s",
                                name, jstr(decl, "pipelineType"));
    if (!strcmp(jstr(json_array_get(json_object_get(decl, "stages"), 0), "name"), sn))
        return cannot_roll_back(c, "Stage %s is a source stage, which cannot be rolled back%s", sn,
                                "");
    if (jstr(t, "executionType") && !strcmp(jstr(t, "executionType"), "ROLLBACK"))
        return cannot_roll_back(c,
                                "Target pipeline execution %s is a rollback execution and cannot "
                                "be a rollback target%s",
                                id, "");
    const json_t *ts = cp_stage_of(t, sn);
    if (!ts || !jstr(ts, "status") || strcmp(jstr(ts, "status"), "Succeeded"))
        return cannot_roll_back(c,
                                "Target pipeline execution %s did not succeed in stage %s: only a "
                                "succeeded stage execution can be a rollback target",
                                id, sn);
    if (jint(t, "pipelineVersion", 0) != jint(decl, "version", 0))
        return cannot_roll_back(c,
                                "Target pipeline execution %s ran an older version of pipeline "
                                "%s: the pipeline structure has changed since",
                                id, name);
    json_t *all = cp_all_execs(c, name);
    if (!all) return -1;
    size_t i;
    json_t *x;
    json_array_foreach(all, i, x) {
        const json_t *xs = cp_stage_of(x, sn);
        if (xs && jstr(xs, "status") && !strcmp(jstr(xs, "status"), "InProgress") &&
            !strcmp(jstr(x, "status"), "InProgress"))
            return cannot_roll_back(c,
                                    "Stage %s is in progress (pipeline execution %s): wait for it "
                                    "to finish before rolling it back",
                                    sn, jstr(x, "id"));
    }
    json_t *trig = arena_defer_json(c->a, json_pack("{s:s, s:s}", "triggerType", "ManualRollback",
                                                    "triggerDetail", c->who->arn));
    const char *nid;
    if (!trig) return ferr_oom(c->err);
    if (cp_rollback_start(c, d, t, sn, trig, &nid)) return -1;
    *out = svc_out(c, json_pack("{s:s}", "pipelineExecutionId", nid));
    return 0;
}
