/* AWS CodePipeline: the service, pipelines, their validation and tags. See
 * codepipeline_int.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arn.h"
#include "base/clock.h"
#include "codepipeline_int.h"

const svc_def svc_codepipeline = {.name = "codepipeline",
                                  .event_source = "codepipeline.amazonaws.com"};

const char *cp_arn(call *c, const char *name)
{
    return call_arn(c, "codepipeline", name);
}

int cp_not_found(call *c, const char *name)
{
    return ferr_set(c->err, 400, "PipelineNotFoundException",
                    "Account '%s' does not have a pipeline with name '%s'", c->account, name);
}

int cp_pipe_load(call *c, const char *action, const char *name, const char *sub, json_t **doc)
{
    const char *arn = cp_arn(c, name);
    if (arn && sub) arn = arena_printf(c->a, "%s/%s", arn, sub);
    if (!arn) return ferr_oom(c->err);
    if (call_authorize(c, action, arn)) return -1;
    store_key k = call_key(c, CP_PIPE_KIND, name);
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc < 0) return -1;
    if (!rc) return cp_not_found(c, name);
    if (!arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    call_resource(c, "AWS::CodePipeline::Pipeline", name);
    return 0;
}

int cp_pipe_save(call *c, const json_t *doc)
{
    store_key k = call_key(c, CP_PIPE_KIND, jstr(json_object_get(doc, "pipeline"), "name"));
    return store_put(c->txn, &k, doc, c->err);
}

static json_t *named(const json_t *arr, const char *member, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        const char *n = jstr(v, member);
        if (n && name && !strcmp(n, name)) return v;
    }
    return NULL;
}

json_t *cp_stage_of(const json_t *exec, const char *stage)
{
    return named(json_object_get(exec, "stages"), "name", stage);
}

json_t *cp_action_of(const json_t *stage, const char *action)
{
    return named(json_object_get(stage, "actions"), "name", action);
}

const json_t *cp_decl_action(const json_t *decl, const char *stage, const char *action)
{
    return named(json_object_get(named(json_object_get(decl, "stages"), "name", stage), "actions"),
                 "name", action);
}

/* ---- validation ---- */

/* The action types ferry runs: AWS's providers with their artifact counts (the action type's
 * inputArtifactDetails/outputArtifactDetails). */
typedef struct provider_kind {
    const char *category, *provider;
    int in_min, in_max, out_min, out_max;
} provider_kind;

static const provider_kind kinds[] = {
    {"Source", "S3", 0, 0, 1, 1},
    {"Source", "CodeCommit", 0, 0, 1, 1},
    {"Source", "ECR", 0, 0, 1, 1},
    {"Source", "CodeStarSourceConnection", 0, 0, 1, 1},
    {"Build", "CodeBuild", 1, 5, 0, 5},
    {"Test", "CodeBuild", 1, 5, 0, 5},
    {"Deploy", "CloudFormation", 0, 10, 0, 1},
    {"Deploy", "S3", 1, 1, 0, 0},
    {"Approval", "Manual", 0, 0, 0, 0},
    {"Invoke", "Lambda", 0, 5, 0, 5},
};

static const provider_kind *kind_of(const json_t *type)
{
    const char *cat = jstr(type, "category"), *prov = jstr(type, "provider");
    const char *owner = jstr(type, "owner"), *ver = jstr(type, "version");
    if (!cat || !prov || !owner || strcmp(owner, "AWS") || !ver || strcmp(ver, "1")) return NULL;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (!strcmp(kinds[i].category, cat) && !strcmp(kinds[i].provider, prov)) return &kinds[i];
    return NULL;
}

static int invalid(call *c, const char *fmt, const char *a, const char *b)
{
    return ferr_set(c->err, 400, "InvalidStructureException", fmt, a, b);
}

/* AWS's region names as ActionType messages print them: US_EAST_1. */
static const char *region_enum(call *c, const char *region)
{
    char *r = arena_strdup(c->a, region);
    for (char *p = r; p && *p; p++)
        *p = *p == '-' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    return r ? r : "";
}

