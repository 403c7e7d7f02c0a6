/* The asynchronous invocation engine (see lambda_async.h). One scheduler thread finds due
 * events in the store when woken (a kick from Invoke, or the time the next retry is due)
 * and hands them to a few workers; each worker runs its event through the lambda service
 * (lambda_async_run: the functions engine, as Invoke does) and settles it in one write
 * transaction: the event is rescheduled, or deleted together with the destination and
 * dead-letter messages that report it. */
#include "base/arn.h"
#include "lambda_async.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/enc.h"
#include "base/log.h"
#include "engine/leases.h"
#include "svc/lambda/documents.h"
#include "svc/lambda/lambda.h"
#include "svc/session.h"

#define WORKERS      4    /* events run at once (each waits for its invocation) */
#define MAX_INFLIGHT 64   /* events taken from the store and not yet settled */
#define IDLE_WAIT    60.0 /* seconds the scheduler sleeps with nothing due (a safety net) */
#define ERRMSG_MAX   1024 /* AWS: the DLQ's ErrorMessage is the error's first 1 KB */

typedef struct job {
    struct job *next;
    char account[16], region[32], id[40];
    json_t *rec;
} job;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t wake; /* the scheduler's */
    pthread_cond_t work; /* the workers' */
    ferry_env *env;
    int running, stop, kicked, more;
    double next_due;
    job *ready, *ready_tail;
    char inflight[MAX_INFLIGHT][40];
    int ninflight;
    pthread_t sched, workers[WORKERS];
    /* this node's id on a shared store (an event's "Node" names the node that runs it,
     * leases.h), "" on a store of one process */
    char node[64];
} A = {.mu = PTHREAD_MUTEX_INITIALIZER,
       .wake = PTHREAD_COND_INITIALIZER,
       .work = PTHREAD_COND_INITIALIZER};

double lambda_async_scale(void)
{
    const char *s = getenv("FERRY_LAMBDA_ASYNC_TIME_SCALE");
    double v = s ? strtod(s, NULL) : 1.0;
    return v > 0 ? v : 1.0;
}

la_outcome lambda_async_next(la_event *ev, la_run run, int max_retries, int max_age, double scale,
                             double now, double *next_at)
{
    double delay;
    switch (run) {
    case LA_RAN_OK: return LA_SUCCESS;
    case LA_EXPIRED: return LA_AGE_EXCEEDED;
    case LA_FUNCTION_ERROR:
        /* AWS: one minute before the first retry, two before the second */
        if (++ev->attempts > max_retries) return LA_RETRIES_EXHAUSTED;
        delay = 60.0 * ev->attempts;
        break;
    default:
        /* AWS: throttles and system errors back off from one second to five minutes */
        ev->throttles++;
        delay = ev->throttles > 9 ? 300.0 : (double)(1 << (ev->throttles - 1));
        if (delay > 300.0) delay = 300.0;
        break;
    }
    *next_at = now + delay * scale;
    if (*next_at - ev->enqueued > (double)max_age * scale) return LA_AGE_EXCEEDED;
    return LA_RETRY;
}

const char *lambda_async_condition(la_outcome o)
{
    return o == LA_SUCCESS             ? "Success"
           : o == LA_RETRIES_EXHAUSTED ? "RetriesExhausted"
                                       : "EventAgeExceeded";
}

void lambda_async_kick(void)
{
    pthread_mutex_lock(&A.mu);
    A.kicked = 1;
    pthread_cond_signal(&A.wake);
    pthread_mutex_unlock(&A.mu);
}

static void due_at(double t)
{
    pthread_mutex_lock(&A.mu);
    if (t < A.next_due) {
        A.next_due = t;
        pthread_cond_signal(&A.wake);
    }
    pthread_mutex_unlock(&A.mu);
}

/* ---- settling an attempt ---- */

