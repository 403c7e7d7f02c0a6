/* AWS IAM (query protocol, global: the region of the request does not matter). One
 * module per family of operations; the operation table is generated from the model. */
#include "auth/lastused.h"
#include "iam_int.h"

/* Every operation that changes IAM state also moves the account's generation, in its own
 * transaction, so the identities authorization memoized for it are gathered again
 * (identity.c). */
static int iam_before_commit(call *c)
{
    return iamsvc_bump(c, c->account);
}

const svc_def svc_iam = {.name = "iam",
                         .event_source = "iam.amazonaws.com",
                         .before_commit = iam_before_commit,
                         /* the store was emptied: noted uses would outlive their principals */
                         .reset = lastused_reset};
