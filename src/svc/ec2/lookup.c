/* Placeholder until EC2's records land: no VPC, subnet or security group exists yet. */
#include "svc/ec2/ec2.h"

int ec2_vpc_find(store_txn *t, const char *region, const char *vpc_id, char owner[13], ferr *e)
{
    (void)t, (void)region, (void)vpc_id, (void)owner, (void)e;
    return 0;
}

int ec2_subnet_find(store_txn *t, const char *region, const char *subnet_id, char owner[13],
                    char vpc_id[EC2_ID_MAX], ferr *e)
{
    (void)t, (void)region, (void)subnet_id, (void)owner, (void)vpc_id, (void)e;
    return 0;
}

int ec2_sg_find(store_txn *t, const char *region, const char *sg_id, char owner[13],
                char vpc_id[EC2_ID_MAX], ferr *e)
{
    (void)t, (void)region, (void)sg_id, (void)owner, (void)vpc_id, (void)e;
    return 0;
}

int ec2_vpc_each(store_txn *t, ec2_vpc_fn fn, void *ud, ferr *e)
{
    (void)t, (void)fn, (void)ud, (void)e;
    return 0;
}
