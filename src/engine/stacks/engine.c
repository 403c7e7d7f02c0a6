/* The stack engine. One runner thread per stack with work (its status is *_IN_PROGRESS);
 * a runner executes the phase its status names, resources as a dependency graph with up to
 * PARALLEL independent steps at once, each step committed before and after the provider
 * call. A runner that finds a resource still *_IN_PROGRESS at the start of a phase knows the
 * server stopped without finishing it (kill -9): a forward phase then fails and rolls back,
 * a backward phase does the step again.
 *
 * AWS statuses: CREATE_IN_PROGRESS -> CREATE_COMPLETE | ROLLBACK_IN_PROGRESS ->
 * ROLLBACK_COMPLETE; UPDATE_IN_PROGRESS -> UPDATE_COMPLETE_CLEANUP_IN_PROGRESS ->
 * UPDATE_COMPLETE | UPDATE_ROLLBACK_IN_PROGRESS -> UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS
 * -> UPDATE_ROLLBACK_COMPLETE; DELETE_IN_PROGRESS -> DELETE_COMPLETE | DELETE_FAILED. */
#include "engine.h"

#include <ctype.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/jval.h"
#include "base/log.h"
#include "base/thread.h"
#include "dynref.h"
#include "engine/leases.h"
#include "stack_custom.h"
#include "stackset.h"
#include "template.h"

#define PARALLEL 8

extern const cfn_provider cfn_provider_cfn_stack, cfn_provider_cfn_waithandle,
    cfn_provider_cfn_waitcondition, cfn_provider_ferry_test;

const cfn_provider *cfn_find_provider(const char *type)
{
    if (!type) return NULL;
    if (!strcmp(type, "AWS::CloudFormation::WaitConditionHandle"))
        return &cfn_provider_cfn_waithandle;
    if (!strcmp(type, "AWS::CloudFormation::WaitCondition")) return &cfn_provider_cfn_waitcondition;
    if (!strcmp(type, "AWS::CloudFormation::Stack")) return &cfn_provider_cfn_stack;
    if (cfn_custom_type(type)) return &cfn_provider_cfn_custom;
    /* test-only type, present when the server was started with FERRY_CFN_TEST_TYPES=1 */
    if (!strcmp(type, "Ferry::Test::Resource")) {
        const char *t = getenv("FERRY_CFN_TEST_TYPES");
        return t && *t == '1' ? &cfn_provider_ferry_test : NULL;
    }
    return cfn_provider_find(type);
}

/* ------------------------------------------------------------------ storage */

json_t *cfn_principal_json(const principal *p)
{
    return json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kind", (int)p->kind,
                     "account", p->account, "arn", p->arn, "userid", p->userid, "name", p->name,
                     "session", p->session, "role_arn", p->role_arn, "akid", p->akid, "service",
                     p->service);
}

void cfn_principal_load(const json_t *j, principal *p)
{
    memset(p, 0, sizeof(*p));
    p->kind = (prin_kind)json_integer_value(json_object_get(j, "kind"));
#define CP(f) snprintf(p->f, sizeof(p->f), "%s", jstr(j, #f) ? jstr(j, #f) : "")
    CP(account);
    CP(arn);
    CP(userid);
    CP(name);
    CP(session);
    CP(role_arn);
    CP(akid);
    CP(service);
#undef CP
}

/* ------------------------------------------------------------------ runners */

typedef struct stackref {
    char account[13], region[32], uuid[40];
} stackref;

typedef struct active {
    stackref r;
    int again;
    struct active *next;
} active;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a runner finished, or a stack settled */
    ferry_env *env;
    active *list;
    int running, stopping;
} E = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0, 0};

static void *runner(void *arg);

/* This node's id when several nodes share the store (a stack's "_node" names the node that
 * runs its operation); "" on a store of one process, which runs every stack's. */
static char g_node[64];

int cfn_engine_own(ferry_env *env, json_t *stack)
{
    (void)env; /* g_node is set when the engine starts, before any request */
    if (!g_node[0]) return 0;
    return json_object_set_new(stack, "_node", json_string(g_node)) ? -1 : 0;
}

void cfn_engine_kick(ferry_env *env, const char *account, const char *region, const char *uuid)
{
    pthread_mutex_lock(&E.mu);
    if (!E.env) E.env = env;
    if (E.stopping) {
        pthread_mutex_unlock(&E.mu);
        return;
    }
    for (active *a = E.list; a; a = a->next) {
        if (!strcmp(a->r.uuid, uuid) && !strcmp(a->r.account, account) &&
            !strcmp(a->r.region, region)) {
            a->again = 1;
            pthread_mutex_unlock(&E.mu);
            return;
        }
    }
    active *a = calloc(1, sizeof(*a));
    if (!a) {
        pthread_mutex_unlock(&E.mu);
        log_error("cfn: out of memory starting stack %s", uuid);
        return;
    }
    snprintf(a->r.account, sizeof(a->r.account), "%s", account);
    snprintf(a->r.region, sizeof(a->r.region), "%s", region);
    snprintf(a->r.uuid, sizeof(a->r.uuid), "%s", uuid);
    a->next = E.list;
    E.list = a;
    E.running++;
    if (thread_start_detached(runner, a)) {
        E.list = a->next;
        E.running--;
        free(a);
        log_error("cfn: cannot start a runner for stack %s", uuid);
    }
    pthread_mutex_unlock(&E.mu);
}

static int stopping(void)
{
    pthread_mutex_lock(&E.mu);
    int s = E.stopping;
    pthread_mutex_unlock(&E.mu);
    return s;
}

int cfn_engine_stopping(void)
{
    return stopping();
}

int cfn_engine_wait(ferry_env *env, const char *account, const char *region, const char *stack_id,
                    double timeout, char *status, size_t n)
{
    double until = clock_now() + timeout;
    if (n) status[0] = 0;
    for (;;) {
        store_txn *t = NULL;
        ferr e = {0};
        json_t *s = NULL;
        int rc = store_begin(env->st, 0, &t, &e);
        if (!rc) rc = cfn_stack_find(t, account, region, stack_id, &s, &e);
        store_rollback(t);
        if (rc < 0) return -1;
        if (rc == 0) { /* by name: deleted since the last look */
            if (n) status[0] = 0;
            return 0;
        }
        snprintf(status, n, "%s", jstr(s, "StackStatus"));
        json_decref(s);
        if (!cfn_status_busy(status)) return 0;
        if (clock_now() >= until || stopping()) return 0;
        /* woken when any stack settles; re-check at least every 50 ms */
        pthread_mutex_lock(&E.mu);
        struct timespec ts = clock_deadline(0.05);
        pthread_cond_timedwait(&E.cv, &E.mu, &ts);
        pthread_mutex_unlock(&E.mu);
    }
}

/* ------------------------------------------------------------------ operation context */

typedef struct op {
    ferry_env *env;
    stackref r;
    json_t *stack; /* snapshot at the phase start */
    principal as;
    json_t *tpl;
    json_t *params; /* {name: typed value} */
    json_t *resv;   /* {logical: {Ref, Attributes}} */
    cfn_ctx x;
    pthread_mutex_t mu;
    json_t *failed; /* logical ids that failed */
    char reason[1024];
    const char *token;
    json_t *notify; /* NotificationARNs */
    int retry;      /* the store failed the engine's own bookkeeping: do the phase again */
} op;

static int import_cb(void *ud, const char *name, char **value, ferr *e)
{
    op *o = ud;
    store_txn *t = NULL;
    if (store_begin(o->env->st, 0, &t, e)) return -1;
    int rc = cfn_export_value(t, o->r.account, o->r.region, name, value, e);
    store_rollback(t);
    return rc;
}

static void op_fail(op *o, const char *logical, const char *reason)
{
    pthread_mutex_lock(&o->mu);
    /* a resource that cannot be named in the list still fails the operation, by its reason */
    if (logical && json_array_append_new(o->failed, json_string(logical)) && !reason)
        reason = "Out of memory";
    if (!o->reason[0] && reason) snprintf(o->reason, sizeof(o->reason), "%s", reason);
    pthread_mutex_unlock(&o->mu);
}

/* The store failed a read or commit of the engine's own records (not a resource step): the
 * runner does the phase again after a pause (every phase resumes from what is committed),
 * instead of leaving the stack *_IN_PROGRESS until the next start. Returns -1. */
static int store_trouble(op *o, const char *what, const ferr *e)
{
    log_error("cfn: stack %s: %s: %s", jstr(o->stack, "StackName"), what,
              e && e->message[0] ? e->message : "store error");
    pthread_mutex_lock(&o->mu);
    o->retry = 1;
    pthread_mutex_unlock(&o->mu);
    return -1;
}

static void publish(op *o, json_t *ev)
{
    if (!ev || !json_array_size(o->notify) || !svc_find("sns")) return;
    char ts[32];
    clock_iso8601(json_real_value(json_object_get(ev, "Timestamp")), 1, ts);
    buf b;
    buf_init(&b, 65536);
    buf_printf(&b,
               "StackId='%s'\nTimestamp='%s'\nEventId='%s'\nLogicalResourceId='%s'\n"
               "Namespace='%s'\nPhysicalResourceId='%s'\nPrincipalId='%s'\n"
               "ResourceProperties='%s'\nResourceStatus='%s'\nResourceStatusReason='%s'\n"
               "ResourceType='%s'\nStackName='%s'\nClientRequestToken='%s'\n",
               jstr(ev, "StackId"), ts, jstr(ev, "EventId"), jstr(ev, "LogicalResourceId"),
               o->r.account, jstr(ev, "PhysicalResourceId") ? jstr(ev, "PhysicalResourceId") : "",
               o->as.userid,
               jstr(ev, "ResourceProperties") ? jstr(ev, "ResourceProperties") : "null",
               jstr(ev, "ResourceStatus"),
               jstr(ev, "ResourceStatusReason") ? jstr(ev, "ResourceStatusReason") : "",
               jstr(ev, "ResourceType"), jstr(ev, "StackName"),
               jstr(ev, "ClientRequestToken") ? jstr(ev, "ClientRequestToken") : "null");
    size_t i;
    json_t *arn;
    json_array_foreach(o->notify, i, arn) {
        json_t *in = json_pack("{s:O, s:s, s:s}", "TopicArn", arn, "Subject",
                               "AWS CloudFormation Notification", "Message", buf_str(&b));
        json_t *out = NULL;
        ferr e = {0};
        const char *topic = json_string_value(arn);
        /* the topic's region is in its ARN */
        char region[32] = "";
        if (topic && sscanf(topic, "arn:%*[^:]:sns:%31[^:]:", region) != 1) region[0] = 0;
        if (svc_invoke(o->env, &o->as, region[0] ? region : o->r.region, "sns", "Publish", in, &out,
                       NULL, &e))
            log_warn("cfn: stack %s: notification to %s failed: %s", jstr(o->stack, "StackName"),
                     topic ? topic : "?", e.message);
        json_decref(out);
        json_decref(in);
    }
    buf_dispose(&b);
}

static int load_res(store_txn *t, op *o, const char *logical, json_t **doc, ferr *e)
{
    char id[600];
    snprintf(id, sizeof(id), "%s/%s", o->r.uuid, logical);
    store_key k = {CFN_KIND_RES, o->r.account, o->r.region, id};
    return store_get(t, &k, doc, e);
}

static int put_res(store_txn *t, op *o, const json_t *doc, ferr *e)
{
    char id[600];
    snprintf(id, sizeof(id), "%s/%s", o->r.uuid, jstr(doc, "LogicalResourceId"));
    store_key k = {CFN_KIND_RES, o->r.account, o->r.region, id};
    return store_put(t, &k, doc, e);
}

static int del_res(store_txn *t, op *o, const char *logical, ferr *e)
{
    char id[600];
    snprintf(id, sizeof(id), "%s/%s", o->r.uuid, logical);
    store_key k = {CFN_KIND_RES, o->r.account, o->r.region, id};
    return store_del(t, &k, e) < 0 ? -1 : 0;
}

/* Writes doc as the resource's record (NULL: removes the record) in a transaction of its
 * own. 0 committed, -1 not (e says why). */
