/* src/base/schedule.c: rate() and cron() expressions as Secrets Manager rotation takes them,
 * their next firing in UTC (weekdays, n-th and last weekdays, last day of month, leap years,
 * the end of the years a cron may name) and the rotation window's Duration. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "base/schedule.h"

static double utc(int y, int mon, int d, int h, int mi)
{
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mon - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi};
    return (double)timegm(&tm);
}

static double next(const char *expr, double after)
{
    sched s;
    const char *why = NULL;
    assert_int_equal(sched_parse(expr, &s, &why), 0);
    return sched_next(&s, after);
}

static void refused(const char *expr)
{
    sched s;
    const char *why = NULL;
    assert_int_equal(sched_parse(expr, &s, &why), -1);
    assert_non_null(why);
}

static void test_rates(void **state)
{
    (void)state;
    double t = utc(2026, 12, 4, 13, 0);
    assert_true(next("rate(10 days)", t) == t + 10 * 86400.0);
    assert_true(next("rate(1 day)", t) == t + 86400.0);
    assert_true(next("rate(4 hours)", t) == t + 4 * 3600.0);
    refused("rate(2 hours)"); /* AWS: not more often than every four hours */
    refused("rate(0 days)");
    refused("rate(1001 days)");
    refused("rate(5 minutes)");
    refused("rate(10days)");
    refused("rate(-1 days)");
    refused("rate 10 days");
}

static void test_crons(void **state)
{
    (void)state;
    /* Friday 4 December 2026 */
    double fri = utc(2026, 12, 4, 9, 0);
    assert_true(next("cron(0 16 1,15 * ? *)", fri) == utc(2026, 12, 15, 16, 0));
    assert_true(next("cron(0 8 ? * MON-FRI *)", fri) == utc(2026, 12, 7, 8, 0));
    assert_true(next("cron(0 10 ? * MON-FRI *)", fri) == utc(2026, 12, 4, 10, 0));
    assert_true(next("cron(0 0 ? * 6#3 *)", fri) == utc(2026, 12, 18, 0, 0));
    assert_true(next("cron(30 23 ? * 1L *)", fri) == utc(2026, 12, 27, 23, 30));
    assert_true(next("cron(0 12 L * ? *)", utc(2027, 2, 1, 0, 0)) == utc(2027, 2, 28, 12, 0));
    assert_true(next("cron(0 0 29 2 ? *)", utc(2026, 3, 1, 0, 0)) == utc(2028, 2, 29, 0, 0));
    assert_true(next("cron(*/15 0/6 ? * * *)", fri) == utc(2026, 12, 4, 12, 0));
    assert_true(next("cron(0 4 1 JAN ? 2030-2032)", fri) == utc(2030, 1, 1, 4, 0));
    /* strictly after: the minute it fires at is the next one's start */
    assert_true(next("cron(0 9 * * ? *)", fri) == utc(2026, 12, 5, 9, 0));
    assert_true(next("cron(0 0 1 1 ? 2199)", utc(2199, 1, 1, 0, 0)) < 0);
    assert_true(next("cron(0 0 31 2 ? *)", fri) < 0); /* never */
    refused("cron(0 0 * * * *)");                     /* one of the two days must be ? */
    refused("cron(0 0 ? * ? *)");
    refused("cron(0 0 1 * ?)");
    refused("cron(60 0 1 * ? *)");
    refused("cron(0 24 1 * ? *)");
    refused("cron(0 0 32 * ? *)");
    refused("cron(0 0 ? * 2#6 *)");
    refused("cron(0 0 ? * 2-3L *)");
    refused("cron(0 0 1 FOO ? *)");
    refused("cron(0 0 1 * ? 1969)");
    refused("cron(0 0 1 * ? *) ");
    refused("cron(0 0/0 1 * ? *)");
    refused("");
    refused(NULL);
}

static void test_duration(void **state)
{
    (void)state;
    int h = 0;
    assert_int_equal(sched_duration("3h", &h), 0);
    assert_int_equal(h, 3);
    assert_int_equal(sched_duration("24h", &h), 0);
    assert_int_equal(sched_duration("0h", &h), -1);
    assert_int_equal(sched_duration("25h", &h), -1);
    assert_int_equal(sched_duration("3", &h), -1);
    assert_int_equal(sched_duration("3 h", &h), -1);
    assert_int_equal(sched_duration(NULL, &h), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rates),
        cmocka_unit_test(test_crons),
        cmocka_unit_test(test_duration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
