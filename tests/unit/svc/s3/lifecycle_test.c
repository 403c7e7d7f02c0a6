/* src/svc/s3/lifecycle.c: which current objects a lifecycle rule expires, and when. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "svc/s3/s3_int.h"

#define DAY 86400.0

static json_t *j(const char *s)
{
    json_t *v = json_loads(s, 0, NULL);
    assert_non_null(v);
    return v;
}

static void test_days_round_up_to_midnight(void **state)
{
    (void)state;
    json_t *r = j("{\"Status\":\"Enabled\",\"Filter\":{},\"Expiration\":{\"Days\":3}}");
    /* AWS: made on day 10 at 10:30 with 3 days -> due at the start of day 14 */
    double made = 10 * DAY + 10.5 * 3600;
    json_t *o = json_pack("{s:f, s:i}", "LastModified", made, "Size", 1);
    assert_false(s3_lifecycle_expires(r, "k", o, 13 * DAY + 10.5 * 3600));
    assert_false(s3_lifecycle_expires(r, "k", o, 14 * DAY - 1));
    assert_true(s3_lifecycle_expires(r, "k", o, 14 * DAY));
    json_decref(o);
    /* made exactly at midnight: due exactly 3 days later */
    o = json_pack("{s:f}", "LastModified", 10 * DAY);
    assert_false(s3_lifecycle_expires(r, "k", o, 13 * DAY - 1));
    assert_true(s3_lifecycle_expires(r, "k", o, 13 * DAY));
    json_decref(o);
    json_decref(r);
}

static void test_filters_status_and_dates(void **state)
{
    (void)state;
    json_t *o = j("{\"LastModified\":0,\"Size\":100,\"Tags\":[{\"Key\":\"c\",\"Value\":\"tmp\"}]}");
    json_t *r = j("{\"Status\":\"Enabled\",\"Filter\":{\"And\":{\"Prefix\":\"logs/\",\"Tags\":"
                  "[{\"Key\":\"c\",\"Value\":\"tmp\"}],\"ObjectSizeGreaterThan\":99}},"
                  "\"Expiration\":{\"Date\":86400}}");
    assert_true(s3_lifecycle_expires(r, "logs/a", o, DAY));
    assert_false(s3_lifecycle_expires(r, "logs/a", o, DAY - 1)); /* before the date */
    assert_false(s3_lifecycle_expires(r, "other/a", o, DAY));    /* prefix */
    json_decref(r);
    r = j("{\"Status\":\"Enabled\",\"Filter\":{\"Tag\":{\"Key\":\"c\",\"Value\":\"keep\"}},"
          "\"Expiration\":{\"Date\":\"1970-01-02T00:00:00Z\"}}");
    assert_false(s3_lifecycle_expires(r, "a", o, 2 * DAY)); /* tag value differs */
    json_decref(r);
    r = j("{\"Status\":\"Enabled\",\"Filter\":{\"ObjectSizeLessThan\":100},"
          "\"Expiration\":{\"Date\":\"1970-01-02T00:00:00Z\"}}");
    assert_false(s3_lifecycle_expires(r, "a", o, 2 * DAY)); /* not smaller than 100 */
    json_decref(r);
    r = j("{\"Status\":\"Enabled\",\"Prefix\":\"a\",\"Expiration\":{\"Date\":\"1970-01-02T00:00:"
          "00Z\"}}");
    assert_true(s3_lifecycle_expires(r, "a", o, 2 * DAY)); /* legacy Prefix, ISO date */
    json_decref(r);
    r = j("{\"Status\":\"Disabled\",\"Filter\":{},\"Expiration\":{\"Days\":1}}");
    assert_false(s3_lifecycle_expires(r, "a", o, 100 * DAY));
    json_decref(r);
    r = j("{\"Status\":\"Enabled\",\"Filter\":{},\"AbortIncompleteMultipartUpload\":"
          "{\"DaysAfterInitiation\":1}}");
    assert_false(s3_lifecycle_expires(r, "a", o, 100 * DAY)); /* no Expiration */
    json_decref(r);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days_round_up_to_midnight),
        cmocka_unit_test(test_filters_status_and_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
