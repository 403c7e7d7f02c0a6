/* Process trees ferry starts and must be able to end, whatever happens to it: Lambda's
 * execution environments (engine/functions.c) and CodeBuild's builds (engine/builds.c).
 *
 * Each tree runs under a guard: a fork of ferry that leads a process group (and session) of
 * its own, is the subreaper of what its child starts, and watches a lifeline pipe whose
 * other end only ferry holds. Closing that end (or ferry dying, kill -9 included) makes the
 * guard kill every process of the tree, those that left its group too, then itself. A
 * ferry killed with -9 also leaves its work directory behind: the next one sweeps it and
 * kills what carried its marker. */
#ifndef FERRY_ENGINE_PROC_H
#define FERRY_ENGINE_PROC_H
#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"

/* The work root of this process for one engine: $TMPDIR/ferry-<name>-<UID>/<PID>, made
 * empty. What dead ferry processes left under $TMPDIR/ferry-<name>-<UID> is removed first,
 * every process whose environment holds "<marker>=<their root>/..." killed. */
int proc_root_init(const char *name, const char *marker, char *root, size_t n, ferr *e);
/* Removes path and everything under it (symlinks not followed). */
void proc_rmtree(const char *path);

/* In a child just forked (async-signal-safe only): becomes the guard, with out_fd as the
 * tree's stdout and stderr (stdin /dev/null) and life_fd its lifeline, forks the child,
 * which runs child(arg) (the guard's descriptors closed, PDEATHSIG set; it must exec or
 * _exit), and ends as the child ends (its exit status or signal). Never returns. */
void proc_guard_exec(int out_fd, int life_fd, void (*child)(const void *arg), const void *arg)
    __attribute__((noreturn));

/* Calls fn(pid, state, f, arg) for every process of the machine, f its /proc/PID/stat
 * fields after the ")" closing its command (f[1] ppid, f[2] pgrp, f[21] rss pages). */
void proc_each(void (*fn)(pid_t pid, char state, const long *f, void *arg), void *arg);

/* Runs argv (argv[0] looked up in ferry's own PATH) with envp, stdin
 * /dev/null, and waits for it: its exit status (0 when it succeeded), or -1 when it could not
 * be started or was killed by a signal. What it printed (stdout and stderr together) lands
 * in out, NUL-terminated, its first n - 1 bytes kept. For short helpers a build runs before
 * its own commands (git cloning its source, cp restoring its cache). */
int proc_run(char *const argv[], char *const envp[], char *out, size_t n);

/* Sets NAME=VALUE in vec, a NULL-terminated vector of at most PROC_ENV_MAX entries (an
 * earlier NAME replaced; entries malloc'd). 0, or -1 out of memory or room. */
#define PROC_ENV_MAX 256
int proc_env_set(char **vec, const char *name, const char *value);
/* Frees vec's entries and vec. NULL is a no-op. */
void proc_env_free(char **vec);

#endif
