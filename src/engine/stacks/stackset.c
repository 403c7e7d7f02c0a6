/* StackSet operations: one thread per running operation; targets in batches of
 * MaxConcurrentCount (or MaxConcurrentPercentage), each target's result committed as it
 * ends, so a restart resumes the operation with the targets not finished. */
#include "stackset.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/jval.h"
#include "base/log.h"
#include "base/thread.h"
#include "engine.h"
#include "engine/leases.h"
#include "svc/iam/iam.h"
#include "svc/session.h"

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int running, stopping;
    /* this node's id on a shared store (a running operation's "_node" names the node that
     * runs it, leases.h), "" on a store of one process */
    char node[64];
} S = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, ""};

typedef struct job {
    ferry_env *env;
    char account[13], region[32], name[160], opid[64];
    int at_start; /* resumed when the engine starts */
    int lost;     /* another node took the operation over (this one stalled past its lease) */
} job;

typedef struct target {
    job *j;
    json_t *set, *op;
    const char *account, *region;
    char status[16];
    char reason[1024];
} target;

/* One link of the chain: who assumes role_arn (role_name in account acct) as session_name;
 * when that is refused, why says (as AWS words it) that the role should trust trusted. */
static int assume_link(job *j, const principal *who, const char *role_arn, const char *session_name,
                       const char *acct, const char *role_name, const char *trusted, session *out,
                       char *why, size_t n)
{
    session_req r = {.role_arn = role_arn, .session_name = session_name};
    ferr e = {0};
    if (!session_assume_as(j->env, NULL, NULL, who, j->region, &r, out, &e)) return 0;
    if (e.status >= 500)
        snprintf(why, n, "Internal error: %.900s", e.message);
    else
        snprintf(why, n, "Account %s should have '%s' role with trust relationship to %s.", acct,
                 role_name, trusted);
    return -1;
}

/* AWS's self-managed permissions: CloudFormation assumes the administration role (trusting
 * CloudFormation), whose session assumes the execution role in the target (trusting the
 * administration role or its account); both through the one role-assumption path, so both
 * are authorized and recorded as AssumeRole calls CloudFormation made. */
static int assume_chain(job *j, const json_t *set, const char *target_acct, principal *exec,
                        char *why, size_t n)
{
    const char *admin_arn = jstr(set, "AdministrationRoleARN");
    const char *exec_name = jstr(set, "ExecutionRoleName");
    char aacct[13], aname[160];
    if (iamsvc_role_from_arn(admin_arn, aacct, sizeof(aacct), aname, sizeof(aname))) {
        snprintf(why, n, "Invalid AdministrationRoleARN %s", admin_arn ? admin_arn : "");
        return -1;
    }
    principal cfn;
    session_service_principal(&cfn, "cloudformation.amazonaws.com", aacct);
    session adm, ex;
    if (assume_link(j, &cfn, admin_arn, "AWSCloudFormationStackSetAdministrationRole", aacct, aname,
                    "CloudFormation service", &adm, why, n))
        return -1;
    char exec_arn[512], trusted[200];
    snprintf(exec_arn, sizeof(exec_arn), "arn:%s:iam::%s:role/%s", arn_partition(j->region),
             target_acct, exec_name);
    snprintf(trusted, sizeof(trusted), "Role '%s'", aname);
    if (assume_link(j, &adm.key.who, exec_arn, "AWSCloudFormationStackSetExecutionRole",
                    target_acct, exec_name, trusted, &ex, why, n))
        return -1;
    *exec = ex.key.who;
    return 0;
}

static json_t *instance_params(const json_t *set, const json_t *inst)
{
    json_t *given = json_object_get(set, "Parameters");
    json_t *out = given ? json_deep_copy(given) : json_array();
    int rc = !out;
    size_t i, k;
    json_t *o, *p;
    json_array_foreach(json_object_get(inst, "ParameterOverrides"), i, o) {
        int found = 0;
        json_array_foreach(out, k, p) {
            if (!strcmp(jstr(p, "ParameterKey"), jstr(o, "ParameterKey"))) {
                rc |= json_object_set(p, "ParameterValue", json_object_get(o, "ParameterValue"));
                found = 1;
            }
        }
        if (!found) rc |= json_array_append(out, o);
    }
    return jdone(out, rc);
}

