/* Git smart HTTP for CodeCommit repositories: /v1/repos/NAME/info/refs,
 * /v1/repos/NAME/git-upload-pack and /v1/repos/NAME/git-receive-pack, served by git's own
 * `git http-backend` run as a CGI child (ferry parses no pack). Before it runs, the caller is
 * authenticated the two ways AWS takes: HTTPS Git credentials (IAM service-specific
 * credentials, basic auth) or `aws codecommit credential-helper` (the access key id and a
 * SigV4 signature as the password), and authorized for codecommit:GitPull or
 * codecommit:GitPush on the repository like any call (audited as GitPull / GitPush). After
 * a push the refs that moved are recorded (cc_ref_pushed). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth/keys.h"
#include "auth/regions.h"
#include "auth/sigv4.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "base/log.h"
#include "cgi.h"
#include "codecommit_int.h"
#include "proto/codec.h"
#include "svc/iam/iam.h"

extern char **environ;

/* What a clone or fetch may take from the server in one response (the whole pack is held
 * in memory: routes answer with a buffer). */
#define GIT_MAX_OUT (512u << 20)

static int reply(proto_response *resp, int status, const char *msg)
{
    proto_response_init(resp);
    resp->status = status;
    resp->content_type = "text/plain";
    buf_puts(&resp->body, msg);
    return 1;
}

static int unauthorized(arena *a, proto_response *resp)
{
    reply(resp, 401, "Unauthorized\n");
    proto_response_header(a, resp, "WWW-Authenticate", "Basic realm=\"AWS CodeCommit\"");
    return 1;
}

/* ---- who is calling ---- */

/* The credential helper's user name is the access key id, with %SESSION_TOKEN after it for
 * temporary credentials: 1 when the signature in pass verifies, 0 when it does not. */
static int helper_principal(ferry_env *env, arena *a, const svc_request *r, const char *region,
                            const char *path, const char *user, const char *pass, principal *who)
{
    const char *pct = strchr(user, '%');
    const char *akid = pct ? arena_strndup(a, user, (size_t)(pct - user)) : user;
    const char *token = pct ? pct + 1 : NULL;
    key_info k;
    ferr e = {0};
    if (!akid || keys_lookup_cached(env->st, akid, &k, &e) != 1 || !k.active) return 0;
    int ok = 1;
    if (k.session_token[0])
        ok = token && enc_ct_equal(token, k.session_token) &&
             !(k.who.expires && clock_now() >= k.who.expires);
    if (ok) ok = !sigv4_git_verify(a, akid, k.secret, region, r->host, path, pass, clock_now(), &e);
    if (ok) *who = k.who;
    memset(&k, 0, sizeof(k));
    return ok;
}

/* 1 with *who, 0 refused, -1 a store error. */
static int authenticate(ferry_env *env, arena *a, const svc_request *r, const char *region,
                        const char *path, const char *user, const char *pass, principal *who)
{
    char amz[17], sig[65];
    if (!sigv4_git_parse(pass, amz, sig))
        return helper_principal(env, a, r, region, path, user, pass, who);
    store_txn *t = NULL;
    ferr e = {0};
    if (store_begin(env->st, 0, &t, &e)) return -1;
    int rc = iamsvc_ssc_principal(t, "codecommit.amazonaws.com", user, pass, who, &e);
    store_rollback(t);
    if (rc < 0) log_error("codecommit: git credentials: %s", e.message);
    return rc;
}

/* ---- authorization: GitPull / GitPush, run as operations so they are audited ---- */

static int git_access(call *c, const char *action, json_t *in, json_t **out)
{
    json_t *d;
    if (cc_repo_load(c, action, jstr(in, "repositoryName"), &d)) return -1;
    const char *dir = cc_repo_dir(c, d);
    if (!dir) return -1;
    *out = svc_out(
        c, json_pack("{s:s, s:b}", "dir", dir, "hasDefault", jstr(d, "defaultBranch") != NULL));
    return 0;
}
static int access_pull(call *c, json_t *in, json_t **out)
{
    return git_access(c, "codecommit:GitPull", in, out);
}
static int access_push(call *c, json_t *in, json_t **out)
{
    return git_access(c, "codecommit:GitPush", in, out);
}
static const svc_op op_pull = {"GitPull", access_pull, SVC_READ};
static const svc_op op_push = {"GitPush", access_push, 0};

