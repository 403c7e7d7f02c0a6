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

/* uids of function processes when ferry runs as root: base + the environment's slot. None
 * needs a passwd entry; they own nothing but their environment. */
#define FN_UID_BASE 1800000

extern const char fn_rt_bootstrap_py[], fn_rt_sitecustomize_py[], fn_rt_bootstrap_js[];
extern const size_t fn_rt_bootstrap_py_len, fn_rt_sitecustomize_py_len, fn_rt_bootstrap_js_len;

uid_t fn_env_uid(const fnenv *v)
{
    return (uid_t)(FN_UID_BASE + v->slot);
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    remove(p);
    return 0;
}

void fn_rmtree(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* 1 when /proc/PID/environ holds marker (a NUL-separated entry). */
static int environ_has(const char *pid, const char *marker)
{
    char p[64];
    snprintf(p, sizeof(p), "/proc/%.32s/environ", pid);
    FILE *f = fopen(p, "r");
    if (!f) return 0;
    static char data[65536];
    size_t n = fread(data, 1, sizeof(data) - 1, f);
    fclose(f);
    data[n] = 0;
    size_t ml = strlen(marker);
    for (size_t i = 0; i < n; i += strlen(data + i) + 1)
        if (!strncmp(data + i, marker, ml)) return 1;
    return 0;
}

/* A ferry killed with -9 left its environments' directory; PDEATHSIG killed the processes
 * it forked, but a function's own children in other process groups may survive: they carry
 * FERRY_FN_ROOT in their environment. */
static void sweep_dead(const char *base)
{
    DIR *d = opendir(base);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end || pid <= 0) continue;
        if (!kill((pid_t)pid, 0) || errno == EPERM) continue; /* its ferry is alive */
        char dir[PATH_MAX + 300], marker[PATH_MAX + 320];
        snprintf(dir, sizeof(dir), "%s/%s", base, de->d_name);
        snprintf(marker, sizeof(marker), "FERRY_FN_ROOT=%s/", dir);
        DIR *pd = opendir("/proc");
        struct dirent *pe;
        while (pd && (pe = readdir(pd)))
            if (pe->d_name[0] >= '1' && pe->d_name[0] <= '9' && environ_has(pe->d_name, marker))
                kill((pid_t)atol(pe->d_name), SIGKILL);
        if (pd) closedir(pd);
        fn_rmtree(dir);
    }
    closedir(d);
}

