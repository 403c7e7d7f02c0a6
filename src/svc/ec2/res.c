/* EC2's records: the resource types, their store documents, ids, ARNs, tags and the
 * Describe* machinery (ids, filters, pages) every Describe* shares. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/ids.h"
#include "base/jtags.h"
#include "ec2_int.h"
#include "svc/ram/ram.h"

#define TAG_FILTERS \
    {"tag-key", "Tags.Key"}, \
    { \
        "tag-value", "Tags.Value" \
    }

static const ec2_filter vpc_filters[] = {
    {"vpc-id", "VpcId"},
    {"cidr", "CidrBlock"},
    {"cidr-block-association.cidr-block", "CidrBlockAssociationSet.CidrBlock"},
    {"cidr-block-association.association-id", "CidrBlockAssociationSet.AssociationId"},
    {"dhcp-options-id", "DhcpOptionsId"},
    {"is-default", "IsDefault"},
    {"isDefault", "IsDefault"}, /* the older name, still answered */
    {"owner-id", "OwnerId"},
    {"state", "State"},
    TAG_FILTERS,
    {NULL, NULL},
};
static const ec2_filter subnet_filters[] = {
    {"subnet-id", "SubnetId"},
    {"subnet-arn", "SubnetArn"},
    {"vpc-id", "VpcId"},
    {"cidr-block", "CidrBlock"},
    {"cidr", "CidrBlock"},
    {"cidrBlock", "CidrBlock"},
    {"availability-zone", "AvailabilityZone"},
    {"availabilityZone", "AvailabilityZone"},
    {"availability-zone-id", "AvailabilityZoneId"},
    {"available-ip-address-count", "AvailableIpAddressCount"},
    {"default-for-az", "DefaultForAz"},
    {"defaultForAz", "DefaultForAz"},
    {"map-public-ip-on-launch", "MapPublicIpOnLaunch"},
    {"owner-id", "OwnerId"},
    {"state", "State"},
    TAG_FILTERS,
    {NULL, NULL},
};
static const ec2_filter sg_filters[] = {
    {"group-id", "GroupId"},
    {"group-name", "GroupName"},
    {"description", "Description"},
    {"vpc-id", "VpcId"},
    {"owner-id", "OwnerId"},
    {"ip-permission.cidr", "IpPermissions.IpRanges.CidrIp"},
    {"ip-permission.from-port", "IpPermissions.FromPort"},
    {"ip-permission.to-port", "IpPermissions.ToPort"},
    {"ip-permission.protocol", "IpPermissions.IpProtocol"},
    {"ip-permission.group-id", "IpPermissions.UserIdGroupPairs.GroupId"},
    {"egress.ip-permission.cidr", "IpPermissionsEgress.IpRanges.CidrIp"},
    {"egress.ip-permission.protocol", "IpPermissionsEgress.IpProtocol"},
    TAG_FILTERS,
    {NULL, NULL},
};
static const ec2_filter rtb_filters[] = {
    {"route-table-id", "RouteTableId"},
    {"vpc-id", "VpcId"},
    {"owner-id", "OwnerId"},
    {"association.main", "Associations.Main"},
    {"association.subnet-id", "Associations.SubnetId"},
    {"association.route-table-association-id", "Associations.RouteTableAssociationId"},
    {"association.gateway-id", "Associations.GatewayId"},
    {"route.destination-cidr-block", "Routes.DestinationCidrBlock"},
    {"route.gateway-id", "Routes.GatewayId"},
    {"route.nat-gateway-id", "Routes.NatGatewayId"},
    {"route.state", "Routes.State"},
    TAG_FILTERS,
    {NULL, NULL},
};
static const ec2_filter igw_filters[] = {
    {"internet-gateway-id", "InternetGatewayId"},
    {"attachment.vpc-id", "Attachments.VpcId"},
    {"attachment.state", "Attachments.State"},
    {"owner-id", "OwnerId"},
    TAG_FILTERS,
    {NULL, NULL},
};
static const ec2_filter nat_filters[] = {
    {"nat-gateway-id", "NatGatewayId"},
    {"subnet-id", "SubnetId"},
    {"vpc-id", "VpcId"},
    {"state", "State"},
    TAG_FILTERS,
    {NULL, NULL},
};
static const ec2_filter eip_filters[] = {
    {"allocation-id", "AllocationId"},
    {"public-ip", "PublicIp"},
    {"domain", "Domain"},
    {"association-id", "AssociationId"},
    {"network-border-group", "NetworkBorderGroup"},
    TAG_FILTERS,
    {NULL, NULL},
};
static const ec2_filter vpce_filters[] = {
    {"vpc-endpoint-id", "VpcEndpointId"},
    {"vpc-id", "VpcId"},
    {"service-name", "ServiceName"},
    {"vpc-endpoint-state", "State"},
    {"vpc-endpoint-type", "VpcEndpointType"},
    TAG_FILTERS,
    {NULL, NULL},
};