/* ---- the CGI child ---- */

static const char *env_var(arena *a, const char *name, const char *v)
{
    return arena_printf(a, "%s=%s", name, v ? v : "");
}

/* Runs git http-backend with env, feeding it body and collecting its output in out.
 * 0, or -1 (spawn or I/O failure, or output past GIT_MAX_OUT). */
static int run_backend(char **env, const unsigned char *body, size_t blen, buf *out)
{
    int in[2] = {-1, -1}, op[2] = {-1, -1};
    if (pipe2(in, O_CLOEXEC) || pipe2(op, O_CLOEXEC)) {
        if (in[0] >= 0) close(in[0]), close(in[1]);
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, op[1], 1);
    char *argv[] = {"git", "http-backend", NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "git", &fa, NULL, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(op[1]);
    if (rc) {
        close(in[1]);
        close(op[0]);
        errno = rc;
        return -1;
    }
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    int wfd = blen ? in[1] : -1, failed = 0;
    if (!blen) close(in[1]);
    size_t off = 0;
    char chunk[65536];
    for (;;) {
        struct pollfd p[2] = {{op[0], POLLIN, 0}, {wfd, POLLOUT, 0}};
        if (poll(p, wfd >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR) continue;
            failed = 1;
            break;
        }
        if (wfd >= 0 && p[1].revents) {
            ssize_t w = write(wfd, body + off, blen - off);
            if (w > 0) off += (size_t)w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || off == blen) {
                close(wfd); /* done, or the child stopped reading (it will say why) */
                wfd = -1;
            }
        }
        if (p[0].revents) {
            ssize_t n = read(op[0], chunk, sizeof(chunk));
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (n <= 0) break;
            if (buf_put(out, chunk, (size_t)n)) {
                failed = 1;
                break;
            }
        }
    }
    if (wfd >= 0) close(wfd);
    close(op[0]);
    if (failed) kill(pid, SIGKILL);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return failed ? -1 : 0;
}

/* ---- refs before and after a push ---- */

/* "refname oid\n" for every branch and tag of the repository at dir, sorted. */
static json_t *refs_of(const char *dir)
{
    git_repository *repo = NULL;
    git_strarray names = {0};
    json_t *m = json_object();
    if (!m || git_repository_open_bare(&repo, dir) || git_reference_list(&names, repo)) {
        git_repository_free(repo);
        json_decref(m);
        return NULL;
    }
    for (size_t i = 0; i < names.count; i++) {
        git_oid id;
        char hexid[GIT_OID_HEXSZ + 1];
        if (git_reference_name_to_id(&id, repo, names.strings[i])) continue;
        git_oid_tostr(hexid, sizeof(hexid), &id);
        if (json_object_set_new(m, names.strings[i], json_string(hexid))) {
            json_decref(m);
            m = NULL;
            break;
        }
    }
    git_strarray_dispose(&names);
    git_repository_free(repo);
    return m;
}

#define ZERO_ID "0000000000000000000000000000000000000000"

/* Records each ref that moved between before and after, and makes the first branch pushed
 * to a repository without one its HEAD. */
static void record_refs(ferry_env *env, const principal *who, const char *region, const char *name,
                        const char *dir, int had_default, json_t *before, json_t *after)
{
    store_txn *t = NULL;
    ferr e = {0};
    const char *k;
    json_t *v;
    const char *first = NULL;
    /* what the triggers' deliveries defer runs after the commit, when a is freed */
    arena *a = arena_new(8192);
    if (!a) {
        ferr_oom(&e);
        goto fail;
    }
    if (store_begin(env->st, 1, &t, &e)) goto fail;
    json_object_foreach(after, k, v) {
        const char *old = jstr(before, k);
        if (old && !strcmp(old, json_string_value(v))) continue;
        if (!first && !strncmp(k, "refs/heads/", 11)) first = k;
        if (cc_ref_pushed(env, t, a, who, region, name, k, old ? old : ZERO_ID,
                          json_string_value(v), &e))
            goto fail;
    }
    json_object_foreach(before, k, v) {
        if (json_object_get(after, k)) continue;
        if (cc_ref_pushed(env, t, a, who, region, name, k, json_string_value(v), ZERO_ID, &e))
            goto fail;
    }
    if (!had_default && first) {
        git_repository *repo = NULL;
        if (!git_repository_open_bare(&repo, dir)) git_repository_set_head(repo, first);
        git_repository_free(repo);
    }
    if (store_commit(t, &e)) {
        t = NULL;
        goto fail;
    }
    arena_free(a);
    return;
fail:
    store_rollback(t);
    arena_free(a);
    log_error("codecommit: %s: pushed refs not recorded: %s", name, e.message);
}

