/* VPCs: CreateVpc, DescribeVpcs, DeleteVpc, their DNS attributes, each account's default
 * VPC per region, and the lookups the rest of ferry uses (ec2.h). Records only: no packet
 * goes through any of this. */
#include <stdio.h>
#include <string.h>

#include "base/arn.h"
#include "ec2_int.h"
#include "svc/ram/ram.h"

/* AWS: a VPC's IPv4 block is a /16 to a /28. */
#define VPC_MIN_PREFIX 16
#define VPC_MAX_PREFIX 28

/* AWS: a DryRun request that would be allowed answers DryRunOperation (412), one that
 * would not UnauthorizedOperation; nothing else of it runs. */
static int dry_run(call *c, const json_t *in)
{
    if (!jbool(in, "DryRun", 0)) return 0;
    if (ec2_authz(c, arena_printf(c->a, "ec2:%s", c->op), NULL, NULL)) return -1;
    return ferr_set(c->err, 412, "DryRunOperation",
                    "Request would have succeeded, but DryRun flag is set.");
}

const svc_def svc_ec2 = {
    .name = "ec2", .event_source = "ec2.amazonaws.com", .condition_keys = dry_run};

json_t *ec2_vpc_make(call *c, const char *cidr, int is_default, const json_t *in)
{
    const char *id = ec2_new_id(c, "vpc"), *assoc = ec2_new_id(c, "vpc-cidr-assoc"),
               *dopt = ec2_new_id(c, "dopt"), *acl = ec2_new_id(c, "acl");
    json_t *d = id && assoc && dopt && acl ? ec2_new_doc(c, &ec2_vpc, id, in, NULL) : NULL;
    if (!d) {
        if (id && assoc && dopt && acl) return NULL;
        ferr_oom(c->err);
        return NULL;
    }
    json_t *set = json_pack("[{s:s, s:s, s:{s:s}}]", "AssociationId", assoc, "CidrBlock", cidr,
                            "CidrBlockState", "State", "associated");
    if (!set || json_object_set_new(d, "CidrBlockAssociationSet", set) ||
        jset_str(d, "CidrBlock", cidr) || jset_str(d, "State", "available") ||
        jset_str(d, "DhcpOptionsId", dopt) || jset_str(d, "InstanceTenancy", "default") ||
        json_object_set_new(d, "IsDefault", json_boolean(is_default)) ||
        json_object_set_new(d, "_EnableDnsSupport", json_true()) ||
        json_object_set_new(d, "_EnableDnsHostnames", json_boolean(is_default)) ||
        jset_str(d, "_DefaultNetworkAclId", acl)) {
        ferr_oom(c->err);
        return NULL;
    }
    if (ec2_vpc_parts(c, d) || ec2_put(c, &ec2_vpc, d)) return NULL;
    return d;
}

/* The default VPC: 172.31.0.0/16, a /20 default subnet in each zone, an internet gateway
 * attached and routed from the main route table, as AWS makes it for every account. */
static int make_default(call *c)
{
    json_t *vpc = ec2_vpc_make(c, "172.31.0.0/16", 1, NULL);
    if (!vpc) return -1;
    const char *az;
    for (int i = 0; (az = ec2_az_name(c, i)); i++) {
        char cidr[32];
        snprintf(cidr, sizeof(cidr), "172.31.%d.0/20", i * 16);
        if (!ec2_subnet_make(c, vpc, cidr, az, 1, NULL)) return -1;
    }
    json_t *igw = ec2_igw_make(c, NULL), *rtb;
    if (!igw || ec2_igw_attach(c, igw, jstr(vpc, "VpcId")) ||
        ec2_get(c, &ec2_rtb, jstr(vpc, "_MainRouteTableId"), &rtb))
        return -1;
    return ec2_route_add(c, rtb, "0.0.0.0/0", "GatewayId", jstr(igw, "InternetGatewayId"));
}

int ec2_ready(call *c)
{
    store_key k = call_key(c, "ec2-account", "defaults");
    json_t *d = NULL;
    int rc = store_get(c->txn, &k, &d, c->err);
    json_decref(d);
    if (rc) return rc < 0 ? -1 : 0;
    if (!store_txn_is_write(c->txn)) return call_want_write(c);
    json_t *mark = json_pack("{s:b}", "DefaultVpc", 1);
    rc = mark ? make_default(c) : ferr_oom(c->err);
    if (!rc) rc = store_put(c->txn, &k, mark, c->err);
    json_decref(mark);
    return rc;
}

