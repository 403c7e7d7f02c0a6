/* CloudFormation's EC2 networking types, through EC2's own operations as the stack:
 * AWS::EC2::VPC, Subnet, RouteTable, Route, SubnetRouteTableAssociation, InternetGateway,
 * VPCGatewayAttachment, NatGateway, EIP, VPCEndpoint (security groups: prov_sg.c).
 * Ref and Fn::GetAtt as AWS's resource reference gives them (VPC: Ref the VPC id, GetAtt
 * CidrBlock, DefaultSecurityGroup, DefaultNetworkAcl, ...; EIP: Ref its public IP; Route:
 * Ref "rtb-...|CIDR"; VPCGatewayAttachment: Ref "IGW|vpc-..."). EC2 picks its ids, so a
 * create announces "cfn:" (cfn_intent) and the resource carries the stack's
 * aws:cloudformation tags: a rollback after a crash finds it by them (prov_ec2_del). */
#include <stdlib.h>
#include <string.h>

#include "engine/stacks/prov_int.h"
#include "prov_ec2.h"

/* ---- what every EC2 provider shares ---- */

int prov_ec2_gone_ok(cfn_pctx *p, const char *op, json_t *in)
{
    return prov_call_gone_ok(p, NULL, "ec2", op, in);
}

json_t *prov_ec2_tag_specs(cfn_pctx *p, const json_t *pr, const char *type)
{
    json_t *tags = prov_tags(p, json_object_get(pr, "Tags"), 1);
    json_t *spec = tags ? json_pack("[{s:s, s:o}]", "ResourceType", type, "Tags", tags) : NULL;
    if (!spec) ferr_oom(p->e);
    return spec;
}

/* The id of what this stack's logical resource made (its aws:cloudformation tags): 1 and
 * *id (malloc'd), 0 none. */
static int by_stack_tags(cfn_pctx *p, const prov_ec2_kind *k, char **id)
{
    json_t *out = NULL;
    json_t *in = json_pack("{s:[{s:s, s:[s]}, {s:s, s:[s]}]}", "Filters", "Name",
                           "tag:aws:cloudformation:stack-id", "Values", p->stack_id, "Name",
                           "tag:aws:cloudformation:logical-id", "Values", p->logical_id);
    if (prov_call(p, "ec2", k->describe_op, in, &out)) return -1;
    const char *found = jstr(json_array_get(json_object_get(out, k->list_key), 0), k->id_key);
    *id = found ? strdup(found) : NULL;
    json_decref(out);
    return found ? (*id ? 1 : ferr_oom(p->e)) : 0;
}

int prov_ec2_del(const prov_ec2_kind *k, cfn_pctx *p, const char *id)
{
    char *found = NULL;
    if (!strncmp(id, "cfn:", 4)) { /* announced, never recorded: the create may have made it */
        int rc = by_stack_tags(p, k, &found);
        if (rc <= 0) return rc;
        id = found;
    }
    json_t *in = k->delete_list ? json_pack("{s:[s]}", k->delete_key, id)
                                : json_pack("{s:s}", k->delete_key, id);
    int rc = prov_ec2_gone_ok(p, k->delete_op, in);
    free(found);
    return rc;
}

int prov_ec2_create(const prov_ec2_kind *k, cfn_pctx *p, json_t *in, char **id, json_t **made)
{
    json_t *out = NULL;
    if (!in) return ferr_oom(p->e);
    if (cfn_intent(p, "cfn:")) {
        json_decref(in);
        return -1;
    }
    if (prov_call(p, "ec2", k->create_op, in, &out)) return -1;
    json_t *doc = k->out_key ? json_object_get(out, k->out_key) : out;
    const char *v = jstr(doc, k->id_key);
    *id = v ? strdup(v) : NULL;
    if (made) *made = json_incref(doc);
    json_decref(out);
    return *id ? 0 : ferr_oom(p->e);
}

int prov_ec2_describe(const prov_ec2_kind *k, cfn_pctx *p, const char *id, json_t **doc)
{
    json_t *out = NULL;
    if (prov_call(p, "ec2", k->describe_op, json_pack("{s:[s]}", k->ids_key, id), &out)) return -1;
    *doc = json_incref(json_array_get(json_object_get(out, k->list_key), 0));
    json_decref(out);
    return *doc ? 0 : ferr_set(p->e, 400, "NotFound", "%s %s is gone", k->list_key, id);
}

