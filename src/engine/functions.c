/* The functions engine: invocations, warm execution environments and their supervisor.
 *
 * functions_start never blocks on the store: it picks an idle environment of the same
 * (arn, revision) or dedicates a new one, whose preparation (the execution role's session,
 * the files) runs on a thread of its own. One supervisor thread forks every environment's
 * guard (fn_env.c: the process group's leader, which kills the group when ferry dies),
 * reads the output, reaps the processes, and enforces deadlines, memory and idleness.
 *
 * Seams (environment of ferry): FERRY_FN_IDLE_SECONDS (an idle environment's life, 300 s),
 * FERRY_FN_PYTHON and FERRY_FN_NODE (the interpreters; by default /usr/bin's, else PATH's),
 * FERRY_FN_NODE_MODULES (the JavaScript SDK's node_modules offered to nodejs functions). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/thread.h"
#include "engine/engines.h"
#include "engine/fn_int.h"
#include "engine/proc.h"

/* AWS's default account concurrency (unreserved functions share it) */
#define ACCOUNT_POOL 1000
/* an environment retires this long before its credentials expire */
#define CRED_MARGIN  300
#define TAIL_BYTES   4096
/* an idle environment is frozen this long after its last invocation: freezing (a scan of
 * /proc for the group's processes, SIGSTOP each) after every invocation cost more than the
 * invocation itself under steady load, and AWS's freeze is not observable that soon */
#define FREEZE_AFTER 0.05

pthread_mutex_t fn_mu = PTHREAD_MUTEX_INITIALIZER;

static struct {
    pthread_cond_t done_cv;
    int running, stopping;
    ferry_env *env;
    fnenv *envs;
    fn_inv *invs;
    int wake[2];
    pthread_t sup;
    char root[PATH_MAX];
    double idle_s;
    char why[256]; /* why functions cannot run on this machine ("" when they can) */
    unsigned char slots[65536 / 8];
} F = {.done_cv = PTHREAD_COND_INITIALIZER, .wake = {-1, -1}};

void fn_wake(void)
{
    char c = 1;
    if (F.wake[1] >= 0 && write(F.wake[1], &c, 1) < 0) { /* full: a wake is pending anyway */
    }
}

void fn_wait_key(const char *id, char key[48])
{
    snprintf(key, 48, "fn:%.40s", id);
}

void fn_result_clear(fn_result *r)
{
    free(r->payload);
    free(r->log_tail);
    r->payload = r->log_tail = NULL;
}

static void inv_free(fn_inv *inv)
{
    if (!inv) return;
    free(inv->payload);
    free(inv->reply);
    fn_result_clear(&inv->res);
    buf_dispose(&inv->log);
    free(inv);
}

static void env_free(fnenv *v)
{
    if (!v) return;
    free(v->account), free(v->region), free(v->name), free(v->arn), free(v->version);
    free(v->revision), free(v->runtime), free(v->handler), free(v->log_group);
    free(v->role_arn), free(v->code_dir);
    for (size_t i = 0; i < v->n_layers; i++) free(v->layers[i]);
    free(v->layers);
    json_decref(v->variables);
    for (size_t i = 0; v->argv && v->argv[i]; i++) free(v->argv[i]);
    for (size_t i = 0; v->envp && v->envp[i]; i++) free(v->envp[i]);
    free(v->argv), free(v->envp);
    pthread_cond_destroy(&v->cv);
    free(v);
}

void fn_log_line(fnenv *v, fn_inv *inv, const char *s, size_t n)
{
    double now = clock_now();
    fn_logs_put(v->region, v->log_group, v->stream, &v->sess.key.who, now, s, n);
    if (!inv) return;
    buf *b = &inv->log;
    if (b->len + n + 1 > 4 * TAIL_BYTES) {
        size_t keep = TAIL_BYTES < b->len ? TAIL_BYTES : b->len;
        memmove(b->p, b->p + b->len - keep, keep);
        b->len = keep;
        b->p[keep] = 0;
    }
    if (buf_put(b, s, n) || buf_putc(b, '\n')) b->failed = 0;
}

