/* EventBridge event patterns (the shared matcher, src/svc/sns/filter.c, in
 * SNS_SCOPE_EVENT) and a target's input (src/svc/events/transform.c). Cases are data:
 * pattern, event, expected match; template, event, expected text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "svc/events/events_int.h"
#include "svc/sns/filter.h"

typedef struct mcase {
    const char *pattern, *event;
    int want;
} mcase;

static const mcase cases[] = {
    /* exact values; arrays are OR; every field must match */
    {"{\"source\":[\"a\",\"b\"]}", "{\"source\":\"b\"}", 1},
    {"{\"source\":[\"a\"]}", "{\"source\":\"c\"}", 0},
    {"{\"source\":[\"a\"],\"detail-type\":[\"t\"]}", "{\"source\":\"a\",\"detail-type\":\"u\"}", 0},
    {"{\"source\":[\"a\"]}", "{}", 0},
    {"{}", "{\"source\":\"a\"}", 1},
    /* nested fields, arrays in the event */
    {"{\"detail\":{\"state\":[\"running\"]}}", "{\"detail\":{\"state\":\"running\"}}", 1},
    {"{\"detail\":{\"state\":[\"running\"]}}", "{\"detail\":{\"state\":\"stopped\"}}", 0},
    {"{\"detail\":{\"tags\":[\"prod\"]}}", "{\"detail\":{\"tags\":[\"dev\",\"prod\"]}}", 1},
    {"{\"detail\":{\"a\":{\"b\":[1]}}}", "{\"detail\":{\"a\":[{\"b\":2},{\"b\":1}]}}", 1},
    /* operators */
    {"{\"x\":[{\"prefix\":\"ref\"}]}", "{\"x\":\"refs/heads/main\"}", 1},
    {"{\"x\":[{\"suffix\":\".png\"}]}", "{\"x\":\"a.png\"}", 1},
    {"{\"x\":[{\"anything-but\":[\"a\",\"b\"]}]}", "{\"x\":\"c\"}", 1},
    {"{\"x\":[{\"anything-but\":[\"a\",\"b\"]}]}", "{\"x\":\"a\"}", 0},
    {"{\"x\":[{\"anything-but\":[\"a\"]}]}", "{}", 0},
    {"{\"x\":[{\"anything-but\":{\"prefix\":\"tmp\"}}]}", "{\"x\":\"tmp1\"}", 0},
    {"{\"x\":[{\"anything-but\":{\"suffix\":\".tmp\"}}]}", "{\"x\":\"a.txt\"}", 1},
    {"{\"x\":[{\"anything-but\":{\"wildcard\":\"*.tmp\"}}]}", "{\"x\":\"a.tmp\"}", 0},
    {"{\"n\":[{\"numeric\":[\">\",0,\"<=\",5]}]}", "{\"n\":5}", 1},
    {"{\"n\":[{\"numeric\":[\">\",0,\"<=\",5]}]}", "{\"n\":0}", 0},
    {"{\"n\":[{\"numeric\":[\"=\",3.0]}]}", "{\"n\":3}", 1},
    {"{\"x\":[{\"exists\":true}]}", "{\"x\":\"\"}", 1},
    {"{\"x\":[{\"exists\":false}]}", "{\"y\":1}", 1},
    {"{\"x\":[{\"equals-ignore-case\":\"HeLLo\"}]}", "{\"x\":\"hello\"}", 1},
    {"{\"x\":[{\"wildcard\":\"dir/*.png\"}]}", "{\"x\":\"dir/a/b.png\"}", 1},
    {"{\"x\":[{\"wildcard\":\"dir/*.png\"}]}", "{\"x\":\"dir/a.jpg\"}", 0},
    {"{\"x\":[{\"wildcard\":\"a\\\\*b\"}]}", "{\"x\":\"a*b\"}", 1},
    {"{\"x\":[{\"wildcard\":\"a\\\\*b\"}]}", "{\"x\":\"axb\"}", 0},
    {"{\"x\":[{\"wildcard\":\"*\"}]}", "{\"x\":\"\"}", 1},
    {"{\"x\":[null]}", "{\"x\":null}", 1},
    {"{\"x\":[true]}", "{\"x\":false}", 0},
    /* $or */
    {"{\"$or\":[{\"a\":[1]},{\"b\":[2]}]}", "{\"b\":2}", 1},
    {"{\"$or\":[{\"a\":[1]},{\"b\":[2]}]}", "{\"b\":3}", 0},
    /* EventBridge has no SNS key limit */
    {"{\"a\":[1],\"b\":[1],\"c\":[1],\"d\":[1],\"e\":[1],\"f\":[1]}",
     "{\"a\":1,\"b\":1,\"c\":1,\"d\":1,\"e\":1,\"f\":1}", 1},
};

