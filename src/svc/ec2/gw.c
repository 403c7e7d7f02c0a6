/* Route tables (routes, subnet associations, each VPC's main table), internet gateways and
 * their attachments, NAT gateways and Elastic IPs: records of what AWS would route, nothing
 * is routed. */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/ids.h"
#include "ec2_int.h"

static json_t *rtb_make(call *c, const char *vpc_id, const char *cidr, int main, const json_t *in)
{
    const char *id = ec2_new_id(c, "rtb");
    json_t *d = id ? ec2_new_doc(c, &ec2_rtb, id, in, NULL) : NULL;
    if (!d) {
        if (!id) ferr_oom(c->err);
        return NULL;
    }
    json_t *routes = json_pack("[{s:s, s:s, s:s, s:s}]", "DestinationCidrBlock", cidr, "GatewayId",
                               "local", "Origin", "CreateRouteTable", "State", "active"),
           *assocs = json_array();
    const char *aid = main ? ec2_new_id(c, "rtbassoc") : NULL;
    if (main && aid && assocs)
        if (json_array_append_new(assocs, json_pack("{s:b, s:s, s:s, s:{s:s}}", "Main", 1,
                                                    "RouteTableAssociationId", aid, "RouteTableId",
                                                    id, "AssociationState", "State", "associated")))
            json_array_clear(assocs);
    if (!routes || !assocs || (main && json_array_size(assocs) != 1) ||
        jset_str(d, "VpcId", vpc_id) || json_object_set_new(d, "Routes", routes) ||
        json_object_set_new(d, "Associations", assocs) ||
        json_object_set_new(d, "PropagatingVgws", json_array())) {
        ferr_oom(c->err);
        return NULL;
    }
    return ec2_put(c, &ec2_rtb, d) ? NULL : d;
}

int ec2_vpc_parts(call *c, json_t *vpc)
{
    const char *vpc_id = jstr(vpc, "VpcId");
    json_t *rtb = rtb_make(c, vpc_id, jstr(vpc, "CidrBlock"), 1, NULL),
           *sg = rtb ? ec2_sg_default(c, vpc_id) : NULL;
    if (!sg) return -1;
    return jset_str(vpc, "_MainRouteTableId", jstr(rtb, "RouteTableId")) ||
                   jset_str(vpc, "_DefaultSecurityGroupId", jstr(sg, "GroupId"))
               ? ferr_oom(c->err)
               : 0;
}

/* ---- route tables ---- */

int ec2_op_create_route_table(call *c, json_t *in, json_t **out)
{
    const char *vpc_id = jstr(in, "VpcId");
    json_t *vpc;
    if (ec2_ready(c) || ec2_get(c, &ec2_vpc, vpc_id, &vpc) ||
        ec2_authz(c, "ec2:CreateRouteTable", &ec2_rtb, "*"))
        return -1;
    json_t *d = rtb_make(c, vpc_id, jstr(vpc, "CidrBlock"), 0, in);
    if (!d) return -1;
    *out = svc_out(c, json_pack("{s:O}", "RouteTable", d));
    return 0;
}

int ec2_op_describe_route_tables(call *c, json_t *in, json_t **out)
{
    if (ec2_ready(c) || ec2_authz(c, "ec2:DescribeRouteTables", &ec2_rtb, NULL)) return -1;
    return ec2_describe(c, &ec2_rtb, in, "RouteTableIds", NULL, "RouteTables", out);
}

int ec2_op_delete_route_table(call *c, json_t *in, json_t **out)
{
    const char *id = jstr(in, "RouteTableId");
    json_t *rtb;
    if (ec2_ready(c) || ec2_get(c, &ec2_rtb, id, &rtb) ||
        ec2_authz(c, "ec2:DeleteRouteTable", &ec2_rtb, id))
        return -1;
    if (json_array_size(json_object_get(rtb, "Associations")))
        return ferr_set(c->err, 400, "DependencyViolation",
                        "The routeTable '%s' has dependencies and cannot be deleted.", id);
    (void)out;
    return ec2_del(c, &ec2_rtb, id);
}