static int commit_res(op *o, const json_t *doc, const char *logical, ferr *e)
{
    store_txn *t = NULL;
    if (store_begin(o->env->st, 1, &t, e)) return -1;
    if (doc ? put_res(t, o, doc, e) : del_res(t, o, logical, e)) {
        store_rollback(t);
        return -1;
    }
    return store_commit(t, e);
}

/* A step's resource document as committed: 1 (*doc new reference), 0 none, -1 the store
 * failed (recorded as the step's failure). */
static int step_load(op *o, const char *logical, json_t **doc)
{
    ferr e = {0};
    store_txn *t = NULL;
    int rc = store_begin(o->env->st, 0, &t, &e);
    if (!rc) rc = load_res(t, o, logical, doc, &e);
    store_rollback(t);
    if (rc < 0) op_fail(o, logical, e.message);
    return rc;
}

/* Commits a resource document with its status and one event. doc is updated in place. */
static int res_status(op *o, json_t *doc, const char *status, const char *reason,
                      const json_t *props, const char *physical)
{
    store_txn *t = NULL;
    ferr e = {0};
    json_t *ev = NULL;
    if (!(reason && *reason)) json_object_del(doc, "ResourceStatusReason");
    if (json_object_set_new(doc, "ResourceStatus", json_string(status)) ||
        (reason && *reason &&
         json_object_set_new(doc, "ResourceStatusReason", json_string(reason))) ||
        json_object_set_new(doc, "Timestamp", json_real(clock_now()))) {
        ferr_oom(&e);
        goto fail;
    }
    if (store_begin(o->env->st, 1, &t, &e)) goto fail;
    if (put_res(t, o, doc, &e)) goto fail_txn;
    ev = cfn_event_add(t, o->stack, jstr(doc, "LogicalResourceId"),
                       physical ? physical : jstr(doc, "PhysicalResourceId"),
                       jstr(doc, "ResourceType"), status, reason, props, &e);
    if (!ev) goto fail_txn;
    if (store_commit(t, &e)) goto fail;
    log_info("cfn: stack %s: %s %s %s%s%s", jstr(o->stack, "StackName"),
             jstr(doc, "LogicalResourceId"), jstr(doc, "ResourceType"), status,
             reason && *reason ? ": " : "", reason ? reason : "");
    publish(o, ev);
    json_decref(ev);
    return 0;
fail_txn:
    store_rollback(t);
fail:
    json_decref(ev);
    log_error("cfn: stack %s: cannot record %s of %s: %s", jstr(o->stack, "StackName"), status,
              jstr(doc, "LogicalResourceId"), e.message);
    return -1;
}

/* A step that failed: its status (e.g. CREATE_FAILED) and reason recorded, the resource
 * named in the stack's reason. Consumes doc. Returns -1. */
static int step_failed(op *o, json_t *doc, const char *status, const char *reason)
{
    const char *logical = jstr(doc, "LogicalResourceId");
    res_status(o, doc, status, reason, NULL, NULL);
    op_fail(o, logical, reason);
    json_decref(doc);
    return -1;
}

/* A step whose IN_PROGRESS or COMPLETE record the store refused. Consumes doc. */
static int step_unrecorded(op *o, json_t *doc)
{
    op_fail(o, jstr(doc, "LogicalResourceId"), "the store refused the step");
    json_decref(doc);
    return -1;
}

/* A step whose document could not be built (out of memory): nothing is recorded. Consumes
 * doc. Returns -1. */
static int step_oom(op *o, const char *logical, json_t *doc)
{
    op_fail(o, logical, "Out of memory");
    json_decref(doc);
    return -1;
}

static void pctx_init(op *o, cfn_pctx *p, const char *logical, ferr *e)
{
    memset(p, 0, sizeof(*p));
    p->env = o->env;
    p->as = &o->as;
    p->account = o->r.account;
    p->region = o->r.region;
    p->stack_name = jstr(o->stack, "StackName");
    p->stack_id = jstr(o->stack, "StackId");
    p->logical_id = logical;
    p->tags = json_array_size(json_object_get(o->stack, "Tags")) ? json_object_get(o->stack, "Tags")
                                                                 : NULL;
    p->e = e;
}

/* What a provider is given: props with their dynamic references resolved as the stack
 * (dynref.h), new reference, or NULL with p->e. The stack keeps them as written. lenient:
 * the old side of an update, given as written when a reference no longer resolves. */
static json_t *live_props(cfn_pctx *p, const json_t *props, int lenient)
{
    if (!props) return NULL;
    json_t *v = cfn_dynref_resolve(p, props);
    if (!v && lenient) {
        ferr_clear(p->e);
        v = json_incref((json_t *)props);
    }
    return v;
}

/* Makes a resource's values visible to the steps after it: 0, or -1 (out of memory). */
static int set_resv(op *o, const char *logical, const json_t *doc)
{
    json_t *ref = json_object_get(doc, "Ref");
    if (!ref) ref = json_object_get(doc, "PhysicalResourceId");
    json_t *attrs = json_object_get(doc, "Attributes");
    pthread_mutex_lock(&o->mu);
    json_t *v = json_pack("{s:O, s:o}", "Ref", ref ? ref : json_null(), "Attributes",
                          attrs ? json_incref(attrs) : json_object());
    if (v && json_is_true(json_object_get(doc, "NoEcho")) &&
        json_object_set_new(v, "NoEcho", json_true())) {
        json_decref(v);
        v = NULL;
    }
    int rc = json_object_set_new(o->resv, logical, v);
    pthread_mutex_unlock(&o->mu);
    return rc;
}

static json_t *res_def(op *o, const char *logical)
{
    return json_object_get(json_object_get(o->tpl, "Resources"), logical);
}

/* Resolves a resource's Properties (strictly) under the op lock. */
static json_t *resolve_props(op *o, const char *logical, ferr *e)
{
    json_t *def = res_def(o, logical);
    pthread_mutex_lock(&o->mu);
    json_t *p = json_object_get(def, "Properties");
    json_t *v = p && !json_is_null(p) ? cfn_resolve(&o->x, p, e) : json_object();
    pthread_mutex_unlock(&o->mu);
    if (v && !json_is_object(v)) {
        json_decref(v);
        v = json_object();
    }
    return v;
}

/* 0, or -1 (out of memory). */
static int apply_result(json_t *doc, const json_t *result)
{
    const char *pid = jstr(result, "PhysicalResourceId");
    json_t *ref = json_object_get(result, "Ref");
    json_t *at = json_object_get(result, "Attributes");
    /* a custom resource's NoEcho masks the outputs that read its values */
    json_object_del(doc, "NoEcho");
    return json_object_set_new(doc, "PhysicalResourceId", json_string(pid ? pid : "")) ||
           json_object_set_new(doc, "Ref", ref ? json_incref(ref) : json_string(pid ? pid : "")) ||
           json_object_set_new(doc, "Attributes", at ? json_incref(at) : json_object()) ||
           (json_is_true(json_object_get(result, "NoEcho")) &&
            json_object_set_new(doc, "NoEcho", json_true()));
}

/* Fills a generated name into props when the provider wants one and none is given: 0, or
 * -1 (out of memory). */
static int name_props(op *o, const cfn_provider *pv, const char *logical, json_t *doc,
                      json_t *props, int fresh)
{
    if (!pv->name_property || json_object_get(props, pv->name_property)) return 0;
    const char *gen = fresh ? NULL : jstr(doc, "GenName");
    char *n = NULL;
    if (!gen) {
        json_t *fifo = pv->fifo_property ? json_object_get(props, pv->fifo_property) : NULL;
        int isfifo = json_is_true(fifo) ||
                     (json_is_string(fifo) && !strcmp(json_string_value(fifo), "true"));
        ferr e = {0};
        cfn_pctx p;
        pctx_init(o, &p, logical, &e);
        n = cfn_physical_name(&p, pv->name_max, isfifo);
        for (char *q = n; q && pv->name_lowercase && *q; q++) *q = (char)tolower((unsigned char)*q);
        if (!n || json_object_set_new(doc, "GenName", json_string(n))) {
            free(n);
            return -1;
        }
        gen = n;
    }
    int rc = json_object_set_new(props, pv->name_property, json_string(gen));
    free(n);
    return rc;
}

/* A resource definition's DeletionPolicy and UpdateReplacePolicy into doc (NULL: -1); 0 or
 * -1 (out of memory). */
static int copy_policies(json_t *doc, const json_t *def)
{
    static const char *const keys[] = {"DeletionPolicy", "UpdateReplacePolicy"};
    int rc = !doc;
    for (size_t i = 0; !rc && i < 2; i++)
        if (jstr(def, keys[i])) rc = json_object_set(doc, keys[i], json_object_get(def, keys[i]));
    return rc;
}

/* NULL: out of memory. */
static json_t *new_res_doc(op *o, const char *logical)
{
    json_t *def = res_def(o, logical);
    json_t *d = json_pack("{s:s, s:s, s:s}", "LogicalResourceId", logical, "ResourceType",
                          jstr(def, "Type"), "PhysicalResourceId", "");
    return jdone(d, copy_policies(d, def) ||
                        (jstr(def, "Description") &&
                         json_object_set(d, "Description", json_object_get(def, "Description"))));
}

/* 0, or -1 (out of memory). */
static int res_metadata(op *o, const char *logical, json_t *doc)
{
    json_t *m = json_object_get(res_def(o, logical), "Metadata");
    if (!m) {
        json_object_del(doc, "Metadata");
        return 0;
    }
    ferr e = {0};
    pthread_mutex_lock(&o->mu);
    json_t *v = cfn_resolve(&o->x, m, &e);
    pthread_mutex_unlock(&o->mu);
    if (!v) return e.status >= 500 ? -1 : 0;
    return json_object_set_new(doc, "Metadata", v);
}

/* ------------------------------------------------------------------ the graph */

/* A step: 0 done, -1 failed, 1 left unfinished for the next start (the engine stops). */
typedef int (*step_fn)(op *o, const char *logical);

typedef struct dag {
    op *o;
    size_t n;
    const char **ids;
    int **deps;                   /* -1 terminated */
    int *state;                   /* 0 pending, 1 running, 2 done, 3 failed */
    int running, failed, stopped; /* stopped: a step left for the next start */
    step_fn fn;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} dag;

typedef struct task {
    dag *d;
    int i;
    uint64_t fence; /* the operation's: a step writes nothing after a reset */
} task;

static void *task_main(void *arg)
{
    task *t = arg;
    dag *d = t->d;
    store_fence_enter(t->fence);
    int rc = d->fn(d->o, d->ids[t->i]);
    pthread_mutex_lock(&d->mu);
    d->state[t->i] = rc ? 3 : 2;
    if (rc == 1)
        d->stopped = 1;
    else if (rc)
        d->failed = 1;
    d->running--;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    free(t);
    return NULL;
}

/* Runs fn over ids respecting deps (reverse: a node waits for the nodes that depend on
 * it). Returns 0, -1 when a step failed, 1 when stopped by the engine stopping. */
