/* Small blobs in segment files (blob_segs.h). A 4 KiB PUT used to make a file of its own:
 * creating its inode, and unlinking the one it replaced, took a quarter of the PUT's CPU,
 * and more on ext4 without a journal, which steps over every inode freed in the last
 * minutes each time it looks for a free one (after a test suite's cleanup, S3 PUT fell to
 * half its rate). A slot costs one write at the commit and one hole punch at the delete.
 *
 * Reads and deletes may race: a GET that began before an overwrite must still answer the
 * old bytes, as an unlinked file would. So a read takes the whole blob at once, then reads
 * the header again: a punch drops the slot's pages in order, header first, and a read
 * waits while it runs, so a header still intact after the bytes were read means the bytes
 * were read before the punch began. */
#include "blob_segs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"

#define TOKEN_LEN  16
#define MAGIC      "ferryslt"
/* the header and most small objects' bytes in one read: a 4 KiB GET reads twice */
#define FIRST_READ 8192
#define SLOTS_MAX  (1u << 20) /* 64 GiB of (sparse) file */
#define ROTATE     1800.0     /* seconds: a segment takes reservations this long */
#define WRITE_MAX  3000.0     /* and its slots are written this long after it was made */
#define EMPTY_KEEP 7200.0     /* the sweep removes a segment empty and unchanged this long */
#define CACHE_MAX  256

struct seg {
    char token[TOKEN_LEN + 1];
    int fd;            /* -1: no such segment (a cached miss) */
    _Atomic int refs;  /* the cache's, cur's and each user's */
    double born;       /* clock_mono_ns seconds: this process's own segments */
    uint32_t next;     /* the next slot to reserve (own segments, under segs.mu) */
    _Atomic int named; /* its directory entry is synced (--sync full) */
    const segs *ss;
};

struct segs {
    char dir[PATH_MAX - 2 * TOKEN_LEN];
    pthread_mutex_t mu; /* reservations; taken before lock, never under it */
    seg *cur;
    int off; /* the file system punches no holes: every blob is a file */
    pthread_rwlock_t lock;
    seg *cache[CACHE_MAX];
    int n;
};

static int sys_err(ferr *e, const char *what, const char *name)
{
    return ferr_internal(e, "blob store: %s segment %s: %s", what, name, strerror(errno));
}

static double mono(void)
{
    return (double)clock_mono_ns() / 1e9;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void segs_release(seg *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1) return;
    if (s->fd >= 0) close(s->fd);
    free(s);
}

segs *segs_open(const char *dir, ferr *e)
{
    segs *ss = calloc(1, sizeof(*ss));
    if (!ss || strlen(dir) >= sizeof(ss->dir)) {
        free(ss);
        ss ? ferr_internal(e, "blob store: path too long: %s", dir) : ferr_oom(e);
        return NULL;
    }
    snprintf(ss->dir, sizeof(ss->dir), "%s", dir);
    pthread_mutex_init(&ss->mu, NULL);
    pthread_rwlock_init(&ss->lock, NULL);
    return ss;
}

void segs_close(segs *ss)
{
    if (!ss) return;
    segs_release(ss->cur);
    for (int i = 0; i < ss->n; i++) segs_release(ss->cache[i]);
    pthread_rwlock_destroy(&ss->lock);
    pthread_mutex_destroy(&ss->mu);
    free(ss);
}

/* s into the cache (taking a reference for it), unless token is there already: the one
 * cached, with a reference for the caller. When full, the cache starts again: users keep
 * theirs. */
static seg *cache_add(segs *ss, seg *s)
{
    pthread_rwlock_wrlock(&ss->lock);
    for (int i = 0; i < ss->n; i++) {
        if (!memcmp(ss->cache[i]->token, s->token, TOKEN_LEN)) {
            seg *have = ss->cache[i];
            atomic_fetch_add(&have->refs, 1);
            pthread_rwlock_unlock(&ss->lock);
            segs_release(s);
            return have;
        }
    }
    if (ss->n == CACHE_MAX) {
        for (int i = 0; i < ss->n; i++) segs_release(ss->cache[i]);
        ss->n = 0;
    }
    atomic_fetch_add(&s->refs, 1);
    ss->cache[ss->n++] = s;
    pthread_rwlock_unlock(&ss->lock);
    return s;
}

