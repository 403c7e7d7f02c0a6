/* Secret rotation with a Lambda rotation function, as AWS runs it. RotateSecret records the
 * configuration and, to rotate now, a version for the new value (the token, labelled
 * AWSPENDING, no value yet) in the secret's "Rotation" {Enabled, LambdaARN, Rules,
 * LastRotatedDate, NextRotationDate, Token (a rotation in progress), _node (on a shared
 * store, the node running it: engine/leases.h), Error (the last failure)}, in the same
 * transaction as its reply. The rotation engine (engine/sm_rotation.c,
 * through secretsmanager.h) then invokes the function synchronously for createSecret,
 * setSecret, testSecret and finishSecret, as secretsmanager.amazonaws.com, outside any
 * transaction (the function calls Secrets Manager back). A step that fails ends the
 * rotation and AWSPENDING stays where it is, as in AWS; the next RotateSecret is refused
 * until it is cleared, and the next scheduled rotation reattempts it. A rotation whose Token
 * survives a crash is run again from createSecret: AWS's rotation functions are written so
 * that each step can run again. */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/schedule.h"
#include "engine/leases.h"
#include "secretsmanager.h"
#include "secretsmanager_int.h"

#define PRINCIPAL "secretsmanager.amazonaws.com"

static const char rotation_marker = 0; /* c->arg of the engine's own entry points */
static void (*waker)(void);

void sm_rotation_set_waker(void (*fn)(void))
{
    __atomic_store_n(&waker, fn, __ATOMIC_RELEASE);
}

static void wake(void *unused)
{
    (void)unused;
    void (*fn)(void) = __atomic_load_n(&waker, __ATOMIC_ACQUIRE);
    if (fn) fn();
}

double sm_rotation_now(void)
{
    const char *off = getenv("FERRY_SM_ROTATION_CLOCK_OFFSET"); /* test seam */
    return clock_now() + (off ? atof(off) : 0);
}

static void service_principal(principal *p, const char *account)
{
    memset(p, 0, sizeof(*p));
    p->kind = PRIN_SERVICE;
    snprintf(p->account, sizeof(p->account), "%s", account);
    snprintf(p->service, sizeof(p->service), PRINCIPAL);
    snprintf(p->arn, sizeof(p->arn), PRINCIPAL);
}

/* AWS: Lambda's policy may require the secret's account (and ARN) of Secrets Manager. */
static json_t *source_context(const char *account, const char *arn)
{
    return json_pack("{s:s, s:s}", "aws:SourceAccount", account, "aws:SourceArn", arn);
}

/* ---- schedules ---- */

static double day_start(double t)
{
    return (double)((long long)(t / 86400.0)) * 86400.0;
}

/* RotationRules as RotateSecret takes them: 0, or -1 with InvalidParameterException. */
static int rules_check(call *c, const json_t *rules)
{
    json_t *days = json_object_get(rules, "AutomaticallyAfterDays");
    const char *expr = jstr(rules, "ScheduleExpression"), *dur = jstr(rules, "Duration");
    if (days && expr)
        return sm_invalid_param(c, "You can't specify both AutomaticallyAfterDays and "
                                   "ScheduleExpression in RotationRules.");
    if (!days && !expr)
        return sm_invalid_param(c, "RotationRules must have AutomaticallyAfterDays or "
                                   "ScheduleExpression.");
    if (days &&
        (!json_is_integer(days) || json_integer_value(days) < 1 || json_integer_value(days) > 1000))
        return sm_invalid_param(c, "AutomaticallyAfterDays must be between 1 and 1000 days.");
    sched s;
    const char *why;
    if (expr && sched_parse(expr, &s, &why))
        return sm_invalid_param(c, "Invalid ScheduleExpression %s: %s", expr, why);
    int hours = 0;
    if (json_object_get(rules, "Duration") && sched_duration(dur, &hours))
        return sm_invalid_param(c, "Invalid Duration: the rotation window is given in hours, "
                                   "from 1h to 24h.");
    /* AWS: the window must end before the next one starts */
    if (hours && expr && !s.cron && s.rate_hours && hours * 3600.0 > s.rate_s)
        return sm_invalid_param(c, "The rotation window (Duration) must not extend into the next "
                                   "rotation window.");
    return 0;
}

