/* Filter patterns (src/svc/logs/filter.c): terms, quoted phrases, exclusions and optional
 * terms; JSON patterns with every operator, IS NULL/TRUE/FALSE, (NOT) EXISTS, indexes and
 * nesting; space-delimited patterns with ellipses, wildcards and numeric conditions; the
 * patterns AWS refuses. Cases are data: pattern, message, expected match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "svc/logs/filter.h"

typedef struct mcase {
    const char *pattern, *msg;
    int want;
} mcase;

static void run(const mcase *cs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ferr e = {0};
        logs_filter *f = logs_filter_parse(cs[i].pattern, &e);
        if (!f) fail_msg("pattern refused: %s (%s)", cs[i].pattern, e.message);
        int got = logs_filter_match(f, cs[i].msg, strlen(cs[i].msg));
        if (got != cs[i].want)
            fail_msg("%s on %s: got %d, want %d", cs[i].pattern, cs[i].msg, got, cs[i].want);
        logs_filter_free(f);
    }
}

static void test_terms(void **state)
{
    (void)state;
    static const mcase cs[] = {
        {"", "anything", 1},
        {"\"\"", "anything", 1},
        {"ERROR", "an ERROR here", 1},
        {"ERROR", "an error here", 0}, /* case-sensitive */
        {"ERROR Exception", "ERROR: NullPointerException", 1},
        {"ERROR Exception", "ERROR only", 0},
        {"\"disk full\"", "ERROR disk full", 1},
        {"\"disk full\"", "disk is full", 0},
        {"ERROR -Exiting", "ERROR Exiting now", 0},
        {"ERROR -Exiting", "ERROR continuing", 1},
        {"?ERROR ?WARN", "a WARN", 1},
        {"?ERROR ?WARN", "INFO", 0},
        {"-\"not me\"", "fine", 1},
        {"\"a \\\"quoted\\\" word\"", "say a \"quoted\" word", 1},
    };
    run(cs, sizeof(cs) / sizeof(cs[0]));
}

static void test_json(void **state)
{
    (void)state;
    const char *m = "{\"level\":\"ERROR\",\"n\":42,\"f\":1.5,\"u\":{\"id\":\"u-7\"},\"a\":[1,"
                    "\"x\"],\"z\":null,\"t\":true,\"no\":false}";
    static const char *const yes[] = {
        "{ $.level = \"ERROR\" }",
        "{$.level=ERROR}",
        "{ $.level = \"ERR*\" }",
        "{ $.level = \"*RO*\" }",
        "{ $.level != \"INFO\" }",
        "{ $.n = 42 }",
        "{ $.n > 41 && $.n < 43 }",
        "{ $.n >= 42 && $.n <= 42 }",
        "{ $.f > 1.4 }",
        "{ $.u.id = \"u-7\" }",
        "{ $.a[1] = \"x\" }",
        "{ $.a[0] = 1 }",
        "{ $.z IS NULL }",
        "{ $.t IS TRUE }",
        "{ $.no IS FALSE }",
        "{ $.missing NOT EXISTS }",
        "{ $.n EXISTS }",
        "{ $.n = 1 || $.level = \"ERROR\" }",
        "{ ($.n = 1 || $.n = 42) && ($.level = \"ERROR\") }",
        "{ (($.n = 42)) }",
    };
    static const char *const no[] = {
        "{ $.level = \"INFO\" }",  "{ $.n > 42 }",
        "{ $.n != 42 }",           "{ $.u.id = \"u-8\" }",
        "{ $.a[5] = 1 }",          "{ $.n IS NULL }",
        "{ $.t IS FALSE }",        "{ $.n NOT EXISTS }",
        "{ $.missing = \"x\" }",   "{ $.level > 1 }",
        "{ $.n = 1 && $.n = 42 }",
    };
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        mcase c = {yes[i], m, 1};
        run(&c, 1);
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        mcase c = {no[i], m, 0};
        run(&c, 1);
    }
    /* a message that is not JSON matches no JSON pattern */
    mcase c = {"{ $.missing NOT EXISTS }", "plain text", 0};
    run(&c, 1);
}

static void test_space_delimited(void **state)
{
    (void)state;
    const char *apache = "127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] \"GET /apache_pb.gif "
                         "HTTP/1.0\" 404 1534";
    const mcase cs[] = {
        {"[ip, user, username, timestamp, request, status_code, bytes]", apache, 1},
        {"[ip, user, username, timestamp, request, status_code = 4*, bytes]", apache, 1},
        {"[ip, user, username, timestamp, request, status_code = 5*, bytes]", apache, 0},
        {"[ip, user, username, timestamp, request, status_code, bytes > 1000]", apache, 1},
        {"[ip, user, username, timestamp, request, status_code, bytes < 1000]", apache, 0},
        {"[..., status_code = 404, bytes]", apache, 1},
        {"[ip = 127.*, ...]", apache, 1},
        {"[ip = 10.*, ...]", apache, 0},
        {"[..., request = \"*gif*\", status, bytes]", apache, 1},
        {"[..., timestamp = \"10/Oct/2000*\", request, status, bytes]", apache, 1},
        {"[..., status = 500 || status = 404, bytes]", apache, 1},
        {"[..., status != 404, bytes]", apache, 0},
        {"[..., status >= 400 && status < 500, bytes]", apache, 1},
        {"[a, b]", apache, 0}, /* the count must agree without an ellipsis */
        {"[..., a, ..., b = 1534]", apache, 1},
        {"[...]", "", 1},
    };
    run(cs, sizeof(cs) / sizeof(cs[0]));
}

static void test_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{ $.a = ",         "{ $.a = 1",    "{ a = 1 }",     "{ $.a > x }", "{ $ = 1 }",
        "{ $.a[x] = 1 }",   "[a, b",        "[a, b c]",      "[a = ]",      "\"unterminated",
        "{ $.a IS MAYBE }", "{ ($.a = 1 }", "{ $.a = 1 } x",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ferr e = {0};
        logs_filter *f = logs_filter_parse(bad[i], &e);
        if (f) fail_msg("accepted: %s", bad[i]);
        assert_string_equal(e.code, "InvalidParameterException");
        assert_string_equal(e.message, "Invalid filter pattern");
        assert_int_equal(e.status, 400);
    }
    /* parentheses nest only so deep */
    char deep[200] = "{ ";
    for (int i = 0; i < 40; i++) strcat(deep, "(");
    strcat(deep, "$.a = 1");
    for (int i = 0; i < 40; i++) strcat(deep, ")");
    strcat(deep, " }");
    ferr e = {0};
    assert_null(logs_filter_parse(deep, &e));
    logs_filter_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_terms),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_space_delimited),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
