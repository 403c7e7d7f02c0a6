/* src/svc/s3/notify.c: event-name patterns and key filters of notification configurations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "svc/s3/s3_int.h"

static void test_event_patterns(void **state)
{
    (void)state;
    assert_true(s3_event_matches("s3:ObjectCreated:*", "s3:ObjectCreated:Put"));
    assert_true(s3_event_matches("s3:ObjectCreated:*", "s3:ObjectCreated:CompleteMultipartUpload"));
    assert_true(s3_event_matches("s3:ObjectCreated:Copy", "s3:ObjectCreated:Copy"));
    assert_false(s3_event_matches("s3:ObjectCreated:Copy", "s3:ObjectCreated:Put"));
    assert_false(s3_event_matches("s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"));
    assert_true(s3_event_matches("s3:ObjectRemoved:*", "s3:ObjectRemoved:DeleteMarkerCreated"));
    /* the wildcard stands for a whole last part, not a prefix of the type */
    assert_false(s3_event_matches("s3:ObjectCreated:*", "s3:ObjectCreatedX:Put"));
    assert_false(
        s3_event_matches("s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated"));
    assert_false(s3_event_matches("*", "s3:ObjectCreated:Put"));
}

static json_t *filter(const char *json)
{
    json_t *f = json_loads(json, 0, NULL);
    assert_non_null(f);
    return f;
}

static void test_key_filters(void **state)
{
    (void)state;
    assert_true(s3_filter_matches(NULL, "any/key"));
    json_t *f = filter("{\"Key\":{\"FilterRules\":[{\"Name\":\"prefix\",\"Value\":\"in/\"},"
                       "{\"Name\":\"Suffix\",\"Value\":\".zip\"}]}}");
    assert_true(s3_filter_matches(f, "in/a.zip"));
    assert_true(s3_filter_matches(f, "in/.zip"));
    assert_false(s3_filter_matches(f, "in/a.zi"));
    assert_false(s3_filter_matches(f, "out/a.zip"));
    assert_false(s3_filter_matches(f, "in"));
    assert_false(s3_filter_matches(f, ""));
    json_decref(f);
    f = filter("{\"Key\":{\"FilterRules\":[{\"Name\":\"suffix\",\"Value\":\"longer-than-key\"}]}}");
    assert_false(s3_filter_matches(f, "key"));
    json_decref(f);
    f = filter("{\"Key\":{\"FilterRules\":[]}}");
    assert_true(s3_filter_matches(f, ""));
    json_decref(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_patterns),
        cmocka_unit_test(test_key_filters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