int prov_ec2_sync_tags(cfn_pctx *p, const char *id, const json_t *np)
{
    json_t *out = NULL;
    if (prov_call(p, "ec2", "DescribeTags",
                  json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Name", "resource-id", "Values", id),
                  &out))
        return -1;
    json_t *desired = prov_tags(p, json_object_get(np, "Tags"), 1), *set = NULL, *unset = NULL;
    int rc = !desired || prov_tags_diff(json_object_get(out, "Tags"), desired, &set, &unset)
                 ? ferr_oom(p->e)
                 : 0;
    json_t *keys = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(unset, i, x)
        rc |= !keys || json_array_append_new(keys, json_pack("{s:O}", "Key", x));
    if (!rc && json_array_size(keys))
        rc = prov_call(p, "ec2", "DeleteTags",
                       json_pack("{s:[s], s:O}", "Resources", id, "Tags", keys), NULL);
    if (!rc && json_array_size(set))
        rc = prov_call(p, "ec2", "CreateTags",
                       json_pack("{s:[s], s:O}", "Resources", id, "Tags", set), NULL);
    json_decref(out);
    json_decref(desired);
    json_decref(set);
    json_decref(unset);
    json_decref(keys);
    return rc ? -1 : 0;
}

/* ---- AWS::EC2::VPC ---- */

static const prov_ec2_kind vpc_kind = {
    "CreateVpc", "Vpc", "VpcId", "DescribeVpcs", "Vpcs", "VpcIds", "DeleteVpc", "VpcId", 0};

static const prov_prop vpc_schema[] = {
    {"CidrBlock", PT_STR, 0},
    {"EnableDnsHostnames", PT_BOOL, 0},
    {"EnableDnsSupport", PT_BOOL, 0},
    {"InstanceTenancy", PT_STR, 0},
    {"Ipv4IpamPoolId", PT_STR, 0},
    {"Ipv4NetmaskLength", PT_INT, 0},
    {"Tags", PT_TAGS, 0},
    {NULL, 0, 0},
};

static int vpc_dns(cfn_pctx *p, const char *id, const json_t *op, const json_t *np)
{
    static const char *const attrs[] = {"EnableDnsSupport", "EnableDnsHostnames"};
    for (int i = 0; i < 2; i++) {
        const json_t *v = json_object_get(np, attrs[i]);
        if (!v || (op && prov_same(v, json_object_get(op, attrs[i])))) continue;
        if (prov_call(p, "ec2", "ModifyVpcAttribute",
                      json_pack("{s:s, s:{s:O}}", "VpcId", id, attrs[i], "Value", v), NULL))
            return -1;
    }
    return 0;
}

static int vpc_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    return prov_ec2_del(&vpc_kind, p, id);
}

static int vpc_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    if (!jstr(pr, "CidrBlock")) return prov_invalid(p, "#: required key [CidrBlock] not found");
    json_t *spec = prov_ec2_tag_specs(p, pr, "vpc");
    json_t *in = spec ? json_pack("{s:s, s:o}", "CidrBlock", jstr(pr, "CidrBlock"),
                                  "TagSpecifications", spec)
                      : NULL;
    if (in && jstr(pr, "InstanceTenancy") &&
        jset_str(in, "InstanceTenancy", jstr(pr, "InstanceTenancy"))) {
        json_decref(in);
        in = NULL;
    }
    if (prov_ec2_create(&vpc_kind, p, in, id, NULL)) return -1;
    return vpc_dns(p, *id, NULL, pr) ? prov_undo(p, vpc_del, *id, pr) : 0;
}

static int vpc_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                      const json_t *np)
{
    (void)s;
    return vpc_dns(p, id, op, np) || prov_ec2_sync_tags(p, id, np);
}

static int vpc_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    json_t *v;
    if (prov_ec2_describe(&vpc_kind, p, id, &v)) return -1;
    json_t *assoc = json_array();
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(v, "CidrBlockAssociationSet"), i, a)
        if (assoc && json_array_append(assoc, json_object_get(a, "AssociationId"))) {
            json_decref(assoc);
            assoc = NULL;
        }
    *attrs = json_pack("{s:O, s:o, s:O?, s:O?, s:[], s:O}", "CidrBlock",
                       json_object_get(v, "CidrBlock"), "CidrBlockAssociations", assoc,
                       "DefaultNetworkAcl", json_object_get(v, "_DefaultNetworkAclId"),
                       "DefaultSecurityGroup", json_object_get(v, "_DefaultSecurityGroupId"),
                       "Ipv6CidrBlocks", "VpcId", json_object_get(v, "VpcId"));
    json_decref(v);
    return *attrs ? 0 : ferr_oom(p->e);
}

