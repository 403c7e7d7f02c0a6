/* The engine's side of CodePipeline (engine/pipelines.c calls codepipeline_sweep): each
 * running execution advances one transition at a time, each committed before the next, so
 * that a kill -9 leaves every execution at a transition it can go on from. Actions run
 * outside any transaction (they call other services as their role): before one runs, its
 * entry is committed with phase "dispatch"; its outcome replaces that phase. One thread
 * runs every step (on several nodes, that of the node its active entry names: leases.h), so
 * a "dispatch" found by a step is an action whose run was cut off by a stop of ferry (or of
 * its node): it fails, saying so, and is never run a second time for that attempt (a
 * retry of the stage is a new attempt). Actions that wait (stacks, builds, Lambda jobs) are
 * in phase "wait" and are polled, each poll preceded by a watch of the key that the end of
 * its work notifies (the engine then sweeps at once); approvals and jobs are settled by the
 * API (PutApprovalResult, PutJobSuccessResult...), which wakes the engine. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/log.h"
#include "codepipeline_int.h"
#include "engine/leases.h"
#include "run.h"
#include "vars.h"
#include "svc/codestarnotifications/codestarnotifications.h"
#include "svc/events/events.h"
#include "svc/session.h"

static void (*waker)(void);

void codepipeline_set_waker(void (*fn)(void))
{
    __atomic_store_n(&waker, fn, __ATOMIC_RELEASE);
}

static void wake(void *unused)
{
    (void)unused;
    void (*fn)(void) = __atomic_load_n(&waker, __ATOMIC_ACQUIRE);
    if (fn) fn();
}

int cp_wake_after(call *c)
{
    /* the arena is freed after the commit */
    return arena_defer(c->a, wake, NULL) ? ferr_oom(c->err) : 0;
}

/* ---- events ---- */

/* What a failure's notification adds (CodeStar Notifications' additionalAttributes): the
 * failed actions of the stage (of the failed stage, for the pipeline) with their errors. */
static json_t *notification_attrs(const json_t *exec, const char *stage, const json_t *action,
                                  const char *state)
{
    json_t *o = json_object();
    if (!o || strcmp(state, "FAILED")) return o;
    if (action) {
        const char *why = jstr(json_object_get(action, "error"), "message");
        if (jset_str(o, "additionalInformation", why ? why : "")) json_decref(o), o = NULL;
        return o;
    }
    json_t *failed = json_array();
    size_t i, j;
    json_t *s, *a;
    const char *failed_stage = NULL;
    json_array_foreach(json_object_get(exec, "stages"), i, s) {
        /* a rollback execution holds only the stage it re-runs: others have no status */
        const char *sname = jstr(s, "name"), *sst = jstr(s, "status");
        if (stage ? !sname || strcmp(sname, stage) : !sst || strcmp(sst, "Failed")) continue;
        failed_stage = jstr(s, "name");
        json_array_foreach(json_object_get(s, "actions"), j, a) {
            if (strcmp(jstr(a, "status") ? jstr(a, "status") : "", "Failed")) continue;
            const char *why = jstr(json_object_get(a, "error"), "message");
            if (failed &&
                json_array_append_new(failed, json_pack("{s:s, s:s}", "action", jstr(a, "name"),
                                                        "additionalInformation", why ? why : "")))
                json_decref(failed), failed = NULL;
        }
        break;
    }
    if (!failed ||
        json_object_set_new(o, "failedActionCount",
                            json_integer((json_int_t)json_array_size(failed))) ||
        json_object_set_new(o, "failedActions", failed) ||
        (!stage && failed_stage && jset_str(o, "failedStage", failed_stage)))
        json_decref(o), o = NULL;
    return o;
}

