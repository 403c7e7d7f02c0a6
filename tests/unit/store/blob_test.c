/* The blob store (issue 10, S3's object bytes): streamed writes with digests against known
 * vectors, range reads, delete, abort, the crash sweep (temporaries and unreferenced blobs
 * past the grace period go, referenced and young ones stay) and 0700/0600 on disk. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/enc.h"
#include "base/ids.h"
#include "store/blob.h"
#include "store/store.h"

static char top[256], blobs[300];
static blob_store *bs;
static const blob_key *use_key; /* what put and get seal and open with */
static int named;               /* the store was opened with named temporaries (setup_named) */

/* setup: every blob a file (the tests of files, temporaries and the layout); setup_slots:
 * small blobs in segments, as ferry runs */
static int open_store(int slots)
{
    if (slots)
        unsetenv("FERRY_BLOB_SLOTS");
    else
        setenv("FERRY_BLOB_SLOTS", "0", 1); /* until teardown: test_kill_9's child too */
    snprintf(top, sizeof(top), "/tmp/ferry-blob-test-XXXXXX");
    assert_non_null(mkdtemp(top));
    snprintf(blobs, sizeof(blobs), "%s/blobs", top);
    umask(022); /* the usual one: ferry must narrow what it creates itself */
    use_key = NULL;
    named = 0;
    ferr e = {0};
    bs = blob_store_open(NULL, blobs, STORE_SYNC_NORMAL, &e);
    assert_non_null(bs);
    return 0;
}

static int setup(void **st)
{
    (void)st;
    return open_store(0);
}

static int setup_slots(void **st)
{
    (void)st;
    return open_store(1);
}

/* setup, with the named temporaries of a file system without O_TMPFILE */
static int setup_named(void **st)
{
    setenv("FERRY_BLOB_NAMED_TEMPORARIES", "1", 1); /* until teardown: test_kill_9's child too */
    int rc = setup(st);
    named = 1;
    return rc;
}

static int teardown(void **st)
{
    (void)st;
    unsetenv("FERRY_BLOB_NAMED_TEMPORARIES");
    unsetenv("FERRY_BLOB_SLOTS");
    blob_store_close(bs);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
    return system(cmd);
}

static const char fox[] = "The quick brown fox jumps over the lazy dog";

static void hex(const unsigned char *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", p[i]);
}

static blob_info put(const void *p, size_t n, size_t piece, unsigned flags)
{
    ferr e = {0};
    blob_writer *w;
    assert_int_equal(blob_writer_new(bs, flags, use_key, &w, &e), 0);
    for (size_t at = 0; at < n; at += piece)
        assert_int_equal(blob_write(w, (const char *)p + at, n - at < piece ? n - at : piece, &e),
                         0);
    blob_info info;
    assert_int_equal(blob_writer_commit(w, &info, &e), 0);
    return info;
}

/* bytes [off, off+len) read in pieces of piece bytes into a malloc'd buffer (*n its size) */
static char *get(const char *id, uint64_t off, uint64_t len, size_t piece, size_t *n)
{
    ferr e = {0};
    blob_reader *r;
    assert_int_equal(blob_reader_new(bs, id, use_key, off, len, &r, &e), 1);
    size_t cap = (size_t)blob_reader_remaining(r), have = 0, got;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    do {
        assert_int_equal(blob_read(r, buf + have, piece, &got, &e), 0);
        have += got;
    } while (got);
    assert_int_equal(have, cap);
    assert_int_equal(blob_reader_remaining(r), 0);
    blob_reader_free(r);
    buf[have] = '\0';
    *n = have;
    return buf;
}

static void path_of(const char *id, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%.2s/%s", blobs, id, id);
}

static unsigned mode_of(const char *path)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return (unsigned)(sb.st_mode & 07777);
}

/* files anywhere under blobs/ */
static int count_files(void)
{
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "find %s -type f | wc -l", blobs);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int n = -1;
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

/* 1 when blobs/tmp takes unnamed files (O_TMPFILE): a temporary then has no name, and a
 * crash leaves nothing of it; else it is a file in tmp/ until its commit or the sweep */
static int unnamed_temporaries(void)
{
    if (named) return 0;
    char path[400];
    snprintf(path, sizeof(path), "%s/tmp", blobs);
    int fd = open(path, O_WRONLY | O_TMPFILE, 0600);
    if (fd < 0) return 0;
    close(fd);
    return 1;
}