/* The target a route names (its key and id), checked to exist. */
static const char *const targets[] = {
    "GatewayId",          "NatGatewayId",           "VpcEndpointId",  "TransitGatewayId",
    "NetworkInterfaceId", "VpcPeeringConnectionId", "InstanceId",     "EgressOnlyInternetGatewayId",
    "CarrierGatewayId",   "LocalGatewayId",         "CoreNetworkArn", NULL};

static int route_target(call *c, const json_t *in, const char **key, const char **id)
{
    *key = *id = NULL;
    for (int i = 0; targets[i]; i++) {
        if (!jstr(in, targets[i])) continue;
        if (*key)
            return ferr_set(c->err, 400, "InvalidParameterCombination",
                            "The parameter %s cannot be used with the parameter %s", targets[i],
                            *key);
        *key = targets[i];
        *id = jstr(in, targets[i]);
    }
    if (!*key)
        return ferr_set(c->err, 400, "MissingParameter",
                        "The request must contain exactly one of gatewayId, natGatewayId, "
                        "networkInterfaceId, vpcPeeringConnectionId or instanceId");
    json_t *d;
    const ec2_type *ty = !strcmp(*key, "NatGatewayId")                             ? &ec2_nat
                         : !strcmp(*key, "VpcEndpointId")                          ? &ec2_vpce
                         : !strcmp(*key, "GatewayId") && !strncmp(*id, "igw-", 4)  ? &ec2_igw
                         : !strcmp(*key, "GatewayId") && !strncmp(*id, "vpce-", 5) ? &ec2_vpce
                                                                                   : NULL;
    if (!ty) {
        if (!strcmp(*key, "GatewayId"))
            return ferr_set(c->err, 400, "InvalidGatewayID.NotFound",
                            "The gateway ID '%.64s' does not exist", *id);
        return 0; /* kinds ferry keeps no records of: taken as given */
    }
    if (ty == &ec2_igw && ec2_find(c, ty, NULL, *id, &d) == 0)
        return ferr_set(c->err, 400, "InvalidGatewayID.NotFound",
                        "The gateway ID '%.64s' does not exist", *id);
    return ec2_get(c, ty, *id, &d);
}

int ec2_route_add(call *c, json_t *rtb, const char *dest, const char *target_key,
                  const char *target)
{
    json_t *r = json_pack("{s:s, s:s, s:s, s:s}", "DestinationCidrBlock", dest, target_key, target,
                          "Origin", "CreateRoute", "State", "active");
    if (!r || json_array_append_new(json_object_get(rtb, "Routes"), r)) return ferr_oom(c->err);
    return ec2_put(c, &ec2_rtb, rtb);
}

static json_t *route_find(const json_t *rtb, const char *dest, size_t *at)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(rtb, "Routes"), i, r) {
        const char *d = jstr(r, "DestinationCidrBlock");
        if (d && !strcmp(d, dest)) {
            if (at) *at = i;
            return r;
        }
    }
    return NULL;
}

static int route_common(call *c, const json_t *in, const char *action, json_t **rtb,
                        const char **dest)
{
    const char *id = jstr(in, "RouteTableId");
    uint32_t net;
    int len;
    *dest = jstr(in, "DestinationCidrBlock");
    if (ec2_ready(c) || ec2_get(c, &ec2_rtb, id, rtb) || ec2_authz(c, action, &ec2_rtb, id))
        return -1;
    if (!*dest && !jstr(in, "DestinationIpv6CidrBlock") && !jstr(in, "DestinationPrefixListId"))
        return ferr_set(c->err, 400, "MissingParameter",
                        "The request must contain the parameter destinationCidrBlock or "
                        "destinationIpv6CidrBlock");
    if (!*dest) *dest = jstr(in, "DestinationIpv6CidrBlock");
    if (!*dest) *dest = jstr(in, "DestinationPrefixListId");
    if (jstr(in, "DestinationCidrBlock") && ec2_cidr(*dest, &net, &len))
        return ec2_bad_cidr(c, "destinationCidrBlock", *dest);
    return 0;
}

int ec2_op_create_route(call *c, json_t *in, json_t **out)
{
    json_t *rtb;
    const char *dest, *key, *target;
    if (route_common(c, in, "ec2:CreateRoute", &rtb, &dest) || route_target(c, in, &key, &target))
        return -1;
    if (route_find(rtb, dest, NULL))
        return ferr_set(c->err, 400, "RouteAlreadyExists",
                        "The route identified by %s already exists.", dest);
    if (ec2_route_add(c, rtb, dest, key, target)) return -1;
    return ec2_ok(c, out);
}