/* When the rotation window after base opens (-1: never). Days: the UTC day of base plus the
 * interval, whose window is that whole day; a rate in hours: base plus the rate; a cron:
 * its next firing after base. */
static double next_window(const json_t *rules, double base)
{
    long long days = jint(rules, "AutomaticallyAfterDays", 0);
    const char *expr = jstr(rules, "ScheduleExpression"), *why;
    sched s;
    if (expr) {
        if (sched_parse(expr, &s, &why)) return -1;
        if (s.cron) return sched_next(&s, base);
        return s.rate_hours ? base + s.rate_s : day_start(base + s.rate_s);
    }
    return days > 0 ? day_start(base + (double)days * 86400.0) : -1;
}

/* Sets NextRotationDate of rot from base (removes it when there is none). */
static int schedule(json_t *rot, double base)
{
    double next = jbool(rot, "Enabled", 0) ? next_window(json_object_get(rot, "Rules"), base) : -1;
    if (next < 0) {
        json_object_del(rot, "NextRotationDate");
        return 0;
    }
    return json_object_set_new(rot, "NextRotationDate", json_real(next));
}

/* ---- versions ---- */

/* The token of the rotation in progress: the engine's, or a version labelled AWSPENDING
 * that is not AWSCURRENT (AWS: a later RotateSecret takes it as a rotation in progress). */
static const char *in_progress(const json_t *doc)
{
    const char *tok = jstr(json_object_get(doc, "Rotation"), "Token");
    if (tok) return tok;
    const json_t *versions = json_object_get(doc, "Versions");
    const char *pending = sm_stage_holder(versions, "AWSPENDING"),
               *cur = sm_stage_holder(versions, "AWSCURRENT");
    return pending && (!cur || strcmp(pending, cur)) ? pending : NULL;
}

/* The rotation's version: token labelled AWSPENDING, with no value yet unless again (a
 * rotation reattempted with the version an earlier attempt left). 0 or -1. */
static int pending_version(call *c, json_t *doc, const char *token, int again)
{
    json_t *versions = json_object_get(doc, "Versions"), *have = json_object_get(versions, token);
    if (have && json_object_get(have, "Value") && !again)
        return ferr_set(c->err, 400, "ResourceExistsException",
                        "A version with this ClientRequestToken already exists.");
    if (!have &&
        json_object_set_new(versions, token,
                            json_pack("{s:f, s:[]}", "CreatedDate", clock_now(), "Stages")))
        return ferr_oom(c->err);
    return sm_stage_move(versions, "AWSPENDING", token) ? ferr_oom(c->err) : 0;
}

/* ---- RotateSecret, CancelRotateSecret ---- */

/* Secrets Manager may invoke fn for s: Lambda's own DryRun, as the service principal. */
static int may_invoke(call *c, const sm_secret *s, const char *fn)
{
    principal p;
    service_principal(&p, s->account);
    json_t *in = json_pack("{s:s, s:s}", "FunctionName", fn, "InvocationType", "DryRun"),
           *ctx = source_context(s->account, s->arn), *out = NULL;
    ferr e = {0};
    int rc = !in || !ctx ? ferr_oom(&e)
                         : svc_invoke_in(c->txn, c->a, c->env, &p, c->region, "lambda", "Invoke",
                                         in, &out, ctx, &e);
    json_decref(in);
    json_decref(ctx);
    json_decref(out);
    if (!rc) return 0;
    if (e.status >= 500) {
        *c->err = e;
        return -1;
    }
    return ferr_set(c->err, 400, "AccessDenied",
                    "Secrets Manager cannot invoke the specified Lambda function. Ensure that the "
                    "function policy grants access to the principal %s.",
                    PRINCIPAL);
}

