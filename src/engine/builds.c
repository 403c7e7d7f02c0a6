/* CodeBuild builds, run: see builds.h.
 *
 * One dispatcher thread finds the builds to run (codebuild.pending documents) and gives each
 * a thread of its own, which provisions it (the service role's session, a work directory),
 * downloads its sources, reads its buildspec, and runs one shell script (build_script) that
 * holds every phase's commands. The script marks where phases and commands begin and end
 * with lines only this build can print (RS + a per-build nonce), on the same pipe as the
 * commands' output, so that each output line is attributed to the phase that printed it. */
#include "engine/builds.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "base/jval.h"
#include "base/log.h"
#include "base/zip.h"
#include "auth/sigv4.h"
#include "base/arn.h"
#include "svc/httpc.h"
#include "engine/fn_logs.h"
#include "engine/leases.h"
#include "engine/proc.h"
#include "svc/codebuild/artifacts.h"
#include "svc/codebuild/buildspec.h"
#include "svc/codebuild/documents.h"
#include "svc/codebuild/reports.h"
#include "svc/codecommit/codecommit.h"
#include "svc/events/events.h"
#include "svc/session.h"

extern const char fn_rt_sitecustomize_py[];
extern const size_t fn_rt_sitecustomize_py_len;

typedef struct run {
    char account[13], region[32], id[320], uuid[40];
    char token[65];
    session sess; /* the service role's session, refreshed under B.mu */
    char role_arn[640];
    int life_fd;
    int stop, done;
    int lost; /* another node took the build over (this one stalled past its lease) */
    pthread_t th;
    json_t *doc; /* the build document (the run's own copy) */
    struct run *next;
} run;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int running, stopping, kicked;
    pthread_t th;
    ferry_env *env;
    run *runs;
    char root[1024];
    /* this node's id on a shared store (a build's pending document names the node that runs
     * it, leases.h), "" on a store of one process */
    char node[64];
} B = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

void builds_kick(void)
{
    pthread_mutex_lock(&B.mu);
    B.kicked = 1;
    pthread_cond_broadcast(&B.cv);
    pthread_mutex_unlock(&B.mu);
}

/* FERRY_CODEBUILD_MINUTE: how many seconds a minute of timeoutInMinutes lasts (60; tests
 * shorten it). */
static double minute(void)
{
    const char *s = getenv("FERRY_CODEBUILD_MINUTE");
    double m = s && *s ? atof(s) : 60;
    return m > 0 ? m : 60;
}

/* FERRY_CODEBUILD_SESSION_SECONDS: how long a build's role sessions last (3600, AWS's; a
 * test seam: at 900, every credentials request mints a new session). */
static long long session_seconds(void)
{
    const char *s = getenv("FERRY_CODEBUILD_SESSION_SECONDS");
    long long v = s && *s ? atoll(s) : 3600;
    return v >= 900 && v <= 43200 ? v : 3600;
}

json_t *builds_view(const json_t *b)
{
    json_t *v = json_deep_copy(b);
    if (v) json_object_del(v, "_stop");
    return v;
}

/* ---- events ---- */

/* AWS's event times: "Sep 1, 2017 4:12:29 PM". */
static void event_time(double t, char out[40])
{
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, 40, "%b %-d, %Y %-I:%M:%S %p", &tm);
}

static json_t *additional(const json_t *b)
{
    char st[40];
    event_time(json_number_value(json_object_get(b, "startTime")), st);
    const json_t *logs = json_object_get(b, "logs");
    json_t *phases = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(b, "phases"), i, p) {
        char ps[40], pe[40];
        event_time(json_number_value(json_object_get(p, "startTime")), ps);
        json_t *x = json_pack("{s:s, s:s, s:O*, s:O*}", "phase-type", jstr(p, "phaseType"),
                              "start-time", ps, "phase-status", json_object_get(p, "phaseStatus"),
                              "duration-in-seconds", json_object_get(p, "durationInSeconds"));
        if (x && json_object_get(p, "endTime")) {
            event_time(json_number_value(json_object_get(p, "endTime")), pe);
            if (jset_str(x, "end-time", pe)) json_decref(x), x = NULL;
        }
        if (!x || json_array_append_new(phases, x)) {
            json_decref(phases);
            return NULL;
        }
    }
    return json_pack(
        "{s:b, s:s, s:s, s:O*, s:O*, s:O*, s:{s:s*, s:s*, s:s*}, s:o, s:O*, s:O*}",
        "build-complete", jbool(b, "buildComplete", 0), "initiator", jstr(b, "initiator"),
        "build-start-time", st, "source", json_object_get(b, "source"), "source-version",
        json_object_get(b, "sourceVersion"), "environment", json_object_get(b, "environment"),
        "logs", "group-name", jstr(logs, "groupName"), "stream-name", jstr(logs, "streamName"),
        "deep-link", jstr(logs, "deepLink"), "phases", phases, "timeout-in-minutes",
        json_object_get(b, "timeoutInMinutes"), "queued-timeout-in-minutes",
        json_object_get(b, "queuedTimeoutInMinutes"));
}

static int emit(store_txn *t, const char *account, const char *region, const json_t *b,
                const char *type, json_t *detail, ferr *e)
{
    json_t *res = json_pack("[s]", jstr(b, "arn"));
    int rc = detail && res ? events_emit(t, account, region, "aws.codebuild", type, detail, res, e)
                           : ferr_oom(e);
    json_decref(detail);
    json_decref(res);
    return rc;
}

int builds_emit_state(store_txn *t, const char *account, const char *region, const json_t *b,
                      ferr *e)
{
    json_t *d =
        json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:s}", "build-status", jstr(b, "buildStatus"),
                  "project-name", jstr(b, "projectName"), "build-id", jstr(b, "arn"),
                  "additional-information", additional(b), "current-phase", jstr(b, "currentPhase"),
                  "current-phase-context", "[]", "version", "1");
    return emit(t, account, region, b, "CodeBuild Build State Change", d, e);
}

static int emit_phase(store_txn *t, const run *r, const json_t *p, ferr *e)
{
    char ps[40], pe[40];
    event_time(json_number_value(json_object_get(p, "startTime")), ps);
    event_time(json_number_value(json_object_get(p, "endTime")), pe);
    const json_t *ctx = json_array_get(json_object_get(p, "contexts"), 0);
    char cs[1200];
    snprintf(cs, sizeof(cs), "[%s: %s]", ctx ? jstr(ctx, "statusCode") : "",
             ctx ? jstr(ctx, "message") : "");
    json_t *d =
        json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:O*, s:s, s:s, s:s}", "completed-phase",
                  jstr(p, "phaseType"), "project-name", jstr(r->doc, "projectName"), "build-id",
                  jstr(r->doc, "arn"), "completed-phase-context", cs, "additional-information",
                  additional(r->doc), "completed-phase-status", jstr(p, "phaseStatus"),
                  "completed-phase-duration-seconds", json_object_get(p, "durationInSeconds"),
                  "version", "1", "completed-phase-start", ps, "completed-phase-end", pe);
    return emit(t, r->account, r->region, r->doc, "CodeBuild Build Phase Change", d, e);
}

/* ---- the build's document ---- */

/* 1 when the build pk names is still this node's to record (always on a store of one
 * process), 0 when another node took it over, -1 on a store error; read in t. */
static int still_ours(store_txn *t, const store_key *pk, ferr *e)
{
    if (!B.node[0]) return 1;
    json_t *p = NULL;
    int rc = store_get(t, pk, &p, e);
    if (rc == 1) rc = jstr(p, "node") && !strcmp(jstr(p, "node"), B.node);
    json_decref(p);
    return rc;
}

/* Writes r->doc (keeping a _stop StopBuild set meanwhile), with the events of the phase that
 * just ended (ended, or NULL) and of the build's end (r->doc complete: its pending document
 * goes too). A build another node took over is no longer recorded here: its run is stopped. */
static void save(run *r, const json_t *ended)
{
    ferr e = {0};
    store_txn *t = NULL;
    store_key k = {CB_BUILD_KIND, r->account, r->region, r->id};
    store_key pk = {CB_PENDING_KIND, r->account, r->region, r->id};
    int complete = jbool(r->doc, "buildComplete", 0);
    if (r->lost) return;
    if (store_begin(B.env->st, 1, &t, &e)) goto fail;
    int ours = still_ours(t, &pk, &e);
    if (ours < 0) goto fail;
    if (!ours) {
        store_rollback(t);
        log_warn("codebuild: %s: another node took the build over; stopping it here", r->id);
        pthread_mutex_lock(&B.mu);
        r->lost = r->stop = 1;
        pthread_mutex_unlock(&B.mu);
        return;
    }
    json_t *cur = NULL;
    int rc = store_get(t, &k, &cur, &e);
    if (rc < 0) goto fail;
    if (!rc) { /* deleted meanwhile (BatchDeleteBuilds refuses running builds; a reset) */
        store_rollback(t);
        return;
    }
    if (jbool(cur, "_stop", 0) && json_object_set_new(r->doc, "_stop", json_true())) {
        json_decref(cur);
        ferr_oom(&e);
        goto fail;
    }
    json_decref(cur);
    if (store_put(t, &k, r->doc, &e) || (ended && emit_phase(t, r, ended, &e)) ||
        (complete &&
         (store_del(t, &pk, &e) < 0 || builds_emit_state(t, r->account, r->region, r->doc, &e))))
        goto fail;
    if (store_commit(t, &e)) {
        t = NULL;
        goto fail;
    }
    if (complete) { /* who waits for the build (a pipeline's action) goes on at once */
        char key[sizeof(r->id) + sizeof(BUILDS_DONE_KEY)];
        snprintf(key, sizeof(key), BUILDS_DONE_KEY "%s", r->id);
        svc_notify(B.env, key);
    }
    return;
fail:
    store_rollback(t);
    log_warn("codebuild: %s: cannot record the build: %s %s", r->id, e.code, e.message);
}