static void age(const char *path, double seconds)
{
    struct timespec ts[2];
    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec -= (time_t)seconds;
    ts[1] = ts[0];
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void test_digests_known_vectors(void **st)
{
    (void)st;
    char h[65];
    /* the check values of the CRC catalogue, and RFC 1321 / FIPS 180-2 examples */
    assert_int_equal(blob_crc32(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(blob_crc32c(0, "123456789", 9), 0xE3069283u);
    blob_info i = put(fox, strlen(fox), 5, BLOB_SHA256 | BLOB_CRC32 | BLOB_CRC32C);
    assert_int_equal(i.size, strlen(fox));
    assert_int_equal(strlen(i.id), BLOB_ID_LEN);
    hex(i.md5, 16, h);
    assert_string_equal(h, "9e107d9d372bb6826bd81d3542a419d6");
    hex(i.sha256, 32, h);
    assert_string_equal(h, "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592");
    assert_int_equal(i.crc32, 0x414FA339u);
    assert_int_equal(i.crc32c, 0x22620404u);
    /* the empty blob */
    blob_info z = put("", 0, 1, BLOB_CRC32);
    assert_int_equal(z.size, 0);
    hex(z.md5, 16, h);
    assert_string_equal(h, "d41d8cd98f00b204e9800998ecf8427e");
    assert_int_equal(z.crc32, 0);
    assert_string_not_equal(i.id, z.id);
}

static void test_write_read_range_delete(void **st)
{
    (void)st;
    ferr e = {0};
    blob_info i = put(fox, strlen(fox), 7, 0);
    size_t n;
    char *b = get(i.id, 0, BLOB_TO_END, 3, &n);
    assert_string_equal(b, fox);
    free(b);
    b = get(i.id, 4, 5, 100, &n); /* bytes=4-8 */
    assert_string_equal(b, "quick");
    free(b);
    b = get(i.id, 40, BLOB_TO_END, 100, &n); /* bytes=40- */
    assert_string_equal(b, "dog");
    free(b);
    b = get(i.id, 40, 1000, 1, &n); /* a last byte past the end is clamped, as S3 does */
    assert_string_equal(b, "dog");
    free(b);
    blob_reader *r;
    assert_int_equal(blob_reader_new(bs, i.id, NULL, strlen(fox), BLOB_TO_END, &r, &e), -1);
    assert_int_equal(e.status, 416);
    assert_string_equal(e.code, "InvalidRange");
    assert_int_equal(blob_reader_new(bs, i.id, NULL, 1000, 1, &r, &e), -1);
    blob_info z = put("", 0, 1, 0); /* an empty object reads as nothing */
    b = get(z.id, 0, BLOB_TO_END, 10, &n);
    assert_int_equal(n, 0);
    free(b);

    assert_int_equal(blob_delete(bs, i.id, &e), 1);
    assert_int_equal(blob_reader_new(bs, i.id, NULL, 0, BLOB_TO_END, &r, &e), 0);
    assert_null(r);
    assert_int_equal(blob_delete(bs, i.id, &e), 0);
    /* ids come from documents and requests: anything not of our shape is simply absent */
    assert_int_equal(blob_reader_new(bs, "../../etc/passwd", NULL, 0, BLOB_TO_END, &r, &e), 0);
    assert_int_equal(blob_delete(bs, "../tmp", &e), 0);
    assert_int_equal(blob_delete(bs, "0123456789ABCDEF0123456789abcdef", &e), 0);
}

/* More than any buffer: written and read in pieces that do not divide it, digests equal to
 * those of the whole, in small pieces (hashed inline) and large ones (MD5 on the writer's
 * helper thread) alike. */
static void test_large_streamed(void **st)
{
    (void)st;
    size_t n = 3 * 1024 * 1024 + 17;
    unsigned char *p = malloc(n);
    assert_non_null(p);
    for (size_t k = 0; k < n; k++) p[k] = (unsigned char)(k * 2654435761u >> 13);
    char md5[33], sha[65], h[65];
    enc_md5_hex(p, n, md5);
    enc_sha256_hex(p, n, sha);
    static const size_t pieces[] = {65521, 300007, 2 * 1024 * 1024};
    for (size_t k = 0; k < sizeof(pieces) / sizeof(*pieces); k++) {
        blob_info i = put(p, n, pieces[k], BLOB_SHA256 | BLOB_CRC32 | BLOB_CRC32C);
        assert_int_equal(i.size, n);
        hex(i.md5, 16, h);
        assert_string_equal(h, md5);
        hex(i.sha256, 32, h);
        assert_string_equal(h, sha);
        assert_int_equal(i.crc32, blob_crc32(0, p, n));
        assert_int_equal(i.crc32c, blob_crc32c(0, p, n));
        size_t got;
        char *b = get(i.id, 0, BLOB_TO_END, 100003, &got);
        assert_int_equal(got, n);
        assert_memory_equal(b, p, n);
        free(b);
        b = get(i.id, 1000000, 2000000, 4096, &got);
        assert_int_equal(got, 2000000);
        assert_memory_equal(b, p + 1000000, 2000000);
        free(b);
    }
    free(p);
}

static void test_abort_leaves_nothing(void **st)
{
    (void)st;
    ferr e = {0};
    blob_writer *w;
    assert_int_equal(blob_writer_new(bs, 0, NULL, &w, &e), 0);
    assert_int_equal(blob_write(w, fox, strlen(fox), &e), 0);
    assert_int_equal(count_files(), !unnamed_temporaries()); /* the temporary */
    blob_writer_abort(w);
    assert_int_equal(count_files(), 0);
    /* after a large write too (the writer's MD5 helper thread is running then) */
    char *big = calloc(1, 512 * 1024);
    assert_non_null(big);
    assert_int_equal(blob_writer_new(bs, 0, NULL, &w, &e), 0);
    assert_int_equal(blob_write(w, big, 512 * 1024, &e), 0);
    blob_writer_abort(w);
    free(big);
    assert_int_equal(count_files(), 0);
    blob_writer_abort(NULL);
}

static void test_permissions(void **st)
{
    (void)st;
    blob_info i = put(fox, 3, 3, 0);
    char path[400];
    path_of(i.id, path, sizeof(path));
    assert_int_equal(mode_of(path), 0600);
    assert_int_equal(mode_of(blobs), 0700);
    snprintf(path, sizeof(path), "%s/tmp", blobs);
    assert_int_equal(mode_of(path), 0700);
    snprintf(path, sizeof(path), "%s/%.2s", blobs, i.id);
    assert_int_equal(mode_of(path), 0700);
    /* a directory ferry made earlier with the umask's modes is narrowed when opened */
    assert_int_equal(chmod(blobs, 0755), 0);
    ferr e = {0};
    blob_store *again = blob_store_open(NULL, blobs, STORE_SYNC_NORMAL, &e);
    assert_non_null(again);
    assert_int_equal(mode_of(blobs), 0700);
    blob_store_close(again);
}

/* The document store side of the handshake: an object's metadata names its blob, committed
 * in the same transaction as the reply. The sweep asks it whether an id is referenced. */
static store *docs;

static int referenced(void *ud, const char *id, int *yes, ferr *e)
{
    store_txn *t;
    if (store_begin(ud, 0, &t, e) < 0) return -1;
    json_t *doc = NULL;
    int rc = store_get(t, &(store_key){"object", "123456789012", "us-east-1", id}, &doc, e);
    json_decref(doc);
    store_rollback(t);
    if (rc < 0) return -1;
    *yes = rc;
    return 0;
}

static void reference(const char *id)
{
    ferr e = {0};
    store_txn *t;
    assert_int_equal(store_begin(docs, 1, &t, &e), 0);
    json_t *doc = json_pack("{s:s}", "blob", id);
    assert_int_equal(store_put(t, &(store_key){"object", "123456789012", "us-east-1", id}, doc, &e),
                     0);
    json_decref(doc);
    assert_int_equal(store_commit(t, &e), 0);
}

static void open_docs(void)
{
    ferr e = {0};
    char dir[300];
    snprintf(dir, sizeof(dir), "%s/data", top);
    docs = store_open(dir, STORE_SYNC_NORMAL, &e);
    assert_non_null(docs);
}

/* after a sweep: orphan is gone, kept (fox's first 10 bytes) reads */
static void swept_and_kept(const char *orphan, const char *kept)
{
    ferr e = {0};
    blob_reader *r;
    assert_int_equal(blob_reader_new(bs, orphan, NULL, 0, BLOB_TO_END, &r, &e), 0);
    size_t n;
    char *b = get(kept, 0, BLOB_TO_END, 64, &n);
    assert_memory_equal(b, fox, 10);
    free(b);
}

static int failing(void *ud, const char *id, int *yes, ferr *e)
{
    (void)ud, (void)id, (void)yes;
    return ferr_internal(e, "store down");
}

static int nothing(void *ud, const char *id, int *yes, ferr *e)
{
    (void)ud, (void)id, (void)e;
    *yes = 0;
    return 0;
}

static void test_sweep(void **st)
{
    (void)st;
    ferr e = {0};
    open_docs();
    const double hour = BLOB_SWEEP_GRACE;

    /* a crash mid-upload: temporaries, one old and one still being written */
    char old_tmp[400], new_tmp[400];
    snprintf(old_tmp, sizeof(old_tmp), "%s/tmp/00112233445566778899aabbccddeeff", blobs);
    snprintf(new_tmp, sizeof(new_tmp), "%s/tmp/ffeeddccbbaa99887766554433221100", blobs);
    for (int k = 0; k < 2; k++) {
        FILE *f = fopen(k ? new_tmp : old_tmp, "w");
        assert_non_null(f);
        fputs("half an object", f);
        fclose(f);
    }
    age(old_tmp, 2 * hour);

    /* committed blobs: referenced and old, unreferenced and old (the crash between the blob's
     * commit and the store's, or after the store dropped it), unreferenced and young (its
     * store commit is still to come) */
    blob_info kept = put(fox, 10, 10, 0), orphan = put(fox, 20, 10, 0), young = put(fox, 5, 5, 0);
    reference(kept.id);
    char path[400];
    path_of(kept.id, path, sizeof(path));
    age(path, 2 * hour);
    path_of(orphan.id, path, sizeof(path));
    age(path, 2 * hour);
    assert_int_equal(count_files(), 5);

    /* the store failing stops the sweep: nothing is taken on a guess */
    blob_sweep_stats s;
    assert_int_equal(blob_sweep(bs, (double)time(NULL), hour, failing, NULL, &s, &e), -1);
    assert_string_equal(e.code, "InternalFailure");
    assert_int_equal(count_files(), 4 + (s.temporaries == 0)); /* at most the old temporary */

    assert_int_equal(blob_sweep(bs, (double)time(NULL), hour, referenced, docs, &s, &e), 0);
    assert_int_equal(count_files(), 3);
    assert_int_equal(s.unreferenced, 1);
    assert_int_equal(access(old_tmp, F_OK), -1);
    assert_int_equal(access(new_tmp, F_OK), 0);
    swept_and_kept(orphan.id, kept.id);
    size_t n;
    char *b = get(young.id, 0, BLOB_TO_END, 64, &n);
    free(b);

    /* at startup after a long outage everything unreferenced past the grace goes */
    assert_int_equal(blob_sweep(bs, (double)time(NULL) + 3 * hour, hour, referenced, docs, &s, &e),
                     0);
    assert_int_equal(s.temporaries, 1);
    assert_int_equal(s.unreferenced, 1);
    assert_int_equal(s.kept, 1);
    assert_int_equal(count_files(), 1);
    store_close(docs);
}

/* A store written before the one-level layout keeps blobs at ab/cd/abcd...: they are read,
 * deleted and swept there, beside new ones. */
static void test_legacy_layout(void **st)
{
    (void)st;
    ferr e = {0};
    blob_info a = put(fox, strlen(fox), 7, 0), b = put(fox, 9, 9, 0);
    char now[400], then[400];
    blob_info *moved[] = {&a, &b};
    for (int k = 0; k < 2; k++) {
        const char *id = moved[k]->id;
        path_of(id, now, sizeof(now));
        snprintf(then, sizeof(then), "%s/%.2s/%.2s", blobs, id, id + 2);
        assert_int_equal(mkdir(then, 0700) == 0 || errno == EEXIST, 1);
        snprintf(then, sizeof(then), "%s/%.2s/%.2s/%s", blobs, id, id + 2, id);
        assert_int_equal(rename(now, then), 0);
        age(then, 2 * BLOB_SWEEP_GRACE);
    }
    blob_info c = put(fox, 3, 3, 0);
    size_t n;
    char *got = get(a.id, 4, 5, 100, &n);
    assert_string_equal(got, "quick");
    free(got);
    assert_int_equal(blob_delete(bs, a.id, &e), 1);
    assert_int_equal(blob_delete(bs, a.id, &e), 0);
    blob_sweep_stats s;
    assert_int_equal(blob_sweep(bs, (double)time(NULL), BLOB_SWEEP_GRACE, nothing, NULL, &s, &e),
                     0);
    assert_int_equal(s.unreferenced, 1); /* b, where it was; c is young */
    assert_int_equal(s.kept, 1);
    assert_int_equal(count_files(), 1);
    got = get(c.id, 0, BLOB_TO_END, 10, &n);
    assert_string_equal(got, "The");
    free(got);
    /* a directory removed behind the backend's back (it remembers the ones it made) is made
     * again by the next commit into it */
    const blob_backend *be = &blob_files_backend;
    void *impl = be->open(blobs, &e);
    assert_non_null(impl);
    static const char *const ids[] = {"abcdef00000000000000000000000001",
                                      "abcdef00000000000000000000000002"};
    char cmd[400];
    for (int k = 0; k < 2; k++) {
        char id[BLOB_ID_LEN + 1];
        memcpy(id, ids[k], sizeof(id));
        void *w = be->create(impl, id, &e); /* files only (setup): the id stays */
        assert_string_equal(id, ids[k]);
        assert_non_null(w);
        assert_int_equal(be->write(w, fox, 3, &e), 0);
        assert_int_equal(be->commit(impl, w, 0, &e), 0);
        got = get(ids[k], 0, BLOB_TO_END, 10, &n);
        assert_string_equal(got, "The");
        free(got);
        snprintf(cmd, sizeof(cmd), "rm -rf %s/ab", blobs);
        assert_int_equal(system(cmd), 0);
    }
    be->close(impl);
}

static off_t file_size(const char *id)
{
    char path[400];
    path_of(id, path, sizeof(path));
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return sb.st_size;
}

/* Sealed blobs: AES-256-GCM chunks, digests of the plaintext, ranges across chunk edges, and
 * a wrong key, a changed byte or a cut at a chunk edge found when read. */
static void test_sealed(void **st)
{
    (void)st;
    ferr e = {0};
    blob_key key, other;
    ids_random(&key, sizeof(key));
    ids_random(&other, sizeof(other));
    const size_t C = BLOB_SEAL_CHUNK, max = 3 * C + 17;
    unsigned char *p = malloc(max);
    assert_non_null(p);
    for (size_t k = 0; k < max; k++) p[k] = (unsigned char)(k * 2654435761u >> 13);
    static const size_t sizes[] = {
        0, 1, BLOB_SEAL_CHUNK - 1, BLOB_SEAL_CHUNK, BLOB_SEAL_CHUNK + 1, 3 * BLOB_SEAL_CHUNK + 17};
    blob_info last;
    memset(&last, 0, sizeof(last));
    for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++) {
        size_t n = sizes[k], chunks = n ? (n + C - 1) / C : 1;
        use_key = &key;
        blob_info i = put(p, n, k % 2 ? 1000 : 300000, BLOB_CRC32);
        char md5[33], h[33];
        enc_md5_hex(p, n, md5);
        hex(i.md5, 16, h);
        assert_string_equal(h, md5);
        assert_int_equal(i.size, n);
        assert_int_equal(i.crc32, blob_crc32(0, p, n));
        assert_int_equal(file_size(i.id), n + 16 * chunks);
        size_t got;
        char *b = get(i.id, 0, BLOB_TO_END, 777, &got);
        assert_int_equal(got, n);
        assert_memory_equal(b, p, n);
        free(b);
        if (n > C + 5) { /* a range over a chunk edge opens both */
            b = get(i.id, C - 5, 10, 4096, &got);
            assert_int_equal(got, 10);
            assert_memory_equal(b, p + C - 5, 10);
            free(b);
        }
        /* without the key: the stored bytes, which are not the plaintext */
        use_key = NULL;
        if (n >= 16) {
            b = get(i.id, 0, 16, 16, &got);
            assert_memory_not_equal(b, p, 16);
            free(b);
        }
        last = i;
    }

    blob_reader *r;
    char buf[64];
    size_t got;
    /* the wrong key */
    assert_int_equal(blob_reader_new(bs, last.id, &other, 0, BLOB_TO_END, &r, &e), 1);
    assert_int_equal(blob_read(r, buf, sizeof(buf), &got, &e), -1);
    assert_int_equal(e.status, 500);
    blob_reader_free(r);

    /* one byte changed in the second chunk: the first still reads, the second does not */
    char path[400];
    path_of(last.id, path, sizeof(path));
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    unsigned char c;
    assert_int_equal(pread(fd, &c, 1, (off_t)(C + 16 + 100)), 1);
    c ^= 1;
    assert_int_equal(pwrite(fd, &c, 1, (off_t)(C + 16 + 100)), 1);
    assert_int_equal(blob_reader_new(bs, last.id, &key, 0, BLOB_TO_END, &r, &e), 1);
    assert_int_equal(blob_read(r, buf, sizeof(buf), &got, &e), 0);
    assert_memory_equal(buf, p, sizeof(buf));
    blob_reader_free(r);
    assert_int_equal(blob_reader_new(bs, last.id, &key, C + 50, 10, &r, &e), 1);
    assert_int_equal(blob_read(r, buf, sizeof(buf), &got, &e), -1);
    blob_reader_free(r);
    c ^= 1;
    assert_int_equal(pwrite(fd, &c, 1, (off_t)(C + 16 + 100)), 1);

    /* cut after the third chunk: it was not sealed as the last, so reading it fails */
    assert_int_equal(ftruncate(fd, (off_t)(3 * (C + 16))), 0);
    close(fd);
    assert_int_equal(blob_reader_new(bs, last.id, &key, 2 * C, BLOB_TO_END, &r, &e), 1);
    assert_int_equal(blob_reader_size(r), 3 * C);
    assert_int_equal(blob_read(r, buf, sizeof(buf), &got, &e), -1);
    blob_reader_free(r);
    free(p);
}

/* A real kill -9: a process streaming a blob dies mid-write, another dies between the blob's
 * commit and the store's. Neither leaves anything readable, and the sweep reclaims both. */
static void die_writing(int fd, int commit)
{
    ferr e = {0};
    blob_store *mine = blob_store_open(NULL, blobs, STORE_SYNC_NORMAL, &e);
    blob_writer *w;
    if (!mine || blob_writer_new(mine, 0, NULL, &w, &e) < 0) _exit(1);
    static char piece[65536];
    if (blob_write(w, piece, sizeof(piece), &e) < 0) _exit(1);
    blob_info i;
    if (commit && blob_writer_commit(w, &i, &e) < 0) _exit(1);
    if (write(fd, commit ? i.id : "x", commit ? BLOB_ID_LEN : 1) < 0) _exit(1);
    for (;;) {
        if (commit)
            pause();
        else if (blob_write(w, piece, sizeof(piece), &e) < 0)
            _exit(1);
    }
}

/* Runs body(fd, arg) in a child, which writes to fd (an id, or a byte) once it is where it
 * should die; reads that into id, then kills it with SIGKILL. */
static void kill_9_when_told(void (*body)(int fd, int arg), int arg, char id[BLOB_ID_LEN + 1])
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        body(fds[1], arg);
        _exit(1);
    }
    close(fds[1]);
    memset(id, 0, BLOB_ID_LEN + 1);
    assert_true(read(fds[0], id, BLOB_ID_LEN) > 0);
    close(fds[0]);
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
}

