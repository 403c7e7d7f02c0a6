/* VPC endpoints (gateway, interface, gateway load balancer) as records: the service name
 * must be an AWS service of the region ("com.amazonaws.REGION.NAME"); route tables,
 * subnets and security groups named must exist in the endpoint's VPC. */
#include <string.h>

#include "base/clock.h"
#include "ec2_int.h"

static const char full_access[] =
    "{\"Version\":\"2008-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
    "\"Action\":\"*\",\"Resource\":\"*\"}]}";

/* "com.amazonaws.us-east-1.s3" (and the older "aws.sagemaker.us-east-1..." forms are not
 * kept): a name of this region. */
static int service_ok(call *c, const char *name)
{
    size_t rl = strlen(c->region);
    return name && !strncmp(name, "com.amazonaws.", 14) && !strncmp(name + 14, c->region, rl) &&
           name[14 + rl] == '.' && name[15 + rl];
}

/* Each id in in[key] is a resource of ty in vpc_id. */
static int in_vpc(call *c, const json_t *in, const char *key, const ec2_type *ty,
                  const char *vpc_id)
{
    size_t i;
    const json_t *x;
    json_array_foreach(json_object_get(in, key), i, x) {
        json_t *d;
        if (ec2_get(c, ty, json_string_value(x), &d)) return -1;
        if (strcmp(jstr(d, "VpcId"), vpc_id))
            return ferr_set(c->err, 400, "InvalidParameter", "%s %s does not belong to vpc %s",
                            ty->noun, json_string_value(x), vpc_id);
    }
    return 0;
}

int ec2_op_create_vpc_endpoint(call *c, json_t *in, json_t **out)
{
    const char *vpc_id = jstr(in, "VpcId"), *svc = jstr(in, "ServiceName"),
               *type = jstr(in, "VpcEndpointType");
    json_t *vpc;
    if (!type) type = "Gateway";
    if (ec2_ready(c) || ec2_get(c, &ec2_vpc, vpc_id, &vpc)) return -1;
    if (!service_ok(c, svc))
        return ferr_set(c->err, 400, "InvalidServiceName",
                        "The Vpc Endpoint Service '%.128s' does not exist", svc ? svc : "");
    if (in_vpc(c, in, "RouteTableIds", &ec2_rtb, vpc_id) ||
        in_vpc(c, in, "SubnetIds", &ec2_subnet, vpc_id) ||
        in_vpc(c, in, "SecurityGroupIds", &ec2_sg, vpc_id) ||
        ec2_authz(c, "ec2:CreateVpcEndpoint", &ec2_vpce, "*"))
        return -1;
    const char *id = ec2_new_id(c, "vpce");
    json_t *d = id ? ec2_new_doc(c, &ec2_vpce, id, in, "vpc-endpoint") : NULL;
    if (!d) return id ? -1 : ferr_oom(c->err);
    const char *policy = jstr(in, "PolicyDocument");
    json_t *groups = json_array();
    size_t i;
    const json_t *g;
    json_array_foreach(json_object_get(in, "SecurityGroupIds"), i, g) {
        json_t *sg;
        if (ec2_get(c, &ec2_sg, json_string_value(g), &sg)) {
            json_decref(groups);
            return -1;
        }
        if (!groups ||
            json_array_append_new(groups, json_pack("{s:s, s:s}", "GroupId", jstr(sg, "GroupId"),
                                                    "GroupName", jstr(sg, "GroupName")))) {
            json_decref(groups);
            return ferr_oom(c->err);
        }
    }
    int gateway = !strcmp(type, "Gateway");
    json_t *rtbs = json_object_get(in, "RouteTableIds"), *subs = json_object_get(in, "SubnetIds");
    if (jset_str(d, "VpcEndpointType", type) || jset_str(d, "VpcId", vpc_id) ||
        jset_str(d, "ServiceName", svc) || jset_str(d, "State", "available") ||
        jset_str(d, "PolicyDocument", policy ? policy : full_access) ||
        json_object_set_new(d, "RouteTableIds", rtbs ? json_copy(rtbs) : json_array()) ||
        json_object_set_new(d, "SubnetIds", subs ? json_copy(subs) : json_array()) ||
        json_object_set_new(d, "Groups", groups) ||
        json_object_set_new(d, "PrivateDnsEnabled",
                            json_boolean(!gateway && jbool(in, "PrivateDnsEnabled", 1))) ||
        json_object_set_new(d, "RequesterManaged", json_false()) ||
        json_object_set_new(d, "NetworkInterfaceIds", json_array()) ||
        json_object_set_new(d, "DnsEntries", json_array()) ||
        json_object_set_new(d, "CreationTimestamp", json_real(clock_now())))
        return ferr_oom(c->err);
    if (ec2_put(c, &ec2_vpce, d)) return -1;
    *out = svc_out(c, json_pack("{s:O}", "VpcEndpoint", d));
    return 0;
}