static int missing_config(call *c, const json_t *a, const char *key)
{
    return ferr_set(c->err, 400, "InvalidActionDeclarationException",
                    "Action configuration for action '%s' is missing required configuration '%s'",
                    jstr(a, "name"), key);
}

/* The configuration rules AWS checks at declaration time, per provider. */
static int check_config(call *c, const provider_kind *k, const json_t *a)
{
    const json_t *cfg = json_object_get(a, "configuration");
    if (!strcmp(k->category, "Deploy") && !strcmp(k->provider, "S3")) {
        const char *ex = jstr(cfg, "Extract");
        if (!jstr(cfg, "BucketName")) return missing_config(c, a, "BucketName");
        if (!ex) return missing_config(c, a, "Extract");
        if (strcasecmp(ex, "true") && strcasecmp(ex, "false"))
            return ferr_set(c->err, 400, "InvalidActionDeclarationException",
                            "Action configuration for action '%s' contains an invalid value for "
                            "configuration 'Extract': '%s' is not a boolean",
                            jstr(a, "name"), ex);
        if (!strcasecmp(ex, "false") && !jstr(cfg, "ObjectKey"))
            return missing_config(c, a, "ObjectKey");
    }
    /* AWS: ImageTag is optional (latest), RepositoryName is not */
    if (!strcmp(k->provider, "ECR") && !jstr(cfg, "RepositoryName"))
        return missing_config(c, a, "RepositoryName");
    return 0;
}

static int check_action(call *c, const json_t *a, int first_stage, json_t *outputs, json_t *names)
{
    const char *name = jstr(a, "name");
    const json_t *type = json_object_get(a, "actionTypeId");
    const provider_kind *k = kind_of(type);
    provider_kind custom;
    json_t *ct = NULL;
    int rc = jstr(type, "owner") && !strcmp(jstr(type, "owner"), "Custom")
                 ? cp_custom_type(c, type, &ct)
                 : 0;
    if (rc < 0) return -1;
    if (rc) { /* a custom action type: its own artifact counts and required properties */
        const json_t *ia = json_object_get(ct, "inputArtifactDetails"),
                     *oa = json_object_get(ct, "outputArtifactDetails");
        custom =
            (provider_kind){jstr(type, "category"),           jstr(type, "provider"),
                            (int)jint(ia, "minimumCount", 0), (int)jint(ia, "maximumCount", 0),
                            (int)jint(oa, "minimumCount", 0), (int)jint(oa, "maximumCount", 0)};
        k = &custom;
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(ct, "actionConfigurationProperties"), i, p) {
            if (jbool(p, "required", 0) &&
                !json_object_get(json_object_get(a, "configuration"), jstr(p, "name")))
                return missing_config(c, a, jstr(p, "name"));
        }
    }
    if (!k)
        return ferr_set(c->err, 400, "InvalidActionDeclarationException",
                        "ActionType (Category: '%s', Provider: '%s', Owner: '%s', Version: "
                        "'%s') in action '%s' is not available in region '%s'",
                        jstr(type, "category"), jstr(type, "provider"), jstr(type, "owner"),
                        jstr(type, "version"), name, region_enum(c, c->region));
    int source = !strcmp(k->category, "Source");
    if (source != first_stage)
        return invalid(c,
                       source ? "Action '%s' is a source action: source actions must be in the "
                                "first stage%s"
                              : "Action '%s' in the first stage is not a source action: the "
                                "first stage may hold only source actions%s",
                       name, "");
    long long ro = jint(a, "runOrder", 1);
    if (ro < 1 || ro > 999)
        return ferr_set(c->err, 400, "ValidationException",
                        "1 validation error detected: Value '%lld' at "
                        "'pipeline.stages.member.actions.member.runOrder' failed to satisfy "
                        "constraint: Member must have value less than or equal to 999 and "
                        "greater than or equal to 1",
                        ro);
    if (check_config(c, k, a)) return -1;
    const json_t *in = json_object_get(a, "inputArtifacts"),
                 *out = json_object_get(a, "outputArtifacts");
    int nin = (int)json_array_size(in), nout = (int)json_array_size(out);
    if (nin < k->in_min || nin > k->in_max || nout < k->out_min || nout > k->out_max) {
        int bad_in = nin < k->in_min || nin > k->in_max;
        int n = bad_in ? nin : nout, lim = n < (bad_in ? k->in_min : k->out_min)
                                               ? (bad_in ? k->in_min : k->out_min)
                                               : (bad_in ? k->in_max : k->out_max);
        return ferr_set(c->err, 400, "InvalidActionDeclarationException",
                        "Action %s declares %d %s artifacts which is %s the %s count (%d)", name, n,
                        bad_in ? "input" : "output", n < lim ? "less than" : "greater than",
                        n < lim ? "minimum" : "maximum", lim);
    }
    size_t i;
    json_t *v;
    json_array_foreach(in, i, v) {
        if (!json_object_get(outputs, jstr(v, "name")))
            return invalid(c,
                           "Input Artifact Bundle %s in action '%s' is not declared as an "
                           "output artifact in any of the actions preceding it",
                           jstr(v, "name"), name);
    }
    if (jstr(a, "namespace")) {
        if (json_object_get(names, jstr(a, "namespace")))
            return invalid(c, "Namespace %s of action '%s' is already used by another action",
                           jstr(a, "namespace"), name);
        if (json_object_set_new(names, jstr(a, "namespace"), json_true())) return ferr_oom(c->err);
    }
    return 0;
}

