/* Notifications: the events a rule matches, queued in the transaction of the change they
 * report (csn_emit), then published to each SNS target by the engine (csn_sweep), each in a
 * transaction of its own that also deletes it, as codestar-notifications.amazonaws.com with
 * aws:SourceArn the rule: the topic's policy decides, as in AWS, and a refusal or a missing
 * topic makes the target UNREACHABLE (a delivery makes it ACTIVE). A notification is sent
 * once and not retried (AWS's are best effort). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/ids.h"
#include "base/log.h"
#include "csn_int.h"
#include "svc/codestarnotifications/codestarnotifications.h"
#include "svc/session.h"

#define BATCH 256 /* notifications per sweep; more: the engine is kicked again */

static void (*waker)(void);

void csn_set_waker(void (*fn)(void))
{
    __atomic_store_n(&waker, fn, __ATOMIC_RELEASE);
}

/* 1 when the rule's event types include this event's. */
static int wants(const json_t *rule, const char *detail_type, const json_t *detail)
{
    const char *state = jstr(detail, "state");
    const char *category = jstr(json_object_get(detail, "type"), "category");
    int approval = category && !strcmp(category, "Approval");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(rule, "EventTypeIds"), i, v) {
        const csn_type *t = csn_type_find(json_string_value(v));
        if (t && state && !strcmp(t->detail_type, detail_type) && !strcmp(t->state, state) &&
            (!t->approval || approval))
            return 1;
    }
    return 0;
}

typedef struct emit_ctx {
    store_txn *t;
    const char *account, *region, *source, *detail_type, *resource;
    const json_t *detail, *additional;
    int queued;
    ferr *e;
} emit_ctx;

/* The message AWS publishes: the event, its detail-type as detailType, the rule's ARN, and
 * (FULL) the service's additionalAttributes. */
static char *message(const emit_ctx *x, const json_t *rule)
{
    char when[32];
    clock_iso8601(clock_now(), 0, when);
    json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:[s]}", "account", x->account,
                          "detailType", x->detail_type, "region", x->region, "source", x->source,
                          "time", when, "notificationRuleArn", jstr(rule, "Arn"), "detail",
                          x->detail, "resources", x->resource);
    const char *dt = jstr(rule, "DetailType");
    if (m && dt && !strcmp(dt, "FULL") &&
        json_object_set_new(m, "additionalAttributes",
                            x->additional ? json_deep_copy(x->additional) : json_object()))
        json_decref(m), m = NULL;
    char *s = m ? json_dumps(m, JSON_COMPACT) : NULL;
    json_decref(m);
    return s;
}

static int queue_cb(void *ud, const store_key *k, json_t *rule)
{
    (void)k;
    emit_ctx *x = ud;
    const char *status = jstr(rule, "Status"), *res = jstr(rule, "Resource");
    if ((status && strcmp(status, "ENABLED")) || !res || strcmp(res, x->resource) ||
        !wants(rule, x->detail_type, x->detail))
        return 0;
    char *msg = NULL;
    size_t i;
    json_t *tg;
    json_array_foreach(json_object_get(rule, "Targets"), i, tg) {
        if (strcmp(jstr(tg, "TargetType"), "SNS")) continue; /* Chatbot clients: recorded only */
        if (!msg && !(msg = message(x, rule))) return ferr_oom(x->e);
        char id[37];
        ids_uuid7(id, clock_now());
        store_key ok = {CSN_OUT_KIND, x->account, x->region, id};
        json_t *doc = json_pack("{s:s, s:s, s:s}", "Rule", jstr(rule, "Arn"), "Target",
                                jstr(tg, "TargetAddress"), "Message", msg);
        int rc = doc ? store_put(x->t, &ok, doc, x->e) : ferr_oom(x->e);
        json_decref(doc);
        if (rc) {
            free(msg);
            return -1;
        }
        x->queued = 1;
    }
    free(msg);
    return 0;
}

int csn_emit(store_txn *t, const char *account, const char *region, const char *source,
             const char *detail_type, const json_t *detail, const char *resource,
             const json_t *additional, ferr *e)
{
    emit_ctx x = {t, account, region, source, detail_type, resource, detail, additional, 0, e};
    if (store_list(t, CSN_RULE_KIND, account, region, NULL, NULL, 0, queue_cb, &x, e) < 0)
        return -1;
    void (*fn)(void) = __atomic_load_n(&waker, __ATOMIC_ACQUIRE);
    if (x.queued && fn) fn(); /* the engine's write waits for this transaction's commit */
    return 0;
}

/* ---- delivery ---- */