static void test_kill_9(void **st)
{
    (void)st;
    for (int commit = 0; commit < 2; commit++) {
        char id[BLOB_ID_LEN + 1];
        kill_9_when_told(die_writing, commit, id); /* it has written (and committed) */
        /* an unnamed temporary went with the process */
        int left = commit || !unnamed_temporaries();
        assert_int_equal(count_files(), left);
        ferr e = {0};
        blob_sweep_stats s;
        /* the caller's store transaction never committed: nothing references the blob */
        assert_int_equal(blob_sweep(bs, (double)time(NULL) + 7200, 3600, nothing, NULL, &s, &e), 0);
        assert_int_equal(commit ? s.unreferenced : s.temporaries, left);
        assert_int_equal(count_files(), 0);
        if (commit) {
            blob_reader *r;
            assert_int_equal(blob_reader_new(bs, id, NULL, 0, BLOB_TO_END, &r, &e), 0);
        }
    }
}

/* ---- Small blobs in segments (setup_slots) ---- */

/* Slots need hole punching; a file system without it (the store keeps a file per blob
 * there) skips the tests of slots. */
static void need_punch(void)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/punch-probe", top);
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    assert_true(fd >= 0);
    int ok = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 65536) == 0;
    close(fd);
    unlink(path);
    if (!ok) skip();
}

