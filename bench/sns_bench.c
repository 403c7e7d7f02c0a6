/* SNS fan-out benchmark: a topic in one account (dev) with 10 SQS queue subscriptions in
 * three accounts (4 in dev, 3 in qa, 3 in prod, cross-account through the topic and queue
 * policies), signed SNS envelopes (the default, not raw delivery).
 *
 * Measures, with C clients (libcurl keep-alive, SigV4) so the client is not what is timed:
 *   - acknowledged (durable) publishes per second at N connections,
 *   - fanned-out publishes per second: publishes whose 10 copies are all stored in their
 *     queues, over the time from the first publish to the last copy stored,
 *   - end-to-end latency: from the client sending Publish to the copy stored in the queue
 *     (the queue's SentTimestamp), p50 / p99, under that full load and at a light paced
 *     load (200 publishes/s).
 * Against moto_server (/root/.pyenv/shims/moto_server) where installed, with all queues
 * in its one account (it has no cross-account policies) and the same client.
 *
 *   build/sns_bench [--seconds N] [--threads N] [--only ferry|moto] [--raw]
 * --raw subscribes with RawMessageDelivery (the message alone: no envelope to sign).
 * Environment: SNS_BENCH_LOG=info|debug (ferry's log level; debug logs every round and SQS
 * batch), SNS_BENCH_KEEP=1 (keep the temporary directory with ferry.log), and ferry's own
 * FERRY_SNS_KEY_BITS (signing key size of the fresh data directory). Results:
 * bench/sns_results.md.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth/sigv4.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/enc.h"

#define NQUEUES 10

static double seconds = 10;
static int nthreads = 8;
static int raw; /* --raw: RawMessageDelivery subscriptions (no envelope, no signature) */

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct creds {
    char akid[64], secret[128];
} creds;

typedef struct target {
    const char *name;
    char endpoint[256], host[128];
    creds acct[3]; /* dev, qa, prod */
    int multi_account;
} target;

typedef struct client {
    const target *t;
    const creds *k;
    CURL *curl;
    buf resp;
    long status;
} client;

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
    buf_put(ud, p, sz * n);
    return sz * n;
}

static void client_init(client *c, const target *t, int acct)
{
    memset(c, 0, sizeof(*c));
    c->t = t;
    c->k = &t->acct[t->multi_account ? acct : 0];
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

/* One signed POST; 0 when answered 200 (body in c->resp). */
static int post(client *c, const char *service, const char *ctype, const char *target_hdr,
                const char *body)
{
    arena *a = arena_new(4096);
    char amz[17];
    clock_amz((time_t)clock_now(), amz);
    hdr h[4] = {{"content-type", ctype},
                {"x-amz-date", amz},
                {"host", c->t->host},
                {"x-amz-target", target_hdr}};
    hreq r = {.method = "POST",
              .raw_path = "/",
              .raw_query = "",
              .host = c->t->host,
              .headers = h,
              .nheaders = target_hdr ? 4 : 3,
              .body = (const unsigned char *)body,
              .body_len = strlen(body)};
    char *auth = sigv4_sign(a, &r, c->k->akid, c->k->secret, "us-east-1", service, amz, NULL);
    struct curl_slist *hl = NULL;
    char line[2048];
    snprintf(line, sizeof(line), "Content-Type: %s", ctype);
    hl = curl_slist_append(hl, line);
    if (target_hdr) {
        snprintf(line, sizeof(line), "X-Amz-Target: %s", target_hdr);
        hl = curl_slist_append(hl, line);
    }
    snprintf(line, sizeof(line), "X-Amz-Date: %s", amz);
    hl = curl_slist_append(hl, line);
    snprintf(line, sizeof(line), "Authorization: %s", auth ? auth : "");
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
    arena_free(a);
    c->status = 0;
    if (rc != CURLE_OK) return -1;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &c->status);
    return c->status == 200 ? 0 : -1;
}

