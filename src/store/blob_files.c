/* The default blob backend, under <data>/blobs. Blobs of up to SEG_DATA_MAX bytes (nearly
 * every S3 object a pipeline or a test writes) go into segment files (blob_segs.c, in
 * seg/), with no file of their own. Larger ones are one file per blob, fanned out by the
 * id's first hex pair (ab/abcd...: 256 directories, about 40,000 files each at ten million
 * blobs, which ext4's and XFS's hashed directories take in their stride); their
 * temporaries are unnamed files opened in tmp/ (f_create), or named ones there. A writer
 * holds the bytes in memory until they outgrow a slot. Stores written before kept ab/cd/abcd...
 * (65,536 leaf directories): those blobs are read, deleted and swept where they are. One
 * level because in the stores ferry mostly serves (thousands of objects, not millions)
 * nearly every PUT made a leaf directory of its own, and the mkdir was 7% of the PUT's
 * CPU. The directories are 0700 and the files 0600 whatever the umask: object bytes are
 * as private as ferry.db. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/enc.h"
#include "blob.h"
#include "blob_segs.h"

#define ROOT_MAX (PATH_MAX - 2 * BLOB_ID_LEN)

typedef struct files {
    char root[ROOT_MAX];
    /* the directories this process made or checked (own_dir), by the id's first byte: a
     * commit into one goes straight to its rename; nothing here removes them, and one
     * removed behind our back is made again when the rename misses it */
    _Atomic unsigned char dir_ok[256];
    _Atomic int no_tmpfile;   /* the file system refused O_TMPFILE: named temporaries */
    _Atomic int link_by_proc; /* linkat(AT_EMPTY_PATH) is refused to this process */
    segs *segs;               /* small blobs; NULL: every blob a file */
} files;

typedef struct fwriter {
    files *f;
    int fd;      /* -1 while the bytes are in buf */
    int unnamed; /* an O_TMPFILE: nothing to unlink, linked under its name at the commit */
    char id[BLOB_ID_LEN + 1];
    seg *seg; /* the segment of id's slot; NULL: a file from the start */
    buf held; /* the bytes, while fd is -1 */
} fwriter;

/* A reader: of a file, or of a slot's bytes read whole */
typedef struct freader {
    int fd;
    unsigned char *mem; /* the slot's header and bytes; NULL: fd */
    uint64_t size;
} freader;

static int sys_err(ferr *e, const char *what, const char *path)
{
    return ferr_internal(e, "blob store: %s %s: %s", what, path, strerror(errno));
}

static void tmp_path(const files *f, const char *id, char *out)
{
    snprintf(out, PATH_MAX, "%s/tmp/%s", f->root, id);
}

static void final_path(const files *f, const char *id, char *out)
{
    snprintf(out, PATH_MAX, "%s/%.2s/%s", f->root, id, id);
}

/* where a store written before this layout keeps id */
static void legacy_path(const files *f, const char *id, char *out)
{
    snprintf(out, PATH_MAX, "%s/%.2s/%.2s/%s", f->root, id, id + 2, id);
}

static int fsync_dir(const char *path, ferr *e)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return sys_err(e, "open", path);
    int rc = fsync(fd);
    close(fd);
    return rc < 0 ? sys_err(e, "fsync", path) : 0;
}

/* A directory of ours, 0700: made (and, when durable, its parent synced so the entry
 * survives power loss) when missing; one we own with wider modes is narrowed, someone
 * else's refused. */
static int own_dir(const char *path, int durable, ferr *e)
{
    if (mkdir(path, 0700) == 0) {
        if (chmod(path, 0700) < 0) /* mkdir's mode went through the umask */
            return sys_err(e, "chmod", path);
        if (!durable) return 0;
        char parent[PATH_MAX];
        snprintf(parent, sizeof(parent), "%s", path);
        char *slash = strrchr(parent, '/');
        if (slash) *(slash == parent ? slash + 1 : slash) = '\0';
        return fsync_dir(slash ? parent : ".", e);
    }
    if (errno != EEXIST) return sys_err(e, "mkdir", path);
    struct stat sb;
    if (lstat(path, &sb) < 0) return sys_err(e, "stat", path);
    if (!S_ISDIR(sb.st_mode) || sb.st_uid != geteuid())
        return ferr_internal(e, "blob store: %s is not a directory of this user", path);
    if ((sb.st_mode & 07777) != 0700 && chmod(path, 0700) < 0) return sys_err(e, "chmod", path);
    return 0;
}