static const prov_shape vpc_shape = {.schema = vpc_schema,
                                     .make = vpc_make,
                                     .change = vpc_change,
                                     .attrs = vpc_attrs,
                                     .del = vpc_del};
static const char *const vpc_replace[] = {"CidrBlock", "InstanceTenancy", "Ipv4IpamPoolId",
                                          "Ipv4NetmaskLength", NULL};
const cfn_provider cfn_provider_ec2_vpc = {
    .type = "AWS::EC2::VPC", .shape = &vpc_shape, .del = vpc_del, .replace_on = vpc_replace};

/* ---- AWS::EC2::Subnet ---- */

static const prov_ec2_kind subnet_kind = {"CreateSubnet",    "Subnet",   "SubnetId",
                                          "DescribeSubnets", "Subnets",  "SubnetIds",
                                          "DeleteSubnet",    "SubnetId", 0};

static const prov_prop subnet_schema[] = {
    {"VpcId", PT_STR, 1},
    {"CidrBlock", PT_STR, 0},
    {"AvailabilityZone", PT_STR, 0},
    {"AvailabilityZoneId", PT_STR, 0},
    {"MapPublicIpOnLaunch", PT_BOOL, 0},
    {"AssignIpv6AddressOnCreation", PT_BOOL, 0},
    {"Ipv6CidrBlock", PT_STR, 0},
    {"Tags", PT_TAGS, 0},
    {NULL, 0, 0},
};

static int subnet_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    return prov_ec2_del(&subnet_kind, p, id);
}

static int subnet_public(cfn_pctx *p, const char *id, const json_t *op, const json_t *np)
{
    const json_t *v = json_object_get(np, "MapPublicIpOnLaunch");
    if (!v) v = op && json_object_get(op, "MapPublicIpOnLaunch") ? json_false() : NULL;
    if (!v || (op && prov_same(v, json_object_get(op, "MapPublicIpOnLaunch")))) return 0;
    return prov_call(p, "ec2", "ModifySubnetAttribute",
                     json_pack("{s:s, s:{s:O}}", "SubnetId", id, "MapPublicIpOnLaunch", "Value", v),
                     NULL);
}

static int subnet_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id,
                       json_t **attrs)
{
    (void)s, (void)attrs;
    json_t *spec = prov_ec2_tag_specs(p, pr, "subnet");
    json_t *in =
        spec ? json_pack("{s:s, s:O?, s:O?, s:O?, s:o}", "VpcId", jstr(pr, "VpcId"), "CidrBlock",
                         json_object_get(pr, "CidrBlock"), "AvailabilityZone",
                         json_object_get(pr, "AvailabilityZone"), "AvailabilityZoneId",
                         json_object_get(pr, "AvailabilityZoneId"), "TagSpecifications", spec)
             : NULL;
    if (prov_ec2_create(&subnet_kind, p, in, id, NULL)) return -1;
    return subnet_public(p, *id, NULL, pr) ? prov_undo(p, subnet_del, *id, pr) : 0;
}

static int subnet_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                         const json_t *np)
{
    (void)s;
    return subnet_public(p, id, op, np) || prov_ec2_sync_tags(p, id, np);
}

static int subnet_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    json_t *v;
    if (prov_ec2_describe(&subnet_kind, p, id, &v)) return -1;
    *attrs = json_pack("{s:O, s:O, s:O, s:[], s:O, s:O}", "AvailabilityZone",
                       json_object_get(v, "AvailabilityZone"), "AvailabilityZoneId",
                       json_object_get(v, "AvailabilityZoneId"), "CidrBlock",
                       json_object_get(v, "CidrBlock"), "Ipv6CidrBlocks", "SubnetId",
                       json_object_get(v, "SubnetId"), "VpcId", json_object_get(v, "VpcId"));
    json_decref(v);
    return *attrs ? 0 : ferr_oom(p->e);
}

static const prov_shape subnet_shape = {.schema = subnet_schema,
                                        .make = subnet_make,
                                        .change = subnet_change,
                                        .attrs = subnet_attrs,
                                        .del = subnet_del};
static const char *const subnet_replace[] = {
    "VpcId", "CidrBlock", "AvailabilityZone", "AvailabilityZoneId", "Ipv6CidrBlock", NULL};
const cfn_provider cfn_provider_ec2_subnet = {.type = "AWS::EC2::Subnet",
                                              .shape = &subnet_shape,
                                              .del = subnet_del,
                                              .replace_on = subnet_replace};

