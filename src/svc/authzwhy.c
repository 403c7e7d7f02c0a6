/* The decision of a refusal for the audit trail (authzwhy.h). */
#include "svc/authzwhy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/checked.h"

static const char *type_of(int by)
{
    switch (by) {
    case IAM_BY_RESOURCE: return "resource";
    case IAM_BY_BOUNDARY: return "permissionsBoundary";
    case IAM_BY_SESSION: return "session";
    case IAM_BY_SCP: return "scp";
    case IAM_BY_RCP: return "rcp";
    default: return "identity";
    }
}

static const char *noun_of(int by)
{
    switch (by) {
    case IAM_BY_RESOURCE: return "resource-based policy";
    case IAM_BY_BOUNDARY: return "permissions boundary";
    case IAM_BY_SESSION: return "session policy";
    case IAM_BY_SCP: return "service control policy";
    case IAM_BY_RCP: return "resource control policy";
    default: return "identity-based policy";
    }
}

/* Where policy p of the set by came from (authz.h's *_src), or NULL. */
static const char *source_of(const iam_request *q, const authz_identity *id, int by,
                             const iam_policy *p)
{
    if (!id) return NULL;
    const iam_policy_set *set = by == IAM_BY_IDENTITY   ? &q->identity
                                : by == IAM_BY_BOUNDARY ? &q->boundary
                                : by == IAM_BY_SESSION  ? &q->session
                                                        : NULL;
    const char *const *src = by == IAM_BY_IDENTITY   ? id->identity_src
                             : by == IAM_BY_BOUNDARY ? id->boundary_src
                             : by == IAM_BY_SESSION  ? id->session_src
                                                     : NULL;
    /* the first one: the engine scans a set in order, and a policy shared by two owners
     * (one compiled text) decides the same way in both */
    for (size_t i = 0; set && src && i < set->n; i++)
        if (set->v[i] == p) return src[i];
    return NULL;
}

/* The root, OU or account an SCP (RCP) layer is attached to: layer 0 the root, then the OUs
 * down the path, last the account. SCPs follow the caller's aws:PrincipalOrgPaths; an RCP
 * layer is named only when it is the resource's account. */
static const char *target_of(const iam_request *q, const iam_result *res, char *buf, size_t n)
{
    if (res->by == IAM_BY_RCP) {
        if (q->nrcp_layers && (size_t)res->layer == q->nrcp_layers - 1)
            return q->resource_account && *q->resource_account ? q->resource_account : NULL;
        return res->layer == 0 ? "the organization root" : "an OU above the resource's account";
    }
    if ((size_t)res->layer + 1 == q->nscp_layers)
        return q->principal && q->principal->account[0] ? q->principal->account : NULL;
    /* "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/": the parts after the organization id */
    const char *path = q->norg_paths ? q->org_paths[0] : NULL;
    const char *p = path ? strchr(path, '/') : NULL;
    for (int l = 0; p && l < res->layer; l++) p = strchr(p + 1, '/');
    if (!p || !p[1]) return NULL;
    const char *e = strchr(p + 1, '/');
    snprintf(buf, n, "%.*s", (int)(e ? (size_t)(e - p - 1) : strlen(p + 1)), p + 1);
    return buf;
}

/* A role's trust policy is the resource policy of sts:AssumeRole* (the only one that must
 * allow even in its own account: iam_request's require_resource_policy). */
static const char *resource_noun(const iam_request *q)
{
    return q->require_resource_policy ? "trust policy" : "resource-based policy";
}

/* Whose policies the identity side is, for the words ("of arn:...:user/bob"). */
static const char *whose(const iam_request *q)
{
    const principal *p = q->principal;
    if (!p) return "";
    return p->kind == PRIN_ASSUMED_ROLE && p->role_arn[0] ? p->role_arn : p->arn;
}