/* A stage's onFailure: the results this API version has (RETRY needs a retryConfiguration
 * the pinned model does not have); its conditions (conditions.c). */
static int check_stage_rules(call *c, const json_t *p, const json_t *s, int first)
{
    const char *sn = jstr(s, "name"), *pt = jstr(p, "pipelineType");
    const json_t *of = json_object_get(s, "onFailure");
    int v2 = pt && !strcmp(pt, "V2");
    if ((of || json_object_get(s, "onSuccess") || json_object_get(s, "beforeEntry")) && !v2)
        return ferr_set(c->err, 400, "ValidationException",
                        "Stage %s: onFailure, onSuccess and beforeEntry are only supported for "
                        "pipelines of type V2",
                        sn);
    const char *res = jstr(of, "result");
    if (res && strcmp(res, "ROLLBACK") && strcmp(res, "FAIL"))
        return ferr_set(c->err, 400, "ValidationException",
                        "Stage %s: onFailure result %s is not supported; the results are "
                        "ROLLBACK and FAIL",
                        sn, res);
    if (res && !strcmp(res, "ROLLBACK") && first)
        return invalid(c, "Stage %s is a source stage, which cannot be rolled back%s", sn, "");
    return cp_check_conditions(c, s);
}

/* Structure rules CreatePipeline and UpdatePipeline enforce beyond the model's. */
static int check_decl(call *c, const json_t *p)
{
    const json_t *stages = json_object_get(p, "stages");
    if (json_array_size(stages) < 2)
        return ferr_set(c->err, 400, "InvalidStructureException",
                        "Pipeline has only %zu stage(s). There should be a minimum of 2 stages.",
                        json_array_size(stages));
    if (!json_object_get(p, "artifactStore") && !json_object_get(p, "artifactStores"))
        return invalid(c, "Pipeline %s must have an artifact store%s", jstr(p, "name"), "");
    if (json_object_get(p, "artifactStore") && json_object_get(p, "artifactStores"))
        return invalid(c, "Pipeline %s cannot have both artifactStore and artifactStores%s",
                       jstr(p, "name"), "");
    const char *pt = jstr(p, "pipelineType");
    if (json_object_get(p, "variables") && (!pt || strcmp(pt, "V2")))
        return ferr_set(c->err, 400, "ValidationException",
                        "Pipeline-level variables are only supported for pipelines of type V2");
    if (jstr(p, "executionMode") && strcmp(jstr(p, "executionMode"), "SUPERSEDED") &&
        (!pt || strcmp(pt, "V2")))
        return ferr_set(c->err, 400, "ValidationException",
                        "Execution mode %s is only supported for pipelines of type V2",
                        jstr(p, "executionMode"));
    if (cp_check_triggers(c, p)) return -1;
    json_t *outputs = arena_defer_json(c->a, json_object()),
           *snames = arena_defer_json(c->a, json_object()),
           *names = arena_defer_json(c->a, json_object());
    if (!outputs || !snames || !names) return ferr_oom(c->err);
    size_t i, j;
    json_t *s, *a, *v;
    json_array_foreach(stages, i, s) {
        const char *sn = jstr(s, "name");
        if (json_object_get(snames, sn))
            return invalid(c, "Pipeline %s has more than one stage named %s", jstr(p, "name"), sn);
        if (json_object_set_new(snames, sn, json_true())) return ferr_oom(c->err);
        json_t *anames = arena_defer_json(c->a, json_object()),
               *stage_out = arena_defer_json(c->a, json_object());
        if (!anames || !stage_out) return ferr_oom(c->err);
        if (!json_array_size(json_object_get(s, "actions")))
            return invalid(c, "Stage %s of pipeline %s has no actions", sn, jstr(p, "name"));
        if (check_stage_rules(c, p, s, i == 0)) return -1;
        /* an input must come from an earlier stage, or from an earlier runOrder of its own */
        long long max_ro = 0;
        json_array_foreach(json_object_get(s, "actions"), j, a) {
            if (jint(a, "runOrder", 1) > max_ro) max_ro = jint(a, "runOrder", 1);
        }
        for (long long ro = 1; ro <= max_ro; ro++) {
            json_t *these = arena_defer_json(c->a, json_object());
            if (!these) return ferr_oom(c->err);
            json_array_foreach(json_object_get(s, "actions"), j, a) {
                if (jint(a, "runOrder", 1) != ro) continue;
                const char *an = jstr(a, "name");
                if (json_object_get(anames, an))
                    return invalid(c, "Stage %s has more than one action named %s", sn, an);
                if (json_object_set_new(anames, an, json_true())) return ferr_oom(c->err);
                if (check_action(c, a, i == 0, outputs, names)) return -1;
                size_t k;
                json_array_foreach(json_object_get(a, "outputArtifacts"), k, v) {
                    const char *on = jstr(v, "name");
                    if (json_object_get(outputs, on) || json_object_get(these, on))
                        return invalid(c,
                                       "Output Artifact Bundle name %s is declared more than "
                                       "once%s",
                                       on, "");
                    if (json_object_set_new(these, on, json_true())) return ferr_oom(c->err);
                }
            }
            if (json_object_update(outputs, these)) return ferr_oom(c->err);
        }
    }
    const char *role = jstr(p, "roleArn");
    if (!role || strncmp(role, "arn:", 4) || !strstr(role, ":role/"))
        return ferr_set(c->err, 400, "InvalidStructureException",
                        "CodePipeline is not authorized to perform AssumeRole on role %s",
                        role ? role : "");
    return 0;
}