int cp_emit(store_txn *t, const char *account, const char *region, const json_t *exec,
            const char *stage, const json_t *action, const char *state, ferr *e)
{
    const char *name = jstr(exec, "pipelineName");
    char arn[512];
    snprintf(arn, sizeof(arn), "arn:%s:codepipeline:%s:%s:%s", arn_partition(region), region,
             account, name ? name : "");
    json_t *detail = json_pack("{s:s, s:O, s:s, s:O}", "pipeline", name, "execution-id",
                               json_object_get(exec, "id"), "state", state, "version",
                               json_object_get(exec, "pipelineVersion"));
    const char *dt = "CodePipeline Pipeline Execution State Change";
    int rc = !detail;
    if (!rc && stage) {
        dt = "CodePipeline Stage Execution State Change";
        rc = jset_str(detail, "stage", stage);
    }
    if (!rc && action) {
        dt = "CodePipeline Action Execution State Change";
        const json_t *da =
            cp_decl_action(json_object_get(exec, "decl"), stage, jstr(action, "name"));
        rc = jset_str(detail, "action", jstr(action, "name")) ||
             json_object_set(detail, "type", json_object_get(da, "actionTypeId")) ||
             jset_str(detail, "region", jstr(da, "region") ? jstr(da, "region") : region);
    }
    if (!rc && !stage && json_object_get(exec, "trigger"))
        rc = json_object_set(detail, "execution-trigger", json_object_get(exec, "trigger"));
    json_t *res = rc ? NULL : json_pack("[s]", arn);
    if (!res) {
        json_decref(detail);
        return ferr_oom(e);
    }
    rc = events_emit(t, account, region, "aws.codepipeline", dt, detail, res, e);
    json_t *more = rc ? NULL : notification_attrs(exec, stage, action, state);
    if (!rc)
        rc = more ? csn_emit(t, account, region, "aws.codepipeline", dt, detail, arn, more, e)
                  : ferr_oom(e);
    json_decref(more);
    json_decref(detail);
    json_decref(res);
    return rc;
}

/* ---- roles ---- */

int cp_fail(cp_run *r, const char *code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_object_clear(r->res);
    if (json_object_set_new(r->res, "status", json_string("Failed")) ||
        json_object_set_new(r->res, "error", json_pack("{s:s, s:s}", "code", code, "message", msg)))
        log_error("codepipeline: out of memory failing an action");
    return -1;
}

int cp_run_as(cp_run *r)
{
    if (r->have_who) return 0;
    const json_t *decl = json_object_get(r->exec, "decl");
    const char *svc_role = jstr(decl, "roleArn"), *act_role = jstr(r->decl, "roleArn");
    principal cp;
    session_service_principal(&cp, "codepipeline.amazonaws.com", r->account);
    session s;
    ferr e = {0};
    session_req q = {.role_arn = svc_role, .session_name = "CodePipeline", .duration = 3600};
    if (session_assume_as(r->env, NULL, r->a, &cp, r->home, &q, &s, &e))
        return cp_fail(r, "JobFailed",
                       "CodePipeline is not authorized to perform AssumeRole on role %s", svc_role);
    if (act_role) {
        /* AWS: the pipeline's service role assumes the action's role, in its account */
        session_req q2 = {.role_arn = act_role, .session_name = "CodePipeline", .duration = 3600};
        principal sr = s.key.who;
        ferr e2 = {0};
        if (session_assume_as(r->env, NULL, r->a, &sr, r->region, &q2, &s, &e2))
            return cp_fail(r, "JobFailed",
                           "Cross-account pass role is not allowed. %s could not assume role %s: "
                           "%s",
                           svc_role, act_role, e2.message);
    }
    r->who = s.key.who;
    r->creds = s.key;
    r->have_who = 1;
    return 0;
}

/* ---- steps ---- */

enum { STEP_IDLE = 0, STEP_MORE = 1, STEP_WAITING = 2 };

typedef struct active {
    char *account, *region, *key, *pipeline, *exec;
} active;

static int terminal(const char *st)
{
    return st && (!strcmp(st, "Succeeded") || !strcmp(st, "Failed") || !strcmp(st, "Stopped") ||
                  !strcmp(st, "Superseded") || !strcmp(st, "Cancelled"));
}

typedef struct peers {
    json_t *ids;
} peers;

static int collect_peer(void *ud, const store_key *k, json_t *doc)
{
    (void)doc;
    return json_array_append_new(((peers *)ud)->ids, json_string(k->id)) ? -1 : 0;
}

/* The stage name an execution is in (InProgress), or NULL. */
static const char *stage_in(const json_t *x)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(x, "stages"), i, s) {
        if (jstr(s, "status") && !strcmp(jstr(s, "status"), "InProgress")) return jstr(s, "name");
    }
    return NULL;
}