int secretsmanager_op_rotate_secret(call *c, json_t *in, json_t **out)
{
    sm_secret s;
    const char *token = jstr(in, "ClientRequestToken"), *fn = jstr(in, "RotationLambdaARN");
    json_t *rules = json_object_get(in, "RotationRules");
    int now_too = jbool(in, "RotateImmediately", 1);
    if (token && (strlen(token) < 32 || strlen(token) > 64))
        return sm_invalid_param(c, "ClientRequestToken must be 32 to 64 characters long.");
    if ((rules && rules_check(c, rules)) ||
        sm_open(c, jstr(in, "SecretId"), "secretsmanager:RotateSecret", 1, &s))
        return -1;
    json_t *rot = json_object_get(s.doc, "Rotation");
    if (!rot) {
        if (json_object_set_new(s.doc, "Rotation", json_object())) return ferr_oom(c->err);
        rot = json_object_get(s.doc, "Rotation");
    }
    if (!fn) fn = jstr(rot, "LambdaARN");
    if (!fn)
        return sm_invalid_request(c, "No Lambda rotation function ARN is associated with this "
                                     "secret.");
    const char *busy = now_too ? in_progress(s.doc) : NULL;
    if (busy && token && !strcmp(busy, token) && jstr(rot, "Token")) {
        /* the same request again (SDKs retry with the token they made): it is under way */
        *out = svc_out(
            c, json_pack("{s:s, s:s, s:s}", "ARN", s.arn, "Name", s.name, "VersionId", token));
        return 0;
    }
    if (busy)
        return sm_invalid_request(c, "A previous rotation isn't complete. That rotation will be "
                                     "reattempted.");
    if (may_invoke(c, &s, fn)) return -1;
    if (jset_str(rot, "LambdaARN", fn) || json_object_set_new(rot, "Enabled", json_true()) ||
        (rules && json_object_set_new(rot, "Rules", json_deep_copy(rules))))
        return ferr_oom(c->err);
    char uuid[37];
    if (now_too) {
        if (!token) {
            ids_uuid(uuid);
            token = uuid;
        }
        if (pending_version(c, s.doc, token, 0) || jset_str(rot, "Token", token)) return -1;
        json_object_del(rot, "NextRotationDate"); /* set when this rotation ends */
        json_object_del(rot, "_node");            /* claimed by the node that runs it */
    } else {
        /* the next window after the last rotation (or the secret's creation); a cron counts
         * from now */
        json_t *last = json_object_get(rot, "LastRotatedDate");
        double base = json_number_value(last ? last : json_object_get(s.doc, "CreatedDate"));
        const char *expr = jstr(json_object_get(rot, "Rules"), "ScheduleExpression");
        if (expr && !strncmp(expr, "cron(", 5) && base < sm_rotation_now())
            base = sm_rotation_now();
        if (schedule(rot, base)) return ferr_oom(c->err);
    }
    if (sm_save(c, &s)) return -1;
    if (arena_defer(c->a, wake, NULL)) return ferr_oom(c->err); /* after the commit */
    json_t *o = json_pack("{s:s, s:s}", "ARN", s.arn, "Name", s.name);
    if (o && now_too && jset_str(o, "VersionId", token)) {
        json_decref(o);
        o = NULL;
    }
    *out = svc_out(c, o);
    return 0;
}

int secretsmanager_op_cancel_rotate_secret(call *c, json_t *in, json_t **out)
{
    sm_secret s;
    if (sm_open(c, jstr(in, "SecretId"), "secretsmanager:CancelRotateSecret", 1, &s)) return -1;
    json_t *rot = json_object_get(s.doc, "Rotation");
    const char *vid = in_progress(s.doc);
    json_t *o = json_pack("{s:s, s:s, s:s*}", "ARN", s.arn, "Name", s.name, "VersionId", vid);
    if (!o) return ferr_oom(c->err);
    *out = svc_out(c, o);
    /* AWS: rotation is off and the rotation in progress ends; AWSPENDING stays where it is,
     * for the owner to clear (UpdateSecretVersionStage) */
    if (rot) {
        if (json_object_set_new(rot, "Enabled", json_false())) return ferr_oom(c->err);
        json_object_del(rot, "Token");
        json_object_del(rot, "_node");
        json_object_del(rot, "NextRotationDate");
    }
    return sm_save(c, &s);
}

