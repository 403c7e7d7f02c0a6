/* What Lambda checks of a function's execution role before it accepts a configuration that
 * makes the role act: the event source mappings' reads (esm.c) and the dead-letter target's
 * send. The role is evaluated as a session of it would be, against the target's own policy
 * (read as its owner: ferry's service reading its resource, not the caller). */
#include <stdio.h>
#include <string.h>

#include "auth/keys.h"
#include "base/arn.h"
#include "lambda_int.h"

int lambda_role_principal(call *c, const char *role_arn, const char *session, principal *p)
{
    char acct[13] = "", name[160] = "";
    const char *slash = role_arn ? strstr(role_arn, ":role/") : NULL;
    const char *last = role_arn ? strrchr(role_arn, '/') : NULL;
    if (!slash || slash - role_arn < 12 || !last) return lambda_invalid(c, "Invalid role.");
    snprintf(acct, sizeof(acct), "%.*s", 12, slash - 12);
    snprintf(name, sizeof(name), "%s", last + 1);
    memset(p, 0, sizeof(*p));
    p->kind = PRIN_ASSUMED_ROLE;
    snprintf(p->account, sizeof(p->account), "%s", acct);
    snprintf(p->role_arn, sizeof(p->role_arn), "%s", role_arn);
    snprintf(p->name, sizeof(p->name), "%s", name);
    snprintf(p->session, sizeof(p->session), "%s", session);
    snprintf(p->arn, sizeof(p->arn), "arn:%s:sts::%s:assumed-role/%s/%s", arn_partition(c->region),
             acct, name, p->session);
    snprintf(p->service, sizeof(p->service), "lambda.amazonaws.com");
    return 0;
}

/* The resource policy of an SQS queue or SNS topic (by ARN), read as its owner; NULL when
 * it has none or does not exist (then only the role's own policies can allow). -1 on a
 * server error. */
static int target_policy(call *c, const char *arn, int sqs, const char **policy)
{
    *policy = NULL;
    /* REGION:ACCOUNT:NAME */
    const char *rest = arn_rest(arn, sqs ? "sqs" : "sns"), *colon = rest ? strchr(rest, ':') : NULL;
    if (!colon || strlen(colon + 1) < 13 || colon[13] != ':') return 0;
    char region[32], acct[13];
    snprintf(region, sizeof(region), "%.*s", (int)(colon - rest), rest);
    snprintf(acct, sizeof(acct), "%.12s", colon + 1);
    principal owner;
    keys_root_principal(acct, &owner);
    json_t *in = sqs ? json_pack("{s:s, s:[s]}", "QueueUrl", arn, "AttributeNames", "Policy")
                     : json_pack("{s:s}", "TopicArn", arn),
           *out = NULL;
    if (!in) return ferr_oom(c->err);
    ferr e = {0};
    int rc = svc_invoke_in(c->txn, c->a, c->env, &owner, region, sqs ? "sqs" : "sns",
                           sqs ? "GetQueueAttributes" : "GetTopicAttributes", in, &out, NULL, &e);
    json_decref(in);
    if (rc && e.status >= 500) {
        *c->err = e;
        return -1;
    }
    if (!rc && out && !arena_defer_json(c->a, out)) return ferr_oom(c->err);
    if (!rc) *policy = jstr(json_object_get(out, "Attributes"), "Policy");
    return 0;
}

int lambda_role_may_send(call *c, const char *role_arn, const char *target)
{
    int sqs = arn_rest(target, "sqs") != NULL;
    principal p;
    const char *policy;
    if (lambda_role_principal(c, role_arn, "awslambda_dlq_check", &p) ||
        target_policy(c, target, sqs, &policy))
        return -1;
    call as = *c;
    ferr denied = {0};
    as.who = &p;
    as.err = &denied;
    authz_req q = {.action = sqs ? "sqs:SendMessage" : "sns:Publish",
                   .resource = target,
                   .resource_policy = policy};
    if (!call_authorize_ex(&as, &q)) return 0;
    if (as.oom || denied.status >= 500) return ferr_oom(c->err);
    /* AWS's words (CreateFunction/UpdateFunctionConfiguration with a DeadLetterConfig) */
    return lambda_invalid(c, "The provided execution role does not have permissions to call %s",
                          sqs ? "SendMessage on SQS" : "Publish on SNS");
}
