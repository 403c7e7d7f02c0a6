/* engine/waiters (long-poll parking) and engine/audit (group commit). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "base/clock.h"
#include "engine/audit.h"
#include "engine/waiters.h"

typedef struct hit {
    _Atomic int calls;
    _Atomic int final;
    double at;
} hit;

static void on_wake(void *arg, int final)
{
    hit *h = arg;
    h->final = final;
    h->at = clock_now();
    h->calls++;
}

static void test_notify_wakes_only_its_key(void **st)
{
    (void)st;
    waiters *w = waiters_new();
    hit a = {0}, b = {0};
    uint64_t seq = waiters_seq(w);
    assert_int_equal(waiters_add(w, "queue-a", clock_now() + 30, seq, on_wake, &a), 0);
    assert_int_equal(waiters_add(w, "queue-b", clock_now() + 30, seq, on_wake, &b), 0);
    double t0 = clock_now();
    waiters_notify(w, "queue-a");
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.final, 0);
    assert_true(a.at - t0 < 0.005); /* woken on the notifying thread, at once */
    assert_int_equal(b.calls, 0);
    waiters_notify(w, "queue-a"); /* fired once only */
    assert_int_equal(a.calls, 1);
    waiters_free(w); /* fires what is left, final */
    assert_int_equal(b.calls, 1);
    assert_int_equal(b.final, 1);
}

static void test_deadline(void **st)
{
    (void)st;
    waiters *w = waiters_new();
    hit a = {0};
    double t0 = clock_now();
    assert_int_equal(waiters_add(w, "k", t0 + 0.05, waiters_seq(w), on_wake, &a), 0);
    for (int i = 0; i < 200 && !a.calls; i++) usleep(5000);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.final, 1);
    assert_true(a.at >= t0 + 0.05 && a.at < t0 + 0.5);
    waiters_free(w);
}

static void test_no_lost_wakeup(void **st)
{
    (void)st;
    waiters *w = waiters_new();
    hit a = {0};
    uint64_t seq = waiters_seq(w); /* the handler looked: nothing there */
    waiters_notify(w, "k");        /* a message arrives before the request parks */
    assert_int_equal(waiters_add(w, "k", clock_now() + 30, seq, on_wake, &a), 0);
    assert_int_equal(a.calls, 1); /* fired at once, not after 30 s */
    assert_int_equal(a.final, 0);
    waiters_fire_all(w);
    waiters_free(w);
}

static int count(void *ud, int64_t seq, const audit_rec *r)
{
    (void)seq, (void)r;
    (*(int *)ud)++;
    return 0;
}

static void test_audit_queue(void **st)
{
    (void)st;
    char dir[] = "/tmp/ferry-audit-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    ferr e = {0};
    store *s = store_open(dir, STORE_SYNC_NORMAL, &e);
    auditq *q = auditq_new(s, &e);
    assert_non_null(q);
    for (int i = 0; i < 100; i++) {
        char op[32];
        snprintf(op, sizeof(op), "Op%d", i);
        audit_rec r = {.time = clock_now(),
                       .account = "123456789012",
                       .region = "us-east-1",
                       .operation = op,
                       .read_only = 1,
                       .status = 200};
        assert_int_equal(i % 2 ? auditq_submit(q, &r) : auditq_append(q, &r), 0);
    }
    auditq_free(q); /* drains the queued ones */
    store_txn *t;
    assert_int_equal(store_begin(s, 0, &t, &e), 0);
    audit_query aq = {.account = "123456789012", .limit = 1000};
    int n = 0;
    assert_int_equal(store_audit_query(t, &aq, count, &n, &e), 100);
    store_rollback(t);
    store_close(s);
    assert_int_equal(fixture_rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notify_wakes_only_its_key),
        cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_no_lost_wakeup),
        cmocka_unit_test(test_audit_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