static json_t *phases(run *r)
{
    return json_object_get(r->doc, "phases");
}

static json_t *last_phase(run *r)
{
    json_t *ps = phases(r);
    return json_array_get(ps, json_array_size(ps) - 1);
}

/* Ends the open phase (status, and a context when code is given), without saving. */
static json_t *phase_close(run *r, const char *status, const char *code, const char *msg)
{
    json_t *p = last_phase(r);
    if (!p || json_object_get(p, "endTime")) return NULL;
    double now = clock_now(), st = json_number_value(json_object_get(p, "startTime"));
    int bad = json_object_set_new(p, "endTime", json_real(now)) ||
              json_object_set_new(p, "durationInSeconds", json_integer((json_int_t)(now - st))) ||
              (status && jset_str(p, "phaseStatus", status)) ||
              json_object_set_new(
                  p, "contexts",
                  code ? json_pack("[{s:s, s:s}]", "statusCode", code, "message", msg ? msg : "")
                       : json_pack("[{s:s, s:s}]", "statusCode", "", "message", ""));
    return bad ? NULL : p;
}

static void log_line(run *r, const char *s, size_t n);

/* "[Container] 2024/01/02 03:04:05.123456 " + what, as AWS's agent logs. */
static void agent(run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void agent(run *r, const char *fmt, ...)
{
    char line[2048];
    double now = clock_now();
    time_t s = (time_t)now;
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(line, sizeof(line), "[Container] %Y/%m/%d %H:%M:%S", &tm);
    n += (size_t)snprintf(line + n, sizeof(line) - n, ".%06d ", (int)((now - (double)s) * 1e6));
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    n = k < 0 ? n : n + (size_t)k >= sizeof(line) ? sizeof(line) - 1 : n + (size_t)k;
    log_line(r, line, n);
}

/* Ends the open phase, records it, and opens phase next (NULL: none). */
static void phase_next(run *r, const char *status, const char *code, const char *msg,
                       const char *next)
{
    json_t *p = phase_close(r, status, code, msg);
    if (p && strcmp(jstr(p, "phaseType"), "SUBMITTED") && strcmp(jstr(p, "phaseType"), "QUEUED") &&
        strcmp(jstr(p, "phaseType"), "PROVISIONING")) {
        agent(r, "Phase complete: %s State: %s", jstr(p, "phaseType"), status ? status : "");
        agent(r, "Phase context status code: %s Message: %s", code ? code : "", msg ? msg : "");
    }
    if (next) {
        json_t *np = json_pack("{s:s, s:f}", "phaseType", next, "startTime", clock_now());
        if (!np || json_array_append_new(phases(r), np) || jset_str(r->doc, "currentPhase", next))
            log_warn("codebuild: %s: out of memory", r->id);
        if (strcmp(next, "COMPLETED") && strcmp(next, "FINALIZING") &&
            strcmp(next, "UPLOAD_ARTIFACTS"))
            agent(r, "Entering phase %s", next);
    }
    save(r, p);
}

/* The build's end: status, FINALIZING and COMPLETED. */
static void finish(run *r, const char *status)
{
    if (strcmp(jstr(last_phase(r), "phaseType"), "FINALIZING"))
        phase_next(r, NULL, NULL, NULL, "FINALIZING");
    json_t *p = phase_close(r, "SUCCEEDED", NULL, NULL);
    json_t *c = json_pack("{s:s, s:f}", "phaseType", "COMPLETED", "startTime", clock_now());
    if (!c || json_array_append_new(phases(r), c) ||
        jset_str(r->doc, "currentPhase", "COMPLETED") || jset_str(r->doc, "buildStatus", status) ||
        json_object_set_new(r->doc, "buildComplete", json_true()) ||
        json_object_set_new(r->doc, "endTime", json_real(clock_now())))
        log_warn("codebuild: %s: out of memory", r->id);
    save(r, p);
}

/* ---- output ---- */

static void log_line(run *r, const char *s, size_t n)
{
    const json_t *logs = json_object_get(r->doc, "logs");
    const char *status = jstr(json_object_get(logs, "cloudWatchLogs"), "status");
    if (status && !strcmp(status, "DISABLED")) return;
    principal who;
    pthread_mutex_lock(&B.mu);
    who = r->sess.key.who;
    pthread_mutex_unlock(&B.mu);
    if (!who.kind) return; /* no session: nothing may write as the role */
    fn_logs_put(r->region, jstr(logs, "groupName"), jstr(logs, "streamName"), &who, clock_now(), s,
                n);
}

/* ---- sources ---- */

/* The repository a CODECOMMIT location names: AWS's
 * https://git-codecommit.REGION.amazonaws.com/v1/repos/NAME, or ferry's own clone URL. */
static const char *repo_of(const char *loc, char *region, size_t rn)
{
    const char *p = strstr(loc, "/v1/repos/");
    if (!p) return NULL;
    const char *h = strstr(loc, "git-codecommit.");
    if (h && h < p) {
        h += strlen("git-codecommit.");
        const char *dot = strchr(h, '.');
        if (dot && dot < p && (size_t)(dot - h) < rn)
            snprintf(region, rn, "%.*s", (int)(dot - h), h);
    }
    return p + strlen("/v1/repos/");
}

static int call_as(run *r, const char *service, const char *op, json_t *in, json_t **out, ferr *e);

/* An S3 source: the zip at BUCKET/KEY (version: the object's version id), GetObject as the
 * role, unpacked into dir (which it makes). */
static int download_s3(run *r, const json_t *src, const char *version, const char *dir,
                       char **resolved, ferr *e)
{
    const char *loc = jstr(src, "location"), *slash = loc ? strchr(loc, '/') : NULL;
    if (!slash || slash == loc || !slash[1])
        return ferr_set(e, 400, "CLIENT_ERROR", "invalid source location: %s", loc ? loc : "");
    char bucket[256];
    snprintf(bucket, sizeof(bucket), "%.*s", (int)(slash - loc), loc);
    json_t *out = NULL;
    if (call_as(
            r, "s3", "GetObject",
            json_pack("{s:s, s:s, s:s*}", "Bucket", bucket, "Key", slash + 1, "VersionId", version),
            &out, e)) {
        char msg[1100];
        snprintf(msg, sizeof(msg), "%s", e->message);
        return ferr_set(e, 400, "CLIENT_ERROR", "error while downloading source: %s", msg);
    }
    const char *b64 = jstr(out, "Body");
    arena *a = arena_new(4096);
    size_t n = 0;
    unsigned char *raw = a && b64 ? enc_unb64(a, b64, strlen(b64), &n) : NULL;
    zipar *z = NULL;
    int rc = !raw ? ferr_oom(e)
             : zipar_open_mem(raw, n, (uint64_t)10 << 30, &z, e)
                 ? ferr_set(e, 400, "CLIENT_ERROR", "zip: not a valid zip file")
                 : zipar_extract(z, dir, e);
    const char *vid = jstr(out, "VersionId");
    if (!rc && vid && !(*resolved = strdup(vid))) rc = ferr_oom(e);
    zipar_free(z);
    arena_free(a);
    json_decref(out);
    return rc;
}

/* Runs git for a build's source with HOME the build's own (empty: no user configuration)
 * and no system configuration, so that the clone is the same whatever the host's git
 * settings; NULL, or the step's name with what git said in out. */
static const char *git_steps(char **const steps[], const char *const names[], const char *home,
                             char *out, size_t n)
{
    char path[4096], h[PATH_MAX + 8];
    const char *sp = getenv("PATH");
    snprintf(path, sizeof(path), "PATH=%s", sp ? sp : "/usr/local/bin:/usr/bin:/bin");
    snprintf(h, sizeof(h), "HOME=%s", home);
    char *envp[] = {path, h, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "LC_ALL=C", NULL};
    for (size_t i = 0; steps[i]; i++)
        if (proc_run(steps[i], envp, out, n)) return names[i];
    return NULL;
}

/* A CODECOMMIT source as AWS's source download makes it: a git clone of the repository
 * (gitCloneDepth commits deep, 0 all of them) with HEAD detached at the commit built and
 * origin the repository's clone URL, so that buildspecs can run git. The clone copies the
 * repository's files rather than link them: a build's chmod or rm cannot reach ferry's. */
static int clone_source(const char *gitdir, const char *commit, const char *url, long long depth,
                        const char *dir, const char *home, ferr *e)
{
    char d[40], furl[PATH_MAX + 16], out[600];
    snprintf(d, sizeof(d), "--depth=%lld", depth);
    snprintf(furl, sizeof(furl), "file://%s", gitdir);
    char *full[] = {"git",          "clone",     "--quiet", "--no-checkout", "--no-hardlinks",
                    (char *)gitdir, (char *)dir, NULL};
    /* a shallow clone has the default branch's tip; the commit built may be elsewhere */
    char *shallow[] = {"git", "clone", "--quiet", "--no-checkout", d, furl, (char *)dir, NULL};
    char *fetch[] = {"git", "-C",     (char *)dir,    "fetch", "--quiet",
                     d,     "origin", (char *)commit, NULL};
    char *co[] = {"git",     "-C",       (char *)dir,    "checkout",
                  "--quiet", "--detach", (char *)commit, NULL};
    char *origin[] = {"git", "-C", (char *)dir, "remote", "set-url", "origin", (char *)url, NULL};
    char **const deep[] = {full, co, origin, NULL};
    char **const thin[] = {shallow, fetch, co, origin, NULL};
    static const char *const deep_names[] = {"clone", "checkout", "remote set-url"};
    static const char *const thin_names[] = {"clone", "fetch", "checkout", "remote set-url"};
    const char *failed = depth > 0 ? git_steps(thin, thin_names, home, out, sizeof(out))
                                   : git_steps(deep, deep_names, home, out, sizeof(out));
    if (!failed) return 0;
    size_t n = strlen(out);
    while (n && (out[n - 1] == '\n' || out[n - 1] == ' ')) out[--n] = 0;
    return ferr_set(e, 400, "CLIENT_ERROR", "git %s failed: %s", failed, out);
}

/* Downloads source src (version, or its default) into dir: 0 and *resolved (malloc'd, NULL
 * when there is no commit), or -1 with e (the phase context's message). */
static int download(run *r, const json_t *src, const char *version, const char *dir,
                    const char *home, char **resolved, ferr *e)
{
    *resolved = NULL;
    const char *type = jstr(src, "type");
    if (type && !strcmp(type, "S3")) return download_s3(r, src, version, dir, resolved, e);
    if (mkdir(dir, 0755) && errno != EEXIST)
        return ferr_internal(e, "cannot create %s: %s", dir, strerror(errno));
    if (!type || !strcmp(type, "NO_SOURCE") || !strcmp(type, "CODEPIPELINE")) return 0;
    if (strcmp(type, "CODECOMMIT"))
        return ferr_set(e, 400, "CLIENT_ERROR", "source type %s is not supported by ferry yet",
                        type);
    char region[32];
    snprintf(region, sizeof(region), "%s", r->region);
    const char *name = repo_of(jstr(src, "location"), region, sizeof(region));
    if (!name || !*name)
        return ferr_set(e, 400, "CLIENT_ERROR", "invalid source location: %s",
                        jstr(src, "location"));
    json_t *in = json_pack("{s:s, s:s*}", "repositoryName", name, "commitSpecifier", version);
    json_t *out = NULL;
    principal who;
    pthread_mutex_lock(&B.mu);
    who = r->sess.key.who;
    pthread_mutex_unlock(&B.mu);
    int rc = in ? svc_invoke_fn(B.env, &who, region, "codecommit", &codecommit_checkout_op, NULL,
                                in, &out, e)
                : ferr_oom(e);
    json_decref(in);
    if (rc) {
        char msg[1100];
        snprintf(msg, sizeof(msg), "%s", e->message);
        return ferr_set(e, 400, "CLIENT_ERROR",
                        "repository not found for primary source and source version %s: %s",
                        version ? version : "", msg);
    }
    const char *id = jstr(out, "commitId"), *gitdir = jstr(out, "gitDir"),
               *url = jstr(out, "cloneUrlHttp");
    rc = !id || !gitdir || !url
             ? ferr_internal(e, "CodeCommit gave no commit to clone")
             : clone_source(gitdir, id, url, jint(src, "gitCloneDepth", 0), dir, home, e);
    if (!rc && !(*resolved = strdup(id))) rc = ferr_oom(e);
    json_decref(out);
    return rc;
}

/* The buildspec text: inline YAML, or a file of the source (default buildspec.yml). 0 and
 * *text (malloc'd), or -1 with e as AWS reports a missing file. */
static int buildspec_text(const json_t *src, const char *src_dir, char **text, size_t *len, ferr *e)
{
    const char *bs = jstr(src, "buildspec");
    if (bs && (strchr(bs, '\n') || !strncmp(bs, "version", 7))) {
        *text = strdup(bs);
        *len = strlen(bs);
        return *text ? 0 : ferr_oom(e);
    }
    char path[PATH_MAX * 2];
    snprintf(path, sizeof(path), "%s/%s", src_dir, bs && *bs ? bs : "buildspec.yml");
    FILE *f = fopen(path, "rb");
    if (!f) return ferr_set(e, 400, "YAML_FILE_ERROR", "YAML file does not exist");
    buf b;
    buf_init(&b, 1 << 20);
    char chunk[8192];
    size_t n;
    int rc = 0;
    while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (buf_put(&b, chunk, n)) rc = ferr_set(e, 400, "YAML_FILE_ERROR", "YAML file too large");
    fclose(f);
    if (rc) {
        buf_dispose(&b);
        return -1;
    }
    *len = b.len;
    *text = buf_take(&b);
    return *text ? 0 : ferr_oom(e);
}

/* ---- environment variables ---- */

static int call_as(run *r, const char *service, const char *op, json_t *in, json_t **out, ferr *e)
{
    principal who;
    pthread_mutex_lock(&B.mu);
    who = r->sess.key.who;
    pthread_mutex_unlock(&B.mu);
    int rc = in ? svc_invoke(B.env, &who, r->region, service, op, in, out, NULL, e) : ferr_oom(e);
    json_decref(in);
    return rc;
}

static int param(run *r, const char *name, char **value, ferr *e)
{
    json_t *out = NULL;
    if (call_as(r, "ssm", "GetParameter",
                json_pack("{s:s, s:b}", "Name", name, "WithDecryption", 1), &out, e))
        return -1;
    const char *v = jstr(json_object_get(out, "Parameter"), "Value");
    *value = strdup(v ? v : "");
    json_decref(out);
    return *value ? 0 : ferr_oom(e);
}

/* secret-id:json-key:version-stage:version-id, the secret id itself maybe an ARN (with its
 * own colons: the last three fields are counted from the end). */
static int secret(run *r, const char *ref, char **value, ferr *e)
{
    char id[2048], *f[3] = {NULL, NULL, NULL};
    snprintf(id, sizeof(id), "%s", ref);
    int arn = !strncmp(id, "arn:", 4);
    char *rest = id;
    if (arn) { /* arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME[:key:stage:vid] */
        int colons = 0;
        for (char *c = id; *c; c++)
            if (*c == ':' && ++colons == 7) {
                rest = c;
                break;
            }
        if (colons < 7) rest = id + strlen(id);
    } else {
        rest = strchr(id, ':');
        if (!rest) rest = id + strlen(id);
    }
    for (int i = 0; i < 3 && *rest == ':'; i++) {
        *rest++ = 0;
        f[i] = rest;
        char *n = strchr(rest, ':');
        rest = n ? n : rest + strlen(rest);
    }
    json_t *out = NULL;
    if (call_as(r, "secretsmanager", "GetSecretValue",
                json_pack("{s:s, s:s*, s:s*}", "SecretId", id, "VersionStage",
                          f[1] && *f[1] ? f[1] : NULL, "VersionId", f[2] && *f[2] ? f[2] : NULL),
                &out, e))
        return -1;
    const char *s = jstr(out, "SecretString");
    int rc = 0;
    if (f[0] && *f[0]) {
        json_error_t je;
        json_t *j = s ? json_loads(s, 0, &je) : NULL;
        json_t *v = json_object_get(j, f[0]);
        if (!v)
            rc = ferr_set(e, 400, "ResourceNotFoundException", "Secrets Manager key not found: %s",
                          f[0]);
        else
            *value = json_is_string(v) ? strdup(json_string_value(v))
                                       : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(j);
    } else {
        *value = strdup(s ? s : "");
    }
    json_decref(out);
    if (!rc && !*value) rc = ferr_oom(e);
    return rc;
}

/* The build's variables in the order they apply (later wins): the buildspec's env, then the
 * project's (with StartBuild's overrides). vars: {NAME: value}. */
static int resolve_vars(run *r, const cb_buildspec *bs, json_t *vars, ferr *e)
{
    const char *k;
    json_t *v;
    if (bs->variables)
        json_object_foreach(bs->variables, k, v)
            if (json_object_set(vars, k, v)) return ferr_oom(e);
    char *val = NULL;
    if (bs->parameter_store)
        json_object_foreach(bs->parameter_store, k, v) {
            if (param(r, json_string_value(v), &val, e)) return -1;
            if (json_object_set_new(vars, k, json_string(val))) return free(val), ferr_oom(e);
            free(val);
        }
    if (bs->secrets_manager)
        json_object_foreach(bs->secrets_manager, k, v) {
            if (secret(r, json_string_value(v), &val, e)) return -1;
            if (json_object_set_new(vars, k, json_string(val))) return free(val), ferr_oom(e);
            free(val);
        }
    size_t i;
    json_array_foreach(
        json_object_get(json_object_get(r->doc, "environment"), "environmentVariables"), i, v) {
        const char *type = jstr(v, "type"), *name = jstr(v, "name"), *value = jstr(v, "value");
        if (!name) continue;
        if (type && !strcmp(type, "PARAMETER_STORE")) {
            if (param(r, value, &val, e)) return -1;
        } else if (type && !strcmp(type, "SECRETS_MANAGER")) {
            if (secret(r, value, &val, e)) return -1;
        } else {
            val = strdup(value ? value : "");
        }
        if (!val || json_object_set_new(vars, name, json_string(val)))
            return free(val), ferr_oom(e);
        free(val);
        val = NULL;
    }
    return 0;
}

/* ---- the script ---- */

static int write_file(const char *path, const char *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return -1;
    int rc = write(fd, data, len) == (ssize_t)len ? 0 : -1;
    if (close(fd)) rc = -1;
    return rc;
}

/* A valid shell name (exported variables are read by name). */
static int shell_name(const char *s)
{
    if (!s || !*s || (*s >= '0' && *s <= '9')) return 0;
    for (; *s; s++)
        if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

/* One shell for every phase (0.2) or a subshell per command (0.1), AWS's phase transitions
 * in shell: a failed INSTALL or PRE_BUILD ends the build unless on-failure is CONTINUE, a
 * failed BUILD still runs POST_BUILD unless on-failure is ABORT; finally blocks always run. */
static int build_script(const cb_buildspec *bs, const char *dir, const char *nonce, ferr *e)
{
    buf s;
    buf_init(&s, 0);
    int bad = buf_printf(&s, "__cb_m() { printf '\\036%s %%s\\n' \"$*\"; }\n__cb_go=1\n", nonce);
    for (int i = 0; i < CB_NPHASES; i++) {
        const cb_phase *p = &bs->phases[i];
        bad |= buf_printf(&s, "if [ \"$__cb_go\" = 1 ]; then\n__cb_m P %d\n__cb_ps=0\n", i);
        for (int part = 0; part < 2; part++) {
            size_t j;
            json_t *c;
            json_array_foreach(part ? p->finally : p->commands, j, c) {
                char path[PATH_MAX];
                snprintf(path, sizeof(path), "%s/cmd/%d_%d_%zu", dir, i, part, j);
                const char *text = json_string_value(c);
                if (write_file(path, text, strlen(text), 0600))
                    return buf_dispose(&s), ferr_internal(e, "cannot write %s", path);
                bad |= buf_printf(
                    &s,
                    "%s__cb_m C %d %d %zu; %s '%s'%s; __cb_rc=$?; if [ $__cb_rc != 0 ]; "
                    "then __cb_m F %d %d %zu $__cb_rc; [ $__cb_ps = 0 ] && "
                    "__cb_ps=$__cb_rc; fi%s\n",
                    part ? "" : "if [ $__cb_ps = 0 ]; then ", i, part, j, bs->v01 ? "(." : ".",
                    path, bs->v01 ? ")" : "", i, part, j, part ? "" : "; fi");
            }
        }
        int stops = p->on_failure == CB_CONTINUE ? 0 : p->on_failure == CB_ABORT ? 1 : i < CB_BUILD;
        bad |= buf_printf(&s, "__cb_m E %d $__cb_ps\n%sfi\n", i,
                          stops ? "[ $__cb_ps != 0 ] && __cb_go=0\n" : "");
    }
    size_t j;
    json_t *v;
    bad |= buf_printf(&s, "{ :");
    json_array_foreach(bs->exported, j, v)
        if (shell_name(json_string_value(v)))
            bad |= buf_printf(&s, "; printf '%%s=%%s\\0' %s \"${%s-}\"", json_string_value(v),
                              json_string_value(v));
    bad |= buf_printf(&s, "; } > '%s/exported'\nexit 0\n", dir);
    if (bad) return buf_dispose(&s), ferr_oom(e);
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/script.sh", dir);
    int rc = write_file(path, buf_str(&s), s.len, 0600);
    buf_dispose(&s);
    return rc ? ferr_internal(e, "cannot write %s", path) : 0;
}

typedef struct child_arg {
    char **argv, **envp;
    const char *cwd;
} child_arg;

static void child_exec(const void *arg)
{
    const child_arg *c = arg;
    umask(022);
    if (chdir(c->cwd)) _exit(127);
    execve(c->argv[0], c->argv, c->envp);
    _exit(126);
}

/* ---- running the phases ---- */

typedef struct reader {
    run *r;
    const cb_buildspec *bs;
    char nonce[24];
    char line[16384];
    size_t len;
    int phase;      /* open phase (0..3), -1 none */
    int failed;     /* some phase failed */
    char ctx[1024]; /* the open phase's failure */
} reader;

static const char *command_of(const reader *rd, int ph, int part, size_t j)
{
    const cb_phase *p = &rd->bs->phases[ph];
    return json_string_value(json_array_get(part ? p->finally : p->commands, j));
}

static void marker(reader *rd, char *m)
{
    run *r = rd->r;
    int ph = -1, part = 0, rc = 0;
    size_t j = 0;
    char kind = m[0];
    if (kind == 'P' && sscanf(m + 1, "%d", &ph) == 1 && ph >= 0 && ph < CB_NPHASES) {
        /* the phase before was closed by its E marker; PROVISIONING/DOWNLOAD_SOURCE by us */
        json_t *p = last_phase(r);
        if (p && !json_object_get(p, "endTime"))
            phase_next(r, "SUCCEEDED", NULL, NULL, cb_phase_names[ph]);
        else
            phase_next(r, NULL, NULL, NULL, cb_phase_names[ph]);
        rd->phase = ph;
        rd->ctx[0] = 0;
        if (ph == CB_INSTALL && rd->bs->phases[ph].runtime_versions) {
            const char *k;
            json_t *v;
            json_object_foreach(rd->bs->phases[ph].runtime_versions, k, v)
                agent(r, "Runtime version %s: %s (the host's own)", k,
                      json_is_string(v) ? json_string_value(v) : "?");
        }
    } else if (kind == 'C' && sscanf(m + 1, "%d %d %zu", &ph, &part, &j) == 3 && ph >= 0 &&
               ph < CB_NPHASES) {
        const char *c = command_of(rd, ph, part, j);
        agent(r, "Running command %s", c ? c : "");
    } else if (kind == 'F' && sscanf(m + 1, "%d %d %zu %d", &ph, &part, &j, &rc) == 4 && ph >= 0 &&
               ph < CB_NPHASES) {
        const char *c = command_of(rd, ph, part, j);
        agent(r, "Command did not exit successfully %s exit status %d", c ? c : "", rc);
        if (!rd->ctx[0])
            snprintf(rd->ctx, sizeof(rd->ctx),
                     "Error while executing command: %s. Reason: exit status %d", c ? c : "", rc);
    } else if (kind == 'E' && sscanf(m + 1, "%d %d", &ph, &rc) == 2) {
        if (rc) rd->failed = 1;
        json_t *p = phase_close(r, rc ? "FAILED" : "SUCCEEDED",
                                rc ? "COMMAND_EXECUTION_ERROR" : NULL, rc ? rd->ctx : NULL);
        agent(r, "Phase complete: %s State: %s", cb_phase_names[ph], rc ? "FAILED" : "SUCCEEDED");
        agent(r, "Phase context status code: %s Message: %s", rc ? "COMMAND_EXECUTION_ERROR" : "",
              rc ? rd->ctx : "");
        save(r, p);
        rd->phase = -1;
    }
}

/* Splits what the build printed into log lines and markers. */
static void feed(reader *rd, const char *p, size_t n)
{
    size_t nl = strlen(rd->nonce);
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '\036' && rd->len) { /* a marker after output with no newline */
            log_line(rd->r, rd->line, rd->len);
            rd->len = 0;
        }
        if (ch == '\n' || rd->len == sizeof(rd->line) - 1) {
            rd->line[rd->len] = 0;
            if (rd->line[0] == '\036' && rd->len > nl + 2 && !memcmp(rd->line + 1, rd->nonce, nl) &&
                rd->line[nl + 1] == ' ')
                marker(rd, rd->line + nl + 2);
            else
                log_line(rd->r, rd->line, rd->len);
            rd->len = 0;
            if (ch == '\n') continue;
        }
        rd->line[rd->len++] = ch;
    }
}

