/* CloudFormation's ECS types, through the service's operations:
 *   AWS::ECS::Cluster  Ref = the cluster's name; GetAtt Arn. Every change but Tags replaces
 *       it (tags are set when it is made).
 *   AWS::ECS::TaskDefinition  Ref = the revision's ARN; GetAtt TaskDefinitionArn. Every
 *       change registers a new revision and deregisters the old, as AWS does.
 *   AWS::ECS::Service  Ref = the service's ARN; GetAtt Name, ServiceArn. DesiredCount,
 *       TaskDefinition, NetworkConfiguration, LoadBalancers, ServiceRegistries and the
 *       deployment settings change in place (UpdateService).
 * CloudFormation names members as the API does, with a capital: properties go through
 * prov_camel, and what templates give as text where the API wants numbers is converted. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/jval.h"
#include "engine/stacks/prov_int.h"

/* Maps whose keys are the user's (log driver options, Docker labels) keep them; numbers
 * given as text become numbers. */
static json_t *camel_fn(const char *cfn_key, char *key, const json_t *v, int *skip, void *ud)
{
    (void)skip, (void)ud, (void)key;
    if (!strcmp(cfn_key, "Options") || !strcmp(cfn_key, "DockerLabels") ||
        !strcmp(cfn_key, "SecretOptions"))
        return json_deep_copy(v);
    static const char *const ints[] = {"ContainerPort",
                                       "HostPort",
                                       "Cpu",
                                       "Memory",
                                       "MemoryReservation",
                                       "Port",
                                       "DesiredCount",
                                       "Weight",
                                       "Base",
                                       "MaximumPercent",
                                       "MinimumHealthyPercent",
                                       "HealthCheckGracePeriodSeconds"};
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
        if (!strcmp(cfn_key, ints[i]) && json_is_string(v)) return prov_as_int(v);
    return NULL;
}

static json_t *api_of(cfn_pctx *p, const json_t *pr, const char *const *skip)
{
    json_t *src = json_deep_copy(pr);
    if (!src) return NULL;
    for (; skip && *skip; skip++) json_object_del(src, *skip);
    json_t *tags = prov_tags(p, json_object_get(pr, "Tags"), 0);
    int rc = !tags || json_object_set_new(src, "Tags", tags);
    json_t *v = rc ? NULL : prov_camel(src, camel_fn, NULL);
    json_decref(src);
    if (v && !json_array_size(json_object_get(v, "tags"))) json_object_del(v, "tags");
    return v;
}

/* A delete that finds its resource gone (prov_is_gone, or one of gone's codes) is done. */
static int del_gone_ok(cfn_pctx *p, const char *op, json_t *in, const char *const *gone)
{
    int rc = prov_call(p, "ecs", op, in, NULL);
    int g = rc && prov_is_gone(p->e);
    for (; rc && gone && *gone; gone++) g |= !strcmp(p->e->code, *gone);
    if (g) {
        ferr_clear(p->e);
        return 0;
    }
    return rc;
}

/* ---- Cluster ---- */

static const prov_prop cl_schema[] = {
    {"ClusterName", PT_STR, 0},
    {"ClusterSettings", PT_LIST, 0},
    {"CapacityProviders", PT_STRLIST, 0},
    {"DefaultCapacityProviderStrategy", PT_LIST, 0},
    {"Configuration", PT_OBJECT, 0},
    {"ServiceConnectDefaults", PT_OBJECT, 0},
    {"Tags", PT_TAGS, 0},
    {NULL, 0, 0},
};

static int cl_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    static const char *const gone[] = {"ClusterNotFoundException", NULL};
    return del_gone_ok(p, "DeleteCluster", json_pack("{s:s}", "cluster", id), gone);
}

static int cl_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    if (prov_call(p, "ecs", "DescribeClusters", json_pack("{s:[s]}", "clusters", id), &out))
        return -1;
    json_t *cl = json_array_get(json_object_get(out, "clusters"), 0);
    *attrs = cl ? json_pack("{s:O}", "Arn", json_object_get(cl, "clusterArn")) : NULL;
    json_decref(out);
    if (!cl) return ferr_set(p->e, 400, "ClusterNotFoundException", "Cluster %s not found.", id);
    return *attrs ? 0 : ferr_oom(p->e);
}

