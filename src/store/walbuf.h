/* A SQLite VFS shim for the store's database: a commit's WAL frames reach the file in one
 * write instead of two per page (see walbuf.c). */
#ifndef FERRY_WALBUF_H
#define FERRY_WALBUF_H

/* The name of the shim's VFS for sqlite3_open_v2, registered on first use; NULL when SQLite
 * has no default VFS to wrap (the caller opens with the default). fsync_commits: the
 * commit's sync reaches the disk (--sync full); otherwise it only writes the gathered frames
 * (kill -9 safe). Connections opened with it must set PRAGMA synchronous=FULL and
 * checkpoint_fullfsync=ON: that is how the shim tells a commit's sync from a checkpoint's. */
const char *walbuf_vfs(int fsync_commits);

/* Counters for tests: WAL writes SQLite asked for, and writes that reached the file. */
void walbuf_counts(long long *asked, long long *written);

#endif