/* ---- AWS::EC2::RouteTable, InternetGateway: an id and tags ---- */

static const prov_ec2_kind rtb_kind = {"CreateRouteTable",    "RouteTable",   "RouteTableId",
                                       "DescribeRouteTables", "RouteTables",  "RouteTableIds",
                                       "DeleteRouteTable",    "RouteTableId", 0};
static const prov_ec2_kind igw_kind = {
    "CreateInternetGateway",    "InternetGateway",   "InternetGatewayId",
    "DescribeInternetGateways", "InternetGateways",  "InternetGatewayIds",
    "DeleteInternetGateway",    "InternetGatewayId", 0};

static int rtb_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    return prov_ec2_del(&rtb_kind, p, id);
}

static int igw_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    return prov_ec2_del(&igw_kind, p, id);
}

static const prov_prop rtb_schema[] = {{"VpcId", PT_STR, 1}, {"Tags", PT_TAGS, 0}, {NULL, 0, 0}};
static const prov_prop igw_schema[] = {{"Tags", PT_TAGS, 0}, {NULL, 0, 0}};

static int rtb_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    json_t *spec = prov_ec2_tag_specs(p, pr, "route-table");
    return prov_ec2_create(
        &rtb_kind, p,
        spec ? json_pack("{s:s, s:o}", "VpcId", jstr(pr, "VpcId"), "TagSpecifications", spec)
             : NULL,
        id, NULL);
}

static int igw_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    json_t *spec = prov_ec2_tag_specs(p, pr, "internet-gateway");
    return prov_ec2_create(&igw_kind, p,
                           spec ? json_pack("{s:o}", "TagSpecifications", spec) : NULL, id, NULL);
}

/* GetAtt of a resource whose only attribute is its id, under the name s->data. */
static int id_named(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    *attrs = json_pack("{s:s}", (const char *)s->data, id);
    return *attrs ? 0 : ferr_oom(p->e);
}

static int tags_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                       const json_t *np)
{
    (void)s, (void)op;
    return prov_ec2_sync_tags(p, id, np);
}

static const prov_shape rtb_shape = {.schema = rtb_schema,
                                     .make = rtb_make,
                                     .change = tags_change,
                                     .attrs = id_named,
                                     .data = "RouteTableId",
                                     .del = rtb_del};
static const char *const rtb_replace[] = {"VpcId", NULL};
const cfn_provider cfn_provider_ec2_route_table = {
    .type = "AWS::EC2::RouteTable", .shape = &rtb_shape, .del = rtb_del, .replace_on = rtb_replace};
static const prov_shape igw_shape = {.schema = igw_schema,
                                     .make = igw_make,
                                     .change = tags_change,
                                     .attrs = id_named,
                                     .data = "InternetGatewayId",
                                     .del = igw_del};
const cfn_provider cfn_provider_ec2_internet_gateway = {
    .type = "AWS::EC2::InternetGateway", .shape = &igw_shape, .del = igw_del};

/* ---- AWS::EC2::Route: Ref "rtb-...|CIDR" ---- */

static const prov_prop route_schema[] = {
    {"RouteTableId", PT_STR, 1},
    {"DestinationCidrBlock", PT_STR, 0},
    {"DestinationIpv6CidrBlock", PT_STR, 0},
    {"DestinationPrefixListId", PT_STR, 0},
    {"GatewayId", PT_STR, 0},
    {"NatGatewayId", PT_STR, 0},
    {"VpcEndpointId", PT_STR, 0},
    {"TransitGatewayId", PT_STR, 0},
    {"NetworkInterfaceId", PT_STR, 0},
    {"VpcPeeringConnectionId", PT_STR, 0},
    {"InstanceId", PT_STR, 0},
    {"EgressOnlyInternetGatewayId", PT_STR, 0},
    {"CarrierGatewayId", PT_STR, 0},
    {"LocalGatewayId", PT_STR, 0},
    {"CoreNetworkArn", PT_STR, 0},
    {NULL, 0, 0},
};

static const char *route_dest(const json_t *pr)
{
    const char *d = jstr(pr, "DestinationCidrBlock");
    if (!d) d = jstr(pr, "DestinationIpv6CidrBlock");
    return d ? d : jstr(pr, "DestinationPrefixListId");
}

