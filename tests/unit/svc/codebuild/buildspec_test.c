/* The buildspec parser: versions, phases, env, and AWS's YAML_FILE_ERROR messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "svc/codebuild/buildspec.h"

static cb_buildspec *parse(const char *text, ferr *e)
{
    cb_buildspec *b = NULL;
    memset(e, 0, sizeof(*e));
    if (cb_buildspec_parse(text, strlen(text), &b, e)) return NULL;
    return b;
}

static void full_spec(void **st)
{
    (void)st;
    ferr e;
    cb_buildspec *b = parse("version: 0.2\n"
                            "env:\n"
                            "  shell: sh\n"
                            "  variables: {A: 1, B: true, C: text}\n"
                            "  parameter-store: {P: /p}\n"
                            "  secrets-manager: {S: 'id:key::'}\n"
                            "  exported-variables: [A, C]\n"
                            "phases:\n"
                            "  install:\n"
                            "    runtime-versions: {python: 3.11}\n"
                            "    commands: [echo 1, 2]\n"
                            "  build:\n"
                            "    on-failure: CONTINUE\n"
                            "    commands:\n"
                            "      - make\n"
                            "    finally:\n"
                            "      - echo done\n"
                            "artifacts:\n"
                            "  files: ['**/*']\n"
                            "reports:\n"
                            "  r: {files: [a.xml]}\n",
                            &e);
    assert_non_null(b);
    assert_false(b->v01);
    assert_string_equal(b->shell, "sh");
    assert_string_equal(json_string_value(json_object_get(b->variables, "A")), "1");
    assert_string_equal(json_string_value(json_object_get(b->variables, "B")), "true");
    assert_int_equal(json_array_size(b->exported), 2);
    assert_int_equal(json_array_size(b->phases[CB_INSTALL].commands), 2);
    assert_string_equal(json_string_value(json_array_get(b->phases[CB_INSTALL].commands, 1)), "2");
    assert_non_null(b->phases[CB_INSTALL].runtime_versions);
    assert_int_equal(b->phases[CB_BUILD].on_failure, CB_CONTINUE);
    assert_int_equal(b->phases[CB_PRE_BUILD].on_failure, 0);
    assert_int_equal(json_array_size(b->phases[CB_BUILD].finally), 1);
    assert_null(b->phases[CB_POST_BUILD].commands);
    assert_non_null(b->artifacts);
    assert_non_null(b->reports);
    cb_buildspec_free(b);
}

static void version_01(void **st)
{
    (void)st;
    ferr e;
    cb_buildspec *b = parse("version: 0.1\nphases:\n  build:\n    commands: [ls]\n", &e);
    assert_non_null(b);
    assert_true(b->v01);
    cb_buildspec_free(b);
}

static void errors(void **st)
{
    (void)st;
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"version: 0.3\n", "Invalid buildspec version: 0.3"},
        {"phases: {}\n", "Missing buildspec version"},
        {"just text", "Expected buildspec to be a YAML map"},
        {"version: 0.2\nphases:\n  build:\n    commands:\n      - a: b\n",
         "Expected Commands[0] to be of string type: found subkeys instead"},
        {"version: 0.2\nphases:\n  build:\n    on-failure: RETRY\n",
         "Unknown on-failure value: RETRY"},
        {"version: 0.2\nenv:\n  shell: zsh\n", "Unsupported shell: zsh"},
        {"version: 0.2\nphases: [a\n", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ferr e;
        assert_null(parse(cases[i].text, &e));
        assert_string_equal(e.code, "YAML_FILE_ERROR");
        if (cases[i].message) assert_string_equal(e.message, cases[i].message);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_spec),
        cmocka_unit_test(version_01),
        cmocka_unit_test(errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
