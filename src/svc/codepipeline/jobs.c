/* The job-worker API: what a Lambda function invoked by a pipeline and a custom action's
 * worker call to report on their job, and the custom action types those workers poll for.
 * A job is made by providers.c (Lambda and custom actions; PollForJobs hands out the latter);
 * its result settles the action in its execution, in the same transaction. */
#include <string.h>

#include "base/clock.h"
#include "codepipeline_int.h"

static int job_load(call *c, const char *id, json_t **job)
{
    store_key k = call_key(c, CP_JOB_KIND, id);
    int rc = store_get(c->txn, &k, job, c->err);
    if (rc < 0) return -1;
    if (!rc) return ferr_set(c->err, 400, "JobNotFoundException", "Job %s not found", id);
    if (!arena_defer_json(c->a, *job)) return ferr_oom(c->err);
    return 0;
}

static int job_save(call *c, const json_t *job)
{
    store_key k = call_key(c, CP_JOB_KIND, jstr(job, "id"));
    return store_put(c->txn, &k, job, c->err);
}

/* ---- custom action types ---- */

static const char *type_key(call *c, const json_t *id)
{
    return arena_printf(c->a, "%s/%s/%s", jstr(id, "category"), jstr(id, "provider"),
                        jstr(id, "version"));
}

static const char *type_arn(call *c, const json_t *id)
{
    return arena_printf(c->a, "arn:aws:codepipeline:%s:%s:actiontype:Custom/%s", c->region,
                        c->account, type_key(c, id));
}

int cp_custom_type(call *c, const json_t *type_id, json_t **doc)
{
    const char *kid = type_key(c, type_id);
    if (!kid) return ferr_oom(c->err);
    store_key k = call_key(c, CP_TYPE_KIND, kid);
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc == 1 && !arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    return rc;
}

static int type_not_found(call *c, const json_t *id)
{
    return ferr_set(c->err, 400, "ActionTypeNotFoundException",
                    "ActionType (Category: '%s', Provider: '%s', Owner: 'Custom', Version: '%s') "
                    "does not exist",
                    jstr(id, "category"), jstr(id, "provider"), jstr(id, "version"));
}

int codepipeline_op_create_custom_action_type(call *c, json_t *in, json_t **out)
{
    json_t *id = json_pack("{s:O, s:s, s:O, s:O}", "category", json_object_get(in, "category"),
                           "owner", "Custom", "provider", json_object_get(in, "provider"),
                           "version", json_object_get(in, "version"));
    if (!arena_defer_json(c->a, id)) return ferr_oom(c->err);
    const char *arn = type_arn(c, id);
    if (!arn) return ferr_oom(c->err);
    if (call_authorize(c, "codepipeline:CreateCustomActionType", arn)) return -1;
    json_t *t = arena_defer_json(
        c->a, json_pack("{s:O, s:O, s:O}", "id", id, "inputArtifactDetails",
                        json_object_get(in, "inputArtifactDetails"), "outputArtifactDetails",
                        json_object_get(in, "outputArtifactDetails")));
    if (!t) return ferr_oom(c->err);
    const json_t *props = json_object_get(in, "configurationProperties");
    if (json_object_set_new(t, "actionConfigurationProperties",
                            props ? json_deep_copy(props) : json_array()) ||
        (json_object_get(in, "settings") &&
         json_object_set(t, "settings", json_object_get(in, "settings"))))
        return ferr_oom(c->err);
    store_key k = call_key(c, CP_TYPE_KIND, type_key(c, id));
    if (store_put(c->txn, &k, t, c->err)) return -1;
    json_t *o = json_pack("{s:O}", "actionType", t);
    if (o && json_object_get(in, "tags") && json_object_set(o, "tags", json_object_get(in, "tags")))
        json_decref(o), o = NULL;
    *out = svc_out(c, o);
    return 0;
}

