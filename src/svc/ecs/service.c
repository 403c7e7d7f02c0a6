/* Services. No task runs (see ecs_int.h): runningCount is desiredCount as soon as it is
 * set, and a new deployment (a new task definition, network configuration, or
 * forceNewDeployment) replaces the PRIMARY one at once, COMPLETED. A deleted service stays
 * describable as INACTIVE until its cluster goes, and its name can be used again. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "ecs_int.h"
#include "svc/ec2/ec2.h"

#define MAX_DESCRIBE 10 /* AWS: services per DescribeServices */

static int svc_missing(call *c)
{
    return ferr_set(c->err, 400, "ServiceNotFoundException", "Service not found.");
}

/* The service a name or ARN names in cluster (its key in *id): 1, 0, -1. */
static int service_find(call *c, const json_t *cluster, const char *ref, const char **id,
                        json_t **doc)
{
    const char *cname = jstr(cluster, "clusterName");
    const char *rest = ref ? ecs_arn_rest(c, ref, "service") : NULL;
    const char *name = ref;
    if (rest) {
        size_t n = strlen(cname);
        /* service/CLUSTER/NAME, or the old service/NAME */
        name = !strncmp(rest, cname, n) && rest[n] == '/' ? rest + n + 1 : rest;
    } else if (!ref || !strncmp(ref, "arn:", 4))
        return 0;
    *id = arena_printf(c->a, "%s/%s", cname, name);
    return *id ? call_doc_get(c, ECS_SERVICE, *id, doc) : ferr_oom(c->err);
}

static json_t *svc_view(call *c, const json_t *doc, int tags)
{
    json_t *v = arena_defer_json(c->a, json_deep_copy(doc));
    if (!v)
        c->oom = 1;
    else if (!tags)
        json_object_del(v, "tags");
    return v;
}

/* A PRIMARY deployment of the service as it now is, COMPLETED. New reference. */
static json_t *deployment(const json_t *s, double now)
{
    char digits[20];
    ids_random(digits, sizeof(digits) - 1);
    for (size_t i = 0; i < sizeof(digits) - 1; i++)
        digits[i] = (char)('0' + (unsigned char)digits[i] % 10);
    digits[sizeof(digits) - 1] = 0;
    char id[40], reason[96];
    snprintf(id, sizeof(id), "ecs-svc/%s", digits);
    snprintf(reason, sizeof(reason), "ECS deployment %s completed.", id);
    long long n = jint(s, "desiredCount", 0);
    json_t *d =
        json_pack("{s:s, s:s, s:O, s:I, s:i, s:I, s:i, s:f, s:f, s:s, s:s}", "id", id, "status",
                  "PRIMARY", "taskDefinition", json_object_get(s, "taskDefinition"), "desiredCount",
                  n, "pendingCount", 0, "runningCount", n, "failedTasks", 0, "createdAt", now,
                  "updatedAt", now, "rolloutState", "COMPLETED", "rolloutStateReason", reason);
    static const char *const copy[] = {"launchType", "platformVersion", "platformFamily",
                                       "networkConfiguration", "capacityProviderStrategy"};
    for (size_t i = 0; d && i < sizeof(copy) / sizeof(copy[0]); i++) {
        json_t *v = json_object_get(s, copy[i]);
        if (v && json_object_set(d, copy[i], v)) {
            json_decref(d);
            return NULL;
        }
    }
    return d;
}

/* Appends AWS's "has reached a steady state" event (newest first, at most 100). */
static int steady(call *c, json_t *s, double now)
{
    char id[37];
    ids_uuid(id);
    json_t *evs = json_object_get(s, "events");
    const char *msg =
        arena_printf(c->a, "(service %s) has reached a steady state.", jstr(s, "serviceName"));
    if (!msg ||
        json_array_insert_new(
            evs, 0, json_pack("{s:s, s:f, s:s}", "id", id, "createdAt", now, "message", msg)))
        return ferr_oom(c->err);
    while (json_array_size(evs) > 100)
        if (json_array_remove(evs, json_array_size(evs) - 1)) return ferr_oom(c->err);
    return 0;
}

