/* A VFS shim: a commit's WAL frames leave in one write.
 *
 * SQLite writes each WAL frame as two writes, its 24-byte header and its page, and a frame
 * of 4,120 bytes straddles two pages of the OS cache. A PutItem's commit (about 15 frames:
 * the item, the audit record and its indexes) cost 30 system calls and was the largest part
 * of the single writer's critical section. The shim gathers a WAL handle's consecutive
 * writes in memory and writes them at once:
 *   - when SQLite syncs the WAL at commit. The store runs SQLite with synchronous=FULL, so
 *     every commit syncs its WAL after the last frame and before the wal-index publishes
 *     the frames to readers. A failed write fails that commit, as it would have without
 *     the shim;
 *   - before anything that reads or resizes the WAL, or a write that does not follow on.
 * Frames written but not yet published (a transaction's cache spill) may wait in memory:
 * no reader can know of them, and the writer's own reads flush first.
 *
 * Which syncs reach the disk is unchanged from SQLite's synchronous=NORMAL (or FULL with
 * --sync full): a commit's sync arrives as SQLITE_SYNC_NORMAL and stops at the OS cache
 * unless fsync_commits; checkpoints sync with SQLITE_SYNC_FULL (checkpoint_fullfsync=ON,
 * on Linux the same fdatasync) and always reach the disk. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "walbuf.h"

/* A PutItem's commit is about 62 KB. The unix VFS writes at most 128 KiB - 1 in one call
 * (it masks the length with 0x1ffff: a longer write comes out short and fails as a full
 * disk). */
#define CAP       0x1ffff
#define ROUND8(n) (((n) + 7) & ~(size_t)7)

typedef struct {
    sqlite3_file base;
    sqlite3_file *real; /* follows this struct in the same allocation */
    int wal;            /* a WAL handle: syncs are sorted */
    int gather;         /* its writes are gathered */
    int fsync_commits;
    unsigned char *buf;
    size_t len;
    sqlite3_int64 at; /* file offset of buf[0] */
} wfile;

static sqlite3_vfs vfs[2]; /* [fsync_commits] */
static sqlite3_io_methods methods;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_llong asked, written;

static int flush(wfile *w)
{
    if (!w->len) return SQLITE_OK;
    int rc = w->real->pMethods->xWrite(w->real, w->buf, (int)w->len, w->at);
    /* on failure the frames are dropped: their transaction fails and is rolled back, and
     * what it wrote is never published */
    w->len = 0;
    atomic_fetch_add_explicit(&written, 1, memory_order_relaxed);
    return rc;
}

static int f_close(sqlite3_file *f)
{
    wfile *w = (wfile *)f;
    int rc = flush(w);
    int rc2 = w->real->pMethods->xClose(w->real);
    free(w->buf);
    w->buf = NULL;
    return rc ? rc : rc2;
}

static int f_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
    wfile *w = (wfile *)f;
    int rc = flush(w);
    return rc ? rc : w->real->pMethods->xRead(w->real, p, n, off);
}

static int f_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
    wfile *w = (wfile *)f;
    if (w->wal) atomic_fetch_add_explicit(&asked, 1, memory_order_relaxed);
    if (!w->gather) {
        if (w->wal) atomic_fetch_add_explicit(&written, 1, memory_order_relaxed);
        return w->real->pMethods->xWrite(w->real, p, n, off);
    }
    if (w->len && off == w->at + (sqlite3_int64)w->len && w->len + (size_t)n <= CAP) {
        memcpy(w->buf + w->len, p, (size_t)n);
        w->len += (size_t)n;
        return SQLITE_OK;
    }
    /* anything else (a frame rewritten in place, a new WAL from its start) keeps the order
     * of writes: what is gathered goes first */
    int rc = flush(w);
    if (rc) return rc;
    if ((size_t)n > CAP) {
        atomic_fetch_add_explicit(&written, 1, memory_order_relaxed);
        return w->real->pMethods->xWrite(w->real, p, n, off);
    }
    if (!w->buf && !(w->buf = malloc(CAP))) return SQLITE_NOMEM;
    memcpy(w->buf, p, (size_t)n);
    w->len = (size_t)n;
    w->at = off;
    return SQLITE_OK;
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    wfile *w = (wfile *)f;
    int rc = flush(w);
    return rc ? rc : w->real->pMethods->xTruncate(w->real, size);
}