static void seg_path(const char *id, char *out, size_t cap)
{
    snprintf(out, cap, "%s/seg/%s", blobs, id + 16);
}

static off_t slot_at(const char *id)
{
    char h[9];
    memcpy(h, id + 8, 8);
    h[8] = '\0';
    return (off_t)strtoul(h, NULL, 16) * 65536;
}

static long long seg_blocks(const char *id)
{
    char path[400];
    seg_path(id, path, sizeof(path));
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return (long long)sb.st_blocks;
}

/* A small blob lives in a slot of the process's segment, not a file of its own; a read
 * begun before a delete still gets every byte (as an unlinked file's reader would); the
 * delete gives the space back; past a slot's size a blob is a file again. */
static void test_slots_write_read_delete(void **st)
{
    (void)st;
    need_punch();
    ferr e = {0};
    blob_info i = put(fox, strlen(fox), 7, 0), j = put(fox, 3, 3, 0);
    char path[400];
    path_of(i.id, path, sizeof(path));
    assert_int_equal(access(path, F_OK), -1);
    assert_string_equal(i.id + 16, j.id + 16); /* one segment, two slots */
    assert_true(slot_at(i.id) != slot_at(j.id));
    seg_path(i.id, path, sizeof(path));
    assert_int_equal(mode_of(path), 0600);
    snprintf(path, sizeof(path), "%s/seg", blobs);
    assert_int_equal(mode_of(path), 0700);
    assert_int_equal(count_files(), 1);
    size_t n;
    char *b = get(i.id, 4, 5, 100, &n);
    assert_string_equal(b, "quick");
    free(b);

    blob_reader *r;
    assert_int_equal(blob_reader_new(bs, i.id, NULL, 0, BLOB_TO_END, &r, &e), 1);
    assert_true(seg_blocks(i.id) > 0);
    assert_int_equal(blob_delete(bs, i.id, &e), 1);
    assert_int_equal(blob_delete(bs, j.id, &e), 1);
    char buf[64] = {0};
    size_t got;
    assert_int_equal(blob_read(r, buf, sizeof(buf), &got, &e), 0);
    assert_int_equal(got, strlen(fox));
    assert_string_equal(buf, fox);
    blob_reader_free(r);
    assert_int_equal(seg_blocks(i.id), 0);
    blob_reader *none;
    assert_int_equal(blob_reader_new(bs, i.id, NULL, 0, BLOB_TO_END, &none, &e), 0);
    assert_int_equal(blob_delete(bs, i.id, &e), 0);

    /* a slot holds 64 KiB less its header; one byte more is a file */
    size_t max = 65536 - 64;
    unsigned char *p = malloc(max + 1);
    assert_non_null(p);
    for (size_t k = 0; k <= max; k++) p[k] = (unsigned char)(k * 7);
    blob_info full = put(p, max, 1000, 0), over = put(p, max + 1, 1000, 0);
    path_of(full.id, path, sizeof(path));
    assert_int_equal(access(path, F_OK), -1);
    path_of(over.id, path, sizeof(path));
    assert_int_equal(mode_of(path), 0600);
    b = get(full.id, 0, BLOB_TO_END, 4096, &n);
    assert_int_equal(n, max);
    assert_memory_equal(b, p, max);
    free(b);
    b = get(over.id, 0, BLOB_TO_END, 4096, &n);
    assert_int_equal(n, max + 1);
    assert_memory_equal(b, p, max + 1);
    free(b);
    assert_int_equal(blob_delete(bs, over.id, &e), 1);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(blob_delete(bs, full.id, &e), 1);
    free(p);

    /* --sync full: the slot and the new segment's name synced */
    blob_store *dur = blob_store_open(NULL, blobs, STORE_SYNC_FULL, &e);
    assert_non_null(dur);
    blob_writer *w;
    assert_int_equal(blob_writer_new(dur, 0, NULL, &w, &e), 0);
    assert_int_equal(blob_write(w, fox, 9, &e), 0);
    blob_info d;
    assert_int_equal(blob_writer_commit(w, &d, &e), 0);
    assert_string_not_equal(d.id + 16, i.id + 16); /* its own segment */
    b = get(d.id, 0, BLOB_TO_END, 100, &n);
    assert_string_equal(b, "The quick");
    free(b);
    blob_store_close(dur);
}