/* Execution modes at a stage boundary: 1 when x must wait (an earlier execution is in the
 * stage), 2 when it is superseded (SUPERSEDED: a later one exists), else 0. */
static int gate(store_txn *t, const active *w, const json_t *x, const char *stage, ferr *e)
{
    const char *mode = jstr(x, "executionMode");
    if (mode && !strcmp(mode, "PARALLEL")) return 0;
    char prefix[256];
    snprintf(prefix, sizeof(prefix), "%s/", w->pipeline);
    peers p = {json_array()};
    if (!p.ids) return ferr_oom(e);
    int rc = 0;
    if (store_list(t, CP_ACTIVE_KIND, w->account, w->region, prefix, NULL, 0, collect_peer, &p, e) <
        0) {
        json_decref(p.ids);
        return -1;
    }
    size_t i;
    json_t *v;
    int later = 0;
    json_array_foreach(p.ids, i, v) {
        const char *id = json_string_value(v);
        int cmp = strcmp(id, w->key);
        if (cmp > 0) later = 1;
        if (cmp >= 0) continue;
        const char *xid = strrchr(id, '/');
        char kid[256];
        snprintf(kid, sizeof(kid), "%s/%s", w->pipeline, xid ? xid + 1 : "");
        store_key k = {CP_EXEC_KIND, w->account, w->region, kid};
        json_t *o = NULL;
        if (store_get(t, &k, &o, e) < 0) {
            rc = -1;
            break;
        }
        const char *in = stage_in(o);
        if (in && !strcmp(in, stage)) rc = 1;
        json_decref(o);
    }
    json_decref(p.ids);
    if (rc) return rc;
    if (later && (!mode || !strcmp(mode, "SUPERSEDED"))) return 2;
    return 0;
}

static int save_exec(store_txn *t, const active *w, json_t *x, ferr *e)
{
    char kid[256];
    snprintf(kid, sizeof(kid), "%s/%s", w->pipeline, w->exec);
    store_key k = {CP_EXEC_KIND, w->account, w->region, kid};
    if (json_object_set_new(x, "lastUpdateTime", json_real(clock_now()))) return ferr_oom(e);
    return store_put(t, &k, x, e);
}

static int finish(store_txn *t, const active *w, json_t *x, const char *status, const char *why,
                  ferr *e)
{
    store_key ak = {CP_ACTIVE_KIND, w->account, w->region, w->key};
    if (jset_str(x, "status", status) || (why && jset_str(x, "statusSummary", why)))
        return ferr_oom(e);
    const char *ev = !strcmp(status, "Succeeded")    ? "SUCCEEDED"
                     : !strcmp(status, "Failed")     ? "FAILED"
                     : !strcmp(status, "Superseded") ? "SUPERSEDED"
                                                     : "STOPPED";
    if (save_exec(t, w, x, e) || store_del(t, &ak, e) < 0 ||
        cp_emit(t, w->account, w->region, x, NULL, NULL, ev, e))
        return -1;
    return 0;
}

static long long run_order(const json_t *x, const char *stage, const json_t *a)
{
    return jint(cp_decl_action(json_object_get(x, "decl"), stage, jstr(a, "name")), "runOrder", 1);
}

/* Applies a provider's result to the action's entry, and what follows from it. */
static int apply(store_txn *t, const active *w, json_t *x, json_t *s, json_t *a, const json_t *res,
                 ferr *e)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)res, k, v) {
        if (json_object_set(a, k, v)) return ferr_oom(e);
    }
    if (!json_object_get(res, "phase")) json_object_del(a, "phase");
    if (json_object_set_new(a, "lastUpdateTime", json_real(clock_now()))) return ferr_oom(e);
    const json_t *outs = json_object_get(res, "outputArtifacts");
    if (outs && json_object_update(json_object_get(x, "artifacts"), (json_t *)outs))
        return ferr_oom(e);
    const char *ns = jstr(
        cp_decl_action(json_object_get(x, "decl"), jstr(s, "name"), jstr(a, "name")), "namespace");
    json_t *vars = json_object_get(res, "outputVariables");
    if (ns && vars && json_object_set(json_object_get(x, "namespaces"), ns, vars))
        return ferr_oom(e);
    json_t *rev = json_object_get(res, "revision");
    if (rev) {
        json_t *revs = json_object_get(x, "revisions");
        if (!revs && json_object_set_new(x, "revisions", revs = json_array())) return ferr_oom(e);
        if (json_array_append(revs, rev)) return ferr_oom(e);
    }
    const char *st = jstr(res, "status");
    if (st && strcmp(st, "InProgress"))
        return cp_emit(t, w->account, w->region, x, jstr(s, "name"), a,
                       !strcmp(st, "Succeeded") ? "SUCCEEDED" : "FAILED", e);
    return 0;
}