static int f_sync(sqlite3_file *f, int flags)
{
    wfile *w = (wfile *)f;
    int rc = flush(w);
    if (rc) return rc;
    if (w->wal && !w->fsync_commits && (flags & 0x0f) == SQLITE_SYNC_NORMAL)
        return SQLITE_OK; /* a commit: written, as synchronous=NORMAL leaves it */
    return w->real->pMethods->xSync(w->real, flags);
}

static int f_size(sqlite3_file *f, sqlite3_int64 *size)
{
    wfile *w = (wfile *)f;
    int rc = flush(w);
    return rc ? rc : w->real->pMethods->xFileSize(w->real, size);
}

static int f_lock(sqlite3_file *f, int lock)
{
    wfile *w = (wfile *)f;
    return w->real->pMethods->xLock(w->real, lock);
}

static int f_unlock(sqlite3_file *f, int lock)
{
    wfile *w = (wfile *)f;
    return w->real->pMethods->xUnlock(w->real, lock);
}

static int f_reserved(sqlite3_file *f, int *out)
{
    wfile *w = (wfile *)f;
    return w->real->pMethods->xCheckReservedLock(w->real, out);
}

static int f_control(sqlite3_file *f, int op, void *arg)
{
    wfile *w = (wfile *)f;
    int rc = flush(w); /* a control may read or size the file */
    if (rc) return rc;
    return w->real->pMethods->xFileControl(w->real, op, arg);
}

static int f_sector(sqlite3_file *f)
{
    wfile *w = (wfile *)f;
    return w->real->pMethods->xSectorSize(w->real);
}

static int f_chars(sqlite3_file *f)
{
    wfile *w = (wfile *)f;
    return w->real->pMethods->xDeviceCharacteristics(w->real);
}

static int f_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **out)
{
    wfile *w = (wfile *)f;
    return w->real->pMethods->xShmMap(w->real, pg, sz, extend, out);
}

static int f_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    wfile *w = (wfile *)f;
    return w->real->pMethods->xShmLock(w->real, off, n, flags);
}

static void f_shm_barrier(sqlite3_file *f)
{
    wfile *w = (wfile *)f;
    w->real->pMethods->xShmBarrier(w->real);
}

static int f_shm_unmap(sqlite3_file *f, int del)
{
    wfile *w = (wfile *)f;
    return w->real->pMethods->xShmUnmap(w->real, del);
}

static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **out)
{
    wfile *w = (wfile *)f;
    int rc = flush(w);
    return rc ? rc : w->real->pMethods->xFetch(w->real, off, n, out);
}

static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    wfile *w = (wfile *)f;
    return w->real->pMethods->xUnfetch(w->real, off, p);
}

static int v_open(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *f, int flags, int *out)
{
    sqlite3_vfs *real = v->pAppData;
    wfile *w = (wfile *)f;
    memset(w, 0, sizeof(*w));
    w->real = (sqlite3_file *)((char *)f + ROUND8(sizeof(wfile)));
    int rc = real->xOpen(real, name, w->real, flags, out);
    if (!w->real->pMethods) return rc; /* not opened: SQLite will not close it */
    f->pMethods = &methods;
    /* methods are at version 3: a wrapped file of an older version would be asked for
     * calls it lacks */
    if (w->real->pMethods->iVersion < 3) {
        w->real->pMethods->xClose(w->real);
        f->pMethods = NULL;
        return SQLITE_CANTOPEN;
    }
    w->wal = (flags & SQLITE_OPEN_WAL) != 0;
    w->fsync_commits = v == &vfs[1];
    /* Without powersafe overwrite SQLite pads a commit to a sector and may sync inside the
     * frames it writes: gathering would then publish unwritten frames. Unix has it. */
    w->gather =
        w->wal && rc == SQLITE_OK &&
        (w->real->pMethods->xDeviceCharacteristics(w->real) & SQLITE_IOCAP_POWERSAFE_OVERWRITE);
    return rc;
}

/* the rest of the VFS is the wrapped one's */
static int v_delete(sqlite3_vfs *v, const char *name, int dirsync)
{
    sqlite3_vfs *r = v->pAppData;
    return r->xDelete(r, name, dirsync);
}

