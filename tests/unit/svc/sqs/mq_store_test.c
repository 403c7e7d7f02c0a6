/* The store's message-queue primitives (store_mq_*) on the SQLite backend: arrival order,
 * visibility, ordered groups (FIFO), counts, keys with expiry, purge, durability on reopen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/store.h"
#include "fixture.h"

static char dir[256];
static store *S;

static int setup(void **st)
{
    (void)st;
    S = fixture_store_open(dir, sizeof(dir), "mq-test");
    return S ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    return fixture_store_close(S, dir);
}

static store_txn *begin(int write)
{
    ferr e = {0};
    store_txn *t;
    assert_int_equal(store_begin(S, write, &t, &e), 0);
    return t;
}

static void commit(store_txn *t)
{
    ferr e = {0};
    assert_int_equal(store_commit(t, &e), 0);
}

static int64_t put(store_txn *t, const char *q, const char *id, const char *group, double visible)
{
    ferr e = {0};
    store_msg m = {.id = id,
                   .group = group,
                   .sent_at = 100,
                   .visible_at = visible,
                   .expires_at = 1000,
                   .receipt = "",
                   .doc = "{\"b\":1}"};
    assert_int_equal(store_mq_put(t, q, &m, &e), 0);
    assert_true(m.seq > 0);
    return m.seq;
}

typedef struct seen {
    char ids[32][16];
    int64_t seqs[32];
    int n;
} seen;

static int seen_cb(void *ud, const store_msg *m)
{
    seen *s = ud;
    snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", m->id);
    s->seqs[s->n++] = m->seq;
    return 0;
}

static seen scan(store_txn *t, const char *q, double now, int limit, int groups)
{
    seen s = {0};
    ferr e = {0};
    store_mq_scan_opts o = {.now = now, .limit = limit, .ordered_groups = groups};
    assert_true(store_mq_scan(t, q, &o, seen_cb, &s, &e) >= 0);
    return s;
}

static void test_order_visibility_counts(void **st)
{
    (void)st;
    ferr e = {0};
    store_txn *t = begin(1);
    int64_t a = put(t, "q1", "a", "", 100);
    int64_t b = put(t, "q1", "b", "", 100);
    put(t, "q1", "c", "", 200); /* delayed */
    put(t, "other", "x", "", 100);
    assert_true(b > a);
    seen s = scan(t, "q1", 150, 10, 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.ids[0], "a");
    /* hand a out: hidden until 300 */
    store_msg m = {.seq = a,
                   .visible_at = 300,
                   .receives = 1,
                   .first_receive = 150,
                   .receipt = "r1"};
    assert_int_equal(store_mq_update(t, "q1", &m, &e), 1);
    s = scan(t, "q1", 150, 10, 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.ids[0], "b");
    store_mq_counts n;
    assert_int_equal(store_mq_count(t, "q1", 150, &n, &e), 0);
    assert_int_equal(n.visible, 1);
    assert_int_equal(n.inflight, 1);
    assert_int_equal(n.delayed, 1);
    double at = 0;
    assert_int_equal(store_mq_next_visible(t, "q1", 150, &at, &e), 1);
    assert_true(at == 200);
    assert_int_equal(store_mq_next_visible(t, "q1", 400, &at, &e), 0);
    /* expired messages are not counted */
    assert_int_equal(store_mq_count(t, "q1", 1000, &n, &e), 0);
    assert_int_equal(n.visible + n.inflight + n.delayed, 0);
    assert_int_equal(store_mq_del(t, "q1", a, &e), 1);
    assert_int_equal(store_mq_del(t, "q1", a, &e), 0);
    assert_int_equal(store_mq_del(t, "other", b, &e), 0); /* another queue's message */
    commit(t);
    t = begin(0);
    s = scan(t, "q1", 500, 10, 0);
    assert_int_equal(s.n, 2);
    /* writes need a write transaction */
    store_msg w = {.id = "z", .group = "", .doc = "{}"};
    assert_int_equal(store_mq_put(t, "q1", &w, &e), -1);
    store_rollback(t);
}

