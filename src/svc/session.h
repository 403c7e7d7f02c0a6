/* One way to become a role. STS AssumeRole, CloudFormation's RoleARN, StackSets'
 * administration and execution roles (and, to come, CodePipeline action roles, CodeBuild
 * service roles, Lambda execution roles) all mint their role sessions here, so that every
 * assumption is decided by the same trust evaluation (call_authorize_ex with the role's
 * trust policy), gets the same session (principal, tags, source identity, duration rules,
 * stored credentials), and is recorded in the trail the same way: an sts:AssumeRole event
 * by the acting principal, in its account and, across accounts, in the role's too.
 *
 * Why here (src/svc/, beside authz.c and exec.c) and not in src/svc/sts/: a service may not
 * reach into another service's folder, and engines need it too; like authorization and the
 * internal call path, minting a session is part of the layer every service stands on.
 *
 * The acting principal is c->who (session_assume) or who (session_assume_as): a client, a
 * role session (chaining: at most one hour, transitive tags and source identity carried
 * over), or a service (PRIN_SERVICE "cloudformation.amazonaws.com", whose trust must name
 * the service). A session minted for a service, or by a session a service holds, is held by
 * that service too: the principal's `service` names it, and every call made with it is
 * recorded with sourceIPAddress, userAgent and userIdentity.invokedBy set to the service,
 * as CloudTrail shows calls CloudFormation makes with a service role. */
#ifndef FERRY_SESSION_H
#define FERRY_SESSION_H
#include <jansson.h>

#include "auth/keys.h"
#include "svc/svc.h"

typedef struct session_req {
    const char *role_arn;
    const char *session_name;  /* RoleSessionName: 2-64 of [\w+=,.@-] */
    long long duration;        /* seconds; 0 = one hour */
    const char *policy;        /* session policy (JSON text, already validated) or NULL */
    const json_t *policy_arns; /* [{"arn": ...}] managed session policies, or NULL */
    const json_t *tags;        /* [{"Key","Value"}] session tags, or NULL */
    const json_t *transitive;  /* ["Key", ...] transitive tag keys, or NULL */
    const char *source_identity;
    const char *external_id;
    /* AssumeRoleWithWebIdentity: the OIDC provider ARN the token came from (the trust
     * policy must allow sts:AssumeRoleWithWebIdentity for {"Federated": it}; the caller is
     * nobody, c->who may be NULL) and the condition keys the token sets
     * ({"HOST/PATH:aud": ..., "HOST/PATH:sub": ...}). NULL otherwise. */
    const char *federated;
    const json_t *federated_context;
    /* The action the trust policy must allow for a federated caller:
     * "sts:AssumeRoleWithSAML" (AssumeRoleWithSAML, federated = the SAML provider ARN);
     * NULL means sts:AssumeRoleWithWebIdentity. */
    const char *federated_action;
    /* AssumeRole's SerialNumber and TokenCode (NULL: not given): the caller's MFA device
     * and a current code of it. Checked before the trust policy, which then sees
     * aws:MultiFactorAuthPresent true; the session records the MFA. A role session
     * chained from an MFA session keeps that session's MFA (and its age) without them. */
    const char *mfa_serial;
    const char *mfa_code;
} session_req;

typedef struct session {
    key_info key;             /* the credentials; key.who is the session's principal */
    double expires;           /* epoch seconds */
    unsigned packed_pct;      /* PackedPolicySize: percent of the packed limit used */
    char source_identity[72]; /* "" when none (given, or carried over from the caller) */
} session;

/* Assumes r->role_arn as c->who inside c->txn, for an sts:AssumeRole request: c is that
 * request, recorded by whoever runs it (the gateway, svc_invoke). 0, or -1 with AWS's
 * error in c->err (AccessDenied for a role that is missing or does not trust the caller,
 * ValidationError for durations, InvalidParameterValue for tag conflicts,
 * PackedPolicyTooLarge). */
int session_assume(call *c, const session_req *r, session *out);

/* The second factor of a session: 0 when serial and code (either may be NULL) are a
 * current code of c->who's MFA device, else -1 with AWS's AccessDenied (wrong, missing or
 * unknown). *when: the MFA authentication time to record in the session. */
int session_mfa(call *c, const char *serial, const char *code, double *when);

/* Assumes a role for a service or an engine: as who, in region, inside t (with its arena a)
 * or, when t is NULL, in a transaction of its own that it commits. The assumption is
 * recorded as the sts:AssumeRole call it is: in t when it succeeds (it stands or falls with
 * the caller's work), at once when it is refused (the refusal stays in the trail whatever
 * the caller does next). 0, or -1 with the error in e. */
int session_assume_as(ferry_env *env, store_txn *t, arena *a, const principal *who,
                      const char *region, const session_req *r, session *out, ferr *e);

/* A service principal, e.g. "cloudformation.amazonaws.com", acting in account. */
void session_service_principal(principal *p, const char *service, const char *account);

#endif
