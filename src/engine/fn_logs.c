/* Functions' and builds' output to CloudWatch Logs: lines are queued per log stream and
 * shipped in PutLogEvents batches a moment (GATHER) after the first of them was queued, through svc_invoke as the writer's role (AWS
 * writes a function's logs with its execution role, a build's with its service role: a role
 * without logs permissions gets none). See fn_logs.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "engine/fn_logs.h"

/* PutLogEvents: at most 10,000 events and 1,048,576 bytes (26 per event) per call */
#define MAX_EVENTS 10000
#define MAX_BYTES  (1048576 - 64 * 1024)
/* beyond this many queued events a stream drops lines (a runaway function) */
#define MAX_QUEUED 50000
/* How long the shipper waits after a line arrives for the lines that follow it: a line is
 * readable through GetLogEvents about this soon, and a chatty process still gets a few
 * batches a second rather than a call per line. */
#define GATHER     0.05
/* A stream whose group or stream could not be created (mostly: a role without logs
 * permissions, whose lines AWS drops) tries again after this long, dropping its lines
 * meanwhile: trying at every batch cost an audited refusal twenty times a second. A change
 * to IAM (the role given logs permissions) makes it try at once. */
#define RETRY      10.0

typedef struct lstream {
    char region[32], group[512], stream[96];
    principal who;
    int created;
    double retry;     /* not created: no new try before this time... */
    uint64_t iam_gen; /* ...unless IAM's documents moved from this generation */
    json_t *events;   /* [{"timestamp","message"}] waiting */
    size_t bytes;
    double last;
    struct lstream *next;
} lstream;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int running, stopping, users;
    int pending; /* lines queued since the last flush */
    pthread_t th;
    ferry_env *env;
    lstream *streams;
    double last_note;
    long dropped;
} L = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0, NULL, NULL, 0, 0};

void fn_logs_put(const char *region, const char *group, const char *stream, const principal *who,
                 double t, const char *msg, size_t len)
{
    pthread_mutex_lock(&L.mu);
    if (!L.running) goto out;
    lstream *s = L.streams;
    while (s && (strcmp(s->stream, stream) || strcmp(s->group, group))) s = s->next;
    if (!s) {
        if (!(s = calloc(1, sizeof(*s)))) goto out;
        snprintf(s->region, sizeof(s->region), "%s", region);
        snprintf(s->group, sizeof(s->group), "%s", group);
        snprintf(s->stream, sizeof(s->stream), "%s", stream);
        s->next = L.streams;
        L.streams = s;
    }
    /* the stream writes as the writer's latest session (a build's is refreshed) */
    s->who = *who;
    if (!s->events && !(s->events = json_array())) goto out;
    if (json_array_size(s->events) >= MAX_QUEUED) {
        L.dropped++;
        goto out;
    }
    json_t *ev = json_pack("{s:I,s:s%}", "timestamp", (json_int_t)(t * 1000), "message", msg, len);
    if (!ev || json_array_append_new(s->events, ev)) {
        L.dropped++;
        goto out;
    }
    s->bytes += len + 26;
    s->last = t;
    if (!L.pending++) pthread_cond_signal(&L.cv);
out:
    pthread_mutex_unlock(&L.mu);
}

/* A failed call (no logs service yet, no permission) drops its batch, noted at most once a
 * minute: logs are best effort, as AWS's are for a role that cannot write them. */
static void note(const char *what, const ferr *e)
{
    double now = clock_now();
    pthread_mutex_lock(&L.mu);
    int say = now - L.last_note > 60;
    if (say) L.last_note = now;
    pthread_mutex_unlock(&L.mu);
    if (say) log_warn("logs: log events dropped (%s: %s %s)", what, e->code, e->message);
}

static int logs_call(const lstream *s, const char *op, json_t *in, ferr *e)
{
    json_t *out = NULL;
    int rc = svc_invoke(L.env, &s->who, s->region, "logs", op, in, &out, NULL, e);
    json_decref(out);
    return rc;
}

/* moves with every write to IAM's documents (svc/iam/iam.h) */
static uint64_t iam_generation(void)
{
    return store_generation(L.env->st, "iam.gen");
}