int sm_rotation_describe(const json_t *doc, json_t *o)
{
    const json_t *rot = json_object_get(doc, "Rotation");
    int on = jbool(rot, "Enabled", 0);
    if (json_object_set_new(o, "RotationEnabled", json_boolean(on))) return -1;
    static const char *const keys[][2] = {{"LambdaARN", "RotationLambdaARN"},
                                          {"Rules", "RotationRules"},
                                          {"LastRotatedDate", "LastRotatedDate"},
                                          {"NextRotationDate", "NextRotationDate"}};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(rot, keys[i][0]);
        if (v && json_object_set(o, keys[i][1], v)) return -1;
    }
    return 0;
}

/* ---- the engine's side ---- */

typedef struct due_ud {
    json_t *out;
    double now;
    int oom;
} due_ud;

static int due_one(void *ud, const store_key *k, json_t *doc)
{
    due_ud *u = ud;
    const json_t *rot = json_object_get(doc, "Rotation");
    const json_t *next = json_object_get(rot, "NextRotationDate");
    int due = jstr(rot, "Token") ||
              (jbool(rot, "Enabled", 0) && next && json_number_value(next) <= u->now);
    if (!due || json_object_get(doc, "DeletionDate")) return 0;
    if (json_array_append_new(u->out, json_pack("{s:s, s:s, s:s, s:s}", "Account", k->account,
                                                "Region", k->region, "Name", k->id, "ARN",
                                                jstr(doc, "ARN") ? jstr(doc, "ARN") : "")))
        u->oom = 1;
    return u->oom;
}

int sm_rotation_due(store *st, double now, json_t **due, ferr *e)
{
    due_ud u = {json_array(), now, 0};
    store_txn *t = NULL;
    *due = NULL;
    if (!u.out) return ferr_oom(e);
    if (store_begin(st, 0, &t, e) ||
        store_list(t, SM_KIND, NULL, NULL, NULL, NULL, 0, due_one, &u, e) < 0 || u.oom) {
        store_rollback(t);
        json_decref(u.out);
        return u.oom ? ferr_oom(e) : -1;
    }
    store_rollback(t);
    *due = u.out;
    return 0;
}

/* The engine's entry points run as secretsmanager.amazonaws.com with c->arg set: the secret
 * in "SecretId" (its name in the caller's account and region), and "Token". */
static int load_own(call *c, const json_t *in, sm_secret *s)
{
    if (c->arg != &rotation_marker) return ferr_internal(c->err, "not the rotation engine");
    return sm_load(c, c->account, jstr(in, "SecretId"), s);
}

/* RotationStarted: the rotation in progress, or a new one when still due. Out: {"Token",
 * "LambdaARN"} ({} when there is nothing to do). On a shared store the rotation is claimed
 * for this node ("_node", leases.h): one that another live node runs is left to it. */
static int op_start(call *c, json_t *in, json_t **out)
{
    sm_secret s;
    int rc = load_own(c, in, &s);
    if (rc <= 0) return rc ? -1 : (*out = svc_out(c, json_object()), 0);
    json_t *rot = json_object_get(s.doc, "Rotation");
    const char *tok = jstr(rot, "Token"), *fn = jstr(rot, "LambdaARN");
    const json_t *next = json_object_get(rot, "NextRotationDate");
    char uuid[37];
    int dirty = 0;
    if (!tok && fn && !sm_deleted(&s) && jbool(rot, "Enabled", 0) && next &&
        json_number_value(next) <= sm_rotation_now()) {
        /* AWS: a rotation left unfinished is reattempted with its own version */
        tok = in_progress(s.doc);
        if (!tok) {
            ids_uuid(uuid);
            tok = uuid;
        }
        if (pending_version(c, s.doc, tok, 1) || jset_str(rot, "Token", tok)) return -1;
        json_object_del(rot, "_node");
        tok = jstr(rot, "Token");
        dirty = 1;
    }
    const char *self = leases_self(c->env);
    if (tok && *self) {
        /* this node's own (a --node-id kept across a restart, or a run whose end was not
         * recorded) goes on; a dead node's is taken over */
        char was[64];
        int take =
            leases_take(c->txn, self, rot, "_node", 1, clock_now(), was, sizeof(was), c->err);
        if (take < 0) return -1;
        if (!take) { /* another live node's (never a rotation just begun: no node's) */
            *out = svc_out(c, json_object());
            return 0;
        }
        if (take == 2 && was[0])
            log_info("secretsmanager: taking over the rotation of %s from node %s", s.arn, was);
        dirty |= take == 2;
    }
    if (dirty && sm_save(c, &s)) return -1;
    call_resource(c, "AWS::SecretsManager::Secret", s.arn);
    *out = svc_out(c, tok && fn ? json_pack("{s:s, s:s}", "Token", tok, "LambdaARN", fn)
                                : json_object());
    return 0;
}

