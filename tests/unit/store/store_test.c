/* The store interface's own rules: a savepoint that does not end cleanly leaves its
 * transaction uncommittable (the writes of a failed part are never kept by accident); what
 * a transaction reads may be cached only under a generation no older than what it read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "store/store.h"

/* A fresh store in dir (a template mkdtemp fills in), or in the PostgreSQL database the
 * fixture names, emptied. */
static store *fresh(char *dir)
{
    assert_non_null(mkdtemp(dir));
    ferr e = {0};
    if (fixture_pg()) assert_int_equal(fixture_pg_wipe(), 0);
    store *s = store_open(fixture_location(dir), STORE_SYNC_NORMAL, &e);
    assert_non_null(s);
    return s;
}

static void broken_savepoint_fails_the_commit(void **st)
{
    (void)st;
    char dir[] = "/tmp/ferry-store-test-XXXXXX";
    ferr e = {0};
    store *s = fresh(dir);
    const store_key k = {"test.doc", "111122223333", "us-east-1", "d1"};
    json_t *doc = json_pack("{s:s}", "k", "v");

    store_txn *t = NULL;
    assert_int_equal(store_begin(s, 1, &t, &e), 0);
    assert_int_equal(store_put(t, &k, doc, &e), 0);
    /* undoing a savepoint that was never set fails: nothing can say what is undone */
    assert_int_equal(store_savepoint_end(t, 0, &e), -1);
    ferr_clear(&e);
    assert_int_equal(store_commit(t, &e), -1);
    assert_string_equal(e.code, "InternalFailure");

    json_t *got = NULL;
    assert_int_equal(store_begin(s, 0, &t, &e), 0);
    assert_int_equal(store_get(t, &k, &got, &e), 0); /* rolled back */
    store_rollback(t);

    /* a clean savepoint does not stop the commit */
    assert_int_equal(store_begin(s, 1, &t, &e), 0);
    assert_int_equal(store_savepoint(t, &e), 0);
    assert_int_equal(store_put(t, &k, doc, &e), 0);
    assert_int_equal(store_savepoint_end(t, 1, &e), 0);
    assert_int_equal(store_commit(t, &e), 0);
    assert_int_equal(store_begin(s, 0, &t, &e), 0);
    assert_int_equal(store_get(t, &k, &got, &e), 1);
    store_rollback(t);
    json_decref(got);

    json_decref(doc);
    store_close(s);
    assert_int_equal(fixture_rmdir(dir), 0);
}

static void txn_generation_says_when_reads_may_be_kept(void **st)
{
    (void)st;
    char dir[] = "/tmp/ferry-store-test-XXXXXX";
    ferr e = {0};
    store *s = fresh(dir);
    const store_key k = {"test.gen", "111122223333", "us-east-1", "d1"};
    json_t *doc = json_pack("{s:s}", "k", "v");

    /* a read transaction before any commit since it began: the generation, plus one */
    store_txn *r = NULL, *w = NULL;
    assert_int_equal(store_begin(s, 0, &r, &e), 0);
    assert_true(store_txn_generation(r, "test.gen") == 1 + store_generation(s, "test.gen"));
    store_rollback(r);

    /* a commit that moves a generation after a read transaction began: its snapshot may be
     * older than the generation, so nothing it reads is kept, whatever the kind */
    assert_int_equal(store_begin(s, 0, &r, &e), 0);
    json_t *got = NULL;
    assert_int_equal(store_get(r, &k, &got, &e), 0); /* the snapshot starts */
    assert_int_equal(store_begin(s, 1, &w, &e), 0);
    assert_true(store_txn_generation(w, "test.gen") != 0); /* not written yet */
    assert_int_equal(store_put(w, &k, doc, &e), 0);
    assert_int_equal(store_txn_generation(w, "test.gen"), 0); /* its own writes */
    assert_int_equal(store_commit(w, &e), 0);
    assert_int_equal(store_txn_generation(r, "test.gen"), 0);
    assert_int_equal(store_txn_generation(r, "test.other"), 0);
    store_rollback(r);

    /* a commit that wrote nothing moves nothing */
    assert_int_equal(store_begin(s, 0, &r, &e), 0);
    assert_int_equal(store_begin(s, 1, &w, &e), 0);
    assert_int_equal(store_commit(w, &e), 0);
    assert_true(store_txn_generation(r, "test.gen") == 1 + store_generation(s, "test.gen"));
    store_rollback(r);

    json_decref(doc);
    store_close(s);
    assert_int_equal(fixture_rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(broken_savepoint_fails_the_commit),
        cmocka_unit_test(txn_generation_says_when_reads_may_be_kept)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
