/* SQS benchmark: messages per second through SendMessage -> ReceiveMessage -> DeleteMessage,
 * one message per call and in batches of 10, and the wake-up latency of a long poll when a
 * message is sent. Speaks the json protocol (current SDKs; the only one moto_server's SQS
 * speaks), signed with SigV4, over keep-alive connections (libcurl), C clients so the
 * client is not what is measured.
 *
 * Runs itself: starts ferry (the binary next to this program; `ferry init` for the keys,
 * strict SigV4, a fresh data directory) and, when installed, moto_server
 * (/root/.pyenv/shims/moto_server), and prints a markdown table.
 *   build/sqs_bench [--seconds N] [--threads N] [--only ferry|moto]
 * Environment: SQS_BENCH_ENDPOINT=http://host:port (+ SQS_BENCH_KEY/SQS_BENCH_SECRET) to
 * measure a server already running instead. */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth/sigv4.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/clock.h"

static double seconds = 5;
static int nthreads = 4;

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct target {
    const char *name;
    char endpoint[256];
    char host[128];
    char akid[64], secret[128];
} target;

typedef struct client {
    const target *t;
    CURL *curl;
    buf resp;
    long status;
} client;

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
    buf_put(ud, p, sz * n);
    return sz * n;
}

static void client_init(client *c, const target *t)
{
    memset(c, 0, sizeof(*c));
    c->t = t;
    c->curl = curl_easy_init();
    buf_init(&c->resp, 0);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &c->resp);
    curl_easy_setopt(c->curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 60L);
}

static void client_dispose(client *c)
{
    curl_easy_cleanup(c->curl);
    buf_dispose(&c->resp);
}

/* One signed json call; returns the parsed response (caller decrefs) or NULL. */
static json_t *call(client *c, const char *op, json_t *in)
{
    char *body = json_dumps(in, JSON_COMPACT);
    json_decref(in);
    arena *a = arena_new(4096);
    char amz[17], target[96];
    clock_amz((time_t)clock_now(), amz);
    snprintf(target, sizeof(target), "AmazonSQS.%s", op);
    hdr h[4] = {{"content-type", "application/x-amz-json-1.0"},
                {"x-amz-target", target},
                {"x-amz-date", amz},
                {"host", c->t->host}};
    hreq r = {.method = "POST",
              .raw_path = "/",
              .raw_query = "",
              .host = c->t->host,
              .headers = h,
              .nheaders = 4,
              .body = (const unsigned char *)body,
              .body_len = strlen(body)};
    char *auth = sigv4_sign(a, &r, c->t->akid, c->t->secret, "us-east-1", "sqs", amz, NULL);
    struct curl_slist *hl = NULL;
    char line[2048];
    hl = curl_slist_append(hl, "Content-Type: application/x-amz-json-1.0");
    snprintf(line, sizeof(line), "X-Amz-Target: %s", target);
    hl = curl_slist_append(hl, line);
    snprintf(line, sizeof(line), "X-Amz-Date: %s", amz);
    hl = curl_slist_append(hl, line);
    snprintf(line, sizeof(line), "Authorization: %s", auth);
    hl = curl_slist_append(hl, line);
    hl = curl_slist_append(hl, "Expect:");
    char url[300];
    snprintf(url, sizeof(url), "%s/", c->t->endpoint);
    buf_reset(&c->resp);
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    CURLcode rc = curl_easy_perform(c->curl);
    curl_slist_free_all(hl);
    free(body);
    arena_free(a);
    c->status = 0;
    if (rc != CURLE_OK) {
        fprintf(stderr, "%s %s: %s\n", c->t->name, op, curl_easy_strerror(rc));
        return NULL;
    }
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &c->status);
    json_t *out = json_loadb(c->resp.p ? c->resp.p : "{}", c->resp.len, 0, NULL);
    if (c->status != 200) {
        fprintf(stderr, "%s %s: HTTP %ld %.300s\n", c->t->name, op, c->status, buf_str(&c->resp));
        json_decref(out);
        return NULL;
    }
    return out;
}

static const char *create_queue(client *c, const char *name, char *url, size_t n)
{
    json_t *r = call(c, "CreateQueue", json_pack("{s:s}", "QueueName", name));
    const char *u = json_string_value(json_object_get(r, "QueueUrl"));
    if (!u) {
        json_decref(r);
        return NULL;
    }
    snprintf(url, n, "%s", u);
    json_decref(r);
    return url;
}

/* ---- throughput: send -> receive -> delete ---- */

typedef struct worker {
    const target *t;
    int batch, id;
    char url[512];
    double until;
    long long messages;
    int failed;
    pthread_t th;
} worker;