/* Runs (or polls) one action outside any transaction, then records its outcome: 1 when
 * the execution can go on at once (the action settled, or it waits on work whose end it has
 * just learned to watch for: its wait's "key", watched before the next poll), 0 when it
 * still waits, -1. */
static int run_action(ferry_env *env, const active *w, json_t *x, const char *stage,
                      const char *action, int poll, ferr *e)
{
    arena *a = arena_new(8192);
    if (!a) return ferr_oom(e);
    json_t *xs = cp_stage_of(x, stage);
    const json_t *st = cp_action_of(xs, action);
    const json_t *decl = cp_decl_action(json_object_get(x, "decl"), stage, action);
    cp_run r = {.env = env,
                .a = a,
                .account = w->account,
                .home = w->region,
                .region = jstr(decl, "region") ? jstr(decl, "region") : w->region,
                .exec = x,
                .stage = stage,
                .decl = decl,
                .config = json_object_get(st, "config"),
                .state = st,
                .res = json_object()};
    const char *id = jstr(st, "id");
    char *idc = id ? strdup(id) : NULL;
    int rc = -1;
    if (!r.res || !idc) {
        ferr_oom(e);
        goto out;
    }
    if (poll) {
        cp_provider_poll(&r);
    } else {
        cp_provider_start(&r);
        /* Test seam: the action ran and its outcome is not recorded yet, the window in which a
         * crash leaves an action begun and never settled (test_codepipeline.py) */
        if (getenv("FERRY_PIPELINE_KILL_IN_ACTION")) raise(SIGKILL);
    }
    store_txn *t;
    if (store_begin(env->st, 1, &t, e)) goto out;
    char kid[256];
    snprintf(kid, sizeof(kid), "%s/%s", w->pipeline, w->exec);
    store_key k = {CP_EXEC_KIND, w->account, w->region, kid};
    json_t *cur = NULL;
    if (store_get(t, &k, &cur, e) != 1) {
        store_rollback(t);
        goto out;
    }
    json_t *ca = cp_action_of(cp_stage_of(cur, stage), action);
    /* settled meanwhile (an approval, a job result, a stop): the newer state stands */
    if (!ca || !jstr(ca, "id") || strcmp(jstr(ca, "id"), idc) ||
        strcmp(jstr(ca, "status"), "InProgress")) {
        store_rollback(t);
        json_decref(cur);
        rc = 0;
        goto out;
    }
    if (apply(t, w, cur, cp_stage_of(cur, stage), ca, r.res, e) || save_exec(t, w, cur, e)) {
        store_rollback(t);
        json_decref(cur);
        goto out;
    }
    json_decref(cur);
    rc = store_commit(t, e);
    const char *key = jstr(json_object_get(r.res, "wait"), "key"), *now = jstr(r.res, "status");
    const char *had = jstr(json_object_get(st, "wait"), "key");
    if (!rc && ((now && strcmp(now, "InProgress")) || (key && (!had || strcmp(had, key))))) rc = 1;
out:
    free(idc);
    json_decref(r.res);
    arena_free(a);
    return rc;
}

/* Evaluates the stage's condition member (beforeEntry, onSuccess) into s: *res the result
 * that engages (a rule failed), else NULL. */
static int conditions(json_t *x, json_t *s, const char *member, double now, const char **res,
                      ferr *e)
{
    arena *a = arena_new(1024);
    int rc = a ? cp_conditions_eval(a, x, s, member, now, res) : -1;
    arena_free(a);
    return rc ? ferr_oom(e) : 0;
}

/* The stage's onFailure once it failed (or rollback: its onSuccess condition's ROLLBACK):
 * ROLLBACK starts the rollback execution in the same transaction as the failure (a rollback
 * execution's own failure is final). */