/* The service an ARN names ("sqs", "sns", "lambda") and its region, in a. */
static int arn_parts(arena *a, const char *arn, const char **service, const char **region)
{
    const char *s = arn_rest(arn, NULL), *r = s ? strchr(s, ':') : NULL;
    const char *re = r ? strchr(r + 1, ':') : NULL;
    if (!re) return -1;
    *service = arena_strndup(a, s, (size_t)(r - s));
    *region = arena_strndup(a, r + 1, (size_t)(re - r - 1));
    return *service && *region ? 0 : -1;
}

/* Sends text to the queue, topic or function arn as who, inside t; attrs: SQS/SNS message
 * attributes or NULL. Refusals are logged (AWS drops them too, reporting in metrics). */
static void send_to(store_txn *t, arena *a, const principal *who, const char *arn, const char *text,
                    const json_t *attrs)
{
    const char *service, *region;
    if (arn_parts(a, arn, &service, &region)) {
        log_warn("lambda async: destination %s is not an ARN", arn);
        return;
    }
    json_t *in = NULL;
    const char *op = NULL;
    int sqs = !strcmp(service, "sqs");
    if (sqs || !strcmp(service, "sns")) {
        op = sqs ? "SendMessage" : "Publish";
        in = json_pack("{s:s, s:s}", sqs ? "QueueUrl" : "TopicArn", arn,
                       sqs ? "MessageBody" : "Message", text);
        if (in && attrs && json_object_set(in, "MessageAttributes", (json_t *)attrs)) {
            json_decref(in);
            in = NULL;
        }
    } else if (!strcmp(service, "lambda")) {
        op = "Invoke";
        const char *b64 = enc_b64(a, (const unsigned char *)text, strlen(text));
        in = b64 ? json_pack("{s:s, s:s, s:s}", "FunctionName", arn, "InvocationType", "Event",
                             "Payload", b64)
                 : NULL;
    } else {
        log_warn("lambda async: destination %s is not a queue, topic or function", arn);
        return;
    }
    json_t *out = NULL;
    ferr e = {0};
    if (!in)
        log_error("lambda async: out of memory sending to %s", arn);
    else if (svc_invoke_in(t, a, A.env, who, region, service, op, in, &out, NULL, &e))
        log_warn("lambda async: %s to %s refused: %s: %s", op, arn, e.code, e.message);
    json_decref(in);
    json_decref(out);
}

/* text parsed as JSON, or as a string when it is not JSON (new reference). */
static json_t *as_json(const char *text)
{
    json_t *j = text && *text ? json_loads(text, JSON_DECODE_ANY, NULL) : json_null();
    return j ? j : json_string(text);
}

/* AWS's invocation record for destinations. */
static char *invocation_record(const json_t *rec, const json_t *res, const char *cond, int count)
{
    char ts[32];
    clock_iso8601(clock_now(), 3, ts);
    json_t *r = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:i}, s:o}", "version", "1.0", "timestamp",
                          ts, "requestContext", "requestId", jstr(rec, "RequestId"), "functionArn",
                          jstr(res, "FunctionArn"), "condition", cond, "approximateInvokeCount",
                          count, "requestPayload", as_json(jstr(rec, "Payload")));
    if (r && json_object_get(res, "StatusCode")) {
        json_t *rc = json_pack("{s:O, s:s}", "statusCode", json_object_get(res, "StatusCode"),
                               "executedVersion", jstr(res, "ExecutedVersion"));
        int bad = !rc || (jstr(res, "FunctionError") &&
                          jset_str(rc, "functionError", jstr(res, "FunctionError")));
        if (bad) json_decref(rc); /* NULL is a no-op */
        if (bad || json_object_set_new(r, "responseContext", rc) ||
            json_object_set_new(r, "responsePayload", as_json(jstr(res, "Response")))) {
            json_decref(r);
            r = NULL;
        }
    }
    char *text = r ? json_dumps(r, JSON_COMPACT) : NULL;
    json_decref(r);
    return text;
}