/* networkConfiguration against the task definition's network mode. */
static int check_network(call *c, const json_t *td, const json_t *net)
{
    const char *mode = jstr(td, "networkMode");
    int awsvpc = mode && !strcmp(mode, "awsvpc");
    const json_t *vpc = json_object_get(net, "awsvpcConfiguration");
    if (awsvpc && !vpc)
        return ecs_invalid(c, "Network Configuration must be provided when networkMode 'awsvpc' "
                              "is specified.");
    if (!awsvpc && vpc)
        return ecs_invalid(c, "Network Configuration is not valid for the given networkMode of "
                              "this task definition.");
    if (!vpc) return 0;
    if (!json_array_size(json_object_get(vpc, "subnets")))
        return ecs_invalid(c, "subnets can not be empty.");
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(vpc, "subnets"), i, x) {
        const char *id = json_string_value(x);
        int rc = ec2_subnet_usable(c->txn, c->region, id ? id : "", c->account, NULL, c->err);
        if (rc < 0) return -1;
        if (!rc)
            return ecs_invalid(c,
                               "Error retrieving subnet information for [%s]: The subnet ID "
                               "'%s' does not exist",
                               id ? id : "", id ? id : "");
    }
    json_array_foreach(json_object_get(vpc, "securityGroups"), i, x) {
        const char *id = json_string_value(x);
        int rc = ec2_sg_usable(c->txn, c->region, id ? id : "", c->account, NULL, c->err);
        if (rc < 0) return -1;
        if (!rc)
            return ecs_invalid(c,
                               "Error retrieving security group information for [%s]: The "
                               "security group '%s' does not exist",
                               id ? id : "", id ? id : "");
    }
    return 0;
}

static int has_container(const json_t *td, const char *name)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(td, "containerDefinitions"), i, d) {
        if (name && !strcmp(jstr(d, "name"), name)) return 1;
    }
    return 0;
}

static int check_lbs(call *c, const json_t *td, const json_t *lbs, const json_t *regs)
{
    size_t i;
    json_t *x;
    json_array_foreach(lbs, i, x) {
        if (!jstr(x, "targetGroupArn") && !jstr(x, "loadBalancerName"))
            return ecs_invalid(c, "Either targetGroupArn or loadBalancerName must be specified");
        if (!jstr(x, "containerName") || !json_object_get(x, "containerPort"))
            return ecs_invalid(c, "containerName and containerPort must be specified for a load "
                                  "balancer");
        if (!has_container(td, jstr(x, "containerName")))
            return ecs_invalid(c, "The container %s does not exist in the task definition.",
                               jstr(x, "containerName"));
    }
    json_array_foreach(regs, i, x) {
        if (!jstr(x, "registryArn"))
            return ecs_invalid(c, "registryArn must be specified for a service registry");
        if (jstr(x, "containerName") && !has_container(td, jstr(x, "containerName")))
            return ecs_invalid(c, "The container %s does not exist in the task definition.",
                               jstr(x, "containerName"));
    }
    return 0;
}

/* The task definition ref names, ACTIVE and fit for launch type lt. */
static int usable_taskdef(call *c, const char *ref, const char *lt, json_t **td)
{
    int rc = ecs_taskdef_find(c, ref, td);
    if (rc < 0) return -1;
    if (!rc) return ecs_invalid(c, "Unable to describe task definition.");
    if (strcmp(jstr(*td, "status"), "ACTIVE")) return ecs_invalid(c, "TaskDefinition is inactive");
    if (lt && !strcmp(lt, "FARGATE")) {
        int ok = 0;
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(*td, "compatibilities"), i, x) {
            ok |= !strcmp(json_string_value(x), "FARGATE");
        }
        if (!ok) return ecs_invalid(c, "Task definition does not support launch_type FARGATE.");
    }
    return 0;
}