/* The route's input: the table, its destination and every target given. */
static json_t *route_input(const json_t *pr)
{
    json_t *in = json_object();
    for (size_t i = 0; in && route_schema[i].name; i++) {
        json_t *v = json_object_get(pr, route_schema[i].name);
        if (v && json_object_set(in, route_schema[i].name, v)) {
            json_decref(in);
            return NULL;
        }
    }
    return in;
}

static int route_del(cfn_pctx *p, const char *id, const json_t *props)
{
    const char *bar = strchr(id, '|');
    char rtb[64];
    snprintf(rtb, sizeof(rtb), "%.*s", bar ? (int)(bar - id) : 0, id);
    const char *dest = bar ? bar + 1 : route_dest(props);
    if (!bar)
        snprintf(rtb, sizeof(rtb), "%s",
                 jstr(props, "RouteTableId") ? jstr(props, "RouteTableId") : "");
    const char *key = !strncmp(dest ? dest : "", "pl-", 3) ? "DestinationPrefixListId"
                      : strchr(dest ? dest : "", ':')      ? "DestinationIpv6CidrBlock"
                                                      : "DestinationCidrBlock";
    json_t *in = json_pack("{s:s, s:s}", "RouteTableId", rtb, key, dest ? dest : "");
    int rc = prov_ec2_gone_ok(p, "DeleteRoute", in);
    if (rc && !strcmp(p->e->code, "InvalidRoute.NotFound")) rc = 0; /* gone */
    return rc;
}

static int route_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    const char *dest = route_dest(pr);
    if (!dest) return prov_invalid(p, "#: required key [DestinationCidrBlock] not found");
    size_t n = strlen(jstr(pr, "RouteTableId")) + strlen(dest) + 2;
    if (!(*id = malloc(n))) return ferr_oom(p->e);
    snprintf(*id, n, "%s|%s", jstr(pr, "RouteTableId"), dest);
    if (cfn_intent(p, *id)) return -1;
    return prov_call(p, "ec2", "CreateRoute", route_input(pr), NULL);
}

static int route_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                        const json_t *np)
{
    (void)s, (void)id, (void)op;
    return prov_call(p, "ec2", "ReplaceRoute", route_input(np), NULL);
}

static int route_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    const char *bar = strchr(id, '|');
    *attrs = json_pack("{s:s}", "CidrBlock", bar ? bar + 1 : "");
    return *attrs ? 0 : ferr_oom(p->e);
}

static const prov_shape route_shape = {.schema = route_schema,
                                       .make = route_make,
                                       .change = route_change,
                                       .attrs = route_attrs,
                                       .del = route_del};
static const char *const route_replace[] = {"RouteTableId", "DestinationCidrBlock",
                                            "DestinationIpv6CidrBlock", "DestinationPrefixListId",
                                            NULL};
const cfn_provider cfn_provider_ec2_route = {.type = "AWS::EC2::Route",
                                             .shape = &route_shape,
                                             .del = route_del,
                                             .replace_on = route_replace};

/* ---- AWS::EC2::SubnetRouteTableAssociation: Ref the association id ---- */

static const prov_prop assoc_schema[] = {
    {"RouteTableId", PT_STR, 1}, {"SubnetId", PT_STR, 1}, {NULL, 0, 0}};

static int assoc_del(cfn_pctx *p, const char *id, const json_t *props)
{
    if (strncmp(id, "cfn:", 4))
        return prov_ec2_gone_ok(p, "DisassociateRouteTable",
                                json_pack("{s:s}", "AssociationId", id));
    /* announced only: the subnet's association with the table, if it was made */
    json_t *out = NULL;
    const char *sub = jstr(props, "SubnetId"), *rtb = jstr(props, "RouteTableId");
    if (!sub || !rtb) return 0;
    if (prov_call(p, "ec2", "DescribeRouteTables",
                  json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Name", "association.subnet-id",
                            "Values", sub),
                  &out))
        return -1;
    const json_t *t = json_array_get(json_object_get(out, "RouteTables"), 0), *a;
    size_t i;
    char *aid = NULL;
    json_array_foreach(json_object_get(t, "Associations"), i, a) {
        if (jstr(a, "SubnetId") && !strcmp(jstr(a, "SubnetId"), sub) &&
            !strcmp(jstr(t, "RouteTableId"), rtb))
            aid = strdup(jstr(a, "RouteTableAssociationId"));
    }
    json_decref(out);
    int rc = aid ? prov_ec2_gone_ok(p, "DisassociateRouteTable",
                                    json_pack("{s:s}", "AssociationId", aid))
                 : 0;
    free(aid);
    return rc;
}