static int dag_run(op *o, const json_t *ids, int reverse, step_fn fn)
{
    dag d = {0};
    d.o = o;
    d.n = json_array_size(ids);
    d.fn = fn;
    d.ids = calloc(d.n + 1, sizeof(*d.ids));
    d.deps = calloc(d.n + 1, sizeof(*d.deps));
    d.state = calloc(d.n + 1, sizeof(int));
    pthread_mutex_init(&d.mu, NULL);
    pthread_cond_init(&d.cv, NULL);
    for (size_t i = 0; i < d.n; i++) d.ids[i] = json_string_value(json_array_get(ids, i));
    int **fwd = calloc(d.n + 1, sizeof(*fwd));
    for (size_t i = 0; i < d.n; i++) {
        json_t *deps = cfn_resource_deps(o->tpl, d.ids[i]);
        fwd[i] = calloc(json_array_size(deps) + 1, sizeof(int));
        int k = 0;
        size_t j;
        json_t *v;
        json_array_foreach(deps, j, v)
            for (size_t m = 0; m < d.n; m++)
                if (m != i && !strcmp(d.ids[m], json_string_value(v))) fwd[i][k++] = (int)m;
        fwd[i][k] = -1;
        json_decref(deps);
    }
    for (size_t i = 0; i < d.n; i++) {
        d.deps[i] = calloc(d.n + 1, sizeof(int));
        int k = 0;
        if (!reverse) {
            for (int *w = fwd[i]; *w >= 0; w++) d.deps[i][k++] = *w;
        } else {
            for (size_t m = 0; m < d.n; m++)
                for (int *w = fwd[m]; *w >= 0; w++)
                    if (*w == (int)i) d.deps[i][k++] = (int)m;
        }
        d.deps[i][k] = -1;
    }
    int stop = 0;
    pthread_mutex_lock(&d.mu);
    for (;;) {
        if (!d.failed && !stop) {
            if (stopping() || d.stopped) stop = 1;
            for (size_t i = 0; i < d.n && d.running < PARALLEL && !stop; i++) {
                if (d.state[i]) continue;
                int ready = 1;
                for (int *w = d.deps[i]; *w >= 0; w++) ready &= d.state[*w] == 2;
                int blocked = 0;
                for (int *w = d.deps[i]; *w >= 0; w++) blocked |= d.state[*w] == 3;
                if (blocked) continue;
                if (!ready) continue;
                task *t = malloc(sizeof(*t));
                if (!t) { /* out of memory fails the step, and the operation rolls back */
                    log_error("cfn: out of memory starting a step");
                    d.failed = 1;
                    break;
                }
                t->d = &d;
                t->i = (int)i;
                t->fence = store_fence_current();
                d.state[i] = 1;
                d.running++;
                if (thread_start_detached(task_main, t)) {
                    /* no thread: run it here */
                    pthread_mutex_unlock(&d.mu);
                    task_main(t);
                    pthread_mutex_lock(&d.mu);
                }
            }
        }
        int pending = 0;
        for (size_t i = 0; i < d.n; i++) pending |= d.state[i] == 0;
        if (!d.running && (!pending || d.failed || stop)) break;
        if (!d.running && pending) {
            /* nothing runnable: the rest depend on failed steps */
            break;
        }
        pthread_cond_wait(&d.cv, &d.mu);
    }
    pthread_mutex_unlock(&d.mu);
    int rc = d.failed ? -1 : stop || d.stopped ? 1 : 0;
    for (size_t i = 0; i < d.n; i++) {
        free(fwd[i]);
        free(d.deps[i]);
    }
    free(fwd);
    free(d.ids);
    free(d.deps);
    free(d.state);
    pthread_mutex_destroy(&d.mu);
    pthread_cond_destroy(&d.cv);
    return rc;
}

/* ------------------------------------------------------------------ steps */

/* A create step's record, for cfn_intent. */
typedef struct step_intent {
    op *o;
    json_t *doc;
} step_intent;

/* cfn_intent for a create step: id joins the record's "Intents", committed before the
 * provider makes anything (provider.h). */
static int record_intent(cfn_pctx *p, const char *id)
{
    step_intent *si = p->step;
    json_t *l = json_object_get(si->doc, "Intents");
    if (!l && json_object_set_new(si->doc, "Intents", l = json_array())) return ferr_oom(p->e);
    if (json_array_append_new(l, json_string(id))) return ferr_oom(p->e);
    return commit_res(si->o, si->doc, p->logical_id, p->e);
}

/* The context of a provider create on doc's behalf (si lives as long as the call). */
static void pctx_create(op *o, cfn_pctx *p, const char *logical, ferr *e, step_intent *si,
                        json_t *doc)
{
    pctx_init(o, p, logical, e);
    *si = (step_intent){o, doc};
    p->intent = record_intent;
    p->step = si;
}

/* Test seam: FERRY_CFN_KILL_AFTER_CREATES=N (read at engine start) kills the server with
 * SIGKILL right after the Nth provider create returns, before its result is recorded: the
 * window in which a crash leaves a resource the stack has no record of
 * (tests/clients/test_cfn.py test_kill9_mid_create_leaves_no_orphans). */
static atomic_int kill_after_creates;

static void maybe_die(void)
{
    if (atomic_load(&kill_after_creates) > 0 && atomic_fetch_sub(&kill_after_creates, 1) == 1)
        raise(SIGKILL);
}

/* A provider's create or update succeeded: its result (NULL: keep the resource's values)
 * goes into doc, the status is committed and the values become visible to the steps that
 * depend on it. Consumes doc and result. */
static int step_done(op *o, json_t *doc, const char *status, json_t *result)
{
    int bad = result && apply_result(doc, result);
    json_decref(result);
    if (bad) return step_oom(o, jstr(doc, "LogicalResourceId"), doc);
    if (res_status(o, doc, status, NULL, NULL, NULL)) return step_unrecorded(o, doc);
    if (set_resv(o, jstr(doc, "LogicalResourceId"), doc))
        return step_oom(o, jstr(doc, "LogicalResourceId"), doc);
    json_decref(doc);
    return 0;
}

static int step_create(op *o, const char *logical)
{
    json_t *doc = NULL;
    ferr e = {0};
    int rc = step_load(o, logical, &doc);
    if (rc < 0) return -1;
    const char *tok = o->token;
    if (rc == 1 && !strcmp(jstr(doc, "ResourceStatus") ? jstr(doc, "ResourceStatus") : "",
                           "CREATE_COMPLETE")) {
        /* done before a restart */
        if (set_resv(o, logical, doc)) return step_oom(o, logical, doc);
        json_decref(doc);
        return 0;
    }
    if (rc == 0 || !doc) doc = new_res_doc(o, logical);
    if (doc) json_object_del(doc, "Intents"); /* of a create whose resource was deleted */
    if (!doc || (tok && json_object_set_new(doc, "Op", json_string(tok))) ||
        json_object_set_new(doc, "Added", json_true()))
        return step_oom(o, logical, doc);
    const cfn_provider *pv = cfn_find_provider(jstr(doc, "ResourceType"));
    json_t *props = resolve_props(o, logical, &e);
    if (!props || !pv) {
        if (!pv) ferr_validation(&e, "Unrecognized resource type %s", jstr(doc, "ResourceType"));
        json_decref(props);
        return step_failed(o, doc, "CREATE_FAILED", e.message);
    }
    if (name_props(o, pv, logical, doc, props, 0) || res_metadata(o, logical, doc)) {
        json_decref(props);
        return step_oom(o, logical, doc);
    }
    if (json_object_set_new(doc, "Props", props)) return step_oom(o, logical, doc);
    if (res_status(o, doc, "CREATE_IN_PROGRESS", NULL, props, NULL)) return step_unrecorded(o, doc);
    cfn_pctx p;
    step_intent si;
    pctx_create(o, &p, logical, &e, &si, doc);
    json_t *result = NULL, *live = live_props(&p, props, 0);
    if (!live) return step_failed(o, doc, "CREATE_FAILED", e.message);
    rc = cfn_provider_create(pv, &p, live, &result);
    json_decref(live);
    if (rc && pv->resumes && stopping()) {
        /* the wait ended because the engine stops: done again at the next start */
        json_decref(doc);
        return 1;
    }
    if (rc) {
        if (!ferr_isset(&e)) ferr_internal(&e, "%s create failed", pv->type);
        /* the provider undid what it made: nothing announced is ours to delete (a name
         * given in the template may be someone else's resource) */
        json_object_del(doc, "Intents");
        /* ... but a custom resource's failed create names what the rollback's Delete
         * request is for */
        const char *fpid = pv->resumes ? jstr(result, "PhysicalResourceId") : NULL;
        int bad =
            fpid && *fpid && json_object_set_new(doc, "PhysicalResourceId", json_string(fpid));
        json_decref(result);
        if (bad) return step_oom(o, logical, doc);
        /* AWS words a provider error as "<message> (Service: X, Status Code: N, ...)"; the
         * service's own message is what people need */
        return step_failed(o, doc, "CREATE_FAILED", e.message);
    }
    maybe_die();
    json_object_del(doc, "Intents"); /* the physical id is now known */
    return step_done(o, doc, "CREATE_COMPLETE", result);
}

static int is_live(const char *st)
{
    return st && *st && strcmp(st, "DELETE_COMPLETE") && strcmp(st, "DELETE_SKIPPED");
}

/* A DeletionPolicy or UpdateReplacePolicy that keeps the physical resource. */
static int retained(const char *policy)
{
    return policy && (!strcmp(policy, "Retain") || !strcmp(policy, "Snapshot") ||
                      !strcmp(policy, "RetainExceptOnCreate"));
}

/* Whether a record (a resource's, or an "Old"/"Discard" one) names a physical resource:
 * its id, or the intents of a create a crash interrupted (provider.h). */
static int has_physical(const json_t *rec)
{
    const char *phys = jstr(rec, "PhysicalResourceId");
    return (phys && *phys) || json_array_size(json_object_get(rec, "Intents"));
}

/* Deletes a physical resource of the type through its provider, with its DELETE_IN_PROGRESS
 * and then DELETE_COMPLETE or DELETE_FAILED records (events show physical). Without a
 * physical id, what the interrupted create announced (intents) is deleted, each gone one
 * counting as deleted. 0 deleted (or never created), -1 the provider failed (why in *e), -2
 * the store refused a record, -3 a provider that resumes gave up its wait because the
 * engine stops (nothing recorded: the delete is done again at the next start). */
static int delete_recorded(op *o, json_t *doc, const char *type, const char *physical,
                           const json_t *intents, const json_t *props, ferr *e)
{
    if (res_status(o, doc, "DELETE_IN_PROGRESS", NULL, NULL, physical)) return -2;
    const cfn_provider *pv = cfn_find_provider(type);
    int rc = 0;
    cfn_pctx p;
    pctx_init(o, &p, jstr(doc, "LogicalResourceId"), e);
    if (physical && *physical && pv) {
        if (pv->del(&p, physical, props)) rc = -1;
    } else if (pv) {
        size_t i;
        json_t *id;
        json_array_foreach(intents, i, id) {
            if (!json_string_value(id) || pv->del(&p, json_string_value(id), props)) rc = -1;
            if (rc) break;
        }
    }
    if (rc && pv && pv->resumes && stopping()) return -3; /* done again at the next start */
    if (rc && !ferr_isset(e)) ferr_internal(e, "%s delete failed", type);
    if (res_status(o, doc, rc ? "DELETE_FAILED" : "DELETE_COMPLETE", rc ? e->message : NULL, NULL,
                   physical))
        return rc ? rc : -2;
    return rc;
}

/* Deletes one resource for DELETE / ROLLBACK phases. */
static int step_delete(op *o, const char *logical)
{
    json_t *doc = NULL;
    int rc = step_load(o, logical, &doc);
    if (rc <= 0) return rc;
    const char *st = jstr(doc, "ResourceStatus");
    if (!is_live(st)) {
        json_decref(doc);
        return 0;
    }
    const char *policy = jstr(doc, "DeletionPolicy");
    /* AWS: RetainExceptOnCreate deletes on a create rollback */
    const char *ss = jstr(o->stack, "StackStatus");
    if (policy && !strcmp(policy, "RetainExceptOnCreate") && !strcmp(ss, "ROLLBACK_IN_PROGRESS"))
        policy = "Delete";
    const char *phys = jstr(doc, "PhysicalResourceId");
    if (retained(policy) && has_physical(doc)) {
        if (res_status(o, doc, "DELETE_SKIPPED", NULL, NULL, NULL)) return step_unrecorded(o, doc);
        json_decref(doc);
        return 0;
    }
    ferr e = {0};
    rc = delete_recorded(o, doc, jstr(doc, "ResourceType"), phys, json_object_get(doc, "Intents"),
                         json_object_get(doc, "Props"), &e);
    if (rc == -2) return step_unrecorded(o, doc);
    if (rc == -3) {
        json_decref(doc);
        return 1;
    }
    if (rc) op_fail(o, logical, e.message);
    json_decref(doc);
    return rc;
}

/* ------------------------------------------------------------------ phases */

/* NULL: out of memory. */
static json_t *live_ids_in_template(op *o)
{
    json_t *ids = json_array();
    int rc = !ids;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(o->tpl, "Resources"), k, v) {
        const char *c = jstr(v, "Condition");
        if (c) {
            ferr e = {0};
            if (cfn_condition(&o->x, c, &e) != 1) continue;
        }
        rc |= json_array_append_new(ids, json_string(k));
    }
    return jdone(ids, rc);
}