int ecs_op_create_service(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "serviceName"), *lt = jstr(in, "launchType");
    json_t *cl, *td, *have, *tags = json_object_get(in, "tags");
    if (ecs_cluster_load(c, jstr(in, "cluster"), &cl)) return -1;
    const char *cname = jstr(cl, "clusterName");
    const char *arn = ecs_arn(c, arena_printf(c->a, "service/%s/%s", cname, name));
    if (!arn) return ferr_oom(c->err);
    if (ecs_auth(c, arn)) return -1;
    if (!ecs_valid_name(name))
        return ecs_invalid(c, "Service name must be between 1 and 255 characters: letters, "
                              "numbers, hyphens and underscores");
    if (!lt && !json_array_size(json_object_get(in, "capacityProviderStrategy"))) lt = "EC2";
    const char *sched = jstr(in, "schedulingStrategy") ? jstr(in, "schedulingStrategy") : "REPLICA";
    long long desired = jint(in, "desiredCount", !strcmp(sched, "DAEMON") ? 0 : 1);
    if (desired < 0) return ecs_invalid(c, "desiredCount must be at least 0");
    if (!jstr(in, "taskDefinition")) return ecs_invalid(c, "TaskDefinition must be specified.");
    if (usable_taskdef(c, jstr(in, "taskDefinition"), lt, &td) ||
        check_network(c, td, json_object_get(in, "networkConfiguration")) ||
        check_lbs(c, td, json_object_get(in, "loadBalancers"),
                  json_object_get(in, "serviceRegistries")) ||
        ecs_check_tags(c, tags))
        return -1;
    const char *id = arena_printf(c->a, "%s/%s", cname, name);
    int rc = id ? call_doc_get(c, ECS_SERVICE, id, &have) : ferr_oom(c->err);
    if (rc < 0) return -1;
    if (rc && strcmp(jstr(have, "status"), "INACTIVE"))
        return ecs_invalid(c, "Creation of service was not idempotent.");
    double now = clock_now();
    json_t *doc = arena_defer_json(
        c->a,
        json_pack("{s:s, s:s, s:O, s:[], s:[], s:s, s:I, s:I, s:i, s:O, s:{s:{s:b, s:b}, s:i, "
                  "s:i}, s:[], s:[], s:f, s:[], s:[], s:I, s:s, s:{s:s}, s:[], s:b, s:s, s:b}",
                  "serviceArn", arn, "serviceName", name, "clusterArn",
                  json_object_get(cl, "clusterArn"), "loadBalancers", "serviceRegistries", "status",
                  "ACTIVE", "desiredCount", desired, "runningCount", desired, "pendingCount", 0,
                  "taskDefinition", json_object_get(td, "taskDefinitionArn"),
                  "deploymentConfiguration", "deploymentCircuitBreaker", "enable", 0, "rollback", 0,
                  "maximumPercent", 200, "minimumHealthyPercent", 100, "deployments", "events",
                  "createdAt", now, "placementConstraints", "placementStrategy",
                  "healthCheckGracePeriodSeconds", jint(in, "healthCheckGracePeriodSeconds", 0),
                  "schedulingStrategy", sched, "deploymentController", "type", "ECS", "tags",
                  "enableECSManagedTags", jbool(in, "enableECSManagedTags", 0), "propagateTags",
                  jstr(in, "propagateTags") ? jstr(in, "propagateTags") : "NONE",
                  "enableExecuteCommand", jbool(in, "enableExecuteCommand", 0)));
    if (!doc) return ferr_oom(c->err);
    static const char *const keep[] = {"loadBalancers",        "serviceRegistries",
                                       "networkConfiguration", "placementConstraints",
                                       "placementStrategy",    "capacityProviderStrategy",
                                       "deploymentController", "platformVersion"};
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        json_t *v = json_object_get(in, keep[i]);
        if (v && json_object_set(doc, keep[i], v)) return ferr_oom(c->err);
    }
    json_t *dc = json_object_get(in, "deploymentConfiguration");
    const char *k;
    json_t *v;
    json_object_foreach(dc, k, v) {
        if (json_object_set(json_object_get(doc, "deploymentConfiguration"), k, v))
            return ferr_oom(c->err);
    }
    if ((lt && jset_str(doc, "launchType", lt)) ||
        (lt && !strcmp(lt, "FARGATE") &&
         ((!jstr(doc, "platformVersion") && jset_str(doc, "platformVersion", "LATEST")) ||
          jset_str(doc, "platformFamily", "Linux"))) ||
        (jstr(in, "role") && jset_str(doc, "roleArn", jstr(in, "role"))) ||
        (c->who && jset_str(doc, "createdBy", c->who->arn)) || ecs_tags_merge(c, doc, tags))
        return c->err->code[0] ? -1 : ferr_oom(c->err);
    if (json_array_append_new(json_object_get(doc, "deployments"), deployment(doc, now)))
        return ferr_oom(c->err);
    if (steady(c, doc, now) || call_doc_put(c, ECS_SERVICE, id, doc)) return -1;
    call_resource(c, "AWS::ECS::Service", arn);
    *out = svc_out(c, json_pack("{s:O}", "service", svc_view(c, doc, 0)));
    return 0;
}

