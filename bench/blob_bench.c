/* Blob store benchmark (issue 10's targets for S3 object bytes: >= 500 MB/s up, >= 1 GB/s
 * down): one blob streamed in and out in 1 MiB pieces, against dd on the same disk.
 *
 *   build/blob_bench [--mib N] [--dir DIR] [--crc] [--seal]
 *
 * Writes N MiB (default 1024) through blob_write with MD5 and SHA-256 (and CRC32 + CRC32C
 * with --crc; sealed with AES-256-GCM with --seal) and commits it (fsync included), then
 * reads it back through blob_read after dropping it from the page cache (posix_fadvise),
 * and the same with the page cache warm. dd writes (conv=fsync) and reads the same amount
 * in the same directory (default: a fresh one under /tmp) for comparison. Prints MB/s
 * (10^6 bytes) and the maximum RSS, which must stay near the 1 MiB buffer whatever N is. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/ids.h"
#include "store/blob.h"

#define PIECE (1024 * 1024)

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void uncache(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        close(fd);
    }
}

static double rate(double bytes, double secs)
{
    return bytes / secs / 1e6;
}

static blob_key key, *use_key; /* --seal */

static int read_all(blob_store *bs, const char *id, char *buf, uint64_t want, ferr *e)
{
    blob_reader *r;
    if (blob_reader_new(bs, id, use_key, 0, BLOB_TO_END, &r, e) != 1) return -1;
    uint64_t total = 0;
    size_t got;
    do {
        if (blob_read(r, buf, PIECE, &got, e) < 0) {
            blob_reader_free(r);
            return -1;
        }
        total += got;
    } while (got);
    blob_reader_free(r);
    return total == want ? 0 : -1;
}

static double run(const char *cmd)
{
    double t0 = mono();
    if (system(cmd) != 0) {
        fprintf(stderr, "failed: %s\n", cmd);
        exit(1);
    }
    return mono() - t0;
}

int main(int argc, char **argv)
{
    long mib = 1024;
    const char *dir = NULL;
    unsigned flags = BLOB_SHA256;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mib") && i + 1 < argc)
            mib = atol(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--crc"))
            flags |= BLOB_CRC32 | BLOB_CRC32C;
        else if (!strcmp(argv[i], "--seal")) {
            ids_random(&key, sizeof(key));
            use_key = &key;
        } else {
            fprintf(stderr, "usage: %s [--mib N] [--dir DIR] [--crc] [--seal]\n", argv[0]);
            return 2;
        }
    }
    char tmpl[] = "/tmp/ferry-blob-bench-XXXXXX", root[600], cmd[1400], path[700];
    if (!dir && !(dir = mkdtemp(tmpl))) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(root, sizeof(root), "%s/blobs", dir);
    ferr e = {0};
    blob_store *bs = blob_store_open(NULL, root, STORE_SYNC_FULL, &e);
    char *buf = malloc(PIECE);
    if (!bs || !buf) {
        fprintf(stderr, "open: %s\n", e.message);
        return 1;
    }
    ids_random(buf, PIECE); /* incompressible, not zeros */
    double bytes = (double)mib * PIECE;

    double t0 = mono();
    blob_writer *w;
    blob_info info;
    if (blob_writer_new(bs, flags, use_key, &w, &e) < 0) goto fail;
    for (long i = 0; i < mib; i++) {
        buf[0] = (char)i;
        if (blob_write(w, buf, PIECE, &e) < 0) {
            blob_writer_abort(w);
            goto fail;
        }
    }
    double streamed = mono() - t0;
    if (blob_writer_commit(w, &info, &e) < 0) goto fail;
    double up = mono() - t0;

    snprintf(path, sizeof(path), "%s/%.2s/%s", root, info.id, info.id);
    uncache(path);
    t0 = mono();
    if (read_all(bs, info.id, buf, (uint64_t)bytes, &e) < 0) goto fail;
    double down_cold = mono() - t0;
    t0 = mono();
    if (read_all(bs, info.id, buf, (uint64_t)bytes, &e) < 0) goto fail;
    double down_warm = mono() - t0;
    if (blob_delete(bs, info.id, &e) < 0) goto fail;

    snprintf(cmd, sizeof(cmd),
             "dd if=/dev/urandom of=%s/dd.src bs=1M count=%ld status=none && "
             "dd if=%s/dd.src of=/dev/null bs=1M status=none",
             dir, mib, dir); /* a source in the cache, so dd measures the disk, not urandom */
    run(cmd);
    snprintf(cmd, sizeof(cmd), "dd if=%s/dd.src of=%s/dd.out bs=1M conv=fsync status=none", dir,
             dir);
    double dd_up = run(cmd);
    snprintf(path, sizeof(path), "%s/dd.out", dir);
    uncache(path);
    snprintf(cmd, sizeof(cmd), "dd if=%s/dd.out of=/dev/null bs=1M status=none", dir);
    double dd_down_cold = run(cmd);
    double dd_down_warm = run(cmd);
    snprintf(cmd, sizeof(cmd), "rm -f %s/dd.src %s/dd.out", dir, dir);
    run(cmd);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("blob store, %ld MiB in 1 MiB pieces, digests md5+sha256%s%s\n", mib,
           flags & BLOB_CRC32 ? "+crc32+crc32c" : "", use_key ? ", sealed" : "");
    printf("  write+commit  %8.0f MB/s   (dd conv=fsync %8.0f MB/s)\n", rate(bytes, up),
           rate(bytes, dd_up));
    printf("  of which the fsync at commit %.2f s, streaming %.2f s\n", up - streamed, streamed);
    printf("  read, cold    %8.0f MB/s   (dd            %8.0f MB/s)\n", rate(bytes, down_cold),
           rate(bytes, dd_down_cold));
    printf("  read, cached  %8.0f MB/s   (dd            %8.0f MB/s)\n", rate(bytes, down_warm),
           rate(bytes, dd_down_warm));
    printf("  max RSS       %8.1f MiB\n", (double)ru.ru_maxrss / 1024);
    blob_store_close(bs);
    free(buf);
    if (dir == tmpl) {
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
        run(cmd);
    }
    return 0;
fail:
    fprintf(stderr, "blob_bench: %s\n", e.message);
    blob_store_close(bs);
    free(buf);
    return 1;
}