int ec2_op_replace_route(call *c, json_t *in, json_t **out)
{
    json_t *rtb, *r;
    const char *dest, *key, *target;
    size_t at;
    if (route_common(c, in, "ec2:ReplaceRoute", &rtb, &dest) || route_target(c, in, &key, &target))
        return -1;
    if (!(r = route_find(rtb, dest, &at)))
        return ferr_set(c->err, 400, "InvalidRoute.NotFound",
                        "no route with destination-cidr-block %s in route table %s", dest,
                        jstr(rtb, "RouteTableId"));
    for (int i = 0; targets[i]; i++) json_object_del(r, targets[i]);
    if (jset_str(r, key, target) || jset_str(r, "Origin", "CreateRoute")) return ferr_oom(c->err);
    (void)out;
    return ec2_put(c, &ec2_rtb, rtb);
}

int ec2_op_delete_route(call *c, json_t *in, json_t **out)
{
    json_t *rtb;
    const char *dest;
    size_t at;
    if (route_common(c, in, "ec2:DeleteRoute", &rtb, &dest)) return -1;
    json_t *r = route_find(rtb, dest, &at);
    if (!r || !strcmp(jstr(r, "GatewayId") ? jstr(r, "GatewayId") : "", "local"))
        return ferr_set(c->err, 400, r ? "InvalidParameterValue" : "InvalidRoute.NotFound",
                        r ? "cannot remove local route %s in route table %s"
                          : "no route with destination-cidr-block %s in route table %s",
                        dest, jstr(rtb, "RouteTableId"));
    if (json_array_remove(json_object_get(rtb, "Routes"), at)) return ferr_oom(c->err);
    (void)out;
    return ec2_put(c, &ec2_rtb, rtb);
}

int ec2_op_associate_route_table(call *c, json_t *in, json_t **out)
{
    const char *id = jstr(in, "RouteTableId"), *subnet = jstr(in, "SubnetId"),
               *gw = jstr(in, "GatewayId");
    json_t *rtb, *sub;
    if (ec2_ready(c) || ec2_get(c, &ec2_rtb, id, &rtb) ||
        ec2_authz(c, "ec2:AssociateRouteTable", &ec2_rtb, id))
        return -1;
    if (!subnet && !gw)
        return ferr_set(c->err, 400, "MissingParameter",
                        "The request must contain the parameter subnetId or gatewayId");
    if (subnet && ec2_get(c, &ec2_subnet, subnet, &sub)) return -1;
    if (subnet && strcmp(jstr(sub, "VpcId"), jstr(rtb, "VpcId")))
        return ferr_set(c->err, 400, "InvalidParameterValue",
                        "Route table %s and subnet %s belong to different networks", id, subnet);
    json_t *all = ec2_all(c, &ec2_rtb, jstr(rtb, "VpcId"));
    if (!all) return -1;
    size_t i, j;
    const json_t *t, *a;
    json_array_foreach(all, i, t)
        json_array_foreach(json_object_get(t, "Associations"), j, a) {
            const char *s = jstr(a, subnet ? "SubnetId" : "GatewayId");
            if (s && !strcmp(s, subnet ? subnet : gw))
                return ferr_set(c->err, 400, "Resource.AlreadyAssociated",
                                "the specified association for route table %s conflicts with an "
                                "existing association",
                                id);
        }
    const char *aid = ec2_new_id(c, "rtbassoc");
    json_t *assoc =
        aid ? json_pack("{s:b, s:s, s:s, s:s, s:{s:s}}", "Main", 0, "RouteTableAssociationId", aid,
                        "RouteTableId", id, subnet ? "SubnetId" : "GatewayId", subnet ? subnet : gw,
                        "AssociationState", "State", "associated")
            : NULL;
    if (!assoc || json_array_append_new(json_object_get(rtb, "Associations"), assoc))
        return ferr_oom(c->err);
    if (ec2_put(c, &ec2_rtb, rtb)) return -1;
    *out = svc_out(c, json_pack("{s:s, s:{s:s}}", "AssociationId", aid, "AssociationState", "State",
                                "associated"));
    return 0;
}