/* The sweep sees slots as blobs: unreferenced ones past the grace are punched. It removes a
 * segment that has held nothing for hours (another process's, gone), and punches bytes a
 * crash left without their header. */
static void test_slots_sweep(void **st)
{
    (void)st;
    need_punch();
    ferr e = {0};
    char path[400];
    open_docs();
    const double hour = BLOB_SWEEP_GRACE;
    blob_info kept = put(fox, 10, 10, 0), orphan = put(fox, 20, 10, 0);
    reference(kept.id);
    blob_sweep_stats s;
    assert_int_equal(blob_sweep(bs, (double)time(NULL), hour, referenced, docs, &s, &e), 0);
    assert_int_equal(s.unreferenced, 0);
    assert_int_equal(s.kept, 2);
    assert_int_equal(blob_sweep(bs, (double)time(NULL), hour, failing, NULL, &s, &e), 0);
    assert_int_equal(blob_sweep(bs, (double)time(NULL) + 2 * hour, hour, failing, NULL, &s, &e),
                     -1);
    assert_int_equal(blob_sweep(bs, (double)time(NULL) + 2 * hour, hour, referenced, docs, &s, &e),
                     0);
    assert_int_equal(s.unreferenced, 1);
    assert_int_equal(s.kept, 1);
    swept_and_kept(orphan.id, kept.id);
    size_t n;
    char *b;

    /* another process's segment, emptied, and one with bytes and no header */
    blob_store *other = blob_store_open(NULL, blobs, STORE_SYNC_NORMAL, &e);
    assert_non_null(other);
    blob_writer *w;
    blob_info gone;
    assert_int_equal(blob_writer_new(other, 0, NULL, &w, &e), 0);
    assert_int_equal(blob_write(w, fox, 5, &e), 0);
    assert_int_equal(blob_writer_commit(w, &gone, &e), 0);
    b = get(gone.id, 0, BLOB_TO_END, 64, &n); /* read through bs: a segment it did not make */
    assert_string_equal(b, "The q");
    free(b);
    assert_int_equal(blob_delete(bs, gone.id, &e), 1);
    blob_store_close(other);
    char torn[400];
    snprintf(torn, sizeof(torn), "%s/seg/0123456789abcdef", blobs);
    int fd = open(torn, O_RDWR | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, fox, 10, 5 * 65536 + 64), 10);
    close(fd);
    seg_path(gone.id, path, sizeof(path));
    age(path, 3 * hour);
    assert_int_equal(count_files(), 3); /* three segments: bs's, other's and the torn one */
    assert_int_equal(blob_sweep(bs, (double)time(NULL), hour, referenced, docs, &s, &e), 0);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(access(torn, F_OK), 0); /* young: perhaps still being written */
    age(torn, 3 * hour);
    assert_int_equal(blob_sweep(bs, (double)time(NULL), hour, referenced, docs, &s, &e), 0);
    assert_int_equal(access(torn, F_OK), -1);
    /* bs's own segment stays, however old, while it is the one bs writes to */
    seg_path(kept.id, path, sizeof(path));
    age(path, 3 * hour);
    assert_int_equal(blob_delete(bs, kept.id, &e), 1);
    assert_int_equal(blob_sweep(bs, (double)time(NULL), hour, referenced, docs, &s, &e), 0);
    assert_int_equal(access(path, F_OK), 0);
    store_close(docs);
}