int codepipeline_op_delete_custom_action_type(call *c, json_t *in, json_t **out)
{
    json_t *id =
        json_pack("{s:O, s:O, s:O}", "category", json_object_get(in, "category"), "provider",
                  json_object_get(in, "provider"), "version", json_object_get(in, "version"));
    if (!arena_defer_json(c->a, id)) return ferr_oom(c->err);
    const char *arn = type_arn(c, id);
    json_t *t;
    if (!arn) return ferr_oom(c->err);
    if (call_authorize(c, "codepipeline:DeleteCustomActionType", arn)) return -1;
    int rc = cp_custom_type(c, id, &t);
    if (rc <= 0) return rc < 0 ? -1 : type_not_found(c, id);
    store_key k = call_key(c, CP_TYPE_KIND, type_key(c, id));
    if (store_del(c->txn, &k, c->err) < 0) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

/* ---- jobs for custom actions' workers ---- */

typedef struct polled {
    call *c;
    const json_t *type, *query;
    json_t *jobs;
    long long max;
} polled;

static int same_type(const json_t *a, const json_t *b)
{
    static const char *const m[] = {"category", "owner", "provider", "version"};
    for (size_t i = 0; i < 4; i++)
        if (!jstr(a, m[i]) || !jstr(b, m[i]) || strcmp(jstr(a, m[i]), jstr(b, m[i]))) return 0;
    return 1;
}

static int poll_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    polled *p = ud;
    if ((long long)json_array_size(p->jobs) >= p->max || strcmp(jstr(doc, "status"), "Created") ||
        !same_type(json_object_get(doc, "type"), p->type))
        return 0;
    /* AWS: queryParam matches the action's queryable configuration values */
    const json_t *cfg = json_object_get(
        json_object_get(json_object_get(doc, "data"), "actionConfiguration"), "configuration");
    const char *q;
    json_t *v;
    json_object_foreach((json_t *)p->query, q, v) {
        if (!jstr(cfg, q) || strcmp(jstr(cfg, q), json_string_value(v))) return 0;
    }
    return json_array_append(p->jobs, doc) ? -1 : 0;
}

int codepipeline_op_poll_for_jobs(call *c, json_t *in, json_t **out)
{
    const json_t *type = json_object_get(in, "actionTypeId");
    const char *arn = type_arn(c, type);
    json_t *t;
    if (!arn) return ferr_oom(c->err);
    if (call_authorize(c, "codepipeline:PollForJobs", arn)) return -1;
    int rc = cp_custom_type(c, type, &t);
    if (rc <= 0) return rc < 0 ? -1 : type_not_found(c, type);
    polled p = {c, type, json_object_get(in, "queryParam"), arena_defer_json(c->a, json_array()),
                jint(in, "maxBatchSize", 1)};
    if (!p.jobs) return ferr_oom(c->err);
    if (store_list(c->txn, CP_JOB_KIND, c->account, c->region, NULL, NULL, 0, poll_cb, &p, c->err) <
        0)
        return -1;
    json_t *list = arena_defer_json(c->a, json_array());
    if (!list) return ferr_oom(c->err);
    size_t i;
    json_t *j;
    json_array_foreach(p.jobs, i, j) {
        /* handed out once: a worker acknowledges it with its nonce */
        if (jset_str(j, "status", "Dispatched") || job_save(c, j) ||
            json_array_append_new(
                list, json_pack("{s:O, s:O, s:O, s:O}", "id", json_object_get(j, "id"), "data",
                                json_object_get(j, "data"), "nonce", json_object_get(j, "nonce"),
                                "accountId", json_object_get(j, "accountId"))))
            return -1 | ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:O}", "jobs", list));
    return 0;
}

int codepipeline_op_acknowledge_job(call *c, json_t *in, json_t **out)
{
    json_t *job;
    if (call_authorize(c, "codepipeline:AcknowledgeJob", "*") ||
        job_load(c, jstr(in, "jobId"), &job))
        return -1;
    const char *nonce = jstr(in, "nonce"), *st = jstr(job, "status");
    if (nonce && jstr(job, "nonce") && strcmp(nonce, jstr(job, "nonce")))
        return ferr_set(c->err, 400, "InvalidNonceException",
                        "The nonce %s is not valid for job %s", nonce, jstr(job, "id"));
    if ((!strcmp(st, "Created") || !strcmp(st, "Dispatched")) &&
        (jset_str(job, "status", "InProgress") || job_save(c, job)))
        return -1 | ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:O}", "status", json_object_get(job, "status")));
    return 0;
}

int codepipeline_op_get_job_details(call *c, json_t *in, json_t **out)
{
    json_t *job;
    if (call_authorize(c, "codepipeline:GetJobDetails", "*") ||
        job_load(c, jstr(in, "jobId"), &job))
        return -1;
    *out = svc_out(c, json_pack("{s:{s:O, s:O, s:O}}", "jobDetails", "id",
                                json_object_get(job, "id"), "data", json_object_get(job, "data"),
                                "accountId", json_object_get(job, "accountId")));
    return 0;
}

