/* Ferry::Test::Resource: a resource type for the stack engine's own tests, registered only
 * when the server runs with FERRY_CFN_TEST_TYPES=1. Properties: Name (generated when
 * absent, replaces when changed), Value (updates in place), Replace (replaces when
 * changed), FailCreate / FailUpdate / FailDelete (fail with that text), SleepMs. Its
 * physical resources are cfn.testres documents, so tests can count what exists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arn.h"
#include "engine.h"

static void nap(const json_t *props)
{
    json_t *v = json_object_get(props, "SleepMs");
    long ms = json_is_integer(v)  ? (long)json_integer_value(v)
              : json_is_string(v) ? atol(json_string_value(v))
                                  : 0;
    if (ms > 0) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static int failing(cfn_pctx *p, const json_t *props, const char *k)
{
    const char *f = json_string_value(json_object_get(props, k));
    if (f && *f) return ferr_set(p->e, 400, "InvalidRequest", "%s", f);
    return 0;
}

static int record(cfn_pctx *p, const char *name, const json_t *props, int del)
{
    store_txn *t = NULL;
    if (store_begin(p->env->st, 1, &t, p->e)) return -1;
    store_key k = {"cfn.testres", p->account, p->region, name};
    int rc = del ? (store_del(t, &k, p->e) < 0 ? -1 : 0) : store_put(t, &k, props, p->e);
    if (rc) {
        store_rollback(t);
        return -1;
    }
    return store_commit(t, p->e);
}

static int result_for(cfn_pctx *p, const char *name, const json_t *props, json_t **result)
{
    char arn[512];
    snprintf(arn, sizeof(arn), "arn:%s:ferrytest:%s:%s:resource/%s", arn_partition(p->region),
             p->region, p->account, name);
    json_t *v = json_object_get(props, "Value");
    json_t *at = json_pack("{s:s, s:s, s:o}", "Arn", arn, "Name", name, "Value",
                           v ? json_deep_copy(v) : json_string(""));
    *result = json_pack("{s:s, s:o}", "PhysicalResourceId", name, "Attributes", at);
    return *result ? 0 : ferr_oom(p->e);
}

static int t_create(cfn_pctx *p, const json_t *props, json_t **result)
{
    nap(props);
    if (failing(p, props, "FailCreate")) return -1;
    const char *name = json_string_value(json_object_get(props, "Name"));
    if (!name) return ferr_validation(p->e, "Name is required");
    if (cfn_intent(p, name) || record(p, name, props, 0)) return -1;
    return result_for(p, name, props, result);
}

static int t_update(cfn_pctx *p, const char *physical_id, const json_t *old_props,
                    const json_t *new_props, json_t **result)
{
    (void)old_props;
    nap(new_props);
    if (failing(p, new_props, "FailUpdate")) return -1;
    if (record(p, physical_id, new_props, 0)) return -1;
    return result_for(p, physical_id, new_props, result);
}

static int t_del(cfn_pctx *p, const char *physical_id, const json_t *props)
{
    nap(props);
    if (failing(p, props, "FailDelete")) return -1;
    return record(p, physical_id, NULL, 1);
}

static const char *const replace_on[] = {"Name", "Replace", NULL};

const cfn_provider cfn_provider_ferry_test = {
    .type = "Ferry::Test::Resource",
    .create = t_create,
    .update = t_update,
    .del = t_del,
    .replace_on = replace_on,
    .name_property = "Name",
    .name_max = 64,
};