static int assoc_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    static const prov_ec2_kind k = {.create_op = "AssociateRouteTable", .id_key = "AssociationId"};
    return prov_ec2_create(&k, p,
                           json_pack("{s:s, s:s}", "RouteTableId", jstr(pr, "RouteTableId"),
                                     "SubnetId", jstr(pr, "SubnetId")),
                           id, NULL);
}

static const prov_shape assoc_shape = {
    .schema = assoc_schema, .make = assoc_make, .attrs = prov_shape_id_attrs, .del = assoc_del};
static const char *const assoc_replace[] = {"RouteTableId", "SubnetId", NULL};
const cfn_provider cfn_provider_ec2_subnet_route_table_association = {
    .type = "AWS::EC2::SubnetRouteTableAssociation",
    .shape = &assoc_shape,
    .del = assoc_del,
    .replace_on = assoc_replace};

/* ---- AWS::EC2::VPCGatewayAttachment: Ref "IGW|vpc-..." ---- */

static const prov_prop attach_schema[] = {{"VpcId", PT_STR, 1},
                                          {"InternetGatewayId", PT_STR, 0},
                                          {"VpnGatewayId", PT_STR, 0},
                                          {NULL, 0, 0}};

static int attach_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)id;
    if (!jstr(props, "InternetGatewayId")) return 0;
    int rc = prov_ec2_gone_ok(p, "DetachInternetGateway",
                              json_pack("{s:s, s:s}", "InternetGatewayId",
                                        jstr(props, "InternetGatewayId"), "VpcId",
                                        jstr(props, "VpcId")));
    if (rc && !strcmp(p->e->code, "Gateway.NotAttached")) {
        memset(p->e, 0, sizeof(*p->e));
        rc = 0;
    }
    return rc;
}

static int attach_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id,
                       json_t **attrs)
{
    (void)s, (void)attrs;
    if (!jstr(pr, "InternetGatewayId"))
        return prov_invalid(p, "#: only InternetGatewayId attachments are supported "
                               "(VpnGatewayId: virtual private gateways are not kept)");
    size_t n = strlen(jstr(pr, "VpcId")) + 5;
    if (!(*id = malloc(n))) return ferr_oom(p->e);
    snprintf(*id, n, "IGW|%s", jstr(pr, "VpcId"));
    if (cfn_intent(p, *id)) return -1;
    return prov_call(p, "ec2", "AttachInternetGateway",
                     json_pack("{s:s, s:s}", "InternetGatewayId", jstr(pr, "InternetGatewayId"),
                               "VpcId", jstr(pr, "VpcId")),
                     NULL);
}

static int attach_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    const char *bar = strchr(id, '|');
    *attrs = json_pack("{s:s, s:s}", "AttachmentType", "igw", "VpcId", bar ? bar + 1 : "");
    return *attrs ? 0 : ferr_oom(p->e);
}

static const prov_shape attach_shape = {
    .schema = attach_schema, .make = attach_make, .attrs = attach_attrs, .del = attach_del};
static const char *const attach_replace[] = {"VpcId", "InternetGatewayId", "VpnGatewayId", NULL};
const cfn_provider cfn_provider_ec2_vpc_gateway_attachment = {.type =
                                                                  "AWS::EC2::VPCGatewayAttachment",
                                                              .shape = &attach_shape,
                                                              .del = attach_del,
                                                              .replace_on = attach_replace};

/* ---- AWS::EC2::EIP: Ref its public IP; GetAtt AllocationId, PublicIp ---- */

static const prov_ec2_kind eip_kind = {"AllocateAddress",   NULL,           "AllocationId",
                                       "DescribeAddresses", "Addresses",    "AllocationIds",
                                       "ReleaseAddress",    "AllocationId", 0};

static const prov_prop eip_schema[] = {{"Domain", PT_STR, 0},
                                       {"NetworkBorderGroup", PT_STR, 0},
                                       {"PublicIpv4Pool", PT_STR, 0},
                                       {"Tags", PT_TAGS, 0},
                                       {NULL, 0, 0}};

/* The physical id is the public IP (AWS's Ref); released by its allocation id. */
static int eip_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    if (!strncmp(id, "cfn:", 4)) return prov_ec2_del(&eip_kind, p, id);
    json_t *out = NULL;
    if (prov_call(p, "ec2", "DescribeAddresses", json_pack("{s:[s]}", "PublicIps", id), &out))
        return strcmp(p->e->code, "InvalidAddress.NotFound") ? -1
                                                             : (memset(p->e, 0, sizeof(*p->e)), 0);
    const char *alloc = jstr(json_array_get(json_object_get(out, "Addresses"), 0), "AllocationId");
    int rc = alloc ? prov_ec2_del(&eip_kind, p, alloc) : 0;
    json_decref(out);
    return rc;
}

