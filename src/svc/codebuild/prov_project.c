/* AWS::CodeBuild::Project. Ref = the project's name; GetAtt Arn. Its properties are the
 * API's members in CloudFormation's case (Source.BuildSpec is the API's source.buildspec),
 * so they are given to CreateProject and UpdateProject with their keys' first letters
 * lowered, at every depth; a change of Name replaces the project. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "codebuild_int.h"
#include "engine/stacks/prov_int.h"

static const prov_prop schema[] = {
    {"Name", PT_STR, 0},
    {"Description", PT_STR, 0},
    {"Source", PT_OBJECT, 1},
    {"SecondarySources", PT_LIST, 0},
    {"SourceVersion", PT_STR, 0},
    {"SecondarySourceVersions", PT_LIST, 0},
    {"Artifacts", PT_OBJECT, 1},
    {"SecondaryArtifacts", PT_LIST, 0},
    {"Environment", PT_OBJECT, 1},
    {"ServiceRole", PT_STR, 1},
    {"TimeoutInMinutes", PT_INT, 0},
    {"QueuedTimeoutInMinutes", PT_INT, 0},
    {"ConcurrentBuildLimit", PT_INT, 0},
    {"LogsConfig", PT_OBJECT, 0},
    {"Cache", PT_OBJECT, 0},
    {"EncryptionKey", PT_STR, 0},
    {"BadgeEnabled", PT_BOOL, 0},
    {"VpcConfig", PT_OBJECT, 0},
    {"FileSystemLocations", PT_LIST, 0},
    {"BuildBatchConfig", PT_OBJECT, 0},
    {"Tags", PT_TAGS, 0},
    {"Triggers", PT_OBJECT, 0},        /* webhooks: not ferry's */
    {"Visibility", PT_STR, 0},         /* public builds: not ferry's */
    {"ResourceAccessRole", PT_STR, 0}, /* ditto */
    {NULL, 0, 0},
};

/* CloudFormation's BuildSpec is the API's buildspec (all lower case). */
static json_t *buildspec_key(const char *cfn_key, char *key, const json_t *v, int *skip, void *ud)
{
    (void)v, (void)skip, (void)ud;
    if (!strcmp(cfn_key, "BuildSpec")) strcpy(key, "buildspec");
    return NULL;
}

/* v with every object key's first letter lowered (new reference; NULL out of memory). */
static json_t *camel(const json_t *v)
{
    return prov_camel(v, buildspec_key, NULL);
}

/* The API's input for props pr, named name. */
static json_t *input(cfn_pctx *p, const json_t *pr, const char *name)
{
    json_t *in = json_pack("{s:s}", "name", name);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)pr, k, v) {
        if (!in) break;
        if (!strcmp(k, "Name") || !strcmp(k, "Triggers") || !strcmp(k, "Visibility") ||
            !strcmp(k, "ResourceAccessRole") || !strcmp(k, "Tags"))
            continue;
        char key[64];
        snprintf(key, sizeof(key), "%s", k);
        key[0] = (char)tolower((unsigned char)key[0]);
        if (json_object_set_new(in, key, camel(v))) json_decref(in), in = NULL;
    }
    json_t *tags = prov_tags(p, json_object_get(pr, "Tags"), 0);
    if (in && (!tags || json_object_set_new(in, "tags", camel(tags)))) json_decref(in), in = NULL;
    json_decref(tags);
    return in;
}

static int project_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    return prov_call_gone_ok(p, NULL, "codebuild", "DeleteProject", json_pack("{s:s}", "name", id));
}

static int project_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    if (prov_call(p, "codebuild", "BatchGetProjects", json_pack("{s:[s]}", "names", id), &out))
        return -1;
    const json_t *proj = json_array_get(json_object_get(out, "projects"), 0);
    int rc =
        proj ? ((*attrs = json_pack("{s:O}", "Arn", json_object_get(proj, "arn"))) ? 0
                                                                                   : ferr_oom(p->e))
             : ferr_set(p->e, 404, "ResourceNotFoundException", "Project cannot be found: %s", id);
    json_decref(out);
    return rc;
}

static int project_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id,
                        json_t **attrs)
{
    (void)s, (void)attrs;
    char *name = prov_name(p, pr, "Name", 150, 0);
    if (!name) return ferr_oom(p->e);
    json_t *in = input(p, pr, name);
    if (!in || cfn_intent(p, name) || prov_call(p, "codebuild", "CreateProject", in, NULL)) {
        if (!in) ferr_oom(p->e);
        free(name);
        return -1;
    }
    *id = name;
    return 0;
}

static int project_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                          const json_t *np)
{
    (void)s, (void)op;
    json_t *in = input(p, np, id);
    return in ? prov_call(p, "codebuild", "UpdateProject", in, NULL) : ferr_oom(p->e);
}

static const prov_shape shape = {
    .schema = schema,
    .make = project_make,
    .change = project_change,
    .attrs = project_attrs,
    .del = project_del,
};

static const char *const replace_on[] = {"Name", NULL};

const cfn_provider cfn_provider_codebuild_project = {
    .type = "AWS::CodeBuild::Project",
    .shape = &shape,
    .del = project_del,
    .replace_on = replace_on,
    .name_property = "Name",
    .name_max = 150,
};