/* Stores doc (NULL: deletes it): 0, or -1 with the error in e. */
static int put_doc(ferry_env *env, const char *kind, const char *acct, const char *region,
                   const char *id, const json_t *doc, ferr *e)
{
    store_txn *t = NULL;
    if (store_begin(env->st, 1, &t, e)) return -1;
    store_key k = {kind, acct, region, id};
    int rc = doc ? store_put(t, &k, doc, e) : (store_del(t, &k, e) < 0 ? -1 : 0);
    if (rc) {
        store_rollback(t);
        return -1;
    }
    return store_commit(t, e);
}

/* An operation's document, stored as it stands, while it is this node's (on a shared store:
 * another node may have taken it over, j->lost then set); a failure is logged (the operation,
 * still RUNNING in the store, is resumed at the next start). 0 or -1. */
static int put_op(job *j, const char *opkey, const json_t *op)
{
    ferr e = {0};
    store_txn *t = NULL;
    store_key k = {"cfn.ssop", j->account, j->region, opkey};
    json_t *cur = NULL;
    int rc = store_begin(j->env->st, 1, &t, &e);
    if (!rc && S.node[0]) rc = store_get(t, &k, &cur, &e) < 0 ? -1 : 0;
    const char *owner = jstr(cur, "_node");
    if (!rc && cur && (!owner || strcmp(owner, S.node))) {
        log_warn("cfn: stack set %s: operation %s was taken over by node %s", j->name, j->opid,
                 owner ? owner : "(none)");
        j->lost = 1;
        json_decref(cur);
        store_rollback(t);
        return -1;
    }
    json_decref(cur);
    if (!rc) rc = store_put(t, &k, op, &e);
    if (!rc) {
        rc = store_commit(t, &e);
        t = NULL;
    }
    store_rollback(t);
    if (!rc) return 0;
    log_error("cfn: stack set %s: cannot record operation %s: %s", j->name, j->opid, e.message);
    return -1;
}

static int op_running(const json_t *op)
{
    return !strcmp(jstr(op, "Status") ? jstr(op, "Status") : "", "RUNNING");
}

/* The running operation's document when it is this node's to run, read in a write
 * transaction (it begins once the request that kicked it has committed). On a shared store
 * it is made this node's first in that transaction (leases_claim on its "_node"): one just
 * started (no node's), one of a node whose lease has run out, or this node's own at start.
 * NULL: not to be run here, ended, or gone. */
static json_t *claim_op(job *j, const char *opkey)
{
    ferr e = {0};
    json_t *op = NULL;
    store_key k = {"cfn.ssop", j->account, j->region, opkey};
    char was[64];
    int rc = leases_claim(j->env->st, &k, S.node, "_node", j->at_start, op_running, was,
                          sizeof(was), &op, &e);
    if (rc == 2 && was[0])
        log_info("cfn: stack set %s: taking over operation %s from node %s", j->name, j->opid, was);
    if (rc < 0) log_error("cfn: stack set %s: operation %s: %s", j->name, j->opid, e.message);
    return rc > 0 ? op : NULL;
}

/* A target's instance document, stored as it stands (NULL: deleted). A failure fails the
 * target with the reason. 0 or -1. */
static int put_inst(target *t, const char *iid, const json_t *inst)
{
    ferr e = {0};
    if (!put_doc(t->j->env, "cfn.ssinst", t->j->account, t->j->region, iid, inst, &e)) return 0;
    snprintf(t->status, sizeof(t->status), "FAILED");
    snprintf(t->reason, sizeof(t->reason), "Cannot record the stack instance: %.900s", e.message);
    return -1;
}

/* The instance's status fields (reason NULL: removed): 0, or -1 (out of memory). */
static int inst_status(json_t *inst, const char *status, const char *reason, const char *detail)
{
    if (!reason) json_object_del(inst, "StatusReason");
    return json_object_set_new(inst, "Status", json_string(status)) ||
           (reason && json_object_set_new(inst, "StatusReason", json_string(reason))) ||
           json_object_set_new(inst, "StackInstanceStatus",
                               json_pack("{s:s}", "DetailedStatus", detail));
}