static void *cycle(void *arg)
{
    worker *w = arg;
    client c;
    client_init(&c, w->t);
    while (mono() < w->until && !w->failed) {
        /* send */
        json_t *r;
        if (w->batch == 1) {
            r = call(&c, "SendMessage",
                     json_pack("{s:s, s:s}", "QueueUrl", w->url, "MessageBody",
                               "benchmark message body of some realistic size, "
                               "a JSON event perhaps {\"id\":12345}"));
        } else {
            json_t *ents = json_array();
            for (int i = 0; i < w->batch; i++) {
                char id[16];
                snprintf(id, sizeof(id), "m%d", i);
                json_array_append_new(ents,
                                      json_pack("{s:s, s:s}", "Id", id, "MessageBody",
                                                "benchmark message body of some realistic size, "
                                                "a JSON event perhaps {\"id\":12345}"));
            }
            r = call(&c, "SendMessageBatch",
                     json_pack("{s:s, s:o}", "QueueUrl", w->url, "Entries", ents));
        }
        if (!r) {
            w->failed = 1;
            break;
        }
        json_decref(r);
        /* receive them (a standard queue may hand out fewer per call) */
        int got = 0;
        json_t *handles = json_array();
        for (int tries = 0; got < w->batch && tries < 50; tries++) {
            r = call(&c, "ReceiveMessage",
                     json_pack("{s:s, s:i}", "QueueUrl", w->url, "MaxNumberOfMessages", w->batch));
            if (!r) {
                w->failed = 1;
                break;
            }
            size_t i;
            json_t *m;
            json_array_foreach(json_object_get(r, "Messages"), i, m) {
                json_array_append(handles, json_object_get(m, "ReceiptHandle"));
                got++;
            }
            json_decref(r);
        }
        /* delete */
        if (w->batch == 1) {
            size_t i;
            json_t *h;
            json_array_foreach(handles, i, h) {
                r = call(&c, "DeleteMessage",
                         json_pack("{s:s, s:O}", "QueueUrl", w->url, "ReceiptHandle", h));
                if (!r) w->failed = 1;
                json_decref(r);
            }
        } else if (got) {
            json_t *ents = json_array();
            size_t i;
            json_t *h;
            json_array_foreach(handles, i, h) {
                char id[32];
                snprintf(id, sizeof(id), "d%zu", i);
                json_array_append_new(ents, json_pack("{s:s, s:O}", "Id", id, "ReceiptHandle", h));
            }
            r = call(&c, "DeleteMessageBatch",
                     json_pack("{s:s, s:o}", "QueueUrl", w->url, "Entries", ents));
            if (!r) w->failed = 1;
            json_decref(r);
        }
        json_decref(handles);
        w->messages += got;
    }
    client_dispose(&c);
    return NULL;
}

static double throughput(const target *t, int batch, int threads)
{
    worker *ws = calloc((size_t)threads, sizeof(*ws));
    client c;
    client_init(&c, t);
    for (int i = 0; i < threads; i++) {
        char name[64];
        snprintf(name, sizeof(name), "bench-%d-%d-%d", batch, threads, i);
        ws[i].t = t;
        ws[i].batch = batch;
        if (!create_queue(&c, name, ws[i].url, sizeof(ws[i].url))) {
            client_dispose(&c);
            free(ws);
            return -1;
        }
    }
    client_dispose(&c);
    double t0 = mono();
    for (int i = 0; i < threads; i++) {
        ws[i].until = t0 + seconds;
        pthread_create(&ws[i].th, NULL, cycle, &ws[i]);
    }
    long long total = 0;
    int failed = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(ws[i].th, NULL);
        total += ws[i].messages;
        failed |= ws[i].failed;
    }
    double dt = mono() - t0;
    free(ws);
    return failed ? -1 : (double)total / dt;
}

/* ---- long-poll wake-up ---- */

typedef struct poller {
    const target *t;
    const char *url;
    double returned;
    int ok;
} poller;

