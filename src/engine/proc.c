/* Guarded process trees: see proc.h. */
#include "engine/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    remove(p);
    return 0;
}

void proc_rmtree(const char *path)
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

/* A ferry killed with -9 left its root; its guards killed their trees, but a process that
 * escaped one (reparented above it) may survive: it carries the marker in its environment. */
static void sweep_dead(const char *base, const char *marker_var)
{
    DIR *d = opendir(base);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end || pid <= 0) continue;
        if (!kill((pid_t)pid, 0) || errno == EPERM) continue; /* its ferry is alive */
        char dir[PATH_MAX + 300], marker[PATH_MAX + 420];
        snprintf(dir, sizeof(dir), "%s/%s", base, de->d_name);
        snprintf(marker, sizeof(marker), "%s=%s/", marker_var, dir);
        DIR *pd = opendir("/proc");
        struct dirent *pe;
        while (pd && (pe = readdir(pd)))
            if (pe->d_name[0] >= '1' && pe->d_name[0] <= '9' && environ_has(pe->d_name, marker))
                kill((pid_t)atol(pe->d_name), SIGKILL);
        if (pd) closedir(pd);
        proc_rmtree(dir);
    }
    closedir(d);
}

int proc_root_init(const char *name, const char *marker, char *root, size_t n, ferr *e)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp) tmp = "/tmp";
    char base[256];
    if (snprintf(base, sizeof(base), "%s/ferry-%s-%u", tmp, name, (unsigned)geteuid()) >=
        (int)sizeof(base))
        return ferr_internal(e, "TMPDIR is too long");
    /* 0711: processes running as other uids (ferry as root) reach their own directory, and
     * list nothing */
    if (mkdir(base, 0711) && errno != EEXIST)
        return ferr_internal(e, "cannot create %s: %s", base, strerror(errno));
    struct stat st;
    if (lstat(base, &st) || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
        return ferr_internal(e, "%s is not a directory of ours", base);
    sweep_dead(base, marker);
    snprintf(root, n, "%s/%d", base, (int)getpid());
    proc_rmtree(root);
    if (mkdir(root, 0711)) return ferr_internal(e, "cannot create %s: %s", root, strerror(errno));
    return 0;
}

/* A /proc entry as getdents64 returns it. */
typedef struct proc_dirent {
    unsigned long long ino;
    long long off;
    unsigned short reclen;
    unsigned char type;
    char name[];
} proc_dirent;

/* One /proc/PID/stat read and split (name is the directory entry). */
static void each_one(const char *name, void (*fn)(pid_t, char, const long *, void *), void *arg)
{
    if (name[0] < '1' || name[0] > '9') return;
    char p[64], s[1024];
    snprintf(p, sizeof(p), "/proc/%.32s/stat", name);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, s, sizeof(s) - 1);
    close(fd);
    if (n <= 0) return;
    s[n] = 0;
    char *c = strrchr(s, ')');
    if (!c || !c[1] || !c[2]) return;
    char state = c[2];
    long f[22] = {0};
    int i = 0;
    char *sv = NULL;
    for (char *t = strtok_r(c + 2, " ", &sv); t && i < 22; t = strtok_r(NULL, " ", &sv))
        f[i++] = atol(t);
    if (i == 22) fn((pid_t)atol(name), state, f, arg);
}

void proc_each(void (*fn)(pid_t pid, char state, const long *f, void *arg), void *arg)
{
    /* getdents64 into the stack, not opendir: the guard runs this in the forked child of a
     * threaded ferry, where malloc can wait forever on a lock another thread held at the
     * fork (ASan's allocator did: a stopped build's guard spun and the build never ended) */
    int dfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return;
    _Alignas(8) char buf[8192];
    long n;
    while ((n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
        for (long off = 0; off < n;) {
            const proc_dirent *de = (const proc_dirent *)(buf + off);
            off += de->reclen;
            each_one(de->name, fn, arg);
        }
    }
    close(dfd);
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

/* The guard's last act when its lifeline ends: every process of its group but itself, then
 * every process reparented to it (it is their subreaper: what the child started in sessions
 * of its own, once their parents died), round after round as killed parents hand it their
 * children. */
static void kill_all(pid_t self)
{
    for (int round = 0; round < 100; round++) {
        sweep s = {self, 0};
        proc_each(kill_one, &s);
        while (waitpid(-1, NULL, WNOHANG) > 0) {
        }
        if (!s.found) break;
        usleep(2000);
    }
    _exit(137);
}

void proc_guard_exec(int out_fd, int life_fd, void (*child)(const void *arg), const void *arg)
{
    /* PR_SET_PDEATHSIG would reach only a direct child, not what it starts, so the guard
     * watches life_fd instead: when ferry closes it or dies, however it dies, the read sees
     * the end and the guard kills its group, itself included. */
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
    if (f == 0) {
        /* dies with its guard, whatever kills it */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != guard) _exit(127);
        close(3);
        child(arg);
        _exit(126);
    }
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
            /* the child's end is the guard's: ferry reads it from the guard */
            if (WIFEXITED(st)) _exit(WEXITSTATUS(st));
            struct rlimit none_core = {0, 0};
            setrlimit(RLIMIT_CORE, &none_core);
            kill(getpid(), WTERMSIG(st));
            kill(getpid(), SIGKILL);
        }
    }
}

int proc_env_set(char **vec, const char *name, const char *value)
{
    size_t nl = strlen(name), i;
    for (i = 0; vec[i]; i++)
        if (!strncmp(vec[i], name, nl) && vec[i][nl] == '=') break;
    if (i >= PROC_ENV_MAX - 2) return -1;
    size_t vl = value ? strlen(value) : 0;
    char *s = malloc(nl + vl + 2);
    if (!s) return -1;
    memcpy(s, name, nl);
    s[nl] = '=';
    if (vl) memcpy(s + nl + 1, value, vl);
    s[nl + 1 + vl] = 0;
    free(vec[i]);
    vec[i] = s;
    return 0;
}

void proc_env_free(char **vec)
{
    for (size_t i = 0; vec && vec[i]; i++) free(vec[i]);
    free(vec);
}

int proc_run(char *const argv[], char *const envp[], char *out, size_t n)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC)) return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    size_t len = 0;
    if (!rc) {
        char chunk[4096];
        ssize_t r;
        /* read to the end even past n: a child blocked on a full pipe would never exit */
        while ((r = read(p[0], chunk, sizeof(chunk))) != 0) {
            if (r < 0) {
                if (errno == EINTR) continue;
                break;
            }
            size_t k = n && len < n - 1 ? n - 1 - len : 0;
            if (k > (size_t)r) k = (size_t)r;
            memcpy(out + len, chunk, k);
            len += k;
        }
    }
    close(p[0]);
    if (n) out[len] = 0;
    if (rc) return -1;
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