static int load_active(call *c, const json_t *in, json_t **cl, const char **id, json_t **s)
{
    if (ecs_cluster_load(c, jstr(in, "cluster"), cl)) return -1;
    int rc = service_find(c, *cl, jstr(in, "service"), id, s);
    if (rc < 0) return -1;
    if (!rc) return svc_missing(c);
    return ecs_auth(c, jstr(*s, "serviceArn"));
}

int ecs_op_update_service(call *c, json_t *in, json_t **out)
{
    json_t *cl, *s, *td = NULL;
    const char *id;
    if (load_active(c, in, &cl, &id, &s)) return -1;
    if (strcmp(jstr(s, "status"), "ACTIVE"))
        return ferr_set(c->err, 400, "ServiceNotActiveException", "Service was not ACTIVE.");
    int redeploy = jbool(in, "forceNewDeployment", 0);
    if (jstr(in, "taskDefinition")) {
        if (usable_taskdef(c, jstr(in, "taskDefinition"), jstr(s, "launchType"), &td)) return -1;
        redeploy |= strcmp(jstr(td, "taskDefinitionArn"), jstr(s, "taskDefinition")) != 0;
        if (json_object_set(s, "taskDefinition", json_object_get(td, "taskDefinitionArn")))
            return ferr_oom(c->err);
    } else if (ecs_taskdef_find(c, jstr(s, "taskDefinition"), &td) < 0)
        return -1;
    json_t *net = json_object_get(in, "networkConfiguration");
    if (net) {
        if (td && check_network(c, td, net)) return -1;
        redeploy |= !json_equal(net, json_object_get(s, "networkConfiguration"));
    }
    if (td && check_lbs(c, td, json_object_get(in, "loadBalancers"),
                        json_object_get(in, "serviceRegistries")))
        return -1;
    if (json_object_get(in, "desiredCount")) {
        long long n = jint(in, "desiredCount", 0);
        if (n < 0) return ecs_invalid(c, "desiredCount must be at least 0");
        if (json_object_set_new(s, "desiredCount", json_integer(n)) ||
            json_object_set_new(s, "runningCount", json_integer(n)))
            return ferr_oom(c->err);
    }
    static const char *const keep[] = {"networkConfiguration", "loadBalancers",
                                       "serviceRegistries",    "placementConstraints",
                                       "placementStrategy",    "capacityProviderStrategy",
                                       "platformVersion",      "healthCheckGracePeriodSeconds",
                                       "enableExecuteCommand", "enableECSManagedTags",
                                       "propagateTags"};
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        json_t *v = json_object_get(in, keep[i]);
        if (v && json_object_set(s, keep[i], v)) return ferr_oom(c->err);
    }
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(in, "deploymentConfiguration"), k, v) {
        if (json_object_set(json_object_get(s, "deploymentConfiguration"), k, v))
            return ferr_oom(c->err);
    }
    double now = clock_now();
    json_t *deps = json_object_get(s, "deployments");
    if (redeploy || !json_array_size(deps)) {
        if (json_array_clear(deps) || json_array_append_new(deps, deployment(s, now)))
            return ferr_oom(c->err);
    } else {
        json_t *d = json_array_get(deps, 0);
        long long n = jint(s, "desiredCount", 0);
        if (json_object_set_new(d, "desiredCount", json_integer(n)) ||
            json_object_set_new(d, "runningCount", json_integer(n)) ||
            json_object_set_new(d, "updatedAt", json_real(now)))
            return ferr_oom(c->err);
    }
    if (steady(c, s, now) || call_doc_put(c, ECS_SERVICE, id, s)) return -1;
    *out = svc_out(c, json_pack("{s:O}", "service", svc_view(c, s, 0)));
    return 0;
}

