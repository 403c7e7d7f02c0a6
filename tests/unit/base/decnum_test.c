/* src/base/decnum.c: DynamoDB's numbers, parsed, compared, added and printed exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/decnum.h"

static decnum num(const char *s)
{
    decnum d;
    assert_int_equal(decnum_parse(s, strlen(s), &d), DECNUM_OK);
    return d;
}

static void canon(const char *in, const char *want)
{
    decnum d = num(in);
    char out[DECNUM_STR_MAX];
    decnum_str(&d, out);
    assert_string_equal(out, want);
}

static void canonical_text(void **st)
{
    (void)st;
    canon("1.50", "1.5");
    canon("+001.500e1", "15");
    canon("-0.00", "0");
    canon("1e2", "100");
    canon(".5", "0.5");
    canon("5.", "5");
    canon("-12.34E-3", "-0.01234");
    canon("1E-130", "0.0000000000000000000000000000000000000000000000000000000000000000000000"
                    "000000000000000000000000000000000000000000000000000000000001");
    canon("12345678901234567890123456789012345678", "12345678901234567890123456789012345678");
    canon("1000000000000000000000000000000000000000000000000000", /* trailing zeros are free */
          "1000000000000000000000000000000000000000000000000000");
}

static void rejects(void **st)
{
    (void)st;
    decnum d;
    const char *bad[] = {"", "-", "abc", "1..2", "1e", "1e+", " 1", "1 ", "0x10", "1.2.3", "e5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(decnum_parse(bad[i], strlen(bad[i]), &d), DECNUM_SYNTAX);
    const char *p39 = "123456789012345678901234567890123456789";
    assert_int_equal(decnum_parse(p39, strlen(p39), &d), DECNUM_PRECISION);
    assert_int_equal(decnum_parse("1e126", 5, &d), DECNUM_OVERFLOW);
    assert_int_equal(decnum_parse("9.9e125", 7, &d), DECNUM_OK);
    assert_int_equal(decnum_parse("1e-131", 6, &d), DECNUM_UNDERFLOW);
    assert_int_equal(decnum_parse("0e999999999999", 14, &d), DECNUM_OK);
    assert_int_equal(decnum_parse("1e999999999999", 14, &d), DECNUM_OVERFLOW);
    assert_non_null(decnum_message(DECNUM_SYNTAX));
    assert_null(decnum_message(DECNUM_OK));
}

static void order(void **st)
{
    (void)st;
    const char *sorted[] = {"-1e125", "-100",    "-12.5", "-12",    "-1.23",  "-1.2", "-1",
                            "-0.5",   "-1e-130", "0",     "1e-130", "0.5",    "1",    "1.2",
                            "1.23",   "12",      "12.5",  "100",    "9.9e125"};
    size_t n = sizeof(sorted) / sizeof(sorted[0]);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            decnum a = num(sorted[i]), b = num(sorted[j]);
            int want = i < j ? -1 : i > j;
            int got = decnum_cmp(&a, &b);
            assert_int_equal(got < 0 ? -1 : got > 0, want);
            char ka[DECNUM_KEY_MAX], kb[DECNUM_KEY_MAX];
            decnum_sortkey(&a, ka);
            decnum_sortkey(&b, kb);
            got = strcmp(ka, kb);
            assert_int_equal(got < 0 ? -1 : got > 0, want);
        }
    decnum a = num("1.50"), b = num("1.5");
    assert_int_equal(decnum_cmp(&a, &b), 0);
}

static void sum(const char *x, const char *y, int sub, const char *want)
{
    decnum a = num(x), b = num(y), r;
    assert_int_equal(sub ? decnum_sub(&a, &b, &r) : decnum_add(&a, &b, &r), DECNUM_OK);
    char out[DECNUM_STR_MAX];
    decnum_str(&r, out);
    assert_string_equal(out, want);
}

static void arithmetic(void **st)
{
    (void)st;
    sum("1", "2", 0, "3");
    sum("0.1", "0.2", 0, "0.3"); /* not 0.30000000000000004 */
    sum("9.99", "0.01", 0, "10");
    sum("1", "5", 1, "-4");
    sum("-1.5", "1.5", 0, "0");
    sum("100", "0.001", 1, "99.999");
    sum("-3", "-4", 0, "-7");
    sum("0", "-2.5", 0, "-2.5");
    sum("12345678901234567890123456789012345678", "1", 1, "12345678901234567890123456789012345677");
    decnum a = num("1e100"), b = num("1e-100"), r;
    assert_int_equal(decnum_add(&a, &b, &r), DECNUM_PRECISION);
    a = num("9.9e125");
    b = num("1e125");
    assert_int_equal(decnum_add(&a, &b, &r), DECNUM_OVERFLOW);
    a = num("1e-130");
    b = num("1.1e-130");
    assert_int_equal(decnum_sub(&a, &b, &r), DECNUM_UNDERFLOW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(canonical_text),
        cmocka_unit_test(rejects),
        cmocka_unit_test(order),
        cmocka_unit_test(arithmetic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
