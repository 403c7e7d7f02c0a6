/* src/base/zip.c: archives checked before anything is extracted (zip-slip, duplicates,
 * links, sizes), extraction keeping the execute bit, into a temporary renamed into place. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>
#include <cmocka.h>

#include "base/zip.h"

typedef struct ent {
    const char *name, *data;
    unsigned mode; /* 0: no unix attributes */
} ent;

static char dirbuf[64];

static const char *tmpdir(void)
{
    if (!dirbuf[0]) {
        strcpy(dirbuf, "/tmp/ferry-zip-test.XXXXXX");
        assert_non_null(mkdtemp(dirbuf));
    }
    return dirbuf;
}

/* An archive of ents at path (libzip's writer). */
static void make(const char *path, const ent *ents, size_t n)
{
    int err = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
    assert_non_null(z);
    for (size_t i = 0; i < n; i++) {
        zip_source_t *s = zip_source_buffer(z, ents[i].data, strlen(ents[i].data), 0);
        assert_non_null(s);
        zip_int64_t idx = zip_file_add(z, ents[i].name, s, ZIP_FL_ENC_UTF_8);
        assert_true(idx >= 0);
        if (ents[i].mode)
            assert_int_equal(zip_file_set_external_attributes(z, (zip_uint64_t)idx, 0,
                                                              ZIP_OPSYS_UNIX,
                                                              (zip_uint32_t)ents[i].mode << 16),
                             0);
    }
    assert_int_equal(zip_close(z), 0);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long l = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)l + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)l, f), (size_t)l);
    fclose(f);
    *n = (size_t)l;
    return b;
}

/* Opens ents from memory: the result of zipar_open_mem (and *out). */
static int open_ents(const ent *ents, size_t n, uint64_t max, zipar **out, ferr *e)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/a.zip", tmpdir());
    make(path, ents, n);
    size_t len;
    char *b = slurp(path, &len);
    int rc = zipar_open_mem(b, len, max, out, e);
    free(b);
    unlink(path);
    return rc;
}

static void refused(const ent *ents, size_t n)
{
    zipar *z = (zipar *)1;
    ferr e = {0};
    assert_int_equal(open_ents(ents, n, 1000000, &z, &e), -1);
    assert_null(z);
    assert_string_equal(e.code, "InvalidParameterValueException");
    assert_string_equal(e.message, "Could not unzip uploaded file. Please check your file, then "
                                   "try to upload again.");
}

static void not_a_zip(void **st)
{
    (void)st;
    zipar *z;
    ferr e = {0};
    assert_int_equal(zipar_open_mem("hello, world", 12, 1000, &z, &e), -1);
    assert_string_equal(e.code, "InvalidParameterValueException");
    assert_int_equal(zipar_open_mem("", 0, 1000, &z, &e), -1);
    /* a zip cut short */
    ent ents[] = {{"index.py", "def handler(e, c):\n    return e\n", 0}};
    char path[128];
    snprintf(path, sizeof(path), "%s/cut.zip", tmpdir());
    make(path, ents, 1);
    size_t len;
    char *b = slurp(path, &len);
    ferr e2 = {0};
    assert_int_equal(zipar_open_mem(b, len - 10, 1000, &z, &e2), -1);
    assert_string_equal(e2.code, "InvalidParameterValueException");
    free(b);
    unlink(path);
}

static void zip_slip(void **st)
{
    (void)st;
    ent up[] = {{"ok.txt", "x", 0}, {"../evil.txt", "pwned", 0}};
    refused(up, 2);
    ent deep[] = {{"a/b/../../../evil.txt", "pwned", 0}};
    refused(deep, 1);
    ent abs[] = {{"/tmp/evil.txt", "pwned", 0}};
    refused(abs, 1);
    ent dup[] = {{"a.txt", "1", 0}, {"./a.txt", "2", 0}};
    refused(dup, 2);
    ent dup2[] = {{"d/a.txt", "1", 0}, {"d//a.txt", "2", 0}};
    refused(dup2, 2);
    struct stat sb;
    char evil[128];
    snprintf(evil, sizeof(evil), "%s/../evil.txt", tmpdir());
    assert_int_equal(stat(evil, &sb), -1);
    assert_int_equal(stat("/tmp/evil.txt", &sb), -1);
}

static void too_big(void **st)
{
    (void)st;
    ent ents[] = {{"a", "0123456789", 0}, {"b", "0123456789", 0}};
    zipar *z;
    ferr e = {0};
    assert_int_equal(open_ents(ents, 2, 20, &z, &e), -1);
    assert_string_equal(e.code, "InvalidParameterValueException");
    assert_string_equal(e.message, "Unzipped size must be smaller than 20 bytes");
    assert_int_equal(open_ents(ents, 2, 21, &z, &e), 0);
    assert_int_equal(zipar_size(z), 20);
    zipar_free(z);
}