/* Sealed small blobs: in a slot, and a changed byte there is found */
static void test_slots_sealed(void **st)
{
    (void)st;
    need_punch();
    ferr e = {0};
    blob_key key;
    ids_random(&key, sizeof(key));
    use_key = &key;
    char text[1000];
    for (size_t k = 0; k < sizeof(text); k++) text[k] = (char)('a' + k % 26);
    blob_info i = put(text, sizeof(text), 333, 0);
    char path[400];
    path_of(i.id, path, sizeof(path));
    assert_int_equal(access(path, F_OK), -1);
    size_t n;
    char *b = get(i.id, 0, BLOB_TO_END, 100, &n);
    assert_int_equal(n, sizeof(text));
    assert_memory_equal(b, text, n);
    free(b);
    seg_path(i.id, path, sizeof(path));
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    off_t at = slot_at(i.id) + 64 + 500;
    unsigned char c;
    assert_int_equal(pread(fd, &c, 1, at), 1);
    c ^= 1;
    assert_int_equal(pwrite(fd, &c, 1, at), 1);
    close(fd);
    blob_reader *r;
    char buf[64];
    size_t got;
    assert_int_equal(blob_reader_new(bs, i.id, &key, 0, BLOB_TO_END, &r, &e), 1);
    assert_int_equal(blob_read(r, buf, sizeof(buf), &got, &e), -1);
    blob_reader_free(r);
    use_key = NULL;
}