static json_t *get_doc(ferry_env *env, const char *kind, const char *acct, const char *region,
                       const char *id)
{
    ferr e = {0};
    store_txn *t = NULL;
    json_t *d = NULL;
    if (store_begin(env->st, 0, &t, &e)) return NULL;
    store_key k = {kind, acct, region, id};
    if (store_get(t, &k, &d, &e) != 1) d = NULL;
    store_rollback(t);
    return d;
}

/* One target: create/update/delete its stack as the execution role. */
static void *run_target(void *arg)
{
    target *t = arg;
    job *j = t->j;
    const char *action = jstr(t->op, "Action");
    char iid[400];
    snprintf(iid, sizeof(iid), "%s/%s/%s", j->name, t->account, t->region);
    json_t *inst = get_doc(j->env, "cfn.ssinst", j->account, j->region, iid);
    principal exec;
    char why[1024] = "";
    snprintf(t->status, sizeof(t->status), "FAILED");
    if (!inst) {
        if (!strcmp(action, "DELETE"))
            snprintf(t->status, sizeof(t->status), "SUCCEEDED");
        else
            snprintf(t->reason, sizeof(t->reason), "Stack instance not found");
        return NULL;
    }
    if (!strcmp(action, "DELETE") && !jstr(inst, "StackId")) {
        /* no stack was made: nothing to act on in the target */
        if (!put_inst(t, iid, NULL)) snprintf(t->status, sizeof(t->status), "SUCCEEDED");
        json_decref(inst);
        return NULL;
    }
    if (assume_chain(j, t->set, t->account, &exec, why, sizeof(why))) {
        snprintf(t->reason, sizeof(t->reason), "%s", why);
        if (inst_status(inst, "INOPERABLE", why, "FAILED"))
            snprintf(t->reason, sizeof(t->reason), "Out of memory");
        else
            put_inst(t, iid, inst);
        json_decref(inst);
        return NULL;
    }
    ferr e = {0};
    json_t *out = NULL;
    int rc = 0;
    const char *sid = jstr(inst, "StackId");
    char status[64] = "";
    if (!strcmp(action, "DELETE")) {
        if (sid && !json_is_true(json_object_get(t->op, "RetainStacks"))) {
            json_t *in = json_pack("{s:s}", "StackName", sid);
            rc = svc_invoke(j->env, &exec, t->region, "cloudformation", "DeleteStack", in, &out,
                            NULL, &e);
            json_decref(in);
            json_decref(out);
            if (!rc)
                cfn_engine_wait(j->env, t->account, t->region, sid, 3600, status, sizeof(status));
            if (!rc && *status && strcmp(status, "DELETE_COMPLETE")) {
                rc = -1;
                snprintf(e.message, sizeof(e.message), "Stack %s is %s", sid, status);
            }
        }
        if (!rc) {
            if (!put_inst(t, iid, NULL)) snprintf(t->status, sizeof(t->status), "SUCCEEDED");
        } else
            snprintf(t->reason, sizeof(t->reason), "%s", e.message);
        json_decref(inst);
        return NULL;
    }
    json_t *in = json_pack("{s:s, s:o, s:o}", "TemplateBody", jstr(t->set, "TemplateBody"),
                           "Parameters", instance_params(t->set, inst), "Capabilities",
                           json_object_get(t->set, "Capabilities")
                               ? json_incref(json_object_get(t->set, "Capabilities"))
                               : json_array());
    if (json_object_set_new(in, "Tags",
                            json_object_get(t->set, "Tags")
                                ? json_incref(json_object_get(t->set, "Tags"))
                                : json_array())) {
        snprintf(t->reason, sizeof(t->reason), "Out of memory");
        json_decref(in);
        json_decref(inst);
        return NULL;
    }
    const char *want = "CREATE_COMPLETE";
    if (sid) {
        /* resumed after a restart: the stack may still be on its way */
        cfn_engine_wait(j->env, t->account, t->region, sid, 3600, status, sizeof(status));
        if (cfn_engine_stopping()) {
            snprintf(t->status, sizeof(t->status), "RUNNING");
            json_decref(in);
            json_decref(inst);
            return NULL;
        }
    }
    if (sid && !strcmp(action, "CREATE") && !strcmp(status, "CREATE_COMPLETE")) {
        rc = 0;
        want = NULL;
    } else if (sid && !strcmp(action, "CREATE") && strncmp(status, "UPDATE_", 7)) {
        /* its create failed while the operation was interrupted (rolled back): so does the
         * target, as it would have had the operation waited for it */
        rc = -1;
        want = NULL;
        snprintf(e.message, sizeof(e.message),
                 "ResourceLogicalId:%s, ResourceType:AWS::CloudFormation::Stack, "
                 "ResourceStatusReason:Stack %s is %s.",
                 sid, sid, *status ? status : "gone");
    } else if (!sid) {
        /* AWS: StackSet-NAME-UUID */
        char uuid[37], sname[256];
        ids_uuid(uuid);
        snprintf(sname, sizeof(sname), "StackSet-%.100s-%s", j->name, uuid);
        rc = json_object_set_new(in, "StackName", json_string(sname))
                 ? ferr_oom(&e)
                 : svc_invoke(j->env, &exec, t->region, "cloudformation", "CreateStack", in, &out,
                              NULL, &e);
        if (!rc) {
            /* the stack is made: a failure to record it fails the target (its reason) */
            if (json_object_set(inst, "StackId", json_object_get(out, "StackId"))) {
                snprintf(t->reason, sizeof(t->reason), "Out of memory");
                json_decref(in);
                json_decref(out);
                json_decref(inst);
                return NULL;
            }
            if (put_inst(t, iid, inst)) {
                json_decref(in);
                json_decref(out);
                json_decref(inst);
                return NULL;
            }
            sid = jstr(inst, "StackId");
        }
    } else {
        rc = json_object_set_new(in, "StackName", json_string(sid))
                 ? ferr_oom(&e)
                 : svc_invoke(j->env, &exec, t->region, "cloudformation", "UpdateStack", in, &out,
                              NULL, &e);
        want = "UPDATE_COMPLETE";
        if (rc && strstr(e.message, "No updates are to be performed")) {
            rc = 0;
            want = NULL;
        }
    }
    json_decref(in);
    json_decref(out);
    if (!rc && want) {
        cfn_engine_wait(j->env, t->account, t->region, sid, 3600, status, sizeof(status));
        if (cfn_engine_stopping() && cfn_status_busy(status)) {
            snprintf(t->status, sizeof(t->status), "RUNNING");
            json_decref(inst);
            return NULL;
        }
        if (strcmp(status, want)) {
            rc = -1;
            snprintf(e.message, sizeof(e.message),
                     "ResourceLogicalId:%s, ResourceType:AWS::CloudFormation::Stack, "
                     "ResourceStatusReason:Stack %s is %s.",
                     sid, sid, status);
        }
    }
    if (rc) snprintf(t->reason, sizeof(t->reason), "%s", e.message);
    if ((rc ? inst_status(inst, "OUTDATED", e.message, "FAILED")
            : inst_status(inst, "CURRENT", NULL, "SUCCEEDED")) ||
        json_object_set_new(inst, "LastOperationId", json_string(j->opid)))
        snprintf(t->reason, sizeof(t->reason), "Out of memory");
    else if (!put_inst(t, iid, inst) && !rc)
        snprintf(t->status, sizeof(t->status), "SUCCEEDED");
    json_decref(inst);
    return NULL;
}

