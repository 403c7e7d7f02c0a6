/* What the EC2 folder's files share: one record per resource (VPC, subnet, ...), stored as
 * the API's own output shape (VpcId, CidrBlock, OwnerId, Tags...) under kind "ec2-<type>",
 * the caller's account and region, and the resource's id. Describe* answer the stored
 * documents (the encoder writes only model members, so internal "_" members stay inside). */
#ifndef FERRY_EC2_INT_H
#define FERRY_EC2_INT_H
#include <stdint.h>

#include "svc/ec2/ec2.h"
#include "svc/svc.h"

/* A Describe* filter: its name and the document path it reads ("Associations.SubnetId":
 * arrays on the way are walked, each value counts). */
typedef struct ec2_filter {
    const char *name, *path;
} ec2_filter;

typedef struct ec2_type {
    const char *kind;     /* store kind, "ec2-vpc" */
    const char *prefix;   /* id prefix, "vpc" */
    const char *id_key;   /* "VpcId" */
    const char *tag_type; /* DescribeTags' resource-type, "vpc" */
    const char *notfound; /* "InvalidVpcID.NotFound" */
    const char *noun;     /* "vpc ID": "The vpc ID 'vpc-1' does not exist" */
    const char *arn_type; /* ARN resource type, "vpc" */
    const ec2_filter *filters;
} ec2_type;

extern const ec2_type ec2_vpc, ec2_subnet, ec2_sg, ec2_rtb, ec2_igw, ec2_nat, ec2_eip, ec2_vpce;
extern const ec2_type *const ec2_types[]; /* NULL-terminated: every type, for DescribeTags */

/* Each account's default VPC in the call's region is made on its first EC2 call there
 * (a read call runs again as a write for it: call_want_write). 0, or -1 (c->err). */
int ec2_ready(call *c);

/* A new id "vpc-" + 17 hex digits, in the arena (NULL: out of memory). */
const char *ec2_new_id(call *c, const char *prefix);
/* arn:PARTITION:ec2:REGION:ACCOUNT:TYPE/ID in the arena (account NULL: the caller's). */
const char *ec2_arn(call *c, const ec2_type *ty, const char *account, const char *id);
/* Authorizes action ("ec2:CreateVpc") on the resource id of ty (id NULL: "*"); a refusal
 * is EC2's UnauthorizedOperation. */
int ec2_authz(call *c, const char *action, const ec2_type *ty, const char *id);

/* The caller's resource id: 0 and *doc (borrowed, the arena's; may be changed and put
 * back), or -1 with ty's NotFound error. */
int ec2_get(call *c, const ec2_type *ty, const char *id, json_t **doc);
/* The resource id of account (NULL: the caller's) in the call's region: 1 and *doc (the
 * arena's), 0 when absent, -1 error. */
int ec2_find(call *c, const ec2_type *ty, const char *account, const char *id, json_t **doc);
int ec2_put(call *c, const ec2_type *ty, const json_t *doc); /* by doc[ty->id_key] */
int ec2_del(call *c, const ec2_type *ty, const char *id);
/* Every resource of ty of the caller in the region, in id order; with vpc_id, only those
 * whose VpcId is it. A new array (the arena's), NULL with c->err on failure. */
json_t *ec2_all(call *c, const ec2_type *ty, const char *vpc_id);

/* A Describe*: the caller's resources of ty plus extra (documents of other accounts the
 * caller may see, or NULL), those named in in[ids_key] (each must exist: ty's NotFound),
 * kept by in.Filters, paged by MaxResults/NextToken into out_key. */
int ec2_describe(call *c, const ec2_type *ty, const json_t *in, const char *ids_key,
                 const json_t *extra, const char *out_key, json_t **out);

/* Filters: 0 when every name is one ty answers (else InvalidParameterValue "The filter
 * 'x' is invalid"); 1 when doc passes them all (values of a filter: any; * and ? match as
 * AWS's wildcards; tag:KEY, tag-key, tag-value on doc's Tags). */
int ec2_filters_ok(call *c, const ec2_type *ty, const json_t *filters);
int ec2_passes(const ec2_type *ty, const json_t *doc, const json_t *filters);

/* A new document {id_key: id, OwnerId, Tags: []} with the tags of in.TagSpecifications
 * for tag_type (NULL: ty's); arena. NULL with c->err. */
json_t *ec2_new_doc(call *c, const ec2_type *ty, const char *id, const json_t *in,
                    const char *tag_type);

/* CIDR blocks: "10.0.0.0/16" into *net (host order) and *len; 0, or -1 when it is not
 * one (host bits set included). */
int ec2_cidr(const char *s, uint32_t *net, int *len);
int ec2_cidr_overlap(uint32_t a, int alen, uint32_t b, int blen);
/* The error for a CIDR that does not parse: InvalidParameterValue naming param. */
int ec2_bad_cidr(call *c, const char *param, const char *cidr);

/* A VPC's own parts, made with it: its main route table (local route) and default
 * security group. Ids are stored in the VPC's document (_MainRouteTableId,
 * _DefaultSecurityGroupId). 0 or -1. */
int ec2_vpc_parts(call *c, json_t *vpc);
/* {"Return": true}. */
int ec2_ok(call *c, json_t **out);

/* The subnets shared with the caller through RAM in the call's region (their owners'
 * documents, the arena's): a new array, NULL with c->err. */
json_t *ec2_shared_subnets(call *c);
/* The caller's VPC id, or a VPC shared with it through its subnets: 0 and *doc, or -1. */
int ec2_vpc_usable(call *c, const char *id, json_t **doc);

/* Makers shared by the operations and the default VPC (each stores what it makes and
 * returns its document, the arena's; NULL with c->err). in: the request, for its
 * TagSpecifications (may be NULL). */
json_t *ec2_vpc_make(call *c, const char *cidr, int is_default, const json_t *in);
json_t *ec2_subnet_make(call *c, const json_t *vpc, const char *cidr, const char *az,
                        int default_for_az, const json_t *in);
json_t *ec2_igw_make(call *c, const json_t *in);
json_t *ec2_sg_make(call *c, const char *vpc_id, const char *name, const char *desc,
                    const json_t *in);
json_t *ec2_sg_default(call *c, const char *vpc_id); /* "default", members let in */
int ec2_igw_attach(call *c, json_t *igw, const char *vpc_id);
/* Adds a route to rtb (stored): target_key "GatewayId", "NatGatewayId", ... */
int ec2_route_add(call *c, json_t *rtb, const char *dest, const char *target_key,
                  const char *target);

/* Availability zones: the region's three, "us-east-1a".."us-east-1c"; i from 0. NULL
 * past the last. Names and ids in the arena. */
const char *ec2_az_name(call *c, int i);
const char *ec2_az_id(call *c, const char *az_name); /* "use1-az1"; NULL: not a zone here */

#endif