/* ---- the route ---- */

/* What a git request asks for. */
typedef struct git_target {
    const char *name, *tail; /* repository; info/refs, git-upload-pack or git-receive-pack */
    const char *region;      /* git-codecommit.REGION.localhost, else us-east-1 */
    const char *path;        /* /v1/repos/NAME: what the credential helper signs */
    int push;
} git_target;

/* 0, or the HTTP status to answer with. */
static int parse_target(arena *a, const svc_request *r, git_target *t)
{
    /* NAME/info/refs?service=..., NAME/git-upload-pack, NAME/git-receive-pack */
    const char *rest = r->rest, *slash = strchr(rest, '/');
    if (!slash || slash == rest) return 404;
    t->name = arena_strndup(a, rest, (size_t)(slash - rest));
    t->tail = slash + 1;
    if (!t->name) return 500;
    const char *q = r->query ? r->query : "";
    if (!strcmp(t->tail, "info/refs") && !strcmp(r->method, "GET")) {
        if (!strcmp(q, "service=git-upload-pack"))
            t->push = 0;
        else if (!strcmp(q, "service=git-receive-pack"))
            t->push = 1;
        else /* the dumb protocol is not served (AWS neither) */
            return 403;
    } else if (!strcmp(t->tail, "git-upload-pack") && !strcmp(r->method, "POST"))
        t->push = 0;
    else if (!strcmp(t->tail, "git-receive-pack") && !strcmp(r->method, "POST"))
        t->push = 1;
    else
        return 404;
    t->region = "us-east-1";
    const char *h = r->host;
    if (h && !strncasecmp(h, "git-codecommit.", 15)) {
        size_t n = strcspn(h + 15, ".:");
        t->region = arena_strndup(a, h + 15, n);
        ferr re = {0};
        if (!t->region) return 500;
        if (regions_check(t->region, &re)) return 404;
    }
    t->path = arena_printf(a, "/v1/repos/%s", t->name);
    return t->path ? 0 : 500;
}

/* The caller: 0 with *who, or the HTTP status to answer with. */
static int caller(ferry_env *env, arena *a, const svc_request *r, const git_target *t,
                  principal *who)
{
    const char *user = r->creds.user, *pass = r->creds.password;
    if (env->auth_open) { /* drop-in mode: anyone is the default account's root */
        keys_root_principal(env->default_account, who);
        keys_principal_in(who, t->region);
        return 0;
    }
    if (!user) return 401; /* no Basic credentials, or malformed ones */
    int rc = authenticate(env, a, r, t->region, t->path, user, pass, who);
    return rc < 0 ? 500 : rc ? 0 : 403;
}

int cc_git_preauth(ferry_env *env, arena *a, const svc_request *r)
{
    git_target t;
    principal who;
    return !parse_target(a, r, &t) && !caller(env, a, r, &t, &who);
}

static int fail(arena *a, proto_response *resp, int status)
{
    if (status == 401) return unauthorized(a, resp);
    return reply(resp, status,
                 status == 403   ? "Forbidden\n"
                 : status == 404 ? "Not Found\n"
                                 : "Internal Server Error\n");
}