/* SQS over the json protocol. */
static json_t *sqs(client *c, const char *op, json_t *in)
{
    char *body = json_dumps(in, JSON_COMPACT);
    json_decref(in);
    char tgt[96];
    snprintf(tgt, sizeof(tgt), "AmazonSQS.%s", op);
    int rc = post(c, "sqs", "application/x-amz-json-1.0", tgt, body);
    free(body);
    if (rc) {
        fprintf(stderr, "%s sqs %s: HTTP %ld %.300s\n", c->t->name, op, c->status,
                buf_str(&c->resp));
        return NULL;
    }
    return json_loadb(c->resp.p ? c->resp.p : "{}", c->resp.len, 0, NULL);
}

/* SNS over the query protocol: pairs of name, value (NULL-terminated); 0 or -1. */
static int sns(client *c, const char *action, ...)
{
    arena *a = arena_new(4096);
    buf b;
    buf_init(&b, 0);
    buf_printf(&b, "Action=%s&Version=2010-03-31", action);
    va_list ap;
    va_start(ap, action);
    const char *k;
    while ((k = va_arg(ap, const char *))) {
        const char *v = va_arg(ap, const char *);
        buf_printf(&b, "&%s=%s", k, enc_url_encode(a, v, strlen(v), 0));
    }
    va_end(ap);
    int rc = post(c, "sns", "application/x-www-form-urlencoded; charset=utf-8", NULL, buf_str(&b));
    if (rc)
        fprintf(stderr, "%s sns %s: HTTP %ld %.300s\n", c->t->name, action, c->status,
                buf_str(&c->resp));
    buf_dispose(&b);
    arena_free(a);
    return rc;
}

static int xml_value(const client *c, const char *tag, char *out, size_t n)
{
    char open[64], close[64];
    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    const char *p = strstr(buf_str(&c->resp), open), *q = p ? strstr(p, close) : NULL;
    if (!q) return -1;
    p += strlen(open);
    snprintf(out, n, "%.*s", (int)(q - p), p);
    return 0;
}

/* ---- setup: topic, policies, 10 queues in three accounts, subscriptions ---- */

typedef struct setup {
    char topic[256];
    char url[NQUEUES][512];
    int owner[NQUEUES];
} setup;

static int owner_of(int i)
{
    return i < 4 ? 0 : i < 7 ? 1 : 2;
}

static int account_id(client *c, char *out)
{
    if (sns(c, "ListTopics", NULL)) return -1;
    /* the account is in any ARN; create one to learn it */
    if (sns(c, "CreateTopic", "Name", "whoami", NULL) || xml_value(c, "TopicArn", out, 256))
        return -1;
    char *p = strstr(out, ":sns:");
    p = p ? strchr(p + 5, ':') : NULL;
    if (!p) return -1;
    memmove(out, p + 1, 12);
    out[12] = 0;
    return 0;
}

