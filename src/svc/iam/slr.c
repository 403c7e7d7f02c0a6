/* Service-linked roles: roles AWS services define for themselves, named and trusted by the
 * service, under /aws-service-role/SERVICE/, deleted only through DeleteServiceLinkedRole
 * (a deletion task, kind "iam.slrtask" id = the task id, which is done at once). */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/ids.h"
#include "iam_int.h"

typedef struct slr_def {
    const char *service, *role,
        *policy; /* policy: under arn:aws:iam::aws:policy/aws-service-role/ */
    int suffix;  /* CustomSuffix allowed */
} slr_def;

/* AWS's names for the services ferry runs (and a few people ask for); policies are attached
 * when ferry's managed policy table has them. */
static const slr_def defs[] = {
    {"elasticloadbalancing.amazonaws.com", "AWSServiceRoleForElasticLoadBalancing",
     "AWSElasticLoadBalancingServiceRolePolicy", 0},
    {"ecs.amazonaws.com", "AWSServiceRoleForECS", "AmazonECSServiceRolePolicy", 0},
    {"organizations.amazonaws.com", "AWSServiceRoleForOrganizations",
     "AWSOrganizationsServiceTrustPolicy", 0},
    {"autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling", "AutoScalingServiceRolePolicy",
     1},
    {"appmesh.amazonaws.com", "AWSServiceRoleForAppMesh", "AWSAppMeshServiceRolePolicy", 0},
    {"access-analyzer.amazonaws.com", "AWSServiceRoleForAccessAnalyzer",
     "AccessAnalyzerServiceRolePolicy", 0},
    {"cloudtrail.amazonaws.com", "AWSServiceRoleForCloudTrail", "CloudTrailServiceRolePolicy", 0},
    {"route53.amazonaws.com", "AWSServiceRoleForRoute53", "AWSRoute53ServiceRolePolicy", 0},
};

static const slr_def *find_def(const char *service)
{
    for (size_t i = 0; service && i < sizeof(defs) / sizeof(defs[0]); i++)
        if (!strcmp(defs[i].service, service)) return &defs[i];
    return NULL;
}

int iamsvc_is_service_linked(const json_t *role)
{
    const char *p = jstr(role, "Path");
    return p && !strncmp(p, "/aws-service-role/", 18);
}

int iam_op_create_service_linked_role(call *c, json_t *in, json_t **out)
{
    const char *service = jstr(in, "AWSServiceName"), *suffix = jstr(in, "CustomSuffix");
    const slr_def *d = find_def(service);
    if (!d)
        return ferr_set(c->err, 400, "InvalidInput", "Invalid service name: %s",
                        service ? service : "");
    if (suffix && !d->suffix)
        return ferr_set(c->err, 400, "InvalidInput", "Custom suffix is not allowed for %s",
                        d->role);
    const char *name = suffix ? arena_printf(c->a, "%s_%s", d->role, suffix) : d->role;
    const char *path = arena_printf(c->a, "/aws-service-role/%s/", service);
    if (iamsvc_authorize(c, "iam:CreateServiceLinkedRole",
                         iamsvc_arn(c, c->account, "role", path, name)))
        return -1;
    const char *trust = arena_printf(
        c->a,
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
        "{\"Service\":\"%s\"},\"Action\":\"sts:AssumeRole\"}]}",
        service);
    json_t *role = NULL;
    if (iamsvc_create_role(c, c->account, name, path, trust, jstr(in, "Description"), 0, &role)) {
        if (!strcmp(c->err->code, "EntityAlreadyExists"))
            ferr_set(c->err, 400, "InvalidInput",
                     "Service role name %s has been taken in this account, please try a "
                     "different suffix.",
                     name);
        return -1;
    }
    const char *pol = arena_printf(c->a, "arn:aws:iam::aws:policy/aws-service-role/%s", d->policy);
    int rc = iamsvc_aws_policy(pol) ? iamsvc_attach_role_policy(c, c->account, name, pol) : 0;
    json_decref(role);
    if (rc || iamsvc_get_role(c->txn, c->account, name, &role, c->err) != 1) return -1;
    *out = svc_out(c, json_pack("{s:o}", "Role", iamsvc_role_view(c, role, 1)));
    json_decref(role);
    return 0;
}

int iam_op_delete_service_linked_role(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "RoleName");
    json_t *role = NULL;
    if (iamsvc_load_auth(c, &iamsvc_role_t, "iam:DeleteServiceLinkedRole", name, &role)) return -1;
    if (!iamsvc_is_service_linked(role)) {
        json_decref(role);
        return ferr_set(c->err, 400, "InvalidInput", "%s is not a service-linked role.", name);
    }
    char uuid[40];
    ids_uuid(uuid);
    const char *path = jstr(role, "Path");
    const char *task = arena_printf(c->a, "task%s%s/%s", path, jstr(role, "RoleName"), uuid);
    store_key rk = {"iam.role", c->account, IAMSVC_REGION,
                    iamsvc_lower(c->a, jstr(role, "RoleName"))};
    store_key tk = {"iam.slrtask", c->account, IAMSVC_REGION, task};
    json_t *t =
        json_pack("{s:s, s:f}", "Status", "SUCCEEDED", "Created", (double)(long long)clock_now());
    /* the service has no resources of ferry's to keep it: the deletion succeeds at once */
    int rc = t ? 0 : ferr_oom(c->err);
    if (!rc) rc = store_del(c->txn, &rk, c->err) < 0 || store_put(c->txn, &tk, t, c->err) ? -1 : 0;
    call_resource(c, "AWS::IAM::Role", jstr(role, "RoleName"));
    json_decref(t);
    json_decref(role);
    if (!rc) *out = svc_out(c, json_pack("{s:s}", "DeletionTaskId", task));
    return rc;
}

int iam_op_get_service_linked_role_deletion_status(call *c, json_t *in, json_t **out)
{
    const char *task = jstr(in, "DeletionTaskId");
    if (iamsvc_authorize(c, "iam:GetServiceLinkedRoleDeletionStatus", "*")) return -1;
    json_t *t = NULL;
    store_key tk = {"iam.slrtask", c->account, IAMSVC_REGION, task ? task : ""};
    int rc = store_get(c->txn, &tk, &t, c->err);
    if (rc < 0) return -1;
    if (!rc)
        return ferr_set(c->err, 404, "NoSuchEntity", "Deletion task %s cannot be found.",
                        task ? task : "");
    *out = svc_out(c, json_pack("{s:O}", "Status", json_object_get(t, "Status")));
    json_decref(t);
    return 0;
}
