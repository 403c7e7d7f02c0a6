/* Unit tests for src/iam internals (match.c, vars.c) and the public API edges
 * (policy.h accessors and limits, eval.h results, messages, context building). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iam/eval.h"
#include "iam/iam_int.h"
#include "iam/policy.h"

#define G(p, s) iam_glob(p, strlen(p), s, strlen(s), 0)
#define A(p, s) iam_arn_glob(p, strlen(p), s, strlen(s))

static iam_policy *parse(const char *s, int kind)
{
    ferr e = {0};
    iam_policy *p = iam_policy_parse(s, strlen(s), kind, &e);
    if (!p) fprintf(stderr, "rejected: %s\n", e.message);
    assert_non_null(p);
    return p;
}

static void test_glob(void **state)
{
    (void)state;
    assert_true(G("", ""));
    assert_false(G("", "a"));
    assert_true(G("*", ""));
    assert_true(G("a*b*c", "aXXbYYc"));
    assert_true(G("a*b*c", "abbbc"));
    assert_false(G("a*b*c", "aXXbYY"));
    assert_true(G("*.json", "a/b/c.json"));
    assert_false(G("?", ""));
    assert_true(G("??", "ab"));
    assert_true(G("a\\*", "a*"));
    assert_false(G("a\\*", "ab"));
    assert_true(G("a\\?b", "a?b"));
    assert_true(G("a\\\\b", "a\\b"));
    assert_true(G("**x", "abx"));
    assert_false(iam_glob("ABC", 3, "abc", 3, 0));
    assert_true(iam_glob("AB*", 3, "abc", 3, 1));
    /* pathological backtracking stays linear-ish */
    char s[4097];
    memset(s, 'a', 4096);
    s[4096] = 0;
    assert_false(G("*a*a*a*a*a*a*a*a*b", s));
}

static void test_arn_glob(void **state)
{
    (void)state;
    assert_true(A("arn:aws:s3:::b/*", "arn:aws:s3:::b/k"));
    assert_true(A("arn:aws:sqs:*:1:q", "arn:aws:sqs:us-east-1:1:q"));
    assert_false(A("arn:aws:sqs:*:q", "arn:aws:sqs:us-east-1:1:q")); /* '*' stays in region */
    assert_true(A("arn:aws:sqs:*", "arn:aws:sqs:us-east-1:1:q"));    /* last part takes the rest */
    assert_true(A("arn:aws:logs:*:*:log-group:*", "arn:aws:logs:r:1:log-group:g:log-stream:s"));
    assert_false(A("arn:aws:s3:::b", "arn:aws:s3:::b/x"));
    assert_false(A("arn:aws:s3:::b/*", "arn:aws"));
    assert_true(A("*", "anything"));
    assert_true(A("arn:aws:iam::*:role/a\\:b", "arn:aws:iam::1:role/a:b"));
}