/* The DLQ's message attributes (AWS: RequestID, ErrorCode, ErrorMessage). */
static json_t *dlq_attributes(const json_t *rec, const json_t *res)
{
    const json_t *err = json_object_get(res, "Error");
    char code[16], msg[ERRMSG_MAX + 1];
    snprintf(code, sizeof(code), "%d",
             err ? (int)jint(err, "Status", 500) : (int)jint(res, "StatusCode", 200));
    const char *m = err ? jstr(err, "Message") : NULL;
    json_t *doc = NULL;
    if (!err) {
        doc = json_loads(jstr(res, "Response") ? jstr(res, "Response") : "", 0, NULL);
        m = jstr(doc, "errorMessage");
    }
    if (!m) m = json_object_get(res, "Expired") ? "Event age exceeded" : "";
    /* the first 1 KB, not cutting a UTF-8 sequence */
    size_t n = strlen(m);
    if (n > ERRMSG_MAX) {
        n = ERRMSG_MAX;
        while (n && ((unsigned char)m[n] & 0xC0) == 0x80) n--;
    }
    memcpy(msg, m, n);
    msg[n] = 0;
    json_decref(doc);
    return json_pack("{s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s}}", "RequestID", "DataType",
                     "String", "StringValue", jstr(rec, "RequestId"), "ErrorCode", "DataType",
                     "Number", "StringValue", code, "ErrorMessage", "DataType", "String",
                     "StringValue", msg);
}

/* Sends the event's record to its destination and (failed) its dead-letter queue as the
 * function's execution role (AWS uses its permissions), inside t. */
static void report(store_txn *t, arena *a, const job *j, const json_t *res, la_outcome o, int count)
{
    const char *dest = jstr(res, o == LA_SUCCESS ? "OnSuccess" : "OnFailure");
    const char *dlq = o == LA_SUCCESS ? NULL : jstr(res, "DeadLetter");
    const char *role = jstr(res, "Role");
    if ((!dest && !dlq) || !role) return;
    principal lambda;
    session_service_principal(&lambda, "lambda.amazonaws.com", j->account);
    const char *fn = jstr(j->rec, "Function");
    session_req r = {.role_arn = role, .session_name = fn, .duration = 900};
    session s;
    ferr e = {0};
    if (session_assume_as(A.env, t, a, &lambda, j->region, &r, &s, &e)) {
        log_warn("lambda async: %s: cannot assume %s: %s", fn, role, e.message);
        return;
    }
    if (dest) {
        char *text = invocation_record(j->rec, res, lambda_async_condition(o), count);
        if (text) send_to(t, a, &s.key.who, dest, text, NULL);
        free(text);
    }
    if (dlq) {
        json_t *attrs = dlq_attributes(j->rec, res);
        if (attrs) send_to(t, a, &s.key.who, dlq, jstr(j->rec, "Payload"), attrs);
        json_decref(attrs);
    }
}

