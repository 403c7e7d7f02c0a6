/* The engine's sweep (engine/events_bus.c runs it): fires the schedules that are due and
 * delivers the queued events that are due, each in a write transaction of its own.
 *
 * A delivery to a queue, a topic or a function runs inside the transaction that deletes
 * it (svc_invoke_in as the events.amazonaws.com service principal, with aws:SourceArn =
 * the rule: the resource's policy decides, as in AWS), so it happens once. A bus target's
 * event goes through the receiving account's PutEvents (its bus policy decides) and is
 * then settled: at least once. A failure is retried with backoff (1 s doubling to five
 * minutes, times FERRY_EVENTS_TIME_SCALE) while the target's RetryPolicy allows
 * (MaximumRetryAttempts 185, MaximumEventAgeInSeconds 86400 by default), except refusals
 * and missing resources, which AWS does not retry; then the event goes to the target's
 * dead-letter queue when it has one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/log.h"
#include "events_int.h"
#include "svc/codepipeline/codepipeline.h"
#include "svc/session.h"

#define BATCH 256 /* deliveries taken per sweep; more: the engine is kicked again */

typedef struct due {
    double now;
    json_t *keys; /* [[account, region, id]] */
    int more;
} due;

static int collect(void *ud, const store_key *k, json_t *doc)
{
    due *d = ud;
    if (json_number_value(json_object_get(doc, "NextAt")) > d->now) return 0;
    if (json_array_size(d->keys) >= BATCH) return d->more = 1;
    return json_array_append_new(d->keys, json_pack("[s,s,s]", k->account, k->region, k->id));
}

/* ---- schedules ---- */

static void fire(ferry_env *env, const char *account, const char *region, const char *id)
{
    store_txn *t;
    ferr e = {0};
    if (store_begin(env->st, 1, &t, &e)) goto out;
    store_key sk = {EVENTS_SCHEDULE_KIND, account, region, id};
    store_key rk = {EVENTS_RULE_KIND, account, region, id};
    json_t *s = NULL, *rule = NULL, *ev = NULL;
    arena *a = arena_new(256);
    double now = clock_now(), at, next;
    if (!a) {
        ferr_oom(&e);
        goto done;
    }
    if (store_get(t, &sk, &s, &e) != 1) goto done;
    at = json_number_value(json_object_get(s, "NextAt"));
    if (at > now) goto done;
    int have = store_get(t, &rk, &rule, &e);
    if (have < 0) goto done;
    const char *expr = have ? jstr(rule, "ScheduleExpression") : NULL;
    if (!expr || events_schedule_next(expr, at, &next)) {
        /* the rule is gone, or no longer a schedule */
        if (store_del(t, &sk, &e) >= 0) {
            int rc = store_commit(t, &e);
            t = NULL;
            (void)rc;
        }
        goto done;
    }
    if (next < now) events_schedule_next(expr, now, &next); /* behind (a restart): skip ahead */
    if (!strcmp(jstr(rule, "State") ? jstr(rule, "State") : "", "ENABLED")) {
        const char *arn = events_rule_arn(a, region, account, "default", jstr(rule, "Name"));
        json_t *res = json_pack("[s]", arn ? arn : "");
        ev = events_envelope(account, region, "aws.events", "Scheduled Event", NULL, res, at);
        json_decref(res);
        if (!ev) {
            ferr_oom(&e);
            goto done;
        }
        if (events_enqueue(t, account, region, "default", ev, jstr(rule, "Name"), &e)) goto done;
    }
    if (json_object_set_new(s, "NextAt", json_real(next))) {
        ferr_oom(&e);
        goto done;
    }
    if (store_put(t, &sk, s, &e) == 0) {
        int rc = store_commit(t, &e);
        t = NULL;
        (void)rc;
    }
done:
    store_rollback(t);
    json_decref(s);
    json_decref(rule);
    json_decref(ev);
    arena_free(a);
out:
    if (ferr_isset(&e)) log_error("eventbridge: schedule %s: %s", id, e.message);
}

/* ---- deliveries ---- */