static void test_pat_kinds(void **state)
{
    (void)state;
    arena *a = arena_new(0);
    iam_pat p;
    assert_int_equal(iam_pat_compile(a, "*", 1, 1, 1, &p), 0);
    assert_int_equal(p.kind, PAT_ANY);
    assert_int_equal(iam_pat_compile(a, "*", 1, 1, 0, &p), 0); /* StringEquals "*" is literal */
    assert_int_equal(p.kind, PAT_GLOB);
    assert_string_equal(p.s, "\\*");
    assert_int_equal(iam_pat_compile(a, "s3:get*", 7, 0, 1, &p), 0);
    assert_int_equal(p.kind, PAT_PREFIX);
    assert_int_equal(p.len, 6);
    assert_int_equal(iam_pat_compile(a, "s3:get", 6, 0, 1, &p), 0);
    assert_int_equal(p.kind, PAT_LIT);
    assert_int_equal(iam_pat_compile(a, "s3:*Object", 10, 0, 1, &p), 0);
    assert_int_equal(p.kind, PAT_GLOB);
    assert_int_equal(iam_pat_compile(a, "a/${$}", 6, 1, 1, &p), 0);
    assert_int_equal(p.kind, PAT_LIT);
    assert_string_equal(p.s, "a/$");
    assert_int_equal(iam_pat_compile(a, "a/${aws:username}/*", 19, 0, 1, &p), 0); /* 2008 */
    assert_int_equal(p.kind, PAT_PREFIX);
    const char *t = "x/${aws:username, 'def'}/${*}/${unterminated";
    assert_int_equal(iam_pat_compile(a, t, strlen(t), 1, 1, &p), 0);
    assert_int_equal(p.kind, PAT_VARS);
    assert_int_equal(p.nparts, 3);
    assert_true(p.parts[1].is_var);
    assert_string_equal(p.parts[1].s, "aws:username");
    assert_string_equal(p.parts[1].def, "def");

    iam_request r = {0};
    iam_env env = {.req = &r};
    char buf[64];
    assert_int_equal(iam_pat_expand(&p, &env, buf, sizeof(buf)),
                     (long)strlen("x/def/\\*/${unterminated"));
    assert_string_equal(buf, "x/def/\\*/${unterminated");
    assert_int_equal(iam_pat_expand(&p, &env, buf, 8), -2);
    const char *u = "${aws:userid}";
    assert_int_equal(iam_pat_compile(a, u, strlen(u), 1, 1, &p), 0);
    assert_int_equal(iam_pat_match(&p, &env, PM_STR, "x", 1), -1);
    arena_free(a);
}

static void test_policy_api(void **state)
{
    (void)state;
    const char *doc =
        "{\"Version\":\"2012-10-17\",\"Id\":\"Doc1\",\"Statement\":["
        "{\"Sid\":\"One\",\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"},"
        "{\"Effect\":\"Deny\",\"Action\":\"s3:Delete*\",\"Resource\":\"*\"}]}";
    iam_policy *p = parse(doc, IAM_KIND_IDENTITY);
    assert_string_equal(iam_policy_name(p), "Doc1");
    assert_int_equal(iam_policy_version(p), 2012);
    assert_int_equal(iam_policy_kind(p), IAM_KIND_IDENTITY);
    assert_int_equal(iam_policy_nstatements(p), 2);
    assert_string_equal(iam_policy_sid(p, 0), "One");
    assert_string_equal(iam_policy_sid(p, 1), "");
    assert_string_equal(iam_policy_sid(p, 9), "");
    assert_int_equal(iam_policy_set_name(p, "arn:aws:iam::111122223333:policy/P"), 0);
    assert_string_equal(iam_policy_name(p), "arn:aws:iam::111122223333:policy/P");
    iam_policy_free(p);
    iam_policy_free(NULL);

    assert_int_equal(iam_policy_size(" { \"a\" :\n\t1 } ", 14), 7);

    ferr e = {0};
    assert_null(iam_policy_parse(NULL, 0, IAM_KIND_IDENTITY, &e));
    assert_string_equal(e.code, "MalformedPolicyDocument");
    assert_null(iam_policy_parse("{}", 2, 42, &e));
    assert_string_equal(e.code, "InternalFailure");
    char *big = malloc(IAM_POLICY_PARSE_MAX + 2);
    memset(big, ' ', IAM_POLICY_PARSE_MAX + 1);
    big[IAM_POLICY_PARSE_MAX + 1] = 0;
    assert_null(iam_policy_parse(big, IAM_POLICY_PARSE_MAX + 1, IAM_KIND_IDENTITY, &e));
    assert_string_equal(e.code, "LimitExceeded");
    free(big);
    /* embedded NUL is a syntax error, not a truncated document */
    assert_null(iam_policy_parse("{\"Version\":\"2012-10-17\"}\0x", 26, IAM_KIND_IDENTITY, &e));
    assert_string_equal(e.message, "Syntax errors in policy.");
}

static void user(principal *p)
{
    memset(p, 0, sizeof(*p));
    p->kind = PRIN_USER;
    strcpy(p->account, "444455556666");
    strcpy(p->arn, "arn:aws:iam::444455556666:user/carol");
    strcpy(p->name, "carol");
}