static int stopping(void)
{
    pthread_mutex_lock(&S.mu);
    int s = S.stopping;
    pthread_mutex_unlock(&S.mu);
    return s;
}

static void *run_op(void *arg)
{
    job *j = arg;
    char opkey[256];
    snprintf(opkey, sizeof(opkey), "%s/%s", j->name, j->opid);
    json_t *op = claim_op(j, opkey);
    json_t *set = get_doc(j->env, "cfn.stackset", j->account, j->region, j->name);
    if (!op || !set || strcmp(jstr(op, "Status"), "RUNNING")) goto done;
    json_t *prefs = json_object_get(op, "OperationPreferences");
    json_t *results = json_object_get(op, "_Results");
    size_t n = json_array_size(results);
    long maxc = json_integer_value(json_object_get(prefs, "MaxConcurrentCount"));
    json_t *pct = json_object_get(prefs, "MaxConcurrentPercentage");
    if (json_is_integer(pct)) maxc = (long)((double)n * (double)json_integer_value(pct) / 100.0);
    if (maxc < 1) maxc = 1;
    long tol = json_integer_value(json_object_get(prefs, "FailureToleranceCount"));
    json_t *tpct = json_object_get(prefs, "FailureTolerancePercentage");
    if (json_is_integer(tpct)) tol = (long)((double)n * (double)json_integer_value(tpct) / 100.0);
    long failed = 0;
    size_t i;
    json_t *r;
    json_array_foreach(results, i, r) failed += !strcmp(jstr(r, "Status"), "FAILED");
    log_info("cfn: stack set %s: operation %s %s on %zu targets", j->name, j->opid,
             jstr(op, "Action"), n);
    int stopped = 0, oom = 0;
    for (size_t start = 0; start < n && !stopped;) {
        target *batch = calloc((size_t)maxc, sizeof(target));
        pthread_t *th = calloc((size_t)maxc, sizeof(pthread_t));
        size_t idx[4096];
        long k = 0;
        for (; start < n && k < maxc && k < 4096; start++) {
            json_t *res = json_array_get(results, start);
            if (strcmp(jstr(res, "Status"), "PENDING") && strcmp(jstr(res, "Status"), "RUNNING"))
                continue;
            target *t = &batch[k];
            t->j = j;
            t->set = set;
            t->op = op;
            t->account = jstr(res, "Account");
            t->region = jstr(res, "Region");
            idx[k] = start;
            if (json_object_set_new(res, "Status", json_string("RUNNING"))) break;
            k++;
        }
        if (start < n && k < maxc && k < 4096) {
            /* out of memory: nothing started; the operation resumes at the next start */
            log_error("cfn: stack set %s: operation %s: out of memory", j->name, j->opid);
            free(batch);
            free(th);
            goto done;
        }
        put_op(j, opkey, op);
        for (long m = 0; m < k; m++)
            if (pthread_create(&th[m], NULL, run_target, &batch[m]))
                run_target(&batch[m]), th[m] = 0;
        for (long m = 0; m < k; m++)
            if (th[m]) pthread_join(th[m], NULL);
        for (long m = 0; m < k; m++) {
            json_t *res = json_array_get(results, idx[m]);
            oom |= json_object_set_new(res, "Status", json_string(batch[m].status));
            if (batch[m].reason[0])
                oom |= json_object_set_new(res, "StatusReason", json_string(batch[m].reason));
            if (!strcmp(batch[m].status, "FAILED")) failed++;
        }
        free(batch);
        free(th);
        if (failed > tol) {
            /* AWS: past the tolerance, the targets not started are cancelled */
            for (size_t q = start; q < n; q++) {
                json_t *res = json_array_get(results, q);
                if (!strcmp(jstr(res, "Status"), "PENDING"))
                    oom |= json_object_set_new(res, "Status", json_string("CANCELLED")) ||
                           json_object_set_new(
                               res, "StatusReason",
                               json_string("Cancelled since failure tolerance has exceeded"));
            }
            stopped = 1;
        }
        if (oom) {
            /* a half-updated operation is not stored: it resumes at the next start */
            log_error("cfn: stack set %s: operation %s: out of memory", j->name, j->opid);
            goto done;
        }
        put_op(j, opkey, op);
        if (stopping() || j->lost) goto done; /* resumed at the next start, or another's */
    }
    if (json_object_set_new(op, "Status", json_string(failed > tol ? "FAILED" : "SUCCEEDED")) ||
        json_object_set_new(op, "EndTimestamp", json_real(clock_now()))) {
        log_error("cfn: stack set %s: operation %s: out of memory", j->name, j->opid);
        goto done;
    }
    if (put_op(j, opkey, op)) goto done;
    log_info("cfn: stack set %s: operation %s %s", j->name, j->opid, jstr(op, "Status"));
done:
    json_decref(op);
    json_decref(set);
    free(j);
    pthread_mutex_lock(&S.mu);
    S.running--;
    pthread_cond_broadcast(&S.cv);
    pthread_mutex_unlock(&S.mu);
    return NULL;
}