const ec2_type ec2_vpc = {"ec2-vpc", "vpc", "VpcId",    "vpc", "InvalidVpcID.NotFound",
                          "vpc ID",  "vpc", vpc_filters};
const ec2_type ec2_subnet = {
    "ec2-subnet", "subnet", "SubnetId",    "subnet", "InvalidSubnetID.NotFound",
    "subnet ID",  "subnet", subnet_filters};
const ec2_type ec2_sg = {"ec2-sg",
                         "sg",
                         "GroupId",
                         "security-group",
                         "InvalidGroup.NotFound",
                         "security group",
                         "security-group",
                         sg_filters};
const ec2_type ec2_rtb = {
    "ec2-rtb",       "rtb",         "RouteTableId", "route-table", "InvalidRouteTableID.NotFound",
    "routeTable ID", "route-table", rtb_filters};
const ec2_type ec2_igw = {"ec2-igw",
                          "igw",
                          "InternetGatewayId",
                          "internet-gateway",
                          "InvalidInternetGatewayID.NotFound",
                          "internetGateway ID",
                          "internet-gateway",
                          igw_filters};
const ec2_type ec2_nat = {
    "ec2-nat",     "nat",        "NatGatewayId", "natgateway", "NatGatewayNotFound",
    "Nat Gateway", "natgateway", nat_filters};
const ec2_type ec2_eip = {
    "ec2-eip",       "eipalloc",   "AllocationId", "elastic-ip", "InvalidAllocationID.NotFound",
    "allocation ID", "elastic-ip", eip_filters};
const ec2_type ec2_vpce = {"ec2-vpce",
                           "vpce",
                           "VpcEndpointId",
                           "vpc-endpoint",
                           "InvalidVpcEndpointId.NotFound",
                           "Vpc Endpoint Id",
                           "vpc-endpoint",
                           vpce_filters};
const ec2_type *const ec2_types[] = {&ec2_vpc, &ec2_subnet, &ec2_sg,   &ec2_rtb, &ec2_igw,
                                     &ec2_nat, &ec2_eip,    &ec2_vpce, NULL};

const char *ec2_new_id(call *c, const char *prefix)
{
    char hex[18];
    ids_hex(hex, 17);
    return arena_printf(c->a, "%s-%s", prefix, hex);
}

const char *ec2_arn(call *c, const ec2_type *ty, const char *account, const char *id)
{
    return arena_printf(c->a, "arn:%s:ec2:%s:%s:%s/%s", arn_partition(c->region), c->region,
                        account ? account : c->account, ty->arn_type, id);
}

int ec2_authz(call *c, const char *action, const ec2_type *ty, const char *id)
{
    const char *arn = id ? ec2_arn(c, ty, NULL, id) : "*";
    if (!arn || !action) return ferr_oom(c->err);
    /* AWS: EC2 words a refusal UnauthorizedOperation, with an encoded authorization failure
     * message */
    return call_authorize_ex(
        c, &(authz_req){.action = action,
                        .resource = arn,
                        .denied_code = "UnauthorizedOperation",
                        .denied_prefix = "You are not authorized to perform this operation. ",
                        .encoded = 1});
}

static int not_found(call *c, const ec2_type *ty, const char *id)
{
    if (ty == &ec2_nat)
        return ferr_set(c->err, 400, ty->notfound, "The Nat Gateway %.64s was not found", id);
    return ferr_set(c->err, 400, ty->notfound, "The %s '%.64s' does not exist", ty->noun, id);
}

int ec2_find(call *c, const ec2_type *ty, const char *account, const char *id, json_t **doc)
{
    store_key k = {ty->kind, account ? account : c->account, c->region, id};
    json_t *d = NULL;
    int rc = store_get(c->txn, &k, &d, c->err);
    if (rc == 1 && !arena_defer_json(c->a, d)) return ferr_oom(c->err);
    *doc = rc == 1 ? d : NULL;
    return rc;
}

int ec2_get(call *c, const ec2_type *ty, const char *id, json_t **doc)
{
    int rc = ec2_find(c, ty, NULL, id, doc);
    return rc == 1 ? 0 : rc == 0 ? not_found(c, ty, id) : -1;
}

int ec2_put(call *c, const ec2_type *ty, const json_t *doc)
{
    store_key k = call_key(c, ty->kind, jstr(doc, ty->id_key));
    call_resource(c, ty->tag_type, k.id);
    return store_put(c->txn, &k, doc, c->err);
}