static int run_phases(run *r, const cb_buildspec *bs, char **envp, const char *work,
                      const char *src, const char **status)
{
    reader *rd = calloc(1, sizeof(*rd));
    if (!rd) return -1;
    rd->r = r;
    rd->bs = bs;
    rd->phase = -1;
    ids_hex(rd->nonce, 16);
    ferr e = {0};
    char cmd[PATH_MAX], script[PATH_MAX];
    snprintf(cmd, sizeof(cmd), "%s/cmd", work);
    snprintf(script, sizeof(script), "%s/script.sh", work);
    if ((mkdir(cmd, 0700) && errno != EEXIST) || build_script(bs, work, rd->nonce, &e)) {
        phase_next(r, "FAILED", "CLIENT_ERROR", e.message, NULL);
        *status = "FAILED";
        free(rd);
        return 0;
    }
    const char *shell = bs->shell && !strcmp(bs->shell, "sh") ? "/bin/sh" : "/bin/bash";
    char *argv[] = {(char *)shell, script, NULL};
    child_arg ca = {argv, envp, src};
    int out[2] = {-1, -1}, life[2] = {-1, -1};
    if (pipe2(out, O_CLOEXEC) || pipe2(life, O_CLOEXEC)) {
        if (out[0] >= 0) close(out[0]), close(out[1]);
        free(rd);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) proc_guard_exec(out[1], life[0], child_exec, &ca);
    close(out[1]);
    close(life[0]);
    if (pid < 0) {
        close(out[0]), close(life[1]);
        free(rd);
        return -1;
    }
    pthread_mutex_lock(&B.mu);
    r->life_fd = life[1];
    pthread_mutex_unlock(&B.mu);
    double start = json_number_value(json_object_get(r->doc, "startTime"));
    double deadline = start + (double)jint(r->doc, "timeoutInMinutes", 60) * minute();
    int timed_out = 0, stopped = 0;
    char chunk[65536];
    for (;;) {
        struct pollfd pf = {.fd = out[0], .events = POLLIN};
        int n = poll(&pf, 1, 100);
        if (n > 0) {
            ssize_t got = read(out[0], chunk, sizeof(chunk));
            if (got > 0) {
                feed(rd, chunk, (size_t)got);
                continue;
            }
            if (got == 0 || errno != EINTR) break;
        }
        pthread_mutex_lock(&B.mu);
        /* 1 StopBuild, 2 ferry stopping */
        int stop = r->stop ? 1 : B.stopping ? 2 : 0;
        pthread_mutex_unlock(&B.mu);
        if (!stopped && !timed_out && (stop || clock_now() >= deadline)) {
            /* the guard kills the whole tree when its lifeline ends */
            if (stop)
                stopped = stop;
            else
                timed_out = 1;
            pthread_mutex_lock(&B.mu);
            close(r->life_fd);
            r->life_fd = -1;
            pthread_mutex_unlock(&B.mu);
        }
    }
    if (rd->len) log_line(r, rd->line, rd->len);
    close(out[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    pthread_mutex_lock(&B.mu);
    if (r->life_fd >= 0) close(r->life_fd);
    r->life_fd = -1;
    pthread_mutex_unlock(&B.mu);
    *status = rd->failed ? "FAILED" : "SUCCEEDED";
    if (timed_out || stopped) {
        const char *ps = timed_out ? "TIMED_OUT" : stopped == 2 ? "FAILED" : "STOPPED";
        const char *code = timed_out      ? "BUILD_TIMED_OUT"
                           : stopped == 2 ? "CLIENT_ERROR"
                                          : "BUILD_STOPPED";
        const char *msg = timed_out      ? "Build has timed out. "
                          : stopped == 2 ? "ferry stopped while the build ran"
                                         : "Build was stopped";
        if (rd->phase >= 0) phase_next(r, ps, code, msg, NULL);
        *status = ps;
    } else if (rd->phase >= 0) {
        /* the shell ended inside a phase: a command ran exit */
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        char msg[1100];
        snprintf(msg, sizeof(msg), "%s", rd->ctx[0] ? rd->ctx : "");
        if (!msg[0])
            snprintf(msg, sizeof(msg), "Error while executing command. Reason: exit status %d",
                     code);
        if (code)
            phase_next(r, "FAILED", "COMMAND_EXECUTION_ERROR", msg, NULL);
        else
            phase_next(r, "SUCCEEDED", NULL, NULL, NULL);
        if (code) *status = "FAILED";
    }
    free(rd);
    return 0;
}

/* The exported variables the script left: NAME=VALUE\0 ... */
static void read_exported(run *r, const char *work)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/exported", work);
    FILE *f = fopen(path, "rb");
    if (!f) return;
    static const size_t max = 1 << 16;
    char *data = malloc(max + 1);
    size_t n = data ? fread(data, 1, max, f) : 0;
    fclose(f);
    if (!data) return;
    data[n] = 0;
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i += strlen(data + i) + 1) {
        char *eq = strchr(data + i, '=');
        if (!eq) continue;
        json_t *v =
            json_pack("{s:s%, s:s}", "name", data + i, (size_t)(eq - data - i), "value", eq + 1);
        if (!v || json_array_append_new(list, v)) break;
    }
    if (list && json_object_set_new(r->doc, "exportedEnvironmentVariables", list))
        log_warn("codebuild: %s: out of memory", r->id);
    free(data);
}

