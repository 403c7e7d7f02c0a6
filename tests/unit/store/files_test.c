/* The store's files at rest: the data directory 0700 and ferry.db, -wal and -shm 0600
 * whatever the umask, an existing directory others can read fixed when it is ferry's alone
 * and refused when it holds other things, and files an older ferry left 0644 fixed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "store/store.h"

static char top[256], dir[300];

static int setup(void **st)
{
    (void)st;
    snprintf(top, sizeof(top), "/tmp/ferry-files-test-XXXXXX");
    assert_non_null(mkdtemp(top));
    snprintf(dir, sizeof(dir), "%s/data", top);
    umask(022); /* the usual one: files 0644 and directories 0755 unless ferry says */
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    return fixture_rmdir(top);
}

static unsigned mode_of(const char *name)
{
    char path[400];
    snprintf(path, sizeof(path), "%s%s%s", dir, *name ? "/" : "", name);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return (unsigned)(sb.st_mode & 07777);
}

/* Opens the store, commits a write (which makes the -wal and -shm files), closes it, and
 * checks every file it holds is the owner's alone. */
static void use_store(void)
{
    ferr e = {0};
    store *s = store_open(dir, STORE_SYNC_NORMAL, &e);
    assert_non_null(s);
    store_txn *t;
    assert_int_equal(store_begin(s, 1, &t, &e), 0);
    json_t *doc = json_pack("{s:s}", "secret", "x");
    assert_int_equal(store_put(t, &(store_key){"k", "a", "r", "id"}, doc, &e), 0);
    json_decref(doc);
    assert_int_equal(store_commit(t, &e), 0);
    /* while it is open, the WAL and shared-memory files exist too */
    assert_int_equal(mode_of("ferry.db-wal"), 0600);
    assert_int_equal(mode_of("ferry.db-shm"), 0600);
    store_close(s);
    assert_int_equal(mode_of(""), 0700);
    assert_int_equal(mode_of("ferry.db"), 0600);
}

/* An empty file in the data directory; 0644 under the test's umask. */
static void touch(const char *name)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(mode_of(name), 0644);
}

static void test_new_directory(void **st)
{
    (void)st;
    use_store();
}

/* mkdir d && ferry serve --data d: the directory is ferry's alone, made 0700 */
static void test_existing_open_directory_is_fixed(void **st)
{
    (void)st;
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(mode_of(""), 0755);
    use_store();
}

/* an older ferry left them 0644 */
static void test_existing_open_files_are_fixed(void **st)
{
    (void)st;
    use_store();
    char path[400];
    const char *names[] = {"", "ferry.db"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s%s%s", dir, *names[i] ? "/" : "", names[i]);
        assert_int_equal(chmod(path, i ? 0644 : 0755), 0);
    }
    touch("ferry.db-wal"); /* a -wal left by a crash */
    use_store();
}

/* a directory that holds other things is not ferry's to change: refused, left as it was */
static void test_shared_directory_is_refused(void **st)
{
    (void)st;
    assert_int_equal(mkdir(dir, 0755), 0);
    touch("notes.txt");
    ferr e = {0};
    assert_null(store_open(dir, STORE_SYNC_NORMAL, &e));
    assert_non_null(strstr(e.message, "open to other users"));
    assert_int_equal(mode_of(""), 0755);
    char path[400];
    snprintf(path, sizeof(path), "%s/notes.txt", dir);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof(path), "%s/ferry.db", dir);
    assert_int_equal(access(path, F_OK), -1); /* nothing was created */
    /* once the operator closes it, it is used */
    assert_int_equal(chmod(dir, 0700), 0);
    use_store();
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_new_directory),
        T(test_existing_open_directory_is_fixed),
        T(test_existing_open_files_are_fixed),
        T(test_shared_directory_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