static int prepare(const target *t, setup *s)
{
    client c[3];
    for (int i = 0; i < 3; i++) client_init(&c[i], t, i);
    int rc = -1;
    char acct[3][256];
    for (int i = 0; i < 3; i++)
        if (account_id(&c[i], acct[i])) goto out;
    if (sns(&c[0], "CreateTopic", "Name", "bench", NULL) ||
        xml_value(&c[0], "TopicArn", s->topic, sizeof(s->topic)))
        goto out;
    if (t->multi_account) {
        char pol[2048];
        snprintf(pol, sizeof(pol),
                 "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{"
                 "\"AWS\":"
                 "\"%s\"},\"Action\":[\"sns:Publish\",\"sns:Subscribe\"],\"Resource\":\"%s\"},{"
                 "\"Effect\":\"Allow\","
                 "\"Principal\":{\"AWS\":[\"%s\",\"%s\"]},\"Action\":\"sns:Subscribe\","
                 "\"Resource\":\"%s\"}]}",
                 acct[0], s->topic, acct[1], acct[2], s->topic);
        if (sns(&c[0], "SetTopicAttributes", "TopicArn", s->topic, "AttributeName", "Policy",
                "AttributeValue", pol, NULL))
            goto out;
    }
    for (int i = 0; i < NQUEUES; i++) {
        client *o = &c[owner_of(i)];
        s->owner[i] = owner_of(i);
        char name[32];
        snprintf(name, sizeof(name), "bench-q%d", i);
        json_t *r = sqs(o, "CreateQueue", json_pack("{s:s}", "QueueName", name));
        const char *u = json_string_value(json_object_get(r, "QueueUrl"));
        if (!u) {
            json_decref(r);
            goto out;
        }
        snprintf(s->url[i], sizeof(s->url[i]), "%s", u);
        json_decref(r);
        r = sqs(o, "GetQueueAttributes",
                json_pack("{s:s, s:[s]}", "QueueUrl", s->url[i], "AttributeNames", "QueueArn"));
        const char *qarn =
            json_string_value(json_object_get(json_object_get(r, "Attributes"), "QueueArn"));
        char arn[256];
        snprintf(arn, sizeof(arn), "%s", qarn ? qarn : "");
        json_decref(r);
        if (!*arn) goto out;
        char pol[1024];
        snprintf(pol, sizeof(pol),
                 "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{"
                 "\"Service\":"
                 "\"sns.amazonaws.com\"},\"Action\":\"sqs:SendMessage\",\"Resource\":\"%s\","
                 "\"Condition\":"
                 "{\"ArnEquals\":{\"aws:SourceArn\":\"%s\"}}}]}",
                 arn, s->topic);
        json_decref(r = sqs(o, "SetQueueAttributes",
                            json_pack("{s:s, s:{s:s}}", "QueueUrl", s->url[i], "Attributes",
                                      "Policy", pol)));
        if (!r) goto out;
        if (raw ? sns(o, "Subscribe", "TopicArn", s->topic, "Protocol", "sqs", "Endpoint", arn,
                      "Attributes.entry.1.key", "RawMessageDelivery", "Attributes.entry.1.value",
                      "true", NULL)
                : sns(o, "Subscribe", "TopicArn", s->topic, "Protocol", "sqs", "Endpoint", arn,
                      NULL))
            goto out;
    }
    rc = 0;
out:
    for (int i = 0; i < 3; i++) client_dispose(&c[i]);
    return rc;
}

/* ---- load ---- */

typedef struct pub {
    const target *t;
    const setup *s;
    double until, rate; /* rate > 0: paced, publishes per second for this thread */
    long long ok, failed;
    pthread_t th;
} pub;

static _Atomic long long seqno;

static void *publisher(void *arg)
{
    pub *p = arg;
    client c;
    client_init(&c, p->t, 0);
    double next = mono();
    while (mono() < p->until) {
        if (p->rate > 0) {
            double now = mono();
            if (now < next) usleep((useconds_t)((next - now) * 1e6));
            next += 1.0 / p->rate;
        }
        char msg[128];
        snprintf(msg, sizeof(msg), "{\"t\":%.6f,\"n\":%lld}", clock_now(), seqno++);
        if (sns(&c, "Publish", "TopicArn", p->s->topic, "Message", msg, NULL))
            p->failed++;
        else
            p->ok++;
    }
    client_dispose(&c);
    return NULL;
}

