/* cb_testfile_parse (src/svc/codebuild/testfiles.c): each format's cases, statuses,
 * durations and messages, read from the fuzz corpus's seeds (their first line is the
 * format); and the files that are not what they claim. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/codebuild/testfiles.h"

#define SEEDS FERRY_TEST_DATA "/../../fuzz/corpus/cb_testfiles_fuzz/"

/* The seed's cases as "prefix|name|status|ns|message" lines, or its error code. */
static char *run(const char *seed, int want_rc)
{
    char path[512];
    snprintf(path, sizeof(path), SEEDS "%s", seed);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char data[8192];
    size_t n = fread(data, 1, sizeof(data) - 1, f);
    fclose(f);
    data[n] = 0;
    char *nl = strchr(data, '\n');
    assert_non_null(nl);
    *nl = 0;
    json_t *cases = json_array();
    ferr e = {0};
    int rc = cb_testfile_parse(data, nl + 1, n - (size_t)(nl + 1 - data), cases, &e);
    assert_int_equal(rc, want_rc);
    static char out[4096];
    out[0] = 0;
    if (rc) {
        snprintf(out, sizeof(out), "%s", e.code);
    } else {
        size_t i;
        json_t *c;
        json_array_foreach(cases, i, c) {
            const char *m = json_string_value(json_object_get(c, "message"));
            size_t len = strlen(out);
            snprintf(out + len, sizeof(out) - len, "%s|%s|%s|%lld|%s\n",
                     json_string_value(json_object_get(c, "prefix")),
                     json_string_value(json_object_get(c, "name")),
                     json_string_value(json_object_get(c, "status")),
                     (long long)json_integer_value(json_object_get(c, "durationInNanoSeconds")),
                     m ? m : "-");
        }
    }
    json_decref(cases);
    return out;
}

static void test_junit(void **state)
{
    (void)state;
    assert_string_equal(run("junit.xml", 0), "calc.Add|adds|SUCCEEDED|12000000|-\n"
                                             "calc.Div|by zero|FAILED|1500000000|expected error\n"
                                             "calc|later|SKIPPED|0|-\n"
                                             "calc|boom|ERROR|0|NPE\n");
    assert_string_equal(run("junit_nested.xml", 0),
                        "solo|a|SUCCEEDED|0|-\ninner|b|SUCCEEDED|0|-\n");
}

static void test_testng(void **state)
{
    (void)state;
    assert_string_equal(run("testng.xml", 0), "com.ex.CalcTest|adds|SUCCEEDED|15000000|-\n"
                                              "com.ex.CalcTest|divides|FAILED|3000000|expected 2\n"
                                              "com.ex.CalcTest|later|SKIPPED|0|-\n");
}

static void test_nunit(void **state)
{
    (void)state;
    assert_string_equal(run("nunit3.xml", 0), "Ns.CalcTests|Adds|SUCCEEDED|250000000|-\n"
                                              "Ns.CalcTests|Divides|FAILED|500000000|Expected: 2\n"
                                              "Ns.CalcTests|Later|SKIPPED|0|not yet\n");
    assert_string_equal(run("nunit2.xml", 0), "Calc|Ns.Calc.Adds|SUCCEEDED|10000000|-\n"
                                              "Calc|Ns.Calc.Old|SKIPPED|0|-\n");
}

static void test_trx(void **state)
{
    (void)state;
    assert_string_equal(run("trx.xml", 0),
                        "Ns.CalcTests|Adds|SUCCEEDED|1500000000|-\n"
                        "Ns.CalcTests|Divides|FAILED|1000000|Assert.AreEqual failed\n");
}

static void test_cucumber(void **state)
{
    (void)state;
    assert_string_equal(run("cucumber.json", 0), "Calculator|adds|SUCCEEDED|3000000|-\n"
                                                 "Calculator|divides|FAILED|10|expected 2\n"
                                                 "Calculator|pending|SKIPPED|0|-\n");
}

static void test_bad_files(void **state)
{
    (void)state;
    assert_string_equal(run("junit_dtd.xml", -1), "InvalidInputException");
    assert_string_equal(run("cucumber_bad.json", -1), "InvalidInputException");
    json_t *cases = json_array();
    ferr e = {0};
    assert_int_equal(cb_testfile_parse("JUNITXML", "<html/>", 7, cases, &e), -1);
    assert_string_equal(e.code, "InvalidInputException");
    assert_int_equal(cb_testfile_parse("TESTNGXML", "<testsuite/>", 12, cases, &e), -1);
    assert_int_equal(cb_testfile_parse("JUNITXML", "<testsuite>", 11, cases, &e), -1);
    assert_int_equal(cb_testfile_parse("NOPE", "", 0, cases, &e), -1);
    assert_int_equal(json_array_size(cases), 0);
    assert_true(cb_testfile_format_known("NUNIT3XML"));
    assert_false(cb_testfile_format_known("junitxml"));
    json_decref(cases);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_junit),    cmocka_unit_test(test_testng),
        cmocka_unit_test(test_nunit),    cmocka_unit_test(test_trx),
        cmocka_unit_test(test_cucumber), cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