/* ---- artifacts ---- */

/* PUT of a file's bytes to ferry's own S3 (path style), signed with the role's session:
 * internal calls cannot stream a request body, a client's PutObject can. */
static int put_object(run *r, const char *bucket, const char *key, const char *path, ferr *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ferr_internal(e, "cannot read %s", path);
    buf b;
    buf_init(&b, 0);
    char chunk[65536];
    size_t n;
    int rc = 0;
    while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (buf_put(&b, chunk, n)) rc = ferr_oom(e);
    fclose(f);
    arena *a = arena_new(4096);
    session s;
    pthread_mutex_lock(&B.mu);
    s = r->sess;
    pthread_mutex_unlock(&B.mu);
    const char *ek = a ? enc_url_encode(a, key, strlen(key), 1) : NULL;
    const char *eb = a ? enc_url_encode(a, bucket, strlen(bucket), 0) : NULL;
    const char *host = strstr(B.env->endpoint, "://");
    host = host ? host + 3 : B.env->endpoint;
    char date[17], sha[65];
    clock_amz(time(NULL), date);
    enc_sha256_hex(b.p ? b.p : "", b.len, sha);
    const char *rpath = ek && eb ? arena_printf(a, "/%s/%s", eb, ek) : NULL;
    const char *url = rpath ? arena_printf(a, "%s%s", B.env->endpoint, rpath) : NULL;
    hdr hs[4] = {{"host", (char *)host},
                 {"x-amz-date", date},
                 {"x-amz-content-sha256", sha},
                 {"x-amz-security-token", s.key.session_token}};
    hreq q = {.method = "PUT",
              .raw_path = rpath,
              .raw_query = "",
              .host = host,
              .headers = hs,
              .nheaders = 4,
              .body = (const unsigned char *)b.p,
              .body_len = b.len};
    char *auth =
        !rc && url ? sigv4_sign(a, &q, s.key.akid, s.key.secret, r->region, "s3", date, sha) : NULL;
    if (!rc && !auth) rc = ferr_oom(e);
    if (!rc) {
        httpc_header h[4] = {{"x-amz-date", date},
                             {"x-amz-content-sha256", sha},
                             {"x-amz-security-token", s.key.session_token},
                             {"Authorization", auth}};
        httpc_resp resp = {0};
        int hr = httpc_do(a, "PUT", url, h, 4, b.p, b.len, 60000, 65536, &resp);
        if (hr || resp.status != 200)
            rc = ferr_set(e, 400, "CLIENT_ERROR", "Error uploading artifacts: %s",
                          hr ? "S3 unreachable" : buf_str(&resp.body));
        buf_dispose(&resp.body);
    }
    arena_free(a);
    buf_dispose(&b);
    return rc;
}

