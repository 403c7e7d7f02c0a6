/* src/base/glob.c: the glob syntax of CodePipeline's trigger filters (Java's PathMatcher
 * "glob"): components, `**`, sets, groups, escapes, and the patterns it refuses. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/glob.h"

static void test_components(void **state)
{
    (void)state;
    assert_int_equal(glob_match("main", "main"), 1);
    assert_int_equal(glob_match("main", "mainline"), 0);
    assert_int_equal(glob_match("feature/*", "feature/a"), 1);
    assert_int_equal(glob_match("feature/*", "feature/a/b"), 0);
    assert_int_equal(glob_match("feature/**", "feature/a/b"), 1);
    assert_int_equal(glob_match("feature/**", "feature/"), 1);
    assert_int_equal(glob_match("*", ""), 1);
    assert_int_equal(glob_match("**/README.md", "docs/x/README.md"), 1);
    assert_int_equal(glob_match("**/README.md", "README.md"), 0);
    assert_int_equal(glob_match("common/**/*.js", "common/a/b/x.js"), 1);
    assert_int_equal(glob_match("common/**/*.js", "common/x.js"), 0);
    assert_int_equal(glob_match("*.java", "src/a.java"), 0);
    assert_int_equal(glob_match("release-v?", "release-v1"), 1);
    assert_int_equal(glob_match("release-v?", "release-v10"), 0);
    assert_int_equal(glob_match("a?b", "a/b"), 0);
    assert_int_equal(glob_match("***", "x/y"), 1);
}

static void test_sets_groups_escapes(void **state)
{
    (void)state;
    assert_int_equal(glob_match("v[0-9]", "v7"), 1);
    assert_int_equal(glob_match("v[0-9]", "vx"), 0);
    assert_int_equal(glob_match("v[!0-9]", "vx"), 1);
    assert_int_equal(glob_match("v[]x]", "v]"), 1);
    assert_int_equal(glob_match("a[/]b", "a/b"), 0);
    assert_int_equal(glob_match("*.{java,class}", "A.class"), 1);
    assert_int_equal(glob_match("*.{java,class}", "A.c"), 0);
    assert_int_equal(glob_match("{a,b}/{c,d}", "b/d"), 1);
    assert_int_equal(glob_match("{,x}y", "y"), 1);
    assert_int_equal(glob_match("\\*", "*"), 1);
    assert_int_equal(glob_match("\\*", "a"), 0);
    assert_int_equal(glob_match("[{]", "{"), 1);
}

static void test_refused(void **state)
{
    (void)state;
    const char *why;
    const char *bad[] = {"a[", "{a", "{a,{b}}", "a}", "x\\", "[!"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(glob_check(bad[i], &why), -1);
        assert_non_null(why);
        assert_int_equal(glob_match(bad[i], "a"), -1);
    }
    /* a match of an earlier alternative does not hide a later malformed one */
    assert_int_equal(glob_check("{,x}[", &why), -1);
    char many[200] = "";
    for (int i = 0; i < 7; i++) strcat(many, "{a,b}");
    assert_int_equal(glob_check(many, &why), -1); /* 128 alternatives */
    assert_int_equal(glob_check("feature/**", &why), 0);
    assert_null(why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_components),
        cmocka_unit_test(test_sets_groups_escapes),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
