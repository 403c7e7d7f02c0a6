/* RAM's AWS managed permissions for the resource types ferry shares, the resource types,
 * and the listings of shared resources and principals. See ram_int.h. */
#include <string.h>
#include <strings.h>

#include "base/arn.h"
#include "base/jval.h"
#include "ram_int.h"

/* AWS managed permissions: version 1, created when RAM began managing them. */
typedef struct managed {
    const char *name, *type, *service, *policy;
} managed;

static const managed perms[] = {
    {"AWSRAMDefaultPermissionAppMesh", "appmesh:Mesh", "appmesh",
     "{\"Effect\":\"Allow\",\"Action\":[\"appmesh:CreateVirtualGateway\","
     "\"appmesh:CreateVirtualNode\",\"appmesh:CreateVirtualRouter\","
     "\"appmesh:CreateVirtualService\",\"appmesh:CreateGatewayRoute\",\"appmesh:CreateRoute\","
     "\"appmesh:DescribeMesh\",\"appmesh:DescribeVirtualGateway\","
     "\"appmesh:DescribeVirtualNode\",\"appmesh:DescribeVirtualRouter\","
     "\"appmesh:DescribeVirtualService\",\"appmesh:DescribeGatewayRoute\","
     "\"appmesh:DescribeRoute\",\"appmesh:ListVirtualGateways\",\"appmesh:ListVirtualNodes\","
     "\"appmesh:ListVirtualRouters\",\"appmesh:ListVirtualServices\","
     "\"appmesh:ListGatewayRoutes\",\"appmesh:ListRoutes\",\"appmesh:StreamAggregatedResources\"]"
     "}"},
    {"AWSRAMDefaultPermissionSubnet", "ec2:Subnet", "ec2",
     "{\"Effect\":\"Allow\",\"Action\":[\"ec2:RunInstances\",\"ec2:CreateNetworkInterface\","
     "\"ec2:DescribeSubnets\",\"ec2:CreateFlowLogs\",\"ec2:DescribeFlowLogs\"]}"},
};
#define NPERMS     (sizeof(perms) / sizeof(perms[0]))
#define PERM_EPOCH 1544572800.0 /* 2018-12-12 */

static const char *perm_arn(const managed *m, char *out, size_t n)
{
    /* AWS managed permissions live in no region and in account "aws" */
    size_t len = strlen(m->name);
    if (len + 32 > n) return "";
    memcpy(out, "arn:aws:ram::aws:permission/", 28);
    memcpy(out + 28, m->name, len + 1);
    return out;
}

const char *ram_default_permission(const char *type)
{
    static const char *const arns[] = {
        "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionAppMesh",
        "arn:aws:ram::aws:permission/AWSRAMDefaultPermissionSubnet",
    };
    for (size_t i = 0; type && i < NPERMS; i++)
        if (!strcmp(perms[i].type, type)) return arns[i];
    return NULL;
}

static json_t *perm_view(const managed *m, int with_policy)
{
    char arn[128];
    json_t *v =
        json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:f, s:f, s:b, s:s, s:s, s:[]}", "arn",
                  perm_arn(m, arn, sizeof(arn)), "version", "1", "defaultVersion", 1, "name",
                  m->name, "resourceType", m->type, "status", "ATTACHABLE", "creationTime",
                  PERM_EPOCH, "lastUpdatedTime", PERM_EPOCH, "isResourceTypeDefault", 1,
                  "permissionType", "AWS_MANAGED", "featureSet", "STANDARD", "tags");
    if (v && with_policy && json_object_set_new(v, "permission", json_string(m->policy))) {
        json_decref(v);
        return NULL;
    }
    return v;
}

static const managed *perm_find(const char *arn)
{
    char buf[128];
    for (size_t i = 0; arn && i < NPERMS; i++)
        if (!strcmp(perm_arn(&perms[i], buf, sizeof(buf)), arn)) return &perms[i];
    return NULL;
}

int ram_op_list_permissions(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "ram:ListPermissions", "*")) return -1;
    const char *type = jstr(in, "resourceType"), *ptype = jstr(in, "permissionType");
    json_t *list = arena_defer_json(c->a, json_array());
    if (!list) return ferr_oom(c->err);
    /* ferry has no customer managed permissions: CUSTOMER_MANAGED lists none */
    int aws = !ptype || !strcmp(ptype, "ALL") || !strcmp(ptype, "AWS_MANAGED");
    for (size_t i = 0; aws && i < NPERMS; i++) {
        if (type && strcasecmp(type, perms[i].type)) continue;
        if (json_array_append_new(list, perm_view(&perms[i], 0))) return ferr_oom(c->err);
    }
    return ram_page(c, in, list, "permissions", out);
}

int ram_op_get_permission(call *c, json_t *in, json_t **out)
{
    const char *arn = jstr(in, "permissionArn");
    /* AWS managed permissions are readable by every account: the caller's own policies
     * decide (their ARN's account "aws" is nobody's) */
    if (call_authorize_ex(c, &(authz_req){.action = "ram:GetPermission",
                                          .resource = arn ? arn : "*",
                                          .resource_account = c->account}))
        return -1;
    if (!arn_rest(arn, "ram")) return ram_malformed(c, arn);
    const managed *m = perm_find(arn);
    long long version = jint(in, "permissionVersion", 1);
    if (!m || version != 1)
        return ferr_set(c->err, 400, "UnknownResourceException",
                        "Permission %s could not be found.", arn);
    *out = svc_out(c, json_pack("{s:o}", "permission", perm_view(m, 1)));
    return 0;
}

