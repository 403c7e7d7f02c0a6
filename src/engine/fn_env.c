/* An execution environment's files and process: its directory (code, layers as /opt, the
 * runtime loop), the environment variables AWS sets, and the exec in the forked child. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/ids.h"
#include "base/jval.h"
#include "engine/fn_int.h"
#include "engine/proc.h"

/* uids of function processes when ferry runs as root: base + the environment's slot. None
 * needs a passwd entry; they own nothing but their environment. */
#define FN_UID_BASE 1800000

extern const char fn_rt_bootstrap_py[], fn_rt_sitecustomize_py[], fn_rt_bootstrap_js[];
extern const size_t fn_rt_bootstrap_py_len, fn_rt_sitecustomize_py_len, fn_rt_bootstrap_js_len;

uid_t fn_env_uid(const fnenv *v)
{
    return (uid_t)(FN_UID_BASE + v->slot);
}

/* Copies the tree src into dst (existing files replaced: later layers win), owned by uid
 * when ferry is root. */
static int copy_tree(const char *src, const char *dst, uid_t uid, int chown_it, ferr *e);

static int copy_file(const char *s, const char *d, mode_t mode, uid_t uid, int chown_it, ferr *e)
{
    int in = open(s, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (in < 0) return ferr_internal(e, "cannot read %s: %s", s, strerror(errno));
    unlink(d);
    int out = open(d, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode & 0777) | 0400);
    if (out < 0) {
        close(in);
        return ferr_internal(e, "cannot write %s: %s", d, strerror(errno));
    }
    char b[65536];
    ssize_t r;
    int rc = 0;
    while ((r = read(in, b, sizeof(b))) > 0)
        if (write(out, b, (size_t)r) != r) {
            rc = ferr_internal(e, "cannot write %s: %s", d, strerror(errno));
            break;
        }
    if (r < 0) rc = ferr_internal(e, "cannot read %s: %s", s, strerror(errno));
    if (!rc && chown_it && fchown(out, uid, uid))
        rc = ferr_internal(e, "cannot chown %s: %s", d, strerror(errno));
    close(in);
    if (close(out) && !rc) rc = ferr_internal(e, "cannot write %s: %s", d, strerror(errno));
    return rc;
}

static int copy_tree(const char *src, const char *dst, uid_t uid, int chown_it, ferr *e)
{
    DIR *d = opendir(src);
    if (!d) return ferr_internal(e, "cannot read %s: %s", src, strerror(errno));
    int rc = 0;
    struct dirent *de;
    while (!rc && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char s[PATH_MAX], t[PATH_MAX];
        if (snprintf(s, sizeof(s), "%s/%s", src, de->d_name) >= (int)sizeof(s) ||
            snprintf(t, sizeof(t), "%s/%s", dst, de->d_name) >= (int)sizeof(t)) {
            rc = ferr_internal(e, "path too long under %s", src);
            break;
        }
        struct stat st;
        if (lstat(s, &st)) {
            rc = ferr_internal(e, "cannot read %s: %s", s, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            if (mkdir(t, 0755) && errno != EEXIST)
                rc = ferr_internal(e, "cannot create %s: %s", t, strerror(errno));
            else if (chown_it && lchown(t, uid, uid))
                rc = ferr_internal(e, "cannot chown %s: %s", t, strerror(errno));
            else
                rc = copy_tree(s, t, uid, chown_it, e);
        } else if (S_ISLNK(st.st_mode)) {
            char l[PATH_MAX];
            ssize_t n = readlink(s, l, sizeof(l) - 1);
            if (n < 0) continue;
            l[n] = 0;
            unlink(t);
            if (symlink(l, t) || (chown_it && lchown(t, uid, uid)))
                rc = ferr_internal(e, "cannot link %s: %s", t, strerror(errno));
        } else if (S_ISREG(st.st_mode)) {
            rc = copy_file(s, t, st.st_mode, uid, chown_it, e);
        }
    }
    closedir(d);
    return rc;
}

static int write_file(const char *dir, const char *name, const char *data, size_t len, ferr *e)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
    if (fd < 0) return ferr_internal(e, "cannot write %s: %s", p, strerror(errno));
    int rc = write(fd, data, len) == (ssize_t)len ? 0 : -1;
    if (close(fd)) rc = -1;
    return rc ? ferr_internal(e, "cannot write %s", p) : 0;
}