/* The selected files to the project's S3 artifacts location as AWS lays them out:
 * LOCATION/PATH/[BUILD_UUID/]NAME, one zip (packaging ZIP) or NAME/ the files (NONE).
 * *location gets the object's ARN (arn:PARTITION:s3:::BUCKET/KEY). */
static int upload(run *r, const json_t *art, const json_t *spec, const cb_files *files,
                  const char *work, char *location, size_t ln, ferr *e)
{
    const char *type = jstr(art, "type");
    if (!type || strcmp(type, "S3")) return 0; /* NO_ARTIFACTS; CODEPIPELINE: the pipeline's */
    const char *bucket = jstr(art, "location"), *path = jstr(art, "path"),
               *ns = jstr(art, "namespaceType"), *pk = jstr(art, "packaging");
    const char *name = jstr(art, "name");
    if (jstr(spec, "name") && jbool(art, "overrideArtifactName", 0)) name = jstr(spec, "name");
    if (!name || !*name) name = jstr(r->doc, "projectName");
    char key[2048];
    snprintf(key, sizeof(key), "%s%s%s%s%s", path && *path ? path : "", path && *path ? "/" : "",
             ns && !strcmp(ns, "BUILD_ID") ? r->uuid : "", ns && !strcmp(ns, "BUILD_ID") ? "/" : "",
             name);
    snprintf(location, ln, "arn:%s:s3:::%s/%s", arn_partition(r->region), bucket, key);
    if (pk && !strcmp(pk, "ZIP")) {
        char zip[PATH_MAX];
        snprintf(zip, sizeof(zip), "%s/artifact.zip", work);
        return cb_artifacts_zip(files, zip, e) || put_object(r, bucket, key, zip, e) ? -1 : 0;
    }
    for (size_t i = 0; i < files->n; i++) {
        char k[4096];
        snprintf(k, sizeof(k), "%s/%s", key, files->names[i]);
        if (put_object(r, bucket, k, files->paths[i], e)) return -1;
    }
    return 0;
}

/* ---- cache ---- */

/* What a cache's archive may unpack to, as a source zip may. */
#define CACHE_MAX ((uint64_t)10 << 30)

/* The project's cache of buildspec paths: "LOCAL" when its modes hold LOCAL_CUSTOM_CACHE,
 * "S3", or NULL (NO_CACHE; LOCAL_SOURCE_CACHE alone caches nothing here: a source is
 * cloned from ferry's own disk, which is what that mode saves on AWS). */
static const char *cache_type(run *r)
{
    const json_t *c = json_object_get(r->doc, "cache");
    const char *t = jstr(c, "type");
    if (!t) return NULL;
    if (!strcmp(t, "S3")) return jstr(c, "location") ? t : NULL;
    if (strcmp(t, "LOCAL")) return NULL;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(c, "modes"), i, m)
        if (json_is_string(m) && !strcmp(json_string_value(m), "LOCAL_CUSTOM_CACHE")) return t;
    return NULL;
}

/* A LOCAL cache's archive: on the build host's disk as AWS keeps it, for ferry its data
 * directory (the cache outlives a restart), else the engine's root. */
static void cache_file(run *r, char *out, size_t n)
{
    char dir[PATH_MAX / 2];
    snprintf(dir, sizeof(dir), "%s/codebuild-cache", B.env->data_dir ? B.env->data_dir : B.root);
    if (mkdir(dir, 0700) && errno != EEXIST)
        log_warn("codebuild: mkdir %s: %s", dir, strerror(errno));
    snprintf(out, n, "%s/%s-%s-%s.zip", dir, r->account, r->region, jstr(r->doc, "projectName"));
}

/* An S3 cache's object: BUCKET[/PREFIX] (its location), key PREFIX/codebuild-cache-PROJECT.zip.
 * 0, or -1 when the location names no bucket. */
static int cache_object(run *r, char *bucket, size_t bn, char *key, size_t kn)
{
    const char *loc = jstr(json_object_get(r->doc, "cache"), "location");
    const char *slash = strchr(loc, '/'), *prefix = slash ? slash + 1 : "";
    size_t bl = slash ? (size_t)(slash - loc) : strlen(loc), pl = strlen(prefix);
    if (!bl || bl >= bn) return -1;
    snprintf(bucket, bn, "%.*s", (int)bl, loc);
    snprintf(key, kn, "%s%scodebuild-cache-%s.zip", prefix, pl && prefix[pl - 1] != '/' ? "/" : "",
             jstr(r->doc, "projectName"));
    return 0;
}

/* Before the build's commands: what the project's last successful build cached, unpacked
 * over the work directory (its src/ and home/). A cache that is not there is no cache; one
 * that cannot be read is logged and the build goes on without it, as AWS's does. */
