/* CloudFormation's AWS::Lambda::EventSourceMapping, through the lambda service as the stack
 * (engine/stacks/prov_int.h). Ref is the mapping's UUID; GetAtt Id (the UUID) and
 * EventSourceMappingArn. Lambda picks the UUID, so a create announces what its delete can
 * find the mapping by instead: "SOURCE|FUNCTION" (a queue maps to a function once). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "engine/stacks/prov_int.h"

static const prov_prop esm_schema[] = {
    {"BatchSize", PT_INT, 0},
    {"BisectBatchOnFunctionError", PT_BOOL, 0},
    {"DestinationConfig", PT_OBJECT, 0},
    {"Enabled", PT_BOOL, 0},
    {"EventSourceArn", PT_STR, 0},
    {"FilterCriteria", PT_OBJECT, 0},
    {"FunctionName", PT_STR, 1},
    {"FunctionResponseTypes", PT_STRLIST, 0},
    {"MaximumBatchingWindowInSeconds", PT_INT, 0},
    {"MaximumRecordAgeInSeconds", PT_INT, 0},
    {"MaximumRetryAttempts", PT_INT, 0},
    {"ParallelizationFactor", PT_INT, 0},
    {"ScalingConfig", PT_OBJECT, 0},
    {"StartingPosition", PT_STR, 0},
    {"TumblingWindowInSeconds", PT_INT, 0},
    {NULL, 0, 0},
};

/* What UpdateEventSourceMapping may change in place (EventSourceArn replaces). */
static const char *const esm_members[] = {
    "BatchSize",
    "Enabled",
    "FilterCriteria",
    "FunctionName",
    "FunctionResponseTypes",
    "MaximumBatchingWindowInSeconds",
    "ScalingConfig",
    /* a stream's (given only when the template has them) */
    "BisectBatchOnFunctionError",
    "DestinationConfig",
    "MaximumRecordAgeInSeconds",
    "MaximumRetryAttempts",
    "ParallelizationFactor",
    "TumblingWindowInSeconds",
    NULL,
};

static int del_uuid(cfn_pctx *p, const char *uuid)
{
    return prov_call_gone_ok(p, NULL, "lambda", "DeleteEventSourceMapping",
                             json_pack("{s:s}", "UUID", uuid));
}

static int esm_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    const char *bar = strrchr(id, '|');
    if (!bar) return del_uuid(p, id);
    /* an announced create: the mapping of that source and function, if it was made */
    json_t *out = NULL;
    char *src = strndup(id, (size_t)(bar - id));
    int rc =
        src ? prov_call(p, "lambda", "ListEventSourceMappings",
                        json_pack("{s:s, s:s}", "EventSourceArn", src, "FunctionName", bar + 1),
                        &out)
            : ferr_oom(p->e);
    free(src);
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(out, "EventSourceMappings"), i, m) {
        if (rc) break;
        rc = del_uuid(p, jstr(m, "UUID"));
    }
    json_decref(out);
    return rc;
}

static int esm_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s;
    char *pid = NULL;
    const char *src = jstr(pr, "EventSourceArn");
    if (asprintf(&pid, "%s|%s", src ? src : "", jstr(pr, "FunctionName")) < 0)
        return ferr_oom(p->e);
    json_t *out = NULL, *in = json_deep_copy(pr);
    int rc = in ? cfn_intent(p, pid) : ferr_oom(p->e);
    if (rc)
        json_decref(in);
    else
        rc = prov_call(p, "lambda", "CreateEventSourceMapping", in, &out);
    free(pid);
    const char *uuid = jstr(out, "UUID");
    if (!rc && (!uuid || !(*id = strdup(uuid)))) rc = ferr_oom(p->e);
    *attrs = rc ? NULL
                : json_pack("{s:s, s:s}", "Id", uuid, "EventSourceMappingArn",
                            jstr(out, "EventSourceMappingArn") ? jstr(out, "EventSourceMappingArn")
                                                               : "");
    json_decref(out);
    if (!rc && !*attrs) {
        free(*id);
        *id = NULL;
        rc = ferr_oom(p->e);
    }
    return rc ? -1 : 0;
}

static int esm_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                      const json_t *np)
{
    (void)s, (void)op;
    const char *src = jstr(np, "EventSourceArn");
    int stream = arn_rest(src, "dynamodb") != NULL;
    json_t *in = json_pack("{s:s}", "UUID", id);
    for (size_t i = 0; in && esm_members[i]; i++) {
        json_t *v = json_object_get(np, esm_members[i]);
        /* AWS: a property removed from the template goes back to its default */
        if (!v && !strcmp(esm_members[i], "BatchSize"))
            v = json_integer(stream ? 100 : 10); /* AWS's defaults for a stream, a queue */
        else if (!v && !strcmp(esm_members[i], "Enabled"))
            v = json_true();
        else if (!v && !strcmp(esm_members[i], "MaximumBatchingWindowInSeconds"))
            v = json_integer(0);
        else if (!v && !strcmp(esm_members[i], "FunctionResponseTypes"))
            v = json_array();
        else if (!v && !strcmp(esm_members[i], "FilterCriteria"))
            v = json_pack("{s:[]}", "Filters");
        else if (v)
            json_incref(v);
        if (v && json_object_set_new(in, esm_members[i], v)) {
            json_decref(in);
            in = NULL;
        }
    }
    if (!in) return ferr_oom(p->e);
    return prov_call(p, "lambda", "UpdateEventSourceMapping", in, NULL);
}

static int esm_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    if (prov_call(p, "lambda", "GetEventSourceMapping", json_pack("{s:s}", "UUID", id), &out))
        return -1;
    const char *arn = jstr(out, "EventSourceMappingArn");
    *attrs = json_pack("{s:s, s:s}", "Id", id, "EventSourceMappingArn", arn ? arn : "");
    json_decref(out);
    return *attrs ? 0 : ferr_oom(p->e);
}

static const prov_shape esm_shape = {
    .schema = esm_schema,
    .make = esm_make,
    .change = esm_change,
    .attrs = esm_attrs,
    .del = esm_del,
};

static const char *const esm_replace_on[] = {"EventSourceArn", "StartingPosition", NULL};

const cfn_provider cfn_provider_lambda_event_source_mapping = {
    .type = "AWS::Lambda::EventSourceMapping",
    .shape = &esm_shape,
    .del = esm_del,
    .replace_on = esm_replace_on,
};