/* The route table holding association aid, and its index there; 0 when none. */
static int assoc_find(call *c, const char *aid, json_t **rtb, size_t *at)
{
    json_t *all = ec2_all(c, &ec2_rtb, NULL);
    if (!all) return -1;
    size_t i, j;
    json_t *t, *a;
    json_array_foreach(all, i, t)
        json_array_foreach(json_object_get(t, "Associations"), j, a) {
            if (!strcmp(jstr(a, "RouteTableAssociationId"), aid)) {
                *rtb = t;
                *at = j;
                return 1;
            }
        }
    return ferr_set(c->err, 400, "InvalidAssociationID.NotFound",
                    "The association ID '%.64s' does not exist", aid);
}

int ec2_op_disassociate_route_table(call *c, json_t *in, json_t **out)
{
    const char *aid = jstr(in, "AssociationId");
    json_t *rtb;
    size_t at;
    if (ec2_ready(c) || assoc_find(c, aid, &rtb, &at) < 0 ||
        ec2_authz(c, "ec2:DisassociateRouteTable", &ec2_rtb, jstr(rtb, "RouteTableId")))
        return -1;
    json_t *assocs = json_object_get(rtb, "Associations");
    if (jbool(json_array_get(assocs, at), "Main", 0))
        return ferr_set(c->err, 400, "InvalidParameterValue",
                        "cannot disassociate the main route table association %s", aid);
    if (json_array_remove(assocs, at)) return ferr_oom(c->err);
    (void)out;
    return ec2_put(c, &ec2_rtb, rtb);
}

int ec2_op_replace_route_table_association(call *c, json_t *in, json_t **out)
{
    const char *aid = jstr(in, "AssociationId"), *id = jstr(in, "RouteTableId");
    json_t *old, *neu;
    size_t at;
    if (ec2_ready(c) || assoc_find(c, aid, &old, &at) < 0 || ec2_get(c, &ec2_rtb, id, &neu) ||
        ec2_authz(c, "ec2:ReplaceRouteTableAssociation", &ec2_rtb, id))
        return -1;
    json_t *a = json_incref(json_array_get(json_object_get(old, "Associations"), at));
    const char *nid = ec2_new_id(c, "rtbassoc");
    if (!arena_defer_json(c->a, a) || !nid) return ferr_oom(c->err);
    if (json_array_remove(json_object_get(old, "Associations"), at) ||
        jset_str(a, "RouteTableAssociationId", nid) || jset_str(a, "RouteTableId", id) ||
        json_array_append(json_object_get(neu, "Associations"), a))
        return ferr_oom(c->err);
    if (ec2_put(c, &ec2_rtb, old) || ec2_put(c, &ec2_rtb, neu)) return -1;
    *out = svc_out(c, json_pack("{s:s, s:{s:s}}", "NewAssociationId", nid, "AssociationState",
                                "State", "associated"));
    return 0;
}

/* ---- internet gateways ---- */

json_t *ec2_igw_make(call *c, const json_t *in)
{
    const char *id = ec2_new_id(c, "igw");
    json_t *d = id ? ec2_new_doc(c, &ec2_igw, id, in, NULL) : NULL;
    if (!d) {
        if (!id) ferr_oom(c->err);
        return NULL;
    }
    if (json_object_set_new(d, "Attachments", json_array())) {
        ferr_oom(c->err);
        return NULL;
    }
    return ec2_put(c, &ec2_igw, d) ? NULL : d;
}

int ec2_igw_attach(call *c, json_t *igw, const char *vpc_id)
{
    json_t *a = json_pack("[{s:s, s:s}]", "State", "available", "VpcId", vpc_id);
    if (!a || json_object_set_new(igw, "Attachments", a)) return ferr_oom(c->err);
    return ec2_put(c, &ec2_igw, igw);
}

static const char *attached_vpc(const json_t *igw)
{
    return jstr(json_array_get(json_object_get(igw, "Attachments"), 0), "VpcId");
}

int ec2_op_create_internet_gateway(call *c, json_t *in, json_t **out)
{
    if (ec2_ready(c) || ec2_authz(c, "ec2:CreateInternetGateway", &ec2_igw, "*")) return -1;
    json_t *d = ec2_igw_make(c, in);
    if (!d) return -1;
    *out = svc_out(c, json_pack("{s:O}", "InternetGateway", d));
    return 0;
}