static long long queued(const target *t, const setup *s, int i)
{
    client c;
    client_init(&c, t, s->owner[i]);
    json_t *r =
        sqs(&c, "GetQueueAttributes",
            json_pack("{s:s, s:[s, s]}", "QueueUrl", s->url[i], "AttributeNames",
                      "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"));
    json_t *a = json_object_get(r, "Attributes");
    const char *v = json_string_value(json_object_get(a, "ApproximateNumberOfMessages"));
    const char *nv = json_string_value(json_object_get(a, "ApproximateNumberOfMessagesNotVisible"));
    long long n = (v ? atoll(v) : -1) + (nv ? atoll(nv) : 0);
    json_decref(r);
    client_dispose(&c);
    return n;
}

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Receives (and deletes) everything in queue i; appends latencies (ms) to lat. */
static long long drain(const target *t, const setup *s, int i, double *lat, long long cap,
                       long long *nlat)
{
    client c;
    client_init(&c, t, s->owner[i]);
    long long got = 0;
    int empty = 0;
    while (empty < 2) {
        json_t *r =
            sqs(&c, "ReceiveMessage",
                json_pack("{s:s, s:i, s:[s], s:i}", "QueueUrl", s->url[i], "MaxNumberOfMessages",
                          10, "AttributeNames", "SentTimestamp", "VisibilityTimeout", 300));
        json_t *msgs = json_object_get(r, "Messages");
        if (!json_array_size(msgs)) {
            empty++;
            json_decref(r);
            continue;
        }
        empty = 0;
        json_t *ents = json_array();
        size_t k;
        json_t *m;
        json_array_foreach(msgs, k, m) {
            got++;
            const char *sent = json_string_value(
                json_object_get(json_object_get(m, "Attributes"), "SentTimestamp"));
            json_t *env = json_loads(json_string_value(json_object_get(m, "Body")), 0, NULL);
            json_t *inner =
                raw ? json_incref(env)
                    : json_loads(json_string_value(json_object_get(env, "Message")), 0, NULL);
            double t0 = json_number_value(json_object_get(inner, "t"));
            if (sent && t0 > 0 && *nlat < cap) lat[(*nlat)++] = atof(sent) - t0 * 1000;
            json_decref(inner);
            json_decref(env);
            char id[24];
            snprintf(id, sizeof(id), "d%zu", k);
            json_array_append_new(ents, json_pack("{s:s, s:O}", "Id", id, "ReceiptHandle",
                                                  json_object_get(m, "ReceiptHandle")));
        }
        json_decref(sqs(&c, "DeleteMessageBatch",
                        json_pack("{s:s, s:o}", "QueueUrl", s->url[i], "Entries", ents)));
        json_decref(r);
    }
    client_dispose(&c);
    return got;
}

static pid_t server_pid;
static double cpu_seconds(pid_t pid);

typedef struct result {
    double acked_rate, fanout_rate, p50, p99, light_p50, light_p99, cpu_fanout;
    long long acked, failed, lost;
} result;

static void load(const target *t, const setup *s, int threads, double secs, double rate,
                 result *res, double *lat, long long cap, long long *nlat)
{
    pub *ps = calloc((size_t)threads, sizeof(*ps));
    double cpu0 = cpu_seconds(server_pid);
    double t0 = mono();
    for (int i = 0; i < threads; i++) {
        ps[i] = (pub){.t = t, .s = s, .until = t0 + secs, .rate = rate > 0 ? rate / threads : 0};
        pthread_create(&ps[i].th, NULL, publisher, &ps[i]);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(ps[i].th, NULL);
        res->acked += ps[i].ok;
        res->failed += ps[i].failed;
    }
    double t1 = mono();
    res->acked_rate = (double)res->acked / (t1 - t0);
    /* wait for every copy to be stored */
    double done = t1;
    for (double until = t1 + 120; mono() < until;) {
        long long min = -1;
        for (int i = 0; i < NQUEUES; i++) {
            long long n = queued(t, s, i);
            if (min < 0 || n < min) min = n;
        }
        done = mono();
        if (min >= res->acked) break;
        usleep(20000);
    }
    res->fanout_rate = (double)res->acked / (done - t0);
    res->cpu_fanout = cpu_seconds(server_pid) - cpu0;
    /* latency from two queues (one in the topic's account, one across accounts); all drained */
    for (int i = 0; i < NQUEUES; i++) {
        long long got = drain(t, s, i, lat, (i == 0 || i == NQUEUES - 1) ? cap : 0, nlat);
        if (got < res->acked) res->lost += res->acked - got;
    }
    free(ps);
}