int ec2_del(call *c, const ec2_type *ty, const char *id)
{
    store_key k = call_key(c, ty->kind, id);
    call_resource(c, ty->tag_type, id);
    return store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
}

typedef struct collect {
    json_t *all;
    const char *vpc_id;
    int oom;
} collect;

static int collect_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    collect *cl = ud;
    if (cl->vpc_id && strcmp(jstr(doc, "VpcId") ? jstr(doc, "VpcId") : "", cl->vpc_id)) return 0;
    if (json_array_append(cl->all, doc)) cl->oom = 1;
    return 0;
}

json_t *ec2_all(call *c, const ec2_type *ty, const char *vpc_id)
{
    collect cl = {arena_defer_json(c->a, json_array()), vpc_id, 0};
    if (!cl.all) {
        ferr_oom(c->err);
        return NULL;
    }
    if (store_list(c->txn, ty->kind, c->account, c->region, NULL, NULL, 0, collect_cb, &cl,
                   c->err) < 0)
        return NULL;
    if (cl.oom) {
        ferr_oom(c->err);
        return NULL;
    }
    return cl.all;
}

/* ---- filters ---- */

/* Each value at path in v (arrays walked) as text, tested against pattern. */
static int path_match(const json_t *v, const char *path, const char *pattern)
{
    if (json_is_array(v)) {
        size_t i;
        const json_t *x;
        json_array_foreach(v, i, x)
            if (path_match(x, path, pattern)) return 1;
        return 0;
    }
    if (*path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        char key[64];
        if (n >= sizeof(key) || !json_is_object(v)) return 0;
        memcpy(key, path, n);
        key[n] = 0;
        return path_match(json_object_get(v, key), dot ? dot + 1 : "", pattern);
    }
    char num[32];
    const char *s =
        json_is_string(v)  ? json_string_value(v)
        : json_is_true(v)  ? "true"
        : json_is_false(v) ? "false"
        : json_is_integer(v)
            ? (snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v)), num)
            : NULL;
    return s && !fnmatch(pattern, s, 0);
}

static const char *filter_path(const ec2_type *ty, const char *name)
{
    for (const ec2_filter *f = ty->filters; f->name; f++)
        if (!strcmp(f->name, name)) return f->path;
    return NULL;
}

/* 1 when doc passes every filter (values of one filter: any; AWS's * and ? wildcards). */
int ec2_passes(const ec2_type *ty, const json_t *doc, const json_t *filters)
{
    size_t i, j;
    const json_t *f, *val;
    json_array_foreach(filters, i, f) {
        const char *name = jstr(f, "Name");
        int any = 0;
        json_array_foreach(json_object_get(f, "Values"), j, val) {
            const char *want = json_string_value(val);
            if (!want) continue;
            if (!strncmp(name, "tag:", 4)) {
                size_t k;
                const json_t *t;
                json_array_foreach(json_object_get(doc, "Tags"), k, t) {
                    const char *tk = jstr(t, "Key"), *tv = jstr(t, "Value");
                    if (tk && !strcmp(tk, name + 4) && !fnmatch(want, tv ? tv : "", 0)) any = 1;
                }
            } else if (path_match(doc, filter_path(ty, name), want)) {
                any = 1;
            }
            if (any) break;
        }
        if (!any) return 0;
    }
    return 1;
}

int ec2_filters_ok(call *c, const ec2_type *ty, const json_t *filters)
{
    size_t i;
    const json_t *f;
    json_array_foreach(filters, i, f) {
        const char *name = jstr(f, "Name");
        if (!name)
            return ferr_set(c->err, 400, "InvalidParameterValue", "The filter 'null' is invalid");
        if (strncmp(name, "tag:", 4) && !filter_path(ty, name))
            return ferr_set(c->err, 400, "InvalidParameterValue", "The filter '%.128s' is invalid",
                            name);
    }
    return 0;
}

static const json_t *by_id(const json_t *docs, const char *key, const char *id)
{
    size_t i;
    const json_t *d;
    json_array_foreach(docs, i, d) {
        const char *x = jstr(d, key);
        if (x && !strcmp(x, id)) return d;
    }
    return NULL;
}