static void cache_drop(segs *ss, const char *token)
{
    pthread_rwlock_wrlock(&ss->lock);
    for (int i = 0; i < ss->n; i++) {
        if (!memcmp(ss->cache[i]->token, token, TOKEN_LEN)) {
            segs_release(ss->cache[i]);
            ss->cache[i] = ss->cache[--ss->n];
            break;
        }
    }
    pthread_rwlock_unlock(&ss->lock);
}

/* The segment of token (opened and cached on first use, another process's too): 1 (*out,
 * a reference), 0 there is none, -1 error. */
static int seg_find(segs *ss, const char *token, seg **out, ferr *e)
{
    *out = NULL;
    pthread_rwlock_rdlock(&ss->lock);
    for (int i = 0; i < ss->n; i++) {
        seg *s = ss->cache[i];
        if (!memcmp(s->token, token, TOKEN_LEN)) {
            if (s->fd >= 0) {
                atomic_fetch_add(&s->refs, 1);
                *out = s;
            }
            pthread_rwlock_unlock(&ss->lock);
            return *out ? 1 : 0;
        }
    }
    pthread_rwlock_unlock(&ss->lock);
    seg *s = calloc(1, sizeof(*s));
    if (!s) return ferr_oom(e);
    memcpy(s->token, token, TOKEN_LEN);
    s->refs = 1;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", ss->dir, s->token);
    s->fd = open(path, O_RDWR | O_CLOEXEC);
    if (s->fd < 0 && errno != ENOENT) {
        sys_err(e, "open", s->token);
        free(s);
        return -1;
    }
    s = cache_add(ss, s); /* a miss is remembered: ids name segments that existed first */
    if (s->fd >= 0) {
        *out = s;
        return 1;
    }
    segs_release(s);
    return 0;
}

/* A new segment of this process's (with a reference for the caller), or NULL: e set, or
 * not when the file system punches no holes (ss->off set then). Under ss->mu. */
static seg *seg_make(segs *ss, ferr *e)
{
    seg *s = calloc(1, sizeof(*s));
    if (!s) {
        ferr_oom(e);
        return NULL;
    }
    ids_hex(s->token, TOKEN_LEN);
    s->refs = 1;
    s->born = mono();
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", ss->dir, s->token);
    s->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (s->fd < 0 || fchmod(s->fd, 0600) < 0) {
        sys_err(e, "create", s->token);
        segs_release(s);
        return NULL;
    }
    /* deletes punch holes: a file system that cannot keeps every blob in a file */
    if (fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, SEG_SLOT) < 0) {
        if (errno == EOPNOTSUPP || errno == ENOSYS)
            ss->off = 1;
        else
            sys_err(e, "punch", s->token);
        unlink(path);
        segs_release(s);
        return NULL;
    }
    s->ss = ss;
    return cache_add(ss, s);
}

int segs_reserve(segs *ss, char id[BLOB_ID_LEN + 1], seg **out, ferr *e)
{
    *out = NULL;
    pthread_mutex_lock(&ss->mu);
    seg *s = ss->cur;
    if (!ss->off && (!s || s->next >= SLOTS_MAX || mono() - s->born > ROTATE)) {
        seg *fresh = seg_make(ss, e);
        if (!fresh && !ss->off) {
            pthread_mutex_unlock(&ss->mu);
            return -1;
        }
        /* seg_make's reference becomes cur's */
        segs_release(ss->cur);
        s = ss->cur = fresh;
    }
    if (ss->off) {
        pthread_mutex_unlock(&ss->mu);
        return 0;
    }
    uint32_t slot = s->next++;
    atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&ss->mu);
    ids_hex(id, 8);
    snprintf(id + 8, BLOB_ID_LEN - 7, "%08x%s", slot, s->token);
    *out = s;
    return 1;
}

int segs_writable(const seg *s)
{
    return mono() - s->born < WRITE_MAX;
}