static int mkdir_owned(const char *p, mode_t mode, uid_t uid, int chown_it, ferr *e)
{
    if (mkdir(p, mode) && errno != EEXIST)
        return ferr_internal(e, "cannot create %s: %s", p, strerror(errno));
    if (chown_it && chown(p, uid, uid)) return ferr_internal(e, "cannot chown %s", p);
    return 0;
}

/* The interpreter for a runtime: FERRY_FN_<WHAT> (a test seam), the system's own
 * (/usr/bin: the machine's, not a user's version manager shim), else the first on PATH. */
static const char *interpreter(const char *what, const char *var, char *out, size_t n)
{
    const char *o = getenv(var);
    if (o && *o) return o;
    snprintf(out, n, "/usr/bin/%s", what);
    if (!access(out, X_OK)) return out;
    const char *path = getenv("PATH");
    while (path && *path) {
        const char *c = strchr(path, ':');
        size_t l = c ? (size_t)(c - path) : strlen(path);
        snprintf(out, n, "%.*s/%s", (int)l, path, what);
        if (l && !access(out, X_OK)) return out;
        path = c ? c + 1 : NULL;
    }
    return NULL;
}

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dupf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    va_end(ap);
    return s;
}

/* "python3.12" -> 12 (minor), "nodejs20.x" -> 20 (major) */
static int runtime_number(const char *rt, const char *prefix)
{
    size_t pl = strlen(prefix);
    return strncmp(rt, prefix, pl) ? -1 : atoi(rt + pl);
}

