/* src/engine/audit.c: reads' events wait a moment to share a commit, and yet a reader of the
 * trail (auditq_flush), a refusal (auditq_append) and the queue's end never wait for it. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <cmocka.h>

#include "engine/audit.h"
#include "fixture.h"

#define ACCT "111111111111"

static int count_cb(void *ud, int64_t seq, const audit_rec *r)
{
    (void)seq, (void)r;
    (*(int *)ud)++;
    return 0;
}

static int events(store *s)
{
    ferr e = {0};
    store_txn *t;
    assert_int_equal(store_begin(s, 0, &t, &e), 0);
    audit_query q = {.account = ACCT, .limit = 1000};
    int n = 0;
    assert_true(store_audit_query(t, &q, count_cb, &n, &e) >= 0);
    store_rollback(t);
    return n;
}

static audit_rec rec(int i, char id[40])
{
    snprintf(id, 40, "00000000-0000-0000-0000-%012d", i);
    return (audit_rec){.time = 1e9 + i,
                       .event_id = id,
                       .request_id = id,
                       .account = ACCT,
                       .region = "us-east-1",
                       .principal_arn = "arn:aws:iam::" ACCT ":root",
                       .principal_type = "Root",
                       .service = "s3",
                       .operation = "GetObject",
                       .read_only = 1,
                       .status = 200};
}

static auditq *queue_open(store **s, char *dir, size_t n)
{
    *s = fixture_store_open(dir, n, "auditq");
    assert_non_null(*s);
    ferr e = {0};
    auditq *q = auditq_new(*s, &e);
    assert_non_null(q);
    return q;
}

static void test_flush_commits_what_came_before(void **state)
{
    (void)state;
    char dir[256], id[40];
    store *s;
    auditq *q = queue_open(&s, dir, sizeof(dir));
    for (int i = 0; i < 300; i++) { /* more than one batch */
        audit_rec r = rec(i, id);
        assert_int_equal(auditq_submit(q, &r), 0);
    }
    auditq_flush(q);
    assert_int_equal(events(s), 300);
    auditq_flush(q); /* nothing queued: returns at once */
    audit_rec r = rec(300, id);
    r.read_only = 0;
    r.status = 403;
    assert_int_equal(auditq_append(q, &r), 0); /* a refusal: durable when it returns */
    assert_int_equal(events(s), 301);
    r = rec(301, id);
    assert_int_equal(auditq_submit(q, &r), 0);
    auditq_free(q); /* drains what is queued */
    assert_int_equal(events(s), 302);
    assert_int_equal(fixture_store_close(s, dir), 0);
}

static void test_queued_reads_commit_unasked(void **state)
{
    (void)state;
    char dir[256], id[40];
    store *s;
    auditq *q = queue_open(&s, dir, sizeof(dir));
    audit_rec r = rec(1, id);
    assert_int_equal(auditq_submit(q, &r), 0);
    int n = 0;
    for (int i = 0; i < 500 && !(n = events(s)); i++) {
        struct timespec ms = {0, 1000 * 1000};
        nanosleep(&ms, NULL);
    }
    assert_int_equal(n, 1);
    auditq_free(q);
    assert_int_equal(fixture_store_close(s, dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flush_commits_what_came_before),
        cmocka_unit_test(test_queued_reads_commit_unasked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
