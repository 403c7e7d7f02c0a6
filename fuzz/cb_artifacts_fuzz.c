/* libFuzzer target for what CodeBuild reads of a buildspec's artifacts section
 * (cb_artifacts_select, src/svc/codebuild/artifacts.c): the input is the section as JSON,
 * applied to a small fixed tree (made once under /tmp, with a symlink leading out of it).
 * Every file selected lies inside the tree, and no name is absolute or has a `..`
 * component. Seeds: fuzz/corpus/cb_artifacts_fuzz/. */
#include <ftw.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "svc/codebuild/artifacts.h"

static char root[256];

static void put(const char *rel)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/src/%s", root, rel);
    FILE *f = fopen(p, "w");
    if (f) fclose(f);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    return remove(path);
}

/* the tree goes when the process ends */
static void remove_tree(void)
{
    nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void make_tree(void)
{
    char t[] = "/tmp/ferry-cb-artifacts-fuzz-XXXXXX", real[PATH_MAX], p[PATH_MAX], q[PATH_MAX];
    if (!mkdtemp(t) || !realpath(t, real) || strlen(real) >= sizeof(root)) abort();
    strcpy(root, real);
    atexit(remove_tree);
    static const char *const dirs[] = {"src", "src/a", "src/a/b", "src/a/b/c", "src/.hidden"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
        mkdir(p, 0755);
    }
    put("top.txt"), put("a/x.js"), put("a/b/y.js"), put("a/b/c/z.map"), put(".hidden/h");
    snprintf(p, sizeof(p), "%s/outside", root);
    FILE *f = fopen(p, "w");
    if (f) fclose(f);
    snprintf(q, sizeof(q), "%s/src/a/out", root);
    if (symlink(p, q)) abort();
    snprintf(q, sizeof(q), "%s/src/a/up", root);
    if (symlink("../..", q)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!*root) make_tree();
    json_t *spec = json_loadb((const char *)data, size, 0, NULL);
    if (!spec) return 0;
    char src[300];
    snprintf(src, sizeof(src), "%s/src", root);
    cb_files f;
    ferr e = {0};
    if (!cb_artifacts_select(src, spec, &f, &e)) {
        size_t n = strlen(src);
        for (size_t i = 0; i < f.n; i++) {
            const char *nm = f.names[i];
            if (strncmp(f.paths[i], src, n) || f.paths[i][n] != '/' || nm[0] == '/' ||
                !strcmp(nm, "..") || !strncmp(nm, "../", 3) || strstr(nm, "/../"))
                abort();
        }
        cb_files_clear(&f);
    } else if (strcmp(e.code, "CLIENT_ERROR") && strcmp(e.code, "YAML_FILE_ERROR") &&
               strcmp(e.code, "InternalFailure")) {
        abort();
    }
    json_decref(spec);
    return 0;
}
