/* AWS STS. GetCallerIdentity answers for every kind of principal; AssumeRole and the
 * session operations arrive with the identity work. */
#include "svc/svc.h"

static int op_get_caller_identity(call *c, json_t *in, json_t **out)
{
    (void)in;
    /* AWS: no permission is needed to call GetCallerIdentity, and an explicit deny cannot
     * block it. */
    *out = json_pack("{s:s, s:s, s:s}", "UserId", c->who->userid, "Account", c->who->account,
                     "Arn", c->who->arn);
    return *out ? 0 : ferr_oom(c->err);
}

static const svc_op ops[] = {
    {"GetCallerIdentity", op_get_caller_identity, SVC_READ},
};

const svc_def svc_sts = {"sts", "sts.amazonaws.com", ops, sizeof(ops) / sizeof(ops[0])};