static void *long_poll(void *arg)
{
    poller *p = arg;
    client c;
    client_init(&c, p->t);
    json_t *r = call(&c, "ReceiveMessage",
                     json_pack("{s:s, s:i}", "QueueUrl", p->url, "WaitTimeSeconds", 20));
    p->returned = mono();
    p->ok = r && json_array_size(json_object_get(r, "Messages")) == 1;
    json_t *m = json_array_get(json_object_get(r, "Messages"), 0);
    if (m)
        json_decref(call(&c, "DeleteMessage",
                         json_pack("{s:s, s:O}", "QueueUrl", p->url, "ReceiptHandle",
                                   json_object_get(m, "ReceiptHandle"))));
    json_decref(r);
    client_dispose(&c);
    return NULL;
}

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median and 95th percentile (ms) of: send response -> parked receive answered. */
static int wakeup(const target *t, int rounds, double *med, double *p95, double *med_from_start)
{
    client c;
    client_init(&c, t);
    char url[512];
    if (!create_queue(&c, "bench-longpoll", url, sizeof(url))) return -1;
    double *lat = calloc((size_t)rounds, sizeof(double)),
           *lat0 = calloc((size_t)rounds, sizeof(double));
    int n = 0;
    for (int i = 0; i < rounds; i++) {
        poller p = {t, url, 0, 0};
        pthread_t th;
        pthread_create(&th, NULL, long_poll, &p);
        usleep(100000); /* let it park */
        double s0 = mono();
        json_t *r = call(&c, "SendMessage",
                         json_pack("{s:s, s:s}", "QueueUrl", url, "MessageBody", "wake"));
        double s1 = mono();
        json_decref(r);
        pthread_join(th, NULL);
        if (!p.ok) continue;
        lat[n] = (p.returned - s1) * 1000;
        lat0[n] = (p.returned - s0) * 1000;
        n++;
    }
    client_dispose(&c);
    if (n) {
        qsort(lat, (size_t)n, sizeof(double), dcmp);
        qsort(lat0, (size_t)n, sizeof(double), dcmp);
        *med = lat[n / 2];
        *p95 = lat[(n * 95) / 100 < n ? (n * 95) / 100 : n - 1];
        *med_from_start = lat0[n / 2];
    }
    free(lat);
    free(lat0);
    return n ? 0 : -1;
}

/* ---- servers ---- */

static pid_t spawn(char *const argv[], const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        FILE *f = fopen(log, "w");
        if (f) {
            dup2(fileno(f), 1);
            dup2(fileno(f), 2);
        }
        setpgid(0, 0);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static int wait_http(const char *endpoint, double timeout)
{
    double until = mono() + timeout;
    CURL *cu = curl_easy_init();
    char url[300];
    snprintf(url, sizeof(url), "%s/", endpoint);
    curl_easy_setopt(cu, CURLOPT_URL, url);
    curl_easy_setopt(cu, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(cu, CURLOPT_TIMEOUT, 1L);
    int ok = 0;
    while (!ok && mono() < until) {
        ok = curl_easy_perform(cu) == CURLE_OK;
        if (!ok) usleep(50000);
    }
    curl_easy_cleanup(cu);
    return ok ? 0 : -1;
}

static int ini_value(const char *file, const char *section, const char *key, char *out, size_t n)
{
    FILE *f = fopen(file, "r");
    if (!f) return -1;
    char line[512], want[128];
    snprintf(want, sizeof(want), "[%s]", section);
    int in = 0, found = -1;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] == '[')
            in = !strcmp(line, want);
        else if (in && !strncmp(line, key, strlen(key))) {
            const char *v = strchr(line, '=');
            if (!v) continue;
            v++;
            while (*v == ' ') v++;
            snprintf(out, n, "%s", v);
            found = 0;
        }
    }
    fclose(f);
    return found;
}

static pid_t start_ferry(const char *self, target *t, char *tmp)
{
    char bin[PATH_MAX], dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", self);
    char *slash = strrchr(dir, '/');
    snprintf(bin, sizeof(bin), "%.*s/ferry", slash ? (int)(slash - dir) : 1, slash ? dir : ".");
    char data[PATH_MAX], aws[PATH_MAX], portf[PATH_MAX], log[PATH_MAX], cmd[PATH_MAX * 4];
    snprintf(data, sizeof(data), "%s/data", tmp);
    snprintf(aws, sizeof(aws), "%s/aws", tmp);
    snprintf(portf, sizeof(portf), "%s/port", tmp);
    snprintf(log, sizeof(log), "%s/ferry.log", tmp);
    snprintf(cmd, sizeof(cmd),
             "'%s' init --data '%s' --aws-config '%s' --endpoint-url http://127.0.0.1:1 >/dev/null",
             bin, data, aws);
    if (system(cmd) != 0) return -1;
    char *argv[] = {bin,           "serve", "--listen",    "127.0.0.1:0", "--data", data,
                    "--port-file", portf,   "--log-level", "warn",        NULL};
    pid_t pid = spawn(argv, log);
    for (int i = 0; i < 200; i++) {
        FILE *f = fopen(portf, "r");
        int port = 0;
        if (f) {
            if (fscanf(f, "%d", &port) != 1) port = 0;
            fclose(f);
        }
        if (port) {
            snprintf(t->endpoint, sizeof(t->endpoint), "http://127.0.0.1:%d", port);
            snprintf(t->host, sizeof(t->host), "127.0.0.1:%d", port);
            char creds[PATH_MAX + 16];
            snprintf(creds, sizeof(creds), "%s/credentials", aws);
            if (ini_value(creds, "dev", "aws_access_key_id", t->akid, sizeof(t->akid)) ||
                ini_value(creds, "dev", "aws_secret_access_key", t->secret, sizeof(t->secret)))
                break;
            return pid;
        }
        usleep(50000);
    }
    kill(-pid, SIGTERM);
    waitpid(pid, NULL, 0);
    return -1;
}

