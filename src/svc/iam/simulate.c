/* Policy simulation: SimulatePrincipalPolicy and SimulateCustomPolicy answered by the same
 * engine that authorizes every call (iam_evaluate), with AWS's EvaluationResults. */
#include <stdio.h>
#include <string.h>

#include "base/checked.h"
#include "base/arn.h"
#include "iam/span.h"
#include "iam_int.h"
#include "svc/authz.h"

static void free_policy(void *p)
{
    iam_policy_free(p);
}

/* The policies of a simulation, where each came from (SourcePolicyType) and its text (for
 * the statements' positions). */
typedef struct simset {
    const iam_policy **v;
    const char **types, **texts;
    size_t n, cap;
} simset;

typedef struct sim {
    call *c;
    simset identity, boundary;
    const iam_policy *resource;
    const char *resource_text;
    principal who;
    int have_boundary;
    int source_user; /* PolicySourceArn names an IAM user */
} sim;

static int set_push(arena *a, simset *s, const iam_policy *p, const char *type, const char *text)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        const iam_policy **v = arena_alloc(a, cap * sizeof(*v));
        const char **t = arena_alloc(a, cap * sizeof(*t));
        const char **x = arena_alloc(a, cap * sizeof(*x));
        if (!v || !t || !x) return -1;
        if (s->n) {
            memcpy(v, s->v, s->n * sizeof(*v));
            memcpy(t, s->types, s->n * sizeof(*t));
            memcpy(x, s->texts, s->n * sizeof(*x));
        }
        s->v = v;
        s->types = t;
        s->texts = x;
        s->cap = cap;
    }
    s->v[s->n] = p;
    s->texts[s->n] = text;
    s->types[s->n++] = type;
    return 0;
}

/* Parses text into the call's arena. code: the error code for a bad document. */
static int parse(sim *s, simset *set, const char *text, int kind, const char *name,
                 const char *type, const char *code)
{
    call *c = s->c;
    if (!text) return 0;
    iam_policy *p = iam_policy_parse(text, strlen(text), kind, c->err);
    if (!p) {
        if (code && c->err->status != 500) snprintf(c->err->code, sizeof(c->err->code), "%s", code);
        return -1;
    }
    if (arena_defer(c->a, free_policy, p)) {
        iam_policy_free(p);
        return ferr_oom(c->err);
    }
    if (iam_policy_set_name(p, name)) return ferr_oom(c->err);
    /* the text is kept for the statements' positions (a managed policy's is not the call's) */
    const char *kept = arena_strdup(c->a, text);
    if (!kept) return ferr_oom(c->err);
    if (set) return set_push(c->a, set, p, type, kept) ? ferr_oom(c->err) : 0;
    s->resource = p;
    s->resource_text = kept;
    return 0;
}

static int add_managed(sim *s, simset *set, const char *arn)
{
    json_t *pol = NULL;
    int rc = iamsvc_policy_fetch(s->c->txn, s->c->account, arn, &pol, s->c->err);
    if (rc <= 0) return rc;
    json_t *doc = iamsvc_policy_text(s->c->txn, s->c->account, pol, NULL, s->c->err);
    rc = ferr_isset(s->c->err)
             ? -1
             : parse(s, set, json_string_value(doc), IAM_KIND_IDENTITY,
                     arena_strdup(s->c->a, jstr(pol, "PolicyName")),
                     json_is_true(json_object_get(pol, "AwsManaged")) ? "aws-managed"
                                                                      : "user-managed",
                     NULL);
    json_decref(doc);
    json_decref(pol);
    return rc;
}

/* Inline and attached policies of an entity document. */
static int add_entity(sim *s, const json_t *doc, const char *type)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(doc, "InlinePolicies"), k, v)
        if (parse(s, &s->identity, json_string_value(v), IAM_KIND_IDENTITY, k, type, NULL))
            return -1;
    size_t i;
    json_array_foreach(json_object_get(doc, "AttachedPolicies"), i, v)
        if (add_managed(s, &s->identity, json_string_value(v)) < 0) return -1;
    const char *b = jstr(json_object_get(doc, "PermissionsBoundary"), "PermissionsBoundaryArn");
    if (b) {
        s->have_boundary = 1;
        if (add_managed(s, &s->boundary, b) < 0) return -1;
    }
    return 0;
}

