/* Role sessions: the one path by which anything in ferry becomes a role (session.h).
 *
 * AssumeRole is authorized like any call on a resource that carries a policy: the role's
 * trust policy is the resource policy of sts:AssumeRole on the role ARN, so across accounts
 * both the caller's identity policies and the trust policy must allow, and in the role's
 * own account the trust policy must allow too: naming the caller is enough, naming the
 * account needs the caller's own allow. SCPs of the caller's account apply; the management
 * account and services are exempt. */
#include "session.h"

#include <stdio.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "iam/policy.h"
#include "svc/iam/iam.h"

#define DEFAULT_SESSION     3600
#define CHAINED_MAX_SESSION 3600
#define PACKED_MAX          2048 /* AWS: plaintext of inline and managed session policies */

void session_service_principal(principal *p, const char *service, const char *account)
{
    memset(p, 0, sizeof(*p));
    p->kind = PRIN_SERVICE;
    snprintf(p->service, sizeof(p->service), "%s", service);
    snprintf(p->account, sizeof(p->account), "%s", account);
}

int session_mfa(call *c, const char *serial, const char *code, double *when)
{
    if (iamsvc_mfa_verify(c, c->who, serial, code)) return -1;
    *when = (double)(long long)clock_now();
    return 0;
}

/* The session document of the caller's own key (chaining). 0 with *doc NULL when the
 * caller signed with no session key; -1 on a store error. */
static int caller_session(call *c, json_t **doc)
{
    *doc = NULL;
    if (!c->who || c->who->kind != PRIN_ASSUMED_ROLE || !c->who->akid[0]) return 0;
    store_key k = {"accesskey", "", "", c->who->akid};
    return store_get(c->txn, &k, doc, c->err) < 0 ? -1 : 0;
}

/* AWS words a refused AssumeRole without saying which policy decided, and the same way
 * whether the role exists or not. */
static int denied(call *c, const char *action, const char *role_arn)
{
    const principal *w = c->who;
    return ferr_set(c->err, 403, "AccessDenied",
                    "User: %s is not authorized to perform: %s on resource: %s",
                    !w                        ? "anonymous"
                    : w->kind == PRIN_SERVICE ? w->service
                                              : w->arn,
                    action, role_arn);
}

static int has_key(const json_t *tags, const char *k)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        const char *tk = jstr(t, "Key");
        if (tk && k && !strcasecmp(tk, k)) return 1;
    }
    return 0;
}

/* The session's tags: the caller's transitive ones (chaining), then the requested ones,
 * which may not override them. */
static int session_tags(call *c, const json_t *mine, const session_req *r, json_t *tags,
                        json_t *transitive)
{
    size_t i, j;
    json_t *t, *k;
    json_array_foreach(json_object_get(mine, "SessionTags"), i, t) {
        json_array_foreach(json_object_get(mine, "TransitiveTagKeys"), j, k) {
            const char *tk = jstr(t, "Key"), *kk = json_string_value(k);
            if (tk && kk && !strcasecmp(kk, tk)) {
                if (json_array_append(tags, t) || json_array_append(transitive, k))
                    return ferr_oom(c->err);
                break;
            }
        }
    }
    json_array_foreach(r->tags, i, t) {
        if (!jstr(t, "Key")) return ferr_validation(c->err, "Every session tag needs a Key.");
        if (has_key(tags, jstr(t, "Key")))
            return ferr_set(c->err, 400, "InvalidParameterValue",
                            "One or more session tags conflict with transitive tags from a "
                            "previous session: %s",
                            jstr(t, "Key"));
        if (json_array_append(tags, t)) return ferr_oom(c->err);
    }
    json_array_foreach(r->transitive, i, k) {
        if (!has_key(r->tags, json_string_value(k)))
            return ferr_set(c->err, 400, "InvalidParameterValue",
                            "The specified transitive tag key must be included in the requested "
                            "tags.");
        if (json_array_append(transitive, k)) return ferr_oom(c->err);
    }
    return 0;
}

