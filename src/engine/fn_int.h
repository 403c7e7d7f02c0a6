/* What the functions engine's modules share (engine/functions.c, fn_env.c, fn_rapi.c,
 * fn_logs.c); nobody else includes it (tests aside). One mutex (fn_mu) guards every
 * environment and invocation; the supervisor thread (functions.c) forks, reads the
 * processes' output, reaps them and enforces deadlines and memory; the Runtime API
 * (fn_rapi.c) runs on each environment's own libmicrohttpd daemon. */
#ifndef FERRY_FN_INT_H
#define FERRY_FN_INT_H
#include <pthread.h>
#include <sys/types.h>

#include "base/buf.h"
#include "engine/fn_logs.h"
#include "engine/functions.h"
#include "svc/session.h"

/* AWS's synchronous payload limit, for requests and responses (6 MB). */
#define FN_MAX_PAYLOAD 6291556

enum { INV_WAITING, INV_RUNNING, INV_REPLIED, INV_DONE };

typedef struct fnenv fnenv;

typedef struct fn_inv {
    char id[40], request_id[40];
    fnenv *env;
    char *payload;
    size_t len;
    double started, deadline; /* epoch seconds */
    double handed;            /* when the runtime took it (/next) */
    int state;
    /* set by the Runtime API, finished by the supervisor once the output is drained */
    char *reply;
    size_t reply_len;
    const char *function_error;
    fn_result res;
    int forgotten, waiters;
    buf log; /* the invocation's log lines (its last 4 KB becomes res.log_tail) */
    struct fn_inv *next;
} fn_inv;

enum { ENV_PREPARING, ENV_READY, ENV_RUNNING, ENV_DYING };

struct fnenv {
    int slot;      /* uid offset when ferry runs as root; unique among live envs */
    char dir[512]; /* the environment's root (task/, opt/, rt/, tmp/) */
    char *account, *region, *name, *arn, *version, *revision, *runtime, *handler, *log_group;
    char *role_arn, *code_dir;
    char **layers;
    size_t n_layers;
    json_t *variables;
    char stream[96]; /* log stream: YYYY/MM/DD/[VERSION]<32 hex> */
    int timeout_s, memory_mb;
    session sess; /* the execution role's session (credentials, principal for logs) */
    char **argv, **envp;
    struct MHD_Daemon *mhd;
    int port;
    pid_t pid;          /* the process (and its group); 0 before fork and once reaped */
    int out_fd;         /* its stdout and stderr */
    int life_fd;        /* the guard's lifeline: closing it (or dying) kills the group */
    char partial[8192]; /* a line being read (longer ones are cut into events) */
    size_t partial_len;
    int state, busy, retire, oom, init_reported, started_once, prepared, frozen;
    int reserved; /* its function has reserved concurrency (not in the account's pool) */
    double spawned, idle_since, init_ms;
    long max_rss_kb;
    fn_inv *cur;       /* the invocation it serves, NULL while idle */
    pthread_cond_t cv; /* /next waits on it */
    struct fnenv *next;
};

extern pthread_mutex_t fn_mu;

/* fn_env.c: the environment's files and process image. */
/* Makes env->dir with the code, layers and runtime files, readable by the uid the
 * function runs as; fills argv/envp. */
int fn_env_prepare(fnenv *v, const char *root, const char *endpoint, ferr *e);
/* The uid v's function runs as when ferry runs as root. */
uid_t fn_env_uid(const fnenv *v);
/* Called in the forked child (async-signal-safe only): becomes the environment's guard
 * (see there), which starts the function. Never returns. */
void fn_child_exec(const fnenv *v, int out_fd, int life_fd);
/* Resident memory (KB) of the processes in group pgid, from a scan of /proc made when
 * rescan is set (one scan serves every group of a pass). */
long fn_group_rss_kb(pid_t pgid, int rescan);
/* Freezes group pgid's processes but its guard (SIGSTOP; SIGCONT to the group thaws). */
void fn_group_freeze(pid_t pgid);

/* functions.c: appends a line to inv's log (its last 4 KB kept) and queues it for
 * CloudWatch Logs. Under fn_mu. */
void fn_log_line(fnenv *v, fn_inv *inv, const char *s, size_t n);

/* functions.c: reads what v's processes wrote (EOF closes the descriptor); lines become
 * log events of the invocation it serves (a cold one's include the init's). Under fn_mu. */
void fn_drain(fnenv *v);

/* fn_rapi.c */
int fn_rapi_start(fnenv *v, ferr *e);
void fn_rapi_stop(fnenv *v);
/* Wakes the supervisor (the Runtime API has news). */
void fn_wake(void);
/* The runtime answered inv (a Runtime API thread, under fn_mu): the output it wrote first
 * is in the pipe, so the invocation ends now, not at the supervisor's next pass (a wake and
 * a pass over every environment fewer per invocation). key gets the wait key to give
 * fn_notify once fn_mu is released. */
void fn_replied(fnenv *v, fn_inv *inv, char key[48]);
void fn_notify(const char *key);

#endif