typedef struct target_kind {
    const char *service; /* in the target's ARN */
    /* 0 delivered, or -1 with e; t/a: the delivery's transaction (NULL for bus targets) */
    int (*send)(ferry_env *env, store_txn *t, arena *a, const char *account, const char *region,
                const json_t *doc, const char *input, ferr *e);
} target_kind;

static const char *arn_region(arena *a, const char *arn)
{
    const char *r = arn_rest(arn, NULL), *p = r ? strchr(r, ':') : NULL;
    const char *q = p ? strchr(p + 1, ':') : NULL;
    return q ? arena_strndup(a, p + 1, (size_t)(q - p - 1)) : NULL;
}

static void service_principal(principal *p, const char *account)
{
    session_service_principal(p, "events.amazonaws.com", account);
}

/* AWS: EventBridge calls on the rule's behalf, so resource policies can require
 * aws:SourceArn (the rule) and aws:SourceAccount (its owner). */
static int invoke_as_events(ferry_env *env, store_txn *t, arena *a, const char *account,
                            const char *arn, const char *service, const char *op, json_t *in,
                            const json_t *doc, ferr *e)
{
    const char *region = arn_region(a, arn);
    principal p;
    service_principal(&p, account);
    json_t *ctx = json_pack("{s:s, s:s}", "aws:SourceArn", jstr(doc, "RuleArn"),
                            "aws:SourceAccount", account),
           *out = NULL;
    int rc = !in || !ctx || !region
                 ? ferr_oom(e)
                 : svc_invoke_in(t, a, env, &p, region, service, op, in, &out, ctx, e);
    json_decref(in);
    json_decref(ctx);
    json_decref(out);
    return rc;
}

static int send_sqs(ferry_env *env, store_txn *t, arena *a, const char *account, const char *region,
                    const json_t *doc, const char *input, ferr *e)
{
    (void)region;
    const json_t *tg = json_object_get(doc, "Target");
    const char *arn = jstr(tg, "Arn");
    json_t *in = json_pack("{s:s, s:s}", "QueueUrl", arn, "MessageBody", input);
    const char *grp = jstr(json_object_get(tg, "SqsParameters"), "MessageGroupId");
    if (in && grp &&
        (jset_str(in, "MessageGroupId", grp) ||
         jset_str(in, "MessageDeduplicationId", jstr(json_object_get(doc, "Event"), "id"))))
        json_decref(in), in = NULL;
    return invoke_as_events(env, t, a, account, arn, "sqs", "SendMessage", in, doc, e);
}

static int send_sns(ferry_env *env, store_txn *t, arena *a, const char *account, const char *region,
                    const json_t *doc, const char *input, ferr *e)
{
    (void)region;
    const char *arn = jstr(json_object_get(doc, "Target"), "Arn");
    return invoke_as_events(env, t, a, account, arn, "sns", "Publish",
                            json_pack("{s:s, s:s}", "TopicArn", arn, "Message", input), doc, e);
}

/* Lambda: an asynchronous invocation, queued in Lambda's own durable Event queue. */
static int send_lambda(ferry_env *env, store_txn *t, arena *a, const char *account,
                       const char *region, const json_t *doc, const char *input, ferr *e)
{
    (void)region;
    const char *arn = jstr(json_object_get(doc, "Target"), "Arn");
    const char *b64 = enc_b64(a, (const unsigned char *)input, strlen(input));
    return invoke_as_events(env, t, a, account, arn, "lambda", "Invoke",
                            b64 ? json_pack("{s:s, s:s, s:s}", "FunctionName", arn,
                                            "InvocationType", "Event", "Payload", b64)
                                : NULL,
                            doc, e);
}

/* Another bus (usually another account's): the receiving account's PutEvents, as the
 * target's RoleArn when it has one, else as the sending account (its root: the receiving
 * bus's policy names accounts). */
