/* store/ with the SQLite backend: documents, transactions, listing, audit, reset, reopen.
 * Each test gets a fresh store in its own directory and asserts only on the main thread
 * (cmocka's asserts longjmp, which a worker thread must never do). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"
#include "fixture.h"

static char dir[256];
static store *S; /* the current test's store */

static int setup(void **st)
{
    (void)st;
    S = fixture_store_open(dir, sizeof(dir), "store-test");
    return S ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    return fixture_store_close(S, dir);
}

/* One committed write; 0 or -1. Safe on any thread. */
static int try_put(store *s, const char *acct, const char *id, int v)
{
    ferr e = {0};
    store_txn *t;
    if (store_begin(s, 1, &t, &e)) return -1;
    store_key k = {"thing", acct, "us-east-1", id};
    json_t *d = json_pack("{s:i}", "v", v);
    int rc = d ? store_put(t, &k, d, &e) : -1;
    json_decref(d);
    if (rc) {
        store_rollback(t);
        return -1;
    }
    return store_commit(t, &e);
}

static void put(store *s, const char *acct, const char *id, int v)
{
    assert_int_equal(try_put(s, acct, id, v), 0);
}

static void test_documents(void **st)
{
    (void)st;
    store *s = S;
    ferr e = {0};
    put(s, "111111111111", "a", 1);
    store_txn *t;
    assert_int_equal(store_begin(s, 1, &t, &e), 0);
    store_key k = {"thing", "111111111111", "us-east-1", "a"};
    json_t *d = NULL;
    assert_int_equal(store_get(t, &k, &d, &e), 1);
    assert_int_equal(json_integer_value(json_object_get(d, "v")), 1);
    json_decref(d);
    json_t *n = json_pack("{s:i}", "v", 2);
    assert_int_equal(store_insert(t, &k, n, &e), 1); /* already there */
    store_key k2 = {"thing", "111111111111", "us-east-1", "b"};
    assert_int_equal(store_insert(t, &k2, n, &e), 0);
    json_decref(n);
    store_key other = {"thing", "222222222222", "us-east-1", "a"};
    assert_int_equal(store_get(t, &other, &d, &e), 0); /* accounts are keys */
    assert_int_equal(store_del(t, &k2, &e), 1);
    assert_int_equal(store_del(t, &k2, &e), 0);
    store_rollback(t);
    /* read-only transactions refuse writes */
    assert_int_equal(store_begin(s, 0, &t, &e), 0);
    json_t *x = json_object();
    assert_int_equal(store_put(t, &k, x, &e), -1);
    json_decref(x);
    store_rollback(t);
}

static void test_rollback_discards(void **st)
{
    (void)st;
    store *s = S;
    ferr e = {0};
    store_txn *t;
    assert_int_equal(store_begin(s, 1, &t, &e), 0);
    store_key k = {"thing", "333333333333", "us-east-1", "gone"};
    json_t *d = json_object();
    assert_int_equal(store_put(t, &k, d, &e), 0);
    json_decref(d);
    store_rollback(t);
    assert_int_equal(store_begin(s, 0, &t, &e), 0);
    assert_int_equal(store_get(t, &k, &d, &e), 0);
    store_rollback(t);
}

/* Savepoints undo or keep their own part of a write transaction; generations move only
 * when a commit wrote that kind. */
static void test_savepoints_and_generations(void **st)
{
    (void)st;
    store *s = S;
    ferr e = {0};
    store_key a = {"spkind", "444444444444", "us-east-1", "a"},
              b = {"spkind", "444444444444", "us-east-1", "b"};
    uint64_t g0 = store_generation(s, "spkind");
    store_txn *t;
    assert_int_equal(store_begin(s, 1, &t, &e), 0);
    json_t *d = json_object();
    assert_false(store_txn_touched(t, "spkind"));
    assert_int_equal(store_savepoint(t, &e), 0);
    assert_int_equal(store_put(t, &a, d, &e), 0);
    assert_true(store_txn_touched(t, "spkind"));
    assert_int_equal(store_savepoint(t, &e), 0); /* nested */
    assert_int_equal(store_put(t, &b, d, &e), 0);
    assert_int_equal(store_savepoint_end(t, 0, &e), 0); /* b undone */
    assert_int_equal(store_savepoint_end(t, 1, &e), 0); /* a kept */
    json_decref(d);
    assert_int_equal(store_generation(s, "spkind"), g0); /* not before the commit */
    assert_int_equal(store_commit(t, &e), 0);
    uint64_t g1 = store_generation(s, "spkind");
    assert_true(g1 != g0);
    assert_int_equal(store_begin(s, 0, &t, &e), 0);
    json_t *x = NULL;
    assert_int_equal(store_get(t, &a, &x, &e), 1);
    json_decref(x);
    assert_int_equal(store_get(t, &b, &x, &e), 0);
    assert_int_equal(store_savepoint(t, &e), -1); /* read-only */
    store_rollback(t);
    /* a rolled-back write and a read do not move it */
    assert_int_equal(store_begin(s, 1, &t, &e), 0);
    d = json_object();
    assert_int_equal(store_put(t, &b, d, &e), 0);
    json_decref(d);
    store_rollback(t);
    assert_int_equal(store_generation(s, "spkind"), g1);
    put(s, "444444444444", "other-kind", 1);
    assert_int_equal(store_generation(s, "spkind"), g1);
}

typedef struct seen {
    char ids[16][16];
    int n;
} seen;