typedef struct collect {
    const char *prefix;
    json_t *docs;
    int oom;
} collect;

static int collect_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    collect *c = ud;
    c->oom |= json_array_append(c->docs, doc);
    return 0;
}

/* Every resource document of the stack (new array). */
static json_t *all_res(op *o, ferr *e)
{
    store_txn *t = NULL;
    if (store_begin(o->env->st, 0, &t, e)) return NULL;
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "%s/", o->r.uuid);
    collect c = {prefix, json_array(), 0};
    int rc = !c.docs ? ferr_oom(e)
                     : store_list(t, CFN_KIND_RES, o->r.account, o->r.region, prefix, NULL, 0,
                                  collect_cb, &c, e);
    store_rollback(t);
    if (rc >= 0 && c.oom) rc = ferr_oom(e);
    if (rc < 0) {
        json_decref(c.docs);
        return NULL;
    }
    return c.docs;
}

/* Runs fn over the stack's resource records (live_only: those not deleted) in reverse
 * dependency order: dag_run's result, and 1 (resume later) when the store failed. */
static int run_over_records(op *o, int live_only, step_fn fn)
{
    ferr e = {0};
    json_t *docs = all_res(o, &e);
    if (!docs) return store_trouble(o, "cannot list the resources", &e), 1;
    json_t *ids = json_array();
    int bad = !ids;
    size_t i;
    json_t *d;
    json_array_foreach(docs, i, d)
        if (!live_only || is_live(jstr(d, "ResourceStatus")))
            bad |= json_array_append(ids, json_object_get(d, "LogicalResourceId"));
    json_decref(docs);
    if (bad) {
        json_decref(ids);
        return store_trouble(o, "out of memory", NULL), 1;
    }
    int rc = dag_run(o, ids, 1, fn);
    json_decref(ids);
    return rc;
}

/* Runs fn over the template's resources (those whose Condition holds) in dependency order:
 * dag_run's result, or -1 when the template gives no order (the reason recorded). */
static int run_in_template_order(op *o, step_fn fn)
{
    ferr e = {0};
    json_t *ids = live_ids_in_template(o);
    json_t *order = ids ? cfn_order(o->tpl, ids, &e) : NULL;
    if (!ids) ferr_oom(&e);
    json_decref(ids);
    if (!order) return op_fail(o, NULL, e.message), -1;
    int rc = dag_run(o, order, 0, fn);
    json_decref(order);
    return rc;
}

/* The template of a backward phase (delete, rollbacks): which, else fallback (NULL: none).
 * One that is gone or no longer parses gives no order: every resource goes at once.
 * 0, or -1 when the store failed. */
static int load_template_lenient(op *o, const char *which, const char *fallback)
{
    ferr e = {0};
    store_txn *t = NULL;
    if (store_begin(o->env->st, 0, &t, &e)) return store_trouble(o, "cannot read the template", &e);
    char *body = cfn_template_body(t, o->stack, which, &e);
    if (!body && fallback) body = cfn_template_body(t, o->stack, fallback, &e);
    store_rollback(t);
    o->tpl = body ? cfn_template_parse(body, strlen(body), &e) : NULL;
    free(body);
    if (!o->tpl) o->tpl = json_pack("{s:{}}", "Resources");
    return o->tpl ? 0 : store_trouble(o, "out of memory", NULL);
}

/* Parameters as typed values; SSM parameter types resolved through SSM. */
static int load_params(op *o, const json_t *raw, json_t **resolved_out, ferr *e)
{
    json_t *decl = json_object_get(o->tpl, "Parameters");
    json_t *vals = json_object(), *resolved = json_object();
    const char *k;
    json_t *v;
    if (!vals || !resolved) {
        json_decref(vals);
        json_decref(resolved);
        return ferr_oom(e);
    }
    json_object_foreach((json_t *)raw, k, v) {
        json_t *pd = json_object_get(decl, k);
        const char *s = json_string_value(v);
        char *val = NULL;
        if (pd && cfn_param_is_ssm(pd)) {
            json_t *in = json_pack("{s:s}", "Name", s), *out = NULL;
            ferr se = {0};
            if (!svc_find("ssm") || svc_invoke(o->env, &o->as, o->r.region, "ssm", "GetParameter",
                                               in, &out, NULL, &se)) {
                json_decref(in);
                json_decref(vals);
                json_decref(resolved);
                return ferr_validation(e,
                                       "Unable to fetch parameters [%s] from parameter store for "
                                       "this account.",
                                       s);
            }
            json_decref(in);
            const char *pv = jstr(json_object_get(out, "Parameter"), "Value");
            val = strdup(pv ? pv : "");
            json_decref(out);
            if (!val || json_object_set_new(resolved, k, json_string(val))) {
                free(val);
                json_decref(vals);
                json_decref(resolved);
                return ferr_oom(e);
            }
        }
        int bad = json_object_set_new(vals, k, cfn_param_value(pd, val ? val : s));
        free(val);
        if (bad) {
            json_decref(vals);
            json_decref(resolved);
            return ferr_oom(e);
        }
    }
    o->params = vals;
    if (resolved_out)
        *resolved_out = resolved;
    else
        json_decref(resolved);
    return 0;
}

static int op_init(op *o, const char *which, const json_t *raw, ferr *e)
{
    store_txn *t = NULL;
    if (store_begin(o->env->st, 0, &t, e)) return -1;
    char *body = cfn_template_body(t, o->stack, which, e);
    store_rollback(t);
    if (!body) return -1;
    o->tpl = cfn_template_parse(body, strlen(body), e);
    free(body);
    if (!o->tpl) return -1;
    json_t *resolved = NULL;
    if (load_params(o, raw, &resolved, e)) return -1;
    if (json_object_size(resolved)) {
        /* DescribeStacks shows ResolvedValue for SSM parameters */
        json_t *ps = json_object_get(o->stack, "Parameters");
        size_t i;
        json_t *p;
        json_array_foreach(ps, i, p) {
            json_t *rv = json_object_get(resolved, jstr(p, "ParameterKey"));
            if (rv && json_object_set(p, "ResolvedValue", rv)) {
                json_decref(resolved);
                return ferr_oom(e);
            }
        }
    }
    json_decref(resolved);
    o->resv = json_object();
    o->x.tpl = o->tpl;
    o->x.account = o->r.account;
    o->x.region = o->r.region;
    o->x.stack_name = jstr(o->stack, "StackName");
    o->x.stack_id = jstr(o->stack, "StackId");
    o->x.notification_arns = json_object_get(o->stack, "NotificationARNs");
    o->x.params = o->params;
    o->x.conds = json_object();
    o->x.res = o->resv;
    o->x.strict = 1;
    o->x.import = import_cb;
    o->x.ud = o;
    o->x.imports = json_array();
    return cfn_conditions_all(&o->x, e);
}

static void op_dispose(op *o)
{
    json_decref(o->stack);
    json_decref(o->tpl);
    json_decref(o->params);
    json_decref(o->resv);
    json_decref(o->x.conds);
    json_decref(o->x.imports);
    json_decref(o->failed);
    pthread_mutex_destroy(&o->mu);
}

static int notify_settled(op *o)
{
    char key[300];
    snprintf(key, sizeof(key), CFN_SETTLED_KEY "%s", jstr(o->stack, "StackId"));
    svc_notify(o->env, key);
    pthread_mutex_lock(&E.mu);
    pthread_cond_broadcast(&E.cv);
    pthread_mutex_unlock(&E.mu);
    return 0;
}

/* Change set bookkeeping when an operation that came from one ends (a change set deleted
 * meanwhile has none). 0 or -1. */
static int changeset_done(store_txn *t, op *o, const char *exec_status, ferr *e)
{
    const char *cs = jstr(json_object_get(o->stack, "_op"), "ChangeSetUuid");
    if (!cs) return 0;
    store_key k = {CFN_KIND_CHANGESET, o->r.account, o->r.region, cs};
    json_t *d = NULL;
    int rc = store_get(t, &k, &d, e);
    if (rc == 1) {
        rc = json_object_set_new(d, "ExecutionStatus", json_string(exec_status))
                 ? ferr_oom(e)
                 : store_put(t, &k, d, e);
        json_decref(d);
    }
    return rc < 0 ? -1 : 0;
}

/* Test seam: FERRY_CFN_FAIL_STATUS_COMMITS=N (read at engine start) fails the next N stack
 * status commits as a failing store would (tests/clients/test_cfn_store.py). */
static atomic_int fail_status_commits;

static int injected_failure(ferr *e)
{
    int n = atomic_load(&fail_status_commits);
    while (n > 0)
        if (atomic_compare_exchange_weak(&fail_status_commits, &n, n - 1))
            return ferr_internal(e, "store: injected commit failure");
    return 0;
}

/* Sets the stack status (and reason) in one transaction with its event; extra(t) may add
 * writes to the same transaction. Returns 0 or -1. */
static int set_status_e(op *o, const char *status, const char *reason,
                        int (*extra)(store_txn *t, op *o, ferr *e), ferr *eout)
{
    ferr e = {0};
    store_txn *t = NULL;
    json_t *ev = NULL;
    if (store_begin(o->env->st, 1, &t, &e)) goto fail;
    json_t *cur = NULL;
    int rc = cfn_stack_find(t, o->r.account, o->r.region, jstr(o->stack, "StackId"), &cur, &e);
    if (rc <= 0) {
        store_rollback(t);
        if (rc == 0) ferr_internal(&e, "stack vanished");
        goto fail;
    }
    /* the snapshot carries the phase's changes (Parameters, Outputs); keep what the API
     * changed meanwhile (termination protection, policy, cancel requests) */
    json_t *keep[] = {json_object_get(cur, "EnableTerminationProtection"),
                      json_object_get(cur, "_policy")};
    if (!(reason && *reason)) json_object_del(o->stack, "StackStatusReason");
    int bad = (keep[0] && json_object_set(o->stack, "EnableTerminationProtection", keep[0])) ||
              (keep[1] && json_object_set(o->stack, "_policy", keep[1])) ||
              json_object_set_new(o->stack, "StackStatus", json_string(status)) ||
              (reason && *reason &&
               json_object_set_new(o->stack, "StackStatusReason", json_string(reason)));
    json_decref(cur);
    if (bad) {
        store_rollback(t);
        ferr_oom(&e);
        goto fail;
    }
    if (extra && extra(t, o, &e)) {
        store_rollback(t);
        goto fail;
    }
    if (cfn_stack_put(t, o->stack, &e)) {
        store_rollback(t);
        goto fail;
    }
    ev = cfn_event_add(t, o->stack, NULL, NULL, NULL, status, reason, NULL, &e);
    if (!ev || injected_failure(&e)) {
        store_rollback(t);
        goto fail;
    }
    if (store_commit(t, &e)) goto fail;
    log_info("cfn: stack %s %s%s%s", jstr(o->stack, "StackName"), status,
             reason && *reason ? ": " : "", reason ? reason : "");
    publish(o, ev);
    json_decref(ev);
    if (!cfn_status_busy(status)) notify_settled(o);
    return 0;
fail:
    json_decref(ev);
    log_error("cfn: stack %s: cannot set %s: %s", jstr(o->stack, "StackName"), status, e.message);
    if (eout) *eout = e;
    return -1;
}

/* set_status_e for the engine's own transitions, whose extras only write: a failure is the
 * store's, and the phase is done again (set_status_e logged it). */
static int set_status(op *o, const char *status, const char *reason,
                      int (*extra)(store_txn *t, op *o, ferr *e))
{
    if (!set_status_e(o, status, reason, extra, NULL)) return 0;
    return store_trouble(o, "the stack status is not recorded", NULL);
}

/* Resources left *_IN_PROGRESS by a server that stopped mid-step. */
static json_t *stale_steps(op *o, ferr *e)
{
    json_t *docs = all_res(o, e);
    if (!docs) return NULL;
    json_t *stale = json_array();
    int rc = !stale;
    size_t i;
    json_t *d;
    json_array_foreach(docs, i, d) {
        const char *st = jstr(d, "ResourceStatus");
        if (st && strstr(st, "_IN_PROGRESS")) rc |= json_array_append(stale, d);
    }
    json_decref(docs);
    if (rc) ferr_oom(e);
    return jdone(stale, rc);
}

