/* What authorization needs from the services that own identities and organizations.
 * Policies returned are parsed, owned by the call's arena (arena_defer), read-only. */
#ifndef FERRY_AUTHZ_H
#define FERRY_AUTHZ_H
#include "iam/eval.h"
#include "svc/svc.h"

typedef struct authz_identity {
    iam_policy_set identity; /* user (+ its groups) or role: inline and attached */
    iam_policy_set boundary; /* permissions boundary, n 0 = none */
    iam_policy_set session;  /* session policies of an assumed-role session */
    const iam_tag *tags;     /* principal tags (role tags + session tags) */
    size_t ntags;
    /* Where each policy came from, parallel to the sets (for the trail's explanation of a
     * refusal, svc/authzwhy.h): a managed policy's ARN, or "inline:" and the ARN of the user,
     * group or role it is embedded in ("inline:" alone: a session's inline policy). */
    const char *const *identity_src, *const *boundary_src, *const *session_src;
} authz_identity;

typedef struct gencache_entry gencache_entry;
/* The parsed form of a policy document, shared by every call that reads the same one (one
 * process-wide cache for identity, resource and SCP documents) and held until c's arena
 * is freed. key names the text for good (a policy version's "PolicyId|VersionId"); NULL
 * keys it on name and text. text NULL: only found, never parsed. The policy carries name
 * (NULL: none). NULL when text does not parse (a stored policy that no longer parses grants
 * nothing) or on OOM (then *oom is set, when oom is not NULL). entry (may be NULL) gets the
 * cache entry, for a holder that outlives the call (gencache_retain); NULL when the policy
 * is the call's own, not cached. */
const iam_policy *authz_policy(call *c, const char *key, const char *name, const char *text,
                               int kind, gencache_entry **entry, int *oom);

/* Provided by the IAM service (src/svc/iam/). Root principals have nothing here. */
int iamsvc_identity(call *c, const principal *who, authz_identity *out);

typedef struct authz_org {
    const iam_policy_set *scp_layers; /* root, OUs..., account */
    size_t nlayers;
    int exempt;               /* management account: SCPs do not apply */
    const char *org_id;       /* NULL when not in an organization */
    const char *const *paths; /* aws:PrincipalOrgPaths */
    size_t npaths;
} authz_org;

/* Provided by Organizations (src/svc/organizations/). */
int org_authz(call *c, const char *account, authz_org *out);
/* The RCP layers (root, OUs..., account; arena-owned) that apply to action on a resource
 * owned by account: none (*n 0) unless account is a member (not the management account)
 * of an organization with RCPs enabled and action's service supports RCPs. 0 or -1. */
int org_rcp(call *c, const char *account, const char *action, const iam_policy_set **layers,
            size_t *n);

#endif