static void cache_restore(run *r, const char *work)
{
    const char *type = cache_type(r);
    if (!type) return;
    ferr e = {0};
    zipar *z = NULL;
    char f[PATH_MAX], bucket[256], key[1100];
    if (!strcmp(type, "LOCAL")) {
        cache_file(r, f, sizeof(f));
        if (access(f, F_OK)) return;
        if (zipar_open_file(f, CACHE_MAX, &z, &e)) goto fail;
    } else {
        if (cache_object(r, bucket, sizeof(bucket), key, sizeof(key))) {
            ferr_set(&e, 400, "CLIENT_ERROR", "invalid cache location");
            goto fail;
        }
        json_t *out = NULL;
        if (call_as(r, "s3", "GetObject", json_pack("{s:s, s:s}", "Bucket", bucket, "Key", key),
                    &out, &e)) {
            if (!strcmp(e.code, "NoSuchKey")) return;
            goto fail;
        }
        const char *b64 = jstr(out, "Body");
        arena *a = arena_new(4096);
        size_t n = 0;
        unsigned char *raw = a && b64 ? enc_unb64(a, b64, strlen(b64), &n) : NULL;
        int rc = raw ? zipar_open_mem(raw, n, CACHE_MAX, &z, &e) : ferr_oom(&e);
        arena_free(a);
        json_decref(out);
        if (rc) goto fail;
    }
    snprintf(f, sizeof(f), "%s/cache.d", work);
    if (zipar_extract(z, f, &e)) goto fail;
    zipar_free(z);
    z = NULL;
    /* cp merges the unpacked tree into what the source download made */
    char from[PATH_MAX + 8], msg[512], path[4096];
    const char *sp = getenv("PATH");
    snprintf(from, sizeof(from), "%s/.", f);
    snprintf(path, sizeof(path), "PATH=%s", sp ? sp : "/usr/bin:/bin");
    char *cp[] = {"cp", "-a", from, (char *)work, NULL}, *envp[] = {path, "LC_ALL=C", NULL};
    int rc = proc_run(cp, envp, msg, sizeof(msg));
    proc_rmtree(f);
    if (rc) {
        ferr_set(&e, 400, "CLIENT_ERROR", "%s", msg);
        goto fail;
    }
    agent(r, "Restored the %s cache", type);
    return;
fail:
    zipar_free(z);
    agent(r, "Could not restore the %s cache: %s", type, e.message);
}

/* Where a cache path points: a path relative to the source directory (0), or under HOME (1:
 * /root/ as AWS's images have it, ~/ and $HOME/), with *rest what follows; -1 for any other
 * absolute path, which a build on ferry's host cannot own. */
static int cache_base(const char *p, const char **rest)
{
    static const char *const home[] = {"/root/", "~/", "$HOME/", "${HOME}/"};
    for (size_t i = 0; i < sizeof(home) / sizeof(home[0]); i++)
        if (!strncmp(p, home[i], strlen(home[i]))) {
            *rest = p + strlen(home[i]);
            return 1;
        }
    if (*p == '/') return -1;
    *rest = !strncmp(p, "./", 2) ? p + 2 : p;
    return 0;
}

/* After a successful build: the files its buildspec's cache paths select, in one archive
 * (names src/... and home/...) replacing the project's last. A cache that cannot be saved
 * is logged; the build has succeeded all the same. */
static void cache_save(run *r, const cb_buildspec *bs, const char *work)
{
    const char *type = cache_type(r);
    if (!type || !json_array_size(bs->cache_paths)) return;
    static const char *const bases[2] = {"src", "home"};
    json_t *specs[2] = {json_pack("{s:[]}", "files"), json_pack("{s:[]}", "files")};
    cb_files sel[2] = {{0}};
    ferr e = {0};
    size_t i, n = 0;
    json_t *v;
    char **paths = NULL, **names = NULL, f[PATH_MAX], bucket[256], key[1100];
    if (!specs[0] || !specs[1]) goto oom;
    json_array_foreach(bs->cache_paths, i, v) {
        const char *rest, *p = json_string_value(v);
        int b = cache_base(p, &rest);
        if (b < 0) {
            agent(r, "Cache path %s is outside the source directory and HOME: not cached", p);
            continue;
        }
        /* a directory named without a glob (seeds write '/root/.cache/pip') is all of it */
        char dir[PATH_MAX + 8];
        struct stat st;
        snprintf(dir, sizeof(dir), "%s/%s/%s", work, bases[b], rest);
        json_t *glob = !strpbrk(rest, "*?[") && !stat(dir, &st) && S_ISDIR(st.st_mode)
                           ? json_sprintf("%s/**/*", rest)
                           : json_string(rest);
        if (json_array_append_new(json_object_get(specs[b], "files"), glob)) goto oom;
    }
    for (int b = 0; b < 2; b++) {
        char dir[PATH_MAX + 8];
        snprintf(dir, sizeof(dir), "%s/%s", work, bases[b]);
        /* nothing matching is an empty part of the cache */
        if (json_array_size(json_object_get(specs[b], "files")))
            cb_artifacts_select(dir, specs[b], &sel[b], &e);
        n += sel[b].n;
    }
    if (!n) {
        agent(r, "No files match the cache paths: the cache is kept as it was");
        goto out;
    }
    if (!(paths = calloc(n, sizeof(*paths))) || !(names = calloc(n, sizeof(*names)))) goto oom;
    n = 0;
    for (int b = 0; b < 2; b++)
        for (i = 0; i < sel[b].n; i++, n++) {
            paths[n] = sel[b].paths[i];
            size_t len = strlen(bases[b]) + strlen(sel[b].names[i]) + 2;
            if (!(names[n] = malloc(len))) goto oom;
            snprintf(names[n], len, "%s/%s", bases[b], sel[b].names[i]);
        }
    if (!strcmp(type, "LOCAL")) {
        cache_file(r, f, sizeof(f));
        if (zipar_write_files((const char *const *)paths, (const char *const *)names, n, f, &e))
            goto fail;
    } else {
        snprintf(f, sizeof(f), "%s/cache.zip", work);
        if (cache_object(r, bucket, sizeof(bucket), key, sizeof(key))) {
            ferr_set(&e, 400, "CLIENT_ERROR", "invalid cache location");
            goto fail;
        }
        if (zipar_write_files((const char *const *)paths, (const char *const *)names, n, f, &e) ||
            put_object(r, bucket, key, f, &e))
            goto fail;
    }
    agent(r, "Saved %zu files to the %s cache", n, type);
    goto out;
oom:
    ferr_oom(&e);
fail:
    agent(r, "Could not save the %s cache: %s", type, e.message);
out:
    for (i = 0; names && i < n; i++) free(names[i]);
    free(names);
    free(paths);
    cb_files_clear(&sel[0]);
    cb_files_clear(&sel[1]);
    json_decref(specs[0]);
    json_decref(specs[1]);
}

/* ---- one build ---- */

static int reached(run *r, const char *phase)
{
    size_t i;
    json_t *p;
    json_array_foreach(phases(r), i, p)
        if (!strcmp(jstr(p, "phaseType"), phase)) return 1;
    return 0;
}

static int env_add(char **E, const char *k, const char *v)
{
    return proc_env_set(E, k, v);
}