static void test_matching(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ferr e = {0};
        sns_filter *f =
            sns_filter_parse(cases[i].pattern, strlen(cases[i].pattern), SNS_SCOPE_EVENT, "", &e);
        if (!f) fail_msg("case %zu: %s", i, e.message);
        json_t *ev = json_loads(cases[i].event, 0, NULL);
        assert_non_null(ev);
        if (sns_filter_match(f, NULL, ev) != cases[i].want)
            fail_msg("case %zu: %s on %s", i, cases[i].pattern, cases[i].event);
        json_decref(ev);
        sns_filter_free(f);
    }
}

static void test_errors(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"{\"source\":\"a\"}", "\"source\" must be an object or an array"},
        {"[1]", "Filter policy must be a JSON object"},
        {"{\"a\":[{\"nope\":1}]}", "Unrecognized match type nope"},
        {"{\"a\":[{\"wildcard\":1}]}", "wildcard match pattern must be a string"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ferr e = {0};
        const char *prefix = "Event pattern is not valid. Reason: ";
        assert_null(sns_filter_parse(bad[i][0], strlen(bad[i][0]), SNS_SCOPE_EVENT, prefix, &e));
        assert_string_equal(e.code, "InvalidEventPatternException");
        assert_int_equal(strncmp(e.message, prefix, strlen(prefix)), 0);
        assert_string_equal(e.message + strlen(prefix), bad[i][1]);
    }
    /* SNS does not take wildcard */
    ferr e = {0};
    const char *w = "{\"a\":[{\"wildcard\":\"*\"}]}";
    assert_null(sns_filter_parse(w, strlen(w), SNS_SCOPE_BODY, "", &e));
}

typedef struct tcase {
    const char *target; /* the Target's input fields */
    const char *want;   /* NULL: refused */
} tcase;

static const char *const EVENT =
    "{\"id\":\"1\",\"source\":\"s\",\"detail\":{\"name\":\"ann\",\"n\":4,\"o\":{\"k\":[1,2]}}}";

static const tcase tcases[] = {
    {"{}", NULL /* the whole event */},
    {"{\"Input\":\"{\\\"c\\\":1}\"}", "{\"c\":1}"},
    {"{\"InputPath\":\"$.detail.name\"}", "\"ann\""},
    {"{\"InputPath\":\"$.detail.o.k[1]\"}", "2"},
    {"{\"InputPath\":\"$['detail']['n']\"}", "4"},
    {"{\"InputPath\":\"$.detail.missing\"}", "null"},
    {"{\"InputTransformer\":{\"InputPathsMap\":{\"who\":\"$.detail.name\",\"n\":\"$.detail.n\","
     "\"o\":\"$.detail.o\"},\"InputTemplate\":\"{\\\"w\\\": <who>, \\\"s\\\": \\\"<who> has "
     "<n>\\\","
     " \\\"o\\\": <o>, \\\"r\\\": \\\"<aws.events.rule-name>\\\", \\\"x\\\": <nope>}\"}}",
     "{\"w\": \"ann\", \"s\": \"ann has 4\", \"o\": {\"k\":[1,2]}, \"r\": \"rule\", \"x\": "
     "<nope>}"},
    {"{\"InputTransformer\":{\"InputPathsMap\":{\"who\":\"$.detail.name\"},"
     "\"InputTemplate\":\"\\\"hello <who>\\\"\"}}",
     "\"hello ann\""},
};

static void test_inputs(void **state)
{
    (void)state;
    json_t *ev = json_loads(EVENT, 0, NULL);
    for (size_t i = 0; i < sizeof(tcases) / sizeof(tcases[0]); i++) {
        json_t *t = json_loads(tcases[i].target, 0, NULL);
        assert_non_null(t);
        assert_null(events_target_check(t));
        ferr e = {0};
        char *s = events_target_input(t, ev, "arn:aws:events:r:1:rule/rule", "rule", &e);
        assert_non_null(s);
        if (tcases[i].want)
            assert_string_equal(s, tcases[i].want);
        else
            assert_int_equal(strncmp(s, "{\"id\":\"1\"", 9), 0);
        free(s);
        json_decref(t);
    }
    json_decref(ev);
    static const char *const bad[] = {
        "{\"InputPath\":\"detail\"}",
        "{\"InputPath\":\"$..x\"}",
        "{\"InputTransformer\":{}}",
        "{\"InputTransformer\":{\"InputTemplate\":\"x\",\"InputPathsMap\":{\"a\":\"$[x]\"}}}",
        "{\"InputTransformer\":{\"InputTemplate\":\"x\",\"InputPathsMap\":{\"aws.events.x\":\"$\"}}"
        "}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *t = json_loads(bad[i], 0, NULL);
        if (!events_target_check(t)) fail_msg("accepted %s", bad[i]);
        json_decref(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matching),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