/* Loads the policies of PolicySourceArn (a user, group or role of the caller's account). */
static int load_source(sim *s, const char *arn)
{
    call *c = s->c;
    const iamsvc_etype *et;
    const char *name;
    if (!iamsvc_arn_entity(c, arn, &et, &name))
        return ferr_set(c->err, 400, "InvalidInput", "Invalid ARN: Could not be parsed!");
    json_t *doc;
    if (iamsvc_load(c, et, name, &doc)) return -1;
    int rc = add_entity(s, doc, et->noun);
    principal *w = &s->who;
    snprintf(w->account, sizeof(w->account), "%s", c->account);
    snprintf(w->arn, sizeof(w->arn), "%s", jstr(doc, "Arn"));
    snprintf(w->name, sizeof(w->name), "%s", name);
    if (et == &iamsvc_role_t) {
        w->kind = PRIN_ASSUMED_ROLE;
        snprintf(w->role_arn, sizeof(w->role_arn), "%s", jstr(doc, "Arn"));
        snprintf(w->userid, sizeof(w->userid), "%s:simulation", jstr(doc, "RoleId"));
    } else {
        w->kind = PRIN_USER;
        snprintf(w->userid, sizeof(w->userid), "%s", jstr(doc, et->id_key));
        s->source_user = et == &iamsvc_user_t;
    }
    size_t i;
    json_t *g;
    json_array_foreach(et == &iamsvc_user_t ? json_object_get(doc, "Groups") : NULL, i, g) {
        json_t *group = NULL;
        if (rc || iamsvc_fetch(c->txn, &iamsvc_group_t, c->account, json_string_value(g), &group,
                               c->err) < 0) {
            rc = -1;
            break;
        }
        if (group) rc = add_entity(s, group, "group");
        json_decref(group);
    }
    json_decref(doc);
    return rc;
}

static int add_inputs(sim *s, simset *set, const json_t *list, const char *label)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        char *name = arena_printf(s->c->a, "%s.%zu", label, i + 1);
        if (parse(s, set, json_string_value(v) ? json_string_value(v) : "", IAM_KIND_IDENTITY, name,
                  "none", "InvalidInput"))
            return -1;
    }
    if (set == &s->boundary && json_array_size(list)) s->have_boundary = 1;
    return 0;
}

static const char *decision_name(int d)
{
    return d == IAM_ALLOW ? "allowed" : d == IAM_EXPLICIT_DENY ? "explicitDeny" : "implicitDeny";
}

/* Where p came from (SourcePolicyType), and its text in *text (NULL: not known, as for
 * an SCP). */
static const char *source_type(const sim *s, const iam_policy *p, const char **text)
{
    *text = NULL;
    if (p == s->resource) {
        *text = s->resource_text;
        return "resource";
    }
    const simset *sets[] = {&s->identity, &s->boundary};
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < sets[k]->n; i++)
            if (sets[k]->v[i] == p) {
                *text = sets[k]->texts[i];
                return sets[k]->types[i];
            }
    return "none";
}

/* One of MatchedStatements: the policy, and where the statement is in its text (AWS's
 * StartPosition and EndPosition). */
static json_t *matched_statement(const sim *s, const iam_stmt_ref *r)
{
    const char *text;
    const char *type = source_type(s, r->policy, &text);
    json_t *m = json_pack("{s:s, s:s}", "SourcePolicyId", r->policy_name ? r->policy_name : "",
                          "SourcePolicyType", type);
    iam_pos a, b;
    if (m && text && r->index >= 0 &&
        !iam_stmt_span(text, strlen(text), (size_t)r->index, &a, &b)) {
        int rc = json_object_set_new(m, "StartPosition",
                                     json_pack("{s:i, s:i}", "Line", a.line, "Column", a.column)) ||
                 json_object_set_new(m, "EndPosition",
                                     json_pack("{s:i, s:i}", "Line", b.line, "Column", b.column));
        return jdone(m, rc);
    }
    return m;
}

/* Builds the request context from ContextEntries plus what every call has. */
static int add_context(sim *s, iam_request *q, const json_t *entries)
{
    call *c = s->c;
    size_t i, j;
    json_t *e, *v;
    json_array_foreach(entries, i, e) {
        const char *k = jstr(e, "ContextKeyName");
        json_t *vals = json_object_get(e, "ContextKeyValues");
        if (!k) continue;
        size_t n = json_array_size(vals);
        const char **arr = arena_alloc(c->a, (n ? n : 1) * sizeof(*arr));
        if (!arr) return ferr_oom(c->err);
        json_array_foreach(vals, j, v) arr[j] = json_string_value(v) ? json_string_value(v) : "";
        if (iam_request_add_key(q, c->a, k, arr, n)) return ferr_oom(c->err);
    }
    return 0;
}

static json_t *result(sim *s, const char *action, const char *resource, const iam_result *res,
                      const iam_request *q, int org_allowed, int bd_allowed)
{
    json_t *matched = json_array();
    int rc = 0;
    for (int i = 0; i < res->nrefs; i++)
        rc |= json_array_append_new(matched, matched_statement(s, &res->refs[i]));
    const char *dec = decision_name(res->decision);
    json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:[], s:{s:b}, s:{s:s}}", "EvalActionName", action,
                          "EvalResourceName", resource, "EvalDecision", dec, "MatchedStatements",
                          matched, "MissingContextValues", "OrganizationsDecisionDetail",
                          "AllowedByOrganizations", org_allowed, "EvalDecisionDetails",
                          q->resource_policy ? "ResourcePolicy" : "IAMPolicy", dec);
    if (o && s->have_boundary)
        rc |= json_object_set_new(o, "PermissionsBoundaryDecisionDetail",
                                  json_pack("{s:b}", "AllowedByPermissionsBoundary", bd_allowed));
    if (o)
        rc |= json_object_set_new(o, "ResourceSpecificResults",
                                  json_pack("[{s:s, s:s, s:O, s:[]}]", "EvalResourceName", resource,
                                            "EvalResourceDecision", dec, "MatchedStatements",
                                            json_object_get(o, "MatchedStatements"),
                                            "MissingContextValues"));
    return jdone(o, rc);
}