int ec2_op_create_vpc(call *c, json_t *in, json_t **out)
{
    const char *cidr = jstr(in, "CidrBlock");
    uint32_t net;
    int len;
    if (ec2_ready(c)) return -1;
    if (!cidr)
        return ferr_set(c->err, 400, "MissingParameter",
                        "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.");
    if (ec2_cidr(cidr, &net, &len)) return ec2_bad_cidr(c, "cidrBlock", cidr);
    if (len < VPC_MIN_PREFIX || len > VPC_MAX_PREFIX)
        return ferr_set(c->err, 400, "InvalidVpc.Range", "The CIDR '%s' is invalid.", cidr);
    const char *tenancy = jstr(in, "InstanceTenancy");
    if (ec2_authz(c, "ec2:CreateVpc", &ec2_vpc, "*")) return -1;
    json_t *d = ec2_vpc_make(c, cidr, 0, in);
    if (!d) return -1;
    if (tenancy) {
        if (jset_str(d, "InstanceTenancy", tenancy)) return ferr_oom(c->err);
        if (ec2_put(c, &ec2_vpc, d)) return -1;
    }
    *out = svc_out(c, json_pack("{s:O}", "Vpc", d));
    return 0;
}

/* The VPCs of the subnets shared with the caller (their owner's documents). */
static json_t *shared_vpcs(call *c)
{
    json_t *subnets = ec2_shared_subnets(c), *vpcs = arena_defer_json(c->a, json_array());
    if (!subnets || !vpcs) {
        if (subnets) ferr_oom(c->err);
        return NULL;
    }
    size_t i;
    const json_t *s;
    json_array_foreach(subnets, i, s) {
        json_t *v;
        int rc = ec2_find(c, &ec2_vpc, jstr(s, "OwnerId"), jstr(s, "VpcId"), &v);
        if (rc < 0) return NULL;
        if (rc == 1 && json_array_append(vpcs, v)) {
            ferr_oom(c->err);
            return NULL;
        }
    }
    return vpcs;
}

/* A VPC the caller may place things in: its own, or one whose subnets are shared with it
 * (AWS lets a shared VPC's participants create their own security groups in it). */
int ec2_vpc_usable(call *c, const char *id, json_t **doc)
{
    int rc = ec2_find(c, &ec2_vpc, NULL, id, doc);
    if (rc) return rc == 1 ? 0 : -1;
    json_t *vpcs = shared_vpcs(c);
    if (!vpcs) return -1;
    size_t i;
    json_t *v;
    json_array_foreach(vpcs, i, v) {
        const char *vid = jstr(v, "VpcId");
        if (vid && !strcmp(vid, id)) {
            *doc = v;
            return 0;
        }
    }
    return ec2_get(c, &ec2_vpc, id, doc); /* its NotFound */
}

int ec2_op_describe_vpcs(call *c, json_t *in, json_t **out)
{
    if (ec2_ready(c) || ec2_authz(c, "ec2:DescribeVpcs", &ec2_vpc, NULL)) return -1;
    json_t *extra = shared_vpcs(c);
    return extra ? ec2_describe(c, &ec2_vpc, in, "VpcIds", extra, "Vpcs", out) : -1;
}

typedef struct others {
    const char *vpc, *owner;
    int hit;
} others;

static int others_cb(void *ud, const store_key *k, json_t *doc)
{
    others *o = ud;
    const char *v = jstr(doc, "VpcId");
    o->hit = strcmp(k->account, o->owner) && v && !strcmp(v, o->vpc);
    return o->hit;
}

/* What keeps a VPC from being deleted (AWS: DependencyViolation): anything in it but its
 * main route table and default security group, the security groups participants of its
 * shared subnets made in it included. */
static int vpc_busy(call *c, const json_t *vpc)
{
    const char *id = jstr(vpc, "VpcId");
    const ec2_type *inside[] = {&ec2_subnet, &ec2_sg, &ec2_rtb, &ec2_nat, &ec2_vpce};
    for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++) {
        json_t *all = ec2_all(c, inside[i], id);
        if (!all) return -1;
        size_t j;
        const json_t *d;
        json_array_foreach(all, j, d) {
            const char *did = jstr(d, inside[i]->id_key);
            if (!strcmp(did,
                        jstr(vpc, "_MainRouteTableId") ? jstr(vpc, "_MainRouteTableId") : "") ||
                !strcmp(did, jstr(vpc, "_DefaultSecurityGroupId")
                                 ? jstr(vpc, "_DefaultSecurityGroupId")
                                 : ""))
                continue;
            if (inside[i] == &ec2_nat && !strcmp(jstr(d, "State"), "deleted")) continue;
            return 1;
        }
    }
    others o = {id, c->account, 0};
    if (store_list(c->txn, ec2_sg.kind, NULL, c->region, NULL, NULL, 0, others_cb, &o, c->err) < 0)
        return -1;
    if (o.hit) return 1;
    json_t *igws = ec2_all(c, &ec2_igw, NULL);
    if (!igws) return -1;
    size_t j;
    const json_t *g;
    json_array_foreach(igws, j, g) {
        const char *at = jstr(json_array_get(json_object_get(g, "Attachments"), 0), "VpcId");
        if (at && !strcmp(at, id)) return 1;
    }
    return 0;
}

