/* events_emit (src/svc/events/put.c), the entry point other services put their AWS events
 * through: inside the caller's transaction, the envelope is matched against the default
 * bus's enabled rules and one delivery is queued per target; a rollback leaves nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "fixture.h"
#include "svc/events/documents.h"
#include "svc/events/events.h"

static const char *const ACCT = "111122223333", *const REGION = "us-east-1";

static void put_rule(store *st, const char *id, const char *doc)
{
    store_txn *t;
    ferr e = {0};
    json_t *d = json_loads(doc, 0, NULL);
    assert_non_null(d);
    store_key k = {EVENTS_RULE_KIND, ACCT, REGION, id};
    assert_int_equal(store_begin(st, 1, &t, &e), 0);
    assert_int_equal(store_put(t, &k, d, &e), 0);
    assert_int_equal(store_commit(t, &e), 0);
    json_decref(d);
}

static int collect(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    assert_int_equal(json_array_append(ud, doc), 0);
    return 0;
}

static json_t *deliveries(store *st)
{
    store_txn *t;
    ferr e = {0};
    json_t *all = json_array();
    assert_int_equal(store_begin(st, 0, &t, &e), 0);
    assert_true(
        store_list(t, EVENTS_DELIVERY_KIND, ACCT, REGION, NULL, NULL, 0, collect, all, &e) >= 0);
    store_rollback(t);
    return all;
}

/* events_emit in a transaction of its own, committed or rolled back. */
static void emit(store *st, const json_t *detail, const json_t *res, int commit)
{
    store_txn *t;
    ferr e = {0};
    assert_int_equal(store_begin(st, 1, &t, &e), 0);
    assert_int_equal(events_emit(t, ACCT, REGION, "aws.codecommit",
                                 "CodeCommit Repository State Change", detail, res, &e),
                     0);
    if (commit)
        assert_int_equal(store_commit(t, &e), 0);
    else
        store_rollback(t);
}

static void test_emit(void **state)
{
    (void)state;
    char dir[64];
    store *st = fixture_store_open(dir, sizeof(dir), "events-emit");
    assert_non_null(st);
    put_rule(st, "default|push",
             "{\"Name\":\"push\",\"EventBusName\":\"default\",\"State\":\"ENABLED\","
             "\"EventPattern\":\"{\\\"source\\\":[\\\"aws.codecommit\\\"],\\\"detail\\\":{"
             "\\\"referenceName\\\":[\\\"main\\\"]}}\","
             "\"Targets\":[{\"Id\":\"a\",\"Arn\":\"arn:aws:sqs:us-east-1:111122223333:q\"},"
             "{\"Id\":\"b\",\"Arn\":\"arn:aws:lambda:us-east-1:111122223333:function:f\"}]}");
    put_rule(st, "default|off",
             "{\"Name\":\"off\",\"EventBusName\":\"default\",\"State\":\"DISABLED\","
             "\"EventPattern\":\"{\\\"source\\\":[\\\"aws.codecommit\\\"]}\","
             "\"Targets\":[{\"Id\":\"c\",\"Arn\":\"arn:aws:sqs:us-east-1:111122223333:q\"}]}");
    put_rule(st, "other|push",
             "{\"Name\":\"push\",\"EventBusName\":\"other\",\"State\":\"ENABLED\","
             "\"EventPattern\":\"{\\\"source\\\":[\\\"aws.codecommit\\\"]}\","
             "\"Targets\":[{\"Id\":\"d\",\"Arn\":\"arn:aws:sqs:us-east-1:111122223333:q\"}]}");
    json_t *detail = json_pack("{s:s, s:s}", "referenceName", "main", "event", "referenceUpdated");
    json_t *res = json_pack("[s]", "arn:aws:codecommit:us-east-1:111122223333:repo");
    /* rolled back: nothing queued */
    emit(st, detail, res, 0);
    json_t *got = deliveries(st);
    assert_int_equal(json_array_size(got), 0);
    json_decref(got);
    /* committed: one delivery per target of the matching enabled rule on the default bus */
    emit(st, detail, res, 1);
    got = deliveries(st);
    assert_int_equal(json_array_size(got), 2);
    const json_t *d = json_array_get(got, 0), *ev = json_object_get(d, "Event");
    assert_string_equal(json_string_value(json_object_get(d, "RuleArn")),
                        "arn:aws:events:us-east-1:111122223333:rule/push");
    assert_string_equal(json_string_value(json_object_get(ev, "version")), "0");
    assert_string_equal(json_string_value(json_object_get(ev, "source")), "aws.codecommit");
    assert_string_equal(json_string_value(json_object_get(ev, "detail-type")),
                        "CodeCommit Repository State Change");
    assert_string_equal(json_string_value(json_object_get(ev, "account")), ACCT);
    assert_string_equal(json_string_value(json_object_get(ev, "region")), REGION);
    assert_true(json_equal(json_object_get(ev, "detail"), detail));
    assert_true(json_equal(json_object_get(ev, "resources"), res));
    assert_int_equal(strlen(json_string_value(json_object_get(ev, "id"))), 36);
    /* both targets got the same event */
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_array_get(got, 1), "Event"), "id")),
        json_string_value(json_object_get(ev, "id")));
    json_decref(got);
    /* another branch matches nothing */
    json_object_set_new(detail, "referenceName", json_string("dev"));
    emit(st, detail, NULL, 1);
    got = deliveries(st);
    assert_int_equal(json_array_size(got), 2);
    json_decref(got);
    json_decref(detail);
    json_decref(res);
    assert_int_equal(fixture_store_close(st, dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