static void kick(ferry_env *env, const char *account, const char *region, const char *name,
                 const char *opid, int at_start)
{
    job *j = calloc(1, sizeof(*j));
    if (!j) return;
    j->env = env;
    j->at_start = at_start;
    snprintf(j->account, sizeof(j->account), "%s", account);
    snprintf(j->region, sizeof(j->region), "%s", region);
    snprintf(j->name, sizeof(j->name), "%s", name);
    snprintf(j->opid, sizeof(j->opid), "%s", opid);
    pthread_mutex_lock(&S.mu);
    if (S.stopping) {
        pthread_mutex_unlock(&S.mu);
        free(j);
        return;
    }
    S.running++;
    pthread_mutex_unlock(&S.mu);
    if (thread_start_detached(run_op, j)) {
        pthread_mutex_lock(&S.mu);
        S.running--;
        pthread_mutex_unlock(&S.mu);
        free(j);
        log_error("cfn: cannot start stack set operation %s", opid);
    }
}

void cfn_stackset_kick(ferry_env *env, const char *account, const char *region, const char *name,
                       const char *opid)
{
    kick(env, account, region, name, opid, 0);
}

typedef struct resume {
    json_t *ops;
    int oom;
    store_txn *t;
    int others; /* only the operations of other nodes whose lease has run out */
} resume;