static void settle(const job *j, int rc, json_t *res, const ferr *run_err)
{
    store_key k = {LAMBDA_ASYNC_KIND, j->account, j->region, j->id};
    /* the function (or its qualifier) is gone: so is its event, as in AWS */
    int gone = rc && !strcmp(run_err->code, "ResourceNotFoundException");
    if (gone) log_info("lambda async: event %s dropped: %s", j->id, run_err->message);
    arena *a = arena_new(4096);
    store_txn *t = NULL;
    ferr e = {0};
    if (!a || store_begin(A.env->st, 1, &t, &e)) {
        log_error("lambda async: event %s not settled: %s", j->id, a ? e.message : "no memory");
        arena_free(a);
        due_at(clock_now() + 1);
        return;
    }
    json_t *now_rec = NULL;
    if (store_get(t, &k, &now_rec, &e) != 1) goto out; /* settled already */
    if (A.node[0] && strcmp(jstr(now_rec, "Node") ? jstr(now_rec, "Node") : "", A.node)) {
        /* another node took it over (this one stalled past its lease): its to settle */
        log_warn("lambda async: event %s was taken over by node %s", j->id, jstr(now_rec, "Node"));
        goto out;
    }
    if (gone) {
        if (store_del(t, &k, &e) < 0) goto out;
    } else {
        la_run run = rc                                      ? LA_NOT_RUN
                     : json_object_get(res, "Expired")       ? LA_EXPIRED
                     : json_object_get(res, "Error")         ? LA_NOT_RUN
                     : json_object_get(res, "FunctionError") ? LA_FUNCTION_ERROR
                                                             : LA_RAN_OK;
        la_event ev = {.enqueued = json_number_value(json_object_get(now_rec, "Enqueued")),
                       .attempts = (int)jint(now_rec, "Attempts", 0),
                       .throttles = (int)jint(now_rec, "Throttles", 0)};
        double next = 0, scale = lambda_async_scale();
        la_outcome o = lambda_async_next(&ev, run, (int)jint(res, "MaximumRetryAttempts", 2),
                                         (int)jint(res, "MaximumEventAgeInSeconds", 21600), scale,
                                         clock_now(), &next);
        if (o == LA_RETRY) {
            if (json_object_set_new(now_rec, "Attempts", json_integer(ev.attempts)) ||
                json_object_set_new(now_rec, "Throttles", json_integer(ev.throttles)) ||
                json_object_set_new(now_rec, "NextAt", json_real(next)) ||
                store_put(t, &k, now_rec, &e))
                goto out;
        } else {
            if (!rc) report(t, a, j, res, o, ev.attempts + (run == LA_RAN_OK));
            if (store_del(t, &k, &e) < 0) goto out;
        }
        if (store_commit(t, &e)) {
            t = NULL;
            goto out;
        }
        t = NULL;
        if (o == LA_RETRY) due_at(next);
    }
    if (t && store_commit(t, &e) == 0) t = NULL;
out:
    if (t) store_rollback(t);
    if (ferr_isset(&e)) {
        log_error("lambda async: event %s not settled: %s", j->id, e.message);
        due_at(clock_now() + 1);
    }
    json_decref(now_rec);
    arena_free(a); /* after the commit: it runs the deferred long-poll wakes */
}

static void run_job(const job *j)
{
    json_t *res = NULL;
    ferr e = {0};
    int rc = lambda_async_run(A.env, j->account, j->region, j->rec, &res, &e);
    settle(j, rc, res, &e);
    json_decref(res);
}

/* ---- threads ---- */

static int inflight_has(const char *id)
{
    for (int i = 0; i < A.ninflight; i++)
        if (!strcmp(A.inflight[i], id)) return 1;
    return 0;
}

static void inflight_drop(const char *id)
{
    for (int i = 0; i < A.ninflight; i++)
        if (!strcmp(A.inflight[i], id)) {
            memcpy(A.inflight[i], A.inflight[--A.ninflight], sizeof(A.inflight[i]));
            return;
        }
}

typedef struct scan {
    double now, next;
    store_txn *t;
    json_t *others; /* [[account, region, id]]: another node's, or none's (a shared store) */
} scan;

/* Takes up the event k (doc) when due and there is room. */
static void consider(scan *s, const store_key *k, json_t *doc)
{
    double at = json_number_value(json_object_get(doc, "NextAt"));
    pthread_mutex_lock(&A.mu);
    if (!inflight_has(k->id)) {
        if (at > s->now) {
            if (at < s->next) s->next = at;
        } else if (A.ninflight == MAX_INFLIGHT) {
            A.more = 1; /* looked at again when one is settled */
        } else {
            job *j = calloc(1, sizeof(*j));
            if (j) {
                snprintf(j->account, sizeof(j->account), "%s", k->account);
                snprintf(j->region, sizeof(j->region), "%s", k->region);
                snprintf(j->id, sizeof(j->id), "%s", k->id);
                j->rec = json_incref(doc);
                if (A.ready_tail)
                    A.ready_tail->next = j;
                else
                    A.ready = j;
                A.ready_tail = j;
                snprintf(A.inflight[A.ninflight++], sizeof(A.inflight[0]), "%s", k->id);
                pthread_cond_signal(&A.work);
            } else {
                A.more = 1;
            }
        }
    }
    pthread_mutex_unlock(&A.mu);
}