static int eip_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s;
    json_t *spec = prov_ec2_tag_specs(p, pr, "elastic-ip"), *made = NULL;
    char *alloc = NULL;
    if (prov_ec2_create(&eip_kind, p,
                        spec ? json_pack("{s:s, s:o}", "Domain", "vpc", "TagSpecifications", spec)
                             : NULL,
                        &alloc, &made))
        return -1;
    *id = jstr(made, "PublicIp") ? strdup(jstr(made, "PublicIp")) : NULL;
    *attrs = json_pack("{s:s, s:O}", "AllocationId", alloc, "PublicIp",
                       json_object_get(made, "PublicIp"));
    free(alloc);
    json_decref(made);
    return *id && *attrs ? 0 : ferr_oom(p->e);
}

static int eip_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    if (prov_call(p, "ec2", "DescribeAddresses", json_pack("{s:[s]}", "PublicIps", id), &out))
        return -1;
    json_t *a = json_array_get(json_object_get(out, "Addresses"), 0);
    *attrs = json_pack("{s:O, s:O}", "AllocationId", json_object_get(a, "AllocationId"), "PublicIp",
                       json_object_get(a, "PublicIp"));
    json_decref(out);
    return *attrs ? 0 : ferr_oom(p->e);
}

static int eip_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                      const json_t *np)
{
    json_t *a;
    if (eip_attrs(s, p, id, &a)) return -1;
    int rc = prov_ec2_sync_tags(p, jstr(a, "AllocationId"), np);
    json_decref(a);
    (void)op;
    return rc;
}

static const prov_shape eip_shape = {.schema = eip_schema,
                                     .make = eip_make,
                                     .change = eip_change,
                                     .attrs = eip_attrs,
                                     .del = eip_del};
static const char *const eip_replace[] = {"Domain", "NetworkBorderGroup", "PublicIpv4Pool", NULL};
const cfn_provider cfn_provider_ec2_eip = {
    .type = "AWS::EC2::EIP", .shape = &eip_shape, .del = eip_del, .replace_on = eip_replace};

/* ---- AWS::EC2::NatGateway ---- */

static const prov_ec2_kind nat_kind = {"CreateNatGateway",    "NatGateway",   "NatGatewayId",
                                       "DescribeNatGateways", "NatGateways",  "NatGatewayIds",
                                       "DeleteNatGateway",    "NatGatewayId", 0};

static const prov_prop nat_schema[] = {
    {"SubnetId", PT_STR, 1},         {"AllocationId", PT_STR, 0}, {"ConnectivityType", PT_STR, 0},
    {"PrivateIpAddress", PT_STR, 0}, {"Tags", PT_TAGS, 0},        {NULL, 0, 0}};

static int nat_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    return prov_ec2_del(&nat_kind, p, id);
}

static int nat_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    json_t *spec = prov_ec2_tag_specs(p, pr, "natgateway");
    return prov_ec2_create(
        &nat_kind, p,
        spec ? json_pack("{s:s, s:O?, s:O?, s:o}", "SubnetId", jstr(pr, "SubnetId"), "AllocationId",
                         json_object_get(pr, "AllocationId"), "ConnectivityType",
                         json_object_get(pr, "ConnectivityType"), "TagSpecifications", spec)
             : NULL,
        id, NULL);
}

static const prov_shape nat_shape = {.schema = nat_schema,
                                     .make = nat_make,
                                     .change = tags_change,
                                     .attrs = id_named,
                                     .data = "NatGatewayId",
                                     .del = nat_del};
static const char *const nat_replace[] = {"SubnetId", "AllocationId", "ConnectivityType",
                                          "PrivateIpAddress", NULL};
const cfn_provider cfn_provider_ec2_nat_gateway = {
    .type = "AWS::EC2::NatGateway", .shape = &nat_shape, .del = nat_del, .replace_on = nat_replace};

/* ---- AWS::EC2::VPCEndpoint: Ref the endpoint id ---- */

static const prov_ec2_kind vpce_kind = {"CreateVpcEndpoint",    "VpcEndpoint",    "VpcEndpointId",
                                        "DescribeVpcEndpoints", "VpcEndpoints",   "VpcEndpointIds",
                                        "DeleteVpcEndpoints",   "VpcEndpointIds", 1};

