/* call_authorize: every operation's question to the policy engine. Gathers the caller's
 * identity policies (IAM service), SCPs and RCPs (Organizations), the resource policy and
 * the request context, evaluates with AWS's logic, and words a refusal as AWS does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/lastused.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/gencache.h"
#include "base/hmap.h"
#include "svc/authz.h"
#include "svc/authzmsg.h"
#include "svc/authzwhy.h"

/* A parsed policy, with the text it was parsed from when the text is its key (NULL when a
 * key names it for good) */
typedef struct kept {
    iam_policy *p;
    size_t len;
    char *text;
} kept;

static void kept_free(void *v)
{
    kept *k = v;
    iam_policy_free(k->p);
    free(k->text);
    free(k);
}

static void policy_free(void *p)
{
    iam_policy_free(p);
}

static gencache_static policies = GENCACHE_STATIC(4096, kept_free);

static void release_entry(void *e)
{
    gencache_release(e);
}

const iam_policy *authz_policy(call *c, const char *key, const char *name, const char *text,
                               int kind, gencache_entry **entry, int *oom)
{
    int dummy;
    if (!oom) oom = &dummy;
    if (entry) *entry = NULL;
    if (!key && !text) return NULL;
    /* "k|KIND|key" or "t|KIND|name|length|hash": the text alone does not say what it was
     * parsed as; a text's kilobytes are hashed quickly, not copied into the key, and a hit
     * compares the kept text */
    size_t len = text ? strlen(text) : 0;
    char kd[17], ld[17], hd[17]; /* in hex: arena_printf joins strings without printf */
    enc_hex64((uint64_t)kind, kd);
    enc_hex64(len, ld);
    enc_hex64(text ? hash_long(text, len) : 0, hd);
    char *ck = key ? arena_printf(c->a, "k|%s|%s", kd, key)
                   : arena_printf(c->a, "t|%s|%s|%s|%s", kd, name ? name : "", ld, hd);
    if (!ck) return *oom = 1, NULL;
    gencache *gc = gencache_of(&policies);
    gencache_entry *e = gencache_acquire(gc, ck, 0);
    if (e && !key) { /* another text with the same hash: parsed again, and it takes the key */
        const kept *k = gencache_value(e);
        if (k->len != len || memcmp(k->text, text, len)) {
            gencache_release(e);
            e = NULL;
        }
    }
    if (!e) {
        if (!text) return NULL;
        ferr pe = {0};
        iam_policy *p = iam_policy_parse(text, strlen(text), kind, &pe);
        if (!p) { /* a broken document allows nothing; running out of memory fails the call */
            if (pe.status >= 500) *oom = 1;
            return NULL;
        }
        if (name && iam_policy_set_name(p, name)) {
            iam_policy_free(p);
            return *oom = 1, NULL;
        }
        kept *k = calloc(1, sizeof(*k));
        if (k && !key && !(k->text = strdup(text))) {
            free(k);
            k = NULL;
        }
        if (k) {
            k->p = p;
            k->len = key ? 0 : len;
        }
        e = k ? gencache_insert(gc, ck, 0, k) : NULL;
        if (!e) { /* not kept: the call's own */
            if (k) {
                free(k->text);
                free(k);
            }
            if (arena_defer(c->a, policy_free, p)) {
                iam_policy_free(p);
                return *oom = 1, NULL;
            }
            return p;
        }
    }
    if (arena_defer(c->a, release_entry, e)) {
        gencache_release(e);
        return *oom = 1, NULL;
    }
    if (entry) *entry = e;
    return ((const kept *)gencache_value(e))->p;
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
    /* nobody (an unsigned call) is evaluated only as a federated caller (a web identity) */
    if (!who && !r->federated)
        return ferr_set(c->err, 403, r->denied_code ? r->denied_code : "AccessDenied",
                        "%sanonymous access is not allowed",
                        r->denied_prefix ? r->denied_prefix : "");
    iam_request q;
    memset(&q, 0, sizeof(q));
    q.principal = who;
    q.is_root = who && who->kind == PRIN_ROOT;
    q.federated = r->federated;
    q.action = r->action;
    q.resource = r->resource ? r->resource : "*";
    q.resource_account = r->resource_account ? r->resource_account : arn_account(c->a, q.resource);
    if (!q.resource_account || !*q.resource_account) q.resource_account = c->account;
    if (who && who->kind != PRIN_SERVICE && strcmp(q.resource_account, who->account))
        c->resource_account = arena_strdup(c->a, q.resource_account);

    authz_identity id;
    memset(&id, 0, sizeof(id));
    if (who && who->kind != PRIN_SERVICE && iamsvc_identity(c, who, &id)) return -1;
    q.identity = id.identity;
    q.boundary = id.boundary;
    q.session = id.session;
    q.principal_tags = id.tags;
    q.nprincipal_tags = id.ntags;

    authz_org org;
    memset(&org, 0, sizeof(org));
    if (who && who->kind != PRIN_SERVICE && org_authz(c, who->account, &org)) return -1;
    q.scp_layers = org.scp_layers;
    q.nscp_layers = org.nlayers;
    q.scp_exempt = org.exempt || !who || who->kind == PRIN_SERVICE;
    q.org_id = org.org_id;
    q.org_paths = org.paths;
    q.norg_paths = org.npaths;
    /* AWS: the RCPs of the resource's account restrict every caller, services and anonymous
     * ones too, but not service-linked roles */
    int slr =
        who && who->kind == PRIN_ASSUMED_ROLE && strstr(who->role_arn, ":role/aws-service-role/");
    if (!slr && !r->rcp_exempt &&
        org_rcp(c, q.resource_account, q.action, &q.rcp_layers, &q.nrcp_layers))
        return -1;

    if (r->resource_policy && *r->resource_policy) {
        int oom = 0;
        q.resource_policy =
            authz_policy(c, NULL, NULL, r->resource_policy, IAM_KIND_RESOURCE, NULL, &oom);
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
    /* the client's address and transport; internal calls have neither */
    const char *ip = call_source_ip(c);
    int secure = call_secure(c);
    const char *v_now[] = {now}, *v_epoch[] = {epoch},
               *v_region[] = {c->region ? c->region : "us-east-1"}, *v_ip[] = {ip};
    /* AWS: MFA keys are in the context of requests signed with temporary credentials only
     * (false without MFA); long-term keys have neither, so `Bool ... false` never matches
     * them and `BoolIfExists ... false` does */
    char age[24];
    const char *v_age[] = {age};
    double mfa = who ? who->mfa_auth : 0;
    if (mfa > 0) snprintf(age, sizeof(age), "%lld", mfa < t ? (long long)(t - mfa) : 0);
    iam_ctx_key base[7] = {
        {"aws:CurrentTime", v_now, 1},
        {"aws:EpochTime", v_epoch, 1},
        {"aws:RequestedRegion", v_region, 1},
        {"aws:SecureTransport", secure ? k_true : k_false, 1},
    };
    size_t nbase = 4;
    if (mfa > 0 || (who && who->temporary))
        base[nbase++] = (iam_ctx_key){"aws:MultiFactorAuthPresent", mfa > 0 ? k_true : k_false, 1};
    if (mfa > 0) base[nbase++] = (iam_ctx_key){"aws:MultiFactorAuthAge", v_age, 1};
    if (ip[0]) base[nbase++] = (iam_ctx_key){"aws:SourceIp", v_ip, 1};
    q.keys = base;
    q.nkeys = nbase;
    int err = 0;
    if (c->context) err = add_context(&q, c, c->context);
    if (!err && r->context) err = add_context(&q, c, r->context);
    if (err) return ferr_oom(c->err);

    /* IAM's service last accessed counts attempts, denied ones too (AWS): noted in memory,
     * written with the access keys' last uses (auth/lastused.h) */
    if (who && (who->kind == PRIN_USER || who->kind == PRIN_ROOT ||
                who->kind == PRIN_ASSUMED_ROLE)) /* a role's uses are its sessions' */
        lastused_note_action(who->account,
                             who->kind == PRIN_ASSUMED_ROLE ? who->role_arn : who->arn, r->action,
                             c->region, t);

    iam_result res;
    int d = iam_evaluate(&q, &res);
    if (d == IAM_ALLOW || (r->granted && d != IAM_EXPLICIT_DENY)) return 0;
    char msg[1024];
    iam_denied_message(&q, &res, msg, sizeof(msg));
    const char *prefix = r->denied_prefix ? r->denied_prefix : "";
    ferr_set(c->err, 403, r->denied_code ? r->denied_code : "AccessDenied", "%s%s", prefix, msg);
    /* the trail says which statement or missing allow decided (without it, on OOM, the
     * refusal is still recorded as AWS words it) */
    c->decision = authzwhy_event_data(c, &q, &res, &id, &c->decision_shared);
    /* AWS (EC2): "... because no identity-based policy allows the ec2:X action. Encoded
     * authorization failure message: ..."; without a message (no key, no memory) the
     * refusal still stands, worded without it */
    const char *token = r->encoded ? authzmsg_encode(c, &q, &res) : NULL;
    if (token)
        c->err->long_message = arena_printf(c->a, "%s%s. Encoded authorization failure message: %s",
                                            prefix, msg, token);
    return -1;
}

int call_authorize(call *c, const char *action, const char *resource)
{
    authz_req r = {.action = action, .resource = resource};
    return call_authorize_ex(c, &r);
}