int cc_git_serve(ferry_env *env, arena *a, const svc_request *r, proto_response *resp)
{
    git_target t;
    principal who;
    int st = parse_target(a, r, &t);
    if (!st) st = caller(env, a, r, &t, &who);
    if (st) return fail(a, resp, st);
    const char *name = t.name, *tail = t.tail, *region = t.region;
    int push = t.push;

    char rid[37];
    ids_uuid(rid);
    ferr e = {0};
    const svc_op *op = push ? &op_push : &op_pull;
    call c = svc_route_call(r, a, env, rid, "codecommit", op->name, &who, region, &e);
    json_t *in = json_pack("{s:s}", "repositoryName", name), *out = NULL;
    if (!in || svc_exec(&c, op, in, &out)) {
        json_decref(in);
        if (!ferr_isset(&e)) ferr_oom(&e);
        svc_audit(&c, NULL, (op->flags & SVC_READ) != 0, e.status);
        if (!strcmp(e.code, "RepositoryDoesNotExistException"))
            return reply(resp, 404, "Repository not found\n");
        return reply(resp, strcmp(e.code, "AccessDenied") ? 500 : 403,
                     strcmp(e.code, "AccessDenied") ? "Internal Server Error\n" : "Forbidden\n");
    }
    json_decref(in);
    const char *dir = arena_strdup(a, jstr(out, "dir"));
    int had_default = jbool(out, "hasDefault", 0);
    json_decref(out);
    if (!dir) return reply(resp, 500, "out of memory\n");

    /* GIT_PROJECT_ROOT is the repository's own directory: PATH_INFO names nothing else */
    const char *ctype = r->header(r, "content-type"), *cenc = r->header(r, "content-encoding"),
               *gproto = r->header(r, "git-protocol");
    char clen[32];
    snprintf(clen, sizeof(clen), "%zu", r->body_len);
    const char *vars[] = {
        env_var(a, "GIT_PROJECT_ROOT", dir),
        "GIT_HTTP_EXPORT_ALL=1",
        env_var(a, "PATH_INFO", arena_printf(a, "/%s", tail)),
        env_var(a, "REMOTE_USER", who.arn),
        env_var(a, "REMOTE_ADDR", svc_request_source_ip(r)),
        env_var(a, "REQUEST_METHOD", r->method),
        env_var(a, "QUERY_STRING", r->query),
        env_var(a, "CONTENT_TYPE", ctype),
        env_var(a, "CONTENT_LENGTH", clen),
        cenc ? env_var(a, "HTTP_CONTENT_ENCODING", cenc) : NULL,
        gproto ? env_var(a, "GIT_PROTOCOL", gproto) : NULL,
        env_var(a, "PATH", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin"),
        "GIT_CONFIG_NOSYSTEM=1",
        "HOME=/nonexistent",
    };
    size_t nv = sizeof(vars) / sizeof(vars[0]), k = 0;
    char **envp = arena_alloc(a, (nv + 1) * sizeof(*envp));
    if (!envp) return reply(resp, 500, "out of memory\n");
    for (size_t i = 0; i < nv; i++) {
        if (vars[i])
            envp[k++] = (char *)vars[i];
        else if (i != 9 && i != 10) /* only the two optional ones may be absent */
            return reply(resp, 500, "out of memory\n");
    }
    json_t *before = push ? refs_of(dir) : NULL;
    buf outb;
    buf_init(&outb, GIT_MAX_OUT);
    cgi_reply cr;
    if (run_backend(envp, r->body, r->body_len, &outb) ||
        cgi_parse(outb.p ? outb.p : "", outb.len, &cr)) {
        log_error("codecommit: git http-backend for %s failed", name);
        buf_dispose(&outb);
        json_decref(before);
        return reply(resp, 500, "Internal Server Error\n");
    }
    if (push && before && cr.status == 200 && !strcmp(tail, "git-receive-pack")) {
        json_t *after = refs_of(dir);
        if (after) record_refs(env, &who, region, name, dir, had_default, before, after);
        json_decref(after);
    }
    json_decref(before);
    proto_response_init(resp);
    resp->status = cr.status;
    resp->content_type = "application/octet-stream";
    for (size_t i = 0; i < cr.nheaders; i++) {
        const char *hn = arena_strndup(a, cr.headers[i].name, cr.headers[i].name_len);
        const char *hv = arena_strndup(a, cr.headers[i].value, cr.headers[i].value_len);
        if (!hn || !hv) continue;
        if (!strcasecmp(hn, "Content-Type"))
            resp->content_type = hv;
        else
            proto_response_header(a, resp, hn, hv);
    }
    buf_put(&resp->body, outb.p + cr.body_off, outb.len - cr.body_off);
    buf_dispose(&outb);
    log_info("codecommit: %s %s %s by %s: %d", push ? "push" : "pull", name, tail, who.arn,
             cr.status);
    return 1;
}
