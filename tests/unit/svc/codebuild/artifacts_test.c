/* cb_artifacts_select and cb_artifacts_zip (src/svc/codebuild/artifacts.c) over a temporary
 * tree: each buildspec option, the errors AWS reports, and that nothing outside the source
 * directory is ever selected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/zip.h"
#include "fixture.h"
#include "svc/codebuild/artifacts.h"

static char root[64], src[96], outside[96];

static void put(const char *rel, const char *text, mode_t mode)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", src, rel);
    for (char *s = p + strlen(src) + 1; (s = strchr(s, '/')); s++) {
        *s = 0;
        mkdir(p, 0755);
        *s = '/';
    }
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(p, mode);
}

static int setup(void **state)
{
    (void)state;
    if (fixture_tmpdir(root, sizeof(root), "cb-artifacts")) return -1;
    snprintf(src, sizeof(src), "%s/src", root);
    snprintf(outside, sizeof(outside), "%s/secret", root);
    mkdir(src, 0755);
    put("README.md", "readme", 0644);
    put("dist/app.js", "app", 0644);
    put("dist/run.sh", "#!/bin/sh\n", 0755);
    put("dist/lib/util.js", "util", 0644);
    put("dist/lib/deep/x.map", "map", 0644);
    put("other/app.js", "other", 0644);
    FILE *f = fopen(outside, "w");
    fputs("secret", f);
    fclose(f);
    char l[256];
    snprintf(l, sizeof(l), "%s/dist/leak.js", src);
    assert_int_equal(symlink(outside, l), 0); /* points outside: never selected */
    snprintf(l, sizeof(l), "%s/dist/alias.js", src);
    assert_int_equal(symlink("app.js", l), 0); /* inside: selected */
    snprintf(l, sizeof(l), "%s/loop", src);
    assert_int_equal(symlink("..", l), 0); /* a directory link: not followed */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fixture_rmdir(root);
}

/* The names selected by spec, joined with ','. */
static char *names(const char *spec_text, int *rc, ferr *e)
{
    static char buf[1024];
    json_t *spec = json_loads(spec_text, 0, NULL);
    assert_non_null(spec);
    cb_files f;
    *rc = cb_artifacts_select(src, spec, &f, e);
    buf[0] = 0;
    for (size_t i = 0; i < f.n; i++) {
        if (i) strcat(buf, ",");
        strcat(buf, f.names[i]);
    }
    cb_files_clear(&f);
    json_decref(spec);
    return buf;
}

static void expect(const char *spec, const char *want)
{
    int rc;
    ferr e = {0};
    const char *got = names(spec, &rc, &e);
    if (rc) fail_msg("%s: %s %s", spec, e.code, e.message);
    assert_string_equal(got, want);
}

static void expect_err(const char *spec, const char *code, const char *msg)
{
    int rc;
    ferr e = {0};
    names(spec, &rc, &e);
    assert_int_equal(rc, -1);
    assert_string_equal(e.code, code);
    assert_non_null(strstr(e.message, msg));
}

static void test_globs(void **state)
{
    (void)state;
    expect("{\"files\":[\"**/*\"]}", "README.md,dist/alias.js,dist/app.js,dist/lib/deep/x.map,"
                                     "dist/lib/util.js,dist/run.sh,other/app.js");
    expect("{\"files\":[\"dist/*.js\"]}", "dist/alias.js,dist/app.js");
    expect("{\"files\":[\"**/app.js\"]}", "dist/app.js,other/app.js");
    expect("{\"files\":[\"dist/**/*.js\"]}", "dist/alias.js,dist/app.js,dist/lib/util.js");
    expect("{\"files\":[\"README.md\"]}", "README.md");
    expect("{\"files\":[\"./README.md\", \"dist/run.sh\"]}", "README.md,dist/run.sh");
    expect("{\"files\":\"README.md\"}", "README.md");
}

static void test_base_directory(void **state)
{
    (void)state;
    expect("{\"files\":[\"**/*\"],\"base-directory\":\"dist/lib\"}", "deep/x.map,util.js");
    expect("{\"files\":[\"*\"],\"base-directory\":\"dist\"}", "alias.js,app.js,run.sh");
    expect("{\"files\":[\"*.js\"],\"base-directory\":\"d*\"}", "alias.js,app.js");
}

static void test_discard_and_exclude(void **state)
{
    (void)state;
    expect("{\"files\":[\"dist/lib/**/*\"],\"discard-paths\":\"yes\"}", "x.map,util.js");
    expect("{\"files\":[\"dist/lib/**/*\"],\"discard-paths\":\"no\"}",
           "dist/lib/deep/x.map,dist/lib/util.js");
    expect("{\"files\":[\"**/*\"],\"exclude-paths\":[\"dist/**/*\",\"README.md\"]}",
           "other/app.js");
    expect("{\"files\":[\"**/*.js\"],\"discard-paths\":true,\"base-directory\":\"dist\"}",
           "alias.js,app.js,util.js");
}

static void test_errors(void **state)
{
    (void)state;
    expect_err("{\"files\":[\"nothing/*\"]}", "CLIENT_ERROR", "no matching artifact paths found");
    expect_err("{\"files\":[\"../secret\"]}", "CLIENT_ERROR", "no matching artifact paths found");
    expect_err("{\"files\":[\"*\"],\"base-directory\":\"../\"}", "CLIENT_ERROR", "base-directory");
    expect_err("{\"files\":[\"*\"],\"base-directory\":\"/etc\"}", "CLIENT_ERROR", "base-directory");
    expect_err("{\"files\":{\"a\":1}}", "YAML_FILE_ERROR", "Files");
    expect_err("{\"files\":[1]}", "YAML_FILE_ERROR", "Files");
    expect_err("{\"files\":[\"*\"],\"discard-paths\":\"maybe\"}", "YAML_FILE_ERROR",
               "DiscardPaths");
    expect_err("{\"name\":\"x\"}", "YAML_FILE_ERROR", "files");
    expect_err("[]", "YAML_FILE_ERROR", "artifacts");
}

static void test_zip(void **state)
{
    (void)state;
    json_t *spec = json_loads("{\"files\":[\"dist/**/*\"]}", 0, NULL);
    cb_files f;
    ferr e = {0};
    assert_int_equal(cb_artifacts_select(src, spec, &f, &e), 0);
    char zp[128], dir[128];
    snprintf(zp, sizeof(zp), "%s/out.zip", root);
    snprintf(dir, sizeof(dir), "%s/unzipped", root);
    assert_int_equal(cb_artifacts_zip(&f, zp, &e), 0);
    zipar *z = NULL;
    assert_int_equal(zipar_open_file(zp, 1 << 20, &z, &e), 0);
    assert_int_equal(zipar_count(z), f.n);
    assert_true(zipar_has_file(z, "dist/lib/deep/x.map"));
    assert_int_equal(zipar_extract(z, dir, &e), 0);
    zipar_free(z);
    char p[256];
    struct stat st;
    snprintf(p, sizeof(p), "%s/dist/run.sh", dir);
    assert_int_equal(stat(p, &st), 0);
    assert_true(st.st_mode & 0100); /* the mode is kept */
    snprintf(p, sizeof(p), "%s/dist/app.js", dir);
    assert_int_equal(stat(p, &st), 0);
    assert_false(st.st_mode & 0100);
    cb_files_clear(&f);
    json_decref(spec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_globs),
        cmocka_unit_test(test_base_directory),
        cmocka_unit_test(test_discard_and_exclude),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_zip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