static int v_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
    sqlite3_vfs *r = v->pAppData;
    return r->xAccess(r, name, flags, out);
}

static int v_fullname(sqlite3_vfs *v, const char *name, int n, char *out)
{
    sqlite3_vfs *r = v->pAppData;
    return r->xFullPathname(r, name, n, out);
}

static void *v_dlopen(sqlite3_vfs *v, const char *name)
{
    sqlite3_vfs *r = v->pAppData;
    return r->xDlOpen(r, name);
}

static void v_dlerror(sqlite3_vfs *v, int n, char *out)
{
    sqlite3_vfs *r = v->pAppData;
    r->xDlError(r, n, out);
}

static void (*v_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
    sqlite3_vfs *r = v->pAppData;
    return r->xDlSym(r, h, sym);
}

static void v_dlclose(sqlite3_vfs *v, void *h)
{
    sqlite3_vfs *r = v->pAppData;
    r->xDlClose(r, h);
}

static int v_random(sqlite3_vfs *v, int n, char *out)
{
    sqlite3_vfs *r = v->pAppData;
    return r->xRandomness(r, n, out);
}

static int v_sleep(sqlite3_vfs *v, int us)
{
    sqlite3_vfs *r = v->pAppData;
    return r->xSleep(r, us);
}

static int v_time(sqlite3_vfs *v, double *out)
{
    sqlite3_vfs *r = v->pAppData;
    return r->xCurrentTime(r, out);
}

static int v_lasterr(sqlite3_vfs *v, int n, char *out)
{
    sqlite3_vfs *r = v->pAppData;
    return r->xGetLastError ? r->xGetLastError(r, n, out) : 0;
}

static int v_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
    sqlite3_vfs *r = v->pAppData;
    if (r->iVersion >= 2 && r->xCurrentTimeInt64) return r->xCurrentTimeInt64(r, out);
    double d;
    int rc = r->xCurrentTime(r, &d);
    *out = (sqlite3_int64)(d * 86400000.0);
    return rc;
}

static void setup(void)
{
    sqlite3_vfs *real = sqlite3_vfs_find(NULL);
    if (!real) return;
    methods = (sqlite3_io_methods){
        .iVersion = 3,
        .xClose = f_close,
        .xRead = f_read,
        .xWrite = f_write,
        .xTruncate = f_truncate,
        .xSync = f_sync,
        .xFileSize = f_size,
        .xLock = f_lock,
        .xUnlock = f_unlock,
        .xCheckReservedLock = f_reserved,
        .xFileControl = f_control,
        .xSectorSize = f_sector,
        .xDeviceCharacteristics = f_chars,
        .xShmMap = f_shm_map,
        .xShmLock = f_shm_lock,
        .xShmBarrier = f_shm_barrier,
        .xShmUnmap = f_shm_unmap,
        .xFetch = f_fetch,
        .xUnfetch = f_unfetch,
    };
    for (int i = 0; i < 2; i++) {
        vfs[i] = (sqlite3_vfs){
            .iVersion = 2,
            .szOsFile = (int)(ROUND8(sizeof(wfile)) + (size_t)real->szOsFile),
            .mxPathname = real->mxPathname,
            .zName = i ? "ferry-walbuf-fsync" : "ferry-walbuf",
            .pAppData = real,
            .xOpen = v_open,
            .xDelete = v_delete,
            .xAccess = v_access,
            .xFullPathname = v_fullname,
            .xDlOpen = v_dlopen,
            .xDlError = v_dlerror,
            .xDlSym = v_dlsym,
            .xDlClose = v_dlclose,
            .xRandomness = v_random,
            .xSleep = v_sleep,
            .xCurrentTime = v_time,
            .xGetLastError = v_lasterr,
            .xCurrentTimeInt64 = v_time64,
        };
        if (sqlite3_vfs_register(&vfs[i], 0) != SQLITE_OK) vfs[i].zName = NULL;
    }
}

const char *walbuf_vfs(int fsync_commits)
{
    pthread_once(&once, setup);
    return vfs[fsync_commits ? 1 : 0].zName;
}

void walbuf_counts(long long *a, long long *w)
{
    *a = atomic_load(&asked);
    *w = atomic_load(&written);
}