static const char *interrupted = "Resource handler was interrupted by a server restart; "
                                 "its state is not known";

/* Marks stale steps failed_status; a forward phase also counts them among the operation's
 * failures (a rollback is undoing them from their Old record). forward 2 (a create): the
 * creates of providers that resume (provider.h) are left to be done again. Returns how many
 * were marked, or -1 when the store failed (the phase is done again). */
static int fail_stale(op *o, const char *failed_status, int forward)
{
    ferr e = {0};
    json_t *stale = stale_steps(o, &e);
    if (!stale) return store_trouble(o, "cannot list the resources", &e);
    size_t i;
    json_t *d;
    int unrecorded = 0, n = 0;
    json_array_foreach(stale, i, d) {
        /* a create that waits on someone else (a custom resource's response) is done again:
         * its provider picks up the request it sent */
        const cfn_provider *pv = cfn_find_provider(jstr(d, "ResourceType"));
        if (forward == 2 && pv && pv->resumes &&
            !strcmp(jstr(d, "ResourceStatus"), "CREATE_IN_PROGRESS"))
            continue;
        n++;
        /* one not recorded is stale again when the phase is done again */
        if (res_status(o, d, failed_status, interrupted, NULL, NULL))
            unrecorded = 1;
        else if (forward)
            op_fail(o, jstr(d, "LogicalResourceId"), interrupted);
    }
    json_decref(stale);
    if (unrecorded) return store_trouble(o, "cannot record an interrupted step", NULL);
    return n;
}

static char *failed_list(op *o, const char *verb)
{
    buf b;
    buf_init(&b, 8192);
    size_t i;
    json_t *v;
    json_array_foreach(o->failed, i, v) buf_printf(&b, "%s%s", i ? ", " : "", json_string_value(v));
    char *s = malloc(b.len + 128);
    if (s) sprintf(s, "The following resource(s) failed to %s: [%s]. ", verb, buf_str(&b));
    buf_dispose(&b);
    return s;
}

/* Why a forward phase failed: the resources that failed, else the phase's own reason. */
static char *failure_reason(op *o, const char *verb)
{
    return json_array_size(o->failed) ? failed_list(o, verb) : strdup(o->reason);
}

/* Ends a phase whose steps failed with status, the failed resources as reason. Returns 0
 * (no phase follows). */
static int fail_listed(op *o, const char *status, const char *verb)
{
    char *why = failed_list(o, verb);
    set_status(o, status, why, NULL);
    free(why);
    return 0;
}

/* Outputs (and the exports they declare), resolved strictly. */
static json_t *resolve_outputs(op *o, json_t **exports, ferr *e)
{
    json_t *outs = json_array();
    *exports = json_object();
    const char *k;
    json_t *v;
    if (!outs || !*exports) goto oom;
    json_object_foreach(json_object_get(o->tpl, "Outputs"), k, v) {
        const char *c = jstr(v, "Condition");
        if (c && cfn_condition(&o->x, c, e) != 1) continue;
        json_t *val = cfn_resolve(&o->x, json_object_get(v, "Value"), e);
        if (!val) goto fail;
        /* a list is joined with commas; numbers keep the template's text (cfn_param_text) */
        int textual = json_is_array(val) || json_is_string(val) || json_is_number(val) ||
                      json_is_boolean(val);
        char *text = textual ? cfn_param_text(val) : NULL;
        json_decref(val);
        if (!text && textual) goto oom;
        pthread_mutex_lock(&o->mu);
        int masked = cfn_custom_masked(json_object_get(v, "Value"), o->resv);
        pthread_mutex_unlock(&o->mu);
        if (!text) {
            ferr_validation(e, "Template format error: The Value field of every Outputs member "
                               "must evaluate to a String and not a Map.");
            goto fail;
        }
        json_t *o1 = json_pack("{s:s, s:s}", "OutputKey", k, "OutputValue", masked ? "****" : text);
        if (!o1 || (jstr(v, "Description") &&
                    json_object_set(o1, "Description", json_object_get(v, "Description")))) {
            json_decref(o1);
            free(text);
            goto oom;
        }
        json_t *ex = json_object_get(v, "Export");
        if (ex) {
            json_t *name = cfn_resolve(&o->x, json_object_get(ex, "Name"), e);
            if (!name || !json_is_string(name)) {
                if (name)
                    ferr_validation(
                        e, "Template error: the Export Name of output %s must be a string", k);
                json_decref(name);
                json_decref(o1);
                free(text);
                goto fail;
            }
            int bad = json_object_set(o1, "ExportName", name) ||
                      json_object_set_new(*exports, json_string_value(name), json_string(text));
            json_decref(name);
            if (bad) {
                json_decref(o1);
                free(text);
                goto oom;
            }
        }
        free(text);
        if (json_array_append_new(outs, o1)) goto oom;
    }
    return outs;
oom:
    ferr_oom(e);
fail:
    json_decref(outs);
    json_decref(*exports);
    *exports = NULL;
    return NULL;
}

typedef struct imp_collect {
    const char *stack_id;
    json_t *names; /* importers' stack names */
    int oom;
} imp_collect;

static int imp_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    imp_collect *c = ud;
    if (strcmp(jstr(doc, "StackId"), c->stack_id))
        c->oom |= json_array_append(c->names, json_object_get(doc, "StackName"));
    return 0;
}

/* Stack names (other than ours) importing export `name`; new array. */
static json_t *importers(store_txn *t, op *o, const char *name, ferr *e)
{
    char prefix[600];
    snprintf(prefix, sizeof(prefix), "%s\t", name);
    imp_collect c = {jstr(o->stack, "StackId"), json_array(), 0};
    if (!c.names ||
        store_list(t, CFN_KIND_IMPORT, o->r.account, o->r.region, prefix, NULL, 0, imp_cb, &c, e) <
            0 ||
        (c.oom && ferr_oom(e))) {
        if (!c.names) ferr_oom(e);
        json_decref(c.names);
        return NULL;
    }
    return c.names;
}

static int in_use_error(ferr *e, const char *fmt, const char *name, json_t *names)
{
    buf b;
    buf_init(&b, 4096);
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v) buf_printf(&b, "%s%s", i ? ", " : "", json_string_value(v));
    ferr_validation(e, fmt, name, buf_str(&b));
    buf_dispose(&b);
    return -1;
}

/* Whether an export of the stack (other than those in keep, NULL: none) is imported by
 * another stack, which forbids deleting it: 1 (the ValidationError in e), 0 no, -1 the
 * store failed. */
static int exports_in_use(op *o, const json_t *keep, ferr *e)
{
    store_txn *t = NULL;
    if (store_begin(o->env->st, 0, &t, e)) return -1;
    int rc = 0;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(o->stack, "_exports"), k, v) {
        if (keep && json_object_get(keep, k)) continue;
        json_t *users = importers(t, o, k, e);
        if (!users)
            rc = -1;
        else if (json_array_size(users)) {
            in_use_error(e, "Export %s cannot be deleted as it is in use by %s", k, users);
            rc = 1;
        }
        json_decref(users);
        if (rc) break;
    }
    store_rollback(t);
    return rc;
}

/* Writes exports (checking ownership and imports) and our imports. */
static json_t *g_exports; /* per-call scratch, guarded by the store's write lock */

static int write_exports(store_txn *t, op *o, json_t *exports, ferr *e)
{
    const char *sid = jstr(o->stack, "StackId");
    /* old exports of this stack that go away or change */
    json_t *old = json_object_get(o->stack, "_exports");
    const char *k;
    json_t *v;
    json_object_foreach(old, k, v) {
        json_t *nv = json_object_get(exports, k);
        if (nv && json_equal(nv, v)) continue;
        json_t *users = importers(t, o, k, e);
        if (!users) return -1;
        if (json_array_size(users)) {
            int rc =
                nv ? in_use_error(e, "Cannot update export %s as it is in use by %s", k, users)
                   : in_use_error(e, "Export %s cannot be deleted as it is in use by %s", k, users);
            json_decref(users);
            return rc;
        }
        json_decref(users);
        if (!nv) {
            store_key ek = {CFN_KIND_EXPORT, o->r.account, o->r.region, k};
            if (store_del(t, &ek, e) < 0) return -1;
        }
    }
    json_object_foreach(exports, k, v) {
        store_key ek = {CFN_KIND_EXPORT, o->r.account, o->r.region, k};
        json_t *cur = NULL;
        int rc = store_get(t, &ek, &cur, e);
        if (rc < 0) return -1;
        if (rc == 1 && strcmp(jstr(cur, "ExportingStackId"), sid)) {
            const char *other = jstr(cur, "ExportingStackId");
            const char *slash = strchr(other, '/');
            char oname[256] = "";
            if (slash)
                snprintf(oname, sizeof(oname), "%.*s", (int)(strcspn(slash + 1, "/")), slash + 1);
            json_decref(cur);
            return ferr_validation(e, "Export with name %s is already exported by stack %s", k,
                                   oname[0] ? oname : other);
        }
        json_decref(cur);
        json_t *d = json_pack("{s:s, s:O, s:s}", "Name", k, "Value", v, "ExportingStackId", sid);
        rc = store_put(t, &ek, d, e);
        json_decref(d);
        if (rc) return -1;
    }
    if (json_object_set(o->stack, "_exports", exports)) return ferr_oom(e);
    /* imports: replace ours with what this operation resolved */
    json_t *prev = json_object_get(o->stack, "_imports");
    size_t i;
    json_array_foreach(prev, i, v) {
        char id[800];
        snprintf(id, sizeof(id), "%s\t%s", json_string_value(v), sid);
        store_key ik = {CFN_KIND_IMPORT, o->r.account, o->r.region, id};
        if (store_del(t, &ik, e) < 0) return -1;
    }
    json_array_foreach(o->x.imports, i, v) {
        char id[800];
        snprintf(id, sizeof(id), "%s\t%s", json_string_value(v), sid);
        store_key ik = {CFN_KIND_IMPORT, o->r.account, o->r.region, id};
        json_t *d = json_pack("{s:O, s:s, s:s}", "ExportName", v, "StackId", sid, "StackName",
                              jstr(o->stack, "StackName"));
        int rc = store_put(t, &ik, d, e);
        json_decref(d);
        if (rc) return -1;
    }
    return json_object_set(o->stack, "_imports", o->x.imports) ? ferr_oom(e) : 0;
}

static int extra_cs_failed(store_txn *t, op *o, ferr *e)
{
    return changeset_done(t, o, "EXECUTE_FAILED", e);
}

static pthread_mutex_t exports_mu = PTHREAD_MUTEX_INITIALIZER;

static int extra_create_done(store_txn *t, op *o, ferr *e)
{
    if (write_exports(t, o, g_exports, e)) return -1;
    return changeset_done(t, o, "EXECUTE_COMPLETE", e);
}

/* Finishes a create: outputs, exports, CREATE_COMPLETE in one transaction. */
static int finish_create(op *o, ferr *e)
{
    json_t *exports = NULL;
    json_t *outs = resolve_outputs(o, &exports, e);
    if (!outs) return -1;
    if (json_object_set_new(o->stack, "Outputs", outs)) {
        json_decref(exports);
        return ferr_oom(e);
    }
    pthread_mutex_lock(&exports_mu);
    g_exports = exports;
    int rc = set_status_e(o, "CREATE_COMPLETE", NULL, extra_create_done, e);
    g_exports = NULL;
    pthread_mutex_unlock(&exports_mu);
    json_decref(exports);
    if (rc) json_object_del(o->stack, "Outputs");
    return rc;
}