int ecs_op_delete_service(call *c, json_t *in, json_t **out)
{
    json_t *cl, *s;
    const char *id;
    if (load_active(c, in, &cl, &id, &s)) return -1;
    if (!strcmp(jstr(s, "status"), "INACTIVE"))
        return ferr_set(c->err, 400, "ServiceNotActiveException", "Service was not ACTIVE.");
    if (jint(s, "desiredCount", 0) > 0 && !jbool(in, "force", 0))
        return ecs_invalid(c, "The service cannot be stopped while it is scaled above 0.");
    if (json_object_set_new(s, "desiredCount", json_integer(0)) ||
        json_object_set_new(s, "runningCount", json_integer(0)) ||
        jset_str(s, "status", "INACTIVE") || json_array_clear(json_object_get(s, "deployments")))
        return ferr_oom(c->err);
    if (call_doc_put(c, ECS_SERVICE, id, s)) return -1;
    call_resource(c, "AWS::ECS::Service", jstr(s, "serviceArn"));
    json_t *v = svc_view(c, s, 0);
    /* AWS: the reply shows the service DRAINING; it is INACTIVE once its tasks stopped,
     * which here is at once */
    if (v && jset_str(v, "status", "DRAINING")) return ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:O}", "service", v));
    return 0;
}

int ecs_op_describe_services(call *c, json_t *in, json_t **out)
{
    json_t *cl, *refs = json_object_get(in, "services"), *x;
    if (ecs_auth(c, NULL) || ecs_cluster_load(c, jstr(in, "cluster"), &cl)) return -1;
    if (json_array_size(refs) > MAX_DESCRIBE)
        return ecs_invalid(c, "services can have at most %d items.", MAX_DESCRIBE);
    int tags = 0;
    size_t i;
    json_array_foreach(json_object_get(in, "include"), i, x) {
        tags |= !strcmp(json_string_value(x), "TAGS");
    }
    json_t *list = arena_defer_json(c->a, json_array()),
           *fails = arena_defer_json(c->a, json_array());
    if (!list || !fails) return ferr_oom(c->err);
    json_array_foreach(refs, i, x) {
        const char *ref = json_string_value(x), *id;
        json_t *s;
        int rc = service_find(c, cl, ref, &id, &s);
        if (rc < 0) return -1;
        if (rc ? json_array_append(list, svc_view(c, s, tags))
               : json_array_append_new(
                     fails, json_pack("{s:s, s:s}", "arn",
                                      strncmp(ref, "arn:", 4)
                                          ? ecs_arn(c, arena_printf(c->a, "service/%s/%s",
                                                                    jstr(cl, "clusterName"), ref))
                                          : ref,
                                      "reason", "MISSING")))
            return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:O, s:O}", "services", list, "failures", fails));
    return 0;
}

int ecs_op_list_services(call *c, json_t *in, json_t **out)
{
    json_t *cl;
    if (ecs_auth(c, NULL) || ecs_cluster_load(c, jstr(in, "cluster"), &cl)) return -1;
    const char *lt = jstr(in, "launchType"), *sched = jstr(in, "schedulingStrategy");
    json_t *all = call_doc_list(c, ECS_SERVICE, arena_printf(c->a, "%s/", jstr(cl, "clusterName")));
    json_t *arns = arena_defer_json(c->a, json_array()), *x;
    size_t i;
    if (!all || !arns) return all ? ferr_oom(c->err) : -1;
    json_array_foreach(all, i, x) {
        if (!strcmp(jstr(x, "status"), "INACTIVE")) continue;
        if (lt && (!jstr(x, "launchType") || strcmp(jstr(x, "launchType"), lt))) continue;
        if (sched && strcmp(jstr(x, "schedulingStrategy"), sched)) continue;
        if (json_array_append(arns, json_object_get(x, "serviceArn"))) return ferr_oom(c->err);
    }
    return ecs_page(c, in, arns, "serviceArns", out);
}
