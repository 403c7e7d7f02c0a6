/* Unit tests for src/iam/span.c: where a statement is in its policy's text, as IAM's policy
 * simulator reports it (StartPosition, EndPosition). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "iam/span.h"

static void check(const char *doc, size_t index, int l1, int c1, int l2, int c2)
{
    iam_pos a = {0}, b = {0};
    assert_int_equal(iam_stmt_span(doc, strlen(doc), index, &a, &b), 0);
    assert_int_equal(a.line, l1);
    assert_int_equal(a.column, c1);
    assert_int_equal(b.line, l2);
    assert_int_equal(b.column, c2);
}

static void fails(const char *doc, size_t index)
{
    iam_pos a, b;
    assert_int_equal(iam_stmt_span(doc, doc ? strlen(doc) : 0, index, &a, &b), -1);
}

/* The AWS CLI's examples of simulate-custom-policy and simulate-principal-policy. */
static void test_aws_examples(void **state)
{
    (void)state;
    check("{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
          "\"dynamodb:*\",\"Resource\":\"*\",\"Condition\":{\"DateGreaterThan\":{"
          "\"aws:CurrentTime\":\"2018-08-16T12:00:00Z\"}}}}",
          0, 1, 38, 1, 167);
    check("{\n    \"Version\": \"2012-10-17\",\n    \"Statement\": {\n"
          "        \"Sid\": \"Grant-Access-To-CodeCommit-ListRepo\",\n"
          "        \"Effect\": \"Allow\",\n        \"Action\": \"codecommit:ListRepositories\",\n"
          "        \"Resource\": \"*\"\n\n        }\n}",
          0, 3, 19, 9, 10);
}

static void test_lists_strings_and_line_ends(void **state)
{
    (void)state;
    /* braces and quotes inside strings do not count; "\r\n" is one line end, "\r" one too */
    const char *d = "{\"Id\":\"{[\\\"\",\"Statement\":[{\"Sid\":\"}\"},\r\n {\"A\":[1,{}]},\r"
                    "{}],\"Version\":\"2012-10-17\"}";
    check(d, 0, 1, 28, 1, 38);
    check(d, 1, 2, 3, 2, 14);
    check(d, 2, 3, 2, 3, 3);
    fails(d, 3);
    /* columns count characters: "é" is two bytes, one column */
    check("{\"Id\":\"\xc3\xa9\",\"Statement\":{}}", 0, 1, 24, 1, 25);
}

static void test_not_a_statement(void **state)
{
    (void)state;
    fails(NULL, 0);
    fails("", 0);
    fails("[]", 0);
    fails("{\"Version\":\"2012-10-17\"}", 0);
    fails("{\"Statement\":\"x\"}", 0);
    fails("{\"Statement\":[1]}", 0);
    fails("{\"Statement\":{}}", 1);
    fails("{\"Statement\":[{}", 1);
    fails("{\"Statement\":{\"a\":\"}", 0);
    fails("{\"Stat\\u0065ment\":{}}", 0); /* an escaped name: not found, never misread */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aws_examples),
        cmocka_unit_test(test_lists_strings_and_line_ends),
        cmocka_unit_test(test_not_a_statement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