static int cl_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    static const char *const skip[] = {"ClusterSettings", NULL};
    const char *name = jstr(pr, "ClusterName");
    json_t *in = api_of(p, pr, skip);
    json_t *settings = json_object_get(pr, "ClusterSettings");
    if (in && settings && json_object_set_new(in, "settings", prov_camel(settings, NULL, NULL))) {
        json_decref(in);
        in = NULL;
    }
    if (!in) return ferr_oom(p->e);
    /* ECS answers an existing cluster instead of refusing it: CloudFormation does not take
     * one over */
    json_t *have = NULL;
    if (prov_call(p, "ecs", "DescribeClusters", json_pack("{s:[s]}", "clusters", name), &have)) {
        json_decref(in);
        return -1;
    }
    int exists = json_array_size(json_object_get(have, "clusters")) > 0;
    json_decref(have);
    if (exists) {
        json_decref(in);
        return ferr_set(p->e, 400, "AlreadyExists",
                        "Resource of type 'AWS::ECS::Cluster' with identifier '%s' already "
                        "exists.",
                        name);
    }
    if (cfn_intent(p, name) || prov_call(p, "ecs", "CreateCluster", in, NULL)) return -1;
    *id = strdup(name);
    return *id ? 0 : ferr_oom(p->e);
}

static const prov_shape cl_shape = {
    .schema = cl_schema,
    .make = cl_make,
    .attrs = cl_attrs,
    .del = cl_del,
};
static const char *const cl_replace[] = {"ClusterName",
                                         "ClusterSettings",
                                         "CapacityProviders",
                                         "DefaultCapacityProviderStrategy",
                                         "Configuration",
                                         "ServiceConnectDefaults",
                                         NULL};

const cfn_provider cfn_provider_ecs_cluster = {
    .type = "AWS::ECS::Cluster",
    .shape = &cl_shape,
    .del = cl_del,
    .replace_on = cl_replace,
    .name_property = "ClusterName",
    .name_max = 255,
};

/* ---- TaskDefinition ---- */

static const prov_prop td_schema[] = {
    {"Family", PT_STR, 0},
    {"ContainerDefinitions", PT_LIST, 0},
    {"Cpu", PT_STR, 0},
    {"Memory", PT_STR, 0},
    {"NetworkMode", PT_STR, 0},
    {"RequiresCompatibilities", PT_STRLIST, 0},
    {"ExecutionRoleArn", PT_STR, 0},
    {"TaskRoleArn", PT_STR, 0},
    {"Volumes", PT_LIST, 0},
    {"PlacementConstraints", PT_LIST, 0},
    {"ProxyConfiguration", PT_OBJECT, 0},
    {"RuntimePlatform", PT_OBJECT, 0},
    {"EphemeralStorage", PT_OBJECT, 0},
    {"PidMode", PT_STR, 0},
    {"IpcMode", PT_STR, 0},
    {"Tags", PT_TAGS, 0},
    {NULL, 0, 0},
};

static int td_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    static const char *const gone[] = {"ClientException", NULL};
    /* an announced id is the family: nothing to deregister by a family alone */
    if (!strchr(id, ':')) return 0;
    return del_gone_ok(p, "DeregisterTaskDefinition", json_pack("{s:s}", "taskDefinition", id),
                       gone);
}

static int td_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    *attrs = json_pack("{s:s}", "TaskDefinitionArn", id);
    return *attrs ? 0 : ferr_oom(p->e);
}

static int td_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    json_t *in = api_of(p, pr, NULL), *out = NULL;
    if (!in) return ferr_oom(p->e);
    /* the task's cpu and memory are text in the API, a container's are numbers */
    static const char *const task_text[] = {"cpu", "memory"};
    for (size_t i = 0; i < 2; i++) {
        json_t *v = json_object_get(in, task_text[i]);
        if (json_is_number(v) && json_object_set_new(in, task_text[i], prov_as_str(v))) {
            json_decref(in);
            return ferr_oom(p->e);
        }
    }
    /* AWS: a Family of the template's own is kept across replacements (each is a new
     * revision of it), so it is no custom name the engine must refuse to replace */
    char *family = prov_name(p, pr, "Family", 255, 0);
    if (!family || jset_str(in, "family", family)) {
        free(family);
        json_decref(in);
        return ferr_oom(p->e);
    }
    int intent = cfn_intent(p, family);
    free(family);
    if (intent || prov_call(p, "ecs", "RegisterTaskDefinition", in, &out)) return -1;
    const char *arn = jstr(json_object_get(out, "taskDefinition"), "taskDefinitionArn");
    *id = arn ? strdup(arn) : NULL;
    json_decref(out);
    return *id ? 0 : ferr_oom(p->e);
}

static const prov_shape td_shape = {
    .schema = td_schema,
    .make = td_make,
    .attrs = td_attrs,
    .del = td_del,
};

/* AWS: a task definition is immutable; any change is a new revision */
static const char *const td_replace[] = {"Family",
                                         "ContainerDefinitions",
                                         "Cpu",
                                         "Memory",
                                         "NetworkMode",
                                         "RequiresCompatibilities",
                                         "ExecutionRoleArn",
                                         "TaskRoleArn",
                                         "Volumes",
                                         "PlacementConstraints",
                                         "ProxyConfiguration",
                                         "RuntimePlatform",
                                         "EphemeralStorage",
                                         "PidMode",
                                         "IpcMode",
                                         "Tags",
                                         NULL};