int ram_op_list_resource_types(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "ram:ListResourceTypes", "*")) return -1;
    const char *scope = jstr(in, "resourceRegionScope");
    json_t *list = arena_defer_json(c->a, json_array());
    if (!list) return ferr_oom(c->err);
    for (size_t i = 0; !(scope && !strcmp(scope, "GLOBAL")) && i < NPERMS; i++)
        if (json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "resourceType", perms[i].type,
                                                  "serviceName", perms[i].service,
                                                  "resourceRegionScope", "REGIONAL")))
            return ferr_oom(c->err);
    return ram_page(c, in, list, "resourceTypes", out);
}

int ram_op_list_resource_share_permissions(call *c, json_t *in, json_t **out)
{
    json_t *d, *list = arena_defer_json(c->a, json_array()), *x;
    if (!list) return ferr_oom(c->err);
    if (ram_share_load(c, "ram:ListResourceSharePermissions", jstr(in, "resourceShareArn"), &d))
        return -1;
    size_t i;
    json_array_foreach(json_object_get(d, "permissions"), i, x) {
        const managed *m = perm_find(json_string_value(x));
        if (m && json_array_append_new(list, perm_view(m, 0))) return ferr_oom(c->err);
    }
    return ram_page(c, in, list, "permissions", out);
}

/* ---- ListResources, ListPrincipals ---- */

/* The shares in scope of a listing: the caller's own (SELF), or the ACTIVE shares of other
 * accounts that reach it; filtered by in's resourceShareArns. Arena array. */
static json_t *scope(call *c, const json_t *in, int self)
{
    json_t *all = ram_shares(c, self ? c->account : NULL, c->region), *v, *s;
    v = arena_defer_json(c->a, json_array());
    if (!all) return NULL;
    if (!v) return ferr_oom(c->err), NULL;
    size_t i;
    json_array_foreach(all, i, s) {
        if (!ram_listed(json_object_get(in, "resourceShareArns"), jstr(s, "resourceShareArn")))
            continue;
        if (!self) {
            if (!strcmp(jstr(s, "owningAccountId"), c->account)) continue;
            int rc = ram_share_reaches(c->txn, s, c->account, c->err);
            if (rc < 0) return NULL;
            if (!rc) continue;
        }
        if (json_array_append(v, s)) return ferr_oom(c->err), NULL;
    }
    return v;
}

static int live(const json_t *a)
{
    const char *st = jstr(a, "status");
    return st && strcmp(st, "DISASSOCIATED");
}

int ram_op_list_resources(call *c, json_t *in, json_t **out)
{
    const char *owner = jstr(in, "resourceOwner"), *principal = jstr(in, "principal"),
               *type = jstr(in, "resourceType");
    if (ram_owner_check(c, owner) || call_authorize(c, "ram:ListResources", "*")) return -1;
    int self = !strcmp(owner, "SELF");
    json_t *shares = scope(c, in, self), *list = arena_defer_json(c->a, json_array()), *s;
    if (!shares) return -1;
    if (!list) return ferr_oom(c->err);
    size_t i;
    json_array_foreach(shares, i, s) {
        if (principal) {
            /* SELF: shares with that principal; OTHER-ACCOUNTS: shares that account owns */
            int hit = !self ? !strcmp(principal, jstr(s, "owningAccountId")) : 0;
            const char *p;
            json_t *a;
            json_object_foreach(json_object_get(s, "principals"), p, a)
                hit |= self && live(a) && !strcmp(p, principal);
            if (!hit) continue;
        }
        const char *arn;
        json_t *r;
        json_object_foreach(json_object_get(s, "resources"), arn, r) {
            if (!live(r) || (!self && strcmp(jstr(r, "status"), "ASSOCIATED")) ||
                (type && strcasecmp(type, jstr(r, "type"))) ||
                !ram_listed(json_object_get(in, "resourceArns"), arn))
                continue;
            json_t *v = ram_resource_view(s, arn, r);
            if (json_array_append_new(list, v)) return ferr_oom(c->err);
        }
    }
    return ram_page(c, in, list, "resources", out);
}

int ram_op_list_principals(call *c, json_t *in, json_t **out)
{
    const char *owner = jstr(in, "resourceOwner"), *res = jstr(in, "resourceArn"),
               *type = jstr(in, "resourceType");
    if (ram_owner_check(c, owner) || call_authorize(c, "ram:ListPrincipals", "*")) return -1;
    int self = !strcmp(owner, "SELF");
    json_t *shares = scope(c, in, self), *list = arena_defer_json(c->a, json_array()), *s;
    if (!shares) return -1;
    if (!list) return ferr_oom(c->err);
    size_t i;
    json_array_foreach(shares, i, s) {
        const char *arn;
        json_t *r;
        int hit = !res && !type;
        json_object_foreach(json_object_get(s, "resources"), arn, r)
            hit |= live(r) && (!res || !strcmp(res, arn)) &&
                   (!type || !strcasecmp(type, jstr(r, "type")));
        if (!hit) continue;
        const char *p;
        json_t *a;
        json_object_foreach(json_object_get(s, "principals"), p, a) {
            if (!live(a) || !ram_listed(json_object_get(in, "principals"), p)) continue;
            if (!self) {
                int rc = strcmp(jstr(a, "status"), "ASSOCIATED")
                             ? 0
                             : ram_principal_covers(c->txn, p, c->account, c->err);
                if (rc < 0) return -1;
                if (!rc) continue;
            }
            json_t *v = json_pack("{s:s, s:O, s:O, s:O, s:b}", "id", p, "resourceShareArn",
                                  json_object_get(s, "resourceShareArn"), "creationTime",
                                  json_object_get(a, "creationTime"), "lastUpdatedTime",
                                  json_object_get(a, "lastUpdatedTime"), "external",
                                  jbool(a, "external", 0));
            if (json_array_append_new(list, v)) return ferr_oom(c->err);
        }
    }
    return ram_page(c, in, list, "principals", out);
}