int fn_env_prepare(fnenv *v, const char *root, const char *endpoint, ferr *e)
{
    int as_root = geteuid() == 0;
    uid_t uid = (uid_t)(FN_UID_BASE + v->slot);
    char id[40], p[1024], task[600], opt[600], rt[600], tmp[600];
    ids_hex(id, 16);
    snprintf(v->dir, sizeof(v->dir), "%s/%s", root, id);
    snprintf(task, sizeof(task), "%s/task", v->dir);
    snprintf(opt, sizeof(opt), "%s/opt", v->dir);
    snprintf(rt, sizeof(rt), "%s/rt", v->dir);
    snprintf(tmp, sizeof(tmp), "%s/tmp", v->dir);
    if (mkdir_owned(v->dir, 0700, uid, as_root, e) || mkdir_owned(task, 0755, uid, as_root, e) ||
        mkdir_owned(opt, 0755, uid, as_root, e) || mkdir_owned(rt, 0755, uid, as_root, e) ||
        mkdir_owned(tmp, 0700, uid, as_root, e))
        return -1;
    if (v->code_dir && copy_tree(v->code_dir, task, uid, as_root, e)) return -1;
    for (size_t i = 0; i < v->n_layers; i++)
        if (copy_tree(v->layers[i], opt, uid, as_root, e)) return -1;

    char interp[PATH_MAX + 16], pyver[32] = "";
    const char *exe = NULL, *script = NULL;
    int kind = 0; /* 1 python, 2 node, 0 provided */
    if (!strncmp(v->runtime, "python", 6)) {
        kind = 1;
        snprintf(p, sizeof(p), "%s/python", rt);
        if (mkdir(p, 0755) ||
            write_file(rt, "bootstrap.py", fn_rt_bootstrap_py, fn_rt_bootstrap_py_len, e) ||
            write_file(p, "sitecustomize.py", fn_rt_sitecustomize_py, fn_rt_sitecustomize_py_len,
                       e))
            return -1;
        exe = interpreter("python3", "FERRY_FN_PYTHON", interp, sizeof(interp));
        script = "bootstrap.py";
        snprintf(pyver, sizeof(pyver), "3.%d", runtime_number(v->runtime, "python3."));
    } else if (!strncmp(v->runtime, "nodejs", 6)) {
        kind = 2;
        if (write_file(rt, "bootstrap.js", fn_rt_bootstrap_js, fn_rt_bootstrap_js_len, e))
            return -1;
        exe = interpreter("node", "FERRY_FN_NODE", interp, sizeof(interp));
        script = "bootstrap.js";
    } else {
        snprintf(interp, sizeof(interp), "%s/bootstrap", task);
        if (access(interp, F_OK)) snprintf(interp, sizeof(interp), "%s/bootstrap", opt);
        exe = interp;
    }
    if (!exe) return ferr_internal(e, "no interpreter for runtime %s on this machine", v->runtime);

    v->argv = calloc(4, sizeof(char *));
    v->envp = calloc(PROC_ENV_MAX, sizeof(char *));
    if (!v->argv || !v->envp) return ferr_oom(e);
    v->argv[0] = strdup(exe);
    if (script) v->argv[1] = dupf("%s/%s", rt, script);
    if (!v->argv[0] || (script && !v->argv[1])) return ferr_oom(e);

    char **E = v->envp;
    int bad = 0;
    /* the function's own variables first: AWS's reserved ones are set after them */
    const char *k;
    json_t *val;
    if (v->variables)
        json_object_foreach(v->variables, k, val)
            if (json_is_string(val)) bad |= proc_env_set(E, k, json_string_value(val));
    char path[1024], api[64], mem[16];
    snprintf(path, sizeof(path), "%s/bin:/usr/local/bin:/usr/bin:/bin", opt);
    snprintf(api, sizeof(api), "127.0.0.1:%d", v->port);
    snprintf(mem, sizeof(mem), "%d", v->memory_mb);
    bad |= proc_env_set(E, "PATH", path) || proc_env_set(E, "LANG", "C.UTF-8") ||
           proc_env_set(E, "TZ", ":UTC") || proc_env_set(E, "HOME", tmp) ||
           proc_env_set(E, "TMPDIR", tmp) ||
           proc_env_set(E, "LD_LIBRARY_PATH", (snprintf(p, sizeof(p), "%s/lib", opt), p)) ||
           proc_env_set(E, "LAMBDA_TASK_ROOT", task) || proc_env_set(E, "LAMBDA_RUNTIME_DIR", rt) ||
           proc_env_set(E, "AWS_LAMBDA_RUNTIME_API", api) ||
           proc_env_set(E, "AWS_LAMBDA_FUNCTION_NAME", v->name) ||
           proc_env_set(E, "AWS_LAMBDA_FUNCTION_VERSION", v->version) ||
           proc_env_set(E, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", mem) ||
           proc_env_set(E, "AWS_LAMBDA_LOG_GROUP_NAME", v->log_group) ||
           proc_env_set(E, "AWS_LAMBDA_LOG_STREAM_NAME", v->stream) ||
           proc_env_set(E, "AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand") ||
           proc_env_set(E, "AWS_REGION", v->region) ||
           proc_env_set(E, "AWS_DEFAULT_REGION", v->region) ||
           proc_env_set(E, "AWS_ACCESS_KEY_ID", v->sess.key.akid) ||
           proc_env_set(E, "AWS_SECRET_ACCESS_KEY", v->sess.key.secret) ||
           proc_env_set(E, "AWS_SESSION_TOKEN", v->sess.key.session_token) ||
           (endpoint && *endpoint && proc_env_set(E, "AWS_ENDPOINT_URL", endpoint)) ||
           proc_env_set(E, "FERRY_FN_ROOT", (snprintf(p, sizeof(p), "%s/", v->dir), p));
    if (v->handler) bad |= proc_env_set(E, "_HANDLER", v->handler);
    if (kind) {
        snprintf(p, sizeof(p), "AWS_Lambda_%s", v->runtime);
        bad |= proc_env_set(E, "AWS_EXECUTION_ENV", p);
    }
    if (kind == 1) {
        char pp[2048];
        snprintf(pp, sizeof(pp), "%s/python:%s/python:%s/python/lib/python%s/site-packages", rt,
                 opt, opt, pyver);
        bad |= proc_env_set(E, "PYTHONPATH", pp) || proc_env_set(E, "PYTHONUNBUFFERED", "1") ||
               proc_env_set(E, "PYTHONDONTWRITEBYTECODE", "1");
    } else if (kind == 2) {
        /* after the layers', AWS's nodejs runtimes offer the JavaScript SDK v3 of their own
         * (/var/runtime/node_modules): FERRY_FN_NODE_MODULES names the install offered here */
        const char *sdk = getenv("FERRY_FN_NODE_MODULES");
        int has_sdk = sdk && *sdk;
        char np[2048];
        snprintf(np, sizeof(np), "%s/nodejs/node_modules:%s/nodejs/node%d/node_modules%s%s", opt,
                 opt, runtime_number(v->runtime, "nodejs"), has_sdk ? ":" : "", has_sdk ? sdk : "");
        bad |= proc_env_set(E, "NODE_PATH", np);
    }
    return bad ? ferr_oom(e) : 0;
}

/* The function's own process, forked by the guard (proc_guard_exec): never returns. */
static void function_exec(const void *arg)
{
    const fnenv *v = arg;
    if (geteuid() == 0) {
        gid_t g = (gid_t)(FN_UID_BASE + v->slot);
        if (setgroups(0, NULL) || setgid(g) || setuid((uid_t)g)) _exit(127);
    }
    umask(022);
    char task[600];
    size_t l = strlen(v->dir);
    memcpy(task, v->dir, l);
    memcpy(task + l, "/task", 6);
    if (chdir(task)) _exit(127);
    execve(v->argv[0], v->argv, v->envp);
    _exit(126);
}

void fn_child_exec(const fnenv *v, int out_fd, int life_fd)
{
    /* the guard leads a process group of its own: timeouts kill the whole group */
    proc_guard_exec(out_fd, life_fd, function_exec, v);
}

/* A process of an environment but its group's leader (the guard, a fork of ferry sharing
 * ferry's pages). */
static int member(pid_t pid, const long *f)
{
    return f[2] > 1 && f[2] != pid;
}

/* pgid -> resident KB of the last scan */
typedef struct group_rss {
    pid_t pgid;
    long kb;
} group_rss;
static group_rss groups[4096];
static size_t ngroups;

static void add_rss(pid_t pid, char state, const long *f, void *arg)
{
    (void)state;
    if (!member(pid, f)) return;
    long page_kb = *(long *)arg;
    size_t g = 0;
    while (g < ngroups && groups[g].pgid != (pid_t)f[2]) g++;
    if (g == ngroups) {
        if (ngroups == sizeof(groups) / sizeof(groups[0])) return;
        groups[ngroups++] = (group_rss){(pid_t)f[2], 0};
    }
    groups[g].kb += f[21] * page_kb;
}

long fn_group_rss_kb(pid_t pgid, int rescan)
{
    static long page_kb;
    if (!page_kb) page_kb = sysconf(_SC_PAGESIZE) / 1024;
    if (rescan) {
        ngroups = 0;
        proc_each(add_rss, &page_kb);
    }
    for (size_t g = 0; g < ngroups; g++)
        if (groups[g].pgid == pgid) return groups[g].kb;
    return 0;
}

static void stop_one(pid_t pid, char state, const long *f, void *arg)
{
    (void)state;
    if (member(pid, f) && (pid_t)f[2] == *(pid_t *)arg) kill(pid, SIGSTOP);
}

void fn_group_freeze(pid_t pgid)
{
    proc_each(stop_one, &pgid);
}