static void *f_open(const char *location, ferr *e)
{
    if (strlen(location) >= ROOT_MAX) {
        ferr_internal(e, "blob store: path too long: %s", location);
        return NULL;
    }
    files *f = calloc(1, sizeof(*f));
    if (!f) {
        ferr_oom(e);
        return NULL;
    }
    snprintf(f->root, sizeof(f->root), "%s", location);
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s/tmp", f->root);
    if (own_dir(f->root, 1, e) < 0 || own_dir(tmp, 1, e) < 0) {
        free(f);
        return NULL;
    }
    /* test seam: the named temporaries of a file system without O_TMPFILE */
    const char *named = getenv("FERRY_BLOB_NAMED_TEMPORARIES");
    if (named && *named == '1') atomic_store(&f->no_tmpfile, 1);
    /* test seam: every blob in a file of its own */
    const char *slots = getenv("FERRY_BLOB_SLOTS");
    if (!slots || *slots != '0') {
        snprintf(tmp, sizeof(tmp), "%s/seg", f->root);
        if (own_dir(tmp, 1, e) < 0 || !(f->segs = segs_open(tmp, e))) {
            free(f);
            return NULL;
        }
    }
    return f;
}

static void f_close(void *impl)
{
    files *f = impl;
    if (f) segs_close(f->segs);
    free(impl);
}

/* A temporary is an unnamed file (O_TMPFILE) where the file system has them: a crash
 * leaves nothing of it, and no directory entry is made for it and then renamed away. With
 * many PUTs at once, the create in tmp/ and the rename that locks two directories were a
 * fifth of the CPU, much of it spinning on tmp/'s lock. Elsewhere, a named file in tmp/.
 * w->fd set, or -1 with e set. */
static int temp_open(files *f, fwriter *w, ferr *e)
{
    char path[PATH_MAX];
    if (!atomic_load(&f->no_tmpfile)) {
        snprintf(path, sizeof(path), "%s/tmp", f->root);
        w->fd = open(path, O_WRONLY | O_TMPFILE | O_CLOEXEC, 0600);
        if (w->fd >= 0 && fchmod(w->fd, 0600) == 0) {
            w->unnamed = 1;
            return 0;
        }
        if (w->fd >= 0) {
            sys_err(e, "chmod", path);
            close(w->fd);
            w->fd = -1;
            return -1;
        }
        if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
            return sys_err(e, "create in", path);
        atomic_store(&f->no_tmpfile, 1);
    }
    tmp_path(f, w->id, path);
    w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (w->fd < 0 || fchmod(w->fd, 0600) < 0) {
        sys_err(e, "create", path);
        if (w->fd >= 0) {
            close(w->fd);
            unlink(path);
        }
        w->fd = -1;
        return -1;
    }
    return 0;
}

static void writer_free(fwriter *w)
{
    segs_release(w->seg);
    buf_dispose(&w->held);
    free(w);
}

/* A writer of a slot's blob (id rewritten to name the slot) while the file system can punch
 * holes, else of a file. */
static void *f_create(void *impl, char *id, ferr *e)
{
    files *f = impl;
    fwriter *w = calloc(1, sizeof(*w));
    if (!w) {
        ferr_oom(e);
        return NULL;
    }
    w->f = f;
    w->fd = -1;
    buf_init(&w->held, SEG_DATA_MAX);
    int rc = f->segs ? segs_reserve(f->segs, id, &w->seg, e) : 0;
    memcpy(w->id, id, sizeof(w->id));
    if (rc < 0 || (rc == 0 && temp_open(f, w, e) < 0)) {
        writer_free(w);
        return NULL;
    }
    return w;
}