int ec2_op_describe_internet_gateways(call *c, json_t *in, json_t **out)
{
    if (ec2_ready(c) || ec2_authz(c, "ec2:DescribeInternetGateways", &ec2_igw, NULL)) return -1;
    return ec2_describe(c, &ec2_igw, in, "InternetGatewayIds", NULL, "InternetGateways", out);
}

int ec2_op_attach_internet_gateway(call *c, json_t *in, json_t **out)
{
    const char *id = jstr(in, "InternetGatewayId"), *vpc_id = jstr(in, "VpcId");
    json_t *igw, *vpc;
    if (ec2_ready(c) || ec2_get(c, &ec2_igw, id, &igw) || ec2_get(c, &ec2_vpc, vpc_id, &vpc) ||
        ec2_authz(c, "ec2:AttachInternetGateway", &ec2_igw, id))
        return -1;
    if (attached_vpc(igw))
        return ferr_set(c->err, 400, "Resource.AlreadyAssociated",
                        "resource %s is already attached to network %s", id, attached_vpc(igw));
    json_t *all = ec2_all(c, &ec2_igw, NULL);
    if (!all) return -1;
    size_t i;
    const json_t *g;
    json_array_foreach(all, i, g)
        if (attached_vpc(g) && !strcmp(attached_vpc(g), vpc_id))
            return ferr_set(c->err, 400, "Resource.AlreadyAssociated",
                            "resource %s is already attached to network %s",
                            jstr(g, "InternetGatewayId"), vpc_id);
    (void)out;
    return ec2_igw_attach(c, igw, vpc_id);
}

int ec2_op_detach_internet_gateway(call *c, json_t *in, json_t **out)
{
    const char *id = jstr(in, "InternetGatewayId"), *vpc_id = jstr(in, "VpcId");
    json_t *igw;
    if (ec2_ready(c) || ec2_get(c, &ec2_igw, id, &igw) ||
        ec2_authz(c, "ec2:DetachInternetGateway", &ec2_igw, id))
        return -1;
    if (!attached_vpc(igw) || strcmp(attached_vpc(igw), vpc_id))
        return ferr_set(c->err, 400, "Gateway.NotAttached",
                        "resource %s is not attached to network %.64s", id, vpc_id);
    if (json_object_set_new(igw, "Attachments", json_array())) return ferr_oom(c->err);
    (void)out;
    return ec2_put(c, &ec2_igw, igw);
}

int ec2_op_delete_internet_gateway(call *c, json_t *in, json_t **out)
{
    const char *id = jstr(in, "InternetGatewayId");
    json_t *igw;
    if (ec2_ready(c) || ec2_get(c, &ec2_igw, id, &igw) ||
        ec2_authz(c, "ec2:DeleteInternetGateway", &ec2_igw, id))
        return -1;
    if (attached_vpc(igw))
        return ferr_set(c->err, 400, "DependencyViolation",
                        "The internetGateway '%s' has dependencies and cannot be deleted.", id);
    (void)out;
    return ec2_del(c, &ec2_igw, id);
}

/* ---- Elastic IPs ---- */

int ec2_op_allocate_address(call *c, json_t *in, json_t **out)
{
    if (ec2_ready(c) || ec2_authz(c, "ec2:AllocateAddress", &ec2_eip, "*")) return -1;
    const char *id = ec2_new_id(c, "eipalloc");
    json_t *d = id ? ec2_new_doc(c, &ec2_eip, id, in, NULL) : NULL;
    if (!d) return id ? -1 : ferr_oom(c->err);
    /* an address of the documentation ranges (RFC 5737): it reaches nothing; one the
     * account does not hold already */
    static const char *const nets[] = {"192.0.2", "198.51.100", "203.0.113"};
    json_t *held = ec2_all(c, &ec2_eip, NULL);
    if (!held) return -1;
    char ip[24];
    for (int tries = 0;; tries++) {
        unsigned char r[2];
        ids_random(r, sizeof(r));
        snprintf(ip, sizeof(ip), "%s.%u", nets[r[0] % 3], 1 + r[1] % 254);
        int taken = 0;
        size_t i;
        const json_t *x;
        json_array_foreach(held, i, x) taken |= !strcmp(jstr(x, "PublicIp"), ip);
        if (!taken) break;
        if (tries > 64)
            return ferr_set(c->err, 400, "AddressLimitExceeded",
                            "The maximum number of addresses has been reached.");
    }
    if (jset_str(d, "PublicIp", ip) || jset_str(d, "Domain", "vpc") ||
        jset_str(d, "PublicIpv4Pool", "amazon") || jset_str(d, "NetworkBorderGroup", c->region) ||
        ec2_put(c, &ec2_eip, d))
        return ferr_isset(c->err) ? -1 : ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:s, s:s, s:s, s:s, s:s}", "AllocationId", id, "PublicIp", ip,
                                "Domain", "vpc", "PublicIpv4Pool", "amazon", "NetworkBorderGroup",
                                c->region));
    return 0;
}