static int on_failure(ferry_env *env, store_txn *t, const active *w, const json_t *x,
                      const json_t *pipe, const char *stage, int rollback, ferr *e)
{
    const json_t *of = json_object_get(cp_stage_of(json_object_get(x, "decl"), stage), "onFailure");
    const char *type = jstr(x, "executionType");
    if (jstr(of, "result") && !strcmp(jstr(of, "result"), "ROLLBACK")) rollback = 1;
    if (!rollback || (type && !strcmp(type, "ROLLBACK"))) return 0;
    arena *a = arena_new(4096);
    if (!a) return ferr_oom(e);
    call c = {.a = a,
              .env = env,
              .err = e,
              .txn = t,
              .caller = CALLER_INTERNAL,
              .account = w->account,
              .region = w->region};
    const char *nid = NULL;
    int rc = cp_rollback_auto(&c, pipe, x, stage, &nid);
    if (rc > 0)
        log_info("codepipeline: %s stage %s failed: rollback execution %s", w->exec, stage, nid);
    arena_free(a);
    return rc < 0 ? -1 : 0;
}

/* 1 when the execution of active entry ak is self's to run (self "": every one is), 0 when
 * another node's, -1 on a store error; read in t. */
static int ours(store_txn *t, const store_key *ak, const char *self, ferr *e)
{
    if (!*self) return 1;
    json_t *d = NULL;
    int rc = store_get(t, ak, &d, e);
    if (rc == 1) rc = jstr(d, "node") && !strcmp(jstr(d, "node"), self);
    json_decref(d);
    return rc;
}