/* where id's slot begins (ids reaching here are 32 hex digits: blob.c checks) */
static off_t slot_of(const char *id)
{
    char hex[9];
    unsigned char b[4] = {0};
    memcpy(hex, id + 8, 8);
    hex[8] = '\0';
    enc_unhex(hex, b, 4);
    return (off_t)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]) *
           SEG_SLOT;
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* magic 8 | id 32 | size 8 | time (ns since the epoch) 8 | CRC32C of the 56 before 4 | 0 4 */
static void hdr_make(unsigned char h[SEG_HDR], const char *id, uint64_t size)
{
    memset(h, 0, SEG_HDR);
    memcpy(h, MAGIC, 8);
    memcpy(h + 8, id, BLOB_ID_LEN);
    put64(h + 40, size);
    put64(h + 48, (uint64_t)(wall() * 1e9));
    uint32_t c = blob_crc32c(0, h, 56);
    for (int i = 0; i < 4; i++) h[56 + i] = (unsigned char)(c >> (8 * i));
}

/* 1 when h is a header (of id, unless NULL), with *size and *mtime */
static int hdr_ok(const unsigned char *h, const char *id, uint64_t *size, double *mtime)
{
    if (memcmp(h, MAGIC, 8) || (id && memcmp(h + 8, id, BLOB_ID_LEN))) return 0;
    uint32_t c = blob_crc32c(0, h, 56), want = 0;
    for (int i = 0; i < 4; i++) want |= (uint32_t)h[56 + i] << (8 * i);
    if (c != want || get64(h + 40) > SEG_DATA_MAX) return 0;
    *size = get64(h + 40);
    *mtime = (double)get64(h + 48) / 1e9;
    return 1;
}

/* n bytes at off, or fewer at the end of the file */
static ssize_t read_at(int fd, void *p, size_t n, off_t off)
{
    size_t have = 0;
    while (have < n) {
        ssize_t k = pread(fd, (char *)p + have, n - have, off + (off_t)have);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return -1;
        if (k == 0) break;
        have += (size_t)k;
    }
    return (ssize_t)have;
}

int segs_put(seg *s, const char *id, const void *p, size_t n, int durable, ferr *e)
{
    unsigned char h[SEG_HDR];
    hdr_make(h, id, n);
    struct iovec iov[2] = {{h, SEG_HDR}, {(void *)p, n}};
    off_t at = slot_of(id);
    size_t left = SEG_HDR + n;
    int k = 0;
    while (left) { /* one write, header first: see segs_scan for a crash within it */
        ssize_t w = pwritev(s->fd, iov + k, 2 - k, at);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return sys_err(e, "write", s->token);
        at += w;
        left -= (size_t)w;
        while (k < 2 && (size_t)w >= iov[k].iov_len) w -= (ssize_t)iov[k++].iov_len;
        if (k < 2) {
            iov[k].iov_base = (char *)iov[k].iov_base + w;
            iov[k].iov_len -= (size_t)w;
        }
    }
    if (!durable) return 0;
    if (fdatasync(s->fd) < 0) return sys_err(e, "sync", s->token);
    if (atomic_load(&s->named)) return 0;
    int dfd = open(s->ss->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = dfd < 0 ? -1 : fsync(dfd);
    if (dfd >= 0) close(dfd);
    if (rc < 0) return sys_err(e, "sync the directory of", s->token);
    atomic_store(&s->named, 1);
    return 0;
}

int segs_get(segs *ss, const char *id, unsigned char **buf, uint64_t *size, ferr *e)
{
    *buf = NULL;
    seg *s;
    int rc = seg_find(ss, id + 16, &s, e);
    if (rc <= 0) return rc;
    off_t at = slot_of(id);
    unsigned char *b = malloc(FIRST_READ), again[SEG_HDR];
    ssize_t k = b ? read_at(s->fd, b, FIRST_READ, at) : 0;
    double mtime;
    rc = 0;
    if (!b)
        rc = ferr_oom(e);
    else if (k < 0)
        rc = sys_err(e, "read", s->token);
    else if (k >= SEG_HDR && hdr_ok(b, id, size, &mtime)) {
        size_t want = SEG_HDR + (size_t)*size;
        if (want > (size_t)k) {
            unsigned char *bigger = realloc(b, want);
            if (!bigger) {
                rc = ferr_oom(e);
            } else {
                b = bigger;
                ssize_t more = read_at(s->fd, b + k, want - (size_t)k, at + k);
                if (more < 0) rc = sys_err(e, "read", s->token);
                k += more < 0 ? 0 : more;
            }
        }
        /* the bytes all there and the header unchanged since: read before any punch */
        if (rc == 0 && (size_t)k >= want && read_at(s->fd, again, SEG_HDR, at) == SEG_HDR &&
            !memcmp(again, b, SEG_HDR))
            rc = 1;
    }
    segs_release(s);
    if (rc == 1)
        *buf = b;
    else
        free(b);
    return rc;
}

static int punch(seg *s, off_t at, ferr *e)
{
    if (fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, at, SEG_SLOT) < 0)
        return sys_err(e, "punch", s->token);
    return 0;
}