static void extract_tree(void **st)
{
    (void)st;
    ent ents[] = {
        {"bootstrap", "#!/bin/sh\necho hi\n", 0100755},
        {"lib/", "", 040755},
        {"lib/util.py", "X = 1\n", 0100644},
        {"./pkg/mod.py", "Y = 2\n", 0},
        {"cur", "lib", 0120777},             /* a link inside: kept */
        {"up", "../../etc/passwd", 0120777}, /* a link out: skipped */
        {"abs", "/etc/passwd", 0120777},     /* skipped */
    };
    zipar *z;
    ferr e = {0};
    assert_int_equal(open_ents(ents, sizeof(ents) / sizeof(ents[0]), 1000000, &z, &e), 0);
    assert_int_equal(zipar_count(z), 5);
    assert_true(zipar_has_file(z, "bootstrap"));
    assert_true(zipar_has_file(z, "pkg/mod.py"));
    assert_false(zipar_has_file(z, "lib"));
    assert_false(zipar_has_file(z, "up"));
    size_t files = 0; /* regular files only, by their normalised names */
    for (size_t i = 0; i < zipar_count(z); i++)
        if (zipar_file_name(z, i)) assert_true(zipar_has_file(z, zipar_file_name(z, i))), files++;
    assert_int_equal(files, 3);
    assert_null(zipar_file_name(z, zipar_count(z)));
    char dir[128], p[192];
    snprintf(dir, sizeof(dir), "%s/code", tmpdir());
    assert_int_equal(zipar_extract(z, dir, &e), 0);
    struct stat sb;
    snprintf(p, sizeof(p), "%s/bootstrap", dir);
    assert_int_equal(stat(p, &sb), 0);
    assert_true(S_ISREG(sb.st_mode) && (sb.st_mode & 0777) == 0755);
    snprintf(p, sizeof(p), "%s/lib/util.py", dir);
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);
    snprintf(p, sizeof(p), "%s/pkg/mod.py", dir);
    assert_int_equal(stat(p, &sb), 0);
    snprintf(p, sizeof(p), "%s/cur/util.py", dir);
    assert_int_equal(stat(p, &sb), 0);
    snprintf(p, sizeof(p), "%s/up", dir);
    assert_int_equal(lstat(p, &sb), -1);
    snprintf(p, sizeof(p), "%s/abs", dir);
    assert_int_equal(lstat(p, &sb), -1);
    /* extracting again into an existing tree: the first one stands */
    assert_int_equal(zipar_extract(z, dir, &e), 0);
    zipar_free(z);
    assert_int_equal(zipar_rmtree(dir, &e), 0);
    assert_int_equal(lstat(dir, &sb), -1);
}

/* A link to a directory, then a file under the link's name: the file must not be written
 * through the link (the two collide, and the archive is refused at extraction). */
static void no_write_through_link(void **st)
{
    (void)st;
    ent ents[] = {{"l", "sub", 0120777}, {"l/x.txt", "through", 0}, {"sub/", "", 040755}};
    zipar *z;
    ferr e = {0};
    assert_int_equal(open_ents(ents, 3, 1000000, &z, &e), 0);
    char dir[128], p[192];
    snprintf(dir, sizeof(dir), "%s/code2", tmpdir());
    assert_int_equal(zipar_extract(z, dir, &e), -1);
    assert_string_equal(e.code, "InvalidParameterValueException");
    struct stat sb;
    assert_int_equal(lstat(dir, &sb), -1); /* nothing left behind */
    snprintf(p, sizeof(p), "%s/sub/x.txt", tmpdir());
    assert_int_equal(lstat(p, &sb), -1);
    zipar_free(z);
}

/* What zipar_write_mem writes, zipar_open_mem reads back. */
static void write_round_trip(void **st)
{
    (void)st;
    const char *names[] = {"index.py", "cfnresponse.py"};
    const char *texts[] = {"def handler(e, c):\n    return e\n", "import json\n"};
    unsigned char *b;
    size_t n;
    ferr e = {0};
    assert_int_equal(zipar_write_mem(names, texts, 2, &b, &n, &e), 0);
    zipar *z;
    assert_int_equal(zipar_open_mem(b, n, 1000, &z, &e), 0);
    free(b);
    assert_int_equal(zipar_count(z), 2);
    assert_int_equal(zipar_size(z), strlen(texts[0]) + strlen(texts[1]));
    assert_true(zipar_has_file(z, "cfnresponse.py"));
    zipar_free(z);
}

/* zipar_write_entries keeps any bytes (NULs included) and each entry's mode. */
static void write_entries_bytes_and_modes(void **st)
{
    (void)st;
    const unsigned char bin[] = {0, 1, 2, 0, 255};
    const zipar_entry ents[] = {{"data.bin", bin, sizeof(bin), 0100644},
                                {"run.sh", "#!/bin/sh\n", 10, 0100755}};
    unsigned char *b;
    size_t n;
    ferr e = {0};
    assert_int_equal(zipar_write_entries(ents, 2, &b, &n, &e), 0);
    zipar *z;
    assert_int_equal(zipar_open_mem(b, n, 1000, &z, &e), 0);
    free(b);
    unsigned char *got;
    size_t len;
    assert_int_equal(zipar_read(z, "data.bin", &got, &len, &e), 0);
    assert_int_equal(len, sizeof(bin));
    assert_memory_equal(got, bin, sizeof(bin));
    free(got);
    char dir[512], p[600];
    snprintf(dir, sizeof(dir), "%s/entries", tmpdir());
    assert_int_equal(zipar_extract(z, dir, &e), 0);
    struct stat sb;
    snprintf(p, sizeof(p), "%s/run.sh", dir);
    assert_int_equal(stat(p, &sb), 0);
    assert_true(sb.st_mode & 0100);
    snprintf(p, sizeof(p), "%s/data.bin", dir);
    assert_int_equal(stat(p, &sb), 0);
    assert_false(sb.st_mode & 0100);
    zipar_free(z);
}

static int teardown(void **st)
{
    (void)st;
    ferr e;
    if (dirbuf[0]) zipar_rmtree(dirbuf, &e);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(not_a_zip),
        cmocka_unit_test(zip_slip),
        cmocka_unit_test(too_big),
        cmocka_unit_test(extract_tree),
        cmocka_unit_test(no_write_through_link),
        cmocka_unit_test(write_round_trip),
        cmocka_unit_test(write_entries_bytes_and_modes),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
