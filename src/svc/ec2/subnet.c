/* Subnets: a CIDR block inside its VPC's, overlapping no other subnet of the VPC, in one of
 * the region's zones. A subnet shared through RAM is described to the participant with
 * its owner's OwnerId. */
#include <string.h>

#include "ec2_int.h"

/* AWS keeps the first four addresses and the last of every subnet. */
#define SUBNET_RESERVED 5

json_t *ec2_subnet_make(call *c, const json_t *vpc, const char *cidr, const char *az,
                        int default_for_az, const json_t *in)
{
    uint32_t net;
    int len;
    const char *id = ec2_new_id(c, "subnet");
    json_t *d = id ? ec2_new_doc(c, &ec2_subnet, id, in, NULL) : NULL;
    if (!d) {
        if (!id) ferr_oom(c->err);
        return NULL;
    }
    if (ec2_cidr(cidr, &net, &len)) {
        ec2_bad_cidr(c, "cidrBlock", cidr);
        return NULL;
    }
    const char *arn = ec2_arn(c, &ec2_subnet, NULL, id);
    if (!arn || jset_str(d, "SubnetArn", arn) || jset_str(d, "VpcId", jstr(vpc, "VpcId")) ||
        jset_str(d, "CidrBlock", cidr) || jset_str(d, "AvailabilityZone", az) ||
        jset_str(d, "AvailabilityZoneId", ec2_az_id(c, az)) || jset_str(d, "State", "available") ||
        json_object_set_new(d, "AvailableIpAddressCount",
                            json_integer(((long long)1 << (32 - len)) - SUBNET_RESERVED)) ||
        json_object_set_new(d, "DefaultForAz", json_boolean(default_for_az)) ||
        json_object_set_new(d, "MapPublicIpOnLaunch", json_boolean(default_for_az)) ||
        json_object_set_new(d, "AssignIpv6AddressOnCreation", json_false()) ||
        json_object_set_new(d, "Ipv6CidrBlockAssociationSet", json_array())) {
        ferr_oom(c->err);
        return NULL;
    }
    return ec2_put(c, &ec2_subnet, d) ? NULL : d;
}

/* The zone a subnet goes to: the one named (by name or id), else by turns. */
static const char *pick_zone(call *c, const json_t *in, size_t nsubnets)
{
    const char *az = jstr(in, "AvailabilityZone"), *zid = jstr(in, "AvailabilityZoneId"), *n;
    if (az) return ec2_az_id(c, az) ? az : NULL;
    for (int i = 0; zid && (n = ec2_az_name(c, i)); i++)
        if (!strcmp(ec2_az_id(c, n), zid)) return n;
    if (zid) return NULL;
    int i = (int)(nsubnets % 3);
    return ec2_az_name(c, i);
}

int ec2_op_create_subnet(call *c, json_t *in, json_t **out)
{
    const char *vpc_id = jstr(in, "VpcId"), *cidr = jstr(in, "CidrBlock");
    json_t *vpc;
    uint32_t net, vnet;
    int len, vlen;
    if (ec2_ready(c) || ec2_get(c, &ec2_vpc, vpc_id, &vpc)) return -1;
    if (!cidr)
        return ferr_set(c->err, 400, "MissingParameter",
                        "The request must contain the parameter cidrBlock");
    if (ec2_cidr(cidr, &net, &len)) return ec2_bad_cidr(c, "cidrBlock", cidr);
    if (ec2_cidr(jstr(vpc, "CidrBlock"), &vnet, &vlen)) return ferr_internal(c->err, "bad VPC");
    if (len < vlen || len > 28 || !ec2_cidr_overlap(net, len, vnet, vlen))
        return ferr_set(c->err, 400, "InvalidSubnet.Range", "The CIDR '%s' is invalid.", cidr);
    json_t *subnets = ec2_all(c, &ec2_subnet, vpc_id);
    if (!subnets) return -1;
    size_t i;
    const json_t *s;
    json_array_foreach(subnets, i, s) {
        uint32_t snet;
        int slen;
        if (!ec2_cidr(jstr(s, "CidrBlock"), &snet, &slen) && ec2_cidr_overlap(net, len, snet, slen))
            return ferr_set(c->err, 400, "InvalidSubnet.Conflict",
                            "The CIDR '%s' conflicts with another subnet", cidr);
    }
    const char *az = pick_zone(c, in, json_array_size(subnets));
    if (!az) {
        const char *bad = jstr(in, "AvailabilityZone");
        return ferr_set(c->err, 400, "InvalidParameterValue",
                        "Value (%.64s) for parameter availabilityZone is invalid. Subnets can "
                        "currently only be created in the following availability zones: "
                        "%s, %s, %s.",
                        bad ? bad : jstr(in, "AvailabilityZoneId"), ec2_az_name(c, 0),
                        ec2_az_name(c, 1), ec2_az_name(c, 2));
    }
    if (ec2_authz(c, "ec2:CreateSubnet", &ec2_subnet, "*")) return -1;
    json_t *d = ec2_subnet_make(c, vpc, cidr, az, 0, in);
    if (!d) return -1;
    *out = svc_out(c, json_pack("{s:O}", "Subnet", d));
    return 0;
}