static int scan_cb(void *ud, const store_key *k, json_t *doc)
{
    scan *s = ud;
    const char *node = jstr(doc, "Node");
    if (!A.node[0] || (node && !strcmp(node, A.node))) {
        consider(s, k, doc);
        return 0;
    }
    /* claimed after the list: the store is not written while it is read */
    return json_array_append_new(s->others, json_pack("[s, s, s]", k->account, k->region, k->id))
               ? -1
               : 0;
}

/* The events of s->others whose node's lease has run out (or that no node took yet) become
 * this node's in s->t, the scan's write transaction, so that one node runs each (at least
 * once, as AWS promises: a node that was only stalled may have run it too); retry state
 * kept. Each one taken gets its document appended to its entry. Returns how many, or -1. */
static int claim(scan *s, ferr *e)
{
    size_t i;
    json_t *x;
    int taken = 0;
    json_array_foreach(s->others, i, x) {
        store_key k = {LAMBDA_ASYNC_KIND, json_string_value(json_array_get(x, 0)),
                       json_string_value(json_array_get(x, 1)),
                       json_string_value(json_array_get(x, 2))};
        json_t *doc = NULL;
        char was[64];
        int rc = store_get(s->t, &k, &doc, e);
        if (rc == 1) rc = leases_take(s->t, A.node, doc, "Node", 0, s->now, was, sizeof(was), e);
        if (rc == 2 && !store_put(s->t, &k, doc, e)) {
            if (was[0]) log_info("lambda async: taking over event %s from node %s", k.id, was);
            if (json_array_append_new(x, doc)) rc = ferr_oom(e);
            doc = NULL;
            taken++;
        }
        json_decref(doc);
        if (rc < 0 || ferr_isset(e)) return -1;
    }
    return taken;
}

/* Takes up the events claim made this node's, once that is committed. */
static void consider_claimed(scan *s)
{
    size_t i;
    json_t *x;
    json_array_foreach(s->others, i, x) {
        json_t *doc = json_array_get(x, 3);
        store_key k = {LAMBDA_ASYNC_KIND, json_string_value(json_array_get(x, 0)),
                       json_string_value(json_array_get(x, 1)),
                       json_string_value(json_array_get(x, 2))};
        if (doc) consider(s, &k, doc);
    }
}

/* Finds the due events. In a write transaction: it begins once the transaction that kicked
 * us has ended, so what it queued is visible. */
static void scan_queue(void)
{
    scan s = {.now = clock_now(), .next = clock_now() + IDLE_WAIT, .others = json_array()};
    ferr e = {0};
    if (s.others && store_begin(A.env->st, 1, &s.t, &e) == 0) {
        int taken = 0;
        if (store_list(s.t, LAMBDA_ASYNC_KIND, NULL, NULL, NULL, NULL, 0, scan_cb, &s, &e) < 0 ||
            (taken = claim(&s, &e)) < 0)
            s.next = s.now + 1;
        if (taken > 0) {
            if (store_commit(s.t, &e))
                s.next = s.now + 1;
            else
                consider_claimed(&s);
        } else {
            store_rollback(s.t);
        }
    } else {
        s.next = s.now + 1;
    }
    json_decref(s.others);
    if (ferr_isset(&e)) log_error("lambda async: cannot read the queue: %s", e.message);
    due_at(s.next);
}

static void *sched_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&A.mu);
    while (!A.stop) {
        double now = clock_now();
        if (!A.kicked && now < A.next_due) {
            double until = A.next_due;
            struct timespec ts = {.tv_sec = (time_t)until,
                                  .tv_nsec = (long)((until - (double)(time_t)until) * 1e9)};
            pthread_cond_timedwait(&A.wake, &A.mu, &ts);
            continue;
        }
        A.kicked = 0;
        A.next_due = now + IDLE_WAIT;
        pthread_mutex_unlock(&A.mu);
        scan_queue();
        pthread_mutex_lock(&A.mu);
    }
    pthread_mutex_unlock(&A.mu);
    return NULL;
}