void fn_drain(fnenv *v)
{
    if (v->out_fd < 0) return;
    char b[8192];
    /* at most 512 KB a call: a function that writes without end delays no other */
    for (int chunk = 0; chunk < 64; chunk++) {
        ssize_t n = read(v->out_fd, b, sizeof(b));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0 || errno != EAGAIN) {
                close(v->out_fd);
                v->out_fd = -1;
                if (v->partial_len) fn_log_line(v, v->cur, v->partial, v->partial_len);
                v->partial_len = 0;
            }
            return;
        }
        for (ssize_t i = 0; i < n; i++) {
            if (b[i] == '\n' || v->partial_len == sizeof(v->partial)) {
                fn_log_line(v, v->cur, v->partial, v->partial_len);
                v->partial_len = 0;
                if (b[i] == '\n') continue;
            }
            v->partial[v->partial_len++] = b[i];
        }
    }
}

/* Ends inv with what it has (reply or error) and AWS's END and REPORT lines; the
 * environment becomes idle unless it is being discarded. Under fn_mu; key gets the wait
 * key to notify after the lock is released. */
static void finish(fnenv *v, fn_inv *inv, char key[48])
{
    double now = clock_now();
    char line[512];
    if (v && !inv->res.failed) {
        double ms = (now - (inv->handed ? inv->handed : inv->started)) * 1000;
        /* an invocation quicker than the sampler's period still reports what it used */
        if (!v->max_rss_kb && v->pid > 0) v->max_rss_kb = fn_group_rss_kb(v->pid, 1);
        snprintf(line, sizeof(line), "END RequestId: %s", inv->request_id);
        fn_log_line(v, inv, line, strlen(line));
        int n = snprintf(line, sizeof(line),
                         "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %.0f ms\t"
                         "Memory Size: %d MB\tMax Memory Used: %ld MB\t",
                         inv->request_id, ms, ms < 1 ? 1 : ms + 0.5, v->memory_mb,
                         (v->max_rss_kb + 1023) / 1024);
        if (v->init_ms > 0 && !v->init_reported && n > 0 && (size_t)n < sizeof(line))
            snprintf(line + n, sizeof(line) - (size_t)n, "Init Duration: %.2f ms\t", v->init_ms);
        v->init_reported = 1;
        fn_log_line(v, inv, line, strlen(line));
    }
    if (!inv->res.failed) {
        inv->res.payload = inv->reply ? inv->reply : strdup("null");
        inv->res.len = inv->reply ? inv->reply_len : 4;
        inv->reply = NULL;
        inv->res.function_error = inv->function_error;
        size_t l = inv->log.len, k = l > TAIL_BYTES ? TAIL_BYTES : l;
        inv->res.log_tail = l ? strndup(inv->log.p + l - k, k) : NULL;
    }
    inv->state = INV_DONE;
    inv->env = NULL;
    if (v && v->cur == inv) {
        v->cur = NULL;
        v->busy = 0;
        v->idle_since = now;
    }
    fn_wait_key(inv->id, key);
    pthread_cond_broadcast(&F.done_cv);
}

void fn_replied(fnenv *v, fn_inv *inv, char key[48])
{
    fn_drain(v);
    finish(v, inv, key);
}

void fn_notify(const char *key)
{
    if (F.env) svc_notify(F.env, key);
}