int ec2_describe(call *c, const ec2_type *ty, const json_t *in, const char *ids_key,
                 const json_t *extra, const char *out_key, json_t **out)
{
    const json_t *filters = json_object_get(in, "Filters");
    if (ec2_filters_ok(c, ty, filters)) return -1;
    json_t *mine = ec2_all(c, ty, NULL);
    if (!mine) return -1;
    size_t i;
    const json_t *d;
    json_array_foreach(extra, i, d)
        if (!by_id(mine, ty->id_key, jstr(d, ty->id_key)) && json_array_append(mine, (json_t *)d))
            return ferr_oom(c->err);
    json_t *all = arena_defer_json(c->a, json_array());
    if (!all) return ferr_oom(c->err);
    const json_t *ids = ids_key ? json_object_get(in, ids_key) : NULL;
    if (json_array_size(ids)) {
        const json_t *id;
        json_array_foreach(ids, i, id) {
            const json_t *x = by_id(mine, ty->id_key, json_string_value(id));
            if (!x) return not_found(c, ty, json_string_value(id));
            if (!by_id(all, ty->id_key, json_string_value(id)) && ec2_passes(ty, x, filters) &&
                json_array_append(all, (json_t *)x))
                return ferr_oom(c->err);
        }
    } else {
        json_array_foreach(mine, i, d) {
            if (ec2_passes(ty, d, filters) && json_array_append(all, (json_t *)d))
                return ferr_oom(c->err);
        }
    }
    long long max = jint(in, "MaxResults", 0);
    json_t *o = svc_out(c, json_object());
    if (!o) return -1;
    *out = o;
    return svc_page(c, all, jstr(in, "NextToken"), max, o, out_key, "NextToken",
                    "InvalidNextToken");
}

/* ---- documents, tags ---- */

json_t *ec2_new_doc(call *c, const ec2_type *ty, const char *id, const json_t *in,
                    const char *tag_type)
{
    json_t *d = arena_defer_json(
        c->a, json_pack("{s:s, s:s, s:[]}", ty->id_key, id, "OwnerId", c->account, "Tags"));
    if (!d) {
        ferr_oom(c->err);
        return NULL;
    }
    size_t i;
    const json_t *spec;
    json_array_foreach(json_object_get(in, "TagSpecifications"), i, spec) {
        const char *rt = jstr(spec, "ResourceType");
        if (rt && strcmp(rt, tag_type ? tag_type : ty->tag_type)) continue;
        if (jtags_merge(d, json_object_get(spec, "Tags"))) {
            ferr_oom(c->err);
            return NULL;
        }
    }
    return d;
}

int ec2_ok(call *c, json_t **out)
{
    *out = svc_out(c, json_pack("{s:b}", "Return", 1));
    return 0;
}

/* ---- CIDR blocks ---- */

int ec2_cidr(const char *s, uint32_t *net, int *len)
{
    unsigned a, b, cc, d, l;
    char tail;
    if (!s || sscanf(s, "%3u.%3u.%3u.%3u/%2u%c", &a, &b, &cc, &d, &l, &tail) != 5 || a > 255 ||
        b > 255 || cc > 255 || d > 255 || l > 32)
        return -1;
    uint32_t v = (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)cc << 8 | d;
    uint32_t mask = l ? 0xffffffffu << (32 - l) : 0;
    if (v & ~mask) return -1;
    *net = v;
    *len = (int)l;
    return 0;
}

int ec2_cidr_overlap(uint32_t a, int alen, uint32_t b, int blen)
{
    int l = alen < blen ? alen : blen;
    uint32_t mask = l ? 0xffffffffu << (32 - l) : 0;
    return (a & mask) == (b & mask);
}

int ec2_bad_cidr(call *c, const char *param, const char *cidr)
{
    return ferr_set(c->err, 400, "InvalidParameterValue",
                    "Value (%.64s) for parameter %s is invalid. This is not a valid CIDR block.",
                    cidr ? cidr : "", param);
}

/* ---- shared subnets ---- */

typedef struct shared {
    call *c;
    json_t *docs;
} shared;

/* arn:aws:ec2:REGION:OWNER:subnet/ID of this region: the owner's document. */
static int shared_one(void *ud, const char *arn)
{
    shared *s = ud;
    char region[64], owner[13], id[EC2_ID_MAX];
    const char *rest = arn_rest(arn, "ec2");
    if (!rest || sscanf(rest, "%63[^:]:%12[0-9]:subnet/%31s", region, owner, id) != 3 ||
        strcmp(region, s->c->region))
        return 0;
    json_t *d;
    int rc = ec2_find(s->c, &ec2_subnet, owner, id, &d);
    if (rc < 0) return -1;
    if (rc == 1 && json_array_append(s->docs, d)) return ferr_oom(s->c->err);
    return 0;
}

json_t *ec2_shared_subnets(call *c)
{
    shared s = {c, arena_defer_json(c->a, json_array())};
    if (!s.docs) {
        ferr_oom(c->err);
        return NULL;
    }
    return ram_each_shared(c->txn, c->account, "ec2:Subnet", shared_one, &s, c->err) ? NULL
                                                                                     : s.docs;
}