static void percentiles(double *lat, long long n, double *p50, double *p99)
{
    if (!n) {
        *p50 = *p99 = -1;
        return;
    }
    qsort(lat, (size_t)n, sizeof(double), dcmp);
    *p50 = lat[n / 2];
    *p99 = lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1];
}

/* CPU seconds (user + system) the process has used so far. */
static double cpu_seconds(pid_t pid)
{
    char path[64], line[4096];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(line, 1, sizeof(line) - 1, f);
    fclose(f);
    line[n] = 0;
    const char *p = strrchr(line, ')');
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void run(const target *t)
{
    setup s;
    memset(&s, 0, sizeof(s));
    if (prepare(t, &s)) {
        printf("| %s | (setup failed) | | | | | |\n", t->name);
        return;
    }
    long long cap = 4000000, nlat = 0;
    double *lat = malloc((size_t)cap * sizeof(double));
    result r = {0};
    double cpu0 = cpu_seconds(server_pid);
    load(t, &s, nthreads, seconds, 0, &r, lat, cap, &nlat);
    double cpu1 = cpu_seconds(server_pid);
    percentiles(lat, nlat, &r.p50, &r.p99);
    result light = {0};
    nlat = 0;
    load(t, &s, 2, 3, 200, &light, lat, cap, &nlat);
    percentiles(lat, nlat, &r.light_p50, &r.light_p99);
    /* server CPU per publish: publishing and fanning out (the benchmark's draining apart) */
    double cpu_ms = cpu0 >= 0 && cpu1 >= 0 && r.acked ? r.cpu_fanout * 1000 / (double)r.acked : -1;
    printf("| %s | %.0f | %.0f | %.1f / %.1f | %.1f / %.1f | %.2f | %lld acked, %lld failed, %lld "
           "copies missing |\n",
           t->name, r.acked_rate, r.fanout_rate, r.p50, r.p99, r.light_p50, r.light_p99, cpu_ms,
           r.acked, r.failed, r.lost + light.lost);
    fflush(stdout);
    free(lat);
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
            for (v++; *v == ' '; v++) {
            }
            snprintf(out, n, "%s", v);
            found = 0;
        }
    }
    fclose(f);
    return found;
}

static pid_t start_ferry(const char *self, target *t, const char *tmp)
{
    char bin[PATH_MAX], dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", self);
    char *slash = strrchr(dir, '/');
    snprintf(bin, sizeof(bin), "%.*s/ferry", slash ? (int)(slash - dir) : 1, slash ? dir : ".");
    char data[PATH_MAX], aws[PATH_MAX], portf[PATH_MAX], log[PATH_MAX], cmd[PATH_MAX * 4],
        creds_file[PATH_MAX + 16];
    snprintf(data, sizeof(data), "%s/data", tmp);
    snprintf(aws, sizeof(aws), "%s/aws", tmp);
    snprintf(portf, sizeof(portf), "%s/port", tmp);
    snprintf(log, sizeof(log), "%s/ferry.log", tmp);
    snprintf(creds_file, sizeof(creds_file), "%s/credentials", aws);
    snprintf(cmd, sizeof(cmd),
             "'%s' init --data '%s' --aws-config '%s' --endpoint-url http://127.0.0.1:1 >/dev/null",
             bin, data, aws);
    if (system(cmd) != 0) return -1;
    static const char *const profiles[] = {"dev", "qa", "prod"};
    for (int i = 0; i < 3; i++)
        if (ini_value(creds_file, profiles[i], "aws_access_key_id", t->acct[i].akid,
                      sizeof(t->acct[i].akid)) ||
            ini_value(creds_file, profiles[i], "aws_secret_access_key", t->acct[i].secret,
                      sizeof(t->acct[i].secret)))
            return -1;
    char level[16];
    snprintf(level, sizeof(level), "%s",
             getenv("SNS_BENCH_LOG") ? getenv("SNS_BENCH_LOG") : "warn");
    char *argv[] = {bin,           "serve", "--listen",    "127.0.0.1:0", "--data", data,
                    "--port-file", portf,   "--log-level", level,         NULL};
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
            t->multi_account = 1;
            return pid;
        }
        usleep(50000);
    }
    kill(-pid, SIGTERM);
    waitpid(pid, NULL, 0);
    return -1;
}