int ec2_op_delete_vpc(call *c, json_t *in, json_t **out)
{
    const char *id = jstr(in, "VpcId");
    json_t *vpc;
    if (ec2_ready(c) || ec2_get(c, &ec2_vpc, id, &vpc) ||
        ec2_authz(c, "ec2:DeleteVpc", &ec2_vpc, id))
        return -1;
    int busy = vpc_busy(c, vpc);
    if (busy < 0) return -1;
    if (busy)
        return ferr_set(c->err, 400, "DependencyViolation",
                        "The vpc '%s' has dependencies and cannot be deleted.", id);
    if (ec2_del(c, &ec2_rtb, jstr(vpc, "_MainRouteTableId")) ||
        ec2_del(c, &ec2_sg, jstr(vpc, "_DefaultSecurityGroupId")) || ec2_del(c, &ec2_vpc, id))
        return -1;
    (void)out;
    return 0;
}

int ec2_op_modify_vpc_attribute(call *c, json_t *in, json_t **out)
{
    const char *id = jstr(in, "VpcId");
    json_t *vpc;
    if (ec2_ready(c) || ec2_get(c, &ec2_vpc, id, &vpc) ||
        ec2_authz(c, "ec2:ModifyVpcAttribute", &ec2_vpc, id))
        return -1;
    const json_t *sup = json_object_get(json_object_get(in, "EnableDnsSupport"), "Value"),
                 *host = json_object_get(json_object_get(in, "EnableDnsHostnames"), "Value");
    if (!!sup == !!host)
        return ferr_set(c->err, 400, "InvalidParameterCombination",
                        "Exactly one attribute may be modified at a time.");
    if (sup ? json_object_set(vpc, "_EnableDnsSupport", (json_t *)sup)
            : json_object_set(vpc, "_EnableDnsHostnames", (json_t *)host))
        return ferr_oom(c->err);
    (void)out;
    return ec2_put(c, &ec2_vpc, vpc);
}

int ec2_op_describe_vpc_attribute(call *c, json_t *in, json_t **out)
{
    const char *id = jstr(in, "VpcId"), *attr = jstr(in, "Attribute");
    json_t *vpc;
    if (ec2_ready(c) || ec2_get(c, &ec2_vpc, id, &vpc) ||
        ec2_authz(c, "ec2:DescribeVpcAttribute", &ec2_vpc, id))
        return -1;
    int sup = !strcmp(attr, "enableDnsSupport");
    const char *key = sup                                   ? "EnableDnsSupport"
                      : !strcmp(attr, "enableDnsHostnames") ? "EnableDnsHostnames"
                                                            : NULL;
    if (!key)
        return ferr_set(c->err, 400, "InvalidParameterValue",
                        "Value (%.64s) for parameter attribute is invalid. Unknown attribute.",
                        attr);
    *out = svc_out(c, json_pack("{s:s, s:{s:b}}", "VpcId", id, key, "Value",
                                jbool(vpc, sup ? "_EnableDnsSupport" : "_EnableDnsHostnames", 0)));
    return 0;
}

/* ---- the lookups the rest of ferry uses (ec2.h): by region and id, any account ---- */

typedef struct found {
    const char *id;
    char *owner, *vpc_id;
    int hit;
} found;

static int found_cb(void *ud, const store_key *k, json_t *doc)
{
    found *f = ud;
    if (strcmp(k->id, f->id)) return 0;
    f->hit = 1;
    if (f->owner) snprintf(f->owner, 13, "%s", k->account);
    if (f->vpc_id)
        snprintf(f->vpc_id, EC2_ID_MAX, "%s", jstr(doc, "VpcId") ? jstr(doc, "VpcId") : "");
    return 1;
}

static int find_any(store_txn *t, const char *kind, const char *region, const char *id,
                    char owner[13], char vpc_id[EC2_ID_MAX], ferr *e)
{
    if (!region || !id || !*id) return 0;
    found f = {id, owner, vpc_id, 0};
    if (store_list(t, kind, NULL, region, id, NULL, 0, found_cb, &f, e) < 0) return -1;
    return f.hit;
}

