/* AWS::CodePipeline::Pipeline. Ref = the pipeline's name; GetAtt Version. The properties are
 * the API's declaration with CloudFormation's capitalized names (Configuration's keys are
 * the action's own and stay as given); every change is an UpdatePipeline in place, except
 * Name (a new pipeline). DisableInboundStageTransitions are applied after each update, as
 * CloudFormation does, and within the create (codepipeline_create_frozen). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codepipeline.h"
#include "engine/stacks/prov_int.h"

static const prov_prop schema[] = {
    {"Name", PT_STR, 0},
    {"RoleArn", PT_STR, 1},
    {"ArtifactStore", PT_OBJECT, 0},
    {"ArtifactStores", PT_LIST, 0},
    {"Stages", PT_LIST, 1},
    {"DisableInboundStageTransitions", PT_LIST, 0},
    {"RestartExecutionOnUpdate", PT_BOOL, 0},
    {"PipelineType", PT_STR, 0},
    {"ExecutionMode", PT_STR, 0},
    {"Variables", PT_LIST, 0},
    {"Triggers", PT_LIST, 0},
    {"Tags", PT_TAGS, 0},
    {NULL, 0, 0},
};

/* CloudFormation's Name to the API's name; ArtifactStores' {Region, ArtifactStore} list to
 * the API's map. Configuration is copied as it is. */
static json_t *pipeline_member(const char *k, char *key, const json_t *x, int *skip, void *ud)
{
    (void)key, (void)ud;
    if (!strcmp(k, "DisableInboundStageTransitions") || !strcmp(k, "RestartExecutionOnUpdate") ||
        !strcmp(k, "Tags")) {
        *skip = 1;
        return NULL;
    }
    if (!strcmp(k, "Configuration")) return json_deep_copy(x);
    if (!strcmp(k, "ArtifactStores") && json_is_array(x)) {
        json_t *m = json_object();
        int rc = !m;
        size_t i;
        json_t *e;
        json_array_foreach(x, i, e) {
            const char *r = json_string_value(json_object_get(e, "Region"));
            if (r)
                rc |= json_object_set_new(
                    m, r, prov_camel(json_object_get(e, "ArtifactStore"), pipeline_member, NULL));
        }
        return jdone(m, rc);
    }
    return NULL;
}

static json_t *api_form(const json_t *v)
{
    return prov_camel(v, pipeline_member, NULL);
}

static int set_transitions(cfn_pctx *p, const char *name, const json_t *op, const json_t *np)
{
    const json_t *dis = json_object_get(np, "DisableInboundStageTransitions");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(op, "DisableInboundStageTransitions"), i, v) {
        if (prov_call(p, "codepipeline", "EnableStageTransition",
                      json_pack("{s:s, s:O, s:s}", "pipelineName", name, "stageName",
                                json_object_get(v, "StageName"), "transitionType", "Inbound"),
                      NULL))
            return -1;
    }
    json_array_foreach(dis, i, v) {
        if (prov_call(p, "codepipeline", "DisableStageTransition",
                      json_pack("{s:s, s:O, s:s, s:O}", "pipelineName", name, "stageName",
                                json_object_get(v, "StageName"), "transitionType", "Inbound",
                                "reason", json_object_get(v, "Reason")),
                      NULL))
            return -1;
    }
    return 0;
}

static int pipe_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    return prov_call_gone_ok(p, NULL, "codepipeline", "DeletePipeline",
                             json_pack("{s:s}", "name", id));
}

static int pipe_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    if (prov_call(p, "codepipeline", "GetPipeline", json_pack("{s:s}", "name", id), &out))
        return -1;
    json_t *ver = json_object_get(json_object_get(out, "pipeline"), "version");
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(ver));
    *attrs = json_pack("{s:s}", "Version", buf);
    json_decref(out);
    return *attrs ? 0 : ferr_oom(p->e);
}

static int pipe_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    char *name = prov_name(p, pr, "Name", 100, 0);
    json_t *decl = api_form(pr);
    json_t *tags = prov_tags(p, json_object_get(pr, "Tags"), 0);
    json_t *in = NULL;
    int rc = !name || !decl || !tags || jset_str(decl, "name", name) ? ferr_oom(p->e) : 0;
    if (!rc) {
        json_t *l = json_array();
        size_t i;
        json_t *t;
        json_array_foreach(tags, i, t) {
            if (l &&
                json_array_append_new(l, json_pack("{s:O, s:O}", "key", json_object_get(t, "Key"),
                                                   "value", json_object_get(t, "Value"))))
                json_decref(l), l = NULL;
        }
        in = l ? json_pack("{s:O}", "pipeline", decl) : NULL;
        if (!in || (json_array_size(l) && json_object_set(in, "tags", l))) rc = ferr_oom(p->e);
        json_decref(l);
    }
    json_decref(decl);
    json_decref(tags);
    if (!rc && cfn_intent(p, name)) rc = -1;
    /* the disabled transitions in the creation's own commit: applied after it (as AWS
     * does), the first execution could pass them before they were */
    if (!rc)
        rc = prov_call_fn(p, "codepipeline", &codepipeline_create_frozen,
                          json_object_get(pr, "DisableInboundStageTransitions"), json_incref(in),
                          NULL);
    json_decref(in);
    if (rc) {
        free(name);
        return -1;
    }
    *id = name;
    return 0;
}

static int pipe_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                       const json_t *np)
{
    (void)s;
    json_t *decl = api_form(np);
    if (!decl || jset_str(decl, "name", id)) {
        json_decref(decl);
        return ferr_oom(p->e);
    }
    if (prov_call(p, "codepipeline", "UpdatePipeline", json_pack("{s:o}", "pipeline", decl), NULL))
        return -1;
    return set_transitions(p, id, op, np);
}

static const char *const replace_on[] = {"Name", NULL};

static const prov_shape shape = {
    .schema = schema,
    .make = pipe_make,
    .change = pipe_change,
    .attrs = pipe_attrs,
    .del = pipe_del,
};

const cfn_provider cfn_provider_codepipeline_pipeline = {
    .type = "AWS::CodePipeline::Pipeline",
    .shape = &shape,
    .del = pipe_del,
    .replace_on = replace_on,
    .name_property = "Name",
    .name_max = 100,
};
