/* The installation's master key (see kms_int.h). It wraps every key's material; it never
 * reaches the store, a log or the trail. Kept beside ferry.db and protected as it is
 * (src/store/sqlite.c): owner-only, in a 0700 data directory. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/ids.h"
#include "kms_int.h"

#define MASTER_FILE "kms-master.key"

static pthread_mutex_t master_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned char master_key[KMSBLOB_KEYLEN];
static char master_dir[4096]; /* the directory the key was read for; "" ephemeral */
static int master_loaded;

static int read_all(int fd, unsigned char *p, size_t n)
{
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r <= 0) {
            if (r < 0 && errno == EINTR) continue;
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) {
            if (w < 0 && errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads dir's key, creating it when absent (written whole and synced before it is used:
 * material wrapped under a key that did not survive a crash would be lost). */
static int load(const char *dir, ferr *e)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, MASTER_FILE);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT) {
        char tmp[4300];
        snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
        unsigned char k[KMSBLOB_KEYLEN];
        ids_random(k, sizeof(k));
        int w = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        int ok = w >= 0 && !write_all(w, k, sizeof(k)) && !fsync(w);
        if (w >= 0) close(w);
        /* link, not rename: a key another process created first wins */
        ok = ok && (!link(tmp, path) || errno == EEXIST);
        unlink(tmp);
        memset(k, 0, sizeof(k));
        if (!ok) return ferr_internal(e, "kms master key %s: %s", path, strerror(errno));
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    }
    if (fd < 0) return ferr_internal(e, "kms master key %s: %s", path, strerror(errno));
    struct stat sb;
    int rc = 0;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size != KMSBLOB_KEYLEN)
        rc = ferr_internal(e, "kms master key %s: not a %d-byte file", path, KMSBLOB_KEYLEN);
    else if ((sb.st_mode & 077) && fchmod(fd, 0600))
        rc = ferr_internal(e, "kms master key %s: chmod 600: %s", path, strerror(errno));
    else if (read_all(fd, master_key, sizeof(master_key)))
        rc = ferr_internal(e, "kms master key %s: short read", path);
    close(fd);
    return rc;
}

int kms_master(call *c, const unsigned char **key)
{
    const char *dir = c->env->data_dir ? c->env->data_dir : "";
    pthread_mutex_lock(&master_mu);
    int rc = 0;
    /* one server has one data directory; tests open several in turn */
    if (!master_loaded || strcmp(master_dir, dir)) {
        if (*dir)
            rc = load(dir, c->err);
        else
            ids_random(master_key, sizeof(master_key));
        if (!rc) {
            snprintf(master_dir, sizeof(master_dir), "%s", dir);
            master_loaded = 1;
        }
    }
    pthread_mutex_unlock(&master_mu);
    *key = master_key;
    return rc;
}
