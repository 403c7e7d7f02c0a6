/* CloudWatch Logs ingestion cost (issue 11): what the Lambda runtime's log shipping costs.
 * Each invocation ships its lines (START, one of the function's, END/REPORT: 3 events) as
 * one PutLogEvents through the internal call path (svc_invoke: authorized, audited, one
 * commit), into 100 streams of one group, as a function's environments would. Then times a
 * GetLogEvents of a stream's latest events and a FilterLogEvents over the last minute, and
 * reports the store's bytes per event.
 *
 *   build/logs_bench [invocations]   (default 10,000) */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "auth/keys.h"
#include "base/clock.h"
#include "engine/audit.h"
#include "svc/svc.h"

static json_t *must(ferry_env *env, const principal *who, const char *op, json_t *in)
{
    ferr e = {0};
    json_t *out = NULL;
    if (svc_invoke(env, who, "us-east-1", "logs", op, in, &out, NULL, &e)) {
        fprintf(stderr, "logs:%s failed: %s %s\n", op, e.code, e.message);
        exit(1);
    }
    json_decref(in);
    return out;
}

static double ms_since(uint64_t t0)
{
    return (double)(clock_mono_ns() - t0) / 1e6;
}

/* Invocation i's lines into its environment's stream: a call of its own, or inside t. */
static void put(ferry_env *env, const principal *who, long i, store_txn *t, arena *a)
{
    long long now = (long long)(clock_now() * 1000);
    char start[96], line[96], report[200], name[32];
    snprintf(start, sizeof(start),
             "START RequestId: %08ld-0000-4000-8000-000000000000 Version: $LATEST", i);
    snprintf(line, sizeof(line), "handled order %ld", i);
    snprintf(report, sizeof(report),
             "REPORT RequestId: %08ld-0000-4000-8000-000000000000\tDuration: 1.02 ms\tBilled "
             "Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB",
             i);
    snprintf(name, sizeof(name), "env-%03ld", i % 100);
    json_t *in =
        json_pack("{s:s, s:s, s:[{s:I, s:s}, {s:I, s:s}, {s:I, s:s}]}", "logGroupName",
                  "/aws/lambda/f", "logStreamName", name, "logEvents", "timestamp", now, "message",
                  start, "timestamp", now, "message", line, "timestamp", now, "message", report);
    if (!t) {
        json_decref(must(env, who, "PutLogEvents", in));
        return;
    }
    ferr e = {0};
    json_t *out = NULL;
    if (svc_invoke_in(t, a, env, who, "us-east-1", "logs", "PutLogEvents", in, &out, NULL, &e)) {
        fprintf(stderr, "logs:PutLogEvents failed: %s %s\n", e.code, e.message);
        exit(1);
    }
    json_decref(in);
    json_decref(out);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000;
    char dir[] = "/tmp/ferry-logs-bench-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    ferr e = {0};
    ferry_env env = {.default_account = "000000000000"};
    env.st = store_open(dir, STORE_SYNC_NORMAL, &e);
    env.audit = auditq_new(env.st, &e);
    if (!env.st || !env.audit) return 1;
    principal root;
    keys_root_principal("222222222222", &root);
    json_decref(
        must(&env, &root, "CreateLogGroup", json_pack("{s:s}", "logGroupName", "/aws/lambda/f")));
    char name[32];
    for (int s = 0; s < 100; s++) {
        snprintf(name, sizeof(name), "env-%03d", s);
        json_decref(
            must(&env, &root, "CreateLogStream",
                 json_pack("{s:s, s:s}", "logGroupName", "/aws/lambda/f", "logStreamName", name)));
    }
    uint64_t t0 = clock_mono_ns();
    for (long i = 0; i < n; i++) put(&env, &root, i, NULL, NULL);
    double put_ms = ms_since(t0);
    printf("PutLogEvents (3 events, internal call): %ld in %.0f ms = %.0f/s, %.1f us each\n", n,
           put_ms, n / (put_ms / 1000), put_ms * 1000 / n);
    /* the same, 100 calls to a commit (svc_invoke_in), as a shipper that groups could */
    t0 = clock_mono_ns();
    for (long i = 0; i < n; i += 100) {
        store_txn *t;
        arena *a = arena_new(0);
        if (!a || store_begin(env.st, 1, &t, &e)) return 1;
        for (long j = i; j < i + 100 && j < n; j++) put(&env, &root, j, t, a);
        if (store_commit(t, &e)) return 1;
        arena_free(a);
    }
    put_ms = ms_since(t0);
    printf("PutLogEvents, 100 calls to a commit: %ld in %.0f ms = %.0f/s, %.1f us each\n", n,
           put_ms, n / (put_ms / 1000), put_ms * 1000 / n);
    n *= 2;
    t0 = clock_mono_ns();
    json_t *out = must(&env, &root, "GetLogEvents",
                       json_pack("{s:s, s:s, s:i}", "logGroupName", "/aws/lambda/f",
                                 "logStreamName", "env-007", "limit", 100));
    printf("GetLogEvents, a stream's latest 100 of %ld events: %.2f ms\n", 3 * n / 100,
           ms_since(t0));
    json_decref(out);
    t0 = clock_mono_ns();
    out = must(&env, &root, "FilterLogEvents",
               json_pack("{s:s, s:I, s:s, s:i}", "logGroupName", "/aws/lambda/f", "startTime",
                         (json_int_t)((clock_now() - 60) * 1000), "filterPattern", "REPORT",
                         "limit", 100));
    printf("FilterLogEvents, the last minute, 100 REPORT lines: %.2f ms\n", ms_since(t0));
    json_decref(out);
    auditq_free(env.audit);
    store_close(env.st);
    char path[128];
    struct stat st = {0}, wal = {0};
    snprintf(path, sizeof(path), "%s/ferry.db", dir);
    stat(path, &st);
    snprintf(path, sizeof(path), "%s/ferry.db-wal", dir);
    stat(path, &wal);
    printf("store: %.1f MB for %ld events (%.0f bytes/event, the audit trail included)\n",
           (double)(st.st_size + wal.st_size) / 1e6, 3 * n,
           (double)(st.st_size + wal.st_size) / (3.0 * n));
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