static pid_t start_moto(target *t, const char *tmp)
{
    const char *bin = "/root/.pyenv/shims/moto_server";
    if (access(bin, X_OK)) return -1;
    int port = 46000 + (int)(getpid() % 10000);
    char ps[16], log[PATH_MAX];
    snprintf(ps, sizeof(ps), "%d", port);
    snprintf(log, sizeof(log), "%s/moto.log", tmp);
    char *argv[] = {(char *)bin, "-p", ps, NULL};
    pid_t pid = spawn(argv, log);
    snprintf(t->endpoint, sizeof(t->endpoint), "http://127.0.0.1:%d", port);
    snprintf(t->host, sizeof(t->host), "127.0.0.1:%d", port);
    for (int i = 0; i < 3; i++) {
        snprintf(t->acct[i].akid, sizeof(t->acct[i].akid), "testing");
        snprintf(t->acct[i].secret, sizeof(t->acct[i].secret), "testing");
    }
    CURL *cu = curl_easy_init();
    char url[300];
    snprintf(url, sizeof(url), "%s/", t->endpoint);
    curl_easy_setopt(cu, CURLOPT_URL, url);
    curl_easy_setopt(cu, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(cu, CURLOPT_TIMEOUT, 1L);
    int ok = 0;
    for (double until = mono() + 30; !ok && mono() < until;) {
        ok = curl_easy_perform(cu) == CURLE_OK;
        if (!ok) usleep(100000);
    }
    curl_easy_cleanup(cu);
    if (!ok) {
        kill(-pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return -1;
    }
    return pid;
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
        else if (!strcmp(argv[i], "--raw"))
            raw = 1;
    }
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char tmp[] = "/tmp/sns-bench-XXXXXX";
    if (!mkdtemp(tmp)) return 1;
    printf("SNS fan-out: one topic, %d SQS queue subscriptions in 3 accounts (%s), Publish over "
           "the query protocol (SigV4, keep-alive) from %d connections for %gs, %ld cores. "
           "End-to-end = client "
           "sends Publish -> copy stored in the queue (SentTimestamp), ms p50 / p99.\n\n",
           NQUEUES, raw ? "raw delivery" : "signed envelopes", nthreads, seconds,
           sysconf(_SC_NPROCESSORS_ONLN));
    printf("| server | acknowledged publishes/s | fanned-out publishes/s (all %d copies stored) | "
           "end-to-end at full "
           "load | end-to-end at 200/s | server CPU ms per publish | checks "
           "|\n|---|---|---|---|---|---|---|\n",
           NQUEUES);
    fflush(stdout);
    struct {
        const char *name;
        pid_t (*start)(target *, const char *);
    } servers[] = {{"ferry", NULL}, {"moto_server", start_moto}};
    for (int i = 0; i < 2; i++) {
        if (only && strcmp(only, i ? "moto" : "ferry")) continue;
        target t = {.name = servers[i].name};
        pid_t pid = i == 0 ? start_ferry(argv[0], &t, tmp) : start_moto(&t, tmp);
        if (pid <= 0) {
            printf("| %s | (did not start) | | | | | |\n", t.name);
            continue;
        }
        server_pid = pid;
        run(&t);
        kill(-pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    char cmd[PATH_MAX];
    if (getenv("SNS_BENCH_KEEP")) {
        fprintf(stderr, "kept %s\n", tmp);
        curl_global_cleanup();
        return 0;
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
    curl_global_cleanup();
    return 0;
}
