/* One execution path for every operation, whether a client called through the gateway or
 * an engine called through svc_invoke: transaction, handler, commit, audit. */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/ids.h"
#include "base/log.h"
#include "engine/audit.h"
#include "engine/waiters.h"
#include "fetch.h"
#include "proto/validate.h"
#include "svc.h"

static const char *principal_type(prin_kind k)
{
    switch (k) {
    case PRIN_ROOT: return "Root";
    case PRIN_USER: return "IAMUser";
    case PRIN_ASSUMED_ROLE: return "AssumedRole";
    case PRIN_SERVICE: return "AWSService";
    default: return "Unknown";
    }
}

void svc_audit(const call *c, store_txn *t, int read_only, int status)
{
    const principal *w = c->who;
    if (!w) return; /* no account to record it in */
    char eid[37];
    double now = clock_now();
    ids_uuid7(eid, now); /* time-ordered: the trail's event id index appends */
    const char *res = c->resources;
    const svc_def *d = c->service ? svc_find(c->service) : NULL;
    char src[128];
    if (!d && c->service) snprintf(src, sizeof(src), "%s.amazonaws.com", c->service);
    const char *username = w->kind == PRIN_ROOT ? "root" : (w->name[0] ? w->name : NULL);
    if (w->kind == PRIN_ASSUMED_ROLE && w->session[0]) username = w->session;
    audit_rec rec = {
        .time = now,
        .event_id = eid,
        .request_id = c->request_id,
        .account = w->kind == PRIN_SERVICE ? c->account : w->account,
        .region = c->region,
        .principal_arn = w->kind == PRIN_SERVICE ? w->service : w->arn,
        .principal_type = principal_type(w->kind),
        .username = username,
        .access_key = w->akid[0] ? w->akid : NULL,
        .service = c->service,
        .event_source = d ? d->event_source : (c->service ? src : NULL),
        .operation = c->op,
        /* AWS records the service's name as the source of calls a service makes, on its
         * own or with a role session it holds (CloudFormation's RoleARN) */
        .source_ip = c->caller == CALLER_CLIENT ? call_source_ip(c)
                     : w->service[0]            ? w->service
                                                : "internal",
        .user_agent = c->caller == CALLER_CLIENT ? call_user_agent(c)
                      : w->service[0]            ? w->service
                                                 : "ferry",
        .read_only = read_only,
        .status = status,
        .error_code = ferr_isset(c->err) ? c->err->code : NULL,
        .error_message = ferr_isset(c->err) ? c->err->message : NULL,
        .resources = res,
        .resource_names = res ? c->resource_names : NULL,
        .resource_names_len = res ? c->resource_names_len : 0,
        /* why a refusal was refused (svc/authzwhy.h), while the call's error is that one */
        .extra = c->decision && ferr_isset(c->err) && c->err->status == 403 ? c->decision : NULL,
    };
    ferr e = {0};
    /* Successful reads changed nothing: their record is queued for the next group commit.
     * Refusals wait until their record is durable; writes record inside their transaction. */
    int rc = 0;
    /* A call still inside a transaction (a refusal that must outlive the caller's
     * rollback) queues its record: waiting for the writer, which needs the write lock the
     * caller holds, would never end. */
    int queue = (read_only && !ferr_isset(c->err)) || c->txn;
    for (int copy = 0; copy < 2 && !rc; copy++) {
        if (copy) { /* the resource owner's trail shows the cross-account call too */
            if (!c->resource_account || !strcmp(c->resource_account, rec.account)) break;
            rec.account = c->resource_account;
            /* the caller's own policies are not the resource owner's to read */
            if (!c->decision_shared) rec.extra = NULL;
            ids_uuid(eid);
        }
        rc = t       ? store_audit_append(t, &rec, &e)
             : queue ? auditq_submit(c->env->audit, &rec)
                     : auditq_append(c->env->audit, &rec);
    }
    if (rc) log_error("audit: request %s not recorded: %s", c->request_id, e.message);
}

/* The input against the model's constraints (once: a resumed long poll was checked when it
 * first ran), before any transaction: a write's lock is not held for it. The one place
 * every call, client or internal, is checked. 0, or -1 with c->err. */
static int check_input(call *c, const svc_op *op, const json_t *in)
{
    int resumed = c->wait && c->wait->resumed;
    const proto_service *ps = resumed ? NULL : proto_service_by_signing_name(c->service);
    const proto_op *po = ps ? proto_op_by_name(ps, op->name) : NULL;
    return po && proto_validate(ps, po, in, c->err) ? -1 : 0;
}