static int phase_create(op *o)
{
    ferr e = {0};
    int stale = fail_stale(o, "CREATE_FAILED", 2);
    if (stale < 0) return 0;
    if (stale) goto failed;
    if (op_init(o, "cur", json_object_get(o->stack, "_raw"), &e)) {
        op_fail(o, NULL, e.message);
        goto failed;
    }
    int rc = run_in_template_order(o, step_create);
    if (rc == 1) return 0; /* stopping: resume later */
    if (rc) goto failed;
    if (finish_create(o, &e)) {
        /* outputs and exports that cannot be are the stack's failure; a store that
         * cannot record them is not: the phase is done again */
        if (e.status >= 500) return store_trouble(o, "cannot record the stack's creation", &e), 0;
        op_fail(o, NULL, e.message);
        goto failed;
    }
    return 0;
failed:;
    const char *onf = jstr(json_object_get(o->stack, "_op"), "OnFailure");
    if (!onf)
        onf =
            json_is_true(json_object_get(o->stack, "DisableRollback")) ? "DO_NOTHING" : "ROLLBACK";
    char *why = failure_reason(o, "create");
    if (!strcmp(onf, "DO_NOTHING")) {
        set_status(o, "CREATE_FAILED", why, extra_cs_failed);
        free(why);
        return 0;
    }
    char msg[1400];
    snprintf(msg, sizeof(msg), "%s%s", why,
             json_array_size(o->failed) ? (!strcmp(onf, "DELETE") ? "Delete requested by user."
                                                                  : "Rollback requested by user.")
                                        : "");
    free(why);
    set_status(o, !strcmp(onf, "DELETE") ? "DELETE_IN_PROGRESS" : "ROLLBACK_IN_PROGRESS", msg,
               extra_cs_failed);
    return 1;
}

/* Reverse-order deletion of every live resource (DELETE and create ROLLBACK). */
static int phase_delete(op *o, int rollback)
{
    ferr e = {0};
    if (!rollback) {
        /* AWS: a stack whose exports are imported cannot be deleted */
        int rc = exports_in_use(o, NULL, &e);
        if (rc < 0) return store_trouble(o, "cannot read the stack's importers", &e), 0;
        if (rc) {
            set_status(o, "DELETE_FAILED", e.message, NULL);
            return 0;
        }
    }
    /* the template gives the order */
    if (load_template_lenient(o, "cur", NULL)) return 0;
    int rc = run_over_records(o, 1, step_delete);
    if (rc == 1) return 0;
    if (rc) return fail_listed(o, rollback ? "ROLLBACK_FAILED" : "DELETE_FAILED", "delete");
    if (rollback) {
        set_status(o, "ROLLBACK_COMPLETE", NULL, NULL);
        return 0;
    }
    return 2; /* the caller finishes the deletion */
}

static int extra_deleted(store_txn *t, op *o, ferr *e)
{
    if (json_object_set_new(o->stack, "DeletionTime", json_real(clock_now()))) return ferr_oom(e);
    store_key nk = {CFN_KIND_NAME, o->r.account, o->r.region, jstr(o->stack, "StackName")};
    json_t *cur = NULL;
    int rc = store_get(t, &nk, &cur, e);
    if (rc < 0) return -1;
    if (rc == 1 && !strcmp(jstr(cur, "Id"), o->r.uuid) && store_del(t, &nk, e) < 0) {
        json_decref(cur);
        return -1;
    }
    json_decref(cur);
    /* exports go; imports go */
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(o->stack, "_exports"), k, v) {
        store_key ek = {CFN_KIND_EXPORT, o->r.account, o->r.region, k};
        if (store_del(t, &ek, e) < 0) return -1;
    }
    size_t i;
    json_array_foreach(json_object_get(o->stack, "_imports"), i, v) {
        char id[800];
        snprintf(id, sizeof(id), "%s\t%s", json_string_value(v), jstr(o->stack, "StackId"));
        store_key ik = {CFN_KIND_IMPORT, o->r.account, o->r.region, id};
        if (store_del(t, &ik, e) < 0) return -1;
    }
    return json_object_set_new(o->stack, "_exports", json_object()) ||
                   json_object_set_new(o->stack, "_imports", json_array())
               ? ferr_oom(e)
               : 0;
}

/* ---- update */

static int changed_requires_replace(const cfn_provider *pv, const json_t *a, const json_t *b)
{
    if (!cfn_provider_can_update(pv)) return 1;
    for (const char *const *r = pv->replace_on; r && *r; r++) {
        json_t *x = json_object_get(a, *r), *y = json_object_get(b, *r);
        if ((x || y) && !(x && y && json_equal(x, y))) return 1;
    }
    return 0;
}

static int step_update(op *o, const char *logical)
{
    json_t *doc = NULL;
    ferr e = {0};
    store_txn *t = NULL;
    if (store_begin(o->env->st, 0, &t, &e)) return op_fail(o, logical, e.message), -1;
    /* CancelUpdateStack: the steps not started yet fail, the update rolls back */
    json_t *now = NULL;
    int cancelled =
        cfn_stack_find(t, o->r.account, o->r.region, jstr(o->stack, "StackId"), &now, &e) == 1 &&
        json_is_true(json_object_get(now, "_cancel"));
    json_decref(now);
    int rc = cancelled ? 0 : load_res(t, o, logical, &doc, &e);
    store_rollback(t);
    if (cancelled) return op_fail(o, logical, "Resource update cancelled"), -1;
    if (rc < 0) return op_fail(o, logical, e.message), -1;
    if (rc == 0 || !is_live(jstr(doc, "ResourceStatus"))) {
        json_decref(doc);
        return step_create(o, logical);
    }
    const char *st = jstr(doc, "ResourceStatus");
    if (jstr(doc, "Op") && !strcmp(jstr(doc, "Op"), o->token) &&
        (!strcmp(st, "UPDATE_COMPLETE") || !strcmp(st, "CREATE_COMPLETE"))) {
        if (set_resv(o, logical, doc)) return step_oom(o, logical, doc);
        json_decref(doc);
        return 0;
    }
    const char *newtype = jstr(res_def(o, logical), "Type");
    const cfn_provider *pv = cfn_find_provider(newtype);
    json_t *props = resolve_props(o, logical, &e);
    if (!props || !pv) {
        if (!pv) ferr_validation(&e, "Unrecognized resource type %s", newtype);
        json_decref(props);
        return step_failed(o, doc, "UPDATE_FAILED", e.message);
    }
    int type_changed = strcmp(newtype, jstr(doc, "ResourceType"));
    json_t *oldprops = json_object_get(doc, "Props");
    json_t *olddoc = json_deep_copy(doc);
    if (!olddoc || (!type_changed && name_props(o, pv, logical, doc, props, 0)) ||
        res_metadata(o, logical, doc)) {
        json_decref(olddoc);
        json_decref(props);
        return step_oom(o, logical, doc);
    }
    int same_meta = json_equal(
        json_object_get(doc, "Metadata") ? json_object_get(doc, "Metadata") : json_null(),
        json_object_get(olddoc, "Metadata") ? json_object_get(olddoc, "Metadata") : json_null());
    json_t *def = res_def(o, logical);
    /* policies change without touching the resource */
    json_object_del(doc, "DeletionPolicy");
    json_object_del(doc, "UpdateReplacePolicy");
    if (copy_policies(doc, def)) {
        json_decref(olddoc);
        json_decref(props);
        return step_oom(o, logical, doc);
    }
    if (!type_changed && oldprops && json_equal(oldprops, props)) {
        json_decref(olddoc);
        json_decref(props);
        if (!same_meta) {
            /* AWS: a Metadata-only change updates the resource record */
            if (json_object_set_new(doc, "Op", json_string(o->token)))
                return step_oom(o, logical, doc);
            return step_done(o, doc, "UPDATE_COMPLETE", NULL);
        }
        if (commit_res(o, doc, logical, &e)) return step_unrecorded(o, doc);
        if (set_resv(o, logical, doc)) return step_oom(o, logical, doc);
        json_decref(doc);
        return 0;
    }
    int replace = type_changed || changed_requires_replace(pv, oldprops, props);
    if (replace && pv->name_property &&
        json_object_get(json_object_get(def, "Properties"), pv->name_property) &&
        json_equal(json_object_get(oldprops, pv->name_property),
                   json_object_get(props, pv->name_property))) {
        char msg[600];
        snprintf(msg, sizeof(msg),
                 "CloudFormation cannot update a stack when a custom-named resource "
                 "requires replacing. Rename %s and update the stack again.",
                 json_string_value(json_object_get(props, pv->name_property)));
        json_decref(olddoc);
        json_decref(props);
        return step_failed(o, doc, "UPDATE_FAILED", msg);
    }
    json_t *old = json_pack(
        "{s:O, s:o, s:O, s:o, s:O}", "PhysicalResourceId",
        json_object_get(olddoc, "PhysicalResourceId"), "Props",
        oldprops ? json_incref(oldprops) : json_object(), "Ref",
        json_object_get(olddoc, "Ref") ? json_object_get(olddoc, "Ref") : json_null(), "Attributes",
        json_object_get(olddoc, "Attributes") ? json_incref(json_object_get(olddoc, "Attributes"))
                                              : json_object(),
        "ResourceType", json_object_get(olddoc, "ResourceType"));
    int bad = !old ||
              (jstr(olddoc, "GenName") &&
               json_object_set(old, "GenName", json_object_get(olddoc, "GenName"))) ||
              (jstr(olddoc, "UpdateReplacePolicy") &&
               json_object_set(old, "UpdateReplacePolicy",
                               json_object_get(olddoc, "UpdateReplacePolicy")));
    bad |= json_object_set_new(doc, "Old", old); /* takes old in any case */
    bad = bad || json_object_set_new(doc, "Op", json_string(o->token));
    json_object_del(doc, "Added");
    if (!bad && replace) {
        /* a new generated name for the new resource */
        int generated = pv->name_property &&
                        !json_object_get(json_object_get(def, "Properties"), pv->name_property);
        if (generated) json_object_del(props, pv->name_property);
        bad = json_object_set_new(doc, "ResourceType", json_string(newtype)) ||
              name_props(o, pv, logical, doc, props, 1) ||
              (generated &&
               json_object_set(props, pv->name_property, json_object_get(doc, "GenName"))) ||
              json_object_set_new(doc, "Replaced", json_true());
    }
    if (bad || json_object_set(doc, "Props", props)) {
        json_decref(olddoc);
        json_decref(props);
        return step_oom(o, logical, doc);
    }
    if (res_status(o, doc, "UPDATE_IN_PROGRESS",
                   replace ? "Requested update requires the creation of a new physical resource; "
                             "hence creating one."
                           : NULL,
                   props, NULL)) {
        json_decref(olddoc);
        json_decref(props);
        return step_unrecorded(o, doc);
    }
    cfn_pctx p;
    step_intent si;
    pctx_create(o, &p, logical, &e, &si, doc);
    json_t *result = NULL, *live = live_props(&p, props, 0), *old_live = NULL;
    if (!live)
        rc = -1;
    else if (replace) {
        rc = cfn_provider_create(pv, &p, live, &result);
        if (!rc) maybe_die();
    } else {
        old_live = live_props(&p, oldprops, 1);
        rc = cfn_provider_update(pv, &p, jstr(olddoc, "PhysicalResourceId"),
                                 old_live ? old_live : oldprops, live, &result);
    }
    json_decref(live);
    json_decref(old_live);
    json_decref(olddoc);
    json_decref(props);
    json_object_del(doc, "Intents"); /* done or undone by the provider (see step_create) */
    if (rc) {
        if (!ferr_isset(&e)) ferr_internal(&e, "%s update failed", pv->type);
        if (replace && json_object_set_new(doc, "PhysicalResourceId", json_string("")))
            return step_oom(o, logical, doc);
        return step_failed(o, doc, "UPDATE_FAILED", e.message);
    }
    /* a custom resource that answers another physical id was replaced: the cleanup sends
     * the old one its Delete */
    const char *newpid = jstr(result, "PhysicalResourceId"),
               *oldpid = jstr(json_object_get(doc, "Old"), "PhysicalResourceId");
    if (!replace && pv->update_may_replace && newpid && oldpid && strcmp(newpid, oldpid) &&
        json_object_set_new(doc, "Replaced", json_true())) {
        json_decref(result);
        return step_oom(o, logical, doc);
    }
    return step_done(o, doc, "UPDATE_COMPLETE", result);
}