int ec2_op_describe_addresses(call *c, json_t *in, json_t **out)
{
    if (ec2_ready(c) || ec2_authz(c, "ec2:DescribeAddresses", &ec2_eip, NULL)) return -1;
    const json_t *ips = json_object_get(in, "PublicIps");
    if (!json_array_size(ips))
        return ec2_describe(c, &ec2_eip, in, "AllocationIds", NULL, "Addresses", out);
    /* by public IP: the same as a public-ip filter, but an unknown one is an error */
    json_t *all = ec2_all(c, &ec2_eip, NULL);
    if (!all) return -1;
    size_t i, j;
    const json_t *ip, *d;
    json_array_foreach(ips, i, ip) {
        int hit = 0;
        json_array_foreach(all, j, d) hit |= !strcmp(jstr(d, "PublicIp"), json_string_value(ip));
        if (!hit)
            return ferr_set(c->err, 400, "InvalidAddress.NotFound", "Address '%.64s' not found.",
                            json_string_value(ip));
    }
    json_t *f = json_deep_copy(in);
    json_t *flt = json_pack("{s:s, s:O}", "Name", "public-ip", "Values", ips);
    if (!arena_defer_json(c->a, f) || !flt) return json_decref(flt), ferr_oom(c->err);
    json_t *filters = json_object_get(f, "Filters");
    if (!filters && json_object_set_new(f, "Filters", json_array()))
        return json_decref(flt), ferr_oom(c->err);
    if (json_array_append_new(json_object_get(f, "Filters"), flt)) return ferr_oom(c->err);
    return ec2_describe(c, &ec2_eip, f, NULL, NULL, "Addresses", out);
}

int ec2_op_release_address(call *c, json_t *in, json_t **out)
{
    const char *id = jstr(in, "AllocationId");
    json_t *d;
    if (ec2_ready(c)) return -1;
    if (!id)
        return ferr_set(c->err, 400, "MissingParameter",
                        "The request must contain the parameter AllocationId");
    if (ec2_get(c, &ec2_eip, id, &d) || ec2_authz(c, "ec2:ReleaseAddress", &ec2_eip, id)) return -1;
    if (jstr(d, "AssociationId"))
        return ferr_set(c->err, 400, "InvalidIPAddress.InUse", "Address %s is in use.",
                        jstr(d, "PublicIp"));
    (void)out;
    return ec2_del(c, &ec2_eip, id);
}

/* ---- NAT gateways ---- */

