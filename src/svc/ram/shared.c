/* Placeholder until RAM lands: nothing is shared. */
#include "svc/ram/ram.h"

int ram_shared_with(store_txn *t, const char *resource_arn, const char *account, ferr *e)
{
    (void)t, (void)resource_arn, (void)account, (void)e;
    return 0;
}

int ram_each_shared(store_txn *t, const char *account, const char *resource_type, ram_arn_fn fn,
                    void *ud, ferr *e)
{
    (void)t, (void)account, (void)resource_type, (void)fn, (void)ud, (void)e;
    return 0;
}
