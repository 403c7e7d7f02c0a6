/* AWS STS: who am I (GetCallerIdentity), role sessions (AssumeRole, with role chaining,
 * session policies, session tags and source identity), session tokens for users and the
 * root (GetSessionToken), and whose key is this (GetAccessKeyInfo). GetSessionToken and
 * AssumeRole take an MFA device's code (SerialNumber, TokenCode): the session records it.
 *
 * AssumeRole's semantics (trust, chaining, tags, durations, the session) are the one
 * role-assumption path of svc/session.h; this file checks the request as STS words it.
 *
 * Departure from AWS, on purpose: AWS refuses AssumeRole signed by an account's root user
 * ("Roles may not be assumed by root accounts."). ferry's accounts are reached through their
 * root keys (ferry init), so the root may assume roles that trust it, and the
 * <member>-admin profiles work from the management profile. */
#include <stdio.h>
#include <string.h>

#include "auth/keys.h"
#include "base/checked.h"
#include "base/clock.h"
#include "iam/policy.h"
#include "svc/authzmsg.h"
#include "svc/session.h"
#include "svc/svc.h"
#include "sts_int.h"

#define DEFAULT_ROLE_SESSION 3600
#define USER_TOKEN_DEFAULT   43200
#define ROOT_TOKEN_MAX       3600
#define MAX_POLICY_ARNS      10

/* ---- validation: the model's constraints (lengths, patterns, ranges, list sizes) are
 * checked before the handler runs (proto/validate.c); what is left is what the model
 * cannot say, worded as AWS words it ---- */

/* DurationSeconds, its range checked by the model, or dflt. */
long long sts_duration(const json_t *in, long long dflt)
{
    json_t *v = json_object_get(in, "DurationSeconds");
    return v ? json_integer_value(v) : dflt;
}

static int check_tags(call *c, const json_t *tags)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        const char *k = jstr(t, "Key"); /* required by the model */
        for (size_t j = 0; k && j < i; j++)
            if (!strcasecmp(jstr(json_array_get(tags, j), "Key"), k))
                return ferr_set(c->err, 400, "InvalidParameterValue",
                                "Duplicate tag keys found. Please note that Tag keys are case "
                                "insensitive.");
    }
    return 0;
}

int sts_check_policies(call *c, const json_t *in)
{
    const char *policy = jstr(in, "Policy");
    json_t *arns = json_object_get(in, "PolicyArns");
    if (json_array_size(arns) > MAX_POLICY_ARNS)
        return ferr_validation(c->err,
                               "1 validation error detected: Value at 'policyArns' failed to "
                               "satisfy constraint: Member must have length less than or equal "
                               "to %d",
                               MAX_POLICY_ARNS);
    size_t i;
    json_t *v;
    json_array_foreach(arns, i, v) {
        if (!jstr(v, "arn")) /* the model bounds an arn given, not a missing one */
            return ferr_validation(c->err,
                                   "1 validation error detected: Value '' at "
                                   "'policyArns.%zu.member.arn' failed to satisfy constraint: "
                                   "Member must have length greater than or equal to 20",
                                   i + 1);
    }
    if (policy) {
        ferr pe = {0};
        iam_policy *p = iam_policy_parse(policy, strlen(policy), IAM_KIND_SESSION, &pe);
        if (!p && pe.status >= 500) {
            *c->err = pe; /* out of memory */
            return -1;
        }
        if (!p) return ferr_set(c->err, 400, "MalformedPolicyDocument", "%s", pe.message);
        iam_policy_free(p);
    }
    return 0;
}

/* ---- results ---- */

json_t *sts_credentials(const key_info *k, double expires)
{
    return json_pack("{s:s, s:s, s:s, s:I}", "AccessKeyId", k->akid, "SecretAccessKey", k->secret,
                     "SessionToken", k->session_token, "Expiration", (json_int_t)expires);
}

/* ---- AssumeRole: the request checked as STS words it, the session minted by the one
 * path every role assumption takes (svc/session.h) ---- */