static int extra_promote(store_txn *t, op *o, ferr *e)
{
    /* the new template and parameters become the stack's */
    json_t *nw = json_object_get(json_object_get(o->stack, "_op"), "New");
    if (cfn_template_promote(t, o->stack, "new", "cur", e)) return -1;
    int bad = json_object_set(o->stack, "_raw", json_object_get(nw, "_raw"));
    const char *keys[] = {"Parameters",       "Description", "Capabilities", "Tags",
                          "NotificationARNs", "RoleARN",     "_as",          "DisableRollback"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(nw, keys[i]);
        if (v && !json_is_null(v))
            bad |= json_object_set(o->stack, keys[i], v);
        else if (v)
            json_object_del(o->stack, keys[i]);
    }
    if (bad || json_object_set_new(o->stack, "LastUpdatedTime", json_real(clock_now())))
        return ferr_oom(e);
    return write_exports(t, o, g_exports, e);
}

static int phase_update(op *o)
{
    ferr e = {0};
    json_t *nw = json_object_get(json_object_get(o->stack, "_op"), "New");
    int stale = fail_stale(o, "UPDATE_FAILED", 1);
    if (stale < 0) return 0;
    if (stale) goto failed;
    /* the acting identity and notification targets of the update */
    if (json_object_get(nw, "_as")) cfn_principal_load(json_object_get(nw, "_as"), &o->as);
    if (json_object_get(nw, "NotificationARNs"))
        o->notify = json_object_get(nw, "NotificationARNs");
    json_t *saved_params = json_incref(json_object_get(o->stack, "Parameters"));
    int irc = json_object_set(o->stack, "Parameters", json_object_get(nw, "Parameters"))
                  ? ferr_oom(&e)
                  : op_init(o, "new", json_object_get(nw, "_raw"), &e);
    json_t *newparams = json_incref(json_object_get(o->stack, "Parameters"));
    /* replacing a key's value allocates nothing: these do not fail once the key is there */
    if ((saved_params && json_object_set_new(o->stack, "Parameters", saved_params)) ||
        (newparams && json_object_set_new(nw, "Parameters", newparams)))
        irc = ferr_oom(&e);
    if (irc) {
        op_fail(o, NULL, e.message);
        goto failed;
    }
    /* values of resources that stay as they are */
    json_t *docs = all_res(o, &e);
    if (!docs) return store_trouble(o, "cannot list the resources", &e), 0;
    size_t i;
    json_t *d;
    int bad = 0;
    json_array_foreach(docs, i, d)
        if (is_live(jstr(d, "ResourceStatus"))) bad |= set_resv(o, jstr(d, "LogicalResourceId"), d);
    json_decref(docs);
    /* exports that would disappear while imported fail the update before it starts */
    const char *k;
    json_t *v;
    json_t *keep = json_object();
    bad |= !keep;
    json_object_foreach(json_object_get(o->tpl, "Outputs"), k, v) {
        json_t *ex = json_object_get(v, "Export");
        if (!ex || bad) continue;
        ferr ie = {0};
        json_t *n = cfn_resolve(&o->x, json_object_get(ex, "Name"), &ie);
        if (json_is_string(n) && !cfn_is_unknown(n))
            bad |= json_object_set_new(keep, json_string_value(n), json_true());
        json_decref(n);
    }
    if (bad) {
        json_decref(keep);
        op_fail(o, NULL, "Out of memory");
        goto failed;
    }
    int blocked = exports_in_use(o, keep, &e);
    json_decref(keep);
    if (blocked < 0) return store_trouble(o, "cannot read the stack's importers", &e), 0;
    if (blocked) {
        op_fail(o, NULL, e.message);
        goto failed;
    }
    int rc = run_in_template_order(o, step_update);
    if (rc == 1) return 0;
    if (rc) goto failed;
    json_t *exports = NULL;
    json_t *outs = resolve_outputs(o, &exports, &e);
    if (!outs) {
        op_fail(o, NULL, e.message);
        goto failed;
    }
    json_t *saved_outs = json_incref(json_object_get(o->stack, "Outputs"));
    if (json_object_set_new(o->stack, "Outputs", outs)) {
        json_decref(saved_outs);
        json_decref(exports);
        op_fail(o, NULL, "Out of memory");
        goto failed;
    }
    pthread_mutex_lock(&exports_mu);
    g_exports = exports;
    ferr pe = {0};
    int ok = !set_status_e(o, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", NULL, extra_promote, &pe);
    g_exports = NULL;
    pthread_mutex_unlock(&exports_mu);
    json_decref(exports);
    if (!ok) {
        /* back to the outputs the stack had (replacing a value allocates nothing) */
        if (saved_outs ? json_object_set_new(o->stack, "Outputs", saved_outs)
                       : json_object_del(o->stack, "Outputs"))
            log_error("cfn: stack %s: cannot restore its outputs", jstr(o->stack, "StackName"));
        if (pe.status >= 500) return store_trouble(o, "cannot record the update", &pe), 0;
        op_fail(o, NULL, pe.message[0] ? pe.message : "cannot record the update");
        goto failed;
    }
    json_decref(saved_outs);
    return 1;
failed:;
    char *why = failure_reason(o, "update");
    if (json_is_true(json_object_get(nw, "DisableRollback"))) {
        set_status(o, "UPDATE_FAILED", why, extra_cs_failed);
        free(why);
        return 0;
    }
    set_status(o, "UPDATE_ROLLBACK_IN_PROGRESS", why, extra_cs_failed);
    free(why);
    return 1;
}

/* Deletes what (an "Old" or "Discard" record of doc: the physical resource an update
 * replaced, or the replacement its rollback discards), recording it on a copy of doc. */
static void discard_physical(op *o, const json_t *doc, const json_t *what)
{
    json_t *evdoc = json_deep_copy(doc);
    ferr e = {0};
    if (!evdoc || json_object_set(evdoc, "ResourceType", json_object_get(what, "ResourceType"))) {
        /* a cleanup that fails does not fail the stack (as AWS's DELETE_FAILED) */
        log_error("cfn: stack %s: cannot clean up %s: out of memory", jstr(o->stack, "StackName"),
                  jstr(what, "PhysicalResourceId"));
        json_decref(evdoc);
        return;
    }
    delete_recorded(o, evdoc, jstr(what, "ResourceType"), jstr(what, "PhysicalResourceId"),
                    json_object_get(what, "Intents"), json_object_get(what, "Props"), &e);
    json_decref(evdoc);
}

/* Resource cleanup after an update (old replaced resources, removed ones) or its rollback
 * (resources the update added, replacements it made). Cleanup failures do not fail the
 * stack (AWS records them as DELETE_FAILED events); a store failure does the phase again. */
static int step_cleanup(op *o, const char *logical)
{
    json_t *doc = NULL;
    ferr e = {0};
    store_txn *t = NULL;
    int rc = store_begin(o->env->st, 0, &t, &e);
    if (!rc) rc = load_res(t, o, logical, &doc, &e);
    store_rollback(t);
    if (rc < 0) return store_trouble(o, "cannot read a resource to clean up", &e);
    if (rc == 0) return 0;
    int rollback =
        !strcmp(jstr(o->stack, "StackStatus"), "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS");
    json_t *old = json_object_get(doc, "Old");
    int ours = jstr(doc, "Op") && !strcmp(jstr(doc, "Op"), o->token ? o->token : "");
    int in_tpl = json_object_get(json_object_get(o->tpl, "Resources"), logical) != NULL;
    if (in_tpl) {
        const char *c = jstr(res_def(o, logical), "Condition");
        ferr ce = {0};
        if (c && cfn_condition(&o->x, c, &ce) != 1) in_tpl = 0;
    }
    if (!rollback && ours && json_is_true(json_object_get(doc, "Replaced")) && old) {
        /* the replaced resource goes (UpdateReplacePolicy Retain keeps it) */
        const char *pol = jstr(old, "UpdateReplacePolicy");
        if (!pol || strcmp(pol, "Retain")) discard_physical(o, doc, old);
    }
    if (rollback && ours) {
        json_t *discard = json_object_get(doc, "Discard");
        if (discard) discard_physical(o, doc, discard);
        if (json_is_true(json_object_get(doc, "Added"))) in_tpl = 0;
    }
    if (!in_tpl && is_live(jstr(doc, "ResourceStatus"))) {
        /* removed from the template (or added by a rolled back update): deleted */
        if (!rollback && retained(jstr(doc, "DeletionPolicy")))
            res_status(o, doc, "DELETE_SKIPPED", NULL, NULL, NULL);
        else
            delete_recorded(o, doc, jstr(doc, "ResourceType"), jstr(doc, "PhysicalResourceId"),
                            json_object_get(doc, "Intents"), json_object_get(doc, "Props"), &e);
    }
    /* the record: removed resources disappear, the rest lose the update's bookkeeping */
    if (in_tpl) {
        json_object_del(doc, "Old");
        json_object_del(doc, "Replaced");
        json_object_del(doc, "Added");
        json_object_del(doc, "Discard");
        json_object_del(doc, "Intents");
    }
    rc = commit_res(o, in_tpl ? doc : NULL, logical, &e);
    json_decref(doc);
    return rc ? store_trouble(o, "cannot record a cleaned up resource", &e) : 0;
}

/* The update's template goes with the status that ends it. */
static int extra_drop_new(store_txn *t, op *o, ferr *e)
{
    return cfn_template_store(t, o->stack, "new", NULL, e);
}

static int phase_cleanup(op *o)
{
    ferr e = {0};
    if (op_init(o, "cur", json_object_get(o->stack, "_raw"), &e)) {
        /* the template is the one just applied; failing to read it leaves nothing to order */
        log_warn("cfn: stack %s: cleanup without template: %s", jstr(o->stack, "StackName"),
                 e.message);
        if (!o->tpl) o->tpl = json_pack("{s:{}}", "Resources");
    }
    /* step_cleanup fails only when the store did: the phase is done again */
    if (run_over_records(o, 0, step_cleanup)) return 0;
    int rollback =
        !strcmp(jstr(o->stack, "StackStatus"), "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS");
    json_object_del(json_object_get(o->stack, "_op"), "New");
    set_status(o, rollback ? "UPDATE_ROLLBACK_COMPLETE" : "UPDATE_COMPLETE", NULL, extra_drop_new);
    return 0;
}

/* Update rollback: resources the update changed get their old selves back. */
static int step_unupdate(op *o, const char *logical)
{
    json_t *doc = NULL;
    ferr e = {0};
    int rc = step_load(o, logical, &doc);
    if (rc <= 0) return rc;
    int ours = jstr(doc, "Op") && !strcmp(jstr(doc, "Op"), o->token ? o->token : "");
    json_t *old = json_object_get(doc, "Old");
    if (!ours || !old || json_object_get(doc, "Restored")) {
        json_decref(doc);
        return 0;
    }
    const char *type = jstr(old, "ResourceType");
    const cfn_provider *pv = cfn_find_provider(type);
    if (json_is_true(json_object_get(doc, "Replaced"))) {
        /* keep the old physical resource; the new one is deleted in the cleanup. A crash
         * during the replacing create left the old id in the record, and the intents of the
         * new one (provider.h) */
        const char *cur = jstr(doc, "PhysicalResourceId");
        int same =
            cur && jstr(old, "PhysicalResourceId") && !strcmp(cur, jstr(old, "PhysicalResourceId"));
        json_t *discard = json_pack(
            "{s:s, s:o, s:O, s:o}", "PhysicalResourceId", same || !cur ? "" : cur, "Props",
            json_object_get(doc, "Props") ? json_incref(json_object_get(doc, "Props"))
                                          : json_object(),
            "ResourceType", json_object_get(doc, "ResourceType"), "Intents",
            json_object_get(doc, "Intents") ? json_incref(json_object_get(doc, "Intents"))
                                            : json_array());
        if (json_object_set_new(doc, "Discard", discard)) return step_oom(o, logical, doc);
    } else if (pv && cfn_provider_can_update(pv)) {
        if (res_status(o, doc, "UPDATE_IN_PROGRESS", NULL, json_object_get(old, "Props"), NULL))
            return step_unrecorded(o, doc);
        cfn_pctx p;
        pctx_init(o, &p, logical, &e);
        json_t *result = NULL, *from = live_props(&p, json_object_get(doc, "Props"), 1);
        json_t *to = live_props(&p, json_object_get(old, "Props"), 0);
        rc = !to || cfn_provider_update(pv, &p, jstr(old, "PhysicalResourceId"),
                                        from ? from : json_object_get(doc, "Props"), to, &result);
        json_decref(from);
        json_decref(to);
        if (rc) {
            if (!ferr_isset(&e)) ferr_internal(&e, "%s update failed", type);
            return step_failed(o, doc, "UPDATE_FAILED", e.message);
        }
        json_decref(result);
    }
    static const char *const restored[] = {"PhysicalResourceId", "Props",        "Ref",
                                           "Attributes",         "ResourceType", "GenName"};
    int bad = 0;
    for (size_t i = 0; !bad && i < sizeof(restored) / sizeof(restored[0]); i++)
        if (json_object_get(old, restored[i]))
            bad = json_object_set(doc, restored[i], json_object_get(old, restored[i]));
    if (bad || json_object_set_new(doc, "Restored", json_true())) return step_oom(o, logical, doc);
    json_object_del(doc, "Replaced");
    if (res_status(o, doc, "UPDATE_COMPLETE", NULL, NULL, NULL)) return step_unrecorded(o, doc);
    json_decref(doc);
    return 0;
}

static int phase_update_rollback(op *o)
{
    /* stale steps are done again: an interrupted update is undone from its Old record */
    if (fail_stale(o, "UPDATE_FAILED", 0) < 0) return 0;
    if (load_template_lenient(o, "new", "cur")) return 0;
    int rc = run_over_records(o, 0, step_unupdate);
    if (rc == 1) return 0;
    if (rc) return fail_listed(o, "UPDATE_ROLLBACK_FAILED", "update");
    set_status(o, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", NULL, NULL);
    return 1;
}

/* Runs the phase the stack's status names. 1: another phase follows, 0: done, 2: the
 * store failed, the phase is to be done again. */
static int run_phase(stackref *r)
{
    ferry_env *env = E.env;
    ferr e = {0};
    store_txn *t = NULL;
    json_t *stack = NULL;
    /* Fenced from the start: a reset from here on stops every write of this phase, its
     * steps' threads included (task.fence). */
    store_fence_enter(store_epoch(env->st));
    /* a write transaction: it starts after the request that kicked us has committed */
    int rc = store_begin(env->st, 1, &t, &e);
    store_key k = {CFN_KIND_STACK, r->account, r->region, r->uuid};
    if (!rc) rc = store_get(t, &k, &stack, &e);
    store_rollback(t);
    if (rc < 0) {
        log_error("cfn: stack %s: cannot read the stack: %s", r->uuid, e.message);
        return 2;
    }
    if (rc == 0) return 0;
    const char *status = jstr(stack, "StackStatus");
    const char *owner = jstr(stack, "_node");
    if (!cfn_status_busy(status)) {
        json_decref(stack);
        return 0;
    }
    if (g_node[0] && owner && strcmp(owner, g_node)) {
        /* another node took it over (this one was stalled past its lease): it is theirs */
        log_warn("cfn: stack %s: its operation is node %s's now", jstr(stack, "StackName"), owner);
        json_decref(stack);
        return 0;
    }
    op o = {0};
    o.env = env;
    o.r = *r;
    o.stack = stack;
    o.failed = json_array();
    pthread_mutex_init(&o.mu, NULL);
    cfn_principal_load(json_object_get(stack, "_as"), &o.as);
    o.notify = json_object_get(stack, "NotificationARNs");
    o.token = jstr(json_object_get(stack, "_op"), "Token");
    int next = 0;
    if (!strcmp(status, "CREATE_IN_PROGRESS"))
        next = phase_create(&o);
    else if (!strcmp(status, "ROLLBACK_IN_PROGRESS"))
        next = phase_delete(&o, 1);
    else if (!strcmp(status, "DELETE_IN_PROGRESS")) {
        next = phase_delete(&o, 0);
        if (next == 2) {
            set_status(&o, "DELETE_COMPLETE", NULL, extra_deleted);
            next = 0;
        }
    } else if (!strcmp(status, "UPDATE_IN_PROGRESS"))
        next = phase_update(&o);
    else if (!strcmp(status, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS") ||
             !strcmp(status, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"))
        next = phase_cleanup(&o);
    else if (!strcmp(status, "UPDATE_ROLLBACK_IN_PROGRESS"))
        next = phase_update_rollback(&o);
    else {
        log_warn("cfn: stack %s: no engine phase for %s", jstr(stack, "StackName"), status);
        next = 0;
    }
    int retry = o.retry;
    op_dispose(&o);
    return retry ? 2 : next > 0;
}

/* Pause before doing a phase again after a store failure: 50 ms doubling to 5 s, cut short
 * when the engine stops (the stack then resumes at the next start). Called locked. */
static void retry_pause(int attempt)
{
    long ms = 50L << (attempt < 7 ? attempt : 7);
    if (ms > 5000) ms = 5000;
    struct timespec ts = clock_deadline((double)ms / 1000);
    while (!E.stopping && pthread_cond_timedwait(&E.cv, &E.mu, &ts) == 0) {
    }
}

static void *runner(void *arg)
{
    active *a = arg;
    int attempt = 0;
    for (;;) {
        int more = run_phase(&a->r);
        pthread_mutex_lock(&E.mu);
        if (more == 2 && !E.stopping)
            retry_pause(attempt++);
        else if (more != 2)
            attempt = 0;
        if (!E.stopping && (more || a->again)) {
            a->again = 0;
            pthread_mutex_unlock(&E.mu);
            continue;
        }
        for (active **pp = &E.list; *pp; pp = &(*pp)->next) {
            if (*pp == a) {
                *pp = a->next;
                break;
            }
        }
        E.running--;
        pthread_cond_broadcast(&E.cv);
        pthread_mutex_unlock(&E.mu);
        free(a);
        return NULL;
    }
}

/* ------------------------------------------------------------------ engine registration */

typedef struct resume {
    json_t *refs;
    int oom;
} resume;

static int resume_cb(void *ud, const store_key *k, json_t *doc)
{
    resume *r = ud;
    if (cfn_status_busy(jstr(doc, "StackStatus")))
        r->oom |= json_array_append_new(
            r->refs, json_pack("{s:s, s:s, s:s, s:s}", "a", k->account, "r", k->region, "u", k->id,
                               "n", jstr(doc, "_node") ? jstr(doc, "_node") : ""));
    return 0;
}

/* Takes stack k over from a node whose lease has run out (leases_take's 2, doc's "_node" now
 * this node's), with an event saying why, in t. 0 or -1. */
static int take_over(store_txn *t, json_t *doc, const char *was, ferr *e)
{
    char why[256];
    snprintf(why, sizeof(why), "Node %s stopped renewing its lease; node %s resumes the operation",
             *was ? was : "(none)", g_node);
    log_info("cfn: taking over stack %s from node %s", jstr(doc, "StackName"),
             *was ? was : "(none)");
    if (cfn_stack_put(t, doc, e)) return -1;
    json_t *ev = cfn_event_add(t, doc, NULL, NULL, NULL, jstr(doc, "StackStatus"), why, NULL, e);
    json_decref(ev);
    return ev ? 0 : -1;
}

/* The stacks with an operation in progress that this node is to run, as {a, r, u} into
 * *refs: all of them on a store of one process; on a shared one those whose owner's lease
 * has run out (and at start this node's own), made this node's in one write transaction
 * first, so that two nodes never take the same. 0 or -1. */
static int claim(ferry_env *env, int at_start, json_t **refs, ferr *e)
{
    store_txn *t = NULL;
    resume r = {json_array(), 0};
    if (!r.refs) return ferr_oom(e);
    if (store_begin(env->st, 0, &t, e)) goto fail;
    int rc = store_list(t, CFN_KIND_STACK, NULL, NULL, NULL, NULL, 0, resume_cb, &r, e);
    store_rollback(t);
    if (rc >= 0 && r.oom) rc = ferr_oom(e);
    if (rc < 0) goto fail;
    size_t i;
    json_t *v;
    int others = 0;
    json_array_foreach(r.refs, i, v) others |= !!strcmp(jstr(v, "n"), g_node);
    if (!g_node[0] || !others) {
        /* all of them this node's (or no other nodes): no write transaction, which would
         * serialize with every writer, each tick */
        if (!at_start) json_array_clear(r.refs);
        *refs = r.refs;
        return 0;
    }
    if (store_begin(env->st, 1, &t, e)) goto fail;
    json_t *mine = json_array();
    rc = mine ? 0 : ferr_oom(e);
    double now = clock_now();
    json_array_foreach(r.refs, i, v) {
        if (rc) break;
        /* read again under the write lock: its status and owner as committed now */
        store_key k = {CFN_KIND_STACK, jstr(v, "a"), jstr(v, "r"), jstr(v, "u")};
        json_t *doc = NULL;
        char was[64];
        int got = store_get(t, &k, &doc, e);
        int take = got == 1 && cfn_status_busy(jstr(doc, "StackStatus"))
                       ? leases_take(t, g_node, doc, "_node", at_start, now, was, sizeof(was), e)
                       : 0;
        if (got < 0 || take < 0 || (take == 2 && take_over(t, doc, was, e)))
            rc = -1;
        else if (take > 0 && json_array_append(mine, v))
            rc = ferr_oom(e);
        json_decref(doc);
    }
    rc = rc ? (store_rollback(t), -1) : store_commit(t, e);
    json_decref(r.refs);
    if (rc) {
        json_decref(mine);
        return -1;
    }
    *refs = mine;
    return 0;
fail:
    json_decref(r.refs);
    return -1;
}

static void kick_all(ferry_env *env, json_t *refs)
{
    size_t i;
    json_t *v;
    json_array_foreach(refs, i, v) {
        log_info("cfn: resuming stack work %s/%s/%s", jstr(v, "a"), jstr(v, "r"), jstr(v, "u"));
        cfn_engine_kick(env, jstr(v, "a"), jstr(v, "r"), jstr(v, "u"));
    }
}

/* leases.h: after each renewal, the operations of nodes whose lease ran out go on here. */
static void takeover(ferry_env *env)
{
    json_t *refs = NULL;
    ferr e = {0};
    pthread_mutex_lock(&E.mu);
    int gone = E.env != env || E.stopping;
    pthread_mutex_unlock(&E.mu);
    if (gone || !g_node[0]) return;
    if (claim(env, 0, &refs, &e))
        log_error("cfn: takeover: %s", e.message);
    else
        kick_all(env, refs);
    json_decref(refs);
    cfn_stackset_takeover(env);
}

static int engine_start(ferry_env *env, ferr *e)
{
    pthread_mutex_lock(&E.mu);
    E.env = env;
    E.stopping = 0;
    pthread_mutex_unlock(&E.mu);
    const char *fail = getenv("FERRY_CFN_FAIL_STATUS_COMMITS");
    atomic_store(&fail_status_commits, fail ? atoi(fail) : 0);
    const char *die = getenv("FERRY_CFN_KILL_AFTER_CREATES");
    atomic_store(&kill_after_creates, die ? atoi(die) : 0);
    snprintf(g_node, sizeof(g_node), "%s", leases_self(env));
    json_t *refs = NULL;
    if (claim(env, 1, &refs, e)) return -1;
    kick_all(env, refs);
    json_decref(refs);
    leases_on_tick(takeover);
    return cfn_stackset_resume(env, e);
}

static void engine_stop(ferry_env *env)
{
    (void)env;
    leases_off_tick(takeover); /* no takeover kicks a stack while the runners end */
    pthread_mutex_lock(&E.mu);
    E.stopping = 1;
    pthread_cond_broadcast(&E.cv);
    pthread_mutex_unlock(&E.mu);
    /* stack set targets waiting on stacks return at once and are resumed at the next start */
    cfn_stackset_stop();
    pthread_mutex_lock(&E.mu);
    /* runners finish the steps they started, record them, and leave the rest for the next
     * start (their stacks stay *_IN_PROGRESS in the store) */
    while (E.running > 0) pthread_cond_wait(&E.cv, &E.mu);
    pthread_mutex_unlock(&E.mu);
}

const engine_def cfn_engine = {"stacks", engine_start, engine_stop};