/* One transition of w's execution. */
static int step(ferry_env *env, const active *w, double now, codepipeline_watch_fn watch, ferr *e)
{
    store_txn *t;
    if (store_begin(env->st, 1, &t, e)) return -1;
    char kid[256];
    snprintf(kid, sizeof(kid), "%s/%s", w->pipeline, w->exec);
    store_key k = {CP_EXEC_KIND, w->account, w->region, kid},
              pk = {CP_PIPE_KIND, w->account, w->region, w->pipeline},
              ak = {CP_ACTIVE_KIND, w->account, w->region, w->key};
    json_t *x = NULL, *pipe = NULL;
    int rc = -1, mine = ours(t, &ak, leases_self(env), e);
    if (mine <= 0) {
        /* another node took it over (this one was stalled past its lease): it is theirs */
        store_rollback(t);
        return mine < 0 ? -1 : STEP_IDLE;
    }
    int got = store_get(t, &k, &x, e);
    if (got < 0 || store_get(t, &pk, &pipe, e) < 0) goto out;
    if (!got || !pipe || terminal(jstr(x, "status"))) {
        /* gone with its pipeline, or finished: off the work list */
        if (x && !pipe && !terminal(jstr(x, "status")) &&
            (jset_str(x, "status", "Cancelled") || save_exec(t, w, x, e)))
            goto out;
        if (store_del(t, &ak, e) < 0) goto out;
        rc = store_commit(t, e) ? -1 : STEP_IDLE;
        t = NULL;
        goto out;
    }
    int stopping = !strcmp(jstr(x, "status"), "Stopping");
    int abandon = jbool(json_object_get(x, "stop"), "abandon", 0);
    json_t *s = NULL;
    size_t i;
    json_array_foreach(json_object_get(x, "stages"), i, s) {
        /* a rollback runs its one stage: the others are passed */
        if (jbool(s, "skip", 0)) continue;
        if (!jstr(s, "status") ||
            (strcmp(jstr(s, "status"), "Succeeded") && strcmp(jstr(s, "status"), "Skipped")))
            break;
    }
    if (i == json_array_size(json_object_get(x, "stages"))) {
        if (finish(t, w, x, "Succeeded", NULL, e)) goto out;
        rc = store_commit(t, e) ? -1 : STEP_MORE;
        t = NULL;
        goto out;
    }
    const char *sn = jstr(s, "name");
    if (!jstr(s, "status")) { /* at the boundary before stage s */
        if (stopping) {
            if (finish(t, w, x, "Stopped", jstr(json_object_get(x, "stop"), "reason"), e)) goto out;
            rc = store_commit(t, e) ? -1 : STEP_MORE;
            t = NULL;
            goto out;
        }
        int g = gate(t, w, x, sn, e);
        if (g < 0) goto out;
        const json_t *tr = json_object_get(json_object_get(pipe, "transitions"), sn);
        if (g == 2) {
            if (finish(t, w, x, "Superseded", "Superseded by a newer execution", e)) goto out;
            rc = store_commit(t, e) ? -1 : STEP_MORE;
            t = NULL;
            goto out;
        }
        if (g == 1 || (i > 0 && tr && !jbool(tr, "enabled", 1))) {
            rc = STEP_WAITING;
            goto out;
        }
        char sid[37];
        ids_uuid(sid);
        const char *res = NULL;
        if (conditions(x, s, "beforeEntry", now, &res, e)) goto out;
        const char *enter = !res ? "InProgress" : !strcmp(res, "SKIP") ? "Skipped" : "Failed";
        if (jset_str(s, "status", enter) || jset_str(s, "id", sid)) {
            ferr_oom(e);
            goto out;
        }
        if (save_exec(t, w, x, e) || cp_emit(t, w->account, w->region, x, sn, NULL,
                                             !res                   ? "STARTED"
                                             : !strcmp(res, "SKIP") ? "SKIPPED"
                                                                    : "FAILED",
                                             e))
            goto out;
        if (res && strcmp(res, "SKIP") &&
            finish(t, w, x, "Failed", "A rule of the stage's beforeEntry condition failed", e))
            goto out;
        rc = store_commit(t, e) ? -1 : STEP_MORE;
        t = NULL;
        goto out;
    }
    /* inside stage s: the lowest runOrder with an action not yet succeeded */
    long long ro = -1;
    json_t *a;
    size_t j;
    int failed = 0, inprog = 0;
    const char *why = NULL;
    json_array_foreach(json_object_get(s, "actions"), j, a) {
        const char *st = jstr(a, "status");
        if (st && !strcmp(st, "Succeeded")) continue;
        long long r = run_order(x, sn, a);
        if (ro < 0 || r < ro) ro = r;
    }
    json_array_foreach(json_object_get(s, "actions"), j, a) {
        const char *st = jstr(a, "status");
        if (!st || run_order(x, sn, a) != ro) continue;
        if (!strcmp(st, "Failed") || (!strcmp(st, "Abandoned") && !stopping)) {
            failed = 1;
            if (!why) why = jstr(json_object_get(a, "error"), "message");
        } else if (!strcmp(st, "InProgress")) {
            inprog = 1;
        }
    }
    const char *after = NULL; /* the onSuccess condition's result, when a rule failed */
    if (ro < 0 && conditions(x, s, "onSuccess", now, &after, e)) goto out;
    if (after) {
        failed = 1;
        ro = 0;
        why = "A rule of the stage's onSuccess condition failed";
    }
    if (ro < 0 || ((failed || stopping) && !inprog)) {
        const char *sst = ro < 0 ? "Succeeded" : failed ? "Failed" : "Stopped";
        if (jset_str(s, "status", sst)) {
            ferr_oom(e);
            goto out;
        }
        if (cp_emit(t, w->account, w->region, x, sn, NULL,
                    ro < 0   ? "SUCCEEDED"
                    : failed ? "FAILED"
                             : "STOPPED",
                    e))
            goto out;
        if (ro >= 0 && failed &&
            (finish(t, w, x, "Failed", why, e) ||
             on_failure(env, t, w, x, pipe, sn, after && !strcmp(after, "ROLLBACK"), e)))
            goto out;
        if (ro >= 0 && !failed &&
            finish(t, w, x, "Stopped", jstr(json_object_get(x, "stop"), "reason"), e))
            goto out;
        if (ro < 0 && save_exec(t, w, x, e)) goto out;
        rc = store_commit(t, e) ? -1 : STEP_MORE;
        t = NULL;
        goto out;
    }
    json_array_foreach(json_object_get(s, "actions"), j, a) {
        if (run_order(x, sn, a) != ro) continue;
        const char *st = jstr(a, "status"), *phase = jstr(a, "phase");
        if (st && !strcmp(st, "InProgress") && stopping && abandon) {
            if (jset_str(a, "status", "Abandoned") ||
                json_object_set_new(a, "lastUpdateTime", json_real(now))) {
                ferr_oom(e);
                goto out;
            }
            json_object_del(a, "phase");
            if (save_exec(t, w, x, e) ||
                cp_emit(t, w->account, w->region, x, sn, a, "ABANDONED", e))
                goto out;
            rc = store_commit(t, e) ? -1 : STEP_MORE;
            t = NULL;
            goto out;
        }
        if (!st && !stopping) { /* dispatch: committed before it runs */
            const char *bad = NULL;
            arena *ra = arena_new(1024);
            const json_t *decl = cp_decl_action(json_object_get(x, "decl"), sn, jstr(a, "name"));
            json_t *cfg =
                ra ? cp_vars_config(ra, x, json_object_get(decl, "configuration"), &bad) : NULL;
            char aid[37];
            ids_uuid(aid);
            int bad_rc = jset_str(a, "id", aid) ||
                         json_object_set_new(a, "startTime", json_real(now)) ||
                         json_object_set_new(a, "lastUpdateTime", json_real(now));
            if (cfg)
                bad_rc |= jset_str(a, "status", "InProgress") || jset_str(a, "phase", "dispatch") ||
                          json_object_set_new(a, "config", cfg);
            else
                bad_rc |= jset_str(a, "status", "Failed") ||
                          json_object_set_new(a, "error",
                                              json_pack("{s:s, s:s+}", "code", "JobFailed",
                                                        "message", "Unable to resolve variable ",
                                                        bad ? bad : "(no memory)"));
            arena_free(ra);
            if (bad_rc) {
                ferr_oom(e);
                goto out;
            }
            if (save_exec(t, w, x, e) ||
                cp_emit(t, w->account, w->region, x, sn, a, cfg ? "STARTED" : "FAILED", e))
                goto out;
            if (store_commit(t, e)) {
                t = NULL;
                goto out;
            }
            t = NULL;
            rc = cfg ? run_action(env, w, x, sn, jstr(a, "name"), 0, e) : 0;
            if (rc >= 0) rc = STEP_MORE;
            goto out;
        }
        if (st && !strcmp(st, "InProgress") && phase && !strcmp(phase, "dispatch")) {
            json_object_del(a, "phase");
            if (jset_str(a, "status", "Failed") ||
                json_object_set_new(a, "error",
                                    json_pack("{s:s, s:s}", "code", "JobFailed", "message",
                                              "The action was interrupted: ferry stopped while it "
                                              "ran, and it is not run twice")) ||
                save_exec(t, w, x, e) || cp_emit(t, w->account, w->region, x, sn, a, "FAILED", e))
                goto out;
            rc = store_commit(t, e) ? -1 : STEP_MORE;
            t = NULL;
            goto out;
        }
    }
    /* nothing to start: poll what waits */
    int waiting = 0;
    json_t *polls = json_array();
    json_array_foreach(json_object_get(s, "actions"), j, a) {
        const char *st = jstr(a, "status"), *phase = jstr(a, "phase");
        if (run_order(x, sn, a) != ro || !st || strcmp(st, "InProgress")) continue;
        waiting = 1;
        if (phase && !strcmp(phase, "wait") && polls)
            if (json_array_append_new(polls, json_string(jstr(a, "name")))) ferr_oom(e);
    }
    store_rollback(t);
    t = NULL;
    rc = STEP_IDLE;
    json_t *v;
    int more = 0;
    json_array_foreach(polls, j, v) {
        /* watched before the poll looks: an end after the look wakes the engine, and one
         * before it is what the poll finds (no wake is lost in between) */
        const char *key =
            jstr(json_object_get(cp_action_of(s, json_string_value(v)), "wait"), "key");
        if (watch && key) watch(env, key);
        int r = run_action(env, w, x, sn, json_string_value(v), 1, e);
        if (r < 0) rc = -1;
        if (r > 0) more = 1;
    }
    json_decref(polls);
    /* an action that ended lets the stage go on now, not at the next sweep */
    if (rc == STEP_IDLE && more) rc = STEP_MORE;
    if (rc == STEP_IDLE && waiting) rc = STEP_WAITING;
out:
    store_rollback(t);
    json_decref(x);
    json_decref(pipe);
    return rc;
}