static void run_build(run *r)
{
    ferr e = {0};
    char work[PATH_MAX / 2], src[PATH_MAX], home[PATH_MAX], rt[PATH_MAX], p[PATH_MAX * 2];
    char **envp = NULL;
    cb_buildspec *bs = NULL;
    char *text = NULL, *resolved = NULL;
    size_t tlen = 0;
    const char *status = "FAILED";
    json_t *vars = json_object();
    snprintf(work, sizeof(work), "%s/%s", B.root, r->uuid);
    snprintf(src, sizeof(src), "%s/src", work);
    snprintf(home, sizeof(home), "%s/home", work);
    snprintf(rt, sizeof(rt), "%s/rt", work);

    /* PROVISIONING: the role, the work directory */
    phase_next(r, "SUCCEEDED", NULL, NULL, "PROVISIONING");
    principal cb;
    session_service_principal(&cb, "codebuild.amazonaws.com", r->account);
    char sname[64];
    snprintf(sname, sizeof(sname), "AWSCodeBuild-%s", r->uuid);
    session_req req = {.role_arn = jstr(r->doc, "serviceRole"),
                       .session_name = sname,
                       .duration = session_seconds()};
    session s;
    if (!req.role_arn || session_assume_as(B.env, NULL, NULL, &cb, r->region, &req, &s, &e)) {
        char msg[800];
        snprintf(msg, sizeof(msg), "CodeBuild is not authorized to perform: sts:AssumeRole on %s",
                 req.role_arn ? req.role_arn : "");
        phase_next(r, "FAILED", "CLIENT_ERROR", msg, NULL);
        goto out;
    }
    pthread_mutex_lock(&B.mu);
    r->sess = s;
    snprintf(r->role_arn, sizeof(r->role_arn), "%s", req.role_arn);
    pthread_mutex_unlock(&B.mu);
    snprintf(p, sizeof(p), "%s/python", rt);
    if (mkdir(work, 0700) || mkdir(home, 0700) || mkdir(rt, 0755) || mkdir(p, 0755)) {
        phase_next(r, "FAILED", "CLIENT_ERROR", "cannot create the build's directory", NULL);
        goto out;
    }
    snprintf(p, sizeof(p), "%s/python/sitecustomize.py", rt);
    if (write_file(p, fn_rt_sitecustomize_py, fn_rt_sitecustomize_py_len, 0444)) {
        phase_next(r, "FAILED", "CLIENT_ERROR", "cannot write the build's files", NULL);
        goto out;
    }
    agent(r, "Running on ferry (a host process, no container)");
    phase_next(r, "SUCCEEDED", NULL, NULL, "DOWNLOAD_SOURCE");

    /* DOWNLOAD_SOURCE: sources, buildspec, variables */
    const json_t *source = json_object_get(r->doc, "source");
    if (download(r, source, jstr(r->doc, "sourceVersion"), src, home, &resolved, &e)) {
        phase_next(r, "FAILED", e.code, e.message, NULL);
        goto out;
    }
    if (resolved && jset_str(r->doc, "resolvedSourceVersion", resolved)) goto oom;
    agent(r, "CODEBUILD_SRC_DIR=%s", src);
    size_t i;
    json_t *ss;
    json_array_foreach(json_object_get(r->doc, "secondarySources"), i, ss) {
        const char *sid = jstr(ss, "sourceIdentifier");
        if (!sid || !shell_name(sid)) continue;
        const char *ver = NULL;
        size_t j;
        json_t *sv;
        json_array_foreach(json_object_get(r->doc, "secondarySourceVersions"), j, sv)
            if (jstr(sv, "sourceIdentifier") && !strcmp(jstr(sv, "sourceIdentifier"), sid))
                ver = jstr(sv, "sourceVersion");
        char dir[PATH_MAX + 64], *res2 = NULL, name[300];
        snprintf(dir, sizeof(dir), "%s/src_%s", work, sid);
        snprintf(name, sizeof(name), "CODEBUILD_SRC_DIR_%s", sid);
        if (download(r, ss, ver, dir, home, &res2, &e)) {
            phase_next(r, "FAILED", e.code, e.message, NULL);
            goto out;
        }
        free(res2);
        if (json_object_set_new(vars, name, json_string(dir))) goto oom;
        agent(r, "%s=%s", name, dir);
    }
    if (buildspec_text(source, src, &text, &tlen, &e) || cb_buildspec_parse(text, tlen, &bs, &e)) {
        phase_next(r, "FAILED", "YAML_FILE_ERROR", e.message, NULL);
        goto out;
    }
    if (resolve_vars(r, bs, vars, &e)) {
        phase_next(r, "FAILED", "Decrypted Variables Error", e.message, NULL);
        goto out;
    }

    /* the process image */
    if (!(envp = calloc(PROC_ENV_MAX, sizeof(char *)))) goto oom;
    const char *k;
    json_t *v;
    int bad = 0;
    json_object_foreach(vars, k, v) bad |= env_add(envp, k, json_string_value(v));
    char num[32], uri[600], pp[PATH_MAX + 16];
    snprintf(num, sizeof(num), "%lld", (long long)jint(r->doc, "buildNumber", 0));
    snprintf(uri, sizeof(uri), "%s%s", B.env->endpoint, BUILDS_CREDENTIALS_PATH);
    snprintf(pp, sizeof(pp), "%s/python", rt);
    const char *image = jstr(json_object_get(r->doc, "environment"), "image");
    bad |=
        env_add(envp, "PATH", "/usr/local/bin:/usr/bin:/bin") || env_add(envp, "LANG", "C.UTF-8") ||
        env_add(envp, "HOME", home) || env_add(envp, "TMPDIR", home) ||
        env_add(envp, "CODEBUILD_BUILD_ID", r->id) ||
        env_add(envp, "CODEBUILD_BUILD_ARN", jstr(r->doc, "arn")) ||
        env_add(envp, "CODEBUILD_BUILD_NUMBER", num) || env_add(envp, "CODEBUILD_SRC_DIR", src) ||
        env_add(envp, "CODEBUILD_RESOLVED_SOURCE_VERSION", resolved ? resolved : "") ||
        env_add(envp, "CODEBUILD_SOURCE_VERSION",
                jstr(r->doc, "sourceVersion") ? jstr(r->doc, "sourceVersion") : "") ||
        env_add(envp, "CODEBUILD_INITIATOR", jstr(r->doc, "initiator")) ||
        env_add(envp, "CODEBUILD_BUILD_IMAGE", image ? image : "") ||
        env_add(envp, "CODEBUILD_BUILD_SUCCEEDING", "1") ||
        env_add(envp, "CODEBUILD_LOG_PATH", jstr(json_object_get(r->doc, "logs"), "streamName")) ||
        env_add(envp, "AWS_REGION", r->region) || env_add(envp, "AWS_DEFAULT_REGION", r->region) ||
        env_add(envp, "AWS_CONTAINER_CREDENTIALS_FULL_URI", uri) ||
        env_add(envp, "AWS_CONTAINER_AUTHORIZATION_TOKEN", r->token) ||
        env_add(envp, "AWS_ENDPOINT_URL", B.env->endpoint) || env_add(envp, "PYTHONPATH", pp) ||
        env_add(envp, "FERRY_CB_ROOT", (snprintf(p, sizeof(p), "%s/", work), p));
    if (bad) goto oom;

    cache_restore(r, work);
    if (run_phases(r, bs, envp, work, src, &status)) {
        phase_next(r, "FAULT", "CLIENT_ERROR", "cannot start the build's shell", NULL);
        status = "FAULT";
        goto out;
    }
    read_exported(r, work);
    if (!strcmp(status, "STOPPED") || !strcmp(status, "TIMED_OUT") || !reached(r, "BUILD"))
        goto out; /* AWS: a failed INSTALL or PRE_BUILD goes on to FINALIZING */

    /* UPLOAD_ARTIFACTS */
    phase_next(r, NULL, NULL, NULL, "UPLOAD_ARTIFACTS");
    const char *ustatus = "SUCCEEDED", *ucode = NULL;
    char umsg[1100] = "";
    /* the primary artifact, then each secondary one the project and the buildspec both name
     * (a buildspec with only secondary-artifacts has no primary files) */
    json_t *arts = json_array(), *primary = json_object_get(r->doc, "artifacts");
    json_t *sec = json_object_get(r->doc, "secondaryArtifacts");
    if (!arts || (primary && json_array_append(arts, primary)) ||
        (json_is_array(sec) && json_array_extend(arts, sec))) {
        json_decref(arts);
        goto oom;
    }
    size_t ai;
    json_t *art;
    json_array_foreach(arts, ai, art) {
        int prim = art == primary;
        const json_t *spec =
            prim ? bs->artifacts
                 : json_object_get(bs->secondary_artifacts, jstr(art, "artifactIdentifier"));
        if (!spec || ucode || (prim && bs->secondary_artifacts && !json_object_get(spec, "files")))
            continue;
        cb_files files = {0};
        char loc[2200] = "";
        if (cb_artifacts_select(src, spec, &files, &e) ||
            upload(r, art, spec, &files, work, loc, sizeof(loc), &e)) {
            ustatus = "FAILED", ucode = e.code;
            snprintf(umsg, sizeof(umsg), "%s", e.message);
        } else if (*loc && json_object_set_new(art, "location", json_string(loc))) {
            cb_files_clear(&files);
            json_decref(arts);
            goto oom;
        }
        cb_files_clear(&files);
    }
    json_decref(arts);
    if (bs->reports && !ucode) {
        const char *name;
        json_t *spec;
        json_object_foreach(bs->reports, name, spec) {
            cb_report_input ri = {
                r->account, r->region, jstr(r->doc, "projectName"), jstr(r->doc, "arn"), name,
                spec,       src};
            char *rarn = NULL;
            principal who;
            pthread_mutex_lock(&B.mu);
            who = r->sess.key.who;
            pthread_mutex_unlock(&B.mu);
            ferr_clear(&e);
            if (cb_reports_ingest(B.env, &who, &ri, &rarn, &e)) {
                ustatus = "FAILED", ucode = e.code;
                snprintf(umsg, sizeof(umsg), "%s", e.message);
                break;
            }
            free(rarn);
        }
    }
    if (!json_object_get(json_object_get(r->doc, "artifacts"), "location") &&
        json_object_set_new(r->doc, "artifacts", json_pack("{s:s}", "location", "")))
        goto oom;
    if (ucode) status = "FAILED";
    if (!ucode && !strcmp(status, "SUCCEEDED")) cache_save(r, bs, work);
    phase_next(r, ustatus, ucode, ucode ? umsg : NULL, NULL);
    goto out;
oom:
    phase_next(r, "FAULT", "CLIENT_ERROR", "out of memory", NULL);
    status = "FAULT";
out:
    finish(r, status);
    cb_buildspec_free(bs);
    free(text);
    free(resolved);
    proc_env_free(envp);
    json_decref(vars);
    proc_rmtree(work);
}

static void *build_thread(void *arg)
{
    run *r = arg;
    log_info("codebuild: %s/%s build %s started", r->account, r->region, r->id);
    run_build(r);
    log_info("codebuild: build %s %s", r->id, jstr(r->doc, "buildStatus"));
    pthread_mutex_lock(&B.mu);
    r->done = 1;
    pthread_cond_broadcast(&B.cv);
    pthread_mutex_unlock(&B.mu);
    return NULL;
}

/* ---- the dispatcher ---- */

typedef struct found {
    char account[13], region[32], id[320];
    char node[64]; /* the node running it ("": queued, or a store of one process) */
    int held;      /* node is another's, its lease not run out */
    struct found *next;
} found;

static int collect_pending(void *ud, const store_key *k, json_t *doc)
{
    found *f = calloc(1, sizeof(*f));
    if (!f) return 1;
    snprintf(f->account, sizeof(f->account), "%s", k->account);
    snprintf(f->region, sizeof(f->region), "%s", k->region);
    snprintf(f->id, sizeof(f->id), "%s", k->id);
    snprintf(f->node, sizeof(f->node), "%s", jstr(doc, "node") ? jstr(doc, "node") : "");
    f->next = *(found **)ud;
    *(found **)ud = f;
    return 0;
}

/* The builds not complete; held set for those of another node whose lease lasts. */
static found *pending(void)
{
    ferr e = {0};
    store_txn *t = NULL;
    found *f = NULL;
    if (store_begin(B.env->st, 0, &t, &e)) return NULL;
    store_list(t, CB_PENDING_KIND, NULL, NULL, NULL, NULL, 0, collect_pending, &f, &e);
    double now = clock_now();
    for (found *x = f; x; x = x->next)
        if (x->node[0] && strcmp(x->node, B.node))
            x->held = leases_held(t, B.node, x->node, now, &e) != 0; /* an error: held */
    store_rollback(t);
    return f;
}

static json_t *load(const char *account, const char *region, const char *id)
{
    ferr e = {0};
    store_txn *t = NULL;
    json_t *d = NULL;
    if (store_begin(B.env->st, 0, &t, &e)) return NULL;
    store_key k = {CB_BUILD_KIND, account, region, id};
    if (store_get(t, &k, &d, &e) <= 0) d = NULL;
    store_rollback(t);
    return d;
}