/* kill -9 of a writer: a committed slot reads whole until the sweep takes it (nothing
 * referenced it); the slot of a writer that had not committed was never written. */
/* one blob committed to a slot, another being written */
static void die_in_slots(int fd, int arg)
{
    (void)arg;
    ferr e = {0};
    blob_store *mine = blob_store_open(NULL, blobs, STORE_SYNC_NORMAL, &e);
    blob_writer *a, *b;
    blob_info i;
    if (!mine || blob_writer_new(mine, 0, NULL, &a, &e) < 0 ||
        blob_write(a, fox, strlen(fox), &e) < 0 || blob_writer_commit(a, &i, &e) < 0 ||
        blob_writer_new(mine, 0, NULL, &b, &e) < 0 || blob_write(b, fox, 10, &e) < 0 ||
        write(fd, i.id, BLOB_ID_LEN) < 0)
        _exit(1);
    for (;;) pause();
}

static void test_slots_kill_9(void **st)
{
    (void)st;
    need_punch();
    char id[BLOB_ID_LEN + 1];
    kill_9_when_told(die_in_slots, 0, id);
    size_t n;
    char *b = get(id, 0, BLOB_TO_END, 100, &n);
    assert_string_equal(b, fox);
    free(b);
    ferr e = {0};
    blob_sweep_stats s;
    assert_int_equal(blob_sweep(bs, (double)time(NULL) + 7200, 3600, nothing, NULL, &s, &e), 0);
    assert_int_equal(s.unreferenced, 1);
    blob_reader *r;
    assert_int_equal(blob_reader_new(bs, id, NULL, 0, BLOB_TO_END, &r, &e), 0);
    assert_int_equal(seg_blocks(id), 0);
}

