/* libFuzzer target: zip archives (src/base/zip.c), as Lambda deployment packages and layers
 * arrive. Whatever is opened is extracted into a fresh directory, and nothing may appear
 * beside it. Seeds: fuzz/corpus/zip_fuzz/. */

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/zip.h"

static char root[64];

static void remove_root(void)
{
    rmdir(root);
}

/* The names in dir other than "." and "..". */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) abort();
    int n = 0;
    for (struct dirent *de; (de = readdir(d));)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) n++;
    closedir(d);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!root[0]) {
        snprintf(root, sizeof(root), "/tmp/ferry-zip-fuzz.XXXXXX");
        if (!mkdtemp(root)) abort();
        atexit(remove_root);
    }
    zipar *z = NULL;
    ferr e = {0};
    if (zipar_open_mem(data, size, 1 << 20, &z, &e)) return 0;
    char out[96];
    snprintf(out, sizeof(out), "%s/out", root);
    int rc = zipar_extract(z, out, &e);
    /* extracted or not, the only thing in root is out (and nothing when it failed) */
    if (entries(root) != (rc ? 0 : 1)) abort();
    if (zipar_rmtree(out, &e)) abort();
    zipar_free(z);
    return 0;
}