static void test_results_and_messages(void **state)
{
    (void)state;
    iam_policy *id = parse("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Q\",\"Effect\":"
                           "\"Allow\",\"Action\":\"sqs:*\",\"Resource\":\"*\"}]}",
                           IAM_KIND_IDENTITY);
    iam_policy *rp =
        parse("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"X\",\"Effect\":"
              "\"Allow\",\"Principal\":{\"AWS\":\"444455556666\"},\"Action\":\"sqs:*\"}]}",
              IAM_KIND_RESOURCE);
    iam_policy_set_name(id, "inline:q");
    principal p;
    user(&p);
    const iam_policy *idv[1] = {id};
    iam_request r = {.principal = &p,
                     .action = "sqs:SendMessage",
                     .resource = "arn:aws:sqs:us-east-1:111122223333:q",
                     .resource_account = "111122223333",
                     .identity = {idv, 1},
                     .resource_policy = rp};
    iam_result res;
    assert_int_equal(iam_evaluate(&r, &res), IAM_ALLOW);
    assert_int_equal(res.nrefs, 2);
    assert_int_equal(res.refs[0].by, IAM_BY_IDENTITY);
    assert_string_equal(res.refs[0].sid, "Q");
    assert_string_equal(res.refs[0].policy_name, "inline:q");
    assert_ptr_equal(res.refs[0].policy, id);
    assert_int_equal(res.refs[1].by, IAM_BY_RESOURCE);
    assert_string_equal(res.refs[1].sid, "X");
    assert_int_equal(res.refs[1].index, 0);
    char msg[256];
    assert_int_equal(iam_denied_message(&r, &res, msg, sizeof(msg)), 0);
    assert_string_equal(msg, "");

    r.resource_policy = NULL;
    assert_int_equal(iam_evaluate(&r, &res), IAM_IMPLICIT_DENY);
    assert_int_equal(res.by, IAM_BY_RESOURCE);
    char small[16];
    int want = iam_denied_message(&r, &res, small, sizeof(small));
    assert_true(want > (int)sizeof(small));
    assert_int_equal(strlen(small), sizeof(small) - 1);

    /* a too-long action name matches nothing; a NULL request is a deny */
    char longact[300];
    memset(longact, 'a', sizeof(longact) - 1);
    longact[sizeof(longact) - 1] = 0;
    longact[3] = ':';
    r.action = longact;
    r.resource_account = NULL;
    assert_int_equal(iam_evaluate(&r, &res), IAM_IMPLICIT_DENY);
    assert_int_equal(iam_evaluate(NULL, &res), IAM_IMPLICIT_DENY);
    iam_policy_free(id);
    iam_policy_free(rp);
}

static void test_add_key(void **state)
{
    (void)state;
    arena *a = arena_new(0);
    iam_request r = {0};
    const char *v1[] = {"203.0.113.1"}, *v2[] = {"a", "b"};
    assert_int_equal(iam_request_add_key(&r, a, "aws:SourceIp", v1, 1), 0);
    assert_int_equal(iam_request_add_key(&r, a, "aws:TagKeys", v2, 2), 0);
    assert_int_equal(iam_request_add_key(&r, a, "aws:CalledVia", NULL, 0), 0);
    assert_int_equal(r.nkeys, 3);
    iam_env env = {.req = &r};
    const char *const *vals;
    size_t n;
    assert_int_equal(iam_env_lookup(&env, "AWS:tagkeys", 11, &vals, &n), 1);
    assert_int_equal(n, 2);
    assert_string_equal(vals[1], "b");
    assert_int_equal(iam_env_lookup(&env, "aws:calledvia", 13, &vals, &n), 1);
    assert_int_equal(n, 0);
    assert_int_equal(iam_env_lookup(&env, "aws:username", 12, &vals, &n), 0);
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glob),
        cmocka_unit_test(test_arn_glob),
        cmocka_unit_test(test_pat_kinds),
        cmocka_unit_test(test_policy_api),
        cmocka_unit_test(test_results_and_messages),
        cmocka_unit_test(test_add_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
