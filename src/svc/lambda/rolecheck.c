/* What Lambda checks of a function's execution role before it accepts a configuration that
 * makes the role act: the event source mappings' reads (esm.c), the dead-letter target's
 * send and the asynchronous destinations' send, publish or invoke (async.c). The role is evaluated as a session of it would be, against the target's own policy
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

/* What a role acting on a target calls, by the target's service. */
typedef struct target_kind {
    const char *svc, *action, *verb;    /* "sqs", "sqs:SendMessage", "SendMessage" */
    const char *read_op, *read_in, *at; /* the owner's read of its policy, by ARN */
} target_kind;

static const target_kind kinds[] = {
    {"sqs", "sqs:SendMessage", "SendMessage", "GetQueueAttributes", "QueueUrl", "Attributes"},
    {"sns", "sns:Publish", "Publish", "GetTopicAttributes", "TopicArn", "Attributes"},
    {"lambda", "lambda:InvokeFunction", "InvokeFunction", "GetPolicy", "FunctionName", NULL},
};

static const target_kind *kind_of(const char *arn)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (arn_rest(arn, kinds[i].svc)) return &kinds[i];
    return NULL;
}

/* The resource policy of a queue, topic or function (by ARN), read as its owner; NULL when
 * it has none or does not exist (then only the role's own policies can allow). -1 on a
 * server error. */
static int target_policy(call *c, const char *arn, const target_kind *k, const char **policy)
{
    *policy = NULL;
    /* REGION:ACCOUNT:NAME... */
    const char *rest = arn_rest(arn, k->svc), *colon = rest ? strchr(rest, ':') : NULL;
    if (!colon || strlen(colon + 1) < 13 || colon[13] != ':') return 0;
    char region[32], acct[13];
    snprintf(region, sizeof(region), "%.*s", (int)(colon - rest), rest);
    snprintf(acct, sizeof(acct), "%.12s", colon + 1);
    principal owner;
    keys_root_principal(acct, &owner);
    json_t *in = !strcmp(k->svc, "sqs")
                     ? json_pack("{s:s, s:[s]}", k->read_in, arn, "AttributeNames", "Policy")
                     : json_pack("{s:s}", k->read_in, arn),
           *out = NULL;
    if (!in) return ferr_oom(c->err);
    ferr e = {0};
    int rc =
        svc_invoke_in(c->txn, c->a, c->env, &owner, region, k->svc, k->read_op, in, &out, NULL, &e);
    json_decref(in);
    if (rc && e.status >= 500) {
        *c->err = e;
        return -1;
    }
    if (!rc && out && !arena_defer_json(c->a, out)) return ferr_oom(c->err);
    if (!rc) *policy = jstr(k->at ? json_object_get(out, k->at) : out, "Policy");
    return 0;
}

/* 1 when the role, as a session named session, may act on target (an SQS, SNS or Lambda
 * ARN) by its own policies and the target's; 0 when not; -1 on a server error. */
static int role_may(call *c, const char *role_arn, const char *session, const char *target,
                    const target_kind *k)
{
    principal p;
    const char *policy;
    if (lambda_role_principal(c, role_arn, session, &p) || target_policy(c, target, k, &policy))
        return -1;
    call as = *c;
    ferr denied = {0};
    as.who = &p;
    as.err = &denied;
    authz_req q = {.action = k->action, .resource = target, .resource_policy = policy};
    if (!call_authorize_ex(&as, &q)) return 1;
    if (as.oom || denied.status >= 500) return ferr_oom(c->err);
    return 0;
}

int lambda_role_may_send(call *c, const char *role_arn, const char *target)
{
    const target_kind *k = kind_of(target);
    if (!k || !strcmp(k->svc, "lambda")) return 0; /* the caller checked the kind */
    int rc = role_may(c, role_arn, "awslambda_dlq_check", target, k);
    if (rc) return rc < 0 ? -1 : 0;
    /* AWS's words (CreateFunction/UpdateFunctionConfiguration with a DeadLetterConfig) */
    return lambda_invalid(c, "The provided execution role does not have permissions to call %s",
                          !strcmp(k->svc, "sqs") ? "SendMessage on SQS" : "Publish on SNS");
}

int lambda_role_may_deliver(call *c, const char *role_arn, const char *target)
{
    const target_kind *k = kind_of(target);
    if (!k) return 0; /* the caller checked the kind */
    int rc = role_may(c, role_arn, "awslambda_destination_check", target, k);
    if (rc) return rc < 0 ? -1 : 0;
    /* AWS's words for an EventInvokeConfig destination (as the Terraform AWS provider
     * quotes them when it retries on IAM propagation) */
    return lambda_invalid(
        c, "The function's execution role does not have permissions to call %s on %s", k->verb,
        target);
}