int ec2_op_describe_subnets(call *c, json_t *in, json_t **out)
{
    if (ec2_ready(c) || ec2_authz(c, "ec2:DescribeSubnets", &ec2_subnet, NULL)) return -1;
    json_t *extra = ec2_shared_subnets(c);
    return extra ? ec2_describe(c, &ec2_subnet, in, "SubnetIds", extra, "Subnets", out) : -1;
}

int ec2_op_delete_subnet(call *c, json_t *in, json_t **out)
{
    const char *id = jstr(in, "SubnetId");
    json_t *sub;
    if (ec2_ready(c) || ec2_get(c, &ec2_subnet, id, &sub) ||
        ec2_authz(c, "ec2:DeleteSubnet", &ec2_subnet, id))
        return -1;
    /* AWS: a NAT gateway or an interface endpoint in the subnet keeps it */
    json_t *nats = ec2_all(c, &ec2_nat, NULL), *vpces = ec2_all(c, &ec2_vpce, NULL);
    if (!nats || !vpces) return -1;
    size_t i;
    const json_t *d;
    json_array_foreach(nats, i, d)
        if (!strcmp(jstr(d, "SubnetId"), id) && strcmp(jstr(d, "State"), "deleted")) goto busy;
    json_array_foreach(vpces, i, d) {
        size_t j;
        const json_t *s;
        json_array_foreach(json_object_get(d, "SubnetIds"), j, s)
            if (!strcmp(json_string_value(s), id)) goto busy;
    }
    /* its route table association goes with it */
    json_t *rtbs = ec2_all(c, &ec2_rtb, jstr(sub, "VpcId"));
    if (!rtbs) return -1;
    json_array_foreach(rtbs, i, d) {
        json_t *assocs = json_object_get(d, "Associations");
        for (size_t j = json_array_size(assocs); j-- > 0;) {
            const char *s = jstr(json_array_get(assocs, j), "SubnetId");
            if (s && !strcmp(s, id)) {
                if (json_array_remove(assocs, j) || ec2_put(c, &ec2_rtb, d))
                    return ferr_isset(c->err) ? -1 : ferr_oom(c->err);
            }
        }
    }
    (void)out;
    return ec2_del(c, &ec2_subnet, id);
busy:
    return ferr_set(c->err, 400, "DependencyViolation",
                    "The subnet '%s' has dependencies and cannot be deleted.", id);
}

int ec2_op_modify_subnet_attribute(call *c, json_t *in, json_t **out)
{
    const char *id = jstr(in, "SubnetId");
    json_t *sub;
    if (ec2_ready(c) || ec2_get(c, &ec2_subnet, id, &sub) ||
        ec2_authz(c, "ec2:ModifySubnetAttribute", &ec2_subnet, id))
        return -1;
    const json_t *v = json_object_get(json_object_get(in, "MapPublicIpOnLaunch"), "Value");
    if (v && json_object_set(sub, "MapPublicIpOnLaunch", (json_t *)v)) return ferr_oom(c->err);
    (void)out;
    return ec2_put(c, &ec2_subnet, sub);
}
