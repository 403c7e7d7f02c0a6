/* AWS::CloudFormation::WaitConditionHandle and AWS::CloudFormation::WaitCondition, built
 * into the stack engine.
 *
 * AWS: a WaitConditionHandle has no properties; its Ref is the URL that signals go to.
 * A WaitCondition waits for Count success signals (default 1) within Timeout seconds
 * (at most 43200); a failure signal or the timeout fails it. ferry takes signals through
 * SignalResource (the API cfn-signal uses), stored as cfn.signal documents
 * (id "STACKUUID/LOGICAL/UNIQUEID"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "engine.h"

static const char *stack_uuid(const char *stack_id)
{
    const char *s = stack_id ? strrchr(stack_id, '/') : NULL;
    return s ? s + 1 : "";
}

static int handle_create(cfn_pctx *p, const json_t *props, json_t **result)
{
    (void)props;
    char id[37];
    ids_uuid(id);
    arena *a = arena_new(1024);
    if (!a) return ferr_oom(p->e);
    char *path = arena_printf(a, "%s/%s/%s", p->stack_id, id, p->logical_id);
    char *enc = enc_url_encode(a, path, strlen(path), 0);
    char *url = arena_printf(a, "https://cloudformation-waitcondition-%s.s3.amazonaws.com/%s",
                             p->region, enc);
    *result = json_pack("{s:s}", "PhysicalResourceId", url);
    arena_free(a);
    return *result ? 0 : ferr_oom(p->e);
}

static int handle_update(cfn_pctx *p, const char *physical_id, const json_t *old_props,
                         const json_t *new_props, json_t **result)
{
    (void)p, (void)old_props, (void)new_props;
    *result = json_pack("{s:s}", "PhysicalResourceId", physical_id);
    return 0;
}

static int noop_del(cfn_pctx *p, const char *physical_id, const json_t *props)
{
    (void)p, (void)physical_id, (void)props;
    return 0;
}

const cfn_provider cfn_provider_cfn_waithandle = {
    .type = "AWS::CloudFormation::WaitConditionHandle",
    .create = handle_create,
    .update = handle_update,
    .del = noop_del,
};

typedef struct sigs {
    int ok, failed, oom;
    json_t *data;
    char reason[512], uid[128];
} sigs;

static int sig_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    sigs *s = ud;
    const char *st = json_string_value(json_object_get(doc, "Status"));
    const char *uid = json_string_value(json_object_get(doc, "UniqueId"));
    if (st && !strcmp(st, "FAILURE")) {
        if (!s->failed) {
            const char *r = json_string_value(json_object_get(doc, "Reason"));
            snprintf(s->reason, sizeof(s->reason), "%s", r ? r : "");
            snprintf(s->uid, sizeof(s->uid), "%s", uid ? uid : "");
        }
        s->failed++;
    } else {
        s->ok++;
        json_t *d = json_object_get(doc, "Data");
        if (json_object_set(s->data, uid ? uid : "", d ? d : json_null())) s->oom = 1;
    }
    return 0;
}

static long num_prop(const json_t *props, const char *k, long dflt)
{
    json_t *v = json_object_get(props, k);
    if (json_is_integer(v)) return (long)json_integer_value(v);
    if (json_is_string(v)) return atol(json_string_value(v));
    return dflt;
}

static int cond_create(cfn_pctx *p, const json_t *props, json_t **result)
{
    long timeout = num_prop(props, "Timeout", 43200), count = num_prop(props, "Count", 1);
    if (timeout < 0 || timeout > 43200)
        return ferr_validation(p->e, "Timeout must be between 0 and 43200 seconds");
    if (count < 1) count = 1;
    char prefix[256];
    snprintf(prefix, sizeof(prefix), "%s/%s/", stack_uuid(p->stack_id), p->logical_id);
    double until = clock_now() + (double)timeout;
    for (;;) {
        sigs s = {0};
        s.data = json_object();
        store_txn *t = NULL;
        if (store_begin(p->env->st, 0, &t, p->e)) {
            json_decref(s.data);
            return -1;
        }
        int rc = store_list(t, CFN_KIND_SIGNAL, p->account, p->region, prefix, NULL, 0, sig_cb, &s,
                            p->e);
        store_rollback(t);
        if (rc < 0 || !s.data || s.oom) {
            json_decref(s.data);
            return rc < 0 ? -1 : ferr_oom(p->e);
        }
        if (s.failed) {
            json_decref(s.data);
            return ferr_set(p->e, 400, "ValidationError",
                            "WaitCondition received failed message: '%s' for uniqueId: %s",
                            s.reason, s.uid);
        }
        if (s.ok >= count) {
            char *d = json_dumps(s.data, JSON_COMPACT);
            json_decref(s.data);
            char id[300];
            snprintf(id, sizeof(id), "%s-%s", p->stack_name, p->logical_id);
            *result =
                d ? json_pack("{s:s, s:{s:s}}", "PhysicalResourceId", id, "Attributes", "Data", d)
                  : NULL;
            free(d);
            return *result ? 0 : ferr_oom(p->e);
        }
        json_decref(s.data);
        if (clock_now() >= until)
            return ferr_set(p->e, 400, "ValidationError",
                            "WaitCondition timed out. Received %d conditions when expecting %ld",
                            s.ok, count);
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
        /* the engine stopping ends the wait: the stack rolls back at restart */
        if (cfn_engine_stopping())
            return ferr_set(p->e, 503, "ServiceUnavailable", "the server stopped while waiting");
    }
}

const cfn_provider cfn_provider_cfn_waitcondition = {
    .type = "AWS::CloudFormation::WaitCondition",
    .create = cond_create,
    .update = handle_update,
    .del = noop_del,
};
