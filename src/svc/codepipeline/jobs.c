/* The job-worker API: what a Lambda function invoked by a pipeline (and a custom action's
 * worker) calls to report on its job. A job is handed out by providers.c (Lambda); its
 * result settles the action in its execution, in the same transaction. */
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

int codepipeline_op_poll_for_jobs(call *c, json_t *in, json_t **out)
{
    (void)in;
    /* custom action types are not offered: no job is ever queued for a worker */
    if (call_authorize(c, "codepipeline:PollForJobs", "*")) return -1;
    *out = svc_out(c, json_pack("{s:[]}", "jobs"));
    return 0;
}

int codepipeline_op_acknowledge_job(call *c, json_t *in, json_t **out)
{
    json_t *job;
    if (call_authorize(c, "codepipeline:AcknowledgeJob", "*") ||
        job_load(c, jstr(in, "jobId"), &job))
        return -1;
    if (!strcmp(jstr(job, "status"), "Created") &&
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
    if (strcmp(jstr(job, "status"), "Created") && strcmp(jstr(job, "status"), "InProgress"))
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
