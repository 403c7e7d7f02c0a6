/* The store's news between nodes (src/store/news.c) and what it does (store.c): on
 * PostgreSQL (FERRY_TEST_PG), a commit on one store handle moves the generation another
 * listening handle reports, and an announcement wakes the other's long polls; on SQLite
 * listening is a no-op. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "base/clock.h"
#include "fixture.h"
#include "store/news.h"
#include "store/store.h"

static void parses_what_ferry_sends(void **st)
{
    (void)st;
    store_news n;
    assert_int_equal(store_news_parse("g node-a 1,2,1023", 1024, &n), 0);
    assert_int_equal(n.type, 'g');
    assert_int_equal(n.node_len, 6);
    assert_memory_equal(n.node, "node-a", 6);
    assert_int_equal(n.nslots, 3);
    assert_int_equal(n.slots[2], 1023);
    assert_false(n.all);
    assert_int_equal(store_news_parse("g n *", 1024, &n), 0);
    assert_true(n.all);
    assert_int_equal(store_news_parse("w n arn:aws:sqs:us-east-1:123456789012:q x", 1024, &n), 0);
    assert_string_equal(n.key, "arn:aws:sqs:us-east-1:123456789012:q x");
    assert_int_equal(store_news_parse("r n", 1024, &n), 0);
    assert_int_equal(n.type, 'r');

    /* anything else is ignored */
    static const char *const bad[] = {
        "",        "g",      "g ",    "g n",       "g n ", "g n 1,", "g n ,1", "g n 1024",
        "g n 1;2", "g n -1", "x n 1", "r n extra", "w n",  "w n ",   "g  1",   "g n 99999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(store_news_parse(bad[i], 1024, &n), -1);
    char longnode[100];
    memset(longnode, 'a', sizeof(longnode));
    memcpy(longnode, "r ", 2);
    longnode[2 + NEWS_NODE_MAX + 1] = 0;
    assert_int_equal(store_news_parse(longnode, 1024, &n), -1);
}

static void makes_what_it_parses(void **st)
{
    (void)st;
    char out[64];
    unsigned slots[] = {7, 0, 1023};
    assert_int_equal(store_news_gen(out, sizeof(out), "n1", slots, 3), 0);
    assert_string_equal(out, "g n1 7,0,1023");
    assert_int_equal(store_news_gen(out, sizeof(out), "n1", NULL, -1), 0);
    assert_string_equal(out, "g n1 *");
    assert_int_equal(store_news_gen(out, 8, "n1", slots, 3), -1); /* does not fit */
    assert_int_equal(store_news_gen(out, sizeof(out), "n1", slots, 0), -1);
}

static int heard_from(store *s, const char *kind, uint64_t before)
{
    for (int i = 0; i < 500; i++) {
        if (store_generation(s, kind) != before) return 1;
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    }
    return 0;
}

/* until s's listener has proved it hears (or 5 s) */
static int listening(store *s)
{
    for (int i = 0; i < 500; i++) {
        store_health h;
        store_health_get(s, &h);
        if (h.reachable && h.news_age >= 0 && h.news_age < 0.09) return 1;
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    }
    return 0;
}

static void woken(void *ud, const char *key)
{
    snprintf(ud, 64, "%s", key);
}

static void other_nodes_writes_move_generations(void **st)
{
    (void)st;
    char dir[64];
    store *a = fixture_store_open(dir, sizeof(dir), "news");
    assert_non_null(a);
    ferr e = {0};
    store *b = store_open(fixture_location(dir), STORE_SYNC_NORMAL, &e);
    assert_non_null(b);
    assert_int_equal(store_listen(a, "node-a", &e), 0);
    assert_int_equal(store_listen(b, "node-b", &e), 0);
    assert_string_equal(store_node(b), "node-b");
    assert_int_equal(store_listen(b, "bad node", &e), -1);
    ferr_clear(&e);
    store_health h;
    store_health_get(b, &h);
    if (!fixture_pg()) {
        /* one process per SQLite file: nothing to hear, generations move only by writes */
        assert_string_equal(h.kind, "sqlite");
        assert_false(h.shared);
        assert_true(h.reachable);
        store_close(b);
        store_close(a);
        assert_int_equal(fixture_rmdir(dir), 0);
        return;
    }
    assert_string_equal(h.kind, "postgresql");
    assert_true(h.shared);
    assert_true(listening(a));
    assert_true(listening(b));

    uint64_t g = store_generation(b, "test.news");
    uint64_t other = store_generation(b, "test.untouched");
    const store_key k = {"test.news", "111122223333", "us-east-1", "d1"};
    json_t *doc = json_pack("{s:s}", "k", "v");
    store_txn *t = NULL;
    assert_int_equal(store_begin(a, 1, &t, &e), 0);
    assert_int_equal(store_put(t, &k, doc, &e), 0);
    assert_int_equal(store_commit(t, &e), 0);
    json_decref(doc);
    assert_true(heard_from(b, "test.news", g));
    assert_int_equal(store_generation(b, "test.untouched"), other); /* only what was written */
    /* a writer reads what is committed, never a cached copy that another node's commit has
     * not reached yet (readers may: the bounded staleness) */
    assert_int_equal(store_begin(b, 1, &t, &e), 0);
    assert_int_equal(store_txn_generation(t, "test.untouched"), 0);
    store_rollback(t);

    char key[64] = "";
    store_on_wake(b, woken, key);
    store_announce(a, "arn:aws:sqs:us-east-1:111122223333:q");
    for (int i = 0; i < 500 && !key[0]; i++) nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    store_on_wake(b, NULL, NULL);
    assert_string_equal(key, "arn:aws:sqs:us-east-1:111122223333:q");

    store_close(b);
    store_close(a);
    assert_int_equal(fixture_rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(parses_what_ferry_sends),
                                       cmocka_unit_test(makes_what_it_parses),
                                       cmocka_unit_test(other_nodes_writes_move_generations)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