/* The rotation of in's Token ends: RotationSucceeded when finishSecret moved AWSCURRENT to
 * its version, else RotationFailed with in's "Message". A rotation that was cancelled or
 * replaced meanwhile is left alone. */
static int op_end(call *c, json_t *in, json_t **out)
{
    (void)out;
    sm_secret s;
    int rc = load_own(c, in, &s);
    if (rc <= 0) return rc;
    call_resource(c, "AWS::SecretsManager::Secret", s.arn);
    json_t *rot = json_object_get(s.doc, "Rotation"),
           *versions = json_object_get(s.doc, "Versions");
    const char *tok = jstr(in, "Token"), *mine = jstr(rot, "Token");
    if (!tok || !mine || strcmp(tok, mine)) return 0;
    const char *why = jstr(in, "Message"), *cur = sm_stage_holder(versions, "AWSCURRENT");
    if (!why && (!cur || strcmp(cur, tok))) {
        why = "finishSecret did not move the staging label AWSCURRENT to the new version.";
        c->op = "RotationFailed"; /* the trail's event says what happened */
    }
    double now = sm_rotation_now();
    if (why) {
        log_warn("secretsmanager: rotation of %s failed: %s", s.arn, why);
        if (jset_str(rot, "Error", why)) return ferr_oom(c->err);
    } else {
        /* AWS: the new version keeps AWSCURRENT only; AWSPENDING is no longer attached */
        if (sm_stage_remove(versions, tok, "AWSPENDING") ||
            json_object_set_new(rot, "LastRotatedDate", json_real(now)) ||
            json_object_set_new(s.doc, "LastChangedDate", json_real(clock_now())))
            return ferr_oom(c->err);
        json_object_del(rot, "Error");
    }
    json_object_del(rot, "Token");
    json_object_del(rot, "_node");
    /* a failed rotation is reattempted in the next window */
    if (schedule(rot, now)) return ferr_oom(c->err);
    return sm_save(c, &s);
}

/* Whether the rotation of token is still the secret's (not cancelled) and this node's (not
 * taken over by another while this one stalled): 1, 0, or -1. */
static int still_mine(ferry_env *env, const json_t *secret, const char *token, ferr *e)
{
    store_txn *t = NULL;
    store_key k = {SM_KIND, jstr(secret, "Account"), jstr(secret, "Region"), jstr(secret, "Name")};
    json_t *doc = NULL;
    if (store_begin(env->st, 0, &t, e)) return -1;
    int rc = store_get(t, &k, &doc, e);
    store_rollback(t);
    if (rc <= 0) return rc;
    const json_t *rot = json_object_get(doc, "Rotation");
    const char *mine = jstr(rot, "Token"), *self = leases_self(env), *node = jstr(rot, "_node");
    rc = mine && !strcmp(mine, token) && (!*self || (node && !strcmp(node, self)));
    json_decref(doc);
    return rc;
}

