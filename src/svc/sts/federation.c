/* STS GetFederationToken: an IAM user hands out temporary credentials for a federated user
 * (arn:PARTITION:sts::ACCOUNT:federated-user/NAME) whose permissions are the intersection of
 * the user's and the session policies passed (Policy, PolicyArns); with none, AWS gives the
 * session no permissions. The session's key keeps the session policies as role sessions'
 * keys do, and authorization reads them for it (svc/iam/identity.c).
 *
 * Departure from AWS: GetCallerIdentity's UserId for the federated user is the IAM user's id
 * (AIDA...), not AWS's "ACCOUNT:NAME" (FederatedUserId in the answer is AWS's). */
#include <stdio.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "iam/policy.h"
#include "sts_int.h"

#define FEDERATION_DEFAULT 43200 /* AWS: 12 hours; the range 900..129600 is the model's */
#define PACKED_MAX         2048
/* AWS: without a session policy the federated user can do nothing */
#define NOTHING \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\"," \
    "\"Resource\":\"*\"}]}"

int sts_op_get_federation_token(call *c, json_t *in, json_t **out)
{
    const principal *w = c->who;
    const char *name = jstr(in, "Name"), *policy = jstr(in, "Policy");
    json_t *arns = json_object_get(in, "PolicyArns");
    const char *arn = arena_printf(c->a, "arn:%s:sts::%s:federated-user/%s",
                                   arn_partition(c->region), w->account, name);
    if (!arn) return ferr_oom(c->err);
    /* AWS: long-term credentials of an IAM user only (ferry refuses the root too: its
     * sessions are not limited by session policies) */
    if (w->temporary || w->kind == PRIN_ASSUMED_ROLE)
        return ferr_set(c->err, 403, "AccessDenied",
                        "Cannot call GetFederationToken with session credentials");
    if (w->kind != PRIN_USER)
        return ferr_set(c->err, 403, "AccessDenied",
                        "User: %s is not authorized to perform: sts:GetFederationToken", w->arn);
    if (call_authorize(c, "sts:GetFederationToken", arn) || sts_check_policies(c, in)) return -1;
    long long duration = sts_duration(in, FEDERATION_DEFAULT);

    size_t packed = policy ? iam_policy_size(policy, strlen(policy)) : 0, i;
    json_t *v, *list = json_array();
    json_t *extra = json_pack("{s:s, s:o}", "SessionPolicy",
                              policy || json_array_size(arns) ? (policy ? policy : "") : NOTHING,
                              "SessionPolicyArns", list);
    if (!extra || !arena_defer_json(c->a, extra)) return ferr_oom(c->err);
    json_array_foreach(arns, i, v) {
        if (json_array_append(list, json_object_get(v, "arn"))) return ferr_oom(c->err);
        packed += strlen(jstr(v, "arn"));
    }
    unsigned pct = (unsigned)((packed * 100 + PACKED_MAX - 1) / PACKED_MAX);
    if (pct > 100)
        return ferr_set(c->err, 400, "PackedPolicyTooLarge",
                        "Packed size of session policies and tags exceeds the limit by %u%%.",
                        pct - 100);

    principal p = *w;
    snprintf(p.arn, sizeof(p.arn), "%s", arn);
    p.akid[0] = 0;
    double expires = (double)(long long)clock_now() + (double)duration;
    key_info k;
    if (keys_create_session_ex(c->txn, &p, expires, extra, &k, c->err)) return -1;
    *out = svc_out(c, json_pack("{s:o, s:{s:s, s:s}}", "Credentials", sts_credentials(&k, expires),
                                "FederatedUser", "FederatedUserId",
                                arena_printf(c->a, "%s:%s", w->account, name), "Arn", arn));
    if (*out && (policy || json_array_size(arns)) &&
        json_object_set_new(*out, "PackedPolicySize", json_integer(pct)))
        c->oom = 1;
    return 0;
}