/* Each fetch a call asks for (call_fetch) costs one more run; a handler needing more than
 * this many URLs is a bug, not a client's doing. */
#define MAX_FETCHES 4

/* Before a call runs again: its transaction, answer, error and what it recorded for the
 * trail go (the arena keeps the first run's resource list). */
static void run_forget(call *c, json_t **out)
{
    store_rollback(c->txn);
    c->txn = NULL;
    json_decref(*out);
    *out = NULL;
    ferr_clear(c->err);
    c->resources = NULL;
    c->resource_names = NULL;
    c->resource_names_len = 0;
    c->resource_account = NULL;
    c->decision = NULL;
    c->status = 0;
}

/* The run ended asking for its body (call_body_want), which has not come yet */
static int wants_body(const call *c, int rc)
{
    return rc < 0 && c->wait && c->wait->body_wanted && !c->wait->body && !c->wait->body_failed;
}

int svc_exec(call *c, const svc_op *op, json_t *in, json_t **out)
{
    int read_only = (op->flags & SVC_READ) != 0;
    /* A write whose body streams runs first from its headers, to refuse what it can before
     * the body is read and to ask for it (call_body_want): that run reads, off the write
     * lock. Any other outcome (a refusal, a write it must make first, such as S3's AWS
     * managed KMS key) runs again in a write transaction, as it would have run. */
    int headers = !read_only && c->wait && c->wait->body_pending;
    *out = NULL;
    if (check_input(c, op, in)) return -1;
    if ((op->flags & SVC_TRAIL) && c->env->audit) auditq_flush(c->env->audit);
    int rc;
    for (int fetches = 0;; fetches++) {
        /* a client's request holds nothing other writers need: its commit may be shared */
        int write = read_only || headers ? 0 : c->caller == CALLER_CLIENT ? STORE_WRITE_GROUP : 1;
        if (store_begin(c->env->st, write, &c->txn, c->err)) return -1;
        rc = svc_run(c, op, in, out);
        if (rc == 0 && c->oom) rc = ferr_oom(c->err);
        if ((headers && !wants_body(c, rc)) ||
            (rc < 0 && c->want_write && read_only && fetches < MAX_FETCHES)) {
            /* call_want_write: the same call again, in a write transaction */
            run_forget(c, out);
            c->want_write = 0;
            read_only = headers = 0;
            continue;
        }
        if (!(rc < 0 && c->fetch_url && fetches < MAX_FETCHES)) break;
        /* the handler needs a URL: fetched with no transaction open, then run again */
        run_forget(c, out);
        if (svc_fetch_pending(c)) return -1;
    }
    if (wants_body(c, rc))
        rc = SVC_BODY; /* call_body_want: nothing is recorded until the body is in */
    if (rc == SVC_BODY && store_txn_wrote(c->txn)) {
        /* What a handler prepared before asking for the body must outlive this run: the AWS
         * managed KMS key S3 makes on first use seals the data key the body is sealed with
         * (AWS keeps that key whatever becomes of the upload). Nothing of the request
         * itself is written before its body is in. */
        ferr_clear(c->err);
        rc = store_commit(c->txn, c->err) ? -1 : SVC_BODY;
        c->txn = NULL;
        json_decref(*out);
        *out = NULL;
        return rc;
    }
    if (rc == SVC_WAIT || rc == SVC_BODY) {
        if (rc == SVC_BODY) ferr_clear(c->err);
        store_rollback(c->txn);
        c->txn = NULL;
        json_decref(*out);
        *out = NULL;
        return rc;
    }
    if (rc) {
        if (!ferr_isset(c->err)) ferr_internal(c->err, "%s failed", op->name);
        store_rollback(c->txn);
        c->txn = NULL;
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    if (!read_only) svc_audit(c, c->txn, 0, 200);
    rc = store_commit_group(c->txn, c->err); /* a commit if not begun as STORE_WRITE_GROUP */
    c->txn = NULL;
    if (rc) {
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    if (read_only)
        svc_audit(c, NULL, 1, 200);
    else {
        const svc_def *d = svc_find(c->service);
        if (d && d->written) d->written(); /* caches of what this service owns go stale */
    }
    return 0;
}

/* The op inside the caller's transaction, under a savepoint. In a read transaction (SSM's
 * GetParameter asking KMS to Decrypt) only a read-only op may run, with nothing to undo, and
 * its record is group-committed as any read's. */
static int exec_in(call *c, const svc_op *op, json_t *in, json_t **out)
{
    int write = store_txn_is_write(c->txn);
    if (!write && !(op->flags & SVC_READ))
        return ferr_internal(c->err, "%s cannot run in a read transaction", op->name);
    *out = NULL;
    if (check_input(c, op, in)) return -1;
    if (write && store_savepoint(c->txn, c->err)) return -1;
    int rc = svc_run(c, op, in, out);
    if (rc == 0 && c->oom) rc = ferr_oom(c->err);
    if (rc == SVC_WAIT)
        rc = ferr_internal(c->err, "%s cannot wait when called internally", op->name);
    if (rc) {
        if (!ferr_isset(c->err)) ferr_internal(c->err, "%s failed", op->name);
        json_decref(*out);
        *out = NULL;
        ferr undo = {0};
        /* not undone: the caller's commit will fail rather than keep the op's writes */
        if (write && store_savepoint_end(c->txn, 0, &undo))
            log_error("%s: writes of the failed call not undone: %s", op->name, undo.message);
        return -1;
    }
    if (write && store_savepoint_end(c->txn, 1, c->err)) {
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    svc_audit(c, write ? c->txn : NULL, (op->flags & SVC_READ) != 0, 200);
    return 0;
}

static int invoke_op(store_txn *t, arena *ta, ferry_env *env, const principal *who,
                     const char *region, const char *service, const svc_op *o, const void *arg,
                     const json_t *in, json_t **out, const json_t *context, ferr *e)
{
    const char *op = o->name;
    char rid[37];
    ids_uuid(rid);
    arena *a = ta ? ta : arena_new(8192);
    if (!a) return ferr_oom(e);
    call c = {.a = a,
              .env = env,
              .request_id = rid,
              .service = service,
              .op = op,
              .account = who->account,
              .region = region,
              .who = who,
              .err = e,
              .context = context,
              .txn = t,
              .caller = CALLER_INTERNAL,
              .arg = arg};
    json_t *input = in ? json_deep_copy(in) : json_object();
    if (!input) {
        if (!ta) arena_free(a);
        return ferr_oom(e);
    }
    int rc = t ? exec_in(&c, o, input, out) : svc_exec(&c, o, input, out);
    if (rc < 0)
        svc_audit(&c, t && store_txn_is_write(t) ? t : NULL, (o->flags & SVC_READ) != 0, e->status);
    json_decref(input);
    if (!ta) {
        e->long_message = NULL; /* it was in the arena going now: e->message stands */
        arena_free(a);
    }
    return rc == SVC_WAIT
               ? ferr_internal(e, "%s:%s cannot wait when called internally", service, op)
               : rc;
}

static int invoke(store_txn *t, arena *a, ferry_env *env, const principal *who, const char *region,
                  const char *service, const char *op, const json_t *in, json_t **out,
                  const json_t *context, ferr *e)
{
    *out = NULL;
    const svc_def *d = svc_find(service);
    const svc_op *o = d ? svc_find_op(d, op) : NULL;
    if (!o)
        return ferr_set(e, 501, "NotImplemented", "ferry does not implement %s:%s", service, op);
    return invoke_op(t, a, env, who, region, service, o, NULL, in, out, context, e);
}

int svc_invoke(ferry_env *env, const principal *who, const char *region, const char *service,
               const char *op, const json_t *in, json_t **out, const json_t *context, ferr *e)
{
    return invoke(NULL, NULL, env, who, region, service, op, in, out, context, e);
}

int svc_invoke_in(store_txn *t, arena *a, ferry_env *env, const principal *who, const char *region,
                  const char *service, const char *op, const json_t *in, json_t **out,
                  const json_t *context, ferr *e)
{
    return invoke(t, a, env, who, region, service, op, in, out, context, e);
}

int svc_invoke_fn(ferry_env *env, const principal *who, const char *region, const char *service,
                  const svc_op *op, const void *arg, const json_t *in, json_t **out, ferr *e)
{
    return svc_invoke_fn_in(NULL, NULL, env, who, region, service, op, arg, in, out, NULL, e);
}

int svc_invoke_fn_in(store_txn *t, arena *a, ferry_env *env, const principal *who,
                     const char *region, const char *service, const svc_op *op, const void *arg,
                     const json_t *in, json_t **out, const json_t *context, ferr *e)
{
    *out = NULL;
    return invoke_op(t, a, env, who, region, service, op, arg, in, out, context, e);
}

void svc_notify(ferry_env *env, const char *key)
{
    if (env->waits) waiters_notify(env->waits, key);
    /* the other nodes' long polls on key too (several nodes on one PostgreSQL) */
    if (env->st) store_announce(env->st, key);
}