/* Invokes fn for step: NULL, or why it failed (in a). */
static const char *invoke_step(ferry_env *env, arena *a, const json_t *secret, const char *fn,
                               const char *step, const char *token)
{
    const char *account = jstr(secret, "Account"), *arn = jstr(secret, "ARN");
    principal p;
    service_principal(&p, account);
    json_t *ev =
        json_pack("{s:s, s:s, s:s}", "Step", step, "SecretId", arn, "ClientRequestToken", token);
    char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    char *b64 = text ? enc_b64(a, (const unsigned char *)text, strlen(text)) : NULL;
    json_t *in = b64 ? json_pack("{s:s, s:s}", "FunctionName", fn, "Payload", b64) : NULL;
    json_t *ctx = source_context(account, arn), *out = NULL;
    const char *why = NULL;
    ferr e = {0};
    if (!in || !ctx) {
        why = "out of memory";
    } else if (svc_invoke(env, &p, jstr(secret, "Region"), "lambda", "Invoke", in, &out, ctx, &e)) {
        why = arena_printf(a, "Secrets Manager cannot invoke the rotation function at %s: %s: %s",
                           step, e.code, e.message);
    } else if (jstr(out, "FunctionError")) {
        /* the function's error document: {"errorMessage", "errorType", ...} */
        size_t n = 0;
        const char *pl = jstr(out, "Payload");
        unsigned char *raw = pl ? enc_unb64(a, pl, strlen(pl), &n) : NULL;
        json_t *doc = raw ? json_loadb((const char *)raw, n, 0, NULL) : NULL;
        const char *msg = jstr(doc, "errorMessage");
        why = arena_printf(a, "The rotation function failed at %s: %s", step,
                           msg ? msg : "unhandled error");
        json_decref(doc);
    }
    if (!why && (!in || !ctx)) why = "out of memory";
    json_decref(ev);
    json_decref(in);
    json_decref(ctx);
    json_decref(out);
    free(text);
    return why;
}

static int call_own(ferry_env *env, const json_t *secret, const svc_op *op, json_t *in,
                    json_t **out, ferr *e)
{
    principal p;
    service_principal(&p, jstr(secret, "Account"));
    if (!in) return ferr_oom(e);
    int rc = svc_invoke_fn(env, &p, jstr(secret, "Region"), "secretsmanager", op, &rotation_marker,
                           in, out, e);
    json_decref(in);
    return rc;
}

int sm_rotation_run(ferry_env *env, const json_t *secret, ferr *e)
{
    static const svc_op start = {"RotationStarted", op_start, 0},
                        ok = {"RotationSucceeded", op_end, 0},
                        failed = {"RotationFailed", op_end, 0};
    static const char *const steps[] = {"createSecret", "setSecret", "testSecret", "finishSecret"};
    json_t *out = NULL;
    const char *name = jstr(secret, "Name");
    if (call_own(env, secret, &start, json_pack("{s:s}", "SecretId", name), &out, e)) return -1;
    arena *a = arena_new(1024);
    const char *token = a && jstr(out, "Token") ? arena_strdup(a, jstr(out, "Token")) : NULL;
    const char *fn = a && jstr(out, "LambdaARN") ? arena_strdup(a, jstr(out, "LambdaARN")) : NULL;
    json_decref(out);
    int rc = !a ? ferr_oom(e) : 0;
    const char *why = NULL;
    if (token && fn)
        log_info("secretsmanager: rotating %s (version %s)", jstr(secret, "ARN"), token);
    for (size_t i = 0; token && fn && !why && i < sizeof(steps) / sizeof(steps[0]); i++) {
        int mine = still_mine(env, secret, token, e);
        if (mine <= 0) {
            rc = mine; /* cancelled (CancelRotateSecret), or the store failed */
            goto done;
        }
        why = invoke_step(env, a, secret, fn, steps[i], token);
    }
    if (token && fn) {
        out = NULL;
        rc = call_own(
            env, secret, why ? &failed : &ok,
            json_pack("{s:s, s:s, s:s*}", "SecretId", name, "Token", token, "Message", why), &out,
            e);
        json_decref(out);
    }
done:
    arena_free(a);
    return rc;
}
