/* store/walbuf.c, the VFS shim that gathers a commit's WAL writes: commits are visible to
 * another connection as soon as they return, a spilled and rolled-back transaction leaves
 * the file sound, pages larger than the gathering buffer pass, and every commit a process
 * finished survives its kill -9. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fixture.h"
#include "store/walbuf.h"

static char dir[256];
static char path[300];

static int setup(void **st)
{
    (void)st;
    if (fixture_tmpdir(dir, sizeof(dir), "walbuf")) return -1;
    snprintf(path, sizeof(path), "%s/t.db", dir);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    return fixture_rmdir(dir);
}

/* A connection as the store opens one; first: SQL run before its pragmas (page size, a
 * table). */
static sqlite3 *open_db(const char *first)
{
    const char *vfs = walbuf_vfs(0);
    assert_non_null(vfs);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
                     SQLITE_OK);
    char sql[512];
    snprintf(sql, sizeof(sql),
             "%s PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA checkpoint_fullfsync=ON;",
             first ? first : "");
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    return db;
}

static long long count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void integrity(sqlite3 *db)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
}

static void test_commits_gathered_and_visible(void **st)
{
    (void)st;
    sqlite3 *w = open_db("CREATE TABLE t(k INTEGER PRIMARY KEY, v); CREATE INDEX t_v ON t(v);");
    sqlite3 *r = open_db(NULL);
    long long a0, w0, a1, w1;
    walbuf_counts(&a0, &w0);
    for (int i = 1; i <= 200; i++) {
        char sql[200];
        /* several pages per commit: a row, its index, a blob's overflow pages */
        snprintf(sql, sizeof(sql), "INSERT INTO t VALUES(%d, randomblob(6000))", i);
        assert_int_equal(sqlite3_exec(w, sql, NULL, NULL, NULL), SQLITE_OK);
        /* another connection sees every commit the moment it returns */
        assert_int_equal(count(r, "SELECT count(*) FROM t"), i);
    }
    walbuf_counts(&a1, &w1);
    /* SQLite asked for at least two writes per frame; they reached the file a commit each */
    assert_true(a1 - a0 >= 200 * 6);
    assert_true(w1 - w0 <= 200 + 10);
    integrity(r);
    sqlite3_close(r);
    sqlite3_close(w);
}

static void test_spill_rollback_and_big_pages(void **st)
{
    (void)st;
    /* 64 KiB pages: two frames pass the gathering buffer; a 10-page cache spills frames to
     * the WAL in the middle of a transaction, which then rolls back */
    sqlite3 *w = open_db("PRAGMA page_size=65536; PRAGMA cache_size=10;"
                         " CREATE TABLE t(k INTEGER PRIMARY KEY, v);");
    assert_int_equal(
        sqlite3_exec(w,
                     "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM"
                     " n WHERE i<400) INSERT INTO t SELECT i, randomblob(3000) FROM n;"
                     " ROLLBACK;",
                     NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(count(w, "SELECT count(*) FROM t"), 0);
    assert_int_equal(
        sqlite3_exec(w,
                     "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM"
                     " n WHERE i<400) INSERT INTO t SELECT i, randomblob(3000) FROM n;"
                     " COMMIT;",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3 *r = open_db(NULL);
    assert_int_equal(count(r, "SELECT count(*) FROM t"), 400);
    integrity(r);
    /* a checkpoint reads every frame back through another handle */
    assert_int_equal(sqlite3_wal_checkpoint_v2(r, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL),
                     SQLITE_OK);
    integrity(r);
    sqlite3_close(r);
    sqlite3_close(w);
}

static void test_kill9_keeps_every_answered_commit(void **st)
{
    (void)st;
    sqlite3 *w = open_db("CREATE TABLE t(k INTEGER PRIMARY KEY, v);");
    sqlite3_close(w);
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* commits until killed, telling the parent of each one done */
        close(fd[0]);
        sqlite3 *c = NULL;
        if (sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE, walbuf_vfs(0)) ||
            sqlite3_exec(c, "PRAGMA synchronous=FULL; PRAGMA checkpoint_fullfsync=ON", NULL, NULL,
                         NULL))
            _exit(1);
        for (int i = 1;; i++) {
            char sql[100];
            snprintf(sql, sizeof(sql), "INSERT INTO t VALUES(%d, randomblob(5000))", i);
            if (sqlite3_exec(c, sql, NULL, NULL, NULL) != SQLITE_OK) _exit(1);
            if (write(fd[1], &i, sizeof(i)) != sizeof(i)) _exit(1);
        }
    }
    close(fd[1]);
    int done = 0, n;
    while (done < 300 && read(fd[0], &n, sizeof(n)) == sizeof(n)) done = n;
    kill(pid, SIGKILL);
    while (read(fd[0], &n, sizeof(n)) == sizeof(n)) done = n; /* told before it died */
    close(fd[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    sqlite3 *r = open_db(NULL);
    assert_true(count(r, "SELECT count(*) FROM t") >= done);
    assert_int_equal(count(r, "SELECT count(*) FROM t"), count(r, "SELECT max(k) FROM t"));
    integrity(r);
    sqlite3_close(r);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_commits_gathered_and_visible),
        T(test_spill_rollback_and_big_pages),
        T(test_kill9_keeps_every_answered_commit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