/* The declaration as stored: defaults made explicit as GetPipeline shows them. */
static json_t *stored_decl(call *c, const json_t *in, long long version)
{
    json_t *p = json_deep_copy(in);
    if (!arena_defer_json(c->a, p)) return NULL;
    int rc = json_object_set_new(p, "version", json_integer(version));
    if (!jstr(p, "pipelineType")) rc |= jset_str(p, "pipelineType", "V1");
    if (!jstr(p, "executionMode")) rc |= jset_str(p, "executionMode", "SUPERSEDED");
    size_t i, j;
    json_t *s, *a;
    json_array_foreach(json_object_get(p, "stages"), i, s) {
        json_array_foreach(json_object_get(s, "actions"), j, a) {
            if (!json_object_get(a, "runOrder"))
                rc |= json_object_set_new(a, "runOrder", json_integer(1));
            if (!json_object_get(a, "inputArtifacts"))
                rc |= json_object_set_new(a, "inputArtifacts", json_array());
            if (!json_object_get(a, "outputArtifacts"))
                rc |= json_object_set_new(a, "outputArtifacts", json_array());
            if (!json_object_get(a, "configuration"))
                rc |= json_object_set_new(a, "configuration", json_object());
        }
    }
    return rc ? NULL : p;
}

static json_t *tags_list(const json_t *tags)
{
    json_t *l = json_array();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)tags, k, v) {
        if (l && json_array_append_new(l, json_pack("{s:s, s:O}", "key", k, "value", v))) {
            json_decref(l);
            return NULL;
        }
    }
    return l;
}