/* An operation started this long ago that no node runs: its node died before it began. */
#define UNCLAIMED_SECONDS LEASES_SECONDS

static int resume_cb(void *ud, const store_key *k, json_t *doc)
{
    resume *r = ud;
    if (!op_running(doc)) return 0;
    if (r->others) {
        const char *node = jstr(doc, "_node");
        double now = clock_now();
        ferr e = {0};
        if (node ? !strcmp(node, S.node) || leases_held(r->t, S.node, node, now, &e) != 0
                 : json_number_value(json_object_get(doc, "CreationTimestamp")) >
                       now - UNCLAIMED_SECONDS)
            return 0;
    }
    r->oom |= json_array_append_new(r->ops, json_pack("{s:s, s:s, s:s, s:s}", "a", k->account, "r",
                                                      k->region, "n", jstr(doc, "_StackSetName"),
                                                      "o", jstr(doc, "OperationId")));
    return 0;
}

/* Kicks the running operations (others: only other nodes' whose lease has run out, and
 * those no node began); each run claims its operation first (claim_op). 0 or -1. */
static int kick_running(ferry_env *env, int others, ferr *e)
{
    resume r = {json_array(), 0, NULL, others};
    if (!r.ops) return ferr_oom(e);
    if (store_begin(env->st, 0, &r.t, e)) {
        json_decref(r.ops);
        return -1;
    }
    int rc = store_list(r.t, "cfn.ssop", NULL, NULL, NULL, NULL, 0, resume_cb, &r, e);
    store_rollback(r.t);
    size_t i;
    json_t *v;
    json_array_foreach(r.ops, i, v)
        kick(env, jstr(v, "a"), jstr(v, "r"), jstr(v, "n"), jstr(v, "o"), !others);
    json_decref(r.ops);
    if (rc >= 0 && r.oom) return ferr_oom(e);
    return rc < 0 ? -1 : 0;
}

int cfn_stackset_resume(ferry_env *env, ferr *e)
{
    pthread_mutex_lock(&S.mu);
    S.stopping = 0;
    pthread_mutex_unlock(&S.mu);
    snprintf(S.node, sizeof(S.node), "%s", leases_self(env));
    return kick_running(env, 0, e);
}

void cfn_stackset_takeover(ferry_env *env)
{
    ferr e = {0};
    if (S.node[0] && !stopping() && kick_running(env, 1, &e))
        log_error("cfn: stack set takeover: %s", e.message);
}

void cfn_stackset_stop(void)
{
    pthread_mutex_lock(&S.mu);
    S.stopping = 1;
    while (S.running > 0) pthread_cond_wait(&S.cv, &S.mu);
    pthread_mutex_unlock(&S.mu);
}
