/* EC2 networking as records, for the rest of ferry: Route 53 associates private zones with
 * VPCs, the DNS server gives each VPC a resolver, RAM shares subnets, ELB, App Mesh and ECS
 * name subnets and security groups. Every lookup is by region and id across all accounts
 * (ids are unique), the owner account comes back so the caller can apply AWS's rules. */
#ifndef FERRY_SVC_EC2_H
#define FERRY_SVC_EC2_H
#include "base/err.h"
#include "store/store.h"

#define EC2_ID_MAX 32 /* "vpc-" / "subnet-" / "sg-" + 17 hex digits, with room */

/* 1 when the VPC exists in region (its owner in owner, may be NULL), 0 when not, -1 error. */
int ec2_vpc_find(store_txn *t, const char *region, const char *vpc_id, char owner[13], ferr *e);
/* 1 when the subnet exists in region (owner and VPC out, each may be NULL), 0, -1. */
int ec2_subnet_find(store_txn *t, const char *region, const char *subnet_id, char owner[13],
                    char vpc_id[EC2_ID_MAX], ferr *e);
/* 1 when account may place things in the subnet (ELB, ECS tasks): its own, or one its owner
 * shares with it through RAM (AWS: participants use a shared subnet); its VPC in vpc_id (may
 * be NULL). 0 when it does not exist or is not the account's to use, -1 error. */
int ec2_subnet_usable(store_txn *t, const char *region, const char *subnet_id, const char *account,
                      char vpc_id[EC2_ID_MAX], ferr *e);
/* 1 when the security group exists in region (owner and VPC out, may be NULL), 0, -1. */
int ec2_sg_find(store_txn *t, const char *region, const char *sg_id, char owner[13],
                char vpc_id[EC2_ID_MAX], ferr *e);
/* 1 when the security group exists and is account's (AWS: a participant in a shared VPC
 * attaches its own groups, not the owner's), its VPC in vpc_id (may be NULL); 0, -1. */
int ec2_sg_usable(store_txn *t, const char *region, const char *sg_id, const char *account,
                  char vpc_id[EC2_ID_MAX], ferr *e);
/* 1 when account may use the VPC (a target group's): its own, or one holding a subnet its
 * owner shares with account through RAM. 0 when not (or no such VPC), -1 error. */
int ec2_vpc_usable_by(store_txn *t, const char *region, const char *vpc_id, const char *account,
                      ferr *e);

/* The store kind of VPCs: its generation says when a VPC appeared or went. */
const char *ec2_vpc_kind(void);

/* Every VPC of every account and region (default VPCs included), in a stable order:
 * the DNS server gives each one its resolver. fn returns 0 to go on, -1 to stop (error). */
typedef int (*ec2_vpc_fn)(void *ud, const char *account, const char *region, const char *vpc_id,
                          const char *cidr);
int ec2_vpc_each(store_txn *t, ec2_vpc_fn fn, void *ud, ferr *e);

#endif