static int tags_merge(call *c, json_t *doc, const json_t *tags)
{
    json_t *t = json_object_get(doc, "Tags");
    size_t i;
    json_t *v;
    json_array_foreach(tags, i, v) {
        if (json_object_set(t, jstr(v, "key"), json_object_get(v, "value")))
            return ferr_oom(c->err);
    }
    if (json_object_size(t) > 50)
        return ferr_set(c->err, 400, "TooManyTagsException",
                        "Tag limit exceeded: a resource can have at most 50 tags");
    return 0;
}

/* Each stage of frozen (CloudFormation's DisableInboundStageTransitions: StageName, Reason)
 * with its inbound transition disabled in d, as DisableStageTransition would, checked and
 * authorized as it would be. */
static int freeze(call *c, json_t *d, const char *arn, const json_t *frozen)
{
    json_t *tr = json_object_get(d, "transitions");
    size_t i;
    json_t *v;
    json_array_foreach(frozen, i, v) {
        const char *sn = jstr(v, "StageName");
        if (!sn || !cp_stage_of(json_object_get(d, "pipeline"), sn))
            return ferr_set(c->err, 400, "StageNotFoundException",
                            "Stage %s does not exist in pipeline %s", sn ? sn : "",
                            jstr(json_object_get(d, "pipeline"), "name"));
        const char *sarn = arena_printf(c->a, "%s/%s", arn, sn);
        if (!sarn) return ferr_oom(c->err);
        if (call_authorize(c, "codepipeline:DisableStageTransition", sarn)) return -1;
        if (json_object_set_new(tr, sn,
                                json_pack("{s:b, s:s?, s:s, s:f}", "enabled", 0, "reason",
                                          jstr(v, "Reason"), "lastChangedBy", c->who->arn,
                                          "lastChangedAt", clock_now())))
            return ferr_oom(c->err);
    }
    return 0;
}