static void free_run(run *r)
{
    json_decref(r->doc);
    free(r);
}

/* Makes the build f names this node's, in a write transaction (so that one node does):
 * leases_take's answer, f->node then naming its previous node. 2: it was queued (f->node "")
 * or a dead node's, 1: this node's own and at_start, 0: not to be run here, -1: logged. */
static int claim(found *f, int at_start)
{
    ferr e = {0};
    store_key pk = {CB_PENDING_KIND, f->account, f->region, f->id};
    int rc = leases_claim(B.env->st, &pk, B.node, "node", at_start, NULL, f->node, sizeof(f->node),
                          NULL, &e);
    if (rc < 0) log_warn("codebuild: %s: cannot claim the build: %s", f->id, e.message);
    return rc;
}

/* Ends the build f names FAILED, its open phase failed with msg: AWS's builds fail when
 * their host is lost, and the processes of a ferry that died are gone with it. */
static void fail_build(const found *f, const char *msg)
{
    run r = {0};
    snprintf(r.account, sizeof(r.account), "%s", f->account);
    snprintf(r.region, sizeof(r.region), "%s", f->region);
    snprintf(r.id, sizeof(r.id), "%s", f->id);
    r.doc = load(f->account, f->region, f->id);
    if (!r.doc) return;
    log_warn("codebuild: build %s: %s: FAILED", r.id, msg);
    json_t *p = last_phase(&r);
    if (p && !json_object_get(p, "endTime")) phase_next(&r, "FAILED", "CLIENT_ERROR", msg, NULL);
    finish(&r, "FAILED");
    json_decref(r.doc);
}

/* A build another node ran, taken over once that node's lease ran out: failed. */
static void fail_taken(const found *f)
{
    char msg[160];
    snprintf(msg, sizeof(msg), "Build was interrupted: ferry node %s stopped while it ran",
             f->node);
    fail_build(f, msg);
}

/* New builds get a thread; running ones asked to stop are stopped; ended ones reaped. */
static void dispatch(void)
{
    found *f = pending();
    while (f) {
        found *next = f->next;
        pthread_mutex_lock(&B.mu);
        run *r = B.runs;
        while (r && (strcmp(r->id, f->id) || strcmp(r->account, f->account) ||
                     strcmp(r->region, f->region)))
            r = r->next;
        pthread_mutex_unlock(&B.mu);
        if (!r && B.node[0] && !B.stopping) {
            /* a shared store: a queued build is run by the node that claims it; another
             * node's running build is the lease tick's (takeover) */
            int take = f->node[0] ? 0 : claim(f, 0);
            if (take == 2 && f->node[0]) fail_taken(f); /* its node died meanwhile */
            if (take != 2 || f->node[0]) {
                free(f);
                f = next;
                continue;
            }
        }
        json_t *d = load(f->account, f->region, f->id);
        if (r && d && jbool(d, "_stop", 0)) {
            pthread_mutex_lock(&B.mu);
            r->stop = 1;
            pthread_mutex_unlock(&B.mu);
        } else if (!r && d && !B.stopping) {
            run *n = calloc(1, sizeof(*n));
            const char *colon = strrchr(f->id, ':');
            if (n) {
                snprintf(n->account, sizeof(n->account), "%s", f->account);
                snprintf(n->region, sizeof(n->region), "%s", f->region);
                snprintf(n->id, sizeof(n->id), "%s", f->id);
                snprintf(n->uuid, sizeof(n->uuid), "%.36s", colon ? colon + 1 : f->id);
                ids_hex(n->token, 64);
                n->life_fd = -1;
                n->doc = d;
                d = NULL;
                if (jbool(n->doc, "_stop", 0)) n->stop = 1;
                pthread_mutex_lock(&B.mu);
                n->next = B.runs;
                B.runs = n;
                if (pthread_create(&n->th, NULL, build_thread, n)) {
                    B.runs = n->next;
                    free_run(n);
                }
                pthread_mutex_unlock(&B.mu);
            }
        }
        json_decref(d);
        free(f);
        f = next;
    }
    pthread_mutex_lock(&B.mu);
    for (run **pp = &B.runs; *pp;) {
        run *r = *pp;
        if (r->done) {
            *pp = r->next;
            pthread_mutex_unlock(&B.mu);
            pthread_join(r->th, NULL);
            free_run(r);
            pthread_mutex_lock(&B.mu);
            pp = &B.runs;
        } else {
            pp = &r->next;
        }
    }
    pthread_mutex_unlock(&B.mu);
}

static void *dispatcher(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&B.mu);
    while (!B.stopping) {
        if (!B.kicked) {
            struct timespec ts = clock_deadline(0.5);
            pthread_cond_timedwait(&B.cv, &B.mu, &ts);
        }
        B.kicked = 0;
        if (B.stopping) break;
        pthread_mutex_unlock(&B.mu);
        dispatch();
        pthread_mutex_lock(&B.mu);
    }
    pthread_mutex_unlock(&B.mu);
    return NULL;
}

/* Builds a ferry that died was running (at start: on a store of one process every build
 * left pending; on a shared one those of this node, under a --node-id kept across restarts,
 * and those of nodes whose lease has run out; queued ones are left to the dispatcher) and,
 * from the lease tick, those of other nodes that died. */
static void fail_orphans(int at_start)
{
    found *f = pending();
    while (f) {
        found *next = f->next;
        int other = f->node[0] && strcmp(f->node, B.node);
        int take = !B.node[0]               ? at_start
                   : other                  ? (f->held ? 0 : claim(f, 0))
                   : f->node[0] && at_start ? claim(f, 1)
                                            : 0;
        if (take == 2)
            fail_taken(f);
        else if (take == 1)
            fail_build(f, "Build was interrupted: ferry stopped while it ran");
        free(f);
        f = next;
    }
}

/* leases.h: after each renewal, the builds of nodes whose lease ran out end here. */
static void takeover(ferry_env *env)
{
    pthread_mutex_lock(&B.mu);
    int gone = B.env != env || B.stopping || !B.running;
    pthread_mutex_unlock(&B.mu);
    if (!gone && B.node[0]) fail_orphans(0);
}

static int builds_start(ferry_env *env, ferr *e)
{
    B.env = env;
    B.stopping = 0;
    if (proc_root_init("cb", "FERRY_CB_ROOT", B.root, sizeof(B.root), e)) return -1;
    snprintf(B.node, sizeof(B.node), "%s", leases_self(env));
    fail_orphans(1);
    if (fn_logs_start(env, e)) return -1;
    if (pthread_create(&B.th, NULL, dispatcher, NULL)) {
        fn_logs_stop();
        return ferr_internal(e, "cannot start the builds engine");
    }
    pthread_mutex_lock(&B.mu);
    B.running = 1;
    pthread_mutex_unlock(&B.mu);
    leases_on_tick(takeover);
    return 0;
}

static void builds_stop(ferry_env *env)
{
    (void)env;
    if (!B.running) return;
    leases_off_tick(takeover); /* no takeover runs while the builds end */
    pthread_mutex_lock(&B.mu);
    B.stopping = 1;
    pthread_cond_broadcast(&B.cv);
    pthread_mutex_unlock(&B.mu);
    pthread_join(B.th, NULL);
    /* running builds are killed and recorded FAILED by their threads */
    for (;;) {
        pthread_mutex_lock(&B.mu);
        run *r = B.runs;
        if (r) B.runs = r->next;
        pthread_mutex_unlock(&B.mu);
        if (!r) break;
        pthread_join(r->th, NULL);
        free_run(r);
    }
    fn_logs_stop();
    proc_rmtree(B.root);
    B.running = 0;
}

const engine_def builds_engine = {"codebuild", builds_start, builds_stop};

/* ---- container credentials ---- */

int builds_credentials(ferry_env *env, const char *auth, char **body)
{
    *body = NULL;
    if (!auth || !*auth) return 401;
    pthread_mutex_lock(&B.mu);
    run *r = B.runs;
    while (r && (r->done || !r->sess.key.who.kind || !enc_ct_equal(auth, r->token))) r = r->next;
    if (!r) {
        pthread_mutex_unlock(&B.mu);
        return 403;
    }
    session s = r->sess;
    char role[640], account[13], region[32], uuid[40];
    snprintf(role, sizeof(role), "%s", r->role_arn);
    snprintf(account, sizeof(account), "%s", r->account);
    snprintf(region, sizeof(region), "%s", r->region);
    snprintf(uuid, sizeof(uuid), "%s", r->uuid);
    pthread_mutex_unlock(&B.mu);
    if (s.expires - clock_now() < 15 * 60) {
        /* SDKs refresh 15 minutes before the end: the next session is minted now */
        principal cb;
        session_service_principal(&cb, "codebuild.amazonaws.com", account);
        char sname[64];
        snprintf(sname, sizeof(sname), "AWSCodeBuild-%s", uuid);
        session_req req = {.role_arn = role, .session_name = sname, .duration = session_seconds()};
        ferr e = {0};
        session n;
        if (!session_assume_as(env, NULL, NULL, &cb, region, &req, &n, &e)) {
            s = n;
            pthread_mutex_lock(&B.mu);
            for (run *x = B.runs; x; x = x->next)
                if (x == r && !x->done) x->sess = n;
            pthread_mutex_unlock(&B.mu);
        } else {
            log_warn("codebuild: %s: the build's session was not renewed: %s", uuid, e.message);
            if (s.expires <= clock_now()) return 500; /* never hand out an expired one */
        }
    }
    char exp[32];
    clock_iso8601(s.expires, 0, exp);
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:s, s:s}", "AccessKeyId", s.key.akid, "SecretAccessKey",
                  s.key.secret, "Token", s.key.session_token, "Expiration", exp, "RoleArn", role);
    *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return *body ? 200 : 500;
}