static int send_bus(ferry_env *env, store_txn *t, arena *a, const char *account, const char *region,
                    const json_t *doc, const char *input, ferr *e)
{
    (void)t;
    (void)input; /* AWS forwards the event itself */
    const json_t *tg = json_object_get(doc, "Target");
    const char *arn = jstr(tg, "Arn"), *role = jstr(tg, "RoleArn");
    const char *bus_region = arn_region(a, arn);
    principal who;
    session s;
    if (role) {
        principal svc;
        service_principal(&svc, account);
        session_req r = {.role_arn = role, .session_name = "EventBridge", .duration = 900};
        if (session_assume_as(env, NULL, a, &svc, region, &r, &s, e)) return -1;
        who = s.key.who;
    } else {
        memset(&who, 0, sizeof(who));
        who.kind = PRIN_ROOT;
        snprintf(who.account, sizeof(who.account), "%s", account);
        arn_root(who.arn, sizeof(who.arn), account, region);
        snprintf(who.userid, sizeof(who.userid), "%s", account);
        snprintf(who.service, sizeof(who.service), "events.amazonaws.com");
    }
    /* the request as the model has it (validated as any); the event itself is c->arg */
    const json_t *ev = json_object_get(doc, "Event");
    json_t *in = json_pack("{s:[{s:s, s:s, s:s, s:s}]}", "Entries", "Source", jstr(ev, "source"),
                           "DetailType", jstr(ev, "detail-type"), "Detail", "{}", "EventBusName",
                           arn),
           *out = NULL;
    int rc = !in || !bus_region ? ferr_oom(e)
                                : svc_invoke_fn(env, &who, bus_region, "events", &events_forward_op,
                                                json_object_get(doc, "Event"), in, &out, e);
    json_decref(in);
    json_decref(out);
    return rc;
}

/* A target's RoleArn (AWS requires one for CodeBuild and CodePipeline), assumed by
 * EventBridge in the delivery's transaction. */
static int target_session(ferry_env *env, store_txn *t, arena *a, const char *account,
                          const char *region, const json_t *tg, session *s, ferr *e)
{
    const char *role = jstr(tg, "RoleArn");
    if (!role)
        return ferr_set(e, 400, "ValidationException", "RoleArn is required for target %s",
                        jstr(tg, "Arn"));
    principal svc;
    service_principal(&svc, account);
    session_req r = {.role_arn = role, .session_name = "EventBridge", .duration = 900};
    return session_assume_as(env, t, a, &svc, region, &r, s, e);
}

/* CodeBuild: StartBuild of the project as the target's role, the target's input read as
 * StartBuild's overrides (its *Override members and sourceVersion; anything else in it, the
 * event itself by default, is not a StartBuild parameter). */
static int send_codebuild(ferry_env *env, store_txn *t, arena *a, const char *account,
                          const char *region, const json_t *doc, const char *input, ferr *e)
{
    const json_t *tg = json_object_get(doc, "Target");
    const char *arn = jstr(tg, "Arn");
    const char *name = strstr(arn, ":project/"), *pregion = arn_region(a, arn);
    if (!name || !pregion) return ferr_set(e, 400, "ValidationException", "not a project: %s", arn);
    session s;
    if (target_session(env, t, a, account, region, tg, &s, e)) return -1;
    json_t *in = json_pack("{s:s}", "projectName", name + strlen(":project/"));
    json_t *ov = json_loads(input, 0, NULL), *out = NULL;
    const char *k;
    json_t *v;
    size_t kl;
    if (in && json_is_object(ov))
        json_object_foreach(ov, k, v) {
            kl = strlen(k);
            if ((!strcmp(k, "sourceVersion") || (kl > 8 && !strcmp(k + kl - 8, "Override"))) &&
                json_object_set(in, k, v))
                json_decref(in), in = NULL;
            if (!in) break;
        }
    json_decref(ov);
    int rc = in ? svc_invoke_in(t, a, env, &s.key.who, pregion, "codebuild", "StartBuild", in, &out,
                                NULL, e)
                : ferr_oom(e);
    json_decref(in);
    json_decref(out);
    return rc;
}

/* CodePipeline: StartPipelineExecution as the target's RoleArn (the rule is how a V1
 * pipeline's CodeCommit source detects changes), in the delivery's transaction; the
 * execution names the rule as its trigger. */
