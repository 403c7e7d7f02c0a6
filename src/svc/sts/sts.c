/* AWS STS: who am I (GetCallerIdentity), role sessions (AssumeRole, with role chaining,
 * session policies, session tags and source identity), session tokens for users and the
 * root (GetSessionToken), and whose key is this (GetAccessKeyInfo).
 *
 * AssumeRole is authorized like any call on a resource that carries a policy: the role's
 * trust policy is the resource policy of sts:AssumeRole on the role ARN, so across accounts
 * both the caller's identity policies and the trust policy must allow, and in the role's
 * own account the trust policy must allow too: naming the caller is enough, naming the
 * account needs the caller's own allow. SCPs of the caller's account apply; the management
 * account is exempt.
 *
 * Departure from AWS, on purpose: AWS refuses AssumeRole signed by an account's root user
 * ("Roles may not be assumed by root accounts."). ferry's accounts are reached through their
 * root keys (ferry init), so the root may assume roles that trust it, and the
 * <member>-admin profiles work from the management profile. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "auth/keys.h"
#include "base/clock.h"
#include "iam/eval.h"
#include "iam/policy.h"
#include "svc/authz.h"
#include "svc/iam/iam.h"
#include "svc/svc.h"

#define DEFAULT_ROLE_SESSION 3600
#define MIN_SESSION 900
#define MAX_ROLE_SESSION 43200
#define CHAINED_MAX_SESSION 3600
#define USER_TOKEN_DEFAULT 43200
#define USER_TOKEN_MAX 129600
#define ROOT_TOKEN_MAX 3600
#define MAX_SESSION_TAGS 50
#define MAX_POLICY_ARNS 10
#define PACKED_MAX 2048 /* AWS: plaintext of inline and managed session policies */

/* ---- validation, worded as AWS's query services word it ---- */

static int too_short(call *c, const char *member, const char *v, size_t min)
{
    return ferr_validation(c->err,
                           "1 validation error detected: Value '%.256s' at '%s' failed to satisfy "
                           "constraint: Member must have length greater than or equal to %zu",
                           v, member, min);
}

static int too_long(call *c, const char *member, const char *v, size_t max)
{
    return ferr_validation(c->err,
                           "1 validation error detected: Value '%.256s' at '%s' failed to satisfy "
                           "constraint: Member must have length less than or equal to %zu",
                           v, member, max);
}

/* [\w+=,.@-]* plus the extra characters some members allow. */
static int check_chars(call *c, const char *member, const char *v, const char *extra,
                       const char *pattern)
{
    for (const char *p = v; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && !strchr("+=,.@-", *p) &&
            !(extra && strchr(extra, *p)))
            return ferr_validation(c->err,
                                   "1 validation error detected: Value '%.256s' at '%s' failed to "
                                   "satisfy constraint: Member must satisfy regular expression "
                                   "pattern: %s",
                                   v, member, pattern);
    return 0;
}

static int check_str(call *c, const char *member, const char *v, size_t min, size_t max,
                     const char *extra, const char *pattern)
{
    if (!v) return 0;
    size_t n = strlen(v);
    if (n < min) return too_short(c, member, v, min);
    if (n > max) return too_long(c, member, v, max);
    return pattern ? check_chars(c, member, v, extra, pattern) : 0;
}

static int check_duration(call *c, const json_t *in, long long max, long long *out,
                          long long dflt)
{
    json_t *v = json_object_get(in, "DurationSeconds");
    if (!v) {
        *out = dflt;
        return 0;
    }
    long long d = json_integer_value(v);
    if (d < MIN_SESSION)
        return ferr_validation(c->err,
                               "1 validation error detected: Value '%lld' at 'durationSeconds' "
                               "failed to satisfy constraint: Member must have value greater than "
                               "or equal to %d",
                               d, MIN_SESSION);
    if (d > max)
        return ferr_validation(c->err,
                               "1 validation error detected: Value '%lld' at 'durationSeconds' "
                               "failed to satisfy constraint: Member must have value less than or "
                               "equal to %lld",
                               d, max);
    *out = d;
    return 0;
}

