/* Resource sharing, for the services whose resources RAM shares: EC2 subnets (a shared
 * subnet is visible to and usable by the participant) and App Mesh meshes. A resource is
 * shared with an account when a share holding it is ACTIVE and associated with the account
 * (directly, or through its organization or OU, which auto-accepts) and, for an invitation,
 * the account accepted it. */
#ifndef FERRY_SVC_RAM_H
#define FERRY_SVC_RAM_H
#include "base/err.h"
#include "store/store.h"

/* 1 when resource_arn is shared with account, 0 when not, -1 error. */
int ram_shared_with(store_txn *t, const char *resource_arn, const char *account, ferr *e);

/* Every resource ARN of resource_type (RAM's type, "ec2:Subnet", "appmesh:Mesh") shared with
 * account, each once. fn returns 0 to go on, -1 to stop (error). */
typedef int (*ram_arn_fn)(void *ud, const char *resource_arn);
int ram_each_shared(store_txn *t, const char *account, const char *resource_type, ram_arn_fn fn,
                    void *ud, ferr *e);

#endif