/* CreatePipeline; frozen: stages whose inbound transition starts disabled (freeze) */
static int create(call *c, json_t *in, json_t **out, const json_t *frozen)
{
    const json_t *p = json_object_get(in, "pipeline");
    const char *name = jstr(p, "name");
    const char *arn = cp_arn(c, name);
    if (!arn) return ferr_oom(c->err);
    if (call_authorize(c, "codepipeline:CreatePipeline", arn)) return -1;
    if (json_object_get(in, "tags") && call_authorize(c, "codepipeline:TagResource", arn))
        return -1;
    if (call_authorize(c, "iam:PassRole", jstr(p, "roleArn"))) return -1;
    if (check_decl(c, p)) return -1;
    json_t *decl = stored_decl(c, p, 1);
    double now = clock_now();
    json_t *d = arena_defer_json(c->a, json_pack("{s:O, s:s, s:f, s:f, s:{}, s:{}}", "pipeline",
                                                 decl, "arn", arn, "created", now, "updated", now,
                                                 "Tags", "transitions"));
    if (!decl || !d) return ferr_oom(c->err);
    if (tags_merge(c, d, json_object_get(in, "tags"))) return -1;
    if (frozen && freeze(c, d, arn, frozen)) return -1;
    store_key k = call_key(c, CP_PIPE_KIND, name);
    int rc = store_insert(c->txn, &k, d, c->err);
    if (rc < 0) return -1;
    if (rc == 1)
        return ferr_set(c->err, 400, "PipelineNameInUseException",
                        "A pipeline with the name '%s' already exists in account '%s'", name,
                        c->account);
    call_resource(c, "AWS::CodePipeline::Pipeline", name);
    /* AWS: a new pipeline starts an execution at once (its first source revision) */
    const char *id;
    json_t *trig = arena_defer_json(c->a, json_pack("{s:s, s:s}", "triggerType", "CreatePipeline",
                                                    "triggerDetail", c->who->arn));
    if (!trig) return ferr_oom(c->err);
    if (cp_exec_start(c, d, NULL, trig, NULL, &id)) return -1;
    json_t *o = json_pack("{s:O}", "pipeline", decl);
    if (o && json_object_get(in, "tags") &&
        json_object_set(o, "tags", json_object_get(in, "tags"))) {
        json_decref(o);
        o = NULL;
    }
    *out = svc_out(c, o);
    return 0;
}

int codepipeline_op_create_pipeline(call *c, json_t *in, json_t **out)
{
    return create(c, in, out, NULL);
}

static int create_frozen(call *c, json_t *in, json_t **out)
{
    return create(c, in, out, c->arg);
}

/* codepipeline_create_frozen (codepipeline.h): c->arg is the list of stages */
const svc_op codepipeline_create_frozen = {"CreatePipeline", create_frozen, 0};

/* The key of an older version of pipeline name: NAME/VERSION, zero-padded to sort. */
static const char *version_key(call *c, const char *name, long long version)
{
    return arena_printf(c->a, "%s/%010lld", name, version);
}

int codepipeline_op_update_pipeline(call *c, json_t *in, json_t **out)
{
    const json_t *p = json_object_get(in, "pipeline");
    json_t *d;
    if (cp_pipe_load(c, "codepipeline:UpdatePipeline", jstr(p, "name"), NULL, &d)) return -1;
    if (call_authorize(c, "iam:PassRole", jstr(p, "roleArn")) || check_decl(c, p)) return -1;
    long long ver = jint(json_object_get(d, "pipeline"), "version", 1) + 1;
    /* AWS: GetPipeline answers older versions too; each is kept as it was */
    const char *vid = version_key(c, jstr(p, "name"), ver - 1);
    if (!vid) return ferr_oom(c->err);
    store_key vk = call_key(c, CP_VERSION_KIND, vid);
    if (store_put(c->txn, &vk, json_object_get(d, "pipeline"), c->err)) return -1;
    json_t *decl = stored_decl(c, p, ver);
    if (!decl || json_object_set(d, "pipeline", decl) ||
        json_object_set_new(d, "updated", json_real(clock_now())))
        return ferr_oom(c->err);
    if (cp_pipe_save(c, d)) return -1;
    *out = svc_out(c, json_pack("{s:O}", "pipeline", decl));
    return 0;
}