const cfn_provider cfn_provider_ecs_task_definition = {
    .type = "AWS::ECS::TaskDefinition",
    .shape = &td_shape,
    .del = td_del,
    .replace_on = td_replace,
};

/* ---- Service ---- */

static const prov_prop sv_schema[] = {
    {"Cluster", PT_STR, 0},
    {"ServiceName", PT_STR, 0},
    {"TaskDefinition", PT_STR, 0},
    {"DesiredCount", PT_INT, 0},
    {"LaunchType", PT_STR, 0},
    {"PlatformVersion", PT_STR, 0},
    {"NetworkConfiguration", PT_OBJECT, 0},
    {"LoadBalancers", PT_LIST, 0},
    {"ServiceRegistries", PT_LIST, 0},
    {"DeploymentConfiguration", PT_OBJECT, 0},
    {"DeploymentController", PT_OBJECT, 0},
    {"HealthCheckGracePeriodSeconds", PT_INT, 0},
    {"SchedulingStrategy", PT_STR, 0},
    {"PlacementConstraints", PT_LIST, 0},
    {"PlacementStrategies", PT_LIST, 0},
    {"CapacityProviderStrategy", PT_LIST, 0},
    {"PropagateTags", PT_STR, 0},
    {"EnableECSManagedTags", PT_BOOL, 0},
    {"EnableExecuteCommand", PT_BOOL, 0},
    {"Role", PT_STR, 0},
    {"Tags", PT_TAGS, 0},
    {NULL, 0, 0},
};

static int sv_del(cfn_pctx *p, const char *id, const json_t *props)
{
    static const char *const gone[] = {"ClusterNotFoundException", "ServiceNotFoundException",
                                       "ServiceNotActiveException", NULL};
    json_t *in = json_pack("{s:s, s:b}", "service", id, "force", 1);
    if (in && jstr(props, "Cluster") && jset_str(in, "cluster", jstr(props, "Cluster"))) {
        json_decref(in);
        in = NULL;
    }
    return del_gone_ok(p, "DeleteService", in, gone);
}

static int sv_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    const char *name = strrchr(id, '/');
    *attrs = json_pack("{s:s, s:s}", "Name", name ? name + 1 : id, "ServiceArn", id);
    return *attrs ? 0 : ferr_oom(p->e);
}

static int sv_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    static const char *const skip[] = {"PlacementStrategies", NULL};
    json_t *in = api_of(p, pr, skip), *out = NULL;
    json_t *ps = json_object_get(pr, "PlacementStrategies");
    if (in && ps && json_object_set_new(in, "placementStrategy", prov_camel(ps, NULL, NULL))) {
        json_decref(in);
        in = NULL;
    }
    /* CloudFormation: DesiredCount defaults to 1 */
    if (in && !json_object_get(in, "desiredCount") &&
        json_object_set_new(in, "desiredCount", json_integer(1))) {
        json_decref(in);
        in = NULL;
    }
    if (!in) return ferr_oom(p->e);
    if (cfn_intent(p, jstr(pr, "ServiceName")) || prov_call(p, "ecs", "CreateService", in, &out))
        return -1;
    const char *arn = jstr(json_object_get(out, "service"), "serviceArn");
    *id = arn ? strdup(arn) : NULL;
    json_decref(out);
    return *id ? 0 : ferr_oom(p->e);
}

static int sv_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                     const json_t *np)
{
    (void)s, (void)op;
    static const char *const skip[] = {
        "ServiceName", "LaunchType",           "SchedulingStrategy",  "Role",
        "Tags",        "DeploymentController", "PlacementStrategies", NULL};
    json_t *in = api_of(p, np, skip);
    if (in) json_object_del(in, "tags");
    if (in && (jset_str(in, "service", id) ||
               (!json_object_get(in, "desiredCount") &&
                json_object_set_new(in, "desiredCount", json_integer(1))))) {
        json_decref(in);
        in = NULL;
    }
    if (!in) return ferr_oom(p->e);
    return prov_call(p, "ecs", "UpdateService", in, NULL);
}

static const prov_shape sv_shape = {
    .schema = sv_schema,
    .make = sv_make,
    .change = sv_change,
    .attrs = sv_attrs,
    .del = sv_del,
};
static const char *const sv_replace[] = {
    "Cluster", "ServiceName",          "LaunchType", "SchedulingStrategy",
    "Role",    "DeploymentController", NULL};

const cfn_provider cfn_provider_ecs_service = {
    .type = "AWS::ECS::Service",
    .shape = &sv_shape,
    .del = sv_del,
    .replace_on = sv_replace,
    .name_property = "ServiceName",
    .name_max = 255,
};