static const prov_prop vpce_schema[] = {
    {"VpcId", PT_STR, 1},
    {"ServiceName", PT_STR, 1},
    {"VpcEndpointType", PT_STR, 0},
    {"PolicyDocument", PT_JSON, 0},
    {"PrivateDnsEnabled", PT_BOOL, 0},
    {"RouteTableIds", PT_STRLIST, 0},
    {"SubnetIds", PT_STRLIST, 0},
    {"SecurityGroupIds", PT_STRLIST, 0},
    {"Tags", PT_TAGS, 0},
    {NULL, 0, 0},
};

static int vpce_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    return prov_ec2_del(&vpce_kind, p, id);
}

static int vpce_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    json_t *spec = prov_ec2_tag_specs(p, pr, "vpc-endpoint");
    char *policy = prov_doc_text(json_object_get(pr, "PolicyDocument"));
    json_t *in = spec
                     ? json_pack("{s:s, s:s, s:O?, s:O?, s:O?, s:O?, s:O?, s:o}", "VpcId",
                                 jstr(pr, "VpcId"), "ServiceName", jstr(pr, "ServiceName"),
                                 "VpcEndpointType", json_object_get(pr, "VpcEndpointType"),
                                 "PrivateDnsEnabled", json_object_get(pr, "PrivateDnsEnabled"),
                                 "RouteTableIds", json_object_get(pr, "RouteTableIds"), "SubnetIds",
                                 json_object_get(pr, "SubnetIds"), "SecurityGroupIds",
                                 json_object_get(pr, "SecurityGroupIds"), "TagSpecifications", spec)
                     : NULL;
    if (in && policy && jset_str(in, "PolicyDocument", policy)) {
        json_decref(in);
        in = NULL;
    }
    free(policy);
    return prov_ec2_create(&vpce_kind, p, in, id, NULL);
}

static int vpce_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                       const json_t *np)
{
    (void)s;
    static const char *const lists[][3] = {
        {"RouteTableIds", "AddRouteTableIds", "RemoveRouteTableIds"},
        {"SubnetIds", "AddSubnetIds", "RemoveSubnetIds"},
    };
    json_t *in = json_pack("{s:s}", "VpcEndpointId", id);
    int rc = !in;
    for (int i = 0; !rc && i < 2; i++) {
        json_t *was = json_object_get(op, lists[i][0]), *now = json_object_get(np, lists[i][0]);
        json_t *add = prov_strlist_minus(now ? now : json_array(), was),
               *del = prov_strlist_minus(was ? was : json_array(), now);
        rc = !add || !del || json_object_set_new(in, lists[i][1], add) ||
             json_object_set_new(in, lists[i][2], del);
    }
    char *policy = prov_doc_text(json_object_get(np, "PolicyDocument"));
    if (!rc && !prov_doc_equal(json_object_get(op, "PolicyDocument"),
                               json_object_get(np, "PolicyDocument")))
        rc = policy ? jset_str(in, "PolicyDocument", policy)
                    : json_object_set_new(in, "ResetPolicy", json_true());
    free(policy);
    if (rc) {
        json_decref(in);
        return ferr_oom(p->e);
    }
    return prov_call(p, "ec2", "ModifyVpcEndpoint", in, NULL) || prov_ec2_sync_tags(p, id, np);
}

static int vpce_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    json_t *v;
    if (prov_ec2_describe(&vpce_kind, p, id, &v)) return -1;
    json_t *ts = prov_date(json_object_get(v, "CreationTimestamp"));
    *attrs = json_pack("{s:o?, s:O, s:s, s:O}", "CreationTimestamp", ts, "DnsEntries",
                       json_object_get(v, "DnsEntries"), "Id", id, "NetworkInterfaceIds",
                       json_object_get(v, "NetworkInterfaceIds"));
    json_decref(v);
    return *attrs ? 0 : ferr_oom(p->e);
}

static const prov_shape vpce_shape = {.schema = vpce_schema,
                                      .make = vpce_make,
                                      .change = vpce_change,
                                      .attrs = vpce_attrs,
                                      .del = vpce_del};
static const char *const vpce_replace[] = {"VpcId", "ServiceName", "VpcEndpointType", NULL};
const cfn_provider cfn_provider_ec2_vpc_endpoint = {.type = "AWS::EC2::VPCEndpoint",
                                                    .shape = &vpce_shape,
                                                    .del = vpce_del,
                                                    .replace_on = vpce_replace};