/* Threads writing, reading and deleting at once through one store (ASan and the segment
 * cache's references) */
static void *churn(void *arg)
{
    (void)arg;
    for (int k = 0; k < 200; k++) {
        blob_info i = put(fox, (size_t)(k % 40) + 1, 8, 0);
        size_t n;
        char *b = get(i.id, 0, BLOB_TO_END, 16, &n);
        assert_int_equal(n, (size_t)(k % 40) + 1);
        assert_memory_equal(b, fox, n);
        free(b);
        ferr e = {0};
        assert_int_equal(blob_delete(bs, i.id, &e), 1);
    }
    return NULL;
}

static void test_slots_threads(void **st)
{
    (void)st;
    need_punch();
    pthread_t th[4];
    for (int k = 0; k < 4; k++) assert_int_equal(pthread_create(&th[k], NULL, churn, NULL), 0);
    for (int k = 0; k < 4; k++) pthread_join(th[k], NULL);
    assert_int_equal(count_files(), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_digests_known_vectors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_read_range_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_streamed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_legacy_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sealed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_9, setup, teardown),
        /* the same, where temporaries have names */
        cmocka_unit_test_setup_teardown(test_write_read_range_delete, setup_named, teardown),
        cmocka_unit_test_setup_teardown(test_abort_leaves_nothing, setup_named, teardown),
        cmocka_unit_test_setup_teardown(test_sealed, setup_named, teardown),
        cmocka_unit_test_setup_teardown(test_kill_9, setup_named, teardown),
        /* small blobs in segments, as ferry keeps them */
        cmocka_unit_test_setup_teardown(test_digests_known_vectors, setup_slots, teardown),
        cmocka_unit_test_setup_teardown(test_write_read_range_delete, setup_slots, teardown),
        cmocka_unit_test_setup_teardown(test_large_streamed, setup_slots, teardown),
        cmocka_unit_test_setup_teardown(test_slots_write_read_delete, setup_slots, teardown),
        cmocka_unit_test_setup_teardown(test_slots_sweep, setup_slots, teardown),
        cmocka_unit_test_setup_teardown(test_slots_sealed, setup_slots, teardown),
        cmocka_unit_test_setup_teardown(test_slots_kill_9, setup_slots, teardown),
        cmocka_unit_test_setup_teardown(test_slots_threads, setup_slots, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