int codepipeline_op_get_pipeline(call *c, json_t *in, json_t **out)
{
    json_t *d;
    const char *name = jstr(in, "name");
    if (cp_pipe_load(c, "codepipeline:GetPipeline", name, NULL, &d)) return -1;
    /* AWS: GetPipeline of an older version than the current one is refused when unknown */
    long long cur = jint(json_object_get(d, "pipeline"), "version", 1);
    json_t *decl = json_object_get(d, "pipeline");
    if (json_object_get(in, "version") && jint(in, "version", 0) != cur) {
        const char *vid = version_key(c, name, jint(in, "version", 0));
        if (!vid) return ferr_oom(c->err);
        store_key vk = call_key(c, CP_VERSION_KIND, vid);
        int rc = jint(in, "version", 0) < cur ? store_get(c->txn, &vk, &decl, c->err) : 0;
        if (rc < 0) return -1;
        if (!rc)
            return ferr_set(c->err, 400, "PipelineVersionNotFoundException",
                            "Pipeline '%s' does not have version %lld", name,
                            jint(in, "version", 0));
        if (!arena_defer_json(c->a, decl)) return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:O, s:{s:O, s:O, s:O}}", "pipeline", decl, "metadata",
                                "pipelineArn", json_object_get(d, "arn"), "created",
                                json_object_get(d, "created"), "updated",
                                json_object_get(d, "updated")));
    return 0;
}

static int list_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    const json_t *p = json_object_get(doc, "pipeline");
    json_t *v =
        json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "name", json_object_get(p, "name"), "version",
                  json_object_get(p, "version"), "pipelineType", json_object_get(p, "pipelineType"),
                  "executionMode", json_object_get(p, "executionMode"), "created",
                  json_object_get(doc, "created"), "updated", json_object_get(doc, "updated"));
    return json_array_append_new(ud, v) ? -1 : 0;
}

int codepipeline_op_list_pipelines(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "codepipeline:ListPipelines", "*")) return -1;
    json_t *all = arena_defer_json(c->a, json_array());
    if (!all) return ferr_oom(c->err);
    if (store_list(c->txn, CP_PIPE_KIND, c->account, c->region, NULL, NULL, 0, list_cb, all,
                   c->err) < 0)
        return -1;
    json_t *o = arena_defer_json(c->a, json_object());
    if (!o) return ferr_oom(c->err);
    if (svc_page(c, all, jstr(in, "nextToken"), jint(in, "maxResults", 1000), o, "pipelines",
                 "nextToken", "InvalidNextTokenException"))
        return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

typedef struct del_ctx {
    json_t *ids;
} del_ctx;

static int collect_ids(void *ud, const store_key *k, json_t *doc)
{
    (void)doc;
    return json_array_append_new(((del_ctx *)ud)->ids, json_string(k->id)) ? -1 : 0;
}

int codepipeline_op_delete_pipeline(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "name");
    const char *arn = cp_arn(c, name);
    if (!arn) return ferr_oom(c->err);
    if (call_authorize(c, "codepipeline:DeletePipeline", arn)) return -1;
    store_key k = call_key(c, CP_PIPE_KIND, name);
    if (store_del(c->txn, &k, c->err) < 0) return -1; /* AWS: absent is not an error */
    /* its running executions stop with it: the engine finds no pipeline and drops them */
    const char *prefix = arena_printf(c->a, "%s/", name);
    del_ctx d = {arena_defer_json(c->a, json_array())};
    if (!prefix || !d.ids) return ferr_oom(c->err);
    if (store_list(c->txn, CP_ACTIVE_KIND, c->account, c->region, prefix, NULL, 0, collect_ids, &d,
                   c->err) < 0)
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach(d.ids, i, v) {
        store_key ak = call_key(c, CP_ACTIVE_KIND, json_string_value(v));
        if (store_del(c->txn, &ak, c->err) < 0) return -1;
    }
    /* and its older versions, which a new pipeline of that name must not show */
    json_array_clear(d.ids);
    if (store_list(c->txn, CP_VERSION_KIND, c->account, c->region, prefix, NULL, 0, collect_ids, &d,
                   c->err) < 0)
        return -1;
    json_array_foreach(d.ids, i, v) {
        store_key vk = call_key(c, CP_VERSION_KIND, json_string_value(v));
        if (store_del(c->txn, &vk, c->err) < 0) return -1;
    }
    call_resource(c, "AWS::CodePipeline::Pipeline", name);
    *out = svc_out(c, json_object());
    return 0;
}

/* ---- tags ---- */

