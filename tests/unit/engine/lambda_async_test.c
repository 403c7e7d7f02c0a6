/* engine/lambda_async: AWS's retry and age rules for asynchronous invocations, pure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "fixture.h"
#include "engine/lambda_async.h"

/* AWS: a function error is retried after one minute, then two, MaximumRetryAttempts times */
static void test_function_errors_retry_after_one_then_two_minutes(void **st)
{
    (void)st;
    la_event ev = {.enqueued = 1000};
    double next = 0;
    assert_int_equal(lambda_async_next(&ev, LA_FUNCTION_ERROR, 2, 21600, 1, 1001, &next), LA_RETRY);
    assert_true(next == 1061 && ev.attempts == 1);
    assert_int_equal(lambda_async_next(&ev, LA_FUNCTION_ERROR, 2, 21600, 1, 1062, &next), LA_RETRY);
    assert_true(next == 1182 && ev.attempts == 2);
    assert_int_equal(lambda_async_next(&ev, LA_FUNCTION_ERROR, 2, 21600, 1, 1183, &next),
                     LA_RETRIES_EXHAUSTED);
    assert_string_equal(lambda_async_condition(LA_RETRIES_EXHAUSTED), "RetriesExhausted");
}

static void test_zero_retries_gives_up_at_once(void **st)
{
    (void)st;
    la_event ev = {.enqueued = 0};
    double next = 0;
    assert_int_equal(lambda_async_next(&ev, LA_FUNCTION_ERROR, 0, 21600, 1, 1, &next),
                     LA_RETRIES_EXHAUSTED);
    assert_int_equal(ev.attempts, 1);
}

/* AWS: throttles back off from one second, doubling, to at most five minutes, and do not
 * count as retries */
static void test_throttles_back_off_to_five_minutes(void **st)
{
    (void)st;
    la_event ev = {.enqueued = 0};
    double next = 0, want[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(lambda_async_next(&ev, LA_NOT_RUN, 0, 21600, 1, 10, &next), LA_RETRY);
        assert_true(next == 10 + want[i]);
    }
    assert_int_equal(ev.attempts, 0);
}

/* the maximum age bounds every retry; the time scale applies to delays and age alike */
static void test_age_and_scale(void **st)
{
    (void)st;
    la_event ev = {.enqueued = 100};
    double next = 0;
    assert_int_equal(lambda_async_next(&ev, LA_FUNCTION_ERROR, 2, 60, 1, 101, &next),
                     LA_AGE_EXCEEDED);
    la_event ev2 = {.enqueued = 100};
    assert_int_equal(lambda_async_next(&ev2, LA_FUNCTION_ERROR, 2, 120, 0.01, 100.1, &next),
                     LA_RETRY);
    assert_true(next > 100.69 && next < 100.71);
    assert_int_equal(lambda_async_next(&ev2, LA_EXPIRED, 2, 120, 1, 101, &next), LA_AGE_EXCEEDED);
    assert_string_equal(lambda_async_condition(LA_AGE_EXCEEDED), "EventAgeExceeded");
    assert_int_equal(lambda_async_next(&ev2, LA_RAN_OK, 2, 120, 1, 101, &next), LA_SUCCESS);
    assert_string_equal(lambda_async_condition(LA_SUCCESS), "Success");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_function_errors_retry_after_one_then_two_minutes),
        cmocka_unit_test(test_zero_retries_gives_up_at_once),
        cmocka_unit_test(test_throttles_back_off_to_five_minutes),
        cmocka_unit_test(test_age_and_scale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
