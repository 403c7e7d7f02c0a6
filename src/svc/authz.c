/* call_authorize: every operation's question to the policy engine. Gathers the caller's
 * identity policies (IAM service), SCPs (Organizations), the resource policy and the
 * request context, evaluates with AWS's logic, and words a refusal as AWS does. */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "svc/authz.h"

static void free_policy(void *p)
{
    iam_policy_free(p);
}

/* Account of an ARN ("arn:aws:sqs:us-east-1:111122223333:q" -> "111122223333"), or NULL. */
static const char *arn_account(arena *a, const char *arn)
{
    if (!arn || strncmp(arn, "arn:", 4)) return NULL;
    const char *p = arn;
    for (int i = 0; i < 4; i++) {
        p = strchr(p, ':');
        if (!p) return NULL;
        p++;
    }
    const char *end = strchr(p, ':');
    if (!end || end == p) return NULL;
    return arena_strndup(a, p, (size_t)(end - p));
}

static int add(iam_request *q, arena *a, const char *k, const char *v)
{
    const char **vals = arena_alloc(a, sizeof(*vals));
    if (!vals) return -1;
    vals[0] = arena_strdup(a, v);
    return iam_request_add_key(q, a, k, vals, 1);
}

static int add_context(iam_request *q, call *c, const json_t *ctx)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)ctx, k, v) {
        if (json_is_string(v)) {
            if (add(q, c->a, k, json_string_value(v))) return -1;
        } else if (json_is_array(v)) {
            size_t n = json_array_size(v), i;
            const char **vals = arena_alloc(c->a, (n ? n : 1) * sizeof(*vals));
            if (!vals) return -1;
            json_t *x;
            json_array_foreach(v, i, x) vals[i] = json_string_value(x) ? json_string_value(x) : "";
            if (iam_request_add_key(q, c->a, k, vals, n)) return -1;
        }
    }
    return 0;
}

int call_authorize_ex(call *c, const authz_req *r)
{
    const principal *who = c->who;
    if (!who) return ferr_set(c->err, 403, r->denied_code ? r->denied_code : "AccessDenied",
                              "anonymous access is not allowed");
    iam_request q;
    memset(&q, 0, sizeof(q));
    q.principal = who;
    q.is_root = who->kind == PRIN_ROOT;
    q.action = r->action;
    q.resource = r->resource ? r->resource : "*";
    q.resource_account = r->resource_account ? r->resource_account : arn_account(c->a, q.resource);
    if (!q.resource_account || !*q.resource_account) q.resource_account = c->account;
    if (who->kind != PRIN_SERVICE && strcmp(q.resource_account, who->account))
        c->resource_account = arena_strdup(c->a, q.resource_account);

    authz_identity id;
    memset(&id, 0, sizeof(id));
    if (who->kind != PRIN_SERVICE && iamsvc_identity(c, who, &id)) return -1;
    q.identity = id.identity;
    q.boundary = id.boundary;
    q.session = id.session;
    q.principal_tags = id.tags;
    q.nprincipal_tags = id.ntags;

    authz_org org;
    memset(&org, 0, sizeof(org));
    if (who->kind != PRIN_SERVICE && org_authz(c, who->account, &org)) return -1;
    q.scp_layers = org.scp_layers;
    q.nscp_layers = org.nlayers;
    q.scp_exempt = org.exempt || who->kind == PRIN_SERVICE;
    q.org_id = org.org_id;
    q.org_paths = org.paths;
    q.norg_paths = org.npaths;

    if (r->resource_policy && *r->resource_policy) {
        ferr pe = {0};
        iam_policy *p = iam_policy_parse(r->resource_policy, strlen(r->resource_policy),
                                         IAM_KIND_RESOURCE, &pe);
        if (p) {
            arena_defer(c->a, free_policy, p);
            q.resource_policy = p;
        }
        /* a stored policy that no longer parses grants nothing */
    }

    /* The request context every call has, then what the caller and service added. */
    char now[32], epoch[32];
    double t = clock_now();
    clock_iso8601(t, 0, now);
    snprintf(epoch, sizeof(epoch), "%lld", (long long)t);
    int err = add(&q, c->a, "aws:CurrentTime", now) || add(&q, c->a, "aws:EpochTime", epoch) ||
              add(&q, c->a, "aws:RequestedRegion", c->region ? c->region : "us-east-1") ||
              add(&q, c->a, "aws:SecureTransport", c->http && c->http->secure ? "true" : "false") ||
              add(&q, c->a, "aws:MultiFactorAuthPresent", "false");
    if (!err && c->http && c->http->source_ip[0])
        err = add(&q, c->a, "aws:SourceIp", c->http->source_ip);
    if (!err && c->context) err = add_context(&q, c, c->context);
    if (!err && r->context) err = add_context(&q, c, r->context);
    if (err) return ferr_oom(c->err);

    iam_result res;
    if (iam_evaluate(&q, &res) == IAM_ALLOW) return 0;
    char msg[1024];
    iam_denied_message(&q, &res, msg, sizeof(msg));
    return ferr_set(c->err, 403, r->denied_code ? r->denied_code : "AccessDenied", "%s", msg);
}

int call_authorize(call *c, const char *action, const char *resource)
{
    authz_req r = {.action = action, .resource = resource};
    return call_authorize_ex(c, &r);
}