/* jset_str that reports failure: 0 or -1. */
static int set_str(json_t *o, const char *key, const char *v)
{
    return json_object_set_new(o, key, json_string(v));
}

/* The request context of AssumeRole: what trust policies test. NULL on OOM. */
static json_t *assume_context(const session_req *r, const char *caller_source)
{
    json_t *ctx = json_object();
    if (!ctx) return NULL;
    int bad = 0;
    if (r->session_name) bad |= set_str(ctx, "sts:RoleSessionName", r->session_name);
    if (r->external_id) bad |= set_str(ctx, "sts:ExternalId", r->external_id);
    if (r->source_identity) bad |= set_str(ctx, "sts:SourceIdentity", r->source_identity);
    if (caller_source) bad |= set_str(ctx, "aws:SourceIdentity", caller_source);
    if (json_array_size(r->tags)) {
        json_t *keys = json_array(), *t;
        size_t i;
        bad |= !keys || json_object_set_new(ctx, "aws:TagKeys", keys);
        json_array_foreach(r->tags, i, t) {
            char name[160];
            snprintf(name, sizeof(name), "aws:RequestTag/%s", jstr(t, "Key"));
            bad |= json_object_set(ctx, name, json_object_get(t, "Value")) ||
                   json_array_append(keys, json_object_get(t, "Key"));
        }
    }
    if (json_array_size(r->transitive))
        bad |= json_object_set(ctx, "sts:TransitiveTagKeys", (json_t *)r->transitive);
    if (r->federated_context) bad |= json_object_update(ctx, (json_t *)r->federated_context);
    if (bad) {
        json_decref(ctx);
        return NULL;
    }
    return ctx;
}

/* 0 when the caller may perform action on the role, else -1 with AWS's AccessDenied. */
static int authorize(call *c, const session_req *r, const char *action, const char *account,
                     const char *trust, const json_t *ctx)
{
    const char *role_arn = r->role_arn;
    /* AWS: the trust policy must allow, in the role's own account too (an identity policy
     * alone never lets anyone assume a role); across accounts the identity side as well */
    authz_req q = {.action = action,
                   .resource = role_arn,
                   .resource_account = account,
                   .resource_policy = trust ? trust : "",
                   .context = ctx,
                   .federated = r->federated,
                   .resource_policy_required = 1};
    if (!call_authorize_ex(c, &q)) return 0;
    return strcmp(c->err->code, "AccessDenied") ? -1 : denied(c, action, role_arn);
}

/* The role, and whether the caller may assume it as asked. *role is a new reference. */
static int trusted_role(call *c, const session_req *r, const char *caller_source, char account[13],
                        json_t **role)
{
    char name[160];
    *role = NULL;
    if (iamsvc_role_from_arn(r->role_arn, account, 13, name, sizeof(name)))
        return ferr_validation(c->err, "%s is invalid", r->role_arn);
    /* AWS: credentials of one partition reach nothing in another; a role ARN of another
     * partition is refused like a role that does not trust the caller */
    const char *action = !r->federated         ? "sts:AssumeRole"
                         : r->federated_action ? r->federated_action
                                               : "sts:AssumeRoleWithWebIdentity";
    if (!arn_in_partition(r->role_arn, c->region)) return denied(c, action, r->role_arn);
    int rc = iamsvc_get_role(c->txn, account, name, role, c->err);
    if (rc < 0) return -1;
    /* a missing role is refused exactly like one that does not trust the caller */
    if (rc == 0 || strcmp(jstr(*role, "Arn"), r->role_arn)) return denied(c, action, r->role_arn);
    json_t *ctx = assume_context(r, caller_source);
    if (!ctx) return ferr_oom(c->err);
    const char *trust = jstr(*role, "AssumeRolePolicyDocument");
    rc = authorize(c, r, action, account, trust, ctx);
    /* AWS: passing session tags needs sts:TagSession, a source identity
     * sts:SetSourceIdentity, both from the same trust policy */
    if (!rc && (json_array_size(r->tags) || json_array_size(r->transitive)))
        rc = authorize(c, r, "sts:TagSession", account, trust, ctx);
    if (!rc && r->source_identity && !caller_source)
        rc = authorize(c, r, "sts:SetSourceIdentity", account, trust, ctx);
    json_decref(ctx);
    return rc;
}