/* AWS tag keys: [\p{L}\p{Z}\p{N}_.:/=+\-@]+ (non-ASCII letters pass). */
static int tag_chars_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!(*p >= 0x80 || isalnum(*p) || strchr(" _.:/=+-@", *p))) return 0;
    return 1;
}

static int check_tags(call *c, const json_t *tags, const json_t *transitive)
{
    if (json_array_size(tags) > MAX_SESSION_TAGS)
        return ferr_validation(c->err,
                               "1 validation error detected: Value at 'tags' failed to satisfy "
                               "constraint: Member must have length less than or equal to %d",
                               MAX_SESSION_TAGS);
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        const char *k = jstr(t, "Key"), *v = jstr(t, "Value");
        char member[48];
        snprintf(member, sizeof(member), "tags.%zu.member.key", i + 1);
        if (!k || !*k) return too_short(c, member, k ? k : "", 1);
        if (strlen(k) > 128) return too_long(c, member, k, 128);
        if (!tag_chars_ok(k))
            return ferr_validation(c->err,
                                   "1 validation error detected: Value '%.128s' at '%s' failed to "
                                   "satisfy constraint: Member must satisfy regular expression "
                                   "pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
                                   k, member);
        snprintf(member, sizeof(member), "tags.%zu.member.value", i + 1);
        if (v && strlen(v) > 256) return too_long(c, member, v, 256);
        for (size_t j = 0; j < i; j++)
            if (!strcasecmp(jstr(json_array_get(tags, j), "Key"), k))
                return ferr_set(c->err, 400, "InvalidParameterValue",
                                "Duplicate tag keys found. Please note that Tag keys are case "
                                "insensitive.");
    }
    if (json_array_size(transitive) > MAX_SESSION_TAGS)
        return ferr_validation(c->err,
                               "1 validation error detected: Value at 'transitiveTagKeys' failed "
                               "to satisfy constraint: Member must have length less than or "
                               "equal to %d",
                               MAX_SESSION_TAGS);
    return 0;
}

/* ---- results ---- */

static json_t *credentials(const key_info *k, double expires)
{
    return json_pack("{s:s, s:s, s:s, s:I}", "AccessKeyId", k->akid, "SecretAccessKey", k->secret,
                     "SessionToken", k->session_token, "Expiration", (json_int_t)expires);
}

/* The session document of the caller's own key, when it signed with one (NULL otherwise). */
static json_t *caller_session(call *c)
{
    if (!c->who->temporary || !c->who->akid[0]) return NULL;
    json_t *doc = NULL;
    store_key k = {"accesskey", "", "", c->who->akid};
    if (store_get(c->txn, &k, &doc, c->err) <= 0) return NULL;
    return doc;
}

/* ---- AssumeRole ---- */

/* AWS words a refused AssumeRole without saying which policy decided, and the same way
 * whether the role exists or not. */
static int assume_denied(call *c, const char *action, const char *role_arn)
{
    return ferr_set(c->err, 403, "AccessDenied",
                    "User: %s is not authorized to perform: %s on resource: %s", c->who->arn,
                    action, role_arn);
}

/* Tags carried over from a chained session: those its TransitiveTagKeys name. */
static void transitive_tags(const json_t *session, json_t *tags, json_t *keys)
{
    size_t i, j;
    json_t *t, *k;
    json_array_foreach(json_object_get(session, "SessionTags"), i, t) {
        json_array_foreach(json_object_get(session, "TransitiveTagKeys"), j, k) {
            if (!strcasecmp(json_string_value(k), jstr(t, "Key"))) {
                json_array_append(tags, t);
                json_array_append(keys, k);
                break;
            }
        }
    }
}

static int has_key(const json_t *tags, const char *k)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) if (!strcasecmp(jstr(t, "Key"), k)) return 1;
    return 0;
}