static pid_t start_moto(target *t, char *tmp)
{
    const char *bin = "/root/.pyenv/shims/moto_server";
    if (access(bin, X_OK)) return -1;
    int port = 45000 + (int)(getpid() % 10000);
    char ps[16], log[PATH_MAX];
    snprintf(ps, sizeof(ps), "%d", port);
    snprintf(log, sizeof(log), "%s/moto.log", tmp);
    char *argv[] = {(char *)bin, "-p", ps, NULL};
    pid_t pid = spawn(argv, log);
    snprintf(t->endpoint, sizeof(t->endpoint), "http://127.0.0.1:%d", port);
    snprintf(t->host, sizeof(t->host), "127.0.0.1:%d", port);
    snprintf(t->akid, sizeof(t->akid), "testing");
    snprintf(t->secret, sizeof(t->secret), "testing");
    if (wait_http(t->endpoint, 30)) {
        kill(-pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return -1;
    }
    return pid;
}

static void run(const target *t)
{
    double single1 = throughput(t, 1, 1), singleN = throughput(t, 1, nthreads);
    double batch1 = throughput(t, 10, 1), batchN = throughput(t, 10, nthreads);
    double med = -1, p95 = -1, med0 = -1;
    wakeup(t, 30, &med, &p95, &med0);
    printf("| %s | %.0f | %.0f | %.0f | %.0f | %.2f / %.2f (%.2f) |\n", t->name, single1, singleN,
           batch1, batchN, med, p95, med0);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            nthreads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
    }
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char tmp[] = "/tmp/sqs-bench-XXXXXX";
    if (!mkdtemp(tmp)) return 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("SQS: messages/s through send -> receive -> delete (json protocol, SigV4, keep-alive), "
           "%gs per cell, %ld cores; long-poll wake-up: ms from the SendMessage response to the "
           "parked ReceiveMessage's response, median / p95 (median from the send's start)\n\n",
           seconds, cores);
    printf("| server | 1 msg/call, 1 conn | 1 msg/call, %d conns | batches of 10, 1 conn | "
           "batches of 10, %d conns | long-poll wake-up ms |\n|---|---|---|---|---|---|\n",
           nthreads, nthreads);
    fflush(stdout);
    const char *ext = getenv("SQS_BENCH_ENDPOINT");
    if (ext) {
        target t = {.name = "external"};
        snprintf(t.endpoint, sizeof(t.endpoint), "%s", ext);
        const char *h = strstr(ext, "://");
        snprintf(t.host, sizeof(t.host), "%s", h ? h + 3 : ext);
        snprintf(t.akid, sizeof(t.akid), "%s",
                 getenv("SQS_BENCH_KEY") ? getenv("SQS_BENCH_KEY") : "testing");
        snprintf(t.secret, sizeof(t.secret), "%s",
                 getenv("SQS_BENCH_SECRET") ? getenv("SQS_BENCH_SECRET") : "testing");
        run(&t);
    } else {
        if (!only || !strcmp(only, "ferry")) {
            target t = {.name = "ferry"};
            pid_t pid = start_ferry(argv[0], &t, tmp);
            if (pid > 0) {
                run(&t);
                kill(-pid, SIGTERM);
                waitpid(pid, NULL, 0);
            } else {
                printf("| ferry | (did not start) | | | | |\n");
            }
        }
        if (!only || !strcmp(only, "moto")) {
            target t = {.name = "moto_server"};
            pid_t pid = start_moto(&t, tmp);
            if (pid > 0) {
                run(&t);
                kill(-pid, SIGTERM);
                waitpid(pid, NULL, 0);
            } else {
                printf("| moto_server | (not installed) | | | | |\n");
            }
        }
    }
    char cmd[PATH_MAX];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
    curl_global_cleanup();
    return 0;
}