/* What the session's key keeps beside the principal (read back by authorization), and the
 * packed size of policies and tags in percent of what fits. NULL on OOM. */
static json_t *session_extra(const session_req *r, json_t *tags, json_t *transitive,
                             const char *source, unsigned *pct)
{
    json_t *extra = json_object(), *v;
    size_t packed = 0, i;
    int bad = !extra || json_object_set(extra, "SessionTags", tags) ||
              json_object_set(extra, "TransitiveTagKeys", transitive);
    if (r->policy) {
        bad |= set_str(extra, "SessionPolicy", r->policy);
        packed += iam_policy_size(r->policy, strlen(r->policy));
    }
    if (json_array_size(r->policy_arns)) {
        json_t *list = json_array();
        bad |= !list || json_object_set_new(extra, "SessionPolicyArns", list);
        json_array_foreach(r->policy_arns, i, v) {
            const char *arn = jstr(v, "arn");
            bad |= json_array_append(list, json_object_get(v, "arn"));
            packed += arn ? strlen(arn) : 0;
        }
    }
    json_array_foreach(tags, i, v) {
        const char *key = jstr(v, "Key"), *val = jstr(v, "Value");
        packed += (key ? strlen(key) : 0) + (val ? strlen(val) : 0);
    }
    if (source) bad |= set_str(extra, "SourceIdentity", source);
    if (bad) {
        json_decref(extra);
        return NULL;
    }
    *pct = (unsigned)((packed * 100 + PACKED_MAX - 1) / PACKED_MAX);
    return extra;
}