/* The request context of AssumeRole: what trust policies test. */
static json_t *assume_context(const json_t *in, const json_t *tags, const json_t *transitive,
                              const char *source_identity, const char *caller_source)
{
    json_t *ctx = json_object();
    jset_str(ctx, "sts:RoleSessionName", jstr(in, "RoleSessionName"));
    jset_str(ctx, "sts:ExternalId", jstr(in, "ExternalId"));
    jset_str(ctx, "sts:SourceIdentity", source_identity);
    jset_str(ctx, "aws:SourceIdentity", caller_source);
    if (json_array_size(tags)) {
        json_t *keys = json_array(), *t;
        size_t i;
        json_array_foreach(tags, i, t) {
            char name[160];
            snprintf(name, sizeof(name), "aws:RequestTag/%s", jstr(t, "Key"));
            json_object_set(ctx, name, json_object_get(t, "Value"));
            json_array_append(keys, json_object_get(t, "Key"));
        }
        json_object_set_new(ctx, "aws:TagKeys", keys);
    }
    if (json_array_size(transitive))
        json_object_set(ctx, "sts:TransitiveTagKeys", (json_t *)transitive);
    return ctx;
}

/* 0 when the caller may assume the role, else -1 with AWS's AccessDenied wording. */
static int authorize_assume(call *c, const char *action, const char *role_arn,
                            const char *account, const char *trust, const json_t *ctx)
{
    /* AWS: the trust policy must allow, in the role's own account too (an identity policy
     * alone never lets anyone assume a role); across accounts the identity side as well */
    authz_req r = {.action = action, .resource = role_arn, .resource_account = account,
                   .resource_policy = trust ? trust : "", .context = ctx,
                   .resource_policy_required = 1};
    if (call_authorize_ex(c, &r)) {
        if (strcmp(c->err->code, "AccessDenied")) return -1;
        return assume_denied(c, action, role_arn);
    }
    return 0;
}