int segs_remove(segs *ss, const char *id, ferr *e)
{
    seg *s;
    int rc = seg_find(ss, id + 16, &s, e);
    if (rc <= 0) return rc;
    unsigned char h[SEG_HDR];
    uint64_t size;
    double mtime;
    off_t at = slot_of(id);
    ssize_t k = read_at(s->fd, h, SEG_HDR, at);
    if (k < 0)
        rc = sys_err(e, "read", s->token);
    else if (k < SEG_HDR || !hdr_ok(h, id, &size, &mtime))
        rc = 0;
    else
        rc = punch(s, at, e) < 0 ? -1 : 1;
    segs_release(s);
    return rc;
}

static int token_name(const char *name)
{
    return strlen(name) == TOKEN_LEN && strspn(name, "0123456789abcdef") == TOKEN_LEN;
}

/* Every slot of s that holds bytes, in order (SEEK_DATA steps over the holes). */
static int scan_seg(segs *ss, seg *s, blob_scan_cb cb, void *ud, ferr *e)
{
    struct stat sb;
    if (fstat(s->fd, &sb) < 0) return sys_err(e, "stat", s->token);
    double changed = (double)sb.st_mtim.tv_sec + (double)sb.st_mtim.tv_nsec / 1e9;
    int old = changed < wall() - EMPTY_KEEP, any = 0;
    for (off_t pos = 0;;) {
        off_t at = lseek(s->fd, pos, SEEK_DATA);
        if (at < 0) {
            if (errno == ENXIO) break;
            return sys_err(e, "seek", s->token);
        }
        at -= at % SEG_SLOT;
        pos = at + SEG_SLOT;
        unsigned char h[SEG_HDR];
        uint64_t size;
        double mtime;
        ssize_t k = read_at(s->fd, h, SEG_HDR, at);
        if (k < 0) return sys_err(e, "read", s->token);
        if (k == SEG_HDR && hdr_ok(h, NULL, &size, &mtime)) {
            char id[BLOB_ID_LEN + 1];
            memcpy(id, h + 8, BLOB_ID_LEN);
            id[BLOB_ID_LEN] = '\0';
            any = 1;
            int rc = cb(ud, id, 0, mtime, e);
            if (rc) return rc;
        } else if (old) { /* bytes without a header, long untouched: a crash mid-write */
            if (punch(s, at, e) < 0) return -1;
        } else {
            any = 1;
        }
    }
    if (any || !old) return 0;
    pthread_mutex_lock(&ss->mu); /* never the one reservations go to */
    int mine = ss->cur && !memcmp(ss->cur->token, s->token, TOKEN_LEN);
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", ss->dir, s->token);
    if (!mine && unlink(path) < 0 && errno != ENOENT) {
        pthread_mutex_unlock(&ss->mu);
        return sys_err(e, "remove", s->token);
    }
    pthread_mutex_unlock(&ss->mu);
    if (!mine) cache_drop(ss, s->token);
    return 0;
}

int segs_scan(segs *ss, blob_scan_cb cb, void *ud, ferr *e)
{
    DIR *d = opendir(ss->dir);
    if (!d) return errno == ENOENT ? 0 : sys_err(e, "list", ss->dir);
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (errno = 0, de = readdir(d))) {
        if (!token_name(de->d_name)) continue;
        seg *s;
        int found = seg_find(ss, de->d_name, &s, e);
        if (found < 0) rc = -1;
        if (found <= 0) continue; /* removed since readdir */
        rc = scan_seg(ss, s, cb, ud, e);
        segs_release(s);
    }
    if (rc == 0 && errno) rc = sys_err(e, "list", ss->dir);
    closedir(d);
    return rc < 0 ? -1 : rc;
}