static void *worker_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&A.mu);
    for (;;) {
        while (!A.stop && !A.ready) pthread_cond_wait(&A.work, &A.mu);
        if (A.stop) break; /* what is left stays in the store for the next start */
        job *j = A.ready;
        A.ready = j->next;
        if (!A.ready) A.ready_tail = NULL;
        pthread_mutex_unlock(&A.mu);
        run_job(j);
        pthread_mutex_lock(&A.mu);
        inflight_drop(j->id);
        if (A.more) {
            A.more = 0;
            A.kicked = 1;
            pthread_cond_signal(&A.wake);
        }
        json_decref(j->rec);
        free(j);
    }
    pthread_mutex_unlock(&A.mu);
    return NULL;
}

typedef struct orphans {
    store_txn *t;
    double now;
    int found;
} orphans;

static int orphan_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    orphans *o = ud;
    const char *node = jstr(doc, "Node");
    ferr e = {0};
    if (node && !strcmp(node, A.node)) return 0;
    /* none's: queued on a node that died before it took it up (the node that accepts an
     * event is kicked and takes it at once) */
    o->found = node ? leases_held(o->t, A.node, node, o->now, &e) == 0
                    : json_number_value(json_object_get(doc, "Enqueued")) < o->now - LEASES_SECONDS;
    return o->found;
}

/* leases.h: after each renewal, a look (read only) for the events of nodes whose lease ran
 * out; the scheduler claims them. */
static void takeover(ferry_env *env)
{
    orphans o = {NULL, clock_now(), 0};
    ferr e = {0};
    if (env != A.env || !A.node[0] || store_begin(env->st, 0, &o.t, &e)) return;
    store_list(o.t, LAMBDA_ASYNC_KIND, NULL, NULL, NULL, NULL, 0, orphan_cb, &o, &e);
    store_rollback(o.t);
    if (o.found) lambda_async_kick();
}

static int engine_start(ferry_env *env, ferr *e)
{
    A.env = env;
    A.stop = 0;
    snprintf(A.node, sizeof(A.node), "%s", leases_self(env));
    A.kicked = 1; /* take up what a previous run left */
    A.next_due = 0;
    if (pthread_create(&A.sched, NULL, sched_main, NULL))
        return ferr_internal(e, "lambda async: cannot start its thread");
    int n = 0;
    for (; n < WORKERS; n++)
        if (pthread_create(&A.workers[n], NULL, worker_main, NULL)) break;
    A.running = n;
    if (n == 0) {
        pthread_mutex_lock(&A.mu);
        A.stop = 1;
        pthread_cond_broadcast(&A.wake);
        pthread_mutex_unlock(&A.mu);
        pthread_join(A.sched, NULL);
        return ferr_internal(e, "lambda async: cannot start its workers");
    }
    leases_on_tick(takeover);
    return 0;
}

static void engine_stop(ferry_env *env)
{
    (void)env;
    leases_off_tick(takeover);
    pthread_mutex_lock(&A.mu);
    A.stop = 1;
    pthread_cond_broadcast(&A.wake);
    pthread_cond_broadcast(&A.work);
    pthread_mutex_unlock(&A.mu);
    pthread_join(A.sched, NULL);
    for (int i = 0; i < A.running; i++) pthread_join(A.workers[i], NULL);
    A.running = 0;
    while (A.ready) {
        job *j = A.ready;
        A.ready = j->next;
        json_decref(j->rec);
        free(j);
    }
    A.ready_tail = NULL;
    A.ninflight = 0;
    A.more = 0;
}

const engine_def lambda_async_engine = {"lambda-async", engine_start, engine_stop};