static void ship(lstream *s, json_t *events)
{
    ferr e = {0};
    if (!s->created && clock_now() < s->retry && iam_generation() == s->iam_gen) return;
    if (!s->created) {
        json_t *g = json_pack("{s:s}", "logGroupName", s->group);
        json_t *st = json_pack("{s:s,s:s}", "logGroupName", s->group, "logStreamName", s->stream);
        if (g && logs_call(s, "CreateLogGroup", g, &e) &&
            strcmp(e.code, "ResourceAlreadyExistsException")) {
            note("CreateLogGroup", &e);
        } else if (st && (ferr_clear(&e), logs_call(s, "CreateLogStream", st, &e)) &&
                   strcmp(e.code, "ResourceAlreadyExistsException")) {
            note("CreateLogStream", &e);
        } else {
            s->created = 1;
        }
        json_decref(g);
        json_decref(st);
        if (!s->created) {
            s->retry = clock_now() + RETRY;
            s->iam_gen = iam_generation();
            return;
        }
    }
    /* batches within PutLogEvents' limits, in order */
    size_t n = json_array_size(events), i = 0;
    while (i < n) {
        json_t *batch = json_array();
        size_t bytes = 0;
        if (!batch) return;
        for (; i < n && json_array_size(batch) < MAX_EVENTS; i++) {
            json_t *ev = json_array_get(events, i);
            size_t l = strlen(json_string_value(json_object_get(ev, "message"))) + 26;
            if (bytes + l > MAX_BYTES && json_array_size(batch)) break;
            bytes += l;
            if (json_array_append(batch, ev)) break;
        }
        json_t *in = json_pack("{s:s,s:s,s:o}", "logGroupName", s->group, "logStreamName",
                               s->stream, "logEvents", batch);
        ferr_clear(&e);
        if (!in || logs_call(s, "PutLogEvents", in, &e)) note("PutLogEvents", &e);
        json_decref(in);
    }
}

static void flush(int all)
{
    for (;;) {
        pthread_mutex_lock(&L.mu);
        lstream *s = L.streams;
        while (s && !s->events) s = s->next;
        json_t *ev = NULL;
        if (s) {
            ev = s->events;
            s->events = NULL;
            s->bytes = 0;
        }
        pthread_mutex_unlock(&L.mu);
        if (!s) break;
        ship(s, ev); /* s stays: only this thread frees streams */
        json_decref(ev);
    }
    /* streams idle for ten minutes are forgotten (their environments are gone) */
    double now = clock_now();
    pthread_mutex_lock(&L.mu);
    for (lstream **pp = &L.streams; *pp;) {
        lstream *s = *pp;
        if (!s->events && (all || now - s->last > 600)) {
            *pp = s->next;
            free(s);
        } else {
            pp = &s->next;
        }
    }
    pthread_mutex_unlock(&L.mu);
}

static void *shipper(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&L.mu);
    while (!L.stopping) {
        /* idle: wake once a second to forget idle streams; with lines queued: gather */
        struct timespec ts = clock_deadline(L.pending ? GATHER : 1.0);
        int had = L.pending;
        pthread_cond_timedwait(&L.cv, &L.mu, &ts);
        if (!had && L.pending && !L.stopping) continue; /* the first line: now gather */
        L.pending = 0;
        pthread_mutex_unlock(&L.mu);
        flush(0);
        pthread_mutex_lock(&L.mu);
    }
    pthread_mutex_unlock(&L.mu);
    flush(1);
    return NULL;
}

int fn_logs_start(ferry_env *env, ferr *e)
{
    pthread_mutex_lock(&L.mu);
    if (L.users++) { /* one shipper serves every engine that writes logs */
        pthread_mutex_unlock(&L.mu);
        return 0;
    }
    L.env = env;
    L.stopping = 0;
    L.running = 1;
    int rc = pthread_create(&L.th, NULL, shipper, NULL);
    if (rc) L.running = 0, L.users = 0;
    pthread_mutex_unlock(&L.mu);
    return rc ? ferr_internal(e, "cannot start the log shipper") : 0;
}

void fn_logs_stop(void)
{
    pthread_mutex_lock(&L.mu);
    if (!L.running || --L.users > 0) {
        pthread_mutex_unlock(&L.mu);
        return;
    }
    L.stopping = 1;
    pthread_cond_broadcast(&L.cv);
    pthread_mutex_unlock(&L.mu);
    pthread_join(L.th, NULL);
    pthread_mutex_lock(&L.mu);
    L.running = 0;
    pthread_mutex_unlock(&L.mu);
}