int sts_op_assume_role(call *c, json_t *in, json_t **out)
{
    const char *role_arn = jstr(in, "RoleArn"), *session = jstr(in, "RoleSessionName");
    const char *policy = jstr(in, "Policy"), *source = jstr(in, "SourceIdentity");
    json_t *arns = json_object_get(in, "PolicyArns");
    json_t *req_tags = json_object_get(in, "Tags");
    json_t *req_transitive = json_object_get(in, "TransitiveTagKeys");
    long long duration;
    if (check_str(c, "roleArn", role_arn, 20, 2048, NULL, NULL) ||
        check_str(c, "roleSessionName", session, 2, 64, NULL, "[\\w+=,.@-]*") ||
        check_str(c, "externalId", jstr(in, "ExternalId"), 2, 1224, ":/",
                  "[\\w+=,.@:\\/-]*") ||
        check_str(c, "sourceIdentity", source, 2, 64, NULL, "[\\w+=,.@-]*") ||
        check_str(c, "policy", policy, 1, PACKED_MAX, NULL, NULL) ||
        check_duration(c, in, MAX_ROLE_SESSION, &duration, DEFAULT_ROLE_SESSION) ||
        check_tags(c, req_tags, req_transitive))
        return -1;
    if (json_array_size(arns) > MAX_POLICY_ARNS)
        return ferr_validation(c->err,
                               "1 validation error detected: Value at 'policyArns' failed to "
                               "satisfy constraint: Member must have length less than or equal "
                               "to %d",
                               MAX_POLICY_ARNS);
    size_t i;
    json_t *v;
    json_array_foreach(arns, i, v) {
        char member[64];
        snprintf(member, sizeof(member), "policyArns.%zu.member.arn", i + 1);
        if (check_str(c, member, jstr(v, "arn") ? jstr(v, "arn") : "", 20, 2048, NULL, NULL))
            return -1;
    }
    if (policy) {
        ferr pe = {0};
        iam_policy *p = iam_policy_parse(policy, strlen(policy), IAM_KIND_SESSION, &pe);
        if (!p) return ferr_set(c->err, 400, "MalformedPolicyDocument", "%s", pe.message);
        iam_policy_free(p);
    }

    /* The caller's own session: chaining caps the duration, carries transitive tags and the
     * source identity over. */
    int chained = c->who->kind == PRIN_ASSUMED_ROLE;
    json_t *mine = chained ? caller_session(c) : NULL;
    if (ferr_isset(c->err)) return -1;
    const char *caller_source = jstr(mine, "SourceIdentity");
    if (caller_source && source && strcmp(caller_source, source)) {
        json_decref(mine);
        return ferr_set(c->err, 403, "AccessDenied",
                        "Source identity cannot be changed once it is set: %s", caller_source);
    }
    if (!source) source = caller_source;
    json_t *tags = json_array(), *transitive = json_array();
    transitive_tags(mine, tags, transitive);
    json_decref(mine);
    json_array_foreach(req_tags, i, v) {
        if (has_key(tags, jstr(v, "Key"))) {
            json_decref(tags);
            json_decref(transitive);
            return ferr_set(c->err, 400, "InvalidParameterValue",
                            "One or more session tags conflict with transitive tags from a "
                            "previous session: %s",
                            jstr(v, "Key"));
        }
        json_array_append(tags, v);
    }
    json_array_foreach(req_transitive, i, v) {
        if (!has_key(req_tags, json_string_value(v))) {
            json_decref(tags);
            json_decref(transitive);
            return ferr_set(c->err, 400, "InvalidParameterValue",
                            "The specified transitive tag key must be included in the requested "
                            "tags.");
        }
        json_array_append(transitive, v);
    }

    /* The role: a missing one is refused exactly like one that does not trust the caller. */
    char account[13], name[160];
    json_t *role = NULL, *ctx = NULL;
    int rc = iamsvc_role_from_arn(role_arn, account, sizeof(account), name, sizeof(name));
    if (rc)
        rc = ferr_validation(c->err, "%s is invalid", role_arn);
    else if ((rc = iamsvc_get_role(c->txn, account, name, &role, c->err)) < 0)
        rc = -1;
    else if (rc == 0 || strcmp(jstr(role, "Arn"), role_arn))
        rc = assume_denied(c, "sts:AssumeRole", role_arn);
    else
        rc = 0;
    if (!rc) {
        ctx = assume_context(in, req_tags, req_transitive, jstr(in, "SourceIdentity"),
                             caller_source);
        const char *trust = jstr(role, "AssumeRolePolicyDocument");
        rc = authorize_assume(c, "sts:AssumeRole", role_arn, account, trust, ctx);
        /* AWS: passing session tags needs sts:TagSession, a source identity
         * sts:SetSourceIdentity, both from the same trust policy */
        if (!rc && (json_array_size(req_tags) || json_array_size(req_transitive)))
            rc = authorize_assume(c, "sts:TagSession", role_arn, account, trust, ctx);
        if (!rc && jstr(in, "SourceIdentity") && !caller_source)
            rc = authorize_assume(c, "sts:SetSourceIdentity", role_arn, account, trust, ctx);
    }
    json_decref(ctx);
    long long max = role ? jint(role, "MaxSessionDuration", DEFAULT_ROLE_SESSION) : 0;
    if (!rc && chained && duration > CHAINED_MAX_SESSION)
        rc = ferr_validation(c->err, "The requested DurationSeconds exceeds the 1 hour session "
                                     "limit for roles assumed by role chaining.");
    else if (!rc && duration > max)
        rc = ferr_validation(c->err, "The requested DurationSeconds exceeds the MaxSessionDuration "
                                     "set for this role.");
    if (rc) {
        json_decref(role);
        json_decref(tags);
        json_decref(transitive);
        return -1;
    }

    /* The session: arn:aws:sts::ACCT:assumed-role/ROLE/SESSION, UserId AROA...:SESSION */
    principal p;
    memset(&p, 0, sizeof(p));
    p.kind = PRIN_ASSUMED_ROLE;
    snprintf(p.account, sizeof(p.account), "%s", account);
    snprintf(p.arn, sizeof(p.arn), "arn:aws:sts::%s:assumed-role/%s/%s", account,
             jstr(role, "RoleName"), session);
    snprintf(p.userid, sizeof(p.userid), "%s:%s", jstr(role, "RoleId"), session);
    snprintf(p.name, sizeof(p.name), "%s", jstr(role, "RoleName"));
    snprintf(p.session, sizeof(p.session), "%s", session);
    snprintf(p.role_arn, sizeof(p.role_arn), "%s", jstr(role, "Arn"));
    json_decref(role);

    json_t *extra = json_pack("{s:o, s:o}", "SessionTags", tags, "TransitiveTagKeys", transitive);
    size_t packed = 0;
    if (policy) {
        jset_str(extra, "SessionPolicy", policy);
        packed += iam_policy_size(policy, strlen(policy));
    }
    if (json_array_size(arns)) {
        json_t *list = json_array();
        json_array_foreach(arns, i, v) {
            json_array_append(list, json_object_get(v, "arn"));
            packed += strlen(jstr(v, "arn") ? jstr(v, "arn") : "");
        }
        json_object_set_new(extra, "SessionPolicyArns", list);
    }
    json_array_foreach(tags, i, v) {
        const char *val = jstr(v, "Value");
        packed += strlen(jstr(v, "Key")) + (val ? strlen(val) : 0);
    }
    jset_str(extra, "SourceIdentity", source);
    /* AWS: the packed session policies and tags must fit; the size is reported as a
     * percentage of what fits */
    unsigned pct = (unsigned)((packed * 100 + PACKED_MAX - 1) / PACKED_MAX);
    if (pct > 100) {
        json_decref(extra);
        return ferr_set(c->err, 400, "PackedPolicyTooLarge",
                        "Packed size of session policies and tags exceeds the limit by %u%%.",
                        pct - 100);
    }
    double expires = (double)(long long)clock_now() + (double)duration;
    key_info k;
    rc = keys_create_session_ex(c->txn, &p, expires, extra, &k, c->err);
    json_decref(extra);
    if (rc) return -1;
    call_resource(c, "AWS::IAM::Role", role_arn);
    *out = json_pack("{s:o, s:{s:s, s:s}}", "Credentials", credentials(&k, expires),
                     "AssumedRoleUser", "AssumedRoleId", p.userid, "Arn", p.arn);
    if (policy || json_array_size(arns) || json_array_size(req_tags))
        json_object_set_new(*out, "PackedPolicySize", json_integer(pct));
    if (source) jset_str(*out, "SourceIdentity", source);
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
        return ferr_set(c->err, 403, "AccessDenied", "User: %s is not authorized to perform: "
                        "sts:GetSessionToken", w->arn);
    long long duration;
    if (check_duration(c, in, USER_TOKEN_MAX, &duration, USER_TOKEN_DEFAULT)) return -1;
    /* AWS: sessions of the root are at most one hour; longer requests get one hour */
    if (w->kind == PRIN_ROOT && duration > ROOT_TOKEN_MAX) duration = ROOT_TOKEN_MAX;
    double expires = (double)(long long)clock_now() + (double)duration;
    key_info k;
    if (keys_create_session(c->txn, w, expires, &k, c->err)) return -1;
    *out = json_pack("{s:o}", "Credentials", credentials(&k, expires));
    return 0;
}

