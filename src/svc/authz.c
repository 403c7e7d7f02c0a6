/* call_authorize: every operation's question to the policy engine. Gathers the caller's
 * identity policies (IAM service), SCPs (Organizations), the resource policy and the
 * request context, evaluates with AWS's logic, and words a refusal as AWS does. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "svc/authz.h"

/* Parsed resource policies, shared between calls: a queue's or topic's policy is the
 * same text call after call. Keyed by the text itself; an entry in use (refs > 0) is never
 * evicted. */
#define RP_CACHE 128
typedef struct rp_entry {
    char *text;
    iam_policy *p;
    int refs;
} rp_entry;
static pthread_mutex_t rp_mu = PTHREAD_MUTEX_INITIALIZER;
static rp_entry rp_cache[RP_CACHE];

static size_t rp_slot(const char *text)
{
    size_t h = 5381;
    for (const char *p = text; *p; p++) h = h * 33 + (unsigned char)*p;
    return h % RP_CACHE;
}

static void rp_release(void *arg)
{
    rp_entry *e = arg;
    pthread_mutex_lock(&rp_mu);
    e->refs--;
    pthread_mutex_unlock(&rp_mu);
}

static void free_policy(void *p)
{
    iam_policy_free(p);
}

/* The parsed policy for text, owned by the cache or (when its slot is busy) by the call's
 * arena; NULL when it does not parse (a stored policy that no longer parses grants
 * nothing) or, with *oom set, when the arena cannot hold it. */
static const iam_policy *resource_policy(call *c, const char *text, int *oom)
{
    rp_entry *e = &rp_cache[rp_slot(text)];
    pthread_mutex_lock(&rp_mu);
    if (e->text && !strcmp(e->text, text)) {
        e->refs++;
        pthread_mutex_unlock(&rp_mu);
        *oom = !arena_own(c->a, rp_release, e);
        return *oom ? NULL : e->p;
    }
    pthread_mutex_unlock(&rp_mu);
    ferr pe = {0};
    iam_policy *p = iam_policy_parse(text, strlen(text), IAM_KIND_RESOURCE, &pe);
    if (!p) return NULL;
    pthread_mutex_lock(&rp_mu);
    if (e->refs == 0) { /* take the slot: the old entry is not in use */
        char *copy = strdup(text);
        if (copy) {
            free(e->text);
            iam_policy_free(e->p);
            e->text = copy;
            e->p = p;
            e->refs = 1;
            pthread_mutex_unlock(&rp_mu);
            *oom = !arena_own(c->a, rp_release, e);
            return *oom ? NULL : p;
        }
    }
    pthread_mutex_unlock(&rp_mu);
    *oom = !arena_own(c->a, free_policy, p);
    return *oom ? NULL : p;
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
    vals[0] = v; /* borrowed from the context document, which outlives the evaluation */
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
        int oom = 0;
        q.resource_policy = resource_policy(c, r->resource_policy, &oom);
        if (oom) return ferr_oom(c->err);
    }
    q.require_resource_policy = r->resource_policy_required;

    /* The request context every call has, then what the caller and service added. The
     * time keys change once a second: formatted once per second per thread. */
    static _Thread_local long long tl_sec = -1;
    static _Thread_local char now[32], epoch[24];
    double t = clock_now();
    if ((long long)t != tl_sec) {
        tl_sec = (long long)t;
        clock_iso8601((double)tl_sec, 0, now);
        snprintf(epoch, sizeof(epoch), "%lld", tl_sec);
    }
    /* Values are borrowed: every one outlives the evaluation below. */
    static const char *const k_true[] = {"true"}, *const k_false[] = {"false"};
    const char *v_now[] = {now}, *v_epoch[] = {epoch},
               *v_region[] = {c->region ? c->region : "us-east-1"},
               *v_ip[] = {c->http ? c->http->source_ip : ""};
    iam_ctx_key base[] = {
        {"aws:CurrentTime", v_now, 1},
        {"aws:EpochTime", v_epoch, 1},
        {"aws:RequestedRegion", v_region, 1},
        {"aws:SecureTransport", c->http && c->http->secure ? k_true : k_false, 1},
        {"aws:MultiFactorAuthPresent", k_false, 1},
        {"aws:SourceIp", v_ip, 1},
    };
    q.keys = base;
    q.nkeys = sizeof(base) / sizeof(base[0]) - !(c->http && c->http->source_ip[0]);
    int err = 0;
    if (c->context) err = add_context(&q, c, c->context);
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