static void fail_with(fn_inv *inv, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail_with(fn_inv *inv, const char *type, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_t *j = type ? json_pack("{s:s,s:s}", "errorType", type, "errorMessage", msg)
                     : json_pack("{s:s}", "errorMessage", msg);
    free(inv->reply);
    inv->reply = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    inv->reply_len = inv->reply ? strlen(inv->reply) : 0;
    inv->function_error = "Unhandled";
    json_decref(j);
}

static void kill_env(fnenv *v)
{
    if (v->pid > 0) kill(-v->pid, SIGKILL);
    v->state = ENV_DYING;
    pthread_cond_broadcast(&v->cv);
}

static void slot_put(int s)
{
    F.slots[s / 8] &= (unsigned char)~(1u << (s % 8));
}

static int slot_get(void)
{
    for (int s = 0; s < 65536; s++)
        if (!(F.slots[s / 8] & (1u << (s % 8)))) {
            F.slots[s / 8] |= (unsigned char)(1u << (s % 8));
            return s;
        }
    return -1;
}

/* Prepares v on a thread of its own: the role's session (a store transaction), the files,
 * the Runtime API. Then the supervisor forks. */
static void *prepare(void *arg)
{
    fnenv *v = arg;
    ferr e = {0};
    principal lambda;
    session_service_principal(&lambda, "lambda.amazonaws.com", v->account);
    char sname[65];
    snprintf(sname, sizeof(sname), "%s", strlen(v->name) >= 2 ? v->name : "lambda");
    session_req r = {.role_arn = v->role_arn, .session_name = sname};
    int rc = 0;
    if (session_assume_as(F.env, NULL, NULL, &lambda, v->region, &r, &v->sess, &e)) {
        /* AWS's answer for a role that does not trust lambda.amazonaws.com */
        if (e.status < 500)
            ferr_set(&e, 400, "InvalidParameterValueException",
                     "The role defined for the function cannot be assumed by Lambda.");
        rc = -1;
    }
    if (!rc) rc = fn_rapi_start(v, &e);
    if (!rc) rc = fn_env_prepare(v, F.root, F.env->endpoint, &e);
    char key[48] = "";
    pthread_mutex_lock(&fn_mu);
    if (rc || F.stopping || v->state == ENV_DYING) {
        if (!rc) ferr_set(&e, 500, "ServiceException", "the server is stopping");
        fn_inv *inv = v->cur;
        if (inv && inv->state != INV_DONE) {
            inv->res.failed = 1;
            inv->res.err = e;
            finish(NULL, inv, key);
            v->cur = NULL;
        }
        v->state = ENV_DYING;
        pthread_cond_broadcast(&v->cv);
    } else {
        v->state = ENV_READY;
    }
    v->prepared = 1;
    pthread_mutex_unlock(&fn_mu);
    if (*key && F.env) svc_notify(F.env, key);
    fn_wake();
    return NULL;
}

static char *sdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static fnenv *env_new(const fn_spec *s)
{
    fnenv *v = calloc(1, sizeof(*v));
    if (!v) return NULL;
    v->out_fd = v->life_fd = -1;
    v->slot = -1;
    pthread_cond_init(&v->cv, NULL);
    v->account = sdup(s->account), v->region = sdup(s->region), v->name = sdup(s->name);
    v->arn = sdup(s->arn), v->version = sdup(s->version ? s->version : "$LATEST");
    v->revision = sdup(s->revision ? s->revision : ""),
    v->runtime = sdup(s->runtime ? s->runtime : "");
    v->handler = sdup(s->handler), v->role_arn = sdup(s->role_arn), v->code_dir = sdup(s->code_dir);
    char group[600];
    snprintf(group, sizeof(group), "/aws/lambda/%s", s->name ? s->name : "");
    v->log_group = sdup(s->log_group ? s->log_group : group);
    v->timeout_s = s->timeout_s > 0 ? s->timeout_s : 3;
    v->memory_mb = s->memory_mb > 0 ? s->memory_mb : 128;
    int bad = !v->account || !v->region || !v->name || !v->arn || !v->version || !v->revision ||
              !v->runtime || (s->handler && !v->handler) || !v->role_arn ||
              (s->code_dir && !v->code_dir) || !v->log_group;
    if (s->n_layers && !(v->layers = calloc(s->n_layers, sizeof(char *)))) bad = 1;
    for (size_t i = 0; !bad && i < s->n_layers; i++)
        if (!(v->layers[v->n_layers++] = strdup(s->layer_dirs[i]))) bad = 1;
    if (s->variables && !(v->variables = json_deep_copy(s->variables))) bad = 1;
    /* AWS's stream name: YYYY/MM/DD/[VERSION]<32 hex> */
    char hex[33], day[16];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(day, sizeof(day), "%Y/%m/%d", &tm);
    ids_hex(hex, 32);
    snprintf(v->stream, sizeof(v->stream), "%s/[%s]%s", day, v->version ? v->version : "", hex);
    if (bad) {
        env_free(v);
        return NULL;
    }
    return v;
}

static int same_fn(const fnenv *v, const fn_spec *s)
{
    return !strcmp(v->account, s->account) && !strcmp(v->region, s->region) &&
           !strcmp(v->name, s->name);
}

int functions_start(ferry_env *env, const fn_spec *s, const char *payload, size_t len,
                    const char *request_id, char id[40], ferr *e)
{
    (void)env;
    id[0] = 0;
    if (!s->account || !s->region || !s->name || !s->arn || !s->role_arn || !s->runtime)
        return ferr_set(e, 500, "ServiceException", "incomplete function specification");
    fn_inv *inv = calloc(1, sizeof(*inv));
    if (!inv || !(inv->payload = malloc(len + 1))) {
        free(inv);
        return ferr_set(e, 500, "ServiceException", "out of memory");
    }
    memcpy(inv->payload, payload ? payload : "", len);
    inv->payload[len] = 0;
    inv->len = len;
    buf_init(&inv->log, 0);
    char hex[33];
    ids_hex(hex, 32);
    snprintf(inv->id, sizeof(inv->id), "fn-%s", hex);
    if (request_id && *request_id)
        snprintf(inv->request_id, sizeof(inv->request_id), "%s", request_id);
    else
        ids_uuid(inv->request_id);
    memcpy(inv->res.request_id, inv->request_id, sizeof(inv->request_id));

    const char *rev = s->revision ? s->revision : "";
    pthread_mutex_lock(&fn_mu);
    if (!F.running || F.stopping) {
        pthread_mutex_unlock(&fn_mu);
        inv_free(inv);
        return ferr_set(e, 500, "ServiceException", "functions cannot run: %s",
                        F.why[0] ? F.why : "the engine is not running");
    }
    /* concurrency: invocations in flight (an environment serving one, or starting for one) */
    int fn_busy = 0, acct_busy = 0;
    fnenv *idle = NULL;
    for (fnenv *v = F.envs; v; v = v->next) {
        if (v->state == ENV_DYING) continue;
        int same = same_fn(v, s);
        if (v->cur) {
            /* reserved functions run on their reservation, the others share the pool */
            acct_busy += !strcmp(v->account, s->account) && !strcmp(v->region, s->region) &&
                         !(same ? s->concurrency >= 0 : v->reserved);
            fn_busy += same;
        } else if (same && (strcmp(v->arn, s->arn) || strcmp(v->revision, rev))) {
            /* AWS: a changed function gets new environments; its old idle ones go */
            if (!strcmp(v->version, s->version ? s->version : "$LATEST")) v->retire = 1;
        } else if (same && !v->retire && v->state == ENV_RUNNING && !idle) {
            idle = v;
        }
    }
    int pool = s->unreserved > 0 ? s->unreserved : ACCOUNT_POOL;
    if (s->concurrency >= 0 ? fn_busy >= s->concurrency : acct_busy >= pool) {
        pthread_mutex_unlock(&fn_mu);
        inv_free(inv);
        return ferr_set(e, 429, "TooManyRequestsException", "Rate Exceeded.");
    }
    inv->started = clock_now();
    inv->deadline = inv->started + (s->timeout_s > 0 ? s->timeout_s : 3);
    fnenv *v = idle;
    if (!v) {
        int slot = slot_get();
        if (slot < 0 || !(v = env_new(s))) {
            if (slot >= 0) slot_put(slot);
            pthread_mutex_unlock(&fn_mu);
            inv_free(inv);
            return ferr_set(e, 500, "ServiceException", "cannot create an execution environment");
        }
        v->slot = slot;
        v->state = ENV_PREPARING;
        if (thread_start_detached(prepare, v)) {
            slot_put(slot);
            pthread_mutex_unlock(&fn_mu);
            env_free(v);
            inv_free(inv);
            return ferr_set(e, 500, "ServiceException", "cannot start an execution environment");
        }
        v->next = F.envs;
        F.envs = v;
    }
    v->reserved = s->concurrency >= 0;
    if (v->frozen && v->pid > 0) kill(-v->pid, SIGCONT);
    v->frozen = 0;
    v->cur = inv;
    v->busy = 1;
    inv->env = v;
    inv->next = F.invs;
    F.invs = inv;
    memcpy(id, inv->id, sizeof(inv->id));
    pthread_cond_broadcast(&v->cv);
    pthread_mutex_unlock(&fn_mu);
    return 0;
}

static fn_inv **inv_find(const char *id)
{
    fn_inv **pp = &F.invs;
    while (*pp && strcmp((*pp)->id, id)) pp = &(*pp)->next;
    return pp;
}

/* Under fn_mu: 1 and the result moved to out (the invocation freed) when done. */
static int take_locked(const char *id, fn_result *out)
{
    fn_inv **pp = inv_find(id);
    fn_inv *inv = *pp;
    if (!inv) return -1;
    if (inv->state != INV_DONE) return 0;
    *out = inv->res;
    memset(&inv->res, 0, sizeof(inv->res));
    *pp = inv->next;
    inv_free(inv);
    return 1;
}

int functions_take(ferry_env *env, const char *id, fn_result *out)
{
    (void)env;
    pthread_mutex_lock(&fn_mu);
    int rc = take_locked(id, out);
    pthread_mutex_unlock(&fn_mu);
    return rc;
}

void functions_forget(ferry_env *env, const char *id)
{
    (void)env;
    pthread_mutex_lock(&fn_mu);
    fn_inv **pp = inv_find(id), *inv = *pp;
    if (inv && inv->state == INV_DONE) {
        *pp = inv->next;
        inv_free(inv);
    } else if (inv) {
        inv->forgotten = 1;
    }
    pthread_mutex_unlock(&fn_mu);
}

int functions_invoke(ferry_env *env, const fn_spec *s, const char *payload, size_t len,
                     const char *request_id, fn_result *out, ferr *e)
{
    char id[40];
    if (functions_start(env, s, payload, len, request_id, id, e)) return -1;
    pthread_mutex_lock(&fn_mu);
    fn_inv *inv = *inv_find(id);
    if (inv) inv->waiters++;
    int rc;
    while ((rc = take_locked(id, out)) == 0) pthread_cond_wait(&F.done_cv, &fn_mu);
    pthread_mutex_unlock(&fn_mu);
    if (rc < 0) return ferr_set(e, 500, "ServiceException", "the invocation was lost");
    if (out->failed) {
        *e = out->err;
        fn_result_clear(out);
        return -1;
    }
    return 0;
}

/* The supervisor's pass over the environments, under fn_mu. Keys to notify go to keys. */
static void supervise(double now, int sample, char (*keys)[48], int *nkeys, int maxkeys,
                      fnenv **dead)
{
    int scanned = 0;
    for (fnenv **pp = &F.envs; *pp;) {
        fnenv *v = *pp;
        fn_inv *inv = v->cur;
        char *key = *nkeys < maxkeys ? keys[*nkeys] : NULL;
        char spare[48];
        if (!key) key = spare;
        /* start the prepared */
        if (v->state == ENV_READY && !F.stopping) {
            int p[2], life[2];
            if (pipe2(p, O_CLOEXEC) == 0) {
                if (pipe2(life, O_CLOEXEC) == 0) {
                    v->spawned = now;
                    pid_t pid = fork();
                    if (pid == 0) fn_child_exec(v, p[1], life[0]);
                    close(life[0]);
                    if (pid > 0) {
                        v->pid = pid;
                        v->out_fd = p[0];
                        v->life_fd = life[1];
                        fcntl(p[0], F_SETFL, O_NONBLOCK);
                        v->state = ENV_RUNNING;
                    } else {
                        close(life[1]);
                    }
                }
                close(p[1]);
                if (v->state != ENV_RUNNING) close(p[0]);
            }
            if (v->state != ENV_RUNNING) {
                if (inv) {
                    inv->res.failed = 1;
                    ferr_set(&inv->res.err, 500, "ServiceException", "cannot start the function");
                    finish(v, inv, key);
                    ++*nkeys;
                }
                v->state = ENV_DYING;
            }
            inv = v->cur;
        }
        fn_drain(v);
        /* the process is gone */
        if (v->pid > 0) {
            int st;
            pid_t r = waitpid(v->pid, &st, WNOHANG);
            if (r == v->pid) {
                kill(-v->pid, SIGKILL); /* its children too */
                v->pid = 0;
                fn_drain(v);
                if (inv && inv->state != INV_REPLIED && inv->state != INV_DONE) {
                    char why[64];
                    if (WIFSIGNALED(st))
                        snprintf(why, sizeof(why), "signal: %s",
                                 WTERMSIG(st) == SIGKILL ? "killed" : strsignal(WTERMSIG(st)));
                    else
                        snprintf(why, sizeof(why), "exit status %d", WEXITSTATUS(st));
                    if (v->oom) snprintf(why, sizeof(why), "signal: killed");
                    fail_with(inv, "Runtime.ExitError",
                              "RequestId: %s Error: Runtime exited with error: %s", inv->request_id,
                              why);
                    char line[600];
                    snprintf(line, sizeof(line),
                             "RequestId: %s Error: Runtime exited with error: %s\n"
                             "Runtime.ExitError",
                             inv->request_id, why);
                    fn_log_line(v, inv, line, strlen(line));
                    finish(v, inv, key);
                    ++*nkeys;
                    inv = NULL;
                }
                v->state = ENV_DYING;
                pthread_cond_broadcast(&v->cv);
            }
        }
        if (inv && inv->state == INV_REPLIED) {
            finish(v, inv, key);
            ++*nkeys;
            inv = NULL;
        }
        /* timeout: the process group dies, the environment with it */
        if (inv && now >= inv->deadline && v->state != ENV_DYING) {
            char ts[32];
            clock_iso8601(now, 1, ts);
            fail_with(inv, NULL, "%s %s Task timed out after %.2f seconds", ts, inv->request_id,
                      (double)v->timeout_s);
            char *m = inv->reply ? strstr(inv->reply, ts) : NULL;
            if (m) fn_log_line(v, inv, m, strcspn(m, "\""));
            kill_env(v);
            fn_drain(v);
            finish(v, inv, key);
            ++*nkeys;
            inv = NULL;
        }
        /* memory: the group's resident size against MemorySize */
        if (sample && v->pid > 0 && v->state == ENV_RUNNING) {
            long kb = fn_group_rss_kb(v->pid, !scanned++);
            if (kb > v->max_rss_kb) v->max_rss_kb = kb;
            if (kb > (long)v->memory_mb * 1024) {
                v->oom = 1;
                kill(-v->pid, SIGKILL);
            }
        }
        /* AWS freezes an idle environment: nothing it left running runs until the next
         * invocation (its guard, which watches ferry's life, is left awake) */
        if (!v->cur && v->state == ENV_RUNNING && v->pid > 0 && !v->frozen &&
            now - v->idle_since >= FREEZE_AFTER) {
            fn_group_freeze(v->pid);
            v->frozen = 1;
        }
        /* idleness, retirement (credentials about to expire, a changed function) */
        if (!v->cur && v->state == ENV_RUNNING) {
            if (v->sess.expires && now > v->sess.expires - CRED_MARGIN) v->retire = 1;
            if (v->retire || now - v->idle_since > F.idle_s || F.stopping) kill_env(v);
        }
        if (F.stopping && v->state != ENV_DYING && v->state != ENV_PREPARING) kill_env(v);
        if (F.stopping && v->cur && v->state == ENV_DYING) {
            v->cur->res.failed = 1;
            ferr_set(&v->cur->res.err, 500, "ServiceException", "the server is stopping");
            finish(v, v->cur, key);
            ++*nkeys;
        }
        /* gone: unlinked, its daemon stopped and freed outside the lock */
        if (v->state == ENV_DYING && v->prepared && v->pid == 0 && !v->cur) {
            if (v->out_fd >= 0) close(v->out_fd);
            if (v->life_fd >= 0) close(v->life_fd);
            v->out_fd = v->life_fd = -1;
            *pp = v->next;
            v->next = *dead;
            *dead = v;
            continue;
        }
        pp = &v->next;
    }
    /* finished invocations nobody will take */
    for (fn_inv **pp = &F.invs; *pp;) {
        fn_inv *inv = *pp;
        if (inv->state == INV_DONE && (inv->forgotten || (F.stopping && !inv->waiters))) {
            *pp = inv->next;
            inv_free(inv);
        } else {
            pp = &inv->next;
        }
    }
}

static void *supervisor(void *arg)
{
    (void)arg;
    static struct pollfd fds[8192];
    double last_sample = 0;
    for (;;) {
        int n = 0;
        fds[n++] = (struct pollfd){.fd = F.wake[0], .events = POLLIN};
        pthread_mutex_lock(&fn_mu);
        int busy = 0;
        int unfrozen = 0; /* an idle environment to freeze soon */
        for (fnenv *v = F.envs; v; v = v->next) {
            busy |= v->cur != NULL;
            unfrozen |= !v->cur && !v->frozen && v->state == ENV_RUNNING;
            if (v->out_fd >= 0 && n < 8192)
                fds[n++] = (struct pollfd){.fd = v->out_fd, .events = POLLIN};
        }
        int done = F.stopping && !F.envs;
        pthread_mutex_unlock(&fn_mu);
        if (done) break;
        /* a tenth of a second bounds how late a timeout, a memory check or an exit is seen */
        poll(fds, (nfds_t)n, unfrozen ? (int)(FREEZE_AFTER * 1000) : busy ? 100 : 500);
        char b[256];
        while (read(F.wake[0], b, sizeof(b)) > 0) {
        }
        double now = clock_now();
        int sample = now - last_sample >= 0.1;
        if (sample) last_sample = now;
        char keys[64][48];
        int nkeys = 0;
        fnenv *dead = NULL;
        pthread_mutex_lock(&fn_mu);
        supervise(now, sample, keys, &nkeys, 64, &dead);
        for (fnenv *v = dead; v; v = v->next)
            if (v->slot >= 0) slot_put(v->slot);
        pthread_mutex_unlock(&fn_mu);
        for (int i = 0; i < nkeys && i < 64; i++)
            if (F.env) svc_notify(F.env, keys[i]);
        while (dead) {
            fnenv *v = dead;
            dead = v->next;
            fn_rapi_stop(v);
            if (*v->dir) proc_rmtree(v->dir);
            env_free(v);
        }
    }
    return NULL;
}

static int fn_engine_start(ferry_env *env, ferr *e)
{
    const char *idle = getenv("FERRY_FN_IDLE_SECONDS");
    F.idle_s = idle && atof(idle) > 0 ? atof(idle) : 300;
    /* without a place for environments ferry still serves everything else: invocations
     * are refused with the reason */
    ferr re = {0};
    if (proc_root_init("fn", "FERRY_FN_ROOT", F.root, sizeof(F.root), &re)) {
        snprintf(F.why, sizeof(F.why), "%.200s", re.message);
        log_warn("functions cannot run: %s", re.message);
        return 0;
    }
    F.why[0] = 0;
    if (pipe2(F.wake, O_CLOEXEC | O_NONBLOCK)) return ferr_internal(e, "pipe: %s", strerror(errno));
    F.env = env;
    F.stopping = 0;
    if (fn_logs_start(env, e)) goto fail;
    if (pthread_create(&F.sup, NULL, supervisor, NULL)) {
        fn_logs_stop();
        ferr_internal(e, "cannot start the functions supervisor");
        goto fail;
    }
    pthread_mutex_lock(&fn_mu);
    F.running = 1;
    pthread_mutex_unlock(&fn_mu);
    return 0;
fail:
    close(F.wake[0]), close(F.wake[1]);
    F.wake[0] = F.wake[1] = -1;
    return -1;
}

static void fn_engine_stop(ferry_env *env)
{
    (void)env;
    pthread_mutex_lock(&fn_mu);
    if (!F.running) {
        pthread_mutex_unlock(&fn_mu);
        return;
    }
    F.stopping = 1;
    pthread_mutex_unlock(&fn_mu);
    /* environments still preparing finish (their threads see stopping) before the join */
    fn_wake();
    pthread_join(F.sup, NULL);
    fn_logs_stop();
    pthread_mutex_lock(&fn_mu);
    F.running = 0;
    pthread_mutex_unlock(&fn_mu);
    close(F.wake[0]), close(F.wake[1]);
    F.wake[0] = F.wake[1] = -1;
    proc_rmtree(F.root);
}

const engine_def functions_engine = {"functions", fn_engine_start, fn_engine_stop};