int ec2_op_create_nat_gateway(call *c, json_t *in, json_t **out)
{
    const char *subnet = jstr(in, "SubnetId"), *alloc = jstr(in, "AllocationId"),
               *type = jstr(in, "ConnectivityType");
    json_t *sub, *eip = NULL;
    if (!type) type = "public";
    if (ec2_ready(c) || ec2_get(c, &ec2_subnet, subnet, &sub)) return -1;
    if (!strcmp(type, "public") && !alloc)
        return ferr_set(c->err, 400, "MissingParameter",
                        "The request must contain the parameter AllocationId");
    if (alloc && ec2_get(c, &ec2_eip, alloc, &eip)) return -1;
    if (eip && jstr(eip, "AssociationId"))
        return ferr_set(c->err, 400, "Resource.AlreadyAssociated",
                        "Elastic IP address [%s] is already associated", alloc);
    if (ec2_authz(c, "ec2:CreateNatGateway", &ec2_nat, "*")) return -1;
    const char *id = ec2_new_id(c, "nat"), *eni = ec2_new_id(c, "eni"),
               *assoc = ec2_new_id(c, "eipassoc");
    json_t *d = id && eni && assoc ? ec2_new_doc(c, &ec2_nat, id, in, NULL) : NULL;
    if (!d) return ferr_isset(c->err) ? -1 : ferr_oom(c->err);
    uint32_t net;
    int len;
    char priv[20];
    if (ec2_cidr(jstr(sub, "CidrBlock"), &net, &len)) return ferr_internal(c->err, "bad subnet");
    json_t *nats = ec2_all(c, &ec2_nat, NULL);
    if (!nats) return -1;
    net += 4 + (uint32_t)json_array_size(nats) % 200;
    snprintf(priv, sizeof(priv), "%u.%u.%u.%u", net >> 24, (net >> 16) & 255, (net >> 8) & 255,
             net & 255);
    json_t *addr = json_pack("{s:s, s:s, s:b, s:s}", "NetworkInterfaceId", eni, "PrivateIp", priv,
                             "IsPrimary", 1, "Status", "succeeded");
    if (!addr ||
        (eip && (jset_str(addr, "AllocationId", alloc) ||
                 jset_str(addr, "PublicIp", jstr(eip, "PublicIp")) ||
                 jset_str(addr, "AssociationId", assoc))) ||
        json_object_set_new(d, "NatGatewayAddresses", json_pack("[o]", addr)) ||
        jset_str(d, "SubnetId", subnet) || jset_str(d, "VpcId", jstr(sub, "VpcId")) ||
        jset_str(d, "State", "available") || jset_str(d, "ConnectivityType", type) ||
        json_object_set_new(d, "CreateTime", json_real(clock_now())))
        return ferr_oom(c->err);
    if (eip && (jset_str(eip, "AssociationId", assoc) || jset_str(eip, "NetworkInterfaceId", eni) ||
                jset_str(eip, "PrivateIpAddress", priv) ||
                jset_str(eip, "NetworkInterfaceOwnerId", c->account)))
        return ferr_oom(c->err);
    if ((eip && ec2_put(c, &ec2_eip, eip)) || ec2_put(c, &ec2_nat, d)) return -1;
    *out = svc_out(c, json_pack("{s:O}", "NatGateway", d));
    return 0;
}

int ec2_op_describe_nat_gateways(call *c, json_t *in, json_t **out)
{
    if (ec2_ready(c) || ec2_authz(c, "ec2:DescribeNatGateways", &ec2_nat, NULL)) return -1;
    /* the request names its filters "Filter" too, but as the model's NatGatewayIds/Filter */
    if (json_object_get(in, "Filter") && !json_object_get(in, "Filters") &&
        json_object_set(in, "Filters", json_object_get(in, "Filter")))
        return ferr_oom(c->err);
    return ec2_describe(c, &ec2_nat, in, "NatGatewayIds", NULL, "NatGateways", out);
}

int ec2_op_delete_nat_gateway(call *c, json_t *in, json_t **out)
{
    const char *id = jstr(in, "NatGatewayId");
    json_t *d;
    if (ec2_ready(c) || ec2_get(c, &ec2_nat, id, &d) ||
        ec2_authz(c, "ec2:DeleteNatGateway", &ec2_nat, id))
        return -1;
    /* AWS keeps a deleted NAT gateway visible for a while, State deleted; its address is
     * free at once */
    const char *alloc =
        jstr(json_array_get(json_object_get(d, "NatGatewayAddresses"), 0), "AllocationId");
    json_t *eip;
    if (alloc && ec2_find(c, &ec2_eip, NULL, alloc, &eip) == 1) {
        json_object_del(eip, "AssociationId");
        json_object_del(eip, "NetworkInterfaceId");
        json_object_del(eip, "PrivateIpAddress");
        json_object_del(eip, "NetworkInterfaceOwnerId");
        if (ec2_put(c, &ec2_eip, eip)) return -1;
    }
    if (jset_str(d, "State", "deleted") ||
        json_object_set_new(d, "DeleteTime", json_real(clock_now())) || ec2_put(c, &ec2_nat, d))
        return ferr_isset(c->err) ? -1 : ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:s}", "NatGatewayId", id));
    return 0;
}