static void test_ordered_groups(void **st)
{
    (void)st;
    ferr e = {0};
    store_txn *t = begin(1);
    int64_t a1 = put(t, "f", "a1", "A", 100);
    put(t, "f", "b1", "B", 100);
    put(t, "f", "a2", "A", 100);
    put(t, "f", "b2", "B", 100);
    seen s = scan(t, "f", 150, 10, 1);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.ids[0], "a1");
    assert_string_equal(s.ids[1], "b1");
    assert_string_equal(s.ids[2], "a2");
    /* a1 in flight: group A gives nothing, not even a2 */
    store_msg m = {.seq = a1,
                   .visible_at = 300,
                   .receives = 1,
                   .first_receive = 150,
                   .receipt = "r"};
    assert_int_equal(store_mq_update(t, "f", &m, &e), 1);
    s = scan(t, "f", 150, 10, 1);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.ids[0], "b1");
    assert_string_equal(s.ids[1], "b2");
    /* visible again: A comes back, in order */
    s = scan(t, "f", 301, 1, 1);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.ids[0], "a1");
    /* a hidden earlier message (a delay) blocks the later ones of its group */
    put(t, "g", "c1", "C", 500);
    put(t, "g", "c2", "C", 100);
    s = scan(t, "g", 150, 10, 1);
    assert_int_equal(s.n, 0);
    commit(t);
}

static void test_keys_and_purge(void **st)
{
    (void)st;
    ferr e = {0};
    store_txn *t = begin(1);
    assert_int_equal(store_mq_key_put(t, "k", "d:1", 100, 400, "msg-1", 7, &e), 0);
    char *v = NULL;
    int64_t num = 0;
    assert_int_equal(store_mq_key_get(t, "k", "d:1", 200, &v, &num, &e), 1);
    assert_string_equal(v, "msg-1");
    assert_int_equal(num, 7);
    free(v);
    assert_int_equal(store_mq_key_get(t, "k", "d:1", 400, &v, &num, &e), 0);
    assert_int_equal(store_mq_key_get(t, "other", "d:1", 200, &v, &num, &e), 0);
    /* a put drops the queue's expired keys */
    assert_int_equal(store_mq_key_put(t, "k", "d:2", 500, 900, NULL, 0, &e), 0);
    assert_int_equal(store_mq_key_get(t, "k", "d:1", 0, &v, &num, &e), 0);
    assert_int_equal(store_mq_key_get(t, "k", "d:2", 600, &v, &num, &e), 1);
    assert_null(v);
    put(t, "k", "m1", "", 0);
    put(t, "k", "m2", "", 0);
    assert_int_equal(store_mq_purge(t, "k", 0, &e), 2);
    assert_int_equal(store_mq_key_get(t, "k", "d:2", 600, &v, &num, &e), 1);
    assert_int_equal(store_mq_purge(t, "k", 1, &e), 0);
    assert_int_equal(store_mq_key_get(t, "k", "d:2", 600, &v, &num, &e), 0);
    commit(t);
}

static int get_cb(void *ud, const store_msg *m)
{
    char *out = ud;
    snprintf(out, 64, "%s|%s|%s|%d", m->id, m->receipt, m->doc, m->receives);
    return 0;
}

static void test_durable_and_reset(void **st)
{
    (void)st;
    ferr e = {0};
    store_txn *t = begin(1);
    int64_t s = put(t, "d", "keep", "", 0);
    commit(t);
    store_close(S);
    S = store_open(fixture_location(dir), STORE_SYNC_NORMAL, &e);
    assert_non_null(S);
    t = begin(0);
    char got[64];
    assert_int_equal(store_mq_get(t, "d", s, get_cb, got, &e), 1);
    assert_string_equal(got, "keep||{\"b\":1}|0");
    assert_int_equal(store_mq_get(t, "d", s + 1000, get_cb, got, &e), 0);
    store_rollback(t);
    assert_int_equal(store_reset(S, &e), 0);
    t = begin(0);
    assert_int_equal(store_mq_get(t, "d", s, get_cb, got, &e), 0);
    store_rollback(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_visibility_counts),
        cmocka_unit_test(test_ordered_groups),
        cmocka_unit_test(test_keys_and_purge),
        cmocka_unit_test(test_durable_and_reset),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