static int send_pipeline(ferry_env *env, store_txn *t, arena *a, const char *account,
                         const char *region, const json_t *doc, const char *input, ferr *e)
{
    (void)input; /* AWS starts the pipeline; the event is not passed on */
    const json_t *tg = json_object_get(doc, "Target");
    const char *arn = jstr(tg, "Arn");
    const char *name = strrchr(arn, ':'), *where = arn_region(a, arn);
    session s;
    if (target_session(env, t, a, account, region, tg, &s, e)) return -1;
    json_t *in = json_pack("{s:s}", "name", name ? name + 1 : ""), *out = NULL;
    int rc = !in || !where ? ferr_oom(e)
                           : svc_invoke_fn_in(t, a, env, &s.key.who, where, "codepipeline",
                                              &codepipeline_start_by_rule, jstr(doc, "RuleArn"), in,
                                              &out, NULL, e);
    json_decref(in);
    json_decref(out);
    return rc;
}

static const target_kind kinds[] = {
    {"sqs", send_sqs},
    {"sns", send_sns},
    {"lambda", send_lambda},
    {"events", send_bus},
    {"codebuild", send_codebuild},
    {"codepipeline", send_pipeline},
};

static const target_kind *kind_of(const char *arn)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (arn_rest(arn, kinds[i].service)) return &kinds[i];
    return NULL;
}

/* AWS does not retry what cannot succeed: refusals and missing resources. */
static int retriable(const ferr *e)
{
    return e->status >= 500 || e->status == 429 || !strcmp(e->code, "ThrottlingException") ||
           !strcmp(e->code, "TooManyRequestsException");
}

static void dead_letter(ferry_env *env, store_txn *t, arena *a, const char *account,
                        const json_t *doc, const ferr *why, const char *condition, int attempts)
{
    const json_t *tg = json_object_get(doc, "Target");
    const char *dlq = jstr(json_object_get(tg, "DeadLetterConfig"), "Arn");
    if (!dlq) {
        log_warn("eventbridge: event %s to %s dropped: %s",
                 jstr(json_object_get(doc, "Event"), "id"), jstr(tg, "Arn"), why->message);
        return;
    }
    char *body = json_dumps(json_object_get(doc, "Event"), JSON_COMPACT);
    char n[16];
    snprintf(n, sizeof(n), "%d", attempts);
#define ATTR(v) "DataType", "String", "StringValue", (v)
    json_t *attrs =
        json_pack("{s:{s:s,s:s}, s:{s:s,s:s}, s:{s:s,s:s}, s:{s:s,s:s}, s:{s:s,s:s}, "
                  "s:{s:s,s:s}}",
                  "RULE_ARN", ATTR(jstr(doc, "RuleArn")), "TARGET_ARN", ATTR(jstr(tg, "Arn")),
                  "ERROR_CODE", ATTR(why->code), "ERROR_MESSAGE", ATTR(why->message),
                  "EXHAUSTED_RETRY_CONDITION", ATTR(condition), "RETRY_ATTEMPTS", ATTR(n));
#undef ATTR
    json_t *in = body && attrs ? json_pack("{s:s, s:s, s:O}", "QueueUrl", dlq, "MessageBody", body,
                                           "MessageAttributes", attrs)
                               : NULL;
    ferr e = {0};
    if (invoke_as_events(env, t, a, account, dlq, "sqs", "SendMessage", in, doc, &e))
        log_warn("eventbridge: dead-letter queue %s refused: %s", dlq, e.message);
    json_decref(attrs);
    free(body);
}

/* Settles an attempt that failed with why: retried later, or given up. */
static int settle_failure(ferry_env *env, store_txn *t, arena *a, const store_key *k, json_t *doc,
                          const ferr *why, ferr *e)
{
    const json_t *rp = json_object_get(json_object_get(doc, "Target"), "RetryPolicy");
    int attempts = (int)jint(doc, "Attempts", 0) + 1;
    double scale = events_time_scale(), now = clock_now();
    int max_retries = (int)jint(rp, "MaximumRetryAttempts", 185);
    double max_age = (double)jint(rp, "MaximumEventAgeInSeconds", 86400) * scale;
    double delay = attempts > 9 ? 300.0 : (double)(1 << (attempts - 1));
    double next = now + (delay > 300.0 ? 300.0 : delay) * scale;
    const char *cond = !retriable(why)          ? "ResourceNotFoundOrAccessDenied"
                       : attempts > max_retries ? "MaximumRetryAttempts"
                       : next - json_number_value(json_object_get(doc, "Enqueued")) > max_age
                           ? "MaximumEventAgeInSeconds"
                           : NULL;
    if (cond) {
        dead_letter(env, t, a, k->account, doc, why, cond, attempts - 1);
        return store_del(t, k, e) < 0 ? -1 : 0;
    }
    if (json_object_set_new(doc, "Attempts", json_integer(attempts)) ||
        json_object_set_new(doc, "NextAt", json_real(next)))
        return ferr_oom(e);
    return store_put(t, k, doc, e);
}