static int tagged(call *c, const char *arn, const char *action, json_t **doc)
{
    const char *pfx = arena_printf(c->a, "arn:%s:codepipeline:%s:%s:", arn_partition(c->region),
                                   c->region, c->account);
    if (!pfx) return ferr_oom(c->err);
    if (!arn || strncmp(arn, pfx, strlen(pfx)) || strchr(arn + strlen(pfx), '/'))
        return ferr_set(c->err, 400, "ResourceNotFoundException",
                        "The resource with the ARN %s cannot be found", arn ? arn : "");
    if (call_authorize(c, action, arn)) return -1;
    store_key k = call_key(c, CP_PIPE_KIND, arn + strlen(pfx));
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc < 0) return -1;
    if (!rc || !arena_defer_json(c->a, *doc))
        return rc ? ferr_oom(c->err)
                  : ferr_set(c->err, 400, "ResourceNotFoundException",
                             "The resource with the ARN %s cannot be found", arn);
    return 0;
}

int codepipeline_op_tag_resource(call *c, json_t *in, json_t **out)
{
    json_t *d;
    if (tagged(c, jstr(in, "resourceArn"), "codepipeline:TagResource", &d) ||
        tags_merge(c, d, json_object_get(in, "tags")) || cp_pipe_save(c, d))
        return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int codepipeline_op_untag_resource(call *c, json_t *in, json_t **out)
{
    json_t *d;
    if (tagged(c, jstr(in, "resourceArn"), "codepipeline:UntagResource", &d)) return -1;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(in, "tagKeys"), i, v) {
        if (json_string_value(v)) json_object_del(json_object_get(d, "Tags"), json_string_value(v));
    }
    if (cp_pipe_save(c, d)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int codepipeline_op_list_tags_for_resource(call *c, json_t *in, json_t **out)
{
    json_t *d;
    if (tagged(c, jstr(in, "resourceArn"), "codepipeline:ListTagsForResource", &d)) return -1;
    json_t *l = tags_list(json_object_get(d, "Tags"));
    *out = svc_out(c, l ? json_pack("{s:o}", "tags", l) : NULL);
    return 0;
}

/* AWS's own action types (those ferry runs) and the account's custom ones; actionOwnerFilter
 * AWS or Custom keeps one kind. */
typedef struct types {
    json_t *list;
} types;

static int type_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    return json_array_append(((types *)ud)->list, doc) ? -1 : 0;
}

int codepipeline_op_list_action_types(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "codepipeline:ListActionTypes", "*")) return -1;
    const char *owner = jstr(in, "actionOwnerFilter");
    types t = {arena_defer_json(c->a, json_array())};
    if (!t.list) return ferr_oom(c->err);
    for (size_t i = 0; (!owner || !strcmp(owner, "AWS")) && i < sizeof(kinds) / sizeof(kinds[0]);
         i++) {
        const provider_kind *k = &kinds[i];
        if (json_array_append_new(
                t.list,
                json_pack("{s:{s:s, s:s, s:s, s:s}, s:{s:i, s:i}, s:{s:i, s:i}, s:[]}", "id",
                          "category", k->category, "owner", "AWS", "provider", k->provider,
                          "version", "1", "inputArtifactDetails", "minimumCount", k->in_min,
                          "maximumCount", k->in_max, "outputArtifactDetails", "minimumCount",
                          k->out_min, "maximumCount", k->out_max, "actionConfigurationProperties")))
            return ferr_oom(c->err);
    }
    if ((!owner || !strcmp(owner, "Custom")) &&
        store_list(c->txn, CP_TYPE_KIND, c->account, c->region, NULL, NULL, 0, type_cb, &t,
                   c->err) < 0)
        return -1;
    json_t *o = arena_defer_json(c->a, json_object());
    if (!o) return ferr_oom(c->err);
    if (svc_page(c, t.list, jstr(in, "nextToken"), 100, o, "actionTypes", "nextToken",
                 "InvalidNextTokenException"))
        return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}