/* The policy object of an explicit deny, and its words in *words (malloc'd). */
static json_t *policy_of(const iam_request *q, const iam_result *res, const authz_identity *id,
                         const iam_stmt_ref *ref, const char *target, char **words)
{
    json_t *o = json_object();
    int rc = !o;
    const char *name = ref->policy_name && *ref->policy_name ? ref->policy_name : NULL;
    *words = NULL;
    switch (res->by) {
    case IAM_BY_RESOURCE: {
        const char *r = q->resource && *q->resource ? q->resource : "*";
        rc |= jset_str(o, "resource", r);
        if (q->require_resource_policy) rc |= json_object_set_new(o, "trust", json_true());
        if (asprintf(words, "the %s of %s", resource_noun(q), r) < 0) *words = NULL;
        break;
    }
    case IAM_BY_SCP:
    case IAM_BY_RCP:
        rc |= jset_str(o, strncmp(name ? name : "", "arn:", 4) ? "id" : "arn", name) ||
              jset_str(o, "attachedTo", target);
        if (asprintf(words, "the %s %s%s%s", noun_of(res->by), name ? name : "(unnamed)",
                     target ? " attached to " : "", target ? target : "") < 0)
            *words = NULL;
        break;
    default: {
        const char *src = source_of(q, id, res->by, ref->policy);
        const char *owner = src && !strncmp(src, "inline:", 7) ? src + 7 : NULL;
        if (src && !owner) { /* a managed policy: its ARN */
            rc |= jset_str(o, "arn", src);
            if (asprintf(words, "the %s %s", noun_of(res->by), src) < 0) *words = NULL;
        } else {
            rc |= jset_str(o, "name", name) || json_object_set_new(o, "inline", json_true());
            if (owner && *owner) rc |= jset_str(o, "attachedTo", owner);
            if (asprintf(words, "the inline %s %s%s%s", noun_of(res->by), name ? name : "(unnamed)",
                         owner && *owner ? " of " : "", owner ? owner : "") < 0)
                *words = NULL;
        }
    }
    }
    if (!*words) rc = 1;
    if (rc) {
        free(*words);
        *words = NULL;
    }
    return jdone(o, rc);
}

json_t *authzwhy_decision(const iam_request *q, const iam_result *res, const authz_identity *id,
                          int *shared)
{
    if (shared) *shared = res->by == IAM_BY_RESOURCE || res->by == IAM_BY_RCP;
    const char *action = q->action ? q->action : "";
    char tbuf[128];
    const char *target = res->by == IAM_BY_SCP || res->by == IAM_BY_RCP
                             ? target_of(q, res, tbuf, sizeof(tbuf))
                             : NULL;
    json_t *d = json_pack("{s:s, s:s}", "type",
                          res->decision == IAM_EXPLICIT_DENY ? "explicitDeny" : "implicitDeny",
                          "policyType", type_of(res->by));
    int rc = !d;
    char *text = NULL;
    if (!rc && res->decision == IAM_EXPLICIT_DENY && res->nrefs) {
        const iam_stmt_ref *ref = &res->refs[0];
        char *words = NULL;
        json_t *pol = policy_of(q, res, id, ref, target, &words);
        const char *sid = ref->sid && *ref->sid ? ref->sid : NULL;
        json_t *st = json_pack("{s:i}", "index", ref->index);
        rc |= !st || jset_str(st, "sid", sid) || json_object_set_new(d, "policy", pol) ||
              json_object_set_new(d, "statement", st);
        char what[300];
        if (sid)
            snprintf(what, sizeof(what), "statement \"%s\" (Statement[%d])", sid, ref->index);
        else
            snprintf(what, sizeof(what), "Statement[%d]", ref->index);
        if (!rc && words &&
            asprintf(&text, "An explicit Deny decided: %s of %s matches %s.", what, words, action) <
                0)
            text = NULL;
        free(words);
    } else if (!rc) {
        if (target) rc |= jset_str(d, "attachedTo", target);
        int r;
        switch (res->by) {
        case IAM_BY_SCP:
        case IAM_BY_RCP:
            r = asprintf(&text, "No %s attached to %s allows %s: every level must allow it.",
                         noun_of(res->by), target ? target : "one level of the path", action);
            break;
        case IAM_BY_RESOURCE:
            r = asprintf(&text, "The %s of %s does not allow %s for this caller.", resource_noun(q),
                         q->resource && *q->resource ? q->resource : "the resource", action);
            if (!rc) rc |= jset_str(d, "resource", q->resource);
            if (!rc && q->require_resource_policy)
                rc |= json_object_set_new(d, "trust", json_true());
            break;
        case IAM_BY_BOUNDARY:
            r = asprintf(&text, "The permissions boundary of %s does not allow %s.", whose(q),
                         action);
            break;
        case IAM_BY_SESSION:
            r = asprintf(&text, "The session policies of this session do not allow %s.", action);
            break;
        default:
            r = asprintf(&text, "No identity-based policy of %s allows %s.",
                         *whose(q) ? whose(q) : "the caller", action);
        }
        if (r < 0) text = NULL;
    }
    rc |= !text || jset_str(d, "explanation", text);
    free(text);
    return jdone(d, rc);
}

const char *authzwhy_event_data(call *c, const iam_request *q, const iam_result *res,
                                const authz_identity *id, int *shared)
{
    json_t *d = authzwhy_decision(q, res, id, shared);
    json_t *o = d ? json_pack("{s:o}", "ferry:decision", d) : NULL;
    char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    const char *out = t ? arena_strdup(c->a, t) : NULL;
    free(t);
    return out;
}