int fn_root_init(char *root, size_t n, ferr *e)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp) tmp = "/tmp";
    char base[256];
    if (snprintf(base, sizeof(base), "%s/ferry-fn-%u", tmp, (unsigned)geteuid()) >=
        (int)sizeof(base))
        return ferr_internal(e, "TMPDIR is too long");
    /* 0711: function uids (root) reach their own environment, and list nothing */
    if (mkdir(base, 0711) && errno != EEXIST)
        return ferr_internal(e, "cannot create %s: %s", base, strerror(errno));
    struct stat st;
    if (lstat(base, &st) || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
        return ferr_internal(e, "%s is not a directory of ours", base);
    sweep_dead(base);
    snprintf(root, n, "%s/%d", base, (int)getpid());
    fn_rmtree(root);
    if (mkdir(root, 0711)) return ferr_internal(e, "cannot create %s: %s", root, strerror(errno));
    return 0;
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

/* Appends NAME=VALUE (replacing an earlier NAME) to a NULL-terminated vector of 128. */
static int env_set(char **vec, const char *name, const char *value)
{
    size_t nl = strlen(name), i;
    for (i = 0; vec[i]; i++)
        if (!strncmp(vec[i], name, nl) && vec[i][nl] == '=') break;
    if (i >= 126) return -1;
    char *s = dupf("%s=%s", name, value ? value : "");
    if (!s) return -1;
    free(vec[i]);
    vec[i] = s;
    return 0;
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
    v->envp = calloc(128, sizeof(char *));
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
            if (json_is_string(val)) bad |= env_set(E, k, json_string_value(val));
    char path[1024], api[64], mem[16];
    snprintf(path, sizeof(path), "%s/bin:/usr/local/bin:/usr/bin:/bin", opt);
    snprintf(api, sizeof(api), "127.0.0.1:%d", v->port);
    snprintf(mem, sizeof(mem), "%d", v->memory_mb);
    bad |= env_set(E, "PATH", path) || env_set(E, "LANG", "C.UTF-8") || env_set(E, "TZ", ":UTC") ||
           env_set(E, "HOME", tmp) || env_set(E, "TMPDIR", tmp) ||
           env_set(E, "LD_LIBRARY_PATH", (snprintf(p, sizeof(p), "%s/lib", opt), p)) ||
           env_set(E, "LAMBDA_TASK_ROOT", task) || env_set(E, "LAMBDA_RUNTIME_DIR", rt) ||
           env_set(E, "AWS_LAMBDA_RUNTIME_API", api) ||
           env_set(E, "AWS_LAMBDA_FUNCTION_NAME", v->name) ||
           env_set(E, "AWS_LAMBDA_FUNCTION_VERSION", v->version) ||
           env_set(E, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", mem) ||
           env_set(E, "AWS_LAMBDA_LOG_GROUP_NAME", v->log_group) ||
           env_set(E, "AWS_LAMBDA_LOG_STREAM_NAME", v->stream) ||
           env_set(E, "AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand") ||
           env_set(E, "AWS_REGION", v->region) || env_set(E, "AWS_DEFAULT_REGION", v->region) ||
           env_set(E, "AWS_ACCESS_KEY_ID", v->sess.key.akid) ||
           env_set(E, "AWS_SECRET_ACCESS_KEY", v->sess.key.secret) ||
           env_set(E, "AWS_SESSION_TOKEN", v->sess.key.session_token) ||
           (endpoint && *endpoint && env_set(E, "AWS_ENDPOINT_URL", endpoint)) ||
           env_set(E, "FERRY_FN_ROOT", (snprintf(p, sizeof(p), "%s/", v->dir), p));
    if (v->handler) bad |= env_set(E, "_HANDLER", v->handler);
    if (kind) {
        snprintf(p, sizeof(p), "AWS_Lambda_%s", v->runtime);
        bad |= env_set(E, "AWS_EXECUTION_ENV", p);
    }
    if (kind == 1) {
        char pp[2048];
        snprintf(pp, sizeof(pp), "%s/python:%s/python:%s/python/lib/python%s/site-packages", rt,
                 opt, opt, pyver);
        bad |= env_set(E, "PYTHONPATH", pp) || env_set(E, "PYTHONUNBUFFERED", "1") ||
               env_set(E, "PYTHONDONTWRITEBYTECODE", "1");
    } else if (kind == 2) {
        /* after the layers', AWS's nodejs runtimes offer the JavaScript SDK v3 of their own
         * (/var/runtime/node_modules): FERRY_FN_NODE_MODULES names the install offered here */
        const char *sdk = getenv("FERRY_FN_NODE_MODULES");
        int has_sdk = sdk && *sdk;
        char np[2048];
        snprintf(np, sizeof(np), "%s/nodejs/node_modules:%s/nodejs/node%d/node_modules%s%s", opt,
                 opt, runtime_number(v->runtime, "nodejs"), has_sdk ? ":" : "", has_sdk ? sdk : "");
        bad |= env_set(E, "NODE_PATH", np);
    }
    return bad ? ferr_oom(e) : 0;
}

/* The function's own process, forked by the guard: never returns. */
static void function_exec(const fnenv *v, pid_t guard)
{
    /* dies with its guard, whatever kills it */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != guard) _exit(127);
    close(3);
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

static void kill_all(pid_t self);

void fn_child_exec(const fnenv *v, int out_fd, int life_fd)
{
    /* The guard: leader of a process group of its own (timeouts kill the whole group),
     * parent of the function. PR_SET_PDEATHSIG would reach only a direct child, not what a
     * bootstrap starts, so the guard watches life_fd instead, whose other end only ferry
     * holds: when ferry dies, however it dies, the read sees the end and the guard kills
     * its group, itself included. */
    setsid();
    int in = open("/dev/null", O_RDONLY);
    if (in < 0 || dup2(in, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0 ||
        dup2(life_fd, 3) < 0)
        _exit(127);
    close_range(4, ~0U, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL);
    pid_t guard = getpid();
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t f = fork();
    if (f < 0) _exit(127);
    if (f == 0) function_exec(v, guard);
    int pidfd = (int)syscall(SYS_pidfd_open, f, 0);
    for (;;) {
        struct pollfd p[2] = {{.fd = 3, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
        /* a second at most: processes reparented to the guard are reaped */
        int n = poll(p, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? 1000 : 100);
        char c;
        if (n > 0 && p[0].revents && read(3, &c, 1) <= 0) kill_all(guard);
        int st;
        pid_t w;
        while ((w = waitpid(-1, &st, WNOHANG)) > 0 && w != f) {
        }
        if (w == f) {
            /* the function's end is the guard's: ferry reads it from the guard */
            if (WIFEXITED(st)) _exit(WEXITSTATUS(st));
            struct rlimit none_core = {0, 0};
            setrlimit(RLIMIT_CORE, &none_core);
            kill(getpid(), WTERMSIG(st));
            kill(getpid(), SIGKILL);
        }
    }
}

/* Calls fn(pid, state, f, arg) for every process of the machine, f its /proc/PID/stat
 * fields after the ")" closing its command (f[1] ppid, f[2] pgrp, f[21] rss pages). */
static void each_process(void (*fn)(pid_t pid, char state, const long *f, void *arg), void *arg)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9') continue;
        char p[64], s[1024];
        snprintf(p, sizeof(p), "/proc/%.32s/stat", de->d_name);
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t n = read(fd, s, sizeof(s) - 1);
        close(fd);
        if (n <= 0) continue;
        s[n] = 0;
        char *c = strrchr(s, ')');
        if (!c || !c[1] || !c[2]) continue;
        char state = c[2];
        long f[22] = {0};
        int i = 0;
        char *sv = NULL;
        for (char *t = strtok_r(c + 2, " ", &sv); t && i < 22; t = strtok_r(NULL, " ", &sv))
            f[i++] = atol(t);
        if (i == 22) fn((pid_t)atol(de->d_name), state, f, arg);
    }
    if (d) closedir(d);
}

/* A process of an environment but its group's leader (the guard, a fork of ferry sharing
 * ferry's pages). */
static int member(pid_t pid, const long *f)
{
    return f[2] > 1 && f[2] != pid;
}

typedef struct sweep {
    pid_t self;
    int found;
} sweep;

static void kill_one(pid_t pid, char state, const long *f, void *arg)
{
    sweep *s = arg;
    if (pid != s->self && (f[1] == s->self || f[2] == s->self) && state != 'Z') {
        kill(pid, SIGKILL);
        s->found = 1;
    }
}

/* The guard's last act when ferry died: every process of its group but itself, then every
 * process reparented to it (it is their subreaper: what the function started in sessions
 * of its own, once their parents died), round after round as killed parents hand it their
 * children. */
static void kill_all(pid_t self)
{
    for (int round = 0; round < 100; round++) {
        sweep s = {self, 0};
        each_process(kill_one, &s);
        while (waitpid(-1, NULL, WNOHANG) > 0) {
        }
        if (!s.found) break;
        usleep(2000);
    }
    _exit(137);
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
        each_process(add_rss, &page_kb);
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
    each_process(stop_one, &pgid);
}