typedef struct work {
    json_t *list;
    const char *self; /* the entries of this node ("": all of them) */
} work;

static int collect_active(void *ud, const store_key *k, json_t *doc)
{
    const char *self = ((work *)ud)->self, *node = jstr(doc, "node");
    if (*self && (!node || strcmp(node, self))) return 0; /* another node's */
    json_t *v = json_pack("[s, s, s, O, s]", k->account, k->region, k->id,
                          json_object_get(doc, "id"), node ? node : "");
    return json_array_append_new(((work *)ud)->list, v) ? -1 : 0;
}

int codepipeline_sweep(ferry_env *env, codepipeline_watch_fn watch)
{
    work wl = {json_array(), leases_self(env)};
    store_txn *t;
    ferr e = {0};
    int waiting = 0;
    if (!wl.list || store_begin(env->st, 0, &t, &e)) goto out;
    int n = store_list(t, CP_ACTIVE_KIND, NULL, NULL, NULL, NULL, 0, collect_active, &wl, &e);
    store_rollback(t);
    if (n < 0) goto out;
    size_t i;
    json_t *v;
    json_array_foreach(wl.list, i, v) {
        const char *key = json_string_value(json_array_get(v, 2));
        char pipeline[128];
        snprintf(pipeline, sizeof(pipeline), "%.*s", (int)strcspn(key, "/"), key);
        active w = {(char *)json_string_value(json_array_get(v, 0)),
                    (char *)json_string_value(json_array_get(v, 1)), (char *)key, pipeline,
                    (char *)json_string_value(json_array_get(v, 3))};
        for (int steps = 0; steps < 100; steps++) {
            ferr_clear(&e);
            int rc = step(env, &w, clock_now(), watch, &e);
            if (rc < 0) log_error("codepipeline: execution %s: %s", w.exec, e.message);
            if (rc == STEP_WAITING) waiting = 1;
            if (rc != STEP_MORE) break;
        }
    }
out:
    if (ferr_isset(&e)) log_error("codepipeline: %s", e.message);
    json_decref(wl.list);
    return waiting;
}