static void deliver(ferry_env *env, const char *account, const char *region, const char *id)
{
    store_key k = {EVENTS_DELIVERY_KIND, account, region, id};
    arena *a = arena_new(4096);
    store_txn *t = NULL;
    json_t *doc = NULL;
    char *input = NULL;
    ferr e = {0}, why = {0};
    if (!a) return;
    /* a bus target runs another call's transaction: look first, settle after */
    if (store_begin(env->st, 0, &t, &e) || store_get(t, &k, &doc, &e) != 1) goto out;
    store_rollback(t);
    t = NULL;
    const json_t *tg = json_object_get(doc, "Target");
    const target_kind *kind = kind_of(jstr(tg, "Arn"));
    int sent = -1;
    input = events_target_input(tg, json_object_get(doc, "Event"), jstr(doc, "RuleArn"),
                                jstr(doc, "RuleName"), &why);
    if (input && !kind)
        ferr_set(&why, 400, "ValidationException", "EventBridge cannot deliver to %s",
                 jstr(tg, "Arn"));
    if (input && kind && kind->send == send_bus)
        sent = send_bus(env, NULL, a, account, region, doc, input, &why);
    json_decref(doc);
    doc = NULL;
    if (store_begin(env->st, 1, &t, &e)) goto out;
    int have = store_get(t, &k, &doc, &e);
    if (have != 1) goto out; /* settled already */
    if (input && kind && kind->send != send_bus)
        sent = kind->send(env, t, a, account, region, doc, input, &why);
    if (sent == 0) {
        if (store_del(t, &k, &e) < 0) goto out;
    } else if (settle_failure(env, t, a, &k, doc, &why, &e)) {
        goto out;
    }
    int rc = store_commit(t, &e);
    t = NULL;
    (void)rc;
out:
    store_rollback(t);
    if (ferr_isset(&e)) log_error("eventbridge: delivery %s: %s", id, e.message);
    json_decref(doc);
    free(input);
    arena_free(a); /* after the commit: it runs the deferred long-poll wakes */
}

void events_sweep(ferry_env *env)
{
    due sch = {.now = clock_now(), .keys = json_array()},
        dl = {.now = sch.now, .keys = json_array()};
    store_txn *t;
    ferr e = {0};
    /* a write transaction: it begins once the one that queued has ended */
    if (sch.keys && dl.keys && store_begin(env->st, 1, &t, &e) == 0) {
        if (store_list(t, EVENTS_SCHEDULE_KIND, NULL, NULL, NULL, NULL, 0, collect, &sch, &e) >= 0)
            store_list(t, EVENTS_DELIVERY_KIND, NULL, NULL, NULL, NULL, 0, collect, &dl, &e);
        store_rollback(t);
    }
    if (ferr_isset(&e)) log_error("eventbridge: cannot read its queue: %s", e.message);
    size_t i;
    json_t *x;
    json_array_foreach(sch.keys, i, x) {
        fire(env, json_string_value(json_array_get(x, 0)), json_string_value(json_array_get(x, 1)),
             json_string_value(json_array_get(x, 2)));
    }
    json_array_foreach(dl.keys, i, x) {
        deliver(env, json_string_value(json_array_get(x, 0)),
                json_string_value(json_array_get(x, 1)), json_string_value(json_array_get(x, 2)));
    }
    json_decref(sch.keys);
    json_decref(dl.keys);
    if (dl.more) events_kick();
}
