/* src/svc/accessanalyzer/jpos.c: values, spans in characters, escapes, errors and where
 * they are, limits, and survival of every truncation and byte flip of a policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/accessanalyzer/jpos.h"

static jpos_node *parse(arena *a, const char *s, jpos_error *e)
{
    return jpos_parse(a, s, strlen(s), e);
}

static void test_values_and_spans(void **state)
{
    (void)state;
    arena *a = arena_new(4096);
    jpos_error e;
    const char *s = "{\n  \"a\": [1, -2.5e3, true, null],\n  \"b\": \"x\\\"y\"\n}";
    jpos_node *r = parse(a, s, &e);
    assert_non_null(r);
    assert_int_equal(r->type, JPOS_OBJECT);
    assert_int_equal(r->n, 2);
    const jpos_node *k = NULL, *arr = jpos_get(r, "a", &k);
    assert_non_null(arr);
    assert_int_equal(arr->type, JPOS_ARRAY);
    assert_int_equal(arr->n, 4);
    assert_int_equal(k->start.line, 2);
    assert_int_equal(k->start.column, 2);
    assert_int_equal(arr->start.column, 7);
    assert_int_equal(arr->start.offset, 9);
    assert_string_equal(arr->items[1]->s, "-2.5e3");
    assert_int_equal(arr->items[2]->boolean, 1);
    assert_int_equal(arr->items[3]->type, JPOS_NULL);
    const jpos_node *b = jpos_get(r, "b", NULL);
    assert_string_equal(b->s, "x\"y");
    assert_int_equal(b->start.line, 3);
    assert_int_equal(b->end.column - b->start.column, 6); /* "x\"y" with its quotes */
    assert_memory_equal(s + b->bstart, "\"x\\\"y\"", 6);
    assert_null(jpos_get(r, "missing", NULL));
    assert_null(jpos_get(arr, "a", NULL));
    arena_free(a);
}

static void test_unicode_counts_characters(void **state)
{
    (void)state;
    arena *a = arena_new(4096);
    jpos_error e;
    /* "é" is two bytes, one character; \u00e9 and a surrogate pair decode to UTF-8 */
    jpos_node *r = parse(a, "[\"\xc3\xa9\", \"\\u00e9\", \"\\ud83d\\ude00\", 1]", &e);
    assert_non_null(r);
    assert_string_equal(r->items[0]->s, "\xc3\xa9");
    assert_int_equal(r->items[0]->end.column - r->items[0]->start.column, 3);
    assert_int_equal(r->items[1]->start.column, 6);
    assert_string_equal(r->items[1]->s, "\xc3\xa9");
    assert_string_equal(r->items[2]->s, "\xf0\x9f\x98\x80");
    assert_int_equal(r->items[3]->start.offset, 32);
    arena_free(a);
}

static void test_errors_say_where(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int line, column;
    } bad[] = {
        {"", 1, 0},          {"{", 1, 1},
        {"{\"a\" 1}", 1, 5}, {"[1,]", 1, 3},
        {"[1 2]", 1, 3},     {"{\"a\":1,\n\"a\":2}", 2, 0}, /* duplicate member */
        {"\"abc", 1, 4},     {"\"a\x01\"", 1, 2},
        {"\"\\q\"", 1, 1},   {"\"\\ud83d\"", 1, 1},
        {"01", 1, 1},        {"-", 1, 1},
        {"1.", 1, 2},        {"tru", 1, 0},
        {"{} x", 1, 3},      {"\"\\u0000\"", 1, 1},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        arena *a = arena_new(1024);
        jpos_error e;
        assert_null(parse(a, bad[i].text, &e));
        if (e.at.line != bad[i].line || e.at.column != bad[i].column)
            fail_msg("%s: at %d:%d (%s)", bad[i].text, e.at.line, e.at.column, e.message);
        assert_true(e.message[0] != 0);
        arena_free(a);
    }
}

static void test_depth_limit(void **state)
{
    (void)state;
    char deep[2 * (JPOS_MAX_DEPTH + 2) + 1];
    size_t n = JPOS_MAX_DEPTH + 1;
    for (size_t i = 0; i < n; i++) deep[i] = '[';
    for (size_t i = 0; i < n; i++) deep[n + i] = ']';
    deep[2 * n] = 0;
    arena *a = arena_new(4096);
    jpos_error e;
    assert_null(parse(a, deep, &e));
    assert_string_equal(e.message, "nested too deeply");
    deep[0] = ' ';
    deep[2 * n - 1] = ' ';
    assert_non_null(parse(a, deep, &e)); /* exactly the limit */
    arena_free(a);
}

/* Every prefix and every single-byte change of a real policy parses or fails cleanly. */
static void test_mutations_never_crash(void **state)
{
    (void)state;
    const char *policy =
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"A1\",\"Effect\":\"Allow\","
        "\"Action\":[\"s3:GetObject\",\"iam:PassRole\"],\"Resource\":\"arn:aws:s3:::b/*\","
        "\"Condition\":{\"StringEquals\":{\"aws:PrincipalTag/team\":[\"a\",\"\\u00e9\"]}}}]}";
    size_t len = strlen(policy);
    char *buf = malloc(len + 1);
    static const char flips[] = "{}[]\",:\\ 0aZ\x80\xff";
    for (size_t cut = 0; cut <= len; cut++) {
        arena *a = arena_new(1024);
        jpos_error e;
        jpos_parse(a, policy, cut, &e);
        arena_free(a);
    }
    for (size_t i = 0; i < len; i++)
        for (size_t f = 0; f < sizeof(flips) - 1; f++) {
            memcpy(buf, policy, len + 1);
            buf[i] = flips[f];
            arena *a = arena_new(1024);
            jpos_error e;
            jpos_node *r = jpos_parse(a, buf, len, &e);
            if (r) assert_true(r->end.offset <= (int)len);
            arena_free(a);
        }
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_and_spans),
        cmocka_unit_test(test_unicode_counts_characters),
        cmocka_unit_test(test_errors_say_where),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_mutations_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