static const char *arn_region(arena *a, const char *arn)
{
    /* arn:PARTITION:sns:REGION:... */
    const char *p = arn;
    for (int i = 0; i < 3 && p; i++) p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL;
    const char *q = p ? strchr(p, ':') : NULL;
    return q ? arena_strndup(a, p, (size_t)(q - p)) : NULL;
}

/* Sets the target's status in the rule (the rule or target may be gone: nothing to do). */
static int mark(store_txn *t, const char *account, const char *region, const char *rule_arn,
                const char *target, const char *status, ferr *e)
{
    const char *id = strstr(rule_arn, ":notificationrule/");
    if (!id) return 0;
    store_key k = {CSN_RULE_KIND, account, region, id + strlen(":notificationrule/")};
    json_t *rule = NULL;
    int rc = store_get(t, &k, &rule, e);
    if (rc <= 0) return rc;
    size_t i;
    json_t *tg;
    int changed = 0;
    json_array_foreach(json_object_get(rule, "Targets"), i, tg) {
        if (strcmp(jstr(tg, "TargetAddress"), target) || !strcmp(jstr(tg, "TargetStatus"), status))
            continue;
        if (jset_str(tg, "TargetStatus", status)) {
            json_decref(rule);
            return ferr_oom(e);
        }
        changed = 1;
    }
    rc = changed ? store_put(t, &k, rule, e) : 0;
    json_decref(rule);
    return rc;
}

static void deliver(ferry_env *env, const char *account, const char *region, const char *id)
{
    store_key k = {CSN_OUT_KIND, account, region, id};
    arena *a = arena_new(4096);
    store_txn *t = NULL;
    json_t *doc = NULL, *in = NULL, *ctx = NULL, *out = NULL;
    ferr e = {0}, why = {0};
    if (!a || store_begin(env->st, 1, &t, &e) || store_get(t, &k, &doc, &e) != 1) goto done;
    const char *rule = jstr(doc, "Rule"), *topic = jstr(doc, "Target");
    const char *where = arn_region(a, topic ? topic : "");
    principal p;
    session_service_principal(&p, "codestar-notifications.amazonaws.com", account);
    in = json_pack("{s:s, s:s}", "TopicArn", topic, "Message", jstr(doc, "Message"));
    ctx = json_pack("{s:s, s:s}", "aws:SourceArn", rule, "aws:SourceAccount", account);
    if (!in || !ctx) {
        ferr_oom(&e);
        goto done;
    }
    int sent = where ? svc_invoke_in(t, a, env, &p, where, "sns", "Publish", in, &out, ctx, &why)
                     : ferr_set(&why, 400, "InvalidParameter", "not a topic: %s", topic);
    if (sent) log_warn("codestar-notifications: %s to %s: %s", rule, topic, why.message);
    if (mark(t, account, region, rule, topic, sent ? "UNREACHABLE" : "ACTIVE", &e) ||
        store_del(t, &k, &e) < 0)
        goto done;
    int rc = store_commit(t, &e);
    t = NULL;
    (void)rc;
done:
    store_rollback(t);
    if (ferr_isset(&e)) log_error("codestar-notifications: delivery %s: %s", id, e.message);
    json_decref(doc);
    json_decref(in);
    json_decref(ctx);
    json_decref(out);
    arena_free(a); /* after the commit: it runs the deferred long-poll wakes */
}

typedef struct due {
    json_t *keys; /* [[account, region, id]] */
    int more;
} due;

static int collect(void *ud, const store_key *k, json_t *doc)
{
    (void)doc;
    due *d = ud;
    if (json_array_size(d->keys) >= BATCH) return d->more = 1;
    return json_array_append_new(d->keys, json_pack("[s,s,s]", k->account, k->region, k->id));
}

void csn_sweep(ferry_env *env)
{
    due d = {json_array(), 0};
    store_txn *t = NULL;
    ferr e = {0};
    if (!d.keys || store_begin(env->st, 0, &t, &e) ||
        store_list(t, CSN_OUT_KIND, NULL, NULL, NULL, NULL, 0, collect, &d, &e) < 0) {
        store_rollback(t);
        json_decref(d.keys);
        if (ferr_isset(&e)) log_error("codestar-notifications: sweep: %s", e.message);
        return;
    }
    store_rollback(t);
    size_t i;
    json_t *v;
    json_array_foreach(d.keys, i, v) {
        deliver(env, json_string_value(json_array_get(v, 0)),
                json_string_value(json_array_get(v, 1)), json_string_value(json_array_get(v, 2)));
    }
    json_decref(d.keys);
    void (*fn)(void) = __atomic_load_n(&waker, __ATOMIC_ACQUIRE);
    if (d.more && fn) fn();
}