static int write_all(fwriter *w, const void *p, size_t n, ferr *e)
{
    const char *b = p;
    while (n) {
        ssize_t k = write(w->fd, b, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0)
            return ferr_internal(e, "blob store: write %s: %s", w->id,
                                 k < 0 ? strerror(errno) : "no progress");
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

/* the bytes held in memory go to a file: they outgrew a slot, or the slot is too old */
static int spill(fwriter *w, ferr *e)
{
    if (temp_open(w->f, w, e) < 0 || write_all(w, w->held.p, w->held.len, e) < 0) return -1;
    buf_dispose(&w->held);
    return 0;
}

static int f_write(void *wp, const void *p, size_t n, ferr *e)
{
    fwriter *w = wp;
    if (w->fd < 0 && w->held.len + n <= SEG_DATA_MAX)
        return buf_put(&w->held, p, n) < 0 ? ferr_oom(e) : 0;
    if (w->fd < 0 && spill(w, e) < 0) return -1;
    return write_all(w, p, n, e);
}

static void f_abort(void *impl, void *wp)
{
    fwriter *w = wp;
    if (!w) return;
    if (w->fd >= 0) {
        char path[PATH_MAX];
        tmp_path(impl, w->id, path);
        close(w->fd);
        if (!w->unnamed) unlink(path);
    }
    writer_free(w);
}

/* The temporary under its final name dst: renamed, or an unnamed one linked, by its
 * descriptor or, for a process that may not (linkat's AT_EMPTY_PATH wants
 * CAP_DAC_READ_SEARCH), through /proc. 0, or -1 with errno (ENOENT: dst's directory is
 * gone). */
static int name_it(files *f, const fwriter *w, const char *dst)
{
    if (!w->unnamed) {
        char tmp[PATH_MAX];
        tmp_path(f, w->id, tmp);
        return rename(tmp, dst);
    }
    if (!atomic_load(&f->link_by_proc)) {
        if (linkat(w->fd, "", AT_FDCWD, dst, AT_EMPTY_PATH) == 0) return 0;
        if (errno != ENOENT && errno != EPERM) return -1;
    }
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w->fd);
    if (linkat(AT_FDCWD, proc, AT_FDCWD, dst, AT_SYMLINK_FOLLOW) < 0) return -1;
    atomic_store(&f->link_by_proc, 1);
    return 0;
}

/* id's directory, made when this process has not seen it yet (again when forget) */
static int blob_dir(files *f, const char *id, int durable, int forget, ferr *e)
{
    char hex[3] = {id[0], id[1], '\0'};
    unsigned char i = 0;
    enc_unhex(hex, &i, 1); /* ids reaching here are hex: blob.c checks */
    if (forget) atomic_store(&f->dir_ok[i], 0);
    if (atomic_load(&f->dir_ok[i])) return 0;
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/%.2s", f->root, id);
    if (own_dir(dir, durable, e) < 0) return -1;
    atomic_store(&f->dir_ok[i], 1);
    return 0;
}

/* The bytes, then the name: a crash leaves either the temporary or the whole blob. Durable
 * (--sync full) syncs both, so they survive power loss; otherwise the page cache holds
 * them, which survives kill -9 as the store's commits under --sync normal do. The mtime is
 * set to now so the sweep's grace counts from here, not the last write. */
static int f_commit(void *impl, void *wp, int durable, ferr *e)
{
    files *f = impl;
    fwriter *w = wp;
    if (w->fd < 0) { /* the bytes in memory: into the slot, or a file when it is too old */
        if (segs_writable(w->seg)) {
            int rc = segs_put(w->seg, w->id, w->held.p, w->held.len, durable, e);
            writer_free(w);
            return rc;
        }
        if (spill(w, e) < 0) {
            f_abort(impl, w);
            return -1;
        }
    }
    char tmp[PATH_MAX], dst[PATH_MAX], dir[PATH_MAX];
    tmp_path(f, w->id, tmp);
    final_path(f, w->id, dst);
    if (futimens(w->fd, NULL) < 0 || (durable && fsync(w->fd) < 0)) {
        sys_err(e, "fsync", tmp);
        f_abort(impl, w);
        return -1;
    }
    int rc = blob_dir(f, w->id, durable, 0, e);
    if (rc == 0 && name_it(f, w, dst) < 0) {
        rc = errno == ENOENT ? blob_dir(f, w->id, durable, 1, e) : 0; /* it went away */
        if (rc == 0 && name_it(f, w, dst) < 0) rc = sys_err(e, "name", dst);
    }
    if (rc < 0) {
        f_abort(impl, w);
        return -1;
    }
    snprintf(dir, sizeof(dir), "%s/%.2s", f->root, w->id);
    close(w->fd);
    writer_free(w);
    return durable ? fsync_dir(dir, e) : 0;
}

static int f_open_read(void *impl, const char *id, void **r, uint64_t *size, ferr *e)
{
    files *f = impl;
    freader *h = calloc(1, sizeof(*h));
    if (!h) return ferr_oom(e);
    h->fd = -1;
    int rc = f->segs ? segs_get(f->segs, id, &h->mem, &h->size, e) : 0;
    if (rc < 0) free(h);
    if (rc < 0) return -1;
    if (rc > 0) { /* a slot's, read whole */
        *r = h;
        *size = h->size;
        return 1;
    }
    char path[PATH_MAX];
    final_path(impl, id, path);
    h->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (h->fd < 0 && errno == ENOENT) {
        legacy_path(impl, id, path);
        h->fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    struct stat sb;
    if (h->fd < 0 || fstat(h->fd, &sb) < 0) {
        rc = h->fd < 0 && errno == ENOENT ? 0 : sys_err(e, h->fd < 0 ? "open" : "stat", path);
        if (h->fd >= 0) close(h->fd);
        free(h);
        return rc;
    }
    *r = h;
    *size = h->size = (uint64_t)sb.st_size;
    return 1;
}

static int f_pread(void *r, void *p, size_t n, uint64_t off, size_t *got, ferr *e)
{
    freader *h = r;
    if (h->mem) {
        *got = off >= h->size ? 0 : n < h->size - off ? n : (size_t)(h->size - off);
        memcpy(p, h->mem + SEG_HDR + off, *got);
        return 0;
    }
    for (;;) {
        ssize_t k = pread(h->fd, p, n, (off_t)off);
        if (k >= 0) {
            *got = (size_t)k;
            return 0;
        }
        if (errno != EINTR) return ferr_internal(e, "blob store: read: %s", strerror(errno));
    }
}

static void f_close_read(void *r)
{
    freader *h = r;
    if (!h) return;
    if (h->fd >= 0) close(h->fd);
    free(h->mem);
    free(h);
}

static int f_remove(void *impl, const char *id, int temporary, ferr *e)
{
    files *f = impl;
    int rc = !temporary && f->segs ? segs_remove(f->segs, id, e) : 0;
    if (rc != 0) return rc;
    char path[PATH_MAX];
    (temporary ? tmp_path : final_path)(impl, id, path);
    if (unlink(path) == 0) return 1;
    if (errno == ENOENT && !temporary) {
        legacy_path(impl, id, path);
        if (unlink(path) == 0) return 1;
    }
    return errno == ENOENT ? 0 : sys_err(e, "unlink", path);
}

static int hex2(const char *s)
{
    return strlen(s) == 2 && strspn(s, "0123456789abcdef") == 2;
}

typedef struct scan_ctx {
    blob_scan_cb cb;
    void *ud;
} scan_ctx;

/* Calls cb for each regular file in dir (not in the root: depth 0) and descends into its
 * two-hex-digit subdirectories: ab/ (depth 1) and a store's from before, ab/cd/ (depth 2).
 * A missing dir has none. */
static int scan_dir(const char *dir, int depth, int temporary, const scan_ctx *c, ferr *e)
{
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT ? 0 : sys_err(e, "opendir", dir);
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (errno = 0, de = readdir(d))) {
        struct stat sb;
        if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
            continue; /* gone since readdir: a concurrent delete */
        if (!temporary && depth < 2 && S_ISDIR(sb.st_mode) && hex2(de->d_name)) {
            char path[PATH_MAX];
            snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
            rc = scan_dir(path, depth + 1, 0, c, e);
        } else if ((temporary || depth > 0) && S_ISREG(sb.st_mode)) {
            double mtime = (double)sb.st_mtim.tv_sec + (double)sb.st_mtim.tv_nsec / 1e9;
            rc = c->cb(c->ud, de->d_name, temporary, mtime, e);
        }
    }
    if (rc == 0 && errno) rc = sys_err(e, "readdir", dir);
    closedir(d);
    return rc;
}

static int f_scan(void *impl, blob_scan_cb cb, void *ud, ferr *e)
{
    files *f = impl;
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s/tmp", f->root);
    scan_ctx c = {cb, ud};
    int rc = scan_dir(tmp, 0, 1, &c, e);
    if (rc == 0) rc = scan_dir(f->root, 0, 0, &c, e);
    if (rc == 0 && f->segs) rc = segs_scan(f->segs, cb, ud, e);
    return rc < 0 ? -1 : 0;
}

const blob_backend blob_files_backend = {
    .name = "files",
    .open = f_open,
    .close = f_close,
    .create = f_create,
    .write = f_write,
    .commit = f_commit,
    .abort = f_abort,
    .open_read = f_open_read,
    .pread = f_pread,
    .close_read = f_close_read,
    .remove = f_remove,
    .scan = f_scan,
};