/* Settles job's action with patch (Succeeded/Failed or a continuation). */
static int settle(call *c, json_t *job, const char *status, const json_t *in, int success)
{
    if (strcmp(jstr(job, "status"), "Created") && strcmp(jstr(job, "status"), "InProgress") &&
        strcmp(jstr(job, "status"), "Dispatched"))
        return ferr_set(c->err, 400, "InvalidJobStateException",
                        "Job %s is already in a final state (%s)", jstr(job, "id"),
                        jstr(job, "status"));
    const char *exkey = jstr(job, "exec");
    const char *slash = strchr(exkey, '/');
    json_t *x;
    char *pipe = arena_strndup(c->a, exkey, (size_t)(slash ? slash - exkey : 0));
    if (!pipe) return ferr_oom(c->err);
    int rc = cp_exec_load(c, pipe, slash ? slash + 1 : "", &x);
    if (rc < 0) return -1;
    json_t *a = rc ? cp_action_of(cp_stage_of(x, jstr(job, "stage")), jstr(job, "action")) : NULL;
    if (jset_str(job, "status", status) || job_save(c, job)) return -1 | ferr_oom(c->err);
    if (!a || !jstr(a, "id") || strcmp(jstr(a, "id"), jstr(job, "actionId")) ||
        strcmp(jstr(a, "status"), "InProgress"))
        return 0; /* the action was stopped or abandoned meanwhile */
    const json_t *det = json_object_get(in, success ? "executionDetails" : "failureDetails");
    const char *cont = success ? jstr(in, "continuationToken") : NULL;
    double now = clock_now();
    int bad = json_object_set_new(a, "lastUpdateTime", json_real(now));
    if (jstr(det, success ? "summary" : "message"))
        bad |= jset_str(a, "summary", jstr(det, success ? "summary" : "message"));
    if (jstr(det, "externalExecutionId"))
        bad |= jset_str(a, "externalExecutionId", jstr(det, "externalExecutionId"));
    const char *state = NULL;
    if (cont) { /* AWS: the function is invoked again with the token */
        bad |=
            jset_str(a, "phase", "wait") ||
            json_object_set_new(
                a, "wait", json_pack("{s:s, s:s}", "kind", "continue", "continuationToken", cont));
    } else if (success) {
        json_t *vars = json_object_get(in, "outputVariables");
        json_t *pend = json_object_get(a, "pendingArtifacts");
        const char *ns = jstr(
            cp_decl_action(json_object_get(x, "decl"), jstr(job, "stage"), jstr(job, "action")),
            "namespace");
        bad |= jset_str(a, "status", "Succeeded");
        if (vars) bad |= json_object_set(a, "outputVariables", vars);
        if (vars && ns) bad |= json_object_set(json_object_get(x, "namespaces"), ns, vars);
        if (pend)
            bad |= json_object_set(a, "outputArtifacts", pend) ||
                   json_object_update(json_object_get(x, "artifacts"), (json_t *)pend);
        state = "SUCCEEDED";
    } else {
        bad |=
            jset_str(a, "status", "Failed") ||
            json_object_set_new(
                a, "error",
                json_pack("{s:s, s:s}", "code", jstr(det, "type") ? jstr(det, "type") : "JobFailed",
                          "message", jstr(det, "message") ? jstr(det, "message") : ""));
        state = "FAILED";
    }
    if (bad) return ferr_oom(c->err);
    if (!cont) json_object_del(a, "phase");
    if (json_object_set_new(x, "lastUpdateTime", json_real(now))) return ferr_oom(c->err);
    store_key k = call_key(c, CP_EXEC_KIND, exkey);
    if (store_put(c->txn, &k, x, c->err) ||
        (state && cp_emit(c->txn, c->account, c->region, x, jstr(job, "stage"), a, state, c->err)))
        return -1;
    if (cp_wake_after(c)) return -1;
    return 0;
}

int codepipeline_op_put_job_success_result(call *c, json_t *in, json_t **out)
{
    json_t *job;
    if (call_authorize(c, "codepipeline:PutJobSuccessResult", "*") ||
        job_load(c, jstr(in, "jobId"), &job) || settle(c, job, "Succeeded", in, 1))
        return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int codepipeline_op_put_job_failure_result(call *c, json_t *in, json_t **out)
{
    json_t *job;
    if (call_authorize(c, "codepipeline:PutJobFailureResult", "*") ||
        job_load(c, jstr(in, "jobId"), &job) || settle(c, job, "Failed", in, 0))
        return -1;
    *out = svc_out(c, json_object());
    return 0;
}