static int run(sim *s, json_t *in, int principal_sim, json_t **out)
{
    call *c = s->c;
    const char *rp = jstr(in, "ResourcePolicy"), *owner = jstr(in, "ResourceOwner");
    const char *caller = jstr(in, "CallerArn");
    if (add_inputs(s, &s->identity, json_object_get(in, "PolicyInputList"), "PolicyInputList") ||
        add_inputs(s, &s->boundary, json_object_get(in, "PermissionsBoundaryPolicyInputList"),
                   "PermissionsBoundaryPolicyInputList") ||
        (rp && parse(s, NULL, rp, IAM_KIND_RESOURCE, "ResourcePolicy", "resource", "InvalidInput")))
        return -1;
    /* AWS: a resource policy needs a caller to match its Principal against */
    if (rp && !caller && !s->source_user)
        return ferr_set(c->err, 400, "InvalidInput",
                        "CallerArn is required when a ResourcePolicy is specified and the "
                        "PolicySourceArn is not an IAM user.");
    if (caller) {
        /* AWS: CallerArn names an IAM user; it stands in for the principal in resource
         * policies and policy variables */
        const char *rest = arn_rest(caller, "iam");
        if (!rest || *rest != ':' || !strstr(caller, ":user/"))
            return ferr_set(c->err, 400, "InvalidInput", "Invalid CallerArn: %s", caller);
        snprintf(s->who.arn, sizeof(s->who.arn), "%s", caller);
        snprintf(s->who.account, sizeof(s->who.account), "%.12s", rest + 1);
        if (!principal_sim) s->who.kind = PRIN_USER;
    }
    if (!s->who.kind) {
        s->who.kind = PRIN_USER;
        snprintf(s->who.account, sizeof(s->who.account), "%s", c->account);
    }
    char racct[13] = "";
    if (owner) {
        const char *p = arn_rest(owner, "iam");
        p = p && *p == ':' ? p + 1 : owner;
        snprintf(racct, sizeof(racct), "%.12s", p);
    }

    authz_org org;
    memset(&org, 0, sizeof(org));
    if (principal_sim && org_authz(c, c->account, &org)) return -1;

    json_t *actions = json_object_get(in, "ActionNames"),
           *resources = json_object_get(in, "ResourceArns");
    json_t *all = json_array();
    size_t i, j;
    json_t *a, *r;
    json_array_foreach(actions, i, a) {
        size_t nr = json_array_size(resources);
        for (j = 0; j < (nr ? nr : 1); j++) {
            r = json_array_get(resources, j);
            const char *res = r && json_string_value(r) ? json_string_value(r) : "*";
            iam_request q;
            memset(&q, 0, sizeof(q));
            q.principal = &s->who;
            q.action = json_string_value(a);
            q.resource = res;
            q.resource_account = racct[0] ? racct : c->account;
            q.identity = (iam_policy_set){s->identity.v, s->identity.n};
            q.boundary = (iam_policy_set){s->boundary.v, s->boundary.n};
            q.resource_policy = s->resource;
            q.scp_layers = org.scp_layers;
            q.nscp_layers = org.nlayers;
            q.scp_exempt = org.exempt;
            q.org_id = org.org_id;
            q.org_paths = org.paths;
            q.norg_paths = org.npaths;
            if (add_context(s, &q, json_object_get(in, "ContextEntries"))) {
                json_decref(all);
                return -1;
            }
            iam_result res_out;
            iam_evaluate(&q, &res_out);
            int org_ok = !(res_out.by == IAM_BY_SCP && res_out.decision != IAM_ALLOW);
            int bd_ok = !(res_out.by == IAM_BY_BOUNDARY && res_out.decision != IAM_ALLOW);
            if (json_array_append_new(
                    all, result(s, q.action ? q.action : "", res, &res_out, &q, org_ok, bd_ok))) {
                json_decref(all);
                return ferr_oom(c->err);
            }
        }
    }
    *out = svc_out(c, json_object());
    int rc = iamsvc_page(c, all, in, *out, "EvaluationResults");
    json_decref(all);
    return rc;
}

int iam_op_simulate_principal_policy(call *c, json_t *in, json_t **out)
{
    const char *src = jstr(in, "PolicySourceArn");
    if (iamsvc_authorize(c, "iam:SimulatePrincipalPolicy", src ? src : "*")) return -1;
    sim s = {.c = c};
    if (load_source(&s, src)) return -1;
    return run(&s, in, 1, out);
}

int iam_op_simulate_custom_policy(call *c, json_t *in, json_t **out)
{
    if (iamsvc_authorize(c, "iam:SimulateCustomPolicy", "*")) return -1;
    sim s = {.c = c};
    return run(&s, in, 0, out);
}