/* ---- GetAccessKeyInfo, GetCallerIdentity ---- */

int sts_op_get_access_key_info(call *c, json_t *in, json_t **out)
{
    const char *id = jstr(in, "AccessKeyId");
    if (check_str(c, "accessKeyId", id, 16, 128, NULL, NULL) ||
        check_chars(c, "accessKeyId", id, NULL, "[\\w]*") ||
        call_authorize(c, "sts:GetAccessKeyInfo", "*"))
        return -1;
    key_info k;
    int rc = keys_lookup(c->txn, id, &k, c->err);
    if (rc < 0) return -1;
    if (rc == 0)
        return ferr_set(c->err, 400, "InvalidParameterValue",
                        "The access key ID %s is not valid.", id);
    *out = json_pack("{s:s}", "Account", k.who.account);
    return 0;
}

int sts_op_get_caller_identity(call *c, json_t *in, json_t **out)
{
    (void)in;
    /* AWS: no permission is needed to call GetCallerIdentity, and an explicit deny cannot
     * block it. */
    *out = json_pack("{s:s, s:s, s:s}", "UserId", c->who->userid, "Account", c->who->account,
                     "Arn", c->who->arn);
    return *out ? 0 : ferr_oom(c->err);
}

const svc_def svc_sts = {.name = "sts", .event_source = "sts.amazonaws.com"};