int sts_op_assume_role(call *c, json_t *in, json_t **out)
{
    const char *role_arn = jstr(in, "RoleArn"), *session_name = jstr(in, "RoleSessionName");
    const char *policy = jstr(in, "Policy"), *source = jstr(in, "SourceIdentity");
    json_t *arns = json_object_get(in, "PolicyArns");
    json_t *req_tags = json_object_get(in, "Tags");
    json_t *req_transitive = json_object_get(in, "TransitiveTagKeys");
    long long duration = sts_duration(in, DEFAULT_ROLE_SESSION);
    if (check_tags(c, req_tags)) return -1;
    if (sts_check_policies(c, in)) return -1;
    session_req r = {.role_arn = role_arn,
                     .session_name = session_name,
                     .duration = duration,
                     .policy = policy,
                     .policy_arns = arns,
                     .tags = req_tags,
                     .transitive = req_transitive,
                     .source_identity = source,
                     .external_id = jstr(in, "ExternalId"),
                     .mfa_serial = jstr(in, "SerialNumber"),
                     .mfa_code = jstr(in, "TokenCode")};
    session s;
    if (session_assume(c, &r, &s)) return -1;
    const principal *p = &s.key.who;
    *out = json_pack("{s:o, s:{s:s, s:s}}", "Credentials", sts_credentials(&s.key, s.expires),
                     "AssumedRoleUser", "AssumedRoleId", p->userid, "Arn", p->arn);
    if (!*out) return ferr_oom(c->err);
    if ((policy || json_array_size(arns) || json_array_size(req_tags)) &&
        json_object_set_new(*out, "PackedPolicySize", json_integer(s.packed_pct)))
        return ferr_oom(c->err);
    if (s.source_identity[0] &&
        json_object_set_new(*out, "SourceIdentity", json_string(s.source_identity)))
        return ferr_oom(c->err);
    return 0;
}

/* ---- GetSessionToken ---- */

int sts_op_get_session_token(call *c, json_t *in, json_t **out)
{
    /* AWS: no permission is needed; it is an authentication operation, for IAM users and
     * the root, never from session credentials. */
    const principal *w = c->who;
    if (w->temporary || w->kind == PRIN_ASSUMED_ROLE)
        return ferr_set(c->err, 403, "AccessDenied",
                        "Cannot call GetSessionToken with session credentials");
    if (w->kind != PRIN_USER && w->kind != PRIN_ROOT)
        return ferr_set(c->err, 403, "AccessDenied",
                        "User: %s is not authorized to perform: "
                        "sts:GetSessionToken",
                        w->arn);
    long long duration = sts_duration(in, USER_TOKEN_DEFAULT);
    /* AWS: sessions of the root are at most one hour; longer requests get one hour */
    if (w->kind == PRIN_ROOT && duration > ROOT_TOKEN_MAX) duration = ROOT_TOKEN_MAX;
    double expires = (double)(long long)clock_now() + (double)duration;
    /* With SerialNumber and TokenCode the session is MFA-authenticated: requests signed with
     * it carry aws:MultiFactorAuthPresent true and aws:MultiFactorAuthAge */
    principal p = *w;
    const char *serial = jstr(in, "SerialNumber"), *code = jstr(in, "TokenCode");
    if ((serial || code) && session_mfa(c, serial, code, &p.mfa_auth)) return -1;
    key_info k;
    if (keys_create_session(c->txn, &p, expires, &k, c->err)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "Credentials", sts_credentials(&k, expires)));
    return 0;
}

/* ---- DecodeAuthorizationMessage: the encoded message of a refusal (svc/authzmsg.h), for
 * the account of the principal refused ---- */

int sts_op_decode_authorization_message(call *c, json_t *in, json_t **out)
{
    const char *doc;
    if (call_authorize(c, "sts:DecodeAuthorizationMessage", "*") ||
        authzmsg_decode(c, c->who->account, jstr(in, "EncodedMessage"), &doc))
        return -1;
    *out = svc_out(c, json_pack("{s:s}", "DecodedMessage", doc));
    return 0;
}

/* ---- GetAccessKeyInfo, GetCallerIdentity ---- */

int sts_op_get_access_key_info(call *c, json_t *in, json_t **out)
{
    const char *id = jstr(in, "AccessKeyId");
    if (call_authorize(c, "sts:GetAccessKeyInfo", "*")) return -1;
    key_info k;
    int rc = keys_lookup(c->txn, id, &k, c->err);
    if (rc < 0) return -1;
    if (rc == 0)
        return ferr_set(c->err, 400, "InvalidParameterValue", "The access key ID %s is not valid.",
                        id);
    *out = svc_out(c, json_pack("{s:s}", "Account", k.who.account));
    return 0;
}

int sts_op_get_caller_identity(call *c, json_t *in, json_t **out)
{
    (void)in;
    /* AWS: no permission is needed to call GetCallerIdentity, and an explicit deny cannot
     * block it. */
    *out = svc_out(c, json_pack("{s:s, s:s, s:s}", "UserId", c->who->userid, "Account",
                                c->who->account, "Arn", c->who->arn));
    return *out ? 0 : ferr_oom(c->err);
}

const svc_def svc_sts = {.name = "sts", .event_source = "sts.amazonaws.com"};
