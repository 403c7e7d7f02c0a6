/* Unit tests for src/iam/inspect.c: the context keys a policy names and the services its
 * Allow statements reach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "iam/inspect.h"

static iam_policy *parse(const char *s)
{
    ferr e = {0};
    iam_policy *p = iam_policy_parse(s, strlen(s), IAM_KIND_IDENTITY, &e);
    if (!p) fprintf(stderr, "rejected: %s\n", e.message);
    assert_non_null(p);
    return p;
}

static int join(void *ud, const char *key, size_t len)
{
    char *out = ud;
    size_t n = strlen(out);
    snprintf(out + n, 512 - n, "%s%.*s", n ? "," : "", (int)len, key);
    return 0;
}

static void test_context_keys(void **state)
{
    (void)state;
    iam_policy *p = parse(
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\","
        "\"Resource\":\"arn:aws:s3:::b/${aws:username}/*\",\"Condition\":{"
        "\"StringLike\":{\"s3:prefix\":[\"${aws:userid}/*\"]},"
        "\"NumericLessThan\":{\"s3:max-keys\":\"10\"}}},"
        "{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\","
        "\"Condition\":{\"Bool\":{\"AWS:SecureTransport\":\"false\"}}}]}");
    char out[512] = "";
    assert_int_equal(iam_policy_context_keys(p, join, out), 0);
    assert_string_equal(out, "aws:username,s3:prefix,aws:userid,s3:max-keys,AWS:SecureTransport");
    iam_policy_free(p);
    /* 2008-10-17: no policy variables, ${...} is text */
    p = parse("{\"Version\":\"2008-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\","
              "\"Resource\":\"arn:aws:s3:::b/${aws:username}\"}}");
    out[0] = 0;
    assert_int_equal(iam_policy_context_keys(p, join, out), 0);
    assert_string_equal(out, "");
    iam_policy_free(p);
}

#define ALLOWS(doc, svc) iam_policy_allows_service(p = parse(doc), svc)

static void test_allows_service(void **state)
{
    (void)state;
    static const struct {
        const char *stmt, *svc;
        int want;
    } cases[] = {
        {"\"Effect\":\"Allow\",\"Action\":\"*\"", "s3", 1},
        {"\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\"", "s3", 1},
        {"\"Effect\":\"Allow\",\"Action\":\"S3:Get*\"", "s3", 1},
        {"\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\"", "s", 0},
        {"\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\"", "sqs", 0},
        {"\"Effect\":\"Allow\",\"Action\":\"s*:List*\"", "sqs", 1},
        {"\"Effect\":\"Allow\",\"Action\":\"sq*:List*\"", "s3", 0},
        {"\"Effect\":\"Allow\",\"Action\":\"s?s:Send*\"", "sns", 1},
        {"\"Effect\":\"Allow\",\"Action\":\"s?s:Send*\"", "s3", 0},
        {"\"Effect\":\"Deny\",\"Action\":\"*\"", "s3", 0},
        {"\"Effect\":\"Allow\",\"NotAction\":\"s3:*\"", "s3", 0},
        {"\"Effect\":\"Allow\",\"NotAction\":\"s3:*\"", "sqs", 1},
        {"\"Effect\":\"Allow\",\"NotAction\":\"s3:Get*\"", "s3", 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char doc[256];
        snprintf(doc, sizeof(doc),
                 "{\"Version\":\"2012-10-17\",\"Statement\":{%s,\"Resource\":\"*\"}}",
                 cases[i].stmt);
        iam_policy *p;
        int got = ALLOWS(doc, cases[i].svc);
        if (got != cases[i].want) fprintf(stderr, "case %zu: %s / %s\n", i, doc, cases[i].svc);
        assert_int_equal(got, cases[i].want);
        iam_policy_free(p);
    }
    assert_int_equal(iam_policy_allows_service(NULL, "s3"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_context_keys),
        cmocka_unit_test(test_allows_service),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