int ec2_op_describe_vpc_endpoints(call *c, json_t *in, json_t **out)
{
    if (ec2_ready(c) || ec2_authz(c, "ec2:DescribeVpcEndpoints", &ec2_vpce, NULL)) return -1;
    return ec2_describe(c, &ec2_vpce, in, "VpcEndpointIds", NULL, "VpcEndpoints", out);
}

int ec2_op_modify_vpc_endpoint(call *c, json_t *in, json_t **out)
{
    const char *id = jstr(in, "VpcEndpointId");
    json_t *d;
    if (ec2_ready(c) || ec2_get(c, &ec2_vpce, id, &d) ||
        ec2_authz(c, "ec2:ModifyVpcEndpoint", &ec2_vpce, id))
        return -1;
    const char *vpc_id = jstr(d, "VpcId");
    if (in_vpc(c, in, "AddRouteTableIds", &ec2_rtb, vpc_id) ||
        in_vpc(c, in, "AddSubnetIds", &ec2_subnet, vpc_id))
        return -1;
    static const char *const lists[][3] = {
        {"RouteTableIds", "AddRouteTableIds", "RemoveRouteTableIds"},
        {"SubnetIds", "AddSubnetIds", "RemoveSubnetIds"}};
    for (size_t l = 0; l < 2; l++) {
        json_t *have = json_object_get(d, lists[l][0]);
        size_t i;
        const json_t *x;
        json_array_foreach(json_object_get(in, lists[l][2]), i, x) {
            for (size_t k = json_array_size(have); k-- > 0;)
                if (json_equal(json_array_get(have, k), x) && json_array_remove(have, k))
                    return ferr_oom(c->err);
        }
        json_array_foreach(json_object_get(in, lists[l][1]), i, x) {
            int dup = 0;
            size_t k;
            const json_t *y;
            json_array_foreach(have, k, y) dup |= json_equal(x, y);
            if (!dup && json_array_append(have, (json_t *)x)) return ferr_oom(c->err);
        }
    }
    if (jbool(in, "ResetPolicy", 0) && jset_str(d, "PolicyDocument", full_access))
        return ferr_oom(c->err);
    if (jstr(in, "PolicyDocument") && jset_str(d, "PolicyDocument", jstr(in, "PolicyDocument")))
        return ferr_oom(c->err);
    if (json_object_get(in, "PrivateDnsEnabled") &&
        json_object_set(d, "PrivateDnsEnabled", json_object_get(in, "PrivateDnsEnabled")))
        return ferr_oom(c->err);
    if (ec2_put(c, &ec2_vpce, d)) return -1;
    return ec2_ok(c, out);
}

int ec2_op_delete_vpc_endpoints(call *c, json_t *in, json_t **out)
{
    if (ec2_ready(c)) return -1;
    json_t *bad = arena_defer_json(c->a, json_array());
    if (!bad) return ferr_oom(c->err);
    size_t i;
    const json_t *x;
    json_array_foreach(json_object_get(in, "VpcEndpointIds"), i, x) {
        const char *id = json_string_value(x);
        json_t *d;
        int rc = ec2_find(c, &ec2_vpce, NULL, id, &d);
        if (rc < 0 || (rc == 1 && ec2_authz(c, "ec2:DeleteVpcEndpoints", &ec2_vpce, id))) return -1;
        if (rc == 1) {
            if (ec2_del(c, &ec2_vpce, id)) return -1;
            continue;
        }
        json_t *u =
            json_pack("{s:s, s:{s:s, s:s}}", "ResourceId", id, "Error", "Code",
                      "InvalidVpcEndpoint.NotFound", "Message", "The VPC endpoint does not exist");
        if (!u || json_array_append_new(bad, u)) return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:O}", "Unsuccessful", bad));
    return 0;
}