int session_assume(call *c, const session_req *r, session *out)
{
    memset(out, 0, sizeof(*out));
    long long duration = r->duration ? r->duration : DEFAULT_SESSION;
    const char *source = r->source_identity;

    /* The caller's own session: chaining caps the duration, carries transitive tags and the
     * source identity over. */
    int chained = !r->federated && c->who && c->who->kind == PRIN_ASSUMED_ROLE;
    json_t *mine = NULL, *role = NULL, *extra = NULL;
    json_t *tags = json_array(), *transitive = json_array();
    int rc = -1;
    if (!tags || !transitive) {
        ferr_oom(c->err);
        goto out;
    }
    if (!r->federated && caller_session(c, &mine)) goto out;
    const char *caller_source = jstr(mine, "SourceIdentity");
    if (caller_source && source && strcmp(caller_source, source)) {
        ferr_set(c->err, 403, "AccessDenied",
                 "Source identity cannot be changed once it is set: %s", caller_source);
        goto out;
    }
    if (!source) source = caller_source;
    /* MFA: given here, it is checked first and the trust policy sees the caller with it;
     * otherwise the session keeps the caller's (a GetSessionToken session's, or the role
     * session it chains from), with its original time: aws:MultiFactorAuthAge goes on */
    double mfa = !r->federated && c->who ? c->who->mfa_auth : 0;
    const principal *caller = c->who;
    principal with_mfa;
    if (r->mfa_serial || r->mfa_code) {
        if (session_mfa(c, r->mfa_serial, r->mfa_code, &mfa)) goto out;
        with_mfa = *caller;
        with_mfa.mfa_auth = mfa;
        c->who = &with_mfa;
    }
    char account[13];
    rc = session_tags(c, mine, r, tags, transitive) ||
         trusted_role(c, r, caller_source, account, &role);
    c->who = caller;
    if (rc) {
        rc = -1;
        goto out;
    }
    rc = -1;
    long long max = jint(role, "MaxSessionDuration", DEFAULT_SESSION);
    if (chained && duration > CHAINED_MAX_SESSION) {
        ferr_validation(c->err, "The requested DurationSeconds exceeds the 1 hour session limit "
                                "for roles assumed by role chaining.");
        goto out;
    }
    if (duration > max) {
        ferr_validation(c->err, "The requested DurationSeconds exceeds the MaxSessionDuration set "
                                "for this role.");
        goto out;
    }

    /* The session: arn:aws:sts::ACCT:assumed-role/ROLE/SESSION, UserId AROA...:SESSION. A
     * session a service assumes, or chains from one it holds, is held by that service. */
    const char *rname = jstr(role, "RoleName"), *session_name = r->session_name;
    principal p;
    memset(&p, 0, sizeof(p));
    p.kind = PRIN_ASSUMED_ROLE;
    snprintf(p.account, sizeof(p.account), "%s", account);
    snprintf(p.arn, sizeof(p.arn), "arn:%s:sts::%s:assumed-role/%s/%s", arn_partition(c->region),
             account, rname, session_name);
    snprintf(p.userid, sizeof(p.userid), "%s:%s", jstr(role, "RoleId"), session_name);
    snprintf(p.name, sizeof(p.name), "%s", rname);
    snprintf(p.session, sizeof(p.session), "%s", session_name);
    snprintf(p.role_arn, sizeof(p.role_arn), "%s", jstr(role, "Arn"));
    snprintf(p.service, sizeof(p.service), "%s", c->who && !r->federated ? c->who->service : "");
    p.mfa_auth = mfa;

    extra = session_extra(r, tags, transitive, source, &out->packed_pct);
    if (!extra) {
        ferr_oom(c->err);
        goto out;
    }
    /* AWS: the packed session policies and tags must fit; the size is reported as a
     * percentage of what fits */
    if (out->packed_pct > 100) {
        ferr_set(c->err, 400, "PackedPolicyTooLarge",
                 "Packed size of session policies and tags exceeds the limit by %u%%.",
                 out->packed_pct - 100);
        goto out;
    }
    out->expires = (double)(long long)clock_now() + (double)duration;
    if (keys_create_session_ex(c->txn, &p, out->expires, extra, &out->key, c->err)) goto out;
    snprintf(out->source_identity, sizeof(out->source_identity), "%s", source ? source : "");
    call_resource(c, "AWS::IAM::Role", r->role_arn);
    rc = 0;
out:
    json_decref(mine);
    json_decref(role);
    json_decref(extra);
    json_decref(tags);
    json_decref(transitive);
    return rc;
}

int session_assume_as(ferry_env *env, store_txn *t, arena *a, const principal *who,
                      const char *region, const session_req *r, session *out, ferr *e)
{
    memset(out, 0, sizeof(*out));
    arena *own_a = NULL;
    store_txn *own_t = NULL;
    if (!a && !(a = own_a = arena_new(8192))) return ferr_oom(e);
    if (!t) {
        if (store_begin(env->st, 1, &own_t, e)) {
            arena_free(own_a);
            return -1;
        }
        t = own_t;
    }
    char rid[37];
    ids_uuid(rid);
    /* the call the assumption is: recorded like a client's sts:AssumeRole */
    call c = {.a = a,
              .env = env,
              .request_id = rid,
              .service = "sts",
              .op = "AssumeRole",
              .account = who->account,
              .region = region,
              .who = who,
              .txn = t,
              .err = e,
              .caller = CALLER_INTERNAL};
    int rc = session_assume(&c, r, out);
    if (!rc) {
        svc_audit(&c, t, 0, 200);
        if (own_t) rc = store_commit(own_t, e);
    } else {
        if (own_t) {
            store_rollback(own_t);
            c.txn = NULL;
        }
        svc_audit(&c, NULL, 0, e->status);
    }
    arena_free(own_a);
    return rc;
}