static int collect(void *ud, const store_key *k, json_t *doc)
{
    (void)doc;
    seen *s = ud;
    snprintf(s->ids[s->n++], 16, "%s", k->id);
    return 0;
}

static void test_list(void **st)
{
    (void)st;
    store *s = S;
    ferr e = {0};
    const char *ids[] = {"q-1", "q-2", "q-3", "r-1", "z"};
    for (int i = 0; i < 5; i++) put(s, "444444444444", ids[i], i);
    put(s, "555555555555", "q-9", 9);
    store_txn *t;
    assert_int_equal(store_begin(s, 0, &t, &e), 0);
    seen sn = {0};
    assert_int_equal(
        store_list(t, "thing", "444444444444", "us-east-1", "q-", NULL, 0, collect, &sn, &e), 3);
    assert_string_equal(sn.ids[0], "q-1");
    assert_string_equal(sn.ids[2], "q-3");
    memset(&sn, 0, sizeof(sn));
    assert_int_equal(
        store_list(t, "thing", "444444444444", "us-east-1", NULL, "q-2", 2, collect, &sn, &e), 2);
    assert_string_equal(sn.ids[0], "q-3");
    assert_string_equal(sn.ids[1], "r-1");
    memset(&sn, 0, sizeof(sn));
    assert_int_equal(store_list(t, "thing", NULL, NULL, "q-", NULL, 0, collect, &sn, &e), 4);
    store_rollback(t);
}

static int count_cb(void *ud, int64_t seq, const audit_rec *r)
{
    (void)seq;
    int *n = ud;
    (*n)++;
    assert_non_null(r->operation);
    return 0;
}

static void test_audit(void **st)
{
    (void)st;
    store *s = S;
    ferr e = {0};
    store_txn *t;
    assert_int_equal(store_begin(s, 1, &t, &e), 0);
    for (int i = 0; i < 5; i++) {
        audit_rec r = {.time = 1000 + i,
                       .event_id = "e",
                       .account = "666666666666",
                       .region = i < 4 ? "us-east-1" : "eu-west-1",
                       .operation = i % 2 ? "ListAccounts" : "GetCallerIdentity",
                       .read_only = 1,
                       .status = 200,
                       .resources =
                           i == 3 ? "[{\"ResourceType\":\"T\",\"ResourceName\":\"n\"}]" : NULL};
        assert_int_equal(store_audit_append(t, &r, &e), 0);
    }
    assert_int_equal(store_commit(t, &e), 0);
    assert_int_equal(store_begin(s, 0, &t, &e), 0);
    int n = 0;
    audit_query q = {.account = "666666666666", .region = "us-east-1"};
    assert_int_equal(store_audit_query(t, &q, count_cb, &n, &e), 4);
    q.attr_key = "EventName";
    q.attr_value = "ListAccounts";
    n = 0;
    assert_int_equal(store_audit_query(t, &q, count_cb, &n, &e), 2);
    q.attr_key = "ResourceName";
    q.attr_value = "n";
    assert_int_equal(store_audit_query(t, &q, count_cb, &n, &e), 1);
    q.attr_key = NULL;
    q.start = 1001;
    q.end = 1002;
    assert_int_equal(store_audit_query(t, &q, count_cb, &n, &e), 2);
    q.attr_key = "Bogus";
    q.attr_value = "x";
    assert_int_equal(store_audit_query(t, &q, count_cb, &n, &e), -1);
    assert_string_equal(e.code, "InvalidLookupAttributesException");
    store_rollback(t);
}

static int count_docs(void *ud, const store_key *k, json_t *doc)
{
    (void)k, (void)doc;
    (*(int *)ud)++;
    return 0;
}

static int count_things(store *s, const char *acct)
{
    ferr e = {0};
    store_txn *t;
    int n = 0;
    assert_int_equal(store_begin(s, 0, &t, &e), 0);
    int rc = store_list(t, "thing", acct, NULL, NULL, NULL, 0, count_docs, &n, &e);
    store_rollback(t);
    assert_int_equal(rc, n);
    return n;
}

typedef struct worker {
    store *s;
    int id;
    int failed; /* out: writes that did not commit (the main thread asserts) */
} worker;

static void *writer(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 50; i++) {
        char id[32];
        snprintf(id, sizeof(id), "w%d-%d", w->id, i);
        if (try_put(w->s, "777777777777", id, i)) w->failed++;
    }
    return NULL;
}

static void test_concurrent_writers(void **st)
{
    (void)st;
    pthread_t th[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){S, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, writer, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < 4; i++) assert_int_equal(w[i].failed, 0);
    assert_int_equal(count_things(S, "777777777777"), 200); /* every write landed */
}

static void test_reopen_and_reset(void **st)
{
    (void)st;
    ferr e = {0};
    for (int i = 0; i < 20; i++) {
        char id[32];
        snprintf(id, sizeof(id), "r-%d", i);
        put(S, "888888888888", id, i);
    }
    assert_int_equal(count_things(S, "888888888888"), 20);
    store_close(S);
    S = store_open(dir, STORE_SYNC_FULL, &e); /* durable across close/open */
    assert_non_null(S);
    assert_true(store_schema_version(S) >= 1);
    assert_non_null(strstr(store_describe(S), "sqlite:"));
    assert_int_equal(count_things(S, "888888888888"), 20);
    assert_int_equal(store_reset(S, &e), 0);
    assert_int_equal(count_things(S, NULL), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_documents),
        T(test_rollback_discards),
        T(test_list),
        T(test_audit),
        T(test_concurrent_writers),
        T(test_reopen_and_reset),
        T(test_savepoints_and_generations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