const char *ec2_vpc_kind(void)
{
    return ec2_vpc.kind;
}

int ec2_vpc_find(store_txn *t, const char *region, const char *vpc_id, char owner[13], ferr *e)
{
    return find_any(t, ec2_vpc.kind, region, vpc_id, owner, NULL, e);
}

int ec2_subnet_find(store_txn *t, const char *region, const char *subnet_id, char owner[13],
                    char vpc_id[EC2_ID_MAX], ferr *e)
{
    return find_any(t, ec2_subnet.kind, region, subnet_id, owner, vpc_id, e);
}

int ec2_subnet_usable(store_txn *t, const char *region, const char *subnet_id, const char *account,
                      char vpc_id[EC2_ID_MAX], ferr *e)
{
    char owner[13] = "", arn[256];
    int rc = ec2_subnet_find(t, region, subnet_id, owner, vpc_id, e);
    if (rc <= 0 || !strcmp(owner, account)) return rc;
    snprintf(arn, sizeof(arn), "arn:%s:ec2:%s:%s:subnet/%s", arn_partition(region), region, owner,
             subnet_id);
    return ram_shared_with(t, arn, account, e);
}

int ec2_sg_find(store_txn *t, const char *region, const char *sg_id, char owner[13],
                char vpc_id[EC2_ID_MAX], ferr *e)
{
    return find_any(t, ec2_sg.kind, region, sg_id, owner, vpc_id, e);
}

int ec2_sg_usable(store_txn *t, const char *region, const char *sg_id, const char *account,
                  char vpc_id[EC2_ID_MAX], ferr *e)
{
    char owner[13] = "";
    int rc = ec2_sg_find(t, region, sg_id, owner, vpc_id, e);
    return rc <= 0 ? rc : !strcmp(owner, account);
}

typedef struct in_vpc {
    store_txn *t;
    const char *region, *vpc_id;
    ferr *e;
    int hit;
} in_vpc;

/* A subnet shared with the account (its ARN): does it lie in the VPC asked about? */
static int shared_in_vpc(void *ud, const char *arn)
{
    in_vpc *v = ud;
    char region[64], owner[13], id[EC2_ID_MAX], vpc[EC2_ID_MAX] = "";
    const char *rest = arn_rest(arn, "ec2");
    if (v->hit || !rest || sscanf(rest, "%63[^:]:%12[0-9]:subnet/%31s", region, owner, id) != 3 ||
        strcmp(region, v->region))
        return 0;
    if (ec2_subnet_find(v->t, region, id, NULL, vpc, v->e) < 0) return -1;
    v->hit = !strcmp(vpc, v->vpc_id);
    return 0;
}

int ec2_vpc_usable_by(store_txn *t, const char *region, const char *vpc_id, const char *account,
                      ferr *e)
{
    char owner[13] = "";
    int rc = ec2_vpc_find(t, region, vpc_id, owner, e);
    if (rc <= 0 || !strcmp(owner, account)) return rc;
    in_vpc v = {t, region, vpc_id, e, 0};
    if (ram_each_shared(t, account, "ec2:Subnet", shared_in_vpc, &v, e)) return -1;
    return v.hit;
}

typedef struct rows {
    json_t *all;
    int oom;
} rows;

static int each_cb(void *ud, const store_key *k, json_t *doc)
{
    rows *r = ud;
    json_t *row = json_pack("[s,s,s,s]", k->account, k->region, k->id,
                            jstr(doc, "CidrBlock") ? jstr(doc, "CidrBlock") : "");
    if (!row || json_array_append_new(r->all, row)) r->oom = 1;
    return r->oom;
}

int ec2_vpc_each(store_txn *t, ec2_vpc_fn fn, void *ud, ferr *e)
{
    /* gathered first: fn may use the store itself */
    rows r = {json_array(), 0};
    int rc = !r.all ? ferr_oom(e)
             : store_list(t, ec2_vpc.kind, NULL, NULL, NULL, NULL, 0, each_cb, &r, e) < 0 ? -1
             : r.oom ? ferr_oom(e)
                     : 0;
    size_t i;
    json_t *x;
    json_array_foreach(r.all, i, x) {
        if (rc) break;
        rc =
            fn(ud, json_string_value(json_array_get(x, 0)), json_string_value(json_array_get(x, 1)),
               json_string_value(json_array_get(x, 2)), json_string_value(json_array_get(x, 3)));
    }
    json_decref(r.all);
    return rc ? -1 : 0;
}