/* leases.h: the active entries of nodes whose lease has run out become this node's, in one
 * write transaction (so one node takes each). Their actions found in phase "dispatch" then
 * fail as interrupted: an action is never run twice. Returns how many were taken, or -1. */
int codepipeline_claim(ferry_env *env)
{
    const char *self = leases_self(env);
    if (!*self) return 0;
    work wl = {json_array(), ""};
    store_txn *t = NULL;
    ferr e = {0};
    int taken = 0, others = 0;
    /* read first: the write transaction (which serializes writers) only for another's */
    if (!wl.list || store_begin(env->st, 0, &t, &e)) goto out;
    int rc = store_list(t, CP_ACTIVE_KIND, NULL, NULL, NULL, NULL, 0, collect_active, &wl, &e);
    store_rollback(t);
    size_t i;
    json_t *v;
    json_array_foreach(wl.list, i, v)
        others |= !!strcmp(json_string_value(json_array_get(v, 4)), self);
    if (rc < 0 || !others || store_begin(env->st, 1, &t, &e)) goto out;
    double now = clock_now();
    json_array_foreach(wl.list, i, v) {
        if (rc < 0) break;
        store_key ak = {CP_ACTIVE_KIND, json_string_value(json_array_get(v, 0)),
                        json_string_value(json_array_get(v, 1)),
                        json_string_value(json_array_get(v, 2))};
        json_t *d = NULL;
        char was[64];
        rc = store_get(t, &ak, &d, &e);
        int take = rc == 1 ? leases_take(t, self, d, "node", 0, now, was, sizeof(was), &e) : 0;
        if (take < 0 || (take == 2 && store_put(t, &ak, d, &e)))
            rc = -1;
        else if (take == 2) {
            log_info("codepipeline: taking over execution %s from node %s", ak.id,
                     *was ? was : "(none)");
            taken++;
        }
        json_decref(d);
    }
    if (rc < 0)
        store_rollback(t);
    else if (store_commit(t, &e))
        rc = -1;
    if (rc < 0) taken = -1;
out:
    if (ferr_isset(&e)) log_error("codepipeline: takeover: %s", e.message);
    json_decref(wl.list);
    return taken;
}
